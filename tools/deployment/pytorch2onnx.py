# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Export a segmentor built from a config to ONNX and check it on backends.

The exported graph is the whole-image inference: normalised images
(B, 3, H, W) in (the data preprocessor's output), logits
(B, num_classes, H, W) out. Without --dynamic every dimension is fixed
(--batch, --shape); with it one file takes any batch size B >= 1 and any
image size H, W >= 1 (no multiple of the output stride is needed: the
strided convolutions pad and the logits are resized to the input). The
criss-cross attention is exported through its einsum formulation, equal to
the default implementation, whose Python loops would fix the batch size.

Every backend of --backends (ONNX Runtime and OpenVINO, on the CPU, in
float32; by default those installed, with a line naming each one left out
and the extra that installs it; a requested backend that is not installed
stops the script before the export) then runs the file on random inputs, and
its logits are compared with PyTorch's: a static export at its own shape, a
dynamic one at every batch size of --check-batches (default 1 and 2) and
every size of --check-shape (default: the crop size (H, W) and (3H/4 + 1,
W/2 + 1)). The script fails if the largest absolute difference exceeds
--tolerance. The differences are float32 rounding and grow with the logits
(on the R-50 CCNet about 2e-6 of the largest logit on ONNX Runtime, 5e-6 on
OpenVINO): the default suits the small logits of random weights; trained
weights may need a larger one. Without --checkpoint the weights are random
and the attention's output scale gamma (0 at initialisation) is set to 1, so
that the comparison covers the attention.
"""
import argparse
import itertools
import os
import sys
import time
from typing import List, Tuple

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
import torch

from mmseg_ccnet.deployment.backends import (
    BACKENDS,
    backend_installed,
    build_backend,
    installed_backends,
    missing_backend_message,
)
from mmseg_ccnet.deployment.export import (
    SegmentorLogits,
    build_segmentor,
    compare_with_backends,
    export_onnx,
    expose_attention,
)
from mmseg_ccnet.engine.state_match import checkpoint_match
from mmseg_ccnet.utils.command_line import add_min_match


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    summary, _, details = __doc__.partition('\n\n')
    parser = argparse.ArgumentParser(
        description=summary,
        epilog=details,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--checkpoint', help='weights to load (default: random init)')
    parser.add_argument(
        '--dynamic',
        action='store_true',
        help='one file for any batch size, height and width')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input size of a static export, the traced size of a dynamic '
        'one (default: the config\'s crop size)')
    parser.add_argument(
        '--batch',
        type=int,
        default=1,
        help='batch size of a static export (a dynamic one traces 2)')
    parser.add_argument(
        '--check-shape',
        type=int,
        nargs=2,
        action='append',
        metavar=('H', 'W'),
        help='with --dynamic, a size to check at (repeatable)')
    parser.add_argument(
        '--check-batches',
        type=int,
        nargs='+',
        metavar='B',
        help='with --dynamic, the batch sizes to check at')
    parser.add_argument(
        '--backends',
        nargs='+',
        choices=sorted(BACKENDS),
        help='backends that run the file (default: the installed ones)')
    parser.add_argument('--opset', type=int, default=18)
    parser.add_argument('--out', default='model.onnx', help='output file')
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-4,
        help='largest allowed absolute difference to PyTorch')
    add_min_match(parser)
    args = parser.parse_args()
    sizes = [args.batch, *(args.shape or []), *(args.check_batches or []),
             *(size for shape in args.check_shape or [] for size in shape)]
    if min(sizes) < 1:
        parser.error('--batch, --shape, --check-shape and --check-batches '
                     f'take sizes >= 1, got {min(sizes)}')
    if not args.dynamic and (args.check_shape or args.check_batches):
        parser.error('--check-shape and --check-batches need --dynamic')
    if args.dynamic and args.batch != 1:
        parser.error('--batch is the batch size of a static export')
    if args.backends is None:
        args.backends = installed_backends()
        for name in sorted(set(BACKENDS).difference(args.backends)):
            print(f'not checked on {missing_backend_message(name)}')
    else:
        missing = [n for n in args.backends if not backend_installed(n)]
        if missing:
            parser.error('--backends: ' + '; '.join(
                missing_backend_message(name) for name in missing))
    return args


def check_shapes(args: argparse.Namespace,
                 size: Tuple[int, int]) -> List[Tuple[int, ...]]:
    """The input shapes the backends are checked at.

    Args:
        args (argparse.Namespace): The command line.
        size (tuple[int, int]): The exported (static) or traced (dynamic)
            size (H, W).

    Returns:
        list[tuple[int]]: Shapes (B, 3, H, W).
    """
    if not args.dynamic:
        return [(args.batch, 3, *size)]
    height, width = size
    sizes = args.check_shape or [size, (height * 3 // 4 + 1, width // 2 + 1)]
    batches = args.check_batches or [1, 2]
    return [(batch, 3, *hw)
            for hw, batch in itertools.product(sizes, batches)]


def main() -> None:
    """Export, run the backends, report the differences."""
    args = parse_args()
    with checkpoint_match(args.min_match, args.checkpoint):
        segmentor = build_segmentor(args.config, args.checkpoint)
    if args.checkpoint is None:
        print(f'random weights: gamma of {expose_attention(segmentor)} '
              'criss-cross attention module(s) set to 1')
    size = tuple(args.shape or segmentor.data_preprocessor.size)
    model = SegmentorLogits(segmentor).eval()
    generator = torch.Generator().manual_seed(0)
    example = torch.randn(
        2 if args.dynamic else args.batch, 3, *size, generator=generator)
    start = time.perf_counter()
    export_onnx(model, example, args.out, args.opset, args.dynamic)
    seconds = time.perf_counter() - start
    print(f'{args.out}: {"dynamic" if args.dynamic else "static"} export, '
          f'traced at {tuple(example.shape)} in {seconds:.1f} s, '
          f'{os.path.getsize(args.out) / 2**20:.1f} MiB')
    if not args.backends:
        print('no backend is installed: the file was not run')
        return
    backends = [build_backend(name, args.out) for name in args.backends]
    inputs = (torch.randn(*shape, generator=generator)
              for shape in check_shapes(args, size))
    worst = 0.0
    for result in compare_with_backends(model, backends, inputs):
        print(f'{result.backend}: input {result.shape}, max '
              f'|{result.backend} - pytorch| = {result.max_diff:.3g} '
              f'(max |logit| = {result.max_value:.3g})')
        worst = max(worst, result.max_diff)
    passed = worst <= args.tolerance
    print(f'largest difference {worst:.3g}, tolerance {args.tolerance:g}: '
          f'{"passed" if passed else "FAILED"}')
    if not passed:
        sys.exit(1)


if __name__ == '__main__':
    main()
