"""Oracles for nonlinlab.papers.bt2_basis_transformation (fast: no full training)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.models.retrieval import retrieval_metrics
from nonlinlab.papers import bt2_basis_transformation as P


def _net(basis=True, seed=0):
    torch.manual_seed(seed)
    return P.BT2Net(10, d_new=12, d_old=10, k=4, hidden=16, C=2.0, basis=basis, in_dim=20)


def test_embedding_layout_and_norm_identity():
    net = _net()
    x = torch.randn(50, 20)
    logits, bct, f, e = net(x)
    assert logits.shape == (50, 10) and bct.shape == (50, 10) and e.shape == (50, 16)
    torch.testing.assert_close(e[:, :10], bct)
    # Eq. 3: ‖e‖² = 1 + C² and e·e' = o_k·o_k' + C² f·f'
    assert P.norm_identity_error(net, x) < 1e-5
    h = net.backbone(x)
    ok = torch.nn.functional.normalize(net.fc3(torch.relu(h))[:, :4], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(e @ e.T, ok @ ok.T + 4.0 * f @ f.T, atol=1e-5, rtol=1e-5)
    assert P.orthogonality_error(net) < 1e-5


def test_no_basis_transformation_is_identity_maps():
    a, b = _net(basis=True), _net(basis=False)
    b.load_state_dict({k: v for k, v in a.state_dict().items() if "Q_" not in k})
    x = torch.randn(8, 20)
    with torch.no_grad():
        _, _, fa, _ = a(x)
        _, bct_b, fb, eb = b(x)
    torch.testing.assert_close(fa, fb)
    # without Q: bct = [o_k, C f_{1:d_old-k}], extra = C f_{d_old-k+1:}
    torch.testing.assert_close(bct_b[:, 4:], 2.0 * fb[:, :6])
    torch.testing.assert_close(eb[:, 10:], 2.0 * fb[:, 6:])


def test_orthogonal_parametrization_equals_matrix_exponential_of_skew():
    """torch's `orthogonal` (default: matrix_exp for square maps) vs our own closed form."""
    lin = torch.nn.utils.parametrizations.orthogonal(torch.nn.Linear(6, 6, bias=False),
                                                     orthogonal_map="matrix_exp",
                                                     use_trivialization=False)
    A = torch.randn(6, 6)
    with torch.no_grad():
        lin.parametrizations.weight.original.copy_(A)
    S = A.tril(-1)
    Q = torch.linalg.matrix_exp(S - S.T)
    torch.testing.assert_close(lin.weight, Q, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(Q.T @ Q, torch.eye(6), atol=1e-5, rtol=1e-5)


def test_pseudo_classifier_is_class_means():
    g = torch.Generator().manual_seed(0)
    phi = torch.nn.functional.normalize(torch.randn(60, 5, generator=g), dim=1)
    y = torch.arange(60) % 4
    Pm = P.pseudo_classifier(phi, y, 4)
    for c in range(4):
        torch.testing.assert_close(Pm[c], phi[y == c].mean(0))
    with pytest.raises(ValueError, match="every class"):
        P.pseudo_classifier(phi, y, 5)


def test_cmc_map_matches_sklearn_and_leave_one_out():
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 6)
    q = torch.as_tensor(rng.normal(size=(24, 3)) + y[:, None])
    g = torch.as_tensor(rng.normal(size=(24, 3)) + y[:, None])
    yt = torch.as_tensor(y)
    ours = P.cmc_map(q, g, yt, ks=(1, 3))
    qn = torch.nn.functional.normalize(q, dim=1)
    gn = torch.nn.functional.normalize(g, dim=1)
    s = (qn @ gn.T).numpy()
    aps, top1 = [], []
    for i in range(24):
        keep = np.arange(24) != i
        aps.append(average_precision_score(y[keep] == y[i], s[i, keep]))
        ref = retrieval_metrics(q[i:i + 1], yt[i:i + 1], g[keep], yt[keep], k=3)
        top1.append(ref["top3"])
    assert abs(ours["mAP"] - np.mean(aps)) < 1e-12
    assert abs(ours["top3"] - np.mean(top1)) < 1e-12
    with pytest.raises(ValueError, match="dim"):
        P.cmc_map(q, g[:, :2], yt)


def test_bt2_loss_gradients_reach_both_maps_and_training_runs():
    net = _net()
    x = torch.randn(64, 20)
    y = torch.arange(64) % 10
    phi_old = torch.nn.functional.normalize(torch.randn(64, 10), dim=1)
    phi_new = torch.nn.functional.normalize(torch.randn(64, 12), dim=1)
    Pm = P.pseudo_classifier(phi_old, y, 10)
    loss = P.bt2_loss(net, x, y, phi_old, phi_new, Pm)
    loss.backward()
    for q in (net.Q_p, net.Q_o):
        assert q.parametrizations.weight.original.grad.abs().sum() > 0
    losses = P._train(_net(), x, y, lambda m, xb, yb, a, b: P.bt2_loss(m, xb, yb, a, b, Pm),
                      epochs=3, warmup=1, seed=0, extra=(phi_old, phi_new))
    assert len(losses) == 3 and losses[-1] < losses[0]


def test_lr_schedule_and_config_checks():
    assert P.lr_at(0, 100, 10) == pytest.approx(1e-4)
    assert P.lr_at(10, 100, 10) == pytest.approx(1e-3)
    assert P.lr_at(99, 100, 10) < 1e-5
    with pytest.raises(ValueError, match="k <= d_old"):
        P.Config(k=40)
    with pytest.raises(ValueError, match="old_classes"):
        P.Config(old_classes=10)
    assert P.CONFIGS.ci.in_dim == 196


def test_estimates_fit_budgets():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
