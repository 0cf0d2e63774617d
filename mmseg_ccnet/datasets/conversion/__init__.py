# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Conversion of datasets from their official downloads to MMSegmentation's
``img_dir``/``ann_dir`` layout, shared by ``tools/dataset_converters/``."""
from .camvid_segnet import convert_segnet_label, segnet_split_samples
from .splits import Sample, check_labels, convert_splits, write_split

__all__ = [
    'Sample', 'check_labels', 'convert_segnet_label', 'convert_splits',
    'segnet_split_samples', 'write_split'
]
