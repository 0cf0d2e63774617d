# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.models import SegDataPreProcessor
from mmseg.structures import SegDataSample

from mmseg_ccnet.models import ClipDataPreProcessor

SETTINGS = dict(
    mean=[100.0, 120.0, 140.0],
    std=[50.0, 60.0, 70.0],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(12, 10))


def batch(num_frames, shape=(9, 10)):
    torch.manual_seed(0)
    clips = [
        torch.randint(0, 256, (3 * num_frames, *shape), dtype=torch.uint8)
        for _ in range(2)
    ]
    data_samples = []
    for _ in clips:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.zeros(1, *shape).long())
        data_samples.append(sample)
    return dict(inputs=clips, data_samples=data_samples)


@pytest.mark.parametrize('training', [True, False])
@pytest.mark.parametrize('num_frames', [1, 3])
def test_every_frame_as_seg_data_preprocessor_does_an_image(
        num_frames, training):
    clip_output = ClipDataPreProcessor(**SETTINGS)(
        batch(num_frames), training)
    data = batch(num_frames)
    image_preprocessor = SegDataPreProcessor(**SETTINGS)
    for frame in range(num_frames):
        frame_data = dict(
            inputs=[x[3 * frame:3 * frame + 3] for x in data['inputs']],
            data_samples=batch(num_frames)['data_samples'])
        expected = image_preprocessor(frame_data, training)
        torch.testing.assert_close(
            clip_output['inputs'][:, 3 * frame:3 * frame + 3],
            expected['inputs'])
    if training:  # clip and label padded to `size`
        assert clip_output['inputs'].shape == (2, 3 * num_frames, 12, 10)
        gt = clip_output['data_samples'][0].gt_sem_seg.data
        assert gt.shape == (1, 12, 10) and torch.all(gt[:, 9:] == 255)


def test_without_normalisation_only_pads_and_stacks():
    output = ClipDataPreProcessor(size=(12, 10))(batch(2), training=True)
    torch.testing.assert_close(output['inputs'][0, :, :9],
                               batch(2)['inputs'][0].float())


@pytest.mark.parametrize('kwargs, message', [
    (dict(bgr_to_rgb=True, rgb_to_bgr=True), 'exclude each other'),
    (dict(mean=[0, 0, 0]), 'both mean and std'),
])
def test_bad_settings_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClipDataPreProcessor(**kwargs)


def test_clip_of_partial_frames_rejected():
    data = dict(inputs=[torch.zeros(8, 4, 4)], data_samples=None)
    with pytest.raises(ValueError, match=r'\(T \* 3, H, W\)'):
        ClipDataPreProcessor()(data)
