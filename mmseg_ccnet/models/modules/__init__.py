# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .criss_cross_attention import CrissCrossAttention, check_feature_map
from .rcca import RCCA, criss_cross_context, recurrent_attention

__all__ = [
    'CrissCrossAttention', 'RCCA', 'check_feature_map', 'criss_cross_context',
    'recurrent_attention'
]
