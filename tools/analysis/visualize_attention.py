# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Draw where a pixel's context comes from after each pass of RCCA.

For a chosen pixel the tool runs a trained CCNet (any config and checkpoint
whose model contains this package's CrissCrossAttention, e.g. CCHead), and
draws over the image the attention the pixel receives after pass 1 (its
criss-cross) and after each further pass (pass 2: the whole image), next to
the prediction. The map after pass ``r`` follows the attention weights
backwards through all passes: ``e_u A_r ... A_1``, where ``A_k`` is pass
k's criss-cross attention as an (hw x hw) matrix (rows sum to 1).

Example::

    python tools/analysis/visualize_attention.py CONFIG CHECKPOINT IMAGE \
        --pixel 24 40 --out attention.png
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'lib'))

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
import mmcv
from mmengine.config import Config
from mmseg.apis import init_model

from ccnet_tools.analysis.attention_maps import (
    capture_attention,
    context_maps,
    draw,
    feature_position,
    to_image,
)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('image', help='image file')
    parser.add_argument(
        '--pixel',
        nargs=2,
        type=int,
        metavar=('Y', 'X'),
        help='pixel (row, column) in the image; default: its centre')
    parser.add_argument(
        '--out', default='attention.png', help='output PNG file')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    return parser.parse_args()


def main() -> None:
    """Load the model, run it on the image and draw the attention."""
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.model.test_cfg = dict(mode='whole')
    model = init_model(cfg, args.checkpoint, device=args.device)
    image = mmcv.imread(args.image)
    pixel = tuple(args.pixel) if args.pixel else (image.shape[0] // 2,
                                                  image.shape[1] // 2)
    attentions, result = capture_attention(model, image)
    i, j = feature_position(result, attentions[0].shape[1:3], pixel)
    maps = [to_image(m, result) for m in context_maps(attentions, i, j)]
    prediction = result.pred_sem_seg.data[0].cpu().numpy()
    draw(image, maps, prediction, model.dataset_meta['palette'], pixel,
         args.out)
    print(f'{len(attentions)} criss-cross passes; pixel {pixel} is feature '
          f'position {(i, j)}; written {args.out}')


if __name__ == '__main__':
    main()
