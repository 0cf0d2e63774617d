# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``--resume`` takes the newest whole checkpoint, refuses a changed model;
testing refuses another model's checkpoint: through MMSegmentation's own
tools and this package's, with a user config (``custom_imports``)."""
import pytest
import torch

from runner_utils import MMSEG_TOOLS, REPO, run_python, run_script
from user_configs import copy_run, train_user_run

pytestmark = pytest.mark.slow
TOOLS = [
    pytest.param(REPO / 'tools', id='plugin-tools'),
    pytest.param(MMSEG_TOOLS, id='mmseg-tools')
]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    return train_user_run(tmp_path_factory.mktemp('run'))


@pytest.mark.parametrize('pointer', ['missing', 'empty'])
def test_resume_without_pointer_continues(trained, tmp_path, pointer):
    config, work_dir = trained
    run_dir = copy_run(work_dir, tmp_path)
    if pointer == 'missing':
        (run_dir / 'last_checkpoint').unlink()
    else:
        (run_dir / 'last_checkpoint').write_text('')
    log = run_script(MMSEG_TOOLS / 'train.py', config, '--work-dir', run_dir,
                     '--resume', '--cfg-options', 'train_cfg.max_iters=4')
    assert f'last_checkpoint is missing or empty: resuming from the newest ' \
        f'whole checkpoint of the work dir, {run_dir}/iter_2.pth' in log
    assert 'resumed epoch: 0, iter: 2' in log


@pytest.mark.parametrize('tools', TOOLS)
def test_resume_into_a_changed_model_fails_before_training(
        trained, tmp_path, tools):
    config, work_dir = trained
    run_dir = copy_run(work_dir, tmp_path)
    failed = run_python(tools / 'train.py', config, '--work-dir', run_dir,
                        '--resume', '--cfg-options', 'train_cfg.max_iters=4',
                        'model.decode_head.num_classes=7')
    assert failed.returncode == 1
    assert f'Cannot resume from {run_dir}/iter_2.pth: the model differs' \
        in failed.output
    assert 'decode_head.conv_seg.weight: checkpoint (19, 16, 1, 1), ' \
        'model (7, 16, 1, 1)' in failed.output
    assert 'Iter(train)' not in failed.output
    assert not (run_dir / 'iter_4.pth').exists()


@pytest.mark.parametrize('tools', TOOLS)
def test_test_refuses_another_models_checkpoint(trained, tmp_path, tools):
    config, _ = trained
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'fc.weight': torch.ones(2, 2)}), other)
    failed = run_python(tools / 'test.py', config, other, '--work-dir',
                        tmp_path)
    assert failed.returncode == 1
    assert f'{other} fits 0 of the model\'s' in failed.output
    assert 'not in the model: fc.weight' in failed.output
    log = run_script(tools / 'test.py', config, other, '--work-dir',
                     tmp_path, '--cfg-options', 'checkpoint_min_match=0')
    assert 'Iter(test) [2/2]' in log
