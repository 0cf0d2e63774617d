# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``torchvision://`` checkpoints without importing torchvision.

mmengine resolves ``torchvision://NAME`` (and the older ``modelzoo://NAME``)
by importing torchvision only to look up the URL, which it also ships in its
own table (``mmengine/hub/torchvision_0.12.json``: the ImageNet weights that
MMDetection's and MMSegmentation's configs start from, e.g.
``torchvision://resnet50``). :func:`load_from_torchvision` looks the name up
in that table and downloads through mmengine's ``load_from_http`` (the
verified download once :mod:`mmseg_ccnet.compat` is installed); names that
the table lacks (such as ``ResNet50_Weights.IMAGENET1K_V1``) go to
mmengine's own loader, which asks torchvision. ``open-mmlab://`` and
``mmcls://`` already resolve from mmengine's tables without torchvision.
"""
import functools
import os.path as osp
from typing import Dict, Optional

import mmengine
import mmengine.runner.checkpoint as mmengine_checkpoint

__all__ = ['SCHEMES', 'load_from_torchvision', 'torchvision_urls']

#: The prefixes of the torchvision model zoo.
SCHEMES = ('torchvision://', 'modelzoo://')


@functools.lru_cache(maxsize=None)
def torchvision_urls() -> Dict[str, str]:
    """The URLs of torchvision's weights in mmengine's table, by name.

    Returns:
        dict[str, str]: Model name (e.g. ``'resnet50'``) to URL.
    """
    return mmengine.load(
        osp.join(mmengine.__path__[0], 'hub', 'torchvision_0.12.json'))


def load_from_torchvision(filename: str,
                          map_location: Optional[str] = None) -> dict:
    """Load ``torchvision://NAME`` (or ``modelzoo://NAME``).

    The signature of mmengine's loader of the same name.

    Args:
        filename (str): The prefixed model name.
        map_location (str, optional): Same as :func:`torch.load`.

    Returns:
        dict: The loaded checkpoint.
    """
    name = filename.split('://', 1)[1]
    url = torchvision_urls().get(name)
    if url is None:
        return mmengine_checkpoint.load_from_torchvision(
            filename, map_location)
    return mmengine_checkpoint.load_from_http(url, map_location=map_location)
