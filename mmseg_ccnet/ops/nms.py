# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Non-maximum suppression with the semantics of ``mmcv.ops.nms``.

:func:`nms` keeps the boxes that mmcv's CPU kernel keeps, in the same order:
the boxes are ranked by ``scores.sort(0, descending=True)`` (the call the
kernel makes; it is not a stable sort, so this call, not a stable one,
decides the order of equal scores), and a box is dropped when its IoU with
a kept box of higher rank exceeds ``iou_threshold``, with the IoU computed
in the boxes' dtype by the kernel's arithmetic: ``w = max(0, min(x2) -
max(x1) + offset)`` (``h`` alike), ``inter = w * h`` and ``inter / (area_i
+ area_j - inter)``, compared strictly with the threshold cast to that
dtype. The greedy pass goes through the ranking in blocks, without a loop
over boxes: the IoUs within a block are computed at once and the block is
resolved among itself by repeating a vectorised suppression step until it
settles (:func:`resolve_greedy`); the block's kept boxes then drop the
later boxes still kept that they overlap. This gives the sequential pass's
result, bit for bit.

:func:`batched_nms` is ``mmcv.ops.batched_nms``: boxes of different
``idxs`` are shifted apart by the same float offsets as mmcv's, so that the
shifted boxes, and with them the IoUs, are the same to the last bit. Where
the shifted groups cannot overlap (no negative coordinate, ``offset`` 0),
the IoUs are computed within groups only (:func:`grouped_greedy_keep`).

Where torchvision's compiled ops load, its ``nms`` kernel suppresses (for
``offset`` 0), given the boxes in the same ranking and the threshold
rounded to a C float as mmcv's kernel takes it: the same boxes again.
"""
from importlib import import_module
from typing import Callable, Dict, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from .torchvision_ops import as_c_float, torchvision_ops

__all__ = ['batched_nms', 'nms']

#: Boxes whose IoUs with the boxes ranked after them are computed at once.
BLOCK_SIZE = 256

ArrayLike = Union[Tensor, np.ndarray]


def box_areas(boxes: Tensor, offset: int) -> Tensor:
    """Areas ``(x2 - x1 + offset) * (y2 - y1 + offset)``.

    Args:
        boxes (Tensor): Boxes of shape (N, 4) as (x1, y1, x2, y2).
        offset (int): 0 or 1, added to widths and heights.

    Returns:
        Tensor: Areas of shape (N, ).
    """
    return (boxes[:, 2] - boxes[:, 0] + offset) * (boxes[:, 3] - boxes[:, 1] +
                                                   offset)


def box_ious(rows: Tensor, row_areas: Tensor, cols: Tensor,
             col_areas: Tensor, offset: int) -> Tensor:
    """The IoU of each pair of boxes, by mmcv's kernels' arithmetic.

    Leading dimensions broadcast, so that groups of boxes are compared in
    one call.

    Args:
        rows (Tensor): Boxes of shape (..., M, 4) as (x1, y1, x2, y2).
        row_areas (Tensor): Their areas, of shape (..., M).
        cols (Tensor): Boxes of shape (..., N, 4).
        col_areas (Tensor): Their areas, of shape (..., N).
        offset (int): 0 or 1, added to the widths and heights.

    Returns:
        Tensor: IoUs of shape (..., M, N), in the boxes' dtype.
    """
    rows, cols = rows.unsqueeze(-2), cols.unsqueeze(-3)
    sides = []
    for low, high in ((0, 2), (1, 3)):
        side = torch.minimum(rows[..., high], cols[..., high]).sub_(
            torch.maximum(rows[..., low], cols[..., low]))
        sides.append(side.add_(offset).clamp_(min=0))
    inter = sides[0].mul_(sides[1])
    union = (row_areas[..., :, None] + col_areas[..., None, :]).sub_(inter)
    return inter.div_(union)


def iou_exceeds(rows: Tensor, row_areas: Tensor, cols: Tensor,
                col_areas: Tensor, iou_threshold: float,
                offset: int) -> Tensor:
    """Whether the IoU of each pair of boxes exceeds the threshold.

    Args:
        rows (Tensor): Boxes of shape (..., M, 4) as (x1, y1, x2, y2).
        row_areas (Tensor): Their areas, of shape (..., M).
        cols (Tensor): Boxes of shape (..., N, 4).
        col_areas (Tensor): Their areas, of shape (..., N).
        iou_threshold (float): The threshold, compared in the boxes' dtype.
        offset (int): 0 or 1, added to the widths and heights.

    Returns:
        Tensor: Bool tensor of shape (..., M, N).
    """
    return box_ious(rows, row_areas, cols, col_areas, offset) > iou_threshold


def resolve_greedy(suppresses: Tensor, candidates: Tensor) -> Tensor:
    """Greedy suppression among boxes in rank order, without a box loop.

    Box ``j`` is kept when it is a candidate and no kept box ``i < j``
    suppresses it. The pass ``keep = candidates & ~any(suppresses[i, j] for
    kept i)`` is repeated until nothing changes: after ``t`` passes the
    first ``t`` boxes are settled, and the equation has one solution, so
    the fixed point is the sequential pass's result; it comes after as
    many passes as the longest chain of suppressions, usually a few.

    Args:
        suppresses (Tensor): Bool tensor of shape (..., L, L), True where
            box ``i`` would drop box ``j``; only ``i < j`` may be True.
        candidates (Tensor): Bool tensor of shape (..., L).

    Returns:
        Tensor: Bool tensor of shape (..., L), True for the kept boxes.
    """
    keep = candidates
    while True:
        dropped = (suppresses & keep[..., :, None]).any(-2)
        settled = candidates & ~dropped
        if torch.equal(settled, keep):
            return keep
        keep = settled


def greedy_keep(boxes: Tensor, iou_threshold: float, offset: int) -> Tensor:
    """The boxes kept by greedy suppression, boxes in rank order.

    The boxes are taken in blocks of :data:`BLOCK_SIZE`: the block is
    resolved among itself (:func:`resolve_greedy`), then its kept boxes
    drop the later boxes still kept that they overlap.

    Args:
        boxes (Tensor): Boxes of shape (N, 4), best first.
        iou_threshold (float): IoU above which a box is dropped.
        offset (int): 0 or 1, added to the widths and heights.

    Returns:
        Tensor: Bool mask of shape (N, ), True for the kept boxes.
    """
    areas = box_areas(boxes, offset)
    keep = torch.ones(boxes.size(0), dtype=torch.bool, device=boxes.device)
    for start in range(0, boxes.size(0), BLOCK_SIZE):
        stop = min(start + BLOCK_SIZE, boxes.size(0))
        block = slice(start, stop)
        inner = iou_exceeds(boxes[block], areas[block], boxes[block],
                            areas[block], iou_threshold, offset).triu_(1)
        keep[block] = resolve_greedy(inner, keep[block])
        kept = keep[block].nonzero().squeeze(1) + start
        later = keep[stop:].nonzero().squeeze(1) + stop
        if kept.numel() and later.numel():
            dropped = iou_exceeds(boxes[kept], areas[kept], boxes[later],
                                  areas[later], iou_threshold,
                                  offset).any(0)
            keep[later[dropped]] = False
    return keep


def grouped_greedy_keep(boxes: Tensor, groups: Tensor, iou_threshold: float,
                        offset: int) -> Tensor:
    """Greedy suppression within groups that cannot suppress each other.

    The groups of at most :data:`BLOCK_SIZE` boxes are padded to one tensor
    of shape (G, L, 4) and resolved together by :func:`resolve_greedy`;
    each larger group goes through :func:`greedy_keep` on its own. The IoUs
    are computed within groups only.

    Args:
        boxes (Tensor): Boxes of shape (N, 4), best first.
        groups (Tensor): Group of each box (int64), of shape (N, ).
        iou_threshold (float): IoU above which a box is dropped.
        offset (int): 0 or 1, added to the widths and heights.

    Returns:
        Tensor: Bool mask of shape (N, ), True for the kept boxes.
    """
    groups, members = groups.sort(stable=True)
    groups = torch.unique_consecutive(groups, return_inverse=True)[1]
    sizes = torch.bincount(groups)
    firsts = sizes.cumsum(0) - sizes
    keep = torch.empty_like(groups, dtype=torch.bool)
    large = sizes > BLOCK_SIZE
    for first, size in zip(firsts[large].tolist(), sizes[large].tolist()):
        group = members[first:first + size]
        keep[group] = greedy_keep(boxes[group], iou_threshold, offset)
    small = ~large[groups]
    if not small.any():
        return keep
    members, groups = members[small], groups[small]
    slots = torch.arange(small.numel(), device=groups.device)[small] - \
        firsts[groups]
    groups = torch.unique_consecutive(groups, return_inverse=True)[1]
    padded = boxes.new_zeros(int(groups[-1]) + 1, int(slots.max()) + 1, 4)
    padded[groups, slots] = boxes[members]
    valid = torch.zeros(padded.shape[:2], dtype=torch.bool,
                        device=boxes.device)
    valid[groups, slots] = True
    areas = box_areas(padded.view(-1, 4), offset).view(valid.shape)
    suppresses = iou_exceeds(padded, areas, padded, areas, iou_threshold,
                             offset).triu_(1)
    keep[members] = resolve_greedy(suppresses & valid[:, None, :],
                                   valid)[groups, slots]
    return keep


def kept_indices(boxes: Tensor,
                 scores: Tensor,
                 iou_threshold: float,
                 offset: int = 0,
                 score_threshold: float = 0,
                 max_num: int = -1,
                 groups: Optional[Tensor] = None) -> Tensor:
    """The indices that :func:`nms` keeps, best first.

    Args:
        boxes (Tensor): Boxes of shape (N, 4).
        scores (Tensor): Scores of shape (N, ).
        iou_threshold (float): IoU above which a box is dropped.
        offset (int): 0 or 1, added to the widths and heights.
        score_threshold (float): When positive, only boxes scoring above it
            take part. Defaults to 0.
        max_num (int): When positive, at most this many boxes are kept.
            Defaults to -1.
        groups (Tensor, optional): Group of each box, of shape (N, ), when
            boxes of different groups are known not to suppress each other:
            the IoUs are then computed within groups only.

    Returns:
        Tensor: Kept indices (int64), best first.
    """
    candidates = torch.arange(boxes.size(0), device=boxes.device)
    if score_threshold > 0:
        candidates = torch.nonzero(scores > score_threshold).squeeze(1)
    order = scores[candidates].sort(0, descending=True)[1]
    ranked = candidates[order]
    # mmcv's kernels compare the IoUs with a C float
    iou_threshold = as_c_float(iou_threshold)
    vision = torchvision_ops()
    if vision is not None and offset == 0:
        # the ranks as scores: torchvision keeps this order
        ranks = torch.arange(ranked.numel(), 0, -1, device=boxes.device)
        keep = vision.nms(boxes[ranked], ranks.to(boxes.dtype),
                          iou_threshold)
        return ranked[keep[:max_num] if max_num > 0 else keep]
    if groups is not None and ranked.numel():
        keep = grouped_greedy_keep(boxes[ranked], groups[ranked],
                                   iou_threshold, offset)
    else:
        keep = greedy_keep(boxes[ranked], iou_threshold, offset)
    inds = ranked[keep]
    return inds[:max_num] if max_num > 0 else inds


def nms(boxes: ArrayLike,
        scores: ArrayLike,
        iou_threshold: float,
        offset: int = 0,
        score_threshold: float = 0,
        max_num: int = -1) -> Tuple[ArrayLike, ArrayLike]:
    """Non-maximum suppression, as ``mmcv.ops.nms``.

    Args:
        boxes (Tensor | np.ndarray): Boxes of shape (N, 4) as
            (x1, y1, x2, y2).
        scores (Tensor | np.ndarray): Scores of shape (N, ).
        iou_threshold (float): IoU above which a box is dropped.
        offset (int): 0 or 1, added to the widths and heights.
            Defaults to 0.
        score_threshold (float): When positive, only boxes scoring above it
            take part. Defaults to 0.
        max_num (int): When positive, at most this many boxes are kept.
            Defaults to -1.

    Returns:
        tuple[Tensor, Tensor] | tuple[np.ndarray, np.ndarray]: The kept
        boxes with their scores, of shape (K, 5), and their indices in
        ``boxes`` (int64), best first; numpy arrays for numpy inputs.
    """
    is_numpy = isinstance(boxes, np.ndarray)
    boxes = torch.as_tensor(boxes)
    scores = torch.as_tensor(scores)
    if boxes.dim() != 2 or boxes.size(1) != 4:
        raise ValueError(f'nms expects boxes of shape (N, 4), got '
                         f'{tuple(boxes.shape)}')
    if scores.shape != boxes.shape[:1]:
        raise ValueError(f'nms expects {boxes.size(0)} scores, got shape '
                         f'{tuple(scores.shape)}')
    if offset not in (0, 1):
        raise ValueError(f'nms offset must be 0 or 1, got {offset}')
    inds = kept_indices(boxes, scores, iou_threshold, offset,
                        score_threshold, max_num)
    dets = torch.cat((boxes[inds], scores[inds].reshape(-1, 1)), dim=1)
    if is_numpy:
        return dets.cpu().numpy(), inds.cpu().numpy()
    return dets, inds


def resolve_nms_op(nms_type: Union[str, Callable]) -> Callable:
    """The NMS function that a ``nms_cfg['type']`` names.

    Args:
        nms_type (str | Callable): ``'nms'`` (this module's :func:`nms`), a
            function, or the name of another function of ``mmcv.ops.nms``
            (e.g. ``'soft_nms'``), looked up there as mmcv does.

    Returns:
        Callable: The function.
    """
    if callable(nms_type):
        return nms_type
    if nms_type == 'nms':
        return nms
    return getattr(import_module('mmcv.ops.nms'), nms_type)


def groups_are_apart(boxes: Tensor, boxes_for_nms: Tensor,
                     nms_cfg: Dict) -> bool:
    """Whether :func:`batched_nms`'s shifted groups cannot suppress each
    other.

    Group ``g`` is shifted by ``g * (max + 1)``; with no coordinate below 0
    the groups' boxes then lie at least 1 apart, so that, with ``offset``
    0, their intersections are empty (IoU 0, or NaN for two empty boxes)
    and never exceed a threshold of 0 or more, provided that the shifted
    coordinates are exact to well under 1.

    Args:
        boxes (Tensor): The boxes, of shape (N, 4).
        boxes_for_nms (Tensor): The shifted boxes.
        nms_cfg (dict): The arguments of :func:`nms`.

    Returns:
        bool: True when the groups may be suppressed separately.
    """
    resolution = torch.finfo(boxes.dtype).eps * float(boxes_for_nms.max())
    return (nms_cfg.get('offset', 0) == 0
            and nms_cfg.get('iou_threshold', 0) >= 0
            and float(boxes.min()) >= 0 and resolution < 0.25)


def batched_nms(boxes: Tensor,
                scores: Tensor,
                idxs: Tensor,
                nms_cfg: Optional[Dict],
                class_agnostic: bool = False) -> Tuple[Tensor, Tensor]:
    """NMS within each group of ``idxs``, as ``mmcv.ops.batched_nms``.

    Args:
        boxes (Tensor): Boxes of shape (N, 4).
        scores (Tensor): Scores of shape (N, ).
        idxs (Tensor): Group (e.g. class) of each box, of shape (N, ).
        nms_cfg (dict, optional): ``type`` (see :func:`resolve_nms_op`;
            defaults to ``'nms'``), ``split_thr`` (from this many boxes on,
            one NMS per group; defaults to 10000), ``class_agnostic``
            (overrides the argument) and the NMS function's own arguments
            (``iou_threshold``, ``offset``, ``score_threshold``, ``max_num``
            for :func:`nms`). None skips NMS: every box is returned, best
            first.
        class_agnostic (bool): Suppress across groups. Defaults to False.

    Returns:
        tuple[Tensor, Tensor]: The kept boxes with their scores, of shape
        (K, 5), best first, and their indices in ``boxes``.
    """
    if nms_cfg is None:
        scores, inds = scores.sort(descending=True)
        return torch.cat([boxes[inds], scores[:, None]], -1), inds
    if boxes.numel() == 0:
        return boxes.new_zeros(0, 5), idxs.new_zeros(0, dtype=torch.long)
    nms_cfg = dict(nms_cfg)
    agnostic = nms_cfg.pop('class_agnostic', class_agnostic)
    if agnostic:
        boxes_for_nms = boxes
    else:
        offsets = idxs.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes))
        boxes_for_nms = boxes + offsets[:, None]
    nms_op = resolve_nms_op(nms_cfg.pop('type', 'nms'))
    if boxes_for_nms.size(0) < nms_cfg.pop('split_thr', 10000):
        if nms_op is nms and not agnostic and groups_are_apart(
                boxes, boxes_for_nms, nms_cfg):
            keep = kept_indices(boxes_for_nms, scores, groups=idxs,
                                **nms_cfg)
            return torch.cat([boxes[keep], scores[keep, None]], -1), keep
        dets, keep = nms_op(boxes_for_nms, scores, **nms_cfg)
        return torch.cat([boxes[keep], dets[:, -1:]], -1), keep
    max_num = nms_cfg.pop('max_num', -1)
    kept = scores.new_zeros(scores.size(), dtype=torch.bool)
    # NMS variants such as soft-NMS change the scores of the boxes they keep
    scores_after_nms = scores.new_zeros(scores.size())
    for group in torch.unique(idxs):
        members = (idxs == group).nonzero().view(-1)
        dets, keep = nms_op(boxes_for_nms[members], scores[members],
                            **nms_cfg)
        kept[members[keep]] = True
        scores_after_nms[members[keep]] = dets[:, -1]
    keep = kept.nonzero().view(-1)
    scores, order = scores_after_nms[keep].sort(descending=True)
    keep = keep[order]
    if max_num > 0:
        keep, scores = keep[:max_num], scores[:max_num]
    return torch.cat([boxes[keep], scores[:, None]], -1), keep
