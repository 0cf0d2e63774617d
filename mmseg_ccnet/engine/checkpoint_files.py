# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Checkpoint files of a work dir: written whole or not at all, and found.

* :func:`atomic_save` and :func:`atomic_write_text` write a temporary file
  in the destination's folder, flush it to the disk (``fsync``) and rename
  it over the destination, so that a reader, a kill or a full disk never
  leaves a partly written file under the real name.
* :func:`find_resumable_checkpoint` is what ``--resume`` resumes from: the
  file ``last_checkpoint`` names if that is a whole checkpoint, else the
  newest whole ``iter_<n>.pth``/``epoch_<n>.pth`` of the work dir.
* :func:`non_finite_tensors` names the weights that are NaN or infinite.
"""
import errno
import glob
import logging
import os
import os.path as osp
import re
from contextlib import contextmanager
from typing import IO, Any, Iterator, List, Optional

import torch
from mmengine.logging import print_log

from .checkpoint import checkpoint_format_error

__all__ = [
    'POINTER', 'ResumeError', 'atomic_file', 'atomic_save',
    'atomic_write_text',
    'find_resumable_checkpoint', 'non_finite_tensors'
]

#: The file in a work dir that names the newest checkpoint (mmengine's).
POINTER = 'last_checkpoint'
#: Checkpoints that ``CheckpointHook`` writes by default.
STEP_CHECKPOINT = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


class ResumeError(RuntimeError):
    """``--resume`` found checkpoints in the work dir but none it can use."""


def _fsync_folder(folder: str) -> None:
    """Flush a folder's entries (the rename) to the disk, where possible."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows, where folders cannot be opened
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _remove_partial_files(folder: str, name: str = '*') -> None:
    """Remove what writes to ``folder/name`` killed before their rename
    left behind (``.<name>.<pid>.tmp``)."""
    for partial in glob.glob(osp.join(glob.escape(folder), f'.{name}.*.tmp')):
        print_log(f'Removing {partial}, left by a write that was killed.',
                  logger='current')
        os.remove(partial)


@contextmanager
def atomic_file(path: str, mode: str) -> Iterator[IO]:
    """A file object whose content replaces ``path`` once it is complete.

    Args:
        path (str): The destination.
        mode (str): ``'wb'`` or ``'w'``.

    Yields:
        IO: The temporary file ``.<name>.<pid>.tmp`` beside ``path``
        (created with the permissions ``open`` gives; those a killed
        write of ``path`` left are removed first).

    Raises:
        OSError: What writing raised (e.g. ``ENOSPC``), with the
            destination named; the temporary file is removed and ``path``
            keeps its previous content.
    """
    folder, name = osp.split(osp.abspath(path))
    _remove_partial_files(folder, name)
    partial = osp.join(folder, f'.{name}.{os.getpid()}.tmp')
    try:
        with open(partial, mode) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except OSError as error:
        reason = 'the disk is full' if error.errno == errno.ENOSPC else \
            error.strerror or repr(error)
        raise OSError(
            error.errno, f'Could not write {path}: {reason}; it was not '
            'changed (a previous version, if any, is intact)') from error
    finally:
        if osp.exists(partial):
            os.remove(partial)
    _fsync_folder(folder)


def atomic_save(obj: Any, path: str) -> None:
    """``torch.save(obj, path)``, but ``path`` is never partly written.

    Args:
        obj (Any): What to save.
        path (str): The local destination.
    """
    with atomic_file(path, 'wb') as file:
        torch.save(obj, file)


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that it is never partly written.

    Args:
        path (str): The local destination.
        text (str): The content.
    """
    with atomic_file(path, 'w') as file:
        file.write(text)


def _pointer_target(work_dir: str) -> Optional[str]:
    """The path ``last_checkpoint`` names, or None (missing or empty)."""
    pointer = osp.join(work_dir, POINTER)
    if not osp.isfile(pointer):
        return None
    with open(pointer) as file:
        return file.read().strip() or None


def _step_checkpoints(work_dir: str) -> List[str]:
    """The work dir's ``iter_<n>.pth``/``epoch_<n>.pth``, newest first."""
    found = []
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = STEP_CHECKPOINT.match(name)
        if match:
            found.append((int(match.group(1)), osp.join(work_dir, name)))
    return [path for _, path in sorted(found, reverse=True)]


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from.

    The file ``<work_dir>/last_checkpoint`` names, if that is a whole
    checkpoint; otherwise (pointer missing, empty, naming a missing or
    damaged file, e.g. one written by a run killed while saving) the newest
    whole ``iter_<n>.pth`` or ``epoch_<n>.pth`` of the work dir, with a
    warning that says why. Temporary files of killed writes are removed.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str | None: The checkpoint; None if the work dir holds none (a
        new run).

    Raises:
        ResumeError: If the work dir holds checkpoints but none is whole,
            naming them: the run does not start again from iteration 0 over
            them.
    """
    if osp.isdir(work_dir):
        _remove_partial_files(work_dir)
    named = _pointer_target(work_dir)
    problem = 'is missing or empty'
    if named is not None:
        problem = (f'names {named}, which does not exist'
                   if not osp.isfile(named) else None)
        if problem is None:
            damage = checkpoint_format_error(named)
            if damage is None:
                return named
            problem = f'names {named}, which is {damage}'
    candidates = _step_checkpoints(work_dir)
    damaged = []
    for path in candidates:
        damage = checkpoint_format_error(path)
        if damage is None:
            skipped = f' (skipped: {", ".join(damaged)})' if damaged else ''
            print_log(
                f'{osp.join(work_dir, POINTER)} {problem}: resuming from '
                f'the newest whole checkpoint of the work dir, {path}'
                f'{skipped}.',
                logger='current',
                level=logging.WARNING)
            return path
        damaged.append(f'{osp.basename(path)}: {damage}')
    if damaged:
        raise ResumeError(
            f'--resume: {osp.join(work_dir, POINTER)} {problem} and no '
            f'checkpoint of {work_dir} is whole ({"; ".join(damaged)}). '
            'Move them away to start from iteration 0, or resume from a '
            'checkpoint of your choice with load_from=FILE.')
    if named is not None:
        raise ResumeError(
            f'--resume: {osp.join(work_dir, POINTER)} {problem}, and the '
            'work dir holds no other checkpoint. Resume from a checkpoint '
            'of your choice with load_from=FILE, or remove the pointer to '
            'start from iteration 0.')
    return None


def non_finite_tensors(state: Any, prefix: str = '') -> List[str]:
    """The names of the floating-point tensors with NaN or infinite values.

    Args:
        state (Any): A state dict, or nested dicts and lists of tensors.
        prefix (str): Prepended to each name.

    Returns:
        list[str]: Their keys, joined with ``.``.
    """
    if isinstance(state, torch.Tensor):
        finite = not state.is_floating_point() or bool(
            torch.isfinite(state).all())
        return [] if finite else [prefix]
    if isinstance(state, dict):
        items = state.items()
    elif isinstance(state, (list, tuple)):
        items = enumerate(state)
    else:
        return []
    names = []
    for key, value in items:
        names += non_finite_tensors(value, f'{prefix}.{key}' if prefix else
                                    str(key))
    return names
