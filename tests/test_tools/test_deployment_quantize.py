# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/deployment/quantize.py: INT8 that predicts what float32 predicts."""
import re

import numpy as np
import pytest
from mmengine.config import Config

from runner_utils import needs_dynamo_export, run_tool

pytest.importorskip('nncf', reason='the quantize extra is not installed')


def fake_quantized(model):
    """Names of the operations whose input OpenVINO quantizes."""
    return {
        consumer.get_node().get_friendly_name()
        for op in model.get_ordered_ops()
        if op.get_type_name() == 'FakeQuantize'
        for consumer in op.output(0).get_target_inputs()
    }


@pytest.mark.slow
@needs_dynamo_export
def test_int8_predicts_the_classes_of_float32(exported_cc_context, tmp_path):
    import onnxruntime
    import openvino

    from mmseg_ccnet.deployment.backends import OpenVINOBackend
    from mmseg_ccnet.deployment.quantize import (
        model_inputs,
        pixel_agreement,
    )
    config, files = exported_cc_context
    out, onnx_out = tmp_path / 'int8.xml', tmp_path / 'int8.onnx'
    log = run_tool('deployment/quantize.py', config, files['onnx'], '--split',
                   'train', '--num-images', '4', '--out', out, '--onnx-out',
                   onnx_out)
    assert '4 calibration images of the train split, inputs of shape ' \
        '(1, 3, 64, 64)' in log
    reported = float(
        re.search(r'same class on (\S+)% of the pixels of 8 test images; '
                  r'largest logit difference', log).group(1))
    assert reported >= 95, log[-2000:]
    model = openvino.Core().read_model(str(out))
    quantized = fake_quantized(model)
    assert 'node_conv2d_12/WithoutBiases' in quantized  # the classifier
    assert not any('einsum' in name or 'softmax' in name
                   for name in quantized)
    assert 'node_conv2d_4/WithoutBiases' not in quantized  # query conv
    # the 8 validation images, none of which calibrated
    images = model_inputs(Config.fromfile(config), 'val', 8)
    float32 = [OpenVINOBackend(str(files['onnx'])).run(x) for x in images]
    int8 = [OpenVINOBackend(str(out)).run(x) for x in images]
    assert pixel_agreement(float32, int8) >= 0.95
    session = onnxruntime.InferenceSession(str(onnx_out))
    qdq = [session.run(None, dict(input=x))[0] for x in images]
    assert pixel_agreement(float32, qdq) >= 0.95
    assert not np.array_equal(float32[0], int8[0])
