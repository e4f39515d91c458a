"""Tests of the NNs-to-NOs chapter: kernel interpolation (sizes, quadrature, convergence, with
mutations), Fourier resampling, the batched Burgers solver against the per-sample one, nested
data, the spectral layer's grid agreement, metrics, bad input and the cost model."""

import math

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.data.pde import burgers, periodic_grid
from nonlinlab.models.operators import SpectralConv1d
from nonlinlab.papers import nns_to_nos as P

CFG = P.CONFIGS.ci
TINY = CFG.replace(n_train=32, n_test=4, test_res=(64, 128, 256), kernel_demo_res=(128, 256, 512),
                   width=8, steps=5)


def test_interpolated_kernel_size_padding_and_quadrature():
    torch.manual_seed(0)
    w = torch.randn(3, 2, 5, dtype=torch.float64)
    w1, p1 = P.interpolate_kernel(w, 1.0)
    assert w1 is w and p1 == 2
    for s, ks in ((0.5, 3), (2.0, 9), (8.0, 33)):
        ws, pad = P.interpolate_kernel(w, s)
        assert ws.shape == (3, 2, ks) and pad == (ks - 1) // 2 == int(2 * s)
    # the official k/k_s factor keeps the sum of a constant kernel (its DC gain) exactly
    const = torch.ones(1, 1, 5, dtype=torch.float64)
    for s in (2.0, 4.0, 8.0):
        assert float(P.interpolate_kernel(const, s)[0].sum()) == pytest.approx(5.0, rel=1e-12)


def test_converted_layer_converges_and_plain_layer_does_not():
    for seed in range(3):
        out = P.kernel_convergence(CFG, seed=seed)
        interp, plain = out["interp"], out["plain"]
        assert interp[-1] < 0.35 * plain[-1]
        assert plain[-1] > plain[0]                      # a pixel kernel keeps drifting
        assert abs(interp[-1] - interp[-2]) < 0.07       # the interpolated one settles


def test_quadrature_factor_is_needed():
    """Mutation: without the k/k_s factor the interpolated layer's output grows like s."""
    torch.manual_seed(1)
    conv = P.InterpConv1d(1, 1, 5, 64).double()
    conv.bias.data.zero_()
    conv.weight.data = torch.ones(1, 1, 5, dtype=torch.float64) / 5
    conv.interpolate = True
    conv.requires_grad_(False)
    u = P.bumps(512, [1.0, 4.0], 0.4)[:, None]
    ref = conv(P.bumps(64, [1.0, 4.0], 0.4)[:, None])
    fine = conv(u)[..., ::8]
    assert float((fine - ref).norm() / ref.norm()) < 0.02
    ws, pad = P.interpolate_kernel(conv.weight, 8.0)
    no_quad = torch.nn.functional.conv1d(torch.nn.functional.pad(u, (pad, pad), mode="circular"),
                                         ws * ws.shape[-1] / 5)[..., ::8]
    assert float((no_quad / ref).median()) > 5


def test_conversion_keeps_weights_and_equals_cnn_on_the_training_grid():
    torch.manual_seed(0)
    cnn = P.CNN1d(TINY)
    conv = P.to_neural_operator(cnn)
    u = torch.randn(3, TINY.train_res)
    with torch.no_grad():
        torch.testing.assert_close(conv(u), cnn(u))
    assert all(m.interpolate for m in conv.modules() if isinstance(m, P.InterpConv1d))
    assert not any(m.interpolate for m in cnn.modules() if isinstance(m, P.InterpConv1d))
    assert conv(torch.randn(2, 256)).shape == (2, 256)


def test_fourier_resize_is_exact_for_band_limited_data():
    x64, x256 = periodic_grid(64), periodic_grid(256)
    f = lambda x: np.sin(3 * x) + 0.5 * np.cos(7 * x) - 0.2 * np.sin(20 * x)  # noqa: E731
    up = P.fourier_resize(torch.as_tensor(f(x64))[None], 256)[0].numpy()
    np.testing.assert_allclose(up, f(x256), atol=1e-12)
    down = P.fourier_resize(torch.as_tensor(f(x256))[None], 64)[0].numpy()
    np.testing.assert_allclose(down, f(x64), atol=1e-12)
    v = torch.randn(2, 32, dtype=torch.float64)   # up then down returns any input exactly
    torch.testing.assert_close(P.fourier_resize(P.fourier_resize(v, 128), 32), v)


def test_batched_burgers_matches_per_sample_solves():
    rng = np.random.default_rng(0)
    coef = P.initial_conditions(CFG, 3, rng)
    u0 = P.sample_ic(coef, 64)
    batch = burgers(u0, [0.2, 0.5], nu=0.05, dt=0.01)
    assert batch.shape == (2, 3, 64)
    for i in range(3):
        np.testing.assert_allclose(batch[:, i], burgers(u0[i], [0.2, 0.5], nu=0.05, dt=0.01),
                                   atol=1e-13)
    with pytest.raises(ValueError, match="batch"):
        burgers(np.zeros((2, 2, 8)), [0.1], nu=0.1, dt=0.01)


def test_data_is_nested_resolved_and_uses_a_stable_step():
    data = P.make_data(TINY, seed=0)
    fine = data["test"][256]
    for n in (64, 128):
        torch.testing.assert_close(data["test"][n][1], fine[1][:, ::256 // n])
    coef = P.initial_conditions(CFG, 4, np.random.default_rng(1))
    _, u = P.solve(CFG, coef, 256)                # the grid of the training solves
    _, u_fine = P.solve(CFG, coef, 512)
    assert np.abs(u_fine[:, ::2] - u).max() < 1e-4                        # grid-converged
    ref = burgers(P.sample_ic(coef, 256), [CFG.T], nu=CFG.nu, dt=P._dt(CFG, 256) / 4)[0]
    assert np.abs(ref - u).max() < 1e-4                                   # step-converged
    rms = np.sqrt((P.sample_ic(P.initial_conditions(CFG, 2000, np.random.default_rng(2)), 64)
                   ** 2).mean())
    assert rms == pytest.approx(CFG.ic_rms, rel=0.05)


def test_spectral_layer_agrees_across_grids():
    assert P.spectral_agreement(CFG, seed=0) < 1e-5
    assert isinstance(P.make_fno(TINY).fno.spectral[0], SpectralConv1d)
    assert not any(isinstance(m, SpectralConv1d) for m in P.make_fno(TINY, "pixel").modules())


def test_metrics():
    torch.manual_seed(0)
    a, b = torch.randn(4, 32), torch.randn(4, 32)
    np.testing.assert_allclose(P.rel_l2(a, b).numpy(),
                               np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1),
                               rtol=1e-6)
    expected = (2 * math.pi / 32) * float(((a - b) ** 2).sum())
    assert float(P.abs_l2_sq(a, b)) == pytest.approx(expected, rel=1e-6)


def test_tiny_experiment_runs_end_to_end():
    out = P.resolution_experiment(TINY, seed=0)
    assert set(out["err"]) == set(P.MODELS)
    assert all(np.isfinite(v) for e in out["err"].values() for v in e.values())
    assert out["err"]["CNN"][128] == pytest.approx(out["err"]["CNN, kernel-interpolated"][128])


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="whole number"):
        P._scale(48, 64, 5)
    with pytest.raises(ValueError, match="training resolution"):
        CFG.replace(test_res=(256, 512))
    with pytest.raises(ValueError, match="modes"):
        CFG.replace(test_res=(16, 128))
    with pytest.raises(ValueError, match="spectral"):
        P.make_fno(TINY, "wavelet")
    with pytest.raises(ValueError, match=r"\(B, N\)"):
        P.CNN1d(TINY)(torch.zeros(2, 1, 64))


def test_cost_model_fits_the_budgets():
    assert P.estimate_seconds(CFG) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
