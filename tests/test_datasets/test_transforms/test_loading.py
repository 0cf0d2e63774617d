# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import mmcv
import numpy as np
import pytest
from mmseg.registry import TRANSFORMS


def write_frames(folder, count, shape=(6, 8)):
    """``count`` random BGR frames as PNG files; returns paths and arrays."""
    rng = np.random.default_rng(0)
    frames = [
        rng.integers(0, 256, (*shape, 3), dtype=np.uint8) for _ in range(count)
    ]
    paths = [str(folder / f'seq_{index:02d}.png') for index in range(count)]
    for path, frame in zip(paths, frames):
        mmcv.imwrite(frame, path)
    return paths, frames


def test_frames_stacked_in_order(tmp_path):
    paths, frames = write_frames(tmp_path, 3)
    results = TRANSFORMS.build(dict(type='LoadClipFromFiles')).transform(
        dict(
            img_path=paths[1],
            clip_paths=[paths[0], paths[1], paths[2], paths[2]]))
    assert results['img'].shape == (6, 8, 12)
    for index, frame in enumerate([*frames, frames[2]]):
        np.testing.assert_array_equal(
            results['img'][..., 3 * index:3 * index + 3], frame)
    assert results['img_shape'] == results['ori_shape'] == (6, 8)
    assert results['img_path'] == paths[1]


def test_loading_options_apply_to_every_frame(tmp_path):
    paths, frames = write_frames(tmp_path, 2)
    results = TRANSFORMS.build(
        dict(
            type='LoadClipFromFiles', to_float32=True,
            color_type='grayscale')).transform(dict(clip_paths=paths))
    assert results['img'].shape == (6, 8, 2)
    assert results['img'].dtype == np.float32


def test_frames_of_different_sizes_rejected(tmp_path):
    paths, _ = write_frames(tmp_path, 1)
    other, _ = write_frames(tmp_path / '..', 1, shape=(5, 8))
    with pytest.raises(ValueError, match='differ in shape') as error:
        TRANSFORMS.build(dict(type='LoadClipFromFiles')).transform(
            dict(clip_paths=paths + other))
    assert f"'{paths[0]}': (6, 8, 3)" in str(error.value)
    assert f"'{other[0]}': (5, 8, 3)" in str(error.value)


def test_missing_frame(tmp_path):
    paths, _ = write_frames(tmp_path, 1)
    missing = str(tmp_path / 'seq_09.png')
    load = TRANSFORMS.build(dict(type='LoadClipFromFiles'))
    with pytest.raises(FileNotFoundError):
        load.transform(dict(clip_paths=paths + [missing]))
    load = TRANSFORMS.build(dict(type='LoadClipFromFiles', ignore_empty=True))
    assert load.transform(dict(clip_paths=paths + [missing])) is None
