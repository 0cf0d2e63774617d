# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Checkpoints written whole, old ones removed only after the new one.

mmengine writes a checkpoint in place, and its ``CheckpointHook`` removes
the checkpoint that ``max_keep_ckpts`` (or a better ``save_best`` score)
retires *before* it writes the new one: a kill or a full disk during the
write leaves a truncated file, and with ``max_keep_ckpts=1`` no whole
checkpoint at all. :func:`install` changes, for local files:

* ``save_checkpoint`` (as ``mmengine.runner.checkpoint``,
  ``mmengine.runner`` and ``mmengine.runner.runner`` name it): written
  through :func:`~mmseg_ccnet.engine.checkpoint_files.atomic_save`
  (a temporary file beside it, ``fsync``, rename); a checkpoint whose
  weights are NaN or infinite is refused (:class:`NonFiniteWeightsError`),
  so none is written or kept as the best. Other storage backends (e.g.
  ``s3://``) are written as before.
* ``CheckpointHook._save_checkpoint_with_step`` and
  ``CheckpointHook._save_best_checkpoint``: the files they retire are
  removed after the new checkpoint and ``last_checkpoint`` are complete
  (not at all if writing fails).
* ``open`` as ``mmengine.hooks.checkpoint_hook`` sees it: files opened
  for writing there (``last_checkpoint``) are written atomically too.
"""
import builtins
import functools
import importlib
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Tuple

from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook

from ..engine.checkpoint_files import (
    atomic_file,
    atomic_save,
    non_finite_tensors,
)
from .patching import MARK, wrap_attribute

__all__ = ['NonFiniteWeightsError', 'install']

#: Modules whose ``save_checkpoint`` is replaced.
SAVING_MODULES = ('mmengine.runner.checkpoint', 'mmengine.runner',
                  'mmengine.runner.runner')
HOOK_MODULE = 'mmengine.hooks.checkpoint_hook'


class NonFiniteWeightsError(FloatingPointError):
    """A checkpoint about to be written holds NaN or infinite weights."""


def _safe_save_checkpoint(save_checkpoint: Callable) -> Callable:
    """``save_checkpoint`` that writes local files atomically and refuses
    non-finite weights."""

    @functools.wraps(save_checkpoint)
    def safe_save_checkpoint(checkpoint: dict,
                             filename: str,
                             file_client_args: Any = None,
                             backend_args: Any = None) -> None:
        bad = non_finite_tensors(checkpoint.get('state_dict', {}))
        if bad:
            raise NonFiniteWeightsError(
                f'{filename} was not written: its weights {", ".join(bad[:5])}'
                f'{", ..." if len(bad) > 5 else ""} are NaN or infinite.')
        local = file_client_args is None and not str(filename).startswith(
            'pavi://') and isinstance(
                get_file_backend(filename, backend_args=backend_args),
                LocalBackend)
        if not local:
            return save_checkpoint(checkpoint, filename, file_client_args,
                                   backend_args)
        atomic_save(checkpoint, filename)

    return safe_save_checkpoint


class _DeferringBackend:
    """A file backend whose ``remove`` and ``rmtree`` are only recorded."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.removals: List[Tuple[str, Callable[[str], None]]] = []

    def remove(self, path: str) -> None:
        self.removals.append((path, self.backend.remove))

    def rmtree(self, path: str) -> None:
        self.removals.append((path, self.backend.rmtree))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


@contextmanager
def _deferred_removals(hook: CheckpointHook) -> Iterator[None]:
    """Carry out the hook's removals only if the block completes, and
    never of a file the block (re)wrote. A hook that has not been set up
    for training (``Runner.val`` or ``Runner.test`` alone) has no file
    backend and removes nothing."""
    backend = getattr(hook, 'file_backend', None)
    if backend is None:
        yield
        return
    deferring = _DeferringBackend(backend)
    hook.file_backend = deferring
    try:
        yield
    finally:
        hook.file_backend = backend
    written = {
        getattr(hook, 'last_ckpt', None),
        getattr(hook, 'best_ckpt_path', None),
        *getattr(hook, 'best_ckpt_path_dict', {}).values()
    }
    for path, remove in deferring.removals:
        if path not in written:
            remove(path)


def _removing_after_save(save: Callable) -> Callable:
    """A ``CheckpointHook`` method whose removals follow the save."""

    @functools.wraps(save)
    def removing_after_save(self: CheckpointHook, *args, **kwargs) -> None:
        with _deferred_removals(self):
            save(self, *args, **kwargs)

    return removing_after_save


def _atomic_open(file: Any, mode: str = 'r', *args, **kwargs) -> Any:
    """``open``; a file opened with mode ``'w'`` is written atomically."""
    if mode == 'w' and not args and not kwargs:
        return atomic_file(file, mode)
    return builtins.open(file, mode, *args, **kwargs)


def install() -> None:
    """Apply the changes described above. Idempotent."""
    for name in SAVING_MODULES:
        wrap_attribute(
            importlib.import_module(name), 'save_checkpoint',
            _safe_save_checkpoint)
    for name in ('_save_checkpoint_with_step', '_save_best_checkpoint'):
        wrap_attribute(CheckpointHook, name, _removing_after_save)
    hook_module = importlib.import_module(HOOK_MODULE)
    if not hasattr(hook_module, 'open'):
        setattr(_atomic_open, MARK, builtins.open)
        hook_module.open = _atomic_open
