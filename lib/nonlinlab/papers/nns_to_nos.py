r"""Berner, Liu-Schiaffini, Kossaifi, Duruisseaux, Bonev, Azizzadenesheli & Anandkumar (2025),
*Principled Approaches for Extending Neural Architectures to Function Spaces for Operator
Learning* (arXiv:2506.10973).

What is implemented (official code ``neuraloperator/NNs-to-NOs``: ``models/unet_kernel_interp.py``
= the kernel-interpolated convolution, ``evaluate_input_output_interpolation.py`` = the
input–output interpolation baseline, ``utilities.py`` = Fourier ``resize`` and the absolute
:math:`L^p` training loss, ``configs/*.yaml`` = hyper-parameters)
---------------------------------------------------------------------------------------------

**Principle.** A layer of a neural operator must be the discretisation of an operator between
function spaces, so that the same parameters give (approximately) the same function on any
grid. A convolution written as an integral operator

.. math:: (\mathcal K v)(x) = \int_\Omega \kappa(x-y)\,v(y)\,dy
          \approx \sum_j \kappa(x-y_j)\,v(y_j)\,h \qquad (1)

is such a layer *if* the kernel :math:`\kappa` has a fixed support in physical units and the
quadrature weight :math:`h` follows the grid. A CNN's :math:`k`-tap kernel is instead fixed
in *pixels*: at a finer grid its support shrinks, and the layer tends to
:math:`(\sum_j w_j)\,v(x)`, a pointwise map.

**Kernel interpolation (CNN → neural operator, official ``InterpConv2d``, here in 1-D).** The
kernel :math:`w\in\mathbb R^{C_{out}\times C_{in}\times k}` learned at the base resolution
:math:`N_0` is resampled, when the input has :math:`N = sN_0` points, to
:math:`k_s = s(k-1)+1` taps by linear interpolation (official: bilinear ``F.interpolate``,
``align_corners=False``), divided by the quadrature ratio :math:`k_s/k` (official: new kernel
area over old kernel area), and the padding is scaled by :math:`s`:

.. math:: w^{(s)} = \frac{k}{k_s}\,\mathrm{interp}_{k\to k_s}(w),\qquad p^{(s)} = s\,p. \qquad (2)

The trained weights are unchanged: conversion is a change of *how* the layer is discretised,
and at :math:`N=N_0` the converted network is the original one.

**Spectral convolution (FNO).** :math:`v\mapsto\mathcal F^{-1}(R\cdot\mathcal F v)` with a
fixed number of Fourier modes — a global integral operator whose parameters live on
frequencies, not grid points (the shared :class:`~nonlinlab.models.operators.FNO1d`; not
re-implemented here).

**Input–output interpolation (official ``InputOutputInterpolate``).** Resample the input to
the training grid, apply the fixed-resolution network, resample its output back — here with
the official Fourier ``resize`` (exact for band-limited periodic data; the official default
is bilinear).

**Data (ours; the paper uses 2-D Navier–Stokes from Zenodo).** The 1-D viscous Burgers
operator :math:`\mathcal G: u_0\mapsto u(\cdot,T)` on the periodic interval :math:`[0,2\pi)`,
:math:`u_t + u u_x = \nu u_{xx}`, solved at run time by the shared pseudo-spectral solver
:func:`nonlinlab.data.pde.burgers`. Initial conditions are random Fourier series with
``ic_modes`` modes and spectrum :math:`\propto(1+(k/3)^2)^{-1}` — band-limited, so every grid
samples the same function. Test sets at every resolution are nested subsamples of one solve on
the finest grid. The map has a physical length scale (advection by :math:`|u|T`, diffusion by
:math:`\sqrt{2\nu T}`), which is what a fixed-pixel kernel loses.

**Training (configs, shrunk).** Official: Adam, lr 5e-4, weight decay 1e-4, StepLR
(:math:`\gamma=0.5`), 10 000 samples, 300–500 epochs, batch 16; training loss = absolute
:math:`L^2` norm with the quadrature weight, squared and summed over the batch
(``LpLossAbs``), input normalised, output not; evaluation = relative :math:`L^2`. We keep the
loss, the normalisation, Adam with weight decay, batch 16, the step schedule, the training
resolution :math:`N_0=128` and the U-Net kernel size 9, but train for far fewer steps with
lr 1e-3 (a few hundred steps instead of ~300 000) and a plain 4-layer CNN (no U-Net).

Where paper and official code differ, we follow the code: the quadrature factor of (2) is
:math:`k/k_s` (exact for a constant kernel), not the :math:`1/s` of the continuous
derivation; they agree at :math:`s=1` and differ by at most :math:`k/(k-1)` as :math:`s\to\infty`.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, progress, require
from ..data.pde import burgers, periodic_grid
from ..models.operators import FNO1d

TWO_PI = 2 * math.pi

# --------------------------------------------------------------------------------------
# Paper numbers and official defaults
# --------------------------------------------------------------------------------------

#: Official single-resolution setup (``configs/*.yaml``): 2-D Navier–Stokes, train at 128.
OFFICIAL = {"train_res": 128, "test_res": (64, 128, 256, 512, 1024), "n_train": 10_000,
            "lr": 5e-4, "weight_decay": 1e-4, "batch": 16, "gamma": 0.5,
            "epochs_fno": 500, "epochs_unet": 301, "unet_kernel": 9}
PAPER_CLAIMS = {
    "fno": "FNO error roughly constant over test resolutions 64-1024 (train at 128)",
    "converted": "kernel-interpolated CNN/U-Net keeps its error across resolutions",
    "plain": "unmodified CNN/U-Net degrades strongly away from the training resolution",
    "io": "input-output interpolation: a reasonable, simple alternative baseline",
}
MODELS = ("CNN", "CNN, kernel-interpolated", "CNN, input-output interp.", "FNO")

def _scale(n: int, base: int, kernel: int) -> float:
    """``s = N/N0``; ``ValueError`` unless the interpolated kernel size ``s(k-1)+1`` and the
    padding ``s(k-1)/2`` are whole numbers."""
    s = n / base
    if s <= 0 or abs(s * (kernel - 1) / 2 - round(s * (kernel - 1) / 2)) > 1e-9:
        raise ValueError(f"cannot resample a {kernel}-tap kernel from a {base}-point grid to a "
                         f"{n}-point grid: s(k-1)/2 must be a whole number")
    return s


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    nu: float = 0.05              # viscosity
    T: float = 0.5                # final time of the operator u0 -> u(T)
    ic_modes: int = 8             # Fourier modes of the initial conditions
    ic_rms: float = 0.6           # root-mean-square amplitude of u0
    n_train: int = 1000
    n_test: int = 200
    train_res: int = 128          # N0 (official: 128)
    test_res: tuple = (64, 128, 256, 512)
    train_solve_res: int = 256    # grid of the training solves (subsampled to N0)
    width: int = 24               # CNN and FNO channels
    n_layers: int = 4
    kernel: int = 9               # CNN taps at N0 (official U-Net: 9)
    modes: int = 16               # FNO Fourier modes
    steps: int = 600
    batch: int = 16               # official
    lr: float = 1e-3
    weight_decay: float = 1e-4
    lr_halvings: int = 3          # StepLR with gamma 0.5, this many times over training
    kernel_demo_res: tuple = (128, 256, 512, 1024)

    def check(self) -> None:
        require(self.nu > 0 and self.T > 0, "nu and T must be positive")
        require(self.ic_modes >= 1 and self.ic_rms > 0, "need ic_modes >= 1 and ic_rms > 0")
        require(self.n_train >= self.batch >= 1 and self.n_test >= 1, "bad sample counts")
        require(self.train_res in self.test_res, "the training resolution must be tested")
        require(self.kernel % 2 == 1 and self.kernel >= 3, "kernel must be odd and >= 3")
        require(min(self.test_res) // 2 + 1 >= self.modes,
                "the coarsest test grid must hold the FNO's modes")
        require(2 * self.ic_modes < min(self.test_res), "initial conditions must be resolved")
        fine = max(self.test_res)
        require(all(fine % n == 0 for n in self.test_res), "test grids must nest in the finest")
        require(self.train_solve_res % self.train_res == 0, "train grid must nest")
        for n in (*self.test_res, *self.kernel_demo_res):
            _scale(n, self.train_res, self.kernel)   # raises on a grid we cannot interpolate to
        require(self.steps >= 1 and self.lr > 0, "need steps >= 1 and lr > 0")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(n_train=4000, n_test=500, test_res=(64, 128, 256, 512, 1024, 2048),
                width=64, steps=8000, lr_halvings=6, train_solve_res=512,
                kernel_demo_res=(128, 256, 512, 1024, 2048)),
)


def n_params(cfg: Config) -> dict:
    """Trainable parameters of the two trained networks."""
    return {k: sum(p.numel() * (2 if p.is_complex() else 1) for p in m.parameters())
            for k, m in (("CNN", CNN1d(cfg)), ("FNO", make_fno(cfg)))}


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper: multiply-adds of the training steps and the evaluations.

    CNN: ``2·B·N0·w²·k`` flops per conv layer forward; FNO: ``2·B·N0·w²`` (pointwise) plus the
    mode mixing ``8·B·modes·w²`` per layer; ×3 for the backward pass. ci: ~20 GFLOP/s
    effective on one CPU core plus ~11 ms of Python/autograd/
    Adam overhead per step of each model (measured on a loaded 2-core machine: 17 s of CPU
    time for both trainings and all evaluations); full: a GPU at ~1 TFLOP/s with ~4 ms per
    step. Evaluation: the interpolated kernels have ``k·N/N0`` taps. Data: the batched
    solver costs ~0.1 µs per grid point and time step on the CPU (both profiles)."""
    ci = cfg.steps * cfg.width <= 50_000
    rate, overhead = (2e10, 1.1e-2) if ci else (1e12, 4e-3)
    B, N0, w = cfg.batch, cfg.train_res, cfg.width
    cnn = 3 * cfg.n_layers * 2 * B * N0 * w * w * cfg.kernel
    fno = 3 * cfg.n_layers * (2 * B * N0 * w * w + 8 * B * cfg.modes * w * w)
    train = cfg.steps * ((cnn + fno) / rate + 2 * overhead)
    evals = sum(2 * cfg.n_test * n * cfg.n_layers * w * w * cfg.kernel * max(1, n / N0)
                for n in cfg.test_res) / rate
    fine = max(cfg.test_res)
    data = 1e-7 * (cfg.T / _dt(cfg, fine) * cfg.n_test * fine
                     + cfg.T / _dt(cfg, cfg.train_solve_res) * cfg.n_train * cfg.train_solve_res)
    return train + evals + data + 1.0


# --------------------------------------------------------------------------------------
# Data: Burgers u0 -> u(T), periodic, at run time
# --------------------------------------------------------------------------------------


def _dt(cfg: Config, n: int) -> float:
    """Time step of the solver on an ``n``-point grid: advective CFL number 1 with 4·rms as
    the speed (integrating-factor RK4 is stable to about 2.8/(k_max |u|) with the diffusion
    integrated exactly; the tests check the step against one four times smaller)."""
    return min(0.02, (TWO_PI / n) / (4 * cfg.ic_rms))


def initial_conditions(cfg: Config, n_samples: int, rng: np.random.Generator):
    """Fourier coefficients ``(a_k, b_k)``, ``k = 1..ic_modes``, of random band-limited initial
    conditions ``u0 = Σ a_k cos kx + b_k sin kx`` with spectrum ``∝ (1 + (k/3)²)^{-1}`` and
    expected rms ``ic_rms`` (zero mean: Burgers conserves it)."""
    k = np.arange(1, cfg.ic_modes + 1)
    sd = 1 / (1 + (k / 3) ** 2)
    sd = sd * cfg.ic_rms / np.sqrt(0.5 * 2 * (sd ** 2).sum())   # E[rms²] = Σ σ_k² (cos & sin)
    return rng.normal(size=(n_samples, 2, cfg.ic_modes)) * sd


def sample_ic(coef: np.ndarray, n: int) -> np.ndarray:
    """Evaluate the Fourier series of :func:`initial_conditions` on :func:`periodic_grid`."""
    x = periodic_grid(n)
    k = np.arange(1, coef.shape[-1] + 1)
    return coef[:, 0] @ np.cos(np.outer(k, x)) + coef[:, 1] @ np.sin(np.outer(k, x))


def solve(cfg: Config, coef: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(u0, u(T))`` on ``n`` points for a batch of initial conditions (shared solver)."""
    u0 = sample_ic(coef, n)
    return u0, burgers(u0, [cfg.T], nu=cfg.nu, dt=_dt(cfg, n))[0]


def make_data(cfg: Config, seed: int) -> dict:
    """Training pairs at ``train_res`` and nested test pairs at every ``test_res``.

    Returns float32 tensors ``{"train": (u0, uT), "test": {N: (u0, uT)}}`` of shape
    ``(samples, N)``."""
    rng = np.random.default_rng([seed, 7077])
    c_tr = initial_conditions(cfg, cfg.n_train, rng)
    c_te = initial_conditions(cfg, cfg.n_test, rng)
    u0, uT = solve(cfg, c_tr, cfg.train_solve_res)
    st = cfg.train_solve_res // cfg.train_res
    fine = max(cfg.test_res)
    v0, vT = solve(cfg, c_te, fine)
    f32 = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)  # noqa: E731
    return {"train": (f32(u0[:, ::st]), f32(uT[:, ::st])),
            "test": {n: (f32(v0[:, ::fine // n]), f32(vT[:, ::fine // n]))
                     for n in cfg.test_res}}


# --------------------------------------------------------------------------------------
# Kernel-interpolated convolution (CNN -> neural operator)
# --------------------------------------------------------------------------------------


def interpolate_kernel(weight: torch.Tensor, s: float) -> tuple[torch.Tensor, int]:
    """Eq. (2): the ``(C_out, C_in, k)`` kernel resampled to ``k_s = s(k-1)+1`` taps (linear,
    ``align_corners=False`` as the official bilinear resize) and divided by ``k_s/k``; returns
    it with the scaled padding ``s(k-1)/2``."""
    k = weight.shape[-1]
    if s == 1:
        return weight, (k - 1) // 2
    ks = int(round(s * (k - 1))) + 1                                 # k_s = s(k-1)+1
    w = F.interpolate(weight, size=ks, mode="linear", align_corners=False)
    return w * (k / ks), (ks - 1) // 2                               # quadrature: ÷ k_s/k


class InterpConv1d(nn.Conv1d):
    """A periodic (circular-padded) ``k``-tap convolution learned on ``base_res`` points.

    ``interpolate=False``: the plain CNN layer (kernel fixed in pixels, at any grid).
    ``interpolate=True``: the kernel-interpolated layer of eq. (2) (fixed physical support)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, base_res: int):
        super().__init__(in_channels, out_channels, kernel)
        self.base_res = base_res
        self.interpolate = False

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        n = v.shape[-1]
        if self.interpolate:
            w, pad = interpolate_kernel(self.weight, _scale(n, self.base_res,
                                                            self.kernel_size[0]))
        else:
            w, pad = self.weight, (self.kernel_size[0] - 1) // 2
        return F.conv1d(F.pad(v, (pad, pad), mode="circular"), w, self.bias)   # eq. (1)


class CNN1d(nn.Module):
    """Plain CNN: pointwise lifting of ``(u0, x/2π)``, ``n_layers`` × (k-tap conv, GELU),
    pointwise 2-layer projection. Input ``(B, N)``, output ``(B, N)``."""

    def __init__(self, cfg: Config):
        super().__init__()
        w = cfg.width
        self.lift = nn.Conv1d(2, w, 1)
        self.convs = nn.ModuleList(InterpConv1d(w, w, cfg.kernel, cfg.train_res)
                                   for _ in range(cfg.n_layers))
        self.project = nn.Sequential(nn.Conv1d(w, 128, 1), nn.GELU(), nn.Conv1d(128, 1, 1))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        if u.dim() != 2:
            raise ValueError(f"expected (B, N) samples, got {tuple(u.shape)}")
        B, N = u.shape
        x = torch.arange(N, dtype=u.dtype, device=u.device).div(N).expand(B, N)
        v = self.lift(torch.stack([u, x], 1))     # grid in physical units at every N
        for conv in self.convs:
            v = F.gelu(conv(v))
        return self.project(v)[:, 0]


def to_neural_operator(cnn: CNN1d, interpolate: bool = True) -> CNN1d:
    """The converted network: a copy with the same weights whose convolutions use kernel
    interpolation (official ``UNet_kernel_interpolate``)."""
    out = copy.deepcopy(cnn)
    for m in out.modules():
        if isinstance(m, InterpConv1d):
            m.interpolate = interpolate
    return out


class FNOWrap(nn.Module):
    """The shared :class:`FNO1d` on ``(B, N)`` samples."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.fno = FNO1d(modes=cfg.modes, width=cfg.width, n_layers=cfg.n_layers)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.fno(u[..., None])[..., 0]


class PixelConv1d(nn.Module):
    """Sabotage only: a fixed-grid ``k``-tap periodic convolution in place of a spectral
    layer (same call signature as :class:`SpectralConv1d`)."""

    def __init__(self, width: int, kernel: int):
        super().__init__()
        self.conv = nn.Conv1d(width, width, kernel)
        self.pad = (kernel - 1) // 2

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(v, (self.pad, self.pad), mode="circular"))


def make_fno(cfg: Config, spectral: str = "fourier") -> FNOWrap:
    """The FNO; ``spectral="pixel"`` replaces every spectral layer by a fixed-grid conv
    (the sabotage that should make its resolution robustness fail)."""
    if spectral not in ("fourier", "pixel"):
        raise ValueError(f"spectral must be 'fourier' or 'pixel', got {spectral!r}")
    net = FNOWrap(cfg)
    if spectral == "pixel":
        net.fno.spectral = nn.ModuleList(PixelConv1d(cfg.width, cfg.kernel)
                                         for _ in range(cfg.n_layers))
    return net


# --------------------------------------------------------------------------------------
# Input–output interpolation, losses, training, evaluation
# --------------------------------------------------------------------------------------


def fourier_resize(v: torch.Tensor, n: int) -> torch.Tensor:
    """Trigonometric resampling of periodic samples ``(..., N)`` to ``n`` points (official
    ``resize``: keep the common low frequencies, zero-pad or truncate). The Nyquist mode of
    an even grid is halved when it becomes an interior mode (and an interior mode that becomes
    the Nyquist mode takes both ±n/2 halves), so up- then down-sampling returns the input."""
    m = v.shape[-1]
    if m == n:
        return v
    vh = torch.fft.rfft(v, norm="forward")
    out = vh.new_zeros(*v.shape[:-1], n // 2 + 1)
    keep = min(m, n) // 2 + 1
    out[..., :keep] = vh[..., :keep]
    if n > m and m % 2 == 0:
        out[..., m // 2] *= 0.5                   # the real Nyquist mode splits into ±m/2
    if n < m and n % 2 == 0:
        out[..., n // 2] = 2 * out[..., n // 2].real   # ±n/2 fold onto the new Nyquist mode
    return torch.fft.irfft(out, n=n, norm="forward")


class InputOutputInterp(nn.Module):
    """Official ``InputOutputInterpolate``: resize to ``train_res``, apply, resize back."""

    def __init__(self, model: nn.Module, train_res: int):
        super().__init__()
        self.model, self.train_res = model, train_res

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        n = u.shape[-1]
        return fourier_resize(self.model(fourier_resize(u, self.train_res)), n)


def abs_l2_sq(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Training loss (official ``LpLossAbs``): ``Σ_batch h·Σ_j (pred−target)²`` with
    ``h = 2π/N`` — the squared absolute L² norm by quadrature, summed over the batch."""
    h = TWO_PI / pred.shape[-1]
    return (h * (pred - target).pow(2).sum(-1)).sum()


def rel_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Relative L² error per sample, ``‖pred−target‖/‖target‖`` (evaluation metric)."""
    return (pred - target).norm(dim=-1) / target.norm(dim=-1)


class Normalized(nn.Module):
    """``encode_input``: the input divided by the training inputs' standard deviation (zero
    mean by construction); the output is not encoded (official configs)."""

    def __init__(self, net: nn.Module, std: float):
        super().__init__()
        self.net, self.std = net, float(std)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.net(u / self.std)


def train_model(net: nn.Module, data: dict, cfg: Config, seed: int, device=None,
                desc: str = "train") -> tuple[Normalized, list[float]]:
    """Adam + weight decay + StepLR(γ=0.5) on the absolute L² loss, minibatches of
    ``batch`` drawn without replacement per epoch. Returns the normalised model and the loss
    curve (per sample)."""
    device = device or torch.device("cpu")
    u0, uT = (t.to(device) for t in data["train"])
    model = Normalized(net, float(data["train"][0].std())).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step_size = max(1, cfg.steps // (cfg.lr_halvings + 1))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=0.5)
    g = torch.Generator().manual_seed(seed)
    perm, pos, curve = torch.randperm(len(u0), generator=g), 0, []
    for _ in progress(range(cfg.steps), desc=desc):
        if pos + cfg.batch > len(perm):
            perm, pos = torch.randperm(len(u0), generator=g), 0
        idx = perm[pos:pos + cfg.batch].to(device)
        pos += cfg.batch
        loss = abs_l2_sq(model(u0[idx]), uT[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        curve.append(loss.item() / cfg.batch)
    model.eval()
    return model, curve


@torch.no_grad()
def evaluate(model: nn.Module, data: dict, device=None, chunk: int = 100) -> dict:
    """Mean relative L² error at every test resolution."""
    device = device or torch.device("cpu")
    out = {}
    for n, (u0, uT) in data["test"].items():
        errs = [rel_l2(model(u0[i:i + chunk].to(device)), uT[i:i + chunk].to(device))
                for i in range(0, len(u0), chunk)]
        out[n] = float(torch.cat(errs).mean())
    return out


def resolution_experiment(cfg: Config, seed: int, device=None, *, interpolate: bool = True,
                          quadrature: bool = True, spectral: str = "fourier") -> dict:
    """Train the CNN and the FNO at ``train_res``; test the CNN plain, kernel-interpolated and
    with input–output interpolation, and the FNO, at every ``test_res``.

    ``interpolate=False`` / ``quadrature=False`` / ``spectral="pixel"`` are the sabotages:
    the 'converted' CNN keeps pixel kernels, or drops the ``k/k_s`` factor of eq. (2), or the
    FNO's spectral layers become fixed-grid convolutions."""
    data = make_data(cfg, seed)
    torch.manual_seed(seed)
    cnn, curve_cnn = train_model(CNN1d(cfg), data, cfg, seed, device, desc="CNN")
    torch.manual_seed(seed + 1)
    fno, curve_fno = train_model(make_fno(cfg, spectral), data, cfg, seed, device, desc="FNO")
    converted = Normalized(to_neural_operator(cnn.net, interpolate), cnn.std)
    if not quadrature:
        for m in converted.modules():
            if isinstance(m, InterpConv1d):
                m.forward = _no_quadrature_forward(m)
    models = {"CNN": cnn, "CNN, kernel-interpolated": converted,
              "CNN, input-output interp.": InputOutputInterp(cnn, cfg.train_res), "FNO": fno}
    err = {name: evaluate(m, data, device) for name, m in models.items()}
    return {"err": err, "models": models, "data": data,
            "curves": {"CNN": curve_cnn, "FNO": curve_fno}}


def _no_quadrature_forward(m: InterpConv1d):
    """Sabotage: the interpolated kernel without the ``k/k_s`` quadrature factor."""
    def forward(v):
        s = _scale(v.shape[-1], m.base_res, m.kernel_size[0])
        w, pad = interpolate_kernel(m.weight, s)
        w = w * (w.shape[-1] / m.kernel_size[0])
        return F.conv1d(F.pad(v, (pad, pad), mode="circular"), w, m.bias)
    return forward


# --------------------------------------------------------------------------------------
# Untrained discretisation checks
# --------------------------------------------------------------------------------------


def bumps(n: int, centres, width: float) -> torch.Tensor:
    """Periodic Gaussian bumps of the given physical ``width`` on ``[0, 2π)``, one row each."""
    x = torch.as_tensor(periodic_grid(n), dtype=torch.float64)
    c = torch.as_tensor(np.asarray(centres, dtype=np.float64))[:, None]
    d = torch.remainder(x[None] - c + math.pi, TWO_PI) - math.pi
    return torch.exp(-0.5 * (d / width) ** 2)


@torch.no_grad()
def kernel_convergence(cfg: Config, seed: int, width: float = 0.3) -> dict:
    """A random untrained ``k``-tap layer (1 → 1 channel) on smooth periodic bumps (``width``
    rad) at every ``kernel_demo_res``, plain and kernel-interpolated, with the base resolution
    ``train_res``. Returns, for both, the change of the output from the first grid,
    ``‖y_N − y_{N_1}‖/‖y_{N_1}‖`` on the shared points, for every later grid ``N``."""
    g = torch.Generator().manual_seed(seed)
    conv = InterpConv1d(1, 1, cfg.kernel, cfg.train_res).double()
    conv.weight.copy_(torch.randn(1, 1, cfg.kernel, generator=g, dtype=torch.float64))
    conv.bias.zero_()
    centres = torch.rand(4, generator=g, dtype=torch.float64).numpy() * TWO_PI
    base = min(cfg.kernel_demo_res)
    out = {}
    for interp in (False, True):
        conv.interpolate = interp
        ys = [conv(bumps(n, centres, width)[:, None])[:, 0, ::n // base]
              for n in cfg.kernel_demo_res]
        out["interp" if interp else "plain"] = [float((y - ys[0]).norm() / ys[0].norm())
                                                for y in ys[1:]]
    return out


@torch.no_grad()
def spectral_agreement(cfg: Config, seed: int, n_lo: int = 64, n_hi: int = 256) -> float:
    """Max abs. difference between a random spectral layer's output at ``n_hi`` (subsampled)
    and at ``n_lo`` for an input band-limited below ``modes`` (float32): the layer maps the
    same function to the same function on both grids."""
    from ..models.operators import SpectralConv1d
    torch.manual_seed(seed)
    layer = SpectralConv1d(4, 4, cfg.modes)
    g = torch.Generator().manual_seed(seed)
    coef = torch.randn(2, 4, cfg.modes - 1, 2, generator=g)
    k = torch.arange(1, cfg.modes)

    def sample(n):
        x = torch.arange(n) * (TWO_PI / n)
        return (coef[..., 0, None] * torch.cos(k[:, None] * x)
                + coef[..., 1, None] * torch.sin(k[:, None] * x)).sum(-2)
    hi, lo = layer(sample(n_hi)), layer(sample(n_lo))
    return float((hi[..., ::n_hi // n_lo] - lo).abs().max())
