"""Tests for nonlinlab.data.digits (offline sklearn digits, ZCA whitening)."""

import numpy as np
import pytest

from nonlinlab.data.digits import load_digits, zca_whiten


def test_load_digits_shapes_and_one_hot():
    data = load_digits()
    assert data.x.shape == (1797, 64) and data.n == 1797
    assert data.x.min() == 0 and data.x.max() == 16
    assert data.y.shape == (1797, 10)
    np.testing.assert_array_equal(data.y.argmax(axis=1), data.labels)
    np.testing.assert_array_equal(data.y.sum(axis=1), 1.0)


def test_zca_whitening_covariance():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 6)) @ rng.standard_normal((6, 6)) + 3.0
    eps = 1e-3
    xw, w, mean = zca_whiten(x, eps=eps)
    np.testing.assert_allclose(xw.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(w, w.T, atol=1e-12)  # ZCA: the symmetric whitening matrix
    cov = np.cov(x.T, bias=True)
    lam, q = np.linalg.eigh(cov)
    np.testing.assert_allclose(xw.T @ xw / len(x), (q * (lam / (lam + eps))) @ q.T, atol=1e-10)
    np.testing.assert_allclose(mean, x.mean(axis=0))
    # a zero-variance feature stays zero instead of blowing up
    x0 = np.c_[x, np.full(len(x), 2.0)]
    xw0, _, _ = zca_whiten(x0, eps=eps)
    assert np.abs(xw0[:, -1]).max() < 1e-6 and np.isfinite(xw0).all()


@pytest.mark.parametrize("x,eps,match", [
    (np.zeros(5), 1e-2, "2-d"),
    (np.zeros((1, 3)), 1e-2, "2-d"),
    (np.array([[0.0, np.nan], [1.0, 2.0]]), 1e-2, "NaN"),
    (np.zeros((4, 2)), 0.0, "eps"),
])
def test_zca_bad_input(x, eps, match):
    with pytest.raises(ValueError, match=match):
        zca_whiten(x, eps=eps)
