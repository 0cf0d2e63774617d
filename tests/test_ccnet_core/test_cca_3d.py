# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import re

import pytest
import torch

from ccnet_core import CrissCrossAttention, CrissCrossAttention3D
from reference import assert_matches_dense, dense_criss_cross

# (B, C, T, H, W): odd sizes, single frames, rows, columns, deep volumes
SIZES = [(1, 16, 3, 5, 7), (2, 16, 5, 3, 1), (1, 24, 7, 1, 3),
         (2, 8, 3, 1, 1), (1, 16, 1, 5, 3), (1, 8, 1, 1, 1), (2, 16, 5, 5, 5),
         (1, 8, 9, 4, 3)]


def make_cca3d(channels: int, seed: int = 0) -> CrissCrossAttention3D:
    """A 3D CCA with random weights and a non-zero gamma."""
    torch.manual_seed(seed)
    cca = CrissCrossAttention3D(channels)
    with torch.no_grad():
        cca.gamma.scale.fill_(0.7)
    return cca


@pytest.mark.parametrize('shape', SIZES, ids=str)
def test_forward_and_gradients_equal_dense_reference(shape):
    assert_matches_dense(
        make_cca3d(shape[1]), torch.randn(*shape, requires_grad=True))


def test_attention_weights_cover_the_path_once():
    cca = make_cca3d(16).double()
    x = torch.randn(2, 16, 4, 5, 6, dtype=torch.float64)
    attention = cca.attention(x)
    assert attention.shape == (2, 4, 5, 6, 5 + 6 + 4)
    torch.testing.assert_close(
        attention.sum(-1), torch.ones(2, 4, 5, 6, dtype=torch.float64))
    for i in range(5):  # own position: zero in the column part
        assert torch.all(attention[:, :, i, :, i] == 0)
    for t in range(4):  # and zero in the temporal part
        assert torch.all(attention[:, t, :, :, 5 + 6 + t] == 0)
    assert torch.all(attention[..., 5:5 + 6] > 0)  # counted in the row


def test_samples_are_not_mixed():
    cca = make_cca3d(16)
    x = torch.randn(2, 16, 3, 4, 5, requires_grad=True)
    grad, = torch.autograd.grad(cca(x)[0].sum(), x)
    assert grad[0].abs().sum() > 0 and grad[1].abs().sum() == 0


def test_single_frame_equals_the_2d_module_with_its_weights():
    torch.manual_seed(0)
    cca2d = CrissCrossAttention(16)
    with torch.no_grad():
        cca2d.gamma.scale.fill_(0.5)
    cca3d = CrissCrossAttention3D(16)
    cca3d.load_state_dict(cca2d.state_dict(), strict=True)
    x = torch.randn(2, 16, 7, 5, requires_grad=True)
    out3d = cca3d(x.unsqueeze(2)).squeeze(2)
    out2d = cca2d(x)
    torch.testing.assert_close(out3d, out2d, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        cca3d.attention(x.unsqueeze(2))[:, 0, ..., :7 + 5],
        cca2d.attention(x))
    grad3d, = torch.autograd.grad(out3d.sum(), x)
    grad2d, = torch.autograd.grad(out2d.sum(), x)
    torch.testing.assert_close(grad3d, grad2d, rtol=1e-5, atol=1e-6)


def test_parameters_and_state_dict_of_the_2d_module():
    cca = CrissCrossAttention3D(16)
    assert list(cca.state_dict()) == list(CrissCrossAttention(16).state_dict())
    assert isinstance(cca.value_conv, torch.nn.Conv2d)
    assert cca.key_conv.out_channels == 2
    assert cca.gamma.scale.item() == 0.0
    assert repr(cca).startswith(
        "CrissCrossAttention3D(\n  in_channels=16, impl='einsum'")


def test_recurrent_passes_share_the_weights():
    cca = make_cca3d(16)
    x = torch.randn(2, 16, 3, 4, 5)
    torch.testing.assert_close(cca.recurrent(x, 3), cca(cca(cca(x))))


@pytest.mark.parametrize('bad, message', [
    (torch.randn(3, 16, 5, 5),
     r'expected a 5D feature map (B, C, T, H, W) with C=16, got '
     r'(3, 16, 5, 5)'),
    (torch.randn(1, 12, 3, 5, 5), 'got 12 channels'),
    (torch.randn(1, 16, 0, 5, 5), 'no empty dimension after C'),
])
def test_wrong_input_raises_value_error(bad, message):
    cca = CrissCrossAttention3D(16)
    for method in (cca, cca.attention):
        with pytest.raises(ValueError, match=re.escape(message)):
            method(bad)


def test_only_the_einsum_impl():
    assert CrissCrossAttention3D(16).impl == 'einsum'
    with pytest.raises(ValueError, match='impl must be one of'):
        CrissCrossAttention3D(16, impl='efficient')


def test_empty_batch_gives_an_empty_output_and_gradients():
    x = torch.randn(0, 16, 3, 5, 6, requires_grad=True)
    out = CrissCrossAttention3D(16)(x)
    assert out.shape == x.shape
    out.sum().backward()
    assert x.grad.shape == x.shape


def test_bfloat16_autocast_and_half_module():
    cca = make_cca3d(16)
    x = torch.randn(2, 16, 3, 6, 5)
    with torch.no_grad():
        ref = dense_criss_cross(cca, x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = cca(x)
        half = cca.to(torch.bfloat16)(x.to(torch.bfloat16))
    assert out.dtype == torch.float32 and half.dtype == torch.bfloat16
    # bfloat16 keeps 8 bits of mantissa: relative error ~ 2**-8 per rounding
    torch.testing.assert_close(out, ref, rtol=0.05, atol=0.05)
    torch.testing.assert_close(half.float(), ref, rtol=8e-2, atol=8e-2)


def test_input_dtype_other_than_parameters_raises_type_error():
    with pytest.raises(TypeError, match='got a torch.float16 input'):
        CrissCrossAttention3D(16)(torch.randn(1, 16, 3, 4, 4).half())


def test_output_is_contiguous_in_the_input_memory_format():
    cca = make_cca3d(16)
    x = torch.randn(2, 16, 3, 6, 5)
    out = cca(x)
    assert out.is_contiguous()
    last = cca(x.to(memory_format=torch.channels_last_3d))
    assert last.is_contiguous(memory_format=torch.channels_last_3d)
    torch.testing.assert_close(last, out, rtol=1e-5, atol=1e-5)
