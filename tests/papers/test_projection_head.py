"""Oracles for nonlinlab.papers.projection_head (fast: about two seconds, no image training)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.models.ssl import info_nce
from nonlinlab.papers import projection_head as P

SIGMA = np.array(P.SIGMA)


def test_gd_reaches_closed_form_and_progressive_weighting():
    cfg = P.CONFIGS.ci
    r = P.run_linear(cfg.replace(mc_samples=1000), seed=3)
    cf = P.closed_form(SIGMA, SIGMA.size)
    np.testing.assert_allclose(r["W1"].T @ r["W1"], cf["pre_gram"], atol=1e-4)  # W₁ᵀW₁ = S^½
    W = r["W2"] @ r["W1"]
    np.testing.assert_allclose(W.T @ W, cf["P"], atol=1e-4)                    # WᵀW = S
    np.testing.assert_allclose(r["pre"], SIGMA ** 0.25, rtol=1e-4)
    np.testing.assert_allclose(r["post"], SIGMA ** 0.5, rtol=1e-4)
    assert r["slope_pre"] == pytest.approx(0.25, abs=1e-3)
    assert r["slope_post"] == pytest.approx(0.5, abs=1e-3)
    assert r["loss"] == pytest.approx(cf["loss"], rel=1e-6)
    # the weakest feature is better served before the head, the strongest after it
    assert r["err_pre"][-1] < r["err_post"][-1] and r["err_pre"][0] > r["err_post"][0]


def test_closed_form_is_the_minimiser_and_keeps_top_p():
    cf = P.closed_form(SIGMA, 3)
    assert np.count_nonzero(np.diag(cf["P"])) == 3 and cf["P"][0, 0] == SIGMA[0]
    rng = np.random.default_rng(0)
    for _ in range(20):  # no random rank-3 W does better
        W = rng.normal(size=(3, SIGMA.size)) * 0.5
        assert P.population_loss(W, SIGMA) >= cf["loss"] - 1e-12


def test_population_loss_matches_monte_carlo():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(4, SIGMA.size)) * 0.4
    pop = P.population_loss(W, SIGMA)
    mc = P.monte_carlo_loss(W, SIGMA, 200_000, seed=2)
    P_ = W.T @ W
    scale = 2 * abs(np.trace(P_ @ np.diag(SIGMA))) + np.sum(P_ * P_)  # size of the two terms
    assert abs(mc - pop) < 0.02 * scale
    x, xp, _ = P.sample_pairs(SIGMA, 100_000, seed=0)
    np.testing.assert_allclose(np.mean(x * xp, 0), SIGMA, atol=0.01)  # E[x x⁺ᵀ] = diag(σ)


def test_ridge_error_against_direct_solution_and_sklearn():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(4)
    A = rng.normal(size=(5, SIGMA.size))
    lam, j = 0.05, 2
    c2 = np.trace(A.T @ A)
    Sigma, b = A @ A.T / c2, A[:, j] / np.sqrt(c2)      # E[hhᵀ], E[h x_j]
    w = np.linalg.solve(Sigma + lam * np.eye(5), b)
    direct = 1 - 2 * w @ b + w @ Sigma @ w + lam * w @ w
    assert P.ridge_downstream_error(A, j, lam) == pytest.approx(direct, rel=1e-10)
    # diagonal representation: λ / (g_j + λ)
    D = np.diag([1.0, 0.5, 0.1])
    g = np.diag(D) ** 2 / np.sum(np.diag(D) ** 2)
    assert P.ridge_downstream_error(D, 2, lam) == pytest.approx(lam / (g[2] + lam))
    # scikit-learn's Ridge on samples recovers the population coefficients
    x = rng.normal(size=(50_000, SIGMA.size))
    h = x @ A.T / np.sqrt(c2)
    fit = Ridge(alpha=lam * len(x), fit_intercept=False).fit(h, x[:, j])
    np.testing.assert_allclose(fit.coef_, w, atol=0.03)


def test_balanced_init():
    W1, W2 = P.balanced_init(6, 6, 0.1, seed=0)
    np.testing.assert_allclose(W1 @ W1.T, W2.T @ W2, atol=1e-14)
    with pytest.raises(ValueError):
        P.balanced_init(3, 4, 0.1, seed=0)


def test_supcon_with_distinct_labels_is_nt_xent():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(8, 5, generator=g), torch.randn(8, 5, generator=g)
    assert float(P.supcon_loss(z1, z2, torch.arange(8), 0.5)) == pytest.approx(
        float(info_nce(z1, z2, 0.5)), rel=1e-6)


def test_supcon_against_loop():
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    y = torch.tensor([0, 1, 0, 1, 1, 0])
    z = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    yy = torch.cat([y, y])
    total = 0.0
    for i in range(12):
        den = sum(torch.exp(z[i] @ z[a] / 0.1) for a in range(12) if a != i)
        pos = [p for p in range(12) if p != i and yy[p] == yy[i]]
        total += -sum(torch.log(torch.exp(z[i] @ z[p] / 0.1) / den) for p in pos) / len(pos)
    assert float(P.supcon_loss(z1, z2, y, 0.1)) == pytest.approx(float(total) / 12, rel=1e-5)


def test_reweight_head_and_bad_input():
    head = P.ReweightHead(4, 2.0)
    out = head(torch.ones(1, 4))
    np.testing.assert_allclose(out.numpy()[0], [1, 0.5, 0.25, 0.125])
    assert not list(head.parameters())  # fixed, not trained
    with pytest.raises(ValueError):
        P.ReweightHead(4, 0.5)
    assert isinstance(P.Net(8, P.CE_VARIANT).head, torch.nn.Sequential)
    with pytest.raises(ValueError):
        P.Net(8, "mlp-head")
    with pytest.raises(ValueError):
        P.closed_form([0.5, 0.0], 2)
    with pytest.raises(ValueError):
        P.supcon_loss(torch.zeros(3, 2), torch.zeros(3, 2), torch.arange(4))
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(kappa=0.5)


def test_net_pre_and_post_features():
    net = P.Net(16, "head").eval()
    x = np.random.default_rng(0).random((5, 1, 28, 28)).astype(np.float32)
    pre, post = P.features(net, x, post=False), P.features(net, x, post=True)
    assert pre.shape == (5, 16) and post.shape == (5, 16) and (pre >= 0).all()
    assert not torch.allclose(pre, post)


def test_coarse_labels():
    np.testing.assert_array_equal(P.coarse_labels([0, 1, 2, 7]), [0, 1, 0, 1])


def test_estimates_fit_budgets():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]


def test_label_scarce_probe_is_the_mean_over_label_draws():
    from nonlinlab.data.mnist import ImageSplit
    rng = np.random.default_rng(0)
    x = rng.random((240, 1, 28, 28)).astype(np.float32)
    y = np.tile(np.arange(10), 24)
    data = ImageSplit(x_train=x[:200], y_train=y[:200], x_test=x[200:], y_test=y[200:])
    cfg = P.CONFIGS.ci.replace(width=8, epochs=1, batch=100, shots=3, shot_draws=3)
    res = P.run_images(data, cfg, seed=0, variants=("head",))[("head", "pre")]
    assert res["fine_few_draws"].shape == (3,)
    assert res["fine_few"] == pytest.approx(res["fine_few_draws"].mean())
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(shot_draws=0)
