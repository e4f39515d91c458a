"""Oracles for nonlinlab.papers.ultragcn (fast: a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla
import torch
import torch.nn.functional as F

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.data.implicit import ImplicitData, planted_communities
from nonlinlab.papers import ultragcn as P


@pytest.fixture(scope="module")
def data():
    return planted_communities(100, 150, 4, seed=0)


def test_fixed_point_vector_and_beta_identity(data):
    A = P.self_loop_adjacency(data)
    v = P.fixed_point_vector(data)
    assert np.abs(A @ v - v).max() / v.max() < 1e-12
    assert P.fixed_point_residual(data, v) < 1e-12  # v_u = Σ β_{u,i} v_i and the item twin
    # independent check: the top eigenpair of Ã is (1, v/‖v‖)
    vals, vecs = spla.eigsh(A, k=1, which="LA")
    assert vals[0] == pytest.approx(1.0, abs=1e-10)
    cos = abs(vecs[:, 0] @ v) / np.linalg.norm(v)
    assert cos == pytest.approx(1.0, abs=1e-8)


def test_beta_matches_official_formula(data):
    bu, bi = P.constraint_weights(data)
    du, di = data.user_degree, data.item_degree
    u, i = data.train[:5, 0], data.train[:5, 1]
    want = (1 / du[u]) * np.sqrt((du[u] + 1) / (di[i] + 1))  # paper Eq. 7
    np.testing.assert_allclose(bu[u] * bi[i], want, rtol=1e-12)
    d = ImplicitData(3, 2, np.array([[0, 0], [1, 1]]), np.zeros((0, 2), int))
    assert P.constraint_weights(d)[0][2] == 0.0  # user without items: guarded, not inf


def test_infinite_propagation_satisfies_the_constraint(data):
    e = P.infinite_propagation(data, dim=4, steps=300, seed=0)
    assert P.fixed_point_residual(data, e) < 1e-6
    e3 = P.infinite_propagation(data, dim=4, steps=3, seed=0)
    assert P.fixed_point_residual(data, e3) > 1e-2  # a few layers are far from the limit


def _omega_dense(d: ImplicitData, k: int, zero_diag: bool = False):
    """The official get_ii_constraint_mat, on dense float64 arrays."""
    R = d.train_csr.toarray().astype(np.float64)
    Gm = R.T @ R
    if zero_diag:
        np.fill_diagonal(Gm, 0.0)
    g = Gm.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        W = (np.sqrt(g + 1) / g)[:, None] * Gm / np.sqrt(g + 1)[None, :]
    W = np.nan_to_num(W, nan=0.0, posinf=0.0)
    vals, idx = torch.topk(torch.as_tensor(W), k)
    return idx.numpy(), vals.numpy(), W


@pytest.mark.parametrize("zero_diag", [False, True])
def test_item_item_omega_equals_dense_brute_force(data, zero_diag):
    idx, val = P.item_item_omega(data, 10, zero_diagonal=zero_diag, chunk=37)
    ridx, rval, W = _omega_dense(data, 10, zero_diag)
    np.testing.assert_allclose(val, rval, atol=1e-12)
    # indices equal up to ties: each chosen neighbour carries the brute-force value
    pos = rval > 0
    rows = np.nonzero(pos)[0]
    np.testing.assert_allclose(W[rows, idx[pos]], rval[pos], atol=1e-12)
    assert (idx[pos] == ridx[pos]).mean() > 0.9
    if not zero_diag:  # the code keeps the diagonal: an item is often its own top neighbour
        assert (idx[:, 0] == np.arange(data.n_items))[data.item_degree > 0].mean() > 0.5


def test_weighted_bce_semantics():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(20, generator=g, dtype=torch.float64)
    y = (torch.rand(20, generator=g) > 0.5).double()
    w = torch.rand(20, generator=g, dtype=torch.float64)
    p = torch.sigmoid(s)
    want = -w * (y * torch.log(p) + (1 - y) * torch.log(1 - p))
    torch.testing.assert_close(P.weighted_bce(s, y, w), want)


def test_loss_equals_official_formula(data):
    cfg = P.CONFIGS.ci.replace(dim=6, negative_num=5, lambda_=0.3, ii_neighbors=4, gamma=1e-2,
                               w1=0.1, w3=0.2, negative_weight=7.0)
    torch.manual_seed(0)
    m = P.UltraGCN(data, cfg).double()
    rng = np.random.default_rng(0)
    b = rng.choice(len(data.train), 9, replace=False)
    users, pos = (torch.as_tensor(data.train[b, j]) for j in (0, 1))
    neg = torch.as_tensor(rng.integers(0, data.n_items, (9, 5)))
    U, V = m.user_emb.weight, m.item_emb.weight
    bu, bi = (torch.as_tensor(x) for x in P.constraint_weights(data))
    nbr, om = P.item_item_omega(data, 4)
    total = 0.0
    for k in range(9):  # loop over positives, as written in main.py
        u, i = users[k], pos[k]
        ps = U[u] @ V[i]
        lp = -(cfg.w1 + cfg.w2 * bu[u] * bi[i]) * F.logsigmoid(ps)
        ln = torch.stack([-(cfg.w3 + cfg.w4 * bu[u] * bi[j]) * F.logsigmoid(-(U[u] @ V[j]))
                          for j in neg[k]]).mean()
        li = -sum(om[i, t] * F.logsigmoid(U[u] @ V[nbr[i, t]]) for t in range(4))
        total = total + lp + cfg.negative_weight * ln + cfg.lambda_ * li
    total = total + cfg.gamma * 0.5 * (U.pow(2).sum() + V.pow(2).sum())
    torch.testing.assert_close(m.loss(users, pos, neg), total)


def test_validation_split_is_carved_from_train(data):
    split = P.validation_split(data, 0.1, seed=3)
    fit = split.fit

    def key(pairs):
        return set(map(tuple, pairs.tolist()))

    assert key(fit.train) | key(fit.test) == key(data.train)  # fit + validation = train
    assert not key(fit.test) & key(data.test)  # the test split is untouched
    assert split.full is data
    has_two = data.user_degree >= 2
    assert (np.bincount(fit.test[:, 0], minlength=data.n_users)[has_two] >= 1).all()
    assert abs(len(fit.test) / len(data.train) - 0.1) < 0.05
    again = P.validation_split(data, 0.1, seed=3)
    assert np.array_equal(again.fit.test, fit.test)  # seeded


def test_short_training_runs_and_is_deterministic(data):
    split = P.validation_split(data)
    cfg = P.CONFIGS.ci.replace(epochs=3, batch_size=256, negative_num=10)
    a = P.train_ultragcn(split, cfg, seed=0)
    b = P.train_ultragcn(split, cfg, seed=0)
    assert a.series("val recall@20").tolist() == b.series("val recall@20").tolist()
    assert a.loss[-1] < a.loss[0]
    t = P.time_to_target({"a": a, "b": b})
    assert t["a"]["seconds"] <= a.train_s[-1]
    # the reported test value is the one at the best *validation* epoch
    s = P.selected(a)
    j = int(np.argmax(a.series("val recall@20")))
    assert s["epoch"] == a.epoch[j] and s["val recall@20"] == a.series("val recall@20").max()
    ue, ie = a.model.final_embeddings()  # the last epoch's embeddings, evaluated on test
    last = P.G.evaluate_topk(ue, ie, data, ks=cfg.ks)
    assert (s["recall@20"] == last["recall@20"]) == (s["epoch"] == a.epoch[-1])
    mf = P.train_lightgcn_baseline(split, cfg.replace(lgn_epochs=2), seed=0, layers=0)
    assert mf.name == "MF-BPR" and len(mf.metrics) == 2


def test_comparison_is_repeated_over_training_seeds_and_averaged(data):
    split = P.validation_split(data)
    cfg = P.CONFIGS.ci.replace(epochs=2, ablation_epochs=2, lgn_epochs=2, batch_size=256,
                               train_seeds=2)
    reps = P.run_comparison(split, cfg, seed=5)
    assert len(reps) == 2 and set(reps[0]) == {*P.ABLATIONS, "LightGCN", "MF-BPR"}
    one = P.train_lightgcn_baseline(split, cfg, seed=5 + 7919, layers=0)
    val = "val recall@20"
    assert one.series(val).tolist() == reps[1]["MF-BPR"].series(val).tolist()
    sel = P.mean_selected(reps)
    for n in reps[0]:
        per = [P.selected(r[n])["recall@20"] for r in reps]
        assert sel[n]["recall@20 per seed"] == per
        assert sel[n]["recall@20"] == pytest.approx(np.mean(per))
    with pytest.raises(ValueError):
        P.mean_selected([])
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(train_seeds=0)


def test_ablation_variants_switch_terms_off():
    assert P.ABLATIONS["no L_I"] == {"lambda_": 0.0}
    base = P.CONFIGS.ci.replace(**P.ABLATIONS["base (L_O only)"])
    assert base.w2 == base.w4 == 0 and base.lambda_ == 0 and base.w1 == base.w3 == 1


def test_configs_and_budgets():
    budget = {"ci": all_chapters()["ultragcn"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= budget[name], name
    # the sparse-users comparison is part of the estimate
    more = P.CONFIGS.ci.replace(sparse_epochs=2 * P.CONFIGS.ci.sparse_epochs)
    assert P.estimate_seconds(more) > P.estimate_seconds(P.CONFIGS.ci)
    # so is every training seed of the main comparison
    e1, e2, e3 = (P.estimate_seconds(P.CONFIGS.ci.replace(train_seeds=k)) for k in (1, 2, 3))
    assert e2 - e1 > 10 and e3 - e2 == pytest.approx(e2 - e1)
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(negative_num=0)
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(w2=-1.0)


def test_sparse_users_keeps_exactly_the_light_users_and_their_pairs(data):
    n = np.bincount(np.concatenate([data.train[:, 0], data.test[:, 0]]),
                    minlength=data.n_users)
    cap = int(np.median(n))
    sub = P.sparse_users(data, cap)
    light = np.flatnonzero(n <= cap)
    assert sub.n_users == len(light) < data.n_users
    m = np.bincount(np.concatenate([sub.train[:, 0], sub.test[:, 0]]), minlength=sub.n_users)
    np.testing.assert_array_equal(m, n[light])  # every kept user keeps all its interactions
    items = np.unique(np.concatenate([data.train[np.isin(data.train[:, 0], light), 1],
                                      data.test[np.isin(data.test[:, 0], light), 1]]))
    assert sub.n_items == len(items)

    def back(p):  # the original (user, item) ids of the subset's pairs
        return {(light[u], items[i]) for u, i in p.tolist()}

    assert back(sub.train) == {tuple(p) for p in data.train.tolist() if p[0] in set(light)}
    assert back(sub.test) == {tuple(p) for p in data.test.tolist() if p[0] in set(light)}
    with pytest.raises(ValueError):
        P.sparse_users(data, 0)


def test_exact_subgraph_is_small_and_consistent(data):
    assert P.exact_subgraph(data, max_items=data.n_items) is data
    sub = P.exact_subgraph(data, max_items=60, seed=1)
    assert sub.n_items <= 60 and len(sub.test) == 0 and len(sub.train) > 0
    assert P.omega_error(sub, 5)["value"] < 1e-12  # the dense oracles run on it


def test_epoch_flops_counts_and_scaling():
    f = P.epoch_flops(10, 20, 100, dim=4, batch=10, negatives=3, ii_neighbors=2)
    assert f == {"scores": 6.0 * 100 * 6 * 4, "propagation": 0.0, "tables": 10.0 * 30 * 4}
    g = P.epoch_flops(10, 20, 100, dim=4, batch=10, layers=3)
    assert g["propagation"] == P.LG.epoch_cost(10, 20, 100, 4, 10, 3)[1]  # the lightgcn model
    assert g["scores"] == 6.0 * 100 * 2 * 4  # BPR: one positive, one negative
    # LightGCN's propagation per epoch is quadratic in the data size, UltraGCN's scores linear
    g2 = P.epoch_flops(10, 20, 200, dim=4, batch=10, layers=3)
    f2 = P.epoch_flops(10, 20, 200, dim=4, batch=10, negatives=3, ii_neighbors=2)
    assert g2["propagation"] == 4 * g["propagation"] and f2["scores"] == 2 * f["scores"]
