"""Flow matching / rectified flow: the training loss, ODE samplers and the 1-D Gaussian oracle.

A velocity field ``v(x, t[, c])`` transports samples of ``π₀`` (``t = 0``) to ``π₁`` (``t = 1``).
Rectified flow (Liu et al. 2023) and conditional flow matching with the linear path train it by

    x_t = t·x₁ + (1 − t)·x₀,   L(v) = E_{t~U[0,1], (x₀, x₁)} ‖(x₁ − x₀) − v(x_t, t)‖²,

whose minimiser is ``v*(x, t) = E[x₁ − x₀ | x_t = x]``. Samples are drawn by integrating
``dx/dt = v(x, t)`` from ``x₀ ~ π₀`` with :func:`sample_euler`, :func:`sample_heun` or
:func:`sample_rk4` (no gradient by default; ``grad=True`` back-propagates through the solver).
:func:`odeint_rk4` is the general fixed-step RK4 for a field ``v(x, t)`` with a float ``t``,
either direction, optionally with the kinetic energy ``∫‖v‖² dt``.
:func:`gaussian_velocity` is ``v*`` in closed form for independent Gaussian ``x₀ ~ N(0, 1)``,
``x₁ ~ N(m, s²)``: ``v*(x, t) = m + (t s² − (1 − t)) (x − t m) / ((1 − t)² + t² s²)`` (the
conditional mean of a jointly Gaussian pair); its flow is the monotone map ``x₀ ↦ m + s x₀``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Velocity = Callable[..., torch.Tensor]


def interpolate(x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``t·x₁ + (1 − t)·x₀`` with ``t`` of shape ``(B,)`` broadcast over the other dims."""
    if x0.shape != x1.shape or t.shape != x0.shape[:1]:
        raise ValueError(f"need x0, x1 of one shape (B, ...) and t of shape (B,); got "
                         f"{tuple(x0.shape)}, {tuple(x1.shape)}, {tuple(t.shape)}")
    tt = t.view(-1, *([1] * (x0.dim() - 1)))
    return tt * x1 + (1 - tt) * x0


def flow_matching_loss(v: Velocity, x0: torch.Tensor, x1: torch.Tensor, *,
                       t: torch.Tensor | None = None, cond=None,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """Mean over the batch of ``‖(x₁ − x₀) − v(x_t, t[, cond])‖²`` (summed over the other
    dims), ``t ~ U[0, 1]`` unless given. ``v`` is called as ``v(x, t)`` or ``v(x, t, cond)``."""
    if t is None:
        t = torch.rand(x0.shape[0], generator=generator, dtype=x0.dtype).to(x0.device)
    xt = interpolate(x0, x1, t)
    pred = v(xt, t) if cond is None else v(xt, t, cond)
    if pred.shape != x0.shape:
        raise ValueError(f"the velocity returned {tuple(pred.shape)}, expected "
                         f"{tuple(x0.shape)}")
    return ((x1 - x0 - pred) ** 2).flatten(1).sum(1).mean()


def _call(v: Velocity, x, t, cond):
    tb = torch.full((x.shape[0],), float(t), dtype=x.dtype, device=x.device)
    return v(x, tb) if cond is None else v(x, tb, cond)


def _grad_mode(grad: bool):
    return torch.enable_grad() if grad else torch.no_grad()


def _check_steps(n_steps: int) -> None:
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")


def sample_euler(v: Velocity, x0: torch.Tensor, n_steps: int, *, cond=None,
                 return_path: bool = False, grad: bool = False):
    """Forward Euler with ``n_steps`` equal steps from ``t = 0`` to ``1`` (``n_steps = 1`` is the
    one-step generator ``x₀ + v(x₀, 0)``)."""
    _check_steps(n_steps)
    x, h, path = x0, 1.0 / n_steps, [x0]
    with _grad_mode(grad):
        for i in range(n_steps):
            x = x + h * _call(v, x, i * h, cond)
            path.append(x)
        return (x, torch.stack(path)) if return_path else x


def sample_heun(v: Velocity, x0: torch.Tensor, n_steps: int, *, cond=None,
                return_path: bool = False, grad: bool = False):
    """Heun's second-order method (explicit trapezoid): ``2·n_steps`` velocity calls."""
    _check_steps(n_steps)
    x, h, path = x0, 1.0 / n_steps, [x0]
    with _grad_mode(grad):
        for i in range(n_steps):
            t = i * h
            k1 = _call(v, x, t, cond)
            k2 = _call(v, x + h * k1, t + h, cond)
            x = x + h / 2 * (k1 + k2)
            path.append(x)
        return (x, torch.stack(path)) if return_path else x


def odeint_rk4(v: Callable[[torch.Tensor, float], torch.Tensor], x0: torch.Tensor,
               n_steps: int, *, t0: float = 0.0, t1: float = 1.0, kinetic: bool = False):
    """Classical RK4 with ``n_steps`` equal steps of ``dx/dt = v(x, t)`` (``t`` a float) from
    ``t0`` to ``t1`` (``t1 < t0`` integrates backwards: the inverse map). With ``kinetic=True``
    also returns ``∫‖v‖² dt`` (mean over points) by the same quadrature. Runs in the caller's
    grad mode (differentiable when gradients are enabled)."""
    _check_steps(n_steps)
    h = (t1 - t0) / n_steps
    x, ke = x0, x0.new_zeros(())
    for i in range(n_steps):
        t = t0 + i * h
        k1 = v(x, t)
        k2 = v(x + 0.5 * h * k1, t + 0.5 * h)
        k3 = v(x + 0.5 * h * k2, t + 0.5 * h)
        k4 = v(x + h * k3, t + h)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if kinetic:
            ke = ke + abs(h) / 6 * sum(w * (k ** 2).sum(-1).mean()
                                       for w, k in ((1, k1), (2, k2), (2, k3), (1, k4)))
    return (x, ke) if kinetic else x


def sample_rk4(v: Velocity, x0: torch.Tensor, n_steps: int, *, cond=None,
               grad: bool = False) -> torch.Tensor:
    """Classical fourth-order Runge–Kutta from ``t = 0`` to ``1`` (``4·n_steps`` velocity calls),
    with the sampler calling convention (``v(x, t_batch[, cond])``)."""
    with _grad_mode(grad):
        return odeint_rk4(lambda x, t: _call(v, x, t, cond), x0, n_steps)


def gaussian_velocity(x: torch.Tensor, t: torch.Tensor, m: float = 0.0,
                      s: float = 1.0) -> torch.Tensor:
    """The exact rectified-flow velocity between N(0, 1) and N(m, s²) (independent coupling)."""
    if s <= 0:
        raise ValueError("s must be positive")
    t = t.view(-1, *([1] * (x.dim() - 1))).to(x.dtype)
    var = (1 - t) ** 2 + t * t * s * s
    return m + (t * s * s - (1 - t)) * (x - t * m) / var


def straightness(path: torch.Tensor) -> torch.Tensor:
    """Mean over samples of ``∫₀¹ ‖ẋ_t − (x₁ − x₀)‖² dt`` for a sampled path ``(n+1, B, ...)``
    (Liu et al.'s straightness measure, 0 for straight paths), by the step differences."""
    n = path.shape[0] - 1
    steps = (path[1:] - path[:-1]) * n  # ẋ on each step
    chord = path[-1] - path[0]
    return ((steps - chord) ** 2).flatten(2).sum(-1).mean()
