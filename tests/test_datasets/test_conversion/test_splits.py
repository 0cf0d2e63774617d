# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import mmcv
import numpy as np
import pytest

from mmseg_ccnet.datasets.conversion import Sample, check_labels, write_split


def keep(seg_map, path):
    return seg_map


@pytest.fixture
def samples(tmp_path):
    """Two images with label maps of different sizes."""
    found = []
    for stem, shape in (('a', (4, 6)), ('b', (5, 3))):
        img_path = str(tmp_path / 'official' / f'{stem}.jpg')
        seg_map_path = str(tmp_path / 'official' / f'{stem}_label.png')
        mmcv.imwrite(np.zeros((*shape, 3), np.uint8), img_path)
        mmcv.imwrite(np.ones(shape, np.uint8), seg_map_path)
        found.append(Sample(stem, img_path, seg_map_path))
    return found


@pytest.mark.parametrize('nproc', [1, 2])
def test_returns_the_shape_of_every_label_map(samples, tmp_path, nproc):
    out = tmp_path / 'out'
    shapes = write_split(samples, str(out), 'val', keep, 2, nproc)
    assert shapes == dict(a=(4, 6), b=(5, 3))
    assert list(shapes) == ['a', 'b']
    for stem, shape in shapes.items():
        assert (out / 'img_dir' / 'val' / f'{stem}.jpg').is_file()
        written = mmcv.imread(
            str(out / 'ann_dir' / 'val' / f'{stem}.png'), flag='unchanged')
        assert written.shape == shape


def test_repeated_stems_are_refused(samples, tmp_path):
    with pytest.raises(ValueError, match='repeated file names'):
        write_split([samples[0], samples[0]], str(tmp_path / 'out'), 'val',
                    keep, 2)


def test_check_labels_names_the_file_and_the_labels():
    check_labels(np.array([[0, 2]]), range(3), 'x.png')
    with pytest.raises(ValueError, match=r'x.png has labels \[3, 7\]'):
        check_labels(np.array([[0, 3, 7]]), range(3), 'x.png')
