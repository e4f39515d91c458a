"""Metrics of dynamical-systems reconstruction (DSR): does a model reproduce the attractor?

Three invariants that are compared between a ground-truth trajectory and one generated
*freely* by a model (no teacher forcing), as in the DSR literature (Koppe et al. 2019,
Brenner et al. 2022, Hess et al. 2023; the conventions follow the Durstewitz lab's code where
noted):

* :func:`state_space_divergence` — ``D_stsp``, the Kullback-Leibler divergence between the
  occupation histograms of the two trajectories on a grid (low-dimensional systems);
  :func:`state_space_divergence_gmm` — the Gaussian-mixture version for higher dimensions.
* :func:`power_spectrum_distance` — ``D_H``, the Hellinger distance between the smoothed,
  normalised power spectra, averaged over dimensions (long-term temporal structure).
* :func:`lyapunov_spectrum_flow` / :func:`lyapunov_spectrum_map` (and the ``max_`` shortcuts)
  — Lyapunov exponents by the Benettin/QR method, with Jacobians from autograd
  (``torch.func.jacfwd``) or a user-supplied Jacobian; any torch vector field or map works,
  including a trained RNN's step.

All functions accept torch tensors or numpy arrays; trajectories are ``(T, d)`` or
``(B, T, d)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

__all__ = [
    "state_space_divergence", "state_space_divergence_gmm", "power_spectrum",
    "power_spectrum_distance", "hellinger_distance", "lyapunov_spectrum_flow",
    "max_lyapunov_flow", "lyapunov_spectrum_map", "max_lyapunov_map", "autograd_jacobian",
]


def _as_tensor(x, name: str) -> torch.Tensor:
    x = torch.as_tensor(x.detach() if isinstance(x, torch.Tensor) else np.asarray(x))
    if x.ndim not in (2, 3):
        raise ValueError(f"{name} must be (T, d) or (B, T, d), got shape {tuple(x.shape)}")
    return x.to(torch.float64)


def _points(x) -> torch.Tensor:
    return x.reshape(-1, x.shape[-1])


# ------------------------------------------------------------------------------------------
# state-space divergence
# ------------------------------------------------------------------------------------------
def _histogram(x: torch.Tensor, n_bins: int, lo: torch.Tensor, hi: torch.Tensor):
    coords = torch.floor(n_bins * (x - lo) / (hi - lo)).long()
    inside = ((coords >= 0) & (coords < n_bins)).all(dim=1)
    coords = coords[inside]
    d = x.shape[1]
    flat = torch.zeros(coords.shape[0], dtype=torch.long)
    for j in range(d):
        flat = flat * n_bins + coords[:, j]
    return torch.bincount(flat, minlength=n_bins ** d).to(torch.float64)


def state_space_divergence(x_true, x_gen, n_bins: int = 30, *, width: float = 2.0,
                           smoothing: float = 1e-5) -> float:
    """``D_stsp = KL(p_true || p_gen)`` of the binned occupation measures.

    The grid has ``n_bins`` bins per dimension on ``mean ± width·std`` of ``x_true`` (the lab
    code uses ``±2·std`` around 0 on standardised data); points outside are dropped. Both
    histograms get Laplace smoothing ``(h + α) / (Σh + α·n_bins^d)`` with ``α = smoothing``
    (lab default ``1e-5``). Only for low ``d`` (``n_bins**d`` cells; ``d ≤ 5``) — use
    :func:`state_space_divergence_gmm` beyond. Returns NaN if no generated point falls on the
    grid (the lab convention). Differs from the lab's ``klx_metric`` in one detail: that code
    drops points in the first bin of each axis (``coordinates > 0``); we keep them.
    """
    xt, xg = _points(_as_tensor(x_true, "x_true")), _points(_as_tensor(x_gen, "x_gen"))
    if xt.shape[1] != xg.shape[1]:
        raise ValueError("x_true and x_gen must have the same dimension")
    d = xt.shape[1]
    if n_bins ** d > 5e7:
        raise ValueError(f"{n_bins}^{d} bins is too many; use state_space_divergence_gmm")
    mean, std = xt.mean(0), xt.std(0)
    lo, hi = mean - width * std, mean + width * std
    h_true, h_gen = (_histogram(x, n_bins, lo, hi) for x in (xt, xg))
    if h_gen.sum() == 0 or h_true.sum() == 0:
        return float("nan")
    cells = n_bins ** d
    p = (h_true + smoothing) / (h_true.sum() + smoothing * cells)
    q = (h_gen + smoothing) / (h_gen.sum() + smoothing * cells)
    return float((p * torch.log(p / q)).sum())


def state_space_divergence_gmm(x_true, x_gen, *, sigma: float = 1.0, n_points: int = 1000,
                               n_samples: int = 2000, seed: int = 0) -> float:
    """Monte-Carlo ``KL(p_true || p_gen)`` between Gaussian mixtures ``(1/N) Σ N(x_i, σ² I)``
    placed on (up to ``n_points``, evenly subsampled) states of each trajectory — the
    high-dimensional ``D_stsp`` of Koppe et al. (2019) / the lab's ``calc_kl_mc``. Samples are
    drawn from ``p_true`` with a fixed ``seed``; ``σ`` is in the units of the data (standardise
    first)."""
    xt, xg = _points(_as_tensor(x_true, "x_true")), _points(_as_tensor(x_gen, "x_gen"))
    if xt.shape[1] != xg.shape[1]:
        raise ValueError("x_true and x_gen must have the same dimension")

    def sub(x):
        idx = torch.linspace(0, x.shape[0] - 1, min(n_points, x.shape[0])).round().long()
        return x[idx]

    mt, mg = sub(xt), sub(xg)
    gen = torch.Generator().manual_seed(seed)
    comp = torch.randint(mt.shape[0], (n_samples,), generator=gen)
    s = mt[comp] + sigma * torch.randn((n_samples, mt.shape[1]), generator=gen,
                                       dtype=torch.float64)

    def log_mix(m):
        sq = torch.cdist(s, m) ** 2
        return torch.logsumexp(-0.5 * sq / sigma**2, dim=1) - math.log(m.shape[0])

    return float((log_mix(mt) - log_mix(mg)).mean())


# ------------------------------------------------------------------------------------------
# power spectra
# ------------------------------------------------------------------------------------------
def power_spectrum(x, smoothing: float = 1.0, cutoff: int | None = None) -> np.ndarray:
    """Normalised power spectrum per dimension: each series z-scored, ``|rfft|²``, averaged
    over the batch, Gaussian-smoothed over frequency with std ``smoothing`` bins (scipy's
    ``gaussian_filter1d``; 0 = none), truncated to the first ``cutoff`` frequencies, and
    normalised to sum to one. Returns ``(n_freq, d)``."""
    from scipy.ndimage import gaussian_filter1d

    x = _as_tensor(x, "x")
    x = x[None] if x.ndim == 2 else x
    xn = x.numpy()
    z = (xn - xn.mean(1, keepdims=True)) / (xn.std(1, keepdims=True) + 1e-12)
    ps = (np.abs(np.fft.rfft(z, axis=1)) ** 2).mean(0)
    if smoothing > 0:
        ps = gaussian_filter1d(ps, smoothing, axis=0)
    ps = np.clip(ps, 0, None)
    if cutoff is not None:
        ps = ps[:cutoff]
    return ps / ps.sum(0, keepdims=True)


def hellinger_distance(p, q) -> np.ndarray:
    """``H(p, q) = sqrt(1 - Σ sqrt(p q))`` along axis 0 of normalised ``p``, ``q``
    (equivalently ``||√p - √q||₂ / √2``); in [0, 1]."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return np.sqrt(((np.sqrt(p) - np.sqrt(q)) ** 2).sum(0) / 2.0)


def power_spectrum_distance(x_true, x_gen, smoothing: float = 1.0,
                            cutoff: int | None = None, per_dim: bool = False):
    """``D_H``: Hellinger distance between the :func:`power_spectrum` of ``x_true`` and
    ``x_gen`` (same length T), averaged over dimensions (``per_dim=True``: the vector).
    0 for identical spectra, 1 for disjoint ones."""
    xt, xg = _as_tensor(x_true, "x_true"), _as_tensor(x_gen, "x_gen")
    if xt.shape[-2:] != xg.shape[-2:]:
        raise ValueError("x_true and x_gen need the same length and dimension")
    h = hellinger_distance(power_spectrum(xt, smoothing, cutoff),
                           power_spectrum(xg, smoothing, cutoff))
    return h if per_dim else float(h.mean())


# ------------------------------------------------------------------------------------------
# Lyapunov exponents
# ------------------------------------------------------------------------------------------
def autograd_jacobian(fn: Callable, x: torch.Tensor, *args, return_value: bool = False):
    """Per-sample Jacobians ``∂fn(x)/∂x`` for ``x`` of shape ``(B, d)`` → ``(B, d, d)``.

    ``fn`` must act row-wise on ``(..., d)`` and map ``d`` to ``d`` coordinates (extra ``args``
    passed on). Reverse mode on ``d`` stacked copies of the batch: one forward and one backward
    call — on CPU much faster than ``torch.func.jacfwd`` or forward-mode AD, which decompose
    many ops in Python.
    ``return_value=True`` also returns ``fn(x)``.
    """
    B, d = x.shape
    with torch.enable_grad():
        # d copies of the batch; copy i is differentiated through output coordinate i only,
        # so one backward pass gives all rows (valid because fn acts row-wise).
        xx = x.detach().unsqueeze(0).expand(d, B, d).reshape(d * B, d).requires_grad_(True)
        y = fn(xx, *args)
        if y.shape != (d * B, d):
            raise ValueError(f"fn must map (B, d) to (B, d); got {tuple(y.shape)} for "
                             f"input {(d * B, d)}")
        sel = torch.eye(d, dtype=y.dtype, device=y.device).repeat_interleave(B, dim=0)
        (g,) = torch.autograd.grad((y * sel).sum(), xx)
    J = g.reshape(d, B, d).transpose(0, 1)
    return (y.detach()[:B], J) if return_value else J


def _jac_frame(fn: Callable, x: torch.Tensor, Q: torch.Tensor, jac: Callable | None):
    """``(fn(x), J_fn(x) Q)`` for ``x`` ``(B, d)`` and a frame ``Q`` ``(B, d, k)``."""
    if jac is None:
        y, J = autograd_jacobian(fn, x, return_value=True)
        return y, J @ Q
    return fn(x), jac(x) @ Q


def _qr_step(Q: torch.Tensor, sums: torch.Tensor):
    Q, R = torch.linalg.qr(Q)
    diag = torch.diagonal(R, dim1=-2, dim2=-1)
    signs = torch.sign(diag)
    signs = torch.where(signs == 0, torch.ones_like(signs), signs)
    return Q * signs.unsqueeze(-2), sums + torch.log(diag.abs())


def _initial_frame(x0: torch.Tensor, k: int, generator) -> torch.Tensor:
    B, d = x0.shape
    Q = torch.randn((B, d, k), generator=generator, dtype=torch.float64).to(x0)
    return torch.linalg.qr(Q)[0]


def lyapunov_spectrum_flow(f: Callable, x0, dt: float, n_steps: int, *, k: int | None = None,
                           transient: int = 0, substeps: int = 1, renorm_every: int = 1,
                           jac: Callable | None = None, t0: float = 0.0,
                           seed: int = 0) -> torch.Tensor:
    """The ``k`` largest Lyapunov exponents of ``dx/dt = f(x, t)`` by Benettin's method.

    The state and a frame of ``k`` tangent vectors (``dQ/dt = J(x) Q``) are integrated together
    with RK4 (step ``dt/substeps``); every ``renorm_every`` samples the frame is
    re-orthonormalised by QR and ``log|diag R|`` accumulated. ``x0``: ``(d,)`` or ``(B, d)``
    (independent runs, batched); the first ``transient`` samples are integrated (and the frame
    aligned) but not counted. ``jac(x, t)`` → ``(B, d, d)`` defaults to
    :func:`autograd_jacobian` (``f`` must act row-wise on ``(..., d)``). Returns
    ``(k,)`` (or ``(B, k)`` for batched ``x0``), exponents per unit time, descending.
    """
    x = torch.as_tensor(x0)
    single = x.ndim == 1
    x = x.reshape(-1, x.shape[-1]).detach()
    d = x.shape[1]
    k = d if k is None else int(k)
    if not 1 <= k <= d or n_steps < 1 or renorm_every < 1 or substeps < 1:
        raise ValueError("need 1 <= k <= d, n_steps >= 1, renorm_every >= 1, substeps >= 1")
    gen = torch.Generator().manual_seed(seed)
    Q = _initial_frame(x, k, gen)
    sums = torch.zeros(x.shape[0], k, dtype=x.dtype, device=x.device)
    h, t = dt / substeps, float(t0)

    def rhs(xx, QQ, tt):
        jt = None if jac is None else (lambda xi: jac(xi, tt))
        return _jac_frame(lambda xi: f(xi, tt), xx, QQ, jt)

    with torch.no_grad():
        for step in range(transient + n_steps):
            for _ in range(substeps):
                k1x, k1q = rhs(x, Q, t)
                k2x, k2q = rhs(x + 0.5 * h * k1x, Q + 0.5 * h * k1q, t + 0.5 * h)
                k3x, k3q = rhs(x + 0.5 * h * k2x, Q + 0.5 * h * k2q, t + 0.5 * h)
                k4x, k4q = rhs(x + h * k3x, Q + h * k3q, t + h)
                x = x + (h / 6) * (k1x + 2 * k2x + 2 * k3x + k4x)
                Q = Q + (h / 6) * (k1q + 2 * k2q + 2 * k3q + k4q)
                t += h
            done = step + 1
            if done % renorm_every == 0 or done == transient or done == transient + n_steps:
                Q, sums = _qr_step(Q, sums)
            if done == transient:
                sums.zero_()
    lam = sums / (n_steps * dt)
    return lam[0] if single else lam


def max_lyapunov_flow(f: Callable, x0, dt: float, n_steps: int, **kw) -> torch.Tensor:
    """The largest Lyapunov exponent (:func:`lyapunov_spectrum_flow` with ``k=1``), averaged
    over a batch of initial conditions if ``x0`` is ``(B, d)``."""
    lam = lyapunov_spectrum_flow(f, x0, dt, n_steps, k=1, **kw)[..., 0]
    return lam.mean() if lam.ndim else lam


def lyapunov_spectrum_map(g: Callable, x0, n_steps: int, *, k: int | None = None,
                          transient: int = 0, jac: Callable | None = None,
                          seed: int = 0) -> torch.Tensor:
    """The ``k`` largest Lyapunov exponents (per iteration) of ``x_{t+1} = g(x_t)`` by the QR
    method: ``Q ← qr(J_g(x_t) Q)`` every step. ``x0``: ``(d,)`` or ``(B, d)``; ``jac(x)`` →
    ``(B, d, d)`` defaults to :func:`autograd_jacobian`
    (``g`` row-wise on ``(..., d)``). Works for any torch step function, e.g. a trained
    RNN's latent step. Returns ``(k,)`` or ``(B, k)``, descending."""
    x = torch.as_tensor(x0)
    single = x.ndim == 1
    x = x.reshape(-1, x.shape[-1]).detach()
    d = x.shape[1]
    k = d if k is None else int(k)
    if not 1 <= k <= d or n_steps < 1:
        raise ValueError("need 1 <= k <= d and n_steps >= 1")
    Q = _initial_frame(x, k, torch.Generator().manual_seed(seed))
    sums = torch.zeros(x.shape[0], k, dtype=x.dtype, device=x.device)
    with torch.no_grad():
        for step in range(transient + n_steps):
            x, Q = _jac_frame(g, x, Q, jac)
            if step < transient:
                Q = _qr_step(Q, sums)[0]
            else:
                Q, sums = _qr_step(Q, sums)
    lam = sums / n_steps
    return lam[0] if single else lam


def max_lyapunov_map(g: Callable, x0, n_steps: int, **kw) -> torch.Tensor:
    """The largest Lyapunov exponent of a map (:func:`lyapunov_spectrum_map`, ``k=1``),
    averaged over a batch of initial conditions."""
    lam = lyapunov_spectrum_map(g, x0, n_steps, k=1, **kw)[..., 0]
    return lam.mean() if lam.ndim else lam


# ------------------------------------------------------------------------------------------
# Scoring free runs of trained models (which may diverge)
# ------------------------------------------------------------------------------------------
def free_run_state_space_divergence(x_true, x_gen, n_bins: int = 30) -> float:
    """D_stsp of a model's free run that may have diverged. A non-finite run, or one entirely
    off the grid, scores as a run of as many points collapsed into the grid's corner cell
    (mean − 2 std + half a bin on every axis), a region the true orbit rarely or never visits:
    a failure scores at least as badly as a collapse onto an unvisited point of the grid, never
    better than a collapse on the attractor, so claim tables stay finite and failures stay
    failures."""
    x_gen = torch.as_tensor(x_gen).detach()
    if torch.isfinite(x_gen).all():
        d = state_space_divergence(x_true, x_gen, n_bins)
        if math.isfinite(d):
            return d
    xt = torch.as_tensor(x_true, dtype=torch.float64).detach().cpu()
    mean, std = xt.mean(0), xt.std(0)
    corner = mean + std * (-2 + 2 / n_bins)  # centre of the first bin of a ±2 std grid
    n = max(1, x_gen.numel() // xt.shape[1])  # as many points as the free run
    return state_space_divergence(xt, corner.expand(n, -1), n_bins)


def free_run_power_spectrum_distance(x_true, x_gen, smoothing: float = 1.0) -> float:
    """Power-spectrum Hellinger distance of a free run; 1 (maximal) if it diverged or froze."""
    x_gen = torch.as_tensor(x_gen).detach()
    if not torch.isfinite(x_gen).all() or float(x_gen.std(0).min()) < 1e-10:
        return 1.0
    return power_spectrum_distance(x_true, x_gen, smoothing)
