# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Config texts in checkpoints are parsed as data, never executed."""
import pytest
from mmengine.config import Config

from mmseg_ccnet.engine.checkpoint_config import (
    data_only_config,
    strip_config_code,
)

PAYLOAD = "__import__('os').system('touch {marker}')"


def test_plain_data_config_is_kept_as_it_is():
    text = ("gpu_ids = [0, 1]\nnorm_cfg = dict(type='BN', eps=-1e-05)\n"
            "model = dict(norm=norm_cfg, sizes=(1, 2), m={'a': None})\n")
    assert data_only_config(text) == (text, [])


@pytest.mark.parametrize('statement', [
    PAYLOAD, "x = __import__('os').system('true')", 'import os',
    'x = open("f").read()', 'x = dict(**y)', 'x = [i for i in range(3)]',
    'x = (lambda: 1)()', 'x = dict.__class__', 'dict = eval\nx = dict(a=1)'
])
def test_code_is_left_out(statement, tmp_path):
    marker = tmp_path / 'PWNED'
    text, dropped = data_only_config(
        'gpu_ids = [0]\n' + statement.format(marker=marker))
    assert dropped and text.startswith('gpu_ids = [0]')
    assert Config.fromstring(text, '.py').gpu_ids == [0]
    assert not marker.exists()


def test_imports_and_bases_are_left_out_silently():
    text, dropped = data_only_config(
        "custom_imports = dict(imports=['evil'])\n_base_ = ['/x.py']\na = 1")
    assert (text, dropped) == ('a = 1', [])


def test_text_that_is_not_python_is_left_out():
    assert data_only_config('a = (')[0] == ''


def test_every_config_text_of_a_checkpoint_is_stripped(tmp_path):
    marker = tmp_path / 'PWNED'
    payload = PAYLOAD.format(marker=marker)
    checkpoint = dict(
        meta=dict(config=payload, cfg=f'a = 1\n{payload}', iter=2),
        message_hub=dict(runtime_info=dict(cfg=payload)))
    strip_config_code(checkpoint, 'c.pth')
    assert checkpoint['meta'] == dict(config='', cfg='a = 1', iter=2)
    assert checkpoint['message_hub']['runtime_info']['cfg'] == ''
    for text in ('', 'a = 1'):
        Config.fromstring(text, '.py')
    assert not marker.exists()
