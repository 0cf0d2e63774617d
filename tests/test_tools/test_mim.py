# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""``mim`` on the installed package: search, download (from a server on
127.0.0.1), train and test with this package's tools.

OpenMMLab's openmim finds a package's ``.mim`` folder next to its
``*.dist-info``, which an editable install keeps elsewhere; OneDL's
onedl-mim finds an editable install through its ``direct_url.json`` and a
regular install not at all (it takes the first entry of ``RECORD``, the
``.dist-info`` folder). The tests install the built wheel into a folder of
their own, put it first on PYTHONPATH, and for onedl-mim declare that copy
editable in its ``direct_url.json``, as ``pip install -e`` would.
"""
import hashlib
import importlib.metadata
import json
import os
import re
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

# every test here starts processes
pytestmark = pytest.mark.slow

MIRRORED = 'ccnet_r50-d8_4xb2-40k_cityscapes-512x1024'
LIP = 'ccnet_r101-d8_5xb8-115k_lip-473x473'


def pip(*args: str) -> None:
    result = subprocess.run([sys.executable, '-m', 'pip', *args, '-q'],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def installed(distribution: str) -> bool:
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


ONEDL_MIM = installed('onedl-mim')


@pytest.fixture(scope='module')
def site(tmp_path_factory) -> Path:
    """The wheel of this checkout, installed into a folder of its own."""
    root = tmp_path_factory.mktemp('mim')
    pip('wheel', '--no-deps', '--no-build-isolation', '-w',
        str(root / 'wheel'), str(REPO))
    wheel, = (root / 'wheel').glob('mmseg_ccnet-*.whl')
    pip('install', '--no-deps', '--target', str(root / 'site'), str(wheel))
    if ONEDL_MIM:
        dist_info, = (root / 'site').glob('mmseg_ccnet-*.dist-info')
        (dist_info / 'direct_url.json').write_text(
            json.dumps(
                dict(
                    url=(root / 'site' / 'mmseg_ccnet').as_uri(),
                    dir_info=dict(editable=True))))
    return root / 'site'


def mim(site: Path, *args: str, module: str = 'mim', **env: str) -> str:
    """Run mim (``module``) outside the checkout: ``python -m`` puts the
    working folder first on sys.path, and the checkout's
    ``mmseg_ccnet.egg-info`` would then stand for the installed package."""
    result = subprocess.run([sys.executable, '-m', module, *args],
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
    assert re.search(r'cityscapes/miou +77\.76\n', output)
    assert re.search(r'ade20k/miou +43\.97\n', output)
    lip = mim(site, 'search', 'mmseg_ccnet', '--dataset', 'lip')
    assert lip.count('config id:') == 1 and f'config id: {LIP}' in lip


@pytest.mark.parametrize('module', [
    pytest.param(
        'mim',
        marks=pytest.mark.skipif(
            ONEDL_MIM,
            reason="onedl-mim loads the config before the plugin can map "
            "OneDL's mmseg:: scope; python -m mmseg_ccnet.mim does")),
    'mmseg_ccnet.mim'
])
def test_download_fetches_checkpoint_and_config(site, tmp_path, module):
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
                     '--dest', str(dest), module=module)
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


def editable_install() -> bool:
    """Whether this checkout is installed with ``pip install -e`` (the
    checkout's own ``mmseg_ccnet.egg-info`` has no ``direct_url.json``)."""
    for dist in importlib.metadata.distributions(name='mmseg-ccnet'):
        text = dist.read_text('direct_url.json')
        if text:
            return json.loads(text).get('dir_info', {}).get('editable', False)
    return False


@pytest.mark.skipif(
    not (ONEDL_MIM and editable_install()),
    reason='onedl-mim with an editable install only: openmim finds only '
    'regular installs, onedl-mim only editable ones (tested above on a '
    'wheel copy of each kind)')
def test_onedl_mim_finds_the_editable_install(tmp_path):
    result = subprocess.run([sys.executable, '-m', 'mim', 'search',
                             'mmseg_ccnet', '--dataset', 'lip'],
                            capture_output=True,
                            text=True,
                            timeout=600,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'config id: {LIP}' in result.stdout
