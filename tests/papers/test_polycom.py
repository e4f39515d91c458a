"""Oracles for the PolyCom chapter (Zhuo et al., ICLR 2025): closed forms, the official README
PolyNorm formula re-implemented independently, parameter matching, and the Llama FFN hook."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from nonlinlab.core import BUDGET_S
from nonlinlab.models.llama import Llama, LlamaConfig
from nonlinlab.papers import polycom as P


def readme_polynorm(x, weight=(1 / 3, 1 / 3, 1 / 3), bias=0.0, eps=1e-6):
    """The official README formula, written out independently."""
    def norm(z):
        return z / torch.sqrt((z * z).mean(-1, keepdim=True) + eps)
    return weight[0] * norm(x**3) + weight[1] * norm(x**2) + weight[2] * norm(x) + bias


def test_init_and_weight_order_follow_official_code():
    for act in (P.PolyReLU(), P.PolyNorm()):
        assert torch.equal(act.weight.detach(), torch.full((3,), 1 / 3))
        assert torch.equal(act.bias.detach(), torch.zeros(1))
    a = P.PolyReLU().set_coefficients([0.5, 1.0, 2.0, 3.0])
    assert a.weight.tolist() == [3.0, 2.0, 1.0]  # weight[0] multiplies the cube
    assert a.coefficients().tolist() == [0.5, 1.0, 2.0, 3.0]
    x = torch.linspace(-2, 2, 101, dtype=torch.float64)
    r = F.relu(x)
    torch.testing.assert_close(a.double()(x), 0.5 + r + 2 * r**2 + 3 * r**3)


def test_polyrelu_relu_special_case_is_bitwise():
    x = torch.randn(1000) * 5
    act = P.PolyReLU().set_coefficients([0.0, 1.0, 0.0, 0.0])
    assert torch.equal(act(x), F.relu(x))


def test_polynorm_matches_readme_formula():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 64, generator=g, dtype=torch.float64) * 2
    torch.testing.assert_close(P.PolyNorm().double()(x), readme_polynorm(x), atol=1e-6, rtol=0)
    act = P.PolyNorm().double().set_coefficients([0.1, -0.5, 0.7, 2.0])
    torch.testing.assert_close(act(x), readme_polynorm(x, (2.0, 0.7, -0.5), 0.1), atol=1e-6,
                               rtol=0)
    # normalisation is per token over the last (hidden) dimension
    y = act(x)
    torch.testing.assert_close(act(x[1:2, 3:4]), y[1:2, 3:4])


def test_fused_polynorm_gradients_match_autograd_of_readme_formula():
    g = torch.Generator().manual_seed(1)
    x = (torch.randn(2, 3, 16, generator=g, dtype=torch.float64) * 1.5).requires_grad_()
    w = torch.tensor([2.0, 0.7, -0.5], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.1], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: P._PolyNormFn.apply(*a, 1e-6), (x, w, b))
    y = P._PolyNormFn.apply(x, w, b, 1e-6)
    ref = readme_polynorm(x, w, b)
    up = torch.randn(y.shape, generator=g, dtype=torch.float64)
    for got, want in zip(torch.autograd.grad(y, (x, w, b), up),
                         torch.autograd.grad(ref, (x, w, b), up), strict=True):
        torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-10)
    act = P.PolyNorm().double().set_coefficients([0.1, -0.5, 0.7, 2.0])
    torch.testing.assert_close(act(x), act.reference(x), atol=1e-12, rtol=0)
    # other orders use the composed form
    assert torch.isfinite(P.PolyNorm(order=2)(torch.randn(3, 8))).all()


def test_polynorm_stays_bounded_for_huge_inputs():
    x = torch.randn(4, 128) * 1e3
    y = P.PolyNorm()(x)
    assert torch.isfinite(y).all()
    # each N(x^i) has RMS ~1, so |y| <= sum |a_i| sqrt(n) + |a_0|
    assert y.abs().max() <= math.sqrt(128) + 1e-3


def test_exact_square_and_product():
    x = torch.linspace(-3, 3, 1001, dtype=torch.float64)
    assert (P.apply_layer(x[:, None], P.square_layer()) - x**2).abs().max() < 1e-12
    xy = torch.rand(500, 2, dtype=torch.float64) * 6 - 3
    assert (P.apply_layer(xy, P.product_layer()) - xy.prod(-1)).abs().max() < 1e-12


def test_exact_triple_product_and_target():
    xyz = torch.rand(500, 3, dtype=torch.float64) * 6 - 3
    assert (P.apply_layer(xyz, P.triple_product_layer()) - xyz.prod(-1)).abs().max() < 1e-11
    x = torch.rand(7, 4)
    torch.testing.assert_close(P.target_fn("triple", x), x[:, 0] * x[:, 1] * x[:, 2])


def test_fanin_init_scales_every_linear():
    cfg = P.CONFIGS.ci.replace(d_model=32, n_heads=2, swiglu_width=48)
    for act in ("swiglu", "relu2"):
        m = P.build_lm(act, cfg, seed=1)
        for mod in m.modules():
            if isinstance(mod, torch.nn.Linear):
                std = mod.weight.std().item()
                assert abs(std * mod.in_features ** 0.5 - 1) < 0.15, (act, mod, std)
    lit = P.build_lm("swiglu", cfg.replace(init="llama"), seed=1)
    assert abs(lit.layers[0].mlp.up_proj.weight.std().item() - 0.02) < 0.003
    with pytest.raises(ValueError):
        cfg.replace(init="xavier")


def test_variants_share_attention_and_embedding_init():
    """Common random numbers: same seed -> identical non-FFN weights for every FFN variant, so
    the comparison is paired; another seed draws other weights."""
    cfg = P.CONFIGS.ci.replace(d_model=32, n_heads=2, swiglu_width=48)
    sw, pn = P.build_lm("swiglu", cfg, seed=4), P.build_lm("polynorm", cfg, seed=4)
    other = P.build_lm("polynorm", cfg, seed=5)
    shared = {n: p for n, p in sw.named_parameters() if ".mlp." not in n}
    pn_params = dict(pn.named_parameters())
    assert any("self_attn" in n for n in shared) and "embed_tokens.weight" in shared
    for n, p in shared.items():
        assert torch.equal(p, pn_params[n]), n
    assert not torch.equal(other.embed_tokens.weight, pn.embed_tokens.weight)
    assert not torch.equal(other.layers[1].self_attn.q_proj.weight,
                           pn.layers[1].self_attn.q_proj.weight)


def test_parameter_matching_and_ffn():
    for w in (172, 344, 5504):
        assert P.ffn_params(64, P.matched_width(w), False) == P.ffn_params(64, w, True)
    assert P.matched_width(5504) == 8256  # the official 1.3B config
    ffn = P.FFN(16, 24, "polynorm")
    assert sum(p.numel() for p in ffn.parameters()) == P.ffn_params(16, 24, False) + 4
    assert ffn(torch.randn(2, 3, 16)).shape == (2, 3, 16)
    with pytest.raises(ValueError):
        P.make_activation("swish")
    with pytest.raises(ValueError):
        P.matched_width(0)
    with pytest.raises(ValueError):
        P.PolyReLU(0)
    with pytest.raises(ValueError):
        P.PolyReLU().set_coefficients([1.0, 2.0])


def test_build_lm_param_matched_and_uses_hook():
    cfg = P.CONFIGS.ci.replace(d_model=32, n_heads=2, swiglu_width=48)
    counts = {a: P.build_lm(a, cfg).num_parameters() for a in ("swiglu", "relu", "polynorm")}
    assert counts["swiglu"] == counts["relu"] == counts["polynorm"] - 4 * cfg.n_layers
    m = P.build_lm("polyrelu", cfg)
    assert all(isinstance(layer.mlp, P.FFN) for layer in m.layers)
    assert len(P.poly_coefficients(m)) == cfg.n_layers
    ids = torch.randint(0, 256, (2, 9))
    assert torch.isfinite(m.loss(ids))


def test_regression_runs_and_polyrelu_learns_pairs():
    r = P.fit_regression("pairs", "polyrelu", 300, n_train=256, n_test=256, steps=150)
    assert r["params"] <= 300 and r["rel_mse"] < 0.2
    with pytest.raises(ValueError):
        P.target_fn("nope", torch.zeros(3, 4))
    assert P.width_for_budget(4, 500, "relu") == 83
    assert P.shallow_params(4, 83, "relu") <= 500


def test_train_lm_tiny_is_deterministic():
    from nonlinlab.data.text import load_corpus

    cfg = P.CONFIGS.ci.replace(d_model=16, n_heads=2, swiglu_width=16, seq_len=16, batch=4,
                               lm_steps=6, warmup=2, eval_every=3, val_blocks=4)
    corpus = load_corpus("pydoc", tokenizer="bytes")
    a = P.train_lm("polynorm", cfg, corpus, seed=3)
    b = P.train_lm("polynorm", cfg, corpus, seed=3)
    assert a["val_loss"] == b["val_loss"] and a["finite"]
    assert len(a["val_loss"]) == 2 and len(a["train_loss"]) == 6


def test_configs_and_budget():
    # ci: 60 s, the most the book allows a small-model chapter when its headline needs it
    # (750 LM steps per FFN: the PolyNorm - SwiGLU gap only opens with training tokens)
    limit = {"ci": 60.0, "full": BUDGET_S["full"]}
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= limit[name], name
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(warmup=10_000)
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(reg_targets=("nope",))


def test_llama_default_mlp_untouched():
    cfg = LlamaConfig(vocab_size=20, d_model=16, n_layers=1, n_heads=2, n_kv_heads=2, d_ff=8)
    assert type(Llama(cfg).layers[0].mlp).__name__ == "LlamaMLP"


def test_stacked_training_equals_separate_runs():
    """train_lms (every model in one stack: batched matmuls, per-model clipping) follows the
    trajectory of train_lm run model by model: same init, batches, optimiser, to float noise."""
    from nonlinlab.data.text import load_corpus

    cfg = P.CONFIGS.ci.replace(d_model=16, n_heads=2, swiglu_width=16, seq_len=16, batch=4,
                               lm_steps=8, warmup=2, eval_every=4, val_blocks=8, lr=3e-2)
    corpus = load_corpus("pydoc", tokenizer="bytes")
    acts = ("relu", "swiglu", "polyrelu", "polynorm")
    stacked = P.train_lms(acts, cfg, corpus, seeds=(3, 1003))
    assert set(stacked) == {(a, s) for a in acts for s in (3, 1003)}
    for (a, s), got in stacked.items():
        want = P.train_lm(a, cfg, corpus, seed=s)
        torch.testing.assert_close(got["train_loss"], want["train_loss"], atol=2e-5, rtol=0)
        torch.testing.assert_close(got["val_loss"], want["val_loss"], atol=2e-5, rtol=0)
        torch.testing.assert_close(got["coefficients"], want["coefficients"], atol=2e-5, rtol=0)
        assert got["params"] == want["params"] and got["finite"]
    # the models are independent: the two seeds differ, and clipping is per model
    assert stacked["polynorm", 3]["val_loss"] != stacked["polynorm", 1003]["val_loss"]


def test_stacked_polynorm_and_polyrelu_per_model_coefficients():
    g = torch.Generator().manual_seed(2)
    u = torch.randn(3, 5, 24, generator=g, dtype=torch.float64)
    w = torch.randn(3, 3, generator=g, dtype=torch.float64)
    b = torch.randn(3, 1, generator=g, dtype=torch.float64)
    for name, cls in (("polynorm", P.PolyNorm), ("polyrelu", P.PolyReLU)):
        got = P._stacked_activation(name, u, w, b)
        for m in range(3):
            act = cls().double().set_coefficients([b[m, 0], *w[m].flip(0)])
            torch.testing.assert_close(got[m], act(u[m]), atol=1e-12, rtol=0)
    wr, br, ur = (t.clone().requires_grad_() for t in (w, b, u))
    assert torch.autograd.gradcheck(lambda *a: P._PolyNormFn.apply(*a, 1e-6), (ur, wr, br))
