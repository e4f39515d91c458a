r"""Lan, Sun, Hu, Du & Cheng (ICML 2025), *Liger: Linearizing Large Language Models to Gated
Recurrent Structures* (arXiv:2503.01496).

Follows the official code (OpenSparseLLMs/Linearization,
``liger/models/liger_gla/modeling_liger_gla.py``, ``configs/liger_gla.yaml``,
``training/train.py``) on top of the book's Llama (:mod:`nonlinlab.models.llama`), whose
attention kernels are swappable. Notation per head: pretrained projections
:math:`q_t = W_q x_t`, :math:`k_t = W_k x_t`, :math:`v_t = W_v x_t` (no RoPE on the linear
branch), :math:`d` the head dimension.

Gated recurrent memory (Liger-GLA)
----------------------------------
* feature map, parameter-free:  :math:`\phi(q) = \mathrm{softmax}_{d}(q)`,
  :math:`\phi(k) = \mathrm{softmax}_{d}(k)`, scale 1 (no :math:`1/\sqrt d`);
* gate built from the key projection (no new parameters):
  :math:`g_t = \mathrm{Pool}(k_t)` with ``AdaptiveAvgPool1d`` over the full key vector
  (:math:`H_{kv} d` channels) down to :math:`H_{kv} m` channels; for GLA :math:`m = d`, so the
  pool is the identity and :math:`g_t = k_t`;
  :math:`\log\alpha_t = \mathrm{logsigmoid}(g_t)/16`, i.e. :math:`\alpha_t = \sigma(k_t)^{1/16}`
  (``gate_logit_normalizer = 16`` in the code);
* recurrence (no normaliser):
  :math:`S_t = \mathrm{Diag}(\alpha_t) S_{t-1} + \phi(k_t)^\top v_t`,
  :math:`o_t = \phi(q_t) S_t`;  parallel form
  :math:`o_t = \sum_{i\le t} \big(\phi(q_t) \odot \prod_{j=i+1}^{t}\alpha_j\big)
  \cdot\phi(k_i)\,v_i`.

Liger Attention (intra-layer hybrid)
------------------------------------
:math:`o_t = 0.5\,\mathrm{SWA}(q^{\rm rope}, k^{\rm rope}, v)_t + 0.5\,o^{\rm GLA}_t`, then
:math:`W_o`. The official code calls FlashAttention-2 with ``sliding_window=64`` through
transformers 4.47, which sets ``window_size=(64, 64)``: query t sees keys t-64..t, i.e. 65 keys
including itself. Our ``SoftmaxAttention(window=w)`` counts keys including the query, so the
paper's setting is ``window = 64 + 1`` (:data:`PAPER_WINDOW`).

Training
--------
Base weights frozen; LoRA (rank 8, alpha 8 -- peft's default alpha equals r, dropout 0) on
``q_proj, k_proj, v_proj`` (LoRA on ``k_proj`` also adapts the gates); AdamW, lr 1e-3, max
grad-norm 1, next-token cross-entropy; no attention-transfer stage.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..models.attention import (
    AttentionInputs,
    AttentionKernel,
    LinearAttention,
    MixtureAttention,
    SoftmaxAttention,
    repeat_kv,
)
from ..models.llama import Llama
from ..models.lora import LoRALinear, remove_lora  # noqa: F401
from ..models.lora import add_lora as _add_lora

GATE_LOGIT_NORMALIZER = 16.0
PAPER_WINDOW = 65  # FlashAttention window_size=(64, 64) + causal: 64 previous keys + itself
LORA_TARGETS = ("q_proj", "k_proj", "v_proj")
VARIANTS = ("naive", "ungated", "swa", "liger_gla", "liger")

# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes of the chapter's experiments (one instance per profile)."""

    source: str = "gguf"  # SmolLM2-135M weights: "gguf" (offline) or "hub"
    first_layer: int = 24  # linearize layers first_layer..29 (30 layers in SmolLM2-135M)
    seq_len: int = 128
    window: int = 16  # SWA keys including the query (paper: 65 at seq 1024)
    train_batch: int = 2
    steps: int = 12
    lr: float = 1e-3
    lora_rank: int = 8
    lora_alpha: float = 8.0
    max_grad_norm: float = 1.0
    val_blocks: int = 6
    chunk_size: int = 32
    decode_len: int = 24  # recurrent decoding check on the real model
    variants: tuple[str, ...] = ("naive", "liger_gla", "liger")
    ablations: bool = True  # also train the ungated and SWA-only ablations (both profiles)
    dtype: str = "float32"

    def check(self) -> None:
        require(self.source in ("gguf", "hub"),
                f"source must be 'gguf' or 'hub', got {self.source}")
        require(0 <= self.first_layer < 30, "first_layer must lie in 0..29 (SmolLM2 has 30)")
        require(self.seq_len >= 8, "seq_len must be >= 8")
        require(1 <= self.window < self.seq_len, "window must lie in 1..seq_len-1")
        require(self.train_batch >= 1 and self.steps >= 1, "train_batch and steps must be >= 1")
        require(self.lr > 0 and self.lora_rank >= 1 and self.lora_alpha > 0,
                "lr, lora_rank and lora_alpha must be positive")
        require(self.val_blocks >= 1 and self.chunk_size >= 1, "val_blocks, chunk_size >= 1")
        require(self.decode_len > self.window, "decode_len must exceed the window")
        unknown = set(self.variants) - set(VARIANTS)
        require(not unknown, f"unknown variants {sorted(unknown)}; choose from {VARIANTS}")
        require(self.dtype in ("float32", "bfloat16"), "dtype must be float32 or bfloat16")

    @property
    def n_linear_layers(self) -> int:
        return 30 - self.first_layer


CONFIGS = Profiles(
    ci=Config(),
    full=Config(source="hub", first_layer=0, seq_len=512, window=PAPER_WINDOW, train_batch=4,
                steps=100, val_blocks=32, chunk_size=64, decode_len=256,
                variants=("naive", "ungated", "swa", "liger_gla", "liger"), ablations=True),
)


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper (seconds of own compute).

    SmolLM2-135M costs ~2 * 135e6 flop per token forward: the tied LM head (+ cross-entropy)
    ~2 * 28e6 and each of the 30 blocks ~2 * 3.5e6. Layers below ``first_layer`` stay softmax
    and frozen: their output is computed once per token, without gradient. Each LoRA step
    costs ~2x the forward of the linearized layers + head (gradients flow to the inputs and the
    small adapters only, never to the frozen 576 x 576 weights). Chunked GLA adds
    ~2 * 2 * (C + d) * d flop per token and head. Assumed throughput: 5e10 flop/s on one CPU
    8e10 flop/s on one CPU thread for ci (we measured ~1e11 on the 135M forward), 2e12 flop/s
    on a Colab T4 for full (half its 4e12 fp32 rate: the model is small, the GLA loop unfused).
    Plus ~6 s to load the GGUF model and tokenize the corpus, and the recurrent decoding check
    (one token at a time, ~1 ms of Python overhead per layer and token)."""
    rate = 8e10 if cfg.seq_len <= 256 else 2e12
    head, block = 2 * 28.3e6, 2 * 3.5e6
    gla = 2 * 2 * (cfg.chunk_size + 64) * 64 * 9
    top = head + cfg.n_linear_layers * (block + gla)  # per token, linearized part
    n_train = len(set(cfg.variants) | ({"ungated", "swa"} if cfg.ablations else set()))
    tokens_train = cfg.train_batch * cfg.seq_len * cfg.steps
    tokens_val = cfg.val_blocks * cfg.seq_len
    flops = (3 * tokens_train * top * n_train  # LoRA steps (forward + backward)
             + (2 * n_train + 1) * tokens_val * top  # perplexities
             + (tokens_train + tokens_val) * cfg.first_layer * block  # frozen prefix, once
             + 2 * cfg.decode_len * (30 * block + head))  # parallel + recurrent decoding check
    return flops / rate + 6.0 + 30 * 1e-3 * cfg.decode_len


# ------------------------------------------------------------------------------------------
# Gate from the key projection (no new parameters)
# ------------------------------------------------------------------------------------------


def key_pool(k: torch.Tensor, n_kv_heads: int, size_per_head: int) -> torch.Tensor:
    """``Pool(k)``: ``AdaptiveAvgPool1d(n_kv_heads * size_per_head)`` over the flattened key.

    ``k``: (B, H_kv, T, D) keys without RoPE -> (B, H_kv, T, size_per_head). For GLA
    ``size_per_head = D`` and this is the identity; smaller sizes (GSA's slots, HGRN2) average
    adjacent channels of the *flattened* key vector, as the official ``pool_g`` does.
    """
    if size_per_head < 1:
        raise ValueError(f"size_per_head must be >= 1, got {size_per_head}")
    B, H, T, D = k.shape
    if H != n_kv_heads:
        raise ValueError(f"k has {H} heads, expected n_kv_heads={n_kv_heads}")
    flat = k.transpose(1, 2).reshape(B * T, 1, H * D)  # (b n) 1 (h d), as nn.AdaptiveAvgPool1d
    pooled = F.adaptive_avg_pool1d(flat, n_kv_heads * size_per_head)
    return pooled.reshape(B, T, n_kv_heads, size_per_head).transpose(1, 2)


def liger_log_gate(k_nope: torch.Tensor, n_rep: int, *, size_per_head: int | None = None,
                   normalizer: float = GATE_LOGIT_NORMALIZER) -> torch.Tensor:
    """``log alpha_t = logsigmoid(Pool(k_t)) / normalizer`` with kv heads repeated, (B, H, T, m).

    ``alpha = sigmoid(k) ** (1 / normalizer)`` element-wise: every decay lies in (0, 1); with the
    paper's normalizer 16 they sit close to 1 (long memory).
    """
    if normalizer <= 0:
        raise ValueError(f"normalizer must be positive, got {normalizer}")
    H_kv, D = k_nope.shape[1], k_nope.shape[-1]
    g = key_pool(k_nope, H_kv, D if size_per_head is None else size_per_head)
    return repeat_kv(F.logsigmoid(g) / normalizer, n_rep)


class LigerGate:
    """``log_decay`` callable for :class:`~nonlinlab.models.attention.LinearAttention`: the
    gate from the (pre-RoPE) pretrained keys. ``normalizer`` 16 is the paper's; pass e.g. 1 for
    the short-memory ablation."""

    def __init__(self, normalizer: float = GATE_LOGIT_NORMALIZER):
        self.normalizer = normalizer

    def __call__(self, inputs: AttentionInputs, phi_q=None, phi_k=None) -> torch.Tensor:
        return liger_log_gate(inputs.k_nope, inputs.n_rep, normalizer=self.normalizer)

    def __repr__(self) -> str:
        return f"LigerGate(normalizer={self.normalizer})"


# ------------------------------------------------------------------------------------------
# Kernels: Liger and the baselines
# ------------------------------------------------------------------------------------------


def gla_chunked(q, k, v, log_alpha, *, chunk_size: int = 16, state=None,
                return_state: bool = False, max_exponent: float = 60.0):
    """GLA (no normaliser) in chunked parallel form with matrix products inside chunks.

    Inside a chunk with local cumulative log-decays ``b_t`` (<= 0, decreasing) and the
    per-feature reference ``r = b_last / 2``,
    ``exp(b_t - b_i) = exp(b_t - r) * exp(r - b_i)``, so the intra-chunk weights are one
    matmul ``(q e^{b-r}) (k e^{r-b})^T`` (the trick of GLA / flash-linear-attention); every
    exponent is at most ``|b_last| / 2``. Between chunks the state is carried exactly:
    ``S <- e^{b_last} S + (k e^{b_last - b})^T v``. If some chunk decays by more than
    ``2 * max_exponent`` nats (possible only for extreme keys) the exact element-wise form of
    :func:`nonlinlab.models.linear_attention.causal_linear_attention` is used instead.
    Shapes as there: (..., T, F), v (..., T, Dv).
    """
    from ..models.linear_attention import LinearState, causal_linear_attention

    *lead, T, Fd = q.shape
    Dv = v.shape[-1]
    C = min(chunk_size, T)
    N = -(-T // C)
    pad = N * C - T

    def chunks(x):
        x = F.pad(x, (0, 0, 0, pad)) if pad else x
        return x.reshape(*lead, N, C, x.shape[-1])

    qc, kc, vc, gc = chunks(q), chunks(k), chunks(v), chunks(log_alpha.expand_as(q))
    b = torch.cumsum(gc, dim=-2)  # (..., N, C, F)
    b_last = b[..., -1:, :]
    if bool((b_last < -2 * max_exponent).any()):  # exact, slower fallback
        st = None if state is None else LinearState(state, torch.zeros_like(state[..., 0]))
        out = causal_linear_attention(q, k, v, normalize=False, log_decay=log_alpha,
                                      chunk_size=C, state=st, return_state=return_state)
        return (out[0], out[1].S) if return_state else out
    r = b_last / 2
    causal = torch.ones(C, C, dtype=torch.bool, device=q.device).tril()
    A = ((qc * torch.exp(b - r)) @ (kc * torch.exp(r - b)).transpose(-1, -2))
    out = A.masked_fill(~causal, 0.0) @ vc  # intra-chunk
    U = (kc * torch.exp(b_last - b)).transpose(-1, -2) @ vc  # (..., N, F, Dv)
    decay = torch.exp(b_last[..., 0, :])  # (..., N, F)
    S = torch.zeros(*lead, Fd, Dv, dtype=q.dtype, device=q.device) if state is None else state
    prev = []
    for n in range(N):  # loop over chunks, never over tokens
        prev.append(S)
        S = decay[..., n, :, None] * S + U[..., n, :, :]
    out = out + (qc * torch.exp(b)) @ torch.stack(prev, dim=-3)  # inter-chunk
    out = out.reshape(*lead, N * C, Dv)[..., :T, :]
    return (out, S) if return_state else out


class LigerGLA(LinearAttention):
    """Liger-GLA kernel: softmax feature maps on pre-RoPE q, k (scale 1), gates
    ``logsigmoid(Pool(k)) / 16`` from the same keys, no normaliser, computed in float32 with
    :func:`gla_chunked`. No parameters."""

    def __init__(self, chunk_size: int = 16, normalizer: float = GATE_LOGIT_NORMALIZER):
        super().__init__("softmax", use_rope=False, normalize=False,
                         log_decay=LigerGate(normalizer), chunk_size=chunk_size)

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:
        fq, fk, g = self.features(inputs)
        v = inputs.v_rep
        dtype = v.dtype
        if dtype in (torch.float16, torch.bfloat16):
            fq, fk, v, g = fq.float(), fk.float(), v.float(), g.float()
        return gla_chunked(fq, fk, v, g, chunk_size=self.chunk_size).to(dtype)


def liger_gla_kernel(chunk_size: int = 16, normalizer: float = GATE_LOGIT_NORMALIZER
                     ) -> LigerGLA:
    """Liger-GLA: softmax feature maps on pre-RoPE q, k, key-derived gates, no normaliser."""
    return LigerGLA(chunk_size, normalizer)


def liger_attention_kernel(window: int = PAPER_WINDOW, chunk_size: int = 16) -> MixtureAttention:
    """Liger Attention: ``0.5 * SWA(window) + 0.5 * Liger-GLA`` (fixed weights, official code)."""
    return MixtureAttention([SoftmaxAttention(window=window), liger_gla_kernel(chunk_size)],
                            [0.5, 0.5])


def ungated_kernel(chunk_size: int = 64) -> LinearAttention:
    """Ablation: Liger-GLA with alpha = 1 (same softmax feature map, no gate, no normaliser)."""
    return LinearAttention("softmax", use_rope=False, normalize=False, chunk_size=chunk_size)


def naive_kernel(chunk_size: int = 64) -> LinearAttention:
    """Naive linearization (Katharopoulos et al. 2020): ``elu+1`` maps on the RoPE'd q, k,
    normalised, no gate -- the classic drop-in replacement of softmax attention."""
    return LinearAttention("elu+1", use_rope=True, normalize=True, chunk_size=chunk_size)


def swa_kernel(window: int = PAPER_WINDOW) -> SoftmaxAttention:
    """Sliding-window softmax attention only (locality baseline)."""
    return SoftmaxAttention(window=window)


#: name -> factory(cfg) of the kernels compared in the chapter
KERNELS: dict[str, Callable] = {
    "naive": lambda cfg: naive_kernel(cfg.chunk_size),
    "ungated": lambda cfg: ungated_kernel(cfg.chunk_size),
    "swa": lambda cfg: swa_kernel(cfg.window),
    "liger_gla": lambda cfg: liger_gla_kernel(cfg.chunk_size),
    "liger": lambda cfg: liger_attention_kernel(cfg.window, cfg.chunk_size),
}
LABELS = {
    "original": "SmolLM2 (softmax)", "naive": "naive LA (elu+1)", "ungated": "ungated (α≡1)",
    "swa": "SWA only", "liger_gla": "Liger-GLA", "liger": "Liger Attention",
}


def linearize(model: Llama, name: str, cfg: Config, layers: Iterable[int] | None = None):
    """Install kernel ``name`` (a key of :data:`KERNELS`) in ``layers`` (default: the config's
    ``first_layer..last``). The Liger kernels have no parameters: the parameter count is the
    original model's."""
    if name not in KERNELS:
        raise ValueError(f"unknown kernel {name!r}; choose one of {sorted(KERNELS)}")
    if layers is None:
        layers = range(cfg.first_layer, len(model.layers))
    return model.set_attention(lambda i, c: KERNELS[name](cfg), layers)


# ------------------------------------------------------------------------------------------
# Independent references (oracles): plain recurrence and explicit decay matrix
# ------------------------------------------------------------------------------------------


def gla_recurrent(q, k, v, log_alpha, state=None):
    """Sequential GLA, one token at a time: ``S_t = Diag(alpha_t) S_{t-1} + k_t^T v_t``,
    ``o_t = q_t S_t``. q, k, log_alpha: (..., T, F); v: (..., T, Dv). Returns (o, S_T)."""
    *lead, T, Fd = q.shape
    S = torch.zeros(*lead, Fd, v.shape[-1], dtype=q.dtype, device=q.device) if state is None \
        else state
    outs = []
    for t in range(T):
        S = torch.exp(log_alpha[..., t, :])[..., :, None] * S \
            + k[..., t, :, None] * v[..., t, None, :]
        outs.append((q[..., t, None, :] @ S)[..., 0, :])
    return torch.stack(outs, dim=-2), S


def gla_decay_matrix(q, k, v, log_alpha):
    """Explicit O(T^2) form ``o = ((Q . e^{B}) (K . e^{-B})^T . M) V`` evaluated stably in log
    space: ``w_ti = sum_f q_tf k_if exp(B_tf - B_if)`` for i <= t, ``B = cumsum(log alpha)``."""
    B = torch.cumsum(log_alpha, dim=-2)
    T = q.shape[-2]
    lower = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    expo = (B[..., :, None, :] - B[..., None, :, :]).masked_fill(~lower[..., None], -math.inf)
    w = torch.einsum("...tf,...if,...tif->...ti", q, k, torch.exp(expo))
    return w @ v


def swa_reference(q, k, v, scale: float, window: int):
    """Sliding-window causal softmax attention, one query row at a time (keys t-window+1..t)."""
    T = q.shape[-2]
    outs = []
    for t in range(T):
        lo = max(0, t - window + 1)
        s = (q[..., t, None, :] @ k[..., lo:t + 1, :].transpose(-1, -2)) * scale
        outs.append((torch.softmax(s, dim=-1) @ v[..., lo:t + 1, :])[..., 0, :])
    return torch.stack(outs, dim=-2)


# ------------------------------------------------------------------------------------------
# Recurrent decoding of the whole model (constant memory for Liger)
# ------------------------------------------------------------------------------------------


class _KernelCache:
    """Decoding state of one layer's kernel: a KV window for softmax parts (RoPE'd keys),
    a (F x Dv) matrix S (and normaliser z) per head for linear parts."""

    def __init__(self, kernel: AttentionKernel):
        self.parts: list[tuple[float, AttentionKernel]] = []
        if isinstance(kernel, MixtureAttention):
            self.parts = list(zip(kernel.weights, kernel.kernels, strict=True))
        else:
            self.parts = [(1.0, kernel)]
        for _, kern in self.parts:
            if not isinstance(kern, (SoftmaxAttention, LinearAttention)):
                raise ValueError(f"recurrent decoding does not support {type(kern).__name__}")
        self.kv: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * len(self.parts)
        self.S: list[torch.Tensor | None] = [None] * len(self.parts)
        self.z: list[torch.Tensor | None] = [None] * len(self.parts)

    def step(self, ins: AttentionInputs) -> torch.Tensor:
        """One token (T = 1) -> (B, H, 1, D)."""
        out = 0
        for j, (w, kern) in enumerate(self.parts):
            if isinstance(kern, SoftmaxAttention):
                k, v = ins.k, ins.v  # (B, H_kv, 1, D), RoPE'd k
                if self.kv[j] is not None:
                    k = torch.cat([self.kv[j][0], k], dim=-2)
                    v = torch.cat([self.kv[j][1], v], dim=-2)
                if kern.window is not None:
                    k, v = k[..., -kern.window:, :], v[..., -kern.window:, :]
                self.kv[j] = (k, v)
                s = (ins.q @ repeat_kv(k, ins.n_rep).transpose(-1, -2)) * ins.scale
                y = torch.softmax(s, dim=-1) @ repeat_kv(v, ins.n_rep)
            else:
                fq, fk, g = kern.features(ins)  # (B, H, 1, F)
                v = ins.v_rep
                kv = fk[..., 0, :, None] * v[..., 0, None, :]  # (B, H, F, Dv)
                if self.S[j] is None:
                    self.S[j], self.z[j] = torch.zeros_like(kv), torch.zeros_like(fk[..., 0, :])
                S, z = self.S[j], self.z[j]
                if g is not None:
                    a = torch.exp(g[..., 0, :])
                    S, z = a[..., None] * S, a * z
                S, z = S + kv, z + fk[..., 0, :]
                self.S[j], self.z[j] = S, z
                y = fq @ S  # (B, H, 1, Dv)
                if kern.normalize:
                    y = y / ((fq * z[..., None, :]).sum(-1, keepdim=True) + kern.eps)
            out = out + w * y
        return out

    def numel(self) -> int:
        """Number of cached numbers (KV window + states)."""
        n = sum(k.numel() + v.numel() for k, v in (x for x in self.kv if x is not None))
        return n + sum(s.numel() for s in self.S if s is not None) \
            + sum(z.numel() for z in self.z if z is not None)


class RecurrentDecoder:
    """Token-by-token forward of a :class:`Llama` with per-layer caches: a growing KV cache for
    full softmax layers, a bounded window for SWA, constant (F x Dv) states for linear layers.
    ``step(token_ids (B,)) -> logits (B, vocab)``; equals the parallel forward exactly."""

    def __init__(self, model: Llama):
        self.model = model
        self.caches = [_KernelCache(layer.self_attn.kernel) for layer in model.layers]
        self.t = 0

    @torch.no_grad()
    def step(self, token: torch.Tensor) -> torch.Tensor:
        m = self.model
        ids = token.reshape(-1, 1).to(m.device)
        cos, sin = m.rope(1, torch.tensor([self.t], device=m.device))
        x = m.embed_tokens(ids)
        for layer, cache in zip(m.layers, self.caches, strict=True):
            attn = layer.self_attn
            ins = attn.inputs(layer.input_layernorm(x), cos, sin)
            y = cache.step(ins)
            x = x + attn.o_proj(y.transpose(1, 2).reshape(ids.shape[0], 1, -1))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        self.t += 1
        return m.lm_head(m.norm(x))[:, 0]

    def cache_numel(self) -> int:
        return sum(c.numel() for c in self.caches)


def decode_logits(model: Llama, ids: torch.Tensor, *, return_sizes: bool = False):
    """Logits (B, T, vocab) of ``ids`` (B, T) computed recurrently; optionally the cache size
    (numbers held) after every token."""
    dec = RecurrentDecoder(model)
    outs, sizes = [], []
    for t in range(ids.shape[1]):
        outs.append(dec.step(ids[:, t]))
        sizes.append(dec.cache_numel())
    logits = torch.stack(outs, dim=1)
    return (logits, sizes) if return_sizes else logits


def cache_numbers(kind: str, length: int, n_layers: int = 30, n_heads: int = 9,
                  n_kv_heads: int = 3, head_dim: int = 64, window: int = PAPER_WINDOW) -> int:
    """Numbers held while decoding after ``length`` tokens (closed form, batch 1):
    softmax KV cache ``2 L H_kv d T``; Liger-GLA ``L H d d`` (states of the repeated heads);
    Liger Attention adds a bounded window ``2 L H_kv d min(T, w)``."""
    kv = 2 * n_layers * n_kv_heads * head_dim
    state = n_layers * n_heads * head_dim * head_dim
    if kind == "softmax":
        return kv * length
    if kind == "liger_gla":
        return state
    if kind == "liger":
        return state + kv * min(length, window)
    raise ValueError(f"unknown kind {kind!r}; choose softmax, liger_gla or liger")


# ------------------------------------------------------------------------------------------
# LoRA (peft-compatible defaults: A ~ kaiming-uniform(a=sqrt 5), B = 0, scaling alpha / r)
# ------------------------------------------------------------------------------------------


def add_lora(model: Llama, layers: Iterable[int], *, rank: int = 8, alpha: float = 8.0,
             targets: Iterable[str] = LORA_TARGETS, seed: int = 0) -> list[nn.Parameter]:
    """Liger's LoRA (official: q, k, v; peft defaults): freeze the model and adapt
    ``targets`` of ``layers``; returns the trainable adapter parameters."""
    return _add_lora(model, layers, rank, alpha, targets=targets, seed=seed, freeze=True)


# ------------------------------------------------------------------------------------------
# Training and evaluation from a frozen prefix
# ------------------------------------------------------------------------------------------


@torch.no_grad()
def prefix_hidden(model: Llama, ids: torch.Tensor, start: int) -> torch.Tensor:
    """Residual stream entering layer ``start`` (layers below keep softmax attention and are
    frozen, so this is computed once and reused by every variant)."""
    cos, sin = model.rope(ids.shape[1])
    x = model.embed_tokens(ids.to(model.device))
    for layer in model.layers[:start]:
        x = layer(x, cos, sin)
    return x


def loss_from(model: Llama, h: torch.Tensor, ids: torch.Tensor, start: int) -> torch.Tensor:
    """Next-token cross-entropy (nats, mean) running layers ``start..`` on the prefix ``h``."""
    cos, sin = model.rope(ids.shape[1])
    x = h
    for layer in model.layers[start:]:
        x = layer(x, cos, sin)
    logits = model.lm_head(model.norm(x[:, :-1]))
    tgt = ids[:, 1:].to(model.device)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), tgt.reshape(-1))


@torch.no_grad()
def eval_loss(model: Llama, h: torch.Tensor, ids: torch.Tensor, start: int,
              batch: int = 8) -> float:
    tot = 0.0
    for i in range(0, ids.shape[0], batch):
        tot += loss_from(model, h[i:i + batch], ids[i:i + batch], start).item() \
            * ids[i:i + batch].shape[0]
    return tot / ids.shape[0]


def train_lora(model: Llama, params: list[nn.Parameter], batches, start: int, *, lr: float,
               max_grad_norm: float = 1.0) -> list[float]:
    """AdamW on the LoRA parameters, next-token loss; ``batches`` yields (ids, prefix h)."""
    opt = torch.optim.AdamW(params, lr=lr)  # torch defaults: betas (0.9, 0.999), wd 0.01
    losses = []
    for ids, h in batches:
        loss = loss_from(model, h, ids, start)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        opt.step()
        losses.append(loss.item())
    return losses


def gate_values(model: Llama, h: torch.Tensor, ids: torch.Tensor, start: int) -> dict:
    """Per linearized layer, the decays alpha = sigmoid(k)^(1/16) seen on ``ids`` (flattened)."""
    out = {}
    with model.record_attention(range(start, len(model.layers)), keys=("k_nope",)) as rec, \
            torch.no_grad():
        loss_from(model, h, ids, start)
    for i, e in rec.items():
        out[i] = torch.exp(liger_log_gate(e["k_nope"], 1)).flatten()
    return out


def run(model: Llama, corpus, cfg: Config, seed: int, *, progress=None) -> dict:
    """The chapter's experiment: perplexity of the original model, then for each variant the
    linearized model before and after LoRA (same steps, same batches, same seed).

    Returns ``{"val": {name: loss}, "val_nolora": {...}, "train_curves": {...}, "seconds": ...,
    "cpu_seconds": ...}``; ``"original"`` is the softmax model.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    start = cfg.first_layer
    device = model.device
    val_ids = corpus.blocks("val", cfg.seq_len, cfg.val_blocks).to(device)
    gen = torch.Generator().manual_seed(seed)
    train_ids = [corpus.random_blocks("train", cfg.train_batch, cfg.seq_len, gen).to(device)
                 for _ in range(cfg.steps)]
    model.reset_attention()
    remove_lora(model)
    h_val = prefix_hidden(model, val_ids, start)
    h_train = [prefix_hidden(model, ids, start) for ids in train_ids]
    res = {"val": {}, "val_nolora": {}, "train_curves": {}}
    res["val"]["original"] = res["val_nolora"]["original"] = eval_loss(model, h_val, val_ids,
                                                                        start)
    names = list(cfg.variants)
    if cfg.ablations:
        names += [n for n in ("ungated", "swa") if n not in names]
    it = names if progress is None else progress(names, desc="variants")
    for name in it:
        remove_lora(model)
        model.reset_attention()
        linearize(model, name, cfg)
        res["val_nolora"][name] = eval_loss(model, h_val, val_ids, start)
        params = add_lora(model, range(start, len(model.layers)), rank=cfg.lora_rank,
                          alpha=cfg.lora_alpha, seed=seed)
        torch.manual_seed(seed)
        res["train_curves"][name] = train_lora(model, params, zip(train_ids, h_train, strict=True),
                                               start,
                                               lr=cfg.lr, max_grad_norm=cfg.max_grad_norm)
        res["val"][name] = eval_loss(model, h_val, val_ids, start)
        if name == "liger":
            res["gates_after"] = gate_values(model, h_val[:2], val_ids[:2], start)
    remove_lora(model)
    model.reset_attention()
    res["seconds"] = time.perf_counter() - t0
    res["cpu_seconds"] = time.process_time() - c0
    return res


def recovery(loss: float, original: float, reference: float) -> float:
    """``(L_ref - L) / (L_ref - L_original)``: 1 = the original model, 0 = the reference (the
    naive linearization before training)."""
    return (reference - loss) / (reference - original)
