# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .criss_cross import (
                          CrissCrossAttentionFunction,
                          autocast_dtype,
                          criss_cross_attention,
)
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

__all__ = [
    'CrissCrossAttentionFunction', 'DeformConv2d', 'DeformConv2dPack',
    'ModulatedDeformConv2d', 'ModulatedDeformConv2dPack', 'PSAMask',
    'RoIAlign', 'RoIAlignFunction', 'autocast_dtype', 'batched_nms',
    'criss_cross_attention', 'deform_conv2d', 'modulated_deform_conv2d',
    'nms', 'psa_mask', 'roi_align', 'sigmoid_focal_loss'
]
