# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``weights_only=True`` stays strict: only mmengine's HistoryBuffer and
numeric numpy arrays are allowed, anything else is refused by name."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

needs_weights_only = pytest.mark.skipif(
    not hasattr(torch.serialization, 'get_unsafe_globals_in_checkpoint'),
    reason='torch < 2.6 loads with weights_only=False by default')


def save(obj, path):
    torch.save(obj, path)
    return str(path)


class Foreign:
    """A class no checkpoint should be allowed to instantiate."""


@needs_weights_only
@pytest.mark.parametrize('payload, name', [
    (Foreign(), 'test_safe_globals.Foreign'),
    (np.float64(0.5), 'numpy._core.multiarray.scalar'),
    (os.system, 'posix.system'),
])
def test_checkpoint_with_foreign_global_is_refused_by_name(
        tmp_path, payload, name):
    path = save(dict(state_dict={}, meta=dict(x=payload)), tmp_path / 'c.pth')
    with pytest.raises(pickle.UnpicklingError, match=name.split('.')[-1]):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')


@needs_weights_only
def test_history_buffer_pickled_by_mmengine_needs_getattr(tmp_path):
    buffer = HistoryBuffer()
    buffer.update(1.5)
    path = save(dict(message_hub=dict(log_scalars=dict(loss=buffer))),
                tmp_path / 'c.pth')
    with pytest.raises(pickle.UnpicklingError, match='getattr'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')


@needs_weights_only
def test_numeric_arrays_are_allowed_object_arrays_not(tmp_path):
    arrays = [np.arange(2, dtype=dtype) for dtype in '?bHqefd']
    path = save(dict(arrays=arrays), tmp_path / 'c.pth')
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    for array, restored in zip(arrays, loaded['arrays']):
        np.testing.assert_array_equal(array, restored)
        assert array.dtype == restored.dtype
    path = save(dict(arrays=np.array([None, 1], dtype=object)),
                tmp_path / 'o.pth')
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
