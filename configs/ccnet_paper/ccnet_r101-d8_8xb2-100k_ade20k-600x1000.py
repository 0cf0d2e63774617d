# CCNet on ADE20K as the authors trained it: with CSAIL's
# semantic-segmentation-pytorch (github.com/speedinghzl/CCNet/issues/18)
# and that toolbox's ADE20K defaults: ResNet-101 dilated, images resized to
# a random short side of 300-600 pixels (long side at most 1000), mirrored,
# not cropped, 2 images on each of 8 GPUs, SGD lr 0.02 with poly 0.9 decay,
# momentum 0.9, weight decay 1e-4, 20 epochs of 5000 iterations, deep
# supervision (auxiliary head) weight 0.4.
_base_ = [
    '../_base_/models/ccnet_r101-d8.py', 'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/schedule_poly.py',
    '../_base_/mmseg_ccnet.py'
]
max_iters = 100000
data_preprocessor = dict(size_divisor=8)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1000, short) for short in (300, 375, 450, 525, 600)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=10000))
