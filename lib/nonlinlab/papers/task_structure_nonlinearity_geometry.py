r"""Alleman, Lindsey & Fusi (ICLR 2024), *Task structure and nonlinearity jointly determine
learned representational geometry* (arXiv:2401.13558).

What is implemented (following the authors' public code, ``Kelarion/repler``, where it is more
specific than the paper's text)
------------------------------------------------------------------------------------------

**Tasks.** A task has :math:`C` *conditions*; condition :math:`c` has an input mean
:math:`\bar x_c\in\mathbb R^N` and a binary label :math:`y_c\in\{0,1\}`. A training sample is
:math:`x = \bar x_c + \sigma\,\xi`, :math:`\xi\sim\mathcal N(0, I_N)`.

* :func:`random_patterns_task` (paper Fig. 1, "unstructured inputs"): four Gaussian points,
  centred, labelled by the balanced dichotomy :math:`\{0,3\}` vs :math:`\{1,2\}`
  (official ``tasks.RandomPatterns(4, N)`` with ``RandomDichotomies(d=[(0,3)])``).
* :func:`nudged_xor_task` (the parameterised family, official ``tasks.NudgedXOR`` inside
  ``EpsilonSeparableXOR``): two binary latents :math:`s_1,s_2\in\{\pm1\}` and the target
  :math:`y = \mathrm{XOR}(s_1,s_2)`, written :math:`s_3 = -s_1 s_2\in\{\pm1\}`. The input is

  .. math:: \bar x_c = s_{1c}\, m_1 + s_{2c}\, m_2 + \varepsilon\, s_{3c}\, m_3,

  with :math:`m_1,m_2,m_3` non-negative random vectors on disjoint blocks of :math:`N/3`
  coordinates, each of norm :math:`\sqrt{N/3}`. :math:`\varepsilon` ("nudge", linear
  separability) moves the input geometry towards the target geometry: at
  :math:`\varepsilon=0` the target is an XOR of the input square (input kernel orthogonal to
  the target kernel); as :math:`\varepsilon` grows the target direction dominates.

**Network** (official ``students.ShallowNetwork``):
:math:`z = \phi(W x + b)`, logit :math:`\hat o = J^\top z`, :math:`\phi\in\{\tanh,
\mathrm{ReLU}\}`, width :math:`H`. Initialisation :math:`W_{ij}\sim U(-1,1)/\sqrt N`,
:math:`b_i\sim\mathcal N(0,1)/\sqrt N`, :math:`J_i\sim U(-1,1)/\sqrt H`. The readout
:math:`J` is **fixed** (the official runs use ``train_outputs=False``), so all learning is in
the input weights. Loss: Bernoulli negative log-likelihood (binary cross-entropy on the
logit). Full-batch gradient descent with rate :math:`\eta`:

.. math:: \delta_{ni} = (y_n - \sigma(\hat o_n))\,J_i\,\phi'(c_{ni}),\qquad
          W \leftarrow W + \tfrac{\eta}{n}\,\delta^\top X,\qquad
          b \leftarrow b + \tfrac{\eta}{n}\,\textstyle\sum_n \delta_{n\cdot}.

(The official code uses mini-batches of 200 from 5000 samples; at our sizes the full batch
is cheaper and gives the same picture.)

**Geometry metrics** (on the hidden vectors :math:`z`, either per sample or condition means):

* centred kernel alignment (official ``util.centered_kernel_alignment``):
  :math:`\mathrm{KA}(K_1,K_2) = \langle \tilde K_1, \tilde K_2\rangle_F /
  (\|\tilde K_1\|_F\|\tilde K_2\|_F)`, :math:`\tilde K = HKH`, :math:`H = I - \tfrac1n
  \mathbf 1\mathbf 1^\top`; *target alignment* :math:`\mathrm{KA}(K_z, K_y)` and *input
  alignment* :math:`\mathrm{KA}(K_z, K_x)` with linear kernels;
* parallelism score (official ``dichotomies.parallelism_score``): for the label dichotomy,
  pair every positive condition with a negative one, take the coding vectors
  :math:`v_k = \bar z_{p_k} - \bar z_{n_{\pi(k)}}`, average their pairwise cosines, and take
  the maximum over pairings :math:`\pi`;
* cross-condition generalisation performance (official ``dichotomies.compute_ccgp``): train a
  linear decoder of the label on half of the positive and half of the negative conditions,
  test it on the held-out conditions, average over all such splits. Our decoder is a
  ridge-regression classifier on :math:`\pm1` targets (the official code uses ``LinearSVC``);
* weight-space projections (paper Fig. 1C/D): each hidden unit's input weight vector
  projected on the *inter-class axis* (difference of the class means) and an *intra-class
  axis* (difference of the two conditions of one class, orthogonalised).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..core import ProfileConfig, Profiles, require

ACTIVATIONS = ("tanh", "relu", "linear")

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes of one run of the chapter (both experiments use the same network and optimiser)."""

    dim_inp: int = 120  # N (official: 120 = 3 blocks of 40)
    width: int = 128  # H (official: 120)
    samples_per_cond: int = 25  # training samples per condition
    input_noise: float = 0.1  # σ (official default 0.1)
    lr: float = 0.5  # η (official: 0.1 with mini-batches and 5000 epochs)
    steps: int = 1200  # full-batch GD steps
    nets: int = 4  # networks per (task, activation) cell
    epsilons: tuple[float, ...] = (0.25, 0.5, 1.0)  # ε grid of the nudged-XOR family
    snapshots: int = 13  # recorded parameter snapshots per run (incl. init and end)
    eval_samples_per_cond: int = 50  # fresh test samples per condition for the metrics

    def check(self) -> None:
        require(self.dim_inp >= 3 and self.dim_inp % 3 == 0,
                "dim_inp must be a positive multiple of 3")
        require(self.width >= 1, "width must be positive")
        require(self.samples_per_cond >= 1, "samples_per_cond must be positive")
        require(self.input_noise >= 0, "input_noise must be non-negative")
        require(self.lr > 0, "lr must be positive")
        require(self.steps >= 1, "steps must be positive")
        require(self.nets >= 1, "nets must be positive")
        require(len(self.epsilons) >= 1, "need at least one epsilon")
        require(all(e >= 0 for e in self.epsilons), "epsilons must be non-negative")
        require(2 <= self.snapshots <= self.steps + 1, "snapshots must be in [2, steps + 1]")
        require(self.eval_samples_per_cond >= 2, "eval_samples_per_cond must be >= 2")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(
        width=256,
        samples_per_cond=100,
        lr=0.1,
        steps=20_000,
        nets=20,
        epsilons=tuple(np.round(np.linspace(0.0, 1.0, 11), 3).tolist()),
        snapshots=41,
        eval_samples_per_cond=250,
        # ε = 0 (pure XOR) is included here: tanh needs long training to fit it (see chapter)
    ),
)


def estimate_seconds(cfg: Config, flops_per_s: float | None = None,
                     profile: str | None = None) -> float:
    """Conservative cost model on paper (training dominates).

    One GD step of one network on ``n = 4 * samples_per_cond`` samples costs about
    ``4 * n * N * H`` flops for the two matmuls (forward pre-activation, weight gradient),
    counted as ``6 * n * N * H`` to cover the element-wise work. Cells: one random-pattern
    task plus ``len(epsilons)`` nudged-XOR tasks, times 2 activations, times ``nets``.
    Metrics: per snapshot and network about ``60 * m^2`` flops-equivalent for the m×m
    kernels of ``m = 4 * eval_samples_per_cond`` test samples, plus ~3 ms of Python per call.
    Assumed throughput: 2e10 flop/s on 2 CPU cores (ci), 4e12 flop/s on a Colab T4 (full;
    metrics stay on the CPU at 2e10). A fixed 3 s covers plotting data.
    """
    if profile is None:  # the ci config runs on CPU, anything else is assumed to be on a GPU
        profile = "ci" if cfg == CONFIGS.ci else "full"
    if flops_per_s is None:
        flops_per_s = 2e10 if profile == "ci" else 4e12
    n = 4 * cfg.samples_per_cond
    m = 4 * cfg.eval_samples_per_cond
    cells = (1 + len(cfg.epsilons)) * 2 * cfg.nets
    train_s = cells * cfg.steps * 6 * n * cfg.dim_inp * cfg.width / flops_per_s
    metric_s = cells * cfg.snapshots * (60 * m * m / 2e10 + 3e-3)
    return train_s + metric_s + 3.0


# --------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------


@dataclass
class Task:
    """Condition means ``means`` (C, N), binary labels ``labels`` (C,) in {0, 1}."""

    name: str
    means: torch.Tensor
    labels: torch.Tensor
    latents: torch.Tensor | None = None  # (C, K) ±1 latent variables, if the task has them

    @property
    def num_cond(self) -> int:
        return int(self.means.shape[0])

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])


def _check_generator(generator):
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError("generator must be a torch.Generator or None")


def random_patterns_task(dim: int, *, generator: torch.Generator | None = None,
                         num_cond: int = 4, dtype=torch.float32, device="cpu") -> Task:
    """Paper Fig. 1: ``num_cond`` centred Gaussian points in R^dim, balanced label.

    The label is the dichotomy {0, 3} vs {1, 2} for four conditions (official
    ``RandomDichotomies(d=[(0,3)])``, label 1 on conditions 0 and 3); for more conditions the
    first half of a fixed balanced split.
    """
    _check_generator(generator)
    if not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim!r}")
    if not isinstance(num_cond, int) or num_cond < 4 or num_cond % 2:
        raise ValueError(f"num_cond must be an even integer >= 4, got {num_cond!r}")
    means = torch.randn(num_cond, dim, generator=generator, dtype=torch.float64)
    means = means - means.mean(0, keepdim=True)  # official: center=True
    if num_cond == 4:
        labels = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    else:
        labels = (torch.arange(num_cond) % 2 == 0).to(torch.float64)
    return Task("random patterns", means.to(device, dtype), labels.to(device, dtype))


def nudged_xor_task(dim: int, epsilon: float, *, generator: torch.Generator | None = None,
                    dtype=torch.float32, device="cpu") -> Task:
    r"""The ε family (official ``NudgedXOR``): :math:`\bar x = s_1 m_1 + s_2 m_2 + ε s_3 m_3`.

    Conditions are ordered as in the official ``StandardBinary(2)``: bit i of condition c is
    1 when ``(c >> i) & 1 == 0``; ``s = 2 * bit - 1``. The target is the XOR of the two bits,
    label 1 on conditions 1 and 2 (official ``RandomDichotomies(d=[(1,2)])``), and
    :math:`s_3 = 2\,(\mathrm{bit}_1+\mathrm{bit}_2 \bmod 2) - 1 = 2y - 1`.
    """
    _check_generator(generator)
    if not isinstance(dim, int) or dim < 3 or dim % 3:
        raise ValueError(f"dim must be a positive multiple of 3, got {dim!r}")
    if not math.isfinite(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon must be a finite non-negative number, got {epsilon!r}")
    f = dim // 3
    m = torch.randn(dim, 3, generator=generator, dtype=torch.float64).abs()
    block = torch.zeros(dim, 3, dtype=torch.float64)
    for i in range(3):
        block[i * f:(i + 1) * f, i] = 1.0
    m = m * block
    m = m / m.norm(dim=0, keepdim=True) * math.sqrt(dim / 3)  # official sqrt_N_norm=True
    c = torch.arange(4)
    bits = torch.stack([1 - (c >> i) % 2 for i in range(2)], 1).to(torch.float64)
    s12 = 2 * bits - 1
    s3 = 2 * (bits.sum(1) % 2) - 1
    latents = torch.cat([s12, s3[:, None]], 1)
    scale = torch.tensor([1.0, 1.0, float(epsilon)], dtype=torch.float64)
    means = (latents * scale) @ m.T
    labels = (s3 > 0).to(torch.float64)
    return Task(f"nudged XOR (eps={epsilon:g})", means.to(device, dtype),
                labels.to(device, dtype), latents.to(device, dtype))


def sample(task: Task, per_cond: int, noise: float, *, generator: torch.Generator | None = None):
    """``per_cond`` noisy samples of every condition: returns ``x`` (n, N), ``y`` (n,), ``cond``."""
    _check_generator(generator)
    if not isinstance(per_cond, int) or per_cond < 1:
        raise ValueError(f"per_cond must be a positive integer, got {per_cond!r}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise!r}")
    cond = torch.arange(task.num_cond, device=task.means.device).repeat_interleave(per_cond)
    eps = torch.randn(len(cond), task.dim, generator=generator, dtype=torch.float64)
    x = task.means[cond] + noise * eps.to(task.means.device, task.means.dtype)
    return x, task.labels[cond], cond


# --------------------------------------------------------------------------------------
# Networks and training
# --------------------------------------------------------------------------------------


def activation_fn(name: str):
    """φ and φ' for ``"tanh"``, ``"relu"`` or ``"linear"`` (a reference without nonlinearity)."""
    if name == "tanh":
        return torch.tanh, lambda c: 1 - torch.tanh(c) ** 2
    if name == "relu":
        return torch.relu, lambda c: (c > 0).to(c.dtype)
    if name == "linear":
        return (lambda c: c), torch.ones_like
    raise ValueError(f"unknown activation {name!r}; choose one of {ACTIVATIONS}")


@dataclass
class Params:
    """A stack of ``S`` networks: ``W`` (S, H, N), ``b`` (S, H), ``J`` (S, H) (fixed readout)."""

    W: torch.Tensor
    b: torch.Tensor
    J: torch.Tensor

    def clone(self) -> Params:
        return Params(self.W.clone(), self.b.clone(), self.J.clone())


def init_params(nets: int, dim: int, width: int, *, generator: torch.Generator | None = None,
                dtype=torch.float32, device="cpu") -> Params:
    """Official init: W ~ U(-1,1)/√N, b ~ N(0,1)/√N, J ~ U(-1,1)/√H (J is not trained)."""
    _check_generator(generator)
    for v, name in ((nets, "nets"), (dim, "dim"), (width, "width")):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    kw = dict(generator=generator, dtype=torch.float64)
    W = (2 * torch.rand(nets, width, dim, **kw) - 1) / math.sqrt(dim)
    b = torch.randn(nets, width, **kw) / math.sqrt(dim)
    J = (2 * torch.rand(nets, width, **kw) - 1) / math.sqrt(width)
    return Params(*(t.to(device, dtype) for t in (W, b, J)))


def hidden(params: Params, x: torch.Tensor, activation: str) -> torch.Tensor:
    """Hidden activity z = φ(W x + b) of every network: (S, n, H)."""
    phi, _ = activation_fn(activation)
    return phi(torch.einsum("shn,bn->sbh", params.W, x) + params.b[:, None, :])


def logits(params: Params, x: torch.Tensor, activation: str) -> torch.Tensor:
    return torch.einsum("sbh,sh->sb", hidden(params, x, activation), params.J)


def bce_loss(params: Params, x, y, activation: str) -> torch.Tensor:
    """Per-network binary cross-entropy (Bernoulli NLL), shape (S,)."""
    o = logits(params, x, activation)
    return torch.nn.functional.binary_cross_entropy_with_logits(
        o, y.expand_as(o), reduction="none").mean(1)


@dataclass
class Run:
    """Result of :func:`train`: final params, snapshots and the loss curve."""

    activation: str
    params: Params
    snapshot_steps: list[int]
    snapshots: list[Params]
    loss_steps: list[int] = field(default_factory=list)
    loss: list[torch.Tensor] = field(default_factory=list)  # each (S,)


def train(params: Params, x: torch.Tensor, y: torch.Tensor, activation: str, *, lr: float,
          steps: int, snapshots: int = 2, loss_every: int = 10) -> Run:
    r"""Full-batch gradient descent on the BCE loss, input weights and biases only.

    Manual backprop of the official ``ShallowNetwork.grad_step`` (batched over networks):
    :math:`\delta = (y - \sigma(J^\top z))\, J \odot \phi'(c)`,
    :math:`W \mathrel{+}= \tfrac{\eta}{n}\delta^\top x`, :math:`b \mathrel{+}= \tfrac{\eta}{n}
    \sum_n \delta`.
    """
    if lr <= 0 or not math.isfinite(lr):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError("x must be (n, N) and y must be (n,)")
    if x.shape[1] != params.W.shape[2]:
        raise ValueError(f"input dimension {x.shape[1]} does not match W {tuple(params.W.shape)}")
    phi, dphi = activation_fn(activation)
    p = params.clone()
    n = x.shape[0]
    snap_at = sorted({int(round(t)) for t in np.linspace(0, steps, snapshots)})
    run = Run(activation, p, [], [])
    for t in range(steps + 1):
        if t in snap_at:
            run.snapshot_steps.append(t)
            run.snapshots.append(p.clone())
        c = torch.einsum("shn,bn->sbh", p.W, x) + p.b[:, None, :]
        z = phi(c)
        o = torch.einsum("sbh,sh->sb", z, p.J)
        if t % loss_every == 0 or t == steps:
            run.loss_steps.append(t)
            run.loss.append(torch.nn.functional.binary_cross_entropy_with_logits(
                o, y.expand_as(o), reduction="none").mean(1))
        if t == steps:
            break
        err = y[None, :] - torch.sigmoid(o)  # (S, n)
        delta = err[:, :, None] * p.J[:, None, :] * dphi(c)  # (S, n, H)
        p.W += (lr / n) * torch.einsum("sbh,bn->shn", delta, x)
        p.b += (lr / n) * delta.sum(1)
    return run


# --------------------------------------------------------------------------------------
# Geometry metrics (numpy, float64)
# --------------------------------------------------------------------------------------


def _np(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().double().numpy()
    return np.asarray(a, dtype=np.float64)


def linear_kernel(feats) -> np.ndarray:
    """Gram matrix of rows: (n, d) → (n, n)."""
    f = _np(feats)
    if f.ndim == 1:
        f = f[:, None]
    if f.ndim != 2:
        raise ValueError(f"features must be (n, d), got shape {f.shape}")
    return f @ f.T


def center_kernel(K) -> np.ndarray:
    """H K H with H = I − 11ᵀ/n."""
    K = _np(K)
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise ValueError(f"kernel must be square, got shape {K.shape}")
    return K - K.mean(0, keepdims=True) - K.mean(1, keepdims=True) + K.mean()


def kernel_alignment(K1, K2) -> float:
    """Centred kernel alignment ⟨K̃1, K̃2⟩_F / (‖K̃1‖_F ‖K̃2‖_F).

    Same as the official ``util.centered_kernel_alignment``."""
    A, B = center_kernel(K1), center_kernel(K2)
    if A.shape != B.shape:
        raise ValueError(f"kernels must have the same shape, got {A.shape} and {B.shape}")
    denom = np.sqrt((A * A).sum() * (B * B).sum())
    if denom <= 0:
        raise ValueError("kernel alignment is undefined for a constant (zero centred) kernel")
    return float((A * B).sum() / denom)


def label_kernel(labels) -> np.ndarray:
    """Linear kernel of ±1 targets (any 0/1 or ±1 coding gives the same centred kernel)."""
    y = _np(labels)
    return linear_kernel(2 * y - 1 if set(np.unique(y)) <= {0.0, 1.0} else y)


def condition_means(z, cond) -> np.ndarray:
    """Average rows of ``z`` (n, d) within each condition → (C, d), conditions sorted."""
    z, cond = _np(z), _np(cond).astype(int)
    return np.stack([z[cond == c].mean(0) for c in np.unique(cond)])


def _split_labels(labels):
    y = _np(labels).ravel()
    vals = np.unique(y)
    if len(vals) != 2:
        raise ValueError("labels must take exactly two values")
    pos, neg = np.where(y == vals[1])[0], np.where(y == vals[0])[0]
    if len(pos) != len(neg) or len(pos) < 2:
        raise ValueError("need a balanced dichotomy with at least two conditions per side")
    return pos, neg


def parallelism_score(zc, labels) -> float:
    """PS of a dichotomy on condition means ``zc`` (C, d): max over pairings of the mean cosine
    between coding vectors z_pos − z_neg (official ``dichotomies.parallelism_score``)."""
    zc = _np(zc)
    pos, neg = _split_labels(labels)
    if zc.shape[0] != len(pos) + len(neg):
        raise ValueError("zc must have one row per condition")
    best = -np.inf
    for perm in itertools.permutations(neg):
        v = zc[pos] - zc[list(perm)]
        nrm = np.linalg.norm(v, axis=1)
        if np.any(nrm == 0):
            continue
        v = v / nrm[:, None]
        cos = v @ v.T
        iu = np.triu_indices(len(pos), 1)
        best = max(best, float(cos[iu].mean()))
    return best


def _ridge_classifier(z, y, ridge):
    """Least squares on ±1 targets with an intercept; returns (w, b)."""
    mu = z.mean(0)
    zc = z - mu
    t = 2 * y - 1
    d = zc.shape[1]
    if zc.shape[0] <= d:  # dual form
        G = zc @ zc.T
        a = np.linalg.solve(G + ridge * np.eye(len(G)), t - t.mean())
        w = zc.T @ a
    else:
        w = np.linalg.solve(zc.T @ zc + ridge * np.eye(d), zc.T @ (t - t.mean()))
    return w, t.mean() - mu @ w


def ccgp(z, cond, labels, *, contexts=None, ridge: float = 1e-3, max_splits: int = 64,
         rng: np.random.Generator | None = None) -> float:
    """Cross-condition generalisation of the label dichotomy.

    ``z`` (n, d) samples, ``cond`` (n,) condition ids 0..C-1, ``labels`` (C,) per condition.
    For every split that trains on k = C/4 (at least 1) positive and k negative conditions,
    fit a ridge classifier on those samples and test on the samples of all held-out
    conditions (official ``compute_ccgp``). Returns the mean test accuracy over splits (all of
    them when there are at most ``max_splits``, else a random subset drawn with ``rng``).

    ``contexts`` (K, C), optional: other binary variables of the conditions; then the splits
    are "train where context k takes one value, test where it takes the other" (both ways),
    the usual CCGP of a factorised task.
    """
    z, cond = _np(z), _np(cond).astype(int)
    if z.ndim != 2 or cond.shape != (z.shape[0],):
        raise ValueError("z must be (n, d) and cond must be (n,)")
    pos, neg = _split_labels(labels)
    y_cond = _np(labels).ravel()
    y_cond = (y_cond == np.unique(y_cond)[1]).astype(float)
    if cond.min() < 0 or cond.max() >= len(y_cond):
        raise ValueError("cond ids must index labels")
    if contexts is not None:
        ctx = np.atleast_2d(_np(contexts))
        if ctx.shape[1] != len(y_cond):
            raise ValueError("contexts must be (K, C) with one column per condition")
        splits = []
        for row in ctx:
            for side in np.unique(row):
                tr = np.where(row == side)[0]
                splits.append((tuple(c for c in tr if c in pos), tuple(c for c in tr if c in neg)))
    else:
        k = max(1, len(pos) // 2)
        if math.comb(len(pos), k) ** 2 <= max_splits:
            splits = [(p, q) for p in itertools.combinations(pos, k)
                      for q in itertools.combinations(neg, k)]
        else:  # too many to enumerate: draw max_splits random ones
            rng = rng if rng is not None else np.random.default_rng(0)
            splits = [(tuple(rng.choice(pos, k, replace=False)),
                       tuple(rng.choice(neg, k, replace=False))) for _ in range(max_splits)]
    y = y_cond[cond]
    accs = []
    for p, q in splits:
        train_c = np.array(p + q)
        is_tr = np.isin(cond, train_c)
        w, b = _ridge_classifier(z[is_tr], y[is_tr], ridge)
        pred = (z[~is_tr] @ w + b) > 0
        accs.append(float((pred == (y[~is_tr] > 0.5)).mean()))
    return float(np.mean(accs))


def class_axes(task: Task) -> tuple[np.ndarray, np.ndarray]:
    """Unit inter-class axis (mean of class 1 − mean of class 0) and an intra-class axis
    (difference of the first two class-1 conditions, orthogonalised against the first)."""
    X, y = _np(task.means), _np(task.labels)
    inter = X[y == 1].mean(0) - X[y == 0].mean(0)
    inter /= np.linalg.norm(inter)
    a, b = X[y == 1][:2]
    intra = (a - b) - ((a - b) @ inter) * inter
    nrm = np.linalg.norm(intra)
    if nrm == 0:
        raise ValueError("the two conditions of class 1 coincide along the intra-class axis")
    return inter, intra / nrm


def weight_projections(W, task: Task) -> np.ndarray:
    """Project each unit's input weights (…, H, N) on (inter, intra) axes → (…, H, 2)."""
    inter, intra = class_axes(task)
    return _np(W) @ np.stack([inter, intra], 1)


def geometry(z, x, cond, task: Task, *, rng: np.random.Generator | None = None) -> dict:
    """All metrics of one network's hidden samples ``z`` (n, H) for inputs ``x`` (n, N)."""
    z, x, cond = _np(z), _np(x), _np(cond).astype(int)
    labels = _np(task.labels)
    zc = condition_means(z, cond)
    Kz, Ky = linear_kernel(z), label_kernel(labels[cond])
    return {
        "ka_target": kernel_alignment(Kz, Ky),
        "ka_input": kernel_alignment(Kz, linear_kernel(x)),
        "ka_target_means": kernel_alignment(linear_kernel(zc), label_kernel(labels)),
        "ka_input_means": kernel_alignment(linear_kernel(zc), linear_kernel(task.means)),
        "ps": parallelism_score(zc, labels),
        "ccgp": ccgp(z, cond, labels, rng=rng),
        "active_frac": float((np.abs(zc).max(0) > 1e-12).mean()),
    }


# --------------------------------------------------------------------------------------
# Experiment drivers
# --------------------------------------------------------------------------------------


def run_task(task: Task, activation: str, cfg: Config, *, seed: int, device="cpu") -> dict:
    """Train ``cfg.nets`` networks on ``task``; metrics at every snapshot on fresh samples.

    Returns a dict with ``steps`` (snapshot steps), ``metrics[name]`` (nets, snapshots),
    ``loss`` (nets,) final training loss, ``loss_curve`` (steps, nets), ``run``.
    The same ``seed`` gives the same initial weights for tanh and ReLU (paired comparison).
    """
    g = torch.Generator().manual_seed(int(seed))
    x, y, _ = sample(task, cfg.samples_per_cond, cfg.input_noise, generator=g)
    xe, _, ce = sample(task, cfg.eval_samples_per_cond, cfg.input_noise, generator=g)
    params = init_params(cfg.nets, cfg.dim_inp, cfg.width, generator=g,
                         dtype=task.means.dtype, device=device)
    run = train(params, x.to(device), y.to(device), activation, lr=cfg.lr, steps=cfg.steps,
                snapshots=cfg.snapshots)
    rng = np.random.default_rng(seed)
    metrics: dict[str, list] = {}
    for snap in run.snapshots:
        Z = hidden(snap, xe.to(device), activation)
        for s in range(cfg.nets):
            for k, v in geometry(Z[s], xe, ce, task, rng=rng).items():
                metrics.setdefault(k, []).append(v)
    S, T = cfg.nets, len(run.snapshots)
    out = {k: np.array(v).reshape(T, S).T for k, v in metrics.items()}
    return {
        "steps": np.array(run.snapshot_steps),
        "metrics": out,
        "loss": _np(run.loss[-1]),
        "loss_steps": np.array(run.loss_steps),
        "loss_curve": np.stack([_np(v) for v in run.loss]),
        "run": run,
    }


def input_target_alignment(task: Task) -> float:
    """KA between the input kernel and the target kernel of the condition means."""
    return kernel_alignment(linear_kernel(task.means), label_kernel(task.labels))


def intra_inter_ratio(run_result: dict, task: Task) -> np.ndarray:
    """Per network: total |Δ intra| / total |Δ inter| of the units' input-weight displacement
    from initialisation to the end of training (paper Fig. 1D: tanh units move along the
    inter-class axis, ReLU units also spread along intra-class axes)."""
    snaps = run_result["run"].snapshots
    d = weight_projections(snaps[-1].W, task) - weight_projections(snaps[0].W, task)
    return np.abs(d[..., 1]).sum(-1) / np.abs(d[..., 0]).sum(-1)


def run_experiment(cfg: Config, *, seed: int = 0, device="cpu", progress=None) -> dict:
    """Both experiments of the chapter for one seed.

    ``tasks``: the random-pattern task (Fig. 1) then the nudged-XOR family (ε grid).
    ``results[(task_index, activation)]``: :func:`run_task` output; tanh and ReLU networks of a
    cell share their initial weights and training data. ``input_target``: KA of the raw input
    kernel with the target kernel for every task. ``ratio``: :func:`intra_inter_ratio` on the
    random-pattern task per activation.
    """
    gen = torch.Generator().manual_seed(10_000 + int(seed))
    tasks = [random_patterns_task(cfg.dim_inp, generator=gen, device=device)]
    for eps in cfg.epsilons:
        tasks.append(nudged_xor_task(cfg.dim_inp, float(eps), generator=gen, device=device))
    jobs = [(i, a) for i in range(len(tasks)) for a in ("tanh", "relu")]
    it = progress(jobs, total=len(jobs), desc="train") if progress is not None else jobs
    results = {}
    for i, act in it:
        results[(i, act)] = run_task(tasks[i], act, cfg, seed=1000 * int(seed) + i, device=device)
    return {
        "cfg": cfg,
        "tasks": tasks,
        "results": results,
        "input_target": np.array([input_target_alignment(t) for t in tasks]),
        "ratio": {a: intra_inter_ratio(results[(0, a)], tasks[0]) for a in ("tanh", "relu")},
    }


def summary(exp: dict) -> dict:
    """Scalar summaries used by the claims (final snapshot; per task, mean over networks).

    ``gap_target[i]`` = mean KA(z,y) tanh − ReLU on task i; ``gap_input[i]`` = mean KA(z,x)
    ReLU − tanh; ``max_loss`` = worst final training loss over all networks; Fig. 1 metrics
    (``ps``/``ccgp`` per activation) on the random-pattern task.
    """
    res, n = exp["results"], len(exp["tasks"])

    def fin(i, a, k):
        return res[(i, a)]["metrics"][k][:, -1]

    def init(i, a, k):
        return res[(i, a)]["metrics"][k][:, 0]

    acts = ("tanh", "relu")

    def per_task(f, a, k):
        return np.array([f(i, a, k).mean() for i in range(n)])

    return {
        "gap_target": per_task(fin, "tanh", "ka_target") - per_task(fin, "relu", "ka_target"),
        "gap_input": per_task(fin, "relu", "ka_input") - per_task(fin, "tanh", "ka_input"),
        "max_loss": float(max(res[k]["loss"].max() for k in res)),
        "ka_target": {a: per_task(fin, a, "ka_target") for a in acts},
        "ka_input": {a: per_task(fin, a, "ka_input") for a in acts},
        "ka_target_init": {a: per_task(init, a, "ka_target") for a in acts},
        "ka_input_init": {a: per_task(init, a, "ka_input") for a in acts},
        "ps": {a: float(fin(0, a, "ps").mean()) for a in ("tanh", "relu")},
        "ccgp": {a: float(fin(0, a, "ccgp").mean()) for a in ("tanh", "relu")},
        "ratio": {a: float(np.median(exp["ratio"][a])) for a in ("tanh", "relu")},
    }
