# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Optional

import torch
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

import ccnet_core
from ccnet_core.layout import check_feature_map, check_integer, memory_format

from ...utils import unflatten_clips
from .criss_cross_attention import CrissCrossAttention


@MODELS.register_module()
class CrissCrossAttention3D(ccnet_core.CrissCrossAttention3D,
                           CrissCrossAttention):
    """:class:`ccnet_core.CrissCrossAttention3D` on the frames of clips
    folded into the batch, as MMSegmentation's video models pass them.

    ``forward`` maps (B * T, C, H, W), clip-major (frame t of clip b at row
    ``b * T + t``), to ``gamma * out + x`` of the same shape, computed by
    the core module on the (B, C, T, H, W) view of the clips. Parameters
    are those of the 2D module (1x1 convolutions ``query_conv``,
    ``key_conv``, ``value_conv`` and ``gamma``), so its ``state_dict`` loads
    as is; with ``num_frames=1`` this module is :class:`CrissCrossAttention`.

    ``attention(x)`` returns the weights, of shape (B * T, H, W, H + W + T),
    in the layout of the core module's.

    Args:
        in_channels (int): Channels C of the frame features (>= 8).
        num_frames (int): Frames T per clip (>= 1).
        impl (str, optional): Only ``'einsum'`` (the memory-efficient
            autograd function of the 2D module is 2D only).
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    input_layout = '(B * T, C, H, W)'

    def __init__(self,
                 in_channels: int,
                 num_frames: int,
                 impl: Optional[str] = None,
                 init_cfg: OptConfigType = None):
        check_integer(num_frames, 'num_frames', 1)
        super().__init__(in_channels, impl, init_cfg)
        self.num_frames = num_frames

    def clips(self, x: torch.Tensor) -> torch.Tensor:
        """The clips of a batch of frames.

        Args:
            x (Tensor): Frames of shape (B * T, C, H, W), clip-major.

        Returns:
            Tensor: A view of shape (B, C, T, H, W).
        """
        return unflatten_clips(x, self.num_frames).transpose(1, 2)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights of every position over its 3D criss-cross path.

        Args:
            x (Tensor): Frames of shape (B * T, C, H, W), clip-major.

        Returns:
            Tensor: Weights of shape (B * T, H, W, H + W + T).
        """
        check_feature_map(x, self.in_channels, self.input_layout)
        return self.weights(self.clips(x)).flatten(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Aggregate the values on each position's 3D criss-cross path.

        Args:
            x (Tensor): Frames of shape (B * T, C, H, W), clip-major.

        Returns:
            Tensor: ``gamma * out + x`` of the shape of ``x``, contiguous
            in its memory format.
        """
        self.check_input(x)
        out = self.attend(self.clips(x)).transpose(1, 2).flatten(0, 1)
        return out.contiguous(memory_format=memory_format(x))

    def extra_repr(self) -> str:
        """Extra information in the module's repr."""
        return f'{super().extra_repr()}, num_frames={self.num_frames}'
