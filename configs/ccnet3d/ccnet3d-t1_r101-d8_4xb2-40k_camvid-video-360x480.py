# ccnet3d-t5_r101-d8_4xb2-40k_camvid-video-360x480.py with clips of one
# frame: the labelled frame alone, where 3D criss-cross attention is the 2D
# one (TPAMI paper: 77.9 mIoU on the CamVid test split, against 79.1 for
# T = 5).
_base_ = './ccnet3d-t5_r101-d8_4xb2-40k_camvid-video-360x480.py'
num_frames = 1
model = dict(decode_head=dict(num_frames=num_frames))
train_dataloader = dict(dataset=dict(num_frames=num_frames))
val_dataloader = dict(dataset=dict(num_frames=num_frames))
test_dataloader = dict(dataset=dict(num_frames=num_frames))
