# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Checkpoint files: verified downloads and loading errors that say why.

mmengine loads ``load_from='https://...'`` (and ``open-mmlab://``,
``mmcls://``, ``torchvision://``, which resolve to such URLs) through
torch's ``load_url``, which waits for a stalled server forever, caches
whatever arrived under the URL's file name and trusts it on every later
run. :func:`load_from_http` replaces it:

* Connections and reads time out (:data:`CONNECT_TIMEOUT_ENV`,
  :data:`READ_TIMEOUT_ENV`, in seconds), the response headers must arrive
  within the read timeout, and in every read-timeout window the body must
  arrive at :data:`MIN_SPEED_ENV` bytes per second or more, so that a
  server that trickles its answer cannot hold a run for ever.
* The cache is keyed by the whole URL: ``<model_dir>/<key>/<file name>``,
  ``key`` the first 16 hex digits of the URL's sha256, ``model_dir``
  torch's hub cache (``$TORCH_HOME/hub/checkpoints``) as in mmengine. A
  file pre-staged where torch hub and mmengine look,
  ``<model_dir>/<file name>``, is used as they use it (verified against
  the hash its name carries), without the network.
* A download is cached only once it is verified: its sha256 must start with
  the hash its file name carries (:func:`hash_prefix`); a name without one
  must arrive with its announced length and be a torch checkpoint archive
  (:func:`checkpoint_format_error`). Anything else is refused with what was
  expected and what came, and leaves nothing behind.

:func:`load_from_local` loads local files with ``weights_only=True`` and
fails, for an empty, truncated or foreign file or one that
``weights_only=True`` refuses, with an error naming the file and the cure
(:func:`rewrite_trusted_checkpoint` for checkpoints of earlier runs).
"""
import copy
import hashlib
import http.client
import logging
import math
import os
import os.path as osp
import pickle
import re
import socket
import tempfile
import threading
import time
import zipfile
from typing import Any, List, Optional, Tuple
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse
from urllib.request import HTTPHandler, HTTPSHandler, Request, build_opener

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging import HistoryBuffer, print_log
from mmengine.utils import ProgressBar

__all__ = [
    'CONNECT_TIMEOUT_ENV', 'READ_TIMEOUT_ENV', 'MIN_SPEED_ENV',
    'CheckpointDownloadError',
    'CheckpointLoadError', 'hash_prefix', 'checkpoint_format_error',
    'fetch_checkpoint', 'foreign_globals', 'load_from_http',
    'load_from_local', 'plain_state',
    'rewrite_trusted_checkpoint'
]

#: Seconds to wait for a connection (default 30).
CONNECT_TIMEOUT_ENV = 'MMSEG_CCNET_CONNECT_TIMEOUT'
#: Seconds to wait for the next bytes of a download (default 60).
READ_TIMEOUT_ENV = 'MMSEG_CCNET_READ_TIMEOUT'
DEFAULT_TIMEOUTS = (30.0, 60.0)
#: Bytes per second a download must reach in every read-timeout window
#: (default 1024).
MIN_SPEED_ENV = 'MMSEG_CCNET_MIN_SPEED'
DEFAULT_MIN_SPEED = 1024.0
#: OpenMMLab's ``<name>_YYYYMMDD_HHMMSS-<8 hex>.pth``: 8 hex digits after a
#: date and time are the sha256 prefix, even if all of them are digits.
OPENMMLAB_NAME = re.compile(r'_\d{8}_\d{6}-([0-9a-f]{8})\.[^.]+$')
#: ``<name>-<8 to 64 hex>.<ext>`` with a letter among the digits (so not a
#: date such as ``-20240101``), as torchvision and OpenMMLab name weights.
HEX_SUFFIX = re.compile(r'-((?=[0-9]*[a-f])[0-9a-f]{8,64})\.[^.]+$')
#: The globals an mmengine run without the plugin pickles into its
#: checkpoints (numpy scalars and arrays, HistoryBuffer and its methods).
MMENGINE_GLOBALS = re.compile(
    r'^(builtins\.getattr|collections\.OrderedDict|'
    r'numpy\.(_core|core)\.multiarray\.(scalar|_reconstruct)|'
    r'numpy\.(ndarray|dtype)|numpy\.dtypes\.\w+DType|'
    r'mmengine\.logging\.history_buffer\.HistoryBuffer)$')
#: What ``torch.save`` writes in its legacy (pre-zip) format first.
LEGACY_MAGIC = b'\x80\x02\x8a\x0a' + (0x1950a86a20f9469cfc6c).to_bytes(
    10, 'little')
CHUNK = 1 << 20  # bytes per read, and per progress bar step
TOOL = 'tools/misc/rewrite_checkpoint.py'


class CheckpointDownloadError(RuntimeError):
    """A download failed, stalled, or is not the checkpoint it claims."""


class CheckpointLoadError(pickle.UnpicklingError):
    """A checkpoint file cannot be loaded; the message says why."""


class _HeadersTimeout(socket.timeout):
    """A server's status line and headers took longer than allowed."""


def hash_prefix(filename: str) -> Optional[str]:
    """The sha256 prefix a checkpoint's file name promises.

    Args:
        filename (str): File name, path or URL, such as
            ``pspnet_r50-d8_20200605_003338-2966598c.pth``.

    Returns:
        str | None: The hex digits of an OpenMMLab-style name
        (:data:`OPENMMLAB_NAME`) or of a ``-<hex>`` suffix with at least one
        letter (:data:`HEX_SUFFIX`); None if the name carries no hash.
    """
    name = osp.basename(urlparse(filename).path)
    match = OPENMMLAB_NAME.search(name) or HEX_SUFFIX.search(name)
    return match.group(1) if match else None


def _sha256(path: str) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def checkpoint_format_error(path: str) -> Optional[str]:
    """Why a file is not a (whole) torch checkpoint, or None if it is one.

    Checks the structure only: a zip archive with a ``data.pkl`` record and
    intact members (``torch.save``'s format), or the legacy format's magic.

    Args:
        path (str): The file.

    Returns:
        str | None: What the file is instead, e.g. ``'an HTML page'``.
    """
    with open(path, 'rb') as file:
        head = file.read(64)
    if not head:
        return 'an empty file'
    if head.startswith(LEGACY_MAGIC):
        return None
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not any(n.rsplit('/', 1)[-1] == 'data.pkl' for n in names):
                return 'a zip archive without data.pkl'
            broken = archive.testzip()
        return f'a damaged archive ({broken})' if broken else None
    text = head.lstrip().lower()
    if text.startswith((b'<!doctype html', b'<html', b'<?xml', b'<head')):
        return f'an HTML page ({head[:40]!r}...)'
    if head.startswith(b'PK'):
        return 'a truncated zip archive'
    return f'{osp.getsize(path)} bytes starting with {head[:16]!r}'


def _positive_setting(name: str, default: float, unit: str) -> float:
    """A finite positive number from the environment variable ``name``."""
    text = os.environ.get(name, str(default))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f'{name} must be a finite number of {unit} > 0, '
                         f'got {text!r}')
    return value


def timeouts() -> Tuple[float, float]:
    """Connect and read timeouts in seconds, from the environment.

    Returns:
        tuple[float, float]: ``$MMSEG_CCNET_CONNECT_TIMEOUT`` and
        ``$MMSEG_CCNET_READ_TIMEOUT``, defaults :data:`DEFAULT_TIMEOUTS`.

    Raises:
        ValueError: If a variable is not a finite positive number.
    """
    return (_positive_setting(CONNECT_TIMEOUT_ENV, DEFAULT_TIMEOUTS[0],
                              'seconds'),
            _positive_setting(READ_TIMEOUT_ENV, DEFAULT_TIMEOUTS[1],
                              'seconds'))


def min_speed() -> float:
    """The slowest download accepted, in bytes per second.

    Returns:
        float: ``$MMSEG_CCNET_MIN_SPEED``, default 1024.

    Raises:
        ValueError: If it is not a finite positive number.
    """
    return _positive_setting(MIN_SPEED_ENV, DEFAULT_MIN_SPEED,
                             'bytes per second')


def _read_timeout_connection(base: type, read_timeout: float) -> type:
    """``base`` (an ``http.client`` connection) with its own read timeout.

    The connection is made within the request's timeout; afterwards every
    read waits at most ``read_timeout`` seconds, and the status line and
    headers must be complete within ``read_timeout`` seconds (else the
    socket is shut and ``socket.timeout`` raised), however slowly they
    trickle.
    """

    class Connection(base):

        def connect(self) -> None:
            super().connect()
            self.sock.settimeout(read_timeout)

        def _expire(self) -> None:
            self.expired = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except (AttributeError, OSError):
                pass  # already closed

        def getresponse(self) -> http.client.HTTPResponse:
            self.expired = False
            timer = threading.Timer(read_timeout, self._expire)
            timer.daemon = True
            timer.start()
            try:
                return super().getresponse()
            except (OSError, http.client.HTTPException) as error:
                if self.expired:
                    raise _HeadersTimeout(
                        'the response headers did not arrive within '
                        f'{read_timeout:g} s') from error
                raise
            finally:
                timer.cancel()

    return Connection


class _HTTPHandler(HTTPHandler):
    """``HTTPHandler`` whose connections have a separate read timeout."""

    def __init__(self, read_timeout: float) -> None:
        super().__init__()
        self.connection = _read_timeout_connection(http.client.HTTPConnection,
                                                   read_timeout)

    def http_open(self, req: Request):
        return self.do_open(self.connection, req)


class _HTTPSHandler(HTTPSHandler):
    """``HTTPSHandler`` whose connections have a separate read timeout."""

    def __init__(self, read_timeout: float) -> None:
        super().__init__()
        self.connection = _read_timeout_connection(
            http.client.HTTPSConnection, read_timeout)

    def https_open(self, req: Request):
        return self.do_open(
            self.connection, req, context=self._context)


def _download(url: str, dst: str, progress: bool = True) -> None:
    """Download ``url`` to ``dst`` if what arrives is verified.

    The bytes go to a temporary file next to ``dst`` that is renamed to
    ``dst`` only after the checks, so ``dst`` never holds a bad download and
    nothing is left behind on failure.

    Args:
        url (str): The http(s) URL.
        dst (str): The path to write.
        progress (bool): Whether to show a progress bar. Defaults to True.

    Raises:
        CheckpointDownloadError: If the server cannot be reached, answers
            with an error, stalls, sends fewer bytes than it announced, or
            sends something that does not match the file name's hash or is
            not a torch checkpoint.
    """
    connect_timeout, read_timeout = timeouts()
    slowest = min_speed()
    opener = build_opener(_HTTPHandler(read_timeout),
                          _HTTPSHandler(read_timeout))
    handle, partial = tempfile.mkstemp(
        prefix=f'.{osp.basename(dst)}.', suffix='.partial',
        dir=osp.dirname(dst))
    os.close(handle)
    received = 0
    try:
        with opener.open(Request(url, headers={'User-Agent': 'mmseg-ccnet'}),
                         timeout=connect_timeout) as response, \
                open(partial, 'wb') as file:
            served = response.geturl()
            length = response.headers.get('Content-Length')
            size = int(length) if length is not None else None
            size_text = 'unknown size' if size is None else \
                f'{size / CHUNK:.1f} MiB'
            print_log(
                f'Downloading {url} ({size_text}) to {dst}', logger='current')
            bar = ProgressBar(-(-size // CHUNK) if size else 0) \
                if progress else None
            digest = hashlib.sha256()
            window = (time.monotonic(), 0)  # start of the rate window
            for chunk in iter(lambda: response.read1(CHUNK), b''):
                file.write(chunk)
                digest.update(chunk)
                steps = received // CHUNK
                received += len(chunk)
                for _ in range(received // CHUNK - steps if bar else 0):
                    bar.update()  # one step per MiB
                window = _check_speed(url, window, received, read_timeout,
                                      slowest)
            if bar is not None:
                bar.file.write('\n')
        if size is not None and received != size:
            raise CheckpointDownloadError(
                f'Download of {url} is truncated: received {received} of '
                f'{size} bytes. Nothing was cached; try again.')
        _verify(url, served, partial, digest.hexdigest())
        os.replace(partial, dst)
    except HTTPError as error:
        raise CheckpointDownloadError(
            f'Download of {url} failed: the server answered {error.code} '
            f'{error.reason}. Nothing was cached.') from error
    except _HeadersTimeout as error:
        raise CheckpointDownloadError(
            f'Download of {url} stalled: {error} (${READ_TIMEOUT_ENV} sets '
            'the limit). Nothing was cached; try again.') from error
    except (socket.timeout, TimeoutError) as error:
        raise CheckpointDownloadError(
            f'Download of {url} stalled: no data for {read_timeout:g} s '
            f'after {received} bytes (${READ_TIMEOUT_ENV} sets the limit). '
            'Nothing was cached; try again.') from error
    except URLError as error:
        raise CheckpointDownloadError(
            f'Download of {url} failed: {error.reason} (connect timeout '
            f'{connect_timeout:g} s, ${CONNECT_TIMEOUT_ENV}). Nothing was '
            'cached.') from error
    except (http.client.HTTPException, ConnectionError) as error:
        raise CheckpointDownloadError(
            f'Download of {url} broke off after {received} bytes: '
            f'{error!r}. Nothing was cached; try again.') from error
    finally:
        if osp.exists(partial):
            os.remove(partial)


def _check_speed(url: str, window: Tuple[float, int], received: int,
                 seconds: float, slowest: float) -> Tuple[float, int]:
    """Check the speed of a download over its last window of time.

    Args:
        url (str): The URL, for the message.
        window (tuple[float, int]): When the window started
            (``time.monotonic()``) and the bytes received by then.
        received (int): The bytes received now.
        seconds (float): The window's length.
        slowest (float): The minimum speed, in bytes per second.

    Returns:
        tuple[float, int]: The window to check next: a new one once
        ``seconds`` have passed, else ``window``.

    Raises:
        CheckpointDownloadError: If a whole window ran slower than
            ``slowest``.
    """
    now = time.monotonic()
    elapsed = now - window[0]
    if elapsed < seconds:
        return window
    speed = (received - window[1]) / elapsed
    if speed < slowest:
        raise CheckpointDownloadError(
            f'Download of {url} is too slow: {speed:.1f} bytes/s over the '
            f'last {elapsed:.1f} s, after {received} bytes (at least '
            f'{slowest:g} bytes/s are expected, ${MIN_SPEED_ENV}). Nothing '
            'was cached; try again.')
    return now, received


def _verify(url: str, served: str, path: str, sha256: str) -> None:
    """Check a finished download against its hash, or its format.

    Args:
        url (str): The requested URL.
        served (str): The URL that answered (after redirects).
        path (str): The downloaded file.
        sha256 (str): Its hex sha256.

    Raises:
        CheckpointDownloadError: If the hash in the requested (else the
            served) file name does not match, or, without one, the file is
            not a torch checkpoint.
    """
    expected = hash_prefix(url) or hash_prefix(served)
    if expected:
        if not sha256.startswith(expected):
            raise CheckpointDownloadError(
                f'Download of {url} is corrupt: its sha256 is {sha256}, but '
                f'its file name promises {expected}. Nothing was cached.')
        return
    problem = checkpoint_format_error(path)
    if problem:
        raise CheckpointDownloadError(
            f'Download of {url} is not a torch checkpoint: expected a '
            f'torch.save archive, received {problem}. Nothing was cached.')


def cache_path(url: str, model_dir: str) -> str:
    """Where the verified copy of ``url`` is cached.

    Args:
        url (str): The http(s) URL.
        model_dir (str): The cache folder.

    Returns:
        str: ``<model_dir>/<first 16 hex of sha256(url)>/<file name>``.

    Raises:
        ValueError: If the URL names no file (e.g. it ends with ``/``).
    """
    name = osp.basename(urlparse(url).path)
    if not name:
        raise ValueError(f'{url} names no file (a checkpoint URL ends with '
                         'its file name, e.g. .../model-1a2b3c4d.pth)')
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return osp.join(model_dir, key, name)


def fetch_checkpoint(url: str,
                     model_dir: Optional[str] = None,
                     progress: bool = True) -> str:
    """The verified local copy of a checkpoint URL, downloaded if needed.

    Args:
        url (str): The http(s) URL of the checkpoint.
        model_dir (str, optional): Cache folder. Defaults to
            ``<torch hub dir>/checkpoints``, the folder mmengine uses.
        progress (bool): Whether to show a progress bar. Defaults to True.

    Returns:
        str: Path of the cached file (see :func:`cache_path`), or of the
        file pre-staged as ``<model_dir>/<file name>`` (where torch hub and
        mmengine look) if there is no cached one: used without the network,
        as mmengine uses it, for any URL of that file name. A cached or
        pre-staged file whose sha256 does not match the hash in its name is
        not used (and the URL downloaded).

    Raises:
        CheckpointDownloadError: See :func:`_download`.
        ValueError: If the URL names no file.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    path = cache_path(url, model_dir)
    expected = hash_prefix(url)
    staged = osp.join(model_dir, osp.basename(path))
    for local, kind in ((path, 'cached'), (staged, 'pre-staged')):
        if not osp.isfile(local):
            continue
        if not expected or _sha256(local).startswith(expected):
            if local == staged:
                print_log(
                    f'Using {staged} for {url}: pre-staged in the hub cache '
                    '(as torch hub and mmengine use it), not downloaded.',
                    logger='current')
            return local
        print_log(
            f'The {kind} {local} does not match the sha256 prefix in its '
            'name; not using it.',
            logger='current',
            level=logging.WARNING)
    if not expected:
        print_log(
            f'{url} has no sha256 prefix in its file name '
            '(<name>-<hash>.pth): checking its length and format only.',
            logger='current',
            level=logging.WARNING)
    folder = osp.dirname(path)
    os.makedirs(folder, exist_ok=True)
    try:
        _download(url, path, progress)
    finally:
        if not os.listdir(folder):
            os.rmdir(folder)
    return path


def load_from_http(filename: str,
                   map_location: Optional[str] = None,
                   model_dir: Optional[str] = None,
                   progress: bool = True) -> dict:
    """Load a checkpoint from an http(s) URL through the verified cache.

    The signature of mmengine's ``load_from_http``. In distributed runs rank
    0 downloads first; the other ranks wait and then read the cache.

    Args:
        filename (str): The checkpoint's URL.
        map_location (str, optional): Same as :func:`torch.load`.
        model_dir (str, optional): Cache folder, see
            :func:`fetch_checkpoint`.
        progress (bool): Whether to show a progress bar. Defaults to True.

    Returns:
        dict: The loaded checkpoint.
    """
    rank, world_size = get_dist_info()
    if rank == 0:
        path = fetch_checkpoint(filename, model_dir, progress)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = fetch_checkpoint(filename, model_dir, progress)
    return load_from_local(path, map_location)


def _refused_global(error: Exception) -> Optional[str]:
    """The global that ``weights_only=True`` refused, if that failed."""
    match = re.search(r'Unsupported global: GLOBAL (\S+)', str(error))
    return match.group(1) if match else None


def foreign_globals(filename: str) -> List[str]:
    """The globals of a checkpoint that mmengine runs do not write.

    Args:
        filename (str): A checkpoint file.

    Returns:
        list[str]: The globals ``weights_only=True`` refuses (torch >= 2.6
        lists them without loading the file) other than those an mmengine
        run without the plugin pickles (:data:`MMENGINE_GLOBALS`), e.g.
        ``['builtins.eval']``: code, which :func:`rewrite_trusted_checkpoint`
        must not run. Empty where torch cannot list them.
    """
    lister = getattr(torch.serialization, 'get_unsafe_globals_in_checkpoint',
                     None)
    if lister is None:
        return []
    return [name for name in lister(filename)
            if not MMENGINE_GLOBALS.match(name)]


def load_from_local(filename: str,
                    map_location: Optional[str] = None) -> dict:
    """Load a local checkpoint file, saying why if that fails.

    The signature of mmengine's ``load_from_local``. Loads with
    ``torch.load(weights_only=True)`` wherever torch can allowlist globals
    (torch >= 2.4, see :mod:`mmseg_ccnet.compat.safe_globals`), and with
    torch's default before.

    Args:
        filename (str): The file.
        map_location (str, optional): Same as :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: If there is no such file.
        CheckpointLoadError: Naming the file, if it is empty, truncated or
            not a checkpoint, or holds a global that ``weights_only=True``
            refuses (with the tool that rewrites a trusted file).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    strict = hasattr(torch.serialization, 'add_safe_globals')
    try:
        return torch.load(
            filename,
            map_location=map_location,
            **(dict(weights_only=True) if strict else {}))
    except Exception as error:
        refused = _refused_global(error)
        foreign = foreign_globals(filename) if refused is not None else []
        if foreign:
            raise CheckpointLoadError(
                f'{filename} holds {", ".join(foreign)}: code that '
                'torch.load(weights_only=True) does not run, and that no '
                'checkpoint written by mmengine holds. Do not load it with '
                'weights_only=False; ask its source for a plain '
                'checkpoint.') from error
        if refused is not None:
            raise CheckpointLoadError(
                f'{filename} holds {refused}, which '
                'torch.load(weights_only=True) does not run. mmengine runs '
                'without mmseg-ccnet store numpy scalars and HistoryBuffer '
                'methods this way. If you trust the file, rewrite it once: '
                f'python {TOOL} {filename} --trusted (from a clone of '
                'mmseg-ccnet; or mim run mmseg_ccnet rewrite_checkpoint '
                f'{filename} --trusted)') from error
        problem = checkpoint_format_error(filename)
        if problem is None:
            raise
        raise CheckpointLoadError(f'{filename} is not a torch checkpoint: '
                                  f'it is {problem}') from error


class _ConstructedHistoryBuffer(HistoryBuffer):
    """A HistoryBuffer that pickles as a plain ``HistoryBuffer(...)`` call.

    ``HistoryBuffer.__getstate__`` saves the class's statistics methods,
    which unpickle through ``getattr``; this saves only the data.
    """

    def __reduce__(self) -> tuple:
        return HistoryBuffer, (self._log_history, self._count_history,
                               self.max_length)


def plain_state(value: Any) -> Any:
    """Make a checkpoint (or part of one) loadable with ``weights_only``.

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
        plain = copy.copy(value)
        plain.update((key, plain_state(item)) for key, item in value.items())
        return plain
    if isinstance(value, list):
        return [plain_state(item) for item in value]
    if type(value) is tuple:
        return tuple(plain_state(item) for item in value)
    return value


def rewrite_trusted_checkpoint(src: str, dst: str) -> None:
    """Rewrite a trusted checkpoint into the ``weights_only`` loadable form.

    Loads ``src`` with ``weights_only=False``, which runs whatever the file
    holds: only for files of a trusted source, and only if it holds nothing
    but what mmengine runs write (:func:`foreign_globals`). Numpy scalars
    become Python numbers and HistoryBuffers plain constructor calls
    (:func:`plain_state`).

    Args:
        src (str): The checkpoint to read.
        dst (str): Where to write the rewritten checkpoint (may be ``src``;
            written to a temporary file and renamed).

    Raises:
        CheckpointLoadError: If ``src`` holds other globals (code), naming
            them; it is not loaded.
    """
    foreign = foreign_globals(src)
    if foreign:
        raise CheckpointLoadError(
            f'{src} holds {", ".join(foreign)}: code, not a checkpoint '
            'written by mmengine; it is not loaded, trusted or not.')
    checkpoint = torch.load(src, map_location='cpu', weights_only=False)
    handle, partial = tempfile.mkstemp(
        prefix=f'.{osp.basename(dst)}.', dir=osp.dirname(osp.abspath(dst)))
    os.close(handle)
    try:
        torch.save(plain_state(checkpoint), partial)
        os.replace(partial, dst)
    finally:
        if osp.exists(partial):
            os.remove(partial)
