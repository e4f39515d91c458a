"""Oracles for nonlinlab.papers.task_structure_nonlinearity_geometry (fast: a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import task_structure_nonlinearity_geometry as P


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# --- kernel alignment -------------------------------------------------------------------


def test_kernel_alignment_with_itself_is_one():
    X = np.random.default_rng(0).normal(size=(20, 7))
    K = P.linear_kernel(X)
    assert P.kernel_alignment(K, K) == pytest.approx(1.0, abs=1e-12)


def test_kernel_alignment_invariant_to_scaling_and_rotation():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(15, 6)), rng.normal(size=(15, 4))
    Q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    Ky = P.linear_kernel(Y)
    ref = P.kernel_alignment(P.linear_kernel(X), Ky)
    assert P.kernel_alignment(P.linear_kernel(3.7 * X @ Q), Ky) == pytest.approx(ref, abs=1e-12)
    # translation of features does not matter either (centred kernels)
    assert P.kernel_alignment(P.linear_kernel(X + 5.0), Ky) == pytest.approx(ref, abs=1e-12)


def test_kernel_alignment_matches_linear_cka_via_hsic():
    rng = np.random.default_rng(2)
    n = 25
    X, Y = rng.normal(size=(n, 5)), rng.normal(size=(n, 3)) + 0.5 * rng.normal(size=(n, 1))
    H = np.eye(n) - np.ones((n, n)) / n

    def hsic(K, L):
        return np.trace(K @ H @ L @ H)

    K, L = X @ X.T, Y @ Y.T
    cka = hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L))
    assert P.kernel_alignment(K, L) == pytest.approx(cka, abs=1e-10)


def test_kernel_alignment_bad_input():
    with pytest.raises(ValueError):
        P.kernel_alignment(np.ones((3, 3)), np.eye(3))  # constant kernel: centred to zero
    with pytest.raises(ValueError):
        P.kernel_alignment(np.eye(3), np.eye(4))
    with pytest.raises(ValueError):
        P.center_kernel(np.ones((2, 3)))


# --- PS and CCGP ------------------------------------------------------------------------


def _cube_samples(num_cond_bits=3, per=20, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    C = 2**num_cond_bits
    s = np.array([[1 - 2 * ((c >> i) & 1) for i in range(num_cond_bits)] for c in range(C)], float)
    cond = np.repeat(np.arange(C), per)
    z = s[cond] + noise * rng.normal(size=(len(cond), num_cond_bits))
    return s, z, cond


def test_ps_and_ccgp_of_a_factorised_representation_are_one():
    s, z, cond = _cube_samples()
    labels = (s[:, 0] > 0).astype(float)
    assert P.parallelism_score(s, labels) == pytest.approx(1.0, abs=1e-12)
    # decode s_0 across the values of s_1 and s_2 (the usual CCGP of a factorised task)
    assert P.ccgp(z, cond, labels, contexts=s[:, 1:].T) == pytest.approx(1.0)
    sq, zq, cq = _cube_samples(num_cond_bits=2)
    assert P.ccgp(zq, cq, (sq[:, 0] > 0).astype(float), contexts=sq[:, 1]) == pytest.approx(1.0)


def test_ccgp_of_random_representation_is_near_chance():
    rng = np.random.default_rng(3)
    C, per, d = 32, 10, 50
    means = rng.normal(size=(C, d))
    cond = np.repeat(np.arange(C), per)
    z = means[cond] + 0.05 * rng.normal(size=(len(cond), d))
    labels = (np.arange(C) % 2).astype(float)
    val = P.ccgp(z, cond, labels, max_splits=40, rng=np.random.default_rng(0))
    assert 0.4 < val < 0.6


def test_ps_of_xor_geometry_is_low():
    # a square labelled by XOR: coding vectors are antiparallel for the best pairing, PS <= 0
    sq = np.array([[1, 1], [-1, 1], [1, -1], [-1, -1]], float)
    labels = np.array([0, 1, 1, 0], float)
    assert P.parallelism_score(sq, labels) <= 1e-12


def test_ps_ccgp_bad_input():
    with pytest.raises(ValueError):
        P.parallelism_score(np.eye(4), np.array([0, 0, 0, 1.0]))  # unbalanced
    with pytest.raises(ValueError):
        P.parallelism_score(np.eye(4), np.array([1, 1, 1, 1.0]))  # one class only
    with pytest.raises(ValueError):
        P.ccgp(np.eye(4), np.arange(3), np.array([0, 1, 0, 1.0]))  # cond length mismatch


# --- tasks ------------------------------------------------------------------------------


def test_nudged_xor_structure():
    t0 = P.nudged_xor_task(30, 0.0, generator=_gen(), dtype=torch.float64)
    t1 = P.nudged_xor_task(30, 1.0, generator=_gen(), dtype=torch.float64)
    # labels: XOR of the two bits, official ordering (label 1 on conditions 1 and 2)
    assert t0.labels.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert t0.num_cond == 4 and t0.dim == 30
    # at eps = 0 the input kernel is orthogonal to the target kernel (pure XOR)
    assert P.input_target_alignment(t0) == pytest.approx(0.0, abs=1e-12)
    # alignment grows monotonically with eps
    tasks = [P.nudged_xor_task(30, e, generator=_gen(), dtype=torch.float64)
             for e in (0.0, 0.25, 0.5, 1.0, 2.0)]
    vals = [P.input_target_alignment(t) for t in tasks]
    assert np.all(np.diff(vals) > 0)
    # condition means have the intended norm: ||m_i|| = sqrt(N/3) on disjoint blocks
    norms = t1.means.norm(dim=1)
    assert torch.allclose(norms, torch.full((4,), (3 * 30 / 3) ** 0.5, dtype=torch.float64))


def test_random_patterns_task_and_sampling():
    t = P.random_patterns_task(50, generator=_gen(1), dtype=torch.float64)
    assert torch.allclose(t.means.mean(0), torch.zeros(50, dtype=torch.float64), atol=1e-12)
    assert t.labels.tolist() == [1.0, 0.0, 0.0, 1.0]
    x, y, cond = P.sample(t, 7, 0.0, generator=_gen(2))
    assert x.shape == (28, 50) and torch.equal(x, t.means[cond]) and torch.equal(y, t.labels[cond])
    # determinism
    a = P.sample(t, 3, 0.1, generator=_gen(5))[0]
    b = P.sample(t, 3, 0.1, generator=_gen(5))[0]
    assert torch.equal(a, b)


def test_task_bad_input():
    with pytest.raises(ValueError):
        P.nudged_xor_task(31, 0.5)
    with pytest.raises(ValueError):
        P.nudged_xor_task(30, -1.0)
    with pytest.raises(ValueError):
        P.random_patterns_task(0)
    with pytest.raises(ValueError):
        P.random_patterns_task(10, num_cond=5)
    with pytest.raises(ValueError):
        P.sample(P.random_patterns_task(10), 0, 0.1)
    with pytest.raises(ValueError):
        P.activation_fn("gelu")


# --- training ---------------------------------------------------------------------------


def test_manual_gradient_matches_autograd():
    t = P.random_patterns_task(12, generator=_gen(), dtype=torch.float64)
    x, y, _ = P.sample(t, 3, 0.1, generator=_gen(1))
    for act in ("tanh", "relu", "linear"):
        p0 = P.init_params(2, 12, 9, generator=_gen(3), dtype=torch.float64)
        W, b = p0.W.clone().requires_grad_(True), p0.b.clone().requires_grad_(True)
        loss = P.bce_loss(P.Params(W, b, p0.J), x, y, act).sum()
        loss.backward()
        lr = 0.3
        run = P.train(p0, x, y, act, lr=lr, steps=1)
        assert torch.allclose(run.params.W, p0.W - lr * W.grad, atol=1e-12)
        assert torch.allclose(run.params.b, p0.b - lr * b.grad, atol=1e-12)
        assert torch.equal(run.params.J, p0.J)  # readout is fixed


def test_linear_network_keeps_input_alignment():
    # with phi = identity the hidden kernel is a linear map of the input kernel: KA(z, x) stays high
    t = P.random_patterns_task(30, generator=_gen(), dtype=torch.float64)
    x, y, cond = P.sample(t, 10, 0.1, generator=_gen(1))
    p0 = P.init_params(1, 30, 64, generator=_gen(2), dtype=torch.float64)
    run = P.train(p0, x, y, "linear", lr=0.1, steps=50)
    z = P.hidden(run.params, x, "linear")[0]
    assert torch.allclose(z, x @ run.params.W[0].T + run.params.b[0], atol=1e-12)
    z0 = P.hidden(p0, x, "linear")[0]
    ka0 = P.kernel_alignment(P.linear_kernel(z0), P.linear_kernel(x))
    ka1 = P.kernel_alignment(P.linear_kernel(z), P.linear_kernel(x))
    assert ka0 > 0.95 and ka1 > 0.6  # training adds a label direction, input structure stays


def test_train_bad_input():
    t = P.random_patterns_task(12, generator=_gen())
    x, y, _ = P.sample(t, 2, 0.1, generator=_gen())
    p0 = P.init_params(1, 12, 4, generator=_gen())
    with pytest.raises(ValueError):
        P.train(p0, x, y, "tanh", lr=-1.0, steps=3)
    with pytest.raises(ValueError):
        P.train(p0, x, y, "tanh", lr=0.1, steps=0)
    with pytest.raises(ValueError):
        P.train(p0, x[:, :5], y, "tanh", lr=0.1, steps=1)
    with pytest.raises(ValueError):
        P.init_params(0, 12, 4)
    with pytest.raises(ValueError):
        P.Config(dim_inp=10)


def test_small_run_shows_the_effect_and_is_deterministic():
    cfg = P.CONFIGS.ci.replace(nets=2, steps=500, epsilons=(0.5,), snapshots=3,
                               eval_samples_per_cond=10, samples_per_cond=10, width=64)
    e1, e2 = P.run_experiment(cfg, seed=0), P.run_experiment(cfg, seed=0)
    s1, s2 = P.summary(e1), P.summary(e2)
    assert np.array_equal(s1["gap_target"], s2["gap_target"])
    assert s1["gap_target"].min() > 0.05 and s1["gap_input"].min() > 0.1


def test_configs_fit_budget():
    for profile, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= BUDGET_S[profile]
