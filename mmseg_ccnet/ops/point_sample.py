# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``mmcv.ops.point_sample``: features at normalised point coordinates."""
import torch
import torch.nn.functional as F

__all__ = ['point_sample']


def point_sample(input: torch.Tensor,
                 points: torch.Tensor,
                 align_corners: bool = False,
                 **kwargs) -> torch.Tensor:
    """Sample features at normalised point coordinates (``mmcv.ops`` API).

    Args:
        input (Tensor): Feature map of shape (N, C, H, W).
        points (Tensor): Coordinates in ``[0, 1] x [0, 1]`` as (x, y), of
            shape (N, P, 2) or (N, Hgrid, Wgrid, 2).
        align_corners (bool): Passed to :func:`F.grid_sample`.
            Defaults to False.
        **kwargs: Further arguments of :func:`F.grid_sample`.

    Returns:
        Tensor: Sampled features of shape (N, C, P) or (N, C, Hgrid, Wgrid).
    """
    flat = points.dim() == 3
    grid = points.unsqueeze(2) if flat else points
    output = F.grid_sample(
        input, 2.0 * grid - 1.0, align_corners=align_corners, **kwargs)
    return output.squeeze(3) if flat else output
