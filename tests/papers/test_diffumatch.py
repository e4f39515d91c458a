"""Oracles for nonlinlab.papers.diffumatch (fast: a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.sparse.linalg import eigsh

from nonlinlab.core import BUDGET_S
from nonlinlab.core.chapters import all_chapters
from nonlinlab.papers import diffumatch as P

TINY = P.CONFIGS.ci.replace(k=12, k_zoomout=16, subdivisions=2, n_train_shapes=8,
                            n_test_pairs=2, hidden=128, prior_steps=200, steps=15,
                            mask_draws=50, sds_batch=8, zoomout_every=5)


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(3)
    s1, s2 = P.make_shapes("peanut", 2, TINY, rng)
    return s1, s2


@pytest.fixture(scope="module")
def tiny_experiment():
    return P.run_experiment(TINY, seed=0)


def test_ground_truth_fmap_is_identity_on_self_and_recovers_the_map(pair):
    s1, s2 = pair
    np.testing.assert_allclose(P.gt_fmap(s1, s1, 12), np.eye(12), atol=1e-10)
    C = P.gt_fmap(s1, s2, 12)
    T = P.ms.p2p_from_fmap(C, s1.phi, s2.phi)
    assert P.geodesic_error(s1, T, np.arange(len(s2.V))) < 0.05


def test_regularised_layer_equals_stacked_least_squares(pair):
    s1, s2 = pair
    A, B = P.spectral_descriptors(s1, 12), P.spectral_descriptors(s2, 12)
    mask = P.laplacian_mask(s1.lam, s2.lam, 12)
    for lam in (0.01, 1.0):
        ours = P.solve_fmap(A, B, lam, mask).numpy()
        np.testing.assert_allclose(ours, P.kron_solve(A.numpy(), B.numpy(), lam, mask.numpy()),
                                   atol=1e-9)
    # λ = 0: the minimum-norm least-squares map
    np.testing.assert_allclose(P.solve_fmap(A, B).numpy(),
                               np.linalg.lstsq(A.numpy().T, B.numpy().T, rcond=None)[0].T,
                               atol=1e-9)


def test_basis_and_fmap_match_robust_laplacian_peer():
    """Our Laplacian, basis and ground-truth |C| against robust-laplacian's operators with
    scipy's eigensolver, on two anisotropic ellipsoids (Delaunay meshes, where its intrinsic
    Delaunay Laplacian is the plain cotangent Laplacian)."""
    robust_laplacian = pytest.importorskip("robust_laplacian")
    U, F = P.ms.icosphere(2)
    ours, peer = [], []
    for axes in ([1.2, 1.0, 0.9], [1.25, 0.95, 0.85]):
        V = U * np.array(axes)
        lam, phi = P.ms.laplace_beltrami_basis(V, F, 12)
        mass = np.asarray(P.ms.mass_matrix(V, F).diagonal())
        ours.append(P.Shape(V, F, lam, phi, mass))
        L, M = robust_laplacian.mesh_laplacian(V, F)
        lam_p, phi_p = eigsh(L, k=12, M=M, sigma=-1e-8, v0=np.ones(len(V)))
        np.testing.assert_allclose(lam_p[1:], lam[1:], rtol=1e-6)
        np.testing.assert_allclose(M.diagonal(), mass, atol=1e-12)
        peer.append(P.Shape(V, F, lam_p, phi_p, M.diagonal()))
    # ground-truth |C| is invariant to the eigenvector signs: equal with either basis
    np.testing.assert_allclose(np.abs(P.gt_fmap(*ours, 12)), np.abs(P.gt_fmap(*peer, 12)),
                               atol=1e-6)


def test_edge_geodesics_match_networkx(pair):
    nx = pytest.importorskip("networkx")
    s1, _ = pair
    G = nx.Graph()
    for f in s1.F:
        for a, b in ((f[0], f[1]), (f[1], f[2]), (f[2], f[0])):
            G.add_edge(int(a), int(b), weight=float(np.linalg.norm(s1.V[a] - s1.V[b])))
    ours = P.edge_geodesics(s1.V, s1.F, sources=[0, 7])
    for row, src in zip(ours, (0, 7), strict=True):
        d = nx.single_source_dijkstra_path_length(G, src)
        np.testing.assert_allclose(row, [d[i] for i in range(len(s1.V))], atol=1e-12)


def test_permuted_ground_truth_is_consistent(pair):
    s1, s2 = pair
    perm = np.random.default_rng(0).permutation(len(s2.V))
    C_id = P.gt_fmap(s1, s2, 12)
    s2p = P.Shape(s2.V[perm], np.argsort(perm)[s2.F], s2.lam, s2.phi[perm], s2.mass[perm],
                  s2.desc[perm])
    np.testing.assert_allclose(P.gt_fmap(s1, s2p, 12, perm), C_id, atol=1e-12)


def test_sds_gradient_and_mask_follow_the_denoiser():
    class Constant(torch.nn.Module):  # a "prior" that always denoises to T
        def __init__(self, T):
            super().__init__()
            self.T = T

        def forward(self, x, sigma):
            return self.T.expand_as(x)

    T = torch.rand(6, 6)
    absC = torch.rand(6, 6).double()
    g = P.sds_grad(Constant(T), absC, 0.3, 4, torch.Generator().manual_seed(0))
    torch.testing.assert_close(g, (absC - T.double()), rtol=1e-6, atol=1e-6)
    # the identity denoiser carries no information: zero mask
    m = P.diffusion_mask(P.IdentityDenoiser(6), torch.randn(6, 6).double(), 1.0, 20,
                         torch.Generator().manual_seed(0))
    assert float(m.abs().max()) == 0.0


def test_denoiser_preconditioning_and_bad_input():
    D = P.Denoiser(5, hidden=16, depth=2, sigma_data=0.3)
    x = torch.rand(3, 5, 5)
    # σ → 0: c_skip → 1, c_out → 0, the denoiser returns its input
    torch.testing.assert_close(D(x, torch.tensor(1e-6)), x, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="shape"):
        D(torch.rand(3, 4, 4), torch.tensor(0.1))


def test_prior_learns_and_diffumatch_needs_it(tiny_experiment):
    """The mutation test: with the prior, the map beats the unregularised one; with the
    prior removed (identity denoiser) the same pipeline is much worse."""
    ex = tiny_experiment
    assert P.denoise_error(ex.prior, ex.heldout, 0.3) < 0.6
    e = ex.table()
    assert e["diffumatch"] < 0.7 * e["none"]
    abl = P.ablations(ex, TINY, seed=0)
    assert abl["no prior"].mean() > 2 * e["diffumatch"]


def test_configs_budgets_and_errors():
    budget = {"ci": all_chapters()["diffumatch"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= budget[name], name
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(methods=("spectral magic",))
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(k=40, k_zoomout=30)
    with pytest.raises(ValueError, match="category"):
        P.make_shape("teapot", np.random.default_rng(0))
    s = P.make_shapes("ellipsoid", 1, TINY, np.random.default_rng(0))[0]
    with pytest.raises(ValueError, match="method"):
        P.match_pair(s, s, "magic", TINY, None)
    with pytest.raises(ValueError, match="prior"):
        P.match_pair(s, s, "diffumatch", TINY, None)
