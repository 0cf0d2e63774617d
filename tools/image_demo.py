# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Segment an image or a folder of images and save the coloured predictions.

``python tools/image_demo.py IMAGE_OR_FOLDER CONFIG CHECKPOINT --out-dir
DIR`` writes, through MMSegmentation's ``MMSegInferencer``, the prediction
coloured with the classes' palette and overlaid on each image to
``DIR/vis/<image name>`` and the label map to ``DIR/pred/<n>_pred.png``.
The classes and palette come from the checkpoint (models trained with this
package store them).

CHECKPOINT may also be an ``.onnx`` file exported from CONFIG by
``tools/deployment/pytorch2onnx.py`` (``--dynamic`` for images of any
size), run on the CPU by ``--backend`` (ONNX Runtime or OpenVINO; needs
the ``deploy`` extra). The config gives the pipeline, the inference mode
(whole image or sliding window) and the classes and palette (of its test
dataset); the files written are those of the PyTorch model. Installed, it
runs as ``mim run mmseg_ccnet image_demo ...``.
"""
import argparse
import os.path as osp

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmseg.apis import MMSegInferencer

from mmseg_ccnet.deployment.backends import BACKENDS
from mmseg_ccnet.deployment.inferencer import BackendSegInferencer
from mmseg_ccnet.engine.state_match import checkpoint_match
from mmseg_ccnet.utils.command_line import add_min_match


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Overlay a segmentor\'s coloured predictions on images')
    parser.add_argument('inputs', help='an image file or a folder of images')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'checkpoint', help='checkpoint file or URL, or an exported .onnx file')
    parser.add_argument(
        '--out-dir', default='demo_out', help='where to save the results')
    parser.add_argument(
        '--device', default=None, help='e.g. cuda:0 or cpu (default: auto)')
    parser.add_argument(
        '--backend',
        choices=sorted(BACKENDS),
        help='backend that runs an .onnx file, on the CPU (default: '
        'onnxruntime)')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='opacity of the coloured prediction, in (0, 1]')
    parser.add_argument(
        '--no-labels',
        action='store_true',
        help='do not write class names on the overlay')
    add_min_match(parser)
    args = parser.parse_args()
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    exported = args.checkpoint.endswith('.onnx')
    if args.backend is not None and not exported:
        parser.error('--backend runs an .onnx file, not a checkpoint')
    if exported and args.device not in (None, 'cpu'):
        parser.error('an .onnx file runs on the cpu')
    return args


def build_inferencer(args: argparse.Namespace) -> MMSegInferencer:
    """The inferencer of a checkpoint or of an exported file.

    Args:
        args (argparse.Namespace): The command line.

    Returns:
        MMSegInferencer: The inferencer.
    """
    if args.checkpoint.endswith('.onnx'):
        return BackendSegInferencer(
            args.config,
            args.checkpoint,
            backend=args.backend or 'onnxruntime')
    with checkpoint_match(args.min_match, args.checkpoint):
        return MMSegInferencer(
            model=args.config, weights=args.checkpoint, device=args.device)


def main() -> None:
    """Run the inferencer and save its visualisations and label maps."""
    args = parse_args()
    build_inferencer(args)(
        args.inputs,
        out_dir=args.out_dir,
        opacity=args.opacity,
        with_labels=not args.no_labels)
    print(f"Overlays in {osp.join(args.out_dir, 'vis')}, label maps in "
          f"{osp.join(args.out_dir, 'pred')}")


if __name__ == '__main__':
    main()
