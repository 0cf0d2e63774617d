# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .base_clip_dataset import BaseClipDataset
from .camvid_video import CamVidVideoDataset
from .cc_context import CrissCrossContextDataset
from .cc_video import CrissCrossVideoDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseClipDataset', 'CamVidVideoDataset', 'CrissCrossContextDataset',
    'CrissCrossVideoDataset'
]
