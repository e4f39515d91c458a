"""Class-incremental protocols: task splits by class and the continual-learning metrics.

* :func:`class_incremental_tasks` — split the classes into a first task of ``first`` classes
  and ``n_tasks − 1`` equal later tasks (FeTrIL's "half the classes first" or equal splits),
  in a seeded random class order (or the natural order);
* :func:`task_indices` — the sample indices of each task's classes;
* :class:`AccuracyMatrix` — ``A[i, j]`` = accuracy on the classes of task ``j`` after training
  stage ``i`` (``j ≤ i``), with the usual summaries:
  ``incremental_accuracy(i)`` (accuracy on all classes seen so far, sample-weighted),
  ``average_incremental_accuracy`` (its mean over stages — the headline metric of
  class-incremental papers; by default including the first stage), ``forgetting`` (Chaudhry et
  al. 2018: for each old task, the best earlier accuracy minus the final one, averaged).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def class_incremental_tasks(n_classes: int, n_tasks: int, *, first: int | None = None,
                            seed: int | None = 0) -> list[np.ndarray]:
    """Classes of each task. ``first`` classes in task 0 (default: an equal share), the rest
    split equally over the other tasks; ``seed=None`` keeps the natural class order."""
    if n_tasks < 1 or n_classes < n_tasks:
        raise ValueError(f"need 1 <= n_tasks <= n_classes, got {n_tasks} tasks for "
                         f"{n_classes} classes")
    first = n_classes // n_tasks if first is None else first
    rest = n_classes - first
    if not 1 <= first <= n_classes or (n_tasks > 1 and (rest < n_tasks - 1
                                                        or rest % (n_tasks - 1))):
        raise ValueError(f"cannot split {n_classes} classes into a first task of {first} and "
                         f"{n_tasks - 1} equal tasks")
    if n_tasks == 1 and first != n_classes:
        raise ValueError("a single task holds every class")
    order = (np.arange(n_classes) if seed is None
             else np.random.default_rng(seed).permutation(n_classes))
    tasks = [order[:first]]
    if n_tasks > 1:
        tasks += list(np.split(order[first:], n_tasks - 1))
    return [np.sort(t) for t in tasks]


def task_indices(labels: np.ndarray, tasks: list[np.ndarray]) -> list[np.ndarray]:
    """For each task, the indices of the samples whose label is one of its classes."""
    labels = np.asarray(labels)
    return [np.flatnonzero(np.isin(labels, t)) for t in tasks]


@dataclass
class AccuracyMatrix:
    """Accuracies per (stage, task) and the sample counts per task (for weighted averages)."""

    n_tasks: int
    counts: np.ndarray  # test samples per task
    acc: np.ndarray = field(init=False)

    def __post_init__(self):
        self.counts = np.asarray(self.counts, dtype=np.float64)
        if self.counts.shape != (self.n_tasks,) or (self.counts <= 0).any():
            raise ValueError("counts must hold one positive count per task")
        self.acc = np.full((self.n_tasks, self.n_tasks), np.nan)

    @classmethod
    def from_predictions(cls, labels: np.ndarray, tasks: list[np.ndarray],
                         predictions: list[np.ndarray]) -> AccuracyMatrix:
        """``predictions[i]`` = predicted labels of every test sample after stage ``i``."""
        idx = task_indices(labels, tasks)
        m = cls(len(tasks), np.array([len(i) for i in idx]))
        for stage, pred in enumerate(predictions):
            pred = np.asarray(pred)
            for j in range(stage + 1):
                m.acc[stage, j] = float((pred[idx[j]] == np.asarray(labels)[idx[j]]).mean())
        return m

    def incremental_accuracy(self, stage: int) -> float:
        """Accuracy over all test samples of tasks ``0..stage`` after ``stage``."""
        row, w = self.acc[stage, :stage + 1], self.counts[:stage + 1]
        if np.isnan(row).any():
            raise ValueError(f"stage {stage} is not filled in")
        return float((row * w).sum() / w.sum())

    def average_incremental_accuracy(self, *, include_first: bool = True) -> float:
        stages = range(0 if include_first else 1, self.n_tasks)
        return float(np.mean([self.incremental_accuracy(s) for s in stages]))

    def forgetting(self) -> float:
        """Mean over tasks ``j < T−1`` of ``max_{i<T−1} A[i, j] − A[T−1, j]``."""
        T = self.n_tasks
        if T < 2:
            return 0.0
        drops = [np.nanmax(self.acc[j:T - 1, j]) - self.acc[T - 1, j] for j in range(T - 1)]
        return float(np.mean(drops))
