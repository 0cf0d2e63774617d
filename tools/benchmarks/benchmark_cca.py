# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Benchmark criss-cross attention against the einsum formulation and
non-local.

Every case of :mod:`ccnet_tools.benchmarks.criss_cross` at each feature
size: time of inference and of training (median over ``--repeats`` rounds
after ``--warmup``, cases interleaved round by round), peak memory of each
step (each case in a fresh process) and FLOPs (counted, and checked against
the analytic count). Writes ``results.json``, ``results.md`` and
``results.png`` into ``--out-dir``; with ``--doc`` also the tables into that
markdown file's ``criss-cross-attention`` section. Linux only (``/proc``).

    python tools/benchmarks/benchmark_cca.py --doc docs/performance.md
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'lib'))

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
import torch

from ccnet_tools.benchmarks.criss_cross import (
    CASES,
    PAPER_SIZE,
    REFERENCE,
    analytic_flops,
    build_case,
    case_steps,
    check_outputs_agree,
    count_flops,
    make_inputs,
    markdown_tables,
    peak_memory,
    plot,
    targets,
)
from ccnet_tools.benchmarks.measure import (
    fresh_process_env,
    summarize_times,
    time_interleaved,
)
from ccnet_tools.benchmarks.report import setting, write_report


def measure_memory(name: str, args: argparse.Namespace,
                   size: int) -> Dict[str, int]:
    """Run :func:`peak_memory` of one case in a fresh process.

    Args:
        name (str): The case.
        args (Namespace): The command line.
        size (int): S.

    Returns:
        dict: ``forward`` and ``train`` peak increase in bytes.
    """
    command = [
        sys.executable, __file__, '--memory-case', name, '--sizes',
        str(size), '--channels',
        str(args.channels), '--batch',
        str(args.batch), '--recurrence',
        str(args.recurrence), '--threads',
        str(args.threads)
    ]
    result = subprocess.run(
        command,
        env=fresh_process_env(),
        capture_output=True,
        text=True,
        check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def benchmark_size(args: argparse.Namespace, size: int) -> Dict[str, Dict]:
    """All measurements of all cases at one feature size.

    Args:
        args (Namespace): The command line.
        size (int): S.

    Returns:
        dict: ``{case: {'time_s', 'time_ratio', 'time_samples_s',
        'peak_bytes', 'flops', 'analytic_flops'}}``.
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
    samples = time_interleaved(
        {
            name: case_steps(model, x, grad_out)
            for name, model in models.items()
        },
        args.warmup,
        args.repeats,
        log=lambda line: print(line, flush=True))
    times = summarize_times(samples, REFERENCE)
    results = {}
    for name, model in models.items():
        print(f'[{size}x{size}] {name}: FLOPs, memory (fresh process)',
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
        '--doc',
        help='also write the tables into the criss-cross-attention section '
        'of this markdown file (e.g. docs/performance.md)')
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
                peak_memory(args.memory_case, args.batch, args.channels,
                            args.sizes[0], args.recurrence)))
        return
    report = dict(
        setting=setting(
            batch=args.batch,
            channels=args.channels,
            recurrence=args.recurrence,
            threads=args.threads,
            warmup=args.warmup,
            repeats=args.repeats),
        sizes={
            str(size): benchmark_size(args, size)
            for size in args.sizes
        })
    report['targets'] = [
        dict(metric=m, target=t, measured=v, met=bool(ok))
        for m, t, v, ok in targets(report)
    ]
    write_report(report, markdown_tables(report), args.out_dir, plot,
                 args.doc, 'criss-cross-attention')


if __name__ == '__main__':
    main()
