# The front page's first run: the main config (CCHead, R = 2, the 2k
# schedule) validated every 100 iterations and stopped at the first
# validation whose accuracy on the pixels that need two criss-cross passes
# (global.aAcc) is above 50%, twice chance (four key colours), a level that
# R = 1 cannot reach: a global target's evidence is off its row and column.
# The patience spans the whole schedule, so a plateau never stops the run
# (this task has long ones), and the run ends at 2000 iterations if the
# target is never reached. The best checkpoint is kept:
# best_global.aAcc_iter_<N>.pth.
_base_ = './ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'
train_cfg = dict(val_interval=100)
default_hooks = dict(
    checkpoint=dict(save_best='global.aAcc', rule='greater'))
custom_hooks = [
    dict(type='PredictionPanelsHook', num_images=8),
    dict(
        type='EarlyStoppingHook',
        monitor='global.aAcc',
        rule='greater',
        strict=True,
        stopping_threshold=50.0,
        patience=20)
]
