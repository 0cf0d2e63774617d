# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmseg.registry import MODELS

from mmseg_ccnet.models import RCCA, RCCA3D, CrissCrossAttention3D
from reference import criss_cross_mask, reach

SHAPE = (3, 4, 5)  # T, H, W


def differ_in_at_most(coordinates: int) -> torch.Tensor:
    """Pairs of (t, i, j) positions that differ in <= ``coordinates``."""
    grid = torch.cartesian_prod(*(torch.arange(s) for s in SHAPE))
    return (grid[:, None] != grid[None]).sum(-1) <= coordinates


def test_each_pass_reaches_one_more_coordinate():
    """R = 1: the 3D criss-cross; R = 2: own frame plus row and column in
    every frame; R = 3: the whole clip."""
    passes = [
        reach(CrissCrossAttention3D(8, SHAPE[0]), r, *SHAPE)
        for r in (1, 2, 3)
    ]
    assert torch.equal(passes[0], criss_cross_mask(*SHAPE))
    assert torch.equal(passes[1], differ_in_at_most(2))
    assert not passes[1].all() and passes[2].all()


def make_rcca3d(num_frames: int = 3, recurrence: int = 2) -> RCCA3D:
    torch.manual_seed(0)
    rcca = RCCA3D(12, 16, num_frames, recurrence=recurrence).eval()
    with torch.no_grad():
        rcca.cca.gamma.scale.fill_(0.5)
    return rcca


def test_forward_shape_and_shared_weights():
    rcca = make_rcca3d(recurrence=3)
    frames = torch.randn(2 * 3, 12, 7, 5)  # 2 clips of 3 frames, folded
    out = rcca(frames)
    assert out.shape == (2 * 3, 16, 7, 5)
    feats = rcca.conv_in(frames)
    for _ in range(3):
        feats = rcca.cca(feats)
    feats = rcca.conv_out(feats)
    expected = rcca.bottleneck(torch.cat([frames, feats], dim=1))
    torch.testing.assert_close(out, expected)
    assert sum(isinstance(m, CrissCrossAttention3D)
               for m in rcca.modules()) == 1
    assert rcca.cca.num_frames == 3


def test_single_frame_equals_rcca_with_its_weights():
    torch.manual_seed(0)
    rcca = RCCA(12, 16).eval()
    with torch.no_grad():
        rcca.cca.gamma.scale.fill_(0.5)
    rcca3d = RCCA3D(12, 16, num_frames=1).eval()
    rcca3d.load_state_dict(rcca.state_dict())
    x = torch.randn(2, 12, 6, 5)
    torch.testing.assert_close(rcca3d(x), rcca(x), rtol=1e-5, atol=1e-5)


def test_2d_weights_load_strictly():
    rcca = RCCA(12, 16)
    rcca3d = RCCA3D(12, 16, num_frames=5)
    assert list(rcca3d.state_dict()) == list(rcca.state_dict())
    rcca3d.load_state_dict(rcca.state_dict(), strict=True)
    for name, tensor in rcca.state_dict().items():
        torch.testing.assert_close(rcca3d.state_dict()[name], tensor)


def test_zero_recurrence_has_no_attention():
    rcca = RCCA3D(12, 16, num_frames=2, recurrence=0).eval()
    assert rcca.cca is None
    frames = torch.randn(2, 12, 4, 4)
    expected = rcca.bottleneck(
        torch.cat([frames, rcca.conv_out(rcca.conv_in(frames))], dim=1))
    torch.testing.assert_close(rcca(frames), expected)


def test_built_from_registry():
    rcca = MODELS.build(
        dict(type='RCCA3D', in_channels=8, channels=16, num_frames=5))
    assert isinstance(rcca, RCCA3D) and rcca.recurrence == 2
    assert rcca.num_frames == rcca.cca.num_frames == 5


@pytest.mark.parametrize('bad, message', [
    (torch.randn(1, 12, 2, 4, 4),
     r'expected a 4D feature map \(B \* T, C, H, W\)'),
    (torch.randn(2, 8, 4, 4), 'got 8 channels'),
    (torch.randn(3, 12, 4, 4), r'batch of 3 frames .* num_frames=2'),
])
def test_wrong_input_raises_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        RCCA3D(12, 16, num_frames=2)(bad)
