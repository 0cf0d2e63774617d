# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Command-line arguments shared by the scripts in ``tools/``."""
import argparse
import os
import os.path as osp
import re

from mmengine.config import Config, DictAction


def add_cfg_options(
        parser: argparse.ArgumentParser,
        help: str = 'override settings of the config; key=value pairs are '
        'merged into it, e.g. train_cfg.max_iters=100 or key="[a,b]" for '
        'lists (quotation marks needed, no white space)') -> None:
    """Add ``--cfg-options key=value ...`` (parsed into a dict).

    Args:
        parser (ArgumentParser): The parser to extend.
        help (str): The option's help text.
    """
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help=help)


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Add the arguments MMSegmentation's train and test scripts share.

    Args:
        parser (ArgumentParser): The parser to extend with ``--work-dir``,
            ``--cfg-options``, ``--launcher`` and ``--local_rank``.
    """
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    add_cfg_options(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace) -> Config:
    """Load ``args.config`` and apply the shared command-line arguments.

    Args:
        args (Namespace): Parsed arguments with ``config``, ``work_dir``,
            ``cfg_options``, ``launcher`` and ``local_rank``.

    Returns:
        Config: The config, with ``launcher`` and ``work_dir`` set
        (``./work_dirs/<config name>`` unless given).
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def slug(name: str) -> str:
    """A file-system friendly version of a name, e.g. for a work dir.

    Args:
        name (str): Any name, e.g. 'CCNet R=2'.

    Returns:
        str: Lower-case letters and digits joined by '_', e.g. 'ccnet_r_2'.
    """
    return re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')
