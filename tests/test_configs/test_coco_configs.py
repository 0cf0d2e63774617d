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
