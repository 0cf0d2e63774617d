# CCNet on LIP with the training recipe of CE2P (github.com/liutinglt/CE2P,
# job_train.sh and run.sh), the framework in which the paper's LIP result
# puts RCCA: ResNet-101-D8, 473x473 crops, batch 40 (8 on each of 5 GPUs),
# SGD lr 0.007 with poly 0.9 decay, momentum 0.9, weight decay 5e-4, 115k
# iterations (about 150 epochs), flips that swap left and right classes.
# This config is plain CCNet (CCHead plus auxiliary FCN head), not CE2P's
# edge and high-resolution branches.
_base_ = [
    '../_base_/models/ccnet_r101-d8.py', '../_base_/datasets/lip_473x473.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/schedule_poly.py',
    '../_base_/mmseg_ccnet.py'
]
max_iters = 115000
data_preprocessor = dict(size=(473, 473))
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(num_classes=20),
    auxiliary_head=dict(num_classes=20))
tta_model = dict(type='PairedFlipTTAModel')
optim_wrapper = dict(optimizer=dict(lr=0.007, weight_decay=5e-4))
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, end=max_iters, by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=11500)
default_hooks = dict(checkpoint=dict(interval=11500))
