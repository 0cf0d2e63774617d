# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .criss_cross_attention import CrissCrossAttention, check_feature_map
from .criss_cross_attention_3d import CrissCrossAttention3D
from .rcca import RCCA, criss_cross_context, recurrent_attention
from .rcca_3d import RCCA3D, clip_attention, clip_criss_cross_context

__all__ = [
    'CrissCrossAttention', 'CrissCrossAttention3D', 'RCCA', 'RCCA3D',
    'check_feature_map', 'clip_attention', 'clip_criss_cross_context',
    'criss_cross_context', 'recurrent_attention'
]
