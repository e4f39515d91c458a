"""Oracles for the softplus-attention-reweighting chapter (Gao & Spratling, LSSA / LSSAR)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.models.llama import Llama, LlamaConfig
from nonlinlab.papers import softplus_attention_reweighting as sar

TINY = LlamaConfig(vocab_size=40, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=48)


def _qkv(B=2, H=3, T=12, d=8, seed=0, scale=2.0):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (scale * torch.randn(B, H, T, d, generator=g, dtype=torch.float64)
               for _ in range(3))
    return q, k, v


def test_exp_with_l1_is_softmax_attention():
    q, k, v = _qkv()
    A = sar.normalised_attention_weights(q, k, phi="exp", scale="none", qk_norm=False)
    out = A @ v
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert (out - ref).abs().max() < 1e-12
    # float32 as well, and the generic masked phi path (l1(exp(x) * M)) gives the same weights
    A32 = sar.normalised_attention_weights(q.float(), k.float(), phi="exp", scale="none",
                                           qk_norm=False)
    assert (A32 @ v.float() - ref.float()).abs().max() < 1e-5
    s = q @ k.transpose(-1, -2) / math.sqrt(8)
    M = torch.ones(12, 12, dtype=torch.bool).tril()
    w = torch.exp(s.masked_fill(~M, 0.0)) * M
    torch.testing.assert_close(A, w / w.sum(-1, keepdim=True), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("phi,scale,normalize,qk_norm,p,mode", [
    ("softplus", "logd_logn", True, True, None, "shift"),  # LSSA
    ("softplus", "logd_logn", True, True, 15.0, "shift"),  # LSSAR, the paper's p
    ("softplus", "logd_logn", True, True, 3.0, "shift"),
    ("softplus", "logd_logn", True, True, 3.0, "threshold"),
    ("softplus", "log", True, False, 2.0, "power"),
    ("softplus", "log", True, False, None, "power"),
    ("softplus", "log_ratio", True, False, 2.5, "power"),
    ("exp", "logd_logn", True, True, None, "shift"),
    ("exp", "log", True, False, None, "shift"),
    ("softplus", "none", True, True, None, "shift"),
    ("softplus", "logd_logn", False, True, None, "shift"),
    ("relu", "logd_logn", True, True, None, "shift"),
])
def test_kernel_equals_direct_loop(phi, scale, normalize, qk_norm, p, mode):
    q, k, v = _qkv(seed=1)
    A = sar.normalised_attention_weights(q, k, phi=phi, scale=scale, normalize=normalize,
                                         qk_norm=qk_norm, train_len=6, reweight_p=p,
                                         reweight_mode=mode)
    ref = sar.attention_loop(q, k, v, phi=phi, scale=scale, normalize=normalize,
                             qk_norm=qk_norm, train_len=6, reweight_p=p, reweight_mode=mode)
    torch.testing.assert_close(A @ v, ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("phi", ["softplus", "exp", "relu"])
@pytest.mark.parametrize("p", [None, 2.0])
def test_rows_sum_to_one_and_causal_mask_holds(phi, p):
    q, k, _ = _qkv(seed=2)
    A = sar.normalised_attention_weights(q, k, phi=phi, scale="log", reweight_p=p)
    T = A.shape[-1]
    upper = ~torch.ones(T, T, dtype=torch.bool).tril()
    assert float(A[..., upper].abs().max()) == 0.0
    rows = A.sum(-1)
    if phi == "relu":  # relu rows may be all zero (then the row stays 0 = no attention)
        rows = rows[rows > 0]
    torch.testing.assert_close(rows, torch.ones_like(rows), rtol=0, atol=1e-12)
    assert bool((A >= 0).all())


def test_without_l1_rows_are_unnormalised_softplus():
    q, k, _ = _qkv(seed=3)
    A = sar.normalised_attention_weights(q, k, phi="softplus", scale="log", normalize=False,
                                         qk_norm=False)
    T, d = A.shape[-1], q.shape[-1]
    logn = torch.log(torch.arange(1.0, T + 1, dtype=torch.float64))
    s = q @ k.transpose(-1, -2) / math.sqrt(d) * logn[:, None]
    ref = F.softplus(s) * torch.ones(T, T).tril().double()
    torch.testing.assert_close(A, ref, rtol=1e-12, atol=0)


def test_lssa_is_softplus_of_cosine_times_logd_logn():
    """LSSA: A = l1(Softplus(log d log N_i cos(q_i, k_j)) M), no 1/sqrt(d), q and k scaled out."""
    q, k, _ = _qkv(seed=6)
    A = sar.normalised_attention_weights(q, k)  # the defaults are LSSA
    T, d = A.shape[-1], q.shape[-1]
    cos = (q / q.norm(dim=-1, keepdim=True)) @ (k / k.norm(dim=-1, keepdim=True)).transpose(-1, -2)
    s_i = math.log(d) * torch.log(torch.arange(1.0, T + 1, dtype=torch.float64))
    w = F.softplus(s_i[:, None] * cos) * torch.ones(T, T).tril().double()
    torch.testing.assert_close(A, w / w.sum(-1, keepdim=True), rtol=1e-12, atol=1e-15)
    # invariant to the scale of q and k (cosine logits), unlike the raw-logit reading
    torch.testing.assert_close(sar.normalised_attention_weights(3 * q, 0.5 * k), A)
    raw = sar.normalised_attention_weights(q, k, scale="log", qk_norm=False)
    assert float((sar.normalised_attention_weights(3 * q, k, scale="log", qk_norm=False)
                  - raw).abs().max()) > 1e-3


def test_log_n_scale_formula():
    n = torch.arange(1, 9, dtype=torch.float64)
    torch.testing.assert_close(sar.row_scale(n, "log"), torch.log(n), rtol=0, atol=0)
    assert float(sar.row_scale(n, "log")[0]) == 0.0  # one visible key: scale 0, weight 1
    r = sar.row_scale(n, "log_ratio", train_len=8)
    assert abs(float(r[-1]) - 1.0) < 1e-15
    torch.testing.assert_close(sar.row_scale(n, "none"), torch.ones_like(n))
    torch.testing.assert_close(sar.row_scale(n, "logd_logn", head_dim=16),
                               math.log(16) * torch.log(n), rtol=1e-15, atol=0)
    with pytest.raises(ValueError):
        sar.row_scale(n, "logd_logn")
    with pytest.raises(ValueError):
        sar.row_scale(n, "log_ratio")
    with pytest.raises(ValueError):
        sar.row_scale(n, "sqrt")
    # the per-row scale multiplies row i of the logits by log(i + 1) (0-indexed rows)
    q, k, _ = _qkv(B=1, H=1, T=6, d=4, seed=4)
    A = sar.normalised_attention_weights(q, k, phi="softplus", scale="log", normalize=False,
                                         qk_norm=False)
    s = (q @ k.transpose(-1, -2))[0, 0] / 2.0
    for i in range(6):
        torch.testing.assert_close(A[0, 0, i, : i + 1], F.softplus(math.log(i + 1) * s[i, : i + 1]))


def test_reweighting_closed_form_order_and_entropy():
    g = torch.Generator().manual_seed(5)
    T = 10
    A = torch.softmax(torch.randn(4, T, T, generator=g, dtype=torch.float64)
                      .masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), -math.inf), -1)
    n = torch.arange(1, T + 1, dtype=torch.float64)
    # power ablation: p = 1 is the identity; N_i cancels: l1((N A)^p) = l1(A^p)
    torch.testing.assert_close(sar.reweight(A, n, 1.0, mode="power"), A, rtol=1e-14, atol=1e-15)
    for p in (1.5, 2.0, 4.0):
        R = sar.reweight(A, n, p, mode="power")
        ref = A ** p / (A ** p).sum(-1, keepdim=True)
        torch.testing.assert_close(R, ref, rtol=1e-12, atol=1e-15)
        torch.testing.assert_close(R.sum(-1), torch.ones(4, T, dtype=torch.float64))
        # ordering inside each row is preserved (strictly increasing map of the weights)
        for r in range(1, T):
            a, b = A[:, r, : r + 1], R[:, r, : r + 1]
            assert torch.equal(a.argsort(-1), b.argsort(-1))
        # entropy strictly drops on every non-uniform row (rows with >= 2 keys)
        assert bool((sar.row_entropy(R)[:, 1:] < sar.row_entropy(A)[:, 1:]).all())
    # entropy is non-increasing in p
    ents = [sar.row_entropy(sar.reweight(A, n, p, mode="power")) for p in (1.0, 1.5, 2.0, 3.0, 5.0)]
    for e0, e1 in zip(ents, ents[1:], strict=False):
        assert bool((e1 <= e0 + 1e-12).all())
    # threshold variant: below-average weights vanish, rows stay normalised, row 1 unchanged
    R = sar.reweight(A, n, 2.0, mode="threshold")
    torch.testing.assert_close(R.sum(-1), torch.ones(4, T, dtype=torch.float64))
    # closed form l1(ReLU(N A - 1)^p), and N_i does not cancel: the same weights read with a
    # larger visible count (a lower average 1/N) keep more keys
    z = torch.clamp(A * n[:, None] - 1, min=0) ** 2
    rows = z.sum(-1) > 0
    torch.testing.assert_close(R[rows], (z / z.sum(-1, keepdim=True))[rows], rtol=1e-12,
                               atol=1e-15)
    R2 = sar.reweight(A, 2 * n, 2.0, mode="threshold")
    assert float((R2 - R).abs().max()) > 1e-3
    assert bool(((R2 > 0).sum(-1) >= (R > 0).sum(-1)).all())
    assert bool((sar.row_entropy(R)[:, 1:] < sar.row_entropy(A)[:, 1:]).all())
    assert bool((R[(A * n[:, None] <= 1) & (A > 0) & (n[:, None] > 1)] == 0).all())
    torch.testing.assert_close(R[:, 0, 0], torch.ones(4, dtype=torch.float64))
    with pytest.raises(ValueError):
        sar.reweight(A, n, 0.0)
    with pytest.raises(ValueError):
        sar.reweight(A, n, 2.0, mode="cube")


def test_shift_reweighting_is_the_paper_form():
    """l1(ReLU(N_i A_ij - O_i)^p) with O_i = 0 on rows 1-3 and 1 after; p = 15 stays finite."""
    g = torch.Generator().manual_seed(7)
    T = 600  # N_i A_ij up to 600: 600^15 overflows float32 without the per-row rescaling
    A = torch.softmax(4 * torch.randn(2, T, T, generator=g)
                      .masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), -math.inf), -1)
    n = torch.arange(1, T + 1, dtype=torch.float32)
    R = sar.reweight(A, n, 15.0)  # shift is the default form
    assert bool(torch.isfinite(R).all())
    torch.testing.assert_close(R.sum(-1), torch.ones(2, T))
    Ad, nd = A.double(), n.double()
    O = (nd > 3).double()
    z = torch.clamp(Ad * nd[:, None] - O[:, None], min=0) ** 15
    torch.testing.assert_close(R.double(), z / z.sum(-1, keepdim=True), rtol=1e-4, atol=1e-6)
    # rows 1-3: no offset, a pure power sharpening l1(A^p); later rows: below-average -> 0
    torch.testing.assert_close(R[:, :3], sar.reweight(A, n, 15.0, mode="power")[:, :3])
    later = (A * n[:, None] <= 1) & (A > 0) & (n[:, None] > 3)
    assert bool((R[later] == 0).all())
    # the only difference from the threshold form is the first three rows
    Rt = sar.reweight(A, n, 15.0, mode="threshold")
    torch.testing.assert_close(R[:, 3:], Rt[:, 3:], rtol=0, atol=0)
    assert float((R[:, 1:3] - Rt[:, 1:3]).abs().max()) > 1e-3


def test_model_swap_causality_and_reweight_switch():
    torch.manual_seed(0)
    model = Llama(TINY).double().eval()
    model.set_attention(lambda i, c: sar.kernel_for("lssa"))
    ids = torch.randint(0, 40, (2, 20))
    assert model.attention_kernels()[0].qk_norm
    with torch.no_grad():
        full = model(ids)
        prefix = model(ids[:, :11])
    torch.testing.assert_close(full[:, :11], prefix, rtol=1e-12, atol=1e-12)
    sar.set_reweighting(model, 15.0)
    with torch.no_grad():
        rw = model(ids)
        rw_prefix = model(ids[:, :11])
    torch.testing.assert_close(rw[:, :11], rw_prefix, rtol=1e-12, atol=1e-12)
    assert float((rw - full).abs().max()) > 1e-6
    sar.set_reweighting(model, 1.0, mode="power")  # power form, p = 1: LSSA exactly
    with torch.no_grad():
        torch.testing.assert_close(model(ids), full, rtol=1e-12, atol=1e-12)
    model.set_attention(lambda i, c: sar.kernel_for("softplus_nol1"))
    with pytest.raises(ValueError):
        sar.set_reweighting(model, 2.0)


def test_softmax_variant_equals_default_llama_attention():
    torch.manual_seed(1)
    model = Llama(TINY).double().eval()
    ids = torch.randint(0, 40, (1, 16))
    with torch.no_grad():
        ref = model(ids)
        model.set_attention(lambda i, c: sar.kernel_for("softmax"))
        torch.testing.assert_close(model(ids), ref, rtol=1e-12, atol=1e-12)


def test_stability_demo():
    out = sar.stability_demo()
    assert out == {"naive_finite": False, "softplus_finite": True}


def test_bad_inputs_raise():
    q, k, _ = _qkv()
    with pytest.raises(ValueError):
        sar.normalised_attention_weights(q, k, phi="tanh")
    with pytest.raises(ValueError):
        sar.normalised_attention_weights(q, k, scale="sqrt")
    with pytest.raises(ValueError):
        sar.normalised_attention_weights(q, k, normalize=False, reweight_p=2.0)
    with pytest.raises(ValueError):
        sar.normalised_attention_weights(q, k[..., :5, :])
    with pytest.raises(ValueError):
        sar.kernel_for("cosine")


@pytest.mark.parametrize("profile", ["ci", "full"])
def test_configs_valid_and_within_budget(profile):
    cfg = getattr(sar.CONFIGS, profile)
    cfg.check()
    budget = {"ci": all_chapters()["softplus-attention-reweighting"].ci_budget_s,
              "full": BUDGET_S["full"]}[profile]
    assert sar.estimate_seconds(cfg) <= budget
