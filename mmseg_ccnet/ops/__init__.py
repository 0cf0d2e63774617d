# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .deform_conv import (
                          DeformConv2d,
                          DeformConv2dPack,
                          ModulatedDeformConv2d,
                          ModulatedDeformConv2dPack,
                          deform_conv2d,
                          modulated_deform_conv2d,
)
from .focal_loss import sigmoid_focal_loss
from .nms import batched_nms, nms
from .psa_mask import PSAMask, psa_mask
from .roi_align import RoIAlign, RoIAlignFunction, roi_align
from .soft_nms import soft_nms

__all__ = [
    'DeformConv2d', 'DeformConv2dPack', 'ModulatedDeformConv2d',
    'ModulatedDeformConv2dPack', 'PSAMask', 'RoIAlign', 'RoIAlignFunction',
    'batched_nms', 'deform_conv2d', 'modulated_deform_conv2d', 'nms',
    'psa_mask', 'roi_align', 'sigmoid_focal_loss', 'soft_nms'
]
