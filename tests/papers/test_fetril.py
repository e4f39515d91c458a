"""Oracles for nonlinlab.papers.fetril (fast: a few seconds, no CNN training)."""

from __future__ import annotations

import numpy as np
import pytest

from nonlinlab.core import BUDGET_S
from nonlinlab.data.incremental import class_incremental_tasks
from nonlinlab.papers import fetril as P


def planted_features(n_classes=6, n_per=60, dim=12, seed=0, sample_seed=None):
    """Gaussian classes with distinct means and a shared anisotropic covariance (a planted
    truth under which translation is exact in distribution); ``sample_seed`` draws another
    sample of the same classes (a test set)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(0, 1.5, (n_classes, dim))
    A = rng.normal(0, 1 / np.sqrt(dim), (dim, dim))
    noise = np.random.default_rng(seed if sample_seed is None else sample_seed)
    f = np.concatenate([means[c] + noise.normal(size=(n_per, dim)) @ A for c in range(n_classes)])
    return f, np.repeat(np.arange(n_classes), n_per)


def features_object(seed=0):
    ftr, ytr = planted_features(seed=seed)
    fte, yte = planted_features(seed=seed, sample_seed=seed + 100)
    tasks = class_incremental_tasks(6, 4, first=3, seed=None)
    return P.Features(ftr, ytr, fte, yte, tasks, 0.0)


def test_translation_is_eq1_mean_and_covariance():
    f, y = planted_features()
    mu = P.centroids(f, y, [0, 1])
    fp = P.pseudo_features(f[y == 1], mu[1], mu[0])
    np.testing.assert_allclose(fp.mean(0), mu[0], atol=1e-12)
    np.testing.assert_allclose(np.cov(fp.T), np.cov(f[y == 1].T), atol=1e-12)
    np.testing.assert_allclose(fp - f[y == 1], np.broadcast_to(mu[0] - mu[1], fp.shape))
    # a new class translated onto itself is its real features
    np.testing.assert_array_equal(P.pseudo_features(f[y == 1], mu[1], mu[1]), f[y == 1])
    with pytest.raises(ValueError, match="unknown translation"):
        P.pseudo_features(f, mu[1], mu[0], mode="shift")


def test_source_selection_matches_sklearn_pairwise_distances():
    from sklearn.metrics import pairwise_distances

    rng = np.random.default_rng(1)
    past, new = rng.normal(size=(9, 5)), rng.normal(size=(4, 5))
    np.testing.assert_array_equal(P.select_sources(past, new),
                                  pairwise_distances(past, new).argmin(1))
    with pytest.raises(ValueError, match="dimensions"):
        P.select_sources(past, new[:, :3])


def test_training_set_uses_only_new_data_and_centroids():
    f, y = planted_features()
    mu = P.centroids(f, y, range(6))
    new = np.array([4, 5])
    m = np.isin(y, new)
    X, Y, src = P.fetril_training_set(f[m], y[m], new, mu)
    assert set(src) == {0, 1, 2, 3} and set(src.values()) <= {4, 5}
    for p, n in src.items():
        assert (Y == p).sum() == (y == n).sum()  # |pseudo set of p| = |train set of n(p)|
        np.testing.assert_allclose(X[Y == p].mean(0), mu[p], atol=1e-12)
    np.testing.assert_array_equal(X[np.isin(Y, new)], f[m])  # new classes: real features
    with pytest.raises(ValueError, match="only its new classes"):
        P.fetril_training_set(f, y, new, mu)


def test_svms_equal_sklearn_multiclass_ovr():
    from sklearn.svm import LinearSVC

    f, y = planted_features()
    ours = P.LinearSVMs(C=1.0, tol=1e-4).fit(f, y)
    ref = LinearSVC(penalty="l2", dual=False, C=1.0, tol=1e-4).fit(P.l2n(f), y)
    np.testing.assert_allclose(ours.W, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.b, ref.intercept_, atol=1e-6)
    assert (ours.predict(f) == ref.predict(P.l2n(f))).mean() > 0.999


def test_ncm_is_nearest_cosine_centroid():
    f, y = planted_features()
    mu = P.centroids(f, y, range(6))
    pred = P.ncm_predict(f, mu)
    M = np.stack([mu[c] / np.linalg.norm(mu[c]) for c in range(6)])
    brute = [int(np.argmax([fi @ m / np.linalg.norm(fi) for m in M])) for fi in f]
    np.testing.assert_array_equal(pred, brute)


def test_translation_beats_ablations_and_finetuning_forgets():
    """The mutation test: replacing Eq. 1 by the stored centroid or by the raw features
    measurably hurts; fine-tuning on new data only forgets every past class."""
    feat = features_object()
    cfg = P.CONFIGS.ci
    res = P.summarize(P.run_incremental(feat, cfg, translations=P.TRANSLATIONS))
    assert res["FeTrIL"]["avg_inc_acc"] > res["FeTrIL (none)"]["avg_inc_acc"] + 0.2
    assert res["FeTrIL"]["forgetting"] < res["FeTrIL (centroid)"]["forgetting"]
    assert res["fine-tuning"]["forgetting"] > res["FeTrIL"]["forgetting"] + 0.2
    assert res["FeTrIL"]["avg_inc_acc"] > res["fine-tuning"]["avg_inc_acc"] + 0.3
    assert res["joint"]["avg_inc_acc"] >= res["FeTrIL"]["avg_inc_acc"] - 0.02


def test_cnn_shapes_and_bad_input():
    import torch

    m = P.SmallCNN(3, width=4)
    assert m.features(torch.zeros(2, 1, 28, 28)).shape == (2, 16)
    assert m(torch.zeros(2, 1, 28, 28)).shape == (2, 3)
    with pytest.raises(ValueError, match="expected images"):
        m.features(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError):
        P.Config(first=3, n_tasks=3)  # 7 classes do not split over 2 tasks
    with pytest.raises(ValueError):
        P.run_incremental(features_object(), P.CONFIGS.ci, methods=("EWC",))


def test_budgets_on_paper():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 30.0
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
