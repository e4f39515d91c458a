"""Generalized teacher forcing (Hess, Monfared, Brenner & Durstewitz, ICML 2023).

Shallow PLRNN (official ``shallowPLRNN`` / ``clippedShallowPLRNN``), M latent, L hidden units:

    z_t = A z_{t-1} + W1 ReLU(W2 z_{t-1} + h2) + h1,                       A = diag(a)   (plain)
    z_t = A z_{t-1} + W1 [ReLU(W2 z_{t-1} + h2) - ReLU(W2 z_{t-1})] + h1               (clipped)
    J(z) = diag(a) + W1 diag(1[W2 z > -h2] - 1[W2 z > 0]) W2     (clipped; plain: first term only)

Generalized teacher forcing (official ``GTFRecur`` + ``force(z, z̄, α)``), identity observation
model (N = M, forcing signal ẑ_t = x_t): z_1 = x_1; for t = 2..T̃

    z_t = F_θ(z̃_{t-1})  (recorded; the loss is on it),     z̃_t = (1 - α) z_t + α ẑ_t,

so ∂z̃_T/∂z̃_t = Π_{k=t+1}^{T} (1 - α) J(z̃_{k-1}); α = 0 is free running (plain BPTT), α = 1
classical teacher forcing. If (1 - α) ‖J‖ ≤ 1 along the sequence, the Jacobian products and
hence the loss gradients stay bounded for every T (paper's Theorem). Choice of α (official
``compute_α_product_upper_bound`` + ``opt_α``): G = max over the batch of the geometric mean of
‖J(ẑ_t)‖_2 along each forcing sequence, α_est = max(0, 1 - 1/G); adaptive GTF every k batches:
α ← α_est if α_est > α else γ α + (1 - γ) α_est, starting from α = 1.

Initialisation (official): a = diag(K)/λ_max(K), K = RᵀR/M + I, R ~ N(0,1); W1 ~ U(±1/√L),
W2 ~ U(±1/√M); h1 = 0; h2 = 0 (plain) or U(±1/√L) (clipped). Official loss: MSE of the recorded
z_t vs x_t plus λ_lat (‖1-a‖² + ‖W1‖² + ‖W2‖² + ‖h1‖² + ‖h2‖²), RAdam for 250 000 steps.

Lorenz-63 reconstruction here (a CPU-sized substitute for the long RAdam run, not the paper's
optimiser): a random clipped hidden layer (W2, h2) kept fixed, (a, W1, h1) warm-started by ridge
regression (the exact one-step teacher-forcing solution), then the GTF loss is minimised in
(a, W1, h1) with its exact gradient (through the forced recursion) preconditioned by the
Gauss-Newton matrix FᵀF + ridge·I of the regressors F at the forced states, with a backtracking
line search, while α is annealed geometrically over stages; the stage whose free runs have the
lowest D_stsp on held-out validation orbits is kept (for every variant alike).

Models are *ensembles* of K independent networks (parameters with a leading K axis) so that
several training variants (aGTF, plain BPTT, TF) run in one batched loop; member k's
gradients and RAdam updates depend on member k only, so this equals K separate runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..core import ProfileConfig, Profiles, progress, require
from ..data import dynamics, dynamics_metrics

F64 = torch.float64


# ------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config(ProfileConfig):
    # Part A: gradients on the RK4-Lorenz map F_θ (perfect chaotic model), θ = (σ, ρ, β)
    grad_T: tuple = (25, 50, 100, 200, 400, 800)
    grad_batch: int = 8
    grad_delta: float = 0.05
    # Part B: Lorenz-63 data (dysts parameters), Δt = 0.01, z-scored; n_orbits independent
    # orbits each for training (noisy), validation (noisy), test and the noise floor (clean)
    dt: float = 0.01
    n_orbits: int = 10
    orbit_len: int = 2000
    transient: int = 2000
    obs_noise: float = 0.05
    # shPLRNN (clipped, M = N = 3, identity observation) with a ridge warm start
    M: int = 3
    L: int = 200
    feature_scale: float = 1.0
    ridge: float = 1e-2
    # GTF training: windows of seq_len steps, stages of `iters` preconditioned steps
    seq_len: int = 50
    stages: int = 8
    iters: int = 2
    alpha_start: float = 0.9
    alpha_end: float = 0.15
    variants: tuple = ("gtf", 1.0)
    # independent random hidden layers (W2, h2); every variant keeps the draw whose selected
    # checkpoint has the lowest validation D_stsp (draw 0 is the generator of seed 10 000 + seed)
    hidden_draws: int = 2
    gen_transient: int = 500
    n_bins: int = 30
    psd_smoothing: float = 20.0
    lyap_steps: int = 5000
    # starts of the Lyapunov runs: every test orbit's first state (the free runs' starts);
    # λ_max is the median over them (see median_exponent; four starts and a mean until Dec. 2026)
    lyap_batch: int = 10

    def check(self) -> None:
        require(len(self.grad_T) >= 2 and min(self.grad_T) >= 2, "grad_T: >= 2 lengths >= 2")
        require(self.M >= 1 and self.L >= 1, "M and L must be >= 1")
        require(self.seq_len >= 2 and self.stages >= 1 and self.iters >= 1,
                "need seq_len >= 2, stages >= 1, iters >= 1")
        require(0.0 < self.alpha_end <= self.alpha_start <= 1.0,
                "need 0 < alpha_end <= alpha_start <= 1")
        require(all(v == "gtf" or 0.0 <= float(v) <= 1.0 for v in self.variants),
                "variants are 'gtf' (annealed α) or a constant α in [0, 1]")
        require(self.n_orbits >= 1 and self.orbit_len > self.seq_len,
                "need n_orbits >= 1 and orbit_len > seq_len")
        require(self.ridge > 0 and self.feature_scale > 0, "ridge and feature_scale must be > 0")
        require(self.hidden_draws >= 1, "hidden_draws must be >= 1")
        require(1 <= self.lyap_batch <= self.n_orbits and self.lyap_steps >= 1,
                "need 1 <= lyap_batch <= n_orbits and lyap_steps >= 1")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(grad_T=(25, 50, 100, 200, 400, 800, 1600), grad_batch=32, n_orbits=20,
                orbit_len=5000, L=1000, stages=16, iters=4, alpha_end=0.1, lyap_steps=10_000,
                lyap_batch=20),
)


def estimate_seconds(cfg: Config) -> float:
    """Conservative on-paper cost (2 CPU cores for ci: 52 s, measured 31 s at one thread; one GPU
    for full). Part A: RK4-Lorenz gradient runs, ~60 torch ops per step twice per T at ~8 µs.
    Part B: each preconditioned GTF step runs the forced recursion forward and backward plus
    up to a few forward passes of the line search over n = n_orbits·orbit_len states of width
    L for K members (~40 passes over K·n·L numbers, ~1 ns each on the CPU) and builds the
    K Gram matrices (2·K·n·L² flops at ~4 GFLOP/s); free runs for the validation after every
    stage and the test (~10 ops per step at 8 µs plus ~8 passes over K·n_orbits·L numbers
    per step); training and free runs once per hidden-layer draw; data: RK4 on 4·n_orbits
    orbits (~40 ops per step); 3 s of metrics and plots.
    On the GPU (full) the element and flop rates are ~50× higher and an op costs ~12 µs."""
    gpu = cfg.L > 500
    op, elem, flop = (12e-6, 2e-11, 1e-11) if gpu else (8e-6, 1e-9, 2.5e-10)
    K, n = len(cfg.variants), cfg.n_orbits * cfg.orbit_len
    grad = 60 * op * 2 * sum(cfg.grad_T)
    steps = cfg.stages * cfg.iters
    gtf = steps * (40 * K * n * cfg.L * elem + 2 * K * n * cfg.L ** 2 * flop
                   + 4 * 40 * op * cfg.seq_len)
    run_len = cfg.gen_transient + cfg.orbit_len
    free = (cfg.stages + 2) * run_len * (10 * op + 8 * K * cfg.n_orbits * cfg.L * elem)
    lyap = K * (cfg.lyap_steps + 500) * 30 * op
    data = 40 * op * (cfg.orbit_len + cfg.transient)
    return grad + cfg.hidden_draws * (gtf + free) + lyap + data + 3.0


# ------------------------------------------------------------------------------------------
# shPLRNN
# ------------------------------------------------------------------------------------------
def _uniform(shape, r, generator):
    return (2 * torch.rand(shape, generator=generator, dtype=F64) - 1) * r


class ShPLRNN(nn.Module):
    """Ensemble of K shallow PLRNNs (clipped by default). States are (K, ..., M)."""

    def __init__(self, M: int, L: int, *, K: int = 1, clipped: bool = True,
                 generator: torch.Generator | None = None, dtype: torch.dtype = F64,
                 device=None):
        super().__init__()
        for name, v in dict(M=M, L=L, K=K).items():
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        self.M, self.L, self.K, self.clipped = M, L, K, bool(clipped)
        a, W1, W2, h2 = [], [], [], []
        for _ in range(K):
            R = torch.randn(M, M, generator=generator, dtype=F64)
            Km = R.T @ R / M + torch.eye(M, dtype=F64)  # normalized_positive_definite
            a.append(torch.diagonal(Km) / torch.linalg.eigvalsh(Km).abs().max())
            W1.append(_uniform((M, L), 1 / math.sqrt(L), generator))  # uniform_init((M, L))
            W2.append(_uniform((L, M), 1 / math.sqrt(M), generator))  # uniform_init((L, M))
            h2.append(_uniform((L,), 1 / math.sqrt(L), generator) if clipped
                      else torch.zeros(L, dtype=F64))
        kw = dict(dtype=dtype, device=device)
        self.a = nn.Parameter(torch.stack(a).to(**kw))
        self.W1 = nn.Parameter(torch.stack(W1).to(**kw))
        self.W2 = nn.Parameter(torch.stack(W2).to(**kw))
        self.h1 = nn.Parameter(torch.zeros(K, M, **kw))
        self.h2 = nn.Parameter(torch.stack(h2).to(**kw))

    def _check(self, z):
        if z.ndim < 2 or z.shape[0] != self.K or z.shape[-1] != self.M:
            raise ValueError(f"state must be (K={self.K}, ..., M={self.M}), got {tuple(z.shape)}")

    def _expand(self, p, z):  # (K, n) -> (K, 1, ..., 1, n) to broadcast against z
        return p.reshape(p.shape[0], *([1] * (z.ndim - 2)), p.shape[-1])

    def _flat(self, z):
        return z.reshape(self.K, -1, self.M)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """One step of every member: (K, ..., M) → (K, ..., M)."""
        self._check(z)
        zf = self._flat(z)
        u = zf @ self.W2.transpose(1, 2)  # W2 z: (K, n, L)
        h2 = self.h2[:, None]
        phi = torch.relu(u + h2) - torch.relu(u) if self.clipped else torch.relu(u + h2)
        out = self.a[:, None] * zf + phi @ self.W1.transpose(1, 2) + self.h1[:, None]
        return out.reshape(z.shape)

    def jacobian(self, z: torch.Tensor) -> torch.Tensor:
        """Analytic Jacobian (K, ..., M, M): diag(a) + W1 diag(1[W2z>-h2] - 1[W2z>0]) W2."""
        self._check(z)
        zf = self._flat(z)
        u = zf @ self.W2.transpose(1, 2)
        d = (u > -self.h2[:, None]).to(z.dtype)
        if self.clipped:
            d = d - (u > 0).to(z.dtype)
        J = torch.einsum("kml,knl,klj->knmj", self.W1, d, self.W2)
        J = J + torch.diag_embed(self.a)[:, None]
        return J.reshape(*z.shape, self.M)

    def member(self, k: int):
        """(step, jac) of member k acting row-wise on (B, M) — for Lyapunov exponents."""
        if not 0 <= k < self.K:
            raise ValueError(f"member index must be in [0, {self.K})")

        def step(x):
            full = x.new_zeros((self.K, *x.shape))
            full[k] = x
            return self(full)[k]

        def jac(x):
            full = x.new_zeros((self.K, *x.shape))
            full[k] = x
            return self.jacobian(full)[k]

        return step, jac

    def regularization(self) -> torch.Tensor:
        """Official L2 penalty per member (K,): ‖1-a‖² + ‖W1‖² + ‖W2‖² + ‖h1‖² + ‖h2‖²."""
        return (((1 - self.a) ** 2).sum(-1) + (self.W1 ** 2).sum((-1, -2))
                + (self.W2 ** 2).sum((-1, -2)) + (self.h1 ** 2).sum(-1) + (self.h2 ** 2).sum(-1))

    @torch.no_grad()
    def generate(self, z1: torch.Tensor, T: int) -> torch.Tensor:
        """Free run (K, B, T, M) including z_1 (K, B, M)."""
        if T < 1:
            raise ValueError("T must be >= 1")
        return dynamics.iterate_map(self, z1, T - 1)


# ------------------------------------------------------------------------------------------
# generalized teacher forcing
# ------------------------------------------------------------------------------------------
def _alpha_tensor(alpha, K, like):
    a = torch.as_tensor(alpha, dtype=like.dtype, device=like.device).detach()
    if a.ndim == 0:
        a = a.expand(K)
    if a.shape != (K,) or not bool(((a >= 0) & (a <= 1)).all()):
        raise ValueError(f"alpha must be a scalar or ({K},) with values in [0, 1]")
    return a


def gtf_forward(step, x: torch.Tensor, alpha, *, K: int | None = None,
                return_forced: bool = False):
    """GTF along data ``x`` (B, T, N) (identity observation, forcing signal = data) for a map
    ``step`` on (K, B, N): returns the recorded (unforced) predictions z_2..z_T (K, B, T-1, N)
    and optionally the forced states z̃_1..z̃_{T-1} each step was applied to. α: scalar or (K,),
    a non-trainable hyper-parameter (detached, as training only updates it by the rule)."""
    if x.ndim != 3 or x.shape[1] < 2:
        raise ValueError(f"x must be (B, T>=2, N), got {tuple(x.shape)}")
    K = getattr(step, "K", 1) if K is None else K
    a = _alpha_tensor(alpha, K, x)[:, None, None]
    z = x[:, 0].expand(K, *x[:, 0].shape)  # z_1 = x_1 (Identity observation model)
    out, forced = [], []
    for t in range(1, x.shape[1]):
        forced.append(z)
        z = step(z)
        out.append(z)
        z = (1 - a) * z + a * x[:, t]  # z̃_t = (1-α) z_t + α ẑ_t
    Z = torch.stack(out, dim=2)
    return (Z, torch.stack(forced, dim=2)) if return_forced else Z


def alpha_product_bound(jac, xhat: torch.Tensor, K: int = 1) -> torch.Tensor:
    """Official ``product_upper_bound``: G = max_batch geomean_t ‖J(ẑ_t)‖_2 along each forcing
    sequence ``xhat`` (B, T, M); returns (α* = max(0, 1 - 1/G), G), each of shape (K,)."""
    if xhat.ndim != 3:
        raise ValueError(f"forcing signals must be (B, T, M), got {tuple(xhat.shape)}")
    J = jac(xhat.expand(K, *xhat.shape))  # (K, B, T, M, M)
    norms = torch.linalg.matrix_norm(J, ord=2)
    G = torch.exp(torch.log(norms).mean(-1)).amax(-1)
    return torch.clamp(1 - 1 / G, min=0.0), G


def update_alpha(alpha: torch.Tensor, alpha_est: torch.Tensor, gamma: float) -> torch.Tensor:
    """Adaptive GTF rule: jump up to α_est, else decay γ α + (1-γ) α_est (element-wise)."""
    return torch.where(alpha_est > alpha, alpha_est, gamma * alpha + (1 - gamma) * alpha_est)


# ------------------------------------------------------------------------------------------
# Part A: the RK4-Lorenz map with parameters θ = (σ, ρ, β)
# ------------------------------------------------------------------------------------------
def lorenz_params() -> torch.Tensor:
    """dysts' Lorenz parameters (σ, ρ, β) = (10, 28, 2.667)."""
    p = dynamics.flow_metadata("Lorenz")["parameters"]
    return torch.tensor([p["sigma"], p["rho"], p["beta"]], dtype=F64)


def lorenz_field(theta: torch.Tensor):
    """Lorenz-63 right-hand side with differentiable θ = (σ, ρ, β) (equals the shared dysts
    field at dysts' parameters; checked in the tests). ``theta`` of shape (3, B) gives each of
    B states (the last batch axis of ``x``) its own parameters: with B copies of one θ, the
    gradient with respect to the copies separates the sequences' contributions."""
    if theta.ndim not in (1, 2) or theta.shape[0] != 3:
        raise ValueError("theta must be (sigma, rho, beta), shape (3,) or (3, B)")

    def f(x, t=0.0):
        s, r, b = theta
        X, Y, Z = x.unbind(-1)
        return torch.stack([s * (Y - X), X * (r - Z) - Y, X * Y - b * Z], dim=-1)

    return f


def rk4_map(theta: torch.Tensor, dt: float):
    """F_θ(x) = one RK4 step of Lorenz-63 (shared ``dynamics.rk4``)."""
    f = lorenz_field(theta)
    return lambda x: dynamics.rk4(f, x, dt, 1, keep_initial=False)[..., 0, :]


def lorenz_orbits(n: int, *, batch: int | None = None, dt: float = 0.01, transient: int = 5000,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """RK4 orbits of Lorenz-63 at dysts' parameters, sampled every ``dt`` after ``transient``
    steps from dysts' initial condition + noise: (n, 3) or (batch, n, 3)."""
    return dynamics.simulate_flow("Lorenz", n, dt=dt, batch=batch, transient=transient,
                                  substeps=1, ic_noise=0.1, generator=generator)


def gradient_vs_length(cfg: Config, seed: int, device=None) -> dict:
    """‖∇_θ L_T‖ for every T in cfg.grad_T, for α = 0 (BPTT), the aGTF estimate α_geo (product
    upper bound on the data of length max T) and the theorem's α* = 1 - 1/max_k ‖J_k‖, where
    L_T is the per-step MSE of the GTF recursion of the model map F_θ (θ = true (1 + δ)) against
    data of the true map. Also the Jacobian products along each data sequence at α* and α_geo
    with their bound, and the growth rate at α = 0: the slope of log(T ‖∇L_T^{(i)}‖) vs time for
    T >= 100 (NaN with fewer than two such T), for each sequence i (its finite-time exponent,
    ≈ λ_max for the mean-over-steps loss), averaged over the sequences, as a Lyapunov exponent
    averages finite-time growth rates over trajectories (``growth_rates``: each sequence's;
    ``growth_rate_batch``: the slope of the batch gradient's norm, the first version's
    estimate, in which the sequences' gradients, pointing different ways in θ, partly cancel
    and take turns dominating)."""
    g = torch.Generator().manual_seed(seed)
    theta0 = lorenz_params()
    Tmax = max(cfg.grad_T)
    x = lorenz_orbits(Tmax + 1, batch=cfg.grad_batch, dt=cfg.dt, generator=g).to(device)
    theta = (theta0 * (1 + cfg.grad_delta)).to(device)
    # α* from the model's Jacobians along the forcing signals x_2..x_T (product upper bound)
    F = rk4_map(theta, cfg.dt)
    xh = x[:, 1:Tmax]
    J = dynamics_metrics.autograd_jacobian(F, xh.reshape(-1, 3)).reshape(*xh.shape, 3)
    alpha_geo, G = alpha_product_bound(lambda z: J[None], xh)
    alpha_geo = float(alpha_geo[0])
    # theorem's α* = 1 - 1/σ_max with σ_max = max_k ‖J_k‖ over the batch (official
    # ``batch_maximum``): every factor (1-α)‖J_k‖ <= 1, so every sub-product is bounded
    sigma_max = float(torch.linalg.matrix_norm(J, ord=2).max())
    alpha_star = max(0.0, 1 - 1 / sigma_max)
    out = dict(T=list(cfg.grad_T), alpha_star=alpha_star, sigma_max=sigma_max,
               alpha_geo=alpha_geo, G=float(G[0]), grad={})
    per_seq = []
    for alpha in (0.0, alpha_geo, alpha_star):
        norms = []
        for T in cfg.grad_T:
            # α = 0: one copy of θ per sequence (the batch gradient is their sum)
            th = (theta[:, None].expand(3, x.shape[0]) if alpha == 0.0 else theta).clone()
            th.requires_grad_(True)
            Fm = rk4_map(th, cfg.dt)
            Z = gtf_forward(lambda z, Fm=Fm: Fm(z), x[:, : T + 1], alpha, K=1)
            loss = ((Z[0] - x[:, 1: T + 1]) ** 2).mean()
            (grad,) = torch.autograd.grad(loss, th)
            if alpha == 0.0:
                per_seq.append(grad.norm(dim=0).cpu().numpy())
                grad = grad.sum(dim=1)
            norms.append(float(grad.norm()))
        out["grad"][alpha] = np.array(norms)
    # Jacobian products along the forced recursion at α*, and their bound
    out["product"] = jacobian_product_bound(J, alpha_star)
    out["product_geo"] = jacobian_product_bound(J, alpha_geo)
    T = np.array(cfg.grad_T, float)
    sel = T >= 100
    per_seq = np.array(per_seq)  # (len(grad_T), B)

    def slope(g):  # NaN unless at least two lengths T >= 100 (a line through one point)
        return np.polyfit(T[sel] * cfg.dt, np.log(T[sel] * g[sel]), 1)[0] if sel.sum() >= 2 \
            else float("nan")

    out["growth_rates"] = np.array([slope(g) for g in per_seq.T])
    out["growth_rate"] = float(out["growth_rates"].mean())
    out["growth_rate_batch"] = float(slope(out["grad"][0.0]))
    return out


def jacobian_product_bound(J: torch.Tensor, alpha: float) -> dict:
    """For Jacobians J (B, T, M, M): ‖Π_k (1-α) J_k‖_2 and Π_k (1-α) ‖J_k‖_2 for every
    prefix length (B, T), computed in log space for the bound."""
    B, T = J.shape[:2]
    P = torch.eye(J.shape[-1], dtype=J.dtype, device=J.device).expand(B, -1, -1)
    prod_norm, log_bound = [], torch.zeros(B, dtype=J.dtype, device=J.device)
    bound = []
    for t in range(T):
        P = (1 - alpha) * J[:, t] @ P
        prod_norm.append(torch.linalg.matrix_norm(P, ord=2))
        log_bound = log_bound + math.log(max(1 - alpha, 1e-300)) + torch.log(
            torch.linalg.matrix_norm(J[:, t], ord=2))
        bound.append(torch.exp(log_bound))
    return dict(norm=torch.stack(prod_norm, 1), bound=torch.stack(bound, 1))


# ------------------------------------------------------------------------------------------
# Part B: reconstructing Lorenz-63 from noisy data
# ------------------------------------------------------------------------------------------
def lorenz_data(cfg: Config, seed: int, device=None) -> dict:
    """Four independent sets of ``n_orbits`` Lorenz-63 orbits of ``orbit_len`` steps, z-scored
    with the statistics of the training set: ``train`` and ``val`` with Gaussian observation
    noise ``obs_noise`` (like the official ``lorenz63_on0.05_train``), a clean ``test`` set and
    a clean ``other`` set that only serves the noise floor D_stsp(test, other)."""
    g = torch.Generator().manual_seed(seed)
    n = cfg.n_orbits
    X = lorenz_orbits(cfg.orbit_len, batch=4 * n, dt=cfg.dt, transient=cfg.transient,
                      generator=g)
    _, mean, std = dynamics.standardize(X[:n])
    X = (X - mean) / std
    noisy = X[:2 * n] + cfg.obs_noise * torch.randn(X[:2 * n].shape, generator=g, dtype=F64)
    return dict(train=noisy[:n].to(device), val=noisy[n:].to(device),
                test=X[2 * n: 3 * n].to(device), other=X[3 * n:].to(device))


def _features(model: ShPLRNN, z: torch.Tensor) -> torch.Tensor:
    """[φ(z), 1] with φ(z) = ReLU(W2 z + h2) - ReLU(W2 z) (clipped) for each member: z (K, n, M)
    → (K, n, L + 1). The map is z ↦ a ⊙ z + W1 φ(z) + h1: linear in (a_i, W1[i], h1_i)."""
    u = z @ model.W2.detach().transpose(1, 2)
    h2 = model.h2.detach()[:, None]
    phi = torch.relu(u + h2) - torch.relu(u) if model.clipped else torch.relu(u + h2)
    return torch.cat([phi, torch.ones_like(phi[..., :1])], -1)


def _get_w(model: ShPLRNN) -> torch.Tensor:
    """Output-layer parameters per member and output unit i: w_i = (a_i, W1[i, :], h1_i),
    shape (K, M, L + 2)."""
    return torch.cat([model.a.detach()[..., None], model.W1.detach(),
                      model.h1.detach()[..., None]], -1)


@torch.no_grad()
def _set_w(model: ShPLRNN, w: torch.Tensor) -> None:
    model.a.copy_(w[..., 0])
    model.W1.copy_(w[..., 1:-1])
    model.h1.copy_(w[..., -1])


def _gram(model: ShPLRNN, z: torch.Tensor, ridge: float) -> torch.Tensor:
    """H_i = F_iᵀF_i + ridge·I with F_i = [z_i, φ(z), 1] the regressors of output unit i at the
    states z (K, n, M): (K, M, L + 2, L + 2)."""
    P = _features(model, z)
    G = P.transpose(1, 2) @ P  # (K, L+1, L+1), shared by the M outputs
    c = torch.einsum("knm,knl->kml", z, P)  # (K, M, L+1)
    d = (z * z).sum(1)  # (K, M)
    K, M, n = z.shape[0], z.shape[-1], G.shape[-1] + 1
    H = z.new_zeros(K, M, n, n)
    H[..., 0, 0] = d
    H[..., 0, 1:] = c
    H[..., 1:, 0] = c
    H[..., 1:, 1:] = G[:, None]
    return H + ridge * torch.eye(n, dtype=z.dtype, device=z.device)


def ridge_warm_start(model: ShPLRNN, x: torch.Tensor, *, scale: float, ridge: float,
                     generator: torch.Generator | None = None) -> None:
    """Warm start of every member: a random hidden layer W2 ~ N(0, scale²), h2 ~ U(±2·scale)
    (the same for all members, kept fixed afterwards), and (a, W1, h1) by ridge regression of
    x_{t+1} on [x_t, φ(x_t), 1] over the orbits x (n, T, M): the exact minimiser of the
    one-step (teacher-forcing) loss for this hidden layer."""
    L, M = model.L, model.M
    W2 = scale * torch.randn(L, M, generator=generator, dtype=F64)
    h2 = 2 * scale * (2 * torch.rand(L, generator=generator, dtype=F64) - 1)
    with torch.no_grad():
        model.W2.copy_(W2.to(model.W2)[None].expand_as(model.W2))
        model.h2.copy_(h2.to(model.h2)[None].expand_as(model.h2))
        xin = x[:, :-1].reshape(1, -1, M).expand(model.K, -1, -1)
        xout = x[:, 1:].reshape(-1, M)
        H = _gram(model, xin, ridge)
        P = _features(model, xin)
        rhs = torch.cat([(xin * xout).sum(1)[..., None],
                         torch.einsum("knl,nm->kml", P, xout)], -1)
        _set_w(model, torch.linalg.solve(H, rhs[..., None])[..., 0])


def gtf_loss(model: ShPLRNN, windows: torch.Tensor, alpha, ridge: float) -> torch.Tensor:
    """GTF loss per member (K,): ½ Σ ‖z_t - x_t‖² over the recorded predictions of the forced
    recursion along ``windows`` (B, T, M) + ½ ridge ‖w‖² on the output-layer parameters."""
    Z = gtf_forward(model, windows, alpha)
    w = torch.cat([model.a[..., None], model.W1, model.h1[..., None]], -1)
    return 0.5 * ((Z - windows[:, 1:]) ** 2).sum((1, 2, 3)) + 0.5 * ridge * (w ** 2).sum((1, 2))


def gtf_newton_step(model: ShPLRNN, windows: torch.Tensor, alpha: torch.Tensor, ridge: float,
                    max_halvings: int = 6) -> torch.Tensor:
    """One preconditioned gradient step on the GTF loss for every member (its own α_k).

    The gradient g = ∇_w L_GTF is exact (backpropagation through the forced recursion, all
    factors (1 - α) J); it is preconditioned with H = FᵀF + ridge·I, F the regressors at the
    forced states z̃ (the Gauss-Newton matrix of the loss with z̃ held fixed: at α = 1 one step
    lands on the ridge solution). Step w ← w - η H⁻¹g, η halved (up to ``max_halvings`` times)
    until the GTF loss decreases, else the member keeps its parameters. Returns η (K,), 0 where
    no step was taken."""
    model.zero_grad()
    Z, forced = gtf_forward(model, windows, alpha, return_forced=True)
    w = torch.cat([model.a[..., None], model.W1, model.h1[..., None]], -1)
    loss = 0.5 * ((Z - windows[:, 1:]) ** 2).sum((1, 2, 3)) + 0.5 * ridge * (w ** 2).sum((1, 2))
    loss.sum().backward()
    with torch.no_grad():
        g = torch.cat([model.a.grad[..., None], model.W1.grad, model.h1.grad[..., None]], -1)
        H = _gram(model, forced.reshape(model.K, -1, model.M), ridge)
        d = torch.linalg.solve(H, g[..., None])[..., 0]
        w0, l0 = _get_w(model), loss.detach()
        eta = torch.ones(model.K, dtype=w0.dtype, device=w0.device)
        done = torch.zeros(model.K, dtype=torch.bool, device=w0.device)
        for _ in range(max_halvings + 1):
            cand = w0 - eta[:, None, None] * d
            _set_w(model, torch.where(done[:, None, None], _get_w(model), cand))
            l1 = gtf_loss(model, windows, alpha, ridge)
            done = done | (torch.isfinite(l1) & (l1 < l0))
            if bool(done.all()):
                break
            eta = torch.where(done, eta, eta / 2)
        _set_w(model, torch.where(done[:, None, None], _get_w(model), w0))
    model.zero_grad()
    return torch.where(done, eta, torch.zeros_like(eta))


def dstsp(x_true: torch.Tensor, x_gen: torch.Tensor, n_bins: int = 30) -> float:
    """D_stsp of a free run (shared; a diverged run gets KL(p_true ‖ uniform))."""
    return dynamics_metrics.free_run_state_space_divergence(x_true, x_gen, n_bins)


def dh(x_true: torch.Tensor, x_gen: torch.Tensor, smoothing: float) -> float:
    """Power-spectrum Hellinger distance of a free run (shared; 1 if it diverged)."""
    return dynamics_metrics.free_run_power_spectrum_distance(x_true, x_gen, smoothing)


def free_runs(model: ShPLRNN, starts: torch.Tensor, T: int, transient: int) -> torch.Tensor:
    """Free runs of every member from each start (n, M), T steps after a transient:
    (K, n, T, M)."""
    return model.generate(starts.expand(model.K, -1, -1).contiguous(),
                          transient + T)[:, :, transient:]


def free_run_scores(model: ShPLRNN, ref: torch.Tensor, transient: int, n_bins: int,
                    bound: float = 10.0) -> tuple:
    """D_stsp of each member's free runs started at the first states of the orbits ``ref``
    (n, T, M) against all of ``ref``; inf where a free run is not finite or leaves |z| <
    ``bound`` (such a model is never selected). Returns (scores (K,), free runs)."""
    Z = free_runs(model, ref[:, 0], ref.shape[1], transient)
    flat = ref.reshape(-1, ref.shape[-1])
    out = []
    for k in range(model.K):
        ok = bool(torch.isfinite(Z[k]).all()) and float(Z[k].abs().max()) < bound
        out.append(dstsp(flat, Z[k].reshape(-1, ref.shape[-1]), n_bins) if ok else math.inf)
    return np.array(out), Z


def fit_gtf(model: ShPLRNN, train_x: torch.Tensor, val_x: torch.Tensor,
            alphas: torch.Tensor, cfg: Config, desc: str = "GTF") -> dict:
    """Train every member on windows of ``train_x`` (n, T, M), member k with α_k = alphas[s, k]
    at stage s (``cfg.iters`` preconditioned steps per stage). Model selection: after the warm
    start and after every stage, the free runs from the starts of ``val_x`` are scored by
    D_stsp against ``val_x``; each member keeps its checkpoint with the lowest score."""
    n, T, M = train_x.shape
    S = cfg.seq_len
    windows = train_x[:, : T // S * S].reshape(-1, S, M)
    score, _ = free_run_scores(model, val_x, cfg.gen_transient, cfg.n_bins)
    hist, etas = [score], []
    best, best_w, best_stage = score.copy(), _get_w(model).clone(), np.zeros(model.K, int)
    for s in progress(range(alphas.shape[0]), total=alphas.shape[0], desc=desc):
        for _ in range(cfg.iters):
            etas.append(gtf_newton_step(model, windows, alphas[s], cfg.ridge).cpu().numpy())
        score, _ = free_run_scores(model, val_x, cfg.gen_transient, cfg.n_bins)
        hist.append(score)
        better = torch.as_tensor(score < best, device=best_w.device)
        best_w = torch.where(better[:, None, None], _get_w(model), best_w)
        best_stage = np.where(score < best, s + 1, best_stage)
        best = np.minimum(score, best)
    _set_w(model, best_w)
    finite = torch.isfinite(best_w).reshape(model.K, -1).all(1).cpu().numpy()
    return dict(val=np.array(hist), eta=np.array(etas), best_val=best, best_stage=best_stage,
                finite=finite)


def max_lyapunov_starts(model: ShPLRNN, k: int, x0: torch.Tensor, n_steps: int,
                        dt: float) -> np.ndarray:
    """Largest Lyapunov exponent of member k per unit time (per-step exponent / Δt) from each
    start of ``x0`` ``(B, M)`` (500 settling steps, then the QR method with the analytic
    Jacobian over ``n_steps``); NaN for a start whose orbit is not finite."""
    step, jac = model.member(k)
    with torch.no_grad():
        x = x0
        for _ in range(500):  # settle onto the attractor
            x = step(x)
    ok = torch.isfinite(x).all(-1)
    lam = torch.full((x.shape[0],), float("nan"), dtype=torch.float64)
    if bool(ok.any()):
        lam[ok.cpu()] = dynamics_metrics.lyapunov_spectrum_map(
            step, x[ok], n_steps, k=1, jac=jac)[..., 0].double().cpu()
    return lam.numpy() / dt


def median_exponent(lam: np.ndarray) -> float:
    """The model's λ_max from :func:`max_lyapunov_starts`: the **median** over the starts (NaN
    if any start diverged). A Lyapunov exponent belongs to an attractor; a trained map can be
    multistable (a few starts settling on a stable fixed point or cycle beside the chaotic
    attractor, λ < 0 there), and a mean over starts would average exponents of different
    attractors and describe none. The median is the exponent of the attractor most starts
    reach; ``lorenz_experiment`` keeps the per-start values beside it."""
    lam = np.asarray(lam, dtype=float)
    if lam.size == 0:
        raise ValueError("no Lyapunov exponents given")
    return float("nan") if np.isnan(lam).any() else float(np.median(lam))


def alpha_schedule(cfg: Config, device=None) -> torch.Tensor:
    """α per stage (rows) and member (columns): "gtf" anneals geometrically from
    ``alpha_start`` to ``alpha_end``; a number is a constant α (1 = teacher forcing, 0 = BPTT)."""
    cols = []
    for v in cfg.variants:
        if v == "gtf":
            cols.append(torch.tensor(np.geomspace(cfg.alpha_start, cfg.alpha_end, cfg.stages)))
        else:
            cols.append(torch.full((cfg.stages,), float(v), dtype=F64))
    return torch.stack(cols, 1).to(device)


def lorenz_experiment(cfg: Config, seed: int, device=None) -> dict:
    """Warm-start one shPLRNN per variant and hidden-layer draw (the same ridge fit for all
    variants of a draw), train it with GTF at the variant's α schedule and select its checkpoint
    on the validation orbits; every variant then keeps the draw with the lowest validation
    D_stsp (validation only: the test orbits never enter a choice). Free runs from the starts
    of the test orbits are scored by D_stsp, D_H and the maximal Lyapunov exponent; plus the
    noise floor D_stsp(test, other) of two independent samples of the true system."""
    data = lorenz_data(cfg, seed, device)
    alphas = alpha_schedule(cfg, device)
    test = data["test"]
    K = len(cfg.variants)
    draws = []
    for d in range(cfg.hidden_draws):
        g = torch.Generator().manual_seed(10_000 + seed + 1_000_003 * d)
        model = ShPLRNN(cfg.M, cfg.L, K=K, clipped=True, generator=g, device=device)
        ridge_warm_start(model, data["train"], scale=cfg.feature_scale, ridge=cfg.ridge,
                         generator=g)
        desc = "GTF stages" + (f" (hidden layer {d + 1}/{cfg.hidden_draws})"
                               if cfg.hidden_draws > 1 else "")
        hist = fit_gtf(model, data["train"], data["val"], alphas, cfg, desc=desc)
        draws.append(dict(model=model, hist=hist))
    val_draws = np.array([dr["hist"]["best_val"] for dr in draws])  # (draws, K)
    chosen = np.argmin(val_draws, axis=0)  # per variant; inf (never finite) loses, ties: draw 0
    for d in sorted(set(chosen.tolist())):  # test free runs only of the draws some variant keeps
        dr = draws[d]
        _, dr["Z"] = free_run_scores(dr["model"], test, cfg.gen_transient, cfg.n_bins)
        with torch.no_grad():
            a_est, _ = alpha_product_bound(dr["model"].jacobian, test, dr["model"].K)
        dr["alpha_est"] = a_est.cpu().numpy()
    flat = test.reshape(-1, cfg.M)
    x0 = test[:, 0][:: max(1, cfg.n_orbits // cfg.lyap_batch)][: cfg.lyap_batch]
    runs, alpha_est = {}, []
    for k, v in enumerate(cfg.variants):
        d = int(chosen[k])
        dr = draws[d]
        hist, Zk = dr["hist"], dr["Z"][k]
        stage = int(hist["best_stage"][k])
        runs[v] = dict(Z=Zk, finite=bool(hist["finite"][k]) and bool(torch.isfinite(Zk).all()),
                       dstsp=dstsp(flat, Zk.reshape(-1, cfg.M), cfg.n_bins),
                       dh=float(np.mean([dh(test[i], Zk[i], cfg.psd_smoothing)
                                         for i in range(cfg.n_orbits)])),
                       lyap_starts=max_lyapunov_starts(dr["model"], k, x0, cfg.lyap_steps,
                                                       cfg.dt),
                       val=hist["val"][:, k], best_stage=stage, draw=d,
                       val_draws=val_draws[:, k],
                       alpha=float(alphas[stage - 1, k]) if stage else None,
                       alpha_path=alphas[:, k].cpu().numpy())
        runs[v]["lyap"] = median_exponent(runs[v]["lyap_starts"])
        alpha_est.append(dr["alpha_est"][k])
    other = data["other"]
    floor_dh = float(np.mean([dh(test[i], other[i], cfg.psd_smoothing)
                              for i in range(cfg.n_orbits)]))
    return dict(models=[dr["model"] for dr in draws], runs=runs, x_test=test,
                alpha_est=np.array(alpha_est),
                floor_dstsp=dstsp(flat, other.reshape(-1, cfg.M), cfg.n_bins),
                floor_dh=floor_dh, eta=np.concatenate([dr["hist"]["eta"] for dr in draws], 1))
