# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Quantize an exported segmentor to INT8 (post-training, NNCF, OpenVINO).

MODEL is the ``.onnx`` file that tools/deployment/pytorch2onnx.py exported
from CONFIG (``--dynamic`` for images of any size). --num-images images of
the config's --split, drawn at random, go through the split's pipeline and
the model's data preprocessor (the normalised input the file expects) and
calibrate NNCF's post-training quantization of the file read by OpenVINO.
The convolutions run in INT8; the criss-cross attention stays in float32
(NNCF has no INT8 Einsum, and the attention's query, key and value
convolutions are kept out unless --quantize-attention). Writes the OpenVINO
IR --out (``.xml`` and ``.bin``), which tools/test.py evaluates and
tools/image_demo.py runs, and with --onnx-out a quantized ONNX file (QDQ)
for ONNX Runtime. Then compares the INT8 model with the float32 file on
--check-images images of the config's test split: the share of pixels with
the same predicted class and the largest difference of the logits.

Needs the ``quantize`` extra (NNCF) with the ``deploy`` extra.
"""
import argparse
import time

import numpy as np

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmengine.config import Config

from mmseg_ccnet.deployment.backends import OpenVINOBackend
from mmseg_ccnet.deployment.quantize import (
    attention_node_names,
    model_inputs,
    pixel_agreement,
    quantize_onnx,
    quantize_openvino,
    save_openvino,
)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    summary, _, details = __doc__.partition('\n\n')
    parser = argparse.ArgumentParser(
        description=summary,
        epilog=details,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config the file was exported from')
    parser.add_argument('model', help='the exported .onnx file')
    parser.add_argument(
        '--out', default='model_int8.xml', help='the INT8 OpenVINO IR')
    parser.add_argument(
        '--onnx-out', help='also write a quantized .onnx file (QDQ)')
    parser.add_argument(
        '--split',
        choices=['train', 'val', 'test'],
        default='val',
        help='the config dataloader whose images calibrate')
    parser.add_argument(
        '--num-images',
        type=int,
        default=300,
        help='calibration images (NNCF\'s default subset size)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the images drawn')
    parser.add_argument(
        '--check-images',
        type=int,
        default=20,
        help='test images on which INT8 is compared with float32 (0: none)')
    parser.add_argument(
        '--quantize-attention',
        action='store_true',
        help='quantize the attention\'s query, key and value convolutions '
        'too')
    args = parser.parse_args()
    if not args.model.endswith('.onnx'):
        parser.error(f'MODEL must be an exported .onnx file, got '
                     f'{args.model}')
    if not args.out.endswith('.xml'):
        parser.error(f'--out must be an .xml file, got {args.out}')
    if args.num_images < 1:
        parser.error('--num-images must be at least 1')
    return args


def main() -> None:
    """Calibrate, quantize, write, compare with float32."""
    args = parse_args()
    cfg = Config.fromfile(args.config)
    inputs = model_inputs(cfg, args.split, args.num_images, args.seed)
    print(f'{len(inputs)} calibration images of the {args.split} split, '
          f'inputs of shape {inputs[0].shape}', flush=True)
    if not args.quantize_attention:
        print(f'kept in float32: {len(attention_node_names(args.model))} '
              'operations of the criss-cross attention')
    start = time.perf_counter()
    model = quantize_openvino(
        args.model, inputs, float_attention=not args.quantize_attention)
    save_openvino(model, args.out)
    print(f'{args.out}: quantized in {time.perf_counter() - start:.1f} s')
    if args.onnx_out:
        quantize_onnx(args.model, inputs, args.onnx_out,
                      not args.quantize_attention)
        print(f'{args.onnx_out}: quantized ONNX (QDQ)')
    if args.check_images:
        compare(cfg, args)


def compare(cfg: Config, args: argparse.Namespace) -> None:
    """Print how the INT8 model's logits and classes differ from float32's
    on images of the test split."""
    images = model_inputs(cfg, 'test', args.check_images, args.seed)
    reference, quantized = (OpenVINOBackend(path)
                            for path in (args.model, args.out))
    logits = [(reference.run(x), quantized.run(x)) for x in images]
    agreement = pixel_agreement(*zip(*logits))
    diff = max(float(np.abs(first - second).max()) for first, second in logits)
    scale = max(float(np.abs(first).max()) for first, _ in logits)
    print(f'INT8 and float32 predict the same class on {100 * agreement:.2f}'
          f'% of the pixels of {len(images)} test images; largest logit '
          f'difference {diff:.3g} (largest |logit| {scale:.3g})')


if __name__ == '__main__':
    main()
