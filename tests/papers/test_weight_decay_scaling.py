"""Oracles for the weight-decay-scaling chapter (Fan et al. 2025)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.core.chapters import get_chapter
from nonlinlab.papers import weight_decay_scaling as wds


# -- closed forms ------------------------------------------------------------------------------
def test_noise_rms_limits():
    # small ηλ: sqrt(η / (2λ)) whatever β1
    for b1 in (0.0, 0.5, 0.9):
        assert wds.adamw_noise_rms(1e-4, 1e-2, b1) == pytest.approx(math.sqrt(1e-4 / 2e-2),
                                                                     rel=1e-3)
    # β1 = 0: the AR(1) variance η² / (1 - ρ²) exactly
    lr, wd = 0.1, 2.0
    rho = 1 - lr * wd
    assert wds.adamw_noise_rms(lr, wd, 0.0) == pytest.approx(lr / math.sqrt(1 - rho**2))


def test_noise_rms_matches_ideal_adam_simulation():
    # "ideal Adam": v̂ = σ² exactly, momentum without bias correction from the stationary start
    rng = np.random.default_rng(0)
    lr, wd, b1, n, steps = 0.05, 1.0, 0.9, 4000, 3000
    w, m, acc = np.zeros(n), np.zeros(n), 0.0
    for t in range(steps):
        m = b1 * m + (1 - b1) * rng.standard_normal(n)
        w = (1 - lr * wd) * w - lr * m
        if t >= 1000:
            acc += (w**2).mean()
    rms = math.sqrt(acc / (steps - 1000))
    assert rms == pytest.approx(wds.adamw_noise_rms(lr, wd, b1), rel=0.03)


def test_noise_equilibrium_close_to_closed_form():
    out = wds.noise_equilibrium((0.02, 0.05), (1.0,), n=512, horizon=8.0, seed=1)
    assert out["steps"] == 400
    np.testing.assert_allclose(out["rms"], out["closed_form"], rtol=0.06)


# -- AdamW ------------------------------------------------------------------------------------
def test_adamw_step_matches_torch():
    g = torch.Generator().manual_seed(0)
    p0 = torch.randn(5, 7, generator=g, dtype=torch.float64)
    grads = [torch.randn(5, 7, generator=g, dtype=torch.float64) for _ in range(6)]
    ref = p0.clone().requires_grad_(True)
    opt = torch.optim.AdamW([ref], lr=0.03, weight_decay=0.7, betas=(0.9, 0.95), eps=1e-8)
    ours, m, v = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
    for t, gr in enumerate(grads, 1):
        ref.grad = gr.clone()
        opt.step()
        wds.adamw_step_(ours, gr, m, v, t, 0.03, 0.7, (0.9, 0.95), 1e-8)
    torch.testing.assert_close(ours, ref.detach(), rtol=1e-12, atol=1e-14)


def test_adamw_step_per_model_rates():
    p = torch.ones(2, 3)
    m, v = torch.zeros_like(p), torch.zeros_like(p)
    lr = torch.tensor([0.1, 0.0]).view(2, 1)
    wds.adamw_step_(p, torch.zeros_like(p), m, v, 1, lr, 0.5)
    torch.testing.assert_close(p[0], torch.full((3,), 0.95))
    torch.testing.assert_close(p[1], torch.ones(3))


# -- scaling rules ----------------------------------------------------------------------------
def test_rule_exponents():
    assert wds.wd_exponent(0.75) == pytest.approx(0.5)  # the paper's λ2 ∝ √d
    assert wds.wd_exponent(0.5) == pytest.approx(0.0)  # pure noise: µP alone
    assert wds.wd_exponent(1.0) == pytest.approx(1.0)


@pytest.mark.parametrize("width", [64, 256, 1024])
def test_layer_hparams_formulas(width):
    d0, lr, wd = 64, 3e-3, 0.1
    r = width / d0
    sp = wds.layer_hparams(width, d0, lr, wd, "sp")
    assert (sp.lr_matrix, sp.wd_matrix, sp.lr_vector, sp.output_mult) == (lr, wd, lr, 1.0)
    mup = wds.layer_hparams(width, d0, lr, wd, "mup")
    assert mup.lr_matrix == pytest.approx(lr / r) and mup.wd_matrix == wd
    assert mup.lr_vector == lr and mup.wd_vector == 0.0
    assert mup.output_mult == pytest.approx(1 / r)
    rule = wds.layer_hparams(width, d0, lr, wd, "mup_wd")
    assert rule.lr_matrix == pytest.approx(lr / r)
    assert rule.wd_matrix == pytest.approx(wd * math.sqrt(r))
    # η2 λ2 ∝ d^(-1/2) and the steady-state scale sqrt(η2/λ2) d^0.75 is width-invariant
    assert rule.lr_matrix * rule.wd_matrix == pytest.approx(lr * wd / math.sqrt(r))
    assert math.sqrt(rule.lr_matrix / rule.wd_matrix) * width**0.75 == pytest.approx(
        math.sqrt(lr / wd) * d0**0.75)
    general = wds.layer_hparams(width, d0, lr, wd, "mup_wd", gamma=0.6)
    assert general.wd_matrix == pytest.approx(wd * r**0.2)


# -- model ------------------------------------------------------------------------------------
class _TinyCorpus:
    """A stand-in for the byte corpus: a deterministic periodic byte stream."""

    vocab_size = 256

    def __init__(self):
        text = ("def f(x):\n    return x + 1\n" * 200).encode()
        self.train = torch.tensor(list(text), dtype=torch.long)
        self.val = self.train[:2000].clone()

    def random_blocks(self, which, batch, length, generator=None):
        from nonlinlab.data.text import random_blocks
        return random_blocks(getattr(self, which), batch, length, generator=generator)

    def blocks(self, which, length, n_blocks=None):
        from nonlinlab.data.text import token_blocks
        return token_blocks(getattr(self, which), length, n_blocks=n_blocks)


def _tiny_cfg(**kw):
    base = dict(seq_len=8, lm_batch=4, lm_steps=30, val_blocks=8, base_width=8,
                target_width=16, lm_lrs=(1e-2, 2e-2, 4e-2), lm_wds=(0.1, 0.2, 0.4))
    return wds.CONFIGS.ci.replace(**(base | kw))


def test_stacked_lm_matches_single_models():
    # every cell of the stacked model computes exactly what a one-cell model computes
    cfg = _tiny_cfg()
    g = torch.Generator().manual_seed(0)
    p = wds.lm_init(3, 16, cfg, 256, g, device="cpu")
    for k in p:  # make the cells differ
        p[k] = p[k] + 0.1 * torch.randn(p[k].shape, generator=g)
    x = torch.randint(0, 256, (2, 8), generator=g)
    out = wds.lm_forward(p, x, cfg, 0.5)
    assert out.shape == (3, 16, 256)
    for c in range(3):
        one = wds.lm_forward({k: v[c:c + 1] for k, v in p.items()}, x, cfg, 0.5)
        torch.testing.assert_close(out[c:c + 1], one, rtol=1e-5, atol=1e-5)


def _interleaved_rope(x, seq_len, head_dim):
    # the chapter's former RoPE: pairs (x[2i], x[2i+1]) rotated by position · 10000^(-2i/D)
    inv = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2).float() / head_dim))
    ang = torch.arange(seq_len).float()[:, None] * inv[None]
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., ::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1).flatten(-2)


def test_rope_is_llamas_and_equals_interleaved_up_to_the_permutation():
    from nonlinlab.models.llama import apply_rope, rope_cos_sin
    seq, hd, width = 12, 8, 16
    cos, sin, mask = wds._attn_tables(seq, hd, "cpu")
    ref_cos, ref_sin = rope_cos_sin(torch.arange(seq), hd, 10000.0)
    torch.testing.assert_close(cos, ref_cos, rtol=0, atol=0)
    torch.testing.assert_close(sin, ref_sin, rtol=0, atol=0)
    assert torch.equal(torch.isinf(mask), torch.ones(seq, seq, dtype=torch.bool).triu(1))
    perm = wds.rope_layout_perm(width, hd)
    assert sorted(perm.tolist()) == list(range(3 * width))  # a permutation
    assert torch.equal(perm[2 * width:], torch.arange(2 * width, 3 * width))  # v untouched
    x = torch.randn(2, 3, seq, hd, generator=torch.Generator().manual_seed(3))
    head = perm[:hd]  # the same order inside every head
    torch.testing.assert_close(apply_rope(x[..., head], cos, sin),
                               _interleaved_rope(x, seq, hd)[..., head], rtol=1e-6, atol=1e-6)


def test_attention_equals_interleaved_formulation_with_permuted_weights():
    g = torch.Generator().manual_seed(4)
    models, batch, seq, hd, width = 2, 3, 10, 8, 32
    heads = width // hd
    a = torch.randn(models, batch * seq, width, generator=g)
    w = torch.randn(models, width, 3 * width, generator=g) / math.sqrt(width)
    # reference: the former interleaved formulation on the unpermuted weights
    q, k, v = torch.bmm(a, w).view(models, batch, seq, 3, heads, hd).permute(3, 0, 1, 4, 2, 5)
    q, k = _interleaved_rope(q, seq, hd), _interleaved_rope(k, seq, hd)
    causal = torch.full((seq, seq), float("-inf")).triu(1)
    att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + causal, -1)
    ref = (att @ v).permute(0, 1, 3, 2, 4).reshape(models, batch * seq, width)
    perm = wds.rope_layout_perm(width, hd)
    out = wds.causal_attention(a, w[..., perm], batch, hd, wds._attn_tables(seq, hd, "cpu"))
    torch.testing.assert_close(out, ref, rtol=1e-6, atol=1e-6)
    # without the permutation the rotate-half model is a different function
    bad = wds.causal_attention(a, w, batch, hd, wds._attn_tables(seq, hd, "cpu"))
    assert (bad - ref).abs().max() > 1e-3


def test_lm_init_stores_the_draw_in_rotate_half_order():
    cfg = _tiny_cfg()
    width, vocab = 16, 256
    p = wds.lm_init(2, width, cfg, vocab, torch.Generator().manual_seed(9))
    g = torch.Generator().manual_seed(9)
    torch.randn(1, vocab, width, generator=g)  # the embedding is drawn first
    raw = torch.randn(1, width, 3 * width, generator=g) / math.sqrt(width)
    perm = wds.rope_layout_perm(width, cfg.head_dim)
    for c in range(2):
        torch.testing.assert_close(p["qkv0"][c], raw[0][:, perm], rtol=0, atol=0)


def test_lm_is_causal():
    cfg = _tiny_cfg()
    g = torch.Generator().manual_seed(1)
    p = wds.lm_init(1, 16, cfg, 256, g)
    p["readout"] = torch.randn(p["readout"].shape, generator=g)
    x = torch.randint(0, 256, (1, 8), generator=g)
    y = x.clone()
    y[0, 5:] = (y[0, 5:] + 7) % 256
    a, b = wds.lm_forward(p, x, cfg), wds.lm_forward(p, y, cfg)
    torch.testing.assert_close(a[:, :5], b[:, :5])
    assert not torch.allclose(a[:, 5:], b[:, 5:])


def test_parameter_classes():
    assert all(wds.is_matrix(k) for k in ("qkv0", "o1", "up0", "down3"))
    assert not any(wds.is_matrix(k) for k in ("embed", "readout", "gain_attn0", "gain_final"))


def test_train_lm_grid_deterministic_learns_and_decays():
    cfg = _tiny_cfg()
    corpus = _TinyCorpus()
    a = wds.train_lm_grid(16, cfg.lm_lrs, (0.1, 3.0), cfg, corpus, seed=0)
    b = wds.train_lm_grid(16, cfg.lm_lrs, (0.1, 3.0), cfg, corpus, seed=0)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert a.loss.shape == (3, 2) and set(a.sigma) == {"qkv0", "o0", "up0", "down0"}
    assert (a.loss < math.log(256) - 0.5).all()  # learns the periodic stream
    # stronger (lr-coupled) decay gives smaller matrices at every learning rate
    assert (a.sigma["up0"][:, 1] < a.sigma["up0"][:, 0]).all()
    # the broken variant (decaying vectors too) changes the result
    c = wds.train_lm_grid(16, cfg.lm_lrs, (0.1, 3.0), cfg, corpus, seed=0, wd_vectors=True)
    assert not np.allclose(c.loss, a.loss)


def test_lr_schedule():
    assert wds.lr_schedule(1, 100, 0.1) == pytest.approx(0.1)
    assert wds.lr_schedule(10, 100, 0.1) == pytest.approx(1.0)
    assert wds.lr_schedule(100, 100, 0.1) == pytest.approx(0.0, abs=1e-12)
    assert wds.lr_schedule(55, 100, 0.1) == pytest.approx(0.5)


def _grid(width, lrs, wds_, loss, gain):
    sig = {k: np.full(loss.shape, gain, float) for k in ("qkv0", "o0")}
    return wds.LMGrid(width, np.asarray(lrs, float), np.asarray(wds_, float), loss, sig,
                      np.zeros((1, loss.size)))


def test_target_wds_and_transfer():
    base = (0.125, 0.25, 0.5)
    np.testing.assert_allclose(wds.target_wds(base, 4.0), [0.125, 0.25, 0.5, 1.0])
    assert wds.target_wds(base, 9.0).size == 6
    lrs = (1e-2, 2e-2, 4e-2)
    ll, lw = np.log(np.asarray(lrs))[:, None], np.log(np.asarray(base))[None]
    proxy_loss = (ll - np.log(2e-2)) ** 2 + (lw - np.log(0.25)) ** 2
    tw = wds.target_wds(base, 4.0)
    # a target whose optimum sits at λ2 = 0.5 = 0.25·√4: the rule transfers exactly
    target_loss = (ll - np.log(2e-2)) ** 2 + (np.log(tw)[None] - np.log(0.5)) ** 2
    proxy = _grid(16, lrs, base, proxy_loss, 2.0)
    gains = np.tile(np.array([4.0, 2.0, 1.0, 0.5]), (3, 1))  # σ1 ∝ λ2^(-1): for the test only
    target = wds.LMGrid(64, np.asarray(lrs), tw, target_loss,
                        {"qkv0": gains, "o0": gains}, np.zeros((1, 12)))
    tr = wds.transfer(proxy, target)
    assert tr.lr_drift == pytest.approx(0, abs=1e-9)
    assert tr.wd_drift_rule == pytest.approx(0, abs=1e-9)
    assert tr.wd_drift_fixed == pytest.approx(math.log(2))
    assert tr.wd_exponent == pytest.approx(0.5)
    assert tr.regret_rule == pytest.approx(0) and tr.regret_fixed > 0
    assert (tr.gain_rule, tr.gain_fixed, tr.gain_proxy) == (1.0, 2.0, 2.0)
    # implied γ: rule 0.75 + log(1/2)/log 4 = 0.25, fixed 0.5 + 0 = 0.5
    assert tr.gamma_hat == pytest.approx(0.375)
    with pytest.raises(ValueError, match="learning rates"):
        wds.transfer(proxy, _grid(64, (1e-3, 2e-3, 4e-3), tw, target_loss, 1.0))
    with pytest.raises(ValueError, match="not in the target grid"):
        wds.transfer(proxy, _grid(64, lrs, (0.3, 0.6, 1.2, 2.4), target_loss, 1.0))


def test_analysis_helpers():
    x = np.array([1.0, 10.0, 100.0])
    assert wds.loglog_slope(x, 3 * x**0.75) == pytest.approx(0.75)
    lrs = np.geomspace(1e-3, 1e-1, 5)
    losses = (np.log(lrs) - np.log(7e-3)) ** 2
    assert wds.best_lr(lrs, losses) == pytest.approx(7e-3, rel=1e-6)
    assert wds.best_lr(lrs, np.arange(5.0)) == lrs[0]


def test_quadratic_optimum_recovers_planted_surface():
    lrs, lam = np.array([0.02, 0.04, 0.08]), np.array([0.125, 0.25, 0.5, 1.0])
    u, v = np.meshgrid(np.log(lrs), np.log(lam), indexing="ij")

    def bowl(eta, wd):
        du, dv = u - np.log(eta), v - np.log(wd)
        return 2.0 + 0.3 * du**2 + 0.2 * du * dv + 0.1 * dv**2

    # an interior optimum off the grid points is recovered exactly (the argmin cannot)
    assert wds.quadratic_optimum(lrs, lam, bowl(0.05, 0.4)) == pytest.approx((0.05, 0.4))
    # outside the box: the constrained minimum on the edge η = 0.08, λ = 0.3·(0.2/0.08) = 0.75
    assert wds.quadratic_optimum(lrs, lam, bowl(0.2, 0.3)) == pytest.approx((0.08, 0.75))
    # small noise barely moves the whole-grid fit (it would flip a flat argmin)
    noisy = bowl(0.05, 0.4) + 0.002 * np.random.default_rng(0).standard_normal(u.shape)
    eta, wd = wds.quadratic_optimum(lrs, lam, noisy)
    assert abs(math.log(eta / 0.05)) < 0.1 and abs(math.log(wd / 0.4)) < 0.3
    # not convex: falls back to the grid argmin (a corner here)
    assert wds.quadratic_optimum(lrs, lam, -(u**2 + v**2)) == (0.02, 0.125)
    with pytest.raises(ValueError, match="3 × 3"):
        wds.quadratic_optimum(lrs[:2], lam, np.zeros((2, 4)))


# -- config, budget, bad input ----------------------------------------------------------------
@pytest.mark.parametrize("profile", ["ci", "full"])
def test_estimate_within_budget(profile):
    cfg = getattr(wds.CONFIGS, profile)
    budget = {"ci": get_chapter("weight-decay-scaling").ci_budget_s, "full": BUDGET_S["full"]}
    assert 0 < wds.estimate_seconds(cfg) <= budget[profile]


def test_bad_input():
    with pytest.raises(ValueError, match="parametrisation"):
        wds.layer_hparams(64, 32, 1e-3, 0.1, "ntk")
    with pytest.raises(ValueError, match="width"):
        wds.layer_hparams(0, 32, 1e-3, 0.1, "mup")
    with pytest.raises(ValueError, match="lr"):
        wds.layer_hparams(64, 32, -1e-3, 0.1, "mup")
    with pytest.raises(ValueError, match="wd"):
        wds.layer_hparams(64, 32, 1e-3, -0.1, "mup")
    with pytest.raises(ValueError, match="lr"):
        wds.adamw_noise_rms(0.0, 0.1)
    with pytest.raises(ValueError, match="< 1"):
        wds.adamw_noise_rms(1.0, 2.0)
    with pytest.raises(ValueError, match="beta1"):
        wds.adamw_noise_rms(1e-3, 0.1, beta1=1.0)
    with pytest.raises(ValueError, match="wds"):
        wds.train_lm_grid(32, [1e-3], [0.0], wds.CONFIGS.ci, None)
    with pytest.raises(ValueError, match="target_width"):
        wds.CONFIGS.ci.replace(target_width=8)
    with pytest.raises(ValueError, match="head_dim"):
        wds.CONFIGS.ci.replace(target_width=60)
    with pytest.raises(ValueError, match="betas"):
        wds.CONFIGS.ci.replace(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="three"):
        wds.best_lr([1e-3, 1e-2], [1.0, 2.0])
