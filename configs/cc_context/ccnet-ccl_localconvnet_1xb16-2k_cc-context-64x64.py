# The embedded context benchmark's CCNet with the category consistent loss
# of the TPAMI paper: the RCCA features (64 channels) are reduced to 16 by
# a 1x1 conv in training and pulled together per class. Same data, schedule
# and seed as the base config, for a like-for-like comparison.
_base_ = './ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'
model = dict(
    decode_head=dict(
        loss_ccl=dict(type='CategoryConsistentLoss'), ccl_channels=16))
