# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The embedded instance-segmentation benchmark: shapes on noise.

Each image (:data:`SIZE` x :data:`SIZE`) holds 2 to :data:`MAX_INSTANCES`
non-overlapping instances of three classes (:data:`CLASSES`: squares, discs
and triangles), each of its own random colour and size
(:data:`MIN_SIDE`-:data:`MAX_SIDE` pixels), on a noisy grey background. An
instance is its polygon (the disc a 24-gon), from which its mask, box and
area follow exactly as COCO's tools (pycocotools) compute them: the image
is painted with the mask that pycocotools rasterises from the polygon.
Everything depends only on the generator passed in.
"""
from typing import List, NamedTuple, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

__all__ = [
    'CLASSES', 'PALETTE', 'SIZE', 'Instance', 'render', 'coco_annotation'
]

CLASSES = ('square', 'disc', 'triangle')
PALETTE = ((220, 20, 60), (119, 11, 32), (0, 0, 142))
SIZE = 128
MIN_SIDE, MAX_SIDE = 20, 44
MAX_INSTANCES = 5
DISC_VERTICES = 24


class Instance(NamedTuple):
    """One object of an image.

    Args:
        label (int): Index into :data:`CLASSES`.
        polygon (np.ndarray): (N, 2) float vertices (x, y) in pixels.
        mask (np.ndarray): (SIZE, SIZE) uint8, 1 inside the polygon.
    """
    label: int
    polygon: np.ndarray
    mask: np.ndarray


def _polygon(label: int, centre: np.ndarray, side: float,
             angle: float) -> np.ndarray:
    """Vertices of a shape of the given class around ``centre``."""
    if label == 0:
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * side / 2
        return centre + corners
    count = DISC_VERTICES if label == 1 else 3
    turns = angle + 2 * np.pi * np.arange(count) / count
    return centre + side / 2 * np.stack([np.cos(turns), np.sin(turns)], 1)


def _encode(polygon: np.ndarray) -> dict:
    """The polygon as pycocotools' run-length encoding of its mask."""
    return mask_utils.frPyObjects([polygon.flatten().tolist()], SIZE,
                                  SIZE)[0]


def _rasterize(polygon: np.ndarray) -> np.ndarray:
    """The polygon's mask as pycocotools draws it, (SIZE, SIZE) uint8."""
    return mask_utils.decode(_encode(polygon))


def render(rng: np.random.Generator) -> Tuple[np.ndarray, List[Instance]]:
    """One image and its instances.

    Args:
        rng (np.random.Generator): The item's generator.

    Returns:
        tuple[np.ndarray, list[Instance]]: The (SIZE, SIZE, 3) uint8 RGB
        image and its instances, which do not touch each other.
    """
    image = rng.normal(128, 20, (SIZE, SIZE, 3)).clip(0, 255)
    taken = np.zeros((SIZE, SIZE), bool)
    instances: List[Instance] = []
    wanted = int(rng.integers(2, MAX_INSTANCES + 1))
    for _ in range(50 * wanted):
        if len(instances) == wanted:
            break
        label = int(rng.integers(len(CLASSES)))
        side = rng.uniform(MIN_SIDE, MAX_SIDE)
        centre = rng.uniform(side / 2 + 1, SIZE - side / 2 - 1, 2)
        polygon = _polygon(label, centre, side, rng.uniform(0, 2 * np.pi))
        mask = _rasterize(polygon)
        grown = cv2.dilate(mask, np.ones((5, 5), np.uint8)).astype(bool)
        if (grown & taken).any():
            continue
        taken |= mask.astype(bool)
        image[mask.astype(bool)] = rng.integers(0, 256, 3)
        instances.append(Instance(label, polygon, mask))
    return image.astype(np.uint8), instances


def coco_annotation(instance: Instance, image_id: int,
                    annotation_id: int) -> dict:
    """The COCO annotation of an instance.

    Args:
        instance (Instance): The instance.
        image_id (int): Its image's id.
        annotation_id (int): Its own id.

    Returns:
        dict: ``segmentation`` (the polygon), ``bbox`` (x, y, w, h) and
        ``area`` of its mask as pycocotools computes them, ``category_id``
        (label + 1), ``iscrowd`` 0.
    """
    encoded = _encode(instance.polygon)
    return dict(
        id=annotation_id,
        image_id=image_id,
        category_id=instance.label + 1,
        segmentation=[instance.polygon.flatten().tolist()],
        bbox=[float(v) for v in mask_utils.toBbox(encoded)],
        area=float(mask_utils.area(encoded)),
        iscrowd=0)
