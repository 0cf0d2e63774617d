# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Classes that trade places when an image is mirrored.

A dataset whose classes have a handedness (LIP's left and right arm, leg
and shoe) declares them in its ``METAINFO`` as ``flip_pairs``, pairs of
class names. :func:`resolve_flip_pairs` turns them into label indices of the
dataset's (possibly reduced) class list; the flip transform exchanges those
labels in the label maps (:func:`swap_label_pairs`) and the flip test-time
augmentation their scores in the predictions (:func:`pair_permutation`).
"""
from typing import Sequence, Tuple

import numpy as np

#: Flip directions that mirror the image (a diagonal flip is a rotation by
#: 180 degrees and keeps left and right).
MIRRORING_DIRECTIONS = ('horizontal', 'vertical')

LabelPairs = Tuple[Tuple[int, int], ...]


def resolve_flip_pairs(classes: Sequence[str],
                       flip_pairs: Sequence[Tuple[str, str]]) -> LabelPairs:
    """Turn pairs of class names into pairs of label indices.

    Args:
        classes (Sequence[str]): The dataset's classes, in label order.
        flip_pairs (Sequence[tuple[str, str]]): Pairs of class names that
            swap under a mirror flip.

    Returns:
        tuple[tuple[int, int], ...]: The label pairs of the pairs whose two
        classes are both in ``classes``.

    Raises:
        ValueError: If only one class of a pair is in ``classes`` (its
            mirror image would have no label), or a class is in two pairs.
    """
    index = {name: label for label, name in enumerate(classes)}
    pairs = []
    for pair in flip_pairs:
        present = [name for name in pair if name in index]
        if len(present) == 1:
            raise ValueError(
                f'flip pair {tuple(pair)} is only half in the classes: '
                f'{present[0]!r} has no mirrored class to become')
        if present:
            pairs.append((index[pair[0]], index[pair[1]]))
    labels = [label for pair in pairs for label in pair]
    if len(set(labels)) != len(labels):
        raise ValueError(f'a class appears in two flip pairs: {flip_pairs}')
    return tuple(pairs)


def swap_label_pairs(seg_map: np.ndarray, pairs: LabelPairs) -> np.ndarray:
    """Exchange the labels of each pair in a label map.

    Args:
        seg_map (np.ndarray): Label map of any shape and integer dtype.
        pairs (tuple[tuple[int, int], ...]): Label pairs to exchange.

    Returns:
        np.ndarray: A new label map; labels outside ``pairs`` (including
        the ignore index) are unchanged.
    """
    swapped = seg_map.copy()
    for left, right in pairs:
        swapped[seg_map == left] = right
        swapped[seg_map == right] = left
    return swapped


def pair_permutation(num_classes: int, pairs: LabelPairs) -> np.ndarray:
    """The class order of a mirrored prediction.

    Args:
        num_classes (int): Number of classes C.
        pairs (tuple[tuple[int, int], ...]): Label pairs to exchange.

    Returns:
        np.ndarray: A permutation ``p`` of ``range(C)`` with
        ``p[left] == right`` and ``p[right] == left`` for each pair, so
        ``logits[p]`` turns class scores of a mirrored image into scores of
        the original classes.
    """
    permutation = np.arange(num_classes)
    for left, right in pairs:
        permutation[[left, right]] = right, left
    return permutation
