# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/benchmarks/benchmark_model.py: every case in a process of its
own, MMSegmentation's cases without this package, failures reported with
the case, the report and its document section written.

MMSegmentation's cases run where compiled mmcv is installed: on this
interpreter, or on the one named by ``$MMSEG_CCNET_MMSEG_PYTHON`` (e.g. that
of an environment with compiled mmcv), which the tool gets as
``--mmseg-python``; elsewhere they must be skipped with the reason. No
timing is asserted: speed targets live in the benchmark's report.
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest
from mmengine.config import Config

from ccnet_tools.benchmarks import whole_model
from runner_utils import MMSEG_CONFIGS, REPO, run_tool
from tiny_configs import tiny_ccnet

TOOL = REPO / 'tools' / 'benchmarks' / 'benchmark_model.py'
MMSEG_PYTHON = os.environ.get('MMSEG_CCNET_MMSEG_PYTHON', sys.executable)


def load_tool():
    """The tool as a module (its import runs nothing of the benchmark)."""
    spec = importlib.util.spec_from_file_location('benchmark_model', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def has_compiled_mmcv(python: str) -> bool:
    """Whether ``mmcv._ext`` imports on an interpreter."""
    return subprocess.run([python, '-c', 'import mmcv._ext'],
                          capture_output=True).returncode == 0


@pytest.mark.slow
def test_command_line_writes_json_markdown_plot_and_doc(tmp_path):
    config = tmp_path / 'tiny_ccnet.py'
    tiny_ccnet(Config.fromfile(MMSEG_CONFIGS /
                               '_base_/models/ccnet_r50-d8.py')).dump(config)
    doc = tmp_path / 'performance.md'
    doc.write_text('# Performance\n\n<!-- whole-model:begin -->\nprevious '
                   'tables\n<!-- whole-model:end -->\n\nafter\n')
    cases = ['infer-efficient', 'infer-einsum', 'infer-mmseg', 'train-mmseg']
    log = run_tool('benchmarks/benchmark_model.py', '--config', config,
                   '--sizes', '64', '96', '--cases', *cases, '--repeats',
                   '1', '--mmseg-python', MMSEG_PYTHON, '--out-dir',
                   tmp_path, '--doc', doc)
    # size by size, in an order rotated by one
    lines = [line.split(':')[0] for line in log.splitlines()
             if line.startswith(('64x64 ', '96x96 '))]
    assert lines == [f'64x64 {name}' for name in cases] + [
        f'96x96 {name}' for name in cases[1:] + cases[:1]
    ]
    report = json.loads((tmp_path / 'results.json').read_text())
    assert report['setting']['sizes'] == [64, 96]
    assert report['setting']['mmseg_python'] == MMSEG_PYTHON
    assert report['export'] is None
    assert set(report['cases']) == set(cases)
    compiled = has_compiled_mmcv(MMSEG_PYTHON)
    for size in ('64', '96'):
        results = {
            name: case['sizes'][size]
            for name, case in report['cases'].items()
        }
        for name in ('infer-efficient', 'infer-einsum'):
            entry = results[name]
            assert entry['status'] == 'ok', entry
            assert entry['peak_bytes'] > 0 and entry['time_s'] > 0
            assert entry['rounds'][0]['impl'] == name.split('-')[1]
        assert results['infer-efficient']['max_diff'] == 0
        einsum = results['infer-einsum']
        assert einsum['max_diff'] <= 1e-5 * einsum['max_logit']
        for name in ('infer-mmseg', 'train-mmseg'):
            entry = results[name]
            if not compiled:
                assert entry['status'] == 'skipped'
                assert entry['reason'] == 'compiled mmcv not installed'
                continue
            assert entry['status'] == 'ok', entry
            run = entry['rounds'][0]
            assert run['head'] == 'mmseg.models.decode_heads.cc_head.CCHead'
            assert run['attention'] == \
                'mmcv.ops.cc_attention.CrissCrossAttention'
            assert not run['plugin_loaded'] and run['python'] == MMSEG_PYTHON
            assert entry['time_ratio'] == 1 and entry['memory_ratio'] == 1
        ours = results['infer-efficient']
        if compiled:
            # the same seed gives MMSegmentation's head the same weights
            mmseg = results['infer-mmseg']
            assert mmseg['max_diff'] <= 1e-5 * mmseg['max_logit']
            assert ours['time_ratio'] > 0 and ours['memory_ratio'] > 0
        else:
            assert ours['time_ratio'] is None
    table = (tmp_path / 'results.md').read_text()
    assert '| `infer-einsum` | 96 |' in table
    if not compiled:
        assert '| `train-mmseg` | 64 | skipped: compiled mmcv not ' \
            'installed |' in table
    assert (tmp_path / 'results.png').stat().st_size > 0
    text = doc.read_text()
    assert text.startswith('# Performance\n') and text.endswith('after\n')
    assert 'previous tables' not in text
    assert 'tools/benchmarks/benchmark_model.py --config' in text
    assert table.strip() in text


@pytest.mark.slow
def test_mmseg_cases_import_nothing_of_the_plugin():
    code = textwrap.dedent(f"""\
        import importlib.util, json, sys
        spec = importlib.util.spec_from_file_location('tool', {str(TOOL)!r})
        tool = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tool)
        library = tool.import_library(plugin=False)
        import mmseg_ccnet
        print(json.dumps([
            sorted(m for m in sys.modules
                   if m.startswith(('mmseg_ccnet', 'ccnet_tools'))),
            hasattr(mmseg_ccnet, '__version__'), library.__name__]))
        """)
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            check=True)
    assert json.loads(result.stdout) == [[
        'ccnet_tools', 'ccnet_tools.benchmarks',
        'ccnet_tools.benchmarks.measure', 'ccnet_tools.benchmarks.whole_model',
        'mmseg_ccnet'
    ], False, 'ccnet_tools.benchmarks.whole_model']


def namespace(**kwargs) -> argparse.Namespace:
    """The tool's command line with the given changes."""
    values = dict(
        config='tiny.py',
        sizes=[64],
        threads=1,
        warmup=1,
        repeats=1,
        rounds=1,
        mmseg_python=sys.executable,
        child_timeout=60)
    return argparse.Namespace(**dict(values, **kwargs))


def test_a_failing_case_is_reported_with_its_reason(tmp_path, capsys):
    tool = load_tool()
    crash = tmp_path / 'crash.sh'
    crash.write_text('#!/bin/sh\necho Traceback >&2\n'
                     'echo "RuntimeError: out of memory" >&2\nexit 1\n')
    crash.chmod(0o755)
    measured = tool.run_cases(
        namespace(mmseg_python=str(crash)), whole_model, ['train-mmseg'],
        str(tmp_path))
    result = measured['runs']['train-mmseg'][64][0]
    assert result == dict(
        status='failed', reason='Traceback / RuntimeError: out of memory')
    assert '64x64 train-mmseg: failed: Traceback / RuntimeError: out of ' \
        'memory' in capsys.readouterr().out
    missing = tool.run_child(
        namespace(mmseg_python=str(tmp_path / 'no-python')), whole_model,
        'infer-mmseg', 64)
    assert missing['status'] == 'failed' and 'no-python' in missing['reason']


def test_backends_share_one_export_and_skip_without_it(tmp_path,
                                                       monkeypatch):
    tool = load_tool()
    calls = []

    def run_child(args, library, child, size, **files):
        calls.append((child, size, sorted(files)))
        if child == 'export':
            return dict(status='skipped', reason='onnx not installed')
        return dict(status='ok', time_s=1.0, times_s=[1.0], first_s=1.0,
                    peak_bytes=1)

    monkeypatch.setattr(tool, 'run_child', run_child)
    measured = tool.run_cases(
        namespace(sizes=[96, 64], rounds=2), whole_model,
        ['infer-onnxruntime', 'infer-efficient'], str(tmp_path))
    assert measured['export'] == dict(
        status='skipped', reason='onnx not installed')
    # one export, at the smallest size; no backend process without it;
    # inference saves its logits in the first round only
    assert calls == [('export', 64, ['onnx_file']),
                     ('infer-efficient', 96, ['logits_file']),
                     ('infer-efficient', 64, ['logits_file']),
                     ('infer-efficient', 96, []),
                     ('infer-efficient', 64, [])]
    skipped = dict(
        status='skipped', reason='ONNX export skipped: onnx not installed')
    assert measured['runs']['infer-onnxruntime'] == {
        96: [skipped] * 2,
        64: [skipped] * 2
    }


@pytest.mark.parametrize('quantized', ['ok', 'failed'])
def test_int8_is_quantized_once_from_the_export(tmp_path, monkeypatch,
                                                quantized):
    tool = load_tool()
    calls = []

    def run_child(args, library, child, size, **files):
        calls.append((child, size, files))
        if child in ('export', 'quantize'):
            status = 'ok' if child == 'export' else quantized
            return dict(status=status, reason='boom')
        return dict(status='ok', time_s=1.0, times_s=[1.0], first_s=1.0,
                    peak_bytes=1)

    monkeypatch.setattr(tool, 'run_child', run_child)
    measured = tool.run_cases(
        namespace(sizes=['1024x2048', 512], rounds=1), whole_model,
        ['infer-openvino-int8'], str(tmp_path))
    onnx_file = str(tmp_path / 'model.onnx')
    int8_file = str(tmp_path / 'model-int8.xml')
    assert calls[:2] == [
        ('export', 512, dict(onnx_file=onnx_file)),
        ('quantize', 512, dict(onnx_file=onnx_file, int8_file=int8_file)),
    ]
    assert measured['quantize']['status'] == quantized
    runs = measured['runs']['infer-openvino-int8']
    if quantized == 'ok':
        assert [(child, size, files['onnx_file'])
                for child, size, files in calls[2:]] == [
                    ('infer-openvino-int8', '1024x2048', int8_file),
                    ('infer-openvino-int8', 512, int8_file)]
    else:
        assert len(calls) == 2
        assert runs['1024x2048'] == [
            dict(status='skipped',
                 reason='INT8 quantization failed: boom')]


@pytest.mark.slow
def test_warmup_must_include_a_step():
    result = subprocess.run([sys.executable, str(TOOL), '--warmup', '0'],
                            capture_output=True,
                            text=True)
    assert result.returncode != 0
    assert '--warmup must be at least 1' in result.stderr
