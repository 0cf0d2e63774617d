# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``mmcv.ops.PSAMask`` (PSANet's point-wise spatial attention masks).

The input holds, at each position ``(h, w)`` of an H x W map, a
``h_mask x w_mask`` mask centred there (channel ``hidx * w_mask + widx``);
the output spreads it over the whole map: of shape (N, H * W, H, W), zero
where the mask does not reach, with mask cell ``(hidx, widx)`` at map
position ``(p, q) = (hidx + h - half_h, widx + w - half_w)``, ``half =
(mask - 1) // 2``. ``'collect'`` writes it to output channel ``p * W + q``
at ``(h, w)``, ``'distribute'`` to channel ``h * W + w`` at ``(p, q)`` (as
mmcv's kernels). Both are one ``index_copy`` of the input's values, whose
gradient autograd takes back by the same indices.
"""
import functools
from typing import Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.utils import _pair

__all__ = ['PSAMask', 'psa_mask']

PSA_TYPES = ('collect', 'distribute')


@functools.lru_cache(maxsize=32)
def mask_positions(psa_type: str, mask_size: Tuple[int, int], height: int,
                   width: int) -> Tuple[Tensor, Tensor]:
    """Where each reaching mask cell goes in the flat output.

    Args:
        psa_type (str): ``'collect'`` or ``'distribute'``.
        mask_size (tuple[int, int]): (h_mask, w_mask).
        height (int): H.
        width (int): W.

    Returns:
        tuple[Tensor, Tensor]: Flat indices into the input's (C * H * W)
        and the output's (H * W * H * W) values of one image (int64).
    """
    h_mask, w_mask = mask_size
    hidx, widx, h, w = torch.meshgrid(
        torch.arange(h_mask), torch.arange(w_mask), torch.arange(height),
        torch.arange(width), indexing='ij')
    p = hidx + h - (h_mask - 1) // 2
    q = widx + w - (w_mask - 1) // 2
    reach = (p >= 0) & (p < height) & (q >= 0) & (q < width)
    source = ((hidx * w_mask + widx) * height + h) * width + w
    cell, here = p * width + q, h * width + w
    if psa_type == 'collect':
        target = cell * height * width + here
    else:
        target = here * height * width + cell
    return source[reach], target[reach]


def psa_mask(input: Tensor, psa_type: Union[str, int],
             mask_size: Union[int, Tuple[int, int]]) -> Tensor:
    """Spread each position's mask over the map (``mmcv.ops.psa_mask``).

    Args:
        input (Tensor): Masks of shape (N, h_mask * w_mask, H, W).
        psa_type (str | int): ``'collect'`` (0) or ``'distribute'`` (1).
        mask_size (int | tuple[int, int]): (h_mask, w_mask).

    Returns:
        Tensor: Output of shape (N, H * W, H, W).
    """
    if isinstance(psa_type, int):
        psa_type = PSA_TYPES[psa_type]
    if psa_type not in PSA_TYPES:
        raise ValueError(f'psa_type must be one of {PSA_TYPES}, got '
                         f'{psa_type!r}')
    mask_size = _pair(mask_size)
    batch, channels, height, width = input.shape
    if channels != mask_size[0] * mask_size[1]:
        raise ValueError(f'PSAMask with mask_size {mask_size} needs '
                         f'{mask_size[0] * mask_size[1]} channels, got '
                         f'{channels}')
    source, target = (index.to(input.device) for index in mask_positions(
        psa_type, mask_size, height, width))
    output = input.new_zeros(batch, (height * width)**2)
    output = output.index_copy(1, target, input.reshape(batch, -1)[:, source])
    return output.view(batch, height * width, height, width)


class PSAMask(nn.Module):
    """PSANet's mask layer, as ``mmcv.ops.PSAMask``.

    Args:
        psa_type (str): ``'collect'`` or ``'distribute'``.
        mask_size (tuple[int, int], optional): (h_mask, w_mask).
    """

    def __init__(self,
                 psa_type: str,
                 mask_size: Optional[Tuple[int, int]] = None) -> None:
        super().__init__()
        if psa_type not in PSA_TYPES:
            raise ValueError(f'psa_type must be one of {PSA_TYPES}, got '
                             f'{psa_type!r}')
        self.psa_type = psa_type
        self.psa_type_enum = PSA_TYPES.index(psa_type)
        self.mask_size = mask_size

    def forward(self, input: Tensor) -> Tensor:
        """Spread the masks, see :func:`psa_mask`.

        Args:
            input (Tensor): Masks of shape (N, h_mask * w_mask, H, W).

        Returns:
            Tensor: Output of shape (N, H * W, H, W).
        """
        return psa_mask(input, self.psa_type, self.mask_size)

    def extra_repr(self) -> str:
        return f'psa_type={self.psa_type}, mask_size={self.mask_size}'
