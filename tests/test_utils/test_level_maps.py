# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest

from mmseg_ccnet.utils import level_map_path


def test_the_last_img_dir_becomes_level_dir():
    assert level_map_path('/d/img_dir/x/img_dir/v/1.png') == \
        '/d/img_dir/x/level_dir/v/1.png'


def test_other_folder_names():
    assert level_map_path('/d/images/val/1.png', 'images', 'levels') == \
        '/d/levels/val/1.png'


def test_a_path_without_img_dir_is_an_error():
    with pytest.raises(ValueError, match="no 'img_dir' folder"):
        level_map_path('/d/images/1.png')
