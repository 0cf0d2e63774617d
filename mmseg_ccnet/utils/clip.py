# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Conventions of video clips, shared by the datasets and the models.

A *clip* is ``T`` frames of one video sequence around a labelled frame, the
*key frame*. Frame ``k`` of a clip is the sequence frame
``key + (k - T // 2) * stride``, clamped to the sequence, so the key frame
sits at index ``T // 2`` of every clip (:func:`key_frame_index`), also at the
ends of a sequence, where the first or last frame repeats.

Inside the models a clip's features are 5D, (B, C, T, H, W); convolutions
that work frame by frame see the frames as a batch, (B * T, C, H, W), and
:func:`fold_frames` / :func:`unfold_frames` convert between the two.
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


def fold_frames(clips: torch.Tensor) -> torch.Tensor:
    """Move the frames of clips into the batch.

    Args:
        clips (Tensor): Clip features of shape (B, C, T, H, W).

    Returns:
        Tensor: Frame features of shape (B * T, C, H, W), clip-major.
    """
    return clips.transpose(1, 2).flatten(0, 1)


def unfold_frames(frames: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Group a batch of frames into clips (inverse of :func:`fold_frames`).

    Args:
        frames (Tensor): Frame features of shape (B * T, C, H, W),
            clip-major.
        num_frames (int): Clip length T.

    Returns:
        Tensor: Clip features of shape (B, C, T, H, W).
    """
    if frames.size(0) % num_frames:
        raise ValueError(f'{frames.size(0)} frames do not make clips of '
                         f'{num_frames} frames')
    return frames.unflatten(0, (-1, num_frames)).transpose(1, 2)
