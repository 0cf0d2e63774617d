# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Memory-efficient criss-cross attention as one autograd function.

For an input ``x`` of shape (B, C, H, W) the function computes
``x + W_v' z + b_v'`` with ``z_u = sum_p A_up x_p``, where ``A_u`` is the
softmax over the criss-cross path of position ``u`` of the energies
``q_u . k_p`` (``q``, ``k`` the query and key 1x1 convolutions of ``x``) and
``W_v' = gamma W_v``, ``b_v' = gamma b_v`` the value convolution scaled by
``gamma``. This equals ``gamma * sum_p A_up (W_v x_p + b_v) + x``, the output
of :class:`~ccnet_core.CrissCrossAttention`, because a 1x1
convolution acts on channels only and every ``A_u`` sums to 1: the value
convolution commutes with the aggregation.

What keeps memory and time low:

* Nothing of size (B, C, H, W) is saved for backward but the input ``x``,
  which the graph holds anyway: backward recomputes the query and key
  (C / 4 channels), the attention weights (from the saved log-sum-exp of
  every position's energies) and ``z``. The value map ``W_v x`` is never
  formed.
* Column and row energies stay two tensors; one softmax runs over both
  through their common log-sum-exp, so the (H + W)-wide concatenation is
  never built.
* The attention runs one sample at a time on (H, W, C) views of the
  feature maps: a row of a sample is a (W, C) matrix, a column an (H, C)
  matrix, so the products along rows and columns are batched matrix
  products on views, without permuted copies of the feature maps. Only
  where a column of an NCHW map is not a valid matrix operand, a block of
  the sample's columns of at most :data:`BLOCK_ELEMENTS` elements (at least
  one column) is copied at a time: small maps take one product per
  direction, large maps a bounded temporary buffer.

Under ``torch.autocast`` the products run in the autocast dtype, except
those that make the energies ``q_u . k_p``: the query and key projections,
the energies, the softmax and its statistics are computed in float32 (or the
input's dtype if wider), so that the weights are float32's: activations that
float16 cannot multiply without overflow (energies above 65504) give the
weights that float32 gives, and energies of large activations are not
rounded through a query and key in the autocast dtype. The residual stays in
the input's dtype. The einsum formulation of
:class:`~ccnet_core.CrissCrossAttention` does the same.
"""
from typing import List, Optional, Tuple

import torch
from torch import Tensor
from torch.autograd import Function
from torch.autograd.function import FunctionCtx, once_differentiable

#: The columns of a sample are processed in blocks of at most this many
#: elements (4 MiB in float32), which bounds the temporary buffers of the
#: column products.
BLOCK_ELEMENTS = 1 << 20


def column_blocks(t: Tensor) -> List[slice]:
    """Split the columns of an (H, W, C) tensor into blocks.

    Args:
        t (Tensor): Tensor of shape (H, W, C).

    Returns:
        list[slice]: Consecutive slices covering ``range(W)``, each of at
        most :data:`BLOCK_ELEMENTS` elements of ``t`` or one column.
    """
    height, width, channels = t.shape
    step = max(1, BLOCK_ELEMENTS // max(1, height * channels))
    return [slice(j, j + step) for j in range(0, width, step)]


def columns(t: Tensor, block: slice) -> Tensor:
    """A block of columns of an (H, W, C) tensor as a batch of matrices.

    Args:
        t (Tensor): Tensor of shape (H, W, C).
        block (slice): The columns.

    Returns:
        Tensor: View of shape (w, H, C), one (H, C) matrix per column.
    """
    return t[:, block].transpose(0, 1)


def sample_view(x: Tensor, index: int) -> Tensor:
    """One sample of a feature map as an (H, W, C) view.

    Args:
        x (Tensor): Feature map of shape (B, C, H, W).
        index (int): The sample.

    Returns:
        Tensor: View of shape (H, W, C).
    """
    return x[index].permute(1, 2, 0)


def path_products(u: Tensor, v: Tensor) -> Tuple[Tensor, Tensor]:
    """Dot products ``u_i . v_p`` of every position with its criss-cross.

    Args:
        u (Tensor): Tensor of shape (H, W, C').
        v (Tensor): Tensor of shape (H, W, C').

    Returns:
        tuple[Tensor, Tensor]: ``col`` of shape (W, H, H) with
        ``col[j, i, k] = u[i, j] . v[k, j]`` and ``row`` of shape (H, W, W)
        with ``row[i, j, k] = u[i, j] . v[i, k]``.
    """
    height, width, _ = u.shape
    col = u.new_empty(width, height, height)
    for block in column_blocks(u):
        torch.bmm(
            columns(u, block),
            columns(v, block).transpose(1, 2),
            out=col[block])
    return col, torch.bmm(u, v.transpose(1, 2))


def gather_path(col: Tensor, row: Tensor, values: Tensor,
                out: Tensor) -> Tensor:
    """Weighted sums ``out_u = sum_p w_up values_p`` over criss-cross paths.

    Args:
        col (Tensor): Column weights of shape (W, H, H), indexed as the
            ``col`` of :func:`path_products`.
        row (Tensor): Row weights of shape (H, W, W), indexed as its ``row``.
        values (Tensor): Tensor of shape (H, W, C').
        out (Tensor): Contiguous tensor of shape (H, W, C') to write to.

    Returns:
        Tensor: ``out``.
    """
    torch.bmm(row, values, out=out)
    for block in column_blocks(values):
        out[:, block] += torch.bmm(col[block],
                                   columns(values, block)).transpose(0, 1)
    return out


def scatter_path(col: Tensor, row: Tensor, values: Tensor,
                 out: Tensor) -> Tensor:
    """The transpose of :func:`gather_path`: ``out_p = sum_u w_up values_u``.

    Args:
        col (Tensor): Column weights of shape (W, H, H).
        row (Tensor): Row weights of shape (H, W, W).
        values (Tensor): Tensor of shape (H, W, C').
        out (Tensor): Contiguous tensor of shape (H, W, C') to write to.

    Returns:
        Tensor: ``out``.
    """
    return gather_path(col.transpose(1, 2), row.transpose(1, 2), values, out)


def path_softmax(query: Tensor,
                 key: Tensor,
                 log_normalizer: Optional[Tensor] = None
                 ) -> Tuple[Tensor, Tensor, Tensor]:
    """Attention weights of every position over its criss-cross path.

    The position itself lies on its column and its row; it is counted once,
    in the row (its column energy is masked with -inf). The energies and one
    softmax over the H + W energies of each position are computed in float32
    (or the dtype of ``query`` if wider).

    Args:
        query (Tensor): Queries of shape (H, W, C').
        key (Tensor): Keys of shape (H, W, C').
        log_normalizer (Tensor, optional): The log-sum-exp of every
            position's energies, of shape (H, W), as returned by an earlier
            call with the same query and key; computed when None.

    Returns:
        tuple[Tensor, Tensor, Tensor]: Column weights (W, H, H) and row
        weights (H, W, W), indexed as in :func:`path_products`, and the
        log-sum-exp (H, W).
    """
    dtype = torch.promote_types(query.dtype, torch.float32)
    col, row = path_products(query.to(dtype), key.to(dtype))
    col = col.masked_fill_(
        torch.eye(col.size(-1), dtype=torch.bool, device=col.device),
        float('-inf'))
    if log_normalizer is None:
        log_normalizer = torch.logaddexp(row.logsumexp(-1),
                                         col.logsumexp(-1).t())
    col = col.sub_(log_normalizer.t().unsqueeze(-1)).exp_()
    row = row.sub_(log_normalizer.unsqueeze(-1)).exp_()
    return col, row, log_normalizer


def add_product(residual: Tensor, weight: Tensor, features: Tensor,
                out: Tensor) -> Tensor:
    """``residual + weight @ features`` in the dtype of ``residual``.

    Args:
        residual (Tensor): Matrix of shape (M, N).
        weight (Tensor): Matrix of shape (M, K).
        features (Tensor): Matrix of shape (K, N) in ``weight``'s dtype,
            which may be narrower than ``residual``'s (autocast).
        out (Tensor): Matrix of shape (M, N) in ``residual``'s dtype.

    Returns:
        Tensor: ``out``.
    """
    if residual.dtype == features.dtype:
        return torch.addmm(residual, weight, features, out=out)
    return torch.add(residual, weight.mm(features), out=out)


def autocast_dtype(device_type: str) -> Optional[torch.dtype]:
    """The dtype of ``torch.autocast`` on a device, if it is enabled.

    Args:
        device_type (str): E.g. ``'cpu'`` or ``'cuda'``.

    Returns:
        torch.dtype | None: The autocast dtype, or None if autocast is off.
    """
    if not hasattr(torch, 'get_autocast_dtype'):  # torch < 2.4
        if device_type == 'cpu' and torch.is_autocast_cpu_enabled():
            return torch.get_autocast_cpu_dtype()
        if device_type == 'cuda' and torch.is_autocast_enabled():
            return torch.get_autocast_gpu_dtype()
        return None
    if torch.is_autocast_enabled(device_type):
        return torch.get_autocast_dtype(device_type)
    return None


def compute_dtype(x: Tensor) -> torch.dtype:
    """The dtype of the matrix products: autocast's if enabled, else x's.

    Args:
        x (Tensor): The input feature map.

    Returns:
        torch.dtype: The dtype.
    """
    return autocast_dtype(x.device.type) or x.dtype


def energy_dtype(x: Tensor) -> torch.dtype:
    """The dtype of the query, the key, the energies and the softmax.

    Args:
        x (Tensor): The input feature map.

    Returns:
        torch.dtype: float32, or the dtype of ``x`` if wider.
    """
    return torch.promote_types(x.dtype, torch.float32)


def query_key(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """Query and key maps, channels last, in :func:`energy_dtype`.

    Args:
        x (Tensor): Feature map of shape (B, C, H, W).
        weight (Tensor): Stacked query and key weights, (2 * C', C).
        bias (Tensor): Stacked query and key biases, (2 * C', ).

    Returns:
        Tensor: Tensor of shape (B, H, W, 2 * C'); the first C' channels are
        the query, the others the key.
    """
    batch, _, height, width = x.shape
    dtype = energy_dtype(x)
    qk = torch.baddbmm(
        bias.to(dtype),
        x.to(dtype).flatten(2).transpose(1, 2),
        weight.to(dtype).t().expand(batch, -1, -1))
    return qk.view(batch, height, width, weight.size(0))


def attention_backward(col: Tensor, row: Tensor, query: Tensor, key: Tensor,
                       values: Tensor, grad_z: Tensor, grad_query: Tensor,
                       grad_key: Tensor) -> None:
    """Backward of the attention weights of one sample.

    For ``z = gather_path(col, row, values)`` with the weights of
    :func:`path_softmax`, writes the gradients of the query and the key.

    Args:
        col (Tensor): Column weights (W, H, H).
        row (Tensor): Row weights (H, W, W).
        query (Tensor): Queries (H, W, C').
        key (Tensor): Keys (H, W, C').
        values (Tensor): The aggregated values (H, W, C).
        grad_z (Tensor): Gradient of ``z``, (H, W, C).
        grad_query (Tensor): Contiguous (H, W, C') output.
        grad_key (Tensor): Contiguous (H, W, C') output.
    """
    # dE = A * (dA - sum_p A dA), with dA_up = dz_u . values_p
    grad_col, grad_row = (
        g.to(col.dtype) for g in path_products(grad_z, values))
    grad_col.mul_(col)
    grad_row.mul_(row)
    dot = grad_row.sum(-1) + grad_col.sum(-1).t()
    grad_col.addcmul_(col, dot.t().unsqueeze(-1), value=-1)
    grad_row.addcmul_(row, dot.unsqueeze(-1), value=-1)
    grad_col, grad_row = grad_col.to(query.dtype), grad_row.to(query.dtype)
    gather_path(grad_col, grad_row, key, grad_query)
    scatter_path(grad_col, grad_row, query, grad_key)


def sample_backward(query: Tensor, key: Tensor, log_normalizer: Tensor,
                    values: Tensor, grad_out: Tensor, weight: Tensor,
                    grad_weight: Tensor, grad_values: Tensor,
                    grad_query: Tensor, grad_key: Tensor) -> None:
    """Backward of ``W_v' z`` through the aggregation, for one sample.

    Args:
        query (Tensor): Queries (H, W, C').
        key (Tensor): Keys (H, W, C').
        log_normalizer (Tensor): Log-sum-exp of the energies, (H, W).
        values (Tensor): The aggregated values (H, W, C).
        grad_out (Tensor): Gradient of ``W_v' z``, (C, H * W).
        weight (Tensor): ``W_v'`` of shape (C, C).
        grad_weight (Tensor): Gradient of ``W_v'``, accumulated in place.
        grad_values (Tensor): Contiguous (H, W, C) output.
        grad_query (Tensor): Contiguous (H, W, C') output.
        grad_key (Tensor): Contiguous (H, W, C') output.
    """
    col, row, _ = path_softmax(query, key, log_normalizer)
    col_low, row_low = col.to(values.dtype), row.to(values.dtype)
    grad_z = gather_path(col_low, row_low, values,
                         torch.empty_like(grad_values))
    grad_weight += grad_out.mm(grad_z.flatten(0, 1))
    torch.mm(grad_out.t(), weight, out=grad_z.flatten(0, 1))
    attention_backward(col, row, query, key, values, grad_z, grad_query,
                       grad_key)
    scatter_path(col_low, row_low, grad_z, grad_values)


def aggregation_backward(x: Tensor, qk: Tensor, log_normalizers: Tensor,
                         grad_out: Tensor,
                         weight: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Backward of ``W_v' z`` through the aggregation, sample by sample.

    Args:
        x (Tensor): Feature map (B, C, H, W), in the dtype of the products.
        qk (Tensor): Query and key (B, H, W, 2 * C').
        log_normalizers (Tensor): Log-sum-exp of the energies, (B, H, W).
        grad_out (Tensor): Gradient of ``W_v' z``, (B, C, H, W), in the
            dtype of the products.
        weight (Tensor): ``W_v'`` of shape (C, C).

    Returns:
        tuple[Tensor, Tensor, Tensor]: The gradients of the aggregated
        values ``x`` through the aggregation, channels last (B, H, W, C), of
        ``qk`` flattened to (B, H * W, 2 * C') and of ``W_v'`` (C, C, in
        float32 or wider).
    """
    query, key = qk.chunk(2, dim=-1)
    grad_values = x.new_empty(qk.shape[:3] + x.shape[1:2])
    grad_query = torch.empty_like(query, memory_format=torch.contiguous_format)
    grad_key = torch.empty_like(grad_query)
    grad_weight = weight.new_zeros(
        weight.shape, dtype=torch.promote_types(weight.dtype, torch.float32))
    for b in range(x.size(0)):
        sample_backward(query[b], key[b], log_normalizers[b],
                        sample_view(x, b), grad_out[b].flatten(1), weight,
                        grad_weight, grad_values[b], grad_query[b],
                        grad_key[b])
    grad_qk = torch.cat([grad_query, grad_key], dim=-1).flatten(1, 2)
    return grad_values, grad_qk, grad_weight


class CrissCrossAttentionFunction(Function):
    """``x + W_v' z + b_v'`` with ``z`` the criss-cross aggregation of ``x``.

    See the module's docstring for the algorithm.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, qk_weight: Tensor,
                qk_bias: Tensor, value_weight: Tensor,
                value_bias: Tensor) -> Tensor:
        """Forward.

        Args:
            ctx (FunctionCtx): Autograd context.
            x (Tensor): Feature map of shape (B, C, H, W).
            qk_weight (Tensor): Query and key weights stacked, of shape
                (2 * C', C).
            qk_bias (Tensor): Query and key biases stacked, of shape
                (2 * C', ).
            value_weight (Tensor): ``gamma * W_v`` of shape (C, C).
            value_bias (Tensor): ``gamma * b_v`` of shape (C, ).

        Returns:
            Tensor: Output of shape (B, C, H, W).
        """
        ctx.dtype = dtype = compute_dtype(x)
        with torch.autocast(x.device.type, enabled=False):
            x_low = x.to(dtype)
            query, key = query_key(x, qk_weight, qk_bias).chunk(2, dim=-1)
            weight = value_weight.to(dtype)
            y = x.new_empty(x.shape)
            z = x_low.new_empty(x.shape[2:] + x.shape[1:2])
            log_normalizers = query.new_empty(query.shape[:3])
            for b in range(x.size(0)):
                col, row, log_normalizers[b] = path_softmax(query[b], key[b])
                gather_path(
                    col.to(dtype), row.to(dtype), sample_view(x_low, b), z)
                add_product(x[b].flatten(1), weight, z.flatten(0, 1).t(),
                            y[b].flatten(1))
            y = y.add_(value_bias.view(-1, 1, 1))
        ctx.save_for_backward(x, log_normalizers, qk_weight, qk_bias,
                              value_weight)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad_y: Tensor) -> Tuple[Tensor, ...]:
        """Backward.

        Args:
            ctx (FunctionCtx): Autograd context.
            grad_y (Tensor): Gradient of the output, (B, C, H, W).

        Returns:
            tuple[Tensor]: Gradients of ``x``, ``qk_weight``, ``qk_bias``,
            ``value_weight`` and ``value_bias``.
        """
        (x, log_normalizers, qk_weight, qk_bias,
         value_weight) = ctx.saved_tensors
        dtype = ctx.dtype
        with torch.autocast(x.device.type, enabled=False):
            grad_values, grad_qk, grad_weight = aggregation_backward(
                x.to(dtype), query_key(x, qk_weight, qk_bias),
                log_normalizers, grad_y.to(dtype), value_weight.to(dtype))
            qk_dtype = grad_qk.dtype
            grad_x = x.new_empty(x.shape)
            for b in range(x.size(0)):
                add_product(grad_y[b].flatten(1),
                            qk_weight.to(qk_dtype).t(), grad_qk[b].t(),
                            grad_x[b].flatten(1))
                grad_x[b] += grad_values[b].permute(2, 0, 1)
            grad_qk_weight = torch.bmm(
                grad_qk.transpose(1, 2),
                x.to(qk_dtype).flatten(2).transpose(1, 2)).sum(0)
        return (grad_x, grad_qk_weight.to(qk_weight.dtype),
                grad_qk.sum((0, 1)).to(qk_bias.dtype),
                grad_weight.to(value_weight.dtype),
                grad_y.sum((0, 2, 3)).to(value_weight.dtype))


def criss_cross_attention(x: Tensor, query_weight: Tensor,
                          query_bias: Tensor, key_weight: Tensor,
                          key_bias: Tensor, value_weight: Tensor,
                          value_bias: Tensor, gamma: Tensor) -> Tensor:
    """Criss-cross attention of CCNet with 1x1 convolution weights.

    Args:
        x (Tensor): Feature map of shape (B, C, H, W).
        query_weight (Tensor): Query conv weight, (C', C, 1, 1).
        query_bias (Tensor): Query conv bias, (C', ).
        key_weight (Tensor): Key conv weight, (C', C, 1, 1).
        key_bias (Tensor): Key conv bias, (C', ).
        value_weight (Tensor): Value conv weight, (C, C, 1, 1).
        value_bias (Tensor): Value conv bias, (C, ).
        gamma (Tensor): Scale of the attended values (a scalar tensor).

    Returns:
        Tensor: ``gamma * attended + x`` of shape (B, C, H, W).
    """
    return CrissCrossAttentionFunction.apply(
        x, torch.cat([query_weight, key_weight]).flatten(1),
        torch.cat([query_bias, key_bias]), gamma * value_weight.flatten(1),
        gamma * value_bias)
