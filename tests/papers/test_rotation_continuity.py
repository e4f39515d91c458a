"""Oracles for nonlinlab.papers.rotation_continuity (fast: a few seconds).

Peers: scipy's ``Rotation`` for the network-output maps and angles, ``torch.nn`` layers for the
stacked MLP. A mutation test: the 6-D map with its second Gram–Schmidt column left out must be
caught."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.spatial.transform import Rotation

from nonlinlab.models import rotations as rot
from nonlinlab.papers import rotation_continuity as P


@pytest.fixture(scope="module")
def R():
    return torch.from_numpy(Rotation.random(3000, random_state=0).as_matrix())


def test_euler_head_is_scipy_intrinsic_xzy():
    a = torch.randn(2000, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 3
    want = Rotation.from_euler("XZY", a[:, [0, 2, 1]].numpy()).as_matrix()
    np.testing.assert_allclose(P.euler_head(a).numpy(), want, atol=1e-12)
    # R_x(a0) R_z(a2) R_y(a1), the official closed form
    Rx = Rotation.from_rotvec(np.c_[a[:, 0], 0 * a[:, 0], 0 * a[:, 0]]).as_matrix()
    Ry = Rotation.from_rotvec(np.c_[0 * a[:, 1], a[:, 1], 0 * a[:, 1]]).as_matrix()
    Rz = Rotation.from_rotvec(np.c_[0 * a[:, 2], 0 * a[:, 2], a[:, 2]]).as_matrix()
    np.testing.assert_allclose(P.euler_head(a).numpy(), Rx @ Rz @ Ry, atol=1e-12)


def test_axis_angle_head_matches_scipy_rotvec():
    a = torch.randn(2000, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    theta = math.pi * np.tanh(a[:, 0].numpy())
    n = a[:, 1:].numpy() / np.linalg.norm(a[:, 1:].numpy(), axis=1, keepdims=True)
    want = Rotation.from_rotvec(n * theta[:, None]).as_matrix()
    np.testing.assert_allclose(P.axis_angle_head(a).numpy(), want, atol=1e-12)
    with pytest.raises(ValueError, match="4 outputs"):
        P.axis_angle_head(a[:, :3])


@pytest.mark.parametrize("name", P.REPRESENTATIONS)
def test_f_after_g_is_identity(name, R):
    g = P.representation_of(name, R)
    assert g.shape[-1] == (P.DIMS[name] if name != "axis-angle" else 3)
    if name == "axis-angle":  # the official head reads (atanh(θ/π), n): feed it θ < π
        theta = torch.linalg.vector_norm(g, dim=-1, keepdim=True)
        keep = theta[:, 0] < math.pi - 1e-3
        a = torch.cat([torch.atanh(theta / math.pi), g / theta], -1)[keep]
        torch.testing.assert_close(P.head(name, a), R[keep], atol=1e-10, rtol=0)
    else:
        torch.testing.assert_close(P.head(name, g), R, atol=1e-9, rtol=0)


def test_heads_return_rotations_for_any_output():
    """Every f maps *any* network output into SO(3) — the 6-D one through Gram–Schmidt. This
    is the test that catches a 6-D map without its second Gram–Schmidt column."""
    gen = torch.Generator().manual_seed(2)
    eye = torch.eye(3, dtype=torch.float64)
    for name in P.REPRESENTATIONS:
        a = torch.randn(4000, P.DIMS[name], dtype=torch.float64, generator=gen) * 2
        M = P.head(name, a)
        assert (M.transpose(-1, -2) @ M - eye).abs().max() < 1e-12, name
        assert (torch.linalg.det(M) - 1).abs().max() < 1e-12, name


def _no_gram_schmidt(a):  # b₂ = a₂/‖a₂‖, not orthogonalised against b₁
    b1 = a[..., :3] / a[..., :3].norm(dim=-1, keepdim=True)
    b2 = a[..., 3:] / a[..., 3:].norm(dim=-1, keepdim=True)
    b3 = torch.linalg.cross(b1, b2)
    return torch.stack([b1, b2, b3 / b3.norm(dim=-1, keepdim=True)], -1)


def _b3_from_a2(a):  # b₃ = a₂/‖a₂‖ directly, b₂ = b₃ × b₁
    b1 = a[..., :3] / a[..., :3].norm(dim=-1, keepdim=True)
    b3 = a[..., 3:] / a[..., 3:].norm(dim=-1, keepdim=True)
    return torch.stack([b1, torch.linalg.cross(b3, b1), b3], -1)


@pytest.mark.parametrize("broken", [_no_gram_schmidt, _b3_from_a2])
def test_mutation_sixd_without_second_gram_schmidt_column_is_caught(monkeypatch, broken):
    monkeypatch.setattr(rot, "sixd_to_matrix", broken)
    a = torch.randn(100, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    for name in ("6D", "5D"):  # the 5-D map ends with the 6-D one
        M = P.head(name, a[:, : P.DIMS[name]])
        assert (M.transpose(-1, -2) @ M - torch.eye(3, dtype=torch.float64)).abs().max() > 0.1
    if broken is _no_gram_schmidt:  # and the trained network's outputs are not rotations
        cfg = P.Config(width=16, steps=20, batch=32, test_size=64, eval_size=32, eval_every=10,
                       representations=("6D",))
        assert P.run_sanity(cfg, seed=0).orth_error["6D"] > 1e-3


def test_stacked_mlp_equals_separate_torch_mlps():
    gen = torch.Generator().manual_seed(4)
    dims = (6, 5, 4, 4, 3)
    net = P.StackedMLP(dims, width=16, generator=gen).double()
    x = torch.randn(7, 9, dtype=torch.float64, generator=gen)
    outs = net.outputs(x)
    for m, d in enumerate(dims):
        layers = []
        for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            lin = torch.nn.Linear(w.shape[1], w.shape[2] if i < 3 else d).double()
            with torch.no_grad():
                lin.weight.copy_(w[m].T[: lin.out_features])
                lin.bias.copy_(b[m, 0, : lin.out_features])
            layers += [lin] + ([torch.nn.LeakyReLU()] if i < 3 else [])
        torch.testing.assert_close(outs[m], torch.nn.Sequential(*layers)(x), atol=1e-12, rtol=0)
    # independent models: the loss of one model gives no gradient to another
    outs[2].sum().backward()
    grads = [w.grad for w in net.weights]
    assert all(g[2].abs().sum() > 0 for g in grads)
    assert all(g[[0, 1, 3, 4]].abs().sum() == 0 for g in grads)
    with pytest.raises(ValueError, match="input must be"):
        net(torch.zeros(3, 8, dtype=torch.float64))


def test_losses_and_angles_against_scipy(R):
    gen = torch.Generator().manual_seed(5)
    R2 = rot.random_rotations(len(R), generator=gen, dtype=torch.float64)
    want = (Rotation.from_matrix(R.numpy()) * Rotation.from_matrix(R2.numpy()).inv()).magnitude()
    ok = (want > 1e-3) & (want < math.pi - 1e-3)  # arccos is ill-conditioned at 0 and π
    geo = P.geodesic_loss(R2[None, ok], R[ok]).item()
    assert abs(geo - want[ok].mean()) < 1e-9
    pose = P.pose_loss(R2[None], R).item()
    assert abs(pose - ((R2 - R) ** 2).mean().item()) < 1e-15
    # ‖R̂ − R‖²_F = 4(1 − cos θ): the pose loss is a function of the geodesic angle
    assert abs(9 * pose - (4 * (1 - np.cos(want))).mean()) < 1e-9
    ang = P.rotation_angle(R).numpy()
    np.testing.assert_allclose(ang, Rotation.from_matrix(R.numpy()).magnitude(), atol=1e-12)


def test_samplers_have_the_right_angle_laws():
    gen = torch.Generator().manual_seed(6)
    test = P.rotation_angle(P.sample_axis_angle(4000, generator=gen, dtype=torch.float64))
    assert stats.kstest(test.numpy() / math.pi, "uniform").pvalue > 0.01  # official test law
    haar = P.rotation_angle(rot.random_rotations(4000, generator=gen, dtype=torch.float64))
    cdf = lambda t: (t - np.sin(t)) / math.pi  # noqa: E731 — Haar angle density (1 − cos t)/π
    assert stats.kstest(haar.numpy(), cdf).pvalue > 0.01


def test_discontinuity_demo_is_exact():
    d = P.discontinuity_demo(1e-3)
    assert d["matrix"] < 1e-2
    assert d["quaternion"] > 1.9 and d["axis-angle"] > 6.0  # q → −q, θn → −θn
    assert d["6D"] < 1e-2 and d["5D"] < 5e-2
    # the canonical quaternion flips exactly where the rotation angle crosses π
    t = torch.linspace(math.pi - 0.1, math.pi + 0.1, 200, dtype=torch.float64)  # π in no sample
    q = P.representation_of("quaternion", P.rotation_path(t))
    jumps = torch.linalg.vector_norm(q[1:] - q[:-1], dim=-1)
    assert jumps.argmax().item() == 99 and jumps.max() > 1.9 and jumps.sort().values[-2] < 0.01


def test_short_training_runs_and_continuous_rep_learns():
    cfg = P.Config(width=32, steps=150, batch=64, lr=3e-3, test_size=256, eval_size=64,
                   eval_every=50, representations=("6D", "Euler"))
    res = P.run_sanity(cfg, seed=0)
    s = res.stats()
    assert res.curve_steps == [0, 50, 100, 150]
    assert s["6D"]["mean"] < 0.5 * res.curve_mean["6D"][0]  # it trains
    assert res.orth_error["6D"] < 1e-5 and res.orth_error["Euler"] < 1e-5
    assert res.binned_mean("6D", [0, 90, 180]).shape == (2,)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="representations"):
        P.Config(representations=("6D", "matrix"))
    with pytest.raises(ValueError, match="losses"):
        P.Config(losses=("l1",))
    with pytest.raises(ValueError, match="unknown representation"):
        P.head("rodrigues", torch.zeros(2, 3))
    with pytest.raises(ValueError, match="needs 6 outputs"):
        P.head("6D", torch.zeros(2, 5))
    with pytest.raises(ValueError, match="unknown loss"):
        P.run_sanity(P.CONFIGS.ci, loss="l1")
    with pytest.raises(ValueError, match="R must be"):
        P.RotationAutoEncoder(("6D",), 8)(torch.zeros(2, 9))


def test_budgets():
    from nonlinlab.core import BUDGET_S

    assert P.estimate_seconds(P.CONFIGS.ci) <= 30
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
