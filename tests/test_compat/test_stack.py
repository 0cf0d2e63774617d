# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The installed stack (OpenMMLab or OneDL) is checked at import, and every
problem names the command that fixes it."""
import importlib.metadata
import importlib.util

import pytest
from packaging.specifiers import SpecifierSet

from mmseg_ccnet.compat import stack
from mmseg_ccnet.compat.stack import StackError, check_stack

OPENMMLAB = dict(mmengine='0.10.7', mmsegmentation='1.2.2')
OPENMMLAB_LITE = dict(OPENMMLAB, **{'mmcv-lite': '2.1.0'})
ONEDL = {
    'onedl-mmengine': '0.10.12',
    'onedl-mmcv': '2.3.6',
    'onedl-mmsegmentation': '1.4.2'
}


@pytest.fixture
def installed(monkeypatch):
    """Pretend that exactly the given distributions are installed (and
    pkg_resources, which OpenMMLab's mmengine needs)."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec', lambda name: object()
        if name == 'pkg_resources' else find_spec(name))

    def pretend(versions, ranges=None):
        monkeypatch.setattr(stack, '_version', versions.get)
        if ranges is not None:
            monkeypatch.setattr(stack, 'declared_ranges',
                                lambda name: ranges.get(name, {}))

    return pretend


def test_the_installed_stack_is_supported():
    found = stack.find()
    assert check_stack() == found['mmseg'][0].stack
    assert all(len(owners) == 1 for owners in found.values())


@pytest.mark.parametrize('versions, name', [(OPENMMLAB_LITE, 'openmmlab'),
                                            (ONEDL, 'onedl')])
def test_each_stack_is_recognised(installed, versions, name):
    installed(versions)
    assert check_stack() == name


def test_missing_mmcv_names_the_command_of_the_stack(installed):
    installed(OPENMMLAB)
    with pytest.raises(StackError) as error:
        check_stack()
    assert str(error.value) == (
        'mmseg-ccnet needs mmengine, mmcv and mmseg; mmcv not installed: '
        'pip install "mmseg-ccnet[openmmlab]"')
    installed({k: v for k, v in ONEDL.items() if k != 'onedl-mmcv'})
    with pytest.raises(StackError, match=r'\[onedl\]"$'):
        check_stack()


def test_nothing_installed_names_both_commands(installed):
    installed({})
    with pytest.raises(StackError) as error:
        check_stack()
    assert 'mmengine, mmcv, mmseg not installed: pip install ' \
        '"mmseg-ccnet[openmmlab]" (OpenMMLab) or pip install ' \
        '"mmseg-ccnet[onedl]" (OneDL)' in str(error.value)


def test_two_distributions_of_one_folder_are_refused(installed):
    installed(dict(ONEDL, mmengine='0.10.7'))
    with pytest.raises(StackError) as error:
        check_stack()
    assert str(error.value).startswith(
        'mmengine and onedl-mmengine are all installed and share the folder '
        'mmengine/, which now holds a mix of their files. Keep one stack: '
        'pip uninstall -y mmengine onedl-mmengine && pip install '
        '"mmseg-ccnet[onedl]"')


def test_version_outside_the_declared_range_is_refused(installed):
    ranges = dict(openmmlab={'mmsegmentation': SpecifierSet('>=1.2,<1.3')})
    installed(dict(OPENMMLAB_LITE, mmsegmentation='1.3.0'), ranges)
    with pytest.raises(StackError) as error:
        check_stack()
    assert str(error.value) == (
        'mmsegmentation 1.3.0 is installed, but mmseg-ccnet supports '
        'mmsegmentation<1.3,>=1.2 on the openmmlab stack: pip install '
        '"mmseg-ccnet[openmmlab]"')


def test_mixed_stack_is_named_in_a_warning(installed):
    installed({
        'onedl-mmengine': '0.10.12',
        'mmcv-lite': '2.2.0',
        'onedl-mmsegmentation': '1.4.2'
    })
    with pytest.warns(UserWarning, match=r'a mixed stack \(onedl-mmengine '
                      r'\(onedl\), mmcv-lite \(openmmlab\), '
                      r'onedl-mmsegmentation \(onedl\)\)'):
        assert check_stack() == 'onedl'


def test_openmmlab_mmengine_needs_pkg_resources(installed, monkeypatch):
    installed(OPENMMLAB_LITE)
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec', lambda name: None
        if name == 'pkg_resources' else find_spec(name))
    with pytest.raises(StackError, match='setuptools>=77,<81'):
        check_stack()


def test_declared_ranges_are_the_extras_of_this_package():
    requires = importlib.metadata.requires('mmseg-ccnet')
    ranges = stack.declared_ranges('onedl')
    assert str(ranges['onedl-mmsegmentation']) == '<1.5,>=1.4.2'
    assert 'mmsegmentation' not in ranges
    assert str(stack.declared_ranges('openmmlab')['mmcv']) == \
        '<2.2.0,>=2.0.0rc4'
    assert any('extra == "openmmlab-full"' in r for r in requires)


def test_mmdetection_is_optional_but_checked_when_there(installed):
    installed(dict(OPENMMLAB_LITE, mmdet='3.3.0'))
    assert check_stack() == 'openmmlab'
    installed(dict(OPENMMLAB_LITE, mmdet='3.3.0',
                   **{'onedl-mmdetection': '3.5.1'}))
    with pytest.raises(StackError, match='mmdet and onedl-mmdetection are '
                       'all installed and share the folder mmdet/'):
        check_stack()
    ranges = dict(openmmlab={'mmdet': SpecifierSet('>=3.3.0,<3.4')})
    installed(dict(OPENMMLAB_LITE, mmdet='3.2.0'), ranges)
    with pytest.raises(StackError, match='mmdet 3.2.0 is installed'):
        check_stack()
