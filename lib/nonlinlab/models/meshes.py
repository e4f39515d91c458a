"""Triangle meshes and their spectra: procedural shapes, the cotangent Laplacian, functional maps.

* :func:`icosphere`, :func:`torus`, :func:`parametric_grid` — procedural meshes ``(V, F)``
  (numpy, ``V`` float64 ``(n, 3)``, ``F`` int64 ``(m, 3)``, counter-clockwise = outward);
* :func:`cotangent_laplacian` — the stiffness matrix ``W`` (symmetric, positive semidefinite,
  rows sum to 0) with ``W_ij = −(cot α_ij + cot β_ij)/2`` — and :func:`mass_matrix` (lumped:
  a third of the incident triangle areas); the Laplace–Beltrami eigenproblem is
  ``W φ = λ M φ``. On the unit sphere the eigenvalues converge to ``l(l+1)`` with
  multiplicity ``2l+1`` (the exact oracle of the tests);
* :func:`laplace_beltrami_basis` — the first ``k`` eigenpairs (M-orthonormal);
* functional maps (Ovsjanikov et al. 2012): :func:`fmap_from_p2p`, :func:`p2p_from_fmap`,
  :func:`zoomout` (Melzi et al. 2019) — with ``T: shape 2 → shape 1`` given as, for every vertex
  of shape 2, the index of its image on shape 1, and ``C`` (k₂ × k₁) mapping spectral
  coefficients of functions on shape 1 to shape 2;
* :func:`sample_surface` (area-weighted points) and :func:`chamfer_distance`;
* :func:`read_ply` (ASCII or binary little-endian PLY, triangles and fan-triangulated
  polygons) and :func:`real_mesh` — the four real meshes shipped in pyvista's wheel
  (``airplane``, ``ant``, ``nut``, ``sphere``; the ``meshes`` extra, read without importing
  pyvista).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import eigsh
from scipy.spatial import cKDTree

__all__ = [
    "REAL_MESHES", "read_ply", "real_mesh",
    "chamfer_distance", "cotangent_laplacian", "face_areas", "fmap_from_p2p", "icosphere",
    "laplace_beltrami_basis", "mass_matrix", "nearest_sq_distance", "p2p_from_fmap",
    "parametric_grid",
    "sample_surface", "torus", "zoomout",
]


def _check_mesh(V, F) -> tuple[np.ndarray, np.ndarray]:
    V = np.asarray(V, dtype=np.float64)
    F = np.asarray(F)
    if V.ndim != 2 or V.shape[1] != 3:
        raise ValueError(f"V must have shape (n, 3), got {V.shape}")
    if F.ndim != 2 or F.shape[1] != 3 or not np.issubdtype(F.dtype, np.integer):
        raise ValueError(f"F must be an integer array of shape (m, 3), got {F.shape} {F.dtype}")
    if F.size and (F.min() < 0 or F.max() >= len(V)):
        raise ValueError("F refers to vertices that do not exist")
    return V, F.astype(np.int64)


# -- procedural meshes ---------------------------------------------------------------------
def icosphere(subdivisions: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Unit sphere: an icosahedron subdivided ``subdivisions`` times (each triangle into four),
    vertices projected to the sphere. ``10·4^s + 2`` vertices."""
    if int(subdivisions) != subdivisions or not 0 <= subdivisions <= 7:
        raise ValueError(f"subdivisions must be an integer in 0..7, got {subdivisions!r}")
    t = (1 + 5 ** 0.5) / 2
    V = np.array([[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
                  [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]],
                 dtype=np.float64)
    F = np.array([[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9],
                  [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2],
                  [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10],
                  [8, 6, 7], [9, 8, 1]], dtype=np.int64)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    for _ in range(int(subdivisions)):
        edges = np.sort(np.concatenate([F[:, [0, 1]], F[:, [1, 2]], F[:, [2, 0]]]), axis=1)
        unique, inverse = np.unique(edges, axis=0, return_inverse=True)
        mid = V[unique].mean(axis=1)
        mid /= np.linalg.norm(mid, axis=1, keepdims=True)
        m = len(F)
        a, b, c = (len(V) + inverse.reshape(-1)[i * m:(i + 1) * m] for i in range(3))
        V = np.concatenate([V, mid])
        F = np.concatenate([np.stack([F[:, 0], a, c], 1), np.stack([F[:, 1], b, a], 1),
                            np.stack([F[:, 2], c, b], 1), np.stack([a, b, c], 1)])
    return V, F


def parametric_grid(fn, nu: int, nv: int, *, wrap_u: bool = True,
                    wrap_v: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Mesh of the surface ``fn(u, v) -> (..., 3)`` on ``[0, 1)²`` sampled on an ``nu × nv``
    grid, periodic in u and/or v (a torus is periodic in both)."""
    if nu < 3 or nv < 3:
        raise ValueError("nu and nv must be at least 3")
    u = np.arange(nu) / nu if wrap_u else np.linspace(0, 1, nu)
    v = np.arange(nv) / nv if wrap_v else np.linspace(0, 1, nv)
    U, W = np.meshgrid(u, v, indexing="ij")
    V = np.asarray(fn(U, W), dtype=np.float64).reshape(nu * nv, 3)
    i, j = np.meshgrid(np.arange(nu if wrap_u else nu - 1), np.arange(nv if wrap_v else nv - 1),
                       indexing="ij")
    i, j = i.reshape(-1), j.reshape(-1)
    a, b = i * nv + j, ((i + 1) % nu) * nv + j
    c, d = ((i + 1) % nu) * nv + (j + 1) % nv, i * nv + (j + 1) % nv
    F = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    return V, F


def torus(nu: int = 48, nv: int = 24, R: float = 1.0, r: float = 0.35):
    """A ring torus with radii ``R > r > 0``."""
    if not R > r > 0:
        raise ValueError(f"need R > r > 0, got R={R}, r={r}")

    def fn(u, v):
        p, q = 2 * np.pi * u, 2 * np.pi * v
        return np.stack([(R + r * np.cos(q)) * np.cos(p), (R + r * np.cos(q)) * np.sin(p),
                         r * np.sin(q)], -1)

    return parametric_grid(fn, nu, nv)


# -- Laplacian -------------------------------------------------------------------------------
def face_areas(V, F) -> np.ndarray:
    V, F = _check_mesh(V, F)
    return 0.5 * np.linalg.norm(np.cross(V[F[:, 1]] - V[F[:, 0]], V[F[:, 2]] - V[F[:, 0]]),
                                axis=1)


def cotangent_laplacian(V, F) -> sp.csr_matrix:
    """Stiffness ``W`` (n × n, sparse): for every edge ij, ``W_ij = −½ Σ cot`` of the angles
    opposite to it, and ``W_ii = −Σ_j W_ij`` (so ``W 1 = 0``; PSD)."""
    V, F = _check_mesh(V, F)
    n = len(V)
    rows, cols, vals = [], [], []
    for k in range(3):  # the angle at corner k is opposite to the edge (k+1, k+2)
        i, j, o = F[:, (k + 1) % 3], F[:, (k + 2) % 3], F[:, k]
        e1, e2 = V[i] - V[o], V[j] - V[o]
        cot = (e1 * e2).sum(1) / np.linalg.norm(np.cross(e1, e2), axis=1)
        rows += [i, j]
        cols += [j, i]
        vals += [-0.5 * cot, -0.5 * cot]
    W = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n, n)).tocsr()
    W = W - sp.diags(np.asarray(W.sum(axis=1)).reshape(-1))
    return W.tocsr()


def mass_matrix(V, F) -> sp.dia_matrix:
    """Lumped (barycentric) mass: a third of the area of every incident triangle."""
    V, F = _check_mesh(V, F)
    a = np.repeat(face_areas(V, F) / 3, 3)
    return sp.diags(np.bincount(F.reshape(-1), weights=a, minlength=len(V)))


def laplace_beltrami_basis(V, F, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest eigenpairs of ``W φ = λ M φ`` (λ ascending, ``Φᵀ M Φ = I``), by
    shift-invert Lanczos (scipy ``eigsh``)."""
    V, F = _check_mesh(V, F)
    if not 1 <= k < len(V):
        raise ValueError(f"k must be in 1..{len(V) - 1}, got {k}")
    W, M = cotangent_laplacian(V, F), mass_matrix(V, F)
    # a fixed generic start vector: deterministic; a symmetric one (all ones) lies in an
    # invariant subspace of symmetric meshes and Lanczos then misses degenerate eigenvectors
    v0 = np.random.default_rng(0).standard_normal(len(V))
    lam, phi = eigsh(W, k=k, M=M, sigma=-1e-8, which="LM", v0=v0, ncv=min(len(V), 2 * k + 20))
    order = np.argsort(lam)
    return lam[order], phi[:, order]


# -- functional maps -------------------------------------------------------------------------
def fmap_from_p2p(T21: np.ndarray, phi1: np.ndarray, phi2: np.ndarray, M2=None) -> np.ndarray:
    """``C₂₁`` (k₂ × k₁) of the pull-back ``f ↦ f ∘ T₂₁``: ``C = Φ₂⁺ Π Φ₁`` with ``Π`` the
    n₂ × n₁ selection matrix of ``T₂₁``; ``Φ₂⁺ = Φ₂ᵀ M₂`` when the mass ``M₂`` is given,
    else the least-squares pseudo-inverse."""
    T21 = np.asarray(T21)
    if T21.shape != (len(phi2),):
        raise ValueError(f"T21 must have one entry per vertex of shape 2 ({len(phi2)}), "
                         f"got {T21.shape}")
    pulled = phi1[T21]
    if M2 is not None:
        return phi2.T @ (M2 @ pulled)
    return np.linalg.lstsq(phi2, pulled, rcond=None)[0]


def p2p_from_fmap(C21: np.ndarray, phi1: np.ndarray, phi2: np.ndarray) -> np.ndarray:
    """The point map ``T₂₁`` recovered from ``C₂₁``: for every vertex x of shape 2, the vertex
    of shape 1 whose spectral embedding ``Φ₁[y] C₂₁ᵀ`` is nearest to ``Φ₂[x]``."""
    k2, k1 = C21.shape
    _, idx = cKDTree(phi1[:, :k1] @ C21.T).query(phi2[:, :k2])
    return idx


def zoomout(C21: np.ndarray, phi1: np.ndarray, phi2: np.ndarray, k_final: int,
            step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """ZoomOut spectral upsampling: alternate p2p ← C and C ← p2p while growing the size
    ``k → k + step`` up to ``k_final`` (square maps). Returns ``(C, T₂₁)``."""
    k = C21.shape[0]
    if C21.shape[0] != C21.shape[1] or not k <= k_final <= min(phi1.shape[1], phi2.shape[1]):
        raise ValueError("C21 must be square and k_final between its size and the bases'")
    C = C21
    T = p2p_from_fmap(C, phi1, phi2)
    while k < k_final:
        k = min(k + step, k_final)
        C = fmap_from_p2p(T, phi1[:, :k], phi2[:, :k])
        T = p2p_from_fmap(C, phi1[:, :k], phi2[:, :k])
    return C, T


# -- point clouds ------------------------------------------------------------------------------
def sample_surface(V, F, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform on the surface (area-weighted faces, uniform barycentrics)."""
    V, F = _check_mesh(V, F)
    a = face_areas(V, F)
    f = rng.choice(len(F), size=n, p=a / a.sum())
    r1, r2 = rng.random(n), rng.random(n)
    s = np.sqrt(r1)
    w = np.stack([1 - s, s * (1 - r2), s * r2], 1)
    return (w[:, :, None] * V[F[f]]).sum(1)


def _sq_dists(P: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """‖p − q‖² for all pairs, as |p|² − 2 p·q + |q|² (no square root)."""
    return (P.pow(2).sum(-1)[..., :, None] + Q.pow(2).sum(-1)[..., None, :]
            - 2 * P @ Q.transpose(-1, -2))


def _gather(Q: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    return torch.gather(Q, -2, idx[..., None].expand(*idx.shape, Q.shape[-1]))


def _check_sets(P: torch.Tensor, Q: torch.Tensor) -> None:
    if P.shape[-1] != Q.shape[-1] or P.dim() < 2 or Q.dim() < 2:
        raise ValueError(f"point sets must be (..., n, d) with the same d, got "
                         f"{tuple(P.shape)} and {tuple(Q.shape)}")


def nearest_sq_distance(P: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """Squared distance from every point of ``P (..., n, d)`` to its nearest point of
    ``Q (..., m, d)``. The nearest index is found without gradient and the distance to that point
    is recomputed with gradient: the value and (almost everywhere) the gradient of
    ``cdist(P, Q).pow(2).min(-1)`` without back-propagating through the n × m matrix."""
    _check_sets(P, Q)
    with torch.no_grad():
        idx = _sq_dists(P, Q).argmin(-1)
    return (P - _gather(Q, idx)).pow(2).sum(-1)


def chamfer_distance(P: torch.Tensor, Q: torch.Tensor, *, squared: bool = True) -> torch.Tensor:
    """Symmetric Chamfer distance of point sets ``(..., n, d)`` and ``(..., m, d)``: the mean
    over P of the (squared) distance to the nearest point of Q, plus the same from Q to P.
    Both directions' nearest points come from one distance matrix built without gradient (see
    :func:`nearest_sq_distance`), so memory for the backward pass is O(n + m)."""
    _check_sets(P, Q)
    with torch.no_grad():
        D = _sq_dists(P, Q)
        i, j = D.argmin(-1), D.argmin(-2)
    a = (P - _gather(Q, i)).pow(2).sum(-1)
    b = (Q - _gather(P, j)).pow(2).sum(-1)
    if not squared:
        a, b = a.sqrt(), b.sqrt()
    return a.mean(-1) + b.mean(-1)


# -- real meshes -------------------------------------------------------------------------------
REAL_MESHES = ("airplane", "ant", "nut", "sphere")
_PLY_TYPES = {"char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2",
              "int16": "i2", "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4",
              "uint": "u4", "uint32": "u4", "float": "f4", "float32": "f4", "double": "f8",
              "float64": "f8"}


def read_ply(path) -> tuple[np.ndarray, np.ndarray]:
    """``(V, F)`` of a PLY file with ``x y z`` float vertex properties (others skipped) and a
    ``vertex_indices`` face list; polygons are fan-triangulated."""
    raw = Path(path).read_bytes()
    end = raw.find(b"end_header")
    if not raw.startswith(b"ply") or end < 0:
        raise ValueError(f"{path}: not a PLY file")
    header = raw[:end].decode("ascii").splitlines()
    body = raw[raw.index(b"\n", end) + 1:]
    fmt = next(ln.split()[1] for ln in header if ln.startswith("format"))
    if fmt not in ("ascii", "binary_little_endian"):
        raise ValueError(f"{path}: unsupported PLY format {fmt}")
    elements, current = [], None
    for ln in header:
        parts = ln.split()
        if parts[:1] == ["element"]:
            current = {"name": parts[1], "count": int(parts[2]), "props": []}
            elements.append(current)
        elif parts[:1] == ["property"] and current is not None:
            current["props"].append(parts[1:])
    names = [e["name"] for e in elements]
    if names[:2] != ["vertex", "face"]:
        raise ValueError(f"{path}: expected vertex then face elements, got {names}")
    vert, face = elements[0], elements[1]
    if any(p[0] == "list" for p in vert["props"]):
        raise ValueError(f"{path}: list properties on vertices are not supported")
    keys = [p[-1] for p in vert["props"]]
    if keys[:3] != ["x", "y", "z"]:
        raise ValueError(f"{path}: the first vertex properties must be x y z, got {keys}")
    if fmt == "ascii":
        lines = body.decode("ascii").split("\n")
        V = np.array([ln.split()[:3] for ln in lines[:vert["count"]]], dtype=np.float64)
        polys = [[int(v) for v in ln.split()[1:]]
                 for ln in lines[vert["count"]:vert["count"] + face["count"]]]
    else:
        dtype = np.dtype([(k, "<" + _PLY_TYPES[p[0]]) for k, p in zip(keys, vert["props"],
                                                                      strict=True)])
        table = np.frombuffer(body, dtype=dtype, count=vert["count"])
        V = np.stack([table["x"], table["y"], table["z"]], 1).astype(np.float64)
        _, count_t, index_t, _ = face["props"][0]
        ct, it = np.dtype("<" + _PLY_TYPES[count_t]), np.dtype("<" + _PLY_TYPES[index_t])
        offset, polys = vert["count"] * dtype.itemsize, []
        for _ in range(face["count"]):
            n = int(np.frombuffer(body, ct, 1, offset)[0])
            offset += ct.itemsize
            polys.append(np.frombuffer(body, it, n, offset).tolist())
            offset += n * it.itemsize
    tris = [[p[0], p[i], p[i + 1]] for p in polys for i in range(1, len(p) - 1)]
    return _check_mesh(V, np.array(tris, dtype=np.int64))


def real_mesh(name: str) -> tuple[np.ndarray, np.ndarray]:
    """One of :data:`REAL_MESHES` from pyvista's wheel (ImportError with the ``%pip`` line when
    the data wheel is missing)."""
    from ..core.optional import PYVISTA_MESHES

    if name not in REAL_MESHES:
        raise ValueError(f"unknown mesh {name!r}; choose one of {REAL_MESHES}")
    return read_ply(PYVISTA_MESHES.path().parent / f"{name}.ply")
