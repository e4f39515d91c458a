r"""Mansfield, Afkanpour, Morningstar & Singhal (NeurIPS 2023 workshop NeurReps, PMLR 228, 2024),
*Random Field Augmentations for Self-Supervised Representation Learning* (arXiv:2311.03629).

What is implemented (no official code was found; the paper's text and Fig. 2 were followed)
-------------------------------------------------------------------------------------------

**Gaussian random fields.** Every parameter of a transformation becomes a function of the
pixel position, an independent stationary Gaussian random field of zero mean, pointwise
standard deviation ``a`` (the *amplitude*) and squared-exponential correlation of length
``ℓ`` pixels, :math:`\mathrm{Cov}[\phi(u),\phi(u')] = a^2\exp(-\lVert u-u'\rVert^2/2\ell^2)`
(the shared :func:`nonlinlab.models.ssl.gaussian_random_field`: white noise low-passed in
Fourier space, periodic, renormalised to unit variance).

**Local spatial transformation** (the paper's rotation, scale, shear and translation fields).
On the normalised sampling grid :math:`u\in[-1,1]^2` the output pixel at :math:`u` is read
from the input at

.. math:: u' = R(\theta(u))\,\mathrm{Sh}(h(u))\,e^{s(u)}\,u + t(u)

(bilinear ``grid_sample``, zero padding = the digits' black background): rotation
:math:`\theta` in radians, log-scale :math:`s`, shear :math:`h`, translation :math:`t` in
pixels. Constant fields are a global affine warp (equal to ``affine_grid`` to rounding; tested).

**Local colour transformation** (the paper's hue, saturation and brightness fields). In HSV,
:math:`H' = H + \Delta h(u) \bmod 1`, :math:`S' = \mathrm{clip}(S e^{\Delta s(u)})`,
:math:`V' = \mathrm{clip}(V e^{\Delta v(u)})`; a one-channel image has only brightness.
Constant fields are a global hue/saturation/brightness change (tested against matplotlib's HSV).

**SimCLR with random-field augmentations.** Each image gives two views; a view is the standard
SimCLR pipeline (random resized crop, brightness/contrast jitter; no flip for digits) followed,
with probability ``rf_prob``, by the random-field spatial and colour transforms. Encoder →
MLP projection head → NT-Xent (:func:`nonlinlab.models.ssl.info_nce`); evaluation is a linear
probe on the frozen encoder features (the head removed), in distribution (MNIST test digits)
and out of distribution (transfer to scikit-learn's 8×8 digits, placed like MNIST).

**Where this differs from the paper.** The paper trains a ResNet-50 with SimCLR on ImageNet
and probes ImageNet and iNaturalist with all labels; here a small CNN on 4,000 MNIST digits,
and the probes that separate the representations at this scale use few labels per class
(10 on MNIST, 5 on the digits transfer task, mean over paired label draws) — the all-label
MNIST probe saturates at 96–97 % and is reported.

Not recoverable from the paper's text: its exact field parameterisation and amplitudes (Fig. 2
shows one example per field), the application probability and the per-field grid of its
sensitivity study; they are config values here, calibrated on seeds 0–4.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..models import ssl

# --------------------------------------------------------------------------------------
# Paper numbers (abstract; SimCLR ResNet-50 on ImageNet, linear evaluation)
# --------------------------------------------------------------------------------------

#: top-1 gain (percentage points) of random-field augmentations over the SimCLR baseline.
PAPER_GAIN_IMAGENET = 1.7
#: top-1 gain on out-of-distribution iNaturalist downstream classification.
PAPER_GAIN_INATURALIST = 3.6

SPATIAL = ("rotation", "log_scale", "shear", "translation")
COLOUR = ("hue", "saturation", "value")

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    n_per_class: int = 500       # of the 500 real MNIST digits per class (80 % train, 20 % test)
    width: int = 16              # encoder channels: width, 2·width → flattened → feat_dim
    feat_dim: int = 128          # representation (probe input)
    proj_dim: int = 64           # projection head output
    steps: int = 150             # SimCLR steps per augmentation setting
    batch: int = 128             # images per step (2·batch views)
    lr: float = 1e-3             # Adam
    tau: float = 0.2             # NT-Xent temperature
    crop_min: float = 0.5        # random resized crop area in [crop_min, 1]
    jitter: float = 0.4          # brightness / contrast jitter strength
    rf_prob: float = 1.0         # probability that a view gets the random-field transforms
    length: float = 5.0          # field length scale ℓ (pixels), mild
    rotation: float = 0.15       # field amplitudes (pointwise std), mild: radians
    log_scale: float = 0.08      #   log-scale
    shear: float = 0.1           #   shear
    translation: float = 1.0     #   pixels
    value: float = 0.2           #   log-brightness (the colour field of a grey image)
    strong_gain: float = 4.0     # strong setting = amplitudes × strong_gain at length / 2.5
    strong_length_div: float = 2.5
    shots: int = 10              # labelled MNIST images per class of the label-efficient probe
    ood_shots: int = 5           # labelled digits per class of the transfer probe
    draws: int = 10              # label draws averaged
    ood_train: int = 1000        # digits images available to the transfer probe (rest: test)
    probe_decay: float = 1e-4    # L2 penalty of the all-label probe
    settings: tuple = ("baseline", "mild", "strong")  # + "global", "x<gain>" (sweep)

    def check(self) -> None:
        require(10 <= self.n_per_class <= 500, "n_per_class must be in [10, 500]")
        require(min(self.width, self.feat_dim, self.proj_dim, self.steps, self.batch) >= 1,
                "sizes must be >= 1")
        require(self.lr > 0 and self.tau > 0, "lr and tau must be positive")
        require(0 < self.crop_min <= 1, "crop_min must be in (0, 1]")
        require(0 <= self.rf_prob <= 1, "rf_prob must be in [0, 1]")
        require(self.length > 0, "the length scale must be positive")
        require(min(self.rotation, self.log_scale, self.shear, self.translation, self.value)
                >= 0, "amplitudes must be >= 0")
        require(1 <= self.shots <= 50 and 1 <= self.ood_shots <= 50 and self.draws >= 1,
                "need 1 <= shots, ood_shots <= 50 and draws >= 1")
        require(100 <= self.ood_train <= 1500, "ood_train must be in [100, 1500]")
        require({"baseline", "mild", "strong"} <= set(self.settings),
                "settings must include 'baseline', 'mild' and 'strong'")
        for name in self.settings:
            if name not in ("baseline", "global"):
                self.amplitudes(name)

    def amplitudes(self, setting: str) -> tuple[dict, float]:
        """``(amplitudes, length)`` of a named setting: "none", "mild", "strong"."""
        mild = {"rotation": self.rotation, "log_scale": self.log_scale, "shear": self.shear,
                "translation": self.translation, "value": self.value}
        if setting == "none":
            return {k: 0.0 for k in mild}, self.length
        if setting == "mild":
            return mild, self.length
        if setting == "strong":
            return ({k: v * self.strong_gain for k, v in mild.items()},
                    self.length / self.strong_length_div)
        if setting.startswith("x"):
            try:
                gain = float(setting[1:])
            except ValueError:
                gain = -1.0
            if gain >= 0:
                return {k: v * gain for k, v in mild.items()}, self.length
        raise ValueError(f"unknown setting {setting!r}; use 'none', 'mild', 'strong' or "
                         "'x<gain>' (mild amplitudes times gain)")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(width=32, feat_dim=256, proj_dim=128, steps=2000, batch=512, draws=20,
                settings=("baseline", "mild", "strong", "global", "x0.5", "x2")),
)

# --------------------------------------------------------------------------------------
# Random fields and the local transformations
# --------------------------------------------------------------------------------------


def random_fields(batch: int, size: int, n: int, *, length: float,
                  generator: torch.Generator, constant: bool = False, device=None
                  ) -> torch.Tensor:
    """``(batch, n, size, size)`` independent unit-variance Gaussian random fields of length
    scale ``length`` pixels; ``constant=True`` gives spatially constant N(0, 1) fields (the
    global-transform limit). Drawn from ``generator`` on the CPU, filtered on ``device``."""
    if constant:
        f = torch.randn(batch, n, 1, 1, generator=generator).expand(batch, n, size, size)
        return f.to(device) if device is not None else f
    return ssl.gaussian_random_field(batch, size, length_scale=length, generator=generator,
                                     channels=n, device=device)


def local_affine_grid(rotation: torch.Tensor, log_scale: torch.Tensor, shear: torch.Tensor,
                      tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    """Sampling grid ``(B, H, W, 2)`` of u' = R(θ(u)) Sh(h(u)) e^{s(u)} u + t(u).

    Every argument is a ``(B, H, W)`` field; translations in normalised units (2/W per pixel).
    """
    B, H, W = rotation.shape
    ident = torch.eye(2, 3, dtype=rotation.dtype, device=rotation.device).expand(B, 2, 3)
    base = F.affine_grid(ident, [B, 1, H, W], align_corners=False)  # (B, H, W, 2) = u
    ux, uy = base[..., 0], base[..., 1]
    sx = (ux + shear * uy) * log_scale.exp()          # e^{s} Sh(h) u, Sh = [[1, h], [0, 1]]
    sy = uy * log_scale.exp()
    c, s = rotation.cos(), rotation.sin()
    gx = c * sx - s * sy + tx                         # R(θ) · … + t
    gy = s * sx + c * sy + ty
    return torch.stack([gx, gy], dim=-1)


def rf_spatial(x: torch.Tensor, amp: dict, length: float, *, generator: torch.Generator,
               constant: bool = False) -> torch.Tensor:
    """Local rotation/scale/shear/translation of images ``(B, C, H, W)`` by random fields."""
    ssl._check_images(x)
    B, _, H, W = x.shape
    if H != W:
        raise ValueError("random-field transforms expect square images")
    f = random_fields(B, H, 5, length=length, generator=generator, constant=constant,
                      device=x.device).to(x)
    px = 2.0 / W                                       # one pixel in normalised units
    grid = local_affine_grid(amp["rotation"] * f[:, 0], amp["log_scale"] * f[:, 1],
                             amp["shear"] * f[:, 2], amp["translation"] * px * f[:, 3],
                             amp["translation"] * px * f[:, 4])
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def rgb_to_hsv(x: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` RGB in [0, 1] → HSV, all three in [0, 1] (hue as a fraction of a turn)."""
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    v, _ = x.max(1)
    mn, _ = x.min(1)
    d = v - mn
    s = torch.where(v > 0, d / v.clamp_min(1e-12), torch.zeros_like(v))
    dd = d.clamp_min(1e-12)
    h = torch.where(v == r, ((g - b) / dd) % 6,
                    torch.where(v == g, (b - r) / dd + 2, (r - g) / dd + 4)) / 6
    h = torch.where(d > 0, h, torch.zeros_like(h))
    return torch.stack([h % 1.0, s, v], 1)


def hsv_to_rgb(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_hsv`."""
    h, s, v = x[:, 0], x[:, 1], x[:, 2]
    k = torch.stack([(5 + h * 6) % 6, (3 + h * 6) % 6, (1 + h * 6) % 6], 1)
    return v[:, None] - (v * s)[:, None] * (torch.minimum(k, 4 - k).clamp(0, 1))


def hsv_shift(x: torch.Tensor, dh: torch.Tensor, ds: torch.Tensor, dv: torch.Tensor
              ) -> torch.Tensor:
    """H' = H + Δh mod 1, S' = clip(S e^{Δs}), V' = clip(V e^{Δv}); ``Δ·`` broadcast to
    ``(B, H, W)``. One-channel images: brightness only (V' = clip(V e^{Δv}))."""
    ssl._check_images(x)
    if x.shape[1] == 1:
        return (x * dv.exp()[:, None]).clamp(0, 1)
    if x.shape[1] != 3:
        raise ValueError(f"colour fields need 1 or 3 channels, got {x.shape[1]}")
    h, s, v = rgb_to_hsv(x).unbind(1)
    hsv = torch.stack([(h + dh) % 1.0, (s * ds.exp()).clamp(0, 1), (v * dv.exp()).clamp(0, 1)], 1)
    return hsv_to_rgb(hsv)


def rf_colour(x: torch.Tensor, amp: dict, length: float, *, generator: torch.Generator,
              constant: bool = False) -> torch.Tensor:
    """Local hue/saturation/brightness change of ``(B, C, H, W)`` images by random fields."""
    B, _, H, W = x.shape
    if x.shape[1] == 1:  # a grey image has only the brightness field
        f = random_fields(B, H, 1, length=length, generator=generator, constant=constant,
                          device=x.device).to(x)
        return hsv_shift(x, f[:, 0] * 0, f[:, 0] * 0, amp["value"] * f[:, 0])
    f = random_fields(B, H, 3, length=length, generator=generator, constant=constant,
                      device=x.device).to(x)
    return hsv_shift(x, amp.get("hue", 0.0) * f[:, 0], amp.get("saturation", 0.0) * f[:, 1],
                     amp["value"] * f[:, 2])


# --------------------------------------------------------------------------------------
# Views, encoder, SimCLR
# --------------------------------------------------------------------------------------


def standard_view(x: torch.Tensor, cfg: Config, g: torch.Generator) -> torch.Tensor:
    """SimCLR's standard augmentations for digits: random resized crop, brightness/contrast."""
    x = ssl.random_resized_crop(x, scale=(cfg.crop_min, 1.0), generator=g)
    return ssl.colour_jitter(x, brightness=cfg.jitter, contrast=cfg.jitter, generator=g)


def make_view(x: torch.Tensor, cfg: Config, setting: str, g: torch.Generator) -> torch.Tensor:
    """A view: the standard pipeline, then (with probability ``rf_prob``) the random fields;
    ``"global"`` = the mild amplitudes with spatially constant fields (global affine and
    brightness changes)."""
    x = standard_view(x, cfg, g)
    if setting == "baseline":
        return x
    constant = setting == "global"
    if constant:
        setting = "mild"
    amp, length = cfg.amplitudes(setting)
    y = rf_colour(rf_spatial(x, amp, length, generator=g, constant=constant), amp, length,
                  generator=g, constant=constant)
    if cfg.rf_prob >= 1:
        return y
    keep = (torch.rand(x.shape[0], 1, 1, 1, generator=g) < cfg.rf_prob).to(x)  # p of a view
    return keep * y + (1 - keep) * x


class Encoder(nn.Module):
    """Two strided 5×5 convolutions (BatchNorm, ReLU) → flatten → linear → ``feat_dim``."""

    def __init__(self, cfg: Config, side: int = 28):
        super().__init__()
        w = cfg.width
        self.conv = nn.Sequential(
            nn.Conv2d(1, w, 5, stride=2, padding=2), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 5, stride=2, padding=2), nn.BatchNorm2d(2 * w), nn.ReLU())
        s = (side + 3) // 4
        self.fc = nn.Linear(2 * w * s * s, cfg.feat_dim)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


def train_simclr(x_train: torch.Tensor, cfg: Config, setting: str, *, seed: int,
                 device="cpu") -> tuple[Encoder, list[float]]:
    """SimCLR (NT-Xent, Adam) with the views of ``setting``; returns the encoder and losses.
    The same ``seed`` gives every setting the same initialisation and mini-batches."""
    torch.manual_seed(seed)
    enc = Encoder(cfg, x_train.shape[-1]).to(device)
    head = ssl.projection_head(cfg.feat_dim, cfg.feat_dim, cfg.proj_dim).to(device)
    opt = torch.optim.Adam([*enc.parameters(), *head.parameters()], lr=cfg.lr)
    g_batch = torch.Generator().manual_seed(seed)
    g_aug = torch.Generator().manual_seed(seed + 10_000)
    losses = []
    n = x_train.shape[0]
    x_train = x_train.to(device)  # augmentations run where the encoder runs
    for _ in range(cfg.steps):
        idx = torch.randint(n, (min(cfg.batch, n),), generator=g_batch)
        xb = x_train[idx.to(device)]
        v1 = make_view(xb, cfg, setting, g_aug)
        v2 = make_view(xb, cfg, setting, g_aug)
        z = head(enc(torch.cat([v1, v2])))
        loss = ssl.info_nce(z[: len(idx)], z[len(idx):], cfg.tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return enc.eval(), losses


@torch.no_grad()
def features(enc: Encoder, x: torch.Tensor, device="cpu", chunk: int = 1000) -> torch.Tensor:
    """Frozen encoder features of ``x`` (in chunks), on the CPU."""
    return torch.cat([enc(x[i:i + chunk].to(device)).cpu() for i in range(0, len(x), chunk)])


# --------------------------------------------------------------------------------------
# Data and evaluation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Data:
    """MNIST train/test (in distribution) and sklearn's digits (out of distribution), all
    ``(n, 1, 28, 28)`` float32 in [0, 1] with int64 labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    x_ood: torch.Tensor
    y_ood: torch.Tensor


def digits_as_mnist(x8: np.ndarray) -> torch.Tensor:
    """sklearn digits (n, 64) in [0, 16] → (n, 1, 28, 28): upsampled (bilinear) into the
    central 20×20 box, like MNIST's size-normalised digits."""
    x = torch.as_tensor(np.asarray(x8, dtype=np.float32)).reshape(-1, 1, 8, 8) / 16
    x = F.interpolate(x, size=20, mode="bilinear", align_corners=False)
    return F.pad(x, (4, 4, 4, 4)).clamp(0, 1)


def load_data(cfg: Config) -> Data:
    from ..data.digits import load_digits
    from ..data.mnist import load_mnist5k

    d = load_mnist5k(n_per_class=cfg.n_per_class)
    dg = load_digits(np.float32)
    return Data(torch.as_tensor(d.x_train), torch.as_tensor(d.y_train),
                torch.as_tensor(d.x_test), torch.as_tensor(d.y_test),
                digits_as_mnist(dg.x), torch.as_tensor(dg.labels))


def load_photo(size: int = 128) -> torch.Tensor:
    """scikit-image's astronaut photograph, ``(1, 3, size, size)`` in [0, 1] (for Fig. 2)."""
    from ..core import require_module

    data = require_module("skimage.data", pip_name="scikit-image", group="photos",
                          purpose="the example photograph")
    x = torch.as_tensor(np.asarray(data.astronaut(), dtype=np.float32) / 255).permute(2, 0, 1)
    return F.interpolate(x[None], size=size, mode="bilinear", antialias=True,
                         align_corners=False).clamp(0, 1)


def gallery(x: torch.Tensor, *, length: float, amp: dict, seed: int = 0) -> dict:
    """One random field per transformation type, alone (the paper's Fig. 2): name → image."""
    zero = {k: 0.0 for k in (*SPATIAL, *COLOUR)}
    out = {"original": x}
    for k in (*SPATIAL, *COLOUR):
        a = {**zero, k: amp[k]}
        g = torch.Generator().manual_seed(seed)
        out[k] = (rf_spatial(x, a, length, generator=g) if k in SPATIAL
                  else rf_colour(x, a, length, generator=g))
    return out


def few_shot(f_train, y_train, f_test, y_test, *, shots: int, draws: int,
             weight_decay: float = 1e-2) -> float:
    """Mean accuracy of :func:`nonlinlab.models.ssl.few_shot_probe` over label draws with
    seeds ``0 .. draws-1``: the same labelled images for every representation (paired)."""
    return float(ssl.few_shot_probe(f_train, y_train, f_test, y_test, shots=shots,
                                    seeds=range(draws), weight_decay=weight_decay).mean())


def evaluate(enc: Encoder, data: Data, cfg: Config, device="cpu") -> dict:
    """Linear-probe accuracies of frozen features: MNIST with all / ``shots`` labels per class,
    and the digits transfer task with ``ood_shots`` labels per class (drawn from the first
    ``ood_train`` images; the rest for testing)."""
    ftr, fte = features(enc, data.x_train, device), features(enc, data.x_test, device)
    fo = features(enc, data.x_ood, device)
    n = cfg.ood_train
    return {
        "probe_all": ssl.linear_probe(ftr, data.y_train, fte, data.y_test,
                                      weight_decay=cfg.probe_decay),
        "probe_few": few_shot(ftr, data.y_train, fte, data.y_test, shots=cfg.shots,
                              draws=cfg.draws),
        "ood_few": few_shot(fo[:n], data.y_ood[:n], fo[n:], data.y_ood[n:],
                            shots=cfg.ood_shots, draws=cfg.draws),
    }


def run_experiment(data: Data, cfg: Config, *, seed: int, settings=None, device="cpu") -> dict:
    """SimCLR once per augmentation setting (``cfg.settings`` by default; the same seed gives
    every setting the same initialisation and batches) and the probes; ``"global"`` is the mild
    setting with spatially constant fields."""
    out = {}
    for s in settings or cfg.settings:
        t = time.process_time()
        enc, losses = train_simclr(data.x_train, cfg, s, seed=seed, device=device)
        res = evaluate(enc, data, cfg, device)
        res["losses"] = losses
        res["cpu_s"] = time.process_time() - t
        out[s] = res
    return out


def field_statistics(n: int, size: int, length: float, lags=(1, 2, 4, 8), seed: int = 0
                     ) -> dict:
    """Empirical pointwise std and correlation at ``lags`` (pixels, along x) of ``n`` fields,
    with the closed form exp(−r²/2ℓ²) and the same statistics of an independent generator
    (scipy's spatial Gaussian filter of white noise, σ = ℓ/√2, periodic)."""
    from scipy.ndimage import gaussian_filter

    g = torch.Generator().manual_seed(seed)
    f = random_fields(n, size, 1, length=length, generator=g)[:, 0].double()
    rng = np.random.default_rng(seed)
    ref = gaussian_filter(rng.standard_normal((n, size, size)), sigma=(0, length / math.sqrt(2),
                          length / math.sqrt(2)), mode="wrap")
    ref = torch.as_tensor(ref / ref.std())
    corr = lambda z, r: float((z * z.roll(r, -1)).mean() / (z * z).mean())  # noqa: E731
    return {"std": float(f.std()), "lags": list(lags),
            "ours": [corr(f, r) for r in lags], "scipy": [corr(ref, r) for r in lags],
            "closed_form": [math.exp(-r ** 2 / (2 * length ** 2)) for r in lags]}


def estimate_seconds(cfg: Config) -> float:
    """On paper, from CPU seconds measured on this 2-core machine at 1 thread (ci): one SimCLR
    step costs ≈ 0.17 ms per view at width 16 (∝ width²) and the random fields ≈ 0.1 ms per
    view (28×28); evaluation ≈ 5 s per setting. Full: a Colab T4 runs the width-32 encoder at
    batch 512 in ≈ 40 ms per step, fields included (generated on the GPU)."""
    views = 2 * cfg.batch
    if cfg.steps > 1000:  # the full profile, on one GPU
        return len(cfg.settings) * (cfg.steps * 0.04 * (cfg.batch / 512) + 15.0) + 30.0
    per_step = views * (0.17e-3 * (cfg.width / 16) ** 2)
    rf = views * 0.1e-3
    n = len(cfg.settings)
    n_rf = sum(s not in ("baseline", "global") for s in cfg.settings)
    return n * cfg.steps * per_step + n_rf * cfg.steps * rf + n * 5.0 + 3.0
