# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .local_convnet import LocalConvNet

__all__ = ['LocalConvNet']
