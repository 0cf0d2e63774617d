# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The category consistent loss in a real run, and the feature statistics.

A tiny run of the context benchmark's CCL config through the mmengine
Runner, then ``tools/analysis/category_feature_stats.py`` on its checkpoint,
loaded once by the CCL config and once by the plain one (which drops the
training-only reduction conv).
"""
import json
import math
import re
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmseg_ccnet.engine import build_runner
from runner_utils import CONFIGS, REPO, shrink_cc_context_config

sys.path.insert(0, str(REPO / 'tools' / 'analysis'))
try:
    import category_feature_stats as stats
finally:
    sys.path.pop(0)

BASE = 'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'
CCL = 'ccnet-ccl_localconvnet_1xb16-2k_cc-context-64x64.py'


def last_log(work_dir: Path) -> str:
    """Text of the newest runner log under ``work_dir``."""
    return sorted(work_dir.glob('*/*.log'))[-1].read_text()


@pytest.fixture(scope='module')
def configs(tmp_path_factory):
    """The base and CCL configs, shrunk, sharing one tiny data set."""
    folder = tmp_path_factory.mktemp('ccl')
    paths = {}
    for name in (BASE, CCL):
        cfg = shrink_cc_context_config(
            Config.fromfile(CONFIGS / 'cc_context' / name),
            str(folder / 'data'))
        cfg.work_dir = str(folder / 'work')
        paths[name] = folder / name
        cfg.dump(str(paths[name]))
    return paths


@pytest.fixture(scope='module')
def trained(configs):
    """Train the CCL config for 4 iterations; returns its work dir."""
    cfg = Config.fromfile(configs[CCL])
    cfg.experiment_name = 'ccl_tiny'
    build_runner(cfg).train()
    return Path(cfg.work_dir)


def test_runner_logs_a_finite_loss_ccl(trained):
    values = re.findall(r'decode\.loss_ccl: (\S+)', last_log(trained))
    assert len(values) == 4  # one per iteration
    assert all(math.isfinite(float(value)) for value in values)
    assert (trained / 'iter_4.pth').is_file()


def test_stats_with_and_without_the_ccl_head(trained, configs, tmp_path,
                                             capsys):
    checkpoint = str(trained / 'iter_4.pth')
    with_ccl = stats.measure('with CCL', str(configs[CCL]), checkpoint,
                             'attention', str(tmp_path))
    capsys.readouterr()
    plain = stats.measure('plain head', str(configs[BASE]), checkpoint,
                          'context', str(tmp_path))
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
    table = stats.markdown_table(dict(a=with_ccl, b=plain))
    assert table.count('\n') == 4 and '| a | embedding |' in table


def test_separation_on_known_clusters():
    # class 0 around (0, 0) at distance 1, class 2 around (4, 3) at 0 and 2
    features = torch.tensor([[1., 0.], [-1., 0.], [4., 3.], [4., 5.],
                             [4., 1.]])
    labels = torch.tensor([0, 0, 2, 2, 2])
    result = stats.separation(features, labels)
    # class 2: mean (4, 3), distances 0, 2, 2 -> 4/3; class 0: 1
    assert result['intra'] == pytest.approx((1 + 4 / 3) / 2)
    assert result['inter'] == pytest.approx(5.0)
    assert result['classes'] == 2


def test_labels_follow_resize_and_padding_onto_the_feature_grid():
    sample = SegDataSample(metainfo=dict(img_shape=(4, 4)))
    label = torch.arange(4).repeat_interleave(2)[None].repeat(8, 1)
    sample.gt_sem_seg = PixelData(data=label[None])  # (1, 8, 8) original
    grid = stats.labels_at([sample], (6, 6), (3, 3), ignore_index=255)
    # resized to 4x4, padded to 6x6 with 255, then every second pixel
    expected = torch.tensor([[0, 2, 255]] * 2 + [[255] * 3])[None]
    torch.testing.assert_close(grid, expected)
