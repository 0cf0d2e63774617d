# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch

from ccnet_core import CrissCrossAttention, RecurrentCrissCrossAttention


def test_identity_when_built():
    block = RecurrentCrissCrossAttention(16)
    x = torch.randn(2, 16, 5, 4)
    torch.testing.assert_close(block(x), x)
    assert list(block.state_dict())[0] == 'cca.query_conv.weight'
    assert 'recurrence=2' in repr(block)


@pytest.mark.parametrize('impl', CrissCrossAttention.IMPLS)
def test_r_passes_of_one_attention(impl):
    torch.manual_seed(0)
    block = RecurrentCrissCrossAttention(16, recurrence=3, impl=impl)
    with torch.no_grad():
        block.cca.gamma.scale.fill_(0.5)
    assert block.cca.impl == impl
    x = torch.randn(2, 16, 5, 4)
    torch.testing.assert_close(block(x), block.cca(block.cca(block.cca(x))))


@pytest.mark.parametrize('recurrence', [-1, 1.5, None])
def test_bad_recurrence_rejected(recurrence):
    with pytest.raises(ValueError, match='recurrence'):
        RecurrentCrissCrossAttention(16, recurrence=recurrence)
