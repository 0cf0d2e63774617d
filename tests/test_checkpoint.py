# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``load_from=<http URL>``: verified against the file name's hash, cached.

All downloads come from a server on 127.0.0.1 started by the test.
"""
import hashlib
import io

import pytest
import torch
from mmengine.runner import CheckpointLoader

from http_server import serve_files
from mmseg_ccnet.checkpoint import (CheckpointDownloadError, hash_prefix,
                                    load_from_http)


def checkpoint_bytes(value: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    torch.save({'state_dict': {'weight': torch.full((3, ), value)}}, buffer)
    return buffer.getvalue()


def named(content: bytes, stem: str = 'tiny_20240101') -> str:
    """OpenMMLab's naming: ``<stem>-<first 8 hex of sha256>.pth``."""
    return f'{stem}-{hashlib.sha256(content).hexdigest()[:8]}.pth'


@pytest.fixture(autouse=True)
def torch_home(tmp_path, monkeypatch):
    """An empty download cache for every test."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    return tmp_path / 'torch_home' / 'hub' / 'checkpoints'


def test_hash_prefix_follows_openmmlab_names():
    assert hash_prefix('ccnet_r50-d8_512x1024_40k_cityscapes_20200616_142517'
                       '-4123f401.pth') == '4123f401'
    assert hash_prefix('https://x/resnet50_v1c-2cccc1ad.pth') == '2cccc1ad'
    assert hash_prefix('model_final.pth') is None
    assert hash_prefix('ccnet_r50-d8.pth') is None


def test_mmengine_uses_the_verified_loader():
    assert CheckpointLoader._get_checkpoint_loader(
        'https://download.openmmlab.com/a-12345678.pth') is load_from_http
    assert CheckpointLoader._get_checkpoint_loader(
        'http://127.0.0.1/a.pth') is load_from_http


def test_download_is_verified_then_cached(torch_home):
    content = checkpoint_bytes()
    name = named(content)
    with serve_files({name: content}) as server:
        url = f'{server.url}/{name}'
        first = CheckpointLoader.load_checkpoint(url, map_location='cpu')
        second = CheckpointLoader.load_checkpoint(url, map_location='cpu')
        assert server.requests == [name]  # the second load used the cache
    for checkpoint in (first, second):
        assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))
    assert sorted(p.name for p in torch_home.iterdir()) == [name]


def test_corrupt_download_is_refused_and_not_cached(torch_home):
    content = checkpoint_bytes()
    name = named(checkpoint_bytes(2.0))  # the name promises other bytes
    with serve_files({name: content}) as server:
        with pytest.raises(CheckpointDownloadError, match='corrupt.*sha256'):
            CheckpointLoader.load_checkpoint(f'{server.url}/{name}')
    assert list(torch_home.iterdir()) == []


def test_truncated_download_is_refused_and_not_cached(torch_home):
    content = checkpoint_bytes()
    name = named(content)
    with serve_files({name: content},
                     truncate={name: len(content) // 2}) as server:
        with pytest.raises(CheckpointDownloadError,
                           match=f'truncated: received {len(content) // 2} '
                           f'of {len(content)} bytes'):
            CheckpointLoader.load_checkpoint(f'{server.url}/{name}')
    assert list(torch_home.iterdir()) == []


def test_corrupt_cache_is_downloaded_again(torch_home):
    content = checkpoint_bytes()
    name = named(content)
    torch_home.mkdir(parents=True)
    (torch_home / name).write_bytes(content[:100])  # e.g. an old bad download
    with serve_files({name: content}) as server:
        checkpoint = CheckpointLoader.load_checkpoint(f'{server.url}/{name}')
        assert server.requests == [name]
    assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))
    assert (torch_home / name).read_bytes() == content


def test_name_without_hash_is_checked_for_length_only(torch_home):
    content = checkpoint_bytes()
    with serve_files({'plain.pth': content},
                     truncate={'plain.pth': 10}) as server:
        with pytest.raises(CheckpointDownloadError, match='truncated'):
            CheckpointLoader.load_checkpoint(f'{server.url}/plain.pth')
    with serve_files({'plain.pth': content}) as server:
        checkpoint = CheckpointLoader.load_checkpoint(
            f'{server.url}/plain.pth')
    assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))
