# Mask R-CNN R-50-FPN 1x on COCO: MMDetection's config, the baseline of the
# paper's COCO comparison (its baseline reached 38.2 box / 34.8 mask AP).
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py']
custom_imports = dict(
    imports=['mmseg_ccnet', 'mmseg_ccnet.detection'],
    allow_failed_imports=False)
