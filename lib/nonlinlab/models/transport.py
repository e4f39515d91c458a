"""Distances between samples, for generative models: energy distance, sliced Wasserstein, the
exact optimal-transport cost of small sets, and the Fréchet distance of Gaussian fits.

* :func:`energy_distance` — ``2E‖X − Y‖ − E‖X − X′‖ − E‖Y − Y′‖`` over the two empirical
  distributions (a V-statistic; in 1-D it is the square of scipy's ``energy_distance``);
* :func:`sliced_wasserstein` — ``(E_θ W_p^p(θᵀX, θᵀY))^{1/p}`` over random unit directions,
  each 1-D distance between equal-size samples from sorted projections (equal to POT's
  ``sliced_wasserstein_distance`` on the same directions);
* :func:`exact_ot_cost` — ``min_σ (1/n) Σ ‖x_i − y_σ(i)‖^p`` for two sets of ``n`` points with
  uniform weights (an assignment problem, solved exactly by ``linear_sum_assignment``);
* :func:`frechet_distance` — ``‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁^{½} Σ₂ Σ₁^{½})^{½})`` of Gaussian
  fits to two feature sets (the FID formula; in a notebook's own classifier features it is an
  offline FID analogue, not FID);
* :class:`FeatureClassifier`, :func:`train_feature_classifier`, :func:`classifier_frechet` — the
  small classifier whose features define that offline analogue for flattened images in
  ``[-1, 1]`` (e.g. the 8×8 digits), and the Fréchet distance in its feature space.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.linalg import sqrtm
from scipy.optimize import linear_sum_assignment
from torch import nn


def _pair(x, y) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    if x.dim() == 1:
        x, y = x[:, None], y[:, None]
    if x.dim() != 2 or y.dim() != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"samples must be (n, d) with one d, got {tuple(x.shape)}, "
                         f"{tuple(y.shape)}")
    return x, y


def energy_distance(x, y) -> float:
    x, y = _pair(x, y)
    return float(2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean()
                 - torch.cdist(y, y).mean())


def sliced_wasserstein(x, y, *, n_projections: int = 128, p: int = 2, seed: int = 0,
                       directions: torch.Tensor | None = None) -> float:
    x, y = _pair(x, y)
    if len(x) != len(y):
        raise ValueError("sliced_wasserstein compares samples of equal size")
    if directions is None:
        g = torch.Generator().manual_seed(seed)
        directions = torch.randn(n_projections, x.shape[1], generator=g, dtype=torch.float64)
    theta = torch.nn.functional.normalize(torch.as_tensor(directions, dtype=torch.float64),
                                          dim=1)
    px, py = torch.sort(x @ theta.T, 0).values, torch.sort(y @ theta.T, 0).values
    return float(((px - py).abs() ** p).mean(0).mean() ** (1 / p))


def exact_ot_cost(x, y, *, p: int = 2) -> float:
    x, y = _pair(x, y)
    if len(x) != len(y):
        raise ValueError("exact_ot_cost takes two sets of the same size (uniform weights)")
    cost = (torch.cdist(x, y) ** p).numpy()
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def frechet_distance(f1, f2) -> float:
    """Fréchet distance between Gaussian fits (mean, unbiased covariance) of two feature sets
    ``(n, d)``."""
    a, b = _pair(f1, f2)
    a, b = a.numpy(), b.numpy()
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root1 = sqrtm(s1)
    cross = sqrtm(root1 @ s2 @ root1)
    if np.iscomplexobj(cross):
        cross = cross.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * cross))


class FeatureClassifier(nn.Module):
    """``d_in → 128 → 64 → n_classes`` ReLU MLP; the 64-D pre-activation of its second layer
    (:meth:`features`) is the feature space of :func:`classifier_frechet`."""

    def __init__(self, d_in: int = 64, n_classes: int = 10):
        super().__init__()
        self.l1, self.l2 = nn.Linear(d_in, 128), nn.Linear(128, 64)
        self.head = nn.Linear(64, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2(torch.relu(self.l1(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.features(x)))


def train_feature_classifier(x: torch.Tensor, labels: torch.Tensor, *, steps: int, seed: int,
                             device=None, batch: int = 128, lr: float = 1e-3) -> FeatureClassifier:
    """Cross-entropy, Adam, ``steps`` mini-batches drawn with replacement (seeded); returned in
    eval mode."""
    if x.dim() != 2 or len(x) != len(labels):
        raise ValueError(f"need x (n, d) and n labels, got {tuple(x.shape)}, {len(labels)}")
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    clf = FeatureClassifier(x.shape[1], int(labels.max()) + 1)
    if device is not None:
        clf = clf.to(device)
    opt = torch.optim.Adam(clf.parameters(), lr=lr)
    for _ in range(steps):
        idx = torch.randint(0, len(x), (batch,), generator=g)
        xb, yb = x[idx], labels[idx]
        if device is not None:
            xb, yb = xb.to(device), yb.to(device)
        loss = nn.functional.cross_entropy(clf(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    clf.eval()
    return clf


@torch.no_grad()
def classifier_frechet(clf: FeatureClassifier, a: torch.Tensor, b: torch.Tensor) -> float:
    """:func:`frechet_distance` of ``clf``'s features of samples ``a`` (clamped to ``[-1, 1]``)
    and reference data ``b``."""
    dev = next(clf.parameters()).device
    fa = clf.features(a.clamp(-1, 1).to(dev)).double().cpu()
    fb = clf.features(b.to(dev)).double().cpu()
    return frechet_distance(fa, fb)
