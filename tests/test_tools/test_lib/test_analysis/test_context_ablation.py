# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The context ablation's variants of a CCNet config."""
import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from ccnet_tools.analysis.context_ablation import variant_model
from runner_utils import CONFIGS

CONFIG = CONFIGS / 'cc_context' / \
    'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'


@pytest.mark.parametrize('name', ['Non-local + position', 'CCNet R=3'])
def test_ablation_variants_are_the_base_model_with_another_head(name):
    base = Config.fromfile(CONFIG).model
    model = variant_model(base, name)
    position = name.endswith('+ position')
    assert model.decode_head.type == ('NLHead' if position else 'CCHead')
    assert model.backbone.get('pos_channels', 0) == (16 if position else 0)
    assert model.decode_head.in_channels == \
        base.decode_head.in_channels + model.backbone.get('pos_channels', 0)
    assert ('recurrence' in model.decode_head) != position
    assert base.decode_head.type == 'CCHead' and 'pos_channels' not in \
        base.backbone  # the base config is left as it was
    segmentor = MODELS.build(model).eval()
    logits = segmentor.encode_decode(
        torch.randn(1, 3, 64, 64), [dict(img_shape=(64, 64))])
    assert logits.shape == (1, 5, 64, 64)
