# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import numpy as np
import pytest

from mmseg_ccnet.datasets import LIPDataset
from mmseg_ccnet.utils import (
    pair_permutation,
    resolve_flip_pairs,
    swap_label_pairs,
)

LIP_CLASSES = LIPDataset.METAINFO['classes']
LIP_PAIRS = LIPDataset.METAINFO['flip_pairs']


def test_lip_pairs_resolve_to_the_limb_labels():
    assert resolve_flip_pairs(LIP_CLASSES,
                              LIP_PAIRS) == ((14, 15), (16, 17), (18, 19))


def test_pairs_follow_a_reduced_class_list():
    classes = ('Background', 'Right-arm', 'Face', 'Left-arm')
    assert resolve_flip_pairs(classes, LIP_PAIRS) == ((3, 1), )


def test_half_a_pair_is_an_error():
    with pytest.raises(ValueError, match="'Left-arm' has no mirrored class"):
        resolve_flip_pairs(('Background', 'Left-arm'), LIP_PAIRS)


def test_a_class_in_two_pairs_is_an_error():
    with pytest.raises(ValueError, match='two flip pairs'):
        resolve_flip_pairs(('a', 'b', 'c'), (('a', 'b'), ('b', 'c')))


def test_swapping_twice_restores_the_labels():
    rng = np.random.default_rng(0)
    seg_map = rng.integers(0, 20, (6, 7)).astype(np.uint8)
    seg_map[0, 0] = 255
    pairs = ((14, 15), (16, 17))
    once = swap_label_pairs(seg_map, pairs)
    np.testing.assert_array_equal(once[seg_map == 14], 15)
    np.testing.assert_array_equal(once[seg_map == 17], 16)
    np.testing.assert_array_equal(once[seg_map < 14], seg_map[seg_map < 14])
    assert once[0, 0] == 255
    np.testing.assert_array_equal(swap_label_pairs(once, pairs), seg_map)


def test_pair_permutation_is_an_involution():
    order = pair_permutation(20, ((14, 15), (18, 19)))
    assert order[14] == 15 and order[15] == 14 and order[19] == 18
    np.testing.assert_array_equal(order[order], np.arange(20))
    assert sorted(order) == list(range(20))
