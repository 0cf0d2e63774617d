# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .clip import (
                   clip_frame_numbers,
                   fold_frames,
                   key_frame_index,
                   unfold_frames,
)

__all__ = [
    'clip_frame_numbers', 'fold_frames', 'key_frame_index', 'unfold_frames'
]
