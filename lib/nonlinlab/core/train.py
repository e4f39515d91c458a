"""A small training loop shared by chapters: progress bar, optional AMP, a plottable history."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch

from .device import autocast, grad_scaler, to_device
from .progress import progress


@dataclass
class History:
    """Metrics logged during training: ``history["loss"]`` and ``history.steps("loss")``."""

    records: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def log(self, step: int, **metrics: float) -> None:
        for name, value in metrics.items():
            if isinstance(value, torch.Tensor):
                value = value.detach().item()
            self.records.setdefault(name, []).append((int(step), float(value)))

    def __getitem__(self, name: str) -> list[float]:
        return [v for _, v in self.records[name]]

    def __contains__(self, name: str) -> bool:
        return name in self.records

    def steps(self, name: str) -> list[int]:
        return [s for s, _ in self.records[name]]

    def last(self, name: str) -> float:
        return self.records[name][-1][1]

    def keys(self):
        return self.records.keys()

    def plot(self, *names: str, ax=None, logy: bool = False, label_prefix: str = ""):
        """Plot the named metrics (all by default) against the step."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        for name in names or tuple(self.records):
            ax.plot(self.steps(name), self[name], label=f"{label_prefix}{name}")
        ax.set_xlabel("step")
        if logy:
            ax.set_yscale("log")
        ax.legend()
        return ax


def _batches(data) -> Iterator:
    if callable(data):
        step = 0
        while True:
            yield data(step)
            step += 1
    while True:  # cycle through a finite iterable (a DataLoader, a list of batches)
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty:
            raise ValueError("the training data yielded no batch")


def fit(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable,
    data: Iterable | Callable[[int], object],
    *,
    steps: int,
    device: torch.device | None = None,
    amp: bool = False,
    amp_dtype: torch.dtype | None = None,
    grad_clip: float | None = None,
    scheduler=None,
    eval_fn: Callable[[torch.nn.Module], dict] | None = None,
    eval_every: int = 0,
    log_every: int = 1,
    desc: str = "train",
    progress_bar: bool = True,
) -> History:
    """Train ``model`` for ``steps`` optimizer steps and return the :class:`History`.

    ``loss_fn(model, batch)`` returns the loss, or ``(loss, {metric: value})``. ``data`` is an
    iterable of batches (cycled) or a function ``step -> batch``. Batches are moved to
    ``device`` (default: the model's). ``amp`` turns on autocast (bf16, or fp16 with a gradient
    scaler on GPUs without bf16). ``eval_fn(model)`` runs every ``eval_every`` steps and at the
    end, under ``torch.no_grad()``; its metrics are logged too. A non-finite loss raises.
    """
    if steps <= 0:
        raise ValueError(f"steps must be positive, got {steps}")
    if device is None:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
    scaler = grad_scaler(device, enabled=amp, dtype=amp_dtype)
    history = History()
    batches = _batches(data)
    model.train()
    bar = progress(total=steps, desc=desc, enabled=progress_bar)
    for step in range(1, steps + 1):
        batch = to_device(next(batches), device)
        with autocast(device, enabled=amp, dtype=amp_dtype):
            out = loss_fn(model, batch)
        loss, metrics = out if isinstance(out, tuple) else (out, {})
        if not torch.isfinite(loss.detach()):
            bar.close()
            raise FloatingPointError(f"non-finite loss {loss.item()} at step {step}")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if grad_clip is not None:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        scaler.step(optimizer)
        scaler.update()
        if scheduler is not None:
            scheduler.step()
        if step % log_every == 0 or step == steps:
            history.log(step, loss=loss.detach().float().item(), **metrics)
        if eval_fn is not None and ((eval_every and step % eval_every == 0) or step == steps):
            model.eval()
            with torch.no_grad():
                history.log(step, **eval_fn(model))
            model.train()
        bar.update(1)
        if step == steps or step % max(1, steps // 10) == 0:
            bar.set_postfix(loss=f"{history.last('loss'):.4g}" if "loss" in history else math.nan)
    bar.close()
    model.eval()
    return history


def best_of(run: Callable[[int], object], restarts: int,
            objective: Callable[[object], float]) -> tuple[int, object, list[float]]:
    """Model selection over restarts by the method's own training objective (no test data).

    Calls ``run(r)`` for ``r = 0 .. restarts - 1`` and keeps the result with the lowest
    ``objective(result)`` (the first on ties; a restart whose objective is not finite is never
    kept). Returns ``(r, result, objectives)``. With one restart the objective is not evaluated
    (``objectives == [nan]``): a single run is kept as it is.
    """
    if restarts < 1:
        raise ValueError(f"restarts must be >= 1, got {restarts}")
    if restarts == 1:
        return 0, run(0), [math.nan]
    best, objectives = None, []
    for r in range(restarts):
        result = run(r)
        objectives.append(float(objective(result)))
        if math.isfinite(objectives[-1]) and (best is None or objectives[-1] < objectives[best[0]]):
            best = (r, result)
    if best is None:
        raise FloatingPointError(f"every restart has a non-finite objective: {objectives}")
    return best[0], best[1], objectives


def warmup_cosine(step: int, steps: int, *, final: float = 0.0, warmup: int = 0) -> float:
    """Learning-rate multiplier of step ``step`` (from 0), for ``LambdaLR``: a cosine from 1 down
    to ``final`` over ``steps`` (``final`` = 1: constant), times a linear warm-up
    ``(step + 1) / warmup`` over the first ``warmup`` steps (none if 0)."""
    if warmup < 0 or steps < 1:
        raise ValueError(f"need warmup >= 0 and steps >= 1, got {warmup}, {steps}")
    w = min(1.0, (step + 1) / warmup) if warmup else 1.0
    return w * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * step / steps)))
