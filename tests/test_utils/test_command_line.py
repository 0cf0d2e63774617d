# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from unittest.mock import patch

from mmseg_ccnet.utils.command_line import (
    converter_parser,
    parse_converter_args,
)


def test_converter_defaults():
    with patch('sys.argv', ['convert.py', 'LIP_ROOT']):
        args = parse_converter_args('Convert LIP', 'data/lip')
    assert vars(args) == dict(root='LIP_ROOT', out_dir='data/lip', nproc=1)


def test_converter_parser_takes_further_arguments():
    parser = converter_parser('Convert CamVid', 'data/camvid_video')
    parser.add_argument('video_frames')
    args = parser.parse_args(
        ['CAMVID_ROOT', 'VIDEOS', '-o', 'out', '--nproc', '4'])
    assert vars(args) == dict(
        root='CAMVID_ROOT', out_dir='out', nproc=4, video_frames='VIDEOS')
    assert parser.description == 'Convert CamVid'
