"""Offline English text corpora, tokenized, with a fixed train/validation split.

Corpora (documents are split, never shuffled; the split is deterministic):

* ``"pydoc"`` (default, zero-install): Python's own documentation topics,
  ``pydoc_data.topics.topics`` (79 topics, about 465 k characters on Python 3.11; the text
  changes slightly between Python versions -- :func:`corpus_info` reports a checksum).
* ``"austen"`` (optional, full profile): Jane Austen's six novels (about 4 M characters) from
  the Debian package ``r-cran-janeaustenr``. Needs ``apt-get download`` + ``dpkg-deb`` once
  (no R, no root install); the R lazy-load database is read by a small built-in reader of R's
  XDR serialization. Set ``NONLINLAB_AUSTEN_DIR`` to an already extracted package folder to
  skip apt.

Split: the last ``val_fraction`` of each document's characters (cut at a line break) is
validation, the rest training -- every document contributes to both, and no text is shared.
Tokenized documents are joined with ``<|endoftext|>`` (or the tokenizer's EOS id, if any).

Tokenizers: ``"smollm2"`` (the SmolLM2 byte-level BPE, vocabulary 49152) or ``"bytes"`` (UTF-8
bytes, vocabulary 256, for small models trained from scratch), or any object with ``encode``.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import hashlib
import lzma
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import torch

CORPORA = ("pydoc", "austen")
AUSTEN_DEB = "r-cran-janeaustenr"
AUSTEN_BOOKS = (  # R object name -> title, in publication order
    ("sensesensibility", "Sense & Sensibility"), ("prideprejudice", "Pride & Prejudice"),
    ("mansfieldpark", "Mansfield Park"), ("emma", "Emma"),
    ("northangerabbey", "Northanger Abbey"), ("persuasion", "Persuasion"),
)


# ------------------------------------------------------------------------------ documents


def pydoc_documents() -> list[tuple[str, str]]:
    """``(topic, text)`` pairs from ``pydoc_data.topics``, sorted by topic name."""
    from pydoc_data.topics import topics

    return [(k, topics[k]) for k in sorted(topics)]


def austen_documents(folder: str | Path | None = None) -> list[tuple[str, str]]:
    """``(title, text)`` for the six novels (lines joined with newlines)."""
    rdata_dir = _austen_rdata_dir(folder)
    objects = read_r_lazyload(rdata_dir / "Rdata", names=[n for n, _ in AUSTEN_BOOKS])
    docs = []
    for name, title in AUSTEN_BOOKS:
        lines = objects[name]
        docs.append((title, "\n".join("" if line is None else line for line in lines)))
    return docs


def _austen_rdata_dir(folder) -> Path:
    rel = Path("usr/lib/R/site-library/janeaustenr/data")
    candidates = []
    if folder is not None:
        candidates.append(Path(folder))
    if os.environ.get("NONLINLAB_AUSTEN_DIR"):
        candidates.append(Path(os.environ["NONLINLAB_AUSTEN_DIR"]))
    cache = Path(os.environ.get("NONLINLAB_CACHE", Path.home() / ".cache" / "nonlinlab"))
    candidates.append(cache / "janeaustenr")
    for c in candidates:
        for d in (c, c / rel):
            if (d / "Rdata.rdx").is_file():
                return d
    target = cache / "janeaustenr"
    _fetch_austen_deb(target)
    return target / rel


def _fetch_austen_deb(target: Path) -> None:
    apt, dpkg = shutil.which("apt-get"), shutil.which("dpkg-deb")
    if apt is None or dpkg is None:
        raise FileNotFoundError(
            "the Austen corpus needs the Debian package r-cran-janeaustenr: on a Debian/Ubuntu "
            "machine run `apt-get download r-cran-janeaustenr && dpkg-deb -x "
            "r-cran-janeaustenr_*.deb DIR` and set NONLINLAB_AUSTEN_DIR=DIR (or use the "
            "default corpus 'pydoc')"
        )
    with tempfile.TemporaryDirectory() as tmp:
        res = subprocess.run([apt, "download", AUSTEN_DEB], cwd=tmp, capture_output=True,
                             text=True, timeout=300)
        debs = list(Path(tmp).glob(f"{AUSTEN_DEB}_*.deb"))
        if res.returncode != 0 or not debs:
            raise FileNotFoundError(
                f"`apt-get download {AUSTEN_DEB}` failed ({res.stderr.strip()[-300:]}); try "
                "`apt-get update` first, or use the default corpus 'pydoc'"
            )
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run([dpkg, "-x", str(debs[0]), str(target)], check=True, timeout=300)


def load_documents(name: str = "pydoc") -> list[tuple[str, str]]:
    if name == "pydoc":
        return pydoc_documents()
    if name == "austen":
        return austen_documents()
    raise ValueError(f"unknown corpus {name!r}; choose one of {CORPORA}")


def split_document(text: str, val_fraction: float) -> tuple[str, str]:
    """(train, val): the last ``val_fraction`` of the characters, cut after a newline."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction}")
    if val_fraction == 0.0:
        return text, ""
    cut = int(round(len(text) * (1.0 - val_fraction)))
    nl = text.find("\n", cut)
    cut = nl + 1 if nl != -1 and nl + 1 < len(text) else cut
    return text[:cut], text[cut:]


# ------------------------------------------------------------------------------ tokenizers


class ByteTokenizer:
    """UTF-8 bytes as tokens (vocabulary 256, no special tokens)."""

    vocab_size = 256
    eos_token_id = None

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids) -> str:
        if isinstance(ids, torch.Tensor):
            ids = ids.reshape(-1).tolist()
        return bytes(int(i) for i in ids).decode("utf-8", errors="replace")


def get_tokenizer(tokenizer="smollm2"):
    if tokenizer == "bytes":
        return ByteTokenizer()
    if tokenizer == "smollm2":
        from nonlinlab.models.smollm2 import load_smollm2_tokenizer

        return load_smollm2_tokenizer()
    if hasattr(tokenizer, "encode"):
        return tokenizer
    raise ValueError("tokenizer must be 'smollm2', 'bytes' or an object with .encode(text)")


# ------------------------------------------------------------------------------ corpus


@dataclass
class TokenCorpus:
    """Token ids of a corpus: ``train`` and ``val`` are 1-D int64 tensors."""

    name: str
    train: torch.Tensor
    val: torch.Tensor
    vocab_size: int
    info: dict = field(default_factory=dict)
    tokenizer: object = None

    def split(self, which: str) -> torch.Tensor:
        if which not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {which!r}")
        return self.train if which == "train" else self.val

    def blocks(self, which: str, length: int, n_blocks: int | None = None,
               stride: int | None = None) -> torch.Tensor:
        """Fixed-length blocks (N, length) of one split; see :func:`token_blocks`."""
        return token_blocks(self.split(which), length, n_blocks=n_blocks, stride=stride)

    def random_blocks(self, which: str, batch: int, length: int,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """``batch`` random windows (batch, length) of one split; see :func:`random_blocks`."""
        return random_blocks(self.split(which), batch, length, generator=generator)


def token_blocks(ids: torch.Tensor, length: int, *, n_blocks: int | None = None,
                 stride: int | None = None) -> torch.Tensor:
    """Consecutive windows ``ids[i*stride : i*stride + length]`` as a (N, length) view.

    ``stride`` defaults to ``length`` (non-overlapping); ``n_blocks`` keeps the first N. For
    next-token training with inputs and targets of length L use ``length = L + 1``.
    """
    if ids.dim() != 1:
        raise ValueError(f"ids must be 1-D, got shape {tuple(ids.shape)}")
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    stride = length if stride is None else stride
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    available = 0 if ids.numel() < length else (ids.numel() - length) // stride + 1
    if n_blocks is not None:
        if n_blocks > available:
            raise ValueError(f"asked for {n_blocks} blocks of {length} tokens (stride {stride}) "
                             f"but the split has {ids.numel()} tokens ({available} blocks)")
        available = n_blocks
    if available == 0:
        raise ValueError(f"the split has {ids.numel()} tokens, fewer than one block of {length}")
    return ids.unfold(0, length, stride)[:available]


def random_blocks(ids: torch.Tensor, batch: int, length: int, *,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """``batch`` windows of ``length`` tokens at uniform random offsets (batch, length)."""
    if ids.dim() != 1 or ids.numel() < length:
        raise ValueError(f"need a 1-D tensor of at least {length} tokens, got {tuple(ids.shape)}")
    starts = torch.randint(0, ids.numel() - length + 1, (batch,), generator=generator)
    return ids[starts[:, None] + torch.arange(length)[None, :]]


def document_separator_id(tok) -> int | None:
    """Id placed between documents: ``<|endoftext|>`` if the vocabulary has it, else EOS."""
    vocab = getattr(tok, "vocab", None)
    if isinstance(vocab, dict) and "<|endoftext|>" in vocab:
        return int(vocab["<|endoftext|>"])
    eos = getattr(tok, "eos_token_id", None)
    return None if eos is None else int(eos)


def _encode_docs(texts, tok) -> torch.Tensor:
    eos = document_separator_id(tok)
    out: list[int] = []
    for text in texts:
        if not text:
            continue
        if out and eos is not None:
            out.append(eos)
        out.extend(tok.encode(text))
    return torch.tensor(out, dtype=torch.long)


@functools.lru_cache(maxsize=8)
def _load_corpus_cached(name, tokenizer, val_fraction):
    return _load_corpus(name, tokenizer, val_fraction)


def _load_corpus(name, tokenizer, val_fraction) -> TokenCorpus:
    tok = get_tokenizer(tokenizer)
    docs = load_documents(name)
    parts = [split_document(text, val_fraction) for _, text in docs]
    train_text = [a for a, _ in parts]
    val_text = [b for _, b in parts]
    raw = "\x00".join(text for _, text in docs).encode("utf-8")
    info = dict(
        corpus=name, documents=len(docs), characters=sum(len(t) for _, t in docs),
        train_characters=sum(map(len, train_text)), val_characters=sum(map(len, val_text)),
        sha256=hashlib.sha256(raw).hexdigest()[:16], val_fraction=val_fraction,
        tokenizer=tokenizer if isinstance(tokenizer, str) else type(tokenizer).__name__,
    )
    train, val = _encode_docs(train_text, tok), _encode_docs(val_text, tok)
    info.update(train_tokens=int(train.numel()), val_tokens=int(val.numel()))
    vocab = int(getattr(tok, "vocab_size", 0) or (int(max(train.max(), val.max())) + 1))
    return TokenCorpus(name=name, train=train, val=val, vocab_size=vocab, info=info,
                       tokenizer=tok)


def load_corpus(name: str = "pydoc", tokenizer="smollm2", val_fraction: float = 0.1
                ) -> TokenCorpus:
    """Tokenized corpus with its fixed split (cached per process for named tokenizers).

    >>> corpus = load_corpus("pydoc", tokenizer="smollm2")
    >>> x = corpus.blocks("val", 257, n_blocks=4)  # (4, 257): inputs x[:, :-1], targets x[:, 1:]
    """
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; choose one of {CORPORA}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    if isinstance(tokenizer, str):
        return _load_corpus_cached(name, tokenizer, float(val_fraction))
    return _load_corpus(name, tokenizer, float(val_fraction))


def corpus_info(name: str = "pydoc", tokenizer="smollm2", val_fraction: float = 0.1) -> dict:
    return dict(load_corpus(name, tokenizer, val_fraction).info)


def unigram_log_loss(train: torch.Tensor, val: torch.Tensor, vocab_size: int,
                     alpha: float = 1.0) -> float:
    """Cross-entropy (nats/token) on ``val`` of an add-``alpha`` unigram model fit on ``train``."""
    counts = torch.bincount(train, minlength=vocab_size).double() + alpha
    logp = counts.log() - counts.sum().log()
    return float(-logp[val].mean())


# ------------------------------------------------------------------------------ R lazy-load


def read_r_lazyload(base: str | Path, names=None) -> dict[str, object]:
    """Objects of an R lazy-load database ``base.rdx`` / ``base.rdb`` (no R needed).

    Supports what data packages store: character / integer / logical / double vectors and
    lists (attributes are read and dropped). ``names`` restricts which variables are read.
    """
    base = Path(base)
    index = _r_unserialize(_r_decompress_any(base.with_suffix(".rdx").read_bytes()))
    variables = index["variables"]
    compressed = index.get("compressed", True)
    if isinstance(compressed, list):
        compressed = compressed[0]
    rdb = base.with_suffix(".rdb").read_bytes()
    out = {}
    for name, (offset, length) in variables.items():
        if names is not None and name not in names:
            continue
        blob = rdb[int(offset):int(offset) + int(length)]
        out[name] = _r_unserialize(_r_decompress_record(blob, compressed))
    missing = set(names or ()) - set(out)
    if missing:
        raise KeyError(f"objects {sorted(missing)} not in {base}")
    return out


def _r_decompress_any(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return _r_decompress_record(data, True)


def _r_decompress_record(blob: bytes, compressed) -> bytes:
    (n,) = struct.unpack(">I", blob[:4])
    if compressed is True or compressed == 1:
        out = zlib.decompress(blob[4:])
    else:
        kind, body = blob[4:5], blob[5:]
        if kind == b"Z":
            out = lzma.decompress(body)
        elif kind == b"2":
            out = bz2.decompress(body)
        elif kind == b"1":
            out = zlib.decompress(body)
        elif kind == b"0":
            out = body
        else:
            raise ValueError(f"unknown R compression type {kind!r}")
    if len(out) != n:
        raise ValueError("corrupt R lazy-load record (length mismatch)")
    return out


def _r_unserialize(data: bytes):
    """Minimal reader of R's XDR serialization (format 'X', versions 2 and 3)."""
    if data[:2] != b"X\n":
        raise ValueError("only R's XDR serialization format is supported")
    pos = 2
    version, _, _ = struct.unpack_from(">iii", data, pos)
    pos += 12
    if version == 3:
        (nelen,) = struct.unpack_from(">i", data, pos)
        pos += 4 + nelen
    elif version != 2:
        raise ValueError(f"unsupported R serialization version {version}")
    refs: list = []

    def ints(n):
        nonlocal pos
        vals = struct.unpack_from(f">{n}i", data, pos)
        pos += 4 * n
        return vals

    def length():
        (n,) = ints(1)
        if n == -1:
            hi, lo = ints(2)
            n = (hi << 32) + lo
        return n

    def item():
        nonlocal pos
        (flags,) = ints(1)
        typ = flags & 0xFF
        has_attr, has_tag = flags & (1 << 9), flags & (1 << 10)
        if typ == 254:  # NILVALUE
            return None
        if typ in (253, 252, 251, 242, 241, 247):  # global/unbound/missing/empty/base envs
            return None
        if typ == 255:  # REFSXP
            idx = flags >> 8
            if idx == 0:
                (idx,) = ints(1)
            return refs[idx - 1]
        if typ == 1:  # SYMSXP
            name = item()
            refs.append(name)
            return name
        if typ == 9:  # CHARSXP
            (n,) = ints(1)
            if n == -1:
                return None
            s = data[pos:pos + n]
            pos += n
            return s.decode("latin-1" if flags & (1 << 14) else "utf-8", errors="replace")
        if typ == 2:  # LISTSXP (pairlist) -> dict (tagged) or list
            items, tags = [], []
            while True:
                if has_attr:
                    item()
                tags.append(item() if has_tag else None)
                items.append(item())
                (flags,) = ints(1)
                typ = flags & 0xFF
                if typ != 2:
                    pos -= 4
                    item()  # terminating NILVALUE (or improper tail)
                    break
                has_attr, has_tag = flags & (1 << 9), flags & (1 << 10)
            if all(t is not None for t in tags):
                return dict(zip(tags, items, strict=True))
            return items
        if typ in (10, 13):  # LGLSXP, INTSXP
            n = length()
            vals = list(ints(n))
            vals = [None if v == -2147483648 else (bool(v) if typ == 10 else v) for v in vals]
        elif typ == 14:  # REALSXP
            n = length()
            vals = list(struct.unpack_from(f">{n}d", data, pos))
            pos += 8 * n
        elif typ == 16:  # STRSXP
            vals = [item() for _ in range(length())]
        elif typ == 19:  # VECSXP
            vals = [item() for _ in range(length())]
        else:
            raise ValueError(f"R object type {typ} is not supported by this minimal reader")
        if has_attr:
            attrs = item()
            if typ == 19 and isinstance(attrs, dict) and isinstance(attrs.get("names"), list):
                return dict(zip(attrs["names"], vals, strict=True))
        return vals

    return item()
