# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The category consistent loss in a real run, and the feature statistics.

A tiny run of the context benchmark's CCL config through the mmengine
Runner, then ``tools/analysis/category_feature_stats.py`` on its checkpoint,
loaded once by the CCL config and once by the plain one (which drops the
training-only reduction conv).
"""
import json
import math
import re
from pathlib import Path

import pytest
from mmengine.config import Config

from mmseg_ccnet.engine import build_runner
from runner_utils import dump_cc_context_configs, run_tool

# every test here starts processes
pytestmark = pytest.mark.slow

BASE = 'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'
CCL = 'ccnet-ccl_localconvnet_1xb16-2k_cc-context-64x64.py'


def last_log(work_dir: Path) -> str:
    """Text of the newest runner log under ``work_dir``."""
    return sorted(work_dir.glob('*/*.log'))[-1].read_text()


@pytest.fixture(scope='module')
def configs(tmp_path_factory):
    """The base and CCL configs, shrunk, sharing one tiny data set."""
    return dump_cc_context_configs(tmp_path_factory.mktemp('ccl'), (BASE, CCL))


@pytest.fixture(scope='module')
def trained(configs):
    """Train the CCL config for 4 iterations; returns its work dir."""
    cfg = Config.fromfile(configs[CCL])
    cfg.experiment_name = 'ccl_tiny'
    build_runner(cfg).train()
    return Path(cfg.work_dir)


def test_runner_logs_a_finite_loss_ccl(trained):
    values = re.findall(r'decode\.loss_ccl: (\S+)', last_log(trained))
    assert len(values) == 4  # one per iteration
    assert all(math.isfinite(float(value)) for value in values)
    assert (trained / 'iter_4.pth').is_file()


def test_tool_writes_table_and_json(trained, configs, tmp_path):
    checkpoint = trained / 'iter_4.pth'
    log = run_tool('analysis/category_feature_stats.py', '--model',
                   'with CCL', configs[CCL], checkpoint, '--model',
                   'plain head', configs[BASE], checkpoint, '--work-dir',
                   tmp_path)
    results = json.loads((tmp_path / 'feature_stats.json').read_text())
    assert {name: set(kinds) for name, kinds in results.items()} == {
        'with CCL': {'attention', 'embedding'},
        'plain head': {'attention'}
    }
    # same weights, same predictions: the plain head drops only ccl_reduce
    assert results['plain head']['attention'] == \
        results['with CCL']['attention']
    table = (tmp_path / 'feature_stats.md').read_text()
    assert table.count('\n') == 5 and '| with CCL | embedding |' in table
    assert table in log and 'written: ' in log
