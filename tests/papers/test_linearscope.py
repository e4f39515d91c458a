"""Oracles for nonlinlab.papers.linearscope (fast: a few seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nonlinlab.core.chapters import all_chapters
from nonlinlab.papers import linearscope as P

F64 = torch.float64


def _classifier(unit="relu", seed=0):
    """An untrained classifier with non-trivial batch-norm statistics, in eval mode."""
    torch.manual_seed(seed)
    m = P.Classifier(unit, (3, 4)).to(F64)
    for bn in (m.features[1], m.features[5]):
        bn.running_mean.uniform_(-0.3, 0.3)
        bn.running_var.uniform_(0.5, 2.0)
        nn.init.uniform_(bn.weight, 0.5, 1.5)
        nn.init.uniform_(bn.bias, -0.3, 0.3)
    return m.eval()


def _digits(n=3, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed), dtype=F64)


@pytest.mark.parametrize("unit", P.UNITS)
def test_gain_reproduces_the_unit(unit):
    z = torch.cat([torch.linspace(-6, 6, 201, dtype=F64), torch.tensor([0.0, 1e-9, -1e-9],
                                                                        dtype=F64)])
    g = P.gain(unit, z)
    np.testing.assert_allclose(P.unit_offset(unit) + g * z, P._unit(unit)(z), atol=1e-14)
    assert torch.isfinite(g).all()


def test_single_layer_closed_forms():
    torch.manual_seed(0)
    lin = nn.Linear(6, 5).to(F64)
    net = nn.Sequential(lin, P.Scope("relu"), nn.Linear(5, 2).to(F64))
    x = torch.randn(1, 6, dtype=F64)
    z = lin(x)[0]
    # ReLU layer: A = W2 diag(1[z>0]) W1, b = W2 diag(1[z>0]) b1 + b2
    mask = torch.diag((z > 0).to(F64))
    want_A = net[2].weight @ mask @ lin.weight
    want_b = net[2].weight @ mask @ lin.bias + net[2].bias
    got_A = P.rows(net, x)
    with torch.no_grad():
        got_b = P.bias_term(net, x)[0]
    np.testing.assert_allclose(got_A.detach(), want_A.detach(), atol=1e-14)
    np.testing.assert_allclose(got_b, want_b.detach(), atol=1e-14)
    # max-pool: the interpreter gathers the entries batch 0 selects
    pool = P.ScopeMaxPool(2)
    z0 = torch.randn(1, 2, 4, 4, dtype=F64)
    z1 = torch.randn(1, 2, 4, 4, dtype=F64)
    _, idx = F.max_pool2d(z0, 2, return_indices=True)
    _, y1 = P.interpret(pool, z0, z1)
    np.testing.assert_array_equal(y1, z1.flatten(2).gather(2, idx.flatten(2)).view_as(y1))


def test_relu_interpreter_is_the_jacobian_peer_oracle():
    """Peer oracle: for ReLU / max-pool / BN-eval nets, A(x) = torch.func.jacrev and
    A(x)^T w = torch.autograd.functional.vjp of the plain network."""
    m = _classifier("relu")
    x = _digits(1)
    A = P.rows(m, x)
    J = torch.func.jacrev(lambda z: m(z[None])[0])(x[0]).reshape(10, -1)
    np.testing.assert_allclose(A, J.detach(), atol=1e-13)
    assert torch.allclose(P.matrix(m, x), A, atol=1e-13)  # columns = rows
    w = torch.randn(1, 10, dtype=F64)
    _, vjp = torch.autograd.functional.vjp(m, x, w)
    np.testing.assert_allclose(P.apply_AT(m, x, w), vjp, atol=1e-13)
    # the same for the SR network (bicubic, convolutions, pixel shuffle, residual sum)
    torch.manual_seed(1)
    sr = P.SRNet(4, 3).to(F64).eval()
    xs = torch.rand(1, 1, 6, 6, dtype=F64)
    np.testing.assert_allclose(P.matrix(sr, xs), P.jacobian(sr, xs), atol=1e-13)


@pytest.mark.parametrize("unit", ["gelu", "tanh", "sigmoid", "softplus"])
def test_smooth_units_replay_exactly_but_differ_from_the_jacobian(unit):
    m = _classifier(unit)
    x = _digits(4)
    f, ax, b = P.decompose(m, x)
    np.testing.assert_allclose(ax + b, f, atol=1e-12)
    gap = P.jacobian_gap(m, x[:2])
    assert gap["gap"].min() > 1e-2 and gap["adjoint"].max() < 1e-12


def test_adjoint_and_linearity():
    m = _classifier("relu")
    x = _digits(2)
    gen = torch.Generator().manual_seed(3)
    u, v = (torch.randn(x.shape, generator=gen, dtype=F64) for _ in range(2))
    with torch.no_grad():
        lhs = P.apply_A(m, x, 2.0 * u - 3.0 * v)
        rhs = 2.0 * P.apply_A(m, x, u) - 3.0 * P.apply_A(m, x, v)
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)
    w = torch.randn(2, 10, generator=gen, dtype=F64)
    np.testing.assert_allclose(float((w * lhs).sum()),
                               float((P.apply_AT(m, x, w) * (2.0 * u - 3.0 * v)).sum()),
                               rtol=1e-12)


def test_mutation_gains_from_the_wrong_batch_fail_the_oracle(monkeypatch):
    """If a LinearScope reads its mask from batch 1 (the interpreter's own input) instead of
    batch 0, the replay of x itself still holds, but A(x) is no longer the Jacobian."""

    def wrong(self, z):
        if not self.active:
            return P._unit(self.unit)(z)
        z0, z1 = z.chunk(2)
        return torch.cat([P._unit(self.unit)(z0), P.gain(self.unit, z1) * z1])

    m = _classifier("relu")
    x = _digits(2)
    f, ax, b = P.decompose(m, x)
    monkeypatch.setattr(P.Scope, "forward", wrong)
    f2, ax2, b2 = P.decompose(m, x)
    np.testing.assert_allclose(ax2 + b2, f2, atol=1e-12)  # replay alone does not catch it
    assert P.jacobian_gap(m, x[:1])["gap"][0] > 0.05  # the Jacobian oracle does


def test_mutation_derivative_gain_breaks_replay(monkeypatch):
    """With the derivative u'(z0) as gain (a gradient, not the paper's mask), a tanh net is no
    longer replayed: A(x)x + b(x) != f(x)."""
    m = _classifier("tanh")
    x = _digits(2)
    monkeypatch.setattr(P, "gain", lambda name, z: 1.0 - torch.tanh(z) ** 2)
    f, ax, b = P.decompose(m, x)
    assert (ax + b - f).abs().max() > 1e-3


def test_sr_analysis_sanity():
    torch.manual_seed(0)
    sr = P.SRNet(4, 3).to(F64).eval()
    hr = torch.rand(1, 1, 28, 28, dtype=F64)
    out = P.sr_analysis(sr, hr, border=2)
    assert out["replay_err"] < 1e-12
    assert out["A"].shape == (28 * 28, 14 * 14)
    assert 0.0 < out["locality"] <= 1.0 and 0.0 <= out["zero_mean"] <= 1.0
    # bicubic operator: materialised columns reproduce F.interpolate; a column sums to 4
    x = torch.rand(1, 1, 9, 9, dtype=F64)
    B = P.bicubic_matrix(9)
    np.testing.assert_allclose(B @ x.flatten(), P.bicubic_up(x).flatten(), atol=1e-14)
    np.testing.assert_allclose(B.sum(0)[4 * 9 + 4], 4.0, atol=1e-12)  # interior: ×2 DC gain
    # a residual branch that outputs zero leaves exactly the bicubic operator
    with torch.no_grad():
        sr.residual[-2].weight.zero_()
        sr.residual[-2].bias.zero_()
    np.testing.assert_allclose(P.matrix(sr, P.downsample(hr)), P.bicubic_matrix(14), atol=1e-14)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown unit"):
        P.Scope("swish")
    m = _classifier("relu")
    with pytest.raises(ValueError, match="same shape"):
        P.interpret(m, _digits(2), _digits(1))
    with pytest.raises(ValueError, match="batch size 1"):
        P.matrix(m, _digits(2))
    with pytest.raises(ValueError, match="28, 28"):
        m(torch.zeros(1, 1, 14, 14, dtype=F64))
    m.train()
    with pytest.raises(ValueError, match="eval mode"):
        P.interpret(m, _digits(1), _digits(1))
    with pytest.raises(ValueError, match="sr_patch"):
        P.CONFIGS.ci.replace(sr_patch=15)
    with pytest.raises(ValueError, match="smooth_units"):
        P.CONFIGS.ci.replace(smooth_units=("relu",))


def test_configs_and_estimate():
    ci, full = P.CONFIGS.ci, P.CONFIGS.full
    budget = all_chapters()["linearscope"].ci_budget_s
    assert P.estimate_seconds(ci) < budget and P.estimate_seconds(full) < 20 * 60
    assert full.sr_steps > ci.sr_steps and full.n_per_class >= ci.n_per_class
    assert math.isclose(P.unit_offset("softplus"), math.log(2.0))
    assert P.float64_device("mps").type == "cpu" and P.float64_device("cpu").type == "cpu"
