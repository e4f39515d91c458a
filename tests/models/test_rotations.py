"""Rotations and 2x2 groups against scipy (Rotation, linalg.polar) and exact identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.linalg import polar as scipy_polar
from scipy.spatial.transform import Rotation

from nonlinlab.models import rotations as rot

N = 2000


@pytest.fixture(scope="module")
def scipy_rot():
    return Rotation.random(N, random_state=0)


@pytest.fixture(scope="module")
def R(scipy_rot):
    return torch.from_numpy(scipy_rot.as_matrix())


def near_pi(n=500, eps=1e-6, seed=1):
    g = np.random.default_rng(seed)
    axis = g.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = np.pi - g.uniform(0, 1e-3, size=(n, 1)) * (g.uniform(size=(n, 1)) > 0.5) - eps
    return Rotation.from_rotvec(axis * angle)


def test_quaternion_maps_match_scipy(scipy_rot, R):
    q = torch.from_numpy(scipy_rot.as_quat())
    assert torch.allclose(rot.quaternion_to_matrix(q), R, atol=1e-12)
    assert torch.allclose(rot.quaternion_to_matrix(-3 * q), R, atol=1e-12)  # sign and scale free
    ours = rot.matrix_to_quaternion(R)
    theirs = torch.from_numpy(scipy_rot.as_quat(canonical=True))
    assert torch.allclose(ours, theirs, atol=1e-12)
    assert (ours[:, 3] >= 0).all()


def test_axis_angle_and_euler_match_scipy(scipy_rot, R):
    v = torch.from_numpy(scipy_rot.as_rotvec())
    assert torch.allclose(rot.axis_angle_to_matrix(v), R, atol=1e-12)
    assert torch.allclose(rot.matrix_to_axis_angle(R), v, atol=1e-10)
    tiny = torch.tensor([[1e-9, -2e-9, 3e-10]], dtype=torch.float64)
    assert torch.allclose(rot.axis_angle_to_matrix(tiny),
                          torch.from_numpy(Rotation.from_rotvec(tiny.numpy()).as_matrix()),
                          atol=1e-15)
    assert torch.allclose(rot.matrix_to_axis_angle(rot.axis_angle_to_matrix(tiny)), tiny,
                          atol=1e-15)
    e = torch.from_numpy(scipy_rot.as_euler("xyz"))
    assert torch.allclose(rot.euler_to_matrix(e), R, atol=1e-12)
    assert torch.allclose(rot.matrix_to_euler(R), e, atol=1e-9)


def test_six_and_five_d_round_trips(R):
    assert torch.allclose(rot.sixd_to_matrix(rot.matrix_to_sixd(R)), R, atol=1e-12)
    assert torch.allclose(rot.fived_to_matrix(rot.matrix_to_fived(R)), R, atol=1e-9)
    near = torch.from_numpy(near_pi().as_matrix())
    assert torch.allclose(rot.fived_to_matrix(rot.matrix_to_fived(near)), near, atol=1e-9)


def test_sixd_map_returns_a_rotation_for_any_independent_pair():
    a = torch.randn(5000, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    M = rot.sixd_to_matrix(a)
    eye = torch.eye(3, dtype=torch.float64)
    assert (M.transpose(-1, -2) @ M - eye).abs().max() < 1e-12
    assert (torch.linalg.det(M) - 1).abs().max() < 1e-12
    # the first column is a₁ normalised; the second lies in span(a₁, a₂) on a₂'s side
    assert torch.allclose(M[:, :, 0], a[:, :3] / a[:, :3].norm(dim=1, keepdim=True))
    assert ((M[:, :, 1] * a[:, 3:]).sum(1) > 0).all()
    with pytest.raises(ValueError, match="parallel"):
        rot.sixd_to_matrix(torch.tensor([1.0, 0, 0, 2.0, 0, 0]))


def test_quaternion_is_discontinuous_at_pi_and_sixd_is_not():
    n = torch.tensor([0.3, -0.5, 0.8], dtype=torch.float64)
    n = n / n.norm()
    R1 = rot.axis_angle_to_matrix((math.pi - 1e-3) * n)
    R2 = rot.axis_angle_to_matrix(-(math.pi - 1e-3) * n)
    assert (R1 - R2).norm() < 1e-2
    assert (rot.matrix_to_quaternion(R1) - rot.matrix_to_quaternion(R2)).norm() > 1.9
    assert (rot.matrix_to_sixd(R1) - rot.matrix_to_sixd(R2)).norm() < 1e-2
    assert (rot.matrix_to_fived(R1) - rot.matrix_to_fived(R2)).norm() < 1e-2


def test_geodesic_angle_matches_scipy_including_near_zero_and_pi(scipy_rot, R):
    other = Rotation.random(N, random_state=1)
    want = (scipy_rot * other.inv()).magnitude()
    got = rot.geodesic_angle(R, torch.from_numpy(other.as_matrix()))
    assert np.allclose(got.numpy(), want, atol=1e-10)
    near = near_pi(eps=1e-9)
    eye = torch.eye(3, dtype=torch.float64).expand(len(near), 3, 3)
    assert np.allclose(rot.geodesic_angle(torch.from_numpy(near.as_matrix()), eye).numpy(),
                       near.magnitude(), atol=1e-9)
    small = Rotation.from_rotvec([[1e-9, 0, 0]])
    assert abs(float(rot.geodesic_angle(torch.from_numpy(small.as_matrix()), eye[:1])) - 1e-9
               ) < 1e-15


def test_random_rotations_are_haar_uniform():
    from scipy.stats import kstest

    Rs = rot.random_rotations(20000, generator=torch.Generator().manual_seed(0),
                              dtype=torch.float64)
    theta = rot.geodesic_angle(Rs, torch.eye(3, dtype=torch.float64).expand_as(Rs)).numpy()
    # Haar density of the rotation angle on [0, π]: (1 − cos θ)/π, CDF (θ − sin θ)/π
    assert kstest(theta, lambda t: (t - np.sin(t)) / np.pi).pvalue > 0.01
    assert kstest(theta, lambda t: t / np.pi).pvalue < 1e-6  # a uniform angle is not Haar


def test_polar_matches_scipy():
    A = torch.randn(300, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    U, P = rot.polar(A)
    for i in range(0, 300, 37):
        u, p = scipy_polar(A[i].numpy(), side="right")
        assert np.allclose(U[i].numpy(), u, atol=1e-10) and np.allclose(P[i].numpy(), p,
                                                                        atol=1e-10)
    assert torch.allclose(U @ P, A, atol=1e-12)


def test_iwasawa_is_a_global_chart_of_gl2_plus():
    g = torch.Generator().manual_seed(3)
    A = torch.randn(4000, 2, 2, dtype=torch.float64, generator=g)
    A = torch.where(torch.linalg.det(A)[:, None, None] < 0, A.flip(-1), A)  # det > 0
    s, theta, t, x = rot.iwasawa(A)
    assert torch.allclose(rot.iwasawa_compose(s, theta, t, x), A, atol=1e-12)
    # an element of SL(2) that is not the exponential of any real 2x2 matrix
    B = torch.tensor([[-2.0, 0.0], [0.0, -0.5]], dtype=torch.float64)
    parts = rot.iwasawa(B)
    assert torch.allclose(rot.iwasawa_compose(*parts), B, atol=1e-14)
    assert abs(float(parts[1]) - math.pi) < 1e-14 and abs(float(parts[0]) - 1) < 1e-14
    with pytest.raises(ValueError, match="det > 0"):
        rot.iwasawa(torch.tensor([[1.0, 0.0], [0.0, -1.0]]))


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="trailing shape"):
        rot.quaternion_to_matrix(torch.zeros(3))
    with pytest.raises(ValueError, match="zero vector"):
        rot.quaternion_to_matrix(torch.zeros(4))
    with pytest.raises(TypeError):
        rot.sixd_to_matrix(torch.zeros(6, dtype=torch.int64))
