# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Generation into a folder: a failed or killed one leaves nothing."""
import os
import subprocess
import sys

import pytest

from mmseg_ccnet.datasets.synthetic.generation import generate_once

META = dict(dataset='Tiny')


def write_split(folder, split, seed, count):
    os.makedirs(os.path.join(folder, split))
    if count < 0:
        raise RuntimeError('generation failed')


def test_failed_generation_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        generate_once(str(tmp_path / 'data'), META, write_split, 0,
                      dict(train=-1), 'images')
    assert os.listdir(tmp_path) == []


def test_killed_generations_staging_is_removed_by_the_next(tmp_path):
    dead = subprocess.run(
        [sys.executable, '-c', 'import os; print(os.getpid())'],
        capture_output=True, text=True).stdout.strip()
    (tmp_path / f'.data-{dead}-x1y2').mkdir()  # what a killed one leaves
    alive = tmp_path / f'.data-{os.getppid()}-a1b2'  # a running one's
    alive.mkdir()
    generate_once(str(tmp_path / 'data'), META, write_split, 0,
                  dict(train=1), 'images')
    assert sorted(os.listdir(tmp_path)) == [alive.name, 'data']
