# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig


@MODELS.register_module()
class LocalConvNet(BaseModule):
    """A plain stack of 3x3 convolutions with a small, known receptive field.

    Made for context benchmarks: a feature can only see
    :attr:`receptive_field` input pixels, so anything a model knows about
    farther evidence must come through its decode head (e.g. criss-cross
    attention), not through the backbone.

    Args:
        in_channels (int): Input channels. Defaults to 3.
        channels (Sequence[int]): Output channels of each conv.
            Defaults to (32, 64, 64).
        strides (Sequence[int]): Stride of each conv. Defaults to (2, 2, 1).
        norm_cfg (dict): Config of the norm layers. Defaults to BN.
        act_cfg (dict): Config of the activations. Defaults to ReLU.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (32, 64, 64),
                 strides: Sequence[int] = (2, 2, 1),
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg)
        if len(channels) != len(strides) or not channels:
            raise ValueError('channels and strides need the same, non-zero '
                             f'length, got {channels} and {strides}')
        self.strides = tuple(strides)
        self.layers = nn.Sequential(*[
            ConvModule(
                cin,
                cout,
                3,
                stride=stride,
                padding=1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg) for cin, cout, stride in zip(
                    (in_channels, *channels[:-1]), channels, strides)
        ])

    @property
    def receptive_field(self) -> int:
        """Side in input pixels of the window that one output feature sees."""
        field, jump = 1, 1
        for stride in self.strides:
            field += 2 * jump
            jump *= stride
        return field

    @property
    def output_stride(self) -> int:
        """Input pixels per output feature along each axis."""
        stride = 1
        for step in self.strides:
            stride *= step
        return stride

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """Forward function.

        Args:
            x (Tensor): Images of shape (B, C_in, H, W).

        Returns:
            tuple[Tensor]: One feature map of shape
            (B, channels[-1], H / output_stride, W / output_stride).
        """
        return (self.layers(x), )
