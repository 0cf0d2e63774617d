# CCNet (CCHead, R = 2) on the embedded context benchmark, trained from
# scratch on CPU. The backbone sees 11x11 pixels (output stride 4) and the
# head uses 1x1 convolutions, so every key that decides a target's class is
# out of local reach (tests/test_models/test_backbones checks it with
# gradients): only the criss-cross attention can bring it in.
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/datasets/cc_context.py',
    '../_base_/models/ccnet_localconvnet.py',
    '../_base_/schedules/cpu_adamw_2k.py', '../_base_/mmseg_ccnet.py'
]
custom_hooks = [dict(type='PredictionPanelsHook', num_images=8)]
env_cfg = dict(cudnn_benchmark=False)
