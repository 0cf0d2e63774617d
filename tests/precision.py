# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Which low-precision dtypes this torch computes in on the CPU."""
import pytest
import torch


def cpu_supports_float16() -> bool:
    """Whether this torch has float16 CPU kernels for convolutions and
    batched products (torch 2.1 has none)."""
    x = torch.ones(1, 1, 2, 2, dtype=torch.float16)
    try:
        torch.nn.functional.conv2d(x, x)
        torch.baddbmm(x[0], x[0], x[0])
    except RuntimeError:
        return False
    return True


def cpu_autocast_supports_float16() -> bool:
    """Whether ``torch.autocast('cpu', dtype=torch.float16)`` runs (torch
    2.1's CPU autocast takes bfloat16 only)."""
    try:
        with torch.autocast('cpu', dtype=torch.float16):
            torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    except RuntimeError:
        return False
    return cpu_supports_float16()


needs_cpu_float16 = pytest.mark.skipif(
    not cpu_supports_float16(),
    reason='this torch has no float16 CPU convolutions (torch 2.1)')
needs_cpu_float16_autocast = pytest.mark.skipif(
    not cpu_autocast_supports_float16(),
    reason="this torch's CPU autocast takes bfloat16 only (torch 2.1)")
#: float16 (where the CPU kernels exist) and bfloat16.
LOW_PRECISION_DTYPES = [
    pytest.param(torch.float16, marks=needs_cpu_float16, id='float16'),
    pytest.param(torch.bfloat16, id='bfloat16')
]
