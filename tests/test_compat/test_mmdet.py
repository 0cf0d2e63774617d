# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""MMDetection on the stand-in ``mmcv.ops``: its modules import, and Mask
R-CNN (mmdet's own model config, reduced) trains and predicts through the
pure-PyTorch nms and RoIAlign."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from mmseg_ccnet import ops
from mmseg_ccnet.compat.mmcv_ops import compiled_ops_available

LITE = not compiled_ops_available()
needs_mmdet = pytest.mark.skipif(
    importlib.util.find_spec('mmdet') is None,
    reason='MMDetection is not installed')
needs_lite = pytest.mark.skipif(
    not LITE, reason='the compiled mmcv is installed: no stand-in in use')
needs_compiled = pytest.mark.skipif(
    LITE, reason='needs the compiled mmcv to compare with')

IMPORTS = '''
import mmseg_ccnet
import mmdet.apis, mmdet.datasets, mmdet.evaluation, mmdet.models
import mmdet.structures, mmdet.structures.mask
from mmdet.models.layers import bbox_nms
from mmdet.models.dense_heads import rpn_head
from mmdet.structures.mask import structures
from mmseg_ccnet import ops
print(bbox_nms.batched_nms is ops.batched_nms,
      rpn_head.batched_nms is ops.batched_nms,
      structures.roi_align is ops.roi_align)
'''


@pytest.mark.slow
@needs_mmdet
def test_mmdet_imports_after_the_plugin():
    result = subprocess.run([sys.executable, '-c', IMPORTS],
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == [str(LITE)] * 3


def mask_rcnn():
    """mmdet's ``mask-rcnn_r50_fpn`` model, with ResNet-18 and 32 channels.

    Returns:
        nn.Module: The detector, built under the ``mmdet`` scope.
    """
    import mmdet
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    register_all_modules(init_default_scope=False)
    path = os.path.join(os.path.dirname(mmdet.__file__), '.mim', 'configs',
                        '_base_', 'models', 'mask-rcnn_r50_fpn.py')
    cfg = Config.fromfile(path).model
    cfg.backbone.update(depth=18, init_cfg=None)
    cfg.neck.update(in_channels=[64, 128, 256, 512], out_channels=32)
    cfg.rpn_head.update(in_channels=32, feat_channels=32)
    roi_head = cfg.roi_head
    roi_head.bbox_roi_extractor.out_channels = 32
    roi_head.mask_roi_extractor.out_channels = 32
    roi_head.bbox_head.update(in_channels=32, fc_out_channels=64,
                              num_classes=3)
    roi_head.mask_head.update(in_channels=32, conv_out_channels=32,
                              num_classes=3)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg)


def batch(model, training: bool) -> dict:
    """One 96 x 128 image with two instances, preprocessed by the model."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    height, width = 96, 128
    sample = DetDataSample(metainfo=dict(img_shape=(height, width),
                                         ori_shape=(height, width),
                                         scale_factor=(1.0, 1.0)))
    masks = np.zeros((2, height, width), np.uint8)
    masks[0, 10:50, 20:70] = 1
    masks[1, 40:90, 60:120] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[20., 10, 70, 50], [60, 40, 120, 90]]),
        labels=torch.tensor([0, 2]),
        masks=BitmapMasks(masks, height, width))
    image = torch.randint(0, 256, (3, height, width),
                          generator=torch.Generator().manual_seed(0),
                          dtype=torch.uint8)
    return model.data_preprocessor(dict(inputs=[image],
                                        data_samples=[sample]), training)


def loss_and_prediction(model) -> tuple:
    """Training losses (after one backward pass) and eval predictions."""
    model.train()
    torch.manual_seed(1)
    losses = model(**batch(model, True), mode='loss')
    total = sum(
        sum(value) if isinstance(value, list) else value
        for name, value in losses.items() if 'loss' in name)
    total.backward()
    model.eval()
    with torch.no_grad():
        prediction = model(**batch(model, False), mode='predict')[0]
    return losses, total, prediction.pred_instances


def recording(calls: list, name: str, function):
    """``function``, appending ``name`` to ``calls`` at each call."""

    def recorded(*args, **kwargs):
        calls.append(name)
        return function(*args, **kwargs)

    return recorded


@needs_mmdet
@needs_lite
def test_mask_rcnn_trains_and_predicts_on_the_stand_in(monkeypatch):
    model = mask_rcnn()
    layers = [
        *model.roi_head.bbox_roi_extractor.roi_layers,
        *model.roi_head.mask_roi_extractor.roi_layers
    ]
    assert all(type(layer) is ops.RoIAlign for layer in layers)
    calls = []
    for module, name in ((sys.modules['mmseg_ccnet.ops.nms'],
                          'kept_indices'),
                         (sys.modules['mmseg_ccnet.ops.roi_align'],
                          'roi_align')):
        monkeypatch.setattr(module, name,
                            recording(calls, name, getattr(module, name)))
    losses, total, instances = loss_and_prediction(model)
    assert torch.isfinite(total)
    assert losses['loss_mask'] > 0 and losses['loss_bbox'] > 0
    grad = model.neck.fpn_convs[0].conv.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    assert 'kept_indices' in calls and 'roi_align' in calls
    assert instances.bboxes.shape[1] == 4
    assert instances.masks.shape[1:] == (96, 128)


@needs_mmdet
@needs_compiled
def test_mask_rcnn_gives_compiled_mmcv_s_losses_and_predictions(monkeypatch):
    """The same model and data through mmcv's compiled ops and through this
    package's ops, put where mmdet looks them up."""
    import mmcv.ops
    from mmdet.models.dense_heads import rpn_head
    from mmdet.models.layers import bbox_nms
    from mmdet.structures.mask import structures
    expected = loss_and_prediction(mask_rcnn())
    monkeypatch.setattr(mmcv.ops, 'RoIAlign', ops.RoIAlign)
    monkeypatch.setattr(structures, 'roi_align', ops.roi_align)
    monkeypatch.setattr(rpn_head, 'batched_nms', ops.batched_nms)
    monkeypatch.setattr(bbox_nms, 'batched_nms', ops.batched_nms)
    model = mask_rcnn()
    assert type(model.roi_head.bbox_roi_extractor.roi_layers[0]) is \
        ops.RoIAlign
    got = loss_and_prediction(model)
    assert got[0].keys() == expected[0].keys()
    # roi_align agrees with mmcv's kernel up to rounding
    for name in expected[0]:
        torch.testing.assert_close(got[0][name], expected[0][name],
                                   rtol=1e-5, atol=1e-6)
    for key in ('labels', 'masks'):
        assert torch.equal(got[2][key], expected[2][key]), key
    for key in ('bboxes', 'scores'):
        torch.testing.assert_close(got[2][key], expected[2][key], rtol=1e-5,
                                   atol=1e-5)
