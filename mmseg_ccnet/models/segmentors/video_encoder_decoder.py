# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import List

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from ...utils import key_frame_index, unfold_frames


@MODELS.register_module()
class VideoEncoderDecoder(EncoderDecoder):
    """Encoder-decoder that segments the key frame of video clips.

    Inputs are clips with their frames stacked along the channels, as
    :class:`ClipDataPreProcessor` gives them: (B, T * C, H, W), frame-major,
    C = ``frame_channels``. Keeping this 4D layout up to the backbone lets
    :class:`EncoderDecoder`'s padding, whole and sliding-window inference
    and post-processing work unchanged. The backbone (and neck) see the
    B * T frames as one batch; their features are stacked to clips,
    (B, C_l, T, h_l, w_l), for the decode head (e.g. ``CCHead3D``), which
    returns the key frame's logits. Auxiliary heads are image heads: they
    get the key frame's features (B, C_l, h_l, w_l). Predictions are
    :class:`SegDataSample` of the key frame, so metrics, visualisation and
    ``tools/test.py`` work as for images.

    Args:
        frame_channels (int): Channels C of one frame. Defaults to 3.
        **kwargs: Arguments of :class:`EncoderDecoder`.
    """

    def __init__(self, frame_channels: int = 3, **kwargs) -> None:
        super().__init__(**kwargs)
        self.frame_channels = frame_channels

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Backbone (and neck) features of every frame, stacked to clips.

        Args:
            inputs (Tensor): Clips of shape (B, T * C, H, W), frame-major.

        Returns:
            list[Tensor]: Clip features, each of shape (B, C_l, T, h_l, w_l).
        """
        batch_size, channels, height, width = inputs.shape
        if channels % self.frame_channels:
            raise ValueError(
                f'inputs with {channels} channels are not clips of frames '
                f'with frame_channels={self.frame_channels} channels each')
        num_frames = channels // self.frame_channels
        frames = inputs.reshape(batch_size * num_frames, self.frame_channels,
                                height, width)
        return [
            unfold_frames(feats, num_frames)
            for feats in super().extract_feat(frames)
        ]

    def _auxiliary_head_forward_train(self, inputs: List[Tensor],
                                      data_samples: SampleList) -> dict:
        """Losses of the auxiliary heads on the key frame's features.

        Args:
            inputs (list[Tensor]): Clip features (B, C_l, T, h_l, w_l).
            data_samples (list[SegDataSample]): The key frames' samples.

        Returns:
            dict[str, Tensor]: The auxiliary losses.
        """
        key = key_frame_index(inputs[0].size(2))
        return super()._auxiliary_head_forward_train(
            [clip[:, :, key] for clip in inputs], data_samples)
