"""One call to seed every random number generator a chapter touches, and the seeds of a
chapter's independent replicates."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int, deterministic: bool = False) -> np.random.Generator:
    """Seed python, numpy and torch (CPU and every CUDA device); return a numpy Generator.

    With ``deterministic=True`` torch is asked for deterministic kernels (an error is raised
    by torch if an operation has none), cuDNN autotuning is switched off, and cuBLAS gets the
    workspace setting it needs for reproducible matrix products on GPU.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds legacy global-state users (e.g. sklearn)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


#: Spacing of replicate seeds: a prime, so that the replicates of one page seed do not coincide
#: with the page seeds next to it (seed 1's second replicate is not seed 2's first).
REPLICATE_STRIDE = 7919


def replicate_seeds(seed: int, n: int) -> list[int]:
    """The seeds of ``n`` independent replicates of a run with page seed ``seed`` (training
    runs, label draws, simulated worlds): ``seed, seed + 7919, seed + 2·7919, …``; the first is
    the page seed itself, so one replicate is the plain run."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"need n >= 1 replicates, got {n!r}")
    return [int(seed) + REPLICATE_STRIDE * k for k in range(int(n))]
