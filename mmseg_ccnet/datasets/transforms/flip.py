# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import List, Union

from mmseg.datasets.transforms import RandomFlip
from mmseg.registry import TRANSFORMS

from ...utils import MIRRORING_DIRECTIONS, swap_label_pairs


@TRANSFORMS.register_module()
class PairedRandomFlip(RandomFlip):
    """Flip like ``RandomFlip`` and swap the classes that have a handedness.

    After a mirroring flip (horizontal or vertical) of the label maps, each
    pair of labels in the sample's ``flip_label_pairs`` (put there by
    datasets with ``FlipPairsMixin`` from their ``flip_pairs``) trades
    places: a left arm becomes a right arm. A diagonal flip (a rotation by
    180 degrees) and samples without pairs are flipped only, exactly as by
    ``RandomFlip``.

    Required Keys:

    - img
    - gt_seg_map (optional)
    - flip_label_pairs (optional)

    Modified Keys:

    - img
    - gt_seg_map (optional)

    Added Keys:

    - flip
    - flip_direction

    Args:
        prob (float | list[float]): The flipping probability.
        direction (str | list[str]): The flipping direction(s).
            Defaults to 'horizontal'.
    """

    def __init__(self,
                 prob: Union[float, List[float]],
                 direction: Union[str, List[str]] = 'horizontal') -> None:
        # No ``swap_seg_labels``: the pairs come from the dataset, and
        # swapping them twice would undo the swap.
        super().__init__(prob=prob, direction=direction)

    def _flip(self, results: dict) -> None:
        """Flip the image and label maps, then swap the paired labels.

        Args:
            results (dict): The results dict, changed in place.
        """
        super()._flip(results)
        pairs = results.get('flip_label_pairs')
        if not pairs or results['flip_direction'] not in MIRRORING_DIRECTIONS:
            return
        for key in results.get('seg_fields', []):
            if results.get(key) is not None:
                results[key] = swap_label_pairs(results[key], pairs)
