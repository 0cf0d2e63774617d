# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Export of CCNet segmentors to ONNX, checked with onnxruntime.

Needs the ``export`` extra (``pip install "mmseg-ccnet[export]"``): onnx,
onnxruntime and onnxscript, which torch's exporter
(``torch.onnx.export(..., dynamo=True)``, torch >= 2.5) uses.
"""
import inspect
from typing import Optional, Tuple, Union

import numpy as np
import onnxruntime
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.models import BaseSegmentor
from mmseg.registry import MODELS

from ..models import CrissCrossAttention


class SegmentorLogits(nn.Module):
    """A segmentor's whole-image inference as a plain module for export.

    Args:
        segmentor (BaseSegmentor): The model, in eval mode.
    """

    def __init__(self, segmentor: BaseSegmentor):
        super().__init__()
        self.segmentor = segmentor

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Logits at the input's resolution.

        Args:
            image (Tensor): Normalised images of shape (B, 3, H, W) (the
                data preprocessor's output).

        Returns:
            Tensor: Logits of shape (B, num_classes, H, W).
        """
        meta = dict(img_shape=tuple(image.shape[2:]))
        return self.segmentor.encode_decode(image, [meta] * image.size(0))


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
    modules = [
        m for m in model.modules() if isinstance(m, CrissCrossAttention)
    ]
    with torch.no_grad():
        for module in modules:
            module.gamma.scale.fill_(gamma)
    return len(modules)


def export_onnx(model: nn.Module,
                example: torch.Tensor,
                path: str,
                opset_version: int = 18) -> None:
    """Export a module with a single tensor input to ONNX (static shapes).

    Args:
        model (nn.Module): The module, in eval mode.
        example (Tensor): An input of the shape the model will receive.
        path (str): Output ``.onnx`` file.
        opset_version (int): ONNX opset. Defaults to 18.

    Raises:
        RuntimeError: If this torch's exporter has no ``dynamo`` option
            (torch < 2.5).
    """
    if 'dynamo' not in inspect.signature(torch.onnx.export).parameters:
        raise RuntimeError(
            'ONNX export needs torch >= 2.5 (torch.onnx.export(dynamo=True));'
            f' this is torch {torch.__version__}')
    with torch.no_grad():
        torch.onnx.export(
            model, (example, ),
            path,
            dynamo=True,
            opset_version=opset_version,
            input_names=['input'],
            output_names=['output'],
            external_data=False)


def compare_with_onnxruntime(model: nn.Module, example: torch.Tensor,
                             path: str) -> Tuple[float, float]:
    """Run the exported model with onnxruntime and compare with PyTorch.

    Args:
        model (nn.Module): The PyTorch module, in eval mode.
        example (Tensor): The input.
        path (str): The ``.onnx`` file.

    Returns:
        tuple[float, float]: Max absolute difference and max absolute value
        of PyTorch's output.
    """
    session = onnxruntime.InferenceSession(
        path, providers=['CPUExecutionProvider'])
    (output, ) = session.run(None, {'input': example.numpy()})
    with torch.no_grad():
        expected = model(example).numpy()
    return (float(np.abs(output - expected).max()),
            float(np.abs(expected).max()))
