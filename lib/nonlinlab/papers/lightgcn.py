r"""He, Deng, Wang, Li, Zhang & Wang (SIGIR 2020), *LightGCN: Simplifying and Powering Graph
Convolution Network for Recommendation* (arXiv:2002.02126).

What is implemented (official code: ``kuandeng/LightGCN`` (TensorFlow) and
``gusye1234/LightGCN-PyTorch``; where the brief and the code differ we follow the code)
-----------------------------------------------------------------------------------------

**Light graph convolution** (paper Eq. 3, matrix form Eq. 7–8). With the symmetrically
normalised bipartite adjacency :math:`\hat A = D^{-1/2}AD^{-1/2}` (no self loops;
:mod:`nonlinlab.models.graphrec`)

.. math:: E^{(k+1)} = \hat A E^{(k)}, \qquad
          e_u^{(k+1)} = \sum_{i\in N_u}\frac{e_i^{(k)}}{\sqrt{|N_u|}\sqrt{|N_i|}},

no feature transform, no nonlinearity. **Layer combination** (Eq. 4):
:math:`E = \sum_{k=0}^{K}\alpha_k E^{(k)}` with :math:`\alpha_k = 1/(K+1)` (the official
``torch.mean(embs, dim=1)``). **Score** (Eq. 5): :math:`\hat y_{ui} = e_u^\top e_i`.
The only parameters are the layer-0 ID embeddings, initialised :math:`\mathcal N(0, 0.1^2)` as
in the PyTorch code (the paper says Xavier; the code comments that normal init works better).

**Loss** (Eq. 15, official ``bpr_loss``): BPR on uniform triples plus L2 on the layer-0
embeddings of the batch,
:math:`L = \frac1B\sum\mathrm{softplus}(\hat y_{uj}-\hat y_{ui}) + \lambda\frac{1}{2B}
(\|e^{(0)}_u\|^2+\|e^{(0)}_i\|^2+\|e^{(0)}_j\|^2)`; Adam; one full-graph propagation per
mini-batch.

**Baselines in the same code path.** MF-BPR is LightGCN with :math:`K=0`. LightGCN-single
uses only :math:`E^{(K)}` (paper §4.4.1, Fig. 4). The normalisation variants of Table 5 replace
:math:`\hat A` (:func:`~nonlinlab.models.graphrec.normalized_adjacency_scipy`). NGCF
(Wang et al. 2019, the paper's main baseline) propagates with feature transforms and
LeakyReLU,

.. math:: E^{(k+1)} = \sigma\big((\hat A + I)E^{(k)}W_1 + (\hat AE^{(k)})\odot E^{(k)}W_2\big),

L2-normalises each layer's output and concatenates all layers (official NGCF); the flags
``transform`` / ``nonlinear`` give the paper's NGCF-f / NGCF-n / NGCF-fn ablation (Table 2).

**Evaluation.** All-ranking recall@K / NDCG@K with training items masked, averaged over the
users that have test items (official ``Procedure.Test`` iterates over ``testDict``; users
without test items do not enter the denominator). In our splits every user has test items.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..data.implicit import ImplicitData, download_benchmark, planted_communities
from ..models import graphrec as G

# --------------------------------------------------------------------------------------
# Paper numbers
# --------------------------------------------------------------------------------------

#: Table 3 of the paper: (recall@20, ndcg@20).
PAPER_TABLE3 = {
    "gowalla": {"NGCF": (0.1570, 0.1327), "LightGCN": (0.1830, 0.1554)},
    "yelp2018": {"NGCF": (0.0579, 0.0477), "LightGCN": (0.0649, 0.0530)},
    "amazon-book": {"NGCF": (0.0344, 0.0263), "LightGCN": (0.0411, 0.0315)},
}
#: MF-BPR of the paper's Table 4 (recall@20, ndcg@20).
PAPER_MF = {"gowalla": (0.1291, 0.1109), "yelp2018": (0.0433, 0.0354),
            "amazon-book": (0.0250, 0.0196)}
#: Official PyTorch README, Gowalla recall@20 for K = 1..4 (seed 2020, 1000 epochs).
PAPER_PYTORCH_GOWALLA_K = {1: 0.1687, 2: 0.1786, 3: 0.1824, 4: 0.1825}

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------

DATASETS = ("ml-100k", "planted", "gowalla", "yelp2018", "amazon-book")


@dataclass(frozen=True)
class Config(ProfileConfig):
    dataset: str = "ml-100k"
    dim: int = 32  # paper: 64
    n_layers: int = 3  # K (paper default 3)
    lr: float = 3e-2  # paper: 1e-3 for ~1000 epochs; ci trains 20 epochs
    decay: float = 1e-4  # λ
    batch_size: int = 8192  # paper 1024 (2048 in the PyTorch repo); fewer, larger steps in ci
    epochs: int = 20  # headline runs
    eval_every: int = 5
    ablation_epochs: int = 15  # layer sweep / single / normalisation runs (planted data)
    ablation_lr: float = 2e-2
    ablation_batch_size: int = 4096
    layer_sweep: tuple[int, ...] = (1, 2, 3)
    norms: tuple[str, ...] = ("sym", "sqrt_left", "l1_left", "none")
    ngcf_layers: int = 3
    ks: tuple[int, ...] = (5, 10, 20, 50)
    planted_users: int = 600
    planted_items: int = 900
    compare_pyg: bool = False  # full: train PyG's LightGCN on the same split (time + recall)
    pyg_epochs: int = 10

    def check(self) -> None:
        require(self.dataset in DATASETS, f"dataset must be one of {DATASETS}")
        require(self.dim >= 1 and self.n_layers >= 0, "dim must be >= 1 and n_layers >= 0")
        require(self.lr > 0 and self.ablation_lr > 0 and self.decay >= 0,
                "learning rates must be > 0 and decay >= 0")
        require(min(self.batch_size, self.ablation_batch_size, self.epochs,
                    self.ablation_epochs) >= 1,
                "batch_size and epochs must be >= 1")
        require(self.eval_every >= 1, "eval_every must be >= 1")
        require(len(self.layer_sweep) >= 1 and min(self.layer_sweep) >= 1,
                "layer_sweep needs layer counts >= 1")
        require(all(n in G.NORMALIZATIONS for n in self.norms) and "sym" in self.norms,
                f"norms must be among {G.NORMALIZATIONS} and include 'sym'")
        require(20 in self.ks and min(self.ks) >= 1, "ks must include 20")
        require(self.planted_users >= 50 and self.planted_items >= 100, "planted data too small")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(dataset="gowalla", dim=64, lr=5e-3, batch_size=8192, epochs=60,
                ablation_lr=5e-3, ablation_batch_size=8192,
                eval_every=10, ablation_epochs=40, layer_sweep=(1, 2, 3, 4),
                norms=("sym", "sqrt_left", "sqrt_right", "l1_left", "l1_right", "l1_both"),
                planted_users=5_000, planted_items=8_000, compare_pyg=True, pyg_epochs=10),
)

# (users, items, training pairs) of each data set, public: ultragcn sizes its cost model with it
DATASET_STATS = {"ml-100k": (938, 1447, 44286), "planted": None,
                 "gowalla": (29858, 40981, 810128), "yelp2018": (31668, 38048, 1237259),
                 "amazon-book": (52643, 91599, 2380730)}


def _rates(dataset: str) -> tuple[float, float]:
    """(memory-bound elements/s, flop/s): one CPU core in ci — measured on the shared 2-core
    machine while other jobs ran: ≈ 3.2e8 elements/s for the small gathers and elementwise ops
    (an MF-BPR epoch on MovieLens-100k), and LightGCN's three CSR propagations per step added
    ≤ 0.1 s per epoch (≥ 4e9 flop/s); NGCF's dense products ≈ 2–4e9 flop/s. A Colab T4 for the
    full profile (2e10 elements/s, 4e12 flop/s)."""
    return (3e8, 4e9) if dataset in ("ml-100k", "planted") else (2e10, 4e12)


def epoch_cost(n_users: int, n_items: int, n_train: int, dim: int, batch: int, layers: int,
               ngcf: bool = False) -> tuple[float, float]:
    """(elements, flops) of one BPR epoch: ≈ 30·dim elements per triple (3 gathers, forward,
    backward, scatter), ≈ 15·dim per table row per step (Adam on full tables, the propagated
    tables), ``layers`` light convolutions forward + backward (2·2·nnz·dim flops each), and
    for NGCF two dense dim×dim products per layer (×3 for forward + backward) and ≈ 10
    elementwise passes per layer."""
    nodes, nnz = n_users + n_items, 2 * n_train
    steps = math.ceil(n_train / batch)
    elems = 30 * dim * n_train + steps * dim * nodes * (15 + 4 * layers)
    flops = steps * layers * 4 * nnz * dim
    if ngcf:
        flops += steps * layers * 3 * 2 * 2 * nodes * dim * dim
        elems += steps * layers * 10 * nodes * dim * 3
    return elems, flops


def estimate_seconds(cfg: Config) -> float:
    """Conservative cost model on paper (see :func:`epoch_cost` and :func:`_rates`)."""
    n_users, n_items, n_train = DATASET_STATS[cfg.dataset] or (cfg.planted_users,
                                                               cfg.planted_items,
                                                               cfg.planted_users * 14)
    p_users, p_items = cfg.planted_users, cfg.planted_items
    p_train = p_users * 15
    mem, fl = _rates(cfg.dataset)

    def secs(e, f):
        return e / mem + f / fl

    def ep(u, i, t, k, ngcf=False, batch=cfg.batch_size):
        return secs(*epoch_cost(u, i, t, cfg.dim, batch, k, ngcf))

    ev = 2 * n_users * n_items * cfg.dim / fl + n_users * n_items * 10 / mem
    head = cfg.epochs * (ep(n_users, n_items, n_train, 0) + ep(n_users, n_items, n_train,
                                                               cfg.n_layers)
                         + ep(n_users, n_items, n_train, cfg.ngcf_layers, True))
    head += 3 * (cfg.epochs // cfg.eval_every + 1) * ev
    if cfg.compare_pyg:  # PyG's message passing: assume 3x our CSR propagation
        head += cfg.pyg_epochs * 3 * ep(n_users, n_items, n_train, cfg.n_layers)
    # ablations on the planted data (layer sweep, LightGCN-single, normalisations)
    pev = 2 * p_users * p_items * cfg.dim / fl + p_users * p_items * 10 / mem
    ab = cfg.ablation_batch_size
    sweep = sum(2 * ep(p_users, p_items, p_train, k, batch=ab) + 2 * pev
                for k in cfg.layer_sweep)
    sweep += (len(cfg.norms) - 1) * (ep(p_users, p_items, p_train, cfg.n_layers, batch=ab) + pev)
    abl = cfg.ablation_epochs * sweep
    return head + abl + 1.0  # + data loading (≈ 1 s) and the oracle (< 0.1 s)


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def load_dataset(cfg: Config, *, seed: int = 0) -> ImplicitData:
    """MovieLens-100k (offline, fixed split seed 2020), the planted generator, or one of the
    papers' benchmarks (full profile: downloaded with checksums)."""
    if cfg.dataset == "ml-100k":
        from ..data.movielens import load_movielens100k

        return load_movielens100k()
    if cfg.dataset == "planted":
        return planted_communities(cfg.planted_users, cfg.planted_items, seed=seed)
    return download_benchmark(cfg.dataset)


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


def _follow(adj, weight: torch.Tensor):
    """The sparse graph on the device and dtype of the embedding table."""
    if adj is None or (adj.device == weight.device and adj.dtype == weight.dtype):
        return adj
    return adj.to(device=weight.device, dtype=weight.dtype)


class LightGCN(G.EmbeddingRecommender):
    """LightGCN with ``n_layers`` light convolutions; ``n_layers=0`` is MF-BPR;
    ``mode="last"`` is LightGCN-single; ``norm`` picks the adjacency normalisation."""

    def __init__(self, data: ImplicitData, dim: int, n_layers: int, *, norm: str = "sym",
                 mode: str = "mean", alpha=None, init_std: float = 0.1, device=None):
        super().__init__(data.n_users, data.n_items, dim, init_std)
        self.n_layers, self.mode, self.norm = n_layers, mode, norm
        self.alpha = G.layer_weights(n_layers, alpha, mode)
        self.adj = G.normalized_adjacency(data, norm=norm, device=device) if n_layers else None

    def _apply(self, fn, *args, **kwargs):  # keep the graph on the module's device/dtype
        out = super()._apply(fn, *args, **kwargs)
        self.adj = _follow(self.adj, self.user_emb.weight)
        return out

    def forward(self):
        e0 = torch.cat([self.user_emb.weight, self.item_emb.weight])
        if self.n_layers == 0:
            e = e0
        else:
            # E = Σ_k α_k Â^k E^(0)   (Eq. 4 and 8)
            e = G.propagate(self.adj, e0, self.n_layers, alpha=self.alpha)
        return e[:self.n_users], e[self.n_users:]


class NGCF(G.EmbeddingRecommender):
    r"""NGCF (Wang et al., SIGIR 2019) with optional feature transforms / nonlinearity:
    :math:`E^{(k+1)} = \sigma((\hat A+I)E^{(k)}W_1 + (\hat AE^{(k)})\odot E^{(k)}W_2)`, each
    layer L2-normalised, all layers concatenated."""

    def __init__(self, data: ImplicitData, dim: int, n_layers: int, *, transform: bool = True,
                 nonlinear: bool = True, init_std: float = 0.1, device=None):
        super().__init__(data.n_users, data.n_items, dim, init_std)
        self.n_layers, self.transform, self.nonlinear = n_layers, transform, nonlinear
        self.adj = G.normalized_adjacency(data, device=device)
        self.w1 = nn.ModuleList(nn.Linear(dim, dim) for _ in range(n_layers))
        self.w2 = nn.ModuleList(nn.Linear(dim, dim) for _ in range(n_layers))
        for lin in [*self.w1, *self.w2]:
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)

    def _apply(self, fn, *args, **kwargs):
        out = super()._apply(fn, *args, **kwargs)
        self.adj = _follow(self.adj, self.user_emb.weight)
        return out

    def forward(self):
        e = torch.cat([self.user_emb.weight, self.item_emb.weight])
        outs = [e]
        for k in range(self.n_layers):
            side = self.adj @ e
            a, b = side + e, side * e  # (Â + I)E  and  (ÂE) ⊙ E
            if self.transform:
                a, b = self.w1[k](a), self.w2[k](b)
            e = a + b
            if self.nonlinear:
                e = F.leaky_relu(e, 0.2)
            outs.append(F.normalize(e, dim=1))
        e = torch.cat(outs, dim=1)
        return e[:self.n_users], e[self.n_users:]


class PyGLightGCN(G.EmbeddingRecommender):
    """``torch_geometric.nn.models.LightGCN`` behind the same interface (full profile: speed and
    accuracy comparison; tests: oracle). Its propagation normalises ``edge_index`` on every
    call (``gcn_norm``) and runs message passing."""

    def __init__(self, data: ImplicitData, dim: int, n_layers: int, *, init_std: float = 0.1):
        from ..core import require_module

        models = require_module("torch_geometric.nn.models", pip_name="torch_geometric",
                                purpose="the PyG LightGCN comparison")
        super().__init__(data.n_users, data.n_items, dim, init_std)
        self.pyg = models.LightGCN(data.n_users + data.n_items, dim, n_layers)
        with torch.no_grad():
            self.pyg.embedding.weight.copy_(torch.cat([self.user_emb.weight,
                                                       self.item_emb.weight]))
        del self.user_emb, self.item_emb
        u, i = data.train[:, 0], data.train[:, 1] + data.n_users
        self.register_buffer("edge_index", torch.as_tensor(
            np.stack([np.concatenate([u, i]), np.concatenate([i, u])]), dtype=torch.long))

    def forward(self):
        e = self.pyg.get_embedding(self.edge_index)
        return e[:self.n_users], e[self.n_users:]

    def loss(self, users, pos, neg, decay):
        uf, itf = self()
        w = self.pyg.embedding.weight
        base, reg = G.bpr_loss(uf[users], itf[pos], itf[neg], w[users], w[self.n_users + pos],
                               w[self.n_users + neg], decay)
        return base + reg


def dense_closed_form(data: ImplicitData, emb0: np.ndarray, n_layers: int) -> np.ndarray:
    r"""Oracle: :math:`\big(\frac{1}{K+1}\sum_{k=0}^K \hat A^k\big)E^{(0)}` with a dense
    float64 :math:`\hat A` built directly from :math:`R` (no library code)."""
    R = data.train_csr.toarray().astype(np.float64)
    m, n = R.shape
    A = np.zeros((m + n, m + n))
    A[:m, m:], A[m:, :m] = R, R.T
    d = A.sum(1)
    dinv = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 0.0)
    Ahat = dinv[:, None] * A * dinv[None, :]
    x = np.asarray(emb0, dtype=np.float64)
    acc = x.copy()
    for _ in range(n_layers):  # Σ_k Â^k E0, one dense product per power
        x = Ahat @ x
        acc += x
    return acc / (n_layers + 1)


def oracle_errors(data: ImplicitData, *, dim: int = 16, n_layers: int = 3, seed: int = 0) -> dict:
    """Max-abs errors of our propagation against (a) PyG ``LGConv`` stacked K times with uniform
    α, (b) PyG ``LightGCN.get_embedding`` with our weights copied in, (c) the dense closed form
    (float64). Also float32 vs PyG."""
    from ..core import require_module

    pyg = require_module("torch_geometric.nn", pip_name="torch_geometric",
                         purpose="the LightGCN oracle")
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for dtype in (torch.float64, torch.float32):
        e0 = torch.randn(data.n_users + data.n_items, dim, generator=gen, dtype=torch.float64)
        e0 = e0.to(dtype)
        adj = G.normalized_adjacency(data, dtype=dtype)
        ours = G.propagate(adj, e0, n_layers)
        u, i = data.train[:, 0], data.train[:, 1] + data.n_users
        ei = torch.as_tensor(np.stack([np.concatenate([u, i]), np.concatenate([i, u])]))
        conv = pyg.LGConv()
        x, acc = e0, e0.clone()
        for _ in range(n_layers):
            x = conv(x, ei)
            acc = acc + x
        acc = acc / (n_layers + 1)
        model = pyg.models.LightGCN(len(e0), dim, n_layers).to(dtype)
        with torch.no_grad():
            model.embedding.weight.copy_(e0)
            ref = model.get_embedding(ei)
        tag = "f64" if dtype == torch.float64 else "f32"
        out[f"lgconv_{tag}"] = float((ours - acc).abs().max())
        out[f"pyg_lightgcn_{tag}"] = float((ours - ref).abs().max())
        if dtype == torch.float64:
            dense = dense_closed_form(data, e0.numpy(), n_layers)
            out["dense_f64"] = float(np.abs(ours.numpy() - dense).max())
    return out


# --------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------


def _train(model, data, cfg: Config, seed: int, device, *, ablation: bool = False,
           name: str, progress=None) -> G.RunLog:
    if ablation:
        epochs, every, bs, lr = (cfg.ablation_epochs, cfg.ablation_epochs,
                                 cfg.ablation_batch_size, cfg.ablation_lr)
    else:
        epochs, every, bs, lr = cfg.epochs, cfg.eval_every, cfg.batch_size, cfg.lr
    return G.train_bpr(model, data, epochs=epochs, batch_size=bs, lr=lr, decay=cfg.decay,
                       seed=seed, device=device, eval_every=every, ks=cfg.ks, name=name,
                       progress=progress)


def _seeded(seed: int, offset: int) -> int:
    torch.manual_seed(seed * 1000 + offset)
    return seed * 1000 + offset


def run_headline(cfg: Config, data: ImplicitData, *, seed: int = 0, device="cpu",
                 progress=None, models=("MF-BPR", "NGCF", "LightGCN")) -> dict[str, G.RunLog]:
    """Train MF-BPR (K=0), NGCF and LightGCN (K=cfg.n_layers) with the same sampler, loss,
    optimiser and epochs (paper Table 3 / Fig. 3)."""
    device = torch.device(device)
    logs = {}
    for j, name in enumerate(models):
        s = _seeded(seed, j)
        if name == "MF-BPR":
            model = LightGCN(data, cfg.dim, 0)
        elif name == "LightGCN":
            model = LightGCN(data, cfg.dim, cfg.n_layers, device=device)
        elif name == "NGCF":
            model = NGCF(data, cfg.dim, cfg.ngcf_layers, device=device)
        elif name == "NGCF-fn":
            model = NGCF(data, cfg.dim, cfg.ngcf_layers, transform=False, nonlinear=False,
                         device=device)
        elif name == "PyG-LightGCN":
            model = PyGLightGCN(data, cfg.dim, cfg.n_layers)
        else:
            raise ValueError(f"unknown model {name!r}")
        logs[name] = _train(model, data, cfg, s, device, name=name, progress=progress)
    return logs


def run_layer_sweep(cfg: Config, data: ImplicitData, *, seed: int = 0, device="cpu",
                    progress=None) -> dict:
    """LightGCN and LightGCN-single for each K of ``cfg.layer_sweep`` (paper Fig. 4), trained
    ``cfg.ablation_epochs`` epochs. Returns ``{("LightGCN"|"single", K): final metrics}``."""
    device = torch.device(device)
    out = {}
    for K in cfg.layer_sweep:
        for mode, tag in (("mean", "LightGCN"), ("last", "single")):
            s = _seeded(seed, 100 + 10 * K + (mode == "last"))
            model = LightGCN(data, cfg.dim, K, mode=mode, device=device)
            log = _train(model, data, cfg, s, device, ablation=True, name=f"{tag} K={K}",
                         progress=progress)
            out[(tag, K)] = log.final
    return out


def run_norm_variants(cfg: Config, data: ImplicitData, *, seed: int = 0, device="cpu",
                      progress=None, reuse_sym: dict | None = None) -> dict:
    """LightGCN (K=cfg.n_layers) with each adjacency normalisation of ``cfg.norms`` (paper
    Table 5), ``cfg.ablation_epochs`` epochs. ``reuse_sym``: final metrics of the same run with
    the symmetric normalisation, if already trained. Returns ``{norm: final metrics}``."""
    device = torch.device(device)
    out = {}
    for j, norm in enumerate(cfg.norms):
        if norm == "sym" and reuse_sym is not None:
            out[norm] = reuse_sym
            continue
        s = _seeded(seed, 200 + j)
        model = LightGCN(data, cfg.dim, cfg.n_layers, norm=norm, device=device)
        out[norm] = _train(model, data, cfg, s, device, ablation=True, name=f"norm={norm}",
                           progress=progress).final
    return out


def community_agreement(data: ImplicitData, n_layers: int, *, dim: int = 64, n_neighbors: int = 10,
                        seed: int = 0, mode: str = "mean") -> float:
    r"""Planted data: fraction of each user's ``n_neighbors`` nearest users (cosine, in the
    propagated embedding of a *random, untrained* :math:`E^{(0)}`) that share the user's
    planted community. Chance is ≈ 1/C. It isolates what the light convolution itself does:
    smoothing over co-interacted items (paper §3.2.3)."""
    if "user_comm" not in data.meta:
        raise ValueError("community_agreement needs planted data (meta['user_comm'])")
    gen = torch.Generator().manual_seed(seed)
    e0 = torch.randn(data.n_users + data.n_items, dim, generator=gen, dtype=torch.float64)
    adj = G.normalized_adjacency(data, dtype=torch.float64)
    e = G.propagate(adj, e0, n_layers, mode=mode)[:data.n_users]
    e = F.normalize(e, dim=1)
    sim = e @ e.T
    sim.fill_diagonal_(-math.inf)
    nn_idx = torch.topk(sim, n_neighbors, dim=1).indices.numpy()
    comm = data.meta["user_comm"]
    return float((comm[nn_idx] == comm[:, None]).mean())


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t
