# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The whole-model benchmark's cases, measured in this process on a tiny
CCNet, and its summary and report.

No timing is asserted: speed targets live in the benchmark's report.
"""
import importlib.util
import sys

import pytest
import torch
from mmengine.config import Config

from ccnet_tools.benchmarks.whole_model import (
    CASES,
    export_model,
    image_shape,
    load_config,
    logits_difference,
    make_inputs,
    markdown_tables,
    measure_case,
    missing_requirement,
    parse_size,
    quantize_model,
    run_order,
    size_label,
    summarize,
)
from runner_utils import MMSEG_CONFIGS, needs_dynamo_export
from tiny_configs import tiny_ccnet


def tiny_config(folder) -> str:
    """MMSegmentation's R-50 CCNet reduced to a ResNet-18 one, as a file."""
    cfg = tiny_ccnet(
        Config.fromfile(MMSEG_CONFIGS / '_base_/models/ccnet_r50-d8.py'))
    path = str(folder / 'tiny_ccnet.py')
    cfg.dump(path)
    return path


def test_both_attention_implementations_train_the_same_model(tmp_path):
    config = tiny_config(tmp_path)
    results = {
        impl: measure_case(
            f'train-{impl}', config, 32, warmup=1, repeats=2)
        for impl in ('efficient', 'einsum')
    }
    for impl, result in results.items():
        assert result['status'] == 'ok'
        assert result['impl'] == impl
        assert result['head'] == 'mmseg_ccnet.models.decode_heads.cc_head.' \
            'CCHead'
        # in this process the allocator may reuse freed memory: no lower
        # bound on the peak (the tool's test has fresh processes)
        assert len(result['times_s']) == 2 and result['peak_bytes'] >= 0
        assert result['first_s'] > 0
    efficient, einsum = results['efficient'], results['einsum']
    # same seed, same weights, same dropout masks: the same loss and
    # gradients, which the attention (gamma = 1) takes part in
    assert efficient['loss'] == pytest.approx(einsum['loss'], rel=1e-5)
    assert efficient['grad_norm'] == pytest.approx(
        einsum['grad_norm'], rel=1e-4)


def test_inference_logits_are_saved_and_compared(tmp_path):
    config = tiny_config(tmp_path)
    files = {}
    for name in ('infer-efficient', 'infer-einsum', 'infer-bf16'):
        files[name] = str(tmp_path / f'{name}.pt')
        result = measure_case(
            name, config, 40, warmup=1, repeats=1, logits_file=files[name])
        assert result['status'] == 'ok' and result['peak_bytes'] >= 0
    logits = torch.load(files['infer-efficient'])
    assert logits.shape == (1, 19, 40, 40) and logits.dtype == torch.float32
    einsum = logits_difference(files['infer-einsum'],
                               files['infer-efficient'])
    assert einsum['max_logit'] > 0
    assert einsum['max_diff'] <= 1e-5 * einsum['max_logit']
    bf16 = logits_difference(files['infer-bf16'], files['infer-efficient'])
    assert 0 < bf16['max_diff'] <= 0.1 * bf16['max_logit']


def test_requirements_say_what_is_missing(tmp_path):
    compiled = importlib.util.find_spec('mmcv._ext') is not None
    assert missing_requirement(CASES['infer-mmseg'].requires) == (
        None if compiled else 'compiled mmcv not installed')
    assert missing_requirement(('no_such_package_x', )) == \
        'no_such_package_x not installed'
    if not compiled:
        result = measure_case('train-mmseg', 'not-read.py', 32, 1, 1)
        assert result == dict(
            status='skipped', reason='compiled mmcv not installed')


def test_configs_load_without_importing_the_plugin_through_them(tmp_path):
    (tmp_path / 'custom_module_of_test.py').write_text('LOADED = True\n')
    config = tmp_path / 'config.py'
    config.write_text(
        "_base_ = ['mmseg::_base_/models/ccnet_r50-d8.py']\n"
        "custom_imports = dict(imports=['mmseg_ccnet', "
        "'custom_module_of_test'])\n")
    sys.path.insert(0, str(tmp_path))
    try:
        cfg = load_config(str(config))
    finally:
        sys.path.remove(str(tmp_path))
    assert 'custom_module_of_test' in sys.modules
    assert cfg.model.decode_head.type == 'CCHead'
    packaged = load_config('mmseg::_base_/models/ccnet_r50-d8.py')
    assert packaged.model.decode_head.num_classes == 19


def test_cases_rotate_from_size_to_size_and_round_to_round():
    order = list(run_order(['a', 'b', 'c'], [64, 96], rounds=2))
    assert [name for _, _, name in order] == list('abcbcacababc')
    assert [(r, s) for r, s, _ in order[::3]] == [(0, 64), (0, 96), (1, 64),
                                                  (1, 96)]


def run(time_s, peak, **extra):
    """A result of measure_case."""
    return dict(
        status='ok',
        time_s=time_s,
        times_s=[time_s],
        first_s=2 * time_s,
        peak_bytes=peak,
        **extra)


def test_summary_takes_ratios_within_rounds_to_mmsegmentation():
    runs = {
        'train-efficient': {
            64: [run(1.0, 100), run(4.0, 300),
                 run(2.0, 200)]
        },
        'train-mmseg': {
            64: [run(2.0, 400), run(2.0, 400),
                 run(4.0, 400)]
        },
        'infer-efficient': {
            64: [run(1.0, 10, max_diff=0.0, max_logit=3.0)]
        },
        'infer-mmseg': {
            64: [dict(status='skipped', reason='compiled mmcv not installed')]
        },
        'infer-openvino': {
            64: [run(1.0, 10), dict(status='failed', reason='boom')]
        },
    }
    cases = summarize(runs)
    ours = cases['train-efficient']['sizes']['64']
    assert ours['status'] == 'ok' and ours['time_s'] == 2.0
    # per round 0.5, 2 and 0.5: their median, not the ratio of the
    # medians (1)
    assert ours['time_ratio'] == 0.5
    assert ours['memory_ratio'] == 0.5 and ours['first_s'] == 2.0
    assert cases['train-mmseg']['sizes']['64']['time_ratio'] == 1.0
    infer = cases['infer-efficient']['sizes']['64']
    assert infer['time_ratio'] is None and infer['memory_ratio'] is None
    assert infer['max_diff'] == 0.0 and infer['max_logit'] == 3.0
    assert cases['infer-mmseg']['sizes']['64']['status'] == 'skipped'
    failed = cases['infer-openvino']['sizes']['64']
    assert (failed['status'], failed['reason']) == ('failed', 'boom')
    assert cases['infer-openvino']['step'] == 'infer'

    report = dict(
        setting=dict(
            config='tiny.py',
            sizes=[64],
            threads=2,
            warmup=1,
            repeats=1,
            rounds=3),
        export=dict(status='skipped', reason='onnx not installed'),
        cases=cases)
    table = markdown_tables(report)
    assert '| `train-efficient` | 64 | 2.000 | 0.50 | 0 | 0.50 | 2.00 |' \
        in table
    assert '| `infer-mmseg` | 64 | skipped: compiled mmcv not installed |' \
        in table
    assert '| `infer-openvino` | 64 | failed: boom |' in table
    assert 'ONNX export (dynamic shapes): skipped: onnx not installed' in table
    assert table.count('| case | S |') == 2


def test_sizes_are_squares_or_height_by_width():
    assert parse_size('513') == 513
    assert parse_size('64x64') == 64
    assert parse_size('1024x2048') == '1024x2048'
    with pytest.raises(ValueError, match="S or HxW.*got '1024x'"):
        parse_size('1024x')
    assert image_shape(513) == image_shape('513') == (513, 513)
    assert image_shape('1024x2048') == (1024, 2048)
    assert size_label(769) == '769x769'
    image, labels = make_inputs('24x40', 5)
    assert image.shape == (1, 3, 24, 40) and labels.shape == (1, 24, 40)


def test_deployment_ratios_are_to_eager_float32():
    runs = {
        'infer-efficient': {
            '1024x2048': [run(4.0, 1000), run(8.0, 1000)]
        },
        'infer-openvino-int8': {
            '1024x2048': [run(1.0, 250), run(4.0, 250)]
        },
    }
    cases = summarize(runs, reference='efficient')
    int8 = cases['infer-openvino-int8']['sizes']['1024x2048']
    assert int8['time_ratio'] == 0.375  # median of 0.25 and 0.5
    assert int8['memory_ratio'] == 0.25
    report = dict(
        setting=dict(
            config='tiny.py',
            sizes=['1024x2048'],
            threads=2,
            warmup=1,
            repeats=1,
            rounds=2,
            reference='efficient'),
        export=dict(status='ok', seconds=3.0, traced_shape=[2, 3, 32, 32]),
        quantize=dict(
            status='ok', seconds=2.0, calibration_shape=[1, 3, 32, 32]),
        cases=cases)
    table = markdown_tables(report)
    assert 'crops of 1024x2048,' in table
    assert "Ratios are to this package's CCHead, impl='efficient' " \
        '(`train-efficient`, `infer-efficient`)' in table
    assert 'INT8 quantization (NNCF, attention in float32): calibrated on ' \
        '4 random images of shape [1, 3, 32, 32] in 2.0 s.' in table
    assert '| `infer-openvino-int8` | 1024x2048 | 2.500 | 0.38 |' in table


@needs_dynamo_export
def test_int8_case_runs_the_quantized_file(tmp_path):
    pytest.importorskip('nncf', reason='the quantize extra is not installed')
    config = tiny_config(tmp_path)
    onnx_file, xml = str(tmp_path / 'm.onnx'), str(tmp_path / 'm.xml')
    assert export_model(config, 32, onnx_file)['status'] == 'ok'
    quantized = quantize_model(onnx_file, '24x40', xml)
    assert quantized['status'] == 'ok'
    assert quantized['calibration_shape'] == [1, 3, 24, 40]
    files = {}
    for name, model in (('infer-openvino', onnx_file),
                        ('infer-openvino-int8', xml)):
        files[name] = str(tmp_path / f'{name}.pt')
        result = measure_case(
            name, config, '24x40', 1, 1, logits_file=files[name],
            onnx_file=model)
        assert result['status'] == 'ok'
    diff = logits_difference(files['infer-openvino-int8'],
                             files['infer-openvino'])
    assert 0 < diff['max_diff'] <= 0.2 * diff['max_logit']
