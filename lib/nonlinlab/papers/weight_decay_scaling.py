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

The model (a tiny LLaMA-style byte-level LM)
--------------------------------------------
Pre-norm decoder on UTF-8 bytes of the offline pydoc corpus (:mod:`nonlinlab.data.text`):
RMSNorm with learnable gains, causal multi-head attention with RoPE (fixed head dimension, so
the number of heads grows with d; the rotate-half RoPE of :mod:`nonlinlab.models.llama`, with
the q and k columns of the initial :math:`W_{qkv}` permuted per head so that the model equals
the interleaved-RoPE formulation from the same draw, :func:`rope_layout_perm`), SwiGLU MLP of
hidden width ``ff_mult``·d, no biases.
Matrix-like: :math:`W_{qkv}, W_o, W_{\rm up}, W_{\rm down}` (µP η2 = η d0/d, decay λ2);
vector-like: byte embedding, RMSNorm gains, readout (η1 = η, λ1 = 0; readout zero-initialised,
output multiplied by d0/d, the ``mup`` convention). AdamW β = (0.9, 0.95), linear warm-up then
cosine decay to zero; the loss is the final validation loss in nats per byte. All cells of a
(η, λ) grid at one width train at once as one stacked model (batched matmuls over a leading
grid axis, :func:`adamw_step_` with per-cell η, λ), from one initialisation and one byte
stream. The target grid trains λ2 ∈ {λ} ∪ {λ√(d/d0)} so that µP alone (λ fixed) and µP + rule
are read off the same grid (:func:`target_wds`, :func:`transfer`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..core import ProfileConfig, Profiles, require
from ..core.numerics import log_parabola_argmin
from ..models.llama import apply_rope, rms_norm, rope_cos_sin

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
    # (B) the byte-level LM on the pydoc corpus
    corpus: str = "pydoc"
    layers: int = 1
    head_dim: int = 8  # fixed: the number of heads grows with the width
    ff_mult: int = 2  # SwiGLU hidden width = ff_mult · d
    seq_len: int = 32
    lm_batch: int = 16
    lm_steps: int = 400
    warmup_frac: float = 0.05
    val_blocks: int = 1280  # ≈ 42 kB of validation bytes (the split holds 1342 blocks)
    base_width: int = 16  # the proxy width d0
    target_width: int = 64
    lm_lrs: tuple[float, ...] = (2e-2, 4e-2, 8e-2)  # base η (proxy units)
    lm_wds: tuple[float, ...] = (0.125, 0.25, 0.5)  # base λ (proxy units)

    def check(self) -> None:
        require(len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas),
                f"betas must be two numbers in [0, 1), got {self.betas}")
        for name in ("noise_lrs", "noise_wds", "lm_lrs", "lm_wds"):
            _positive_tuple(name, getattr(self, name))
        for name in ("lm_lrs", "lm_wds"):
            v = getattr(self, name)
            require(len(v) >= 3 and list(v) == sorted(set(v)),
                    f"{name} must hold at least three increasing values, got {v}")
        for name in ("noise_params", "layers", "head_dim", "ff_mult", "seq_len", "lm_batch",
                     "lm_steps", "val_blocks", "base_width", "target_width"):
            require(isinstance(getattr(self, name), int) and getattr(self, name) >= 1,
                    f"{name} must be a positive integer, got {getattr(self, name)}")
        require(self.target_width > self.base_width, "target_width must exceed base_width")
        for w in (self.base_width, self.target_width):
            require(w % self.head_dim == 0, f"width {w} must be a multiple of head_dim")
        require(self.noise_horizon > 0, "noise_horizon must be positive")
        require(max(a * b for a in self.noise_lrs for b in self.noise_wds) < 1,
                "every noise ηλ must be < 1")
        require(0 <= self.warmup_frac < 1, "warmup_frac must be in [0, 1)")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(
        noise_params=65536, noise_lrs=(1e-3, 4e-3, 1.6e-2, 6.4e-2), noise_wds=(0.1, 0.4, 1.0),
        layers=2, head_dim=16, seq_len=128, lm_batch=16, lm_steps=2000, val_blocks=512,
        base_width=64, target_width=256,
        lm_lrs=(5e-3, 1e-2, 2e-2, 4e-2), lm_wds=(0.0625, 0.125, 0.25, 0.5, 1.0),
    ),
)


@dataclass(frozen=True)
class Tolerances:
    """Thresholds of the chapter's claims (calibrated over seeds 0-4, 7, 11 at ci)."""

    noise_rms: float = 0.05  # |RMS / closed form - 1|, optimizer-only oracle
    gain_rule: float = 0.3  # mean |log σ1-gain ratio| target/proxy under µP + rule
    gain_gap: float = 0.15  # µP-alone mean mismatch minus the rule's
    gamma: tuple[float, float] = (0.6, 1.1)  # width exponent γ̂ (pure noise 0.5, paper 0.75)
    eta_drift: float = math.log(2)  # |log η*(d)/η*(d0)| under µP + rule: within one grid step
    lam_drift: float = math.log(2)  # |log λ*(d)/λ*(d0)| under µP + rule, base units (full)
    lam_exponent: float = 0.25  # exponent s of λ2* ∝ d^s must exceed this (µP alone: 0; full)


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
# The tiny language model (a stack of independent models, one per grid cell)
# ------------------------------------------------------------------------------------------


RMS_EPS = 1e-6  # RMSNorm epsilon (gains are applied by the caller)
MATRIX_KEYS = ("qkv", "o", "up", "down")  # matrix-like parameters of every block
ROPE_THETA = 10000.0


def _attn_tables(seq_len: int, head_dim: int, device) -> tuple[torch.Tensor, ...]:
    """RoPE tables of the shared LLaMA model (rotate-half layout) and the causal mask."""
    cos, sin = rope_cos_sin(torch.arange(seq_len, device=device), head_dim, ROPE_THETA)
    mask = torch.full((seq_len, seq_len), float("-inf"), device=device).triu(1)
    return cos, sin, mask


def rope_layout_perm(width: int, head_dim: int) -> torch.Tensor:
    """Column order of ``W_qkv`` that maps the interleaved RoPE layout (pairs
    (x[2i], x[2i+1])) onto the rotate-half layout of :func:`apply_rope` (pairs
    (x[i], x[i+D/2])): within every q and k head, new column i ← old 2i and new
    i + D/2 ← old 2i+1; v is left alone. q·k is invariant to the same permutation of q and k,
    so the model computes what the interleaved one computed from the same draw."""
    half = torch.cat([torch.arange(0, head_dim, 2), torch.arange(1, head_dim, 2)])
    heads = torch.arange(0, 2 * width, head_dim)  # q and k heads
    qk = (heads[:, None] + half[None]).reshape(-1)
    return torch.cat([qk, torch.arange(2 * width, 3 * width)])


def lm_init(models: int, width: int, cfg: Config, vocab: int, generator: torch.Generator,
            device="cpu") -> dict[str, torch.Tensor]:
    """Parameters of ``models`` copies of the same LM (one initialisation, repeated: every grid
    cell starts from the same weights). Matrices N(0, 1/fan_in); embedding N(0, 1) (µP: the
    input layer is vector-like); readout zero (the ``mup`` package's recommendation); RMSNorm
    gains one. Matrices use the ``h @ W`` convention; the q and k columns of ``W_qkv`` are
    drawn in the interleaved RoPE order and stored in rotate-half order
    (:func:`rope_layout_perm`)."""
    ff = cfg.ff_mult * width

    def rep(t):
        return t.to(device).repeat(models, *([1] * (t.dim() - 1)))

    def mat(i, o):
        return rep(torch.randn(1, i, o, generator=generator) / math.sqrt(i))

    p = {"embed": rep(torch.randn(1, vocab, width, generator=generator)),
         "readout": torch.zeros(models, width, vocab, device=device),
         "gain_final": torch.ones(models, 1, width, device=device)}
    for layer in range(cfg.layers):
        p[f"gain_attn{layer}"] = torch.ones(models, 1, width, device=device)
        p[f"gain_mlp{layer}"] = torch.ones(models, 1, width, device=device)
        # RoPE pairs in rotate-half order (same function as the interleaved layout)
        p[f"qkv{layer}"] = mat(width, 3 * width)[..., rope_layout_perm(width, cfg.head_dim)]
        p[f"o{layer}"] = mat(width, width)
        p[f"up{layer}"] = mat(width, 2 * ff)  # SwiGLU: value and gate
        p[f"down{layer}"] = mat(ff, width)
    return p


def is_matrix(name: str) -> bool:
    """Matrix-like (both dimensions grow with the width) → µP η2 and weight decay λ2."""
    return name.rstrip("0123456789") in MATRIX_KEYS


def causal_attention(a: torch.Tensor, w_qkv: torch.Tensor, batch: int, head_dim: int,
                     tables) -> torch.Tensor:
    """Causal multi-head attention with RoPE (rotate-half layout) of the normed input ``a``
    (models, batch·L, d) through ``w_qkv`` (models, d, 3d) → (models, batch·L, d), before
    ``W_o``. ``tables`` = (cos, sin, mask) of :func:`_attn_tables`."""
    cos, sin, mask = tables
    models, tokens, width = a.shape
    seq, heads = tokens // batch, width // head_dim
    qkv = torch.bmm(a, w_qkv).view(models, batch, seq, 3, heads, head_dim)
    q, k, v = qkv.permute(3, 0, 1, 4, 2, 5)  # each (models, batch, heads, L, hd)
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    att = torch.softmax(q @ k.transpose(-1, -2) * head_dim**-0.5 + mask, -1)
    return (att @ v).permute(0, 1, 3, 2, 4).reshape(models, tokens, width)


def lm_forward(p: dict[str, torch.Tensor], x: torch.Tensor, cfg: Config,
               output_mult: float = 1.0, tables=None) -> torch.Tensor:
    """Pre-norm LLaMA-style LM: tokens x (batch, L) shared by all models → logits
    (models, batch·L, vocab). Each block: h += W_o·Attn(RoPE, causal)(RMSNorm(h)·W_qkv);
    h += W_down·(SiLU(gate) ⊙ value)(RMSNorm(h)·W_up). Readout multiplied by ``output_mult``."""
    batch, seq = x.shape
    hd = cfg.head_dim
    cos, sin, mask = tables if tables is not None else _attn_tables(seq, hd, x.device)
    h = p["embed"][:, x.reshape(-1)]  # (models, batch·L, d)
    for layer in range(cfg.layers):
        a = rms_norm(h, RMS_EPS) * p[f"gain_attn{layer}"]
        y = causal_attention(a, p[f"qkv{layer}"], batch, hd, (cos, sin, mask))
        h = h + torch.bmm(y, p[f"o{layer}"])
        value, gate = torch.bmm(rms_norm(h, RMS_EPS) * p[f"gain_mlp{layer}"],
                                p[f"up{layer}"]).chunk(2, -1)
        h = h + torch.bmm(torch.nn.functional.silu(gate) * value, p[f"down{layer}"])
    return output_mult * torch.bmm(rms_norm(h, RMS_EPS) * p["gain_final"], p["readout"])


def lr_schedule(step: int, steps: int, warmup_frac: float) -> float:
    """Linear warm-up over ``warmup_frac`` of the steps, then cosine decay to zero."""
    warm = max(1, int(round(warmup_frac * steps)))
    if step <= warm:
        return step / warm
    return 0.5 * (1.0 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))


@dataclass
class LMGrid:
    """One width's grid: ``loss`` (lrs, wds) final validation loss (nats/byte), ``sigma``
    name → (lrs, wds) top singular value of each matrix-like parameter, ``curve`` (steps,
    lrs·wds) training loss. ``wds`` are the weight decays λ2 actually applied to matrices."""

    width: int
    lrs: np.ndarray
    wds: np.ndarray
    loss: np.ndarray
    sigma: dict
    curve: np.ndarray

    def gain(self) -> np.ndarray:
        """Geometric mean of σ1 over all matrix-like parameters (lrs, wds)."""
        return np.exp(np.mean([np.log(s) for s in self.sigma.values()], axis=0))


def train_lm_grid(width: int, lrs: Sequence[float], wds: Sequence[float], cfg: Config,
                  corpus, *, seed: int = 0, device="cpu", wd_vectors: bool = False) -> LMGrid:
    """Train one LM per cell of the grid ``lrs`` × ``wds`` at once, on the same byte stream.

    ``lrs`` are base learning rates η (proxy units): matrices get µP's η2 = η·d0/d, vectors
    η1 = η, the readout output is multiplied by d0/d. ``wds`` are the λ2 applied to the
    matrices as given (the caller converts base λ by the rule); vectors get λ1 = 0
    (``wd_vectors=True`` decays them with λ2 too: a deliberately broken variant)."""
    lrs, wds = np.asarray(lrs, float), np.asarray(wds, float)
    _check_positive("lrs", lrs)
    _check_positive("wds", wds)
    device = torch.device(device)
    hp = [layer_hparams(width, cfg.base_width, float(a), float(b), "mup")
          for a in lrs for b in wds]
    models = len(hp)

    def col(values):
        return torch.tensor(values, dtype=torch.float32, device=device).view(models, 1, 1)

    lr1, lr2 = col([h.lr_vector for h in hp]), col([h.lr_matrix for h in hp])
    wd2 = col([h.wd_matrix for h in hp])
    wd1 = wd2 if wd_vectors else torch.zeros_like(wd2)
    mult = hp[0].output_mult
    vocab = int(corpus.vocab_size)
    p = lm_init(models, width, cfg, vocab, torch.Generator().manual_seed(1000 * seed + width),
                device)
    names = list(p)
    hyper = [(lr2, wd2) if is_matrix(k) else (lr1, wd1) for k in names]
    tensors = [p[k] for k in names]
    for t in tensors:
        t.requires_grad_(True)
    moments = [(torch.zeros_like(t), torch.zeros_like(t)) for t in tensors]
    tables = _attn_tables(cfg.seq_len, cfg.head_dim, device)
    g_data = torch.Generator().manual_seed(7919 * seed + 17)  # same stream at every width
    curve = torch.empty(cfg.lm_steps, models)
    for step in range(1, cfg.lm_steps + 1):
        ids = corpus.random_blocks("train", cfg.lm_batch, cfg.seq_len + 1, generator=g_data)
        ids = ids.to(device)
        logits = lm_forward(p, ids[:, :-1], cfg, mult, tables)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, vocab), ids[:, 1:].reshape(-1).repeat(models),
            reduction="none").view(models, -1).mean(1)
        grads = torch.autograd.grad(loss.sum(), tensors)
        curve[step - 1] = loss.detach().cpu()
        scale = lr_schedule(step, cfg.lm_steps, cfg.warmup_frac)
        with torch.no_grad():
            for t, gr, (m, v), (lr, wd) in zip(tensors, grads, moments, hyper, strict=True):
                adamw_step_(t, gr, m, v, step, lr * scale, wd, cfg.betas)
    with torch.no_grad():
        val = corpus.blocks("val", cfg.seq_len + 1, n_blocks=cfg.val_blocks).to(device)
        total = torch.zeros(models, device=device)
        chunk = 4 * cfg.lm_batch
        for i in range(0, val.shape[0], chunk):
            ids = val[i:i + chunk]
            logits = lm_forward(p, ids[:, :-1], cfg, mult, tables)
            total += torch.nn.functional.cross_entropy(
                logits.reshape(-1, vocab), ids[:, 1:].reshape(-1).repeat(models),
                reduction="none").view(models, -1).sum(1)
        loss = (total / (val.shape[0] * cfg.seq_len)).cpu().numpy()
        sigma = {k: torch.linalg.matrix_norm(p[k].detach(), ord=2).cpu().numpy().reshape(
            lrs.size, wds.size) for k in names if is_matrix(k)}
    return LMGrid(width=width, lrs=lrs, wds=wds, loss=loss.reshape(lrs.size, wds.size),
                  sigma=sigma, curve=curve.numpy())


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


def target_wds(base_wds: Sequence[float], ratio: float, exponent: float = 0.5) -> np.ndarray:
    """λ2 values to train at the target: the union of the base grid (µP alone, λ fixed) and
    the base grid times ``ratio**exponent`` (the rule), so both transfers read off one grid."""
    base = _check_positive("base_wds", base_wds)
    both = np.concatenate([base, base * ratio**exponent])
    return np.unique(np.round(both, 12))


def _grid_optimum(lrs, wds, loss) -> tuple[int, int, float, float]:
    """Grid argmin (i, j) and the optimum refined by a log-parabola along each axis."""
    i, j = np.unravel_index(int(np.argmin(loss)), loss.shape)
    return int(i), int(j), log_parabola_argmin(lrs, loss[:, j]), log_parabola_argmin(wds, loss[i])


def quadratic_optimum(lrs, wds, loss) -> tuple[float, float]:
    r"""Optimum (η*, λ*) of a whole grid read off a least-squares quadratic surface
    :math:`L \approx c + b^\top x + x^\top A x` in :math:`x = (\log\eta, \log\lambda)` fitted
    to every cell (so cell-to-cell noise averages out instead of deciding an argmin). Where the
    fit is convex (A positive definite) the optimum is its minimum over the grid's box (the
    stationary point if inside, else the best point on the box's edges); otherwise the grid
    argmin refined by a log-parabola along each axis (:func:`_grid_optimum`)."""
    lrs, wds = _check_positive("lrs", lrs), _check_positive("wds", wds)
    loss = np.asarray(loss, dtype=float)
    if loss.shape != (lrs.size, wds.size) or min(loss.shape) < 3:
        raise ValueError("need a grid of at least 3 × 3 cells with one loss per cell")
    u, v = np.meshgrid(np.log(lrs), np.log(wds), indexing="ij")
    u, v, y = u.ravel(), v.ravel(), loss.ravel()
    design = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], 1)
    c = np.linalg.lstsq(design, y, rcond=None)[0]
    a = np.array([[c[3], c[4] / 2], [c[4] / 2, c[5]]])
    b = c[1:3]
    if np.any(np.linalg.eigvalsh(a) <= 1e-12 * max(1.0, np.abs(a).max())):
        _, _, lr, wd = _grid_optimum(lrs, wds, loss)
        return lr, wd
    lo = np.array([np.log(lrs[0]), np.log(wds[0])])
    hi = np.array([np.log(lrs[-1]), np.log(wds[-1])])
    x = np.linalg.solve(a, -b / 2)
    if np.any(x < lo) or np.any(x > hi):  # minimise along each edge of the box instead
        cands = []
        for k in (0, 1):
            other = 1 - k
            for fixed in (lo[k], hi[k]):  # x[k] = fixed: 1-D quadratic in x[other]
                t = -(b[other] + 2 * a[k, other] * fixed) / (2 * a[other, other])
                pt = np.empty(2)
                pt[k], pt[other] = fixed, np.clip(t, lo[other], hi[other])
                cands.append(pt)
        x = min(cands, key=lambda q: float(b @ q + q @ a @ q))
    return float(np.exp(x[0])), float(np.exp(x[1]))


@dataclass
class Transfer:
    """Zero-shot transfer from the proxy grid to the target grid (see :func:`transfer`)."""

    ratio: float
    proxy_lr: float
    proxy_wd: float
    target_lr: float
    target_wd: float  # λ2* (matrix weight decay actually applied)
    lr_drift: float  # |log η*(d)/η*(d0)| (µP learning rates, both rules)
    wd_drift_rule: float  # |log (λ2*/√r) / λ*(d0)|
    wd_drift_fixed: float  # |log λ2* / λ*(d0)|
    wd_exponent: float  # s in λ2* ∝ d^s
    regret_rule: float  # target loss at the rule's transferred cell minus the target minimum
    regret_fixed: float  # the same for µP alone (λ fixed)
    gain_proxy: float  # geometric-mean σ1 at the proxy optimum
    gain_rule: float  # ... at the target, transferred by the rule
    gain_fixed: float  # ... at the target, transferred by µP alone
    gamma_hat: float  # width exponent implied by the two gain ratios


READOUTS = ("quadratic", "grid")


def transfer(proxy: LMGrid, target: LMGrid, exponent: float = 0.5,
             readout: str = "grid") -> Transfer:
    """Read both transfers off the grids. ``target.wds`` must hold every base λ and every base
    λ × ratio**exponent (:func:`target_wds`); learning rates are the same base grid. The
    optima (η*, λ*) at both widths come from ``readout``: ``"quadratic"`` (a quadratic surface
    fitted to the whole grid, :func:`quadratic_optimum`) or ``"grid"`` (argmin + one
    log-parabola per axis); the transferred cells are always the proxy's grid argmin."""
    if not np.allclose(proxy.lrs, target.lrs):
        raise ValueError("proxy and target need the same base learning rates")
    if readout not in READOUTS:
        raise ValueError(f"unknown readout {readout!r}; choose one of {READOUTS}")
    ratio = target.width / proxy.width
    i, j, lr0, wd0 = _grid_optimum(proxy.lrs, proxy.wds, proxy.loss)
    _, _, lr1, wd1 = _grid_optimum(target.lrs, target.wds, target.loss)
    if readout == "quadratic":
        lr0, wd0 = quadratic_optimum(proxy.lrs, proxy.wds, proxy.loss)
        lr1, wd1 = quadratic_optimum(target.lrs, target.wds, target.loss)

    def col(value):
        k = np.flatnonzero(np.isclose(target.wds, value, rtol=1e-6))
        if k.size != 1:
            raise ValueError(f"λ2 = {value:g} is not in the target grid {target.wds}")
        return int(k[0])

    j_rule, j_fixed = col(proxy.wds[j] * ratio**exponent), col(proxy.wds[j])
    best = float(target.loss.min())
    g0, g1 = proxy.gain(), target.gain()
    gain_rule, gain_fixed = float(g1[i, j_rule]), float(g1[i, j_fixed])
    lr_log = math.log(ratio)
    gamma_rule = 0.75 + math.log(gain_rule / g0[i, j]) / lr_log  # σ1 ∝ √(η2/λ2) d^γ
    gamma_fixed = 0.5 + math.log(gain_fixed / g0[i, j]) / lr_log
    return Transfer(
        ratio=ratio, proxy_lr=lr0, proxy_wd=wd0, target_lr=lr1, target_wd=wd1,
        lr_drift=abs(math.log(lr1 / lr0)),
        wd_drift_rule=abs(math.log(wd1 / ratio**exponent / wd0)),
        wd_drift_fixed=abs(math.log(wd1 / wd0)),
        wd_exponent=math.log(wd1 / wd0) / lr_log,
        regret_rule=float(target.loss[i, j_rule]) - best,
        regret_fixed=float(target.loss[i, j_fixed]) - best,
        gain_proxy=float(g0[i, j]), gain_rule=gain_rule, gain_fixed=gain_fixed,
        gamma_hat=0.5 * (gamma_rule + gamma_fixed))


def gain_log_ratios(proxy: LMGrid, target: LMGrid, exponent: float) -> np.ndarray:
    """log(target gain / proxy gain) for every proxy cell, the target cell being the one the
    rule λ2 = λ·(d/d0)**exponent transfers it to (exponent 0: µP alone)."""
    ratio = target.width / proxy.width
    cols = []
    for lam in proxy.wds:
        k = np.flatnonzero(np.isclose(target.wds, lam * ratio**exponent, rtol=1e-6))
        if k.size != 1:
            raise ValueError(f"λ2 = {lam * ratio**exponent:g} is not in the target grid")
        cols.append(int(k[0]))
    return np.log(target.gain()[:, cols] / proxy.gain())


# ------------------------------------------------------------------------------------------
# Cost model
# ------------------------------------------------------------------------------------------


def _lm_step_flops(cfg: Config, width: int, vocab: int = 256) -> float:
    """Forward + backward flops of one model for one training step."""
    tokens = cfg.lm_batch * cfg.seq_len
    per_token = cfg.layers * (4 * width * width + 3 * cfg.ff_mult * width * width) + width * vocab
    attn = cfg.layers * 2 * cfg.seq_len * width  # scores and mixing, per token
    return 6.0 * tokens * (per_token + attn) + 20.0 * per_token  # + AdamW


def estimate_seconds(cfg: Config) -> float:
    """Cost ON PAPER. ci: one CPU core at an effective 2.5e10 flop/s for these small batched
    matmuls, plus 15 ms of per-step overhead per grid (elementwise ops, Python) — measured: 46 s
    of CPU time for the ci grids on one core against 54 s estimated;
    full: a Colab T4 at an effective 1e12 flop/s plus 5 ms per step. Counts the noise oracle,
    the proxy grid (lrs × wds) and the target grid (lrs × the union of λ and λ√r)."""
    on_gpu = cfg.target_width >= 256
    rate, overhead = (1e12, 5e-3) if on_gpu else (2.5e10, 1.5e-2)
    n_cells = len(cfg.noise_lrs) * len(cfg.noise_wds)
    t_noise = int(math.ceil(cfg.noise_horizon / (min(cfg.noise_lrs) * min(cfg.noise_wds))))
    seconds = 3e-4 * t_noise + 30.0 * n_cells * cfg.noise_params * t_noise / rate
    ratio = cfg.target_width / cfg.base_width
    n_wd = {cfg.base_width: len(cfg.lm_wds),
            cfg.target_width: target_wds(cfg.lm_wds, ratio).size}
    eval_steps = cfg.val_blocks / cfg.lm_batch / 3  # forward only
    for w, k in n_wd.items():
        models = len(cfg.lm_lrs) * k
        seconds += (cfg.lm_steps + eval_steps) * (models * _lm_step_flops(cfg, w) / rate
                                                  + overhead)
    return seconds
