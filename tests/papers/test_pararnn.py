"""Tests for nonlinlab.papers.pararnn (Danieli et al., ICLR 2026).

Oracles: the sequential loop of the same cell (trajectories and, via autograd, gradients),
torch.func.jacrev for the analytic Jacobians, the sequential scan. The last tests break the
method on purpose (Jacobian at the wrong time step, wrong sign) and check that the chapter's
claims then fail.
"""

import math

import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import pararnn as P

F64 = torch.float64


def _gru(seed=0, a_scale=None, hidden=16, inputs=8):
    g = torch.Generator().manual_seed(seed)
    return P.ParaGRUCell(inputs, hidden, 2, dtype=F64, generator=g, a_scale=a_scale), g


def test_budget_and_configs():
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= BUDGET_S[name], name
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(heads=3)


@pytest.mark.parametrize("a_scale", [None, 1.0])
def test_gru_jacobian_matches_jacrev(a_scale):
    cell, g = _gru(a_scale=a_scale)
    h = torch.randn(5, 16, dtype=F64, generator=g)
    u = cell.project(torch.randn(5, 8, dtype=F64, generator=g)).detach()
    J = cell.jacobian(h, u)
    for i in range(5):
        full = torch.func.jacrev(lambda hh, i=i: cell.step(hh, u[i]))(h[i])
        assert (full - torch.diag(J[i])).abs().max() < 1e-12
    assert (P.cell_jacobian(cell, h, u, force_autograd=True) - J).abs().max() < 1e-12


def test_lstm_block_jacobian_matches_jacrev():
    g = torch.Generator().manual_seed(1)
    cell = P.ParaLSTMCell(8, 6, 2, dtype=F64, generator=g)
    s = torch.randn(6, 2, dtype=F64, generator=g)
    u = cell.project(torch.randn(1, 8, dtype=F64, generator=g))[0].detach()
    J = P.cell_jacobian(cell, s, u)  # (6, 2, 2) per-unit blocks
    full = torch.func.jacrev(lambda ss: cell.step(ss, u))(s)  # (6, 2, 6, 2)
    for i in range(6):
        assert (full[i, :, i, :] - J[i]).abs().max() < 1e-12
    off = full.clone()
    for i in range(6):
        off[i, :, i, :] = 0
    assert off.abs().max() == 0  # units do not interact: block-diagonal


@pytest.mark.parametrize("kind", ["gru", "lstm", "dense"])
def test_newton_converges_to_sequential(kind):
    g = torch.Generator().manual_seed(2)
    if kind == "gru":
        cell = P.ParaGRUCell(8, 16, 2, dtype=F64, generator=g, a_scale=1.0)
    elif kind == "lstm":
        cell = P.ParaLSTMCell(8, 16, 2, dtype=F64, generator=g)
    else:
        cell = P.DenseTanhCell(8, 8, 3.0, dtype=F64, generator=g)
    x = torch.randn(3, 200, 8, dtype=F64, generator=g)
    with torch.no_grad():
        u = cell.project(x)
        ref = P.sequential(cell, u)
        H, info = P.newton_solve(cell, u, iters=200, tol=1e-13, reference=ref)
    assert (H - ref).abs().max() < 1e-10
    assert info.residuals[-1] <= 1e-13 and info.iterations < 30
    assert info.errors[0] > 1e-2


def test_chapter_claims_exactness_and_finite_termination():
    cfg = P.CONFIGS.ci.replace(T_exact=256, newton_max_iters=8)
    conv = P.newton_convergence(cfg, seed=0)
    for info in conv.values():
        assert min(info.errors[:7]) < 1e-10
        assert P.superlinear(info.errors)
    ft = P.finite_termination(cfg.replace(T_dense=12), seed=0)
    assert ft["errors"][-1] < 1e-10
    assert all(p >= k for k, p in enumerate(ft["exact_prefix"]))


def test_superlinear_criterion():
    # seed 31337's hard case: the last step lands on the float64 floor, below e_k^1.5
    assert P.superlinear([8e-1, 1e-1, 5e-3, 8e-6, 2e-11, 3e-16, 2e-16])
    assert P.superlinear([1e-1, 1e-2, 1e-3, 3e-5, 1e-7])        # e_{k+1} < e_k^1.5 throughout
    assert not P.superlinear([1e-1, 5e-2, 2.5e-2, 1.25e-2, 6e-3, 3e-3, 1.5e-3])  # linear
    assert not P.superlinear([1e-3, 1e-6, 1e-8, 1e-10, 1e-12])    # linear tail above the floor
    assert not P.superlinear([1.0, 0.9])                           # nothing in the window


def test_scan_and_depth():
    errs = P.scan_errors(seed=0, T=100)
    assert max(errs.values()) < 1e-12
    assert P.parallel_depth(4096, 3) == 3 * 13
    assert P.parallel_depth(1024, 1) == 11


def test_adjoint_gradients_equal_autograd():
    cfg = P.CONFIGS.ci.replace(hidden=16, inputs=8, T_grad=40, dense_hidden=8, T_dense=12)
    errs = P.gradient_errors(cfg, seed=0)
    assert max(errs.values()) < 1e-10, errs


def test_training_parallel_equals_sequential():
    cfg = P.CONFIGS.ci.replace(parity_hidden=8, parity_batch=8, parity_len=12, steps_compare=5)
    assert P.compare_training(cfg, seed=0) < 1e-10


def test_linear_baseline_and_parity_data():
    g = torch.Generator().manual_seed(0)
    x, y = P.running_parity(4, 10, g)
    assert torch.equal(y[:, 0], x[:, 0]) and torch.equal(y[:, -1], x.sum(1) % 2)
    m = P.DiagLinearRNN(2, 8, 2, dtype=F64, generator=g)
    logits = m(x)
    assert logits.shape == (4, 10, 2)
    # the baseline's recurrence is exactly the sequential loop
    e = m.embed[x]
    a = torch.sigmoid(e @ m.Wa.T + m.ba)
    h, hs = torch.zeros(4, 8, dtype=F64), []
    for t in range(10):
        h = a[:, t] * h + (1 - a[:, t]) * (e[:, t] @ m.Wx.T)
        hs.append(h)
    assert (m.readout(torch.stack(hs, 1)) - logits).abs().max() < 1e-12


def test_timing_runs_and_reports():
    cfg = P.CONFIGS.ci.replace(T_sweep=(16, 32), batch_sweep=(1, 2), T_batch=16, repeats=1,
                               hidden=8, inputs=4)
    res = P.timing_sweep(cfg, seed=0)
    assert [r["T"] for r in res["by_T"]] == [16, 32]
    assert all(r["sequential_s"] > 0 and r["parallel_s"] > 0 for r in res["by_batch"])
    assert all(r["residual"] < 1e-3 for r in res["by_T"])


def test_bad_inputs():
    cell, g = _gru()
    with pytest.raises(ValueError, match="input features"):
        cell.project(torch.zeros(3, 5, dtype=F64))
    with pytest.raises(ValueError, match="unknown init"):
        P.newton_solve(cell, cell.project(torch.zeros(3, 8, dtype=F64)), init="magic")
    with pytest.raises(ValueError):
        P.ParaGRUCell(8, 15, 2)


# -- deliberate breakages: the claims must fail --------------------------------------------
def test_breaking_the_jacobian_time_index_breaks_exactness(monkeypatch):
    # pitfall from the brief: J evaluated at h_t instead of h_{t-1}
    orig = P.step_and_jacobian

    def wrong(cell, h_prev, u, **kw):
        f, _ = orig(cell, h_prev, u, **kw)
        return f, P.cell_jacobian(cell, f, u)

    monkeypatch.setattr(P, "step_and_jacobian", wrong)
    cfg = P.CONFIGS.ci.replace(T_exact=256, newton_max_iters=6)
    info = P.newton_convergence(cfg, seed=0)["hard"]
    assert not (min(info.errors) < 1e-10 and P.superlinear(info.errors))


def test_breaking_the_sign_breaks_newton(monkeypatch):
    orig = P.step_and_jacobian
    monkeypatch.setattr(P, "step_and_jacobian",
                        lambda cell, h, u, **kw: (lambda fJ: (fJ[0], -fJ[1]))(orig(cell, h, u)))
    cfg = P.CONFIGS.ci.replace(T_exact=256, newton_max_iters=6)
    info = P.newton_convergence(cfg, seed=0)["init"]
    assert min(info.errors) > 1e-10 or not P.superlinear(info.errors)
    assert math.isfinite(info.errors[0])


def test_fixed_newton_training_matches_sequential_and_one_iteration_does_not():
    cfg = P.CONFIGS.ci.replace(parity_hidden=8, parity_batch=8, parity_len=16, fixed_steps=6,
                               fixed_check_every=3, fixed_eval=64)
    r3 = P.fixed_newton_training(cfg, seed=0)
    assert len(r3["grad_errors"]) == 2 and r3["grad_errors"][0] < 1e-5
    assert r3["eval_diff"] < 1e-4
    r1 = P.fixed_newton_training(cfg, seed=0, iters=1)  # the chapter's sabotage
    assert r1["grad_errors"][0] > 1e-3
