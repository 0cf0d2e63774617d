# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

from dataset_layouts import (
    LEFT_ARM,
    LEFT_SHOE,
    RIGHT_ARM,
    RIGHT_SHOE,
    lip_person,
)

PAIRS = ((14, 15), (16, 17), (18, 19))


def sample(seg_map, pairs=PAIRS):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, seg_map.shape + (3, )).astype(np.uint8)
    results = dict(img=image, gt_seg_map=seg_map, seg_fields=['gt_seg_map'])
    if pairs is not None:
        results['flip_label_pairs'] = pairs
    return results


def flip(results, direction='horizontal'):
    transform = TRANSFORMS.build(
        dict(type='PairedRandomFlip', prob=1., direction=direction))
    return transform(dict(results))


def one_sided_arm():
    """Only a left arm, on the image's right, plus 255 in a corner."""
    seg_map = np.zeros((8, 6), np.uint8)
    seg_map[2:5, 4:] = LEFT_ARM
    seg_map[7, 0] = 255
    return seg_map


def test_after_one_flip_a_left_arm_is_a_right_arm():
    seg_map = one_sided_arm()
    flipped = flip(sample(seg_map))
    assert flipped['flip'] and flipped['flip_direction'] == 'horizontal'
    expected = np.zeros_like(seg_map)
    expected[2:5, :2] = RIGHT_ARM
    expected[7, 5] = 255
    np.testing.assert_array_equal(flipped['gt_seg_map'], expected)
    np.testing.assert_array_equal(flipped['img'],
                                  sample(seg_map)['img'][:, ::-1])


@pytest.mark.parametrize('direction', ['horizontal', 'vertical', 'diagonal'])
def test_flipping_twice_restores_image_and_labels(direction):
    original = sample(lip_person())
    twice = flip(flip(original, direction), direction)
    np.testing.assert_array_equal(twice['gt_seg_map'], lip_person())
    np.testing.assert_array_equal(twice['img'], original['img'])


def test_vertical_flip_mirrors_too_diagonal_does_not():
    seg_map = one_sided_arm()
    vertical = flip(sample(seg_map), 'vertical')['gt_seg_map']
    assert set(np.unique(vertical)) == {0, RIGHT_ARM, 255}
    diagonal = flip(sample(seg_map), 'diagonal')['gt_seg_map']
    np.testing.assert_array_equal(diagonal, seg_map[::-1, ::-1])


def test_without_pairs_it_is_a_plain_flip():
    seg_map = lip_person()
    flipped = flip(sample(seg_map, pairs=None))['gt_seg_map']
    np.testing.assert_array_equal(flipped, seg_map[:, ::-1])
    assert (flipped[seg_map == LEFT_SHOE][::-1] == RIGHT_SHOE).all()


def test_no_flip_changes_nothing():
    transform = TRANSFORMS.build(dict(type='PairedRandomFlip', prob=0.))
    results = transform(sample(one_sided_arm()))
    assert not results['flip']
    np.testing.assert_array_equal(results['gt_seg_map'], one_sided_arm())


def test_static_swap_pairs_are_refused():
    with pytest.raises(TypeError):
        TRANSFORMS.build(
            dict(type='PairedRandomFlip', prob=1., swap_seg_labels=PAIRS))
