# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The paper-recipe configs say what their README and metafile say."""
import re
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config

from runner_utils import CONFIGS

PAPER = CONFIGS / 'ccnet_paper'
CONFIG_FILES = sorted(PAPER.glob('*.py'))
CITYSCAPES = 'ccnet_r101-d8-ohem_4xb2-60k_cityscapes-769x769'
ADE20K = 'ccnet_r101-d8_8xb2-100k_ade20k-600x1000'
LIP = 'ccnet_r101-d8_5xb8-115k_lip-473x473'
CAMVID = 'ccnet_r101-d8_4xb2-10k_camvid-360x480'
NAME = re.compile(r'_(\d+)xb(\d+)-(\d+)k_')


def load(name: str) -> Config:
    return Config.fromfile(PAPER / f'{name}.py')


def transform(pipeline, type_):
    found = [step for step in pipeline if step['type'] == type_]
    assert len(found) == 1, (type_, pipeline)
    return found[0]


def test_every_config_has_a_metafile_row_and_a_readme_row():
    meta = yaml.safe_load((PAPER / 'metafile.yaml').read_text())
    rows = {model['Name']: model for model in meta['Models']}
    readme = (PAPER / 'README.md').read_text()
    assert set(rows) == {path.stem for path in CONFIG_FILES} == {
        CITYSCAPES, ADE20K, LIP, CAMVID
    }
    for name, row in rows.items():
        assert row['Config'] == f'configs/ccnet_paper/{name}.py'
        assert 'Weights' not in row and 'Results' not in row
        assert f'[{name}]({name}.py)' in readme


@pytest.mark.parametrize('path', CONFIG_FILES, ids=lambda p: p.stem)
def test_shared_recipe(path: Path):
    """ResNet-101-D8, R = 2, auxiliary FCN on stage 3 with weight 0.4,
    SyncBN, SGD with momentum 0.9 and poly 0.9 decay to 0; the name's
    GPUs x batch and iterations are the config's."""
    cfg = Config.fromfile(path)
    gpus, batch, kiters = map(int, NAME.search(path.stem).groups())
    model = cfg.model
    assert model.pretrained == 'open-mmlab://resnet101_v1c'
    assert model.backbone.depth == 101
    assert model.backbone.dilations == (1, 1, 2, 4)
    for part in (model.backbone, model.decode_head, model.auxiliary_head):
        assert part.norm_cfg.type == 'SyncBN'
    assert model.decode_head.type == 'CCHead'
    assert model.decode_head.recurrence == 2
    assert model.auxiliary_head.in_index == 2
    assert model.auxiliary_head.loss_decode.loss_weight == 0.4
    assert model.auxiliary_head.num_classes == model.decode_head.num_classes
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.optim_wrapper.optimizer.momentum == 0.9
    scheduler, = cfg.param_scheduler
    assert (scheduler.type, scheduler.power, scheduler.eta_min) == ('PolyLR',
                                                                    0.9, 0)
    assert scheduler.end == cfg.train_cfg.max_iters == kiters * 1000
    assert cfg.train_dataloader.batch_size == batch
    meta = yaml.safe_load((PAPER / 'metafile.yaml').read_text())
    row, = [m for m in meta['Models'] if m['Name'] == path.stem]
    assert row['Metadata']['Batch Size'] == gpus * batch
    assert row['Metadata']['Iterations'] == kiters * 1000


def test_cityscapes_is_the_authors_recipe():
    cfg = load(CITYSCAPES)
    assert cfg.model.decode_head.sampler == dict(
        type='OHEMPixelSampler', thresh=0.7, min_kept=100000)
    assert 'sampler' not in cfg.model.auxiliary_head
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.lr, optimizer.weight_decay) == (0.01, 1e-4)
    assert transform(cfg.train_pipeline,
                     'RandomResize').ratio_range == (0.7, 2.1)
    assert transform(cfg.train_pipeline, 'RandomCrop').crop_size == (769,
                                                                     769)
    assert not [s for s in cfg.train_pipeline
                if s['type'] == 'PhotoMetricDistortion']
    assert cfg.train_dataloader.dataset.pipeline == cfg.train_pipeline
    assert cfg.model.test_cfg == dict(
        mode='slide', crop_size=(769, 769), stride=(513, 513))


def test_ade20k_is_the_csail_toolbox_recipe():
    cfg = load(ADE20K)
    assert cfg.model.decode_head.num_classes == 150
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.lr, optimizer.weight_decay) == (0.02, 1e-4)
    resize = transform(cfg.train_pipeline, 'RandomChoiceResize')
    assert resize.scales == [(1000, s) for s in (300, 375, 450, 525, 600)]
    assert cfg.model.data_preprocessor.size_divisor == 8
    assert 'size' not in cfg.model.data_preprocessor
    assert cfg.test_dataloader.dataset.pipeline == cfg.test_pipeline


def test_lip_swaps_left_and_right_in_training_and_tta():
    cfg = load(LIP)
    assert cfg.train_dataloader.dataset.type == 'LIPDataset'
    assert cfg.model.decode_head.num_classes == 20
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.lr, optimizer.weight_decay) == (0.007, 5e-4)
    assert transform(cfg.train_pipeline, 'RandomCrop').crop_size == (473,
                                                                     473)
    assert transform(cfg.train_pipeline, 'PairedRandomFlip').prob == 0.5
    assert not [s for s in cfg.train_pipeline if s['type'] == 'RandomFlip']
    flips = cfg.tta_pipeline[1].transforms[1]
    assert [(f['type'], f['prob'])
            for f in flips] == [('PairedRandomFlip', 0.), ('PairedRandomFlip',
                                                           1.)]
    assert cfg.tta_model.type == 'PairedFlipTTAModel'
    packs = [cfg.tta_pipeline[1].transforms[3][0], cfg.test_pipeline[-1]]
    for pack in packs:
        assert 'flip_label_pairs' in pack.meta_keys


def test_camvid_validates_on_val_and_tests_on_test():
    cfg = load(CAMVID)
    assert cfg.model.decode_head.num_classes == 11
    assert cfg.val_dataloader.dataset.data_prefix.img_path == 'img_dir/val'
    assert cfg.test_dataloader.dataset.data_prefix == dict(
        img_path='img_dir/test', seg_map_path='ann_dir/test')
    assert cfg.test_dataloader.dataset.pipeline == cfg.test_pipeline
