# CCNet with 3D criss-cross attention (CCHead3D, R = 2) on the embedded video
# benchmark, trained from scratch on CPU: the model, schedule and seed of the
# image benchmark (../cc_context/), on clips of 5 frames. LocalConvNet sees
# each frame alone, so a target's class (shown only in another frame)
# reaches the labelled frame only through the attention's temporal line.
# ccnet-per-frame_localconvnet_1xb4-2k_cc-video-64x64.py is the same model
# with the attention kept inside each frame.
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/datasets/cc_video.py',
    '../_base_/models/ccnet_localconvnet.py',
    '../_base_/schedules/cpu_adamw_2k.py', '../_base_/mmseg_ccnet.py'
]
data_preprocessor = dict(type='ClipDataPreProcessor')
model = dict(
    type='VideoEncoderDecoder',
    data_preprocessor=data_preprocessor,
    decode_head=dict(
        type='CCHead3D', num_frames=_base_.num_frames, temporal=True))
custom_hooks = [dict(type='PredictionPanelsHook', num_images=8)]
env_cfg = dict(cudnn_benchmark=False)
