# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Benchmark the context blocks of a backbone: none, non-local, RCCA.

The cases of :mod:`ccnet_tools.benchmarks.context_blocks` on one input:
time of a forward and backward pass (median over ``--repeats`` rounds,
cases interleaved), and its peak memory (each case in a fresh process).
Writes ``results.json`` and ``results.md`` into ``--out-dir``; with
``--doc`` also the table into that markdown file's ``context-blocks``
section. Linux only (``/proc``). E.g., with CONFIG the reduced Mask R-CNN
of ``configs/ccnet_coco/`` (``mask-rcnn_r18-rcca_fpn_...``)::

    python tools/benchmarks/benchmark_context_blocks.py CONFIG \\
        --input 2 3 512 512 --doc docs/performance.md
"""
import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'lib'))

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
import torch
from mmengine.config import Config

from ccnet_tools.benchmarks.context_blocks import (
    CASES,
    REFERENCE,
    build_case,
    markdown_table,
    peak_memory,
    train_step,
)
from ccnet_tools.benchmarks.measure import (
    fresh_process_env,
    summarize_times,
    time_interleaved,
)
from ccnet_tools.benchmarks.report import setting, write_report


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config whose backbone is measured')
    parser.add_argument(
        '--input',
        type=int,
        nargs=4,
        default=[2, 3, 512, 512],
        metavar=('B', 'C', 'H', 'W'),
        help='input shape (default: 2 3 512 512)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument(
        '--out-dir', default='work_dirs/benchmark_context_blocks')
    parser.add_argument(
        '--doc',
        help='also write the table into the context-blocks section of this '
        'markdown file (e.g. docs/performance.md)')
    parser.add_argument(
        '--memory-case',
        choices=CASES,
        help='internal: measure the peak memory of this case in this '
        'process and print it')
    return parser.parse_args()


def measure_memory(args: argparse.Namespace, name: str) -> int:
    """:func:`peak_memory` of one case in a fresh process."""
    command = [
        sys.executable, __file__, args.config, '--memory-case', name,
        '--threads',
        str(args.threads), '--input', *map(str, args.input)
    ]
    result = subprocess.run(
        command,
        env=fresh_process_env(),
        capture_output=True,
        text=True,
        check=True)
    return int(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark and write the report."""
    args = parse_args()
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(args.input, generator=generator)
    if args.memory_case:
        print(peak_memory(cfg, args.memory_case, x))
        return
    models = {name: build_case(cfg, name) for name in CASES}
    samples = time_interleaved(
        {name: dict(train=train_step(model, x))
         for name, model in models.items()},
        args.warmup,
        args.repeats,
        log=lambda line: print(line, flush=True))
    times = summarize_times(samples, REFERENCE)
    cases = {}
    for name, model in models.items():
        print(f'{name}: memory (fresh process)', flush=True)
        cases[name] = dict(
            **times[name],
            parameters=sum(p.numel() for p in model.parameters()),
            peak_bytes=measure_memory(args, name))
    report = dict(
        setting=setting(
            config=args.config,
            input=args.input,
            threads=args.threads,
            warmup=args.warmup,
            repeats=args.repeats),
        cases=cases)
    write_report(report, markdown_table(report), args.out_dir, doc=args.doc,
                 section='context-blocks')


if __name__ == '__main__':
    main()
