r"""Zhou, Barnes, Lu, Yang & Li (CVPR 2019), *On the Continuity of Rotation Representations in
Neural Networks* (arXiv:1812.07035).

What is implemented (official code: ``papagina/RotationContinuity``, ``sanity_test/code``;
where the text and the code differ we follow the code)
-----------------------------------------------------------------------------------------

**Representations.** A representation of SO(3) is a pair ``(g, f)`` with ``g: SO(3) → R^d``
(what a network must output) and ``f: R^d → SO(3)`` (what turns the output into a matrix), with
``f(g(R)) = R``. It is *continuous* when ``g`` is. The network-output maps ``f`` of the official
sanity test (``Model.forward`` / ``tools.py``), built on :mod:`nonlinlab.models.rotations`:

* **6-D** (Sec. 4.2; ``compute_rotation_matrix_from_ortho6d``): ``g(R) = (r₁, r₂)``,
  the first two columns; ``f(a₁, a₂) = [b₁ b₂ b₃]`` with ``b₁ = N(a₁)``,
  ``b₃ = N(b₁ × a₂)``, ``b₂ = b₃ × b₁`` (Gram–Schmidt in cross-product form, ``N`` = normalise);
* **5-D** (Sec. 4.2, stereographic projection; ``compute_rotation_matrix_from_ortho5d``):
  three of the five numbers are inverse-stereographically projected to a unit 4-vector, then
  the 6-D map (:func:`~nonlinlab.models.rotations.fived_to_matrix`);
* **quaternion** (4 outputs, normalised; ``compute_rotation_matrix_from_quaternion``) — the
  official code is scalar-first, ours scalar-last: a permutation of the network's outputs;
* **axis–angle** (4 outputs, official ``AxisAngle`` mode,
  ``compute_rotation_matrix_from_axisAngle``): ``θ = π·tanh(a₀) ∈ (−π, π)``,
  ``n = N(a₁, a₂, a₃)``, ``q = (cos θ/2, n sin θ/2)``;
* **Euler** (3 outputs, official ``euler`` mode; ``compute_rotation_matrix_from_euler``):
  ``R = R_x(a₀) R_z(a₂) R_y(a₁)``, intrinsic X–Z′–Y″ (scipy ``"XZY"`` with angles
  ``(a₀, a₂, a₁)``); gimbal lock at ``|a₂| = 90°``.

Quaternions, axis–angle and Euler angles are discontinuous (no continuous ``g`` exists in
``d ≤ 4``, Sec. 4.1): ``g`` must jump somewhere, at rotation angle π for the quaternion (``q``
and ``−q``) and axis–angle (``θn`` and ``−θn``).

**Sanity test** (Sec. 5.1, official ``train.py``): the input is the flattened ground-truth
matrix (9 numbers); an MLP ``9 → 128 → 128 → 128 → d`` with LeakyReLU outputs the
representation, ``f`` maps it to ``R̂``; the loss is the official ``pose`` loss
``mean((R̂ − R)²)`` over the 9 entries (the code applies ``R`` to the identity "T-pose") or the
geodesic loss ``arccos((tr(R̂Rᵀ) − 1)/2)``; training rotations are Haar-uniform (normalised
Gaussian quaternions, ``sampling_method="quaternion"``); the test set is 2,048 rotations from
the official axis–angle sampler (rotation angle uniform on ``[0, π]``, random axis); errors are
geodesic angles in degrees. Official optimiser: Adam, lr ``1e-5``, ×0.1 at iteration 10k,
batch 64, 500k iterations per representation. The five networks here are trained side by
side as one *stacked* MLP (weights ``(M, in, out)``, one batched matmul per layer): the
networks share nothing but the mini-batch of rotations, and Adam is elementwise, so this is
exactly five separate trainings.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..core import ProfileConfig, Profiles, require
from ..models import rotations as rot

# --------------------------------------------------------------------------------------
# Paper numbers and statements
# --------------------------------------------------------------------------------------

#: What the paper reports for the auto-encoder sanity test (Sec. 5.1, Fig. 3): the continuous
#: 5-D and 6-D representations have the lowest mean and maximum errors; quaternion,
#: axis–angle and Euler angles reach maximum errors close to 180°, at certain rotation angles.
PAPER_SANITY = {
    "ranking": "6-D and 5-D lowest mean and max error (Fig. 3)",
    "max_discontinuous": "max error ≈ 180° for quaternion, axis–angle, Euler (Fig. 3)",
    "where": "discontinuous representations fail at certain rotation angles (Sec. 1, 5.1)",
}
#: Official training schedule of the sanity test.
OFFICIAL = {"lr": 1e-5, "lr_after_10k": 1e-6, "batch": 64, "iterations": 500_001,
            "width": 128, "test_size": 2048}

REPRESENTATIONS = ("6D", "5D", "quaternion", "axis-angle", "Euler")
DIMS = {"6D": 6, "5D": 5, "quaternion": 4, "axis-angle": 4, "Euler": 3}
CONTINUOUS = ("6D", "5D")
DISCONTINUOUS = ("quaternion", "axis-angle", "Euler")
LOSSES = ("pose", "geodesic")

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    width: int = 128  # paper/official 128
    steps: int = 1500  # official 500k; ci trains 1.5k steps at a 100× larger lr
    batch: int = 128  # official 64
    lr: float = 1e-3  # official 1e-5 (then 1e-6 after 10k iterations)
    decay_at: float = 0.8  # lr × 0.1 after this fraction of the steps (official: 10k of 500k)
    losses: tuple[str, ...] = ("pose",)
    test_size: int = 2048  # official 2048
    eval_every: int = 100  # test error during training (on the first eval_size test rotations)
    eval_size: int = 512
    representations: tuple[str, ...] = REPRESENTATIONS

    def check(self) -> None:
        require(self.width >= 4 and self.batch >= 1 and self.steps >= 1,
                "width must be >= 4, batch and steps >= 1")
        require(self.lr > 0 and 0 < self.decay_at <= 1, "lr > 0 and decay_at in (0, 1]")
        require(len(self.losses) >= 1 and all(x in LOSSES for x in self.losses),
                f"losses must be among {LOSSES}")
        require(len(self.representations) >= 1
                and all(r in REPRESENTATIONS for r in self.representations)
                and len(set(self.representations)) == len(self.representations),
                f"representations must be distinct names among {REPRESENTATIONS}")
        require(self.test_size >= 16 and 1 <= self.eval_size <= self.test_size,
                "test_size >= 16 and 1 <= eval_size <= test_size")
        require(self.eval_every >= 1, "eval_every must be >= 1")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(steps=60_000, batch=64, lr=1e-4, decay_at=0.8, losses=("pose", "geodesic"),
                eval_every=2000, eval_size=2048),
)


def estimate_seconds(cfg: Config) -> float:
    """Own compute on paper. One training step of the stacked MLP costs about
    ``6 · M · B · (9w + 2w² + d w)`` flop (forward + backward) plus a fixed cost for the many
    small operations of the five maps ``f``, their backward pass and Adam: measured on one core
    of the shared ci machine (CPU time), 6.6 ms per step at the ci sizes, i.e. ≈ 4 ms fixed +
    the matmuls at ≈ 4e10 flop/s; on a GPU the fixed cost is kernel launches (≈ 5 ms per step,
    generous) and the matmuls are free."""
    m = len(cfg.representations)
    flops = 6 * m * cfg.batch * (9 * cfg.width + 2 * cfg.width ** 2 + 6 * cfg.width)
    full = cfg.steps > 10_000  # the full profile is meant for a GPU
    rate, overhead = (2e12, 5e-3) if full else (4e10, 4e-3)
    n_evals = cfg.steps // cfg.eval_every + 1
    train = cfg.steps * (flops / rate + overhead) * len(cfg.losses)
    evals = n_evals * len(cfg.losses) * (cfg.eval_size * flops / cfg.batch / 3 / rate + overhead)
    return train + evals + 2.0  # + test set, discontinuity demo, oracles


# --------------------------------------------------------------------------------------
# The network-output maps f (official sanity-test heads)
# --------------------------------------------------------------------------------------


def axis_angle_head(a: torch.Tensor) -> torch.Tensor:
    """Official ``AxisAngle`` head, 4 outputs: ``θ = π·tanh(a₀)``, ``n = a[1:4]/‖a[1:4]‖``,
    ``R`` from the unit quaternion ``(n sin θ/2, cos θ/2)`` (scalar-last here)."""
    if a.shape[-1] != 4:
        raise ValueError(f"the axis–angle head needs 4 outputs, got {tuple(a.shape)}")
    theta = torch.pi * torch.tanh(a[..., 0])  # (−π, π)
    n = a[..., 1:] / torch.linalg.vector_norm(a[..., 1:], dim=-1, keepdim=True).clamp_min(1e-8)
    q = torch.cat([n * torch.sin(theta / 2)[..., None], torch.cos(theta / 2)[..., None]], -1)
    return rot.quaternion_to_matrix(q)


def euler_head(a: torch.Tensor) -> torch.Tensor:
    """Official ``euler`` head, 3 outputs: ``R = R_x(a₀) R_z(a₂) R_y(a₁)`` (intrinsic
    X–Z′–Y″, the official closed form)."""
    if a.shape[-1] != 3:
        raise ValueError(f"the Euler head needs 3 outputs, got {tuple(a.shape)}")
    c1, s1 = torch.cos(a[..., 0]), torch.sin(a[..., 0])
    c2, s2 = torch.cos(a[..., 2]), torch.sin(a[..., 2])
    c3, s3 = torch.cos(a[..., 1]), torch.sin(a[..., 1])
    m = [c2 * c3, -s2, c2 * s3,
         c1 * s2 * c3 + s1 * s3, c1 * c2, c1 * s2 * s3 - s1 * c3,
         s1 * s2 * c3 - c1 * s3, s1 * c2, s1 * s2 * s3 + c1 * c3]
    return torch.stack(m, -1).reshape(*a.shape[:-1], 3, 3)


def euler_middle_angle(R: torch.Tensor) -> torch.Tensor:
    """The Z′ angle ``a₂ ∈ [−π/2, π/2]`` of ``R = R_x R_z(a₂) R_y`` (``r₁₂ = −sin a₂``):
    the Euler head is in gimbal lock at ``|a₂| = π/2``."""
    return torch.asin((-R[..., 0, 1]).clamp(-1, 1))


def head(name: str, a: torch.Tensor) -> torch.Tensor:
    """``f`` of representation ``name`` applied to network outputs ``a (..., d)``."""
    if name not in DIMS:
        raise ValueError(f"unknown representation {name!r}; choose one of {REPRESENTATIONS}")
    if a.shape[-1] != DIMS[name]:
        raise ValueError(f"{name} needs {DIMS[name]} outputs, got {tuple(a.shape)}")
    if name == "6D":
        return rot.sixd_to_matrix(a)
    if name == "5D":
        return rot.fived_to_matrix(a)
    if name == "quaternion":
        return rot.quaternion_to_matrix(a)
    if name == "axis-angle":
        return axis_angle_head(a)
    return euler_head(a)


# --------------------------------------------------------------------------------------
# Data: training and test rotations
# --------------------------------------------------------------------------------------


def sample_axis_angle(n: int, *, generator: torch.Generator | None = None,
                      dtype=torch.float32, device=None) -> torch.Tensor:
    """The official test sampler (``get_sampled_rotation_matrices_by_axisAngle``): a random axis
    and a rotation angle uniform on ``[0, π]`` (the code draws ``q = (cos t, n sin t)`` with ``t``
    uniform on ``[−π, π]``, whose rotation angle is uniform on ``[0, π]`` — the same law).
    Near-π rotations are ≈ 3× more frequent than under the Haar measure (density
    ``(1 − cos φ)/π``)."""
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    axis = torch.randn(int(n), 3, generator=generator, dtype=dtype, device=device)
    axis = axis / torch.linalg.vector_norm(axis, dim=-1, keepdim=True)
    phi = torch.rand(int(n), 1, generator=generator, dtype=dtype, device=device) * torch.pi
    return rot.axis_angle_to_matrix(axis * phi)


def rotation_angle(R: torch.Tensor) -> torch.Tensor:
    """The rotation angle of ``R`` in ``[0, π]`` (radians)."""
    return rot.geodesic_angle(R, torch.eye(3, dtype=R.dtype, device=R.device).expand_as(R))


# --------------------------------------------------------------------------------------
# The stacked MLPs (one per representation, trained side by side)
# --------------------------------------------------------------------------------------


class StackedMLP(torch.nn.Module):
    """``M`` independent MLPs ``9 → w → w → w → d_m`` with LeakyReLU (official ``Model`` with
    ``is_linear=False``), stored as stacked weights ``(M, in, out)``. Initialised like
    ``nn.Linear`` (uniform ``±1/√fan_in`` for weights and biases). The output layer has
    ``max d_m`` columns; model ``m`` reads its first ``d_m`` (the unused columns get no
    gradient)."""

    def __init__(self, dims: tuple[int, ...], width: int = 128, d_in: int = 9, *,
                 generator: torch.Generator | None = None):
        super().__init__()
        if len(dims) < 1 or min(dims) < 1:
            raise ValueError(f"dims must be positive output sizes, got {dims!r}")
        self.dims = tuple(int(d) for d in dims)
        sizes = [d_in, width, width, width, max(self.dims)]
        m = len(self.dims)
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = 1 / math.sqrt(fan_in)
            w = (torch.rand(m, fan_in, fan_out, generator=generator) * 2 - 1) * bound
            b = (torch.rand(m, 1, fan_out, generator=generator) * 2 - 1) * bound
            self.weights.append(torch.nn.Parameter(w))
            self.biases.append(torch.nn.Parameter(b))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x (B, 9)`` (the same inputs for every model) or ``(M, B, 9)`` → ``(M, B, max d)``."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(len(self.dims), -1, -1)
        if x.dim() != 3 or x.shape[0] != len(self.dims) or x.shape[-1] != self.weights[0].shape[1]:
            raise ValueError(f"input must be (B, {self.weights[0].shape[1]}) or "
                             f"({len(self.dims)}, B, {self.weights[0].shape[1]}), got "
                             f"{tuple(x.shape)}")
        h = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = torch.nn.functional.leaky_relu(h)  # official nn.LeakyReLU() (slope 0.01)
        return h

    def outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Per model, its ``(B, d_m)`` outputs."""
        y = self.forward(x)
        return [y[i, :, :d] for i, d in enumerate(self.dims)]


class RotationAutoEncoder(torch.nn.Module):
    """The sanity-test network for several representations at once: rotation matrix →
    representation (stacked MLP) → ``f`` → rotation matrix, one network per representation."""

    def __init__(self, representations=REPRESENTATIONS, width: int = 128, *,
                 generator: torch.Generator | None = None):
        super().__init__()
        bad = [r for r in representations if r not in DIMS]
        if bad or not representations:
            raise ValueError(f"unknown representations {bad}; choose among {REPRESENTATIONS}")
        self.representations = tuple(representations)
        self.mlp = StackedMLP(tuple(DIMS[r] for r in self.representations), width,
                              generator=generator)

    def forward(self, R: torch.Tensor) -> torch.Tensor:
        """``R (B, 3, 3)`` → predicted rotations ``(M, B, 3, 3)``."""
        if R.dim() != 3 or tuple(R.shape[1:]) != (3, 3):
            raise ValueError(f"R must be (B, 3, 3), got {tuple(R.shape)}")
        outs = self.mlp.outputs(R.reshape(R.shape[0], 9))
        return torch.stack([head(n, a) for n, a in zip(self.representations, outs, strict=True)])


def pose_loss(R_pred: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """Official ``compute_pose_loss`` with the identity T-pose: mean over the batch and the 9
    entries of ``(R̂ − R)²``; ``R_pred (M, B, 3, 3)`` → per-model losses ``(M,)``."""
    return ((R_pred - R) ** 2).mean(dim=(-1, -2, -3))


def geodesic_loss(R_pred: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """Official ``compute_geodesic_loss``: mean of ``arccos((tr(R̂Rᵀ) − 1)/2)``; the cosine is
    clamped to ``±(1 − 1e-6)`` (the official clamp to ``±1`` has an infinite gradient there)."""
    M = R_pred @ R.transpose(-1, -2)
    cos = (M.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2
    return torch.acos(cos.clamp(-1 + 1e-6, 1 - 1e-6)).mean(-1)


# --------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------


@dataclass
class SanityResult:
    """One sanity-test training (all representations, one loss)."""

    loss: str
    representations: tuple[str, ...]
    errors_deg: dict[str, np.ndarray]  # test geodesic errors per representation
    test_angle_deg: np.ndarray  # rotation angle of each test rotation
    euler_middle_deg: np.ndarray  # Euler Z′ angle of each test rotation
    orth_error: dict[str, float]  # max ‖R̂ᵀR̂ − I‖ and |det R̂ − 1| over the test set
    curve_steps: list[int]
    curve_mean: dict[str, list[float]]  # test mean error (deg) during training
    curve_max: dict[str, list[float]]
    train_loss: dict[str, list[float]]  # per step
    seconds: float

    def stats(self) -> dict[str, dict[str, float]]:
        """Mean, max, std, median and 99th percentile of the test errors (degrees)."""
        return {r: {"mean": float(e.mean()), "max": float(e.max()), "std": float(e.std()),
                    "median": float(np.median(e)), "p99": float(np.percentile(e, 99))}
                for r, e in self.errors_deg.items()}

    def binned_mean(self, rep: str, edges_deg) -> np.ndarray:
        """Mean test error of ``rep`` in bins of the rotation angle (degrees)."""
        idx = np.digitize(self.test_angle_deg, edges_deg) - 1
        e = self.errors_deg[rep]
        return np.array([e[idx == k].mean() if (idx == k).any() else np.nan
                         for k in range(len(edges_deg) - 1)])


def _orth_error(R: torch.Tensor) -> float:
    eye = torch.eye(3, dtype=R.dtype, device=R.device)
    gram = (R.transpose(-1, -2) @ R - eye).abs().amax().item()
    det = (torch.linalg.det(R) - 1).abs().amax().item()
    return float(max(gram, det))


def run_sanity(cfg: Config, *, seed: int = 0, device="cpu", loss: str = "pose",
               progress=None) -> SanityResult:
    """Train the five sanity-test auto-encoders side by side on Haar-uniform rotations and test
    them on ``cfg.test_size`` rotations from the official axis–angle sampler."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    device = torch.device(device)
    t0 = time.perf_counter()
    g_init = torch.Generator().manual_seed(seed)
    g_train = torch.Generator(device=device).manual_seed(10_000 + seed)
    g_test = torch.Generator().manual_seed(20_000 + seed)
    reps = tuple(cfg.representations)
    model = RotationAutoEncoder(reps, cfg.width, generator=g_init).to(device)
    R_test = sample_axis_angle(cfg.test_size, generator=g_test).to(device)
    R_eval = R_test[: cfg.eval_size]
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    decay_step = int(cfg.decay_at * cfg.steps)
    loss_fn = pose_loss if loss == "pose" else geodesic_loss
    curve_steps: list[int] = []
    curve_mean = {r: [] for r in reps}
    curve_max = {r: [] for r in reps}
    losses = torch.empty(cfg.steps, len(reps))

    def evaluate(step: int) -> None:
        with torch.no_grad():
            err = torch.rad2deg(rot.geodesic_angle(model(R_eval), R_eval)).cpu()
        curve_steps.append(step)
        for i, r in enumerate(reps):
            curve_mean[r].append(float(err[i].mean()))
            curve_max[r].append(float(err[i].max()))

    steps = range(cfg.steps)
    if progress is not None:
        steps = progress(steps, desc=f"sanity test ({loss} loss)")
    model.train()
    for step in steps:
        if step % cfg.eval_every == 0:
            evaluate(step)
        if step == decay_step:
            for group in opt.param_groups:
                group["lr"] = cfg.lr * 0.1
        R = rot.random_rotations(cfg.batch, generator=g_train, device=device)  # Haar sampler
        per_model = loss_fn(model(R), R)
        opt.zero_grad(set_to_none=True)
        per_model.sum().backward()  # the models share no parameter: independent gradients
        opt.step()
        losses[step] = per_model.detach().cpu()
    evaluate(cfg.steps)
    with torch.no_grad():
        R_pred = model(R_test)
        err = torch.rad2deg(rot.geodesic_angle(R_pred, R_test)).cpu().double().numpy()
    return SanityResult(
        loss=loss, representations=reps,
        errors_deg={r: err[i] for i, r in enumerate(reps)},
        test_angle_deg=torch.rad2deg(rotation_angle(R_test)).cpu().double().numpy(),
        euler_middle_deg=torch.rad2deg(euler_middle_angle(R_test)).cpu().double().numpy(),
        orth_error={r: _orth_error(R_pred[i]) for i, r in enumerate(reps)},
        curve_steps=curve_steps, curve_mean=curve_mean, curve_max=curve_max,
        train_loss={r: losses[:, i].numpy().tolist() for i, r in enumerate(reps)},
        seconds=time.perf_counter() - t0,
    )


# --------------------------------------------------------------------------------------
# The discontinuity, exactly
# --------------------------------------------------------------------------------------


def representation_of(name: str, R: torch.Tensor) -> torch.Tensor:
    """The map ``g`` of each representation (what a perfect network would output): 6-D first
    two columns, 5-D its stereographic inverse, canonical quaternion (``w ≥ 0``, scalar-last),
    axis–angle as the rotation vector ``θn`` with ``θ ∈ [0, π]``, and the Euler angles
    ``(a₀, a₁, a₂)`` of ``R = R_x(a₀)R_z(a₂)R_y(a₁)`` with ``a₂ ∈ [−π/2, π/2]``."""
    if name == "6D":
        return rot.matrix_to_sixd(R)
    if name == "5D":
        return rot.matrix_to_fived(R)
    if name == "quaternion":
        return rot.matrix_to_quaternion(R)
    if name == "axis-angle":
        return rot.matrix_to_axis_angle(R)
    if name == "Euler":
        a2 = euler_middle_angle(R)
        a0 = torch.atan2(R[..., 2, 1], R[..., 1, 1])  # r₃₂ = s₁c₂, r₂₂ = c₁c₂
        a1 = torch.atan2(R[..., 0, 2], R[..., 0, 0])  # r₁₃ = c₂s₃, r₁₁ = c₂c₃
        return torch.stack([a0, a1, a2], -1)
    raise ValueError(f"unknown representation {name!r}; choose one of {REPRESENTATIONS}")


def rotation_path(thetas: torch.Tensor, axis=(1.0, 2.0, 2.0)) -> torch.Tensor:
    """Rotations by the angles ``thetas`` (radians, any real) about a fixed axis."""
    n = torch.as_tensor(axis, dtype=thetas.dtype)
    n = n / torch.linalg.vector_norm(n)
    return rot.axis_angle_to_matrix(thetas[:, None] * n)


def discontinuity_demo(eps: float = 1e-3, axis=(1.0, 2.0, 2.0)) -> dict[str, float]:
    """Two rotations on either side of angle π about one axis, ``R(π − ε)`` and ``R(π + ε)``
    (float64): their distance ``‖R₁ − R₂‖_F`` (of order ε) and the jumps ``‖g(R₁) − g(R₂)‖``
    of each representation's ``g``."""
    thetas = torch.tensor([math.pi - eps, math.pi + eps], dtype=torch.float64)
    R = rotation_path(thetas, axis)
    out = {"matrix": float(torch.linalg.matrix_norm(R[0] - R[1]))}
    for name in REPRESENTATIONS:
        g = representation_of(name, R)
        out[name] = float(torch.linalg.vector_norm(g[0] - g[1]))
    return out


def timed(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), seconds)``."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0
