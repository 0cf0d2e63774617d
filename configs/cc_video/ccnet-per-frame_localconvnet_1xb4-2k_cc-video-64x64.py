# The baseline of ccnet3d_localconvnet_1xb4-2k_cc-video-64x64.py: the same
# model, data, schedule and seed, with the criss-cross attention kept inside
# each frame (2D RCCA per frame; CCHead3D(temporal=False)).
_base_ = './ccnet3d_localconvnet_1xb4-2k_cc-video-64x64.py'
model = dict(decode_head=dict(temporal=False))
