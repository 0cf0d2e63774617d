# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Config texts in checkpoints are read as data, never run.

:func:`install` wraps mmengine's ``CheckpointLoader.load_checkpoint``,
through which every checkpoint is loaded (local files, URLs, every
scheme; by ``Runner.resume`` and ``Runner.load_checkpoint``,
``load_checkpoint`` and the inferencers): the config texts of the loaded
checkpoint are reduced to their plain-data assignments
(:func:`~mmseg_ccnet.engine.checkpoint_config.strip_config_code`) before
anyone can hand them to ``Config.fromstring``, which would execute them.
What mmengine reads from them (e.g. ``gpu_ids`` on resume, the model
config in an inferencer) is plain data and stays.
"""
from mmengine.runner import CheckpointLoader

from ..engine.checkpoint_config import strip_config_code
from .patching import MARK, is_wrapped

__all__ = ['install']


def install() -> None:
    """Wrap ``CheckpointLoader.load_checkpoint``. Idempotent."""
    original = CheckpointLoader.load_checkpoint  # bound to the class
    if is_wrapped(original):
        return

    def load_checkpoint(cls,
                        filename: str,
                        map_location=None,
                        logger: str = 'current') -> object:
        return strip_config_code(
            original(filename, map_location, logger), filename)

    setattr(load_checkpoint, MARK, original)
    CheckpointLoader.load_checkpoint = classmethod(load_checkpoint)
