# CCNet with 3D criss-cross attention on CamVid video, clips of T = 5 frames
# around each labelled frame (TPAMI paper: 79.1 mIoU on the test split; T = 1
# gives 77.9, ccnet3d-t1_r101-d8_4xb2-40k_camvid-video-360x480.py).
# The authors' recipe (for Cityscapes):
# ResNet-101 (deep stem, dilations 2/4, output stride 8), SGD lr 0.01, poly
# 0.9, momentum 0.9, weight decay 1e-4, batch 8, random scale 0.7-2.1 and
# mirror, OHEM on the main head (threshold 0.7, keep 100000), auxiliary FCN
# head on stage 3 with weight 0.4, R = 2. Not given for CamVid, our choice:
# 360x480 crops (the whole frame), 40k iterations, frame stride 1 (30 Hz).
_base_ = [
    'mmseg::_base_/models/ccnet_r50-d8.py',
    '../_base_/datasets/camvid_video.py', 'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_40k.py', '../_base_/mmseg_ccnet.py'
]
crop_size = (360, 480)
num_classes = 11
data_preprocessor = dict(type='ClipDataPreProcessor', size=crop_size)
model = dict(
    type='VideoEncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101),
    decode_head=dict(
        type='CCHead3D',
        num_frames=_base_.num_frames,
        temporal=True,
        num_classes=num_classes,
        sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=100000)),
    auxiliary_head=dict(num_classes=num_classes))
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
