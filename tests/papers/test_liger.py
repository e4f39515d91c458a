"""Oracles for the Liger chapter (Lan et al. 2025): exact, float64, tiny random Llama."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nonlinlab.core import BUDGET_S
from nonlinlab.models.attention import AttentionInputs, SoftmaxAttention
from nonlinlab.models.linear_attention import causal_linear_attention
from nonlinlab.models.llama import Llama, LlamaConfig
from nonlinlab.papers import liger

TINY = LlamaConfig(vocab_size=50, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=48)


def _gla_inputs(T=40, H=3, Fd=8, Dv=5, seed=0, gate_scale=3.0):
    g = torch.Generator().manual_seed(seed)
    q = torch.softmax(torch.randn(2, H, T, Fd, generator=g, dtype=torch.float64), -1)
    k = torch.softmax(torch.randn(2, H, T, Fd, generator=g, dtype=torch.float64), -1)
    v = torch.randn(2, H, T, Dv, generator=g, dtype=torch.float64)
    la = F.logsigmoid(gate_scale * torch.randn(2, H, T, Fd, generator=g,
                                               dtype=torch.float64)) / 16
    return q, k, v, la


def _tiny_model(seed=0):
    torch.manual_seed(seed)
    return Llama(TINY).double().eval()


# -- gate from the keys --------------------------------------------------------------------
def test_pool_is_identity_for_gla_and_averages_otherwise():
    k = torch.randn(2, 3, 7, 8, dtype=torch.float64)
    torch.testing.assert_close(liger.key_pool(k, 3, 8), k, rtol=0, atol=0)
    # GSA-style smaller state: the official nn.AdaptiveAvgPool1d on the flattened key
    ref = torch.nn.AdaptiveAvgPool1d(3 * 4)(k.transpose(1, 2).reshape(2, 7, 24))
    ref = ref.reshape(2, 7, 3, 4).transpose(1, 2)
    torch.testing.assert_close(liger.key_pool(k, 3, 4), ref)
    torch.testing.assert_close(liger.key_pool(k, 3, 4)[..., 0], k[..., :2].mean(-1))
    with pytest.raises(ValueError):
        liger.key_pool(k, 2, 8)


def test_gate_is_sigmoid_of_key_to_one_sixteenth():
    k = 4 * torch.randn(2, 3, 7, 8, dtype=torch.float64)
    g = liger.liger_log_gate(k, n_rep=2)
    assert g.shape == (2, 6, 7, 8)
    alpha = torch.exp(g)
    torch.testing.assert_close(alpha[:, ::2], torch.sigmoid(k) ** (1 / 16), rtol=1e-14, atol=0)
    torch.testing.assert_close(alpha[:, 1::2], alpha[:, ::2], rtol=0, atol=0)
    assert bool((alpha > 0).all() and (alpha < 1).all())


# -- recurrent = parallel ------------------------------------------------------------------
@pytest.mark.parametrize("chunk", [1, 7, 16, 64])
def test_gla_recurrence_chunked_and_decay_matrix_agree(chunk):
    q, k, v, la = _gla_inputs()
    o_rec, S_rec = liger.gla_recurrent(q, k, v, la)
    o_mat = liger.gla_decay_matrix(q, k, v, la)
    o_chk, S_chk = liger.gla_chunked(q, k, v, la, chunk_size=chunk, return_state=True)
    o_lib = causal_linear_attention(q, k, v, normalize=False, log_decay=la, chunk_size=chunk)
    for o in (o_mat, o_chk, o_lib):
        assert (o - o_rec).abs().max().item() < 1e-8
    assert (S_chk - S_rec).abs().max().item() < 1e-8


def test_gla_chunked_resumes_and_falls_back_exactly():
    q, k, v, la = _gla_inputs(T=33)
    o_ref, S_ref = liger.gla_recurrent(q, k, v, la)
    o1, S1 = liger.gla_chunked(q[..., :20, :], k[..., :20, :], v[..., :20, :],
                               la[..., :20, :], chunk_size=8, return_state=True)
    o2, S2 = liger.gla_chunked(q[..., 20:, :], k[..., 20:, :], v[..., 20:, :],
                               la[..., 20:, :], chunk_size=8, state=S1, return_state=True)
    assert (torch.cat([o1, o2], -2) - o_ref).abs().max().item() < 1e-8
    assert (S2 - S_ref).abs().max().item() < 1e-8
    # extreme decays: the exact element-wise fallback
    big = la * 400
    o_big = liger.gla_chunked(q, k, v, big, chunk_size=16)
    assert (o_big - liger.gla_recurrent(q, k, v, big)[0]).abs().max().item() < 1e-8


@pytest.mark.parametrize("T", [128, 1024])
def test_state_size_is_constant(T):
    q, k, v, la = _gla_inputs(T=T, H=2, Fd=6, Dv=6)
    _, S = liger.gla_chunked(q, k, v, la, chunk_size=64, return_state=True)
    assert S.shape == (2, 2, 6, 6)


def test_swa_branch_matches_row_by_row_softmax():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 4, 30, 8, generator=g, dtype=torch.float64) for _ in range(3))
    ins = AttentionInputs(q=q, k=k, v=v, q_nope=q, k_nope=k, hidden=None, layer_idx=0,
                          scale=8**-0.5, n_rep=1)
    out = SoftmaxAttention(window=6)(ins)
    assert (out - liger.swa_reference(q, k, v, 8**-0.5, 6)).abs().max().item() < 1e-12


# -- the converted model -------------------------------------------------------------------
def test_no_new_parameters():
    model = _tiny_model()
    n0 = model.num_parameters()
    cfg = liger.CONFIGS.ci.replace(first_layer=0, window=4)
    for name in liger.VARIANTS:
        kernels = liger.linearize(model, name, cfg, layers=range(2))
        assert model.num_parameters() == n0
        assert all(sum(1 for _ in kern.parameters()) == 0 for kern in kernels)


@pytest.mark.parametrize("name", ["liger", "liger_gla", "naive", "swa"])
def test_recurrent_decoding_equals_parallel(name):
    model = _tiny_model(1)
    cfg = liger.CONFIGS.ci.replace(first_layer=0, window=5, chunk_size=8)
    liger.linearize(model, name, cfg, layers=[1])  # layer 0 keeps full softmax (growing cache)
    ids = torch.randint(0, 50, (2, 23), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        par = model(ids)
    rec, sizes = liger.decode_logits(model, ids, return_sizes=True)
    assert (rec - par).abs().max().item() < 1e-8
    # layer 0 grows by 2 * B * H_kv * D numbers per token; layer 1 is bounded after the window
    growth = [b - a for a, b in zip(sizes, sizes[1:], strict=False)]
    assert all(d == 2 * 2 * 2 * 8 for d in growth[6:])


def test_liger_attention_is_half_swa_half_gla():
    model = _tiny_model(2)
    ids = torch.randint(0, 50, (1, 17), generator=torch.Generator().manual_seed(3))
    with model.record_attention([0]) as rec, torch.no_grad():
        model(ids)
    ins = rec.inputs(0)
    mix = liger.liger_attention_kernel(window=4, chunk_size=8)(ins)
    swa = SoftmaxAttention(window=4)(ins)
    q = torch.softmax(ins.q_nope, -1)
    k = torch.softmax(ins.k_nope_rep, -1)
    la = F.logsigmoid(ins.k_nope_rep) / 16
    gla, _ = liger.gla_recurrent(q, k, ins.v_rep, la)
    assert (mix - (0.5 * swa + 0.5 * gla)).abs().max().item() < 1e-12


def test_cache_numbers_closed_form():
    assert liger.cache_numbers("softmax", 1000) == 2 * 30 * 3 * 64 * 1000
    assert liger.cache_numbers("liger_gla", 10) == liger.cache_numbers("liger_gla", 10**6)
    assert liger.cache_numbers("liger", 10**6) == liger.cache_numbers("liger", 65)
    with pytest.raises(ValueError):
        liger.cache_numbers("mamba", 3)


# -- LoRA ----------------------------------------------------------------------------------
def test_lora_starts_at_the_base_model_and_trains_only_adapters():
    model = _tiny_model(4)
    ids = torch.randint(0, 50, (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = model(ids)
    params = liger.add_lora(model, [0, 1], rank=4, alpha=4.0, seed=0)
    assert len(params) == 2 * 3 * 2
    with torch.no_grad():
        torch.testing.assert_close(model(ids), before, rtol=0, atol=0)
    model.loss(ids).backward()
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert {id(p) for p in trainable} == {id(p) for p in params}
    lora = model.layers[0].self_attn.q_proj
    with torch.no_grad():
        lora.lora_B.normal_()
        x = torch.randn(3, 32, dtype=torch.float64)
        torch.testing.assert_close(lora(x), x @ lora.merged_weight().t())
    with pytest.raises(ValueError):
        liger.add_lora(model, [0])
    liger.remove_lora(model)
    with torch.no_grad():
        torch.testing.assert_close(model(ids), before, rtol=0, atol=0)


def test_lora_init_matches_peft_defaults():
    base = torch.nn.Linear(64, 16, bias=False)
    lora = liger.LoRALinear(base, rank=8, generator=torch.Generator().manual_seed(0))
    assert lora.scaling == 1.0  # peft: lora_alpha=8 (default), r=8
    assert float(lora.lora_B.detach().abs().max()) == 0.0
    assert float(lora.lora_A.detach().abs().max()) <= 64**-0.5


# -- configuration -------------------------------------------------------------------------
def test_configs_and_budget():
    for prof in ("ci", "full"):
        cfg = liger.CONFIGS.select(prof)
        est = liger.estimate_seconds(cfg)
        # ci: the 135M chapters' hard cap is 90 s (the 30 s budget is for small models)
        limit = 90.0 if prof == "ci" else BUDGET_S["full"]
        assert 0 < est <= limit, (prof, est)
    with pytest.raises(ValueError):
        liger.CONFIGS.ci.replace(window=500)
    with pytest.raises(ValueError):
        liger.CONFIGS.ci.replace(variants=("mamba",))
    with pytest.raises(ValueError):
        liger.linearize(_tiny_model(), "mamba", liger.CONFIGS.ci)
