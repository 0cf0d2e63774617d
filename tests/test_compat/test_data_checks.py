# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Bad data is named, for MMSegmentation's own datasets, transforms and
metrics as any config builds them."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmseg.evaluation import IoUMetric
from mmseg.registry import DATASETS

from mmseg_ccnet.compat import data_checks
from runner_utils import make_tiny_cityscapes, run_tool
from user_configs import write_user_config

TRAIN_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 32), keep_ratio=True),
    dict(type='LoadAnnotations')
]


def cityscapes(data_root, split='train', pipeline=()):
    return DATASETS.build(
        dict(
            type='CityscapesDataset',
            data_root=str(data_root),
            data_prefix=dict(
                img_path=f'leftImg8bit/{split}',
                seg_map_path=f'gtFine/{split}'),
            pipeline=list(pipeline)))


def test_empty_split_names_the_folder_and_suffix(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        cityscapes(tmp_path)
    assert str(error.value).startswith(
        "CityscapesDataset found no samples: no '*_leftImg8bit.png' images "
        f'in {tmp_path}/leftImg8bit/train, a folder that does not exist '
        f"(labels: '*_gtFine_labelTrainIds.png' in {tmp_path}/gtFine/train)")
    (tmp_path / 'leftImg8bit' / 'train' / 'city').mkdir(parents=True)
    mmcv.imwrite(np.zeros((4, 4, 3), np.uint8),
                 str(tmp_path / 'leftImg8bit' / 'train' / 'city' / 'a.jpg'))
    with pytest.raises(ValueError, match='no .*_leftImg8bit.png. images in '
                       f'{tmp_path}/leftImg8bit/train \\(labels'):
        cityscapes(tmp_path)


@pytest.fixture
def mismatched_root(tmp_path):
    """A tiny Cityscapes whose first validation label is 8 pixels too
    narrow, and so is the first training label."""
    root = make_tiny_cityscapes(str(tmp_path / 'cityscapes'))
    for split in ('train', 'val'):
        path = osp.join(root, 'gtFine', split, 'city',
                        'city_000000_000019_gtFine_labelTrainIds.png')
        label = mmcv.imread(path, flag='unchanged')
        mmcv.imwrite(label[:, :-8], path)
    return root


@pytest.mark.parametrize('split, pipeline', [('train', TRAIN_PIPELINE),
                                             ('val', TEST_PIPELINE)])
def test_label_of_another_size_names_both_files(mismatched_root, split,
                                                pipeline):
    dataset = cityscapes(mismatched_root, split, pipeline)
    with pytest.raises(ValueError) as error:
        dataset[0]
    image = osp.join(mismatched_root, 'leftImg8bit', split, 'city',
                     'city_000000_000019_leftImg8bit.png')
    label = osp.join(mismatched_root, 'gtFine', split, 'city',
                     'city_000000_000019_gtFine_labelTrainIds.png')
    assert str(error.value).startswith(
        f'label map {label} is 32x40 (HxW) but its image {image} is 32x48')
    assert dataset[1]['gt_seg_map'].shape == (32, 48)


@pytest.mark.slow
def test_label_of_another_size_stops_a_training_run_by_name(
        mismatched_root, tmp_path):
    config = write_user_config(tmp_path, mismatched_root)
    with pytest.raises(AssertionError, match='label map .*city_000000_000019'
                       '_gtFine_labelTrainIds.png is 32x40'):
        run_tool('train.py', config, '--work-dir', tmp_path / 'work_dir')


def sample(label, path='a.png'):
    label = torch.as_tensor(label)[None]
    return dict(
        pred_sem_seg=dict(data=torch.zeros_like(label)),
        gt_sem_seg=dict(data=label),
        seg_map_path=path)


def test_out_of_range_labels_are_reported_with_count_values_file(
        monkeypatch):
    messages = []
    monkeypatch.setattr(data_checks, 'print_log',
                        lambda message, **kwargs: messages.append(message))
    metric = IoUMetric()
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd', 'e'))
    label = np.zeros((4, 4), np.int64)
    label[0, :3] = 200
    label[1, 0] = 7
    label[2, :] = 255  # ignore_index: fine
    metric.process({}, [sample(label, 'ann/bad.png'), sample(label * 0)])
    out = '\n'.join(messages)
    assert ('ann/bad.png: 4 pixels have labels (7, 200) outside [0, 5) '
            'that are not ignore_index=255') in out
    assert 'a.png' not in out
    assert len(metric.results) == 2  # the scores are computed as before


def broken_file(tmp_path, kind):
    """A file of ``kind``: empty, RGB label, 16-bit label 256-260."""
    path = tmp_path / f'{kind}.png'
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'rgb':
        mmcv.imwrite(np.zeros((4, 6, 3), np.uint8), str(path))
    else:
        values = np.arange(256, 280, dtype=np.uint16).reshape(4, 6)
        mmcv.imwrite(values, str(path))
    return str(path)


@pytest.mark.parametrize('kind, message', [
    ('empty', r'cannot be read: it is empty \(0 bytes\)'),
    ('rgb', r'has shape \(4, 6, 3\): 3 channels'),
    ('16bit', 'is a 16-bit PNG with values up to 279'),
])
@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_broken_label_map_is_named(tmp_path, kind, message, backend):
    from mmseg.datasets.transforms import LoadAnnotations
    path = broken_file(tmp_path, kind)
    load = LoadAnnotations(imdecode_backend=backend)
    with pytest.raises(ValueError, match=f'label map {path} {message}'):
        load(dict(seg_map_path=path, seg_fields=[], reduce_zero_label=False))


def test_broken_image_is_named(tmp_path):
    from mmcv.transforms import LoadImageFromFile
    path = broken_file(tmp_path, 'empty')
    with pytest.raises(ValueError,
                       match=f'image {path} cannot be read: it is empty'):
        LoadImageFromFile()(dict(img_path=path))
    garbage = tmp_path / 'garbage.jpg'
    garbage.write_bytes(b'not an image at all')
    with pytest.raises(ValueError, match=f'image {garbage} cannot be read: '
                       'it cannot be decoded'):
        LoadImageFromFile()(dict(img_path=str(garbage)))
    with pytest.raises(FileNotFoundError):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'missing.png')))
