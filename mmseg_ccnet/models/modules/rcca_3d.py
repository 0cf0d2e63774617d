# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType

from .criss_cross_attention_3d import CrissCrossAttention3D
from .rcca import RCCA


@MODELS.register_module()
class RCCA3D(RCCA):
    """Recurrent 3D criss-cross attention module for clips.

    :class:`RCCA` on the frames of clips folded into the batch,
    (B * T, C_in, H, W), clip-major (frame t of clip b at row
    ``b * T + t``): the 3x3 convolutions ``conv_in``, ``conv_out`` and
    ``bottleneck`` run frame by frame (their weights are those of
    :class:`RCCA`), and ``recurrence`` passes of one shared
    :class:`CrissCrossAttention3D` mix the frames of each clip. One pass
    reaches the positions that differ in at most one of (t, i, j), two
    passes those that differ in at most two (the whole own frame, and the
    row and column in every other frame), three passes the whole clip. The
    ``state_dict`` is that of :class:`RCCA`, whose weights load as they are.

    Args:
        in_channels (int): Channels C_in of the input.
        channels (int): Channels C inside the module and of its output.
        num_frames (int): Frames T per clip.
        recurrence (int): Number of attention passes R; 0 disables the
            attention. Defaults to 2.
        attention_cfg (dict, optional): Further arguments of
            :class:`CrissCrossAttention3D` besides ``num_frames``.
            Defaults to None.
        **kwargs: Further arguments of :class:`RCCA` (``conv_cfg``,
            ``norm_cfg``, ``act_cfg``, ``init_cfg``).
    """

    attention_type = CrissCrossAttention3D

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 num_frames: int,
                 recurrence: int = 2,
                 attention_cfg: OptConfigType = None,
                 **kwargs) -> None:
        super().__init__(
            in_channels,
            channels,
            recurrence,
            attention_cfg=dict(attention_cfg or {}, num_frames=num_frames),
            **kwargs)
        self.num_frames = num_frames
