r"""Fan, Liu, Zhao, Yuan & Gu (2025), *Robust Layerwise Scaling Rules by Proper Weight Decay
Tuning* (arXiv:2510.15262).

No official code was found; the equations below follow the paper's abstract and its rules
table (as summarised in the chapter's research brief). Notation: width :math:`d`, proxy width
:math:`d_0`, learning rate η, weight decay λ, PyTorch's AdamW convention (decay multiplied by
the learning rate).

AdamW (one entry, bias-corrected moments :math:`\hat m_t, \hat v_t`)
-------------------------------------------------------------------

.. math:: w_{t+1} = (1 - \eta\lambda)\, w_t - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon).

Steady state (the paper's :math:`\sqrt{\eta/\lambda}` law)
-----------------------------------------------------------
When the update :math:`u_t = \hat m_t/\sqrt{\hat v_t}` is uncorrelated with :math:`w_t` (pure
noise, or a scale-invariant weight whose gradient is orthogonal to it), the weight is an AR(1)
process :math:`w_{t+1} = \rho\, w_t - \eta u_t` with :math:`\rho = 1 - \eta\lambda`. For
"ideal Adam" on i.i.d. gradients of variance σ² (:math:`\hat v = \sigma^2`), the momentum
:math:`m_t` is an AR(1) process with coefficient β₁ and variance
:math:`\frac{1-\beta_1}{1+\beta_1}\sigma^2`, and

.. math:: \mathbb E\, w^2 = \eta^2\, \frac{1-\beta_1}{1+\beta_1}\,
          \frac{1 + \rho\beta_1}{(1-\rho^2)(1-\rho\beta_1)}
          \;\xrightarrow{\eta\lambda\to 0}\; \frac{\eta}{2\lambda},

so the per-entry RMS is :math:`\sqrt{\eta/(2\lambda)}` whatever β₁: every matrix's scale is
set by :math:`\sqrt{\eta/\lambda}` (:func:`adamw_noise_rms`).

Width scaling (the paper's observation and rule)
------------------------------------------------
Empirically the top singular value of each matrix parameter behaves like
:math:`\sigma_1 \approx C\sqrt{\eta/\lambda}\, d^{\gamma}` with γ ≈ 0.75. With µP's Adam rule
for matrix-like parameters (both dimensions grow with d), :math:`\eta_2 = \eta\, d_0/d`,
σ₁ stays width-invariant iff

.. math:: \lambda_2(d) = \lambda\, (d/d_0)^{2\gamma - 1}
          \quad (\gamma = 0.75:\ \lambda_2 \propto \sqrt d),

while vector-like parameters (gains, biases, the input layer and the µP readout, which have
one width-sized dimension) keep :math:`\eta_1 = \eta` and :math:`\lambda_1 = 0`
(:func:`layer_hparams`). The readout follows the ``mup`` package: its output is multiplied
by :math:`d_0/d`.

The model (our minimal setting)
-------------------------------
A pre-norm residual MLP ("LLaMA block without attention"): :math:`h_0 = E x`,
:math:`h_{l} = h_{l-1} + W^{\rm down}_l\, \mathrm{ReLU}(W^{\rm up}_l\, \mathrm{RMSNorm}(h_{l-1}))`,
:math:`f(x) = \frac{d_0}{d}\, U\, \mathrm{RMSNorm}(h_L)` (RMSNorm without gain), trained
online on a fixed random teacher with noisy targets. :math:`W^{\rm up}, W^{\rm down}` are the
matrix-like parameters; E and U are vector-like. The sublayer gain is the size of the
residual branch :math:`W^{\rm down}\mathrm{ReLU}(W^{\rm up}\cdot)`, which the top singular
values of both matrices control. Many models (one per learning rate / weight decay) are
trained at once as a batch of independent networks (``bmm``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..core import ProfileConfig, Profiles, require
from ..core.numerics import log_parabola_argmin

PARAMETRISATIONS = ("sp", "mup", "mup_wd")

# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


def _positive_tuple(name: str, values, integer: bool = False) -> None:
    require(isinstance(values, tuple) and len(values) > 0, f"{name} must be a non-empty tuple")
    for v in values:
        require((isinstance(v, int) if integer else isinstance(v, (int, float))) and v > 0,
                f"{name} must hold positive {'integers' if integer else 'numbers'}, got {values}")


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes of the chapter's experiments (one instance per profile)."""

    betas: tuple[float, float] = (0.9, 0.95)
    # (A) optimizer-only oracle: AdamW on i.i.d. Gaussian gradients
    noise_params: int = 1024
    noise_lrs: tuple[float, ...] = (4e-3, 1.6e-2, 6.4e-2)
    noise_wds: tuple[float, ...] = (0.25, 1.0)
    noise_horizon: float = 6.0  # steps T = horizon / min(ηλ)
    # the task and the model
    d_in: int = 32
    d_out: int = 8
    teacher_width: int = 64
    noise_std: float = 0.3
    blocks: int = 1
    batch: int = 64
    base_width: int = 32  # the proxy width d0
    # (B) the sqrt(η/λ) law at one width: ηλ fixed (same equilibration time), η/λ varies
    law_width: int = 128
    law_product: float = 0.01
    law_ratios: tuple[float, ...] = (1e-4, 1e-3, 1e-2)
    law_steps: int = 600
    # (C) width exponent γ: fixed (η, λ) at every width
    gamma_widths: tuple[int, ...] = (32, 64, 128)
    gamma_lr: float = 1e-2
    gamma_wd: float = 1.0
    gamma_steps: int = 600
    # (D) transfer: learning-rate sweeps at several widths for each parametrisation
    transfer_widths: tuple[int, ...] = (32, 128)
    transfer_lrs: tuple[float, ...] = (1.5e-3, 3e-3, 6e-3, 1.2e-2, 2.4e-2)
    transfer_wd: float = 1.0
    transfer_steps: int = 600
    tail: float = 0.2  # the loss of a run: mean over the last `tail` fraction of steps
    seeds: int = 1  # independent initialisations averaged in (C) and (D)

    def check(self) -> None:
        require(len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas),
                f"betas must be two numbers in [0, 1), got {self.betas}")
        for name in ("noise_lrs", "noise_wds", "law_ratios", "transfer_lrs"):
            _positive_tuple(name, getattr(self, name))
        for name in ("gamma_widths", "transfer_widths"):
            _positive_tuple(name, getattr(self, name), integer=True)
            ws = getattr(self, name)
            require(list(ws) == sorted(set(ws)), f"{name} must be increasing, got {ws}")
        require(self.transfer_widths[0] == self.base_width,
                "transfer_widths must start at the proxy width base_width")
        require(len(self.gamma_widths) >= 2, "need at least two widths to fit γ")
        require(len(self.transfer_lrs) >= 3, "need at least three learning rates per sweep")
        require(list(self.transfer_lrs) == sorted(self.transfer_lrs), "transfer_lrs must increase")
        for name in ("noise_params", "d_in", "d_out", "teacher_width", "blocks", "batch",
                     "base_width", "law_width", "law_steps", "gamma_steps", "transfer_steps",
                     "seeds"):
            require(isinstance(getattr(self, name), int) and getattr(self, name) >= 1,
                    f"{name} must be a positive integer, got {getattr(self, name)}")
        for name in ("noise_horizon", "noise_std", "law_product", "gamma_lr", "gamma_wd",
                     "transfer_wd"):
            require(getattr(self, name) > 0, f"{name} must be positive")
        require(max(a * b for a in self.noise_lrs for b in self.noise_wds) < 1,
                "every noise ηλ must be < 1")
        require(0 < self.tail <= 1, "tail must be in (0, 1]")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(
        noise_params=65536, noise_lrs=(1e-3, 4e-3, 1.6e-2, 6.4e-2), noise_wds=(0.1, 0.4, 1.0),
        batch=256, base_width=64, teacher_width=256,
        law_width=512, law_ratios=(1e-5, 1e-4, 1e-3, 1e-2, 1e-1), law_steps=4000,
        law_product=0.004,
        gamma_widths=(64, 128, 256, 512, 1024), gamma_steps=4000, gamma_lr=4e-3,
        gamma_wd=1.0,
        transfer_widths=(64, 256, 1024), transfer_steps=4000,
        transfer_lrs=tuple(float(x) for x in np.geomspace(7.5e-4, 4.8e-2, 7)),
        seeds=2,
    ),
)


@dataclass(frozen=True)
class Tolerances:
    """Thresholds of the chapter's claims (calibrated over seeds 0..4, see the chapter)."""

    noise_rms: float = 0.05  # |RMS / closed form - 1|, optimizer-only oracle
    noise_spread: float = 0.05  # (max - min) / mean of RMS/sqrt(η/λ) over the grid
    law_slope: tuple[float, float] = (0.25, 0.75)  # d log σ1 / d log(η/λ), paper 0.5
    gamma: tuple[float, float] = (0.35, 1.0)  # fitted width exponent, paper 0.75
    gain_rule: float = 0.1  # |log σ1-gain ratio| target/proxy under µP + rule
    gain_gap: float = 0.08  # µP-alone mismatch minus the rule's
    sp_drift: float = 0.7  # SP's best-lr drift in |log| (one grid step = log 2)
    mup_drift: float = 0.6  # µP-family best-lr drift in |log|


TOL = Tolerances()

# ------------------------------------------------------------------------------------------
# Closed forms and scaling rules
# ------------------------------------------------------------------------------------------


def _check_positive(name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.size == 0 or not np.isfinite(arr).all() or not (arr > 0).all():
        raise ValueError(f"{name} must be positive and finite, got {value}")
    return arr


def adamw_noise_rms(lr, wd, beta1: float = 0.9) -> np.ndarray:
    r"""Stationary per-entry RMS of AdamW driven by i.i.d. gradients with ideal second moment
    (:math:`\hat v = \sigma^2`), exact for any ηλ < 1 (module docstring):
    :math:`\eta\sqrt{c\,(1+\rho\beta_1)/((1-\rho^2)(1-\rho\beta_1))}`, ρ = 1-ηλ,
    c = (1-β₁)/(1+β₁). Tends to :math:`\sqrt{\eta/(2\lambda)}` as ηλ → 0."""
    lr, wd = _check_positive("lr", lr), _check_positive("wd", wd)
    if not 0 <= beta1 < 1:
        raise ValueError(f"beta1 must be in [0, 1), got {beta1}")
    if not (lr * wd < 1).all():
        raise ValueError("lr * wd must be < 1")
    rho = 1.0 - lr * wd
    c = (1 - beta1) / (1 + beta1)
    return lr * np.sqrt(c * (1 + rho * beta1) / ((1 - rho**2) * (1 - rho * beta1)))


def wd_exponent(gamma: float) -> float:
    r"""Exponent of the weight-decay rule :math:`\lambda_2 \propto d^{2\gamma-1}` that keeps
    :math:`\sigma_1 \propto \sqrt{\eta_2/\lambda_2}\, d^\gamma` fixed when
    :math:`\eta_2 \propto d^{-1}` (γ = 0.75 gives the paper's √d)."""
    gamma = float(gamma)
    if not math.isfinite(gamma):
        raise ValueError(f"gamma must be finite, got {gamma}")
    return 2.0 * gamma - 1.0


@dataclass(frozen=True)
class LayerHParams:
    """Per-class hyper-parameters at one width."""

    lr_vector: float  # η1: input layer, readout (and gains/biases if any)
    wd_vector: float  # λ1 (0 under µP rules)
    lr_matrix: float  # η2: hidden d×d matrices
    wd_matrix: float  # λ2
    output_mult: float  # readout multiplier (µP: d0/d)


def layer_hparams(width: int, base_width: int, lr: float, wd: float, param: str,
                  gamma: float = 0.75) -> LayerHParams:
    r"""Transfer (η, λ) tuned at the proxy width ``base_width`` to ``width``.

    * ``"sp"`` — standard parametrisation: the same η and λ for every matrix at every width
      (no decay on vector-like parameters, as in common practice), readout multiplier 1.
    * ``"mup"`` — µP for Adam: :math:`\eta_2 = \eta\, d_0/d`, :math:`\lambda_2 = \lambda`,
      :math:`\eta_1 = \eta`, :math:`\lambda_1 = 0`, readout multiplier :math:`d_0/d`.
    * ``"mup_wd"`` — µP plus the paper's rule :math:`\lambda_2 = \lambda (d/d_0)^{2\gamma-1}`
      (``gamma=0.75``: :math:`\sqrt{d/d_0}`).
    """
    if param not in PARAMETRISATIONS:
        raise ValueError(f"unknown parametrisation {param!r}; choose one of {PARAMETRISATIONS}")
    for name, v in (("width", width), ("base_width", base_width)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    _check_positive("lr", lr)
    if not (math.isfinite(wd) and wd >= 0):
        raise ValueError(f"wd must be non-negative, got {wd}")
    ratio = width / base_width
    if param == "sp":
        return LayerHParams(lr, 0.0, lr, wd, 1.0)
    lr2 = lr / ratio  # µP, Adam: η2 ∝ 1/d
    wd2 = wd if param == "mup" else wd * ratio ** wd_exponent(gamma)  # λ2 ∝ d^(2γ-1)
    return LayerHParams(lr, 0.0, lr2, wd2, 1.0 / ratio)


# ------------------------------------------------------------------------------------------
# AdamW (vectorised over independent models; same arithmetic as torch.optim.AdamW)
# ------------------------------------------------------------------------------------------


def adamw_step_(param: torch.Tensor, grad: torch.Tensor, exp_avg: torch.Tensor,
                exp_avg_sq: torch.Tensor, step: int, lr, wd, betas=(0.9, 0.999),
                eps: float = 1e-8) -> None:
    """One in-place AdamW step; ``lr`` and ``wd`` may be tensors broadcasting against
    ``param`` (one value per model). Decay is lr-coupled: ``p ← p(1 - lr·wd) - lr·m̂/(√v̂+ε)``.
    """
    b1, b2 = betas
    exp_avg.lerp_(grad, 1 - b1)
    exp_avg_sq.mul_(b2).addcmul_(grad, grad, value=1 - b2)
    param.mul_(1 - lr * wd)
    bc1 = 1 - b1**step
    bc2_sqrt = math.sqrt(1 - b2**step)
    denom = (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
    param.sub_((lr / bc1) * exp_avg / denom)


def noise_equilibrium(lrs: Sequence[float], wds: Sequence[float], n: int, horizon: float,
                      betas=(0.9, 0.95), seed: int = 0, device="cpu") -> dict:
    """AdamW on i.i.d. N(0,1) gradients for every (η, λ) of the grid at once, from w = 0.

    Runs T = horizon / min(ηλ) steps and returns the per-entry RMS of w averaged over the
    last half (every cell is equilibrated there: ηλt ≥ horizon/2), with the closed form."""
    lr = torch.tensor([a for a in lrs for _ in wds], dtype=torch.float64, device=device)
    wd = torch.tensor([b for _ in lrs for b in wds], dtype=torch.float64, device=device)
    _check_positive("lrs", lr.cpu().numpy())
    _check_positive("wds", wd.cpu().numpy())
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    steps = int(math.ceil(horizon / float((lr * wd).min())))
    g = torch.Generator(device=device).manual_seed(seed)
    w = torch.zeros(lr.numel(), n, dtype=torch.float64, device=device)
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    acc = torch.zeros(lr.numel(), dtype=torch.float64, device=device)
    count = 0
    for t in range(1, steps + 1):
        grad = torch.randn(w.shape, generator=g, dtype=w.dtype, device=device)
        adamw_step_(w, grad, m, v, t, lr[:, None], wd[:, None], betas)
        if t > steps // 2:
            acc += w.pow(2).mean(1)
            count += 1
    rms = (acc / count).sqrt().cpu().numpy()
    lr_np, wd_np = lr.cpu().numpy(), wd.cpu().numpy()
    return {"lr": lr_np, "wd": wd_np, "rms": rms, "steps": steps,
            "closed_form": adamw_noise_rms(lr_np, wd_np, betas[0]),
            "normalised": rms / np.sqrt(lr_np / wd_np)}


# ------------------------------------------------------------------------------------------
# Task and model
# ------------------------------------------------------------------------------------------


def rms_norm(h: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """RMSNorm over the last dimension, without a gain."""
    return h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)


class Teacher:
    """A fixed random two-hidden-layer ReLU network (He init) with outputs of variance ≈ 1;
    targets are its outputs plus Gaussian noise (loss floor ``noise_std**2``)."""

    def __init__(self, d_in: int, width: int, d_out: int, seed: int = 12345,
                 device="cpu", dtype=torch.float32):
        g = torch.Generator().manual_seed(seed)
        self.b = (torch.randn(d_in, width, generator=g) * math.sqrt(2 / d_in)).to(device, dtype)
        self.c = (torch.randn(width, width, generator=g) * math.sqrt(2 / width)).to(device, dtype)
        self.a = (torch.randn(width, d_out, generator=g) / math.sqrt(width)).to(device, dtype)
        self.d_in, self.d_out = d_in, d_out

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(torch.relu(x @ self.b) @ self.c) @ self.a


@dataclass
class Params:
    """Parameters of ``models`` independent residual MLPs of one width (leading dim = model).
    ``ups[l]``, ``downs[l]``: (models, d, d) with ``h @ W`` convention."""

    embed: torch.Tensor  # (models, d_in, d)
    ups: list[torch.Tensor]
    downs: list[torch.Tensor]
    readout: torch.Tensor  # (models, d, d_out)

    def tensors(self) -> list[torch.Tensor]:
        return [self.embed, *self.ups, *self.downs, self.readout]


def init_params(models: int, width: int, d_in: int, d_out: int, blocks: int,
                generator: torch.Generator, device="cpu", dtype=torch.float32) -> Params:
    """Every matrix N(0, 1/fan_in) (µP and SP agree at initialisation for Adam; µP differs by
    the readout multiplier, applied in :func:`forward`)."""
    def gauss(*shape, fan_in):
        return (torch.randn(models, *shape, generator=generator) / math.sqrt(fan_in)).to(
            device, dtype)

    return Params(
        embed=gauss(d_in, width, fan_in=d_in),
        ups=[gauss(width, width, fan_in=width) for _ in range(blocks)],
        downs=[gauss(width, width, fan_in=width) for _ in range(blocks)],
        readout=gauss(width, d_out, fan_in=width),
    )


def forward(p: Params, x: torch.Tensor, output_mult: float = 1.0) -> torch.Tensor:
    """x: (batch, d_in) shared by all models → (models, batch, d_out)."""
    h = torch.einsum("bi,gid->gbd", x, p.embed)
    for up, down in zip(p.ups, p.downs, strict=True):
        h = h + torch.bmm(torch.relu(torch.bmm(rms_norm(h), up)), down)
    return output_mult * torch.bmm(rms_norm(h), p.readout)


@dataclass
class RunResult:
    """One batched run: ``loss`` (models,) tail-mean training loss, ``curve`` (steps, models),
    ``sigma_up`` / ``sigma_down`` (models,) top singular value of the first block's matrices,
    ``spectrum`` (models, d) singular values of the first W_down."""

    width: int
    loss: np.ndarray
    curve: np.ndarray
    sigma_up: np.ndarray
    sigma_down: np.ndarray
    spectrum: np.ndarray


def train_models(width: int, lrs: Sequence[float], wds: Sequence[float], param: str,
                 cfg: Config, *, seed: int = 0, steps: int | None = None, gamma: float = 0.75,
                 device="cpu") -> RunResult:
    """Train one model per (lrs[i], wds[i]) pair (base hyper-parameters, transferred to
    ``width`` by ``param``, see :func:`layer_hparams`) on the same online data stream."""
    if len(lrs) != len(wds) or len(lrs) == 0:
        raise ValueError("lrs and wds must be non-empty and of equal length")
    steps = int(steps if steps is not None else cfg.transfer_steps)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    device = torch.device(device)
    hp = [layer_hparams(width, cfg.base_width, float(a), float(b), param, gamma)
          for a, b in zip(lrs, wds, strict=True)]
    models = len(hp)

    def col(values):
        return torch.tensor(values, dtype=torch.float32, device=device).view(models, 1, 1)

    lr1, wd1 = col([h.lr_vector for h in hp]), col([h.wd_vector for h in hp])
    lr2, wd2 = col([h.lr_matrix for h in hp]), col([h.wd_matrix for h in hp])
    mult = hp[0].output_mult
    teacher = Teacher(cfg.d_in, cfg.teacher_width, cfg.d_out, device=device)
    g_init = torch.Generator().manual_seed(1000 * seed + width)
    g_data = torch.Generator().manual_seed(7919 * seed + 17)
    p = init_params(models, width, cfg.d_in, cfg.d_out, cfg.blocks, g_init, device)
    tensors = p.tensors()
    hyper = [(lr1, wd1)] + [(lr2, wd2)] * (2 * cfg.blocks) + [(lr1, wd1)]
    for t in tensors:
        t.requires_grad_(True)
    moments = [(torch.zeros_like(t), torch.zeros_like(t)) for t in tensors]
    curve = torch.empty(steps, models, device=device)
    for step in range(1, steps + 1):
        x = torch.randn(cfg.batch, cfg.d_in, generator=g_data).to(device)
        noise = torch.randn(cfg.batch, cfg.d_out, generator=g_data).to(device)
        y = teacher(x) + cfg.noise_std * noise
        loss = (forward(p, x, mult) - y).pow(2).mean((1, 2))  # per model
        grads = torch.autograd.grad(loss.sum(), tensors)
        curve[step - 1] = loss.detach()
        with torch.no_grad():
            for t, gr, (m, v), (lr, wd) in zip(tensors, grads, moments, hyper, strict=True):
                adamw_step_(t, gr, m, v, step, lr, wd, cfg.betas)
    with torch.no_grad():
        tail = max(1, int(round(cfg.tail * steps)))
        spectrum = torch.linalg.svdvals(p.downs[0].detach().float()).cpu().numpy()
        sigma_up = torch.linalg.matrix_norm(p.ups[0].detach(), ord=2).cpu().numpy()
    curve_np = curve.cpu().numpy()
    return RunResult(width=width, loss=curve_np[-tail:].mean(0), curve=curve_np,
                     sigma_up=sigma_up, sigma_down=spectrum[:, 0].copy(), spectrum=spectrum)


# ------------------------------------------------------------------------------------------
# Analysis
# ------------------------------------------------------------------------------------------


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    x, y = _check_positive("x", x), _check_positive("y", y)
    if x.shape != y.shape or x.size < 2:
        raise ValueError("x and y need the same shape and at least two points")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def best_lr(lrs, losses) -> float:
    """Optimum of a learning-rate sweep: vertex of a parabola in log η through the grid minimum
    and its two neighbours (the grid point itself at an edge)."""
    return log_parabola_argmin(lrs, losses)


def normalised_spectrum(s: np.ndarray, k: int = 10) -> np.ndarray:
    """Top-k singular values divided by the largest, per row."""
    s = np.asarray(s, float)
    return s[..., :k] / s[..., :1]


@dataclass
class Sweep:
    """Learning-rate sweeps: ``loss[param][width]`` (seeds, lrs), same for ``sigma``."""

    lrs: np.ndarray
    widths: tuple[int, ...]
    loss: dict
    sigma_up: dict
    sigma_down: dict
    curves: dict


def transfer_sweep(cfg: Config, params: Sequence[str] = PARAMETRISATIONS, gamma: float = 0.75,
                   seed: int = 0, device="cpu", progress=None) -> Sweep:
    """For every parametrisation and width: train one model per base learning rate (fixed base
    λ = ``cfg.transfer_wd``), ``cfg.seeds`` initialisations each. At the proxy width all
    parametrisations coincide, so it is trained once and shared."""
    lrs = np.asarray(cfg.transfer_lrs, float)
    loss, s_up, s_down, curves = {}, {}, {}, {}
    jobs = [(pm, w) for pm in params for w in cfg.transfer_widths]
    it = progress(jobs, total=len(jobs), desc="transfer") if progress else jobs
    shared = {}
    for pm, w in it:
        if w == cfg.base_width and w in shared:
            runs = shared[w]
        else:
            runs = [train_models(w, lrs, [cfg.transfer_wd] * lrs.size, pm, cfg,
                                 seed=seed * 100 + k, steps=cfg.transfer_steps, gamma=gamma,
                                 device=device) for k in range(cfg.seeds)]
            if w == cfg.base_width:
                shared[w] = runs
        loss.setdefault(pm, {})[w] = np.stack([r.loss for r in runs])
        s_up.setdefault(pm, {})[w] = np.stack([r.sigma_up for r in runs])
        s_down.setdefault(pm, {})[w] = np.stack([r.sigma_down for r in runs])
        curves.setdefault(pm, {})[w] = runs[0].curve
    return Sweep(lrs, tuple(cfg.transfer_widths), loss, s_up, s_down, curves)


# ------------------------------------------------------------------------------------------
# Cost model
# ------------------------------------------------------------------------------------------


def _model_step_flops(cfg: Config, width: int) -> float:
    per_sample = 2 * cfg.blocks * width * width + (cfg.d_in + cfg.d_out) * width
    return 6.0 * cfg.batch * per_sample + 20.0 * (2 * cfg.blocks * width * width)  # + AdamW


def estimate_seconds(cfg: Config) -> float:
    """Conservative cost ON PAPER. Assumptions: ci runs on one CPU core at an effective
    2e10 flop/s (the guide's figure for 2 cores) plus 1.5 ms of per-step Python overhead per
    batched run (0.3 ms for the elementwise noise oracle); full on a Colab T4 at an effective
    1e12 flop/s (a quarter of its fp32 peak) plus 1 ms per step. Flops per model step:
    6 × batch × (2·blocks·d² + (d_in + d_out)·d) (forward + backward) plus AdamW's work."""
    on_gpu = cfg.gamma_widths[-1] >= 1024 or cfg.batch >= 256
    rate, overhead = (1e12, 1e-3) if on_gpu else (2e10, 1.5e-3)
    flops, steps_total = 0.0, 0
    # (A) noise oracle
    n_cells = len(cfg.noise_lrs) * len(cfg.noise_wds)
    t_noise = int(math.ceil(cfg.noise_horizon / (min(cfg.noise_lrs) * min(cfg.noise_wds))))
    flops += 30.0 * n_cells * cfg.noise_params * t_noise
    seconds = 3e-4 * t_noise  # ~10 small elementwise ops per step
    # (B) law at one width
    flops += _model_step_flops(cfg, cfg.law_width) * len(cfg.law_ratios) * cfg.law_steps
    steps_total += cfg.law_steps
    # (C) widths
    for w in cfg.gamma_widths:
        flops += _model_step_flops(cfg, w) * cfg.seeds * cfg.gamma_steps
        steps_total += cfg.gamma_steps
    # (D) transfer: widths above the proxy for each parametrisation (4: sp, mup, mup_wd, fitted)
    n_lr = len(cfg.transfer_lrs)
    for w in cfg.transfer_widths:
        n_par = 1 if w == cfg.base_width else 4
        flops += _model_step_flops(cfg, w) * n_lr * cfg.seeds * n_par * cfg.transfer_steps
        steps_total += n_par * cfg.seeds * cfg.transfer_steps
    return seconds + flops / rate + overhead * steps_total
