# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from mmseg.registry import MODELS

from ccnet_core import CategoryConsistentLoss

MODELS.register_module(module=CategoryConsistentLoss)

__all__ = ['CategoryConsistentLoss']
