# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""OpenMMLab's ``mim`` on the installed package: search, download (from a
server on 127.0.0.1), train and test with this package's tools.

mim finds a package's ``.mim`` folder next to its ``*.dist-info``; an
editable install keeps the package elsewhere, so the tests install the
built wheel into a folder of their own and put it first on PYTHONPATH, as a
``pip install mmseg-ccnet`` would.
"""
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mmengine.config import Config

from dataset_layouts import make_converted
from http_server import serve_files
from runner_utils import CONFIGS, REPO
from tiny_configs import shrink_run, tiny_ccnet

MIRRORED = 'ccnet_r50-d8_4xb2-40k_cityscapes-512x1024'
LIP = 'ccnet_r101-d8_5xb8-115k_lip-473x473'


def pip(*args: str) -> None:
    result = subprocess.run([sys.executable, '-m', 'pip', *args, '-q'],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope='module')
def site(tmp_path_factory) -> Path:
    """The wheel of this checkout, installed into a folder of its own."""
    root = tmp_path_factory.mktemp('mim')
    pip('wheel', '--no-deps', '--no-build-isolation', '-w',
        str(root / 'wheel'), str(REPO))
    wheel, = (root / 'wheel').glob('mmseg_ccnet-*.whl')
    pip('install', '--no-deps', '--target', str(root / 'site'), str(wheel))
    return root / 'site'


def mim(site: Path, *args: str, **env: str) -> str:
    """Run mim outside the checkout: ``python -m`` puts the working folder
    first on sys.path, and the checkout's ``mmseg_ccnet.egg-info`` would
    then stand for the installed package."""
    result = subprocess.run([sys.executable, '-m', 'mim', *args],
                            capture_output=True,
                            text=True,
                            timeout=600,
                            cwd=site,
                            env=dict(
                                os.environ,
                                PYTHONPATH=os.pathsep.join(
                                    [str(site)] + sys.path),
                                **env))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def test_search_lists_every_config_with_metrics(site):
    output = mim(site, 'search', 'mmseg_ccnet')
    names = {
        path.stem
        for path in CONFIGS.rglob('*.py') if '_base_' not in path.parts
    }
    for name in names:
        assert f'config id: {name}\n' in output
    assert 'cityscapes/miou           77.76' in output
    assert 'ade20k/miou               43.97' in output
    lip = mim(site, 'search', 'mmseg_ccnet', '--dataset', 'lip')
    assert lip.count('config id:') == 1 and f'config id: {LIP}' in lip


def test_download_fetches_checkpoint_and_config(site, tmp_path):
    content = b'a tiny stand-in for a checkpoint'
    name = f'tiny-{hashlib.sha256(content).hexdigest()[:8]}.pth'
    metafile = site / 'mmseg_ccnet/.mim/configs/ccnet/metafile.yaml'
    meta = yaml.safe_load(metafile.read_text())
    dest = tmp_path / 'dest'
    with serve_files({name: content}) as server:
        for model in meta['Models']:
            if model['Name'] == MIRRORED:
                model['Weights'] = f'{server.url}/{name}'
        metafile.write_text(yaml.safe_dump(meta))
        output = mim(site, 'download', 'mmseg_ccnet', '--config', MIRRORED,
                     '--dest', str(dest))
        assert server.requests == [name]
    assert f'Successfully downloaded {name}' in output
    assert (dest / name).read_bytes() == content
    config = Config.fromfile(dest / f'{MIRRORED}.py')
    assert config.model.decode_head.type == 'CCHead'
    assert config.custom_imports.imports == ['mmseg_ccnet']


def test_train_and_test_run_the_package_tools(site, tmp_path):
    """A few iterations of the LIP recipe, then a flip-TTA test of the
    checkpoint loaded from an http URL (hash-checked, then cached)."""
    lip_root = make_converted('lip', tmp_path / 'lip')
    cfg = shrink_run(
        tiny_ccnet(Config.fromfile(CONFIGS / 'ccnet_paper' / f'{LIP}.py')),
        lip_root, str(tmp_path / 'work'))
    config = tmp_path / f'{LIP}.py'
    cfg.dump(str(config))

    output = mim(site, 'train', 'mmseg_ccnet', str(config))
    assert str(site / 'mmseg_ccnet/.mim/tools/train.py') in output
    assert 'Iter(train) [2/2]' in output and 'Iter(val) [2/2]' in output
    checkpoint = (tmp_path / 'work' / 'iter_2.pth').read_bytes()

    name = f'lip-{hashlib.sha256(checkpoint).hexdigest()[:8]}.pth'
    with serve_files({name: checkpoint}) as server:
        output = mim(
            site,
            'test',
            'mmseg_ccnet',
            str(config),
            '--checkpoint',
            f'{server.url}/{name}',
            '--tta',
            '--work-dir',
            str(tmp_path / 'test'),
            TORCH_HOME=str(tmp_path / 'torch_home'))
        assert server.requests == [name]
    assert str(site / 'mmseg_ccnet/.mim/tools/test.py') in output
    assert 'Iter(test) [2/2]' in output and 'mIoU' in output
    cached = list((tmp_path / 'torch_home/hub/checkpoints').rglob(name))
    assert len(cached) == 1 and cached[0].read_bytes() == checkpoint
