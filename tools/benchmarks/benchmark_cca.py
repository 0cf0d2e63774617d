# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Benchmark criss-cross attention against mmcv's formulation and non-local.

Runs, side by side on the same input, every CrissCrossAttention
implementation of this package (applied ``--recurrence`` times with shared
weights, as in RCCA), a plain einsum version of mmcv's formulation written
here from the equations, and mmcv's ``NonLocal2d`` (embedded Gaussian, the
paper's baseline, one block). For each case and feature size it measures:

* time of the forward pass (inference, no grad) and of forward + backward
  (gradients of the input and the parameters): median over ``--repeats``
  rounds after ``--warmup`` rounds; the cases run interleaved, round by
  round, so that load on the machine affects all of them alike;
* peak memory of forward and of forward + backward: each case runs in a
  fresh subprocess with glibc's mmap threshold fixed at 64 KiB
  (``MALLOC_MMAP_THRESHOLD_``), so that every tensor buffer is mapped on
  allocation and unmapped on free and the resident set size follows the
  live tensors; after one warm-up step the peak RSS (``VmHWM``, reset through
  ``/proc/self/clear_refs``) minus the RSS before the step is recorded. The
  input, the output gradient and the parameters exist before the step and
  are not counted; the gradients of the input and parameters are;
* FLOPs, counted by :class:`torch.utils.flop_counter.FlopCounterMode`
  (matrix products and convolutions, 2 per multiply-add; softmax and
  element-wise operations are not counted) and checked against the
  analytic count of each case.

Writes ``results.json``, ``results.md`` (tables and the issue's targets at
the paper's setting, 97x97 features) and ``results.png`` into ``--out-dir``.
Linux only (``/proc``).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from typing import Dict

import torch
from cca_cases import (
    CASES,
    PAPER_SIZE,
    REFERENCE,
    analytic_flops,
    build_case,
    make_inputs,
)
from cca_measure import (
    check_outputs_agree,
    count_flops,
    peak_memory_in_this_process,
    read_proc,
    summarize_times,
    time_cases,
)
from cca_report import markdown_tables, plot, targets


def measure_memory(name: str, args: argparse.Namespace,
                   size: int) -> Dict[str, int]:
    """Run :func:`peak_memory_in_this_process` in a fresh subprocess.

    Args:
        name (str): The case.
        args (Namespace): The command line.
        size (int): H = W.

    Returns:
        dict: ``forward`` and ``train`` peak increase in bytes.
    """
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')
    command = [
        sys.executable, __file__, '--memory-case', name, '--sizes',
        str(size), '--channels',
        str(args.channels), '--batch',
        str(args.batch), '--recurrence',
        str(args.recurrence), '--threads',
        str(args.threads)
    ]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def benchmark_size(args: argparse.Namespace, size: int) -> Dict[str, Dict]:
    """All measurements of all cases at one feature size.

    Args:
        args (Namespace): The command line.
        size (int): H = W.

    Returns:
        dict: ``{case: {'time_s': ..., 'time_ratio': ...,
        'time_samples_s': ..., 'peak_bytes': ..., 'flops': ...,
        'analytic_flops': ...}}``.
    """
    print(f'[{size}x{size}] building cases', flush=True)
    models = {
        name: build_case(name, args.channels, args.recurrence)
        for name in CASES
    }
    x, grad_out = make_inputs(args.batch, args.channels, size)
    max_diff = check_outputs_agree(models, x)
    print(f'[{size}x{size}] criss-cross outputs agree (max diff '
          f'{max_diff:.2e}); timing', flush=True)
    times = summarize_times(
        time_cases(models, x, grad_out, args.warmup, args.repeats),
        REFERENCE)
    results = {}
    for name, model in models.items():
        print(f'[{size}x{size}] {name}: FLOPs, memory (subprocess)',
              flush=True)
        results[name] = dict(
            **times[name],
            flops=count_flops(model, x, grad_out),
            analytic_flops=analytic_flops(name, args.batch, args.channels,
                                          size, args.recurrence),
            peak_bytes=measure_memory(name, args, size))
    return results


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sizes',
        type=int,
        nargs='+',
        default=[25, 49, 73, PAPER_SIZE, 121],
        help='feature sizes S (S x S)')
    parser.add_argument('--channels', type=int, default=512)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--recurrence', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--out-dir', default='work_dirs/benchmark_cca')
    parser.add_argument(
        '--memory-case',
        choices=CASES,
        help='internal: measure the peak memory of this case at the first '
        'size in this process and print it as JSON')
    return parser.parse_args()


def main() -> None:
    """Run the benchmark and write the report."""
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_case:
        print(
            json.dumps(
                peak_memory_in_this_process(args.memory_case, args.batch,
                                            args.channels, args.sizes[0],
                                            args.recurrence)))
        return
    started = time.strftime('%Y-%m-%d %H:%M:%S')
    load_before = os.getloadavg()
    report = dict(
        setting=dict(
            batch=args.batch,
            channels=args.channels,
            recurrence=args.recurrence,
            threads=args.threads,
            warmup=args.warmup,
            repeats=args.repeats,
            command=' '.join(sys.argv),
            started=started,
            torch=torch.__version__,
            cpu=read_proc('/proc/cpuinfo', r'^model name\s*:\s*(.+)$'),
            cpu_count=os.cpu_count(),
            load_average_before=load_before),
        sizes={
            str(size): benchmark_size(args, size)
            for size in args.sizes
        })
    report['setting']['load_average_after'] = os.getloadavg()
    report['targets'] = [
        dict(metric=m, target=t, measured=v, met=bool(ok))
        for m, t, v, ok in targets(report)
    ]
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, 'results.json'), 'w') as f:
        json.dump(report, f, indent=2)
    table = markdown_tables(report)
    with open(os.path.join(args.out_dir, 'results.md'), 'w') as f:
        f.write(table)
    plot(report, os.path.join(args.out_dir, 'results.png'))
    print(table)
    print(f'written to {args.out_dir}/results.{{json,md,png}}')


if __name__ == '__main__':
    main()
