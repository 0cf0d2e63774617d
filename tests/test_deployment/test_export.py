# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""ONNX export of CCNet segmentors, checked on every backend."""
import re

import onnx
import pytest
import torch
from mmengine.config import Config

from mmseg_ccnet.deployment.backends import BACKENDS, build_backend
from mmseg_ccnet.deployment.export import (
    SegmentorLogits,
    build_segmentor,
    compare_with_backends,
    einsum_attention,
    export_onnx,
    expose_attention,
)
from mmseg_ccnet.models import CCHead, CrissCrossAttention
from runner_utils import CONFIGS, needs_dynamo_export, small_resnet

#: Inputs of the dynamic graph: two batch sizes at the traced size and at a
#: non-square one, and a size whose feature map is 1x1, below the sizes the
#: exporter traced for (H, W >= 9 at output stride 8).
DYNAMIC_CHECKS = ((1, 3, 64, 48), (2, 3, 64, 48), (1, 3, 40, 72),
                  (2, 3, 40, 72), (1, 3, 7, 5))


def tiny_ccnet():
    """CCNet (CCHead with R = 2) on a ResNetV1c-18 with 16 base channels."""
    cfg = small_resnet(
        Config.fromfile(CONFIGS / 'ccnet' /
                        'ccnet_r50-d8_4xb2-40k_cityscapes-512x1024.py'))
    segmentor = build_segmentor(cfg)
    assert expose_attention(segmentor, 0.5) == 1
    assert segmentor.decode_head.cca.gamma.scale.item() == 0.5
    return segmentor


def input_dims(path):
    """The input's dimensions of an ONNX file: names or sizes."""
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    return [dim.dim_param or dim.dim_value for dim in dims]


def test_build_segmentor_for_cpu_inference():
    segmentor = tiny_ccnet()
    assert not segmentor.training
    assert isinstance(segmentor.decode_head, CCHead)
    assert segmentor.decode_head.recurrence == 2
    assert not any(
        isinstance(m, torch.nn.SyncBatchNorm) for m in segmentor.modules())


@pytest.mark.parametrize('align_corners', [False, True])
def test_logits_are_whole_image_inference(align_corners):
    segmentor = tiny_ccnet()
    segmentor.decode_head.align_corners = align_corners
    image = torch.randn(2, 3, 40, 56)
    with torch.no_grad():
        logits = SegmentorLogits(segmentor)(image)
        expected = segmentor.encode_decode(image,
                                           [dict(img_shape=(40, 56))] * 2)
    assert logits.shape == (2, 19, 40, 56)
    torch.testing.assert_close(logits, expected)


def test_logits_refuse_a_segmentor_with_its_own_encode_decode():
    segmentor = tiny_ccnet()
    segmentor.__class__ = type('OwnEncodeDecode', (type(segmentor), ),
                               dict(encode_decode=lambda self, x, m: x))
    with pytest.raises(TypeError, match='keeps EncoderDecoder'):
        SegmentorLogits(segmentor)


def test_einsum_attention_is_restored_even_after_an_error():
    segmentor = tiny_ccnet()
    segmentor.decode_head.cca.impl = 'efficient'
    with pytest.raises(RuntimeError, match='inside'):
        with einsum_attention(segmentor):
            assert segmentor.decode_head.cca.impl == 'einsum'
            raise RuntimeError('inside')
    assert segmentor.decode_head.cca.impl == 'efficient'


@needs_dynamo_export
def test_default_attention_cannot_be_traced_with_a_dynamic_batch():
    """Why the export goes through the einsum formulation."""
    attention = CrissCrossAttention(16).eval()
    expose_attention(attention)
    batch = dict(x={0: torch.export.Dim.DYNAMIC})
    with pytest.raises(torch._dynamo.exc.UserError, match='specialized'):
        torch.export.export(
            attention, (torch.randn(2, 16, 5, 6), ), dynamic_shapes=batch)
    with einsum_attention(attention):
        torch.export.export(
            attention, (torch.randn(2, 16, 5, 6), ), dynamic_shapes=batch)


@pytest.mark.slow
@needs_dynamo_export
def test_dynamic_export_matches_pytorch_on_every_backend(dynamic_export):
    assert input_dims(dynamic_export.path) == ['batch', 3, 'height', 'width']
    graph = onnx.load(dynamic_export.path).graph
    assert {node.domain for node in graph.node} <= {'', 'ai.onnx'}
    output = graph.output[0].type.tensor_type.shape.dim
    assert [dim.dim_param or dim.dim_value
            for dim in output] == ['batch', 19, 'height', 'width']
    model = SegmentorLogits(dynamic_export.segmentor).eval()
    # the reference is the default implementation, not the exported one
    assert dynamic_export.segmentor.decode_head.cca.impl == 'efficient'
    backends = [build_backend(name, dynamic_export.path) for name in BACKENDS]
    inputs = [torch.randn(*shape) for shape in DYNAMIC_CHECKS]
    results = compare_with_backends(model, backends, inputs)
    assert [(r.backend, r.shape) for r in results] == [
        (name, shape) for shape in DYNAMIC_CHECKS for name in BACKENDS
    ]
    for result in results:
        assert result.max_value > 0.01, result
        assert result.max_diff <= 1e-4, result


@pytest.mark.slow
@needs_dynamo_export
def test_static_export_matches_pytorch_on_every_backend(tmp_path):
    model = SegmentorLogits(tiny_ccnet()).eval()
    example = torch.randn(1, 3, 64, 48)
    path = str(tmp_path / 'ccnet.onnx')
    export_onnx(model, example, path)
    assert input_dims(path) == [1, 3, 64, 48]
    backends = [build_backend(name, path) for name in BACKENDS]
    for result in compare_with_backends(model, backends, [example]):
        assert result.max_value > 0
        assert result.max_diff <= 1e-4, result
    for backend in backends:
        assert backend.input_shape == (1, 3, 64, 48)
        with pytest.raises(ValueError, match=re.escape(
                f'{path} takes inputs of shape (1, 3, 64, 48) (None: any '
                'size), got (1, 3, 48, 64); a file exported with --dynamic')):
            backend(torch.randn(1, 3, 48, 64))


@pytest.mark.slow
@needs_dynamo_export
@pytest.mark.parametrize('shape, small', [((1, 3, 32, 32), "{'batch': 1}"),
                                          ((2, 3, 1, 32), "{'height': 1}")])
def test_dynamic_export_needs_an_example_of_sizes_two_or_more(
        tmp_path, shape, small):
    model = SegmentorLogits(tiny_ccnet()).eval()
    message = f'at least 2.*got {re.escape(small)}'
    with pytest.raises(ValueError, match=message):
        export_onnx(
            model,
            torch.randn(*shape),
            str(tmp_path / 'x.onnx'),
            dynamic=True)


@pytest.mark.slow
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
