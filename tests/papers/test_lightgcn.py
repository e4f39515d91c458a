"""Oracles for nonlinlab.papers.lightgcn (fast: a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.data.implicit import planted_communities
from nonlinlab.models import graphrec as G
from nonlinlab.papers import lightgcn as P


@pytest.fixture(scope="module")
def data():
    return planted_communities(120, 160, 4, seed=0)


def test_propagation_equals_pyg_and_dense_closed_form(data):
    pytest.importorskip("torch_geometric")
    err = P.oracle_errors(data, dim=8, n_layers=3)
    assert err["lgconv_f64"] < 1e-10 and err["pyg_lightgcn_f64"] < 1e-10
    assert err["dense_f64"] < 1e-10
    assert err["lgconv_f32"] < 1e-5 and err["pyg_lightgcn_f32"] < 1e-5


def test_pyg_lightgcn_with_isolated_nodes():
    pytest.importorskip("torch_geometric")
    # planted with an item that has no training edge → an isolated node in the graph
    d = planted_communities(60, 400, 3, seed=1)
    assert d.summary()["items_without_train"] > 0
    err = P.oracle_errors(d, dim=4, n_layers=2)
    assert max(err["lgconv_f64"], err["dense_f64"]) < 1e-10


def test_model_forward_matches_closed_form_and_k0_is_mf(data):
    torch.manual_seed(0)
    m = P.LightGCN(data, 6, 3).double()
    e0 = torch.cat([m.user_emb.weight, m.item_emb.weight]).detach().numpy()
    u, i = m()
    want = P.dense_closed_form(data, e0, 3)
    np.testing.assert_allclose(torch.cat([u, i]).detach().numpy(), want, atol=1e-12)
    mf = P.LightGCN(data, 6, 0)
    u0, i0 = mf()
    assert u0 is not None and torch.equal(u0, mf.user_emb.weight)
    single = P.LightGCN(data, 6, 2, mode="last").double()
    e0 = torch.cat([single.user_emb.weight, single.item_emb.weight])
    A = single.adj.to_dense()
    torch.testing.assert_close(torch.cat(single()), A @ (A @ e0))


def test_pyg_wrapper_loss_equals_ours(data):
    pytest.importorskip("torch_geometric")
    torch.manual_seed(0)
    ours = P.LightGCN(data, 8, 3).double()
    theirs = P.PyGLightGCN(data, 8, 3).double()
    with torch.no_grad():
        theirs.pyg.embedding.weight.copy_(torch.cat([ours.user_emb.weight, ours.item_emb.weight]))
    u, p, n = (torch.as_tensor(a) for a in G.sample_bpr(data, 64, np.random.default_rng(0)))
    torch.testing.assert_close(ours.loss(u, p, n, 1e-4), theirs.loss(u, p, n, 1e-4))


def test_ngcf_variants(data):
    torch.manual_seed(0)
    full = P.NGCF(data, 8, 3)
    u, i = full()
    assert u.shape == (data.n_users, 32) and i.shape == (data.n_items, 32)
    fn = P.NGCF(data, 8, 2, transform=False, nonlinear=False).double()
    e = torch.cat([fn.user_emb.weight, fn.item_emb.weight])
    A = fn.adj.to_dense()
    outs, x = [e], e
    for _ in range(2):  # (Â + I)E + (ÂE) ⊙ E, normalised, concatenated
        x = A @ x + x + (A @ x) * x
        outs.append(torch.nn.functional.normalize(x, dim=1))
    torch.testing.assert_close(torch.cat(fn(), 0), torch.cat(outs, 1))


def test_light_convolution_exposes_planted_communities():
    d = planted_communities(300, 450, 5, seed=0)
    k0 = P.community_agreement(d, 0)
    k2 = P.community_agreement(d, 2, mode="last")
    assert k0 < 0.35 and k2 > 0.5
    with pytest.raises(ValueError):
        P.community_agreement(P.load_dataset(P.CONFIGS.ci.replace(dataset="planted"))
                              .__class__(3, 3, np.array([[0, 0]]), np.zeros((0, 2), int)), 1)


def test_short_training_lightgcn_beats_mf_on_planted(data):
    cfg = P.CONFIGS.ci.replace(dataset="planted", epochs=8, eval_every=8, batch_size=512)
    logs = P.run_headline(cfg, data, seed=0, models=("MF-BPR", "LightGCN"))
    assert logs["LightGCN"].final["recall@20"] > logs["MF-BPR"].final["recall@20"]


def test_configs_and_budgets():
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= BUDGET_S[name], name
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(dataset="netflix")
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(norms=("l1_left",))
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(ks=(10,))
    assert P.CONFIGS.ci.replace(n_layers=0).n_layers == 0  # K=0 (MF) is a legal setting
