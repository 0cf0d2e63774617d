# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import torch
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

from ccnet_core.layout import check_integer

from ...utils import key_frames
from ..modules import CrissCrossAttention3D
from .cc_head import CCHead


@MODELS.register_module()
class CCHead3D(CCHead):
    """Decode head of CCNet for video clips (3D criss-cross attention).

    Takes the multi-level features of the frames of clips folded into the
    batch, each (B * T, C_l, h_l, w_l), clip-major (frame t of clip b at
    row ``b * T + t``), as ``VideoEncoderDecoder`` passes them, and returns
    the logits of each clip's key frame (index ``T // 2``, see
    :mod:`mmseg_ccnet.utils.clip`), (B, num_classes, h, w), so that losses,
    metrics and inference are those of an image head. ``convs.0`` and
    ``convs.1`` of :class:`CCHead` run on every frame, and between them
    ``recurrence`` passes of a shared :class:`CrissCrossAttention3D` let
    every frame gather context from the others; ``conv_cat`` and
    ``conv_seg`` run on the key frames only (:meth:`labelled_features`).
    The ``state_dict`` is that of :class:`CCHead`, whose checkpoints load as
    they are. With ``loss_ccl`` the category consistent loss acts on the
    key frames' RCCA features.

    Args:
        num_frames (int): Frames T per clip.
        temporal (bool): Whether the attention runs across the frames of a
            clip. False restricts it to each frame (an attention of
            ``num_frames=1``), which is exactly the 2D :class:`CCHead`
            applied per frame; the baseline for measuring what temporal
            context brings. Defaults to True.
        attention_cfg (dict, optional): Further arguments of
            :class:`CrissCrossAttention3D` besides ``num_frames``.
            Defaults to None.
        **kwargs: Arguments of :class:`CCHead` (``recurrence``, the
            category consistent loss and those of ``FCNHead`` except
            ``num_convs``).
    """

    attention_type = CrissCrossAttention3D

    def __init__(self,
                 num_frames: int,
                 temporal: bool = True,
                 attention_cfg: OptConfigType = None,
                 **kwargs) -> None:
        check_integer(num_frames, 'num_frames', 1)
        attention_frames = num_frames if temporal else 1
        super().__init__(
            attention_cfg=dict(
                attention_cfg or {}, num_frames=attention_frames),
            **kwargs)
        self.num_frames = num_frames
        self.temporal = temporal

    def labelled_features(self, features: torch.Tensor) -> torch.Tensor:
        """The features of the key frames, the labelled ones.

        Args:
            features (Tensor): Features of every frame, (B * T, C, h, w),
                clip-major.

        Returns:
            Tensor: A view of the key frames' features, (B, C, h, w).
        """
        return key_frames(features, self.num_frames)
