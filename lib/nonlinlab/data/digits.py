"""The sklearn ``digits`` data set (1797 greyscale 8×8 images, 10 classes), fully offline.

scikit-learn ships the data inside the package, so nothing is downloaded. Also here: ZCA
whitening, which several chapters use to make the input correlation matrix (close to) the
identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import require_module


@dataclass(frozen=True)
class Digits:
    """``x``: (n, 64) pixel intensities in [0, 16]; ``labels``: (n,) ints in 0..9;
    ``y``: (n, 10) one-hot targets."""

    x: np.ndarray
    labels: np.ndarray
    y: np.ndarray

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


def load_digits(dtype=np.float64) -> Digits:
    """Load sklearn's digits (offline; raises ImportError saying what to install)."""
    datasets = require_module("sklearn.datasets", pip_name="scikit-learn",
                              purpose="the offline digits data set", group="sklearn")
    raw = datasets.load_digits()
    x = np.asarray(raw.data, dtype=dtype)
    labels = np.asarray(raw.target, dtype=np.int64)
    y = np.eye(10, dtype=dtype)[labels]
    return Digits(x=x, labels=labels, y=y)


def zca_whiten(x: np.ndarray, eps: float = 1e-2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ZCA whitening with a ridge: ``x_w = (x - mean) @ W`` with ``W = Q (Λ + eps)^{-1/2} Qᵀ``,
    where ``C = Q Λ Qᵀ`` is the covariance ``(x - mean)ᵀ (x - mean) / n``.

    The whitened covariance is ``Q Λ/(Λ + eps) Qᵀ``: the identity on directions whose variance
    is much larger than ``eps``, and shrunk towards zero on the others (directions of zero
    variance stay zero). ``eps`` is in the units of the variance of ``x``.
    Returns ``(x_w, W, mean)``.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"x must be a 2-d array (samples, features) with >= 2 rows, got shape "
                         f"{x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    mean = x.mean(axis=0)
    xc = x - mean
    cov = xc.T @ xc / x.shape[0]
    lam, q = np.linalg.eigh(cov)
    lam = np.clip(lam, 0.0, None)  # round-off can make zero eigenvalues slightly negative
    w = (q / np.sqrt(lam + eps)) @ q.T
    return xc @ w, w, mean
