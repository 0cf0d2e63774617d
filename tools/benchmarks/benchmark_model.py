# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Benchmark a whole CCNet: this package's CCHead against MMSegmentation's,
and its deployment.

Every case of :mod:`ccnet_tools.benchmarks.whole_model` (training step and
inference of this package's CCHead with both attention implementations and
of MMSegmentation's own CCHead on compiled mmcv; inference under bfloat16
autocast, through ``torch.compile``, on ONNX Runtime and OpenVINO, and
quantized to INT8 on OpenVINO) at every crop size (S, or HxW such as
1024x2048), each case at each size in a fresh process: median time of
``--repeats`` steps after ``--warmup`` and the peak memory of one step. The
ONNX file is exported once, in a process of its own, and used by the
backends at every size; the INT8 model is quantized from it once (NNCF, the
``quantize`` extra), calibrated on random images of the smallest size.
The ratios are to ``--reference``: MMSegmentation's CCHead by default,
``efficient`` (PyTorch eager float32) for the deployment comparison::

    python tools/benchmarks/benchmark_model.py --sizes 512 769 1024x2048 \\
        --reference efficient --cases infer-efficient infer-bf16 \\
        infer-compile infer-onnxruntime infer-openvino infer-openvino-int8

Writes ``results.json``, ``results.md`` and ``results.png`` into
``--out-dir``; with ``--doc`` also the tables into that markdown file's
``whole-model`` section. Linux only (``/proc``).

MMSegmentation's cases run without importing this package (whose
``CCHead`` replaces MMSegmentation's in the registry), on compiled mmcv:
with ``--mmseg-python`` another interpreter, e.g. that of an environment
with compiled mmcv, runs them (this package need not be installed there)::

    python tools/benchmarks/benchmark_model.py \\
        --mmseg-python /path/to/env/bin/python --doc docs/performance.md
"""
import argparse
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'lib'))

#: Lines of a failed child's stderr kept as the reason.
_ERROR_LINES = 3


def import_library(plugin: bool) -> ModuleType:
    """Import :mod:`ccnet_tools.benchmarks.whole_model`.

    Args:
        plugin (bool): Import the package (its patches and registrations)
            first, as every tool does. Otherwise only its module objects
            are created and nothing of ``mmseg_ccnet/__init__.py`` runs: the
            process keeps MMSegmentation's ``CCHead`` and mmcv's ops.

    Returns:
        ModuleType: The library.
    """
    if plugin:
        import mmseg_ccnet  # noqa: F401  (before anything of mmseg)
    else:
        spec = importlib.util.find_spec('mmseg_ccnet')
        sys.modules['mmseg_ccnet'] = importlib.util.module_from_spec(spec)
    return importlib.import_module('ccnet_tools.benchmarks.whole_model')


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--config',
        default='mmseg::_base_/models/ccnet_r50-d8.py',
        help='CCNet config: a file or <package>::<path> (default: '
        "MMSegmentation's R-50 CCNet, 19 classes)")
    parser.add_argument(
        '--sizes',
        nargs='+',
        default=['513', '769'],
        help='crop sizes: S (S x S) or HxW, e.g. 512 1024x2048')
    parser.add_argument(
        '--reference',
        default='mmseg',
        help="the variant the ratios refer to, e.g. 'efficient' (default: "
        "'mmseg')")
    parser.add_argument(
        '--cases',
        nargs='+',
        help='cases to run, e.g. train-efficient infer-mmseg (default: all; '
        'an unknown name lists them)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument(
        '--warmup',
        type=int,
        default=1,
        help='untimed steps per process before the memory step, >= 1')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--rounds',
        type=int,
        default=1,
        help='how often every case runs at every size (fresh processes)')
    parser.add_argument(
        '--mmseg-python',
        default=sys.executable,
        help="interpreter of MMSegmentation's cases, with compiled mmcv "
        '(default: this one)')
    parser.add_argument(
        '--child-timeout',
        type=float,
        default=3600,
        help='seconds before a case process is stopped')
    parser.add_argument('--out-dir', default='work_dirs/benchmark_model')
    parser.add_argument(
        '--doc',
        help='also write the tables into the whole-model section of this '
        'markdown file (e.g. docs/performance.md)')
    parser.add_argument(
        '--child',
        help="internal: measure this case ('export': export the ONNX file) "
        'at the first size in this process and print the result as JSON')
    parser.add_argument(
        '--without-plugin',
        action='store_true',
        help='internal: with --child, do not import mmseg_ccnet')
    parser.add_argument('--logits-file', help='internal: with --child')
    parser.add_argument('--onnx-file', help='internal: with --child')
    parser.add_argument('--int8-file', help='internal: with --child')
    args = parser.parse_args()
    if args.warmup < 1:
        parser.error('--warmup must be at least 1')
    return args


def run_child(args: argparse.Namespace, library: ModuleType, child: str,
              size: int, **files: str) -> Dict:
    """Run one case (or the export) in a fresh process.

    Args:
        args (Namespace): The command line.
        library (ModuleType): :mod:`ccnet_tools.benchmarks.whole_model`.
        child (str): A case, ``'export'`` or ``'quantize'``.
        size (int | str): The crop size.
        **files (str): ``logits_file``, ``onnx_file`` and ``int8_file``,
            passed on.

    Returns:
        dict: The child's result; ``status='failed'`` with the end of its
        stderr as ``reason`` if it fails.
    """
    case = library.CASES.get(child)
    plugin = case is None or case.plugin
    python = sys.executable if plugin else args.mmseg_python
    command = [
        python, __file__, '--child', child, '--config', args.config,
        '--sizes', str(size), '--threads', str(args.threads), '--warmup',
        str(args.warmup), '--repeats', str(args.repeats)
    ]
    if not plugin:
        command.append('--without-plugin')
    for key, path in files.items():
        command += [f"--{key.replace('_', '-')}", path]
    try:
        result = subprocess.run(
            command,
            env=child_env(python),
            capture_output=True,
            text=True,
            timeout=args.child_timeout)
    except subprocess.TimeoutExpired:
        return dict(
            status='failed', reason=f'timed out after {args.child_timeout} s')
    except OSError as error:
        return dict(status='failed', reason=str(error))
    lines = result.stdout.strip().splitlines()
    if result.returncode == 0 and lines:
        try:
            return json.loads(lines[-1])
        except json.JSONDecodeError:
            pass
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    reason = ' / '.join(errors[-_ERROR_LINES:])
    return dict(
        status='failed', reason=reason or f'exit code {result.returncode}')


def child_env(python: str) -> Dict[str, str]:
    """The environment of a case's process.

    Args:
        python (str): The process's interpreter.

    Returns:
        dict: :func:`~ccnet_tools.benchmarks.measure.fresh_process_env`
        with the folder that holds the ``mmseg_ccnet`` package first on
        ``PYTHONPATH``, where this interpreter's ``PYTHONPATH`` follows;
        another interpreter (where the package need not be installed) gets
        that folder only.
    """
    from ccnet_tools.benchmarks.measure import fresh_process_env
    package = importlib.util.find_spec('mmseg_ccnet').origin
    root = os.path.dirname(os.path.dirname(os.path.abspath(package)))
    env = fresh_process_env()
    paths = [root]
    if python == sys.executable and env.get('PYTHONPATH'):
        paths.append(env['PYTHONPATH'])
    env['PYTHONPATH'] = os.pathsep.join(paths)
    return env


def progress(size: str, name: str, result: Dict) -> None:
    """Print a line on a finished case at a size (``'HxW'``)."""
    if result['status'] == 'ok':
        detail = (f"{result['time_s']:.3f} s (median of "
                  f"{len(result['times_s'])}), first {result['first_s']:.2f}"
                  f" s, peak {result['peak_bytes'] / 2**20:.0f} MiB")
    else:
        detail = f"{result['status']}: {result['reason']}"
    print(f'{size} {name}: {detail}', flush=True)


def run_cases(args: argparse.Namespace, library: ModuleType,
              names: List[str], scratch: str) -> Dict:
    """Run every case at every size, round by round.

    Args:
        args (Namespace): The command line.
        library (ModuleType): :mod:`ccnet_tools.benchmarks.whole_model`.
        names (list[str]): The cases.
        scratch (str): A folder for the ONNX file and the logits.

    Returns:
        dict: ``export`` (None if no backend case runs), ``quantize``
        (None if the INT8 case does not run) and ``runs`` (``{case: {size:
        [result by round]}}``, as
        :func:`~ccnet_tools.benchmarks.whole_model.summarize` takes).
    """
    onnx_file = os.path.join(scratch, 'model.onnx')
    int8_file = os.path.join(scratch, 'model-int8.xml')
    smallest = min(args.sizes, key=lambda s: library.image_shape(s))
    export = quantize = None
    variants = {library.CASES[name].variant for name in names}
    if variants.intersection(library.BACKENDS):
        print(f'ONNX export at {smallest}', flush=True)
        export = run_child(
            args, library, 'export', smallest, onnx_file=onnx_file)
    if library.INT8 in variants and export['status'] == 'ok':
        print(f'INT8 quantization at {smallest}', flush=True)
        quantize = run_child(
            args, library, 'quantize', smallest, onnx_file=onnx_file,
            int8_file=int8_file)
    runs = {name: {size: [] for size in args.sizes} for name in names}
    for round_index, size, name in library.run_order(names, args.sizes,
                                                     args.rounds):
        case = library.CASES[name]
        files = {}
        if case.step == 'infer' and round_index == 0:
            files['logits_file'] = os.path.join(scratch, f'{name}-{size}.pt')
        if case.variant in library.BACKENDS:
            files['onnx_file'] = onnx_file
        if case.variant == library.INT8:
            files['onnx_file'] = int8_file
        failed = next((f'{what} {step["status"]}: {step["reason"]}'
                       for what, step in (('ONNX export', export),
                                          ('INT8 quantization', quantize))
                       if 'onnx_file' in files and step is not None
                       and step['status'] != 'ok'), None)
        if failed is not None:
            result = dict(status='skipped', reason=failed)
        else:
            result = run_child(args, library, name, size, **files)
        progress(library.size_label(size), name, result)
        runs[name][size].append(result)
    compare_logits(library, runs, scratch)
    return dict(export=export, quantize=quantize, runs=runs)


def compare_logits(library: ModuleType, runs: Dict, scratch: str) -> None:
    """Add to the first round of every inference case its logits' largest
    difference to those of the reference case (in place)."""
    reference = library.LOGITS_REFERENCE
    for name, sizes in runs.items():
        for size, rounds in sizes.items():
            path = os.path.join(scratch, f'{name}-{size}.pt')
            expected = os.path.join(scratch, f'{reference}-{size}.pt')
            if os.path.exists(path) and os.path.exists(expected):
                rounds[0].update(library.logits_difference(path, expected))


def main() -> None:
    """Run the benchmark (or, with --child, one case) and write the report.
    """
    args = parse_args()
    library = import_library(plugin=not args.without_plugin)
    try:
        args.sizes = [library.parse_size(size) for size in args.sizes]
    except ValueError as error:
        sys.exit(f'--sizes: {error}')
    if args.child:
        import torch
        torch.set_num_threads(args.threads)
        if args.child == 'export':
            result = library.export_model(args.config, args.sizes[0],
                                          args.onnx_file)
        elif args.child == 'quantize':
            result = library.quantize_model(args.onnx_file, args.sizes[0],
                                            args.int8_file)
        else:
            result = library.measure_case(args.child, args.config,
                                          args.sizes[0],
                                          args.warmup, args.repeats,
                                          args.logits_file, args.onnx_file)
        print(json.dumps(result))
        return
    names = args.cases or list(library.CASES)
    unknown = sorted(set(names).difference(library.CASES))
    if unknown:
        sys.exit(f'unknown cases {unknown}; known: {list(library.CASES)}')
    variants = {case.variant for case in library.CASES.values()}
    if args.reference not in variants:
        sys.exit(f'--reference must be one of {sorted(variants)}, got '
                 f'{args.reference!r}')
    from ccnet_tools.benchmarks.report import setting, write_report
    with tempfile.TemporaryDirectory() as scratch:
        measured = run_cases(args, library, names, scratch)
    report = dict(
        setting=setting(
            config=args.config,
            sizes=args.sizes,
            threads=args.threads,
            warmup=args.warmup,
            repeats=args.repeats,
            rounds=args.rounds,
            reference=args.reference,
            mmseg_python=args.mmseg_python),
        export=measured['export'],
        quantize=measured['quantize'],
        cases=library.summarize(measured['runs'], args.reference))
    write_report(report, library.markdown_tables(report), args.out_dir,
                 library.plot, args.doc, 'whole-model')


if __name__ == '__main__':
    main()
