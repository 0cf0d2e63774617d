# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Distributed runs without CUDA: set-up, and workers that stop or die
(2 processes on the CPU; the training itself is tested in
tests/test_tools/test_dist_train.py)."""
import datetime
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS

from http_server import free_port
from mmseg_ccnet.engine.distributed import (
    CPUDistributedDataParallel,
    Heartbeat,
    process_group_settings,
    setup_cpu_distributed,
)
from runner_utils import CONFIGS, run_distributed, shrink_cc_context_config

MAIN_CONFIG = 'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'


def test_wrapper_is_found_by_the_runner():
    assert MODEL_WRAPPERS.get(
        'CPUDistributedDataParallel') is CPUDistributedDataParallel


def test_only_torchrun_launches_are_supported():
    cfg = Config(dict(launcher='slurm', env_cfg=dict()))
    with pytest.raises(ValueError, match='only --launcher pytorch'):
        setup_cpu_distributed(cfg)


def test_single_process_group_wraps_a_cpu_model(monkeypatch):
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('WORLD_SIZE', '1')
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(free_port()))
    cfg = Config(
        dict(launcher='pytorch', env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    try:
        setup_cpu_distributed(cfg)
        assert torch.distributed.get_backend() == 'gloo'
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        assert cfg.model_wrapper_cfg.type == 'CPUDistributedDataParallel'
        model = MODEL_WRAPPERS.build(
            cfg.model_wrapper_cfg,
            default_args=dict(module=torch.nn.Linear(2, 1), device_ids=[0]))
        assert model.device_ids is None
    finally:
        Heartbeat.current.stop()
        torch.distributed.destroy_process_group()


def test_process_group_settings_follow_dist_cfg():
    settings = process_group_settings(dict(backend='nccl', timeout=7))
    assert settings == dict(backend='gloo',
                            timeout=datetime.timedelta(seconds=7))
    assert process_group_settings({}) == dict(backend='gloo')
    with pytest.raises(TypeError, match='number of seconds'):
        process_group_settings(dict(timeout='7'))


TIMEOUT = 5  # seconds, env_cfg.dist_cfg.timeout of the runs below


def faulty_config(tmp_path: Path, signal_name: str) -> Path:
    """The main config, tiny, in which rank 1 gets ``signal_name`` before
    its third training iteration."""
    cfg = Config.fromfile(CONFIGS / 'cc_context' / MAIN_CONFIG)
    shrink_cc_context_config(cfg, str(tmp_path / 'data'), max_iters=6)
    cfg.work_dir = str(tmp_path / 'work_dir')
    cfg.custom_imports.imports.append('worker_faults')
    cfg.custom_hooks.append(
        dict(type='WorkerFault', rank=1, iteration=2,
             signal_name=signal_name))
    cfg.env_cfg.dist_cfg = dict(backend='gloo', timeout=TIMEOUT)
    path = tmp_path / 'faulty.py'
    cfg.dump(str(path))
    return path


@pytest.mark.slow
def test_stopped_worker_ends_the_run_within_the_timeout_named(tmp_path):
    result = run_distributed('dist_train.sh', faulty_config(tmp_path,
                                                            'SIGSTOP'), 2,
                             timeout=240)
    assert result.returncode not in (0, -9), result.output[-3000:]
    assert 'Iter(train) [2/6]' in result.output
    assert 'Iter(train) [3/6]' not in result.output
    assert f'Timed out waiting {TIMEOUT * 1000}ms' in result.output
    assert 'DistributedFailure: rank 0 of 2 gave up: rank 1 stopped ' \
        'responding' in result.output
    # gloo's timeout, 3 s of heartbeat check, then torchrun's own grace
    # period (30 s) before it kills the stopped process
    assert result.seconds < 120


@pytest.mark.slow
def test_killed_worker_ends_the_run_named(tmp_path):
    result = run_distributed('dist_train.sh', faulty_config(tmp_path,
                                                            'SIGKILL'), 2,
                             timeout=240)
    assert result.returncode not in (0, -9), result.output[-3000:]
    assert 'Iter(train) [3/6]' not in result.output
    assert 'rank      : 1 (local_rank: 1)' in result.output
    assert 'Signal 9 (SIGKILL) received' in result.output
    assert result.seconds < 120
