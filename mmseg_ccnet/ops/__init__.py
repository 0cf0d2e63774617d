# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .focal_loss import sigmoid_focal_loss
from .nms import batched_nms, nms
from .point_sample import point_sample
from .roi_align import RoIAlign, RoIAlignFunction, roi_align

__all__ = [
    'RoIAlign', 'RoIAlignFunction', 'batched_nms', 'nms', 'point_sample',
    'roi_align', 'sigmoid_focal_loss'
]
