# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .flip import PairedRandomFlip
from .loading import LoadClipFromFiles
from .transforms import ClipPhotoMetricDistortion

__all__ = [
    'ClipPhotoMetricDistortion', 'LoadClipFromFiles', 'PairedRandomFlip'
]
