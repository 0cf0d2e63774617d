# CamVid as video (CamVidVideoDataset, written by
# tools/dataset_converters/camvid_video.py): the 360x480 labelled frames of
# the SegNet split (367 train / 101 val / 233 test), each with a clip of
# video frames around it (num_frames frames; video heads take num_frames
# from here). Validation on val, testing on test.
_base_ = './_img_ann_dirs.py'
dataset_type = 'CamVidVideoDataset'
data_root = 'data/camvid_video'
num_frames = 5
clips = dict(num_frames=num_frames, frame_stride=1)
crop_size = (360, 480)
train_pipeline = [
    dict(type='LoadClipFromFiles'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(480, 360),
        ratio_range=(0.7, 2.1),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='ClipPhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadClipFromFiles'),
    dict(type='Resize', scale=(480, 360), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]

frame_prefix = dict(frame_path='frame_dir')
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=frame_prefix,
        pipeline=train_pipeline,
        **clips))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=frame_prefix,
        pipeline=test_pipeline,
        **clips))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(
            img_path='img_dir/test',
            seg_map_path='ann_dir/test',
            **frame_prefix),
        pipeline=test_pipeline,
        **clips))
