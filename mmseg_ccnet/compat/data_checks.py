# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Bad data named where MMSegmentation would fail far away or not at all.

:func:`install` wraps four methods of MMSegmentation and mmcv, for every
dataset, pipeline and metric built from any config:

* ``BaseSegDataset.load_data_list``: a split that finds no samples raises a
  ``ValueError`` (``FileNotFoundError`` if its folder does not exist)
  naming the folder (or list file) and the suffix looked for, instead of
  numpy's "need at least one array to concatenate".
* ``LoadImageFromFile.transform`` (mmcv's, which MMSegmentation's
  pipelines and inferencers use): an image that cannot be read (empty,
  truncated, not an image) raises a ``ValueError`` naming the file and what
  is wrong, instead of OpenCV's ``!buf.empty()``.
* ``LoadAnnotations._load_seg_map``: a label map that cannot be read, that
  has colour channels (e.g. a colour-coded label image), or a 16-bit PNG
  with values above 255 (which MMSegmentation's ``astype(np.uint8)`` would
  wrap to other classes) raises a ``ValueError`` naming the file, what it
  holds and what is expected; one whose size differs from its image's
  raises a ``ValueError`` naming both files and sizes, in training (where
  it would pass silently) and in evaluation (where it would end in an
  ``IndexError``).
* ``IoUMetric.process``: label values outside ``[0, num_classes)`` other
  than ``ignore_index`` are reported as a warning with their count, their
  values and the file. They are not changed: mmseg's metric leaves them out
  of every class's label area (and of ``aAcc``) but counts them in the
  union of the class predicted there, so the warning says that the scores
  are affected, without stopping a training run at its validation.
"""
import functools
import logging
import os.path as osp
from typing import Callable, List, Optional, Sequence

import mmcv
import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.evaluation import IoUMetric

from .patching import wrap_attribute

__all__ = [
    'empty_split_message', 'unreadable_file_error', 'check_label_size',
    'check_label_format', 'report_label_range', 'install'
]

#: At most this many distinct out-of-range values are listed per file.
MAX_LISTED_VALUES = 8


def empty_split_message(dataset: BaseSegDataset) -> str:
    """What an empty split looked for, for its error message.

    Args:
        dataset (BaseSegDataset): A dataset that found no samples.

    Returns:
        str: The message, naming the folder (or list file) and suffixes.
    """
    name = type(dataset).__name__
    img_dir = dataset.data_prefix.get('img_path') or dataset.data_root
    if dataset.ann_file:
        return (f'{name} found no samples: {dataset.ann_file} lists no '
                f'images (in {img_dir}, suffix {dataset.img_suffix!r})')
    missing = '' if osp.isdir(img_dir) else ', a folder that does not exist'
    labels = dataset.data_prefix.get('seg_map_path')
    label_text = (f" (labels: '*{dataset.seg_map_suffix}' in {labels})"
                  if labels else '')
    return (f"{name} found no samples: no '*{dataset.img_suffix}' images "
            f'in {img_dir}{missing}{label_text}. Check data_root, '
            'data_prefix and img_suffix of the dataset in the config.')


#: PNG's signature; the IHDR chunk's bit depth is byte 24 of the file.
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
PNG_BIT_DEPTH = 24


def unreadable_file_error(path: str, kind: str,
                          error: Exception) -> ValueError:
    """The error for an image or label map that cannot be decoded.

    Args:
        path (str): The file.
        kind (str): ``'image'`` or ``'label map'``.
        error (Exception): What the decoder raised.

    Returns:
        ValueError: Naming the file, what is wrong and what is expected.
    """
    if osp.isfile(path) and osp.getsize(path) == 0:
        problem = 'it is empty (0 bytes)'
    else:
        problem = f'it cannot be decoded ({type(error).__name__}: ' \
            f'{str(error).strip()[:200]})'
    return ValueError(f'{kind} {path} cannot be read: {problem}; expected '
                      'an image file (PNG, JPEG, ...). Replace or remove it.')


def _png_bit_depth(path: str) -> Optional[int]:
    """The bit depth of a local PNG file, None for anything else."""
    if not osp.isfile(path):
        return None
    with open(path, 'rb') as file:
        head = file.read(PNG_BIT_DEPTH + 1)
    if len(head) <= PNG_BIT_DEPTH or not head.startswith(PNG_SIGNATURE):
        return None
    return head[PNG_BIT_DEPTH]


def check_label_format(results: dict) -> None:
    """Raise if a loaded label map is not a single-channel class map.

    Args:
        results (dict): A pipeline's results after the label map is loaded
            (``gt_seg_map``, ``seg_map_path``).

    Raises:
        ValueError: Naming the file, for a label map with channels, or a
            16-bit PNG with values above 255 (read again unchanged).
    """
    path = results.get('seg_map_path')
    label = results['gt_seg_map']
    if label.ndim != 2:
        raise ValueError(
            f'label map {path} has shape {label.shape}: {label.shape[-1]} '
            'channels, e.g. a colour-coded label image; expected a '
            'single-channel map of class indices (HxW, e.g. '
            '*_labelTrainIds.png for Cityscapes)')
    if _png_bit_depth(path) == 16:
        values = mmcv.imread(path, flag='unchanged')
        if values is not None and int(values.max()) > 255:
            raise ValueError(
                f'label map {path} is a 16-bit PNG with values up to '
                f'{int(values.max())}: MMSegmentation reads labels as 8-bit '
                '(0-255) and would wrap them to other classes; expected an '
                '8-bit map of class indices (0-254, 255 ignored)')


def check_label_size(results: dict) -> None:
    """Raise if a loaded label map is not of its image's size.

    Args:
        results (dict): A pipeline's results after the label map is loaded
            (``gt_seg_map``); ``ori_shape`` is the image's size when the
            image was loaded before.

    Raises:
        ValueError: Naming both files and sizes.
    """
    image_size = results.get('ori_shape')
    label_size = results['gt_seg_map'].shape[:2]
    if image_size is not None and tuple(image_size) != tuple(label_size):
        raise ValueError(
            f'label map {results.get("seg_map_path")} is {label_size[0]}x'
            f'{label_size[1]} (HxW) but its image {results.get("img_path")} '
            f'is {image_size[0]}x{image_size[1]}: every label map must have '
            'the size of its image')


def report_label_range(label: torch.Tensor, num_classes: int,
                       ignore_index: int, path: Optional[str]) -> int:
    """Warn about label values that are neither classes nor ignored.

    Args:
        label (Tensor): A label map.
        num_classes (int): Number of classes C.
        ignore_index (int): The ignored label.
        path (str, optional): The label map's file, for the message.

    Returns:
        int: The number of such pixels (0: nothing was reported).
    """
    bad = ((label < 0) | (label >= num_classes)) & (label != ignore_index)
    count = int(bad.sum())
    if count:
        values = np.unique(label[bad].cpu().numpy())
        listed = ', '.join(str(v) for v in values[:MAX_LISTED_VALUES])
        more = ', ...' if len(values) > MAX_LISTED_VALUES else ''
        print_log(
            f'{path}: {count} pixels have labels ({listed}{more}) outside '
            f'[0, {num_classes}) that are not ignore_index={ignore_index}. '
            'IoUMetric leaves them out of the label areas and aAcc but '
            'counts them in the union of the predicted class: the scores '
            'are affected. Fix the labels or the dataset\'s classes.',
            logger='current',
            level=logging.WARNING)
    return count


def _checked_load_data_list(load_data_list: Callable) -> Callable:
    """``BaseSegDataset.load_data_list`` that names what an empty split
    missed."""

    @functools.wraps(load_data_list)
    def checked_load_data_list(self: BaseSegDataset) -> List[dict]:
        img_dir = self.data_prefix.get('img_path')
        if not self.ann_file and img_dir and not osp.isdir(img_dir):
            raise FileNotFoundError(empty_split_message(self))
        data_list = load_data_list(self)
        if not data_list:
            raise ValueError(empty_split_message(self))
        return data_list

    return checked_load_data_list


def _is_decoding_error(error: Exception) -> bool:
    """Whether an error of mmcv's image loading is the file's fault:
    OpenCV's and Pillow's errors, a failed read or mmcv's ``img is None``
    assertion; not a missing file (its error names it already)."""
    if isinstance(error, FileNotFoundError):
        return False
    return isinstance(error, (AssertionError, OSError, ValueError)) or type(
        error).__module__.split('.')[0] in ('cv2', 'PIL')


def _checked_load_seg_map(load_seg_map: Callable) -> Callable:
    """``LoadAnnotations._load_seg_map`` that names an unreadable file,
    followed by :func:`check_label_format` and :func:`check_label_size`."""

    @functools.wraps(load_seg_map)
    def checked_load_seg_map(self: LoadAnnotations, results: dict) -> None:
        try:
            load_seg_map(self, results)
        except Exception as error:
            if not _is_decoding_error(error):
                raise
            raise unreadable_file_error(results['seg_map_path'],
                                        'label map', error) from error
        check_label_format(results)
        check_label_size(results)

    return checked_load_seg_map


def _checked_load_image(transform: Callable) -> Callable:
    """``LoadImageFromFile.transform`` that names an unreadable image."""

    @functools.wraps(transform)
    def checked_transform(self: LoadImageFromFile,
                          results: dict) -> Optional[dict]:
        try:
            return transform(self, results)
        except Exception as error:
            if not _is_decoding_error(error):
                raise
            raise unreadable_file_error(results['img_path'], 'image',
                                        error) from error

    return checked_transform


def _checked_process(process: Callable) -> Callable:
    """``IoUMetric.process`` that first reports out-of-range labels."""

    @functools.wraps(process)
    def checked_process(self: IoUMetric, data_batch: dict,
                        data_samples: Sequence[dict]) -> None:
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            if 'gt_sem_seg' in sample:
                report_label_range(sample['gt_sem_seg']['data'], num_classes,
                                   self.ignore_index,
                                   sample.get('seg_map_path'))
        process(self, data_batch, data_samples)

    return checked_process


def install() -> None:
    """Wrap the four methods described above. Idempotent."""
    wrap_attribute(BaseSegDataset, 'load_data_list', _checked_load_data_list)
    wrap_attribute(LoadImageFromFile, 'transform', _checked_load_image)
    wrap_attribute(LoadAnnotations, '_load_seg_map', _checked_load_seg_map)
    wrap_attribute(IoUMetric, 'process', _checked_process)
