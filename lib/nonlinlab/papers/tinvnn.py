r"""Zhang, Wang, Zhang, Cui & Zhu (2021), *Revisiting Transformation Invariant Geometric Deep
Learning: Are Initial Representations All You Need?* (arXiv:2112.12345; extended as TinvNet,
IEEE TPAMI 2026).

What is implemented
-------------------

**Claim of the paper.** A permutation-invariant network :math:`g` applied to point
representations :math:`\tilde X = f(X)` is invariant to every transformation :math:`T` of the
input as soon as :math:`f` is (i) *transformation invariant*, :math:`f(TX) = f(X)`, and
permutation equivariant, :math:`f(PX) = Pf(X)`, and (ii) *distance preserving*,
:math:`\|\tilde x_i - \tilde x_j\| = D_{ij}/s` (so nothing about the shape is lost). No
invariant layer is needed.

**Modified multidimensional scaling** (the TinvNN initial representation). For a point set
:math:`X \in \mathbb R^{N\times d}`:

.. math::
   D_{ij} = \|x_i - x_j\|_2, \qquad \bar D = D / s(D) \quad\text{(scale)}

   B = -\tfrac12 J (\bar D\circ\bar D) J, \quad J = I - \tfrac1N \mathbf 1\mathbf 1^\top
   \quad\text{(double centring)}

   B = U\Lambda U^\top,\ \lambda_1\ge\dots\ge\lambda_N, \qquad
   \tilde X = U_k \Lambda_k^{1/2} \quad\text{(classical MDS)}

   \tilde X_{:,j} \leftarrow \sigma_j \tilde X_{:,j},\ \sigma_j\in\{\pm1\} \quad\text{(sign fix)}

Everything before the sign fix depends on :math:`X` only through :math:`D`, so it is invariant
to rotations, reflections and translations, and — through :math:`s` — to uniform scaling; rows
follow a permutation of the points. Each eigenvector is defined only up to its sign; the
"modification" makes that choice a deterministic, permutation-invariant function of
:math:`\tilde X` itself. The paper's exact rule was not available to us; **this chapter's
rule** is the third moment: :math:`\sigma_j = \operatorname{sign}\sum_i \tilde x_{ij}^3`, with
the sign of the entry of largest :math:`|\tilde x_{ij}|` as fallback when
:math:`|\sum_i\tilde x_{ij}^3| < 10^{-8}\sum_i|\tilde x_{ij}|^3`. The scale statistic is a
parameter: ``"rms"`` (default) :math:`s = (\frac1{N^2}\sum_{ij}D_{ij}^2)^{1/2}` or ``"max"``
:math:`s = \max_{ij}D_{ij}`.

For Euclidean input with :math:`k \ge` the affine rank of :math:`X`, :math:`B = X_cX_c^\top/s^2`
(:math:`X_c` centred), so :math:`\tilde X = X_cV/s` up to column signs, with :math:`V` the
eigenvectors of the :math:`d\times d` matrix :math:`X_c^\top X_c` (PCA scores) and
:math:`s^2 = 2\operatorname{tr}(X_c^\top X_c)/N`: :func:`tinv_fast` computes that in
:math:`O(Nd^2)` and the tests (and the chapter) assert that it equals :func:`classical_mds`.

**Downstream network.** PointNet (Qi et al. 2017) without the T-Net: a shared per-point MLP
with BatchNorm and ReLU, max-pooling over the points, and an MLP head (the paper plugs TinvNN
into PointNet and DGCNN; the ``full`` profile uses PointNet's widths 64-64-128-1024 / 512-256).

**Data.** Procedural point clouds ("ModelNet-mini"): six classes of closed surfaces (box,
cylinder, cone, ellipsoid, torus, capsule) with random class-specific proportions, ``n_points``
area-uniform samples (:func:`nonlinlab.models.meshes.sample_surface`), centred, scaled into the
unit ball, with 1 % Gaussian jitter; canonical ("aligned") pose, like ModelNet40.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, progress, require
from ..models.meshes import icosphere, parametric_grid, sample_surface
from ..models.meshes import torus as torus_mesh
from ..models.rotations import random_rotations

CLASSES = ("box", "cylinder", "cone", "ellipsoid", "torus", "capsule")
#: test conditions: aligned; rotation; rotation + scale + translation + permutation; the same
#: with a reflection (the whole group O(3) × scale × translation × permutation).
CONDITIONS = ("aligned", "SO(3)", "SO(3)+scale+shift+perm", "O(3)+scale+shift+perm")
#: input representations fed to the same PointNet.
REPRESENTATIONS = ("xyz", "pca_nosign", "tinvnn")
SCALES = ("rms", "max")
#: the variants of the experiment: (name, representation, training augmentation)
VARIANTS = {
    "PointNet": ("xyz", None),
    "PointNet + O(3) aug.": ("xyz", "o3"),
    "PCA frame, no sign fix": ("pca_nosign", None),
    "PCA frame + sign-flip aug.": ("pca_nosign", "signflip"),
    "TinvNN-PointNet": ("tinvnn", None),
}


# ----------------------------------------------------------------------------- config
@dataclass(frozen=True)
class Config(ProfileConfig):
    n_points: int = 128            # points per shape (paper: 1,024 on ModelNet40)
    n_train_per_class: int = 70
    n_test_per_class: int = 50
    jitter: float = 0.01
    shared: tuple[int, ...] = (32, 64)     # per-point MLP (paper PointNet: 64-64-64-128-1024)
    head: tuple[int, ...] = (32,)          # MLP after the max-pool (paper: 512-256)
    dropout: float = 0.0
    epochs: int = 12
    batch: int = 32
    lr: float = 3e-3
    scale: str = "rms"             # scale statistic s(D) of the representation
    max_scale: float = 2.0         # test scale factor ~ U[1/max_scale, max_scale]
    max_shift: float = 5.0         # test translation ~ U[-max_shift, max_shift]^3
    variants: tuple[str, ...] = tuple(VARIANTS)
    n_oracle: int = 40             # shapes used by the float64 oracle checks

    def check(self) -> None:
        require(self.n_points >= 8, "n_points must be >= 8")
        require(self.n_train_per_class >= 2 and self.n_test_per_class >= 2,
                "need at least 2 train and 2 test shapes per class")
        require(len(self.shared) >= 1 and min(self.shared) >= 1 and
                all(h >= 1 for h in self.head), "layer widths must be >= 1")
        require(self.epochs >= 1 and self.batch >= 1 and self.lr > 0,
                "epochs, batch and lr must be positive")
        require(0 <= self.dropout < 1 and self.jitter >= 0, "dropout in [0, 1), jitter >= 0")
        require(self.scale in SCALES, f"scale must be one of {SCALES}, got {self.scale!r}")
        require(self.max_scale >= 1 and self.max_shift >= 0, "max_scale >= 1, max_shift >= 0")
        require(set(self.variants) <= set(VARIANTS) and "TinvNN-PointNet" in self.variants
                and "PointNet" in self.variants,
                f"variants must be among {tuple(VARIANTS)} and include PointNet and TinvNN")
        require(self.n_oracle >= 2, "n_oracle must be >= 2")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(n_points=1024, n_train_per_class=400, n_test_per_class=150,
                shared=(64, 64, 64, 128, 1024), head=(512, 256), dropout=0.3, epochs=60,
                batch=32, lr=1e-3, n_oracle=32),
)


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper. Training: per point, the shared MLP costs ``2·Σ w_in·w_out``
    flops forward, ×3 with the backward pass, for every variant, epoch and training point;
    evaluation: forward passes over the four test conditions. Throughput: ≈ 5e9 flop/s for
    these small matrices on one CPU thread (ci; the five trainings took 26 s of wall time,
    ≈ 9 s of CPU time, on the shared 2-core machine at load 8), with ≈ 2 ms of Python and
    optimiser overhead per step; ≈ 2e12 flop/s on a Colab T4 (full, float32, ≈ 3 ms per
    step). Data and representations: ≈ 1 ms per shape; the float64 oracles (classical MDS on
    ``n_oracle`` pairs of N×N eigenproblems, ≈ 10·N³ flops each, on the CPU): ≈ 3.5e9 flop/s
    measured at N = 128 on the loaded machine; ≈ 2e10 flop/s (multi-threaded LAPACK) at
    N = 1,024."""
    widths = (3, *cfg.shared)
    per_point = 2 * sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    n_cls = len(CLASSES)
    n_train, n_test = n_cls * cfg.n_train_per_class, n_cls * cfg.n_test_per_class
    n_var = len(cfg.variants)
    train = 3 * per_point * cfg.n_points * n_train * cfg.epochs * n_var
    evals = per_point * cfg.n_points * n_test * len(CONDITIONS) * n_var
    steps = math.ceil(n_train / cfg.batch) * cfg.epochs * n_var
    gpu = cfg.n_points > 256
    rate, step_s = (2e12, 3e-3) if gpu else (5e9, 2e-3)
    data = 1e-3 * (n_train + n_test * (1 + len(CONDITIONS)))
    oracle = 2 * cfg.n_oracle * 10 * cfg.n_points ** 3 / (2e10 if gpu else 3.5e9)
    return (train + evals) / rate + steps * step_s + data + oracle + 2.0


# ----------------------------------------------------------------------------- shapes
def _revolution(profile: np.ndarray, nu: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Surface of revolution about z of the polyline ``profile`` = [(r, z), ...] (from the
    bottom pole to the top pole), through :func:`parametric_grid` (periodic in the angle)."""
    profile = np.asarray(profile, dtype=np.float64)
    m = len(profile)

    def fn(u, v):
        j = np.rint(v * (m - 1)).astype(int)  # v = j/(m-1) on the grid: the j-th profile point
        r, z = profile[j, 0], profile[j, 1]
        p = 2 * np.pi * u
        return np.stack([r * np.cos(p), r * np.sin(p), z], -1)

    return parametric_grid(fn, nu, m, wrap_u=True, wrap_v=False)


def _box(a: float, b: float, c: float) -> tuple[np.ndarray, np.ndarray]:
    V = np.array([[x, y, z] for x in (-a, a) for y in (-b, b) for z in (-c, c)]) / 2
    F = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return V, F


def shape_mesh(cls: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random instance of class ``cls`` in its canonical pose (axis of revolution = z)."""
    u = rng.uniform
    if cls == "box":
        return _box(*u(0.4, 1.6, size=3))
    if cls == "cylinder":
        R, h = u(0.3, 0.6), u(1.0, 2.4)
        return _revolution([(0, -h / 2), (R, -h / 2), (R, h / 2), (0, h / 2)])
    if cls == "cone":
        R, h = u(0.4, 0.8), u(1.0, 2.0)
        return _revolution([(0, -h / 2), (R, -h / 2), (0, h / 2)])
    if cls == "ellipsoid":
        V, F = icosphere(2)
        return V * u(0.4, 1.2, size=3), F
    if cls == "torus":
        return torus_mesh(32, 16, R=1.0, r=u(0.15, 0.45))
    if cls == "capsule":
        R, h = u(0.25, 0.45), u(0.6, 1.6)
        t = np.linspace(-np.pi / 2, 0, 7)
        lower = np.stack([R * np.cos(t), -h / 2 + R * np.sin(t)], 1)
        upper = np.stack([R * np.cos(-t[::-1]), h / 2 + R * np.sin(-t[::-1])], 1)
        return _revolution(np.concatenate([lower, upper]))
    raise ValueError(f"unknown shape class {cls!r}; choose one of {CLASSES}")


def make_dataset(n_per_class: int, n_points: int, *, seed: int,
                 jitter: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: ``X`` float64 ``(n_per_class·6, n_points, 3)`` aligned point clouds (centred
    at their centroid, max norm 1, then ``jitter``·N(0, 1) noise), ``y`` int64 class labels."""
    if n_per_class < 1 or n_points < 1:
        raise ValueError("n_per_class and n_points must be positive")
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c, name in enumerate(CLASSES):
        for _ in range(n_per_class):
            P = sample_surface(*shape_mesh(name, rng), n_points, rng=rng)
            P -= P.mean(0)
            P /= np.linalg.norm(P, axis=1).max()
            X.append(P + jitter * rng.standard_normal(P.shape))
            y.append(c)
    return np.stack(X), np.asarray(y, dtype=np.int64)


# ----------------------------------------------------------------------------- transformations
def random_transform(X: torch.Tensor, condition: str, *, generator: torch.Generator,
                     max_scale: float = 2.0, max_shift: float = 5.0,
                     return_perm: bool = False):
    """Apply one random transformation per shape of ``X`` ``(B, N, 3)``:
    ``x ↦ c·Q x + t`` with ``Q`` Haar on SO(3) (times diag(−1, 1, 1) for O(3)),
    log c ~ U[−log max_scale, log max_scale], t ~ U[−max_shift, max_shift]³, and a random
    permutation of the points, as ``condition`` (one of :data:`CONDITIONS`) asks. With
    ``return_perm``, also the permutation ``perm``: row i of the output is the image of
    point ``perm[:, i]``."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; choose one of {CONDITIONS}")
    if X.dim() != 3 or X.shape[-1] != 3:
        raise ValueError(f"X must have shape (B, N, 3), got {tuple(X.shape)}")
    B, N, _ = X.shape
    perm = torch.arange(N).expand(B, N)
    if condition == "aligned":
        return (X, perm) if return_perm else X
    kw = {"dtype": X.dtype, "device": X.device}
    Q = random_rotations(B, generator=generator, dtype=X.dtype).to(X.device)
    if condition.startswith("O(3)"):
        Q = Q @ torch.diag(torch.tensor([-1.0, 1.0, 1.0], **kw))
    out = X @ Q.transpose(-1, -2)
    if condition != "SO(3)":
        u = torch.rand(B, 1, 1, generator=generator, dtype=X.dtype).to(X.device)
        c = torch.exp((2 * u - 1) * math.log(max_scale))
        t = (2 * torch.rand(B, 1, 3, generator=generator, dtype=X.dtype) - 1).to(X.device)
        perm = torch.argsort(torch.rand(B, N, generator=generator), dim=1).to(X.device)
        out = torch.gather(c * out + max_shift * t, 1, perm[..., None].expand(B, N, 3))
    return (out, perm) if return_perm else out


# ----------------------------------------------------------------------------- representation
def _check_points(X: torch.Tensor) -> None:
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X must be a torch.Tensor, got {type(X).__name__}")
    if X.dim() != 3 or X.shape[1] < 2:
        raise ValueError(f"X must have shape (B, N, d) with N >= 2, got {tuple(X.shape)}")


def pairwise_distances(X: torch.Tensor) -> torch.Tensor:
    """``D_ij = ‖x_i − x_j‖`` ``(B, N, N)`` from differences (no ‖x‖² + ‖y‖² − 2xᵀy
    shortcut, which loses the small distances to cancellation)."""
    _check_points(X)
    return torch.cdist(X, X, compute_mode="donot_use_mm_for_euclid_dist")


def fix_signs(Y: torch.Tensor, rtol: float = 1e-8) -> torch.Tensor:
    """The sign fix: flip column j of every ``Y`` ``(B, N, k)`` so that Σ_i y_ij³ > 0; where
    |Σ_i y_ij³| < rtol·Σ_i |y_ij|³ (a symmetric set), so that its entry of largest |y_ij|
    is positive. Both are permutation invariant and depend on the representation only."""
    m3 = (Y ** 3).sum(-2)
    ref = (Y.abs() ** 3).sum(-2)
    idx = Y.abs().argmax(-2, keepdim=True)
    fallback = torch.sign(torch.gather(Y, -2, idx).squeeze(-2))
    sign = torch.where(m3.abs() > rtol * ref, torch.sign(m3), fallback)
    sign = torch.where(sign == 0, torch.ones_like(sign), sign)
    return Y * sign[..., None, :]


def classical_mds(X: torch.Tensor | None = None, k: int = 3, *, D: torch.Tensor | None = None,
                  scale: str = "rms", sign_fix: bool = True) -> torch.Tensor:
    """The modified MDS of the paper, from distances: ``(B, N, k)`` coordinates
    ``U_k Λ_k^{1/2}`` of ``B = −½ J (D/s ∘ D/s) J``, eigenvalues clipped at 0, then
    :func:`fix_signs`. Give the points ``X`` ``(B, N, d)`` or the distances ``D``."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if D is None:
        if X is None:
            raise ValueError("give the points X or the distances D")
        D = pairwise_distances(X)
    if D.dim() != 3 or D.shape[-1] != D.shape[-2]:
        raise ValueError(f"D must have shape (B, N, N), got {tuple(D.shape)}")
    N = D.shape[-1]
    if not 1 <= k <= N:
        raise ValueError(f"k must be in 1..{N}, got {k}")
    s = (D.pow(2).mean((-1, -2)).sqrt() if scale == "rms" else D.amax((-1, -2)))
    Dn = D / s[:, None, None]
    # B = −½ J (D̄∘D̄) J: double centring by row, column and grand means
    S = Dn * Dn
    Bm = -0.5 * (S - S.mean(-1, keepdim=True) - S.mean(-2, keepdim=True)
                 + S.mean((-1, -2), keepdim=True))
    lam, U = torch.linalg.eigh((Bm + Bm.transpose(-1, -2)) / 2)  # ascending
    lam, U = lam.flip(-1)[..., :k], U.flip(-1)[..., :k]          # the k largest
    Y = U * lam.clamp_min(0).sqrt()[..., None, :]                 # X̃ = U_k Λ_k^{1/2}
    return fix_signs(Y) if sign_fix else Y


def tinv_fast(X: torch.Tensor, k: int | None = None, *, scale: str = "rms",
              sign_fix: bool = True) -> torch.Tensor:
    """The same representation in O(N d²) for Euclidean point sets: X̃ = X_c V / s with V the
    eigenvectors of X_cᵀX_c (descending), s² = 2 tr(X_cᵀX_c)/N (``rms``) or max D (``max``).
    With ``sign_fix=False`` it is the PCA frame with the eigensolver's arbitrary signs."""
    _check_points(X)
    d = X.shape[-1]
    k = d if k is None else k
    if not 1 <= k <= d:
        raise ValueError(f"k must be in 1..{d} for the fast path, got {k}")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    Xc = X - X.mean(-2, keepdim=True)
    C = Xc.transpose(-1, -2) @ Xc                                # d × d
    _, V = torch.linalg.eigh(C)
    V = V.flip(-1)[..., :k]
    if scale == "rms":
        s = (2 * C.diagonal(dim1=-2, dim2=-1).sum(-1) / X.shape[-2]).sqrt()
    else:
        s = pairwise_distances(X).amax((-1, -2))
    Y = (Xc @ V) / s[:, None, None]
    return fix_signs(Y) if sign_fix else Y


def represent(X: torch.Tensor, representation: str, *, scale: str = "rms") -> torch.Tensor:
    """The input of the network: raw ``xyz``, the PCA frame without sign fix
    (``pca_nosign``) or the TinvNN representation (``tinvnn``), computed in float64 and
    returned in X's dtype."""
    if representation not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {representation!r}; choose one of "
                         f"{REPRESENTATIONS}")
    if representation == "xyz":
        return X
    Y = tinv_fast(X.double(), scale=scale, sign_fix=representation == "tinvnn")
    return Y.to(X.dtype)


# ----------------------------------------------------------------------------- network
class PointNet(nn.Module):
    """PointNet without T-Net: per-point MLP (Linear-BN-ReLU), max-pool over the points,
    MLP head (Linear-BN-ReLU-Dropout) and a linear classifier. Input ``(B, N, d)``."""

    def __init__(self, n_classes: int, shared=(32, 64), head=(32,), dropout: float = 0.0,
                 d_in: int = 3):
        super().__init__()
        layers, w = [], d_in
        for h in shared:
            layers += [nn.Linear(w, h), nn.BatchNorm1d(h), nn.ReLU()]
            w = h
        self.shared = nn.ModuleList(layers)
        hl = []
        for h in head:
            hl += [nn.Linear(w, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            w = h
        self.head = nn.Sequential(*hl, nn.Linear(w, n_classes))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.dim() != 3:
            raise ValueError(f"PointNet expects (B, N, d) point sets, got {tuple(X.shape)}")
        B, N, _ = X.shape
        h = X.reshape(B * N, -1)
        for layer in self.shared:
            h = layer(h)
        return self.head(h.reshape(B, N, -1).amax(1))


def _augment(X: torch.Tensor, kind: str | None, generator: torch.Generator, cfg: Config):
    if kind is None:
        return X
    if kind == "o3":  # a Haar rotation per shape, composed with a reflection half the time
        Q = random_rotations(X.shape[0], generator=generator, dtype=X.dtype).to(X.device)
        flip = torch.rand(X.shape[0], generator=generator) < 0.5
        Q[flip.to(X.device), :, 0] *= -1
        return X @ Q.transpose(-1, -2)
    if kind == "signflip":  # random ± per column (of an already computed PCA frame)
        s = torch.randint(0, 2, (X.shape[0], 1, X.shape[-1]), generator=generator) * 2 - 1
        return X * s.to(X.device, X.dtype)
    raise ValueError(f"unknown augmentation {kind!r}")


def train_variant(name: str, cfg: Config, X: torch.Tensor, y: torch.Tensor, *, seed: int,
                  device: torch.device) -> PointNet:
    """Train one variant of :data:`VARIANTS` on the aligned training shapes ``X`` (float64,
    CPU). Cross-entropy, Adam with a cosine learning-rate decay to 0, ``cfg.epochs``
    epochs of shuffled mini-batches; the augmented variants transform every mini-batch."""
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose one of {tuple(VARIANTS)}")
    rep, aug = VARIANTS[name]
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = PointNet(len(CLASSES), cfg.shared, cfg.head, cfg.dropout).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    n_steps = cfg.epochs * math.ceil(len(X) / cfg.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(  # cosine decay to 0: a stable final model
        opt, lambda t: 0.5 * (1 + math.cos(math.pi * min(t, n_steps) / n_steps)))
    base = represent(X, rep, scale=cfg.scale)  # computed once (float64)
    yd = y.to(device)
    for _ in range(cfg.epochs):
        model.train()
        order = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X), cfg.batch):
            idx = order[i:i + cfg.batch]
            if len(idx) < 2:  # BatchNorm needs two samples
                continue
            xb = _augment(base[idx], aug, gen, cfg)
            loss = F.cross_entropy(model(xb.to(device, torch.float32)), yd[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return model.eval()


@torch.no_grad()
def logits_of(model: PointNet, name: str, X: torch.Tensor, cfg: Config,
              device: torch.device) -> torch.Tensor:
    rep, _ = VARIANTS[name]
    Z = represent(X, rep, scale=cfg.scale).to(device, torch.float32)
    return torch.cat([model(Z[i:i + 256]) for i in range(0, len(Z), 256)]).cpu()


@dataclass
class Experiment:
    """Results of :func:`run_experiment`: per variant and condition, accuracy, share of test
    shapes whose predicted label differs from the aligned one, and max |Δ logit|."""

    acc: dict[str, dict[str, float]]
    changed: dict[str, dict[str, float]]
    dlogit: dict[str, dict[str, np.ndarray]]
    test_sets: dict[str, torch.Tensor]
    y_test: torch.Tensor
    models: dict[str, PointNet]


def make_test_sets(X: torch.Tensor, cfg: Config, seed: int) -> dict[str, torch.Tensor]:
    """The test shapes under each condition of :data:`CONDITIONS` (one draw per shape)."""
    gen = torch.Generator().manual_seed(10_000 + seed)
    return {c: random_transform(X, c, generator=gen, max_scale=cfg.max_scale,
                                max_shift=cfg.max_shift) for c in CONDITIONS}


def run_experiment(cfg: Config, *, seed: int, device: torch.device,
                   show_progress: bool = True) -> Experiment:
    """Train every variant on aligned shapes, test under every condition."""
    Xtr, ytr = make_dataset(cfg.n_train_per_class, cfg.n_points, seed=seed, jitter=cfg.jitter)
    Xte, yte = make_dataset(cfg.n_test_per_class, cfg.n_points, seed=seed + 1_000_003,
                            jitter=cfg.jitter)
    Xtr, ytr, Xte, yte = map(torch.as_tensor, (Xtr, ytr, Xte, yte))
    tests = make_test_sets(Xte, cfg, seed)
    acc, changed, dlogit, models = {}, {}, {}, {}
    for name in progress(cfg.variants, desc="variants", enabled=show_progress):
        model = train_variant(name, cfg, Xtr, ytr, seed=seed, device=device)
        models[name] = model
        L = {c: logits_of(model, name, T, cfg, device) for c, T in tests.items()}
        ref = L["aligned"].argmax(1)
        acc[name] = {c: float((v.argmax(1) == yte).double().mean()) for c, v in L.items()}
        changed[name] = {c: float((v.argmax(1) != ref).double().mean()) for c, v in L.items()}
        dlogit[name] = {c: (v - L["aligned"]).abs().amax(1).numpy() for c, v in L.items()}
    return Experiment(acc, changed, dlogit, tests, yte, models)


# ----------------------------------------------------------------------------- oracles
def invariance_errors(X: np.ndarray | torch.Tensor, *, seed: int, scale: str = "rms",
                      sign_fix: bool = True) -> dict[str, float]:
    """Float64 checks of the representation on shapes ``X`` ``(B, N, 3)``:

    * ``invariance``: max |f(TX) − P f(X)| over one random O(3) × scale × translation ×
      permutation T (with its permutation P) per shape (classical MDS from distances);
    * ``distance``: max | ‖x̃_i − x̃_j‖ − D_ij/s | (k = 3);
    * ``fast_vs_mds``: max |tinv_fast(X) − classical_mds(X)|."""
    X = torch.as_tensor(X, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    B, N, _ = X.shape
    TX, perm = random_transform(X, "O(3)+scale+shift+perm", generator=gen, return_perm=True)
    Y = classical_mds(X, scale=scale, sign_fix=sign_fix)
    TY = classical_mds(TX, scale=scale, sign_fix=sign_fix)
    PY = torch.gather(Y, 1, perm.to(X.device)[..., None].expand(B, N, Y.shape[-1]))
    err_inv = float((TY - PY).abs().max())  # f(TX) = P f(X)
    D = pairwise_distances(X)
    s = D.pow(2).mean((-1, -2)).sqrt() if scale == "rms" else D.amax((-1, -2))
    err_dist = float((pairwise_distances(Y) - D / s[:, None, None]).abs().max())
    err_fast = float((tinv_fast(X, scale=scale, sign_fix=sign_fix) - Y).abs().max())
    return {"invariance": err_inv, "distance": err_dist, "fast_vs_mds": err_fast}


def pca_oracle_error(X: np.ndarray, *, scale: str = "rms") -> float:
    """Max |classical MDS − sklearn PCA scores / s| up to per-column signs (float64)."""
    from sklearn.decomposition import PCA

    Xt = torch.as_tensor(X, dtype=torch.float64)
    Y = classical_mds(Xt, scale=scale, sign_fix=False).numpy()
    D = pairwise_distances(Xt)
    s = (D.pow(2).mean((-1, -2)).sqrt() if scale == "rms" else D.amax((-1, -2))).numpy()
    err = 0.0
    for b in range(len(X)):
        Z = PCA(n_components=3, svd_solver="full").fit_transform(X[b]) / s[b]
        sgn = np.sign((Z * Y[b]).sum(0))
        err = max(err, float(np.abs(Z * sgn - Y[b]).max()))
    return err


def eigengaps(X: torch.Tensor) -> np.ndarray:
    """Relative gaps (λ₁−λ₂)/λ₁ and (λ₂−λ₃)/λ₁ of X_cᵀX_c per shape ``(B, 2)``: where a gap
    is tiny, the frame (and so the representation) is sensitive to noise."""
    Xc = X - X.mean(-2, keepdim=True)
    lam = torch.linalg.eigvalsh(Xc.transpose(-1, -2) @ Xc).flip(-1)
    return ((lam[:, :2] - lam[:, 1:]) / lam[:, :1]).numpy()
