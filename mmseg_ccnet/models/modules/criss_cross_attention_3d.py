# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import torch
import torch.nn as nn
from mmseg.registry import MODELS

from ...utils import fold_frames, unfold_frames
from .criss_cross_attention import CrissCrossAttention


@MODELS.register_module()
class CrissCrossAttention3D(CrissCrossAttention):
    """3D criss-cross attention for video features, of `CCNet (TPAMI)
    <https://arxiv.org/abs/1811.11721>`_.

    Every position ``(t, i, j)`` of a clip attends to its column
    ``{(t, i', j)}`` and row ``{(t, i, j')}`` in its own frame and to its
    temporal line ``{(t', i, j)}``: the ``T + H + W - 2`` positions that
    differ from it in at most one coordinate. The own position is counted
    once, in the row; one softmax runs over all three parts. With ``T = 1``
    this is :class:`CrissCrossAttention`.

    Parameter names are those of the 2D module, with 1x1x1 convolutions
    (``query_conv``, ``key_conv``, ``value_conv``) and ``gamma``
    (``Scale(0.)``). The 2D module's ``state_dict`` loads as is: its 1x1
    convolution weights are reshaped to 1x1x1, so weights of a trained 2D
    CCNet initialise the 3D one.

    ``forward`` maps clip features (B, C, T, H, W) to ``gamma * out + x`` of
    the same shape. ``attention(x)`` returns the weights, of shape
    (B, T, H, W, H + W + T): for position (t, i, j), entry ``k < H`` weights
    the column position (t, k, j) (zero at ``k == i``), entry ``H + k`` the
    row position (t, i, k) and entry ``H + W + k`` the temporal position
    (k, i, j) (zero at ``k == t``); each row of weights sums to 1.

    Args:
        in_channels (int): Channels C of the clip features (>= 8).
        impl (str, optional): Only ``'einsum'`` (the memory-efficient
            autograd function of the 2D module is 2D only).
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    IMPLS = ('einsum', )
    conv_type = nn.Conv3d
    input_dims = 5
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
        num_frames = query.size(2)
        spatial = super().energy(fold_frames(query), fold_frames(key))
        spatial = spatial.unflatten(0, (-1, num_frames))
        temporal = torch.einsum('bcthw,bckhw->bthwk', query, key)
        self_in_time = torch.eye(
            num_frames, dtype=torch.bool, device=query.device)[:, None, None]
        temporal = temporal.masked_fill(self_in_time, float('-inf'))
        return torch.cat([spatial, temporal], dim=-1)

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
        num_frames, height, width = value.shape[2:]
        attention = attention.to(value.dtype)
        spatial = super().aggregate(
            attention[..., :height + width].flatten(0, 1), fold_frames(value))
        temporal = torch.einsum('bthwk,bckhw->bcthw',
                                attention[..., height + width:], value)
        return unfold_frames(spatial, num_frames) + temporal

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Load 2D weights too: 1x1 convolution weights become 1x1x1."""
        for name in ('query_conv', 'key_conv', 'value_conv'):
            key = f'{prefix}{name}.weight'
            weight = state_dict.get(key)
            if isinstance(weight, torch.Tensor) and weight.dim() == 4:
                state_dict[key] = weight.unsqueeze(2)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
