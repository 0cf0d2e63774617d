# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Checkpoint weights compared with a model before they load."""
import pytest
import torch
from torch import nn

from mmseg_ccnet.engine.state_match import (
    RESUME,
    CheckpointMismatchError,
    check_state_match,
    checkpoint_match,
    compare_state,
)


def model(classes=5):
    return nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4),
                         nn.Conv2d(4, classes, 1))


def test_compare_state_names_what_differs():
    state = model(5).state_dict()
    state.pop('1.running_var')
    state['extra'] = torch.ones(1)
    match = compare_state(model(7), state)
    assert (match.total, match.matched) == (8, 5)
    assert match.missing == ['1.running_var']
    assert match.unexpected == ['extra']
    assert match.mismatched == [
        '2.weight: checkpoint (5, 4, 1, 1), model (7, 4, 1, 1)',
        '2.bias: checkpoint (5,), model (7,)'
    ]


def test_no_policy_checks_nothing():
    check_state_match(model(7), {})


def test_resume_needs_the_same_model():
    with checkpoint_match(RESUME, 'iter_4.pth'):
        check_state_match(model(5), model(5).state_dict())
        with pytest.raises(CheckpointMismatchError,
                           match=r'Cannot resume from iter_4.pth.*2.weight: '
                           r'checkpoint \(5, 4, 1, 1\), model \(7, 4, 1, 1\)'):
            check_state_match(model(7), model(5).state_dict())


def test_share_of_the_model():
    state = {'0.weight': torch.ones(4, 3, 1, 1), 'other': torch.ones(1)}
    with checkpoint_match(0.5, 'x.pth'):
        with pytest.raises(CheckpointMismatchError,
                           match=r'x.pth fits 1 of the model\'s 8 weights'):
            check_state_match(model(), state)
        check_state_match(model(7), model(5).state_dict())  # 6 of 8
    with checkpoint_match(0.1):
        check_state_match(model(), state)


def test_share_must_be_a_fraction():
    with pytest.raises(ValueError, match='in \\[0, 1\\]'):
        with checkpoint_match(2):
            pass
