# LIP single-person human parsing, 20 classes, in the layout written by
# tools/dataset_converters/lip.py. 473x473 crops as in CE2P
# (github.com/liutinglt/CE2P), whose training CCNet's LIP result builds on.
# Flips swap the left/right classes (PairedRandomFlip), in training and in
# flip test-time augmentation, whose views a config merges with
# tta_model = dict(type='PairedFlipTTAModel'). Evaluation reports aAcc, mIoU
# and mAcc: LIP's pixel accuracy, mean IoU and mean accuracy.
_base_ = './_img_ann_dirs.py'
dataset_type = 'LIPDataset'
data_root = 'data/lip'
crop_size = (473, 473)
# PairedFlipTTAModel reads the label pairs from each sample's meta.
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'reduce_zero_label', 'flip_label_pairs')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=crop_size,
        ratio_range=(0.5, 1.6),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PairedRandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[[dict(type='Resize', scale=crop_size, keep_ratio=False)],
                    [
                        dict(type='PairedRandomFlip', prob=0.),
                        dict(type='PairedRandomFlip', prob=1.)
                    ], [dict(type='LoadAnnotations')],
                    [dict(type='PackSegInputs', meta_keys=meta_keys)]])
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
