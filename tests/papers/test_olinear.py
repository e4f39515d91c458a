"""Oracles for nonlinlab.papers.olinear (fast: a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import scipy.linalg
import scipy.signal
import torch

from nonlinlab.data.ett import ett_splits
from nonlinlab.papers import olinear as P


def ar1(n: int, phi: float, seed: int) -> np.ndarray:
    e = np.random.default_rng(seed).standard_normal(n)
    e[0] /= np.sqrt(1 - phi**2)  # start in the stationary distribution
    return scipy.signal.lfilter([1.0], [1.0, -phi], e)


@pytest.fixture(scope="module")
def etth1():
    return ett_splits("ETTh1", 96)


def test_basis_is_orthogonal_and_diagonalises_sigma(etth1):
    sigma = P.temporal_correlation(etth1.train, 96)
    Q, lam = P.ortho_basis(sigma)
    assert np.abs(Q @ Q.T - np.eye(96)).max() < 1e-10
    D = Q @ sigma @ Q.T
    assert np.abs(D - np.diag(np.diag(D))).max() < 1e-10 * np.abs(sigma).max()
    np.testing.assert_allclose(np.diag(D), lam, atol=1e-10)
    assert np.all(np.diff(lam) <= 1e-12)  # decreasing, as np.flip in the official notebook
    np.testing.assert_allclose(np.diag(sigma), 1.0, atol=1e-12)  # a correlation matrix


def test_peer_eigh_gives_the_same_basis(etth1):
    """scipy.linalg.eigh (a different LAPACK driver) spans the same eigenvectors, up to sign."""
    sigma = P.temporal_correlation(etth1.train, 48)
    Q, lam = P.ortho_basis(sigma)
    w, V = scipy.linalg.eigh(sigma, driver="evr")
    np.testing.assert_allclose(lam, w[::-1], atol=1e-10)
    cos = np.abs(np.sum(Q * V[:, ::-1].T, axis=1))
    assert cos[:20].min() > 1 - 1e-8  # the leading, well-separated eigenvectors


def test_official_column_normalisation_is_close_to_pearson(etth1):
    a = P.temporal_correlation(etth1.train, 96, mode="official")
    b = P.temporal_correlation(etth1.train, 96)
    assert np.abs(a - b).max() < 5e-3
    Qa, _ = P.ortho_basis(np.tril(a) + np.tril(a, -1).T)  # what numpy's eigh reads (UPLO='L')
    Qb, _ = P.ortho_basis(b)
    assert np.abs(np.sum(Qa[:5] * Qb[:5], axis=1)).min() > 0.99


def test_ar1_sigma_is_toeplitz_and_basis_is_dct_like():
    """Closed form: an AR(1) series has correlation φ^|i−j|, whose eigenvectors approach the
    DCT-II basis as φ → 1 (the KLT–DCT relation)."""
    phi, T = 0.98, 32
    x = ar1(300_000, phi, seed=0)
    sigma = P.temporal_correlation(x[:, None], T)
    toeplitz = phi ** np.abs(np.subtract.outer(np.arange(T), np.arange(T)))
    assert np.abs(sigma - toeplitz).max() < 0.03
    Q, _ = P.ortho_basis(sigma)
    dct = scipy.fft.dct(np.eye(T), type=2, norm="ortho", axis=0)  # rows = DCT-II vectors
    cos = np.abs(np.sum(Q[:5] * dct[:5], axis=1))
    assert cos.min() > 0.95


def test_transform_round_trip_and_orientation():
    Q = torch.as_tensor(P.random_orthogonal(16, seed=3), dtype=torch.float64)
    x = torch.randn(4, 3, 16, dtype=torch.float64)
    z = P.orthotrans(x, Q)
    torch.testing.assert_close(z, x @ Q.T)  # Q x on column vectors
    torch.testing.assert_close(P.inverse_orthotrans(z, Q), x)


def test_decorrelation_on_training_windows(etth1):
    Q, _ = P.ortho_basis(P.temporal_correlation(etth1.train, 48))
    raw = P.offdiag_abs_mean(P.coordinate_correlation(etth1.train, None, 48))
    ours = P.offdiag_abs_mean(P.coordinate_correlation(etth1.train, Q, 48))
    rand = P.offdiag_abs_mean(P.coordinate_correlation(etth1.train, P.random_orthogonal(48, 0),
                                                       48))
    assert ours < 0.1 * raw and rand > 3 * ours


def test_normlin_matrix_is_row_stochastic():
    torch.manual_seed(0)
    blk = P.NormLinBlock(7, 16, 16, 0.0)
    A = blk.mixing()
    assert (A > 0).all()
    torch.testing.assert_close(A.sum(-1), torch.ones(7))
    W = torch.randn(5, 5)
    torch.testing.assert_close(P.normlin_matrix(W),
                               torch.nn.functional.softplus(W)
                               / torch.nn.functional.softplus(W).sum(-1, keepdim=True))


def official_forward(m: P.OLinear, x: torch.Tensor) -> torch.Tensor:
    """An independent transcription of the official ``Model.forward`` (the einsums on the
    extended tensor, in the official orientation) reusing ``m``'s parameters."""
    B, L, N = x.shape
    z = m.revin.normalise(x)
    z = z.transpose(-1, -2).unsqueeze(-1) * m.phi[None, :]  # (B, N, L, E)
    z = z.transpose(-1, -2)  # (B, N, E, L)
    z = torch.einsum("bndt,tv->bndv", z, m.Q_in.transpose(-1, -2)) + m.delta1[None]
    h = m.embed_in(z.flatten(-2))
    for blk in m.blocks:
        h = blk(h)
    y = m.embed_out(m.norm(h)).reshape(B, N, m.embed, m.horizon)
    y = torch.einsum("bndt,tv->bndv", y, m.Q_out) + m.delta2[None]
    out = m.head(y.transpose(-1, -2).flatten(-2)).transpose(-1, -2)
    return m.revin.denormalise(out)


def test_forward_matches_official_transcription():
    torch.manual_seed(0)
    L, H, N = 24, 12, 5
    m = P.OLinear(L, H, N, Q_in=P.random_orthogonal(L, 1), Q_out=P.random_orthogonal(H, 2),
                  d_model=16, embed=3, e_layers=2, dropout=0.0).double().eval()
    with torch.no_grad():
        m.delta1.normal_()
        m.delta2.normal_()
    x = torch.randn(4, L, N, dtype=torch.float64)
    torch.testing.assert_close(m(x), official_forward(m, x))


def test_a_transposed_basis_is_caught():
    """Mutation: using Qᵀ where Q belongs changes the output (the orientation test bites)."""
    torch.manual_seed(0)
    L, H, N = 24, 12, 5
    m = P.OLinear(L, H, N, Q_in=P.random_orthogonal(L, 1), Q_out=P.random_orthogonal(H, 2),
                  d_model=16, embed=3, dropout=0.0).double().eval()
    x = torch.randn(4, L, N, dtype=torch.float64)
    want = official_forward(m, x)
    m.Q_in.copy_(m.Q_in.T.clone())
    assert (m(x) - want).abs().max() > 1e-3


def test_same_function_class_for_any_basis():
    """OrthoTrans is a reparametrisation: folding Q_in into the first linear layer of an
    identity-basis model reproduces the model exactly."""
    torch.manual_seed(0)
    L, H, N, E = 16, 8, 3, 2
    Q = torch.as_tensor(P.random_orthogonal(L, 4), dtype=torch.float64)
    m = P.OLinear(L, H, N, Q_in=Q.numpy(), d_model=8, embed=E, dropout=0.0).double().eval()
    eye = P.OLinear(L, H, N, d_model=8, embed=E, dropout=0.0).double().eval()
    eye.load_state_dict({k: v for k, v in m.state_dict().items() if k != "Q_in"}, strict=False)
    with torch.no_grad():  # W' = W (I_E ⊗ Q), δ1' = Qᵀ δ1
        W = m.embed_in.weight.view(-1, E, L)
        eye.embed_in.weight.copy_((W @ Q).view(-1, E * L))
        eye.delta1.copy_(m.delta1 @ Q)
    x = torch.randn(5, L, N, dtype=torch.float64)
    torch.testing.assert_close(eye(x), m(x))


def test_weighted_l1_matches_loop():
    pred, y = torch.randn(3, 6, 2), torch.randn(3, 6, 2)
    want = np.mean([[[(h + 1) ** -0.5 * abs(float(pred[b, h, n] - y[b, h, n]))
                      for n in range(2)] for h in range(6)] for b in range(3)])
    assert abs(float(P.weighted_l1(pred, y, 0.5)) - want) < 1e-6
    assert abs(float(P.weighted_l1(pred, y, 0.0)) - float((pred - y).abs().mean())) < 1e-6


def test_short_training_beats_repeating_the_last_value():
    """A few hundred steps on a noisy two-variate sinusoid: OLinear (data Q) learns to
    forecast (far below the naive last-value error)."""
    t = np.arange(3000)
    rng = np.random.default_rng(0)
    s = np.stack([np.sin(2 * np.pi * t / 24), np.cos(2 * np.pi * t / 12 + 1)], 1)
    s = (s + 0.1 * rng.standard_normal(s.shape)).astype(np.float32)
    L, H = 48, 24
    b = P.fit_bases(s[:2000], (L, H))
    x, y = P.sliding_windows(s[:2000], L, H)
    xv, yv = P.sliding_windows(s[2000:], L, H)
    torch.manual_seed(0)
    m = P.OLinear(L, H, 2, Q_in=b.Q[L], Q_out=b.Q[H], d_model=16, embed=2, dropout=0.0)
    P.fit_olinear(m, (x, y), (xv[::8], yv[::8]), alpha=0.5, lr=3e-3, epochs=2, steps_per_epoch=40,
                  generator=torch.Generator().manual_seed(0))
    mse = float(((P.predict(m, xv) - yv) ** 2).mean())
    naive = float(((xv[:, -1:, :] - yv) ** 2).mean())
    assert mse < 0.2 * naive


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="mixer"):
        P.OLinear(8, 4, 2, mixer="softmax")
    with pytest.raises(ValueError, match="Q_in"):
        P.OLinear(8, 4, 2, Q_in=np.eye(7))
    m = P.OLinear(8, 4, 2, d_model=8, embed=2)
    with pytest.raises(ValueError, match="expected"):
        m(torch.randn(3, 9, 2))
    with pytest.raises(ValueError, match="mode"):
        P.temporal_correlation(np.zeros((20, 2)), 4, mode="spearman")
    with pytest.raises(ValueError, match="min_var"):
        P.temporal_correlation(np.zeros((20, 2)), 4)
    with pytest.raises(ValueError, match="unknown model"):
        P.build("PatchTST", P.CONFIGS.ci, 96, P.Bases(), 7, 0)
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(horizons=(192,))


def test_ci_profile_fits_its_budget_on_paper():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60  # the 60 s ci budget of this chapter
    assert P.estimate_seconds(P.CONFIGS.full) <= 20 * 60
