"""Oracles for nonlinlab.papers.random_field_augmentations (fast: no SimCLR training)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import random_field_augmentations as P

CFG = P.CONFIGS.ci


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_zero_amplitude_is_the_identity():
    x = torch.rand(3, 1, 28, 28)
    amp, length = CFG.amplitudes("none")
    assert (P.rf_spatial(x, amp, length, generator=gen()) - x).abs().max() < 1e-5
    assert (P.rf_colour(x, amp, length, generator=gen()) - x).abs().max() < 1e-6
    rgb = torch.rand(2, 3, 16, 16)
    amp = {**amp, "hue": 0.0, "saturation": 0.0}
    assert (P.rf_colour(rgb, amp, 4.0, generator=gen()) - rgb).abs().max() < 1e-5


def test_constant_fields_are_a_global_affine_warp():
    B, H = 4, 20
    g = gen(1)
    th, s, h, tx, ty = (0.3 * torch.randn(B, generator=g) for _ in range(5))
    const = [v[:, None, None].expand(B, H, H) for v in (th, s, h, tx, ty)]
    grid = P.local_affine_grid(*const)
    c, si, e = th.cos(), th.sin(), s.exp()
    A = torch.stack([torch.stack([c * e, (c * h - si) * e, tx], 1),
                     torch.stack([si * e, (si * h + c) * e, ty], 1)], 1)  # R Sh e^s | t
    ref = F.affine_grid(A, [B, 1, H, H], align_corners=False)
    assert (grid - ref).abs().max() < 1e-5
    x = torch.rand(B, 1, H, H)
    out = F.grid_sample(x, grid, align_corners=False)
    assert (out - F.grid_sample(x, ref, align_corners=False)).abs().max() < 1e-5


def test_hsv_matches_matplotlib_and_constant_colour_fields_are_global():
    from matplotlib.colors import hsv_to_rgb, rgb_to_hsv

    x = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    hsv = P.rgb_to_hsv(x)
    ref = rgb_to_hsv(x.permute(0, 2, 3, 1).numpy())
    assert np.abs(hsv.permute(0, 2, 3, 1).numpy() - ref).max() < 1e-12
    assert (P.hsv_to_rgb(hsv) - x).abs().max() < 1e-12
    dh, ds, dv = 0.3, -0.4, 0.25
    ones = torch.ones(2, 8, 8, dtype=torch.float64)
    out = P.hsv_shift(x, dh * ones, ds * ones, dv * ones)
    r = ref.copy()
    r[..., 0] = (r[..., 0] + dh) % 1
    r[..., 1] = np.clip(r[..., 1] * math.exp(ds), 0, 1)
    r[..., 2] = np.clip(r[..., 2] * math.exp(dv), 0, 1)
    assert np.abs(out.permute(0, 2, 3, 1).numpy() - hsv_to_rgb(r)).max() < 1e-12
    with pytest.raises(ValueError, match="channels"):
        P.hsv_shift(torch.rand(1, 2, 4, 4), ones[:1, :4, :4], ones[:1, :4, :4], ones[:1, :4, :4])


def test_field_statistics_match_the_closed_form_and_scipy():
    st = P.field_statistics(400, 32, 3.0, lags=(1, 2, 4))
    assert abs(st["std"] - 1) < 0.03
    assert np.abs(np.array(st["ours"]) - st["closed_form"]).max() < 0.03
    assert np.abs(np.array(st["ours"]) - st["scipy"]).max() < 0.03


def test_views_are_seeded_and_strength_orders_the_distortion():
    x = torch.zeros(16, 1, 28, 28)
    x[:, :, 8:20, 12:16] = 1.0
    d = {}
    for s in ("baseline", "mild", "strong", "global", "x2"):
        a = P.make_view(x, CFG, s, gen(3))
        assert torch.equal(a, P.make_view(x, CFG, s, gen(3)))
        assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
        d[s] = float((a - P.standard_view(x, CFG, gen(3))).abs().mean())
    assert d["baseline"] == 0 and 0 < d["mild"] < d["x2"] < d["strong"]
    assert 0 < d["global"]


def test_few_shot_is_paired_and_separates_classes():
    g = gen(2)
    y = torch.arange(300) % 3
    f = F.one_hot(y, 3).float() * 3 + 0.3 * torch.randn(300, 3, generator=g)
    acc = P.few_shot(f[:150], y[:150], f[150:], y[150:], shots=5, draws=3)
    assert acc == 1.0
    noise = torch.randn(300, 3, generator=g)
    a1 = P.few_shot(noise[:150], y[:150], noise[150:], y[150:], shots=5, draws=2)
    assert a1 == P.few_shot(noise[:150], y[:150], noise[150:], y[150:], shots=5, draws=2)
    assert a1 < 0.6


def test_digits_are_placed_like_mnist():
    x = P.digits_as_mnist(np.full((2, 64), 16.0))
    assert x.shape == (2, 1, 28, 28)
    assert float(x[..., :4, :].abs().max()) == 0 and float(x[..., 14, 14].min()) == 1


def test_config_validation_and_budget():
    with pytest.raises(ValueError, match="unknown setting"):
        CFG.amplitudes("wild")
    with pytest.raises(ValueError, match="settings"):
        CFG.replace(settings=("baseline", "mild"))
    with pytest.raises(ValueError, match="amplitudes"):
        CFG.replace(rotation=-1.0)
    amp, length = CFG.amplitudes("x2")
    assert amp["rotation"] == 2 * CFG.rotation and length == CFG.length
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
    enc = P.Encoder(CFG)
    assert enc(torch.rand(2, 1, 28, 28)).shape == (2, CFG.feat_dim)
