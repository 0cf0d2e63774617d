# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Callable

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType

from .criss_cross_attention import CrissCrossAttention, check_feature_map


def recurrent_attention(x: torch.Tensor, cca: Callable,
                        recurrence: int) -> torch.Tensor:
    """``cca^R(x)``: the same attention applied ``recurrence`` times.

    Args:
        x (Tensor): Feature map of shape (B, C, H, W).
        cca (Callable): The criss-cross attention (shared weights).
        recurrence (int): Number of attention passes R (0 returns ``x``).

    Returns:
        Tensor: Attended features of shape (B, C, H, W).
    """
    for _ in range(recurrence):
        x = cca(x)
    return x


def criss_cross_context(x: torch.Tensor, conv_in: Callable, cca: Callable,
                        conv_out: Callable, recurrence: int) -> torch.Tensor:
    """The recurrent part of RCCA: ``conv_out(cca^R(conv_in(x)))``.

    Args:
        x (Tensor): Input feature map of shape (B, C_in, H, W).
        conv_in (Callable): Reduces C_in to C channels.
        cca (Callable): The criss-cross attention, applied ``recurrence``
            times with shared weights.
        conv_out (Callable): Applied to the attended features.
        recurrence (int): Number of attention passes R (0 for none).

    Returns:
        Tensor: Context features of shape (B, C, H, W).
    """
    return conv_out(recurrent_attention(conv_in(x), cca, recurrence))


@MODELS.register_module()
class RCCA(BaseModule):
    """Recurrent criss-cross attention module of `CCNet
    <https://arxiv.org/abs/1811.11721>`_.

    ``conv_in`` (3x3, C_in -> C) -> ``recurrence`` passes of one shared
    :class:`CrissCrossAttention` -> ``conv_out`` (3x3) -> concatenation with
    the input -> ``bottleneck`` (3x3, C_in + C -> C). With R = 2 every
    position gathers context from the whole feature map.

    Args:
        in_channels (int): Channels C_in of the input.
        channels (int): Channels C inside the module and of its output.
        recurrence (int): Number of attention passes R; 0 disables the
            attention (no ``cca`` is built). Defaults to 2.
        conv_cfg (dict, optional): Config of the conv layers.
        norm_cfg (dict, optional): Config of the norm layers.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Config of the activations.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 recurrence: int = 2,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg)
        if not isinstance(recurrence, int) or recurrence < 0:
            raise ValueError('recurrence must be an integer >= 0, got '
                             f'{recurrence!r}')
        self.in_channels = in_channels
        self.channels = channels
        self.recurrence = recurrence
        conv = dict(
            kernel_size=3,
            padding=1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.conv_in = ConvModule(in_channels, channels, **conv)
        self.cca = CrissCrossAttention(channels) if recurrence else None
        self.conv_out = ConvModule(channels, channels, **conv)
        self.bottleneck = ConvModule(in_channels + channels, channels, **conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            x (Tensor): Feature map of shape (B, C_in, H, W).

        Returns:
            Tensor: Output of shape (B, C, H, W).
        """
        check_feature_map(x, self.in_channels, 4, '(B, C, H, W)')
        context = criss_cross_context(x, self.conv_in, self.cca,
                                      self.conv_out, self.recurrence)
        return self.bottleneck(torch.cat([x, context], dim=1))
