# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/slurm_train.sh and slurm_test.sh hand srun the job as OpenMMLab's
scripts do (checked with a stand-in ``srun`` that records its arguments)."""
import os
import subprocess
from pathlib import Path

import pytest

from runner_utils import REPO

# every test here starts processes
pytestmark = pytest.mark.slow

TOOLS = REPO / 'tools'


@pytest.fixture
def srun_log(tmp_path) -> Path:
    """A fake ``srun`` first on PATH, writing one argument a line."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    log = tmp_path / 'srun.log'
    srun.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {log}\n')
    srun.chmod(0o755)
    return log


def run(script: str, srun_log: Path, *args: str, **env: str) -> list:
    path = os.pathsep.join([str(srun_log.parent / 'bin'), os.environ['PATH']])
    result = subprocess.run(['bash', str(TOOLS / script), *args],
                            capture_output=True,
                            text=True,
                            timeout=60,
                            env=dict(os.environ, PATH=path, **env))
    assert result.returncode == 0, result.stderr
    return srun_log.read_text().splitlines()


def test_slurm_train(srun_log):
    argv = run('slurm_train.sh', srun_log, 'gpu', 'ccnet', 'cfg.py', 'work',
               '--amp', '--cfg-options', 'a=1', GPUS='16', GPUS_PER_NODE='8',
               SRUN_ARGS='--quotatype=auto --exclusive')
    assert argv == [
        '-p', 'gpu', '--job-name=ccnet', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        '--quotatype=auto', '--exclusive', 'python', '-u',
        f'{TOOLS}/train.py', 'cfg.py', '--work-dir=work', '--launcher=slurm',
        '--amp', '--cfg-options', 'a=1'
    ]


def test_slurm_test_defaults(srun_log):
    argv = run('slurm_test.sh', srun_log, 'gpu', 'eval', 'cfg.py',
               'ckpt.pth', '--tta')
    assert argv == [
        '-p', 'gpu', '--job-name=eval', '--gres=gpu:4', '--ntasks=4',
        '--ntasks-per-node=4', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        'python', '-u', f'{TOOLS}/test.py', 'cfg.py', 'ckpt.pth',
        '--launcher=slurm', '--tta'
    ]
