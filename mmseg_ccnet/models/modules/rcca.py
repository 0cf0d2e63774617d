# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import copy
import functools

from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType

import ccnet_core

from .criss_cross_attention import CrissCrossAttention


@MODELS.register_module()
class RCCA(ccnet_core.RCCA, BaseModule):
    """:class:`ccnet_core.RCCA` with OpenMMLab's configurable convolutions.

    The recurrent criss-cross attention module of CCNet: ``conv_in``,
    ``recurrence`` passes of one shared :attr:`attention_type` ``cca``,
    ``conv_out``, concatenation with the input and ``bottleneck``; the
    three convolution layers are mmcv ``ConvModule`` s (3x3) built from
    ``conv_cfg``, ``norm_cfg`` and ``act_cfg``.

    Args:
        in_channels (int): Channels C_in of the input.
        channels (int): Channels C inside the module and of its output.
        recurrence (int): Number of attention passes R; 0 disables the
            attention (no ``cca`` is built). Defaults to 2.
        conv_cfg (dict, optional): Config of the conv layers.
        norm_cfg (dict, optional): Config of the norm layers.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Config of the activations.
            Defaults to ``dict(type='ReLU')``.
        attention_cfg (dict, optional): Further arguments of
            :attr:`attention_type`, e.g. ``dict(impl='einsum')``.
            Defaults to None.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    attention_type = CrissCrossAttention

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 recurrence: int = 2,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 attention_cfg: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        conv_block = functools.partial(
            ConvModule,
            kernel_size=3,
            padding=1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        super().__init__(in_channels, channels, recurrence, attention_cfg,
                         conv_block)
        self.init_cfg = copy.deepcopy(init_cfg)
