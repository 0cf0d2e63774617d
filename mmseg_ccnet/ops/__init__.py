# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .focal_loss import sigmoid_focal_loss
from .nms import batched_nms, nms
from .point_sample import point_sample
from .psa_mask import PSAMask, psa_mask
from .roi_align import RoIAlign, RoIAlignFunction, roi_align

__all__ = [
    'PSAMask', 'RoIAlign', 'RoIAlignFunction', 'batched_nms', 'nms',
    'point_sample', 'psa_mask', 'roi_align', 'sigmoid_focal_loss'
]
