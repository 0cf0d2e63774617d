# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""One training per work dir at a time.

Two runs that train into one work dir overwrite each other's checkpoints
and ``last_checkpoint``. :func:`work_dir_lock` holds an exclusive lock
(``flock``) on ``<work_dir>/.train.lock`` while a run trains; a second run
fails at once with an error naming the process that holds it. The
operating system releases the lock when that process ends, however it
ends, so a killed run never leaves a stale lock.
"""
import os
import os.path as osp
import socket
import sys
import time
from contextlib import contextmanager
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ['LOCK_FILE', 'WorkDirBusyError', 'work_dir_lock']

LOCK_FILE = '.train.lock'


class WorkDirBusyError(RuntimeError):
    """Another process trains into the same work dir."""


@contextmanager
def work_dir_lock(work_dir: str) -> Iterator[None]:
    """Hold the work dir's training lock in this block.

    The lock file records who holds it: process id, host, start time and
    command line. Where ``fcntl`` is missing (Windows) nothing is locked.

    Args:
        work_dir (str): The run's work dir (created if needed).

    Raises:
        WorkDirBusyError: If another process holds the lock, naming it.
    """
    if fcntl is None:
        yield
        return
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_FILE)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 4096, 0).decode(errors='replace')
            raise WorkDirBusyError(
                f'{work_dir} is in use by another training run '
                f'({holder.strip() or "unknown process"}): two runs in one '
                'work dir overwrite each other\'s checkpoints. Wait for it, '
                'or choose another --work-dir.') from None
        os.ftruncate(handle, 0)
        os.pwrite(
            handle,
            (f'process {os.getpid()} on {socket.gethostname()}, started '
             f'{time.strftime("%Y-%m-%d %H:%M:%S")}: '
             f'{" ".join(sys.argv)}\n').encode(), 0)
        yield
    finally:
        os.close(handle)  # releases the lock
