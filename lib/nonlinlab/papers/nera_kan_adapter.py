r"""Deshmukh, De, Sehgal, Sen Gupta & Mittal (WACV 2026), *Dressing the Imagination: A Dataset
for AI-Powered Translation of Text into Fashion Outfits and A Novel KAN Adapter for Enhanced
Feature Adaptation* (arXiv:2411.13901) — the NeRA adapter against LoRA.

What is implemented (official code ``CandleLabAI/WACV2026-FLORA-Dataset-NeRA-Adapter``,
``kan.py``: ``NERAKANFeatureMap`` and ``NERAKANAdapter``; where the paper's prose and the code
differ we follow the code)
-----------------------------------------------------------------------------------------------

**NeRA** wraps a frozen ``nn.Linear`` :math:`y = W_0 x + b_0` (``d_in → d_out``) and adds a
low-rank *nonlinear* correction built from learnable univariate functions of each input
coordinate (Kolmogorov–Arnold style):

.. math::
    u_{dk} = s_d x_d - t_{dk}, \qquad \phi(u) = \max(0, 1 - |u|), \qquad
    z_j(x) = \sum_{d}\sum_{k} \phi(u_{dk})\, c_{dkj}, \qquad
    y = W_0 x + b_0 + \alpha\, R\, z(x),

with knots :math:`t\in\mathbb R^{d_{in}\times K}` (init: ``K`` equally spaced values on
[−3, 3] for every coordinate), input scales :math:`s` (init 1), coefficients
:math:`c\in\mathbb R^{d_{in}\times K\times r}` (init :math:`\mathcal N(0, 10^{-6})`), read-out
:math:`R\in\mathbb R^{d_{out}\times r}` (``nn.Linear(r, d_out, bias=False)``, PyTorch's default
init) and a scalar :math:`\alpha`; all trainable (``enable_training()`` turns α's gradient on).
The basis is the official *triangular hat* of fixed half-width 1 (a linear B-spline), not the
cubic B-splines plus SiLU of pykan that the paper's wording "spline-based KAN" suggests.
Outside :math:`[\min_k t_{dk} - 1, \max_k t_{dk} + 1]/s_d` a coordinate contributes nothing.
Trainable parameters per wrapped layer: :math:`d_{in}Kr + d_{in}K + d_{in} + r\,d_{out} + 1`.

**LoRA** (the shared :class:`~nonlinlab.models.lora.LoRALinear`): :math:`y = W_0x + b_0 +
\frac{\alpha_L}{r_L} B A x`, ``B = 0``, ``A`` Kaiming-uniform. Compared at equal rank and at
equal trainable-parameter count :math:`r_L = \mathrm{round}(P_{NeRA}/(d_{in}+d_{out}))`.

**Teacher–student adaptation** (mechanism test with planted truth; not an experiment of the
paper, whose evaluation is FID/CLIP-style scores of FLUX.1-dev fine-tuned on FLORA). A frozen
random layer :math:`W_0`; the target is :math:`y = W_0x + U h(x)` with a rank-4 :math:`U` and
additive nonlinear features :math:`h_j(x) = \sum_d a_{jd} f_{jd}(x_d)`,
:math:`f\in\{\sin 2x, \tanh 3x, x^2-1, |x|\}` (the *nonlinear shift*), or the *linear control*
:math:`y = W_0x + UVx`. Inputs :math:`x\sim\mathcal N(0, I)`. Students are trained full batch
with Adam on the MSE. Baselines: frozen base, LoRA (equal rank, equal parameters), a dense
:math:`\Delta W` (full fine-tuning of the layer) and the ablation *NeRA with an identity basis*
(:math:`\phi(u) = u`, which makes :math:`z` affine in :math:`x`). Oracles: the best linear
correction and the best frozen-knot NeRA (both by least squares).

**Deviations.** The official defaults are ``r=16, K=8, α=1e-3`` (dataclass) and ``r=64, α=64``
(FLUX config, AdamW lr 1e-5); at this scale we use ``r=4, K=8, α=1`` and Adam lr 1e-2 for every
student, so that 300 full-batch steps converge.

**Generative fine-tuning** (the paper fine-tunes FLUX.1-dev on fashion sketches; here a small
stand-in on real data). A conditional flow-matching generator ``v(x, t, c)`` (MLP on
``[x, t, onehot(c)]``, three SiLU hidden layers) is pre-trained on half of scikit-learn's 8×8
digits with the shared loss of :mod:`nonlinlab.models.flows` (linear path, x₀ ~ N(0, I)). The
new domain is an *outline* style, the per-pixel non-monotone intensity transform
p ↦ sin(πp) of the other half. Every linear layer of the frozen generator gets NeRA (r, K) or
LoRA with the same parameter count per layer (or NeRA with the identity basis); only the
adapters train, with Adam at one learning rate for all. Scores: the Fréchet distance between
Euler samples and held-out outline digits in the feature space of a small classifier trained
on the outline digits (an offline FID analogue), and the flow-matching loss on the held-out
outline digits at fixed noise and times.

**A prompt that changes meaning** (second generative task, the regime NeRA's form is built
for). A second generator ``v(x, t, (c, a))`` also reads a scalar *ink-level prompt*
a ∈ [−2, 2] as an input of its first layer; it is pre-trained on half of the digits drawn with
ink level ℓ_src(a) = 0.6 + 0.2a (ink p ↦ ℓp) and frozen. In the new domain the same prompt
means ℓ_new(a) = 0.2 + 0.2a² (non-monotone). NeRA, LoRA at equal parameters and NeRA with the
identity basis each pick their own Adam learning rate from a grid by the loss on a validation
fifth of the adaptation digits. Scores on the other half: the held-out flow-matching loss
under the new meaning and the *prompt-alignment error*, the mean absolute difference between
the mean ink of a sample generated for (class, prompt) and that of the real digit drawn with
the prompt's new meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..models import flows, transport
from ..models.lora import LoRALinear

# --------------------------------------------------------------------------------------
# Paper / official-code numbers
# --------------------------------------------------------------------------------------

#: Official ``NERAKANConfig`` defaults (``kan.py``) and the FLUX training config.
OFFICIAL_DEFAULTS = {"r": 16, "num_knots": 8, "alpha": 1e-3, "knot_range": (-3.0, 3.0),
                     "coeff_std": 1e-3}
OFFICIAL_FLUX = {"r": 64, "alpha": 64.0, "lr": 1e-5, "epochs": 20, "grad_accum": 8}
#: The paper reports FID/CLIP-style comparisons (NeRA better than LoRA, LoKR, DoRA, LoHA on
#: FLORA and LAION-5B); see the paper's tables — no number is reproduced here.
PAPER_CLAIM = "NeRA gives better fidelity and faster convergence than LoRA (paper tables)"

UNIVARIATES = ("sin(2x)", "tanh(3x)", "x^2-1", "|x|")
TASKS = ("nonlinear", "linear")
BASES = ("hat", "identity")
GEN_ADAPTERS = ("NeRA", "LoRA (equal params)", "NeRA, identity basis", "frozen base")
INK_ADAPTERS = GEN_ADAPTERS

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    d: int = 32                 # d_in = d_out of the frozen layer
    teacher_rank: int = 4       # rank of U (and V in the linear control)
    r: int = 4                  # NeRA rank
    knots: int = 8              # K (official default)
    alpha: float = 1.0          # NeRA α init (trainable); LoRA uses α_L = r_L (scaling 1)
    n_train: int = 1000
    n_test: int = 1000
    steps: int = 300            # full-batch Adam steps
    lr: float = 1e-2
    log_every: int = 10
    # generative fine-tuning (conditional flow matching on sklearn digits)
    gen_width: int = 128        # hidden width of the velocity MLP
    gen_r: int = 4              # NeRA rank per linear layer (LoRA: equal parameter count)
    gen_pre_steps: int = 2000   # pre-training steps on the source digits
    gen_adapt_steps: int = 600  # adapter steps on the outline-style digits
    gen_batch: int = 128
    gen_lr: float = 2e-3        # pre-training Adam lr
    gen_adapt_lr: float = 3e-3  # adapter Adam lr (every adapter)
    gen_euler: int = 20         # Euler steps of the sampler
    gen_samples: int = 898      # generated samples scored (= held-out digits)
    gen_clf_steps: int = 800
    gen_adapters: tuple = ("NeRA", "LoRA (equal params)", "frozen base")  # outline style
    # ink-level prompts (second generative task)
    ink_span: float = 2.0       # prompt a ~ U[−span, span]
    ink_pre_steps: int = 2000   # pre-training steps with the source meaning of the prompt
    ink_adapt_steps: int = 600  # adapter steps with the new meaning
    ink_lrs_nera: tuple = (1e-2,)   # Adam lr grid of the NeRA adapters (validation-selected)
    ink_lrs_lora: tuple = (3e-3,)   # Adam lr grid of LoRA
    ink_lrs_ident: tuple = (3e-4,)  # Adam lr grid of NeRA with the identity basis
    ink_adapters: tuple = ("NeRA", "LoRA (equal params)", "frozen base")  # run at this profile

    def check(self) -> None:
        require(self.d >= 2 and 1 <= self.teacher_rank <= self.d, "need d >= 2, 1 <= rank <= d")
        require(self.r >= 1 and self.knots >= 2, "need r >= 1 and at least 2 knots")
        require(min(self.n_train, self.n_test, self.steps, self.log_every) >= 1,
                "sizes and steps must be >= 1")
        require(self.lr > 0 and self.alpha > 0, "lr and alpha must be > 0")
        require(min(self.gen_width, self.gen_r, self.gen_pre_steps, self.gen_adapt_steps,
                    self.gen_batch, self.gen_euler, self.gen_samples, self.gen_clf_steps) >= 1,
                "generator sizes and steps must be >= 1")
        require(self.gen_samples <= 898, "gen_samples must be <= 898 (the held-out half)")
        require(self.gen_lr > 0 and self.gen_adapt_lr > 0, "generator lrs must be > 0")
        require(set(self.gen_adapters) <= set(GEN_ADAPTERS), f"adapters among {GEN_ADAPTERS}")
        require(set(self.ink_adapters) <= set(INK_ADAPTERS), f"adapters among {INK_ADAPTERS}")
        require(self.ink_span > 0 and min(self.ink_pre_steps, self.ink_adapt_steps) >= 1,
                "ink prompts: span > 0 and steps >= 1")
        require(all(len(g) >= 1 and min(g) > 0 for g in
                    (self.ink_lrs_nera, self.ink_lrs_lora, self.ink_lrs_ident)),
                "ink prompts: every lr grid needs at least one lr > 0")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(gen_adapters=GEN_ADAPTERS, ink_adapters=INK_ADAPTERS, d=128, teacher_rank=8,
                r=8, n_train=20000, n_test=10000, steps=3000,
                gen_width=256, gen_pre_steps=10000, gen_adapt_steps=4000, gen_euler=50,
                gen_clf_steps=3000, ink_pre_steps=10000, ink_adapt_steps=4000,
                ink_lrs_nera=(3e-3, 1e-2), ink_lrs_lora=(1e-3, 3e-3, 1e-2),
                ink_lrs_ident=(1e-4, 3e-4, 1e-3)),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from timings on this 2-core machine at 1 thread: a NeRA step (forward and
    backward through the (n, d, K) basis tensor) costs ≈ 5e-8 s per element of that tensor;
    the two NeRA students run on both tasks; the three linear students ≈ 1.5 ms per step at
    ci size (∝ n·d); + ≈ 4 s of imports. Full: on a GPU, ≈ 100× faster than one CPU core."""
    nera = 2 * 2 * cfg.steps * cfg.n_train * cfg.d * cfg.knots * 5e-8
    linear = 2 * 3 * cfg.steps * 1.5e-3 * (cfg.n_train * cfg.d) / 32000
    train = nera + linear
    if cfg.d > 64:  # full profile: on a GPU
        train /= 100
    # generative part: ≈ 1.5 ms per pre-training or LoRA step and ≈ 5 ms per NeRA step at width
    # 128, batch 128 (∝ width²·batch) + ≈ 2 s of classifier, sampling and scoring per task; on
    # a GPU these small MLP steps are launch-bound: ≈ 5 ms per step whatever the size.
    outline = [k for k in cfg.gen_adapters if k != "frozen base"]
    n_nera = sum(k.startswith("NeRA") for k in outline) * cfg.gen_adapt_steps + (
        len(cfg.ink_lrs_nera) * ("NeRA" in cfg.ink_adapters)
        + len(cfg.ink_lrs_ident) * ("NeRA, identity basis" in cfg.ink_adapters)
    ) * cfg.ink_adapt_steps
    n_lin = (cfg.gen_pre_steps + cfg.ink_pre_steps + sum(k.startswith("LoRA") for k in outline)
             * cfg.gen_adapt_steps + len(cfg.ink_lrs_lora) * cfg.ink_adapt_steps)
    if cfg.d > 64:
        gen = (n_nera + n_lin) * 5e-3 + 20.0
    else:
        scale = (cfg.gen_width / 128) ** 2 * cfg.gen_batch / 128
        gen = (n_lin * 1.5e-3 + n_nera * 5e-3) * scale + 4.0
    return train + gen + 4.0


# --------------------------------------------------------------------------------------
# The NeRA adapter (official kan.py)
# --------------------------------------------------------------------------------------


def hat(u: torch.Tensor) -> torch.Tensor:
    """Triangular basis φ(u) = max(0, 1 − |u|) (official ``_tri_basis``)."""
    return torch.relu(1 - u.abs())


class NeRALinear(nn.Module):
    """``base(x) + α R z(x)`` around a frozen ``nn.Linear`` (official ``NERAKANAdapter``).
    ``basis="identity"`` is an ablation (φ(u) = u: the adapter becomes affine in x)."""

    def __init__(self, base: nn.Linear, r: int = 4, knots: int = 8, alpha: float = 1.0, *,
                 basis: str = "hat", generator: torch.Generator | None = None):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"NeRA wraps an nn.Linear, got {type(base).__name__}")
        if r < 1 or knots < 2:
            raise ValueError(f"NeRA needs r >= 1 and knots >= 2, got r={r}, knots={knots}")
        if basis not in BASES:
            raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
        self.base, self.r, self.K, self.basis = base, r, knots, basis
        base.requires_grad_(False)
        d_in, d_out = base.in_features, base.out_features
        lo, hi = OFFICIAL_DEFAULTS["knot_range"]
        self.knots = nn.Parameter(torch.linspace(lo, hi, knots).repeat(d_in, 1))  # t: (d_in, K)
        self.in_scale = nn.Parameter(torch.ones(d_in))                            # s: (d_in,)
        self.coeff = nn.Parameter(OFFICIAL_DEFAULTS["coeff_std"]                  # c: (d_in,K,r)
                                  * torch.randn(d_in, knots, r, generator=generator))
        bound = 1.0 / np.sqrt(r)  # nn.Linear(r, d_out) default: Kaiming-uniform(a=√5)
        self.readout = nn.Parameter((torch.rand(d_out, r, generator=generator) * 2 - 1) * bound)
        self.alpha = nn.Parameter(torch.tensor(float(alpha)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Basis responses φ(s_d x_d − t_dk), shape (..., d_in, K)."""
        if x.shape[-1] != self.base.in_features:
            raise ValueError(f"expected last dim {self.base.in_features}, got {x.shape[-1]}")
        u = (x * self.in_scale).unsqueeze(-1) - self.knots  # u_dk = s_d x_d − t_dk
        return hat(u) if self.basis == "hat" else u

    def delta(self, x: torch.Tensor) -> torch.Tensor:
        phi = self.features(x)
        z = phi.flatten(-2) @ self.coeff.reshape(-1, self.r)               # z_j = Σ_dk φ_dk c_dkj
        return self.alpha * z @ self.readout.t()                           # α R z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        delta = self.delta(x)                                               # checks x's shape
        return self.base(x) + delta                                 # W0 x + b0 + α R z


class DenseDelta(nn.Module):
    """Full fine-tuning of the layer as a dense ΔW (upper bound among linear corrections)."""

    def __init__(self, base: nn.Linear):
        super().__init__()
        self.base = base
        base.requires_grad_(False)
        self.dW = nn.Parameter(torch.zeros_like(base.weight))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + x @ self.dW.t()


def n_trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def nera_param_count(d_in: int, d_out: int, r: int, knots: int) -> int:
    """d_in·K·r + d_in·K + d_in + r·d_out + 1 (coefficients, knots, scales, read-out, α)."""
    return d_in * knots * r + d_in * knots + d_in + r * d_out + 1


def lora_equal_rank(d_in: int, d_out: int, r: int, knots: int) -> int:
    """LoRA rank with the same trainable-parameter count as NeRA(r, K)."""
    return max(1, int(round(nera_param_count(d_in, d_out, r, knots) / (d_in + d_out))))


# --------------------------------------------------------------------------------------
# Teacher–student task
# --------------------------------------------------------------------------------------


def _univariate(i: int, x: torch.Tensor) -> torch.Tensor:
    if i == 0:
        return torch.sin(2 * x)
    if i == 1:
        return torch.tanh(3 * x)
    if i == 2:
        return x ** 2 - 1
    return x.abs()


@dataclass
class Task:
    kind: str
    base: nn.Linear
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    U: torch.Tensor
    A: torch.Tensor         # a_jd (nonlinear) or V (linear), shape (rank, d)
    which: torch.Tensor     # index of f_jd in UNIVARIATES, shape (rank, d)

    def shift(self, x: torch.Tensor) -> torch.Tensor:
        """The planted correction y − W0 x − b0."""
        if self.kind == "linear":
            return x @ self.A.t() @ self.U.t()                           # U V x
        h = torch.zeros(*x.shape[:-1], self.A.shape[0])
        for i in range(len(UNIVARIATES)):
            m = (self.which == i).float() * self.A                       # a_jd where f_jd = f_i
            h = h + _univariate(i, x) @ m.t()                            # h_j = Σ_d a_jd f_jd(x_d)
        return h @ self.U.t()                                            # U h(x)

    def per_coordinate(self, d: int, grid: torch.Tensor) -> torch.Tensor:
        """Teacher's contribution of coordinate d alone, shape (len(grid), d_out)."""
        x = torch.zeros(len(grid), self.base.in_features)
        x[:, d] = grid
        x0 = torch.zeros(1, self.base.in_features)
        return self.shift(x) - self.shift(x0)


def make_task(kind: str, cfg: Config, seed: int) -> Task:
    """Frozen random layer, planted shift and train/test inputs x ~ N(0, I)."""
    if kind not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {kind!r}")
    g = torch.Generator().manual_seed(seed)
    d, k = cfg.d, cfg.teacher_rank
    base = nn.Linear(d, d)
    with torch.no_grad():
        base.weight.copy_(torch.randn(d, d, generator=g) / np.sqrt(d))
        base.bias.copy_(0.1 * torch.randn(d, generator=g))
    base.requires_grad_(False)
    U = torch.randn(d, k, generator=g) / np.sqrt(k)
    A = torch.randn(k, d, generator=g) / np.sqrt(d)
    which = torch.randint(0, len(UNIVARIATES), (k, d), generator=g)
    x_tr = torch.randn(cfg.n_train, d, generator=g)
    x_te = torch.randn(cfg.n_test, d, generator=g)
    t = Task(kind, base, x_tr, None, x_te, None, U, A, which)  # type: ignore[arg-type]
    with torch.no_grad():
        t.y_train = base(x_tr) + t.shift(x_tr)
        t.y_test = base(x_te) + t.shift(x_te)
    return t


def make_students(task: Task, cfg: Config, seed: int) -> dict[str, nn.Module]:
    """The adapters compared, each around its own copy of the frozen layer."""
    d = cfg.d

    def copy() -> nn.Linear:
        lin = nn.Linear(d, d)
        lin.load_state_dict(task.base.state_dict())
        return lin

    g = torch.Generator().manual_seed(seed + 1)
    r_eq = lora_equal_rank(d, d, cfg.r, cfg.knots)
    return {
        "NeRA": NeRALinear(copy(), cfg.r, cfg.knots, cfg.alpha, generator=g),
        "LoRA (equal params)": LoRALinear(copy(), r_eq, generator=g),
        "LoRA (equal rank)": LoRALinear(copy(), cfg.r, generator=g),
        "dense ΔW": DenseDelta(copy()),
        "NeRA, identity basis": NeRALinear(copy(), cfg.r, cfg.knots, cfg.alpha,
                                           basis="identity", generator=g),
    }


def rel_mse(model: nn.Module, x: torch.Tensor, y: torch.Tensor, base: nn.Linear) -> float:
    """Test MSE divided by the mean variance of the planted shift y − W0 x − b0."""
    with torch.no_grad():
        shift = y - base(x)
        return float(((model(x) - y) ** 2).mean() / shift.var(0).mean())


def train_student(model: nn.Module, task: Task, cfg: Config,
                  device: torch.device | str = "cpu") -> dict:
    """Full-batch Adam on the MSE; returns the relative test MSE curve and its final value."""
    model = model.to(device)
    x, y = task.x_train.to(device), task.y_train.to(device)
    xt, yt = task.x_test.to(device), task.y_test.to(device)
    base = model.base
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    steps, curve = [], []
    for step in range(cfg.steps + 1):
        if step % cfg.log_every == 0 or step == cfg.steps:
            steps.append(step)
            curve.append(rel_mse(model, xt, yt, base))
        if step == cfg.steps:
            break
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    model.cpu()
    return {"steps": np.array(steps), "curve": np.array(curve), "final": curve[-1],
            "params": n_trainable(model), "model": model}


def linear_oracle(task: Task) -> float:
    """Best linear correction ΔW x of the frozen layer (least squares on the train set, no
    intercept, like LoRA and a dense ΔW), relative test MSE: the floor of every linear adapter."""
    with torch.no_grad():
        X = task.x_train.double()
        S = (task.y_train - task.base(task.x_train)).double()
        coef = torch.linalg.lstsq(X, S).solution
        Xt = task.x_test.double()
        St = (task.y_test - task.base(task.x_test)).double()
        return float(((Xt @ coef - St) ** 2).mean() / St.var(0).mean())


def frozen_knot_oracle(task: Task, cfg: Config) -> float:
    """Best NeRA with knots and scales frozen at their init and full rank (R = I, r = d_out):
    a linear least-squares problem in the coefficients; relative test MSE."""
    lo, hi = OFFICIAL_DEFAULTS["knot_range"]
    t = torch.linspace(lo, hi, cfg.knots).double()

    def feats(x):
        phi = hat(x.double().unsqueeze(-1) - t).reshape(len(x), -1)
        return torch.cat([phi, torch.ones(len(x), 1, dtype=torch.float64)], 1)

    with torch.no_grad():
        S = (task.y_train - task.base(task.x_train)).double()
        coef = torch.linalg.lstsq(feats(task.x_train), S).solution
        St = (task.y_test - task.base(task.x_test)).double()
        return float(((feats(task.x_test) @ coef - St) ** 2).mean() / St.var(0).mean())


def init_gap(cfg: Config, seed: int) -> dict:
    """‖adapter(x) − base(x)‖ / ‖base(x)‖ at initialisation, on unit-variance inputs."""
    task = make_task("nonlinear", cfg, seed)
    st = make_students(task, cfg, seed)
    x = task.x_test
    with torch.no_grad():
        b = task.base(x)
        return {n: float((st[n](x) - b).norm() / b.norm())
                for n in ("NeRA", "LoRA (equal params)")}


def run_experiment(cfg: Config, *, seed: int, device: torch.device | str = "cpu",
                   tasks: tuple[str, ...] = TASKS) -> dict:
    """Every student on every task; plus the least-squares oracles and the frozen base."""
    out = {}
    for kind in tasks:
        task = make_task(kind, cfg, seed)
        torch.manual_seed(seed)
        res = {n: train_student(m, task, cfg, device) for n, m in
               make_students(task, cfg, seed).items()}
        res["frozen base"] = {"final": rel_mse(task.base, task.x_test, task.y_test, task.base),
                              "params": 0}
        out[kind] = {"task": task, "students": res, "linear_oracle": linear_oracle(task),
                     "frozen_knot_oracle": frozen_knot_oracle(task, cfg)}
    return out


def learned_functions(model: NeRALinear, task: Task, d: int, grid: torch.Tensor) -> tuple:
    """NeRA's and the teacher's contribution of coordinate d alone (others at 0), centred at
    x_d = 0; shapes (len(grid), d_out)."""
    x = torch.zeros(len(grid), task.base.in_features)
    x[:, d] = grid
    x0 = torch.zeros(1, task.base.in_features)
    with torch.no_grad():
        ours = model.delta(x) - model.delta(x0)
    return ours, task.per_coordinate(d, grid)


# --------------------------------------------------------------------------------------
# Generative fine-tuning: a conditional flow-matching digit generator adapted to a new style
# --------------------------------------------------------------------------------------

STYLES = ("outline",)


def digits_to_unit(x: np.ndarray) -> torch.Tensor:
    """sklearn digits (0..16) to [−1, 1] (ink = +1)."""
    return torch.as_tensor(x / 8.0 - 1.0, dtype=torch.float32)


def outline_style(x: torch.Tensor) -> torch.Tensor:
    """The target domain: a per-pixel, non-monotone intensity transform of [−1, 1] images,
    p ↦ sin(πp) on the ink level p = (x + 1)/2 — background and full ink become dark, the
    half-inked stroke edges bright (an *outline* rendering of the same digits)."""
    p = (x + 1) / 2
    return 2 * torch.sin(np.pi * p) - 1


class CondVelocity(nn.Module):
    """``v(x, t, c)``: an MLP on ``[x, t, onehot(c)]`` with three SiLU hidden layers. With
    ``n_scalars = 1`` the condition is a pair ``(c, a)`` and a scalar prompt ``a`` is one more
    input: ``[x, t, onehot(c), a]``."""

    def __init__(self, dim: int = 64, width: int = 128, n_classes: int = 10, n_scalars: int = 0):
        super().__init__()
        self.dim, self.n_classes, self.n_scalars = dim, n_classes, n_scalars
        self.net = nn.Sequential(
            nn.Linear(dim + 1 + n_classes + n_scalars, width), nn.SiLU(), nn.Linear(width, width),
            nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor, c) -> torch.Tensor:
        a = None
        if self.n_scalars:
            c, a = c
        if x.dim() != 2 or x.shape[1] != self.dim or t.shape != x.shape[:1] or c.shape != t.shape:
            raise ValueError(f"expected x (B, {self.dim}), t (B,), c (B,); got {tuple(x.shape)}, "
                             f"{tuple(t.shape)}, {tuple(c.shape)}")
        parts = [x, t[:, None].to(x.dtype), nn.functional.one_hot(c, self.n_classes).to(x.dtype)]
        if a is not None:
            parts.append(a.reshape(len(x), self.n_scalars).to(x.dtype))
        return self.net(torch.cat(parts, 1))


def linear_layers(model: CondVelocity) -> list[int]:
    return [i for i, m in enumerate(model.net) if isinstance(m, nn.Linear)]


def adapt_generator(base: CondVelocity, kind: str, cfg: Config, *, seed: int) -> CondVelocity:
    """A copy of the frozen base with every linear layer wrapped in the named adapter:
    NeRA (r, K), LoRA with NeRA's parameter count per layer, NeRA with the identity basis, or
    no adapter (``frozen base``)."""
    if kind not in GEN_ADAPTERS:
        raise ValueError(f"adapter must be one of {GEN_ADAPTERS}, got {kind!r}")
    model = CondVelocity(base.dim, base.net[0].out_features, base.n_classes, base.n_scalars)
    model.load_state_dict(base.state_dict())
    model.requires_grad_(False)
    g = torch.Generator().manual_seed(seed + 11)
    for i in linear_layers(model):
        lin = model.net[i]
        if kind == "NeRA":
            model.net[i] = NeRALinear(lin, cfg.gen_r, cfg.knots, cfg.alpha, generator=g)
        elif kind == "NeRA, identity basis":
            model.net[i] = NeRALinear(lin, cfg.gen_r, cfg.knots, cfg.alpha, basis="identity",
                                      generator=g)
        elif kind == "LoRA (equal params)":
            r_eq = lora_equal_rank(lin.in_features, lin.out_features, cfg.gen_r, cfg.knots)
            model.net[i] = LoRALinear(lin, r_eq, generator=g)
    return model


def train_flow(v: nn.Module, x: torch.Tensor, c: torch.Tensor, *, steps: int, batch: int,
               lr: float, generator: torch.Generator, device="cpu", progress=None,
               desc: str = "", draw=None) -> list[float]:
    """Adam on the conditional flow-matching loss ‖(x₁ − x₀) − v(x_t, t, c)‖² with
    x₀ ~ N(0, I), x₁ a data batch with its labels c (``flows.flow_matching_loss``); only the
    parameters with ``requires_grad`` move. ``draw(idx, generator)``, if given, returns the batch
    ``(x₁, condition)`` for the drawn indices (the ink-level prompts draw a fresh prompt)."""
    params = [p for p in v.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    it = range(steps) if progress is None else progress(range(steps), desc=desc)
    losses = []
    for _ in it:
        idx = torch.randint(0, len(x), (batch,), generator=generator)
        x1, cb = (x[idx], c[idx]) if draw is None else draw(idx, generator)
        x1, cb = x1.to(device), _to(cb, device)
        x0 = torch.randn(x1.shape, generator=generator).to(device)
        t = torch.rand(batch, generator=generator).to(device)
        loss = flows.flow_matching_loss(v, x0, x1, t=t, cond=cb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _to(cond, device):
    return tuple(u.to(device) for u in cond) if isinstance(cond, tuple) else cond.to(device)


@torch.no_grad()
def val_loss(v: nn.Module, x: torch.Tensor, c: torch.Tensor, *, seed: int, reps: int = 4,
             device="cpu") -> float:
    """Flow-matching loss on held-out data with fixed noise and times (``reps`` draws per
    image), so that every model is scored on the same (x₀, t)."""
    g = torch.Generator().manual_seed(seed + 101)
    xs, cs = x.repeat(reps, 1), c.repeat(reps)
    x0 = torch.randn(xs.shape, generator=g)
    t = torch.rand(len(xs), generator=g)
    return float(flows.flow_matching_loss(v, x0.to(device), xs.to(device), t=t.to(device),
                                          cond=cs.to(device)))


@torch.no_grad()
def generate(v: nn.Module, labels, n_steps: int, *, seed: int, device="cpu") -> torch.Tensor:
    """Samples for the given class labels (or ``(labels, prompts)``) by ``n_steps`` Euler steps
    from fixed noise."""
    g = torch.Generator().manual_seed(seed + 202)
    n = len(labels[0] if isinstance(labels, tuple) else labels)
    x0 = torch.randn(n, v.dim, generator=g)
    return flows.sample_euler(v, x0.to(device), n_steps, cond=_to(labels, device)).cpu()


def split_digits(x: torch.Tensor, labels: torch.Tensor, seed: int) -> dict:
    """Random half split: the base is pre-trained on the source half, the adapters are trained
    on the other half in the new style, and the style's held-out data are the source half
    restyled (digits the adapters never saw)."""
    g = torch.Generator().manual_seed(seed + 404)
    perm = torch.randperm(len(x), generator=g)
    a, b = perm[: len(x) // 2], perm[len(x) // 2:]
    return {"src_x": x[a], "src_c": labels[a], "tgt_x": outline_style(x[b]), "tgt_c": labels[b],
            "val_x": outline_style(x[a]), "val_c": labels[a]}


def generative_experiment(x: torch.Tensor, labels: torch.Tensor, cfg: Config, *, seed: int,
                          device="cpu", progress=None,
                          adapters: tuple[str, ...] | None = None) -> dict:
    """Pre-train a conditional flow-matching digit generator, adapt it to the outline style
    with each adapter (frozen base), and score Fréchet distance and held-out loss."""
    adapters = cfg.gen_adapters if adapters is None else adapters
    data = split_digits(x, labels, seed)
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    base = CondVelocity(x.shape[1], cfg.gen_width).to(device)
    pre = train_flow(base, data["src_x"], data["src_c"], steps=cfg.gen_pre_steps,
                     batch=cfg.gen_batch, lr=cfg.gen_lr, generator=g, device=device,
                     progress=progress, desc="pre-train")
    base = base.cpu()
    clf = transport.train_feature_classifier(data["tgt_x"], data["tgt_c"], steps=cfg.gen_clf_steps,
                                             seed=seed + 303)
    n = cfg.gen_samples
    ev_c = data["val_c"][:n]
    ref = data["val_x"][:n]
    out = {"pretrain_curve": np.array(pre), "data": data, "models": {}, "results": {},
           "floor_fd": transport.classifier_frechet(clf, data["tgt_x"][:n], ref)}
    with torch.no_grad():
        acc = (clf(data["val_x"]).argmax(1) == data["val_c"]).float().mean()
    out["clf_acc"] = float(acc)
    for kind in adapters:
        model = adapt_generator(base, kind, cfg, seed=seed).to(device)
        ga = torch.Generator().manual_seed(seed + 1)
        curve = [] if kind == "frozen base" else train_flow(
            model, data["tgt_x"], data["tgt_c"], steps=cfg.gen_adapt_steps, batch=cfg.gen_batch,
            lr=cfg.gen_adapt_lr, generator=ga, device=device, progress=progress, desc=kind)
        samples = generate(model, ev_c, cfg.gen_euler, seed=seed, device=device)
        out["results"][kind] = {
            "params": n_trainable(model), "curve": np.array(curve),
            "val_loss": val_loss(model, data["val_x"], data["val_c"], seed=seed, device=device),
            "fd": transport.classifier_frechet(clf, samples, ref), "samples": samples[:20]}
        out["models"][kind] = model.cpu()
    return out


# --------------------------------------------------------------------------------------
# Generative fine-tuning, second task: a prompt whose meaning changes nonlinearly
# --------------------------------------------------------------------------------------

def ink_source(a: torch.Tensor, span: float) -> torch.Tensor:
    """Source meaning of the ink-level prompt a ∈ [−span, span]: ink level 0.6 + 0.4 a/span
    (linear, from 0.2 to 1)."""
    return 0.6 + 0.4 * a / span


def ink_target(a: torch.Tensor, span: float) -> torch.Tensor:
    """New meaning of the same prompt: ink level 0.2 + 0.8 (a/span)² (non-monotone: faint at
    a = 0, full ink at both ends)."""
    return 0.2 + 0.8 * (a / span) ** 2


def render_ink(x: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
    """A [−1, 1] digit drawn with its ink scaled by ``level`` ∈ (0, 1] (one level per image)."""
    return 2 * (x + 1) / 2 * level[:, None] - 1


def ink_prompts(n: int, span: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(n, generator=generator) * 2 - 1) * span


def ink_drawer(x: torch.Tensor, c: torch.Tensor, meaning, span: float):
    """``draw`` for :func:`train_flow`: the drawn digits with a fresh uniform prompt each."""
    def draw(idx, generator):
        a = ink_prompts(len(idx), span, generator)
        return render_ink(x[idx], meaning(a, span)), (c[idx], a)
    return draw


@torch.no_grad()
def ink_scores(v: nn.Module, x: torch.Tensor, c: torch.Tensor, cfg: Config, *, seed: int,
               reps: int = 4, device="cpu") -> dict:
    """On held-out digits with fixed prompts, noise and times: the flow-matching loss (Eq. 3)
    under the new meaning, and the *prompt-alignment error* — the mean absolute difference
    between the mean ink of a sample generated for (class, prompt) and that of the real digit
    drawn with the prompt's new meaning (20 Euler steps, fixed noise)."""
    g = torch.Generator().manual_seed(seed + 505)
    a = ink_prompts(len(x), cfg.ink_span, g)
    x1 = render_ink(x, ink_target(a, cfg.ink_span))
    xs, cs, as_ = x1.repeat(reps, 1), c.repeat(reps), a.repeat(reps)
    x0 = torch.randn(xs.shape, generator=g)
    t = torch.rand(len(xs), generator=g)
    loss = float(flows.flow_matching_loss(v, x0.to(device), xs.to(device), t=t.to(device),
                                          cond=(cs.to(device), as_.to(device))))
    samples = generate(v, (c, a), cfg.gen_euler, seed=seed, device=device)
    ink = lambda z: ((z.clamp(-1, 1) + 1) / 2).mean(1)  # noqa: E731
    ink_s, ink_r = ink(samples), ink(x1)
    return {"loss": loss, "align_err": float((ink_s - ink_r).abs().mean()), "samples": samples,
            "prompts": a, "real": x1, "ink_samples": ink_s, "ink_real": ink_r}


def ink_experiment(x: torch.Tensor, labels: torch.Tensor, cfg: Config, *, seed: int,
                   device="cpu", progress=None, adapters: tuple[str, ...] | None = None) -> dict:
    """Pre-train a generator conditioned on (class, ink-level prompt a) with the source meaning
    of a, then adapt it with each adapter to the new, nonlinear meaning of the same prompt.
    Every adapter picks its learning rate from its grid (``ink_lrs_nera`` for both NeRA
    variants, ``ink_lrs_lora``) by the loss on a validation fifth of the adaptation digits;
    scores are on the other half of the digits (never adapted on)."""
    adapters = cfg.ink_adapters if adapters is None else adapters
    span = cfg.ink_span
    g = torch.Generator().manual_seed(seed + 606)
    perm = torch.randperm(len(x), generator=g)
    src, tgt = perm[: len(x) // 2], perm[len(x) // 2:]
    n_fit = int(0.8 * len(tgt))
    fit, val = tgt[:n_fit], tgt[n_fit:]
    torch.manual_seed(seed)
    gp = torch.Generator().manual_seed(seed + 607)
    base = CondVelocity(x.shape[1], cfg.gen_width, n_scalars=1).to(device)
    pre = train_flow(base, x[src], labels[src], steps=cfg.ink_pre_steps, batch=cfg.gen_batch,
                     lr=cfg.gen_lr, generator=gp, device=device, progress=progress,
                     desc="pre-train (ink prompts)",
                     draw=ink_drawer(x[src], labels[src], ink_source, span))
    base = base.cpu()
    out = {"pretrain_curve": np.array(pre), "results": {}, "models": {}}
    for kind in adapters:
        grid = {"NeRA": cfg.ink_lrs_nera, "LoRA (equal params)": cfg.ink_lrs_lora,
                "NeRA, identity basis": cfg.ink_lrs_ident}.get(kind, (0.0,))
        best = None
        for lr in grid:
            model = adapt_generator(base, kind, cfg, seed=seed).to(device)
            ga = torch.Generator().manual_seed(seed + 1)
            curve = [] if kind == "frozen base" else train_flow(
                model, x[fit], labels[fit], steps=cfg.ink_adapt_steps, batch=cfg.gen_batch,
                lr=lr, generator=ga, device=device, progress=progress, desc=f"{kind}, lr {lr:g}",
                draw=ink_drawer(x[fit], labels[fit], ink_target, span))
            v_loss = ink_scores(model, x[val], labels[val], cfg, seed=seed + 1, device=device,
                                reps=2)["loss"] if len(grid) > 1 else float("nan")
            if best is None or v_loss < best[0]:
                best = (v_loss, lr, model, curve)
        _, lr, model, curve = best
        sc = ink_scores(model, x[src], labels[src], cfg, seed=seed, device=device)
        out["results"][kind] = {"params": n_trainable(model), "lr": lr, "curve": np.array(curve),
                                "loss": sc["loss"], "align_err": sc["align_err"],
                                "samples": sc["samples"][:20], "prompts": sc["prompts"],
                                "ink_samples": sc["ink_samples"], "ink_real": sc["ink_real"]}
        out["models"][kind] = model.cpu()
    return out
