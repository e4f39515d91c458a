"""Oracles for nonlinlab.papers.sldc_drift_compensation (fast: no CNN training)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import sldc_drift_compensation as P


def paired(n=400, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    fb = torch.randn(n, d, generator=g, dtype=torch.float64).abs() + 0.1
    M = torch.eye(d, dtype=torch.float64) + 0.3 * torch.randn(d, d, generator=g,
                                                             dtype=torch.float64)
    return fb, fb @ M


def test_sce_matches_hand_computation():
    logits = torch.tensor([[2.0, 0.5, -1.0]], dtype=torch.float64)
    p = np.exp([2.0, 0.5, -1.0])
    p /= p.sum()
    # target class 1; the clamped one-hot (1e-4 off the target) enters CE too, as in the code
    ce = -np.log(p[1]) - 1e-4 * (np.log(p[0]) + np.log(p[2]))
    rce = -(p[0] * np.log(1e-4) + p[2] * np.log(1e-4))   # log(1) = 0 for the target
    got = P.sce_loss(logits, torch.tensor([1])).item()
    assert got == pytest.approx(0.5 * ce + 0.5 * rce, rel=1e-10)


def test_linear_operator_is_sklearn_ridge_without_intercept():
    from sklearn.linear_model import Ridge

    fb, fa = paired()
    W, w = P.linear_operator(fb, fa)
    assert w == pytest.approx(math.exp(-400 / 6))
    X = (fb / fb.norm(dim=1, keepdim=True)).numpy()
    Y = (fa / fa.norm(dim=1, keepdim=True)).numpy()
    ref = Ridge(alpha=P.GAMMA_1, fit_intercept=False).fit(X, Y).coef_.T
    np.testing.assert_allclose(W.numpy(), ref, atol=1e-6)
    # few pairs: the operator is shrunk towards the identity by w = exp(-n / (alpha_t d))
    W5, w5 = P.linear_operator(fb[:5], fa[:5])
    raw = torch.linalg.solve(torch.as_tensor(X[:5]).T @ torch.as_tensor(X[:5])
                             + P.GAMMA_1 * torch.eye(6, dtype=torch.float64),
                             torch.as_tensor(X[:5]).T @ torch.as_tensor(Y[:5]))
    assert w5 == pytest.approx(math.exp(-5 / 6))
    np.testing.assert_allclose(W5, (1 - w5) * raw + w5 * torch.eye(6, dtype=torch.float64),
                               atol=1e-10)
    with pytest.raises(ValueError, match="shape"):
        P.linear_operator(fb, fa[:, :3])
    # the chapter's default: the same ridge on the raw (un-normalised) pairs
    Wr, _ = P.linear_operator(fb, fa, normalise=False)
    ref = Ridge(alpha=P.GAMMA_1, fit_intercept=False).fit(fb.numpy(), fa.numpy()).coef_.T
    np.testing.assert_allclose(Wr.numpy(), ref, atol=1e-6)
    assert not P.CONFIGS.ci.op_normalise


def test_linear_push_forward_matches_monte_carlo():
    g = torch.Generator().manual_seed(1)
    d = 5
    A = torch.randn(d, d, generator=g, dtype=torch.float64)
    st = {3: P.Gaussian(torch.randn(d, generator=g, dtype=torch.float64), A @ A.T / d)}
    W = torch.eye(d, dtype=torch.float64) + 0.2 * torch.randn(d, d, generator=g,
                                                             dtype=torch.float64)
    out = P.push_linear(st, W)[3]
    x = st[3].mean + torch.randn(200_000, d, generator=g, dtype=torch.float64) @ \
        torch.linalg.cholesky(st[3].cov).T
    y = x @ W
    np.testing.assert_allclose(out.mean, y.mean(0), atol=0.02)
    cov = out.cov - P.COV_EPS_LINEAR * torch.eye(d, dtype=torch.float64)
    rel = torch.linalg.norm(torch.cov(y.T) - cov) / torch.linalg.norm(cov)
    assert rel < 0.02


def test_identity_operators_keep_the_statistics():
    fb, _ = paired(d=4)
    st = P.class_stats(fb, np.repeat([0, 1], 200))
    np.testing.assert_allclose(st[0].cov, torch.cov(fb[:200].T), atol=1e-12)
    Z = torch.randn(50_000, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    weak = P.WeakNonlinear(4)  # alpha = (1, 0, 0), A = I: a convex mix dominated by x
    x = torch.rand(10, 4)
    s = torch.softmax(torch.tensor([1.0, 0.0, 0.0]), 0)
    np.testing.assert_allclose(weak(x).detach(), s[0] * x + s[1] * x + s[2] * weak.mlp(x).detach(),
                               atol=1e-6)
    out = P.push_sampled(st, torch.nn.Identity(), normalised=True, Z=Z)
    # 10·d samples: the mean is re-estimated within sampling noise of the covariance
    for c in st:
        err = (out[c].mean - st[c].mean).abs().max()
        assert err < 4 * st[c].cov.diag().sqrt().max() / math.sqrt(40)
    assert P.cosine_drift(st, st) == pytest.approx(0.0, abs=1e-12)


def test_sdc_shifts_by_the_kernel_weighted_drift():
    fb, _ = paired()
    delta = torch.tensor([0.5, -0.2, 0.0, 0.1, 0.3, -0.4], dtype=torch.float64)
    st = P.class_stats(fb, np.repeat([0, 1], 200))
    out = P.push_sdc(st, fb, fb + delta)  # a constant drift moves every mean by it
    for c in st:
        np.testing.assert_allclose(out[c].mean, st[c].mean + delta, atol=1e-12)
        np.testing.assert_array_equal(out[c].cov, st[c].cov)


def test_stacked_refinement_equals_separate_runs():
    fb, fa = paired(d=8)
    y = np.repeat([2, 5], 200)
    s1, s2 = P.class_stats(fb, y), P.class_stats(fa, y)
    Z = torch.randn(2000, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    head = torch.nn.Linear(8, 10)
    both = P.refine_heads(head, [s1, s2], n_per_class=32, Z=Z, seed=3)
    one = P.refine_heads(head, [s2], n_per_class=32, Z=Z, seed=3)
    np.testing.assert_allclose(both[1].weight.detach(), one[0].weight.detach(), atol=1e-5)
    assert not torch.allclose(both[0].weight, both[1].weight)
    # one starting head per statistics set (the two streams of a task refined together)
    other = torch.nn.Linear(8, 10)
    pair = P.refine_heads([other, head], [s1, s2], n_per_class=32, Z=Z, seed=3)
    np.testing.assert_allclose(pair[1].weight.detach(), one[0].weight.detach(), atol=1e-5)
    alone = P.refine_heads(other, [s1], n_per_class=32, Z=Z, seed=3)
    np.testing.assert_allclose(pair[0].weight.detach(), alone[0].weight.detach(), atol=1e-5)
    with pytest.raises(ValueError, match="heads for"):
        P.refine_heads([head], [s1, s2], n_per_class=8, Z=Z, seed=0)
    with pytest.raises(ValueError, match="same classes"):
        P.refine_heads(head, [s1, {2: s1[2]}], n_per_class=8, Z=Z, seed=0)


def test_compensators_fit_a_linear_drift():
    fb, fa = paired(d=6)
    weak, mlp = P.fit_compensators(fb, fa, steps=150, seed=0)
    xn = torch.nn.functional.normalize(fb, dim=1).float()
    yn = torch.nn.functional.normalize(fa, dim=1).float()
    before = ((xn - yn) ** 2).mean()
    assert ((weak(xn) - yn) ** 2).mean() < before


def test_errors_and_budgets():
    with pytest.raises(ValueError, match="covariance"):
        P.Gaussian(torch.zeros(3, dtype=torch.float64), torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError):
        P.Config(n_tasks=4).check()  # 8 classes do not split into 3 tasks
    ci, full = P.CONFIGS.ci, P.CONFIGS.full
    ci.check()
    full.check()
    assert P.estimate_seconds(ci) <= 60
    assert P.estimate_seconds(full) <= BUDGET_S["full"]
    assert P.sklearn_digits_14px()[0].shape[1:] == (1, 14, 14)
