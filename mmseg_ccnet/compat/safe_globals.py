# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""What mmengine checkpoints may hold under ``torch.load(weights_only=True)``.

torch >= 2.6 loads checkpoints with ``weights_only=True``, which refuses
every class it does not know. :func:`install` allowlists
exactly the classes inside the checkpoints that mmengine writes once
:mod:`.message_hub` is in place: :class:`HistoryBuffer` (the message hub's
logs) and numpy arrays of numeric dtypes. Builtins such as ``getattr`` and
numpy's scalar constructor stay refused: a checkpoint that needs them fails
with the global's name (see :mod:`.checkpoint_loaders` for the message).
"""
import numpy as np
import torch
from mmengine.logging import HistoryBuffer

__all__ = ['NUMERIC_TYPECODES', 'install']

#: numpy type codes of the dtypes allowed in checkpoints (no object dtype).
NUMERIC_TYPECODES = '?bhilqBHILQefdgFDG'


def install() -> None:
    """Allowlist :class:`HistoryBuffer` and numeric numpy arrays in torch."""
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return  # torch < 2.4 loads with weights_only=False by default
    numpy_core = getattr(np, '_core', None) or np.core
    numeric_dtypes = [type(np.dtype(code)) for code in NUMERIC_TYPECODES]
    torch.serialization.add_safe_globals([
        HistoryBuffer, np.ndarray, np.dtype,
        numpy_core.multiarray._reconstruct, *numeric_dtypes
    ])
