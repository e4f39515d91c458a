"""A small convolutional image classifier shared by the continual-learning chapters.

conv3×3(w) → BN → ReLU → max-pool → conv3×3(2w) → BN → ReLU → max-pool → conv3×3(4w) → BN →
ReLU → global average pool gives the :math:`4w`-D feature :meth:`SmallCNN.features`; ``head``
is the linear classifier on it.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SmallCNN"]


class SmallCNN(nn.Module):
    """Three conv blocks and global average pooling (the ``4 * width``-D feature), then a
    linear ``head``; for one-channel images ``(B, 1, H, W)`` of any size ≥ 4×4."""

    def __init__(self, n_classes: int = 10, width: int = 16):
        super().__init__()
        if n_classes < 1 or width < 1:
            raise ValueError(f"n_classes and width must be positive, got {n_classes}, {width}")
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.BatchNorm2d(4 * w), nn.ReLU())
        self.head = nn.Linear(4 * w, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"expected images (B, 1, H, W), got {tuple(x.shape)}")
        return self.body(x).mean((2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
