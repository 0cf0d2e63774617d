# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Non-finite training losses stop the run (or skip the step).

:func:`install` wraps ``BaseModel.parse_losses`` (every mmengine model's
loss, e.g. MMSegmentation's segmentors), which calls
:func:`~mmseg_ccnet.engine.finite_loss.check_losses` on the total loss and
its terms, and ``OptimWrapper.update_params``, which skips the step of a
non-finite loss when ``MMSEG_CCNET_NON_FINITE_LOSS=skip``.
"""
import functools
from typing import Callable, Dict, Tuple

import torch
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper

from ..engine.finite_loss import check_losses
from .patching import wrap_attribute

__all__ = ['install']

#: Marks a loss whose skipped step :func:`check_losses` already reported.
REPORTED = '_mmseg_ccnet_reported'


def _checked_parse_losses(parse_losses: Callable) -> Callable:
    """``parse_losses`` followed by :func:`check_losses`."""

    @functools.wraps(parse_losses)
    def checked_parse_losses(self: BaseModel,
                             losses: Dict) -> Tuple[torch.Tensor, Dict]:
        loss, log_vars = parse_losses(self, losses)
        if not check_losses(loss, log_vars):
            setattr(loss, REPORTED, True)
        return loss, log_vars

    return checked_parse_losses


def _checked_update_params(update_params: Callable) -> Callable:
    """``update_params`` that does not step on a non-finite loss."""

    @functools.wraps(update_params)
    def checked_update_params(self: OptimWrapper, loss: torch.Tensor, *args,
                              **kwargs) -> None:
        if getattr(loss, REPORTED, False) or not check_losses(
                loss, dict(loss=loss)):
            self.zero_grad()
        else:
            update_params(self, loss, *args, **kwargs)

    return checked_update_params


def install() -> None:
    """Wrap the two methods described above. Idempotent."""
    wrap_attribute(BaseModel, 'parse_losses', _checked_parse_losses)
    wrap_attribute(OptimWrapper, 'update_params', _checked_update_params)
