# CCNet (CCHead, R = 2) on the embedded context benchmark, trained from
# scratch on CPU. The backbone sees 11x11 pixels (output stride 4) and the
# head uses 1x1 convolutions, so every key that decides a target's class is
# out of local reach (tests/test_models/test_backbones checks it with
# gradients): only the criss-cross attention can bring it in.
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/datasets/cc_context.py',
    '../_base_/mmseg_ccnet.py'
]
num_classes = 5
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.5, 127.5, 127.5],
    std=[64.0, 64.0, 64.0],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(64, 64))
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='LocalConvNet',
        channels=(32, 64, 64),
        strides=(2, 1, 2),
        norm_cfg=norm_cfg),
    decode_head=dict(
        type='CCHead',
        in_channels=64,
        in_index=0,
        channels=64,
        recurrence=2,
        kernel_size=1,
        dropout_ratio=0.0,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

max_iters = 2000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=100, by_epoch=False),
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=1e-5,
        begin=100,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
custom_hooks = [
    dict(type='PlainCheckpointHook'),
    dict(type='PredictionPanelsHook', num_images=8)
]
randomness = dict(seed=0)
env_cfg = dict(cudnn_benchmark=False)
