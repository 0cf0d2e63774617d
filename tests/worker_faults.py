# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A hook for tests: one rank of a distributed run stops or dies."""
import os
import signal

from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module()
class WorkerFault(Hook):
    """Send a signal to the process of one rank before an iteration.

    Args:
        rank (int): The rank whose process gets the signal.
        iteration (int): Before this training iteration (0-based).
        signal_name (str): E.g. ``'SIGSTOP'`` (the process freezes) or
            ``'SIGKILL'`` (it dies).
    """

    def __init__(self, rank: int, iteration: int, signal_name: str) -> None:
        self.rank = rank
        self.iteration = iteration
        self.signal = getattr(signal, signal_name)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Signal this process if it is the chosen rank and iteration."""
        if runner.rank == self.rank and runner.iter == self.iteration:
            os.kill(os.getpid(), self.signal)
