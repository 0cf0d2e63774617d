# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import List

import torch
from mmseg.models.segmentors import SegTTAModel
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList

from ...utils import MIRRORING_DIRECTIONS, pair_permutation


def swap_mirrored_scores(data_sample: SegDataSample) -> None:
    """Give a mirrored view's paired classes back their own scores.

    Args:
        data_sample (SegDataSample): A view's prediction, with
            ``seg_logits`` of shape (C, H, W) already flipped back in space.
            Changed in place if its metainfo says it was mirrored
            (``flip``, ``flip_direction``) and has ``flip_label_pairs``.
    """
    meta = data_sample.metainfo
    pairs = meta.get('flip_label_pairs')
    mirrored = meta.get('flip') and meta.get(
        'flip_direction') in MIRRORING_DIRECTIONS
    if pairs and mirrored:
        logits = data_sample.seg_logits.data
        order = torch.from_numpy(pair_permutation(logits.shape[0], pairs))
        data_sample.seg_logits.data = logits[order.to(logits.device)]


@MODELS.register_module()
class PairedFlipTTAModel(SegTTAModel):
    """Test-time augmentation that knows mirrored images swap classes.

    The segmentor already flips the logits of a flipped view back into
    place; for a dataset with ``flip_pairs`` (e.g. LIP) the score of "left
    arm" in a mirrored view is then the score of "right arm" in the
    original. Before the views are averaged, this model exchanges the
    channels of each pair in ``flip_label_pairs`` of every mirrored view.
    Use it as ``tta_model = dict(type='PairedFlipTTAModel')`` with
    ``PairedRandomFlip`` in ``tta_pipeline`` and ``'flip_label_pairs'`` in
    the ``meta_keys`` of ``PackSegInputs``.
    """

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Swap the paired classes of mirrored views, then average.

        Args:
            data_samples_list (list[list[SegDataSample]]): For each image,
                the predictions of its augmented views.

        Returns:
            list[SegDataSample]: The merged prediction of each image.
        """
        for data_samples in data_samples_list:
            for data_sample in data_samples:
                swap_mirrored_scores(data_sample)
        return super().merge_preds(data_samples_list)
