# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import os
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmseg.registry import DATASETS

from mmseg_ccnet.datasets.base_clip_dataset import parse_frame_name

LABELLED = {
    'seqA_000000': 0,
    'seqA_000005': 5,
    'seqA_000009': 9,
    'seqB_f00003': 3
}
FRAMES = {'seqA': range(10), 'seqB': range(2, 5)}


@pytest.fixture
def data_root(tmp_path):
    """Two sequences; every frame's pixels hold its frame number."""
    for sequence, numbers in FRAMES.items():
        for number in numbers:
            mmcv.imwrite(
                np.full((4, 6, 3), number, np.uint8),
                str(tmp_path / 'frame_dir' / sequence /
                    f'{sequence}_{number:06d}.png'))
    for name, number in LABELLED.items():
        mmcv.imwrite(
            np.full((4, 6, 3), 100 + number, np.uint8),
            str(tmp_path / 'img_dir' / 'train' / f'{name}.png'))
        mmcv.imwrite(
            np.zeros((4, 6), np.uint8),
            str(tmp_path / 'ann_dir' / 'train' / f'{name}.png'))
    return tmp_path


def build(data_root, **kwargs):
    return DATASETS.build(
        dict(
            type='BaseClipDataset',
            data_root=str(data_root),
            data_prefix=dict(
                img_path='img_dir/train',
                seg_map_path='ann_dir/train',
                frame_path='frame_dir'),
            img_suffix='.png',
            seg_map_suffix='.png',
            metainfo=dict(classes=('a', 'b')),
            **kwargs))


def clip_names(dataset):
    return {
        Path(info['img_path']).stem:
        [Path(p).stem for p in info['clip_paths']]
        for info in (dataset.get_data_info(i) for i in range(len(dataset)))
    }


def test_clips_clamped_at_sequence_ends_key_frame_is_the_label(data_root):
    clips = clip_names(build(data_root, num_frames=5, frame_stride=2))
    assert clips == {
        'seqA_000000': ['seqA_000000'] * 3 + ['seqA_000002', 'seqA_000004'],
        'seqA_000005': [
            'seqA_000001', 'seqA_000003', 'seqA_000005', 'seqA_000007',
            'seqA_000009'
        ],
        'seqA_000009': ['seqA_000005', 'seqA_000007'] + ['seqA_000009'] * 3,
        'seqB_f00003': [
            'seqB_000002', 'seqB_000002', 'seqB_f00003', 'seqB_000004',
            'seqB_000004'
        ],
    }
    dataset = build(data_root, num_frames=5, frame_stride=2)
    info = dataset.get_data_info(1)
    assert info['clip_paths'][2] == info['img_path']  # the labelled image
    assert 'img_dir' in info['clip_paths'][2]


def test_clip_through_the_pipeline(data_root):
    dataset = build(
        data_root,
        num_frames=3,
        pipeline=[
            dict(type='LoadClipFromFiles'),
            dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')
        ])
    sample = dataset[1]  # seqA_000005: frames 4, key (105), 6
    inputs = sample['inputs']
    assert tuple(inputs.shape) == (9, 4, 6)
    assert inputs[::3, 0, 0].tolist() == [4, 105, 6]
    assert sample['data_samples'].img_path.endswith('seqA_000005.png')


def test_single_frame_clips_need_no_frames(data_root):
    for folder in (data_root / 'frame_dir').rglob('*.png'):
        folder.unlink()
    clips = clip_names(build(data_root))
    assert all(clip == [name] for name, clip in clips.items())


def test_sequence_reaches_a_labelled_frame_beyond_its_frames(data_root):
    mmcv.imwrite(
        np.full((4, 6, 3), 106, np.uint8),
        str(data_root / 'img_dir' / 'train' / 'seqB_f00006.png'))
    mmcv.imwrite(
        np.zeros((4, 6), np.uint8),
        str(data_root / 'ann_dir' / 'train' / 'seqB_f00006.png'))
    clips = clip_names(build(data_root, num_frames=5, frame_stride=2))
    assert clips['seqB_f00006'] == [
        'seqB_000002', 'seqB_000004', 'seqB_f00006', 'seqB_f00006',
        'seqB_f00006'
    ]
    assert clips['seqB_f00003'] == [
        'seqB_000002', 'seqB_000002', 'seqB_f00003', 'seqB_000004',
        'seqB_000004'
    ]


def test_missing_frame_is_reported(data_root):
    os.remove(data_root / 'frame_dir' / 'seqA' / 'seqA_000007.png')
    with pytest.raises(
            FileNotFoundError, match=r'seqA_000005.png needs frames \[7\]'):
        build(data_root, num_frames=5, frame_stride=2)


@pytest.mark.parametrize('name, expected', [
    ('0001TP_006690.png', ('0001TP', 6690)),
    ('Seq05VD_f00030.png', ('Seq05VD', 30)),
    ('0016E5_07959.png', ('0016E5', 7959)),
    ('a_b_12', ('a_b', 12)),
])
def test_parse_frame_name(name, expected):
    assert parse_frame_name(name) == expected


@pytest.mark.parametrize('name', ['0001TP.png', 'seq_12a.png', 'seq_.png'])
def test_bad_frame_name(name):
    with pytest.raises(ValueError, match='<sequence>_<frame number>'):
        parse_frame_name(name)


@pytest.mark.parametrize('kwargs', [dict(num_frames=0), dict(frame_stride=0)])
def test_bad_clip_settings(data_root, kwargs):
    with pytest.raises(ValueError, match='must be >= 1'):
        build(data_root, **kwargs)
