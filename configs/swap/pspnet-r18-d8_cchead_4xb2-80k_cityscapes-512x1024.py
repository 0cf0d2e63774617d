# MMSegmentation's PSPNet R-18-D8 (Cityscapes, 80k) with its PPM decode head
# swapped for CCHead; backbone, auxiliary head, data and schedule unchanged.
_base_ = [
    'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    '../_base_/mmseg_ccnet.py'
]
model = dict(
    decode_head=dict(
        _delete_=True,
        type='CCHead',
        in_channels=512,
        in_index=3,
        channels=128,
        recurrence=2,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
