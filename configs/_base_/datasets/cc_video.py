# The embedded video benchmark (mmseg_ccnet/datasets/video_layout.py):
# sequences of 5 frames of 64x64 whose middle frame is labelled, generated
# into data_root on first use; clips are whole sequences (num_frames = 5
# frames, stride 1; video heads take num_frames from here). Train and val
# datasets must agree on the generation settings. Data loading, level maps
# and metric as in the image benchmark (./cc_context.py).
_base_ = './cc_context.py'
dataset_type = 'CrissCrossVideoDataset'
data_root = 'data/cc_video'
num_frames = 5
generation = dict(
    seed=0,
    num_train=1000,
    num_val=100,
    num_frames=num_frames,
    frame_stride=1)
train_pipeline = [
    dict(type='LoadClipFromFiles'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=train_pipeline,
        **generation))
val_dataloader = dict(
    batch_size=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(frame_path='frame_dir/val'),
        pipeline=test_pipeline,
        **generation))
test_dataloader = val_dataloader
val_evaluator = dict(level_names=('local', 'temporal'))
test_evaluator = val_evaluator
