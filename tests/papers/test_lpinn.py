"""Tests of the Lagrangian PINN chapter: derivatives, residuals (with a mutation), references
against the shared solvers (peer oracles), the n-width SVD, interpolation, bad input."""

import math

import numpy as np
import pytest
import torch

from nonlinlab.data.pde import burgers, convection_diffusion, periodic_grid
from nonlinlab.models.operators import derivative
from nonlinlab.papers import lpinn as P

CFG = P.CONFIGS.ci


def _inputs(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, generator=g, dtype=torch.float64) * 2 * math.pi
    t = torch.rand(n, generator=g, dtype=torch.float64)
    return x, t


def test_mlp_jet_matches_autograd():
    torch.manual_seed(0)
    net = P.MLP(3, 8, 3).double()
    x, t = _inputs()
    z = P.polar(x, t).requires_grad_(True)
    dirs = (P._dx_dir(x), P._dt_dir(x))
    y, (dy_x, dy_t) = P.mlp_jet(net, z, dirs)
    grad = torch.autograd.grad(net(z).sum(), z)[0]
    torch.testing.assert_close(y, net(z))
    torch.testing.assert_close(dy_x, (grad * dirs[0]).sum(1), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(dy_t, grad[:, 2], rtol=1e-10, atol=1e-12)


def test_pinn_residual_matches_autograd_with_diffusion():
    torch.manual_seed(1)
    net = P.PINN(8, 2).double()
    x, t = _inputs()
    x = x.requires_grad_(True)
    t = t.requires_grad_(True)
    r = P.pinn_residual(net, x, t, c=3.0, nu=0.1)
    xt = torch.stack([x, t], 1)
    u = net(xt[:, 0], xt[:, 1])
    # peer: nonlinlab.models.operators.derivative on (x, t) stacked inputs
    u_x = derivative(u, xt, 1, 0)
    u_t = derivative(u, xt, 1, 1)
    u_xx = derivative(u, xt, 2, 0)
    torch.testing.assert_close(r, u_t + 3.0 * u_x - 0.1 * u_xx, rtol=1e-9, atol=1e-10)


class _Exact(P.MLP):
    """A one-unit tanh 'MLP' with tanh(eps s)/eps ~ s: close to the given linear function of
    the polar input (cos x, sin x, t) up to O(eps^2)."""

    def __init__(self, w, scale, eps=1e-4):
        torch.nn.Module.__init__(self)
        lin = torch.nn.Linear(3, 1).double()
        out = torch.nn.Linear(1, 1).double()
        with torch.no_grad():
            lin.weight.copy_(eps * torch.tensor([w], dtype=torch.float64))
            lin.bias.zero_()
            out.weight.fill_(scale / eps)
            out.bias.zero_()
        self.hidden = torch.nn.ModuleList([lin])
        self.out = out


def _exact_lpinn(c):
    net = P.LPINN(4, 1, 1).double()
    net.u = _Exact([0.0, 1.0, 0.0], 1.0)      # u(x0, t) = sin x0
    net.d = _Exact([0.0, 0.0, 1.0], c)        # D(x0, t) = c t
    return net


def test_lagrangian_residuals_vanish_on_exact_characteristics_and_eulerian_do_not():
    """Mutation: the Eulerian residual (u_t + c u_x0) on the exact Lagrangian solution is
    c cos x0, not zero — training the LPINN with it would be wrong."""
    c = 30.0
    net = _exact_lpinn(c)
    x, t = _inputs()
    r_x, r_u = P.lpinn_residuals(net, x, t, c=c, nu=0.0)
    assert float(r_x.detach().abs().max()) < 1e-5 and float(r_u.detach().abs().max()) < 1e-5
    _, r_u_bad = P.lpinn_residuals(net, x, t, c=c, nu=0.0, residual="eulerian")
    torch.testing.assert_close(r_u_bad, c * torch.cos(x), rtol=1e-5, atol=1e-5)
    # diffusion along X = x0 + ct (X_x0 = 1): r_u = -nu u_xx = nu sin x0
    _, r_u_nu = P.lpinn_residuals(net, x, t, c=c, nu=0.1)
    torch.testing.assert_close(r_u_nu, 0.1 * torch.sin(x), rtol=1e-5, atol=1e-5)
    # and the exact LPINN reconstructs the exact Eulerian field
    cfg = CFG.replace(eval_x=128, eval_t=11)
    u = P.predict(net, cfg)["u"]
    assert P.rel_l2(u, P.reference(cfg, c=c, nu=0.0)) < 2e-3


def test_lpinn_loss_is_small_only_for_the_exact_solution():
    c = 30.0
    x, t = P.collocation(16, 8, dtype=torch.float64)
    good = P.lpinn_loss(_exact_lpinn(c), x, t, 16, CFG, c=c, nu=0.0, eq="convection")
    wrong = P.lpinn_loss(_exact_lpinn(c - 1.0), x, t, 16, CFG, c=c, nu=0.0, eq="convection")
    assert float(good.detach()) < 1e-3 < 1.0 < float(wrong.detach())


def test_convection_reference_matches_fourier_solver():
    cfg = CFG.replace(eval_x=64, eval_t=9)
    x, t = P.eval_grid(cfg)
    for c, nu in ((30.0, 0.0), (2.0, 0.01)):
        ref = P.reference(cfg, c=c, nu=nu)
        np.testing.assert_allclose(ref, convection_diffusion(np.sin(x), t, c=c, nu=nu),
                                   atol=1e-12)


def test_burgers_reference_galilean_cole_hopf_matches_pseudo_spectral():
    """Peer oracle: c + Cole-Hopf(x - ct) vs the shared pseudo-spectral solver from sin x + c."""
    cfg = CFG.replace(eval_x=128, eval_t=5)
    c, nu = 2.0, 0.1
    ref = P.reference(cfg, c=c, nu=nu, eq="burgers")
    x, t = P.eval_grid(cfg)
    spec = burgers(np.sin(x) + c, t, nu=nu, dt=1e-3)
    assert np.abs(ref - spec).max() < 1e-6


def test_periodic_interp_of_shifted_samples():
    x = periodic_grid(256)
    X = x + 0.3 + 7 * 2 * np.pi                      # labels that wrapped around 7 times
    u = np.sin(X)
    out = P.periodic_interp(X, u, x)
    assert np.abs(out - np.sin(x)).max() < (2 * np.pi / 256) ** 2 / 8 + 1e-12


def test_nwidth_eulerian_grows_lagrangian_rank_one():
    cfg = CFG.replace(nwidth_x=128, nwidth_t=50, nwidth_cs=(1.0, 30.0))
    nw = P.nwidth_experiment(cfg)
    assert nw["modes_euler"][30.0] >= 3 * nw["modes_euler"][1.0]
    assert nw["lagr_sigma2"] < 1e-12
    assert all(v == 1 for v in nw["modes_lagr"].values())
    assert all(v == 2 for v in nw["sin_rank"].values())


def test_modes_for_energy():
    assert P.modes_for_energy(np.array([1.0, 0.0, 0.0])) == 1
    assert P.modes_for_energy(np.ones(4), energy=0.5) == 2
    with pytest.raises(ValueError):
        P.modes_for_energy(np.ones(3), energy=1.5)


def test_short_training_lpinn_beats_its_eulerian_sabotage():
    """A small LPINN at c = 5 learns; the same LPINN trained with the Eulerian residual does
    not (the sabotage the chapter reports)."""
    cfg = CFG.replace(n_x=16, n_t=16, hidden=12, depth_u=1, depth_x=1, adam_steps=40,
                      lbfgs_epochs=3, eval_x=64, eval_t=20)
    ref = P.reference(cfg, c=5.0, nu=0.0)
    errs = {}
    for res in P.RESIDUALS:
        r = P.train("LPINN", cfg, c=5.0, seed=0, residual=res)
        errs[res] = P.rel_l2(P.predict(r, cfg)["u"], ref)
    assert errs["lagrangian"] < 0.1 < 0.5 < errs["eulerian"], errs


def test_bad_input():
    with pytest.raises(ValueError, match="unknown model"):
        P.make_model("XPINN", CFG, 0)
    net = P.LPINN(4, 1, 1)
    x, t = _inputs()
    with pytest.raises(ValueError, match="unknown residual"):
        P.lpinn_residuals(net, x.float(), t.float(), c=1.0, nu=0.0, residual="mixed")
    with pytest.raises(ValueError, match="unknown equation"):
        P.pinn_residual(P.PINN(4, 1), x.float(), t.float(), c=1.0, nu=0.0, eq="kdv")
    with pytest.raises(ValueError, match="tangent"):
        P.mlp_jet(net.u, torch.zeros(5, 3), (torch.zeros(4, 3),))
    with pytest.raises(ValueError):
        CFG.replace(c_low=40.0)
    with pytest.raises(ValueError, match="shapes differ"):
        P.rel_l2(np.zeros(3), np.ones(4))


def test_estimate_fits_budgets():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= 20 * 60
