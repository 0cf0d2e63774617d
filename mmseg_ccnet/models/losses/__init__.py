# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .category_consistent_loss import CategoryConsistentLoss

__all__ = ['CategoryConsistentLoss']
