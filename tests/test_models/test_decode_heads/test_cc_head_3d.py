# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_ccnet.models import CCHead, CCHead3D, CrissCrossAttention3D
from reference import dense_criss_cross

HEAD = dict(
    in_channels=16,
    in_index=1,
    channels=16,
    num_classes=3,
    recurrence=2,
    norm_cfg=dict(type='BN'))


def make_heads(num_frames=3, temporal=True):
    """A CCHead with non-zero gamma and a CCHead3D with its weights."""
    torch.manual_seed(0)
    head2d = CCHead(**HEAD).eval()
    with torch.no_grad():
        head2d.cca.gamma.scale.fill_(0.5)
    head3d = CCHead3D(num_frames, temporal, **HEAD).eval()
    head3d.load_state_dict(head2d.state_dict())  # a 2D checkpoint loads
    return head2d, head3d


def clip_inputs(num_frames=3, requires_grad=False):
    """Two levels of features of 2 clips, frames folded: (2 * T, C, 6, 5)."""
    return [
        torch.randn(2 * num_frames, 8, 6, 5),
        torch.randn(
            2 * num_frames, 16, 6, 5, requires_grad=requires_grad)
    ]


def frame(features, index, num_frames=3):
    """Frame ``index`` of every clip, (B, C, h, w)."""
    return features.unflatten(0, (-1, num_frames))[:, index]


def test_returns_key_frame_logits():
    _, head3d = make_heads(num_frames=4)
    assert isinstance(head3d.cca, CrissCrossAttention3D)
    assert head3d.cca.num_frames == 4
    assert head3d(clip_inputs(num_frames=4)).shape == (2, 3, 6, 5)


def test_equals_the_dense_reference_on_the_key_frames():
    _, head3d = make_heads()
    inputs = clip_inputs()
    x = inputs[1]
    attention = head3d.convs[0](x)
    for _ in range(HEAD['recurrence']):
        attention = dense_criss_cross(head3d.cca, attention)
    context = frame(head3d.convs[1](attention), 1)
    expected = head3d.cls_seg(
        head3d.conv_cat(torch.cat([frame(x, 1), context], dim=1)))
    torch.testing.assert_close(
        head3d(inputs), expected, rtol=1e-5, atol=1e-5)


def test_2d_state_dict_loads_strictly():
    head2d = CCHead(**HEAD)
    head3d = CCHead3D(num_frames=5, **HEAD)
    assert list(head3d.state_dict()) == list(head2d.state_dict())
    head3d.load_state_dict(head2d.state_dict(), strict=True)
    for name, tensor in head2d.state_dict().items():
        torch.testing.assert_close(head3d.state_dict()[name], tensor)


def test_per_frame_variant_is_cchead_on_the_key_frame():
    head2d, head3d = make_heads(temporal=False)
    assert head3d.cca.num_frames == 1 and head3d.num_frames == 3
    inputs = clip_inputs()
    expected = head2d([frame(features, 1) for features in inputs])
    torch.testing.assert_close(head3d(inputs), expected, rtol=1e-5,
                               atol=1e-5)


def test_single_frame_clip_is_cchead():
    head2d, head3d = make_heads(num_frames=1)
    inputs = clip_inputs(num_frames=1)
    torch.testing.assert_close(
        head3d(inputs), head2d(inputs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('temporal', [True, False])
def test_other_frames_matter_only_with_temporal_attention(temporal):
    _, head3d = make_heads(temporal=temporal)
    inputs = clip_inputs(requires_grad=True)
    grad, = torch.autograd.grad(head3d(inputs).sum(), inputs[1])
    grad = grad.unflatten(0, (2, 3))
    other_frames = grad[:, [0, 2]].abs().sum()
    assert grad[:, 1].abs().sum() > 0
    assert (other_frames > 0) == temporal


def test_built_from_registry_with_cchead_arguments():
    head = MODELS.build(
        dict(type='CCHead3D', num_frames=3, temporal=False, **HEAD))
    assert isinstance(head, CCHead3D) and not head.temporal
    assert head.num_frames == 3 and head.cca.num_frames == 1
    assert list(head.state_dict()) == list(CCHead(**HEAD).state_dict())


@pytest.mark.parametrize('num_frames', [0, 2.0, None])
def test_bad_num_frames_rejected(num_frames):
    with pytest.raises(ValueError, match='num_frames'):
        CCHead3D(num_frames, **HEAD)


def test_unfolded_clip_features_rejected():
    _, head3d = make_heads()
    clips = [torch.randn(2, 8, 3, 6, 5), torch.randn(2, 16, 3, 6, 5)]
    with pytest.raises(ValueError,
                       match=r'4D feature map \(B \* T, C, H, W\)'):
        head3d(clips)


@pytest.mark.parametrize('recurrence', [0, 2])
def test_batch_not_made_of_clips_rejected(recurrence):
    head3d = CCHead3D(3, **dict(HEAD, recurrence=recurrence)).eval()
    with pytest.raises(ValueError, match=r'batch of 4 frames .* '
                       'num_frames=3'):
        head3d([torch.randn(4, 8, 6, 5), torch.randn(4, 16, 6, 5)])


def test_category_consistent_loss_on_the_key_frames():
    torch.manual_seed(0)
    head = CCHead3D(
        3, loss_ccl=dict(type='CategoryConsistentLoss'), **HEAD).train()
    inputs = clip_inputs()
    labels = torch.randint(0, 3, (2, 6, 5))
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    losses = head.loss(inputs, samples, train_cfg=dict())
    assert set(losses) == {'loss_ce', 'acc_seg', 'loss_ccl'}
    features = head.rcca_features(inputs)
    assert features.attention.shape == (2, 16, 6, 5)
    every_frame = head.cca.recurrent(head.convs[0](inputs[1]), 2)
    torch.testing.assert_close(features.attention, frame(every_frame, 1))
    expected = head.loss_ccl(head.ccl_reduce(features.attention), labels)
    torch.testing.assert_close(losses['loss_ccl'], expected)
    assert torch.isfinite(losses['loss_ccl'])
