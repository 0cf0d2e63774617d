# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Rewrite a trusted checkpoint so that it loads with weights_only=True.

Checkpoints written by mmengine runs without mmseg-ccnet hold numpy scalars
and HistoryBuffer methods, which ``torch.load(weights_only=True)`` refuses
(``Unsupported global: GLOBAL getattr``). Loading them needs
``weights_only=False``, which runs whatever the file holds: do it only for
a file whose source you trust, and say so with ``--trusted``::

    python tools/misc/rewrite_checkpoint.py work_dirs/run/iter_4000.pth \\
        --trusted

The rewritten file replaces the original, which is kept beside it as
``<file>.orig`` (or is written to ``--out``).
"""
import argparse
import os.path as osp
import shutil
import sys

import mmseg_ccnet  # noqa: F401
from mmseg_ccnet.engine.checkpoint import (
    CheckpointLoadError,
    rewrite_trusted_checkpoint,
)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Rewrite a trusted checkpoint into the form that '
        'torch.load(weights_only=True) loads')
    parser.add_argument('checkpoint', help='the checkpoint file')
    parser.add_argument(
        '--trusted',
        action='store_true',
        help='confirm that the file comes from a source you trust: it is '
        'loaded with weights_only=False, which can run code')
    parser.add_argument(
        '--out',
        help='write the result here instead of replacing the checkpoint '
        '(which is then kept as <checkpoint>.orig)')
    return parser.parse_args()


def main() -> None:
    """Rewrite the checkpoint if the user trusts it."""
    args = parse_args()
    if not args.trusted:
        sys.exit(f'{args.checkpoint} would be loaded with weights_only=False,'
                 ' which runs whatever code it holds; pass --trusted if you '
                 'trust its source.')
    if not osp.isfile(args.checkpoint):
        sys.exit(f'{args.checkpoint}: no such file')
    out = args.out or args.checkpoint
    if osp.realpath(out) == osp.realpath(args.checkpoint):
        backup = f'{args.checkpoint}.orig'
        if not osp.exists(backup):
            shutil.copy2(args.checkpoint, backup)
        print(f'original kept as {backup}')
    try:
        rewrite_trusted_checkpoint(args.checkpoint, out)
    except CheckpointLoadError as error:
        sys.exit(str(error))
    print(f'wrote {out}: it loads with torch.load(weights_only=True)')


if __name__ == '__main__':
    main()
