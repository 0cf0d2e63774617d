# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import Scale
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

from ...ops import autocast_dtype, criss_cross_attention


def check_integer(value: int, name: str, minimum: int) -> None:
    """Raise a ValueError unless ``value`` is an integer >= ``minimum``.

    Args:
        value (int): The value to check.
        name (str): Its name, for the message.
        minimum (int): The smallest value allowed.
    """
    if not isinstance(value, int) or value < minimum:
        raise ValueError(f'{name} must be an integer >= {minimum}, got '
                         f'{value!r}')


def check_feature_map(x: torch.Tensor,
                      channels: int,
                      layout: str = '(B, C, H, W)') -> None:
    """Raise a ValueError unless ``x`` is a 4D feature map of ``channels``.

    A batch of zero samples is a feature map; a map with zero rows or
    columns is not (there is no position to attend from).

    Args:
        x (Tensor): The tensor to check.
        channels (int): Expected size of dimension 1.
        layout (str): Human-readable layout for the message. Defaults to
            ``'(B, C, H, W)'``.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x)
        raise ValueError(f'expected a 4D feature map {layout} with '
                         f'C={channels}, got {got}')
    if x.size(1) != channels:
        raise ValueError(f'expected a 4D feature map {layout} with '
                         f'C={channels}, got {x.size(1)} channels (shape '
                         f'{tuple(x.shape)})')
    if 0 in x.shape[2:]:
        raise ValueError(f'expected a 4D feature map {layout} with '
                         f'C={channels} and no empty dimension after C, got '
                         f'shape {tuple(x.shape)}')


def memory_format(x: torch.Tensor) -> torch.memory_format:
    """The memory format ``x`` follows: channels last or contiguous.

    Args:
        x (Tensor): A 4D tensor.

    Returns:
        torch.memory_format: ``torch.channels_last`` if ``x`` is laid out
        so and not also plainly contiguous, else ``torch.contiguous_format``.
    """
    if not x.is_contiguous() and x.is_contiguous(
            memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


@MODELS.register_module()
class CrissCrossAttention(BaseModule):
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

    - ``'efficient'`` (default): :func:`mmseg_ccnet.ops.criss_cross_attention`,
      one autograd function that saves only the input and the softmax
      statistics for backward and builds no concatenated energies or
      permuted copies (less than half the peak memory of ``'einsum'`` in
      training; times in the README's Performance section).
    - ``'einsum'``: mmcv's formulation with :func:`torch.einsum`
      (:meth:`energy`, :meth:`aggregate`), kept as the plain reference.

    Both compute the energies and the softmax in float32 (or the input's
    dtype if wider), also under ``torch.autocast`` and for float16 or
    bfloat16 modules (``model.half()``), where the other products run in the
    narrower dtype; both return a contiguous tensor in the input's memory
    format (channels last stays channels last). A batch of zero samples
    gives an empty output; an input whose dtype differs from the
    parameters' outside autocast raises a TypeError.

    Args:
        in_channels (int): Channels C of the input feature map.
        impl (str, optional): One of :attr:`IMPLS`; defaults to the first,
            ``'efficient'``.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None (PyTorch's default initialization).
    """

    #: Implementations this class offers; the first is the default.
    IMPLS = ('efficient', 'einsum')
    #: Layout of the input feature map, for messages.
    input_layout = '(B, C, H, W)'

    def __init__(self,
                 in_channels: int,
                 impl: Optional[str] = None,
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg)
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
            query (Tensor): Queries of shape (B, C', H, W).
            key (Tensor): Keys of shape (B, C', H, W).

        Returns:
            Tensor: Energies of shape (B, H, W, H + W) in the layout of
            :meth:`attention`, ``-inf`` at the own position in the column
            part.
        """
        height = query.size(2)
        energy_col = torch.einsum('bchw,bckw->bhwk', query, key)
        self_in_col = torch.eye(
            height, dtype=torch.bool, device=query.device).unsqueeze(1)
        energy_col = energy_col.masked_fill(self_in_col, float('-inf'))
        energy_row = torch.einsum('bchw,bchk->bhwk', query, key)
        return torch.cat([energy_col, energy_row], dim=-1)

    def aggregate(self, attention: torch.Tensor,
                  value: torch.Tensor) -> torch.Tensor:
        """Sum the values on each criss-cross path with the given weights.

        Args:
            attention (Tensor): Weights of shape (B, H, W, H + W), see
                :meth:`attention`.
            value (Tensor): Values of shape (B, C, H, W).

        Returns:
            Tensor: Aggregated values of shape (B, C, H, W).
        """
        height = value.size(2)
        attention = attention.to(value.dtype)
        out = torch.einsum('bhwk,bckw->bchw', attention[..., :height], value)
        return out + torch.einsum('bhwk,bchk->bchw', attention[..., height:],
                                  value)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Attention weights of every position over its criss-cross path.

        For inspection and visualisation; computed with the einsum
        formulation whatever ``impl`` is (both give the same weights). The
        energies and the softmax are computed in float32 (or the input's
        dtype if wider), with autocast off.

        Args:
            x (Tensor): Feature map of shape (B, C, H, W).

        Returns:
            Tensor: Weights of shape (B, H, W, H + W). For position (i, j),
            entry ``k < H`` weights the column position (k, j) (zero at
            ``k == i``) and entry ``H + k`` the row position (i, k); each
            row of weights sums to 1.
        """
        check_feature_map(x, self.in_channels, self.input_layout)
        dtype = torch.promote_types(x.dtype, torch.float32)
        query, key = self.query_conv(x), self.key_conv(x)
        with torch.autocast(x.device.type, enabled=False):
            energy = self.energy(query.to(dtype), key.to(dtype))
            return F.softmax(energy, dim=-1)

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
        check_feature_map(x, self.in_channels, self.input_layout)
        weight = self.query_conv.weight
        if x.dtype != weight.dtype and autocast_dtype(x.device.type) is None:
            raise TypeError(f'{type(self).__name__} got a {x.dtype} input '
                            f'but has {weight.dtype} parameters: convert the '
                            'module (e.g. model.half()) or run it under '
                            'torch.autocast')
        if self.impl == 'efficient':
            out = criss_cross_attention(
                x, self.query_conv.weight, self.query_conv.bias,
                self.key_conv.weight, self.key_conv.bias,
                self.value_conv.weight, self.value_conv.bias,
                self.gamma.scale)
        else:
            attended = self.aggregate(self.attention(x), self.value_conv(x))
            out = self.gamma(attended) + x
        return out.contiguous(memory_format=memory_format(x))

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
