# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def phi_var(distance: torch.Tensor, delta_v: float,
            delta_d: float) -> torch.Tensor:
    """Piecewise penalty of a pixel's distance ``d`` to its category mean.

    ``0`` for ``d <= delta_v``, ``(d - delta_v)^2`` for
    ``delta_v < d <= delta_d`` and ``d - delta_d + (delta_d - delta_v)^2``
    for ``d > delta_d``: quadratic near the mean, linear (gradient 1) far
    away, continuous at both thresholds. Written with clamps, which gives
    exactly these three branches.

    Args:
        distance (Tensor): Distances ``d >= 0`` of any shape.
        delta_v (float): Radius inside which a pixel costs nothing.
        delta_d (float): Distance beyond which the penalty grows linearly.

    Returns:
        Tensor: Penalties, same shape as ``distance``.
    """
    quadratic = (distance.clamp(delta_v, delta_d) - delta_v)**2
    return quadratic + (distance - delta_d).clamp(min=0)


def phi_dis(distance: torch.Tensor, delta_d: float) -> torch.Tensor:
    """Penalty of the distance ``d`` between two category means.

    ``(2 * delta_d - d)^2`` for ``d <= 2 * delta_d``, else ``0``.

    Args:
        distance (Tensor): Distances ``d >= 0`` of any shape.
        delta_d (float): Half the margin between category means.

    Returns:
        Tensor: Penalties, same shape as ``distance``.
    """
    return (2 * delta_d - distance).clamp(min=0)**2


def resize_seg_label(seg_label: torch.Tensor,
                     size: Tuple[int, int]) -> torch.Tensor:
    """Resize integer label maps by nearest neighbour.

    Args:
        seg_label (Tensor): Labels of shape (B, H, W).
        size (tuple[int, int]): Target (h, w).

    Returns:
        Tensor: Labels of shape (B, h, w), same dtype; ``seg_label`` itself
        when it has that size already.
    """
    if tuple(seg_label.shape[-2:]) == tuple(size):
        return seg_label
    resized = F.interpolate(
        seg_label[:, None].float(), size=tuple(size), mode='nearest')
    return resized[:, 0].to(seg_label.dtype)


def scatter_mean(values: torch.Tensor, index: torch.Tensor,
                 size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mean of the rows of ``values`` that share an index.

    Args:
        values (Tensor): Rows to average, (P, D).
        index (Tensor): Group of each row, (P,) integers in ``[0, size)``.
        size (int): Number of groups S.

    Returns:
        tuple[Tensor, Tensor]: Means (S, D), zero for empty groups, and
        the number of rows of each group (S,).
    """
    counts = torch.bincount(index, minlength=size)
    sums = values.new_zeros(size, values.size(1)).index_add_(0, index, values)
    return sums / counts.clamp(min=1)[:, None].to(values.dtype), counts


class CategoryConsistentLoss(nn.Module):
    """Category consistent loss of `CCNet (TPAMI)
    <https://arxiv.org/abs/1811.11721>`_.

    Pulls the features of the pixels of one category towards their mean
    and pushes the means of different categories apart. For each image,
    with ``C`` the categories present (ignored pixels left out), ``h_i``
    the features of the ``N_c`` pixels of category ``c`` and ``mu_c`` their
    mean:

    - ``l_var = 1/|C| sum_c 1/N_c sum_i phi_var(||mu_c - h_i||)``
    - ``l_dis = 1/(|C|(|C|-1)) sum_{ca != cb} phi_dis(||mu_ca - mu_cb||)``
      (0 when ``|C| < 2``)
    - ``l_reg = 1/|C| sum_c ||mu_c||``

    (see :func:`phi_var` and :func:`phi_dis`). The loss is
    ``loss_weight * (alpha * l_var + beta * l_dis + gamma * l_reg)``
    averaged over the images of the batch; an image without labelled
    pixels contributes 0. Computed in at least float32 whatever the input
    dtype (e.g. bfloat16 features under autocast).

    Args:
        delta_v (float): Intra-category radius. Defaults to 0.5.
        delta_d (float): Half the inter-category margin; also where
            ``phi_var`` turns linear. Defaults to 1.5.
        alpha (float): Weight of ``l_var``. Defaults to 1.0.
        beta (float): Weight of ``l_dis``. Defaults to 1.0.
        gamma (float): Weight of ``l_reg``. Defaults to 0.001.
        ignore_index (int): Label of pixels left out. Defaults to 255.
        loss_weight (float): Weight of the whole loss. Defaults to 1.0.
        loss_name (str): Name of the loss in the losses dict (and the
            logs). Defaults to 'loss_ccl'.
    """

    def __init__(self,
                 delta_v: float = 0.5,
                 delta_d: float = 1.5,
                 alpha: float = 1.0,
                 beta: float = 1.0,
                 gamma: float = 0.001,
                 ignore_index: int = 255,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_ccl'):
        super().__init__()
        if not 0 <= delta_v <= delta_d:
            raise ValueError('need 0 <= delta_v <= delta_d, got '
                             f'delta_v={delta_v}, delta_d={delta_d}')
        self.delta_v = delta_v
        self.delta_d = delta_d
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def terms(self, feature: torch.Tensor, seg_label: torch.Tensor
              ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The three terms of the loss for each image.

        Args:
            feature (Tensor): Features of shape (B, D, h, w).
            seg_label (Tensor): Integer labels of shape (B, H, W), resized
                to (h, w) by nearest neighbour when the sizes differ.

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``l_var``, ``l_dis`` and
            ``l_reg``, each of shape (B,), in float32 or wider (float64
            stays float64).
        """
        batch, channels = feature.shape[:2]
        label = resize_seg_label(seg_label, feature.shape[2:]).flatten(1)
        dtype = torch.promote_types(feature.dtype, torch.float32)
        pixels = feature.to(dtype).flatten(2).transpose(1, 2)  # B, hw, D
        valid = label != self.ignore_index
        zeros = pixels.new_zeros(batch)
        if not valid.any():
            # keep the graph so that backward() runs and gives zeros
            return zeros + 0 * pixels.sum(), zeros, zeros
        num_categories = int(label[valid].max()) + 1
        # one group per (image, category): image * num_categories + label
        image = torch.arange(batch, device=label.device)[:, None]
        group = (image * num_categories + label)[valid]
        pixels = pixels[valid]  # P, D
        means, counts = scatter_mean(pixels, group, batch * num_categories)
        present = (counts > 0).view(batch, num_categories)
        num_present = present.sum(1).clamp(min=1)

        distance = torch.linalg.vector_norm(pixels - means[group], dim=1)
        spread, _ = scatter_mean(
            phi_var(distance, self.delta_v, self.delta_d)[:, None], group,
            batch * num_categories)
        l_var = spread.view(batch, num_categories).sum(1) / num_present

        norms = torch.linalg.vector_norm(means, dim=1)
        l_reg = norms.view(batch, num_categories).sum(1) / num_present

        means = means.view(batch, num_categories, channels)
        gaps = torch.linalg.vector_norm(
            means[:, :, None] - means[:, None], dim=-1)  # B, K, K
        pairs = present[:, :, None] & present[:, None]
        pairs &= ~torch.eye(
            num_categories, dtype=torch.bool, device=pairs.device)
        push = (phi_dis(gaps, self.delta_d) * pairs).sum((1, 2))
        l_dis = push / pairs.sum((1, 2)).clamp(min=1)
        return l_var, l_dis, l_reg

    def forward(self, feature: torch.Tensor,
                seg_label: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            feature (Tensor): Features of shape (B, D, h, w).
            seg_label (Tensor): Integer labels of shape (B, H, W), resized
                to (h, w) by nearest neighbour when the sizes differ.

        Returns:
            Tensor: The weighted loss, a scalar (float32, or float64 for
            float64 features).
        """
        l_var, l_dis, l_reg = self.terms(feature, seg_label)
        per_image = self.alpha * l_var + self.beta * l_dis + \
            self.gamma * l_reg
        return self.loss_weight * per_image.mean()

    @property
    def loss_name(self) -> str:
        """Name of the loss in the losses dict, e.g. 'loss_ccl'.

        Returns:
            str: The name of this loss item.
        """
        return self._loss_name
