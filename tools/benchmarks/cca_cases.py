# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The cases of the criss-cross attention benchmark and their FLOP counts."""
from typing import Callable, Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import NonLocal2d

import mmseg_ccnet  # noqa: F401
from mmseg_ccnet.models import CrissCrossAttention
from mmseg_ccnet.models.modules import recurrent_attention

#: Feature size of the paper's setting (769x769 crops, output stride 8).
PAPER_SIZE = 97
CASES = ('cca-efficient', 'cca-einsum', 'mmcv-einsum-reference',
         'nonlocal2d')
REFERENCE = 'mmcv-einsum-reference'


class MmcvEinsumCrissCross(nn.Module):
    """mmcv's formulation of criss-cross attention, written from the paper.

    ``e_col[b, i, j, k] = q_ij . k_kj`` (minus infinity at ``k == i``) and
    ``e_row[b, i, j, k] = q_ij . k_ik``; one softmax over their concatenation
    along the last axis; ``out_ij = sum_k a_col v_kj + sum_k a_row v_ik``;
    the result is ``gamma * out + x``. Every step materialises its tensor,
    as mmcv's ``CrissCrossAttention`` does.

    Args:
        cca (CrissCrossAttention): Module whose parameters are used.
    """

    def __init__(self, cca: CrissCrossAttention):
        super().__init__()
        self.cca = cca

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attend along rows and columns.

        Args:
            x (Tensor): Feature map of shape (B, C, H, W).

        Returns:
            Tensor: ``gamma * out + x`` of shape (B, C, H, W).
        """
        query = self.cca.query_conv(x)
        key = self.cca.key_conv(x)
        value = self.cca.value_conv(x)
        height = x.size(2)
        neg_inf_diag = torch.diag(
            x.new_full((height, ), float('-inf'))).view(1, 1, height, height)
        energy_col = torch.einsum('bchw,bciw->bwhi', query,
                                  key) + neg_inf_diag
        energy_row = torch.einsum('bchw,bchj->bhwj', query, key)
        weights = F.softmax(
            torch.cat([energy_col.transpose(1, 2), energy_row], dim=-1),
            dim=-1)
        out = torch.einsum('bciw,bhwi->bchw', value, weights[..., :height])
        out = out + torch.einsum('bchj,bhwj->bchw', value,
                                 weights[..., height:])
        return self.cca.gamma(out) + x


class Recurrent(nn.Module):
    """Apply one module ``recurrence`` times (shared weights, as RCCA).

    Args:
        module (nn.Module): The attention.
        recurrence (int): Number of passes.
    """

    def __init__(self, module: nn.Module, recurrence: int):
        super().__init__()
        self.module = module
        self.recurrence = recurrence

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the passes one after the other.

        Args:
            x (Tensor): Input of the first pass, (B, C, H, W).

        Returns:
            Tensor: Output of the last pass, (B, C, H, W).
        """
        return recurrent_attention(x, self.module, self.recurrence)


def build_case(name: str, channels: int, recurrence: int) -> nn.Module:
    """Build one benchmark case with seeded weights.

    The criss-cross cases share the same weights (and a non-zero gamma), so
    their outputs agree.

    Args:
        name (str): One of :data:`CASES`.
        channels (int): Channels C of the feature map.
        recurrence (int): Passes R of the criss-cross cases.

    Returns:
        nn.Module: The case, mapping (B, C, H, W) to (B, C, H, W).
    """
    torch.manual_seed(0)
    if name == 'nonlocal2d':
        return NonLocal2d(channels, reduction=2, mode='embedded_gaussian')
    impl = 'einsum' if name == REFERENCE else name.split('-')[1]
    cca = CrissCrossAttention(channels, impl=impl)
    with torch.no_grad():
        cca.gamma.scale.fill_(0.5)
    module = MmcvEinsumCrissCross(cca) if name == REFERENCE else cca
    return Recurrent(module, recurrence)


def make_inputs(batch: int, channels: int,
                size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Seeded input (requiring grad) and output gradient.

    Args:
        batch (int): B.
        channels (int): C.
        size (int): H = W.

    Returns:
        tuple[Tensor, Tensor]: ``x`` and ``grad_out``, (B, C, H, W).
    """
    generator = torch.Generator().manual_seed(1)
    shape = (batch, channels, size, size)
    x = torch.randn(shape, generator=generator).requires_grad_()
    return x, torch.randn(shape, generator=generator)


def forward_step(model: nn.Module, x: torch.Tensor,
                 grad_out: torch.Tensor) -> None:
    """Inference forward pass.

    Args:
        model (nn.Module): The case.
        x (Tensor): Input.
        grad_out (Tensor): Unused (the signature of :func:`train_step`).
    """
    with torch.no_grad():
        model(x)


def train_step(model: nn.Module, x: torch.Tensor,
               grad_out: torch.Tensor) -> None:
    """Forward and backward pass; gradients are set to None first.

    Args:
        model (nn.Module): The case.
        x (Tensor): Input, requiring grad.
        grad_out (Tensor): Gradient of the output.
    """
    x.grad = None
    model.zero_grad(set_to_none=True)
    model(x).backward(grad_out)


STEPS: Dict[str, Callable] = dict(forward=forward_step, train=train_step)


def analytic_flops(name: str, batch: int, channels: int, size: int,
                   recurrence: int) -> Dict[str, int]:
    """FLOPs of the matrix products and convolutions, 2 per multiply-add.

    Per criss-cross pass with ``N = H * W`` positions, ``C' = C / 8`` and
    ``L = H + W`` path entries (the masked self entry included): query/key
    projections ``2 N C 2C'``, energies ``2 N L C'``, aggregation
    ``2 N L C``, value projection ``2 N C C``. Backward of a plain autograd
    graph costs two products per forward product; the efficient function
    recomputes the query/key projections, the energies and the aggregation
    and then needs three products per query/key projection, energy and
    aggregation and two per value projection. Non-local (embedded Gaussian,
    ``C_i = C / 2``): four 1x1 convolutions ``2 N C C_i`` each and two
    ``N x N`` products ``2 N N C_i`` each.

    Args:
        name (str): The case.
        batch (int): B.
        channels (int): C.
        size (int): H = W.
        recurrence (int): Passes R of the criss-cross cases.

    Returns:
        dict: ``forward`` and ``train`` (forward + backward) FLOPs.
    """
    positions = batch * size * size
    if name == 'nonlocal2d':
        inter = channels // 2
        forward = (4 * 2 * positions * channels * inter +
                   2 * 2 * positions * size * size * inter)
        return dict(forward=forward, train=3 * forward)
    reduced = channels // 8
    path = 2 * size
    qk = 2 * positions * channels * 2 * reduced
    energy = 2 * positions * path * reduced
    aggregation = 2 * positions * path * channels
    value = 2 * positions * channels * channels
    forward = qk + energy + aggregation + value
    if name == 'cca-efficient':
        backward = 3 * (qk + energy + aggregation) + 2 * value
    else:
        backward = 2 * forward
    return dict(
        forward=recurrence * forward,
        train=recurrence * (forward + backward))
