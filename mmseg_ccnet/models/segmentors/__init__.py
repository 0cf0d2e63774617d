# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .paired_flip_tta import PairedFlipTTAModel
from .video_encoder_decoder import VideoEncoderDecoder

__all__ = ['PairedFlipTTAModel', 'VideoEncoderDecoder']
