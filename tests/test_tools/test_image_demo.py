# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""tools/image_demo.py: coloured predictions overlaid on images, through
MMSegInferencer, with a tiny randomly initialised CCNet."""
import subprocess
import sys

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from mmseg_ccnet.datasets import CAMVID_CLASSES, CAMVID_PALETTE
from runner_utils import CONFIGS, REPO
from tiny_configs import tiny_ccnet

OPACITY = 0.4


def test_overlays_every_image_of_a_folder(tmp_path):
    cfg = tiny_ccnet(
        Config.fromfile(CONFIGS / 'ccnet_paper' /
                        'ccnet_r101-d8_4xb2-10k_camvid-360x480.py'))
    config = tmp_path / 'config.py'
    cfg.dump(str(config))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    checkpoint = tmp_path / 'tiny.pth'
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(
                dataset_meta=dict(
                    classes=CAMVID_CLASSES, palette=CAMVID_PALETTE))),
        checkpoint)
    rng = np.random.default_rng(0)
    images = tmp_path / 'images'
    for name in ('a.png', 'b.png'):
        mmcv.imwrite(
            rng.integers(0, 255, (36, 48, 3)).astype(np.uint8),
            str(images / name))

    out = tmp_path / 'out'
    result = subprocess.run([
        sys.executable,
        str(REPO / 'tools' / 'image_demo.py'),
        str(images),
        str(config),
        str(checkpoint), '--out-dir',
        str(out), '--device', 'cpu', '--opacity',
        str(OPACITY), '--no-labels'
    ],
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert f'Overlays in {out / "vis"}' in result.stdout

    predictions = [
        mmcv.imread(str(path), flag='unchanged')
        for path in sorted((out / 'pred').glob('*_pred.png'))
    ]
    assert len(predictions) == 2
    palette = np.array(CAMVID_PALETTE, np.float64)
    for name in ('a.png', 'b.png'):
        image = mmcv.imread(str(images / name), channel_order='rgb')
        overlay = mmcv.imread(str(out / 'vis' / name), channel_order='rgb')
        # the overlay is the image blended with the colour of the predicted
        # class of each pixel (one of the two label maps)
        blends = [(image * (1 - OPACITY) + palette[label] * OPACITY).astype(
            np.uint8) for label in predictions]
        assert any(np.array_equal(overlay, blend) for blend in blends)
        assert not np.array_equal(overlay, image)
