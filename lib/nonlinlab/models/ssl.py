"""Self-supervised learning pieces: the InfoNCE (NT-Xent) loss, a projection head, tensor
augmentations (crops, colour, Gaussian-random-field deformations) and the two evaluations.

* :func:`info_nce` — SimCLR's NT-Xent (Chen et al. 2020): for ``2N`` views, each view's
  positive is its partner, the other ``2N − 2`` are negatives, cosine similarity / τ;
* :func:`projection_head` — the MLP ``g`` put after the encoder during training and removed for
  evaluation (the object of the projection-head chapter);
* :func:`random_resized_crop`, :func:`colour_jitter` — batched, per-sample random parameters
  from a ``torch.Generator``;
* :func:`gaussian_random_field` / :func:`grf_deform` — smooth random displacement fields
  (white noise low-passed by a Gaussian spectrum of length scale ``ℓ``, amplitude ``α`` in
  pixels) and the image warped by them (``grid_sample``); zero amplitude is the identity;
* :func:`linear_probe` (multinomial logistic regression on frozen features, L-BFGS),
  :func:`few_shot_probe` (the same probe fitted on ``shots`` labelled images per class, one
  accuracy per label draw; :func:`few_shot_indices` draws them) and :func:`knn_accuracy`
  (cosine k-NN with majority vote).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def info_nce(z1: torch.Tensor, z2: torch.Tensor, tau: float = 0.5) -> torch.Tensor:
    """NT-Xent over the ``2N`` views ``z1[i] ↔ z2[i]`` (mean over all ``2N`` anchors)."""
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"z1, z2 must be (N, d) of one shape, got {tuple(z1.shape)}, "
                         f"{tuple(z2.shape)}")
    if tau <= 0:
        raise ValueError("tau must be positive")
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / tau
    n = z1.shape[0]
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(sim, target)


def projection_head(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    """SimCLR's head: Linear → ReLU → Linear."""
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_out))


def _check_images(x: torch.Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(f"expected images (B, C, H, W), got {tuple(x.shape)}")


def random_resized_crop(x: torch.Tensor, *, scale=(0.5, 1.0), generator: torch.Generator
                        ) -> torch.Tensor:
    """A random square crop of area fraction ``U(scale)`` per image, resized back (bilinear)."""
    _check_images(x)
    B, _, H, W = x.shape
    s = torch.empty(B).uniform_(*scale, generator=generator).sqrt()
    cx = (torch.rand(B, generator=generator) * 2 - 1) * (1 - s)
    cy = (torch.rand(B, generator=generator) * 2 - 1) * (1 - s)
    theta = torch.zeros(B, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1], theta[:, 0, 2], theta[:, 1, 2] = s, s, cx, cy
    grid = F.affine_grid(theta.to(x), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def colour_jitter(x: torch.Tensor, *, brightness: float = 0.4, contrast: float = 0.4,
                  generator: torch.Generator) -> torch.Tensor:
    """Per-image brightness (additive) and contrast (around the image mean) jitter, clamped."""
    _check_images(x)
    B = x.shape[0]
    b = (torch.rand(B, 1, 1, 1, generator=generator) * 2 - 1).to(x) * brightness
    c = 1 + (torch.rand(B, 1, 1, 1, generator=generator) * 2 - 1).to(x) * contrast
    mean = x.mean((1, 2, 3), keepdim=True)
    return ((x - mean) * c + mean + b).clamp(0, 1)


def gaussian_random_field(batch: int, size: int, *, length_scale: float,
                          generator: torch.Generator, channels: int = 2,
                          device: torch.device | str | None = None) -> torch.Tensor:
    """``(batch, channels, size, size)`` stationary Gaussian fields with unit pointwise standard
    deviation and the squared-exponential correlation of length ``length_scale`` pixels
    (white noise filtered in Fourier space by ``exp(−(2π f ℓ)²/4)``, renormalised).
    ``device``: where the filtering runs (the noise is drawn from ``generator`` on the CPU)."""
    if length_scale <= 0:
        raise ValueError("length_scale must be positive")
    noise = torch.randn(batch, channels, size, size, generator=generator)
    if device is not None:
        noise = noise.to(device)
    f = torch.fft.fftfreq(size, device=noise.device)
    f2 = f[:, None] ** 2 + f[None, :] ** 2
    filt = torch.exp(-((2 * torch.pi * length_scale) ** 2) * f2 / 4)
    field = torch.fft.ifft2(torch.fft.fft2(noise) * filt).real
    return field / torch.sqrt((filt ** 2).sum() / size ** 2)


def grf_deform(x: torch.Tensor, *, amplitude: float, length_scale: float,
               generator: torch.Generator) -> torch.Tensor:
    """Warp images by a random smooth displacement field of ``amplitude`` pixels (pointwise
    standard deviation) and correlation length ``length_scale`` pixels."""
    _check_images(x)
    B, _, H, W = x.shape
    if H != W:
        raise ValueError("grf_deform expects square images")
    disp = gaussian_random_field(B, H, length_scale=length_scale, generator=generator)
    disp = disp.to(x) * amplitude * (2 / H)  # pixels → normalised coordinates
    theta = torch.eye(2, 3).expand(B, 2, 3).to(x)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False) + disp.permute(0, 2, 3, 1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def linear_probe(train_f: torch.Tensor, train_y: torch.Tensor, test_f: torch.Tensor,
                 test_y: torch.Tensor, *, weight_decay: float = 1e-4, max_iter: int = 200
                 ) -> float:
    """Test accuracy of a multinomial logistic regression fitted (L-BFGS, L2 penalty) on
    standardised frozen features."""
    mu, sd = train_f.mean(0), train_f.std(0) + 1e-6
    a, b = ((train_f - mu) / sd).double(), ((test_f - mu) / sd).double()
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    lin = nn.Linear(a.shape[1], n_classes).double()
    opt = torch.optim.LBFGS(lin.parameters(), max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(lin(a), train_y) + weight_decay * lin.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float((lin(b).argmax(1) == test_y).double().mean())


def few_shot_indices(y, shots: int, *, seed: int) -> np.ndarray:
    """``shots`` random indices of every class of the labels ``y`` (numpy generator seeded
    with ``seed``), in increasing order: the labelled images of a label-scarce downstream task."""
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    idx = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < shots:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than shots={shots}")
        idx.append(rng.choice(members, shots, replace=False))
    return np.sort(np.concatenate(idx))


def few_shot_probe(train_f: torch.Tensor, train_y, test_f: torch.Tensor, test_y, *,
                   shots: int, seeds: Iterable[int], weight_decay: float = 1e-4) -> np.ndarray:
    """Test accuracies of :func:`linear_probe` fitted on ``shots`` labelled examples per class,
    one per label draw (draw ``s`` = :func:`few_shot_indices` with seed ``s``). Given the same
    labels and seeds, every representation sees the same labelled examples: a paired
    comparison; the usual few-shot protocol reports the mean over draws."""
    train_y, test_y = torch.as_tensor(train_y), torch.as_tensor(test_y)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("few_shot_probe needs at least one label-draw seed")
    accs = []
    for s in seeds:
        i = torch.as_tensor(few_shot_indices(train_y.numpy(), shots, seed=s))
        accs.append(linear_probe(train_f[i], train_y[i], test_f, test_y,
                                 weight_decay=weight_decay))
    return np.array(accs)


def knn_accuracy(train_f: torch.Tensor, train_y: torch.Tensor, test_f: torch.Tensor,
                 test_y: torch.Tensor, *, k: int = 5) -> float:
    """Cosine k-NN, majority vote (ties to the smallest label)."""
    sim = F.normalize(test_f.double(), dim=1) @ F.normalize(train_f.double(), dim=1).T
    idx = sim.topk(k, dim=1).indices
    votes = F.one_hot(train_y[idx], int(train_y.max()) + 1).sum(1)
    return float((votes.argmax(1) == test_y).double().mean())
