# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .criss_cross import CrissCrossAttentionFunction, criss_cross_attention

__all__ = ['CrissCrossAttentionFunction', 'criss_cross_attention']
