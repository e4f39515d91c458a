"""Unit and oracle tests for nonlinlab.papers.deep_linear_dynamics (Saxe et al., ICLR 2014).

Oracles: the closed-form logistic solution against scipy's ODE solver and against finite
differences, the learning-time formula against the trajectory, the analytic gradient against
autograd, GD against the closed form (first order in λ), Eckart-Young against numpy's SVD.
The last tests break the method on purpose and check that the chapter's claims then fail.
"""

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import deep_linear_dynamics as P

TOL = P.TOL


def _target(seed=0, n=8, s=(4.0, 2.0, 1.0, 0.5)):
    return P.synthetic_target(n, n, s, np.random.default_rng(seed))


# -- closed forms ------------------------------------------------------------------------------


@pytest.mark.parametrize("s,u0", [(4.0, 1e-3), (1.0, 0.3), (0.5, 2.0), (2.0, 2.0)])
def test_closed_form_matches_solve_ivp(s, u0):
    tau = 50.0
    t = np.linspace(0, 400, 81)
    closed = P.mode_strength(t, s, u0, tau)
    numeric = P.solve_deep_mode(t, s, u0, depth=2, tau=tau)
    np.testing.assert_allclose(closed, numeric, rtol=1e-8, atol=1e-12)


def test_closed_form_satisfies_the_ode_and_limits():
    s, u0, tau, h = np.array([4.0, 1.0, 0.0]), 1e-2, 400.0, 1e-3
    t = np.linspace(1.0, 3000.0, 50)[:, None]
    du = (P.mode_strength(t + h, s, u0, tau) - P.mode_strength(t - h, s, u0, tau)) / (2 * h)
    u = P.mode_strength(t, s, u0, tau)
    np.testing.assert_allclose(du, P.three_layer_rhs(u, s, tau), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(P.mode_strength(0.0, s, u0, tau), u0)
    np.testing.assert_allclose(P.mode_strength(1e6, s[:2], u0, tau), s[:2])
    # s = 0: a mode absent from the data decays as u0 / (1 + 2 u0 t / tau)
    np.testing.assert_allclose(u[:, 2], u0 / (1 + 2 * u0 * t[:, 0] / tau), rtol=1e-12)
    assert P.mode_strength(10.0, 1.0, 0.0) == 0.0  # u0 = 0 stays at the saddle


@pytest.mark.parametrize("s,u0,uf", [(4.0, 1e-3, 2.0), (1.0, 1e-4, 0.99), (0.5, 2.0, 0.6)])
def test_learning_time_inverts_the_trajectory(s, u0, uf):
    tau = 400.0
    t = P.learning_time(s, u0, uf, tau)
    assert P.mode_strength(t, s, u0, tau) == pytest.approx(uf, rel=1e-10)
    assert P.deep_learning_time(s, u0, uf, depth=2, tau=tau) == pytest.approx(t, rel=1e-8)


def test_half_time_and_paper_approximation():
    s, eps, tau = 3.0, 1e-6, 1.0
    assert P.half_time(s, eps, tau) == pytest.approx(np.log((s - eps) / eps) * tau / (2 * s))
    # t(eps -> s - eps) ~ (tau / s) ln(s / eps) for small eps
    assert P.learning_time(s, eps, s - eps, tau) == pytest.approx(tau / s * np.log(s / eps),
                                                                  rel=1e-5)
    u0 = P.fitted_u0(s, P.half_time(s, 1e-3, tau), tau)
    assert u0 == pytest.approx(1e-3, rel=1e-10)


def test_deep_learning_time_inverts_deep_ode_and_converges_with_depth():
    s, u0, uf, depth, tau = 1.0, 0.05, 0.8, 4, 10.0
    t = P.deep_learning_time(s, u0, uf, depth, tau)
    assert P.solve_deep_mode(np.array([0.0, t]), s, u0, depth, tau)[-1] == pytest.approx(uf,
                                                                                       rel=1e-7)
    lr0 = 0.05  # learning rate lr0 / D, i.e. tau = D / lr0
    limit = P.deep_learning_time_limit(s, 0.5, 0.9, lr0)
    t_deep = P.deep_learning_time(s, 0.5, 0.9, 4096, 4096 / lr0)
    assert t_deep == pytest.approx(limit, rel=2e-3)
    # D = 1 (a single linear layer): tau du/dt = s - u
    assert P.deep_learning_time(s, 0.1, 0.9, 1, 1.0) == pytest.approx(np.log(0.9 / 0.1))


def test_eckart_young():
    rng = np.random.default_rng(3)
    m = rng.standard_normal((6, 5))
    sv = np.linalg.svd(m, compute_uv=False)
    for r in range(6):
        approx = P.best_rank_approximation(m, r)
        assert np.linalg.matrix_rank(approx) == min(r, 5)
        assert 0.5 * np.sum((m - approx) ** 2) == pytest.approx(P.optimal_loss(sv, r))
    other = P.best_rank_approximation(m + 0.1 * rng.standard_normal((6, 5)), 2)
    assert 0.5 * np.sum((m - other) ** 2) > P.optimal_loss(sv, 2)


# -- initialisations -----------------------------------------------------------------------------


def test_orthogonal_init_is_orthogonal_and_haar():
    rng = np.random.default_rng(0)
    ws = P.orthogonal_weights([16] * 5, 1.0, rng, batch=3)
    eye = torch.eye(16, dtype=torch.float64)
    for w in ws:
        assert w.dtype == torch.float64
        assert float((w.transpose(-1, -2) @ w - eye).abs().max()) < 1e-12
    sv = P.end_to_end_singular_values(ws)
    assert np.abs(sv - 1).max() < 1e-12
    tall, wide = P.orthogonal_weights([3, 7, 2], 2.0, rng)
    np.testing.assert_allclose((tall[0].T @ tall[0]).numpy(), 4 * np.eye(3), atol=1e-12)
    np.testing.assert_allclose((wide[0] @ wide[0].T).numpy(), 4 * np.eye(2), atol=1e-12)
    # Haar, not QR's biased output: with the sign fix E[Q_11] = 0 (without it, numpy's
    # Householder QR gives a strongly biased Q_11)
    q = P.haar_orthogonal(3, np.random.default_rng(1), batch=(4000,))
    assert abs(q[:, 0, 0].mean()) < 0.05


def test_decoupled_init_sets_mode_strengths_and_product():
    tgt, rng = _target(), np.random.default_rng(1)
    u0 = np.array([0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 0.0, 0.0])
    for depth, balance in ((2, 1.0), (3, 1.0), (2, 4.0)):
        ws = P.decoupled_weights(tgt.u, tgt.v, u0, [8] * (depth + 1), rng, balance=balance)
        p = P.end_to_end(ws)[0].numpy()
        np.testing.assert_allclose(tgt.u.T @ p @ tgt.v, np.diag(u0), atol=1e-13)
    a = P.decoupled_weights(tgt.u, tgt.v, u0, [8, 8, 8], rng)
    np.testing.assert_allclose(a[0][0] @ a[0][0].T, a[1][0].T @ a[1][0], atol=1e-13)  # balanced


def test_analytic_gradient_matches_autograd():
    rng = np.random.default_rng(2)
    cov = np.cov(rng.standard_normal((5, 40)))
    for depth in (1, 2, 3, 5):
        sizes = [5, 4, 6, 3, 7][:depth] + [6]
        ws = P.gaussian_weights(sizes, 0.7, rng, batch=2)
        s31 = torch.as_tensor(rng.standard_normal((2, 6, 5)))
        for s11 in (None, torch.as_tensor(cov)):
            directions, _, _ = P.descent_directions(ws, s31, s11)
            leaves = [w.clone().requires_grad_(True) for w in ws]
            loss = P.loss_of(P.end_to_end(leaves), s31, s11).sum()
            grads = torch.autograd.grad(loss, leaves)
            for d, g in zip(directions, grads, strict=True):
                torch.testing.assert_close(d, -g, rtol=1e-12, atol=1e-12)


# -- gradient descent --------------------------------------------------------------------------


def test_gd_from_decoupled_init_matches_closed_form_first_order_in_lr():
    tgt = _target()
    runs = [P.run_decoupled(tgt, 1e-2, lr, int(8 / lr), np.random.default_rng(0),
                            record_every=int(0.01 / lr)) for lr in (0.01, 0.005)]
    assert runs[0].error < 0.03
    assert runs[0].error / runs[1].error == pytest.approx(2.0, rel=0.1)
    assert np.nanmax(runs[0].trajectory.offdiag) < TOL.decoupling
    # deep decoupled net against solve_ivp of the deep mode ODE
    deep = P.run_decoupled(tgt, 0.1, 0.02 / 4, 800, np.random.default_rng(0), depth=4,
                           record_every=10)
    assert deep.error < TOL.deep_ode


def test_small_init_learns_in_stages_and_bottleneck_reaches_eckart_young():
    s = (3.0, 2.0, 1.0)
    tgt = P.synthetic_target(4, 4, s, np.random.default_rng(4))
    rng = np.random.default_rng(5)
    full = P.run_small_random(tgt, 1e-3, 0.005, 3000, rng, record_every=5)
    assert np.all(np.diff(full.half_times) > 0)
    assert full.error < TOL.small_shape
    neck = P.run_small_random(tgt, 1e-3, 0.005, 3000, rng, hidden=2, record_every=50)
    assert abs(neck.trajectory.final_loss[0] - P.optimal_loss(s, 2)) < 1e-8
    weights = neck.trajectory.weights
    p = P.end_to_end(weights)[0].numpy()
    np.testing.assert_allclose(p, P.best_rank_approximation(tgt.sigma31, 2), atol=1e-5)


def test_time_to_criterion_censoring_and_pruning():
    loss = np.array([[10.0, 10.0], [5.0, 9.0], [0.5, 9.0], [0.1, 8.0]])
    times, censored = P.time_to_criterion(loss, 0.1, cap=3)
    assert times.tolist() == [2, 3] and censored.tolist() == [False, True]
    # early stopping drops finished networks but does not change the times
    cfg = P.CONFIGS.ci.replace(sweep_width=8, sweep_depths=(1, 2, 4), sweep_seeds=2,
                               sweep_cap=400)
    a = P.depth_sweep(cfg, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    target = P.synthetic_target(8, 8, P.geometric_spectrum(8, 3.0, 0.85), rng, batch=(2,))
    sigma31 = np.concatenate([target.sigma31] * 3)
    ws = [torch.cat(w) for w in zip(*[P.init_weights(k, [8, 8], rng, 2) for k in P.INITS],
                                    strict=True)]
    full = P.simulate_gd(ws, sigma31, 0.05, 400)  # no early stopping: the D = 1 run of `a`
    t_full, _ = P.time_to_criterion(full.loss, 0.01, 400)
    assert t_full.reshape(3, 2).tolist() == a.times[:, 0].tolist()
    assert a.times.shape == (3, 3, 2) and (a.censored == (a.times == 400)).all()


def test_half_times_nan_when_never_reached():
    modes = np.array([[[0.0, 0.0]], [[1.0, 0.1]], [[2.0, 0.2]]])
    ht = P.half_times(np.array([0, 10, 20]), modes, [2.0, 1.0])
    assert ht[0, 0] == 10 and np.isnan(ht[0, 1])


def test_same_seed_same_numbers():
    cfg = P.CONFIGS.ci.replace(sweep_width=8, sweep_depths=(1, 2), sweep_seeds=1,
                               sweep_cap=200)
    a = P.depth_sweep(cfg, np.random.default_rng(7))
    b = P.depth_sweep(cfg, np.random.default_rng(7))
    assert np.array_equal(a.times, b.times)
    r1 = P.run_small_random(_target(), 1e-3, 0.01, 300, np.random.default_rng(3))
    r2 = P.run_small_random(_target(), 1e-3, 0.01, 300, np.random.default_rng(3))
    assert np.array_equal(r1.modes, r2.modes)


def test_spectra_and_tanh_jacobian():
    rng = np.random.default_rng(0)
    sp = P.init_spectra(16, (1, 8), rng)
    assert np.abs(sp["orthogonal", 8] - 1).max() < TOL.isometry
    assert sp["scaled_gaussian", 8].max() / sp["scaled_gaussian", 8].min() > TOL.gauss_condition
    x = rng.standard_normal((4, 12))
    sv = P.tanh_jacobian_singular_values(x, 16, 10, 1.1, "orthogonal", rng)
    assert sv.shape == (4, 12)
    # the Jacobian product matches autograd's at one input
    ws = P.orthogonal_weights([12] + [16] * 10, 1.1, np.random.default_rng(9))
    sv1 = P.tanh_jacobian_singular_values(x[:1], 16, 10, 1.1, "orthogonal",
                                          np.random.default_rng(9))

    def f(inp):
        h = inp
        for w in ws:
            h = torch.tanh(w[0] @ h)
        return h

    jac = torch.autograd.functional.jacobian(f, torch.as_tensor(x[0]))
    np.testing.assert_allclose(sv1[0], torch.linalg.svdvals(jac).numpy(), rtol=1e-10)
    assert P.log_spread(np.ones(5)) == 0.0


# -- configuration and cost --------------------------------------------------------------------


def test_configs_valid_and_within_budget():
    for _, cfg in P.CONFIGS.items():
        cfg.check()
        assert cfg.ladder.shape == (cfg.n,)
    assert P.estimate_seconds(P.CONFIGS.ci, "cpu") <= BUDGET_S["ci"]
    assert P.estimate_seconds(P.CONFIGS.full, "gpu") <= BUDGET_S["full"]
    assert P.estimate_seconds(P.CONFIGS.full, "cpu") <= BUDGET_S["full"]
    # the full profile is the same code path at a larger size
    assert P.CONFIGS.full.sweep_depths[-1] > P.CONFIGS.ci.sweep_depths[-1]
    with pytest.raises(ValueError, match="where"):
        P.estimate_seconds(P.CONFIGS.ci, "tpu")


@pytest.mark.parametrize("changes,match", [
    ({"n": 0}, "n must be"),
    ({"s": (1.0, 2.0)}, "decreasing"),
    ({"s": (2.0, -1.0)}, "positive"),
    ({"lr": 0.0}, "lr must be positive"),
    ({"lr": 0.2}, "lr \\* s1"),
    ({"u0": 0.3}, "u0 must be below"),
    ({"bottleneck": 4}, "bottleneck"),
    ({"sweep_depths": (4, 2)}, "increasing"),
    ({"sweep_depths": (1, 2, 16)}, "half its largest"),
    ({"sweep_criterion": 1.5}, "sweep_criterion"),
    ({"tanh_claim_gain": 1.2}, "tanh_claim_gain"),
])
def test_bad_config_raises(changes, match):
    with pytest.raises(ValueError, match=match):
        P.CONFIGS.ci.replace(**changes)


def test_bad_inputs_raise():
    tgt, rng = _target(), np.random.default_rng(0)
    with pytest.raises(ValueError, match="s must be non-negative"):
        P.mode_strength(1.0, -1.0, 0.1)
    with pytest.raises(ValueError, match="tau must be positive"):
        P.mode_strength(1.0, 1.0, 0.1, tau=0.0)
    with pytest.raises(ValueError, match="between u0 and s"):
        P.learning_time(1.0, 0.1, 1.5)
    with pytest.raises(ValueError, match="s must be positive"):
        P.learning_time(0.0, 0.1, 0.5)
    with pytest.raises(ValueError, match="increasing"):
        P.solve_deep_mode(np.array([2.0, 1.0]), 1.0, 0.1, 2)
    with pytest.raises(ValueError, match="depth"):
        P.deep_learning_time(1.0, 0.1, 0.5, 0)
    with pytest.raises(ValueError, match="u must be 8x8"):
        P.decoupled_weights(tgt.u[:4, :4], tgt.v, 0.1, [8, 8, 8], rng)
    with pytest.raises(ValueError, match="do not fit"):
        P.decoupled_weights(tgt.u, tgt.v, np.full(8, 0.1), [8, 3, 8], rng)
    with pytest.raises(ValueError, match="sizes"):
        P.gaussian_weights([8], 0.1, rng)
    ws = P.gaussian_weights([8, 8, 8], 0.1, rng)
    with pytest.raises(ValueError, match="sigma31 must be"):
        P.simulate_gd(ws, np.zeros((8, 5)), 0.01, 10)
    with pytest.raises(ValueError, match="does not chain"):
        P.simulate_gd([ws[0], ws[1][:, :, :5]], tgt.sigma31, 0.01, 10)
    with pytest.raises(ValueError, match="lr must be positive"):
        P.simulate_gd(ws, tgt.sigma31, -0.01, 10)
    with pytest.raises(ValueError, match="sigma11"):
        P.simulate_gd(ws, tgt.sigma31, 0.01, 10, sigma11=np.eye(5))
    with pytest.raises(ValueError, match="unknown initialisation"):
        P.init_weights("xavier", [4, 4], rng, 1)
    with pytest.raises(ValueError, match="float64"):
        P.simulation_dtype("mps")
    with pytest.raises(ValueError, match="same number of samples"):
        P.correlations(np.zeros((5, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="singular values"):
        P.synthetic_target(3, 3, [1.0, 1.0, 1.0, 1.0], rng)


# -- breaking the method makes the claims fail ---------------------------------------------------


def test_unbalanced_init_breaks_the_exact_solution_claim():
    tgt = _target()
    good = P.run_decoupled(tgt, 1e-3, 0.0025, 3000, np.random.default_rng(0), record_every=10)
    bad = P.run_decoupled(tgt, 1e-3, 0.0025, 3000, np.random.default_rng(0), record_every=10,
                          balance=3.0)
    assert good.error < TOL.exact_solution < bad.error


def test_wrong_update_factor_breaks_the_exact_solution_and_half_time_claims(monkeypatch):
    original = P.descent_directions

    def doubled(weights, sigma31, sigma11=None):
        directions, p, e = original(weights, sigma31, sigma11)
        return [2.0 * d for d in directions], p, e

    monkeypatch.setattr(P, "descent_directions", doubled)
    run = P.run_decoupled(_target(), 1e-3, 0.0025, 2000, np.random.default_rng(0))
    assert run.error > TOL.exact_solution
    ht_closed = P.half_time(np.array([4.0, 2.0]), 1e-3, 400.0)
    assert np.max(np.abs(run.half_times[:2] - ht_closed) / ht_closed) > TOL.half_time


def test_unscaled_deep_learning_rate_breaks_the_deep_ode_claim():
    tgt, depth, lr0 = _target(), 4, 0.01
    good = P.run_decoupled(tgt, 0.05, lr0 / depth, 1500, np.random.default_rng(0), depth=depth,
                           record_every=10)
    bad = P.run_decoupled(tgt, 0.05, lr0 / depth, 1500, np.random.default_rng(0), depth=depth,
                          record_every=10, balance=2.0)
    assert good.error < TOL.deep_ode < bad.error
    # a reference with the wrong depth factor (the 3-layer law for a 4-layer net) is far off
    t = good.steps.astype(float)
    wrong = np.stack([P.solve_deep_mode(t, s, 0.05, 2, depth / lr0) for s in good.s[:4]], 1)
    assert np.max(np.abs(good.modes[:, :4] - wrong) / good.s[:4]) > TOL.deep_ode
