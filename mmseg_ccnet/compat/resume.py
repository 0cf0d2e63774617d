# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``--resume`` that finds a whole checkpoint, and weights checked to fit.

:func:`install` changes mmengine's runners:

* ``find_latest_checkpoint`` as ``Runner`` and ``FlexibleRunner`` call it
  (``--resume`` without ``load_from``):
  :func:`~mmseg_ccnet.engine.checkpoint_files.find_resumable_checkpoint`,
  which falls back to the newest whole checkpoint of the work dir when
  ``last_checkpoint`` is missing, empty or names a missing or damaged file,
  and refuses to start from iteration 0 over checkpoints none of which is
  whole;
* ``Runner.resume``: the checkpoint must fit the model exactly, else a
  :class:`~mmseg_ccnet.engine.state_match.CheckpointMismatchError` names
  the weights and shapes that differ, before training starts;
* ``Runner.test`` and ``Runner.val``: the checkpoint must fit at least
  ``checkpoint_min_match`` (a config key, default
  :data:`~mmseg_ccnet.engine.state_match.DEFAULT_MIN_MATCH`) of the
  model's weights;
* ``Runner.load_checkpoint``: names its file in those errors;
* ``mmengine.runner.checkpoint.load_state_dict`` (through which
  ``Runner.load_checkpoint`` and ``load_checkpoint`` load weights): checks
  the weights against the policy of the block it runs in
  (:func:`~mmseg_ccnet.engine.state_match.checkpoint_match`); outside such
  a block (e.g. ``load_from`` to fine-tune) nothing changes.
"""
import functools
import importlib
from typing import Callable

import mmengine.runner.checkpoint as mmengine_checkpoint
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import Runner

from ..engine.checkpoint_files import find_resumable_checkpoint
from ..engine.state_match import (
    DEFAULT_MIN_MATCH,
    RESUME,
    check_state_match,
    checkpoint_match,
    checkpoint_source,
)
from .patching import wrap_attribute

__all__ = ['install']

#: Modules whose ``find_latest_checkpoint`` is replaced.
RESUMING_MODULES = ('mmengine.runner.runner',
                    'mmengine.runner._flexible_runner')


def _resuming(resume: Callable) -> Callable:
    """``Runner.resume`` under the :data:`RESUME` policy."""

    @functools.wraps(resume)
    def resume_exactly(self: Runner, filename: str, *args, **kwargs) -> None:
        with checkpoint_match(RESUME, filename):
            return resume(self, filename, *args, **kwargs)

    return resume_exactly


def _evaluating(run: Callable) -> Callable:
    """``Runner.test``/``Runner.val`` under the config's minimum share."""

    @functools.wraps(run)
    def run_with_match(self: Runner, *args, **kwargs) -> dict:
        share = self.cfg.get('checkpoint_min_match', DEFAULT_MIN_MATCH)
        with checkpoint_match(share):
            return run(self, *args, **kwargs)

    return run_with_match


def _naming_source(load_checkpoint: Callable) -> Callable:
    """``Runner.load_checkpoint`` that names its file to the checks."""

    @functools.wraps(load_checkpoint)
    def load_named_checkpoint(self: Runner, filename: str, *args,
                              **kwargs) -> dict:
        with checkpoint_source(filename):
            return load_checkpoint(self, filename, *args, **kwargs)

    return load_named_checkpoint


def _checked_load_state_dict(load_state_dict: Callable) -> Callable:
    """``load_state_dict`` after :func:`check_state_match`."""

    @functools.wraps(load_state_dict)
    def checked_load_state_dict(module, state_dict, *args, **kwargs) -> None:
        model = module
        while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
            model = model.module
        check_state_match(model, state_dict)
        return load_state_dict(module, state_dict, *args, **kwargs)

    return checked_load_state_dict


def install() -> None:
    """Apply the changes described above. Idempotent."""
    for name in RESUMING_MODULES:
        wrap_attribute(
            importlib.import_module(name), 'find_latest_checkpoint',
            lambda _: find_resumable_checkpoint)
    wrap_attribute(Runner, 'resume', _resuming)
    wrap_attribute(Runner, 'test', _evaluating)
    wrap_attribute(Runner, 'val', _evaluating)
    wrap_attribute(Runner, 'load_checkpoint', _naming_source)
    wrap_attribute(mmengine_checkpoint, 'load_state_dict',
                   _checked_load_state_dict)
