# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The embedded instance benchmark: deterministic images whose COCO
annotations agree with their pixels."""
import json

import mmcv
import numpy as np
import pytest

from mmseg_ccnet.datasets.synthetic import cc_instances, instance_layout
from mmseg_ccnet.datasets.synthetic.generation import item_rng


def test_instances_do_not_touch_and_have_their_colour():
    for index in range(20):
        image, instances = instance_layout.render(item_rng(3, 'train', index))
        assert image.shape == (instance_layout.SIZE, ) * 2 + (3, )
        assert 2 <= len(instances) <= instance_layout.MAX_INSTANCES
        total = np.zeros(image.shape[:2], int)
        for instance in instances:
            total += instance.mask
            colours = np.unique(image[instance.mask.astype(bool)], axis=0)
            assert len(colours) == 1  # one solid colour inside the shape
        assert total.max() == 1


def test_same_seed_same_image():
    a, first = instance_layout.render(item_rng(0, 'val', 7))
    b, second = instance_layout.render(item_rng(0, 'val', 7))
    np.testing.assert_array_equal(a, b)
    assert [i.label for i in first] == [i.label for i in second]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('cc_instances') / 'data'
    cc_instances.generate(str(root), seed=0, num_train=6, num_val=3)
    return root


def test_coco_annotations_match_the_pixels(data_root):
    from pycocotools.coco import COCO
    coco = COCO(str(data_root / cc_instances.annotation_file('train')))
    assert sorted(coco.getImgIds()) == list(range(6))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(
        instance_layout.CLASSES)
    for image_id in coco.getImgIds():
        info, = coco.loadImgs(image_id)
        image = mmcv.imread(str(data_root / 'images' / 'train' /
                                info['file_name']))
        assert image.shape[:2] == (info['height'], info['width'])
        for annotation in coco.loadAnns(coco.getAnnIds(imgIds=image_id)):
            mask = coco.annToMask(annotation).astype(bool)
            assert mask.sum() == annotation['area']
            x, y, w, h = annotation['bbox']
            ys, xs = np.nonzero(mask)
            assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (
                x, y, x + w, y + h)
            # the painted shape is the annotated mask: one solid colour
            assert len(np.unique(image[mask], axis=0)) == 1
            assert annotation['iscrowd'] == 0


def test_generation_is_written_once_and_checked(data_root):
    meta = json.loads((data_root / 'meta.json').read_text())
    assert meta['dataset'] == 'CrissCrossInstanceDataset'
    before = (data_root / cc_instances.annotation_file('val')).read_bytes()
    cc_instances.generate(str(data_root), seed=0, num_train=6, num_val=3)
    assert (data_root / cc_instances.annotation_file('val')).read_bytes() \
        == before
    with pytest.raises(ValueError, match='does not hold'):
        cc_instances.generate(str(data_root), seed=1, num_train=6, num_val=3)
