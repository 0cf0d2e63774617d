# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Optional

import torch
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

from .criss_cross_attention import CrissCrossAttention, check_integer


@MODELS.register_module()
class RecurrentCrissCrossAttention(BaseModule):
    """``recurrence`` passes of one criss-cross attention, as a residual
    block for backbones.

    The attention of :class:`RCCA` without its convolutions: the output has
    the input's channels and, with every pass's ``gamma`` starting at 0, the
    block is the identity when it is built, so it can be inserted into a
    pretrained backbone (e.g. before the last residual block of ResNet's
    res4, as for COCO; see ``ContextResNet``) the way a non-local block is.

    Args:
        in_channels (int): Channels C of the input and the output.
        recurrence (int): Number of passes R. Defaults to 2.
        impl (str, optional): Implementation of
            :class:`CrissCrossAttention`. Defaults to its default.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 recurrence: int = 2,
                 impl: Optional[str] = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg)
        check_integer(recurrence, 'recurrence', 0)
        self.recurrence = recurrence
        self.cca = CrissCrossAttention(in_channels, impl=impl)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            x (Tensor): Feature map of shape (B, C, H, W).

        Returns:
            Tensor: ``cca^R(x)``, of shape (B, C, H, W).
        """
        return self.cca.recurrent(x, self.recurrence)

    def extra_repr(self) -> str:
        """Extra information in the module's repr."""
        return f'recurrence={self.recurrence}'
