# Copyright (c) mmseg-ccnet contributors. All rights reserved.
"""Context maps that follow the attention back through the RCCA passes."""
import torch

from ccnet_tools.analysis.attention_maps import context_maps
from reference import criss_cross_mask


def test_context_maps_compose_the_passes():
    """``propagate`` equals multiplying by the dense attention matrix."""
    torch.manual_seed(0)
    h, w = 4, 5
    mask = criss_cross_mask(h, w)
    dense = []
    attentions = []
    for _ in range(2):
        energy = torch.randn(h * w, h * w).masked_fill(~mask, float('-inf'))
        matrix = energy.softmax(-1)
        dense.append(matrix)
        # criss-cross layout: column entries (k, j) then row entries (i, k)
        per_position = matrix.view(h, w, h, w)
        rows = torch.arange(h)
        cols = torch.arange(w)
        column = per_position[rows[:, None], cols[None], :, cols[None]]
        row = per_position[rows[:, None], cols[None], rows[:, None], :]
        column = column.clone()
        column[rows, :, rows] = 0  # the own position is in the row part
        attentions.append(torch.cat([column, row], -1)[None])
    maps = context_maps(attentions, 2, 3)
    one_hot = torch.zeros(h * w)
    one_hot[2 * w + 3] = 1
    torch.testing.assert_close(maps[0].flatten(), one_hot @ dense[0])
    torch.testing.assert_close(maps[1].flatten(),
                               one_hot @ dense[1] @ dense[0])
    assert maps[1].min() > 0 and maps[0].eq(0).sum() == h * w - (h + w - 1)
