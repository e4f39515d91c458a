"""Tests for the generalized-teacher-forcing chapter (lib/nonlinlab/papers/gtf.py)."""

import dataclasses

import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.data import dynamics, dynamics_metrics
from nonlinlab.papers import gtf

F64 = torch.float64


def _model(K=2, clipped=True, seed=0, M=3, L=20):
    return gtf.ShPLRNN(M, L, K=K, clipped=clipped, generator=torch.Generator().manual_seed(seed))


def _data(B=4, T=12, M=3, seed=1):
    return torch.randn(B, T, M, generator=torch.Generator().manual_seed(seed), dtype=F64)


def test_budget_and_configs():
    for name in ("ci", "full"):
        cfg = getattr(gtf.CONFIGS, name)
        cfg.check()
        assert gtf.estimate_seconds(cfg) <= BUDGET_S[name]


def test_official_initialisation():
    m = _model(K=3, L=400)
    assert torch.all(m.a > 0) and torch.all(m.a <= 1 + 1e-12)
    assert float(m.W1.detach().abs().max()) <= 1 / 400 ** 0.5
    assert float(m.W2.detach().abs().max()) <= 1 / 3 ** 0.5
    assert float(m.h2.abs().max()) <= 1 / 400 ** 0.5 and float(m.h1.abs().max()) == 0.0
    assert float(_model(clipped=False).h2.abs().max()) == 0.0


@pytest.mark.parametrize("clipped", [True, False])
def test_jacobian_matches_autograd(clipped):
    m = _model(clipped=clipped)
    z = 2 * _data(B=50, T=1)[:, 0]
    for k in range(m.K):
        step, jac = m.member(k)
        J_auto = dynamics_metrics.autograd_jacobian(step, z)
        assert float((J_auto - jac(z)).abs().max()) < 1e-12


def test_alpha_one_is_teacher_forcing_and_zero_is_free_running():
    m = _model()
    x = _data()
    Z1 = gtf.gtf_forward(m, x, 1.0)
    tf = m(x[:, :-1].expand(m.K, -1, -1, -1))  # every step starts from the data
    assert float((Z1 - tf).abs().max()) < 1e-14
    Z0 = gtf.gtf_forward(m, x, 0.0)
    free = m.generate(x[:, 0].expand(m.K, -1, -1), x.shape[1])[:, :, 1:]
    assert float((Z0 - free).abs().max()) < 1e-14


def test_forced_jacobian_product_is_scaled_model_product():
    m = _model(K=1)
    x = _data(B=1, T=15)
    alpha = 0.3
    # d z̃_T / d z̃_1 by autograd through the forced recursion
    def forced_map(z1):
        xx = torch.cat([z1[None, None], x[:, 1:]], dim=1)
        a = torch.tensor([alpha], dtype=F64)
        z = z1[None, None]
        for t in range(1, xx.shape[1]):
            z = (1 - a) * m(z) + a * xx[:, t]
        return z[0, 0]
    J_forced = torch.autograd.functional.jacobian(forced_map, x[0, 0])
    _, forced = gtf.gtf_forward(m, x, alpha, return_forced=True)
    Js = m.jacobian(forced)[0, 0]  # model Jacobians at the forced states z̃_1..z̃_{T-1}
    P = torch.eye(3, dtype=F64)
    for J in Js:
        P = J @ P
    T = x.shape[1] - 1
    assert torch.allclose(J_forced, (1 - alpha) ** T * P, rtol=1e-10, atol=1e-12)


def test_gtf_gradient_vs_finite_differences():
    m = _model(K=1, L=8)
    x = _data(B=2, T=10)

    def loss():
        return ((gtf.gtf_forward(m, x, 0.2) - x[:, 1:]) ** 2).mean()

    loss().backward()
    g = m.W1.grad.clone()
    eps = 1e-6
    with torch.no_grad():
        for idx in [(0, 0, 0), (0, 1, 3), (0, 2, 7)]:
            m.W1[idx] += eps
            lp = float(loss())
            m.W1[idx] -= 2 * eps
            lm = float(loss())
            m.W1[idx] += eps
            fd = (lp - lm) / (2 * eps)
            assert abs(fd - float(g[idx])) <= 1e-6 * max(1.0, abs(fd))


def test_alpha_estimate_and_update_rule():
    m = _model(K=2)
    x = _data(B=5, T=30)
    a, G = gtf.alpha_product_bound(m.jacobian, x, 2)
    norms = torch.linalg.matrix_norm(m.jacobian(x.expand(2, -1, -1, -1)), ord=2)
    G_ref = norms.log().mean(-1).exp().amax(-1)
    assert torch.allclose(G, G_ref) and torch.allclose(a, (1 - 1 / G_ref).clamp_min(0))
    # the product bound along every sequence is <= 1 at α_est (when α_est > 0)
    prod = ((1 - a)[:, None, None] * norms).log().sum(-1).exp()
    assert bool((prod[a > 0] <= 1 + 1e-9).all())
    old, est = torch.tensor([0.5, 0.5]), torch.tensor([0.7, 0.1])
    new = gtf.update_alpha(old, est, 0.9)
    assert torch.allclose(new, torch.tensor([0.7, 0.9 * 0.5 + 0.1 * 0.1]))


def test_lorenz_field_matches_shared_dysts_field():
    f = gtf.lorenz_field(gtf.lorenz_params())
    x = torch.randn(20, 3, dtype=F64) * 10
    assert torch.allclose(f(x), dynamics.vector_field("Lorenz")(x), rtol=1e-12, atol=1e-12)


def test_clipped_model_bounded_orbit():
    m = _model(K=1, L=50)
    with torch.no_grad():
        m.a.mul_(0.95)  # ‖A‖ < 1
        m.W1.mul_(5.0)
        m.W2.mul_(5.0)
        m.h2.mul_(5.0)
    Z = m.generate(torch.full((1, 4, 3), 3.0, dtype=F64), 20_000)
    assert torch.isfinite(Z).all() and float(Z.abs().max()) < 1e3


def test_gradient_explosion_small():
    cfg = dataclasses.replace(gtf.CONFIGS.ci, grad_T=(25, 400), grad_batch=4)
    r = gtf.gradient_vs_length(cfg, 0)
    g0, gs = r["grad"][0.0], r["grad"][r["alpha_star"]]
    assert g0[-1] / g0[0] > 10 and gs[-1] / gs[0] < 3
    assert float(r["product"]["norm"].max()) <= 1 + 1e-9
    assert bool((r["product"]["norm"] <= r["product"]["bound"] + 1e-9).all())


def test_bad_input():
    with pytest.raises(ValueError):
        gtf.ShPLRNN(0, 5)
    m = _model()
    with pytest.raises(ValueError):
        m(torch.zeros(3, 4, 3, dtype=F64))  # wrong K
    with pytest.raises(ValueError):
        gtf.gtf_forward(m, _data(), 1.5)  # α outside [0, 1]
    with pytest.raises(ValueError):
        gtf.gtf_forward(m, torch.zeros(4, 1, 3, dtype=F64), 0.5)  # T < 2
    with pytest.raises(ValueError):
        gtf.train(m, _data(B=1, T=5)[0], ["agtf"], seq_len=3, batch=2, steps=1, lr=(1e-3, 1e-3),
                  lam_lat=0.0)  # one variant for two members
    with pytest.raises(ValueError):
        gtf.lorenz_field(torch.zeros(2))
    with pytest.raises(ValueError):
        m.member(5)
