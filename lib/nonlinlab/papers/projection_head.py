r"""Xue, Gan, Ni, Joshi & Mirzasoleiman (ICLR 2024), *Investigating the Benefits of Projection
Head for Representation Learning* (arXiv:2403.11391).

No official code was found; the implementation follows the paper's text. Where we chose
details the text leaves open (MNIST and an MLP instead of CIFAR-100 and a ResNet-18, SupCon's
default temperature τ = 0.1, the head width, the probes) the chapter says so. Two parts.

**A. The linear theory, in closed form and by gradient descent.** Inputs
:math:`x\in\mathbb R^d` with :math:`\mathbb E[xx^\top]=I`; the augmentation keeps feature
:math:`i` with probability :math:`\sigma_i` and otherwise redraws it independently, so the
positive pair :math:`(x, x^+)` has cross-moment
:math:`S=\mathbb E[x x^{+\top}]=\mathrm{diag}(\sigma)`
(a small :math:`\sigma_i` = a feature the augmentation disrupts). A two-layer linear network
:math:`f(x)=W_2W_1x` (encoder :math:`W_1`, *pre-projection*; head :math:`W_2`,
*post-projection*) is trained on the spectral contrastive loss (HaoChen et al. 2021), whose
population form with :math:`W=W_2W_1`, :math:`P=W^\top W` is

.. math:: \mathcal L = -2\,\mathbb E[f(x)^\top f(x^+)] + \mathbb E[(f(x)^\top f(x'))^2]
          = -2\,\mathrm{tr}(PS) + \lVert P\rVert_F^2 .

Its minimiser over rank-:math:`\le p` PSD matrices is the top-:math:`p` part of :math:`S`
(:func:`closed_form`). Gradient descent from a small *balanced* initialisation
(:math:`W_1W_1^\top=W_2^\top W_2`, which gradient flow preserves: the implicit bias the paper
uses; :func:`balanced_init`) ends at :math:`W_1^\top W_1=P^{1/2}`: feature :math:`i` has weight
:math:`\sigma_i^{1/2}` after the head and :math:`\sigma_i^{1/4}` before it — the paper's
*layer-wise progressive feature weighting*: features become more unequal layer after layer.
:func:`train_linear` runs full-batch GD on the population loss with its exact gradient
:math:`\nabla_W\mathcal L = 4W(P-S)`. :func:`ridge_downstream_error` evaluates, in closed form,
a downstream task :math:`y=x_j` (one input feature) with a ridge probe on the representation
:math:`h=Ax` scaled to unit power: :math:`1-[G(G+\lambda I)^{-1}]_{jj}`,
:math:`G=A^\top A/\mathrm{tr}(A^\top A)`. Features the augmentation disrupts keep a larger share
of the representation before the head.

**B. Real images: supervised contrastive training on coarse labels, fine-label transfer.**
The paper's robustness experiments (CIFAR-10/100, UrbanCars, shifted ImageNet) train with
supervised contrastive loss (SupCon, Khosla et al. 2020) or cross-entropy on labels that miss
part of what the downstream task needs, e.g. coarse classes for a fine task. Here: real MNIST
digits (200 per digit in ``ci``, all 500 in ``full``), coarse label = parity of the digit, fine
label = the digit. Encoder MLP :math:`784\to h\to h` (ReLU) =
the pre-projection representation; projection head :math:`h\to h\to h` (Linear–ReLU–Linear,
:func:`nonlinlab.models.ssl.projection_head`) = post-projection; SupCon on the normalised head
outputs of two random-resized-crop views (:func:`supcon_loss`). Baselines on the same data and
schedule: *no head* (the loss on the encoder output) and the paper's *fixed re-weighting head*
:math:`z=\mathrm{diag}(1,\kappa^{-1},\dots,\kappa^{-(h-1)})\,h(x)` (:class:`ReweightHead`, not
trained); and the same encoder + learnable head trained with cross-entropy on the coarse label
(supervised learning, :func:`train_ce`). Evaluation of frozen features: cosine k-NN
(:func:`nonlinlab.models.ssl.knn_accuracy`) and linear probes (multinomial logistic regression
on standardised features, :func:`nonlinlab.models.ssl.linear_probe`) on the digit (fine), with
all training labels and with a few per digit, and on parity (coarse); the effective rank of the
feature covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, replicate_seeds, require
from ..data.mnist import load_mnist5k
from ..models.ssl import (
    few_shot_probe,
    knn_accuracy,
    linear_probe,
    projection_head,
    random_resized_crop,
)

# --------------------------------------------------------------------------------------
# Paper numbers (the paper states its results as figures and orderings; no table value is
# quoted here)
# --------------------------------------------------------------------------------------

#: Exponents of the per-feature weights in the linear theory: post-projection σ^{1/2},
#: pre-projection σ^{1/4}.
EXPONENT_POST, EXPONENT_PRE = 0.5, 0.25
#: Feature preservation probabilities of the linear demo (a feature kept with probability σ_i).
SIGMA = (0.9, 0.7, 0.5, 0.35, 0.2, 0.1)
#: SupCon temperature (Khosla et al. 2020 default).
TAU = 0.1
VARIANTS = ("head", "no head", "reweight")
#: the same encoder + learnable head trained with cross-entropy on the coarse label
#: (supervised learning, SL): a linear classifier on the head's output z
CE_VARIANT = "CE head"

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    # A. linear theory
    lin_steps: int = 20000       # GD steps on the population loss
    lin_lr: float = 0.1
    lin_init: float = 0.1        # scale ε of the balanced init
    ridge_lam: float = 0.05      # ridge penalty of the downstream probe (unit-power features)
    mc_samples: int = 200_000    # Monte-Carlo check of the population loss
    # B. images
    n_per_class: int = 200       # of the 500 MNIST digits per class (80 % train, 20 % test)
    width: int = 128             # encoder and head width h
    epochs: int = 30
    batch: int = 256
    lr: float = 1e-3
    tau: float = TAU
    kappa: float = 1.1           # fixed re-weighting head
    crop_scale: tuple = (0.5, 1.0)
    probe_wd: float = 1e-4
    knn_k: int = 10
    shots: int = 10              # labelled images per digit of the label-scarce probe
    shot_draws: int = 5          # independent label draws the label-scarce probe averages over

    def check(self) -> None:
        require(self.lin_steps >= 1 and self.lin_lr > 0 and self.lin_init > 0,
                "lin_steps, lin_lr and lin_init must be positive")
        require(self.ridge_lam > 0 and self.mc_samples >= 1000, "ridge_lam > 0, mc_samples >= 1000")
        require(10 <= self.n_per_class <= 500, "n_per_class must be in [10, 500]")
        require(min(self.width, self.epochs, self.batch) >= 1, "width, epochs, batch >= 1")
        require(self.lr > 0 and self.tau > 0 and self.kappa >= 1, "lr, tau > 0 and kappa >= 1")
        require(0 < self.crop_scale[0] <= self.crop_scale[1] <= 1, "crop_scale in (0, 1]")
        require(self.shots >= 1 and self.shot_draws >= 1, "shots and shot_draws must be >= 1")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(lin_steps=20000, n_per_class=500, width=512, epochs=100),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from the ``ci`` runs on this 2-core machine at 1 thread: linear GD ≈ 25 µs a
    step; one SupCon step (2 views, MLP of width h, batch B) ≈ B·(784·h + 3h²)·2 views·6 flops at
    ≈ 20 GFLOP/s on one core (ci; measured ≈ 4 s per model) or ≥ 300 GFLOP/s on a GPU (full,
    width ≥ 512), plus ≈ 2 ms of augmentation and overhead a step; three models are trained;
    ≈ 1 s per probe (six per model) and ≈ 0.1 s per label-scarce probe (``shot_draws`` per
    representation); 5 s of imports and data loading."""
    lin = cfg.lin_steps * 25e-6 + cfg.mc_samples * 1e-6
    n_train = int(round(0.8 * cfg.n_per_class)) * 10
    steps = cfg.epochs * -(-n_train // cfg.batch)
    flops = steps * cfg.batch * 2 * 6 * (784 * cfg.width + 3 * cfg.width ** 2)
    speed = 2e10 if cfg.width < 512 else 3e11
    # three SupCon models (2 views) and one cross-entropy model (1 view)
    return lin + 3.5 * flops / speed + 4 * steps * 2e-3 + 8 * 1.0 + 6 * cfg.shot_draws * 0.1 + 5.0


# --------------------------------------------------------------------------------------
# A. Linear theory
# --------------------------------------------------------------------------------------


def _check_sigma(sigma) -> np.ndarray:
    s = np.asarray(sigma, dtype=np.float64)
    if s.ndim != 1 or s.size == 0 or np.any(s <= 0) or np.any(s > 1):
        raise ValueError(f"sigma must be a non-empty 1-d array in (0, 1], got {sigma!r}")
    return s


def population_loss(W: np.ndarray, sigma) -> float:
    """Spectral contrastive loss −2 tr(PS) + ‖P‖_F², P = WᵀW, S = diag(σ)."""
    S = np.diag(_check_sigma(sigma))
    P = W.T @ W
    return float(-2 * np.trace(P @ S) + np.sum(P * P))


def closed_form(sigma, p: int) -> dict:
    """The minimiser P* = top-p part of S = diag(σ), and the balanced factors' Gram
    matrices: W₁ᵀW₁ = P*^{1/2} (pre), WᵀW = P* (post)."""
    s = _check_sigma(sigma)
    keep = np.zeros_like(s)
    keep[np.argsort(-s)[:p]] = 1.0
    P = np.diag(s * keep)
    return {"P": P, "pre_gram": np.diag(np.sqrt(s * keep)), "loss": float(-np.sum((s * keep) ** 2))}


def balanced_init(d: int, p: int, scale: float, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """W₁ = ε Q₁ (p×d), W₂ = ε Q₂ (p×p), Q random with orthonormal rows/columns: exactly
    balanced, W₁W₁ᵀ = W₂ᵀW₂ = ε²I (p ≤ d)."""
    if p > d:
        raise ValueError(f"need p <= d for a balanced orthogonal init, got p={p}, d={d}")
    rng = np.random.default_rng(seed)
    Q1 = np.linalg.qr(rng.standard_normal((d, d)))[0][:p]
    Q2 = np.linalg.qr(rng.standard_normal((p, p)))[0]
    return scale * Q1, scale * Q2


def train_linear(sigma, p: int, *, steps: int, lr: float, init: float, seed: int) -> dict:
    """Full-batch GD on the population loss of f(x) = W₂W₁x from a small balanced init."""
    s = _check_sigma(sigma)
    d = s.size
    S = np.diag(s)
    W1, W2 = balanced_init(d, p, init, seed=seed)
    losses = np.empty(steps)
    for t in range(steps):
        W = W2 @ W1
        P = W.T @ W
        G = 4 * W @ (P - S)                                # ∇_W L = 4W(P − S)
        W1, W2 = W1 - lr * W2.T @ G, W2 - lr * G @ W1.T    # chain rule through W = W₂W₁
        losses[t] = -2 * np.trace(P @ S) + np.sum(P * P)   # L = −2tr(PS) + ‖P‖²_F
    return {"W1": W1, "W2": W2, "losses": losses}


def feature_weights(A: np.ndarray) -> np.ndarray:
    """Weight of input feature i in the representation h = Ax: the column norm ‖A e_i‖."""
    return np.linalg.norm(A, axis=0)


def loglog_slope(sigma, weights) -> float:
    """Least-squares slope of log(weight) against log(σ)."""
    return float(np.polyfit(np.log(_check_sigma(sigma)), np.log(weights), 1)[0])


def ridge_downstream_error(A: np.ndarray, j: int, lam: float) -> float:
    """Population ridge risk min_w E(x_j − wᵀh)² + λ‖w‖² of the task y = x_j on the
    representation h = Ax/√tr(AᵀA) (unit power E‖h‖² = 1; E[xxᵀ] = I). With G = AᵀA/tr(AᵀA)
    it is 1 − [G(G + λI)⁻¹]_jj; for a diagonal G, λ/(G_jj + λ)."""
    Gm = A.T @ A / np.trace(A.T @ A)
    d = Gm.shape[0]
    # 1 − bᵀ(Σ + λI)⁻¹b with Σ = E[hhᵀ], b = E[h x_j], and the push-through identity
    return float(1 - (Gm @ np.linalg.solve(Gm + lam * np.eye(d), np.eye(d)[:, j]))[j])


def sample_pairs(sigma, n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, x⁺, x′): x, x′ ~ N(0, I) independent; x⁺ keeps x_i with probability σ_i, else a fresh
    N(0, 1) draw."""
    s = _check_sigma(sigma)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, s.size))
    keep = rng.random((n, s.size)) < s
    xp = np.where(keep, x, rng.standard_normal((n, s.size)))
    return x, xp, rng.standard_normal((n, s.size))


def monte_carlo_loss(W: np.ndarray, sigma, n: int, *, seed: int) -> float:
    """−2 mean f(x)ᵀf(x⁺) + mean (f(x)ᵀf(x′))² on sampled pairs."""
    x, xp, xn = sample_pairs(sigma, n, seed=seed)
    f, fp, fn = x @ W.T, xp @ W.T, xn @ W.T
    return float(-2 * np.mean(np.sum(f * fp, 1)) + np.mean(np.sum(f * fn, 1) ** 2))


def run_linear(cfg: Config, *, seed: int, sigma=SIGMA) -> dict:
    """Part A: GD, the closed form, per-feature weights before/after the head, slopes, and the
    ridge downstream error for every single-feature task."""
    s = _check_sigma(sigma)
    d = s.size
    out = train_linear(s, d, steps=cfg.lin_steps, lr=cfg.lin_lr, init=cfg.lin_init, seed=seed)
    W1, W2 = out["W1"], out["W2"]
    W = W2 @ W1
    cf = closed_form(s, d)
    pre, post = feature_weights(W1), feature_weights(W)
    sv_pre = np.sort(np.linalg.svd(W1, compute_uv=False))[::-1]
    sv_post = np.sort(np.linalg.svd(W, compute_uv=False))[::-1]
    srt = np.sort(s)[::-1]
    return {
        **out, "sigma": s, "pre": pre, "post": post,
        "slope_pre": loglog_slope(s, pre), "slope_post": loglog_slope(s, post),
        "ratio_pre": float(pre.max() / pre.min()), "ratio_post": float(post.max() / post.min()),
        "sv_err_pre": float(np.max(np.abs(sv_pre / srt ** EXPONENT_PRE - 1))),
        "sv_err_post": float(np.max(np.abs(sv_post / srt ** EXPONENT_POST - 1))),
        "P_err": float(np.max(np.abs(W.T @ W - cf["P"]))),
        "pre_gram_err": float(np.max(np.abs(W1.T @ W1 - cf["pre_gram"]))),
        "balance_err": float(np.max(np.abs(W1 @ W1.T - W2.T @ W2))),
        "loss": float(out["losses"][-1]), "loss_star": cf["loss"],
        "err_pre": np.array([ridge_downstream_error(W1, j, cfg.ridge_lam) for j in range(d)]),
        "err_post": np.array([ridge_downstream_error(W, j, cfg.ridge_lam) for j in range(d)]),
        "mc_loss": monte_carlo_loss(W, s, cfg.mc_samples, seed=seed + 1),
        "pop_loss": population_loss(W, s),
    }


# --------------------------------------------------------------------------------------
# B. Images: SupCon on coarse labels
# --------------------------------------------------------------------------------------


def supcon_loss(z1: torch.Tensor, z2: torch.Tensor, labels: torch.Tensor,
                tau: float = TAU) -> torch.Tensor:
    """Supervised contrastive loss (Khosla et al. 2020, L^sup_out) over the 2N views: for
    anchor i, −1/|P(i)| Σ_{p∈P(i)} log( exp(z_i·z_p/τ) / Σ_{a≠i} exp(z_i·z_a/τ) ), P(i) = the other
    views with i's label; z normalised. With all labels distinct it is NT-Xent."""
    if z1.shape != z2.shape or z1.dim() != 2 or labels.shape != (z1.shape[0],):
        raise ValueError(f"z1, z2 must be (N, d) and labels (N,), got {tuple(z1.shape)}, "
                         f"{tuple(z2.shape)}, {tuple(labels.shape)}")
    if tau <= 0:
        raise ValueError("tau must be positive")
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    y = torch.cat([labels, labels])
    n2 = z.shape[0]
    self_mask = torch.eye(n2, dtype=torch.bool, device=z.device)
    logits = (z @ z.T / tau).masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    pos = (y[:, None] == y[None, :]) & ~self_mask
    mean_pos = log_prob.masked_fill(~pos, 0.0).sum(1) / pos.sum(1)
    return -mean_pos.mean()


class ReweightHead(nn.Module):
    """The paper's fixed re-weighting head: z = diag(1, κ⁻¹, …, κ^{-(h−1)}) h, not trained."""

    def __init__(self, dim: int, kappa: float):
        super().__init__()
        if kappa < 1:
            raise ValueError("kappa must be >= 1")
        self.register_buffer("weights", kappa ** -torch.arange(dim, dtype=torch.float32))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h * self.weights


class Net(nn.Module):
    """Encoder (MLP 784 → h → h, ReLU) and an optional head; :meth:`embed` = pre-projection."""

    def __init__(self, width: int, variant: str, kappa: float = 1.1):
        super().__init__()
        if variant not in VARIANTS + (CE_VARIANT,):
            raise ValueError(f"variant must be one of {VARIANTS + (CE_VARIANT,)}, got "
                             f"{variant!r}")
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(),
                                     nn.Linear(width, width), nn.ReLU())
        if variant in ("head", CE_VARIANT):
            self.head = projection_head(width, width, width)
        elif variant == "reweight":
            self.head = ReweightHead(width, kappa)
        else:
            self.head = nn.Identity()

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def coarse_labels(y: np.ndarray) -> np.ndarray:
    """Parity of the digit: the coarse training label."""
    return (np.asarray(y) % 2).astype(np.int64)


def load_data(cfg: Config):
    return load_mnist5k(test_fraction=0.2, split_seed=0, n_per_class=cfg.n_per_class)


def _fit(net: Net, extra: list, x: np.ndarray, y: np.ndarray, cfg: Config,
         g: torch.Generator, batch_loss, device) -> Net:
    """Adam over ``net`` (and ``extra`` parameters) for ``cfg.epochs`` shuffled epochs of
    ``batch_loss(x_batch, y_batch)``; returns ``net`` frozen in eval mode."""
    opt = torch.optim.Adam([*net.parameters(), *extra], lr=cfg.lr)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y)
    net.train()
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt) - cfg.batch // 2, cfg.batch):
            b = perm[i:i + cfg.batch]
            loss = batch_loss(xt[b], yt[b].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    for q in net.parameters():
        q.requires_grad_(False)
    return net


def train_supcon(x: np.ndarray, y_coarse: np.ndarray, cfg: Config, variant: str, *, seed: int,
                 device="cpu") -> Net:
    """SupCon on coarse labels, two random-resized-crop views, Adam; frozen in eval mode."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = Net(cfg.width, variant, cfg.kappa).to(device)

    def batch_loss(xb, yb):
        v1 = random_resized_crop(xb, scale=cfg.crop_scale, generator=g).to(device)
        v2 = random_resized_crop(xb, scale=cfg.crop_scale, generator=g).to(device)
        return supcon_loss(net(v1), net(v2), yb, cfg.tau)

    return _fit(net, [], x, y_coarse, cfg, g, batch_loss, device)


def train_ce(x: np.ndarray, y_coarse: np.ndarray, cfg: Config, *, seed: int,
             device="cpu") -> Net:
    """Supervised learning: encoder + learnable head + a linear classifier on z, cross-entropy
    on the coarse label of one random-resized-crop view, Adam; frozen in eval mode."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = Net(cfg.width, CE_VARIANT).to(device)
    clf = nn.Linear(cfg.width, int(y_coarse.max()) + 1).to(device)

    def batch_loss(xb, yb):
        v = random_resized_crop(xb, scale=cfg.crop_scale, generator=g).to(device)
        return F.cross_entropy(clf(net(v)), yb)

    return _fit(net, list(clf.parameters()), x, y_coarse, cfg, g, batch_loss, device)


@torch.no_grad()
def features(net: Net, x: np.ndarray, *, post: bool, batch: int = 2000) -> torch.Tensor:
    """Frozen pre-projection (``post=False``) or post-projection features, float64 on the CPU."""
    dev = next(iter(net.parameters())).device
    fn = net if post else net.embed
    return torch.cat([fn(torch.as_tensor(x[i:i + batch], device=dev)).double().cpu()
                      for i in range(0, len(x), batch)])


def probe(f_train, y_train, f_test, y_test, wd: float) -> float:
    return linear_probe(f_train, torch.as_tensor(y_train), f_test, torch.as_tensor(y_test),
                        weight_decay=wd)


def run_images(data, cfg: Config, *, seed: int, device="cpu",
               variants=VARIANTS + (CE_VARIANT,)) -> dict:
    """Part B: train each variant on parity (SupCon; cross-entropy for ``CE_VARIANT``), probe
    fine (digit) and coarse labels on the pre-projection features (and the post-projection ones
    of the learnable heads)."""
    yc_tr, yc_te = coarse_labels(data.y_train), coarse_labels(data.y_test)
    # the label-scarce probe is averaged over ``shot_draws`` independent draws of the labelled
    # images (draw 0 is the one drawn from ``seed``), the usual few-shot evaluation protocol
    draw_seeds = replicate_seeds(seed, cfg.shot_draws)
    res = {}
    for k, v in enumerate(variants):
        if v == CE_VARIANT:
            net = train_ce(data.x_train, yc_tr, cfg, seed=seed + 1000 * k, device=device)
        else:
            net = train_supcon(data.x_train, yc_tr, cfg, v, seed=seed + 1000 * k, device=device)
        layers = {"pre": False, "post": True} if v in ("head", CE_VARIANT) else {"pre": False}
        for name, post in layers.items():
            ftr, fte = features(net, data.x_train, post=post), features(net, data.x_test, post=post)
            few = few_shot_probe(ftr, data.y_train, fte, data.y_test, shots=cfg.shots,
                                 seeds=draw_seeds, weight_decay=cfg.probe_wd)
            res[(v, name)] = {
                "fine": probe(ftr, data.y_train, fte, data.y_test, cfg.probe_wd),
                "fine_few": float(few.mean()),
                "fine_few_draws": few,
                "coarse": probe(ftr, yc_tr, fte, yc_te, cfg.probe_wd),
                "knn": knn_accuracy(ftr, torch.as_tensor(data.y_train), fte,
                                    torch.as_tensor(data.y_test), k=cfg.knn_k),
                "spectrum": effective_rank(ftr),
                "eig": covariance_spectrum(ftr),
            }
    return res


def covariance_spectrum(f: torch.Tensor) -> np.ndarray:
    """Eigenvalues of the feature covariance, descending, normalised to sum 1."""
    ev = torch.linalg.eigvalsh(torch.cov(f.T)).clamp_min(0).flip(0)
    return (ev / ev.sum()).numpy()


def effective_rank(f: torch.Tensor) -> float:
    """exp(entropy) of the normalised covariance eigenvalues (Roy & Vetterli 2007): how evenly
    a representation spreads over directions (1 = one direction, h = all equal)."""
    p = covariance_spectrum(f)
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))
