# CCNet (2D, i.e. the paper's CCNet3D with T=1) on CamVid's SegNet split at
# 360x480: ResNet-101-D8, batch 8, the paper's optimiser (SGD lr 0.01 with
# poly 0.9 decay, momentum 0.9, weight decay 1e-4), 10k iterations (about
# 220 epochs of the 367 training images). The paper does not give its
# CamVid schedule; this one is ours.
_base_ = [
    '../_base_/models/ccnet_r101-d8.py',
    '../_base_/datasets/camvid_360x480.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/schedule_poly.py',
    '../_base_/mmseg_ccnet.py'
]
max_iters = 10000
data_preprocessor = dict(size=(360, 480))
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=11),
    auxiliary_head=dict(num_classes=11))
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=1000))
