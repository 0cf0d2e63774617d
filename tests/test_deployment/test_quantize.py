# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The pieces of the INT8 quantization: calibration inputs, the attention's
scope, the agreement of predictions."""
import mmcv
import numpy as np
import onnx
import pytest
from mmengine.config import Config

from mmseg_ccnet.deployment.quantize import (
    attention_node_names,
    model_inputs,
    pixel_agreement,
)
from runner_utils import CONFIGS, needs_dynamo_export, shrink_cc_context_config


def test_model_inputs_are_the_normalised_images_of_the_split(
        tmp_path):
    cfg = shrink_cc_context_config(
        Config.fromfile(CONFIGS / 'cc_context' /
                        'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'),
        str(tmp_path / 'data'))
    inputs = model_inputs(cfg, 'val', num_images=100)
    assert len(inputs) == 8  # all the split has
    folder = tmp_path / 'data' / 'img_dir' / 'val'
    for array, path in zip(inputs, sorted(folder.iterdir())):
        rgb = mmcv.imread(str(path), channel_order='rgb').astype(np.float32)
        expected = ((rgb - 127.5) / 64).transpose(2, 0, 1)[None]
        assert array.dtype == np.float32
        np.testing.assert_allclose(array, expected, atol=1e-6)
    drawn = model_inputs(cfg, 'train', num_images=3, seed=1)
    assert len(drawn) == 3 and all(x.shape == (1, 3, 64, 64) for x in drawn)
    again = model_inputs(cfg, 'train', num_images=3, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(drawn, again))


@needs_dynamo_export
def test_attention_nodes_are_those_of_the_criss_cross_attention(
        dynamic_export, tmp_path):
    names = attention_node_names(dynamic_export.path)
    types = {
        node.op_type
        for node in onnx.load(dynamic_export.path).graph.node
        if node.name in names
    }
    assert {'Conv', 'Einsum', 'Softmax'} <= types
    assert 'Relu' not in types  # the head's convolutions are outside
    model = onnx.load(dynamic_export.path)
    for node in model.graph.node:
        del node.metadata_props[:]
    path = str(tmp_path / 'stripped.onnx')
    onnx.save(model, path)
    assert attention_node_names(path) == []
    nncf = pytest.importorskip('nncf')
    from mmseg_ccnet.deployment.quantize import attention_ignored_scope
    with pytest.raises(ValueError, match='stripped.onnx has no node of a '
                       'CrissCrossAttention'):
        attention_ignored_scope(path)
    scope = attention_ignored_scope(dynamic_export.path)
    assert isinstance(scope, nncf.IgnoredScope)
    assert attention_ignored_scope(dynamic_export.path,
                                   'onnx').names == names


def test_pixel_agreement_counts_equal_argmax():
    first = np.zeros((1, 3, 2, 2), np.float32)
    first[0, 1] = 1  # class 1 everywhere
    second = first.copy()
    second[0, 2, 0, 0] = 2  # class 2 at one pixel
    assert pixel_agreement([first, first], [first, second]) == 7 / 8
