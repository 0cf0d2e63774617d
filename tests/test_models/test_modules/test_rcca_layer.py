# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import torch
from mmcv.cnn import ConvModule
from mmseg.registry import MODELS

import ccnet_core
from mmseg_ccnet.models import RCCA, CrissCrossAttention


def test_built_from_registry_with_conv_modules():
    rcca = MODELS.build(
        dict(
            type='RCCA',
            in_channels=8,
            channels=16,
            norm_cfg=dict(type='GN', num_groups=4),
            act_cfg=dict(type='GELU')))
    assert isinstance(rcca, RCCA) and rcca.recurrence == 2
    assert type(rcca.cca) is CrissCrossAttention
    assert isinstance(rcca.conv_in, ConvModule)
    assert isinstance(rcca.bottleneck.gn, torch.nn.GroupNorm)
    assert isinstance(rcca.conv_out.activate, torch.nn.GELU)


def test_same_state_dict_and_output_as_the_core_module():
    """With the default BN and ReLU, the core's torch-only convolutions
    load the plugin's weights and compute the same."""
    torch.manual_seed(0)
    rcca = RCCA(12, 16).eval()
    with torch.no_grad():
        rcca.cca.gamma.scale.fill_(0.5)
        for module in rcca.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
    core = ccnet_core.RCCA(12, 16).eval()
    assert list(core.state_dict()) == list(rcca.state_dict())
    core.load_state_dict(rcca.state_dict(), strict=True)
    x = torch.randn(2, 12, 7, 5)
    torch.testing.assert_close(core(x), rcca(x))
