r"""Yvinec, Dapogny & Bailly, *NUPES: Non-Uniform Post-Training Quantization via Power Exponent
Search* (arXiv:2308.05600, 2023; IEEE TPAMI 2025), with its data-free predecessor PowerQuant
(the same authors, ICLR 2023).

What is implemented
-------------------
No official code of NUPES or PowerQuant was found; this module follows the papers' text and
states its own choices where the text leaves details open.

**Power automorphism.** :math:`f_a(x)=\operatorname{sign}(x)\lvert x\rvert^{a}`, :math:`a>0`, is a
group automorphism of :math:`(\mathbb R^\ast,\times)`: :math:`f_a(xy)=f_a(x)f_a(y)` and
:math:`f_a^{-1}=f_{1/a}` (:func:`power`). Products survive the change of domain, which is why a
network quantized in the power domain stays compatible with integer multiplications.

**Power quantizer** (symmetric, per output channel :math:`c`, :math:`b` bits,
:math:`q_{\max}=2^{b-1}-1`, clipping ratio :math:`\rho\le1`, :func:`power_quantize`)

.. math::
    \gamma_c=\rho\max_j\lvert W_{cj}\rvert,\quad s_c=\gamma_c^{a}/q_{\max},\quad
    k=\operatorname{clip}\!\big(\lfloor f_a(W)/s\rceil,\pm q_{\max}\big),\quad
    \tilde W=f_{1/a}(s\,k)=\operatorname{sign}(k)\,\gamma\,(\lvert k\rvert/q_{\max})^{1/a}.

:math:`a=1` is round-to-nearest uniform quantization (RTN); :math:`a<1` puts the levels densely
near zero, where bell-shaped weights are.

**PowerQuant (data-free).** One exponent for the whole network,
:math:`a^\star=\arg\min_a\sum_\ell\lVert W_\ell-\tilde W_\ell(a)\rVert_F^2` (the paper argues
this error is locally convex in :math:`a` and uses a derivative-free search; we use a grid of
step 0.1 on :math:`[0.2, 1]` refined with step 0.025 around its minimum — :func:`search_exponent`
— on every 4th (MiniLM) or 16th (SmolLM2) output channel of every layer: Eq. 3 is a sum over
weights, which the subsample estimates). ``per-layer`` exponents are also computed for the
figures (:func:`per_layer_exponents`).

**Clipping search, for both grids.** RTN with a per-channel clipping ratio chosen from a grid by
minimum weight MSE (:func:`clipped_quantize`), the strong uniform baseline; the same search at
the PowerQuant exponent gives "PowerQuant + clipping" (our addition: PowerQuant keeps every
channel's full range, so without it the comparison with a clipped uniform grid is unfair).

**NUPES (data-driven).** Per linear layer, on calibration inputs :math:`X`, minimise the output
reconstruction :math:`\lVert XW^\top-X\tilde W^\top\rVert^2` over (i) continuous latent codes
:math:`u` (initialised at :math:`f_{a^\star}(W)/s`, with the clipped ranges of PowerQuant +
clipping on MiniLM and the digits MLP; unclipped on SmolLM2, where clipping raises the
perplexity) rounded to *any* level of the grid —
not only up or down as AdaRound —, (ii) the exponent :math:`a` itself and (iii) the channel
ranges :math:`\gamma` (:func:`nupes_layer`). Our choices, where the text gives no recipe:

* the exponent is reparametrised :math:`a=a_{lo}+(a_{hi}-a_{lo})\,\sigma(\theta)` in
  :math:`[0.2, 1.2]`, and its gradient is taken through the *levels*
  :math:`\gamma(\lvert k\rvert/q_{\max})^{1/a}` with :math:`\lvert k\rvert\ge1` (zero stays zero):
  :math:`\partial_a` never meets :math:`\ln\lvert w\rvert` at :math:`w\to0`, the numerical
  instability of differentiating :math:`\lvert w\rvert^a` directly;
* the straight-through estimator of the rounding uses the local width of the grid cell as its
  slope (the derivative of :math:`\lvert k\rvert^{1/a}` is 0 at :math:`k=0` for :math:`a<1`, so
  the plain chain rule would freeze every weight on the zero level);
* the loss is the exact output error for the calibration activation covariance
  :math:`H=X^\top X/N`, computed from its top-``rank`` principal directions (seeded randomized
  SVD) plus the diagonal of the remainder (``rank=None``: exact), to fit the 2-core budget;
* every layer is calibrated on the inputs of the *full-precision* model (AdaRound's default),
  not on those of the already-quantized layers before it.

A rounding-only ablation (AdaRound's search space with the same straight-through optimiser,
:math:`k\in\{\lfloor v\rfloor,\lfloor v\rfloor+1\}`, :math:`a` and :math:`\gamma` frozen) is
``mode="rounding"``.

Models: all-MiniLM-L6-v2 (:mod:`nonlinlab.models.bert`), SmolLM2-135M
(:mod:`nonlinlab.models.smollm2`, in ``ci`` the offline GGUF whose weights were stored as
4-bit Q4_1 blocks, dequantized to float) and a small MLP trained on scikit-learn's digits.
"""

from __future__ import annotations

import copy
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require

# --------------------------------------------------------------------------------------
# Paper numbers (statements; the tables' values were not retrievable offline)
# --------------------------------------------------------------------------------------

#: The exponent box of our reparametrisation of the learned exponent.
A_BOX = (0.2, 1.2)
#: PowerQuant's search interval for the data-free exponent.
A_GRID = (0.2, 1.0)
PAPER_STATEMENTS = {
    "bell": "power quantization fits bell-shaped weights better than uniform quantization",
    "outliers": "uniform quantization is even worse on LLMs, whose weights show large "
                "outliers",
    "learned": "learning the weights over the entire quantized space and the exponent "
               "reaches state-of-the-art compression, data-free and data-driven",
}


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    # synthetic distributions (quantizer study)
    synth_rows: int = 50
    synth_cols: int = 1000
    # data-free search
    a_step: float = 0.025
    rho_grid: tuple = (0.3, 1.0, 0.05)    # clipping ratios (start, stop, step)
    # MiniLM
    n_calib: int = 128                    # calibration sentences
    n_eval: int = 128                     # held-out sentences for the embedding cosine
    max_tokens: int = 32                  # tokens per sentence (truncation)
    row_stride: int = 4                   # MiniLM exponent search on every 4th channel
    calib_tokens: int = 2048              # calibration activations kept per layer
    # NUPES optimisation (per layer)
    steps: int = 24                       # (12 left a tail of under-optimised seeds)
    lr_u: float = 0.1                     # Adam on the latent codes (grid units)
    lr_theta: float = 0.05                # Adam on the exponent's logit
    lr_gamma: float = 0.005               # Adam on log channel range
    rank: int | None = 96                 # eigen-directions of H kept exactly (None: all)
    nupes_bits: tuple = (3,)
    ablation: bool = False                # rounding-only ablation (AdaRound's space)
    # SmolLM2
    llm: bool = True
    llm_source: str = "gguf"
    llm_eval_tokens: int = 512            # validation tokens for the perplexity
    llm_bits: tuple = (4,)
    llm_nupes: bool = False               # NUPES on SmolLM2 (full profile)
    llm_calib_tokens: int = 512
    llm_row_stride: int = 16              # exponent search on every 16th output channel
    llm_rho_grid: tuple = (0.7, 1.0, 0.1)
    # digits MLP
    mlp_hidden: int = 128
    mlp_steps: int = 300
    mlp_bits: tuple = (3, 2)
    mlp_nupes_steps: int = 200

    def check(self):
        require(self.synth_rows * self.synth_cols >= 1000, "synthetic tensors too small")
        require(0 < self.a_step <= 0.2, "a_step must be in (0, 0.2]")
        require(self.n_calib > 0 and self.n_eval > 0, "need calibration and eval sentences")
        require(self.steps >= 0 and self.mlp_nupes_steps >= 0, "steps must be non-negative")
        require(self.rank is None or self.rank > 0, "rank must be positive or None")
        require(self.llm_source in ("gguf", "hub"), "llm_source must be 'gguf' or 'hub'")
        require(all(2 <= b <= 8 for b in (*self.nupes_bits, *self.llm_bits, *self.mlp_bits)),
                "bit-widths must be in [2, 8]")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(synth_rows=1000, n_calib=1024, n_eval=2048, max_tokens=128,
                calib_tokens=16384, steps=500, rank=None, nupes_bits=(4, 3), ablation=True,
                llm_source="hub", llm_eval_tokens=16384, llm_bits=(4, 3), llm_nupes=True,
                llm_calib_tokens=8192, mlp_steps=1000, mlp_nupes_steps=1000),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from single-thread CPU timings on this machine at the ``ci`` sizes (a GPU is
    taken ≈ 30× faster for the matrix work at ``full``): one NUPES step over MiniLM's 36
    layers (10.6 M weights) ≈ 0.7 s at rank 96 (≈ 1.5 s exact), over SmolLM2's 210 layers
    ≈ 10× that; a MiniLM embedding pass ≈ 6 ms per sentence of 32 tokens; the data-free
    searches and clipping passes ≈ 9 s for MiniLM's two bit-widths; SmolLM2 ≈ 7 s to load and
    quantize, ≈ 5 s for its search and clipping per bit-width, ≈ 3 ms per evaluated token;
    the synthetic study ≈ 40 µs per weight; the digits MLP ≈ 4 s; the notebook's imports,
    figures and kernel ≈ 12 s."""
    gpu = 30.0 if cfg.llm_source == "hub" else 1.0
    step = 0.7 if cfg.rank is not None else 1.5
    n_modes = 2 if cfg.ablation else 1
    nupes = len(cfg.nupes_bits) * n_modes * cfg.steps * step / gpu
    n_evals = 1 + 4 * 2 + len(cfg.nupes_bits) * n_modes
    minilm = 6 + 9 + n_evals * cfg.n_eval * 6e-3 * (cfg.max_tokens / 32) / gpu ** 0.5
    synth = 4e-5 * cfg.synth_rows * cfg.synth_cols / gpu ** 0.5
    llm = 0.0
    if cfg.llm:
        llm = 7 + 5 * len(cfg.llm_bits)
        llm += (1 + 3 * len(cfg.llm_bits)) * cfg.llm_eval_tokens * 3e-3 / gpu
        if cfg.llm_nupes:
            llm += len(cfg.llm_bits) * cfg.steps * 10 * step / gpu
    mlp = 2e-3 * cfg.mlp_steps + len(cfg.mlp_bits) * cfg.mlp_nupes_steps * 5e-3
    return 12 + nupes + minilm + synth + llm + mlp


# --------------------------------------------------------------------------------------
# The power automorphism and the power quantizer
# --------------------------------------------------------------------------------------


def power(x: torch.Tensor, a) -> torch.Tensor:
    """:math:`f_a(x)=\\operatorname{sign}(x)\\lvert x\\rvert^a` (automorphism of (R*, ×))."""
    return torch.sign(x) * x.abs().pow(a)


def qmax(bits: int) -> int:
    """Largest code of a symmetric b-bit quantizer, :math:`2^{b-1}-1`."""
    if not isinstance(bits, (int, np.integer)) or bits < 2:
        raise ValueError(f"bits must be an integer >= 2, got {bits!r}")
    return 2 ** (int(bits) - 1) - 1


def channel_range(W: torch.Tensor, rho=1.0) -> torch.Tensor:
    """:math:`\\gamma_c=\\rho\\max_j\\lvert W_{cj}\\rvert` as a column (rows = output channels)."""
    if W.dim() != 2:
        raise ValueError(f"weights must be a matrix (out, in), got shape {tuple(W.shape)}")
    g = W.abs().amax(1, keepdim=True).clamp_min(torch.finfo(W.dtype).tiny)
    return g * (rho if torch.is_tensor(rho) else float(rho))


def levels(k: torch.Tensor, gamma: torch.Tensor, a, bits: int) -> torch.Tensor:
    """Dequantized value of code k: :math:`\\operatorname{sign}(k)\\gamma(\\lvert k\\rvert/
    q_{\\max})^{1/a}` (= :math:`f_{1/a}(s k)` with :math:`s=\\gamma^a/q_{\\max}`), by lookup in
    the :math:`q_{\\max}+1` levels of one channel of range 1."""
    q = qmax(bits)
    if float(a) == 1.0:                     # uniform: s k, as integer hardware would compute it
        return k * (gamma / q)
    table = (torch.arange(q + 1, dtype=gamma.dtype) / q) ** (1.0 / float(a))
    return torch.sign(k) * gamma * table[k.abs().long()]


def power_codes(W: torch.Tensor, a, bits: int, gamma: torch.Tensor) -> torch.Tensor:
    """Integer codes :math:`k=\\operatorname{clip}(\\lfloor f_a(W)/s\\rceil,\\pm q_{\\max})`."""
    q = qmax(bits)
    s = gamma.pow(a) / q                                            # s = γ^a / q_max
    return torch.clamp(torch.round(power(W, a) / s), -q, q)


def power_quantize(W: torch.Tensor, a, bits: int, rho=1.0) -> torch.Tensor:
    """Per-channel power quantization, dequantized (:math:`a=1`: uniform RTN)."""
    if not (float(a) > 0):
        raise ValueError(f"the exponent a must be positive, got {a}")
    gamma = channel_range(W, rho)
    return levels(power_codes(W, a, bits, gamma), gamma, a, bits)


def rho_values(cfg_grid) -> torch.Tensor:
    lo, hi, step = cfg_grid
    return torch.arange(lo, hi + step / 2, step, dtype=torch.float64)


def clipped_quantize(W: torch.Tensor, a, bits: int, rhos: torch.Tensor, *,
                     return_rho: bool = False):
    """Power quantization with a per-channel clipping ratio chosen by minimum weight MSE
    (``return_rho``: also the chosen ratio of each channel, a column). :math:`f_a(W)` is
    computed once; each ratio only rescales the step :math:`s=(\\rho\\gamma)^a/q_{\\max}`."""
    q = qmax(bits)
    fW = power(W, a)
    gamma = channel_range(W)
    best = torch.full((W.shape[0], 1), float("inf"), dtype=W.dtype)
    out = torch.empty_like(W)
    rho_best = torch.ones((W.shape[0], 1), dtype=W.dtype)
    for rho in rhos.tolist():
        g = gamma * rho
        k = torch.clamp(torch.round(fW / (g.pow(a) / q)), -q, q)          # Eq. 2 codes
        Wq = levels(k, g, a, bits)
        err = (W - Wq).pow(2).sum(1, keepdim=True)
        better = err < best
        best = torch.where(better, err, best)
        out = torch.where(better, Wq, out)
        rho_best = torch.where(better, torch.full_like(rho_best, rho), rho_best)
    return (out, rho_best) if return_rho else out


def sq_error(W: torch.Tensor, Wq: torch.Tensor) -> float:
    return float((W - Wq).pow(2).sum(dtype=torch.float64))


def a_values(step: float, lo: float = A_GRID[0], hi: float = A_GRID[1]) -> np.ndarray:
    return np.round(np.arange(lo, hi + step / 2, step), 6).tolist()


def search_exponent(Ws: list[torch.Tensor], bits: int, step: float = 0.025, coarse: float = 0.1
                    ) -> tuple[float, np.ndarray, np.ndarray]:
    """PowerQuant: one exponent for all layers minimising :math:`\\sum_\\ell\\lVert W_\\ell-
    \\tilde W_\\ell(a)\\rVert^2`, on a grid of step ``coarse`` over [0.2, 1] refined with
    ``step`` around its best point. Returns ``(a_star, grid, total_error(grid))``."""
    total = {}

    def err(a):
        if a not in total:
            total[a] = sum(sq_error(W, power_quantize(W, a, bits)) for W in Ws)
        return total[a]

    grid = a_values(coarse)
    best = min(grid, key=err)
    for a in a_values(step, max(A_GRID[0], best - coarse), min(A_GRID[1], best + coarse)):
        a = round(float(a), 6)
        err(float(a))
    grid = np.array(sorted(total))
    errs = np.array([total[a] for a in grid])
    return float(grid[int(np.argmin(errs))]), grid, errs


def per_layer_exponents(Ws: list[torch.Tensor], bits: int, step: float = 0.05) -> np.ndarray:
    """The data-free optimal exponent of each layer alone."""
    grid = a_values(step)
    return np.array([grid[int(np.argmin([sq_error(W, power_quantize(W, a, bits))
                                         for a in grid]))] for W in Ws])


def exactness_oracle(seed: int = 0, bits: int = 4) -> dict:
    """Max abs errors of the exact properties: Eq. 1's automorphism and inverse (float64), Eq. 2
    at a = 1 against ``torch.fake_quantize_per_channel_affine`` (float32, symmetric, zero point
    0), and the distance of every dequantized weight to the closed-form grid."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(10_000, generator=g, dtype=torch.float64)
    y = torch.randn(10_000, generator=g, dtype=torch.float64)
    a = 0.37
    W = torch.randn(64, 256, generator=g)
    q = qmax(bits)
    scale = (channel_range(W) / q).flatten()
    ref = torch.fake_quantize_per_channel_affine(W, scale, torch.zeros(64, dtype=torch.int32),
                                                 0, -q, q)
    Wq = power_quantize(W.double(), a, bits)
    grid = power(torch.arange(-q, q + 1, dtype=torch.float64)[None]
                 * (channel_range(W.double()).pow(a) / q), 1 / a)        # {f_{1/a}(k s)}
    on_grid = (Wq[:, :, None] - grid[:, None, :]).abs().amin(-1).max()
    return {"automorphism f_a(xy) − f_a(x)f_a(y)":
            float((power(x * y, a) - power(x, a) * power(y, a)).abs().max()),
            "inverse f_1/a(f_a(x)) − x": float((power(power(x, a), 1 / a) - x).abs().max()),
            "a = 1 vs torch fake_quantize": float((power_quantize(W, 1.0, bits) - ref).abs().max()),
            "distance to the closed-form grid": float(on_grid)}


# --------------------------------------------------------------------------------------
# Synthetic distributions
# --------------------------------------------------------------------------------------

DISTRIBUTIONS = ("Gaussian", "Laplace", "Student-t (3)")


def synthetic_weights(name: str, rows: int, cols: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if name == "Gaussian":
        return torch.randn(rows, cols, generator=g, dtype=torch.float64)
    if name == "Laplace":
        u = torch.rand(rows, cols, generator=g, dtype=torch.float64) - 0.5
        return -torch.sign(u) * torch.log1p(-2 * u.abs())
    if name == "Student-t (3)":
        z = torch.randn(rows, cols, generator=g, dtype=torch.float64)
        chi2 = torch.randn(rows, cols, 3, generator=g, dtype=torch.float64).pow(2).sum(-1)
        return z / torch.sqrt(chi2 / 3)
    raise ValueError(f"unknown distribution {name!r}; choose one of {DISTRIBUTIONS}")


def distribution_study(cfg: Config, seed: int, bits_list=(3, 4)) -> dict:
    """MSE(a) curves and the ratios of the best power quantizer to uniform, with and without a
    clipping search, for each synthetic distribution and bit-width."""
    rhos = rho_values(cfg.rho_grid)
    out = {}
    for j, name in enumerate(DISTRIBUTIONS):
        W = synthetic_weights(name, cfg.synth_rows, cfg.synth_cols, seed * 101 + j)
        for bits in bits_list:
            a_star, grid, err = search_exponent([W], bits, cfg.a_step)
            mse_pow, mse_uni = err.min() / W.numel(), err[-1] / W.numel()
            mse_uni_clip = sq_error(W, clipped_quantize(W, 1.0, bits, rhos)) / W.numel()
            a_clip = _best_clipped_exponent(W, bits, rhos, a_star)
            mse_pow_clip = a_clip[1] / W.numel()
            out[(name, bits)] = {
                "a_star": a_star, "grid": grid, "mse": err / W.numel(),
                "ratio": mse_pow / mse_uni, "a_star_clip": a_clip[0],
                "ratio_clip": mse_pow_clip / mse_uni_clip}
    return out


def _best_clipped_exponent(W, bits, rhos, a_star, width: float = 0.3, step: float = 0.05):
    """Power + clipping search: exponent on a coarse grid around the unclipped optimum and 1."""
    grid = sorted({*np.round(np.arange(max(A_GRID[0], a_star - width), 1.0 + 1e-9, step), 6),
                   1.0})
    errs = [sq_error(W, clipped_quantize(W, a, bits, rhos)) for a in grid]
    i = int(np.argmin(errs))
    return float(grid[i]), float(errs[i])


# --------------------------------------------------------------------------------------
# NUPES: learned codes over the whole grid, learned exponent and ranges
# --------------------------------------------------------------------------------------


class PowerQuantizedWeight(nn.Module):
    """Learnable power-quantized weight: latent codes ``u``, exponent logit ``theta``, log
    channel ranges ``log_gamma``. ``forward()`` returns the dequantized weight (hard codes)."""

    def __init__(self, W: torch.Tensor, a: float, bits: int, *, mode: str = "nupes", rho=1.0):
        super().__init__()
        if mode not in ("nupes", "rounding", "fixed-a"):
            raise ValueError(f"mode must be 'nupes', 'rounding' or 'fixed-a', got {mode!r}")
        if not A_BOX[0] < a < A_BOX[1]:
            raise ValueError(f"initial exponent {a} outside the box {A_BOX}")
        self.bits, self.mode, self.q = bits, mode, qmax(bits)
        gamma = channel_range(W, rho)
        v = power(W, a) / (gamma.pow(a) / self.q)                  # continuous codes f_a(W)/s
        self.u = nn.Parameter(v.clone())
        self.register_buffer("floor", torch.floor(v))
        p = (a - A_BOX[0]) / (A_BOX[1] - A_BOX[0])
        self.theta = nn.Parameter(torch.tensor(math.log(p / (1 - p)), dtype=W.dtype),
                                  requires_grad=mode == "nupes")
        self.log_gamma = nn.Parameter(gamma.log(), requires_grad=mode == "nupes")

    @property
    def a(self) -> torch.Tensor:
        return A_BOX[0] + (A_BOX[1] - A_BOX[0]) * torch.sigmoid(self.theta)

    def latent(self) -> torch.Tensor:
        if self.mode == "rounding":        # AdaRound's space: round down or up only
            return torch.minimum(torch.maximum(self.u, self.floor), self.floor + 1)
        return self.u

    def codes(self) -> torch.Tensor:
        return torch.clamp(torch.round(self.latent()), -self.q, self.q).detach()

    def table(self, offset: float = 0.0) -> torch.Tensor:
        """:math:`((\\lvert k\\rvert+\\text{offset})/q_{\\max})^{1/a}` for
        :math:`\\lvert k\\rvert=0..q_{\\max}`, clamped to [0, 1]; entry 0 of the plain table is
        0 with no gradient (the exponent's gradient never meets :math:`\\ln 0`)."""
        r = ((torch.arange(self.q + 1, dtype=self.u.dtype) + offset) / self.q).clamp(0, 1)
        safe = torch.where(r > 0, r, torch.ones_like(r))
        return torch.where(r > 0, safe.pow(1.0 / self.a), torch.zeros_like(r))

    def signed_table(self) -> torch.Tensor:
        """Levels of codes -q..q for a channel of range 1 (differentiable in a)."""
        t = self.table()
        return torch.cat([-t.flip(0)[:-1], t])

    def forward(self, soft: bool = False) -> torch.Tensor:
        """Hard: levels of the rounded codes. Soft: the piecewise-linear interpolation of the
        levels at the continuous codes (the relaxation that is optimised)."""
        gamma = self.log_gamma.exp()
        T = self.signed_table()
        if not soft:
            return gamma * T[(self.codes() + self.q).long()]             # = f_{1/a}(s k)
        u = torch.clamp(self.latent(), -self.q, self.q)
        lo = torch.clamp(torch.floor(u.detach()), max=self.q - 1)
        frac = u - lo
        i = (lo + self.q).long()
        return gamma * (T[i] + frac * (T[i + 1] - T[i]))

    def rounding_penalty(self, beta: float) -> torch.Tensor:
        """AdaRound's regulariser :math:`1-\\lvert 2h-1\\rvert^\\beta` on the fractional part."""
        u = self.latent()
        frac = u - torch.floor(u.detach())
        return (1 - (2 * frac - 1).abs().pow(beta)).mean()


def covariance_factor(X: torch.Tensor, rank: int | None, seed: int = 0
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(Z, d)`` with :math:`H=X^\\top X/N\\approx Z^\\top Z+\\operatorname{diag}(d)`: Z holds the
    top-``rank`` principal directions of X (scaled; a seeded randomized SVD with two power
    iterations), d the diagonal of the remainder (exact eigen-decomposition for
    ``rank=None``)."""
    n, dim = X.shape
    if rank is None or rank >= dim:
        H = X.T.double() @ X.double() / n
        evals, evecs = torch.linalg.eigh(H)
        Z = (evecs * evals.clamp_min(0).sqrt()).T
        return Z.to(X.dtype), torch.zeros(dim, dtype=X.dtype)
    Xd = X.double() / math.sqrt(n)
    g = torch.Generator().manual_seed(seed)
    Q = torch.linalg.qr(Xd @ torch.randn(dim, rank + 8, generator=g, dtype=Xd.dtype)).Q
    for _ in range(2):                                        # power iterations
        Q = torch.linalg.qr(Xd @ torch.linalg.qr(Xd.T @ Q).Q).Q
    _, S, Vh = torch.linalg.svd(Q.T @ Xd, full_matrices=False)
    top = S[:rank, None] * Vh[:rank]                            # rows: √λ_i v_i
    d = (Xd.pow(2).sum(0) - top.pow(2).sum(0)).clamp_min(0)    # diag(H) − diag(Z^T Z)
    return top.to(X.dtype), d.to(X.dtype)


def output_error(dW: torch.Tensor, Z: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """:math:`\\operatorname{tr}(\\Delta W H\\Delta W^\\top)`, the mean squared output error
    over the calibration inputs (summed over output channels)."""
    return (dW @ Z.T).pow(2).sum() + (dW.pow(2) * d).sum()


def nupes_layer(W: torch.Tensor, Z: torch.Tensor, d: torch.Tensor, a: float, bits: int, *,
                steps: int, lr_u: float, lr_theta: float, lr_gamma: float,
                mode: str = "nupes", lam: float = 0.1, warmup: float = 0.2, rho=1.0
                ) -> tuple[torch.Tensor, float, list[float]]:
    """Optimise one layer's quantized weight for output reconstruction (Eq. 4). The codes are
    relaxed to the piecewise-linear interpolation of the grid and pushed back to integers by
    AdaRound's annealed regulariser (weight ``lam``, β from 20 to 2 after ``warmup``); the
    hard-rounded weight with the lowest output error among the checkpoints (the start, every
    tenth step of the second half and the end) is returned, with its exponent and the hard
    loss curve at the checkpoints (relative to the start)."""
    qw = PowerQuantizedWeight(W, a, bits, mode=mode, rho=rho)
    groups = [{"params": [qw.u], "lr": lr_u}]
    if mode == "nupes":
        groups += [{"params": [qw.theta], "lr": lr_theta},
                   {"params": [qw.log_gamma], "lr": lr_gamma}]
    opt = torch.optim.Adam(groups)

    def hard():
        with torch.no_grad():
            Wq = qw()
            return float(output_error(Wq - W, Z, d)), Wq, float(qw.a)

    e0, best_W, best_a = hard()
    best, curve = e0, [1.0]
    norm = e0 if e0 > 0 else 1.0
    for t in range(steps):
        frac = t / max(steps - 1, 1)
        loss = output_error(qw(soft=True) - W, Z, d) / norm
        if frac >= warmup:
            beta = 20 + (2 - 20) * (frac - warmup) / (1 - warmup)
            loss = loss + lam * qw.rounding_penalty(beta)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (t + 1 == steps) or (frac >= 0.5 and (t + 1) % 10 == 0):
            e, Wq, a_t = hard()
            curve.append(e / norm)
            if e < best:
                best, best_W, best_a = e, Wq, a_t
    return best_W, best_a, curve


# --------------------------------------------------------------------------------------
# Quantizing a whole model
# --------------------------------------------------------------------------------------


def linear_layers(model: nn.Module, skip=("lm_head",)) -> dict[str, nn.Linear]:
    return {n: m for n, m in model.named_modules()
            if isinstance(m, nn.Linear) and not any(s in n for s in skip)}


def quantized_copy(model: nn.Module, weights: dict[str, torch.Tensor]) -> nn.Module:
    """A deep copy of ``model`` whose listed linear layers carry the given weights."""
    q = copy.deepcopy(model)
    layers = linear_layers(q)
    with torch.no_grad():
        for name, Wq in weights.items():
            layers[name].weight.copy_(Wq.to(layers[name].weight.dtype))
    return q


def data_free_methods(Ws: dict[str, torch.Tensor], bits: int, cfg: Config,
                      a_star: float | None = None, *, stride: int = 1, seed: int = 0
                      ) -> tuple[dict, float, dict]:
    """RTN and RTN with a clipping search (uniform), PowerQuant (one exponent searched on every
    ``stride``-th channel, Eq. 3) and PowerQuant with the same clipping search. Returns the
    quantized weights per method, the exponent and PowerQuant's chosen clipping ratios."""
    rhos = rho_values(cfg.rho_grid)
    if a_star is None:
        a_star = search_exponent(sub_rows(Ws, stride, seed), bits, cfg.a_step)[0]
    out = {"RTN": {n: power_quantize(W, 1.0, bits) for n, W in Ws.items()},
           "RTN + clipping": {n: clipped_quantize(W, 1.0, bits, rhos) for n, W in Ws.items()},
           "PowerQuant": {n: power_quantize(W, a_star, bits) for n, W in Ws.items()},
           "PowerQuant + clipping": {}}
    rho = {}
    for n, W in Ws.items():
        out["PowerQuant + clipping"][n], rho[n] = clipped_quantize(W, a_star, bits, rhos,
                                                                   return_rho=True)
    return out, a_star, rho


def collect_inputs(model: nn.Module, run, names, n_keep: int, seed: int,
                   mask_fn=None) -> dict[str, torch.Tensor]:
    """Inputs of the named linear layers on calibration data (``run()`` does the forward),
    ``n_keep`` rows sampled per layer (real tokens only when ``mask_fn`` gives a mask)."""
    layers = linear_layers(model)
    store, hooks = {}, []
    for n in names:
        def hook(mod, inp, out, n=n):
            store[n] = inp[0].detach().reshape(-1, inp[0].shape[-1])
        hooks.append(layers[n].register_forward_hook(hook))
    try:
        with torch.no_grad():
            run()
    finally:
        for h in hooks:
            h.remove()
    g = torch.Generator().manual_seed(seed)
    keep = None
    if mask_fn is not None:
        keep = mask_fn().reshape(-1).bool()
    out = {}
    for n, X in store.items():
        X = X[keep] if keep is not None else X
        if X.shape[0] > n_keep:
            X = X[torch.randperm(X.shape[0], generator=g)[:n_keep]]
        out[n] = X
    return out


def nupes_model(Ws: dict[str, torch.Tensor], Xs: dict[str, torch.Tensor], a_star: float,
                bits: int, cfg: Config, *, steps: int | None = None, mode: str = "nupes",
                rhos: dict | None = None, progress=None) -> tuple[dict, dict]:
    """NUPES on every layer (inputs of the full-precision model), started from the power
    quantizer at ``a_star`` with the per-channel clipping ratios ``rhos[name]`` (default 1).
    Returns the quantized weights and per-layer info (learned exponent, hard loss curve)."""
    steps = cfg.steps if steps is None else steps
    a0 = min(max(a_star, A_BOX[0] + 0.05), A_BOX[1] - 0.05)    # inside the exponent's box
    out, info = {}, {}
    factors = {}
    for n, W in Ws.items():
        X = Xs[n]
        key = id(X)
        if key not in factors:
            factors[key] = covariance_factor(X.to(W.dtype), cfg.rank)
        Z, d = factors[key]
        Wq, a, curve = nupes_layer(W, Z, d, a0, bits, steps=steps, lr_u=cfg.lr_u,
                                   lr_theta=cfg.lr_theta, lr_gamma=cfg.lr_gamma, mode=mode,
                                   rho=1.0 if rhos is None else rhos[n])
        out[n] = Wq
        info[n] = {"a": a, "curve": curve}
        if progress is not None:
            progress()
    return out, info


def layer_output_error(Ws, Wqs, Xs, n_rows: int = 512) -> float:
    """Mean over layers of :math:`\\lVert X(W-\\tilde W)^\\top\\rVert^2/
    \\lVert XW^\\top\\rVert^2` on the first ``n_rows`` calibration inputs of each layer."""
    tot = 0.0
    for n, W in Ws.items():
        X = Xs[n][:n_rows].to(W.dtype)
        tot += float((X @ (W - Wqs[n]).T).pow(2).sum() / (X @ W.T).pow(2).sum())
    return tot / len(Ws)


# --------------------------------------------------------------------------------------
# MiniLM: sentences, embeddings, cosine
# --------------------------------------------------------------------------------------


def pydoc_sentences(min_chars: int = 40, max_chars: int = 240) -> list[str]:
    """Prose sentences of Python's documentation topics (deterministic order)."""
    from pydoc_data.topics import topics

    out = []
    for key in sorted(topics):
        for para in re.split(r"\n\s*\n", topics[key]):
            if para.startswith(" ") or "   " in para or ">>>" in para:
                continue                                   # code blocks and tables
            text = " ".join(para.split())
            for s in re.split(r"(?<=[.!?])\s+", text):
                if min_chars <= len(s) <= max_chars and s[0].isupper():
                    out.append(s)
    return list(dict.fromkeys(out))


def split_sentences(cfg: Config, seed: int) -> tuple[list[str], list[str]]:
    """Disjoint calibration and evaluation sentences; the seed picks them."""
    sents = pydoc_sentences()
    need = cfg.n_calib + cfg.n_eval
    if len(sents) < need:
        raise ValueError(f"only {len(sents)} sentences, need {need}")
    idx = np.random.default_rng(seed).permutation(len(sents))[:need]
    return [sents[i] for i in idx[:cfg.n_calib]], [sents[i] for i in idx[cfg.n_calib:]]


def minilm_study(cfg: Config, seed: int, device="cpu", bits_list=(4, 3)) -> dict:
    """all-MiniLM-L6-v2: weight MSE, per-layer relative output error and the mean cosine
    between quantized and full-precision sentence embeddings, per method and bit-width.
    NUPES (and its rounding-only ablation) runs at ``cfg.nupes_bits``."""
    from ..models.bert import load_minilm, sentence_embeddings

    model, tok = load_minilm(device=device)
    calib, held_out = split_sentences(cfg, seed)

    def embed(m):
        return sentence_embeddings(m, tok, held_out, max_length=cfg.max_tokens)

    E0 = embed(model)
    Ws = {n: m.weight.detach() for n, m in linear_layers(model).items()}
    ids, mask = tok.batch(calib, max_length=cfg.max_tokens)
    ids, mask = ids.to(device), mask.to(device)
    Xs = collect_inputs(model, lambda: model(ids, mask), list(Ws), cfg.calib_tokens, seed,
                        mask_fn=lambda: mask)
    out = {"weights": Ws, "bits": {}, "n_calib_tokens": int(mask.sum())}
    for bits in bits_list:
        methods, a_star, rho = data_free_methods(Ws, bits, cfg, stride=cfg.row_stride,
                                                 seed=seed)
        res = {"a_star": a_star, "methods": {}}
        if bits in cfg.nupes_bits:
            methods["NUPES"], info = nupes_model(Ws, Xs, a_star, bits, cfg, rhos=rho)
            res["a_learned"] = np.array([v["a"] for v in info.values()])
            res["curves"] = [v["curve"] for v in info.values()]
            if cfg.ablation:
                methods["rounding only"], _ = nupes_model(Ws, Xs, a_star, bits, cfg,
                                                          mode="rounding", rhos=rho)
        for name, Wq in methods.items():
            cos = float((embed(quantized_copy(model, Wq)) * E0).sum(1).mean())
            res["methods"][name] = {
                "mse": sum(sq_error(Ws[n], Wq[n]) for n in Ws) / sum(W.numel()
                                                                   for W in Ws.values()),
                "out_err": layer_output_error(Ws, Wq, Xs), "cosine": cos}
        if bits == 4:
            res["a_layer"] = per_layer_exponents(sub_rows(Ws, cfg.row_stride, seed), bits)
        out["bits"][bits] = res
    return out


# --------------------------------------------------------------------------------------
# SmolLM2: weight error and perplexity
# --------------------------------------------------------------------------------------


@contextmanager
def swapped_weights(model: nn.Module, weights: dict[str, torch.Tensor]):
    """Temporarily give the named linear layers of ``model`` the given weights (in place)."""
    layers = linear_layers(model)
    saved = {n: layers[n].weight.detach().clone() for n in weights}
    try:
        with torch.no_grad():
            for n, Wq in weights.items():
                layers[n].weight.copy_(Wq)
        yield model
    finally:
        with torch.no_grad():
            for n, W in saved.items():
                layers[n].weight.copy_(W)


def perplexity(model, ids: torch.Tensor, length: int = 256) -> float:
    """exp(mean next-token cross-entropy) over consecutive blocks of ``length`` tokens."""
    n = (ids.numel() // length) * length
    if n == 0:
        raise ValueError(f"need at least {length} tokens, got {ids.numel()}")
    blocks = ids[:n].reshape(-1, length).to(model.device)
    with torch.no_grad():
        return float(torch.exp(model.loss(blocks)))


def llm_study(cfg: Config, seed: int, device="cpu") -> dict:
    """SmolLM2-135M: data-free exponent, weight MSE and perplexity of RTN, RTN + clipping and
    PowerQuant (and NUPES with ``cfg.llm_nupes``) at ``cfg.llm_bits``."""
    from ..data.text import load_corpus
    from ..models.smollm2 import load_smollm2

    model, _ = load_smollm2(device=device, source=cfg.llm_source)
    Ws = {n: m.weight.detach() for n, m in linear_layers(model).items()}
    val = load_corpus("pydoc").val
    g = np.random.default_rng(seed)
    start = int(g.integers(0, max(1, val.numel() - cfg.llm_eval_tokens)))
    ids = val[start:start + cfg.llm_eval_tokens]
    sub = sub_rows(Ws, cfg.llm_row_stride, seed)
    out = {"fp": perplexity(model, ids), "n_weights": sum(W.numel() for W in Ws.values()),
           "bits": {}}
    rhos = rho_values(cfg.llm_rho_grid)
    for bits in cfg.llm_bits:
        a_star, grid, err = search_exponent(sub, bits, cfg.a_step)
        res = {"a_star": a_star, "grid": grid, "err": err}
        methods = {"RTN": lambda W, b=bits: power_quantize(W, 1.0, b),
                   "RTN + clipping": lambda W, b=bits: clipped_quantize(W, 1.0, b, rhos),
                   "PowerQuant": lambda W, b=bits, a=a_star: power_quantize(W, a, b)}
        for name, fn in methods.items():
            Wq = {n: fn(W) for n, W in Ws.items()}
            res[name] = {"mse": sum(sq_error(Ws[n], Wq[n]) for n in Ws) / out["n_weights"]}
            with swapped_weights(model, Wq):
                res[name]["ppl"] = perplexity(model, ids)
            del Wq
        if cfg.llm_nupes:
            train = load_corpus("pydoc").train
            calib = train[start:start + cfg.llm_calib_tokens].reshape(1, -1).to(model.device)
            Xs = collect_inputs(model, lambda c=calib: model(c), list(Ws), cfg.llm_calib_tokens,
                                seed)
            Wq, _ = nupes_model(Ws, Xs, a_star, bits, cfg)
            res["NUPES"] = {"mse": sum(sq_error(Ws[n], Wq[n]) for n in Ws) / out["n_weights"]}
            with swapped_weights(model, Wq):
                res["NUPES"]["ppl"] = perplexity(model, ids)
        out["bits"][bits] = res
    return out


def sub_rows(Ws: dict, stride: int, seed: int) -> list[torch.Tensor]:
    """Every ``stride``-th output channel of each layer (offset by the seed): the exponent
    search of Eq. 3 is a sum over weights, which the subsample estimates."""
    return [W[seed % stride::stride] for W in Ws.values()]


# --------------------------------------------------------------------------------------
# Digits MLP
# --------------------------------------------------------------------------------------


def train_digits_mlp(cfg: Config, seed: int):
    """A 64-hidden-10 ReLU MLP trained with Adam (full batch) on 80 % of sklearn's digits."""
    from ..data.digits import load_digits

    data = load_digits(np.float32)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(data.n)
    n_tr = int(0.8 * data.n)
    x = torch.tensor(data.x / 16.0)
    y = torch.tensor(data.labels)
    tr, te = perm[:n_tr], perm[n_tr:]
    torch.manual_seed(seed)
    mlp = nn.Sequential(nn.Linear(64, cfg.mlp_hidden), nn.ReLU(), nn.Linear(cfg.mlp_hidden, 10))
    opt = torch.optim.Adam(mlp.parameters(), lr=1e-2)
    for _ in range(cfg.mlp_steps):
        loss = F.cross_entropy(mlp(x[tr]), y[tr])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return mlp.eval(), (x[tr], y[tr]), (x[te], y[te])


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def digits_study(cfg: Config, seed: int) -> dict:
    """Accuracy of the digits MLP quantized by RTN, clipped RTN, PowerQuant and NUPES."""
    mlp, (x_tr, y_tr), (x_te, y_te) = train_digits_mlp(cfg, seed)
    Ws = {n: m.weight.detach().double() for n, m in linear_layers(mlp).items()}
    Xs = collect_inputs(mlp, lambda: mlp(x_tr), list(Ws), 10**9, seed)
    Xs = {n: X.double() for n, X in Xs.items()}
    out = {"fp32": {b: accuracy(mlp, x_te, y_te) for b in cfg.mlp_bits}, "a_star": {}}
    for bits in cfg.mlp_bits:
        methods, a_star, rho = data_free_methods(Ws, bits, cfg)
        methods["NUPES"] = nupes_model(Ws, Xs, a_star, bits, cfg, rhos=rho,
                                       steps=cfg.mlp_nupes_steps)[0]
        out["a_star"][bits] = a_star
        for m, Wq in methods.items():
            out.setdefault(m, {})[bits] = accuracy(quantized_copy(mlp, Wq), x_te, y_te)
    return out
