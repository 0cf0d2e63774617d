# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Two processes on CPU (gloo, loopback), launched by tools/dist_train.sh
(torchrun, ``--launcher pytorch``), train exactly as one process with the
same global batch.

The model has GroupNorm instead of (Sync)BN and no dropout, the pipeline no
random augmentation, and the sampler does not shuffle, so the only
difference between the runs is where the gradient of the global batch is
summed: within one process, or as two half-batch gradients all-reduced by
DDP, and the loss is the mean of two half-batch means instead of one mean.
That changes float32 rounding only. Measured: the weights after each of the
3 iterations agree to 3e-8 (tolerance 1e-6), the losses (about 3.6) to a
relative 7e-8 (tolerance 1e-6, about 10 float32 roundings), while one SGD
step (constant lr 0.01) moves the weights by 2.7e-3, so the comparison
would catch a missing or doubled gradient, a wrong batch or a wrong lr.
"""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from runner_utils import (
    CONFIGS,
    make_tiny_cityscapes,
    run_distributed,
    run_tool,
    shrink_cc_context_config,
    shrink_config,
)
from tiny_configs import tiny_ccnet

# every test here starts processes
pytestmark = pytest.mark.slow

ITERS = 3
TOLERANCE = 1e-6


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_tiny_cityscapes(
        str(tmp_path_factory.mktemp('cityscapes')), num_train=12)


def deterministic_config(data_root: str, work_dir: Path,
                         batch_per_process: int) -> Path:
    cfg = Config.fromfile(CONFIGS / 'ccnet' /
                          'ccnet_r50-d8_4xb2-40k_cityscapes-512x1024.py')
    tiny_ccnet(cfg, norm_cfg=dict(type='GN', num_groups=4))
    cfg.model.decode_head.dropout_ratio = 0.
    cfg.model.auxiliary_head.dropout_ratio = 0.
    shrink_config(cfg, data_root, str(work_dir), max_iters=ITERS)
    cfg.train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    cfg.train_dataloader.update(
        batch_size=batch_per_process,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(pipeline=cfg.train_pipeline))
    cfg.train_cfg.val_interval = ITERS + 1  # no validation
    cfg.param_scheduler = []  # a constant lr: every step moves the weights
    cfg.default_hooks.checkpoint.update(interval=1, save_best=None)
    cfg.custom_imports.imports.append('loss_recorder')
    cfg.custom_hooks = [
        *cfg.get('custom_hooks', []),
        dict(type='GlobalLossRecorder', out_file=str(work_dir / 'loss.json'))
    ]
    cfg.randomness = dict(seed=0)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    config = work_dir.with_suffix('.py')
    cfg.dump(str(config))
    return config


def results(output: str, work_dir: Path) -> tuple:
    """The log, global-batch losses and weights after each iteration."""
    losses = [
        json.loads(line)['loss']
        for line in (work_dir / 'loss.json').read_text().splitlines()
    ]
    weights = [
        torch.load(work_dir / f'iter_{i}.pth', map_location='cpu')
        ['state_dict'] for i in range(1, ITERS + 1)
    ]
    return output, losses, weights


def run(data_root, tmp_path, name, processes, batch_per_process):
    work_dir = tmp_path / name
    config = deterministic_config(data_root, work_dir, batch_per_process)
    if processes == 1:
        return results(run_tool('train.py', config), work_dir)
    result = run_distributed('dist_train.sh', config, processes)
    assert result.returncode == 0, result.output[-4000:]
    return results(result.output, work_dir)


def max_difference(weights, others):
    assert weights.keys() == others.keys()
    return max((weights[key] - others[key]).abs().max().item()
               for key in weights)


def test_two_processes_train_as_one(data_root, tmp_path):
    _, one_losses, one_weights = run(data_root, tmp_path, 'one', 1, 2)
    log, two_losses, two_weights = run(data_root, tmp_path, 'two', 2, 1)
    # mmengine's summary; "GPU number" is its name for the world size
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "type='CPUDistributedDataParallel'" in log
    assert len(one_losses) == len(two_losses) == ITERS
    assert one_losses == pytest.approx(two_losses, rel=TOLERANCE)
    for one, two in zip(one_weights, two_weights):
        assert max_difference(one, two) < TOLERANCE
    # the comparison can fail: one SGD step is far beyond the tolerance
    for before, after in zip(one_weights, one_weights[1:]):
        assert max_difference(before, after) > 100 * TOLERANCE


def test_main_config_trains_validates_and_tests_in_two_processes(tmp_path):
    """Every hook of the main config (PredictionPanelsHook among them) runs
    on both ranks: train with validation, save, then test."""
    cfg = Config.fromfile(CONFIGS / 'cc_context' /
                          'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py')
    shrink_cc_context_config(cfg, str(tmp_path / 'data'), max_iters=4)
    cfg.train_cfg.val_interval = 2
    cfg.work_dir = str(tmp_path / 'work_dir')
    config = tmp_path / 'main.py'
    cfg.dump(str(config))
    result = run_distributed('dist_train.sh', config, 2)
    assert result.returncode == 0, result.output[-4000:]
    assert result.output.count('Iter(val) [1/1]') == 4  # 2 runs x 2 ranks
    assert 'global.aAcc' in result.output
    result = run_distributed('dist_test.sh', config,
                             tmp_path / 'work_dir' / 'iter_4.pth', 2)
    assert result.returncode == 0, result.output[-4000:]
    assert 'Iter(test) [1/1]' in result.output
    panels = sorted((tmp_path / 'work_dir').glob('*/panels/*.png'))
    # the main process draws its share of the 8 validation images
    assert {p.name for p in panels} == {f'{i:05d}.png' for i in (0, 2, 4, 6)}
