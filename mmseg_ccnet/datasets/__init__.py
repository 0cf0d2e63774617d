# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .camvid import CAMVID_CLASSES, CAMVID_PALETTE, CamVidDataset
from .cc_context import CrissCrossContextDataset
from .flip_pairs import FlipPairsMixin
from .lip import LIPDataset
from .transforms import PairedRandomFlip

__all__ = [
    'CAMVID_CLASSES', 'CAMVID_PALETTE', 'CamVidDataset',
    'CrissCrossContextDataset', 'FlipPairsMixin', 'LIPDataset',
    'PairedRandomFlip'
]
