# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import importlib.util
from pathlib import Path

import mmcv
import torch
from mmseg.registry import MODELS

import ccnet_core
from mmseg_ccnet.models import CrissCrossAttention


def load_mmcv_pure_pytorch_cca():
    """mmcv's own pure-PyTorch CrissCrossAttention, loaded from its file.

    ``mmcv.ops`` cannot be imported without compiled ops, but the file
    ``mmcv/ops/cc_attention.py`` is plain PyTorch and ships with mmcv-lite.
    """
    path = Path(mmcv.__file__).parent / 'ops' / 'cc_attention.py'
    spec = importlib.util.spec_from_file_location('mmcv_cc_attention', path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except KeyError:  # already registered in mmengine's MODELS (compiled mmcv)
        from mmcv.ops import CrissCrossAttention as mmcv_cca
        return mmcv_cca
    return module.CrissCrossAttention


def test_same_state_dict_and_output_as_mmcv():
    mmcv_cca = load_mmcv_pure_pytorch_cca()(16)
    ours = CrissCrossAttention(16)
    assert list(ours.state_dict()) == list(mmcv_cca.state_dict())
    assert list(ours.state_dict()) == [
        'query_conv.weight', 'query_conv.bias', 'key_conv.weight',
        'key_conv.bias', 'value_conv.weight', 'value_conv.bias', 'gamma.scale'
    ]
    assert ours.query_conv.out_channels == 2
    assert ours.gamma.scale.item() == 0.0
    with torch.no_grad():
        mmcv_cca.gamma.scale.fill_(0.5)
    ours.load_state_dict(mmcv_cca.state_dict())
    x = torch.randn(2, 16, 7, 5)
    torch.testing.assert_close(ours(x), mmcv_cca(x), rtol=1e-5, atol=1e-5)


def test_registered_in_mmseg_models_with_init_cfg():
    init_cfg = dict(type='Constant', val=0.25, layer='Conv2d')
    cca = MODELS.build(
        dict(type='CrissCrossAttention', in_channels=16, init_cfg=init_cfg))
    assert isinstance(cca, CrissCrossAttention)
    assert isinstance(cca, ccnet_core.CrissCrossAttention)
    cca.init_weights()
    assert torch.all(cca.value_conv.weight == 0.25)
    assert list(cca.state_dict()) == list(
        ccnet_core.CrissCrossAttention(16).state_dict())
