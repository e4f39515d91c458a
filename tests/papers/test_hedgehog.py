"""Oracles for the Hedgehog chapter (Zhang et al., ICLR 2024)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy
from scipy.stats import spearmanr

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.models.attention import LinearAttention, SoftmaxAttention
from nonlinlab.models.llama import Llama, LlamaConfig
from nonlinlab.papers import hedgehog as hh

TINY = LlamaConfig(vocab_size=40, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=48,
                   rope_theta=10000.0)


def randn(*shape, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(*shape, generator=g, dtype=torch.float64)


def perturbed_pair(H=3, d=8, fd=None, activation="exp", seed=0):
    pq, pk = hh.hedgehog_pair(H, d, fd, activation=activation)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in (*pq.parameters(), *pk.parameters()):
            p.add_(0.2 * torch.randn(p.shape, generator=g))
    return pq.double(), pk.double()


def naive_weights(fq, fk):
    """The explicit O(T^2) normalised causal form, no stabilisation at all."""
    T = fq.shape[-2]
    w = (fq @ fk.transpose(-1, -2)) * torch.ones(T, T, dtype=fq.dtype).tril()
    return w / w.sum(-1, keepdim=True)


# -- exact kernels ----------------------------------------------------------------------------
def test_taylor2_kernel_identity():
    q, k = randn(2, 3, 20, 16, seed=1).unbind(0)
    s = q @ k.transpose(-1, -2) / 4.0
    lhs = hh.taylor2_features(q) @ hh.taylor2_features(k).transpose(-1, -2)
    assert hh.taylor2_features(q).shape[-1] == 1 + 16 + 256
    assert float((lhs - hh.taylor2_kernel(s)).abs().max()) < 1e-10
    assert bool((hh.taylor2_kernel(torch.linspace(-10, 10, 101)) > 0).all())


def test_performer_features_are_unbiased_for_exp():
    d, m, draws = 8, 64, 200
    q, k = randn(2, 5, d, seed=2, scale=0.5).unbind(0)
    target = torch.exp((q * k).sum(-1) / math.sqrt(d))
    est = []
    g = torch.Generator().manual_seed(0)
    for _ in range(draws):
        om = hh.performer_projection(d, m, g, dtype=torch.float64)
        fq = hh.performer_log_features(q, om).exp()
        fk = hh.performer_log_features(k, om).exp()
        est.append((fq * fk).sum(-1))
    est = torch.stack(est)
    se = est.std(0) / math.sqrt(draws)
    assert bool(((est.mean(0) - target).abs() < 4 * se + 1e-12).all())


def test_linear_time_hedgehog_equals_explicit_forms():
    pq, pk = perturbed_pair(H=3, d=8, seed=3)
    q, k, v = randn(3, 2, 3, 37, 8, seed=4).unbind(0)
    with torch.no_grad():
        fq, fk = pq(q), pk(k)
        ref = naive_weights(fq, fk) @ v
        logw = hh.kernel_log_weights(pq.log_features(q), pk.log_features(k))
        assert float((logw.exp() - naive_weights(fq, fk)).abs().max()) < 1e-12
        assert float((logw.exp() @ v - ref).abs().max()) < 1e-10
        kern = hh.hedgehog_attention(pq, pk, eps=1e-300)
        from nonlinlab.models.linear_attention import causal_linear_attention

        out = causal_linear_attention(fq, fk, v, eps=1e-300, chunk_size=8)
        assert float((out - ref).abs().max()) < 1e-10
        assert isinstance(kern, LinearAttention)


def test_key_shift_is_per_head_global_not_per_key():
    pq, pk = perturbed_pair(H=2, d=6, seed=5)
    q, k = randn(2, 2, 2, 15, 6, seed=6, scale=3.0).unbind(0)
    with torch.no_grad():
        fq, fk = pq(q), pk(k)
        unshifted = naive_weights(torch.exp(pq.log_features(q)), torch.exp(pk.log_features(k)))
        assert float((naive_weights(fq, fk) - unshifted).abs().max()) < 1e-12
        # a per-key shift (the pitfall) changes the relative weights of keys
        lk = pk.log_features(k)
        per_key = torch.exp(lk - lk.amax(-1, keepdim=True))
        assert float((naive_weights(fq, per_key) - unshifted).abs().max()) > 1e-3


def test_feature_map_init_and_softmax_variant():
    f = hh.HedgehogFeatureMap(3, 8)
    assert torch.equal(f.weight[1], torch.eye(8)) and float(f.bias.detach().abs().sum()) == 0
    x = randn(2, 3, 5, 8, seed=7).float()
    assert f(x).shape == (2, 3, 5, 16)
    s = hh.HedgehogFeatureMap(3, 8, 4, activation="softmax", bias=False, init="kaiming")
    out = s(x)
    assert out.shape == (2, 3, 5, 8)
    torch.testing.assert_close(out[..., :4].sum(-1), torch.ones(2, 3, 5))
    torch.testing.assert_close(out[..., 4:].sum(-1), torch.ones(2, 3, 5))
    with pytest.raises(ValueError):
        hh.HedgehogFeatureMap(3, 8, activation="cos")
    with pytest.raises(ValueError):
        hh.HedgehogFeatureMap(3, 8, role="v")
    with pytest.raises(ValueError):
        f(torch.zeros(2, 4, 5, 8))


# -- diagnostics against scipy ----------------------------------------------------------------
def test_entropy_kl_spearman_match_scipy():
    q, k = randn(2, 1, 2, 12, 4, seed=8, scale=1.5).unbind(0)
    log_a = hh.softmax_log_weights(q, k)
    log_b = hh.map_log_weights("elu+1", q, k)
    a, b = log_a.exp().numpy(), log_b.exp().numpy()
    ent, kl = hh.row_entropy(log_a).numpy(), hh.row_kl(log_a, log_b).numpy()
    for h in range(2):
        for i in range(12):
            assert ent[0, h, i] == pytest.approx(scipy_entropy(a[0, h, i, : i + 1]), abs=1e-10)
            ref = rel_entr(a[0, h, i, : i + 1], b[0, h, i, : i + 1]).sum()
            assert kl[0, h, i] == pytest.approx(ref, abs=1e-10)
    rho = hh.row_spearman(q @ k.transpose(-1, -2), log_b, min_keys=4)
    s = (q @ k.transpose(-1, -2)).numpy()
    ref = [spearmanr(s[0, h, i, : i + 1], a_).statistic
           for i in range(11, 2, -1) for h in range(2)
           for a_ in [b[0, h, i, : i + 1]]]
    np.testing.assert_allclose(np.sort(rho), np.sort(ref), atol=1e-10)
    # softmax is exactly monotone in q.k
    assert np.all(hh.row_spearman(q @ k.transpose(-1, -2), log_a) > 1 - 1e-12)
    # soft cross-entropy = KL + H(a)
    ce = hh.soft_cross_entropy(log_a, log_b)
    assert float(ce) == pytest.approx(float((hh.row_kl(log_a, log_b)
                                            + hh.row_entropy(log_a)).mean()), abs=1e-10)


def test_teacher_weights_equal_model_internal_weights():
    torch.manual_seed(0)
    m = Llama(TINY).double().eval()
    ids = torch.randint(0, 40, (2, 11), generator=torch.Generator().manual_seed(1))
    qks = hh.record_qk(m, ids, [0, 1])
    with torch.no_grad(), m.record_attention([0, 1], weights=True) as rec:
        m(ids)
    for i in (0, 1):
        ours = hh.softmax_log_weights(qks[i].q, qks[i].k).exp()
        assert float((ours - rec[i]["weights"]).abs().max()) < 1e-12
    base = float(m.loss(ids))
    assert hh.swapped_loss(m, ids, [0, 1], None) == pytest.approx(base)
    swapped = hh.swapped_loss(m, ids, [1], lambda i, c: LinearAttention("elu+1"))
    assert swapped != pytest.approx(base)
    assert all(isinstance(k, SoftmaxAttention) for k in m.attention_kernels())  # restored


# -- distillation -----------------------------------------------------------------------------
def test_distillation_mimics_softmax_better_than_fixed_maps():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(8, 8, generator=g) / math.sqrt(8)
    x = torch.randn(2, 2, 48, 8, generator=g) * 2.0
    qk = hh.QK(0, x, x @ W)  # a structured (low-entropy) teacher
    maps, losses = hh.distill_layer(qk, steps=60, lr=3e-2)
    assert losses[-1][1] < 0.7 * losses[0][1]
    res = hh.evaluate_maps({0: qk}, ["hedgehog", "hedgehog_init", "elu+1"], maps={0: maps})
    assert res["hedgehog"]["kl"][0] < 0.5 * res["elu+1"]["kl"][0]
    assert res["hedgehog"]["kl"][0] < res["hedgehog_init"]["kl"][0]


def test_row_cross_entropy_equals_soft_cross_entropy_of_kernel_weights():
    lq, lk = randn(2, 2, 3, 19, 6, seed=11, scale=3.0).unbind(0)
    q, k = randn(2, 2, 3, 19, 5, seed=12, scale=1.5).unbind(0)
    log_a = hh.softmax_log_weights(q, k)
    rows = hh.kernel_row_cross_entropy(lq, lk, log_a.exp())
    ref = -(log_a.exp() * hh.kernel_log_weights(lq, lk).masked_fill(log_a.isinf(), 0.0)).sum(-1)
    assert float((rows - ref).abs().max()) < 1e-12
    assert float(rows.mean()) == pytest.approx(
        float(hh.soft_cross_entropy(log_a, hh.kernel_log_weights(lq, lk))), abs=1e-12)


def test_stacked_distillation_equals_training_each_layer_alone():
    g = torch.Generator().manual_seed(1)
    qks = {}
    for i in (0, 2, 5):
        W = torch.randn(8, 8, generator=g, dtype=torch.float64) / math.sqrt(8)
        x = 2.0 * torch.randn(2, 3, 24, 8, generator=g, dtype=torch.float64)
        qks[i] = hh.QK(i, x, x @ W)
    maps, curves, _ = hh.distill(qks, steps=12, lr=3e-2, log_every=4)
    chunked, curves2, _ = hh.distill(qks, steps=12, lr=3e-2, log_every=4, layers_per_chunk=2)
    for i, qk in qks.items():
        alone, losses = hh.distill_layer(qk, steps=12, lr=3e-2, log_every=4)
        np.testing.assert_allclose(np.array(curves[i]), np.array(losses), rtol=1e-10)
        np.testing.assert_allclose(np.array(curves2[i]), np.array(losses), rtol=1e-10)
        for a, b, c in zip(alone, maps[i], chunked[i], strict=True):
            assert b.n_heads == 3 and b.role == a.role
            torch.testing.assert_close(b.weight, a.weight, rtol=0, atol=1e-12)
            torch.testing.assert_close(b.bias, a.bias, rtol=0, atol=1e-12)
            torch.testing.assert_close(c.weight, a.weight, rtol=0, atol=1e-12)
        assert not torch.equal(maps[i][0].weight, torch.eye(8).expand(3, 8, 8).double())


# -- config and budget ------------------------------------------------------------------------
def test_config_validation_and_budget():
    with pytest.raises(ValueError):
        hh.Config(activation="cos")
    with pytest.raises(ValueError):
        hh.Config(distill_layers=(40,))
    with pytest.raises(ValueError):
        hh.Config(steps=0)
    assert hh.CONFIGS.full.layers == list(range(30))
    assert hh.CONFIGS.ci.layers == list(range(30))  # ci distils every layer too
    budget = {"ci": all_chapters()["hedgehog"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in hh.CONFIGS.items():
        assert hh.estimate_seconds(cfg) <= budget[name], name
    with pytest.raises(ValueError):
        hh.map_log_weights("cosformer", torch.zeros(1, 1, 3, 2), torch.zeros(1, 1, 3, 2))
