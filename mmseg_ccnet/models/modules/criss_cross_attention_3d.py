# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Optional

import torch
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

from ...utils import unflatten_clips
from .criss_cross_attention import CrissCrossAttention, check_integer


@MODELS.register_module()
class CrissCrossAttention3D(CrissCrossAttention):
    """3D criss-cross attention for video features, of `CCNet (TPAMI)
    <https://arxiv.org/abs/1811.11721>`_.

    Every position ``(t, i, j)`` of a clip attends to its column
    ``{(t, i', j)}`` and row ``{(t, i, j')}`` in its own frame and to its
    temporal line ``{(t', i, j)}``: the ``T + H + W - 2`` positions that
    differ from it in at most one coordinate. The own position is counted
    once, in the row; one softmax runs over all three parts.

    The frames of a batch of clips stay folded into the batch, clip-major:
    ``forward`` maps (B * T, C, H, W), frame t of clip b at row
    ``b * T + t``, to ``gamma * out + x`` of the same shape. The column and
    row parts are the energies and aggregation of
    :class:`CrissCrossAttention` on the folded batch; only the temporal
    part sees the clips, through (B, T, ...) views. Parameters are those of
    the 2D module (1x1 convolutions ``query_conv``, ``key_conv``,
    ``value_conv`` and ``gamma``), so its ``state_dict`` loads as is; with
    ``num_frames=1`` this module is :class:`CrissCrossAttention`. Dtypes,
    autocast, empty batches and memory formats are handled as there.

    ``attention(x)`` returns the weights, of shape (B * T, H, W, H + W + T):
    for position (i, j) of frame t, entry ``k < H`` weights the column
    position (k, j) (zero at ``k == i``), entry ``H + k`` the row position
    (i, k) and entry ``H + W + k`` the same position in frame k of the clip
    (zero at ``k == t``); each row of weights sums to 1.

    Args:
        in_channels (int): Channels C of the frame features (>= 8).
        num_frames (int): Frames T per clip (>= 1).
        impl (str, optional): Only ``'einsum'`` (the memory-efficient
            autograd function of the 2D module is 2D only).
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    IMPLS = ('einsum', )
    input_layout = '(B * T, C, H, W)'

    def __init__(self,
                 in_channels: int,
                 num_frames: int,
                 impl: Optional[str] = None,
                 init_cfg: OptConfigType = None):
        check_integer(num_frames, 'num_frames', 1)
        super().__init__(in_channels, impl, init_cfg)
        self.num_frames = num_frames

    def energy(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Energies of every position over its 3D criss-cross path.

        Args:
            query (Tensor): Queries of shape (B * T, C', H, W).
            key (Tensor): Keys of shape (B * T, C', H, W).

        Returns:
            Tensor: Energies of shape (B * T, H, W, H + W + T) in the layout
            of :meth:`attention`, ``-inf`` at the own position in the
            column and temporal parts.
        """
        spatial = super().energy(query, key)
        temporal = torch.einsum('btchw,bkchw->bthwk',
                                unflatten_clips(query, self.num_frames),
                                unflatten_clips(key, self.num_frames))
        self_in_time = torch.eye(
            self.num_frames, dtype=torch.bool,
            device=query.device)[:, None, None]
        temporal = temporal.masked_fill(self_in_time, float('-inf'))
        return torch.cat([spatial, temporal.flatten(0, 1)], dim=-1)

    def aggregate(self, attention: torch.Tensor,
                  value: torch.Tensor) -> torch.Tensor:
        """Sum the values on each 3D criss-cross path with the given weights.

        Args:
            attention (Tensor): Weights of shape (B * T, H, W, H + W + T),
                see :meth:`attention`.
            value (Tensor): Values of shape (B * T, C, H, W).

        Returns:
            Tensor: Aggregated values of shape (B * T, C, H, W).
        """
        height, width = value.shape[2:]
        attention = attention.to(value.dtype)
        spatial = super().aggregate(attention[..., :height + width], value)
        temporal = torch.einsum(
            'bthwk,bkchw->btchw',
            unflatten_clips(attention[..., height + width:], self.num_frames),
            unflatten_clips(value, self.num_frames))
        return spatial + temporal.flatten(0, 1)

    def extra_repr(self) -> str:
        """Extra information in the module's repr."""
        return f'{super().extra_repr()}, num_frames={self.num_frames}'
