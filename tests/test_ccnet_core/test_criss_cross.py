# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""The memory-efficient criss-cross attention against the dense reference."""
import pytest
import torch

import ccnet_core.criss_cross as ops
from ccnet_core import (
    CrissCrossAttention,
    CrissCrossAttentionFunction,
    criss_cross_attention,
)
from reference import dense_criss_cross

# odd and non-square sizes, H or W = 1, batch > 1, W not a multiple of the
# column blocks and W smaller than their number
SIZES = [(1, 16, 5, 7), (2, 16, 6, 3), (3, 24, 1, 5), (2, 16, 4, 1),
         (1, 8, 1, 1), (2, 32, 9, 11), (1, 16, 13, 17)]


def make_cca(channels: int, seed: int = 0) -> CrissCrossAttention:
    """An efficient CCA with random weights and a non-zero gamma."""
    torch.manual_seed(seed)
    cca = CrissCrossAttention(channels, impl='efficient')
    with torch.no_grad():
        cca.gamma.scale.fill_(0.7)
    return cca


def attend(cca: CrissCrossAttention, x: torch.Tensor) -> torch.Tensor:
    """The functional op with the module's parameters."""
    return criss_cross_attention(x, cca.query_conv.weight,
                                 cca.query_conv.bias, cca.key_conv.weight,
                                 cca.key_conv.bias, cca.value_conv.weight,
                                 cca.value_conv.bias, cca.gamma.scale)


def gradients(out: torch.Tensor, cca: CrissCrossAttention, x: torch.Tensor,
              grad_out: torch.Tensor):
    return torch.autograd.grad(out, [x, *cca.parameters()], grad_out)


@pytest.mark.parametrize('block_elements', [ops.BLOCK_ELEMENTS, 1, 1000])
@pytest.mark.parametrize('shape', SIZES)
def test_forward_and_gradients_equal_dense_reference_float32(
        shape, block_elements, monkeypatch):
    """Also with blocks of one column and of a few columns."""
    monkeypatch.setattr(ops, 'BLOCK_ELEMENTS', block_elements)
    cca = make_cca(shape[1])
    x = torch.randn(*shape, requires_grad=True)
    out = attend(cca, x)
    ref = dense_criss_cross(cca, x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    grad_out = torch.randn_like(out)
    for grad, ref_grad in zip(
            gradients(out, cca, x, grad_out),
            gradients(ref, cca, x, grad_out)):
        torch.testing.assert_close(grad, ref_grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('block_elements', [ops.BLOCK_ELEMENTS, 1])
def test_gradcheck_float64(block_elements, monkeypatch):
    """Finite differences agree with backward, every input at once."""
    monkeypatch.setattr(ops, 'BLOCK_ELEMENTS', block_elements)
    cca = make_cca(8).double()
    x = torch.randn(2, 8, 3, 4, dtype=torch.float64, requires_grad=True)
    inputs = (x, torch.cat([cca.query_conv.weight,
                            cca.key_conv.weight]).flatten(1),
              torch.cat([cca.query_conv.bias, cca.key_conv.bias]),
              0.7 * cca.value_conv.weight.flatten(1),
              0.7 * cca.value_conv.bias)
    inputs = tuple(t.detach().requires_grad_() for t in inputs)
    assert torch.autograd.gradcheck(CrissCrossAttentionFunction.apply,
                                    inputs)


def test_channels_last_input_and_expanded_gradient():
    cca = make_cca(16)
    x = torch.randn(2, 16, 5, 6).to(memory_format=torch.channels_last)
    x.requires_grad_()
    out = attend(cca, x)
    ref = dense_criss_cross(cca, x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    # the gradient of sum() is an expanded (stride 0) tensor
    torch.testing.assert_close(
        torch.autograd.grad(out.sum(), x)[0],
        torch.autograd.grad(ref.sum(), x)[0],
        rtol=1e-5,
        atol=1e-5)


def test_saves_only_the_input_and_small_tensors():
    """Nothing of the size of x is kept for backward but x itself."""
    cca = make_cca(64)
    x = torch.randn(2, 64, 9, 10, requires_grad=True)
    out = attend(cca, x)
    saved = out.grad_fn.saved_tensors
    assert any(t is x for t in saved)
    others = sum(t.numel() for t in saved if t is not x)
    parameters = sum(p.numel() for p in cca.parameters())
    # log-sum-exp per position plus the (stacked, scaled) weights
    assert others <= 2 * 9 * 10 + parameters


def test_no_grad_forward_needs_no_autograd():
    cca = make_cca(16)
    x = torch.randn(2, 16, 5, 4)
    with torch.no_grad():
        out = attend(cca, x)
        torch.testing.assert_close(
            out, dense_criss_cross(cca, x), rtol=1e-5, atol=1e-5)
    assert out.grad_fn is None


@pytest.mark.parametrize('height,width,channels',
                         [(1, 1, 1), (3, 5, 7), (97, 97, 512), (4, 9, 1 << 19),
                          (2, 3, 1 << 21)])
def test_column_blocks_cover_every_column_once(height, width, channels):
    t = torch.empty(height, width, channels)
    blocks = ops.column_blocks(t)
    covered = torch.cat([torch.arange(width)[block] for block in blocks])
    assert torch.equal(covered, torch.arange(width))
    for block in blocks:
        assert (t[:, block].numel() <= ops.BLOCK_ELEMENTS
                or t[:, block].size(1) == 1)


def test_bfloat16_autocast_close_to_float32_reference():
    """Under bfloat16 autocast the products run in bfloat16.

    bfloat16 keeps 8 significant bits, so each rounding of an operand (x,
    the weights, query, key, attention weights, output gradient) has a
    relative error of at most 2**-9, while products accumulate in float32
    and the softmax and residual stay in float32. A few such roundings in
    sequence give errors of a few times 2**-9 of a tensor's magnitude
    (about 1% observed); the tolerance 2**-5 of each tensor's largest
    magnitude leaves a margin of three. The key bias has a zero gradient in
    exact arithmetic (the softmax is invariant to adding ``q_u . b_k`` to
    all of ``u``'s energies), so its rounding noise is measured against the
    key weight's gradient.
    """
    cca = make_cca(32)
    x = torch.randn(2, 32, 9, 11, requires_grad=True)
    ref = dense_criss_cross(cca, x)
    grad_out = torch.randn_like(ref)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = attend(cca, x)
    assert out.dtype == torch.float32
    tolerance = 2**-5
    # the residual x is exact; compare the attention part
    torch.testing.assert_close(
        out - x,
        ref - x,
        rtol=0,
        atol=tolerance * (ref - x).abs().max().item())
    names = ['x'] + [name for name, _ in cca.named_parameters()]
    grads = dict(zip(names, gradients(out, cca, x, grad_out)))
    ref_grads = dict(zip(names, gradients(ref, cca, x, grad_out)))
    for name in names:
        assert grads[name].dtype == torch.float32
        scale_name = 'key_conv.weight' if name == 'key_conv.bias' else name
        scale = ref_grads[scale_name].abs().max().item()
        torch.testing.assert_close(
            grads[name], ref_grads[name], rtol=0, atol=tolerance * scale)
