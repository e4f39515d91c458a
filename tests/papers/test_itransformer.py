"""Oracles for nonlinlab.papers.itransformer (fast: a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.models import forecasting as F
from nonlinlab.papers import itransformer as P


def _numpy_itransformer(model: F.ITransformer, x: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """An independent float64 forward of Eq. (1) from the equations and the weights."""
    sd = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}

    def ln(h, w, b):
        mu, var = h.mean(-1, keepdims=True), h.var(-1, keepdims=True)
        return (h - mu) / np.sqrt(var + 1e-5) * w + b

    def gelu(a):
        from scipy.special import erf
        return 0.5 * a * (1 + erf(a / np.sqrt(2)))

    mean = x.mean(1, keepdims=True)
    std = np.sqrt(x.var(1, keepdims=True) + 1e-5)
    tokens = np.concatenate([((x - mean) / std).transpose(0, 2, 1), marks.transpose(0, 2, 1)], 1)
    h = tokens @ sd["embed.weight"].T + sd["embed.bias"]
    heads = model.layers[0].attn.num_heads
    for i in range(len(model.layers)):
        p = f"layers.{i}."
        wq, wk, wv = np.split(sd[p + "attn.in_proj_weight"], 3)
        bq, bk, bv = np.split(sd[p + "attn.in_proj_bias"], 3)
        B, T, D = h.shape
        dh = D // heads

        q, k, v = ((h @ w.T + b).reshape(B, T, heads, dh).transpose(0, 2, 1, 3)
                   for w, b in ((wq, bq), (wk, bk), (wv, bv)))
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        o = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
        o = o @ sd[p + "attn.out_proj.weight"].T + sd[p + "attn.out_proj.bias"]
        h = ln(h + o, sd[p + "norm1.weight"], sd[p + "norm1.bias"])
        f = gelu(h @ sd[p + "ff.0.weight"].T + sd[p + "ff.0.bias"])
        f = f @ sd[p + "ff.3.weight"].T + sd[p + "ff.3.bias"]
        h = ln(h + f, sd[p + "norm2.weight"], sd[p + "norm2.bias"])
    y = ln(h, sd["norm.weight"], sd["norm.bias"]) @ sd["project.weight"].T + sd["project.bias"]
    y = y[:, : x.shape[2]].transpose(0, 2, 1)
    return y * std + mean


def test_itransformer_forward_equals_numpy_equations():
    torch.manual_seed(0)
    model = F.ITransformer(24, 12, 5, d_model=16, n_heads=4, d_ff=32).double().eval()
    x, marks = np.random.default_rng(0).normal(size=(3, 24, 5)), np.random.default_rng(1).normal(
        size=(3, 24, 4))
    ours = model(torch.as_tensor(x), marks=torch.as_tensor(marks)).detach().numpy()
    assert np.abs(ours - _numpy_itransformer(model, x, marks)).max() < 1e-10


def test_block_equals_pytorch_post_norm_encoder_layer():
    """Peer oracle: the official block is PyTorch's own post-norm TransformerEncoderLayer."""
    torch.manual_seed(0)
    ours = F.ITransformer(24, 12, 5, d_model=16, n_heads=4, d_ff=32).layers[0].eval()
    peer = nn.TransformerEncoderLayer(16, 4, 32, 0.0, activation="gelu", batch_first=True,
                                      norm_first=False).eval()
    with torch.no_grad():
        peer.self_attn.load_state_dict(ours.attn.state_dict())
        peer.linear1.load_state_dict(ours.ff[0].state_dict())
        peer.linear2.load_state_dict(ours.ff[3].state_dict())
        peer.norm1.load_state_dict(ours.norm1.state_dict())
        peer.norm2.load_state_dict(ours.norm2.state_dict())
        h = torch.randn(3, 9, 16)
        assert (ours(h) - peer(h)).abs().max() < 1e-5


def test_permutation_equivariance_and_variate_count():
    torch.manual_seed(0)
    model = P.build_model("iTransformer", 24, 12, 5, d_model=16, n_heads=4, marks=True)
    x = torch.randn(4, 24, 9)
    assert P.permutation_error(model, x, 5) < 1e-5
    inner = model.model
    for n in (2, 11):  # the same weights on other variate counts
        assert inner(torch.randn(2, 24, n)).shape == (2, 12, n)


def test_time_tokens_are_not_permutation_equivariant_mutation():
    """The vanilla arrangement (tokens along time) breaks the identity: the check can fail."""
    torch.manual_seed(0)
    model = P.build_model("vanilla arrangement", 24, 12, 5, d_model=16, n_heads=4)
    assert P.permutation_error(model, torch.randn(4, 24, 5), 5) > 1e-3


def test_attention_is_the_only_path_between_variates():
    torch.manual_seed(0)
    x = torch.randn(4, 24, 5)
    mixing = P.build_model("iTransformer", 24, 12, 5, d_model=16, n_heads=4)
    alone = P.build_model("w/o attention", 24, 12, 5, d_model=16, n_heads=4)
    assert P.cross_variate_influence(mixing, x, 0, 3) > 1e-3
    assert P.cross_variate_influence(alone, x, 0, 3) == 0.0
    assert P.cross_variate_influence(F.RLinear(24, 12, 5), x, 0, 3) == 0.0


def test_lead_lag_planted_truth():
    d = P.lead_lag_series(2000, 4, (0, 24, 48, 96), seed=0)
    assert d.values.shape == (2000, 16) and d.values.dtype == np.float32
    assert np.allclose(d.values[:d.train_end].mean(0), 0, atol=1e-4)
    # variate 4 (driver 0, lag 24) is variate 0 (driver 0, lag 0) delayed by 24 steps
    shifted = np.corrcoef(d.values[:-24, 0], d.values[24:, 4])[0, 1]
    assert shifted > 0.8 and shifted > np.corrcoef(d.values[:, 0], d.values[:, 4])[0, 1] + 0.1
    assert list(d.lag[:8]) == [0, 0, 0, 0, 24, 24, 24, 24] and list(d.driver[:5]) == [0, 1, 2, 3, 0]
    x, y = d.windows("test", 96, 48)
    x48, y48 = d.windows("test", 48, 48)
    assert torch.equal(y, y48) and x.shape[1:] == (96, 16)
    with pytest.raises(ValueError):
        d.windows("dev", 96, 48)


def test_ett_windows_append_the_marks():
    w = P.ett_windows("ETTh1", 96, 96)
    assert [len(w[s][0]) for s in ("train", "val", "test")] == [8449, 2785, 2785]
    assert w["train"][0].shape[2] == 11 and w["train"][1].shape[2] == 7
    assert float(w["train"][0][..., 7:].abs().max()) <= 0.5


def test_tiny_training_beats_naive_on_lead_lag():
    cfg = P.CONFIGS.ci.replace(syn_length=1500, syn_epochs=1, syn_steps_per_epoch=15,
                               syn_lookbacks=(96,), syn_d_model=16)
    res = P.run_lead_lag(cfg, seed=0, device=torch.device("cpu"),
                         models=("iTransformer", "naive"))
    assert res[("iTransformer", 96)].mse < res[("naive", 96)].mse


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown model"):
        P.build_model("Informer", 24, 12, 5, d_model=16, n_heads=4)
    with pytest.raises(ValueError, match="marks"):
        P.build_model("RLinear", 24, 12, 5, d_model=16, n_heads=4, marks=True)
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(horizons=(192,))
    with pytest.raises(ValueError):
        P.WithMarks(F.ITransformer(24, 12, 5, d_model=16, n_heads=4), 5)(torch.randn(2, 24, 5))
    alone = P.build_model("w/o attention", 24, 12, 5, d_model=16, n_heads=4)
    with pytest.raises(ValueError, match="no attention"):
        P.attention_map(alone, torch.randn(2, 24, 5))


def test_estimates_fit_budgets():
    assert P.estimate_seconds(P.CONFIGS.ci) <= all_chapters()["itransformer"].ci_budget_s
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
