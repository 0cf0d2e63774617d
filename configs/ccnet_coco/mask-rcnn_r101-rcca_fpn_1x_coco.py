# The R-101 row of mask-rcnn_r50-rcca_fpn_1x_coco.py
# (ResNet-101 with torchvision's ImageNet weights, as MMDetection's R-101).
_base_ = ['./mask-rcnn_r50-rcca_fpn_1x_coco.py']
model = dict(
    backbone=dict(
        resnet=dict(
            depth=101,
            init_cfg=dict(
                type='Pretrained', checkpoint='torchvision://resnet101'))))
