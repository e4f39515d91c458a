"""nonlinlab.models.graphrec: graph, propagation, sampling, evaluation (a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.data.implicit import ImplicitData, planted_communities, split_per_user
from nonlinlab.models import graphrec as G


@pytest.fixture(scope="module")
def data():
    return planted_communities(80, 120, 4, seed=0)


def _dense_adj(d: ImplicitData):
    R = d.train_csr.toarray().astype(np.float64)
    m, n = R.shape
    A = np.zeros((m + n, m + n))
    A[:m, m:], A[m:, :m] = R, R.T
    return A


@pytest.mark.parametrize("norm", G.NORMALIZATIONS)
def test_normalizations_match_dense(data, norm):
    A = _dense_adj(data)
    d = A.sum(1)

    def p(x, e):
        return np.where(x > 0, np.where(x > 0, x, 1.0) ** (-e), 0.0)

    L = {"sym": (0.5, 0.5), "sqrt_left": (0.5, 0), "sqrt_right": (0, 0.5), "l1_left": (1, 0),
         "l1_right": (0, 1), "l1_both": (1, 1), "none": (0, 0)}[norm]
    want = p(d, L[0])[:, None] * A * p(d, L[1])[None, :]
    got = G.normalized_adjacency_scipy(data.train_csr, norm=norm).toarray()
    np.testing.assert_allclose(got, want, atol=1e-14)
    with pytest.raises(ValueError):
        G.normalized_adjacency_scipy(data.train_csr, norm="l2")


def test_isolated_nodes_get_zero_rows():
    # user 2 and item 3 have no training edge
    d = ImplicitData(3, 4, np.array([[0, 0], [0, 1], [1, 1], [1, 2]]), np.array([[2, 3]]))
    A = G.normalized_adjacency_scipy(d.train_csr).toarray()
    assert np.isfinite(A).all()
    assert not A[2].any() and not A[:, 2].any() and not A[3 + 3].any()
    Ã = G.normalized_adjacency_scipy(d.train_csr, self_loops=True).toarray()
    assert Ã[2, 2] == pytest.approx(1.0)  # self loop only: (0+1)^-1/2 · 1 · (0+1)^-1/2


def test_sparse_operator_gradient_matches_dense(data):
    for norm in ("sym", "l1_left"):  # symmetric and non-symmetric
        op = G.normalized_adjacency(data, norm=norm, dtype=torch.float64)
        dense = op.to_dense()
        x = torch.randn(op.shape[0], 5, dtype=torch.float64, requires_grad=True)
        w = torch.randn(op.shape[0], 5, dtype=torch.float64)
        (g1,) = torch.autograd.grad(((op @ (op @ x)) * w).sum(), x)
        (g2,) = torch.autograd.grad(((dense @ (dense @ x)) * w).sum(), x)
        torch.testing.assert_close(g1, g2)


def test_propagate_layer_weights(data):
    op = G.normalized_adjacency(data, dtype=torch.float64)
    A = op.to_dense()
    e0 = torch.randn(A.shape[0], 3, dtype=torch.float64)
    e1, e2 = A @ e0, A @ (A @ e0)
    torch.testing.assert_close(G.propagate(op, e0, 2), (e0 + e1 + e2) / 3)
    torch.testing.assert_close(G.propagate(op, e0, 2, mode="last"), e2)
    torch.testing.assert_close(G.propagate(op, e0, 2, alpha=[0.5, 0.3, 0.2]),
                               0.5 * e0 + 0.3 * e1 + 0.2 * e2)
    torch.testing.assert_close(G.propagate(op, e0, 0), e0)
    with pytest.raises(ValueError):
        G.propagate(op, e0, 2, alpha=[1.0])


def test_bpr_sampler_official_distribution(data):
    rng = np.random.default_rng(0)
    u, i, j = G.sample_bpr(data, 40_000, rng)
    assert data.is_train_positive(u, i).all()
    assert not data.is_train_positive(u, j).any()
    # users uniform, positives uniform within the user, negatives uniform over non-positives
    counts = np.bincount(u, minlength=data.n_users)
    assert counts.std() / counts.mean() < 0.2
    u0 = np.flatnonzero(u == 0)
    assert set(i[u0]) == set(data.train_csr[0].indices)
    negs = np.bincount(j[u0], minlength=data.n_items)
    assert (negs[data.train_csr[0].indices] == 0).all()
    # default size = one epoch; deterministic with the seed
    a = G.sample_bpr(data, rng=np.random.default_rng(5))
    b = G.sample_bpr(data, rng=np.random.default_rng(5))
    assert len(a[0]) == len(data.train)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_bpr_loss_matches_formula():
    g = torch.Generator().manual_seed(0)
    u, i, j = (torch.randn(7, 4, generator=g, dtype=torch.float64) for _ in range(3))
    loss, reg = G.bpr_loss(u, i, j, u, i, j, decay=0.1)
    want = -torch.log(torch.sigmoid((u * i).sum(1) - (u * j).sum(1))).mean()
    torch.testing.assert_close(loss, want)
    torch.testing.assert_close(reg, 0.1 * 0.5 * (u.pow(2).sum() + i.pow(2).sum()
                                                 + j.pow(2).sum()) / 7)


def _brute_force(user_emb, item_emb, d: ImplicitData, k: int, average: str):
    """Per-user loop written from the official definitions (LightGCN-PyTorch / UltraGCN)."""
    U, V = user_emb.numpy(), item_emb.numpy()
    tr, te = d.train_csr, d.test_csr
    rec = ndcg = 0.0
    n_with_test = 0
    for u in range(d.n_users):
        truth = set(te.indices[te.indptr[u]:te.indptr[u + 1]].tolist())
        if not truth:
            continue
        n_with_test += 1
        s = U[u] @ V.T
        s[tr.indices[tr.indptr[u]:tr.indptr[u + 1]]] = -np.inf
        top = np.argsort(-s, kind="stable")[:k]
        r = np.array([t in truth for t in top], dtype=float)
        rec += r.sum() / len(truth)
        idcg = sum(1 / np.log2(p + 2) for p in range(min(k, len(truth))))
        ndcg += (r / np.log2(np.arange(2, k + 2))).sum() / idcg
    den = n_with_test if average == "test_users" else d.n_users
    return rec / den, ndcg / den


@pytest.mark.parametrize("average", ["test_users", "all_users"])
def test_evaluation_matches_brute_force(average):
    rng = np.random.default_rng(1)
    users = np.repeat(np.arange(50), rng.integers(1, 12, 50))  # some users: 1 item → no test
    items = rng.integers(0, 70, len(users))
    d = split_per_user(users, items, 50, 70, seed=0)
    assert len(d.test_users) < d.n_users
    g = torch.Generator().manual_seed(0)
    ue, ie = torch.randn(50, 8, generator=g), torch.randn(70, 8, generator=g)
    for k in (1, 5, 20):
        got = G.evaluate_topk(ue, ie, d, ks=(k,), batch_size=7, average=average)
        rec, nd = _brute_force(ue, ie, d, k, average)
        assert got[f"recall@{k}"] == pytest.approx(rec, abs=1e-12)
        assert got[f"ndcg@{k}"] == pytest.approx(nd, abs=1e-12)
    with pytest.raises(ValueError):
        G.evaluate_topk(ue, ie, d, ks=(0,))
    with pytest.raises(ValueError):
        G.evaluate_topk(ue[:10], ie, d)


def test_perfect_scores_give_recall_one(data):
    # score = 1 on test items, 0 elsewhere → recall@K = 1 when K ≥ n_test
    T = torch.as_tensor(data.test_csr.toarray(), dtype=torch.float32)
    got = G.evaluate_topk(T, torch.eye(data.n_items), data, ks=(50,))
    assert got["recall@50"] == pytest.approx(1.0) and got["ndcg@50"] == pytest.approx(1.0)


def test_train_bpr_deterministic_and_learns(data):
    class MF(G.EmbeddingRecommender):
        def forward(self):
            return self.user_emb.weight, self.item_emb.weight

    logs = []
    for _ in range(2):
        torch.manual_seed(0)
        logs.append(G.train_bpr(MF(data.n_users, data.n_items, 8), data, epochs=6,
                                batch_size=256, lr=0.05, decay=1e-4, seed=0, eval_every=3))
    assert logs[0].series().tolist() == logs[1].series().tolist()
    assert logs[0].loss[-1] < logs[0].loss[0]
    pop = G.evaluate_topk(*G.popularity_scores(data), data)["recall@20"]
    assert logs[0].final["recall@20"] > 0.0 and pop > 0.0
    with pytest.raises(ValueError):
        G.train_bpr(MF(3, 3, 2), data, epochs=0, batch_size=1, lr=1.0, decay=0, seed=0)
