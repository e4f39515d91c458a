r"""Yuan, Wang & Yu (2025), *Fréchet Cumulative Covariance Net for Deep Nonlinear Sufficient
Dimension Reduction with Random Objects* (arXiv:2502.15374).

What is implemented (no official code was found; the estimator is written from the paper's
description, the definition of FCCov reconstructed from it and from the cumulative covariance of
Zhu, Zhu & Feng and the ball covariance of Pan et al., on which it builds)
-----------------------------------------------------------------------------------------------

**Setting.** Predictor :math:`X\in\mathbb R^p`, response :math:`Y` in a metric space
:math:`(\Omega_Y, d)` (a number with heavy-tailed noise, a point on the sphere, a distribution).
Nonlinear sufficient dimension reduction looks for :math:`f:\mathbb R^p\to\mathbb R^r` with
:math:`Y \perp X \mid f(X)`.

**Fréchet cumulative covariance (FCCov).** With the indicator of the closed metric ball centred
at :math:`y'` passing through :math:`y''`,
:math:`\delta(Y; y', y'') = 1\{d(Y, y') \le d(y'', y')\}`, and :math:`Y', Y''` independent
copies of :math:`Y`,

.. math:: \mathrm{FCCov}(f(X), Y) = E_{Y',Y''}\,\big\Vert \mathrm{Cov}\{f(X),
          \delta(Y; Y', Y'')\}\big\Vert^2 .

It only uses the metric through comparisons of distances, so it is invariant under any strictly
increasing transformation of :math:`d` and bounded in :math:`Y` (robust to outliers). The
sample version, with :math:`w_i = f(x_i)` and :math:`\bar w` their mean, is

.. math:: \mathrm{FCCov}_n = \frac1{n^2}\sum_{j,k}\Big\Vert \frac1n\sum_i (w_i-\bar w)\,
          1\{d(y_i,y_j)\le d(y_k,y_j)\}\Big\Vert^2

(:func:`fccov_naive`, :math:`O(n^3)`). The :math:`O(n^2\log n)` algorithm (:class:`BallIndex`,
:func:`fccov`): for each centre :math:`j` sort the distances :math:`d(\cdot, y_j)`; the ball
through :math:`y_k` holds exactly the points up to the last one tied with :math:`y_k`, so one
cumulative sum of the :math:`w_i-\bar w` in sorted order gives every :math:`k` at once. The
sort depends on :math:`Y` only, so it is done once and each evaluation costs :math:`O(n^2 r)`.
For training we use an equivalent form (ours, :func:`ball_kernel`, :func:`fccov_quadratic`):
the indicators do not depend on :math:`w`, so :math:`\mathrm{FCCov}_n = \mathrm{tr}(w^\top
\tilde K w)` with a fixed *ball kernel* built once (:math:`O(n^3)`, vectorised); a step is then
one :math:`n\times n` product (≈ 0.4 ms instead of ≈ 30 ms at n = 600 on one CPU thread). All
three forms agree to rounding (tests and the chapter's sanity checks).

**Estimator (FCCov-Net).** :math:`f_\theta` is a feed-forward network (``tanh``, two hidden
layers) with :math:`r` outputs, the structural dimension, trained full-batch with Adam (early
stopping: the objective evaluated on held-out training pairs; our choice, the paper's tuning
protocol was not available) on

.. math:: L(\theta) = -\mathrm{FCCov}_n(f_\theta(X), Y)
          + \lambda\,\big\Vert \widehat{\mathrm{Cov}}(f_\theta(X)) - I_r\big\Vert_F^2 ,

the squared-Frobenius-penalised version for which the paper proves unbiasedness at the
:math:`\sigma`-field level (the penalty replaces the constraint :math:`\mathrm{Var} f(X)=I_r`).
:math:`\lambda` is relative to :math:`\mathrm{FCCov}_n`, which is :math:`O(10^{-2})` for a
standardised :math:`f`; we use :math:`\lambda = 0.1` (equivalently, the loss
:math:`-100\,\mathrm{FCCov}_n + 10\Vert\cdot\Vert_F^2`).

**Evaluation** (the paper's simulations): distance correlation between the learned
:math:`\hat f(X)` and the true sufficient predictor :math:`h(X)` on held-out data (invariant to
the invertible re-parametrisations :math:`\hat f` is identified up to).

**Baselines.** *Linear SIR* (Li, 1991; slices of the first coordinate of an embedding of
:math:`Y`, :func:`sir_directions`): linear directions only. *Regression net*: the same network
followed by a linear head, trained by least squares on a Euclidean embedding of :math:`Y` (the
response itself; the sphere's ambient coordinates; the :math:`(\mu,\sigma)` pair of a Gaussian
distribution); its :math:`r`-dimensional bottleneck is the reduction — what a Euclidean-mean
(Fréchet-mean) target gives.

**Simulation models** (planted central subspace, :math:`X\sim N(0, I_p)`,
:math:`h_1(X) = X_1^2 + \sin(\pi X_2/2)\,X_3`, symmetric in :math:`X_1`):
M1, heavy-tailed Euclidean: :math:`Y = h_1(X) + 0.3\,\varepsilon`, :math:`\varepsilon` Cauchy;
M2, sphere: :math:`\theta = \pi\,\mathrm{sigmoid}(h_1 - 1)`, :math:`\phi = X_4`,
:math:`Y` = normalised
:math:`(\cos\theta, \sin\theta\cos\phi, \sin\theta\sin\phi) + 0.05 N(0, I_3)`,
geodesic metric; M3, distributions: :math:`Y = N(h_1(X), (0.5+0.4|X_4|)^2)`, 2-Wasserstein
metric (closed form for Gaussians); M4, M3 with gross outliers: the mean of 10 % of the
distributions is moved by :math:`10\,\varepsilon`, :math:`\varepsilon` Cauchy. Structural
dimensions 1, 2, 2, 2.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..core import ProfileConfig, Profiles, require

# --------------------------------------------------------------------------------------
# Paper facts (the paper's tables were not available offline: statements, not numbers)
# --------------------------------------------------------------------------------------

#: Cost of the sample FCCov with the sorting algorithm vs the direct triple sum.
PAPER_COMPLEXITY = "O(n^2 log n) instead of O(n^3)"
MODELS = ("M1", "M2", "M3", "M4")
METHODS = ("FCCov-Net", "regression net", "linear SIR")
#: structural dimension r of each simulation model
STRUCT_DIM = {"M1": 1, "M2": 2, "M3": 2, "M4": 2}
#: M4: fraction of gross outliers among the distribution-valued responses, and their scale
OUTLIER_FRACTION, OUTLIER_SCALE = 0.1, 10.0

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    n_train: int = 600
    n_test: int = 600
    p: int = 10                 # predictor dimension
    hidden: int = 64            # width of the two tanh hidden layers
    n_val: int = 150            # of the n_train pairs, held out for early stopping
    steps: int = 1000           # full-batch Adam steps (FCCov-Net and regression net)
    eval_every: int = 10        # validation of the objective, for early stopping
    lr: float = 3e-3
    lam: float = 0.1            # λ of the Frobenius penalty, relative to FCCov_n
    reps: int = 1               # replicates per model (seeds seed, seed+1, ...)
    heavy_reps: int = 3         # replicates of the heavy-tailed model M1 (at least reps)
    n_slices: int = 10          # linear SIR
    n_perm: int = 200           # permutation test of FCCov_n(h(X), Y)
    n_naive: int = 60           # size of the naive-vs-fast oracle

    def check(self) -> None:
        require(self.n_train >= 20 and self.n_test >= 20, "n_train and n_test must be >= 20")
        require(10 <= self.n_val <= self.n_train // 2, "n_val must be in [10, n_train/2]")
        require(1 <= self.eval_every <= self.steps, "eval_every must be in [1, steps]")
        require(self.p >= 4, "p must be >= 4 (the models use X1..X4)")
        require(min(self.hidden, self.steps, self.reps, self.heavy_reps, self.n_perm) >= 1,
                "hidden, steps, reps, heavy_reps and n_perm must be >= 1")
        require(2 <= self.n_slices <= self.n_train // 5, "n_slices must be in [2, n_train/5]")
        require(self.lr > 0 and self.lam > 0, "lr and lam must be > 0")
        require(5 <= self.n_naive <= 200, "n_naive must be in [5, 200]")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(n_train=3000, n_test=2000, n_val=500, hidden=128, steps=3000, reps=10,
                n_perm=500),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from timings on this 2-core machine at 1 thread (ci, float64, n = 600): the
    ball kernel of a data set costs ≈ 1 s (∝ n³), one Adam step of FCCov-Net ≈ 2 ms and of the
    regression net ≈ 0.5 ms (∝ n·hidden), dcor of three methods on the test set ≈ 0.12 s
    (∝ n_test²); M1 runs ``max(reps, heavy_reps)`` replicates. The permutation test costs one
    kernel and ``n_perm`` n × n products; oracles, timing figure and imports ≈ 4 s.
    Full: the same on a GPU, where a step costs ≈ 1.5 ms whatever n ≤ 3000 (launch-bound) and a
    kernel ≈ 0.05 s per 10⁹ min-operations."""
    n = cfg.n_train
    reps = (len(MODELS) - 1) * cfg.reps + max(cfg.reps, cfg.heavy_reps)
    if n <= 1000:  # ci, CPU
        kernel = 1.0 * (n / 600) ** 3
        steps = cfg.steps * (2.5e-3 * (n / 600) * (cfg.hidden / 64))
        perm = kernel + cfg.n_perm * 4e-4 * (n / 600) ** 2
    else:  # full, GPU
        kernel = 0.05 * n ** 3 / 1e9 + 0.1
        steps = cfg.steps * 3e-3
        perm = kernel + cfg.n_perm * 2e-3
    fit = kernel + steps + 0.12 * (cfg.n_test / 600) ** 2
    return reps * fit + perm + 4.0


# --------------------------------------------------------------------------------------
# Simulation models and metrics
# --------------------------------------------------------------------------------------


def h1(X: np.ndarray) -> np.ndarray:
    """The planted nonlinear predictor :math:`X_1^2 + \\sin(\\pi X_2/2) X_3`."""
    return X[:, 0] ** 2 + np.sin(np.pi * X[:, 1] / 2) * X[:, 2]


@dataclass
class Sample:
    """One simulated data set: predictors, response (as an array), the true sufficient
    predictor ``h`` (n × r) and the Euclidean embedding ``emb`` the baselines regress on."""

    model: str
    X: np.ndarray
    Y: np.ndarray
    h: np.ndarray
    emb: np.ndarray


def simulate(model: str, n: int, p: int, rng: np.random.Generator) -> Sample:
    """Draw ``n`` pairs from M1 (Cauchy noise), M2 (sphere), M3 (Gaussian distributions) or
    M4 (M3 with gross outliers)."""
    X = rng.standard_normal((n, p))
    h = h1(X)
    if model == "M1":
        Y = h + 0.3 * rng.standard_cauchy(n)
        return Sample(model, X, Y[:, None], h[:, None], Y[:, None])
    if model == "M2":
        theta = np.pi / (1 + np.exp(-(h - 1)))
        phi = X[:, 3]
        Z = np.stack([np.cos(theta), np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi)], 1)
        Z = Z + 0.05 * rng.standard_normal(Z.shape)
        Y = Z / np.linalg.norm(Z, axis=1, keepdims=True)
        return Sample(model, X, Y, np.stack([h, X[:, 3]], 1), Y)
    if model in ("M3", "M4"):
        mu = h.copy()
        if model == "M4":  # gross outliers: the mean of 10 % of the distributions moved far away
            out = rng.random(n) < OUTLIER_FRACTION
            mu[out] += OUTLIER_SCALE * rng.standard_cauchy(int(out.sum()))
        Y = np.stack([mu, 0.5 + 0.4 * np.abs(X[:, 3])], 1)  # (μ, σ) of N(μ, σ²)
        return Sample(model, X, Y, np.stack([h, np.abs(X[:, 3])], 1), Y)
    raise ValueError(f"unknown model {model!r}; choose one of {MODELS}")


def distances(model: str, Y: np.ndarray) -> np.ndarray:
    """The response metric: |·| (M1), geodesic arccos⟨y, y'⟩ on the sphere (M2), 2-Wasserstein
    between Gaussians, :math:`W_2^2 = (\\mu-\\mu')^2 + (\\sigma-\\sigma')^2` (M3, M4)."""
    Y = np.asarray(Y, dtype=np.float64)
    if model == "M2":
        return np.arccos(np.clip(Y @ Y.T, -1.0, 1.0))
    if model in ("M1", "M3", "M4"):
        return np.sqrt(((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1))
    raise ValueError(f"unknown model {model!r}; choose one of {MODELS}")


def w2_gaussian(mu1, s1, mu2, s2):
    """Closed-form 2-Wasserstein distance between N(mu1, s1²) and N(mu2, s2²)."""
    return np.sqrt((np.asarray(mu1) - mu2) ** 2 + (np.asarray(s1) - s2) ** 2)


def dcor(a: np.ndarray, b: np.ndarray) -> float:
    """Sample distance correlation of Székely, Rizzo & Bakirov (V-statistic, double-centred)."""
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    if len(a) != len(b):
        raise ValueError(f"samples differ in size: {len(a)} vs {len(b)}")

    def centred(z):
        D = np.sqrt(np.maximum(((z[:, None, :] - z[None, :, :]) ** 2).sum(-1), 0.0))
        return D - D.mean(0) - D.mean(1)[:, None] + D.mean()

    A, B = centred(a), centred(b)
    vab, vaa, vbb = (A * B).mean(), (A * A).mean(), (B * B).mean()
    if vaa <= 0 or vbb <= 0:
        return 0.0
    return float(np.sqrt(max(vab, 0.0) / np.sqrt(vaa * vbb)))


# --------------------------------------------------------------------------------------
# FCCov: naive and sorted
# --------------------------------------------------------------------------------------


def fccov_naive(w: np.ndarray, D: np.ndarray) -> float:
    """The direct triple sum (definition above), :math:`O(n^3)`; ``D`` = response distances."""
    w = np.asarray(w, np.float64).reshape(len(D), -1)
    wc = w - w.mean(0)
    n = len(D)
    total = 0.0
    for j in range(n):
        # A[k, i] = 1{d(y_i, y_j) ≤ d(y_k, y_j)}, Eq. (2)
        A = (D[j][None, :] <= D[j][:, None]).astype(np.float64)
        M = A @ wc / n                                            # (1/n) Σ_i (w_i − w̄) δ_i
        total += (M ** 2).sum()                                   # Σ_k ‖·‖²
    return float(total / n ** 2)


class BallIndex:
    """The sort of each row of the response distances, done once: for centre ``j``, ``order[j]``
    sorts :math:`d(\\cdot, y_j)` and ``last[j, k]`` is the position (in that order) of the last
    point with :math:`d(y_i, y_j) \\le d(y_k, y_j)` (ties included)."""

    def __init__(self, D: np.ndarray | torch.Tensor, device="cpu"):
        D = torch.as_tensor(np.asarray(D, np.float64) if not torch.is_tensor(D) else D,
                            dtype=torch.float64, device=device)
        if D.dim() != 2 or D.shape[0] != D.shape[1]:
            raise ValueError(f"expected a square distance matrix, got {tuple(D.shape)}")
        Ds, self.order = torch.sort(D, dim=1)
        self.last = torch.searchsorted(Ds.contiguous(), D.contiguous(), right=True) - 1
        self.n = D.shape[0]


def fccov(w: torch.Tensor, index: BallIndex) -> torch.Tensor:
    """Sample FCCov_n with the sorted algorithm (differentiable in ``w``, shape n × r)."""
    if w.dim() == 1:
        w = w[:, None]
    n = index.n
    if w.shape[0] != n:
        raise ValueError(f"w has {w.shape[0]} rows, the responses {n}")
    wc = w - w.mean(0)
    S = torch.cumsum(wc[index.order], dim=1)                 # S[j, m] = Σ of the m+1 nearest to y_j
    M = torch.gather(S, 1, index.last[:, :, None].expand(-1, -1, w.shape[1])) / n
    return (M ** 2).sum() / n ** 2                           # (1/n²) Σ_{j,k} ‖(1/n) Σ_i …‖²


def ball_kernel(D: np.ndarray | torch.Tensor, device="cpu", chunk: int = 16) -> torch.Tensor:
    r"""FCCov_n as a quadratic form: the indicators do not depend on w, so
    :math:`\mathrm{FCCov}_n = \mathrm{tr}(w^\top \tilde K w)` with
    :math:`\tilde K = H K H / n^4`, :math:`H = I - 11^\top/n` and the *ball kernel*
    :math:`K_{ii'} = \#\{(j,k): d(y_i,y_j) \le d(y_k,y_j),\
    d(y_{i'},y_j) \le d(y_k,y_j)\} = \sum_j \min(c_j(i), c_j(i'))`
    with :math:`c_j(i) = \#\{k: d(y_k,y_j) \ge d(y_i,y_j)\}`.
    Built once per data set (:math:`O(n^3)`, vectorised); each training step then costs one
    n × n product instead of a gather over n² entries."""
    D = torch.as_tensor(np.asarray(D, np.float64) if not torch.is_tensor(D) else D,
                        dtype=torch.float64, device=device)
    n = D.shape[0]
    Ds, _ = torch.sort(D, dim=1)
    c = n - torch.searchsorted(Ds.contiguous(), D.contiguous(), right=False)  # c_j(i)
    c = c.to(torch.float64)
    K = torch.zeros(n, n, dtype=torch.float64, device=device)
    for j0 in range(0, n, chunk):
        cj = c[j0:j0 + chunk]
        K += torch.minimum(cj[:, :, None], cj[:, None, :]).sum(0)
    K = K - K.mean(0, keepdim=True)
    K = K - K.mean(1, keepdim=True)                          # H K H
    return K / n ** 4


def fccov_quadratic(w: torch.Tensor, Kt: torch.Tensor) -> torch.Tensor:
    """FCCov_n = tr(wᵀ K̃ w) with the centred, scaled ball kernel of :func:`ball_kernel`."""
    if w.dim() == 1:
        w = w[:, None]
    return (w * (Kt @ w)).sum()


def permutation_test(w: np.ndarray, D: np.ndarray, n_perm: int, rng: np.random.Generator
                     ) -> tuple[float, np.ndarray]:
    """FCCov_n(w, Y) and its permutation distribution (``w`` permuted against ``Y``)."""
    Kt = ball_kernel(D)
    wt = torch.as_tensor(np.asarray(w, np.float64).reshape(len(D), -1))
    stat = float(fccov_quadratic(wt, Kt))
    null = np.array([float(fccov_quadratic(wt[rng.permutation(len(D))], Kt))
                     for _ in range(n_perm)])
    return stat, null


# --------------------------------------------------------------------------------------
# FCCov-Net and baselines
# --------------------------------------------------------------------------------------


def mlp(p: int, hidden: int, r: int) -> nn.Sequential:
    """f_θ: p → hidden → hidden → r, tanh."""
    return nn.Sequential(nn.Linear(p, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, r)).double()


def cov_penalty(w: torch.Tensor) -> torch.Tensor:
    """:math:`\\Vert\\widehat{\\mathrm{Cov}}(w) - I_r\\Vert_F^2`."""
    wc = w - w.mean(0)
    C = wc.T @ wc / (len(w) - 1)
    return ((C - torch.eye(w.shape[1], dtype=w.dtype, device=w.device)) ** 2).sum()


def standardise(X: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return (X - ref.mean(0)) / ref.std(0)


def _best_state(net: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def train_fccov_net(X: np.ndarray, D: np.ndarray, r: int, cfg: Config, *, seed: int,
                    device="cpu", X_val: np.ndarray | None = None,
                    D_val: np.ndarray | None = None) -> tuple[nn.Module, dict]:
    """FCCov-Net: minimise :math:`-\\mathrm{FCCov}_n + \\lambda\\Vert\\widehat{\\mathrm{Cov}}
    - I\\Vert_F^2` full-batch with Adam. With a validation set (``X_val``, its response
    distances ``D_val``), the same objective is evaluated on it every ``cfg.eval_every`` steps and
    the network with the best validation value is returned (early stopping; uses observed data
    only). Returns the network and its history."""
    torch.manual_seed(seed)
    net = mlp(X.shape[1], cfg.hidden, r).to(device)
    Kt = ball_kernel(D, device=device)
    x = torch.as_tensor(X, dtype=torch.float64, device=device)
    val = X_val is not None
    if val:
        Kv = ball_kernel(D_val, device=device)
        xv = torch.as_tensor(X_val, dtype=torch.float64, device=device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    hist = {"fccov": [], "penalty": [], "val": [], "val_step": []}
    best, best_state, best_step = -math.inf, None, 0
    for t in range(cfg.steps):
        w = net(x)
        fc, pen = fccov_quadratic(w, Kt), cov_penalty(w)
        loss = -fc + cfg.lam * pen                      # L(θ), Eq. (3)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist["fccov"].append(fc.item())
        hist["penalty"].append(pen.item())
        if val and ((t + 1) % cfg.eval_every == 0 or t + 1 == cfg.steps):
            with torch.no_grad():
                wv = net(xv)
                score = (fccov_quadratic(wv, Kv) - cfg.lam * cov_penalty(wv)).item()
            hist["val"].append(score)
            hist["val_step"].append(t + 1)
            if score > best:
                best, best_state, best_step = score, _best_state(net), t + 1
    if best_state is not None:
        net.load_state_dict(best_state)
    hist["best_step"] = best_step if val else cfg.steps
    return net, hist


class RegressionNet(nn.Module):
    """The same MLP as FCCov-Net up to an r-dim bottleneck, then a linear head to the response
    embedding; trained by least squares (a Euclidean-mean target)."""

    def __init__(self, p: int, hidden: int, r: int, q: int):
        super().__init__()
        self.body = mlp(p, hidden, r)
        self.head = nn.Linear(r, q).double()

    def forward(self, x):
        return self.head(self.body(x))


def train_regression_net(X: np.ndarray, E: np.ndarray, r: int, cfg: Config, *, seed: int,
                         device="cpu", X_val: np.ndarray | None = None,
                         E_val: np.ndarray | None = None) -> nn.Module:
    """Least squares of the (standardised) embedding ``E`` on X through an r-dim bottleneck,
    with the same optimiser, steps and early stopping (validation mean squared error) as
    FCCov-Net; returns the bottleneck network."""
    torch.manual_seed(seed)
    net = RegressionNet(X.shape[1], cfg.hidden, r, E.shape[1]).to(device)
    mu, sd = E.mean(0), E.std(0)
    x = torch.as_tensor(X, dtype=torch.float64, device=device)
    e = torch.as_tensor((E - mu) / sd, dtype=torch.float64, device=device)
    val = X_val is not None
    if val:
        xv = torch.as_tensor(X_val, dtype=torch.float64, device=device)
        ev = torch.as_tensor((E_val - mu) / sd, dtype=torch.float64, device=device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    best, best_state = math.inf, None
    for t in range(cfg.steps):
        loss = ((net(x) - e) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if val and ((t + 1) % cfg.eval_every == 0 or t + 1 == cfg.steps):
            with torch.no_grad():
                score = ((net(xv) - ev) ** 2).mean().item()
            if score < best:
                best, best_state = score, _best_state(net)
    if best_state is not None:
        net.load_state_dict(best_state)
    return net.body


def sir_directions(X: np.ndarray, y: np.ndarray, r: int, n_slices: int = 10) -> np.ndarray:
    """Linear SIR (Li, 1991): the top-r eigenvectors of Cov(E[Z | slice of y]) for the whitened
    Z, mapped back to X; returns p × r directions."""
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64).ravel()
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows, y {len(y)}")
    mu = X.mean(0)
    S = np.cov(X.T)
    evals, evecs = np.linalg.eigh(S)
    W = evecs @ np.diag(evals ** -0.5) @ evecs.T           # Σ^{-1/2}
    Z = (X - mu) @ W
    slices = np.array_split(np.argsort(y, kind="stable"), n_slices)
    M = sum(len(s) / len(y) * np.outer(Z[s].mean(0), Z[s].mean(0)) for s in slices)
    _, v = np.linalg.eigh(M)
    return W @ v[:, ::-1][:, :r]


# --------------------------------------------------------------------------------------
# The experiment
# --------------------------------------------------------------------------------------


def reduce_all(model: str, cfg: Config, *, seed: int, device="cpu", shuffle: bool = False
               ) -> dict:
    """One replicate of one model: train/test samples, every method fitted on train, evaluated
    on test by dcor(f̂(X), h(X)). ``shuffle`` pairs the training responses with the wrong X
    (a check that the recovery comes from the X–Y link)."""
    rng = np.random.default_rng(seed * 1000 + MODELS.index(model))
    tr = simulate(model, cfg.n_train, cfg.p, rng)
    te = simulate(model, cfg.n_test, cfg.p, rng)
    if shuffle:
        pi = rng.permutation(cfg.n_train)
        tr = Sample(model, tr.X, tr.Y[pi], tr.h, tr.emb[pi])
    r = STRUCT_DIM[model]
    Xtr, Xte = standardise(tr.X, tr.X), standardise(te.X, tr.X)
    xte = torch.as_tensor(Xte, dtype=torch.float64, device=device)
    fit = slice(0, cfg.n_train - cfg.n_val)  # the last n_val training pairs: early stopping
    va = slice(cfg.n_train - cfg.n_val, cfg.n_train)
    out: dict = {"model": model, "h_test": te.h}
    t0 = time.perf_counter()
    net, hist = train_fccov_net(Xtr[fit], distances(model, tr.Y[fit]), r, cfg, seed=seed,
                                device=device, X_val=Xtr[va], D_val=distances(model, tr.Y[va]))
    with torch.no_grad():
        f_te = net(xte).cpu().numpy()
        f_tr = net(torch.as_tensor(Xtr, dtype=torch.float64, device=device)).cpu().numpy()
    out["seconds_fccov"] = time.perf_counter() - t0
    out["hist"] = hist
    out["f"] = {"FCCov-Net": f_te}
    out["cov_f"] = np.atleast_2d(np.cov(f_tr.T))
    t0 = time.perf_counter()
    body = train_regression_net(Xtr[fit], tr.emb[fit], r, cfg, seed=seed, device=device,
                                X_val=Xtr[va], E_val=tr.emb[va])
    with torch.no_grad():
        out["f"]["regression net"] = body(xte).cpu().numpy()
    out["seconds_reg"] = time.perf_counter() - t0
    B = sir_directions(Xtr, tr.emb[:, 0], r, cfg.n_slices)
    out["f"]["linear SIR"] = Xte @ B
    out["dcor"] = {m: dcor(out["f"][m], te.h) for m in METHODS}
    return out


def run_experiment(cfg: Config, *, seed: int, device="cpu", models=MODELS,
                   shuffle: bool = False) -> dict:
    """``cfg.reps`` replicates (seeds ``seed``, ``seed+1``, …) of every model
    (``max(reps, heavy_reps)`` of M1, whose least-squares baseline swings with where the few
    extreme Cauchy responses fall); returns ``{"runs": {model: [replicates]},
    "dcor": {model: {method: mean}}}``."""
    def n_reps(m):
        return max(cfg.reps, cfg.heavy_reps) if m == "M1" else cfg.reps

    runs = {m: [reduce_all(m, cfg, seed=seed + k, device=device, shuffle=shuffle)
                for k in range(n_reps(m))] for m in models}
    mean = {m: {meth: float(np.mean([rr["dcor"][meth] for rr in runs[m]])) for meth in METHODS}
            for m in models}
    return {"runs": runs, "dcor": mean}


def oracle_checks(cfg: Config, seed: int = 0) -> dict:
    """Exact checks of FCCov_n on small samples: sorted vs naive (continuous M2 responses and a
    discrete response with many ties), invariance under d ↦ exp(d) − 1, W₂ closed form vs POT-free
    quantile integral."""
    rng = np.random.default_rng(seed)
    s = simulate("M2", cfg.n_naive, cfg.p, rng)
    D = distances("M2", s.Y)
    w = rng.standard_normal((cfg.n_naive, 2))
    fast = float(fccov(torch.as_tensor(w), BallIndex(D)))
    naive = fccov_naive(w, D)
    yd = rng.integers(0, 4, size=(cfg.n_naive, 1)).astype(float)  # ties
    Dd = distances("M1", yd)
    err_ties = abs(float(fccov(torch.as_tensor(w), BallIndex(Dd))) - fccov_naive(w, Dd))
    inv = abs(float(fccov(torch.as_tensor(w), BallIndex(np.expm1(D)))) - fast)
    # W2 between 1-D Gaussians = L2 distance of their quantile functions (numerical integral)
    u = (np.arange(20000) + 0.5) / 20000
    from scipy.stats import norm

    q1, q2 = norm.ppf(u, 0.3, 0.7), norm.ppf(u, -0.5, 1.2)
    w2_num = math.sqrt(np.mean((q1 - q2) ** 2))
    return {"naive": naive, "fast": fast, "err": abs(fast - naive), "err_ties": err_ties,
            "invariance": inv, "w2_closed": float(w2_gaussian(0.3, 0.7, -0.5, 1.2)),
            "w2_numeric": w2_num}


def timing_naive_vs_fast(sizes=(50, 100, 200), seed: int = 0) -> dict:
    """Seconds of the naive triple sum and the sorted algorithm (sort included) at each n."""
    rng = np.random.default_rng(seed)
    out = {"n": list(sizes), "naive": [], "fast": []}
    for n in sizes:
        y = rng.standard_normal((n, 1))
        D = distances("M1", y)
        w = rng.standard_normal((n, 1))
        t0 = time.perf_counter()
        fccov_naive(w, D)
        out["naive"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        float(fccov(torch.as_tensor(w), BallIndex(D)))
        out["fast"].append(time.perf_counter() - t0)
    return out
