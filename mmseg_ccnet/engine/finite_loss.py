# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Training steps with NaN or infinite losses: stopped, or skipped.

A loss that is NaN or infinite makes every weight NaN after the step, and
mmengine trains on, checkpoints and even keeps the result as the best one.
:func:`check_losses` (called by the ``finite_losses`` patch on every
parsed loss) names the iteration and the loss terms instead; what then
happens is :data:`NON_FINITE_ENV`'s choice:

* ``stop`` (default): a :class:`NonFiniteLossError` ends the run before
  the step, so that the weights (and every checkpoint) stay finite;
* ``skip``: the step is skipped (gradients zeroed, no optimizer step),
  with a warning per skipped iteration.
"""
import logging
import math
import os
from typing import Mapping

import torch
from mmengine.logging import MessageHub, print_log

__all__ = [
    'NON_FINITE_ENV', 'NonFiniteLossError', 'check_losses',
    'non_finite_action'
]

#: ``stop`` (default) or ``skip``.
NON_FINITE_ENV = 'MMSEG_CCNET_NON_FINITE_LOSS'
ACTIONS = ('stop', 'skip')


class NonFiniteLossError(FloatingPointError):
    """A training loss is NaN or infinite."""


def non_finite_action() -> str:
    """What to do about a non-finite loss, from the environment.

    Returns:
        str: ``'stop'`` or ``'skip'``.

    Raises:
        ValueError: For another value of :data:`NON_FINITE_ENV`.
    """
    action = os.environ.get(NON_FINITE_ENV, 'stop').strip().lower()
    if action not in ACTIONS:
        raise ValueError(f'{NON_FINITE_ENV} must be one of {ACTIONS}, got '
                         f'{action!r}')
    return action


def check_losses(loss: torch.Tensor, log_vars: Mapping) -> bool:
    """Check a parsed training loss.

    Args:
        loss (Tensor): The total loss about to be backpropagated.
        log_vars (Mapping): The loss terms by name (``BaseModel.
            parse_losses``' second result).

    Returns:
        bool: True if the loss is finite; False if it is not and
        :data:`NON_FINITE_ENV` is ``skip`` (after a warning).

    Raises:
        NonFiniteLossError: If the loss is not finite and the action is
            ``stop``, naming the iteration and every term's value.
    """
    if bool(torch.isfinite(loss.detach()).all()):
        return True
    action = non_finite_action()
    iteration = MessageHub.get_current_instance().get_info('iter')
    where = 'the first iteration' if iteration is None else \
        f'iteration {iteration + 1}'
    values = {
        name: float(value.detach())
        for name, value in log_vars.items()
        if isinstance(value, torch.Tensor) and value.numel() == 1
    }
    terms = ', '.join(f'{name}={value:g}' for name, value in values.items())
    bad = [name for name, value in values.items() if not math.isfinite(value)]
    message = (f'The training loss is not finite at {where} ({terms}; '
               f'non-finite: {", ".join(bad)}).')
    if action == 'skip':
        print_log(
            f'{message} The step is skipped ({NON_FINITE_ENV}=skip).',
            logger='current',
            level=logging.WARNING)
        return False
    raise NonFiniteLossError(
        f'{message} Training stops before the step, so the weights and '
        'checkpoints stay finite. Check the data (e.g. a std of 0 in the '
        'data preprocessor), the learning rate and the loss weights; '
        f'{NON_FINITE_ENV}=skip skips such steps instead.')
