# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""CCNet in MMDetection: RCCA in a detector's backbone (the paper's COCO
experiment) and the embedded instance-segmentation benchmark.

Needs MMDetection (the ``det`` or ``onedl-det`` extra) and is not imported
by ``import mmseg_ccnet``: detection configs add it with
``custom_imports=dict(imports=['mmseg_ccnet', 'mmseg_ccnet.detection'])``.
Importing it registers, in MMDetection's registries,
:func:`~mmseg_ccnet.models.backbones.ContextResNet` (``MODELS``) and
:class:`CrissCrossInstanceDataset` (``DATASETS``).
"""
from mmdet.registry import MODELS

from ..models.backbones import ContextResNet
from .datasets import CrissCrossInstanceDataset

MODELS.register_module(name='ContextResNet', module=ContextResNet)

__all__ = ['CrissCrossInstanceDataset']
