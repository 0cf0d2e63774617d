# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""RoIAlign with the semantics of ``mmcv.ops.roi_align``.

Each output cell ``(ph, pw)`` of a RoI ``(b, x1, y1, x2, y2)`` averages (or
takes the maximum of) ``grid_h x grid_w`` bilinear samples of image ``b``,
placed as by mmcv's CPU kernel, in the input's dtype:

* the RoI is ``start = x1 * spatial_scale - offset`` to ``end = x2 *
  spatial_scale - offset`` with ``offset = 0.5`` if ``aligned`` (else 0,
  and the size is raised to at least 1); ``bin = size / pooled``; the grid
  is ``sampling_ratio`` or, for 0, ``ceil(bin)`` per axis;
* sample ``(iy, ix)`` of cell ``(ph, pw)`` lies at ``y = start_y + ph * bin_h
  + (iy + 0.5) * bin_h / grid_h`` (``x`` alike);
* a sample outside ``[-1, H] x [-1, W]`` is 0 (and still counted); else
  its coordinates are clamped at 0 and below ``H - 1``/``W - 1`` and the
  four neighbours are weighted ``(1 - ly)(1 - lx)``, ``(1 - ly) lx``,
  ``ly (1 - lx)``, ``ly lx``;
* ``'avg'`` divides the sum of the samples by their number (1 for an empty
  grid); ``'max'`` keeps the first largest sample, starting from -10000,
  and its coordinates.

``'avg'`` pooling is separable: the weights, the inside test and the count
factor into a row part and a column part, so that the output of a RoI is
``Wy @ F @ Wx^T``, with ``Wy`` of shape (PH, rows) summing each cell's
samples' row weights over the rows the RoI touches (``Wx`` alike) and
``F`` the window of the features under the RoI. The RoIs are taken in
chunks of similar window sizes (the windows gathered at once stay under
:data:`GATHER_CHUNK` values), each chunk with two batched matrix products;
the backward pass multiplies by the transposed weights and adds the windows'
gradients into the input's (``index_add_``). The sums run in another order
than the kernel's: the results agree with it up to rounding (a relative
difference of about 1e-7 in float32), not to the last bit.

``'max'`` pooling is not separable: its samples are taken one grid
position at a time for all RoIs (those with a larger grid first), in the
kernel's order, and its backward pass adds ``grad * weight`` at each
maximum's neighbours in the kernel's order, bit for bit.
"""
from typing import Any, Iterator, NamedTuple, Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.autograd import Function
from torch.autograd.function import FunctionCtx, once_differentiable
from torch.nn.modules.utils import _pair

from .torchvision_ops import as_c_float, torchvision_ops

__all__ = ['RoIAlign', 'RoIAlignFunction', 'roi_align']

#: Initial value of the ``'max'`` pooling (that of mmcv's CPU kernel).
MAX_POOL_INIT = -10000.0
#: The ``'max'`` backward pass adds at most about this many terms at once.
BACKWARD_CHUNK = 1 << 22
#: ``'avg'`` pooling gathers at most about this many feature values at once
#: (unless one RoI's window alone is larger).
GATHER_CHUNK = 1 << 23


class RoIGrids(NamedTuple):
    """The sampling grid of each RoI, each field of shape (K, ).

    Attributes:
        batch (Tensor): Image index (int64).
        start_y (Tensor): Top of the RoI on the feature map.
        start_x (Tensor): Left of the RoI on the feature map.
        bin_h (Tensor): Height of an output cell.
        bin_w (Tensor): Width of an output cell.
        grid_h (Tensor): Samples per cell along y (int64).
        grid_w (Tensor): Samples per cell along x (int64).
    """
    batch: Tensor
    start_y: Tensor
    start_x: Tensor
    bin_h: Tensor
    bin_w: Tensor
    grid_h: Tensor
    grid_w: Tensor

    def counts(self) -> Tensor:
        """Samples per output cell, of shape (K, ) (int64)."""
        return self.grid_h * self.grid_w

    def select(self, index: Union[slice, Tensor]) -> 'RoIGrids':
        """The grids of some RoIs.

        Args:
            index (slice | Tensor): The RoIs.

        Returns:
            RoIGrids: Their grids.
        """
        return RoIGrids(*(field[index] for field in self))


class Sample(NamedTuple):
    """One sample of every output cell of the first ``active`` RoIs.

    Attributes:
        active (int): The number of RoIs.
        y (Tensor): Row coordinates of shape (active, PH, 1).
        x (Tensor): Column coordinates of shape (active, 1, PW).
        positions (Tensor): Rows of the (N * H * W, C) features of the four
            neighbours, of shape (active, PH, PW, 4) (int64).
        weights (Tensor): Their weights, of shape (active, PH, PW, 4).
    """
    active: int
    y: Tensor
    x: Tensor
    positions: Tensor
    weights: Tensor


def roi_grids(rois: Tensor, output_size: Tuple[int, int],
              spatial_scale: float, sampling_ratio: int,
              aligned: bool) -> RoIGrids:
    """The sampling grids of RoIs.

    Args:
        rois (Tensor): RoIs of shape (K, 5) as (batch index, x1, y1, x2, y2),
            in the dtype of the features.
        output_size (tuple[int, int]): (pooled height, pooled width).
        spatial_scale (float): Scale from RoI to feature-map coordinates.
        sampling_ratio (int): Samples per cell and axis; 0 for
            ``ceil(cell size)``.
        aligned (bool): Shift the RoIs by half a pixel.

    Returns:
        RoIGrids: The grids.

    Raises:
        ValueError: If ``aligned`` and a RoI has a negative size.
    """
    # the kernel receives the scale as a C float
    scale = torch.tensor(spatial_scale, dtype=torch.float32).item()
    shift = 0.5 if aligned else 0.0
    corners = rois[:, 1:] * scale - shift
    start_x, start_y, end_x, end_y = corners.unbind(1)
    width, height = end_x - start_x, end_y - start_y
    if aligned:
        negative = (width < 0) | (height < 0)
        if negative.any():
            raise ValueError('roi_align with aligned=True needs RoIs of '
                             'non-negative size, got '
                             f'{rois[negative].tolist()}')
    else:
        width, height = width.clamp(min=1), height.clamp(min=1)
    bin_h = height / output_size[0]
    bin_w = width / output_size[1]
    if sampling_ratio > 0:
        grid_h = torch.full_like(rois[:, 0], sampling_ratio, dtype=torch.long)
        grid_w = grid_h
    else:
        # the kernel rounds up in float32 (ceilf)
        grid_h = bin_h.float().ceil().long()
        grid_w = bin_w.float().ceil().long()
    return RoIGrids(rois[:, 0].long(), start_y, start_x, bin_h, bin_w, grid_h,
                    grid_w)


def axis_samples(start: Tensor, bin_size: Tensor, grid: Tensor, steps: Tensor,
                 pooled: int) -> Tensor:
    """Coordinates of samples along one axis.

    Args:
        start (Tensor): RoI start, of shape (K, ).
        bin_size (Tensor): Cell size, of shape (K, ).
        grid (Tensor): Samples per cell, of shape (K, ) (int64).
        steps (Tensor): Sample index within the cell, of shape (K, S).
        pooled (int): Output cells along the axis.

    Returns:
        Tensor: ``start + p * bin_size + (step + 0.5) * bin_size / grid``
        of shape (K, S, pooled).
    """
    cells = torch.arange(pooled, dtype=start.dtype, device=start.device)
    cell_starts = start[:, None] + cells * bin_size[:, None]
    offsets = ((steps.to(start.dtype) + 0.5) * bin_size[:, None] /
               grid[:, None].to(start.dtype))
    return cell_starts[:, None, :] + offsets[:, :, None]


def bilinear_taps(y: Tensor, x: Tensor, height: int,
                  width: int) -> Tuple[Tensor, Tensor, Tensor]:
    """The four neighbours of sample points and their bilinear weights.

    Args:
        y (Tensor): Row coordinates, broadcastable with ``x``.
        x (Tensor): Column coordinates.
        height (int): H of the feature map.
        width (int): W of the feature map.

    Returns:
        tuple[Tensor, Tensor, Tensor]: Flat positions ``row * W + col``
        (int64) and weights, both of shape (*shape, 4), neighbours in the
        order (low, low), (low, high), (high, low), (high, high) as
        (row, col); and a bool mask of shape ``shape``, True for points
        inside the map. Outside points have position 0 and weights 0.
    """
    inside = (y >= -1) & (y <= height) & (x >= -1) & (x <= width)
    y_low, y_high, ly = neighbours(y, height)
    x_low, x_high, lx = neighbours(x, width)
    hy, hx = 1 - ly, 1 - lx
    weights = torch.stack([hy * hx, hy * lx, ly * hx, ly * lx], -1)
    positions = torch.stack([
        y_low * width + x_low, y_low * width + x_high,
        y_high * width + x_low, y_high * width + x_high
    ], -1)
    outside = ~inside[..., None]
    return (positions.masked_fill(outside, 0),
            weights.masked_fill(outside, 0), inside)


def neighbours(coords: Tensor, size: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Lower and upper neighbour along one axis and the fraction between.

    Args:
        coords (Tensor): Coordinates.
        size (int): Length of the axis.

    Returns:
        tuple[Tensor, Tensor, Tensor]: Lower and upper index (int64) and
        the distance from the lower one, all of the shape of ``coords``.
    """
    coords = coords.clamp(min=0)
    low = coords.long()
    at_end = low >= size - 1
    low = low.clamp(max=size - 1)
    high = torch.where(at_end, low, low + 1)
    coords = torch.where(at_end, low.to(coords.dtype), coords)
    return low, high, coords - low.to(coords.dtype)


def samples_by_step(grids: RoIGrids, output_size: Tuple[int, int],
                    height: int, width: int) -> Iterator[Sample]:
    """The samples of every output cell, one grid position at a time.

    Step ``s`` is sample ``(s // grid_w, s % grid_w)`` of each cell of the
    RoIs that have more than ``s`` samples per cell; these must come
    first in ``grids`` (sorted by decreasing sample count).

    Args:
        grids (RoIGrids): The grids, by decreasing sample count.
        output_size (tuple[int, int]): (PH, PW).
        height (int): H of the feature map.
        width (int): W of the feature map.

    Yields:
        Sample: The samples of the first ``active`` RoIs.
    """
    pooled_h, pooled_w = output_size
    counts = grids.counts().tolist()
    active = len(counts)
    for step in range(counts[0] if counts else 0):
        while counts[active - 1] <= step:
            active -= 1
        grid = grids.select(slice(active))
        steps = torch.full_like(grid.grid_w, step)[:, None]
        y = axis_samples(grid.start_y, grid.bin_h, grid.grid_h,
                         steps // grid.grid_w[:, None], pooled_h)
        x = axis_samples(grid.start_x, grid.bin_w, grid.grid_w,
                         steps % grid.grid_w[:, None], pooled_w)
        y, x = y.view(active, pooled_h, 1), x.view(active, 1, pooled_w)
        positions, weights, _ = bilinear_taps(y, x, height, width)
        positions += (grid.batch * height * width).view(-1, 1, 1, 1)
        yield Sample(active, y, x, positions, weights)


def interpolate(features: Tensor, positions: Tensor,
                weights: Tensor) -> Tensor:
    """Bilinear samples, the four weighted neighbours summed in order.

    Args:
        features (Tensor): Features of shape (N * H * W, C).
        positions (Tensor): Rows of ``features``, of shape (*shape, 4).
        weights (Tensor): Their weights, of shape (*shape, 4).

    Returns:
        Tensor: Samples of shape (*shape, C).
    """
    value = weights[..., 0, None] * features[positions[..., 0]]
    for tap in range(1, 4):
        value = value + weights[..., tap, None] * features[positions[...,
                                                                     tap]]
    return value


class Window(NamedTuple):
    """The rows (or columns) of the feature map under some RoIs.

    Attributes:
        first (Tensor): First row of each RoI's window, of shape (K, )
            (int64).
        length (Tensor): Rows of each RoI's window, of shape (K, ) (int64).
    """
    first: Tensor
    length: Tensor


def axis_taps(start: Tensor, bin_size: Tensor, grid: Tensor, pooled: int,
              size: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """The neighbours along one axis of every sample of every cell.

    Args:
        start (Tensor): RoI start, of shape (K, ).
        bin_size (Tensor): Cell size, of shape (K, ).
        grid (Tensor): Samples per cell, of shape (K, ) (int64).
        pooled (int): Output cells along the axis.
        size (int): Length of the axis on the feature map.

    Returns:
        tuple[Tensor, Tensor, Tensor, Tensor]: Lower and upper neighbour
        (int64), the fraction towards the upper one, and whether the sample
        counts (within the grid and within ``[-1, size]``), each of shape
        (K, pooled, S) with ``S`` the largest grid.
    """
    steps = torch.arange(max(int(grid.max()), 1), device=grid.device)
    coords = axis_samples(start, bin_size, grid, steps.expand(grid.numel(),
                                                              -1), pooled)
    coords = coords.transpose(1, 2)
    valid = (steps < grid[:, None, None]) & (coords >= -1) & (coords <= size)
    low, high, fraction = neighbours(coords, size)
    return low, high, fraction, valid


def axis_window(start: Tensor, bin_size: Tensor, grid: Tensor, pooled: int,
                size: int) -> Window:
    """The rows (or columns) that the samples of each RoI touch.

    Args:
        start (Tensor): RoI start, of shape (K, ).
        bin_size (Tensor): Cell size, of shape (K, ).
        grid (Tensor): Samples per cell, of shape (K, ) (int64).
        pooled (int): Output cells along the axis.
        size (int): Length of the axis on the feature map.

    Returns:
        Window: The window of each RoI (at least one row long).
    """
    low, high, _, valid = axis_taps(start, bin_size, grid, pooled, size)
    first = low.masked_fill(~valid, size).amin((1, 2)).clamp(max=size - 1)
    last = high.masked_fill(~valid, -1).amax((1, 2))
    return Window(first, (last - first + 1).clamp(min=1))


def axis_weights(start: Tensor, bin_size: Tensor, grid: Tensor, pooled: int,
                 size: int, first: Tensor, length: int) -> Tensor:
    """Each cell's summed sample weights on the rows of a window.

    Args:
        start (Tensor): RoI start, of shape (K, ).
        bin_size (Tensor): Cell size, of shape (K, ).
        grid (Tensor): Samples per cell, of shape (K, ) (int64).
        pooled (int): Output cells along the axis.
        size (int): Length of the axis on the feature map.
        first (Tensor): First row of each window, of shape (K, ) (int64).
        length (int): Rows of the windows.

    Returns:
        Tensor: Weights of shape (K, pooled, length); samples that do not
        count weigh 0.
    """
    low, high, fraction, valid = axis_taps(start, bin_size, grid, pooled,
                                           size)
    fraction = torch.where(valid, fraction, 0)
    first = first.view(-1, 1, 1)
    weights = start.new_zeros(start.numel(), pooled, length)
    weights.scatter_add_(2, (low - first).clamp_(0, length - 1),
                         valid.to(start.dtype) - fraction)
    weights.scatter_add_(2, (high - first).clamp_(0, length - 1), fraction)
    return weights


class WindowChunk(NamedTuple):
    """A chunk of RoIs pooled together by :func:`avg_pool_forward`.

    Attributes:
        rois (Tensor): The RoIs (int64), of shape (k, ).
        positions (Tensor): Rows of the (N * H * W, C) features under the
            windows, of shape (k, Hw, Ww) (int64).
        row_weights (Tensor): Weights of shape (k, PH, Hw), divided by the
            samples per cell.
        col_weights (Tensor): Weights of shape (k, PW, Ww).
    """
    rois: Tensor
    positions: Tensor
    row_weights: Tensor
    col_weights: Tensor


def window_chunks(grids: RoIGrids, output_size: Tuple[int, int],
                  input_shape: torch.Size) -> Iterator[WindowChunk]:
    """The RoIs in chunks of similar window sizes, with their weights.

    A chunk gathers at most about :data:`GATHER_CHUNK` feature values.

    Args:
        grids (RoIGrids): The grids of the K RoIs.
        output_size (tuple[int, int]): (PH, PW).
        input_shape (torch.Size): (N, C, H, W).

    Yields:
        WindowChunk: The chunks, together covering every RoI once.
    """
    _, channels, height, width = input_shape
    if not grids.batch.numel():
        return
    axes = ((grids.start_y, grids.bin_h, grids.grid_h, output_size[0],
             height), (grids.start_x, grids.bin_w, grids.grid_w,
                       output_size[1], width))
    windows = [axis_window(*axis) for axis in axes]
    areas = windows[0].length * windows[1].length
    order = areas.argsort()
    budget = max(GATHER_CHUNK // channels, 1)
    start = 0
    sorted_areas = areas[order].tolist()
    while start < len(sorted_areas):
        # the areas grow along the order: the chunk's last is its largest
        stop = start + 1
        while stop < len(sorted_areas) and \
                (stop + 1 - start) * sorted_areas[stop] <= budget:
            stop += 1
        rois = order[start:stop]
        lengths = [int(window.length[rois].max()) for window in windows]
        weights = [
            axis_weights(*(field[rois] for field in axis[:3]), *axis[3:],
                         window.first[rois], length)
            for axis, window, length in zip(axes, windows, lengths)
        ]
        weights[0] /= grids.counts()[rois].clamp(min=1).to(
            weights[0].dtype).view(-1, 1, 1)
        rows, cols = (
            (window.first[rois, None] +
             torch.arange(length, device=rois.device)).clamp_(max=size - 1)
            for window, length, size in zip(windows, lengths, (height,
                                                                width)))
        positions = ((grids.batch[rois, None, None] * height +
                      rows[:, :, None]) * width + cols[:, None, :])
        yield WindowChunk(rois, positions, *weights)
        start = stop


def avg_pool_forward(input: Tensor, grids: RoIGrids,
                     output_size: Tuple[int, int]) -> Tensor:
    """Averages of each cell's samples, ``Wy @ F @ Wx^T`` per RoI.

    Args:
        input (Tensor): Features of shape (N, C, H, W).
        grids (RoIGrids): The grids of the K RoIs.
        output_size (tuple[int, int]): (PH, PW).

    Returns:
        Tensor: Output of shape (K, C, PH, PW).
    """
    channels = input.size(1)
    pooled_h, pooled_w = output_size
    features = input.permute(0, 2, 3, 1).reshape(-1, channels)
    output = input.new_empty(grids.batch.numel(), pooled_w, pooled_h,
                             channels)
    for chunk in window_chunks(grids, output_size, input.shape):
        num, rows, cols = chunk.positions.shape
        windows = features.index_select(0, chunk.positions.view(-1)).view(
            num, rows, cols * channels)
        by_rows = torch.bmm(chunk.row_weights, windows)
        by_rows = by_rows.view(num, pooled_h, cols, channels).transpose(1, 2)
        output.index_copy_(
            0, chunk.rois,
            torch.bmm(chunk.col_weights,
                      by_rows.reshape(num, cols, pooled_h * channels)).view(
                          num, pooled_w, pooled_h, channels))
    return output.permute(0, 3, 2, 1).contiguous()


def avg_pool_backward(grad_output: Tensor, grids: RoIGrids,
                      input_shape: torch.Size) -> Tensor:
    """Gradient of the features, ``Wy^T @ G @ Wx`` per RoI, added up.

    Args:
        grad_output (Tensor): Gradient of shape (K, C, PH, PW).
        grids (RoIGrids): The grids of the K RoIs.
        input_shape (torch.Size): (N, C, H, W).

    Returns:
        Tensor: Gradient of shape (N, C, H, W).
    """
    batch, channels, height, width = input_shape
    _, _, pooled_h, pooled_w = grad_output.shape
    grad_features = grad_output.new_zeros(batch * height * width, channels)
    # (K, PW, PH * C)
    grad_cells = grad_output.permute(0, 3, 2, 1).reshape(
        -1, pooled_w, pooled_h * channels)
    for chunk in window_chunks(grids, (pooled_h, pooled_w), input_shape):
        num, rows, cols = chunk.positions.shape
        by_cols = torch.bmm(chunk.col_weights.transpose(1, 2),
                            grad_cells.index_select(0, chunk.rois))
        by_cols = by_cols.view(num, cols, pooled_h, channels).transpose(1, 2)
        windows = torch.bmm(chunk.row_weights.transpose(1, 2),
                            by_cols.reshape(num, pooled_h, cols * channels))
        grad_features.index_add_(0, chunk.positions.view(-1),
                                 windows.view(-1, channels))
    return grad_features.view(batch, height, width,
                              channels).permute(0, 3, 1, 2).contiguous()


def max_pool_forward(input: Tensor, grids: RoIGrids,
                     output_size: Tuple[int, int]) -> Tuple[Tensor, Tensor]:
    """Maxima of each cell's samples, and their coordinates.

    Args:
        input (Tensor): Features of shape (N, C, H, W).
        grids (RoIGrids): The grids of the K RoIs.
        output_size (tuple[int, int]): (PH, PW).

    Returns:
        tuple[Tensor, Tensor]: Output of shape (K, C, PH, PW) and the (y, x)
        of each maximum, of shape (2, K, C, PH, PW) (-1 where none).
    """
    _, channels, height, width = input.shape
    # channels last: one gather per neighbour yields (RoIs, PH, PW, C)
    features = input.permute(0, 2, 3, 1).reshape(-1, channels)
    order = grids.counts().argsort(descending=True)
    grids = grids.select(order)
    shape = (order.numel(), *output_size, channels)
    pooled = input.new_full(shape, MAX_POOL_INIT)
    argmax = input.new_full((2, *shape), -1)
    for sample in samples_by_step(grids, output_size, height, width):
        active = slice(sample.active)
        value = interpolate(features, sample.positions, sample.weights)
        better = value > pooled[active]
        pooled[active] = torch.where(better, value, pooled[active])
        for axis, coords in enumerate((sample.y, sample.x)):
            argmax[axis, active] = torch.where(better, coords[..., None],
                                               argmax[axis, active])
    output = unsort(pooled, order).permute(0, 3, 1, 2).contiguous()
    return output, unsort(argmax, order, 1).permute(0, 1, 4, 2,
                                                    3).contiguous()


def unsort(sorted_values: Tensor, order: Tensor, dim: int = 0) -> Tensor:
    """Undo ``values.index_select(dim, order)``.

    Args:
        sorted_values (Tensor): The selected values.
        order (Tensor): The permutation (int64).
        dim (int): The permuted dimension. Defaults to 0.

    Returns:
        Tensor: Values in the original order.
    """
    return sorted_values.index_select(dim, order.argsort())


def gradient_planes(grids: RoIGrids, channels: int, height: int,
                    width: int) -> Tensor:
    """Where each (RoI, channel) plane starts in the flat input gradient.

    Args:
        grids (RoIGrids): The grids of the K RoIs.
        channels (int): C.
        height (int): H.
        width (int): W.

    Returns:
        Tensor: Offsets of shape (K, C, 1, 1, 1) (int64).
    """
    channel = torch.arange(channels, device=grids.batch.device)
    planes = (grids.batch[:, None] * channels + channel) * height * width
    return planes.view(*planes.shape, 1, 1, 1)


def max_backward_terms(grad_output: Tensor, grids: RoIGrids, argmax: Tensor,
                       input_shape: torch.Size) -> Tuple[Tensor, Tensor]:
    """The terms that ``'max'`` pooling adds to the input gradient.

    Args:
        grad_output (Tensor): Gradient of shape (K, C, PH, PW).
        grids (RoIGrids): The grids of the K RoIs.
        argmax (Tensor): The maxima's (y, x), of shape (2, K, C, PH, PW).
        input_shape (torch.Size): (N, C, H, W).

    Returns:
        tuple[Tensor, Tensor]: Flat positions in the input gradient (int64)
        and values ``grad * weight``, both of shape (T, ), in the order in
        which mmcv's CPU kernel adds them; maxima that the kernel skips
        (none, or outside the map) add an exact 0.
    """
    _, channels, height, width = input_shape
    positions, weights, inside = bilinear_taps(argmax[0], argmax[1], height,
                                               width)
    skip = ~(inside & (argmax[0] != -1))[..., None]
    positions = positions + gradient_planes(grids, channels, height, width)
    terms = (grad_output[..., None] * weights).masked_fill_(skip, 0)
    return positions.flatten(), terms.flatten()


def max_pool_backward(grad_output: Tensor, grids: RoIGrids, argmax: Tensor,
                      input_shape: torch.Size) -> Tensor:
    """Gradient of the features for ``'max'``, summed as by mmcv's kernel.

    The RoIs are taken in chunks of about :data:`BACKWARD_CHUNK` terms.

    Args:
        grad_output (Tensor): Gradient of shape (K, C, PH, PW).
        grids (RoIGrids): The grids of the K RoIs.
        argmax (Tensor): The maxima's (y, x), of shape (2, K, C, PH, PW).
        input_shape (torch.Size): (N, C, H, W).

    Returns:
        Tensor: Gradient of shape (N, C, H, W).
    """
    grad_input = grad_output.new_zeros(input_shape)
    num_rois = grad_output.size(0)
    chunk = max(1, BACKWARD_CHUNK // max(grad_output[:1].numel() * 4, 1))
    flat = grad_input.view(-1)
    for start in range(0, num_rois, chunk):
        part = slice(start, start + chunk)
        positions, terms = max_backward_terms(grad_output[part],
                                              grids.select(part),
                                              argmax[:, part], input_shape)
        flat.index_add_(0, positions, terms)
    return grad_input


class RoIAlignFunction(Function):
    """RoIAlign as an autograd function, with mmcv's backward pass."""

    @staticmethod
    def forward(ctx: FunctionCtx,
                input: Tensor,
                rois: Tensor,
                output_size: Union[int, Tuple[int, int]],
                spatial_scale: float = 1.0,
                sampling_ratio: int = 0,
                pool_mode: str = 'avg',
                aligned: bool = True) -> Tensor:
        """Pool the features of each RoI, see :func:`roi_align`."""
        if pool_mode not in ('avg', 'max'):
            raise ValueError(
                f"pool_mode must be 'avg' or 'max', got {pool_mode!r}")
        if input.dim() != 4 or rois.dim() != 2 or rois.size(1) != 5:
            raise ValueError(
                'roi_align expects input (N, C, H, W) and rois (K, 5) as '
                f'(batch index, x1, y1, x2, y2), got {tuple(input.shape)} '
                f'and {tuple(rois.shape)}')
        ctx.settings = (_pair(output_size), spatial_scale, sampling_ratio,
                        aligned)
        ctx.input_shape = input.shape
        rois = rois.to(input.dtype)
        grids = roi_grids(rois, *ctx.settings)
        if pool_mode == 'avg':
            output, argmax = avg_pool_forward(input, grids,
                                              ctx.settings[0]), None
        else:
            output, argmax = max_pool_forward(input, grids, ctx.settings[0])
        ctx.save_for_backward(rois, argmax)
        return output

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_output: Tensor) -> Tuple[Optional[Tensor],
                                                         ...]:
        """Gradient of the features; RoIs and settings get none."""
        rois, argmax = ctx.saved_tensors
        grids = roi_grids(rois, *ctx.settings)
        if argmax is None:
            grad_input = avg_pool_backward(grad_output, grids,
                                           ctx.input_shape)
        else:
            grad_input = max_pool_backward(grad_output.contiguous(), grids,
                                           argmax, ctx.input_shape)
        return grad_input, None, None, None, None, None, None


def roi_align(input: Tensor,
              rois: Tensor,
              output_size: Union[int, Tuple[int, int]],
              spatial_scale: float = 1.0,
              sampling_ratio: int = 0,
              pool_mode: str = 'avg',
              aligned: bool = True) -> Tensor:
    """RoIAlign, as ``mmcv.ops.roi_align``.

    ``'avg'`` pooling runs torchvision's compiled ``roi_align`` where it
    loads (:func:`~mmseg_ccnet.ops.torchvision_ops.torchvision_ops`): it
    places and weighs the samples as mmcv's kernel does. Otherwise, and for
    ``'max'``, :class:`RoIAlignFunction` pools.

    Args:
        input (Tensor): Features of shape (N, C, H, W).
        rois (Tensor): RoIs of shape (K, 5) as (batch index, x1, y1, x2, y2)
            in image coordinates.
        output_size (int | tuple[int, int]): (PH, PW).
        spatial_scale (float): Scale from image to feature-map coordinates.
            Defaults to 1.0.
        sampling_ratio (int): Samples per cell and axis; 0 for as many as
            the cell is pixels long, rounded up. Defaults to 0.
        pool_mode (str): ``'avg'`` or ``'max'``. Defaults to ``'avg'``.
        aligned (bool): Shift the RoIs by half a pixel, so that pixel
            centres lie at ``i + 0.5``. Defaults to True.

    Returns:
        Tensor: Pooled features of shape (K, C, PH, PW).
    """
    vision = torchvision_ops()
    if vision is None or pool_mode != 'avg' or input.dim() != 4 or \
            rois.dim() != 2 or rois.size(1) != 5:
        return RoIAlignFunction.apply(input, rois, output_size,
                                      spatial_scale, sampling_ratio,
                                      pool_mode, aligned)
    rois = rois.to(input.dtype)
    # refuses what mmcv refuses (RoIs of negative size when aligned)
    roi_grids(rois, _pair(output_size), spatial_scale, sampling_ratio,
              aligned)
    return vision.roi_align(input, rois, _pair(output_size),
                            as_c_float(spatial_scale), sampling_ratio,
                            aligned)


class RoIAlign(nn.Module):
    """RoIAlign layer, as ``mmcv.ops.RoIAlign``.

    Args:
        output_size (int | tuple[int, int]): (PH, PW).
        spatial_scale (float): Scale from image to feature-map coordinates.
            Defaults to 1.0.
        sampling_ratio (int): Samples per cell and axis; 0 for adaptive.
            Defaults to 0.
        pool_mode (str): ``'avg'`` or ``'max'``. Defaults to ``'avg'``.
        aligned (bool): Shift the RoIs by half a pixel. Defaults to True.
        use_torchvision (bool): mmcv's switch to torchvision's op; accepted
            and recorded, the choice being :func:`roi_align`'s (the same
            results either way). Defaults to False.
        out_size (int | tuple[int, int], optional): mmcv's older name of
            ``output_size``.
        sample_num (int, optional): mmcv's older name of
            ``sampling_ratio``.
    """

    def __init__(self,
                 output_size: Union[int, Tuple[int, int], None] = None,
                 spatial_scale: float = 1.0,
                 sampling_ratio: int = 0,
                 pool_mode: str = 'avg',
                 aligned: bool = True,
                 use_torchvision: bool = False,
                 *,
                 out_size: Union[int, Tuple[int, int], None] = None,
                 sample_num: Optional[int] = None) -> None:
        super().__init__()
        if (output_size is None) == (out_size is None):
            raise TypeError('RoIAlign takes one of output_size and its older '
                            f'name out_size, got {output_size!r} and '
                            f'{out_size!r}')
        self.output_size = _pair(output_size if out_size is None else
                                 out_size)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(
            sampling_ratio if sample_num is None else sample_num)
        self.pool_mode = pool_mode
        self.aligned = aligned
        self.use_torchvision = use_torchvision

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        """Pool the features of each RoI.

        Args:
            input (Tensor): Features of shape (N, C, H, W).
            rois (Tensor): RoIs of shape (K, 5).

        Returns:
            Tensor: Pooled features of shape (K, C, PH, PW).
        """
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.pool_mode, self.aligned)

    def extra_repr(self) -> str:
        return (f'output_size={self.output_size}, '
                f'spatial_scale={self.spatial_scale}, '
                f'sampling_ratio={self.sampling_ratio}, '
                f'pool_mode={self.pool_mode!r}, aligned={self.aligned}, '
                f'use_torchvision={self.use_torchvision}')
