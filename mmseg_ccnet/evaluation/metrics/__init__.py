# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .context_iou_metric import ContextIoUMetric

__all__ = ['ContextIoUMetric']
