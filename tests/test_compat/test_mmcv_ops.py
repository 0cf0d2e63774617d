# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import re
import subprocess
import sys

import pytest
import torch
from mmseg.registry import MODELS

from mmseg_ccnet.compat import mmcv_ops as compat

LITE = not compat.compiled_ops_available()
needs_lite = pytest.mark.skipif(
    not LITE, reason='the compiled mmcv is installed: no fallback in use')


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=300)


@needs_lite
def test_mmseg_needs_the_plugin_without_compiled_ops():
    """The problem being solved: without compiled ops, MMSegmentation 1.2
    does not import its models, and OneDL's 1.4 imports them but refuses to
    build its CCHead."""
    result = run_python(
        'import mmseg.models\n'
        'from mmseg.models.decode_heads import CCHead\n'
        'CCHead(in_channels=16, channels=8, num_classes=2)')
    assert result.returncode != 0
    assert "No module named 'mmcv._ext'" in result.stderr or re.search(
        r'Please install (mmcv-full|onedl-mmcv) for CrissCrossAttention ops',
        result.stderr)


def test_mmseg_imports_after_the_plugin():
    result = run_python(
        'import mmseg_ccnet, mmseg.models\n'
        'from mmseg.models.losses import FocalLoss\n'
        'from mmseg.utils.mask_classification import '
        'seg_data_to_instance_data\n'
        'from mmseg.models.decode_heads import san_head\n'
        'print("ok")')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith('ok')


def test_with_compiled_ops_nothing_is_replaced():
    """If ``mmcv._ext`` is importable, ``mmcv.ops`` is left to mmcv.

    The compat module is loaded on its own (the package would go on to
    import mmseg, whose ``mmcv.ops`` import needs the real extension).
    """
    result = run_python(
        'import importlib.machinery, importlib.util, sys, types\n'
        'ext = types.ModuleType("mmcv._ext")\n'
        'ext.__spec__ = importlib.machinery.ModuleSpec("mmcv._ext", None)\n'
        'sys.modules["mmcv._ext"] = ext\n'
        'spec = importlib.util.spec_from_file_location('
        f'"c", {compat.__file__!r})\n'
        'compat = importlib.util.module_from_spec(spec)\n'
        'spec.loader.exec_module(compat)\n'
        'assert compat.compiled_ops_available()\n'
        'assert compat.install() is False\n'
        'assert "mmcv.ops" not in sys.modules\n'
        'print("untouched")')
    assert result.returncode == 0, result.stderr
    assert 'untouched' in result.stdout


@needs_lite
def test_other_ops_behave_as_not_installed():
    import mmcv.ops
    from mmseg.models.decode_heads import cc_head

    from mmseg_ccnet.models import CrissCrossAttention
    assert mmcv.ops.point_sample is compat.point_sample
    assert mmcv.ops.sigmoid_focal_loss is compat.sigmoid_focal_loss
    assert mmcv.ops.CrissCrossAttention is CrissCrossAttention
    assert cc_head.CrissCrossAttention is CrissCrossAttention
    from mmseg.models.losses import focal_loss
    assert focal_loss._sigmoid_focal_loss is compat.sigmoid_focal_loss
    with pytest.raises(ModuleNotFoundError, match='mmcv.ops.PSAMask is a '
                       'compiled mmcv op') as error:
        from mmcv.ops import PSAMask  # noqa: F401
    assert error.value.name == 'mmcv._ext'
    with pytest.raises(ModuleNotFoundError):
        import mmcv.ops.multi_scale_deform_attn  # noqa: F401
    assert compat.install() is True  # idempotent


@needs_lite
def test_config_needing_a_missing_op_fails_clearly():
    head = dict(
        type='PSAHead',
        in_channels=32,
        channels=16,
        num_classes=3,
        mask_size=(9, 9))
    with pytest.raises(RuntimeError, match='PSAMask'):
        MODELS.build(head)


def test_point_sample_reads_pixel_centres():
    feats = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)
    ys, xs = torch.tensor([0, 3, 2]), torch.tensor([4, 0, 2])
    points = torch.stack([(xs + 0.5) / 5, (ys + 0.5) / 4], -1)
    points = points.expand(2, 3, 2)
    out = compat.point_sample(feats, points)
    assert out.shape == (2, 3, 3)
    torch.testing.assert_close(out, feats[:, :, ys, xs])
    grid = points.view(2, 3, 1, 2)
    assert compat.point_sample(feats, grid).shape == (2, 3, 3, 1)


@pytest.mark.skipif(LITE, reason='needs the compiled mmcv to compare with')
def test_point_sample_equals_compiled_mmcv():
    import mmcv.ops
    torch.manual_seed(0)
    feats = torch.randn(2, 3, 7, 9)
    points = torch.rand(2, 11, 2)
    for align_corners in (False, True):
        torch.testing.assert_close(
            compat.point_sample(feats, points, align_corners),
            mmcv.ops.point_sample(feats, points, align_corners))


def focal_reference(logits, target, gamma, alpha, weight):
    """Element by element, from the focal loss formula."""
    loss = torch.zeros_like(logits)
    for n in range(logits.size(0)):
        for c in range(logits.size(1)):
            p = torch.sigmoid(logits[n, c])
            if target[n] == c:
                value = -alpha * (1 - p)**gamma * torch.log(p)
            else:
                value = -(1 - alpha) * p**gamma * torch.log(1 - p)
            w = weight[target[n]] if weight is not None else 1.0
            loss[n, c] = value * w
    return loss


@pytest.mark.parametrize('use_weight', [False, True])
def test_sigmoid_focal_loss_matches_formula(use_weight):
    torch.manual_seed(0)
    logits = torch.randn(6, 4, dtype=torch.float64)
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    weight = torch.rand(4, dtype=torch.float64) if use_weight else None
    ref = focal_reference(logits, target, 2.0, 0.25, weight)
    loss = compat.sigmoid_focal_loss(logits, target, 2.0, 0.25, weight,
                                     'none')
    torch.testing.assert_close(loss, ref)
    torch.testing.assert_close(
        compat.sigmoid_focal_loss(logits, target, 2.0, 0.25, weight),
        ref.sum() / 6)
    torch.testing.assert_close(
        compat.sigmoid_focal_loss(logits, target, 2.0, 0.25, weight, 'sum'),
        ref.sum())


def test_sigmoid_focal_loss_background_target_is_all_negative():
    logits = torch.randn(2, 3)
    loss = compat.sigmoid_focal_loss(logits, torch.tensor([3, 3]), 2.0, 0.25,
                                     None, 'none')
    p = logits.sigmoid()
    torch.testing.assert_close(loss, -(0.75) * p**2 * torch.log(1 - p))


def test_mmseg_focal_loss_wrapper_runs_on_the_stand_in(monkeypatch):
    """mmseg's CUDA-path wrapper, fed by the stand-in, equals its Python one.

    (With mmcv-lite the stand-in is what mmseg imported; with the compiled
    mmcv it is patched in, since mmcv's op has no CPU kernel.)
    """
    from mmseg.models.losses import focal_loss
    monkeypatch.setattr(focal_loss, '_sigmoid_focal_loss',
                        compat.sigmoid_focal_loss)
    torch.manual_seed(0)
    pred = torch.randn(10, 4, dtype=torch.float64)
    target = torch.randint(0, 4, (10, ))
    one_hot = torch.nn.functional.one_hot(target, 4).to(pred)
    loss = focal_loss.sigmoid_focal_loss(pred, target, one_hot, alpha=0.25)
    ref = focal_loss.py_sigmoid_focal_loss(pred, one_hot, alpha=0.25)
    torch.testing.assert_close(loss, ref)
