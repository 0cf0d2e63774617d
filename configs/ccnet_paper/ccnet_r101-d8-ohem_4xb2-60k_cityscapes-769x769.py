# The authors' Cityscapes recipe (github.com/speedinghzl/CCNet, README and
# train.py with --ohem 1): ResNet-101-D8, R=2, 769x769 crops of images
# scaled by 0.7-2.1 and mirrored, batch 8, SGD lr 0.01 with poly 0.9 decay,
# momentum 0.9, weight decay 1e-4, 60k iterations, OHEM on the decode head
# (probability threshold 0.7, at least 100000 pixels kept), auxiliary FCN
# head on stage 3 with weight 0.4, sliding-window testing with 1/3 overlap.
_base_ = [
    '../_base_/models/ccnet_r101-d8.py',
    'mmseg::_base_/datasets/cityscapes_769x769.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/schedule_poly.py',
    '../_base_/mmseg_ccnet.py'
]
crop_size = (769, 769)
max_iters = 60000
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(
        align_corners=True,
        sampler=dict(type='OHEMPixelSampler', thresh=0.7, min_kept=100000)),
    auxiliary_head=dict(align_corners=True),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(513, 513)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(2049, 1025),
        ratio_range=(0.7, 2.1),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=6000)
default_hooks = dict(checkpoint=dict(interval=6000))
