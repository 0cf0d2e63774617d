# The embedded criss-cross context benchmark (mmseg_ccnet/datasets/
# synthetic/context_layout.py): 64x64 images generated into data_root on
# first use.
# Train and val datasets must agree on the generation settings.
dataset_type = 'CrissCrossContextDataset'
data_root = 'data/cc_context'
generation = dict(seed=0, num_train=2000, num_val=200)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=train_pipeline,
        **generation))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline,
        **generation))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='ContextIoUMetric',
    iou_metrics=['mIoU'],
    level_names=('local', 'row', 'global'))
test_evaluator = val_evaluator
