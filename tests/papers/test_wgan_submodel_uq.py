"""Oracles for nonlinlab.papers.wgan_submodel_uq (fast: small grids, no long GAN training)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.models.transport import sliced_wasserstein
from nonlinlab.papers import wgan_submodel_uq as P

SMALL = P.CONFIGS.ci.replace(n_train=40, n_ref=40, n_gen=40, gen_steps=3, batch=16,
                             g_hidden=(16,), d_hidden=(16,))


def inputs(n=16, seed=0, cfg=SMALL):
    return P.sample_inputs(n, cfg, np.random.default_rng(seed))


def test_submodel_with_true_signals_is_the_full_model():
    inp = inputs()
    ia, ib = P.zone_nodes(SMALL)
    u_full = P.full_model(inp, SMALL, np.arange(ia, ib + 1))
    u_sub = P.submodel(u_full[..., [0, -1]], SMALL)
    assert np.abs(u_full).max() > 1e-4  # the waves do reach the zone
    assert np.abs(u_sub - u_full).max() < 1e-15
    # a wrong boundary signal (one step late) does not reproduce it
    late = np.concatenate([u_full[:, :1, [0, -1]], u_full[:, :-1, [0, -1]]], axis=1)
    assert np.abs(P.submodel(late, SMALL) - u_full).max() > 1e-2 * np.abs(u_full).max()


def test_full_model_matches_a_modal_sine_transform_solution():
    """Homogeneous bar (c₂ = 1): each discrete sine mode obeys its own scalar recursion
    a^{k+1} = 2a^k − a^{k−1} − Δt² ω_j² a^k + Δt² f_j^k with ω_j = (2/Δx) sin(jπ/2N)."""
    cfg = SMALL
    inp = inputs(4)
    inp.c2[:] = 1.0
    n, N = len(inp), cfg.n_cells
    u = P.full_model(inp, cfg, np.arange(N + 1))
    j = np.arange(1, N)
    omega2 = (2 / cfg.dx * np.sin(j * np.pi / (2 * N))) ** 2
    shape = P.load_shape(inp, cfg)[:, 1:-1] * inp.amp[:, None]
    f_hat = scipy.fft.dst(shape, type=1, axis=1)
    delay = inp.t0 + 1.2 / cfg.f0
    a_prev, a = np.zeros((n, N - 1)), np.zeros((n, N - 1))
    for k in range(cfg.n_steps):
        src = f_hat * P.ricker(k * cfg.dt - delay, cfg.f0)[:, None]
        a_prev, a = a, 2 * a - a_prev - cfg.dt ** 2 * omega2 * a + cfg.dt ** 2 * src
    u_modal = scipy.fft.idst(a, type=1, axis=1)
    np.testing.assert_allclose(u[:, -1, 1:-1], u_modal, atol=1e-12 * np.abs(u_modal).max())


def test_load_outside_zone_and_config_errors():
    inp = inputs(200)
    ia, ib = P.zone_nodes(SMALL)
    assert (P.load_shape(inp, SMALL)[:, ia:ib + 1] == 0).all()
    assert 0.35 < inp.left.mean() < 0.65
    with pytest.raises(ValueError, match="outside"):
        SMALL.replace(right=(0.82, 0.9))
    with pytest.raises(ValueError, match="CFL"):
        SMALL.replace(per=1)
    with pytest.raises(ValueError, match="shape"):
        P.submodel(np.zeros((2, 5, 2)), SMALL)


def test_signal_vectors_round_trip_and_impact_side():
    inp = inputs(64)
    ia, ib = P.zone_nodes(SMALL)
    g = P.full_model(inp, SMALL, [ia, ib])
    v = P.to_vector(g, SMALL)
    back = P.from_vector(v, SMALL)
    np.testing.assert_allclose(back[:, :: SMALL.per], g[:, :: SMALL.per], atol=1e-15)
    # the spline reproduces a cubic in time exactly
    t = P.times(SMALL)
    cubic = 1 + t - 2 * t ** 2 + 0.5 * t ** 3
    np.testing.assert_allclose(P.interpolation_matrix(SMALL) @ cubic[:: SMALL.per], cubic,
                               atol=1e-10)
    assert (P.side_left(v, SMALL) == inp.left).mean() > 0.95


def test_ks_matches_scipy():
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=300), rng.normal(0.2, 1.1, size=250)
    assert P.ks(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
    assert P.ks(a, a) == 0.0


def test_pca_gaussian_matches_sklearn_and_its_covariance():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 12))
    pca = P.PCAGaussian.fit(x, 0.99)
    ref = PCA(n_components=0.99, svd_solver="full").fit(x)
    assert len(pca.lam) == ref.n_components_
    np.testing.assert_allclose(pca.lam, ref.explained_variance_, rtol=1e-10)
    s = pca.sample(20000, rng)
    cov_model = pca.components.T @ np.diag(pca.lam) @ pca.components
    np.testing.assert_allclose(np.cov(s.T), cov_model, atol=0.05 * np.abs(cov_model).max())
    with pytest.raises(ValueError, match="variance"):
        P.PCAGaussian.fit(x, 1.5)


def test_gradient_penalty_on_a_linear_critic():
    torch.manual_seed(0)
    critic = torch.nn.Linear(7, 1)
    real, fake = torch.randn(32, 7), torch.randn(32, 7)
    gp = P.gradient_penalty(critic, real, fake)
    expected = (critic.weight.norm() - 1) ** 2  # ∇D = w everywhere
    assert float(gp.detach()) == pytest.approx(float(expected.detach()), rel=1e-6)
    gp.backward()  # differentiable w.r.t. the critic's weights (create_graph)
    w = critic.weight.detach()
    np.testing.assert_allclose(critic.weight.grad, 2 * (w.norm() - 1) * w / w.norm(), rtol=1e-5)


def test_sliced_wasserstein_matches_pot():
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(200, 10)), rng.normal(0.3, 1.2, size=(200, 10))
    theta = rng.normal(size=(50, 10))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    ours = sliced_wasserstein(x, y, directions=torch.as_tensor(theta))
    ref = ot.sliced_wasserstein_distance(x, y, projections=theta.T, p=2)
    assert ours == pytest.approx(float(ref), rel=1e-10)


def test_wgan_training_smoke_and_generate():
    x = np.random.default_rng(0).normal(size=(64, 2 * SMALL.n_t))
    G, D, log = P.train_wgan(x, SMALL, seed=0, device="cpu")
    assert len(log.penalty) == SMALL.gen_steps and np.isfinite(log.w_estimate).all()
    g1 = P.generate(G, 5, SMALL, seed=3, device="cpu")
    assert g1.shape == (5, 2 * SMALL.n_t)
    np.testing.assert_array_equal(g1, P.generate(G, 5, SMALL, seed=3, device="cpu"))


def test_estimates_fit_the_budgets():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
