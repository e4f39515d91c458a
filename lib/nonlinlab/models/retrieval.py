"""Retrieval metrics and the compatibility protocols of backward-compatible representations.

Embeddings are compared by cosine similarity. A query is *relevant* to the gallery items of its
class. :func:`retrieval_metrics` returns mean average precision (mAP over the full ranking) and
top-k accuracy (is any of the k nearest gallery items relevant). The compatibility protocols
(Shen et al. 2020, BCT; used by BT² and λ-orthogonality):

* ``self``: new queries against a new gallery (the new model alone);
* ``cross``: new-model queries against an old-model gallery (no backfilling) — the model is
  *compatible* when this beats old-against-old.
"""

from __future__ import annotations

import torch


def cosine_scores(queries: torch.Tensor, gallery: torch.Tensor) -> torch.Tensor:
    if queries.dim() != 2 or gallery.dim() != 2 or queries.shape[1] != gallery.shape[1]:
        raise ValueError(f"embeddings must be (n, d) with the same d, got {tuple(queries.shape)} "
                         f"and {tuple(gallery.shape)}")
    q = torch.nn.functional.normalize(queries.double(), dim=1)
    g = torch.nn.functional.normalize(gallery.double(), dim=1)
    return q @ g.T


def retrieval_metrics(queries: torch.Tensor, q_labels: torch.Tensor, gallery: torch.Tensor,
                      g_labels: torch.Tensor, *, k: int = 1) -> dict[str, float]:
    """``{"mAP": ..., "top{k}": ...}`` (ties in the scores broken by gallery order)."""
    scores = cosine_scores(queries, gallery)
    order = torch.sort(scores, dim=1, descending=True, stable=True).indices
    rel = (g_labels[order] == q_labels[:, None]).double()  # (nq, ng) in ranked order
    n_rel = rel.sum(1)
    if (n_rel == 0).any():
        raise ValueError("every query needs at least one relevant gallery item")
    ranks = torch.arange(1, rel.shape[1] + 1, dtype=torch.float64)
    precision_at_hits = rel.cumsum(1) / ranks
    ap = (precision_at_hits * rel).sum(1) / n_rel
    topk = rel[:, :k].amax(1)
    return {"mAP": float(ap.mean()), f"top{k}": float(topk.mean())}
