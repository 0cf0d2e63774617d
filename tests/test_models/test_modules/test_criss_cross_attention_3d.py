# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmseg.registry import MODELS

from mmseg_ccnet.models import CrissCrossAttention, CrissCrossAttention3D
from reference import assert_matches_dense, criss_cross_mask

# (B, C, T, H, W): odd sizes, single frames, rows and columns
SIZES = [(1, 16, 3, 5, 7), (2, 16, 5, 3, 1), (1, 24, 7, 1, 3),
         (2, 8, 3, 1, 1), (1, 16, 1, 5, 3), (1, 8, 1, 1, 1), (2, 16, 5, 5, 5)]


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


def test_reference_mask_has_t_plus_h_plus_w_minus_2_entries():
    mask = criss_cross_mask(3, 4, 7)
    assert torch.all(mask.sum(-1) == 3 + 4 + 7 - 2)
    # (0, 1, 2) sees its temporal line, its column and its row, nothing else
    seen = mask.view(3, 4, 7, 3, 4, 7)[0, 1, 2].nonzero().tolist()
    assert all(sum(a != b for a, b in zip(p, (0, 1, 2))) <= 1 for p in seen)


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


def test_single_frame_equals_the_2d_module_with_its_weights():
    torch.manual_seed(0)
    cca2d = CrissCrossAttention(16)
    with torch.no_grad():
        cca2d.gamma.scale.fill_(0.5)
    cca3d = CrissCrossAttention3D(16)
    cca3d.load_state_dict(cca2d.state_dict())  # 1x1 weights become 1x1x1
    assert cca3d.query_conv.weight.shape == (2, 16, 1, 1, 1)
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


def test_parameter_names_as_the_2d_module():
    cca = CrissCrossAttention3D(16)
    assert list(cca.state_dict()) == list(CrissCrossAttention(16).state_dict())
    assert isinstance(cca.value_conv, torch.nn.Conv3d)
    assert cca.value_conv.kernel_size == (1, 1, 1)
    assert cca.key_conv.out_channels == 2
    assert cca.gamma.scale.item() == 0.0


def test_gamma_zero_is_identity():
    x = torch.randn(1, 16, 3, 4, 5)
    torch.testing.assert_close(CrissCrossAttention3D(16)(x), x)


def test_registered_in_mmseg_models():
    assert isinstance(
        MODELS.build(dict(type='CrissCrossAttention3D', in_channels=8)),
        CrissCrossAttention3D)


@pytest.mark.parametrize('bad, message', [
    (torch.randn(1, 16, 5, 5), r'expected a 5D feature map \(B, C, T, H, W\)'),
    (torch.randn(16, 3, 5, 5), 'expected a 5D feature map'),
    (torch.randn(1, 12, 3, 5, 5), 'got 12 channels'),
])
def test_wrong_input_raises_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        CrissCrossAttention3D(16)(bad)
