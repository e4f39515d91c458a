r"""Liu, Brock, Simonyan & Le (NeurIPS 2020), *Evolving Normalization-Activation Layers*
(arXiv:2004.02967).

What is implemented (official code: ``tensorflow/tpu``, ``models/official/resnet/resnet_model.py``,
function ``evonorm``; peer: ``timm.layers.evo_norm``)
-----------------------------------------------------------------------------------------------

For a feature map :math:`x\in\mathbb R^{N\times C\times H\times W}` and per-channel parameters
:math:`v_1,\gamma` (init 1) and :math:`\beta` (init 0):

**EvoNorm-B0** (batch-dependent)

.. math:: y = \frac{x}{\max\big(\sqrt{s^2_{b,h,w}(x)+\epsilon},\;
          v_1 x + \sqrt{s^2_{h,w}(x)+\epsilon}\big)}\,\gamma + \beta,

:math:`s^2_{b,h,w}` the per-channel batch variance (biased), replaced at inference by its moving
average (decay 0.9, initialised to 1), :math:`s^2_{h,w}` the per-sample, per-channel (instance)
variance; the ``max`` is element-wise.

**EvoNorm-S0** (batch-independent)

.. math:: y = \frac{x\,\sigma(v_1 x)}{\sqrt{s^2_{h,w,c/g}(x)+\epsilon}}\,\gamma+\beta,

:math:`\sigma` the logistic sigmoid, :math:`s^2_{h,w,c/g}` the per-sample variance over each group
of :math:`C/g` channels and all positions (:math:`g` = 32 groups, lowered until it divides
:math:`C`, as the official ``_group_std``).

With ``nonlinearity=False`` both are the affine map :math:`x\gamma+\beta` (the official code uses
it for the last layer of each residual block, with :math:`\gamma` initialised to 0).

**Where the official code, the paper and timm differ.** The official code uses
:math:`\epsilon=10^{-5}` for both layers and updates the moving variance with the *biased* batch
variance. timm's ``EvoNorm2dB0`` uses :math:`\epsilon=10^{-3}` and the unbiased correction
:math:`n/(n-1)` in the running variance; its ``EvoNorm2dS0`` takes ``groups`` (or
``group_size``) and asserts that it divides :math:`C`. We follow the official code by default
and expose ``eps`` and ``unbiased`` so that the same class reproduces timm exactly (tests and the
chapter's oracle row).

**Per-device batches.** To emulate data-parallel training where each device normalises over its
own ``b`` images (the regime of the paper's small-batch experiment), the batch-dependent layers
take ``device_batch``: the statistics :math:`s^2_{b,h,w}` are computed over consecutive groups
of ``b`` images of the step's batch (unsynchronised BatchNorm), and the moving variance is
updated with their mean. The gradient batch is the same for every layer.

**Training.** Adam on cross-entropy; the sweep's learning rate is constant by default
(``Config.schedule``), or a cosine decay with a linear warm-up (``schedule="cosine"``,
``warmup``), the same recipe for every layer, as the paper inherits the BN baselines'
hyper-parameters.

**Layer search** (paper §3): a layer is a computation graph on the input :math:`x`, constants
and per-channel trainable vectors, whose nodes apply the paper's primitive ops (
add, mul, div, max, neg, sigmoid, tanh, exp, log, abs, square, sqrt and the moments over
(b,h,w), (h,w) and (h,w,c/g)). Evolution: tournament selection over the population, one
mutation (a node's op or one of its inputs) per child, the oldest member removed. Rejection
protocols (§3): a *quality* rule (the paper discards layers below 20 % CIFAR-10 validation
accuracy after 100 training steps) and a *stability* rule (discard layers whose gradient norm
explodes when the weights are adversarially perturbed). We apply both on MNIST digits with a
small CNN; the sizes are ours.
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

# --------------------------------------------------------------------------------------
# Paper numbers
# --------------------------------------------------------------------------------------

#: Small-batch regime (paper Table 4, as summarised by the authors): EvoNorm-S0 beats BN-ReLU
#: by 7.8 points (ResNet-50) and 7.3 points (MobileNetV2) of ImageNet top-1 accuracy.
PAPER_SMALL_BATCH_GAIN = {"ResNet-50": 7.8, "MobileNetV2": 7.3}
#: Quality rejection (paper §3): CIFAR-10 validation accuracy after 100 steps below 20 %.
PAPER_QUALITY_THRESHOLD = 0.20
PAPER_QUALITY_STEPS = 100
#: Official ``resnet_model.py``: epsilon and moving-average decay of EvoNorm and BN.
OFFICIAL_EPS = 1e-5
OFFICIAL_DECAY = 0.9
#: timm's defaults (the peer oracle).
TIMM_EPS_B0 = 1e-3
TIMM_EPS_S0 = 1e-5

LAYERS = ("BN-ReLU", "GN-ReLU", "EvoNorm-B0", "EvoNorm-S0", "ReLU (no norm)")
BATCH_DEPENDENT = ("BN-ReLU", "EvoNorm-B0")


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------


def _check_4d(x: torch.Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(f"expected a 4-d feature map (N, C, H, W), got shape {tuple(x.shape)}")


def instance_var(x: torch.Tensor) -> torch.Tensor:
    r""":math:`s^2_{h,w}(x)`: per-sample, per-channel variance (biased), shape (N, C, 1, 1)."""
    return x.var(dim=(2, 3), unbiased=False, keepdim=True)


def fit_groups(channels: int, groups: int) -> int:
    """The official ``_group_std`` rule: lower ``groups`` until it divides ``channels``."""
    if channels < 1 or groups < 1:
        raise ValueError(f"channels and groups must be >= 1, got {channels}, {groups}")
    while groups > 1 and channels % groups:
        groups -= 1
    return groups


def group_var(x: torch.Tensor, groups: int) -> torch.Tensor:
    r""":math:`s^2_{h,w,c/g}(x)`: per-sample variance over each group of channels and all
    positions (biased), broadcast back to the shape of ``x``."""
    n, c, h, w = x.shape
    if c % groups:
        raise ValueError(f"groups={groups} does not divide the {c} channels")
    xg = x.reshape(n, groups, c // groups, h, w)
    var = xg.var(dim=(2, 3, 4), unbiased=False, keepdim=True)
    return var.expand_as(xg).reshape(n, c, h, w)


def batch_var(x: torch.Tensor, device_batch: int | None = None) -> torch.Tensor:
    r""":math:`s^2_{b,h,w}(x)` per channel (biased). With ``device_batch=b`` the variance of each
    group of ``b`` consecutive images (one device's batch), shape (N/b, 1, C, 1, 1)-broadcastable
    as (N, C, 1, 1); without it, over the whole batch, shape (1, C, 1, 1)."""
    n, c = x.shape[:2]
    if device_batch is None or device_batch >= n:
        return x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    if n % device_batch:
        raise ValueError(f"batch {n} is not a multiple of device_batch={device_batch}")
    xg = x.reshape(n // device_batch, device_batch, c, *x.shape[2:])
    var = xg.var(dim=(1, 3, 4), unbiased=False, keepdim=True)  # (groups, 1, C, 1, 1)
    return var.expand(-1, device_batch, -1, -1, -1).reshape(n, c, 1, 1)


# --------------------------------------------------------------------------------------
# The layers
# --------------------------------------------------------------------------------------


class EvoNormB0(nn.Module):
    """EvoNorm-B0 (see the module docstring); official defaults, ``eps``/``unbiased`` for timm."""

    def __init__(self, channels: int, *, nonlinearity: bool = True, eps: float = OFFICIAL_EPS,
                 momentum: float = 1 - OFFICIAL_DECAY, unbiased: bool = False,
                 device_batch: int | None = None, init_zero: bool = False):
        super().__init__()
        if channels < 1 or eps <= 0 or not 0 < momentum <= 1:
            raise ValueError("need channels >= 1, eps > 0 and 0 < momentum <= 1")
        if device_batch is not None and device_batch < 1:
            raise ValueError(f"device_batch must be >= 1 or None, got {device_batch}")
        self.nonlinearity, self.eps, self.momentum = nonlinearity, eps, momentum
        self.unbiased, self.device_batch = unbiased, device_batch
        self.weight = nn.Parameter(torch.zeros(channels) if init_zero else torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.v = nn.Parameter(torch.ones(channels)) if nonlinearity else None
        self.register_buffer("running_var", torch.ones(channels))

    def _batch_var(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return self.running_var.view(1, -1, 1, 1)
        var = batch_var(x, self.device_batch)
        with torch.no_grad():  # moving variance: decay 0.9 (momentum 0.1)
            b = x.shape[0] if self.device_batch is None else min(self.device_batch, x.shape[0])
            m = b * x.shape[2] * x.shape[3]
            new = var.detach().reshape(-1, var.shape[1]).mean(0)  # mean over the devices
            if self.unbiased:  # timm: n / (n - 1)
                new = new * m / max(m - 1, 1)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * new)
        return var

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_4d(x)
        shape = (1, -1, 1, 1)
        if self.nonlinearity:
            left = (self._batch_var(x) + self.eps).sqrt()  # sqrt(s^2_{b,h,w} + eps)
            # v1 x + sqrt(s^2_{h,w} + eps)
            right = x * self.v.view(shape) + (instance_var(x) + self.eps).sqrt()
            x = x / torch.maximum(left, right)
        return x * self.weight.view(shape) + self.bias.view(shape)  # · gamma + beta


class EvoNormS0(nn.Module):
    """EvoNorm-S0 (see the module docstring): per-sample, batch-independent."""

    def __init__(self, channels: int, groups: int = 32, *, nonlinearity: bool = True,
                 eps: float = OFFICIAL_EPS, init_zero: bool = False):
        super().__init__()
        if channels < 1 or eps <= 0:
            raise ValueError("need channels >= 1 and eps > 0")
        self.groups = fit_groups(channels, groups)
        self.nonlinearity, self.eps = nonlinearity, eps
        self.weight = nn.Parameter(torch.zeros(channels) if init_zero else torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.v = nn.Parameter(torch.ones(channels)) if nonlinearity else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_4d(x)
        shape = (1, -1, 1, 1)
        if self.nonlinearity:
            num = x * torch.sigmoid(self.v.view(shape) * x)  # x · σ(v1 x)
            x = num / (group_var(x, self.groups) + self.eps).sqrt()  # / sqrt(s^2_{h,w,c/g}+eps)
        return x * self.weight.view(shape) + self.bias.view(shape)  # · gamma + beta


class BatchNormAct(nn.Module):
    """BN followed by ReLU (or BN alone), with per-device statistics (``device_batch``); the
    official ``batch_norm_relu``: momentum 0.9 moving averages, epsilon 1e-5."""

    def __init__(self, channels: int, *, nonlinearity: bool = True, eps: float = OFFICIAL_EPS,
                 momentum: float = 1 - OFFICIAL_DECAY, device_batch: int | None = None,
                 init_zero: bool = False):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, eps=eps, momentum=momentum)
        if init_zero:
            nn.init.zeros_(self.bn.weight)
        self.nonlinearity, self.device_batch = nonlinearity, device_batch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_4d(x)
        b = self.device_batch
        if self.training and b is not None and b < x.shape[0]:
            n, c, h, w = x.shape
            if n % b:
                raise ValueError(f"batch {n} is not a multiple of device_batch={b}")
            # each device normalises its own b images: a (n/b)-times wider BN over (b, C·n/b)
            xg = x.reshape(n // b, b, c, h, w).transpose(0, 1).reshape(b, n // b * c, h, w)
            bn = self.bn
            mean = xg.mean(dim=(0, 2, 3))
            var = xg.var(dim=(0, 2, 3), unbiased=False)
            with torch.no_grad():  # moving averages: mean over the devices (torch: unbiased var)
                m = b * h * w
                bn.running_mean.lerp_(mean.view(n // b, c).mean(0), bn.momentum)
                bn.running_var.lerp_(var.view(n // b, c).mean(0) * m / max(m - 1, 1),
                                     bn.momentum)
            y = (xg - mean.view(1, -1, 1, 1)) / (var.view(1, -1, 1, 1) + bn.eps).sqrt()
            y = y.reshape(b, n // b, c, h, w).transpose(0, 1).reshape(n, c, h, w)
            y = y * bn.weight.view(1, -1, 1, 1) + bn.bias.view(1, -1, 1, 1)
        else:
            y = self.bn(x)
        return F.relu(y) if self.nonlinearity else y


class GroupNormAct(nn.Module):
    """GN followed by ReLU (or GN alone)."""

    def __init__(self, channels: int, groups: int = 32, *, nonlinearity: bool = True,
                 eps: float = OFFICIAL_EPS, init_zero: bool = False):
        super().__init__()
        self.gn = nn.GroupNorm(fit_groups(channels, groups), channels, eps=eps)
        if init_zero:
            nn.init.zeros_(self.gn.weight)
        self.nonlinearity = nonlinearity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_4d(x)
        y = self.gn(x)
        return F.relu(y) if self.nonlinearity else y


class PlainAct(nn.Module):
    """No normalisation: ReLU after an affine map (the 'what normalisation buys' baseline)."""

    def __init__(self, channels: int, *, nonlinearity: bool = True, init_zero: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels) if init_zero else torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.nonlinearity = nonlinearity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_4d(x)
        y = x * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)
        return F.relu(y) if self.nonlinearity else y


def make_norm_act(kind: str, channels: int, *, groups: int = 8, nonlinearity: bool = True,
                  init_zero: bool = False, device_batch: int | None = None) -> nn.Module:
    """One normalisation-activation layer by name (:data:`LAYERS`)."""
    if kind == "BN-ReLU":
        return BatchNormAct(channels, nonlinearity=nonlinearity, init_zero=init_zero,
                            device_batch=device_batch)
    if kind == "GN-ReLU":
        return GroupNormAct(channels, groups, nonlinearity=nonlinearity, init_zero=init_zero)
    if kind == "EvoNorm-B0":
        return EvoNormB0(channels, nonlinearity=nonlinearity, init_zero=init_zero,
                         device_batch=device_batch)
    if kind == "EvoNorm-S0":
        return EvoNormS0(channels, groups, nonlinearity=nonlinearity, init_zero=init_zero)
    if kind == "ReLU (no norm)":
        return PlainAct(channels, nonlinearity=nonlinearity, init_zero=init_zero)
    raise ValueError(f"unknown layer {kind!r}; choose one of {LAYERS}")


# --------------------------------------------------------------------------------------
# A small ResNet (the official post-activation residual block)
# --------------------------------------------------------------------------------------


class Block(nn.Module):
    """Official ``residual_block``: conv3x3 → norm-act → conv3x3 → norm (no activation,
    :math:`\\gamma` initialised to 0) → + shortcut (1x1 conv + norm when the shape changes)
    → ReLU."""

    def __init__(self, kind: str, c_in: int, c_out: int, stride: int, **kw):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.na1 = make_norm_act(kind, c_out, **kw)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.na2 = make_norm_act(kind, c_out, nonlinearity=False, init_zero=True, **kw)
        self.proj = None
        if stride != 1 or c_in != c_out:
            self.proj = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                      make_norm_act(kind, c_out, nonlinearity=False, **kw))

    def forward(self, x):
        short = x if self.proj is None else self.proj(x)
        return F.relu(self.na2(self.conv2(self.na1(self.conv1(x)))) + short)


class SmallResNet(nn.Module):
    """stem conv3x3 + norm-act, one residual block per width in ``widths`` (stride 2 from the
    second on), global average pooling, linear classifier."""

    def __init__(self, kind: str, widths=(16, 32), n_classes: int = 10, in_channels: int = 1,
                 groups: int = 8, device_batch: int | None = None):
        super().__init__()
        if kind not in LAYERS:
            raise ValueError(f"unknown layer {kind!r}; choose one of {LAYERS}")
        kw = dict(groups=groups, device_batch=device_batch)
        self.stem = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.na = make_norm_act(kind, widths[0], **kw)
        blocks, c = [], widths[0]
        for i, w in enumerate(widths):
            blocks.append(Block(kind, c, w, 1 if i == 0 else 2, **kw))
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, n_classes)

    def forward(self, x):
        h = self.blocks(self.na(self.stem(x)))
        return self.fc(h.mean(dim=(2, 3)))


# --------------------------------------------------------------------------------------
# Layer search: computation graphs of primitive ops (paper §3)
# --------------------------------------------------------------------------------------

_SAFE = 1e-3  # protects div and log from zeros (a layer that needs it is rejected anyway)
#: the initial nodes of every graph: x, the constants 0 and 1, trainable v0 (init 0), v1 (init 1)
INITIAL = ("x", "0", "1", "v0", "v1")
UNARY = ("neg", "sigmoid", "tanh", "exp", "log", "abs", "square", "sqrt",
         "mean_bhw", "std_bhw", "mean_hw", "std_hw", "mean_hwg", "std_hwg")
BINARY = ("add", "mul", "div", "max")
OPS = UNARY + BINARY


def _moment(x: torch.Tensor, axes: str, groups: int, std: bool) -> torch.Tensor:
    """Mean or std (with eps) over (b,h,w), (h,w) or (h,w,c/g); a constant or per-channel
    vector is its own mean and has std sqrt(eps)."""
    if x.dim() != 4 or (x.shape[0] == 1 and x.shape[2:] == (1, 1)):
        return (torch.zeros_like(x) + OFFICIAL_EPS).sqrt() if std else x
    if axes == "hwg":
        n, c, h, w = x.shape
        g = fit_groups(c, groups)
        xg = x.reshape(n, g, c // g, h, w)
        dims: tuple[int, ...] = (2, 3, 4)
    else:
        xg, dims = x, ((0, 2, 3) if axes == "bhw" else (2, 3))
    m = ((xg.var(dim=dims, unbiased=False, keepdim=True) + OFFICIAL_EPS).sqrt() if std
         else xg.mean(dim=dims, keepdim=True))
    return m.expand_as(xg).reshape(x.shape) if axes == "hwg" else m


def apply_op(op: str, a: torch.Tensor, b: torch.Tensor | None = None, groups: int = 4):
    """One primitive of the search space (paper §3); div and log are protected from zeros."""
    if op == "neg":
        return -a
    if op == "sigmoid":
        return torch.sigmoid(a)
    if op == "tanh":
        return torch.tanh(a)
    if op == "exp":
        return torch.exp(a)
    if op == "log":
        return torch.log(a.abs() + _SAFE)
    if op == "abs":
        return a.abs()
    if op == "square":
        return a * a
    if op == "sqrt":
        return (a.abs() + _SAFE ** 2).sqrt()
    if op.startswith(("mean_", "std_")):
        kind, axes = op.split("_")
        return _moment(a, axes, groups, kind == "std")
    if op == "add":
        return a + b
    if op == "mul":
        return a * b
    if op == "div":
        return a / torch.where(b.abs() < _SAFE, torch.full_like(b, _SAFE), b)
    if op == "max":
        return torch.maximum(a, b)
    raise ValueError(f"unknown op {op!r}; choose one of {OPS}")


@dataclass(frozen=True)
class Graph:
    """A candidate layer: nodes ``(op, i, j)`` in order; inputs index the initial nodes
    (:data:`INITIAL`) and earlier nodes; the last node is the output, followed by
    :math:`\\cdot\\gamma+\\beta`."""

    nodes: tuple[tuple[str, int, int], ...]

    def __post_init__(self):
        if not self.nodes:
            raise ValueError("a graph needs at least one node")
        for k, (op, i, j) in enumerate(self.nodes):
            if op not in OPS:
                raise ValueError(f"unknown op {op!r}; choose one of {OPS}")
            if not (0 <= i < len(INITIAL) + k and 0 <= j < len(INITIAL) + k):
                raise ValueError(f"node {k} reads a later node ({i}, {j})")

    def expr(self) -> str:
        """The graph as a formula (for tables)."""
        names = list(INITIAL)
        for op, i, j in self.nodes:
            a, b = names[i], names[j]
            if op in BINARY:
                sym = {"add": "+", "mul": "·", "div": "/"}.get(op)
                names.append(f"max({a}, {b})" if op == "max" else f"({a} {sym} {b})")
            else:
                names.append(f"-{a}" if op == "neg" else f"{op}({a})")
        return names[-1]

    def used(self) -> set[int]:
        """Indices of nodes the output depends on."""
        need, k0 = {len(INITIAL) + len(self.nodes) - 1}, len(INITIAL)
        for k in range(len(self.nodes) - 1, -1, -1):
            if k0 + k in need:
                op, i, j = self.nodes[k]
                need |= {i} | ({j} if op in BINARY else set())
        return need


#: the paper's layers written in the search space (the tests check they equal the layers)
PAPER_GRAPHS = {
    # S0: x · σ(v1 x) / std_{h,w,c/g}(x)
    "EvoNorm-S0": Graph((("mul", 4, 0), ("sigmoid", 5, 5), ("mul", 0, 6), ("std_hwg", 0, 0),
                         ("div", 7, 8))),
    # B0: x / max(std_{b,h,w}(x), v1 x + std_{h,w}(x))
    "EvoNorm-B0": Graph((("std_bhw", 0, 0), ("mul", 4, 0), ("std_hw", 0, 0), ("add", 6, 7),
                         ("max", 5, 8), ("div", 0, 9))),
}
#: the trivial baseline and planted degenerate layers
PLANTED = {
    "linear (baseline)": Graph((("add", 0, 1),)),
    "zero (planted)": Graph((("mul", 0, 1),)),
    "exp(exp(x)) (planted)": Graph((("exp", 0, 0), ("exp", 5, 5))),
    "x³ (planted)": Graph((("square", 0, 0), ("mul", 5, 0))),
    "x·σ(v1 x), no norm (planted)": Graph((("mul", 4, 0), ("sigmoid", 5, 5), ("mul", 0, 6))),
}
NAMED_GRAPHS = PAPER_GRAPHS | PLANTED


class GraphLayer(nn.Module):
    """A candidate graph as a layer with its own v0, v1, γ, β (per channel); with
    ``nonlinearity=False`` it is the affine map, as the paper's layers."""

    def __init__(self, graph: Graph, channels: int, *, groups: int = 4,
                 nonlinearity: bool = True, init_zero: bool = False):
        super().__init__()
        self.graph, self.groups, self.nonlinearity = graph, groups, nonlinearity
        self.v0 = nn.Parameter(torch.zeros(channels))
        self.v1 = nn.Parameter(torch.ones(channels))
        self.weight = nn.Parameter(torch.zeros(channels) if init_zero else torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_4d(x)
        shape = (1, -1, 1, 1)
        if self.nonlinearity:
            one = torch.ones((), dtype=x.dtype, device=x.device)
            vals = [x, one * 0, one, self.v0.view(shape), self.v1.view(shape)]
            for op, i, j in self.graph.nodes:
                vals.append(apply_op(op, vals[i], vals[j], self.groups))
            x = vals[-1].expand_as(x) if vals[-1].shape != x.shape else vals[-1]
        return x * self.weight.view(shape) + self.bias.view(shape)


def random_graph(rng: np.random.Generator, n_nodes: int = 4) -> Graph:
    """A random chain: node k reads node k-1 (node 0 reads x) and a random earlier node, with
    random ops, so that the output depends on x before any mutation."""
    nodes = []
    for k in range(n_nodes):
        op = OPS[rng.integers(len(OPS))]
        i = 0 if k == 0 else len(INITIAL) + k - 1
        j = int(rng.integers(len(INITIAL) + k))
        nodes.append((op, i, j) if rng.random() < 0.5 or op not in BINARY else (op, j, i))
    return Graph(tuple(nodes))


def mutate(graph: Graph, rng: np.random.Generator) -> Graph:
    """The paper's mutation: pick a node, then replace its op or one of its inputs."""
    nodes = list(graph.nodes)
    k = int(rng.integers(len(nodes)))
    op, i, j = nodes[k]
    n_in = len(INITIAL) + k
    what = rng.integers(3)
    if what == 0:
        op = OPS[rng.integers(len(OPS))]
    elif what == 1:
        i = int(rng.integers(n_in))
    else:
        j = int(rng.integers(n_in))
    nodes[k] = (op, i, j)
    return Graph(tuple(nodes))


class ProxyNet(nn.Module):
    """The search's proxy model: conv3x3 (8) → layer → conv3x3 stride 2 (16) → layer →
    global average pooling → linear. Without a nonlinearity it is linear in the pixels'
    pooled responses, so a useless layer scores near chance."""

    def __init__(self, layer, widths=(8, 16), n_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
        self.l1 = layer(widths[0])
        self.conv2 = nn.Conv2d(widths[0], widths[1], 3, 2, 1, bias=False)
        self.l2 = layer(widths[1])
        self.fc = nn.Linear(widths[1], n_classes)

    def convs(self):
        return [self.conv1, self.conv2]

    def forward(self, x):
        return self.fc(self.l2(self.conv2(self.l1(self.conv1(x)))).mean(dim=(2, 3)))


# --------------------------------------------------------------------------------------
# Data and training
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Digits:
    """Standardised MNIST digits as tensors (N, 1, side, side)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits(side: int = 14, device: torch.device | str = "cpu") -> Digits:
    """The 5,000 real MNIST digits (4,000 train / 1,000 test, fixed split), average-pooled to
    ``side`` × ``side`` (28 must be a multiple of it), standardised with the training mean/std."""
    from ..data.mnist import load_mnist5k

    if side < 1 or 28 % side:
        raise ValueError(f"side must divide 28, got {side}")
    d = load_mnist5k()
    x, xt = torch.as_tensor(d.x_train), torch.as_tensor(d.x_test)
    if side != 28:
        x, xt = F.avg_pool2d(x, 28 // side), F.avg_pool2d(xt, 28 // side)
    mu, sd = x.mean(), x.std()
    dev = torch.device(device)
    perm = torch.as_tensor(np.random.default_rng(0).permutation(len(x)))  # fixed shuffle
    return Digits(((x[perm] - mu) / sd).to(dev), torch.as_tensor(d.y_train)[perm].to(dev),
                  ((xt - mu) / sd).to(dev), torch.as_tensor(d.y_test).to(dev))


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 1000) -> float:
    """Test accuracy in eval mode (moving statistics for the batch-dependent layers)."""
    model.eval()
    hits = sum(int((model(x[i:i + chunk]).argmax(1) == y[i:i + chunk]).sum())
               for i in range(0, len(x), chunk))
    model.train()
    return hits / len(x)


def lr_factor(step: int, steps: int, schedule: str = "constant", warmup: int = 0) -> float:
    r"""Learning-rate multiplier at ``step`` (0-based): 1 (``"constant"``) or the cosine decay
    :math:`\tfrac12(1+\cos(\pi t/T))` (``"cosine"``), times a linear warm-up
    :math:`(t+1)/w` over the first ``warmup`` steps."""
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    f = 0.5 * (1 + math.cos(math.pi * step / steps)) if schedule == "cosine" else 1.0
    return f * (step + 1) / warmup if warmup and step < warmup else f


def train(model: nn.Module, data: Digits, *, steps: int, batch: int, lr: float, seed: int,
          n_train: int | None = None, schedule: str = "constant",
          warmup: int = 0) -> tuple[float, list[float]]:
    """Adam on cross-entropy with the seed's batch order and the learning rate ``lr`` times
    :func:`lr_factor`; returns (final training loss, curve of losses per step). Non-finite
    losses stop the run (the loss curve ends with ``nan``)."""
    gen = torch.Generator().manual_seed(seed)
    n = len(data.x_train) if n_train is None else n_train
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for t in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * lr_factor(t, steps, schedule, warmup)
        idx = torch.randint(0, n, (batch,), generator=gen).to(data.x_train.device)
        loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
        if not torch.isfinite(loss):
            losses.append(float("nan"))
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses[-1], losses


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


#: (MAC/s, seconds of per-op overhead per normalisation layer and step, forward + backward):
#: one core of the 2-core CI machine (measured under load, divided by the load factor ≈ 4) and a
#: Colab T4 for the full profile.
RATES = {"cpu": (2e10, 1.5e-3), "gpu": (4e12, 6e-4)}


@dataclass(frozen=True)
class Config(ProfileConfig):
    side: int = 14  # digits average-pooled to side × side
    widths: tuple[int, ...] = (8, 16)  # residual stages of the small ResNet
    groups: int = 4  # S0 / GN groups (paper: 32, lowered to divide C)
    batch: int = 32  # images per step (the gradient batch, the same for every layer)
    device_batches: tuple[int, ...] = (1, 32)  # images per device for BN / B0 statistics
    steps: int = 400
    lr: float = 1e-2  # Adam
    schedule: str = "constant"  # learning-rate schedule of the sweep: "constant" or "cosine"
    warmup: int = 0  # linear warm-up steps of the sweep
    # layer search
    proxy_steps: int = 100  # the paper's quality rule: 100 training steps
    proxy_batch: int = 32
    proxy_lr: float = 1e-2
    n_val: int = 500  # held-out digits for the proxy accuracy (from the training split)
    population: int = 6  # random initial samples
    children: int = 8
    tournament: int = 3
    n_nodes: int = 4
    quality_threshold: float = PAPER_QUALITY_THRESHOLD
    stability_scales: tuple[float, ...] = (0.25, 16.0)
    stability_threshold: float = 32.0
    estimate_for: str = "cpu"  # which rates estimate_seconds uses: "cpu" (ci) or "gpu" (full)

    def check(self) -> None:
        require(self.side >= 4 and 28 % self.side == 0, "side must divide 28 and be >= 4")
        require(len(self.widths) >= 1 and min(self.widths) >= 2, "widths must be >= 2")
        require(self.groups >= 1 and self.batch >= 2 and self.steps >= 1 and self.lr > 0,
                "groups, batch, steps and lr must be positive (batch >= 2)")
        require(self.schedule in ("constant", "cosine") and 0 <= self.warmup < self.steps,
                "schedule must be 'constant' or 'cosine' and 0 <= warmup < steps")
        require(all(1 <= b <= self.batch and self.batch % b == 0 for b in self.device_batches)
                and self.batch in self.device_batches,
                "device_batches must divide batch and include it (the whole-batch case)")
        require(min(self.device_batches) == 1, "device_batches must include 1 (the tiny case)")
        require(self.proxy_steps >= 1 and self.proxy_batch >= 2 and 10 <= self.n_val < 4000,
                "proxy sizes must be positive and n_val in [10, 4000)")
        require(self.population >= 2 and self.children >= 1
                and 1 <= self.tournament <= self.population, "bad search sizes")
        require(self.n_nodes >= 1 and 0 < self.quality_threshold < 1
                and self.stability_threshold > 1 and len(self.stability_scales) >= 1,
                "bad rejection settings")
        require(self.estimate_for in RATES, f"estimate_for must be one of {tuple(RATES)}")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(side=28, widths=(32, 64, 128), groups=8, batch=128,
                device_batches=(1, 2, 4, 8, 128), steps=3000, lr=3e-3,
                population=32, children=300, tournament=8, n_nodes=6, proxy_batch=64,
                estimate_for="gpu"),
)




def _secs_per_step(cfg: Config, images: int, widths) -> float:
    """One training step of a network with these widths on ``cfg.side``² digits: 3× the
    forward MACs (forward + backward) and the per-layer overhead (3 layers per stage + stem)."""
    mac_rate, per_layer = RATES[cfg.estimate_for]
    hw, c_in, macs = cfg.side ** 2, 1, 0.0
    for k, w in enumerate(widths):
        hw = hw if k == 0 else max(hw // 4, 1)
        macs += hw * 9 * (c_in * w + 2 * w * w)
        c_in = w
    return 3 * images * macs / mac_rate + per_layer * (3 * len(widths) + 1)


def estimate_seconds(cfg: Config) -> float:
    """Conservative estimate on paper: the batch-size sweep (batch-dependent layers at every
    device batch, the three others once), the search (stability check of every candidate,
    quality training of at most every sampled one and the named graphs) and ≈ 3 s of fixed costs
    (data, oracle rows, figures)."""
    runs = 2 * len(cfg.device_batches) + 3
    sweep = runs * cfg.steps * _secs_per_step(cfg, cfg.batch, cfg.widths)
    mac_rate, per_layer = RATES[cfg.estimate_for]
    proxy_step = 3 * cfg.proxy_batch * 70e3 / mac_rate + 2 * per_layer
    n_cand = cfg.population + cfg.children + len(NAMED_GRAPHS)  # + the linear baseline
    search = n_cand * (cfg.proxy_steps * proxy_step + 10 * proxy_step)
    return sweep + search + 3.0


# --------------------------------------------------------------------------------------
# Experiment 1: accuracy against the images per device (paper Table 4)
# --------------------------------------------------------------------------------------


def run_batch_sweep(cfg: Config, data: Digits, *, seed: int, device=None,
                    layers=LAYERS) -> dict:
    """Train the small ResNet with every layer; the batch-dependent ones at every device batch
    of ``cfg.device_batches``. Returns ``{"acc": {(layer, b): test accuracy}, "loss": {...},
    "seconds": {...}}``; a batch-independent layer's run does not depend on ``b`` (the same
    computation, bit for bit), so it is trained once and reported for every ``b``."""
    out = {"acc": {}, "loss": {}, "seconds": {}}
    for kind in layers:
        sizes = cfg.device_batches if kind in BATCH_DEPENDENT else (cfg.batch,)
        for b in sizes:
            torch.manual_seed(seed)
            model = SmallResNet(kind, cfg.widths, groups=cfg.groups,
                                device_batch=None if b == cfg.batch else b)
            if device is not None:
                model = model.to(device)
            t0 = time.perf_counter()
            _, losses = train(model, data, steps=cfg.steps, batch=cfg.batch, lr=cfg.lr,
                              seed=seed, schedule=cfg.schedule, warmup=cfg.warmup)
            acc = accuracy(model, data.x_test, data.y_test)
            secs = time.perf_counter() - t0
            for bb in (sizes if kind in BATCH_DEPENDENT else cfg.device_batches):
                if kind in BATCH_DEPENDENT and bb != b:
                    continue
                out["acc"][(kind, bb)] = acc
                out["loss"][(kind, bb)] = losses
                out["seconds"][(kind, bb)] = secs
    return out


# --------------------------------------------------------------------------------------
# Experiment 2: rejection protocols and evolution (paper §3)
# --------------------------------------------------------------------------------------


def _layer_factory(candidate, groups: int):
    """A graph, or the name of a library layer (:data:`LAYERS`), as ``channels -> module``."""
    if isinstance(candidate, Graph):
        return lambda c: GraphLayer(candidate, c, groups=groups)
    if candidate in LAYERS:
        return lambda c: make_norm_act(candidate, c, groups=groups)
    raise ValueError(f"unknown candidate {candidate!r}")


def stability_ratio(candidate, data: Digits, cfg: Config, *, seed: int) -> float:
    """Stability rule: the adversary rescales the weights of one conv (or all of them) by a
    factor from ``cfg.stability_scales`` and we keep the worst ratio of the gradient norm
    :math:`\\|\\partial L/\\partial\\theta\\|` to the one at the initial weights; non-finite
    losses or gradients give ``inf``."""
    torch.manual_seed(seed)
    net = ProxyNet(_layer_factory(candidate, cfg.groups)).to(data.x_train.device)
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, len(data.x_train) - cfg.n_val, (cfg.proxy_batch,), generator=gen)
    x, y = data.x_train[idx.to(data.x_train.device)], data.y_train[idx.to(data.x_train.device)]
    params = list(net.parameters())

    def grad_norm() -> float:
        loss = F.cross_entropy(net(x), y)
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        g = torch.sqrt(sum((gr.double() ** 2).sum() for gr in grads if gr is not None))
        return float(g) if torch.isfinite(loss) and torch.isfinite(g) else math.inf

    g0 = grad_norm()
    if not math.isfinite(g0) or g0 == 0:
        return math.inf
    worst = 1.0
    convs = net.convs()
    for which in [[c] for c in convs] + [convs]:
        for s in cfg.stability_scales:
            with torch.no_grad():
                for c in which:
                    c.weight.mul_(s)
            g = grad_norm()
            with torch.no_grad():
                for c in which:
                    c.weight.div_(s)
            worst = max(worst, g / g0)
    return worst


def quality(candidate, data: Digits, cfg: Config, *, seed: int) -> float:
    """Quality rule: accuracy of the proxy model on ``cfg.n_val`` held-out training digits after
    ``cfg.proxy_steps`` steps (0 when training diverges)."""
    torch.manual_seed(seed)
    net = ProxyNet(_layer_factory(candidate, cfg.groups)).to(data.x_train.device)
    n_fit = len(data.x_train) - cfg.n_val
    last, _ = train(net, data, steps=cfg.proxy_steps, batch=cfg.proxy_batch, lr=cfg.proxy_lr,
                    seed=seed, n_train=n_fit)
    if not math.isfinite(last):
        return 0.0
    return accuracy(net, data.x_train[n_fit:], data.y_train[n_fit:])


@dataclass
class Verdict:
    name: str
    ratio: float  # worst gradient-norm ratio (stability rule)
    acc: float | None  # proxy accuracy (quality rule); None when rejected before training
    rejected_by: str  # "" (accepted), "stability", "quality", "constant"

    @property
    def accepted(self) -> bool:
        return not self.rejected_by


def judge(candidate, data: Digits, cfg: Config, *, seed: int, name: str = "") -> Verdict:
    """Both rejection rules: stability first (cheap), then quality (training). A graph whose
    output does not depend on x is rejected without training (it scores chance)."""
    name = name or (candidate.expr() if isinstance(candidate, Graph) else candidate)
    if isinstance(candidate, Graph) and 0 not in candidate.used():
        return Verdict(name, math.nan, None, "constant")
    ratio = stability_ratio(candidate, data, cfg, seed=seed)
    if not ratio <= cfg.stability_threshold:
        return Verdict(name, ratio, None, "stability")
    acc = quality(candidate, data, cfg, seed=seed)
    return Verdict(name, ratio, acc, "" if acc >= cfg.quality_threshold else "quality")


def evolve(cfg: Config, data: Digits, *, seed: int, progress=None) -> dict:
    """Tournament-selection evolution over graphs: ``cfg.population`` random samples (the
    accepted ones form the initial population), then ``cfg.children`` children, each a
    mutation of the best of ``cfg.tournament`` random members; an accepted child joins and the
    oldest leaves. Returns the history (one :class:`Verdict` per evaluated candidate, with its
    phase) and the final population."""
    rng = np.random.default_rng(seed)
    cache: dict[Graph, Verdict] = {}
    history: list[tuple[str, int, Verdict]] = []  # (phase, index, verdict)
    population: list[tuple[Graph, float]] = []

    def evaluate(g: Graph, phase: str) -> Verdict:
        if g not in cache:
            cache[g] = judge(g, data, cfg, seed=seed)
            history.append((phase, len(history), cache[g]))
        return cache[g]

    for _ in range(cfg.population):  # the initial random samples; the accepted ones stay
        g = random_graph(rng, cfg.n_nodes)
        v = evaluate(g, "initial")
        if v.accepted:
            population.append((g, v.acc))
    if not population:  # nothing passed: start from the best-scoring sample anyway
        best = max((h for h in history), key=lambda h: h[2].acc or 0.0)[2]
        population.append((next(g for g, v in cache.items() if v is best), best.acc or 0.0))
    it = range(cfg.children)
    for _ in (progress(it, desc="evolution") if progress else it):
        picks = rng.choice(len(population), size=min(cfg.tournament, len(population)),
                           replace=False)
        parent = max((population[i] for i in picks), key=lambda p: p[1])[0]
        child = mutate(parent, rng)
        for _ in range(10):  # a mutation must change the layer's function
            if child != parent and 0 in child.used():
                break
            child = mutate(parent, rng)
        v = evaluate(child, "child")
        if v.accepted:
            population.append((child, v.acc))
            population.pop(0)
    return {"history": history, "population": population}
