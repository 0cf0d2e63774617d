# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import json
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmseg.registry import DATASETS

from mmseg_ccnet.datasets.synthetic import context_layout as layout
from mmseg_ccnet.datasets.synthetic.cc_context import generate
from mmseg_ccnet.utils import level_map_path
from runner_utils import png_files

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('cc') / 'data')
    generate(root, seed=3, num_train=12, num_val=4)
    return root


def test_deterministic_for_a_seed(data_root, tmp_path):
    again = str(tmp_path / 'again')
    generate(again, seed=3, num_train=12, num_val=4)
    assert png_files(again) == png_files(data_root)
    other = str(tmp_path / 'other')
    generate(other, seed=4, num_train=12, num_val=4)
    assert png_files(other).keys() == png_files(data_root).keys()
    assert png_files(other) != png_files(data_root)


def test_layout_of_files(data_root):
    names = png_files(data_root).keys()
    for split, count in (('train', 12), ('val', 4)):
        for folder in ('img_dir', 'ann_dir', 'level_dir'):
            assert sum(n.startswith(f'{folder}/{split}/') for n in names) \
                == count
    meta = json.loads((Path(data_root) / 'meta.json').read_text())
    assert meta['seed'] == 3 and meta['num_images'] == dict(train=12, val=4)
    assert not list(Path(data_root).parent.glob('.data-*'))  # staging


def centre_colour(image, row, col):
    window = layout.square(row, col)
    return image[window].reshape(-1, 3).astype(float)


def nearest_key(rgb):
    """Index (1..4) of the key colour closest to an RGB value."""
    palette = np.asarray(layout.PALETTE[1:], dtype=float)
    return int(np.argmin(((palette - rgb)**2).sum(1))) + 1


def expected_from_image(image):
    """The labelling rule, applied to what the image shows.

    Reads the keys' colours and the targets' textures from the pixels and
    derives every label and level, independently of the generator's code.
    """
    label = np.zeros(image.shape[:2], np.uint8)
    level = np.zeros(image.shape[:2], np.uint8)
    ring = centre_colour(image, 0, 0).reshape(layout.PATCH, layout.PATCH, 3)
    global_key = nearest_key(ring[0].mean(0))  # top edge of the ring
    centre = slice(layout.PATCH // 2 - 1, layout.PATCH // 2 + 1)
    assert ring[centre, centre].mean() > 230  # white centre: the global key
    label[layout.square(0, 0)] = global_key
    for col in range(1, layout.GRID):  # checkerboards in the key's row
        window = layout.square(0, col)
        grey = image[window].astype(float).mean(2)
        assert np.abs(np.diff(grey.mean(1))).mean() < 40  # not stripes
        label[window], level[window] = global_key, layout.LEVEL_ROW
    for row in range(1, layout.GRID):
        row_key = nearest_key(centre_colour(image, row, 0).mean(0))
        label[layout.square(row, 0)] = row_key
        for col in range(1, layout.GRID):
            window = layout.square(row, col)
            grey = image[window].astype(float).mean(2)
            if grey.mean() < 90:  # background
                continue
            # stripes: rows alternate, columns do not
            row_profile = grey.mean(1)
            stripes = np.abs(np.diff(row_profile)).mean() > 40
            label[window] = row_key if stripes else global_key
            level[window] = layout.LEVEL_ROW if stripes else \
                layout.LEVEL_GLOBAL
    return label, level


def test_labels_follow_the_rule(data_root):
    levels_seen = set()
    for img in sorted((Path(data_root) / 'img_dir').rglob('*.png')):
        image = mmcv.imread(str(img), channel_order='rgb')
        label = mmcv.imread(
            str(img).replace('img_dir', 'ann_dir'), flag='unchanged')
        level = mmcv.imread(level_map_path(str(img)), flag='unchanged')
        expected_label, expected_level = expected_from_image(image)
        np.testing.assert_array_equal(label, expected_label)
        np.testing.assert_array_equal(level, expected_level)
        levels_seen |= set(np.unique(level).tolist())
    assert levels_seen == {0, 1, 2}


def test_context_pixels_are_out_of_local_reach(data_root):
    """Every target is >= CELL - PATCH pixels (Chebyshev) from every key."""
    for ann in (Path(data_root) / 'ann_dir').rglob('*.png'):
        label = mmcv.imread(str(ann), flag='unchanged')
        level = mmcv.imread(
            str(ann).replace('ann_dir', 'level_dir'), flag='unchanged')
        keys = np.argwhere((level == layout.LEVEL_LOCAL) & (label > 0))
        targets = np.argwhere(level > 0)
        distance = np.abs(targets[:, None] - keys[None]).max(-1).min()
        assert distance >= layout.CELL - layout.PATCH


def test_global_key_is_off_every_global_targets_row_and_column(data_root):
    window = layout.square(0, 0)
    for level_file in (Path(data_root) / 'level_dir').rglob('*.png'):
        level = mmcv.imread(str(level_file), flag='unchanged')
        rows, cols = np.nonzero(level == layout.LEVEL_GLOBAL)
        assert rows.min(initial=99) >= window[0].stop
        assert cols.min(initial=99) >= window[1].stop


def test_loads_through_mmseg_pipeline(data_root):
    dataset = DATASETS.build(
        dict(
            type='CrissCrossContextDataset',
            data_root=data_root,
            seed=3,
            num_train=12,
            num_val=4,
            data_prefix=dict(
                img_path='img_dir/val', seg_map_path='ann_dir/val'),
            pipeline=PIPELINE))
    assert len(dataset) == 4
    assert dataset.metainfo['classes'] == layout.CLASSES
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 64, 64)
    gt = sample['data_samples'].gt_sem_seg.data
    assert tuple(gt.shape) == (1, 64, 64) and int(gt.max()) <= 4


def test_other_data_in_the_folder_is_not_touched(data_root):
    before = png_files(data_root)
    with pytest.raises(ValueError, match='remove the folder'):
        generate(data_root, seed=5, num_train=12, num_val=4)
    assert png_files(data_root) == before


def test_generates_into_an_empty_folder(data_root, tmp_path):
    empty = tmp_path / 'made_by_user'
    empty.mkdir()
    generate(str(empty), seed=3, num_train=12, num_val=4)
    assert png_files(str(empty)) == png_files(data_root)
