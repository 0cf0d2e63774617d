# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``import mmseg_ccnet`` applies every patch of ``compat.PATCHES`` unless
``MMSEG_CCNET_DISABLE`` names it."""
import os
import subprocess
import sys

import pytest

from mmseg_ccnet import compat

PROBE = '''
import mmseg_ccnet
from mmengine.logging import MessageHub
from mmengine.runner import CheckpointLoader
from mmseg.datasets import BaseSegDataset
from mmseg.evaluation import IoUMetric
from mmseg_ccnet.compat.patching import is_wrapped
print(is_wrapped(MessageHub.state_dict),
      CheckpointLoader._schemes[''].__module__,
      is_wrapped(BaseSegDataset.load_data_list), is_wrapped(IoUMetric.process))
'''


def probe(disable: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MMSEG_CCNET_DISABLE=disable)
    return subprocess.run([sys.executable, '-c', PROBE],
                          capture_output=True,
                          text=True,
                          timeout=300,
                          env=env)


@pytest.mark.slow
def test_every_patch_is_applied_by_default():
    result = probe('')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == [
        'True', 'mmseg_ccnet.engine.checkpoint', 'True', 'True'
    ]


@pytest.mark.slow
def test_disabled_patches_are_left_out():
    result = probe('message_hub, data_checks')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == [
        'False', 'mmseg_ccnet.engine.checkpoint', 'False', 'False'
    ]


@pytest.mark.slow
def test_unknown_patch_name_is_refused():
    result = probe('mmcv_ops,no_such_patch')
    assert result.returncode != 0
    assert "MMSEG_CCNET_DISABLE names unknown patches ['no_such_patch']" in \
        result.stderr


def test_patches_are_listed_in_the_package_docstring():
    for name in compat.PATCHES:
        assert f'``{name}`` (:mod:`.{name}`)' in compat.__doc__


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=300)


@pytest.mark.slow
def test_import_is_quiet():
    """Importing the plugin prints nothing of its own (what it changes is
    logged where a config builds it); MMSegmentation's own import may print
    (OneDL's prints 'Could not import OneDL'), which is left as it is."""
    result = python('import mmseg_ccnet')
    assert result.returncode == 0, result.stderr
    plain = python('import mmseg.datasets, mmseg.models')
    allowed = plain.stdout.splitlines() if plain.returncode == 0 else []
    assert all(line in allowed for line in result.stdout.splitlines())
    assert result.stderr == ''


SAFETY_PROBE = '''
import mmseg_ccnet
from mmengine.hooks import CheckpointHook
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner
from mmseg_ccnet.compat.patching import is_wrapped
print(is_wrapped(CheckpointLoader.load_checkpoint),
      is_wrapped(CheckpointHook._save_checkpoint_with_step),
      is_wrapped(Runner.resume), is_wrapped(BaseModel.parse_losses),
      is_wrapped(Runner.train))
'''


def test_checkpoint_and_training_patches_can_be_disabled():
    env = dict(os.environ)
    results = []
    for disable in ('', 'checkpoint_configs,checkpoint_writes,resume,'
                    'finite_losses,work_dir_lock'):
        env['MMSEG_CCNET_DISABLE'] = disable
        result = subprocess.run([sys.executable, '-c', SAFETY_PROBE],
                                capture_output=True,
                                text=True,
                                timeout=300,
                                env=env)
        assert result.returncode == 0, result.stderr
        results.append(result.stdout.split()[-5:])
    assert results == [['True'] * 5, ['False'] * 5]
