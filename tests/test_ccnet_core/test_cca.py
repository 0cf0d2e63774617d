# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import re

import pytest
import torch

from ccnet_core import CrissCrossAttention
from precision import LOW_PRECISION_DTYPES, needs_cpu_float16_autocast
from reference import assert_matches_dense, criss_cross_mask, dense_criss_cross

SIZES = [(1, 16, 5, 7), (2, 16, 6, 3), (3, 24, 1, 5), (2, 16, 4, 1),
         (1, 8, 1, 1), (2, 32, 9, 9)]


def make_cca(channels: int, seed: int = 0) -> CrissCrossAttention:
    """A CCA with random weights and a non-zero gamma, in float64."""
    torch.manual_seed(seed)
    cca = CrissCrossAttention(channels).double()
    with torch.no_grad():
        cca.gamma.scale.fill_(0.7)
    return cca


@pytest.mark.parametrize('shape', SIZES)
def test_forward_and_gradients_equal_dense_reference(shape):
    assert_matches_dense(
        make_cca(shape[1]).float(), torch.randn(*shape, requires_grad=True))


def test_attention_weights_cover_the_criss_cross_once():
    cca = make_cca(16)
    x = torch.randn(2, 16, 5, 6, dtype=torch.float64)
    attention = cca.attention(x)
    assert attention.shape == (2, 5, 6, 11)
    torch.testing.assert_close(
        attention.sum(-1), torch.ones(2, 5, 6, dtype=torch.float64))
    # the own position is zero in the column branch (counted in the row)
    for i in range(5):
        assert torch.all(attention[:, i, :, i] == 0)
    assert torch.all(attention[..., 5:] > 0)


def test_mask_of_reference_has_h_plus_w_minus_1_entries():
    mask = criss_cross_mask(4, 7)
    assert torch.all(mask.sum(-1) == 4 + 7 - 1)


def test_state_dict_keys_of_mmcv():
    cca = CrissCrossAttention(16)
    assert list(cca.state_dict()) == [
        'query_conv.weight', 'query_conv.bias', 'key_conv.weight',
        'key_conv.bias', 'value_conv.weight', 'value_conv.bias', 'gamma.scale'
    ]
    assert cca.query_conv.out_channels == 2
    assert cca.gamma.scale.item() == 0.0


def test_gamma_zero_is_identity():
    cca = CrissCrossAttention(16)
    x = torch.randn(1, 16, 4, 5)
    torch.testing.assert_close(cca(x), x)


@pytest.mark.parametrize('bad, message', [
    (torch.randn(16, 5, 5), 'expected a 4D feature map'),
    (torch.randn(1, 16, 5, 5, 2), 'expected a 4D feature map'),
    (torch.randn(1, 12, 5, 5), 'got 12 channels'),
])
def test_wrong_input_raises_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        CrissCrossAttention(16)(bad)


def test_too_few_channels_rejected():
    with pytest.raises(ValueError, match='in_channels >= 8'):
        CrissCrossAttention(4)


def test_runs_under_bfloat16_autocast_and_no_grad():
    cca = make_cca(16).float()
    x = torch.randn(2, 16, 6, 5)
    with torch.no_grad():
        ref = dense_criss_cross(cca, x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = cca(x)
    assert out.shape == x.shape
    assert torch.isfinite(out).all()
    # bfloat16 keeps 8 bits of mantissa: relative error ~ 2**-8 per rounding
    torch.testing.assert_close(out.float(), ref, rtol=0.05, atol=0.05)


def test_gradient_in_training_under_autocast():
    cca = make_cca(16).float()
    x = torch.randn(1, 16, 5, 5, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = cca(x)
    out.float().sum().backward()
    assert torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in cca.parameters())


def test_default_impl_is_efficient_and_einsum_selectable():
    assert CrissCrossAttention(16).impl == 'efficient'
    assert "impl='einsum'" in repr(CrissCrossAttention(16, impl='einsum'))
    with pytest.raises(ValueError, match='impl must be one of'):
        CrissCrossAttention(16, impl='cuda')


@pytest.mark.parametrize('shape', [(2, 16, 5, 7), (1, 24, 1, 6)])
def test_both_impls_same_parameters_outputs_and_gradients(shape):
    efficient = make_cca(shape[1]).float()
    einsum = CrissCrossAttention(shape[1], impl='einsum')
    assert list(einsum.state_dict()) == list(efficient.state_dict())
    einsum.load_state_dict(efficient.state_dict())
    x = torch.randn(*shape, requires_grad=True)
    grad_out = torch.randn(*shape)
    results = []
    for cca in (efficient, einsum):
        out = cca(x)
        results.append(
            (out, *torch.autograd.grad(out, [x, *cca.parameters()],
                                       grad_out)))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(
        efficient.attention(x), einsum.attention(x), rtol=0, atol=0)


IMPLS = CrissCrossAttention.IMPLS


@pytest.mark.parametrize('impl', IMPLS)
def test_empty_batch_gives_an_empty_output_and_gradients(impl):
    cca = CrissCrossAttention(16, impl=impl)
    x = torch.randn(0, 16, 5, 6, requires_grad=True)
    out = cca(x)
    assert out.shape == x.shape
    out.sum().backward()
    assert x.grad.shape == x.shape
    assert all(p.grad is None or not p.grad.any() for p in cca.parameters())


@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('shape', [(2, 16, 0, 6), (2, 16, 5, 0)])
def test_empty_rows_or_columns_raise_value_error(impl, shape):
    with pytest.raises(ValueError, match=re.escape(
            f'no empty dimension after C, got shape {tuple(shape)}')):
        CrissCrossAttention(16, impl=impl)(torch.randn(shape))


@needs_cpu_float16_autocast
@pytest.mark.parametrize('impl', IMPLS)
def test_float16_autocast_stays_finite_for_large_activations(impl):
    """Energies beyond float16's range (65504): computed in float32."""
    torch.manual_seed(0)
    cca = CrissCrossAttention(512, impl=impl)
    with torch.no_grad():
        cca.gamma.scale.fill_(1.0)
    x = torch.randn(1, 512, 9, 9) * 100
    query, key = cca.query_conv(x), cca.key_conv(x)
    energies = torch.einsum('bchw,bckw->bhwk', query, key)
    assert energies.abs().max() > 65504  # float16 cannot hold them
    with torch.no_grad():
        ref = dense_criss_cross(cca, x)
        with torch.autocast('cpu', dtype=torch.float16):
            out = cca(x)
            attention = cca.attention(x)
    assert torch.isfinite(out).all() and torch.isfinite(attention).all()
    # float16 products: relative error ~ 2**-11 per rounding
    scale = ref.abs().max()
    torch.testing.assert_close(out / scale, ref / scale, rtol=0, atol=5e-3)


@needs_cpu_float16_autocast
@pytest.mark.parametrize('impl', IMPLS)
def test_float16_autocast_gradients_finite_for_large_activations(impl):
    torch.manual_seed(0)
    cca = CrissCrossAttention(512, impl=impl)
    with torch.no_grad():
        cca.gamma.scale.fill_(1.0)
    x = (torch.randn(1, 512, 9, 9) * 100).requires_grad_()
    with torch.autocast('cpu', dtype=torch.float16):
        out = cca(x)
    out.float().mean().backward()
    assert torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in cca.parameters())


@pytest.mark.parametrize('dtype', LOW_PRECISION_DTYPES)
def test_half_modules_compute_in_their_dtype_alike(dtype):
    torch.manual_seed(0)
    reference = make_cca(16).float()
    x = torch.randn(2, 16, 6, 5)
    with torch.no_grad():
        ref = dense_criss_cross(reference, x)
        outputs = []
        for impl in IMPLS:
            cca = CrissCrossAttention(16, impl=impl).to(dtype)
            cca.load_state_dict(reference.state_dict())
            out = cca(x.to(dtype))
            assert out.dtype == dtype and out.is_contiguous()
            outputs.append(out.float())
    tolerance = 2e-2 if dtype == torch.float16 else 8e-2
    for out in outputs:
        torch.testing.assert_close(out, ref, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize('impl', IMPLS)
def test_input_dtype_other_than_parameters_raises_type_error(impl):
    with pytest.raises(TypeError, match='got a torch.float16 input but has '
                       'torch.float32 parameters'):
        CrissCrossAttention(16, impl=impl)(torch.randn(1, 16, 4, 4).half())


@pytest.mark.parametrize('impl', IMPLS)
def test_output_is_contiguous_in_the_input_memory_format(impl):
    cca = make_cca(32).float()
    cca.impl = impl
    x = torch.randn(1, 32, 45, 45)
    out = cca(x)
    assert out.is_contiguous()
    assert out.view(1, 32, -1).shape == (1, 32, 45 * 45)  # as mmcv's test
    last = cca(x.to(memory_format=torch.channels_last))
    assert last.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(last, out, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('impl', IMPLS)
def test_bfloat16_autocast_energies_are_float32s_for_large_activations(
        impl):
    """Query and key are projected in float32 under autocast: rounded to
    bfloat16 first, the energies of activations at 10x unit scale move by
    more than the softmax tolerates (a quarter of the attention's largest
    output off); in float32 only the value path rounds (< 1%)."""
    torch.manual_seed(0)
    cca = CrissCrossAttention(64, impl=impl)
    with torch.no_grad():
        cca.gamma.scale.fill_(1.0)
    x = torch.randn(2, 64, 17, 19) * 10
    with torch.no_grad():
        ref = dense_criss_cross(cca, x) - x
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = cca(x) - x
    scale = ref.abs().max()
    torch.testing.assert_close(out / scale, ref / scale, rtol=0, atol=2**-6)
