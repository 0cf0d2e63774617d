# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Conventions of video clips, shared by the datasets and the models.

A *clip* is ``T`` frames of one video sequence around a labelled frame, the
*key frame*. Frame ``k`` of a clip is the sequence frame
``key + (k - T // 2) * stride``, clamped to the sequence, so the key frame
sits at index ``T // 2`` of every clip (:func:`key_frame_index`), also at the
ends of a sequence, where the first or last frame repeats.

Inside the models the frames of clips stay folded into the batch,
clip-major: (B * T, C, H, W), frame t of clip b at row ``b * T + t``, so
every frame-by-frame layer sees an ordinary batch; :func:`unflatten_clips`
views such a batch as (B, T, ...) clips and :func:`key_frames` picks the
key frame of each.
"""
from typing import List

import torch


def key_frame_index(num_frames: int) -> int:
    """Index of the labelled frame in a clip of ``num_frames`` frames.

    Args:
        num_frames (int): Clip length T (>= 1).

    Returns:
        int: ``T // 2``.
    """
    if num_frames < 1:
        raise ValueError(f'a clip needs at least one frame, got {num_frames}')
    return num_frames // 2


def clip_frame_numbers(key: int, first: int, last: int, num_frames: int,
                       stride: int) -> List[int]:
    """Frame numbers of the clip around a key frame, clamped to a sequence.

    Args:
        key (int): Frame number of the key frame.
        first (int): First frame number of its sequence.
        last (int): Last frame number of its sequence.
        num_frames (int): Clip length T (>= 1).
        stride (int): Frame numbers between neighbouring clip frames (>= 1).

    Returns:
        list[int]: T frame numbers; entry ``k`` is
        ``key + (k - T // 2) * stride`` clamped to ``[first, last]``.
    """
    if not first <= key <= last:
        raise ValueError(f'key frame {key} outside its sequence '
                         f'[{first}, {last}]')
    if stride < 1:
        raise ValueError(f'frame stride must be >= 1, got {stride}')
    centre = key_frame_index(num_frames)
    return [
        min(max(key + (index - centre) * stride, first), last)
        for index in range(num_frames)
    ]


def unflatten_clips(frames: torch.Tensor, num_frames: int) -> torch.Tensor:
    """View a batch of frames as clips.

    Args:
        frames (Tensor): Frames of clips folded into the batch, clip-major
            (frame t of clip b is row ``b * T + t``), of shape (B * T, ...).
        num_frames (int): Frames T per clip.

    Returns:
        Tensor: A view of shape (B, T, ...).

    Raises:
        ValueError: If the batch is not a multiple of ``num_frames``.
    """
    batch_size = frames.size(0)
    if batch_size % num_frames:
        raise ValueError(f'a batch of {batch_size} frames is not made of '
                         f'clips of num_frames={num_frames} frames (expected '
                         '(B * T, ...), clip-major)')
    return frames.unflatten(0, (batch_size // num_frames, num_frames))


def key_frames(frames: torch.Tensor, num_frames: int) -> torch.Tensor:
    """The key frame of every clip in a batch of frames.

    Args:
        frames (Tensor): Frames of clips folded into the batch, clip-major,
            of shape (B * T, ...).
        num_frames (int): Frames T per clip.

    Returns:
        Tensor: A view of the frames at index ``T // 2`` of each clip (see
        :func:`key_frame_index`), of shape (B, ...).
    """
    return unflatten_clips(frames, num_frames)[:, key_frame_index(num_frames)]
