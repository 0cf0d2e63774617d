# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .criss_cross import autocast_dtype, criss_cross_attention, energy_dtype
from .layout import check_feature_map, check_integer, memory_format


class Scale(nn.Module):
    """A learnable scalar factor, ``gamma`` of the attention.

    Its parameter is named ``scale``, as in mmcv's ``Scale``, so the
    ``state_dict`` key of ``gamma`` is ``gamma.scale`` in both.

    Args:
        scale (float): Initial value. Defaults to 1.0.
    """

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Multiply by the factor.

        Args:
            x (Tensor): Any tensor.

        Returns:
            Tensor: ``x * scale``.
        """
        return x * self.scale


def pointwise(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """A 1x1 convolution at every position of a 4D or 5D feature map.

    The weights are cast to the dtype of ``x``; under ``torch.autocast`` the
    convolution runs in the autocast dtype.

    Args:
        x (Tensor): Feature map of shape (B, C, H, W) or (B, C, T, H, W).
        conv (nn.Conv2d): A 1x1 convolution of C input channels.

    Returns:
        Tensor: Shape (B, C_out, H, W) or (B, C_out, T, H, W).
    """
    weight, bias = conv.weight.to(x.dtype), conv.bias.to(x.dtype)
    if x.dim() == 5:
        return F.conv3d(x, weight.unsqueeze(2), bias)
    return F.conv2d(x, weight, bias)


class CrissCrossAttention(nn.Module):
    """Criss-cross attention (CCA) of `CCNet
    <https://arxiv.org/abs/1811.11721>`_.

    Every position ``u = (i, j)`` attends to the ``H + W - 1`` positions on
    its criss-cross path: its column ``{(i', j)}`` and its row ``{(i, j')}``.
    ``u`` itself lies on both; it is counted once, in the row branch (masked
    out of the column branch). One softmax runs over the column and row
    energies together, and the module returns
    ``gamma * aggregated_values + x`` with ``gamma`` initialised to 0.
    ``forward`` is one pass (as mmcv's module); :meth:`recurrent` runs
    ``R`` passes with the same weights, the recurrence of RCCA.

    Parameters and ``state_dict`` keys are those of
    ``mmcv.ops.CrissCrossAttention`` (``query_conv``, ``key_conv``,
    ``value_conv``, ``gamma.scale``), so weights trained with mmcv load as is.

    Two implementations compute the same function with the same parameters:

    - ``'efficient'`` (default): :func:`ccnet_core.criss_cross_attention`,
      one autograd function that saves only the input and the softmax
      statistics for backward and builds no concatenated energies or
      permuted copies (less than half the peak memory of ``'einsum'`` in
      training; times in the README's Performance section).
    - ``'einsum'``: mmcv's formulation with :func:`torch.einsum`
      (:meth:`energy`, :meth:`aggregate`), kept as the plain reference; the
      one to export to ONNX.

    Both compute the query and key projections, the energies and the
    softmax in float32 (or the input's dtype if wider), also under
    ``torch.autocast`` and for float16 or bfloat16 modules
    (``model.half()``), where the other products run in the narrower dtype;
    both return a contiguous tensor in the input's memory format (channels
    last stays channels last). A batch of zero samples gives an empty
    output; an input whose dtype differs from the parameters' outside
    autocast raises a TypeError.

    Args:
        in_channels (int): Channels C of the input feature map.
        impl (str, optional): One of :attr:`IMPLS`; defaults to the first,
            ``'efficient'``.
    """

    #: Implementations this class offers; the first is the default.
    IMPLS = ('efficient', 'einsum')
    #: Layout of the input feature map, for checks and messages.
    input_layout = '(B, C, H, W)'

    def __init__(self, in_channels: int, impl: Optional[str] = None) -> None:
        super().__init__()
        if in_channels < 8:
            raise ValueError('CrissCrossAttention needs in_channels >= 8 '
                             '(query and key have in_channels // 8 channels), '
                             f'got {in_channels}')
        impl = self.IMPLS[0] if impl is None else impl
        if impl not in self.IMPLS:
            raise ValueError(f'impl must be one of {self.IMPLS}, got '
                             f'{impl!r}')
        self.in_channels = in_channels
        self.impl = impl
        self.query_conv = nn.Conv2d(in_channels, in_channels // 8, 1)
        self.key_conv = nn.Conv2d(in_channels, in_channels // 8, 1)
        self.value_conv = nn.Conv2d(in_channels, in_channels, 1)
        self.gamma = Scale(0.)

    def energy(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Energies of every position over its criss-cross path.

        Args:
            query (Tensor): Queries of shape (B, C', ..., H, W).
            key (Tensor): Keys of the shape of ``query``.

        Returns:
            Tensor: Energies of shape (B, ..., H, W, H + W) in the layout of
            :meth:`attention`, ``-inf`` at the own position in the column
            part.
        """
        height = query.size(-2)
        energy_col = torch.einsum('bc...hw,bc...kw->b...hwk', query, key)
        self_in_col = torch.eye(
            height, dtype=torch.bool, device=query.device).unsqueeze(1)
        energy_col = energy_col.masked_fill(self_in_col, float('-inf'))
        energy_row = torch.einsum('bc...hw,bc...hk->b...hwk', query, key)
        return torch.cat([energy_col, energy_row], dim=-1)

    def aggregate(self, attention: torch.Tensor,
                  value: torch.Tensor) -> torch.Tensor:
        """Sum the values on each criss-cross path with the given weights.

        Args:
            attention (Tensor): Weights of shape (B, ..., H, W, H + W), see
                :meth:`attention`.
            value (Tensor): Values of shape (B, C, ..., H, W).

        Returns:
            Tensor: Aggregated values of shape (B, C, ..., H, W).
        """
        height = value.size(-2)
        attention = attention.to(value.dtype)
        out = torch.einsum('b...hwk,bc...kw->bc...hw',
                           attention[..., :height], value)
        return out + torch.einsum('b...hwk,bc...hk->bc...hw',
                                  attention[..., height:], value)

    def query_key(self, x: torch.Tensor
                  ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Queries and keys in float32 (or the input's dtype if wider).

        Args:
            x (Tensor): Feature map in :attr:`input_layout`.

        Returns:
            tuple[Tensor, Tensor]: Queries and keys, each of the layout of
            ``x`` with C // 8 channels.
        """
        with torch.autocast(x.device.type, enabled=False):
            x = x.to(energy_dtype(x))
            return pointwise(x, self.query_conv), pointwise(x, self.key_conv)

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`attention` without the check of the input.

        Args:
            x (Tensor): Feature map in :attr:`input_layout`.

        Returns:
            Tensor: The weights, see :meth:`attention`.
        """
        query, key = self.query_key(x)
        with torch.autocast(x.device.type, enabled=False):
            return F.softmax(self.energy(query, key), dim=-1)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights of every position over its criss-cross path.

        For inspection and visualisation; computed with the einsum
        formulation whatever ``impl`` is (both give the same weights). The
        projections, the energies and the softmax are computed in float32
        (or the input's dtype if wider), with autocast off.

        Args:
            x (Tensor): Feature map of shape (B, C, H, W).

        Returns:
            Tensor: Weights of shape (B, H, W, H + W). For position (i, j),
            entry ``k < H`` weights the column position (k, j) (zero at
            ``k == i``) and entry ``H + k`` the row position (i, k); each
            row of weights sums to 1.
        """
        check_feature_map(x, self.in_channels, self.input_layout)
        return self.weights(x)

    def check_input(self, x: torch.Tensor) -> None:
        """Raise unless ``x`` is an input :meth:`forward` takes.

        Args:
            x (Tensor): The input.

        Raises:
            ValueError: If ``x`` is not a feature map in
                :attr:`input_layout` with ``in_channels`` channels.
            TypeError: Outside autocast, if ``x`` has another dtype than the
                parameters.
        """
        check_feature_map(x, self.in_channels, self.input_layout)
        weight = self.query_conv.weight
        if x.dtype != weight.dtype and autocast_dtype(x.device.type) is None:
            raise TypeError(f'{type(self).__name__} got a {x.dtype} input '
                            f'but has {weight.dtype} parameters: convert the '
                            'module (e.g. model.half()) or run it under '
                            'torch.autocast')

    def attend(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` without the checks of the input.

        Args:
            x (Tensor): Feature map in :attr:`input_layout`.

        Returns:
            Tensor: ``gamma * out + x``, see :meth:`forward`.
        """
        if self.impl == 'efficient':
            out = criss_cross_attention(
                x, self.query_conv.weight, self.query_conv.bias,
                self.key_conv.weight, self.key_conv.bias,
                self.value_conv.weight, self.value_conv.bias,
                self.gamma.scale)
        else:
            attended = self.aggregate(
                self.weights(x), pointwise(x, self.value_conv))
            out = self.gamma(attended) + x
        return out.contiguous(memory_format=memory_format(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Aggregate the values on each position's criss-cross path.

        Args:
            x (Tensor): Feature map of shape (B, C, H, W).

        Returns:
            Tensor: ``gamma * out + x``, of shape (B, C, H, W), contiguous in
            the memory format of ``x``.

        Raises:
            TypeError: Outside autocast, if ``x`` has another dtype than the
                parameters.
        """
        self.check_input(x)
        return self.attend(x)

    def recurrent(self, x: torch.Tensor, recurrence: int) -> torch.Tensor:
        """``recurrence`` passes of this attention with its one set of
        weights, as in RCCA.

        Args:
            x (Tensor): Feature map of shape (B, C, H, W).
            recurrence (int): Number of passes R; 0 returns ``x``.

        Returns:
            Tensor: The output of the last pass, of the shape of ``x``.
        """
        check_integer(recurrence, 'recurrence', 0)
        for _ in range(recurrence):
            x = self(x)
        return x

    def extra_repr(self) -> str:
        """Extra information in the module's repr."""
        return f'in_channels={self.in_channels}, impl={self.impl!r}'
