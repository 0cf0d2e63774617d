# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/benchmarks/benchmark_cca.py: memory measured per case in a fresh
process, FLOPs checked, the report and its document section written.

No timing is asserted: speed targets live in the benchmark's report.
"""
import json

import pytest

from ccnet_tools.benchmarks.criss_cross import CASES, REFERENCE
from runner_utils import run_tool

# every test here starts processes
pytestmark = pytest.mark.slow


def test_command_line_writes_json_markdown_plot_and_doc(tmp_path):
    doc = tmp_path / 'performance.md'
    doc.write_text('# Performance\n')
    log = run_tool('benchmarks/benchmark_cca.py', '--sizes', '33',
                   '--channels', '32', '--warmup', '0', '--repeats', '1',
                   '--out-dir', str(tmp_path), '--doc', str(doc))
    assert 'timed round 1/1' in log
    report = json.loads((tmp_path / 'results.json').read_text())
    results = report['sizes']['33']
    assert set(results) == set(CASES)
    for case in results.values():
        assert case['flops'] == case['analytic_flops']
        assert case['peak_bytes']['train'] > 0
        assert case['time_s']['train'] > 0
    # at equal inputs the memory-efficient path must need less than the
    # einsum formulation, and both less than the non-local block
    peaks = {
        name: case['peak_bytes']['train']
        for name, case in results.items()
    }
    assert peaks['cca-efficient'] < peaks[REFERENCE] < peaks['nonlocal2d']
    table = (tmp_path / 'results.md').read_text()
    assert all(f'| 33 | `{name}` |' in table for name in CASES)
    assert (tmp_path / 'results.png').stat().st_size > 0
    text = doc.read_text()
    assert text.startswith('# Performance\n')
    assert '<!-- criss-cross-attention:begin -->' in text
    assert 'tools/benchmarks/benchmark_cca.py --sizes 33' in text
    assert table.strip() in text
