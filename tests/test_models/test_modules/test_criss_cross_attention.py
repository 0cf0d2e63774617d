# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import importlib.util
from pathlib import Path

import mmcv
import pytest
import torch

from mmseg.registry import MODELS
from mmseg_ccnet.models import CrissCrossAttention
from reference import (assert_matches_dense, criss_cross_mask,
                       dense_criss_cross)

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


def load_mmcv_pure_pytorch_cca():
    """mmcv's own pure-PyTorch CrissCrossAttention, loaded from its file.

    ``mmcv.ops`` cannot be imported without compiled ops, but the file
    ``mmcv/ops/cc_attention.py`` is plain PyTorch and ships with mmcv-lite.
    """
    path = Path(mmcv.__file__).parent / 'ops' / 'cc_attention.py'
    spec = importlib.util.spec_from_file_location('mmcv_cc_attention', path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except KeyError:  # already registered in mmengine's MODELS (compiled mmcv)
        from mmcv.ops import CrissCrossAttention as mmcv_cca
        return mmcv_cca
    return module.CrissCrossAttention


def test_same_state_dict_and_output_as_mmcv():
    mmcv_cca = load_mmcv_pure_pytorch_cca()(16)
    ours = CrissCrossAttention(16)
    assert list(ours.state_dict()) == list(mmcv_cca.state_dict())
    assert list(ours.state_dict()) == [
        'query_conv.weight', 'query_conv.bias', 'key_conv.weight',
        'key_conv.bias', 'value_conv.weight', 'value_conv.bias', 'gamma.scale'
    ]
    assert ours.query_conv.out_channels == 2
    assert ours.gamma.scale.item() == 0.0
    with torch.no_grad():
        mmcv_cca.gamma.scale.fill_(0.5)
    ours.load_state_dict(mmcv_cca.state_dict())
    x = torch.randn(2, 16, 7, 5)
    torch.testing.assert_close(ours(x), mmcv_cca(x), rtol=1e-5, atol=1e-5)


def test_gamma_zero_is_identity():
    cca = CrissCrossAttention(16)
    x = torch.randn(1, 16, 4, 5)
    torch.testing.assert_close(cca(x), x)


def test_registered_in_mmseg_models():
    assert isinstance(
        MODELS.build(dict(type='CrissCrossAttention', in_channels=16)),
        CrissCrossAttention)


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
