"""Rotations of R³ and the 2×2 matrix groups GL⁺(2) and SL(2), in batched PyTorch.

Conventions (tested against ``scipy.spatial.transform.Rotation`` and ``scipy.linalg.polar``):

* matrices act on column vectors; a batch is ``(..., 3, 3)``;
* quaternions are **scalar-last** ``(x, y, z, w)``, as in scipy (the official code of
  Zhou et al. 2019 is scalar-first: reorder when comparing);
* axis–angle is the rotation vector ``θ·n`` (Rodrigues), as scipy's ``rotvec``;
* Euler angles are scipy's extrinsic ``"xyz"``: ``R = R_z(γ) R_y(β) R_x(α)``;
* the 6-D representation is the first two **columns** of ``R`` (Zhou et al. 2019, Sec. 4;
  pytorch3d uses rows), mapped back by normalisation and cross products;
* the 5-D representation follows the official ``compute_rotation_matrix_from_ortho5d``:
  a stereographic projection of four of the six numbers; :func:`matrix_to_fived` is its
  inverse on the rotations (``fived_to_matrix(matrix_to_fived(R)) == R``).

Every map accepts float32 and float64; round trips are exact to rounding in float64.
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "axis_angle_to_matrix", "euler_to_matrix", "fived_to_matrix", "geodesic_angle",
    "iwasawa", "iwasawa_compose", "matrix_to_axis_angle", "matrix_to_euler",
    "matrix_to_fived", "matrix_to_quaternion", "matrix_to_sixd", "polar", "quaternion_to_matrix",
    "random_rotations", "rotation_2d", "sixd_to_matrix",
]

def _last(x: torch.Tensor, shape: tuple[int, ...], what: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} must be a torch.Tensor, got {type(x).__name__}")
    if tuple(x.shape[x.dim() - len(shape):]) != shape or x.dim() < len(shape):
        raise ValueError(f"{what} must have trailing shape {shape}, got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{what} must be floating point, got {x.dtype}")


def _normalise(v: torch.Tensor, what: str) -> torch.Tensor:
    n = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
    if bool((n == 0).any()):
        raise ValueError(f"{what}: zero vector, the map is undefined there")
    return v / n


# -- quaternions -------------------------------------------------------------------------------
def quaternion_to_matrix(q: torch.Tensor) -> torch.Tensor:
    """Unit quaternion (normalised here) ``(..., 4)`` scalar-last → rotation ``(..., 3, 3)``."""
    _last(q, (4,), "q")
    x, y, z, w = _normalise(q, "quaternion_to_matrix").unbind(-1)
    rows = [
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
    ]
    return torch.stack(rows, -1).reshape(*q.shape[:-1], 3, 3)


def matrix_to_quaternion(R: torch.Tensor) -> torch.Tensor:
    """Rotation → unit quaternion, scalar-last, canonical ``w ≥ 0`` (the hemisphere cut that
    makes this map discontinuous at rotation angle π). Shepperd's method: the largest of the
    four squared components is computed from the trace, the others from off-diagonals."""
    _last(R, (3, 3), "R")
    m = R
    t = torch.stack([1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2],
                     1 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2],
                     1 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2],
                     1 + m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]], -1)  # 4·(x², y², z², w²)
    k = t.argmax(-1, keepdim=True)
    s = 2 * torch.sqrt(t.gather(-1, k).clamp_min(0)).squeeze(-1)  # 4·|q_k|
    d21, d12 = m[..., 2, 1] - m[..., 1, 2], m[..., 2, 1] + m[..., 1, 2]
    d02, d20 = m[..., 0, 2] - m[..., 2, 0], m[..., 0, 2] + m[..., 2, 0]
    d10, d01 = m[..., 1, 0] - m[..., 0, 1], m[..., 1, 0] + m[..., 0, 1]
    cand = torch.stack([
        torch.stack([s * s / 4, d01, d20, d21], -1),  # from x
        torch.stack([d01, s * s / 4, d12, d02], -1),  # from y
        torch.stack([d20, d12, s * s / 4, d10], -1),  # from z
        torch.stack([d21, d02, d10, s * s / 4], -1),  # from w
    ], -2)  # (..., 4 candidates, 4 components), each = 4·q_k·q
    q = cand.gather(-2, k.unsqueeze(-1).expand(*k.shape[:-1], 1, 4)).squeeze(-2) / s[..., None]
    q = torch.where(q[..., 3:] < 0, -q, q)
    return _normalise(q, "matrix_to_quaternion")


# -- axis–angle ------------------------------------------------------------------------------
def axis_angle_to_matrix(v: torch.Tensor) -> torch.Tensor:
    """Rotation vector ``θ·n`` ``(..., 3)`` → rotation, by Rodrigues' formula
    ``R = I + sinθ K + (1 − cosθ) K²`` with the series near θ = 0."""
    _last(v, (3,), "v")
    theta2 = (v * v).sum(-1)
    theta = torch.sqrt(theta2)
    small = theta2 < 1e-8
    safe = torch.where(small, torch.ones_like(theta), theta)
    a = torch.where(small, 1 - theta2 / 6, torch.sin(safe) / safe)
    b = torch.where(small, 0.5 - theta2 / 24, (1 - torch.cos(safe)) / (safe * safe))
    x, y, z = v.unbind(-1)
    zero = torch.zeros_like(x)
    K = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(*v.shape[:-1], 3, 3)
    eye = torch.eye(3, dtype=v.dtype, device=v.device).expand_as(K)
    return eye + a[..., None, None] * K + b[..., None, None] * (K @ K)


def matrix_to_axis_angle(R: torch.Tensor) -> torch.Tensor:
    """Rotation → rotation vector with θ ∈ [0, π] (through the canonical quaternion)."""
    q = matrix_to_quaternion(R)
    xyz, w = q[..., :3], q[..., 3]
    s = torch.linalg.vector_norm(xyz, dim=-1)
    theta = 2 * torch.atan2(s, w)
    small = s < 1e-8  # θ/s = 2/w to rounding there (w ≈ 1)
    scale = torch.where(small, 2 / w.clamp_min(0.5),
                        theta / torch.where(small, torch.ones_like(s), s))
    return xyz * scale[..., None]


# -- Euler angles (scipy "xyz", extrinsic) -----------------------------------------------------
def _elementary(angle: torch.Tensor, axis: int) -> torch.Tensor:
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(c), torch.zeros_like(c)
    if axis == 0:
        m = [one, zero, zero, zero, c, -s, zero, s, c]
    elif axis == 1:
        m = [c, zero, s, zero, one, zero, -s, zero, c]
    else:
        m = [c, -s, zero, s, c, zero, zero, zero, one]
    return torch.stack(m, -1).reshape(*angle.shape, 3, 3)


def euler_to_matrix(angles: torch.Tensor) -> torch.Tensor:
    """Extrinsic x-y-z Euler angles ``(α, β, γ)`` → ``R_z(γ) R_y(β) R_x(α)`` (scipy "xyz")."""
    _last(angles, (3,), "angles")
    a, b, c = angles.unbind(-1)
    return _elementary(c, 2) @ _elementary(b, 1) @ _elementary(a, 0)


def matrix_to_euler(R: torch.Tensor) -> torch.Tensor:
    """Rotation → extrinsic x-y-z Euler angles, β ∈ [−π/2, π/2] (gimbal lock at |β| = π/2)."""
    _last(R, (3, 3), "R")
    beta = torch.asin((-R[..., 2, 0]).clamp(-1, 1))
    alpha = torch.atan2(R[..., 2, 1], R[..., 2, 2])
    gamma = torch.atan2(R[..., 1, 0], R[..., 0, 0])
    return torch.stack([alpha, beta, gamma], -1)


# -- the continuous 6-D and 5-D representations (Zhou et al. 2019) ---------------------------
def sixd_to_matrix(a: torch.Tensor) -> torch.Tensor:
    """``(a₁, a₂) ∈ R⁶`` → ``[b₁ b₂ b₃]`` (columns): b₁ = a₁/‖a₁‖, b₃ = (b₁ × a₂)/‖·‖,
    b₂ = b₃ × b₁ — Gram–Schmidt in the official code's cross-product form. Orthonormal with
    det +1 whenever a₁ and a₂ are linearly independent; ValueError when they are not."""
    _last(a, (6,), "a")
    b1 = _normalise(a[..., :3], "sixd_to_matrix (first column)")
    b3 = _normalise(torch.linalg.cross(b1, a[..., 3:]), "sixd_to_matrix (parallel columns)")
    b2 = torch.linalg.cross(b3, b1)
    return torch.stack([b1, b2, b3], -1)


def matrix_to_sixd(R: torch.Tensor) -> torch.Tensor:
    """Rotation → its first two columns ``(r₁, r₂) ∈ R⁶`` (a continuous map)."""
    _last(R, (3, 3), "R")
    return torch.cat([R[..., :, 0], R[..., :, 1]], -1)


_FIVED_SCALE = (math.sqrt(2) + 1, math.sqrt(2) + 1, math.sqrt(2))


def fived_to_matrix(a: torch.Tensor) -> torch.Tensor:
    """``a ∈ R⁵`` → rotation, as the official ``compute_rotation_matrix_from_ortho5d``: scale
    ``v = a[2:5]`` by ``(√2+1, √2+1, √2)``, inverse-stereographic projection
    ``u = ((‖v‖²−1)/(‖v‖²+1), 2v/(‖v‖²+1))``, divide ``u`` by ``‖u[1:4]‖``, then the 6-D map of
    ``(a₀, a₁, u₀, u₁, u₂, u₃)``."""
    _last(a, (5,), "a")
    v = a[..., 2:] * a.new_tensor(_FIVED_SCALE)
    n2 = (v * v).sum(-1, keepdim=True)
    u = torch.cat([(n2 - 1) / (n2 + 1), 2 * v / (n2 + 1)], -1)
    u = u / torch.linalg.vector_norm(u[..., 1:], dim=-1, keepdim=True)
    return sixd_to_matrix(torch.cat([a[..., :2], u], -1))


def matrix_to_fived(R: torch.Tensor) -> torch.Tensor:
    """Rotation → ``a ∈ R⁵`` with ``fived_to_matrix(a) = R``: ``u = (r₃₁, r₁₂, r₂₂, r₃₂) /
    √(1 + r₃₁²)`` is a unit 4-vector with ``u₀ ≤ 1/√2`` (so the stereographic projection
    ``v = u[1:4]/(1 − u₀)`` is continuous), ``a = (r₁₁, r₂₁, v ⊘ (√2+1, √2+1, √2))``."""
    _last(R, (3, 3), "R")
    r31 = R[..., 2, 0]
    u = torch.stack([r31, R[..., 0, 1], R[..., 1, 1], R[..., 2, 1]], -1)
    u = u / torch.sqrt(1 + r31 * r31)[..., None]
    v = u[..., 1:] / (1 - u[..., :1])
    return torch.cat([R[..., :2, 0], v / R.new_tensor(_FIVED_SCALE)], -1)


# -- distances and sampling --------------------------------------------------------------------
def geodesic_angle(R1: torch.Tensor, R2: torch.Tensor) -> torch.Tensor:
    """The rotation angle of ``R₁ R₂ᵀ`` in [0, π] (radians), by ``atan2(sinθ, cosθ)`` —
    accurate near 0 and π, where ``arccos((tr − 1)/2)`` loses half the digits."""
    _last(R1, (3, 3), "R1")
    _last(R2, (3, 3), "R2")
    M = R1 @ R2.transpose(-1, -2)
    cos = (M.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2
    skew = M - M.transpose(-1, -2)
    sin = torch.linalg.matrix_norm(skew) / (2 * math.sqrt(2))
    return torch.atan2(sin, cos)


def random_rotations(n: int, *, generator: torch.Generator | None = None,
                     dtype: torch.dtype = torch.float32, device=None) -> torch.Tensor:
    """``n`` Haar-uniform rotations: normalised Gaussian quaternions (the official sampler)."""
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    q = torch.randn(int(n), 4, generator=generator, dtype=dtype, device=device)
    return quaternion_to_matrix(q)


# -- GL⁺(2) and SL(2) ----------------------------------------------------------------------------
def rotation_2d(theta: torch.Tensor) -> torch.Tensor:
    """``[[cos θ, −sin θ], [sin θ, cos θ]]`` for a batch of angles."""
    c, s = torch.cos(theta), torch.sin(theta)
    return torch.stack([c, -s, s, c], -1).reshape(*theta.shape, 2, 2)


def _positive_det(A: torch.Tensor, what: str) -> torch.Tensor:
    det = torch.linalg.det(A)
    if bool((det <= 0).any()):
        raise ValueError(f"{what}: every matrix must have det > 0 (GL⁺), min det = "
                         f"{float(det.min()):.3g}")
    return det


def polar(A: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Right polar decomposition ``A = U P`` (U orthogonal, P symmetric positive definite) of
    square matrices, batched, through the SVD ``A = W S Vᵀ``: ``U = W Vᵀ``, ``P = V S Vᵀ``
    (what ``scipy.linalg.polar(A, side="right")`` returns). For det A > 0, U ∈ SO(n)."""
    if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"A must be a batch of square matrices, got {tuple(A.shape)}")
    W, S, Vh = torch.linalg.svd(A)
    U = W @ Vh
    P = Vh.transpose(-1, -2) @ (S[..., None] * Vh)
    return U, (P + P.transpose(-1, -2)) / 2


def iwasawa(A: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Global chart of GL⁺(2) = R₊ × SL(2), with SL(2) = K·A·N (Iwasawa):
    ``A = s · R(θ) · diag(e^t, e^{−t}) · [[1, x], [0, 1]]``, returning ``(s, θ, t, x)`` with
    ``s = √det A > 0``, θ ∈ (−π, π], t, x ∈ R. Unique and smooth on all of GL⁺(2) — also on
    elements that are not exponentials (e.g. ``−diag(2, 1/2)`` in SL(2)). Computed from the
    Gram–Schmidt (QR with positive diagonal) of the columns."""
    _last(A, (2, 2), "A")
    det = _positive_det(A, "iwasawa")
    s = torch.sqrt(det)
    B = A / s[..., None, None]  # det 1
    c1 = B[..., :, 0]
    r11 = torch.linalg.vector_norm(c1, dim=-1)  # = e^t
    theta = torch.atan2(c1[..., 1], c1[..., 0])
    q1 = c1 / r11[..., None]
    r12 = (q1 * B[..., :, 1]).sum(-1)  # = e^t · x
    return s, theta, torch.log(r11), r12 / r11


def iwasawa_compose(s: torch.Tensor, theta: torch.Tensor, t: torch.Tensor,
                    x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`iwasawa`: ``s · R(θ) · diag(e^t, e^{−t}) · [[1, x], [0, 1]]``."""
    if bool((torch.as_tensor(s) <= 0).any()):
        raise ValueError("s must be positive (GL⁺(2))")
    et = torch.exp(t)
    zero = torch.zeros_like(t)
    AN = torch.stack([et, et * x, zero, 1 / et], -1).reshape(*t.shape, 2, 2)
    return s[..., None, None] * rotation_2d(theta) @ AN
