# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Message-hub state that loads with ``torch.load(weights_only=True)``.

Every checkpoint an mmengine runner writes holds
``runner.message_hub.state_dict()``: the runtime information (e.g. ``eta``
and ``best_score``, numpy scalars) and the :class:`HistoryBuffer` of every
logged scalar, which mmengine pickles together with its statistics methods.
Unpickling those needs numpy's scalar constructor and ``getattr``, which
``weights_only=True`` refuses (and must keep refusing).
:func:`~mmseg_ccnet.engine.checkpoint.plain_state` rewrites them into plain
numbers and constructor calls; :func:`install` makes
``MessageHub.state_dict`` return that form, so the checkpoints of every
runner and config resume.
"""
import functools
from typing import Callable

from mmengine.logging import MessageHub

from ..engine.checkpoint import plain_state
from .patching import wrap_attribute

__all__ = ['install']


def install() -> None:
    """Make ``MessageHub.state_dict`` return ``plain_state``'s form.

    Idempotent. ``MessageHub.load_state_dict`` takes both forms.
    """

    def make_plain(state_dict: Callable) -> Callable:

        @functools.wraps(state_dict)
        def plain_state_dict(self: MessageHub) -> dict:
            return plain_state(state_dict(self))

        return plain_state_dict

    wrap_attribute(MessageHub, 'state_dict', make_plain)
