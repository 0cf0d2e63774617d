# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/image_demo.py: coloured predictions overlaid on images, through
MMSegInferencer, with a tiny randomly initialised CCNet, from its checkpoint
or from its ONNX export."""
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

from mmseg_ccnet.datasets import CAMVID_CLASSES, CAMVID_PALETTE
from mmseg_ccnet.deployment.export import expose_attention
from runner_utils import (
    CONFIGS,
    REPO,
    needs_dynamo_export,
    png_files,
    run_tool,
    script_env,
)
from tiny_configs import tiny_ccnet

# every test here starts processes
pytestmark = pytest.mark.slow

OPACITY = 0.4
DEMO = REPO / 'tools' / 'image_demo.py'


class Demo(NamedTuple):
    """A tiny model's config and checkpoint, images, and the output of the
    demo on them with the checkpoint."""
    config: Path
    checkpoint: Path
    images: Path
    out: Path
    log: str


def spread_predictions(model: torch.nn.Module) -> None:
    """Random norm statistics and affine parameters and a classifier of
    unit-variance weights: a random model whose label maps have several
    classes (with PyTorch's initialisation they have one)."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.running_mean.normal_(0, 0.5, generator=generator)
                module.running_var.uniform_(0.5, 2, generator=generator)
                module.weight.normal_(1, 0.5, generator=generator)
                module.bias.normal_(0, 0.5, generator=generator)
        model.decode_head.conv_seg.weight.normal_(generator=generator)


def run_demo(*args) -> subprocess.CompletedProcess:
    """Run the demo, whatever its exit status."""
    return subprocess.run([sys.executable, str(DEMO), *map(str, args)],
                          capture_output=True,
                          text=True,
                          timeout=600,
                          env=script_env())


@pytest.fixture(scope='module')
def demo(tmp_path_factory) -> Demo:
    """The demo run with a checkpoint on a folder of two images."""
    folder = tmp_path_factory.mktemp('demo')
    cfg = tiny_ccnet(
        Config.fromfile(CONFIGS / 'ccnet_paper' /
                        'ccnet_r101-d8_4xb2-10k_camvid-360x480.py'))
    config = folder / 'config.py'
    cfg.dump(str(config))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    expose_attention(model)
    spread_predictions(model)
    checkpoint = folder / 'tiny.pth'
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(
                dataset_meta=dict(
                    classes=CAMVID_CLASSES, palette=CAMVID_PALETTE))),
        checkpoint)
    rng = np.random.default_rng(0)
    images = folder / 'images'
    for name in ('a.png', 'b.png'):
        mmcv.imwrite(
            rng.integers(0, 255, (36, 48, 3)).astype(np.uint8),
            str(images / name))
    out = folder / 'out'
    result = run_demo(images, config, checkpoint, '--out-dir', out,
                      '--device', 'cpu', '--opacity', OPACITY, '--no-labels')
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return Demo(config, checkpoint, images, out, result.stdout)


def test_overlays_every_image_of_a_folder(demo):
    assert f'Overlays in {demo.out / "vis"}' in demo.log
    predictions = [
        mmcv.imread(str(path), flag='unchanged')
        for path in sorted((demo.out / 'pred').glob('*_pred.png'))
    ]
    assert len(predictions) == 2
    assert all(len(np.unique(label)) >= 3 for label in predictions)
    palette = np.array(CAMVID_PALETTE, np.float64)
    for name in ('a.png', 'b.png'):
        image = mmcv.imread(str(demo.images / name), channel_order='rgb')
        overlay = mmcv.imread(
            str(demo.out / 'vis' / name), channel_order='rgb')
        # the overlay is the image blended with the colour of the predicted
        # class of each pixel (one of the two label maps)
        blends = [(image * (1 - OPACITY) + palette[label] * OPACITY).astype(
            np.uint8) for label in predictions]
        assert any(np.array_equal(overlay, blend) for blend in blends)
        assert not np.array_equal(overlay, image)


@needs_dynamo_export
def test_an_onnx_file_writes_the_files_of_the_checkpoint(demo, tmp_path):
    exported = tmp_path / 'tiny.onnx'
    run_tool('deployment/pytorch2onnx.py', demo.config, '--checkpoint',
             demo.checkpoint, '--dynamic', '--check-shape', '36', '48',
             '--check-batches', '1', '--out', exported)
    expected = png_files(demo.out)
    assert len(expected) == 4
    for backend in ('onnxruntime', 'openvino'):
        out = tmp_path / backend
        result = run_demo(demo.images, demo.config, exported, '--out-dir',
                          out, '--backend', backend, '--opacity', OPACITY,
                          '--no-labels')
        assert result.returncode == 0, (result.stdout +
                                        result.stderr)[-4000:]
        assert png_files(out) == expected, backend


def test_backend_needs_an_onnx_file(demo):
    result = run_demo(demo.images, demo.config, demo.checkpoint,
                      '--backend', 'openvino')
    assert result.returncode == 2
    assert '--backend runs an .onnx file' in result.stderr


def test_checkpoint_of_another_model_is_refused(demo, tmp_path):
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'fc.weight': torch.ones(2, 2)}), other)
    result = run_demo(demo.images, demo.config, other, '--out-dir',
                      tmp_path / 'out', '--device', 'cpu')
    assert result.returncode == 1
    assert f'{other} fits 0 of the model' in result.stderr
    assert not (tmp_path / 'out').exists()
    result = run_demo(demo.images, demo.config, other, '--out-dir',
                      tmp_path / 'out', '--device', 'cpu', '--min-match', '0')
    assert result.returncode == 0, result.stderr[-3000:]
