"""Swappable attention kernels for :mod:`nonlinlab.models.llama`.

A Llama attention layer computes q, k, v with its (pretrained) projections, applies RoPE, and
hands everything to an :class:`AttentionKernel`, which returns the mixed values per head; the
layer then applies ``o_proj``. Replacing the kernel of some layers (``model.set_attention``)
turns a softmax Transformer into a linear / hybrid / gated one without touching the weights.

Write a new kernel by subclassing :class:`AttentionKernel` and implementing
``forward(inputs: AttentionInputs) -> Tensor (B, H, T, D)``; implement ``attention_weights``
too if the kernel has an explicit T x T weight matrix (used for distillation and plots).
Kernels are ``nn.Module``s, so learnable feature maps / gates register as parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .linear_attention import (
    causal_linear_attention,
    causal_window_mask,
    get_feature_map,
    linear_attention_weights,
)


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """(B, H_kv, T, D) -> (B, H_kv * n_rep, T, D): grouped-query heads shared by query heads."""
    if n_rep == 1:
        return x
    B, H, T, D = x.shape
    return x[:, :, None].expand(B, H, n_rep, T, D).reshape(B, H * n_rep, T, D)


@dataclass
class AttentionInputs:
    """Everything a kernel may use. Shapes: B batch, H query heads, H_kv key/value heads, T, D.

    ``q`` (B, H, T, D) and ``k`` (B, H_kv, T, D) carry RoPE; ``q_nope``/``k_nope`` are the same
    before RoPE (Liger's linear branch uses them); ``v`` (B, H_kv, T, D); ``hidden`` (B, T, d_model)
    is the normed layer input; ``scale`` = 1/sqrt(D); ``n_rep`` = H / H_kv.
    """

    q: torch.Tensor
    k: torch.Tensor
    v: torch.Tensor
    q_nope: torch.Tensor
    k_nope: torch.Tensor
    hidden: torch.Tensor
    layer_idx: int
    scale: float
    n_rep: int

    @property
    def k_rep(self) -> torch.Tensor:
        return repeat_kv(self.k, self.n_rep)

    @property
    def v_rep(self) -> torch.Tensor:
        return repeat_kv(self.v, self.n_rep)

    @property
    def k_nope_rep(self) -> torch.Tensor:
        return repeat_kv(self.k_nope, self.n_rep)

    def qk(self, use_rope: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """(q, k with kv heads repeated), with or without RoPE."""
        if use_rope:
            return self.q, self.k_rep
        return self.q_nope, self.k_nope_rep


class AttentionKernel(nn.Module):
    """Base class: mixes per-head values. Subclasses implement :meth:`forward`."""

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def attention_weights(self, inputs: AttentionInputs) -> torch.Tensor:
        """Explicit (B, H, T, T) weights, where the kernel has them."""
        raise NotImplementedError(f"{type(self).__name__} has no explicit attention matrix")


def causal_softmax_weights(
    q: torch.Tensor, k: torch.Tensor, scale: float, window: int | None = None
) -> torch.Tensor:
    """softmax_j(q_i . k_j * scale) over causal (optionally windowed) keys, (..., T, T)."""
    T = q.shape[-2]
    s = (q @ k.transpose(-1, -2)) * scale
    mask = causal_window_mask(T, window, device=q.device)
    return torch.softmax(s.masked_fill(~mask, float("-inf")), dim=-1)


class SoftmaxAttention(AttentionKernel):
    """Exact causal softmax attention (the pretrained default), optionally a sliding window.

    ``window=w`` lets query t see keys t-w+1..t (w keys including itself).
    """

    def __init__(self, window: int | None = None):
        super().__init__()
        if window is not None and window < 1:
            raise ValueError(f"window must be >= 1 or None, got {window}")
        self.window = window

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:
        q, k, v = inputs.q, inputs.k_rep, inputs.v_rep
        if self.window is None or self.window >= q.shape[-2]:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=inputs.scale)
        mask = causal_window_mask(q.shape[-2], self.window, device=q.device)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=inputs.scale)

    def attention_weights(self, inputs: AttentionInputs) -> torch.Tensor:
        return causal_softmax_weights(inputs.q, inputs.k_rep, inputs.scale, self.window)

    def extra_repr(self) -> str:
        return f"window={self.window}"


class LinearAttention(AttentionKernel):
    """Causal linear attention ``phi(q_t)^T sum_i phi(k_i) v_i^T / phi(q_t)^T sum_i phi(k_i)``.

    ``feature_map`` (and optional separate ``feature_map_k``) is a name (``"elu+1"``, ``"relu"``,
    ``"softmax"``, ``"identity"``) or a callable / ``nn.Module`` mapping (B, H, T, D) to
    (B, H, T, F); learnable per-head maps (Hedgehog, LoLCATs) are modules and train with the
    kernel. ``use_rope``: apply the maps to RoPE'd q, k (LoLCATs) or to pre-RoPE q, k (Liger).
    ``log_decay``: None (ungated) or a callable ``(inputs, phi_q, phi_k) -> (B, H, T, F)`` of
    log-decays <= 0 (gated linear attention, e.g. Liger's ``logsigmoid(k) / 16``).
    ``normalize=False`` gives GLA-style unnormalised outputs. ``q_scale`` multiplies q before the
    map (e.g. 1/sqrt(D) or D**-0.25 splits of the softmax temperature); default 1.
    """

    def __init__(
        self,
        feature_map="elu+1",
        feature_map_k=None,
        *,
        use_rope: bool = True,
        normalize: bool = True,
        eps: float = 1e-6,
        log_decay: Callable | None = None,
        chunk_size: int = 64,
        q_scale: float = 1.0,
    ):
        super().__init__()
        self.feature_map_q = get_feature_map(feature_map)
        self.feature_map_k = (
            self.feature_map_q if feature_map_k is None else get_feature_map(feature_map_k)
        )
        self.use_rope = use_rope
        self.normalize = normalize
        self.eps = eps
        self.log_decay = log_decay
        self.chunk_size = chunk_size
        self.q_scale = q_scale

    def features(self, inputs: AttentionInputs):
        """(phi(q), phi(k), log_decay or None), kv heads repeated, ready for the linear forms."""
        q, k = inputs.qk(self.use_rope)
        fq = self.feature_map_q(q * self.q_scale if self.q_scale != 1.0 else q)
        fk = self.feature_map_k(k)
        g = None if self.log_decay is None else self.log_decay(inputs, fq, fk)
        return fq, fk, g

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:
        fq, fk, g = self.features(inputs)
        v = inputs.v_rep
        dtype = v.dtype
        if dtype in (torch.float16, torch.bfloat16):  # linear attention sums: keep fp32
            fq, fk, v = fq.float(), fk.float(), v.float()
            g = None if g is None else g.float()
        out = causal_linear_attention(
            fq, fk, v, normalize=self.normalize, eps=self.eps, log_decay=g,
            chunk_size=self.chunk_size,
        )
        return out.to(dtype)

    def attention_weights(self, inputs: AttentionInputs) -> torch.Tensor:
        fq, fk, g = self.features(inputs)
        return linear_attention_weights(fq, fk, normalize=self.normalize, eps=self.eps,
                                        log_decay=g)

    def extra_repr(self) -> str:
        gated = self.log_decay is not None
        return f"use_rope={self.use_rope}, normalize={self.normalize}, gated={gated}"


class WindowLinearAttention(AttentionKernel):
    """Sliding-window softmax + linear attention sharing one normaliser (LoLCATs, Eq. 7).

    For query t: softmax terms ``gamma * exp(q.k_i * scale - c_t)`` over the ``window`` most recent
    keys (i > t - window, RoPE'd q, k), and linear terms ``phi(q_t).phi(k_j)`` over all older keys
    (j <= t - window); numerator and denominator add both parts. ``c_t`` is the row max of the
    window logits (stabiliser), ``gamma = sigmoid(gate_logit)`` per head (learnable if
    ``learn_gamma``). Computed with explicit T x T masks (O(T^2) memory): exact, meant for the
    modest lengths of the chapters. ``window >= T`` is softmax attention; ``window=0`` is
    linear attention.

    Note: the stabiliser is applied to the softmax part only (as in the paper's equation), so
    the relative weight of the two parts depends on ``c_t`` exactly as written there.
    """

    def __init__(
        self,
        feature_map="elu+1",
        feature_map_k=None,
        *,
        window: int = 64,
        n_heads: int | None = None,
        gamma_init: float = 0.1,
        learn_gamma: bool = True,
        use_rope: bool = True,
        eps: float = 1e-6,
    ):
        super().__init__()
        if window < 0:
            raise ValueError(f"window must be >= 0, got {window}")
        if not 0.0 < gamma_init < 1.0:
            raise ValueError(f"gamma_init must lie in (0, 1), got {gamma_init}")
        self.feature_map_q = get_feature_map(feature_map)
        self.feature_map_k = (
            self.feature_map_q if feature_map_k is None else get_feature_map(feature_map_k)
        )
        self.window = window
        self.use_rope = use_rope
        self.eps = eps
        logit = math.log(gamma_init / (1 - gamma_init))
        shape = (1, n_heads or 1, 1, 1)
        self.gate_logit = nn.Parameter(torch.full(shape, logit), requires_grad=learn_gamma)

    def _parts(self, inputs: AttentionInputs):
        q, k = inputs.q, inputs.k_rep
        T = q.shape[-2]
        t = torch.arange(T, device=q.device)
        rel = t[:, None] - t[None, :]
        in_window = (rel >= 0) & (rel < self.window)
        older = rel >= self.window
        s = (q @ k.transpose(-1, -2)) * inputs.scale
        s = s.masked_fill(~in_window, float("-inf"))
        c = s.amax(-1, keepdim=True)
        c = torch.where(torch.isfinite(c), c, torch.zeros_like(c))
        gamma = torch.sigmoid(self.gate_logit).to(q.dtype)
        w_soft = gamma * torch.exp(s - c)  # zero outside the window
        ql, kl = inputs.qk(self.use_rope)
        w_lin = (self.feature_map_q(ql) @ self.feature_map_k(kl).transpose(-1, -2))
        w_lin = w_lin.masked_fill(~older, 0.0)
        return w_soft, w_lin

    def attention_weights(self, inputs: AttentionInputs) -> torch.Tensor:
        w_soft, w_lin = self._parts(inputs)
        w = w_soft + w_lin
        return w / (w.sum(-1, keepdim=True) + self.eps)

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:
        return self.attention_weights(inputs) @ inputs.v_rep

    def extra_repr(self) -> str:
        return f"window={self.window}, use_rope={self.use_rope}"


class NormalizedKernelAttention(AttentionKernel):
    """``A_ij = l1_j( phi(r_i * s_ij) * causal_ij )`` with ``s = q.k * scale``, ``y = A v``.

    ``phi`` is any element-wise non-negative map (``torch.exp`` gives softmax, ``F.softplus``
    softplus attention, ``torch.sigmoid``, ``F.relu``); masked entries are zeroed *after* phi.
    ``row_scale(n)`` maps the number of visible keys per row (1..T, as a float tensor) to a
    multiplier ``r_i`` (e.g. ``torch.log`` for length-scaled attention); ``normalize=False``
    drops the l1 normalisation (``y = phi(...) v``). Quadratic memory.
    """

    def __init__(self, phi: Callable = torch.exp, *, row_scale: Callable | None = None,
                 normalize: bool = True, eps: float = 1e-12):
        super().__init__()
        self.phi = phi
        self.row_scale = row_scale
        self.normalize = normalize
        self.eps = eps

    def attention_weights(self, inputs: AttentionInputs) -> torch.Tensor:
        q, k = inputs.q, inputs.k_rep
        T = q.shape[-2]
        s = (q @ k.transpose(-1, -2)) * inputs.scale
        if self.row_scale is not None:
            n = torch.arange(1, T + 1, device=q.device, dtype=q.dtype)
            s = s * self.row_scale(n).unsqueeze(-1)
        mask = causal_window_mask(T, None, device=q.device)
        if self.phi is torch.exp and self.normalize:  # stable softmax path
            return torch.softmax(s.masked_fill(~mask, float("-inf")), dim=-1)
        w = self.phi(s.masked_fill(~mask, 0.0)) * mask
        if not self.normalize:
            return w
        return w / (w.sum(-1, keepdim=True) + self.eps)

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:
        return self.attention_weights(inputs) @ inputs.v_rep


class MixtureAttention(AttentionKernel):
    """Fixed convex (or any) combination of kernels: ``sum_m c_m * kernel_m(inputs)``.

    Liger Attention is ``MixtureAttention([SoftmaxAttention(window=64), gla], [0.5, 0.5])``.
    """

    def __init__(self, kernels, weights):
        super().__init__()
        if len(kernels) != len(weights) or not kernels:
            raise ValueError("give one weight per kernel (and at least one kernel)")
        self.kernels = nn.ModuleList(kernels)
        self.weights = [float(w) for w in weights]

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:
        out = 0
        for w, kernel in zip(self.weights, self.kernels, strict=True):
            out = out + w * kernel(inputs)
        return out

    def attention_weights(self, inputs: AttentionInputs) -> torch.Tensor:
        out = 0
        for w, kernel in zip(self.weights, self.kernels, strict=True):
            out = out + w * kernel.attention_weights(inputs)
        return out


class TeacherForcedAttention(AttentionKernel):
    """Runs a teacher and a student kernel on the same inputs and passes the TEACHER output on.

    For attention transfer with teacher forcing (LoLCATs stage 1): every layer's student sees
    exactly the teacher's inputs, so layers decouple. After a forward pass, ``last_teacher`` and
    ``last_student`` hold the two outputs (B, H, T, D) of this layer (student keeps its graph).
    """

    def __init__(self, teacher: AttentionKernel, student: AttentionKernel):
        super().__init__()
        self.teacher = teacher
        self.student = student
        self.last_teacher: torch.Tensor | None = None
        self.last_student: torch.Tensor | None = None

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:
        with torch.no_grad():
            y = self.teacher(inputs)
        self.last_teacher = y
        self.last_student = self.student(inputs)
        return y
