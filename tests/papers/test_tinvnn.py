"""Oracles for nonlinlab.papers.tinvnn (fast: a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import tinvnn as P


@pytest.fixture(scope="module")
def shapes():
    X, y = P.make_dataset(3, 64, seed=0)
    return X, y


def test_dataset_is_aligned_normalised_and_deterministic(shapes):
    X, y = shapes
    assert X.shape == (3 * len(P.CLASSES), 64, 3) and X.dtype == np.float64
    assert np.bincount(y).tolist() == [3] * len(P.CLASSES)
    assert np.abs(X.mean(1)).max() < 0.01  # centred (up to the jitter)
    assert np.linalg.norm(X, axis=-1).max() < 1.1
    X2, _ = P.make_dataset(3, 64, seed=0)
    np.testing.assert_array_equal(X, X2)


def test_classical_mds_equals_sklearn_pca_up_to_signs(shapes):
    pytest.importorskip("sklearn")
    X, _ = shapes
    for scale in P.SCALES:
        assert P.pca_oracle_error(X, scale=scale) < 1e-10


def test_double_centring_and_eigenvalues_are_the_gram_and_singular_values(shapes):
    X = torch.as_tensor(shapes[0])
    D = P.pairwise_distances(X)
    s = D.pow(2).mean((-1, -2)).sqrt()
    Xc = (X - X.mean(1, keepdim=True)) / s[:, None, None]
    Y = P.classical_mds(X, k=3, sign_fix=False)
    # B = X_c X_cᵀ / s², so X̃ X̃ᵀ (rank 3) reproduces it
    torch.testing.assert_close(Y @ Y.transpose(-1, -2), Xc @ Xc.transpose(-1, -2), atol=1e-12,
                               rtol=0)
    sv = torch.linalg.svdvals(Xc)
    torch.testing.assert_close(Y.pow(2).sum(1), sv.pow(2), atol=1e-12, rtol=0)


@pytest.mark.parametrize("scale", P.SCALES)
def test_strict_invariance_distance_preservation_and_fast_path(shapes, scale):
    err = P.invariance_errors(shapes[0], seed=1, scale=scale)
    assert err["invariance"] < 1e-10
    assert err["distance"] < 1e-10
    assert err["fast_vs_mds"] < 1e-10


def test_without_sign_fix_the_pca_frame_is_not_invariant(shapes):
    """The mutation: drop the sign fix → the eigensolver's signs change with the pose."""
    X = torch.as_tensor(shapes[0])
    gen = torch.Generator().manual_seed(3)
    TX, perm = P.random_transform(X, "O(3)+scale+shift+perm", generator=gen, return_perm=True)
    idx = perm[..., None].expand_as(X)
    for fixed in (True, False):
        Y = torch.gather(P.tinv_fast(X, sign_fix=fixed), 1, idx)
        err = (P.tinv_fast(TX, sign_fix=fixed) - Y).abs().amax((1, 2))
        if fixed:
            assert float(err.max()) < 1e-10
        else:  # a sign flips for most shapes
            assert float((err > 1e-3).double().mean()) > 0.3


def test_sign_rule_and_its_fallback():
    Y = torch.tensor([[[1.0, -2.0], [-3.0, 1.0], [1.0, 1.0]]])  # third moments −25, −6
    out = P.fix_signs(Y)
    torch.testing.assert_close(out, -Y)
    sym = torch.tensor([[[1.0], [-1.0], [-3.0], [3.0]]])  # Σy³ = 0: largest |y| is −3 → flip
    torch.testing.assert_close(P.fix_signs(sym), -sym)


def test_pointnet_is_permutation_invariant_and_tinvnn_model_is_group_invariant(shapes):
    X = torch.as_tensor(shapes[0])
    torch.manual_seed(0)
    net = P.PointNet(len(P.CLASSES), (8, 16), (8,)).eval()
    gen = torch.Generator().manual_seed(5)
    TX = P.random_transform(X, "O(3)+scale+shift+perm", generator=gen)
    cfg = P.CONFIGS.ci
    a = P.logits_of(net, "TinvNN-PointNet", X, cfg, torch.device("cpu"))
    b = P.logits_of(net, "TinvNN-PointNet", TX, cfg, torch.device("cpu"))
    assert float((a - b).abs().max()) < 1e-4
    c = P.logits_of(net, "PointNet", TX, cfg, torch.device("cpu"))
    assert float((a - c).abs().max()) > 1e-2  # raw xyz is not invariant


def test_transforms_act_as_described():
    X = torch.randn(4, 10, 3, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    R = P.random_transform(X, "SO(3)", generator=gen)
    torch.testing.assert_close(P.pairwise_distances(R), P.pairwise_distances(X))
    gen = torch.Generator().manual_seed(0)
    T = P.random_transform(X, "O(3)+scale+shift+perm", generator=gen)
    ratio = P.pairwise_distances(T).sort(-1).values.sum((1, 2)) / \
        P.pairwise_distances(X).sort(-1).values.sum((1, 2))
    assert float(ratio.min()) >= 0.5 - 1e-9 and float(ratio.max()) <= 2 + 1e-9
    assert float((ratio - 1).abs().max()) > 1e-3
    assert torch.equal(P.random_transform(X, "aligned", generator=gen), X)


def test_bad_input_is_a_clear_error():
    X = torch.randn(2, 5, 3, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="condition"):
        P.random_transform(X, "SE(3)", generator=gen)
    with pytest.raises(ValueError, match="shape"):
        P.random_transform(X[0], "SO(3)", generator=gen)
    with pytest.raises(ValueError, match="scale"):
        P.classical_mds(X, scale="mean")
    with pytest.raises(ValueError, match="representation"):
        P.represent(X, "spherical")
    with pytest.raises(ValueError, match="variant"):
        P.train_variant("DGCNN", P.CONFIGS.ci, X, torch.zeros(2, dtype=torch.long), seed=0,
                        device=torch.device("cpu"))
    with pytest.raises(ValueError, match="shape class"):
        P.shape_mesh("teapot", np.random.default_rng(0))
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(scale="median")
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(variants=("PointNet",))


def test_budgets_on_paper():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 30
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]


def test_tiny_training_learns_and_keeps_invariance():
    cfg = P.CONFIGS.ci.replace(n_points=32, n_train_per_class=20, n_test_per_class=5,
                               epochs=10, batch=16, shared=(16, 32), head=(16,),
                               variants=("PointNet", "TinvNN-PointNet"))
    ex = P.run_experiment(cfg, seed=0, device=torch.device("cpu"), show_progress=False)
    assert ex.acc["TinvNN-PointNet"]["aligned"] > 0.35  # chance is 1/6 (seed 0: 0.53)
    assert max(ex.changed["TinvNN-PointNet"].values()) == 0.0
    assert max(float(v.max()) for v in ex.dlogit["TinvNN-PointNet"].values()) < 1e-4
