# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""sigmoid_focal_loss against the focal loss formula and mmseg's wrapper."""
import pytest
import torch

from mmseg_ccnet.ops import sigmoid_focal_loss


def focal_reference(logits, target, gamma, alpha, weight):
    """Element by element, from the focal loss formula."""
    loss = torch.zeros_like(logits)
    for n in range(logits.size(0)):
        for c in range(logits.size(1)):
            p = torch.sigmoid(logits[n, c])
            if target[n] == c:
                value = -alpha * (1 - p)**gamma * torch.log(p)
            else:
                value = -(1 - alpha) * p**gamma * torch.log(1 - p)
            w = weight[target[n]] if weight is not None else 1.0
            loss[n, c] = value * w
    return loss


@pytest.mark.parametrize('use_weight', [False, True])
def test_sigmoid_focal_loss_matches_formula(use_weight):
    torch.manual_seed(0)
    logits = torch.randn(6, 4, dtype=torch.float64)
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    weight = torch.rand(4, dtype=torch.float64) if use_weight else None
    ref = focal_reference(logits, target, 2.0, 0.25, weight)
    loss = sigmoid_focal_loss(logits, target, 2.0, 0.25, weight,
                                     'none')
    torch.testing.assert_close(loss, ref)
    torch.testing.assert_close(
        sigmoid_focal_loss(logits, target, 2.0, 0.25, weight),
        ref.sum() / 6)
    torch.testing.assert_close(
        sigmoid_focal_loss(logits, target, 2.0, 0.25, weight, 'sum'),
        ref.sum())


def test_sigmoid_focal_loss_background_target_is_all_negative():
    logits = torch.randn(2, 3)
    loss = sigmoid_focal_loss(logits, torch.tensor([3, 3]), 2.0, 0.25,
                                     None, 'none')
    p = logits.sigmoid()
    torch.testing.assert_close(loss, -(0.75) * p**2 * torch.log(1 - p))


def test_mmseg_focal_loss_wrapper_runs_on_the_stand_in(monkeypatch):
    """mmseg's CUDA-path wrapper, fed by the stand-in, equals its Python one.

    (With mmcv-lite the stand-in is what mmseg imported; with the compiled
    mmcv it is patched in, since mmcv's op has no CPU kernel.)
    """
    from mmseg.models.losses import focal_loss
    monkeypatch.setattr(focal_loss, '_sigmoid_focal_loss',
                        sigmoid_focal_loss)
    torch.manual_seed(0)
    pred = torch.randn(10, 4, dtype=torch.float64)
    target = torch.randint(0, 4, (10, ))
    one_hot = torch.nn.functional.one_hot(target, 4).to(pred)
    loss = focal_loss.sigmoid_focal_loss(pred, target, one_hot, alpha=0.25)
    ref = focal_loss.py_sigmoid_focal_loss(pred, one_hot, alpha=0.25)
    torch.testing.assert_close(loss, ref)
