# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Generating an embedded dataset into its folder, once and atomically."""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Callable, Dict

import mmcv
import numpy as np
from mmengine.logging import print_log

from ...utils import level_map_path

META_FILE = 'meta.json'
SPLITS = ('train', 'val')


def item_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of item ``index`` of a split: it depends on nothing
    else, so every item can be regenerated alone."""
    return np.random.default_rng([seed, SPLITS.index(split), index])


def write_labelled(root: str, split: str, name: str, image: np.ndarray,
                   label: np.ndarray, level: np.ndarray) -> None:
    """Write a labelled image with its label and level map as PNG files.

    Args:
        root (str): Dataset folder.
        split (str): Split name.
        name (str): File name, e.g. ``'00012.png'``.
        image (np.ndarray): (H, W, 3) uint8 RGB, to ``img_dir/<split>``.
        label (np.ndarray): (H, W) uint8 classes, to ``ann_dir/<split>``.
        level (np.ndarray): (H, W) uint8 context levels, to
            ``level_dir/<split>``
            (:func:`~mmseg_ccnet.utils.level_map_path`).
    """
    img_path = osp.join(root, 'img_dir', split, name)
    mmcv.imwrite(mmcv.rgb2bgr(image), img_path)
    mmcv.imwrite(label, osp.join(root, 'ann_dir', split, name))
    mmcv.imwrite(level, level_map_path(img_path))


def _is_empty_dir(path: str) -> bool:
    """Whether ``path`` is a directory with nothing in it."""
    return osp.isdir(path) and not os.listdir(path)


def _process_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True


def _remove_stale_staging(parent: str, base: str) -> None:
    """Remove the staging folders of generations whose process died.

    Staging folders are ``.<base>-<pid>-<random>`` (see
    :func:`generate_once`); a killed generation leaves its folder behind.
    """
    for entry in os.listdir(parent):
        prefix, _, rest = entry.partition(f'.{base}-')
        pid = rest.split('-', 1)[0]
        if not prefix and pid.isdigit() and not _process_alive(int(pid)):
            print_log(
                f'Removing {osp.join(parent, entry)}, left by a generation '
                'that was killed.',
                logger='current')
            shutil.rmtree(osp.join(parent, entry), ignore_errors=True)


def generate_once(data_root: str, meta: dict,
                  write_split: Callable[[str, str, int, int], None], seed: int,
                  counts: Dict[str, int], items: str) -> None:
    """Generate a dataset into ``data_root`` unless it is there already.

    ``write_split(folder, split, seed, count)`` is called for every split
    on a temporary folder beside ``data_root`` (``.<name>-<pid>-<random>``),
    which is moved into place at the end together with ``meta.json``, so
    an interrupted run leaves nothing half-done and concurrent processes
    agree on one copy. A failed generation removes its folder; those of
    killed ones are removed by the next generation.

    Args:
        data_root (str): Target folder.
        meta (dict): What identifies the generated copy (JSON-serialisable;
            ``meta['dataset']`` names the dataset).
        write_split (Callable): Writes ``count`` items of a split, generated
            from ``seed``, into the folder it is given.
        seed (int): Seed of the generator.
        counts (dict[str, int]): Number of items of each split.
        items (str): What the items are, for the log (e.g. ``'images'``).

    Raises:
        ValueError: If ``data_root`` holds something else (other settings,
            or files that were not generated this way).
    """
    name = meta['dataset']
    if not osp.exists(data_root) or _is_empty_dir(data_root):
        parent = osp.dirname(osp.abspath(data_root))
        os.makedirs(parent, exist_ok=True)
        sizes = ' + '.join(str(count) for count in counts.values())
        print_log(
            f'{name}: generating {sizes} {items} (seed {seed}) into '
            f'{data_root}',
            logger='current')
        base = osp.basename(osp.abspath(data_root))
        _remove_stale_staging(parent, base)
        staging = tempfile.mkdtemp(
            prefix=f'.{base}-{os.getpid()}-', dir=parent)
        try:
            for split, count in counts.items():
                write_split(staging, split, seed, count)
            with open(osp.join(staging, META_FILE), 'w') as file:
                json.dump(meta, file, indent=2)
            os.rename(staging, data_root)
        except OSError:
            if not osp.isdir(data_root):  # else another process finished
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    meta_path = osp.join(data_root, META_FILE)
    found = None
    if osp.isfile(meta_path):
        with open(meta_path) as file:
            found = json.load(file)
    if found != meta:
        raise ValueError(
            f'{data_root} does not hold {name} generated with {meta} (found '
            f'{found}); remove the folder or choose another data_root')
