# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""End to end through tools/train.py and tools/test.py (mmengine Runner).

Each config is reduced to tiny generated Cityscapes-layout images and a few
iterations: train with validation (mmseg's IoUMetric), save, resume, test.
"""
from pathlib import Path

import pytest
from mmengine.config import Config

from runner_utils import (
    CONFIGS,
    make_tiny_cityscapes,
    run_tool,
    shrink_config,
    small_resnet,
)

# every test here starts processes
pytestmark = pytest.mark.slow

SYNCBN_REVERTED = 'all SyncBatchNorm (SyncBN) layers in the model will be ' \
    'automatically reverted to BatchNormXd'


CASES = {
    'ccnet': ('ccnet/ccnet_r50-d8_4xb2-40k_cityscapes-512x1024.py',
              small_resnet),
    'ccnet-769-slide': ('ccnet/ccnet_r50-d8_4xb2-40k_cityscapes-769x769.py',
                        small_resnet),
    'swap-pspnet-r18':
    ('swap/pspnet-r18-d8_cchead_4xb2-80k_cityscapes-512x1024.py', None),
    'swap-mobilenet-v2':
    ('swap/mobilenet-v2-d8_cchead_4xb2-80k_cityscapes-512x1024.py', None),
}


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_tiny_cityscapes(str(tmp_path_factory.mktemp('cityscapes')))


@pytest.mark.parametrize('case', list(CASES))
def test_train_validate_resume_test(case, data_root, tmp_path):
    config, reduce = CASES[case]
    cfg = Config.fromfile(CONFIGS / config)
    if reduce is not None:
        reduce(cfg)
    work_dir = tmp_path / 'work'
    shrink_config(cfg, data_root, str(work_dir))
    config_file = tmp_path / 'config.py'
    cfg.dump(str(config_file))

    log = run_tool('train.py', str(config_file))
    assert SYNCBN_REVERTED in log
    assert 'Iter(val) [2/2]' in log and 'mIoU' in log
    assert (work_dir / 'iter_4.pth').is_file()
    assert list(work_dir.glob('best_mIoU_iter_*.pth'))

    log = run_tool('train.py', str(config_file), '--resume', '--cfg-options',
                   'train_cfg.max_iters=6', 'param_scheduler.0.end=6')
    assert f'Auto resumed from the latest checkpoint {work_dir}' in log
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/' not in log
    assert (work_dir / 'iter_6.pth').is_file()

    out_dir = tmp_path / 'predictions'
    log = run_tool('test.py', str(config_file), str(work_dir / 'iter_6.pth'),
                   '--work-dir', str(tmp_path / 'test'), '--out',
                   str(out_dir))
    assert 'Iter(test) [2/2]' in log and 'mIoU' in log
    assert len(list(Path(out_dir).glob('*.png'))) == 2
