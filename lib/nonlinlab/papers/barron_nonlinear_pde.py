r"""Marwah, Lipton, Lu & Risteski (ICML 2023), *Neural Network Approximations of PDEs Beyond
Linearity: A Representational Perspective* (arXiv:2210.12101).

A theory paper without official code: this module implements a numerical experiment that makes
every ingredient of its main theorem visible, on a concrete nonlinear variational elliptic PDE.

**Setting.** The solution of the PDE minimises the energy

.. math:: \mathcal E(u)=\int_\Omega L(x,u,\nabla u)-f\,u\,dx,\qquad
          L=\tfrac12\lvert\nabla u\rvert^2+\tfrac12u^2+\tfrac\kappa4u^4,

whose Euler--Lagrange equation is :math:`-\Delta u+u+\kappa u^3=f`. Here
:math:`\partial_uL=u+\kappa u^3` is a cubic, so composing it with a Barron function of norm
:math:`b` gives Barron norm at most :math:`b+\kappa b^3` (Wiener-algebra inequality): the paper's
assumption with :math:`p=3`. The paper works on the unit hypercube; we use the periodic
torus :math:`\Omega=[0,2\pi)^d`, where the Fourier series is the eigenbasis of the Laplacian and
every norm below is exact and closed-form (period :math:`2\pi` rather than 1 so that the
lowest modes have stiffness :math:`1+\lvert k\rvert^2=2` and the cubic term is not dwarfed by the
Laplacian). This changes constants, not the mechanism.

**Barron norm** of :math:`g=\sum_{k\in\mathbb Z^d}\hat g(k)e^{ik\cdot x}`:
:math:`\lVert g\rVert_{\mathcal B}=\sum_k(1+\lVert k\rVert_2)\lvert\hat g(k)\rvert`
(the paper's spectral weight :math:`1+\lVert\omega\rVert_2`);
:math:`\lVert g\rVert_{\mathcal A}=\sum_k\lvert\hat g(k)\rvert` is the Wiener
(absolutely convergent Fourier series) norm, :math:`\lVert g\rVert_\infty\le\lVert
g\rVert_{\mathcal A}\le\lVert g\rVert_{\mathcal B}`.

**Preconditioned gradient descent in function space** (the proof device):

.. math:: u_{t+1}=u_t-\eta\,(I-\Delta)^{-1}\big(-\Delta u_t+u_t+\kappa u_t^3-f\big)
          =(1-\eta)u_t+\eta\,(I-\Delta)^{-1}\big(f-\kappa u_t^3\big),\qquad u_0=0.

:math:`(I-\Delta)^{-1}` multiplies mode :math:`k` by :math:`1/(1+\lVert k\rVert^2)\le
1/(1+\lVert k\rVert)` (integer :math:`k`), so it maps :math:`\mathcal A` into
:math:`\mathcal B` with norm 1 —
the preconditioner is a *bounded* operation on Barron functions, the Laplacian is not. Hence
the per-step growth bound used by the proof,

.. math:: \lVert u_{t+1}\rVert_{\mathcal B}\le(1-\eta)\lVert u_t\rVert_{\mathcal B}
          +\eta\big(\lVert f\rVert_{\mathcal A}+\kappa\lVert u_t\rVert_{\mathcal A}^3\big).

On the sup-norm ball :math:`\lVert u\rVert_\infty\le M` the Hessian of the energy, measured in
the :math:`H^1` geometry of the preconditioner, has spectrum in :math:`[\lambda,\Lambda]` with
:math:`\lambda=1`, :math:`\Lambda=1+3\kappa M^2` (the paper assumes global bounds
:math:`\lambda\le\nabla^2L\le\Lambda`; the quartic Lagrangian satisfies them only on a ball,
so we take :math:`M` from the maximum principle, :math:`M+\kappa M^3=\lVert f\rVert_{\mathcal A}
\ge\lVert f\rVert_\infty`, and check that the iterates stay in it). With
:math:`\eta=2/(\lambda+\Lambda)` the iteration contracts in :math:`H^1` by
:math:`\rho=(\Lambda-\lambda)/(\Lambda+\lambda)` per step.

**Discretisation.** Galerkin truncation to the modes :math:`\lVert k\rVert_\infty\le K` on a
grid of :math:`n=4K+2` points per dimension, so that the cubic is projected without aliasing
(every product of three retained modes has frequency at most :math:`3K<n-K`). Everything is
torch FFTs in float64 on the chapter's device.

**Right-hand sides.** :math:`f_d(x)=\frac{A}{\sqrt d}\sum_{i=1}^d\big(\cos(x_i+2\pi\theta_i)
+\tfrac12\sin(x_i+x_{i+1}+2\pi\phi_i)\big)` (indices mod :math:`d`; for :math:`d=1` the second
term is :math:`\tfrac12\sin(2x_1+2\pi\phi_1)`) with phases drawn from the seed: :math:`O(d)`
frequencies and Barron norm :math:`O(A\sqrt d)`.

**Two-layer networks** (Barron 1993, the paper's last step). A function with finite
:math:`\mathcal A`-norm is a mixture :math:`u=\sum_j\alpha_j\cos(k_j\cdot x+\varphi_j)`,
:math:`\alpha_j>0`, :math:`S=\sum_j\alpha_j`. Drawing :math:`n` units i.i.d. with probability
:math:`\alpha_j/S` and averaging, :math:`u_n=\frac Sn\sum_{i=1}^n\cos(k_{j_i}\cdot
x+\varphi_{j_i})` (a width-:math:`n` two-layer network with cosine activation), gives
:math:`\mathbb E\lVert u-u_n\rVert_{L^2}^2\le S^2/n` (Maurey's lemma): the error falls as
:math:`n^{-1/2}` whatever :math:`d`. We evaluate the :math:`L^2` error exactly in Fourier space.
At the ``full`` profile we also train width-:math:`n` tanh networks with Adam.

**Baselines.** The linear case :math:`\kappa=0` (closed form
:math:`\hat u^*(k)=\hat f(k)/(1+\lVert k\rVert^2)`); plain (un-preconditioned) gradient
descent :math:`u_{t+1}=u_t-\eta'(-\Delta u_t+u_t+\kappa u_t^3-f)` with the best fixed step
:math:`\eta'=2/(\lambda_{\max}+1)`, :math:`\lambda_{\max}=1+dK^2+3\kappa M^2`,
whose rate degrades with the resolution :math:`K` (the Laplacian is unbounded); and the
tensor grid that holds the same frequencies, :math:`(2K+1)^d` degrees of freedom.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..core import ProfileConfig, Profiles, require

TWO_PI = 2 * math.pi
#: norm of (I - Delta)^{-1} from the Wiener algebra A into the Barron space B on the lattice
#: Z^d: max over k of (1 + |k|) / (1 + |k|^2) = 1 (at k = 0 and |k| = 1)
PRECOND_B_NORM = 1.0

# --------------------------------------------------------------------------------------
# Paper statements (the paper is theoretical: it gives no numbers to compare with)
# --------------------------------------------------------------------------------------

#: exponent p of the composition assumption for the cubic Euler-Lagrange term (u + kappa u^3)
P_EXPONENT = 3
PAPER_CLAIMS = {
    "convergence": "preconditioned GD in function space converges exponentially fast",
    "growth": "each step increases the Barron norm by a bounded amount (b -> B_L b^p)",
    "dimension": "epsilon-approximant has Barron norm O((d B_L)^max(p log 1/eps, "
                 "p^log 1/eps)): polynomial in d",
    "width": "a two-layer network of width n approximates a Barron function with L2 error "
             "<= Barron norm / sqrt(n) (Barron 1993)",
}

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    dims: tuple = (1, 2, 3, 4)        # dimensions d of the PGD / Barron-norm experiments
    K: int = 3                        # Galerkin truncation ||k||_inf <= K
    A: float = 2.0                    # amplitude of the right-hand side f_d
    kappa: float = 1.0                # strength of the quartic term of L
    T: int = 120                      # PGD iterations
    sweep_d: int = 1                  # dimension of the resolution sweep
    sweep_K: tuple = (3, 6, 12, 24, 48)  # resolutions of the PGD vs plain GD sweep
    tol: float = 1e-10                # relative error below which the rate is not measured
    t_burn: int = 3                   # first iterations excluded from the measured rate
    net_dims: tuple = (2, 4)          # dimensions of the width experiments
    widths: tuple = (16, 32, 64, 128, 256)
    draws: int = 30                   # Maurey samples averaged per width
    train_widths: tuple = ()          # widths of trained tanh networks (full)
    train_steps: int = 0
    train_points: int = 4096
    train_lr: float = 3e-3
    newton_dims: tuple = (1, 2)       # dimensions with an independent Newton reference

    def check(self) -> None:
        require(len(self.dims) >= 2 and min(self.dims) >= 1, "need at least two dims >= 1")
        require(self.K >= 1, "K must be >= 1")
        require(self.kappa >= 0 and self.A > 0, "need kappa >= 0, A > 0")
        require(self.T > self.t_burn + 2 and len(self.sweep_K) >= 2, "too few iterations")
        require(all(d in self.dims for d in self.net_dims), "net_dims must be among dims")
        require(all(d in self.dims for d in self.newton_dims), "newton_dims must be among dims")
        require(len(self.widths) >= 2 and min(self.widths) >= 1, "need >= 2 widths")
        require(self.draws >= 1, "draws must be >= 1")
        require(not self.train_widths or self.train_steps > 0, "training needs train_steps")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(dims=(1, 2, 3, 4, 5, 6), K=3, T=200, sweep_K=(3, 6, 12, 24, 48, 96), draws=100,
                net_dims=(2, 4, 6), widths=(16, 32, 64, 128, 256, 512, 1024),
                train_widths=(16, 64, 256, 1024), train_steps=5000, train_points=20000),
)


def grid_size(K: int) -> int:
    """Points per dimension that project the cubic of a K-band-limited field without aliasing."""
    return 4 * K + 2


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper. One PGD or plain-GD step costs two float64 FFTs of n^d points
    (about 5 n^d log2(n^d) flops each) plus a few element-wise passes: ~1 GFLOP/s effective on
    one CPU core (measured: 0.9 s of CPU time for the ci iterations), ~50 GFLOP/s for float64
    FFTs on a Colab GPU. Newton reference: n^d Jacobian columns of one FFT pair each, ~10
    Newton steps. Maurey sampling is O(draws * widths * modes). Training: 6 flops x 3 per
    point, unit and input dimension per Adam step."""
    ci = max(cfg.dims) <= 4
    rate = 1e9 if ci else 5e10
    per_step = {d: 2 * 5 * grid_size(cfg.K) ** d * math.log2(grid_size(cfg.K) ** d) + 10
                * grid_size(cfg.K) ** d for d in cfg.dims}
    pgd = sum(4 * cfg.T * per_step[d] for d in cfg.dims) / rate
    newton = sum(10 * grid_size(cfg.K) ** d * per_step[d] for d in cfg.newton_dims) / rate
    modes = {d: (2 * cfg.K + 1) ** d for d in cfg.net_dims}
    maurey = sum(cfg.draws * sum(cfg.widths) * 2e-7 + cfg.draws * len(cfg.widths) * modes[d]
                 * 2e-8 for d in cfg.net_dims)
    train = sum(cfg.train_steps * 18 * cfg.train_points * w * (d + 2) for d in cfg.net_dims
                for w in cfg.train_widths) / (1e12 if not ci else 5e9)
    train += cfg.train_steps * len(cfg.train_widths) * len(cfg.net_dims) * (1e-3 if ci else 4e-4)
    overhead = 0.2 * len(cfg.dims) + 1.0     # building f, oracles, figures
    return pgd + newton + maurey + train + overhead


# --------------------------------------------------------------------------------------
# Fourier machinery on the torus [0, 1]^d
# --------------------------------------------------------------------------------------


class Torus:
    """Grid of n = 4K + 2 points per dimension on [0, 2 pi)^d, with the Fourier multipliers the
    experiment needs, all as float64 tensors on ``device``."""

    def __init__(self, d: int, K: int, device=None):
        require(d >= 1 and K >= 1, "need d >= 1 and K >= 1")
        self.d, self.K, self.n = d, K, grid_size(K)
        self.device = torch.device("cpu") if device is None else torch.device(device)
        k1 = torch.fft.fftfreq(self.n, 1.0 / self.n, dtype=torch.float64, device=self.device)
        ks = torch.meshgrid(*([k1] * d), indexing="ij")
        self.k = torch.stack(ks)                                   # (d, n, ..., n) integers
        self.knorm = torch.sqrt((self.k ** 2).sum(0))              # ||k||_2
        self.mask = (self.k.abs().amax(0) <= K)                    # Galerkin set ||k||_inf <= K
        self.barron_w = 1 + self.knorm                             # 1 + ||k||
        self.lap = -self.knorm ** 2                                # symbol of the Laplacian
        self.precond = 1.0 / (1.0 - self.lap)                      # (I - Delta)^{-1}
        x1 = TWO_PI * torch.arange(self.n, dtype=torch.float64, device=self.device) / self.n
        self.x = torch.stack(torch.meshgrid(*([x1] * d), indexing="ij"))

    @property
    def dof(self) -> int:
        """Degrees of freedom of the tensor grid that holds the retained frequencies."""
        return (2 * self.K + 1) ** self.d

    def coef(self, u: torch.Tensor) -> torch.Tensor:
        """Fourier coefficients u_hat(k) (normalised: u = sum_k u_hat(k) e^{i k.x})."""
        return torch.fft.fftn(u) / u.numel()

    def field(self, uh: torch.Tensor) -> torch.Tensor:
        return torch.fft.ifftn(uh * uh.numel()).real

    def project(self, u: torch.Tensor) -> torch.Tensor:
        """Galerkin projection onto ||k||_inf <= K."""
        return self.field(self.coef(u) * self.mask)

    def apply(self, u: torch.Tensor, symbol: torch.Tensor) -> torch.Tensor:
        """A Fourier multiplier applied to a field, followed by the Galerkin projection."""
        return self.field(self.coef(u) * symbol * self.mask)

    def barron(self, u: torch.Tensor) -> float:
        """||u||_B = sum_k (1 + ||k||) |u_hat(k)| over the retained modes."""
        return float((self.barron_w * self.coef(u).abs() * self.mask).sum())

    def wiener(self, u: torch.Tensor) -> float:
        """||u||_A = sum_k |u_hat(k)|."""
        return float((self.coef(u).abs() * self.mask).sum())

    def l2(self, u: torch.Tensor) -> float:
        """L2 norm over the unit torus (exact for band-limited fields: Parseval)."""
        return float(torch.sqrt((u ** 2).mean()))

    def h1(self, u: torch.Tensor) -> float:
        """H^1 norm (the preconditioner's geometry): sqrt(sum_k (1 + ||k||^2) |u_hat(k)|^2)."""
        return float(torch.sqrt(((1 - self.lap) * self.coef(u).abs() ** 2 * self.mask).sum()))

    def active(self, u: torch.Tensor, rel: float = 1e-10) -> int:
        """Number of retained modes with |u_hat(k)| above rel * max |u_hat|."""
        c = self.coef(u).abs() * self.mask
        return int((c > rel * c.max()).sum())


def rhs_phases(d: int, seed: int) -> np.ndarray:
    """Phases (theta_i, phi_i) of f_d, drawn from the seed (fixed per dimension)."""
    return np.random.default_rng([seed, d]).uniform(0, 1, (2, d))


def rhs(tor: Torus, A: float, seed: int) -> torch.Tensor:
    """f_d = A/sqrt(d) sum_i [cos(x_i + 2 pi theta_i) + 1/2 sin(x_i + x_{i+1} + 2 pi phi_i)]."""
    d, x = tor.d, tor.x
    th, ph = (torch.as_tensor(p, dtype=torch.float64, device=tor.device)
              for p in rhs_phases(d, seed))
    f = torch.zeros_like(x[0])
    for i in range(d):
        f = f + torch.cos(x[i] + TWO_PI * th[i])
        f = f + 0.5 * torch.sin(x[i] + x[(i + 1) % d] + TWO_PI * ph[i])
    return A / math.sqrt(d) * f


# --------------------------------------------------------------------------------------
# The iteration
# --------------------------------------------------------------------------------------


def el_residual(tor: Torus, u: torch.Tensor, f: torch.Tensor, kappa: float) -> torch.Tensor:
    """Galerkin-projected Euler-Lagrange residual DE(u) = -Delta u + u + kappa u^3 - f."""
    return tor.apply(u, 1.0 - tor.lap) + kappa * tor.project(u ** 3) - tor.project(f)


def sup_bound(f_wiener: float, kappa: float) -> float:
    """A-priori bound M on ||u*||_inf from the maximum principle: at a maximum of u*,
    -Delta u* >= 0, so u* + kappa u*^3 <= ||f||_inf <= ||f||_A; M solves M + kappa M^3 =
    ||f||_A."""
    if kappa == 0:
        return f_wiener
    roots = np.roots([kappa, 0.0, 1.0, -f_wiener])
    return float(max(r.real for r in roots if abs(r.imag) < 1e-9))


def smoothness(M: float, kappa: float) -> tuple[float, float]:
    """(lambda, Lambda) of the preconditioned Hessian I + (I - Delta)^{-1} 3 kappa u^2 on the
    ball ||u||_inf <= M (self-adjoint in the H^1 inner product)."""
    return 1.0, 1.0 + 3.0 * kappa * M ** 2


def step_size(M: float, kappa: float) -> tuple[float, float]:
    """(eta, rho): eta = 2 / (lambda + Lambda), contraction in H^1 rho = (Lambda - lambda) /
    (Lambda + lambda)."""
    lam, Lam = smoothness(M, kappa)
    return 2.0 / (lam + Lam), (Lam - lam) / (Lam + lam)


def plain_step_size(tor: Torus, M: float, kappa: float) -> float:
    """Largest-rate stable step of un-preconditioned GD, 2 / (lambda_min + lambda_max), with
    lambda_min = 1, lambda_max = 1 + d K^2 + 3 kappa M^2 (the highest retained mode)."""
    lmax = 1.0 + float((-tor.lap * tor.mask).max()) + 3 * kappa * M ** 2
    return 2.0 / (lmax + 1.0)


def iterates(tor: Torus, f: torch.Tensor, kappa: float, eta: float, T: int,
             preconditioned: bool = True):
    """Generator of u_0 = 0, u_1, ..., u_T of (preconditioned) gradient descent on E (one
    field in memory at a time: d = 6 fields are 60 MB each)."""
    u = torch.zeros_like(f)
    yield u
    for _ in range(T):
        g = el_residual(tor, u, f, kappa)                         # DE(u_t)
        if preconditioned:
            g = tor.apply(g, tor.precond)                         # (I - Delta)^{-1} DE(u_t)
        u = u - eta * g                                           # u_{t+1} = u_t - eta (...)
        yield u


def pgd(tor: Torus, f: torch.Tensor, kappa: float, eta: float, T: int,
        preconditioned: bool = True) -> list[torch.Tensor]:
    """The list of iterates u_0 = 0, ..., u_T (small grids; see :func:`iterates`)."""
    return list(iterates(tor, f, kappa, eta, T, preconditioned))


def solve(tor: Torus, f: torch.Tensor, kappa: float, eta: float, tol: float = 1e-14,
          max_iter: int = 2000) -> torch.Tensor:
    """Reference solution u*: PGD iterated until the relative step falls below tol."""
    u = torch.zeros_like(f)
    for _ in range(max_iter):
        du = tor.apply(el_residual(tor, u, f, kappa), tor.precond)
        u = u - eta * du
        if float(du.abs().max()) * eta <= tol * max(float(u.abs().max()), 1e-300):
            break
    return u


def newton_reference(tor: Torus, f: torch.Tensor, kappa: float) -> torch.Tensor:
    """Independent reference: scipy's MINPACK hybrid Newton (``scipy.optimize.root``,
    ``hybr``) on the Galerkin system (I - Delta)u + kappa P(u^3) = P f, unknowns = the grid
    values of the band-limited field, with the exact dense Jacobian
    J v = (I - Delta)v + 3 kappa P(u^2 v). Meant for small grids (d <= 2)."""
    from scipy.optimize import root

    shape, N = tuple(f.shape), f.numel()
    require(N <= 5000, f"the dense Newton reference is for small grids, got {N} unknowns")

    def field(v):
        return tor.project(torch.as_tensor(v.reshape(shape), dtype=torch.float64,
                                           device=tor.device))

    def F(v):  # the discarded modes get the equation v - P v = 0, so J is invertible
        r = el_residual(tor, field(v), f, kappa).cpu().numpy().ravel()
        return r + v - field(v).cpu().numpy().ravel()

    eye = torch.eye(N, dtype=torch.float64, device=tor.device).reshape(N, *shape)

    def J(v):
        u2 = field(v) ** 2
        cols = [tor.apply(e, 1.0 - tor.lap) + 3 * kappa * tor.project(u2 * tor.project(e))
                + e - tor.project(e) for e in eye]
        return torch.stack(cols).reshape(N, N).T.cpu().numpy()

    sol = root(F, np.zeros(N), jac=J, method="hybr", tol=1e-15)
    return field(sol.x)


def linear_closed_form(tor: Torus, f: torch.Tensor) -> torch.Tensor:
    """kappa = 0: u_hat*(k) = f_hat(k) / (1 + ||k||^2)."""
    return tor.apply(f, tor.precond)


# --------------------------------------------------------------------------------------
# Diagnostics of a run
# --------------------------------------------------------------------------------------


def growth_bound(tor: Torus, u: torch.Tensor, f: torch.Tensor, kappa: float, eta: float
                 ) -> float:
    """Right-hand side of the per-step bound ||u_{t+1}||_B <= |1 - eta| ||u_t||_B +
    eta ||(I - Delta)^{-1}||_{A -> B} (||f||_A + kappa ||u_t||_A^3)."""
    with np.errstate(over="ignore", invalid="ignore"):   # inf / nan when an iteration diverges
        return float(abs(1 - eta) * tor.barron(u) + eta * PRECOND_B_NORM * (
            tor.wiener(f) + kappa * np.float64(tor.wiener(u)) ** 3))


def measured_rate(err: np.ndarray, t_burn: int, tol: float) -> float:
    """Worst one-step ratio e_{t+1}/e_t over t >= t_burn while e_t > tol * e_0."""
    e = np.asarray(err, dtype=float)
    if not np.all(np.isfinite(e)):
        return float("nan")
    ts = [t for t in range(t_burn, len(e) - 1) if e[t] > tol * e[0]]
    if not ts:
        raise ValueError("no iterations left to measure the rate; lower t_burn or tol")
    return float(max(e[t + 1] / e[t] for t in ts))


def _errors(tor: Torus, its, u_star) -> np.ndarray:
    """Relative H^1 errors of the iterates."""
    return np.array([tor.h1(u - u_star) for u in its]) / tor.h1(u_star)


def run_dimension(d: int, cfg: Config, seed: int, device=None) -> dict:
    """PGD in dimension d: errors, Barron norms of the iterates, the per-step growth bound."""
    t0 = time.process_time()
    tor = Torus(d, cfg.K, device)
    f = rhs(tor, cfg.A, seed)
    M = sup_bound(tor.wiener(f), cfg.kappa)
    eta, rho = step_size(M, cfg.kappa)
    u_star = solve(tor, f, cfg.kappa, eta)
    err, barron, bound, sup = [], [], [], 0.0
    h1_star = tor.h1(u_star)
    for t, u in enumerate(iterates(tor, f, cfg.kappa, eta, cfg.T)):
        err.append(tor.h1(u - u_star) / h1_star)
        barron.append(tor.barron(u))
        sup = float(np.max([sup, float(u.abs().max())]))       # NaN propagates
        if t < cfg.T:
            bound.append(growth_bound(tor, u, f, cfg.kappa, eta))
    err, barron, bound = np.array(err), np.array(barron), np.array(bound)
    lin = linear_closed_form(tor, f)
    return {
        "d": d, "tor": tor, "f": f, "u_star": u_star, "u_T": u, "M": M, "eta": eta,
        "rho": rho, "err": err, "barron": barron, "bound": bound,
        "barron_star": tor.barron(u_star), "barron_f": tor.barron(f),
        "wiener_star": tor.wiener(u_star), "barron_lin": tor.barron(lin),
        "sup_star": float(u_star.abs().max()),
        "sup_iter": sup,
        "active": tor.active(u_star), "active_f": tor.active(f), "dof": tor.dof,
        "points": tor.n ** d,
        "residual": tor.l2(el_residual(tor, u_star, f, cfg.kappa)) / tor.l2(f),
        "rate": measured_rate(err, cfg.t_burn, cfg.tol),
        "seconds": time.process_time() - t0,
    }


def resolution_sweep(d: int, Ks, cfg: Config, seed: int, device=None) -> dict:
    """PGD vs plain GD in dimension d at increasing resolution K (same f, same T): the
    preconditioned rate does not depend on K, the plain one tends to 1 like 1 - O(1/(d K^2))."""
    out = {"K": list(Ks), "rate_pgd": [], "rate_plain": [], "final_pgd": [],
           "final_plain": [], "err_pgd": [], "err_plain": []}
    for K in Ks:
        tor = Torus(d, K, device)
        f = rhs(tor, cfg.A, seed)
        M = sup_bound(tor.wiener(f), cfg.kappa)
        eta, _ = step_size(M, cfg.kappa)
        u_star = solve(tor, f, cfg.kappa, eta)
        for name, its in (("pgd", iterates(tor, f, cfg.kappa, eta, cfg.T)),
                          ("plain", iterates(tor, f, cfg.kappa,
                                             plain_step_size(tor, M, cfg.kappa), cfg.T,
                                             preconditioned=False))):
            e = _errors(tor, its, u_star)
            out[f"err_{name}"].append(e)
            out[f"final_{name}"].append(float(e[-1]))
            out[f"rate_{name}"].append(float(np.exp(np.log(e[-1] / e[cfg.t_burn])
                                                    / (cfg.T - cfg.t_burn)))
                                       if e[-1] > cfg.tol else measured_rate(
                                           e, cfg.t_burn, cfg.tol))
    return out


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    y = np.asarray(y, float)
    if not np.all(np.isfinite(y) & (y > 0)):
        return float("nan")
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(y), 1)[0])


# --------------------------------------------------------------------------------------
# Two-layer networks: Maurey sampling (Barron's construction) and trained tanh networks
# --------------------------------------------------------------------------------------


def cosine_atoms(tor: Torus, u: torch.Tensor, rel: float = 1e-14) -> dict:
    """u = sum_j alpha_j cos(k_j.x + phi_j), alpha_j > 0, one atom per pair {k, -k}
    (the zero mode is an atom with k = 0 and phase 0 or pi)."""
    c = tor.coef(u) * tor.mask
    k = tor.k.reshape(tor.d, -1).T.cpu().numpy().astype(int)
    cf = c.reshape(-1).cpu().numpy()
    keep = np.abs(cf) > rel * np.abs(cf).max()
    k, cf = k[keep], cf[keep]
    # one representative per pair {k, -k}: the first non-zero entry of k is positive
    first = k[np.arange(len(k)), np.argmax(k != 0, axis=1)]
    k, cf = k[first >= 0], cf[first >= 0]
    zero = (k == 0).all(1)
    alpha = np.where(zero, np.abs(cf.real), 2 * np.abs(cf))
    phase = np.where(zero, np.where(cf.real >= 0, 0.0, np.pi), np.angle(cf))
    return {"k": k, "alpha": alpha, "phase": phase, "S": float(alpha.sum())}


def maurey_errors(atoms: dict, widths, draws: int, rng: np.random.Generator,
                  shared: bool = False) -> np.ndarray:
    """Exact L2 errors (draws x widths) of width-n cosine networks whose units are sampled
    i.i.d. with probability alpha_j / S and outer weights S / n (Barron/Maurey). ``shared``
    (a sabotage): all n units copy one sampled unit, so the average never mixes."""
    alpha, S = atoms["alpha"], atoms["S"]
    p = alpha / S
    zero = (atoms["k"] == 0).all(1)
    out = np.empty((draws, len(widths)))
    for r in range(draws):
        for i, n in enumerate(widths):
            idx = rng.choice(len(p), size=1 if shared else n, p=p)
            counts = np.bincount(idx, minlength=len(p)) * (n if shared else 1)
            amp = S * counts / n                                   # sampled amplitudes
            # L2 norm^2 of sum_j (alpha_j - amp_j) cos(...): 1/2 per non-zero mode, 1 at k=0
            diff2 = (alpha - amp) ** 2
            out[r, i] = math.sqrt(float((diff2 * np.where(zero, 1.0, 0.5)).sum()))
    return out


def width_experiment(run: dict, cfg: Config, seed: int, shared: bool = False) -> dict:
    """Maurey errors vs width for the solution of one dimension, with the bound S / sqrt(n)."""
    atoms = cosine_atoms(run["tor"], run["u_star"])
    rng = np.random.default_rng([seed, run["d"], 7])
    errs = maurey_errors(atoms, cfg.widths, cfg.draws, rng, shared=shared)
    rel = errs / run["tor"].l2(run["u_star"])
    mean = rel.mean(0)
    return {"widths": np.array(cfg.widths), "rel": rel, "mean": mean, "S": atoms["S"],
            "bound": atoms["S"] / np.sqrt(np.array(cfg.widths)) / run["tor"].l2(run["u_star"]),
            "atoms": len(atoms["alpha"]),
            "ratio": float(mean[-1] / mean[0]), "slope": loglog_slope(cfg.widths, mean)}


def sample_solution(run: dict, n_points: int, seed: int, device=None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniform points on [0, 2 pi)^d and the exact values of the band-limited solution there."""
    tor = run["tor"]
    dev = tor.device if device is None else torch.device(device)
    g = torch.Generator().manual_seed(seed)
    x = (TWO_PI * torch.rand(n_points, tor.d, generator=g, dtype=torch.float64)).to(tor.device)
    c = (tor.coef(run["u_star"]) * tor.mask).reshape(-1)
    k = tor.k.reshape(tor.d, -1).T
    keep = c.abs() > 1e-14 * c.abs().max()
    c, k = c[keep], k[keep]
    chunk = max(1, 2 ** 22 // len(c))                     # (points x modes) blocks of 4M
    y = torch.cat([(torch.cos(xb @ k.T) * c.real - torch.sin(xb @ k.T) * c.imag).sum(1)
                   for xb in x.split(chunk)])
    return x.float().to(dev), y.float().to(dev)


def train_tanh(x: torch.Tensor, y: torch.Tensor, xt: torch.Tensor, yt: torch.Tensor, width: int,
               steps: int, lr: float, seed: int) -> float:
    """Width-n tanh two-layer network sum_j a_j tanh(w_j.x + b_j) + c trained by full-batch
    Adam on the squared error; returns the relative L2 test error."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], width), torch.nn.Tanh(),
                              torch.nn.Linear(width, 1)).to(x.device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = ((net(x).squeeze(1) - y) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        return float(torch.linalg.norm(net(xt).squeeze(1) - yt) / torch.linalg.norm(yt))
