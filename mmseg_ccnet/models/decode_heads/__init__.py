# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .cc_head import CCHead, RCCAFeatures

__all__ = ['CCHead', 'RCCAFeatures']
