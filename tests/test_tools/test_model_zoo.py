# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The model-zoo tables of the config folders are generated from the
metafiles and in step with them."""
import shutil
import subprocess
import sys

import pytest

from runner_utils import CONFIGS, REPO, run_tool

# every test here starts processes
pytestmark = pytest.mark.slow

TOOL = REPO / 'tools' / 'misc' / 'model_zoo.py'


def test_every_readme_table_is_the_metafiles():
    run_tool('misc/model_zoo.py', '--check')


def test_a_stale_table_is_found_and_rewritten(tmp_path):
    shutil.copytree(CONFIGS / 'ccnet', tmp_path / 'ccnet')
    metafile = tmp_path / 'ccnet' / 'metafile.yaml'
    metafile.write_text(metafile.read_text().replace('77.76', '99.99'))

    def check():
        return subprocess.run(
            [sys.executable, str(TOOL), '--configs', str(tmp_path), '--check'],
            capture_output=True, text=True, timeout=300)

    stale = check()
    assert stale.returncode == 1
    assert f'stale: {tmp_path}/ccnet/README.md' in stale.stdout
    run_tool('misc/model_zoo.py', '--configs', tmp_path)
    assert check().returncode == 0
    readme = (tmp_path / 'ccnet' / 'README.md').read_text()
    assert '| 99.99 |' in readme and '| 77.76 |' not in readme
    assert readme.count('<!-- model-zoo:begin -->') == 1
