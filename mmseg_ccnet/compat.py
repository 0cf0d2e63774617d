# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Compatibility with the OpenMMLab stack on current PyTorch.

Three gaps between MMSegmentation 1.2.x and today's stack are closed here,
each only where it exists:

1. ``mmcv-lite`` ships no compiled extension (``mmcv._ext``), so its
   ``mmcv.ops`` package cannot be imported, yet MMSegmentation imports
   ``point_sample`` and ``sigmoid_focal_loss`` from it at module level.
   :func:`install_ops_fallback` registers a stand-in ``mmcv.ops`` that
   provides pure-PyTorch versions of exactly these two ops; every other name
   raises :class:`MissingCompiledOpError` (a ``ModuleNotFoundError``), which
   MMSegmentation's guarded imports treat as "not installed". With the
   compiled mmcv installed it does nothing.
2. torch >= 2.6 loads checkpoints with ``weights_only=True``, which rejects
   the classes inside mmengine checkpoints. :func:`allow_checkpoint_globals`
   allowlists exactly those classes (``HistoryBuffer`` and numpy arrays with
   their dtype); any other global is still refused by torch, with its name.
3. mmengine saves numpy scalars (evaluation results) and the statistics
   methods of each ``HistoryBuffer`` in the message hub; unpickling those
   needs numpy's scalar constructor and ``getattr``, which must stay off the
   allowlist. :class:`PlainCheckpointHook` saves plain data instead, so
   checkpoints of this package's runs resume with the allowlist above.
"""
import copy
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmseg.registry import HOOKS

__all__ = [
    'MissingCompiledOpError', 'compiled_ops_available', 'install_ops_fallback',
    'allow_checkpoint_globals', 'point_sample', 'sigmoid_focal_loss',
    'to_loadable', 'PlainCheckpointHook'
]


#: numpy type codes of the dtypes allowed in checkpoints (no object dtype).
NUMERIC_TYPECODES = '?bhilqBHILQefdgFDG'


class MissingCompiledOpError(ModuleNotFoundError):
    """Raised when code asks the stand-in ``mmcv.ops`` for a compiled op.

    Args:
        op_name (str): The ``mmcv.ops`` attribute that was requested.
    """

    def __init__(self, op_name: str) -> None:
        super().__init__(
            f'mmcv.ops.{op_name} is a compiled mmcv op, but the installed '
            'mmcv has no compiled extension (mmcv._ext; mmcv-lite never has '
            f'one). Install the full mmcv to use {op_name}: '
            '`pip install --no-build-isolation "mmcv>=2.0.0rc4,<2.2.0"` '
            '(builds from source against your torch), or change the config '
            f'so that it does not need {op_name}.',
            name='mmcv._ext')
        self.op_name = op_name


def point_sample(input: torch.Tensor,
                 points: torch.Tensor,
                 align_corners: bool = False,
                 **kwargs) -> torch.Tensor:
    """Sample features at normalised point coordinates (``mmcv.ops`` API).

    Args:
        input (Tensor): Feature map of shape (N, C, H, W).
        points (Tensor): Coordinates in ``[0, 1] x [0, 1]`` as (x, y), of
            shape (N, P, 2) or (N, Hgrid, Wgrid, 2).
        align_corners (bool): Passed to :func:`F.grid_sample`.
            Defaults to False.
        **kwargs: Further arguments of :func:`F.grid_sample`.

    Returns:
        Tensor: Sampled features of shape (N, C, P) or (N, C, Hgrid, Wgrid).
    """
    flat = points.dim() == 3
    grid = points.unsqueeze(2) if flat else points
    output = F.grid_sample(
        input, 2.0 * grid - 1.0, align_corners=align_corners, **kwargs)
    return output.squeeze(3) if flat else output


def sigmoid_focal_loss(input: torch.Tensor,
                       target: torch.Tensor,
                       gamma: float = 2.0,
                       alpha: float = 0.25,
                       weight: Optional[torch.Tensor] = None,
                       reduction: str = 'mean') -> torch.Tensor:
    """Sigmoid focal loss with the semantics of mmcv's compiled op.

    Args:
        input (Tensor): Logits of shape (N, C).
        target (Tensor): Class indices of shape (N,), dtype long; the value
            C marks a sample that is negative for every class.
        gamma (float): Focusing parameter. Defaults to 2.0.
        alpha (float): Weight of the positive term. Defaults to 0.25.
        weight (Tensor, optional): Per-class weights of shape (C,), applied
            to every element of a sample by the sample's target class.
        reduction (str): ``'none'``, ``'mean'`` (sum divided by N) or
            ``'sum'``. Defaults to ``'mean'``.

    Returns:
        Tensor: Loss of shape (N, C) for ``'none'``, else a scalar.
    """
    if input.dim() != 2 or target.shape != input.shape[:1]:
        raise ValueError('sigmoid_focal_loss expects input (N, C) and target '
                         f'(N,), got {tuple(input.shape)} and '
                         f'{tuple(target.shape)}')
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(f'unknown reduction {reduction!r}')
    classes = torch.arange(input.size(1), device=input.device)
    positive = (target.unsqueeze(1) == classes).to(input.dtype)
    prob = input.sigmoid()
    log_p = F.logsigmoid(input)
    log_not_p = F.logsigmoid(-input)
    loss = -(positive * alpha * (1 - prob).pow(gamma) * log_p +
             (1 - positive) * (1 - alpha) * prob.pow(gamma) * log_not_p)
    if weight is not None:
        loss = loss * weight[target].unsqueeze(1)
    if reduction == 'mean':
        return loss.sum() / input.size(0)
    if reduction == 'sum':
        return loss.sum()
    return loss


class _OpsFallback(types.ModuleType):
    """A stand-in ``mmcv.ops`` for an mmcv without compiled extension."""

    point_sample = staticmethod(point_sample)
    sigmoid_focal_loss = staticmethod(sigmoid_focal_loss)

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        raise MissingCompiledOpError(name)


def compiled_ops_available() -> bool:
    """Whether the installed mmcv has its compiled extension.

    Returns:
        bool: True when ``mmcv._ext`` can be imported.

    Raises:
        ImportError: When no mmcv is installed at all.
    """
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except ModuleNotFoundError as error:
        raise ImportError(
            'mmseg-ccnet needs mmcv: install '
            '`pip install "mmseg-ccnet[lite]"` (pure Python mmcv-lite) or '
            'the compiled mmcv '
            '(`pip install "mmseg-ccnet[full]"`).') from error


def install_ops_fallback() -> bool:
    """Register the stand-in ``mmcv.ops`` where the compiled one is missing.

    Must run before anything imports ``mmseg.models``. Idempotent.

    Returns:
        bool: True if the stand-in is in use, False if mmcv's own ``mmcv.ops``
        (compiled) is used.
    """
    current = sys.modules.get('mmcv.ops')
    if isinstance(current, _OpsFallback):
        return True
    if current is not None or compiled_ops_available():
        return False
    import mmcv
    ops = _OpsFallback('mmcv.ops', __doc__)
    ops.__spec__ = importlib.machinery.ModuleSpec('mmcv.ops', None)
    sys.modules['mmcv.ops'] = ops
    mmcv.ops = ops
    return True


def allow_checkpoint_globals() -> None:
    """Allow what mmengine checkpoints hold under ``weights_only=True``.

    That is :class:`HistoryBuffer` (message hub) and numpy arrays of
    numeric dtypes. Builtins such as ``getattr`` and numpy's scalar
    constructor stay refused: a checkpoint that needs them fails with the
    global's name.
    """
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return  # torch < 2.4 loads with weights_only=False by default
    numpy_core = getattr(np, '_core', None) or np.core
    numeric_dtypes = [type(np.dtype(code)) for code in NUMERIC_TYPECODES]
    torch.serialization.add_safe_globals([
        HistoryBuffer, np.ndarray, np.dtype,
        numpy_core.multiarray._reconstruct, *numeric_dtypes
    ])


class _ConstructedHistoryBuffer(HistoryBuffer):
    """A HistoryBuffer that pickles as a plain ``HistoryBuffer(...)`` call.

    ``HistoryBuffer.__getstate__`` saves the class's statistics methods,
    which unpickle through ``getattr``; this saves only the data.
    """

    def __reduce__(self) -> tuple:
        return HistoryBuffer, (self._log_history, self._count_history,
                               self.max_length)


def to_loadable(value: Any) -> Any:
    """Make a checkpoint loadable with ``torch.load(weights_only=True)``.

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
        loadable = copy.copy(value)
        loadable.update(
            (key, to_loadable(item)) for key, item in value.items())
        return loadable
    if isinstance(value, list):
        return [to_loadable(item) for item in value]
    if type(value) is tuple:
        return tuple(to_loadable(item) for item in value)
    return value


@HOOKS.register_module()
class PlainCheckpointHook(Hook):
    """Save checkpoints that load with ``torch.load(weights_only=True)``.

    mmengine saves evaluation results as numpy scalars and the message hub's
    :class:`HistoryBuffer` objects together with their statistics methods;
    unpickling those needs numpy's scalar constructor and ``getattr``, which
    must stay off the allowlist. This hook rewrites them (see
    :func:`to_loadable`) just before a checkpoint is written. Add it with
    ``custom_hooks=[dict(type='PlainCheckpointHook')]``; the plugin's configs
    do so through ``configs/_base_/mmseg_ccnet.py``.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Rewrite ``checkpoint`` in place.

        Args:
            runner (Runner): The runner that saves the checkpoint.
            checkpoint (dict): The checkpoint about to be saved.
        """
        checkpoint.update(to_loadable(checkpoint))
