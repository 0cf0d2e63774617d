# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``mmcv.ops.sigmoid_focal_loss`` with the semantics of mmcv's compiled op."""
from typing import Optional

import torch
import torch.nn.functional as F

__all__ = ['sigmoid_focal_loss']


def sigmoid_focal_loss(input: torch.Tensor,
                       target: torch.Tensor,
                       gamma: float = 2.0,
                       alpha: float = 0.25,
                       weight: Optional[torch.Tensor] = None,
                       reduction: str = 'mean') -> torch.Tensor:
    """Sigmoid focal loss with the semantics of mmcv's compiled op.

    Args:
        input (Tensor): Logits of shape (N, C).
        target (Tensor): Class indices of shape (N,), dtype long; the value
            C marks a sample that is negative for every class.
        gamma (float): Focusing parameter. Defaults to 2.0.
        alpha (float): Weight of the positive term. Defaults to 0.25.
        weight (Tensor, optional): Per-class weights of shape (C,), applied
            to every element of a sample by the sample's target class.
        reduction (str): ``'none'``, ``'mean'`` (sum divided by N) or
            ``'sum'``. Defaults to ``'mean'``.

    Returns:
        Tensor: Loss of shape (N, C) for ``'none'``, else a scalar.
    """
    if input.dim() != 2 or target.shape != input.shape[:1]:
        raise ValueError('sigmoid_focal_loss expects input (N, C) and target '
                         f'(N,), got {tuple(input.shape)} and '
                         f'{tuple(target.shape)}')
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(f'unknown reduction {reduction!r}')
    classes = torch.arange(input.size(1), device=input.device)
    positive = (target.unsqueeze(1) == classes).to(input.dtype)
    prob = input.sigmoid()
    log_p = F.logsigmoid(input)
    log_not_p = F.logsigmoid(-input)
    loss = -(positive * alpha * (1 - prob).pow(gamma) * log_p +
             (1 - positive) * (1 - alpha) * prob.pow(gamma) * log_not_p)
    if weight is not None:
        loss = loss * weight[target].unsqueeze(1)
    if reduction == 'mean':
        return loss.sum() / input.size(0)
    if reduction == 'sum':
        return loss.sum()
    return loss
