# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Building the runner of a config on the machine at hand."""
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.registry import RUNNERS

from .distributed import setup_cpu_distributed

__all__ = ['build_runner']


def build_runner(cfg: Config) -> Runner:
    """Build the runner a config asks for (``runner_type``) or the default.

    A distributed launch on a machine without CUDA is prepared for CPUs
    first (see :func:`~.distributed.setup_cpu_distributed`).

    Args:
        cfg (Config): A complete training/testing config.

    Returns:
        Runner: The runner.
    """
    if cfg.get('launcher', 'none') != 'none' and \
            not torch.cuda.is_available():
        setup_cpu_distributed(cfg)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
