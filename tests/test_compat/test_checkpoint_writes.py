# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A kill or a full disk while a checkpoint is written leaves a run that
resumes, with ``max_keep_ckpts=1``, in this package's tools and
MMSegmentation's own (the faults come from ``tests/save_faults.py``)."""
import signal

import pytest
import torch

from mmseg_ccnet.compat.checkpoint_writes import NonFiniteWeightsError
from runner_utils import (
    MMSEG_TOOLS,
    REPO,
    make_tiny_cityscapes,
    run_python,
    run_script,
)
from user_configs import write_user_config

RUN = ['train_cfg.max_iters=4', 'default_hooks.checkpoint.max_keep_ckpts=1']


@pytest.mark.slow
@pytest.mark.parametrize('train_script, fault', [
    pytest.param(REPO / 'tools' / 'train.py', 'kill', id='plugin-kill'),
    pytest.param(MMSEG_TOOLS / 'train.py', 'kill', id='mmseg-kill'),
    pytest.param(REPO / 'tools' / 'train.py', 'enospc', id='plugin-enospc'),
])
def test_fault_while_saving_leaves_a_resumable_run(tmp_path, train_script,
                                                   fault):
    config = write_user_config(
        tmp_path, make_tiny_cityscapes(str(tmp_path / 'cityscapes')))
    faulty = tmp_path / 'faulty.py'
    faulty.write_text(f"_base_ = ['{config}']\n"
                      "custom_imports = dict(imports=['mmseg_ccnet', "
                      "'save_faults'])\n")
    work_dir = tmp_path / 'work_dir'
    failed = run_python(
        train_script,
        faulty,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *RUN,
        env=dict(SAVE_FAULT=f'{fault}:4'))
    if fault == 'kill':
        assert failed.returncode == -signal.SIGKILL, failed.output[-3000:]
    else:
        assert failed.returncode == 1
        assert f'Could not write {work_dir}/iter_4.pth: the disk is full' \
            in failed.output
    assert sorted(p.name for p in work_dir.glob('*.pth')) == [
        'best_mIoU_iter_2.pth', 'iter_2.pth'
    ]
    killed_write = list(work_dir.glob('.iter_4.pth.*.tmp'))
    assert len(killed_write) == (fault == 'kill')
    log = run_script(train_script, config, '--work-dir', work_dir,
                     '--resume', '--cfg-options', *RUN)
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [4/4]' in log
    assert sorted(p.name for p in work_dir.glob('iter_*.pth')) == [
        'iter_4.pth'
    ]
    assert len(list(work_dir.glob('best_mIoU_iter_*.pth'))) == 1
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir /
                                                             'iter_4.pth')
    assert not list(work_dir.glob('.*.tmp'))


def test_non_finite_weights_are_not_saved(tmp_path):
    from mmengine.runner import save_checkpoint
    path = tmp_path / 'iter_2.pth'
    with pytest.raises(NonFiniteWeightsError, match='conv.weight'):
        save_checkpoint(
            dict(state_dict={'conv.weight': torch.tensor([float('nan')])}),
            str(path))
    assert not path.exists()


def test_validation_alone_saves_best_without_a_file_backend():
    """``Runner.val`` without training: the hook was never set up for
    training (no ``file_backend``); its best-checkpoint save runs as in
    mmengine."""
    from mmengine.hooks import CheckpointHook

    from mmseg_ccnet.compat.checkpoint_writes import _removing_after_save
    saved = []
    hook = CheckpointHook(save_best='mIoU')
    assert not hasattr(hook, 'file_backend')
    save = _removing_after_save(
        lambda self, runner, metrics: saved.append(metrics))
    save(hook, None, dict(mIoU=1.0))
    assert saved == [dict(mIoU=1.0)]
