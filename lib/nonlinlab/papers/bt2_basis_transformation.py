r"""Zhou, Li, Shrivastava, Zhao, Torralba, Tian & Lim (CVPR 2023), *BT²: Backward-compatible
Training with Basis Transformation* (arXiv:2211.03989).

What is implemented (official code ``YifeiZhou02/BT-2``, itself adapted from ``apple/ml-fct``:
``models/resnet.py`` class ``ResNet_ortho``, ``trainers/transfer_trainer.py``,
``trainers/bct_trainer.py``, ``train_feature_transfer.py``, ``configs/cifar100_*.yaml``;
where the paper and the code differ we follow the code)
-----------------------------------------------------------------------------------------------

**Setting.** An *old* embedding model :math:`\phi_{old}` (dimension :math:`d_{old}`) was trained
on part of the classes; its features of a gallery are stored. A *new* model is trained on more
classes. It is *backward compatible* when its query features, compared with the stored old
gallery features, retrieve better than the old model itself (``old/new`` > ``old/old``), so the
gallery need not be re-indexed ("backfilled").

**Independent** training: the same recipe as the old model, all classes: cross-entropy with label
smoothing 0.1 on ``fc(f)``, :math:`f` the L2-normalised embedding.

**BCT** (Shen et al. 2020, the *influence loss*; official ``bct_trainer.py``):

.. math:: L_{BCT} = \mathrm{CE}_{ls}(\mathrm{fc}(f), y) + \alpha\,\mathrm{CE}_{ls}(f P^\top, y),
   \qquad \alpha = 10,

with the *pseudo-classifier* :math:`P\in\mathbb R^{K\times d_{old}}`, row :math:`c` = the mean of
the (normalised) old features of the training images of class :math:`c`, over **all** K classes
(``train_feature_transfer.py``), and unscaled logits :math:`fP^\top`.

**BT²** (``ResNet_ortho``). The backbone outputs :math:`h\in\mathbb R^{d_{new}+d_{old}}`;

.. math::
   f = \frac{h_{1:d_{new}}}{\lVert h_{1:d_{new}}\rVert}, \quad
   o = \mathrm{normalize}(W_3\,\mathrm{ReLU}(h) + b_3) \in \mathbb R^{d_{old}}, \quad
   u = \big[\mathrm{normalize}(o_{1:k}),\; Q_p (C f)\big] \in \mathbb R^{k+d_{new}},

   \mathrm{bct} = Q_o\, u_{1:d_{old}}, \qquad e = \big[\mathrm{bct},\; u_{d_{old}+1:k+d_{new}}\big]
   \in \mathbb R^{d_{new}+k},

with learnable orthogonal :math:`Q_p\in O(d_{new})`, :math:`Q_o\in O(d_{old})`
(``torch.nn.utils.parametrizations.orthogonal``), :math:`k` = ``to_add_dim`` extra dimensions and
:math:`C = 2`. The deployed embedding is :math:`e`; its first :math:`d_{old}` dimensions
(``bct``) are the backward-compatible part. Because the maps are orthonormal,
:math:`\lVert e\rVert^2 = 1 + C^2` exactly and :math:`e\cdot e' = o_{1:k}\cdot o'_{1:k} + C^2
f\cdot f'`: nothing of :math:`f` is lost to compatibility. Loss (``transfer_trainer.py``,
:math:`\lambda_1 = 1, \lambda_2 = 10, \lambda_3 = 5`; note the code's plain cross-entropy on
``fc_out(f)`` although the config lists label smoothing):

.. math:: L = \mathrm{CE}(\mathrm{fc_{out}}(f), y)
   + \lambda_2\,\mathrm{CE}(\overline{\mathrm{bct}}\,P^\top, y)
   + \lambda_3\,(1 - \overline{\mathrm{bct}}\cdot\phi_{old}(x))
   + \lambda_1\,(1 - f\cdot\phi_{new}(x)),

bars = L2 normalisation, :math:`\phi_{old}(x), \phi_{new}(x)` the frozen normalised features of
the old and of the *independently trained* new model.

**No basis transformation** (ablation, the paper's "naively adding dimensions"): the same
network, losses and extra dimensions with :math:`Q_p = Q_o = I`.

**Evaluation** (``utils/eval_utils.py``, ``cmc_evaluate``): the test set is query and gallery,
each query's own image excluded from the gallery; cosine similarity; CMC top-1 / top-5 and mAP.
Protocols: ``old/old``, ``new/old`` (new queries, old gallery; BT² queries use the first
:math:`d_{old}` dims of :math:`e`), ``new/new``.

Sizes. The paper: CIFAR-100, ResNet-50, :math:`d=128, k=32`, 50 → 100 classes, 100 epochs. Here:
real MNIST digits (``ci``: 4,000 for training, 1,000 for testing), MLP backbones,
:math:`d = 32, k = 8`, 5 → 10 classes; the optimiser (Adam, lr 1e-3, weight decay 3.05e-5, cosine
schedule with warm-up, batch 128) and the loss weights are the official ones.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import orthogonal

from ..core import ProfileConfig, Profiles, require

# --------------------------------------------------------------------------------------
# Paper numbers (official README, CIFAR-100, ResNet-50, 50 → 100 classes; top-1/top-5/mAP, %)
# --------------------------------------------------------------------------------------

PAPER_CIFAR100 = {
    ("independent", "old/old"): (33.6, 55.4, 24.4),
    ("independent", "new/old"): (0.8, 4.9, 1.5),
    ("independent", "new/new"): (62.7, 74.6, 49.9),
    ("BCT", "new/old"): (25.0, 62.1, 24.7),
    ("BCT", "new/new"): (60.0, 71.9, 47.3),
    ("BT2", "new/old"): (38.7, 64.6, 27.7),
    ("BT2", "new/new"): (62.4, 75.1, 50.5),
}
#: ImageNet-1k top-1 (paper Table 1): new/old, new/new.
PAPER_IMAGENET = {"BCT": (44.3, 65.3), "BT2": (44.4, 66.6), "independent": (None, 67.9)}

LAMBDA_1, LAMBDA_2, LAMBDA_3 = 1.0, 10.0, 5.0   # transfer config: new-match, influence, old-match
ALPHA_BCT = 10.0                                # bct config: influence-loss weight
C_SCALE = 2.0                                   # C of ResNet_ortho (cifar100_transfer.yaml)
LABEL_SMOOTHING = 0.1
LR, WEIGHT_DECAY, BATCH = 1e-3, 3.0517578125e-5, 128

METHODS = ("independent", "BCT", "BT2", "BT2 (no basis transformation)")

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    n_per_class: int = 500     # MNIST digits per class (of 500; 80 % train, 20 % test)
    old_classes: int = 5       # the old model sees classes 0..old_classes-1 (paper: 50 of 100)
    old_fraction: float = 0.5  # ... and this fraction of their training images
    old_hidden: int = 64       # old MLP: 784 → old_hidden → d_old
    old_epochs: int = 4
    hidden: int = 256          # new MLPs: 784 → hidden → hidden → d
    epochs: int = 40
    warmup: int = 1            # epochs of linear warm-up before the cosine decay
    d_old: int = 32
    d_new: int = 32
    k: int = 8                 # extra dimensions (to_add_dim)
    C: float = C_SCALE
    pool: int = 2              # images average-pooled pool×pool (28 → 14 px in ci)

    def check(self) -> None:
        require(20 <= self.n_per_class <= 500, "n_per_class must be in [20, 500]")
        require(1 <= self.old_classes < 10, "old_classes must be in [1, 9]")
        require(0 < self.old_fraction <= 1, "old_fraction must be in (0, 1]")
        require(min(self.old_hidden, self.old_epochs, self.hidden, self.epochs) >= 1,
                "widths and epochs must be >= 1")
        require(0 <= self.warmup < self.epochs, "warmup must be in [0, epochs)")
        require(1 <= self.k <= self.d_old <= self.d_new + self.k,
                "need 1 <= k <= d_old <= d_new + k")
        require(self.C > 0, "C must be > 0")
        require(self.pool in (1, 2, 4), "pool must be 1, 2 or 4")

    @property
    def in_dim(self) -> int:
        return (28 // self.pool) ** 2


CONFIGS = Profiles(
    ci=Config(),
    full=Config(hidden=1024, epochs=100, warmup=5, d_old=128, d_new=128, k=32, old_epochs=10),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from timings on this 2-core machine at one thread: a training step costs
    ≈ 6·(in·w + w² + w·2d) flops per image at ≈ 1.5e10 flop/s effective (the ci run: ≈ 7 s of
    CPU per new model); four new models (independent, BCT, BT², ablation), the small old
    model, evaluation and imports (≈ 6 s). Full (hidden 1024): on a GPU, ≈ 100× faster than one
    CPU thread."""
    n = 8 * cfg.n_per_class
    per_img = 6 * (cfg.in_dim * cfg.hidden + cfg.hidden ** 2 + cfg.hidden * 2 * cfg.d_new)
    old = 6 * cfg.in_dim * cfg.old_hidden * n * cfg.old_fraction / 2 * cfg.old_epochs
    sec = (4 * per_img * n * cfg.epochs + old) / 1.5e10
    if cfg.hidden > 256:  # full profile: on a GPU
        sec /= 100
    return sec + 6.0


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


class MLPEmbedder(nn.Module):
    """784 → hidden (ReLU) ×depth → ``dim`` embedding; ``forward`` returns
    ``(logits = fc(f), f)`` with ``f`` L2-normalised (official ``norm_feature: True``)."""

    def __init__(self, n_classes: int, dim: int, hidden: int, depth: int = 2,
                 in_dim: int = 196):
        super().__init__()
        layers, w = [], in_dim
        for _ in range(depth):
            layers += [nn.Linear(w, hidden), nn.ReLU()]  # last_nonlin: ReLU before the embedding
            w = hidden
        self.body = nn.Sequential(*layers, nn.Linear(w, dim))
        self.fc = nn.Linear(dim, n_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.body(x.flatten(1)), dim=1)

    def forward(self, x: torch.Tensor):
        f = self.embed(x)
        return self.fc(f), f


class BT2Net(nn.Module):
    """The BT² model (official ``ResNet_ortho``) on an MLP backbone.

    ``forward`` returns ``(logits, bct, f, e)``: classification logits ``fc_out(f)``, the
    backward-compatible block ``bct`` (the first ``d_old`` dims of ``e``), the new feature ``f``
    and the deployed embedding ``e`` of ``d_new + k`` dims. ``basis=False`` is the ablation
    without the basis transformation (``Q_p = Q_o = I``)."""

    def __init__(self, n_classes: int, d_new: int, d_old: int, k: int, hidden: int,
                 C: float = C_SCALE, basis: bool = True, depth: int = 2, in_dim: int = 196):
        super().__init__()
        if not 1 <= k <= d_old <= d_new + k:
            raise ValueError(f"need 1 <= k <= d_old <= d_new + k, got k={k}, d_old={d_old}, "
                             f"d_new={d_new}")
        self.backbone = MLPEmbedder(n_classes, d_new + d_old, hidden, depth, in_dim).body
        self.fc3 = nn.Linear(d_new + d_old, d_old)          # 1×1 conv of the official code
        self.fc_out = nn.Linear(d_new, n_classes, bias=False)
        self.d_new, self.d_old, self.k, self.C, self.basis = d_new, d_old, k, C, basis
        if basis:
            self.Q_p = orthogonal(nn.Linear(d_new, d_new, bias=False))
            self.Q_o = orthogonal(nn.Linear(d_old, d_old, bias=False))
        else:
            self.Q_p = self.Q_o = nn.Identity()

    def forward(self, x: torch.Tensor):
        h = self.backbone(x.flatten(1))
        o = F.normalize(self.fc3(F.relu(h)), dim=1)            # old branch
        f = F.normalize(h[:, :self.d_new], dim=1)               # new feature
        u = torch.cat([F.normalize(o[:, :self.k], dim=1),
                       self.Q_p(self.C * f)], dim=1)            # u = [o_{1:k}, Q_p C f]
        bct = self.Q_o(u[:, :self.d_old])                       # bct = Q_o u_{1:d_old}
        e = torch.cat([bct, u[:, self.d_old:]], dim=1)          # e = [bct, u_{d_old+1:}]
        return self.fc_out(f), bct, f, e


def orthogonality_error(model: BT2Net) -> float:
    """max over Q_p, Q_o of max |QᵀQ − I| (0 for the ablation)."""
    err = 0.0
    for q in (model.Q_p, model.Q_o):
        if isinstance(q, nn.Identity):
            continue
        W = q.weight.detach().double()
        err = max(err, float((W.T @ W - torch.eye(W.shape[0], dtype=W.dtype)).abs().max()))
    return err


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


def lr_at(step: int, total: int, warmup: int, lr: float = LR) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to 0 (official ``cosine_lr``,
    per step here instead of per epoch)."""
    if step < warmup:
        return lr * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return 0.5 * lr * (1 + math.cos(math.pi * t))


def _train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, *, epochs: int,
           warmup: int, seed: int, extra: tuple[torch.Tensor, ...] = ()) -> list[float]:
    """Adam (official lr, weight decay), batch 128, cosine schedule; ``loss_fn(model, xb, yb,
    *extra_b)``; returns the mean loss of each epoch. The model ends in eval mode, frozen."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    n = len(x)
    per_epoch = math.ceil(n / BATCH)
    total, step, losses = epochs * per_epoch, 0, []
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g).to(x.device)
        run = 0.0
        for i in range(0, n, BATCH):
            b = perm[i:i + BATCH]
            for grp in opt.param_groups:
                grp["lr"] = lr_at(step, total, warmup * per_epoch)
            loss = loss_fn(model, x[b], y[b], *(t[b] for t in extra))
            opt.zero_grad()
            loss.backward()
            opt.step()
            run += float(loss.detach()) * len(b)
            step += 1
        losses.append(run / n)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return losses


def plain_loss(model, xb, yb):
    """Old and independent models: CE with label smoothing 0.1 on ``fc(f)``."""
    logits, _ = model(xb)
    return F.cross_entropy(logits, yb, label_smoothing=LABEL_SMOOTHING)


def bct_loss(model, xb, yb, P, alpha=ALPHA_BCT):
    """Influence loss: CE_ls(fc(f)) + α CE_ls(f Pᵀ) (official ``bct_trainer.py``)."""
    logits, f = model(xb)
    return (F.cross_entropy(logits, yb, label_smoothing=LABEL_SMOOTHING)
            + alpha * F.cross_entropy(f @ P.T, yb, label_smoothing=LABEL_SMOOTHING))


def bt2_loss(model, xb, yb, phi_old, phi_new, P, lambdas=(LAMBDA_1, LAMBDA_2, LAMBDA_3)):
    """The BT² loss of ``transfer_trainer.py`` (plain CE on ``fc_out(f)``, as in the code)."""
    l1, l2, l3 = lambdas
    logits, bct, f, _ = model(xb)
    b = F.normalize(bct, dim=1)
    loss = F.cross_entropy(logits, yb)
    loss = loss + l2 * F.cross_entropy(b @ P.T, yb)              # influence loss on bct
    loss = loss + l3 * (1 - (b * phi_old).sum(1).mean())         # match φ_old
    return loss + l1 * (1 - (f * phi_new).sum(1).mean())         # match φ_new


@torch.no_grad()
def embed(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Deployed embedding: ``f`` of an :class:`MLPEmbedder`, ``e`` of a :class:`BT2Net`."""
    out = model(x)
    return (out[3] if isinstance(model, BT2Net) else out[1]).double()


def pseudo_classifier(phi_old: torch.Tensor, y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Row c = mean of the normalised old features of the training images of class c (every
    class, those the old model never saw included; ``train_feature_transfer.py``)."""
    P = torch.zeros(n_classes, phi_old.shape[1], dtype=phi_old.dtype, device=phi_old.device)
    cnt = torch.bincount(y, minlength=n_classes)
    if (cnt == 0).any():
        raise ValueError("every class needs at least one training image")
    P.index_add_(0, y, phi_old)
    return P / cnt[:, None].to(P.dtype)


# --------------------------------------------------------------------------------------
# Evaluation (test set = queries = gallery, self excluded)
# --------------------------------------------------------------------------------------


def cmc_map(query: torch.Tensor, gallery: torch.Tensor, labels: torch.Tensor,
            ks=(1, 5)) -> dict[str, float]:
    """CMC top-k and mAP of cosine retrieval where item ``i`` of ``query`` and of ``gallery``
    is the same image (excluded from its own ranking). Queries may be truncated to the
    gallery's dimension beforehand (new/old)."""
    if query.shape[0] != gallery.shape[0] or query.shape[0] != labels.shape[0]:
        raise ValueError("query, gallery and labels must index the same images")
    if query.shape[1] != gallery.shape[1]:
        raise ValueError(f"query dim {query.shape[1]} != gallery dim {gallery.shape[1]}")
    q = F.normalize(query.double(), dim=1)
    g = F.normalize(gallery.double(), dim=1)
    s = q @ g.T
    s.fill_diagonal_(-math.inf)                      # exclude self
    order = torch.sort(s, dim=1, descending=True, stable=True).indices[:, :-1]
    rel = (labels[order] == labels[:, None]).double()
    n_rel = rel.sum(1)
    if (n_rel == 0).any():
        raise ValueError("every query needs another gallery item of its class")
    ranks = torch.arange(1, rel.shape[1] + 1, dtype=torch.float64, device=rel.device)
    ap = ((rel.cumsum(1) / ranks) * rel).sum(1) / n_rel
    out = {f"top{k}": float(rel[:, :k].amax(1).mean()) for k in ks}
    out["mAP"] = float(ap.mean())
    return out


def protocols(q_new: torch.Tensor, g_old_feats: torch.Tensor, labels: torch.Tensor,
              d_old: int) -> dict[str, dict[str, float]]:
    """``new/old`` (first ``d_old`` dims of the new embedding vs old gallery) and ``new/new``."""
    return {"new/old": cmc_map(q_new[:, :d_old], g_old_feats, labels),
            "new/new": cmc_map(q_new, q_new, labels)}


# --------------------------------------------------------------------------------------
# The experiment
# --------------------------------------------------------------------------------------


def load_data(cfg: Config):
    """The 5,000 real MNIST digits, fixed stratified split (``split_seed=0``), 80/20."""
    from ..data.mnist import load_mnist5k

    return load_mnist5k(test_fraction=0.2, split_seed=0, n_per_class=cfg.n_per_class)


def images(x: np.ndarray, cfg: Config, device="cpu") -> torch.Tensor:
    """Images (n, 1, H, W) → flattened (n, H·W/pool²) after pool×pool average pooling."""
    t = torch.as_tensor(x, device=device)
    if cfg.pool > 1:
        t = F.avg_pool2d(t, cfg.pool)
    return t.flatten(1).contiguous()


def old_subset(y: np.ndarray, cfg: Config, seed: int) -> np.ndarray:
    """Indices of the old model's training images: classes < old_classes, ``old_fraction``
    of each (seeded)."""
    rng = np.random.default_rng(seed + 1000)
    idx = []
    for c in range(cfg.old_classes):
        i = rng.permutation(np.flatnonzero(y == c))
        idx.append(i[:max(1, int(round(cfg.old_fraction * len(i))))])
    return np.sort(np.concatenate(idx))


def run_experiment(data, cfg: Config, *, seed: int, device="cpu",
                   methods=METHODS) -> dict:
    """Train the old model, the independent new model, BCT and BT² (and the ablation), and
    evaluate every protocol. Returns ``{"metrics": {(method, protocol): {...}}, "models":
    {...}, "seconds": {...}, "losses": {...}, "P": pseudo-classifier}``."""
    unknown = set(methods) - set(METHODS)
    if unknown or "independent" not in methods:
        raise ValueError(f"methods among {METHODS}, 'independent' included (BT² needs φ_new)")
    K = data.n_classes
    xtr = images(data.x_train, cfg, device)
    ytr = torch.as_tensor(data.y_train, device=device)
    xte = images(data.x_test, cfg, device)
    yte = torch.as_tensor(data.y_test, device=device)
    secs, losses, models = {}, {}, {}

    def timed(name, fn):
        t0 = time.perf_counter()
        out = fn()
        secs[name] = time.perf_counter() - t0
        return out

    # old model: part of the classes, part of their images
    sub = torch.as_tensor(old_subset(data.y_train, cfg, seed), device=device)
    torch.manual_seed(seed)
    old = MLPEmbedder(cfg.old_classes, cfg.d_old, cfg.old_hidden, 1, cfg.in_dim).to(device)
    losses["old"] = timed("old", lambda: _train(old, xtr[sub], ytr[sub], plain_loss,
                                                epochs=cfg.old_epochs, warmup=0, seed=seed))
    models["old"] = old
    with torch.no_grad():
        phi_old_tr = old(xtr)[1]
    P = pseudo_classifier(phi_old_tr, ytr, K)
    g_old = embed(old, xte)
    metrics = {("old", "old/old"): cmc_map(g_old, g_old, yte)}

    for name in methods:
        torch.manual_seed(seed + 1 + METHODS.index(name))
        if name == "independent":
            m = MLPEmbedder(K, cfg.d_new, cfg.hidden, 2, cfg.in_dim).to(device)
            fn, extra = plain_loss, ()
        elif name == "BCT":
            if cfg.d_new != cfg.d_old:
                raise ValueError("BCT needs d_new == d_old")
            m = MLPEmbedder(K, cfg.d_new, cfg.hidden, 2, cfg.in_dim).to(device)
            fn, extra = partial(bct_loss, P=P), ()
        else:
            m = BT2Net(K, cfg.d_new, cfg.d_old, cfg.k, cfg.hidden, cfg.C,
                       basis=name == "BT2", in_dim=cfg.in_dim).to(device)
            with torch.no_grad():
                phi_new_tr = models["independent"](xtr)[1]
            fn = partial(bt2_loss, P=P)
            extra = (phi_old_tr, phi_new_tr)
        losses[name] = timed(name, lambda m=m, fn=fn, extra=extra: _train(
            m, xtr, ytr, fn, epochs=cfg.epochs, warmup=cfg.warmup, seed=seed, extra=extra))
        models[name] = m
        for prot, v in protocols(embed(m, xte), g_old, yte, cfg.d_old).items():
            metrics[(name, prot)] = v
    return {"metrics": metrics, "models": models, "seconds": secs, "losses": losses, "P": P,
            "g_old": g_old}


@torch.no_grad()
def agreement_with_new(model: BT2Net, independent: MLPEmbedder, x: torch.Tensor) -> np.ndarray:
    """Per image, :math:`\\cos(f, \\phi_{new}(x))`: how much of the independent new model the
    BT² feature ``f`` (the part the basis transformation carries intact into ``e``) keeps."""
    f = model(x)[2]
    return (f * independent(x)[1]).sum(1).double().cpu().numpy()


@torch.no_grad()
def norm_identity_error(model: BT2Net, x: torch.Tensor) -> float:
    """max over images of :math:`\\lvert \\lVert e\\rVert^2 - (1 + C^2)\\rvert` (0 to rounding
    when the maps are orthonormal)."""
    e = model(x)[3].double()
    return float(((e * e).sum(1) - (1 + model.C ** 2)).abs().max())


def summary_table(metrics: dict) -> dict[tuple[str, str], dict[str, float]]:
    """Rows in display order: old/old, then new/old and new/new of every method."""
    order = [("old", "old/old")] + [(m, p) for m in METHODS for p in ("new/old", "new/new")]
    return {k: metrics[k] for k in order if k in metrics}
