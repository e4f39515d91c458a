"""Causal linear attention in three equivalent forms, plus feature maps and a benchmark.

Notation (per batch element and head): feature-mapped queries and keys ``q_t = phi(q_t)``,
``k_t = phi(k_t)`` in R^F, values ``v_t`` in R^Dv, and optional per-step log-decays
``g_t = log(alpha_t) <= 0`` in R^F (gated linear attention, GLA; a scalar decay per head is the
special case of a constant vector, e.g. RetNet). With ``G_t = sum_{j<=t} g_j`` the causal output is

    o_t = sum_{i<=t} w_ti v_i,      w_ti = sum_f q_tf k_if exp(G_tf - G_if)          (1)

(ungated: ``w_ti = q_t . k_i``), and with normalisation ``o_t / (sum_{i<=t} w_ti + eps)``.
Three ways to compute (1), all exact and equal up to rounding:

* ``causal_linear_attention_quadratic``: materialise the T x T matrix ``w`` (the "attention
  matrix" of the kernel; O(T^2) memory) -- the reference and the source of attention weights;
* ``causal_linear_attention_recurrent``: the RNN view, a state ``S_t = diag(alpha_t) S_{t-1} +
  k_t v_t^T`` (F x Dv) and normaliser ``z_t = alpha_t * z_{t-1} + k_t``, ``o_t = q_t S_t`` --
  constant memory in T, one Python step per token (decoding);
* ``causal_linear_attention`` (the default, parallel/chunked): quadratic inside chunks of C
  tokens, states carried between chunks -- O(T C) work, no loop over tokens.

All functions take tensors shaped ``(..., T, F)`` / ``(..., T, Dv)`` (any leading batch/head
dims) and return ``(..., T, Dv)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

# --------------------------------------------------------------------------- feature maps


def elu_plus_one(x: torch.Tensor) -> torch.Tensor:
    """phi(x) = 1 + ELU(x) (Katharopoulos et al., 2020): positive, identity-like for x > 0."""
    return F.elu(x) + 1.0


def relu_features(x: torch.Tensor) -> torch.Tensor:
    """phi(x) = ReLU(x): non-negative, sparse (can give all-zero rows: keep eps > 0)."""
    return F.relu(x)


def softmax_features(x: torch.Tensor) -> torch.Tensor:
    """phi(x) = softmax over the feature (head) dimension (Liger's parameter-free map)."""
    return torch.softmax(x, dim=-1)


def identity_features(x: torch.Tensor) -> torch.Tensor:
    """phi(x) = x: plain (unnormalised) linear attention."""
    return x


FEATURE_MAPS = {
    "elu+1": elu_plus_one,
    "relu": relu_features,
    "softmax": softmax_features,
    "identity": identity_features,
}


def get_feature_map(name_or_fn):
    """Feature map by name (``"elu+1"``, ``"relu"``, ``"softmax"``, ``"identity"``) / callable."""
    if callable(name_or_fn):
        return name_or_fn
    if name_or_fn not in FEATURE_MAPS:
        choices = sorted(FEATURE_MAPS)
        raise ValueError(f"unknown feature map {name_or_fn!r}; choose one of {choices}")
    return FEATURE_MAPS[name_or_fn]


# --------------------------------------------------------------------------- checks


def _check(q, k, v, log_decay):
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape (..., T, F); got {q.shape}, {k.shape}")
    if v.shape[:-1] != q.shape[:-1]:
        raise ValueError(f"v must be (..., T, Dv) matching q's (..., T); got {v.shape}, {q.shape}")
    if q.dim() < 2:
        raise ValueError("inputs need at least (T, F) dimensions")
    if log_decay is not None:
        try:
            log_decay = torch.broadcast_to(log_decay, q.shape)
        except RuntimeError as err:
            raise ValueError(
                f"log_decay {tuple(log_decay.shape)} does not broadcast to {tuple(q.shape)}"
            ) from err
        log_decay = log_decay.to(q.dtype)
    return log_decay


def _finish(num, den, normalize, eps):
    if not normalize:
        return num
    return num / (den.unsqueeze(-1) + eps)


# --------------------------------------------------------------------------- quadratic form


def linear_attention_matrix(
    q: torch.Tensor, k: torch.Tensor, *, log_decay: torch.Tensor | None = None
) -> torch.Tensor:
    """The causal (unnormalised) kernel matrix ``w_ti`` of Eq. (1), shape (..., T, T).

    Gated: builds a (..., T, T, F) tensor -- for tests and small T only.
    """
    T = q.shape[-2]
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    if log_decay is None:
        w = q @ k.transpose(-1, -2)
    else:
        G = torch.cumsum(log_decay, dim=-2)  # (..., T, F)
        diff = G.unsqueeze(-2) - G.unsqueeze(-3)  # (..., T_t, T_i, F): G_t - G_i
        diff = diff.masked_fill(~causal.unsqueeze(-1), float("-inf"))
        w = (q.unsqueeze(-2) * k.unsqueeze(-3) * torch.exp(diff)).sum(-1)
    return w.masked_fill(~causal, 0.0)


def linear_attention_weights(
    q: torch.Tensor,
    k: torch.Tensor,
    *,
    normalize: bool = True,
    eps: float = 1e-6,
    log_decay: torch.Tensor | None = None,
) -> torch.Tensor:
    """Row-normalised causal linear-attention weights ``w_ti / (sum_i w_ti + eps)`` (..., T, T)."""
    w = linear_attention_matrix(q, k, log_decay=log_decay)
    if not normalize:
        return w
    return w / (w.sum(-1, keepdim=True) + eps)


def causal_linear_attention_quadratic(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    normalize: bool = True,
    eps: float = 1e-6,
    log_decay: torch.Tensor | None = None,
) -> torch.Tensor:
    """Eq. (1) through the explicit masked T x T matrix (reference form, O(T^2) memory)."""
    log_decay = _check(q, k, v, log_decay)
    w = linear_attention_matrix(q, k, log_decay=log_decay)
    return _finish(w @ v, w.sum(-1), normalize, eps)


# --------------------------------------------------------------------------- recurrent form


@dataclass
class LinearState:
    """Recurrent state of causal linear attention: ``S`` (..., F, Dv), normaliser ``z`` (..., F)."""

    S: torch.Tensor
    z: torch.Tensor

    @classmethod
    def zeros(cls, batch_shape, F_dim, Dv, *, device=None, dtype=None) -> LinearState:
        S = torch.zeros(*batch_shape, F_dim, Dv, device=device, dtype=dtype)
        z = torch.zeros(*batch_shape, F_dim, device=device, dtype=dtype)
        return cls(S, z)


def linear_attention_step(
    state: LinearState,
    q_t: torch.Tensor,
    k_t: torch.Tensor,
    v_t: torch.Tensor,
    *,
    normalize: bool = True,
    eps: float = 1e-6,
    log_decay_t: torch.Tensor | None = None,
) -> tuple[torch.Tensor, LinearState]:
    """One decoding step: ``S <- diag(alpha) S + k v^T``, ``z <- alpha z + k``, ``o = q S / q.z``.

    ``q_t, k_t``: (..., F); ``v_t``: (..., Dv). Returns (o_t (..., Dv), new state).
    """
    S, z = state.S, state.z
    if log_decay_t is not None:
        alpha = torch.exp(log_decay_t)
        S = alpha.unsqueeze(-1) * S
        z = alpha * z
    S = S + k_t.unsqueeze(-1) * v_t.unsqueeze(-2)
    z = z + k_t
    num = (q_t.unsqueeze(-2) @ S).squeeze(-2)
    out = num / ((q_t * z).sum(-1, keepdim=True) + eps) if normalize else num
    return out, LinearState(S, z)


def causal_linear_attention_recurrent(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    normalize: bool = True,
    eps: float = 1e-6,
    log_decay: torch.Tensor | None = None,
    state: LinearState | None = None,
    return_state: bool = False,
):
    """Eq. (1) as an RNN, one step per token (reference for decoding; slow for long T)."""
    log_decay = _check(q, k, v, log_decay)
    if state is None:
        state = LinearState.zeros(
            q.shape[:-2], q.shape[-1], v.shape[-1], device=q.device, dtype=q.dtype
        )
    outs = []
    for t in range(q.shape[-2]):
        g = None if log_decay is None else log_decay[..., t, :]
        o, state = linear_attention_step(
            state, q[..., t, :], k[..., t, :], v[..., t, :],
            normalize=normalize, eps=eps, log_decay_t=g,
        )
        outs.append(o)
    out = torch.stack(outs, dim=-2)
    return (out, state) if return_state else out


# --------------------------------------------------------------------------- chunked form


def _pad_time(x: torch.Tensor, pad: int) -> torch.Tensor:
    if pad == 0:
        return x
    return F.pad(x, (0, 0, 0, pad))


def causal_linear_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    normalize: bool = True,
    eps: float = 1e-6,
    log_decay: torch.Tensor | None = None,
    chunk_size: int = 64,
    state: LinearState | None = None,
    return_state: bool = False,
):
    """Eq. (1) in chunked parallel form (the default for training and prefill).

    Ungated: fully vectorised -- within-chunk masked products plus an exclusive cumulative sum of
    per-chunk states ``sum_i k_i v_i^T``. Gated: the same, but chunk states must be decayed, so
    a Python loop runs over the T / C chunks (never over tokens); within a chunk every decay
    factor ``exp(G_t - G_i)`` with i <= t is <= 1, so nothing overflows.
    ``state`` continues from a previous call (e.g. after prefill); ``return_state`` returns the
    final state for recurrent decoding.
    """
    log_decay = _check(q, k, v, log_decay)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    *lead, T, Fd = q.shape
    Dv = v.shape[-1]
    C = min(chunk_size, max(T, 1))
    N = -(-T // C)
    pad = N * C - T
    qc = _pad_time(q, pad).reshape(*lead, N, C, Fd)
    kc = _pad_time(k, pad).reshape(*lead, N, C, Fd)
    vc = _pad_time(v, pad).reshape(*lead, N, C, Dv)
    causal = torch.ones(C, C, dtype=torch.bool, device=q.device).tril()
    if state is None:
        state = LinearState.zeros(lead, Fd, Dv, device=q.device, dtype=q.dtype)

    if log_decay is None:
        A = (qc @ kc.transpose(-1, -2)).masked_fill(~causal, 0.0)  # (..., N, C, C)
        num = A @ vc
        den = A.sum(-1)
        U = kc.transpose(-1, -2) @ vc  # (..., N, F, Dv) per-chunk k^T v
        Z = kc.sum(-2)  # (..., N, F)
        S_inc = torch.cumsum(U, dim=-3) + state.S.unsqueeze(-3)
        z_inc = torch.cumsum(Z, dim=-2) + state.z.unsqueeze(-2)
        S_prev = torch.cat([state.S.unsqueeze(-3), S_inc[..., :-1, :, :]], dim=-3)
        z_prev = torch.cat([state.z.unsqueeze(-2), z_inc[..., :-1, :]], dim=-2)
        num = num + qc @ S_prev
        den = den + (qc * z_prev.unsqueeze(-2)).sum(-1)
        out = _finish(num, den, normalize, eps).reshape(*lead, N * C, Dv)[..., :T, :]
        final = LinearState(S_inc[..., -1, :, :], z_inc[..., -1, :])
        return (out, final) if return_state else out

    gc = _pad_time(log_decay, pad).reshape(*lead, N, C, Fd)
    S, z = state.S, state.z
    outs = []
    neg_inf_mask = ~causal.unsqueeze(-1)
    for n in range(N):
        qn, kn, vn = qc[..., n, :, :], kc[..., n, :, :], vc[..., n, :, :]
        b = torch.cumsum(gc[..., n, :, :], dim=-2)  # (..., C, F) local cumulative log-decay
        diff = (b.unsqueeze(-2) - b.unsqueeze(-3)).masked_fill(neg_inf_mask, float("-inf"))
        A = (qn.unsqueeze(-2) * kn.unsqueeze(-3) * torch.exp(diff)).sum(-1)  # (..., C, C)
        q_dec = qn * torch.exp(b)  # decay from the chunk start to t
        num = A @ vn + q_dec @ S
        den = A.sum(-1) + (q_dec * z.unsqueeze(-2)).sum(-1)
        outs.append(_finish(num, den, normalize, eps))
        b_end = b[..., -1:, :]  # (..., 1, F)
        k_dec = kn * torch.exp(b_end - b)  # decay from i to the chunk end
        S = torch.exp(b_end).transpose(-1, -2) * S + k_dec.transpose(-1, -2) @ vn
        z = torch.exp(b_end[..., 0, :]) * z + k_dec.sum(-2)
    out = torch.stack(outs, dim=-3).reshape(*lead, N * C, Dv)[..., :T, :]
    # Padded steps have log_decay 0 and k = 0, so the final state is exact.
    return (out, LinearState(S, z)) if return_state else out


# --------------------------------------------------------------------------- softmax reference


def causal_softmax_attention(q, k, v, *, scale: float | None = None, window: int | None = None):
    """Exact causal softmax attention (optionally sliding window of ``window`` keys incl. self)."""
    if window is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    T = q.shape[-2]
    mask = causal_window_mask(T, window, device=q.device)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)


def causal_window_mask(T: int, window: int | None, *, device=None) -> torch.Tensor:
    """Boolean (T, T) mask, True where query t may see key i: ``t - window < i <= t``."""
    if window is not None and window < 1:
        raise ValueError(f"window must be >= 1 (or None for full causal), got {window}")
    t = torch.arange(T, device=device)
    rel = t[:, None] - t[None, :]
    mask = rel >= 0
    if window is not None:
        mask = mask & (rel < window)
    return mask


# --------------------------------------------------------------------------- benchmark


class _PeakTensorMemory:
    """Peak bytes of tensors alive during a block (CPU), tracked through torch dispatch.

    Counts every tensor storage created by an aten op while the block runs (plus nothing that
    existed before). Internal scratch buffers of fused kernels are not seen.
    """

    def __init__(self):
        import weakref

        from torch.utils._python_dispatch import TorchDispatchMode

        tracker = self
        self.current = 0
        self.peak = 0
        self._live: dict[int, list] = {}

        def release(key):
            entry = tracker._live.get(key)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] == 0:
                tracker.current -= entry[0]
                del tracker._live[key]

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                for t in out if isinstance(out, (tuple, list)) else (out,):
                    if isinstance(t, torch.Tensor):
                        st = t.untyped_storage()
                        key = st.data_ptr()
                        if key not in tracker._live:
                            tracker._live[key] = [st.nbytes(), 0]
                            tracker.current += st.nbytes()
                            tracker.peak = max(tracker.peak, tracker.current)
                        tracker._live[key][1] += 1
                        weakref.finalize(t, release, key)
                return out

        self._mode = Mode()

    def __enter__(self):
        self._mode.__enter__()
        return self

    def __exit__(self, *exc):
        self._mode.__exit__(*exc)


def _measure(fn, device, repeats):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        torch.cuda.synchronize(device)
        peak = torch.cuda.max_memory_allocated(device) - base
    else:
        with _PeakTensorMemory() as tracker:
            out = fn()
            del out
        peak = tracker.peak
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    return min(times), int(peak)


@torch.no_grad()
def benchmark_attention(
    lengths=(128, 256, 512, 1024, 2048, 4096),
    *,
    batch: int = 1,
    heads: int = 4,
    head_dim: int = 64,
    feature_dim: int | None = None,
    chunk_size: int = 64,
    repeats: int = 3,
    device="cpu",
    dtype=torch.float32,
    fused_softmax: bool = False,
    seed: int = 0,
):
    """Time (best of ``repeats``) and peak memory of causal softmax vs causal linear attention.

    Softmax is the standard O(T^2) computation that materialises the T x T scores
    (``fused_softmax=True`` uses ``F.scaled_dot_product_attention`` instead, whose fused kernels
    hide the quadratic memory); linear is :func:`causal_linear_attention` with elu+1 features of
    size ``feature_dim`` (default ``head_dim``). Memory: CUDA peak allocation on GPU; on CPU the
    peak bytes of tensors created by the computation (inputs excluded).

    Returns ``(rows, crossover)``: a list of dicts with keys ``length, softmax_s, linear_s,
    softmax_bytes, linear_bytes`` and the smallest benchmarked length from which linear attention
    is faster at every longer length (None if it never is).
    """
    device = torch.device(device)
    Fd = feature_dim or head_dim
    gen = torch.Generator(device="cpu").manual_seed(seed)
    scale = head_dim**-0.5

    def softmax_explicit(q, k, v):
        T = q.shape[-2]
        s = (q @ k.transpose(-1, -2)) * scale
        mask = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)
        return torch.softmax(s.masked_fill(mask, float("-inf")), dim=-1) @ v

    rows = []
    for T in lengths:
        def make(d, T=T):
            return torch.randn(batch, heads, T, d, generator=gen).to(device=device, dtype=dtype)

        q, k, v = make(head_dim), make(head_dim), make(head_dim)
        W = torch.randn(head_dim, Fd, generator=gen).to(device=device, dtype=dtype) / head_dim**0.5

        def run_softmax(q=q, k=k, v=v):
            if fused_softmax:
                return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
            return softmax_explicit(q, k, v)

        def run_linear(q=q, k=k, v=v, W=W):
            return causal_linear_attention(
                elu_plus_one(q @ W), elu_plus_one(k @ W), v, chunk_size=chunk_size
            )

        ts, ms = _measure(run_softmax, device, repeats)
        tl, ml = _measure(run_linear, device, repeats)
        rows.append(dict(length=int(T), softmax_s=ts, linear_s=tl, softmax_bytes=ms,
                         linear_bytes=ml))
    crossover = None
    for i in range(len(rows)):
        if all(r["linear_s"] < r["softmax_s"] for r in rows[i:]):
            crossover = rows[i]["length"]
            break
    return rows, crossover
