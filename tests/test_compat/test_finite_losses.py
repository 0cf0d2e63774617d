# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A NaN or infinite loss stops training before the step (or skips it)."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper

from mmseg_ccnet.engine.finite_loss import NonFiniteLossError
from runner_utils import MMSEG_TOOLS, make_tiny_cityscapes, run_python
from user_configs import write_user_config


class Linear(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='loss'):
        """loss_a from the first two columns, loss_b adds the third."""
        loss_a = self.fc(inputs[:, :2]).mean()
        return dict(loss_a=loss_a, loss_b=loss_a + inputs[:, 2].sum())


def step(model, inputs):
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    return model.train_step(dict(inputs=inputs), wrapper)


def test_non_finite_loss_stops_naming_iteration_and_terms():
    MessageHub.get_current_instance().update_info('iter', 6)
    model = Linear()
    before = model.fc.weight.detach().clone()
    with pytest.raises(NonFiniteLossError,
                       match=r'not finite at iteration 7 \(loss=nan, '
                       r'loss_a=.*, loss_b=nan; non-finite: loss, loss_b\)'):
        step(model, torch.tensor([[1.0, 1.0, float('nan')]]))
    assert torch.equal(model.fc.weight, before)


def test_skip_leaves_the_weights(monkeypatch):
    monkeypatch.setenv('MMSEG_CCNET_NON_FINITE_LOSS', 'skip')
    model = Linear()
    before = model.fc.weight.detach().clone()
    step(model, torch.tensor([[1.0, 1.0, float('inf')]]))
    assert torch.equal(model.fc.weight, before)
    step(model, torch.tensor([[1.0, 1.0, 1.0]]))
    assert not torch.equal(model.fc.weight, before)


def test_unknown_action_is_named(monkeypatch):
    monkeypatch.setenv('MMSEG_CCNET_NON_FINITE_LOSS', 'ignore')
    with pytest.raises(ValueError, match='one of'):
        step(Linear(), torch.tensor([[1.0, 1.0, float('nan')]]))


@pytest.mark.slow
def test_nan_training_stops_without_checkpoints(tmp_path):
    config = write_user_config(
        tmp_path, make_tiny_cityscapes(str(tmp_path / 'cityscapes')))
    work_dir = tmp_path / 'work_dir'
    failed = run_python(MMSEG_TOOLS / 'train.py', config, '--work-dir',
                        work_dir, '--cfg-options',
                        'model.data_preprocessor.std=[0,0,0]')
    assert failed.returncode == 1
    assert 'NonFiniteLossError: The training loss is not finite at ' \
        'iteration 1 (loss=nan' in failed.output
    assert not list(work_dir.glob('*.pth'))
