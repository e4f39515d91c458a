"""Tests for nonlinlab.papers.al_rnn (Brenner et al., NeurIPS 2024).

Exact oracles (float64): the hand-built AL-RNN of the Lozi map reproduces the direct recursion
and has the Lozi map's closed-form fixed points; region-wise linear maps equal the autograd
Jacobian of the full model; region fixed points satisfy F(z*) = z*; bad input raises. The last
test breaks the construction on purpose and checks that the exactness check then fails.
"""

import pytest
import torch

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.data import dynamics, dynamics_metrics
from nonlinlab.papers import al_rnn as A

F64 = torch.float64


def test_budget_and_configs():
    budget = {"ci": all_chapters()["al-rnn"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in A.CONFIGS.items():
        assert A.estimate_seconds(cfg) <= budget[name], name
    with pytest.raises(ValueError):
        A.CONFIGS.ci.replace(P_sweep=(0, 8))


def _lozi_error(m, steps=50):
    x0 = torch.tensor([0.1, 0.1], dtype=F64)
    g = dynamics.map_step("lozi")
    x = dynamics.iterate_map(g, x0, steps)
    Z = m.generate(m.init_state(x0), steps + 1)
    return float((Z[:, :2] - x).abs().max()), float((Z[:, 2] - x[:, 0]).abs().max())


def test_lozi_construction_is_exact():
    # one step on the attractor: equal to rounding; 50-step orbit: rounding differences grow
    # like exp(0.47 t) (chaos), so 20 steps stay < 1e-12 and 50 steps < 1e-6
    m, g = A.lozi_alrnn(), dynamics.map_step("lozi")
    X = dynamics.simulate_map("lozi", 5000, generator=torch.Generator().manual_seed(0))
    assert (m(m.init_state(X))[:, :2] - g(X)).abs().max() < 1e-14
    err20, copy20 = _lozi_error(m, 20)
    assert err20 < 1e-12 and copy20 < 1e-12
    assert _lozi_error(m, 50)[0] < 1e-6


def test_lozi_fixed_points_match_closed_form():
    m = A.lozi_alrnn()
    fps = [fp for fp in m.region_fixed_points() if fp["real"]]
    got = sorted(tuple(fp["z"][:2].tolist()) for fp in fps)
    want = sorted(map(tuple, A.lozi_fixed_points().tolist()))
    assert len(got) == len(want) == 2
    for g, w in zip(got, want, strict=True):
        assert max(abs(a - b) for a, b in zip(g, w, strict=True)) < 1e-12


@pytest.mark.parametrize("P", [0, 1, 3])
def test_region_maps_equal_autograd_jacobian_and_fixed_points(P):
    g = torch.Generator().manual_seed(P)
    m = A.ALRNN(6, P, 2, generator=g)
    with torch.no_grad():
        m.W.mul_(30.0)
        m.h.normal_(generator=g)
    z = torch.randn(200, 6, dtype=F64, generator=g)
    J = dynamics_metrics.autograd_jacobian(m, z)
    ids = m.region_ids(z)
    mats = torch.stack([m.region_matrix(r) for r in range(2 ** P)])
    assert (J - mats[ids]).abs().max() < 1e-12
    assert (J - m.jacobian(z)).abs().max() < 1e-12
    assert int(ids.max()) < 2 ** P
    for fp in m.region_fixed_points():
        A_r = m.region_matrix(fp["region"])
        assert (A_r @ fp["z"] + m.h - fp["z"]).abs().max() < 1e-10  # region affine map
        if fp["real"]:
            assert (m(fp["z"]) - fp["z"]).abs().max() < 1e-10  # full model


def test_teacher_forcing_cuts_gradient_and_matches_free_run():
    g = torch.Generator().manual_seed(0)
    m = A.ALRNN(5, 2, 2, generator=g)
    x = torch.randn(3, 9, 2, dtype=F64, generator=g)
    # tau larger than the sequence: no forcing, identical to the free run
    free = m.generate(m.init_state(x[:, 0]), 9)[:, 1:]
    assert torch.allclose(m.teacher_forced(x, 100), free.detach(), atol=1e-14)
    # with tau=1 the prediction at t depends on x_{t-1} only through the forced units
    xr = x.clone().requires_grad_(True)
    pred = m.teacher_forced(xr, 1)
    pred[:, 4].sum().backward()
    assert xr.grad[:, 5:].abs().max() == 0 and xr.grad[:, 4].abs().max() > 0


def test_transition_matrix():
    T, f = A.transition_matrix(torch.tensor([0, 0, 1, 0, 1, 1]), 4)
    assert torch.allclose(torch.as_tensor(T[:2, :2]), torch.tensor([[1 / 3, 2 / 3], [1 / 2, 1 / 2]],
                                                                    dtype=F64))
    assert T[2:].sum() == 0 and abs(f.sum() - 1) < 1e-15


def test_bad_input():
    with pytest.raises(ValueError):
        A.ALRNN(4, 3, 2)  # N > M - P
    m = A.ALRNN(4, 1, 2)
    with pytest.raises(ValueError):
        m(torch.zeros(3, 5, dtype=F64))
    with pytest.raises(ValueError):
        m.init_state(torch.zeros(3, dtype=F64))
    with pytest.raises(ValueError):
        m.teacher_forced(torch.zeros(2, 1, 2, dtype=F64), 1)
    with pytest.raises(ValueError):
        m.region_matrix(2)
    with pytest.raises(ValueError):
        A.transition_matrix(torch.tensor([0, 3]), 2)


def test_dstsp_diverged_is_finite_and_identical_is_zero():
    x = torch.randn(2000, 3, dtype=F64, generator=torch.Generator().manual_seed(1))
    assert A.dstsp(x, x) == 0.0
    bad = torch.full_like(x, float("nan"))
    assert 0 < A.dstsp(x, bad) < 20 and A.dh(x, bad, 10.0) == 1.0


def test_broken_construction_fails():
    m = A.lozi_alrnn()
    with torch.no_grad():
        m.W[0, 2] = -1.7  # |x| replaced by relu(x) only: wrong equation
    assert _lozi_error(m)[0] > 1e-3


def test_stacked_step_equals_models_and_prediction_error_of_exact_model():
    g = torch.Generator().manual_seed(3)
    ms = [A.ALRNN(6, P, 2, generator=g) for P in (0, 2)]
    with torch.no_grad():
        for m in ms:
            m.h.normal_(generator=g)
    z = torch.randn(2, 5, 6, dtype=F64, generator=g)
    stk = [torch.stack([getattr(m, k) for m in ms]) for k in ("a", "W", "h", "lo")]
    out = A._stacked_step(*stk, z)
    for k, m in enumerate(ms):
        assert (out[k] - m(z[k])).abs().max() < 1e-14
    # the exact Lozi AL-RNN predicts the Lozi map: 20 free steps agree to rounding × chaos
    x = dynamics.simulate_map("lozi", 400, generator=torch.Generator().manual_seed(0))
    assert A.prediction_error(A.lozi_alrnn(), x, 5, 20) < 1e-12


def test_stacked_free_run_equals_free_run_of_each_model():
    # the validation selection runs the stacked tensors; the test set runs one ALRNN: both
    # must give the same orbit. Three chaotic Lozi AL-RNNs (both ReLU regions visited). The
    # stacked run's first kept point is one step later than free_run's (free_run counts z_1),
    # hence transient + 1 below.
    ms = [A.lozi_alrnn(), A.lozi_alrnn(a=1.6, b=0.4), A.lozi_alrnn(a=1.65, b=0.5)]
    stk = [torch.stack([getattr(m, k).detach() for m in ms]) for k in ("a", "W", "h", "L", "lo")]
    x1 = torch.tensor([0.1, 0.2], dtype=F64)
    X = A._stacked_free_run(*stk, x1, 30, 5)
    assert X.shape == (3, 30, 2)
    for k, m in enumerate(ms):
        Z = A.free_run(m, x1, 30, 6)
        assert m.region_ids(Z).unique().numel() == 2
        assert torch.allclose(X[k], Z[:, : m.N], rtol=1e-12, atol=1e-12)
    # several starts at once: (K, S, T, N), each start as its own single run
    starts = torch.randn(4, 2, dtype=F64, generator=torch.Generator().manual_seed(5)) * 0.3
    XS = A._stacked_free_run(*stk, starts, 20, 2)
    assert XS.shape == (3, 4, 20, 2)
    for s in range(4):
        assert torch.allclose(XS[:, s], A._stacked_free_run(*stk, starts[s], 20, 2),
                              rtol=1e-12, atol=1e-12)


def test_stacked_training_trains_each_model_on_its_own_loss():
    g = torch.Generator().manual_seed(0)
    x = dynamics.simulate_map("lozi", 300, generator=g)
    ms = [A.ALRNN(4, P, 2, generator=g) for P in (0, 1)]
    before = [m.W.detach().clone() for m in ms]
    losses = A.train(ms, x, seq_len=5, tau=1, batch=4, steps=3, lr=(1e-2, 1e-3), noise=0.0,
                     generator=g)
    assert len(losses) == 2 and all(len(ls) == 3 for ls in losses)
    assert all((m.W - b).abs().max() > 0 for m, b in zip(ms, before, strict=True))
    single = A.train(ms[0], x, seq_len=5, tau=1, batch=4, steps=2, lr=(1e-2, 1e-3), noise=0.0,
                     generator=g)
    assert len(single) == 2 and isinstance(single[0], float)
    with pytest.raises(ValueError):
        A.train([ms[0], A.ALRNN(5, 1, 2)], x, seq_len=5, tau=1, batch=4, steps=1,
                lr=(1e-2, 1e-3), noise=0.0, generator=g)


@pytest.mark.parametrize("tau", [1, 3, 100])
def test_handwritten_bptt_equals_autograd(tau):
    # the hand-written BPTT gives the loss and gradients of autograd through teacher_forced
    g = torch.Generator().manual_seed(tau)
    ms = [A.ALRNN(7, P, 3, generator=g) for P in (0, 2, 4)]
    with torch.no_grad():
        for m in ms:
            m.W.mul_(40.0)
            m.h.normal_(generator=g)
    x = torch.randn(3, 5, 11, 3, dtype=F64, generator=g)
    stk = [torch.stack([getattr(m, k).detach() for m in ms]) for k in ("a", "W", "h", "L", "lo")]
    loss, grads = A.bptt_loss_and_grads(*stk, x, tau)
    for k, m in enumerate(ms):
        ref = ((m.teacher_forced(x[k], tau)[..., :3] - x[k, :, 1:]) ** 2).mean()
        ref_g = torch.autograd.grad(ref, [m.a, m.W, m.h, m.L])
        r = float(ref.detach())
        assert abs(float(loss[k]) - r) < 1e-12 * (1 + abs(r))
        for got, want in zip(grads, ref_g, strict=True):
            assert (got[k] - want).abs().max() < 1e-10 * (1 + want.abs().max())
    # broken forcing (the forced units keep their gradient) no longer matches
    stale = A.bptt_loss_and_grads(*stk, x, 10 ** 6)[1]
    if tau < 11:
        assert max(float((s - t).abs().max()) for s, t in zip(stale, grads, strict=True)) > 1e-6


def test_selection_score_ranks_off_grid_runs_last_and_attractor_stats():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3000, 3, dtype=F64, generator=g)
    spread = torch.randn(3000, 3, dtype=F64, generator=g).clamp(-1.9, 1.9)  # on the grid
    off = torch.full_like(x, 5.0)  # collapsed outside the ±2 std grid
    on = torch.zeros_like(x)  # collapsed on the grid
    assert A.on_grid_fraction(x, off) == 0.0 and A.on_grid_fraction(x, on) == 1.0
    s_spread, s_on, s_off = (A.selection_score(x, y) for y in (spread, on, off))
    assert s_spread < 100 <= s_on and s_off >= 100  # collapsed runs fail the extent guard
    narrow = 0.5 * spread  # on the grid, but half the data's spread
    assert A.on_grid_fraction(x, narrow) == 1.0 and not A.has_extent(x, narrow)
    assert A.has_extent(x, spread) and A.selection_score(x, narrow) >= 100
    both = torch.stack([spread, narrow])  # several free runs: mean of their scores
    assert abs(A.selection_score(x, both)
               - (A.selection_score(x, spread) + A.selection_score(x, narrow)) / 2) < 1e-12
    st = A.attractor_stats(x, spread)
    assert 0.85 < st["std_ratio_min"] <= st["std_ratio_max"] < 1.1 and st["wing"] > 0.45
    st = A.attractor_stats(x, on)
    assert st["std_ratio_max"] == 0.0 and st["wing"] == 0.0
    assert A.attractor_stats(x, torch.full_like(x, float("nan")))["on_grid"] == 0.0
    # the grid condition is relative to the data's own fraction on its grid (here a Gaussian
    # in 3-D: ≈ 0.87, below the old fixed 90 %): another sample of the data has extent, the
    # same sample shifted by one std along an axis does not
    other = torch.randn(3000, 3, dtype=F64, generator=g)
    st = A.attractor_stats(x, other)
    assert 0.84 < st["on_grid_data"] < 0.9 and st["on_grid"] < 0.9 and A.has_extent(x, other)
    shifted = other + torch.tensor([1.0, 0.0, 0.0], dtype=F64)
    assert not A.has_extent(x, shifted)
    assert A.attractor_stats(x, shifted)["std_ratio_min"] > 0.9  # the grid condition fails it


def test_training_with_validation_keeps_best_checkpoint():
    g = torch.Generator().manual_seed(1)
    x = dynamics.simulate_map("lozi", 600, generator=g)
    ms = [A.ALRNN(4, 1, 2, generator=g) for _ in range(2)]
    losses, best = A.train(ms, x[:400], seq_len=6, tau=1, batch=8, steps=6, lr=(1e-2, 1e-3),
                           noise=0.0, generator=g, val=x[400:], val_every=2, val_transient=10)
    assert len(losses) == 2 and len(best) == 2
    for m, b in zip(ms, best, strict=True):  # the written-back model is the kept checkpoint
        X = m.generate(m.init_state(x[400]), 200 + 11)[11:, :2]
        assert abs(A.selection_score(x[400:], X) - b) < 1e-9
    losses, best = A.train(ms, x[:400], seq_len=6, tau=1, batch=8, steps=6, lr=(1e-2, 1e-3),
                           noise=0.0, generator=g, val=x[400:], val_every=2, val_transient=10,
                           val_starts=2, val_steps=150)
    for m, b in zip(ms, best, strict=True):  # mean score over free runs from x[400], x[500]
        X = torch.stack([m.generate(m.init_state(x[400 + 100 * j]), 150 + 11)[11:, :2]
                         for j in range(2)])
        assert abs(A.selection_score(x[400:], X) - b) < 1e-9
    with pytest.raises(ValueError):
        A.train(ms, x, seq_len=6, tau=1, batch=8, steps=1, lr=(1e-2, 1e-3), noise=0.0,
                generator=g, val=x[400:], val_every=0)
