# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Post-training INT8 quantization of an exported segmentor with NNCF.

Needs the ``quantize`` extra (``pip install "mmseg-ccnet[quantize]"``:
NNCF, with OpenVINO and onnx of the ``deploy`` extra). The ``.onnx`` file
written by :func:`~mmseg_ccnet.deployment.export.export_onnx` is read by
OpenVINO and quantized by :func:`nncf.quantize`, whose statistics come from
calibration inputs prepared as the exported graph expects them: a config's
images through its own pipeline and data preprocessor
(:func:`model_inputs`, which also gives the images on which
:func:`pixel_agreement` compares the INT8 model with float32).

NNCF quantizes the convolutions (weights and their input activations). It
has no INT8 kernel for ``Einsum``: the criss-cross attention's energies,
its softmax and its aggregation stay in float32 in any case. What
:func:`attention_ignored_scope` adds to that is the attention's own 1x1
convolutions (query, key, value) and its residual sum, so that the
energies are computed from float32 queries and keys.
"""
import re
from typing import Iterable, List

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, MODELS

#: The class whose operations :func:`attention_ignored_scope` names.
ATTENTION_CLASS = 'CrissCrossAttention'


def model_inputs(cfg: Config,
                 split: str = 'val',
                 num_images: int = 300,
                 seed: int = 0) -> List[np.ndarray]:
    """Inputs of an exported model made from a config's images.

    ``num_images`` images drawn at random (without replacement) from the
    dataset of ``<split>_dataloader`` go through that loader's pipeline and
    the model's data preprocessor in test mode (channel order, mean and
    standard deviation, padding), as the exported graph takes them.

    Args:
        cfg (Config): The config the model was exported from.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'val'``.
        num_images (int): How many images; all if the split has fewer.
            Defaults to 300.
        seed (int): Seed of the draw. Defaults to 0.

    Returns:
        list[np.ndarray]: float32 arrays of shape (1, 3, H, W).
    """
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    count = min(num_images, len(dataset))
    indices = np.random.default_rng(seed).choice(
        len(dataset), count, replace=False)
    inputs = []
    for index in sorted(indices.tolist()):
        sample = dataset[index]
        batch = dict(
            inputs=[sample['inputs']], data_samples=[sample['data_samples']])
        with torch.no_grad():
            images = preprocessor(batch, training=False)['inputs']
        inputs.append(images.float().numpy())
    return inputs


def attention_node_names(path: str) -> List[str]:
    """Names of the nodes of an exported file inside the attention.

    torch's exporter records in every node's ``namespace`` metadata the
    modules it belongs to; OpenVINO names its operations after the nodes.

    Args:
        path (str): An ``.onnx`` file of
            :func:`~mmseg_ccnet.deployment.export.export_onnx`.

    Returns:
        list[str]: Names of the nodes of every ``CrissCrossAttention``
        module, in graph order.
    """
    import onnx
    graph = onnx.load(path, load_external_data=False).graph
    return [
        node.name for node in graph.node
        if any(prop.key == 'namespace' and ATTENTION_CLASS in prop.value
               for prop in node.metadata_props)
    ]


def attention_ignored_scope(path: str, backend: str = 'openvino'):
    """NNCF's ignored scope that keeps the attention in float32.

    Args:
        path (str): The ``.onnx`` file.
        backend (str): The model NNCF quantizes: ``'openvino'`` (the file
            read by OpenVINO, whose convolutions become
            ``<node>/WithoutBiases`` and an ``Add`` of the bias named after
            the node) or ``'onnx'`` (the file). Defaults to ``'openvino'``.

    Returns:
        nncf.IgnoredScope: The operations of the attention's nodes.

    Raises:
        ValueError: If the file has no attention nodes (exported by another
            tool, or without the exporter's metadata).
    """
    import nncf
    names = attention_node_names(path)
    if not names:
        raise ValueError(f'{path} has no node of a {ATTENTION_CLASS}: '
                         'export it with tools/deployment/pytorch2onnx.py')
    if backend == 'onnx':
        return nncf.IgnoredScope(names=names)
    pattern = '|'.join(map(re.escape, names))
    return nncf.IgnoredScope(patterns=[f'^({pattern})(/.*)?$'])


def _quantize(model, inputs: List, path: str, float_attention: bool,
              backend: str):
    """:func:`nncf.quantize` on all ``inputs``, the attention of the file
    ``path`` kept in float32 or not."""
    import nncf
    ignored_scope = (
        attention_ignored_scope(path, backend) if float_attention else None)
    return nncf.quantize(
        model,
        nncf.Dataset(inputs),
        subset_size=len(inputs),
        ignored_scope=ignored_scope)


def quantize_openvino(path: str,
                      inputs: Iterable[np.ndarray],
                      float_attention: bool = True):
    """Quantize an exported model to INT8 for OpenVINO.

    Args:
        path (str): The ``.onnx`` file.
        inputs (Iterable[np.ndarray]): Calibration inputs, e.g. of
            :func:`model_inputs`; all of them are used.
        float_attention (bool): Keep the attention in float32
            (:func:`attention_ignored_scope`). Defaults to True.

    Returns:
        openvino.Model: The quantized model.
    """
    import openvino
    return _quantize(openvino.Core().read_model(path), list(inputs), path,
                     float_attention, 'openvino')


def quantize_onnx(path: str,
                  inputs: Iterable[np.ndarray],
                  out: str,
                  float_attention: bool = True) -> None:
    """Quantize an exported model to an ONNX file with INT8 QDQ nodes, for
    ONNX Runtime.

    Args:
        path (str): The ``.onnx`` file.
        inputs (Iterable[np.ndarray]): Calibration inputs.
        out (str): The quantized ``.onnx`` file.
        float_attention (bool): Keep the attention in float32. Defaults to
            True.
    """
    import onnx
    model = onnx.load(path)
    name = model.graph.input[0].name
    onnx.save(
        _quantize(model, [{name: x} for x in inputs], path, float_attention,
                  'onnx'), out)


def save_openvino(model, path: str) -> None:
    """Write an OpenVINO model as IR (``.xml`` and ``.bin``).

    Float constants are kept in float32 (OpenVINO would compress them to
    float16 by default, which changes the float32 parts of the model).

    Args:
        model (openvino.Model): The model.
        path (str): The ``.xml`` file.
    """
    import openvino
    openvino.save_model(model, path, compress_to_fp16=False)


def pixel_agreement(reference: Iterable[np.ndarray],
                    other: Iterable[np.ndarray]) -> float:
    """Fraction of pixels whose predicted class two models share.

    Args:
        reference (Iterable[np.ndarray]): Logits (B, num_classes, H, W).
        other (Iterable[np.ndarray]): Logits of the same shapes.

    Returns:
        float: Equal argmax over all pixels, in [0, 1].
    """
    same = total = 0
    for first, second in zip(reference, other):
        equal = first.argmax(1) == second.argmax(1)
        same += int(equal.sum())
        total += equal.size
    return same / total
