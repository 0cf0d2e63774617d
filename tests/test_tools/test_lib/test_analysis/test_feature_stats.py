# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Feature statistics of RCCA features, with and without the CCL head."""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from ccnet_tools.analysis.feature_stats import (
    labels_at,
    markdown_table,
    measure,
    separation,
)
from runner_utils import dump_cc_context_configs

BASE = 'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'
CCL = 'ccnet-ccl_localconvnet_1xb16-2k_cc-context-64x64.py'


@pytest.fixture(scope='module')
def configs(tmp_path_factory):
    """The base and CCL configs, shrunk, sharing one tiny data set."""
    return dump_cc_context_configs(tmp_path_factory.mktemp('ccl'), (BASE, CCL))


@pytest.fixture(scope='module')
def checkpoint(configs, tmp_path_factory):
    """A checkpoint of the CCL model's initial weights (with ccl_reduce)."""
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(configs[CCL]).model)
    path = tmp_path_factory.mktemp('checkpoint') / 'ccl.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


def test_stats_with_and_without_the_ccl_head(checkpoint, configs, tmp_path,
                                             capsys):
    with_ccl = measure('with CCL', str(configs[CCL]), checkpoint,
                       'attention', str(tmp_path))
    capsys.readouterr()
    plain = measure('plain head', str(configs[BASE]), checkpoint, 'context',
                    str(tmp_path))
    # mmengine prints (not logs) what a non-strict load left out
    printed = capsys.readouterr().out
    assert set(with_ccl) == {'attention', 'embedding'}
    assert set(plain) == {'context'}
    for row in (*with_ccl.values(), *plain.values()):
        assert 0 <= row['mIoU'] <= 100 and row['classes'] == 5
        assert row['intra'] > 0 and row['inter'] > 0
        assert row['ratio'] == pytest.approx(row['inter'] / row['intra'])
    # same weights, same predictions: the plain head drops only ccl_reduce
    assert plain['context']['mIoU'] == with_ccl['attention']['mIoU']
    assert 'unexpected key in source state_dict: ' \
        'decode_head.ccl_reduce.weight, decode_head.ccl_reduce.bias\n' \
        in printed
    assert 'missing keys in source state_dict' not in printed
    json.dumps(with_ccl)  # what the tool writes besides the table
    table = markdown_table(dict(a=with_ccl, b=plain))
    assert table.count('\n') == 4 and '| a | embedding |' in table


def test_separation_on_known_clusters():
    # class 0 around (0, 0) at distance 1, class 2 around (4, 3) at 0 and 2
    features = torch.tensor([[1., 0.], [-1., 0.], [4., 3.], [4., 5.],
                             [4., 1.]])
    labels = torch.tensor([0, 0, 2, 2, 2])
    result = separation(features, labels)
    # class 2: mean (4, 3), distances 0, 2, 2 -> 4/3; class 0: 1
    assert result['intra'] == pytest.approx((1 + 4 / 3) / 2)
    assert result['inter'] == pytest.approx(5.0)
    assert result['classes'] == 2


def test_labels_follow_resize_and_padding_onto_the_feature_grid():
    sample = SegDataSample(metainfo=dict(img_shape=(4, 4)))
    label = torch.arange(4).repeat_interleave(2)[None].repeat(8, 1)
    sample.gt_sem_seg = PixelData(data=label[None])  # (1, 8, 8) original
    grid = labels_at([sample], (6, 6), (3, 3), ignore_index=255)
    # resized to 4x4, padded to 6x6 with 255, then every second pixel
    expected = torch.tensor([[0, 2, 255]] * 2 + [[255] * 3])[None]
    torch.testing.assert_close(grid, expected)
