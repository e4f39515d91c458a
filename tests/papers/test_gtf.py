"""Tests for the generalized-teacher-forcing chapter (lib/nonlinlab/papers/gtf.py)."""

import dataclasses

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S, get_chapter
from nonlinlab.data import dynamics, dynamics_metrics
from nonlinlab.papers import gtf

F64 = torch.float64


def _model(K=2, clipped=True, seed=0, M=3, L=20):
    return gtf.ShPLRNN(M, L, K=K, clipped=clipped, generator=torch.Generator().manual_seed(seed))


def _data(B=4, T=12, M=3, seed=1):
    return torch.randn(B, T, M, generator=torch.Generator().manual_seed(seed), dtype=F64)


def test_budget_and_configs():
    budget = {"ci": get_chapter("gtf").ci_budget_s, "full": BUDGET_S["full"]}
    for name in ("ci", "full"):
        cfg = getattr(gtf.CONFIGS, name)
        cfg.check()
        assert gtf.estimate_seconds(cfg) <= budget[name]


def test_official_initialisation():
    m = _model(K=3, L=400)
    assert torch.all(m.a > 0) and torch.all(m.a <= 1 + 1e-12)
    assert float(m.W1.detach().abs().max()) <= 1 / 400 ** 0.5
    assert float(m.W2.detach().abs().max()) <= 1 / 3 ** 0.5
    assert float(m.h2.abs().max()) <= 1 / 400 ** 0.5 and float(m.h1.abs().max()) == 0.0
    assert float(_model(clipped=False).h2.abs().max()) == 0.0


@pytest.mark.parametrize("clipped", [True, False])
def test_jacobian_matches_autograd(clipped):
    m = _model(clipped=clipped)
    z = 2 * _data(B=50, T=1)[:, 0]
    for k in range(m.K):
        step, jac = m.member(k)
        J_auto = dynamics_metrics.autograd_jacobian(step, z)
        assert float((J_auto - jac(z)).abs().max()) < 1e-12


def test_alpha_one_is_teacher_forcing_and_zero_is_free_running():
    m = _model()
    x = _data()
    Z1 = gtf.gtf_forward(m, x, 1.0)
    tf = m(x[:, :-1].expand(m.K, -1, -1, -1))  # every step starts from the data
    assert float((Z1 - tf).abs().max()) < 1e-14
    Z0 = gtf.gtf_forward(m, x, 0.0)
    free = m.generate(x[:, 0].expand(m.K, -1, -1), x.shape[1])[:, :, 1:]
    assert float((Z0 - free).abs().max()) < 1e-14


def test_forced_jacobian_product_is_scaled_model_product():
    m = _model(K=1)
    x = _data(B=1, T=15)
    alpha = 0.3
    # d z̃_T / d z̃_1 by autograd through the forced recursion
    def forced_map(z1):
        xx = torch.cat([z1[None, None], x[:, 1:]], dim=1)
        a = torch.tensor([alpha], dtype=F64)
        z = z1[None, None]
        for t in range(1, xx.shape[1]):
            z = (1 - a) * m(z) + a * xx[:, t]
        return z[0, 0]
    J_forced = torch.autograd.functional.jacobian(forced_map, x[0, 0])
    _, forced = gtf.gtf_forward(m, x, alpha, return_forced=True)
    Js = m.jacobian(forced)[0, 0]  # model Jacobians at the forced states z̃_1..z̃_{T-1}
    P = torch.eye(3, dtype=F64)
    for J in Js:
        P = J @ P
    T = x.shape[1] - 1
    assert torch.allclose(J_forced, (1 - alpha) ** T * P, rtol=1e-10, atol=1e-12)


def test_gtf_gradient_vs_finite_differences():
    m = _model(K=1, L=8)
    x = _data(B=2, T=10)

    def loss():
        return ((gtf.gtf_forward(m, x, 0.2) - x[:, 1:]) ** 2).mean()

    loss().backward()
    g = m.W1.grad.clone()
    eps = 1e-6
    with torch.no_grad():
        for idx in [(0, 0, 0), (0, 1, 3), (0, 2, 7)]:
            m.W1[idx] += eps
            lp = float(loss())
            m.W1[idx] -= 2 * eps
            lm = float(loss())
            m.W1[idx] += eps
            fd = (lp - lm) / (2 * eps)
            assert abs(fd - float(g[idx])) <= 1e-6 * max(1.0, abs(fd))


def test_alpha_estimate_and_update_rule():
    m = _model(K=2)
    x = _data(B=5, T=30)
    a, G = gtf.alpha_product_bound(m.jacobian, x, 2)
    norms = torch.linalg.matrix_norm(m.jacobian(x.expand(2, -1, -1, -1)), ord=2)
    G_ref = norms.log().mean(-1).exp().amax(-1)
    assert torch.allclose(G, G_ref) and torch.allclose(a, (1 - 1 / G_ref).clamp_min(0))
    # the product bound along every sequence is <= 1 at α_est (when α_est > 0)
    prod = ((1 - a)[:, None, None] * norms).log().sum(-1).exp()
    assert bool((prod[a > 0] <= 1 + 1e-9).all())
    old, est = torch.tensor([0.5, 0.5]), torch.tensor([0.7, 0.1])
    new = gtf.update_alpha(old, est, 0.9)
    assert torch.allclose(new, torch.tensor([0.7, 0.9 * 0.5 + 0.1 * 0.1]))


def test_lorenz_field_matches_shared_dysts_field():
    f = gtf.lorenz_field(gtf.lorenz_params())
    x = torch.randn(20, 3, dtype=F64) * 10
    assert torch.allclose(f(x), dynamics.vector_field("Lorenz")(x), rtol=1e-12, atol=1e-12)


def test_per_sequence_parameter_copies_separate_the_batch_gradient():
    """θ of shape (3, B): column i is the gradient of sequence i's share of the loss, and the
    columns sum to the gradient with respect to one shared θ (the α = 0 growth rates)."""
    x = gtf.lorenz_orbits(41, batch=3, generator=torch.Generator().manual_seed(0))
    theta = gtf.lorenz_params()

    def grad(th, xs):
        th = th.clone().requires_grad_(True)
        Z = gtf.gtf_forward(gtf.rk4_map(th, 0.01), xs, 0.0, K=1)
        (g,) = torch.autograd.grad(((Z[0] - xs[:, 1:]) ** 2).mean(), th)
        return g

    copies = grad(theta[:, None].expand(3, 3), x)
    assert copies.shape == (3, 3)
    torch.testing.assert_close(copies.sum(1), grad(theta, x), rtol=1e-10, atol=0)
    for i in range(3):  # the batch mean weighs each sequence by 1/B
        torch.testing.assert_close(copies[:, i], grad(theta, x[i:i + 1]) / 3, rtol=1e-10,
                                   atol=0)
    with pytest.raises(ValueError):
        gtf.lorenz_field(torch.zeros(2, 3))


def test_growth_rate_is_the_mean_of_the_sequences_finite_time_exponents():
    cfg = dataclasses.replace(gtf.CONFIGS.ci, grad_T=(10, 100, 200), grad_batch=3)
    out = gtf.gradient_vs_length(cfg, seed=0)
    assert out["growth_rates"].shape == (3,)
    assert out["growth_rate"] == pytest.approx(float(out["growth_rates"].mean()))
    assert np.isfinite(out["growth_rate_batch"])


def test_clipped_model_bounded_orbit():
    m = _model(K=1, L=50)
    with torch.no_grad():
        m.a.mul_(0.95)  # ‖A‖ < 1
        m.W1.mul_(5.0)
        m.W2.mul_(5.0)
        m.h2.mul_(5.0)
    Z = m.generate(torch.full((1, 4, 3), 3.0, dtype=F64), 20_000)
    assert torch.isfinite(Z).all() and float(Z.abs().max()) < 1e3


def test_gradient_explosion_small():
    cfg = dataclasses.replace(gtf.CONFIGS.ci, grad_T=(25, 400), grad_batch=4)
    r = gtf.gradient_vs_length(cfg, 0)
    g0, gs = r["grad"][0.0], r["grad"][r["alpha_star"]]
    assert g0[-1] / g0[0] > 10 and gs[-1] / gs[0] < 3
    assert float(r["product"]["norm"].max()) <= 1 + 1e-9
    assert bool((r["product"]["norm"] <= r["product"]["bound"] + 1e-9).all())
    assert np.isnan(r["growth_rate"]) and np.isnan(r["growth_rate_batch"])  # one T >= 100


def test_bad_input():
    with pytest.raises(ValueError):
        gtf.ShPLRNN(0, 5)
    m = _model()
    with pytest.raises(ValueError):
        m(torch.zeros(3, 4, 3, dtype=F64))  # wrong K
    with pytest.raises(ValueError):
        gtf.gtf_forward(m, _data(), 1.5)  # α outside [0, 1]
    with pytest.raises(ValueError):
        gtf.gtf_forward(m, torch.zeros(4, 1, 3, dtype=F64), 0.5)  # T < 2
    with pytest.raises(ValueError):
        dataclasses.replace(gtf.CONFIGS.ci, alpha_end=0.0).check()  # α schedule must stay > 0
    with pytest.raises(ValueError):
        dataclasses.replace(gtf.CONFIGS.ci, variants=("gtf", 1.5)).check()
    with pytest.raises(ValueError):
        gtf.lorenz_field(torch.zeros(2))
    with pytest.raises(ValueError):
        m.member(5)


def _orbits(seed=3, n=3, T=40):
    g = torch.Generator().manual_seed(seed)
    return gtf.lorenz_orbits(T, batch=n, transient=300, generator=g) / 8.0


def test_ridge_warm_start_matches_lstsq():
    x = _orbits()
    m = _model(K=2, L=15)
    gtf.ridge_warm_start(m, x, scale=1.0, ridge=1e-3, generator=torch.Generator().manual_seed(4))
    assert torch.equal(m.W2[0], m.W2[1]) and torch.equal(m.h2[0], m.h2[1])
    xin, xout = x[:, :-1].reshape(-1, 3), x[:, 1:].reshape(-1, 3)
    u = xin @ m.W2[0].detach().T
    phi = torch.relu(u + m.h2[0].detach()) - torch.relu(u)
    for i in range(3):
        F = torch.cat([xin[:, i:i + 1], phi, torch.ones(len(xin), 1, dtype=F64)], 1)
        w = torch.linalg.solve(F.T @ F + 1e-3 * torch.eye(F.shape[1], dtype=F64), F.T @ xout[:, i])
        got = torch.cat([m.a[0, i:i + 1], m.W1[0, i], m.h1[0, i:i + 1]]).detach()
        assert torch.allclose(got, w, rtol=1e-8, atol=1e-10)
    # the warm-started map reproduces the one-step regression
    pred = m(xin.expand(2, -1, -1).contiguous())
    assert float(((pred[0] - xout) ** 2).mean()) < float(((xin - xout) ** 2).mean())


def test_newton_step_at_alpha_one_is_the_ridge_solution_and_gtf_steps_descend():
    x = _orbits(n=4, T=41)
    windows = x[:, :40].reshape(-1, 10, 3)
    m = _model(K=2, L=12)
    gtf.ridge_warm_start(m, x, scale=1.0, ridge=1e-3, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        m.W1.add_(0.01)  # move away from the optimum
    alpha = torch.tensor([1.0, 0.3], dtype=F64)
    l0 = gtf.gtf_loss(m, windows, alpha, 1e-3).detach()
    eta = gtf.gtf_newton_step(m, windows, alpha, 1e-3)
    l1 = gtf.gtf_loss(m, windows, alpha, 1e-3).detach()
    assert bool((l1 < l0).all()) and float(eta[0]) == 1.0
    # α = 1: forced states are the data, so one step solves the ridge problem on the windows
    xin, xout = windows[:, :-1].reshape(-1, 3), windows[:, 1:].reshape(-1, 3)
    H = gtf._gram(m, xin.expand(2, -1, -1), 1e-3)[0]
    P = gtf._features(m, xin.expand(2, -1, -1))[0]
    for i in range(3):
        F = torch.cat([xin[:, i:i + 1], P], 1)
        w = torch.linalg.solve(H[i], F.T @ xout[:, i])
        got = torch.cat([m.a[0, i:i + 1], m.W1[0, i], m.h1[0, i:i + 1]]).detach()
        assert torch.allclose(got, w, rtol=1e-6, atol=1e-8)
        assert torch.allclose(H[i], F.T @ F + 1e-3 * torch.eye(F.shape[1], dtype=F64))


def test_alpha_schedule_and_free_run_scores():
    cfg = dataclasses.replace(gtf.CONFIGS.ci, stages=4, variants=("gtf", 1.0, 0.0))
    A = gtf.alpha_schedule(cfg)
    assert A.shape == (4, 3) and float(A[0, 0]) == cfg.alpha_start
    assert abs(float(A[-1, 0]) - cfg.alpha_end) < 1e-12 and bool((A[:, 1] == 1).all())
    assert bool((A[:, 2] == 0).all())
    m = _model(K=2, L=10)
    with torch.no_grad():
        m.a[1] = 1.5  # member 1 diverges: never selectable
    s, Z = gtf.free_run_scores(m, _orbits(n=2, T=50) * 8, transient=5, n_bins=10)
    assert Z.shape == (2, 2, 50, 3) and s[1] == float("inf") and s[0] < float("inf")


def test_lorenz_experiment_keeps_the_draw_with_the_lower_validation_score():
    cfg = dataclasses.replace(gtf.CONFIGS.ci, n_orbits=2, orbit_len=300, transient=300, L=20,
                              stages=2, iters=1, gen_transient=50, lyap_steps=50, lyap_batch=1,
                              hidden_draws=2)
    lo = gtf.lorenz_experiment(cfg, seed=0)
    assert len(lo["models"]) == 2 and lo["alpha_est"].shape == (2,)
    for v in cfg.variants:
        r = lo["runs"][v]
        assert r["val_draws"].shape == (2,) and r["draw"] == int(np.argmin(r["val_draws"]))
        assert r["val"].shape == (cfg.stages + 1,) and r["Z"].shape == (2, 300, 3)
    one = gtf.lorenz_experiment(dataclasses.replace(cfg, hidden_draws=1), seed=0)
    # draw 0 is the single draw of the one-draw run (same generator)
    assert one["runs"]["gtf"]["val_draws"][0] == lo["runs"]["gtf"]["val_draws"][0]
    with pytest.raises(ValueError):
        dataclasses.replace(cfg, hidden_draws=0)


def test_max_lyapunov_starts_of_a_linear_map_and_the_median_over_starts():
    m = _model(K=1, L=10)
    with torch.no_grad():
        m.a[0] = torch.tensor([0.5, 0.8, 0.9], dtype=m.a.dtype)
        m.W1.zero_()
        m.h1.zero_()
    x0 = torch.randn(3, 3, dtype=m.a.dtype, generator=torch.Generator().manual_seed(1))
    # z_{t+1} = diag(a) z_t: λ_max = log 0.9 per step (the frame's start costs O(1/n_steps))
    lam = gtf.max_lyapunov_starts(m, 0, x0, n_steps=2000, dt=0.01)
    assert lam.shape == (3,) and np.allclose(lam, np.log(0.9) / 0.01, atol=0.1)
    # a multistable model: one start on a stable fixed point does not set the exponent
    assert gtf.median_exponent(np.array([-2.65, 1.02, 1.34, 0.94])) == pytest.approx(0.98)
    assert np.isnan(gtf.median_exponent(np.array([1.0, np.nan, 0.9])))
    with pytest.raises(ValueError):
        gtf.median_exponent(np.array([]))
    with pytest.raises(ValueError):
        dataclasses.replace(gtf.CONFIGS.ci, lyap_batch=11)
