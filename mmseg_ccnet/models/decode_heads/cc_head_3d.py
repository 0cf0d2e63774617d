# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import List

import torch
from mmseg.registry import MODELS

from ...utils import fold_frames, key_frame_index, unfold_frames
from ..modules import (
    CrissCrossAttention3D,
    check_feature_map,
    clip_attention,
    recurrent_attention,
)
from .cc_head import CCHead, RCCAFeatures


@MODELS.register_module()
class CCHead3D(CCHead):
    """Decode head of CCNet for video clips (3D criss-cross attention).

    Takes clip features (B, C_in, T, h, w), as ``VideoEncoderDecoder``
    passes them, and returns the logits of the clip's key frame (index
    ``T // 2``, see :mod:`mmseg_ccnet.utils.clip`), (B, num_classes, h, w),
    so that losses, metrics and inference are those of an image head.
    Between the frame-by-frame convolutions of :class:`CCHead` (``convs.0``,
    ``convs.1``; ``conv_cat`` and ``conv_seg`` run on the key frame only),
    ``recurrence`` passes of a shared :class:`CrissCrossAttention3D` let
    every frame gather context from the others. The ``state_dict`` keys are
    those of :class:`CCHead` and a 2D CCHead checkpoint loads as is (the
    attention's 1x1 convolution weights are reshaped to 1x1x1). With
    ``loss_ccl`` the category consistent loss acts on the key frames' RCCA
    features.

    Args:
        temporal (bool): Whether the attention runs across the frames of a
            clip. False restricts it to each frame, which is exactly the 2D
            :class:`CCHead` applied per frame (the 3D attention of a single
            frame is the 2D one); the baseline for measuring what temporal
            context brings. Defaults to True.
        **kwargs: Arguments of :class:`CCHead` (``recurrence`` and those of
            ``FCNHead`` except ``num_convs``).
    """

    def __init__(self, temporal: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.temporal = temporal
        # the 3D attention takes the place of CCHead's 2D one
        self.cca = CrissCrossAttention3D(self.channels)

    def rcca_features(self, inputs: List[torch.Tensor]) -> RCCAFeatures:
        """Run the head up to the classifier, keeping the RCCA features of
        the key frames.

        Args:
            inputs (list[Tensor]): Multi-level clip features, each of shape
                (B, C_l, T, h_l, w_l); the one at ``in_index`` has
                C_l = in_channels.

        Returns:
            RCCAFeatures: ``attention``, ``context`` and ``fused`` of the
            key frames, each of shape (B, channels, h, w).
        """
        for clip in inputs:
            if not isinstance(clip, torch.Tensor) or clip.dim() != 5:
                raise ValueError('CCHead3D expects clip features (B, C, T, '
                                 'H, W) from VideoEncoderDecoder, got '
                                 f'{getattr(clip, "shape", type(clip))}')
        num_frames = inputs[0].size(2)
        x = self._transform_inputs([fold_frames(clip) for clip in inputs])
        check_feature_map(x, self.in_channels, 4, '(B * T, C, H, W)')
        attend = clip_attention(self.cca,
                                num_frames if self.temporal else 1)
        attention = recurrent_attention(self.convs[0](x), attend,
                                        self.recurrence)
        context = self.convs[1](attention)  # on every frame (norm statistics)
        key = key_frame_index(num_frames)
        x, attention, context = (
            unfold_frames(frames, num_frames)[:, :, key]
            for frames in (x, attention, context))
        fused = self.conv_cat(torch.cat(
            [x, context], dim=1)) if self.concat_input else context
        return RCCAFeatures(attention, context, fused)
