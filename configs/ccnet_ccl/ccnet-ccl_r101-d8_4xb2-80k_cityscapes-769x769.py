# CCNet R-101 (MMSegmentation's best Cityscapes row, the closest to the
# paper's recipe: 769x769 crops, batch 8) with the category consistent loss
# of the TPAMI paper on the decode head's RCCA features.
_base_ = '../ccnet/ccnet_r101-d8_4xb2-80k_cityscapes-769x769.py'
model = dict(
    decode_head=dict(
        loss_ccl=dict(type='CategoryConsistentLoss'), ccl_channels=16))
