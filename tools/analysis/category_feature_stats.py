# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Intra-class spread and inter-class separation of RCCA features.

For each model (config + checkpoint of a segmentor with a CCHead) the tool
runs the validation set once through the runner's evaluator (mIoU and the
config's other metrics) and once through the decode head, collecting the
RCCA features of every labelled pixel (labels resized to the feature map by
nearest neighbour). Over the whole set, with ``mu_c`` the mean feature of
class ``c``, it reports

* ``intra``: the mean distance of a pixel to its class mean, averaged over
  the classes (each class counts once, whatever its size);
* ``inter``: the smallest distance between two class means;
* ``inter / intra``: the separation relative to the spread (scale-free).

For heads trained with the category consistent loss it also reports the
same on the loss's own ``ccl_channels``-dim embedding (``ccl_reduce``).

Example::

    python tools/analysis/category_feature_stats.py \
        --model CCNet configs/cc_context/ccnet_localconvnet_1xb16-2k_cc-context-64x64.py base.pth \
        --model CCNet+CCL configs/cc_context/ccnet-ccl_localconvnet_1xb16-2k_cc-context-64x64.py ccl.pth
"""  # noqa: E501
import argparse
import json
import os.path as osp
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'lib'))

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from ccnet_tools.analysis.feature_stats import markdown_table, measure
from mmseg_ccnet.utils.command_line import add_cfg_options


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--model',
        nargs=3,
        action='append',
        required=True,
        metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
        help='a model to measure (repeat for a comparison table)')
    parser.add_argument(
        '--feature',
        choices=['attention', 'context'],
        default='attention',
        help="RCCA features to measure: 'attention' (output of the last "
        "criss-cross pass) or 'context' (after convs[1])")
    parser.add_argument(
        '--work-dir',
        default='work_dirs/category_feature_stats',
        help='where the validation runs and the table/JSON go')
    add_cfg_options(parser,
                    'override settings of every config, e.g. data roots')
    return parser.parse_args()


def main() -> None:
    """Measure every model, then print and write the table and JSON."""
    args = parse_args()
    results = {
        name: measure(name, config, checkpoint, args.feature,
                      args.work_dir, args.cfg_options)
        for name, config, checkpoint in args.model
    }
    table = markdown_table(results)
    with open(osp.join(args.work_dir, 'feature_stats.md'), 'w') as file:
        file.write(table + '\n')
    with open(osp.join(args.work_dir, 'feature_stats.json'), 'w') as file:
        json.dump(results, file, indent=2)
    print(table)
    print(f'written: {args.work_dir}/feature_stats.{{md,json}}')


if __name__ == '__main__':
    main()
