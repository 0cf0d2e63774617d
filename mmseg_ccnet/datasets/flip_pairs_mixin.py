# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from functools import cached_property

from ..utils.flip_pairs import LabelPairs, resolve_flip_pairs


class FlipPairsMixin:
    """Give every sample the label pairs its dataset declares.

    Mix into a dataset class (before the dataset base class) whose
    ``METAINFO`` has ``flip_pairs``: pairs of class names that swap under a
    mirror flip. Every sample then carries ``flip_label_pairs``, those pairs
    as label indices of the final class list (after ``metainfo``/``classes``
    given in the config, see :func:`~mmseg_ccnet.utils.resolve_flip_pairs`),
    which ``PairedRandomFlip`` and ``PairedFlipTTAModel`` use.
    """

    @cached_property
    def flip_label_pairs(self) -> LabelPairs:
        """tuple[tuple[int, int], ...]: The declared pairs as labels."""
        return resolve_flip_pairs(self.metainfo['classes'],
                                  self.metainfo.get('flip_pairs', ()))

    def get_data_info(self, idx: int) -> dict:
        """Get the ``idx``-th sample's information with its flip pairs.

        Args:
            idx (int): Index of the sample.

        Returns:
            dict: The dataset's data information plus ``flip_label_pairs``.
        """
        data_info = super().get_data_info(idx)
        data_info['flip_label_pairs'] = self.flip_label_pairs
        return data_info
