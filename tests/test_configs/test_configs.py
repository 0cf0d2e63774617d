# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from pathlib import Path

import pytest
from mmengine.config import Config
from mmseg.registry import MODELS

from mmseg_ccnet.models import CCHead
from runner_utils import CONFIGS, MMSEG_CONFIGS

# segmentation configs; the detection configs of ccnet_coco/ are tested in
# test_coco_configs.py
ALL = sorted(p for p in CONFIGS.rglob('*.py')
             if '_base_' not in p.parts and 'ccnet_coco' not in p.parts)
CCNET = sorted((CONFIGS / 'ccnet').glob('*.py'))
PLUGIN_KEYS = ('custom_imports', )


def unscoped(value):
    """``value`` without the ``_scope_`` keys that ``mmseg::`` bases add."""
    if isinstance(value, dict):
        return {k: unscoped(v) for k, v in value.items() if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(unscoped(v) for v in value)
    return value


def without_plugin(cfg: Config) -> dict:
    """The config as a dict, without what the plugin adds."""
    return unscoped(
        {k: v for k, v in cfg.to_dict().items() if k not in PLUGIN_KEYS})


@pytest.mark.parametrize('path', ALL, ids=lambda p: p.name)
def test_config_loads_and_builds(path: Path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['mmseg_ccnet']
    cfg.model.pretrained = None
    model = MODELS.build(cfg.model)
    assert isinstance(model.decode_head, CCHead)


def test_every_mmseg_ccnet_row_on_cityscapes_and_ade20k_is_mirrored():
    theirs = {
        p.name
        for p in (MMSEG_CONFIGS / 'ccnet').glob('*.py')
        if 'voc12aug' not in p.name
    }
    assert {p.name for p in CCNET} == theirs and len(theirs) == 12


@pytest.mark.parametrize('path', CCNET, ids=lambda p: p.name)
def test_ccnet_config_equals_mmseg_model_zoo_row(path: Path):
    ours = Config.fromfile(path)
    theirs = Config.fromfile(MMSEG_CONFIGS / 'ccnet' / path.name)
    assert without_plugin(ours) == without_plugin(theirs)


@pytest.mark.parametrize('name, base', [
    ('pspnet-r18-d8_cchead_4xb2-80k_cityscapes-512x1024.py',
     'pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'),
    ('mobilenet-v2-d8_cchead_4xb2-80k_cityscapes-512x1024.py',
     'mobilenet_v2/mobilenet-v2-d8_deeplabv3_4xb2-80k_cityscapes-512x1024.py'),
])
def test_swap_config_changes_only_the_decode_head(name, base):
    ours = without_plugin(Config.fromfile(CONFIGS / 'swap' / name))
    theirs = without_plugin(Config.fromfile(MMSEG_CONFIGS / base))
    head = ours['model'].pop('decode_head')
    theirs['model'].pop('decode_head')
    assert ours == theirs
    assert head['type'] == 'CCHead' and head['recurrence'] == 2
