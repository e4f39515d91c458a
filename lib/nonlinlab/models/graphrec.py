r"""Graph collaborative filtering building blocks shared by the recommendation chapters.

* **Bipartite graph.** With users :math:`U` (:math:`|U|=M`), items :math:`I` (:math:`|I|=N`)
  and the binary training matrix :math:`R\in\{0,1\}^{M\times N}`, the adjacency is
  :math:`A=\begin{pmatrix}0&R\\R^\top&0\end{pmatrix}` and :math:`D=\mathrm{diag}(A\mathbf 1)`.
  :func:`normalized_adjacency` builds :math:`D^{-1/2}AD^{-1/2}` (LightGCN) and the variants of
  the LightGCN paper's Table 5, optionally with self loops (:math:`(D+I)^{-1/2}(A+I)(D+I)^{-1/2}`,
  the graph UltraGCN starts from). A node without edges has degree 0; its inverse degree is set
  to 0 (the official code's ``d_inv[isinf] = 0``), so its row and column are zero.
* **Propagation.** :func:`propagate` computes the layer combination
  :math:`E=\sum_{k=0}^{K}\alpha_k\hat A^kE^{(0)}` (uniform :math:`\alpha_k=1/(K+1)`), or only
  :math:`\hat A^KE^{(0)}` (``mode="last"``).
* **BPR sampling and loss.** :func:`sample_bpr` is the official ``UniformSample_original``,
  vectorised: a user uniformly at random (among users with training items), one of its
  positives uniformly, and a negative uniformly among the items it has *not* interacted with
  (rejection sampling, redrawn until no rejected draw is left). :func:`bpr_loss` is
  :math:`-\frac1B\sum\ln\sigma(\hat y_{ui}-\hat y_{uj})+\lambda\frac{1}{2B}(\|e^{(0)}_u\|^2+
  \|e^{(0)}_i\|^2+\|e^{(0)}_j\|^2)`.
* **All-ranking evaluation.** :func:`evaluate_topk` scores every item for every test user,
  masks the user's training items, takes the top :math:`K` and computes recall@K
  (hits / number of test items) and NDCG@K (binary relevance, ideal DCG over
  :math:`\min(K, n_\text{test})` hits), as the official ``RecallPrecision_ATk`` / ``NDCGatK_r``.
  ``average="test_users"`` divides by the number of users with test items (LightGCN's
  ``Procedure.Test``); ``"all_users"`` by all users, users without test items counting 0
  (UltraGCN's ``test``).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from ..data.implicit import ImplicitData

NORMALIZATIONS = ("sym", "sqrt_left", "sqrt_right", "l1_left", "l1_right", "l1_both", "none")


# -----------------------------------------------------------------------------------------
# The bipartite graph
# -----------------------------------------------------------------------------------------


def bipartite_adjacency_scipy(R: sp.spmatrix, *, self_loops: bool = False) -> sp.csr_matrix:
    """A = [[0, R], [Rᵀ, 0]] (+ I), as a float64 CSR matrix of size M+N."""
    R = sp.csr_matrix(R, dtype=np.float64)
    A = sp.bmat([[None, R], [R.T, None]], format="csr")
    if self_loops:
        A = A + sp.identity(A.shape[0], format="csr")
    A.sort_indices()
    return A


def _inv_power(d: np.ndarray, p: float) -> np.ndarray:
    out = np.zeros_like(d, dtype=np.float64)
    nz = d > 0
    out[nz] = d[nz] ** (-p)  # zero degree → 0 (official: d_inv[isinf] = 0)
    return out


def normalized_adjacency_scipy(R: sp.spmatrix, *, norm: str = "sym",
                               self_loops: bool = False) -> sp.csr_matrix:
    r"""Normalised bipartite adjacency (float64 CSR).

    ``norm``: ``"sym"`` :math:`D^{-1/2}AD^{-1/2}` (LightGCN); ``"sqrt_left"``
    :math:`D^{-1/2}A`; ``"sqrt_right"`` :math:`AD^{-1/2}`; ``"l1_left"`` :math:`D^{-1}A`
    (mean aggregation); ``"l1_right"`` :math:`AD^{-1}`; ``"l1_both"`` :math:`D^{-1}AD^{-1}`;
    ``"none"`` :math:`A`. With ``self_loops`` the degrees are those of :math:`A+I`.
    """
    if norm not in NORMALIZATIONS:
        raise ValueError(f"unknown normalisation {norm!r}; choose one of {NORMALIZATIONS}")
    A = bipartite_adjacency_scipy(R, self_loops=self_loops)
    d = np.asarray(A.sum(axis=1)).ravel()
    left = {"sym": 0.5, "sqrt_left": 0.5, "l1_left": 1.0, "l1_both": 1.0}.get(norm, 0.0)
    right = {"sym": 0.5, "sqrt_right": 0.5, "l1_right": 1.0, "l1_both": 1.0}.get(norm, 0.0)
    if left:
        A = sp.diags(_inv_power(d, left)) @ A
    if right:
        A = A @ sp.diags(_inv_power(d, right))
    A = sp.csr_matrix(A)
    A.eliminate_zeros()
    A.sort_indices()
    return A


class SparseOperator:
    """A fixed sparse matrix for ``op @ X`` with gradients w.r.t. ``X``: CSR forward, and the
    backward ``Aᵀ @ grad`` with a precomputed CSR transpose (several times faster on CPU than
    autograd through ``torch.sparse.mm`` on a COO tensor)."""

    def __init__(self, A: sp.spmatrix, *, dtype=torch.float32, device=None):
        A = sp.csr_matrix(A)
        self.shape = A.shape
        self.scipy = A
        self.csr = _to_csr(A, dtype, device)
        sym = A.shape[0] == A.shape[1] and abs(A - A.T).max() == 0 if A.nnz else True
        self.csr_t = self.csr if sym else _to_csr(sp.csr_matrix(A.T), dtype, device)

    @property
    def device(self) -> torch.device:
        return self.csr.device

    @property
    def dtype(self) -> torch.dtype:
        return self.csr.dtype

    def to(self, device=None, dtype=None) -> SparseOperator:
        return SparseOperator(self.scipy, dtype=dtype or self.dtype, device=device or self.device)

    def __matmul__(self, x: torch.Tensor) -> torch.Tensor:
        return _SpMM.apply(self.csr, self.csr_t, x)

    def to_dense(self) -> torch.Tensor:
        return self.csr.to_dense()

    def edge_index(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(edge_index (2, nnz), values)`` of the matrix (row = target, col = source)."""
        coo = sp.coo_matrix(self.scipy)
        idx = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
        return idx.to(self.device), torch.from_numpy(coo.data).to(self.device, self.dtype)


def _to_csr(A: sp.csr_matrix, dtype, device) -> torch.Tensor:
    A = sp.csr_matrix(A)
    A.sort_indices()
    with warnings.catch_warnings():  # "sparse CSR support is in beta" — we use it on purpose
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(A.indptr.astype(np.int64)),
                                       torch.from_numpy(A.indices.astype(np.int64)),
                                       torch.from_numpy(A.data).to(dtype), A.shape,
                                       device=device, check_invariants=False)


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, a_t, x):
        ctx.a_t = a_t
        return a @ x

    @staticmethod
    def backward(ctx, grad):
        return None, None, ctx.a_t @ grad


def normalized_adjacency(data: ImplicitData | sp.spmatrix, *, norm: str = "sym",
                         self_loops: bool = False, dtype=torch.float32,
                         device=None) -> SparseOperator:
    """:func:`normalized_adjacency_scipy` of the training matrix, as a :class:`SparseOperator`."""
    R = data.train_csr if isinstance(data, ImplicitData) else data
    return SparseOperator(normalized_adjacency_scipy(R, norm=norm, self_loops=self_loops),
                          dtype=dtype, device=device)


def layer_weights(n_layers: int, alpha=None, mode: str = "mean") -> list[float]:
    """The α_k of the layer combination: uniform 1/(K+1) (``"mean"``), (0,…,0,1) (``"last"``,
    LightGCN-single) or the given sequence."""
    if n_layers < 0:
        raise ValueError("n_layers must be >= 0")
    if alpha is not None:
        alpha = [float(a) for a in alpha]
        if len(alpha) != n_layers + 1:
            raise ValueError(f"need {n_layers + 1} layer weights, got {len(alpha)}")
        return alpha
    if mode == "mean":
        return [1.0 / (n_layers + 1)] * (n_layers + 1)
    if mode == "last":
        return [0.0] * n_layers + [1.0]
    raise ValueError(f"unknown layer combination {mode!r}; choose 'mean' or 'last'")


def propagate(adj: SparseOperator, emb0: torch.Tensor, n_layers: int, *, alpha=None,
              mode: str = "mean") -> torch.Tensor:
    r"""Light graph convolution with layer combination:
    :math:`E^{(k+1)}=\hat AE^{(k)}` (no weights, no activation), :math:`E=\sum_k\alpha_kE^{(k)}`."""
    w = layer_weights(n_layers, alpha, mode)
    out = w[0] * emb0 if w[0] else torch.zeros_like(emb0)
    e = emb0
    for k in range(1, n_layers + 1):
        e = adj @ e
        if w[k]:
            out = out + w[k] * e
    return out


# -----------------------------------------------------------------------------------------
# BPR: sampling and loss
# -----------------------------------------------------------------------------------------


def sample_negatives(data: ImplicitData, users: np.ndarray, rng: np.random.Generator,
                     n_neg: int = 1, *, reject_positives: bool = True) -> np.ndarray:
    """``(len(users), n_neg)`` items drawn uniformly; with ``reject_positives`` every draw
    that is a training positive of its user is redrawn (vectorised rejection sampling)."""
    users = np.asarray(users, dtype=np.int64)
    neg = rng.integers(0, data.n_items, (len(users), n_neg))
    if not reject_positives:
        return neg
    if (data.user_degree[users] >= data.n_items).any():
        raise ValueError("a user has interacted with every item: no negative to sample")
    uu = np.broadcast_to(users[:, None], neg.shape)
    bad = np.flatnonzero(data.is_train_positive(uu, neg))
    while bad.size:
        neg.flat[bad] = rng.integers(0, data.n_items, bad.size)
        bad = bad[data.is_train_positive(uu.flat[bad], neg.flat[bad])]
    return neg


def sample_bpr(data: ImplicitData, n: int | None = None, rng: np.random.Generator | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One epoch of official uniform BPR triples ``(u, i⁺, j⁻)``; ``n`` defaults to the number
    of training interactions. Users are drawn among those with training items (the official
    Python sampler draws among all users and skips the ones without)."""
    rng = rng if rng is not None else np.random.default_rng()
    n = len(data.train) if n is None else int(n)
    active = np.flatnonzero(data.user_degree > 0)
    users = active[rng.integers(0, len(active), n)]
    csr = data.train_csr
    deg = data.user_degree[users]
    pos = csr.indices[csr.indptr[users] + (rng.random(n) * deg).astype(np.int64)]
    neg = sample_negatives(data, users, rng, 1)[:, 0]
    return users, pos.astype(np.int64), neg


def bpr_loss(u: torch.Tensor, i: torch.Tensor, j: torch.Tensor, u0: torch.Tensor,
             i0: torch.Tensor, j0: torch.Tensor, decay: float) -> tuple[torch.Tensor, torch.Tensor]:
    """BPR loss (mean softplus of score differences) and the L2 term on the layer-0
    embeddings of the batch, ``decay · ½(‖u0‖²+‖i0‖²+‖j0‖²)/B`` (official ``bpr_loss``)."""
    pos = (u * i).sum(-1)
    neg = (u * j).sum(-1)
    loss = F.softplus(neg - pos).mean()
    reg = 0.5 * (u0.pow(2).sum() + i0.pow(2).sum() + j0.pow(2).sum()) / u.shape[0]
    return loss, decay * reg


class EmbeddingRecommender(nn.Module):
    """Base of the BPR models: ID embeddings (layer 0) and a ``forward()`` returning the final
    user and item embeddings; the score is their inner product."""

    def __init__(self, n_users: int, n_items: int, dim: int, init_std: float = 0.1):
        super().__init__()
        if n_users < 1 or n_items < 1 or dim < 1:
            raise ValueError("n_users, n_items and dim must be positive")
        self.n_users, self.n_items, self.dim = n_users, n_items, dim
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        nn.init.normal_(self.user_emb.weight, std=init_std)  # official PyTorch init N(0, 0.1²)
        nn.init.normal_(self.item_emb.weight, std=init_std)

    def forward(self) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError

    def loss(self, users, pos, neg, decay: float) -> torch.Tensor:
        uf, itf = self()
        base, reg = bpr_loss(uf[users], itf[pos], itf[neg], self.user_emb(users),
                             self.item_emb(pos), self.item_emb(neg), decay)
        return base + reg

    @torch.no_grad()
    def final_embeddings(self) -> tuple[torch.Tensor, torch.Tensor]:
        was = self.training
        self.eval()
        out = self()
        self.train(was)
        return out


# -----------------------------------------------------------------------------------------
# All-ranking evaluation
# -----------------------------------------------------------------------------------------


def evaluate_topk(user_emb: torch.Tensor, item_emb: torch.Tensor, data: ImplicitData, *,
                  ks=(20,), batch_size: int = 1024, average: str = "test_users") -> dict:
    """recall@K and NDCG@K (all-ranking, training items masked) for every K in ``ks``.

    Returns ``{"recall@20": ..., "ndcg@20": ..., ...}``; see the module docstring for the
    averaging conventions.
    """
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1 or ks[-1] > data.n_items:
        raise ValueError(f"ks must be in 1..n_items, got {ks}")
    if average not in ("test_users", "all_users"):
        raise ValueError("average must be 'test_users' or 'all_users'")
    if user_emb.shape[0] != data.n_users or item_emb.shape[0] != data.n_items:
        raise ValueError("embedding tables do not match the data's numbers of users/items")
    kmax = ks[-1]
    device = user_emb.device
    test_users = data.test_users
    n_test = np.diff(data.test_csr.indptr)
    disc = 1.0 / np.log2(np.arange(2, kmax + 2))
    sums = {f"{m}@{k}": 0.0 for k in ks for m in ("recall", "ndcg", "precision")}
    tr, te = data.train_csr, data.test_csr
    with torch.no_grad():
        for s in range(0, len(test_users), batch_size):
            b = test_users[s:s + batch_size]
            scores = user_emb[torch.as_tensor(b, device=device)] @ item_emb.T
            sub = tr[b]
            rows = np.repeat(np.arange(len(b)), np.diff(sub.indptr))
            scores[torch.as_tensor(rows, device=device),
                   torch.as_tensor(sub.indices, device=device)] = -math.inf
            top = torch.topk(scores, kmax, dim=1).indices.cpu().numpy()
            truth = te[b].toarray().astype(bool)
            hits = np.take_along_axis(truth, top, axis=1).astype(np.float64)  # (B, kmax)
            nt = n_test[b].astype(np.float64)
            for k in ks:
                h = hits[:, :k]
                sums[f"recall@{k}"] += float((h.sum(1) / nt).sum())
                sums[f"precision@{k}"] += float(h.sum() / k)
                ideal = np.cumsum(disc[:k])[np.minimum(nt, k).astype(int) - 1]
                sums[f"ndcg@{k}"] += float(((h * disc[:k]).sum(1) / ideal).sum())
    denom = len(test_users) if average == "test_users" else data.n_users
    return {key: val / max(denom, 1) for key, val in sums.items()}


def popularity_scores(data: ImplicitData) -> tuple[torch.Tensor, torch.Tensor]:
    """A most-popular baseline as 'embeddings': score(u, i) = training degree of i."""
    return (torch.ones(data.n_users, 1),
            torch.as_tensor(data.item_degree, dtype=torch.float32)[:, None])


# -----------------------------------------------------------------------------------------
# Training loop (BPR, one full-graph forward per mini-batch as the official code)
# -----------------------------------------------------------------------------------------


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class RunLog:
    """What one training run records. ``train_s[t]`` is the cumulative *training* wall time
    (sampling + steps, evaluation excluded) at evaluation ``t`` of epoch ``epoch[t]``."""

    name: str
    epoch: list = field(default_factory=list)
    train_s: list = field(default_factory=list)
    metrics: list = field(default_factory=list)
    loss: list = field(default_factory=list)  # mean loss per epoch
    epoch_s: list = field(default_factory=list)  # wall time of each epoch (training only)

    def series(self, key: str = "recall@20") -> np.ndarray:
        return np.array([m[key] for m in self.metrics])

    @property
    def final(self) -> dict:
        return self.metrics[-1]

    def best(self, key: str = "recall@20") -> dict:
        return self.metrics[int(np.argmax(self.series(key)))]

    def time_to(self, target: float, key: str = "recall@20") -> float:
        """Training seconds until ``key`` first reaches ``target`` (inf if never)."""
        s = self.series(key)
        hit = np.flatnonzero(s >= target)
        return float(self.train_s[hit[0]]) if hit.size else math.inf

    @property
    def mean_epoch_s(self) -> float:
        return float(np.mean(self.epoch_s))


def train_bpr(model: EmbeddingRecommender, data: ImplicitData, *, epochs: int, batch_size: int,
              lr: float, decay: float, seed: int, device: torch.device | str = "cpu",
              eval_every: int = 10, ks=(20,), name: str = "model", progress=None) -> RunLog:
    """Adam on the BPR loss, one epoch = ``len(data.train)`` official uniform triples, in
    mini-batches of ``batch_size``; evaluation (:func:`evaluate_topk`) every ``eval_every``
    epochs and after the last. Deterministic for a given ``seed`` on CPU."""
    if epochs < 1 or batch_size < 1 or lr <= 0 or eval_every < 1:
        raise ValueError("epochs, batch_size, eval_every must be >= 1 and lr > 0")
    device = torch.device(device)
    model.to(device)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def batches(epoch):
        u, p, n = (torch.as_tensor(a, device=device) for a in sample_bpr(data, rng=rng))
        for s in range(0, len(u), batch_size):
            yield model.loss(u[s:s + batch_size], p[s:s + batch_size], n[s:s + batch_size],
                             decay)

    return train_epochs(model, opt, batches, data, epochs=epochs, eval_every=eval_every,
                        ks=ks, device=device, name=name, progress=progress)


def train_epochs(model, opt: torch.optim.Optimizer, batches, data: ImplicitData, *,
                 epochs: int, eval_every: int, ks=(20,), device: torch.device | str = "cpu",
                 name: str = "model", progress=None, evaluate=None) -> RunLog:
    """The epoch loop shared by the recommenders: ``batches(epoch)`` yields the mini-batch
    losses of one epoch (sampling included); each is minimised with ``opt``. Epoch times count
    sampling and training only (device-synchronised), never evaluation, which runs every
    ``eval_every`` epochs and after the last: ``evaluate(user_emb, item_emb, epoch)`` on
    ``model.final_embeddings()`` returns the metrics logged (default :func:`evaluate_topk` on
    ``data``)."""
    if evaluate is None:
        def evaluate(ue, ie, epoch):
            return evaluate_topk(ue, ie, data, ks=ks)
    device = torch.device(device)
    log = RunLog(name)
    elapsed = 0.0
    it = range(1, epochs + 1)
    if progress is not None:
        it = progress(it, total=epochs, desc=name)
    for epoch in it:
        _sync(device)
        t0 = time.perf_counter()
        total, steps = 0.0, 0
        for loss in batches(epoch):
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
            steps += 1
        _sync(device)
        dt = time.perf_counter() - t0
        elapsed += dt
        log.epoch_s.append(dt)
        log.loss.append(total / steps)
        if epoch % eval_every == 0 or epoch == epochs:
            ue, ie = model.final_embeddings()
            log.epoch.append(epoch)
            log.train_s.append(elapsed)
            log.metrics.append(evaluate(ue, ie, epoch))
    return log
