# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The context benchmark's model exported, for the tests of the tools that
take exported files."""
from pathlib import Path
from typing import Dict, NamedTuple

import pytest
import torch
from mmengine.config import Config

from runner_utils import CONFIGS, shrink_cc_context_config


class ExportedFiles(NamedTuple):
    """A config file and the model files made from it."""
    config: Path
    files: Dict[str, Path]


@pytest.fixture(scope='session')
def exported_cc_context(tmp_path_factory) -> ExportedFiles:
    """The context benchmark's config on 16 + 8 images, a checkpoint of
    random weights (attention scale 0.5) and its exports: a dynamic
    ``.onnx`` file (``files['onnx']``) and the OpenVINO IR converted from it
    in float32 (``files['xml']``)."""
    import openvino

    from mmseg_ccnet.deployment.export import (
        SegmentorLogits,
        build_segmentor,
        export_onnx,
        expose_attention,
    )
    folder = tmp_path_factory.mktemp('exported')
    cfg = shrink_cc_context_config(
        Config.fromfile(CONFIGS / 'cc_context' /
                        'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'),
        str(folder / 'data'))
    config = folder / 'config.py'
    cfg.dump(str(config))
    torch.manual_seed(0)
    segmentor = build_segmentor(cfg)
    expose_attention(segmentor, 0.5)
    files = dict(
        checkpoint=folder / 'random.pth',
        onnx=folder / 'model.onnx',
        xml=folder / 'model.xml')
    torch.save(dict(state_dict=segmentor.state_dict()), files['checkpoint'])
    export_onnx(
        SegmentorLogits(segmentor).eval(),
        torch.randn(2, 3, 64, 64),
        str(files['onnx']),
        dynamic=True)
    openvino.save_model(
        openvino.convert_model(str(files['onnx'])),
        str(files['xml']),
        compress_to_fp16=False)
    return ExportedFiles(config, files)
