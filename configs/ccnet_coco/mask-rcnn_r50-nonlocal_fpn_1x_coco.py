# Mask R-CNN R-50-FPN 1x with one non-local block (embedded Gaussian) right
# before the last residual block of res4, as in the non-local paper: the
# non-local row of the paper's COCO comparison (39.0 box / 35.5 mask AP).
_base_ = ['./mask-rcnn_r50_fpn_1x_coco.py']
model = dict(
    backbone=dict(
        _delete_=True,
        type='ContextResNet',
        resnet={{_base_.model.backbone}},
        context=dict(type='NonLocal2d', reduction=2,
                     mode='embedded_gaussian'),
        stage=2,
        before_block=-1))
