# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A stand-in ``mmcv.ops`` for an mmcv without compiled extension.

``mmcv-lite`` (and ``onedl-mmcv`` built without ops) ships no ``mmcv._ext``,
so its ``mmcv.ops`` package cannot be imported, yet MMSegmentation imports
``point_sample``, ``sigmoid_focal_loss`` and ``CrissCrossAttention`` from it
at module level. :func:`install` registers a stand-in ``mmcv.ops`` that
provides these in pure PyTorch (``CrissCrossAttention`` is this package's
:class:`~mmseg_ccnet.models.CrissCrossAttention`, so MMSegmentation's own
``CCHead`` class, and classes derived from it, run); every other name raises
:class:`MissingCompiledOpError` (a ``ModuleNotFoundError``), which
MMSegmentation's guarded imports treat as "not installed". With the
compiled mmcv installed it does nothing.
"""
import importlib
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from typing import Any, Optional

import torch
import torch.nn.functional as F

__all__ = [
    'MissingCompiledOpError', 'PROVIDED', 'compiled_ops_available',
    'install', 'point_sample', 'sigmoid_focal_loss'
]


class MissingCompiledOpError(ModuleNotFoundError):
    """Raised when code asks the stand-in ``mmcv.ops`` for a compiled op.

    Args:
        op_name (str): The ``mmcv.ops`` attribute that was requested.
    """

    def __init__(self, op_name: str) -> None:
        super().__init__(
            f'mmcv.ops.{op_name} is a compiled mmcv op, but the installed '
            'mmcv has no compiled extension (mmcv._ext; mmcv-lite never has '
            f'one). To use {op_name}, install an mmcv with ops, built from '
            'source against your torch: `pip install --no-build-isolation '
            '"mmcv>=2.0.0rc4,<2.2.0"` (OpenMMLab) or `pip install '
            '--no-build-isolation --force-reinstall --no-deps onedl-mmcv` '
            f'(OneDL); or change the config so that it does not need '
            f'{op_name}.',
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


#: Ops of the stand-in that live in modules of this package, imported when
#: first asked for (they import mmseg themselves).
PROVIDED = dict(
    CrissCrossAttention='mmseg_ccnet.models.modules.criss_cross_attention')


class _OpsFallback(types.ModuleType):
    """A stand-in ``mmcv.ops`` for an mmcv without compiled extension."""

    point_sample = staticmethod(point_sample)
    sigmoid_focal_loss = staticmethod(sigmoid_focal_loss)

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        if name in PROVIDED:
            value = getattr(importlib.import_module(PROVIDED[name]), name)
            setattr(self, name, value)
            return value
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
            'mmseg-ccnet needs mmcv: pip install "mmseg-ccnet[openmmlab]" '
            '(OpenMMLab) or "mmseg-ccnet[onedl]" (OneDL)') from error


def install() -> bool:
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
    with warnings.catch_warnings():
        # mmcv warns on this import whenever its ops are missing; the
        # stand-in names the op when something asks for it
        warnings.filterwarnings(
            'ignore', message='Fail to import ``MultiScaleDeformableAttention')
        importlib.import_module('mmcv.cnn.bricks.transformer')
    return True
