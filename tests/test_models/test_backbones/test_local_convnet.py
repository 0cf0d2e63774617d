# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from mmseg_ccnet.datasets.synthetic import context_layout as layout
from mmseg_ccnet.models import LocalConvNet
from runner_utils import CONFIGS

CONFIG = CONFIGS / 'cc_context' / \
    'ccnet_localconvnet_1xb16-2k_cc-context-64x64.py'


def support(out: torch.Tensor, x: torch.Tensor, i: int, j: int) -> int:
    """Width in input pixels of what output position (i, j) depends on."""
    x.grad = None
    out[0, :, i, j].sum().backward(retain_graph=True)
    columns = torch.nonzero(x.grad[0].abs().sum((0, 1)))
    return int(columns.max() - columns.min() + 1)


@pytest.mark.parametrize('strides', [(2, 2, 1), (1, 1), (2, 1, 2, 1)])
def test_receptive_field_matches_gradients(strides):
    torch.manual_seed(0)
    net = LocalConvNet(channels=(8, ) * len(strides), strides=strides).eval()
    x = torch.randn(1, 3, 64, 64, requires_grad=True)
    out, = net(x)
    assert out.shape[-1] == 64 // net.output_stride
    centre = out.shape[-1] // 2
    assert support(out, x, centre, centre) == net.receptive_field


def test_mismatched_arguments_rejected():
    with pytest.raises(ValueError, match='same, non-zero length'):
        LocalConvNet(channels=(8, 8), strides=(2, ))
    with pytest.raises(ValueError, match='multiple of 4'):
        LocalConvNet(channels=(8, ), strides=(2, ), pos_channels=6)


def test_position_encoding_is_appended_and_content_free():
    torch.manual_seed(0)
    net = LocalConvNet(channels=(8, 8), strides=(2, 1), pos_channels=8)
    net.eval()
    first, = net(torch.randn(2, 3, 32, 48))
    second, = net(torch.randn(2, 3, 32, 48))
    assert first.shape == (2, 16, 16, 24)
    torch.testing.assert_close(first[:, 8:], second[:, 8:], rtol=0, atol=0)
    assert not torch.equal(first[:, :8], second[:, :8])
    rows, cols = first[0, 8:12], first[0, 12:]
    assert torch.equal(rows, rows[:, :, :1].expand_as(rows))
    assert torch.equal(cols, cols[:, :1].expand_as(cols))
    # every row's (column's) code is closer to itself than to any other
    for codes in (rows[:, :, 0], cols[:, 0]):
        similarity = codes.T @ codes
        assert torch.equal(similarity.argmax(1), torch.arange(len(codes.T)))
        torch.testing.assert_close(similarity.diagonal(),
                                   torch.full((len(codes.T), ), 2.0))


def test_without_attention_no_target_sees_a_key():
    """The benchmark's premise: its model without attention is local.

    With recurrence 0 the CCHead is a 1x1 FCN head; the logits at every
    target pixel then have zero gradient with respect to every key pixel.
    """
    cfg = Config.fromfile(CONFIG)
    cfg.model.decode_head.recurrence = 0
    model = MODELS.build(cfg.model).eval()
    assert model.backbone.receptive_field // 2 < layout.CELL - layout.PATCH
    rng = __import__('numpy').random.default_rng(0)
    image, label, level = layout.render(rng)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    x.requires_grad_(True)
    logits = model.encode_decode(x, [dict(img_shape=(64, 64))])
    targets = torch.from_numpy(level > 0)
    (logits[0][:, targets]).sum().backward()
    keys = torch.from_numpy((level == 0) & (label > 0))
    assert x.grad[0][:, keys].abs().max() == 0
    assert x.grad[0][:, targets].abs().max() > 0
