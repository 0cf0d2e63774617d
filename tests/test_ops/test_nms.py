# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""nms and batched_nms against hand-computed cases, the slow reference and
(where installed) mmcv's compiled CPU ops."""
import numpy as np
import pytest
import torch

from mmseg_ccnet.compat.mmcv_ops import compiled_ops_available
from mmseg_ccnet.ops import batched_nms, nms
from ops_reference import nms_reference

needs_compiled = pytest.mark.skipif(
    not compiled_ops_available(),
    reason='needs the compiled mmcv to compare with')


def random_boxes(n: int, seed: int, size: float = 100.0,
                 levels: int = 10) -> tuple:
    """Boxes (some with integer corners) and scores with many ties."""
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=gen) * size
    wh = torch.rand(n, 2, generator=gen) * size * 0.4
    boxes = torch.cat([xy, xy + wh], 1)
    if seed % 3 == 0:
        boxes = boxes.round()
    scores = torch.randint(0, levels, (n, ), generator=gen).float() / levels
    return boxes, scores


def test_hand_computed_suppression():
    boxes = torch.tensor([[0., 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30],
                          [0, 0, 10, 5]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    # IoU(0, 1) = 81 / 119 = 0.68; IoU(0, 3) = 50 / 100 = 0.5
    dets, inds = nms(boxes, scores, 0.6)
    assert inds.tolist() == [0, 2, 3]
    assert inds.dtype == torch.long
    torch.testing.assert_close(dets, torch.cat([boxes, scores[:, None]],
                                               1)[[0, 2, 3]])
    # suppression needs IoU strictly above the threshold
    assert nms(boxes, scores, 0.5)[1].tolist() == [0, 2, 3]
    assert nms(boxes, scores, 0.49)[1].tolist() == [0, 2]
    assert nms(boxes, scores, 0.7)[1].tolist() == [0, 1, 2, 3]
    # offset 1: IoU(0, 1) = 100 / 142 = 0.70, IoU(0, 3) = 66 / 121 = 0.55
    assert nms(boxes, scores, 0.69, offset=1)[1].tolist() == [0, 2, 3]
    assert nms(boxes, scores, 0.54, offset=1)[1].tolist() == [0, 2]
    # score_threshold drops box 3 before NMS; max_num truncates
    assert nms(boxes, scores, 0.6, score_threshold=0.65)[1].tolist() == [0, 2]
    assert nms(boxes, scores, 0.6, max_num=2)[1].tolist() == [0, 2]


def test_ties_keep_the_order_of_scores_sort():
    """Equal scores are ranked as ``scores.sort(0, descending=True)`` ranks
    them (mmcv's kernel makes this call; the sort is not stable)."""
    scores = torch.tensor([0.5, 0.9, 0.5, 0.9, 0.5] * 4)
    disjoint = torch.arange(20.)[:, None] * 20 + torch.tensor([0., 0, 10, 10])
    order = scores.sort(0, descending=True)[1]
    assert nms(disjoint, scores, 0.5)[1].tolist() == order.tolist()
    # of identical boxes with equal scores, the first in that order is kept
    same = torch.tensor([[0., 0, 10, 10]]).expand(20, 4)
    assert nms(same, scores, 0.5)[1].tolist() == order[:1].tolist()


@pytest.mark.parametrize('seed', range(12))
def test_random_boxes_match_the_reference(seed):
    # 600 boxes cross the blocks in which IoUs are computed
    boxes, scores = random_boxes(600 if seed < 2 else 120, seed)
    threshold = float(torch.rand((), generator=torch.Generator().manual_seed(
        seed))) * 0.8 + 0.1
    for offset in (0, 1):
        dets, inds = nms(boxes, scores, threshold, offset=offset)
        assert inds.tolist() == nms_reference(boxes, scores, threshold,
                                              offset)
        assert torch.equal(dets, torch.cat([boxes, scores[:, None]],
                                           1)[inds])
    valid = torch.nonzero(scores > 0.35).squeeze(1)
    kept = valid[nms_reference(boxes[valid], scores[valid], threshold)]
    assert nms(boxes, scores, threshold, score_threshold=0.35,
               max_num=7)[1].tolist() == kept[:7].tolist()


def test_float64_boxes_match_the_reference():
    boxes, scores = random_boxes(150, 4)
    boxes = boxes.double() / 3
    inds = nms(boxes, scores, 0.4)[1]
    assert inds.tolist() == nms_reference(boxes, scores, 0.4)


def test_empty_inputs():
    dets, inds = nms(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert dets.shape == (0, 5) and inds.shape == (0, )
    assert inds.dtype == torch.long
    boxes, scores = random_boxes(10, 1)
    assert nms(boxes, scores, 0.5, score_threshold=2.0)[1].numel() == 0
    for cfg in (dict(type='nms', iou_threshold=0.5),
                dict(type='nms', iou_threshold=0.5, split_thr=0)):
        dets, keep = batched_nms(torch.zeros(0, 4), torch.zeros(0),
                                 torch.zeros(0, dtype=torch.long), cfg)
        assert dets.shape == (0, 5) and keep.shape == (0, )


def test_numpy_in_numpy_out():
    boxes, scores = random_boxes(50, 2)
    dets, inds = nms(boxes.numpy(), scores.numpy(), 0.5)
    assert isinstance(dets, np.ndarray) and isinstance(inds, np.ndarray)
    expected = nms(boxes, scores, 0.5)
    np.testing.assert_array_equal(inds, expected[1].numpy())
    np.testing.assert_array_equal(dets, expected[0].numpy())


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r'shape \(N, 4\)'):
        nms(torch.zeros(3, 5), torch.zeros(3), 0.5)
    with pytest.raises(ValueError, match='3 scores'):
        nms(torch.zeros(3, 4), torch.zeros(2), 0.5)
    with pytest.raises(ValueError, match='offset'):
        nms(torch.zeros(3, 4), torch.zeros(3), 0.5, offset=2)


def shifted(boxes: torch.Tensor, idxs: torch.Tensor) -> torch.Tensor:
    """Boxes moved apart by group, as batched_nms documents it."""
    step = boxes.max() + torch.tensor(1).to(boxes)
    return boxes + (idxs.to(boxes) * step)[:, None]


def batched_reference(boxes, scores, idxs, threshold, split):
    """Kept indices of batched NMS: one NMS of the shifted boxes, or one per
    group merged by ``sort`` of the kept scores."""
    moved = shifted(boxes, idxs)
    if not split:
        return torch.tensor(nms_reference(moved, scores, threshold))
    kept = []
    for group in torch.unique(idxs):
        members = (idxs == group).nonzero().view(-1)
        kept += members[nms_reference(moved[members], scores[members],
                                      threshold)].tolist()
    kept = torch.tensor(sorted(kept))
    return kept[scores[kept].sort(descending=True)[1]]


@pytest.mark.parametrize('split', [False, True])
@pytest.mark.parametrize('seed', range(4))
def test_batched_nms_matches_the_reference(seed, split):
    boxes, scores = random_boxes(400, seed, size=300, levels=20)
    idxs = torch.randint(0, 80, (400, ),
                         generator=torch.Generator().manual_seed(seed))
    cfg = dict(type='nms', iou_threshold=0.5)
    if split:
        cfg['split_thr'] = 100
    dets, keep = batched_nms(boxes, scores, idxs, cfg)
    assert keep.tolist() == batched_reference(boxes, scores, idxs, 0.5,
                                              split).tolist()
    assert torch.equal(dets, torch.cat([boxes, scores[:, None]], 1)[keep])
    # max_num in the split branch truncates the merged result
    if split:
        assert batched_nms(boxes, scores, idxs,
                           dict(cfg, max_num=9))[1].tolist() == \
            keep[:9].tolist()


@pytest.mark.parametrize('groups', [1, 2, 30])
def test_batched_nms_of_large_groups_matches_the_reference(groups):
    """Groups larger than a block go through the blocked pass on their own,
    smaller ones through the padded pass, together."""
    boxes, scores = random_boxes(700, 6, size=300, levels=20)
    idxs = torch.arange(700) % groups
    idxs[:40] = groups  # one small group beside the large ones
    dets, keep = batched_nms(boxes, scores, idxs, dict(iou_threshold=0.6))
    assert keep.tolist() == batched_reference(boxes, scores, idxs, 0.6,
                                              False).tolist()


def test_groups_with_negative_coordinates_are_shifted_as_mmcv_does():
    """With negative coordinates the shifted groups may overlap, and do
    suppress each other, as in mmcv."""
    boxes = torch.tensor([[-10., -10, 0, 0], [-9, -9, 0, 0]])
    idxs = torch.tensor([0, 1])
    keep = batched_nms(boxes, torch.tensor([0.9, 0.8]), idxs,
                       dict(iou_threshold=0.3))[1]
    assert keep.tolist() == batched_reference(boxes, torch.tensor(
        [0.9, 0.8]), idxs, 0.3, False).tolist()


def test_batched_nms_branches_agree_and_groups_do_not_interact():
    gen = torch.Generator().manual_seed(5)
    boxes, _ = random_boxes(300, 5, size=200)
    scores = torch.rand(300, generator=gen)  # no ties
    idxs = torch.randint(0, 6, (300, ), generator=gen)
    low = batched_nms(boxes, scores, idxs, dict(iou_threshold=0.6))[1]
    high = batched_nms(boxes, scores, idxs,
                       dict(iou_threshold=0.6, split_thr=1))[1]
    assert low.tolist() == high.tolist()
    # the same boxes in two groups are both kept
    twice = torch.cat([boxes[:1], boxes[:1]])
    assert batched_nms(twice, torch.tensor([0.9, 0.8]), torch.tensor([0, 1]),
                       dict(iou_threshold=0.5))[1].tolist() == [0, 1]
    agnostic = batched_nms(twice, torch.tensor([0.9, 0.8]),
                           torch.tensor([0, 1]),
                           dict(iou_threshold=0.5, class_agnostic=True))
    assert agnostic[1].tolist() == [0]
    assert batched_nms(twice, torch.tensor([0.9, 0.8]), torch.tensor([0, 1]),
                       dict(iou_threshold=0.5),
                       class_agnostic=True)[1].tolist() == [0]


def test_batched_nms_without_cfg_sorts_only():
    boxes, scores = random_boxes(30, 7)
    dets, keep = batched_nms(boxes, scores, torch.zeros(30), None)
    assert keep.tolist() == scores.sort(descending=True)[1].tolist()
    assert torch.equal(dets[:, :4], boxes[keep])


def test_batched_nms_accepts_an_nms_function_as_type():
    boxes, scores = random_boxes(40, 8)
    idxs = torch.zeros(40, dtype=torch.long)
    dets, keep = batched_nms(boxes, scores, idxs,
                             dict(type=nms, iou_threshold=0.5))
    assert keep.tolist() == nms(boxes, scores, 0.5)[1].tolist()


@needs_compiled
def test_nms_equals_compiled_mmcv():
    import mmcv.ops
    for seed in range(40):
        boxes, scores = random_boxes(int(torch.randint(1, 700, ())), seed)
        for kwargs in (dict(), dict(offset=1), dict(score_threshold=0.35),
                       dict(max_num=7)):
            threshold = float(torch.rand(()))
            expected = mmcv.ops.nms(boxes, scores, threshold, **kwargs)
            got = nms(boxes, scores, threshold, **kwargs)
            assert torch.equal(got[1], expected[1]), (seed, kwargs)
            assert torch.equal(got[0], expected[0]), (seed, kwargs)


@needs_compiled
def test_batched_nms_equals_compiled_mmcv():
    import mmcv.ops
    for seed in range(20):
        n = int(torch.randint(1, 1500, ()))
        boxes, scores = random_boxes(n, seed, size=300, levels=20)
        idxs = torch.randint(0, int(torch.randint(1, 81, ())), (n, ))
        for cfg in (dict(type='nms', iou_threshold=0.5),
                    dict(type='nms', iou_threshold=0.7, split_thr=50),
                    dict(type='nms', iou_threshold=0.5, split_thr=1,
                         max_num=20),
                    dict(type='nms', iou_threshold=0.5, class_agnostic=True),
                    dict(iou_threshold=0.6, offset=1, score_threshold=0.3,
                         max_num=10), None):
            expected = mmcv.ops.batched_nms(boxes, scores, idxs, cfg)
            got = batched_nms(boxes, scores, idxs, cfg)
            assert torch.equal(got[1], expected[1]), (seed, cfg)
            assert torch.equal(got[0], expected[0]), (seed, cfg)
