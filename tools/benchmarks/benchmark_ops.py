# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Benchmark the detection ops: pure PyTorch, torchvision's, compiled mmcv's.

``roi_align`` forward and forward+backward (2 x 256 x 50 x 50 features, 512
RoIs, 7 x 7 and 14 x 14 cells), ``nms`` of 2000 boxes and ``batched_nms``
of 2000 boxes in 80 classes, ``deform_conv2d`` and
``modulated_deform_conv2d`` (3 x 3, 64 to 64 channels of 2 x 64 x 64 x 64
features, offsets of about 2 pixels), and the reduced Mask R-CNN with RCCA
(``configs/ccnet_coco/mask-rcnn_r18-rcca_fpn_1xb4-1k_cc-instances-128x128``,
a batch of 4 generated 128 x 128 images) per training step and per
inference, by implementation:

* ``pure``: :mod:`mmseg_ccnet.ops` on their pure-PyTorch paths;
* ``torchvision``: the same ops on torchvision's compiled kernels, where
  they load with this torch (the deformable convolutions, which take
  torchvision's kernel off the CPU only, call it directly);
* ``mmcv``: compiled mmcv's ops, run by ``--mmcv-python`` (the interpreter
  of an environment with compiled mmcv and this repository's dependencies)
  in a worker process that times a case whenever this process asks.

The cases run in rounds, every implementation once per round, and each
time is the median of the rounds' medians; the table gives milliseconds and
each time's ratio to mmcv's::

    python tools/benchmarks/benchmark_ops.py \\
        --mmcv-python /path/to/mmcv-env/bin/python --threads 1
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types
from typing import Callable, Dict, List, Optional

import torch

#: The op cases: name -> (op, output cells or None, with backward).
OP_CASES = {
    'roi_align 7x7 fwd': ('roi_align', 7, False),
    'roi_align 7x7 fwd+bwd': ('roi_align', 7, True),
    'roi_align 14x14 fwd': ('roi_align', 14, False),
    'roi_align 14x14 fwd+bwd': ('roi_align', 14, True),
    'nms 2000 boxes': ('nms', None, False),
    'batched_nms 2000 boxes, 80 classes': ('batched_nms', None, False),
    'deform_conv2d fwd': ('deform_conv2d', None, False),
    'deform_conv2d fwd+bwd': ('deform_conv2d', None, True),
    'modulated_deform_conv2d fwd+bwd': ('modulated_deform_conv2d', None,
                                        True),
}
MODEL_CASES = ('Mask R-CNN train step', 'Mask R-CNN inference')
CONFIG = os.path.join('configs', 'ccnet_coco',
                      'mask-rcnn_r18-rcca_fpn_1xb4-1k_cc-instances-128x128.py')


def op_inputs(op: str) -> Dict[str, torch.Tensor]:
    """The seeded inputs of an op case (the same in every interpreter).

    Args:
        op (str): An op of :data:`OP_CASES`.

    Returns:
        dict[str, Tensor]: The inputs.
    """
    gen = torch.Generator().manual_seed(0)
    if op.endswith('deform_conv2d'):
        return dict(
            input=torch.randn(2, 64, 64, 64, generator=gen),
            offset=2 * torch.randn(2, 18, 64, 64, generator=gen),
            mask=torch.rand(2, 9, 64, 64, generator=gen),
            weight=torch.randn(64, 64, 3, 3, generator=gen) * 0.05,
            bias=torch.randn(64, generator=gen))
    if op == 'roi_align':
        xy = torch.rand(512, 2, generator=gen) * 160
        wh = torch.rand(512, 2, generator=gen) * 120 + 8
        batch = torch.randint(0, 2, (512, 1), generator=gen).float()
        return dict(
            input=torch.randn(2, 256, 50, 50, generator=gen),
            rois=torch.cat([batch, xy, xy + wh], 1))
    xy = torch.rand(2000, 2, generator=gen) * 800
    wh = torch.rand(2000, 2, generator=gen) * 200 + 4
    return dict(
        boxes=torch.cat([xy, xy + wh], 1),
        scores=torch.rand(2000, generator=gen),
        idxs=torch.randint(0, 80, (2000, ), generator=gen))


def op_step(case: str, ops) -> Callable[[], None]:
    """One call of an op case.

    Args:
        case (str): A key of :data:`OP_CASES`.
        ops (module): ``mmcv.ops``, :mod:`mmseg_ccnet.ops` or
            :func:`torchvision_deform_ops`.

    Returns:
        Callable[[], None]: The step.
    """
    op, cells, backward = OP_CASES[case]
    inputs = op_inputs(op)
    if op == 'nms':
        return lambda: ops.nms(inputs['boxes'], inputs['scores'], 0.7)
    if op == 'batched_nms':
        return lambda: ops.batched_nms(inputs['boxes'], inputs['scores'],
                                       inputs['idxs'],
                                       dict(type='nms', iou_threshold=0.5))
    grads = [
        inputs[name].requires_grad_(backward)
        for name in ('input', 'offset', 'weight') if name in inputs
    ]

    def forward() -> torch.Tensor:
        if op == 'roi_align':
            return ops.roi_align(inputs['input'], inputs['rois'], cells,
                                 0.25, 0, 'avg', True)
        if op == 'deform_conv2d':
            return ops.deform_conv2d(inputs['input'], inputs['offset'],
                                     inputs['weight'], 1, 1)
        return ops.modulated_deform_conv2d(inputs['input'], inputs['offset'],
                                           inputs['mask'], inputs['weight'],
                                           inputs['bias'], 1, 1)

    def step() -> None:
        output = forward()
        if backward:
            output.sum().backward()
            for tensor in grads:
                tensor.grad = None

    return step


def torchvision_deform_ops() -> types.SimpleNamespace:
    """torchvision's ``deform_conv2d`` under mmcv's function names.

    Returns:
        SimpleNamespace: ``deform_conv2d`` and ``modulated_deform_conv2d``
        with mmcv's leading arguments (to the padding).
    """
    from mmseg_ccnet.ops.torchvision_ops import torchvision_ops
    vision = torchvision_ops()

    def deform_conv2d(input, offset, weight, stride, padding):
        return vision.deform_conv2d(input, offset, weight, None, stride,
                                    padding)

    def modulated_deform_conv2d(input, offset, mask, weight, bias, stride,
                                padding):
        return vision.deform_conv2d(input, offset, weight, bias, stride,
                                    padding, mask=mask)

    return types.SimpleNamespace(
        deform_conv2d=deform_conv2d,
        modulated_deform_conv2d=modulated_deform_conv2d)


def model_step(case: str) -> Callable[[], None]:
    """A training step or an inference of the reduced Mask R-CNN.

    Args:
        case (str): One of :data:`MODEL_CASES`.

    Returns:
        Callable[[], None]: The step.
    """
    from mmdet.registry import MODELS
    from mmdet.testing import demo_mm_inputs
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    import mmseg_ccnet.detection  # noqa: F401  (registers in mmdet)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    data = demo_mm_inputs(
        batch_size=4,
        image_shapes=[(3, 128, 128)] * 4,
        num_items=[6] * 4,
        num_classes=3,
        with_mask=True)
    if case == MODEL_CASES[0]:
        model.train()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        return lambda: model.train_step(data, optim_wrapper)
    model.eval()

    def predict() -> None:
        with torch.no_grad():
            model.test_step(data)

    return predict


def build_step(case: str, impl: str) -> Callable[[], None]:
    """The step of a case for an implementation of this interpreter.

    Args:
        case (str): A case.
        impl (str): ``'pure'``, ``'torchvision'`` or ``'mmcv'``.

    Returns:
        Callable[[], None]: The step.
    """
    import mmseg_ccnet  # noqa: F401  (the mmcv.ops stand-in on mmcv-lite)
    from mmseg_ccnet.ops.torchvision_ops import pure_pytorch
    if case in MODEL_CASES:
        step = model_step(case)
    else:
        import mmcv.ops

        import mmseg_ccnet.ops
        ops = dict(mmcv=mmcv.ops).get(impl, mmseg_ccnet.ops)
        if impl == 'torchvision' and 'deform' in case:
            ops = torchvision_deform_ops()
        step = op_step(case, ops)
    if impl != 'pure':
        return step

    def pure_step() -> None:
        with pure_pytorch():
            step()

    return pure_step


def time_step(step: Callable[[], None], repeats: int) -> float:
    """Median seconds of ``repeats`` calls, after one warm-up call.

    Args:
        step (Callable[[], None]): The step.
        repeats (int): Timed calls.

    Returns:
        float: The median.
    """
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Worker:
    """Compiled mmcv's cases, timed by another interpreter on request.

    Args:
        python (str): The interpreter.
        threads (int): torch's threads there.
    """

    def __init__(self, python: str, threads: int) -> None:
        env = dict(os.environ, PYTHONPATH=os.getcwd())
        self.process = subprocess.Popen(
            [python, os.path.abspath(__file__), '--worker', '--threads',
             str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env)

    def time(self, case: str, repeats: int) -> Optional[float]:
        """Seconds of a case, or None where the worker cannot run it."""
        self.process.stdin.write(json.dumps([case, repeats]) + '\n')
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        """End the worker."""
        self.process.stdin.close()
        self.process.wait()


def serve() -> None:
    """The worker's loop: time the cases asked for on stdin (compiled mmcv)."""
    steps: Dict[str, Callable[[], None]] = {}
    for line in sys.stdin:
        case, repeats = json.loads(line)
        try:
            if case not in steps:
                steps[case] = build_step(case, 'mmcv')
            seconds = time_step(steps[case], repeats)
        except Exception as error:  # noqa: BLE001 - reported, not fatal
            print(f'{case}: {error!r}', file=sys.stderr)
            seconds = None
        print(json.dumps(seconds), flush=True)


def markdown_table(times: Dict[str, Dict[str, List[float]]],
                   impls: List[str]) -> str:
    """The table of median milliseconds and ratios to mmcv's.

    Args:
        times (dict): Case -> implementation -> seconds of each round.
        impls (list[str]): The implementations, in column order.

    Returns:
        str: A markdown table.
    """
    lines = ['| case | ' + ' | '.join(f'{impl} (ms)' for impl in impls) +
             ' | ' + ' | '.join(f'{impl} / mmcv' for impl in impls
                                if impl != 'mmcv') + ' |']
    lines.append('|' + ' --- |' * (1 + 2 * len(impls) - ('mmcv' in impls)))
    for case, by_impl in times.items():
        median = {
            impl: statistics.median(by_impl[impl])
            if by_impl.get(impl) and None not in by_impl[impl] else None
            for impl in impls
        }
        cells = [
            f'{median[impl] * 1e3:.1f}' if median[impl] else 'n/a'
            for impl in impls
        ]
        reference = median.get('mmcv')
        ratios = [
            f'{median[impl] / reference:.2f}'
            if median[impl] and reference else 'n/a' for impl in impls
            if impl != 'mmcv'
        ]
        lines.append(f'| {case} | ' + ' | '.join(cells + ratios) + ' |')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--mmcv-python', help='interpreter with compiled mmcv')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch threads in every interpreter')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed calls per case and round')
    parser.add_argument('--model-repeats', type=int, default=2,
                        help='timed Mask R-CNN steps per round')
    parser.add_argument('--skip-model', action='store_true',
                        help='time the ops only')
    parser.add_argument('--cases', default='',
                        help='time only the cases whose names contain this')
    parser.add_argument('--worker', action='store_true',
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.worker:
        serve()
        return
    from mmseg_ccnet.ops.torchvision_ops import torchvision_ops
    impls = ['pure'] + (['torchvision'] if torchvision_ops() else [])
    worker = Worker(args.mmcv_python, args.threads) \
        if args.mmcv_python else None
    cases = [
        case
        for case in list(OP_CASES) +
        ([] if args.skip_model else list(MODEL_CASES)) if args.cases in case
    ]
    steps = {(case, impl): build_step(case, impl)
             for case in cases for impl in impls}
    times: Dict[str, Dict[str, List[float]]] = {case: {} for case in cases}
    for round_index in range(args.rounds):
        for case in cases:
            repeats = args.model_repeats if case in MODEL_CASES \
                else args.repeats
            for impl in impls:
                times[case].setdefault(impl, []).append(
                    time_step(steps[case, impl], repeats))
            if worker:
                times[case].setdefault('mmcv', []).append(
                    worker.time(case, repeats))
        print(f'round {round_index + 1}/{args.rounds} done', file=sys.stderr)
    if worker:
        worker.close()
    print(markdown_table(times, impls + (['mmcv'] if worker else [])))


if __name__ == '__main__':
    main()
