# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The package carries its configs, tools and model index like OpenMMLab's."""
import importlib.metadata
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

import mmseg_ccnet
from runner_utils import REPO

MIM = Path(mmseg_ccnet.__file__).parent / '.mim'
SHIPPED = [
    'model-index.yml', 'configs/ccnet/metafile.yaml',
    'configs/ccnet/ccnet_r50-d8_4xb2-40k_cityscapes-512x1024.py',
    'configs/_base_/mmseg_ccnet.py', 'tools/train.py', 'tools/test.py',
    'tools/dist_train.sh', 'configs/ccnet_paper/metafile.yaml',
    'configs/ccnet_paper/README.md',
    'configs/_base_/datasets/lip_473x473.py', 'tools/slurm_train.sh',
    'tools/slurm_launch.sh', 'tools/image_demo.py',
    'tools/dataset_converters/lip.py', 'tools/dataset_converters/camvid.py'
]


def test_installed_package_has_mim_folder():
    for name in SHIPPED:
        assert (MIM / name).is_file(), name


def test_model_index_points_at_configs_that_exist():
    index = yaml.safe_load((MIM / 'model-index.yml').read_text())
    for metafile in index['Import']:
        meta = yaml.safe_load((MIM / metafile).read_text())
        collections = {c['Name'] for c in meta['Collections']}
        for model in meta['Models']:
            assert (MIM / model['Config']).is_file(), model['Config']
            assert model['In Collection'] in collections
            assert Path(model['Config']).stem == model['Name']


def test_each_stack_is_an_extra_not_a_requirement():
    """OpenMMLab and OneDL install the same folders under other names: no
    name of either may be forced on a user; an extra chooses the stack."""
    requires = [
        Requirement(r) for r in importlib.metadata.requires('mmseg-ccnet')
    ]
    plain = {r.name: r for r in requires if r.marker is None}
    assert set(plain) == {'torch', 'numpy', 'ftfy', 'regex'}
    assert '2.13.0' in plain['torch'].specifier
    assert '2.14.1' in plain['torch'].specifier
    assert '2.1.2' in plain['torch'].specifier

    def extra(name):
        return {
            r.name: r.specifier
            for r in requires
            if r.marker is not None and r.marker.evaluate(dict(extra=name))
        }

    lite, full, onedl = (extra(name)
                         for name in ('openmmlab', 'openmmlab-full', 'onedl'))
    for stack in (lite, full):
        assert '0.10.7' in stack['mmengine']
        assert '1.2.2' in stack['mmsegmentation']
        assert '80.10.2' in stack['setuptools']
        assert '81.0' not in stack['setuptools']
        assert 'openmim' in stack
    for spec in (lite['mmcv-lite'], full['mmcv']):
        assert '2.1.0' in spec and '2.2.0' not in spec
        assert spec.contains('2.0.0rc4', prereleases=True)
    assert 'mmcv' not in lite and 'mmcv-lite' not in full
    assert '0.10.12' in onedl['onedl-mmengine']
    assert '1.4.2' in onedl['onedl-mmsegmentation']
    assert '2.3.6' in onedl['onedl-mmcv']
    assert 'onedl-mim' in onedl
    assert not {'mmengine', 'mmcv', 'mmcv-lite', 'mmsegmentation',
                'openmim'} & set(onedl)
    assert not any(name.startswith('onedl') for name in (*lite, *full))


@pytest.mark.slow
def test_wheel_contains_mim_files(tmp_path):
    result = subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-q', '-w',
        str(tmp_path), str(REPO)
    ],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    wheel, = tmp_path.glob('mmseg_ccnet-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SHIPPED:
        assert f'mmseg_ccnet/.mim/{name}' in names, name
    # the benchmark and analysis tools and their library stay in the checkout
    tools_only = {'benchmarks', 'analysis', 'lib', 'ccnet_tools'}
    assert not [name for name in names if tools_only & set(name.split('/'))]
    # the torch-only core, a second top-level package
    assert {'ccnet_core/__init__.py', 'ccnet_core/criss_cross.py'} <= names
