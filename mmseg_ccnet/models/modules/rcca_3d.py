# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Callable

import torch
import torch.nn as nn
from mmseg.registry import MODELS

from ...utils import fold_frames, unfold_frames
from .criss_cross_attention import check_feature_map
from .criss_cross_attention_3d import CrissCrossAttention3D
from .rcca import RCCA, criss_cross_context


def clip_attention(cca: nn.Module,
                   clip_length: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """A 3D attention as a function of folded frames.

    Args:
        cca (nn.Module): A :class:`CrissCrossAttention3D`.
        clip_length (int): Frames that attend to each other: T, or 1 for
            criss-cross attention within each frame only.

    Returns:
        Callable: Maps frame features (B * T, C, H, W) to the attended
        frame features of the same shape.
    """

    def attend(features: torch.Tensor) -> torch.Tensor:
        return fold_frames(cca(unfold_frames(features, clip_length)))

    return attend


def clip_criss_cross_context(frames: torch.Tensor, conv_in: Callable,
                             cca: nn.Module, conv_out: Callable,
                             recurrence: int,
                             clip_length: int) -> torch.Tensor:
    """:func:`criss_cross_context` for the frames of clips.

    The convolutions run frame by frame; each attention pass runs on clips
    of ``clip_length`` frames (:func:`clip_attention`).

    Args:
        frames (Tensor): Frame features of shape (B * T, C_in, H, W), see
            :func:`~mmseg_ccnet.utils.fold_frames`.
        conv_in (Callable): Reduces C_in to C channels, frame by frame.
        cca (nn.Module): A :class:`CrissCrossAttention3D`, applied
            ``recurrence`` times with shared weights.
        conv_out (Callable): Applied to the attended features, frame by
            frame.
        recurrence (int): Number of attention passes R (0 for none).
        clip_length (int): Frames that attend to each other: T, or 1 for
            criss-cross attention within each frame only.

    Returns:
        Tensor: Context features of shape (B * T, C, H, W).
    """
    return criss_cross_context(frames, conv_in,
                               clip_attention(cca, clip_length), conv_out,
                               recurrence)


@MODELS.register_module()
class RCCA3D(RCCA):
    """Recurrent 3D criss-cross attention module for clips.

    :class:`RCCA` on clip features (B, C_in, T, H, W): the 3x3 convolutions
    ``conv_in``, ``conv_out`` and ``bottleneck`` run frame by frame (their
    weights are those of :class:`RCCA`), and ``recurrence`` passes of one
    shared :class:`CrissCrossAttention3D` mix the frames. One pass reaches
    the positions that differ in at most one of (t, i, j), two passes those
    that differ in at most two (the whole own frame, and the row and column
    in every other frame), three passes the whole clip.

    Args:
        in_channels (int): Channels C_in of the input.
        channels (int): Channels C inside the module and of its output.
        recurrence (int): Number of attention passes R; 0 disables the
            attention. Defaults to 2.
        **kwargs: Further arguments of :class:`RCCA` (``conv_cfg``,
            ``norm_cfg``, ``act_cfg``, ``init_cfg``).
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 recurrence: int = 2,
                 **kwargs) -> None:
        super().__init__(in_channels, channels, recurrence, **kwargs)
        # the 3D attention takes the place of RCCA's 2D one
        self.cca = CrissCrossAttention3D(channels) if recurrence else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            x (Tensor): Clip features of shape (B, C_in, T, H, W).

        Returns:
            Tensor: Output of shape (B, C, T, H, W).
        """
        check_feature_map(x, self.in_channels, 5, '(B, C, T, H, W)')
        num_frames = x.size(2)
        frames = fold_frames(x)
        context = clip_criss_cross_context(frames, self.conv_in, self.cca,
                                           self.conv_out, self.recurrence,
                                           num_frames)
        out = self.bottleneck(torch.cat([frames, context], dim=1))
        return unfold_frames(out, num_frames)
