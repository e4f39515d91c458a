"""Oracles for nonlinlab.papers.evonorm (fast: a few seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nonlinlab.papers import evonorm as P


def _rand_params(*mods, seed=0):
    g = torch.Generator().manual_seed(seed)
    for name in ("weight", "bias", "v"):
        src = getattr(mods[0], name)
        val = torch.randn(src.shape, generator=g, dtype=src.dtype) * 0.5 + 1.0
        for m in mods:
            with torch.no_grad():
                getattr(m, name).copy_(val)


@pytest.fixture(scope="module")
def timm_evo():
    from nonlinlab.models.peers import timm_layer_module

    try:
        return timm_layer_module("evo_norm")
    except ImportError:
        pytest.skip("timm is not installed")


def test_b0_equals_timm_in_train_and_eval(timm_evo):
    torch.manual_seed(0)
    C = 12
    ours = P.EvoNormB0(C, eps=P.TIMM_EPS_B0, unbiased=True)
    theirs = timm_evo.EvoNorm2dB0(C)
    _rand_params(ours, theirs)
    for step in range(3):  # train mode, running variance updated three times
        x = torch.randn(6, C, 5, 7) * (1 + step)
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.running_var, theirs.running_var, atol=1e-6, rtol=1e-6)
    ours.eval()
    theirs.eval()
    x = torch.randn(3, C, 5, 7)
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("groups", [1, 3, 4, 12])
def test_s0_equals_timm(timm_evo, groups):
    torch.manual_seed(1)
    C = 12
    ours = P.EvoNormS0(C, groups, eps=P.TIMM_EPS_S0)
    theirs = timm_evo.EvoNorm2dS0(C, groups=groups)
    _rand_params(ours, theirs)
    x = torch.randn(4, C, 6, 6) * 3
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)
    ours.eval()
    theirs.eval()
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)


def _numpy_b0(x, v, g, b, running, training, eps=P.OFFICIAL_EPS, decay=P.OFFICIAL_DECAY):
    """The official TF code in numpy (channels first, biased moving variance)."""
    sh = (1, -1, 1, 1)
    if training:
        var = x.var(axis=(0, 2, 3))
        running = running - (running - var) * (1 - decay)
    else:
        var = running
    left = np.sqrt(var + eps).reshape(sh)
    right = v.reshape(sh) * x + np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)
    return x / np.maximum(left, right) * g.reshape(sh) + b.reshape(sh), running


def _numpy_s0(x, v, g, b, groups, eps=P.OFFICIAL_EPS):
    n, c, h, w = x.shape
    xg = x.reshape(n, groups, c // groups, h, w)
    std = np.sqrt(xg.var(axis=(2, 3, 4), keepdims=True) + eps)
    std = np.broadcast_to(std, xg.shape).reshape(x.shape)
    sh = (1, -1, 1, 1)
    return x / (1 + np.exp(-v.reshape(sh) * x)) / std * g.reshape(sh) + b.reshape(sh)


def test_official_equations_in_float64():
    torch.manual_seed(2)
    C = 8
    b0 = P.EvoNormB0(C).double()
    s0 = P.EvoNormS0(C, groups=4).double()
    _rand_params(b0)
    _rand_params(s0, seed=1)
    x = torch.randn(5, C, 4, 4, dtype=torch.float64) * 2
    want, run = _numpy_b0(x.numpy(), *(t.detach().numpy() for t in (b0.v, b0.weight, b0.bias)),
                          np.ones(C), True)
    np.testing.assert_allclose(b0(x).detach().numpy(), want, atol=1e-12)
    np.testing.assert_allclose(b0.running_var.numpy(), run, atol=1e-12)
    b0.eval()
    want, _ = _numpy_b0(x.numpy(), *(t.detach().numpy() for t in (b0.v, b0.weight, b0.bias)),
                        run, False)
    np.testing.assert_allclose(b0(x).detach().numpy(), want, atol=1e-12)
    want = _numpy_s0(x.numpy(), *(t.detach().numpy() for t in (s0.v, s0.weight, s0.bias)), 4)
    np.testing.assert_allclose(s0(x).detach().numpy(), want, atol=1e-12)


def test_s0_special_cases():
    """v1 = 1: SiLU(x)/group std; large v1: ReLU(x)/group std (the sabotage target: without the
    group std these identities fail)."""
    torch.manual_seed(3)
    x = torch.randn(3, 8, 5, 5, dtype=torch.float64)
    s0 = P.EvoNormS0(8, 2).double()
    std = (P.group_var(x, 2) + P.OFFICIAL_EPS).sqrt()
    torch.testing.assert_close(s0(x), torch.nn.functional.silu(x) / std)
    with torch.no_grad():
        s0.v.fill_(1e4)
    torch.testing.assert_close(s0(x), torch.relu(x) / std, atol=1e-3, rtol=0)
    # scale: S0 output is unchanged when x and 1/v1 are scaled together (normalised layer)
    with torch.no_grad():
        s0.v.fill_(0.7)
    y = s0(x)
    with torch.no_grad():
        s0.v.fill_(0.7 / 50)
    torch.testing.assert_close(s0(50 * x), y, atol=1e-4, rtol=1e-4)  # up to eps


def test_batch_independence():
    torch.manual_seed(4)
    x = torch.randn(6, 8, 4, 4)
    x2 = x.clone()
    x2[1:] = torch.randn(5, 8, 4, 4) * 5
    s0, b0, bn = P.EvoNormS0(8, 4), P.EvoNormB0(8), P.BatchNormAct(8)
    assert torch.equal(s0(x)[0], s0(x2)[0])
    assert (b0(x)[0] - b0(x2)[0]).abs().max() > 1e-3  # train mode: batch statistics
    assert (bn(x)[0] - bn(x2)[0]).abs().max() > 1e-3
    b0.eval()
    bn.eval()
    assert torch.equal(b0(x)[0], b0(x2)[0])
    assert torch.equal(bn(x)[0], bn(x2)[0])


def test_device_batch_equals_separate_devices():
    torch.manual_seed(5)
    x = torch.randn(8, 6, 3, 3) * 2 + 1
    for cls in (P.EvoNormB0, P.BatchNormAct):
        whole = cls(6, device_batch=2)
        parts = [cls(6) for _ in range(4)]
        y = whole(x)
        for k, m in enumerate(parts):
            torch.testing.assert_close(y[2 * k:2 * k + 2], m(x[2 * k:2 * k + 2]))
        running = "running_var" if cls is P.EvoNormB0 else None
        if running:
            mean_run = torch.stack([m.running_var for m in parts]).mean(0)
            torch.testing.assert_close(whole.running_var, mean_run)
        else:
            torch.testing.assert_close(whole.bn.running_var,
                                       torch.stack([m.bn.running_var for m in parts]).mean(0))
            torch.testing.assert_close(whole.bn.running_mean,
                                       torch.stack([m.bn.running_mean for m in parts]).mean(0))


def test_graphs_of_the_paper_layers_equal_the_layers():
    torch.manual_seed(6)
    x = torch.randn(4, 8, 5, 5, dtype=torch.float64)
    gs0 = P.GraphLayer(P.NAMED_GRAPHS["EvoNorm-S0"], 8, groups=4).double()
    gb0 = P.GraphLayer(P.NAMED_GRAPHS["EvoNorm-B0"], 8).double()
    torch.testing.assert_close(gs0(x), P.EvoNormS0(8, 4).double()(x))
    torch.testing.assert_close(gb0(x), P.EvoNormB0(8).double()(x))
    assert "sigmoid" in P.NAMED_GRAPHS["EvoNorm-S0"].expr()


def test_mutation_and_random_graphs_are_valid():
    rng = np.random.default_rng(0)
    for _ in range(50):
        g = P.random_graph(rng, 4)
        m = P.mutate(g, rng)
        assert len(m.nodes) == 4
        assert sum(a != b for a, b in zip(g.nodes, m.nodes, strict=True)) <= 1
        y = P.GraphLayer(m, 8)(torch.randn(2, 8, 3, 3))
        assert y.shape == (2, 8, 3, 3)


def test_rejection_rules_on_planted_candidates():
    cfg = P.CONFIGS.ci.replace(proxy_steps=15, n_val=100)
    data = P.load_digits(cfg.side)
    ratio = {n: P.stability_ratio(g, data, cfg, seed=0) for n, g in P.PLANTED.items()}
    for name in ("EvoNorm-S0", "EvoNorm-B0"):  # the library layers and their graphs
        assert P.stability_ratio(name, data, cfg, seed=0) < cfg.stability_threshold
        assert P.stability_ratio(P.PAPER_GRAPHS[name], data, cfg, seed=0) < 10
    assert ratio["x³ (planted)"] > 1e6 and math.isinf(ratio["exp(exp(x)) (planted)"])
    assert ratio["x·σ(v1 x), no norm (planted)"] > cfg.stability_threshold
    zero = P.judge(P.NAMED_GRAPHS["zero (planted)"], data, cfg, seed=0)
    assert zero.rejected_by == "quality" and zero.acc < cfg.quality_threshold
    q1 = P.quality(P.NAMED_GRAPHS["EvoNorm-B0"], data, cfg, seed=0)
    q2 = P.quality(P.NAMED_GRAPHS["EvoNorm-B0"], data, cfg, seed=0)
    assert q1 == q2  # deterministic given the seed
    const = P.Graph((("exp", 1, 1), ("add", 5, 2)))  # exp(0) + 1: does not read x
    assert P.judge(const, data, cfg, seed=0).rejected_by == "constant"


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="4-d"):
        P.EvoNormS0(8)(torch.randn(2, 8, 5))
    with pytest.raises(ValueError, match="unknown layer"):
        P.make_norm_act("LayerNorm", 8)
    with pytest.raises(ValueError, match="does not divide"):
        P.group_var(torch.randn(1, 6, 2, 2), 4)
    with pytest.raises(ValueError, match="multiple of device_batch"):
        P.EvoNormB0(4, device_batch=3)(torch.randn(4, 4, 2, 2))
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(device_batches=(2, 32))
    assert P.fit_groups(24, 32) == 24 and P.fit_groups(20, 8) == 5


def test_lr_schedule_and_default_training_unchanged():
    f = [P.lr_factor(t, 100, "cosine", 10) for t in range(100)]
    assert f[0] == pytest.approx(0.1)
    assert f[9] == pytest.approx(0.5 * (1 + math.cos(0.09 * math.pi)))
    assert f[50] == pytest.approx(0.5) and f[99] < 1e-3 and max(f) < 1
    assert all(P.lr_factor(t, 100) == 1.0 for t in range(100))
    with pytest.raises(ValueError, match="schedule"):
        P.lr_factor(0, 10, "step")
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(warmup=P.CONFIGS.ci.steps)  # warm-up must end before the last step
    # the optimiser sees the scheduled rate: Adam's first step moves a weight by about the rate,
    # so with a 10-step warm-up the first step is 10x smaller than without
    data = P.load_digits(14)
    moves = []
    for warmup in (0, 10):
        torch.manual_seed(0)
        net = P.SmallResNet("EvoNorm-S0", (4, 8), groups=2)
        before = net.stem.weight.detach().clone()
        P.train(net, data, steps=1, batch=8, lr=1e-2, seed=0, schedule="cosine", warmup=warmup)
        moves.append(float((net.stem.weight.detach() - before).abs().max()))
    assert moves[0] == pytest.approx(1e-2, rel=1e-3) and moves[1] == pytest.approx(1e-3, rel=1e-3)
