# The paper's optimiser: SGD with momentum 0.9, weight decay 1e-4, learning
# rate 0.01 decaying per iteration as (1 - iter / max_iters) ** 0.9 to 0.
# Configs set the length: max_iters here and as the scheduler's end.
_base_ = 'mmseg::_base_/schedules/schedule_80k.py'
optim_wrapper = dict(optimizer=dict(lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR', eta_min=0, power=0.9, begin=0, end=80000,
        by_epoch=False)
]
