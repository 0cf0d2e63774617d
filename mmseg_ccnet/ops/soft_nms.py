# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Soft-NMS (Bodla et al., ICCV 2017) with the semantics of
``mmcv.ops.soft_nms``.

mmcv's CPU kernel keeps the candidates in an array: each step moves the
first best-scoring candidate to the front of the rest, keeps it, and
scales the scores of the others by a weight of their IoU with it (``naive``:
0 from ``iou_threshold`` on; ``linear``: ``1 - IoU`` from ``iou_threshold``
on; ``gaussian``: ``exp(-IoU ** 2 / sigma)``); a candidate whose score
falls under ``min_score`` is dropped, the last candidate taking its place.
:func:`soft_nms` takes the same steps with the same array order (so equal
scores are ranked as the kernel ranks them), each step on all candidates at
once, in float32 as the kernel computes: the same boxes in the same order
and, for ``naive`` and ``linear``, the same scores to the bit (``gaussian``'s
``exp`` may differ from the C library's in the last bit). Its cost is a
Python step per kept box (about 0.15 ms each).
"""
from typing import Tuple, Union

import numpy as np
import torch
from torch import Tensor

from .nms import box_areas, box_ious
from .torchvision_ops import as_c_float

__all__ = ['soft_nms']

#: The score weights of :func:`soft_nms`, as mmcv numbers them.
METHODS = ('naive', 'linear', 'gaussian')

ArrayLike = Union[Tensor, np.ndarray]


def score_weights(ious: Tensor, method: str, iou_threshold: float,
                  sigma: float) -> Tensor:
    """The factors of the scores of boxes overlapping a kept box.

    Args:
        ious (Tensor): IoUs with the kept box, of shape (N, ), float32.
        method (str): One of :data:`METHODS`.
        iou_threshold (float): IoU from which ``naive`` and ``linear``
            lower the scores.
        sigma (float): Width of the ``gaussian`` weight.

    Returns:
        Tensor: Weights of shape (N, ).
    """
    if method == 'gaussian':
        return torch.exp(-(ious * ious) / as_c_float(sigma))
    reached = ious >= as_c_float(iou_threshold)
    lowered = torch.zeros_like(ious) if method == 'naive' else 1 - ious
    return torch.where(reached, lowered, torch.ones_like(ious))


def refill_order(dropped: Tensor) -> Tensor:
    """Where the kernel's candidates go when the dropped ones are removed.

    The kernel walks the candidates in order; a dropped one is replaced by
    the last candidate, which is then looked at in its place. The kept
    candidates before the new end stay where they are, and the holes there
    are filled, first hole first, by the kept candidates after it, last
    first.

    Args:
        dropped (Tensor): Bool tensor of shape (N, ), True for the
            candidates to drop.

    Returns:
        Tensor: The positions (int64) of the kept candidates in their new
        order.
    """
    kept = int((~dropped).sum())
    order = torch.arange(kept, device=dropped.device)
    holes = dropped[:kept].nonzero().view(-1)
    refills = (~dropped[kept:]).nonzero().view(-1).flip(0) + kept
    order[holes] = refills
    return order


def soft_nms(boxes: ArrayLike,
             scores: ArrayLike,
             iou_threshold: float = 0.3,
             sigma: float = 0.5,
             min_score: float = 1e-3,
             method: str = 'linear',
             offset: int = 0) -> Tuple[ArrayLike, ArrayLike]:
    """Soft-NMS, as ``mmcv.ops.soft_nms``.

    Args:
        boxes (Tensor | np.ndarray): Boxes of shape (N, 4) as
            (x1, y1, x2, y2).
        scores (Tensor | np.ndarray): Scores of shape (N, ).
        iou_threshold (float): IoU from which the ``naive`` and ``linear``
            methods lower scores. Defaults to 0.3.
        sigma (float): Width of the ``gaussian`` method. Defaults to 0.5.
        min_score (float): Boxes whose scores fall under it are dropped.
            Defaults to 1e-3.
        method (str): One of ``'naive'``, ``'linear'``, ``'gaussian'``.
            Defaults to ``'linear'``.
        offset (int): 0 or 1, added to the widths and heights.
            Defaults to 0.

    Returns:
        tuple[Tensor, Tensor] | tuple[np.ndarray, np.ndarray]: The kept
        boxes with their lowered scores, of shape (K, 5), in the order they
        were kept, and their indices in ``boxes`` (int64); numpy arrays for
        numpy inputs.
    """
    is_numpy = isinstance(boxes, np.ndarray)
    boxes = torch.as_tensor(boxes)
    scores = torch.as_tensor(scores)
    if boxes.dim() != 2 or boxes.size(1) != 4 or \
            scores.shape != boxes.shape[:1]:
        raise ValueError(f'soft_nms expects boxes (N, 4) and scores (N, ), '
                         f'got {tuple(boxes.shape)} and '
                         f'{tuple(scores.shape)}')
    if offset not in (0, 1):
        raise ValueError(f'soft_nms offset must be 0 or 1, got {offset}')
    if method not in METHODS:
        raise ValueError(f'soft_nms method must be one of {METHODS}, got '
                         f'{method!r}')
    # the kernel's arrays of candidates, on the CPU in float32 as there, as
    # the columns x1, y1, x2, y2, score, area, index (exact to 2 ** 24)
    boxes32 = boxes.detach().cpu().float()
    cands = torch.cat((boxes32, scores.detach().cpu().float()[:, None],
                       box_areas(boxes32, offset)[:, None],
                       torch.arange(len(boxes32), dtype=torch.float32)[:,
                                                                       None]),
                      dim=1)
    min_score = as_c_float(min_score)
    count, step = len(cands), 0
    while step < count:
        best = step + int(cands[step:count, 4].argmax())
        cands[[step, best]] = cands[[best, step]]
        rest = cands[step + 1:count]
        ious = box_ious(cands[step, None, :4], cands[step, None, 5],
                        rest[:, :4], rest[:, 5], offset)[0]
        rest[:, 4] *= score_weights(ious, method, iou_threshold, sigma)
        dropped = rest[:, 4] < min_score
        if bool(dropped.any()):
            order = refill_order(dropped)
            rest[:len(order)] = rest[order]
            count = step + 1 + len(order)
        step += 1
    dets = cands[:count, :5].to(boxes.dtype)
    inds = cands[:count, 6].long()
    if is_numpy:
        return dets.numpy(), inds.numpy()
    return dets.to(boxes.device), inds.to(boxes.device)
