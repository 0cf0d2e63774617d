# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import os.path as osp

import mmcv
from mmseg.registry import DATASETS

from ..base_clip_dataset import BaseClipDataset
from . import context_layout, video_layout
from .cc_context import CrissCrossContextDataset
from .generation import generate_once, item_rng, write_labelled


def generation_meta(seed: int, num_train: int, num_val: int) -> dict:
    """What identifies a generated copy of the dataset."""
    return dict(
        dataset='CrissCrossVideoDataset',
        board=[context_layout.CELL, context_layout.GRID, context_layout.PATCH],
        num_frames=video_layout.NUM_FRAMES,
        cell_probs=list(video_layout.CELL_PROBS),
        seed=seed,
        num_sequences=dict(train=num_train, val=num_val))


def write_split(root: str, split: str, seed: int, count: int) -> None:
    """Render ``count`` sequences of one split into ``root``.

    Sequence ``i`` of split ``s`` depends only on ``(seed, s, i)``. Its
    frames go to ``frame_dir/s/<i>/<i>_<t>.png``; its labelled frame, label
    and level map to ``{img,ann,level}_dir/s/<i>_<KEY_FRAME>.png``.
    """
    for index in range(count):
        frames, label, level = video_layout.render_sequence(
            item_rng(seed, split, index))
        sequence = f'{index:05d}'
        for number, frame in enumerate(frames):
            mmcv.imwrite(
                mmcv.rgb2bgr(frame),
                osp.join(root, 'frame_dir', split, sequence,
                         f'{sequence}_{number:02d}.png'))
        key = video_layout.KEY_FRAME
        write_labelled(root, split, f'{sequence}_{key:02d}.png', frames[key],
                       label, level)


def generate(data_root: str, seed: int, num_train: int, num_val: int) -> None:
    """Generate ``num_train`` + ``num_val`` sequences drawn from ``seed``
    into ``data_root`` unless they are there already (see
    :func:`~mmseg_ccnet.datasets.synthetic.generation.generate_once`)."""
    generate_once(data_root, generation_meta(seed, num_train, num_val),
                  write_split, seed, dict(train=num_train, val=num_val),
                  f'sequences of {video_layout.NUM_FRAMES} frames')


@DATASETS.register_module()
class CrissCrossVideoDataset(BaseClipDataset):
    """Embedded video benchmark: labels that need evidence from other frames.

    Sequences of :mod:`video_layout` are generated deterministically from
    ``seed`` into ``data_root`` on first use, as PNG files in the layout of
    :class:`BaseClipDataset` (``frame_dir/<split>/<sequence>/``), plus the
    level map of every labelled frame in ``level_dir`` (0 local, 1 temporal
    evidence) for ``ContextIoUMetric``. Classes and palette are those of
    :class:`CrissCrossContextDataset`.

    Args:
        data_root (str): Folder of the generated data.
        data_prefix (dict): Folders of the split's labelled frames, labels
            and sequences. Defaults to the training split.
        seed (int): Seed of the generator. Defaults to 0.
        num_train (int): Number of training sequences. Defaults to 1000.
        num_val (int): Number of validation sequences. Defaults to 100.
        num_frames (int): Frames per clip. Defaults to the sequence length,
            ``video_layout.NUM_FRAMES``, which every target's evidence
            needs.
        **kwargs: Further arguments of :class:`BaseClipDataset`.
    """
    METAINFO = CrissCrossContextDataset.METAINFO

    def __init__(self,
                 data_root: str,
                 data_prefix: dict = dict(
                     img_path='img_dir/train',
                     seg_map_path='ann_dir/train',
                     frame_path='frame_dir/train'),
                 seed: int = 0,
                 num_train: int = 1000,
                 num_val: int = 100,
                 num_frames: int = video_layout.NUM_FRAMES,
                 **kwargs) -> None:
        generate(data_root, seed, num_train, num_val)
        super().__init__(
            data_root=data_root,
            data_prefix=data_prefix,
            num_frames=num_frames,
            img_suffix='.png',
            seg_map_suffix='.png',
            **kwargs)
