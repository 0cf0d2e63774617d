# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A context block (criss-cross or non-local attention) inside a ResNet.

The non-local paper adds its block to Mask R-CNN's backbone "right before
the last residual block of res4"; CCNet's COCO experiment adds RCCA where
the non-local block went. :func:`ContextResNet` builds any OpenMMLab ResNet
(MMSegmentation's, MMDetection's, their V1c/V1d variants) and puts one such
block into one of its stages, before one of the stage's residual blocks.
The ResNet's own parameters keep their names (``layer3.0.conv1.weight``,
...), so its pretrained weights and checkpoints load as before; the block's
are ``layer<stage + 1>.context.*``.
"""
from typing import Iterator

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

__all__ = ['ContextStage', 'ContextResNet']


class ContextStage(BaseModule):
    """A ResNet stage with a context block before one of its blocks.

    Args:
        blocks (nn.Sequential): The stage's residual blocks; they keep their
            names (``'0'``, ``'1'``, ...).
        context (nn.Module): The context block (same channels in and out).
        position (int): Index of the block the context block precedes.
    """

    def __init__(self, blocks: nn.Sequential, context: nn.Module,
                 position: int) -> None:
        super().__init__()
        for name, block in blocks.named_children():
            self.add_module(name, block)
        self.context = context
        self.position = position

    def blocks(self) -> Iterator[nn.Module]:
        """The residual blocks, in order."""
        return (module for name, module in self.named_children()
                if name != 'context')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the blocks, the context block before block ``position``.

        Args:
            x (Tensor): Input of the stage, (B, C_in, H, W).

        Returns:
            Tensor: Output of the stage.
        """
        for index, block in enumerate(self.blocks()):
            if index == self.position:
                x = self.context(x)
            x = block(x)
        return x


@MODELS.register_module(name='ContextResNet')
def ContextResNet(resnet: dict,  # noqa: N802 (a registered type)
                  context: dict,
                  stage: int = 2,
                  before_block: int = -1) -> nn.Module:
    """An OpenMMLab ResNet with a context block in one stage.

    Args:
        resnet (dict): Config of the ResNet, built in the registry of the
            current default scope (``type='ResNet'`` is MMDetection's ResNet
            in an ``mmdet`` config, MMSegmentation's in an ``mmseg`` one;
            MMSegmentation's without a default scope).
        context (dict): Config of the context block, built in
            MMSegmentation's registry (which also finds mmcv's modules, e.g.
            ``NonLocal2d``); ``in_channels`` is filled in with the channels
            entering the block it precedes. E.g.
            ``dict(type='RecurrentCrissCrossAttention', recurrence=2)``.
        stage (int): Index of the stage (0 for res2, 2 for res4).
            Defaults to 2.
        before_block (int): Index, in the stage, of the residual block the
            context block precedes; negative counts from the end. Defaults
            to -1 (before the last block, the placement of the non-local
            paper on COCO).

    Returns:
        nn.Module: The ResNet, whose stage ``stage`` is a
        :class:`ContextStage`.

    Raises:
        ValueError: If the stage or block does not exist.
    """
    in_scope = DefaultScope.get_current_instance() is not None
    backbone = (ROOT_MODELS if in_scope else MODELS).build(resnet)
    layers = backbone.res_layers
    if not -len(layers) <= stage < len(layers):
        raise ValueError(f'stage {stage} does not exist: the ResNet has '
                         f'{len(layers)} stages')
    name = layers[stage]
    blocks = getattr(backbone, name)
    if not -len(blocks) <= before_block < len(blocks):
        raise ValueError(f'block {before_block} does not exist: stage '
                         f'{stage} ({name}) has {len(blocks)} blocks')
    position = before_block % len(blocks)
    in_channels = blocks[position].conv1.in_channels
    block = MODELS.build(
        dict(context, in_channels=in_channels, _scope_='mmseg'))
    setattr(backbone, name, ContextStage(blocks, block, position))
    return backbone
