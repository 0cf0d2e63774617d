# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType

from .criss_cross_attention import (
    CrissCrossAttention,
    check_feature_map,
    check_integer,
)


@MODELS.register_module()
class RCCA(BaseModule):
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
        conv_cfg (dict, optional): Config of the conv layers.
        norm_cfg (dict, optional): Config of the norm layers.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Config of the activations.
            Defaults to ``dict(type='ReLU')``.
        attention_cfg (dict, optional): Further arguments of
            :attr:`attention_type`, e.g. ``dict(impl='einsum')``.
            Defaults to None.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    #: The criss-cross attention class that ``cca`` is built from.
    attention_type = CrissCrossAttention

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 recurrence: int = 2,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 attention_cfg: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg)
        check_integer(recurrence, 'recurrence', 0)
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
        self.cca = self.attention_type(
            channels, **(attention_cfg or {})) if recurrence else None
        self.conv_out = ConvModule(channels, channels, **conv)
        self.bottleneck = ConvModule(in_channels + channels, channels, **conv)

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
