# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A context block inside an OpenMMLab ResNet: placed where asked, the
ResNet's own parameters and outputs untouched around it."""
import importlib.util

import pytest
import torch
from mmcv.cnn import NonLocal2d
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from mmseg_ccnet.models import (
    ContextResNet,
    ContextStage,
    RecurrentCrissCrossAttention,
)

RESNET = dict(type='ResNetV1c', depth=18, stem_channels=16, base_channels=16)
RCCA = dict(type='RecurrentCrissCrossAttention', recurrence=2)


def with_gamma(backbone, value=0.5):
    """Give the context block's attention a non-zero gamma."""
    with torch.no_grad():
        backbone.layer3.context.cca.gamma.scale.fill_(value)
    return backbone


def in_eval(module):
    """``module`` in eval mode (mmseg's ResNet.train returns None)."""
    module.eval()
    return module


def test_output_is_the_block_applied_to_the_plain_features_there():
    torch.manual_seed(0)
    ours = in_eval(with_gamma(ContextResNet(RESNET, RCCA)))
    plain = in_eval(MODELS.build(RESNET))
    missing, unexpected = plain.load_state_dict(ours.state_dict(),
                                                strict=False)
    assert not missing
    assert sorted(unexpected) == sorted(
        f'layer3.context.{key}'
        for key in ours.layer3.context.state_dict())
    x = torch.randn(2, 3, 64, 48)
    with torch.no_grad():
        features = plain.maxpool(plain.stem(x))
        features = plain.layer2(plain.layer1(features))
        res4 = plain.layer3
        expected = res4[1](ours.layer3.context(res4[0](features)))
        expected_out = plain.layer4(expected)
        outputs = ours(x)
    torch.testing.assert_close(outputs[2], expected)
    torch.testing.assert_close(outputs[3], expected_out)
    with torch.no_grad():
        plain_outputs = plain(x)
    assert not torch.allclose(outputs[2], plain_outputs[2])  # it acts
    torch.testing.assert_close(outputs[1], plain_outputs[1])  # not before


def test_identity_when_built_so_a_pretrained_resnet_is_unchanged():
    torch.manual_seed(0)
    ours = in_eval(ContextResNet(RESNET, RCCA))
    plain = in_eval(MODELS.build(RESNET))
    plain.load_state_dict(ours.state_dict(), strict=False)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(ours(x), plain(x)):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize('stage, before_block, position, channels', [
    (2, -1, 1, 64), (2, 0, 0, 32), (1, 1, 1, 32), (-1, -2, 0, 64)
])
def test_stage_and_block_choose_the_place(stage, before_block, position,
                                          channels):
    backbone = ContextResNet(RESNET, RCCA, stage, before_block)
    layer = getattr(backbone, backbone.res_layers[stage])
    assert isinstance(layer, ContextStage) and layer.position == position
    assert layer.context.cca.in_channels == channels
    assert [name for name, _ in layer.named_children()] == ['0', '1',
                                                           'context']


def test_non_local_block_of_mmcv_is_built_in_the_same_place():
    backbone = MODELS.build(
        dict(
            type='ContextResNet',
            resnet=RESNET,
            context=dict(
                type='NonLocal2d', reduction=2, mode='embedded_gaussian')))
    assert isinstance(backbone.layer3.context, NonLocal2d)
    assert backbone.layer3.context.in_channels == 64
    assert len(backbone(torch.randn(2, 3, 64, 64))) == 4


@pytest.mark.parametrize('stage, before_block, message', [
    (4, -1, 'stage 4 does not exist: the ResNet has 4 stages'),
    (2, 2, r'block 2 does not exist: stage 2 \(layer3\) has 2 blocks'),
])
def test_missing_place_is_named(stage, before_block, message):
    with pytest.raises(ValueError, match=message):
        ContextResNet(RESNET, RCCA, stage, before_block)


def test_recurrent_block_is_r_passes_of_one_attention():
    torch.manual_seed(0)
    block = RecurrentCrissCrossAttention(16, recurrence=3)
    with torch.no_grad():
        block.cca.gamma.scale.fill_(0.5)
    x = torch.randn(2, 16, 5, 6)
    torch.testing.assert_close(block(x), block.cca(block.cca(block.cca(x))))
    assert RecurrentCrissCrossAttention(16).recurrence == 2


@pytest.mark.skipif(
    importlib.util.find_spec('mmdet') is None,
    reason='MMDetection is not installed (extra det or onedl-det)')
def test_in_an_mmdet_scope_it_wraps_mmdets_resnet():
    import mmdet.models.backbones as mmdet_backbones
    from mmdet.registry import MODELS as MMDET_MODELS

    import mmseg_ccnet.detection  # noqa: F401  (registers in mmdet)
    with DefaultScope.overwrite_default_scope('mmdet'):
        backbone = MMDET_MODELS.build(
            dict(
                type='ContextResNet',
                resnet=dict(type='ResNet', depth=18, init_cfg=None),
                context=RCCA))
    assert type(backbone) is mmdet_backbones.ResNet
    assert isinstance(backbone.layer3, ContextStage)
    assert isinstance(backbone.layer3.context, RecurrentCrissCrossAttention)
    assert 'layer3.1.conv1.weight' in backbone.state_dict()
