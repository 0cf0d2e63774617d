# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Train a segmentor; the command line of MMSegmentation's tools/train.py."""
import argparse
import logging

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmengine.logging import print_log

from mmseg_ccnet.engine import build_runner, report_distributed_failure
from mmseg_ccnet.utils.command_line import add_runner_args, load_config


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest checkpoint in the work_dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training')
    add_runner_args(parser)
    return parser.parse_args()


def main() -> None:
    """Train with an mmengine runner built from the config."""
    args = parse_args()
    cfg = load_config(args)
    if args.amp:
        if cfg.optim_wrapper.type == 'AmpOptimWrapper':
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        elif cfg.optim_wrapper.type != 'OptimWrapper':
            raise ValueError('--amp needs optim_wrapper.type OptimWrapper, '
                             f'got {cfg.optim_wrapper.type}')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    runner = build_runner(cfg)
    with report_distributed_failure():
        runner.train()


if __name__ == '__main__':
    main()
