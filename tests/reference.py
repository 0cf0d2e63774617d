# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Deliberately plain references written from the paper's formulas."""
import math

import torch


def criss_cross_mask(*sizes: int) -> torch.Tensor:
    """Which positions each position attends to in criss-cross attention.

    The criss-cross path of a position is every position that differs from
    it in at most one coordinate: its row and column in 2D (H + W - 1
    positions), and in 3D also its temporal line (T + H + W - 2).

    Args:
        *sizes (int): H, W (2D) or T, H, W (3D).

    Returns:
        Tensor: Bool (N, N), N = prod(sizes), positions in row-major order;
        entry (u, p) is True when p lies on u's path (u itself included
        once).
    """
    coords = torch.cartesian_prod(*(torch.arange(size) for size in sizes))
    coords = coords.view(-1, len(sizes))
    return (coords[:, None] != coords[None]).sum(-1) <= 1


def dense_criss_cross(module, x: torch.Tensor) -> torch.Tensor:
    """Full softmax attention over all positions restricted by the mask.

    Args:
        module: A CrissCrossAttention or CrissCrossAttention3D (its 1x1
            convs, gamma and, for folded clips, num_frames are used).
        x (Tensor): (B, C, H, W), (B, C, T, H, W) clips or volumes, or
            (B * T, C, H, W) frames of clips, clip-major, for a module with
            ``num_frames=T``.

    Returns:
        Tensor: The shape of ``x``, ``gamma * attended + x``.
    """
    num_frames = getattr(module, 'num_frames', None)

    def positions(features):  # B, C, N: the positions of each clip or image
        if num_frames is not None:
            features = features.unflatten(0, (-1, num_frames)).transpose(1, 2)
        return features.flatten(2)

    def project(conv):  # the 1x1 conv at every position, any layout
        weight, bias = conv.weight.flatten(1), conv.bias
        return torch.einsum('oc,bc...->bo...', weight, x) + bias.view(
            -1, *[1] * (x.dim() - 2))

    query = positions(project(module.query_conv))  # B, C', N
    key = positions(project(module.key_conv))
    value = positions(project(module.value_conv))  # B, C, N
    energy = query.transpose(1, 2) @ key  # B, N, N
    sizes = x.shape[2:] if num_frames is None else (num_frames, *x.shape[2:])
    mask = criss_cross_mask(*sizes).to(x.device)
    energy = energy.masked_fill(~mask, float('-inf'))
    attention = energy.softmax(dim=-1)
    out = (value @ attention.transpose(1, 2)).unflatten(2, sizes)
    if num_frames is not None:
        out = out.transpose(1, 2).flatten(0, 1)
    return module.gamma(out) + x


def assert_matches_dense(module, x: torch.Tensor) -> None:
    """Check a module's output and gradients against
    :func:`dense_criss_cross` to 1e-5.

    Args:
        module: A CrissCrossAttention or CrissCrossAttention3D.
        x (Tensor): Its input, with ``requires_grad=True``.
    """
    out = module(x)
    ref = dense_criss_cross(module, x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    grad_out = torch.randn_like(out)
    params = [x] + list(module.parameters())
    grads = torch.autograd.grad(out, params, grad_out)
    ref_grads = torch.autograd.grad(ref, params, grad_out)
    for grad, ref_grad in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref_grad, rtol=1e-5, atol=1e-5)


def reach(module, recurrence: int, *sizes: int) -> torch.Tensor:
    """Which input positions influence each output of R attention passes.

    Args:
        module: A criss-cross attention with 8 input channels, applied
            ``recurrence`` times with gamma set to 1 (in float64); in 3D
            one of num_frames=T, on the T frames of one clip.
        recurrence (int): Number of passes R.
        *sizes (int): H, W (2D) or T, H, W (3D).

    Returns:
        Tensor: Bool (N, N), N = prod(sizes); entry (u, v) is True when
        output u has a non-zero gradient with respect to input v.
    """
    torch.manual_seed(0)
    module = module.double()
    with torch.no_grad():
        module.gamma.scale.fill_(1.0)
    frames = math.prod(sizes[:-2])  # 1 image, or the T frames of a clip
    x = torch.randn(frames, 8, *sizes[-2:], dtype=torch.float64)

    def passes(inp):
        for _ in range(recurrence):
            inp = module(inp)
        return inp.sum(1).flatten()

    jacobian = torch.autograd.functional.jacobian(passes, x)
    return jacobian.abs().sum(dim=2).flatten(1) > 0


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
