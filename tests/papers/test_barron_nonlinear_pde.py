"""Oracles for nonlinlab.papers.barron_nonlinear_pde: Fourier machinery against closed forms,
the iteration against scipy's MINPACK Newton (peer oracle), the Barron growth bound, Maurey's
sampling, a mutation (no preconditioner) the tests catch, bad input."""

import math

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import barron_nonlinear_pde as P

CFG = P.CONFIGS.ci


def test_barron_norm_of_rhs_matches_closed_form():
    # f_d for d >= 3: d cosines (|coef| 1/2 at +-e_i, weight 2) and d half-sines
    # (|coef| 1/4 at +-(e_i + e_{i+1}), weight 1 + sqrt 2), all scaled by A / sqrt(d)
    for d in (1, 3):
        tor = P.Torus(d, 3)
        f = P.rhs(tor, 2.0, seed=5)
        if d == 1:
            expect = 2.0 * (2 * 0.5 * 2 + 2 * 0.25 * 3)
        else:
            expect = 2.0 / math.sqrt(d) * d * (2 * 0.5 * 2 + 2 * 0.25 * (1 + math.sqrt(2)))
        assert tor.barron(f) == pytest.approx(expect, rel=1e-12)
        assert tor.wiener(f) >= float(f.abs().max()) - 1e-12


def test_laplacian_and_preconditioner_symbols():
    tor = P.Torus(2, 3)
    x = tor.x
    u = torch.cos(x[0]) * torch.sin(2 * x[1])                    # -Delta u = 5 u
    torch.testing.assert_close(tor.apply(u, -tor.lap), 5 * u)
    torch.testing.assert_close(tor.apply(u, tor.precond), u / 6)
    assert tor.h1(u) == pytest.approx(math.sqrt(6) * tor.l2(u), rel=1e-12)
    assert tor.l2(u) == pytest.approx(0.5, rel=1e-12)


def test_cubic_is_dealiased_galerkin_projection():
    # u = cos(3x) (K = 3): u^3 = (3 cos 3x + cos 9x)/4; the projection keeps 3/4 cos 3x only
    tor = P.Torus(1, 3)
    u = torch.cos(3 * tor.x[0])
    torch.testing.assert_close(tor.project(u ** 3), 0.75 * u, atol=1e-14, rtol=0)


def test_linear_case_closed_form_and_newton_krylov_oracle():
    tor = P.Torus(2, 3)
    f = P.rhs(tor, CFG.A, seed=0)
    lin = P.pgd(tor, f, 0.0, 1.0, 2)[-1]                          # eta = 1: exact in one step
    torch.testing.assert_close(lin, P.linear_closed_form(tor, f), atol=1e-14, rtol=0)
    M = P.sup_bound(tor.wiener(f), CFG.kappa)
    eta, _ = P.step_size(M, CFG.kappa)
    u = P.solve(tor, f, CFG.kappa, eta)
    u_nk = P.newton_reference(tor, f, CFG.kappa)
    assert float((u - u_nk).abs().max()) < 1e-11
    assert tor.l2(P.el_residual(tor, u, f, CFG.kappa)) < 1e-12 * tor.l2(f)
    assert float(u.abs().max()) <= M


def test_sup_bound_solves_max_principle_equation():
    M = P.sup_bound(6.0, 1.0)
    assert M + M ** 3 == pytest.approx(6.0)
    assert P.sup_bound(3.0, 0.0) == 3.0
    lam, Lam = P.smoothness(1.0, 1.0)
    assert (lam, Lam) == (1.0, 4.0)
    assert P.step_size(1.0, 1.0) == pytest.approx((0.4, 0.6))


def test_run_contracts_at_rho_and_growth_bound_holds():
    cfg = CFG.replace(T=60)
    r = P.run_dimension(2, cfg, seed=3)
    assert r["rate"] <= r["rho"]
    assert r["err"][-1] < 1e-8
    assert np.all(r["barron"][1:] <= r["bound"] * (1 + 1e-9))
    assert r["sup_iter"] <= r["M"]


def test_mutation_without_preconditioner_diverges():
    # the same step without (I - Delta)^{-1}: the highest modes are amplified
    tor = P.Torus(1, 12)
    f = P.rhs(tor, CFG.A, seed=0)
    eta, _ = P.step_size(P.sup_bound(tor.wiener(f), CFG.kappa), CFG.kappa)
    with np.errstate(all="ignore"):
        its = P.pgd(tor, f, CFG.kappa, eta, 30, preconditioned=False)
    assert not (float(its[-1].abs().max()) < 10)


def test_resolution_sweep_plain_gd_slows_down():
    sw = P.resolution_sweep(1, (3, 24), CFG.replace(T=60), seed=0)
    assert max(sw["rate_pgd"]) - min(sw["rate_pgd"]) < 0.05
    assert sw["rate_plain"][1] > 0.98 and sw["final_plain"][1] > 0.1
    assert max(sw["final_pgd"]) < 1e-8


def test_maurey_sampling_rate_and_atoms():
    tor = P.Torus(2, 3)
    x = tor.x
    u = 0.3 + torch.cos(x[0] + 0.2) - 0.5 * torch.sin(x[0] + x[1])
    atoms = P.cosine_atoms(tor, u)
    assert len(atoms["alpha"]) == 3 and atoms["S"] == pytest.approx(1.8)
    rng = np.random.default_rng(0)
    err = P.maurey_errors(atoms, (4, 64, 1024), 200, rng).mean(0)
    np.testing.assert_allclose(err[1:] / err[:-1], [0.25, 0.25], rtol=0.15)
    # sabotage: all units copy one atom -> the error does not fall with width
    bad = P.maurey_errors(atoms, (4, 1024), 50, np.random.default_rng(0), shared=True).mean(0)
    assert bad[1] / bad[0] > 0.7


def test_sample_solution_matches_grid_values():
    r = P.run_dimension(1, CFG.replace(T=10), seed=0)
    x, y = P.sample_solution(r, 16, seed=0)
    u = r["u_star"]
    ref = np.interp(x[:, 0].double().numpy(), r["tor"].x[0].numpy(), u.numpy(),
                    period=2 * math.pi)
    assert np.abs(y.numpy() - ref).max() < 0.03                 # linear interp of a smooth field


def test_config_validation_and_budgets():
    with pytest.raises(ValueError, match="net_dims"):
        CFG.replace(net_dims=(5,))
    with pytest.raises(ValueError, match="K"):
        CFG.replace(K=0)
    with pytest.raises(ValueError):
        P.Torus(0, 3)
    assert P.estimate_seconds(CFG) <= 30
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
