# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""MMDetection reads the embedded instance benchmark as it reads COCO."""
import importlib.util

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('mmdet') is None,
    reason='MMDetection is not installed (extra det or onedl-det)')


def test_dataset_generates_and_loads_instances(tmp_path):
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope

    import mmseg_ccnet.detection  # noqa: F401  (registers in mmdet)
    register_all_modules(init_default_scope=False)
    pipeline = [
        dict(type='LoadImageFromFile', _scope_='mmdet'),
        dict(
            type='LoadAnnotations',
            with_bbox=True,
            with_mask=True,
            _scope_='mmdet')
    ]
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = DATASETS.build(
            dict(
                type='CrissCrossInstanceDataset',
                data_root=str(tmp_path / 'data'),
                num_train=4,
                num_val=2,
                pipeline=pipeline))
    assert len(dataset) == 4
    assert dataset.metainfo['classes'] == ('square', 'disc', 'triangle')
    sample = dataset[0]
    assert sample['img'].shape == (128, 128, 3)
    assert len(sample['gt_bboxes']) == len(sample['gt_masks']) >= 2
    assert set(sample['gt_bboxes_labels']) <= {0, 1, 2}
