"""Tests for nonlinlab.papers.dysts (Gilpin, NeurIPS 2021 Datasets & Benchmarks).

Oracles: dysts' own scipy integration (re-integration), a hand-written Lorenz field, the exact
volume contraction of Lorenz (Σλ = -(σ+1+β)), SINDy on exact derivatives (recovers the
coefficients to round-off), metric identities (sMAPE of identical series is 0), bad input.
"""

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.core.chapters import all_chapters
from nonlinlab.data import dynamics as dyn
from nonlinlab.papers import dysts as P


def test_budget_and_configs():
    budget = {"ci": all_chapters()["dysts"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= budget[name], name
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(n_periods=2, test_periods=2)
    with pytest.raises(ValueError):
        P.system_names(P.CONFIGS.ci.replace(systems=("NotASystem",)))
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(forecast_systems=5)


def test_forecast_names():
    # the chaos-error correlation needs many systems: every flow at ci (>= 60), alphabetical
    names = P.forecast_names(P.CONFIGS.ci)
    assert len(names) >= 60 and names == sorted(names)
    assert P.forecast_names(P.CONFIGS.ci.replace(forecast_systems=12)) == names[:12]


@pytest.mark.parametrize("name", ["Lorenz", "Rossler", "Aizawa"])
def test_reintegration_agrees_with_dysts(name):
    assert P.reintegration_error(name, 0.3, 100, 2.0) < 1e-6


def test_reintegration_detects_a_wrong_equation():
    assert P.reintegration_error("Lorenz", 0.3, 100, 2.0, params={"rho": 28.5}) > 1e-3


def test_dysts_lorenz_rhs_is_the_textbook_one():
    f = dyn.numpy_vector_field("Lorenz")
    p = dyn.flow_metadata("Lorenz")["parameters"]
    rng = np.random.default_rng(0)
    for x in rng.standard_normal((20, 3)) * 10:
        ref = [p["sigma"] * (x[1] - x[0]), x[0] * (p["rho"] - x[2]) - x[1],
               x[0] * x[1] - p["beta"] * x[2]]
        np.testing.assert_allclose(f(0.0, x), ref, rtol=1e-12, atol=1e-12)


def test_fd_jacobian_matches_autograd():
    from nonlinlab.data.dynamics_metrics import autograd_jacobian

    f = dyn.vector_field("Thomas")
    x = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    J = P.fd_jacobian(f)(x)
    Ja = autograd_jacobian(lambda z: f(z), x)
    assert (J - Ja).abs().max() < 1e-7


def test_lorenz_spectrum_sums_to_the_divergence():
    spec = P.lyapunov_spectrum("Lorenz", periods=8, pts=25, transient_periods=1)
    p = dyn.flow_metadata("Lorenz")["parameters"]
    assert abs(spec.sum() + (p["sigma"] + 1 + p["beta"])) < 0.01 * 13.667
    assert spec[0] > 0.5 and abs(spec[1]) < 0.2 and spec[2] < -10


def test_sindy_exact_derivatives_recover_lorenz():
    p = dyn.flow_metadata("Lorenz")["parameters"]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 3)) * [8, 9, 9] + [0, 0, 24]
    f = dyn.numpy_vector_field("Lorenz")
    dx = np.stack([f(0.0, xi) for xi in x])
    theta, labels = P.polynomial_library(x, 2)
    assert len(labels) == 10 and labels[0] == "1"
    xi = P.stlsq(theta, dx, 0.1)
    np.testing.assert_allclose(xi, P.lorenz_true_coefficients(p, labels), atol=1e-9)


def test_sindy_on_a_dysts_trajectory():
    cfg = P.CONFIGS.ci.replace(sindy_steps=4000)
    xi, xt, _ = P.sindy_lorenz(cfg, 0)
    assert np.abs(xi - xt).max() < 1e-2 * np.abs(xt).max()
    assert np.all(xi[xt == 0] == 0)


def test_finite_difference_is_fourth_order():
    t = np.linspace(0, 3, 301)
    x = np.sin(t)[:, None]
    d = P.finite_difference(x, t[1] - t[0])
    assert np.abs(d[2:-2, 0] - np.cos(t[2:-2])).max() < 1e-8
    with pytest.raises(ValueError):
        P.finite_difference(x[:3], 0.01)


def test_smape():
    y = np.array([1.0, -2.0, 3.0])
    assert P.smape(y, y) == 0.0
    assert P.smape(y, -y) == pytest.approx(200.0)
    # darts: 200 * mean(|y - yhat| / (|y| + |yhat|))
    yh = np.array([2.0, -1.0, 3.0])
    assert P.smape(y, yh) == pytest.approx(200 * np.mean([1 / 3, 1 / 3, 0]))
    assert P.smape(y, np.array([np.nan, -2.0, 3.0])) == pytest.approx(200 / 3)
    with pytest.raises(ValueError):
        P.smape(y, y[:2])
    with pytest.raises(ValueError):
        P.smape([], [])


def test_agreement_stats():
    a = np.array([0.1, 0.5, 1.0, 2.0])
    s = P.agreement_stats(a, a)
    assert s["spearman"] == pytest.approx(1.0) and s["within"] == 1.0
    assert s["median_abs_log_ratio"] == 0.0
    assert P.agreement_stats(a, 3 * a)["within"] == 0.0
    with pytest.raises(ValueError):
        P.agreement_stats(a, a[:3])


def test_forecasters_on_a_periodic_signal():
    t = np.arange(180)
    y = np.sin(2 * np.pi * t / 15)
    tr, H = y[:150], 30
    assert P.smape(y[150:] + 2, P.forecast_naive_seasonal(tr, H, season=15) + 2) < 1e-9
    assert np.abs(P.forecast_ar(tr, H, lags=10, ridge=1e-12) - y[150:]).max() < 1e-4
    out = P.forecast_mlp_batched(np.stack([tr, tr]), H, lags=15, steps=5)
    assert out.shape == (2, H)
    with pytest.raises(ValueError):
        P.forecast_mlp_batched(tr, H)


def test_forecast_benchmark_and_dataset():
    cfg = P.CONFIGS.ci.replace(mlp_steps=20)
    data = P.make_dataset(["Lorenz", "Rossler", "Chen"], cfg, 15, seed=0)
    assert set(data) == {"Lorenz", "Rossler", "Chen"}
    assert all(v.shape == (180,) for v in data.values())
    sc = P.forecast_benchmark(data, cfg, 15, seed=0)
    for m in P.MODELS:
        assert all(0 <= v <= 200 for v in sc[m].values())
    with pytest.raises(ValueError):
        P.forecast_benchmark({}, cfg, 15)
