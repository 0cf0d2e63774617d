# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import copy
import subprocess
import sys
import weakref

import mmseg.models.decode_heads.cc_head as mmseg_cc_head
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.runner import load_checkpoint
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmseg_ccnet.compat import mmcv_ops
from mmseg_ccnet.models import (
    CategoryConsistentLoss,
    CCHead,
    CrissCrossAttention,
)
from precision import LOW_PRECISION_DTYPES
from runner_utils import CONFIGS, MMSEG_CONFIGS, small_resnet

HEAD = dict(
    in_channels=32,
    channels=16,
    num_classes=5,
    dropout_ratio=0.1,
    norm_cfg=dict(type='BN', requires_grad=True),
    align_corners=False)


@pytest.fixture
def mmseg_cc_head_class():
    """MMSegmentation's own CCHead class, imported as users import it.

    Without compiled mmcv, mmseg's module finds this package's
    CrissCrossAttention in the stand-in ``mmcv.ops``; with it, mmcv's.
    """
    from mmseg.models.decode_heads import CCHead as MMSegCCHead
    assert MMSegCCHead is mmseg_cc_head.CCHead
    return MMSegCCHead


def inputs(batch=2, size=(9, 7)):
    return [torch.randn(batch, 8, *size), torch.randn(batch, 32, *size)]


@pytest.mark.slow
def test_mmsegs_own_cchead_and_its_subclasses_run_after_the_plugin():
    """Scripts, notebooks and subclasses that use mmseg's class directly."""
    result = subprocess.run([
        sys.executable, '-c', 'import mmseg_ccnet, torch\n'
        'from mmseg.models.decode_heads import CCHead\n'
        'class MyHead(CCHead):\n'
        '    pass\n'
        'for cls in (CCHead, MyHead):\n'
        '    head = cls(in_channels=16, channels=8, num_classes=3)\n'
        '    print(type(head.cca).__module__, '
        'tuple(head([torch.randn(2, 16, 5, 6)]).shape))'
    ],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()[-2:]
    module = 'mmcv.ops.cc_attention' if mmcv_ops.compiled_ops_available() \
        else 'mmseg_ccnet.models.modules.criss_cross_attention'
    assert lines == [f'{module} (2, 3, 5, 6)'] * 2


@pytest.mark.slow
def test_import_is_quiet_and_the_first_head_says_what_it_builds():
    result = subprocess.run([
        sys.executable, '-c', 'import mmseg_ccnet\n'
        "print('imported')\n"
        'from mmseg_ccnet.models import CCHead\n'
        'for _ in range(2):\n'
        '    CCHead(in_channels=16, channels=8, num_classes=3)'
    ],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    before, after = (result.stdout + result.stderr).split('imported\n')
    message = "type='CCHead' builds mmseg_ccnet's CCHead"
    assert message not in before
    assert after.count(message) == 1
    assert 'INFO' in after and "replacement of MMSegmentation's" in after


def test_registry_builds_the_plugin_head():
    assert MODELS.get('CCHead') is CCHead
    assert CCHead is not mmseg_cc_head.CCHead
    head = MODELS.build(dict(type='CCHead', in_index=1, **HEAD))
    assert isinstance(head, CCHead) and head.recurrence == 2
    assert type(head.cca) is CCHead.attention_type


def test_attention_cfg_reaches_the_attention():
    head = CCHead(in_index=1, attention_cfg=dict(impl='einsum'), **HEAD)
    assert head.cca.impl == 'einsum'


@pytest.mark.parametrize('concat_input', [True, False])
def test_same_keys_and_output_as_mmseg_cchead(mmseg_cc_head_class,
                                              concat_input):
    torch.manual_seed(0)
    theirs = mmseg_cc_head_class(
        recurrence=2, in_index=1, concat_input=concat_input, **HEAD)
    with torch.no_grad():
        theirs.cca.gamma.scale.fill_(0.3)
    ours = CCHead(recurrence=2, in_index=1, concat_input=concat_input, **HEAD)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)
    feats = inputs()
    ours.eval(), theirs.eval()
    torch.testing.assert_close(ours(feats), theirs(feats))


def build_ccnet(config: str):
    cfg = Config.fromfile(config)
    cfg.model.pretrained = None
    return MODELS.build(cfg.model)


def test_full_ccnet_checkpoint_of_mmseg_loads_without_missing_keys(
        mmseg_cc_head_class, monkeypatch, tmp_path):
    """A CCNet R-50 saved by mmseg's own classes loads strictly into ours.

    The checkpoint is written the way MMSegmentation's v0.5 model zoo files
    are (legacy serialization, ``meta`` with CLASSES/PALETTE, a
    ``state_dict``), from the model that mmseg's own CCNet config builds.
    """
    config = str(CONFIGS / 'ccnet' /
                 'ccnet_r50-d8_4xb2-40k_cityscapes-512x1024.py')
    monkeypatch.setitem(MODELS._module_dict, 'CCHead', mmseg_cc_head_class)
    theirs = build_ccnet(
        str(MMSEG_CONFIGS / 'ccnet' /
            'ccnet_r50-d8_4xb2-40k_cityscapes-512x1024.py')).eval()
    monkeypatch.undo()
    assert type(theirs.decode_head) is mmseg_cc_head.CCHead
    with torch.no_grad():
        theirs.decode_head.cca.gamma.scale.fill_(0.2)
    checkpoint = tmp_path / 'ccnet_r50-d8_512x1024_40k_cityscapes.pth'
    torch.save(
        dict(
            meta=dict(
                mmseg_version='0.5.0+b57fb2b',
                config='model = dict(...)',
                CLASSES=('road', 'sidewalk'),
                PALETTE=[[128, 64, 128], [244, 35, 232]],
                epoch=1,
                iter=40000,
                time='Tue Jun 16 14:25:17 2020'),
            state_dict=theirs.state_dict()),
        checkpoint,
        _use_new_zipfile_serialization=False)

    ours = build_ccnet(config).eval()
    assert type(ours.decode_head) is CCHead
    load_checkpoint(ours, str(checkpoint), strict=True)  # weights_only load
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            ours.encode_decode(image, [dict(img_shape=(64, 64))]),
            theirs.encode_decode(image, [dict(img_shape=(64, 64))]))


def test_recurrence_passes_share_one_attention():
    head = CCHead(recurrence=3, in_index=1, **HEAD).eval()
    with torch.no_grad():
        head.cca.gamma.scale.fill_(0.5)
    feats = inputs(batch=1)
    x = feats[1]
    expected = head.convs[0](x)
    for _ in range(3):
        expected = head.cca(expected)
    expected = head.conv_cat(torch.cat([x, head.convs[1](expected)], 1))
    torch.testing.assert_close(head._forward_feature(feats), expected)


@pytest.mark.parametrize('bad, message', [
    ([torch.randn(2, 8, 5, 5), torch.randn(2, 16, 5, 5)], 'got 16 channels'),
    ([torch.randn(2, 8, 5, 5), torch.randn(32, 5, 5)], '4D feature map'),
])
def test_wrong_input_raises_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        CCHead(in_index=1, **HEAD)(bad)


def test_constructor_errors():
    with pytest.raises(TypeError, match='num_convs=2'):
        CCHead(num_convs=1, **HEAD)
    with pytest.raises(ValueError, match='recurrence'):
        CCHead(recurrence=-1, **HEAD)


def data_samples(labels: torch.Tensor) -> list:
    """Data samples with ``gt_sem_seg`` from (B, H, W) labels."""
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    return samples


def ccl_head(**kwargs) -> CCHead:
    return CCHead(
        in_index=1,
        loss_ccl=dict(type='CategoryConsistentLoss', loss_weight=0.5),
        **HEAD,
        **kwargs)


def test_head_without_ccl_has_no_reduction_and_no_extra_loss():
    head = CCHead(in_index=1, **HEAD)
    assert head.loss_ccl is None and head.ccl_reduce is None
    assert not any('ccl' in key for key in head.state_dict())
    labels = torch.randint(0, 5, (2, 18, 14))
    losses = head.loss(inputs(), data_samples(labels), train_cfg=dict())
    assert set(losses) == {'loss_ce', 'acc_seg'}


@pytest.mark.parametrize('ccl_feature', ['attention', 'context'])
def test_ccl_head_adds_loss_ccl_on_the_reduced_rcca_features(ccl_feature):
    torch.manual_seed(0)
    head = ccl_head(ccl_channels=6, ccl_feature=ccl_feature).train()
    with torch.no_grad():
        head.cca.gamma.scale.fill_(0.5)
    assert head.ccl_reduce.weight.shape == (6, HEAD['channels'], 1, 1)
    feats = inputs()
    labels = torch.randint(0, 5, (2, 18, 14))
    labels[0, :4] = 255
    losses = head.loss(feats, data_samples(labels), train_cfg=dict())
    assert set(losses) == {'loss_ce', 'acc_seg', 'loss_ccl'}

    features = head.rcca_features(feats)
    expected = 0.5 * CategoryConsistentLoss()(
        head.ccl_reduce(getattr(features, ccl_feature)), labels)
    torch.testing.assert_close(losses['loss_ccl'], expected)
    losses['loss_ccl'].backward()
    assert head.ccl_reduce.weight.grad.abs().sum() > 0
    assert head.cca.query_conv.weight.grad.abs().sum() > 0
    assert head.conv_seg.weight.grad is None  # the CCL bypasses the classifier


def test_inference_never_runs_the_reduction():
    head = ccl_head().eval()
    plain = CCHead(in_index=1, **HEAD).eval()
    result = plain.load_state_dict(head.state_dict(), strict=False)
    calls = []
    head.ccl_reduce.register_forward_hook(lambda *args: calls.append(args))
    feats = inputs()
    metas = [dict(img_shape=(9, 7))] * 2
    with torch.no_grad():
        logits = head.predict(feats, metas, dict())
        torch.testing.assert_close(logits, plain.predict(feats, metas, dict()))
    assert not calls
    # what a head without the loss drops of a checkpoint trained with it
    assert result.unexpected_keys == ['ccl_reduce.weight', 'ccl_reduce.bias']
    assert result.missing_keys == []


def test_invalid_ccl_feature():
    with pytest.raises(ValueError, match='ccl_feature'):
        ccl_head(ccl_feature='fused')


def test_torch_compile_matches_eager():
    """Inductor compiles the head (attention included) to the same logits.

    Inference only: compiling the backward graph too takes minutes on two
    CPU cores.
    """
    torch.manual_seed(0)
    head = CCHead(recurrence=2, in_index=1, **HEAD).eval()
    with torch.no_grad():
        head.cca.gamma.scale.fill_(0.5)
    feats = inputs(batch=1, size=(5, 3))
    compiled = torch.compile(head)
    with torch.no_grad():
        torch.testing.assert_close(compiled(feats), head(feats))


def low_precision_tolerance(dtype: torch.dtype,
                            expected: torch.Tensor) -> float:
    """Largest difference allowed to float32: 4 units of the dtype's
    rounding (eps: 2**-10 for float16, 2**-7 for bfloat16) relative to the
    largest float32 logit."""
    return 4 * torch.finfo(dtype).eps * expected.abs().max().item()


@pytest.mark.parametrize('impl', CrissCrossAttention.IMPLS)
@pytest.mark.parametrize('dtype', LOW_PRECISION_DTYPES)
def test_half_and_bfloat16_heads_infer_close_to_float32(dtype, impl):
    """model.half() and model.bfloat16(), without autocast."""
    torch.manual_seed(0)
    head = CCHead(in_index=1, attention_cfg=dict(impl=impl), **HEAD).eval()
    with torch.no_grad():
        head.cca.gamma.scale.fill_(1.0)
        feats = inputs()
        expected = head(feats)
        logits = copy.deepcopy(head).to(dtype)([f.to(dtype) for f in feats])
    assert logits.dtype == dtype
    assert torch.isfinite(logits).all()
    assert (logits.float() - expected).abs().max().item() <= (
        low_precision_tolerance(dtype, expected))


@pytest.mark.parametrize('dtype', LOW_PRECISION_DTYPES)
def test_half_and_bfloat16_ccnet_predicts_close_to_float32(dtype):
    """A whole CCNet (ResNetV1c-18, 16 base channels) converted with
    model.half() / model.bfloat16(): sliding-window inference and the
    post-processing, without autocast."""
    cfg = small_resnet(
        Config.fromfile(CONFIGS / 'ccnet' /
                        'ccnet_r50-d8_4xb2-40k_cityscapes-769x769.py'))
    cfg.model.pretrained = None
    cfg.model.test_cfg = dict(
        mode='slide', crop_size=(32, 32), stride=(21, 21))
    torch.manual_seed(0)
    segmentor = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    with torch.no_grad():
        segmentor.decode_head.cca.gamma.scale.fill_(1.0)
    images = torch.randn(2, 3, 40, 56)
    metas = dict(img_shape=(40, 56), ori_shape=(50, 70))
    with torch.no_grad():
        expected = segmentor.predict(
            images, [SegDataSample(metainfo=metas) for _ in range(2)])
        results = copy.deepcopy(segmentor).to(dtype).predict(
            images.to(dtype),
            [SegDataSample(metainfo=metas) for _ in range(2)])
    for result, reference in zip(results, expected):
        logits = result.seg_logits.data
        assert logits.dtype == dtype and logits.shape == (19, 50, 70)
        assert torch.isfinite(logits).all()
        reference = reference.seg_logits.data
        assert (logits.float() - reference).abs().max().item() <= (
            low_precision_tolerance(dtype, reference))


def test_inference_frees_the_attention_output_before_the_fusion():
    """At the head's peak (``conv_cat`` of the input and the context) only
    the tensors MMSegmentation's CCHead holds are alive."""
    head = CCHead(recurrence=2, **HEAD).eval()
    attention_outputs = []
    head.cca.register_forward_hook(
        lambda module, args, output: attention_outputs.append(
            weakref.ref(output)))
    alive_at_fusion = []
    head.conv_cat.register_forward_pre_hook(
        lambda module, args: alive_at_fusion.append(
            [ref() is not None for ref in attention_outputs]))
    with torch.no_grad():
        logits = head(inputs())
    assert logits.shape == (2, 5, 9, 7)
    assert alive_at_fusion == [[False, False]]
