# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The deformable convolutions against hand-computed cases, gradcheck,
torchvision's kernel and (where installed) compiled mmcv."""
import pytest
import torch
import torch.nn.functional as F

from mmseg_ccnet.compat.mmcv_ops import compiled_ops_available
from mmseg_ccnet.ops import (
    DeformConv2d,
    DeformConv2dPack,
    ModulatedDeformConv2d,
    ModulatedDeformConv2dPack,
    deform_conv2d,
    modulated_deform_conv2d,
)
from mmseg_ccnet.ops.torchvision_ops import torchvision_ops

needs_torchvision = pytest.mark.skipif(
    torchvision_ops() is None,
    reason='torchvision is not installed, or its compiled ops do not load '
    'with this torch')
needs_compiled = pytest.mark.skipif(
    not compiled_ops_available(),
    reason='needs the compiled mmcv to compare with')

# (stride, padding, dilation, groups, deform_groups)
SETTINGS = [(1, 1, 1, 1, 1), (2, 1, 1, 2, 2), (1, 2, 2, 1, 4),
            ((2, 1), (0, 1), (1, 2), 4, 1)]


def random_case(setting, dtype=torch.float32, seed=0, scale=2.):
    """Input, offsets, masks, weight and bias of a small convolution."""
    stride, padding, dilation, groups, deform_groups = setting
    gen = torch.Generator().manual_seed(seed)
    input = torch.randn(2, 8, 7, 9, generator=gen, dtype=dtype)
    weight = torch.randn(4, 8 // groups, 3, 3, generator=gen, dtype=dtype)
    out_size = F.conv2d(input, weight, None, stride, padding, dilation,
                        groups).shape[2:]
    offset = scale * torch.randn(
        2, deform_groups * 18, *out_size, generator=gen, dtype=dtype)
    mask = torch.rand(2, deform_groups * 9, *out_size, generator=gen,
                      dtype=dtype)
    bias = torch.randn(4, generator=gen, dtype=dtype)
    return input, offset, mask, weight, bias


@pytest.mark.parametrize('setting', SETTINGS)
def test_zero_offsets_are_a_plain_convolution(setting):
    input, offset, mask, weight, bias = random_case(setting)
    stride, padding, dilation, groups, deform_groups = setting
    expected = F.conv2d(input, weight, None, stride, padding, dilation,
                        groups)
    output = deform_conv2d(input, torch.zeros_like(offset), weight, stride,
                           padding, dilation, groups, deform_groups)
    torch.testing.assert_close(output, expected)
    # DCNv2 with mask m_k scales kernel point k's weights by m_k
    point_mask = torch.rand(9, generator=torch.Generator().manual_seed(1))
    mask = point_mask.view(1, 1, 9, 1, 1).expand(
        2, deform_groups, 9, *offset.shape[2:]).reshape(mask.shape)
    output = modulated_deform_conv2d(input, torch.zeros_like(offset), mask,
                                     weight, bias, stride, padding, dilation,
                                     groups, deform_groups)
    expected = F.conv2d(input, weight * point_mask.view(3, 3), bias, stride,
                        padding, dilation, groups)
    torch.testing.assert_close(output, expected)


def test_integer_offsets_shift_the_input():
    # every kernel point reads one row down and one column left: output
    # (h, w) convolves the zero-padded input's window at (h + 1, w - 1)
    input, offset, _, weight, _ = random_case(SETTINGS[0])
    offset = offset.view(2, 9, 2, 7, 9).clone()
    offset[:, :, 0], offset[:, :, 1] = 1., -1.
    padded = F.pad(input, (2, 2, 2, 2))
    torch.testing.assert_close(
        deform_conv2d(input, offset.view(2, 18, 7, 9), weight, padding=1),
        F.conv2d(padded[:, :, 2:, :11], weight))


def test_fractional_offsets_by_hand():
    # a 1 x 1 kernel of weight 2 on [[1, 2], [4, 8]]
    input = torch.tensor([[[[1., 2.], [4., 8.]]]])
    weight = torch.full((1, 1, 1, 1), 2.)
    offset = torch.zeros(1, 2, 2, 2)
    # (0, 0) reads (0.25, 0.5): 0.75 * 1.5 + 0.25 * 6 = 2.625
    offset[0, :, 0, 0] = torch.tensor([0.25, 0.5])
    # (0, 1) reads (-0.5, 1): half of row -1 (zero) and half of 2
    offset[0, :, 0, 1] = torch.tensor([-0.5, 0.])
    # (1, 0) reads (1.5, 0.5): half of row 2 (zero), half of 6
    offset[0, :, 1, 0] = torch.tensor([0.5, 0.5])
    # (1, 1) reads (2, 2.5): outside
    offset[0, :, 1, 1] = torch.tensor([1., 1.5])
    output = deform_conv2d(input, offset, weight)
    torch.testing.assert_close(output,
                               torch.tensor([[[[5.25, 2.], [6., 0.]]]]))
    mask = torch.tensor([[[[0.5, 1.], [0.25, 0.]]]])
    output = modulated_deform_conv2d(input, offset, mask, weight,
                                     torch.ones(1))
    torch.testing.assert_close(output,
                               torch.tensor([[[[3.625, 3.], [2.5, 1.]]]]))


def test_no_offset_gradient_reaches_samples_outside_the_input():
    """As in mmcv's kernels: a sample at row -1 is outside (-1, H), and its
    offset gets no gradient, though one corner is the input's row 0."""
    input = torch.tensor([[[[1., 2.], [3., 4.]]]])
    offset = torch.zeros(1, 2, 2, 2)
    offset[0, 0, 0, 0] = -1.  # (0, 0) reads (-1, 0)
    offset.requires_grad_()
    output = deform_conv2d(input, offset, torch.ones(1, 1, 1, 1))
    output.sum().backward()
    torch.testing.assert_close(output, torch.tensor([[[[0., 2.], [3.,
                                                                 4.]]]]))
    # elsewhere the gradient of row (column) is the next row (column) less
    # this one, zero outside: (0, 1) reads 2, below it 4, right of it 0
    torch.testing.assert_close(
        offset.grad,
        torch.tensor([[[[0., 2.], [-3., -4.]], [[0., -2.], [1., -4.]]]]))


def test_gradcheck_in_float64():
    setting = (1, 1, 2, 2, 2)
    input, offset, mask, weight, bias = random_case(
        setting, dtype=torch.float64, scale=0.7)
    input, offset = input[:1, :4, :4, :5], offset[:1, :, :2, :3]
    mask, weight = mask[:1, :, :2, :3], weight[:, :2]
    tensors = [
        tensor.detach().requires_grad_()
        for tensor in (input, offset, mask, weight, bias)
    ]
    assert torch.autograd.gradcheck(
        lambda *args: modulated_deform_conv2d(*args, 1, 1, 2, 2, 2),
        tensors)
    assert torch.autograd.gradcheck(
        lambda x, o, w: deform_conv2d(x, o, w, 1, 1, 2, 2, 2),
        [tensors[0], tensors[1], tensors[3]])


def test_half_precision_samples_at_float32_positions():
    # column 2049 is no float16: the positions must be computed in float32
    input = torch.zeros(1, 1, 1, 2052, dtype=torch.float16)
    input[0, 0, 0, 2049:2051] = torch.tensor([2., 4.])
    offset = torch.zeros(1, 2, 1, 2052, dtype=torch.float16)
    offset[0, 1] = 0.5
    output = deform_conv2d(input, offset, torch.ones(1, 1, 1, 1))
    assert output.dtype == torch.float16
    assert output[0, 0, 0, 2048:2051].tolist() == [1., 3., 2.]


def test_im2col_step_bounds_the_images_sampled_at_once():
    input, offset, mask, weight, bias = random_case(SETTINGS[1])
    torch.testing.assert_close(
        deform_conv2d(input, offset, weight, 2, 1, 1, 2, 2,
                      im2col_step=1),
        deform_conv2d(input, offset, weight, 2, 1, 1, 2, 2))


def test_errors_name_the_value_at_fault():
    input, offset, _, weight, _ = random_case(SETTINGS[0])
    with pytest.raises(ValueError, match='needs 36 channels, got 18'):
        deform_conv2d(input, offset, weight, padding=1, deform_groups=2)
    with pytest.raises(ValueError, match='an input of 8 channels does not '
                       'fit a weight of 8 input channels in 2 groups'):
        deform_conv2d(input, offset, weight, padding=1, groups=2)
    with pytest.raises(ValueError, match='not divided into 3 deform groups'):
        deform_conv2d(input, offset[:, :1].expand(-1, 54, -1, -1), weight,
                      padding=1, deform_groups=3)
    with pytest.raises(ValueError, match=r'offset of shape \(2, 18, 7, 9\) '
                       r'does not fit the output \(2, \*, 5, 7\)'):
        deform_conv2d(input, offset, weight)
    # mmcv asserts these: the errors are AssertionErrors too
    with pytest.raises(AssertionError, match='bias=True is not supported'):
        DeformConv2d(8, 4, 3, bias=True)
    with pytest.raises(ValueError, match='in_channels 8 cannot be divided'):
        ModulatedDeformConv2d(8, 6, 3, groups=3)
    with pytest.raises(AssertionError, match='out_channels 4 cannot be'):
        DeformConv2d(3, 4, 3, groups=3)


def forward_and_grads(function, tensors):
    tensors = [tensor.detach().requires_grad_() for tensor in tensors]
    output = function(*tensors)
    output.backward(torch.linspace(-1, 1, output.numel()).view_as(output))
    return [output] + [tensor.grad for tensor in tensors]


def both_functions(setting):
    stride, padding, dilation, groups, deform_groups = setting
    return (lambda x, o, w: deform_conv2d(x, o, w, stride, padding, dilation,
                                          groups, deform_groups),
            lambda x, o, m, w, b: modulated_deform_conv2d(
                x, o, m, w, b, stride, padding, dilation, groups,
                deform_groups))


@needs_torchvision
@pytest.mark.parametrize('setting', SETTINGS)
def test_torchvision_kernel_equals_the_pure_path(setting):
    """torchvision's kernel (used off the CPU) takes the same offsets and
    masks."""
    vision = torchvision_ops()
    input, offset, mask, weight, bias = random_case(setting)
    stride, padding, dilation = setting[:3]
    dcn, dcn_v2 = both_functions(setting)
    for ours, theirs, tensors in (
        (dcn, lambda x, o, w: vision.deform_conv2d(
            x, o, w, None, stride, padding, dilation),
         (input, offset, weight)),
        (dcn_v2, lambda x, o, m, w, b: vision.deform_conv2d(
            x, o, w, b, stride, padding, dilation, m),
         (input, offset, mask, weight, bias))):
        for a, b in zip(forward_and_grads(ours, tensors),
                        forward_and_grads(theirs, tensors)):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@needs_compiled
@pytest.mark.parametrize('setting', SETTINGS)
def test_equals_compiled_mmcv(setting):
    import mmcv.ops
    input, offset, mask, weight, bias = random_case(setting)
    stride, padding, dilation, groups, deform_groups = setting
    ours, ours_v2 = both_functions(setting)
    for function, theirs, tensors in (
        (ours, lambda x, o, w: mmcv.ops.deform_conv2d(
            x, o, w, stride, padding, dilation, groups, deform_groups),
         (input, offset, weight)),
        (ours_v2, lambda x, o, m, w, b: mmcv.ops.modulated_deform_conv2d(
            x, o, m, w, b, stride, padding, dilation, groups, deform_groups),
         (input, offset, mask, weight, bias))):
        for a, b in zip(forward_and_grads(function, tensors),
                        forward_and_grads(theirs, tensors)):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('cls,keys', [
    (DeformConv2dPack, ['weight', 'conv_offset.weight', 'conv_offset.bias']),
    (ModulatedDeformConv2dPack,
     ['weight', 'bias', 'conv_offset.weight', 'conv_offset.bias']),
])
def test_pack_layers_start_as_plain_convolutions(cls, keys):
    layer = cls(8, 4, 3, padding=2, dilation=2, deform_groups=2)
    assert list(layer.state_dict()) == keys
    assert layer.conv_offset.out_channels == 2 * (keys[1] == 'bias') * 9 + \
        2 * 18
    assert not layer.conv_offset.weight.any()
    # DCNv2's masks start at sigmoid(0) = 1 / 2
    scale = 0.5 if 'bias' in keys else 1.
    input = torch.randn(2, 8, 6, 5)
    torch.testing.assert_close(
        layer(input),
        F.conv2d(input, layer.weight * scale, getattr(layer, 'bias', None),
                 padding=2, dilation=2))
    assert layer.state_dict()._metadata[''] == dict(version=2)


@needs_compiled
@pytest.mark.parametrize('name', ['DeformConv2dPack',
                                  'ModulatedDeformConv2dPack'])
def test_pack_layers_load_compiled_mmcv_state_dicts(name):
    import mmcv.ops

    from mmseg_ccnet import ops
    theirs = getattr(mmcv.ops, name)(8, 4, 3, padding=1, deform_groups=2)
    torch.nn.init.normal_(theirs.conv_offset.weight, std=0.1)
    ours = getattr(ops, name)(8, 4, 3, padding=1, deform_groups=2)
    ours.load_state_dict(theirs.state_dict())
    input = torch.randn(2, 8, 6, 5)
    torch.testing.assert_close(ours(input), theirs(input), rtol=1e-4,
                               atol=1e-4)
