# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""soft_nms against hand-computed cases, the step-by-step reference and
(where installed) mmcv's compiled CPU op."""
import math

import numpy as np
import pytest
import torch

from mmseg_ccnet.compat.mmcv_ops import compiled_ops_available
from mmseg_ccnet.ops import batched_nms, soft_nms
from ops_reference import soft_nms_reference

needs_compiled = pytest.mark.skipif(
    not compiled_ops_available(),
    reason='needs the compiled mmcv to compare with')

# B covers half of A (IoU 0.5); C overlaps neither
BOXES = torch.tensor([[0., 0, 10, 10], [0, 0, 10, 5], [20, 20, 30, 30]])
SCORES = torch.tensor([0.9, 0.8, 0.7])


@pytest.mark.parametrize('method, inds, kept_scores', [
    ('linear', [0, 2, 1], [0.9, 0.7, 0.4]),
    ('naive', [0, 2], [0.9, 0.7]),
    ('gaussian', [0, 2, 1], [0.9, 0.7, 0.8 * math.exp(-0.25 / 0.5)]),
])
def test_hand_computed_scores(method, inds, kept_scores):
    dets, keep = soft_nms(BOXES, SCORES, 0.3, 0.5, 1e-3, method)
    assert keep.tolist() == inds and keep.dtype == torch.long
    torch.testing.assert_close(dets[:, :4], BOXES[inds])
    torch.testing.assert_close(dets[:, 4], torch.tensor(kept_scores))


def test_thresholds():
    # under the IoU threshold the linear method leaves B alone
    assert soft_nms(BOXES, SCORES, 0.6)[0][:, 4].tolist() == pytest.approx(
        [0.9, 0.8, 0.7])
    # a lowered score under min_score drops the box; the first is kept
    assert soft_nms(BOXES, SCORES, 0.3, min_score=0.5)[1].tolist() == [0, 2]
    assert soft_nms(BOXES[:1], torch.tensor([0.01]),
                    min_score=0.5)[1].tolist() == [0]


def random_case(n: int, seed: int):
    """Boxes and scores, with ties in every other case."""
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=gen) * 100
    boxes = torch.cat([xy, xy + torch.rand(n, 2, generator=gen) * 40], 1)
    scores = torch.rand(n, generator=gen)
    if seed % 2:
        scores = (scores * 4).ceil() / 4
    return boxes, scores


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('method', ['naive', 'linear', 'gaussian'])
def test_matches_the_step_by_step_reference(seed, method):
    boxes, scores = random_case(60, seed)
    offset = seed % 2
    dets, keep = soft_nms(boxes, scores, 0.3, 0.5, 0.05, method, offset)
    inds, kept_scores = soft_nms_reference(boxes, scores, 0.3, 0.5, 0.05,
                                           method, offset)
    assert keep.tolist() == inds
    torch.testing.assert_close(dets[:, 4], torch.tensor(kept_scores),
                               rtol=1e-6, atol=1e-6)


def test_empty_and_numpy_inputs_and_errors():
    dets, keep = soft_nms(torch.zeros(0, 4), torch.zeros(0))
    assert dets.shape == (0, 5) and keep.shape == (0, )
    dets, keep = soft_nms(BOXES.numpy(), SCORES.numpy())
    assert isinstance(dets, np.ndarray) and keep.tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match="method must be one of .*'cubic'"):
        soft_nms(BOXES, SCORES, method='cubic')
    with pytest.raises(ValueError, match='offset must be 0 or 1, got 2'):
        soft_nms(BOXES, SCORES, offset=2)
    with pytest.raises(ValueError, match=r'got \(3, 4\) and \(2,\)'):
        soft_nms(BOXES, SCORES[:2])


def test_batched_soft_nms_lowers_scores_within_groups():
    boxes = torch.cat([BOXES, BOXES[:2]])
    scores = torch.cat([SCORES, torch.tensor([0.6, 0.5])])
    idxs = torch.tensor([0, 0, 0, 1, 1])
    for split_thr in (10000, 1):
        dets, keep = batched_nms(
            boxes, scores, idxs,
            dict(type='soft_nms', iou_threshold=0.3, split_thr=split_thr))
        assert keep.tolist() == [0, 2, 3, 1, 4]
        torch.testing.assert_close(dets[:, 4],
                                   torch.tensor([0.9, 0.7, 0.6, 0.4, 0.25]))


@needs_compiled
@pytest.mark.parametrize('method', ['naive', 'linear', 'gaussian'])
def test_equals_compiled_mmcv(method):
    from mmcv.ops import soft_nms as mmcv_soft_nms
    for seed in range(6):
        boxes, scores = random_case((0, 1, 7, 300)[seed % 4], seed)
        for offset in (0, 1):
            ours = soft_nms(boxes, scores, 0.3, 0.5, 0.05, method, offset)
            theirs = mmcv_soft_nms(boxes, scores, 0.3, 0.5, 0.05, method,
                                   offset)
            assert torch.equal(ours[1], theirs[1])
            # naive and linear to the bit; exp may differ in the last bit
            torch.testing.assert_close(ours[0], theirs[0], rtol=1e-6,
                                       atol=0 if method != 'gaussian' else
                                       1e-7)
