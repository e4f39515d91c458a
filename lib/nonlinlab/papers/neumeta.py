r"""Yang & Wang (ECCV 2024), *Neural Metamorphosis* (NeuMeta, arXiv:2410.11878).

What is implemented (following the official code ``Adamdad/neumeta``: ``neumeta/hypermodel.py``,
``neumeta/utils/hypernet_utils.py``, ``neumeta/train_mnist.py``, ``smooth/permute.py``,
``smooth/tsp.py``; written from the paper and a reading of that code, not copied)
-----------------------------------------------------------------------------------------------

**Target family.** A LeNet-like CNN of width :math:`h` for 8×8 digits (the official
``MnistNet`` adapted to 8×8): conv3×3(1→h) → conv3×3(h→2h) → conv3×3(2h→4h), each followed by
ReLU and 2×2 average pooling, then linear(4h→10); replicate padding, no BatchNorm. Its
parameters are 8 tensors (4 weights, 4 biases).

**Intra-model smoothness.** For every group of parameters coupled by a channel
dimension (out-channels of conv *j* with its bias, and the in-channels of the next layer) each
channel is a "city" whose coordinates are all its coupled weights, distances are L1
(``cdist p=1``), and the channel order is the *shortest Hamiltonian path* through the cities.
The official code solves it with ``fast_tsp`` on a closed tour with an extra dummy city at zero
distance from every city (cutting the tour at the dummy gives the open path); we use the same
dummy-city trick with our own nearest-neighbour + 2-opt heuristic (:func:`shortest_path`),
checked against an exact Held–Karp solver (:func:`exact_shortest_path`) on small instances.
Permuting channels consistently leaves the network's function unchanged. Smoothness is the
total variation :math:`TV=\sum\lvert w_{i+1}-w_i\rvert` along the two channel axes of every
tensor (one axis for biases), averaged over the tensors.

**Implicit weight function (``NeRF_ResMLP_Compose``).** The weight coordinate of
channel pair :math:`(o, c)` of tensor :math:`l` (shape out×in×k×k) is
:math:`[l/L,\ o/n_{out},\ c/n_{in},\ L/N,\ n_{out}/N,\ n_{in}/N]` (positions as ratios, sizes
divided by ``NORM`` :math:`N`; biases use :math:`c=0,\ n_{in}=1`), Fourier-encoded
:math:`x\mapsto[x,\sin 2^f\pi x,\cos 2^f\pi x]_{f<F}`, and fed to **one residual MLP per
tensor** (Linear+ReLU, blocks :math:`x\leftarrow x+s\,\mathrm{ReLU}(Wx)` with a learnable
scalar :math:`s` initialised at 0.1, Linear to :math:`k^2=9`; 1×1 entries take the centre). The
output is divided by the tensor's input-channel count (fan-in scaling across widths).

**Cross-model smoothness and training (official ``train_mnist.py``).** Each batch picks a width
from the training widths, adds uniform noise :math:`U(-\tfrac12,\tfrac12)\cdot`\ ``noise`` to the
integer channel indices, the layer index and the sizes before normalising (``size_noise``),
generates the width-:math:`h` network and minimises
CE + ``reg``·:math:`\sum_l\lVert w_l\rVert_2` + ``recon``·:math:`\mathcal L_{rec}`, where the
reconstruction loss toward the (permuted) pretrained weights is applied only at the full width,
weighted by :math:`(\lvert w^\star\rvert+\epsilon)/\max(\lvert w^\star\rvert+\epsilon)`, and its
weight decays linearly to 0 over the run. AdamW (lr 1e-3, weight decay 0 as in the MNIST
configs), EMA of the hypernetwork's parameters (0.995). **Inference**: the weights of :math:`K`
samples (the first noise-free, the others with coordinate noise) are averaged
(``sample_merge_model``).

**Baselines.** L1-norm channel pruning of the pretrained full-width net to width :math:`h` with
no fine-tuning (keep the :math:`h,2h,4h` channels of largest filter L1 norm), networks trained
individually at each width, NeuMeta on the *unpermuted* pretrained weights, and (``full``)
NeuMeta without coordinate noise.

**Where we differ.** 8×8 sklearn digits (standardised, as MNIST's ``Normalize``) instead of
28×28 MNIST; at ``ci`` widths 2–8 with widths 3 and 6 held out of training (unseen) instead of
8–32; a small INR (hidden 64, 3 blocks, F = 6) and 90 epochs of 12 batches; our own 2-opt SHP
solver instead of ``fast_tsp``. The held-out widths are not a whole parity class: with
:math:`N=32` and :math:`F=6` the top size feature is :math:`\cos(\pi n)=(-1)^n`, which the
±½ size noise cannot bridge, so a design that trains only even widths tests the INR on a
feature value it never saw. Because ``ci`` has ~3 % of the official number of steps, three
choices of ours: (i) the INR starts from a reconstruction-only fit to the permuted pretrained
weights (:func:`fit_inr`, the official init, loss and coordinate noise); (ii) the gradient norm
is clipped at 1 (the official CIFAR configs clip by value at 10, the MNIST ones not at all);
(iii) the reconstruction loss of each tensor is divided by its mean squared target weight. From
scratch (:meth:`NeuMeta._calibrate_init` keeps the ReLUs alive) the INR stays near chance at
``ci``. Official-code details we do *not* copy: the noisy layer index selects the head (it is
truncated to an integer, so a share of a layer's coordinates is sent to the previous layer's
head; we keep one head per tensor and only its input ``l/L`` is noisy); 2-D weights and biases
take the first INR output, we take the centre one.

**Speed.** The heads are stored stacked and every tensor of every requested width is generated
by one batched call (:meth:`NeuMeta.generate`: the coordinate rows of each tensor, cached per
tuple of widths, are cut into slabs of 64 rows that each pick their head's weights), which
makes an INR step ≈ 1.5× cheaper than one call per head. ``all_widths`` (off by default, as the
official loop) replaces the drawn width by the mean loss over all training widths in one call.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, replicate_seeds, require

#: The paper's MNIST setting (official ``config/base_config.yaml``/``train_mnist``): hidden
#: widths 8..32 sampled per batch, coordinate noise 1.0, K-sample averaging, 75 % compression.
PAPER = {
    "compression_kept": "full-size accuracy up to 75 % compression",
    "noise": 1.0,
    "ema": 0.995,
    "lr": 1e-3,
    "reg": 1e-4,
}


@dataclass(frozen=True)
class Config(ProfileConfig):
    full_width: int = 8         # h of the pretrained network (channels h, 2h, 4h)
    min_width: int = 2
    train_step: int = 2         # without held_out: train on widths min..full by this step
    held_out: tuple = (3, 6)    # unseen widths: train on every width min..full except these
    pre_epochs: int = 20        # pretraining of the full-width (and individual) CNNs
    pre_lr: float = 3e-3
    hidden: int = 64            # INR hidden units
    blocks: int = 3             # residual blocks per head
    freqs: int = 6              # Fourier frequencies F
    epochs: int = 90            # INR training epochs
    batch: int = 128
    lr: float = 1e-3
    noise: float = 1.0          # coordinate noise (official 1.0)
    size_noise: bool = True     # official: noise also on the layer index and the sizes
    recon: float = 1.0          # reconstruction-loss weight at the start
    recon_decay_epochs: int = 90  # official: decays over the whole run (50 of 50 epochs)
    reg: float = 1e-4
    ema: float = 0.995
    k_samples: int = 10         # K weight samples averaged at inference
    fit_steps: int = 300        # reconstruction-only fit of the full-width net (smoothness test)
    fit_lr: float = 3e-3
    clip: float = 1.0           # gradient-norm clipping of the INR (ours)
    ablate_noise: bool = False  # also train the no-coordinate-noise ablation (full only)
    all_widths: bool = False    # True: each step takes the expectation over the training
    #                             widths (one batched INR call); official: one width drawn
    n_train: int = 1437         # of the 1,797 digits; the rest is the test set
    individual_widths: tuple = (2, 4)  # (the pretrained net is the width-8 one)
    pruning_nets: int = 2       # independently pretrained nets (each permuted, fitted, NeuMeta
    #                             trained) whose NeuMeta − L1-pruning gaps are averaged

    def check(self) -> None:
        require(self.min_width >= 1 and self.full_width > self.min_width,
                "need 1 <= min_width < full_width")
        require((self.full_width - self.min_width) % self.train_step == 0,
                "full_width - min_width must be a multiple of train_step")
        require(0 < self.n_train < 1797, "n_train must be in (0, 1797)")
        require(self.k_samples >= 1 and self.epochs >= 1, "k_samples and epochs must be >= 1")
        require(self.pruning_nets >= 1, "pruning_nets must be >= 1")
        require(all(self.min_width < h < self.full_width for h in self.held_out),
                "held-out widths must lie strictly between min_width and full_width")

    @property
    def train_widths(self) -> tuple:
        if self.held_out:
            return tuple(h for h in self.eval_widths if h not in self.held_out)
        return tuple(range(self.min_width, self.full_width + 1, self.train_step))

    @property
    def eval_widths(self) -> tuple:
        return tuple(range(self.min_width, self.full_width + 1))


CONFIGS = Profiles(
    ci=Config(),
    full=Config(full_width=32, min_width=8, hidden=128, blocks=4, freqs=16, epochs=100,
                recon_decay_epochs=100, k_samples=50, pre_epochs=40, fit_steps=2000,
                ablate_noise=True, individual_widths=(8, 12, 16, 20, 24, 28, 32),
                held_out=(12, 19, 26)),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from CPU-time measurements on this machine at 1 thread (ci, full_width 8):
    one INR training step with one drawn width ≈ 10 ms (with ``all_widths`` ≈ 6.5 ms per
    training width) and one reconstruction-fit step ≈ 6.5 ms at full width 8, hidden 64,
    3 blocks, scaling as (width/8)² · (hidden/64)² · blocks/3; 2 trainings and 2 fits (3 of
    each with the no-noise ablation), plus one of each and a pretraining per further network
    of the pruning comparison (``pruning_nets``); one CNN epoch ≈ 0.14 s at width 8, ∝ width²;
    evaluation ≈ 1 ms per sampled network. A whole ci run measured 33–40 s of own compute (load 4–5)
    against 32 s here with one pretrained network; with two, 44–53 s of wall time (two
    notebooks at a time) against 48 s here. Full: on a GPU (taken as 20× faster)."""
    runs = (3 if cfg.ablate_noise else 2) + cfg.pruning_nets - 1
    steps = cfg.epochs * math.ceil(cfg.n_train / cfg.batch)
    step = 6.5e-3 * len(cfg.train_widths) if cfg.all_widths else 10e-3
    scale = (cfg.full_width / 8) ** 2 * (cfg.hidden / 64) ** 2 * cfg.blocks / 3
    inr = runs * (steps * step + cfg.fit_steps * 6.5e-3) * scale
    cnn = cfg.pre_epochs * 0.14 * sum((w / 8) ** 2 for w in (
        *[cfg.full_width] * cfg.pruning_nets, *cfg.individual_widths))
    ev = runs * len(cfg.eval_widths) * cfg.k_samples * 1e-3 * scale
    total = inr + cnn + ev + 3.0
    return total / 20 if cfg.full_width > 16 else total


# --------------------------------------------------------------------------------------
# Data and the target CNN family
# --------------------------------------------------------------------------------------

def load_data(cfg: Config, seed: int = 0, device="cpu") -> dict:
    """sklearn digits as (n, 1, 8, 8) standardised float tensors on ``device``; a seeded
    train/test split."""
    from ..data.digits import load_digits

    d = load_digits(np.float32)
    perm = np.random.default_rng(seed).permutation(d.n)
    x = torch.from_numpy(d.x / 16.0).reshape(-1, 1, 8, 8)
    x = (x - x[perm[:cfg.n_train]].mean()) / x[perm[:cfg.n_train]].std()  # as MNIST's Normalize
    y = torch.from_numpy(d.labels)
    tr, te = perm[:cfg.n_train], perm[cfg.n_train:]
    return {k: v.to(device) for k, v in
            {"xtr": x[tr], "ytr": y[tr], "xte": x[te], "yte": y[te]}.items()}


def shapes(width: int) -> list[tuple]:
    """Parameter shapes of the width-``width`` CNN (weights and biases, in order)."""
    c = (1, width, 2 * width, 4 * width)
    out = []
    for j in range(3):
        out += [(c[j + 1], c[j], 3, 3), (c[j + 1],)]
    return out + [(10, c[3]), (10,)]


def cnn_forward(x: torch.Tensor, ws: list[torch.Tensor]) -> torch.Tensor:
    """Functional forward of the CNN with parameter list ``ws`` (as :func:`shapes`)."""
    h = x
    for j in range(3):
        h = F.conv2d(F.pad(h, (1, 1, 1, 1), mode="replicate"), ws[2 * j], ws[2 * j + 1])
        h = F.avg_pool2d(F.relu(h), 2)
    return F.linear(h.flatten(1), ws[6], ws[7])


def init_cnn(width: int, gen: torch.Generator, device="cpu") -> list[torch.Tensor]:
    ws = []
    for s in shapes(width):
        fan_in = int(np.prod(s[1:])) if len(s) > 1 else ws[-1].shape[1] * (
            9 if ws[-1].dim() == 4 else 1)
        bound = 1 / math.sqrt(fan_in)
        ws.append(((torch.rand(s, generator=gen) * 2 - 1) * bound).to(device).requires_grad_())
    return ws


def accuracy(ws, x, y) -> float:
    with torch.no_grad():
        return float((cnn_forward(x, ws).argmax(1) == y).float().mean())


def train_cnn(data: dict, width: int, cfg: Config, seed: int) -> list[torch.Tensor]:
    """Train a width-``width`` CNN from scratch with Adam + CE (the pretrained target and the
    individually trained baseline)."""
    gen = torch.Generator().manual_seed(seed)
    ws = init_cnn(width, gen, data["xtr"].device)
    opt = torch.optim.Adam(ws, lr=cfg.pre_lr)
    n = data["xtr"].shape[0]
    for _ in range(cfg.pre_epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(cnn_forward(data["xtr"][idx], ws), data["ytr"][idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return [w.detach() for w in ws]


# --------------------------------------------------------------------------------------
# Shortest Hamiltonian path and the smoothing permutation
# --------------------------------------------------------------------------------------

def path_length(D: np.ndarray, order) -> float:
    order = np.asarray(order)
    return float(D[order[:-1], order[1:]].sum())


def _two_opt(D: np.ndarray, tour: np.ndarray) -> np.ndarray:
    """2-opt on a closed tour until no improving move (best move per position, vectorised)."""
    m = len(tour)
    improved = True
    while improved:
        improved = False
        for i in range(1, m - 1):
            j = np.arange(i + 1, m)
            a, b = tour[i - 1], tour[i]
            c, d = tour[j], tour[(j + 1) % m]
            delta = D[a, c] + D[b, d] - D[a, b] - D[c, d]
            k = int(np.argmin(delta))
            if delta[k] < -1e-10:
                jj = int(j[k])
                tour[i:jj + 1] = tour[i:jj + 1][::-1].copy()
                improved = True
    return tour


def shortest_path(D: np.ndarray, n_starts: int = 8) -> np.ndarray:
    """Heuristic shortest Hamiltonian (open) path through the cities of distance matrix ``D``.

    Dummy-city trick of the official ``smooth/tsp.py``: add a city at distance 0 from all,
    find a short closed tour (nearest neighbour from several starts + 2-opt), cut it at the
    dummy. Returns the order of the n cities."""
    D = np.asarray(D, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"D must be a square matrix, got shape {D.shape}")
    n = D.shape[0]
    if n <= 2:
        return np.arange(n)
    Dd = np.zeros((n + 1, n + 1))
    Dd[:n, :n] = D
    best, best_len = None, np.inf
    for s in [n] + list(range(min(n_starts, n + 1) - 1)):
        tour, left = [s], np.ones(n + 1, bool)
        left[s] = False
        while left.any():  # nearest neighbour
            cand = np.where(left)[0]
            nxt = int(cand[np.argmin(Dd[tour[-1], cand])])
            tour.append(nxt)
            left[nxt] = False
        tour = _two_opt(Dd, np.array(tour))
        z = int(np.where(tour == n)[0][0])
        order = np.concatenate([tour[z + 1:], tour[:z]])
        length = path_length(D, order)
        if length < best_len - 1e-12:
            best, best_len = order, length
    return best


def exact_shortest_path(D: np.ndarray) -> tuple[float, np.ndarray]:
    """Exact shortest Hamiltonian path by Held–Karp dynamic programming (n ≤ 12)."""
    D = np.asarray(D, dtype=np.float64)
    n = D.shape[0]
    if n > 12:
        raise ValueError(f"exact_shortest_path is exponential; n={n} > 12")
    if n == 1:
        return 0.0, np.arange(1)
    full = 1 << n
    cost = np.full((full, n), np.inf)
    parent = np.full((full, n), -1, dtype=np.int64)
    for i in range(n):
        cost[1 << i, i] = 0.0
    for mask in range(full):
        for last in range(n):
            c = cost[mask, last]
            if not np.isfinite(c):
                continue
            for nxt in range(n):
                if mask & (1 << nxt):
                    continue
                m2, c2 = mask | (1 << nxt), c + D[last, nxt]
                if c2 < cost[m2, nxt]:
                    cost[m2, nxt], parent[m2, nxt] = c2, last
    end = int(np.argmin(cost[full - 1]))
    order, mask = [end], full - 1
    while parent[mask, order[-1]] >= 0:
        p = int(parent[mask, order[-1]])
        mask ^= 1 << order[-1]
        order.append(p)
    return float(cost[full - 1, end]), np.array(order[::-1])


def brute_force_shortest_path(D: np.ndarray) -> float:
    """Shortest Hamiltonian path length by enumerating all orders (n ≤ 8)."""
    n = D.shape[0]
    if n > 8:
        raise ValueError(f"brute force is factorial; n={n} > 8")
    return min(path_length(D, p) for p in itertools.permutations(range(n)) if p[0] < p[-1]
               or n == 1)


def channel_cities(ws: list[torch.Tensor], j: int) -> torch.Tensor:
    """City vectors of the out-channels of conv ``j``: its filters, its bias, and the
    corresponding in-channel slices of the next layer."""
    w, b, nxt = ws[2 * j], ws[2 * j + 1], ws[2 * j + 2]
    cols = nxt.transpose(0, 1).reshape(nxt.shape[1], -1)
    return torch.cat([w.reshape(w.shape[0], -1), b[:, None], cols], dim=1)


def permute(ws: list[torch.Tensor], perms: list[np.ndarray]) -> list[torch.Tensor]:
    """Apply channel permutations (one per conv layer) consistently: function-preserving."""
    out = [w.clone() for w in ws]
    for j, p in enumerate(perms):
        p = torch.as_tensor(p, dtype=torch.long)
        out[2 * j], out[2 * j + 1] = out[2 * j][p], out[2 * j + 1][p]
        out[2 * j + 2] = out[2 * j + 2][:, p]
    return out


def smoothing_permutation(ws: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[dict]]:
    """Permute each coupled channel group along a shortest Hamiltonian path (L1 distances),
    layer by layer (a group's cities use the already-permuted previous layer)."""
    cur, info = [w.clone() for w in ws], []
    for j in range(3):
        X = channel_cities(cur, j).detach().cpu().double()
        D = torch.cdist(X, X, p=1).numpy()
        order = shortest_path(D)
        info.append({"n": len(order), "identity": path_length(D, np.arange(len(order))),
                     "shp": path_length(D, order)})
        cur = permute(cur, [np.arange(cur[2 * k].shape[0]) if k != j else order
                            for k in range(3)])
    return cur, info


def total_variation(ws: list[torch.Tensor]) -> float:
    """Mean over tensors of Σ|w[i+1]−w[i]| along dims 0 and 1 (dim 0 only for biases)."""
    tvs = []
    for w in ws:
        tv = (w[1:] - w[:-1]).abs().sum()
        if w.dim() >= 2:
            tv = tv + (w[:, 1:] - w[:, :-1]).abs().sum()
        tvs.append(float(tv))
    return float(np.mean(tvs))


# --------------------------------------------------------------------------------------
# L1 pruning baseline
# --------------------------------------------------------------------------------------

def l1_prune(ws: list[torch.Tensor], width: int) -> list[torch.Tensor]:
    """Keep the width, 2·width, 4·width out-channels of largest filter L1 norm per conv
    layer (in their original order), slice the next layer's inputs. No fine-tuning."""
    out = [w.clone() for w in ws]
    for j, keep_n in enumerate((width, 2 * width, 4 * width)):
        norms = out[2 * j].abs().flatten(1).sum(1)
        keep = torch.sort(torch.topk(norms, keep_n).indices).values
        out[2 * j], out[2 * j + 1] = out[2 * j][keep], out[2 * j + 1][keep]
        out[2 * j + 2] = out[2 * j + 2][:, keep]
    return out


# --------------------------------------------------------------------------------------
# The implicit weight function
# --------------------------------------------------------------------------------------

def _raw_grid(width: int) -> list[torch.Tensor]:
    """Per tensor, the integer coordinates [l, o, c, L, n_out, n_in] of its (n_out·n_in) rows."""
    sh = shapes(width)
    L = len(sh)
    out = []
    for l_idx, s in enumerate(sh):
        n_out, n_in = s[0], (s[1] if len(s) > 1 else 1)
        o, c = torch.meshgrid(torch.arange(n_out, dtype=torch.float32),
                              torch.arange(n_in, dtype=torch.float32), indexing="ij")
        o, c = o.reshape(-1), c.reshape(-1)
        one = torch.ones_like(o)
        out.append(torch.stack([one * l_idx, o, c, one * L, one * n_out, one * n_in], dim=1))
    return out


def _normalise(x: torch.Tensor, norm: float) -> torch.Tensor:
    """[l, o, c, L, n_out, n_in] → [l/L, o/n_out, c/n_in, L/N, n_out/N, n_in/N]."""
    return torch.cat([x[..., :3] / x[..., 3:], x[..., 3:] / norm], dim=-1)


def _noise_mask(size_noise: bool) -> torch.Tensor:
    # official: the noise moves every integer entry (layer index and sizes too); else o, c only
    return torch.tensor([1., 1., 1., 1., 1., 1.]) if size_noise else torch.tensor(
        [0., 1., 1., 0., 0., 0.])


def coordinates(width: int, norm: float, noise: float = 0.0, gen=None,
                device="cpu", size_noise: bool = False) -> list[torch.Tensor]:
    """Per tensor, the (n_out·n_in, 6) INR inputs [l/L, o/n_out, c/n_in, L/N, n_out/N, n_in/N]
    (U(−½,½)·noise added to the integer indices before normalising; with ``size_noise`` to the
    layer index and the sizes too). The reference that :meth:`NeuMeta.generate` batches."""
    out = []
    for x in _raw_grid(width):
        if noise > 0:
            x = x + (torch.rand(x.shape, generator=gen) - 0.5) * noise * _noise_mask(size_noise)
        out.append(_normalise(x, norm).to(device))
    return out


class _Grid:
    """The coordinates of several widths at once, packed for one batched INR call: the rows of
    tensor t (all widths, one after the other) are cut into slabs of ``chunk`` rows that all use
    head t, giving one (S, chunk, 6) tensor (the last slab of a tensor is padded with copies of
    a valid row, never read). Built once per tuple of widths and cached."""

    def __init__(self, widths: tuple, device, chunk: int = 64):
        grids = [_raw_grid(h) for h in widths]
        T = len(grids[0])
        slabs, head, self.index = [], [], {h: [] for h in widths}
        for t in range(T):
            rows = torch.cat([g[t] for g in grids])
            offset = len(slabs) * chunk
            for h, g in zip(widths, grids, strict=True):
                s = shapes(h)[t]
                self.index[h].append((offset, g[t].shape[0], s, s[1] if len(s) > 1 else 1))
                offset += g[t].shape[0]
            pad = (-rows.shape[0]) % chunk
            rows = torch.cat([rows, rows[:1].expand(pad, 6)])
            slabs += list(rows.reshape(-1, chunk, 6))
            head += [t] * (rows.shape[0] // chunk)
        self.x = torch.stack(slabs).to(device)
        self.head = torch.tensor(head, dtype=torch.long, device=device)


class NeuMeta(nn.Module):
    """INR mapping a weight coordinate to its k×k kernel; one residual-MLP head per parameter
    tensor (Linear+ReLU, blocks x ← x + s·ReLU(Wx) with learnable s initialised at 0.1, Linear
    → 9). The T heads are stored stacked and run as batched matrix products, so one call
    generates every tensor of every requested width."""

    def __init__(self, cfg: Config, calibrate: bool = True):
        super().__init__()
        self.freqs = cfg.freqs
        self.norm = float(4 * cfg.full_width)
        self.size_noise = cfg.size_noise
        T, H, B = len(shapes(cfg.full_width)), cfg.hidden, cfg.blocks
        d_in = 6 * (1 + 2 * cfg.freqs)

        def uni(shape, fan_in):  # PyTorch's default Linear init (official
            # ``weights_init_uniform_relu``: kaiming_uniform(a=√5), U(±1/√fan_in) biases)
            return nn.Parameter((torch.rand(shape) * 2 - 1) / math.sqrt(fan_in))

        self.w_in, self.b_in = uni((T, d_in, H), d_in), uni((T, 1, H), d_in)
        self.w_blk, self.b_blk = uni((T, B, H, H), H), uni((T, B, 1, H), H)
        self.scales = nn.Parameter(torch.full((T, B), 0.1))
        self.w_out, self.b_out = uni((T, H, 9), H), uni((T, 1, 9), H)
        self.register_buffer("mask", _noise_mask(cfg.size_noise), persistent=False)
        self._grids: dict = {}
        if calibrate:
            self._calibrate_init(cfg.full_width)

    def _calibrate_init(self, width: int) -> None:
        """Ours: rescale each head's last layer so the generated full-width tensor has the
        standard deviation of PyTorch's default init, 1/sqrt(fan-in); otherwise the sampled
        CNN starts with vanishing signals and CE training collapses to the label prior."""
        with torch.no_grad():
            ws = self(width)
            for t, (w, s) in enumerate(zip(ws, shapes(width), strict=True)):
                fan_in = int(np.prod(s[1:])) if len(s) > 1 else 9 * width
                scale = (1 / math.sqrt(fan_in)) / (float(w.std()) + 1e-12)
                if len(s) == 1:  # biases start at 0 (smooth biases share one sign: dead ReLUs)
                    scale = 0.0
                self.w_out[t].mul_(scale)
                self.b_out[t].mul_(scale)

    def encode(self, x):  # Fourier features [x, sin(2^f π x), cos(2^f π x)]
        f = (2.0 ** torch.arange(self.freqs, dtype=x.dtype, device=x.device)) * math.pi
        xf = (x[..., None] * f).flatten(-2)
        return torch.cat([x, torch.sin(xf), torch.cos(xf)], dim=-1)

    def heads(self, x: torch.Tensor, head: torch.Tensor) -> torch.Tensor:
        """(S, R, 6) normalised coordinates → (S, R, 9) raw kernels; slab s uses head
        ``head[s]`` (one batched matrix product per layer for all heads)."""
        def p(w):
            return w.index_select(0, head)
        h = F.relu(torch.baddbmm(p(self.b_in), self.encode(x), p(self.w_in)))
        sc = p(self.scales)
        for b in range(self.w_blk.shape[1]):
            h = h + sc[:, b, None, None] * F.relu(
                torch.baddbmm(p(self.b_blk[:, b]), h, p(self.w_blk[:, b])))
        return torch.baddbmm(p(self.b_out), h, p(self.w_out))

    def generate(self, widths, noise: float = 0.0, gen=None) -> dict:
        """{width: parameter list} for every width in ``widths`` from ONE batched INR call
        (coordinate noise U(−½,½)·``noise`` drawn independently for every row)."""
        widths = tuple(widths)
        dev = self.w_in.device
        key = (widths, str(dev))
        if key not in self._grids:
            self._grids[key] = _Grid(widths, dev)
        grid = self._grids[key]
        x = grid.x
        if noise > 0:
            u = torch.rand(x.shape, generator=gen).to(dev)
            x = x + (u - 0.5) * noise * self.mask
        y = self.heads(_normalise(x, self.norm), grid.head).reshape(-1, 9)
        out = {}
        for h in widths:
            ws = []
            for start, n, s, n_in in grid.index[h]:
                yt = y[start:start + n] / n_in          # fan-in scaling of the output
                ws.append(yt.reshape(s) if len(s) == 4 else yt[:, 4].reshape(s))  # centre tap
            out[h] = ws
        return out

    def forward(self, width: int, noise: float = 0.0, gen=None) -> list[torch.Tensor]:
        return self.generate((width,), noise, gen)[width]

    def sample_all(self, widths, k: int, noise: float, gen=None) -> dict:
        """Per width, the average of k weight samples: the first noise-free, the rest with
        coordinate noise (official ``sample_merge_model``); all widths in each INR call."""
        with torch.no_grad():
            acc = self.generate(widths)
            for _ in range(k - 1):
                new = self.generate(widths, noise, gen)
                acc = {h: [a + b for a, b in zip(acc[h], new[h], strict=True)] for h in acc}
            return {h: [a / k for a in ws] for h, ws in acc.items()}

    def sample(self, width: int, k: int, noise: float, gen=None) -> list[torch.Tensor]:
        return self.sample_all((width,), k, noise, gen)[width]


def recon_loss(ws, target, eps: float = 1e-3) -> torch.Tensor:
    """Mean over tensors of mean((w − w*)² · (|w*|+ε)/max(|w*|+ε)) (official weighting)."""
    terms = []
    for w, t in zip(ws, target, strict=True):
        a = t.abs() + eps
        terms.append(((w - t) ** 2 * a / a.max()).mean() / (t ** 2).mean())  # ours: ÷ mean w*²
    return torch.stack(terms).mean()


def train_neumeta(data: dict, target: list[torch.Tensor], cfg: Config, seed: int,
                  noise: float | None = None, init: NeuMeta | None = None,
                  widths: tuple | None = None) -> NeuMeta:
    """Train the INR on the CNN family (official ``train_mnist`` loss: CE + reg + decaying
    reconstruction at the full width, AdamW, EMA); starts from ``init`` (the reconstruction
    fit of :func:`fit_inr`) when given. The official loop draws one width per batch; with
    ``cfg.all_widths`` each step takes the *expectation* of that loss over the uniformly drawn
    width — the mean over ``widths`` (default ``cfg.train_widths``) of CE + reg, plus the
    reconstruction term weighted by 1/len(widths) — generated by one INR call. Returns the EMA
    model."""
    noise = cfg.noise if noise is None else noise
    widths = cfg.train_widths if widths is None else tuple(widths)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = (copy.deepcopy(init) if init is not None
             else NeuMeta(cfg).to(data["xtr"].device))
    ema = copy.deepcopy(model)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    ema_p, model_p = list(ema.parameters()), list(model.parameters())
    n = data["xtr"].shape[0]
    for epoch in range(cfg.epochs):
        rw = cfg.recon * max(0.0, 1 - epoch / cfg.recon_decay_epochs)  # official linear_decay
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, cfg.batch):
            idx = perm[i:i + cfg.batch]
            xb, yb = data["xtr"][idx], data["ytr"][idx]
            hs = widths if cfg.all_widths else (
                widths[int(torch.randint(len(widths), (1,), generator=gen))],)
            gen_ws = model.generate(hs, noise, gen)
            loss = 0.0
            for ws in gen_ws.values():
                loss = loss + F.cross_entropy(cnn_forward(xb, ws), yb)
                loss = loss + cfg.reg * sum(w.norm() for w in ws)          # L2 regulariser
            if cfg.full_width in gen_ws and rw > 0:
                loss = loss + rw * recon_loss(gen_ws[cfg.full_width], target)
            loss = loss / len(hs)
            opt.zero_grad()
            loss.backward()
            if cfg.clip > 0:  # ours (norm); the official CIFAR configs clip by value
                nn.utils.clip_grad_norm_(model_p, cfg.clip)
            opt.step()
            with torch.no_grad():  # EMA of the hypernetwork (one fused call for all tensors)
                torch._foreach_mul_(ema_p, cfg.ema)
                torch._foreach_add_(ema_p, model_p, alpha=1 - cfg.ema)
    return ema


def fit_inr(data: dict, target: list[torch.Tensor], cfg: Config, seed: int) -> dict:
    """Reconstruction-only fit of the INR to one full-width network (official init, loss and
    coordinate noise ``cfg.noise``; ``cfg.fit_steps`` AdamW steps at ``cfg.fit_lr``, no data).
    Measures how well the weight function can be represented: the returned dict holds the
    final reconstruction loss and the test accuracy of the K-sample-averaged network."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 3)
    model = NeuMeta(cfg, calibrate=False).to(data["xtr"].device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.fit_lr, weight_decay=0.0)
    for _ in range(cfg.fit_steps):
        loss = recon_loss(model(cfg.full_width, cfg.noise, gen), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    ws = model.sample(cfg.full_width, cfg.k_samples, cfg.noise, gen)
    with torch.no_grad():
        rec = float(recon_loss(ws, target))
    return {"recon": rec, "acc": accuracy(ws, data["xte"], data["yte"]), "weights": ws,
            "model": model}


def eval_neumeta(model: NeuMeta, data: dict, cfg: Config, seed: int,
                 noise: float | None = None) -> dict:
    noise = cfg.noise if noise is None else noise
    gen = torch.Generator().manual_seed(seed + 2)
    k = cfg.k_samples if noise > 0 else 1
    nets = model.sample_all(cfg.eval_widths, k, noise, gen)
    return {h: accuracy(nets[h], data["xte"], data["yte"]) for h in cfg.eval_widths}

# --------------------------------------------------------------------------------------
# The experiment
# --------------------------------------------------------------------------------------

def run_experiment(data: dict, cfg: Config, seed: int = 0) -> dict:
    """Pretrain, permute, fit the INR to the permuted and to the unpermuted network, train
    NeuMeta from each fit (the second is the no-permutation ablation), optionally the
    no-noise ablation (``cfg.ablate_noise``), and evaluate against L1 pruning and
    individually trained nets at every width of ``cfg.eval_widths``."""
    torch.manual_seed(seed)
    xte, yte = data["xte"], data["yte"]
    pre = train_cnn(data, cfg.full_width, cfg, seed)
    perm_ws, perm_info = smoothing_permutation(pre)
    with torch.no_grad():
        inv_err = float((cnn_forward(xte, pre) - cnn_forward(xte, perm_ws)).abs().max())
    res = {"pretrained": pre, "permuted": perm_ws, "perm_info": perm_info,
           "invariance_err": inv_err, "tv_before": total_variation(pre),
           "tv_after": total_variation(perm_ws), "acc_pre": accuracy(pre, xte, yte)}
    res["fit_perm"] = fit_inr(data, perm_ws, cfg, seed)
    res["fit_noperm"] = fit_inr(data, pre, cfg, seed)
    res["model"] = train_neumeta(data, perm_ws, cfg, seed, init=res["fit_perm"]["model"])
    res["neumeta"] = eval_neumeta(res["model"], data, cfg, seed)
    m = train_neumeta(data, pre, cfg, seed, init=res["fit_noperm"]["model"])
    res["no_perm"] = eval_neumeta(m, data, cfg, seed)
    res["no_noise"] = None
    if cfg.ablate_noise:
        fit = fit_inr(data, perm_ws, replace(cfg, noise=0.0), seed)
        m = train_neumeta(data, perm_ws, cfg, seed, noise=0.0, init=fit["model"])
        res["no_noise"] = eval_neumeta(m, data, cfg, seed, noise=0.0)
    res["l1"] = {h: accuracy(l1_prune(pre, h), xte, yte) for h in cfg.eval_widths}
    res["individual"] = {h: accuracy(train_cnn(data, h, cfg, seed + 100 + h), xte, yte)
                         for h in cfg.individual_widths}
    # the comparison with pruning, repeated on further independently pretrained networks
    res["pruning_nets"] = [{"seed": seed, "acc_pre": res["acc_pre"], "neumeta": res["neumeta"],
                            "l1": res["l1"]}]
    res["pruning_nets"] += [pruning_replicate(data, cfg, s)
                            for s in replicate_seeds(seed, cfg.pruning_nets)[1:]]
    return res


def pruning_replicate(data: dict, cfg: Config, seed: int) -> dict:
    """NeuMeta against L1 pruning on one more network: pretrain it at full width (``seed``),
    SHP-permute it, fit the INR to it and train NeuMeta from the fit, as :func:`run_experiment`
    does for the first; test accuracies of NeuMeta and of the pruned network at every width."""
    torch.manual_seed(seed)
    xte, yte = data["xte"], data["yte"]
    pre = train_cnn(data, cfg.full_width, cfg, seed)
    perm_ws, _ = smoothing_permutation(pre)
    fit = fit_inr(data, perm_ws, cfg, seed)
    model = train_neumeta(data, perm_ws, cfg, seed, init=fit["model"])
    return {"seed": seed, "acc_pre": accuracy(pre, xte, yte),
            "neumeta": eval_neumeta(model, data, cfg, seed),
            "l1": {h: accuracy(l1_prune(pre, h), xte, yte) for h in cfg.eval_widths}}


def pruning_gap(res: dict, h: int) -> tuple[float, list[float]]:
    """NeuMeta − L1 pruning at width ``h``: the mean over the pretrained networks of
    ``res["pruning_nets"]``, and the per-network gaps."""
    gaps = [r["neumeta"][h] - r["l1"][h] for r in res["pruning_nets"]]
    return float(np.mean(gaps)), gaps


def unseen_gap(acc: dict, cfg: Config) -> dict:
    """For each unseen width h: acc(h) − mean(acc(h−1), acc(h+1)) (neighbours trained)."""
    seen = set(cfg.train_widths)
    return {h: acc[h] - 0.5 * (acc[h - 1] + acc[h + 1]) for h in cfg.eval_widths
            if h not in seen and h - 1 in seen and h + 1 in seen}


def shp_oracle(seed: int = 0, n_instances: int = 30, sizes=(5, 6, 7, 8, 9)) -> float:
    """Worst ratio heuristic / exact (Held–Karp) SHP length on random L1 instances."""
    rng = np.random.default_rng(seed)
    worst = 1.0
    for _ in range(n_instances):
        n = int(rng.choice(sizes))
        X = rng.normal(size=(n, 12))
        D = np.abs(X[:, None] - X[None]).sum(-1)
        opt, _ = exact_shortest_path(D)
        worst = max(worst, path_length(D, shortest_path(D)) / opt)
    return worst
