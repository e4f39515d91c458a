r"""von Oswald, Niklasson, Randazzo, Sacramento, Mordvintsev, Zhmoginov & Vladymyrov (ICML 2023),
*Transformers learn in-context by gradient descent* (arXiv:2212.07677).

Notation (the paper's)
----------------------
A task is a linear map :math:`y = w^\top x` with :math:`w\sim\mathcal N(0, I_d)`; a prompt holds
:math:`N` context pairs and one query :math:`x_q`. Tokens are :math:`e_i = (x_i, y_i)\in\mathbb
R^{d+1}` and the query token is :math:`e_q = (x_q, -W_0 x_q)` (``(x_q, 0)`` for
:math:`W_0 = 0`). The in-context loss of a linear model :math:`W` is

.. math:: L(W) = \frac{1}{2N}\sum_{i=1}^N \|W x_i - y_i\|^2,\qquad
          \Delta W = -\eta\nabla_W L(W_0) = -\frac{\eta}{N}\sum_i (W_0 x_i - y_i)\, x_i^\top .

A linear self-attention (LSA) layer (``nonlinlab.models.lsa``) updates every token with
:math:`e_j \leftarrow e_j + W_{PV}\sum_i e_i e_i^\top W_{KQ} e_j` (keys: the context tokens
only). **Proposition 1**: with

.. math:: W_{KQ} = \begin{pmatrix} I_d & 0\\ 0 & 0\end{pmatrix},\qquad
          W_{PV} = \frac{\eta}{N}\begin{pmatrix} 0 & 0\\ W_0 & -1\end{pmatrix}

the layer maps :math:`e_j = (x_j, y_j) \mapsto (x_j, y_j - \Delta W x_j)` for every token, so
the query's last entry becomes :math:`-(W_0 + \Delta W) x_q` and the read-out
:math:`\hat y = -e_{q,y}` (the official code's ``-h[:, -1, -1]``) is the prediction of the
model after one GD step.

Multi-step GD with step size η keeps the residuals in the y-slots: after step k the context
tokens hold :math:`y_i - W_k x_i` and the query :math:`-W_k x_q`. **GD++** (the paper's
curvature correction, learned by deeper LSAs) also transforms the inputs at every step,
:math:`x_j \leftarrow x_j - \gamma\frac1N\sum_i x_i x_i^\top x_j` (all tokens, simultaneously
with the y-update), which preconditions the next step with :math:`(I - \gamma\hat\Sigma)^2`.

**Optimal step size.** One GD step from :math:`W_0=0` predicts :math:`\hat y_\eta = \eta a`,
:math:`a = \frac1N\sum_i y_i x_i^\top x_q`, so :math:`\eta^* = E[a y_q]/E[a^2]`. For inputs with
i.i.d. coordinates of variance :math:`\sigma^2` and fourth moment :math:`\mu_4` this is exactly

.. math:: \eta^* = \frac{N\sigma^2}{\mu_4 + (d+N-2)\sigma^4},\qquad
          L(\eta^*) = \frac{d\sigma^2}{2}\Big(1 - \frac{N\sigma^4}{\mu_4+(d+N-2)\sigma^4}\Big)

(uniform :math:`U(-r/2,r/2)`: :math:`\sigma^2=r^2/12`, :math:`\mu_4=r^4/80`; Gaussian:
:math:`\mu_4 = 3\sigma^4`). The official code finds η by a grid search (``scan_lrs``).

Data follows the official ``create_reg_data``: :math:`x\sim U(-r/2, r/2)^d` with
``input_range`` r = 1 (the paper's text says U(-1, 1); the construction does not care, η*
scales as 1/r²).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..core import History, ProfileConfig, Profiles, fit, require, warmup_cosine
from ..data.icl import RegressionTasks, sample_linear_tasks
from ..models.lsa import LinearSelfAttention, LSAStack

# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes of every experiment of the chapter (one instance per profile)."""

    dim: int = 10  # d (official input_size)
    n: int = 10  # N context examples (official dataset_size)
    x_range: float = 1.0  # r: x ~ U(-r/2, r/2) (official input_range)
    # (1) exactness of the construction (float64)
    exact_tasks: int = 4096
    # (2) step size: line search on a Monte-Carlo sample, vs the closed form
    lr_search_tasks: int = 20_000
    # (3) one trained LSA layer
    steps: int = 1500
    batch: int = 512
    lr: float = 2e-3  # Adam peak lr (official: constant 1e-3, b1 0.9, b2 0.98, eps 1e-9)
    lr_final: float = 0.1  # cosine decay of the lr to lr_final × lr (official: constant, 1.0)
    init_scale: float = 0.002  # official VarianceScaling(0.002 / num_layers)
    # global-norm gradient clip (0: none) of the models with at most 2 layers (official 0.001;
    # not applied, see the chapter) and of the deeper ones (official 10; applied since December
    # 2026: without it the 3-layer model's early steps left it on the initial plateau for
    # ~1,300 of its 2,500 steps at seed 3030, and it ended on the GD-like intermediate plateau)
    grad_clip: float = 0.0
    deep_grad_clip: float = 10.0
    parametrisation: str = "product"  # W_KQ, W_PV free ("qkv": the official Haiku MHA)
    eval_tasks: int = 10_000
    eval_every: int = 50
    # (4) deeper (recurrent, i.e. weight-shared, as the official default) LSAs
    depths: tuple[int, ...] = (2, 3)
    deep_steps: int = 2500
    deep_batch: int = 512
    deep_shared: bool = True
    deep_parametrisation: str = "qkv"  # the official Haiku MHA (key size d+1, output proj.)
    # ci: a 4x larger peak lr than the official constant 1e-3, cosine-decayed to 5 %: with a
    # constant lr the 2- and 3-layer models stay on a plateau between GD and GD++ for longer
    # than the ci budget allows
    deep_lr: float = 4e-3
    deep_lr_final: float = 0.05  # cosine decay of the deep lr to this × deep_lr (1.0: constant)
    # ci: a linear warm-up of the deep lr over the first steps (none at full, whose constant
    # official 1e-3 is 4x smaller): at the peak lr from step 0 the first Adam steps (eps 1e-9:
    # each weight moves by ~lr, ~40 % of its initial size) can leave a 2-layer model on the
    # trivial plateau for all 2,500 steps (seed 4321, December 2026)
    deep_warmup: int = 100
    traj_tasks: int = 1024  # eval tasks used for the curves during training
    # the out-of-distribution input-range sweep (evaluation only)
    ood_ranges: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
    ood_tasks: int = 4000

    def check(self):
        require(self.dim > 0 and self.n > 0, "dim and n must be positive")
        require(self.x_range > 0, "x_range must be positive")
        require(min(self.exact_tasks, self.lr_search_tasks, self.eval_tasks, self.ood_tasks) > 0,
                "task counts must be positive")
        require(self.steps > 0 and self.batch > 0 and self.lr > 0, "steps, batch, lr > 0")
        require(0 < self.lr_final <= 1, "lr_final must be in (0, 1]")
        require(self.grad_clip >= 0 and self.deep_grad_clip >= 0, "gradient clips must be >= 0")
        require(self.deep_steps > 0 and self.deep_batch > 0 and self.deep_lr > 0,
                "deep_steps, deep_batch, deep_lr > 0")
        require(0 < self.deep_lr_final <= 1, "deep_lr_final must be in (0, 1]")
        require(0 <= self.deep_warmup < self.deep_steps, "need 0 <= deep_warmup < deep_steps")
        require(0 < self.traj_tasks <= self.eval_tasks, "0 < traj_tasks <= eval_tasks")
        require(all(isinstance(k, int) and k >= 1 for k in self.depths), "depths must be >= 1")
        require(0 < self.eval_every <= self.steps, "0 < eval_every <= steps")
        require(self.parametrisation in ("qkv", "product")
                and self.deep_parametrisation in ("qkv", "product"),
                "parametrisation: qkv or product")
        require(all(r > 0 for r in self.ood_ranges), "ood_ranges must be positive")


CONFIGS = Profiles(
    ci=Config(),
    # full: the official notebook's optimiser (constant Adam lr 1e-3, halved beyond 3 layers),
    # parametrisation, batch 2048 and 5000 steps; depths 2-5.
    full=Config(exact_tasks=16_384, lr_search_tasks=100_000, steps=5000, batch=2048, lr=1e-3,
                lr_final=1.0, parametrisation="qkv", eval_every=100, depths=(2, 3, 4, 5),
                deep_steps=5000, deep_batch=2048, deep_lr=1e-3, deep_lr_final=1.0, deep_warmup=0,
                eval_tasks=10_000,
                traj_tasks=2048, ood_ranges=tuple(float(r) for r in np.arange(0.5, 2.01, 0.125)),
                ood_tasks=10_000),
)


def _lsa_step_flops(layers: int, batch: int, n: int, dim: int) -> float:
    """Forward+backward flops of one LSA training step (≈ 3× forward; forward ≈ per layer and
    task: W_KQ applied to the N+1 tokens 2(N+1)D², scores 2(N+1)ND, values 2(N+1)ND, W_PV
    2(N+1)D², plus the D×D products 4D³)."""
    D, T = dim + 1, n + 1
    return 3.0 * layers * batch * (4 * T * D * D + 4 * T * n * D + 4 * D**3)


def estimate_seconds(cfg: Config) -> float:
    """Cost on paper. Assumptions: these tiny batched 11×11 products run at an effective
    8e9 flop/s on one CPU core (measured ≈ 8e9; a 2000-step 2-layer run of the ci sizes took
    11 s on a shared machine, which this model charges 23 s) plus 1 ms of
    Python/optimizer overhead per step and layer; on a Colab T4 an effective 1e11 flop/s
    (~2.5% of its fp32 peak: the matrices are far too small to fill it) plus 1 ms per step and
    layer. Fixed extra: 3 s (ci) for the step-size search, GD++ tuning, evaluations and plots
    (10 s in full)."""
    full = cfg.batch >= 2048
    rate, per_step, fixed = (1e11, 1e-3, 10.0) if full else (8e9, 1e-3, 3.0)
    flops = cfg.steps * _lsa_step_flops(1, cfg.batch, cfg.n, cfg.dim)
    overhead = cfg.steps * per_step
    for k in cfg.depths:
        flops += cfg.deep_steps * _lsa_step_flops(k, cfg.deep_batch, cfg.n, cfg.dim)
        overhead += cfg.deep_steps * per_step * k
    return flops / rate + overhead + fixed


# ------------------------------------------------------------------------------------------
# Data: tokens e_i = (x_i, y_i), query (x_q, -W0 x_q)
# ------------------------------------------------------------------------------------------


def sample_tasks(batch: int, cfg: Config, *, x_range: float | None = None,
                 generator: torch.Generator | None = None, device=None,
                 dtype: torch.dtype = torch.float32) -> RegressionTasks:
    """The official data law: ``w ~ N(0, I)``, ``x ~ U(-r/2, r/2)^d``, noise-free targets."""
    return sample_linear_tasks(batch, cfg.n, cfg.dim, x_dist="uniform",
                               x_range=cfg.x_range if x_range is None else x_range,
                               generator=generator, device=device, dtype=dtype)


def tokenize(tasks: RegressionTasks, w0: torch.Tensor | None = None) -> torch.Tensor:
    """``(B, N+1, d+1)`` tokens: rows ``e_i = (x_i, y_i)`` then the query ``(x_q, -W0 x_q)``.

    ``w0``: ``(d,)`` or ``(B, d)`` initial weights of the in-context model (default 0).
    """
    x, y, xq = tasks.x, tasks.y, tasks.x_query
    if x.ndim != 3 or y.shape != x.shape[:2] or xq.shape != (x.shape[0], x.shape[2]):
        raise ValueError("tasks must hold x (B, N, d), y (B, N) and x_query (B, d)")
    yq0 = torch.zeros_like(xq[:, 0])
    if w0 is not None:
        w0 = torch.as_tensor(w0, dtype=x.dtype, device=x.device)
        if w0.shape not in ((x.shape[2],), (x.shape[0], x.shape[2])):
            raise ValueError(f"w0 must have shape (d,) or (B, d), got {tuple(w0.shape)}")
        yq0 = -(xq * w0).sum(-1)
    context = torch.cat([x, y[..., None]], dim=-1)
    query = torch.cat([xq, yq0[:, None]], dim=-1)
    return torch.cat([context, query[:, None]], dim=1)


def readout(tokens: torch.Tensor) -> torch.Tensor:
    """The prediction: minus the last entry of the query token (official ``-h[:, -1, -1]``)."""
    if tokens.ndim != 3:
        raise ValueError(f"tokens must have shape (B, T, D), got {tuple(tokens.shape)}")
    return -tokens[:, -1, -1]


# ------------------------------------------------------------------------------------------
# Proposition 1: the LSA weights that implement one GD step
# ------------------------------------------------------------------------------------------


def gd_construction(dim: int, n: int, eta: float, w0=None, *,
                    dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W_KQ, W_PV)``, each ``(d+1, d+1)``: W_KQ = [[I, 0], [0, 0]],
    W_PV = (η/N) [[0, 0], [W0, -1]] (Proposition 1; P = η/N folded into W_PV)."""
    if dim <= 0 or n <= 0:
        raise ValueError("dim and n must be positive")
    kq = torch.zeros(dim + 1, dim + 1, dtype=dtype)
    kq[:dim, :dim] = torch.eye(dim, dtype=dtype)
    pv = torch.zeros(dim + 1, dim + 1, dtype=dtype)
    if w0 is not None:
        w0 = torch.as_tensor(w0, dtype=dtype).reshape(-1)
        if w0.numel() != dim:
            raise ValueError(f"w0 must have {dim} entries, got {w0.numel()}")
        pv[dim, :dim] = w0
    pv[dim, dim] = -1.0
    return kq, pv * (eta / n)


def construction_layer(dim: int, n: int, eta: float, w0=None, *,
                       dtype: torch.dtype = torch.float64) -> LinearSelfAttention:
    """An LSA layer (product form, no query key) loaded with the Proposition-1 weights."""
    layer = LinearSelfAttention(dim + 1, parametrisation="product", dtype=dtype)
    return layer.set_product(*gd_construction(dim, n, eta, w0, dtype=dtype))


# ------------------------------------------------------------------------------------------
# Reference learners: K steps of GD / GD++ on the in-context loss (differentiable, any dtype)
# ------------------------------------------------------------------------------------------


def gd_predict(tasks: RegressionTasks, eta, steps: int = 1, gamma=0.0) -> torch.Tensor:
    """Prediction for ``x_query`` after ``steps`` GD steps from W0 = 0 with step size η, in the
    token form the construction uses (ΔR_j = -(η/N) Σ_i R_i x_iᵀ x_j on the y-slots R); with
    ``gamma != 0`` each step also applies GD++'s x_j ← x_j - γ (1/N) Σ_i x_i x_iᵀ x_j.

    ``eta`` and ``gamma`` may be floats, or sequences/tensors of length ``steps`` (one value
    per step); tensors keep their autograd graph.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    etas, gammas = _per_step(eta, steps, "eta"), _per_step(gamma, steps, "gamma")
    n = tasks.x.shape[1]
    xs = torch.cat([tasks.x, tasks.x_query[:, None]], dim=1)  # (B, N+1, d)
    r = torch.cat([tasks.y, torch.zeros_like(tasks.y_query)[:, None]], dim=1)  # (B, N+1)
    for k in range(steps):
        xc, rc = xs[:, :n], r[:, :n]
        g = torch.einsum("bi,bid->bd", rc, xc)  # Σ_i R_i x_i
        r_new = r - etas[k] / n * torch.einsum("bd,btd->bt", g, xs)
        if _nonzero(gammas[k]):
            cov = xc.transpose(1, 2) @ xc / n  # (1/N) Σ_i x_i x_iᵀ
            xs = xs - gammas[k] * xs @ cov
        r = r_new
    return -r[:, -1]


def _per_step(v, steps: int, name: str) -> list:
    if isinstance(v, (int, float)) or (isinstance(v, torch.Tensor) and v.ndim == 0):
        return [v] * steps
    v = list(v) if not isinstance(v, torch.Tensor) else list(v.unbind(0))
    if len(v) != steps:
        raise ValueError(f"{name} must be a scalar or have one value per step ({steps})")
    return v


def _nonzero(v) -> bool:
    return bool(v.requires_grad or v.detach().abs().item() > 0) if isinstance(
        v, torch.Tensor) else v != 0


def gd_predict_numpy(x: np.ndarray, y: np.ndarray, x_query: np.ndarray, eta: float,
                     steps: int = 1, w0: np.ndarray | None = None) -> np.ndarray:
    """Independent oracle: explicit weight-space GD on L(W) = 1/(2N) Σ (W x_i - y_i)², then
    ``W x_q``. Shapes ``(B, N, d)``, ``(B, N)``, ``(B, d)``; returns ``(B,)``."""
    B, n, d = x.shape
    w = np.zeros((B, d)) if w0 is None else np.broadcast_to(np.asarray(w0, float), (B, d)).copy()
    for _ in range(steps):
        resid = np.einsum("bnd,bd->bn", x, w) - y
        w = w - eta / n * np.einsum("bn,bnd->bd", resid, x)
    return np.einsum("bd,bd->b", w, x_query)


# ------------------------------------------------------------------------------------------
# Optimal step size
# ------------------------------------------------------------------------------------------


def input_moments(x_range: float, x_dist: str = "uniform") -> tuple[float, float]:
    """(σ², μ4) of one input coordinate."""
    if x_dist == "uniform":
        return x_range**2 / 12, x_range**4 / 80
    if x_dist == "gaussian":
        return 1.0, 3.0
    raise ValueError(f"x_dist must be 'uniform' or 'gaussian', got {x_dist!r}")


def eta_star(dim: int, n: int, x_range: float = 1.0, x_dist: str = "uniform") -> float:
    """Exact η* = N σ² / (μ4 + (d+N-2) σ⁴) of one GD step from W0 = 0 (w ~ N(0, I))."""
    s2, m4 = input_moments(x_range, x_dist)
    return n * s2 / (m4 + (dim + n - 2) * s2**2)


def gd_loss_star(dim: int, n: int, x_range: float = 1.0, x_dist: str = "uniform") -> float:
    """Exact expected loss ½E(ŷ - y_q)² of one GD step with η*."""
    s2, m4 = input_moments(x_range, x_dist)
    return 0.5 * dim * s2 * (1 - n * s2**2 / (m4 + (dim + n - 2) * s2**2))


def eta_star_mc(tasks: RegressionTasks) -> float:
    """Monte-Carlo closed form η* = E[a y_q] / E[a²], a = (1/N) Σ_i y_i x_iᵀ x_q."""
    a = gd_predict(tasks, 1.0)
    return float((a * tasks.y_query).mean() / (a * a).mean())


def loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The official loss ½ mean (ŷ - y)²."""
    if pred.shape != target.shape:
        raise ValueError(f"prediction {tuple(pred.shape)} and target {tuple(target.shape)} "
                         "shapes differ")
    return 0.5 * ((pred - target) ** 2).mean()


def gd_loss_curve(tasks: RegressionTasks, etas, steps: int = 1) -> np.ndarray:
    """Loss of ``steps`` GD steps for every η in ``etas`` (the official ``scan_lrs`` curve)."""
    with torch.no_grad():
        return np.array([float(loss(gd_predict(tasks, float(e), steps), tasks.y_query))
                         for e in etas])


def line_search_eta(tasks: RegressionTasks, steps: int = 1, *, lo: float = 1e-3, hi: float = 25.0,
                    grid: int = 250, refine: int = 25) -> tuple[float, float]:
    """The official ``scan_lrs``: best η on a grid over [lo, hi] (then refined by golden-section
    search between the grid neighbours, ``refine`` iterations); returns (η, loss)."""
    def f(eta: float) -> float:
        with torch.no_grad():
            return float(loss(gd_predict(tasks, eta, steps), tasks.y_query))

    etas = np.linspace(lo, hi, grid)
    vals = [f(e) for e in etas]
    i = int(np.argmin(vals))
    a, b = etas[max(i - 1, 0)], etas[min(i + 1, grid - 1)]
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(refine):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    eta = (a + b) / 2
    return eta, f(eta)


def tune_gd_plus(tasks: RegressionTasks, steps: int, *, shared: bool = True, iters: int = 100,
                 eta0: float | None = None) -> tuple[list[float], list[float], float]:
    """GD++: fit (η, γ) — one pair for all steps (``shared``, the official recurrent
    ``gd_deq=True``) or one pair per step — by L-BFGS on a fixed task sample (the official code
    trains these diagonal scalars with Adam), starting from tuned plain GD with γ = 0.
    Returns (etas, gammas, loss), one value per step in each list."""
    if eta0 is None:
        eta0, _ = line_search_eta(tasks, steps, grid=40)
    k = 1 if shared else steps
    p = torch.tensor([eta0] * k + [0.0] * k, dtype=tasks.x.dtype, requires_grad=True)
    opt = torch.optim.LBFGS([p], lr=1, max_iter=iters, line_search_fn="strong_wolfe")

    def objective():
        etas, gammas = p[:k].repeat(steps // k), p[k:].repeat(steps // k)
        return loss(gd_predict(tasks, etas, steps, gammas), tasks.y_query)

    def closure():
        opt.zero_grad()
        val = objective()
        val.backward()
        return val

    opt.step(closure)
    with torch.no_grad():
        val = float(objective())
    etas, gammas = p[:k].detach().repeat(steps // k), p[k:].detach().repeat(steps // k)
    return etas.tolist(), gammas.tolist(), val


# ------------------------------------------------------------------------------------------
# LSA models, training and alignment metrics
# ------------------------------------------------------------------------------------------


def make_lsa(cfg: Config, layers: int = 1, *, shared: bool = False, device=None,
             generator: torch.Generator | None = None,
             parametrisation: str | None = None) -> LSAStack:
    """The official model: attention only, one head, key size d+1, no bias/LayerNorm/MLP,
    ``include_query=False``, init scale ``init_scale / layers``."""
    param = parametrisation or cfg.parametrisation
    model = LSAStack(cfg.dim + 1, layers, shared=shared, parametrisation=param,
                     init_scale=cfg.init_scale / layers, include_query=False,
                     generator=generator)
    return model.to(device) if device is not None else model


def lsa_predict(model: LSAStack, tasks: RegressionTasks) -> torch.Tensor:
    """ŷ = −(query token after the stack)_{d+1} (only the query's last update is computed)."""
    return -model.query(tokenize(tasks))[:, -1]


def query_sensitivity(predict: Callable[[RegressionTasks], torch.Tensor],
                      tasks: RegressionTasks) -> tuple[torch.Tensor, torch.Tensor]:
    """(prediction (B,), ∂ŷ/∂x_q (B, d)) by autograd (the official ``analyse``)."""
    with torch.enable_grad():
        xq = tasks.x_query.detach().clone().requires_grad_(True)
        t = RegressionTasks(tasks.x, tasks.y, tasks.w, xq, tasks.y_query)
        pred = predict(t)
        (grad,) = torch.autograd.grad(pred.sum(), xq)
    return pred.detach(), grad


def alignment(pred_a, sens_a, pred_b, sens_b) -> dict[str, float]:
    """The paper's alignment measures: ``preds_diff`` = mean |ŷ_a - ŷ_b|, ``model_cos`` = mean
    cosine of the sensitivities ∂ŷ/∂x_q, ``model_diff`` = mean L2 distance between them."""
    cos = torch.nn.functional.cosine_similarity(sens_a, sens_b, dim=-1, eps=1e-12)
    return {"preds_diff": float((pred_a - pred_b).abs().mean()),
            "model_cos": float(cos.mean()),
            "model_diff": float((sens_a - sens_b).norm(dim=-1).mean())}


def train_lsa(model: torch.nn.Module, cfg: Config, *, steps: int, batch: int, lr: float,
              lr_final: float = 1.0, warmup: int = 0, generator: torch.Generator,
              eval_tasks: RegressionTasks | None = None,
              reference: Callable[[RegressionTasks], torch.Tensor] | None = None,
              eval_every: int = 0, device=None, desc: str = "LSA") -> History:
    """Adam (official b1 0.9, b2 0.98, eps 1e-9; no weight decay; peak ``lr`` with a cosine
    decay to ``lr_final × lr``, 1.0 = constant, after a linear warm-up of ``warmup`` steps,
    see :func:`nonlinlab.core.warmup_cosine`) on fresh tasks every step;
    loss ½ mean (ŷ - y_q)². ``eval_tasks``/``reference``: log ``eval_loss`` and the alignment
    with the reference learner every ``eval_every`` steps."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    dtype = next(model.parameters()).dtype
    ref = None
    if eval_tasks is not None and reference is not None:
        ref = query_sensitivity(reference, eval_tasks)

    def data(_step):
        return sample_tasks(batch, cfg, generator=generator, device=device, dtype=dtype)

    def loss_fn(m, t):
        return loss(lsa_predict(m, t), t.y_query)

    def eval_fn(m):
        if eval_tasks is None:
            return {}
        if ref is None:
            return {"eval_loss": float(loss(lsa_predict(m, eval_tasks), eval_tasks.y_query))}
        pred, sens = query_sensitivity(lambda t: lsa_predict(m, t), eval_tasks)
        return {"eval_loss": float(loss(pred, eval_tasks.y_query)), **alignment(pred, sens, *ref)}

    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: warmup_cosine(step, steps, final=lr_final, warmup=warmup))
    clip = cfg.grad_clip if model.n_layers <= 2 else cfg.deep_grad_clip  # official split
    return fit(model, opt, loss_fn, data, steps=steps, device=device, eval_fn=eval_fn,
               eval_every=eval_every, grad_clip=clip or None, scheduler=sched, log_every=1,
               desc=desc, progress_bar=False)


def effective_gd_matrix(layer: LinearSelfAttention) -> dict[str, torch.Tensor]:
    """Read a trained single layer as a preconditioned GD step. With W_KQ = [[A, ·], [bᵀ, ·]]
    and the last row of W_PV = (uᵀ, c), the read-out is
    ŷ = Σ_i y_i x_iᵀ M x_q - Σ_i (uᵀx_i)(x_iᵀ A x_q) - c Σ_i y_i² bᵀx_q with
    M = -(c A + u bᵀ); Proposition 1 has M = (η/N) I and u = b = 0."""
    if layer.heads != 1:
        raise ValueError("effective_gd_matrix reads single-head layers")
    kq, pv = layer.kq()[0].detach(), layer.pv()[0].detach()
    d = kq.shape[0] - 1
    A, b = kq[:d, :d], kq[d, :d]
    u, c = pv[d, :d], pv[d, d]
    return {"M": -(c * A + torch.outer(u, b)), "A": A, "b": b, "u": u, "c": c}


def weight_match(layer: LinearSelfAttention, eta: float, n: int) -> dict[str, float]:
    """How close a trained layer is to the construction with step η (up to the KQ/PV scale
    trade-off): relative error of M vs (η/N) I, and the nuisance sizes ‖u‖‖A‖, |c|‖b‖,
    relative to ‖M‖ (all Frobenius)."""
    e = effective_gd_matrix(layer)
    M = e["M"]
    target = eta / n * torch.eye(M.shape[0], dtype=M.dtype)
    mn = float(M.norm())
    return {"rel_err": float((M - target).norm() / target.norm()),
            "u_rel": float(e["u"].norm() * e["A"].norm()) / mn,
            "b_rel": float(e["b"].norm() * e["c"].abs()) / mn,
            "offdiag_rel": float((M - torch.diag(torch.diagonal(M))).norm()) / mn,
            "scale": float(torch.diagonal(M).mean() * n)}


def interpolate_with_gd(layer: LinearSelfAttention, eta: float, n: int) -> LinearSelfAttention:
    """The official ``interpolate_weights``: normalise the trained W_KQ by the mean of its
    x-diagonal (moving that factor into W_PV), then average both with the construction."""
    kq, pv = layer.kq()[0].detach().double(), layer.pv()[0].detach().double()
    d = kq.shape[0] - 1
    mean = torch.diagonal(kq)[:d].mean()
    kq_gd, pv_gd = gd_construction(d, n, eta)
    out = LinearSelfAttention(d + 1, parametrisation="product", dtype=torch.float64)
    return out.set_product((kq / mean + kq_gd) / 2, (pv * mean + pv_gd) / 2)


# ------------------------------------------------------------------------------------------
# The chapter's experiments (the notebook calls these and plots)
# ------------------------------------------------------------------------------------------


def construction_errors(cfg: Config, *, generator: torch.Generator, eta: float = 0.7,
                        tasks: int | None = None) -> dict[str, float]:
    """Max-abs errors, in float64, between the Proposition-1 layer and explicit weight-space GD
    (:func:`gd_predict_numpy`): the query prediction with W0 = 0 and with a random W0 ≠ 0, and
    every context token's new y-slot against y_j - ΔW x_j; also that the x-slots stay put."""
    B = tasks or cfg.exact_tasks
    t = sample_tasks(B, cfg, generator=generator, dtype=torch.float64)
    x, y, xq = (a.numpy() for a in (t.x, t.y, t.x_query))
    w0 = torch.randn(cfg.dim, generator=generator, dtype=torch.float64)
    out = {}
    for name, w in (("zero", None), ("w0", w0)):
        layer = construction_layer(cfg.dim, cfg.n, eta, w)
        with torch.no_grad():
            new = layer(tokenize(t, w))
        w_np = None if w is None else w.numpy()
        ref = gd_predict_numpy(x, y, xq, eta, 1, w_np)
        out[f"query_{name}"] = float(np.abs(readout(new).numpy() - ref).max())
        # ΔW = -(η/N) Σ_i (W0 x_i - y_i) x_iᵀ; every context token: y_j - ΔW x_j
        w0b = np.zeros((B, cfg.dim)) if w_np is None else np.broadcast_to(w_np, (B, cfg.dim))
        resid = np.einsum("bnd,bd->bn", x, w0b) - y
        dW = -eta / cfg.n * np.einsum("bn,bnd->bd", resid, x)
        ctx = y - np.einsum("bnd,bd->bn", x, dW)
        out[f"context_{name}"] = float(np.abs(new[:, :-1, -1].numpy() - ctx).max())
        out[f"x_slots_{name}"] = float((new[..., :-1] - tokenize(t, w)[..., :-1]).abs().max())
    return out


@dataclass
class OneLayerResult:
    model: LSAStack
    history: History
    eta: float  # η* used for GD (closed form on the eval law)
    loss_tf: float
    loss_gd: float
    loss_interp: float
    loss_zero: float  # predict 0
    loss_lstsq: float  # exact least squares on each context (lower bound)
    align: dict
    weights: dict
    rms_y: float


def lstsq_loss(tasks: RegressionTasks) -> float:
    """½E(ŷ - y_q)² of the minimum-norm least-squares fit of each context (numpy)."""
    x, y = tasks.x.double().cpu(), tasks.y.double().cpu()
    w = torch.linalg.pinv(x) @ y[..., None]  # (B, d, 1) minimum-norm solutions
    pred = (tasks.x_query.double().cpu()[:, None] @ w)[:, 0, 0]
    return float(loss(pred, tasks.y_query.double().cpu()))


def one_layer_experiment(cfg: Config, *, seed: int, device=None) -> OneLayerResult:
    """Train one LSA layer on fresh tasks and compare it with GD(η*) on ``eval_tasks`` fresh
    tasks: losses, alignment (over training and at the end), weights, interpolation."""
    device = torch.device(device or "cpu")
    gen_eval = torch.Generator().manual_seed(10_000 + seed)
    ev = sample_tasks(cfg.eval_tasks, cfg, generator=gen_eval)
    ev = RegressionTasks(*(a.to(device) for a in (ev.x, ev.y, ev.w, ev.x_query, ev.y_query)))
    eta = eta_star(cfg.dim, cfg.n, cfg.x_range)

    def gd(t):
        return gd_predict(t, eta)

    model = make_lsa(cfg, 1, shared=False, device=device,
                     generator=torch.Generator().manual_seed(seed))
    train_gen = torch.Generator(device=device).manual_seed(seed)
    traj = RegressionTasks(*(a[:cfg.traj_tasks] for a in (ev.x, ev.y, ev.w, ev.x_query,
                                                           ev.y_query)))
    hist = train_lsa(model, cfg, steps=cfg.steps, batch=cfg.batch, lr=cfg.lr, lr_final=cfg.lr_final,
                     generator=train_gen, eval_tasks=traj, reference=gd,
                     eval_every=cfg.eval_every, device=device, desc="1-layer LSA")
    pred, sens = query_sensitivity(lambda t: lsa_predict(model, t), ev)
    ref = query_sensitivity(gd, ev)
    layer = model.layer(0)
    inter = interpolate_with_gd(layer.cpu(), eta, cfg.n)
    layer.to(device)
    ev64 = RegressionTasks(*(a.double().cpu() for a in (ev.x, ev.y, ev.w, ev.x_query,
                                                        ev.y_query)))
    with torch.no_grad():
        loss_interp = float(loss(readout(inter(tokenize(ev64))), ev64.y_query))
    return OneLayerResult(
        model=model, history=hist, eta=eta,
        loss_tf=float(loss(pred, ev.y_query)), loss_gd=float(loss(ref[0], ev.y_query)),
        loss_interp=loss_interp, loss_zero=float(0.5 * (ev.y_query**2).mean()),
        loss_lstsq=lstsq_loss(ev) if cfg.eval_tasks <= 20_000 else math.nan,
        align=alignment(pred, sens, *ref), weights=weight_match(layer.cpu(), eta, cfg.n),
        rms_y=float(ev.y_query.pow(2).mean().sqrt()))


@dataclass
class DepthResult:
    depth: int
    history: History
    loss_tf: float
    loss_gd: float  # K steps of GD, one tuned η
    loss_gdpp: float  # K steps of GD++, tuned (η, γ)
    eta_gd: float
    eta_gdpp: float
    gamma_gdpp: float
    align_gd: dict
    align_gdpp: dict
    model: LSAStack


def depth_experiment(cfg: Config, depth: int, *, seed: int, device=None,
                     tune_tasks: int = 4096) -> DepthResult:
    """Train a ``depth``-layer LSA (weight-shared if ``cfg.deep_shared``) and compare it with
    ``depth`` steps of GD and of GD++, both tuned on a separate float64 task sample."""
    device = torch.device(device or "cpu")
    tune = sample_tasks(tune_tasks, cfg, generator=torch.Generator().manual_seed(20_000 + seed),
                        dtype=torch.float64)
    eta_gd, _ = line_search_eta(tune, depth, grid=40)
    etas, gammas, _ = tune_gd_plus(tune, depth, shared=True, eta0=eta_gd, iters=40)
    ev = sample_tasks(cfg.eval_tasks, cfg, generator=torch.Generator().manual_seed(10_000 + seed))
    ev = RegressionTasks(*(a.to(device) for a in (ev.x, ev.y, ev.w, ev.x_query, ev.y_query)))

    def gd(t):
        return gd_predict(t, eta_gd, depth)

    def gdpp(t):
        return gd_predict(t, etas, depth, gammas)

    model = make_lsa(cfg, depth, shared=cfg.deep_shared, device=device,
                     generator=torch.Generator().manual_seed(seed),
                     parametrisation=cfg.deep_parametrisation)
    traj = RegressionTasks(*(a[:cfg.traj_tasks] for a in (ev.x, ev.y, ev.w, ev.x_query,
                                                           ev.y_query)))
    lr = cfg.deep_lr if depth <= 3 else cfg.deep_lr / 2  # official: lr halved beyond 3 layers
    hist = train_lsa(model, cfg, steps=cfg.deep_steps, batch=cfg.deep_batch, lr=lr,
                     lr_final=cfg.deep_lr_final, warmup=cfg.deep_warmup,
                     generator=torch.Generator(device=device).manual_seed(seed),
                     eval_tasks=traj, reference=None, eval_every=cfg.eval_every * 2,
                     device=device, desc=f"{depth}-layer LSA")
    pred, sens = query_sensitivity(lambda t: lsa_predict(model, t), ev)
    r_gd, r_gdpp = query_sensitivity(gd, ev), query_sensitivity(gdpp, ev)
    return DepthResult(depth=depth, history=hist, loss_tf=float(loss(pred, ev.y_query)),
                       loss_gd=float(loss(r_gd[0], ev.y_query)),
                       loss_gdpp=float(loss(r_gdpp[0], ev.y_query)), eta_gd=eta_gd,
                       eta_gdpp=etas[0], gamma_gdpp=gammas[0],
                       align_gd=alignment(pred, sens, *r_gd),
                       align_gdpp=alignment(pred, sens, *r_gdpp), model=model)


def ood_losses(model: torch.nn.Module, eta: float, cfg: Config, *, seed: int,
               device=None) -> dict[str, list[float]]:
    """Loss of the trained model and of GD(η*) (η* of the TRAINING law) when test inputs come
    from U(-α/2, α/2) with α in ``cfg.ood_ranges`` (official ``ood``: input scale)."""
    out = {"range": list(cfg.ood_ranges), "tf": [], "gd": []}
    for i, r in enumerate(cfg.ood_ranges):
        t = sample_tasks(cfg.ood_tasks, cfg, x_range=r, device=device,
                         generator=torch.Generator().manual_seed(30_000 + 100 * seed + i))
        with torch.no_grad():
            out["tf"].append(float(loss(lsa_predict(model, t), t.y_query)))
            out["gd"].append(float(loss(gd_predict(t, eta), t.y_query)))
    return out


# ------------------------------------------------------------------------------------------
# Claim thresholds (calibrated over seeds 0-4 at the ci profile; see the chapter's discussion)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerances:
    exact: float = 1e-10  # construction vs explicit GD, float64 max-abs error
    eta_rel: float = 0.03  # line-searched η on lr_search_tasks vs the exact η* (MC noise)
    loss_ratio: float = 1.01  # trained 1-layer LSA loss / GD(η*) loss
    model_cos: float = 0.99  # mean cosine of ∂ŷ/∂x_q, LSA vs GD
    preds_diff: float = 0.05  # mean |ŷ_LSA - ŷ_GD| / RMS(y_q)
    weight_rel: float = 0.15  # ‖M - (η*/N) I‖ / ‖(η*/N) I‖
    nuisance: float = 0.2  # ‖u‖‖A‖/‖M‖ and |c|‖b‖/‖M‖
    interp_ratio: float = 1.01  # interpolated (TF+GD)/2 loss / GD loss
    ood_rel: float = 0.05  # max over test input ranges of |L_TF - L_GD| / L_GD
    depth_margin: float = 0.97  # K-layer LSA loss < depth_margin × K-step GD loss
    gdpp_ratio: float = 1.10  # K-layer LSA loss / K-step GD++ loss in [1/this, this]
    gdpp_cos: float = 0.99  # K-layer LSA vs GD++: mean cosine of ∂ŷ/∂x_q above this


TOL = Tolerances()
