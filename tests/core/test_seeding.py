import random

import numpy as np
import pytest
import torch

from nonlinlab.core import replicate_seeds, seed_everything


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


def test_replicate_seeds_start_at_the_page_seed_and_do_not_collide_with_neighbours():
    assert replicate_seeds(5, 1) == [5]
    assert replicate_seeds(5, 3) == [5, 5 + 7919, 5 + 2 * 7919]
    neighbours = {s for seed in range(100) for s in replicate_seeds(seed, 3)}
    assert len(neighbours) == 300  # seed 1's replicates are not seed 2's
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError):
            replicate_seeds(0, bad)
