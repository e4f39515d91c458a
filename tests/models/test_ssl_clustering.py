"""InfoNCE against a naive loop, augmentations, probes; MCR² closed forms, Sinkhorn, metrics."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from nonlinlab.models import clustering as cl
from nonlinlab.models import ssl


def test_info_nce_equals_a_naive_loop():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randn(
        6, 4, generator=g, dtype=torch.float64)
    tau, z = 0.3, torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    total = 0.0
    for i in range(12):
        j = (i + 6) % 12
        denom = sum(math.exp(float(z[i] @ z[m]) / tau) for m in range(12) if m != i)
        total += -(float(z[i] @ z[j]) / tau - math.log(denom))
    assert abs(float(ssl.info_nce(z1, z2, tau)) - total / 12) < 1e-12
    assert ssl.info_nce(z1, z1 * 3, 0.1) < ssl.info_nce(z1, z2, 0.1)


def test_augmentations_are_seeded_and_zero_amplitude_is_identity():
    x = torch.rand(4, 1, 28, 28)
    g = lambda: torch.Generator().manual_seed(1)  # noqa: E731
    assert torch.allclose(ssl.grf_deform(x, amplitude=0.0, length_scale=4, generator=g()), x,
                          atol=1e-5)
    a = ssl.grf_deform(x, amplitude=2.0, length_scale=4, generator=g())
    assert torch.equal(a, ssl.grf_deform(x, amplitude=2.0, length_scale=4, generator=g()))
    assert (a - x).abs().mean() > 0.01
    field = ssl.gaussian_random_field(64, 32, length_scale=4.0, generator=g())
    assert abs(float(field.std()) - 1) < 0.1
    # smooth: neighbours strongly correlated, points two length scales apart nearly not
    c1 = float((field * field.roll(1, -1)).mean())
    c8 = float((field * field.roll(8, -1)).mean())
    assert c1 > 0.8 and abs(c8) < 0.2
    crop = ssl.random_resized_crop(x, scale=(1.0, 1.0), generator=g())
    assert torch.allclose(crop, x, atol=1e-5)
    assert ssl.colour_jitter(x, generator=g()).shape == x.shape
    with pytest.raises(ValueError):
        ssl.grf_deform(x[0], amplitude=1, length_scale=2, generator=g())


def test_probes_separate_separable_features():
    g = torch.Generator().manual_seed(2)
    y = torch.arange(200) % 4
    f = torch.nn.functional.one_hot(y, 4).float() * 3 + 0.3 * torch.randn(200, 4, generator=g)
    assert ssl.linear_probe(f[:100], y[:100], f[100:], y[100:]) == 1.0
    assert ssl.knn_accuracy(f[:100], y[:100], f[100:], y[100:]) == 1.0
    noise = torch.randn(200, 4, generator=g)
    assert ssl.knn_accuracy(noise[:100], y[:100], noise[100:], y[100:]) < 0.5


def test_few_shot_draws_are_balanced_sorted_seeded_and_paired():
    y = np.repeat(np.arange(10), 20)
    idx = ssl.few_shot_indices(y, 3, seed=0)
    assert np.all(np.bincount(y[idx]) == 3) and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx, ssl.few_shot_indices(y, 3, seed=0))
    assert not np.array_equal(idx, ssl.few_shot_indices(y, 3, seed=1))
    with pytest.raises(ValueError, match="fewer than shots"):
        ssl.few_shot_indices(y, 21, seed=0)
    g = torch.Generator().manual_seed(0)
    y = np.tile(np.arange(10), 20)
    yt = torch.as_tensor(y)
    f = torch.nn.functional.one_hot(yt, 10).double() * 3 + 0.3 * torch.randn(200, 10, generator=g,
                                                                            dtype=torch.float64)
    accs = ssl.few_shot_probe(f[:100], y[:100], f[100:], yt[100:], shots=3, seeds=[0, 5, 9])
    assert accs.shape == (3,) and np.all(accs == 1.0)
    # each draw is the plain probe on that draw's labelled examples
    i = ssl.few_shot_indices(y[:100], 3, seed=5)
    noise = torch.randn(200, 10, generator=g, dtype=torch.float64)
    a = ssl.few_shot_probe(noise[:100], y[:100], noise[100:], yt[100:], shots=3, seeds=[5])
    assert a[0] == ssl.linear_probe(noise[:100][i], yt[:100][i], noise[100:], yt[100:])
    with pytest.raises(ValueError, match="at least one"):
        ssl.few_shot_probe(f[:100], y[:100], f[100:], yt[100:], shots=3, seeds=[])


def test_coding_rates_in_closed_form():
    n, d, eps = 40, 3, 0.5
    Z = torch.randn(n, d, dtype=torch.float64)
    want = 0.5 * np.linalg.slogdet(np.eye(d) + d / (n * eps ** 2) * Z.numpy().T @ Z.numpy())[1]
    assert abs(float(cl.coding_rate(Z, eps)) - want) < 1e-10
    hard = torch.nn.functional.one_hot(torch.arange(n) % 2, 2).double()
    parts = [Z[torch.arange(n) % 2 == j] for j in range(2)]
    want_c = sum(len(P) / (2 * n) * np.linalg.slogdet(
        np.eye(d) + d / (len(P) * eps ** 2) * P.numpy().T @ P.numpy())[1] for P in parts)
    assert abs(float(cl.coding_rate_membership(Z, hard, eps)) - want_c) < 1e-10
    # orthogonal subspaces give a larger rate reduction than one shared subspace
    e = torch.eye(3, dtype=torch.float64)
    orth = torch.cat([torch.randn(20, 1, dtype=torch.float64) * e[0],
                      torch.randn(20, 1, dtype=torch.float64) * e[1]])
    same = torch.cat([orth[:20], torch.randn(20, 1, dtype=torch.float64) * e[0]])
    lab = torch.nn.functional.one_hot(torch.arange(40) // 20, 2).double()
    dr = lambda Z: float(cl.coding_rate(Z) - cl.coding_rate_membership(Z, lab))  # noqa: E731
    assert dr(orth) > dr(same) + 0.1


def test_sinkhorn_is_doubly_stochastic():
    S = torch.randn(30, 3, dtype=torch.float64)
    P = cl.sinkhorn(S, eta=0.5, n_iter=300)
    assert torch.allclose(P.sum(1), torch.ones(30, dtype=P.dtype), atol=1e-8)
    assert torch.allclose(P.sum(0), torch.full((3,), 10.0, dtype=P.dtype), atol=1e-8)


def test_clustering_accuracy_is_the_best_matching_and_nmi_is_sklearn():
    from sklearn.metrics import normalized_mutual_info_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 100)
    c = (y + 1) % 4
    c[:10] = rng.integers(0, 4, 10)
    brute = max(np.mean(np.array(p)[c] == y) for p in itertools.permutations(range(4)))
    assert abs(cl.clustering_accuracy(y, c) - brute) < 1e-12
    assert normalized_mutual_info_score(y, (y + 1) % 4) == pytest.approx(1.0)
