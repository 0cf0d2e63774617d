# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The embedded benchmarks: datasets generated into their folder on first
use, whose labels need context that a local model cannot see.

:mod:`.context_layout` draws the images of :class:`CrissCrossContextDataset`
(evidence on a pixel's row or off its row and column),
:mod:`.video_layout` the sequences of :class:`CrissCrossVideoDataset`
(evidence in another frame); :mod:`.generation` writes them once and
atomically.
"""
from .cc_context import CrissCrossContextDataset
from .cc_video import CrissCrossVideoDataset

__all__ = ['CrissCrossContextDataset', 'CrissCrossVideoDataset']
