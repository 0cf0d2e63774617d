# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The embedded context benchmark's config and tools, run for real (tiny)."""
import json

import mmcv
import pytest
from mmengine.config import Config

from mmseg_ccnet.utils.command_line import slug
from runner_utils import CONFIGS, REPO, run_script, shrink_cc_context_config

# every test here starts processes
pytestmark = pytest.mark.slow

CONFIG = CONFIGS / 'cc_context' / \
    'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'
FIRST_RUN = 'ccnet_localconvnet_1xb16-2k-early-stop_cc-context-64x64.py'
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


def test_first_run_stops_at_the_validation_that_reaches_its_target(tmp_path):
    cfg = shrink_cc_context_config(
        Config.fromfile(CONFIGS / 'cc_context' / FIRST_RUN),
        str(tmp_path / 'data'),
        max_iters=6)
    cfg.train_cfg.val_interval = 2
    stop, = (h for h in cfg.custom_hooks if h.type == 'EarlyStoppingHook')
    assert (stop.monitor, stop.stopping_threshold) == ('global.aAcc', 50.0)
    stop.stopping_threshold = -1.0  # the first validation reaches it
    path = tmp_path / 'config.py'
    cfg.dump(str(path))
    work_dir = tmp_path / 'work'
    log = run_script(TOOLS / 'train.py', path, '--work-dir', work_dir)
    assert 'Stopping threshold reached: `global.aAcc`' in log
    assert 'Iter(train) [2/6]' in log and 'Iter(train) [3/6]' not in log
    assert (work_dir / 'best_global.aAcc_iter_2.pth').is_file()
    assert len(list(work_dir.glob('*/panels/*.png'))) == 8
