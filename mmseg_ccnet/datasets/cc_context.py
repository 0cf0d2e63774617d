# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import json
import os
import os.path as osp
import shutil
import tempfile

import mmcv
import numpy as np
from mmengine.logging import print_log

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS
from . import context_layout

SPLITS = ('train', 'val')
META_FILE = 'meta.json'


def generation_meta(seed: int, num_train: int, num_val: int) -> dict:
    """What identifies a generated copy of the dataset."""
    return dict(
        dataset='CrissCrossContextDataset',
        layout=dict(
            cell=context_layout.CELL,
            grid=context_layout.GRID,
            patch=context_layout.PATCH),
        seed=seed,
        num_images=dict(train=num_train, val=num_val))


def level_path(img_path: str) -> str:
    """Path of the level map (``context_layout.LEVEL_*`` per pixel) of an
    image of this dataset."""
    folder, name = osp.split(img_path)
    split_dir, split = osp.split(folder)
    return osp.join(osp.dirname(split_dir), 'level_dir', split, name)


def write_split(root: str, split: str, seed: int, count: int) -> None:
    """Render ``count`` images of one split into ``root``.

    Image ``i`` of split ``s`` depends only on ``(seed, s, i)``.
    """
    for index in range(count):
        rng = np.random.default_rng([seed, SPLITS.index(split), index])
        image, label, level = context_layout.render(rng)
        name = f'{index:05d}.png'
        mmcv.imwrite(
            mmcv.rgb2bgr(image), osp.join(root, 'img_dir', split, name))
        mmcv.imwrite(label, osp.join(root, 'ann_dir', split, name))
        mmcv.imwrite(level, osp.join(root, 'level_dir', split, name))


def generate(data_root: str, seed: int, num_train: int, num_val: int) -> None:
    """Generate the dataset into ``data_root`` unless it is there already.

    Files are written to a temporary folder beside ``data_root`` and moved
    into place at the end, so an interrupted run leaves nothing half-done
    and concurrent processes agree on one copy.

    Args:
        data_root (str): Target folder.
        seed (int): Seed of the generator.
        num_train (int): Number of training images.
        num_val (int): Number of validation images.

    Raises:
        ValueError: If ``data_root`` holds something else (another seed or
            size, or files that this dataset did not write).
    """
    meta = generation_meta(seed, num_train, num_val)
    if not osp.exists(data_root):
        parent = osp.dirname(osp.abspath(data_root))
        os.makedirs(parent, exist_ok=True)
        print_log(
            f'CrissCrossContextDataset: generating {num_train} + {num_val} '
            f'images (seed {seed}) into {data_root}',
            logger='current')
        staging = tempfile.mkdtemp(prefix='.cc_context-', dir=parent)
        for split, count in zip(SPLITS, (num_train, num_val)):
            write_split(staging, split, seed, count)
        with open(osp.join(staging, META_FILE), 'w') as file:
            json.dump(meta, file, indent=2)
        try:
            os.rename(staging, data_root)
        except OSError:  # another process finished first
            shutil.rmtree(staging)
    meta_path = osp.join(data_root, META_FILE)
    found = None
    if osp.isfile(meta_path):
        with open(meta_path) as file:
            found = json.load(file)
    if found != meta:
        raise ValueError(
            f'{data_root} does not hold CrissCrossContextDataset generated '
            f'with {meta} (found {found}); remove the folder or choose '
            'another data_root')


@DATASETS.register_module()
class CrissCrossContextDataset(BaseSegDataset):
    """Embedded context benchmark: labels that need criss-cross context.

    The images (``img_dir``), labels (``ann_dir``) and per-pixel context
    levels (``level_dir``, see :mod:`context_layout`) are generated
    deterministically from ``seed`` into ``data_root`` on first use, as
    ordinary PNG files in MMSegmentation's standard layout
    (``{img_dir,ann_dir}/{train,val}/*.png``).

    Args:
        data_root (str): Folder of the generated data.
        data_prefix (dict): Image and label folders of the split.
            Defaults to the training split.
        seed (int): Seed of the generator. Defaults to 0.
        num_train (int): Number of training images. Defaults to 2000.
        num_val (int): Number of validation images. Defaults to 200.
        **kwargs: Further arguments of :class:`BaseSegDataset`.
    """
    METAINFO = dict(
        classes=context_layout.CLASSES,
        palette=[list(colour) for colour in context_layout.PALETTE])

    def __init__(self,
                 data_root: str,
                 data_prefix: dict = dict(
                     img_path='img_dir/train', seg_map_path='ann_dir/train'),
                 seed: int = 0,
                 num_train: int = 2000,
                 num_val: int = 200,
                 **kwargs) -> None:
        generate(data_root, seed, num_train, num_val)
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            img_suffix='.png',
            seg_map_suffix='.png',
            **kwargs)
