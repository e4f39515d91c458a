r"""Frankle, Schwab & Morcos (ICLR 2021), *Training BatchNorm and Only BatchNorm: On the
Expressive Power of Random Features in CNNs* (arXiv:2003.00152).

What is implemented (the experiments ran on ``facebookresearch/open_lth``; we follow its
``cifar_resnet`` model, initialisers, freezing switches and CIFAR-10 recipe)
-----------------------------------------------------------------------------------------

**Network.** open_lth's CIFAR ResNet-:math:`(6D+2)` of width :math:`W`: a 3×3 stem
convolution with :math:`W` filters, three segments of :math:`D` residual blocks with
:math:`W, 2W, 4W` filters (the first block of segments 2 and 3 downsamples with stride 2 and a
1×1 convolution + BatchNorm shortcut), global average pooling and a linear output layer. Every
convolution has no bias and is followed by BatchNorm, which in training mode computes, per
channel :math:`c` over the mini-batch :math:`\mathcal B` and the spatial positions,

.. math:: \hat x_c = \frac{x_c-\mu_{\mathcal B,c}}{\sqrt{\sigma^2_{\mathcal B,c}+\epsilon}},
          \qquad y_c = \gamma_c\,\hat x_c+\beta_c ,

(``torch.nn.BatchNorm2d``; :math:`\epsilon=10^{-5}`, running statistics with momentum 0.1 for
evaluation). A block is :math:`\mathrm{ReLU}(\mathrm{BN}(\mathrm{conv}(\mathrm{ReLU}(\mathrm{BN}
(\mathrm{conv}(x)))))+\mathrm{shortcut}(x))`.

**Initialisation** (open_lth ``model_init=kaiming_normal``, ``batchnorm_init=uniform``):
convolution and output weights :math:`\mathcal N(0, 2/\text{fan-in})`, the output bias at
PyTorch's default :math:`\mathcal U(\pm 1/\sqrt{\text{fan-in}})`, and
:math:`\gamma\sim\mathcal U[0,1]`, :math:`\beta=0`.

**What is trained** (open_lth's ``batchnorm_frozen`` / ``output_frozen`` / ``others_frozen``;
the paper's regimes). Every other parameter stays *bit-identical* to its initial value.

- ``all`` — every parameter;
- ``bn`` — **BatchNorm only**: every :math:`\gamma` and :math:`\beta`; the convolutions *and
  the output layer* are frozen at their random initialisation (the paper's main regime);
- ``bn+out`` — BatchNorm and the output layer;
- ``out`` — the output layer only (a linear classifier on the random network's features);
- ``random`` — the paper's control with the same parameter count as ``bn``: in every
  convolution, **two randomly chosen weights per output channel** (BatchNorm and the output
  layer frozen). Each BatchNorm follows exactly one convolution with as many channels, so the
  counts are equal: :math:`2\sum_\ell C_\ell` trainable parameters in both;
- ``random+out`` — the same plus the output layer.

Partly-trainable tensors are handled by masking the *update*, not only the gradient: our SGD
step (:func:`masked_sgd_step`) is PyTorch's SGD with momentum and L2 weight decay,
:math:`v\leftarrow\mu v+m\odot(g+\lambda w),\; w\leftarrow w-\eta v`, with the 0/1 mask
:math:`m`, so weight decay never moves a frozen entry. On whole frozen tensors it equals
``torch.optim.SGD`` on the trainable ones (the tests check this against open_lth-style
``requires_grad=False`` freezing).

**Recipe.** CIFAR-10 in open_lth: SGD, momentum 0.9, lr 0.1, batch 128, weight decay
:math:`10^{-4}` (on γ and β too), 160 epochs with the learning rate ×0.1 at epochs 80 and 120.
We keep the optimiser, lr, momentum, decay and the step schedule (milestones at 50 % and 75 %
of training) and shorten training; the ``ci`` profile uses batches of 32 on 14×14 MNIST digits
so that the few CPU seconds give enough SGD steps.

**Analysis.** The paper finds that BatchNorm-only training disables many random features by
driving their :math:`\gamma` to zero ("around a third"); we report the fraction of
:math:`|\gamma|` below a threshold after training.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require

# --------------------------------------------------------------------------------------
# Paper numbers
# --------------------------------------------------------------------------------------

#: Abstract: BatchNorm-only test accuracy of a very deep ResNet (ResNet-866) on CIFAR-10.
PAPER_BN_ONLY_CIFAR10 = 0.82
#: Abstract: BatchNorm-only top-5 accuracy of ResNet-200 on ImageNet.
PAPER_BN_ONLY_IMAGENET_TOP5 = 0.32
#: Abstract: fraction of random features BatchNorm-only training disables (γ ≈ 0).
PAPER_DISABLED_FRACTION = 1 / 3
#: open_lth's CIFAR-10 ResNet recipe (the paper's setting).
PAPER_RECIPE = dict(optimizer="sgd", lr=0.1, momentum=0.9, batch_size=128, weight_decay=1e-4,
                    epochs=160, milestones=(80, 120), gamma=0.1)

REGIMES = ("all", "bn", "bn+out", "out", "random", "random+out")
REGIME_LABELS = {
    "all": "all parameters",
    "bn": "BatchNorm only (γ, β)",
    "bn+out": "BatchNorm + output layer",
    "out": "output layer only",
    "random": "2 random weights / channel",
    "random+out": "2 random / channel + output",
}
DATASETS = ("mnist5k", "cifar10")

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    dataset: str = "mnist5k"
    side: int = 14  # MNIST digits average-pooled 28 → 14 (ci); CIFAR-10 stays 32
    width: int = 8  # W: filters of the first segment (paper 16, and wide variants)
    depth: int = 3  # D: blocks per segment → ResNet-(6D+2) (ci: ResNet-20)
    depths: tuple[int, ...] = (1, 3)  # BatchNorm-only depth sweep (must include `depth`)
    regimes: tuple[str, ...] = ("all", "bn", "bn+out", "out", "random")
    epochs: int = 3
    batch_size: int = 32
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    milestones: tuple[float, ...] = (0.5, 0.75)  # fractions of training, lr × 0.1 at each
    augment: bool = False  # random crop (4 px padding) + horizontal flip, CIFAR-10 only
    gamma_threshold: float = 0.1  # |γ| below this counts as a disabled feature
    eval_batch: int = 1000
    amp: bool = False

    def check(self) -> None:
        require(self.dataset in DATASETS, f"dataset must be one of {DATASETS}")
        require(self.side in (7, 14, 28, 32), "side must be 7, 14 or 28 (MNIST) or 32 (CIFAR)")
        require(self.width >= 1 and self.depth >= 1, "width and depth must be >= 1")
        require(len(self.depths) >= 2 and min(self.depths) >= 1 and self.depth in self.depths,
                "depths needs >= 2 depths >= 1 and must include `depth`")
        require(all(r in REGIMES for r in self.regimes) and "bn" in self.regimes
                and "random" in self.regimes, f"regimes must be among {REGIMES} and include "
                "'bn' and 'random'")
        require(self.epochs >= 1 and self.batch_size >= 2, "epochs >= 1, batch_size >= 2")
        require(self.lr > 0 and 0 <= self.momentum < 1 and self.weight_decay >= 0,
                "lr > 0, momentum in [0, 1), weight_decay >= 0")
        require(all(0 < m < 1 for m in self.milestones), "milestones are fractions in (0, 1)")
        require(self.gamma_threshold > 0, "gamma_threshold must be > 0")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(dataset="cifar10", side=32, width=16, depth=3, depths=(1, 3, 5), epochs=12,
                regimes=REGIMES,
                batch_size=128, augment=True, amp=True, eval_batch=2000),
)

# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


@dataclass
class Data:
    x_train: torch.Tensor  # (n, C, H, W), standardised with the training mean/std
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str = ""

    @property
    def channels(self) -> int:
        return int(self.x_train.shape[1])

    def summary(self) -> dict:
        return {"data": self.name, "train images": len(self.x_train),
                "test images": len(self.x_test),
                "image": "×".join(str(s) for s in self.x_train.shape[1:]),
                "classes": int(self.y_train.max()) + 1}


def load_data(cfg: Config, device: torch.device | str = "cpu") -> Data:
    """ci: the 5,000 real MNIST digits (fixed 4,000/1,000 stratified split), average-pooled to
    ``cfg.side``; full: CIFAR-10 (50,000/10,000, downloaded with checksums). Standardised per
    channel with the training mean and standard deviation."""
    if cfg.dataset == "mnist5k":
        from ..data.mnist import load_mnist5k

        split = load_mnist5k()
        name = f"MNIST-5k, {cfg.side}×{cfg.side}"
    else:
        from ..data.vision import load_cifar10

        split = load_cifar10()
        name = "CIFAR-10"
    x_tr, x_te = torch.as_tensor(split.x_train), torch.as_tensor(split.x_test)
    if x_tr.shape[-1] != cfg.side:
        if x_tr.shape[-1] % cfg.side:
            raise ValueError(f"cannot pool {x_tr.shape[-1]}-pixel images to side {cfg.side}")
        k = x_tr.shape[-1] // cfg.side
        x_tr, x_te = F.avg_pool2d(x_tr, k), F.avg_pool2d(x_te, k)
    mean = x_tr.mean(dim=(0, 2, 3), keepdim=True)
    std = x_tr.std(dim=(0, 2, 3), keepdim=True)
    dev = torch.device(device)
    return Data(((x_tr - mean) / std).to(dev), torch.as_tensor(split.y_train).to(dev),
                ((x_te - mean) / std).to(dev), torch.as_tensor(split.y_test).to(dev), name)


# --------------------------------------------------------------------------------------
# The network (open_lth cifar_resnet)
# --------------------------------------------------------------------------------------


class Block(nn.Module):
    """ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x)); 1×1 conv + BN shortcut when the
    shape changes."""

    def __init__(self, f_in: int, f_out: int, downsample: bool):
        super().__init__()
        stride = 2 if downsample else 1
        self.conv1 = nn.Conv2d(f_in, f_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(f_out)
        self.conv2 = nn.Conv2d(f_out, f_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(f_out)
        if downsample or f_in != f_out:
            self.shortcut = nn.Sequential(nn.Conv2d(f_in, f_out, 1, 2 if downsample else 1,
                                                    bias=False), nn.BatchNorm2d(f_out))
        else:
            self.shortcut = nn.Sequential()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """open_lth's ResNet-(6D+2) with segments of W, 2W, 4W filters and D blocks each."""

    def __init__(self, depth: int, width: int, in_channels: int = 1, n_classes: int = 10):
        super().__init__()
        if depth < 1 or width < 1 or in_channels < 1 or n_classes < 2:
            raise ValueError(f"need depth, width, in_channels >= 1 and n_classes >= 2, got "
                             f"{depth}, {width}, {in_channels}, {n_classes}")
        self.depth, self.width = depth, width
        self.conv = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        blocks, current = [], width
        for segment, filters in enumerate((width, 2 * width, 4 * width)):
            for index in range(depth):
                blocks.append(Block(current, filters, segment > 0 and index == 0))
                current = filters
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(current, n_classes)

    @property
    def n_layers(self) -> int:
        return 6 * self.depth + 2

    def features(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.conv(x)))
        return self.blocks(out).mean(dim=(2, 3))  # global average pooling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.conv.in_channels:
            raise ValueError(f"expected images (n, {self.conv.in_channels}, H, W), got shape "
                             f"{tuple(x.shape)}")
        return self.fc(self.features(x))


def batchnorm_names(model: nn.Module) -> list[str]:
    """Names of every γ (``.weight``) and β (``.bias``) of the BatchNorm layers."""
    return [f"{n}.{p}" for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)
            for p in ("weight", "bias")]


def output_names(model: ResNet) -> list[str]:
    return ["fc.weight", "fc.bias"]


def init_resnet(model: ResNet, generator: torch.Generator) -> ResNet:
    """open_lth ``kaiming_normal`` + ``batchnorm_init=uniform``: conv/linear weights
    N(0, 2/fan-in), output bias U(±1/√fan-in), γ ~ U[0, 1], β = 0."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, generator=generator)
                if m.bias is not None:
                    bound = 1 / math.sqrt(m.weight.shape[1])
                    m.bias.uniform_(-bound, bound, generator=generator)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.0, 1.0, generator=generator)
                m.bias.zero_()
    return model


def make_resnet(depth: int, width: int, in_channels: int, seed: int,
                device: torch.device | str = "cpu") -> ResNet:
    """A randomly initialised ResNet; the same ``seed`` gives the same network (on the CPU,
    then moved), so every regime at one depth starts from the *same* random features."""
    g = torch.Generator().manual_seed(seed)
    return init_resnet(ResNet(depth, width, in_channels), g).to(device)


# --------------------------------------------------------------------------------------
# What is trainable: 0/1 masks per parameter
# --------------------------------------------------------------------------------------


def trainable_masks(model: ResNet, regime: str, generator: torch.Generator | None = None
                    ) -> dict[str, torch.Tensor]:
    """0/1 float mask for every parameter of ``model`` under ``regime`` (see the module
    docstring). ``random`` draws, for every output channel of every convolution, two distinct
    weight positions among its ``C_in·k·k`` with ``generator``."""
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; choose one of {REGIMES}")
    bn, out = set(batchnorm_names(model)), set(output_names(model))
    masks = {}
    for name, p in model.named_parameters():
        on = (regime == "all" or (name in bn and regime in ("bn", "bn+out"))
              or (name in out and regime in ("out", "bn+out", "random+out")))
        m = torch.full_like(p, float(on))
        if regime in ("random", "random+out") and p.dim() == 4:  # a convolution weight
            if generator is None:
                raise ValueError("the random regimes need a torch.Generator")
            c_out, k = p.shape[0], p[0].numel()
            if k < 2:
                raise ValueError(f"{name}: a channel with {k} weight cannot hold 2 trainable")
            idx = torch.argsort(torch.rand(c_out, k, generator=generator), dim=1)[:, :2]
            flat = torch.zeros(c_out, k)
            flat.scatter_(1, idx, 1.0)
            m = flat.view_as(p).to(p)
        masks[name] = m
    return masks


def count_trainable(masks: dict[str, torch.Tensor]) -> int:
    return int(sum(float(m.sum()) for m in masks.values()))


def batchnorm_parameter_count(model: ResNet) -> int:
    """2·Σ_ℓ C_ℓ: one γ and one β per channel of every BatchNorm layer."""
    return sum(2 * m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d))


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------


def lr_at(step: int, total: int, cfg: Config) -> float:
    """Step schedule: ``cfg.lr`` × 0.1 at every milestone (fractions of training)."""
    drops = sum(step >= round(m * total) for m in cfg.milestones)
    return cfg.lr * 0.1 ** drops


@torch.no_grad()
def masked_sgd_step(params: dict[str, torch.Tensor], grads: dict[str, torch.Tensor],
                    masks: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor],
                    lr: float, momentum: float, weight_decay: float) -> None:
    """PyTorch's SGD (momentum, no dampening, L2 decay added to the gradient) on the entries
    where ``mask`` is 1: v ← μv + m⊙(g + λw), w ← w − ηv. Frozen entries never move."""
    for name, g in grads.items():
        w, m = params[name], masks[name]
        d = (g + weight_decay * w) * m
        buf = buffers.get(name)
        if buf is None:
            buffers[name] = buf = d.clone()  # torch SGD: the first step's buffer is d itself
        else:
            buf.mul_(momentum).add_(d)
        w.sub_(lr * buf)


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    """Test accuracy in eval mode (BatchNorm with its running statistics)."""
    was = model.training
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    model.train(was)
    return correct / len(x)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random crop with 4-pixel zero padding and horizontal flip (CIFAR-10 standard)."""
    n, _, h, w = x.shape
    pad = F.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=gen)
    dx = torch.randint(0, 9, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h)[None]).to(x.device)
    cols = (dx[:, None] + torch.arange(w)[None]).to(x.device)
    out = pad[torch.arange(n, device=x.device)[:, None, None, None],
              torch.arange(x.shape[1], device=x.device)[None, :, None, None],
              rows[:, None, :, None], cols[:, None, None, :]]
    flip = (torch.rand(n, generator=gen) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], out.flip(-1), out)


@dataclass
class RunResult:
    regime: str
    depth: int
    accuracy: float
    n_trainable: int
    gammas: np.ndarray  # every γ after training
    gammas_init: np.ndarray
    frozen_unchanged: bool  # every frozen entry bit-identical to its initial value
    changed_trainable: int  # trainable entries that moved
    loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


def train_regime(cfg: Config, data: Data, regime: str, *, depth: int | None = None,
                 seed: int = 0, device: torch.device | str = "cpu") -> RunResult:
    """Train one regime from the seed's random network at ``depth`` (default ``cfg.depth``).
    All regimes at one depth share the initial network and the order of the mini-batches."""
    depth = cfg.depth if depth is None else depth
    device = torch.device(device)
    t0 = time.perf_counter()
    model = make_resnet(depth, cfg.width, data.channels, seed=1000 * seed + depth,
                        device=device)
    masks = {k: v.to(device) for k, v in
             trainable_masks(model, regime, torch.Generator().manual_seed(seed + 7)).items()}
    params = dict(model.named_parameters())
    init = {k: p.detach().clone() for k, p in params.items()}
    active = [k for k in params if float(masks[k].sum()) > 0]
    for k, p in params.items():
        p.requires_grad_(k in active)  # no gradient work for wholly frozen tensors
    buffers: dict[str, torch.Tensor] = {}
    gen = torch.Generator().manual_seed(seed)
    n = len(data.x_train)
    per_epoch = n // cfg.batch_size
    total = cfg.epochs * per_epoch
    use_amp = cfg.amp and device.type == "cuda"
    losses, step = [], 0
    model.train()
    for _ in range(cfg.epochs):
        order = torch.randperm(n, generator=gen).to(device)
        for b in range(per_epoch):
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            x = data.x_train[idx]
            if cfg.augment:
                x = _augment(x, gen)
            with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                loss = F.cross_entropy(model(x), data.y_train[idx])
            if active:  # (nothing trainable: only the BatchNorm running statistics move)
                g = torch.autograd.grad(loss.float(), [params[k] for k in active])
                masked_sgd_step(params, dict(zip(active, g, strict=True)), masks, buffers,
                                lr_at(step, total, cfg), cfg.momentum, cfg.weight_decay)
            losses.append(float(loss.detach()))
            step += 1
    acc = accuracy(model, data.x_test, data.y_test, cfg.eval_batch)
    with torch.no_grad():
        frozen_ok = all(bool(torch.equal(p[masks[k] == 0], init[k][masks[k] == 0]))
                        for k, p in params.items())
        moved = sum(int(((p != init[k]) & (masks[k] == 1)).sum()) for k, p in params.items())
    bn = batchnorm_names(model)
    gam = torch.cat([params[k].detach().flatten() for k in bn if k.endswith("weight")])
    gam0 = torch.cat([init[k].flatten() for k in bn if k.endswith("weight")])
    return RunResult(regime, depth, acc, count_trainable(masks), gam.cpu().numpy(),
                     gam0.cpu().numpy(), frozen_ok, moved, losses,
                     time.perf_counter() - t0)


def untrained_accuracy(cfg: Config, data: Data, *, depth: int | None = None, seed: int = 0,
                       device: torch.device | str = "cpu") -> float:
    """Accuracy of the seed's random network itself (what BatchNorm-only becomes when γ and β
    are frozen too). Its BatchNorm running statistics are first set with one pass over the
    training images in train mode, without any parameter update."""
    depth = cfg.depth if depth is None else depth
    model = make_resnet(depth, cfg.width, data.channels, seed=1000 * seed + depth,
                        device=device)
    with torch.no_grad():
        model.train()
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = None  # cumulative average over the pass
        for i in range(0, len(data.x_train), cfg.eval_batch):
            model(data.x_train[i:i + cfg.eval_batch])
    return accuracy(model, data.x_test, data.y_test, cfg.eval_batch)


def run_experiment(cfg: Config, data: Data, *, seed: int = 0,
                   device: torch.device | str = "cpu", progress=None) -> dict:
    """Every regime at ``cfg.depth`` and BatchNorm-only at every depth of ``cfg.depths``.
    Returns ``{(regime, depth): RunResult}``."""
    jobs = [(r, cfg.depth) for r in cfg.regimes]
    jobs += [("bn", d) for d in cfg.depths if d != cfg.depth]
    bar = progress(total=len(jobs), desc="regimes") if progress else None
    out = {}
    for regime, depth in jobs:
        out[(regime, depth)] = train_regime(cfg, data, regime, depth=depth, seed=seed,
                                            device=device)
        if bar:
            bar.update()
    if bar:
        bar.close()
    return out


def disabled_fraction(gammas: np.ndarray, threshold: float) -> float:
    """Fraction of features whose |γ| is below ``threshold`` (switched off)."""
    return float(np.mean(np.abs(np.asarray(gammas)) < threshold))


def batchnorm_reference(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
                        eps: float = 1e-5) -> torch.Tensor:
    """Training-mode BatchNorm by hand: γ(x − μ_B)/√(σ²_B + ε) + β per channel, with the
    biased batch variance over (batch, height, width)."""
    mu = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    return gamma[None, :, None, None] * (x - mu) / torch.sqrt(var + eps) \
        + beta[None, :, None, None]


# --------------------------------------------------------------------------------------
# Cost on paper
# --------------------------------------------------------------------------------------


def resnet_flops(depth: int, width: int, side: int, in_channels: int = 1) -> float:
    """Multiply-adds ×2 of one forward pass of one image."""
    fl, s, cur = 2 * side * side * in_channels * width * 9, side, width
    for seg, f in enumerate((width, 2 * width, 4 * width)):
        for i in range(depth):
            if seg > 0 and i == 0:
                s = (s + 1) // 2
                fl += 2 * s * s * cur * f  # 1×1 shortcut
            fl += 2 * s * s * (cur * f * 9 + f * f * 9)
            cur = f
    return float(fl)


#: ci: one CPU core for small convolutions at batch 32, measured on the shared 2-core machine
#: (≈ 2.5–4e10 flop/s for forward + backward when the machine is idle, ≈ 6e9 at load 8;
#: we take 2e10, plus ≈ 0.2 ms of per-layer overhead a step);
#: full: a Colab T4 with AMP for CIFAR ResNets (≈ 2e12 flop/s, conservative).
_RATES = {"mnist5k": (2e10, 2.0e-4), "cifar10": (2e12, 2e-4)}
#: forward + backward cost in forward passes: 3 when convolution weights get gradients;
#: the output-only regime back-propagates through the last layer only (measured ≈ half of
#: full training; we take 1.5).
_PASSES = {"out": 1.5}


def estimate_seconds(cfg: Config) -> float:
    """Conservative cost of :func:`run_experiment` (+ data loading), on paper."""
    rate, per_layer = _RATES[cfg.dataset]
    n_train = 4000 if cfg.dataset == "mnist5k" else 50_000
    n_test = 1000 if cfg.dataset == "mnist5k" else 10_000
    ch = 1 if cfg.dataset == "mnist5k" else 3
    steps = cfg.epochs * (n_train // cfg.batch_size)
    jobs = [(r, cfg.depth) for r in cfg.regimes]
    jobs += [("bn", d) for d in cfg.depths if d != cfg.depth]
    total = 0.0
    for r, d in jobs:
        f = resnet_flops(d, cfg.width, cfg.side, ch)
        passes = _PASSES.get(r, 3.0)
        total += steps * (passes * f * cfg.batch_size / rate + per_layer * (6 * d + 4))
        total += n_test * f / rate
    load = 1.0 if cfg.dataset == "mnist5k" else 30.0
    return total + load
