"""Parallel scan for linear recurrences ``h_t = A_t h_{t-1} + b_t`` in torch.

A linear recurrence is a prefix "sum" under the associative operator

    (A₂, b₂) ∘ (A₁, b₁) = (A₂ A₁, A₂ b₁ + b₂),

so all ``T`` states can be computed in ``O(log T)`` dependent steps (depth) instead of ``T``.
Two classic schedules, both vectorised over time and batch with plain torch ops:

* ``"hillis_steele"`` (default): ``⌈log₂ T⌉`` sweeps; at offset ``k = 1, 2, 4, ...`` every
  ``t ≥ k`` combines with ``t - k``. Depth ``⌈log₂ T⌉``, work ``O(T log T)``. This is the
  schedule of the ParaRNN reference code (``parallel_reduce``).
* ``"odd_even"``: the work-efficient recursive pairing (Blelloch / ``jax.lax.associative_scan``):
  combine neighbours, scan the half-length sequence, fill in the rest. Depth ``2⌈log₂ T⌉``,
  work ``O(T)``.

Three structures of ``A_t`` (the leading ``...`` axes are batch axes, broadcast between ``A``
and ``b``; time is the axis right before the state axes):

=============  ==========================  ======================
kind           ``A`` shape                 ``b`` / ``h`` shape
=============  ==========================  ======================
``"diag"``     ``(..., T, N)``             ``(..., T, N)``
``"block"``    ``(..., T, K, m, m)``       ``(..., T, K, m)``
``"dense"``    ``(..., T, N, N)``          ``(..., T, N)``
=============  ==========================  ======================

(``"block"`` is ``K`` independent ``m × m`` systems — e.g. ParaLSTM's per-unit 2×2 (c, h)
blocks; ``"dense"`` is ``K = 1``, ``"diag"`` is ``m = 1``.)

Entry points: :func:`linear_scan` (parallel), :func:`sequential_scan` (the plain loop, the
oracle), :func:`scan_depth`. ``reverse=True`` runs the recurrence backwards in time,
``h_t = A_t h_{t+1} + b_t`` with ``h_T = h0`` — the adjoint recurrence of backpropagation.
"""

from __future__ import annotations

import math

import torch

__all__ = ["linear_scan", "sequential_scan", "scan_depth", "KINDS", "METHODS"]

KINDS = ("diag", "block", "dense")
METHODS = ("hillis_steele", "odd_even")


def scan_depth(T: int, method: str = "hillis_steele") -> int:
    """Number of dependent combine steps of the parallel scan of length ``T``."""
    if T < 1:
        raise ValueError("T must be >= 1")
    levels = math.ceil(math.log2(T)) if T > 1 else 0
    return levels if method == "hillis_steele" else 2 * levels


# -- the associative operator for each structure -----------------------------------------------
def _apply(kind: str, A: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``A v`` for one structure (``v`` shaped like ``b``)."""
    if kind == "diag":
        return A * v
    return (A @ v.unsqueeze(-1)).squeeze(-1)


def _compose(kind: str, A2: torch.Tensor, A1: torch.Tensor) -> torch.Tensor:
    """``A2 A1`` (A1 acts first)."""
    return A2 * A1 if kind == "diag" else A2 @ A1


def _state_ndim(kind: str) -> int:
    """Number of trailing state axes of ``b`` (after time)."""
    return {"diag": 1, "block": 2, "dense": 1}[kind]


def _check(kind: str, A: torch.Tensor, b: torch.Tensor, h0):
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {KINDS}")
    s = _state_ndim(kind)
    if b.ndim < s + 1:
        raise ValueError(f"b must have a time axis and {s} state axes, got {tuple(b.shape)}")
    want_A = {"diag": b.ndim, "block": b.ndim + 1, "dense": b.ndim + 1}[kind]
    if A.ndim != want_A:
        raise ValueError(f"kind={kind!r}: A must have {want_A} axes, got {tuple(A.shape)}")
    T = b.shape[-s - 1]
    if A.shape[-(s + 1) - (0 if kind == "diag" else 1)] != T:
        raise ValueError(f"A and b disagree on the time length: A {tuple(A.shape)}, "
                         f"b {tuple(b.shape)}")
    if kind == "dense" and A.shape[-2:] != (b.shape[-1], b.shape[-1]):
        raise ValueError(f"dense A must be (..., T, N, N) with N={b.shape[-1]}")
    if kind == "block" and A.shape[-3:] != (*b.shape[-2:], b.shape[-1]):
        raise ValueError(f"block A must be (..., T, K, m, m) matching b {tuple(b.shape)}")
    if h0 is not None and h0.shape[-s:] != b.shape[-s:]:
        raise ValueError(f"h0 state shape {tuple(h0.shape)} does not match b {tuple(b.shape)}")
    return T, s


def _time_dim(kind: str, s: int):
    """(time axis of b, time axis of A) as negative indices."""
    return -s - 1, (-s - 1 if kind == "diag" else -s - 2)


def _flip(kind, A, b, s):
    tb, ta = _time_dim(kind, s)
    return A.flip(ta), b.flip(tb)


def sequential_scan(A: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, *,
                    kind: str = "diag", reverse: bool = False) -> torch.Tensor:
    """The plain loop ``h_t = A_t h_{t-1} + b_t`` (``h_{-1} = h0``, default 0) — the oracle
    for :func:`linear_scan`. Returns all states, shaped like ``b`` (batch broadcast)."""
    T, s = _check(kind, A, b, h0)
    if reverse:
        A, b = _flip(kind, A, b, s)
    tb, ta = _time_dim(kind, s)
    h = None if h0 is None else h0
    out = []
    for t in range(T):
        bt, At = b.select(tb, t), A.select(ta, t)
        h = bt + (0 if h is None else _apply(kind, At, h))
        out.append(h)
    H = torch.stack(torch.broadcast_tensors(*out), dim=tb)
    return H.flip(tb) if reverse else H


def _hillis_steele(kind, A, b, tb, ta, T):
    k = 1
    if torch.is_grad_enabled() and (A.requires_grad or b.requires_grad):
        while k < T:  # out of place, so that autograd can differentiate through it
            # every t >= k: (A_t, b_t) <- (A_t, b_t) ∘ (A_{t-k}, b_{t-k}); t < k is final
            A_hi, A_lo = A.narrow(ta, k, T - k), A.narrow(ta, 0, T - k)
            b_hi, b_lo = b.narrow(tb, k, T - k), b.narrow(tb, 0, T - k)
            b = torch.cat([b.narrow(tb, 0, k), b_hi + _apply(kind, A_hi, b_lo)], dim=tb)
            A = torch.cat([A.narrow(ta, 0, k), _compose(kind, A_hi, A_lo)], dim=ta)
            k *= 2
        return A, b
    # no autograd: update in place (the products are formed before the writes), which
    # avoids two large allocations per level — about 3x faster on CPU
    A, b = A.clone(), b.clone()
    while k < T:
        A_hi, A_lo = A.narrow(ta, k, T - k), A.narrow(ta, 0, T - k)
        b.narrow(tb, k, T - k).add_(_apply(kind, A_hi, b.narrow(tb, 0, T - k)))
        A_hi.copy_(_compose(kind, A_hi, A_lo))
        k *= 2
    return A, b


def _odd_even(kind, A, b, tb, ta, T):
    """Work-efficient recursive pairing; ``tb``/``ta`` are non-negative axes here."""
    if T == 1:
        return A, b
    n = T // 2
    # pairs (2i, 2i+1): the odd element absorbs the even one
    A_e, A_o = A.narrow(ta, 0, 2 * n).unflatten(ta, (n, 2)).unbind(ta + 1)
    b_e, b_o = b.narrow(tb, 0, 2 * n).unflatten(tb, (n, 2)).unbind(tb + 1)
    A_p, b_p = _odd_even(kind, _compose(kind, A_o, A_e), b_o + _apply(kind, A_o, b_e),
                         tb, ta, n)  # now: prefixes ending at positions 1, 3, 5, ...
    # even positions 2i (i >= 1) combine with the prefix ending at 2i - 1
    m = (T - 1) // 2
    A_ev = A.narrow(ta, 1, 2 * m).unflatten(ta, (m, 2)).select(ta + 1, 1)
    b_ev = b.narrow(tb, 1, 2 * m).unflatten(tb, (m, 2)).select(tb + 1, 1)
    A_prev, b_prev = A_p.narrow(ta, 0, m), b_p.narrow(tb, 0, m)
    A_evens = torch.cat([A.narrow(ta, 0, 1), _compose(kind, A_ev, A_prev)], dim=ta)
    b_evens = torch.cat([b.narrow(tb, 0, 1), b_ev + _apply(kind, A_ev, b_prev)], dim=tb)
    return _interleave(A_evens, A_p, ta), _interleave(b_evens, b_p, tb)


def _interleave(evens: torch.Tensor, odds: torch.Tensor, dim: int) -> torch.Tensor:
    """Merge positions 0, 2, 4, ... (``evens``) and 1, 3, 5, ... (``odds``) along ``dim``."""
    n_odd = odds.shape[dim]
    merged = torch.stack([evens.narrow(dim, 0, n_odd), odds], dim=dim + 1).flatten(dim, dim + 1)
    if evens.shape[dim] > n_odd:  # odd length: one trailing even element
        merged = torch.cat([merged, evens.narrow(dim, n_odd, 1)], dim=dim)
    return merged


def linear_scan(A: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None, *,
                kind: str = "diag", reverse: bool = False,
                method: str = "hillis_steele") -> torch.Tensor:
    """All states of ``h_t = A_t h_{t-1} + b_t`` (``h_{-1} = h0``, default 0) by a parallel
    scan of depth :func:`scan_depth`; equals :func:`sequential_scan` up to rounding.

    ``kind`` ∈ ``{"diag", "block", "dense"}`` (shapes in the module docstring), ``method`` ∈
    ``{"hillis_steele", "odd_even"}``, ``reverse=True`` for ``h_t = A_t h_{t+1} + b_t``.
    Differentiable by autograd. Returns a tensor shaped like ``b`` (batch axes broadcast).
    """
    T, s = _check(kind, A, b, h0)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if reverse:
        A, b = _flip(kind, A, b, s)
    tb, ta = _time_dim(kind, s)
    # broadcast batch axes so that the concatenations line up
    batch = torch.broadcast_shapes(A.shape[:ta], b.shape[:tb])
    A = A.expand(*batch, *A.shape[ta:])
    b = b.expand(*batch, *b.shape[tb:])
    if method == "hillis_steele":
        A_cum, H = _hillis_steele(kind, A, b, tb, ta, T)
    else:
        A_cum, H = _odd_even(kind, A, b, tb % b.ndim, ta % A.ndim, T)
    if h0 is not None:  # h_t = (A_t ... A_0) h0 + (scanned b)_t
        H = H + _apply(kind, A_cum, h0.unsqueeze(tb))
    return H.flip(tb) if reverse else H
