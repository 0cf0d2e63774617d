# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .criss_cross_attention import (
    CrissCrossAttention,
    check_feature_map,
    check_integer,
)
from .criss_cross_attention_3d import CrissCrossAttention3D
from .rcca import RCCA
from .rcca_3d import RCCA3D

__all__ = [
    'CrissCrossAttention', 'CrissCrossAttention3D', 'RCCA', 'RCCA3D',
    'check_feature_map', 'check_integer'
]
