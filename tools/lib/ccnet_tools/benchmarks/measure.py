# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Timing and peak memory that hold on a shared, noisy machine.

* :func:`time_interleaved` runs every case once per round, in an order
  rotated from round to round, so that a change of load affects all cases of
  a round alike; :func:`summarize_times` takes each case's ratio to a
  reference within a round before the median over rounds.
* :func:`peak_rss_increase` measures the resident-set high-water mark that
  one call adds (``/proc/self/clear_refs`` and ``VmHWM``); run it in a fresh
  process started with :func:`fresh_process_env` (glibc's mmap threshold at
  64 KiB, so that every tensor buffer is mapped on allocation and unmapped on
  free and the RSS follows the live tensors). Linux only.
"""
import os
import re
import statistics
import time
from typing import Callable, Dict, List, Mapping

__all__ = [
    'time_interleaved', 'summarize_times', 'read_proc', 'read_status',
    'peak_rss_increase', 'fresh_process_env', 'machine', 'ratio'
]

#: Samples of :func:`time_interleaved`: ``{case: {step: [seconds]}}``.
Samples = Dict[str, Dict[str, List[float]]]


def time_interleaved(cases: Mapping[str, Mapping[str, Callable[[], None]]],
                     warmup: int,
                     repeats: int,
                     log: Callable[[str], None] = print) -> Samples:
    """Wall time of every step of every case, cases interleaved by rounds.

    Args:
        cases (Mapping): ``{case: {step: function of no arguments}}``.
        warmup (int): Rounds that are not timed.
        repeats (int): Timed rounds.
        log (Callable): Receives a line per round. Defaults to print.

    Returns:
        dict: ``{case: {step: [seconds of each timed round]}}``.
    """
    samples = {
        name: {step: []
               for step in steps}
        for name, steps in cases.items()
    }
    names = list(cases)
    for round_index in range(warmup + repeats):
        round_start = time.perf_counter()
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            for step, function in cases[name].items():
                start = time.perf_counter()
                function()
                if round_index >= warmup:
                    samples[name][step].append(time.perf_counter() - start)
        kind = 'warm-up' if round_index < warmup else 'timed'
        log(f'  {kind} round {round_index + 1}/{warmup + repeats} '
            f'({time.perf_counter() - round_start:.1f} s)')
    return samples


def summarize_times(samples: Samples, reference: str) -> Dict[str, Dict]:
    """Medians of the times and of the per-round ratios to a reference.

    Args:
        samples (dict): Output of :func:`time_interleaved`.
        reference (str): The case the ratios refer to.

    Returns:
        dict: ``{case: {'time_s': {step: median seconds}, 'time_ratio':
        {step: median of the per-round ratios}, 'time_samples_s': the case's
        samples}}``.
    """
    return {
        name: dict(
            time_s={
                step: statistics.median(times)
                for step, times in steps.items()
            },
            time_ratio={
                step: statistics.median(
                    case / ref
                    for case, ref in zip(times, samples[reference][step]))
                for step, times in steps.items()
            },
            time_samples_s=steps)
        for name, steps in samples.items()
    }


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is 0."""
    return numerator / denominator if denominator else float('nan')


def read_proc(path: str, pattern: str) -> str:
    """The first match of a regular expression's group in a /proc file.

    Args:
        path (str): E.g. ``/proc/self/status``.
        pattern (str): Regular expression with one group, matched per line.

    Returns:
        str: The group.
    """
    with open(path) as file:
        return re.search(pattern, file.read(), re.MULTILINE).group(1)


def read_status(field: str) -> int:
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``).

    Args:
        field (str): The field.

    Returns:
        int: Its value in bytes.
    """
    return int(read_proc('/proc/self/status', rf'^{field}:\s+(\d+) kB')) * 1024


def peak_rss_increase(step: Callable[[], None]) -> int:
    """How much one call raises the resident set's high-water mark.

    Call ``step`` once before, for its one-time allocations (kernels,
    thread pools); this resets the high-water mark to the current RSS,
    calls ``step`` again and returns the peak RSS minus the RSS before.

    Args:
        step (Callable): The work to measure.

    Returns:
        int: Bytes.
    """
    with open('/proc/self/clear_refs', 'w') as file:
        file.write('5')  # resets VmHWM to the current RSS
    before = read_status('VmRSS')
    step()
    return read_status('VmHWM') - before


def fresh_process_env() -> Dict[str, str]:
    """The environment for a process that measures peak memory.

    Returns:
        dict: ``os.environ`` with ``MALLOC_MMAP_THRESHOLD_=65536``.
    """
    return dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')


def machine() -> Dict[str, object]:
    """What a report says about the machine it was measured on.

    Returns:
        dict: CPU model, CPU count and torch version.
    """
    import torch
    return dict(
        cpu=read_proc('/proc/cpuinfo', r'^model name\s*:\s*(.+)$'),
        cpu_count=os.cpu_count(),
        torch=torch.__version__)
