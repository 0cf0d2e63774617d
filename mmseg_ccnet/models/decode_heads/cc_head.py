# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import functools
import logging
from typing import Dict, List, NamedTuple, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmseg.models.decode_heads.fcn_head import FCNHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList

from ccnet_core.layout import check_feature_map, check_integer

from ..modules import CrissCrossAttention


@functools.lru_cache(maxsize=None)
def _log_replacement() -> None:
    """Say, once per process, which class ``type='CCHead'`` builds."""
    print_log(
        "mmseg_ccnet: type='CCHead' builds mmseg_ccnet's CCHead, a drop-in "
        "replacement of MMSegmentation's CCHead (pure-PyTorch criss-cross "
        'attention, no compiled mmcv needed)',
        logger='current',
        level=logging.INFO)


class RCCAFeatures(NamedTuple):
    """Intermediate features of :class:`CCHead`, each (B, C, H, W).

    Attributes:
        attention (Tensor, optional): ``cca^R(convs[0](x))``, the output of
            the last criss-cross attention pass (H'' in the paper); None
            where it was not kept.
        context (Tensor): ``convs[1](attention)``.
        fused (Tensor): The features before the classifier:
            ``conv_cat([x, context])`` if ``concat_input``, else ``context``.
    """
    attention: Optional[torch.Tensor]
    context: torch.Tensor
    fused: torch.Tensor


@MODELS.register_module(name='CCHead', force=True)
class CCHead(FCNHead):
    """Decode head of `CCNet <https://arxiv.org/abs/1811.11721>`_.

    A drop-in replacement for MMSegmentation's ``CCHead`` that needs no
    compiled mmcv ops: same constructor, same submodules
    (``convs.0``, ``cca``, ``convs.1``, ``conv_cat``, ``conv_seg``) and so
    the same ``state_dict`` keys, so MMSegmentation's CCNet checkpoints load
    unchanged. The features pass ``convs[0]``, ``recurrence`` times the
    shared criss-cross attention ``cca``, an :attr:`attention_type`
    (:meth:`CrissCrossAttention.recurrent`, RCCA), ``convs[1]``, then are
    concatenated with the input for ``conv_cat`` (if ``concat_input``) and
    classified. Between the two steps :meth:`labelled_features` picks the
    features of the labelled samples (all of them for images).

    With ``loss_ccl``, training also reduces the RCCA features (those named
    by ``ccl_feature``) to ``ccl_channels`` by a 1x1 conv ``ccl_reduce`` and
    adds the category consistent loss of the TPAMI paper to the losses.
    Inference never runs ``ccl_reduce``: its two weights
    (``ccl_reduce.weight``, ``ccl_reduce.bias``) are the only keys a
    checkpoint trained with the loss has beyond those of a head without it,
    which loads it with ``strict=False``.

    Args:
        recurrence (int): Number of criss-cross attention passes R.
            Defaults to 2.
        loss_ccl (dict, optional): Config of the category consistent loss,
            e.g. ``dict(type='CategoryConsistentLoss')``. Defaults to None
            (no loss, no ``ccl_reduce``: the head of MMSegmentation).
        ccl_channels (int): Channels D the features are reduced to for the
            loss. Defaults to 16.
        ccl_feature (str): Which features the loss sees (see
            :class:`RCCAFeatures`): 'attention' (the output of the last
            attention pass) or 'context' (after ``convs[1]``); the
            sources of the paper leave open which one it reduces.
            Defaults to 'attention'.
        attention_cfg (dict, optional): Further arguments of
            :attr:`attention_type`, e.g. ``dict(impl='einsum')``.
            Defaults to None.
        **kwargs: Arguments of :class:`FCNHead` except ``num_convs``
            (fixed at 2).
    """

    #: The criss-cross attention class that ``cca`` is built from.
    attention_type = CrissCrossAttention

    def __init__(self,
                 recurrence: int = 2,
                 loss_ccl: OptConfigType = None,
                 ccl_channels: int = 16,
                 ccl_feature: str = 'attention',
                 attention_cfg: OptConfigType = None,
                 **kwargs):
        if 'num_convs' in kwargs:
            raise TypeError('CCHead fixes num_convs=2; do not pass it')
        check_integer(recurrence, 'recurrence', 0)
        if ccl_feature not in ('attention', 'context'):
            raise ValueError("ccl_feature must be 'attention' or 'context', "
                             f'got {ccl_feature!r}')
        super().__init__(num_convs=2, **kwargs)
        _log_replacement()
        self.recurrence = recurrence
        self.cca = self.attention_type(self.channels, **(attention_cfg or {}))
        self.ccl_feature = ccl_feature
        if loss_ccl is None:
            self.loss_ccl = self.ccl_reduce = None
        else:
            self.loss_ccl = MODELS.build(loss_ccl)
            self.ccl_reduce = nn.Conv2d(self.channels, ccl_channels, 1)

    def labelled_features(self, features: torch.Tensor) -> torch.Tensor:
        """The features of the samples that are labelled and classified.

        For images, every sample: ``features`` itself.

        Args:
            features (Tensor): Features of the whole batch, (B, C, H, W).

        Returns:
            Tensor: ``features``.
        """
        return features

    def rcca_input(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """The backbone feature the head reads, checked.

        Args:
            inputs (list[Tensor]): Multi-level backbone features.

        Returns:
            Tensor: The one at ``in_index``, of shape
            (B, in_channels, H, W).
        """
        x = self._transform_inputs(inputs)
        check_feature_map(x, self.in_channels,
                          self.attention_type.input_layout)
        return x

    def fuse(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """The features before the classifier.

        Args:
            x (Tensor): The head's input, (B, in_channels, H, W).
            context (Tensor): ``convs[1]`` of the attention,
                (B, channels, H, W).

        Returns:
            Tensor: ``conv_cat([x, context])`` if ``concat_input``, else
            ``context``; of shape (B, channels, H, W).
        """
        if not self.concat_input:
            return context
        return self.conv_cat(torch.cat([x, context], dim=1))

    def rcca_features(self,
                      inputs: List[torch.Tensor],
                      keep_attention: bool = True) -> RCCAFeatures:
        """Run the head up to the classifier, keeping the RCCA features.

        The one path of the head's features, for the classifier, the
        category consistent loss and analyses.

        Args:
            inputs (list[Tensor]): Multi-level backbone features; the one at
                ``in_index`` has shape (B, in_channels, H, W).
            keep_attention (bool): Whether to keep the attention's output.
                False drops it as soon as ``convs[1]`` has read it (in
                inference it is freed before the fusion). Defaults to True.

        Returns:
            RCCAFeatures: ``attention`` (None unless kept), ``context`` and
            ``fused`` of the samples :meth:`labelled_features` picks, each
            of shape (B, channels, H, W).
        """
        x = self.rcca_input(inputs)
        attention = self.cca.recurrent(self.convs[0](x), self.recurrence)
        context = self.labelled_features(self.convs[1](attention))
        attention = self.labelled_features(
            attention) if keep_attention else None
        fused = self.fuse(self.labelled_features(x), context)
        return RCCAFeatures(attention, context, fused)

    def _forward_feature(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Features before the classifier.

        Args:
            inputs (list[Tensor]): Multi-level backbone features; the one at
                ``in_index`` has shape (B, in_channels, H, W).

        Returns:
            Tensor: Features of shape (B, channels, H, W).
        """
        return self.rcca_features(inputs, keep_attention=False).fused

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Forward function.

        Args:
            inputs (list[Tensor]): Multi-level backbone features.

        Returns:
            Tensor: Segmentation logits of shape (B, num_classes, H, W).
        """
        return self.cls_seg(self._forward_feature(inputs))

    def loss(self, inputs: List[torch.Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> Dict[str, torch.Tensor]:
        """Forward function for training.

        Args:
            inputs (list[Tensor]): Multi-level backbone features.
            batch_data_samples (list[:obj:`SegDataSample`]): The data
                samples, with ``gt_sem_seg`` of shape (1, H, W) each.
            train_cfg (dict): The training config.

        Returns:
            dict[str, Tensor]: The losses of ``loss_decode`` and
            ``acc_seg``; with ``loss_ccl`` also the category consistent
            loss under its ``loss_name`` (e.g. 'loss_ccl').
        """
        if self.loss_ccl is None:
            return super().loss(inputs, batch_data_samples, train_cfg)
        features = self.rcca_features(
            inputs, keep_attention=self.ccl_feature == 'attention')
        losses = self.loss_by_feat(
            self.cls_seg(features.fused), batch_data_samples)
        seg_label = self._stack_batch_gt(batch_data_samples).squeeze(1)
        embedding = self.ccl_reduce(getattr(features, self.ccl_feature))
        losses[self.loss_ccl.loss_name] = self.loss_ccl(embedding, seg_label)
        return losses

