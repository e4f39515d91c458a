"""Clustering with MCR² (maximal coding rate reduction) and the clustering metrics.

* :func:`coding_rate` — ``R(Z, ε) = ½ logdet(I + d/(n ε²) ZᵀZ)`` for ``Z (n, d)`` (Yu et al.
  2020; rows are samples);
* :func:`coding_rate_membership` — ``R_c(Z, ε | Π) = Σ_j (tr Π_j / 2n) logdet(I +
  d/(tr Π_j ε²) Zᵀ Π_j Z)`` for a soft membership ``Π (n, k)`` (column j as the diagonal of
  ``Π_j``); ``ΔR = R − R_c`` is the rate reduction;
* :func:`sinkhorn` — the doubly-stochastic membership of MLC (Ding et al. 2023): the
  entropy-regularised projection ``diag(u) exp(S/η) diag(v)`` with rows summing to 1 and
  columns to ``n/k`` (balanced clusters);
* :func:`clustering_accuracy` — accuracy under the best one-to-one matching of clusters to
  labels (Hungarian, ``scipy.optimize.linear_sum_assignment``); NMI is scikit-learn's
  ``normalized_mutual_info_score`` (use it directly).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment


def coding_rate(Z: torch.Tensor, eps: float = 0.5) -> torch.Tensor:
    if Z.dim() != 2:
        raise ValueError(f"Z must be (n, d), got {tuple(Z.shape)}")
    n, d = Z.shape
    eye = torch.eye(d, dtype=Z.dtype, device=Z.device)
    return 0.5 * torch.logdet(eye + (d / (n * eps * eps)) * Z.T @ Z)


def coding_rate_membership(Z: torch.Tensor, Pi: torch.Tensor, eps: float = 0.5) -> torch.Tensor:
    if Pi.dim() != 2 or Pi.shape[0] != Z.shape[0]:
        raise ValueError(f"Pi must be (n, k) for Z of {Z.shape[0]} rows, got {tuple(Pi.shape)}")
    n, d = Z.shape
    eye = torch.eye(d, dtype=Z.dtype, device=Z.device)
    tr = Pi.sum(0)  # (k,)
    grams = torch.einsum("nk,nd,ne->kde", Pi, Z, Z)
    scale = (d / (tr.clamp_min(1e-12) * eps * eps)).view(-1, 1, 1)
    return (tr / (2 * n) * torch.logdet(eye + scale * grams)).sum()


def sinkhorn(S: torch.Tensor, *, eta: float = 0.1, n_iter: int = 100) -> torch.Tensor:
    """Rows sum to 1, columns to ``n/k``; ``S (n, k)`` are similarity scores."""
    if S.dim() != 2:
        raise ValueError(f"S must be (n, k), got {tuple(S.shape)}")
    n, k = S.shape
    log_p = S / eta
    for _ in range(n_iter):
        log_p = log_p - torch.logsumexp(log_p, dim=1, keepdim=True)  # rows → 1
        log_p = log_p - torch.logsumexp(log_p, dim=0, keepdim=True) + np.log(n / k)  # cols
    return log_p.exp()


def clustering_accuracy(labels, clusters) -> float:
    labels, clusters = np.asarray(labels), np.asarray(clusters)
    if labels.shape != clusters.shape or labels.ndim != 1:
        raise ValueError("labels and clusters must be 1-D arrays of one length")
    lab, lab_idx = np.unique(labels, return_inverse=True)
    clu, clu_idx = np.unique(clusters, return_inverse=True)
    counts = np.zeros((len(clu), len(lab)))
    np.add.at(counts, (clu_idx, lab_idx), 1)
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / len(labels))
