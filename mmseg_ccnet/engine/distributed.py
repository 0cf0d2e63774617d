# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Distributed training and testing on machines without CUDA (gloo).

mmengine 0.10's launcher assumes GPUs twice: ``init_dist`` calls
``torch.cuda.set_device(local_rank)`` (an AttributeError on CPU-only torch),
and the Runner wraps the model as ``DistributedDataParallel(device_ids=
[local_rank])``, which DDP refuses for a model on the CPU.
:func:`setup_cpu_distributed` joins the process group itself, with the
settings of ``env_cfg.dist_cfg`` (so the Runner skips ``init_dist``), and
selects :class:`CPUDistributedDataParallel`. The rest (samplers, seeds,
gradient averaging, rank-0 checkpoints) is mmengine's usual distributed
path. SyncBN layers need GPUs: use BN-free or GroupNorm models on CPUs.

A process that stops (e.g. ``SIGSTOP``, a hung data loader) makes the
others wait in their next collective until ``dist_cfg.timeout`` (seconds)
ends it with gloo's "Timed out waiting ..." error, which does not say who
is missing. Every process therefore counts a :class:`Heartbeat` in the
process group's store, and :func:`report_distributed_failure` turns such an
error into one that names the ranks that stopped responding.
"""
import datetime
import logging
import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator, List, Optional

import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from torch import nn

__all__ = [
    'CPUDistributedDataParallel', 'DistributedFailure', 'Heartbeat',
    'report_distributed_failure', 'setup_cpu_distributed'
]


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


class DistributedFailure(RuntimeError):
    """A distributed run failed because other ranks stopped responding."""


class Heartbeat:
    """A per-rank counter in the process group's store, counted by a thread.

    The store lives outside the workers (with torchrun in its agent), so
    the counters of the other ranks can be read after a collective failed:
    a rank whose counter stands still is stopped, hung or dead.

    Args:
        store (dist.Store): The process group's store.
        rank (int): This process's rank.
        world_size (int): Number of ranks.
        interval (float): Seconds between two counts. Defaults to 1.
    """

    PREFIX = 'mmseg_ccnet/heartbeat/'
    #: The one heartbeat of this process, once started.
    current: Optional['Heartbeat'] = None

    def __init__(self,
                 store: dist.Store,
                 rank: int,
                 world_size: int,
                 interval: float = 1.0) -> None:
        self.store = store
        self.rank = rank
        self.world_size = world_size
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name='mmseg_ccnet-heartbeat', daemon=True)

    def start(self) -> 'Heartbeat':
        """Start counting; this becomes :attr:`current`.

        Returns:
            Heartbeat: ``self``.
        """
        self._thread.start()
        Heartbeat.current = self
        return self

    def stop(self) -> None:
        """Stop counting."""
        self._stop.set()
        if Heartbeat.current is self:
            Heartbeat.current = None

    def _beat(self) -> None:
        """Count until stopped or until the store is gone."""
        while not self._stop.is_set():
            try:
                self.store.add(f'{self.PREFIX}{self.rank}', 1)
            except Exception:  # the store's host ended: nothing to report
                return
            self._stop.wait(self.interval)

    def _counts(self) -> List[int]:
        """Every rank's current count (0 where none was counted yet)."""
        return [
            self.store.add(f'{self.PREFIX}{rank}', 0)
            for rank in range(self.world_size)
        ]

    def silent_ranks(self) -> List[int]:
        """The other ranks whose count stands still for 3 intervals.

        Returns:
            list[int]: Those ranks, in order.
        """
        before = self._counts()
        time.sleep(3 * self.interval)
        after = self._counts()
        return [
            rank for rank, (old, new) in enumerate(zip(before, after))
            if rank != self.rank and old == new
        ]


@contextmanager
def report_distributed_failure() -> Iterator[None]:
    """Name the ranks that stopped responding when a run fails.

    Around ``runner.train()`` or ``runner.test()``. Without a running
    :class:`Heartbeat` (not distributed, or CUDA) errors pass unchanged.

    Raises:
        DistributedFailure: If the run failed and other ranks have stopped
            responding; the original error is its cause.
    """
    try:
        yield
    except Exception as error:
        heartbeat = Heartbeat.current
        silent = heartbeat.silent_ranks() if heartbeat is not None else []
        if not silent:
            raise
        ranks = ', '.join(map(str, silent))
        message = (f'rank {heartbeat.rank} of {heartbeat.world_size} gave '
                   f'up: rank {ranks} stopped responding (its process is '
                   'stopped, hung or dead; env_cfg.dist_cfg.timeout bounds '
                   f'the wait). The error was: {error}')
        print_log(message, logger='current', level=logging.ERROR)
        raise DistributedFailure(message) from error


def process_group_settings(dist_cfg: dict) -> dict:
    """``init_process_group`` arguments from a config's ``dist_cfg``.

    Args:
        dist_cfg (dict): ``env_cfg.dist_cfg``; ``timeout`` in seconds as in
            mmengine.

    Returns:
        dict: The same settings for gloo, ``timeout`` as a ``timedelta``.

    Raises:
        TypeError: If ``timeout`` is not a number of seconds.
    """
    settings = dict(dist_cfg, backend='gloo')
    timeout = settings.get('timeout')
    if timeout is not None:
        if not isinstance(timeout, (int, float)):
            raise TypeError('env_cfg.dist_cfg.timeout must be a number of '
                            f'seconds, got {timeout!r}')
        settings['timeout'] = datetime.timedelta(seconds=timeout)
    return settings


def setup_cpu_distributed(cfg: Config) -> None:
    """Join the gloo process group and wrap models for CPU training.

    For ``cfg.launcher == 'pytorch'`` (torchrun sets ``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``). The settings of
    ``env_cfg.dist_cfg`` (e.g. ``timeout``) are passed on; a ``nccl``
    backend there is replaced by ``gloo`` (nccl needs CUDA). Starts this
    process's :class:`Heartbeat`.

    Args:
        cfg (Config): The run's config; ``model_wrapper_cfg`` is set to
            :class:`CPUDistributedDataParallel` unless the config has one.

    Raises:
        ValueError: For another launcher.
    """
    if cfg.launcher != 'pytorch':
        raise ValueError('without CUDA only --launcher pytorch (torchrun) '
                         f'is supported, got --launcher {cfg.launcher}')
    dist_cfg = cfg.env_cfg.get('dist_cfg', {})
    backend = dist_cfg.get('backend', 'nccl')
    if backend != 'gloo':
        print_log(
            f"backend {backend!r} needs CUDA; using 'gloo' for distributed "
            'training on CPUs',
            logger='current',
            level=logging.WARNING)
        cfg.merge_from_dict({'env_cfg.dist_cfg.backend': 'gloo'})
    if not dist.is_initialized():
        dist.init_process_group(
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **process_group_settings(dist_cfg))
    if Heartbeat.current is None:
        Heartbeat(dist.distributed_c10d._get_default_store(),
                  dist.get_rank(), dist.get_world_size()).start()
    cfg.setdefault(
        'model_wrapper_cfg',
        dict(
            type='CPUDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False)))
