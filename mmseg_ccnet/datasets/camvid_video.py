# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from mmseg.registry import DATASETS

from .base_clip_dataset import BaseClipDataset
from .camvid import CamVidDataset


@DATASETS.register_module()
class CamVidVideoDataset(BaseClipDataset):
    """CamVid as video: each labelled frame with its neighbouring frames.

    11 classes plus void (ignored), the SegNet 367/101/233 split of the
    labelled frames, and clips from the 30 Hz videos around them (see
    :class:`BaseClipDataset`). The layout, written by
    ``tools/dataset_converters/camvid_video.py``::

        data/camvid_video
        ├── img_dir/{train,val,test}/<sequence>_<frame>.png  (360x480)
        ├── ann_dir/{train,val,test}/<sequence>_<frame>.png  (0-10, 255)
        └── frame_dir/<sequence>/<sequence>_<frame>.png      (360x480)

    Args:
        **kwargs: Arguments of :class:`BaseClipDataset` (``num_frames``,
            ``frame_stride``, ``data_prefix``, ...).
    """
    METAINFO = CamVidDataset.METAINFO

    def __init__(self, **kwargs) -> None:
        super().__init__(img_suffix='.png', seg_map_suffix='.png', **kwargs)
