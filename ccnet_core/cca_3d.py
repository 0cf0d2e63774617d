# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import torch

from .cca import CrissCrossAttention


class CrissCrossAttention3D(CrissCrossAttention):
    """3D criss-cross attention of `CCNet (TPAMI)
    <https://arxiv.org/abs/1811.11721>`_, for video clips and volumes.

    Takes (B, C, T, H, W) feature maps: T frames of a clip, or the depth of
    a volume. Every position ``(t, i, j)`` attends to its column
    ``{(t, i', j)}`` and row ``{(t, i, j')}`` in its own frame and to its
    temporal line ``{(t', i, j)}``: the ``T + H + W - 2`` positions that
    differ from it in at most one coordinate. The own position is counted
    once, in the row; one softmax runs over all three parts, and the module
    returns ``gamma * out + x`` of the shape of ``x``. T is read from the
    input. The column and row parts are the energies and aggregation of
    :class:`CrissCrossAttention` on every frame. Parameters are those of
    the 2D module (1x1 convolutions ``query_conv``, ``key_conv``,
    ``value_conv`` and ``gamma``), so its ``state_dict`` loads as is; on
    inputs with T = 1 this module is :class:`CrissCrossAttention`. Dtypes,
    autocast, empty batches and memory formats are handled as there.

    ``attention(x)`` returns the weights, of shape (B, T, H, W, H + W + T):
    for position (i, j) of frame t, entry ``k < H`` weights the column
    position (k, j) (zero at ``k == i``), entry ``H + k`` the row position
    (i, k) and entry ``H + W + k`` the same position in frame k (zero at
    ``k == t``); each row of weights sums to 1.

    Args:
        in_channels (int): Channels C of the input (>= 8).
        impl (str, optional): Only ``'einsum'`` (the memory-efficient
            autograd function of the 2D module is 2D only).
    """

    IMPLS = ('einsum', )
    input_layout = '(B, C, T, H, W)'

    def energy(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Energies of every position over its 3D criss-cross path.

        Args:
            query (Tensor): Queries of shape (B, C', T, H, W).
            key (Tensor): Keys of shape (B, C', T, H, W).

        Returns:
            Tensor: Energies of shape (B, T, H, W, H + W + T) in the layout
            of :meth:`attention`, ``-inf`` at the own position in the
            column and temporal parts.
        """
        temporal = torch.einsum('bcthw,bckhw->bthwk', query, key)
        self_in_time = torch.eye(
            query.size(2), dtype=torch.bool, device=query.device)[:, None,
                                                                   None]
        temporal = temporal.masked_fill(self_in_time, float('-inf'))
        return torch.cat([super().energy(query, key), temporal], dim=-1)

    def aggregate(self, attention: torch.Tensor,
                  value: torch.Tensor) -> torch.Tensor:
        """Sum the values on each 3D criss-cross path with the given weights.

        Args:
            attention (Tensor): Weights of shape (B, T, H, W, H + W + T),
                see :meth:`attention`.
            value (Tensor): Values of shape (B, C, T, H, W).

        Returns:
            Tensor: Aggregated values of shape (B, C, T, H, W).
        """
        spatial = sum(value.shape[-2:])
        attention = attention.to(value.dtype)
        temporal = torch.einsum('bthwk,bckhw->bcthw',
                                attention[..., spatial:], value)
        return super().aggregate(attention[..., :spatial], value) + temporal
