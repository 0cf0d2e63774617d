# Copyright (c) mmseg-ccnet contributors. All rights reserved.
from .video_encoder_decoder import VideoEncoderDecoder

__all__ = ['VideoEncoderDecoder']
