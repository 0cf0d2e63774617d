# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Faults while a training run writes a checkpoint, for tests.

Imported into a training run (``custom_imports``), this module wraps
``torch.save``: when ``$SAVE_FAULT`` is ``kill:<iter>`` or
``enospc:<iter>``, saving the checkpoint of iteration ``<iter>`` writes half
of its bytes and then kills the process (SIGKILL) or raises
``OSError(ENOSPC)``, as a full disk would.
"""
import errno
import io
import os
import signal

import torch

FAULT_ENV = 'SAVE_FAULT'
_save = torch.save


def _fault_applies(obj) -> str:
    """The fault to inject for ``obj``, or ''."""
    kind, _, step = os.environ.get(FAULT_ENV, '').partition(':')
    meta = obj.get('meta') if isinstance(obj, dict) else None
    if kind and isinstance(meta, dict) and str(meta.get('iter')) == step:
        return kind
    return ''


def faulty_save(obj, f, *args, **kwargs):
    """``torch.save`` that fails half-way where :data:`FAULT_ENV` says."""
    kind = _fault_applies(obj)
    if not kind:
        return _save(obj, f, *args, **kwargs)
    buffer = io.BytesIO()
    _save(obj, buffer, *args, **kwargs)
    half = buffer.getvalue()[:len(buffer.getvalue()) // 2]
    if hasattr(f, 'write'):
        f.write(half)
        f.flush()
    else:
        with open(f, 'wb') as file:
            file.write(half)
    if kind == 'kill':
        os.kill(os.getpid(), signal.SIGKILL)
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


torch.save = faulty_save
