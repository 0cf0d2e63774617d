# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/benchmarks: counted FLOPs equal the analytic count, memory is
measured per case in a fresh process, the report is written.

No timing is asserted: speed targets live in the benchmark's report.
"""
import json
import sys

import pytest

from runner_utils import REPO, run_tool

sys.path.insert(0, str(REPO / 'tools' / 'benchmarks'))
from cca_cases import CASES, REFERENCE, analytic_flops, build_case, make_inputs  # noqa: E402
from cca_measure import check_outputs_agree, count_flops, summarize_times  # noqa: E402
from cca_report import markdown_tables, targets  # noqa: E402


@pytest.mark.parametrize('name', CASES)
def test_counted_flops_equal_analytic_count(name):
    model = build_case(name, channels=16, recurrence=2)
    x, grad_out = make_inputs(batch=2, channels=16, size=7)
    assert count_flops(model, x, grad_out) == analytic_flops(
        name, batch=2, channels=16, size=7, recurrence=2)


def test_criss_cross_cases_compute_the_same_function():
    models = {name: build_case(name, 16, 2) for name in CASES}
    x, _ = make_inputs(1, 16, 6)
    assert check_outputs_agree(models, x) < 1e-5


def test_time_ratio_is_taken_within_rounds():
    samples = dict(
        case=dict(train=[1.0, 4.0, 2.0]), ref=dict(train=[2.0, 2.0, 4.0]))
    summary = summarize_times(samples, 'ref')
    assert summary['case']['time_s'] == dict(train=2.0)
    # per round 0.5, 2, 0.5: the slow round does not decide
    assert summary['case']['time_ratio'] == dict(train=0.5)
    assert summary['ref']['time_ratio'] == dict(train=1.0)


def fake_report(time_ratio, memory_ratio):
    """A report at the paper's size with the given ratios to the reference."""
    def case(time_s, peak, flops):
        return dict(
            time_s=dict(forward=time_s / 3, train=time_s),
            time_ratio=dict(forward=time_s, train=time_s),
            peak_bytes=dict(forward=peak // 2, train=peak),
            flops=dict(forward=flops, train=3 * flops),
            analytic_flops=dict(forward=flops, train=3 * flops))

    results = {
        'cca-efficient': case(time_ratio, int(memory_ratio * 2**30), 10),
        'cca-einsum': case(1.0, 2**30, 10),
        REFERENCE: case(1.0, 2**30, 10),
        'nonlocal2d': case(5.0, 12 * 2**30, 100),
    }
    setting = dict(batch=1, channels=512, recurrence=2, threads=2,
                   warmup=2, repeats=7)
    return dict(setting=setting, sizes={'97': results})


def test_targets_at_the_paper_size():
    rows = {metric: (value, met)
            for metric, _, value, met in targets(fake_report(0.8, 0.25))}
    assert rows['fwd+bwd time, efficient / einsum reference'] == (0.8, True)
    assert rows['fwd+bwd peak memory, efficient / einsum reference'] == (
        0.25, True)
    assert rows['fwd+bwd peak memory, non-local / efficient'] == (48, True)
    assert rows['forward FLOPs, 1 - efficient / non-local'] == (0.9, True)
    missed = dict((m, ok) for m, _, _, ok in targets(fake_report(1.2, 0.6)))
    assert not missed['fwd+bwd time, efficient / einsum reference']
    assert not missed['fwd+bwd peak memory, efficient / einsum reference']
    table = markdown_tables(fake_report(1.2, 0.6))
    assert '| 97 | `cca-efficient` |' in table and '| no |' in table


def test_command_line_writes_json_markdown_and_plot(tmp_path):
    log = run_tool('benchmarks/benchmark_cca.py', '--sizes', '33',
                   '--channels', '32', '--warmup', '0', '--repeats', '1',
                   '--out-dir', str(tmp_path))
    assert 'timed round 1/1' in log
    report = json.loads((tmp_path / 'results.json').read_text())
    results = report['sizes']['33']
    assert set(results) == set(CASES)
    for case in results.values():
        assert case['flops'] == case['analytic_flops']
        assert case['peak_bytes']['train'] > 0
        assert case['time_s']['train'] > 0
    # at equal inputs the memory-efficient path must need less than the
    # einsum reference, and both less than the non-local block
    peaks = {name: case['peak_bytes']['train']
             for name, case in results.items()}
    assert peaks['cca-efficient'] < peaks[REFERENCE] < peaks['nonlocal2d']
    table = (tmp_path / 'results.md').read_text()
    assert all(f'| 33 | `{name}` |' in table for name in CASES)
    assert (tmp_path / 'results.png').stat().st_size > 0
