"""λ-orthogonality: the penalty (Eqs. 2-3), the maps (Eq. 4) against closed forms (SciPy's
Procrustes, least squares), the isometry of the orthogonal map, and the budget."""

import numpy as np
import pytest
import torch
from scipy.linalg import orthogonal_procrustes

from nonlinlab.papers import lambda_orthogonality as P


def _pair(n=400, d=8, seed=0, noise=0.05):
    g = torch.Generator().manual_seed(seed)
    Zn = torch.nn.functional.normalize(torch.randn(n, d, generator=g, dtype=torch.float64), dim=1)
    M = torch.randn(d, d, generator=g, dtype=torch.float64) / d ** 0.5 + torch.eye(d,
                                                                                 dtype=torch.float64)
    Zo = Zn @ M.T + 0.3 + noise * torch.randn(n, d, generator=g, dtype=torch.float64)
    return Zn, Zo


def test_penalty_zero_inside_band_and_quadratic_outside():
    Q = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))[0]
    assert float(P.orthogonality_defect(Q)) < 1e-12
    W = 1.2 * Q  # W^T W - I = 0.44 I → ‖·‖_F = 0.44 √6
    dfc = 0.44 * 6 ** 0.5
    assert float(P.orthogonality_defect(W)) == pytest.approx(dfc, rel=1e-12)
    assert float(P.lambda_penalty(W, dfc + 1e-6)) == 0.0
    assert float(P.lambda_penalty(W, dfc - 0.2)) == pytest.approx(0.04, rel=1e-9)
    # spectral band: all σ = 1.2 → 6 · (0.2 − λ)² outside
    assert float(P.lambda_penalty(W, 0.1, "spectral")) == pytest.approx(6 * 0.01, rel=1e-9)
    with pytest.raises(ValueError):
        P.lambda_penalty(W, -1.0)
    with pytest.raises(ValueError):
        P.lambda_penalty(W, 0.1, "nuclear")


def test_procrustes_matches_scipy():
    Zn, Zo = _pair()
    R, _ = orthogonal_procrustes(Zn.numpy(), Zo.numpy())
    np.testing.assert_allclose(P.procrustes(Zn, Zo).numpy(), R.T, atol=1e-10)


def test_affine_mse_fit_matches_least_squares():
    Zn, Zo = _pair()
    cfg = P.Config(steps=600, lr=1e-2, batch=400)  # full batch
    W, b = P.fit_map(Zn, Zo, torch.zeros(len(Zn), dtype=torch.long), torch.eye(8),
                     kind="affine", cfg=cfg, align="mse")
    X = np.hstack([Zn.numpy(), np.ones((len(Zn), 1))])
    sol = np.linalg.lstsq(X, Zo.numpy(), rcond=None)[0]
    W_ls, b_ls = sol[:-1].T, sol[-1]
    assert np.linalg.norm(W.numpy() - W_ls) / np.linalg.norm(W_ls) < 0.03
    assert np.abs(b.numpy() - b_ls).max() < 0.03
    mse = ((X @ np.vstack([W.numpy().T, b.numpy()]) - Zo.numpy()) ** 2).sum(1).mean()
    mse_ls = ((X @ sol - Zo.numpy()) ** 2).sum(1).mean()
    assert mse < 1.02 * mse_ls


def test_orthogonal_map_is_orthogonal_and_keeps_distances():
    Zn, Zo = _pair(d=6)
    y = (Zn[:, 0] > 0).long()
    cfg = P.Config(steps=200)
    W, b = P.fit_map(Zn, Zo, y, torch.randn(2, 6, dtype=torch.float64), kind="orthogonal",
                     cfg=cfg)
    assert float(P.orthogonality_defect(W)) < 1e-10
    Z = P.apply_map(W, b, Zn)
    np.testing.assert_allclose(torch.cdist(Z, Z).numpy(), torch.cdist(Zn, Zn).numpy(),
                               atol=1e-6)


def test_lambda_map_respects_band_and_adapts_more_than_orthogonal():
    Zn, Zo = _pair(d=6, noise=0.01)
    y = (Zn[:, 0] > 0).long()
    U = torch.randn(2, 6, dtype=torch.float64)
    cfg = P.Config(steps=250)
    Wl, _ = P.fit_map(Zn, Zo, y, U, kind="lambda", lam=0.5, cfg=cfg, align="mse")
    Wo, bo = P.fit_map(Zn, Zo, y, U, kind="orthogonal", cfg=cfg, align="mse")
    Wa, _ = P.fit_map(Zn, Zo, y, U, kind="affine", cfg=cfg, align="mse")
    assert float(P.orthogonality_defect(Wl)) <= 0.55
    assert float(P.orthogonality_defect(Wa)) > 0.55  # the band is active
    # the decaying rate lets the map settle on the edge of its band, where the fit is best
    assert float(P.orthogonality_defect(Wl)) > 0.45

    def mse(W, b=0):
        return float(((Zn @ W.T + b - Zo) ** 2).sum(1).mean())

    Wl_, bl_ = P.fit_map(Zn, Zo, y, U, kind="lambda", lam=0.5, cfg=cfg, align="mse")
    assert mse(Wl_, bl_) < 0.9 * mse(Wo, bo)
    with pytest.raises(ValueError):
        P.fit_map(Zn, Zo, y, U, kind="lambda", cfg=cfg)
    with pytest.raises(ValueError):
        P.fit_map(Zn, Zo, y, U, kind="rotation", cfg=cfg)


def test_ncm_invariant_under_rigid_motion():
    g = torch.Generator().manual_seed(1)
    Z = torch.randn(300, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (300,), generator=g)
    Z = Z + 2 * torch.nn.functional.one_hot(y, 5).double()
    Q = torch.linalg.qr(torch.randn(5, 5, generator=g, dtype=torch.float64))[0]
    a = P.ncm_accuracy(Z[:200], y[:200], Z[200:], y[200:])
    b = P.ncm_accuracy(Z[:200] @ Q.T + 3, y[:200], Z[200:] @ Q.T + 3, y[200:])
    assert a == b and a > 0.5


def test_config_validation_and_budget():
    with pytest.raises(ValueError):
        P.Config(lam_star=3.0)
    with pytest.raises(ValueError):
        P.Config(penalty="nuclear")
    with pytest.raises(ValueError):
        P.Config(schedule="step")
    assert P.estimate_seconds(P.CONFIGS.ci) <= 30
    assert P.estimate_seconds(P.CONFIGS.full) <= 20 * 60
