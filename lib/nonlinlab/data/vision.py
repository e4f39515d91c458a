"""Full-size image benchmarks for ``full`` profiles: MNIST (60k/10k) and CIFAR-10 (50k/10k).

Downloaded with torchvision (an optional dependency, installed on Colab). torchvision verifies
the archives' MD5 checksums (CIFAR-10: ``c58f30108f718f92721af3b95e74349a``) and refuses a
corrupt download; we add a clear error when the download itself fails. Never used by a ``ci``
profile (the network is not reachable there): use :mod:`nonlinlab.data.mnist` instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core import require_module
from .mnist import ImageSplit

CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"  # cifar-10-python.tar.gz (torchvision's check)
#: per-channel mean/std of the CIFAR-10 training images (for normalisation)
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def _download(cls, root: Path, name: str, url_hint: str):
    try:
        return cls(str(root), train=True, download=True), cls(str(root), train=False,
                                                               download=True)
    except (OSError, RuntimeError) as err:  # URLError is an OSError; bad MD5 is a RuntimeError
        raise RuntimeError(
            f"could not download or verify {name} into {root} ({err}). The full profile needs "
            f"network access to {url_hint}; or place the verified archive in {root} by hand."
        ) from err


def _as_split(train, test, name: str, channels_last: bool) -> ImageSplit:
    def arr(ds):
        x = np.asarray(ds.data)
        x = x.numpy() if hasattr(x, "numpy") else x
        x = x.astype(np.float32) / 255.0
        x = x.transpose(0, 3, 1, 2) if channels_last else x[:, None]
        return np.ascontiguousarray(x), np.asarray(ds.targets, dtype=np.int64)

    x_tr, y_tr = arr(train)
    x_te, y_te = arr(test)
    return ImageSplit(x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te, n_classes=10,
                      name=name)


def load_cifar10(root: str | Path = "~/.cache/nonlinlab/cifar10") -> ImageSplit:
    """CIFAR-10 (50,000 train / 10,000 test, 3×32×32 in [0, 1]) via torchvision's
    MD5-checked download."""
    datasets = require_module("torchvision.datasets", pip_name="torchvision",
                              purpose="downloading CIFAR-10 in the full profile", group="vision")
    root = Path(root).expanduser()
    train, test = _download(datasets.CIFAR10, root, "CIFAR-10",
                            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")
    return _as_split(train, test, "CIFAR-10", channels_last=True)


def load_mnist(root: str | Path = "~/.cache/nonlinlab/mnist") -> ImageSplit:
    """MNIST (60,000 train / 10,000 test, 1×28×28 in [0, 1]) via torchvision's MD5-checked
    download."""
    datasets = require_module("torchvision.datasets", pip_name="torchvision",
                              purpose="downloading MNIST in the full profile", group="vision")
    root = Path(root).expanduser()
    train, test = _download(datasets.MNIST, root, "MNIST", "the MNIST mirrors")
    return _as_split(train, test, "MNIST", channels_last=False)
