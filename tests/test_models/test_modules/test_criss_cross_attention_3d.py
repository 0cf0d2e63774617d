# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmseg.registry import MODELS

import ccnet_core
from mmseg_ccnet.models import CrissCrossAttention, CrissCrossAttention3D
from reference import (
    assert_matches_dense,
    criss_cross_mask,
    dense_criss_cross,
)

# (B, C, T, H, W): odd sizes, single frames, rows and columns
SIZES = [(1, 16, 3, 5, 7), (2, 16, 5, 3, 1), (1, 24, 7, 1, 3),
         (2, 8, 3, 1, 1), (1, 16, 1, 5, 3), (1, 8, 1, 1, 1), (2, 16, 5, 5, 5)]


def make_cca3d(channels: int,
               num_frames: int,
               seed: int = 0) -> CrissCrossAttention3D:
    """A 3D CCA with random weights and a non-zero gamma."""
    torch.manual_seed(seed)
    cca = CrissCrossAttention3D(channels, num_frames)
    with torch.no_grad():
        cca.gamma.scale.fill_(0.7)
    return cca


def folded(batch: int, channels: int, num_frames: int, *spatial: int,
           **kwargs) -> torch.Tensor:
    """Random frames of ``batch`` clips, folded: (B * T, C, H, W)."""
    return torch.randn(batch * num_frames, channels, *spatial, **kwargs)


@pytest.mark.parametrize('shape', SIZES, ids=str)
def test_forward_and_gradients_equal_dense_reference(shape):
    batch, channels, num_frames = shape[:3]
    assert_matches_dense(
        make_cca3d(channels, num_frames),
        folded(*shape, requires_grad=True))


def test_reference_mask_has_t_plus_h_plus_w_minus_2_entries():
    mask = criss_cross_mask(3, 4, 7)
    assert torch.all(mask.sum(-1) == 3 + 4 + 7 - 2)
    # (0, 1, 2) sees its temporal line, its column and its row, nothing else
    seen = mask.view(3, 4, 7, 3, 4, 7)[0, 1, 2].nonzero().tolist()
    assert all(sum(a != b for a, b in zip(p, (0, 1, 2))) <= 1 for p in seen)


def test_frames_of_other_clips_are_not_attended():
    cca = make_cca3d(16, 3)
    x = folded(2, 16, 3, 4, 5, requires_grad=True)
    out = cca(x)
    grad, = torch.autograd.grad(out[:3].sum(), x)  # the first clip
    assert grad[:3].abs().sum() > 0 and grad[3:].abs().sum() == 0


def test_2d_weights_load_strictly():
    cca2d = CrissCrossAttention(16)
    cca3d = CrissCrossAttention3D(16, num_frames=5)
    cca3d.load_state_dict(cca2d.state_dict(), strict=True)
    for name, tensor in cca2d.state_dict().items():
        torch.testing.assert_close(cca3d.state_dict()[name], tensor)


def test_parameter_names_as_the_2d_module():
    cca = CrissCrossAttention3D(16, num_frames=3)
    assert list(cca.state_dict()) == list(CrissCrossAttention(16).state_dict())
    assert isinstance(cca.value_conv, torch.nn.Conv2d)
    assert cca.value_conv.kernel_size == (1, 1)
    assert cca.key_conv.out_channels == 2
    assert cca.gamma.scale.item() == 0.0


def test_gamma_zero_is_identity():
    x = folded(1, 16, 3, 4, 5)
    torch.testing.assert_close(CrissCrossAttention3D(16, 3)(x), x)


def test_recurrent_passes_share_the_weights():
    cca = make_cca3d(16, 3)
    x = folded(2, 16, 3, 4, 5)
    torch.testing.assert_close(cca.recurrent(x, 3), cca(cca(cca(x))))
    assert cca.recurrent(x, 0) is x


def test_registered_in_mmseg_models():
    cca = MODELS.build(
        dict(type='CrissCrossAttention3D', in_channels=8, num_frames=3))
    assert isinstance(cca, CrissCrossAttention3D) and cca.num_frames == 3
    assert 'num_frames=3' in repr(cca)


@pytest.mark.parametrize('bad, message', [
    (torch.randn(1, 16, 3, 5, 5),
     r'expected a 4D feature map \(B \* T, C, H, W\)'),
    (torch.randn(16, 3, 5), 'expected a 4D feature map'),
    (torch.randn(3, 12, 5, 5), 'got 12 channels'),
    (torch.randn(4, 16, 5, 5), r'batch of 4 frames .* num_frames=3'),
])
def test_wrong_input_raises_value_error(bad, message):
    cca = CrissCrossAttention3D(16, num_frames=3)
    with pytest.raises(ValueError, match=message):
        cca(bad)
    with pytest.raises(ValueError, match=message):
        cca.attention(bad)


@pytest.mark.parametrize('num_frames', [0, 1.5, None])
def test_bad_num_frames_rejected(num_frames):
    with pytest.raises(ValueError, match='num_frames'):
        CrissCrossAttention3D(16, num_frames)


def test_only_the_einsum_impl():
    assert CrissCrossAttention3D(16, 3).impl == 'einsum'
    with pytest.raises(ValueError, match='impl must be one of'):
        CrissCrossAttention3D(16, 3, impl='efficient')


def test_empty_batch_gives_an_empty_output_and_gradients():
    cca = CrissCrossAttention3D(16, num_frames=3)
    x = torch.randn(0, 16, 5, 6, requires_grad=True)
    out = cca(x)
    assert out.shape == x.shape
    out.sum().backward()
    assert x.grad.shape == x.shape


def test_bfloat16_autocast_and_half_module():
    cca = make_cca3d(16, 3)
    x = folded(2, 16, 3, 6, 5)
    with torch.no_grad():
        ref = dense_criss_cross(cca, x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = cca(x)
        half = cca.to(torch.bfloat16)(x.to(torch.bfloat16))
    assert torch.isfinite(out).all() and half.dtype == torch.bfloat16
    # bfloat16 keeps 8 bits of mantissa: relative error ~ 2**-8 per rounding
    torch.testing.assert_close(out.float(), ref, rtol=0.05, atol=0.05)
    torch.testing.assert_close(half.float(), ref, rtol=8e-2, atol=8e-2)


def test_input_dtype_other_than_parameters_raises_type_error():
    with pytest.raises(TypeError, match='got a torch.float16 input'):
        CrissCrossAttention3D(16, 3)(torch.randn(3, 16, 4, 4).half())


def test_output_is_contiguous_in_the_input_memory_format():
    cca = make_cca3d(16, 3)
    x = folded(2, 16, 3, 6, 5)
    out = cca(x)
    assert out.is_contiguous()
    last = cca(x.to(memory_format=torch.channels_last))
    assert last.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(last, out, rtol=1e-5, atol=1e-5)


def test_folded_frames_equal_the_core_module_on_clips():
    cca = make_cca3d(16, 3)
    core = ccnet_core.CrissCrossAttention3D(16)
    core.load_state_dict(cca.state_dict(), strict=True)
    clips = torch.randn(2, 16, 3, 4, 5)
    frames = clips.transpose(1, 2).flatten(0, 1)  # (B * T, C, H, W)
    torch.testing.assert_close(
        cca(frames).unflatten(0, (2, 3)).transpose(1, 2), core(clips))
    torch.testing.assert_close(
        cca.attention(frames).unflatten(0, (2, 3)), core.attention(clips))
