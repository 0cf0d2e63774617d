# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""BackendSegmentor: EncoderDecoder's inference around an exported graph."""
import pytest
import torch
from mmengine.config import Config
from mmseg.structures import SegDataSample

from mmseg_ccnet.datasets import CAMVID_CLASSES, CAMVID_PALETTE
from mmseg_ccnet.deployment.backends import BACKENDS, build_backend
from mmseg_ccnet.deployment.inferencer import dataset_meta
from mmseg_ccnet.deployment.segmentor import BackendSegmentor
from runner_utils import CONFIGS, needs_dynamo_export

TEST_CFGS = {
    'whole': dict(mode='whole'),
    'slide': dict(mode='slide', crop_size=(32, 32), stride=(21, 21)),
}


def batch(seed=0):
    """Two raw images (uint8, 3 x 40 x 56) and their data samples."""
    generator = torch.Generator().manual_seed(seed)
    inputs = [
        torch.randint(0, 256, (3, 40, 56), generator=generator).byte()
        for _ in range(2)
    ]
    samples = [
        SegDataSample(
            metainfo=dict(img_shape=(40, 56), ori_shape=(50, 70)))
        for _ in range(2)
    ]
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.slow
@needs_dynamo_export
@pytest.mark.parametrize('mode', sorted(TEST_CFGS))
@pytest.mark.parametrize('name', sorted(BACKENDS))
def test_predictions_are_those_of_the_pytorch_model(dynamic_export, mode,
                                                    name, monkeypatch):
    cfg = Config(dict(model=dynamic_export.cfg.model))
    cfg.model.test_cfg = TEST_CFGS[mode]
    segmentor = BackendSegmentor.from_config(
        cfg, build_backend(name, dynamic_export.path))
    assert segmentor.test_cfg.mode == mode
    assert segmentor.align_corners
    pytorch = dynamic_export.segmentor
    monkeypatch.setattr(pytorch, 'test_cfg', cfg.model.test_cfg)
    with torch.no_grad():
        expected = pytorch.test_step(batch())
    results = segmentor.test_step(batch())
    for result, reference in zip(results, expected):
        assert result.seg_logits.shape == (50, 70)
        torch.testing.assert_close(
            result.seg_logits.data,
            reference.seg_logits.data,
            atol=1e-4,
            rtol=0)
        assert torch.equal(result.pred_sem_seg.data,
                           reference.pred_sem_seg.data)


def test_a_backend_segmentor_only_infers():
    segmentor = BackendSegmentor(backend=None, num_classes=3)
    assert segmentor.test_cfg.mode == 'whole'
    with pytest.raises(NotImplementedError, match='no features'):
        segmentor.extract_feat(torch.zeros(1, 3, 4, 4))
    with pytest.raises(NotImplementedError, match='cannot be trained'):
        segmentor.loss(torch.zeros(1, 3, 4, 4), [])
    with pytest.raises(ValueError, match='at least 2 classes, got 1'):
        BackendSegmentor(backend=None, num_classes=1)


def test_dataset_meta_of_the_config_and_its_metainfo():
    cfg = Config.fromfile(CONFIGS / 'ccnet_paper' /
                          'ccnet_r101-d8_4xb2-10k_camvid-360x480.py')
    assert dataset_meta(cfg) == dict(
        classes=CAMVID_CLASSES, palette=CAMVID_PALETTE)
    cfg.test_dataloader.dataset.metainfo = dict(
        classes=('a', 'b'), palette=[[0, 0, 0], [9, 9, 9]])
    assert dataset_meta(cfg) == dict(
        classes=('a', 'b'), palette=[[0, 0, 0], [9, 9, 9]])
