# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""roi_align and RoIAlign against hand-computed values, the slow reference
and (where installed) mmcv's compiled CPU op."""
import itertools
import sys

import pytest
import torch

from mmseg_ccnet.compat.mmcv_ops import compiled_ops_available
from mmseg_ccnet.ops import RoIAlign, roi_align
from ops_reference import roi_align_reference

needs_compiled = pytest.mark.skipif(
    not compiled_ops_available(),
    reason='needs the compiled mmcv to compare with')
SETTINGS = list(itertools.product((True, False), (0, 2), ('avg', 'max')))


def ramp(height: int = 10, width: int = 12) -> torch.Tensor:
    """Features ``2 y + 3 x + 1``: bilinear samples are exact inside."""
    ys = torch.arange(height, dtype=torch.float32)[:, None]
    xs = torch.arange(width, dtype=torch.float32)[None]
    return (2 * ys + 3 * xs + 1).expand(1, 1, height, width).contiguous()


def assert_agrees(got, expected, pool_mode, context=None):
    """'max' pooling is bit-exact; 'avg' sums in another order: equal up to
    1e-5 of the values' scale (float32; 1e-12 for float64)."""
    if pool_mode == 'max':
        assert torch.equal(got, expected), context
        return
    tolerance = 1e-5 if got.dtype == torch.float32 else 1e-12
    scale = max(float(expected.abs().max()), 1.0)
    torch.testing.assert_close(got, expected, rtol=0, atol=tolerance * scale,
                               msg=lambda m: f'{context}: {m}')


def forward_backward(input, rois, grad, *args):
    """Output and input gradient of roi_align."""
    input = input.clone().requires_grad_(True)
    output = roi_align(input, rois, *args)
    output.backward(grad)
    return output.detach(), input.grad


def test_hand_computed_average_and_gradient():
    # aligned: the RoI spans 1.5 .. 5.5, cells of 2 with 2 x 2 samples at
    # 2.0, 3.0 and 4.0, 5.0 (pixel centres): cell means at 2.5 and 4.5
    roi = torch.tensor([[0., 2, 2, 6, 6]])
    grad = torch.zeros(1, 1, 2, 2)
    grad[0, 0, 0, 1] = 1.0
    output, grad_input = forward_backward(ramp(), roi, grad, 2, 1.0, 0,
                                          'avg', True)
    assert output[0, 0].tolist() == [[13.5, 19.5], [17.5, 23.5]]
    expected = torch.zeros(1, 1, 10, 12)
    expected[0, 0, 2:4, 4:6] = 0.25
    assert torch.equal(grad_input, expected)
    # not aligned: samples at 2.5, 3.5 and 4.5, 5.5
    output = roi_align(ramp(), roi, 2, 1.0, 0, 'avg', False)
    assert output[0, 0].tolist() == [[16.0, 22.0], [20.0, 26.0]]


def test_hand_computed_maximum_and_gradient():
    roi = torch.tensor([[0., 2, 2, 6, 6]])
    grad = torch.ones(1, 1, 2, 2)
    output, grad_input = forward_backward(ramp(), roi, grad, 2, 1.0, 0,
                                          'max', True)
    # the largest sample of each cell: its bottom-right one
    assert output[0, 0].tolist() == [[16.0, 22.0], [20.0, 26.0]]
    expected = torch.zeros(1, 1, 10, 12)
    expected[0, 0, [3, 3, 5, 5], [3, 5, 3, 5]] = 1.0
    assert torch.equal(grad_input, expected)


def test_samples_outside_the_map_count_as_zero():
    ones = torch.ones(1, 1, 4, 4)
    # x from -4 to 4: of the 4 x 4 samples of cell 0, the columns at
    # -3.5, -2.5 and -1.5 are outside, -0.5 is clamped to 0
    roi = torch.tensor([[0., -4, 0, 4, 4]])
    output, grad_input = forward_backward(ones, roi, torch.ones(1, 1, 1, 2),
                                          (1, 2), 1.0, 0, 'avg', False)
    assert output[0, 0].tolist() == [[0.25, 1.0]]
    assert grad_input.sum().item() == 1.25
    far = torch.tensor([[0., 20, 20, 30, 30]])
    assert roi_align(ones, far, 2, 1.0, 2, 'avg', True).abs().sum() == 0


def test_empty_and_degenerate_rois():
    feats = torch.randn(2, 3, 8, 8, requires_grad=True)
    output = roi_align(feats, torch.zeros(0, 5), (7, 5))
    assert output.shape == (0, 3, 7, 5)
    output.sum().backward()
    assert torch.equal(feats.grad, torch.zeros_like(feats))
    # a zero-size aligned RoI has an empty adaptive grid: 0, or -10000 for
    # max, and no gradient
    point = torch.tensor([[1., 3.5, 3.5, 3.5, 3.5]])
    feats.grad = None
    assert torch.equal(roi_align(feats, point, 2), torch.zeros(1, 3, 2, 2))
    output = roi_align(feats, point, 2, 1.0, 0, 'max')
    assert torch.equal(output, torch.full((1, 3, 2, 2), -10000.0))
    output.sum().backward()
    assert torch.equal(feats.grad, torch.zeros_like(feats))
    with pytest.raises(ValueError, match='non-negative size'):
        roi_align(feats, torch.tensor([[0., 5, 5, 4, 6]]), 2)
    # without alignment, RoIs are at least one pixel wide and high
    flipped = roi_align(feats, torch.tensor([[0., 5, 5, 4, 4]]), 2, 1.0, 0,
                        'avg', False)
    assert flipped.abs().sum() > 0


def random_case(seed: int, dtype: torch.dtype = torch.float32):
    """Features, RoIs partly outside the map (some large), a gradient."""
    gen = torch.Generator().manual_seed(seed)
    height, width = torch.randint(2, 16, (2, ), generator=gen).tolist()
    feats = torch.randn(2, 3, height, width, generator=gen, dtype=dtype)
    scale = (1.0, 0.5, 0.25)[seed % 3]
    size = torch.tensor([width, height], dtype=dtype) / scale
    xy = (torch.rand(5, 2, generator=gen, dtype=dtype) * 1.4 - 0.2) * size
    wh = torch.rand(5, 2, generator=gen, dtype=dtype) * size * 1.5
    batch = torch.randint(0, 2, (5, 1), generator=gen).to(dtype)
    rois = torch.cat([batch, xy, xy + wh], 1)
    grad = torch.randn(5, 3, 4, 3, generator=gen, dtype=dtype)
    return feats, rois, grad, scale


@pytest.mark.parametrize('aligned,sampling_ratio,pool_mode', SETTINGS)
@pytest.mark.parametrize('seed', range(3))
def test_random_rois_match_the_reference(seed, aligned, sampling_ratio,
                                         pool_mode):
    feats, rois, grad, scale = random_case(seed)
    args = ((4, 3), scale, sampling_ratio, pool_mode, aligned)
    output, grad_input = forward_backward(feats, rois, grad, *args)
    expected = roi_align_reference(feats, rois, grad, *args)
    assert_agrees(output, expected[0], pool_mode)
    assert_agrees(grad_input, expected[1], pool_mode)


@pytest.mark.parametrize('pool_mode', ['avg', 'max'])
def test_float64_matches_the_reference(pool_mode):
    feats, rois, grad, scale = random_case(7, torch.float64)
    args = ((4, 3), scale / 3, 0, pool_mode, True)
    output, grad_input = forward_backward(feats, rois, grad, *args)
    expected = roi_align_reference(feats, rois, grad, *args)
    assert_agrees(output, expected[0], pool_mode)
    assert_agrees(grad_input, expected[1], pool_mode)


def test_average_gradient_is_the_jacobian():
    """RoIAlign 'avg' is linear in the features: gradcheck is exact."""
    feats, rois, _, scale = random_case(2, torch.float64)
    feats.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda x: roi_align(x, rois, (3, 2), scale, 0, 'avg', True),
        (feats, ))


@pytest.mark.parametrize('pool_mode', ['avg', 'max'])
def test_chunks_give_the_same_results(monkeypatch, pool_mode):
    """One RoI per chunk (the smallest bounds) against one chunk for all."""
    feats, rois, grad, scale = random_case(4)
    args = ((4, 3), scale, 0, pool_mode, True)
    whole = forward_backward(feats, rois, grad, *args)
    module = sys.modules['mmseg_ccnet.ops.roi_align']
    monkeypatch.setattr(module, 'BACKWARD_CHUNK', 1)
    monkeypatch.setattr(module, 'GATHER_CHUNK', 1)
    chunked = forward_backward(feats, rois, grad, *args)
    assert_agrees(chunked[0], whole[0], pool_mode)
    assert_agrees(chunked[1], whole[1], pool_mode)


def test_module_equals_function():
    feats, rois, _, scale = random_case(5)
    layer = RoIAlign(4, spatial_scale=scale, sampling_ratio=2)
    assert layer.output_size == (4, 4)
    assert torch.equal(layer(feats, rois), roi_align(feats, rois, 4, scale,
                                                     2))
    assert repr(layer) == (
        f'RoIAlign(output_size=(4, 4), spatial_scale={scale}, '
        "sampling_ratio=2, pool_mode='avg', aligned=True, "
        'use_torchvision=False)')


def test_bad_arguments_are_refused():
    feats = torch.randn(1, 2, 5, 5)
    with pytest.raises(ValueError, match='pool_mode'):
        roi_align(feats, torch.zeros(1, 5), 2, 1.0, 0, 'sum')
    with pytest.raises(ValueError, match=r'rois \(K, 5\)'):
        roi_align(feats, torch.zeros(1, 4), 2)


@needs_compiled
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_equals_compiled_mmcv(dtype):
    import mmcv.ops
    for seed, (aligned, sampling_ratio, pool_mode) in itertools.product(
            range(30), SETTINGS):
        feats, rois, grad, scale = random_case(seed, dtype)
        args = ((4, 3), scale, sampling_ratio, pool_mode, aligned)
        expected = feats.clone().requires_grad_(True)
        output = mmcv.ops.roi_align(expected, rois, *args)
        output.backward(grad)
        got = forward_backward(feats, rois, grad, *args)
        assert_agrees(got[0], output, pool_mode, (seed, args))
        assert_agrees(got[1], expected.grad, pool_mode, (seed, args))


@needs_compiled
def test_large_grids_and_mask_targets_equal_compiled_mmcv():
    """Large RoIs at scale 1 have grids of hundreds of samples per cell,
    as mmdet's mask targets (28 x 28 cells of whole-image masks)."""
    import mmcv.ops
    gen = torch.Generator().manual_seed(0)
    masks = (torch.rand(6, 1, 200, 240, generator=gen) > 0.5).float()
    xy = torch.rand(6, 2, generator=gen) * 100
    wh = torch.rand(6, 2, generator=gen) * 140 + 1
    rois = torch.cat([torch.arange(6.)[:, None], xy, xy + wh], 1)
    for pool_mode in ('avg', 'max'):
        args = ((28, 28), 1.0, 0, pool_mode, True)
        expected = masks.clone().requires_grad_(True)
        output = mmcv.ops.roi_align(expected, rois, *args)
        grad = torch.randn(output.shape, generator=gen)
        output.backward(grad)
        got = forward_backward(masks, rois, grad, *args)
        assert_agrees(got[0], output, pool_mode)
        assert_agrees(got[1], expected.grad, pool_mode)
