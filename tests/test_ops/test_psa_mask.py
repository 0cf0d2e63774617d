# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""PSAMask against hand-computed cases, a loop reference of mmcv's kernel
and (where installed) compiled mmcv."""
import pytest
import torch

from mmseg_ccnet.compat.mmcv_ops import compiled_ops_available
from mmseg_ccnet.ops import PSAMask, psa_mask

needs_compiled = pytest.mark.skipif(
    not compiled_ops_available(),
    reason='needs the compiled mmcv to compare with')


def psa_mask_reference(input, psa_type, mask_size):
    """mmcv's CPU kernel, position after position."""
    h_mask, w_mask = mask_size
    batch, _, height, width = input.shape
    half_h, half_w = (h_mask - 1) // 2, (w_mask - 1) // 2
    output = torch.zeros(batch, height * width, height, width,
                         dtype=input.dtype)
    for n in range(batch):
        for h in range(height):
            for w in range(width):
                for hidx in range(max(0, half_h - h),
                                  min(h_mask, height + half_h - h)):
                    for widx in range(max(0, half_w - w),
                                      min(w_mask, width + half_w - w)):
                        cell = (hidx + h - half_h) * width + widx + w - half_w
                        value = input[n, hidx * w_mask + widx, h, w]
                        if psa_type == 'collect':
                            output[n, cell, h, w] = value
                        else:
                            output[n, h * width + w].view(-1)[cell] = value
    return output


def test_hand_computed_collect_and_distribute():
    # a 3 x 3 mask on a 1 x 2 map: at (0, 0) the mask's centre row reaches
    # (0, 0) and (0, 1) through cells (1, 1) and (1, 2)
    # (input[0, c, 0, w] = 2 c + w)
    input = torch.arange(18.).view(1, 9, 1, 2)
    collect = psa_mask(input, 'collect', (3, 3))
    assert collect.shape == (1, 2, 1, 2)
    # output[cell (0, q), at (0, w)] = input[mask cell (1, 1 + q - w), w]:
    # cells 4, 3 (q = 0) and 5, 4 (q = 1)
    assert collect[0, :, 0].tolist() == [[8., 7.], [10., 9.]]
    distribute = psa_mask(input, 'distribute', (3, 3))
    assert torch.equal(distribute[0, :, 0], collect[0, :, 0].t())


@pytest.mark.parametrize('psa_type', ['collect', 'distribute'])
@pytest.mark.parametrize('mask_size,shape', [((3, 3), (4, 5)),
                                             ((5, 3), (3, 6)),
                                             ((4, 4), (5, 4))])
def test_matches_the_reference_forward_and_backward(psa_type, mask_size,
                                                    shape):
    gen = torch.Generator().manual_seed(0)
    input = torch.randn(2, mask_size[0] * mask_size[1], *shape,
                        generator=gen, requires_grad=True)
    output = PSAMask(psa_type, mask_size)(input)
    expected = psa_mask_reference(input.detach(), psa_type, mask_size)
    assert torch.equal(output, expected)
    # the gradient takes back each value that was placed
    grad = torch.randn(output.shape, generator=gen)
    output.backward(grad)
    reference = input.detach().clone().requires_grad_(True)
    torch.autograd.backward(
        psa_mask_reference(reference, psa_type, mask_size), grad)
    assert torch.equal(input.grad, reference.grad)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='psa_type'):
        PSAMask('gather', (3, 3))
    with pytest.raises(ValueError, match='9 channels'):
        psa_mask(torch.zeros(1, 8, 2, 2), 'collect', (3, 3))


@needs_compiled
@pytest.mark.parametrize('psa_type', [0, 1])
def test_equals_compiled_mmcv(psa_type):
    import mmcv.ops
    gen = torch.Generator().manual_seed(1)
    input = torch.randn(2, 15, 6, 7, generator=gen)
    got = input.clone().requires_grad_(True)
    expected = input.clone().requires_grad_(True)
    output = psa_mask(got, psa_type, (5, 3))
    want = mmcv.ops.psa_mask.psa_mask(expected, psa_type, (5, 3))
    assert torch.equal(output, want)
    grad = torch.randn(output.shape, generator=gen)
    output.backward(grad)
    want.backward(grad)
    assert torch.equal(got.grad, expected.grad)
