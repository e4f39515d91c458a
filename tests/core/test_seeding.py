import random

import numpy as np
import pytest
import torch

from nonlinlab.core import seed_everything


def _draw():
    return random.random(), np.random.rand(), torch.rand(1).item()  # noqa: NPY002


def test_same_seed_same_numbers():
    rng_a = seed_everything(123)
    a = (*_draw(), rng_a.random())
    rng_b = seed_everything(123)
    b = (*_draw(), rng_b.random())
    assert a == b
    seed_everything(124)
    assert _draw() != a[:3]


def test_deterministic_mode():
    try:
        seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "1", True])
def test_bad_seed(bad):
    with pytest.raises((TypeError, ValueError)):
        seed_everything(bad)
