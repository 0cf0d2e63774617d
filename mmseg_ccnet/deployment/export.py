# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Export of CCNet segmentors to ONNX, checked on inference backends.

Needs the ``deploy`` extra (``pip install "mmseg-ccnet[deploy]"``): onnx and
onnxscript, which torch's exporter (``torch.onnx.export(..., dynamo=True)``,
torch >= 2.5) uses, and the backends of :mod:`.backends`.

The exported graph computes the criss-cross attention with the einsum
formulation (``CrissCrossAttention(impl='einsum')``, the same function as
the default ``'efficient'`` autograd function): the latter loops in Python
over the samples and over blocks of columns, which fixes the batch size and
bounds the width of a traced graph.
"""
import contextlib
import inspect
from typing import (
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.models import BaseSegmentor, EncoderDecoder
from mmseg.registry import MODELS

from ccnet_core import CrissCrossAttention

from .backends import Backend

#: Names of the symbolic input and output dimensions of a dynamic export.
DYNAMIC_AXES = {0: 'batch', 2: 'height', 3: 'width'}


class SegmentorLogits(nn.Module):
    """A segmentor's whole-image inference as a plain module for export.

    The logits of the decode head, resized to the input (bilinear, with the
    head's ``align_corners``): :meth:`EncoderDecoder.encode_decode` for
    images of the input's size, without image metas, so that a traced graph
    keeps the batch size and the image size symbolic.

    Args:
        segmentor (EncoderDecoder): The model, in eval mode; an
            :class:`EncoderDecoder` (or a subclass) that keeps its
            ``encode_decode``.

    Raises:
        TypeError: For another segmentor.
    """

    def __init__(self, segmentor: EncoderDecoder):
        super().__init__()
        if not (isinstance(segmentor, EncoderDecoder) and type(segmentor)
                .encode_decode is EncoderDecoder.encode_decode):
            raise TypeError('SegmentorLogits needs an EncoderDecoder that '
                            "keeps EncoderDecoder's encode_decode, got "
                            f'{type(segmentor).__name__}')
        self.segmentor = segmentor

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Logits at the input's resolution.

        Args:
            image (Tensor): Normalised images of shape (B, 3, H, W) (the
                data preprocessor's output).

        Returns:
            Tensor: Logits of shape (B, num_classes, H, W).
        """
        head = self.segmentor.decode_head
        logits = head(self.segmentor.extract_feat(image))
        return F.interpolate(
            logits,
            size=image.shape[2:],
            mode='bilinear',
            align_corners=head.align_corners)


def build_segmentor(config: Union[str, Config],
                    checkpoint: Optional[str] = None) -> BaseSegmentor:
    """Build a segmentor from a config for inference on the CPU.

    The registry scope is the config's ``default_scope`` (``'mmseg'`` if it
    has none), pretrained weights are switched off (nothing is downloaded),
    SyncBN is replaced by BN and the model is put in eval mode.

    Args:
        config (str or Config): Config file path or a loaded config.
        checkpoint (str, optional): Weights to load. Defaults to None
            (PyTorch's initialisation).

    Returns:
        BaseSegmentor: The model.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.pretrained = None
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.eval()


def criss_cross_modules(model: nn.Module) -> List[CrissCrossAttention]:
    """Every criss-cross attention module of a model.

    Args:
        model (nn.Module): The model.

    Returns:
        list[CrissCrossAttention]: The modules, in ``model.modules()`` order.
    """
    return [m for m in model.modules() if isinstance(m, CrissCrossAttention)]


def expose_attention(model: nn.Module, gamma: float = 1.0) -> int:
    """Set the output scale of every criss-cross attention in a model.

    ``gamma`` is 0 at initialisation, which makes an untrained model's
    output independent of the attention; a comparison of exported and
    PyTorch outputs would then not see the attention at all.

    Args:
        model (nn.Module): The model, changed in place.
        gamma (float): The scale. Defaults to 1.

    Returns:
        int: Number of attention modules changed.
    """
    modules = criss_cross_modules(model)
    with torch.no_grad():
        for module in modules:
            module.gamma.scale.fill_(gamma)
    return len(modules)


@contextlib.contextmanager
def einsum_attention(model: nn.Module) -> Iterator[None]:
    """Run every criss-cross attention of a model with ``impl='einsum'``.

    The implementations are restored on exit.

    Args:
        model (nn.Module): The model, changed while the context lasts.

    Yields:
        None.
    """
    modules = criss_cross_modules(model)
    impls = [module.impl for module in modules]
    try:
        for module in modules:
            module.impl = 'einsum'
        yield
    finally:
        for module, impl in zip(modules, impls):
            module.impl = impl


def export_onnx(model: nn.Module,
                example: torch.Tensor,
                path: str,
                opset_version: int = 18,
                dynamic: bool = False) -> None:
    """Export a module with a single image input to ONNX.

    The graph's input is named ``input`` and its output ``output``. With
    ``dynamic``, their dimensions 0, 2 and 3 are symbolic (named after
    :data:`DYNAMIC_AXES`): one file takes any batch size and image size.
    Otherwise every dimension is that of ``example``. The criss-cross
    attention is exported through its einsum formulation (see the module's
    docstring).

    Args:
        model (nn.Module): The module, in eval mode.
        example (Tensor): An input of shape (B, 3, H, W) to trace with; for
            a dynamic export B, H and W must be at least 2 (the exporter
            specialises sizes 0 and 1).
        path (str): Output ``.onnx`` file.
        opset_version (int): ONNX opset. Defaults to 18.
        dynamic (bool): Symbolic batch size, height and width. Defaults to
            False.

    Raises:
        RuntimeError: If this torch's exporter has no ``dynamo`` option
            (torch < 2.5).
        ValueError: For a dynamic export with a dimension of ``example``
            below 2.
    """
    if 'dynamo' not in inspect.signature(torch.onnx.export).parameters:
        raise RuntimeError(
            'ONNX export needs torch >= 2.5 (torch.onnx.export(dynamo=True));'
            f' this is torch {torch.__version__}')
    dynamic_shapes = None
    if dynamic:
        small = {
            name: example.size(dim)
            for dim, name in DYNAMIC_AXES.items() if example.size(dim) < 2
        }
        if small:
            raise ValueError('a dynamic export traces an example whose '
                             'batch size, height and width are at least 2 '
                             '(sizes 0 and 1 would be fixed in the graph), '
                             f'got {small}')
        dynamic_shapes = (DYNAMIC_AXES, )
    with torch.no_grad(), einsum_attention(model):
        torch.onnx.export(
            model, (example, ),
            path,
            dynamo=True,
            opset_version=opset_version,
            input_names=['input'],
            output_names=['output'],
            dynamic_shapes=dynamic_shapes,
            external_data=False)


class Comparison(NamedTuple):
    """A backend's output on one input compared with PyTorch's.

    Attributes:
        backend (str): The backend's name.
        shape (tuple[int]): The input's shape (B, 3, H, W).
        max_diff (float): Largest absolute difference of the logits.
        max_value (float): Largest absolute value of PyTorch's logits.
    """
    backend: str
    shape: Tuple[int, ...]
    max_diff: float
    max_value: float


def compare_with_backends(model: nn.Module, backends: Sequence[Backend],
                          inputs: Iterable[torch.Tensor]) -> List[Comparison]:
    """Run backends on inputs and compare their outputs with PyTorch's.

    Args:
        model (nn.Module): The PyTorch module, in eval mode.
        backends (Sequence[Backend]): Backends running the exported model.
        inputs (Iterable[Tensor]): Inputs of shape (B, 3, H, W).

    Returns:
        list[Comparison]: One per input and backend, input by input.
    """
    comparisons = []
    for images in inputs:
        with torch.no_grad():
            expected = model(images)
        max_value = expected.abs().max().item()
        for backend in backends:
            max_diff = (backend(images) - expected).abs().max().item()
            comparisons.append(
                Comparison(backend.name, tuple(images.shape), max_diff,
                           max_value))
    return comparisons
