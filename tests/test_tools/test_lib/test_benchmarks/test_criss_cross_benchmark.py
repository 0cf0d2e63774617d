# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The criss-cross benchmark's cases: counted FLOPs equal the analytic
count, the cases compute one function, the targets are read right.

No timing is asserted: speed targets live in the benchmark's report.
"""
import pytest

from ccnet_tools.benchmarks.criss_cross import (
    CASES,
    REFERENCE,
    analytic_flops,
    build_case,
    check_outputs_agree,
    count_flops,
    make_inputs,
    markdown_tables,
    targets,
)


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
        REFERENCE: case(1.0, 2**30, 10),
        'nonlocal2d': case(5.0, 12 * 2**30, 100),
    }
    setting = dict(
        batch=1, channels=512, recurrence=2, threads=2, warmup=2, repeats=7)
    return dict(setting=setting, sizes={'97': results})


def test_targets_at_the_paper_size():
    rows = {
        metric: (value, met)
        for metric, _, value, met in targets(fake_report(0.8, 0.25))
    }
    assert rows['fwd+bwd time, efficient / einsum'] == (0.8, True)
    assert rows['fwd+bwd peak memory, efficient / einsum'] == (0.25, True)
    assert rows['fwd+bwd peak memory, non-local / efficient'] == (48, True)
    assert rows['forward FLOPs, 1 - efficient / non-local'] == (0.9, True)
    missed = dict((m, ok) for m, _, _, ok in targets(fake_report(1.2, 0.6)))
    assert not missed['fwd+bwd time, efficient / einsum']
    assert not missed['fwd+bwd peak memory, efficient / einsum']
    table = markdown_tables(fake_report(1.2, 0.6))
    assert '| 97 | `cca-efficient` |' in table and '| no |' in table
