# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .backbones import *  # noqa: F401,F403
from .data_preprocessor import ClipDataPreProcessor  # noqa: F401
from .decode_heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .modules import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
