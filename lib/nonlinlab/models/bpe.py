"""Byte-level BPE tokenizer (GPT-2 family, as used by SmolLM2), in pure Python.

Encoding (identical to the Hugging Face ``tokenizers`` pipeline of SmolLM2):

1. split out special tokens (``<|im_start|>`` ...), which map to their own ids;
2. pre-tokenize: isolate every numeric character (``Digits(individual_digits=True)``), then
   split the rest with the GPT-2 pattern
   ``'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+``;
3. map each piece's UTF-8 bytes to printable characters (GPT-2's ``bytes_to_unicode``);
4. merge adjacent symbols greedily by merge rank until no ranked pair remains;
5. look the symbols up in the vocabulary.

Python's ``re`` has no ``\\p{L}`` / ``\\p{N}``; the exact Unicode classes (general categories
L* and N*) are built once from :mod:`unicodedata` as character ranges. Decoding inverts step 3.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence

import torch


@functools.lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from the 256 byte values to printable unicode characters."""
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
            + list(range(ord("®"), ord("ÿ") + 1)))
    chars = keep[:]
    n = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return dict(zip(keep, (chr(c) for c in chars), strict=True))


def _ranges_to_class(ranges: list[tuple[int, int]]) -> str:
    parts = []
    for a, b in ranges:
        parts.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
    return "".join(parts)


@functools.lru_cache(maxsize=1)
def _unicode_classes() -> tuple[str, str]:
    """Regex class bodies for \\p{L} (letters) and \\p{N} (numbers) of this Python's Unicode."""
    letters: list[tuple[int, int]] = []
    numbers: list[tuple[int, int]] = []
    for target, prefix in ((letters, "L"), (numbers, "N")):
        start = None
        for cp in range(sys.maxunicode + 1):
            inside = unicodedata.category(chr(cp))[0] == prefix
            if inside and start is None:
                start = cp
            elif not inside and start is not None:
                target.append((start, cp - 1))
                start = None
        if start is not None:
            target.append((start, sys.maxunicode))
    return _ranges_to_class(letters), _ranges_to_class(numbers)


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    L, N = _unicode_classes()
    digits = re.compile(f"[{N}]")
    gpt2 = re.compile(
        rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{L}]+| ?[{N}]+| ?[^\s{L}{N}]+|\s+(?!\S)|\s+"
    )
    return digits, gpt2


def pretokenize(text: str, *, individual_digits: bool = True) -> list[str]:
    """Split text into pre-tokens (before byte mapping and merges)."""
    digits, gpt2 = _patterns()
    pieces: list[str] = []
    if individual_digits:
        pos = 0
        chunks = []
        for m in digits.finditer(text):
            if m.start() > pos:
                chunks.append((text[pos:m.start()], False))
            chunks.append((m.group(), True))
            pos = m.end()
        if pos < len(text):
            chunks.append((text[pos:], False))
    else:
        chunks = [(text, False)]
    for chunk, is_digit in chunks:
        if is_digit:
            pieces.append(chunk)
        else:
            pieces.extend(gpt2.findall(chunk))
    return pieces


class BPETokenizer:
    """Byte-level BPE from a token list (index = id) and merges ``"a b"`` in rank order."""

    def __init__(
        self,
        tokens: Sequence[str],
        merges: Sequence[str],
        *,
        special_tokens: Iterable[str] = (),
        bos_token_id: int | None = None,
        eos_token_id: int | None = None,
        pad_token_id: int | None = None,
        individual_digits: bool = True,
    ):
        self.tokens = list(tokens)
        self.vocab = {t: i for i, t in enumerate(self.tokens)}
        if len(self.vocab) != len(self.tokens):
            raise ValueError("duplicate tokens in the vocabulary")
        self.ranks: dict[tuple[str, str], int] = {}
        for r, m in enumerate(merges):
            a, sep, b = m.partition(" ")
            if not sep:
                raise ValueError(f"bad merge rule {m!r} (expected 'left right')")
            self.ranks[(a, b)] = r
        self.special_tokens = [t for t in special_tokens if t in self.vocab]
        self._special_re = (
            re.compile("|".join(re.escape(t) for t in sorted(self.special_tokens, key=len,
                                                               reverse=True)))
            if self.special_tokens else None
        )
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id
        self.pad_token_id = pad_token_id
        self.individual_digits = individual_digits
        self._b2u = bytes_to_unicode()
        self._u2b = {c: b for b, c in self._b2u.items()}
        self._cache: dict[str, tuple[int, ...]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def _bpe(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        symbols = list(word)
        ranks = self.ranks
        while len(symbols) > 1:
            best, best_rank = None, None
            for i in range(len(symbols) - 1):
                r = ranks.get((symbols[i], symbols[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = (symbols[i], symbols[i + 1]), r
            if best is None:
                break
            merged, i = [], 0
            while i < len(symbols):
                if i < len(symbols) - 1 and symbols[i] == best[0] and symbols[i + 1] == best[1]:
                    merged.append(best[0] + best[1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        try:
            ids = tuple(self.vocab[s] for s in symbols)
        except KeyError as err:
            raise ValueError(f"symbol {err.args[0]!r} is not in the vocabulary") from err
        self._cache[word] = ids
        return ids

    def _encode_ordinary(self, text: str, out: list[int]) -> None:
        b2u = self._b2u
        for piece in pretokenize(text, individual_digits=self.individual_digits):
            word = "".join(b2u[b] for b in piece.encode("utf-8"))
            out.extend(self._bpe(word))

    def encode(self, text: str, *, allow_special: bool = True) -> list[int]:
        """Token ids of ``text`` (no BOS/EOS added; SmolLM2 adds none)."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        out: list[int] = []
        if allow_special and self._special_re is not None:
            pos = 0
            for m in self._special_re.finditer(text):
                if m.start() > pos:
                    self._encode_ordinary(text[pos:m.start()], out)
                out.append(self.vocab[m.group()])
                pos = m.end()
            if pos < len(text):
                self._encode_ordinary(text[pos:], out)
        else:
            self._encode_ordinary(text, out)
        return out

    def encode_tensor(self, text: str, *, device=None) -> torch.Tensor:
        """``encode`` as a (1, T) int64 tensor."""
        return torch.tensor([self.encode(text)], dtype=torch.long, device=device)

    def decode(self, ids, *, skip_special: bool = False) -> str:
        """Text of ``ids`` (list / tensor); invalid UTF-8 is replaced by U+FFFD."""
        if isinstance(ids, torch.Tensor):
            ids = ids.reshape(-1).tolist()
        special = set(self.special_tokens)
        parts: list[bytes] = []
        buf: list[int] = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.tokens):
                raise ValueError(f"token id {i} outside the vocabulary (size {len(self.tokens)})")
            tok = self.tokens[i]
            if tok in special:
                if buf:
                    parts.append(bytes(buf))
                    buf = []
                if not skip_special:
                    parts.append(tok.encode("utf-8"))
                continue
            buf.extend(self._u2b[c] for c in tok)
        if buf:
            parts.append(bytes(buf))
        return b"".join(parts).decode("utf-8", errors="replace")

    def __call__(self, text: str) -> list[int]:
        return self.encode(text)
