# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/test.py on exported files: the checkpoint's metrics, refusals."""
import re
import subprocess
import sys

import pytest

from runner_utils import (
    CONFIGS,
    REPO,
    needs_dynamo_export,
    run_tool,
    script_env,
)

CC_CONTEXT = (CONFIGS / 'cc_context' /
              'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py')


def metrics(log):
    """``{name: value}`` of the test's metrics line of a log."""
    line = [line for line in log.splitlines()
            if 'Iter(test)' in line and 'mIoU:' in line][-1]
    return {
        name: float(value)
        for name, value in re.findall(r'([\w.]+): (\d+\.\d+)', line)
        if not name.endswith('time')
    }


@pytest.mark.slow
@needs_dynamo_export
@pytest.mark.parametrize('model, backend', [('onnx', None),
                                            ('onnx', 'openvino'),
                                            ('xml', None)])
def test_an_exported_file_has_the_metrics_of_its_checkpoint(
        exported_cc_context, tmp_path, model, backend):
    config, files = exported_cc_context
    expected = metrics(
        run_tool('test.py', config, files['checkpoint'], '--work-dir',
                 tmp_path / 'checkpoint'))
    options = [] if backend is None else ['--backend', backend]
    log = run_tool('test.py', config, files[model], '--work-dir',
                   tmp_path / model, *options)
    assert 'per class results' in log and '| background |' in log
    found = metrics(log)
    assert set(found) == set(expected) >= {
        'aAcc', 'mIoU', 'local.aAcc', 'row.aAcc', 'global.aAcc',
        'global.mIoU'
    }
    assert expected['aAcc'] > 0
    for name, value in expected.items():
        assert found[name] == pytest.approx(value, abs=0.01), name


@pytest.mark.parametrize('model, options, message', [
    ('model.onnx', ['--tta'], '--tta needs the PyTorch model: model.onnx'),
    ('model.xml', ['--backend', 'onnxruntime'],
     'the onnxruntime backend runs .onnx files, not model.xml'),
    ('model.pth', ['--backend', 'openvino'],
     'not the checkpoint model.pth'),
])
def test_what_an_exported_file_cannot_do_is_refused(model, options, message):
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'test.py'),
         str(CC_CONTEXT), model, *options],
        capture_output=True,
        text=True,
        timeout=600,
        env=script_env())
    assert result.returncode == 2
    assert message in result.stderr
