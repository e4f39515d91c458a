"""Forecasting baselines: RevIN round trip, RLinear = weighted least squares, DLinear's trend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.data.ett import sliding_windows
from nonlinlab.models import forecasting as fc


def ar_series(T=400, C=3, seed=0):
    g = np.random.default_rng(seed)
    x = np.zeros((T, C))
    for t in range(2, T):
        x[t] = 0.6 * x[t - 1] - 0.3 * x[t - 2] + g.normal(size=C) + 2.0 * np.sin(t / 7)
    return torch.tensor(x * np.array([1.0, 3.0, 0.5]) + np.array([0.0, 5.0, -2.0]))


def test_revin_round_trip_is_exact():
    x = torch.randn(5, 12, 3, dtype=torch.float64) * 4 + 7
    for affine in (False, True):
        r = fc.RevIN(3, affine=affine).double()
        if affine:
            with torch.no_grad():
                r.gamma.uniform_(0.5, 2)
                r.beta.normal_()
        z = r.normalise(x)
        if not affine:
            assert torch.allclose(z.mean(1), torch.zeros(5, 3, dtype=x.dtype), atol=1e-12)
        assert torch.allclose(r.denormalise(z), x, atol=1e-10)
    with pytest.raises(RuntimeError):
        fc.RevIN(3).denormalise(x)


def test_rlinear_optimum_is_the_weighted_least_squares_solution():
    torch.manual_seed(0)
    X, Y = sliding_windows(ar_series(), 8, 4)
    model = fc.RLinear(8, 4, 3, affine=False).double()
    # closed form: y = (W z + b)·σ + μ per window and variate, MSE in the original scale
    # = Σ σ² ‖W z + b − (y − μ)/σ‖²: least squares with rows weighted by σ
    mu = X.mean(1, keepdim=True)
    sd = torch.sqrt(X.var(1, keepdim=True, unbiased=False) + 1e-5)
    Z = ((X - mu) / sd).transpose(1, 2).reshape(-1, 8)
    T = ((Y - mu) / sd).transpose(1, 2).reshape(-1, 4)
    w = sd.transpose(1, 2).reshape(-1, 1)
    A = torch.cat([Z, torch.ones(len(Z), 1, dtype=Z.dtype)], 1)
    # each normalised window sums to zero over time, so A is rank deficient by one: take the
    # minimum-norm solution with an explicit cut-off (any minimiser gives the same forecasts)
    sol = torch.linalg.lstsq(A * w, T * w, rcond=1e-10, driver="gelsd").solution
    with torch.no_grad():  # the closed form, loaded into the model, is a stationary point
        model.linear.weight.copy_(sol[:8].T)
        model.linear.bias.copy_(sol[8])
    loss = torch.nn.functional.mse_loss(model(X), Y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    assert max(float(g.abs().max()) for g in grads) < 1e-10
    # and any other weights do worse (the objective is a convex quadratic)
    with torch.no_grad():
        model.linear.weight.add_(1e-3 * torch.randn_like(model.linear.weight))
        assert float(torch.nn.functional.mse_loss(model(X), Y)) > loss.item()


def test_dlinear_trend_is_a_replicate_padded_moving_average():
    x = torch.randn(2, 30, 3, dtype=torch.float64)
    trend = fc.moving_average(x, 5)
    padded = np.concatenate([np.repeat(x[:, :1].numpy(), 2, 1), x.numpy(),
                             np.repeat(x[:, -1:].numpy(), 2, 1)], 1)
    want = np.stack([padded[:, i:i + 5].mean(1) for i in range(30)], 1)
    assert np.allclose(trend.numpy(), want, atol=1e-12)
    m = fc.DLinear(30, 6, 3).double()
    assert m(x).shape == (2, 6, 3)
    with pytest.raises(ValueError):
        fc.moving_average(x, 4)


def test_shapes_naive_and_bad_input():
    x = torch.randn(4, 16, 7)
    assert torch.equal(fc.NaiveLast(5)(x), x[:, -1:].expand(-1, 5, -1))
    for m in (fc.RLinear(16, 5, 7), fc.DLinear(16, 5, 7),
              fc.TemporalTransformer(16, 5, 7, d_model=16, n_heads=2, n_layers=1, d_ff=32)):
        assert m(x).shape == (4, 5, 7)
        with pytest.raises(ValueError, match="look-back|variates|window"):
            m(torch.randn(4, 15, 7))
    with pytest.raises(ValueError):
        fc.NaiveLast(5)(torch.randn(16, 7))


def test_fit_forecaster_early_stops_and_restores_the_best_weights():
    series = ar_series(600).float()
    X, Y = sliding_windows(series, 24, 6)
    model = fc.RLinear(24, 6, 3)
    g = torch.Generator().manual_seed(0)
    res = fc.fit_forecaster(model, (X[:400], Y[:400]), (X[400:], Y[400:]), epochs=6,
                            batch_size=16, lr=1e-2, generator=g)
    assert res.val_mse[0] < 5 * res.val_mse[-1] or res.best_epoch >= 0
    best = min(res.val_mse)
    final = float(torch.nn.functional.mse_loss(fc.predict(model, X[400:]), Y[400:]))
    assert abs(final - best) < 1e-6 * max(1, best)
    naive = float(torch.nn.functional.mse_loss(fc.NaiveLast(6)(X[400:]), Y[400:]))
    assert best < naive


def test_itransformer_is_permutation_equivariant_over_variates_and_count_agnostic():
    torch.manual_seed(0)
    m = fc.ITransformer(16, 4, 5, d_model=32, n_heads=4, d_ff=32, n_layers=2).double().eval()
    x = torch.randn(3, 16, 5, dtype=torch.float64)
    perm = torch.randperm(5)
    assert torch.allclose(m(x[..., perm]), m(x)[..., perm], atol=1e-12)
    assert m(torch.randn(3, 16, 9, dtype=torch.float64)).shape == (3, 4, 9)  # other C
    marks = torch.randn(3, 16, 4, dtype=torch.float64)
    y = m(x, marks)
    assert y.shape == (3, 4, 5) and not torch.allclose(y, m(x))  # marks are attended to
    assert torch.allclose(m(x[..., perm], marks), y[..., perm], atol=1e-12)
    with pytest.raises(ValueError):
        m(torch.randn(3, 15, 5))
