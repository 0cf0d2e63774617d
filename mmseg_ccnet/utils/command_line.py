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


def add_min_match(parser: argparse.ArgumentParser) -> None:
    """Add ``--min-match``, the share of the model a checkpoint must fit.

    Args:
        parser (ArgumentParser): The parser to extend.
    """
    from ..engine.state_match import DEFAULT_MIN_MATCH
    parser.add_argument(
        '--min-match',
        type=float,
        default=DEFAULT_MIN_MATCH,
        help='share of the model\'s weights (name and shape) the checkpoint '
        f'must hold, in [0, 1] (default {DEFAULT_MIN_MATCH}); 0 accepts '
        'the checkpoint of another model')


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


def converter_parser(description: str,
                     default_out_dir: str) -> argparse.ArgumentParser:
    """The command line every dataset converter takes.

    Converters that need more arguments add them to the parser.

    Args:
        description (str): What the converter converts, from which layout
            (shown verbatim by ``--help``).
        default_out_dir (str): The default of ``--out-dir``.

    Returns:
        ArgumentParser: A parser of ``root`` (the official download),
        ``--out-dir`` and ``--nproc``.
    """
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'root', help='the dataset in its official layout (see above)')
    parser.add_argument(
        '-o', '--out-dir', default=default_out_dir, help='output folder')
    parser.add_argument(
        '--nproc', type=int, default=1, help='number of processes')
    return parser


def parse_converter_args(description: str,
                         default_out_dir: str) -> argparse.Namespace:
    """Parse the command line of a converter (:func:`converter_parser`).

    Args:
        description (str): What the converter converts, from which layout.
        default_out_dir (str): The default of ``--out-dir``.

    Returns:
        Namespace: ``root``, ``out_dir`` and ``nproc``.
    """
    return converter_parser(description, default_out_dir).parse_args()
