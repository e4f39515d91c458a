"""Flow matching against the 1-D Gaussian closed form; sample distances against POT and scipy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.models import flows, transport


def test_gaussian_velocity_flow_is_the_monotone_map():
    x0 = torch.linspace(-3, 3, 41, dtype=torch.float64)[:, None]
    v = lambda x, t: flows.gaussian_velocity(x, t, m=2.0, s=0.5)  # noqa: E731
    errs = [float((flows.sample_heun(v, x0, n) - (2.0 + 0.5 * x0)).abs().max())
            for n in (50, 100)]
    assert errs[1] < 1e-4 and 3.5 < errs[0] / errs[1] < 4.5  # Heun: second order
    x1e = flows.sample_euler(v, x0, 200)
    assert (x1e - (2.0 + 0.5 * x0)).abs().max() < 0.02  # first order
    # the closed form is the minimiser: its loss is below the loss of perturbed fields
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(20000, 1, generator=g, dtype=torch.float64), torch.randn(
        20000, 1, generator=g, dtype=torch.float64) * 0.5 + 2
    t = torch.rand(20000, generator=g, dtype=torch.float64)
    best = flows.flow_matching_loss(v, a, b, t=t)
    for eps in (0.05, -0.05):
        worse = flows.flow_matching_loss(lambda x, tt, e=eps: v(x, tt) + e * x, a, b, t=t)
        assert worse > best


def test_one_euler_step_is_x0_plus_v_and_paths_are_straight_for_constant_fields():
    x0 = torch.randn(5, 3)
    shift = torch.tensor([1.0, -2.0, 0.5])
    v = lambda x, t: shift.expand_as(x)  # noqa: E731
    assert torch.allclose(flows.sample_euler(v, x0, 1), x0 + shift)
    _, path = flows.sample_euler(v, x0, 8, return_path=True)
    assert path.shape == (9, 5, 3) and float(flows.straightness(path)) < 1e-10
    curved = lambda x, t: torch.stack([torch.cos(6 * t), torch.sin(6 * t)], 1)  # noqa: E731
    _, bent = flows.sample_heun(curved, torch.zeros(4, 2), 32, return_path=True)
    assert float(flows.straightness(bent)) > 0.1
    with pytest.raises(ValueError):
        flows.flow_matching_loss(lambda x, t: x[:, :1], x0, x0)


def test_conditional_velocity_receives_the_condition():
    seen = {}

    def v(x, t, c):
        seen["c"] = c
        return torch.zeros_like(x)

    flows.sample_euler(v, torch.zeros(2, 1), 2, cond="label")
    assert seen["c"] == "label"


def test_distances_match_scipy_and_pot():
    ot = pytest.importorskip("ot")
    from scipy.stats import energy_distance as scipy_energy

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 3)), rng.normal(size=(60, 3)) + 0.7
    u, w = rng.normal(size=200), rng.normal(size=150) * 2
    assert abs(transport.energy_distance(u, w) - scipy_energy(u, w) ** 2) < 1e-10
    a = np.full(60, 1 / 60)
    M2 = ot.dist(x, y)  # squared Euclidean
    assert abs(transport.exact_ot_cost(x, y) - ot.emd2(a, a, M2)) < 1e-10
    theta = rng.normal(size=(50, 3))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    want = ot.sliced_wasserstein_distance(x, y, a, a, projections=theta.T)
    assert abs(transport.sliced_wasserstein(x, y, directions=torch.tensor(theta)) - want) < 1e-10
    assert transport.sliced_wasserstein(x, x) == 0 and transport.exact_ot_cost(x, x) < 1e-12


def test_frechet_distance_closed_form():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(4000, 2))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    f1 = z * np.array([1.0, 2.0])  # covariances exactly diag(1, 4) and diag(9, 1)
    f2 = z * np.array([3.0, 1.0]) + np.array([1.0, 0.0])
    want = 1.0 + (1 + 9 - 2 * 3) + (4 + 1 - 2 * 2)  # commuting: Σ (σ₁ − σ₂)²
    assert abs(transport.frechet_distance(f1, f2) - want) < 1e-8
    assert abs(transport.frechet_distance(f1, f1)) < 1e-8


def test_rk4_is_fourth_order_and_grad_option_backpropagates():
    x0 = torch.linspace(-2, 2, 9, dtype=torch.float64)[:, None]
    v = lambda x, t: flows.gaussian_velocity(x, t, m=2.0, s=0.5)  # noqa: E731
    errs = [float((flows.sample_rk4(v, x0, n) - (2.0 + 0.5 * x0)).abs().max()) for n in (4, 8)]
    assert errs[0] / errs[1] > 10  # 2⁴ = 16 for a fourth-order method
    # backwards integration inverts the map
    fwd = flows.odeint_rk4(lambda x, t: torch.sin(x) * t, x0, 40)
    back = flows.odeint_rk4(lambda x, t: torch.sin(x) * t, fwd, 40, t0=1.0, t1=0.0)
    assert torch.allclose(back, x0, atol=1e-8)
    w = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    field = lambda x, t: w * x  # noqa: E731  x₁ = x₀ e^w
    assert not flows.sample_heun(field, x0, 4).requires_grad
    for sampler in (flows.sample_euler, flows.sample_heun, flows.sample_rk4):
        out = sampler(field, x0, 16, grad=True)
        (g,) = torch.autograd.grad(out.sum(), w)
        exact = float((x0 * torch.exp(w.detach())).sum())
        assert abs(float(g) - exact) < 0.05 * float(x0.abs().sum())
    with pytest.raises(ValueError, match="n_steps"):
        flows.sample_rk4(field, x0, 0)


def test_feature_classifier_frechet():
    from nonlinlab.models.transport import (
        classifier_frechet,
        frechet_distance,
        train_feature_classifier,
    )

    g = torch.Generator().manual_seed(0)
    labels = torch.arange(200) % 4
    centres = torch.randn(4, 16, generator=g)
    x = (centres[labels] + 0.3 * torch.randn(200, 16, generator=g)).clamp(-1, 1)
    clf = train_feature_classifier(x, labels, steps=200, seed=1)
    assert (clf(x).argmax(1) == labels).float().mean() > 0.9
    assert clf.features(x).shape == (200, 64)
    # the distance is frechet_distance of the classifier's features; a sample vs itself is 0
    with torch.no_grad():
        f = clf.features(x).double()
    assert classifier_frechet(clf, x, x) == pytest.approx(frechet_distance(f, f), abs=1e-9)
    assert classifier_frechet(clf, x[labels < 2], x) > classifier_frechet(clf, x[::2], x)
    again = train_feature_classifier(x, labels, steps=200, seed=1)
    assert torch.equal(again.head.weight, clf.head.weight)  # seeded
    with pytest.raises(ValueError, match="labels"):
        train_feature_classifier(x, labels[:5], steps=1, seed=0)
