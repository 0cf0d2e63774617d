# CCNet as in the paper: ImageNet-pretrained ResNet-101 with dilations 2 and 4
# in its last two stages (output stride 8), CCHead with R = 2, auxiliary FCN
# head on stage 3 with loss weight 0.4, SyncBN. Configs set num_classes.
_base_ = 'mmseg::_base_/models/ccnet_r50-d8.py'
model = dict(
    pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
