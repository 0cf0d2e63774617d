# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Deformable convolutions (DCN and DCNv2), as ``mmcv.ops``'.

Kernel point ``k = i * kw + j`` of output position ``(ho, wo)`` reads the
input at ``(ho * stride_h - pad_h + i * dilation_h + dy, wo * stride_w -
pad_w + j * dilation_w + dx)``, bilinearly, a corner outside the input
counting as zero. Its offset ``(dy, dx)`` is channel pair ``(2 * (g * kh *
kw + k), 2 * (g * kh * kw + k) + 1)`` of the offset map (B, deform_groups *
2 * kh * kw, Ho, Wo), for the input channels of deform group ``g``;
DCNv2 also scales the sample by channel ``g * kh * kw + k`` of its mask
(B, deform_groups * kh * kw, Ho, Wo). This is mmcv's layout, and
torchvision's, whose compiled ``deform_conv2d`` runs for tensors off the
CPU where it loads (:func:`~mmseg_ccnet.ops.torchvision_ops.
torchvision_ops`). On the CPU the pure-PyTorch path runs, the faster there
(as fast forward, several times faster forward and backward, see
``docs/performance.md``): it gathers the four corners of all kernel points
at once (for ``im2col_step`` images at a time, which bounds the working
memory of inference to that of ``im2col_step`` images' columns) and
multiplies the columns with the weight, group by group; autograd takes the
gradients back (keeping the gathered corners of every image for that), and,
as in mmcv's kernels, none reaches the offset of a sample outside (-1, H) x
(-1, W).
"""
from typing import Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.utils import _pair, _single

from .torchvision_ops import torchvision_ops

__all__ = [
    'DeformConv2d', 'DeformConv2dPack', 'DeformConvArgumentError',
    'ModulatedDeformConv2d', 'ModulatedDeformConv2dPack', 'deform_conv2d',
    'modulated_deform_conv2d'
]

IntPair = Union[int, Tuple[int, int]]


class DeformConvArgumentError(ValueError, AssertionError):
    """An argument that mmcv's deformable convolutions refuse.

    It is a ``ValueError``, and the ``AssertionError`` that mmcv raises for
    it.
    """


def kernel_positions(offset: Tensor, kernel_size: Tuple[int, int],
                     stride: Tuple[int, int], padding: Tuple[int, int],
                     dilation: Tuple[int, int],
                     deform_groups: int) -> Tuple[Tensor, Tensor]:
    """Where each kernel point of each output position reads the input.

    Args:
        offset (Tensor): Offsets (B, deform_groups * 2 * kh * kw, Ho, Wo).
        kernel_size (tuple[int, int]): (kh, kw).
        stride (tuple[int, int]): Stride.
        padding (tuple[int, int]): Padding.
        dilation (tuple[int, int]): Dilation.
        deform_groups (int): Deform groups G.

    Returns:
        tuple[Tensor, Tensor]: Rows and columns, each of shape
        (B, G, kh * kw, Ho, Wo), in input pixels (float32 or float64).
    """
    batch, _, out_h, out_w = offset.shape
    # positions in at least float32: half floats lose whole pixels
    offset = offset.view(batch, deform_groups, -1, 2, out_h, out_w).to(
        torch.promote_types(offset.dtype, torch.float32))
    axes = []
    for axis, size in enumerate((out_h, out_w)):
        base = torch.arange(size, device=offset.device,
                            dtype=offset.dtype) * stride[axis] - padding[axis]
        tap = torch.arange(kernel_size[axis], device=offset.device,
                           dtype=offset.dtype) * dilation[axis]
        axes.append(tap[:, None] + base[None])
    rows = axes[0][:, None, :, None].expand(-1, kernel_size[1], -1, out_w)
    cols = axes[1][None, :, None, :].expand(kernel_size[0], -1, out_h, -1)
    shape = (1, 1, -1, out_h, out_w)
    return (offset[:, :, :, 0] + rows.reshape(shape),
            offset[:, :, :, 1] + cols.reshape(shape))


def sample_columns(input: Tensor, rows: Tensor, cols: Tensor,
                   mask: Optional[Tensor]) -> Tensor:
    """The bilinear samples of the input at the kernel points (im2col).

    Args:
        input (Tensor): Input (B, C, H, W).
        rows (Tensor): Rows (B, G, K, Ho, Wo), G dividing C.
        cols (Tensor): Columns, as ``rows``.
        mask (Tensor, optional): Scales of the samples, as ``rows``.

    Returns:
        Tensor: Columns (B, C, K, Ho * Wo), zero where a corner falls
        outside the input.
    """
    batch, channels, height, width = input.shape
    groups, kernel_points = rows.shape[1:3]
    if rows.requires_grad or cols.requires_grad:
        # as mmcv's and torchvision's kernels, no gradient reaches the
        # offset of a sample outside (-1, H) x (-1, W)
        outside = (rows <= -1) | (rows >= height) | (cols <= -1) | (
            cols >= width)
        rows = torch.where(outside, rows.detach(), rows)
        cols = torch.where(outside, cols.detach(), cols)
    points = rows[0, 0].numel()
    rows, cols = rows.reshape(batch, groups, points), cols.reshape(
        batch, groups, points)
    top, left = rows.floor(), cols.floor()
    down, right = rows - top, cols - left
    flat = input.reshape(batch, groups, channels // groups, height * width)
    columns = None
    for row, row_weight in ((top, 1 - down), (top + 1, down)):
        for col, col_weight in ((left, 1 - right), (left + 1, right)):
            inside = (row >= 0) & (row < height) & (col >= 0) & (col < width)
            weight = row_weight * col_weight * inside
            if mask is not None:
                weight = weight * mask.reshape(batch, groups, points)
            index = (row.clamp(0, height - 1) * width +
                     col.clamp(0, width - 1)).long()
            values = flat.gather(
                3, index[:, :, None].expand(-1, -1, flat.size(2), -1))
            term = values * weight[:, :, None]
            columns = term if columns is None else columns + term
    return columns.view(batch, channels, kernel_points, -1).to(input.dtype)


def deform_conv(input: Tensor, offset: Tensor, mask: Optional[Tensor],
                weight: Tensor, bias: Optional[Tensor], stride: IntPair,
                padding: IntPair, dilation: IntPair, groups: int,
                deform_groups: int, im2col_step: int) -> Tensor:
    """A (modulated) deformable convolution, pure or on torchvision's
    kernel (off the CPU).

    Args:
        input (Tensor): Input (B, C_in, H, W).
        offset (Tensor): Offsets (B, deform_groups * 2 * kh * kw, Ho, Wo).
        mask (Tensor, optional): Masks (B, deform_groups * kh * kw, Ho, Wo),
            None for DCN.
        weight (Tensor): Weight (C_out, C_in / groups, kh, kw).
        bias (Tensor, optional): Bias (C_out, ).
        stride (int | tuple[int, int]): Stride.
        padding (int | tuple[int, int]): Zero padding.
        dilation (int | tuple[int, int]): Dilation.
        groups (int): Groups of the convolution.
        deform_groups (int): Groups of channels sharing offsets.
        im2col_step (int): Images whose columns the pure path builds at
            once.

    Returns:
        Tensor: Output (B, C_out, Ho, Wo).
    """
    if input.dim() != 4:
        raise ValueError(f'Expected 4D tensor as input, got {input.dim()}D '
                         'tensor instead.')
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    kernel_size = tuple(weight.shape[2:])
    points = kernel_size[0] * kernel_size[1]
    channels = input.size(1)
    if channels != weight.size(1) * groups or channels % deform_groups:
        raise ValueError(
            f'an input of {channels} channels does not fit a weight of '
            f'{weight.size(1)} input channels in {groups} groups, or is not '
            f'divided into {deform_groups} deform groups')
    if offset.size(1) != deform_groups * 2 * points:
        raise ValueError(
            f'offset of a {kernel_size} kernel with {deform_groups} deform '
            f'groups needs {deform_groups * 2 * points} channels, got '
            f'{offset.size(1)}')
    out_size = tuple((size + 2 * pad - dil * (kernel - 1) - 1) // step + 1
                     for size, pad, dil, kernel, step in zip(
                         input.shape[2:], padding, dilation, kernel_size,
                         stride))
    if offset.dim() != 4 or tuple(offset.shape[2:]) != out_size or \
            offset.size(0) != input.size(0):
        raise ValueError(
            f'offset of shape {tuple(offset.shape)} does not fit the output '
            f'({input.size(0)}, *, {out_size[0]}, {out_size[1]})')
    # offset's dtype decides under amp, as in mmcv
    input = input.type_as(offset)
    weight = weight.type_as(input)
    vision = torchvision_ops() if input.device.type != 'cpu' else None
    if vision is not None:
        return vision.deform_conv2d(input, offset, weight, bias, stride,
                                    padding, dilation, mask)
    out_channels = weight.size(0)
    kernel = weight.reshape(groups, out_channels // groups, -1)
    outputs = []
    images = max(1, im2col_step)
    for first in range(0, input.size(0), images):
        part = slice(first, first + images)
        rows, cols = kernel_positions(offset[part], kernel_size, stride,
                                      padding, dilation, deform_groups)
        part_mask = None if mask is None else mask[part].reshape(rows.shape)
        columns = sample_columns(input[part], rows, cols, part_mask)
        columns = columns.reshape(columns.size(0), groups, -1,
                                  columns.size(-1))
        outputs.append(
            torch.matmul(kernel, columns).reshape(columns.size(0),
                                                  out_channels,
                                                  *offset.shape[2:]))
    output = torch.cat(outputs)
    if bias is not None:
        output = output + bias.type_as(output).view(1, -1, 1, 1)
    return output


def deform_conv2d(input: Tensor,
                  offset: Tensor,
                  weight: Tensor,
                  stride: IntPair = 1,
                  padding: IntPair = 0,
                  dilation: IntPair = 1,
                  groups: int = 1,
                  deform_groups: int = 1,
                  bias: bool = False,
                  im2col_step: int = 32) -> Tensor:
    """Deformable convolution (``mmcv.ops.deform_conv2d``).

    Args:
        input (Tensor): Input (B, C_in, H, W).
        offset (Tensor): Offsets (B, deform_groups * 2 * kh * kw, Ho, Wo),
            a (dy, dx) pair per kernel point.
        weight (Tensor): Weight (C_out, C_in / groups, kh, kw).
        stride (int | tuple[int, int]): Stride. Defaults to 1.
        padding (int | tuple[int, int]): Zero padding. Defaults to 0.
        dilation (int | tuple[int, int]): Dilation. Defaults to 1.
        groups (int): Groups of the convolution. Defaults to 1.
        deform_groups (int): Groups of input channels sharing offsets.
            Defaults to 1.
        bias (bool): Must be False (as in mmcv). Defaults to False.
        im2col_step (int): Images sampled at once. Defaults to 32.

    Returns:
        Tensor: Output (B, C_out, Ho, Wo).
    """
    if bias:
        raise DeformConvArgumentError(
            'deform_conv2d has no bias (bias must be False)')
    return deform_conv(input, offset, None, weight, None, stride, padding,
                       dilation, groups, deform_groups, im2col_step)


def modulated_deform_conv2d(input: Tensor,
                            offset: Tensor,
                            mask: Tensor,
                            weight: Tensor,
                            bias: Optional[Tensor] = None,
                            stride: IntPair = 1,
                            padding: IntPair = 0,
                            dilation: IntPair = 1,
                            groups: int = 1,
                            deform_groups: int = 1) -> Tensor:
    """Modulated deformable convolution, DCNv2
    (``mmcv.ops.modulated_deform_conv2d``).

    Args:
        input (Tensor): Input (B, C_in, H, W).
        offset (Tensor): Offsets (B, deform_groups * 2 * kh * kw, Ho, Wo),
            a (dy, dx) pair per kernel point.
        mask (Tensor): Scales of the samples (B, deform_groups * kh * kw,
            Ho, Wo).
        weight (Tensor): Weight (C_out, C_in / groups, kh, kw).
        bias (Tensor, optional): Bias (C_out, ). Defaults to None.
        stride (int | tuple[int, int]): Stride. Defaults to 1.
        padding (int | tuple[int, int]): Zero padding. Defaults to 0.
        dilation (int | tuple[int, int]): Dilation. Defaults to 1.
        groups (int): Groups of the convolution. Defaults to 1.
        deform_groups (int): Groups of input channels sharing offsets.
            Defaults to 1.

    Returns:
        Tensor: Output (B, C_out, Ho, Wo).
    """
    return deform_conv(input, offset, mask.type_as(offset), weight, bias,
                       stride, padding, dilation, groups, deform_groups,
                       im2col_step=32)


class OffsetConvMixin:
    """The offset convolution of the ``*Pack`` layers.

    Their state dicts are of version 2, as mmcv's. (mmcv also renames the
    keys ``<name>_offset.*`` of version 1 when its layer loads, but torch
    hands a layer only the keys under its own name.)
    """

    _version = 2

    def build_conv_offset(self, channels_per_point: int) -> None:
        """Add the zero-initialised ``conv_offset``.

        Args:
            channels_per_point (int): 2 (offsets) or 3 (and masks).
        """
        self.conv_offset = nn.Conv2d(
            self.in_channels,
            self.deform_groups * channels_per_point * self.kernel_size[0] *
            self.kernel_size[1],
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            bias=True)
        self.init_offset()

    def init_offset(self) -> None:
        """Zero the offset convolution: a plain convolution at first."""
        self.conv_offset.weight.data.zero_()
        self.conv_offset.bias.data.zero_()


class DeformConvBase(nn.Module):
    """The parameters and weight that both deformable convolutions share.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int | tuple[int, int]): Kernel size.
        stride (int | tuple[int, int]): Stride.
        padding (int | tuple[int, int]): Zero padding.
        dilation (int | tuple[int, int]): Dilation.
        groups (int): Groups of the convolution.
        deform_groups (int): Groups of input channels sharing offsets.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: IntPair, stride: IntPair, padding: IntPair,
                 dilation: IntPair, groups: int, deform_groups: int) -> None:
        super().__init__()
        check_groups(in_channels, out_channels, groups)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.deform_groups = deform_groups
        # as nn.Conv2d
        self.transposed = False
        self.output_padding = _single(0)
        self.weight = nn.Parameter(
            torch.empty(out_channels, in_channels // groups,
                        *self.kernel_size))

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, kernel_size='
                f'{self.kernel_size}, stride={self.stride}, padding='
                f'{self.padding}, dilation={self.dilation}, groups='
                f'{self.groups}, deform_groups={self.deform_groups}, '
                f'bias={getattr(self, "bias", None) is not None}')


class DeformConv2d(DeformConvBase):
    """Deformable convolution (DCN), as ``mmcv.ops.DeformConv2d``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int | tuple[int, int]): Kernel size.
        stride (int | tuple[int, int]): Stride. Defaults to 1.
        padding (int | tuple[int, int]): Zero padding. Defaults to 0.
        dilation (int | tuple[int, int]): Dilation. Defaults to 1.
        groups (int): Groups of the convolution. Defaults to 1.
        deform_groups (int): Groups of input channels sharing offsets.
            Defaults to 1.
        bias (bool): Must be False (as in mmcv). Defaults to False.
        im2col_step (int): Images sampled at once. Defaults to 32.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: IntPair,
                 stride: IntPair = 1,
                 padding: IntPair = 0,
                 dilation: IntPair = 1,
                 groups: int = 1,
                 deform_groups: int = 1,
                 bias: bool = False,
                 im2col_step: int = 32) -> None:
        if bias:
            raise DeformConvArgumentError(
                f'bias={bias} is not supported in DeformConv2d.')
        super().__init__(in_channels, out_channels, kernel_size, stride,
                         padding, dilation, groups, deform_groups)
        self.im2col_step = im2col_step
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weight (as mmcv)."""
        nn.init.kaiming_uniform_(self.weight, nonlinearity='relu')

    def forward(self, x: Tensor, offset: Tensor) -> Tensor:
        """Convolve at the offset kernel points.

        Args:
            x (Tensor): Input (B, C_in, H, W).
            offset (Tensor): Offsets (B, deform_groups * 2 * kh * kw, Ho,
                Wo).

        Returns:
            Tensor: Output (B, C_out, Ho, Wo).
        """
        return deform_conv2d(x, offset, self.weight, self.stride,
                             self.padding, self.dilation, self.groups,
                             self.deform_groups, False, self.im2col_step)


class DeformConv2dPack(OffsetConvMixin, DeformConv2d):
    """DCN as a convolution layer (``mmcv.ops.DeformConv2dPack``, ``DCN``).

    The offsets come from ``conv_offset``, a convolution of the input with
    the same kernel, stride, padding and dilation, initialised to zero.
    Arguments as :class:`DeformConv2d`.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.build_conv_offset(2)

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        """Convolve at the kernel points offset by ``conv_offset``.

        Args:
            x (Tensor): Input (B, C_in, H, W).

        Returns:
            Tensor: Output (B, C_out, Ho, Wo).
        """
        return super().forward(x, self.conv_offset(x))


class ModulatedDeformConv2d(DeformConvBase):
    """Modulated deformable convolution (DCNv2), as
    ``mmcv.ops.ModulatedDeformConv2d``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int | tuple[int, int]): Kernel size.
        stride (int | tuple[int, int]): Stride. Defaults to 1.
        padding (int | tuple[int, int]): Zero padding. Defaults to 0.
        dilation (int | tuple[int, int]): Dilation. Defaults to 1.
        groups (int): Groups of the convolution. Defaults to 1.
        deform_groups (int): Groups of input channels sharing offsets.
            Defaults to 1.
        bias (bool | str): Whether to add a bias. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: IntPair,
                 stride: IntPair = 1,
                 padding: IntPair = 0,
                 dilation: IntPair = 1,
                 groups: int = 1,
                 deform_groups: int = 1,
                 bias: Union[bool, str] = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride,
                         padding, dilation, groups, deform_groups)
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter('bias', None)
        self.init_weights()

    def init_weights(self) -> None:
        """Uniform weight in +-1 / sqrt(fan_in), zero bias (as mmcv)."""
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        self.weight.data.uniform_(-fan_in**-0.5, fan_in**-0.5)
        if self.bias is not None:
            self.bias.data.zero_()

    def forward(self, x: Tensor, offset: Tensor, mask: Tensor) -> Tensor:
        """Convolve at the offset kernel points, scaling the samples.

        Args:
            x (Tensor): Input (B, C_in, H, W).
            offset (Tensor): Offsets (B, deform_groups * 2 * kh * kw, Ho,
                Wo).
            mask (Tensor): Scales (B, deform_groups * kh * kw, Ho, Wo).

        Returns:
            Tensor: Output (B, C_out, Ho, Wo).
        """
        return modulated_deform_conv2d(x, offset, mask, self.weight,
                                       self.bias, self.stride, self.padding,
                                       self.dilation, self.groups,
                                       self.deform_groups)


class ModulatedDeformConv2dPack(OffsetConvMixin, ModulatedDeformConv2d):
    """DCNv2 as a convolution layer (``mmcv.ops.ModulatedDeformConv2dPack``,
    ``DCNv2``).

    ``conv_offset`` (initialised to zero) gives the offsets, its first two
    thirds of channels, and the masks, the sigmoid of its last third.
    Arguments as :class:`ModulatedDeformConv2d`.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.build_conv_offset(3)

    def init_weights(self) -> None:
        """The weights as mmcv, ``conv_offset`` zero."""
        super().init_weights()
        if hasattr(self, 'conv_offset'):
            self.init_offset()

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        """Convolve with offsets and masks from ``conv_offset``.

        Args:
            x (Tensor): Input (B, C_in, H, W).

        Returns:
            Tensor: Output (B, C_out, Ho, Wo).
        """
        offset_y, offset_x, mask = torch.chunk(self.conv_offset(x), 3, dim=1)
        return super().forward(x, torch.cat((offset_y, offset_x), dim=1),
                               torch.sigmoid(mask))


def check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    """Check that the groups divide the channels.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        groups (int): Groups.

    Raises:
        DeformConvArgumentError: When they do not.
    """
    for name, channels in (('in_channels', in_channels),
                           ('out_channels', out_channels)):
        if channels % groups:
            raise DeformConvArgumentError(
                f'{name} {channels} cannot be divided into {groups} groups')
