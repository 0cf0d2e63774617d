# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_ccnet.models import CCHead, CCHead3D, CrissCrossAttention3D

HEAD = dict(
    in_channels=16,
    in_index=1,
    channels=16,
    num_classes=3,
    recurrence=2,
    norm_cfg=dict(type='BN'))


def make_heads():
    """A CCHead with non-zero gamma and a CCHead3D with its weights."""
    torch.manual_seed(0)
    head2d = CCHead(**HEAD).eval()
    with torch.no_grad():
        head2d.cca.gamma.scale.fill_(0.5)
    head3d = CCHead3D(**HEAD).eval()
    head3d.load_state_dict(head2d.state_dict())  # a 2D checkpoint loads
    return head2d, head3d


def clip_inputs(num_frames=3, requires_grad=False):
    return [
        torch.randn(2, 8, num_frames, 6, 5),
        torch.randn(2, 16, num_frames, 6, 5, requires_grad=requires_grad)
    ]


def test_returns_key_frame_logits():
    _, head3d = make_heads()
    assert isinstance(head3d.cca, CrissCrossAttention3D)
    assert head3d(clip_inputs(num_frames=4)).shape == (2, 3, 6, 5)


def test_per_frame_variant_is_cchead_on_the_key_frame():
    head2d, head3d = make_heads()
    head3d.temporal = False
    inputs = clip_inputs()
    expected = head2d([clip[:, :, 1] for clip in inputs])
    torch.testing.assert_close(head3d(inputs), expected, rtol=1e-5,
                               atol=1e-5)


def test_single_frame_clip_is_cchead():
    head2d, head3d = make_heads()
    inputs = clip_inputs(num_frames=1)
    torch.testing.assert_close(
        head3d(inputs), head2d([clip[:, :, 0] for clip in inputs]),
        rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('temporal', [True, False])
def test_other_frames_matter_only_with_temporal_attention(temporal):
    _, head3d = make_heads()
    head3d.temporal = temporal
    inputs = clip_inputs(requires_grad=True)
    grad, = torch.autograd.grad(head3d(inputs).sum(), inputs[1])
    other_frames = grad[:, :, [0, 2]].abs().sum()
    assert grad[:, :, 1].abs().sum() > 0
    assert (other_frames > 0) == temporal


def test_built_from_registry_with_cchead_arguments():
    head = MODELS.build(dict(type='CCHead3D', temporal=False, **HEAD))
    assert isinstance(head, CCHead3D) and not head.temporal
    assert list(head.state_dict()) == list(CCHead(**HEAD).state_dict())


def test_image_features_rejected():
    _, head3d = make_heads()
    with pytest.raises(ValueError, match=r'clip features \(B, C, T, H, W\)'):
        head3d([clip[:, :, 0] for clip in clip_inputs()])


def test_category_consistent_loss_on_the_key_frames():
    torch.manual_seed(0)
    head = CCHead3D(
        loss_ccl=dict(type='CategoryConsistentLoss'), **HEAD).train()
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
    expected = head.loss_ccl(head.ccl_reduce(features.attention), labels)
    torch.testing.assert_close(losses['loss_ccl'], expected)
    assert torch.isfinite(losses['loss_ccl'])
