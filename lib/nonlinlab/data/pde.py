"""Reference PDE solvers: how operator-learning and PINN data are made, each tested exactly.

All run at run time (nothing generated is committed) in float64 NumPy:

* :func:`periodic_grid` — ``N`` points on ``[0, L)``;
* :func:`convection_diffusion` — ``u_t + c u_x = ν u_xx`` on a periodic domain, **exact** in
  Fourier space: ``û_k(t) = û_k(0) exp(−i k c t − ν k² t)`` (any band-limited initial data);
* :func:`burgers` — viscous Burgers ``u_t + (u²/2)_x = ν u_xx``, periodic, pseudo-spectral with
  2/3-rule dealiasing and the integrating-factor RK4 scheme (the stiff diffusion is integrated
  exactly); :func:`burgers_cole_hopf_sine` is the exact solution for ``u₀ = sin x`` on
  ``[0, 2π)`` (the Cole–Hopf integral by quadrature), the oracle of the tests;
* :func:`elliptic_1d` — ``−(a(x) u′)′ = f`` on ``(0, 1)``, ``u(0) = u(1) = 0`` (the 1-D Darcy
  problem), conservative second-order finite differences with ``a`` at the mid-points;
* :func:`wave_1d` — ``u_tt = c² u_xx`` on ``(0, ℓ)`` with fixed ends (a bar / string),
  explicit leapfrog (second order; CFL ``c Δt/Δx ≤ 1`` checked), the source of wave/bar data.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_banded


def periodic_grid(n: int, length: float = 2 * np.pi) -> np.ndarray:
    """``n`` equispaced points on ``[0, length)``."""
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    return np.arange(int(n)) * (length / n)


def _wavenumbers(n: int, length: float) -> np.ndarray:
    return 2 * np.pi * np.fft.rfftfreq(n, d=length / n)


def _times(t) -> np.ndarray:
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if t.ndim != 1 or (t < 0).any() or (np.diff(t) < 0).any():
        raise ValueError("times must be a non-negative, non-decreasing 1-D sequence")
    return t


def convection_diffusion(u0: np.ndarray, t, *, c: float = 0.0, nu: float = 0.0,
                         length: float = 2 * np.pi) -> np.ndarray:
    """Exact solution of ``u_t + c u_x = ν u_xx`` (periodic, ``ν ≥ 0``) at times ``t`` from
    samples ``u0`` on :func:`periodic_grid` — exact for band-limited data. Returns
    ``(len(t), N)``."""
    u0 = np.asarray(u0, dtype=np.float64)
    if u0.ndim != 1:
        raise ValueError(f"u0 must be 1-D samples, got shape {u0.shape}")
    if nu < 0:
        raise ValueError(f"nu must be >= 0, got {nu}")
    t = _times(t)
    k = _wavenumbers(len(u0), length)
    uh = np.fft.rfft(u0)
    factor = np.exp(np.outer(t, -1j * k * c - nu * k * k))
    return np.fft.irfft(uh[None] * factor, n=len(u0), axis=-1)


def burgers(u0: np.ndarray, t, *, nu: float, dt: float, length: float = 2 * np.pi,
            dealias: bool = True) -> np.ndarray:
    """Viscous Burgers ``u_t + u u_x = ν u_xx`` (periodic) from ``u0`` on
    :func:`periodic_grid`, returned at times ``t`` ``(len(t), N)``; a batch of initial
    conditions ``u0`` of shape ``(B, N)`` is solved at once and returned as ``(len(t), B, N)``.

    Fourier pseudo-spectral: ``N(û) = −(i k/2)·FFT((IFFT û)²)`` with the top third of the
    modes zeroed (2/3 rule) when ``dealias``; integrating-factor RK4 on ``v = e^{νk²t} û``
    with step ``≤ dt`` (shortened to land on every output time)."""
    u0 = np.asarray(u0, dtype=np.float64)
    if u0.ndim not in (1, 2):
        raise ValueError(f"u0 must be 1-D samples or a (B, N) batch, got shape {u0.shape}")
    if nu <= 0 or dt <= 0:
        raise ValueError("nu and dt must be positive")
    t = _times(t)
    n = u0.shape[-1]
    k = _wavenumbers(n, length)
    mask = np.ones_like(k)
    if dealias:
        mask[k >= (2 / 3) * k.max()] = 0.0
    lin = -nu * k * k

    def nonlinear(uh):
        u = np.fft.irfft(uh * mask, n=n)
        return -0.5j * k * np.fft.rfft(u * u) * mask

    def step(uh, h):
        e2 = np.exp(lin * h / 2)
        e = e2 * e2
        a = nonlinear(uh)
        b = nonlinear(e2 * (uh + h / 2 * a))
        c_ = nonlinear(e2 * uh + h / 2 * b)
        d = nonlinear(e * uh + h * e2 * c_)
        return e * uh + h / 6 * (e * a + 2 * e2 * (b + c_) + d)

    out = np.empty((len(t), *u0.shape))
    uh, now = np.fft.rfft(u0), 0.0
    for i, target in enumerate(t):
        span = target - now
        if span > 0:
            m = int(np.ceil(span / dt - 1e-12))
            for _ in range(m):
                uh = step(uh, span / m)
            now = target
        out[i] = np.fft.irfft(uh, n=n)
    if not np.isfinite(out).all():
        raise FloatingPointError("the Burgers solve blew up: reduce dt or raise the resolution")
    return out


def burgers_cole_hopf_sine(x: np.ndarray, t, *, nu: float) -> np.ndarray:
    """Exact solution of viscous Burgers on ``[0, 2π)`` with ``u(x, 0) = sin x`` (Cole–Hopf):
    ``u(x, t) = ∫ (x − y)/t · e^{−G/2ν} dy / ∫ e^{−G/2ν} dy`` with
    ``G(y) = (1 − cos y) + (x − y)²/(2t)``, both integrals by the trapezoidal rule (spectrally
    accurate for these smooth, rapidly decaying integrands) on a grid that resolves
    ``√(νt)`` and ``√ν``, after subtracting ``min G`` (no overflow for small ν). The Bessel-
    series form cancels catastrophically near ``x = π`` once ``1/ν`` is large."""
    if nu <= 0:
        raise ValueError("nu must be positive")
    x = np.asarray(x, dtype=np.float64)
    t = _times(t)
    out = np.empty((len(t), x.size))
    for i, ti in enumerate(t):
        if ti == 0:
            out[i] = np.sin(x).reshape(-1)
            continue
        reach = np.sqrt(2 * ti * (2 + 100 * nu))  # beyond it the weight is below e^{-50}
        h = min(np.sqrt(nu * ti), np.sqrt(nu)) / 12
        s = np.arange(-reach, reach + h, h)  # y = x - s
        y = x.reshape(-1, 1) - s[None]
        G = (1 - np.cos(y)) + s[None] ** 2 / (2 * ti)
        w = np.exp(-(G - G.min(axis=1, keepdims=True)) / (2 * nu))
        out[i] = (w * s[None]).sum(1) / (ti * w.sum(1))
    return out.reshape(len(t), *x.shape)


def elliptic_1d(a, f, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``−(a u′)′ = f`` on ``(0, 1)``, ``u(0) = u(1) = 0``, on ``n`` interior points
    (``h = 1/(n+1)``): ``−[a_{i+½}(u_{i+1} − u_i) − a_{i−½}(u_i − u_{i−1})]/h² = f_i``.
    ``a`` and ``f`` are callables on ``[0, 1]`` (``a > 0``). Returns ``(x, u)`` with the
    boundary points included (``n + 2`` values). Second-order accurate."""
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    h = 1.0 / (n + 1)
    x = np.linspace(0.0, 1.0, n + 2)
    am = np.asarray(a(x[:-1] + h / 2), dtype=np.float64)  # a at the n+1 mid-points
    if am.shape != (n + 1,) or (am <= 0).any():
        raise ValueError("a must be a positive function of x (vectorised)")
    rhs = np.asarray(f(x[1:-1]), dtype=np.float64) * h * h
    band = np.zeros((3, n))
    band[0, 1:] = -am[1:-1]
    band[1] = am[:-1] + am[1:]
    band[2, :-1] = -am[1:-1]
    u = np.zeros(n + 2)
    u[1:-1] = solve_banded((1, 1), band, rhs)
    return x, u


def wave_1d(u0, v0, *, c: float, length: float, n: int, t_end: float, cfl: float = 0.9,
            n_out: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``u_tt = c² u_xx`` on ``(0, ℓ)``, ``u = 0`` at both ends, from displacement ``u0`` and
    velocity ``v0`` (callables), by leapfrog on ``n`` intervals with ``Δt = cfl·Δx/c``
    (adjusted to land on ``t_end``). Returns ``(x, times, u)`` with ``u`` of shape
    ``(n_out, n + 1)`` at ``n_out`` equispaced times in ``[0, t_end]``."""
    if not 0 < cfl <= 1:
        raise ValueError(f"the CFL number must be in (0, 1] for stability, got {cfl}")
    if c <= 0 or length <= 0 or t_end <= 0 or n < 2 or n_out < 2:
        raise ValueError("c, length and t_end must be positive; n >= 2, n_out >= 2")
    x = np.linspace(0.0, length, n + 1)
    dx = length / n
    times = np.linspace(0.0, t_end, n_out)
    per = int(np.ceil((t_end / (n_out - 1)) / (cfl * dx / c)))
    dt = t_end / (n_out - 1) / per
    r2 = (c * dt / dx) ** 2
    u_prev = np.asarray(u0(x), dtype=np.float64).copy()
    u_prev[[0, -1]] = 0.0
    lap = np.zeros_like(u_prev)
    lap[1:-1] = u_prev[2:] - 2 * u_prev[1:-1] + u_prev[:-2]
    u_now = u_prev + dt * np.asarray(v0(x), dtype=np.float64) + 0.5 * r2 * lap  # Taylor start
    u_now[[0, -1]] = 0.0
    out = np.empty((n_out, n + 1))
    out[0] = u_prev
    for j in range(1, n_out):
        for s in range(per):
            if j == 1 and s == 0:
                continue  # the Taylor start already made the first step
            u_next = np.zeros_like(u_now)
            u_next[1:-1] = (2 * u_now[1:-1] - u_prev[1:-1]
                            + r2 * (u_now[2:] - 2 * u_now[1:-1] + u_now[:-2]))
            u_prev, u_now = u_now, u_next
        out[j] = u_now
    return x, times, out
