# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .distributed import CPUDistributedDataParallel, report_distributed_failure
from .hooks import *  # noqa: F401,F403
from .runner import build_runner

__all__ = [
    'CPUDistributedDataParallel', 'build_runner', 'report_distributed_failure'
]
