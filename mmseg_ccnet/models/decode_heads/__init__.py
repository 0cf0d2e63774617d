# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .cc_head import CCHead, RCCAFeatures
from .cc_head_3d import CCHead3D

__all__ = ['CCHead', 'CCHead3D', 'RCCAFeatures']
