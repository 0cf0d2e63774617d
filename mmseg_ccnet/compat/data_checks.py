# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Bad data named where MMSegmentation would fail far away or not at all.

:func:`install` wraps three methods of MMSegmentation, for every
dataset, pipeline and metric built from any config:

* ``BaseSegDataset.load_data_list``: a split that finds no samples raises a
  ``ValueError`` (``FileNotFoundError`` if its folder does not exist)
  naming the folder (or list file) and the suffix looked for, instead of
  numpy's "need at least one array to concatenate".
* ``LoadAnnotations._load_seg_map``: a label map whose size differs from
  its image's raises a ``ValueError`` naming both files and sizes, in
  training (where it would pass silently) and in evaluation (where it
  would end in an ``IndexError``).
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

import numpy as np
import torch
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.evaluation import IoUMetric

from .patching import wrap_attribute

__all__ = [
    'empty_split_message', 'check_label_size', 'report_label_range',
    'install'
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


def _checked_load_seg_map(load_seg_map: Callable) -> Callable:
    """``LoadAnnotations._load_seg_map`` followed by
    :func:`check_label_size`."""

    @functools.wraps(load_seg_map)
    def checked_load_seg_map(self: LoadAnnotations, results: dict) -> None:
        load_seg_map(self, results)
        check_label_size(results)

    return checked_load_seg_map


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
    """Wrap the three methods described above. Idempotent."""
    wrap_attribute(BaseSegDataset, 'load_data_list', _checked_load_data_list)
    wrap_attribute(LoadAnnotations, '_load_seg_map', _checked_load_seg_map)
    wrap_attribute(IoUMetric, 'process', _checked_process)
