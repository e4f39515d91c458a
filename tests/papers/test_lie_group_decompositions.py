"""Oracles for nonlinlab.papers.lie_group_decompositions (fast: a few seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg as sl
import torch
import torch.nn.functional as F

from nonlinlab.papers import lie_group_decompositions as P


def _random_glplus(n: int, seed: int = 0, sl2: bool = False) -> torch.Tensor:
    g = torch.randn(n, 2, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    g = torch.where((torch.linalg.det(g) < 0)[:, None, None], g.flip(-1), g)
    if sl2:
        g = g / torch.linalg.det(g).sqrt()[:, None, None]
    return g


@pytest.mark.parametrize("group", ["gl2", "sl2"])
def test_left_polar_matches_scipy(group):
    g = _random_glplus(200, 1, sl2=group == "sl2")
    Pm, R = P.left_polar(g)
    for a, p_ours, r_ours in zip(g.numpy(), Pm.numpy(), R.numpy(), strict=True):
        u, p = sl.polar(a, side="left")  # a = p u
        np.testing.assert_allclose(p_ours, p, atol=1e-10)
        np.testing.assert_allclose(r_ours, u, atol=1e-10)
    torch.testing.assert_close(Pm @ R, g, atol=1e-10, rtol=0)
    assert bool((torch.linalg.eigvalsh(Pm) > 0).all())
    torch.testing.assert_close(torch.linalg.det(R), torch.ones(200, dtype=torch.float64))
    # the Cartan form: log P = ½ log(g gᵀ), R the same rotation
    log_p, R2 = P.cartan_log(g)
    torch.testing.assert_close(P.sym_expm(log_p), Pm, atol=1e-10, rtol=0)
    torch.testing.assert_close(R2, R, atol=1e-10, rtol=0)


@pytest.mark.parametrize("group", ["gl2", "sl2"])
def test_hat_vee_and_bases(group):
    v = torch.randn(50, P.group_dim(group), dtype=torch.float64)
    torch.testing.assert_close(P.vee(P.hat(v, group, 0.7), group, 0.7), v)
    X = P.hat(v, group)
    if group == "sl2":
        torch.testing.assert_close(X.diagonal(dim1=-2, dim2=-1).sum(-1), torch.zeros(50,
                                                                                 dtype=X.dtype))
    with pytest.raises(ValueError):
        P.hat(torch.zeros(3, 7), group)


@pytest.mark.parametrize("group", ["gl2", "sl2"])
def test_cartan_chart_is_global_where_exp_is_not(group):
    gen = torch.Generator().manual_seed(0)
    g = P.outside_exp_image(300, group, generator=gen)
    assert not bool(P.has_real_log(g).any())  # Culver: two distinct negative eigenvalues
    # scipy's logm has no real logarithm for them: the principal log is complex
    for a in g[:20].numpy():
        assert np.abs(np.imag(sl.logm(a))).max() > 1e-3
    rel = P.chart_round_trip(g, group, "cartan") / g.abs().amax((-2, -1))
    assert float(rel.max()) < 1e-9  # eigh of ggᵀ: rounding × condition number
    # the exponential chart cannot reach them (mutation: using it as the chart)
    assert float(P.chart_round_trip(g, group, "exp").min()) > 0.1
    # and on random elements both charts agree with g (the exp chart where a real log exists)
    h = _random_glplus(300, 2, sl2=group == "sl2")
    assert float(P.chart_round_trip(h, group, "cartan").max()) < 1e-9
    # the exponential matches scipy's expm on the algebra
    v = torch.randn(20, P.group_dim(group), dtype=torch.float64)
    want = np.stack([sl.expm(a) for a in P.hat(v, group).numpy()])
    np.testing.assert_allclose(P.xi(v, group, "exp").numpy(), want, atol=1e-12)


def test_xi_inv_known_values():
    # ξ⁻¹(exp(X) R(θ)) = (vee X, θ) with θ in [0, 2π) (official convention)
    X = torch.tensor([[0.3, 0.1], [0.1, -0.2]], dtype=torch.float64)
    for theta in (0.4, 2.5, -1.0, math.pi - 1e-3):
        g = P.sym_expm(X) @ P.rotation_2d(torch.tensor(theta, dtype=torch.float64))
        c = P.xi_inv(g, "gl2")
        assert abs(float(c[3]) - theta % (2 * math.pi)) < 1e-12
        torch.testing.assert_close(P.hat(torch.cat([c[:3], c.new_zeros(1)]), "gl2"), X)
    # the identity has coordinates 0 (not 2π)
    torch.testing.assert_close(P.xi_inv(torch.eye(2, dtype=torch.float64), "sl2"),
                               torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize("group", ["gl2", "sl2"])
@pytest.mark.parametrize("sampler", P.SAMPLERS)
def test_sample_pairs_are_inverse(group, sampler):
    g, g_inv = P.sample_pair(8, group, sampler, generator=torch.Generator().manual_seed(0))
    assert g.shape == (8, 2, 2) and g.dtype == torch.float32
    torch.testing.assert_close(g @ g_inv, torch.eye(2).expand(8, 2, 2), atol=1e-6, rtol=0)
    det = torch.linalg.det(g.double())
    if group == "sl2":
        torch.testing.assert_close(det, torch.ones(8, dtype=torch.float64), atol=1e-6, rtol=0)
    assert bool((det > 0).all())
    if sampler == "cartan":
        # the SPD factor of g is the square root of the log-normal sample; R equidistant
        Pm, R = P.left_polar(g.double())
        theta = torch.atan2(R[:, 1, 0], R[:, 0, 0])
        want = torch.linspace(-math.pi, math.pi, 8, dtype=torch.float64)
        err = torch.remainder(theta - want + math.pi, 2 * math.pi) - math.pi
        assert float(err.abs().max()) < 1e-5
    with pytest.raises(ValueError):
        P.sample_pair(4, group, "nope")


def test_lifting_is_rotation_equivariant():
    for group in ("sl2", "gl2"):
        assert P.equivariance_error(0, group) < 1e-10


def test_lifting_equivariance_fails_when_the_grid_is_not_transformed(monkeypatch):
    # mutation: kernels evaluated on the untransformed grid (no g⁻¹x) → not equivariant
    monkeypatch.setattr(P.torch, "einsum", lambda eq, a, b: b.expand(a.shape[0], *b.shape)
                        if eq == "nij,hwj->nhwi" else torch.functional.einsum(eq, a, b))
    assert P.equivariance_error(0, "sl2") > 1e-2


@pytest.mark.parametrize("shear", [1, -1])
def test_lifting_is_shear_equivariant_when_the_window_holds_the_sheared_disk(shear):
    # x₁ ↦ x₁ ± x₂ maps the pixel grid to itself; the 5×5 window cuts the sheared kernels
    assert P.shear_equivariance_error(0, "sl2", window=9, shear=shear) < 1e-10
    assert P.shear_equivariance_error(0, "sl2", window=5, shear=shear) > 0.1


def test_shear_support_fits_predicts_exactness():
    cfg = P.CONFIGS.ci
    args = dict(group="sl2", kernel=cfg.kernel, n=cfg.gsamples, spd_bounds=cfg.spd_bounds,
                ortho_bounds=cfg.ortho_bounds)
    # seed 6175, shear −1: a log-normal draw stretches a sheared support past the 9×9 window
    assert not P.shear_support_fits(6175, window=9, shear=-1, **args)
    assert P.shear_equivariance_error(6175, window=9, shear=-1, **args) > 0.1
    assert P.shear_support_fits(6175, window=11, shear=-1, **args)
    assert P.shear_equivariance_error(6175, window=11, shear=-1, **args) < 1e-10
    for shear in (1, -1):
        assert P.shear_support_fits(0, window=9, shear=shear, **args)
        assert not P.shear_support_fits(0, window=5, shear=shear, **args)
    with pytest.raises(ValueError, match="sl2"):
        P.shear_support_fits(0, group="gl2", window=9)


def test_shear_equivariance_fails_when_the_grid_is_not_transformed(monkeypatch):
    monkeypatch.setattr(P.torch, "einsum", lambda eq, a, b: b.expand(a.shape[0], *b.shape)
                        if eq == "nij,hwj->nhwi" else torch.functional.einsum(eq, a, b))
    assert P.shear_equivariance_error(0, "sl2", window=9) > 1e-2


def test_lifting_window_keeps_the_output_size():
    cfg = P.Config(gsamples=3, channels=2, out_channels=4, inr_dim=8)
    x = torch.randn(2, 1, cfg.canvas, cfg.canvas)
    g, g_inv = P.sample_pair(3, "sl2", generator=torch.Generator().manual_seed(0))
    sizes = [P.LiftConv(1, 2, 5, "sl2", cfg, w)(x, g_inv).shape for w in (5, 9)]
    assert sizes[0] == sizes[1] == (2, 2, 3, cfg.canvas - 4, cfg.canvas - 4)
    # the window only adds grid points outside the k-pixel disk of an untransformed kernel
    lift = P.LiftConv(1, 2, 5, "sl2", cfg, 9)
    with torch.no_grad():
        K = lift.kernel(torch.eye(2)[None]).reshape(2, 9, 9)
    edge = [0, 1, -2, -1]
    assert float(K[:, edge].abs().max()) == float(K[..., edge].abs().max()) == 0.0
    with pytest.raises(ValueError):
        P.Config(lift_window=4)


def test_group_conv_shapes_and_identity_reduction():
    cfg = P.Config(gsamples=3, channels=2, out_channels=4, inr_dim=8)
    torch.manual_seed(0)
    net = P.GroupNet(cfg)
    x = torch.randn(2, 1, cfg.canvas, cfg.canvas)
    assert net(x).shape == (2, 10)
    # with the identity sampler every sample carries the same kernel: the lifted channels agree
    ident = P.GroupNet(cfg, "identity")
    s = P.sample_pair(cfg.gsamples, cfg.group, "identity")
    h = ident.lift(x, s[1])
    torch.testing.assert_close(h[:, :, 0], h[:, :, 2])
    with pytest.raises(ValueError):
        net(torch.randn(2, 3, 8, 8))
    with pytest.raises(ValueError):
        P.build("group:nope", cfg)


def test_identity_control_with_one_sample_is_the_network_with_identical_copies():
    """The identity sampler computes one sample and counts it gsamples times: same logits and
    same gradients as the network evaluated on gsamples identical samples (I)."""
    cfg = P.Config(gsamples=4, channels=3, out_channels=5, inr_dim=8)
    torch.manual_seed(0)
    net = P.GroupNet(cfg, "identity").double()
    assert net.samples()[0].shape == (1, 2, 2)
    x = torch.randn(3, 1, cfg.canvas, cfg.canvas, dtype=torch.float64)
    y = torch.tensor([1, 4, 7])
    full = tuple(t.double() for t in P.sample_pair(cfg.gsamples, cfg.group, "identity"))
    outs, grads = [], []
    for samples in (None, full):
        net.zero_grad()
        out = net(x, samples)
        F.cross_entropy(out, y).backward()
        outs.append(out.detach())
        grads.append(torch.cat([p.grad.flatten() for p in net.parameters()]))
    torch.testing.assert_close(outs[0], outs[1], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-8, atol=1e-12)
    # counting the sample once instead of gsamples times is a different network
    net.zero_grad()
    one = net.gconv(net.lift(x, full[1][:1]), full[0][:1], full[1][:1], 1)
    many = net.gconv(net.lift(x, full[1][:1]), full[0][:1], full[1][:1], cfg.gsamples)
    torch.testing.assert_close(many, cfg.gsamples * one)
    assert not torch.allclose(many, one)


def test_warp_matches_the_affine_map():
    # a single bright pixel moves where A says (normalised coordinates, x = column)
    x = torch.zeros(1, 1, 33, 33)
    x[0, 0, 16, 20] = 1.0  # at (x, y) = (4/33·2, 0) in normalised coordinates
    A = torch.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]])  # rotation by +90° in (x, y)
    y = P.warp(x, A)
    r, c = divmod(int(y.argmax()), 33)
    assert (r, c) == (20, 16)
    p = P.affine_params(500, 1.0, generator=torch.Generator().manual_seed(0))
    det = torch.linalg.det(p[:, :, :2])
    assert bool((det > 0).all()) and float(det.min()) > 0.8 ** 2 * math.cos(math.pi / 4) - 1e-9
    with pytest.raises(ValueError):
        P.warp(x, A[:, :1])


def test_config_checks():
    with pytest.raises(ValueError):
        P.Config(group="so3")
    with pytest.raises(ValueError):
        P.Config(sampler="bad")
    with pytest.raises(ValueError):
        P.sample_pair(4, "sl2", ortho_bounds=0.0)
    assert P.estimate_seconds(P.CONFIGS.ci) > 0


def test_siren_matches_the_official_structure_and_init():
    # official SIREN(num_hidden=2): a first sine layer plus 2 hidden ones, then the linear
    # output U(±√(6/hidden)/√(in_ch·k²)) with zero bias; hidden sine layers have zero bias
    torch.manual_seed(0)
    net = P.Siren(5, 64, 128, nlayers=2, w0=10.0, fan_in=8 * 25).requires_grad_(False)
    assert len(net.layers) == 3
    assert float(net.layers[0].weight.abs().max()) <= 1 / 5
    assert float(net.layers[1].weight.abs().max()) <= math.sqrt(6 / 64) / 10
    assert float(net.layers[1].bias.abs().max()) == float(net.layers[2].bias.abs().max()) == 0.0
    bound = math.sqrt(6 / 64) / math.sqrt(8 * 25)
    w = net.out.weight
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.95 * bound
    # the group convolution's kernel net: fan_in counts in-channels × k², not the samples
    gconv = P.GroupConv(4, 6, 5, "sl2", "cartan", P.Config(gsamples=3, inr_dim=16))
    bound = math.sqrt(6 / 16) / math.sqrt(4 * 25)
    assert float(gconv.inr.out.weight.detach().abs().max()) > 0.95 * bound


def test_layer_norm_over_all_axes():
    x = torch.randn(3, 4, 5, 6, 6, dtype=torch.float64)
    w, b = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    mu = x.mean((1, 2, 3, 4), keepdim=True)
    var = x.var((1, 2, 3, 4), keepdim=True, unbiased=False)
    ref = (x - mu) / torch.sqrt(var + 1e-5) * w.view(1, -1, 1, 1, 1) + b.view(1, -1, 1, 1, 1)
    torch.testing.assert_close(P.layer_norm_all(x, w, b), ref)
