# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import torch
from mmengine.config import Config

from ccnet_tools.benchmarks.context_blocks import (
    CASES,
    build_case,
    markdown_table,
)
from mmseg_ccnet.models import ContextStage


def tiny_config() -> Config:
    return Config(
        dict(
            default_scope='mmseg',
            model=dict(
                backbone=dict(
                    type='ResNetV1c',
                    depth=18,
                    stem_channels=16,
                    base_channels=16,
                    init_cfg=dict(type='Pretrained', checkpoint='x.pth')))))


def test_cases_share_the_backbone_and_differ_in_the_block():
    models = {name: build_case(tiny_config(), name) for name in CASES}
    assert not isinstance(models['resnet'].layer3, ContextStage)
    assert type(models['nonlocal2d'].layer3.context).__name__ == 'NonLocal2d'
    assert type(models['rcca'].layer3.context).__name__ == \
        'RecurrentCrissCrossAttention'
    plain = models['resnet'].state_dict()
    for name in ('nonlocal2d', 'rcca'):
        state = models[name].state_dict()
        for key, value in plain.items():
            torch.testing.assert_close(state[key], value)  # same seed


def test_table_gives_what_each_block_adds():
    def case(seconds, peak):
        return dict(
            time_s=dict(train=seconds),
            time_ratio=dict(train=seconds),
            peak_bytes=peak,
            parameters=1e6)

    report = dict(
        setting=dict(
            config='c.py', input=[1, 3, 64, 64], threads=2, repeats=3),
        cases=dict(
            resnet=case(1.0, 100 * 2**20),
            nonlocal2d=case(1.5, 160 * 2**20),
            rcca=case(1.2, 110 * 2**20)))
    table = markdown_table(report)
    assert '| `nonlocal2d` | 1.00 M | 1500 | 1.50 | 160.0 | 500 | 60.0 |' \
        in table
    assert '| `rcca` | 1.00 M | 1200 | 1.20 | 110.0 | 200 | 10.0 |' in table
