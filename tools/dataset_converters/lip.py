# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Convert LIP (single-person human parsing) to MMSegmentation's layout.

Download ``TrainVal_images.zip`` and ``TrainVal_parsing_annotations.zip``
from the LIP website (https://sysu-hcp.net/lip/) and unzip both into one
folder, LIP_ROOT. The archives unzip to (possibly doubly nested)::

    LIP_ROOT
    ├── TrainVal_images[/TrainVal_images]
    │   ├── train_images/<id>.jpg     val_images/<id>.jpg
    │   └── train_id.txt              val_id.txt
    └── TrainVal_parsing_annotations[/TrainVal_parsing_annotations]
        └── train_segmentations/<id>.png   val_segmentations/<id>.png

Usage: ``python tools/dataset_converters/lip.py LIP_ROOT -o data/lip``
writes ``data/lip/{img_dir,ann_dir}/{train,val}`` for ``LIPDataset``,
checking that every label is one of the 20 classes (0-19).
"""
import os
import os.path as osp
from typing import List

import numpy as np

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmseg_ccnet.datasets import LIPDataset
from mmseg_ccnet.datasets.conversion import (
    Sample,
    check_labels,
    convert_splits,
)
from mmseg_ccnet.utils.command_line import parse_converter_args

SPLITS = dict(train=30462, val=10000)
LABELS = range(len(LIPDataset.METAINFO['classes']))


def find_dir(root: str, name: str) -> str:
    """The one folder called ``name`` below ``root``.

    Args:
        root (str): Where to search.
        name (str): The folder name.

    Returns:
        str: Its path.

    Raises:
        FileNotFoundError: If there is none, or more than one.
    """
    found = [
        osp.join(parent, name) for parent, dirs, _ in os.walk(root)
        if name in dirs
    ]
    if len(found) != 1:
        raise FileNotFoundError(
            f'expected one folder {name!r} below {root}, found '
            f'{found or "none"}: unzip TrainVal_images.zip and '
            'TrainVal_parsing_annotations.zip into it')
    return found[0]


def split_samples(root: str, split: str) -> List[Sample]:
    """The images and label maps of a LIP split.

    The ids come from ``<split>_id.txt`` next to the image folder when it
    exists, else from the image folder.

    Args:
        root (str): LIP_ROOT.
        split (str): 'train' or 'val'.

    Returns:
        list[Sample]: One sample per id.
    """
    img_dir = find_dir(root, f'{split}_images')
    ann_dir = find_dir(root, f'{split}_segmentations')
    id_file = osp.join(osp.dirname(img_dir), f'{split}_id.txt')
    if osp.isfile(id_file):
        with open(id_file) as file:
            ids = [line.strip() for line in file if line.strip()]
    else:
        ids = sorted(
            osp.splitext(name)[0] for name in os.listdir(img_dir)
            if name.endswith('.jpg'))
    return [
        Sample(id_, osp.join(img_dir, id_ + '.jpg'),
               osp.join(ann_dir, id_ + '.png')) for id_ in ids
    ]


def convert_label(seg_map: np.ndarray, path: str) -> np.ndarray:
    """LIP labels are already train ids 0-19: only check them.

    Args:
        seg_map (np.ndarray): The label map.
        path (str): Its file, for error messages.

    Returns:
        np.ndarray: ``seg_map`` unchanged.
    """
    check_labels(seg_map, LABELS, path)
    return seg_map


def main() -> None:
    """Convert every split."""
    args = parse_converter_args(__doc__, 'data/lip')
    convert_splits(args, SPLITS, split_samples, convert_label)


if __name__ == '__main__':
    main()
