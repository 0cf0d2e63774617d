# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import re

import pytest
import torch

from ccnet_core import (
    RCCA,
    RCCA3D,
    ConvBlock,
    CrissCrossAttention,
    CrissCrossAttention3D,
)
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


def test_conv_block_convolves_clips_frame_by_frame():
    torch.manual_seed(0)
    block = ConvBlock(8, 6).eval()
    clips = torch.randn(2, 8, 3, 5, 4)
    out = block(clips)
    assert out.shape == (2, 6, 3, 5, 4)
    for t in range(3):
        torch.testing.assert_close(out[:, :, t], block(clips[:, :, t]))


def make_rcca3d(recurrence: int = 2) -> RCCA3D:
    torch.manual_seed(0)
    rcca = RCCA3D(12, 16, recurrence=recurrence).eval()
    with torch.no_grad():
        rcca.cca.gamma.scale.fill_(0.5)
    return rcca


def test_rcca3d_on_clips_and_volumes():
    """(B, C, T, H, W) in, (B, C, T, H, W) out: frame-wise convolutions
    around R passes of one shared 3D attention."""
    rcca = make_rcca3d(recurrence=3)
    assert type(rcca.cca) is CrissCrossAttention3D
    volume = torch.randn(2, 12, 6, 7, 5)  # depth 6
    out = rcca(volume)
    assert out.shape == (2, 16, 6, 7, 5)
    feats = rcca.conv_in(volume)
    for _ in range(3):
        feats = rcca.cca(feats)
    expected = rcca.bottleneck(
        torch.cat([volume, rcca.conv_out(feats)], dim=1))
    torch.testing.assert_close(out, expected)


def test_rcca3d_has_the_state_dict_of_rcca_and_equals_it_on_one_frame():
    torch.manual_seed(0)
    rcca = RCCA(12, 16).eval()
    with torch.no_grad():
        rcca.cca.gamma.scale.fill_(0.5)
    rcca3d = RCCA3D(12, 16).eval()
    assert list(rcca3d.state_dict()) == list(rcca.state_dict())
    rcca3d.load_state_dict(rcca.state_dict(), strict=True)
    x = torch.randn(2, 12, 6, 5)
    torch.testing.assert_close(
        rcca3d(x.unsqueeze(2)).squeeze(2), rcca(x), rtol=1e-5, atol=1e-5)


def test_rcca3d_rejects_frames_folded_into_the_batch():
    with pytest.raises(ValueError, match=re.escape(
            'expected a 5D feature map (B, C, T, H, W) with C=12')):
        make_rcca3d()(torch.randn(6, 12, 4, 4))
