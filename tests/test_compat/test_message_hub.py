# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Checkpoints of every runner resume with ``torch.load(weights_only=True)``,
also for a user's config that adds the plugin by ``custom_imports`` only."""
import collections
from pathlib import Path

import mmseg
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader

from mmseg_ccnet.compat.stack import check_stack
from mmseg_ccnet.engine.checkpoint import plain_state
from runner_utils import REPO, make_tiny_cityscapes, run_script, run_tool
from user_configs import write_user_config

needs_weights_only = pytest.mark.skipif(
    not hasattr(torch.serialization, 'get_unsafe_globals_in_checkpoint'),
    reason='torch < 2.6 loads with weights_only=False by default')
MMSEG_TRAIN = Path(mmseg.__file__).parent / '.mim' / 'tools' / 'train.py'
STACK = check_stack()


def save(obj, path):
    torch.save(obj, path)
    return str(path)


@needs_weights_only
def test_message_hub_state_loads_with_weights_only(tmp_path):
    hub = MessageHub('test_plain_state')
    for value in (1.5, 2.5, 4.0):
        hub.update_scalar('train/loss', value, count=2)
    hub.update_info('best_score', np.float32(0.25), resumed=True)
    hub.update_info('eta', np.float64(3.0), resumed=True)
    path = save(dict(message_hub=hub.state_dict()), tmp_path / 'c.pth')
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == []
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    restored = MessageHub('test_plain_state_restored')
    restored.load_state_dict(loaded['message_hub'])
    buffer = restored.get_scalar('train/loss')
    assert type(buffer) is HistoryBuffer
    np.testing.assert_array_equal(buffer.data[0], [1.5, 2.5, 4.0])
    assert buffer.mean() == pytest.approx(8 / 6)  # sum(log) / sum(count)
    assert restored.get_info('best_score') == 0.25
    assert type(restored.get_info('best_score')) is float


@needs_weights_only
def test_plain_state_round_trips(tmp_path):
    buffer = HistoryBuffer()
    for value in (1.5, 2.5, 4.0):
        buffer.update(value, count=2)
    checkpoint = dict(
        state_dict=collections.OrderedDict(w=torch.ones(2)),
        message_hub=dict(
            log_scalars=collections.OrderedDict(loss=buffer),
            runtime_info=dict(
                best_score=np.float32(0.25),
                eta=np.float64(3.0),
                nested=[np.int64(3), (np.float64(1.0), 'a')])),
        meta=dict(array=np.arange(4, dtype=np.int64),
                  dataset_meta=dict(classes=('a', 'b'))))
    path = save(plain_state(checkpoint), tmp_path / 'c.pth')
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == []
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    restored = loaded['message_hub']['log_scalars']['loss']
    assert type(restored) is HistoryBuffer
    np.testing.assert_array_equal(restored.data[1], [2, 2, 2])
    info = loaded['message_hub']['runtime_info']
    assert info['best_score'] == 0.25 and type(info['best_score']) is float
    assert info['nested'] == [3, (1.0, 'a')]
    np.testing.assert_array_equal(loaded['meta']['array'], np.arange(4))
    assert isinstance(loaded['message_hub']['log_scalars'],
                      collections.OrderedDict)


@pytest.mark.slow
@needs_weights_only
@pytest.mark.parametrize('train_script', [
    pytest.param(
        MMSEG_TRAIN,
        id='mmseg-tools',
        marks=pytest.mark.skipif(
            STACK == 'onedl',
            reason="OneDL's mmengine resolves mmseg:: bases to the "
            "distribution 'mmsegmentation' (not installed), before a "
            "config's custom_imports can run")),
    pytest.param(REPO / 'tools' / 'train.py', id='plugin-tools')
])
def test_user_config_resumes(tmp_path, train_script):
    """A config with ``custom_imports`` only, trained by MMSegmentation's
    own tools/train.py or this package's: 2 iterations, ``--resume`` to 4,
    then a test of the last checkpoint."""
    data_root = make_tiny_cityscapes(str(tmp_path / 'cityscapes'))
    config = write_user_config(tmp_path, data_root)
    work_dir = tmp_path / 'work_dir'
    run_script(train_script, config, '--work-dir', work_dir)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(
        str(work_dir / 'iter_2.pth')) == []
    log = run_script(train_script, config, '--work-dir', work_dir,
                     '--resume', '--cfg-options', 'train_cfg.max_iters=4')
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [4/4]' in log and 'Iter(train) [1/4]' not in log
    log = run_tool('test.py', config, work_dir / 'iter_4.pth', '--work-dir',
                   work_dir)
    assert 'Iter(test) [2/2]' in log and 'mIoU' in log
