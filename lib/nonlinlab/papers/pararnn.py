"""ParaRNN (Danieli et al., ICLR 2026): nonlinear RNNs applied in parallel by Newton's method.

A recurrence ``h_t = f(h_{t-1}, x_t)`` (``h_0`` given) is one system of ``T`` equations in the
unknown trajectory ``H = (h_1, ..., h_T)``:

    F_t(H) = h_t - f(h_{t-1}, x_t) = 0,        t = 1..T.                          (eq. 2.2)

Newton's method linearises it around the current iterate ``H^k``; the correction solves the
block-bidiagonal system

    δ_t - J_t δ_{t-1} = -F_t(H^k),   J_t = ∂f/∂h (h^k_{t-1}, x_t),   δ_0 = 0,       (eq. 2.4)

i.e. a *linear* recurrence, which a parallel scan (:mod:`nonlinlab.models.scan`) solves in
``O(log T)`` depth; then ``H^{k+1} = H^k + δ``. If ``J_t`` is diagonal (ParaGRU) or made of
small blocks (ParaLSTM: 2×2 per unit), each scan step is element-wise. Newton converges
quadratically near the solution and — since after iteration ``k`` the first ``k`` states are
exact — in at most ``T`` iterations in exact arithmetic.

The backward pass of a loss ``ℓ(H)`` is the adjoint recurrence, again linear (eq. 2.6):

    λ_t = ∂ℓ/∂h_t + J_{t+1}^T λ_{t+1},   λ_{T+1} = 0,

a reverse-time scan; parameter/input gradients are then ``Σ_t λ_t^T ∂f(h_{t-1}, x_t)/∂θ``, one
vectorised autograd call over all ``t`` (:class:`_ParallelRNN`).

Cells: :class:`ParaGRUCell` and :class:`ParaLSTMCell` (the paper's diagonal, multi-head
cells, with analytic Jacobians), :class:`DenseTanhCell` (a dense Elman RNN for the
finite-termination check); any other cell gets its Jacobian from autograd
(:func:`cell_jacobian`). Baseline for the expressivity demo: :class:`DiagLinearRNN`, a
Mamba-like diagonal linear RNN with input-dependent decay in (0, 1).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from ..core import ProfileConfig, Profiles, progress, require
from ..models.scan import linear_scan, scan_depth

# ------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    # solver checks (float64)
    hidden: int = 64
    inputs: int = 32
    heads: int = 2
    T_exact: int = 1024
    newton_max_iters: int = 12
    T_dense: int = 16
    dense_hidden: int = 16
    dense_gain: float = 3.0
    T_grad: int = 64
    grad_batch: int = 2
    # timing (float32)
    T_sweep: tuple = (256, 1024, 4096)
    batch_sweep: tuple = (1, 4, 16)
    T_batch: int = 512
    timing_batch: int = 1
    timing_iters: int = 3
    repeats: int = 3
    # parity training demo
    parity_hidden: int = 32
    parity_len: int = 32
    parity_batch: int = 32
    parity_steps: int = 200
    parity_lr: float = 1e-2
    parity_eval: int = 512
    parity_newton_tol: float = 1e-4
    steps_compare: int = 20
    # training with the paper's fixed Newton iterations (float32), delayed-recall task
    fixed_iters: int = 3
    fixed_delay: int = 4
    fixed_steps: int = 100
    fixed_check_every: int = 10
    fixed_eval: int = 512
    seeds: tuple = field(default=(0,))

    def check(self) -> None:
        require(self.hidden % self.heads == 0 and self.inputs % self.heads == 0,
                "heads must divide hidden and inputs")
        require(self.T_exact >= 2 and self.T_dense >= 2, "sequence lengths must be >= 2")
        require(all(t >= 2 for t in self.T_sweep), "T_sweep entries must be >= 2")
        require(self.repeats >= 1 and self.parity_steps >= self.steps_compare >= 1,
                "repeats >= 1 and parity_steps >= steps_compare >= 1")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(T_sweep=(256, 1024, 4096, 16384), batch_sweep=(1, 8, 64, 256), T_batch=4096,
                repeats=5, parity_hidden=64, parity_steps=1000, parity_batch=128,
                parity_eval=2048, seeds=(0, 1, 2)),
)


def estimate_seconds(cfg: Config) -> float:
    """Conservative on-paper cost. The chapter is dominated by python-loop overhead of the
    sequential baselines, not by flops: we count ~25 small torch ops per sequential step at
    ~10 µs each (2 CPU cores, ci) and ~5 µs each on a GPU (kernel launches, full), plus the
    parallel solver's flops (≈ 60 flop per state element per Newton iteration and scan level)
    at 2e10 flop/s (ci) or 4e12 flop/s (T4, full), and ~40 ops per parity training step
    for each of ~(1 + iterations × (2 + log2 T)) stages, forward and backward."""
    op = 10e-6 if cfg.T_sweep[-1] <= 4096 else 5e-6
    flops = 2e10 if cfg.T_sweep[-1] <= 4096 else 4e12
    seq_steps = cfg.repeats * (sum(cfg.T_sweep) * cfg.timing_batch ** 0
                               + len(cfg.batch_sweep) * cfg.T_batch)
    seq_steps += 2 * cfg.T_exact + cfg.T_dense * 4 + cfg.T_grad * 4
    seq = seq_steps * 25 * op
    elems = cfg.repeats * cfg.hidden * (sum(cfg.T_sweep) * cfg.timing_batch
                                        + sum(cfg.batch_sweep) * cfg.T_batch)
    par_flops = elems * cfg.timing_iters * 60 * (1 + math.log2(max(cfg.T_sweep)))
    newton = cfg.newton_max_iters * 2 * 60 * cfg.hidden * cfg.T_exact * (1 + math.log2(
        cfg.T_exact))
    stages = 1 + 6 * (2 + math.log2(cfg.parity_len))
    train = len(cfg.seeds) * (2 * cfg.parity_steps + 2 * cfg.steps_compare) * stages * 40 * op
    evals = len(cfg.seeds) * 3 * 4 * cfg.parity_len * 25 * op
    # fixed-iteration training: parallel + sequential model, plus a sequential gradient check
    # every ``fixed_check_every`` steps (a sequential step costs ~3 parallel stages' ops)
    fstages = 1 + cfg.fixed_iters * (2 + math.log2(cfg.parity_len))
    fixed = cfg.fixed_steps * (1 + 1 / cfg.fixed_check_every) * (fstages + 3 * cfg.parity_len
                                                                  / 2) * 40 * op
    return seq + (par_flops + newton) / flops + train + evals + fixed


# ------------------------------------------------------------------------------------------
# cells
# ------------------------------------------------------------------------------------------
class Cell(nn.Module):
    """A recurrent cell ``h' = step(h, u)`` with ``u = project(x)`` precomputed for all t.

    ``kind`` is the structure of ``∂step/∂h`` — ``"diag"`` (state ``(..., N)``), ``"block"``
    (state ``(..., K, m)``, per-unit ``m×m`` blocks) or ``"dense"`` — and ``state_shape`` the
    trailing state axes. Subclasses may define an analytic ``jacobian(h, u)``; otherwise
    :func:`cell_jacobian` uses autograd.
    """

    kind = "diag"

    def project(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def step(self, h: torch.Tensor, u: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    @property
    def state_shape(self) -> tuple:  # pragma: no cover - interface
        raise NotImplementedError

    def zero_state(self, batch_shape, dtype=None, device=None) -> torch.Tensor:
        p = next(self.parameters())
        return torch.zeros(*batch_shape, *self.state_shape, dtype=dtype or p.dtype,
                           device=device or p.device)


def _xlstm_(t: torch.Tensor, fan_in: int, generator=None) -> torch.Tensor:
    # official "xlstm" init: N(0, (2 / sqrt(5 fan_in))^2)
    with torch.no_grad():
        return t.normal_(0.0, 2.0 / math.sqrt(5 * fan_in), generator=generator)


def _xavier_(t: torch.Tensor, fan_in: int, fan_out: int, generator=None) -> torch.Tensor:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        return t.uniform_(-bound, bound, generator=generator)


def _bias_minus_linspace(rows: int, n: int, dtype) -> torch.Tensor:
    # official "bias_minus_linspace": first row (update / forget gate) -linspace(0, 1), rest 0
    b = torch.zeros(rows, n, dtype=dtype)
    b[0] = -torch.linspace(0, 1, n, dtype=dtype)
    return b


class _MultiHeadInput(Cell):
    """Block-diagonal input projection over heads: ``u = B x + b`` with ``gates`` rows."""

    def _init_input(self, inputs, hidden, heads, gates, dtype, generator):
        require(hidden % heads == 0 and inputs % heads == 0, "heads must divide both sizes")
        self.inputs, self.hidden, self.heads, self.gates = inputs, hidden, heads, gates
        B = torch.empty(heads, inputs // heads, gates, hidden // heads, dtype=dtype)
        self.B = nn.Parameter(_xavier_(B, inputs // heads, hidden, generator))
        self.b = nn.Parameter(_bias_minus_linspace(gates, hidden, dtype))

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(..., T, inputs)`` → ``u`` ``(..., T, gates, hidden)``."""
        if x.shape[-1] != self.inputs:
            raise ValueError(f"expected {self.inputs} input features, got {x.shape[-1]}")
        xh = x.unflatten(-1, (self.heads, self.inputs // self.heads))
        u = torch.einsum("...hi,higo->...gho", xh, self.B)  # heads concatenated along units
        return u.flatten(-2) + self.b


class ParaGRUCell(_MultiHeadInput):
    """The paper's diagonal multi-head GRU (``GRUDiagMH``), Jacobian diagonal:

        z = σ(a_z ⊙ h + u_z),  r = σ(a_r ⊙ h + u_r),  ĥ = tanh(a_h ⊙ (h ⊙ r) + u_h),
        h' = z ⊙ ĥ + (1 - z) ⊙ h,          with u = B x + b  (B block-diagonal over heads).
    """

    kind = "diag"

    def __init__(self, inputs: int, hidden: int, heads: int = 2, *, dtype=torch.float32,
                 generator: torch.Generator | None = None, a_scale: float | None = None):
        super().__init__()
        self._init_input(inputs, hidden, heads, 3, dtype, generator)
        A = torch.empty(3, hidden, dtype=dtype)
        if a_scale is None:
            _xlstm_(A, hidden, generator)
        else:  # a harder case: A ~ U[-a_scale, a_scale]
            with torch.no_grad():
                A.uniform_(-a_scale, a_scale, generator=generator)
        self.A = nn.Parameter(A)

    @property
    def state_shape(self) -> tuple:
        return (self.hidden,)

    def step(self, h, u):
        a_z, a_r, a_h = self.A
        z = torch.sigmoid(a_z * h + u[..., 0, :])
        r = torch.sigmoid(a_r * h + u[..., 1, :])
        hh = torch.tanh(a_h * (h * r) + u[..., 2, :])
        return z * hh + (1 - z) * h

    def jacobian(self, h, u):
        """Diagonal of ∂h'/∂h:  z'(ĥ - h) a_z + z (1 - ĥ²) a_h (r + h r' a_r) + (1 - z)."""
        return self.step_and_jacobian(h, u)[1]

    def step_and_jacobian(self, h, u):
        """``(step(h, u), jacobian(h, u))`` sharing the gate computations."""
        a_z, a_r, a_h = self.A
        z = torch.sigmoid(a_z * h + u[..., 0, :])
        r = torch.sigmoid(a_r * h + u[..., 1, :])
        hh = torch.tanh(a_h * (h * r) + u[..., 2, :])
        out = z * hh + (1 - z) * h
        dz, dr = z * (1 - z), r * (1 - r)
        J = dz * (hh - h) * a_z + z * (1 - hh**2) * a_h * (r + h * dr * a_r) + (1 - z)
        return out, J


class ParaLSTMCell(_MultiHeadInput):
    """The paper's diagonal CIFG-LSTM with peepholes (``LSTMCIFGDiagMH``); state ``(c, h)``
    per unit, stored as ``(..., N, 2)`` so the Jacobian is ``N`` blocks of 2×2 (kind
    ``"block"``):

        f = σ(a_f h + u_f + p_f c),  c̃ = tanh(a_c h + u_c),  c' = f c + (1 - f) c̃,
        o = σ(a_o h + u_o + p_o c'),  h' = o tanh(c').
    """

    kind = "block"

    def __init__(self, inputs: int, hidden: int, heads: int = 2, *, dtype=torch.float32,
                 generator: torch.Generator | None = None):
        super().__init__()
        self._init_input(inputs, hidden, heads, 3, dtype, generator)
        self.A = nn.Parameter(_xlstm_(torch.empty(3, hidden, dtype=dtype), hidden, generator))
        self.P = nn.Parameter(_xlstm_(torch.empty(2, hidden, dtype=dtype), hidden, generator))

    @property
    def state_shape(self) -> tuple:
        return (self.hidden, 2)

    def step(self, s, u):
        c, h = s[..., 0], s[..., 1]
        a_f, a_c, a_o = self.A
        p_f, p_o = self.P
        f = torch.sigmoid(a_f * h + u[..., 0, :] + p_f * c)
        c_new = f * c + (1 - f) * torch.tanh(a_c * h + u[..., 1, :])
        o = torch.sigmoid(a_o * h + u[..., 2, :] + p_o * c_new)
        return torch.stack([c_new, o * torch.tanh(c_new)], dim=-1)


class DenseTanhCell(Cell):
    """Dense Elman RNN ``h' = tanh(W h + U x + b)``; ``W`` scaled to spectral norm ``gain``
    (``gain > 1``: a badly conditioned, expanding recurrence). Jacobian dense."""

    kind = "dense"

    def __init__(self, inputs: int, hidden: int, gain: float = 1.0, *, dtype=torch.float32,
                 generator: torch.Generator | None = None):
        super().__init__()
        W = torch.randn(hidden, hidden, dtype=dtype, generator=generator)
        W = W * (gain / torch.linalg.matrix_norm(W, ord=2))
        self.W = nn.Parameter(W)
        self.U = nn.Parameter(torch.randn(hidden, inputs, dtype=dtype, generator=generator)
                              / math.sqrt(inputs))
        self.b = nn.Parameter(torch.zeros(hidden, dtype=dtype))
        self.inputs, self.hidden = inputs, hidden

    @property
    def state_shape(self) -> tuple:
        return (self.hidden,)

    def project(self, x):
        return x @ self.U.T + self.b

    def step(self, h, u):
        return torch.tanh(h @ self.W.T + u)

    def jacobian(self, h, u):
        hn = self.step(h, u)
        return (1 - hn**2).unsqueeze(-1) * self.W


def cell_jacobian(cell: Cell, h: torch.Tensor, u: torch.Tensor, *,
                  force_autograd: bool = False) -> torch.Tensor:
    """``∂ cell.step(h, u) / ∂h`` in the cell's structure, for all leading axes at once:
    ``(..., N)`` (diag), ``(..., K, m, m)`` (block) or ``(..., N, N)`` (dense).

    The analytic ``cell.jacobian`` when there is one (unless ``force_autograd``), else reverse
    mode autograd — the paper's "automatic" path: for element-wise cells one backward pass per
    block row suffices (``1`` for diag, ``m`` for block), because unit ``i`` of the output
    depends only on unit ``i`` of the state; for dense cells one pass per state coordinate.
    """
    if hasattr(cell, "jacobian") and not force_autograd:
        return cell.jacobian(h, u)
    with torch.enable_grad():
        hh = h.detach().requires_grad_(True)
        out = cell.step(hh, u.detach())
        if cell.kind == "diag":
            (g,) = torch.autograd.grad(out.sum(), hh)
            return g
        if cell.kind == "block":
            m = out.shape[-1]
            rows = [torch.autograd.grad(out[..., i].sum(), hh, retain_graph=i + 1 < m)[0]
                    for i in range(m)]
            return torch.stack(rows, dim=-2)  # (..., K, m_out, m_in)
        n = out.shape[-1]
        rows = [torch.autograd.grad(out[..., i].sum(), hh, retain_graph=i + 1 < n)[0]
                for i in range(n)]
        return torch.stack(rows, dim=-2)


def step_and_jacobian(cell: Cell, h: torch.Tensor, u: torch.Tensor, *,
                      force_autograd: bool = False):
    """``(cell.step(h, u), cell_jacobian(cell, h, u))``, fused when the cell offers it."""
    if hasattr(cell, "step_and_jacobian") and not force_autograd:
        return cell.step_and_jacobian(h, u)
    return cell.step(h, u), cell_jacobian(cell, h, u, force_autograd=force_autograd)


def _transpose(kind: str, J: torch.Tensor) -> torch.Tensor:
    return J if kind == "diag" else J.transpose(-1, -2)


# ------------------------------------------------------------------------------------------
# sequential reference and Newton solver
# ------------------------------------------------------------------------------------------
def _time_axis(cell: Cell) -> int:
    return -len(cell.state_shape) - 1


def sequential(cell: Cell, u: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """The plain loop ``h_t = step(h_{t-1}, u_t)``: all states ``(..., T, *state)``."""
    ua = _u_time_axis(cell)
    T = u.shape[ua]
    h = cell.zero_state(u.shape[:ua], u.dtype, u.device) if h0 is None else h0
    out = []
    for t in range(T):
        h = cell.step(h, u.select(ua, t))
        out.append(h)
    return torch.stack(out, dim=_time_axis(cell))


def _u_time_axis(cell: Cell) -> int:
    return -2 if cell.kind == "dense" else -3


def _shift(cell: Cell, H: torch.Tensor, h0: torch.Tensor | None) -> torch.Tensor:
    """``(h_0, h_1, ..., h_{T-1})`` from ``H = (h_1..h_T)``."""
    ta = _time_axis(cell)
    first = torch.zeros_like(H.narrow(ta, 0, 1)) if h0 is None else h0.unsqueeze(ta).expand_as(
        H.narrow(ta, 0, 1))
    return torch.cat([first, H.narrow(ta, 0, H.shape[ta] - 1)], dim=ta)


@dataclass
class NewtonInfo:
    """Diagnostics of :func:`newton_solve`: ``residuals[k]`` = ``‖F(H^k)‖_∞`` (k = 0 is the
    initial guess), ``errors[k]`` = ``‖H^k - H_seq‖_∞`` when a reference was given,
    ``iterations`` = Newton steps taken."""

    iterations: int
    residuals: list
    errors: list


def initial_guess(cell: Cell, u: torch.Tensor, h0: torch.Tensor | None = None,
                  init: str = "step_from_zero") -> torch.Tensor:
    """``"step_from_zero"`` (official GRU impl): ``h_t^0 = step(h0 or 0, u_t)`` for all t in
    one vectorised call; ``"zeros"``: the generic default."""
    ua = _u_time_axis(cell)
    T = u.shape[ua]
    batch = u.shape[:ua]
    if init == "zeros":
        return cell.zero_state((*batch, T), u.dtype, u.device)
    if init != "step_from_zero":
        raise ValueError(f"unknown init {init!r}; choose 'step_from_zero' or 'zeros'")
    h = cell.zero_state((*batch, T), u.dtype, u.device)
    if h0 is not None:
        h = h + h0.unsqueeze(_time_axis(cell))
    return cell.step(h, u)


def newton_solve(cell: Cell, u: torch.Tensor, h0: torch.Tensor | None = None, *,
                 iters: int = 3, tol: float | None = None, init: str = "step_from_zero",
                 reference: torch.Tensor | None = None, method: str = "hillis_steele",
                 omega: float = 1.0, force_autograd: bool = False, record: bool = True):
    """Solve ``h_t = step(h_{t-1}, u_t)`` for all t by Newton's method with parallel scans.

    Each iteration: residual ``F_t = h_t - step(h_{t-1}, u_t)`` and Jacobians ``J_t`` in one
    vectorised call, then ``δ = scan(J, -F)`` (eq. 2.4; ``J_1`` is never used because
    ``δ_0 = 0``), ``H += ω δ``. Runs ``iters`` iterations (official default 3, fixed), or with
    ``tol`` until ``‖F‖_∞ <= tol`` (at most ``iters``). ``record=False`` skips the residual
    bookkeeping (a reduction and a sync per iteration; used for timing). Returns
    ``(H, NewtonInfo)``.
    """
    if iters < 0:
        raise ValueError("iters must be >= 0")
    H = initial_guess(cell, u, h0, init)
    residuals, errors = [], []
    k = 0
    with torch.no_grad():
        for k in range(iters + 1):
            if reference is not None:
                errors.append(float((H - reference).abs().max()))
            Hp = _shift(cell, H, h0)
            if k == iters:  # final residual only (no Jacobian needed)
                if record:
                    residuals.append(float((H - cell.step(Hp, u)).abs().max()))
                break
            fH, J = step_and_jacobian(cell, Hp, u, force_autograd=force_autograd)
            F = H - fH
            if record or tol is not None:
                residuals.append(float(F.abs().max()))
                if tol is not None and residuals[-1] <= tol:
                    break
            H = H + omega * linear_scan(J, -F, kind=cell.kind, method=method)
    return H, NewtonInfo(k, residuals, errors)


def parallel_depth(T: int, iters: int) -> int:
    """Dependent steps of the Newton solver: per iteration one vectorised cell/Jacobian
    evaluation plus ``⌈log₂T⌉`` scan levels — ``iters (1 + ⌈log₂T⌉)``; sequential: ``T``."""
    return iters * (1 + scan_depth(T))


# ------------------------------------------------------------------------------------------
# parallel forward + adjoint backward as an autograd Function
# ------------------------------------------------------------------------------------------
class _ParallelRNN(torch.autograd.Function):
    @staticmethod
    def forward(ctx, cell, opts, u, h0, *params):
        H, info = newton_solve(cell, u, h0, **{k: v for k, v in opts.items() if k != "_info"})
        ctx.cell, ctx.method = cell, opts.get("method", "hillis_steele")
        ctx.save_for_backward(u, h0 if h0 is not None else torch.empty(0), H)
        ctx.has_h0 = h0 is not None
        opts["_info"] = info
        return H

    @staticmethod
    def backward(ctx, gH):
        cell = ctx.cell
        u, h0, H = ctx.saved_tensors
        h0 = h0 if ctx.has_h0 else None
        ta = _time_axis(cell)
        Hp = _shift(cell, H, h0)
        J = cell_jacobian(cell, Hp, u)
        # adjoint (eq. 2.6): λ_t = g_t + J_{t+1}^T λ_{t+1}; coefficient at t is J_{t+1}^T
        Jt = _transpose(cell.kind, J)
        ja = ta if cell.kind == "diag" else ta - 1
        coef = torch.cat([Jt.narrow(ja, 1, Jt.shape[ja] - 1),
                          torch.zeros_like(Jt.narrow(ja, 0, 1))], dim=ja)
        lam = linear_scan(coef, gH, kind=cell.kind, reverse=True, method=ctx.method)
        params = [p for p in cell.parameters()]
        with torch.enable_grad():
            Hp_ = Hp.detach().requires_grad_(True)
            u_ = u.detach().requires_grad_(True)
            out = cell.step(Hp_, u_)
            grads = torch.autograd.grad(out, [u_, Hp_, *params], grad_outputs=lam,
                                        allow_unused=True)
        g_u, g_Hp, g_params = grads[0], grads[1], grads[2:]
        g_h0 = None
        if ctx.has_h0:
            g_h0 = g_Hp.select(ta, 0)
            g_h0 = g_h0.sum_to_size(h0.shape) if g_h0.shape != h0.shape else g_h0
        return (None, None, g_u, g_h0, *g_params)


def parallel_rnn(cell: Cell, u: torch.Tensor, h0: torch.Tensor | None = None, *,
                 iters: int = 3, tol: float | None = None, init: str = "step_from_zero",
                 method: str = "hillis_steele") -> tuple[torch.Tensor, NewtonInfo]:
    """All states of the cell on projected inputs ``u``, forward by :func:`newton_solve`,
    backward by the parallel adjoint recurrence. Differentiable w.r.t. ``u``, ``h0`` and the
    cell's parameters. Returns ``(H, info)``."""
    opts = dict(iters=iters, tol=tol, init=init, method=method)
    params = list(cell.parameters())
    H = _ParallelRNN.apply(cell, opts, u, h0, *params)
    return H, opts.pop("_info")


# ------------------------------------------------------------------------------------------
# sequence models for the parity demo
# ------------------------------------------------------------------------------------------
class ParaGRUClassifier(nn.Module):
    """Token embedding → ParaGRU → linear readout (per-token logits). ``mode`` selects the
    parallel Newton solver (with adjoint backward) or the sequential loop (autograd)."""

    def __init__(self, vocab: int, hidden: int, classes: int, heads: int = 2, *,
                 dtype=torch.float32, generator=None):
        super().__init__()
        self.embed = nn.Parameter(torch.randn(vocab, hidden, dtype=dtype, generator=generator))
        self.cell = ParaGRUCell(hidden, hidden, heads, dtype=dtype, generator=generator)
        self.readout = nn.Linear(hidden, classes, dtype=dtype)
        with torch.no_grad():
            self.readout.weight.copy_(torch.randn(classes, hidden, dtype=dtype,
                                                  generator=generator) / math.sqrt(hidden))
            self.readout.bias.zero_()
        self.last_info: NewtonInfo | None = None

    def forward(self, tokens, mode: str = "parallel", iters: int = 3, tol: float | None = None):
        u = self.cell.project(self.embed[tokens])
        if mode == "parallel":
            H, self.last_info = parallel_rnn(self.cell, u, iters=iters, tol=tol)
        elif mode == "sequential":
            H = sequential(self.cell, u)
        else:
            raise ValueError(f"unknown mode {mode!r}")
        return self.readout(H)


class DiagLinearRNN(nn.Module):
    """Baseline (Mamba-like): ``h_t = a_t ⊙ h_{t-1} + (1 - a_t) ⊙ (W x_t)``,
    ``a_t = σ(W_a x_t + b_a) ∈ (0, 1)`` — input-dependent, positive decay; solved exactly by
    one parallel scan. Token embedding in, linear readout out."""

    def __init__(self, vocab: int, hidden: int, classes: int, *, dtype=torch.float32,
                 generator=None):
        super().__init__()
        self.embed = nn.Parameter(torch.randn(vocab, hidden, dtype=dtype, generator=generator))
        self.Wa = nn.Parameter(torch.randn(hidden, hidden, dtype=dtype, generator=generator)
                               / math.sqrt(hidden))
        self.ba = nn.Parameter(torch.zeros(hidden, dtype=dtype))
        self.Wx = nn.Parameter(torch.randn(hidden, hidden, dtype=dtype, generator=generator)
                               / math.sqrt(hidden))
        self.readout = nn.Linear(hidden, classes, dtype=dtype)
        with torch.no_grad():
            self.readout.weight.copy_(torch.randn(classes, hidden, dtype=dtype,
                                                  generator=generator) / math.sqrt(hidden))
            self.readout.bias.zero_()

    def forward(self, tokens, **_):
        e = self.embed[tokens]
        a = torch.sigmoid(e @ self.Wa.T + self.ba)
        H = linear_scan(a, (1 - a) * (e @ self.Wx.T))
        return self.readout(H)


def running_parity(batch: int, T: int, generator: torch.Generator, device=None):
    """Random bits ``x`` (``(batch, T)``, long) and their running parity ``y_t = ⊕_{s≤t} x_s``."""
    x = torch.randint(0, 2, (batch, T), generator=generator).to(device)
    return x, torch.cumsum(x, dim=1) % 2


def train_parity(model: nn.Module, cfg: Config, *, seed: int, device=None, mode="parallel",
                 steps: int | None = None, desc: str = "parity"):
    """Adam on per-token cross-entropy of the running parity (fresh batch every step, from a
    generator seeded with ``seed``). Returns ``(losses, newton_iterations)`` per step."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.parity_lr)
    losses, its = [], []
    n = cfg.parity_steps if steps is None else steps
    for _ in progress(range(n), total=n, desc=desc):
        x, y = running_parity(cfg.parity_batch, cfg.parity_len, gen, device)
        logits = model(x, mode=mode, iters=cfg.parity_len, tol=cfg.parity_newton_tol)
        loss = nn.functional.cross_entropy(logits.reshape(-1, 2), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        info = getattr(model, "last_info", None)
        its.append(info.iterations if (info is not None and mode == "parallel") else 0)
    return losses, its


@torch.no_grad()
def parity_accuracy(model: nn.Module, T: int, n: int, *, seed: int, device=None) -> float:
    """Per-token accuracy on ``n`` fresh sequences of length ``T``; ParaGRU evaluated with the
    exact sequential loop (so the number does not depend on Newton's tolerance)."""
    gen = torch.Generator().manual_seed(10_000 + seed)
    x, y = running_parity(n, T, gen, device)
    mode = "sequential" if isinstance(model, ParaGRUClassifier) else "parallel"
    pred = model(x, mode=mode).argmax(-1)
    return float((pred == y).float().mean())


# ------------------------------------------------------------------------------------------
# timing
# ------------------------------------------------------------------------------------------
def _sync(device):
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def median_time(fn: Callable, repeats: int, device=None, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    _sync(device)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def time_solvers(cell: Cell, T: int, batch: int, *, iters: int, repeats: int, device=None,
                 generator=None) -> dict:
    """Median forward wall-clock of the sequential loop and the Newton solver (fixed
    ``iters``) on random inputs ``(batch, T, inputs)``; also the solver's final residual."""
    p = next(cell.parameters())
    x = torch.randn(batch, T, cell.inputs, dtype=p.dtype, generator=generator).to(device)
    with torch.no_grad():
        u = cell.project(x)
        t_seq = median_time(lambda: sequential(cell, u), repeats, device)
        t_par = median_time(lambda: newton_solve(cell, u, iters=iters, record=False), repeats,
                            device)
        H, info = newton_solve(cell, u, iters=iters)
    return {"T": T, "batch": batch, "sequential_s": t_seq, "parallel_s": t_par,
            "speedup": t_seq / t_par, "residual": info.residuals[-1]}


# ------------------------------------------------------------------------------------------
# the chapter's experiments (the notebook calls these)
# ------------------------------------------------------------------------------------------
def newton_convergence(cfg: Config, seed: int, device=None) -> dict:
    """Claim 1: ``‖H^k - H_seq‖_∞`` per Newton iteration (float64, T = ``cfg.T_exact``) for
    ParaGRU at the official init and with ``A ~ U[-1, 1]`` (harder)."""
    out = {}
    for name, a_scale in (("init", None), ("hard", 1.0)):
        g = torch.Generator().manual_seed(seed)
        cell = ParaGRUCell(cfg.inputs, cfg.hidden, cfg.heads, dtype=torch.float64,
                           generator=g, a_scale=a_scale).to(device)
        x = torch.randn(cfg.T_exact, cfg.inputs, dtype=torch.float64, generator=g).to(device)
        with torch.no_grad():
            u = cell.project(x)
            ref = sequential(cell, u)
            _, info = newton_solve(cell, u, iters=cfg.newton_max_iters, reference=ref)
        out[name] = info
    return out


def superlinear(errors: list, low: float = 1e-13, high: float = 1e-2,
                order: float = 1.5, floor: float = 1e-14) -> bool:
    """``err_{k+1} < max(err_k^order, floor)`` whenever ``low < err_k < high`` (super-linear
    convergence). ``floor`` is the float64 round-off level of the error (≈ 50 ulp of the states,
    which are O(1)): below it the order cannot be measured — ``2e-11 → 3e-16`` is converged,
    although ``(2e-11)^1.5 = 9e-17``."""
    pairs = [(a, b) for a, b in zip(errors[:-1], errors[1:], strict=True) if low < a < high]
    return bool(pairs) and all(b < max(a**order, floor) for a, b in pairs)


def finite_termination(cfg: Config, seed: int, device=None) -> dict:
    """Claim 2: a dense tanh RNN with spectral norm ``cfg.dense_gain`` and T = ``cfg.T_dense``;
    after ``k`` Newton iterations the first ``k`` states are exact. Returns the errors per
    iteration and the number of exact leading states per iteration."""
    g = torch.Generator().manual_seed(seed)
    cell = DenseTanhCell(cfg.inputs, cfg.dense_hidden, cfg.dense_gain, dtype=torch.float64,
                         generator=g).to(device)
    x = torch.randn(cfg.T_dense, cfg.inputs, dtype=torch.float64, generator=g).to(device)
    with torch.no_grad():
        u = cell.project(x)
        ref = sequential(cell, u)
        H = initial_guess(cell, u, init="zeros")
        errors, exact_prefix = [float((H - ref).abs().max())], [0]
        for _ in range(cfg.T_dense):
            Hp = _shift(cell, H, None)
            fH, J = step_and_jacobian(cell, Hp, u)
            H = H + linear_scan(J, fH - H, kind="dense")
            err_t = (H - ref).abs().amax(-1)
            errors.append(float(err_t.max()))
            bad = (err_t > 1e-12).nonzero()
            exact_prefix.append(int(bad[0, 0]) if bad.numel() else cfg.T_dense)
    return {"errors": errors, "exact_prefix": exact_prefix}


def scan_errors(seed: int, T: int = 1000, device=None) -> dict:
    """Claim 3: max |parallel - sequential| of the linear scan for the three structures."""
    from ..models.scan import sequential_scan

    g = torch.Generator().manual_seed(seed)
    f64 = dict(dtype=torch.float64, generator=g)
    cases = {
        "diag": (torch.rand(4, T, 64, **f64) * 2 - 1, torch.randn(4, T, 64, **f64)),
        "block": (torch.randn(4, T, 64, 2, 2, **f64) * 0.5, torch.randn(4, T, 64, 2, **f64)),
        "dense": (torch.randn(4, T, 16, 16, **f64) * 0.9 / 4, torch.randn(4, T, 16, **f64)),
    }
    out = {}
    for kind, (A, b) in cases.items():
        A, b = A.to(device), b.to(device)
        out[kind] = float((linear_scan(A, b, kind=kind) - sequential_scan(A, b, kind=kind))
                          .abs().max())
    return out


def gradient_errors(cfg: Config, seed: int, device=None) -> dict:
    """Claim 4a: relative error (‖g_par - g_seq‖ / ‖g_seq‖) of the parallel adjoint backward
    vs autograd through the sequential loop, for every parameter, the inputs and ``h0``,
    for ParaGRU (hard init), ParaLSTM and the dense tanh cell (float64)."""
    out = {}
    g = torch.Generator().manual_seed(seed)
    cells = {
        "ParaGRU": ParaGRUCell(cfg.inputs, cfg.hidden, cfg.heads, dtype=torch.float64,
                               generator=g, a_scale=1.0),
        "ParaLSTM": ParaLSTMCell(cfg.inputs, cfg.hidden, cfg.heads, dtype=torch.float64,
                                 generator=g),
        "dense": DenseTanhCell(cfg.inputs, cfg.dense_hidden, cfg.dense_gain,
                               dtype=torch.float64, generator=g),
    }
    for name, cell in cells.items():
        cell = cell.to(device)
        T = cfg.T_grad if name != "dense" else cfg.T_dense
        x = torch.randn(cfg.grad_batch, T, cfg.inputs, dtype=torch.float64, generator=g)
        h0 = 0.5 * torch.randn(cfg.grad_batch, *cell.state_shape, dtype=torch.float64,
                               generator=g)
        x, h0 = x.to(device).requires_grad_(True), h0.to(device).requires_grad_(True)
        w = torch.randn(cfg.grad_batch, T, *cell.state_shape, dtype=torch.float64,
                        generator=g).to(device)
        wrt = [x, h0, *cell.parameters()]
        H, _ = parallel_rnn(cell, cell.project(x), h0, iters=max(T, 64), tol=1e-14)
        g_par = torch.autograd.grad((torch.sin(H) * w).sum(), wrt)
        g_seq = torch.autograd.grad((torch.sin(sequential(cell, cell.project(x), h0)) * w)
                                    .sum(), wrt)
        out[name] = max(float((a - b).norm() / b.norm()) for a, b in zip(g_par, g_seq,
                                                                          strict=True))
    return out


def compare_training(cfg: Config, seed: int, device=None) -> float:
    """Claim 4b: train two identical float64 ParaGRU parity models for ``cfg.steps_compare``
    Adam steps, one through the parallel solver (Newton to 1e-13) + adjoint, one through the
    sequential loop + autograd; the largest absolute difference of their losses."""
    losses = {}
    for mode in ("parallel", "sequential"):
        g = torch.Generator().manual_seed(seed)
        model = ParaGRUClassifier(2, cfg.parity_hidden, 2, cfg.heads, dtype=torch.float64,
                                  generator=g).to(device)
        c = cfg.replace(parity_newton_tol=1e-13)
        losses[mode], _ = train_parity(model, c, seed=seed, device=device, mode=mode,
                                       steps=cfg.steps_compare, desc=f"{mode} (float64)")
    return max(abs(a - b) for a, b in zip(losses["parallel"], losses["sequential"],
                                          strict=True))


def delayed_recall(batch: int, T: int, delay: int, generator: torch.Generator, device=None):
    """Random bits ``x`` (``(batch, T)``) and targets ``y_t = x_{t-delay}`` (0 for t < delay)."""
    x = torch.randint(0, 2, (batch, T), generator=generator)
    y = torch.roll(x, delay, 1)
    y[:, :delay] = 0
    return x.to(device), y.to(device)


def _rel_grad_error(g_a: list, g_b: list) -> float:
    num = sum(float(((a - b) ** 2).sum()) for a, b in zip(g_a, g_b, strict=True))
    den = sum(float((b**2).sum()) for b in g_b)
    return math.sqrt(num / den)


def fixed_newton_training(cfg: Config, seed: int, device=None, iters: int | None = None,
                          desc: str = "fixed Newton") -> dict:
    """Headline (training as in the paper): two identical float32 ParaGRU models (same init,
    same batches, same Adam steps) on delayed recall ``y_t = x_{t-d}``, one trained through the
    parallel solver with a FIXED number of Newton iterations (``cfg.fixed_iters``, the official
    3; no tolerance) + parallel adjoint, the other through the exact sequential loop +
    autograd. Every ``cfg.fixed_check_every`` steps the parallel model's gradient is compared
    with the sequential gradient at the same parameters and batch. Returns the training
    losses, the relative gradient errors and both models' held-out loss, each evaluated with
    the exact sequential loop."""
    iters = cfg.fixed_iters if iters is None else iters
    loss_fn = nn.functional.cross_entropy
    out = {"iters": iters, "losses": {}, "grad_errors": [], "eval": {}}
    for mode in ("parallel", "sequential"):
        g = torch.Generator().manual_seed(seed)
        model = ParaGRUClassifier(2, cfg.parity_hidden, 2, cfg.heads, dtype=torch.float32,
                                  generator=g).to(device)
        data = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.parity_lr)
        losses = []
        for k in progress(range(cfg.fixed_steps), total=cfg.fixed_steps, desc=f"{desc}, {mode}"):
            x, y = delayed_recall(cfg.parity_batch, cfg.parity_len, cfg.fixed_delay, data, device)
            loss = loss_fn(model(x, mode=mode, iters=iters, tol=None).reshape(-1, 2),
                           y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            if mode == "parallel" and k % cfg.fixed_check_every == 0:
                g_par = [p.grad.clone() for p in model.parameters()]
                g_seq = torch.autograd.grad(
                    loss_fn(model(x, mode="sequential").reshape(-1, 2), y.reshape(-1)),
                    list(model.parameters()))
                out["grad_errors"].append(_rel_grad_error(g_par, g_seq))
            opt.step()
            losses.append(float(loss.detach()))
        out["losses"][mode] = losses
        gen = torch.Generator().manual_seed(10_000 + seed)
        x, y = delayed_recall(cfg.fixed_eval, cfg.parity_len, cfg.fixed_delay, gen, device)
        with torch.no_grad():
            out["eval"][mode] = float(loss_fn(model(x, mode="sequential").reshape(-1, 2),
                                              y.reshape(-1)))
    out["eval_diff"] = abs(out["eval"]["parallel"] - out["eval"]["sequential"])
    out["max_grad_error"] = max(out["grad_errors"])
    return out


def timing_sweep(cfg: Config, seed: int, device=None, dtype=torch.float32) -> dict:
    """Claim 5 / figure (b): median wall-clock of sequential vs parallel (fixed
    ``cfg.timing_iters`` Newton iterations) for growing T (batch ``cfg.timing_batch``) and for
    growing batch (T = ``cfg.T_batch``), ParaGRU with the chapter's sizes."""
    g = torch.Generator().manual_seed(seed)
    cell = ParaGRUCell(cfg.inputs, cfg.hidden, cfg.heads, dtype=dtype, generator=g).to(device)
    by_T = [time_solvers(cell, T, cfg.timing_batch, iters=cfg.timing_iters,
                         repeats=cfg.repeats, device=device, generator=g)
            for T in progress(cfg.T_sweep, total=len(cfg.T_sweep), desc="timing vs T")]
    by_B = [time_solvers(cell, cfg.T_batch, B, iters=cfg.timing_iters, repeats=cfg.repeats,
                         device=device, generator=g)
            for B in progress(cfg.batch_sweep, total=len(cfg.batch_sweep),
                              desc="timing vs batch")]
    return {"by_T": by_T, "by_batch": by_B}
