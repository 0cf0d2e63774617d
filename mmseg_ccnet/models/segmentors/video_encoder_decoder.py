# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from typing import List

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from ...utils import key_frames


@MODELS.register_module()
class VideoEncoderDecoder(EncoderDecoder):
    """Encoder-decoder that segments the key frame of video clips.

    Inputs are clips with their frames stacked along the channels, as
    :class:`ClipDataPreProcessor` gives them: (B, T * C, H, W), frame-major,
    C = ``frame_channels``. Keeping this 4D layout up to the backbone lets
    :class:`EncoderDecoder`'s padding, whole and sliding-window inference
    and post-processing work unchanged. From the backbone on, the frames
    are folded into the batch, (B * T, C_l, h_l, w_l), clip-major (frame t
    of clip b at row ``b * T + t``): the backbone (and neck) see them as
    images, and the decode head, a video head with ``num_frames`` = T (e.g.
    ``CCHead3D``), returns the key frames' logits. Auxiliary heads are
    image heads: they get the key frames' features (B, C_l, h_l, w_l).
    Predictions are :class:`SegDataSample` of the key frame, so metrics,
    visualisation and ``tools/test.py`` work as for images.

    Args:
        frame_channels (int): Channels C of one frame. Defaults to 3.
        **kwargs: Arguments of :class:`EncoderDecoder`.
    """

    def __init__(self, frame_channels: int = 3, **kwargs) -> None:
        super().__init__(**kwargs)
        if not hasattr(self.decode_head, 'num_frames'):
            raise TypeError('VideoEncoderDecoder needs a video decode head '
                            'with num_frames (e.g. CCHead3D), got '
                            f'{type(self.decode_head).__name__}')
        self.frame_channels = frame_channels

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """Backbone (and neck) features of every frame.

        Args:
            inputs (Tensor): Clips of shape (B, T * C, H, W), frame-major.

        Returns:
            list[Tensor]: Frame features, each of shape
            (B * T, C_l, h_l, w_l), clip-major.

        Raises:
            ValueError: If the inputs are not clips of whole frames or not
                of the decode head's ``num_frames``.
        """
        batch_size, channels, height, width = inputs.shape
        if channels % self.frame_channels:
            raise ValueError(
                f'inputs with {channels} channels are not clips of frames '
                f'with frame_channels={self.frame_channels} channels each')
        num_frames = channels // self.frame_channels
        if num_frames != self.decode_head.num_frames:
            raise ValueError(
                f'inputs with {channels} channels are clips of {num_frames} '
                f'frames (frame_channels={self.frame_channels}), but the '
                'decode head takes clips of num_frames='
                f'{self.decode_head.num_frames}')
        frames = inputs.reshape(batch_size * num_frames, self.frame_channels,
                                height, width)
        return super().extract_feat(frames)

    def _auxiliary_head_forward_train(self, inputs: List[Tensor],
                                      data_samples: SampleList) -> dict:
        """Losses of the auxiliary heads on the key frames' features.

        Args:
            inputs (list[Tensor]): Frame features (B * T, C_l, h_l, w_l).
            data_samples (list[SegDataSample]): The key frames' samples.

        Returns:
            dict[str, Tensor]: The auxiliary losses.
        """
        return super()._auxiliary_head_forward_train([
            key_frames(features, self.decode_head.num_frames)
            for features in inputs
        ], data_samples)
