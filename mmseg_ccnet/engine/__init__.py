# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .distributed import CPUDistributedDataParallel
from .hooks import *  # noqa: F401,F403

__all__ = ['CPUDistributedDataParallel']
