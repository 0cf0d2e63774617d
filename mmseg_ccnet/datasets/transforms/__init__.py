# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .flip import PairedRandomFlip

__all__ = ['PairedRandomFlip']
