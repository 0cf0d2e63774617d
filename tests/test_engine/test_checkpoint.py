# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Checkpoint downloads (verified, cached by URL, timed out) and loading
errors that name the file.

All downloads come from a server on 127.0.0.1 started by the test.
"""
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from http_server import Reply, serve_files
from mmseg_ccnet.engine.checkpoint import (
    CheckpointDownloadError,
    CheckpointLoadError,
    cache_path,
    hash_prefix,
    load_from_http,
)
from runner_utils import REPO


def checkpoint_bytes(value: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    torch.save({'state_dict': {'weight': torch.full((3, ), value)}}, buffer)
    return buffer.getvalue()


def named(content: bytes, stem: str = 'tiny_20240101_120000') -> str:
    """OpenMMLab's naming: ``<stem>-<first 8 hex of sha256>.pth``."""
    return f'{stem}-{hashlib.sha256(content).hexdigest()[:8]}.pth'


@pytest.fixture(autouse=True)
def torch_home(tmp_path, monkeypatch):
    """An empty download cache and short timeouts for every test."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.setenv('MMSEG_CCNET_CONNECT_TIMEOUT', '5')
    monkeypatch.setenv('MMSEG_CCNET_READ_TIMEOUT', '1')
    return tmp_path / 'torch_home' / 'hub' / 'checkpoints'


def cached_files(folder):
    """Every file below the cache folder, as relative paths."""
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob('*') if p.is_file())


def load(url):
    return CheckpointLoader.load_checkpoint(url, map_location='cpu')


def test_hash_prefix_follows_unambiguous_names():
    assert hash_prefix('ccnet_r50-d8_512x1024_40k_cityscapes_20200616_142517'
                       '-4123f401.pth') == '4123f401'
    # OpenMMLab's date and time make an all-digit hash unambiguous
    assert hash_prefix('x_20200616_142517-41231401.pth') == '41231401'
    assert hash_prefix('https://x/resnet50_v1c-2cccc1ad.pth') == '2cccc1ad'
    assert hash_prefix('https://x/resnet50-0676ba61.pth?x=1') == '0676ba61'
    assert hash_prefix('model_final.pth') is None
    assert hash_prefix('ccnet_r50-d8.pth') is None
    assert hash_prefix('model-20240101.pth') is None  # a date, not a hash
    assert hash_prefix('model-12345678.pth') is None


def test_mmengine_uses_the_verified_loader():
    import mmengine.runner.checkpoint as mmengine_checkpoint
    assert CheckpointLoader._get_checkpoint_loader(
        'https://download.openmmlab.com/a-12345678.pth') is load_from_http
    assert CheckpointLoader._get_checkpoint_loader(
        'http://127.0.0.1/a.pth') is load_from_http
    # what open-mmlab://, mmcls:// and torchvision:// download through
    assert mmengine_checkpoint.load_from_http is load_from_http


@pytest.mark.slow
def test_download_is_verified_then_cached(torch_home):
    content = checkpoint_bytes()
    name = named(content)
    with serve_files({name: content}) as server:
        url = f'{server.url}/{name}'
        first = load(url)
        second = load(url)
        assert server.requests == [name]  # the second load used the cache
    for checkpoint in (first, second):
        assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))
    assert cached_files(torch_home) == [
        os.path.relpath(cache_path(url, str(torch_home)), torch_home)
    ]


@pytest.mark.slow
def test_two_urls_with_one_file_name_are_two_cache_entries(torch_home):
    first, second = checkpoint_bytes(1.0), checkpoint_bytes(2.0)
    with serve_files({'a/model.pth': first, 'b/model.pth': second}) as server:
        one = load(f'{server.url}/a/model.pth')
        two = load(f'{server.url}/b/model.pth')
        assert load(f'{server.url}/b/model.pth')['state_dict']['weight'][0] \
            == 2.0
        assert server.requests == ['a/model.pth', 'b/model.pth']
    assert one['state_dict']['weight'][0] == 1.0
    assert two['state_dict']['weight'][0] == 2.0
    assert len(cached_files(torch_home)) == 2


@pytest.mark.slow
def test_corrupt_download_is_refused_and_not_cached(torch_home):
    content = checkpoint_bytes()
    name = named(checkpoint_bytes(2.0))  # the name promises other bytes
    with serve_files({name: content}) as server:
        with pytest.raises(CheckpointDownloadError, match='corrupt.*sha256'):
            load(f'{server.url}/{name}')
    assert cached_files(torch_home) == []


@pytest.mark.slow
def test_truncated_download_is_refused_and_not_cached(torch_home):
    content = checkpoint_bytes()
    name = named(content)
    with serve_files({name: content},
                     truncate={name: len(content) // 2}) as server:
        with pytest.raises(CheckpointDownloadError,
                           match=f'truncated: received {len(content) // 2} '
                           f'of {len(content)} bytes'):
            load(f'{server.url}/{name}')
    assert cached_files(torch_home) == []


@pytest.mark.slow
def test_corrupt_cache_is_downloaded_again(torch_home):
    content = checkpoint_bytes()
    name = named(content)
    with serve_files({name: content}) as server:
        url = f'{server.url}/{name}'
        path = cache_path(url, str(torch_home))
        os.makedirs(os.path.dirname(path))
        with open(path, 'wb') as file:
            file.write(content[:100])  # e.g. a file damaged on the disk
        checkpoint = load(url)
        assert server.requests == [name]
    assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))
    with open(path, 'rb') as file:
        assert file.read() == content


@pytest.mark.slow
def test_unhashed_name_truncated_without_length_is_refused(torch_home):
    content = checkpoint_bytes()
    reply = Reply(content, announce_length=False, send=len(content) - 30)
    with serve_files({'plain.pth': reply}) as server:
        with pytest.raises(CheckpointDownloadError,
                           match='not a torch checkpoint: expected a '
                           'torch.save archive, received a truncated zip'):
            load(f'{server.url}/plain.pth')
    assert cached_files(torch_home) == []


@pytest.mark.slow
def test_unhashed_name_serving_html_is_refused(torch_home):
    page = b'<!DOCTYPE html><html><body>Please log in</body></html>'
    with serve_files({'plain.pth': Reply(page, 'text/html')}) as server:
        with pytest.raises(CheckpointDownloadError,
                           match='received an HTML page'):
            load(f'{server.url}/plain.pth')
        assert cached_files(torch_home) == []
        # a later run asks again instead of trusting a cached page
        with pytest.raises(CheckpointDownloadError):
            load(f'{server.url}/plain.pth')
        assert server.requests == ['plain.pth', 'plain.pth']


@pytest.mark.slow
def test_unhashed_name_is_checked_for_length_and_format(torch_home):
    content = checkpoint_bytes()
    with serve_files({'plain.pth': Reply(content, announce_length=False)
                      }) as server:
        checkpoint = load(f'{server.url}/plain.pth')
    assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))
    assert len(cached_files(torch_home)) == 1


@pytest.mark.slow
def test_date_in_the_name_is_not_taken_for_a_hash(torch_home):
    content = checkpoint_bytes()
    with serve_files({'model-20240101.pth': content}) as server:
        checkpoint = load(f'{server.url}/model-20240101.pth')
    assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))


@pytest.mark.slow
def test_redirect_is_followed_and_cached_under_the_asked_url(torch_home):
    content = checkpoint_bytes()
    name = named(content)
    files = {'latest.pth': Reply(location=f'/store/{name}'),
             f'store/{name}': content}
    with serve_files(files) as server:
        url = f'{server.url}/latest.pth'
        checkpoint = load(url)
        load(url)
        assert server.requests == ['latest.pth', f'store/{name}']
    assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))
    assert os.path.isfile(cache_path(url, str(torch_home)))


@pytest.mark.slow
def test_redirect_to_a_wrong_hash_is_refused(torch_home):
    name = named(checkpoint_bytes(2.0))
    files = {'latest.pth': Reply(location=f'/store/{name}'),
             f'store/{name}': checkpoint_bytes(1.0)}
    with serve_files(files) as server:
        with pytest.raises(CheckpointDownloadError, match='corrupt'):
            load(f'{server.url}/latest.pth')
    assert cached_files(torch_home) == []


@pytest.mark.slow
def test_stalled_download_times_out_and_leaves_nothing(torch_home):
    content = checkpoint_bytes()
    name = named(content)
    reply = Reply(content, send=100, stall=10)
    with serve_files({name: reply}) as server:
        start = time.monotonic()
        with pytest.raises(CheckpointDownloadError,
                           match='stalled: no data for 1 s after 100 bytes'):
            load(f'{server.url}/{name}')
        assert time.monotonic() - start < 8
    assert cached_files(torch_home) == []
    assert not torch_home.exists() or not any(torch_home.iterdir())


def test_server_that_never_answers_times_out(torch_home):
    with socket.socket() as listener:  # accepts connections, never replies
        listener.bind(('127.0.0.1', 0))
        listener.listen()
        url = f'http://127.0.0.1:{listener.getsockname()[1]}/model.pth'
        start = time.monotonic()
        with pytest.raises(CheckpointDownloadError):
            load(url)
        assert time.monotonic() - start < 8
    assert cached_files(torch_home) == []


@pytest.mark.slow
def test_http_error_is_named(torch_home):
    with serve_files({}) as server:
        with pytest.raises(CheckpointDownloadError,
                           match='server answered 404'):
            load(f'{server.url}/missing-1a2b3c4d.pth')
    assert cached_files(torch_home) == []


def test_url_without_a_file_name_is_refused():
    with pytest.raises(ValueError, match='names no file'):
        load('http://127.0.0.1:9/checkpoints/')


@pytest.mark.slow
def test_bad_timeout_setting_is_named(monkeypatch):
    monkeypatch.setenv('MMSEG_CCNET_READ_TIMEOUT', 'soon')
    with serve_files({'a.pth': checkpoint_bytes()}) as server:
        with pytest.raises(ValueError, match='MMSEG_CCNET_READ_TIMEOUT'):
            load(f'{server.url}/a.pth')


@pytest.mark.slow
def test_open_mmlab_scheme_is_verified(torch_home, tmp_path, monkeypatch):
    """``open-mmlab://name`` resolves (mmengine's table, extended in
    ``$MMENGINE_HOME/open_mmlab.json``) to a URL downloaded like any."""
    content = checkpoint_bytes()
    good, bad = named(content), named(checkpoint_bytes(2.0))
    monkeypatch.setenv('MMENGINE_HOME', str(tmp_path / 'mmengine_home'))
    with serve_files({good: content, bad: content}) as server:
        (tmp_path / 'mmengine_home').mkdir()
        (tmp_path / 'mmengine_home' / 'open_mmlab.json').write_text(
            json.dumps(dict(tiny=f'{server.url}/{good}',
                            broken=f'{server.url}/{bad}')))
        checkpoint = load('open-mmlab://tiny')
        with pytest.raises(CheckpointDownloadError, match='corrupt'):
            load('open-mmlab://broken')
    assert torch.equal(checkpoint['state_dict']['weight'], torch.ones(3))
    assert len(cached_files(torch_home)) == 1


@pytest.mark.parametrize('content, problem', [
    (b'', 'an empty file'),
    (b'hello, not a checkpoint\n', "24 bytes starting with b'hello"),
    (checkpoint_bytes()[:200], 'a truncated zip archive'),
])
def test_local_file_that_is_not_a_checkpoint_is_named(tmp_path, content,
                                                      problem):
    path = tmp_path / 'iter_4.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointLoadError) as error:
        load(str(path))
    assert str(error.value).startswith(
        f'{path} is not a torch checkpoint: it is {problem}')


@pytest.mark.slow
@pytest.mark.skipif(
    not hasattr(torch.serialization, 'get_unsafe_globals_in_checkpoint'),
    reason='torch < 2.6 loads with weights_only=False by default')
def test_old_checkpoint_error_names_the_rewrite_tool_which_fixes_it(
        tmp_path):
    """A checkpoint of an mmengine run without the plugin (its message hub
    pickled as mmengine pickles it) fails with the cure in the message."""
    buffer = HistoryBuffer()
    buffer.update(0.5)
    path = tmp_path / 'iter_2.pth'
    torch.save(
        dict(
            state_dict={'w': torch.ones(2)},
            message_hub=dict(
                log_scalars={'train/loss': buffer},
                runtime_info={'best_score': np.float32(0.25)})), path)
    with pytest.raises(CheckpointLoadError) as error:
        load(str(path))
    message = str(error.value)
    assert message.startswith(f'{path} holds getattr')
    tool = 'tools/misc/rewrite_checkpoint.py'
    assert f'python {tool} {path} --trusted' in message

    def rewrite(*args):
        return subprocess.run(
            [sys.executable, str(REPO / tool), str(path), *args],
            capture_output=True, text=True, timeout=300)

    refused = rewrite()
    assert refused.returncode != 0 and '--trusted' in refused.stderr
    assert rewrite('--trusted').returncode == 0
    checkpoint = load(str(path))
    assert checkpoint['message_hub']['runtime_info']['best_score'] == 0.25
    assert checkpoint['message_hub']['log_scalars']['train/loss'].mean() \
        == 0.5
    assert (tmp_path / 'iter_2.pth.orig').read_bytes() != path.read_bytes()


@pytest.mark.parametrize('headers', [False, True], ids=['body', 'headers'])
def test_trickling_server_is_given_up_and_leaves_nothing(
        torch_home, monkeypatch, headers):
    """A byte every 0.2 s never hits the 1 s read timeout; the speed check
    (at least 1024 bytes/s over every 1 s) ends it."""
    content = checkpoint_bytes()
    name = named(content)
    reply = Reply(content, trickle=0.2, trickle_headers=headers)
    with serve_files({name: reply}) as server:
        start = time.monotonic()
        message = 'response headers did not arrive within 1 s' if headers \
            else r'too slow: .* bytes/s over the last 1\.\d s'
        with pytest.raises(CheckpointDownloadError, match=message):
            load(f'{server.url}/{name}')
        assert time.monotonic() - start < 4
    assert cached_files(torch_home) == []


@pytest.mark.parametrize('value', ['inf', 'nan', '0', '-1'])
def test_timeouts_and_speed_must_be_finite_and_positive(monkeypatch, value):
    from mmseg_ccnet.engine.checkpoint import min_speed, timeouts
    for name, check in (('MMSEG_CCNET_READ_TIMEOUT', timeouts),
                        ('MMSEG_CCNET_MIN_SPEED', min_speed)):
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match=f'{name} must be a finite'):
            check()
        monkeypatch.delenv(name)


def test_pre_staged_file_is_used_without_network(torch_home):
    """A file placed as <hub>/checkpoints/<name> loads for its URL, as with
    mmengine alone; the server is never asked."""
    content = checkpoint_bytes(3.0)
    name = named(content)
    torch_home.mkdir(parents=True)
    (torch_home / name).write_bytes(content)
    with serve_files({}) as server:
        loaded = load(f'{server.url}/some/where/{name}')
        assert server.requests == []
    assert loaded['state_dict']['weight'][0] == 3.0
    assert cached_files(torch_home) == [name]


def test_pre_staged_file_with_a_wrong_hash_is_not_used(torch_home):
    content = checkpoint_bytes(3.0)
    name = named(content)
    torch_home.mkdir(parents=True)
    (torch_home / name).write_bytes(checkpoint_bytes(4.0))
    with serve_files({name: content}) as server:
        loaded = load(f'{server.url}/{name}')
        assert server.requests == [name]
    assert loaded['state_dict']['weight'][0] == 3.0


class _Payload:
    """Pickles as a call of ``eval``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return eval, (f"__import__('os').system('touch {self.marker}')", )


@pytest.mark.skipif(
    not hasattr(torch.serialization, 'get_unsafe_globals_in_checkpoint'),
    reason='torch < 2.6 cannot list the globals of a file')
def test_code_in_a_checkpoint_gets_no_rewrite_advice(tmp_path):
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={'w': torch.ones(2)}, x=_Payload(marker)),
               path)
    with pytest.raises(CheckpointLoadError) as error:
        load(str(path))
    message = str(error.value)
    assert message.startswith(f'{path} holds builtins.eval: code')
    assert '--trusted' not in message
    for out in ([], ['--out', f'./{path.name}']):
        result = subprocess.run(
            [sys.executable, str(REPO / 'tools/misc/rewrite_checkpoint.py'),
             str(path), '--trusted', *out],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert result.returncode == 1
        assert 'holds builtins.eval: code' in result.stderr
    assert not marker.exists()


def test_rewrite_in_place_keeps_a_backup_whatever_the_spelling(tmp_path):
    path = tmp_path / 'iter_2.pth'
    torch.save(dict(state_dict={'w': torch.ones(2)},
                    meta=dict(score=np.float32(0.5))), path)
    original = path.read_bytes()
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/misc/rewrite_checkpoint.py'),
         'iter_2.pth', '--trusted', '--out', './iter_2.pth'],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'iter_2.pth.orig').read_bytes() == original
    assert load(str(path))['meta']['score'] == 0.5
