# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Message-hub state that loads with ``torch.load(weights_only=True)``.

Every checkpoint an mmengine runner writes holds
``runner.message_hub.state_dict()``: the runtime information (e.g. ``eta``
and ``best_score``, numpy scalars) and the :class:`HistoryBuffer` of every
logged scalar, which mmengine pickles together with its statistics methods.
Unpickling those needs numpy's scalar constructor and ``getattr``, which
``weights_only=True`` refuses (and must keep refusing). :func:`plain_state`
rewrites them into plain numbers and constructor calls;
:func:`install` makes ``MessageHub.state_dict`` return
that form, so the checkpoints of every runner and config resume.
"""
import copy
import functools
from typing import Any, Callable

import numpy as np
from mmengine.logging import HistoryBuffer, MessageHub

from .patching import wrap_attribute

__all__ = ['plain_state', 'install']


class _ConstructedHistoryBuffer(HistoryBuffer):
    """A HistoryBuffer that pickles as a plain ``HistoryBuffer(...)`` call.

    ``HistoryBuffer.__getstate__`` saves the class's statistics methods,
    which unpickle through ``getattr``; this saves only the data.
    """

    def __reduce__(self) -> tuple:
        return HistoryBuffer, (self._log_history, self._count_history,
                               self.max_length)


def plain_state(value: Any) -> Any:
    """Make a checkpoint (or part of one) loadable with ``weights_only``.

    Args:
        value (Any): A checkpoint or part of one.

    Returns:
        Any: ``value`` with every numpy scalar replaced by its Python number
        and every :class:`HistoryBuffer` by one that pickles as a constructor
        call, inside dicts, lists and tuples (copied); anything else is
        returned unchanged.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, HistoryBuffer):
        return _ConstructedHistoryBuffer(value._log_history,
                                         value._count_history,
                                         value.max_length)
    if isinstance(value, dict):
        plain = copy.copy(value)
        plain.update((key, plain_state(item)) for key, item in value.items())
        return plain
    if isinstance(value, list):
        return [plain_state(item) for item in value]
    if type(value) is tuple:
        return tuple(plain_state(item) for item in value)
    return value


def install() -> None:
    """Make ``MessageHub.state_dict`` return :func:`plain_state`'s form.

    Idempotent. ``MessageHub.load_state_dict`` takes both forms.
    """

    def make_plain(state_dict: Callable) -> Callable:

        @functools.wraps(state_dict)
        def plain_state_dict(self: MessageHub) -> dict:
            return plain_state(state_dict(self))

        return plain_state_dict

    wrap_attribute(MessageHub, 'state_dict', make_plain)
