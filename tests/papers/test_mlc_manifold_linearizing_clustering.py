import itertools
import math

import numpy as np
import pytest
import torch

from nonlinlab.core.profiles import PROFILES
from nonlinlab.models.clustering import clustering_accuracy, coding_rate, coding_rate_membership
from nonlinlab.papers import mlc_manifold_linearizing_clustering as m


def _unit(n, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(n, d, generator=g, dtype=torch.float64), dim=1)


def test_membership_is_doubly_stochastic_and_matches_pot():
    ot = pytest.importorskip("ot")
    C = _unit(40, 5)
    eta = m.PAPER["eta"]
    G = m.membership(C, eta, n_iter=2000)
    ones = torch.ones(40, dtype=torch.float64)
    assert torch.allclose(G.sum(1), ones, atol=1e-6) and torch.allclose(G.sum(0), ones, atol=1e-6)
    S = (C @ C.T).abs().numpy()
    a = np.full(40, 1 / 40)
    P = ot.sinkhorn(a, a, -S, reg=eta, numItermax=20000, stopThr=1e-14)
    np.testing.assert_allclose(G.numpy(), 40 * P, atol=1e-5)


def test_coding_rate_closed_forms():
    n, d, eps2 = 48, 6, 0.1
    eps = math.sqrt(eps2)
    Q, _ = torch.linalg.qr(torch.randn(n, d, dtype=torch.float64))
    Z = Q * math.sqrt(n / d)                       # ZᵀZ = (n/d) I
    assert float(coding_rate(Z, eps)) == pytest.approx(d / 2 * math.log(1 + 1 / eps2), abs=1e-8)
    U = _unit(n, d, 1)
    uniform = torch.full((n, n), 1 / n, dtype=torch.float64)
    assert float(coding_rate_membership(U, uniform, eps)) == pytest.approx(
        float(coding_rate(U, eps)), abs=1e-8)      # ΔR = 0 for one big cluster
    eye = torch.eye(n, dtype=torch.float64)
    assert float(coding_rate_membership(U, eye, eps)) == pytest.approx(
        0.5 * math.log(1 + d / eps2), abs=1e-8)    # the trivial optimum Γ = I


def test_mlc_loss_gradient_reaches_cluster_head_through_sinkhorn():
    C = _unit(30, 4, 2).requires_grad_(True)
    Z = _unit(30, 4, 3)
    G = m.membership(C, 0.175, 5)
    loss, R, Rc = m.mlc_loss(Z, G, 0.1, 0.05)
    loss.backward()
    assert C.grad is not None and float(C.grad.abs().max()) > 1e-6
    with torch.no_grad():
        assert float(loss) == pytest.approx(float(-R + Rc + 0.025 * (G ** 2).sum()), rel=1e-12)


def test_accuracy_hungarian_equals_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y, c = rng.integers(0, 4, 60), rng.integers(0, 4, 60)
        best = max(np.mean(np.array(p)[c] == y) for p in itertools.permutations(range(4)))
        assert clustering_accuracy(y, c) == pytest.approx(best)


def test_nmi_equals_hand_formula():
    rng = np.random.default_rng(1)
    y, c = rng.integers(0, 3, 200), rng.integers(0, 4, 200)
    P = np.zeros((3, 4))
    np.add.at(P, (y, c), 1)
    P /= P.sum()
    px, py = P.sum(1), P.sum(0)
    nz = P > 0
    mi = (P[nz] * np.log(P[nz] / np.outer(px, py)[nz])).sum()
    h = lambda p: -(p[p > 0] * np.log(p[p > 0])).sum()  # noqa: E731
    assert m.nmi(y, c) == pytest.approx(mi / ((h(px) + h(py)) / 2), abs=1e-12)


def test_spectral_recovers_block_diagonal_membership():
    labels = np.repeat(np.arange(3), 20)
    A = (labels[:, None] == labels[None, :]).astype(float) / 20 + 1e-6
    assert clustering_accuracy(labels, m.spectral_on_affinity(A, 3, seed=0)) == 1.0


def test_subspace_metrics_on_orthogonal_lines():
    labels = np.repeat(np.arange(2), 10)
    Z = np.zeros((20, 4))
    Z[:10, 0] = np.sign(np.arange(10) - 4.5)
    Z[10:, 1] = 1
    cross, same = m.cross_cosine(Z, labels)
    assert cross == 0 and same == 1
    assert m.subspace_overlap(Z, labels) == pytest.approx(0, abs=1e-12)


def test_circles_data_shapes():
    cfg = m.CONFIGS.ci.replace(n_per_class=10, k=3)
    data = m.planted_circles(cfg, seed=0)
    x = data.sample(np.random.default_rng(0))
    assert x.shape == (30, cfg.ambient) and x.dtype == np.float32


def test_single_view_warmup_is_the_total_coding_rate():
    """Official warm-up (``TotalCodingRate``): with one view the TCR loss is just −R(Z)."""
    z = _unit(50, 6, 4)
    assert float(m.tcr_loss(z, None, 0.1, 2.0)) == pytest.approx(
        -float(coding_rate(z, math.sqrt(0.1))), rel=1e-12)


def test_configs_validate_and_fit_the_budgets():
    for name in PROFILES:
        cfg = getattr(m.CONFIGS, name)
        limit = 60 if name == "ci" else 20 * 60
        assert m.estimate_seconds(cfg) <= limit
    with pytest.raises(ValueError):
        m.CONFIGS.ci.replace(eta=0.0)
    with pytest.raises(ValueError):
        m.CONFIGS.ci.replace(digits_n=5000)
    with pytest.raises(ValueError):
        m.CONFIGS.ci.replace(mlc_opt="rmsprop")
    with pytest.raises(ValueError):
        m.CONFIGS.ci.replace(restarts=0)


def test_spectral_readout_matches_scikit_learn_on_noisy_blocks():
    """Peer oracle: the official (row-normalised) readout and scikit-learn's spectral clustering
    agree on a noisy block affinity with unequal blocks."""
    from sklearn.cluster import spectral_clustering
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), [30, 50, 20])
    A = 0.05 * rng.random((100, 100)) + (labels[:, None] == labels[None, :])
    A = 0.5 * (A + A.T)
    ours = m.spectral_on_affinity(A, 3, seed=0)
    ref = spectral_clustering(A, n_clusters=3, random_state=0)
    assert clustering_accuracy(ref, ours) == 1.0 == clustering_accuracy(labels, ours)


def test_restarts_keep_the_lowest_objective_run():
    """Restarts select by the label-free MCR² objective on the whole set: the kept run is the one
    with the lowest objective among the independent runs (seed, then 1000·seed + r)."""
    cfg = m.CONFIGS.ci.replace(hidden=16, z_dim=4, batch=24, pre_steps=3, mlc_steps=4,
                               eval_iters=5)
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 20)
    x_np = (rng.standard_normal((60, 8)) + 3 * np.eye(8)[labels]).astype(np.float32)
    x = torch.from_numpy(x_np)

    def views(idx):
        return (x[idx],)

    singles = [m.run_mlc(x_np, labels, 3, views, cfg, s, 0.0, cfg.pre_steps)
               for s in (2, 2001, 2002)]
    objs = [m.full_objective(r["model"], x, cfg) for r in singles]
    best = m.run_mlc(x_np, labels, 3, views, cfg, 2, 0.0, cfg.pre_steps, restarts=3)
    assert best["objective"] == pytest.approx(min(objs), rel=1e-9)
    assert len(set(np.round(objs, 9))) == 3          # the restarts differ
    np.testing.assert_allclose(best["mlc"]["Z"], singles[int(np.argmin(objs))]["mlc"]["Z"])
    assert math.isnan(singles[0]["objective"])       # one run: nothing to select
