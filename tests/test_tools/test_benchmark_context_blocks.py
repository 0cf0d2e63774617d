# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/benchmarks/benchmark_context_blocks.py on a small backbone."""
import json

import pytest

from ccnet_tools.benchmarks.context_blocks import CASES
from runner_utils import run_tool

# every test here starts processes
pytestmark = pytest.mark.slow

CONFIG = '''\
default_scope = 'mmseg'
custom_imports = dict(imports=['mmseg_ccnet'])
model = dict(
    backbone=dict(
        type='ResNetV1c', depth=18, stem_channels=16, base_channels=16))
'''


def test_command_line_writes_json_markdown_and_doc(tmp_path):
    config = tmp_path / 'backbone.py'
    config.write_text(CONFIG)
    doc = tmp_path / 'performance.md'
    run_tool('benchmarks/benchmark_context_blocks.py', config, '--input',
             '1', '3', '64', '64', '--warmup', '0', '--repeats', '1',
             '--out-dir', tmp_path, '--doc', doc)
    report = json.loads((tmp_path / 'results.json').read_text())
    assert set(report['cases']) == set(CASES)
    for case in report['cases'].values():
        assert case['peak_bytes'] > 0 and case['time_s']['train'] > 0
    params = {name: case['parameters']
              for name, case in report['cases'].items()}
    assert params['resnet'] < params['rcca'] < params['nonlocal2d']
    table = (tmp_path / 'results.md').read_text()
    assert table.strip() in doc.read_text()
    assert '<!-- context-blocks:begin -->' in doc.read_text()
