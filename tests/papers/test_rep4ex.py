"""Oracles for nonlinlab.papers.rep4ex (fast: a few seconds, short training only)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.papers import rep4ex as P

CFG = P.CONFIGS.ci


def sample(seed=0, **kw):
    cfg = CFG.replace(**kw)
    return cfg, P.simulate(cfg, np.random.default_rng(seed))


def test_first_stage_ols_matches_sklearn():
    from sklearn.linear_model import LinearRegression

    _, d = sample()
    M, c = P.ols(d["X"][:, :2], d["A"])
    ref = LinearRegression().fit(d["A"], d["X"][:, :2])
    np.testing.assert_allclose(M, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(c, ref.intercept_, atol=1e-10)


def test_mmr_is_the_double_sum_and_detects_nonlinear_conditional_means():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(64, 2, generator=g, dtype=torch.float64) * 2 - 1
    z = torch.randn(64, 2, generator=g, dtype=torch.float64)
    K = P.gaussian_kernel(a)
    psi = P.ols_residual(z, a)
    # residuals are orthogonal to (A, 1): the least-squares normal equations
    np.testing.assert_allclose((torch.cat([a, torch.ones(64, 1, dtype=a.dtype)], 1).T @ psi)
                               .numpy(), 0, atol=1e-10)
    loop = sum(float(psi[i] @ psi[j]) * float(K[i, j]) for i in range(64) for j in range(64))
    assert float(P.mmr(z, a, K, standardise=False)) == pytest.approx(loop / 64**2, rel=1e-10)
    assert float(P.mmr(z, a, K)) >= 0
    # φ = M0 A + V satisfies the constraint, φ = Z³ (conditional mean cubic in A) does not
    rng = np.random.default_rng(1)
    A = rng.uniform(-1, 1, (1000, 2))
    Z = A @ P.M0.T + 0.3 * rng.normal(size=(1000, 2))
    At, Zt = torch.as_tensor(A), torch.as_tensor(Z)
    assert float(P.mmr(Zt**3, At)) > 5 * float(P.mmr(Zt, At))


def test_true_curve_matches_quadrature():
    cfg = CFG.replace(n_mc=200_000)
    a = np.array([[2.0, 0.0], [0.0, -2.5], [0.5, 0.5]])
    mc = P.true_do_curve(a, cfg, np.random.default_rng(0))
    x, w = np.polynomial.hermite_e.hermegauss(80)
    w = w / w.sum()
    m = a @ P.M0.T
    sv = cfg.sigma_v                                  # V_j ~ N(0, sv²)
    quad = [2 * np.sum(w * np.tanh(mi[0] + sv * x)) + 0.5 * (mi[1] ** 2 + sv**2) for mi in m]
    np.testing.assert_allclose(mc, quad, atol=0.02)


def test_control_function_extrapolates_with_true_latents_and_needs_the_control():
    cfg, d = sample(0)
    a, inside = P.test_grid(cfg)
    truth = P.true_do_curve(a, cfg, np.random.default_rng(1))
    with_cf = P.fit_control_function(d["Z"], d["A"], d["Y"], cfg).do(a)
    no_cf = P.fit_control_function(d["Z"], d["A"], d["Y"], cfg, control=False).do(a)
    err = np.mean((with_cf - truth)[~inside] ** 2)
    assert err < 0.3
    assert np.mean((no_cf - truth)[~inside] ** 2) > 10 * err   # confounding bias U = 2 V1
    # affine invariance (Eq. 3): per-coordinate affine maps of Z change nothing
    Zs = d["Z"] * np.array([3.0, 0.5]) + np.array([1.0, 2.0])
    np.testing.assert_allclose(P.fit_control_function(Zs, d["A"], d["Y"], cfg).do(a), with_cf,
                               atol=1e-8)


def test_affine_r2():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(500, 2))
    assert P.affine_r2(Z, Z @ np.array([[2.0, 1.0], [0.0, -1.0]]) + 3) == pytest.approx(1.0)
    assert P.affine_r2(Z, np.tanh(2 * Z) ** 3) < 0.95


def test_mixing_is_injective_and_curved():
    _, d = sample(0)
    g0 = d["g0"]
    np.testing.assert_allclose(g0.inverse(d["X"]), d["Z"], atol=1e-10)
    assert np.allclose(g0.Q @ g0.Q.T, np.eye(len(g0.Q)))
    # clearly non-linear: an affine map of Z explains little of X's curved coordinates
    assert P.affine_r2(d["X"], d["Z"]) < 0.8


def test_mmr_penalty_moves_the_representation_towards_the_constraint():
    cfg, d = sample(0, n=256, steps=80, warmup=20, batch=128, hidden=16)
    rep, tr_rep = P.train_autoencoder(d["X"], d["A"], cfg, 10.0, seed=0)
    ae, tr_ae = P.train_autoencoder(d["X"], d["A"], cfg, 0.0, seed=0)
    assert tr_rep["mmr"][-1] < tr_ae["mmr"][-1]
    assert P.encode(rep, d["X"]).shape == (256, 2)


def test_config_checks_and_budget():
    with pytest.raises(ValueError, match="t_max"):
        CFG.replace(t_max=0.5)
    with pytest.raises(ValueError, match="warmup"):
        CFG.replace(warmup=CFG.steps)
    assert P.estimate_seconds(P.CONFIGS.ci) <= all_chapters()["rep4ex"].ci_budget_s
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
    # every replicate (its own world) is paid for
    one = P.CONFIGS.ci.replace(n_seeds=1)
    assert P.estimate_seconds(P.CONFIGS.ci) == pytest.approx(2 * P.estimate_seconds(one))


def test_restarts_keep_the_lowest_training_objective():
    cfg, d = sample(0, n=300, steps=60, warmup=20, batch=64, hidden=16)
    X, A = d["X"], d["A"]
    # one restart is the plain training run
    one, tr1 = P.fit_autoencoder(X, A, cfg.replace(restarts=1), cfg.lam, seed=3)
    plain, _ = P.train_autoencoder(X, A, cfg, cfg.lam, seed=3)
    for p, q in zip(one.parameters(), plain.parameters(), strict=True):
        assert torch.equal(p, q)
    assert tr1["chosen"] == 0 and len(tr1["objectives"]) == 1 and np.isnan(tr1["objectives"][0])
    # three restarts: the chosen model is the one with the lowest objective, recomputed here
    best, tr3 = P.fit_autoencoder(X, A, cfg.replace(restarts=3), cfg.lam, seed=3)
    assert len(tr3["objectives"]) == 3 and tr3["chosen"] == int(np.argmin(tr3["objectives"]))
    assert P.training_objective(best, X, A, cfg.lam) == pytest.approx(min(tr3["objectives"]))
    # the objective adds λ·MMR to the reconstruction error
    assert P.training_objective(best, X, A, cfg.lam) > P.training_objective(best, X, A, 0.0)
    with pytest.raises(ValueError, match="restarts"):
        CFG.replace(restarts=0)
