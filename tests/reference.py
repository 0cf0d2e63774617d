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


def phi_var(d: float, delta_v: float, delta_d: float) -> float:
    """The piecewise intra-category penalty, branch by branch."""
    if d > delta_d:
        return d - delta_d + (delta_d - delta_v)**2
    if d > delta_v:
        return (d - delta_v)**2
    return 0.0


def phi_dis(d: float, delta_d: float) -> float:
    """The inter-category penalty, branch by branch."""
    if d <= 2 * delta_d:
        return (2 * delta_d - d)**2
    return 0.0


def category_consistent_terms(feature: torch.Tensor, label: torch.Tensor,
                              delta_v: float, delta_d: float,
                              ignore_index: int) -> dict:
    """``l_var``, ``l_dis``, ``l_reg`` of every image, pixel by pixel.

    Args:
        feature (Tensor): (B, D, h, w).
        label (Tensor): (B, h, w) integer labels, already at the feature
            size.
        delta_v (float): Intra-category radius.
        delta_d (float): Half the inter-category margin.
        ignore_index (int): Label of pixels left out.

    Returns:
        dict: ``terms``, a list of (l_var, l_dis, l_reg) floats per image;
        ``distances``, every pixel-to-mean distance, and ``gaps``, every
        distance between two different means (to check which branches the
        input reached).
    """
    feature = feature.detach().double()
    terms, distances, gaps = [], [], []
    for image in range(feature.size(0)):
        members = {}
        for i in range(label.size(1)):
            for j in range(label.size(2)):
                category = int(label[image, i, j])
                if category != ignore_index:
                    members.setdefault(category, []).append(
                        feature[image, :, i, j])
        if not members:
            terms.append((0.0, 0.0, 0.0))
            continue
        means = {c: sum(h) / len(h) for c, h in members.items()}
        l_var = 0.0
        for category, pixels in members.items():
            spread = 0.0
            for pixel in pixels:
                d = float((means[category] - pixel).norm())
                distances.append(d)
                spread += phi_var(d, delta_v, delta_d)
            l_var += spread / len(pixels)
        l_dis = 0.0
        for a in means:
            for b in means:
                if a != b:
                    d = float((means[a] - means[b]).norm())
                    gaps.append(d)
                    l_dis += phi_dis(d, delta_d)
        count = len(means)
        if count > 1:
            l_dis /= count * (count - 1)
        l_reg = sum(float(mean.norm()) for mean in means.values()) / count
        terms.append((l_var / count, l_dis, l_reg))
    return dict(terms=terms, distances=distances, gaps=gaps)
