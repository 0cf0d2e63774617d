# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Set-up of distributed runs without CUDA (the 2-process training itself is
tests/test_tools/test_dist_train.py)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS

from http_server import free_port
from mmseg_ccnet.cpu_distributed import (CPUDistributedDataParallel,
                                         setup_cpu_distributed)


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
        torch.distributed.destroy_process_group()
