"""Computational limits of LoRA fine-tuning (Hu, Su, Kuo, Song & Liu, ICLR 2025; arXiv 2406.03136).

One attention head, LoRA adapters on some of W_Q, W_K, W_V, and the squared loss

    L = 1/2 || D^{-1} exp(S) V - Y ||_F^2,   S = (X W_Q)(X W_K)^T / beta,   V = X W_V,
    D = diag(exp(S) 1),   W_* = W_*^star + (alpha / r) B_* A_*.

The paper's gradient chain (Sec. 3/4, our notation) is

    F = D^{-1} exp(S),  c = F V - Y,  q = c V^T,  p = F * (q - (F * q) 1 1^T),
    dL/dW = X^T p X / beta   (W = W_Q W_K^T),   dL/dW_Q = (dL/dW) W_K,
    dL/dW_K = (dL/dW)^T W_Q,  dL/dW_V = X^T F^T c,
    dL/dB_* = (alpha/r) (dL/dW_*) A_*^T,   dL/dA_* = (alpha/r) B_*^T (dL/dW_*).

The only L x L object is exp(S). Replacing it by a rank-k product U V^T (polynomial method of
Alman & Song 2023: truncated Taylor series of exp, written with monomial features
Phi(u)_m = u^m / sqrt(m!), |m| <= g, so that Phi(u)^T Phi(v) = sum_{j<=g} (u.v)^j / j! and
k = C(d_k + g, g)) keeps every factor of the chain low-rank: the Hadamard product F * q equals
(D^{-1} U (row-Kronecker) c)(V (row-Kronecker) X W_V)^T of rank k d_v, and the whole gradient costs
O(L k d^2) -- linear in L. The approximation is accurate only while the entries of X W_Q and
X W_K are bounded by Gamma = o(sqrt(log L)); above Omega(sqrt(log L)) no sub-quadratic
algorithm exists under SETH (Sec. 5). This module implements both chains, the norm knob Gamma,
numerical ranks, flop counts and timings for the chapter ``lora-computational-limits``.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from nonlinlab.core import ProfileConfig, Profiles, require

__all__ = [
    "Config", "CONFIGS", "LoraProblem", "make_problem", "effective_weights", "lora_loss",
    "autograd_gradients", "quadratic_gradients", "fast_gradients", "monomial_features",
    "feature_rank", "taylor_exp", "relative_error", "required_degree", "eps_rank",
    "random_exp_kernel", "count_matmul_flops", "time_gradient", "loglog_slope",
    "estimate_seconds", "TARGETS_PARTIAL", "TARGETS_FULL", "exactness", "error_sweep",
    "transition_sweep", "rank_sweep", "cost_sweep", "smollm2_logits",
]

TARGETS_PARTIAL = ("Q", "V")  # the paper's special case (Sec. 3)
TARGETS_FULL = ("Q", "K", "V")  # the general case (Sec. 4)


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes of the chapter's experiments (one instance per profile)."""

    # the LoRA head: d model width, dk query/key width, dv value width, rank r, scale alpha
    d: int = 4
    dk: int = 4
    dv: int = 4
    r: int = 2
    alpha: float = 4.0
    beta: float = 4.0  # S = X W_Q W_K^T X^T / beta
    # (A) exactness of the hand-derived chain vs autograd
    exact_L: int = 64
    # (B) accuracy of the fast low-rank chain vs Gamma, degree, L
    error_Ls: tuple[int, ...] = (256, 512, 1024, 2048)
    error_gammas: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0)
    error_degrees: tuple[int, ...] = (2, 4, 6, 8)
    # (C) phase transition: degree (hence rank) needed for relative error <= 1/L at
    # gamma = c sqrt(log L)
    # L >= 141: at L = 128 the two lowest ranks are 15 and 70 = 0.55 L (degrees 2 and 4), too
    # coarse to tell "far below L" from "about L"
    transition_Ls: tuple[int, ...] = (192, 256, 512)
    transition_cs: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
    transition_max_degree: int = 40
    transition_instances: int = 3  # random problems per (L, c): the rank needed for all of them
    # (D) numerical eps-rank of exp(Q K^T / d_rank), entries of Q, K ~ U(-b, b)
    rank_d: int = 8
    rank_bounds: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 4.0)
    rank_Ls: tuple[int, ...] = (128, 256, 512, 1024)
    rank_eps: float = 1e-3
    # (E) cost: matmul flops (counted) and wall clock (median of repeats)
    flop_Ls: tuple[int, ...] = (256, 512, 1024, 2048, 4096)
    timing_degree: int = 4
    timing_Ls_fast: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192)
    timing_Ls_exact: tuple[int, ...] = (256, 512, 1024, 2048)
    timing_repeats: int = 3
    # (F) real attention logits of SmolLM2-135M (pydoc text); 0 tokens = skip
    smol_tokens: int = 256
    smol_layers: tuple[int, ...] = (0, 7, 15, 22, 29)
    smol_rank_Ls: tuple[int, ...] = (64, 128, 256)

    def check(self) -> None:
        for name in ("d", "dk", "dv", "r", "exact_L", "rank_d", "timing_repeats",
                     "transition_max_degree", "transition_instances"):
            require(getattr(self, name) >= 1, f"{name} must be >= 1, got {getattr(self, name)}")
        require(self.r <= min(self.d, self.dk), f"rank r={self.r} exceeds the matrix sizes")
        require(self.alpha > 0 and self.beta > 0, "alpha and beta must be positive")
        for name in ("error_degrees",):
            degs = getattr(self, name)
            require(all(g >= 2 and g % 2 == 0 for g in degs),
                    f"{name} must be even and >= 2 (odd Taylor polynomials of exp change sign), "
                    f"got {degs}")
        require(self.timing_degree % 2 == 0, "timing_degree must be even")
        require(self.transition_max_degree % 2 == 0, "transition_max_degree must be even")
        for name in ("error_Ls", "transition_Ls", "rank_Ls", "flop_Ls", "timing_Ls_fast",
                     "timing_Ls_exact"):
            Ls = getattr(self, name)
            require(len(Ls) >= 2 and all(L >= 2 for L in Ls) and list(Ls) == sorted(Ls),
                    f"{name} must hold >= 2 increasing lengths, got {Ls}")
        for name in ("error_gammas", "transition_cs", "rank_bounds"):
            require(all(x > 0 for x in getattr(self, name)), f"{name} must be positive")
        require(0 < self.rank_eps < 1, f"rank_eps must be in (0, 1), got {self.rank_eps}")
        require(self.smol_tokens == 0 or self.smol_tokens >= max(self.smol_rank_Ls),
                "smol_tokens must be 0 (skip) or >= max(smol_rank_Ls)")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(
        error_Ls=(256, 1024, 4096, 8192),
        error_gammas=(0.5, 1.0, 1.5, 2.0, 2.5, 3.0),
        transition_Ls=(192, 256, 512, 1024, 2048, 4096),
        transition_cs=(0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.25, 1.5),
        rank_Ls=(128, 256, 512, 1024, 2048, 4096),
        flop_Ls=(256, 1024, 4096, 16384),
        timing_Ls_fast=(1024, 2048, 4096, 8192, 16384, 32768, 65536),
        timing_Ls_exact=(1024, 2048, 4096, 8192),
        timing_repeats=7,
        smol_tokens=1024,
        smol_rank_Ls=(128, 256, 512, 1024),
    ),
)


# -- the problem ----------------------------------------------------------------------------------


@dataclass
class LoraProblem:
    """X (L, d), targets Y (L, dv), pretrained weights ``w0[name]`` and LoRA factors
    ``lora[name] = (B (d, r), A (r, out))`` for the adapted names among Q, K, V."""

    X: torch.Tensor
    Y: torch.Tensor
    w0: dict[str, torch.Tensor]
    lora: dict[str, tuple[torch.Tensor, torch.Tensor]]
    alpha: float
    r: int
    beta: float
    gamma: float = field(default=float("nan"))

    @property
    def scale(self) -> float:
        return self.alpha / self.r

    @property
    def L(self) -> int:
        return self.X.shape[0]


def make_problem(L: int, cfg: Config, gamma: float, *, targets=TARGETS_FULL, seed: int = 0,
                 device="cpu", dtype=torch.float64) -> LoraProblem:
    """A random LoRA problem with the norm knob: X ~ U(-1, 1); W* ~ N(0, 1/d); B ~ N(0, 1/d),
    A ~ N(0, 1/r) (non-zero, gradients in general position); then W*_Q, B_Q, W*_K, B_K are
    rescaled by one common factor so that the exponent's largest entry is max |S| = gamma^2
    exactly (W_Q, W_K the LoRA-updated weights; for aligned rows this is the paper's bound
    max |X W_Q| = max |X W_K| = gamma with d_k = beta), and W_V so that max |X W_V| = 1.
    Y ~ N(0, 1/4). Drawn on the CPU from ``seed``
    (same numbers on every device), then moved to ``device``."""
    if L < 2:
        raise ValueError(f"L must be >= 2, got {L}")
    if not gamma > 0:
        raise ValueError(f"gamma must be positive, got {gamma}")
    targets = tuple(targets)
    if not targets or any(t not in TARGETS_FULL for t in targets):
        raise ValueError(f"targets must be a non-empty subset of {TARGETS_FULL}, got {targets}")
    gen = torch.Generator().manual_seed(int(seed))
    d, r = cfg.d, cfg.r
    out = {"Q": cfg.dk, "K": cfg.dk, "V": cfg.dv}

    def randn(*shape, std=1.0):
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * std

    X = torch.rand(L, d, generator=gen, dtype=torch.float64) * 2 - 1
    Y = randn(L, cfg.dv, std=0.5)
    w0, lora = {}, {}
    for name in TARGETS_FULL:
        w0[name] = randn(d, out[name], std=d ** -0.5)
        if name in targets:
            lora[name] = (randn(d, r, std=d ** -0.5), randn(r, out[name], std=r ** -0.5))
    prob = LoraProblem(X, Y, w0, lora, cfg.alpha, r, cfg.beta, gamma)
    weights = effective_weights(prob)
    # norm knob: scale W_Q and W_K (pretrained weight and B together, so W = W* + s B A keeps
    # its LoRA structure) by the same factor so that max |S| = gamma^2 exactly
    S_max = float(((X @ weights["Q"]) @ (X @ weights["K"]).T).abs().max()) / cfg.beta
    scales = {"Q": gamma / math.sqrt(S_max), "K": gamma / math.sqrt(S_max),
              "V": 1.0 / float((X @ weights["V"]).abs().max())}
    for name, c in scales.items():
        w0[name] = w0[name] * c
        if name in lora:
            lora[name] = (lora[name][0] * c, lora[name][1])
    return to(prob, device=device, dtype=dtype)


def to(prob: LoraProblem, device=None, dtype=None) -> LoraProblem:
    """The same problem on another device / dtype."""
    def mv(t):
        return t.to(device=device, dtype=dtype)
    return LoraProblem(mv(prob.X), mv(prob.Y), {k: mv(v) for k, v in prob.w0.items()},
                       {k: (mv(b), mv(a)) for k, (b, a) in prob.lora.items()},
                       prob.alpha, prob.r, prob.beta, prob.gamma)


def effective_weights(prob: LoraProblem, lora=None) -> dict[str, torch.Tensor]:
    """W_* = W_*^star + (alpha/r) B_* A_* (pretrained weight where not adapted)."""
    lora = prob.lora if lora is None else lora
    return {n: w + (prob.scale * lora[n][0] @ lora[n][1] if n in lora else 0)
            for n, w in prob.w0.items()}


# -- exact objective and its gradient -------------------------------------------------------------


def lora_loss(prob: LoraProblem, lora=None) -> torch.Tensor:
    """L = 1/2 || softmax(X W_Q W_K^T X^T / beta) X W_V - Y ||_F^2 (plain autograd-able code)."""
    W = effective_weights(prob, lora)
    S = (prob.X @ W["Q"]) @ (prob.X @ W["K"]).T / prob.beta
    F = torch.softmax(S, dim=-1)
    return 0.5 * ((F @ (prob.X @ W["V"]) - prob.Y) ** 2).sum()


def autograd_gradients(prob: LoraProblem) -> dict[str, torch.Tensor]:
    """The oracle: torch.autograd of :func:`lora_loss` w.r.t. every LoRA factor
    (keys ``"B_Q"``, ``"A_Q"``, ...)."""
    leaves = {n: (b.detach().clone().requires_grad_(), a.detach().clone().requires_grad_())
              for n, (b, a) in prob.lora.items()}
    loss = lora_loss(prob, leaves)
    flat = [t for pair in leaves.values() for t in pair]
    grads = torch.autograd.grad(loss, flat)
    out, i = {}, 0
    for n in leaves:
        out[f"B_{n}"], out[f"A_{n}"] = grads[i], grads[i + 1]
        i += 2
    return out


def taylor_exp(S: torch.Tensor, degree: int) -> torch.Tensor:
    """sum_{j<=degree} S^j / j! entrywise (Horner); positive for even degree."""
    if degree < 0:
        raise ValueError(f"degree must be >= 0, got {degree}")
    out = torch.ones_like(S)
    for j in range(degree, 0, -1):
        out = 1 + out * S / j
    return out


def _chain_to_lora(prob: LoraProblem, W: dict, GW: torch.Tensor, GV: torch.Tensor) -> dict:
    """dL/dW_Q = GW W_K, dL/dW_K = GW^T W_Q, then dL/dB = s G A^T, dL/dA = s B^T G."""
    G = {"W": GW, "Q": GW @ W["K"], "K": GW.T @ W["Q"], "V": GV}
    for n, (b, a) in prob.lora.items():
        G[f"B_{n}"] = prob.scale * G[n] @ a.T
        G[f"A_{n}"] = prob.scale * b.T @ G[n]
    return G


def quadratic_gradients(prob: LoraProblem, degree: int | None = None) -> dict[str, torch.Tensor]:
    """The paper's gradient chain with explicit L x L matrices: exact for ``degree=None``, or
    with exp(S) replaced by its degree-g Taylor polynomial (what the fast path computes, in
    quadratic time: the reference for :func:`fast_gradients`). Keys: ``"W"`` (dL/d(W_Q W_K^T)),
    ``"Q"``, ``"K"``, ``"V"`` (dL/dW_*), ``"B_*"``, ``"A_*"``, ``"loss"``."""
    W = effective_weights(prob)
    X, beta = prob.X, prob.beta
    S = (X @ W["Q"]) @ (X @ W["K"]).T / beta
    if degree is None:
        E = torch.exp(S - S.amax(dim=1, keepdim=True))  # row shift: F unchanged
    else:
        E = taylor_exp(S, degree)
    F = E / E.sum(dim=1, keepdim=True)  # F = D^{-1} exp(S)
    V = X @ W["V"]
    c = F @ V - prob.Y  # c = F V - Y
    q = c @ V.T  # q = dL/dF
    p = F * (q - (F * q).sum(dim=1, keepdim=True))  # softmax backward: dL/dS
    GW = X.T @ p @ X / beta  # dL/dW = X^T p X / beta
    GV = X.T @ (F.T @ c)  # dL/dW_V = X^T F^T c
    G = _chain_to_lora(prob, W, GW, GV)
    G["loss"] = 0.5 * (c ** 2).sum()
    return G


# -- the polynomial method: low-rank factors of exp(S) --------------------------------------------


def _monomials(n: int, degree: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Index tuples (k, degree) into [z, 1] for all monomials of degree <= g in n variables
    (index n is the constant 1), and 1/sqrt(m!) per monomial."""
    combos = list(itertools.combinations_with_replacement(range(n + 1), degree))
    idx = torch.tensor(combos, dtype=torch.long, device=device).reshape(len(combos), degree)
    coef = []
    for c in combos:
        mult = [c.count(i) for i in range(n)]
        coef.append(1.0 / math.sqrt(math.prod(math.factorial(m) for m in mult)))
    return idx, torch.tensor(coef, dtype=torch.float64, device=device)


def feature_rank(n: int, degree: int) -> int:
    """k = C(n + g, g): the number of monomials of degree <= g in n variables."""
    return math.comb(n + degree, degree)


def monomial_features(Z: torch.Tensor, degree: int) -> torch.Tensor:
    """Phi(Z) (L, k) with Phi(u)_m = u^m / sqrt(m!) over |m| <= g, so that
    Phi(u)^T Phi(v) = sum_{j<=g} (u^T v)^j / j! exactly (multinomial theorem)."""
    if degree < 1:
        raise ValueError(f"degree must be >= 1, got {degree}")
    if Z.dim() != 2:
        raise ValueError(f"Z must be (L, n), got shape {tuple(Z.shape)}")
    idx, coef = _monomials(Z.shape[1], degree, Z.device)
    Z1 = torch.cat([Z, torch.ones_like(Z[:, :1])], dim=1)
    feats = Z1[:, idx[:, 0]]
    for j in range(1, degree):  # product over the g slots, one (L, k) gather at a time
        feats = feats * Z1[:, idx[:, j]]
    return feats * coef.to(Z.dtype)


def fast_gradients(prob: LoraProblem, degree: int) -> dict[str, torch.Tensor]:
    """The chained low-rank gradient: the same keys as :func:`quadratic_gradients`, computed
    without any L x L matrix in O(L k d_v d) time, k = C(d_k + g, g)."""
    if degree < 2 or degree % 2:
        raise ValueError(f"degree must be even and >= 2, got {degree}")
    W = effective_weights(prob)
    X, beta, L = prob.X, prob.beta, prob.L
    s = beta ** -0.5
    U1 = monomial_features(X @ W["Q"] * s, degree)  # exp(S) ~ U1 U2^T, (L, k)
    U2 = monomial_features(X @ W["K"] * s, degree)
    V = X @ W["V"]
    den = U1 @ U2.sum(dim=0)  # D = diag(U1 (U2^T 1)): the approximate row sums
    Ut = U1 / den[:, None]  # F = Ut U2^T
    FV = Ut @ (U2.T @ V)  # O(L k dv)
    c = FV - prob.Y
    rows = (c * FV).sum(dim=1)  # (F * q) 1 = rowwise <c_i, (F V)_i>
    k, dv = U1.shape[1], V.shape[1]
    # F * q = (Ut U2^T) * (c V^T) = (Ut (x)row c)(U2 (x)row V)^T, rank k dv
    P1 = (Ut[:, :, None] * c[:, None, :]).reshape(L, k * dv)
    P2 = (U2[:, :, None] * V[:, None, :]).reshape(L, k * dv)
    T1 = (X.T @ P1) @ (P2.T @ X)  # X^T (F * q) X
    T2 = (X.T @ (rows[:, None] * Ut)) @ (U2.T @ X)  # X^T diag(rows) F X
    GW = (T1 - T2) / beta
    GV = X.T @ (U2 @ (Ut.T @ c))  # X^T F^T c with F^T = U2 Ut^T
    G = _chain_to_lora(prob, W, GW, GV)
    G["loss"] = 0.5 * (c ** 2).sum()
    return G


def relative_error(approx: dict, exact: dict, keys=None) -> float:
    """Largest relative Frobenius error ||a - e|| / ||e|| over ``keys`` (default: dL/dW and
    every LoRA factor)."""
    keys = keys or [k for k in exact if k == "W" or k[:2] in ("A_", "B_")]
    errs = [float(torch.linalg.norm(approx[k] - exact[k]) / torch.linalg.norm(exact[k]))
            for k in keys]
    return max(errs)


def required_degree(prob: LoraProblem, tol: float, max_degree: int = 40,
                    exact: dict | None = None) -> float:
    """Smallest even degree g <= max_degree whose Taylor-chain gradient has
    :func:`relative_error` <= tol (bisection; the error decreases with g), else ``inf``.
    Uses the quadratic reference, identical to the fast path up to round-off."""
    exact = exact if exact is not None else quadratic_gradients(prob)
    cache: dict[int, float] = {}

    def ok(g):
        if g not in cache:
            err = relative_error(quadratic_gradients(prob, g), exact)
            cache[g] = err
        return cache[g] <= tol

    degrees = list(range(2, max_degree + 1, 2))
    if not ok(degrees[-1]):
        return math.inf
    lo, hi = -1, len(degrees) - 1  # invariant: ok(degrees[hi]), not ok(degrees[lo]) or lo=-1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(degrees[mid]):
            hi = mid
        else:
            lo = mid
    return float(degrees[hi])


# -- numerical rank -------------------------------------------------------------------------------


def random_exp_kernel(L: int, d: int, bound: float, *, seed: int = 0, device="cpu",
                      dtype=torch.float64) -> torch.Tensor:
    """exp(Q K^T / d) with Q, K entries i.i.d. U(-bound, bound) (Alman & Song's setting)."""
    gen = torch.Generator().manual_seed(int(seed))
    Q = (torch.rand(L, d, generator=gen, dtype=torch.float64) * 2 - 1) * bound
    K = (torch.rand(L, d, generator=gen, dtype=torch.float64) * 2 - 1) * bound
    return torch.exp(Q @ K.T / d).to(device=device, dtype=dtype)


def eps_rank(M: torch.Tensor, eps: float) -> int:
    """Number of singular values > eps * sigma_max (via eigenvalues of the Gram matrix, float64:
    twice as fast as an SVD and exact enough for eps >= 1e-6)."""
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps}")
    if eps < 1e-6:
        raise ValueError("eps < 1e-6 needs an SVD (the Gram matrix squares the condition)")
    M = M.to(torch.float64)
    G = M @ M.T if M.shape[0] <= M.shape[1] else M.T @ M
    ev = torch.linalg.eigvalsh(G).clamp_min(0)
    return int((ev > (eps ** 2) * ev.max()).sum())


# -- cost -----------------------------------------------------------------------------------------


def count_matmul_flops(fn, *args, **kwargs) -> int:
    """Flops of the matrix products ``fn`` actually executes (torch's FlopCounterMode; element-
    wise work is not counted)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn(*args, **kwargs)
    return int(counter.get_total_flops())


def _sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def time_gradient(fn, prob: LoraProblem, repeats: int, **kwargs) -> np.ndarray:
    """Wall-clock seconds of ``repeats`` calls of ``fn(prob, **kwargs)`` after one warm-up."""
    fn(prob, **kwargs)
    _sync(prob.X.device)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(prob, **kwargs)
        _sync(prob.X.device)
        out.append(time.perf_counter() - t0)
    return np.array(out)


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


# -- cost model -----------------------------------------------------------------------------------

#: Assumed sustained rates (conservative): float64 on 2 shared CPU cores (a quarter of the
#: ~2e10 fp32 peak), float64 on a Colab T4 (fp64 is ~1/32 of fp32 there). Element-wise L x L work
#: counts as ~40 flops per entry (exp, Horner, softmax backward, several passes over memory).
FLOPS = {"cpu": 5e9, "gpu": 1e11}
RANK_FLOPS_PER_L3 = 5.0  # Gram matrix 2 L^3 + symmetric eigenvalues ~ 3 L^3 (measured ~0.6 s at
# L = 1024 on one busy core)


def _quadratic_flops(L: int, cfg: Config, degree: int | None = None) -> float:
    per_entry = 40.0 + 2.0 * (degree or 0)
    return L * L * (per_entry + 4 * cfg.dv + 2 * cfg.d) + 4 * L * cfg.d ** 2


def _fast_flops(L: int, cfg: Config, degree: int) -> float:
    k = feature_rank(cfg.dk, degree)
    return L * k * (2 * degree + 8 * cfg.dv * cfg.d + 10)


def estimate_seconds(cfg: Config, where: str = "cpu") -> float:
    """A conservative estimate (seconds) of the chapter's own compute for ``cfg``: flops of
    every gradient evaluation / an assumed float64 rate (:data:`FLOPS`), SVD-free Gram
    eigenvalues at ~5 L^3 flops, plus fixed allowances (imports, figures: 6 s; SmolLM2 load
    and one forward pass: 3 + 4 s per 256 tokens on the CPU)."""
    if where not in FLOPS:
        raise ValueError(f"where must be one of {', '.join(FLOPS)}, got {where!r}")
    f = 3 * _quadratic_flops(cfg.exact_L, cfg) * 4  # exactness (autograd ~ 3x, 4 problems)
    for L in cfg.error_Ls:
        for _ in cfg.error_gammas:
            f += _quadratic_flops(L, cfg) + sum(_fast_flops(L, cfg, g) for g in cfg.error_degrees)
    n_bisect = math.ceil(math.log2(cfg.transition_max_degree // 2)) + 2
    for L in cfg.transition_Ls:
        f += (cfg.transition_instances * len(cfg.transition_cs) * n_bisect
              * _quadratic_flops(L, cfg, 20))
    f += len(cfg.rank_bounds) * sum(RANK_FLOPS_PER_L3 * L ** 3 for L in cfg.rank_Ls)
    f += 2 * sum(_quadratic_flops(L, cfg) + _fast_flops(L, cfg, cfg.timing_degree)
                 for L in cfg.flop_Ls)
    reps = cfg.timing_repeats + 1
    f += reps * sum(_fast_flops(L, cfg, cfg.timing_degree) for L in cfg.timing_Ls_fast)
    f += reps * sum(_quadratic_flops(L, cfg) for L in cfg.timing_Ls_exact)
    seconds = f / FLOPS[where] + 6.0
    if cfg.smol_tokens:
        per_pass = 4.0 * cfg.smol_tokens / 256 if where == "cpu" else 0.5
        seconds += 3.0 + per_pass + len(cfg.smol_layers) * 9 * sum(
            RANK_FLOPS_PER_L3 * L ** 3 for L in cfg.smol_rank_Ls) / FLOPS[where]
    return seconds


# -- the chapter's sweeps -------------------------------------------------------------------------


def exactness(cfg: Config, seed: int = 0, device="cpu", dtype=torch.float64) -> dict:
    """Relative error of the hand-derived chain against autograd (partial and full adaptation,
    every LoRA factor), at gamma = 1 and 2."""
    out = {}
    for name, targets in (("partial", TARGETS_PARTIAL), ("full", TARGETS_FULL)):
        errs = []
        for gamma in (1.0, 2.0):
            prob = make_problem(cfg.exact_L, cfg, gamma, targets=targets, seed=seed,
                                device=device, dtype=dtype)
            ref = autograd_gradients(prob)
            errs.append(relative_error(quadratic_gradients(prob), ref, keys=list(ref)))
        out[name] = max(errs)
    return out


def error_sweep(cfg: Config, seed: int = 0, device="cpu", dtype=torch.float64) -> dict:
    """For every (L, gamma, degree): relative error of the fast chained gradient against the
    exact one (``"err"``), and against the quadratic Taylor-chain reference (``"chain"``:
    the low-rank bookkeeping alone, should be round-off). Arrays indexed [L, gamma, degree]."""
    shape = (len(cfg.error_Ls), len(cfg.error_gammas), len(cfg.error_degrees))
    err, chain = np.zeros(shape), np.zeros(shape)
    for i, L in enumerate(cfg.error_Ls):
        for j, gamma in enumerate(cfg.error_gammas):
            prob = make_problem(L, cfg, gamma, seed=seed + 1000 * i, device=device, dtype=dtype)
            exact = quadratic_gradients(prob)
            for m, g in enumerate(cfg.error_degrees):
                fast = fast_gradients(prob, g)
                err[i, j, m] = relative_error(fast, exact)
                if L <= 1024:  # the quadratic Taylor reference, on the smaller sizes
                    chain[i, j, m] = relative_error(fast, quadratic_gradients(prob, g))
                else:
                    chain[i, j, m] = np.nan
    return {"err": err, "chain": chain}


def transition_sweep(cfg: Config, seed: int = 0, device="cpu", dtype=torch.float64) -> dict:
    """Required even degree g (and rank k = C(d_k + g, g)) for relative gradient error <= 1/L
    at gamma = c sqrt(log L), for every (L, c): the largest over ``transition_instances`` random
    problems (the paper's bounds are worst-case; one draw can be easier by a degree, which halves
    k). ``inf`` where even ``transition_max_degree`` is not enough."""
    deg = np.zeros((len(cfg.transition_Ls), len(cfg.transition_cs)))
    for i, L in enumerate(cfg.transition_Ls):
        for j, c in enumerate(cfg.transition_cs):
            deg[i, j] = max(
                required_degree(make_problem(L, cfg, c * math.sqrt(math.log(L)),
                                             seed=seed + 2000 * i + 100_003 * m,
                                             device=device, dtype=dtype),
                                1.0 / L, cfg.transition_max_degree)
                for m in range(cfg.transition_instances))
    rank = np.where(np.isfinite(deg), [[feature_rank(cfg.dk, int(g)) if np.isfinite(g) else 0
                                        for g in row] for row in deg], np.inf)
    return {"degree": deg, "rank": rank,
            "rank_over_L": rank / np.array(cfg.transition_Ls, float)[:, None]}


def rank_sweep(cfg: Config, seed: int = 0, device="cpu") -> np.ndarray:
    """eps-rank of exp(Q K^T / d) (entries of Q, K ~ U(-b, b)), indexed [bound, L]."""
    return np.array([[eps_rank(random_exp_kernel(L, cfg.rank_d, b, seed=seed + 3000 * i + j,
                                                 device=device), cfg.rank_eps)
                      for j, L in enumerate(cfg.rank_Ls)] for i, b in enumerate(cfg.rank_bounds)])


def cost_sweep(cfg: Config, seed: int = 0, device="cpu", dtype=torch.float64) -> dict:
    """Counted matmul flops at ``flop_Ls`` and wall-clock seconds (all repeats) at
    ``timing_Ls_*`` of the fast (degree ``timing_degree``) and exact gradient, gamma = 1."""
    g = cfg.timing_degree
    probs = {L: make_problem(L, cfg, 1.0, seed=seed, device=device, dtype=dtype)
             for L in sorted(set(cfg.flop_Ls) | set(cfg.timing_Ls_fast)
                             | set(cfg.timing_Ls_exact))}
    flops_fast = [count_matmul_flops(fast_gradients, probs[L], g) for L in cfg.flop_Ls]
    flops_exact = [count_matmul_flops(quadratic_gradients, probs[L]) for L in cfg.flop_Ls]
    t_fast = np.array([time_gradient(fast_gradients, probs[L], cfg.timing_repeats, degree=g)
                       for L in cfg.timing_Ls_fast])
    t_exact = np.array([time_gradient(quadratic_gradients, probs[L], cfg.timing_repeats)
                        for L in cfg.timing_Ls_exact])
    return {"flops_fast": np.array(flops_fast, float), "flops_exact": np.array(flops_exact, float),
            "t_fast": t_fast, "t_exact": t_exact}


def smollm2_logits(cfg: Config, device="cpu") -> dict:
    """Attention exponents S = q k^T / sqrt(D) (with RoPE, every head of ``smol_layers``) of
    SmolLM2-135M-Instruct on the first ``smol_tokens`` tokens of the pydoc validation split:
    per-head max |S| over the whole (non-causal) L x L matrix, the paper-style bound
    Gamma = max |q| D^{-1/4} (with max |k| D^{-1/4}), and eps-ranks of exp(S) on prefixes."""
    from nonlinlab.data.text import load_corpus
    from nonlinlab.models.smollm2 import load_smollm2

    model, _ = load_smollm2(device, torch.float32)
    ids = load_corpus("pydoc", tokenizer="smollm2").blocks("val", cfg.smol_tokens, n_blocks=1)
    layers = list(cfg.smol_layers)
    with torch.no_grad(), model.record_attention(layers=layers, keys=("q", "k")) as rec:
        model(ids.to(device))
    s_max, gamma, ranks = [], [], []
    for i in layers:
        e = rec[i]
        q = e["q"][0].double()
        k = e["k"][0].double().repeat_interleave(e["n_rep"], 0)
        S = q @ k.transpose(-1, -2) * e["scale"]
        s_max.append(S.abs().amax(dim=(-1, -2)).cpu().numpy())
        gamma.append(np.maximum((q * e["scale"] ** 0.5).abs().amax(dim=(-1, -2)).cpu().numpy(),
                                (k * e["scale"] ** 0.5).abs().amax(dim=(-1, -2)).cpu().numpy()))
        ranks.append([[eps_rank(torch.exp(S[h, :L, :L] - S[h, :L, :L].max()), cfg.rank_eps)
                       for L in cfg.smol_rank_Ls] for h in range(S.shape[0])])
    return {"s_max": np.array(s_max), "gamma": np.array(gamma), "ranks": np.array(ranks),
            "layers": layers}
