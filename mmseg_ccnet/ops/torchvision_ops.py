# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""torchvision's compiled ops, where torchvision imports and they load.

The CUDA builds of torch usually come with their torchvision, whose
compiled ``nms``, ``roi_align`` and ``deform_conv2d`` run on the CPU as on
the GPU. :func:`torchvision_ops` returns ``torchvision.ops`` when its
compiled ops load with the installed torch, else None (no torchvision, or
one built for another torch); the ops of this package then use their pure
PyTorch paths, which :func:`pure_pytorch` also selects for a block of code
(to compare the two). :func:`as_c_float` rounds the arguments that mmcv's
kernels take as C floats (IoU threshold, spatial scale), so that
torchvision's kernels, which take doubles, decide as mmcv's.
"""
import contextlib
import functools
import types
import warnings
from typing import Iterator, Optional

import numpy as np

__all__ = ['as_c_float', 'pure_pytorch', 'torchvision_ops']

_pure_blocks = [0]


def torchvision_ops() -> Optional[types.ModuleType]:
    """``torchvision.ops``, where its compiled ops load.

    Returns:
        module | None: ``torchvision.ops``, or None when torchvision is not
        installed, its compiled ops do not load with the installed torch, or
        inside :func:`pure_pytorch`.
    """
    return None if _pure_blocks[0] else load_torchvision_ops()


@contextlib.contextmanager
def pure_pytorch() -> Iterator[None]:
    """A block in which the ops take their pure-PyTorch paths."""
    _pure_blocks[0] += 1
    try:
        yield
    finally:
        _pure_blocks[0] -= 1


@functools.lru_cache(maxsize=None)
def load_torchvision_ops() -> Optional[types.ModuleType]:
    """Import ``torchvision.ops`` once; None where its ops do not load.

    Returns:
        module | None: ``torchvision.ops`` or None.
    """
    try:
        with warnings.catch_warnings():
            # a torchvision built for another torch warns and loads no ops
            warnings.simplefilter('ignore')
            import torchvision.ops
            from torchvision.extension import _has_ops
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return None
    return torchvision.ops if _has_ops() else None


def as_c_float(value: float) -> float:
    """A value as mmcv's kernels see it: rounded to a C float.

    Args:
        value (float): The value.

    Returns:
        float: ``value`` rounded to float32, as a Python float.
    """
    return float(np.float32(value))
