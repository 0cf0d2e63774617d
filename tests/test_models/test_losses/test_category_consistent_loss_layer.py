# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from mmseg.registry import MODELS

import ccnet_core
from mmseg_ccnet.models import CategoryConsistentLoss


def test_built_from_the_registry_with_its_name():
    loss = MODELS.build(
        dict(type='CategoryConsistentLoss', loss_name='loss_consistency'))
    assert isinstance(loss, CategoryConsistentLoss)
    assert CategoryConsistentLoss is ccnet_core.CategoryConsistentLoss
    assert loss.loss_name == 'loss_consistency'
