# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A config as a user writes it: MMSegmentation's own CCNet bases, the
plugin added by ``custom_imports`` only, nothing of this package's configs.

The model is MMSegmentation's ``ccnet_r50-d8`` reduced to a ResNetV1c-18
with 16 base channels and BN (no pretrained weights); the data is the tiny
Cityscapes of :func:`runner_utils.make_tiny_cityscapes`, read by
MMSegmentation's ``CityscapesDataset`` with ``IoUMetric``.
"""
import shutil
from pathlib import Path
from typing import Tuple

from runner_utils import make_tiny_cityscapes, run_tool

USER_CONFIG = '''\
_base_ = [
    'mmseg::_base_/models/ccnet_r50-d8.py',
    'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmseg_ccnet'])
crop_size = (32, 32)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        depth=18, stem_channels=16, base_channels=16, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=128, channels=16, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=64, channels=16, norm_cfg=norm_cfg))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root={data_root!r}, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root={data_root!r}, pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='PolyLR', power=0.9, begin=0, end=4, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=2,
        save_best='mIoU'))
'''


def write_user_config(folder: Path, data_root: str) -> Path:
    """Write the user config for ``data_root`` into ``folder``.

    Args:
        folder (Path): Where to write ``user_ccnet.py``.
        data_root (str): Folder of a tiny Cityscapes.

    Returns:
        Path: The config file.
    """
    path = Path(folder) / 'user_ccnet.py'
    path.write_text(USER_CONFIG.format(data_root=str(data_root)))
    return path


def train_user_run(folder: Path) -> Tuple[Path, Path]:
    """Train the user config for its 2 iterations in ``folder``.

    Args:
        folder (Path): Gets the data (``cityscapes/``), the config and the
            work dir (``work_dir/``, with ``iter_2.pth``).

    Returns:
        tuple[Path, Path]: The config file and the work dir.
    """
    config = write_user_config(
        folder, make_tiny_cityscapes(str(folder / 'cityscapes')))
    work_dir = folder / 'work_dir'
    run_tool('train.py', config, '--work-dir', work_dir)
    return config, work_dir


def copy_run(work_dir: Path, folder: Path) -> Path:
    """A copy of a work dir whose ``last_checkpoint`` names its own files.

    Args:
        work_dir (Path): The work dir of :func:`train_user_run`.
        folder (Path): Where the copy goes (``folder/work_dir``).

    Returns:
        Path: The copy.
    """
    copy = Path(shutil.copytree(work_dir, folder / 'work_dir'))
    pointer = copy / 'last_checkpoint'
    pointer.write_text(pointer.read_text().replace(str(work_dir), str(copy)))
    return copy
