"""Tests for nonlinlab.papers.fernn (Keller, NeurIPS 2025).

Exact oracles: the FERNN flow-equivariance identity h'_t(nu) = roll_{v t} h_t(nu - v) holds to
rounding (float32 < 1e-5, float64 < 1e-10) in 1-D and 2-D; with V = all velocities modulo the
grid it also holds for the velocity-pooled read-out; the G-RNN (V = {0}) is not flow
equivariant; circular convs commute with roll; the gather transport equals torch.roll; the data
generator is an exact flow; bad input raises. A broken cell (roll by the wrong velocity) fails.
"""

import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.core.chapters import all_chapters
from nonlinlab.papers import fernn as P


def test_budget_and_configs():
    budget = {"ci": all_chapters()["fernn"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= budget[name], name
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(ndim=3)
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(train_v=4, test_v=3)


def _model(ndim, v_range, dtype, hidden=4, seed=0):
    torch.manual_seed(seed)
    return P.Seq2SeqFERNN(hidden, P.velocity_set(v_range, ndim), ndim).to(dtype)


@pytest.mark.parametrize("ndim,dtype,tol", [(1, torch.float32, 1e-5), (1, torch.float64, 1e-10),
                                            (2, torch.float32, 1e-5), (2, torch.float64, 1e-10)])
def test_flow_equivariance_exact(ndim, dtype, tol):
    m = _model(ndim, 2, dtype)
    with torch.no_grad():     # larger recurrent weights: a non-trivial state
        m.cell.conv_h.conv.weight.mul_(3.0)
    x = torch.rand(3, 8, 1, *(12,) * ndim, dtype=dtype)
    for v in P.velocity_set(2, ndim):
        e = P.flow_equivariance_error(m, x, v)
        assert e["max_abs"] < tol, (v, e["max_abs"])
        assert e["n_matched"] >= 1
    h = m.encode(x)
    assert h.shape == (3, 8, len(P.velocity_set(2, ndim)), 4) + (12,) * ndim
    assert float(h.detach().abs().max()) > 0.1


def test_grnn_not_flow_equivariant_and_reduction():
    g = _model(1, 0, torch.float64)
    x = torch.rand(2, 8, 1, 16, dtype=torch.float64)
    static = x[:, :1].expand(-1, 8, -1, -1).contiguous()
    e = P.flow_equivariance_error(g, static, (1,), lifted=False)
    assert e["rel"][5] > 1e-2
    # V = {0}: the FERNN cell is exactly the circular-conv RNN h = relu(conv_u f + conv_h h)
    h = torch.zeros(2, 4, 16, dtype=torch.float64)
    for t in range(8):
        h = torch.relu(g.cell.conv_u(x[:, t]) + g.cell.conv_h(h))
    assert torch.equal(g.encode(x)[:, -1, 0], h)
    # G-RNN IS equivariant to static shifts
    xs = P.roll(x, (5,))
    assert (g.encode(xs) - P.roll(g.encode(x), (5,))).abs().max() < 1e-12


def test_cyclic_velocity_set_readout_exact():
    X = 7
    torch.manual_seed(0)
    m = P.Seq2SeqFERNN(4, [(v,) for v in range(X)], 1).double()
    x = torch.rand(2, 6, 1, X, dtype=torch.float64)
    for v in [(1,), (3,), (-2,)]:
        assert P.flow_equivariance_error(m, x, v, cyclic=True)["max_abs"] < 1e-10
        assert P.readout_equivariance_error(m, x, v) < 1e-10
    # with a truncated V the pooled read-out is only approximately equivariant
    m2 = _model(1, 1, torch.float64)
    assert P.readout_equivariance_error(m2, torch.rand(2, 6, 1, 16, dtype=torch.float64),
                                        (3,)) > 1e-6


def test_primitives_and_data():
    conv = P.CircularConv(2, 3, 3, 2).double()
    x = torch.rand(2, 2, 9, 9, dtype=torch.float64)
    assert (conv(P.roll(x, (2, -3))) - P.roll(conv(x), (2, -3))).abs().max() < 1e-12
    cell = P.FERNNCell(1, 3, P.velocity_set(2, 2), 2)
    h = torch.randn(2, 25, 3, 6, 7)
    ref = torch.stack([P.roll(h[:, i], v) for i, v in enumerate(cell.velocities)], 1)
    assert torch.equal(cell.transport(h), ref)
    cfg = P.CONFIGS.ci.replace(n_objects=1, n_patterns=20)
    pats = P.mnist_patterns(cfg)
    seqs, vel = P.make_sequences(pats, 4, 6, cfg, fixed_v=(3,))
    assert seqs.shape == (4, 6, 1, cfg.size) and (vel == 3).all()
    for t in range(6):
        assert torch.equal(seqs[:, t], P.roll(seqs[:, 0], (3 * t,)))
    m = P.make_models(cfg, 0)["FERNN"]
    assert m(seqs[:, :3], 2).shape == (4, 2, 1, cfg.size)


def test_bad_input():
    m = _model(1, 1, torch.float32)
    with pytest.raises(ValueError):
        m.encode(torch.rand(2, 3, 16))               # missing channel axis
    with pytest.raises(ValueError):
        m(torch.full((1, 3, 1, 8), float("nan")), 2)
    with pytest.raises(ValueError):
        m(torch.rand(1, 3, 1, 8), 0)
    with pytest.raises(ValueError):
        P.FERNNCell(1, 2, [(0,), (0,)], 1)
    with pytest.raises(ValueError):
        P.flow_sequence(torch.rand(1, 3, 1, 8), (1, 1), 1)
    with pytest.raises(ValueError):
        P.make_sequences(P.mnist_patterns(P.CONFIGS.ci.replace(n_patterns=10)), 2, 3,
                         P.CONFIGS.ci)


def test_broken_cell_fails_oracle(monkeypatch):
    m = _model(1, 2, torch.float64)
    orig = P.FERNNCell.transport
    monkeypatch.setattr(P.FERNNCell, "transport", lambda self, h: P.roll(h, (1,)))  # one flow
    x = torch.rand(2, 8, 1, 12, dtype=torch.float64)
    assert P.flow_equivariance_error(m, x, (2,))["max_abs"] > 1e-3
    monkeypatch.setattr(P.FERNNCell, "transport", orig)


def test_wide_grnn_reach():
    """The wide G-RNN baseline has V = {0} and cell convolutions 2 test_v + 1 wide: one step
    moves a point input by up to test_v cells (the 3-wide G-RNN by one)."""
    cfg = P.CONFIGS.ci
    models = P.make_models(cfg, 0)
    assert set(models) == {"FERNN", "G-RNN", "G-RNN wide"}
    wide = models["G-RNN wide"]
    k = 2 * cfg.test_v + 1
    assert wide.cell.num_v == 1 and wide.cell.conv_h.conv.kernel_size == (k,)
    assert set(P.make_models(cfg.replace(wide_grnn=False), 0)) == {"FERNN", "G-RNN"}
    x = torch.zeros(1, 1, 1, cfg.size)
    x[..., 10] = 1.0
    for name, reach in (("G-RNN", 1), ("G-RNN wide", cfg.test_v)):
        cell = models[name].cell
        with torch.no_grad():
            cell.conv_u.conv.weight.fill_(1.0)
            h = cell(x[:, 0], models[name].init_hidden(x))[0, 0, 0]
        nz = torch.nonzero(h).flatten()
        assert int(nz.min()) == 10 - reach and int(nz.max()) == 10 + reach
