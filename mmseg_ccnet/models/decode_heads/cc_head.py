# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import logging
from typing import List

import torch
from mmengine.logging import print_log
from mmseg.models.decode_heads.fcn_head import FCNHead

from mmseg.registry import MODELS
from ..modules import CrissCrossAttention, check_feature_map
from ..modules.rcca import criss_cross_context


@MODELS.register_module(name='CCHead', force=True)
class CCHead(FCNHead):
    """Decode head of `CCNet <https://arxiv.org/abs/1811.11721>`_.

    A drop-in replacement for MMSegmentation's ``CCHead`` that needs no
    compiled mmcv ops: same constructor, same submodules
    (``convs.0``, ``cca``, ``convs.1``, ``conv_cat``, ``conv_seg``) and so
    the same ``state_dict`` keys, so MMSegmentation's CCNet checkpoints load
    unchanged. The features pass ``convs[0]``, ``recurrence`` times the
    shared :class:`CrissCrossAttention` (RCCA), ``convs[1]``, then are
    concatenated with the input for ``conv_cat`` (if ``concat_input``) and
    classified.

    Args:
        recurrence (int): Number of criss-cross attention passes R.
            Defaults to 2.
        **kwargs: Arguments of :class:`FCNHead` except ``num_convs``
            (fixed at 2).
    """

    def __init__(self, recurrence: int = 2, **kwargs):
        if 'num_convs' in kwargs:
            raise TypeError('CCHead fixes num_convs=2; do not pass it')
        if not isinstance(recurrence, int) or recurrence < 0:
            raise ValueError('recurrence must be an integer >= 0, got '
                             f'{recurrence!r}')
        super().__init__(num_convs=2, **kwargs)
        self.recurrence = recurrence
        self.cca = CrissCrossAttention(self.channels)

    def _forward_feature(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Features before the classifier.

        Args:
            inputs (list[Tensor]): Multi-level backbone features; the one at
                ``in_index`` has shape (B, in_channels, H, W).

        Returns:
            Tensor: Features of shape (B, channels, H, W).
        """
        x = self._transform_inputs(inputs)
        check_feature_map(x, self.in_channels, 4, '(B, C, H, W)')
        feats = criss_cross_context(x, self.convs[0], self.cca, self.convs[1],
                                    self.recurrence)
        if self.concat_input:
            feats = self.conv_cat(torch.cat([x, feats], dim=1))
        return feats

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Forward function.

        Args:
            inputs (list[Tensor]): Multi-level backbone features.

        Returns:
            Tensor: Segmentation logits of shape (B, num_classes, H, W).
        """
        return self.cls_seg(self._forward_feature(inputs))


print_log(
    "mmseg_ccnet: 'CCHead' in mmseg.registry.MODELS now builds "
    f'{CCHead.__module__}.CCHead (pure-PyTorch criss-cross attention, '
    'no compiled mmcv needed)',
    logger='current',
    level=logging.INFO)
