"""Class-incremental splits and metrics, and retrieval metrics, against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.data import incremental as inc
from nonlinlab.models.retrieval import retrieval_metrics


def test_task_splits_cover_every_class_once():
    tasks = inc.class_incremental_tasks(10, 6, first=5, seed=3)
    assert [len(t) for t in tasks] == [5, 1, 1, 1, 1, 1]
    assert sorted(np.concatenate(tasks).tolist()) == list(range(10))
    assert [t.tolist() for t in inc.class_incremental_tasks(6, 3, seed=None)] == [[0, 1], [2, 3],
                                                                                 [4, 5]]
    with pytest.raises(ValueError):
        inc.class_incremental_tasks(10, 4, first=5)  # 5 classes cannot make 3 equal tasks
    labels = np.array([0, 1, 2, 3, 4, 5, 0])
    idx = inc.task_indices(labels, [np.array([0, 1]), np.array([5])])
    assert idx[0].tolist() == [0, 1, 6] and idx[1].tolist() == [5]


def test_accuracy_matrix_summaries_match_brute_force():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 6, 300)
    tasks = [np.array([0, 1]), np.array([2, 3]), np.array([4, 5])]
    preds = [np.where(rng.random(300) < p, labels, (labels + 1) % 6) for p in (0.9, 0.7, 0.6)]
    m = inc.AccuracyMatrix.from_predictions(labels, tasks, preds)
    for stage in range(3):
        seen = np.isin(labels, np.concatenate(tasks[:stage + 1]))
        brute = (preds[stage][seen] == labels[seen]).mean()
        assert abs(m.incremental_accuracy(stage) - brute) < 1e-12
    assert abs(m.average_incremental_accuracy()
               - np.mean([m.incremental_accuracy(s) for s in range(3)])) < 1e-12
    f = np.mean([max(m.acc[0, 0], m.acc[1, 0]) - m.acc[2, 0], m.acc[1, 1] - m.acc[2, 1]])
    assert abs(m.forgetting() - f) < 1e-12
    assert np.isnan(m.acc[0, 1])  # a task not yet seen is not scored


def test_retrieval_metrics_match_brute_force():
    g = torch.Generator().manual_seed(0)
    q, gal = torch.randn(20, 8, generator=g), torch.randn(30, 8, generator=g)
    ql, gl = torch.randint(0, 4, (20,), generator=g), torch.arange(30) % 4
    got = retrieval_metrics(q, ql, gal, gl, k=3)
    aps, hits = [], []
    for i in range(20):
        s = [float(torch.nn.functional.cosine_similarity(q[i], gal[j], dim=0)) for j in range(30)]
        order = sorted(range(30), key=lambda j: -s[j])
        rel = [int(gl[j] == ql[i]) for j in order]
        prec = [sum(rel[:r + 1]) / (r + 1) for r in range(30)]
        aps.append(sum(p * r for p, r in zip(prec, rel, strict=True)) / sum(rel))
        hits.append(max(rel[:3]))
    assert abs(got["mAP"] - np.mean(aps)) < 1e-9 and abs(got["top3"] - np.mean(hits)) < 1e-12
    perfect = retrieval_metrics(torch.eye(4), torch.arange(4), torch.eye(4), torch.arange(4))
    assert perfect == {"mAP": 1.0, "top1": 1.0}
