"""Oracles for nonlinlab.papers.fccov_net (fast: a few seconds, tiny trainings only)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import fccov_net as P


def _sample(model="M2", n=40, seed=0):
    rng = np.random.default_rng(seed)
    s = P.simulate(model, n, 6, rng)
    return s, P.distances(model, s.Y), rng


@pytest.mark.parametrize("model", P.MODELS)
def test_sorted_and_quadratic_equal_triple_sum(model):
    s, D, rng = _sample(model)
    w = rng.standard_normal((len(D), 2))
    naive = P.fccov_naive(w, D)
    assert naive > 0
    assert abs(float(P.fccov(torch.as_tensor(w), P.BallIndex(D))) - naive) < 1e-15
    assert abs(float(P.fccov_quadratic(torch.as_tensor(w), P.ball_kernel(D, chunk=7)))
               - naive) < 1e-15


def test_ties_are_inside_the_ball():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=(30, 1)).astype(float)
    D = P.distances("M1", y)
    w = rng.standard_normal((30, 1))
    naive = P.fccov_naive(w, D)
    assert abs(float(P.fccov(torch.as_tensor(w), P.BallIndex(D))) - naive) < 1e-15
    # mutation: a strict inequality (ties outside the ball) gives another value
    wc = w - w.mean(0)
    strict = sum(((((D[j][None, :] < D[j][:, None]) @ wc) / 30) ** 2).sum()
                 for j in range(30)) / 30 ** 2
    assert abs(strict - naive) > 1e-6


def test_invariance_and_centring():
    s, D, rng = _sample("M3")
    w = rng.standard_normal((len(D), 1))
    base = P.fccov_naive(w, D)
    assert P.fccov_naive(w, np.expm1(D)) == pytest.approx(base, abs=1e-15)
    assert P.fccov_naive(w, D ** 3) == pytest.approx(base, abs=1e-15)
    assert P.fccov_naive(w + 5.0, D) == pytest.approx(base, abs=1e-15)  # centred: shift-free
    assert P.fccov_naive(3 * w, D) == pytest.approx(9 * base, rel=1e-12)  # quadratic in w


def test_fccov_detects_dependence_not_independence():
    rng = np.random.default_rng(0)
    s = P.simulate("M1", 300, 6, rng)
    D = P.distances("M1", s.Y)
    stat, null = P.permutation_test(s.h, D, 100, rng)
    assert stat > null.max()
    stat0, null0 = P.permutation_test(rng.standard_normal(300), D, 100, rng)
    assert (null0 >= stat0).mean() > 0.01


def test_w2_closed_form_against_pot():
    ot = pytest.importorskip("ot")
    from scipy.stats import norm

    u = (np.arange(4000) + 0.5) / 4000
    a, b = norm.ppf(u, 0.2, 0.6), norm.ppf(u, -1.0, 1.4)
    w2 = np.sqrt(ot.wasserstein_1d(a, b, p=2))
    assert w2 == pytest.approx(P.w2_gaussian(0.2, 0.6, -1.0, 1.4), rel=2e-3)


def test_dcor_properties_and_naive_formula():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((80, 2))
    assert P.dcor(x, 3 * x + 1) == pytest.approx(1.0, abs=1e-12)
    assert P.dcor(x[:, 0], x[:, 0] ** 2) > 0.3  # nonlinear dependence, zero correlation
    assert P.dcor(x[:, 0], rng.standard_normal(80)) < 0.3
    # naive double loop of the V-statistic (Székely, Rizzo & Bakirov 2007)
    a, b = x[:30, 0], x[:30, 1] ** 2
    A = np.abs(a[:, None] - a[None])
    B = np.abs(b[:, None] - b[None])

    def cen(M):
        return M - M.mean(0) - M.mean(1)[:, None] + M.mean()

    v = lambda P_, Q: np.mean(cen(P_) * cen(Q))  # noqa: E731
    ref = np.sqrt(v(A, B) / np.sqrt(v(A, A) * v(B, B)))
    assert P.dcor(a, b) == pytest.approx(ref, rel=1e-12)


def test_sir_recovers_a_linear_index():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 6))
    beta = np.array([1.0, -2.0, 0, 0, 0.5, 0])
    y = np.exp(X @ beta / 3) + 0.1 * rng.standard_normal(500)
    b = P.sir_directions(X, y, 1)[:, 0]
    cos = abs(b @ beta) / np.linalg.norm(b) / np.linalg.norm(beta)
    assert cos > 0.95


def test_fccov_net_learns_and_shuffle_breaks_it():
    cfg = P.Config(n_train=300, n_test=200, n_val=60, steps=400, hidden=32, n_slices=5,
                   eval_every=20)
    rng = np.random.default_rng(0)
    s = P.simulate("M1", 500, 6, rng)
    X = P.standardise(s.X, s.X)
    out = {}
    for shuffle in (False, True):
        Y = s.Y[:300][rng.permutation(300)] if shuffle else s.Y[:300]
        net, _ = P.train_fccov_net(X[:240], P.distances("M1", Y[:240]), 1, cfg, seed=0,
                                   X_val=X[240:300], D_val=P.distances("M1", Y[240:300]))
        with torch.no_grad():
            f = net(torch.as_tensor(X[300:])).numpy()
        out[shuffle] = P.dcor(f, s.h[300:])
        if not shuffle:
            assert abs(np.var(net(torch.as_tensor(X[:240])).detach().numpy()) - 1) < 0.5
    assert out[False] > 0.6
    assert out[True] < 0.3


def test_config_errors_and_budget():
    with pytest.raises(ValueError, match="n_val"):
        P.Config(n_val=1000)
    with pytest.raises(ValueError, match="unknown model"):
        P.simulate("M9", 10, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="square"):
        P.BallIndex(np.zeros((3, 4)))
    assert P.estimate_seconds(P.CONFIGS.ci) <= 30
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
