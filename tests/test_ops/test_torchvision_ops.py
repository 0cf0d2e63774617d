# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The ops on torchvision's compiled kernels against their pure-PyTorch
paths and mmcv's semantics, where torchvision's ops load."""
import sys

import pytest
import torch
from test_nms import random_boxes
from test_roi_align import SETTINGS, assert_agrees, random_case

from mmseg_ccnet.ops import batched_nms, nms, roi_align
from mmseg_ccnet.ops.torchvision_ops import (
    as_c_float,
    load_torchvision_ops,
    pure_pytorch,
    torchvision_ops,
)

needs_torchvision = pytest.mark.skipif(
    torchvision_ops() is None,
    reason='torchvision is not installed, or its compiled ops do not load '
    'with this torch')


@pytest.fixture
def pure():
    """Switch the ops to their pure-PyTorch paths."""
    with pure_pytorch():
        yield


def test_without_torchvision_the_pure_paths_run(monkeypatch):
    monkeypatch.setitem(sys.modules, 'torchvision', None)
    load_torchvision_ops.cache_clear()
    try:
        assert torchvision_ops() is None
    finally:
        load_torchvision_ops.cache_clear()
    with pure_pytorch():
        assert torchvision_ops() is None


def test_c_float_rounding():
    # 0.3 rounds up as a C float: an IoU equal to float32(0.3) does not
    # exceed mmcv's threshold, though it exceeds the double 0.3
    assert as_c_float(0.3) > 0.3
    assert as_c_float(0.5) == 0.5


def nms_cases(boxes, scores, idxs):
    """nms and batched_nms at three thresholds, with and without limits."""
    for threshold in (0.3, 0.5, 0.7):
        yield nms(boxes, scores, threshold)
        yield nms(boxes, scores, threshold, score_threshold=0.35, max_num=9)
        yield batched_nms(boxes, scores, idxs, dict(iou_threshold=threshold))


@needs_torchvision
@pytest.mark.parametrize('seed', range(8))
def test_nms_equals_the_pure_path(seed, request):
    boxes, scores = random_boxes(300 if seed else 700, seed)
    idxs = torch.randint(0, 5, (boxes.size(0), ))
    got = list(nms_cases(boxes, scores, idxs))
    request.getfixturevalue('pure')
    for (dets, inds), (want_dets, want_inds) in zip(
            got, nms_cases(boxes, scores, idxs)):
        assert torch.equal(inds, want_inds)
        assert torch.equal(dets, want_dets)


@needs_torchvision
def test_nms_ties_and_empty_inputs():
    scores = torch.tensor([0.5, 0.9, 0.5, 0.9, 0.5] * 4)
    same = torch.tensor([[0., 0, 10, 10]]).expand(20, 4)
    order = scores.sort(0, descending=True)[1]
    assert nms(same, scores, 0.5)[1].tolist() == order[:1].tolist()
    disjoint = torch.arange(20.)[:, None] * 20 + torch.tensor([0., 0, 10, 10])
    assert nms(disjoint, scores, 0.5)[1].tolist() == order.tolist()
    dets, inds = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert dets.shape == (0, 5) and inds.shape == (0, )


@needs_torchvision
@pytest.mark.parametrize('aligned,sampling_ratio,pool_mode', SETTINGS)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_roi_align_equals_the_pure_path(aligned, sampling_ratio, pool_mode,
                                        dtype, request):
    results = []
    for use_pure in (False, True):
        if use_pure:
            request.getfixturevalue('pure')
        for seed in range(6):
            feats, rois, grad, scale = random_case(seed, dtype)
            feats.requires_grad_(True)
            output = roi_align(feats, rois, (4, 3), scale, sampling_ratio,
                               pool_mode, aligned)
            output.backward(grad)
            results.append((output.detach(), feats.grad))
    half = len(results) // 2
    for (output, grad), (want, want_grad) in zip(results[:half],
                                                 results[half:]):
        assert_agrees(output, want, pool_mode)
        assert_agrees(grad, want_grad, pool_mode)


@needs_torchvision
def test_roi_align_refuses_negative_rois_as_mmcv():
    with pytest.raises(ValueError, match='non-negative size'):
        roi_align(torch.randn(1, 2, 8, 8), torch.tensor([[0., 5, 5, 4, 6]]),
                  2)
