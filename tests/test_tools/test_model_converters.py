# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/model_converters: checkpoints of other layouts into today's
modules."""
import subprocess
import sys

import pytest
import torch

from mmseg_ccnet.models import CCHead3D
from runner_utils import REPO, run_tool

# every test here starts processes
pytestmark = pytest.mark.slow

HEAD = dict(
    num_frames=3,
    in_channels=16,
    channels=16,
    num_classes=3,
    norm_cfg=dict(type='BN'))
CONVERTER = 'model_converters/ccnet3d_conv3d_to_conv2d.py'


def conv3d_checkpoint(head: CCHead3D) -> dict:
    """A checkpoint of ``head`` whose attention projections are 1x1x1
    Conv3d weights, under a segmentor's ``decode_head.`` prefix."""
    state_dict = {}
    for key, value in head.state_dict().items():
        if key.startswith('cca.') and key.endswith('_conv.weight'):
            value = value.unsqueeze(2)
        state_dict[f'decode_head.{key}'] = value
    return dict(meta=dict(iter=4), state_dict=state_dict, optimizer=dict())


def test_conv3d_checkpoint_converts_and_loads_strictly(tmp_path):
    torch.manual_seed(0)
    trained = CCHead3D(**HEAD)
    with torch.no_grad():
        trained.cca.gamma.scale.fill_(0.5)
    checkpoint = conv3d_checkpoint(trained)
    weight = checkpoint['state_dict']['decode_head.cca.query_conv.weight']
    assert weight.shape == (2, 16, 1, 1, 1)
    src, dst = tmp_path / 'conv3d.pth', tmp_path / 'conv2d.pth'
    torch.save(checkpoint, src)

    log = run_tool(CONVERTER, src, dst)
    assert 'converted 3 weights' in log

    converted = torch.load(dst, weights_only=True)
    assert converted['meta'] == dict(iter=4) and 'optimizer' not in converted
    state_dict = {
        key.removeprefix('decode_head.'): value
        for key, value in converted['state_dict'].items()
    }
    head = CCHead3D(**HEAD)
    head.load_state_dict(state_dict, strict=True)
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(head.state_dict()[key], value)


def test_checkpoint_without_conv3d_weights_is_refused(tmp_path):
    src = tmp_path / 'conv2d.pth'
    torch.save(CCHead3D(**HEAD).state_dict(), src)
    result = subprocess.run(
        [sys.executable,
         str(REPO / 'tools' / CONVERTER), src, tmp_path / 'out.pth'],
        capture_output=True,
        text=True,
        timeout=300)
    assert result.returncode != 0
    assert 'no 1x1x1 Conv3d weights' in result.stderr
    assert not (tmp_path / 'out.pth').exists()
