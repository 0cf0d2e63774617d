# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""CCNet's criss-cross attention for any PyTorch model.

Plain ``torch.nn.Module`` classes and functions that need only PyTorch:
the criss-cross attention (:class:`CrissCrossAttention`, 2D, and
:class:`CrissCrossAttention3D` on (B, C, T, H, W) clips and volumes), the
recurrent modules (:class:`RCCA`, :class:`RCCA3D` and
:class:`RecurrentCrissCrossAttention`, RCCA without its convolutions), the
memory-efficient autograd function behind the attention
(:func:`criss_cross_attention`) and the category consistent loss of the
TPAMI paper (:class:`CategoryConsistentLoss`). ``mmseg_ccnet`` registers
them in MMSegmentation.
"""
from .category_consistent_loss import CategoryConsistentLoss
from .cca import CrissCrossAttention, Scale
from .cca_3d import CrissCrossAttention3D
from .criss_cross import (
    CrissCrossAttentionFunction,
    autocast_dtype,
    criss_cross_attention,
)
from .layout import check_feature_map, check_integer
from .rcca import RCCA, RCCA3D, ConvBlock
from .recurrent_criss_cross_attention import RecurrentCrissCrossAttention

__all__ = [
    'RCCA', 'RCCA3D', 'CategoryConsistentLoss', 'ConvBlock',
    'CrissCrossAttention', 'CrissCrossAttention3D',
    'CrissCrossAttentionFunction', 'RecurrentCrissCrossAttention', 'Scale',
    'autocast_dtype', 'check_feature_map', 'check_integer',
    'criss_cross_attention'
]
