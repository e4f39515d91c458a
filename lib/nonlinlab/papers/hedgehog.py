r"""Zhang, Bhatia, Kumbong & Ré (ICLR 2024), *The Hedgehog & the Porcupine: Expressive Linear
Attentions with Softmax Mimicry* (arXiv:2402.04347).

No official Hedgehog repository was found; the same group's maintained implementation of the
feature map and of attention distillation is in HazyResearch/lolcats
(``src/model/feature_map.py``: ``FeatureMapMLP``, ``Exp``, ``SoftmaxDim``;
``src/trainer/distill_attention_xent_mse.py``), which we read. The code below is our own.

Notation: one attention head, queries/keys :math:`q_i, k_j\in\mathbb R^d` (after RoPE),
:math:`s_{ij}=q_i^\top k_j/\sqrt d`, causal rows :math:`j\le i`.

Teacher (softmax) and linear attention
--------------------------------------
.. math:: a_{ij}=\frac{\exp s_{ij}}{\sum_{l\le i}\exp s_{il}},\qquad
          \hat a_{ij}=\frac{\phi_q(q_i)^\top\phi_k(k_j)}{\sum_{l\le i}\phi_q(q_i)^\top\phi_k(k_l)}.

The Hedgehog feature map (per head, separately for q and k)
-----------------------------------------------------------
.. math:: \phi(x)=\big[\exp(xW+b)\;\oplus\;\exp(-xW-b)\big]\in\mathbb R^{2d'},
          \qquad W=I,\ b=0 \text{ at init}                                         \quad (1)

(``activation="exp"``, the paper). The authors' later code uses a softmax over the feature
dimension instead, :math:`[\mathrm{softmax}_f(xW)\oplus\mathrm{softmax}_f(-xW)]`
(``activation="softmax"``; for keys this is a per-key rescaling, i.e. a different kernel).

Distillation loss (soft-label cross-entropy; LoLCATs Eq. 13)
------------------------------------------------------------
.. math:: \mathcal L=-\frac1n\sum_i\sum_{j\le i}a_{ij}\log\hat a_{ij}
          \quad\text{summed over heads and layers; only } W,b \text{ train.}        \quad (2)

Numerics: :func:`kernel_log_weights` evaluates :math:`\log\hat a` from *log*-features with a
per-query and a per-key shift that are added back in log space, so it is exact and never
overflows. The linear-time forward (:class:`HedgehogFeatureMap` inside
:class:`~nonlinlab.models.attention.LinearAttention`) stabilises plain ``exp`` with a
per-query shift for queries (cancels in the normalisation) and one *per-head global* shift for
keys (a common factor of every kernel entry of that head). A per-key shift -- as in the
official ``Exp`` activation -- would change the relative weights of keys; we avoid it.

Baseline maps (analysis section of the paper)
---------------------------------------------
1+ELU (Katharopoulos), ReLU, Performer/FAVOR+ positive random features
:math:`\phi(x)=e^{\omega^\top\tilde x-\|\tilde x\|^2/2}/\sqrt m`, :math:`\tilde x=x/d^{1/4}`,
:math:`\omega\sim\mathcal N(0,I)` (unbiased for :math:`e^{s}`), and Taylor-2:

.. math:: \phi(x)=\big[1,\ \tilde x,\ \mathrm{vec}(\tilde x\tilde x^\top)/\sqrt2\big],\qquad
          \phi(q)^\top\phi(k)=1+s+s^2/2 \text{ exactly}.                            \quad (3)

Diagnostics: row entropy :math:`H(\hat a_{i\cdot})`, KL :math:`(a_{i\cdot}\,\|\,\hat a_{i\cdot})`,
and monotonicity = Spearman rank correlation between :math:`s_{ij}` and :math:`\hat a_{ij}`
within each row.
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
from ..models.attention import LinearAttention, repeat_kv
from ..models.linear_attention import causal_window_mask

ACTIVATIONS = ("exp", "softmax")
MAPS = ("softmax", "hedgehog", "hedgehog_init", "elu+1", "relu", "performer", "taylor2")
LOG_FLOOR = math.log(1e-12)  # log-weights are floored here for KL (ReLU gives exact zeros)


# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes of the chapter (one instance per profile)."""

    distill_layers: tuple[int, ...] | None = None  # None: all 30 layers of SmolLM2-135M
    seq_len: int = 128
    train_seqs: int = 4  # distillation sequences (train split)
    eval_seqs: int = 2  # held-out sequences (validation split)
    steps: int = 150
    lr: float = 1e-2
    feature_dim: int | None = None  # d' (None: head dim, as in the paper)
    activation: str = "exp"
    performer_features: int = 64
    n_layers_model: int = 30
    layers_per_chunk: int | None = 5  # gradient accumulated over groups of layers (memory)
    cost_on_gpu: bool = False  # cost model of estimate_seconds: one GPU (full) or 2 CPU cores
    # sequence lengths of the softmax-vs-linear time/memory benchmark (models.linear_attention)
    bench_lengths: tuple[int, ...] = (128, 256, 512, 1024, 2048)

    def check(self) -> None:
        require(self.seq_len >= 8, f"seq_len must be >= 8, got {self.seq_len}")
        require(self.train_seqs >= 1 and self.eval_seqs >= 1, "need >= 1 train and eval seq")
        require(self.steps >= 1, f"steps must be >= 1, got {self.steps}")
        require(self.lr > 0, f"lr must be positive, got {self.lr}")
        require(self.activation in ACTIVATIONS,
                f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        require(self.performer_features >= 1, "performer_features must be >= 1")
        require(self.layers_per_chunk is None or self.layers_per_chunk >= 1,
                "layers_per_chunk must be None or >= 1")
        if self.distill_layers is not None:
            require(len(self.distill_layers) > 0 and all(
                0 <= i < self.n_layers_model for i in self.distill_layers),
                f"distill_layers must be indices in [0, {self.n_layers_model})")

    @property
    def layers(self) -> list[int]:
        if self.distill_layers is None:
            return list(range(self.n_layers_model))
        return list(self.distill_layers)


CONFIGS = Profiles(
    # ci: all 30 layers distilled at once (stacked maps), four 128-token windows, 40 steps
    ci=Config(distill_layers=None, seq_len=128, train_seqs=4, eval_seqs=2, steps=40, lr=2e-2),
    # full: every layer, longer sequences, more data and steps (one GPU)
    full=Config(distill_layers=None, seq_len=512, train_seqs=8, eval_seqs=8, steps=500,
                lr=1e-2, bench_lengths=(256, 512, 1024, 2048, 4096, 8192, 16384),
                cost_on_gpu=True),
)


# cost model (on paper): flops of the recorded forward passes plus the distillation
_MODEL_FLOPS_PER_TOKEN = 2 * 134.5e6
_HEADS, _HEAD_DIM = 9, 64


def distill_flops(cfg: Config) -> float:
    """Forward+backward flops of distillation: per layer/head/step, the feature maps
    (2 maps x 2 x T x d x d') and the T x T kernel (2 x T^2 x 2d'), times 3 for backward."""
    fd = cfg.feature_dim or _HEAD_DIM
    tokens = cfg.train_seqs * cfg.seq_len
    per_head = 2 * 2 * tokens * _HEAD_DIM * fd + 2 * cfg.train_seqs * cfg.seq_len**2 * 2 * fd
    return 3.0 * per_head * _HEADS * len(cfg.layers) * cfg.steps


def estimate_seconds(cfg: Config) -> float:
    """Conservative cost (on paper): ~5 s loading; the model's forward passes (train +
    held-out recordings and 4 swapped-model evaluations, counted as 5 held-out passes) at the
    measured single-thread CPU rate of this model's large matrix products, 8e10 flop/s (a
    1x256 forward is ~69 GFLOP in ~0.85 s); the distillation and the T x T diagnostics of 7
    maps on every layer at 2e10 flop/s (small kernels, elementwise-bound); ~2 s of plotting.
    On a T4 (full) everything is taken at 2e12 flop/s."""
    big, small = (2e12, 2e12) if cfg.cost_on_gpu else (8e10, 2e10)
    tokens = (cfg.train_seqs + 5 * cfg.eval_seqs) * cfg.seq_len
    forward = tokens * _MODEL_FLOPS_PER_TOKEN
    diag = 7 * cfg.eval_seqs * _HEADS * cfg.n_layers_model * cfg.seq_len**2 * _HEAD_DIM * 4
    # benchmark: 3 repeats of softmax (4 H T^2 d) and linear (4 H T d^2) attention, 4 heads of 64
    bench = sum(3 * 4 * 4 * (T * T * 64 + T * 64 * 64) for T in cfg.bench_lengths)
    return 5.0 + 2.0 + forward / big + (distill_flops(cfg) + diag + bench) / small


# ------------------------------------------------------------------------------------------
# The Hedgehog feature map (Eq. 1)
# ------------------------------------------------------------------------------------------


class HedgehogFeatureMap(nn.Module):
    r"""Per-head learnable map :math:`[f(xW+b)\oplus f(-xW-b)]`, x of shape (B, H, T, d).

    ``activation="exp"`` (paper) or ``"softmax"`` (softmax over the d' features; LoLCATs'
    default). ``role`` ("q" or "k") picks the overflow shift of the plain-exp forward: per
    query for queries, one global constant per head for keys (see the module docstring).
    ``init="identity"`` (W = I, b = 0; the paper) or ``"kaiming"`` (LoLCATs). ``bias=False``
    drops b (LoLCATs). Output (B, H, T, 2 d').
    """

    def __init__(self, n_heads: int, head_dim: int, feature_dim: int | None = None, *,
                 activation: str = "exp", role: str = "q", bias: bool = True,
                 init: str = "identity", eps: float = 1e-12):
        super().__init__()
        feature_dim = head_dim if feature_dim is None else int(feature_dim)
        if n_heads < 1 or head_dim < 1 or feature_dim < 1:
            raise ValueError("n_heads, head_dim and feature_dim must be >= 1")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if role not in ("q", "k"):
            raise ValueError(f"role must be 'q' or 'k', got {role!r}")
        if init not in ("identity", "kaiming"):
            raise ValueError(f"init must be 'identity' or 'kaiming', got {init!r}")
        self.n_heads, self.head_dim, self.feature_dim = n_heads, head_dim, feature_dim
        self.activation, self.role, self.eps = activation, role, eps
        self.weight = nn.Parameter(torch.empty(n_heads, head_dim, feature_dim))
        self.bias = nn.Parameter(torch.zeros(n_heads, 1, feature_dim)) if bias else None
        with torch.no_grad():
            if init == "identity":
                self.weight.copy_(torch.eye(head_dim, feature_dim).expand_as(self.weight))
            else:
                nn.init.kaiming_uniform_(self.weight)

    def extra_repr(self) -> str:
        return (f"heads={self.n_heads}, d={self.head_dim}, d'={self.feature_dim}, "
                f"activation={self.activation}, role={self.role}, bias={self.bias is not None}")

    def project(self, x: torch.Tensor, heads: slice | None = None) -> torch.Tensor:
        """u = x W + b per head, (B, H, T, d'); ``heads`` restricts to a slice of the heads."""
        w = self.weight if heads is None else self.weight[heads]
        if x.dim() != 4 or x.shape[1] != w.shape[0] or x.shape[-1] != self.head_dim:
            raise ValueError(f"expected (B, {w.shape[0]}, T, {self.head_dim}), got "
                             f"{tuple(x.shape)}")
        u = torch.einsum("bhtd,hdf->bhtf", x, w.to(x.dtype))
        if self.bias is None:
            return u
        return u + (self.bias if heads is None else self.bias[heads]).to(x.dtype)

    def log_features(self, x: torch.Tensor, heads: slice | None = None) -> torch.Tensor:
        """log phi(x), (B, H, T, 2 d'): [u, -u] (exp) or [log_softmax(u), log_softmax(-u)]."""
        u = self.project(x, heads)
        if self.activation == "exp":
            return torch.cat([u, -u], dim=-1)
        return torch.cat([F.log_softmax(u, -1), F.log_softmax(-u, -1)], dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lf = self.log_features(x)
        if self.activation == "exp":
            if self.role == "q":  # per-query shift: cancels in the row normalisation
                shift = lf.amax(-1, keepdim=True)
            else:  # one constant per head (all keys, all sequences): common factor
                shift = lf.detach().amax(dim=(0, 2, 3), keepdim=True)
            lf = lf - shift.detach()
        return torch.exp(lf).clamp_min(self.eps)


def hedgehog_pair(n_heads: int, head_dim: int, feature_dim: int | None = None, **kw):
    """(phi_q, phi_k): two untied Hedgehog maps (queries and keys)."""
    return (HedgehogFeatureMap(n_heads, head_dim, feature_dim, role="q", **kw),
            HedgehogFeatureMap(n_heads, head_dim, feature_dim, role="k", **kw))


def hedgehog_attention(phi_q: HedgehogFeatureMap, phi_k: HedgehogFeatureMap,
                       eps: float = 1e-30) -> LinearAttention:
    """Linear-time causal attention kernel with the two maps (after RoPE). A tiny ``eps``:
    the key shift can make all kernel entries of a row small but they stay exact."""
    return LinearAttention(phi_q, phi_k, use_rope=True, eps=eps)


# ------------------------------------------------------------------------------------------
# Baseline feature maps
# ------------------------------------------------------------------------------------------


def taylor2_features(x: torch.Tensor) -> torch.Tensor:
    """Eq. (3): [1, x/d^(1/4), vec(x x^T)/(sqrt(2) sqrt(d))], (..., 1 + d + d^2)."""
    d = x.shape[-1]
    xs = x / d**0.25
    outer = (xs.unsqueeze(-1) * xs.unsqueeze(-2)).flatten(-2) / math.sqrt(2.0)
    return torch.cat([torch.ones_like(x[..., :1]), xs, outer], dim=-1)


def taylor2_kernel(s: torch.Tensor) -> torch.Tensor:
    """Closed form of the Taylor-2 kernel, 1 + s + s^2/2 (> 0 for every s)."""
    return 1.0 + s + 0.5 * s * s


def performer_projection(head_dim: int, m: int, generator: torch.Generator | None = None,
                         dtype=torch.float32, device=None) -> torch.Tensor:
    """omega ~ N(0, I), (d, m): FAVOR+ positive random features (iid draws)."""
    w = torch.randn(head_dim, m, generator=generator, dtype=torch.float64)
    return w.to(dtype=dtype, device=device)


def performer_log_features(x: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """log phi(x) = omega^T x~ - |x~|^2 / 2 - log(m)/2 with x~ = x / d^(1/4); then
    E_omega[phi(q)^T phi(k)] = exp(q.k / sqrt(d))."""
    d, m = omega.shape
    xs = x / d**0.25
    return xs @ omega.to(x.dtype) - 0.5 * (xs * xs).sum(-1, keepdim=True) - 0.5 * math.log(m)


# ------------------------------------------------------------------------------------------
# Attention weights (explicit T x T) of every map, in log space
# ------------------------------------------------------------------------------------------


def _causal(T: int, device) -> torch.Tensor:
    return causal_window_mask(T, None, device=device)


def kernel_log_weights(log_fq: torch.Tensor, log_fk: torch.Tensor) -> torch.Tensor:
    """log a^_ij for a positive feature map given its log-features (..., T, F).

    log k_ij = a_i + c_j + log sum_f exp(lq_if - a_i) exp(lk_jf - c_j) with a_i, c_j the
    row maxima: exact and overflow-free (a_i cancels in the row normalisation and is
    dropped). Causal rows, normalised; masked entries -inf.
    """
    a = log_fq.amax(-1, keepdim=True)
    c = log_fk.amax(-1, keepdim=True)
    inner = torch.exp(log_fq - a) @ torch.exp(log_fk - c).transpose(-1, -2)
    logk = torch.log(inner.clamp_min(torch.finfo(inner.dtype).tiny)) + c.transpose(-1, -2)
    mask = _causal(logk.shape[-1], logk.device)
    return torch.log_softmax(logk.masked_fill(~mask, float("-inf")), dim=-1)


def softmax_log_weights(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Teacher: log softmax_j(q.k / sqrt(d)) over causal keys (masked -inf)."""
    s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    mask = _causal(s.shape[-1], s.device)
    return torch.log_softmax(s.masked_fill(~mask, float("-inf")), dim=-1)


def positive_map_log_weights(phi, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """log a^ for a plain non-negative map phi (1+ELU, ReLU); zero weights give -inf."""
    w = phi(q) @ phi(k).transpose(-1, -2)
    mask = _causal(w.shape[-1], w.device)
    w = w.masked_fill(~mask, 0.0)
    return torch.log(w / (w.sum(-1, keepdim=True) + 1e-12))


def map_log_weights(name: str, q: torch.Tensor, k: torch.Tensor, *, maps=None,
                    omega: torch.Tensor | None = None) -> torch.Tensor:
    """log attention weights (B, H, T, T) of one map on RoPE'd q, k (kv heads repeated).

    ``maps``: (phi_q, phi_k) Hedgehog modules for "hedgehog"/"hedgehog_init"; ``omega``: the
    Performer projection.
    """
    if name == "softmax":
        return softmax_log_weights(q, k)
    if name in ("hedgehog", "hedgehog_init"):
        if maps is None:
            raise ValueError(f"{name!r} needs maps=(phi_q, phi_k)")
        return kernel_log_weights(maps[0].log_features(q), maps[1].log_features(k))
    if name == "elu+1":
        return positive_map_log_weights(lambda x: F.elu(x) + 1.0, q, k)
    if name == "relu":
        return positive_map_log_weights(F.relu, q, k)
    if name == "performer":
        if omega is None:
            raise ValueError("'performer' needs omega (performer_projection)")
        return kernel_log_weights(performer_log_features(q, omega),
                                  performer_log_features(k, omega))
    if name == "taylor2":  # closed form of Eq. (3); the identity is tested
        s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        mask = _causal(s.shape[-1], s.device)
        return torch.log_softmax(torch.log(taylor2_kernel(s)).masked_fill(~mask, float("-inf")),
                                 dim=-1)
    raise ValueError(f"unknown map {name!r}; choose one of {MAPS}")


# ------------------------------------------------------------------------------------------
# Diagnostics
# ------------------------------------------------------------------------------------------


def _plogp(logp: torch.Tensor) -> torch.Tensor:
    p = logp.exp()
    return torch.where(p > 0, p * logp, torch.zeros_like(p))


def row_entropy(logw: torch.Tensor) -> torch.Tensor:
    """H(a_i.) in nats for every row (..., T)."""
    return -_plogp(logw).sum(-1)


def row_kl(log_a: torch.Tensor, log_ahat: torch.Tensor) -> torch.Tensor:
    """KL(a_i. || a^_i.) per row; log a^ floored at log(1e-12) (ReLU gives exact zeros)."""
    p = log_a.exp()
    diff = log_a - log_ahat.clamp_min(LOG_FLOOR)
    return torch.where(p > 0, p * diff, torch.zeros_like(p)).sum(-1)


def soft_cross_entropy(log_a: torch.Tensor, log_ahat: torch.Tensor,
                       a: torch.Tensor | None = None) -> torch.Tensor:
    """Eq. (2): mean over rows of -sum_j a_ij log a^_ij (masked entries contribute 0).
    ``a`` = exp(log_a) may be passed precomputed."""
    a = log_a.exp() if a is None else a
    return -(a * log_ahat.masked_fill(a == 0, 0.0)).sum(-1).mean()


def _rank_rows(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, method="average", axis=-1)


def row_spearman(scores: torch.Tensor, logw: torch.Tensor, min_keys: int = 8,
                 row_stride: int = 1) -> np.ndarray:
    """Spearman correlation of q.k and the weights within each causal row with >= min_keys
    keys (every ``row_stride``-th row); one value per (leading index, row) where defined."""
    s = scores.detach().double().cpu().numpy()
    w = logw.detach().double().cpu().numpy()
    T = s.shape[-1]
    s = s.reshape(-1, T, T)
    w = w.reshape(-1, T, T)
    out = []
    for i in range(T - 1, min_keys - 2, -row_stride):
        rs = _rank_rows(s[:, i, : i + 1])
        rw = _rank_rows(np.maximum(w[:, i, : i + 1], -1e300))
        rs = rs - rs.mean(-1, keepdims=True)
        rw = rw - rw.mean(-1, keepdims=True)
        den = np.sqrt((rs * rs).sum(-1) * (rw * rw).sum(-1))
        ok = den > 0
        out.append(np.where(ok, (rs * rw).sum(-1) / np.where(ok, den, 1.0), np.nan))
    arr = np.stack(out, axis=-1)
    return arr[np.isfinite(arr)]


# ------------------------------------------------------------------------------------------
# Recording q, k from the real model and distillation (offline)
# ------------------------------------------------------------------------------------------


@dataclass
class QK:
    """RoPE'd queries and keys (kv heads repeated) of one layer: (B, H, T, d) each."""

    layer: int
    q: torch.Tensor
    k: torch.Tensor

    @property
    def scores(self) -> torch.Tensor:
        return (self.q @ self.k.transpose(-1, -2)) / math.sqrt(self.q.shape[-1])


def data_ids(corpus, cfg: Config, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(train ids (train_seqs, T), held-out ids (eval_seqs, T + 1)). Training windows are
    drawn at random offsets of the train split (the seed picks them); held-out windows are
    fixed, evenly spaced blocks of the validation split (identical for every seed)."""
    g = torch.Generator().manual_seed(int(seed))
    train = corpus.random_blocks("train", cfg.train_seqs, cfg.seq_len, generator=g)
    n_val = corpus.val.numel()
    stride = max(1, (n_val - (cfg.seq_len + 1)) // max(1, cfg.eval_seqs - 1))
    val = corpus.blocks("val", cfg.seq_len + 1, n_blocks=cfg.eval_seqs, stride=stride)
    return train, val.clone()


@torch.no_grad()
def record_qk(model, ids: torch.Tensor, layers) -> dict[int, QK]:
    """One forward pass of the (softmax) model, returns {layer: QK}."""
    with model.record_attention(layers, keys=("q", "k")) as rec:
        model(ids)
    out = {}
    for i in rec:
        e = rec[i]
        out[i] = QK(i, e["q"], repeat_kv(e["k"], e["n_rep"]))
    return out


def distill_layer(qk: QK, *, steps: int, lr: float, feature_dim: int | None = None,
                  activation: str = "exp", seed: int = 0, log_every: int = 10):
    """Train (phi_q, phi_k) of one layer by Eq. (2) on recorded q, k (teacher forcing: the
    inputs come from the softmax model). Full batch, Adam. Returns (maps, losses)."""
    torch.manual_seed(seed)
    H, d = qk.q.shape[1], qk.q.shape[-1]
    maps = hedgehog_pair(H, d, feature_dim, activation=activation)
    maps = tuple(m.to(device=qk.q.device, dtype=qk.q.dtype) for m in maps)
    params = [p for m in maps for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=lr)
    log_a = softmax_log_weights(qk.q, qk.k)
    a = log_a.exp()
    losses = []
    for step in range(steps):
        log_ahat = kernel_log_weights(maps[0].log_features(qk.q), maps[1].log_features(qk.k))
        loss = soft_cross_entropy(log_a, log_ahat, a) * H  # summed over heads
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % log_every == 0 or step == steps - 1:
            losses.append((step, float(loss.detach()) / H))
    return maps, losses


def kernel_row_cross_entropy(log_fq: torch.Tensor, log_fk: torch.Tensor, a: torch.Tensor,
                             a_sum: torch.Tensor | None = None) -> torch.Tensor:
    """Eq. (2) per row, -sum_j a_ij log a^_ij, without forming log a^ (same value as
    ``-(a * kernel_log_weights(log_fq, log_fk)).sum(-1)``, fewer T x T passes): with
    log k_ij = log sum_f exp(lq_if + lk_jf) (shifted as in :func:`kernel_log_weights`),
    -sum_j a_ij log a^_ij = (sum_j a_ij) logsumexp_{j<=i} log k_ij - sum_j a_ij log k_ij.
    ``a`` (..., T, T) are the teacher weights, zero above the diagonal; ``a_sum`` = a.sum(-1)
    may be passed precomputed. The shifts are constants of the loss (their gradients cancel
    exactly), so they are detached. Returns (..., T)."""
    a_sum = a.sum(-1) if a_sum is None else a_sum
    sq = log_fq.detach().amax(-1, keepdim=True)
    c = log_fk.detach().amax(-1, keepdim=True)
    inner = torch.exp(log_fq - sq) @ torch.exp(log_fk - c).transpose(-1, -2)
    logk = torch.log(inner.clamp_min(torch.finfo(inner.dtype).tiny)) + c.transpose(-1, -2)
    mask = _causal(logk.shape[-1], logk.device)
    lse = torch.logsumexp(logk.masked_fill(~mask, float("-inf")), dim=-1)
    return a_sum * lse - (a * logk).sum(-1)


def stack_layers(qks: dict[int, QK], layers) -> tuple[torch.Tensor, torch.Tensor]:
    """Queries and keys of ``layers`` stacked head-major: (1, L*H, B*T, d) each, so that one
    :class:`HedgehogFeatureMap` with L*H heads holds the maps of all L layers."""
    def one(x):  # (B, H, T, d) -> (H, B*T, d)
        B, H, T, d = x.shape
        return x.transpose(0, 1).reshape(H, B * T, d)
    q = torch.cat([one(qks[i].q) for i in layers], 0)[None]
    k = torch.cat([one(qks[i].k) for i in layers], 0)[None]
    return q, k


def split_maps(stacked, layers, n_heads: int) -> dict[int, tuple]:
    """{layer: (phi_q, phi_k)} with H heads each, copied out of a stacked (L*H-head) pair."""
    out = {}
    for n, i in enumerate(layers):
        pair = []
        for m in stacked:
            f = HedgehogFeatureMap(n_heads, m.head_dim, m.feature_dim, activation=m.activation,
                                   role=m.role, bias=m.bias is not None, eps=m.eps)
            f = f.to(device=m.weight.device, dtype=m.weight.dtype)
            with torch.no_grad():
                f.weight.copy_(m.weight[n * n_heads:(n + 1) * n_heads])
                if m.bias is not None:
                    f.bias.copy_(m.bias[n * n_heads:(n + 1) * n_heads])
            pair.append(f)
        out[i] = tuple(pair)
    return out


def distill(train: dict[int, QK], *, steps: int, lr: float, feature_dim=None,
            activation: str = "exp", seed: int = 0, log_every: int = 5,
            layers_per_chunk: int | None = None, progress=None):
    """Distil every recorded layer at once. Layers have disjoint parameters and (teacher
    forcing) disjoint inputs, so the maps of all L layers are stacked into one Hedgehog pair
    with L*H heads and trained on the sum of the per-layer losses of Eq. (2) (each summed over
    heads, mean over rows) with one Adam: Adam acts elementwise, so this is the same as
    training every layer alone with :func:`distill_layer` (to rounding; tested), at the cost
    of a few large batched products instead of L x steps small ones. ``layers_per_chunk``
    accumulates the gradient over groups of layers (the same step, less memory).
    Returns ({layer: maps}, {layer: [(step, loss per row)]}, cpu_seconds)."""
    c0 = time.process_time()
    torch.manual_seed(seed)
    layers = sorted(train)
    B, H, T, d = train[layers[0]].q.shape
    q, k = stack_layers(train, layers)
    maps = hedgehog_pair(len(layers) * H, d, feature_dim, activation=activation)
    maps = tuple(m.to(device=q.device, dtype=q.dtype) for m in maps)
    opt = torch.optim.Adam([p for m in maps for p in m.parameters()], lr=lr)
    with torch.no_grad():  # teacher weights, (L*H*B, T, T), zero above the diagonal
        a = torch.cat([softmax_log_weights(train[i].q, train[i].k).exp().transpose(0, 1)
                       .reshape(H * B, T, T) for i in layers], 0)
        a_sum = a.sum(-1)
    per = len(layers) if layers_per_chunk is None else max(1, int(layers_per_chunk))
    chunks = [slice(s * H, min(s + per, len(layers)) * H) for s in range(0, len(layers), per)]
    curves = {i: [] for i in layers}
    it = range(steps) if progress is None else progress(range(steps), desc="distil")
    for step in it:
        opt.zero_grad(set_to_none=True)
        rows = []
        for ch in chunks:
            lq = maps[0].log_features(q[:, ch], ch).reshape(-1, T, maps[0].feature_dim * 2)
            lk = maps[1].log_features(k[:, ch], ch).reshape(-1, T, maps[1].feature_dim * 2)
            hb = slice(ch.start * B, ch.stop * B)
            r = kernel_row_cross_entropy(lq, lk, a[hb], a_sum[hb])  # (heads*B, T)
            (r.sum() / (B * T)).backward()  # summed over heads and layers, mean over rows
            rows.append(r.detach())
        opt.step()
        if step % log_every == 0 or step == steps - 1:
            per_layer = torch.cat(rows, 0).reshape(len(layers), -1).mean(1)
            for n, i in enumerate(layers):
                curves[i].append((step, float(per_layer[n])))
    return split_maps(maps, layers, H), curves, time.process_time() - c0


def untrained_maps(H: int, d: int, feature_dim=None, activation="exp", like=None):
    maps = hedgehog_pair(H, d, feature_dim, activation=activation)
    if like is not None:
        maps = tuple(m.to(device=like.device, dtype=like.dtype) for m in maps)
    return maps


@torch.no_grad()
def evaluate_maps(qks: dict[int, QK], names, *, maps=None, omega=None, min_keys: int = 8,
                  spearman: bool = True, row_stride: int = 4) -> dict:
    """Per map and layer: mean row KL(a || a^), mean row entropy, mean Spearman (q.k vs a^).

    ``maps``: {layer: (phi_q, phi_k)} of trained Hedgehog maps (layers without maps are
    skipped for "hedgehog"); "hedgehog_init" uses fresh identity maps.
    """
    res = {name: {"kl": {}, "entropy": {}, "spearman": {}} for name in names}
    for i, qk in qks.items():
        log_a = softmax_log_weights(qk.q, qk.k)
        H, d = qk.q.shape[1], qk.q.shape[-1]
        for name in names:
            kw = {}
            if name == "hedgehog":
                if maps is None or i not in maps:
                    continue
                kw["maps"] = maps[i]
            elif name == "hedgehog_init":
                act = "exp" if maps is None else next(iter(maps.values()))[0].activation
                fd = None if maps is None else next(iter(maps.values()))[0].feature_dim
                kw["maps"] = untrained_maps(H, d, fd, act, like=qk.q)
            elif name == "performer":
                kw["omega"] = omega
            lw = log_a if name == "softmax" else map_log_weights(name, qk.q, qk.k, **kw)
            res[name]["kl"][i] = float(row_kl(log_a, lw).mean())
            res[name]["entropy"][i] = float(row_entropy(lw).mean())
            if spearman:
                res[name]["spearman"][i] = float(np.mean(row_spearman(qk.scores, lw, min_keys,
                                                                        row_stride)))
    return res


def layer_mean(d: dict[int, float], layers=None) -> float:
    keys = sorted(d) if layers is None else [i for i in layers if i in d]
    if not keys:
        raise ValueError("no layer to average over")
    return float(np.mean([d[i] for i in keys]))


# ------------------------------------------------------------------------------------------
# End-to-end: swap the distilled layers into the model
# ------------------------------------------------------------------------------------------


@torch.no_grad()
def swapped_loss(model, ids: torch.Tensor, layers, factory) -> float:
    """Held-out next-token loss (nats) with ``factory(i, cfg)`` kernels in ``layers``
    (softmax elsewhere); the model's attention is restored afterwards."""
    try:
        if factory is not None:
            model.set_attention(factory, layers=layers)
        return float(model.loss(ids))
    finally:
        model.reset_attention()
