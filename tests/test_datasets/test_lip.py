# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmseg.datasets import LIPDataset as MMSegLIPDataset
from mmseg.registry import DATASETS

from dataset_layouts import LEFT_ARM, RIGHT_ARM, lip_person, make_converted
from mmseg_ccnet.datasets import LIPDataset

# LIP's 20 labels (CE2P's utils/miou.py; MMSegmentation spells
# 'Upper-clothes' as 'UpperClothes').
OFFICIAL = ('Background', 'Hat', 'Hair', 'Glove', 'Sunglasses',
            'UpperClothes', 'Dress', 'Coat', 'Socks', 'Pants', 'Jumpsuits',
            'Scarf', 'Skirt', 'Face', 'Left-arm', 'Right-arm', 'Left-leg',
            'Right-leg', 'Left-shoe', 'Right-shoe')


@pytest.fixture(scope='module')
def lip_root(tmp_path_factory):
    return make_converted('lip', tmp_path_factory.mktemp('lip'))


def build(lip_root, split='train', **kwargs):
    return DATASETS.build(
        dict(
            type='LIPDataset',
            data_root=lip_root,
            data_prefix=dict(
                img_path=f'img_dir/{split}', seg_map_path=f'ann_dir/{split}'),
            **kwargs))


def test_classes_palette_and_pairs():
    meta = LIPDataset.METAINFO
    assert meta['classes'] == OFFICIAL
    assert len(meta['palette']) == 20
    assert len({tuple(color) for color in meta['palette']}) == 20
    assert meta['palette'] == MMSegLIPDataset.METAINFO['palette']
    assert meta['flip_pairs'] == (('Left-arm', 'Right-arm'),
                                  ('Left-leg', 'Right-leg'),
                                  ('Left-shoe', 'Right-shoe'))


def test_registered_as_a_drop_in_for_mmseg_lip():
    assert DATASETS.get('LIPDataset') is LIPDataset
    assert issubclass(LIPDataset, MMSegLIPDataset)


def test_samples_carry_the_label_pairs(lip_root):
    train, val = build(lip_root), build(lip_root, 'val')
    assert (len(train), len(val)) == (3, 2)
    info = train.get_data_info(0)
    assert info['flip_label_pairs'] == ((14, 15), (16, 17), (18, 19))
    assert osp.isfile(info['img_path']) and osp.isfile(info['seg_map_path'])


def test_reduced_classes_remap_the_pairs(lip_root):
    dataset = build(
        lip_root, metainfo=dict(classes=('Background', 'Left-arm',
                                         'Right-arm')))
    assert dataset.get_data_info(0)['flip_label_pairs'] == ((1, 2), )


def test_flipped_sample_keeps_the_person_s_left_arm_left(lip_root):
    """A mirrored front-facing person still has the left arm on the image's
    right: flipping alone would call it a right arm."""
    loading = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
    plain = build(lip_root, pipeline=loading)[0]['gt_seg_map']
    np.testing.assert_array_equal(plain, lip_person())
    flipped = build(
        lip_root,
        pipeline=loading + [dict(type='PairedRandomFlip', prob=1.)
                            ])[0]['gt_seg_map']
    np.testing.assert_array_equal(flipped, plain)  # the person is symmetric
    only_flipped = build(
        lip_root, pipeline=loading + [dict(type='RandomFlip', prob=1.)
                                      ])[0]['gt_seg_map']
    assert (only_flipped[plain == LEFT_ARM] == RIGHT_ARM).all()


@pytest.mark.slow
def test_says_once_per_process_what_it_builds(tmp_path):
    """Silent on import; the first dataset built logs the replacement."""
    code = ('import mmseg_ccnet\n'
            "print('imported')\n"
            'from mmseg.registry import DATASETS\n'
            'for _ in range(2):\n'
            "    DATASETS.build(dict(type='LIPDataset', lazy_init=True,\n"
            f'                        data_root={str(tmp_path)!r}))\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            check=True)
    on_import, on_build = result.stdout.split('imported\n')
    assert 'LIPDataset' not in on_import
    assert on_build.count(
        "type='LIPDataset' builds mmseg_ccnet.datasets.lip.LIPDataset, "
        "MMSegmentation's LIPDataset plus the left/right class pairs") == 1
