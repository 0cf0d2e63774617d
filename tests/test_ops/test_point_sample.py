# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""point_sample against pixel centres and mmcv's compiled op."""
import pytest
import torch

from mmseg_ccnet.compat.mmcv_ops import compiled_ops_available
from mmseg_ccnet.ops import point_sample


def test_point_sample_reads_pixel_centres():
    feats = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)
    ys, xs = torch.tensor([0, 3, 2]), torch.tensor([4, 0, 2])
    points = torch.stack([(xs + 0.5) / 5, (ys + 0.5) / 4], -1)
    points = points.expand(2, 3, 2)
    out = point_sample(feats, points)
    assert out.shape == (2, 3, 3)
    torch.testing.assert_close(out, feats[:, :, ys, xs])
    grid = points.view(2, 3, 1, 2)
    assert point_sample(feats, grid).shape == (2, 3, 3, 1)


@pytest.mark.skipif(not compiled_ops_available(),
                    reason='needs the compiled mmcv to compare with')
def test_point_sample_equals_compiled_mmcv():
    import mmcv.ops
    torch.manual_seed(0)
    feats = torch.randn(2, 3, 7, 9)
    points = torch.rand(2, 11, 2)
    for align_corners in (False, True):
        torch.testing.assert_close(
            point_sample(feats, points, align_corners),
            mmcv.ops.point_sample(feats, points, align_corners))
