# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Atomic checkpoint writes, the checkpoint --resume takes, non-finite
weights found."""
import errno
import os

import pytest
import torch

from mmseg_ccnet.engine.checkpoint_files import (
    ResumeError,
    atomic_save,
    atomic_write_text,
    find_resumable_checkpoint,
    non_finite_tensors,
)


def save(path, value=1.0):
    torch.save(dict(state_dict=dict(w=torch.full((4, ), value))), path)
    return str(path)


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def test_atomic_save_replaces_whole(tmp_path):
    path = tmp_path / 'iter_2.pth'
    save(path, 1.0)
    atomic_save(dict(state_dict=dict(w=torch.full((4, ), 2.0))), str(path))
    assert torch.load(path)['state_dict']['w'][0] == 2.0
    assert os.listdir(tmp_path) == ['iter_2.pth']


def test_full_disk_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / 'iter_2.pth'
    save(path, 1.0)

    def full_disk(obj, file):
        file.write(b'PK\x03\x04 half')
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(torch, 'save', full_disk)
    with pytest.raises(OSError, match=f'{path}: the disk is full'):
        atomic_save(dict(state_dict={}), str(path))
    monkeypatch.undo()
    assert torch.load(path)['state_dict']['w'][0] == 1.0
    assert os.listdir(tmp_path) == ['iter_2.pth']


def test_atomic_text(tmp_path):
    path = tmp_path / 'last_checkpoint'
    atomic_write_text(str(path), 'a')
    atomic_write_text(str(path), 'b')
    assert path.read_text() == 'b' and os.listdir(tmp_path) == [path.name]


def test_pointer_to_a_whole_checkpoint_is_taken(tmp_path):
    save(tmp_path / 'iter_4.pth')
    (tmp_path / 'last_checkpoint').write_text(save(tmp_path / 'iter_2.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) == str(tmp_path /
                                                           'iter_2.pth')


@pytest.mark.parametrize('pointer', [None, '', 'deleted', 'truncated'])
def test_newest_whole_checkpoint_is_found(tmp_path, pointer, caplog):
    save(tmp_path / 'iter_2.pth')
    save(tmp_path / 'iter_10.pth')
    save(tmp_path / 'iter_12.pth')
    truncate(tmp_path / 'iter_12.pth')
    target = {
        '': '',
        'deleted': str(tmp_path / 'iter_14.pth'),
        'truncated': str(tmp_path / 'iter_12.pth')
    }.get(pointer)
    if target is not None:
        (tmp_path / 'last_checkpoint').write_text(target)
    assert find_resumable_checkpoint(str(tmp_path)) == str(tmp_path /
                                                           'iter_10.pth')


def test_no_whole_checkpoint_is_an_error_not_a_new_run(tmp_path):
    save(tmp_path / 'iter_2.pth')
    truncate(tmp_path / 'iter_2.pth')
    with pytest.raises(ResumeError, match='iter_2.pth: a truncated zip'):
        find_resumable_checkpoint(str(tmp_path))
    (tmp_path / 'iter_2.pth').unlink()
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    with pytest.raises(ResumeError, match='which does not exist'):
        find_resumable_checkpoint(str(tmp_path))


def test_empty_work_dir_is_a_new_run(tmp_path):
    assert find_resumable_checkpoint(str(tmp_path)) is None
    assert find_resumable_checkpoint(str(tmp_path / 'missing')) is None


def test_non_finite_tensors_are_named():
    state = dict(
        a=torch.ones(2),
        b=dict(c=torch.tensor([1.0, float('nan')]), d=torch.arange(3)),
        e=[torch.tensor(float('inf'))])
    assert non_finite_tensors(state) == ['b.c', 'e.0']
