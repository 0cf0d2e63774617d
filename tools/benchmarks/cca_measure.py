# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Time, peak memory and FLOPs of the benchmark's cases."""
import re
import statistics
import time
from typing import Dict, List

import torch
import torch.nn as nn
from cca_cases import REFERENCE, STEPS, build_case, make_inputs
from torch.utils.flop_counter import FlopCounterMode


def count_flops(model: nn.Module, x: torch.Tensor,
                grad_out: torch.Tensor) -> Dict[str, int]:
    """FLOPs counted by FlopCounterMode for each step.

    Args:
        model (nn.Module): The case.
        x (Tensor): Input.
        grad_out (Tensor): Output gradient.

    Returns:
        dict: ``forward`` and ``train`` FLOPs.
    """
    counts = {}
    for step_name, step in STEPS.items():
        with FlopCounterMode(display=False) as counter:
            step(model, x, grad_out)
        counts[step_name] = counter.get_total_flops()
    return counts


def time_cases(models: Dict[str, nn.Module], x: torch.Tensor,
               grad_out: torch.Tensor, warmup: int,
               repeats: int) -> Dict[str, Dict[str, List[float]]]:
    """Wall time of each step of each case, cases interleaved by rounds.

    Every round runs every case once, in an order rotated from round to
    round, so that a change of load on the machine affects all cases of a
    round alike.

    Args:
        models (dict[str, nn.Module]): The cases.
        x (Tensor): Input.
        grad_out (Tensor): Output gradient.
        warmup (int): Untimed rounds.
        repeats (int): Timed rounds.

    Returns:
        dict: ``{case: {step: [seconds of each timed round]}}``.
    """
    samples = {name: {step: [] for step in STEPS} for name in models}
    names = list(models)
    for round_index in range(warmup + repeats):
        start_time = time.perf_counter()
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            for step_name, step in STEPS.items():
                start = time.perf_counter()
                step(models[name], x, grad_out)
                if round_index >= warmup:
                    samples[name][step_name].append(time.perf_counter() -
                                                    start)
        kind = 'warm-up' if round_index < warmup else 'timed'
        print(f'  {kind} round {round_index + 1}/{warmup + repeats} '
              f'({time.perf_counter() - start_time:.1f} s)', flush=True)
    return samples


def summarize_times(samples: Dict[str, Dict[str, List[float]]],
                    reference: str) -> Dict[str, Dict]:
    """Medians of the times and of the per-round ratios to a reference.

    The ratio of a case is taken within each round (the case's time over
    the reference's time in the same round) before the median over rounds,
    which cancels most of a load that changes between rounds.

    Args:
        samples (dict): Output of :func:`time_cases`.
        reference (str): The case the ratios refer to.

    Returns:
        dict: ``{case: {'time_s': {step: median seconds}, 'time_ratio':
        {step: median ratio}, 'time_samples_s': samples of the case}}``.
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


def read_proc(path: str, pattern: str) -> str:
    """The first match of a regular expression's group in a /proc file.

    Args:
        path (str): E.g. ``/proc/self/status``.
        pattern (str): Regular expression with one group, matched per line.

    Returns:
        str: The group.
    """
    with open(path) as f:
        return re.search(pattern, f.read(), re.MULTILINE).group(1)


def read_status(field: str) -> int:
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``).

    Args:
        field (str): The field.

    Returns:
        int: Its value in bytes.
    """
    return int(read_proc('/proc/self/status', rf'^{field}:\s+(\d+) kB')) * 1024


def peak_memory_in_this_process(name: str, batch: int, channels: int,
                                size: int,
                                recurrence: int) -> Dict[str, int]:
    """Peak RSS increase of each step of one case (run in a fresh process).

    Args:
        name (str): The case.
        batch (int): B.
        channels (int): C.
        size (int): H = W.
        recurrence (int): Passes R.

    Returns:
        dict: ``forward`` and ``train`` peak increase in bytes.
    """
    model = build_case(name, channels, recurrence)
    x, grad_out = make_inputs(batch, channels, size)
    peaks = {}
    for step_name, step in STEPS.items():
        step(model, x, grad_out)  # warm-up: kernels, thread pools
        x.grad = None
        model.zero_grad(set_to_none=True)
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # resets VmHWM to the current RSS
        before = read_status('VmRSS')
        step(model, x, grad_out)
        peaks[step_name] = read_status('VmHWM') - before
    return peaks


def check_outputs_agree(models: Dict[str, nn.Module],
                        x: torch.Tensor) -> float:
    """Largest difference between the criss-cross cases' outputs.

    Args:
        models (dict[str, nn.Module]): The cases.
        x (Tensor): Input.

    Returns:
        float: Max absolute difference to the einsum reference.

    Raises:
        AssertionError: If it exceeds 1e-3 (relative to the output scale).
    """
    with torch.no_grad():
        reference = models[REFERENCE](x)
        diff = max((models[name](x) - reference).abs().max().item()
                   for name in models if name.startswith('cca'))
    scale = reference.abs().max().item()
    assert diff <= 1e-3 * scale, f'implementations disagree by {diff}'
    return diff
