# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Callable, Optional

import torch
import torch.nn as nn

from .cca import CrissCrossAttention
from .cca_3d import CrissCrossAttention3D
from .layout import (
    check_feature_map,
    check_integer,
    fold_frames,
    unfold_frames,
)


class ConvBlock(nn.Module):
    """3x3 convolution (no bias), batch norm and ReLU.

    The children are named as in mmcv's ``ConvModule`` with a BN norm
    (``conv``, ``bn``, ``activate``), so the ``state_dict`` keys are the
    same. A (B, C, T, H, W) input is convolved frame by frame.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.activate = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            x (Tensor): Shape (B, C_in, H, W) or (B, C_in, T, H, W).

        Returns:
            Tensor: Shape (B, C_out, H, W) or (B, C_out, T, H, W).
        """
        if x.dim() == 5:
            return unfold_frames(self(fold_frames(x)), x.size(2))
        return self.activate(self.bn(self.conv(x)))


class RCCA(nn.Module):
    """Recurrent criss-cross attention module of `CCNet
    <https://arxiv.org/abs/1811.11721>`_.

    ``conv_in`` (3x3, C_in -> C) -> ``recurrence`` passes of one shared
    criss-cross attention ``cca`` (:meth:`CrissCrossAttention.recurrent`)
    -> ``conv_out`` (3x3) -> concatenation with the input -> ``bottleneck``
    (3x3, C_in + C -> C). With R = 2 every position gathers context from
    the whole feature map. ``cca`` is an :attr:`attention_type`.

    Args:
        in_channels (int): Channels C_in of the input.
        channels (int): Channels C inside the module and of its output.
        recurrence (int): Number of attention passes R; 0 disables the
            attention (no ``cca`` is built). Defaults to 2.
        attention_cfg (dict, optional): Further arguments of
            :attr:`attention_type`, e.g. ``dict(impl='einsum')``.
            Defaults to None.
        conv_block (callable, optional): Builds each of the three
            convolution layers from its input and output channels.
            Defaults to :class:`ConvBlock` (3x3 convolution, batch norm,
            ReLU).
    """

    #: The criss-cross attention class that ``cca`` is built from.
    attention_type = CrissCrossAttention

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 recurrence: int = 2,
                 attention_cfg: Optional[dict] = None,
                 conv_block: Optional[Callable[[int, int],
                                               nn.Module]] = None) -> None:
        super().__init__()
        check_integer(recurrence, 'recurrence', 0)
        conv_block = conv_block or ConvBlock
        self.in_channels = in_channels
        self.channels = channels
        self.recurrence = recurrence
        self.conv_in = conv_block(in_channels, channels)
        self.cca = self.attention_type(
            channels, **(attention_cfg or {})) if recurrence else None
        self.conv_out = conv_block(channels, channels)
        self.bottleneck = conv_block(in_channels + channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            x (Tensor): Feature map of shape (B, C_in, H, W).

        Returns:
            Tensor: Output of shape (B, C, H, W).
        """
        check_feature_map(x, self.in_channels,
                          self.attention_type.input_layout)
        features = self.conv_in(x)
        if self.cca is not None:
            features = self.cca.recurrent(features, self.recurrence)
        context = self.conv_out(features)
        return self.bottleneck(torch.cat([x, context], dim=1))


class RCCA3D(RCCA):
    """Recurrent 3D criss-cross attention module for clips and volumes.

    :class:`RCCA` on (B, C_in, T, H, W) feature maps (T frames of a clip,
    or the depth of a volume): the 3x3 convolutions ``conv_in``,
    ``conv_out`` and ``bottleneck`` run frame by frame (their weights are
    those of :class:`RCCA`), and ``recurrence`` passes of one shared
    :class:`CrissCrossAttention3D` mix the frames. One pass reaches the
    positions that differ in at most one of (t, i, j), two passes those
    that differ in at most two (the whole own frame, and the row and column
    in every other frame), three passes the whole clip. The ``state_dict``
    is that of :class:`RCCA`, whose weights load as they are; the output
    has the shape (B, C, T, H, W).

    Args:
        in_channels (int): Channels C_in of the input.
        channels (int): Channels C inside the module and of its output.
        recurrence (int): Number of attention passes R; 0 disables the
            attention. Defaults to 2.
        attention_cfg (dict, optional): Further arguments of
            :class:`CrissCrossAttention3D`. Defaults to None.
        conv_block (callable, optional): As in :class:`RCCA`; the layers it
            builds must take (B, C, T, H, W) inputs, as :class:`ConvBlock`
            does. Defaults to :class:`ConvBlock`.
    """

    attention_type = CrissCrossAttention3D
