# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Segment an image or a folder of images and save the coloured predictions.

``python tools/image_demo.py IMAGE_OR_FOLDER CONFIG CHECKPOINT --out-dir
DIR`` writes, through MMSegmentation's ``MMSegInferencer``, the prediction
coloured with the classes' palette and overlaid on each image to
``DIR/vis/<image name>`` and the label map to ``DIR/pred/<n>_pred.png``.
The classes and palette come from the checkpoint (models trained with this
package store them). Installed, it runs as ``mim run mmseg_ccnet
image_demo ...``.
"""
import argparse
import os.path as osp

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmseg.apis import MMSegInferencer


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Overlay a segmentor\'s coloured predictions on images')
    parser.add_argument('inputs', help='an image file or a folder of images')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument(
        '--out-dir', default='demo_out', help='where to save the results')
    parser.add_argument(
        '--device', default=None, help='e.g. cuda:0 or cpu (default: auto)')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='opacity of the coloured prediction, in (0, 1]')
    parser.add_argument(
        '--no-labels',
        action='store_true',
        help='do not write class names on the overlay')
    args = parser.parse_args()
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    return args


def main() -> None:
    """Run the inferencer and save its visualisations and label maps."""
    args = parse_args()
    inferencer = MMSegInferencer(
        model=args.config, weights=args.checkpoint, device=args.device)
    inferencer(
        args.inputs,
        out_dir=args.out_dir,
        opacity=args.opacity,
        with_labels=not args.no_labels)
    print(f"Overlays in {osp.join(args.out_dir, 'vis')}, label maps in "
          f"{osp.join(args.out_dir, 'pred')}")


if __name__ == '__main__':
    main()
