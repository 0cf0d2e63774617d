# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import mmap

from ccnet_tools.benchmarks.measure import (
    peak_rss_increase,
    summarize_times,
    time_interleaved,
)


def test_time_ratio_is_taken_within_rounds():
    samples = dict(
        case=dict(train=[1.0, 4.0, 2.0]), ref=dict(train=[2.0, 2.0, 4.0]))
    summary = summarize_times(samples, 'ref')
    assert summary['case']['time_s'] == dict(train=2.0)
    # per round 0.5, 2, 0.5: the slow round does not decide
    assert summary['case']['time_ratio'] == dict(train=0.5)
    assert summary['ref']['time_ratio'] == dict(train=1.0)


def test_rounds_rotate_the_order_of_the_cases():
    calls = []
    cases = {
        name: dict(step=lambda name=name: calls.append(name))
        for name in 'abc'
    }
    samples = time_interleaved(cases, warmup=1, repeats=2, log=lambda _: None)
    assert calls == list('abcbcacab')
    assert {name: len(steps['step'])
            for name, steps in samples.items()} == dict(a=2, b=2, c=2)


def test_peak_memory_sees_a_temporary_buffer():
    def allocate():
        # fresh pages: a bytearray may reuse pages that malloc kept resident
        # (after a library in this process raised its mmap threshold)
        buffer = mmap.mmap(-1, 64 * 2**20)
        buffer[::4096] = b'x' * len(buffer[::4096])  # touch every page
        buffer.close()

    assert peak_rss_increase(allocate) >= 60 * 2**20
    assert peak_rss_increase(lambda: None) < 8 * 2**20
