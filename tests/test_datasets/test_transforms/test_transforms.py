# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Clips through MMSegmentation's own transforms: every frame is transformed
exactly as the key frame and its label are."""
import mmcv
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmseg.registry import TRANSFORMS

AUGMENT = [
    dict(
        type='RandomResize',
        scale=(40, 30),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=(24, 24), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
]
PHOTOMETRIC = dict(type='PhotoMetricDistortion')


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """Three different frames, a label, and their files."""
    folder = tmp_path_factory.mktemp('clip')
    rng = np.random.default_rng(0)
    frames = [
        rng.integers(0, 256, (30, 40, 3), dtype=np.uint8) for _ in range(3)
    ]
    label = np.repeat(np.arange(8, dtype=np.uint8), 5)[None].repeat(30, 0)
    paths = [str(folder / f'seq_{index}.png') for index in range(3)]
    for path, frame in zip(paths, frames):
        mmcv.imwrite(frame, path)
    mmcv.imwrite(label, str(folder / 'label.png'))
    return paths, str(folder / 'label.png')


def run(pipeline, seed, **results):
    np.random.seed(seed)
    return Compose(pipeline)(
        dict(results, seg_fields=[], reduce_zero_label=False))


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('photometric', [False, True])
def test_every_frame_gets_the_transforms_of_the_key_frame(
        clip, seed, photometric):
    """Each frame of the transformed clip equals that frame transformed as
    an image with the same random draws: same scale, crop, flip (and
    photometric distortion), as the label."""
    paths, label_path = clip
    clip_pipeline = [
        dict(type='LoadClipFromFiles'),
        dict(type='LoadAnnotations'), *AUGMENT
    ] + ([dict(type='ClipPhotoMetricDistortion')] if photometric else [])
    image_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'), *AUGMENT
    ] + ([PHOTOMETRIC] if photometric else [])
    out = run(clip_pipeline, seed, img_path=paths[1], clip_paths=paths,
              seg_map_path=label_path)
    assert out['img'].shape[2] == 9
    for index, path in enumerate(paths):
        expected = run(image_pipeline, seed, img_path=path,
                       seg_map_path=label_path)
        np.testing.assert_array_equal(out['img'][..., 3 * index:3 * index + 3],
                                      expected['img'])
        np.testing.assert_array_equal(out['gt_seg_map'],
                                      expected['gt_seg_map'])
        assert out['flip'] == expected['flip']
        assert out['img_shape'] == expected['img_shape']


def test_the_seeds_scale_crop_and_flip(clip):
    """The seeds above draw different scales and crops, with and without
    flip (else the test above would prove little)."""
    paths, label_path = clip
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
    outs = [
        run(pipeline + AUGMENT, seed, img_path=paths[0],
            seg_map_path=label_path) for seed in range(6)
    ]
    assert {out['flip'] for out in outs} == {True, False}
    assert len({out['scale'] for out in outs}) == 6


def test_photometric_distortion_is_the_same_for_every_frame():
    frame = np.random.default_rng(1).integers(0, 256, (8, 8, 3), np.uint8)
    np.random.seed(3)
    out = TRANSFORMS.build(dict(type='ClipPhotoMetricDistortion')).transform(
        dict(img=np.dstack([frame] * 4)))['img']
    assert not np.array_equal(out[..., :3], frame)
    for index in range(1, 4):
        np.testing.assert_array_equal(out[..., 3 * index:3 * index + 3],
                                      out[..., :3])


def test_photometric_distortion_needs_colour_frames():
    with pytest.raises(ValueError, match=r'\(H, W, T \* 3\)'):
        TRANSFORMS.build(dict(type='ClipPhotoMetricDistortion')).transform(
            dict(img=np.zeros((4, 4, 4), np.uint8)))
