"""Tests of the NUPES / PowerQuant chapter module (fast, CPU, no model weights)."""

import numpy as np
import pytest
import torch

from nonlinlab.papers import nupes as P


def test_exactness_oracle():
    o = P.exactness_oracle(seed=1)
    assert o["a = 1 vs torch fake_quantize"] == 0.0          # bit-for-bit
    assert max(o.values()) < 1e-12


def test_power_is_automorphism_and_invertible():
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    for a in (0.3, 0.7, 1.5):
        torch.testing.assert_close(P.power(P.power(x, a), 1 / a), x)
        torch.testing.assert_close(P.power(x * 2.5, a), P.power(x, a) * P.power(torch.tensor(2.5,
                                   dtype=torch.float64), a))


def test_levels_count_and_monotone():
    W = torch.randn(8, 500, dtype=torch.float64)
    for bits in (2, 3, 4):
        Wq = P.power_quantize(W, 0.5, bits)
        assert all(len(torch.unique(r)) <= 2 ** bits - 1 for r in Wq)
    k = torch.arange(-7, 8, dtype=torch.float64)
    lv = P.levels(k, torch.tensor(1.0, dtype=torch.float64), 0.5, 4)
    assert torch.all(lv.diff() > 0) and lv[7] == 0 and lv[-1] == 1.0
    # a < 1 puts the first level closer to zero than the uniform grid
    assert P.levels(torch.tensor([1.0]), torch.tensor(1.0), 0.5, 4) < 1 / 7


def test_power_beats_uniform_on_laplace_and_fails_when_forced_uniform():
    W = P.synthetic_weights("Laplace", 50, 1000, seed=0)
    a, grid, err = P.search_exponent([W], 4)
    assert a < 0.8 and err.min() / err[-1] < 0.7
    # a quantizer labelled as power but uniform (a ignored) gains nothing
    assert P.sq_error(W, P.power_quantize(W, 1.0, 4)) == pytest.approx(err[-1])


def test_clipping_never_hurts():
    W = P.synthetic_weights("Student-t (3)", 20, 500, seed=3)
    rhos = P.rho_values((0.3, 1.0, 0.05))
    assert P.sq_error(W, P.clipped_quantize(W, 1.0, 3, rhos)) <= P.sq_error(
        W, P.power_quantize(W, 1.0, 3)) + 1e-12
    # the clipped power quantizer equals Eq. 2 at the chosen per-channel ratios
    Wq, rho = P.clipped_quantize(W, 0.6, 3, rhos, return_rho=True)
    assert rho.shape == (20, 1) and float(rho.min()) < 1.0
    torch.testing.assert_close(Wq, P.power_quantize(W, 0.6, 3, rho))
    # NUPES with no step starts exactly there
    Z, d = torch.zeros(1, 500, dtype=torch.float64), torch.ones(500, dtype=torch.float64)  # H = I
    W0, _, _ = P.nupes_layer(W, Z, d, 0.6, 3, steps=0, lr_u=0.1, lr_theta=0.05, lr_gamma=0.005,
                             rho=rho)
    torch.testing.assert_close(W0, Wq)


def test_low_rank_covariance_on_a_steep_spectrum():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(1000, 64, generator=g, dtype=torch.float64) @ torch.diag(
        0.7 ** torch.arange(64, dtype=torch.float64))
    Z, d = P.covariance_factor(X, 16)
    H = X.T @ X / 1000
    # diagonal exact, off-diagonal error small compared with H
    torch.testing.assert_close(torch.diagonal(Z.T @ Z) + d, torch.diagonal(H))
    assert float((Z.T @ Z - H).abs().max()) < 1e-3 * float(H.abs().max())


def test_nupes_layer_reduces_output_error_and_moves_a():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(32, 48, generator=g)
    X = torch.randn(400, 48, generator=g) * torch.linspace(0.1, 3, 48)
    X = X @ (torch.eye(48) + 0.3 * torch.randn(48, 48, generator=g))     # correlated inputs
    Z, d = P.covariance_factor(X, None)
    H = X.T.double() @ X.double() / 400
    dW = torch.randn(32, 48, generator=g)
    exact = float(torch.einsum("ij,jk,ik->", dW.double(), H, dW.double()))
    assert float(P.output_error(dW, Z, d)) == pytest.approx(exact, rel=1e-4)
    Z8, d8 = P.covariance_factor(X, 8)        # low rank + diagonal: an approximation
    assert float(P.output_error(dW, Z8, d8)) == pytest.approx(exact, rel=0.5)
    a0 = 0.7
    Wq0 = P.power_quantize(W, a0, 3)
    e0 = float(P.output_error(Wq0 - W, Z, d))
    Wq, a, curve = P.nupes_layer(W, Z, d, a0, 3, steps=60, lr_u=0.1, lr_theta=0.05,
                                 lr_gamma=0.005)
    assert curve[0] == pytest.approx(1.0)
    assert float(P.output_error(Wq - W, Z, d)) < 0.97 * e0
    Wq0_, _, _ = P.nupes_layer(W, Z, d, a0, 3, steps=0, lr_u=0.1, lr_theta=0.05, lr_gamma=0.005)
    torch.testing.assert_close(Wq0_, Wq0)          # no step: PowerQuant's weights
    assert a != a0
    # rounding-only: every code is the floor or the ceiling of the initial continuous code
    qw = P.PowerQuantizedWeight(W, a0, 3, mode="rounding")
    with torch.no_grad():
        qw.u.add_(torch.randn(W.shape, generator=g) * 3)
    k = qw.codes()
    assert torch.all((k - qw.floor >= 0) | (k == -3)) and torch.all(k - qw.floor <= 1)


def test_bad_inputs():
    with pytest.raises(ValueError):
        P.qmax(1)
    with pytest.raises(ValueError):
        P.power_quantize(torch.randn(3, 3), 0.0, 4)
    with pytest.raises(ValueError):
        P.channel_range(torch.randn(3))
    with pytest.raises(ValueError):
        P.synthetic_weights("Cauchy", 2, 2, 0)
    with pytest.raises(ValueError):
        P.PowerQuantizedWeight(torch.randn(3, 3), 1.3, 3)


def test_budgets():
    assert P.estimate_seconds(P.CONFIGS.select("ci")) <= 90
    assert P.estimate_seconds(P.CONFIGS.select("full")) <= 20 * 60


def test_sentences_disjoint():
    cfg = P.CONFIGS.select("ci")
    c, e = P.split_sentences(cfg, 0)
    assert len(c) == cfg.n_calib and len(e) == cfg.n_eval and not set(c) & set(e)
    assert np.mean([len(s) for s in e]) > 40
