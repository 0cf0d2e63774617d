# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/deployment/pytorch2onnx.py on a config of this package."""
import re

from runner_utils import CONFIGS, needs_dynamo_export, run_tool


@needs_dynamo_export
def test_exports_config_model_and_reports_difference(tmp_path):
    out = tmp_path / 'pspnet-r18-cchead.onnx'
    log = run_tool(
        'deployment/pytorch2onnx.py',
        str(CONFIGS / 'swap' /
            'pspnet-r18-d8_cchead_4xb2-80k_cityscapes-512x1024.py'),
        '--shape', '64', '96', '--out', str(out))
    assert out.is_file()
    assert 'gamma of 1 criss-cross attention module(s) set to 1' in log
    match = re.search(r'input \(1, 3, 64, 96\), max \|onnxruntime - '
                      r'pytorch\| = (\S+)', log)
    assert match, log[-2000:]
    assert float(match.group(1)) <= 1e-4
