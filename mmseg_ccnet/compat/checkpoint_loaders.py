# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""mmengine's checkpoint loaders: strict, verified, with errors that say why.

:func:`install` registers, in mmengine's ``CheckpointLoader``:

* for local files (the ``''`` scheme):
  :func:`~mmseg_ccnet.engine.checkpoint.load_from_local`, which loads with
  ``weights_only=True`` (also where an mmengine would allow more or fall
  back to ``weights_only=False``) and names the file and the cure when it
  fails;
* for ``http://`` and ``https://``: the verified, cached download of
  :func:`~mmseg_ccnet.engine.checkpoint.load_from_http`, which also takes
  the place of ``mmengine.runner.checkpoint.load_from_http``, through which
  mmengine's ``open-mmlab://``, ``mmcls://`` and ``torchvision://`` loaders
  download;
* for ``torchvision://`` and ``modelzoo://``:
  :func:`~mmseg_ccnet.compat.model_zoo.load_from_torchvision`, which finds
  the URL in mmengine's table without importing torchvision.
"""
import mmengine.runner.checkpoint as mmengine_checkpoint
from mmengine.runner import CheckpointLoader

from ..engine.checkpoint import load_from_http, load_from_local
from .model_zoo import SCHEMES, load_from_torchvision

__all__ = ['install']


def install() -> None:
    """Register the loaders described above. Idempotent."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=load_from_http, force=True)
    mmengine_checkpoint.load_from_http = load_from_http
    CheckpointLoader.register_scheme(
        prefixes=SCHEMES, loader=load_from_torchvision, force=True)
