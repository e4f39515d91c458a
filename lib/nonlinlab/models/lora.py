"""Low-rank adaptation (LoRA, Hu et al. 2021) of the attention projections of our Llama.

``W x`` becomes ``W x + (alpha / r) B A x`` with ``W`` frozen, ``A`` (r x d_in) drawn like peft's
default (Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(d_in), 1/sqrt(d_in))) and ``B = 0``,
so an adapted model starts exactly at the base model. Shared by the linearization chapters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

ATTENTION_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj")


class LoRALinear(nn.Module):
    """``base(x) + (alpha / rank) * x Aᵀ Bᵀ`` around a frozen ``nn.Linear`` (``alpha``
    defaults to ``rank``, i.e. scaling 1). ``generator`` draws ``A`` (CPU generator; default:
    torch's global one)."""

    def __init__(self, base: nn.Linear, rank: int = 8, alpha: float | None = None, *,
                 generator: torch.Generator | None = None):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"LoRA wraps an nn.Linear, got {type(base).__name__}")
        if rank < 1:
            raise ValueError(f"LoRA rank must be >= 1, got {rank}")
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        w = base.weight
        self.rank = rank
        self.alpha = float(rank if alpha is None else alpha)
        self.scaling = self.alpha / rank
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features, dtype=w.dtype,
                                               device=w.device))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank, dtype=w.dtype,
                                               device=w.device))
        bound = 1.0 / math.sqrt(base.in_features)  # kaiming_uniform_(a=sqrt(5)) bound
        with torch.no_grad():
            u = torch.rand(rank, base.in_features, generator=generator, dtype=torch.float32)
            self.lora_A.copy_((u * 2 - 1) * bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling

    def merged_weight(self) -> torch.Tensor:
        """The adapted weight ``W + (alpha / r) B A``."""
        return self.base.weight + self.scaling * self.lora_B @ self.lora_A


def add_lora(model, layers: Iterable[int], rank: int = 8, alpha: float | None = None, *,
             targets: Iterable[str] = ATTENTION_PROJECTIONS, seed: int | None = None,
             freeze: bool = False) -> list[nn.Parameter]:
    """Wrap ``targets`` of the attention of ``layers`` in LoRA; returns the new parameters.
    ``freeze=True`` first stops gradients to every existing parameter of the model; ``seed``
    gives the adapters their own generator (else torch's global one)."""
    if freeze:
        model.requires_grad_(False)
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    params = []
    for i in layers:
        attn = model.layers[i].self_attn
        for name in targets:
            lin = getattr(attn, name)
            if isinstance(lin, LoRALinear):
                raise ValueError(f"layer {i} {name} already has LoRA; call remove_lora first")
            mod = LoRALinear(lin, rank, alpha, generator=gen)
            setattr(attn, name, mod)
            params += [mod.lora_A, mod.lora_B]
    return params


def remove_lora(model) -> None:
    """Unwrap every LoRA adapter of the attention projections (base weights untouched)."""
    for layer in model.layers:
        attn = layer.self_attn
        for name in ATTENTION_PROJECTIONS:
            mod = getattr(attn, name)
            if isinstance(mod, LoRALinear):
                setattr(attn, name, mod.base)


def lora_param_count(model, layers: Iterable[int], rank: int,
                     targets: Iterable[str] = ATTENTION_PROJECTIONS) -> int:
    """Closed form: ``rank * (d_in + d_out)`` per adapted matrix."""
    n = 0
    for i in layers:
        for name in targets:
            lin = getattr(model.layers[i].self_attn, name)
            lin = lin.base if isinstance(lin, LoRALinear) else lin
            n += rank * (lin.in_features + lin.out_features)
    return n
