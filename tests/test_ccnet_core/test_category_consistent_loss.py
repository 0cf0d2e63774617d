# Copyright (c) mmseg-ccnet contributors. All rights reserved.
import pytest
import torch

from ccnet_core import CategoryConsistentLoss
from ccnet_core.category_consistent_loss import phi_dis, phi_var
from reference import category_consistent_terms

DELTA_V, DELTA_D, IGNORE = 0.5, 1.5, 255


def clustered(num_categories: int, spacing: float, batch: int = 2,
              dim: int = 4, size=(8, 7), seed: int = 0):
    """Float64 features scattered around category centres, with labels.

    Centre ``c`` lies at ``c * spacing`` along one axis, so the gaps
    between means are about multiples of ``spacing``; each pixel sits at a
    random distance of 0 to 2.6 from its centre, so pixel-to-mean distances
    fall on both sides of ``delta_v`` and ``delta_d``. About 10% of the
    pixels are ignored.
    """
    gen = torch.Generator().manual_seed(seed)
    label = torch.randint(0, num_categories, (batch, *size), generator=gen)
    centres = torch.zeros(num_categories, dim, dtype=torch.float64)
    centres[:, 0] = torch.arange(num_categories) * spacing
    direction = torch.randn(batch, *size, dim, generator=gen,
                            dtype=torch.float64)
    direction /= direction.norm(dim=-1, keepdim=True)
    radius = torch.rand(batch, *size, 1, generator=gen,
                        dtype=torch.float64) * 2.6
    feature = (centres[label] + radius * direction).permute(0, 3, 1, 2)
    label[torch.rand(label.shape, generator=gen) < 0.1] = IGNORE
    return feature.contiguous(), label


def reference(feature, label):
    return category_consistent_terms(feature, label, DELTA_V, DELTA_D,
                                     IGNORE)


def test_phi_var_and_phi_dis_on_each_branch():
    d = torch.tensor([0.0, 0.5, 0.8, 1.5, 2.0, 4.0], dtype=torch.float64)
    torch.testing.assert_close(
        phi_var(d, DELTA_V, DELTA_D),
        torch.tensor([0.0, 0.0, 0.09, 1.0, 1.5, 3.5], dtype=torch.float64))
    torch.testing.assert_close(
        phi_dis(d, DELTA_D),
        torch.tensor([9.0, 6.25, 4.84, 2.25, 1.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(
        phi_dis(torch.tensor([3.0, 3.5]), DELTA_D), torch.zeros(2))


# (categories, spacing of the centres, which phi_dis branches to reach)
CASES = {
    'one category': (1, 0.0, set()),
    'two near': (2, 1.0, {'near'}),
    'two far': (2, 5.0, {'far'}),
    'many': (7, 1.2, {'near', 'far'}),
}


@pytest.mark.parametrize('case', list(CASES))
def test_terms_equal_the_reference(case):
    num_categories, spacing, gap_branches = CASES[case]
    feature, label = clustered(num_categories, spacing)
    expected = reference(feature, label)
    distances = torch.tensor(expected['distances'])
    # the input reaches all three branches of phi_var ...
    assert (distances <= DELTA_V).any()
    assert ((distances > DELTA_V) & (distances <= DELTA_D)).any()
    assert (distances > DELTA_D).any()
    # ... and the intended ones of phi_dis
    gaps = torch.tensor(expected['gaps'])
    reached = {'near'} if (gaps <= 2 * DELTA_D).any() else set()
    reached |= {'far'} if (gaps > 2 * DELTA_D).any() else set()
    assert reached == gap_branches

    terms = CategoryConsistentLoss().terms(feature, label)
    torch.testing.assert_close(
        torch.stack(terms, dim=1),
        torch.tensor(expected['terms'], dtype=torch.float64))


def test_loss_combines_the_terms_with_their_weights():
    feature, label = clustered(5, 1.2, batch=3)
    loss = CategoryConsistentLoss(
        alpha=2.0, beta=3.0, gamma=0.5, loss_weight=0.7)
    per_image = [
        2.0 * var + 3.0 * dis + 0.5 * reg
        for var, dis, reg in reference(feature, label)['terms']
    ]
    expected = 0.7 * sum(per_image) / 3
    assert loss(feature, label).item() == pytest.approx(expected, rel=1e-9)


def test_default_hyperparameters_are_the_papers():
    loss = CategoryConsistentLoss()
    assert (loss.delta_v, loss.delta_d, loss.alpha, loss.beta,
            loss.gamma) == (0.5, 1.5, 1.0, 1.0, 0.001)
    assert (loss.ignore_index, loss.loss_weight,
            loss.loss_name) == (255, 1.0, 'loss_ccl')


def test_one_category_has_no_distance_term_and_finite_gradient():
    feature, label = clustered(1, 0.0)
    feature.requires_grad_(True)
    l_var, l_dis, l_reg = CategoryConsistentLoss().terms(feature, label)
    assert l_dis.eq(0).all() and l_var.gt(0).all() and l_reg.gt(0).all()
    (l_var + l_dis + l_reg).sum().backward()
    assert torch.isfinite(feature.grad).all()


def test_all_ignore_image_contributes_zero():
    feature, label = clustered(4, 1.2, batch=2)
    label[1] = IGNORE
    feature.requires_grad_(True)
    loss = CategoryConsistentLoss()
    value = loss(feature, label)
    value.backward()
    alone = loss(feature[:1], label[:1])
    assert value.item() == pytest.approx(alone.item() / 2, rel=1e-12)
    assert feature.grad[1].eq(0).all() and torch.isfinite(feature.grad).all()


def test_all_ignore_batch_gives_zero_and_zero_gradient():
    feature = torch.randn(2, 4, 3, 3, requires_grad=True)
    label = torch.full((2, 3, 3), IGNORE)
    value = CategoryConsistentLoss()(feature, label)
    value.backward()
    assert value.item() == 0 and feature.grad.eq(0).all()


def test_coinciding_means_and_single_pixels_give_finite_gradients():
    """Zero distances (a one-pixel category, equal means) are safe."""
    feature = torch.zeros(1, 3, 2, 2, requires_grad=True)
    label = torch.tensor([[[0, 1], [2, 2]]])
    value = CategoryConsistentLoss()(feature, label)
    value.backward()
    assert value.item() == pytest.approx(9.0)  # phi_dis(0) for all pairs
    assert torch.isfinite(feature.grad).all()


def test_labels_are_resized_by_nearest_neighbour():
    feature, _ = clustered(3, 1.2, size=(4, 5))
    label = torch.randint(0, 3, (2, 8, 10))
    label[:, :2] = IGNORE
    loss = CategoryConsistentLoss()
    torch.testing.assert_close(
        loss(feature, label), loss(feature, label[:, ::2, ::2]))


def test_gradcheck_float64():
    feature, label = clustered(3, 1.2, batch=2, dim=3, size=(3, 4), seed=1)
    feature.requires_grad_(True)
    loss = CategoryConsistentLoss(gamma=0.1)
    assert torch.autograd.gradcheck(lambda f: loss(f, label), (feature, ))


def test_bfloat16_autocast():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(8, 4, 1)
    label = torch.randint(0, 3, (2, 6, 6))
    label[0, :3] = IGNORE
    loss = CategoryConsistentLoss()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feature = conv(torch.randn(2, 8, 6, 6))
        value = loss(feature, label)
    assert feature.dtype == torch.bfloat16
    assert value.dtype == torch.float32 and torch.isfinite(value)
    assert value.item() == loss(feature.float(), label).item()
    value.backward()
    assert torch.isfinite(conv.weight.grad).all()
    assert conv.weight.grad.abs().sum() > 0


def test_rejects_delta_v_above_delta_d():
    with pytest.raises(ValueError, match='delta_v <= delta_d'):
        CategoryConsistentLoss(delta_v=2.0, delta_d=1.5)
