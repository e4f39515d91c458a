"""Oracles for nonlinlab.papers.wiatowski_scattering_theory (fast: a few seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import wiatowski_scattering_theory as P

CFG = P.CONFIGS.ci.replace(size=16, n_pairs=4, bandwidths=(2, 4))


def _noise(n, size, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, size, size, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("kind", P.FRAMES)
@pytest.mark.parametrize("n", [8, 16, 32])
def test_admissible_frames_have_bound_one(kind, n):
    fr = P.make_frame(kind, n, CFG, seed=3)
    lp = fr.littlewood_paley()
    assert float(lp.max()) <= 1 + 1e-12 and float(lp.max()) > 1 - 1e-9
    raw = P.make_frame(kind, n, CFG, seed=3, admissible=False)
    assert raw.bound() > 1.0  # the rescaling is not a no-op


def test_parseval_frame_bookkeeping():
    """Σ‖f*g_λ‖² + ‖f*χ‖² in space = Σ_ω LP(ω)|f̂(ω)|²/N² in frequency (Plancherel)."""
    fr = P.make_frame("morlet", 16, CFG)
    f = _noise(1, 16)[0].to(P.DTYPE)
    fh = torch.fft.fft2(f)
    space = sum(float((P.conv(fh, g).abs() ** 2).sum()) for g in fr.g_hat)
    space += float((P.conv(fh, fr.chi_hat).abs() ** 2).sum())
    freq = float((fr.littlewood_paley() * fh.abs() ** 2).sum()) / 16 ** 2
    assert abs(space - freq) < 1e-12 * freq


def test_nonlinearity_lipschitz_constants_on_a_grid():
    g = torch.Generator().manual_seed(0)
    za = torch.complex(*(3 * torch.randn(2, 200_000, generator=g, dtype=torch.float64)))
    zb = za + torch.complex(*(torch.randn(2, 200_000, generator=g, dtype=torch.float64))) * \
        torch.logspace(-6, 1, 200_000, dtype=torch.float64)
    z0 = torch.tensor([1e-3 + 1e-3j], dtype=P.DTYPE)  # tight: near 0, difference along z
    for name, L in P.LIPSCHITZ.items():
        d = (P.nonlinearity(name, za) - P.nonlinearity(name, zb)).abs()
        assert float((d / (za - zb).abs()).max()) <= L + 1e-9, name
        tight = (P.nonlinearity(name, z0 * 1.001) - P.nonlinearity(name, z0)).abs() / (
            0.001 * z0.abs())
        assert float(tight) > 0.99 * L, name
        assert float(P.nonlinearity(name, torch.zeros(1, dtype=P.DTYPE)).abs()) == 0.0


def test_pooling_lipschitz():
    u = _noise(64, 8).to(P.DTYPE)
    v = _noise(64, 8, seed=1).to(P.DTYPE)
    for name in ("none", "average"):
        d = (P.pool(name, u) - P.pool(name, v)).abs().pow(2).sum((-2, -1)).sqrt()
        assert float((d / (u - v).abs().pow(2).sum((-2, -1)).sqrt()).max()) <= 1 + 1e-12
    delta = torch.zeros(1, 8, 8, dtype=P.DTYPE)
    delta[0, 0, 0] = 1
    # discrete sub-sampling with the S^{d/2} factor has ℓ² Lipschitz constant S^{d/2} = 2
    assert float(P.pool("subsample", delta).abs().pow(2).sum().sqrt()) == pytest.approx(2.0)
    assert P.pooling_lipschitz("subsample") == 2.0


def test_plane_wave_transmits_the_littlewood_paley_sum():
    """Depth 1, modulus: |||Φ(e_ω)|||² = |χ̂_0(ω)|² + Σ_λ|ĝ_λ(ω)|²|χ̂_1(0)|² (closed form)."""
    net = P.build_network("gabor", "modulus", "average", 1, CFG)
    w = P.plane_waves(net.frames[0], 3, "nonzero")
    r = P.lipschitz_ratio(net, w, torch.zeros_like(w))
    fr0, fr1 = net.frames
    lp = fr0.littlewood_paley().flatten()
    nz = lp.clone()
    nz[0] = 0
    idx = torch.sort(torch.topk(nz, 3).indices).values
    G = (fr0.g_hat.abs() ** 2).sum(0).flatten()[idx]
    chi0 = fr0.chi_hat.abs().flatten()[idx] ** 2
    want = torch.sqrt(chi0 + G * fr1.chi_hat.abs()[0, 0] ** 2)
    torch.testing.assert_close(torch.sort(r).values, torch.sort(want).values, rtol=1e-10,
                               atol=0)


@pytest.mark.parametrize("kind", P.FRAMES)
def test_nonexpansive_on_worst_case_and_mutation_is_caught(kind):
    """The headline check: ≤ 1 for the admissible network, and a frame 5 % too large
    (B ≈ 1.1, labelled admissible) is caught by the worst-case inputs, not by random pairs."""
    x = _noise(8, 16)
    specs = [(kind, "modulus", "average")]
    good = P.nonexpansiveness_sweep(CFG, x, specs=specs)[0]
    assert good["worst"] <= 1 + 1e-9 and good["admissibility"] <= 1 + 1e-12
    bad = P.nonexpansiveness_sweep(CFG, x, specs=specs, scale=1.05)[0]
    assert bad["worst"] > 1.03
    assert bad["random pairs"] < 1.0  # random pairs alone would not see it


def test_features_bad_input():
    net = P.build_network("morlet", "modulus", "none", 1, CFG)
    with pytest.raises(ValueError, match="x must be"):
        P.features(net, torch.zeros(2, 8, 8))
    with pytest.raises(ValueError, match="unknown frame"):
        P.make_frame("curvelet", 16, CFG)
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        P.build_network("morlet", "softsign", "none", 1, CFG)
    with pytest.raises(ValueError, match="unknown pooling"):
        P.build_network("morlet", "relu", "max", 1, CFG)
    with pytest.raises(ValueError):
        CFG.replace(shift=3)


def test_translation_covariance_exact_for_multiples_of_the_pooling():
    net = P.build_network("random", "relu", "average", 2, CFG, seed=1)
    x = _noise(2, 16)
    base = P.features(net, x)
    moved = P.features(net, P.shift(x, 4))
    for n, (a, b) in enumerate(zip(moved, base, strict=True)):
        torch.testing.assert_close(a, P.shift(b, 4 // 2 ** n), rtol=0, atol=1e-13)


def test_vertical_invariance_needs_pooling():
    """Mutation: without pooling the deep layer is not more invariant."""
    x = P.bandlimited_images(2, 16, 4, seed=0)
    c, k = x
    f = P.evaluate(c, k, 16, torch.zeros(16, 16, 2, dtype=torch.float64))
    cfg = CFG.replace(depth=2, shift=4)
    tr = P.translation_experiment(cfg, f, shifts=(4,))
    avg, none = tr[("average", 4)]["rel"], tr[("none", 4)]["rel"]
    assert avg[-1] < 0.5 * avg[1]
    assert none[-1] > 0.5 * none[1]
    for pl in ("none", "average"):
        rec = tr[(pl, 4)]
        assert all(a <= b for a, b in zip(rec["abs"], rec["bound"], strict=True))


def test_deformation_evaluation_is_exact():
    c, k = P.bandlimited_images(3, 16, 3, seed=0)
    f = P.evaluate(c, k, 16, torch.zeros(16, 16, 2, dtype=torch.float64))
    assert torch.allclose((f ** 2).sum((-2, -1)), torch.ones(3, dtype=torch.float64))
    spec = torch.fft.fft2(f)
    freq = torch.fft.fftfreq(16) * 16
    far = (freq[:, None] ** 2 + freq[None, :] ** 2) > 9 + 1e-9
    assert float(spec.abs()[:, far].max()) < 1e-10  # band-limited to R = 3
    # a constant shift τ ≡ (1, 0) is an exact circular translation by one sample
    tau = torch.zeros(16, 16, 2, dtype=torch.float64)
    tau[..., 0] = 1.0
    torch.testing.assert_close(P.evaluate(c, k, 16, tau), torch.roll(f, 1, dims=-2))
    _, jac = P.deformation_field(16, 0.5, seed=0)
    assert 0 < jac < 0.25


def test_equals_kymatio_scattering2d():
    pytest.importorskip("kymatio")
    x = _noise(2, 32).numpy()
    for J, L in ((1, 4), (2, 4)):
        ours = P.kymatio_scattering(torch.tensor(x), J, L).numpy()
        ref = P.kymatio_reference(x, J, L)
        assert ours.shape == ref.shape
        assert np.abs(ours - ref).max() < 1e-12 * np.abs(ref).max()


def test_kymatio_oracle_mutation():
    """Interleaving the path order (a plausible slip) breaks the equality."""
    pytest.importorskip("kymatio")
    x = _noise(1, 32).numpy()
    ours = P.kymatio_scattering(torch.tensor(x), 2, 4).numpy()
    ref = P.kymatio_reference(x, 2, 4)
    perm = np.r_[0, 1, 9, 2:9, 10:ref.shape[1]]
    assert np.abs(ours[:, perm] - ref).max() > 1e-3 * np.abs(ref).max()


def test_budget_estimates():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 30
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
    assert math.isfinite(P.estimate_seconds(CFG))


def test_discrete_subsampling_is_not_non_expansive_but_averaging_is():
    """On a grid, sub-sampling with the S^{d/2} factor has R = 2: gradient ascent on input
    pairs finds a ratio above 1 with B = 1, and none for 2×2 averaging (R = 1)."""
    x = _noise(4, 16)
    specs = [("random", "modulus", "subsample"), ("random", "modulus", "average")]
    sub, avg = P.nonexpansiveness_sweep(CFG.replace(attack_depth=1), x, seed=0, specs=specs,
                                        steps=8)
    assert sub["admissibility"] == pytest.approx(4.0) and sub["after ascent"] > 1.0
    assert avg["admissibility"] <= 1 + 1e-12 and avg["after ascent"] <= 1 + 1e-9
