"""Tests for nonlinlab.data.dynamics_metrics on systems with known answers: Lyapunov exponents
of Lorenz (0.9056), Rössler (0.0714), Hénon (0.419), the logistic map (ln 2) and linear
systems (exact); D_stsp and D_H on identical, independent and different attractors."""

import math

import numpy as np
import pytest
import torch

from nonlinlab.data import dynamics as D
from nonlinlab.data import dynamics_metrics as M


@pytest.fixture(scope="module")
def attractors():
    g = torch.Generator().manual_seed(0)
    lor = D.simulate_flow("Lorenz", 4000, dt=0.02, substeps=1, batch=2, transient=200,
                          generator=g)
    ros = D.simulate_flow("Rossler", 4000, dt=0.1, substeps=1, batch=1, transient=200,
                          generator=g)
    return D.standardize(lor)[0], D.standardize(ros)[0]


def test_state_space_divergence(attractors):
    lor, ros = attractors
    assert M.state_space_divergence(lor[0], lor[0]) == 0.0
    same = M.state_space_divergence(lor[0], lor[1])
    diff = M.state_space_divergence(lor[0], ros[0])
    assert 0 < 5 * same < diff  # 30^3 bins, 4000 points: "same" is mostly sampling noise
    assert 0 < M.state_space_divergence(lor[0], lor[1], n_bins=8) < 0.2
    far = lor[0] + 100.0  # nothing on the grid
    assert math.isnan(M.state_space_divergence(lor[0], far))
    g_same = M.state_space_divergence_gmm(lor[0], lor[1])
    g_diff = M.state_space_divergence_gmm(lor[0], ros[0])
    assert M.state_space_divergence_gmm(lor[0], lor[0]) == 0.0
    assert 0 <= g_same < 0.05 < g_diff
    with pytest.raises(ValueError):
        M.state_space_divergence(lor[0], lor[0, :, :2])


def test_state_space_divergence_hand_example():
    # two 1-d samples with known histograms on [mean - 2 std, mean + 2 std] with 2 bins
    x = torch.tensor([[-1.0], [-1.0], [1.0], [1.0]], dtype=torch.float64)
    y = torch.tensor([[-1.0], [1.0], [1.0], [1.0]], dtype=torch.float64)
    p, q = np.array([0.5, 0.5]), np.array([0.25, 0.75])
    ref = float((p * np.log(p / q)).sum())
    assert M.state_space_divergence(x, y, n_bins=2, smoothing=0.0) == pytest.approx(ref)


def test_power_spectrum_distance(attractors):
    lor, ros = attractors
    t = np.arange(4096)[:, None] * 0.1
    assert M.power_spectrum_distance(lor[0], lor[0]) == 0.0
    assert M.power_spectrum_distance(np.sin(t), np.sin(3 * t)) > 0.95
    assert M.power_spectrum_distance(np.sin(t), np.sin(t + 1.0)) < 0.05
    same = M.power_spectrum_distance(lor[0], lor[1], smoothing=10)
    diff = M.power_spectrum_distance(lor[0], ros[0], smoothing=10)
    assert same < 0.2 < diff
    ps = M.power_spectrum(lor, smoothing=2, cutoff=100)
    assert ps.shape == (100, 3) and np.allclose(ps.sum(0), 1)
    assert M.power_spectrum_distance(lor[0], ros[0], per_dim=True).shape == (3,)
    p = np.array([0.5, 0.5, 0.0])
    assert M.hellinger_distance(p, p[::-1]) == pytest.approx(np.sqrt(1 - 0.5))


def _lorenz_jac(x, t):
    s, r, b = 10.0, 28.0, 8.0 / 3.0
    X, Y, Z = x.unbind(-1)
    one, zero = torch.ones_like(X), torch.zeros_like(X)
    return torch.stack([torch.stack([-s * one, s * one, zero], -1),
                        torch.stack([r - Z, -one, -X], -1),
                        torch.stack([Y, X, -b * one], -1)], -2)


def test_lorenz_max_lyapunov():
    f = D.vector_field("Lorenz", {"beta": 8 / 3})
    x0 = D.simulate_flow(f, 1, dt=0.02, substeps=1, batch=48, transient=300,
                         generator=torch.Generator().manual_seed(0))[:, 0]
    J = M.autograd_jacobian(lambda z: f(z, 0.0), x0)
    torch.testing.assert_close(J, _lorenz_jac(x0, 0.0))
    lam = M.max_lyapunov_flow(f, x0, 0.02, 2000, transient=50, jac=_lorenz_jac)
    assert float(lam) == pytest.approx(D.LORENZ_MAX_LYAPUNOV, abs=0.03)
    # the autograd path gives the same numbers on a short run
    a = M.lyapunov_spectrum_flow(f, x0[:4], 0.02, 50)
    b = M.lyapunov_spectrum_flow(f, x0[:4], 0.02, 50, jac=_lorenz_jac)
    torch.testing.assert_close(a, b)
    # the sum of the spectrum is the (constant) divergence -(sigma + 1 + beta)
    assert float(a.sum(-1).mean()) == pytest.approx(-(10 + 1 + 8 / 3), rel=1e-3)


def test_rossler_max_lyapunov():
    f = D.vector_field("Rossler")
    x0 = D.simulate_flow(f, 1, dt=0.1, substeps=1, batch=64, transient=300,
                         generator=torch.Generator().manual_seed(0))[:, 0]
    lam = M.max_lyapunov_flow(f, x0, 0.1, 1500, transient=50)
    assert float(lam) == pytest.approx(D.ROSSLER_MAX_LYAPUNOV, abs=0.01)


def test_linear_systems_exact():
    torch.manual_seed(0)
    P = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64))[0]
    mu = torch.tensor([0.5, -0.2, -1.0], dtype=torch.float64)
    A = P @ torch.diag(mu) @ P.T

    def f(x, t):
        return x @ A.T

    dt = 0.01
    lam = M.lyapunov_spectrum_flow(f, torch.randn(3, dtype=torch.float64), dt, 2000,
                                   transient=200, renorm_every=5)
    # RK4 on a linear system multiplies mode i by R(dt mu_i) = 1 + z + z²/2 + z³/6 + z⁴/24
    z = dt * mu
    exact = torch.log(1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24) / dt
    torch.testing.assert_close(lam, exact, atol=1e-10, rtol=0)
    torch.testing.assert_close(lam, mu, atol=1e-6, rtol=0)
    # a linear map: exponents log|eig|
    B = P @ torch.diag(torch.tensor([2.0, 0.5, -0.1], dtype=torch.float64)) @ P.T

    def g(x):
        return x @ B.T

    lam_map = M.lyapunov_spectrum_map(g, torch.randn(2, 3, dtype=torch.float64), 50,
                                      transient=20)
    exact_map = torch.log(torch.tensor([2.0, 0.5, 0.1], dtype=torch.float64))
    torch.testing.assert_close(lam_map, exact_map.expand(2, 3), atol=1e-10, rtol=0)


@pytest.mark.parametrize("name,ref,tol", [("henon", D.HENON_MAX_LYAPUNOV, 0.01),
                                          ("lozi", D.LOZI_MAX_LYAPUNOV, 0.015),
                                          ("logistic", math.log(2), 0.01)])
def test_map_max_lyapunov(name, ref, tol):
    g = D.map_step(name)
    x0 = D.simulate_map(g, 1, batch=16, generator=torch.Generator().manual_seed(0))[:, 0]
    assert float(M.max_lyapunov_map(g, x0, 1500, transient=20)) == pytest.approx(ref, abs=tol)


def test_bad_inputs():
    with pytest.raises(ValueError):
        M.state_space_divergence(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError):
        M.lyapunov_spectrum_map(lambda x: x, torch.zeros(2), 10, k=3)


def test_free_run_scores_of_diverged_runs():
    import torch

    from nonlinlab.data.dynamics_metrics import (
        free_run_power_spectrum_distance,
        free_run_state_space_divergence,
        state_space_divergence,
    )

    g = torch.Generator().manual_seed(0)
    x = torch.randn(2000, 2, generator=g, dtype=torch.float64)
    assert free_run_state_space_divergence(x, x, 10) == state_space_divergence(x, x, 10) == 0.0
    bad = torch.full_like(x, float("nan"))
    far = x + 1e6
    d_bad = free_run_state_space_divergence(x, bad, 10)
    assert free_run_state_space_divergence(x, far, 10) == d_bad
    # a failed run scores at least as badly as any collapse onto one point of the grid
    collapsed = [free_run_state_space_divergence(x, torch.full_like(x, v), 10)
                 for v in (-1.9, -1.0, 0.0, 0.5, 1.5)]
    assert math.isfinite(d_bad) and d_bad >= max(collapsed) - 1e-9
    assert free_run_power_spectrum_distance(x, bad) == 1.0
    assert free_run_power_spectrum_distance(x, torch.zeros_like(x)) == 1.0
    assert free_run_power_spectrum_distance(x, x) < 1e-12
