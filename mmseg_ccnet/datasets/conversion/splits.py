# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Writing a dataset split in MMSegmentation's ``img_dir``/``ann_dir`` layout.

Each converter finds the (image, label) files of a split in its dataset's
official layout and hands them here with a function that checks and
converts one label map.
"""
import argparse
import logging
import os.path as osp
import shutil
from functools import partial
from typing import Callable, Dict, Iterable, List, NamedTuple, Sequence, Tuple

import mmcv
import mmengine
import numpy as np
from mmengine.logging import print_log


class Sample(NamedTuple):
    """One image with its label map.

    Args:
        stem (str): Output file name without suffix.
        img_path (str): Path of the image file.
        seg_map_path (str): Path of the label map file.
    """
    stem: str
    img_path: str
    seg_map_path: str


def check_labels(seg_map: np.ndarray, valid: Iterable[int],
                 path: str) -> None:
    """Fail on a label map with values outside ``valid``.

    Args:
        seg_map (np.ndarray): The label map.
        valid (Iterable[int]): The allowed label values.
        path (str): The label map's file, for the message.

    Raises:
        ValueError: Naming the file and the unexpected values.
    """
    valid = sorted(valid)
    unexpected = np.setdiff1d(np.unique(seg_map), valid)
    if unexpected.size:
        raise ValueError(f'{path} has labels {unexpected.tolist()} outside '
                         f'{valid}: is this the right dataset?')


def _convert_sample(sample: Sample, img_dir: str, ann_dir: str,
                    convert_label: Callable[[np.ndarray, str], np.ndarray]
                    ) -> Tuple[int, int]:
    """Copy one image and write its converted label map as PNG.

    Returns:
        tuple[int, int]: (height, width) of the label map written.
    """
    suffix = osp.splitext(sample.img_path)[1]
    shutil.copyfile(sample.img_path, osp.join(img_dir, sample.stem + suffix))
    seg_map = mmcv.imread(sample.seg_map_path, flag='unchanged')
    if seg_map is None:
        raise ValueError(f'cannot read the label map {sample.seg_map_path}')
    if seg_map.ndim != 2:
        raise ValueError(f'{sample.seg_map_path} is not a single-channel '
                         f'label map (shape {seg_map.shape})')
    converted = convert_label(seg_map, sample.seg_map_path).astype(np.uint8)
    mmcv.imwrite(converted, osp.join(ann_dir, sample.stem + '.png'))
    return converted.shape


def write_split(samples: Sequence[Sample],
                out_dir: str,
                split: str,
                convert_label: Callable[[np.ndarray, str], np.ndarray],
                expected: int,
                nproc: int = 1) -> Dict[str, Tuple[int, int]]:
    """Write a split as ``out_dir/{img_dir,ann_dir}/<split>/<stem>.*``.

    Args:
        samples (Sequence[Sample]): The split's images and label maps.
        out_dir (str): Root of the converted dataset.
        split (str): Split name (sub-folder), e.g. 'train'.
        convert_label (Callable): Maps ``(label map, its path)`` to the
            label map to write; it should raise on unexpected labels.
        expected (int): Number of images of the official split; a different
            number is reported as a warning (e.g. for a subset).
        nproc (int): Worker processes. Defaults to 1.

    Returns:
        dict[str, tuple[int, int]]: (height, width) of each label map
        written, by stem, in the order of ``samples``.

    Raises:
        ValueError: If the split is empty or two samples share a stem.
        FileNotFoundError: If an image or label map is missing (checked
            before anything is written).
    """
    stems = [sample.stem for sample in samples]
    if not stems:
        raise ValueError(f'no samples found for the {split} split')
    if len(set(stems)) != len(stems):
        raise ValueError(f'the {split} split has repeated file names')
    for sample in samples:
        for path in (sample.img_path, sample.seg_map_path):
            if not osp.isfile(path):
                raise FileNotFoundError(
                    f'{split} sample {sample.stem}: {path} is missing')
    if len(stems) != expected:
        print_log(
            f'{split}: {len(stems)} images, the official split has '
            f'{expected}',
            logger='current',
            level=logging.WARNING)
    img_dir = osp.join(out_dir, 'img_dir', split)
    ann_dir = osp.join(out_dir, 'ann_dir', split)
    mmengine.mkdir_or_exist(img_dir)
    mmengine.mkdir_or_exist(ann_dir)
    print_log(f'Converting {len(stems)} {split} images to {out_dir}',
              logger='current')
    convert = partial(
        _convert_sample,
        img_dir=img_dir,
        ann_dir=ann_dir,
        convert_label=convert_label)
    if nproc > 1:
        shapes = mmengine.track_parallel_progress(convert, list(samples),
                                                  nproc)
    else:
        shapes = mmengine.track_progress(convert, list(samples))
    return dict(zip(stems, shapes))


def convert_splits(args: argparse.Namespace, splits: Dict[str, int],
                   split_samples: Callable[[str, str], List[Sample]],
                   convert_label: Callable[[np.ndarray, str], np.ndarray]
                   ) -> None:
    """Convert every split of a dataset with :func:`write_split`.

    Args:
        args (Namespace): From
            :func:`~mmseg_ccnet.utils.command_line.parse_converter_args`
            (``root``, ``out_dir``, ``nproc``).
        splits (dict[str, int]): Split name to its official size.
        split_samples (Callable): Maps ``(root, split)`` to the split's
            samples in the official layout.
        convert_label (Callable): See :func:`write_split`.
    """
    for split, expected in splits.items():
        write_split(
            split_samples(args.root, split), args.out_dir, split,
            convert_label, expected, args.nproc)
    print_log(f'Done: {args.out_dir}', logger='current')
