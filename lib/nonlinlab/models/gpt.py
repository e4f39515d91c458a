r"""A small GPT-style causal decoder-only transformer (reusable across chapters).

Architecture (Radford et al. 2019, "pre-LN" variant):

.. math::
    h^{(0)}_t &= E(u_t) + p_t, \\
    h' &= h^{(l-1)} + \mathrm{MHA}(\mathrm{LN}(h^{(l-1)})), \qquad
    h^{(l)} = h' + \mathrm{MLP}(\mathrm{LN}(h')), \\
    \hat y_t &= W_{out}\,\mathrm{LN}(h^{(L)}_t),

with multi-head *causal* softmax attention (position ``t`` attends to ``s <= t`` only), a
two-layer MLP with GELU, learned positional embeddings ``p_t``, and a read-in ``E`` that is
either a linear map (continuous tokens, ``vocab_size=None``) or an embedding table (discrete
tokens). The read-out is linear (regression values or logits).

Use :class:`GPTConfig` to size the model and :class:`GPT` to build it;
``model(tokens, return_hidden=True)`` also returns the residual stream after the embedding and
after every block (for probing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class GPTConfig:
    """Sizes of a :class:`GPT`.

    ``n_in``: width of continuous input tokens (ignored when ``vocab_size`` is set);
    ``n_out``: width of the read-out; ``max_len``: longest sequence (learned positions);
    ``width``: residual-stream width; ``depth``: number of blocks; ``heads``: attention heads
    (must divide ``width``); ``mlp_ratio``: hidden width of the MLP over ``width``;
    ``vocab_size``: discrete tokens through an embedding table instead of a linear read-in;
    ``dropout``: on attention weights and residual branches; ``bias``: biases in linear maps;
    ``init_std``: standard deviation of the initial weights (GPT-2: 0.02).
    """

    n_in: int = 1
    n_out: int = 1
    max_len: int = 64
    width: int = 64
    depth: int = 2
    heads: int = 4
    mlp_ratio: float = 4.0
    vocab_size: int | None = None
    dropout: float = 0.0
    bias: bool = True
    init_std: float = 0.02

    def __post_init__(self) -> None:
        for name in ("n_out", "max_len", "width", "depth", "heads"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.vocab_size is None and self.n_in <= 0:
            raise ValueError(f"n_in must be positive, got {self.n_in}")
        if self.vocab_size is not None and self.vocab_size <= 0:
            raise ValueError(f"vocab_size must be positive, got {self.vocab_size}")
        if self.width % self.heads:
            raise ValueError(f"heads={self.heads} must divide width={self.width}")
        if self.mlp_ratio <= 0:
            raise ValueError(f"mlp_ratio must be positive, got {self.mlp_ratio}")
        if not self.init_std > 0:
            raise ValueError(f"init_std must be positive, got {self.init_std}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def mlp_width(self) -> int:
        return max(1, int(round(self.mlp_ratio * self.width)))

    def num_params(self) -> int:
        """Number of parameters of the model this config builds (with ``bias=True``: exact)."""
        w, m, b = self.width, self.mlp_width, int(self.bias)
        read_in = self.vocab_size * w if self.vocab_size is not None else (self.n_in + b) * w
        attn = (w + b) * 3 * w + (w + b) * w
        mlp = (w + b) * m + (m + b) * w
        block = attn + mlp + 2 * 2 * w  # two LayerNorms
        return read_in + self.max_len * w + self.depth * block + 2 * w + (w + b) * self.n_out

    def flops_per_token(self, seq_len: int) -> float:
        """Forward multiply-adds x2 per token (matmuls only; attention scores included)."""
        w, m = self.width, self.mlp_width
        per_block = 2 * (4 * w * w + 2 * w * m) + 2 * 2 * seq_len * w
        read = 2 * w * (self.n_in if self.vocab_size is None else 0) + 2 * w * self.n_out
        return float(self.depth * per_block + read)


class CausalSelfAttention(nn.Module):
    """Multi-head softmax attention with a causal mask: ``softmax(QKᵀ/√d_h + M) V``."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.heads = cfg.heads
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width, bias=cfg.bias)
        self.proj = nn.Linear(cfg.width, cfg.width, bias=cfg.bias)
        self.dropout = cfg.dropout

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        B, T, W = h.shape
        q, k, v = self.qkv(h).split(W, dim=-1)
        # (B, T, W) -> (B, heads, T, W / heads)
        q, k, v = (t.view(B, T, self.heads, W // self.heads).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0)
        return self.proj(out.transpose(1, 2).reshape(B, T, W))


class MLP(nn.Module):
    """``W_2 GELU(W_1 h)``."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.width, cfg.mlp_width, bias=cfg.bias)
        self.proj = nn.Linear(cfg.mlp_width, cfg.width, bias=cfg.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.proj(F.gelu(self.fc(h)))


class Block(nn.Module):
    """A pre-LN transformer block: ``h + MHA(LN h)``, then ``h + MLP(LN h)``."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln_attn = nn.LayerNorm(cfg.width)
        self.attn = CausalSelfAttention(cfg)
        self.ln_mlp = nn.LayerNorm(cfg.width)
        self.mlp = MLP(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = h + self.drop(self.attn(self.ln_attn(h)))
        return h + self.drop(self.mlp(self.ln_mlp(h)))


class GPT(nn.Module):
    """Causal decoder-only transformer; see the module docstring.

    ``forward(tokens)``: ``tokens`` is ``(B, T, n_in)`` floats (continuous) or ``(B, T)``
    integers (``vocab_size`` set), ``T <= max_len``; returns ``(B, T, n_out)``. The output at
    position ``t`` depends on tokens ``0..t`` only.
    """

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.vocab_size is None:
            self.read_in = nn.Linear(cfg.n_in, cfg.width, bias=cfg.bias)
        else:
            self.read_in = nn.Embedding(cfg.vocab_size, cfg.width)
        self.pos = nn.Parameter(torch.zeros(cfg.max_len, cfg.width))
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.ln_out = nn.LayerNorm(cfg.width)
        self.read_out = nn.Linear(cfg.width, cfg.n_out, bias=cfg.bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2 initialisation: N(0, init_std²) weights (0.02 in GPT-2), zero biases,
        residual projections scaled by 1/√(2·depth)."""
        std = self.cfg.init_std
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=std)
                if getattr(module, "bias", None) is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.pos, std=std)
        for block in self.blocks:
            for proj in (block.attn.proj, block.mlp.proj):
                nn.init.normal_(proj.weight, std=std / math.sqrt(2 * self.cfg.depth))

    def _check(self, tokens: torch.Tensor) -> None:
        cfg = self.cfg
        if not isinstance(tokens, torch.Tensor):
            raise ValueError(f"tokens must be a tensor, got {type(tokens).__name__}")
        if cfg.vocab_size is None:
            if tokens.ndim != 3 or tokens.shape[-1] != cfg.n_in:
                raise ValueError(f"expected continuous tokens of shape (B, T, {cfg.n_in}), "
                                 f"got {tuple(tokens.shape)}")
            if not tokens.is_floating_point():
                raise ValueError(f"continuous tokens must be floating point, got {tokens.dtype}")
        else:
            if tokens.ndim != 2:
                raise ValueError(f"expected token ids of shape (B, T), got {tuple(tokens.shape)}")
            if tokens.is_floating_point() or tokens.is_complex():
                raise ValueError(f"token ids must be integers, got {tokens.dtype}")
        if tokens.shape[0] == 0 or tokens.shape[1] == 0:
            raise ValueError(f"empty batch or sequence: shape {tuple(tokens.shape)}")
        if tokens.shape[1] > cfg.max_len:
            raise ValueError(f"sequence length {tokens.shape[1]} exceeds max_len={cfg.max_len}")

    def forward(self, tokens: torch.Tensor, *, return_hidden: bool = False):
        self._check(tokens)
        T = tokens.shape[1]
        h = self.drop(self.read_in(tokens) + self.pos[:T])
        hidden = [h]
        for block in self.blocks:
            h = block(h)
            hidden.append(h)
        out = self.read_out(self.ln_out(h))
        return (out, hidden) if return_hidden else out
