# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.structures import SegDataSample
from torch import nn

from mmseg_ccnet.models import PairedFlipTTAModel

LEFT, RIGHT = 1, 2
PAIRS = ((LEFT, RIGHT), )


class Segmentor(nn.Module):
    """What merge_preds needs of the wrapped segmentor (BaseTTAModel also
    checks that it has a ``test_step``)."""
    out_channels = 4

    def test_step(self, data):
        raise AssertionError('merging predictions must not run the model')


def scores(**by_class):
    """Logits of a 2x2 image whose pixels all score the same."""
    logits = torch.zeros(4)
    for name, value in by_class.items():
        logits[dict(left=LEFT, right=RIGHT)[name]] = value
    return logits[:, None, None].repeat(1, 2, 2)


def view(logits, flip, pairs=PAIRS, direction='horizontal'):
    sample = SegDataSample(
        metainfo=dict(
            img_path='a.png',
            flip=flip,
            flip_direction=direction if flip else None,
            flip_label_pairs=pairs))
    sample.seg_logits = PixelData(data=logits.clone())
    return sample


def merge(model_type, views):
    merged, = model_type(module=Segmentor()).merge_preds([views])
    return merged.pred_sem_seg.data


def left_arm_views(**kwargs):
    """A left arm seen twice: in the original view (weakly 'left'), and in
    the mirrored view, where it looks like a right arm (confidently 'right';
    the segmentor has already flipped the logits back in space)."""
    return [
        view(scores(left=2., right=1.), False),
        view(scores(left=1., right=4.), True, **kwargs)
    ]


@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_mirrored_views_vote_for_the_right_side(direction):
    prediction = merge(PairedFlipTTAModel,
                       left_arm_views(direction=direction))
    assert (prediction == LEFT).all()


def test_plain_tta_would_call_it_a_right_arm():
    assert (merge(SegTTAModel, left_arm_views()) == RIGHT).all()


def test_views_without_pairs_or_mirroring_are_merged_as_they_are():
    assert (merge(PairedFlipTTAModel, left_arm_views(pairs=None)) ==
            RIGHT).all()
    assert (merge(PairedFlipTTAModel, left_arm_views(direction='diagonal'))
            == RIGHT).all()
