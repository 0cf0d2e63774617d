# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Export a segmentor built from a config to ONNX and check onnxruntime.

The exported graph is the whole-image inference of one input size (static
shapes): normalised images (B, 3, H, W) in, logits (B, num_classes, H, W)
out. onnxruntime's output on a random input is compared with PyTorch's; the
script fails if the largest absolute difference exceeds ``--tolerance``.
Without ``--checkpoint`` the weights are random and the attention's output
scale ``gamma`` (0 at initialisation) is set to 1, so that the comparison
covers the attention.
"""
import argparse
import sys

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
import torch

from mmseg_ccnet.deployment.export import (
    SegmentorLogits,
    build_segmentor,
    compare_with_onnxruntime,
    export_onnx,
    expose_attention,
)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--checkpoint', help='weights to load (default: random init)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input size (default: the config\'s crop size)')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--opset', type=int, default=18)
    parser.add_argument('--out', default='model.onnx', help='output file')
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-4,
        help='largest allowed absolute difference to PyTorch')
    return parser.parse_args()


def main() -> None:
    """Export, run onnxruntime, report the difference."""
    args = parse_args()
    segmentor = build_segmentor(args.config, args.checkpoint)
    if args.checkpoint is None:
        print(f'random weights: gamma of {expose_attention(segmentor)} '
              'criss-cross attention module(s) set to 1')
    shape = args.shape or segmentor.data_preprocessor.size
    model = SegmentorLogits(segmentor).eval()
    example = torch.randn(
        args.batch, 3, *shape, generator=torch.Generator().manual_seed(0))
    export_onnx(model, example, args.out, args.opset)
    max_diff, max_value = compare_with_onnxruntime(model, example, args.out)
    print(f'{args.out}: input {tuple(example.shape)}, max |onnxruntime - '
          f'pytorch| = {max_diff:.3g} (max |logit| = {max_value:.3g}, '
          f'tolerance {args.tolerance:g})')
    if max_diff > args.tolerance:
        sys.exit(1)


if __name__ == '__main__':
    main()
