# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""How well a checkpoint's weights fit a model, checked before they load.

mmengine loads weights with ``strict=False`` and only logs what does not
fit: a resumed run whose model changed dies later in the optimizer with
"The size of tensor a (5) must match the size of tensor b (7)", and a test
of another model's checkpoint scores an untrained model. While a policy of
:func:`checkpoint_match` is active, :func:`check_state_match` (called by
the ``resume`` patch before mmengine's ``load_state_dict``) raises a
:class:`CheckpointMismatchError` naming what differs:

* :data:`RESUME`: every weight must be there with the model's shape;
* a number in ``[0, 1]``: at least that share of the model's weights must
  be in the checkpoint with the model's shape (testing, export, demo).
"""
import contextvars
from contextlib import contextmanager
from typing import Iterator, List, Mapping, NamedTuple, Optional, Union

import torch
from torch import nn

__all__ = [
    'DEFAULT_MIN_MATCH', 'RESUME', 'CheckpointMismatchError', 'StateMatch',
    'check_state_match', 'checkpoint_match', 'checkpoint_source',
    'compare_state'
]

#: Policy: resuming, where the checkpoint must fit the model exactly.
RESUME = 'resume'
#: Share of a model's weights a checkpoint must fit to be tested, exported
#: or shown (config key ``checkpoint_min_match``, option ``--min-match``).
DEFAULT_MIN_MATCH = 0.5
#: Examples listed per kind of difference.
LISTED = 5
_POLICY: contextvars.ContextVar = contextvars.ContextVar(
    'mmseg_ccnet_checkpoint_match', default=(None, None))


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model it is loaded into."""


class StateMatch(NamedTuple):
    """A checkpoint's weights compared with a model's.

    Args:
        total (int): Entries of the model's state dict.
        matched (int): Of them, those in the checkpoint with their shape.
        missing (list[str]): Model entries the checkpoint lacks.
        unexpected (list[str]): Checkpoint entries the model lacks.
        mismatched (list[str]): ``'name: checkpoint (5, 16), model (7,
            16)'`` for entries of both with different shapes.
    """
    total: int
    matched: int
    missing: List[str]
    unexpected: List[str]
    mismatched: List[str]

    def describe(self) -> str:
        """The differences, a few examples of each kind."""
        parts = []
        for kind, names in (('different shapes', self.mismatched),
                            ('missing from the checkpoint', self.missing),
                            ('not in the model', self.unexpected)):
            if names:
                more = f', ... ({len(names)} in all)' if len(
                    names) > LISTED else ''
                parts.append(f'{kind}: {"; ".join(names[:LISTED])}{more}')
        return '. '.join(parts)


def compare_state(model: nn.Module, state_dict: Mapping) -> StateMatch:
    """Compare a state dict with a model's, by name and shape.

    BN's ``num_batches_tracked`` counters are left out, as mmengine leaves
    them out of its missing keys.

    Args:
        model (nn.Module): The model.
        state_dict (Mapping): Weights by name, as they would be loaded.

    Returns:
        StateMatch: The comparison.
    """
    own = {
        name: value
        for name, value in model.state_dict().items()
        if not name.endswith('num_batches_tracked')
    }
    missing, mismatched = [], []
    for name, value in own.items():
        loaded = state_dict.get(name)
        if not isinstance(loaded, torch.Tensor):
            missing.append(name)
        elif loaded.shape != value.shape:
            mismatched.append(f'{name}: checkpoint {tuple(loaded.shape)}, '
                              f'model {tuple(value.shape)}')
    unexpected = [
        name for name in state_dict
        if name not in own and not name.endswith('num_batches_tracked')
    ]
    return StateMatch(
        len(own),
        len(own) - len(missing) - len(mismatched), missing, unexpected,
        mismatched)


@contextmanager
def checkpoint_match(policy: Union[str, float, None],
                     source: Optional[str] = None) -> Iterator[None]:
    """Check every checkpoint loaded in this block against ``policy``.

    Args:
        policy (str | float | None): :data:`RESUME`, a minimum share in
            ``[0, 1]``, or None (no check).
        source (str, optional): The checkpoint, for the messages.

    Raises:
        ValueError: For a share outside ``[0, 1]``.
    """
    if policy not in (None, RESUME) and not 0 <= float(policy) <= 1:
        raise ValueError('the share of weights a checkpoint must match is a '
                         f'number in [0, 1], got {policy!r}')
    token = _POLICY.set((policy, source))
    try:
        yield
    finally:
        _POLICY.reset(token)


@contextmanager
def checkpoint_source(source: str) -> Iterator[None]:
    """Name the checkpoint loaded in this block, keeping the policy.

    Args:
        source (str): The checkpoint's file or URL.
    """
    token = _POLICY.set((_POLICY.get()[0], source))
    try:
        yield
    finally:
        _POLICY.reset(token)


def check_state_match(model: nn.Module, state_dict: Mapping) -> None:
    """Raise if a state dict does not fit a model under the active policy.

    Args:
        model (nn.Module): The model about to receive the weights.
        state_dict (Mapping): The weights.

    Raises:
        CheckpointMismatchError: If resuming and anything differs, or if
            fewer than the required share of the model's weights fit.
    """
    policy, source = _POLICY.get()
    if policy is None:
        return
    match = compare_state(model, state_dict)
    name = source or 'the checkpoint'
    if policy == RESUME:
        if match.matched < match.total or match.unexpected:
            raise CheckpointMismatchError(
                f'Cannot resume from {name}: the model differs from the one '
                f'that was trained ({match.describe()}). Resume with the '
                'config of that run, or start a new run with '
                'load_from=FILE (without --resume) to take its weights '
                'where they fit.')
        return
    if match.matched < policy * match.total:
        raise CheckpointMismatchError(
            f'{name} fits {match.matched} of the model\'s {match.total} '
            f'weights (less than {policy:.0%}): it is the checkpoint of '
            f'another model ({match.describe()}). If that is intended, '
            'lower the share required (--min-match, or the config\'s '
            'checkpoint_min_match, e.g. --cfg-options '
            'checkpoint_min_match=0).')
