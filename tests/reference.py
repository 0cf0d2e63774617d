# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Deliberately plain references written from the paper's formulas."""
import torch


def criss_cross_mask(height: int, width: int) -> torch.Tensor:
    """Which positions each position attends to in criss-cross attention.

    Args:
        height (int): H.
        width (int): W.

    Returns:
        Tensor: Bool (H*W, H*W); entry (u, p) is True when p shares u's row
        or column (u itself included once).
    """
    rows = torch.arange(height).repeat_interleave(width)
    cols = torch.arange(width).repeat(height)
    return (rows[:, None] == rows[None]) | (cols[:, None] == cols[None])


def dense_criss_cross(module, x: torch.Tensor) -> torch.Tensor:
    """Full softmax attention over H*W positions restricted by the mask.

    Args:
        module: A CrissCrossAttention (its 1x1 convs and gamma are used).
        x (Tensor): (B, C, H, W).

    Returns:
        Tensor: (B, C, H, W), ``gamma * attended + x``.
    """
    batch, channels, height, width = x.shape
    query = module.query_conv(x).flatten(2)  # B, C', N
    key = module.key_conv(x).flatten(2)
    value = module.value_conv(x).flatten(2)  # B, C, N
    energy = query.transpose(1, 2) @ key  # B, N, N
    mask = criss_cross_mask(height, width).to(x.device)
    energy = energy.masked_fill(~mask, float('-inf'))
    attention = energy.softmax(dim=-1)
    out = (value @ attention.transpose(1, 2)).view(batch, channels, height,
                                                   width)
    return module.gamma(out) + x
