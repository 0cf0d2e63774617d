# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch

from mmseg_ccnet.utils import (
    clip_frame_numbers,
    key_frame_index,
    key_frames,
    unflatten_clips,
)


@pytest.mark.parametrize('num_frames, key', [(1, 0), (2, 1), (3, 1), (4, 2),
                                             (5, 2)])
def test_key_frame_is_the_middle(num_frames, key):
    assert key_frame_index(num_frames) == key


@pytest.mark.parametrize('key, stride, expected', [
    (5, 1, [3, 4, 5, 6, 7]),
    (5, 2, [1, 3, 5, 7, 9]),
    (0, 2, [0, 0, 0, 2, 4]),  # sequence start: the first frame repeats
    (1, 1, [0, 0, 1, 2, 3]),
    (9, 2, [5, 7, 9, 9, 9]),  # sequence end: the last frame repeats
    (8, 3, [2, 5, 8, 9, 9]),
])
def test_clip_frame_numbers_clamped_at_sequence_ends(key, stride, expected):
    numbers = clip_frame_numbers(key, 0, 9, 5, stride)
    assert numbers == expected
    assert numbers[key_frame_index(5)] == key


def test_clip_of_a_one_frame_sequence_repeats_it():
    assert clip_frame_numbers(7, 7, 7, 3, 4) == [7, 7, 7]


def test_even_clip_length_has_one_more_frame_before_the_key():
    assert clip_frame_numbers(10, 0, 20, 4, 1) == [8, 9, 10, 11]


@pytest.mark.parametrize('args, message', [
    ((10, 0, 9, 3, 1), 'outside its sequence'),
    ((5, 0, 9, 3, 0), 'stride'),
    ((5, 0, 9, 0, 1), 'at least one frame'),
])
def test_clip_frame_numbers_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        clip_frame_numbers(*args)


def test_unflatten_clips_and_key_frames_are_views_of_the_batch():
    frames = torch.randn(8, 3, 5, 6)  # 2 clips of 4 frames, clip-major
    clips = unflatten_clips(frames, 4)
    assert clips.shape == (2, 4, 3, 5, 6)
    assert clips.data_ptr() == frames.data_ptr()
    torch.testing.assert_close(clips[1, 2], frames[1 * 4 + 2])
    keys = key_frames(frames, 4)
    assert keys.shape == (2, 3, 5, 6)
    torch.testing.assert_close(keys, frames[[2, 6]])
    with pytest.raises(ValueError, match='a batch of 8 frames is not made '
                       'of clips of num_frames=3 frames'):
        unflatten_clips(frames, 3)
