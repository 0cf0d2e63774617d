# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from functools import cache

from mmengine.logging import print_log
from mmseg.datasets import LIPDataset as _MMSegLIPDataset
from mmseg.registry import DATASETS

from .flip_pairs_mixin import FlipPairsMixin

#: The classes of LIP that have a handedness: they swap under a mirror flip.
LIP_FLIP_PAIRS = (('Left-arm', 'Right-arm'), ('Left-leg', 'Right-leg'),
                  ('Left-shoe', 'Right-shoe'))


@DATASETS.register_module(name='LIPDataset', force=True)
class LIPDataset(FlipPairsMixin, _MMSegLIPDataset):
    """LIP (Look Into Person) single-human parsing, 20 classes.

    A drop-in replacement for MMSegmentation's ``LIPDataset`` (same classes,
    palette, suffixes and layout) that also declares the left/right classes
    (``flip_pairs`` in its metainfo), so that ``PairedRandomFlip`` turns a
    left arm into a right arm when it mirrors an image. Label 0 is the
    background, a real class. The first dataset built in a process says so
    in the log.

    The layout written by ``tools/dataset_converters/lip.py``::

        data/lip
        ├── img_dir/{train,val}/<id>.jpg      (30462 / 10000 images)
        └── ann_dir/{train,val}/<id>.png      (labels 0-19)

    Args:
        **kwargs: Arguments of MMSegmentation's ``BaseSegDataset``.
    """
    METAINFO = dict(_MMSegLIPDataset.METAINFO, flip_pairs=LIP_FLIP_PAIRS)

    def __init__(self, **kwargs) -> None:
        _log_replacement()
        super().__init__(**kwargs)


@cache
def _log_replacement() -> None:
    """Say, once per process, which class ``type='LIPDataset'`` builds."""
    print_log(
        f"mmseg_ccnet: type='LIPDataset' builds {LIPDataset.__module__}"
        ".LIPDataset, MMSegmentation's LIPDataset plus the left/right class "
        'pairs (flip_pairs) for PairedRandomFlip',
        logger='current')
