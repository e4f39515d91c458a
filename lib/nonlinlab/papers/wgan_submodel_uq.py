r"""Boukraichi, Akkari, Casenave & Ryckelynck (2021), *Uncertainty quantification in a
mechanical submodel driven by a Wasserstein-GAN* (arXiv:2110.13680).

What is implemented (no official code was published; the paper used FEniCS finite elements,
here a finite-difference bar of the same physics)
-----------------------------------------------------------------------------------------------

**Full model.** A 1-D elastic bar (the scalar wave equation, the 1-D case of linear
elastodynamics) on :math:`[0, 1]`, fixed at both ends,

.. math:: u_{tt} = c(x)^2\,u_{xx} + f(x, t), \qquad u(0, t) = u(1, t) = 0, \qquad
          u(x, 0) = u_t(x, 0) = 0,

discretised by second-order centred differences in space and the explicit central-difference
(leapfrog, explicit Newmark :math:`\beta = 0, \gamma = \tfrac12`) scheme in time,

.. math:: u_i^{k+1} = 2u_i^k - u_i^{k-1} + (c_i\Delta t/\Delta x)^2
          (u_{i+1}^k - 2u_i^k + u_{i-1}^k) + \Delta t^2 f_i^k.          \qquad (1)

Uncertain inputs per run: an impact (Gaussian in space, a Ricker wavelet in time) at a random
place, time and amplitude, and the wave speed of an inclusion, all *outside* the zone of
interest. The impact comes from one of two sites (left or right of the zone, with probability
½ each): a mixture, so that the boundary signals of the zone are shifted pulses arriving from
either side — a strongly non-Gaussian distribution, which is the situation the paper argues
linear generators cannot represent.

**Submodel.** The zone of interest :math:`\Omega_s = [a, b]` on the same grid and time step,
solved by the same scheme (1) with Dirichlet data :math:`g(t) = (u(a, t), u(b, t))` — the
boundary-condition signals. Driven by the true signals at every time step it reproduces the
full solution in :math:`\Omega_s` exactly (the stencil of (1) only reaches neighbours).

**Boundary signals as data.** :math:`g` is sampled at :math:`N_t` times per boundary node →
a vector in :math:`\mathbb R^{2N_t}`, standardised per component; the submodel reads it
back at every step through a cubic-spline interpolation matrix.

**WGAN-GP** (Gulrajani et al. 2017, whose defaults we use since the paper's settings are not
given): generator :math:`G_\theta: z\sim\mathcal N(0, I)\mapsto g`, critic :math:`D_w`,

.. math:: L_D = \mathbb E[D(G(z))] - \mathbb E[D(g)]
          + \lambda\,\mathbb E[(\lVert\nabla_{\hat g}D(\hat g)\rVert_2 - 1)^2], \qquad
          \hat g = \epsilon g + (1-\epsilon)G(z), \ \epsilon\sim U[0,1],      \qquad (2)

.. math:: L_G = -\mathbb E[D(G(z))],                                         \qquad (3)

:math:`\lambda = 10`, :math:`n_{critic} = 5`, Adam(lr 1e-4, β = (0.5, 0.9)), no
normalisation layers in the critic; MLPs with LeakyReLU(0.2). The ``ci`` profile raises the
learning rate to 1e-3 so that 1 200 generator steps converge on one CPU core; ``full`` keeps
1e-4 with 20 000 steps.

**Baseline** (the linear approach the paper argues against): PCA of the standardised training
signals keeping 99 % of the variance, Gaussian coefficients,
:math:`g = \bar g + \sum_k \sqrt{\lambda_k}\,\xi_k\phi_k`, :math:`\xi\sim\mathcal N(0, I)`.

**Exploitation.** Monte Carlo: generated signals drive the submodel; the quantity of interest
(QoI) is the peak displacement :math:`\max_t |u(x_q, t)|` at the centre of the zone; its
distribution is compared with a fresh full-model reference (Kolmogorov–Smirnov distance,
mean, standard deviation).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.interpolate import CubicSpline
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..models.transport import sliced_wasserstein

# --------------------------------------------------------------------------------------
# Paper numbers (WGAN-GP defaults of Gulrajani et al. 2017; the paper gives no table)
# --------------------------------------------------------------------------------------

GP_LAMBDA = 10.0        # gradient-penalty weight λ, Eq. (2)
N_CRITIC = 5            # critic steps per generator step
ADAM_LR = 1e-4
ADAM_BETAS = (0.5, 0.9)
PCA_VARIANCE = 0.99     # variance kept by the linear baseline

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    n_cells: int = 100            # grid intervals on [0, 1]
    t_end: float = 1.5            # final time (a wave crosses the bar 1.5 times)
    n_t: int = 64                 # samples per boundary signal
    per: int = 4                  # solver steps between two samples
    zone: tuple[float, float] = (0.56, 0.8)   # Ω_s
    x_q: float = 0.68             # QoI location
    inclusion: tuple[float, float] = (0.35, 0.5)
    c2: tuple[float, float] = (0.7, 1.3)      # inclusion wave speed ~ U
    left: tuple[float, float] = (0.1, 0.25)   # left impact site ~ U
    right: tuple[float, float] = (0.92, 0.96)  # right impact site ~ U
    p_left: float = 0.5
    t0: tuple[float, float] = (0.0, 0.5)      # onset ~ U
    amp_sigma: float = 0.3        # amplitude ~ LogNormal(0, σ)
    width: float = 0.02           # spatial std of the impact
    f0: float = 5.0               # Ricker peak frequency
    n_train: int = 2000           # full-model runs for training
    n_ref: int = 2000             # full-model runs for the reference
    n_gen: int = 2000             # generated signals per generator
    d_z: int = 8
    g_hidden: tuple[int, ...] = (128, 256)
    d_hidden: tuple[int, ...] = (256, 128)
    batch: int = 128
    gen_steps: int = 1200
    n_critic: int = N_CRITIC
    lr: float = 1e-3              # ci: 10x the WGAN-GP default, to converge in 1200 steps
    gp_lambda: float = GP_LAMBDA
    n_projections: int = 200
    per_component: bool = True    # standardise each signal component (else one global scale)

    def check(self) -> None:
        require(self.n_cells >= 20 and self.n_t >= 4 and self.per >= 1, "grid too small")
        a, b = self.zone
        require(0 < a < self.x_q < b < 1, "need 0 < a < x_q < b < 1")
        reach = 5 * self.width  # the load's support
        require(self.inclusion[1] < a and self.left[1] + reach < a and self.right[0] - reach > b
                and self.right[1] < 1, "the loads and the inclusion must lie outside Ω_s")
        require(0 <= self.p_left <= 1, "p_left must be a probability")
        require(min(self.n_train, self.n_ref, self.n_gen, self.batch, self.gen_steps) >= 1,
                "sizes must be >= 1")
        require(self.cfl <= 0.95, f"CFL number {self.cfl:.3f} too large: raise per or n_t")

    @property
    def n_steps(self) -> int:
        return (self.n_t - 1) * self.per

    @property
    def dt(self) -> float:
        return self.t_end / self.n_steps

    @property
    def dx(self) -> float:
        return 1.0 / self.n_cells

    @property
    def cfl(self) -> float:
        return max(1.0, self.c2[1]) * self.dt / self.dx


CONFIGS = Profiles(
    ci=Config(),
    full=Config(n_train=10000, n_ref=10000, n_gen=10000, gen_steps=20000, lr=ADAM_LR,
                batch=256, g_hidden=(256, 512), d_hidden=(512, 256)),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from timings on this 2-core machine at 1 thread: the solver costs ≈ 1.7e-8 s
    per run × step × node (full model: all nodes; submodel: the zone's); one generator step
    (with its ``n_critic`` critic steps and penalties) ≈ 31 ms at the ci widths and batch on
    one CPU core, ≈ 15 ms on a GPU at the full widths (launch-bound); + 6 s of imports."""
    steps, nodes = cfg.n_steps, cfg.n_cells + 1
    sub_nodes = int(round((cfg.zone[1] - cfg.zone[0]) / cfg.dx)) + 1
    solver = 1.7e-8 * steps * (nodes * (cfg.n_train + cfg.n_ref + 64)
                               + sub_nodes * (4 * cfg.n_gen + cfg.n_ref + 64))
    gan_step = 0.031 * (cfg.batch / 128) * (cfg.n_critic / N_CRITIC)
    if cfg.g_hidden[-1] > 256:  # full profile: on a GPU
        gan_step = 0.015
    return solver + cfg.gen_steps * gan_step + 6.0


# --------------------------------------------------------------------------------------
# Full model and submodel, Eq. (1)
# --------------------------------------------------------------------------------------


@dataclass
class Inputs:
    """Uncertain inputs of ``n`` full-model runs."""

    x_c: np.ndarray   # impact centre
    t0: np.ndarray    # impact onset
    amp: np.ndarray   # impact amplitude
    c2: np.ndarray    # inclusion wave speed
    left: np.ndarray  # True: impact on the left site

    def __len__(self) -> int:
        return len(self.x_c)


def sample_inputs(n: int, cfg: Config, rng: np.random.Generator) -> Inputs:
    """``n`` i.i.d. draws of the uncertain inputs."""
    left = rng.random(n) < cfg.p_left
    x_c = np.where(left, rng.uniform(*cfg.left, n), rng.uniform(*cfg.right, n))
    return Inputs(x_c=x_c, t0=rng.uniform(*cfg.t0, n), amp=rng.lognormal(0.0, cfg.amp_sigma, n),
                  c2=rng.uniform(*cfg.c2, n), left=left)


def grid(cfg: Config) -> np.ndarray:
    return np.linspace(0.0, 1.0, cfg.n_cells + 1)


def node(cfg: Config, x: float) -> int:
    return int(round(x / cfg.dx))


def zone_nodes(cfg: Config) -> tuple[int, int]:
    """Indices of the two boundary nodes of Ω_s."""
    return node(cfg, cfg.zone[0]), node(cfg, cfg.zone[1])


def times(cfg: Config) -> np.ndarray:
    return np.arange(cfg.n_steps + 1) * cfg.dt


def ricker(t: np.ndarray, f0: float) -> np.ndarray:
    """Ricker wavelet ``(1 − 2(π f₀ t)²) exp(−(π f₀ t)²)``."""
    a = (np.pi * f0 * t) ** 2
    return (1 - 2 * a) * np.exp(-a)


def wave_speed(inp: Inputs, cfg: Config) -> np.ndarray:
    """``c(x)`` of every run ``(n, n_cells + 1)``: 1, and ``c₂`` on the inclusion."""
    x = grid(cfg)
    inside = (x >= cfg.inclusion[0]) & (x < cfg.inclusion[1])
    return np.where(inside[None], inp.c2[:, None], 1.0)


def load_shape(inp: Inputs, cfg: Config) -> np.ndarray:
    """Spatial profile of the impact ``(n, nodes)``: a Gaussian truncated at 5 widths (compact
    support, so that the load is exactly zero in Ω_s)."""
    d = grid(cfg)[None] - inp.x_c[:, None]
    return np.where(np.abs(d) < 5 * cfg.width, np.exp(-0.5 * (d / cfg.width) ** 2), 0.0)


def full_model(inp: Inputs, cfg: Config, record) -> np.ndarray:
    """Run Eq. (1) on the whole bar for every input (vectorised over runs); return ``u`` at
    the grid nodes ``record`` at every time step, ``(n, n_steps + 1, len(record))``."""
    record = np.atleast_1d(np.asarray(record))
    n, m = len(inp), cfg.n_cells + 1
    r2 = (wave_speed(inp, cfg) * cfg.dt / cfg.dx) ** 2
    shape = load_shape(inp, cfg) * (inp.amp[:, None] * cfg.dt ** 2)
    delay = inp.t0 + 1.2 / cfg.f0  # the wavelet starts (≈ 1e-6 of its peak) at t0
    r2, shape = r2[:, 1:-1], shape[:, 1:-1]
    u_prev, u = np.zeros((n, m)), np.zeros((n, m))
    lap = np.empty((n, m - 2))
    out = np.empty((n, cfg.n_steps + 1, len(record)))
    out[:, 0] = 0.0
    t = times(cfg)
    for k in range(cfg.n_steps):
        np.subtract(u[:, 2:] + u[:, :-2], 2 * u[:, 1:-1], out=lap)
        lap *= r2
        lap += shape * ricker(t[k] - delay, cfg.f0)[:, None]
        # Eq. (1), written into u_prev (which becomes u^{k+1}); the ends stay 0
        u_prev[:, 1:-1] = 2 * u[:, 1:-1] - u_prev[:, 1:-1] + lap
        u_prev, u = u, u_prev
        out[:, k + 1] = u[:, record]
    return out


def submodel(g: np.ndarray, cfg: Config, record=None) -> np.ndarray:
    """Run Eq. (1) on Ω_s only (c = 1, no load there), with the Dirichlet data ``g``
    ``(n, n_steps + 1, 2)`` (left and right boundary displacement at every step). Returns ``u``
    at the grid nodes ``record`` (default: all nodes of Ω_s), ``(n, n_steps + 1, ·)``."""
    g = np.asarray(g, dtype=np.float64)
    if g.ndim != 3 or g.shape[1:] != (cfg.n_steps + 1, 2):
        raise ValueError(f"g must have shape (n, {cfg.n_steps + 1}, 2), got {g.shape}")
    ia, ib = zone_nodes(cfg)
    record = np.arange(ia, ib + 1) if record is None else np.atleast_1d(np.asarray(record))
    if record.min() < ia or record.max() > ib:
        raise ValueError("submodel can only record nodes of the zone of interest")
    local = record - ia
    n, m = len(g), ib - ia + 1
    r2 = (cfg.dt / cfg.dx) ** 2
    u_prev, u = np.zeros((n, m)), np.zeros((n, m))
    u[:, 0], u[:, -1] = g[:, 0, 0], g[:, 0, 1]
    out = np.empty((n, cfg.n_steps + 1, len(record)))
    out[:, 0] = u[:, local]
    for k in range(cfg.n_steps):
        u_next = np.empty_like(u)
        u_next[:, 1:-1] = (2 * u[:, 1:-1] - u_prev[:, 1:-1]               # Eq. (1)
                           + r2 * (u[:, 2:] - 2 * u[:, 1:-1] + u[:, :-2]))
        u_next[:, 0], u_next[:, -1] = g[:, k + 1, 0], g[:, k + 1, 1]    # Dirichlet g(t)
        u_prev, u = u, u_next
        out[:, k + 1] = u[:, local]
    return out


def interpolation_matrix(cfg: Config) -> np.ndarray:
    """``(n_steps + 1, n_t)`` matrix ``P``: cubic-spline (not-a-knot) interpolation from the
    ``n_t`` signal samples to every solver step."""
    ts = times(cfg)[:: cfg.per]
    return CubicSpline(ts, np.eye(cfg.n_t), axis=0)(times(cfg))


def to_vector(g_full: np.ndarray, cfg: Config) -> np.ndarray:
    """Full-resolution signals ``(n, n_steps + 1, 2)`` → sampled vectors ``(n, 2 n_t)``
    (left signal then right signal)."""
    s = g_full[:, :: cfg.per]
    return np.concatenate([s[..., 0], s[..., 1]], axis=1)


def from_vector(v: np.ndarray, cfg: Config, P: np.ndarray | None = None) -> np.ndarray:
    """Sampled vectors ``(n, 2 n_t)`` → signals at every solver step ``(n, n_steps + 1, 2)``."""
    P = interpolation_matrix(cfg) if P is None else P
    v = np.asarray(v, dtype=np.float64).reshape(len(v), 2, cfg.n_t)
    return np.einsum("kt,nst->nks", P, v)


def qoi(u_q: np.ndarray, cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    """Peak displacement ``max_t |u(x_q, t)|`` and its time, from ``u_q`` ``(n, steps)``."""
    a = np.abs(u_q)
    return a.max(1), times(cfg)[a.argmax(1)]


# --------------------------------------------------------------------------------------
# Generators of boundary signals: standardisation, PCA-Gaussian (linear), WGAN-GP
# --------------------------------------------------------------------------------------


@dataclass
class Scaler:
    """Per-component standardisation of the signal vectors (the standard deviation floored at
    1e-3 of its largest value: components before any wave arrives are ≈ constant)."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, v: np.ndarray, per_component: bool = True) -> Scaler:
        sd = v.std(0)
        if not per_component:
            sd = np.full_like(sd, np.sqrt((sd ** 2).mean()))
        return cls(v.mean(0), np.maximum(sd, 1e-3 * sd.max()))

    def encode(self, v):
        return (v - self.mean) / self.std

    def decode(self, z):
        return z * self.std + self.mean


@dataclass
class PCAGaussian:
    """Linear baseline: ``g = ḡ + Σ_k √λ_k ξ_k φ_k``, ``ξ ~ N(0, I)``, the ``k`` leading
    principal directions of the (standardised) training signals keeping ``variance``."""

    mean: np.ndarray
    components: np.ndarray  # (k, d), orthonormal rows φ_k
    lam: np.ndarray         # (k,) variances λ_k

    @classmethod
    def fit(cls, x: np.ndarray, variance: float = PCA_VARIANCE) -> PCAGaussian:
        if not 0 < variance <= 1:
            raise ValueError(f"variance must be in (0, 1], got {variance}")
        mean = x.mean(0)
        _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
        lam = s ** 2 / (len(x) - 1)
        k = int(np.searchsorted(np.cumsum(lam) / lam.sum(), variance - 1e-12) + 1)
        return cls(mean, vt[:k], lam[:k])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        xi = rng.standard_normal((n, len(self.lam)))
        return self.mean + (xi * np.sqrt(self.lam)) @ self.components


def mlp(sizes, *, out_act: bool = False) -> nn.Sequential:
    """Linear layers with LeakyReLU(0.2) between them (no normalisation layers)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or out_act:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     eps: torch.Tensor | None = None) -> torch.Tensor:
    """``E[(‖∇_ĝ D(ĝ)‖₂ − 1)²]`` at ``ĝ = ε g + (1 − ε) G(z)`` (Eq. 2), differentiable
    (``create_graph``) so that it trains the critic."""
    if eps is None:
        eps = torch.rand(len(real), 1, device=real.device, dtype=real.dtype)
    g_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(g_hat).sum(), g_hat, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


@dataclass
class WGANLog:
    w_estimate: list[float] = field(default_factory=list)  # −(critic loss without penalty)
    penalty: list[float] = field(default_factory=list)     # gradient penalty (not × λ)
    seconds: float = 0.0


def train_wgan(x: np.ndarray, cfg: Config, *, seed: int, device, progress=None):
    """WGAN-GP on the standardised signal vectors ``x`` ``(n, d)``; returns
    ``(generator, critic, log)``. One log entry per generator step (critic values averaged
    over its ``n_critic`` steps)."""
    torch.manual_seed(seed)
    d = x.shape[1]
    G = mlp((cfg.d_z, *cfg.g_hidden, d)).to(device)
    D = mlp((d, *cfg.d_hidden, 1)).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=ADAM_BETAS)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr, betas=ADAM_BETAS)
    data = torch.as_tensor(x, dtype=torch.float32, device=device)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    log = WGANLog()
    steps = range(cfg.gen_steps)
    if progress is not None:
        steps = progress(steps, desc="WGAN-GP generator steps")
    t0 = time.perf_counter()
    for _ in steps:
        w_sum = gp_sum = 0.0
        for _ in range(cfg.n_critic):
            idx = torch.randint(len(data), (cfg.batch,), generator=gen).to(device)
            real = data[idx]
            z = torch.randn(cfg.batch, cfg.d_z, generator=gen).to(device)
            fake = G(z).detach()
            w = D(real).mean() - D(fake).mean()
            gp = gradient_penalty(D, real, fake,
                                  torch.rand(cfg.batch, 1, generator=gen).to(device))
            loss_d = -w + cfg.gp_lambda * gp                                # Eq. (2)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            w_sum += float(w.detach())
            gp_sum += float(gp.detach())
        z = torch.randn(cfg.batch, cfg.d_z, generator=gen).to(device)
        loss_g = -D(G(z)).mean()                                            # Eq. (3)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        log.w_estimate.append(w_sum / cfg.n_critic)
        log.penalty.append(gp_sum / cfg.n_critic)
    log.seconds = time.perf_counter() - t0
    return G, D, log


@torch.no_grad()
def generate(G: nn.Module, n: int, cfg: Config, *, seed: int, device) -> np.ndarray:
    """``n`` standardised signal vectors ``G(z)``, ``z ~ N(0, I)``."""
    z = torch.randn(n, cfg.d_z, generator=torch.Generator().manual_seed(seed)).to(device)
    return G(z).double().cpu().numpy()


# --------------------------------------------------------------------------------------
# Experiment: data, generators, Monte Carlo with the submodel
# --------------------------------------------------------------------------------------


def first_arrival(v: np.ndarray, cfg: Config, level: float = 0.2) -> np.ndarray:
    """Index of the sample where each boundary signal first reaches ``level`` × the largest
    amplitude of the two; ``v`` ``(n, 2 n_t)`` → ``(n, 2)``."""
    s = np.abs(np.asarray(v).reshape(len(v), 2, cfg.n_t))
    peak = s.max(axis=(1, 2), keepdims=True)
    return (s >= level * peak).argmax(2)


def side_left(v: np.ndarray, cfg: Config) -> np.ndarray:
    """Whether the wave reaches the left boundary ``a`` first (an impact from the left)."""
    arr = first_arrival(v, cfg)
    return arr[:, 0] < arr[:, 1]


@dataclass
class Results:
    cfg: Config
    exact_err: float            # max |u_sub − u_full| on Ω_s with the true signals
    exact_scale: float          # max |u_full| on Ω_s for those runs
    v_train: np.ndarray         # training signal vectors (n_train, 2 n_t)
    v_ref: np.ndarray           # reference signal vectors (n_ref, 2 n_t)
    vectors: dict               # generated signal vectors per generator
    qoi: dict                   # name -> (peak |u(x_q)|, time of peak)
    scaler: Scaler
    pca: PCAGaussian
    log: WGANLog
    sw: dict                    # sliced W2 of standardised vectors to the reference


def run_experiment(cfg: Config, *, seed: int, device, progress=None) -> Results:
    """The whole pipeline: full-model runs (training and reference), the exactness check, the
    two generators, and the submodel Monte Carlo with each of them."""
    rng = np.random.default_rng(seed)
    ia, ib = zone_nodes(cfg)
    iq = node(cfg, cfg.x_q)
    inp_train, inp_ref = sample_inputs(cfg.n_train, cfg, rng), sample_inputs(cfg.n_ref, cfg, rng)
    out_train = full_model(inp_train, cfg, [ia, ib, iq])
    out_ref = full_model(inp_ref, cfg, [ia, ib, iq])
    # submodel driven by the true signals at every step vs the full model on all of Ω_s
    few = Inputs(*(getattr(inp_train, k)[:64] for k in Inputs.__dataclass_fields__))
    u_full = full_model(few, cfg, np.arange(ia, ib + 1))
    u_sub = submodel(u_full[..., [0, -1]], cfg)
    exact_err = float(np.abs(u_sub - u_full).max())

    v_train, v_ref = to_vector(out_train[..., :2], cfg), to_vector(out_ref[..., :2], cfg)
    scaler = Scaler.fit(v_train, cfg.per_component)
    x_train, x_ref = scaler.encode(v_train), scaler.encode(v_ref)
    pca = PCAGaussian.fit(x_train)
    G, _, log = train_wgan(x_train, cfg, seed=seed, device=device, progress=progress)
    x_gen = {"WGAN-GP": generate(G, cfg.n_gen, cfg, seed=seed + 1, device=device),
             "PCA-Gaussian": pca.sample(cfg.n_gen, rng),
             "bootstrap": x_train[rng.integers(0, cfg.n_train, cfg.n_gen)]}
    vectors = {k: scaler.decode(x) for k, x in x_gen.items()}
    vectors["true (sampled)"] = v_ref  # the reference signals, sampled and interpolated
    P = interpolation_matrix(cfg)
    qois = {"full model": qoi(out_ref[..., 2], cfg)}
    for name, v in vectors.items():
        qois[name] = qoi(submodel(from_vector(v, cfg, P), cfg, record=[iq])[..., 0], cfg)
    m = min(cfg.n_gen, cfg.n_ref)
    sw = {k: sliced_wasserstein(x[:m], x_ref[:m], n_projections=cfg.n_projections, seed=seed)
          for k, x in x_gen.items()}
    return Results(cfg, exact_err, float(np.abs(u_full).max()), v_train, v_ref, vectors, qois,
                   scaler, pca, log, sw)


def ks(a, b) -> float:
    """Two-sample Kolmogorov–Smirnov distance ``sup_x |F_a(x) − F_b(x)|`` (empirical CDFs;
    the statistic of ``scipy.stats.ks_2samp``)."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / len(a)
    fb = np.searchsorted(b, x, side="right") / len(b)
    return float(np.abs(fa - fb).max())


def summary(res: Results) -> dict:
    """Per driver of the submodel: KS distances of the two QoIs to the full model, relative
    errors of the Monte Carlo mean and standard deviation of the peak, share of impacts from
    the left, sliced W2 of the signals."""
    ref_peak, ref_time = res.qoi["full model"]
    rows = {}
    for name, (peak, t) in res.qoi.items():
        if name == "full model":
            continue
        v = res.vectors[name]
        rows[name] = {"KS peak": ks(peak, ref_peak), "KS time": ks(t, ref_time),
                      "mean rel. err": abs(peak.mean() / ref_peak.mean() - 1),
                      "std rel. err": abs(peak.std() / ref_peak.std() - 1),
                      "left share": float(side_left(v, res.cfg).mean()),
                      "SW2 signals": res.sw.get(name, math.nan)}
    return rows
