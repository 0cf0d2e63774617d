# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The COCO configs: MMDetection's Mask R-CNN FPN 1x with RCCA, with
non-local, or with neither, right before the last residual block of res4."""
import importlib.util
from pathlib import Path

import pytest
from mmengine.config import Config

from runner_utils import CONFIGS

COCO = sorted((CONFIGS / 'ccnet_coco').glob('*.py'))
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('mmdet') is None,
    reason='MMDetection is not installed (extra det or onedl-det)')


@pytest.mark.parametrize('path', COCO, ids=lambda p: p.stem)
def test_config_builds_with_its_block_in_res4(path: Path):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope

    import mmseg_ccnet.detection  # noqa: F401  (registers in mmdet)
    from mmseg_ccnet.models import ContextStage
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == [
        'mmseg_ccnet', 'mmseg_ccnet.detection'
    ]
    assert cfg.default_scope == 'mmdet'
    backbone = cfg.model.backbone
    resnet = backbone.get('resnet', backbone)
    resnet.init_cfg = None  # no download
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    depth = 18 if 'r18' in path.stem else 101 if 'r101' in path.stem else 50
    assert model.backbone.depth == depth
    layer3 = model.backbone.layer3
    if '-rcca' in path.stem or '-nonlocal' in path.stem:
        assert isinstance(layer3, ContextStage)
        assert layer3.position == len(list(layer3.blocks())) - 1
        context = type(layer3.context).__name__
        assert context == ('NonLocal2d' if '-nonlocal' in path.stem else
                           'RecurrentCrissCrossAttention')
    else:
        assert not isinstance(layer3, ContextStage)
    if 'coco' in path.stem:
        assert cfg.train_cfg.max_epochs == 12  # the 1x schedule
        pretrained = 'torchvision://resnet101' if depth == 101 else \
            'torchvision://resnet50'
        original = Config.fromfile(path).model.backbone
        assert original.get('resnet', original).init_cfg.checkpoint == \
            pretrained


def test_r50_rcca_initialises_from_torchvision_weights_in_the_hub_cache(
        tmp_path, monkeypatch):
    """``torchvision://resnet50`` resolves without importing torchvision
    (mmengine's URL table) to the file pre-staged in torch hub's cache; no
    network."""
    import sys

    import torch
    from mmdet.models.backbones import ResNet
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope

    import mmseg_ccnet.detection  # noqa: F401  (registers in mmdet)
    from mmseg_ccnet.compat.model_zoo import torchvision_urls
    from mmseg_ccnet.engine import checkpoint
    monkeypatch.setitem(sys.modules, 'torchvision', None)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    url = torchvision_urls()['resnet50']
    assert url.endswith('/resnet50-0676ba61.pth')
    # ImageNet ResNet-50 weights in torchvision's layout (random values)
    torch.manual_seed(0)
    weights = {
        name: torch.randn_like(value) if value.is_floating_point() else value
        for name, value in ResNet(50).state_dict().items()
    }
    weights['fc.weight'] = torch.randn(1000, 2048)
    weights['fc.bias'] = torch.randn(1000)
    # where torch hub and mmengine look: <TORCH_HOME>/hub/checkpoints/<name>
    staged = str(tmp_path / 'torch_home' / 'hub' / 'checkpoints' /
                 'resnet50-0676ba61.pth')
    Path(staged).parent.mkdir(parents=True)
    torch.save(weights, staged)
    # the staged file stands for the genuine one: it passes the check of
    # the sha256 prefix that its name promises
    real_sha256 = checkpoint._sha256
    monkeypatch.setattr(
        checkpoint, '_sha256', lambda path: '0676ba61' + real_sha256(path)
        if path == staged else real_sha256(path))

    def no_network(*args, **kwargs):
        raise AssertionError('downloads nothing')

    monkeypatch.setattr(checkpoint, '_download', no_network)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(CONFIGS / 'ccnet_coco' /
                          'mask-rcnn_r50-rcca_fpn_1x_coco.py')
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    state = model.backbone.state_dict()
    resnet = {
        name.split('resnet.', 1)[-1]: value
        for name, value in state.items()
    }
    for name in ('conv1.weight', 'layer1.0.conv1.weight',
                 'layer4.2.bn3.running_var'):
        assert torch.equal(resnet[name], weights[name]), name
