"""Oracles for nonlinlab.papers.neural_deformable_models (fast: a few seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp
from scipy.spatial import cKDTree
from scipy.special import beta as B

from nonlinlab.core import all_chapters
from nonlinlab.models.meshes import chamfer_distance, parametric_grid
from nonlinlab.papers import neural_deformable_models as P

SMALL = P.CONFIGS.ci.replace(n_train=16, n_test=6, n_calib=8, batch=8, steps=60,
                             global_steps=40, fit_steps=40, grid_gt=(24, 32))


def test_superquadric_satisfies_inside_outside_identity():
    eta, omega = P.param_grid(17, 23, dtype=torch.float64)
    for eps1, eps2 in ((1.0, 1.0), (0.7, 1.1), (0.5, 0.8)):
        x = P.superquadric(eta, omega, 1.1, 0.9, 2.0, eps1, eps2)
        F = P.inside_outside(x, 1.1, 0.9, 2.0, eps1, eps2)
        assert (F - 1).abs().max() < 1e-10


def test_closed_superellipsoid_volume_matches_trimesh_and_closed_form():
    trimesh = pytest.importorskip("trimesh")
    a1, a2, a3, e1, e2 = 1.2, 0.9, 2.0, 0.8, 0.9

    def fn(u, v):  # u: η from pole to pole (closed surface), v: ω
        eta, omega = torch.tensor(-math.pi / 2 + math.pi * u), torch.tensor(2 * math.pi * v)
        return P.superquadric(eta, omega, a1, a2, a3, e1, e2).numpy()

    V, F = parametric_grid(fn, 257, 256, wrap_u=False, wrap_v=True)
    vol = abs(trimesh.Trimesh(V, F, process=False).volume)
    exact = 2 * a1 * a2 * a3 * e1 * e2 * B(e1 / 2 + 1, e1) * B(e2 / 2, e2 / 2)
    assert abs(vol / exact - 1) < 1e-2


def test_taper_bend_rotation_closed_form():
    n = P.n_raw(2)
    g = P.params_from_raw(torch.zeros(1, n, dtype=torch.float64), 2)
    g.a1[:] = 1.0
    g.a2[:] = 1.0
    g.a3[:], g.eps1[:], g.eps2[:], g.beta[:] = 2.0, 1.0, 1.0, 0.0
    g.taper[:] = torch.tensor([[0.2, -0.1]])
    g.bend[:] = torch.tensor([[0.05, 0.03]])
    g.rotation[:] = math.pi / 2
    g.center[:] = torch.tensor([[0.1, 0.2, 0.3]])
    eta, omega = torch.tensor([0.3], dtype=torch.float64), torch.tensor([0.0],
                                                                        dtype=torch.float64)
    x = P.global_shape(eta, omega, g)[0, 0]
    z = 2 * math.sin(0.3)
    xx = math.cos(0.3) * (1 + 0.2 * z / 2) + 0.05 * z * z  # taper then bend
    yy = 0.0 + 0.03 * z * z
    want = torch.tensor([-yy + 0.1, xx + 0.2, z + 0.3], dtype=torch.float64)  # rotate by π/2
    torch.testing.assert_close(x, want)


def test_gpf_interpolates_its_controls_and_rejects_bad_raw():
    ctrl = torch.tensor([[1.0, 2.0, 0.5, 3.0]])
    nodes = torch.linspace(P.ETA_APEX, P.ETA_BASE, 4)
    torch.testing.assert_close(P.gpf(ctrl, nodes), ctrl)
    with pytest.raises(ValueError, match="raw must have"):
        P.params_from_raw(torch.zeros(2, 5), 4)
    with pytest.raises(ValueError, match="n_steps"):
        P.odeint_rk4(lambda x, t: x, torch.zeros(1, 2, 3), 0)
    with pytest.raises(ValueError, match="batch"):
        P.CONFIGS.ci.replace(batch=1)


def test_rk4_flow_matches_scipy_solve_ivp():
    torch.manual_seed(0)
    flow = P.LocalFlow(SMALL).double()
    for p in flow.parameters():  # a non-trivial velocity field (the last layer starts at zero)
        torch.nn.init.normal_(p, std=0.25)
    x0 = torch.randn(1, 5, 3, dtype=torch.float64)
    c = torch.randn(1, SMALL.code, dtype=torch.float64)
    ours = flow(x0, c, n_steps=64)[0].detach().numpy()

    def f(t, y):
        with torch.no_grad():
            return flow.velocity(torch.tensor(y).view(1, 5, 3), t, c).view(-1).numpy()

    ref = solve_ivp(f, (0, 1), x0.view(-1).numpy(), method="DOP853", rtol=1e-11, atol=1e-12)
    assert np.abs(ours.reshape(-1) - ref.y[:, -1]).max() < 1e-7
    # the inverse map: backwards in time
    assert P.invertibility_error(flow, x0, c, n_steps=64) < 1e-8
    assert P.min_jacobian_det(flow, x0, c) > 0


def test_chamfer_equals_meshes_and_brute_force_with_same_gradient():
    g = torch.Generator().manual_seed(1)
    A = torch.randn(2, 30, 3, generator=g, dtype=torch.float64, requires_grad=True)
    Bq = torch.randn(2, 45, 3, generator=g, dtype=torch.float64)
    ours = P.chamfer(A, Bq)
    ref = chamfer_distance(A, Bq)
    torch.testing.assert_close(ours, ref)
    brute = [cKDTree(Bq[i].numpy()).query(A[i].detach().numpy())[0] ** 2 for i in range(2)]
    brute2 = [cKDTree(A[i].detach().numpy()).query(Bq[i].numpy())[0] ** 2 for i in range(2)]
    np.testing.assert_allclose(ours.detach().numpy(),
                               [a.mean() + b.mean() for a, b in zip(brute, brute2, strict=True)],
                               atol=1e-12)
    (g1,) = torch.autograd.grad(ours.sum(), A)
    (g2,) = torch.autograd.grad(ref.sum(), A)
    torch.testing.assert_close(g1, g2)


def test_slices_lie_on_their_planes_and_on_the_surface():
    cfg = SMALL.replace(noise=0.0, shift=0.0)
    data = P.make_shapes(3, cfg, seed=0)
    obs = data.obs
    n_sax = cfg.n_sax * cfg.pts_sax
    assert obs.shape == (3, n_sax + cfg.n_lax * cfg.pts_lax, 4)
    z = obs[:, :n_sax, 2].reshape(3, cfg.n_sax, cfg.pts_sax)
    assert (z - z[..., :1]).abs().max() < 1e-5  # one z per short-axis slice
    assert (obs[:, :n_sax, 3] == 0).all() and (obs[:, n_sax:, 3] == 1).all()
    # every observed point is close to the dense ground-truth surface
    d = torch.cdist(obs[..., :3], data.dense).min(-1).values
    assert d.max() < 0.25 and d.mean() < 0.08


def test_classical_fit_recovers_a_shape_without_local_detail():
    cfg = SMALL.replace(noise=0.0, shift=0.0, fit_steps=150)
    data = P.make_shapes(4, cfg, seed=3)
    data.bump_amp.zero_()
    eta, omega = P.param_grid(*cfg.grid_gt)
    data.dense = P.global_shape(eta, omega, data.params)
    edges = P.mesh_edges(P.grid_faces(*cfg.grid_gt))
    rng = np.random.default_rng(0)
    data.obs = torch.tensor(np.stack([P.slice_observations(
        data.dense[i].double().numpy(), edges, data.params.center[i].double().numpy(), cfg, rng)
        for i in range(4)]), dtype=torch.float32)
    raw, _ = P.fit_sparse(data.obs, cfg, device="cpu")
    fine = (3 * cfg.grid_gt[0], 3 * cfg.grid_gt[1])
    gt, gt_f = data.surface(*cfg.grid_gt), data.surface(*fine)

    def err(r):
        return P.surface_chamfer(P.ndm_surface(r, None, None, cfg.grid_gt, cfg.n_ctrl),
                                 P.ndm_surface(r, None, None, fine, cfg.n_ctrl), gt, gt_f).mean()

    e, e0 = err(raw), err(torch.zeros_like(raw))
    assert e < 0.2 * e0 and e < 0.01


def test_trained_local_flow_beats_the_global_part_and_frozen_flow_does_not():
    """The mutation: with its velocity field frozen (the flow stays the identity), the NDM is
    exactly its global part; trained, it fits the planted local detail of the training shapes."""
    torch.manual_seed(0)
    data = P.make_shapes(SMALL.n_train, SMALL, seed=0)
    raw = P.fit_global_dense(data, SMALL, device="cpu")
    gt = data.surface(*SMALL.grid_gt)
    gt_f = data.surface(3 * SMALL.grid_gt[0], 3 * SMALL.grid_gt[1])

    def run(freeze: bool) -> tuple[float, float]:
        torch.manual_seed(0)
        flow = P.LocalFlow(SMALL)
        if freeze:
            flow.requires_grad_(False)

        def surf(idx, c):
            x, ke, _ = P.ndm_surface(raw[idx], c, flow, SMALL.grid_train, SMALL.n_ctrl,
                                     kinetic=True)
            return x, ke

        _, codes = P.train_autodecoder(flow, data, SMALL.replace(steps=150), code_dim=SMALL.code,
                                       surface=surf, seed=0, device="cpu")
        g, gf = SMALL.grid_gt, (3 * SMALL.grid_gt[0], 3 * SMALL.grid_gt[1])
        with torch.no_grad():
            out = [P.surface_chamfer(P.ndm_surface(raw, codes, f, g, SMALL.n_ctrl),
                                     P.ndm_surface(raw, codes, f, gf, SMALL.n_ctrl), gt, gt_f)
                   for f in (flow, None)]
        return float(out[0].mean()), float(out[1].mean())

    trained, glob = run(False)
    assert trained < 0.8 * glob
    frozen, glob_f = run(True)
    assert frozen == pytest.approx(glob_f, rel=1e-6)


def test_flipped_triangles_counts_orientation_changes():
    F = P.grid_faces(6, 8)
    eta, omega = P.param_grid(6, 8)
    x = P.sphere_template(eta, omega)[None]
    assert P.flipped_triangles(x, 1.5 * x, F) == 0
    mirrored = x * torch.tensor([1.0, 1.0, -1.0])  # normals become (-n_x, -n_y, n_z)
    a, b, c = (x[0, F[:, k]] for k in range(3))
    n = torch.cross(b - a, c - a, dim=-1)
    expected = int((n[:, 0] ** 2 + n[:, 1] ** 2 > n[:, 2] ** 2).sum())
    assert 0 < expected < len(F)
    assert P.flipped_triangles(x, mirrored, F) == expected


def test_estimates_fit_the_budgets():
    budget = all_chapters()["neural-deformable-models"].ci_budget_s
    assert P.estimate_seconds(P.CONFIGS.ci) <= budget
    assert P.estimate_seconds(P.CONFIGS.full) <= 20 * 60


def test_fitting_in_chunks_changes_nothing():
    data = P.make_shapes(4, SMALL, seed=5)
    torch.manual_seed(0)
    flow = P.LocalFlow(SMALL)
    one = P.fit_sparse(data.obs, SMALL.replace(fit_steps=10), flow=flow, device="cpu")
    two = P.fit_sparse(data.obs, SMALL.replace(fit_steps=10), flow=flow, device="cpu", chunk=2)
    for a, b in zip(one, two, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
