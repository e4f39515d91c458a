r"""Linear self-attention (LSA): attention without softmax, as in von Oswald et al. (2023).

Shapes
------
``tokens``: ``(B, T, D)`` — a batch of ``B`` sequences of ``T`` tokens of width ``D``.
With ``include_query=False`` the LAST token (the query) reads from the others but is not itself
a key/value; all ``T`` tokens are updated.

One layer, head ``h`` (sums over the key tokens ``i``; no normaliser, no softmax):

.. math:: e_j \leftarrow e_j + \sum_h P_h W_{V,h} \sum_i e_i\,(e_i^\top W_{K,h}^\top W_{Q,h}\, e_j).

Only the products matter, so every layer exposes its *effective* matrices per head,

.. math:: W_{KQ,h} = W_{K,h}^\top W_{Q,h}\in\mathbb R^{D\times D},\qquad
          W_{PV,h} = P_h W_{V,h}\in\mathbb R^{D\times D},

and ``e_j ← e_j + Σ_h W_PV,h Σ_i e_i e_iᵀ W_KQ,h e_j``. Two parametrisations:

* ``"qkv"`` (the official code's Haiku multi-head attention without biases): per head
  ``W_Q, W_K ∈ R^{key_size×D}``, ``W_V ∈ R^{value_size×D}`` and one output projection
  ``W_O ∈ R^{D×H·value_size}`` (the paper's ``P``), so ``W_PV,h = W_O[:, h-block] W_V,h``;
* ``"product"`` (the paper's reparametrised form): ``W_KQ,h`` and ``W_PV,h`` are free
  ``D×D`` matrices.

``softmax=True`` turns a layer into ordinary (softmax, scaled by 1/sqrt(key_size)) attention
with the same projections, for comparisons; it is only available with ``"qkv"``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

PARAMETRISATIONS = ("qkv", "product")


def _check_tokens(tokens: torch.Tensor, dim: int) -> None:
    if not isinstance(tokens, torch.Tensor):
        raise ValueError(f"tokens must be a torch.Tensor, got {type(tokens).__name__}")
    if tokens.ndim != 3:
        raise ValueError(f"tokens must have shape (B, T, D), got {tuple(tokens.shape)}")
    if tokens.shape[-1] != dim:
        raise ValueError(f"tokens have width {tokens.shape[-1]}, the layer expects D={dim}")


class LinearSelfAttention(nn.Module):
    """One residual (linear) self-attention layer on tokens of width ``dim``.

    Args:
        dim: token width ``D``.
        heads: number of heads ``H``.
        key_size: width of keys/queries (``"qkv"`` only; default ``D``).
        value_size: width of values (``"qkv"`` only; default ``key_size``).
        parametrisation: ``"qkv"`` or ``"product"`` (see the module docstring).
        include_query: if False (default, as in the paper), the last token is not a key/value.
        causal: if True, token ``j`` attends to keys ``i <= j`` only.
        softmax: softmax attention instead of linear (``"qkv"`` only).
        init_scale: weights ~ N(0, init_scale / fan_in) (Haiku's VarianceScaling, untruncated).
        dtype: parameter dtype.
    """

    def __init__(self, dim: int, *, heads: int = 1, key_size: int | None = None,
                 value_size: int | None = None, parametrisation: str = "qkv",
                 include_query: bool = False, causal: bool = False, softmax: bool = False,
                 init_scale: float = 0.002, dtype: torch.dtype = torch.float32,
                 generator: torch.Generator | None = None):
        super().__init__()
        if not (isinstance(dim, int) and dim > 0 and isinstance(heads, int) and heads > 0):
            raise ValueError(f"dim and heads must be positive integers, got {dim}, {heads}")
        if parametrisation not in PARAMETRISATIONS:
            raise ValueError(f"parametrisation must be one of {PARAMETRISATIONS}, "
                             f"got {parametrisation!r}")
        if softmax and parametrisation != "qkv":
            raise ValueError("softmax attention needs parametrisation='qkv'")
        if init_scale < 0:
            raise ValueError(f"init_scale must be >= 0, got {init_scale}")
        self.dim, self.heads, self.parametrisation = dim, heads, parametrisation
        self.key_size = int(key_size or dim)
        self.value_size = int(value_size or self.key_size)
        if self.key_size <= 0 or self.value_size <= 0:
            raise ValueError("key_size and value_size must be positive")
        self.include_query, self.causal, self.softmax = include_query, causal, softmax

        def init(*shape, fan_in):
            w = torch.randn(*shape, generator=generator, dtype=dtype)
            return nn.Parameter(w * math.sqrt(init_scale / fan_in))

        H, D = heads, dim
        if parametrisation == "qkv":
            self.w_q = init(H, self.key_size, D, fan_in=D)
            self.w_k = init(H, self.key_size, D, fan_in=D)
            self.w_v = init(H, self.value_size, D, fan_in=D)
            self.w_o = init(D, H * self.value_size, fan_in=H * self.value_size)
        else:
            self.w_kq = init(H, D, D, fan_in=D)
            self.w_pv = init(H, D, D, fan_in=D)

    # -- effective matrices ----------------------------------------------------------------
    def kq(self) -> torch.Tensor:
        """``(H, D, D)``: ``W_KQ,h = W_K,hᵀ W_Q,h`` (the score of key i for query j is
        ``e_iᵀ W_KQ,h e_j``)."""
        if self.parametrisation == "product":
            return self.w_kq
        return self.w_k.transpose(1, 2) @ self.w_q

    def pv(self) -> torch.Tensor:
        """``(H, D, D)``: ``W_PV,h = P_h W_V,h`` (what head h writes per unit score)."""
        if self.parametrisation == "product":
            return self.w_pv
        w_o = self.w_o.reshape(self.dim, self.heads, self.value_size).permute(1, 0, 2)
        return w_o @ self.w_v

    @torch.no_grad()
    def set_product(self, kq: torch.Tensor, pv: torch.Tensor) -> LinearSelfAttention:
        """Load effective matrices ``(H, D, D)`` (or ``(D, D)`` for one head); ``"product"``
        layers only (a ``"qkv"`` layer may not be able to represent them)."""
        if self.parametrisation != "product":
            raise ValueError("set_product needs parametrisation='product'")
        shape = (self.heads, self.dim, self.dim)
        mats = []
        for name, m in (("kq", kq), ("pv", pv)):
            m = torch.as_tensor(m, dtype=self.w_kq.dtype, device=self.w_kq.device)
            if m.numel() != math.prod(shape):
                raise ValueError(f"{name} must have shape {shape} (or (D, D) for one head), "
                                 f"got {tuple(m.shape)}")
            mats.append(m.reshape(shape))
        kq, pv = mats
        self.w_kq.copy_(kq)
        self.w_pv.copy_(pv)
        return self

    # -- forward ---------------------------------------------------------------------------
    def update(self, tokens: torch.Tensor, *, last_only: bool = False) -> torch.Tensor:
        """The attention output ``Δe`` ``(B, T, D)`` (without the residual); with
        ``last_only`` only the last token's, ``(B, 1, D)`` (cheaper when only the query is read).
        """
        _check_tokens(tokens, self.dim)
        T = tokens.shape[1]
        if not self.include_query and T < 2:
            raise ValueError("include_query=False needs at least one context token and a query")
        keys = tokens if self.include_query else tokens[:, :-1]
        queries = tokens[:, -1:] if last_only else tokens
        if self.softmax:
            q = torch.einsum("hkd,btd->bhtk", self.w_q, queries)
            k = torch.einsum("hkd,bsd->bhsk", self.w_k, keys)
            v = torch.einsum("hvd,bsd->bhsv", self.w_v, keys)
            scores = q @ k.transpose(-1, -2) / math.sqrt(self.key_size)
            if self.causal:
                mask = self._mask(T, keys.shape[1], tokens.device)[-queries.shape[1]:]
                scores = scores.masked_fill(mask, -math.inf)
            out = torch.softmax(scores, dim=-1) @ v  # (B, H, T, V)
            out = out.permute(0, 2, 1, 3).reshape(tokens.shape[0], queries.shape[1], -1)
            return out @ self.w_o.T
        kq, pv = self.kq(), self.pv()
        # score of key i for token j: e_iᵀ W_KQ,h e_j; Δe_j = Σ_h W_PV,h Σ_i score_hji e_i.
        q = queries.unsqueeze(1) @ kq.transpose(-1, -2)  # (B, H, T, D): rows (W_KQ,h e_j)ᵀ
        scores = q @ keys.transpose(1, 2).unsqueeze(1)  # (B, H, T, S)
        if self.causal:
            mask = self._mask(T, keys.shape[1], tokens.device)[-queries.shape[1]:]
            scores = scores.masked_fill(mask, 0.0)
        out = (scores @ keys.unsqueeze(1)) @ pv.transpose(-1, -2)  # (B, H, T, D)
        return out.sum(1)

    @staticmethod
    def _mask(T: int, S: int, device) -> torch.Tensor:
        """True where key ``s`` is in the future of query ``t`` (masked out)."""
        t = torch.arange(T, device=device)[:, None]
        s = torch.arange(S, device=device)[None, :]
        return s > t

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, T, D) -> (B, T, D)``: ``tokens + update(tokens)``."""
        return tokens + self.update(tokens)

    def extra_repr(self) -> str:
        return (f"dim={self.dim}, heads={self.heads}, parametrisation={self.parametrisation!r}, "
                f"include_query={self.include_query}, causal={self.causal}, "
                f"softmax={self.softmax}")


class LSAStack(nn.Module):
    """``layers`` residual attention layers applied in turn (attention only: no MLP, no norm).

    ``shared=True`` applies ONE layer ``layers`` times (the official code's "recurrent"
    transformer, ``deq=True``). Keyword arguments go to :class:`LinearSelfAttention`;
    ``init_scale`` defaults to the official ``0.002 / layers``.
    """

    def __init__(self, dim: int, layers: int, *, shared: bool = False, **kw):
        super().__init__()
        if not (isinstance(layers, int) and layers > 0):
            raise ValueError(f"layers must be a positive integer, got {layers!r}")
        self.n_layers, self.shared = layers, shared
        kw.setdefault("init_scale", 0.002 / layers)
        n_distinct = 1 if shared else layers
        self.blocks = nn.ModuleList(LinearSelfAttention(dim, **kw) for _ in range(n_distinct))

    def layer(self, k: int) -> LinearSelfAttention:
        """The layer applied at depth ``k`` (0-based)."""
        if not 0 <= k < self.n_layers:
            raise ValueError(f"layer index {k} out of range for {self.n_layers} layers")
        return self.blocks[0 if self.shared else k]

    def query(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(B, T, D) -> (B, D)``: the last (query) token after all layers, computing only
        that token's update in the last layer (same values as ``forward(tokens)[:, -1]``)."""
        for k in range(self.n_layers - 1):
            tokens = self.layer(k)(tokens)
        last = self.layer(self.n_layers - 1)
        return tokens[:, -1] + last.update(tokens, last_only=True)[:, 0]

    def forward(self, tokens: torch.Tensor, *, return_all: bool = False):
        """``(B, T, D) -> (B, T, D)``; with ``return_all`` also the list of the tokens after
        each layer (length ``layers``)."""
        states = []
        for k in range(self.n_layers):
            tokens = self.layer(k)(tokens)
            states.append(tokens)
        return (tokens, states) if return_all else tokens
