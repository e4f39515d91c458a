"""In-context regression tasks: prompts of (x_i, y_i) pairs drawn from a random linear task.

Shared by the in-context-learning chapters. Each paper tokenizes prompts differently (von Oswald
et al. concatenate e_i = (x_i, y_i); Akyürek et al. interleave x and y tokens), so the sampler
returns raw arrays and the chapters format them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class RegressionTasks:
    """A batch of B linear tasks with n context examples each and one query.

    ``x``: (B, n, d) context inputs, ``y``: (B, n) targets, ``w``: (B, d) task weights,
    ``x_query``: (B, d), ``y_query``: (B,).
    """

    x: torch.Tensor
    y: torch.Tensor
    w: torch.Tensor
    x_query: torch.Tensor
    y_query: torch.Tensor

    @property
    def batch(self) -> int:
        return self.x.shape[0]

    @property
    def n(self) -> int:
        return self.x.shape[1]

    @property
    def dim(self) -> int:
        return self.x.shape[2]


def sample_linear_tasks(
    batch: int,
    n: int,
    dim: int,
    *,
    x_dist: str = "gaussian",
    x_range: float = 1.0,
    noise: float = 0.0,
    w_scale: float = 1.0,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> RegressionTasks:
    """Sample ``batch`` tasks: ``w ~ N(0, w_scale² I_d)``; inputs ``x ~ N(0, I_d)``
    (``x_dist="gaussian"``) or ``U(-x_range/2, x_range/2)^d`` (``"uniform"``);
    ``y = wᵀx + ε`` with ``ε ~ N(0, noise²)`` on the context (the query target is noise-free
    when ``noise == 0`` and noisy otherwise, like the context).
    """
    if batch <= 0 or n <= 0 or dim <= 0:
        raise ValueError(f"batch, n and dim must be positive, got {batch}, {n}, {dim}")
    if noise < 0 or w_scale <= 0 or x_range <= 0:
        raise ValueError("noise must be >= 0, w_scale and x_range > 0")
    if x_dist not in ("gaussian", "uniform"):
        raise ValueError(f"x_dist must be 'gaussian' or 'uniform', got {x_dist!r}")
    opts = {"generator": generator, "dtype": dtype}
    gen_device = generator.device if generator is not None else torch.device("cpu")
    w = w_scale * torch.randn(batch, dim, device=gen_device, **opts)
    if x_dist == "gaussian":
        xs = torch.randn(batch, n + 1, dim, device=gen_device, **opts)
    else:
        xs = (torch.rand(batch, n + 1, dim, device=gen_device, **opts) - 0.5) * x_range
    ys = torch.einsum("bnd,bd->bn", xs, w)
    if noise > 0:
        ys = ys + noise * torch.randn(batch, n + 1, device=gen_device, **opts)
    tasks = RegressionTasks(xs[:, :n], ys[:, :n], w, xs[:, n], ys[:, n])
    if device is not None:
        tasks = RegressionTasks(*(t.to(device) for t in (tasks.x, tasks.y, tasks.w,
                                                         tasks.x_query, tasks.y_query)))
    return tasks
