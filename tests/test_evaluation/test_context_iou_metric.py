# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import mmcv
import numpy as np
import pytest
import torch

from mmseg_ccnet.evaluation import ContextIoUMetric


def sample(tmp_path, name, pred, label, level):
    label = np.asarray(label)
    img_path = tmp_path / 'img_dir' / 'val' / name
    mmcv.imwrite(np.zeros((*label.shape, 3), np.uint8), str(img_path))
    mmcv.imwrite(
        np.asarray(level, np.uint8),
        str(tmp_path / 'level_dir' / 'val' / name))
    return dict(
        img_path=str(img_path),
        pred_sem_seg=dict(data=torch.tensor(pred)[None]),
        gt_sem_seg=dict(data=torch.from_numpy(label)[None]))


def test_scores_each_level_on_its_own_pixels(tmp_path):
    metric = ContextIoUMetric(
        level_names=('local', 'far'), iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=('bg', 'a', 'b'))
    label = [[0, 0, 1, 1], [0, 255, 2, 2]]
    level = [[0, 0, 1, 1], [0, 0, 1, 1]]
    pred = [[0, 1, 1, 2], [0, 0, 2, 0]]
    metric.process({}, [sample(tmp_path, 'x.png', pred, label, level)])
    result = metric.evaluate(1)
    # local pixels: labels 0,0,0 (255 ignored); predictions 0,1,0
    assert result['local.aAcc'] == pytest.approx(200 / 3, abs=0.01)
    assert result['local.mIoU'] == pytest.approx(200 / 3, abs=0.01)
    # far pixels: labels 1,1,2,2; predictions 1,2,2,0
    assert result['far.aAcc'] == pytest.approx(50.0)
    # IoU(a) = 1/2 (pred a on 1, label a on 2); IoU(b) = 1/3
    assert result['far.mIoU'] == pytest.approx((50 + 100 / 3) / 2, abs=0.01)
    # the overall metrics of IoUMetric are still there
    assert result['aAcc'] == pytest.approx(100 * 4 / 7, abs=0.01)


def test_level_maps_in_the_folders_it_is_given(tmp_path):
    metric = ContextIoUMetric(
        level_names=('local', ),
        img_dir='images',
        level_dir='levels',
        iou_metrics=['mIoU'])
    metric.dataset_meta = dict(classes=('bg', 'a'))
    data = sample(tmp_path, 'x.png', [[0, 0], [1, 1]], [[0, 1], [1, 1]],
                  [[0, 0], [0, 0]])
    (tmp_path / 'img_dir').rename(tmp_path / 'images')
    (tmp_path / 'level_dir').rename(tmp_path / 'levels')
    data['img_path'] = str(tmp_path / 'images' / 'val' / 'x.png')
    metric.process({}, [data])
    assert metric.evaluate(1)['local.aAcc'] == pytest.approx(75.0)


def test_needs_labels():
    with pytest.raises(ValueError, match='needs labels'):
        ContextIoUMetric(level_names=('a', ), format_only=True)
