# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The embedded context benchmark's config and tools, run for real (tiny)."""
import json
import sys

import mmcv
import pytest
import torch
from mmengine.config import Config

from mmseg_ccnet.utils.command_line import slug
from runner_utils import CONFIGS, REPO, run_script, shrink_cc_context_config

CONFIG = CONFIGS / 'cc_context' / \
    'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'
TOOLS = REPO / 'tools'


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory):
    """The main-job config on 16 + 8 images, 4 iterations, batch 4."""
    folder = tmp_path_factory.mktemp('cc_context')
    cfg = shrink_cc_context_config(
        Config.fromfile(CONFIG), str(folder / 'data'))
    path = folder / 'config.py'
    cfg.dump(str(path))
    return path


@pytest.fixture(scope='module')
def trained(tiny_config, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('work')
    log = run_script(TOOLS / 'train.py', tiny_config, '--work-dir', work_dir)
    return work_dir, log


def test_main_job_trains_evaluates_and_draws(trained):
    work_dir, log = trained
    assert 'generating 16 + 8 images' in log
    assert 'per class results' in log and '| background |' in log
    for key in ('mIoU', 'row.aAcc', 'global.aAcc', 'global.mIoU'):
        assert f'{key}: ' in log, key
    assert (work_dir / 'iter_4.pth').is_file()
    panels = list(work_dir.glob('*/panels/*.png'))
    assert len(panels) == 8
    picture = mmcv.imread(str(panels[0]))
    assert picture.shape[0] >= 256 and picture.shape[1] > 3 * 256


def test_visualize_attention_writes_png(trained, tiny_config, tmp_path):
    work_dir, _ = trained
    cfg = Config.fromfile(tiny_config)
    image = f'{cfg.val_dataloader.dataset.data_root}/img_dir/val/00000.png'
    out = tmp_path / 'attention.png'
    log = run_script(TOOLS / 'analysis' / 'visualize_attention.py',
                     tiny_config, work_dir / 'iter_4.pth', image, '--pixel',
                     '22', '40', '--out', out)
    assert '2 criss-cross passes' in log and 'feature position (5, 10)' in log
    picture = mmcv.imread(str(out))
    assert picture is not None and picture.shape[1] > picture.shape[0]


def test_context_ablation_writes_table_json_and_plot(tiny_config, tmp_path):
    run_script(TOOLS / 'analysis' / 'context_ablation.py', tiny_config,
               '--work-dir', tmp_path, '--variants', 'FCN (no context)',
               'CCNet R=1', 'Non-local', '--seeds', '0', '1')
    output = json.loads((tmp_path / 'ablation.json').read_text())
    results, runs = output['summary'], output['runs']
    assert list(results) == ['FCN (no context)', 'CCNet R=1', 'Non-local']
    for name, result in results.items():
        assert [run['seed'] for run in runs[name]] == [0, 1]
        values = [run['global.aAcc'] for run in runs[name]]
        assert result['global.aAcc'] == pytest.approx(sum(values) / 2)
        assert result['global.aAcc.min'] == min(values)
        assert 0 <= result['global.aAcc'] <= 100
        assert result['s/iter'] > 0 and result['head_peak_MB'] > 0
        assert (tmp_path / slug(name) / 'seed1').is_dir()
    # non-local holds an (hw x hw) attention, criss-cross an hw x (h + w)
    assert results['Non-local']['head_peak_MB'] > \
        results['CCNet R=1']['head_peak_MB']
    table = (tmp_path / 'ablation.md').read_text()
    assert table.count('\n') == 5 and '| CCNet R=1 |' in table
    assert mmcv.imread(str(tmp_path / 'ablation.png')) is not None


def test_context_maps_compose_the_passes():
    """``propagate`` equals multiplying by the dense attention matrix."""
    sys.path.insert(0, str(TOOLS / 'analysis'))
    try:
        from visualize_attention import context_maps
    finally:
        sys.path.pop(0)
    from reference import criss_cross_mask
    torch.manual_seed(0)
    h, w = 4, 5
    mask = criss_cross_mask(h, w)
    dense = []
    attentions = []
    for _ in range(2):
        energy = torch.randn(h * w, h * w).masked_fill(~mask, float('-inf'))
        matrix = energy.softmax(-1)
        dense.append(matrix)
        # criss-cross layout: column entries (k, j) then row entries (i, k)
        per_position = matrix.view(h, w, h, w)
        rows = torch.arange(h)
        cols = torch.arange(w)
        column = per_position[rows[:, None], cols[None], :, cols[None]]
        row = per_position[rows[:, None], cols[None], rows[:, None], :]
        column = column.clone()
        column[rows, :, rows] = 0  # the own position is in the row part
        attentions.append(torch.cat([column, row], -1)[None])
    maps = context_maps(attentions, 2, 3)
    one_hot = torch.zeros(h * w)
    one_hot[2 * w + 3] = 1
    torch.testing.assert_close(maps[0].flatten(), one_hot @ dense[0])
    torch.testing.assert_close(maps[1].flatten(),
                               one_hot @ dense[1] @ dense[0])
    assert maps[1].min() > 0 and maps[0].eq(0).sum() == h * w - (h + w - 1)


@pytest.mark.parametrize('name', ['Non-local + position', 'CCNet R=3'])
def test_ablation_variants_are_the_base_model_with_another_head(name):
    sys.path.insert(0, str(TOOLS / 'analysis'))
    try:
        from context_ablation import variant_model
    finally:
        sys.path.pop(0)
    from mmseg.registry import MODELS
    base = Config.fromfile(CONFIG).model
    model = variant_model(base, name)
    position = name.endswith('+ position')
    assert model.decode_head.type == ('NLHead' if position else 'CCHead')
    assert model.backbone.get('pos_channels', 0) == (16 if position else 0)
    assert model.decode_head.in_channels == \
        base.decode_head.in_channels + model.backbone.get('pos_channels', 0)
    assert ('recurrence' in model.decode_head) != position
    assert base.decode_head.type == 'CCHead' and 'pos_channels' not in \
        base.backbone  # the base config is left as it was
    segmentor = MODELS.build(model).eval()
    logits = segmentor.encode_decode(
        torch.randn(1, 3, 64, 64), [dict(img_shape=(64, 64))])
    assert logits.shape == (1, 5, 64, 64)
