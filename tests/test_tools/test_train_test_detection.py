# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A reduced Mask R-CNN with RCCA through tools/train.py and tools/test.py:
train, validate with MMDetection's CocoMetric (box and mask AP), save,
resume, test, on the generated instance benchmark."""
import importlib.util
import re

import pytest
from mmengine.config import Config

from runner_utils import CONFIGS, run_tool

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec('mmdet') is None,
        reason='MMDetection is not installed (extra det or onedl-det)')
]
CONFIG = CONFIGS / 'ccnet_coco' / \
    'mask-rcnn_r18-rcca_fpn_1xb4-1k_cc-instances-128x128.py'


def tiny_config(tmp_path, max_iters):
    """The config on 8 + 4 generated images, with fewer proposals."""
    cfg = Config.fromfile(CONFIG)
    data_root = f'{tmp_path}/data/'
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].batch_size = 2
        cfg[name].dataset.update(data_root=data_root, num_train=8, num_val=4)
    for name in ('val_evaluator', 'test_evaluator'):
        cfg[name].ann_file = data_root + 'annotations/instances_val.json'
    cfg.model.train_cfg.rpn_proposal.max_per_img = 100
    cfg.model.train_cfg.rcnn.sampler.num = 32
    cfg.train_cfg.update(max_iters=max_iters, val_interval=2)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(tmp_path / 'work_dir')
    path = tmp_path / f'config_{max_iters}.py'
    cfg.dump(str(path))
    return path


def test_train_validate_resume_test(tmp_path):
    log = run_tool('train.py', tiny_config(tmp_path, 2))
    assert 'Iter(train) [2/2]' in log
    assert re.search(r'coco/bbox_mAP: \d', log)
    assert re.search(r'coco/segm_mAP: \d', log)
    work_dir = tmp_path / 'work_dir'
    log = run_tool('train.py', tiny_config(tmp_path, 4), '--resume')
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [4/4]' in log and 'Iter(train) [1/4]' not in log
    log = run_tool('test.py', tiny_config(tmp_path, 4),
                   work_dir / 'iter_4.pth')
    assert 'Iter(test) [2/2]' in log
    assert re.search(r'coco/segm_mAP: \d', log)
