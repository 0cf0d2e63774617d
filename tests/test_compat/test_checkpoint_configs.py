# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""No code runs from a checkpoint: a ``meta['config']`` payload (plain
strings, which ``weights_only=True`` accepts) through every route that
resumes, in this package's tools and MMSegmentation's own."""
import pytest
import torch
from mmengine.runner import CheckpointLoader

from mmseg_ccnet.engine.checkpoint import plain_state
from runner_utils import MMSEG_TOOLS, REPO, run_script
from user_configs import copy_run, train_user_run

TRAIN_SCRIPTS = [
    pytest.param(REPO / 'tools' / 'train.py', id='plugin-tools'),
    pytest.param(MMSEG_TOOLS / 'train.py', id='mmseg-tools')
]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    return train_user_run(tmp_path_factory.mktemp('run'))


def with_payload(source, destination, marker):
    """``source`` with a ``meta['config']`` that would create ``marker``."""
    checkpoint = torch.load(source, weights_only=True)
    checkpoint['meta']['config'] = \
        f"__import__('os').system('touch {marker}')"
    torch.save(plain_state(checkpoint), destination)
    return destination


def test_loading_reduces_the_config_to_data(tmp_path):
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'c.pth'
    torch.save(
        dict(
            state_dict=dict(w=torch.ones(1)),
            meta=dict(config="gpu_ids = [0]\n__import__('os').system("
                      f"'touch {marker}')")), path)
    loaded = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert loaded['meta']['config'] == 'gpu_ids = [0]'


@pytest.mark.slow
@pytest.mark.parametrize('train_script', TRAIN_SCRIPTS)
@pytest.mark.parametrize('route', ['load_from', 'last_checkpoint'])
def test_resume_runs_no_code_from_the_checkpoint(trained, tmp_path,
                                                 train_script, route):
    config, work_dir = trained
    marker = tmp_path / 'PWNED'
    run_dir = copy_run(work_dir, tmp_path)
    shared = with_payload(work_dir / 'iter_2.pth', run_dir / 'shared.pth',
                          marker)
    options = ['train_cfg.max_iters=4']
    if route == 'load_from':
        options.append(f'load_from={shared}')
    else:
        (run_dir / 'last_checkpoint').write_text(str(shared))
    log = run_script(train_script, config, '--work-dir', run_dir, '--resume',
                     '--cfg-options', *options)
    assert 'resumed epoch: 0, iter: 2' in log
    assert "the config text in meta['config'] holds more than plain data" \
        in log
    assert not marker.exists()
