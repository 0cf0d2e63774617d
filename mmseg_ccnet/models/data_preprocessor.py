# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from numbers import Number
from typing import Any, Dict, Optional, Sequence

import torch
from mmseg.models import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class ClipDataPreProcessor(SegDataPreProcessor):
    """Data pre-processor for clips whose frames are stacked along channels.

    Each input is a clip of T frames of C channels stacked frame-major,
    (T * C, H, W), as ``PackSegInputs`` packs the output of
    ``LoadClipFromFiles``. Colour conversion and normalisation apply to
    every frame; padding (of the clip and its key frame's label) and
    stacking are those of :class:`SegDataPreProcessor`. The output keeps
    the stacked layout, (B, T * C, H, W), which ``VideoEncoderDecoder``
    splits into frames.

    Args:
        mean (Sequence[Number], optional): Per-channel mean of a frame.
            Defaults to None (no normalisation).
        std (Sequence[Number], optional): Per-channel standard deviation of
            a frame. Defaults to None.
        bgr_to_rgb (bool): Whether to reverse the channels of every frame
            (BGR to RGB). Defaults to False.
        rgb_to_bgr (bool): The same, named the other way. Defaults to False.
        frame_channels (int): Channels C of one frame. Defaults to 3.
        **kwargs: Further arguments of :class:`SegDataPreProcessor`
            (``size``, ``size_divisor``, ``pad_val``, ``seg_pad_val``,
            ``test_cfg``, ...).
    """

    def __init__(self,
                 mean: Optional[Sequence[Number]] = None,
                 std: Optional[Sequence[Number]] = None,
                 bgr_to_rgb: bool = False,
                 rgb_to_bgr: bool = False,
                 frame_channels: int = 3,
                 **kwargs) -> None:
        # the parent pads and stacks; the per-frame work is done here
        super().__init__(**kwargs)
        if bgr_to_rgb and rgb_to_bgr:
            raise ValueError('bgr_to_rgb and rgb_to_bgr exclude each other')
        if (mean is None) != (std is None):
            raise ValueError('give both mean and std, or neither')
        self.frame_channels = frame_channels
        self.reverse_channels = bgr_to_rgb or rgb_to_bgr
        self.normalize_frames = mean is not None
        if self.normalize_frames:
            self.register_buffer('frame_mean',
                                 torch.tensor(mean).view(-1, 1, 1), False)
            self.register_buffer('frame_std',
                                 torch.tensor(std).view(-1, 1, 1), False)

    def preprocess_frames(self, clip: torch.Tensor) -> torch.Tensor:
        """Convert and normalise every frame of one clip.

        Args:
            clip (Tensor): Frames stacked frame-major, (T * C, H, W).

        Returns:
            Tensor: float (T * C, H, W).
        """
        if clip.dim() != 3 or clip.size(0) % self.frame_channels:
            raise ValueError(
                f'expected a clip (T * {self.frame_channels}, H, W) with '
                f'frames of {self.frame_channels} channels stacked, got '
                f'{tuple(clip.shape)}')
        frames = clip.unflatten(0, (-1, self.frame_channels)).float()
        if self.reverse_channels:
            frames = frames.flip(1)
        if self.normalize_frames:
            frames = (frames - self.frame_mean) / self.frame_std
        return frames.flatten(0, 1)

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Pre-process a batch of clips.

        Args:
            data (dict): Data from the dataloader: ``inputs`` (list of
                (T * C, H, W) tensors) and ``data_samples``.
            training (bool): Whether the batch is for training.

        Returns:
            dict: ``inputs`` (B, T * C, H', W') and the ``data_samples``.
        """
        data = self.cast_data(data)
        data['inputs'] = [
            self.preprocess_frames(clip) for clip in data['inputs']
        ]
        return super().forward(data, training)
