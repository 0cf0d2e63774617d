# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/deployment/pytorch2onnx.py on configs of this package."""
import re
import subprocess
import sys

import onnx
import pytest
import torch

from runner_utils import (
    CONFIGS,
    REPO,
    needs_dynamo_export,
    run_tool,
    script_env,
)

# every test here starts processes
pytestmark = pytest.mark.slow

TOOL = REPO / 'tools' / 'deployment' / 'pytorch2onnx.py'
CC_CONTEXT = (CONFIGS / 'cc_context' /
              'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py')


def run_export(*args) -> subprocess.CompletedProcess:
    """Run the tool, whatever its exit status."""
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)],
                          capture_output=True,
                          text=True,
                          timeout=600,
                          env=script_env())


def run_export_without(modules, *args) -> subprocess.CompletedProcess:
    """Run the tool in an interpreter where ``modules`` do not import."""
    code = ('import runpy, sys; '
            'sys.modules.update(dict.fromkeys(sys.argv[1].split(","))); '
            'sys.argv = sys.argv[2:]; '
            'runpy.run_path(sys.argv[0], run_name="__main__")')
    return subprocess.run(
        [sys.executable, '-c', code, ','.join(modules), str(TOOL),
         *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        env=script_env())


def differences(log):
    """``{(backend, input shape): max |backend - pytorch|}`` of a log."""
    pattern = (r'(\w+): input (\(.*?\)), max \|\1 - pytorch\| = (\S+) '
               r'\(max \|logit\| = (\S+)\)')
    return {(backend, shape): float(diff)
            for backend, shape, diff, _ in re.findall(pattern, log)}


@needs_dynamo_export
def test_static_export_reports_every_backend(tmp_path):
    out = tmp_path / 'pspnet-r18-cchead.onnx'
    log = run_tool(
        'deployment/pytorch2onnx.py',
        str(CONFIGS / 'swap' /
            'pspnet-r18-d8_cchead_4xb2-80k_cityscapes-512x1024.py'),
        '--shape', '64', '96', '--out', str(out))
    assert 'gamma of 1 criss-cross attention module(s) set to 1' in log
    assert re.search(r'static export, traced at \(1, 3, 64, 96\) in \S+ s, '
                     r'\S+ MiB', log), log[-2000:]
    dims = onnx.load(str(out)).graph.input[0].type.tensor_type.shape.dim
    assert [dim.dim_value for dim in dims] == [1, 3, 64, 96]
    found = differences(log)
    assert set(found) == {('onnxruntime', '(1, 3, 64, 96)'),
                          ('openvino', '(1, 3, 64, 96)')}, log[-2000:]
    assert max(found.values()) <= 1e-4
    assert 'tolerance 0.0001: passed' in log


@needs_dynamo_export
def test_dynamic_export_checks_two_sizes_and_two_batch_sizes(tmp_path):
    """On the context benchmark's LocalConvNet CCNet (64x64 crops); a
    tolerance below the differences fails the run after reporting all."""
    out = tmp_path / 'cc-context.onnx'
    result = run_export(CC_CONTEXT, '--dynamic', '--out', out, '--tolerance',
                        '1e-12')
    log = result.stdout + result.stderr
    assert result.returncode == 1, log[-4000:]
    assert 'dynamic export, traced at (2, 3, 64, 64)' in log
    dims = onnx.load(str(out)).graph.input[0].type.tensor_type.shape.dim
    assert [dim.dim_param or dim.dim_value
            for dim in dims] == ['batch', 3, 'height', 'width']
    found = differences(log)
    assert set(found) == {(backend, f'({b}, 3, {h}, {w})')
                          for backend in ('onnxruntime', 'openvino')
                          for b in (1, 2) for h, w in ((64, 64), (49, 33))
                          }, log[-4000:]
    assert max(found.values()) <= 1e-4
    assert 'tolerance 1e-12: FAILED' in log


def test_check_options_need_a_dynamic_export():
    result = run_export(CC_CONTEXT, '--check-shape', '32', '48')
    assert result.returncode == 2
    assert '--check-shape and --check-batches need --dynamic' in (
        result.stderr)


@pytest.mark.parametrize('sizes', [['--shape', '0', '0'], ['--batch', '0']])
def test_sizes_below_one_are_refused(sizes):
    result = run_export(CC_CONTEXT, *sizes)
    assert result.returncode == 2
    assert 'take sizes >= 1, got 0' in result.stderr


def test_checkpoint_of_another_model_is_refused(tmp_path):
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'fc.weight': torch.ones(2, 2)}), other)
    result = run_export(CC_CONTEXT, '--checkpoint', other, '--out',
                        tmp_path / 'model.onnx')
    assert result.returncode == 1
    assert f'{other} fits 0 of the model' in result.stderr
    assert not (tmp_path / 'model.onnx').exists()


#: What the tool says about OpenVINO when it is not installed.
OPENVINO_MISSING = ('openvino: the openvino package is not installed (the '
                    '"deploy" extra installs it: pip install '
                    '"mmseg-ccnet[deploy]")')


@needs_dynamo_export
def test_default_backends_are_the_installed_ones(tmp_path):
    out = tmp_path / 'cc-context.onnx'
    result = run_export_without(['openvino'], CC_CONTEXT, '--shape', '32',
                                '48', '--out', out)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert f'not checked on {OPENVINO_MISSING}' in log
    assert set(differences(log)) == {('onnxruntime', '(1, 3, 32, 48)')}
    assert 'passed' in log


@needs_dynamo_export
def test_without_any_backend_the_file_is_exported_unchecked(tmp_path):
    out = tmp_path / 'cc-context.onnx'
    result = run_export_without(['openvino', 'onnxruntime'], CC_CONTEXT,
                                '--shape', '32', '48', '--out', out)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'not checked on onnxruntime: the onnxruntime package' in log
    assert 'no backend is installed: the file was not run' in log
    assert out.is_file() and not differences(log)


def test_a_requested_backend_that_is_missing_stops_before_the_export(
        tmp_path):
    out = tmp_path / 'cc-context.onnx'
    result = run_export_without(['openvino'], CC_CONTEXT, '--backends',
                                'onnxruntime', 'openvino', '--out', out)
    assert result.returncode == 2, result.stderr[-4000:]
    assert f'--backends: {OPENVINO_MISSING}' in result.stderr
    assert 'export' not in result.stdout and not out.exists()
