# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Slow references of NMS and RoIAlign, one box pair or one sample at a time.

They follow the formulas of mmcv's CPU kernels scalar by scalar, in numpy
float32 (or float64), so that they must agree with the vectorised ops to
the last bit.
"""
from typing import List, Tuple

import numpy as np
import torch


def nms_reference(boxes: torch.Tensor, scores: torch.Tensor,
                  iou_threshold: float, offset: int = 0) -> List[int]:
    """Greedy NMS, box after box, in the order of ``scores.sort``.

    Args:
        boxes (Tensor): Boxes of shape (N, 4).
        scores (Tensor): Scores of shape (N, ).
        iou_threshold (float): IoU above which a box is dropped.
        offset (int): 0 or 1, added to widths and heights.

    Returns:
        list[int]: Kept indices, best first.
    """
    dtype = np.float32 if boxes.dtype == torch.float32 else np.float64
    b = boxes.numpy().astype(dtype)
    thr, off = dtype(iou_threshold), dtype(offset)
    order = scores.sort(0, descending=True)[1].tolist()
    area = [(b[i, 2] - b[i, 0] + off) * (b[i, 3] - b[i, 1] + off)
            for i in range(len(b))]
    kept: List[int] = []
    for i in order:
        # not "<= thr": a NaN IoU (two empty boxes) suppresses nothing
        if not any(
                iou(b[k], b[i], area[k], area[i], off) > thr for k in kept):
            kept.append(i)
    return kept


def soft_nms_reference(boxes: torch.Tensor, scores: torch.Tensor,
                       iou_threshold: float, sigma: float, min_score: float,
                       method: str, offset: int) -> Tuple[List[int], list]:
    """Soft-NMS step by step over one array of candidates, in float32.

    Each step moves the first best candidate to the front of the rest and
    lowers the others' scores; a candidate under ``min_score`` is replaced
    by the last one, which is looked at in its place.

    Returns:
        tuple[list[int], list[float]]: Kept indices and their final scores.
    """
    f32 = np.float32
    cands = [[i, boxes[i].numpy().astype(f32),
              f32(scores[i])] for i in range(len(boxes))]
    off, thr = f32(offset), f32(iou_threshold)
    for cand in cands:
        b = cand[1]
        cand.append((b[2] - b[0] + off) * (b[3] - b[1] + off))
    step = 0
    while step < len(cands):
        best = max(range(step, len(cands)),
                   key=lambda k: (cands[k][2], -k))
        cands[step], cands[best] = cands[best], cands[step]
        head = cands[step]
        pos = step + 1
        while pos < len(cands):
            ovr = iou(head[1], cands[pos][1], head[3], cands[pos][3], off)
            weight = f32(1)
            if method == 'naive' and ovr >= thr:
                weight = f32(0)
            elif method == 'linear' and ovr >= thr:
                weight = f32(1) - ovr
            elif method == 'gaussian':
                weight = np.exp(-(ovr * ovr) / f32(sigma))
            cands[pos][2] = f32(cands[pos][2] * weight)
            if cands[pos][2] < f32(min_score):
                cands[pos] = cands[-1]
                cands.pop()
                continue
            pos += 1
        step += 1
    return [c[0] for c in cands], [float(c[2]) for c in cands]


def iou(a: np.ndarray, b: np.ndarray, area_a, area_b, off):
    """IoU of two boxes by the kernel's formula (no epsilon)."""
    w = max(a.dtype.type(0), min(a[2], b[2]) - max(a[0], b[0]) + off)
    h = max(a.dtype.type(0), min(a[3], b[3]) - max(a[1], b[1]) + off)
    inter = w * h
    with np.errstate(divide='ignore', invalid='ignore'):
        return inter / (area_a + area_b - inter)


def bilinear(height: int, width: int, y, x) -> List[Tuple[int, int, float]]:
    """The (row, col, weight) neighbours of a sample; empty outside."""
    t = type(y)
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return []
    y, x = max(y, t(0)), max(x, t(0))
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_low = y_high = height - 1
        y = t(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_low = x_high = width - 1
        x = t(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - t(y_low), x - t(x_low)
    hy, hx = t(1) - ly, t(1) - lx
    return [(y_low, x_low, hy * hx), (y_low, x_high, hy * lx),
            (y_high, x_low, ly * hx), (y_high, x_high, ly * lx)]


def roi_samples(roi: np.ndarray, pooled: Tuple[int, int],
                spatial_scale: float, sampling_ratio: int, aligned: bool):
    """The grid of one RoI: (start_y, start_x, bin_h, bin_w, gh, gw)."""
    t = roi.dtype.type
    scale = t(np.float32(spatial_scale))
    shift = t(0.5) if aligned else t(0)
    sx, sy, ex, ey = (roi[k] * scale - shift for k in range(1, 5))
    w, h = ex - sx, ey - sy
    if not aligned:
        w, h = max(w, t(1)), max(h, t(1))
    bin_h, bin_w = h / t(pooled[0]), w / t(pooled[1])
    gh = sampling_ratio or int(np.ceil(np.float32(bin_h)))
    gw = sampling_ratio or int(np.ceil(np.float32(bin_w)))
    return sy, sx, bin_h, bin_w, gh, gw


def sample_point(grid, ph: int, pw: int, iy: int, ix: int):
    """Coordinates of sample (iy, ix) of cell (ph, pw)."""
    sy, sx, bin_h, bin_w, gh, gw = grid
    t = type(sy)
    y = sy + t(ph) * bin_h + t(iy + 0.5) * bin_h / t(gh)
    x = sx + t(pw) * bin_w + t(ix + 0.5) * bin_w / t(gw)
    return y, x


def roi_align_reference(input: torch.Tensor, rois: torch.Tensor,
                        grad_output: torch.Tensor, pooled: Tuple[int, int],
                        spatial_scale: float, sampling_ratio: int,
                        pool_mode: str,
                        aligned: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """RoIAlign forward and backward, cell after cell, sample after sample.

    Args:
        input (Tensor): Features of shape (N, C, H, W).
        rois (Tensor): RoIs of shape (K, 5).
        grad_output (Tensor): Gradient of the output, (K, C, PH, PW).
        pooled (tuple[int, int]): (PH, PW).
        spatial_scale (float): Scale of the RoIs.
        sampling_ratio (int): Samples per cell and axis, 0 for adaptive.
        pool_mode (str): ``'avg'`` or ``'max'``.
        aligned (bool): Half-pixel shift.

    Returns:
        tuple[Tensor, Tensor]: Output (K, C, PH, PW) and gradient of the
        input (N, C, H, W).
    """
    feats = input.numpy()
    dtype = feats.dtype.type
    grads = grad_output.numpy()
    _, channels, height, width = feats.shape
    out = np.zeros((len(rois), channels, *pooled), feats.dtype)
    grad_in = np.zeros_like(feats)
    for r, roi in enumerate(rois.numpy().astype(feats.dtype)):
        grid = roi_samples(roi, pooled, spatial_scale, sampling_ratio,
                           aligned)
        gh, gw = grid[4], grid[5]
        image = feats[int(roi[0])]
        for c, ph, pw in np.ndindex(channels, *pooled):
            total, best, best_at = dtype(0), dtype(-10000), None
            for iy, ix in np.ndindex(gh, gw):
                y, x = sample_point(grid, ph, pw, iy, ix)
                value = dtype(0)
                for row, col, w in bilinear(height, width, y, x):
                    value = value + w * image[c, row, col]
                total = total + value
                if value > best:
                    best, best_at = value, (y, x)
            g = grads[r, c, ph, pw]
            plane = grad_in[int(roi[0]), c]
            if pool_mode == 'avg':
                count = dtype(gh * gw)
                out[r, c, ph, pw] = total / max(count, dtype(1))
                for iy, ix in np.ndindex(gh, gw):
                    y, x = sample_point(grid, ph, pw, iy, ix)
                    for row, col, w in bilinear(height, width, y, x):
                        plane[row, col] += g * w / count
            else:
                out[r, c, ph, pw] = best
                # the kernel marks "no maximum" by y == -1
                if best_at is not None and best_at[0] != -1:
                    for row, col, w in bilinear(height, width, *best_at):
                        plane[row, col] += g * w
    return torch.from_numpy(out), torch.from_numpy(grad_in)
