# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .clip import (
    clip_frame_numbers,
    key_frame_index,
    key_frames,
    unflatten_clips,
)
from .flip_pairs import (
    MIRRORING_DIRECTIONS,
    LabelPairs,
    pair_permutation,
    resolve_flip_pairs,
    swap_label_pairs,
)
from .level_maps import level_map_path

__all__ = [
    'MIRRORING_DIRECTIONS', 'LabelPairs', 'clip_frame_numbers',
    'key_frame_index', 'key_frames', 'level_map_path', 'pair_permutation',
    'resolve_flip_pairs', 'swap_label_pairs', 'unflatten_clips'
]
