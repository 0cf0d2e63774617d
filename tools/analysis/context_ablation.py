# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Context ablation: which decode head reaches which evidence.

Trains the same model with different decode heads on the same data and
schedule, for one or more training seeds (FCN without context, CCHead with
R = 1, 2, 3, and MMSegmentation's non-local NLHead; and CCHead R = 2 and
NLHead on features with a sinusoidal position encoding appended, for a
backbone that has ``pos_channels`` like LocalConvNet), then writes a markdown
table, a JSON file and a plot of mIoU overall and per context level
(mean over the seeds, with the range), training time per iteration and the
head's peak memory.

Example::

    python tools/analysis/context_ablation.py \
        configs/cc_context/ccnet_localconvnet_1xb16-2k_cc-context-64x64.py \
        --seeds 0 1 2
"""
import argparse
import json
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'lib'))

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmengine.config import Config

from ccnet_tools.analysis.context_ablation import (
    VARIANTS,
    ablate,
    markdown_table,
    plot,
)
from mmseg_ccnet.utils.command_line import add_cfg_options


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config of the CCNet (CCHead) model')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/context_ablation',
        help='where runs, table, JSON and plot go')
    parser.add_argument(
        '--variants',
        nargs='+',
        choices=list(VARIANTS),
        default=list(VARIANTS),
        help='which heads to train (default: all)')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[0],
        help='training seeds (randomness.seed); every variant is trained '
        'once per seed (default: 0)')
    add_cfg_options(parser,
                    'override settings of the config for every variant')
    return parser.parse_args()


def main() -> None:
    """Train every variant, then write the table, JSON and plot."""
    args = parse_args()
    base = Config.fromfile(args.config)
    if args.cfg_options is not None:
        base.merge_from_dict(args.cfg_options)
    results, runs = ablate(base, args.variants, args.seeds, args.work_dir)
    table = markdown_table(results)
    with open(osp.join(args.work_dir, 'ablation.md'), 'w') as file:
        file.write(table + '\n')
    with open(osp.join(args.work_dir, 'ablation.json'), 'w') as file:
        json.dump(dict(summary=results, runs=runs), file, indent=2)
    plot(results, osp.join(args.work_dir, 'ablation.png'))
    print(table)
    print(f'written: {args.work_dir}/ablation.{{md,json,png}}')


if __name__ == '__main__':
    main()
