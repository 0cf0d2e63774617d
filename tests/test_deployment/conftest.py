# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""A tiny CCNet exported once with dynamic shapes, for the tests here."""
from typing import NamedTuple

import pytest
import torch
from mmengine.config import Config
from mmseg.models import BaseSegmentor

from mmseg_ccnet.deployment.export import (
    SegmentorLogits,
    build_segmentor,
    export_onnx,
    expose_attention,
)
from runner_utils import CONFIGS, small_resnet


class Exported(NamedTuple):
    """A config, the segmentor built from it and its ``.onnx`` file."""
    cfg: Config
    segmentor: BaseSegmentor
    path: str


def tiny_ccnet_config() -> Config:
    """The 769x769 Cityscapes CCNet (``align_corners=True``, slide
    inference) on a ResNetV1c-18 with 16 base channels."""
    return small_resnet(
        Config.fromfile(CONFIGS / 'ccnet' /
                        'ccnet_r50-d8_4xb2-40k_cityscapes-769x769.py'))


@pytest.fixture(scope='session')
def dynamic_export(tmp_path_factory) -> Exported:
    """The tiny CCNet with gamma 0.5, exported with dynamic shapes."""
    cfg = tiny_ccnet_config()
    torch.manual_seed(0)
    segmentor = build_segmentor(cfg)
    assert expose_attention(segmentor, 0.5) == 1
    path = str(tmp_path_factory.mktemp('onnx') / 'ccnet-dynamic.onnx')
    export_onnx(
        SegmentorLogits(segmentor).eval(),
        torch.randn(2, 3, 64, 48),
        path,
        dynamic=True)
    return Exported(cfg, segmentor, path)
