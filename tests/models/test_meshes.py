"""Meshes and spectra: the sphere's exact spectrum, robust-laplacian as peer, functional maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.models import meshes as ms


@pytest.fixture(scope="module")
def sphere():
    return ms.icosphere(3)  # 642 vertices


@pytest.fixture(scope="module")
def sphere_basis(sphere):
    return ms.laplace_beltrami_basis(*sphere, k=36)


def test_icosphere_is_a_closed_unit_sphere(sphere):
    V, F = sphere
    assert len(V) == 10 * 4 ** 3 + 2 and len(F) == 20 * 4 ** 3
    assert np.allclose(np.linalg.norm(V, axis=1), 1)
    assert len(V) - len(F) * 3 // 2 + len(F) == 2  # Euler characteristic of a sphere
    normals = np.cross(V[F[:, 1]] - V[F[:, 0]], V[F[:, 2]] - V[F[:, 0]])
    assert ((normals * V[F].mean(1)).sum(1) > 0).all()  # outward
    assert abs(ms.face_areas(V, F).sum() / (4 * np.pi) - 1) < 0.01  # inscribed: 0.5 % less


def test_laplacian_is_symmetric_psd_with_zero_row_sums(sphere):
    W = ms.cotangent_laplacian(*sphere)
    assert abs(W - W.T).max() < 1e-12
    assert np.abs(np.asarray(W.sum(axis=1))).max() < 1e-12
    x = np.random.default_rng(0).normal(size=W.shape[0])
    assert x @ (W @ x) > 0


def test_sphere_spectrum_is_l_times_l_plus_one_with_multiplicity(sphere_basis):
    lam, phi = sphere_basis
    want = np.concatenate([[l * (l + 1)] * (2 * l + 1) for l in range(6)])  # 36 values
    assert abs(lam[0]) < 1e-8
    assert np.allclose(lam[1:], want[1:], rtol=0.05)  # 642 vertices: l = 5 is 3-5 % low
    # the next eigenvalue after each band belongs to the next band: multiplicities 2l+1
    for l in range(1, 5):
        band = lam[l * l:(l + 1) ** 2]
        assert band.max() - band.min() < 0.02 * l * (l + 1)


def test_laplacian_and_mass_equal_robust_laplacian(sphere):
    robust_laplacian = pytest.importorskip("robust_laplacian")
    V, F = sphere
    L, M = robust_laplacian.mesh_laplacian(V, F)
    assert abs(ms.cotangent_laplacian(V, F) - L).max() < 1e-10
    assert abs(ms.mass_matrix(V, F) - M).max() < 1e-12


def test_torus_has_euler_characteristic_zero_and_right_area():
    V, F = ms.torus(64, 32, R=1.0, r=0.3)
    assert len(V) - len(F) * 3 // 2 + len(F) == 0
    assert abs(ms.face_areas(V, F).sum() - 4 * np.pi ** 2 * 1.0 * 0.3) < 0.05


def test_functional_maps_identity_and_reflection(sphere, sphere_basis):
    V, F = sphere
    _, phi = sphere_basis
    M = ms.mass_matrix(V, F)
    ident = np.arange(len(V))
    C = ms.fmap_from_p2p(ident, phi, phi, M)
    assert np.allclose(C, np.eye(36), atol=1e-10)
    assert (ms.p2p_from_fmap(C[:16, :16], phi, phi) == ident).all()
    # the reflection x → −x is an isometry: C is block diagonal per band l, orthogonal
    _, refl = ms.cKDTree(V).query(V * np.array([-1, 1, 1]))
    Cr = ms.fmap_from_p2p(refl, phi, phi, M)[:16, :16]
    assert np.allclose(Cr @ Cr.T, np.eye(16), atol=0.02)
    for l in range(4):
        block = slice(l * l, (l + 1) ** 2)
        assert np.abs(Cr[block, :]).sum() - np.abs(Cr[block, block]).sum() < 0.05


def test_zoomout_refines_a_noisy_coarse_map_to_the_true_one(sphere):
    # an ellipsoid: a simple spectrum (on the round sphere every band is degenerate and any
    # rotation is an isometry); the reflection x → −x is its self-isometry to recover
    V, F = sphere[0] * np.array([1.0, 0.8, 0.6]), sphere[1]
    _, phi = ms.laplace_beltrami_basis(V, F, k=30)
    _, refl = ms.cKDTree(V).query(V * np.array([-1, 1, 1]))
    C4 = ms.fmap_from_p2p(refl, phi[:, :4], phi[:, :4], ms.mass_matrix(V, F))
    C4 = C4 + 0.05 * np.random.default_rng(0).standard_normal(C4.shape)
    coarse = ms.p2p_from_fmap(C4, phi[:, :4], phi[:, :4])
    _, fine = ms.zoomout(C4, phi, phi, k_final=20)
    dist = lambda T: np.linalg.norm(V[T] - V[refl], axis=1).mean()  # noqa: E731
    assert dist(coarse) > 0.02 and dist(fine) < 1e-3


def test_chamfer_matches_brute_force_and_sampling_is_uniform(sphere):
    rng = np.random.default_rng(0)
    P = torch.from_numpy(ms.sample_surface(*sphere, 3000, rng=rng))
    assert torch.allclose(P.norm(dim=1), torch.ones(3000, dtype=P.dtype), atol=0.01)
    assert P.mean(0).abs().max() < 0.05
    a, b = torch.randn(7, 3), torch.randn(9, 3)
    brute = (sum(min(float(((x - y) ** 2).sum()) for y in b) for x in a) / 7
             + sum(min(float(((x - y) ** 2).sum()) for x in a) for y in b) / 9)
    assert abs(float(ms.chamfer_distance(a, b)) - brute) < 1e-5
    assert float(ms.chamfer_distance(a, a)) == 0


def test_chamfer_gradient_and_unsquared_match_cdist():
    torch.manual_seed(0)
    a = torch.randn(2, 40, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, 55, 3, dtype=torch.float64)
    for squared in (True, False):
        D = torch.cdist(a, b)
        D = D * D if squared else D
        ref = D.min(-1).values.mean(-1) + D.min(-2).values.mean(-1)
        (g_ref,) = torch.autograd.grad(ref.sum(), a)
        ours = ms.chamfer_distance(a, b, squared=squared)
        (g,) = torch.autograd.grad(ours.sum(), a)
        assert torch.allclose(ours, ref, atol=1e-12) and torch.allclose(g, g_ref, atol=1e-10)
    near = ms.nearest_sq_distance(a, b)
    assert torch.allclose(near, torch.cdist(a, b).pow(2).min(-1).values, atol=1e-12)
    with pytest.raises(ValueError, match="same d"):
        ms.chamfer_distance(a, torch.zeros(2, 5, 2))


def test_bad_meshes_are_refused():
    with pytest.raises(ValueError, match="shape"):
        ms.cotangent_laplacian(np.zeros((4, 2)), np.zeros((1, 3), dtype=int))
    with pytest.raises(ValueError, match="do not exist"):
        ms.mass_matrix(np.zeros((3, 3)), np.array([[0, 1, 5]]))
    with pytest.raises(ValueError, match="R > r"):
        ms.torus(R=0.2, r=0.3)


def test_real_meshes_from_pyvistas_wheel(tmp_path):
    from nonlinlab.core.optional import PYVISTA_MESHES

    if PYVISTA_MESHES.file() is None:
        pytest.skip("pyvista data wheel missing")
    sizes = {n: tuple(len(a) for a in ms.real_mesh(n)) for n in ms.REAL_MESHES}
    assert sizes == {"airplane": (1335, 2452), "ant": (486, 912), "nut": (523, 1046),
                     "sphere": (422, 840)}
    V, F = ms.real_mesh("sphere")  # closed, genus 0, a sphere: spectrum l(l+1)/R²
    assert len(V) - len(F) * 3 // 2 + len(F) == 2
    R = np.linalg.norm(V - V.mean(0), axis=1).mean()
    lam, _ = ms.laplace_beltrami_basis(V, F, k=9)
    assert np.allclose(lam[1:4] * R * R, 2, rtol=0.05) and np.allclose(lam[4:9] * R * R, 6,
                                                                       rtol=0.08)
    # ASCII and binary readers agree: write the binary sphere as ASCII and read it back
    lines = ["ply", "format ascii 1.0", f"element vertex {len(V)}", "property float x",
             "property float y", "property float z", f"element face {len(F)}",
             "property list uchar int vertex_indices", "end_header"]
    lines += [" ".join(f"{c:.9g}" for c in v) for v in V] + [f"3 {a} {b} {c}" for a, b, c in F]
    (tmp_path / "s.ply").write_text("\n".join(lines) + "\n")
    V2, F2 = ms.read_ply(tmp_path / "s.ply")
    assert np.allclose(V2, V, atol=1e-6) and np.array_equal(F2, F)
    with pytest.raises(ValueError):
        ms.real_mesh("bunny")
