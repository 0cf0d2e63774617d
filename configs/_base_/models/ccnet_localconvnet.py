# CCNet (CCHead, R = 2) on LocalConvNet for the embedded 64x64 benchmarks,
# trained from scratch. The backbone sees 11x11 pixels (output stride 4) and
# the head uses 1x1 convolutions, so evidence farther away than a few pixels
# reaches a pixel only through the criss-cross attention.
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
