"""Oracles for the weight-decay-scaling chapter (Fan et al. 2025)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
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
def test_forward_joint_rescaling_invariance():
    # the output depends on E and W_down only through their common scale: scaling both
    # leaves RMSNorm(h) unchanged (up to the norm's epsilon)
    g = torch.Generator().manual_seed(0)
    p = wds.init_params(2, 16, 8, 3, 2, g, dtype=torch.float64)
    x = torch.randn(5, 8, generator=g, dtype=torch.float64)
    y = wds.forward(p, x)
    q = wds.Params(p.embed * 7.0, p.ups, [w * 7.0 for w in p.downs], p.readout)
    torch.testing.assert_close(wds.forward(q, x), y, rtol=1e-5, atol=1e-5)
    assert y.shape == (2, 5, 3)


def test_train_models_deterministic_and_learns():
    cfg = wds.CONFIGS.ci.replace(transfer_steps=60, batch=16)
    a = wds.train_models(32, [3e-3, 1e-2], [1.0, 1.0], "mup", cfg, seed=0)
    b = wds.train_models(32, [3e-3, 1e-2], [1.0, 1.0], "mup", cfg, seed=0)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert a.curve.shape == (60, 2) and a.spectrum.shape == (2, 32)
    assert (a.curve[-10:].mean(0) < a.curve[:5].mean(0)).all()
    np.testing.assert_allclose(a.sigma_down, a.spectrum[:, 0])


def test_analysis_helpers():
    x = np.array([1.0, 10.0, 100.0])
    assert wds.loglog_slope(x, 3 * x**0.75) == pytest.approx(0.75)
    lrs = np.geomspace(1e-3, 1e-1, 5)
    losses = (np.log(lrs) - np.log(7e-3)) ** 2
    assert wds.best_lr(lrs, losses) == pytest.approx(7e-3, rel=1e-6)
    assert wds.best_lr(lrs, np.arange(5.0)) == lrs[0]


# -- config, budget, bad input ----------------------------------------------------------------
@pytest.mark.parametrize("profile", ["ci", "full"])
def test_estimate_within_budget(profile):
    cfg = getattr(wds.CONFIGS, profile)
    assert 0 < wds.estimate_seconds(cfg) <= BUDGET_S[profile]


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
    with pytest.raises(ValueError, match="equal length"):
        wds.train_models(32, [1e-3], [0.1, 0.2], "mup", wds.CONFIGS.ci)
    with pytest.raises(ValueError, match="base_width"):
        wds.CONFIGS.ci.replace(transfer_widths=(64, 128))
    with pytest.raises(ValueError, match="betas"):
        wds.CONFIGS.ci.replace(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="three"):
        wds.best_lr([1e-3, 1e-2], [1.0, 2.0])
