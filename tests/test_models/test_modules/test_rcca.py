# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmseg.registry import MODELS

from mmseg_ccnet.models import RCCA, CrissCrossAttention
from reference import criss_cross_mask, reach


def test_one_pass_reaches_the_criss_cross_two_passes_the_whole_image():
    """RQ2: R = 1 sees the row and column, R = 2 every position."""
    mask = criss_cross_mask(5, 6)
    assert torch.equal(reach(CrissCrossAttention(8), 1, 5, 6), mask)
    assert reach(CrissCrossAttention(8), 2, 5, 6).all()


def test_forward_shape_and_shared_weights():
    torch.manual_seed(0)
    rcca = RCCA(12, 16, recurrence=3).eval()
    with torch.no_grad():
        rcca.cca.gamma.scale.fill_(0.5)
    x = torch.randn(2, 12, 7, 5)
    out = rcca(x)
    assert out.shape == (2, 16, 7, 5)
    feats = rcca.conv_in(x)
    for _ in range(3):
        feats = rcca.cca(feats)
    expected = rcca.bottleneck(torch.cat([x, rcca.conv_out(feats)], dim=1))
    torch.testing.assert_close(out, expected)
    assert sum(isinstance(m, CrissCrossAttention) for m in rcca.modules()) == 1


@pytest.mark.parametrize('impl', CrissCrossAttention.IMPLS)
def test_recurrent_is_r_passes_of_the_same_attention(impl):
    torch.manual_seed(0)
    cca = CrissCrossAttention(16, impl=impl)
    with torch.no_grad():
        cca.gamma.scale.fill_(0.5)
    x = torch.randn(2, 16, 5, 6, requires_grad=True)
    out = cca.recurrent(x, 3)
    torch.testing.assert_close(out, cca(cca(cca(x))))
    out.sum().backward()  # one set of weights gets the gradient of 3 passes
    assert cca.query_conv.weight.grad.abs().sum() > 0
    assert cca.recurrent(x, 0) is x


@pytest.mark.parametrize('recurrence', [-1, 1.5, None])
def test_recurrent_rejects_bad_recurrence(recurrence):
    with pytest.raises(ValueError, match='recurrence'):
        CrissCrossAttention(16).recurrent(torch.randn(1, 16, 4, 4),
                                          recurrence)


def test_attention_cfg_reaches_the_attention():
    rcca = RCCA(12, 16, attention_cfg=dict(impl='einsum'))
    assert type(rcca.cca) is RCCA.attention_type
    assert rcca.cca.impl == 'einsum'


def test_zero_recurrence_has_no_attention():
    rcca = RCCA(12, 16, recurrence=0).eval()
    assert rcca.cca is None
    x = torch.randn(1, 12, 4, 4)
    expected = rcca.bottleneck(
        torch.cat([x, rcca.conv_out(rcca.conv_in(x))], dim=1))
    torch.testing.assert_close(rcca(x), expected)


def test_built_from_registry():
    rcca = MODELS.build(dict(type='RCCA', in_channels=8, channels=16))
    assert isinstance(rcca, RCCA) and rcca.recurrence == 2


@pytest.mark.parametrize('bad, message', [
    (torch.randn(12, 4, 4), 'expected a 4D feature map'),
    (torch.randn(1, 8, 4, 4), 'got 8 channels'),
])
def test_wrong_input_raises_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        RCCA(12, 16)(bad)


@pytest.mark.parametrize('recurrence', [-1, 1.5, None])
def test_bad_recurrence_rejected(recurrence):
    with pytest.raises(ValueError, match='recurrence'):
        RCCA(12, 16, recurrence=recurrence)
