# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmseg.registry import DATASETS

from mmseg_ccnet.datasets.synthetic import context_layout
from mmseg_ccnet.datasets.synthetic import video_layout as layout
from mmseg_ccnet.datasets.synthetic.cc_video import generate
from runner_utils import png_files

PALETTE = np.asarray(context_layout.PALETTE, dtype=float)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('cc_video') / 'data')
    generate(root, seed=3, num_train=6, num_val=3)
    return root


def test_deterministic_for_a_seed(data_root, tmp_path):
    again = str(tmp_path / 'again')
    generate(again, seed=3, num_train=6, num_val=3)
    assert png_files(again) == png_files(data_root)
    with pytest.raises(ValueError, match='remove the folder'):
        generate(data_root, seed=4, num_train=6, num_val=3)


def test_layout_of_png_files(data_root):
    names = png_files(data_root).keys()
    for split, count in (('train', 6), ('val', 3)):
        for folder in ('img_dir', 'ann_dir', 'level_dir'):
            assert sum(n.startswith(f'{folder}/{split}/') for n in names) \
                == count
        assert sum(n.startswith(f'frame_dir/{split}/') for n in names) \
            == count * layout.NUM_FRAMES
    assert f'img_dir/train/00000_{layout.KEY_FRAME:02d}.png' in names
    assert 'frame_dir/val/00002/00002_04.png' in names


def cell_mean(image, row, col):
    return image[context_layout.square(row, col)].reshape(-1, 3).mean(0)


def nearest_colour(rgb):
    return int(np.argmin(((PALETTE - rgb)**2).sum(1)))


def test_labels_follow_the_rule(data_root):
    """Reading the frames: keys are solid in every frame; a target is a grey
    checkerboard in the labelled frame, and its class is the colour of the
    one other frame where its checkerboard is coloured."""
    levels_seen = set()
    for ann in sorted((Path(data_root) / 'ann_dir').rglob('*.png')):
        split, name = ann.parent.name, ann.stem
        sequence = name.split('_')[0]
        folder = Path(data_root) / 'frame_dir' / split / sequence
        frames = [
            mmcv.imread(
                str(folder / f'{sequence}_{t:02d}.png'), channel_order='rgb')
            for t in range(layout.NUM_FRAMES)
        ]
        key = mmcv.imread(
            str(Path(data_root) / 'img_dir' / split / f'{name}.png'),
            channel_order='rgb')
        np.testing.assert_array_equal(key, frames[layout.KEY_FRAME])
        label = mmcv.imread(str(ann), flag='unchanged')
        level = mmcv.imread(
            str(ann).replace('ann_dir', 'level_dir'), flag='unchanged')
        for row in range(context_layout.GRID):
            for col in range(context_layout.GRID):
                window = context_layout.square(row, col)
                means = [cell_mean(frame, row, col) for frame in frames]
                spread = [np.ptp(m) for m in means]  # grey: channels alike
                if max(spread) < 40:  # background in every frame
                    expected = 0
                    assert np.all(level[window] == 0)
                elif spread[layout.KEY_FRAME] < 40:  # a target
                    coloured = [t for t, s in enumerate(spread) if s >= 40]
                    assert len(coloured) == 1
                    light = frames[coloured[0]][window][
                        context_layout.texture(context_layout.GLOBAL_TARGET) ==
                        context_layout.GREY_LIGHT]
                    expected = nearest_colour(light.mean(0))
                    assert np.all(level[window] == layout.LEVEL_TEMPORAL)
                else:  # a key: the same colour in every frame
                    colours = {nearest_colour(m) for m in means}
                    assert len(colours) == 1
                    expected = colours.pop()
                    assert np.all(level[window] == layout.LEVEL_LOCAL)
                assert np.all(label[window] == expected)
        levels_seen |= set(np.unique(level).tolist())
    assert levels_seen == {0, 1}


def test_labelled_frame_alone_does_not_tell_a_targets_class(data_root):
    """All targets of every labelled frame look alike (up to noise)."""
    by_class = {}
    for ann in (Path(data_root) / 'ann_dir').rglob('*.png'):
        image = mmcv.imread(str(ann).replace('ann_dir', 'img_dir'))
        label = mmcv.imread(str(ann), flag='unchanged')
        level = mmcv.imread(
            str(ann).replace('ann_dir', 'level_dir'), flag='unchanged')
        for cls in range(1, 5):
            pixels = image[(label == cls) & (level == layout.LEVEL_TEMPORAL)]
            by_class.setdefault(cls, []).append(pixels.astype(float))
    means = [np.concatenate(p).mean(0) for p in by_class.values()]
    assert len(means) == 4
    assert np.ptp(np.asarray(means), axis=0).max() < 5


def test_loads_clips_through_mmseg_pipeline(data_root):
    dataset = DATASETS.build(
        dict(
            type='CrissCrossVideoDataset',
            data_root=data_root,
            seed=3,
            num_train=6,
            num_val=3,
            data_prefix=dict(
                img_path='img_dir/val',
                seg_map_path='ann_dir/val',
                frame_path='frame_dir/val'),
            pipeline=[
                dict(type='LoadClipFromFiles'),
                dict(type='LoadAnnotations'),
                dict(type='PackSegInputs')
            ]))
    assert len(dataset) == 3
    assert dataset.metainfo['classes'] == context_layout.CLASSES
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3 * layout.NUM_FRAMES, 64, 64)
    assert tuple(sample['data_samples'].gt_sem_seg.shape) == (64, 64)
    frame = mmcv.imread(f'{data_root}/frame_dir/val/00000/00000_00.png')
    np.testing.assert_array_equal(
        sample['inputs'][:3].permute(1, 2, 0).numpy(), frame)
