"""Small numerical helpers shared by chapters."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def log_parabola_argmin(x: Sequence[float], y: Sequence[float]) -> float:
    """The minimiser of a curve sampled on a positive grid ``x`` (a learning-rate sweep, a
    ridge-penalty grid), refined between grid points: the vertex of the parabola in ``log x``
    through the smallest value and its two neighbours, kept between those neighbours; the grid
    point itself at either end of the grid or where the three points are not convex."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 3:
        raise ValueError("need at least three grid points and one value per point")
    if np.any(x <= 0):
        raise ValueError("the grid must be positive (the parabola is fitted in log x)")
    i = int(np.argmin(y))
    if i in (0, x.size - 1):
        return float(x[i])
    xs, ys = np.log(x[i - 1:i + 2]), y[i - 1:i + 2]
    a, b, _ = np.polyfit(xs, ys, 2)
    if a <= 0:  # flat or concave: no interior vertex
        return float(x[i])
    return float(np.exp(np.clip(-b / (2 * a), xs[0], xs[-1])))
