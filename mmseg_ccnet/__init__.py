# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""CCNet for MMSegmentation.

Importing this package (directly or through
``custom_imports=dict(imports=['mmseg_ccnet'])``) applies the patches listed
in :mod:`mmseg_ccnet.compat` (each can be switched off) and registers the
plugin's modules in MMSegmentation's registries.
"""
from . import compat
from .version import __version__

compat.install()

from .datasets import *  # noqa: E402,F401,F403
from .engine import *  # noqa: E402,F401,F403
from .evaluation import *  # noqa: E402,F401,F403
from .models import *  # noqa: E402,F401,F403

__all__ = ['__version__']
