# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .criss_cross import (
                          CrissCrossAttentionFunction,
                          autocast_dtype,
                          criss_cross_attention,
)

__all__ = [
    'CrissCrossAttentionFunction', 'autocast_dtype', 'criss_cross_attention'
]
