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
        pos_channels (int): Channels of a fixed sinusoidal encoding of the
            feature's row and column appended to the output (a multiple of
            4: sin and cos of ``pos_channels // 4`` frequencies per axis),
            so that a head can compare positions; it carries no image
            content. Defaults to 0 (none).
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int = 3,
                 channels: Sequence[int] = (32, 64, 64),
                 strides: Sequence[int] = (2, 2, 1),
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 pos_channels: int = 0,
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg)
        if len(channels) != len(strides) or not channels:
            raise ValueError('channels and strides need the same, non-zero '
                             f'length, got {channels} and {strides}')
        if pos_channels % 4:
            raise ValueError(
                f'pos_channels must be a multiple of 4, got {pos_channels}')
        self.pos_channels = pos_channels
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

    def position_encoding(self, height: int, width: int,
                          like: torch.Tensor) -> torch.Tensor:
        """Sinusoidal encoding of every position of a feature map.

        Frequency ``k`` of an axis of length ``n`` is ``pi * 2**k / n``.

        Args:
            height (int): Rows of the feature map.
            width (int): Columns of the feature map.
            like (Tensor): Tensor whose dtype and device the result takes.

        Returns:
            Tensor: Tensor of shape (pos_channels, height, width): sin and
            cos of the row angles, then of the column angles.
        """
        steps = 2.0**torch.arange(self.pos_channels // 4)

        def codes(length: int) -> torch.Tensor:
            # (2 * frequencies, length): sin, then cos of every angle
            angles = torch.arange(length)[:, None] * steps * torch.pi / length
            return torch.cat([angles.sin(), angles.cos()], dim=1).T

        rows = codes(height)[:, :, None]
        cols = codes(width)[:, None, :]
        encoding = torch.cat([
            rows.expand(-1, height, width),
            cols.expand(-1, height, width)
        ])
        return encoding.to(like)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """Forward function.

        Args:
            x (Tensor): Images of shape (B, C_in, H, W).

        Returns:
            tuple[Tensor]: One feature map of shape (B, channels[-1] +
            pos_channels, H / output_stride, W / output_stride).
        """
        features = self.layers(x)
        if not self.pos_channels:
            return (features, )
        batch, _, height, width = features.shape
        encoding = self.position_encoding(height, width, features)
        return (torch.cat(
            [features, encoding.expand(batch, -1, -1, -1)], dim=1), )
