"""Tests for nonlinlab.papers.minimal_transformer (Bermeitinger et al. 2024)."""

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.papers import minimal_transformer as P

D = 12
BASE = P.ViTConfig(image_size=8, channels=1, patch=2, width=D, depth=2, heads=1, n_classes=3)


def images(n=3, cfg=BASE, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, cfg.channels, cfg.image_size, cfg.image_size, generator=g)


def every_variant(test):
    """Parametrise ``test`` over every (mlp, qk, vo, heads) combination."""
    for mark in (pytest.mark.parametrize("heads", [1, 3]),
                 pytest.mark.parametrize("vo", P.VO_KINDS),
                 pytest.mark.parametrize("qk", P.QK_KINDS),
                 pytest.mark.parametrize("mlp", [True, False])):
        test = mark(test)
    return test


@every_variant
def test_param_count_matches_modules(mlp, qk, vo, heads):
    cfg = replace(BASE, mlp=mlp, qk=qk, vo=vo, heads=heads)
    model = P.MinimalViT(cfg)
    assert sum(p.numel() for p in model.parameters()) == P.param_count(cfg)["total"]
    assert sum(p.numel() for p in model.blocks.parameters()) == P.param_count(cfg)["blocks"]


def test_block_counts_closed_form():
    d = 32
    counts = {v: P.block_param_count(replace(P.variant_config(BASE, v), width=d)) for v in
              P.VARIANTS}
    ln = 2 * d
    assert counts["original"] == ln + 4 * d * d + ln + 8 * d * d + 5 * d  # 12 d² + O(d)
    assert counts["no MLP"] == ln + 4 * d * d
    assert counts["no MLP, W_QK"] == ln + 3 * d * d
    assert counts["no MLP, W_QK, no W_VO"] == ln + d * d
    assert counts["no MLP, symmetric W_QK, no W_VO"] == ln + d * (d + 1) // 2
    assert counts["no MLP, symmetric W_K = W_Q"] == ln + 3 * d * d  # W_Q (= W_K), W_V, W_O
    # multi-head: merging costs H d² instead of 2 d² ("under some conditions")
    assert P.attention_param_count(replace(BASE, qk="merged", vo="none", heads=4)) == 4 * D * D


def test_separate_attention_matches_torch_sdpa():
    cfg = replace(BASE, heads=3, mlp=False)
    attn = P.ReducedAttention(cfg)
    x = torch.randn(2, 5, D)
    B, n, H = 2, 5, 3
    q, k, v = ((x @ w).view(B, n, H, D // H).transpose(1, 2) for w in (attn.w_q, attn.w_k,
                                                                       attn.w_v))
    ref = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, n, D) @ attn.w_o
    torch.testing.assert_close(attn(x), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("heads", [1, 3])
def test_merged_qk_scores_equal_product(heads):
    cfg = replace(BASE, heads=heads)
    sep = P.ReducedAttention(cfg)
    x = torch.randn(2, 6, D, dtype=torch.float64)
    sep = sep.double()
    w_qk = sep.similarity()
    dk = D // heads
    for h in range(heads):
        wq, wk = sep.w_q[:, h * dk:(h + 1) * dk], sep.w_k[:, h * dk:(h + 1) * dk]
        torch.testing.assert_close(w_qk[h], wq @ wk.T)
        # X (W_Q W_Kᵀ) Xᵀ = (X W_Q)(X W_K)ᵀ
        ref = (x @ w_qk[h] @ x.transpose(1, 2)) / dk ** 0.5
        torch.testing.assert_close(sep.scores(x)[:, h], ref)


@pytest.mark.parametrize("heads", [1, 3])
@pytest.mark.parametrize("mlp", [True, False])
def test_collapse_is_exact(heads, mlp):
    torch.manual_seed(0)
    model = P.MinimalViT(replace(BASE, heads=heads, mlp=mlp)).double()
    merged = P.collapse(model).double()
    assert merged.cfg.qk == "merged" and merged.cfg.vo == "merged"
    x = images().double()
    torch.testing.assert_close(merged(x), model(x), rtol=1e-10, atol=1e-10)
    only_qk = P.collapse(model, vo=False).double()
    torch.testing.assert_close(only_qk(x), model(x), rtol=1e-10, atol=1e-10)
    if heads == 1:  # single head: merging saves parameters; several heads: it costs
        assert P.param_count(merged.cfg)["total"] < P.param_count(model.cfg)["total"]
    else:
        assert P.param_count(merged.cfg)["total"] > P.param_count(model.cfg)["total"]
    with pytest.raises(ValueError, match="separate"):
        P.collapse(merged)


@pytest.mark.parametrize("qk", ["symmetric", "psd"])
def test_symmetric_similarity(qk):
    torch.manual_seed(1)
    model = P.MinimalViT(replace(BASE, qk=qk, vo="none", mlp=False, heads=2))
    w = model.blocks[0].attn.similarity()
    torch.testing.assert_close(w, w.transpose(1, 2), rtol=0, atol=0)
    s = model.attention_scores(images(), layer=1)
    assert (s - s.transpose(-1, -2)).abs().max() < 1e-6
    diag = torch.diagonal(s, dim1=-2, dim2=-1)
    if qk == "psd":
        assert diag.min() >= 0  # x W_Q W_Qᵀ xᵀ = |x W_Q|² >= 0
        assert torch.linalg.eigvalsh(w.double()).min() > -1e-6  # rank d/H, fp32
    else:  # free symmetric: d(d+1)/2 numbers, U + Uᵀ - diag(U)
        attn = model.blocks[0].attn
        assert attn.w_sym.upper.shape == (2, D * (D + 1) // 2)
        u = torch.zeros(D, D)
        rows, cols = torch.triu_indices(D, D)
        u[rows, cols] = attn.w_sym.upper[0].detach()
        torch.testing.assert_close(w[0], u + u.T - torch.diag(torch.diag(u)))


def test_paper_symmetric_variant_reuses_query_as_key():
    # the paper's symmetric variant: W_K := W_Q, with W_V and W_O kept (no MLP)
    cfg = P.variant_config(BASE, "no MLP, symmetric W_K = W_Q")
    assert (cfg.mlp, cfg.qk, cfg.vo) == (False, "psd", "separate")
    torch.manual_seed(2)
    attn = P.ReducedAttention(cfg)
    assert not hasattr(attn, "w_k") and hasattr(attn, "w_v") and hasattr(attn, "w_o")
    x = torch.randn(2, 5, D)
    q = x @ attn.w_q
    ref = F.scaled_dot_product_attention(q[:, None], q[:, None], (x @ attn.w_v)[:, None])
    torch.testing.assert_close(attn(x), ref[:, 0] @ attn.w_o, rtol=1e-5, atol=1e-6)


def test_asymmetric_similarity_is_not_symmetric():
    torch.manual_seed(2)
    model = P.MinimalViT(replace(BASE, qk="merged", mlp=False))
    s = model.attention_scores(images())
    assert (s - s.transpose(-1, -2)).abs().max() > 1e-3


def test_omitted_vo_is_convex_combination():
    cfg = replace(BASE, vo="none", qk="merged", mlp=False)
    attn = P.ReducedAttention(cfg)
    x = torch.randn(2, 5, D)
    out = attn(x)
    a = torch.softmax(attn.scores(x), -1)[:, 0]
    torch.testing.assert_close(out, a @ x)
    assert torch.allclose(a.sum(-1), torch.ones(2, 5))


def test_patchify_order():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    p = P.patchify(x, 2)
    assert p.shape == (1, 4, 4)
    torch.testing.assert_close(p[0, 1], torch.tensor([2.0, 3.0, 6.0, 7.0]))


def test_bad_input():
    with pytest.raises(ValueError, match="patch"):
        replace(BASE, patch=3)
    with pytest.raises(ValueError, match="qk"):
        replace(BASE, qk="tied")
    with pytest.raises(ValueError, match="heads"):
        replace(BASE, heads=5)
    with pytest.raises(ValueError, match="variant"):
        P.variant_config(BASE, "tiny")
    model = P.MinimalViT(BASE)
    with pytest.raises(ValueError, match="shape"):
        model(torch.zeros(2, 1, 6, 6))
    with pytest.raises(ValueError, match="floating"):
        model(torch.zeros(2, 1, 8, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="layer"):
        model.attention_scores(images(), layer=2)
    with pytest.raises(ValueError, match="epochs"):
        P.Config(epochs=(1.0, 2.0))
    with pytest.raises(ValueError, match="datasets"):
        P.Config(datasets=("imagenet",), epochs=(1.0,))


def test_estimate_within_budget():
    budget = {"ci": all_chapters()["minimal-transformer"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= budget[name], name


class _Tiny:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.y_train = np.repeat(np.arange(3), 20)
        self.y_test = np.repeat(np.arange(3), 5)
        # class c lights up row block c: learnable, with noise
        def make(y):
            x = rng.random((len(y), 1, 8, 8), dtype=np.float32) * 0.3
            for i, c in enumerate(y):
                x[i, 0, 2 * c:2 * c + 2] += 1.0
            return x
        self.x_train, self.x_test = make(self.y_train), make(self.y_test)
        self.image_shape = (1, 8, 8)


def test_training_is_deterministic_and_learns():
    data = _Tiny()
    cfg = P.Config(batch=20, lr=1e-2)
    vcfg = replace(BASE, qk="symmetric", vo="none", mlp=False)
    cpu = torch.device("cpu")
    a = P.train_variant(vcfg, data, cfg, seed=3, device=cpu, epochs=4.0)
    b = P.train_variant(vcfg, data, cfg, seed=3, device=cpu, epochs=4.0)
    assert a["history"]["loss"] == b["history"]["loss"] and a["test_acc"] == b["test_acc"]
    long = P.train_variant(vcfg, data, cfg, seed=3, device=cpu, epochs=40.0)
    assert long["test_acc"] >= 0.9
    assert long["params"] == P.param_count(vcfg)["total"]


def test_shift_translates_each_image():
    x = torch.rand(5, 1, 6, 6)
    g = torch.Generator().manual_seed(0)
    assert P._shift(x, 0, g) is x
    y = P._shift(x, 2, torch.Generator().manual_seed(1))
    off = torch.randint(0, 5, (2, 5), generator=torch.Generator().manual_seed(1)) - 2
    pad = F.pad(x, (2, 2, 2, 2))
    for i in range(5):  # y[i] = x[i] moved by (-dy, -dx), zeros shifted in
        dy, dx = off[:, i].tolist()
        torch.testing.assert_close(y[i], pad[i, :, 2 + dy:8 + dy, 2 + dx:8 + dx])


@every_variant
def test_stacked_forward_equals_members(mlp, qk, vo, heads):
    cfg = replace(BASE, mlp=mlp, qk=qk, vo=vo, heads=heads)
    stack = P.StackedViT(cfg, [5, 6])
    x = images(4, cfg)
    shared = stack(x)  # one batch for both members
    own = stack(torch.stack([x, x.flip(0)]))  # each member its own batch
    assert shared.shape == (2, 4, cfg.n_classes)
    for i, s in enumerate([5, 6]):
        torch.manual_seed(s)
        single = P.MinimalViT(cfg)  # the same initial weights as member i
        torch.testing.assert_close(stack.member(i).state_dict(), single.state_dict())
        torch.testing.assert_close(shared[i], single(x), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(own[i], single(x if i == 0 else x.flip(0)), rtol=1e-5,
                                   atol=1e-6)
    with pytest.raises(ValueError, match="images"):
        stack(torch.stack([x, x, x]))


@pytest.mark.parametrize("shift", [0, 1])
def test_stacked_training_matches_separate_runs(shift):
    # every variant (2 seeds each), three-head variants and the depth-0 baseline, trained as
    # one stacked optimisation, equal their separate train_variant runs to float round-off
    data = _Tiny()
    cfg = P.Config(batch=20, lr=1e-2, shift=shift)
    groups = {v: (P.variant_config(BASE, v), [3, 4]) for v in P.VARIANTS}
    groups["3 heads, merged"] = (replace(BASE, heads=3, qk="merged", vo="merged", mlp=False), [4])
    groups["3 heads, separate"] = (replace(BASE, heads=3), [3])
    groups["no attention"] = (replace(BASE, depth=0), [3])
    out = P.train_stacked(groups, data, cfg, device=torch.device("cpu"), epochs=3.0)
    for name, (vcfg, seeds) in groups.items():
        assert [r["seed"] for r in out[name]] == seeds
        for r in out[name]:
            one = P.train_variant(vcfg, data, cfg, seed=r["seed"], device=torch.device("cpu"),
                                  epochs=3.0)
            a, b = one["model"].state_dict(), r["model"].state_dict()
            assert a.keys() == b.keys()
            for k in a:
                torch.testing.assert_close(b[k], a[k], rtol=1e-4, atol=1e-5)
            assert r["params"] == one["params"]
            assert abs(r["test_acc"] - one["test_acc"]) < 1e-6
            # the stacked loss history is the separate run's, logged every step
            np.testing.assert_allclose(r["history"]["loss"][-1], one["history"]["loss"][-1],
                                       rtol=1e-4)


def test_stacked_members_differ_and_learn():
    # members do not interact: a member's result does not depend on the others in its stack
    data = _Tiny()
    cfg = P.Config(batch=20, lr=1e-2)
    vcfg = P.variant_config(BASE, "no MLP, W_QK, no W_VO")
    cpu = torch.device("cpu")
    both = P.train_stacked({"v": (vcfg, [3, 4])}, data, cfg, device=cpu, epochs=2.0)["v"]
    alone = P.train_stacked({"v": (vcfg, [4])}, data, cfg, device=cpu, epochs=2.0)["v"]
    torch.testing.assert_close(both[1]["model"].state_dict(), alone[0]["model"].state_dict(),
                               rtol=1e-5, atol=1e-6)
    w0, w1 = (r["model"].blocks[0].attn.w_qk for r in both)
    assert (w0 - w1).abs().max() > 1e-2
    assert P.replica_seeds(7, 3) == [7, 1007, 2007]
