# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""One training per work dir at a time.

:func:`install` wraps ``Runner.train``: the main process holds the work
dir's lock (:func:`~mmseg_ccnet.engine.work_dir_lock.work_dir_lock`)
while it trains, so a second training run into the same work dir fails at
once, naming the process that trains there.
"""
import functools
from contextlib import nullcontext
from typing import Callable

from mmengine.dist import is_main_process
from mmengine.runner import Runner

from ..engine.work_dir_lock import work_dir_lock
from .patching import wrap_attribute

__all__ = ['install']


def _locked_train(train: Callable) -> Callable:
    """``Runner.train`` holding the work dir's lock."""

    @functools.wraps(train)
    def locked_train(self: Runner, *args, **kwargs):
        lock = work_dir_lock(self.work_dir) if is_main_process() else \
            nullcontext()
        with lock:
            return train(self, *args, **kwargs)

    return locked_train


def install() -> None:
    """Wrap ``Runner.train``. Idempotent."""
    wrap_attribute(Runner, 'train', _locked_train)
