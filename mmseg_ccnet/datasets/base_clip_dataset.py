# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import os.path as osp
import re
from typing import Dict, List, NamedTuple, Tuple

from mmengine import fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..utils import clip_frame_numbers

#: ``<sequence>_<frame number>``, the number optionally after letters
#: (CamVid: ``0001TP_006690``, ``Seq05VD_f00030``).
FRAME_NAME = re.compile(r'^(?P<sequence>.+)_[^\W\d_]*(?P<number>\d+)$')


def parse_frame_name(path: str) -> Tuple[str, int]:
    """Sequence and frame number of a frame file.

    Args:
        path (str): A path whose file name is
            ``<sequence>_<frame number><suffix>``.

    Returns:
        tuple[str, int]: The sequence name and the frame number.
    """
    stem = osp.splitext(osp.basename(path))[0]
    match = FRAME_NAME.match(stem)
    if match is None:
        raise ValueError(f'{path}: frame files must be named '
                         '<sequence>_<frame number>, e.g. 0001TP_006690.png')
    return match['sequence'], int(match['number'])


class SequenceFrames(NamedTuple):
    """The frame files of a video sequence.

    Args:
        paths (dict[int, str]): Path of each frame, by frame number.
        ends (tuple[int, ...]): The first and last frame numbers, or ``()``
            for a sequence without frames.
    """
    paths: Dict[int, str]
    ends: Tuple[int, ...]


@DATASETS.register_module()
class BaseClipDataset(BaseSegDataset):
    """Labelled video frames, each with the clip of frames around it.

    The labelled (key) frames and their labels are found as
    :class:`BaseSegDataset` finds images and labels; each key frame also
    gets ``clip_paths``, the ``num_frames`` frames of its sequence around
    it, ``frame_stride`` frame numbers apart and clamped to the sequence
    (:func:`~mmseg_ccnet.utils.clip_frame_numbers`): the key frame is at
    index ``num_frames // 2`` of every clip and is the labelled image
    itself. Load the clips with ``LoadClipFromFiles``. Layout::

        data_root
        ├── img_dir/<split>/<sequence>_<frame>.png     labelled frames
        ├── ann_dir/<split>/<sequence>_<frame>.png     their labels
        └── frame_dir/<sequence>/<sequence>_<frame>.png
                                                       frames of the videos

    ``<frame>`` is the frame number in the video (digits, optionally after
    letters); the first and last frame numbers found in a sequence's
    folder are its ends.

    Args:
        num_frames (int): Frames per clip T. Defaults to 1 (the key frame
            alone; no ``frame_dir`` needed).
        frame_stride (int): Frame numbers between neighbouring frames of a
            clip. Defaults to 1.
        frame_suffix (str): Suffix of the files in ``frame_dir``.
            Defaults to '.png'.
        data_prefix (dict): ``img_path`` and ``seg_map_path`` as for
            :class:`BaseSegDataset`, and ``frame_path``, the folder of the
            sequences. Defaults to ``img_dir``, ``ann_dir`` and
            ``frame_dir``.
        **kwargs: Further arguments of :class:`BaseSegDataset`.
    """

    def __init__(self,
                 num_frames: int = 1,
                 frame_stride: int = 1,
                 frame_suffix: str = '.png',
                 data_prefix: dict = dict(
                     img_path='img_dir',
                     seg_map_path='ann_dir',
                     frame_path='frame_dir'),
                 **kwargs) -> None:
        if num_frames < 1 or frame_stride < 1:
            raise ValueError('num_frames and frame_stride must be >= 1, got '
                             f'{num_frames} and {frame_stride}')
        self.num_frames = num_frames
        self.frame_stride = frame_stride
        self.frame_suffix = frame_suffix
        super().__init__(data_prefix=data_prefix, **kwargs)

    def sequence_frames(self, sequence: str) -> SequenceFrames:
        """The frame files of a sequence in ``frame_dir``.

        Args:
            sequence (str): The sequence name.

        Returns:
            SequenceFrames: Path of each frame, by frame number, and the
            first and last frame numbers.
        """
        folder = osp.join(self.data_prefix['frame_path'], sequence)
        paths = {
            parse_frame_name(name)[1]: osp.join(folder, name)
            for name in fileio.list_dir_or_file(
                folder,
                list_dir=False,
                suffix=self.frame_suffix,
                backend_args=self.backend_args)
        }
        return SequenceFrames(paths,
                              (min(paths), max(paths)) if paths else ())

    def clip_paths(self, img_path: str, key: int,
                   frames: SequenceFrames) -> List[str]:
        """The frame files of the clip around a labelled frame.

        Args:
            img_path (str): The labelled frame.
            key (int): Its frame number.
            frames (SequenceFrames): The frames of its sequence (see
                :meth:`sequence_frames`).

        Returns:
            list[str]: ``num_frames`` paths, ``img_path`` at the centre,
            clamped to the sequence's ends (extended to ``key`` if it lies
            beyond them).
        """
        first, last = min((key, *frames.ends)), max((key, *frames.ends))
        numbers = clip_frame_numbers(key, first, last, self.num_frames,
                                     self.frame_stride)
        others = {n for n in numbers if n != key}
        missing = sorted(others - frames.paths.keys())
        if missing:
            raise FileNotFoundError(
                f'the clip of {img_path} needs frames {missing} of its '
                f'sequence in {self.data_prefix["frame_path"]}')
        return [img_path if n == key else frames.paths[n] for n in numbers]

    def load_data_list(self) -> List[dict]:
        """Find the labelled frames, their labels and their clips.

        The frames of a sequence are listed once, and only for clips of
        more than one frame.

        Returns:
            list[dict]: The data infos of :class:`BaseSegDataset` with
            ``clip_paths`` added.
        """
        data_list = super().load_data_list()
        sequences = {}
        for info in data_list:
            sequence, key = parse_frame_name(info['img_path'])
            if self.num_frames > 1 and sequence not in sequences:
                sequences[sequence] = self.sequence_frames(sequence)
            info['clip_paths'] = self.clip_paths(
                info['img_path'], key,
                sequences.get(sequence, SequenceFrames({}, ())))
        return data_list
