# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import ast
import importlib
import importlib.util
import os
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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
def test_provided_ops_are_this_package_s():
    import mmcv.ops
    from mmseg.models.decode_heads import cc_head
    from mmseg.models.losses import focal_loss

    from mmseg_ccnet import ops
    from mmseg_ccnet.models import CrissCrossAttention
    assert mmcv.ops.CrissCrossAttention is CrissCrossAttention
    assert cc_head.CrissCrossAttention is CrissCrossAttention
    assert focal_loss._sigmoid_focal_loss is ops.sigmoid_focal_loss
    for name in ('nms', 'batched_nms', 'soft_nms', 'roi_align', 'RoIAlign',
                 'sigmoid_focal_loss'):
        assert getattr(mmcv.ops, name) is getattr(ops, name)
    assert sys.modules['mmcv.ops.roi_align'].RoIAlignFunction is \
        ops.RoIAlignFunction
    assert mmcv.ops.get_compiler_version() == 'n/a'
    assert mmcv.ops.get_compiling_cuda_version() == 'n/a'
    from mmcv.utils import collect_env
    assert collect_env()['MMCV Compiler'] == 'n/a'
    assert compat.install() is True  # idempotent


@needs_lite
def test_pure_ops_are_mmcv_s_own():
    """mmcv's pure-PyTorch ops are its own modules, loaded from mmcv-lite's
    sources: they run (they are placeholders no more)."""
    import mmcv
    import mmcv.ops
    from mmcv.ops import CornerPool, SimpleRoIAlign, point_sample
    from mmcv.ops.merge_cells import SumCell
    from mmcv.ops.point_sample import (
        bilinear_grid_sample,
        rel_roi_point_to_rel_img_point,
    )

    ops_dir = os.path.join(os.path.dirname(mmcv.__file__), 'ops')
    for module in ('point_sample', 'merge_cells', 'corner_pool'):
        loaded = sys.modules[f'mmcv.ops.{module}']
        assert loaded.__file__ == os.path.join(ops_dir, f'{module}.py')
    # the package's point_sample is still the function
    assert mmcv.ops.point_sample is point_sample
    assert point_sample.__module__ == 'mmcv.ops.point_sample'
    gen = torch.Generator().manual_seed(0)
    feats = torch.rand(1, 3, 6, 7, generator=gen)
    grid = torch.rand(1, 4, 5, 2, generator=gen) * 2 - 1
    torch.testing.assert_close(
        bilinear_grid_sample(feats, grid, align_corners=False),
        torch.nn.functional.grid_sample(feats, grid, align_corners=False))
    rois = torch.tensor([[0., 1, 1, 5, 4]])
    points = torch.tensor([[[0.5, 0.5]]])
    assert rel_roi_point_to_rel_img_point(rois, points, feats).shape == (1, 1,
                                                                          2)
    assert SimpleRoIAlign((2, 2), 1.0)(feats, rois).shape == (1, 3, 2, 2)
    assert SumCell(3, 3)(feats, feats, out_size=(6, 7)).shape == (1, 3, 6,
                                                                   7)
    # the left pool is a cumulative maximum from the right
    pooled = CornerPool('left')(feats)
    assert torch.equal(pooled, feats.flip(3).cummax(3)[0].flip(3))


@needs_lite
def test_submodules_are_stand_ins_and_do_not_shadow_functions():
    import mmcv.ops
    import mmcv.ops.carafe
    import mmcv.ops.modulated_deform_conv
    import mmcv.ops.multi_scale_deform_attn
    import mmcv.ops.nms
    import mmcv.ops.roi_align  # noqa: F401
    from mmcv.ops.nms import batched_nms
    from mmcv.ops.roi_align import roi_align

    from mmseg_ccnet import ops
    # as in mmcv, the package's attribute is the function, not the module
    assert mmcv.ops.nms is ops.nms and mmcv.ops.roi_align is ops.roi_align
    assert batched_nms is ops.batched_nms and roi_align is ops.roi_align
    assert callable(mmcv.ops.carafe) and mmcv.ops.carafe.__name__ == 'carafe'
    masked_conv = sys.modules['mmcv.ops.masked_conv']
    assert mmcv.ops.masked_conv is masked_conv
    assert masked_conv.MaskedConv2d.__module__ == 'mmcv.ops.masked_conv'
    # one object for each op, by whichever name it is reached
    assert mmcv.ops.DeformConv2d is \
        sys.modules['mmcv.ops.deform_conv'].DeformConv2d
    assert mmcv.ops.modulated_deform_conv.ModulatedDeformConv2d is \
        mmcv.ops.ModulatedDeformConv2d


@needs_lite
def test_other_ops_fail_when_used():
    import mmcv.ops
    from mmcv.ops import CARAFEPack, masked_conv2d
    from mmcv.ops.carafe import CARAFE, CARAFENaiveFunction

    assert isinstance(CARAFEPack, type) and issubclass(
        CARAFEPack, compat.CompiledOpPlaceholder)
    assert not isinstance(torch.nn.Conv2d(1, 1, 1), CARAFEPack)
    with pytest.raises(compat.MissingCompiledOpError,
                       match='mmcv.ops.CARAFEPack is a compiled') as error:
        CARAFEPack(8, 2)
    assert isinstance(error.value, ModuleNotFoundError)
    assert error.value.name == 'mmcv._ext'
    assert 'pip install' in str(error.value)

    class Upsampler(CARAFE):
        """Subclassing works; building does not."""

    with pytest.raises(compat.MissingCompiledOpError, match='CARAFE'):
        Upsampler(kernel_size=3, group_size=1, scale_factor=2)
    with pytest.raises(compat.MissingCompiledOpError,
                       match='mmcv.ops.carafe.CARAFENaiveFunction'):
        CARAFENaiveFunction()
    with pytest.raises(compat.MissingCompiledOpError,
                       match='mmcv.ops.masked_conv2d'):
        masked_conv2d(torch.zeros(1))
    with pytest.raises(compat.MissingCompiledOpError, match='nms_match'):
        mmcv.ops.batched_nms(torch.rand(3, 4), torch.rand(3),
                             torch.zeros(3), dict(type='nms_match'))


@needs_lite
def test_cpu_paths_are_mmcv_s_own_and_run_on_the_cpu():
    """Ops that mmcv computes in pure PyTorch on the CPU are mmcv's own
    code; only their calls of the extension (for CUDA tensors) raise."""
    import mmcv
    from mmcv.ops import (
        FusedBiasLeakyReLU,
        MultiScaleDeformableAttention,
        bias_act,
        filtered_lrelu,
        upfirdn2d,
    )
    from mmcv.ops.multi_scale_deform_attn import (
        MultiScaleDeformableAttnFunction,
        multi_scale_deformable_attn_pytorch,
    )
    from mmengine.registry import MODELS as ROOT_MODELS

    ops_dir = os.path.join(os.path.dirname(mmcv.__file__), 'ops')
    for module in sorted(compat.CPU_PATHS):
        assert sys.modules[f'mmcv.ops.{module}'].__file__ == os.path.join(
            ops_dir, f'{module}.py')
    assert ROOT_MODELS.get('MultiScaleDeformableAttention') is \
        MultiScaleDeformableAttention

    # one level of 3 x 4 values, each query sampling the centre of a pixel
    value = torch.arange(24.).view(1, 12, 1, 2)
    shapes = torch.tensor([[3, 4]])
    rows, cols = torch.tensor([0, 2, 1]), torch.tensor([3, 0, 1])
    locations = torch.stack(((cols + 0.5) / 4, (rows + 0.5) / 3), dim=-1)
    output = multi_scale_deformable_attn_pytorch(
        value, shapes, locations.view(1, 3, 1, 1, 1, 2), torch.ones(1, 3, 1,
                                                                    1, 1))
    torch.testing.assert_close(output, value[0, rows * 4 + cols,
                                             0].unsqueeze(0))
    attention = MultiScaleDeformableAttention(
        embed_dims=8, num_heads=2, num_levels=1, num_points=2,
        batch_first=True)
    query = torch.rand(2, 5, 8, requires_grad=True)
    out = attention(
        query,
        value=torch.rand(2, 12, 8),
        reference_points=torch.rand(2, 5, 1, 2),
        spatial_shapes=shapes,
        level_start_index=torch.tensor([0]))
    out.sum().backward()
    assert out.shape == (2, 5, 8) and query.grad.abs().sum() > 0

    image = torch.rand(1, 2, 4, 5)
    assert torch.equal(upfirdn2d(image, torch.ones(1, 1)), image)
    assert torch.equal(bias_act(image, act='relu', gain=1), image.relu())
    # (not run: OneDL's asks tensors for is_musa, which only torch builds
    # for MUSA have, with the compiled onedl-mmcv too)
    assert not issubclass(FusedBiasLeakyReLU, compat.CompiledOpPlaceholder)
    torch.testing.assert_close(
        filtered_lrelu(image),
        torch.nn.functional.leaky_relu(image, 0.2) * 2**0.5)
    with pytest.raises(compat.MissingCompiledOpError,
                       match='multi_scale_deform_attn.ms_deform_attn_forward'):
        MultiScaleDeformableAttnFunction.apply(value, shapes,
                                               torch.tensor([0]), locations,
                                               torch.ones(1), 64)


@needs_lite
def test_layers_of_mmcv_s_own_modules_are_registered_on_install():
    """Importing the compiled mmcv.ops registers SAC (DetectoRS), the
    sparse convolutions and MultiScaleDeformableAttention; so does the
    stand-in, with mmcv's own classes."""
    import mmcv.ops
    from mmcv.cnn import build_conv_layer
    from mmengine.registry import MODELS as ROOT_MODELS

    assert mmcv.ops.catalogue.registering == {
        'multi_scale_deform_attn', 'saconv', 'sparse_conv'
    }
    for layer_type, module in (('SAC', 'saconv'),
                               ('SparseConv2d', 'sparse_conv'),
                               ('MultiScaleDeformableAttention',
                                'multi_scale_deform_attn')):
        assert ROOT_MODELS.get(layer_type).__module__ == f'mmcv.ops.{module}'
    conv = build_conv_layer(dict(type='SAC', use_deform=True), 4, 6, 3,
                            padding=1)
    assert type(conv).__name__ == 'SAConv2d'
    assert conv(torch.rand(1, 4, 8, 8)).shape == (1, 6, 8, 8)


@needs_lite
def test_names_mmcv_does_not_define_are_missing():
    import mmcv.ops
    with pytest.raises(ImportError, match='NoSuchOp'):
        from mmcv.ops import NoSuchOp  # noqa: F401
    with pytest.raises(ImportError, match='NoSuchOp'):
        from mmcv.ops.nms import NoSuchOp  # noqa: F401,F811
    with pytest.raises(ModuleNotFoundError, match='mmcv.ops.no_such_module'):
        import mmcv.ops.no_such_module  # noqa: F401
    assert not hasattr(mmcv.ops, 'no_such_op')
    assert set(mmcv.ops.__all__) >= {'nms', 'RoIAlign', 'PSAMask'}


def ops_imports(package: str):
    """Every ``from mmcv.ops[.sub] import name`` in an installed package."""
    root = os.path.dirname(importlib.import_module(package).__file__)
    for folder, _, files in os.walk(root):
        if folder.startswith(os.path.join(root, 'ops')) and package == 'mmcv':
            continue
        for file in files:
            if not file.endswith('.py'):
                continue
            with open(os.path.join(folder, file), encoding='utf-8') as text:
                tree = ast.parse(text.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and \
                        node.module.startswith('mmcv.ops'):
                    for alias in node.names:
                        yield node.module, alias.name


@needs_lite
@pytest.mark.parametrize('package', ['mmcv', 'mmengine', 'mmseg', 'mmdet'])
def test_every_ops_import_of_the_installed_stack_resolves(package):
    if importlib.util.find_spec(package) is None:
        pytest.skip(f'{package} is not installed')
    imports = set(ops_imports(package))
    assert imports or package == 'mmengine'
    for module, name in sorted(imports):
        assert getattr(importlib.import_module(module), name) is not None


@pytest.mark.slow
@needs_lite
def test_transformer_bricks_import_without_the_missing_op_warning():
    """mmcv warns 'Fail to import MultiScaleDeformableAttention' when its
    ops are missing; the stand-in provides mmcv's own class."""
    result = run_python(
        'import warnings\n'
        'with warnings.catch_warnings(record=True) as caught:\n'
        '    warnings.simplefilter("always")\n'
        '    import mmseg_ccnet\n'
        '    from mmcv.cnn.bricks.transformer import '
        'MultiScaleDeformableAttention\n'
        'print(MultiScaleDeformableAttention.__module__)\n'
        'print(any("Fail to import" in str(w.message) for w in caught))')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == [
        'mmcv.ops.multi_scale_deform_attn', 'False'
    ]


@needs_lite
def test_psanet_head_builds_trains_and_predicts():
    """MMSegmentation's PSAHead needs mmcv.ops.PSAMask: the stand-in's."""
    from mmcv.ops import PSAMask

    from mmseg_ccnet.ops import PSAMask as pure_psa_mask
    assert PSAMask is pure_psa_mask
    for psa_type in ('bi-direction', 'collect', 'distribute'):
        head = MODELS.build(
            dict(
                type='PSAHead',
                in_channels=8,
                channels=4,
                num_classes=3,
                mask_size=(5, 5),
                psa_type=psa_type))
        feats = [torch.randn(2, 8, 6, 7, requires_grad=True)]
        logits = head(feats)
        assert logits.shape == (2, 3, 6, 7)
        logits.sum().backward()
        assert feats[0].grad.abs().sum() > 0


@needs_lite
def test_dcn_layer_types_are_the_stand_in_s():
    from mmengine.registry import MODELS as ROOT_MODELS

    from mmseg_ccnet import ops
    assert ROOT_MODELS.get('DCN') is ops.DeformConv2dPack
    assert ROOT_MODELS.get('DCNv2') is ops.ModulatedDeformConv2dPack
    from mmcv.ops import DeformConv2dPack, modulated_deform_conv2d
    from mmcv.ops.deform_conv import deform_conv2d
    assert DeformConv2dPack is ops.DeformConv2dPack
    assert deform_conv2d is ops.deform_conv2d
    assert modulated_deform_conv2d is ops.modulated_deform_conv2d


@pytest.mark.parametrize('dcn', ['DCN', 'DCNv2'])
def test_dcn_resnet_builds_trains_and_predicts(dcn):
    """MMSegmentation's ResNetV1c with deformable convolutions in stages 2
    to 4 (as MMDetection's DCN configs), on mmcv-lite with the stand-in."""
    from mmengine.config import ConfigDict
    from mmengine.optim import OptimWrapper
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model = MODELS.build(
        ConfigDict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor', size=(32, 32)),
            backbone=dict(
                type='ResNetV1c',
                depth=50,
                stem_channels=8,
                base_channels=8,
                out_indices=(3, ),
                dilations=(1, 1, 2, 4),
                strides=(1, 2, 1, 1),
                dcn=dict(type=dcn, deform_groups=1, fallback_on_stride=False),
                stage_with_dcn=(False, True, True, True)),
            decode_head=dict(
                type='FCNHead',
                in_channels=256,
                in_index=0,
                channels=8,
                num_convs=1,
                num_classes=3,
                norm_cfg=dict(type='BN'),
                loss_decode=dict(type='CrossEntropyLoss')),
            test_cfg=dict(mode='whole')))
    conv_offset = model.backbone.layer3[0].conv2.conv_offset
    assert type(model.backbone.layer3[0].conv2).__name__ == {
        'DCN': 'DeformConv2dPack',
        'DCNv2': 'ModulatedDeformConv2dPack'
    }[dcn]
    gen = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, 32, 32), generator=gen,
                          dtype=torch.uint8) for _ in range(2)
        ],
        data_samples=[
            SegDataSample(
                gt_sem_seg=PixelData(data=torch.randint(
                    0, 3, (1, 32, 32), generator=gen)),
                metainfo=dict(img_shape=(32, 32), ori_shape=(32, 32)))
            for _ in range(2)
        ])
    model.train()
    losses = model.train_step(
        data, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert torch.isfinite(losses['decode.loss_ce'])
    # the offsets, zero at first, have learnt from the step
    assert conv_offset.weight.abs().sum() > 0
    model.eval()
    predictions = model.test_step(data)
    assert [p.pred_sem_seg.data.shape for p in predictions] == [(1, 32, 32)
                                                                 ] * 2
