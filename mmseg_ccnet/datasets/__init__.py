# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .cc_context import CrissCrossContextDataset

__all__ = ['CrissCrossContextDataset']
