# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .paired_flip_tta import PairedFlipTTAModel

__all__ = ['PairedFlipTTAModel']
