# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from ..datasets.synthetic import cc_instances, instance_layout


@DATASETS.register_module()
class CrissCrossInstanceDataset(CocoDataset):
    """Embedded instance-segmentation benchmark in COCO's format.

    Squares, discs and triangles of random colours and sizes on noise
    (:mod:`mmseg_ccnet.datasets.synthetic.instance_layout`), generated
    deterministically from ``seed`` into ``data_root`` on first use as PNG
    images and COCO annotation files (polygons, boxes, areas), which
    MMDetection's ``CocoDataset`` and ``CocoMetric`` read as they read COCO.

    Args:
        data_root (str): Folder of the generated data.
        ann_file (str): Annotation file of the split, relative to
            ``data_root``. Defaults to the training split's.
        data_prefix (dict): Image folder of the split. Defaults to the
            training split's.
        seed (int): Seed of the generator. Defaults to 0.
        num_train (int): Number of training images. Defaults to 400.
        num_val (int): Number of validation images. Defaults to 100.
        **kwargs: Further arguments of ``CocoDataset``.
    """
    METAINFO = dict(
        classes=instance_layout.CLASSES,
        palette=[list(colour) for colour in instance_layout.PALETTE])

    def __init__(self,
                 data_root: str,
                 ann_file: str = cc_instances.annotation_file('train'),
                 data_prefix: dict = dict(img='images/train/'),
                 seed: int = 0,
                 num_train: int = 400,
                 num_val: int = 100,
                 **kwargs) -> None:
        cc_instances.generate(data_root, seed, num_train, num_val)
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix,
            **kwargs)
