# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import copy
from typing import Optional

from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

import ccnet_core


@MODELS.register_module()
class CrissCrossAttention(ccnet_core.CrissCrossAttention, BaseModule):
    """:class:`ccnet_core.CrissCrossAttention` as an MMSegmentation module.

    The criss-cross attention of CCNet on (B, C, H, W) feature maps, with
    the parameters, ``state_dict`` keys (those of
    ``mmcv.ops.CrissCrossAttention``) and both implementations of the core
    class, plus ``init_cfg``.

    Args:
        in_channels (int): Channels C of the input feature map.
        impl (str, optional): One of :attr:`IMPLS`; defaults to the first,
            ``'efficient'``.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None (PyTorch's default initialization).
    """

    def __init__(self,
                 in_channels: int,
                 impl: Optional[str] = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(in_channels, impl)
        self.init_cfg = copy.deepcopy(init_cfg)
