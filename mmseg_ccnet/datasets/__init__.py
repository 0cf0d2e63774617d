# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .base_clip_dataset import BaseClipDataset
from .camvid import CAMVID_CLASSES, CAMVID_PALETTE, CamVidDataset
from .camvid_video import CamVidVideoDataset
from .flip_pairs_mixin import FlipPairsMixin
from .lip import LIPDataset
from .synthetic import CrissCrossContextDataset, CrissCrossVideoDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'BaseClipDataset', 'CAMVID_CLASSES', 'CAMVID_PALETTE', 'CamVidDataset',
    'CamVidVideoDataset', 'CrissCrossContextDataset', 'CrissCrossVideoDataset',
    'FlipPairsMixin', 'LIPDataset'
]
