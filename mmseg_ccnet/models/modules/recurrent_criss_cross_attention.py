# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import copy
from typing import Optional

from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

import ccnet_core

from .criss_cross_attention import CrissCrossAttention


@MODELS.register_module()
class RecurrentCrissCrossAttention(ccnet_core.RecurrentCrissCrossAttention,
                                   BaseModule):
    """:class:`ccnet_core.RecurrentCrissCrossAttention` as an OpenMMLab
    module: ``recurrence`` passes of one criss-cross attention, a residual
    block for backbones (see ``ContextResNet``), with ``init_cfg``.

    Args:
        in_channels (int): Channels C of the input and the output.
        recurrence (int): Number of passes R. Defaults to 2.
        impl (str, optional): Implementation of
            :class:`CrissCrossAttention`. Defaults to its default.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    attention_type = CrissCrossAttention

    def __init__(self,
                 in_channels: int,
                 recurrence: int = 2,
                 impl: Optional[str] = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(in_channels, recurrence, impl)
        self.init_cfg = copy.deepcopy(init_cfg)
