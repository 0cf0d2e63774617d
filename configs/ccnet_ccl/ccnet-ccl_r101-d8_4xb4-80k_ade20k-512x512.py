# CCNet R-101 (MMSegmentation's best ADE20K row) with the category
# consistent loss of the TPAMI paper on the decode head's RCCA features.
_base_ = '../ccnet/ccnet_r101-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    decode_head=dict(
        loss_ccl=dict(type='CategoryConsistentLoss'), ccl_channels=16))
