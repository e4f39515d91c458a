"""A small Llama (SmolLM2-compatible) with pluggable attention.

Architecture (pre-norm decoder, as in Llama / SmolLM2):

    h = x + o_proj( kernel( RoPE(q_proj(n1)), RoPE(k_proj(n1)), v_proj(n1) ) ),  n1 = RMSNorm(x)
    y = h + down_proj( SiLU(gate_proj(n2)) * up_proj(n2) ),                     n2 = RMSNorm(h)

RMSNorm(x) = w * x / sqrt(mean(x^2) + eps); RoPE rotates feature pairs (i, i + D/2) of each head
by angle ``pos * theta^(-2i/D)`` (the "rotate-half" layout of the HF checkpoints); grouped-query
attention shares each k/v head among ``n_heads / n_kv_heads`` query heads; the output head is
tied to the token embedding.

Module and parameter names follow the Hugging Face Llama checkpoints without their ``model.``
prefix (``layers.3.self_attn.q_proj.weight`` ...), so state dicts map one-to-one.

The attention *mixing* is delegated to an :class:`~nonlinlab.models.attention.AttentionKernel`
(softmax by default). ``model.set_attention(factory, layers=...)`` swaps kernels, and
``model.record_attention(...)`` captures per-layer q, k, v, outputs (and weights) for
distillation. ``model.set_mlp(factory, layers=...)`` swaps the feed-forward block (e.g. another
activation), SwiGLU being the default.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .attention import AttentionInputs, AttentionKernel, SoftmaxAttention


@dataclass(frozen=True)
class LlamaConfig:
    """Sizes of a Llama model. Defaults are SmolLM2-135M."""

    vocab_size: int = 49152
    d_model: int = 576
    n_layers: int = 30
    n_heads: int = 9
    n_kv_heads: int = 3
    d_ff: int = 1536
    rope_theta: float = 100000.0
    norm_eps: float = 1e-5
    tie_embeddings: bool = True
    max_seq_len: int = 8192
    init_std: float = 0.02

    def __post_init__(self):
        for name in ("vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "d_ff"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"LlamaConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"n_heads={self.n_heads} is not divisible by n_kv_heads={self.n_kv_heads}"
            )
        if self.head_dim % 2:
            raise ValueError(f"head_dim={self.head_dim} must be even for RoPE")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)


SMOLLM2_135M = LlamaConfig()


def rms_norm(x: torch.Tensor, eps: float) -> torch.Tensor:
    """``x / sqrt(mean(x², last dim) + eps)``: RMSNorm without a gain, in ``x``'s dtype."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * rms_norm(x.float(), self.eps).to(x.dtype)


def rope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float, dtype=torch.float32):
    """cos, sin tables (T, D) for positions (T,), rotate-half layout, computed in float32."""
    inv_freq = 1.0 / (
        theta ** (torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32)
                  / head_dim)
    )
    ang = positions.float()[:, None] * inv_freq[None, :]
    ang = torch.cat([ang, ang], dim=-1)
    return ang.cos().to(dtype), ang.sin().to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate (B, H, T, D) by the (T, D) tables."""
    return x * cos + rotate_half(x) * sin


class LlamaAttention(nn.Module):
    def __init__(self, config: LlamaConfig, layer_idx: int):
        super().__init__()
        self.layer_idx = layer_idx
        self.n_heads = config.n_heads
        self.n_kv_heads = config.n_kv_heads
        self.head_dim = config.head_dim
        D = self.head_dim
        self.q_proj = nn.Linear(config.d_model, self.n_heads * D, bias=False)
        self.k_proj = nn.Linear(config.d_model, self.n_kv_heads * D, bias=False)
        self.v_proj = nn.Linear(config.d_model, self.n_kv_heads * D, bias=False)
        self.o_proj = nn.Linear(self.n_heads * D, config.d_model, bias=False)
        self.kernel: AttentionKernel = SoftmaxAttention()
        self.recorder: Callable | None = None

    def inputs(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> AttentionInputs:
        """The q, k, v (with and without RoPE) that the kernel sees, for normed input x."""
        B, T, _ = x.shape
        D = self.head_dim
        q = self.q_proj(x).view(B, T, self.n_heads, D).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.n_kv_heads, D).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.n_kv_heads, D).transpose(1, 2)
        return AttentionInputs(
            q=apply_rope(q, cos, sin), k=apply_rope(k, cos, sin), v=v, q_nope=q, k_nope=k,
            hidden=x, layer_idx=self.layer_idx, scale=D**-0.5,
            n_rep=self.n_heads // self.n_kv_heads,
        )

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        ins = self.inputs(x, cos, sin)
        y = self.kernel(ins)  # (B, H, T, D)
        if self.recorder is not None:
            self.recorder(self, ins, y)
        B, T, _ = x.shape
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.n_heads * self.head_dim))


class LlamaMLP(nn.Module):
    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.up_proj = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.down_proj = nn.Linear(config.d_ff, config.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaBlock(nn.Module):
    def __init__(self, config: LlamaConfig, layer_idx: int):
        super().__init__()
        self.input_layernorm = RMSNorm(config.d_model, config.norm_eps)
        self.self_attn = LlamaAttention(config, layer_idx)
        self.post_attention_layernorm = RMSNorm(config.d_model, config.norm_eps)
        self.mlp = LlamaMLP(config)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class AttentionRecord(dict):
    """``{layer_idx: {"q", "k", "v", "q_nope", "k_nope", "hidden", "out", "weights"?}}``.

    Shapes: q/q_nope (B, H, T, D), k/k_nope/v (B, H_kv, T, D) (not repeated), hidden
    (B, T, d_model), out (B, H, T, D) = kernel output before o_proj, weights (B, H, T, T).
    Each entry also holds ``layer_idx``, ``scale`` and ``n_rep``. Filled by
    :meth:`Llama.record_attention`; one forward pass per record (a second pass overwrites).
    """

    def inputs(self, layer: int) -> AttentionInputs:
        """Rebuild the :class:`AttentionInputs` of ``layer`` to run any kernel on them offline
        (e.g. distil a student kernel against ``record[layer]["out"]`` without the model)."""
        if layer not in self:
            raise KeyError(f"layer {layer} was not recorded (recorded: {sorted(self)})")
        e = self[layer]
        missing = [k for k in ("q", "k", "v", "q_nope", "k_nope", "hidden") if k not in e]
        if missing:
            raise KeyError(f"record lacks {missing}; record with the default keys")
        return AttentionInputs(q=e["q"], k=e["k"], v=e["v"], q_nope=e["q_nope"],
                               k_nope=e["k_nope"], hidden=e["hidden"], layer_idx=e["layer_idx"],
                               scale=e["scale"], n_rep=e["n_rep"])


class Llama(nn.Module):
    """Llama decoder with tied embeddings and swappable attention kernels."""

    def __init__(self, config: LlamaConfig = SMOLLM2_135M):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)
        self.layers = nn.ModuleList(LlamaBlock(config, i) for i in range(config.n_layers))
        self.norm = RMSNorm(config.d_model, config.norm_eps)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.reset_parameters()

    # ---------------------------------------------------------------- init and properties
    def reset_parameters(self) -> None:
        """Random init for training from scratch: N(0, init_std) weights, unit norms."""
        std = self.config.init_std
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, std)
            elif isinstance(m, RMSNorm):
                nn.init.ones_(m.weight)
        self.tie_weights()

    def tie_weights(self) -> None:
        if self.config.tie_embeddings:
            self.lm_head.weight = self.embed_tokens.weight

    @property
    def device(self) -> torch.device:
        return self.embed_tokens.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.embed_tokens.weight.dtype

    def num_parameters(self) -> int:
        """Distinct parameters (tied weights counted once)."""
        return sum(p.numel() for p in {id(p): p for p in self.parameters()}.values())

    # ---------------------------------------------------------------- forward
    def rope(self, T: int, positions: torch.Tensor | None = None):
        if positions is None:
            positions = torch.arange(T, device=self.device)
        return rope_cos_sin(positions, self.config.head_dim, self.config.rope_theta,
                            dtype=self.dtype)

    def _check_ids(self, input_ids: torch.Tensor) -> torch.Tensor:
        if not isinstance(input_ids, torch.Tensor) or input_ids.dtype not in (
            torch.int64, torch.int32,
        ):
            raise ValueError("input_ids must be an integer tensor of shape (B, T) or (T,)")
        if input_ids.dim() == 1:
            input_ids = input_ids[None]
        if input_ids.dim() != 2 or input_ids.shape[1] == 0:
            raise ValueError(f"input_ids must have shape (B, T) with T >= 1, got {input_ids.shape}")
        return input_ids.to(self.device)

    def hidden_states(self, input_ids: torch.Tensor, positions=None) -> torch.Tensor:
        """Final normed hidden states (B, T, d_model)."""
        input_ids = self._check_ids(input_ids)
        cos, sin = self.rope(input_ids.shape[1], positions)
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = layer(x, cos, sin)
        return self.norm(x)

    def forward(self, input_ids: torch.Tensor, positions=None) -> torch.Tensor:
        """Logits (B, T, vocab)."""
        return self.lm_head(self.hidden_states(input_ids, positions))

    def loss(self, input_ids: torch.Tensor, targets: torch.Tensor | None = None,
             reduction: str = "mean") -> torch.Tensor:
        """Next-token cross-entropy (nats). Default targets: ``input_ids`` shifted by one."""
        input_ids = self._check_ids(input_ids)
        if targets is None:
            inp, targets = input_ids[:, :-1], input_ids[:, 1:]
            if inp.shape[1] == 0:
                raise ValueError("need at least 2 tokens to compute a next-token loss")
        else:
            inp = input_ids
            targets = targets.to(self.device)
            if targets.dim() == 1:
                targets = targets[None]
        logits = self(inp)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1),
                               reduction=reduction)

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, max_new_tokens: int = 16,
                 eos_token_id: int | None = None) -> torch.Tensor:
        """Greedy decoding; recomputes the whole prefix each step (fine for short prompts)."""
        if max_new_tokens < 0:
            raise ValueError("max_new_tokens must be >= 0")
        ids = self._check_ids(input_ids)
        for _ in range(max_new_tokens):
            nxt = self(ids)[:, -1].argmax(-1, keepdim=True)
            ids = torch.cat([ids, nxt], dim=1)
            if eos_token_id is not None and bool((nxt == eos_token_id).all()):
                break
        return ids

    # ---------------------------------------------------------------- attention plumbing
    def _layer_indices(self, layers: Iterable[int] | None) -> list[int]:
        n = len(self.layers)
        if layers is None:
            return list(range(n))
        out = []
        for i in layers:
            i = int(i)
            if not -n <= i < n:
                raise ValueError(f"layer index {i} out of range for {n} layers")
            out.append(i % n)
        return out

    def attention_kernels(self) -> list[AttentionKernel]:
        return [layer.self_attn.kernel for layer in self.layers]

    def set_attention(self, kernel, layers: Iterable[int] | None = None) -> list[AttentionKernel]:
        """Install attention kernels in ``layers`` (default all); returns the installed kernels.

        ``kernel`` is either a factory ``f(layer_idx, config) -> AttentionKernel`` (one fresh
        kernel per layer, needed when it has parameters) or a parameter-free kernel instance
        shared by the layers. New kernels are moved to the model's device (and floating dtype).
        """
        installed = []
        for i in self._layer_indices(layers):
            if isinstance(kernel, AttentionKernel):
                if any(True for _ in kernel.parameters()) and len(self._layer_indices(layers)) > 1:
                    raise ValueError(
                        "a kernel with parameters would be shared by several layers; pass a "
                        "factory `lambda layer_idx, config: Kernel(...)` instead"
                    )
                k = kernel
            elif callable(kernel):
                k = kernel(i, self.config)
                if not isinstance(k, AttentionKernel):
                    raise ValueError(f"the factory returned {type(k).__name__}, not an "
                                     "AttentionKernel")
            else:
                raise ValueError("kernel must be an AttentionKernel or a factory returning one")
            k = k.to(self.device)
            if any(p.is_floating_point() for p in k.parameters()):
                k = k.to(self.dtype)
            self.layers[i].self_attn.kernel = k
            installed.append(k)
        return installed

    def set_mlp(self, factory: Callable[[int, LlamaConfig], nn.Module],
                layers: Iterable[int] | None = None) -> list[nn.Module]:
        """Replace the feed-forward block of ``layers`` (default all); returns the new blocks.

        ``factory(layer_idx, config)`` must return a fresh module mapping ``(..., d_model)`` to
        ``(..., d_model)`` (e.g. a non-gated FFN with another activation). It is moved to the
        model's device and floating dtype; its weights are kept as built (call
        :meth:`reset_parameters` to re-initialise every Linear with ``init_std``).
        """
        if not callable(factory) or isinstance(factory, nn.Module):
            raise ValueError("set_mlp needs a factory `lambda layer_idx, config: nn.Module`")
        installed = []
        for i in self._layer_indices(layers):
            m = factory(i, self.config)
            if not isinstance(m, nn.Module):
                raise ValueError(f"the factory returned {type(m).__name__}, not an nn.Module")
            m = m.to(self.device)
            if any(p.is_floating_point() for p in m.parameters()):
                m = m.to(self.dtype)
            self.layers[i].mlp = m
            installed.append(m)
        return installed

    def reset_attention(self, layers: Iterable[int] | None = None) -> None:
        """Back to exact softmax attention."""
        self.set_attention(SoftmaxAttention(), layers)

    @contextlib.contextmanager
    def record_attention(self, layers: Iterable[int] | None = None, *, weights: bool = False,
                         detach: bool = True, keys=("q", "k", "v", "q_nope", "k_nope", "hidden",
                                                    "out")):
        """Capture per-layer attention inputs/outputs during forward passes inside the block.

        >>> with model.record_attention(layers=[0, 5], weights=True) as rec:
        ...     model(ids)
        >>> rec[5]["q"].shape, rec[5]["weights"].shape   # (B, H, T, D), (B, H, T, T)

        ``weights=True`` also stores the kernel's explicit attention matrix (T x T memory).
        ``detach=False`` keeps the autograd graph (e.g. to train through captured tensors).
        """
        record = AttentionRecord()
        idx = self._layer_indices(layers)

        def recorder(attn: LlamaAttention, ins: AttentionInputs, out: torch.Tensor):
            def keep(t):
                return t.detach() if detach else t

            entry = {name: keep(out if name == "out" else getattr(ins, name)) for name in keys}
            entry.update(layer_idx=ins.layer_idx, scale=ins.scale, n_rep=ins.n_rep)
            if weights:
                entry["weights"] = keep(attn.kernel.attention_weights(ins))
            record[attn.layer_idx] = entry

        for i in idx:
            self.layers[i].self_attn.recorder = recorder
        try:
            yield record
        finally:
            for i in idx:
                self.layers[i].self_attn.recorder = None
