# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import List

import torch

from mmseg.registry import MODELS
from ...utils import fold_frames, key_frame_index, unfold_frames
from ..modules import CrissCrossAttention3D, check_feature_map
from ..modules.rcca_3d import clip_criss_cross_context
from .cc_head import CCHead


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
    attention's 1x1 convolution weights are reshaped to 1x1x1).

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

    def _forward_feature(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Features of the key frames before the classifier.

        Args:
            inputs (list[Tensor]): Multi-level clip features, each of shape
                (B, C_l, T, h_l, w_l); the one at ``in_index`` has
                C_l = in_channels.

        Returns:
            Tensor: Key-frame features of shape (B, channels, h, w).
        """
        for clip in inputs:
            if not isinstance(clip, torch.Tensor) or clip.dim() != 5:
                raise ValueError('CCHead3D expects clip features (B, C, T, '
                                 'H, W) from VideoEncoderDecoder, got '
                                 f'{getattr(clip, "shape", type(clip))}')
        num_frames = inputs[0].size(2)
        x = self._transform_inputs([fold_frames(clip) for clip in inputs])
        check_feature_map(x, self.in_channels, 4, '(B * T, C, H, W)')
        feats = clip_criss_cross_context(x, self.convs[0], self.cca,
                                         self.convs[1], self.recurrence,
                                         num_frames if self.temporal else 1)
        key = key_frame_index(num_frames)
        x, feats = (
            unfold_frames(frames, num_frames)[:, :, key]
            for frames in (x, feats))
        if self.concat_input:
            feats = self.conv_cat(torch.cat([x, feats], dim=1))
        return feats
