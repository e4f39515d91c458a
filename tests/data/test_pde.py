"""The reference PDE solvers against exact solutions (and their convergence orders)."""

from __future__ import annotations

import numpy as np
import pytest

from nonlinlab.data import pde


def test_convection_diffusion_is_exact_for_band_limited_data():
    x = pde.periodic_grid(64)
    c, nu, t = 30.0, 0.05, np.array([0.0, 0.1, 0.7])
    u = pde.convection_diffusion(np.sin(3 * x) + np.cos(x), t, c=c, nu=nu)
    want = (np.sin(3 * (x - c * t[:, None])) * np.exp(-9 * nu * t[:, None])
            + np.cos(x - c * t[:, None]) * np.exp(-nu * t[:, None]))
    assert np.abs(u - want).max() < 1e-12
    with pytest.raises(ValueError):
        pde.convection_diffusion(np.zeros((4, 4)), [0.1])
    with pytest.raises(ValueError):
        pde.convection_diffusion(np.zeros(8), [0.2, 0.1])


def test_cole_hopf_oracle_matches_the_bessel_series_and_solves_burgers():
    from scipy.special import ive

    x = pde.periodic_grid(256)
    nu, t = 0.1, np.array([0.5, 1.0])
    n = np.arange(1, 200)  # exact series (accurate for moderate 1/ν)
    decay = np.exp(-nu * np.outer(t, n * n)) * ive(n, 1 / (2 * nu))
    phi = ive(0, 1 / (2 * nu)) + 2 * decay @ np.cos(np.outer(n, x))
    series = 4 * nu * (decay * n) @ np.sin(np.outer(n, x)) / phi
    assert np.abs(pde.burgers_cole_hopf_sine(x, t, nu=nu) - series).max() < 1e-10
    assert np.abs(pde.burgers_cole_hopf_sine(x, [0.0], nu=nu)[0] - np.sin(x)).max() == 0
    # small ν (where the series cancels): the PDE residual, FD in t, spectral in x
    nu, t, h = 0.02, 0.6, 1e-4
    x = pde.periodic_grid(1024)
    U = pde.burgers_cole_hopf_sine(x, [t - h, t, t + h], nu=nu)
    k = np.fft.rfftfreq(1024, 1 / 1024)
    ux = np.fft.irfft(1j * k * np.fft.rfft(U[1]), n=1024)
    uxx = np.fft.irfft(-k * k * np.fft.rfft(U[1]), n=1024)
    residual = (U[2] - U[0]) / (2 * h) + U[1] * ux - nu * uxx
    assert np.abs(residual).max() < 1e-4 * np.abs(nu * uxx).max()


def test_burgers_solver_matches_cole_hopf_with_spectral_convergence():
    nu, t = 0.1, [0.5, 1.0]
    errors = []
    for n in (64, 128, 256):
        x = pde.periodic_grid(n)
        u = pde.burgers(np.sin(x), t, nu=nu, dt=2e-3)
        errors.append(np.abs(u - pde.burgers_cole_hopf_sine(x, t, nu=nu)).max())
    # spectral: 3.7e-5 → 2.6e-9 → 1.4e-11 (the RK4 time error at dt = 2e-3 is the floor)
    assert errors[0] / errors[1] > 1000 and errors[-1] < 1e-10
    # a steep front (ν = 0.02) needs N = 1024
    x = pde.periodic_grid(1024)
    u = pde.burgers(np.sin(x), [1.5], nu=0.02, dt=5e-4)
    assert np.abs(u - pde.burgers_cole_hopf_sine(x, [1.5], nu=0.02)).max() < 1e-6
    with pytest.raises(ValueError):
        pde.burgers(np.sin(x), [1.0], nu=0.0, dt=1e-3)


def test_elliptic_solver_is_second_order():
    a = lambda x: 1 + x * x  # noqa: E731
    f = lambda x: (-2 * np.pi * x * np.cos(np.pi * x)  # noqa: E731
                   + (1 + x * x) * np.pi ** 2 * np.sin(np.pi * x))
    errs = []
    for n in (31, 63, 127):
        x, u = pde.elliptic_1d(a, f, n)
        assert u[0] == 0 and u[-1] == 0
        errs.append(np.abs(u - np.sin(np.pi * x)).max())
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - 2) < 0.1), orders
    with pytest.raises(ValueError, match="positive"):
        pde.elliptic_1d(lambda x: x - 0.5, f, 15)


def test_wave_solver_is_second_order_and_refuses_unstable_steps():
    ell, c = 2.0, 1.5
    errs = []
    for n in (32, 64, 128):
        x, times, u = pde.wave_1d(lambda x: np.sin(np.pi * x / ell), lambda x: 0 * x, c=c,
                                  length=ell, n=n, t_end=3.0, cfl=0.5)
        exact = np.sin(np.pi * x / ell)[None] * np.cos(c * np.pi * times / ell)[:, None]
        errs.append(np.abs(u - exact).max())
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(np.abs(orders - 2) < 0.15), orders
    # a travelling pulse from a velocity: energy (discrete) is nearly conserved
    x, times, u = pde.wave_1d(lambda x: 0 * x, lambda x: np.exp(-200 * (x - 1) ** 2), c=c,
                              length=ell, n=400, t_end=1.0)
    assert np.abs(u).max() > 0.01 and np.isfinite(u).all()
    with pytest.raises(ValueError, match="CFL"):
        pde.wave_1d(np.sin, np.sin, c=1, length=1, n=10, t_end=1, cfl=1.2)
