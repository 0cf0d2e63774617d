# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Writing the embedded instance-segmentation benchmark in COCO's format.

``data_root/images/{train,val}/<index>.png`` and
``data_root/annotations/instances_{train,val}.json``, generated once from a
seed (:mod:`.instance_layout` draws the images). MMDetection reads them with
``CrissCrossInstanceDataset`` (:mod:`mmseg_ccnet.detection`).
"""
import json
import os
import os.path as osp

import mmcv

from . import instance_layout
from .generation import generate_once, item_rng

__all__ = ['annotation_file', 'write_split', 'generate']


def annotation_file(split: str) -> str:
    """The COCO annotation file of a split, relative to ``data_root``."""
    return f'annotations/instances_{split}.json'


def generation_meta(seed: int, num_train: int, num_val: int) -> dict:
    """What identifies a generated copy of the dataset."""
    return dict(
        dataset='CrissCrossInstanceDataset',
        layout=dict(
            size=instance_layout.SIZE,
            sides=[instance_layout.MIN_SIDE, instance_layout.MAX_SIDE],
            max_instances=instance_layout.MAX_INSTANCES),
        seed=seed,
        num_images=dict(train=num_train, val=num_val))


def write_split(root: str, split: str, seed: int, count: int) -> None:
    """Render ``count`` images of one split and their COCO annotations.

    Image ``i`` of split ``s`` depends only on ``(seed, s, i)``.

    Args:
        root (str): Dataset folder.
        split (str): ``'train'`` or ``'val'``.
        seed (int): Seed of the generator.
        count (int): Number of images.
    """
    images, annotations = [], []
    for index in range(count):
        image, instances = instance_layout.render(
            item_rng(seed, split, index))
        name = f'{index:05d}.png'
        mmcv.imwrite(
            mmcv.rgb2bgr(image), osp.join(root, 'images', split, name))
        images.append(
            dict(
                id=index,
                file_name=name,
                height=instance_layout.SIZE,
                width=instance_layout.SIZE))
        annotations += [
            instance_layout.coco_annotation(instance, index,
                                            len(annotations) + number)
            for number, instance in enumerate(instances)
        ]
    categories = [
        dict(id=label + 1, name=name)
        for label, name in enumerate(instance_layout.CLASSES)
    ]
    path = osp.join(root, annotation_file(split))
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as file:
        json.dump(
            dict(
                images=images,
                annotations=annotations,
                categories=categories), file)


def generate(data_root: str, seed: int, num_train: int, num_val: int) -> None:
    """Generate the dataset into ``data_root`` unless it is there already.

    See :func:`~mmseg_ccnet.datasets.synthetic.generation.generate_once`.

    Args:
        data_root (str): Target folder.
        seed (int): Seed of the generator.
        num_train (int): Number of training images.
        num_val (int): Number of validation images.

    Raises:
        ValueError: If ``data_root`` holds something else.
    """
    generate_once(data_root, generation_meta(seed, num_train, num_val),
                  write_split, seed, dict(train=num_train, val=num_val),
                  'images')
