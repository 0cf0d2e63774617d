# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .context_resnet import ContextResNet, ContextStage
from .local_convnet import LocalConvNet

__all__ = ['ContextResNet', 'ContextStage', 'LocalConvNet']
