r"""Ding, Tong, Chan, Dai, Ma & Haeffele (ICCV 2023), *Unsupervised Manifold Linearizing and
Clustering* (MLC, arXiv:2301.01805).

What is implemented
-------------------

**Model.** A shared backbone :math:`h_\theta` and two linear heads on it: the *feature* head
:math:`z_i = f_\theta(x_i)` and the *cluster* head :math:`c_i = g_\theta(x_i)`, both normalised
to the unit sphere of :math:`\mathbb R^d`. The backbone is the MLP of the authors' follow-up
code (``LeslieTrue/CPP``, ``model/CPP_model.py``: Linear–BatchNorm–ReLU–Linear–ReLU, then one
linear layer per head), which is MLC's head on frozen features.

**Coding rates** (paper Eqs. 1–2; :mod:`nonlinlab.models.clustering`).

.. math:: R(Z) = \tfrac12\log\det\!\big(I_d + \tfrac{d}{n\epsilon^2} Z^\top Z\big),\qquad
          R_c(Z,\Gamma) = \sum_{j=1}^n \tfrac{1}{2n}\log\det\!\big(I_d +
          \tfrac{d}{\epsilon^2} Z^\top \mathrm{diag}(\Gamma_j) Z\big),

where :math:`\Gamma_j` is the :math:`j`-th column of the membership: every sample defines a
soft "cluster" of the samples it is similar to.

**Doubly stochastic membership** (paper Eq. 6). :math:`\Gamma_\theta = n\,\Pi^\star` with

.. math:: \Pi^\star = \arg\min_{\Pi\ge0,\ \Pi\mathbf 1 = \Pi^\top\mathbf 1 = \mathbf 1/n}
          -\langle \lvert C C^\top\rvert, \Pi\rangle + \eta \langle \Pi, \log \Pi\rangle,

computed by unrolled log-domain Sinkhorn iterations and differentiated through them. The
absolute value of the cosine follows the official code (``main.py``:
``(logits @ logits.T).abs()``): two features on one line through the origin are in one
subspace.

**Objective** (paper Eq. 7 and the official ``MLCLoss``): minimise over :math:`\theta`

.. math:: \mathcal L = -R(Z_\theta) + R_c(Z_\theta, \Gamma_\theta)
          + \tfrac{\gamma}{2}\lVert \Gamma_\theta \rVert_F^2 ,

the last term being the official code's regulariser (``pigam = 0.05``), which keeps the
membership from concentrating on the diagonal (the trivial :math:`\Gamma = I` minimises
:math:`R_c`).

**One-shot initialisation** (paper §3.3). The backbone and the feature head are first trained
with the total coding rate (TCR); then the cluster head is set to a copy of the feature head
(official ``utils.update_pi_from_z``), so that :math:`\Gamma` starts as the Sinkhorn
projection of the initial similarities. On fixed input features (the digits, as the official
code does with frozen CLIP features) the TCR phase is the official warm-up: ``--warmup 50``
steps of :math:`-R(Z)` alone (``TotalCodingRate``), no augmentation. On the planted circles,
raw coordinates where local similarity cannot tell nested circles apart, it is TCR on two
augmented views (the paper's self-supervised initialisation),
:math:`-R(Z^{(1)}) - R(Z^{(2)}) - \lambda\,\overline{\cos}(Z^{(1)}, Z^{(2)})`.

**Inference** (official ``metrics/clustering.py``). :math:`\Gamma` of the whole set, symmetrised,
is the affinity of spectral clustering with :math:`k` clusters, read out as the official code
does: the :math:`k` leading eigenvectors of :math:`I - L_{\rm sym}`, each row normalised to unit
length, then k-means; ACC under the Hungarian matching and NMI. (An earlier version used
scikit-learn's ``spectral_clustering``, whose embedding is not row-normalised; on the circles
it read the trained membership of seed 0 as ACC 0.87, the row-normalised readout of the same
:math:`\Gamma` as 1.00.)

Paper vs code, and what we changed
----------------------------------
* The paper trains a ResNet-18 on CIFAR/TinyImageNet images; we train the MLP head on
  (i) a planted union of :math:`k` non-linear manifolds (concentric circles, embedded non-linearly
  in :math:`\mathbb R^{D}`) and (ii) real handwritten digits (scikit-learn's digits, 64 pixels).
* Hyper-parameters follow the official code (:data:`PAPER`): :math:`\epsilon^2 = 0.1`
  (``MLCLoss(eps=0.1)``), :math:`\eta = 0.175`, 5 Sinkhorn iterations in training,
  :math:`\gamma = 0.05`, ``d = 128`` at full scale. The official code optimises with SGD
  (lr 3e-3 / 2e-3 for the cluster head) over 30 epochs; at a few hundred steps we use Adam,
  lr 1e-3 for the TCR phase and 3e-4 for the MLC phase (at 1e-3 the MCR² phase fragments the
  clusters: circles ACC 0.44 instead of 0.82 at seed 0, with scikit-learn's readout; at 1e-4
  it barely moves the digits).
  The official optimiser (``mlc_opt="sgd"``: SGD, momentum 0.9, lr 3e-3 / 2e-3, weight decay
  1e-4 / 5e-3) is available; at 100 steps it linearizes less (circles cross-class
  :math:`\lvert\cos\rvert` ratio 0.88 against 0.61 with Adam, seed 5).
* The weight :math:`\lambda` of the TCR invariance term is not given in a form we could check;
  :math:`\lambda = 10` on the nested circles, where a
  weaker invariance leaves the initial features unable to tell the circles apart (initial ACC
  ≈ 0.3–0.5 at :math:`\lambda = 2`, ≈ 0.75 at :math:`\lambda = 10`, seeds 1–2, with
  scikit-learn's readout; 1.00 at seeds 0–5 with the official one).
* Clustering headline: on the digits, with the official warm-up recipe, MLC raises the
  accuracy of its initialisation at every seed we tried (asserted at ``ci``); whether it also
  beats k-means and spectral clustering on the same inputs depends on the seed (reported).
  On the circles, after a strong augmented initialisation (ACC 1.00), the MCR² phase
  fragments the circles (reported; see the chapter's Discussion).
* Restarts (``Config.restarts``, default 1; not in the official code, which trains one run):
  independent initialisations of the digits run, keeping the one with the lowest MCR² objective
  on the whole set (:func:`full_objective`, no labels). Four restarts lift the median digits ACC
  over seeds 0–4, 7, 11 from 0.798 to 0.848, but not above spectral clustering of the pixels at
  every seed (seed 3: 0.799 against 0.808), and each costs ≈ 6 s of CPU, so ``ci`` runs one.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, best_of, require
from ..models.clustering import clustering_accuracy, coding_rate, coding_rate_membership, sinkhorn

#: Official hyper-parameters (``LeslieTrue/CPP`` ``main.py``, the authors' MLC head code).
PAPER = dict(eps2=0.1, eta=0.175, sinkhorn_iters=5, gamma=0.05, z_dim=128, hidden=4096,
             batch=2000)
#: Paper, abstract: MLC clusters CIFAR-10/20/100 and TinyImageNet-200 "much more accurately"
#: than prior deep clustering methods; Fig. 1 / §4: features of different clusters lie in
#: (near-)orthogonal subspaces.
PAPER_CLAIM_ACC = ("MLC is more accurate than k-means/spectral clustering and than its "
                   "initialisation")
PAPER_CLAIM_ORTH = "clusters occupy (near-)orthogonal linear subspaces"


@dataclass(frozen=True)
class Config(ProfileConfig):
    n_per_class: int = 400        # circles: points per manifold
    k: int = 4                    # circles: number of manifolds
    ambient: int = 32             # circles: ambient dimension D
    hidden: int = 256
    z_dim: int = 16
    batch: int = 512
    pre_steps: int = 50           # digits: TCR warm-up steps (official ``--warmup 50``)
    pre_steps_circles: int = 400  # TCR initialisation on the nested circles
    mlc_steps: int = 100
    lr: float = 1e-3              # TCR pre-training
    lr_mlc: float = 3e-4          # MLC: backbone and feature head
    lr_c: float = 3e-4            # MLC: cluster head
    mlc_opt: str = "adam"
    wd: float = 1e-4
    wd_c: float = 5e-3
    eps2: float = PAPER["eps2"]
    eta: float = PAPER["eta"]
    sinkhorn_iters: int = PAPER["sinkhorn_iters"]
    gamma: float = PAPER["gamma"]
    inv_weight_circles: float = 10.0  # λ on the circles (nested manifolds need more invariance)
    angle_jitter: float = 0.5     # circles: augmentation = angle jitter (rad) + fresh noise
    digits_n: int = 1797          # real digits: how many of sklearn's 1797
    eval_iters: int = 50          # Sinkhorn iterations for the inference Γ
    restarts: int = 1             # digits: independent inits, the lowest MCR² objective kept

    def check(self) -> None:
        require(self.k >= 2 and self.n_per_class >= 10, "need k >= 2 manifolds of >= 10 points")
        require(self.batch >= 2 * self.k, "batch must hold at least two points per cluster")
        require(self.eta > 0 and self.eps2 > 0, "eta and eps2 must be positive")
        require(10 <= self.digits_n <= 1797, "digits_n must be in [10, 1797]")
        require(self.mlc_opt in ("adam", "sgd"), "mlc_opt must be 'adam' or 'sgd'")
        require(self.restarts >= 1, "restarts must be >= 1")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(n_per_class=1000, k=8, hidden=1024, z_dim=64, batch=1024, pre_steps=50,
                pre_steps_circles=3000, mlc_steps=3000),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from the ci runs on this 2-core machine at one thread: one training step (MLP
    forward/backward, Sinkhorn on batch², batch logdets of d×d) costs ≈ 0.6e-9 s × batch ×
    (hidden² + batch·(d + 10)); the full profile runs it ≈ 30× faster on a GPU. Spectral
    clustering of an n×n membership (dense, CPU) ≈ 3e-7 s × n², five calls per data set."""
    per_step = 0.6e-9 * cfg.batch * (cfg.hidden ** 2 + cfg.batch * (cfg.z_dim + 10))
    steps = (cfg.restarts * (cfg.pre_steps + cfg.mlc_steps)      # digits
             + 2 * cfg.pre_steps_circles + cfg.mlc_steps)       # circles: two TCR views
    train = steps * per_step / (30 if cfg.hidden > 256 else 1)
    spectral = 5 * 3e-7 * ((cfg.n_per_class * cfg.k) ** 2 + cfg.digits_n ** 2)
    return train + spectral


# --------------------------------------------------------------------------------------------
# data: a planted union of non-linear manifolds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Circles:
    """``k`` concentric circles (radii 1, 2, …, k scaled to max 2) in a random plane of
    ``R^D``, then the element-wise warp ``x + 0.3 sin(2x)`` and Gaussian noise."""

    t: np.ndarray          # (n,) angles
    labels: np.ndarray     # (n,) manifold index
    P: np.ndarray          # (D, 2) embedding of the plane
    noise: float
    radii: np.ndarray

    def sample(self, rng: np.random.Generator, angle_jitter: float = 0.0) -> np.ndarray:
        t = self.t + angle_jitter * rng.standard_normal(self.t.shape)
        r = self.radii[self.labels]
        plane = np.stack([r * np.cos(t), r * np.sin(t)], 1)
        x = plane @ self.P.T
        x = x + 0.3 * np.sin(2 * x)
        return (x + self.noise * rng.standard_normal(x.shape)).astype(np.float32)


def planted_circles(cfg: Config, seed: int, noise: float = 0.02) -> Circles:
    rng = np.random.default_rng(seed)
    n = cfg.n_per_class * cfg.k
    labels = np.repeat(np.arange(cfg.k), cfg.n_per_class)
    t = rng.uniform(0, 2 * np.pi, n)
    P = rng.standard_normal((cfg.ambient, 2)) / np.sqrt(2)
    radii = 2.0 * np.arange(1, cfg.k + 1) / cfg.k
    return Circles(t=t, labels=labels, P=P, noise=noise, radii=radii)


# --------------------------------------------------------------------------------------------
# model and losses
# --------------------------------------------------------------------------------------------


class MLCNet(nn.Module):
    """Backbone (Linear–BN–ReLU–Linear–ReLU) + feature head f and cluster head g (unit rows)."""

    def __init__(self, d_in: int, hidden: int, z_dim: int):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                      nn.Linear(hidden, hidden), nn.ReLU())
        self.feature = nn.Linear(hidden, z_dim)
        self.cluster = nn.Linear(hidden, z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.backbone(x)
        return F.normalize(self.feature(h), dim=1), F.normalize(self.cluster(h), dim=1)

    def copy_feature_to_cluster(self) -> None:
        """One-shot initialisation (official ``update_pi_from_z``): g ← f."""
        self.cluster.load_state_dict(copy.deepcopy(self.feature.state_dict()))


def membership(C: torch.Tensor, eta: float, n_iter: int) -> torch.Tensor:
    """Γ = n·Π*, Π* the entropic projection of ``|C Cᵀ|`` onto the doubly stochastic
    matrices with marginals 1/n (Eq. 6): rows and columns of Γ sum to 1."""
    S = (C @ C.T).abs()                      # |C Cᵀ| (official code)
    return sinkhorn(S, eta=eta, n_iter=n_iter)  # rows → 1, columns → n/n = 1


def mlc_loss(Z: torch.Tensor, Gamma: torch.Tensor, eps2: float, gamma: float) -> tuple:
    """−ΔR + γ/2 ‖Γ‖_F² (Eq. 7 + official regulariser); returns (loss, R, R_c)."""
    eps = math.sqrt(eps2)
    R = coding_rate(Z, eps)                          # Eq. 1
    Rc = coding_rate_membership(Z, Gamma, eps)       # Eq. 2, Γ_j = column j
    return -R + Rc + 0.5 * gamma * (Gamma ** 2).sum(), R, Rc


def tcr_loss(z1: torch.Tensor, z2: torch.Tensor | None, eps2: float,
             inv_weight: float) -> torch.Tensor:
    """TCR initialisation: expand each view's rate, pull the two views together. With one view
    (``z2=None``) it is the official warm-up, ``TotalCodingRate``: just −R(Z)."""
    eps = math.sqrt(eps2)
    if z2 is None:
        return -coding_rate(z1, eps)
    cos = (z1 * z2).sum(1).mean()
    return -coding_rate(z1, eps) - coding_rate(z2, eps) - inv_weight * cos


# --------------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------------


def pretrain(model: MLCNet, views, n: int, cfg: Config, gen: torch.Generator,
             inv_weight: float, steps: int) -> list[float]:
    """TCR pre-training of backbone + feature head; ``views(idx) -> (x1, x2)`` (two augmented
    views) or ``(x,)`` (one view: the official warm-up on frozen features, −R(Z) only)."""
    params = list(model.backbone.parameters()) + list(model.feature.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr)
    model.train()
    hist = []
    for _ in range(steps):
        idx = torch.randperm(n, generator=gen)[:cfg.batch]
        xs = views(idx)
        z1, _ = model(xs[0])
        z2 = model(xs[1])[0] if len(xs) == 2 else None
        loss = tcr_loss(z1, z2, cfg.eps2, inv_weight)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(float(loss.detach()))
    model.copy_feature_to_cluster()
    return hist


def train_mlc(model: MLCNet, views, n: int, cfg: Config, gen: torch.Generator,
              member=membership) -> dict[str, list[float]]:
    """MLC: minimise Eq. 7 over backbone and both heads (two learning rates, as officially)."""
    groups = [{"params": list(model.backbone.parameters()) + list(model.feature.parameters()),
               "lr": cfg.lr_mlc},
              {"params": list(model.cluster.parameters()), "lr": cfg.lr_c}]
    if cfg.mlc_opt == "sgd":   # official: SGD, momentum 0.9, weight decay 1e-4 / 5e-3
        groups[0]["weight_decay"], groups[1]["weight_decay"] = cfg.wd, cfg.wd_c
        opt = torch.optim.SGD(groups, momentum=0.9)
    else:
        opt = torch.optim.Adam(groups)
    model.train()
    hist = {"R": [], "Rc": []}
    for _ in range(cfg.mlc_steps):
        idx = torch.randperm(n, generator=gen)[:cfg.batch]
        Z, C = model(views(idx)[0])
        Gamma = member(C, cfg.eta, cfg.sinkhorn_iters)
        loss, R, Rc = mlc_loss(Z, Gamma, cfg.eps2, cfg.gamma)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist["R"].append(float(R.detach()))
        hist["Rc"].append(float(Rc.detach()))
    return hist


@torch.no_grad()
def embed(model: MLCNet, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    model.eval()
    return model(x)


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------


def nmi(labels, clusters) -> float:
    from sklearn.metrics import normalized_mutual_info_score
    return float(normalized_mutual_info_score(labels, clusters))


def spectral_on_affinity(A: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Spectral clustering of a non-negative affinity as in the official
    ``metrics/clustering.py``: the ``k`` leading eigenvectors of ``I − L_sym`` (``L_sym`` the
    normalised Laplacian), each row normalised to unit length, then k-means (10 restarts)."""
    from scipy.sparse.csgraph import laplacian
    A = 0.5 * (A + A.T)
    L = laplacian(A, normed=True)
    _, vecs = np.linalg.eigh(np.eye(len(A)) - L)        # ascending: the last k lead
    emb = vecs[:, -k:]
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    return kmeans(emb, k, seed)


def kmeans(x: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)


def spectral_knn(x: np.ndarray, k: int, seed: int, n_neighbors: int = 10) -> np.ndarray:
    """Spectral clustering on the raw inputs' k-NN graph (one component per circle is expected,
    so scikit-learn's "graph is not fully connected" warning is silenced)."""
    import warnings

    from sklearn.cluster import SpectralClustering
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Graph is not fully connected")
        return SpectralClustering(n_clusters=k, affinity="nearest_neighbors",
                                  n_neighbors=n_neighbors,
                                  random_state=seed, assign_labels="kmeans").fit_predict(x)


def scores(labels, clusters) -> dict[str, float]:
    return {"acc": clustering_accuracy(labels, clusters), "nmi": nmi(labels, clusters)}


def cross_cosine(Z: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean |cos| between features of different true clusters, and of the same cluster."""
    G = np.abs(Z @ Z.T)
    same = labels[:, None] == labels[None, :]
    np.fill_diagonal(same, False)
    diff = labels[:, None] != labels[None, :]
    return float(G[diff].mean()), float(G[same].mean())


def subspace_overlap(Z: np.ndarray, labels: np.ndarray, energy: float = 0.9) -> float:
    """Mean over pairs of clusters of ‖U_iᵀ U_j‖₂ (cosine of the smallest principal angle),
    U_i spanning the top singular directions holding ``energy`` of cluster i's energy."""
    bases = []
    for c in np.unique(labels):
        _, s, vt = np.linalg.svd(Z[labels == c], full_matrices=False)
        r = int(np.searchsorted(np.cumsum(s ** 2) / (s ** 2).sum(), energy) + 1)
        bases.append(vt[:r].T)
    vals = [np.linalg.norm(bases[i].T @ bases[j], 2)
            for i in range(len(bases)) for j in range(i + 1, len(bases))]
    return float(np.mean(vals))


def evaluate(model: MLCNet, x: torch.Tensor, labels: np.ndarray, k: int, cfg: Config,
             seed: int, member=membership) -> dict:
    Z, C = embed(model, x)
    Gamma = member(C.double(), cfg.eta, cfg.eval_iters).numpy()
    pred = spectral_on_affinity(Gamma, k, seed)
    Zn = Z.numpy().astype(np.float64)
    out = scores(labels, pred)
    out["cross_cos"], out["same_cos"] = cross_cosine(Zn, labels)
    out["overlap"] = subspace_overlap(Zn, labels)
    out["Z"], out["Gamma"], out["pred"] = Zn, Gamma, pred
    return out


# --------------------------------------------------------------------------------------------
# the two experiments
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def full_objective(model: MLCNet, x: torch.Tensor, cfg: Config, member=membership) -> float:
    """The training objective (Eq. 7 + regulariser, training's Sinkhorn iterations) on the whole
    set, float64: label-free, so it may select among restarts."""
    Z, C = embed(model, x)
    Gamma = member(C.double(), cfg.eta, cfg.sinkhorn_iters)
    return float(mlc_loss(Z.double(), Gamma, cfg.eps2, cfg.gamma)[0])


def run_mlc(x_np: np.ndarray, labels: np.ndarray, k: int, views, cfg: Config, seed: int,
            inv_weight: float, pre_steps: int, member=membership, restarts: int = 1) -> dict:
    """TCR init → MLC, ``restarts`` times from independent random weights (seed ``seed``, then
    ``1000·seed + r``); the run with the lowest MCR² objective on the whole set is kept (no
    labels used), then its initialisation and result are evaluated; plus k-means on the
    initial features."""
    x = torch.as_tensor(x_np, dtype=torch.float32)

    def one_run(r: int) -> dict:
        s = seed if r == 0 else 1000 * seed + r
        torch.manual_seed(s)
        gen = torch.Generator().manual_seed(s)
        model = MLCNet(x.shape[1], cfg.hidden, cfg.z_dim)
        pre = pretrain(model, views, len(x), cfg, gen, inv_weight, pre_steps)
        init_state = copy.deepcopy(model.state_dict())
        hist = train_mlc(model, views, len(x), cfg, gen, member)
        return {"init_state": init_state, "model": model, "pre": pre, "hist": hist}

    # a single run is kept as it is (objective nan)
    r, best, objectives = best_of(one_run, restarts,
                                  lambda out: full_objective(out["model"], x, cfg, member))
    best["objective"] = objectives[r]
    model = best["model"]
    final_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best["init_state"])
    init = evaluate(model, x, labels, k, cfg, seed, member)
    init_km = scores(labels, kmeans(init["Z"], k, seed))
    model.load_state_dict(final_state)
    final = evaluate(model, x, labels, k, cfg, seed, member)
    mlc_km = scores(labels, kmeans(final["Z"], k, seed))
    return {"init": init, "init_kmeans": init_km, "mlc": final, "mlc_kmeans": mlc_km,
            "pre_hist": best["pre"], "hist": best["hist"], "objective": best["objective"],
            "model": model}


def circles_experiment(cfg: Config, seed: int, member=membership) -> dict:
    data = planted_circles(cfg, seed)
    rng = np.random.default_rng(seed + 1)
    x_np = data.sample(rng)

    def views(idx):
        i = idx.numpy()
        sub = Circles(t=data.t[i], labels=data.labels[i], P=data.P, noise=data.noise,
                      radii=data.radii)
        return (torch.from_numpy(sub.sample(rng, cfg.angle_jitter)),
                torch.from_numpy(sub.sample(rng, cfg.angle_jitter)))

    res = run_mlc(x_np, data.labels, cfg.k, views, cfg, seed, cfg.inv_weight_circles,
                  cfg.pre_steps_circles, member)
    res["kmeans"] = scores(data.labels, kmeans(x_np, cfg.k, seed))
    res["spectral"] = scores(data.labels, spectral_knn(x_np, cfg.k, seed))
    res["x"], res["labels"] = x_np, data.labels
    return res


def load_digit_features(cfg: Config, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from ..data.digits import load_digits
    d = load_digits(np.float32)
    idx = np.random.default_rng(seed).permutation(d.n)[:cfg.digits_n]
    return (d.x[idx] / 16.0).astype(np.float32), d.labels[idx]


def digits_experiment(cfg: Config, seed: int, member=membership) -> dict:
    x_np, labels = load_digit_features(cfg, seed)
    x = torch.from_numpy(x_np)

    def views(idx):      # no augmentation: the inputs are fixed features, as officially
        return (x[idx],)

    res = run_mlc(x_np, labels, 10, views, cfg, seed, 0.0, cfg.pre_steps, member, cfg.restarts)
    res["kmeans"] = scores(labels, kmeans(x_np, 10, seed))
    res["spectral"] = scores(labels, spectral_knn(x_np, 10, seed))
    res["x"], res["labels"] = x_np, labels
    return res
