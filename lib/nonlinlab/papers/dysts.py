"""Chaos as an interpretable benchmark (Gilpin, NeurIPS 2021 Datasets & Benchmarks).

The ``dysts`` database is a catalogue of 130+ low-dimensional chaotic ODEs, each annotated with
its parameters, an initial condition on the attractor, an integration step ``dt``, a dominant
(Fourier) period ``τ`` and estimates of its invariants — in particular the largest Lyapunov
exponent ``λ_max`` used by the paper as a *difficulty* axis. Everything here builds on
:mod:`nonlinlab.data.dynamics` (torch re-binding of dysts' right-hand sides, RK4) and
:mod:`nonlinlab.data.dynamics_metrics` (Benettin/QR Lyapunov exponents).

What the chapter checks, and the equations behind each piece:

* **Re-integration.** A system is ``dx/dt = f(x, t; θ)``. dysts samples it at ``p`` points per
  period, ``t_j = j τ / p``, with scipy's adaptive integrators; we integrate the same ``f`` with
  our own fixed-step RK4 and compare, normalised by the attractor's spread.
* **Lyapunov exponents** (Benettin/QR): the tangent frame ``dQ/dt = J(x) Q`` is integrated
  with the state and re-orthonormalised, ``Q R = Q̃``; ``λ_i = lim (1/T) Σ log |R_ii|``. The
  Jacobian here is a central finite difference of dysts' rhs (one batched call),
  ``J e_i ≈ (f(x + ε e_i) - f(x - ε e_i)) / 2ε``.
* **Forecasting protocol** (official ``compute_benchmarks.py``): first coordinate, 12 periods at
  ``p`` points per period, train on the first 10 periods, forecast the last 2 in one shot
  (recursive roll-out); score with sMAPE as in darts,
  ``sMAPE = 200/H Σ |y - ŷ| / (|y| + |ŷ|)``  (0–200 scale).
* **Chaos vs error:** Spearman correlation across systems between ``λ_max`` (database) and
  each model's sMAPE.
* **Symbolic regression (SINDy):** ``Ẋ ≈ Θ(X) Ξ`` with ``Θ`` a polynomial library; sequentially
  thresholded least squares (STLSQ) zeroes ``|Ξ_ij| < η`` and refits the rest.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from ..core import ProfileConfig, Profiles, progress, require
from ..data import dynamics as dyn
from ..data import dynamics_metrics as dm

# ------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------
#: 16 well-behaved 3-D flows of the database (ci).
CI_SYSTEMS = ("Lorenz", "Rossler", "Chen", "Thomas", "Aizawa", "Halvorsen", "Dadras",
              "ChenLee", "SprottB", "SprottF", "Arneodo", "GenesioTesi", "Hadley", "NoseHoover",
              "RabinovichFabrikant", "Chua")

#: Official coarse-granularity results (15 pts/period, 131 systems): median sMAPE over the
#: systems, recomputed from the published benchmark files.
PAPER_MEDIAN_SMAPE = {"N-BEATS": 50.6, "LSTM": 67.8, "RandomForest": 89.6, "Transformer": 94.0,
                      "LinearRegression": 105.2, "ARIMA": 111.4, "FFT": 116.3,
                      "NaiveSeasonal": 125.7, "NaiveMean": 153.5}
PAPER_SPEARMAN = {"N-BEATS": 0.41, "LSTM": 0.40, "LinearRegression": 0.35}

MODELS = ("NaiveMean", "NaiveSeasonal", "AR", "RandomFeatures", "MLP")


@dataclass(frozen=True)
class Config(ProfileConfig):
    systems: tuple = CI_SYSTEMS  # () = every torch-capable flow of the database
    # re-integration check
    reint_systems: int = 8  # first n of `systems` (0 = all)
    reint_periods: float = 0.5
    reint_pts: int = 100
    reint_substep_factor: float = 2.0  # RK4 substep <= factor x dysts' dt
    reint_min_fraction: float = 1.0  # claim: this fraction of systems re-integrates to 1e-5
    # Lyapunov survey
    lyap_systems: tuple = ("Lorenz", "Rossler", "Chen", "Halvorsen", "ChenLee")  # () = all
    lyap_periods: int = 30
    lyap_pts: int = 25
    lyap_transient_periods: int = 3
    lyap_substep_factor: float = 50.0
    lyap_batch: int = 8  # initial conditions per system (batched; exponents averaged)
    lyap_min_spearman: float = 0.65  # claim: rank agreement of our λ_max with the database's
    # forecasting benchmark
    forecast_systems: int = 0  # first n flows of the database, alphabetically (0 = every flow)
    pts_per_period: tuple = (15,)
    n_periods: int = 12
    test_periods: int = 2
    transient_periods: int = 5
    ar_lags: int = 10
    ridge: float = 1e-6
    rf_lags: int = 10
    rf_features: int = 200
    rf_ridge: float = 1e-4
    mlp_lags: int = 30
    mlp_hidden: int = 64
    mlp_steps: int = 300
    mlp_lr: float = 3e-3
    # predictability (Lorenz separation) and SINDy
    sep_pairs: int = 16
    sep_dt: float = 0.01
    sep_time: float = 30.0
    sindy_steps: int = 20_000
    sindy_dt: float = 0.005
    sindy_threshold: float = 0.1

    def check(self):
        require(self.reint_pts >= 10 and self.reint_periods > 0, "reint sizes must be positive")
        require(self.lyap_periods > 0 and self.lyap_pts >= 5, "lyapunov sizes must be positive")
        require(self.n_periods > self.test_periods >= 1, "need n_periods > test_periods >= 1")
        require(all(p >= 5 for p in self.pts_per_period), "pts_per_period must be >= 5")
        require(self.ar_lags >= 1 and self.mlp_lags >= 1 and self.rf_lags >= 1, "lags >= 1")
        require(max(self.ar_lags, self.mlp_lags, self.rf_lags)
                < (self.n_periods - self.test_periods) * min(self.pts_per_period) // 2,
                "lags must be well below the training length")
        require(self.sindy_steps >= 100 and self.sindy_threshold >= 0, "bad SINDy sizes")
        require(self.forecast_systems == 0 or self.forecast_systems >= 10,
                "forecast_systems must be 0 (all) or >= 10 (a rank correlation needs many)")
        require(0 < self.reint_min_fraction <= 1 and -1 < self.lyap_min_spearman < 1,
                "claim thresholds out of range")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(systems=(), reint_systems=0, reint_min_fraction=0.9, lyap_systems=(),
                lyap_periods=25, lyap_min_spearman=0.6, pts_per_period=(15, 100),
                mlp_steps=1000, sep_pairs=64),
)

#: dysts' own (LSODA) benchmark series: CPU seconds per system and granularity, measured over
#: all 129 flows at 15 points per period on a loaded 2-core machine (10 s in all, one stiff
#: system 1.6 s), times ~2.
GEN_SECONDS = 0.16

#: dysts' integration step is about τ/5000 for every system (τ: the dominant period).
_DYSTS_STEPS_PER_PERIOD = 5000


def estimate_seconds(cfg: Config) -> float:
    """Conservative cost model. Python overhead dominates (3-D systems, tiny tensors), so we
    count calls, not flops, with per-call costs measured on one busy CPU core times ~1.7-2:
    plain RK4 substep 0.26 ms (measured 0.13), RK4 substep carrying a batch of 8 tangent
    frames (finite-difference Jacobian) 0.7 ms (measured 0.4), dysts' DOP853 reference 0.3 s
    per system, dysts' LSODA benchmark series 0.15 s per system and granularity (measured
    0.03-0.06; stiff systems of the full list: 2 s), one batched MLP Adam step 2 ms per 16
    systems, SINDy 2 s. dysts' step is ~τ/5000, so RK4 takes 5000/factor substeps per period.
    The full profile runs these Python-bound loops on the CPU of a Colab machine (same costs;
    only the MLP uses the GPU)."""
    n_all = 124
    n_sys = len(cfg.systems) if cfg.systems else n_all
    n_reint = n_sys if cfg.reint_systems == 0 else min(cfg.reint_systems, n_sys)
    n_lyap = len(cfg.lyap_systems) if cfg.lyap_systems else n_all
    per_period = _DYSTS_STEPS_PER_PERIOD
    reint = n_reint * (cfg.reint_periods * per_period / cfg.reint_substep_factor * 2.6e-4 + 0.3)
    order = 2 * per_period * 1.5 / 10 * 3e-4 + 1.0  # Lorenz convergence check
    lyap = n_lyap * (cfg.lyap_periods + cfg.lyap_transient_periods) \
        * (per_period / cfg.lyap_substep_factor + cfg.lyap_pts) * 0.7e-3
    n_fc = n_all if cfg.forecast_systems == 0 else min(cfg.forecast_systems, n_all)
    gen = n_fc * len(cfg.pts_per_period) * GEN_SECONDS
    fit = n_fc * len(cfg.pts_per_period) * 0.05
    mlp = len(cfg.pts_per_period) * cfg.mlp_steps * 2e-3 * math.ceil(n_fc / 16)
    sep = cfg.sep_time / cfg.sep_dt * 3e-4 * 2 + 20 / cfg.sep_dt * 3e-4
    sindy = cfg.sindy_steps * 5e-5 + 1.0
    return reint + order + lyap + gen + fit + mlp + sep + sindy


# ------------------------------------------------------------------------------------------
# the database
# ------------------------------------------------------------------------------------------
def system_names(cfg: Config) -> list[str]:
    """The systems of this profile: ``cfg.systems`` or every torch-capable flow."""
    names = list(cfg.systems) if cfg.systems else dyn.flow_names()
    return _check_names(names)


def forecast_names(cfg: Config) -> list[str]:
    """The systems of the forecasting benchmark: the first ``cfg.forecast_systems`` flows of
    the database in alphabetical order (an order unrelated to chaoticity), or all of them.
    Flows are taken from the full list (delay equations excluded): the forecasts use dysts'
    own integrator, so no torch re-binding is needed."""
    names = dyn.flow_names(torch_only=False)
    return names if cfg.forecast_systems == 0 else names[: cfg.forecast_systems]


def _check_names(names):
    bad = [n for n in names if n not in dyn.flow_names(torch_only=False)]
    if bad:
        raise ValueError(f"unknown systems {bad}")
    return names


def dysts_system(name: str):
    """An instance of the dysts class ``name`` (e.g. ``dysts.flows.Lorenz()``)."""
    dyn._dysts()
    import dysts.flows as flows

    cls = getattr(flows, name, None)
    if cls is None:
        raise ValueError(f"unknown dysts flow {name!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls()


class _TooManyCalls(RuntimeError):
    """Raised inside a right-hand side that exceeded its evaluation budget."""


def dysts_trajectory(name: str, n: int, *, pts_per_period: int | None = None,
                     init_cond=None, method: str = "LSODA", rtol: float = 1e-6,
                     atol: float = 1e-8, postprocess: bool = True,
                     max_rhs_calls: int | None = None):
    """``(t, x)`` from dysts' own ``make_trajectory``: ``n`` points spaced ``τ/pts_per_period``
    (resampled) or, with ``pts_per_period=None``, the system's ``dt``. ``None`` if dysts'
    integration did not complete or is not finite, or — with ``max_rhs_calls`` — needed more
    right-hand-side evaluations than that (a stiff start the adaptive solver crawls through
    instead of failing: at seed 31 one system of the benchmark never finished)."""
    if n < 2:
        raise ValueError("need n >= 2")
    sysm = dysts_system(name)
    if max_rhs_calls is not None:
        rhs, calls = sysm.rhs, [0]

        def capped(X, t):
            calls[0] += 1
            if calls[0] > max_rhs_calls:
                raise _TooManyCalls(name)
            return rhs(X, t)

        sysm.rhs = capped
    kw = dict(resample=pts_per_period is not None, pts_per_period=pts_per_period or 100,
              method=method, rtol=rtol, atol=atol, postprocess=postprocess, return_times=True)
    if init_cond is not None:
        kw["init_cond"] = np.asarray(init_cond, dtype=float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            t, x = sysm.make_trajectory(n, **kw)
        except Exception:  # some stiff systems raise inside scipy
            return None
    if x is None or x.shape[0] != n or not np.isfinite(x).all():
        return None
    return np.asarray(t, dtype=float), np.asarray(x, dtype=float).reshape(n, -1)


# ------------------------------------------------------------------------------------------
# 1. re-integration: dysts (scipy, adaptive) vs our torch RK4
# ------------------------------------------------------------------------------------------
def reintegration_error(name: str, periods: float = 2.0, pts: int = 100,
                        substep_factor: float = 2.0, *, method: str = "DOP853",
                        params: dict | None = None) -> float:
    """max_t,i |x_dysts - x_rk4| / std_i over ``periods`` periods from dysts' initial condition
    (dysts: ``make_trajectory(resample=True, method, rtol=atol=1e-12, postprocess=False)``;
    ours: RK4 with substeps <= ``substep_factor`` x dysts' dt, optionally with other
    ``params`` — used to check that a wrong equation is detected). NaN if dysts fails."""
    meta = dyn.flow_metadata(name)
    n = int(round(periods * pts)) + 1
    ref = dysts_trajectory(name, n, pts_per_period=pts, method=method, rtol=1e-12, atol=1e-12,
                           postprocess=False)
    if ref is None:
        return float("nan")
    t, xr = ref
    dt = float(t[1] - t[0])
    sub = max(1, math.ceil(dt / (substep_factor * float(meta["dt"]))))
    f = dyn.vector_field(name, params)
    x0 = torch.tensor(np.asarray(meta["initial_conditions"], dtype=float), dtype=torch.float64)
    with torch.no_grad():
        xs = dyn.rk4(f, x0, dt, n - 1, substeps=sub).numpy()
    scale = np.asarray(meta.get("std", xr.std(0)), dtype=float).reshape(-1)
    scale = np.where(scale > 0, scale, 1.0)
    err = np.abs(xs - xr) / scale
    return float(err.max()) if np.isfinite(err).all() else float("inf")


def lyapunov_names(cfg: Config) -> list[str]:
    """The systems of the Lyapunov survey (``cfg.lyap_systems`` or every torch flow)."""
    return _check_names(list(cfg.lyap_systems) if cfg.lyap_systems else dyn.flow_names())


def reintegration_survey(names, cfg: Config) -> dict:
    """:func:`reintegration_error` for each name (float, NaN when dysts itself fails)."""
    out = {}
    for name in progress(names, desc="re-integration"):
        out[name] = reintegration_error(name, cfg.reint_periods, cfg.reint_pts,
                                        cfg.reint_substep_factor)
    return out


# ------------------------------------------------------------------------------------------
# 2. Lyapunov exponents: ours (Benettin/QR) vs the database's estimate
# ------------------------------------------------------------------------------------------
def fd_jacobian(f, eps: float = 1e-6):
    """``jac(x, t)`` → ``(B, d, d)`` by central differences of ``f`` in one batched call,
    ``J[:, :, j] = (f(x + h_j e_j) - f(x - h_j e_j)) / 2 h_j`` with ``h_j = eps (1 + |x_j|)``."""

    def jac(x, t=0.0):
        B, d = x.shape
        h = eps * (1 + x.abs())  # (B, d)
        E = torch.eye(d, dtype=x.dtype, device=x.device)
        steps = h.unsqueeze(1) * E  # (B, d(j), d)
        xp = torch.cat([x.unsqueeze(1) + steps, x.unsqueeze(1) - steps], dim=1)
        y = f(xp.reshape(B * 2 * d, d), t).reshape(B, 2, d, d)
        return ((y[:, 0] - y[:, 1]) / (2 * h.unsqueeze(-1))).transpose(1, 2)

    return jac


def lyapunov_spectrum(name: str, *, periods: int = 30, pts: int = 25,
                      transient_periods: int = 3, substep_factor: float = 50.0,
                      batch: int = 1, x0=None, seed: int = 0) -> np.ndarray:
    """Lyapunov spectrum of dysts flow ``name`` (per unit time, descending) by Benettin/QR
    (:func:`~nonlinlab.data.dynamics_metrics.lyapunov_spectrum_flow`): samples every
    ``τ/pts``, RK4 substeps <= ``substep_factor`` × dysts' dt, QR at every sample,
    ``periods`` periods counted after ``transient_periods``. Starts at dysts' initial
    condition (on the attractor), moved by 1e-3 × std in ``batch`` ``seed``-dependent
    directions (integrated together, exponents averaged), unless ``x0`` is given."""
    meta = dyn.flow_metadata(name)
    f = dyn.vector_field(name)
    dt = float(meta["period"]) / pts
    sub = max(1, math.ceil(dt / (substep_factor * float(meta["dt"]))))
    if x0 is None:
        x0 = np.asarray(meta["initial_conditions"], dtype=float)
        std = np.asarray(meta.get("std", np.ones_like(x0)), dtype=float).reshape(x0.shape)
        x0 = x0 + 1e-3 * std * np.random.default_rng(seed).standard_normal((batch, x0.size))
    x0 = torch.as_tensor(np.asarray(x0, dtype=float), dtype=torch.float64)
    lam = dm.lyapunov_spectrum_flow(f, x0, dt, periods * pts, transient=transient_periods * pts,
                                    substeps=sub, jac=fd_jacobian(f), seed=seed)
    return (lam.mean(0) if lam.ndim == 2 else lam).numpy()


def lyapunov_survey(names, cfg: Config, seed: int = 0) -> dict:
    """``{name: (ours λ_max, database maximum_lyapunov_estimated, ours spectrum)}``; systems
    whose integration diverges are skipped."""
    out = {}
    for name in progress(names, desc="Lyapunov"):
        try:
            spec = lyapunov_spectrum(name, periods=cfg.lyap_periods, pts=cfg.lyap_pts,
                                     transient_periods=cfg.lyap_transient_periods,
                                     substep_factor=cfg.lyap_substep_factor,
                                     batch=cfg.lyap_batch, seed=seed)
        except (RuntimeError, ValueError):
            continue
        if not np.isfinite(spec).all():
            continue
        db = float(dyn.flow_metadata(name)["maximum_lyapunov_estimated"])
        out[name] = (float(spec[0]), db, spec)
    return out


def agreement_stats(ours, ref, factor: float = 2.0) -> dict:
    """Spearman ρ, fraction with ``1/factor <= ours/ref <= factor``, median |log ratio|."""
    from scipy.stats import spearmanr

    a, b = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    if a.shape != b.shape or a.size < 3:
        raise ValueError("need two equal-length arrays with >= 3 entries")
    ok = (a > 0) & (b > 0)
    ratio = np.where(ok, a / np.where(ok, b, 1.0), np.nan)
    within = np.where(ok, (ratio >= 1 / factor) & (ratio <= factor), False)
    return {"spearman": float(spearmanr(a, b).statistic), "within": float(within.mean()),
            "median_abs_log_ratio": float(np.nanmedian(np.abs(np.log(ratio)))),
            "n": int(a.size)}


# ------------------------------------------------------------------------------------------
# 3. predictability: separation of nearby Lorenz trajectories
# ------------------------------------------------------------------------------------------
def separation_growth(cfg: Config, seed: int = 0, name: str = "Lorenz", delta: float = 1e-9):
    """``(t, mean log‖δ(t)‖, fitted slope)`` for ``cfg.sep_pairs`` pairs started ``delta``
    apart on the attractor (random directions); the slope is fitted where the mean
    separation is between 1e-8 and 1e-2 (the linear, exponential regime)."""
    g = torch.Generator().manual_seed(seed)
    meta = dyn.flow_metadata(name)
    f = dyn.vector_field(name)
    x0 = torch.tensor(meta["initial_conditions"], dtype=torch.float64)
    x0 = x0 + 0.5 * torch.randn((cfg.sep_pairs, f.dim), generator=g, dtype=torch.float64)
    with torch.no_grad():
        x0 = dyn.rk4(f, x0, cfg.sep_dt, int(20 / cfg.sep_dt), keep_initial=False)[:, -1]
        u = torch.randn(x0.shape, generator=g, dtype=torch.float64)
        x1 = x0 + delta * u / u.norm(dim=-1, keepdim=True)
        n = int(round(cfg.sep_time / cfg.sep_dt))
        tr = dyn.rk4(f, torch.cat([x0, x1]), cfg.sep_dt, n)
    sep = (tr[: cfg.sep_pairs] - tr[cfg.sep_pairs:]).norm(dim=-1).numpy()
    logsep = np.log(sep).mean(0)
    t = np.arange(n + 1) * cfg.sep_dt
    above = np.flatnonzero(logsep > np.log(1e-8))
    if above.size == 0:
        raise RuntimeError("the separation never grew; raise sep_time")
    i0 = above[0]
    sat = np.flatnonzero(logsep[i0:] > np.log(1e-2))
    i1 = i0 + (sat[0] if sat.size else n + 1 - i0)
    win = np.zeros(n + 1, dtype=bool)
    win[i0:i1] = True
    if win.sum() < 10:
        raise RuntimeError("separation window too short; lower delta or raise sep_time")
    slope = float(np.polyfit(t[win], logsep[win], 1)[0])
    return t, logsep, slope


# ------------------------------------------------------------------------------------------
# 4. the forecasting benchmark
# ------------------------------------------------------------------------------------------
def smape(y, yhat) -> float:
    """darts' sMAPE, ``200/H Σ |y - ŷ| / (|y| + |ŷ|)`` on a 0–200 scale (terms with
    ``y = ŷ = 0`` count 0). ``dysts.metrics.smape`` returns half of this."""
    y, yhat = np.asarray(y, dtype=float), np.asarray(yhat, dtype=float)
    if y.shape != yhat.shape or y.size == 0:
        raise ValueError(f"y and yhat need the same non-empty shape, got {y.shape}, {yhat.shape}")
    if not (np.isfinite(y).all()):
        raise ValueError("y must be finite")
    den = np.abs(y) + np.abs(yhat)
    num = np.abs(y - yhat)
    terms = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    terms = np.where(np.isfinite(yhat), terms, 1.0)  # a diverged forecast scores the maximum
    return float(200.0 * terms.mean())


def make_dataset(names, cfg: Config, pts_per_period: int, seed: int = 0) -> dict:
    """``{name: series}``: dysts' first coordinate over ``cfg.n_periods`` periods at
    ``pts_per_period`` (after ``cfg.transient_periods`` periods from dysts' initial condition
    perturbed by 1e-3 × std along a seed-dependent direction), on dysts' own scale (as in the
    paper; models see it z-scored, see :func:`forecast_benchmark`). Systems dysts cannot
    integrate — within 2000 right-hand-side evaluations per output point — (or with a
    constant first coordinate) are skipped."""
    rng = np.random.default_rng(seed)
    n = cfg.n_periods * pts_per_period
    n_tr = (cfg.n_periods - cfg.test_periods) * pts_per_period
    skip = cfg.transient_periods * pts_per_period
    out = {}
    for name in progress(names, desc=f"dysts data p={pts_per_period}"):
        meta = dyn.flow_metadata(name)
        ic = np.asarray(meta["initial_conditions"], dtype=float)
        std = np.asarray(meta.get("std", np.ones_like(ic)), dtype=float).reshape(ic.shape)
        ic = ic + 1e-3 * std * rng.standard_normal(ic.shape)
        # 2000 evaluations per output point: ten times what the most demanding system needs
        # from dysts' initial conditions (≈ 200 at seed 0); beyond it the system is skipped
        res = dysts_trajectory(name, n + skip, pts_per_period=pts_per_period, init_cond=ic,
                               max_rhs_calls=2000 * (n + skip))
        if res is None:
            continue
        y = res[1][skip:, 0]
        mu, sd = y[:n_tr].mean(), y[:n_tr].std()
        if not sd > 1e-8 * (1 + abs(mu)):
            continue
        out[name] = y
    return out


def _windows(y: np.ndarray, lags: int):
    X = np.lib.stride_tricks.sliding_window_view(y[:-1], lags)
    return X, y[lags:]


def _ridge(X, y, alpha):
    X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    A = X1.T @ X1 + alpha * X.shape[0] * np.eye(X1.shape[1])
    A[-1, -1] -= alpha * X.shape[0]  # no penalty on the intercept
    return np.linalg.solve(A, X1.T @ y)


def _rollout(step, hist: np.ndarray, lags: int, horizon: int) -> np.ndarray:
    buf = list(hist[-lags:])
    out = []
    for _ in range(horizon):
        v = float(step(np.asarray(buf[-lags:])))
        if not np.isfinite(v) or abs(v) > 1e6:
            v = float("nan")
        out.append(v)
        buf.append(0.0 if not np.isfinite(v) else v)
    return np.asarray(out)


def forecast_naive_mean(train, horizon, **_):
    """darts NaiveMean: the training mean."""
    return np.full(horizon, float(np.mean(train)))


def forecast_naive_seasonal(train, horizon, *, season: int, **_):
    """darts NaiveSeasonal(K): repeat the last ``season`` values."""
    last = np.asarray(train[-season:])
    return np.resize(last, horizon)


def forecast_ar(train, horizon, *, lags: int = 10, ridge: float = 1e-6, **_):
    """Linear autoregression on a delay embedding, ``y_t = w·(y_{t-L..t-1}) + b``, fitted by
    (nearly unregularised) ridge least squares, rolled out recursively (darts
    LinearRegressionModel(lags=10) with output length 1)."""
    X, y = _windows(np.asarray(train, dtype=float), lags)
    w = _ridge(X, y, ridge)
    return _rollout(lambda z: z @ w[:-1] + w[-1], train, lags, horizon)


def forecast_random_features(train, horizon, *, lags: int = 10, features: int = 200,
                             ridge: float = 1e-4, seed: int = 0, **_):
    """A random-feature (reservoir-style, no recurrence) model: ``ŷ = v·[z, tanh(W z + c)] + b``
    with fixed random ``W, c`` and ridge-fitted ``v, b``; rolled out recursively."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((lags, features)) / math.sqrt(lags)
    c = rng.uniform(-1, 1, features)
    X, y = _windows(np.asarray(train, dtype=float), lags)

    def feats(z):
        return np.concatenate([z, np.tanh(z @ W + c)], axis=-1)

    w = _ridge(feats(X), y, ridge)
    return _rollout(lambda z: feats(z) @ w[:-1] + w[-1], train, lags, horizon)


def forecast_mlp_batched(trains: np.ndarray, horizon: int, *, lags: int = 30, hidden: int = 64,
                         steps: int = 300, lr: float = 3e-3, seed: int = 0,
                         device=None) -> np.ndarray:
    """One small MLP per system (lags → hidden → hidden → 1, ReLU; 2×64 hidden units), all
    systems trained together as a batch of independent networks (batched matmuls; the loss
    is a sum over systems, so gradients and Adam's per-weight updates stay independent),
    full-batch Adam for ``steps`` steps, then rolled out recursively. ``trains``:
    ``(S, T)``; returns ``(S, horizon)``."""
    trains = np.asarray(trains, dtype=float)
    if trains.ndim != 2 or trains.shape[1] <= lags + 1:
        raise ValueError("trains must be (S, T) with T > lags + 1")
    device = torch.device("cpu") if device is None else torch.device(device)
    g = torch.Generator().manual_seed(seed)
    S = trains.shape[0]
    Y = torch.tensor(trains, dtype=torch.float32)
    X = Y[:, :-1].unfold(1, lags, 1)  # (S, N, lags)
    tgt = Y[:, lags:]  # (S, N)
    X, tgt = X.to(device), tgt.to(device)

    def init(fan_in, fan_out):
        w = (torch.rand((S, fan_in, fan_out), generator=g) * 2 - 1) / math.sqrt(fan_in)
        b = (torch.rand((S, 1, fan_out), generator=g) * 2 - 1) / math.sqrt(fan_in)
        return w.to(device).requires_grad_(), b.to(device).requires_grad_()

    params = [*init(lags, hidden), *init(hidden, hidden), *init(hidden, 1)]

    def net(z):  # z (S, N, lags) -> (S, N)
        w1, b1, w2, b2, w3, b3 = params
        h = torch.relu(torch.baddbmm(b1, z, w1))
        h = torch.relu(torch.baddbmm(b2, h, w2))
        return torch.baddbmm(b3, h, w3).squeeze(-1)

    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((net(X) - tgt) ** 2).mean(dim=1).sum()
        loss.backward()
        opt.step()
    with torch.no_grad():
        buf = Y[:, -lags:].to(device)
        out = []
        for _ in range(horizon):
            v = net(buf.unsqueeze(1))  # (S, 1)
            out.append(v)
            buf = torch.cat([buf[:, 1:], v], dim=1)
    return torch.cat(out, dim=1).cpu().double().numpy()


def forecast_benchmark(data: dict, cfg: Config, pts_per_period: int, seed: int = 0,
                       device=None, models=MODELS) -> dict:
    """sMAPE of every model on every series: ``{model: {name: smape}}`` plus ``"_forecasts"``
    (``{model: {name: ŷ}}``). Train = first ``n_periods - test_periods`` periods; the last
    ``test_periods`` periods are forecast in one shot. Models see the series z-scored with
    the training part's statistics; sMAPE is computed on the original scale."""
    names = list(data)
    if not names:
        raise ValueError("empty dataset")
    H = cfg.test_periods * pts_per_period
    stats = {k: (float(v[:-H].mean()), float(v[:-H].std())) for k, v in data.items()}
    trains = {k: (v[:-H] - stats[k][0]) / stats[k][1] for k, v in data.items()}
    preds: dict = {m: {} for m in models}
    for name in names:
        tr = trains[name]
        if "NaiveMean" in models:
            preds["NaiveMean"][name] = forecast_naive_mean(tr, H)
        if "NaiveSeasonal" in models:
            preds["NaiveSeasonal"][name] = forecast_naive_seasonal(tr, H, season=pts_per_period)
        if "AR" in models:
            preds["AR"][name] = forecast_ar(tr, H, lags=cfg.ar_lags, ridge=cfg.ridge)
        if "RandomFeatures" in models:
            preds["RandomFeatures"][name] = forecast_random_features(
                tr, H, lags=cfg.rf_lags, features=cfg.rf_features, ridge=cfg.rf_ridge,
                seed=seed)
    if "MLP" in models:
        out = forecast_mlp_batched(np.stack([trains[n] for n in names]), H, lags=cfg.mlp_lags,
                                   hidden=cfg.mlp_hidden, steps=cfg.mlp_steps, lr=cfg.mlp_lr,
                                   seed=seed, device=device)
        preds["MLP"] = dict(zip(names, out, strict=True))
    preds = {m: {n: p * stats[n][1] + stats[n][0] for n, p in pm.items()}
             for m, pm in preds.items()}
    scores = {m: {n: smape(data[n][-H:], preds[m][n]) for n in names} for m in models}
    scores["_forecasts"] = preds
    return scores


def chaos_correlation(scores: dict, models=MODELS) -> dict:
    """Spearman ρ across systems between dysts' ``maximum_lyapunov_estimated`` and sMAPE."""
    from scipy.stats import spearmanr

    out = {}
    for m in models:
        names = list(scores[m])
        lam = [float(dyn.flow_metadata(n)["maximum_lyapunov_estimated"]) for n in names]
        out[m] = float(spearmanr(lam, [scores[m][n] for n in names]).statistic)
    return out


# ------------------------------------------------------------------------------------------
# 5. symbolic regression: SINDy (polynomial library + STLSQ), our own implementation
# ------------------------------------------------------------------------------------------
def polynomial_library(x: np.ndarray, degree: int = 2, names=("x", "y", "z")):
    """``Θ(X)``: all monomials of the columns of ``x`` (``(T, d)``) up to ``degree``, constant
    first; returns ``(Θ (T, m), term names)``."""
    from itertools import combinations_with_replacement

    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or degree < 0:
        raise ValueError("x must be (T, d) and degree >= 0")
    d = x.shape[1]
    names = list(names) if len(names) == d else [f"x{i}" for i in range(d)]
    cols, labels = [np.ones(len(x))], ["1"]
    for k in range(1, degree + 1):
        for idx in combinations_with_replacement(range(d), k):
            cols.append(np.prod(x[:, idx], axis=1))
            labels.append(" ".join(names[i] for i in idx))
    return np.stack(cols, axis=1), labels


def stlsq(theta: np.ndarray, dxdt: np.ndarray, threshold: float = 0.1,
          max_iter: int = 20) -> np.ndarray:
    """Sequentially thresholded least squares (Brunton et al. 2016): solve
    ``min ‖Θ ξ - ẋ‖²`` per output, zero ``|ξ| < threshold``, refit on the survivors, repeat
    until the support stops changing. Returns ``Ξ`` of shape ``(m, d)``."""
    theta, dxdt = np.asarray(theta, dtype=float), np.asarray(dxdt, dtype=float)
    if dxdt.ndim == 1:
        dxdt = dxdt[:, None]
    if theta.shape[0] != dxdt.shape[0] or threshold < 0:
        raise ValueError("theta and dxdt need the same number of rows; threshold >= 0")
    xi = np.linalg.lstsq(theta, dxdt, rcond=None)[0]
    for _ in range(max_iter):
        small = np.abs(xi) < threshold
        xi[small] = 0.0
        for j in range(dxdt.shape[1]):
            big = ~small[:, j]
            if big.any():
                xi[big, j] = np.linalg.lstsq(theta[:, big], dxdt[:, j], rcond=None)[0]
        if np.array_equal(np.abs(xi) < threshold, small):
            break
    return xi


def finite_difference(x: np.ndarray, dt: float) -> np.ndarray:
    """4th-order central differences along axis 0 (2nd-order one-sided at the two ends)."""
    x = np.asarray(x, dtype=float)
    if x.shape[0] < 5 or not dt > 0:
        raise ValueError("need >= 5 samples and dt > 0")
    d = np.empty_like(x)
    d[2:-2] = (x[:-4] - 8 * x[1:-3] + 8 * x[3:-1] - x[4:]) / (12 * dt)
    d[:2] = (-3 * x[:2] + 4 * x[1:3] - x[2:4]) / (2 * dt)
    d[-2:] = (3 * x[-2:] - 4 * x[-3:-1] + x[-4:-2]) / (2 * dt)
    return d


def lorenz_true_coefficients(params: dict, labels) -> np.ndarray:
    """Ξ of Lorenz ``ẋ = σ(y - x), ẏ = x(ρ - z) - y, ż = xy - βz`` in the library ``labels``."""
    s, r, b = float(params["sigma"]), float(params["rho"]), float(params["beta"])
    xi = np.zeros((len(labels), 3))
    idx = {lab: i for i, lab in enumerate(labels)}
    xi[idx["x"], 0], xi[idx["y"], 0] = -s, s
    xi[idx["x"], 1], xi[idx["y"], 1], xi[idx["x z"], 1] = r, -1.0, -1.0
    xi[idx["x y"], 2], xi[idx["z"], 2] = 1.0, -b
    return xi


def sindy_lorenz(cfg: Config, seed: int = 0):
    """SINDy on a noise-free dysts Lorenz trajectory: ``cfg.sindy_steps`` samples ``sindy_dt``
    apart (dysts ``make_trajectory``, DOP853, rtol=1e-10), derivatives by
    :func:`finite_difference`, degree-2 library, STLSQ(``sindy_threshold``). Returns
    ``(Ξ_found, Ξ_true, labels)``."""
    meta = dyn.flow_metadata("Lorenz")
    pts = float(meta["period"]) / cfg.sindy_dt
    rng = np.random.default_rng(seed)
    ic = np.asarray(meta["initial_conditions"]) + 0.1 * rng.standard_normal(3)
    # dysts samples t_j = j τ / pts: pick the integer pts giving the step closest to sindy_dt
    res = dysts_trajectory("Lorenz", cfg.sindy_steps, pts_per_period=max(5, round(pts)),
                           init_cond=ic, method="DOP853", rtol=1e-10, atol=1e-10)
    if res is None:
        raise RuntimeError("dysts could not integrate Lorenz")
    t, x = res
    theta, labels = polynomial_library(x, 2)
    xi = stlsq(theta, finite_difference(x, float(t[1] - t[0])), cfg.sindy_threshold)
    return xi, lorenz_true_coefficients(meta["parameters"], labels), labels


def timer():
    """``(wall, cpu)`` seconds since the call, as a closure (for the notebook)."""
    w0, c0 = time.perf_counter(), time.process_time()
    return lambda: (time.perf_counter() - w0, time.process_time() - c0)
