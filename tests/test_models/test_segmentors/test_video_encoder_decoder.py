# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

NORM = dict(type='BN')


def build_model(test_cfg=dict(mode='whole'), num_frames=3):
    """A small VideoEncoderDecoder with an auxiliary head."""
    torch.manual_seed(0)
    return MODELS.build(
        ConfigDict(
            type='VideoEncoderDecoder',
            data_preprocessor=dict(
                type='ClipDataPreProcessor', size=(16, 20)),
            backbone=dict(
                type='LocalConvNet',
                channels=(8, 16),
                strides=(2, 2),
                norm_cfg=NORM),
            decode_head=dict(
                type='CCHead3D',
                num_frames=num_frames,
                in_channels=16,
                in_index=0,
                channels=16,
                num_classes=3,
                norm_cfg=NORM),
            auxiliary_head=dict(
                type='FCNHead',
                in_channels=16,
                in_index=0,
                channels=8,
                num_convs=1,
                num_classes=3,
                norm_cfg=NORM),
            train_cfg=dict(),
            test_cfg=test_cfg)).eval()


def samples(batch_size=2, shape=(16, 20)):
    result = []
    for _ in range(batch_size):
        sample = SegDataSample(
            metainfo=dict(
                img_shape=shape,
                ori_shape=shape,
                pad_shape=shape,
                padding_size=[0, 0, 0, 0]))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 3, (1, *shape)))
        result.append(sample)
    return result


def test_features_of_every_frame_folded_clip_major():
    model = build_model()
    clips = torch.randn(2, 3 * 3, 16, 20)  # 3 frames, stacked
    feats = model.extract_feat(clips)
    assert [f.shape for f in feats] == [(2 * 3, 16, 4, 5)]
    frame = model.backbone(clips[:, 3:6])[0]  # frame 1 alone
    torch.testing.assert_close(feats[0][1::3], frame)  # row b * T + 1


def test_loss_of_decode_and_auxiliary_head():
    model = build_model().train()
    losses = model.loss(torch.randn(2, 9, 16, 20), samples())
    assert set(losses) >= {'decode.loss_ce', 'aux.loss_ce'}
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.backbone.layers[0].conv.weight.grad.abs().sum() > 0


def test_auxiliary_head_sees_the_key_frame_only():
    model = build_model()  # eval: batch norm statistics would mix frames
    clips = torch.randn(2, 9, 16, 20, requires_grad=True)
    feats = model.extract_feat(clips)
    losses = model._auxiliary_head_forward_train(feats, samples())
    grad, = torch.autograd.grad(losses['aux.loss_ce'], clips)
    assert grad[:, 3:6].abs().sum() > 0
    assert grad[:, :3].abs().sum() == 0 and grad[:, 6:].abs().sum() == 0


@pytest.mark.parametrize('test_cfg', [
    dict(mode='whole'),
    dict(mode='slide', crop_size=(12, 12), stride=(8, 8)),
])
def test_predict_returns_key_frame_seg_data_samples(test_cfg):
    model = build_model(test_cfg, num_frames=5)
    with torch.no_grad():
        results = model.predict(torch.randn(2, 15, 16, 20), samples())
    assert len(results) == 2 and isinstance(results[0], SegDataSample)
    assert results[0].pred_sem_seg.shape == (16, 20)
    assert results[0].seg_logits.data.shape == (3, 16, 20)


def test_forward_through_data_preprocessor_in_every_mode():
    model = build_model()
    data = dict(
        inputs=[torch.randint(0, 256, (9, 14, 20), dtype=torch.uint8)] * 2,
        data_samples=samples(shape=(14, 20)))
    with torch.no_grad():
        batch = model.data_preprocessor(data, training=True)
        assert batch['inputs'].shape == (2, 9, 16, 20)  # padded to size
        assert model(**batch, mode='tensor').shape == (2, 3, 4, 5)
        assert len(model(**batch, mode='predict')) == 2


def test_inputs_must_be_whole_frames():
    model = build_model()
    with pytest.raises(ValueError, match='frame_channels=3'):
        model.extract_feat(torch.randn(1, 8, 16, 20))


def test_clip_length_must_be_the_decode_heads():
    model = build_model(num_frames=3)
    with pytest.raises(ValueError, match='clips of 5 frames .* decode head '
                       'takes clips of num_frames=3'):
        model.extract_feat(torch.randn(1, 15, 16, 20))


def test_decode_head_must_be_a_video_head():
    cfg = ConfigDict(
        type='VideoEncoderDecoder',
        backbone=dict(type='LocalConvNet', channels=(8, 16), strides=(2, 2)),
        decode_head=dict(
            type='FCNHead', in_channels=16, channels=8, num_classes=3))
    with pytest.raises(TypeError, match='video decode head with num_frames'):
        MODELS.build(cfg)

