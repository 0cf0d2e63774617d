# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""ONNX export of CCNet segmentors, checked against onnxruntime."""
import onnx
import pytest
import torch
from mmengine.config import Config

from mmseg_ccnet.deployment.export import (
    SegmentorLogits,
    build_segmentor,
    compare_with_onnxruntime,
    export_onnx,
    expose_attention,
)
from mmseg_ccnet.models import CCHead
from runner_utils import CONFIGS, needs_dynamo_export, small_resnet


def tiny_ccnet():
    """CCNet (CCHead with R = 2) on a ResNetV1c-18 with 16 base channels."""
    cfg = small_resnet(
        Config.fromfile(CONFIGS / 'ccnet' /
                        'ccnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'))
    segmentor = build_segmentor(cfg)
    assert expose_attention(segmentor, 0.5) == 1
    assert segmentor.decode_head.cca.gamma.scale.item() == 0.5
    return segmentor


def test_build_segmentor_for_cpu_inference():
    segmentor = tiny_ccnet()
    assert not segmentor.training
    assert isinstance(segmentor.decode_head, CCHead)
    assert segmentor.decode_head.recurrence == 2
    assert not any(
        isinstance(m, torch.nn.SyncBatchNorm) for m in segmentor.modules())


def test_logits_are_whole_image_inference():
    segmentor = tiny_ccnet()
    image = torch.randn(2, 3, 40, 56)
    with torch.no_grad():
        logits = SegmentorLogits(segmentor)(image)
        expected = segmentor.encode_decode(image,
                                           [dict(img_shape=(40, 56))] * 2)
    assert logits.shape == (2, 19, 40, 56)
    torch.testing.assert_close(logits, expected)


@needs_dynamo_export
def test_tiny_ccnet_onnx_matches_pytorch(tmp_path):
    model = SegmentorLogits(tiny_ccnet()).eval()
    example = torch.randn(1, 3, 64, 48)
    path = str(tmp_path / 'ccnet.onnx')
    export_onnx(model, example, path)
    graph = onnx.load(path).graph
    assert {node.domain for node in graph.node} <= {'', 'ai.onnx'}
    max_diff, max_value = compare_with_onnxruntime(model, example, path)
    assert max_value > 0
    assert max_diff <= 1e-4, max_diff


def test_export_on_a_torch_without_dynamo_exporter_names_the_need(
        tmp_path, monkeypatch):

    def old_export(model, args, f, opset_version=None, input_names=None,
                   output_names=None):
        raise AssertionError('must not be called')

    monkeypatch.setattr(torch.onnx, 'export', old_export)
    model = SegmentorLogits(tiny_ccnet()).eval()
    with pytest.raises(RuntimeError, match=r'needs torch >= 2\.5'):
        export_onnx(model, torch.randn(1, 3, 32, 32),
                    str(tmp_path / 'x.onnx'))
