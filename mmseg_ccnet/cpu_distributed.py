# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Distributed training and testing on machines without CUDA (gloo).

mmengine 0.10's launcher assumes GPUs twice: ``init_dist`` calls
``torch.cuda.set_device(local_rank)`` (an AttributeError on CPU-only torch),
and the Runner wraps the model as ``DistributedDataParallel(device_ids=
[local_rank])``, which DDP refuses for a model on the CPU.
:func:`setup_cpu_distributed` joins the process group itself (so the Runner
skips ``init_dist``) and selects :class:`CPUDistributedDataParallel`. The
rest (samplers, seeds, gradient averaging, rank-0 checkpoints) is mmengine's
usual distributed path. SyncBN layers need GPUs: use BN-free or GroupNorm
models on CPUs.
"""
import logging
import os

import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from torch import nn

__all__ = ['CPUDistributedDataParallel', 'setup_cpu_distributed']


# mmengine's Runner looks model wrappers up in mmengine's root registry.
@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for a model whose parameters are on CPU.

    Args:
        module (nn.Module): The model.
        device_ids (list[int], optional): Ignored: mmengine's Runner passes
            ``[LOCAL_RANK]``, but DDP takes no device ids for CPU modules.
        **kwargs: Further arguments of ``DistributedDataParallel``.
    """

    def __init__(self, module: nn.Module, device_ids=None, **kwargs) -> None:
        super().__init__(module=module, device_ids=None, **kwargs)


def setup_cpu_distributed(cfg: Config) -> None:
    """Join the gloo process group and wrap models for CPU training.

    For ``cfg.launcher == 'pytorch'`` (torchrun sets ``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``). A ``nccl`` backend
    in ``env_cfg.dist_cfg`` is replaced by ``gloo`` (nccl needs CUDA).

    Args:
        cfg (Config): The run's config; ``model_wrapper_cfg`` is set to
            :class:`CPUDistributedDataParallel` unless the config has one.

    Raises:
        ValueError: For another launcher.
    """
    if cfg.launcher != 'pytorch':
        raise ValueError('without CUDA only --launcher pytorch (torchrun) '
                         f'is supported, got --launcher {cfg.launcher}')
    backend = cfg.env_cfg.get('dist_cfg', {}).get('backend', 'nccl')
    if backend != 'gloo':
        print_log(
            f"backend {backend!r} needs CUDA; using 'gloo' for distributed "
            'training on CPUs',
            logger='current',
            level=logging.WARNING)
        cfg.merge_from_dict({'env_cfg.dist_cfg.backend': 'gloo'})
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    cfg.setdefault(
        'model_wrapper_cfg',
        dict(
            type='CPUDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False)))
