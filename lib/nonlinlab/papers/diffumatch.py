r"""Pierson, Li, Dai & Ovsjanikov (ICCV 2025), *DiffuMatch: Category-Agnostic Spectral
Diffusion Priors for Robust Non-rigid Shape Matching* (arXiv:2507.23715).

What is implemented (official code: ``daidedou/diffumatch`` — ``zero_shot.py``,
``shape_models/fmap.py``, ``diffu_models/sds.py``, ``config/matching/sds.yaml``)
------------------------------------------------------------------------------------------

**Functional maps.** Each shape has the first :math:`k` eigenpairs of :math:`W\phi=\lambda M\phi`
(cotangent stiffness :math:`W`, lumped mass :math:`M`, :math:`\Phi^\top M\Phi=I`;
:mod:`nonlinlab.models.meshes`). A point map :math:`T_{21}` (every vertex of shape 2 → a vertex
of shape 1) gives :math:`C_{21}=\Phi_2^\top M_2\Pi_{21}\Phi_1` (k × k), which maps spectral
coefficients of functions on shape 1 to shape 2. Descriptors :math:`F` (shape 1) and :math:`G`
(shape 2) give :math:`A=\Phi_1^\top M_1F`, :math:`B=\Phi_2^\top M_2G` and the map is estimated
from :math:`CA\approx B`.

**Regularised functional-map layer** (official ``fmap.py``): row :math:`i` of :math:`C` solves

.. math:: c_i=\big(AA^\top+\lambda\,\mathrm{diag}(D_{i,:})\big)^{-1}A\,b_i

with the *Laplacian* mask :math:`D_{ij}=(\lambda^{(2)}_i-\lambda^{(1)}_j)^2` (the axiomatic
commutativity regulariser) or the *diffusion* mask of DiffuMatch (:func:`diffusion_mask`): the
mean denoising residual of :math:`N` noisy copies of :math:`|C_\text{raw}|`
(:math:`C_\text{raw}` the unregularised map), divided by the mean noisy input, then
median-normalised, clamped, square-rooted and shifted to a zero minimum, as ``get_mask_noise``.

**Learned prior.** An EDM-preconditioned denoiser :math:`D_\theta(x;\sigma)` (Karras et al.
2022) trained on :math:`|C|` of ground-truth maps (absolute values remove the eigenvector sign
ambiguity; official ``abs: True``). The paper uses a DiT-S/4 on 30 × 30 maps of DFAUST humans;
here an MLP on the flattened :math:`k\times k` map (:class:`Denoiser`), trained on procedural
"category A" shapes only.

**Score distillation (SDS)** (official ``guidance_grad``): for :math:`B` noise levels
:math:`\sigma_b=0.01+u_b\,\sigma_\text{max}`, :math:`g=\frac1B\sum_b\big(|C|-D_\theta(|C|+
\sigma_b\varepsilon_b;\sigma_b)\big)` without gradient, and
:math:`L_\text{sds}=\mathrm{mean}\big((|C|-\mathrm{sg}(|C|-\eta g))^2\big)`, whose gradient is
:math:`\tfrac{2\eta}{k^2}\,g\odot\mathrm{sign}(C)`. The official code writes the target as
:math:`C-\eta g` (signed :math:`C`), which adds :math:`4C_{ij}^2` for every negative entry and
pulls all negative entries to zero; we use :math:`|C|-\eta g`, the score-distillation gradient
on :math:`|C|` that the paper describes.

**Proper-map loss** (official ``l_proper``): :math:`\mathrm{mean}((C-C_\text{zo})^2)` with
:math:`C_\text{zo}` the ZoomOut refinement (to ``k_zoomout`` eigenfunctions, truncated back to
:math:`k`) of the diffusion-mask map.

**Where this chapter differs from the paper (sizes, not ideas).** The paper optimises a
DiffusionNet feature extractor from scratch for each test pair (300 Adam steps, lr 1e-3); its
map is the unregularised least-squares map of the learned features. At the ``ci`` scale we
optimise :math:`C` itself from fixed descriptors (xyz and heat-kernel signatures), with the
descriptor term :math:`\|CA-B\|^2/d` in place of the feature network: the prior acts through
the same two channels (mask and SDS + proper loss). The paper's test sets (FAUST, SCAPE,
SHREC'19, SMAL, DT4D) and the DFAUST training maps are replaced by procedural shape families with
known correspondence: the prior is trained on deformed ellipsoids (category A) and tested
zero-shot on bent peanut shapes (category B).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.csgraph import dijkstra
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..models import meshes as ms

# --------------------------------------------------------------------------------------
# Paper numbers
# --------------------------------------------------------------------------------------

#: Defaults of the official ``config/matching/sds.yaml`` / ``fmap.py``.
PAPER_DEFAULTS = {"n_fmap": 30, "lambda_": 0.1, "batch_sds": 32, "batch_mask": 200,
                  "time": 1.0, "zoomout": 40, "n_loop": 300, "lr": 1e-3,
                  "loss_sds": 1.0, "loss_proper": 1.0}
METHODS = ("none", "ridge", "laplacian", "laplacian + proper", "diffusion mask", "diffumatch")


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    k: int = 20  # spectral size of C (paper 30)
    k_zoomout: int = 30  # ZoomOut size of the proper-map target (paper 40)
    subdivisions: int = 3  # icosphere template: 642 vertices
    n_train_shapes: int = 24  # category A shapes; all ordered pairs train the prior
    n_test_pairs: int = 12  # category B pairs (zero-shot)
    hks_times: int = 5  # descriptors: xyz + heat-kernel signatures at this many times
    # prior (EDM denoiser)
    hidden: int = 256
    depth: int = 3
    prior_steps: int = 400
    prior_batch: int = 128
    prior_lr: float = 1e-3
    ema: float = 0.995
    # matching
    lam_lap: float = 1.0  # λ of the Laplacian-mask solve
    lam_diff: float = 0.03  # λ of the diffusion-mask solve
    lam_ridge: float = 3e-3  # λ of the uniform ridge (mask of ones)
    mask_sigma: float = 1.0  # σ of the diffusion mask (official ``time``)
    mask_draws: int = 200  # N_est (official ``batch_mask``)
    sds_sigma_max: float = 0.3  # σ_max of SDS (official ``time``)
    sds_batch: int = 32
    steps: int = 40
    lr: float = 1e-2
    w_fid: float = 1.0
    w_sds: float = 1.0
    w_proper: float = 1.0
    sds_eta: float = 1.0
    zoomout_every: int = 10
    methods: tuple[str, ...] = METHODS

    def check(self) -> None:
        require(2 <= self.k < self.k_zoomout, "need 2 <= k < k_zoomout")
        require(self.subdivisions in (2, 3, 4), "subdivisions must be 2, 3 or 4")
        require(self.n_train_shapes >= 4 and self.n_test_pairs >= 1, "too few shapes")
        require(all(m in METHODS for m in self.methods), f"methods must be among {METHODS}")
        require(self.steps >= 0 and self.prior_steps >= 1, "steps must be >= 0")
        require(self.mask_draws >= 2 and self.sds_batch >= 1, "need >= 2 mask draws")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(k=30, k_zoomout=40, subdivisions=4, n_train_shapes=60, n_test_pairs=20,
                hidden=512, prior_steps=20_000, prior_batch=256, steps=300, zoomout_every=30),
)


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper. Rates measured on the shared 2-core machine (one thread, under
    load, so conservative for an idle runner): a shape's eigenpairs, descriptors ≈ 0.1 s at
    642 vertices × 30 eigenpairs (∝ n·k); the denoiser at 2e10 flop/s on the CPU (2e12 on a
    GPU, ``full``: 6 flop per parameter per example per training step, 2 per forward); one
    ZoomOut call ≈ 5e-7·n·k_zo·(k_zo − k) s (kd-tree queries); Adam + losses on C ≈ 3 ms per
    step; all-pairs Dijkstra ≈ 6e-7·n² s; point maps ≈ 5e-6·n s each. The matching runs on
    the CPU at both profiles (k × k systems, kd-trees)."""
    n = 10 * 4 ** cfg.subdivisions + 2
    kk = cfg.k * cfg.k
    params = (kk + 32) * cfg.hidden + (cfg.depth - 1) * cfg.hidden ** 2 + cfg.hidden * kk
    train_rate = 2e10 if cfg.prior_steps <= 5000 else 2e12
    n_shapes = cfg.n_train_shapes + 4 + 2 * cfg.n_test_pairs
    shapes = n_shapes * 0.1 * (n * cfg.k_zoomout) / (642 * 30)
    data = (cfg.n_train_shapes ** 2) * 2 * n * cfg.k / 1e9
    prior = cfg.prior_steps * 6 * cfg.prior_batch * params / train_rate
    zo = 5e-7 * n * cfg.k_zoomout * (cfg.k_zoomout - cfg.k)  # one ZoomOut call
    n_zo = 1 + (cfg.steps // cfg.zoomout_every if cfg.zoomout_every else 0)
    n_refined = 4  # diffumatch, laplacian + proper, and the two ablations
    per_pair = (6e-7 * n * n  # geodesics of shape 1
                + n_refined * (n_zo * zo + cfg.steps * 3e-3)
                + 2 * cfg.steps * 2 * cfg.sds_batch * params / 2e10  # SDS denoiser calls
                + 4 * 2 * cfg.mask_draws * params / 2e10  # diffusion masks
                + 8 * 5e-6 * n)  # point maps
    sampling = 30 * 2 * 2 * 64 * params / 2e10
    return 3.0 + shapes + data + prior + sampling + cfg.n_test_pairs * per_pair


# --------------------------------------------------------------------------------------
# Procedural shape families with known correspondence
# --------------------------------------------------------------------------------------

CATEGORIES = ("ellipsoid", "peanut")


def _bumps(U: np.ndarray, rng: np.random.Generator, n: int = 4, amp: float = 0.15,
           kappa: float = 4.0) -> np.ndarray:
    """Radial factor 1 + Σ a_m exp(κ(u·c_m − 1)): smooth random bumps on the unit sphere."""
    c = rng.normal(size=(n, 3))
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    a = rng.uniform(-amp, amp, n)
    return 1 + (a[None] * np.exp(kappa * (U @ c.T) - kappa)).sum(1)


def make_shape(category: str, rng: np.random.Generator, subdivisions: int = 3) -> np.ndarray:
    """Vertices of one random member of a family, on the shared icosphere triangulation (so the
    ground-truth correspondence between two members is the identity on vertex indices).

    ``ellipsoid`` (category A, trains the prior): bumpy ellipsoid with axes (1.6, 1, 0.8) ±15 %.
    ``peanut`` (category B, zero-shot test): an elongated two-lobed shape with a waist, bent
    along an arc by a random angle."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; choose one of {CATEGORIES}")
    U, _ = ms.icosphere(subdivisions)
    r = _bumps(U, rng)
    if category == "ellipsoid":
        return U * r[:, None] * (np.array([1.6, 1.0, 0.8]) * (1 + 0.15 * rng.uniform(-1, 1, 3)))
    X = U * r[:, None] * (np.array([2.2, 0.9, 0.9]) * (1 + 0.1 * rng.uniform(-1, 1, 3)))
    waist = 1 - 0.4 * np.exp(-(X[:, 0] / 0.6) ** 2)
    X[:, 1] *= waist
    X[:, 2] *= waist
    beta = rng.uniform(-0.8, 0.8)  # bending angle over the length (near-isometric)
    beta = beta if abs(beta) > 1e-3 else 1e-3
    R = np.ptp(X[:, 0]) / beta
    th = X[:, 0] / R
    return np.stack([(R - X[:, 1]) * np.sin(th), R - (R - X[:, 1]) * np.cos(th), X[:, 2]], 1)


@dataclass
class Shape:
    """A mesh with its spectrum, mass, descriptors and (lazily) geodesic distances."""

    V: np.ndarray
    F: np.ndarray
    lam: np.ndarray  # (k_basis,)
    phi: np.ndarray  # (n, k_basis), Φᵀ M Φ = I
    mass: np.ndarray  # (n,) lumped mass
    desc: np.ndarray = field(default=None, repr=False)  # (n, d)
    _geo: np.ndarray | None = field(default=None, repr=False)

    @property
    def area(self) -> float:
        return float(self.mass.sum())

    def geodesics(self) -> np.ndarray:
        """All-pairs geodesic distances, Dijkstra on the edge graph (edge lengths)."""
        if self._geo is None:
            self._geo = edge_geodesics(self.V, self.F)
        return self._geo


def edge_geodesics(V: np.ndarray, F: np.ndarray, sources=None) -> np.ndarray:
    """Shortest paths along mesh edges (an upper bound of the geodesic distance that converges
    to it under refinement): ``(len(sources), n)``, all vertices when ``sources`` is None."""
    E = np.concatenate([F[:, [0, 1]], F[:, [1, 2]], F[:, [2, 0]]])
    E = np.unique(np.sort(E, 1), axis=0)
    w = np.linalg.norm(V[E[:, 0]] - V[E[:, 1]], axis=1)
    G = sp.coo_matrix((w, (E[:, 0], E[:, 1])), shape=(len(V), len(V))).tocsr()
    return dijkstra(G, directed=False, indices=sources)


def descriptors(V: np.ndarray, lam: np.ndarray, phi: np.ndarray, mass: np.ndarray,
                n_hks: int) -> np.ndarray:
    """xyz (centred at the barycentre; the families share an orientation, as the aligned
    benchmarks of the paper's xyz input) and heat-kernel signatures
    ``HKS_t(x) = Σ_j exp(−λ_j t) φ_j(x)²`` at ``n_hks`` log-spaced times; every column
    scaled to unit M-norm."""
    xyz = V - (mass[:, None] * V).sum(0) / mass.sum()
    cols = [xyz]
    if n_hks:
        ts = np.geomspace(4 * np.log(10) / lam[-1], 4 * np.log(10) / lam[1], n_hks)
        cols.append((phi ** 2) @ np.exp(-np.outer(lam, ts)))
    D = np.concatenate(cols, 1)
    return D / np.sqrt((mass[:, None] * D ** 2).sum(0))


def make_shapes(category: str, n: int, cfg: Config, rng: np.random.Generator) -> list[Shape]:
    out = []
    _, F = ms.icosphere(cfg.subdivisions)
    for _ in range(n):
        V = make_shape(category, rng, cfg.subdivisions)
        lam, phi = ms.laplace_beltrami_basis(V, F, cfg.k_zoomout)
        mass = np.asarray(ms.mass_matrix(V, F).diagonal())
        s = Shape(V, F, lam, phi, mass)
        s.desc = descriptors(V, lam, phi, mass, cfg.hks_times)
        out.append(s)
    return out


def gt_fmap(s1: Shape, s2: Shape, k: int, T21: np.ndarray | None = None) -> np.ndarray:
    """Ground-truth ``C₂₁ = Φ₂ᵀ M₂ Π Φ₁`` (k × k) of the point map ``T₂₁`` (identity by
    default: the families share the triangulation)."""
    T21 = np.arange(len(s2.V)) if T21 is None else T21
    return ms.fmap_from_p2p(T21, s1.phi[:, :k], s2.phi[:, :k], sp.diags(s2.mass))


def prior_dataset(shapes: list[Shape], k: int) -> np.ndarray:
    """|C| of every ordered pair of distinct shapes: ``(n(n−1), k, k)``, float32."""
    out = [np.abs(gt_fmap(a, b, k)) for i, a in enumerate(shapes)
           for j, b in enumerate(shapes) if i != j]
    return np.stack(out).astype(np.float32)


# --------------------------------------------------------------------------------------
# The learned prior: an EDM-preconditioned denoiser on |C|
# --------------------------------------------------------------------------------------


class Denoiser(nn.Module):
    """``D(x; σ) = c_skip x + c_out F(c_in x, c_noise)`` (EDM preconditioning, Karras et al.
    2022, Eq. 7 / Table 1) with ``F`` an MLP on the flattened k × k map and a Fourier
    embedding of ``c_noise = ln(σ)/4``."""

    def __init__(self, k: int, hidden: int = 256, depth: int = 3, sigma_data: float = 0.5,
                 n_freq: int = 16):
        super().__init__()
        self.k, self.sigma_data = k, float(sigma_data)
        self.register_buffer("freqs", torch.exp(torch.linspace(0, math.log(64), n_freq)))
        layers, d_in = [], k * k + 2 * n_freq
        for _ in range(depth):
            layers += [nn.Linear(d_in, hidden), nn.SiLU()]
            d_in = hidden
        layers.append(nn.Linear(d_in, k * k))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (self.k, self.k):
            raise ValueError(f"expected maps of shape (..., {self.k}, {self.k}), got "
                             f"{tuple(x.shape)}")
        shape = x.shape
        x = x.reshape(-1, self.k * self.k)
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1, 1)
        sigma = sigma.expand(x.shape[0], 1)
        sd = self.sigma_data
        c_skip = sd ** 2 / (sigma ** 2 + sd ** 2)
        c_out = sigma * sd / (sigma ** 2 + sd ** 2).sqrt()
        c_in = 1 / (sigma ** 2 + sd ** 2).sqrt()
        c_noise = sigma.log() / 4
        emb = c_noise * self.freqs
        h = torch.cat([c_in * x, emb.sin(), emb.cos()], 1)
        return (c_skip * x + c_out * self.net(h)).reshape(shape)


class IdentityDenoiser(nn.Module):
    """``D(x; σ) = x``: a prior that gives no guidance (sabotage / ablation)."""

    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def forward(self, x, sigma):
        return x


def edm_loss(D: Denoiser, x: torch.Tensor, gen: torch.Generator,
             P_mean: float = -1.2, P_std: float = 1.2) -> torch.Tensor:
    """EDM training loss (Eq. 8 with Table 1): ln σ ~ N(P_mean, P_std²),
    weight (σ² + σ_d²)/(σ σ_d)²."""
    n = x.shape[0]
    sigma = (torch.randn(n, 1, 1, generator=gen, device=x.device) * P_std + P_mean).exp()
    sd = D.sigma_data
    w = (sigma ** 2 + sd ** 2) / (sigma * sd) ** 2
    noise = torch.randn(x.shape, generator=gen, device=x.device) * sigma
    return (w * (D(x + noise, sigma) - x) ** 2).mean()


def train_prior(data: np.ndarray, cfg: Config, *, seed: int = 0, device="cpu",
                progress=None) -> tuple[Denoiser, list[float]]:
    """Train the denoiser on |C| maps ``(N, k, k)`` with Adam and an EMA of the weights (the
    EMA copy is returned, as the official ``ema`` network)."""
    torch.manual_seed(seed)
    gen = torch.Generator(device=device).manual_seed(seed)
    X = torch.as_tensor(data, device=device)
    D = Denoiser(cfg.k, cfg.hidden, cfg.depth, sigma_data=float(X.std())).to(device)
    ema = Denoiser(cfg.k, cfg.hidden, cfg.depth, sigma_data=float(X.std())).to(device)
    ema.load_state_dict(D.state_dict())
    opt = torch.optim.Adam(D.parameters(), lr=cfg.prior_lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.prior_lr, total_steps=cfg.prior_steps,
                                                pct_start=0.1)
    losses = []
    it = range(cfg.prior_steps)
    if progress is not None:
        it = progress(it, desc="prior")
    for _ in it:
        idx = torch.randint(len(X), (cfg.prior_batch,), generator=gen, device=device)
        loss = edm_loss(D, X[idx], gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), D.parameters(), strict=True):
                pe.lerp_(p, 1 - cfg.ema)
        losses.append(float(loss.detach()))
    ema.eval()
    return ema.requires_grad_(False), losses


@torch.no_grad()
def denoise_error(D: nn.Module, data: np.ndarray, sigma: float, seed: int = 0) -> float:
    """E‖D(x + σε; σ) − x‖² / E‖σε‖² on held-out maps (1 = no better than returning the
    noisy input)."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.as_tensor(data)
    noise = torch.randn(X.shape, generator=gen) * sigma
    return float(((D(X + noise, torch.tensor(sigma)) - X) ** 2).mean() / (noise ** 2).mean())


@torch.no_grad()
def edm_sample(D: nn.Module, n: int, k: int, *, steps: int = 30, sigma_min: float = 0.002,
               sigma_max: float = 5.0, rho: float = 7.0, seed: int = 0) -> np.ndarray:
    """Heun sampler of EDM (Algorithm 1, deterministic)."""
    gen = torch.Generator().manual_seed(seed)
    i = torch.arange(steps, dtype=torch.float64)
    t = (sigma_max ** (1 / rho) + i / (steps - 1) * (sigma_min ** (1 / rho)
                                                      - sigma_max ** (1 / rho))) ** rho
    t = torch.cat([t, torch.zeros(1, dtype=torch.float64)]).float()
    x = torch.randn(n, k, k, generator=gen) * t[0]
    for a, b in zip(t[:-1], t[1:], strict=True):
        d = (x - D(x, a)) / a
        x_new = x + (b - a) * d
        if b > 0:
            x_new = x + (b - a) * 0.5 * (d + (x_new - D(x_new, b)) / b)
        x = x_new
    return x.numpy()


def diagonal_fraction(C: np.ndarray, width: int = 1) -> np.ndarray:
    """Fraction of Σ C² within ``width`` of the diagonal (per map)."""
    C = np.asarray(C)
    k = C.shape[-1]
    band = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) <= width
    return (C ** 2 * band).sum((-1, -2)) / (C ** 2).sum((-1, -2))


# --------------------------------------------------------------------------------------
# Functional-map estimation: the regularised layer, the masks, SDS
# --------------------------------------------------------------------------------------


def spectral_descriptors(s: Shape, k: int) -> torch.Tensor:
    """``A = Φᵀ M F`` (k × d), float64."""
    return torch.as_tensor(s.phi[:, :k].T @ (s.mass[:, None] * s.desc))


def laplacian_mask(lam1: np.ndarray, lam2: np.ndarray, k: int) -> torch.Tensor:
    """``D_ij = (λ²_i − λ¹_j)²`` (rows index shape 2, columns shape 1), on eigenvalues scaled
    by the largest of the two shapes (as the official code normalises before masking)."""
    s = max(lam1[k - 1], lam2[k - 1])
    a, b = torch.as_tensor(lam2[:k] / s), torch.as_tensor(lam1[:k] / s)
    return (a[:, None] - b[None, :]) ** 2


def solve_fmap(A: torch.Tensor, B: torch.Tensor, lam: float = 0.0,
               mask: torch.Tensor | None = None) -> torch.Tensor:
    """Row-wise regularised least squares ``c_i = (AAᵀ + λ diag(D_i))⁻¹ A b_i`` (official
    ``fmap.py``); with ``lam = 0`` or no (or an all-zero) mask the minimum-norm solution
    ``B A⁺``."""
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A and B need the same number of descriptors, got {A.shape}, "
                         f"{B.shape}")
    if mask is None or lam == 0 or not bool((mask > 0).any()):
        return B @ torch.linalg.pinv(A)
    AAt = A @ A.T
    rhs = (A @ B.T).T  # (k2, k1): row i is A b_i
    systems = AAt[None] + lam * torch.diag_embed(mask)
    return torch.linalg.solve(systems, rhs.unsqueeze(-1)).squeeze(-1)


@torch.no_grad()
def diffusion_mask(D: nn.Module, C_raw: torch.Tensor, sigma: float, n_draws: int,
                   gen: torch.Generator) -> torch.Tensor:
    """DiffuMatch's mask (official ``get_mask_noise``): ``x_n = |(|C_raw| + σ ε_n)|``,
    ``r = mean_n |x_n − D(x_n)| / (2σ)`` divided by ``mean_n |x_n|``; then subtract half the
    median, clamp to [0, 2·median], square-root and shift the minimum to zero."""
    x0 = C_raw.abs().float()
    noise = torch.randn((n_draws, *x0.shape), generator=gen) * sigma
    x = (x0[None] + noise).abs()
    resid = (x - D(x, torch.tensor(sigma))).abs().mean(0) / (2 * sigma)
    m = resid / x.mean(0)
    med = m.median()
    m = (m - med / 2).clamp(0, 2 * med).sqrt()
    return (m - m.min()).double()


def sds_grad(D: nn.Module, absC: torch.Tensor, sigma_max: float, batch: int,
             gen: torch.Generator) -> torch.Tensor:
    """Official ``guidance_grad``: σ_b = 0.01 + U(0,1)·σ_max, g = mean_b(|C| − D(|C| + σ_b ε_b;
    σ_b)), no gradient through the denoiser."""
    with torch.no_grad():
        x0 = absC.detach().float()
        sigma = 0.01 + torch.rand(batch, 1, 1, generator=gen) * sigma_max
        x = x0[None] + torch.randn((batch, *x0.shape), generator=gen) * sigma
        g = (x0[None] - D(x, sigma)).mean(0)
    return torch.nan_to_num(g).double()


@dataclass
class MatchResult:
    C: np.ndarray
    T21: np.ndarray
    error: float  # mean geodesic error / sqrt(area)
    T_gt: np.ndarray
    mask: np.ndarray | None = None
    history: list[float] = field(default_factory=list)


def geodesic_error(s1: Shape, T21: np.ndarray, T21_gt: np.ndarray) -> float:
    """Mean over shape-2 vertices of d₁(T(x), T_gt(x)) / √area(shape 1) (the paper's metric,
    ×100 in its tables)."""
    return float(s1.geodesics()[T21, T21_gt].mean() / math.sqrt(s1.area))


def zoomout_target(C: np.ndarray, s1: Shape, s2: Shape, k_final: int) -> np.ndarray:
    """ZoomOut (Melzi et al. 2019) from ``C`` to ``k_final``, truncated back to ``C``'s size."""
    k = C.shape[0]
    Cz, _ = ms.zoomout(C, s1.phi[:, :k_final], s2.phi[:, :k_final], k_final)
    return Cz[:k, :k]


def match_pair(s1: Shape, s2: Shape, method: str, cfg: Config, prior: nn.Module | None,
               *, seed: int = 0, T21_gt: np.ndarray | None = None) -> MatchResult:
    """Estimate ``C₂₁`` from the descriptors with one of :data:`METHODS` and evaluate its point
    map. ``T21_gt`` (identity by default) is the ground truth used only for the error."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    k = cfg.k
    gen = torch.Generator().manual_seed(seed)
    A, B = spectral_descriptors(s1, k), spectral_descriptors(s2, k)
    mask, hist = None, []
    if method == "none":
        C = solve_fmap(A, B)
    elif method == "ridge":  # Tikhonov: a uniform mask, no structure
        mask = torch.ones(k, k, dtype=A.dtype)
        C = solve_fmap(A, B, cfg.lam_ridge, mask)
    elif method == "laplacian":
        mask = laplacian_mask(s1.lam, s2.lam, k)
        C = solve_fmap(A, B, cfg.lam_lap, mask)
    elif method == "laplacian + proper":
        mask = laplacian_mask(s1.lam, s2.lam, k)
        C = solve_fmap(A, B, cfg.lam_lap, mask)
        if cfg.steps:
            C, hist = refine(C, A, B, s1, s2, cfg, None, gen)
    else:
        if prior is None:
            raise ValueError(f"method {method!r} needs the trained prior")
        C_raw = solve_fmap(A, B)
        mask = diffusion_mask(prior, C_raw, cfg.mask_sigma, cfg.mask_draws, gen)
        C = solve_fmap(A, B, cfg.lam_diff, mask)  # C_obj
        if method == "diffumatch" and cfg.steps:
            C, hist = refine(C, A, B, s1, s2, cfg, prior, gen)
    C = C.detach().numpy()
    T21 = ms.p2p_from_fmap(C, s1.phi, s2.phi)
    T21_gt = np.arange(len(s2.V)) if T21_gt is None else T21_gt
    return MatchResult(C, T21, geodesic_error(s1, T21, T21_gt), T21_gt,
                       None if mask is None else mask.numpy(), hist)


def refine(C_obj: torch.Tensor, A: torch.Tensor, B: torch.Tensor, s1: Shape, s2: Shape,
           cfg: Config, prior: nn.Module | None, gen: torch.Generator):
    """Test-time optimisation of C (Adam, official betas): descriptor term + SDS + proper-map
    loss toward the ZoomOut refinement (recomputed every ``zoomout_every`` steps). Without a
    prior (``prior=None``) the SDS term is absent: the same refinement for an axiomatic map."""
    C = C_obj.clone().requires_grad_(True)
    opt = torch.optim.Adam([C], lr=cfg.lr, betas=(0.9, 0.99))
    d = A.shape[1]
    target = torch.as_tensor(zoomout_target(C_obj.numpy(), s1, s2, cfg.k_zoomout))
    hist = []
    for step in range(cfg.steps):
        if step and cfg.zoomout_every and step % cfg.zoomout_every == 0:
            target = torch.as_tensor(zoomout_target(C.detach().numpy(), s1, s2, cfg.k_zoomout))
        l_fid = ((C @ A - B) ** 2).sum() / d  # descriptor preservation ‖CA − B‖²/d
        l_proper = ((C - target) ** 2).mean()  # proper functional map (official l_proper)
        loss = cfg.w_fid * l_fid + cfg.w_proper * l_proper
        if prior is not None and cfg.w_sds:
            g = sds_grad(prior, C.abs(), cfg.sds_sigma_max, cfg.sds_batch, gen)
            absC = C.abs()
            l_sds = ((absC - (absC - cfg.sds_eta * g).detach()) ** 2).mean()  # SDS
            loss = loss + cfg.w_sds * l_sds
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        hist.append(float(loss.detach()))
    return C.detach(), hist


# --------------------------------------------------------------------------------------
# The experiment of the chapter
# --------------------------------------------------------------------------------------


@dataclass
class Experiment:
    train: list[Shape]
    test_pairs: list[tuple[Shape, Shape]]
    prior: nn.Module
    prior_losses: list[float]
    heldout: np.ndarray  # |C| of held-out category-A pairs
    test_gt: np.ndarray  # |C| of the category-B test pairs (never seen in training)
    results: dict  # method -> list[MatchResult]
    gt_errors: list[float]  # error of the point map of the ground-truth C (k × k)

    def errors(self, method: str) -> np.ndarray:
        return np.array([r.error for r in self.results[method]])

    def table(self) -> dict:
        return {m: float(self.errors(m).mean()) for m in self.results}


def build_data(cfg: Config, seed: int):
    """Category-A training shapes (4 held out for the prior check) and category-B test pairs.
    Test pairs: the second shape's vertices are randomly permuted (ground truth = the
    permutation), so no method can profit from the shared vertex order."""
    rng = np.random.default_rng(seed)
    train = make_shapes("ellipsoid", cfg.n_train_shapes + 4, cfg, rng)
    test = make_shapes("peanut", 2 * cfg.n_test_pairs, cfg, rng)
    pairs, perms = [], []
    for i in range(cfg.n_test_pairs):
        s1, s2 = test[2 * i], test[2 * i + 1]
        perm = rng.permutation(len(s2.V))  # new vertex j of shape 2 = old vertex perm[j]
        inv = np.argsort(perm)
        F2 = inv[s2.F]
        s2 = Shape(s2.V[perm], F2, s2.lam, s2.phi[perm], s2.mass[perm], s2.desc[perm])
        pairs.append((s1, s2))
        perms.append(perm)  # T21_gt: vertex j of shape 2 ↔ vertex perm[j] of shape 1
    return train[:-4], train[-4:], pairs, perms


def run_experiment(cfg: Config, *, seed: int = 0, device="cpu", progress=None,
                   prior: nn.Module | None = None) -> Experiment:
    """Train the prior on category A, then match every category-B test pair with every method
    of ``cfg.methods``. ``prior`` replaces the trained denoiser (e.g. :class:`IdentityDenoiser`
    to remove the prior's guidance)."""
    train, held, pairs, perms = build_data(cfg, seed)
    D, losses = train_prior(prior_dataset(train, cfg.k), cfg, seed=seed, device=device,
                            progress=progress)
    D = D.cpu()
    if prior is not None:
        D = prior
    heldout = prior_dataset(held, cfg.k)
    test_gt = np.stack([np.abs(gt_fmap(a, b, cfg.k, p)) for (a, b), p
                        in zip(pairs, perms, strict=True)]).astype(np.float32)
    results = {m: [] for m in cfg.methods}
    gt_err = []
    for i, ((s1, s2), p) in enumerate(zip(pairs, perms, strict=True)):
        C_gt = gt_fmap(s1, s2, cfg.k, p)
        gt_err.append(geodesic_error(s1, ms.p2p_from_fmap(C_gt, s1.phi, s2.phi), p))
        for m in cfg.methods:
            results[m].append(match_pair(s1, s2, m, cfg, D, seed=seed * 1000 + i, T21_gt=p))
    return Experiment(train, pairs, D, losses, heldout, test_gt, results, gt_err)


def ablations(ex: Experiment, cfg: Config, *, seed: int = 0) -> dict[str, np.ndarray]:
    """DiffuMatch on the same test pairs with one part of the prior removed: ``no prior``
    (the denoiser replaced by the identity, so the mask and the SDS gradient carry no learned
    information) and ``no SDS`` (the diffusion mask and the proper loss only)."""
    out = {}
    for name, prior, c in (("no prior", IdentityDenoiser(cfg.k), cfg),
                           ("no SDS", ex.prior, cfg.replace(w_sds=0.0))):
        errs = []
        for i, (s1, s2) in enumerate(ex.test_pairs):
            T_gt = ex.results["diffumatch"][i].T_gt
            errs.append(match_pair(s1, s2, "diffumatch", c, prior, seed=seed * 1000 + i,
                                   T21_gt=T_gt).error)
        out[name] = np.array(errs)
    return out


def kron_solve(A: np.ndarray, B: np.ndarray, lam: float, mask: np.ndarray) -> np.ndarray:
    """Oracle for :func:`solve_fmap`: the same objective ``‖CA − B‖² + λ Σ_ij D_ij C_ij²``
    solved as one least-squares problem in ``vec(C)`` (numpy ``lstsq`` of the stacked
    system ``[(Aᵀ ⊗ I); √(λD)]``)."""
    k2, k1 = B.shape[0], A.shape[0]
    top = np.kron(A.T, np.eye(k2))  # vec(CA) = (Aᵀ ⊗ I) vec(C), column-major vec
    reg = np.diag(np.sqrt(lam * mask.reshape(-1, order="F")))
    M = np.concatenate([top, reg])
    rhs = np.concatenate([B.reshape(-1, order="F"), np.zeros(k1 * k2)])
    return np.linalg.lstsq(M, rhs, rcond=None)[0].reshape(k2, k1, order="F")
