# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""CCNet for MMSegmentation.

Importing this package (directly or through
``custom_imports=dict(imports=['mmseg_ccnet'])``) makes MMSegmentation
importable without compiled mmcv ops, lets mmengine checkpoints load with
``torch.load(weights_only=True)``, verifies checkpoints downloaded from
http(s) URLs and registers the plugin's modules in MMSegmentation's
registries.
"""
from .checkpoint import register_http_loader
from .compat import allow_checkpoint_globals, install_ops_fallback
from .version import __version__

install_ops_fallback()
allow_checkpoint_globals()
register_http_loader()

from .datasets import *  # noqa: E402,F401,F403
from .engine import *  # noqa: E402,F401,F403
from .evaluation import *  # noqa: E402,F401,F403
from .models import *  # noqa: E402,F401,F403

__all__ = ['__version__']
