# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/dataset_converters/{lip,camvid}.py on fixtures in the official
download layouts."""
import filecmp
from pathlib import Path

import mmcv
import numpy as np
import pytest

from dataset_layouts import (
    make_camvid_segnet,
    make_lip_official,
    run_converter,
)


def read(path: Path) -> np.ndarray:
    return mmcv.imread(str(path), flag='unchanged')


def test_lip_keeps_ids_images_and_labels(tmp_path):
    official = Path(make_lip_official(str(tmp_path / 'LIP')))
    run_converter('lip', str(official), '-o', str(tmp_path / 'out'))
    images = official / 'TrainVal_images' / 'TrainVal_images'
    labels = (official / 'TrainVal_parsing_annotations' /
              'TrainVal_parsing_annotations')
    for split, count in (('train', 3), ('val', 2)):
        ids = (images / f'{split}_id.txt').read_text().split()
        assert len(ids) == count
        out = tmp_path / 'out'
        assert sorted(p.stem for p in (out / 'img_dir' / split).iterdir()
                      ) == sorted(ids)
        for id_ in ids:
            assert filecmp.cmp(images / f'{split}_images' / f'{id_}.jpg',
                               out / 'img_dir' / split / f'{id_}.jpg',
                               shallow=False)
            np.testing.assert_array_equal(
                read(out / 'ann_dir' / split / f'{id_}.png'),
                read(labels / f'{split}_segmentations' / f'{id_}.png'))


def test_lip_follows_the_id_list(tmp_path):
    official = Path(make_lip_official(str(tmp_path / 'LIP')))
    id_file = official / 'TrainVal_images' / 'TrainVal_images' / 'val_id.txt'
    first = id_file.read_text().split()[0]
    id_file.write_text(first + '\n')
    run_converter('lip', str(official), '-o', str(tmp_path / 'out'))
    assert [p.stem for p in (tmp_path / 'out/ann_dir/val').iterdir()
            ] == [first]


def test_lip_refuses_unknown_labels(tmp_path):
    official = Path(make_lip_official(str(tmp_path / 'LIP')))
    label_file = next(official.rglob('train_segmentations/*.png'))
    label = read(label_file)
    label[0, 0] = 20
    mmcv.imwrite(label, str(label_file))
    with pytest.raises(ValueError, match=rf'{label_file.name} has labels '
                       r'\[20\] outside'):
        run_converter('lip', str(official), '-o', str(tmp_path / 'out'))


def test_lip_says_what_is_missing(tmp_path):
    official = Path(make_lip_official(str(tmp_path / 'LIP')))
    next(official.rglob('val_images/*.jpg')).unlink()
    with pytest.raises(FileNotFoundError, match='val sample .* is missing'):
        run_converter('lip', str(official), '-o', str(tmp_path / 'out'))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="one folder 'train_images'"):
        run_converter('lip', str(empty), '-o', str(tmp_path / 'out2'))


def test_camvid_writes_void_as_ignore_and_keeps_stems(tmp_path):
    official = Path(make_camvid_segnet(str(tmp_path / 'CamVid')))
    run_converter('camvid', str(official), '-o', str(tmp_path / 'out'))
    seen_void = False
    for split, count in (('train', 3), ('val', 2), ('test', 2)):
        sources = sorted((official / f'{split}annot').iterdir())
        assert len(sources) == count
        for source in sources:
            converted = read(tmp_path / 'out/ann_dir' / split / source.name)
            original = read(source)
            void = original == 11
            seen_void |= void.any()
            assert (converted[void] == 255).all()
            np.testing.assert_array_equal(converted[~void], original[~void])
            assert filecmp.cmp(official / split / source.name,
                               tmp_path / 'out/img_dir' / split / source.name,
                               shallow=False)
    assert seen_void  # the fixture exercises the void label


def test_camvid_follows_the_split_lists(tmp_path):
    official = Path(make_camvid_segnet(str(tmp_path / 'CamVid')))
    lines = (official / 'test.txt').read_text().splitlines()
    (official / 'test.txt').write_text(lines[1] + '\n')
    run_converter('camvid', str(official), '-o', str(tmp_path / 'out'))
    assert [p.name for p in (tmp_path / 'out/img_dir/test').iterdir()
            ] == [Path(lines[1].split()[0]).name]


def test_camvid_refuses_labels_beyond_void(tmp_path):
    official = Path(make_camvid_segnet(str(tmp_path / 'CamVid')))
    label_file = next((official / 'valannot').iterdir())
    label = read(label_file)
    label[0, 0] = 12
    mmcv.imwrite(label, str(label_file))
    with pytest.raises(ValueError, match=r'has labels \[12\] outside'):
        run_converter('camvid', str(official), '-o', str(tmp_path / 'out'))
