# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .criss_cross_attention import CrissCrossAttention
from .criss_cross_attention_3d import CrissCrossAttention3D
from .rcca import RCCA
from .rcca_3d import RCCA3D
from .recurrent_criss_cross_attention import RecurrentCrissCrossAttention

__all__ = [
    'CrissCrossAttention', 'CrissCrossAttention3D', 'RCCA', 'RCCA3D',
    'RecurrentCrissCrossAttention'
]
