r"""Ricci, Biondi, Pernici, Patras & Del Bimbo (NeurIPS 2025), *λ-Orthogonality Regularization
for Compatible Representation Learning* (arXiv:2509.16664).

What is implemented
-------------------

**Setting.** An old encoder :math:`\phi_o` (with its classifier :math:`U_o`) serves a retrieval
gallery; an independently trained, stronger new encoder :math:`\phi_n` replaces it. Both are
frozen. A map :math:`B` from the new space to the old one is learned on a downstream set
:math:`\mathcal D` so that new queries can be compared with the old gallery (*compatibility*),
while the new representation should stay intact for what :math:`\mathcal D` does not cover (the
paper: CLIP's zero-shot ability; here: retrieval of *held-out classes* the map never sees).

**The map** (paper: an affine transformation of the new representation)

.. math:: B(z) = W z + b,\qquad W\in\mathbb R^{d_o\times d_n},\; b\in\mathbb R^{d_o}. \tag{1}

**λ-orthogonality** (the paper's relaxed constraint). :math:`W` is λ-orthogonal when its
departure from the orthogonal set is at most λ,

.. math:: \lVert W^\top W - I\rVert_F \le \lambda, \tag{2}

and the constraint is imposed as a regulariser that is zero inside the band,

.. math:: R_\lambda(W) = \max\bigl(0, \lVert W^\top W - I\rVert_F - \lambda\bigr)^2, \tag{3}

(:func:`lambda_penalty`; ``penalty="spectral"`` is the per-singular-value band
:math:`\sum_i \max(0, \lvert\sigma_i(W)-1\rvert-\lambda)^2`). λ = 0 is (soft) strict
orthogonality, λ → ∞ the unconstrained affine map.

**Training loss** on :math:`\mathcal D` (features L2-normalised first), BCT-style influence loss
through the frozen old classifier plus feature alignment to the old model:

.. math:: \mathcal L = \mathrm{CE}\bigl(s\,\bar U_o \overline{B(z_n)}, y\bigr)
          + \bigl(1-\cos(B(z_n), z_o)\bigr) + \mu\,R_\lambda(W), \tag{4}

with :math:`\bar{\cdot}` the L2 normalisation, :math:`s` the logit scale and :math:`\mu` (10 here)
large enough that the band holds at the end (±0.05). Every learned map starts from the orthogonal
Procrustes solution of the normalised :math:`\mathcal D` features (:func:`procrustes`) with
:math:`b=0`, and is trained with Adam.

**Baselines in the same code path** (:func:`fit_map`): *affine* (μ = 0), *orthogonal* (``W`` =
the Q factor of a QR parametrisation, with a bias: a rigid motion, which keeps every distance),
the closed-form *Procrustes* map, and *independent* (no map: new features against the old
gallery).

**Evaluation** (:func:`evaluate_map`). Compatibility on the test images of :math:`\mathcal D`:
cross-model retrieval (query :math:`B(\phi_n(x))`, gallery :math:`\phi_o` of the training
images; mAP and top-1 of :mod:`nonlinlab.models.retrieval`), the old classifier's accuracy on
mapped features, and feature alignment :math:`\cos(B(\phi_n(x)), \phi_o(x))`. Preservation on the
held-out classes :math:`\mathcal H`: retrieval mAP among mapped new features and nearest-class-mean
accuracy (Euclidean, support = training images of :math:`\mathcal H`).

**Official code.** ``miccunifi/lambda_orthogonality`` could not be read while writing this
module (it is not in any snapshot reachable offline), so the functional form of Eq. 3, the
weighting of Eq. 4 and the hyper-parameters are our reading of the paper's abstract and
definitions, not checked against the code; the spectral band is provided as the alternative.
The paper adapts CLIP/ResNet features on CIFAR/ImageNet-scale data; here the encoders are MLPs
trained on real MNIST digits (see the chapter for the regime and why).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..models.retrieval import retrieval_metrics

# --------------------------------------------------------------------------------------
# Paper statements (the abstract gives no table numbers we could read offline)
# --------------------------------------------------------------------------------------

PAPER_AFFINE = "affine transformations adapt well but can significantly alter the representation"
PAPER_ORTH = "orthogonal transformations preserve the structure but limit adaptability"
PAPER_LAMBDA = ("λ-orthogonality preserves the new model's zero-shot performance and ensures "
                "compatibility across model updates")

KINDS = ("affine", "orthogonal", "lambda")
PENALTIES = ("frobenius", "spectral")
SCHEDULES = ("cosine", "constant")


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    dataset: str = "mnist5k"       # "mnist5k" (offline, 500 digits/class) or "mnist" (60k/10k)
    n_adapt: int = 5               # classes 0..n_adapt-1 form D; the rest are held out (H)
    dim: int = 16                  # d_o = d_n: embedding width of both encoders
    old_hidden: int = 64           # old MLP 784 → old_hidden → dim, trained on D only
    new_hidden: int = 256          # new MLP 784 → new_hidden → dim, trained on all classes
    old_epochs: int = 5
    new_epochs: int = 10
    enc_batch: int = 64
    enc_lr: float = 1e-3
    scale: float = 16.0            # s of the cosine classifiers (Eq. 4)
    steps: int = 2000              # Adam steps per learned map
    batch: int = 256
    lr: float = 1e-2
    schedule: str = "cosine"       # learning rate of the maps: "cosine" (to 0) or "constant"
    mu: float = 10.0               # weight of R_λ (Eq. 4)
    lambdas: tuple[float, ...] = (0.5, 1.0, 2.0)
    lam_star: float = 1.0          # the λ of the headline claims
    penalty: str = "frobenius"

    def check(self) -> None:
        require(self.dataset in ("mnist5k", "mnist"), "dataset must be 'mnist5k' or 'mnist'")
        require(2 <= self.n_adapt <= 8, "n_adapt must be in [2, 8] (both D and H need classes)")
        require(min(self.dim, self.old_hidden, self.new_hidden, self.old_epochs,
                    self.new_epochs, self.enc_batch, self.steps, self.batch) >= 1,
                "sizes, epochs and steps must be >= 1")
        require(self.enc_lr > 0 and self.lr > 0 and self.scale > 0 and self.mu >= 0,
                "learning rates and the scale must be > 0, mu >= 0")
        require(all(lam >= 0 for lam in self.lambdas), "every λ must be >= 0")
        require(self.lam_star in self.lambdas, "lam_star must be one of lambdas")
        require(self.penalty in PENALTIES, f"penalty must be one of {PENALTIES}")
        require(self.schedule in SCHEDULES, f"schedule must be one of {SCHEDULES}")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(dataset="mnist", old_epochs=3, new_epochs=5, new_hidden=512, steps=4000,
                lambdas=(0.25, 0.5, 1.0, 2.0, 4.0)),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from timings on this 2-core machine at 1 thread: one MLP step on a batch of 64
    costs ≈ 0.25 ms per 100 hidden units (the ci encoders: ≈ 4 s), one map step ≈ 1.5 ms;
    the ``full`` encoders (60k images) run on a GPU at ≈ 0.5 ms per step, the maps too."""
    n_img = 4000 if cfg.dataset == "mnist5k" else 60000
    n_d = n_img * cfg.n_adapt / 10
    per_step = 2.5e-6 * cfg.old_hidden, 2.5e-6 * cfg.new_hidden
    enc = (cfg.old_epochs * n_d / cfg.enc_batch * per_step[0]
           + cfg.new_epochs * n_img / cfg.enc_batch * per_step[1])
    n_maps = len(cfg.lambdas) + 2
    maps = n_maps * cfg.steps * 1.5e-3
    if cfg.dataset == "mnist":  # full profile: a GPU, ≈ 0.5 ms per step whatever the size
        enc = (cfg.old_epochs * n_d + cfg.new_epochs * n_img) / cfg.enc_batch * 5e-4
        maps = n_maps * cfg.steps * 5e-4
    evaluation = 0.5 * n_maps * (n_img / 4000) ** 2  # dense cosine rankings
    return enc + maps + evaluation + 5.0  # + imports, data loading


# --------------------------------------------------------------------------------------
# Eqs. 2-3: λ-orthogonality
# --------------------------------------------------------------------------------------


def _gram_defect(W: torch.Tensor) -> torch.Tensor:
    """:math:`W^\\top W - I` (d_o ≥ d_n) or :math:`W W^\\top - I` (d_o < d_n)."""
    if W.dim() != 2:
        raise ValueError(f"W must be a matrix, got shape {tuple(W.shape)}")
    G = W.T @ W if W.shape[0] >= W.shape[1] else W @ W.T
    return G - torch.eye(G.shape[0], dtype=W.dtype, device=W.device)


def orthogonality_defect(W: torch.Tensor) -> torch.Tensor:
    """:math:`\\lVert W^\\top W - I\\rVert_F` (Eq. 2); 0 exactly for an orthogonal W."""
    return torch.linalg.matrix_norm(_gram_defect(W))


def lambda_penalty(W: torch.Tensor, lam: float, kind: str = "frobenius") -> torch.Tensor:
    """:math:`R_\\lambda(W)` (Eq. 3): zero inside the λ band, quadratic outside it."""
    if lam < 0:
        raise ValueError(f"λ must be >= 0, got {lam}")
    if kind == "frobenius":
        return F.relu(orthogonality_defect(W) - lam) ** 2                     # Eq. 3
    if kind == "spectral":
        sigma = torch.linalg.svdvals(W)
        return (F.relu((sigma - 1).abs() - lam) ** 2).sum()                  # band form
    raise ValueError(f"penalty must be one of {PENALTIES}, got {kind!r}")


def procrustes(Zn: torch.Tensor, Zo: torch.Tensor) -> torch.Tensor:
    """Orthogonal W minimising :math:`\\sum_i\\lVert W z_{n,i} - z_{o,i}\\rVert^2` (rows are
    samples): :math:`W = U V^\\top` with :math:`Z_o^\\top Z_n = U\\Sigma V^\\top`."""
    if Zn.shape != Zo.shape:
        raise ValueError(f"Procrustes needs equal shapes, got {tuple(Zn.shape)} and "
                         f"{tuple(Zo.shape)}")
    U, _, Vt = torch.linalg.svd(Zo.T @ Zn, full_matrices=False)
    return U @ Vt


def _orthogonal_part(A: torch.Tensor) -> torch.Tensor:
    """Q of A = QR with sign(diag R) > 0: the hard-orthogonal parametrisation (identity on an
    already orthogonal A with positive diagonal of R)."""
    Q, R = torch.linalg.qr(A)
    return Q * torch.sign(torch.diagonal(R)).where(torch.diagonal(R) != 0, torch.ones(()))


# --------------------------------------------------------------------------------------
# Encoders (frozen after training)
# --------------------------------------------------------------------------------------


class Encoder(nn.Module):
    """MLP 784 → hidden → dim with a bias-free cosine classifier ``U`` (logit scale s)."""

    def __init__(self, hidden: int, dim: int, n_classes: int, scale: float):
        super().__init__()
        self.f = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(),
                               nn.Linear(hidden, dim))
        self.U = nn.Parameter(0.1 * torch.randn(n_classes, dim))
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(x)

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.scale * F.normalize(z, dim=1) @ F.normalize(self.U, dim=1).T


def train_encoder(x: torch.Tensor, y: torch.Tensor, *, hidden: int, n_classes: int,
                  epochs: int, cfg: Config, seed: int) -> Encoder:
    """Cross-entropy with the cosine classifier, Adam; returned frozen."""
    if len(x) != len(y) or int(y.max()) >= n_classes:
        raise ValueError("labels must be 0..n_classes-1, one per image")
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = Encoder(hidden, cfg.dim, n_classes, cfg.scale).to(x.device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.enc_lr)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g).to(x.device)
        for i in range(0, len(x), cfg.enc_batch):
            b = perm[i:i + cfg.enc_batch]
            loss = F.cross_entropy(model.logits(model(x[b])), y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval().requires_grad_(False)
    return model


# --------------------------------------------------------------------------------------
# Eq. 4: learning the map
# --------------------------------------------------------------------------------------


def fit_map(Zn: torch.Tensor, Zo: torch.Tensor, y: torch.Tensor, U: torch.Tensor, *,
            kind: str, cfg: Config, lam: float | None = None, seed: int = 0,
            align: str = "bct", W0: torch.Tensor | None = None
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Learn ``(W, b)`` of Eq. 1 on normalised new features ``Zn`` → old features ``Zo``.

    ``kind``: "affine" (μ = 0), "orthogonal" (hard, QR-parametrised W, bias learned) or
    "lambda" (Eq. 3 with ``lam``). ``align="bct"`` is Eq. 4; ``align="mse"`` is plain least
    squares to ``Zo`` (the oracle tests). ``W0`` defaults to the Procrustes solution."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if kind == "lambda" and lam is None:
        raise ValueError("kind='lambda' needs lam")
    if align not in ("bct", "mse"):
        raise ValueError(f"align must be 'bct' or 'mse', got {align!r}")
    Zn = F.normalize(Zn, dim=1)
    Zo_n = F.normalize(Zo, dim=1)
    W = (procrustes(Zn, Zo_n) if W0 is None else W0).clone().requires_grad_(True)
    b = torch.zeros(Zo.shape[1], dtype=Zn.dtype, device=Zn.device, requires_grad=True)
    opt = torch.optim.Adam([W, b], lr=cfg.lr)
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.steps)
             if cfg.schedule == "cosine" else None)
    Ubar = F.normalize(U, dim=1)
    g = torch.Generator().manual_seed(seed)
    for _ in range(cfg.steps):
        idx = torch.randint(0, len(Zn), (min(cfg.batch, len(Zn)),), generator=g).to(Zn.device)
        Wm = _orthogonal_part(W) if kind == "orthogonal" else W
        z = Zn[idx] @ Wm.T + b                                                  # Eq. 1
        if align == "bct":
            loss = (F.cross_entropy(cfg.scale * F.normalize(z, dim=1) @ Ubar.T, y[idx])
                    + (1 - F.cosine_similarity(z, Zo_n[idx], dim=1)).mean())   # Eq. 4
        else:
            loss = ((z - Zo[idx]) ** 2).sum(1).mean()
        if kind == "lambda":
            loss = loss + cfg.mu * lambda_penalty(W, lam, cfg.penalty)          # Eq. 4, μ R_λ
        opt.zero_grad()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
    with torch.no_grad():
        Wf = _orthogonal_part(W) if kind == "orthogonal" else W
    return Wf.detach().clone(), b.detach().clone()


def apply_map(W: torch.Tensor, b: torch.Tensor, Z: torch.Tensor) -> torch.Tensor:
    """B(z̄) = W z̄ + b on L2-normalised new features (Eq. 1)."""
    return F.normalize(Z, dim=1) @ W.T + b


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


def ncm_accuracy(Ztr: torch.Tensor, ytr: torch.Tensor, Zte: torch.Tensor,
                 yte: torch.Tensor) -> float:
    """Nearest-class-mean accuracy (Euclidean): unchanged by any rigid motion of the space."""
    classes = torch.unique(ytr)
    P = torch.stack([Ztr[ytr == c].mean(0) for c in classes])
    pred = classes[torch.cdist(Zte.double(), P.double()).argmin(1)]
    return float((pred == yte).double().mean())


def evaluate_map(W, b, feats: dict, U: torch.Tensor) -> dict[str, float]:
    """Compatibility on D (new queries vs the old gallery) and preservation on H."""
    q = apply_map(W, b, feats["zn_te_D"])
    cross = retrieval_metrics(q, feats["y_te_D"], feats["zo_tr_D"], feats["y_tr_D"])
    clf = (F.normalize(q, dim=1) @ F.normalize(U, dim=1).T).argmax(1)
    h_tr, h_te = apply_map(W, b, feats["zn_tr_H"]), apply_map(W, b, feats["zn_te_H"])
    held = retrieval_metrics(h_te, feats["y_te_H"], h_tr, feats["y_tr_H"])
    return {
        "cross_mAP": cross["mAP"], "cross_top1": cross["top1"],
        "old_clf_acc": float((clf == feats["y_te_D"]).double().mean()),
        "align_cos": float(F.cosine_similarity(q, feats["zo_te_D"], dim=1).mean()),
        "H_mAP": held["mAP"], "H_top1": held["top1"],
        "H_ncm": ncm_accuracy(h_tr, feats["y_tr_H"], h_te, feats["y_te_H"]),
        "defect": float(orthogonality_defect(W)),
    }


# --------------------------------------------------------------------------------------
# The experiment
# --------------------------------------------------------------------------------------


def load_data(cfg: Config):
    """MNIST as float images in [0, 1]: the offline 5k sample (ci) or the full set (full)."""
    if cfg.dataset == "mnist5k":
        from ..data.mnist import load_mnist5k
        return load_mnist5k()
    from ..data.vision import load_mnist
    return load_mnist()


@torch.no_grad()
def _features(model: Encoder, x: torch.Tensor, batch: int = 4096) -> torch.Tensor:
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)]).cpu()


def train_encoders(data, cfg: Config, *, seed: int, device="cpu") -> dict:
    """Old encoder on D only, new (wider, longer-trained) encoder on all classes; both frozen;
    returns the cached features split by D / H and train / test, and the old classifier."""
    xtr = torch.as_tensor(data.x_train, device=device)
    xte = torch.as_tensor(data.x_test, device=device)
    ytr, yte = torch.as_tensor(data.y_train), torch.as_tensor(data.y_test)
    D = torch.arange(cfg.n_adapt)
    dtr, dte = torch.isin(ytr, D), torch.isin(yte, D)
    old = train_encoder(xtr[dtr.to(device)], ytr[dtr].to(device), hidden=cfg.old_hidden,
                        n_classes=cfg.n_adapt, epochs=cfg.old_epochs, cfg=cfg,
                        seed=1000 + seed)
    new = train_encoder(xtr, ytr.to(device), hidden=cfg.new_hidden, n_classes=10,
                        epochs=cfg.new_epochs, cfg=cfg, seed=2000 + seed)
    zo_tr, zo_te = _features(old, xtr), _features(old, xte)
    zn_tr, zn_te = _features(new, xtr), _features(new, xte)
    return {
        "zo_tr_D": zo_tr[dtr], "zo_te_D": zo_te[dte], "zn_tr_D": zn_tr[dtr],
        "zn_te_D": zn_te[dte], "zn_tr_H": zn_tr[~dtr], "zn_te_H": zn_te[~dte],
        "y_tr_D": ytr[dtr], "y_te_D": yte[dte], "y_tr_H": ytr[~dtr], "y_te_H": yte[~dte],
        "U_o": old.U.detach().cpu(),
    }


def run_experiment(data, cfg: Config, *, seed: int, device="cpu",
                   lambdas: tuple[float, ...] | None = None) -> dict:
    """Every map of the comparison on the same frozen features; results keyed by name."""
    feats = train_encoders(data, cfg, seed=seed, device=device)
    U = feats["U_o"]
    args = (feats["zn_tr_D"], feats["zo_tr_D"], feats["y_tr_D"], U)
    d = cfg.dim
    maps = {"independent": (torch.eye(d), torch.zeros(d)),
            "Procrustes": (procrustes(F.normalize(args[0], dim=1),
                                      F.normalize(args[1], dim=1)), torch.zeros(d)),
            "orthogonal": fit_map(*args, kind="orthogonal", cfg=cfg, seed=seed)}
    for lam in cfg.lambdas if lambdas is None else lambdas:
        maps[f"λ={lam:g}"] = fit_map(*args, kind="lambda", lam=lam, cfg=cfg, seed=seed)
    maps["affine"] = fit_map(*args, kind="affine", cfg=cfg, seed=seed)
    res = {k: evaluate_map(W, b, feats, U) for k, (W, b) in maps.items()}
    refs = {
        "old/old": retrieval_metrics(feats["zo_te_D"], feats["y_te_D"], feats["zo_tr_D"],
                                     feats["y_tr_D"]),
        "new/new (D)": retrieval_metrics(feats["zn_te_D"], feats["y_te_D"], feats["zn_tr_D"],
                                         feats["y_tr_D"]),
        "new/new (H)": retrieval_metrics(feats["zn_te_H"], feats["y_te_H"], feats["zn_tr_H"],
                                         feats["y_tr_H"]),
        "new NCM (H)": ncm_accuracy(F.normalize(feats["zn_tr_H"], dim=1), feats["y_tr_H"],
                                    F.normalize(feats["zn_te_H"], dim=1), feats["y_te_H"]),
    }
    return {"results": res, "maps": maps, "refs": refs, "feats": feats}
