# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn

from .cca import CrissCrossAttention
from .layout import check_integer


class RecurrentCrissCrossAttention(nn.Module):
    """``recurrence`` passes of one criss-cross attention, as a residual
    block for backbones.

    The attention of :class:`RCCA` without its convolutions: the output has
    the input's channels and, with every pass's ``gamma`` starting at 0, the
    block is the identity when it is built, so it can be inserted into a
    pretrained backbone (e.g. before the last residual block of ResNet's
    res4, as for COCO) the way a non-local block is.

    Args:
        in_channels (int): Channels C of the input and the output.
        recurrence (int): Number of passes R. Defaults to 2.
        impl (str, optional): Implementation of
            :attr:`attention_type`. Defaults to its default.
    """

    #: The criss-cross attention class that ``cca`` is built from.
    attention_type = CrissCrossAttention

    def __init__(self,
                 in_channels: int,
                 recurrence: int = 2,
                 impl: Optional[str] = None) -> None:
        super().__init__()
        check_integer(recurrence, 'recurrence', 0)
        self.recurrence = recurrence
        self.cca = self.attention_type(in_channels, impl=impl)

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
