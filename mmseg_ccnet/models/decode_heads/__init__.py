# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .cc_head import CCHead

__all__ = ['CCHead']
