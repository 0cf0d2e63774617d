# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The inference backends that run an exported file."""
import sys

import openvino
import openvino.properties.hint as hints
import pytest
import torch

from mmseg_ccnet.deployment.backends import (
    BACKENDS,
    OpenVINOBackend,
    backend_installed,
    build_backend,
    installed_backends,
    missing_backend_message,
)
from runner_utils import needs_dynamo_export


def test_backends_by_name():
    assert sorted(BACKENDS) == ['onnxruntime', 'openvino']
    with pytest.raises(ValueError, match="one of.*got 'tensorrt'"):
        build_backend('tensorrt', 'model.onnx')


def test_installed_backends_are_those_whose_package_imports(monkeypatch):
    assert installed_backends() == ['onnxruntime', 'openvino']
    monkeypatch.setitem(sys.modules, 'openvino', None)
    assert not backend_installed('openvino')
    assert backend_installed('onnxruntime')
    assert installed_backends() == ['onnxruntime']
    assert missing_backend_message('openvino') == (
        'openvino: the openvino package is not installed (the "deploy" '
        'extra installs it: pip install "mmseg-ccnet[deploy]")')


@pytest.mark.slow
@needs_dynamo_export
@pytest.mark.parametrize('name', sorted(BACKENDS))
def test_tensors_in_float32_tensors_out(dynamic_export, name):
    backend = build_backend(name, dynamic_export.path)
    assert repr(backend).endswith(f"({dynamic_export.path!r})")
    assert backend.input_shape == (None, 3, None, None)
    images = torch.randn(2, 3, 24, 40, dtype=torch.float64)
    logits = backend(images)
    assert logits.dtype == torch.float32
    assert logits.shape == (2, 19, 24, 40)
    torch.testing.assert_close(logits, backend(images.float()))


@pytest.mark.slow
@needs_dynamo_export
def test_openvino_runs_in_float32_unless_asked_otherwise(dynamic_export):
    """OpenVINO's CPU plugin would pick bfloat16 on processors that have
    bfloat16 units."""
    backend = OpenVINOBackend(dynamic_export.path)
    assert backend.model.get_property(
        hints.inference_precision) == openvino.Type.f32
