r"""Wang, Lyu, Nepal, Rudolph, Grobler & Moore (2021), *Robust Training Using Natural
Transformation* (arXiv:2105.04070; a later version is titled *Adversarial Training with Natural
Transformation*).

What is implemented
-------------------
No official code was found and only the paper's abstract could be retrieved, so this follows the
abstract. **NaTra** trains a classifier :math:`f` to be robust to *natural*, class-preserving
variations (lighting, background) that a pretrained generator :math:`G` has learnt from a large
unlabelled pool:

1. **Batch inverse encoding with shifting.** Every labelled image :math:`x_i` is mapped to a code
   :math:`w_i` by the generator's encoder, then refined by gradient descent on the
   reconstruction loss :math:`\frac1n\sum_i\lVert G(w_i+\delta)-x_i\rVert^2` jointly with one
   shift :math:`\delta` shared by the batch (:func:`invert`). The paper adds a perceptual term and
   a *latent-code expansion* (per-layer codes); at 16×16 pixels we use pixel MSE only and a
   single code (not implemented: expansion).
2. **Unsupervised attribute directing (SeFa).** With :math:`A` the weight of the generator's
   first latent-to-feature layer, the directions are the top eigenvectors of :math:`A^\top A`
   (Shen & Zhou, 2021; :func:`sefa`). Of the top ``k_sefa`` directions, the ``k_keep`` ones that
   least move a linear label probe on the codes are kept (class-independent attributes).
3. **Manipulation** in residual form, :math:`\tilde x = x + G(w+D\alpha) - G(w)`, with
   :math:`\lvert\alpha_k\rvert \le \epsilon\,\sigma_k` (:math:`\sigma_k` the spread of the pool's
   codes along :math:`d_k`).
4. **Adversarial training.** Per batch, :math:`\alpha` maximises the classifier's loss by a few
   steps of projected signed-gradient ascent from a random start; the classifier minimises
   :math:`\mathrm{CE}(f(x),y)+\mathrm{CE}(f(\tilde x),y)` (:func:`train_classifier`).

**Generator.** The paper uses a large pretrained StyleGAN-family model. Here the generator is a
small convolutional auto-encoder trained in the chapter on an unlabelled pool of procedural scenes
that covers the whole range of nuisances (its decoder's first layer ``Linear(z_dim → 32·4·4)`` is
the :math:`A` that SeFa factorises). An auto-encoder's code has no prior, so its first layer's
spectrum says nothing about which directions vary in the data; :func:`whiten_latent` gives it the
N(0, I) prior of a GAN by folding the pool codes' whitening into the encoder's last and the
decoder's first layer (reconstructions unchanged). Without it the SeFa directions spanned the
lighting no better than random ones. The SeFa directions of a real pretrained GAN — the 64×64
DCGAN face generator of :mod:`nonlinlab.models.dcgan`, trained on synthetic DigiFace-1M faces —
are shown too (:func:`face_traversals`).

**Data** (:func:`render`). 16×16 grey scenes: one of four shapes (disk, square, triangle, cross),
random position and size, on a background of level :math:`b`, under a directional lighting
gradient of angle :math:`\theta` and strength :math:`s` (an additive ramp). The labelled training
set sees only weak lighting from the right (:math:`\lvert\theta\rvert\le\pi/4`,
:math:`s\le 0.1`); the out-of-distribution test set has strong lighting (:math:`1\le s\le 2`)
from any side, and the unlabelled pool every strength up to 2. The lighting is then the largest
variation of the pool, and the top two SeFa directions of the whitened generator are its two
components.

**Baselines.** ERM; standard augmentation (random brightness, contrast and noise); latent-random (a
random latent perturbation, no adversary, no SeFa: a step in a uniformly random direction of the
*whole* latent space, fresh for every image, of norm :math:`\lVert\epsilon\sigma\rVert`, the length
of the box's vertices, where the adversary's signed ascent ends; :func:`random_latent_step`); an
oracle augmentation (the simulator re-renders each training scene with random lighting from the
full range — meant as an upper bound, which NaTra reaches); and two ablations: latent-random in the
SeFa box (uniform :math:`\alpha` in NaTra's own box along the kept directions: NaTra without its
adversary) and NaTra with random orthonormal latent directions instead of SeFa's. NaTra and
latent-random, the headline pair, are each trained ``n_rep`` times (2) and their accuracies
averaged, which halves the variance of a single training (:func:`run_methods`).

**Latent size.** The code has 64 dimensions, of which the lighting occupies two, so a random
latent direction puts on average 2/64 of its squared length into the lighting — as for a StyleGAN,
whose 512-D latent holds a few attribute directions among many. With a 32-D code the random
perturbation came within 0.025–0.051 of NaTra's test-OOD accuracy (see the chapter's Discussion).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require

SHAPES = ("disk", "square", "triangle", "cross")
METHODS = ("ERM", "augmentation", "latent-random", "latent-random (SeFa box)", "NaTra",
           "NaTra (random directions)", "oracle")
REPEATED = ("latent-random", "NaTra")  # the headline pair: n_rep trainings each, averaged

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    size: int = 16             # image side (pixels)
    n_pool: int = 4000         # unlabelled pool U (full nuisance range): trains the generator
    n_train: int = 400         # labelled set L (weak lighting from the right)
    n_test: int = 2000         # each of test-ID and test-OOD
    s_train: float = 0.1       # max lighting strength in L and test-ID
    s_ood: tuple = (1.0, 2.0)  # lighting strength range of test-OOD (any angle)
    z_dim: int = 64            # generator latent size (the lighting spans 2 of its directions)
    whiten: bool = True        # re-parameterise the code to a N(0, I) prior (GAN-like)
    gen_steps: int = 400       # auto-encoder training steps (batch 128, Adam 2e-3)
    inv_steps: int = 20        # code refinement steps of the inversion
    k_sefa: int = 5            # SeFa directions considered
    k_keep: int = 2            # kept: the most class-independent ones
    eps: float = 2.0           # |alpha_k| <= eps * sigma_k
    pga_steps: int = 2         # projected gradient ascent steps on alpha
    clf_steps: int = 250       # classifier training steps
    batch: int = 64
    lr: float = 2e-3
    width: int = 16            # classifier channels
    n_rep: int = 2             # trainings averaged for NaTra and latent-random (same for both)

    def check(self) -> None:
        require(self.size % 4 == 0 and self.size >= 12, "size must be a multiple of 4, >= 12")
        require(min(self.n_pool, self.n_train, self.n_test) >= 16, "data sets need >= 16 images")
        require(1 <= self.k_keep <= self.k_sefa <= self.z_dim,
                "need 1 <= k_keep <= k_sefa <= z_dim")
        require(self.eps > 0 and self.lr > 0, "eps and lr must be > 0")
        require(min(self.gen_steps, self.clf_steps, self.batch, self.width) >= 1,
                "steps, batch and width must be >= 1")
        require(self.inv_steps >= 0 and self.pga_steps >= 0, "inv_steps, pga_steps must be >= 0")
        require(self.n_rep >= 1, "n_rep must be >= 1")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(size=32, n_pool=20000, n_train=2000, n_test=5000, z_dim=64, gen_steps=5000,
                inv_steps=100, k_sefa=8, k_keep=2, pga_steps=5, clf_steps=3000, batch=128,
                width=32),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from the ci run on one core of this (loaded) machine: a generator step (batch
    128, 16², z_dim 64) ≈ 11 ms, a classifier step (batch 64) ≈ 12 ms; ERM, augmentation and the
    oracle cost one step each, a latent-random run 1.5 (decoder passes), a NaTra run 1.25 ×
    (1 + pga_steps); NaTra and latent-random run n_rep times, their ablations (SeFa box, random
    directions) once. Cost ∝ pixels × width and batch.
    Full: on a GPU, ≈ 30× faster."""
    px = (cfg.size / 16) ** 2 * (cfg.width / 16)
    gen = cfg.gen_steps * 11e-3 * (cfg.size / 16) ** 2 * (cfg.z_dim / 64) ** 0.5
    per = 12e-3 * px * cfg.batch / 64
    natra = 1.25 * (1 + cfg.pga_steps)
    clf = cfg.clf_steps * per * (3 + (1 + cfg.n_rep) * (1.5 + natra))
    inv = cfg.inv_steps * cfg.n_train / 400 * 30e-3 * (cfg.size / 16) ** 2
    total = gen + clf + inv
    if cfg.size > 16:
        total /= 30
    return total + 8.0  # imports, data, the face generator's traversals


# --------------------------------------------------------------------------------------
# Procedural scenes (the simulator)
# --------------------------------------------------------------------------------------


def render(shape: np.ndarray, cx, cy, r, theta, s, bg, size: int = 16) -> np.ndarray:
    """Render scenes, vectorised over the first axis. ``shape`` ∈ {0..3}; centre (cx, cy) and
    half-size r in pixels; lighting gain 1 + s·g with g = (u cos θ + v sin θ)/√2 ∈ [−1, 1];
    background level bg. Returns (n, 1, size, size) float32."""
    shape = np.asarray(shape)
    if shape.size and (shape.min() < 0 or shape.max() >= len(SHAPES)):
        raise ValueError(f"shape must be in 0..{len(SHAPES) - 1}")
    c = np.arange(size) + 0.5
    yy, xx = np.meshgrid(c, c, indexing="ij")
    dx = xx[None] - np.asarray(cx)[:, None, None]
    dy = yy[None] - np.asarray(cy)[:, None, None]
    r = np.asarray(r)[:, None, None]
    disk = (dx**2 + dy**2 <= r**2)
    square = (np.abs(dx) <= 0.85 * r) & (np.abs(dy) <= 0.85 * r)
    tri = (dy <= 0.8 * r) & (dy >= -r + 2 * np.abs(dx))     # apex up
    cross = ((np.abs(dx) <= 0.35 * r) | (np.abs(dy) <= 0.35 * r)) & (np.abs(dx) <= r) & (
        np.abs(dy) <= r)
    masks = np.stack([disk, square, tri, cross], 1)          # (n, 4, H, W)
    mask = masks[np.arange(len(shape)), shape].astype(np.float32)
    u, v = (xx / size) * 2 - 1, (yy / size) * 2 - 1
    th = np.asarray(theta)[:, None, None]
    g = (u[None] * np.cos(th) + v[None] * np.sin(th)) / math.sqrt(2)
    bgv = np.asarray(bg)[:, None, None]
    img = bgv + (1 - bgv) * mask + np.asarray(s)[:, None, None] * g  # scene + lighting ramp
    return img[:, None].astype(np.float32)


def sample_scenes(n: int, rng: np.random.Generator, *, theta_range=(0.0, 2 * math.pi),
                  s_range=(0.0, 0.9), size: int = 16, shape=None) -> dict:
    """Draw n scenes: random shape, position (±3 px at 16 px), size and background in [0, 0.3];
    lighting angle and strength uniform in the given ranges. Returns the images, labels and the
    nuisance parameters (the planted truth)."""
    k = size / 16
    p = {"shape": rng.integers(0, len(SHAPES), n) if shape is None else np.asarray(shape),
         "cx": size / 2 + rng.uniform(-3, 3, n) * k, "cy": size / 2 + rng.uniform(-3, 3, n) * k,
         "r": rng.uniform(2.5, 4.0, n) * k, "bg": rng.uniform(0.0, 0.3, n),
         "theta": rng.uniform(*theta_range, n), "s": rng.uniform(*s_range, n)}
    x = render(p["shape"], p["cx"], p["cy"], p["r"], p["theta"], p["s"], p["bg"], size)
    return {"x": torch.from_numpy(x), "y": torch.from_numpy(p["shape"]).long(), **p}


def rerender(d: dict, rng: np.random.Generator, s_max: float, size: int) -> torch.Tensor:
    """Oracle natural transformation: the same scenes under new random lighting."""
    n = len(d["y"])
    x = render(d["shape"], d["cx"], d["cy"], d["r"], rng.uniform(0, 2 * math.pi, n),
               rng.uniform(0, s_max, n), d["bg"], size)
    return torch.from_numpy(x)


def make_data(cfg: Config, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    right = (-math.pi / 4, math.pi / 4)
    return {
        "pool": sample_scenes(cfg.n_pool, rng, s_range=(0.0, cfg.s_ood[1]), size=cfg.size),
        "train": sample_scenes(cfg.n_train, rng, theta_range=right, s_range=(0, cfg.s_train),
                               size=cfg.size),
        "test_id": sample_scenes(cfg.n_test, rng, theta_range=right, s_range=(0, cfg.s_train),
                                 size=cfg.size),
        "test_ood": sample_scenes(cfg.n_test, rng, s_range=cfg.s_ood, size=cfg.size),
    }


# --------------------------------------------------------------------------------------
# Generator (auto-encoder) and SeFa
# --------------------------------------------------------------------------------------


class AutoEncoder(nn.Module):
    """Encoder conv(16, s2) → conv(32, s2) → linear → z; decoder ``first`` = Linear(z → 32·q²)
    (the matrix A of SeFa) → ReLU → two transposed convolutions back to size² (q = size/4)."""

    def __init__(self, z_dim: int = 16, size: int = 16):
        super().__init__()
        q = size // 4
        self.q = q
        self.enc = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1),
                                 nn.ReLU(), nn.Flatten(), nn.Linear(32 * q * q, z_dim))
        self.first = nn.Linear(z_dim, 32 * q * q)
        self.dec = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(16, 1, 4, 2, 1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.enc(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.dec(self.first(z).view(-1, 32, self.q, self.q))

    def first_layer_weight(self) -> torch.Tensor:
        """A with shape (z_dim, features), the layout of the DCGAN's ``first_layer_weight``."""
        return self.first.weight.T


def train_generator(x: torch.Tensor, cfg: Config, *, seed: int, device="cpu") -> AutoEncoder:
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    ae = AutoEncoder(cfg.z_dim, cfg.size).to(device)
    opt = torch.optim.Adam(ae.parameters(), lr=2e-3)
    x = x.to(device)
    for _ in range(cfg.gen_steps):
        idx = torch.randint(0, len(x), (128,), generator=g)
        xb = x[idx]
        loss = F.mse_loss(ae.decode(ae.encode(xb)), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return ae.eval().requires_grad_(False)


@torch.no_grad()
def whiten_latent(ae: AutoEncoder, x_pool: torch.Tensor) -> AutoEncoder:
    """Give the auto-encoder a GAN-like prior: re-parameterise its code so that the pool's codes
    have zero mean and identity covariance, u = Λ^{-1/2} Vᵀ (z − μ), by folding the map into the
    encoder's last layer and the decoder's first layer (the decoded images do not change). The
    first layer's weight becomes A V Λ^{1/2}, so SeFa's A^T A measures feature change per unit
    of the prior's spread, as for a GAN with z ~ N(0, I). In place; returns ``ae``."""
    z = ae.encode(x_pool).double()
    mu = z.mean(0)
    lam, V = torch.linalg.eigh(torch.cov(z.T))
    lam = lam.clamp_min(1e-8 * lam.max())
    T = V * lam.sqrt()                      # z = μ + T u
    Ti = (V / lam.sqrt()).T                 # u = Ti (z − μ)
    lin, first = ae.enc[-1], ae.first
    W, b = lin.weight.double(), lin.bias.double()
    lin.weight.copy_((Ti @ W).float())
    lin.bias.copy_((Ti @ (b - mu)).float())
    Wf, bf = first.weight.double(), first.bias.double()
    first.bias.copy_((bf + Wf @ mu).float())
    first.weight.copy_((Wf @ T).float())
    return ae


def sefa(weight: torch.Tensor, k: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Closed-form factorisation (SeFa). ``weight`` is A laid out (z_dim, features), i.e.
    Δfeatures = weight.T @ Δz. Returns (directions (k, z_dim), eigenvalues),
    the top eigenvectors of AᵀA = weight @ weight.T, unit-norm, in decreasing eigenvalue order."""
    if weight.dim() != 2:
        raise ValueError(f"weight must be 2-D (z_dim, features), got {tuple(weight.shape)}")
    W = weight.detach().double()
    evals, evecs = torch.linalg.eigh(W @ W.T)               # AᵀA n = λ n (SeFa Eq. 4)
    order = torch.argsort(evals, descending=True)[:k]
    return evecs[:, order].T.float(), evals[order].float()


def random_directions(k: int, z_dim: int, seed: int) -> torch.Tensor:
    q, _ = torch.linalg.qr(torch.randn(z_dim, k, generator=torch.Generator().manual_seed(seed)))
    return q.T.contiguous()


def random_latent_step(n: int, z_dim: int, norm: float, g: torch.Generator) -> torch.Tensor:
    """n latent steps of length ``norm``, each in a uniformly random direction of the whole
    latent space (a normalised Gaussian draw): the latent-random baseline's perturbation."""
    d = torch.randn(n, z_dim, generator=g)
    return d / d.norm(dim=1, keepdim=True) * norm


def invert(ae: AutoEncoder, x: torch.Tensor, steps: int, *, lr: float = 0.05, batch: int = 400):
    """Batch inverse encoding with shifting: encoder codes, then ``steps`` Adam steps on the
    per-image codes and one shift per batch. Returns (codes incl. the shift, mse_encoder,
    mse_refined)."""
    out, mse0, mse1 = [], 0.0, 0.0
    for i in range(0, len(x), batch):
        xb = x[i:i + batch]
        w = ae.encode(xb).detach().clone().requires_grad_(True)
        delta = torch.zeros(1, w.shape[1], requires_grad=True)
        with torch.no_grad():
            mse0 += F.mse_loss(ae.decode(w), xb, reduction="sum").item()
        opt = torch.optim.Adam([w, delta], lr=lr)
        for _ in range(steps):
            loss = F.mse_loss(ae.decode(w + delta), xb)     # ‖G(w_i + δ) − x_i‖²
            opt.zero_grad()
            loss.backward()
            opt.step()
        wf = (w + delta).detach()
        with torch.no_grad():
            mse1 += F.mse_loss(ae.decode(wf), xb, reduction="sum").item()
        out.append(wf)
    n = x.numel()
    return torch.cat(out), mse0 / n, mse1 / n


def class_probe_shift(z: torch.Tensor, y: torch.Tensor, dirs: torch.Tensor,
                      ridge: float = 1e-2) -> torch.Tensor:
    """How much each direction moves a linear label probe (ridge regression of one-hot labels on
    standardised codes): ‖Pᵀ d_k‖ per unit of the codes' spread along d_k."""
    zc = z - z.mean(0)
    Y = F.one_hot(y, len(SHAPES)).float()
    gram = zc.T @ zc + ridge * len(z) * torch.eye(z.shape[1])
    P = torch.linalg.solve(gram, zc.T @ (Y - Y.mean(0)))
    sigma = (zc @ dirs.T).std(0)
    return (dirs @ P).norm(dim=1) * sigma


# --------------------------------------------------------------------------------------
# Classifier and training with (natural) transformations
# --------------------------------------------------------------------------------------


class SmallCNN(nn.Module):
    def __init__(self, width: int = 16, size: int = 16):
        super().__init__()
        q = size // 4
        self.net = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(),
                                 nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * width * q * q, 4))

    def forward(self, x):
        return self.net(x)


def residual_shift(ae, x, z, step):
    """x + G(w + step) − G(w): a latent step applied in residual form."""
    return x + ae.decode(z + step) - ae.decode(z)


def natural_transform(ae, x, z, alpha, dirs):
    """x̃ = x + G(w + Dα) − G(w) (residual form)."""
    return residual_shift(ae, x, z, alpha @ dirs)


def pga_alpha(f, ae, x, y, z, dirs, bound, steps: int, g: torch.Generator):
    """Worst-case α in the box |α_k| ≤ bound_k: random start, ``steps`` signed ascent steps."""
    alpha = (torch.rand(len(x), len(dirs), generator=g) * 2 - 1) * bound
    for _ in range(steps):
        alpha.requires_grad_(True)
        loss = F.cross_entropy(f(natural_transform(ae, x, z, alpha, dirs)), y)
        (grad,) = torch.autograd.grad(loss, alpha)
        alpha = torch.maximum(torch.minimum(alpha.detach() + 0.5 * bound * grad.sign(), bound),
                              -bound)
    return alpha.detach()


def train_classifier(method: str, data: dict, cfg: Config, *, seed: int, ae=None, z=None,
                     dirs=None, bound=None) -> SmallCNN:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed + 1)
    tr = data["train"]
    x, y = tr["x"], tr["y"]
    f = SmallCNN(cfg.width, cfg.size)
    opt = torch.optim.Adam(f.parameters(), lr=cfg.lr)
    if method == "oracle":
        x_or = torch.stack([rerender(tr, rng, cfg.s_ood[1], cfg.size) for _ in range(8)])
    for t in range(cfg.clf_steps):
        idx = torch.randint(0, len(x), (cfg.batch,), generator=g)
        xb, yb = x[idx], y[idx]
        if method == "ERM":
            xt = xb
        elif method == "augmentation":
            a = 1 + 0.4 * (torch.rand(len(xb), 1, 1, 1, generator=g) * 2 - 1)
            b = 0.2 * (torch.rand(len(xb), 1, 1, 1, generator=g) * 2 - 1)
            xt = a * xb + b + 0.05 * torch.randn(xb.shape, generator=g)
        elif method == "oracle":
            xt = x_or[t % 8][idx]
        else:
            zb = z[idx]
            if method == "latent-random":
                # a random direction of the whole latent space, fresh per image, of the length
                # of the box's vertices (where the adversary's projected signed ascent ends)
                step = random_latent_step(len(xb), z.shape[1], float(bound.norm()), g)
            elif method == "latent-random (SeFa box)":  # NaTra's box, no adversary
                step = ((torch.rand(len(xb), len(dirs), generator=g) * 2 - 1) * bound) @ dirs
            else:  # NaTra, with SeFa or random directions (dirs decides)
                step = pga_alpha(f, ae, xb, yb, zb, dirs, bound, cfg.pga_steps, g) @ dirs
            with torch.no_grad():
                xt = residual_shift(ae, xb, zb, step)
        loss = F.cross_entropy(f(xb), yb) + F.cross_entropy(f(xt), yb)  # CE(x) + CE(x̃)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return f.eval()


@torch.no_grad()
def accuracy(f, x, y) -> float:
    return (f(x).argmax(1) == y).float().mean().item()


# --------------------------------------------------------------------------------------
# The experiment
# --------------------------------------------------------------------------------------


def prepare(cfg: Config, *, seed: int, device="cpu", direction_mode: str = "sefa") -> dict:
    """Data, generator, SeFa directions, inversion of L. ``direction_mode="random"`` replaces
    SeFa's directions with random orthonormal ones everywhere (a sabotage)."""
    data = make_data(cfg, seed)
    ae = train_generator(data["pool"]["x"], cfg, seed=seed, device=device).cpu()
    if cfg.whiten:
        whiten_latent(ae, data["pool"]["x"])
    cand, evals = sefa(ae.first_layer_weight(), cfg.k_sefa)
    if direction_mode == "random":
        cand = random_directions(cfg.k_sefa, cfg.z_dim, seed + 100)
    elif direction_mode != "sefa":
        raise ValueError("direction_mode must be 'sefa' or 'random'")
    with torch.no_grad():
        z_pool = ae.encode(data["pool"]["x"])
    z, mse_enc, mse_inv = invert(ae, data["train"]["x"], cfg.inv_steps)
    probe = class_probe_shift(z, data["train"]["y"], cand)
    keep = torch.argsort(probe)[:cfg.k_keep].sort().values
    dirs = cand[keep]
    rnd = random_directions(cfg.k_keep, cfg.z_dim, seed + 200)
    sig = lambda D: (z_pool - z_pool.mean(0)) @ D.T  # noqa: E731
    return {"data": data, "ae": ae, "cand": cand, "evals": evals, "keep": keep, "probe": probe,
            "dirs": dirs, "bound": cfg.eps * sig(dirs).std(0), "rand_dirs": rnd,
            "rand_bound": cfg.eps * sig(rnd).std(0), "z": z, "z_pool": z_pool,
            "mse_enc": mse_enc, "mse_inv": mse_inv}


def run_methods(prep: dict, cfg: Config, *, seed: int, methods=METHODS) -> dict:
    """Train each method and test it. The headline pair (NaTra, latent-random) is trained
    ``cfg.n_rep`` times (seeds seed, seed + 1000, ...) and its accuracies are the means; ``model``
    is the first run's classifier, ``ood_runs`` every run's test-OOD accuracy."""
    data = prep["data"]
    res = {}
    for m in methods:
        rnd = m == "NaTra (random directions)"
        runs = []
        for r in range(cfg.n_rep if m in REPEATED else 1):
            f = train_classifier(m, data, cfg, seed=seed + 1000 * r, ae=prep["ae"], z=prep["z"],
                                 dirs=prep["rand_dirs"] if rnd else prep["dirs"],
                                 bound=prep["rand_bound"] if rnd else prep["bound"])
            runs.append((f, accuracy(f, data["test_id"]["x"], data["test_id"]["y"]),
                         accuracy(f, data["test_ood"]["x"], data["test_ood"]["y"])))
        res[m] = {"model": runs[0][0], "id": float(np.mean([r[1] for r in runs])),
                  "ood": float(np.mean([r[2] for r in runs])), "ood_runs": [r[2] for r in runs]}
    return res


def nuisance_correlation(prep: dict) -> np.ndarray:
    """|corr| of each candidate direction's pool-code projection with the planted nuisances
    (lighting s·cos θ, s·sin θ, background) and the class (max over one-hot)."""
    pool = prep["data"]["pool"]
    proj = ((prep["z_pool"] - prep["z_pool"].mean(0)) @ prep["cand"].T).numpy()
    targets = [pool["s"] * np.cos(pool["theta"]), pool["s"] * np.sin(pool["theta"]), pool["bg"]]
    out = np.zeros((proj.shape[1], 4))
    for k in range(proj.shape[1]):
        for j, t in enumerate(targets):
            out[k, j] = abs(np.corrcoef(proj[:, k], t)[0, 1])
        onehot = np.eye(4)[pool["shape"]]
        out[k, 3] = max(abs(np.corrcoef(proj[:, k], onehot[:, c])[0, 1]) for c in range(4))
    return out


def lighting_r2(prep: dict, dirs: torch.Tensor) -> float:
    """R² of a linear regression of the lighting vector (s cos θ, s sin θ) on the pool codes'
    projections onto ``dirs``: how much of the lighting the directions span."""
    pool = prep["data"]["pool"]
    P = ((prep["z_pool"] - prep["z_pool"].mean(0)) @ dirs.T).double().numpy()
    T = np.stack([pool["s"] * np.cos(pool["theta"]), pool["s"] * np.sin(pool["theta"])], 1)
    T = T - T.mean(0)
    coef, *_ = np.linalg.lstsq(P, T, rcond=None)
    return float(1 - ((T - P @ coef) ** 2).sum() / (T**2).sum())


@torch.no_grad()
def traversal(ae: AutoEncoder, z: torch.Tensor, dirs: torch.Tensor, sigma: torch.Tensor,
              steps=(-2, -1, 0, 1, 2)) -> torch.Tensor:
    """Images G(z + t σ_k d_k) for each direction k and step t: (k, len(steps), 1, H, W)."""
    zs = torch.stack([torch.stack([z + t * s * d for t in steps]) for d, s in zip(dirs, sigma,
                                                                                   strict=True)])
    return ae.decode(zs.reshape(-1, z.shape[-1])).reshape(len(dirs), len(steps),
                                                          *ae.decode(z[None]).shape[1:])


@torch.no_grad()
def face_traversals(k: int = 4, steps=(-3, 0, 3), seed: int = 0, device="cpu"):
    """SeFa on the pretrained DCGAN face generator: top-k directions, images G(z + t d_k) for one
    random z. Returns (images (k, len(steps), 3, 64, 64) in [0, 1], eigenvalues)."""
    from ..models.dcgan import load_face_generator

    G = load_face_generator(device=device)
    dirs, evals = sefa(G.first_layer_weight(), k)
    z = torch.randn(1, G.nz, generator=torch.Generator().manual_seed(seed)).to(device)
    zs = torch.cat([z + t * d.to(device) for d in dirs for t in steps])
    img = (G(zs).cpu() + 1) / 2
    return img.reshape(k, len(steps), *img.shape[1:]).clamp(0, 1), evals
