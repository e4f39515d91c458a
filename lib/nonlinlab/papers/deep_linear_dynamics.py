r"""Saxe, McClelland & Ganguli (ICLR 2014), *Exact solutions to the nonlinear dynamics of
learning in deep linear neural networks* (arXiv:1312.6120).

Notation (the paper's)
----------------------
A deep linear network with :math:`N_l` layers of units has :math:`D = N_l - 1` weight
matrices; ``weights[0]`` is the first (input-side) matrix :math:`W^{21}` and ``weights[-1]``
the last. The end-to-end map is :math:`P = W^{D+1,D} \cdots W^{21}`. With input and
input-output correlations :math:`\Sigma^{11} = \langle x x^\top\rangle`,
:math:`\Sigma^{31} = \langle y x^\top\rangle` (means over samples here, which fixes the unit
of τ) the squared loss is

.. math:: L(P) = \tfrac12 \operatorname{tr}\Sigma^{33} - \operatorname{tr}(\Sigma^{31\top} P)
          + \tfrac12 \operatorname{tr}(P \Sigma^{11} P^\top),

and full-batch gradient descent with rate λ updates every layer at once with

.. math:: W_l \leftarrow W_l + \lambda\, A_l^\top (\Sigma^{31} - P\Sigma^{11}) B_l^\top,
          \qquad A_l = W_D\cdots W_{l+1},\; B_l = W_{l-1}\cdots W_1 .

For :math:`D=2` and step-to-time scale τ = 1/λ this is the paper's Eq. (2),
:math:`\tau\dot W^{21} = W^{32\top}(\Sigma^{31} - W^{32}W^{21}\Sigma^{11})`,
:math:`\tau\dot W^{32} = (\Sigma^{31} - W^{32}W^{21}\Sigma^{11})W^{21\top}`.

With whitened inputs (:math:`\Sigma^{11}=I`) write :math:`\Sigma^{31} = U S V^\top =
\sum_\alpha s_\alpha u_\alpha v_\alpha^\top`. The *mode strength* of mode α is
:math:`u_\alpha(t) = u_\alpha^\top P(t)\, v_\alpha` (called σ or u in the paper). From
*decoupled* initial conditions (every layer maps mode α's direction onto a fixed orthonormal
direction of the next layer) the modes never mix, and a balanced three-layer mode obeys
:math:`\tau\dot u = 2u(s-u)`, solved exactly by the logistic curve (paper Eq. 6)

.. math:: u(t) = \frac{s\, e^{2st/\tau}}{e^{2st/\tau} - 1 + s/u_0},

so that the time from :math:`u_0` to :math:`u_f` is (paper Eq. 7)

.. math:: t = \frac{\tau}{2s}\ln\frac{u_f (s-u_0)}{u_0 (s-u_f)}
          \approx \frac{\tau}{s}\ln\frac{s}{\epsilon}\quad (u_0=\epsilon,\ u_f = s-\epsilon).

With :math:`D` balanced layers of strength :math:`a` each, :math:`u = a^{D}` and

.. math:: \tau\dot u = D\, u^{2-2/D} (s - u),

whose learning time :math:`t = \frac{\tau}{D}\int_{u_0}^{u_f}\frac{du}{u^{2-2/D}(s-u)}` stays
finite as :math:`D\to\infty` when τ ∝ D (learning rate ∝ 1/D) and :math:`u_0 = O(1)`.

Everything here is float64 by default: the matrices are tiny (at most 100×100), the
comparisons with closed forms go down to 1e-8, and on a CPU the cost is dominated by
per-operation overhead, not arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..core import ProfileConfig, Profiles, progress, require

# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------

INITS = ("orthogonal", "scaled_gaussian", "small_gaussian")


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes of every experiment of the chapter (one instance per profile).

    Learning rates are λ (τ = 1/λ steps); in the deep experiments a network with ``D`` weight
    matrices uses ``lr0 / D``, the paper's depth scaling of the learning rate.
    """

    # (1) three-layer network on the synthetic target M* = U diag(s) Vᵀ (N1 = N2 = N3 = n)
    n: int = 8
    s: tuple[float, ...] = (4.0, 2.0, 1.0, 0.5)  # the nonzero singular values, decreasing
    lr: float = 0.0025  # λ s1 = 0.01, τ = 400 steps
    steps: int = 6000
    u0: float = 1e-3  # decoupled initial mode strength
    # (2) learning time ∝ 1/s: n modes with s log-spaced in [ladder_min, ladder_max], each
    # starting at ladder_rel_u0 × s (same relative strength, so t_1/2 · s is the same for all)
    ladder_max: float = 4.0
    ladder_min: float = 0.5
    ladder_rel_u0: float = 1e-3
    ladder_steps: int = 3000
    # (3) small random initialisation, full width and bottleneck (rank-limited) networks
    small_std: float = 1e-3
    small_steps: int = 8000
    bottleneck: int = 3  # N2 of the rank-limited network (Eckart-Young check)
    # (4) deep decoupled networks vs the scalar ODE; ODE learning time vs depth
    ode_depths: tuple[int, ...] = (2, 4, 8)  # D = N_l - 1
    ode_lr0: float = 0.01
    ode_u0: float = 0.05
    ode_steps: int = 4000
    theory_max_depth: int = 128
    # (5) time to criterion vs depth
    sweep_width: int = 32
    sweep_depths: tuple[int, ...] = (1, 2, 4, 8, 16)
    sweep_seeds: int = 3  # random targets and initialisations per depth (medians are used)
    sweep_lr0: float = 0.05
    sweep_cap: int = 3000
    sweep_criterion: float = 0.01  # loss below this fraction of the initial loss
    sweep_s1: float = 3.0
    sweep_decay: float = 0.85  # s_i = s1 * decay**i
    sweep_small_std: float = 1e-2  # small Gaussian: std = sweep_small_std / sqrt(width)
    # (6) singular values of the end-to-end map at initialisation
    spectra_depths: tuple[int, ...] = (1, 4, 16)
    # (7) digits (real data, ZCA-whitened)
    digits_hidden: int = 10
    digits_lr: float = 0.03
    digits_steps: int = 1500
    digits_u0: float = 1e-3
    zca_eps: float = 1e-2
    # (8) extension: input-output Jacobian of deep tanh networks at initialisation
    tanh_width: int = 64
    tanh_depth: int = 30
    tanh_gains: tuple[float, ...] = (1.0, 1.1, 1.3)
    tanh_inputs: int = 16
    tanh_claim_gain: float = 1.1

    def check(self) -> None:
        require(self.n >= 1, f"n must be >= 1, got {self.n}")
        require(0 < len(self.s) <= self.n, f"need 1..n={self.n} singular values, got {self.s}")
        require(all(x > 0 for x in self.s), f"singular values must be positive, got {self.s}")
        require(list(self.s) == sorted(self.s, reverse=True),
                f"singular values must be decreasing, got {self.s}")
        for name in ("lr", "u0", "small_std", "ode_lr0", "ode_u0", "sweep_lr0", "sweep_s1",
                     "sweep_small_std", "digits_lr", "digits_u0", "zca_eps", "ladder_min",
                     "ladder_rel_u0"):
            value = getattr(self, name)
            require(value > 0, f"{name} must be positive, got {value}")
        require(self.u0 < min(self.s) / 2, "u0 must be below half the smallest singular value")
        require(self.ode_u0 < min(self.s), "ode_u0 must be below the smallest singular value")
        require(self.lr * self.s[0] < 0.5, "lr * s1 must be < 0.5 (else GD is far from the ODE)")
        require(self.ladder_min < self.ladder_max, "need ladder_min < ladder_max")
        require(self.ladder_rel_u0 < 0.5, "ladder_rel_u0 must be < 0.5")
        for name in ("steps", "ladder_steps", "small_steps", "ode_steps", "sweep_cap",
                     "digits_steps", "tanh_inputs"):
            require(getattr(self, name) >= 1, f"{name} must be >= 1")
        require(1 <= self.bottleneck < len(self.s),
                "bottleneck must be smaller than the number of nonzero singular values")
        for name in ("ode_depths", "sweep_depths", "spectra_depths"):
            depths = getattr(self, name)
            require(len(depths) > 0 and all(isinstance(d, int) and d >= 1 for d in depths),
                    f"{name} must be positive integers, got {depths}")
            require(list(depths) == sorted(set(depths)), f"{name} must be increasing")
        require(len(self.sweep_depths) >= 2 and self.sweep_depths[-1] >= 2,
                "sweep_depths needs >= 2 depths")
        require(self.sweep_depths[-1] // 2 in self.sweep_depths,
                "sweep_depths must contain half its largest depth (saturation claim)")
        require(self.theory_max_depth >= 2 * self.ode_depths[-1], "theory_max_depth too small")
        require(self.sweep_width >= 2 and self.sweep_seeds >= 1, "sweep sizes must be positive")
        require(0 < self.sweep_criterion < 1, "sweep_criterion must be in (0, 1)")
        require(0 < self.sweep_decay <= 1, "sweep_decay must be in (0, 1]")
        require(1 <= self.digits_hidden <= 64, "digits_hidden must be in 1..64")
        require(self.tanh_width >= 2 and self.tanh_depth >= 1, "tanh sizes must be positive")
        require(len(self.tanh_gains) > 0 and all(g > 0 for g in self.tanh_gains),
                "tanh gains must be positive")
        require(self.tanh_claim_gain in self.tanh_gains, "tanh_claim_gain must be a tanh gain")

    @property
    def ladder(self) -> np.ndarray:
        """The singular values of the 1/s experiment (n of them, log-spaced, decreasing)."""
        return np.geomspace(self.ladder_max, self.ladder_min, self.n)


CONFIGS = Profiles(
    ci=Config(),
    full=Config(
        ode_depths=(2, 4, 8, 16), ode_lr0=0.005, ode_steps=8000, theory_max_depth=1024,
        sweep_depths=(1, 2, 4, 8, 16, 32, 64), sweep_cap=20_000,
        spectra_depths=(1, 4, 16, 64),
        tanh_width=100, tanh_depth=100, tanh_gains=(0.9, 1.0, 1.05, 1.1, 1.3), tanh_inputs=32,
    ),
)


@dataclass(frozen=True)
class Tolerances:
    """Thresholds of the chapter's claims, calibrated on chapter seeds 0-4 (see its
    discussion for the values seen); shared by the notebook and the tests."""

    exact_solution: float = 0.02  # max |u_GD - u_closed| / s, decoupled three-layer net
    error_ratio: tuple[float, float] = (1.8, 2.2)  # err(λ) / err(λ/2): GD → ODE at first order
    decoupling: float = 1e-12  # max off-diagonal |u_aᵀ P v_b| from decoupled init
    half_time: float = 0.02  # relative error of the measured half-times vs the closed form
    inverse_s: float = 0.02  # max relative deviation of s·t_1/2 from τ/2·ln(1/c - 1)
    small_shape: float = 0.02  # small random init vs logistic with one fitted u0 per mode
    optimum: float = 1e-6  # |final loss - Eckart-Young optimum|, bottleneck network
    deep_ode: float = 0.03  # max |u_GD - u_ODE| / s, deep decoupled nets
    theory_flat: float = 1.1  # ODE learning time, u0 = s/2: t(D_max) / t(D_max/8) below
    theory_growth: float = 10.0  # ODE learning time, u0 = 1e-3 s: t(16) / t(2) above
    orth_saturation: float = 1.5  # median T_orth(D_max) / T_orth(D_max/2) below
    gauss_vs_orth: float = 3.0  # median T_gauss(D_max) / T_orth(D_max) above
    isometry: float = 1e-12  # max |σ_i - 1| of the orthogonal product
    gauss_condition: float = 1e3  # condition number of the scaled-Gaussian product above
    digits: float = 0.02  # max |u_GD - u_closed| / s on digits
    digits_optimum: float = 0.01  # final loss / least-squares optimum - 1, digits
    tanh_spread_ratio: float = 3.0  # spread of log σ(J): Gaussian / orthogonal above


TOL = Tolerances()


def simulation_dtype(device: torch.device | str | None) -> torch.dtype:
    """float64, the precision the claims need (closed forms are matched to 1e-12). Raises a
    clear error on devices without float64 (Apple MPS): run with ``device="cpu"`` there."""
    dev = torch.device(device) if device is not None else None
    if dev is not None and dev.type == "mps":
        raise ValueError("this chapter needs float64, which Apple MPS does not support; "
                         "run it with device='cpu' (the matrices are tiny, the CPU is fast)")
    return torch.float64


# ------------------------------------------------------------------------------------------
# Closed forms (numpy; broadcast over arrays)
# ------------------------------------------------------------------------------------------


def _check_positive(name: str, value, strict: bool = True) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got {value}")
    if strict and not (arr > 0).all():
        raise ValueError(f"{name} must be positive, got {value}")
    if not strict and not (arr >= 0).all():
        raise ValueError(f"{name} must be non-negative, got {value}")
    return arr


def mode_strength(t, s, u0, tau: float = 1.0) -> np.ndarray:
    r"""Exact balanced three-layer mode trajectory (paper Eq. 6), broadcast over arrays:

    .. math:: u(t) = \frac{s e^{2st/\tau}}{e^{2st/\tau} - 1 + s/u_0}
                   = \Big[\frac{1 - e^{-2st/\tau}}{s} + \frac{e^{-2st/\tau}}{u_0}\Big]^{-1}.

    The second form is the one evaluated: it is stable for large t and has the right limit
    :math:`u_0 / (1 + 2u_0t/\tau)` for s = 0 (a mode absent from the data decays). u0 = 0
    stays at 0.
    """
    t = np.asarray(t, dtype=float)
    s = _check_positive("s", s, strict=False)
    u0 = _check_positive("u0", u0, strict=False)
    tau = float(_check_positive("tau", tau))
    x = 2.0 * s * t / tau
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(s > 0, -np.expm1(-x) / np.where(s > 0, s, 1.0), 2.0 * t / tau)
        inv = growth + np.exp(-x) / u0
        return np.where(u0 > 0, 1.0 / inv, 0.0)


def three_layer_rhs(u, s, tau: float = 1.0):
    r"""Right-hand side of the balanced three-layer mode ODE, :math:`\dot u = 2u(s-u)/\tau`."""
    return 2.0 * np.asarray(u) * (np.asarray(s) - np.asarray(u)) / tau


def learning_time(s, u0, uf, tau: float = 1.0) -> np.ndarray:
    r"""Time for a balanced three-layer mode to go from u0 to uf (paper Eq. 7):
    :math:`t = \frac{\tau}{2s}\ln\frac{u_f(s-u_0)}{u_0(s-u_f)}`.

    Raises ValueError unless s, u0, uf > 0 and uf lies between u0 and s (else it is never
    reached)."""
    s = _check_positive("s", s)
    u0 = _check_positive("u0", u0)
    uf = _check_positive("uf", uf)
    tau = float(_check_positive("tau", tau))
    lo, hi = np.minimum(u0, s), np.maximum(u0, s)
    if not ((uf >= lo) & (uf <= hi) & ((uf != s) | (u0 == s))).all():
        raise ValueError("uf must lie between u0 and s (excluding s itself): the mode moves "
                         f"monotonically from u0 towards s; got s={s}, u0={u0}, uf={uf}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(uf == u0, 0.0,
                        tau / (2.0 * s) * np.log(uf * (s - u0) / (u0 * (s - uf))))


def half_time(s, u0, tau: float = 1.0) -> np.ndarray:
    r"""Time to reach half strength s/2 from u0 < s/2:
    :math:`t_{1/2} = \frac{\tau}{2s}\ln\frac{s-u_0}{u_0}`."""
    return learning_time(s, u0, np.asarray(s, dtype=float) / 2.0, tau)


def deep_mode_rhs(u, s, depth: int, tau: float = 1.0):
    r"""Right-hand side of the deep balanced mode ODE with D = depth weight matrices:
    :math:`\dot u = \frac{D}{\tau}\, u^{2-2/D}(s-u)` (u is clipped at 0)."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, None)
    return depth / tau * u ** (2.0 - 2.0 / depth) * (np.asarray(s) - u)


def solve_deep_mode(t, s: float, u0: float, depth: int, tau: float = 1.0,
                    rtol: float = 1e-10, atol: float = 1e-13) -> np.ndarray:
    """Integrate the deep mode ODE with scipy's ``solve_ivp`` (DOP853) and return u at the
    (increasing, non-negative) times ``t``. The numerical oracle for the deep networks."""
    from scipy.integrate import solve_ivp

    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size == 0 or (np.diff(t) < 0).any() or t[0] < 0:
        raise ValueError("t must be a non-empty, increasing 1-d array of times >= 0")
    _check_positive("s", s, strict=False)
    _check_positive("u0", u0, strict=False)
    _check_positive("tau", tau)
    _check_depth(depth)
    if t[-1] == 0:
        return np.full_like(t, float(u0))
    sol = solve_ivp(lambda _, u: deep_mode_rhs(u, s, depth, tau), (0.0, float(t[-1])),
                    [float(u0)], method="DOP853", t_eval=t, rtol=rtol, atol=atol)
    if not sol.success:  # pragma: no cover - the ODE is smooth and scalar
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y[0]


def deep_learning_time(s: float, u0: float, uf: float, depth: int, tau: float = 1.0) -> float:
    r"""Learning time of the deep mode ODE,
    :math:`t = \frac{\tau}{D}\int_{u_0}^{u_f}\frac{du}{u^{2-2/D}(s-u)}` (numerical quadrature;
    equals :func:`learning_time` for D = 2)."""
    from scipy.integrate import quad

    _check_depth(depth)
    learning_time(s, u0, uf, tau)  # same validity conditions
    if uf == u0:
        return 0.0
    # substitute u = exp(z): smooth integrand on a log scale, accurate even for tiny u0
    def integrand(z):
        u = math.exp(z)
        return u ** (2.0 / depth - 1.0) / (s - u)

    val, _ = quad(integrand, math.log(u0), math.log(uf), epsabs=0.0, epsrel=1e-11, limit=500)
    return tau / depth * val


def optimal_loss(s, rank: int) -> float:
    r"""Global minimum of :math:`\frac12\|M^* - P\|_F^2` over rank-``rank`` maps P
    (Eckart-Young): :math:`\frac12\sum_{\alpha > r} s_\alpha^2`."""
    s = np.sort(_check_positive("s", s, strict=False).ravel())[::-1]
    if rank < 0:
        raise ValueError(f"rank must be >= 0, got {rank}")
    return 0.5 * float(np.sum(s[rank:] ** 2))


def best_rank_approximation(m: np.ndarray, rank: int) -> np.ndarray:
    """The best rank-``rank`` approximation of ``m`` in Frobenius norm (truncated SVD)."""
    m = np.asarray(m, dtype=float)
    if m.ndim != 2:
        raise ValueError(f"m must be a matrix, got shape {m.shape}")
    if rank < 0:
        raise ValueError(f"rank must be >= 0, got {rank}")
    u, s, vt = np.linalg.svd(m, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


def _check_depth(depth) -> None:
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth (number of weight matrices) must be an integer >= 1, "
                         f"got {depth!r}")


# ------------------------------------------------------------------------------------------
# Targets and data
# ------------------------------------------------------------------------------------------


def haar_orthogonal(n: int, rng: np.random.Generator, batch: tuple[int, ...] = ()) -> np.ndarray:
    """Random orthogonal n×n matrices from the Haar measure: QR of a Gaussian matrix with the
    signs of R's diagonal moved into Q (Mezzadri 2007), so that Q is uniformly distributed."""
    return _semi_orthogonal(n, n, rng, batch)


def _semi_orthogonal(m: int, n: int, rng: np.random.Generator,
                     batch: tuple[int, ...] = ()) -> np.ndarray:
    """m×n with orthonormal columns (m >= n) or rows (m < n), Haar-distributed."""
    if m < 1 or n < 1:
        raise ValueError(f"matrix sizes must be positive, got {m}x{n}")
    tall = m >= n
    z = rng.standard_normal((*batch, max(m, n), min(m, n)))
    q, r = np.linalg.qr(z)
    d = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    d = np.where(d == 0, 1.0, d)
    q = q * d[..., None, :]
    return q if tall else np.swapaxes(q, -1, -2)


@dataclass(frozen=True)
class Target:
    """Σ31 = U diag(s) Vᵀ (``sigma31`` may be batched: (B, N3, N1)), with Σ11 = I."""

    sigma31: np.ndarray
    u: np.ndarray
    s: np.ndarray
    v: np.ndarray


def synthetic_target(n_out: int, n_in: int, s: Sequence[float], rng: np.random.Generator,
                     batch: tuple[int, ...] = ()) -> Target:
    """A target map with prescribed singular values and Haar-random singular vectors. ``s``
    lists the nonzero singular values; the rest are zero."""
    s = np.asarray(s, dtype=float)
    if s.ndim != 1 or s.size > min(n_out, n_in):
        raise ValueError(f"need at most min(n_out, n_in)={min(n_out, n_in)} singular values, "
                         f"got {s.size}")
    _check_positive("s", s, strict=False)
    full = np.zeros(min(n_out, n_in))
    full[: s.size] = np.sort(s)[::-1]
    u = haar_orthogonal(n_out, rng, batch)
    v = haar_orthogonal(n_in, rng, batch)
    k = full.size
    sigma31 = (u[..., :, :k] * full) @ np.swapaxes(v[..., :, :k], -1, -2)
    return Target(sigma31=sigma31, u=u, s=full, v=v)


def geometric_spectrum(n: int, s1: float, decay: float) -> np.ndarray:
    """s_i = s1 * decay**i, i = 0..n-1 (the depth experiment's target spectrum)."""
    if n < 1 or s1 <= 0 or not 0 < decay <= 1:
        raise ValueError("need n >= 1, s1 > 0 and 0 < decay <= 1")
    return s1 * decay ** np.arange(n)


@dataclass(frozen=True)
class DataCorrelations:
    """Correlations of a data set (means over samples) and the SVD of Σ31."""

    sigma11: np.ndarray
    sigma31: np.ndarray
    loss_const: float  # ½ tr Σ33: the loss of the zero map
    u: np.ndarray
    s: np.ndarray
    v: np.ndarray


def correlations(x: np.ndarray, y: np.ndarray) -> DataCorrelations:
    r""":math:`\Sigma^{11} = X^\top X/n`, :math:`\Sigma^{31} = Y^\top X/n`,
    :math:`\tfrac12\operatorname{tr}\Sigma^{33}` and the SVD of Σ31 (x: (n, N1), y: (n, N3))."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"x and y must be (samples, features) with the same number of samples, "
                         f"got {x.shape} and {y.shape}")
    n = x.shape[0]
    s11, s31 = x.T @ x / n, y.T @ x / n
    u, s, vt = np.linalg.svd(s31)
    return DataCorrelations(sigma11=s11, sigma31=s31, loss_const=0.5 * float((y * y).sum() / n),
                            u=u, s=s, v=vt.T)


def digits_correlations(eps: float = 1e-2) -> DataCorrelations:
    """sklearn digits: pixels (0..16) ZCA-whitened with ridge ``eps``, centred one-hot targets.
    The inputs are centred, so the targets' mean (which a bias-free linear map cannot fit
    anyway) is removed from the loss."""
    from ..data.digits import load_digits, zca_whiten

    data = load_digits()
    xw, _, _ = zca_whiten(data.x, eps=eps)
    return correlations(xw, data.y - data.y.mean(axis=0))


# ------------------------------------------------------------------------------------------
# Initialisations (torch; a batch of B networks: weights[l] has shape (B, N_{l+1}, N_l))
# ------------------------------------------------------------------------------------------


def _check_sizes(sizes: Sequence[int]) -> list[int]:
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or any(n < 1 for n in sizes):
        raise ValueError(f"sizes must list >= 2 positive layer widths (input first), got {sizes}")
    return sizes


def _as_tensors(arrays, device, dtype) -> list[torch.Tensor]:
    return [torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device) for a in arrays]


def gaussian_weights(sizes: Sequence[int], std: float, rng: np.random.Generator,
                     batch: int = 1, *, device=None, dtype=torch.float64) -> list[torch.Tensor]:
    """I.i.d. N(0, std²) entries (the paper's "small random" initialisation for small std)."""
    sizes = _check_sizes(sizes)
    _check_positive("std", std)
    return _as_tensors([rng.standard_normal((batch, m, n)) * std
                        for n, m in zip(sizes[:-1], sizes[1:], strict=True)], device, dtype)


def scaled_gaussian_weights(sizes: Sequence[int], gain: float, rng: np.random.Generator,
                            batch: int = 1, *, device=None,
                            dtype=torch.float64) -> list[torch.Tensor]:
    """N(0, g²/N_in) entries: preserves the norm of a random vector on average, but the
    singular values of the end-to-end product spread out with depth."""
    sizes = _check_sizes(sizes)
    _check_positive("gain", gain)
    return _as_tensors([rng.standard_normal((batch, m, n)) * gain / math.sqrt(n)
                        for n, m in zip(sizes[:-1], sizes[1:], strict=True)], device, dtype)


def orthogonal_weights(sizes: Sequence[int], gain: float, rng: np.random.Generator,
                       batch: int = 1, *, device=None, dtype=torch.float64) -> list[torch.Tensor]:
    """g·O with O Haar-random orthogonal (semi-orthogonal for rectangular layers). With g = 1
    and square layers the end-to-end map is orthogonal: every singular value is exactly 1
    (dynamical isometry)."""
    sizes = _check_sizes(sizes)
    _check_positive("gain", gain)
    return _as_tensors([gain * _semi_orthogonal(m, n, rng, (batch,))
                        for n, m in zip(sizes[:-1], sizes[1:], strict=True)], device, dtype)


def decoupled_weights(u: np.ndarray, v: np.ndarray, u0, sizes: Sequence[int],
                      rng: np.random.Generator, batch: int = 1, *, balance: float = 1.0,
                      device=None, dtype=torch.float64) -> list[torch.Tensor]:
    r"""Decoupled initial conditions aligned with the SVD Σ31 = U S Vᵀ:
    :math:`W_1 = \sum_\alpha a_\alpha r^{(1)}_\alpha v_\alpha^\top`,
    :math:`W_l = \sum_\alpha a_\alpha r^{(l)}_\alpha r^{(l-1)\top}_\alpha`,
    :math:`W_D = \sum_\alpha a_\alpha u_\alpha r^{(D-1)\top}_\alpha` with random orthonormal
    hidden directions :math:`r^{(l)}_\alpha` and per-layer strength
    :math:`a_\alpha = u_{0,\alpha}^{1/D}`, so mode α starts at strength :math:`u_{0,\alpha}`.

    ``u0``: one value per mode (a scalar means all min(sizes) modes). ``balance`` = c ≠ 1
    multiplies the first layer by c and divides the last by c (same product, *unbalanced*
    layers: the 2u(s-u) law no longer applies). ``u``/``v`` may be batched (B, N, N).
    """
    sizes = _check_sizes(sizes)
    depth = len(sizes) - 1
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    if u.shape[-2:] != (sizes[-1], sizes[-1]) or v.shape[-2:] != (sizes[0], sizes[0]):
        raise ValueError(f"u must be {sizes[-1]}x{sizes[-1]} and v {sizes[0]}x{sizes[0]}, got "
                         f"{u.shape} and {v.shape}")
    u0 = np.atleast_1d(_check_positive("u0", u0, strict=False))
    if u0.size == 1:
        u0 = np.full(min(sizes), float(u0[0]))
    r = u0.size
    if r > min(sizes):
        raise ValueError(f"{r} modes do not fit through a layer of width {min(sizes)}")
    _check_positive("balance", balance)
    a = u0 ** (1.0 / depth)
    # r^{(0)} = v, r^{(D)} = u; hidden bases are random orthonormal
    bases = [np.broadcast_to(v[..., :r], (batch, sizes[0], r))]
    bases += [_semi_orthogonal(n, r, rng, (batch,)) for n in sizes[1:-1]]
    bases += [np.broadcast_to(u[..., :r], (batch, sizes[-1], r))]
    weights = []
    for l in range(depth):
        scale = a.copy()
        if depth > 1 and l == 0:
            scale = scale * balance
        if depth > 1 and l == depth - 1:
            scale = scale / balance
        weights.append((bases[l + 1] * scale) @ np.swapaxes(bases[l], -1, -2))
    return _as_tensors(weights, device, dtype)


# ------------------------------------------------------------------------------------------
# Gradient descent on a batch of deep linear networks
# ------------------------------------------------------------------------------------------


def end_to_end(weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """P = W_D ⋯ W_1 (batched)."""
    p = weights[0]
    for w in weights[1:]:
        p = w @ p
    return p


def _check_chain(weights: Sequence[torch.Tensor]) -> None:
    if len(weights) == 0:
        raise ValueError("need at least one weight matrix")
    for l, w in enumerate(weights):
        if w.ndim != 3:
            raise ValueError(f"weights[{l}] must have shape (batch, out, in), got "
                             f"{tuple(w.shape)}")
    for l in range(1, len(weights)):
        if weights[l].shape[-1] != weights[l - 1].shape[-2] or \
                weights[l].shape[0] != weights[0].shape[0]:
            raise ValueError(f"weights[{l}] of shape {tuple(weights[l].shape)} does not chain "
                             f"with weights[{l - 1}] of shape {tuple(weights[l - 1].shape)}")


def descent_directions(weights: Sequence[torch.Tensor], sigma31: torch.Tensor,
                       sigma11: torch.Tensor | None = None):
    r"""Minus the loss gradient for every layer, :math:`A_l^\top E B_l^\top` with
    :math:`E = \Sigma^{31} - P\Sigma^{11}` (Σ11 = I when ``sigma11`` is None).

    Computed like backpropagation: prefix products :math:`B_{l+1} = W_l B_l` forward, the
    error :math:`G_D = E`, :math:`G_l = W_{l+1}^\top G_{l+1}` backward, and
    :math:`G_l B_l^\top` per layer: 3D - 2 batched matmuls (plus one for Σ11).
    Returns ``(directions, P, E)``."""
    depth = len(weights)
    prefixes = [None]  # B_1 = I, B_{l+1} = W_l B_l
    for l in range(depth - 1):
        prefixes.append(weights[0] if l == 0 else weights[l] @ prefixes[l])
    p = weights[-1] @ prefixes[-1] if depth > 1 else weights[0]
    e = sigma31 - (p if sigma11 is None else p @ sigma11)
    directions = [None] * depth
    back = e  # G_l = A_l^T E
    for l in range(depth - 1, -1, -1):
        directions[l] = back if prefixes[l] is None else back @ prefixes[l].transpose(-1, -2)
        if l > 0:
            back = weights[l].transpose(-1, -2) @ back
    return directions, p, e


def loss_of(p: torch.Tensor, sigma31: torch.Tensor, sigma11: torch.Tensor | None = None,
            loss_const: float | None = None, e: torch.Tensor | None = None) -> torch.Tensor:
    r"""Per-network loss :math:`c - \langle\Sigma^{31},P\rangle + \frac12\langle P\Sigma^{11},
    P\rangle` with c = ½ tr Σ33 (default ½‖Σ31‖², i.e. ½‖Σ31 - P‖² when Σ11 = I). ``e``: the
    error Σ31 - P if already computed (Σ11 = I only)."""
    if sigma11 is None:
        e = sigma31 - p if e is None else e
        loss = 0.5 * (e * e).sum(dim=(-2, -1))
        if loss_const is not None:
            loss = loss + (loss_const - 0.5 * (sigma31 ** 2).sum(dim=(-2, -1)))
        return loss
    c = 0.5 * (sigma31 ** 2).sum(dim=(-2, -1)) if loss_const is None else loss_const
    return c - (sigma31 * p).sum(dim=(-2, -1)) + 0.5 * ((p @ sigma11) * p).sum(dim=(-2, -1))


@dataclass
class Trajectory:
    """The result of :func:`simulate_gd`.

    ``loss[k, b]`` is the loss of network b before step k (k = 0..steps run); ``modes[j, b, α]``
    the mode strength :math:`u_\\alpha^\\top P v_\\alpha` and ``offdiag[j, b]`` the largest
    :math:`|u_\\alpha^\\top P v_\\beta|`, α ≠ β, at step ``record_steps[j]``."""

    loss: np.ndarray
    record_steps: np.ndarray
    modes: np.ndarray | None
    offdiag: np.ndarray | None
    weights: list[torch.Tensor]
    diverged: np.ndarray
    steps_run: int

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[-1]


def simulate_gd(weights: Sequence[torch.Tensor], sigma31, lr: float, steps: int, *,
                sigma11=None, loss_const: float | None = None, basis=None,
                n_modes: int | None = None, record_every: int = 1, track_offdiag: bool = True,
                stop_below: float | None = None, diverge_above: float = 1e6,
                check_every: int = 50) -> Trajectory:
    r"""Run ``steps`` steps of full-batch GD on a batch of deep linear networks.

    ``sigma31``: (N_out, N_in) or (B, N_out, N_in); ``sigma11``: None (whitened, Σ11 = I) or
    (N_in, N_in). ``basis = (U, V)`` (numpy or torch, optionally batched) turns on recording
    of the mode strengths of the first ``n_modes`` modes every ``record_every`` steps (and of
    the largest off-diagonal entry unless ``track_offdiag`` is false: ``offdiag`` is then None).
    ``stop_below = f`` stops early once every network has loss <= f × its initial loss or has
    diverged (loss not finite or above ``diverge_above`` × initial); the loss is recorded every
    step, so times to criterion do not depend on ``check_every``; networks that have finished
    are dropped from the working batch at the next check and their later losses are NaN.
    """
    weights = [w.clone() for w in weights]
    _check_chain(weights)
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if record_every < 1 or check_every < 1:
        raise ValueError("record_every and check_every must be >= 1")
    if stop_below is not None and not 0 < stop_below < 1:
        raise ValueError(f"stop_below must be in (0, 1), got {stop_below}")
    device, dtype = weights[0].device, weights[0].dtype
    batch, n_in, n_out = weights[0].shape[0], weights[0].shape[-1], weights[-1].shape[-2]
    s31 = torch.as_tensor(np.asarray(sigma31) if not torch.is_tensor(sigma31) else sigma31,
                          device=device, dtype=dtype)
    if s31.shape[-2:] != (n_out, n_in) or s31.ndim not in (2, 3) or \
            (s31.ndim == 3 and s31.shape[0] != batch):
        raise ValueError(f"sigma31 must be ({n_out}, {n_in}) or ({batch}, {n_out}, {n_in}), got "
                         f"{tuple(s31.shape)}")
    s11 = None
    if sigma11 is not None:
        s11 = torch.as_tensor(sigma11 if torch.is_tensor(sigma11) else np.asarray(sigma11),
                              device=device, dtype=dtype)
        if tuple(s11.shape) != (n_in, n_in):
            raise ValueError(f"sigma11 must be ({n_in}, {n_in}), got {tuple(s11.shape)}")
    ut = vt = off_mask = None
    if basis is not None:
        ut, vm = (torch.as_tensor(b if torch.is_tensor(b) else np.asarray(b), device=device,
                                  dtype=dtype) for b in basis)
        if ut.shape[-2:] != (n_out, n_out) or vm.shape[-2:] != (n_in, n_in):
            raise ValueError(f"basis must be (U: {n_out}x{n_out}, V: {n_in}x{n_in})")
        ut = ut.transpose(-1, -2)
        vt = vm
        off_mask = 1.0 - torch.eye(n_out, n_in, device=device, dtype=dtype)
        n_modes = min(n_out, n_in) if n_modes is None else int(n_modes)
        if not 1 <= n_modes <= min(n_out, n_in):
            raise ValueError(f"n_modes must be in 1..{min(n_out, n_in)}")

    nan = float("nan")
    losses = torch.full((steps + 1, batch), nan, dtype=dtype, device=device)
    records, modes, offdiag = [], [], []
    # per network: 0 running, 1 reached the criterion, 2 diverged; finished networks leave the
    # working batch (``active``), so they cost nothing afterwards
    status = torch.zeros(batch, dtype=torch.int64, device=device)
    active = torch.arange(batch, device=device)
    w_act, s31_act = weights, s31
    basis_act = (ut, vt)
    loss0 = None
    k_last = steps

    def scatter_back():
        for w_full, w in zip(weights, w_act, strict=True):
            if w is not w_full:
                w_full[active] = w

    def subset(x, keep):
        return x[keep] if x is not None and x.ndim == 3 else x

    with torch.inference_mode():
        for k in range(steps + 1):
            directions, p, e = descent_directions(w_act, s31_act, s11)
            loss = loss_of(p, s31_act, s11, loss_const, e=e if s11 is None else None)
            if active.numel() == batch:
                losses[k] = loss
            else:
                losses[k, active] = loss
            if k == 0:
                loss0 = losses[0].clone()
            if basis is not None and (k % record_every == 0 or k == steps):
                m = basis_act[0] @ p @ basis_act[1]
                d = torch.diagonal(m, dim1=-2, dim2=-1)[..., :n_modes].clone()
                if active.numel() < batch:  # finished networks: NaN
                    d_all = torch.full((batch, n_modes), nan, dtype=dtype, device=device)
                    d_all[active] = d
                    d = d_all
                records.append(k)
                modes.append(d)
                if track_offdiag:
                    o = (m * off_mask).abs().amax(dim=(-2, -1))
                    if active.numel() < batch:
                        o_all = torch.full((batch,), nan, dtype=dtype, device=device)
                        o_all[active] = o
                        o = o_all
                    offdiag.append(o)
            if k == steps:
                break
            if stop_below is not None and k % check_every == 0 and k > 0:
                seen = losses[: k + 1, active]
                l0 = loss0[active]
                done = (seen <= stop_below * l0).any(dim=0)
                bad = ~torch.isfinite(seen).all(dim=0) | (seen > diverge_above * l0).any(dim=0)
                status[active[done]] = 1
                status[active[bad & ~done]] = 2
                keep = ~(done | bad)
                if not bool(keep.any()):
                    k_last = k
                    break
                if not bool(keep.all()):
                    scatter_back()
                    active = active[keep]
                    w_act = [w[keep] for w in w_act]
                    directions = [g[keep] for g in directions]
                    s31_act = subset(s31_act, keep)
                    basis_act = (subset(basis_act[0], keep), subset(basis_act[1], keep))
            for w, g in zip(w_act, directions, strict=True):
                w.add_(g, alpha=lr)
    scatter_back()
    losses = losses[: k_last + 1]
    running = status == 0
    if bool(running.any()):
        seen = losses[:, running]
        l0 = loss0[running]
        reached = (seen <= stop_below * l0).any(dim=0) if stop_below is not None else \
            torch.zeros_like(l0, dtype=torch.bool)
        bad = ~torch.isfinite(seen).all(dim=0) | (seen > diverge_above * l0).any(dim=0)
        status[running] = torch.where(reached, 1, torch.where(bad, 2, 0))
    return Trajectory(
        loss=losses.cpu().numpy(),
        record_steps=np.asarray(records, dtype=np.int64),
        modes=torch.stack(modes).cpu().numpy() if modes else None,
        offdiag=torch.stack(offdiag).cpu().numpy() if offdiag else None,
        weights=weights,
        diverged=(status == 2).cpu().numpy(),
        steps_run=k_last,
    )


def time_to_criterion(loss: np.ndarray, fraction: float, cap: int):
    """First step at which the loss is <= ``fraction`` × its initial value, per network.

    Returns ``(times, censored)``: networks that never get there within ``cap`` steps (or
    diverge) get ``times = cap`` and ``censored = True`` — they are reported, not dropped."""
    loss = np.asarray(loss, dtype=float)
    if loss.ndim == 1:
        loss = loss[:, None]
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    hit = loss <= fraction * loss[:1]
    reached = hit.any(axis=0)
    times = np.where(reached, hit.argmax(axis=0), cap).astype(np.int64)
    return np.minimum(times, cap), ~reached | (times > cap)


def half_times(record_steps: np.ndarray, modes: np.ndarray, s) -> np.ndarray:
    """First recorded step at which each mode reaches half of its singular value (NaN if it
    never does). ``modes``: (T, B, r) → (B, r)."""
    s = np.asarray(s, dtype=float)
    r = modes.shape[-1]
    hit = modes >= s[:r] / 2.0
    first = hit.argmax(axis=0)
    return np.where(hit.any(axis=0), np.asarray(record_steps)[first], np.nan)


def end_to_end_singular_values(weights: Sequence[torch.Tensor]) -> np.ndarray:
    """Singular values of the end-to-end map of each network, (B, min(N_out, N_in))."""
    return torch.linalg.svdvals(end_to_end(weights)).cpu().numpy()


# ------------------------------------------------------------------------------------------
# Experiments (the notebook calls these; tests run them small and broken on purpose)
# ------------------------------------------------------------------------------------------


@dataclass
class ModeRun:
    """A GD run of one network with reference mode curves (closed form or ODE)."""

    trajectory: Trajectory
    s: np.ndarray  # singular values of the recorded modes
    u0: np.ndarray  # initial strength used by the reference, per mode
    tau: float
    reference: np.ndarray  # (T, r) reference curves at trajectory.record_steps
    error: float  # max over steps and nonzero modes of |u_GD - u_ref| / s

    @property
    def steps(self) -> np.ndarray:
        return self.trajectory.record_steps

    @property
    def modes(self) -> np.ndarray:
        return self.trajectory.modes[:, 0, :]

    @property
    def half_times(self) -> np.ndarray:
        return half_times(self.steps, self.trajectory.modes, self.s)[0]


def _relative_error(modes: np.ndarray, reference: np.ndarray, s: np.ndarray) -> float:
    nonzero = s > 1e-10 * s.max()  # numerically zero singular values (e.g. 1e-17) excluded
    return float((np.abs(modes - reference)[:, nonzero] / s[nonzero]).max())


def run_decoupled(problem, u0, lr: float, steps: int, rng: np.random.Generator, *,
                  depth: int = 2, hidden: int | None = None, balance: float = 1.0,
                  record_every: int = 1, track_offdiag: bool = True, device=None,
                  dtype=torch.float64) -> ModeRun:
    """GD from balanced decoupled initial conditions (mode α at strength ``u0[α]``; a scalar
    for all) against the exact solution: the logistic curve for depth 2, the deep mode ODE
    (solve_ivp) otherwise. ``problem`` is a :class:`Target` (Σ11 = I) or
    :class:`DataCorrelations` (real Σ11: the reference then assumes perfect whitening)."""
    n_out, n_in = problem.sigma31.shape[-2:]
    hidden = min(n_out, n_in) if hidden is None else hidden
    sizes = [n_in] + [hidden] * (depth - 1) + [n_out]
    r = min(sizes)
    u0 = np.broadcast_to(np.asarray(u0, dtype=float), (r,)).copy()
    weights = decoupled_weights(problem.u, problem.v, u0, sizes, rng, balance=balance,
                                device=device, dtype=dtype)
    traj = simulate_gd(weights, problem.sigma31, lr, steps,
                       sigma11=getattr(problem, "sigma11", None),
                       loss_const=getattr(problem, "loss_const", None),
                       basis=(problem.u, problem.v), n_modes=r, record_every=record_every,
                       track_offdiag=track_offdiag)
    s = np.asarray(problem.s[:r], dtype=float)
    t = traj.record_steps.astype(float)
    tau = 1.0 / lr
    if depth == 2:
        ref = mode_strength(t[:, None], s[None, :], u0[None, :], tau)
    else:
        ref = np.stack([solve_deep_mode(t, float(sa), float(ua), depth, tau)
                        for sa, ua in zip(s, u0, strict=True)], axis=1)
    return ModeRun(trajectory=traj, s=s, u0=u0, tau=tau, reference=ref,
                   error=_relative_error(traj.modes[:, 0, :], ref, s))


def fitted_u0(s, t_half, tau: float = 1.0) -> np.ndarray:
    """The initial strength whose closed-form half-time is ``t_half``:
    u0 = s / (1 + exp(2 s t_half / τ)) (inverts :func:`half_time`)."""
    s = _check_positive("s", s)
    return s / (1.0 + np.exp(2.0 * s * np.asarray(t_half, dtype=float) / tau))


def run_small_random(target: Target, std: float, lr: float, steps: int,
                     rng: np.random.Generator, *, hidden: int | None = None, n_modes: int = 0,
                     record_every: int = 1, device=None, dtype=torch.float64) -> ModeRun:
    """Three-layer GD from small i.i.d. Gaussian weights. The reference is the logistic
    curve with one fitted parameter per mode: the u0 that reproduces the measured half-time
    (random weights have no single initial strength; the *shape* is what is compared)."""
    n_out, n_in = target.sigma31.shape[-2:]
    hidden = min(n_out, n_in) if hidden is None else hidden
    r = n_modes or min(int((target.s > 0).sum()), n_out, n_in)
    weights = gaussian_weights([n_in, hidden, n_out], std, rng, device=device, dtype=dtype)
    traj = simulate_gd(weights, target.sigma31, lr, steps, basis=(target.u, target.v),
                       n_modes=r, record_every=record_every, track_offdiag=False)
    s = np.asarray(target.s[:r], dtype=float)
    tau = 1.0 / lr
    th = half_times(traj.record_steps, traj.modes, s)[0]
    learned = np.isfinite(th)
    u0 = np.full(r, np.nan)
    u0[learned] = fitted_u0(s[learned], th[learned], tau)
    t = traj.record_steps.astype(float)
    ref = np.full((t.size, r), np.nan)
    ref[:, learned] = mode_strength(t[:, None], s[None, learned], u0[None, learned], tau)
    err = _relative_error(traj.modes[:, 0, learned], ref[:, learned], s[learned]) \
        if learned.any() else float("nan")
    return ModeRun(trajectory=traj, s=s, u0=u0, tau=tau, reference=ref, error=err)


def deep_learning_time_limit(s: float, u0: float, uf: float, lr0: float) -> float:
    r"""The D → ∞ limit of the deep-mode learning time with learning rate λ0/D (τ/D = 1/λ0):
    :math:`t_\infty = \frac{1}{\lambda_0}\int_{u_0}^{u_f}\frac{du}{u^2(s-u)}
    = \frac{1}{\lambda_0}\Big[\frac{1}{s}\Big(\frac{1}{u_0}-\frac{1}{u_f}\Big)
    + \frac{1}{s^2}\ln\frac{u_f(s-u_0)}{u_0(s-u_f)}\Big]`, finite for u0 = O(1)."""
    learning_time(s, u0, uf)  # same validity conditions
    _check_positive("lr0", lr0)
    return (1.0 / lr0) * ((1.0 / u0 - 1.0 / uf) / s
                          + math.log(uf * (s - u0) / (u0 * (s - uf))) / s ** 2)


@dataclass
class DigitsRun:
    """Three-layer GD on ZCA-whitened digits from decoupled init."""

    run: ModeRun
    data: DataCorrelations
    least_squares_loss: float  # the shallow baseline: min over all linear maps, closed form
    whitening_error: float  # max over the modes' input directions of |v_aᵀ Σ11 v_b - δ_ab|


def run_digits(cfg: Config, rng: np.random.Generator, *, device=None,
               dtype=torch.float64) -> DigitsRun:
    """sklearn digits: ZCA-whitened pixels (ridge ``cfg.zca_eps``), centred one-hot targets,
    Σ11 and Σ31 computed from the data; the network is trained on the true data loss."""
    data = digits_correlations(cfg.zca_eps)
    run = run_decoupled(data, cfg.digits_u0, cfg.digits_lr, cfg.digits_steps, rng,
                        hidden=cfg.digits_hidden, device=device, dtype=dtype)
    ls = data.loss_const - 0.5 * float(np.trace(data.sigma31 @ np.linalg.pinv(data.sigma11,
                                                                              rcond=1e-10)
                                                @ data.sigma31.T))
    k = int((data.s > 1e-12 * data.s[0]).sum())
    v = data.v[:, :k]
    gram = v.T @ data.sigma11 @ v
    return DigitsRun(run=run, data=data, least_squares_loss=ls,
                     whitening_error=float(np.abs(gram - np.eye(k)).max()))


@dataclass
class SweepResult:
    """Times to criterion, (inits, depths, seeds); censored runs carry the cap."""

    depths: tuple[int, ...]
    inits: tuple[str, ...]
    times: np.ndarray
    censored: np.ndarray
    diverged: np.ndarray
    cap: int
    loss_curves: dict = field(default_factory=dict)  # (init, depth) -> (steps, seeds)

    def t(self, init: str, depth: int) -> np.ndarray:
        return self.times[self.inits.index(init), self.depths.index(depth)]

    def c(self, init: str, depth: int) -> np.ndarray:
        return self.censored[self.inits.index(init), self.depths.index(depth)]


def init_weights(kind: str, sizes: Sequence[int], rng: np.random.Generator, batch: int, *,
                 small_std: float = 1e-2, device=None, dtype=torch.float64):
    """One of :data:`INITS`: ``orthogonal`` (g = 1), ``scaled_gaussian`` (g = 1) or
    ``small_gaussian`` (std = small_std / sqrt(N_in))."""
    if kind == "orthogonal":
        return orthogonal_weights(sizes, 1.0, rng, batch, device=device, dtype=dtype)
    if kind == "scaled_gaussian":
        return scaled_gaussian_weights(sizes, 1.0, rng, batch, device=device, dtype=dtype)
    if kind == "small_gaussian":
        return scaled_gaussian_weights(sizes, small_std, rng, batch, device=device, dtype=dtype)
    raise ValueError(f"unknown initialisation {kind!r}; choose one of {', '.join(INITS)}")


def depth_sweep(cfg: Config, rng: np.random.Generator, *, inits: Sequence[str] = INITS,
                lr_power: float = 1.0, show_progress: bool = False, device=None,
                dtype=torch.float64) -> SweepResult:
    """Time to criterion (loss <= ``cfg.sweep_criterion`` × initial) vs depth, learning rate
    ``cfg.sweep_lr0 / D**lr_power`` (the paper's scaling is lr_power = 1). All initialisations
    and seeds of one depth run as one batch; every seed has its own random target with the
    spectrum s_i = s1·decay^i."""
    n, seeds = cfg.sweep_width, cfg.sweep_seeds
    spectrum = geometric_spectrum(n, cfg.sweep_s1, cfg.sweep_decay)
    target = synthetic_target(n, n, spectrum, rng, batch=(seeds,))
    sigma31 = np.concatenate([target.sigma31] * len(inits))  # (inits × seeds, n, n)
    shape = (len(inits), len(cfg.sweep_depths), seeds)
    times = np.zeros(shape, dtype=np.int64)
    censored = np.zeros(shape, dtype=bool)
    diverged = np.zeros(shape, dtype=bool)
    curves = {}
    depths = list(enumerate(cfg.sweep_depths))
    for j, depth in progress(depths, desc="depth sweep", enabled=show_progress):
        sizes = [n] * (depth + 1)
        weights = [torch.cat(ws) for ws in zip(*[
            init_weights(kind, sizes, rng, seeds, small_std=cfg.sweep_small_std,
                         device=device, dtype=dtype) for kind in inits], strict=True)]
        traj = simulate_gd(weights, sigma31, cfg.sweep_lr0 / depth ** lr_power, cfg.sweep_cap,
                           stop_below=cfg.sweep_criterion)
        t, cens = time_to_criterion(traj.loss, cfg.sweep_criterion, cfg.sweep_cap)
        times[:, j] = t.reshape(len(inits), seeds)
        censored[:, j] = cens.reshape(len(inits), seeds)
        diverged[:, j] = traj.diverged.reshape(len(inits), seeds)
        for i, kind in enumerate(inits):
            curves[kind, depth] = traj.loss[:, i * seeds:(i + 1) * seeds]
    return SweepResult(depths=tuple(cfg.sweep_depths), inits=tuple(inits), times=times,
                       censored=censored, diverged=diverged, cap=cfg.sweep_cap,
                       loss_curves=curves)


def log_spread(singular_values: np.ndarray) -> float:
    """Spread of singular values on a log scale: the standard deviation of log10 σ (0 for an
    isometry; a few decades for an ill-conditioned map)."""
    sv = np.asarray(singular_values, dtype=float)
    return float(np.log10(np.clip(sv, 1e-300, None)).std())


def init_spectra(width: int, depths: Sequence[int], rng: np.random.Generator, *,
                 kinds: Sequence[str] = ("orthogonal", "scaled_gaussian"), device=None,
                 dtype=torch.float64) -> dict:
    """Singular values of the end-to-end map at initialisation, {(kind, depth): (width,)}."""
    out = {}
    for kind in kinds:
        for depth in depths:
            w = init_weights(kind, [width] * (depth + 1), rng, 1, device=device, dtype=dtype)
            out[kind, depth] = end_to_end_singular_values(w)[0]
    return out


def tanh_jacobian_singular_values(x: np.ndarray, width: int, depth: int, gain: float, kind: str,
                                  rng: np.random.Generator, *, device=None,
                                  dtype=torch.float64) -> np.ndarray:
    r"""Extension (the paper's section on nonlinear networks): singular values of the
    input-output Jacobian :math:`J = \prod_l \operatorname{diag}(1-h_l^2)\, W_l` of a deep tanh
    network :math:`h_l = \tanh(W_l h_{l-1})` at initialisation, at each input row of ``x``
    (shape (n, N_in); the first layer maps N_in → width, the others width → width).

    Returns (n, min(width, N_in)). Dynamical isometry means all of them are close to 1:
    orthogonal weights with a gain near 1 get close, scaled Gaussian weights do not.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x must be (samples, features), got shape {x.shape}")
    sizes = [x.shape[1]] + [width] * depth
    if kind == "orthogonal":
        ws = orthogonal_weights(sizes, gain, rng, 1, device=device, dtype=dtype)
    elif kind == "scaled_gaussian":
        ws = scaled_gaussian_weights(sizes, gain, rng, 1, device=device, dtype=dtype)
    else:
        raise ValueError(f"kind must be 'orthogonal' or 'scaled_gaussian', got {kind!r}")
    h = torch.as_tensor(x, device=device, dtype=dtype).unsqueeze(-1)  # (n, N_in, 1)
    jac = None
    with torch.no_grad():
        for w in ws:
            h = torch.tanh(w @ h)
            step = (1.0 - h.square()) * w  # diag(1 - h²) W, batched over inputs
            jac = step if jac is None else step @ jac
    return torch.linalg.svdvals(jac).cpu().numpy()


# ------------------------------------------------------------------------------------------
# Cost model
# ------------------------------------------------------------------------------------------

#: Fixed cost per small tensor operation: measured 3-8 µs on a busy 2-core CPU with
#: OMP_NUM_THREADS=1; CUDA kernel launches from Python cost ~10-20 µs. Both with a margin.
PER_OP_S = {"cpu": 1e-5, "gpu": 4e-5}
#: Sustained float64 matmul rate on top of that (measured ~35 GFLOP/s for batches of 32×32 on
#: one CPU core; a T4's float64 peak is ~250 GFLOP/s), with a margin.
FLOPS = {"cpu": 2e10, "gpu": 5e10}


def _gd_cost(depth: int, steps: int, batch: int, n: int, *, record: float = 0.0,
             sigma11: int = 0) -> tuple[int, float]:
    """(tensor operations, matmul flops) of ``steps`` steps of :func:`simulate_gd`: 3D - 2
    matmuls, D updates, ~6 for the error and the loss, and ~8 to record the modes on a
    fraction ``record`` of the steps."""
    matmuls = 3 * depth - 2
    ops = (matmuls + depth + 6 + 8 * record + (2 if sigma11 else 0)) * (steps + 1)
    flops = (matmuls + 2 * record) * 2.0 * n ** 3 * batch * (steps + 1)
    flops += 2.0 * n * sigma11 ** 2 * batch * (steps + 1)
    return ops, flops


def estimate_seconds(cfg: Config, where: str = "cpu") -> float:
    """A conservative estimate of the chapter's own compute (seconds) for ``cfg``: counted
    tensor operations × a per-operation cost, plus matmul flops / a float64 rate, plus an
    allowance for closed forms, solve_ivp, data loading and plotting. ``where``: ``"cpu"``
    (CI: 2 shared cores) or ``"gpu"`` (Colab: launch-bound)."""
    if where not in PER_OP_S:
        raise ValueError(f"where must be one of {', '.join(PER_OP_S)}, got {where!r}")
    runs = [  # (depth, steps, batch, width, fraction of steps recorded, sigma11 size)
        (2, cfg.steps, 1, cfg.n, 1.0, 0),  # decoupled, λ
        (2, 2 * cfg.steps, 1, cfg.n, 0.5, 0),  # decoupled, λ/2 (recorded every 2nd step)
        (2, cfg.ladder_steps, 1, cfg.n, 1.0, 0),  # 1/s ladder
        (2, cfg.small_steps, 1, cfg.n, 0.5, 0),  # small random, full width (every 2nd)
        (2, cfg.small_steps, 1, cfg.n, 0.05, 0),  # small random, bottleneck
        (2, cfg.digits_steps, 1, 64, 1.0, 64),  # digits (64 inputs; n=64 is an upper bound)
    ]
    runs += [(d, cfg.ode_steps, 1, cfg.n, 0.1, 0) for d in cfg.ode_depths]  # every 10th
    # depth sweep: finished networks leave the batch; budget for two of the three
    # initialisations (the slow ones) running to the cap at every depth
    batch = 2 * cfg.sweep_seeds
    runs += [(d, cfg.sweep_cap, batch, cfg.sweep_width, False, 0) for d in cfg.sweep_depths]
    ops, flops = 0, 0.0
    for depth, steps, b, n, record, s11 in runs:
        o, f = _gd_cost(depth, steps, b, n, record=record, sigma11=s11)
        ops, flops = ops + o, flops + f
    # tanh Jacobians: depth matmuls of width² × width per input and gain, two kinds
    flops += (2 * len(cfg.tanh_gains) * cfg.tanh_inputs * cfg.tanh_depth
              * 2.0 * cfg.tanh_width ** 3)
    seconds = ops * PER_OP_S[where] + flops / FLOPS[where]
    # solve_ivp per deep mode, ODE learning times, digits loading (sklearn import), figures
    seconds += 0.05 * len(cfg.ode_depths) * cfg.n + 1e-3 * cfg.theory_max_depth + 3.0 + 5.0
    return seconds
