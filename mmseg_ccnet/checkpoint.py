# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Verified, cached loading of checkpoints from http(s) URLs.

mmengine loads ``load_from='https://...'`` through torch's ``load_url``
without checking what arrived: a truncated or corrupted download is cached
as if it were the checkpoint, and every later run fails in ``torch.load``
with an unpickling error far from its cause. OpenMMLab names its published
checkpoints ``<name>-<first 8 hex digits of the file's sha256>.pth``.

:func:`load_from_http` replaces mmengine's loader for the ``http://`` and
``https://`` schemes (:func:`register_http_loader`, run when the package is
imported). It downloads into torch's hub cache (``$TORCH_HOME/hub/
checkpoints``) through a temporary file, refuses a download shorter than its
``Content-Length`` or whose sha256 does not start with the hash in its file
name, and loads the cached file on later calls. A file name without a hash
is loaded after the length check only, with a warning.
"""
import hashlib
import http.client
import logging
import os
import os.path as osp
import re
from typing import Optional
from urllib.parse import urlparse
from urllib.request import Request, urlopen

import torch
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from mmengine.utils import ProgressBar

__all__ = [
    'CheckpointDownloadError', 'hash_prefix', 'fetch_checkpoint',
    'load_from_http', 'register_http_loader'
]

#: ``<name>-<hex>.<ext>``: OpenMMLab's convention for the sha256 prefix.
HASH_IN_NAME = re.compile(r'-([0-9a-f]{8,64})\.[^.]+$')
CHUNK = 1 << 20  # bytes per read, and per progress bar step


class CheckpointDownloadError(RuntimeError):
    """A downloaded checkpoint is truncated or does not match its hash."""


def hash_prefix(filename: str) -> Optional[str]:
    """The sha256 prefix a checkpoint's file name promises.

    Args:
        filename (str): File name (or path) such as
            ``pspnet_r50-d8_20200605_003338-2966598c.pth``.

    Returns:
        str | None: The hex digits after the last ``-`` (8 to 64 of them),
        or None if the name carries no hash.
    """
    match = HASH_IN_NAME.search(osp.basename(filename))
    return match.group(1) if match else None


def _sha256(path: str) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, dst: str) -> None:
    """Download ``url`` to ``dst`` if it arrives whole and matches its hash.

    The bytes go to a temporary file next to ``dst`` that is renamed to
    ``dst`` only after the checks, so ``dst`` never holds a bad download.

    Args:
        url (str): The http(s) URL.
        dst (str): The path to write.

    Raises:
        CheckpointDownloadError: If fewer bytes arrive than the response's
            ``Content-Length`` or the sha256 does not match the file name.
    """
    expected_hash = hash_prefix(dst)
    partial = f'{dst}.{os.getpid()}.partial'
    digest = hashlib.sha256()
    received = 0
    try:
        with urlopen(Request(url, headers={'User-Agent': 'mmseg-ccnet'})) \
                as response, open(partial, 'wb') as file:
            length = response.headers.get('Content-Length')
            size = int(length) if length is not None else None
            size_text = 'unknown size' if size is None else \
                f'{size / CHUNK:.1f} MiB'
            print_log(
                f'Downloading {url} ({size_text}) to {dst}', logger='current')
            progress = ProgressBar(-(-size // CHUNK) if size else 0)
            for chunk in iter(lambda: response.read(CHUNK), b''):
                file.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                progress.update()
            progress.file.write('\n')
        if size is not None and received != size:
            raise CheckpointDownloadError(
                f'Download of {url} is truncated: received {received} of '
                f'{size} bytes. Nothing was cached; try again.')
        if expected_hash and not digest.hexdigest().startswith(expected_hash):
            raise CheckpointDownloadError(
                f'Download of {url} is corrupt: its sha256 is '
                f'{digest.hexdigest()}, but its file name promises '
                f'{expected_hash}. Nothing was cached.')
        os.replace(partial, dst)
    except (http.client.IncompleteRead, ConnectionError) as error:
        raise CheckpointDownloadError(
            f'Download of {url} broke off after {received} bytes: {error}. '
            'Nothing was cached; try again.') from error
    finally:
        if osp.exists(partial):
            os.remove(partial)


def fetch_checkpoint(url: str, model_dir: Optional[str] = None) -> str:
    """The verified local copy of a checkpoint URL, downloaded if needed.

    Args:
        url (str): The http(s) URL of the checkpoint.
        model_dir (str, optional): Cache folder. Defaults to
            ``<torch hub dir>/checkpoints``, the folder mmengine uses.

    Returns:
        str: Path of the cached file. A cached file whose sha256 does not
        match the hash in its name is downloaded again.

    Raises:
        CheckpointDownloadError: If the download is truncated or corrupt.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    path = osp.join(model_dir, osp.basename(urlparse(url).path))
    expected_hash = hash_prefix(path)
    if osp.isfile(path):
        if not expected_hash or _sha256(path).startswith(expected_hash):
            return path
        print_log(
            f'The cached {path} does not match the sha256 prefix in its '
            'name; downloading it again.',
            logger='current',
            level=logging.WARNING)
    if not expected_hash:
        print_log(
            f'{url} has no sha256 prefix in its file name '
            '(<name>-<hash>.pth); only its length can be checked.',
            logger='current',
            level=logging.WARNING)
    _download(url, path)
    return path


def load_from_http(filename: str,
                   map_location: Optional[str] = None,
                   model_dir: Optional[str] = None) -> dict:
    """Load a checkpoint from an http(s) URL through the verified cache.

    In distributed runs rank 0 downloads first; the other ranks wait and
    then read the cache.

    Args:
        filename (str): The checkpoint's URL.
        map_location (str, optional): Same as :func:`torch.load`.
        model_dir (str, optional): Cache folder, see
            :func:`fetch_checkpoint`.

    Returns:
        dict: The loaded checkpoint.
    """
    rank, world_size = get_dist_info()
    if rank == 0:
        path = fetch_checkpoint(filename, model_dir)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = fetch_checkpoint(filename, model_dir)
    return torch.load(path, map_location=map_location)


def register_http_loader() -> None:
    """Make mmengine load ``http://`` and ``https://`` checkpoints with
    :func:`load_from_http`."""
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=load_from_http, force=True)
