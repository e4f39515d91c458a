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
W2 ~ U(±1/√M); h1 = 0; h2 = 0 (plain) or U(±1/√L) (clipped). Loss: MSE of the recorded z_t vs x_t
plus λ_lat (‖1-a‖² + ‖W1‖² + ‖W2‖² + ‖h1‖² + ‖h2‖²); RAdam; lr decays exponentially.

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
    # Part B: Lorenz-63 data (dysts parameters), Δt = 0.01, z-scored
    dt: float = 0.01
    n_train: int = 20_000
    n_test: int = 10_000
    transient: int = 5_000
    obs_noise: float = 0.05
    # shPLRNN + training (official defaults except sizes / steps)
    M: int = 3
    L: int = 50
    clipped: bool = True
    batch: int = 16
    seq_len: int = 50
    steps: int = 600
    lr: tuple = (1e-2, 1e-4)
    lam_lat: float = 1e-5
    alpha0: float = 1.0
    gamma: float = 0.999
    alpha_every: int = 5
    variants: tuple = ("agtf", 0.0, 1.0)
    T_gen: int = 5000
    gen_transient: int = 1000
    n_bins: int = 30
    psd_smoothing: float = 20.0
    lyap_steps: int = 2000
    lyap_batch: int = 4

    def check(self) -> None:
        require(len(self.grad_T) >= 2 and min(self.grad_T) >= 2, "grad_T: >= 2 lengths >= 2")
        require(self.M >= 1 and self.L >= 1, "M and L must be >= 1")
        require(self.seq_len >= 2 and self.batch >= 1 and self.steps >= 1,
                "need seq_len >= 2, batch >= 1, steps >= 1")
        require(0.0 <= self.alpha0 <= 1.0 and 0.0 <= self.gamma <= 1.0,
                "alpha0 and gamma must lie in [0, 1]")
        require(all(v == "agtf" or 0.0 <= float(v) <= 1.0 for v in self.variants),
                "variants are 'agtf' or a constant α in [0, 1]")
        require(self.n_train > self.seq_len + 1 and self.n_test >= self.T_gen,
                "n_train > seq_len + 1 and n_test >= T_gen")
        require(self.lr[0] > 0 and self.lr[1] > 0, "learning rates must be positive")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(grad_T=(25, 50, 100, 200, 400, 800, 1600), grad_batch=32, n_train=100_000,
                n_test=20_000, L=100, seq_len=200, steps=15_000, lr=(1e-3, 1e-6),
                T_gen=20_000, lyap_steps=20_000, lyap_batch=8),
)


def estimate_seconds(cfg: Config) -> float:
    """Conservative on-paper cost; tiny matrices, so per-op overhead dominates: ~25 torch ops
    per GTF step forward + backward at ~8 µs (2 CPU cores, ci; measured ~5 µs) or ~12 µs per
    op on a GPU (launch-bound, full) — the K variants share the ops (batched ensemble); RK4
    Lorenz gradient runs ~60 ops per step twice per T; free runs / Lyapunov ~10 ops per
    step; data generation (RK4, ~40 ops per step) and 2 s of metrics/plots."""
    op = 8e-6 if cfg.steps <= 2000 else 12e-6
    train = 25 * op * cfg.steps * cfg.seq_len * (1 + 0.2 / cfg.alpha_every)
    grad = 60 * op * 2 * sum(cfg.grad_T)
    free = 10 * op * (cfg.T_gen + cfg.gen_transient + 2 * cfg.lyap_steps)
    data = 40 * op * (cfg.n_train + cfg.n_test + cfg.transient)
    return train + grad + free + data + 2.0


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
    field at dysts' parameters; checked in the tests)."""
    if theta.shape != (3,):
        raise ValueError("theta must be (sigma, rho, beta)")

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
    with their bound, and the growth rate: the slope of log(T ‖∇L_T‖) vs time for T >= 100
    (≈ λ_max for the mean-over-steps loss)."""
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
    for alpha in (0.0, alpha_geo, alpha_star):
        norms = []
        for T in cfg.grad_T:
            th = theta.clone().requires_grad_(True)
            Fm = rk4_map(th, cfg.dt)
            Z = gtf_forward(lambda z, Fm=Fm: Fm(z), x[:, : T + 1], alpha, K=1)
            loss = ((Z[0] - x[:, 1: T + 1]) ** 2).mean()
            (grad,) = torch.autograd.grad(loss, th)
            norms.append(float(grad.norm()))
        out["grad"][alpha] = np.array(norms)
    # Jacobian products along the forced recursion at α*, and their bound
    out["product"] = jacobian_product_bound(J, alpha_star)
    out["product_geo"] = jacobian_product_bound(J, alpha_geo)
    T = np.array(cfg.grad_T, float)
    sel = T >= 100
    out["growth_rate"] = float(np.polyfit(T[sel] * cfg.dt, np.log(T[sel] * out["grad"][0.0][sel]),
                                          1)[0])
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
# Part B: training on Lorenz-63
# ------------------------------------------------------------------------------------------
def lorenz_data(cfg: Config, seed: int, device=None):
    """z-scored Lorenz-63: train (n_train, 3) with fixed 5 % Gaussian observation noise (like
    the official ``lorenz63_on0.05_train``) and a clean, later test segment (n_test, 3)."""
    g = torch.Generator().manual_seed(seed)
    x = lorenz_orbits(cfg.n_train + cfg.n_test, dt=cfg.dt, transient=cfg.transient,
                      generator=g)
    z, mean, std = dynamics.standardize(x[: cfg.n_train])
    test = (x[cfg.n_train:] - mean) / std
    train = z + cfg.obs_noise * torch.randn(z.shape, generator=g, dtype=z.dtype)
    return train.to(device), test.to(device)


def train(model: ShPLRNN, data: torch.Tensor, variants, *, seq_len: int, batch: int,
          steps: int, lr: tuple, lam_lat: float, alpha0: float = 1.0, gamma: float = 0.999,
          alpha_every: int = 5, generator: torch.Generator | None = None,
          desc: str = "train") -> dict:
    """Train the K ensemble members on ``data`` (T, M), member k with ``variants[k]``: "agtf"
    (adaptive GTF, product upper bound) or a constant α (0 = plain BPTT, 1 = classical TF).
    Same batches for every member. Returns per-step losses (steps, K), α trajectories (steps,
    K) and a non-finite flag per member."""
    K = model.K
    if len(variants) != K:
        raise ValueError(f"need one variant per member ({K}), got {len(variants)}")
    if data.ndim != 2 or data.shape[1] != model.M or data.shape[0] <= seq_len:
        raise ValueError(f"data must be (T > seq_len, M={model.M}), got {tuple(data.shape)}")
    adaptive = torch.tensor([v == "agtf" for v in variants], device=data.device)
    alpha = torch.tensor([alpha0 if v == "agtf" else float(v) for v in variants],
                         dtype=data.dtype, device=data.device)
    opt = torch.optim.RAdam(model.parameters(), lr=lr[0])
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, (lr[1] / lr[0]) ** (1 / steps))
    idx = torch.arange(seq_len, device=data.device)
    losses, alphas = [], []
    for s in progress(range(steps), total=steps, desc=desc):
        start = torch.randint(0, data.shape[0] - seq_len, (batch,), generator=generator)
        x = data[start.to(data.device)[:, None] + idx]
        if (s + 1) % alpha_every == 0 and bool(adaptive.any()):
            with torch.no_grad():
                a_est, _ = alpha_product_bound(model.jacobian, x[:, 1:], K)
                alpha = torch.where(adaptive, update_alpha(alpha, a_est, gamma), alpha)
        Z = gtf_forward(model, x, alpha)
        mse = ((Z - x[:, 1:]) ** 2).mean(dim=(1, 2, 3))
        loss = (mse + lam_lat * model.regularization()).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(mse.detach())
        alphas.append(alpha.clone())
    L = torch.stack(losses).cpu()
    finite = torch.stack([torch.isfinite(p.detach()).reshape(K, -1).all(1)
                          for p in model.parameters()]).all(0).cpu()
    return dict(loss=L.numpy(), alpha=torch.stack(alphas).cpu().numpy(),
                finite=(finite & torch.isfinite(L).all(0)).numpy())


def dstsp(x_true: torch.Tensor, x_gen: torch.Tensor, n_bins: int = 30) -> float:
    """D_stsp of a free run (shared; a diverged run gets KL(p_true ‖ uniform))."""
    return dynamics_metrics.free_run_state_space_divergence(x_true, x_gen, n_bins)


def dh(x_true: torch.Tensor, x_gen: torch.Tensor, smoothing: float) -> float:
    """Power-spectrum Hellinger distance of a free run (shared; 1 if it diverged)."""
    return dynamics_metrics.free_run_power_spectrum_distance(x_true, x_gen, smoothing)


def max_lyapunov(model: ShPLRNN, k: int, x0: torch.Tensor, n_steps: int, dt: float) -> float:
    """Largest Lyapunov exponent of member k per unit time (per-step exponent / Δt), shared QR
    method with the analytic Jacobian; NaN if the orbit is not finite."""
    step, jac = model.member(k)
    with torch.no_grad():
        x = x0
        for _ in range(500):  # settle onto the attractor
            x = step(x)
    if not torch.isfinite(x).all():
        return float("nan")
    lam = dynamics_metrics.max_lyapunov_map(step, x, n_steps, jac=jac)
    return float(lam) / dt


def lorenz_experiment(cfg: Config, seed: int, device=None) -> dict:
    """Train one ensemble member per variant on Lorenz-63 and score free runs (D_stsp, D_H,
    maximal Lyapunov exponent)."""
    xtr, xte = lorenz_data(cfg, seed, device)
    g = torch.Generator().manual_seed(10_000 + seed)
    model = ShPLRNN(cfg.M, cfg.L, K=len(cfg.variants), clipped=cfg.clipped, generator=g,
                    device=device)
    hist = train(model, xtr, cfg.variants, seq_len=cfg.seq_len, batch=cfg.batch,
                 steps=cfg.steps, lr=cfg.lr, lam_lat=cfg.lam_lat, alpha0=cfg.alpha0,
                 gamma=cfg.gamma, alpha_every=cfg.alpha_every, generator=g, desc="shPLRNN")
    Z = model.generate(xte[:1].expand(model.K, 1, -1).contiguous(),
                       cfg.T_gen + cfg.gen_transient)[:, 0, cfg.gen_transient:]
    runs = {}
    xev = xte[: cfg.T_gen]
    for k, v in enumerate(cfg.variants):
        X = Z[k]
        x0 = xte[torch.linspace(0, len(xte) - 1, cfg.lyap_batch).long()]
        runs[v] = dict(Z=X, finite=bool(hist["finite"][k]) and bool(torch.isfinite(X).all()),
                       dstsp=dstsp(xev, X, cfg.n_bins), dh=dh(xev, X, cfg.psd_smoothing),
                       lyap=max_lyapunov(model, k, x0, cfg.lyap_steps, cfg.dt),
                       loss=hist["loss"][:, k], alpha=hist["alpha"][:, k])
    floor = xtr[-cfg.T_gen:]
    return dict(model=model, runs=runs, x_test=xev,
                floor_dstsp=dstsp(xev, floor, cfg.n_bins),
                floor_dh=dh(xev, floor, cfg.psd_smoothing))


def model_gradient_vs_length(model: ShPLRNN, k: int, x: torch.Tensor, T_list, alpha) -> list:
    """‖∇_θ L_T‖ of member k of a (trained) shPLRNN along data x (B, >= max T + 1, M)."""
    norms = []
    for T in T_list:
        model.zero_grad()
        a = torch.zeros(model.K, dtype=x.dtype, device=x.device)
        a[k] = alpha
        Z = gtf_forward(model, x[:, : T + 1], a)
        ((Z[k] - x[:, 1: T + 1]) ** 2).mean().backward()
        sq = sum(float((p.grad[k] ** 2).sum()) for p in model.parameters())
        norms.append(math.sqrt(sq))
    model.zero_grad()
    return norms
