r"""Mojgani, Balajewicz & Hassanzadeh (2022), *Lagrangian PINNs: A causality-conforming
solution to failure modes of physics-informed neural networks* (arXiv:2205.02902; journal
version CMAME 404:115810, 2023).

What is implemented (official code ``rmojgani/LPINNs``: ``code/mynet_POLAR.py`` = LPINN,
``code/mynet_POLAR0.py`` = PINN, ``code/LPINN.py`` + ``LPINNarg.py`` = driver and defaults)
------------------------------------------------------------------------------------------

**Problem.** 1-D periodic convection–diffusion on :math:`x\in[0,2\pi)`, :math:`t\in[0,1]`,

.. math:: u_t + c\,u_x = \nu u_{xx}, \qquad u(x,0)=u_0(x)=\sin x,

exact solution :math:`u=e^{-\nu t}\sin(x-ct)`; and viscous Burgers
:math:`u_t + u u_x = \nu u_{xx}` with the official moving-front initial condition
:math:`u_0=\sin x + c` (front travelling with speed :math:`c`).

**Exact periodicity** (both networks, official ``*_POLAR``): inputs
:math:`(\cos x,\sin x,t)` instead of :math:`(x,t)`, so no boundary loss is needed and the
failure of the PINN cannot be blamed on soft boundary conditions.

**PINN (Eulerian)**: :math:`u_\theta(\cos x,\sin x,t)`, a tanh MLP; residual
:math:`r=u_t+c\,u_x-\nu u_{xx}` (Burgers: :math:`u u_x`), loss (official: L2 *norms* over the
collocation grid, not mean squares)

.. math:: L_{\rm PINN}=\gamma_{ru}\|r\|_2+\gamma_{ic}\|u_\theta(\cdot,0)-u_0\|_2 .

**LPINN (Lagrangian)**, two parallel networks of the Lagrangian label :math:`x_0` and
:math:`t`: the characteristic curves :math:`X_\phi(x_0,t)` and the state carried along them
:math:`u_\theta(x_0,t)`. Along :math:`dX/dt=c` (Burgers: :math:`dX/dt=u`) the PDE becomes
:math:`Du/Dt=\nu u_{xx}`:

.. math:: r_x=\partial_t X_\phi - c, \qquad r_u=\partial_t u_\theta-\nu\,\partial_{xx}u_\theta,

.. math:: L_{\rm LPINN}=\gamma_{rx}\|r_x\|_2+\gamma_{ru}\|r_u\|_2
          +\gamma_{ic}\big(\|X_\phi(\cdot,0)-x_0\|_2+\|u_\theta(\cdot,0)-u_0\|_2\big),

official weights :math:`\gamma_{rx}=10,\ \gamma_{ru}=1,\ \gamma_{ic}=1000`. The Eulerian field is
recovered by scattering :math:`(X_\phi \bmod 2\pi,\ u_\theta)` and interpolating periodically
(official: ``interp1d``, linear) onto the evaluation grid.

**Where we depart from the official code (and why).**

* *Displacement form of the characteristics.* The official x-branch regresses :math:`X`
  directly from :math:`(\cos x_0,\sin x_0,t)`; the labels :math:`x_0=0` and
  :math:`x_0=2\pi` (both on the official ``endpoint=True`` grid) have the same input but
  different targets. We write :math:`X_\phi = x_0 + D_\phi(\cos x_0,\sin x_0,t)` with a periodic
  displacement network :math:`D_\phi` (same loss, same IC term :math:`X_\phi(x_0,0)=x_0`).
* *Separate branches.* The official x-branch reuses the input layer, the first hidden layer and
  the output layer of the u-branch; the paper describes two parallel branches. We use two
  separate MLPs (u: ``depth_u`` hidden layers, x: ``depth_x``; official 5 and 2, width 50).
* *Diffusion along characteristics.* The official :math:`u_{xx}` is differentiated with
  respect to the label :math:`x_0`, exact for constant-speed convection (:math:`X_{x_0}=1`)
  but not for Burgers. We use the chain rule
  :math:`u_x=u_{x_0}/X_{x_0}`, :math:`u_{xx}=\partial_{x_0}(u_{x_0}/X_{x_0})/X_{x_0}`
  (identical for convection).
* *Optimiser budget.* Official: Adam (amsgrad, lr 0.01) for up to :math:`10^6` epochs, then
  100 L-BFGS epochs. We keep Adam (amsgrad) with lr 0.01, cosine-decayed over far fewer steps,
  then a few L-BFGS epochs, identical for PINN and LPINN.
* *Grid.* Periodic grid :math:`x_j=2\pi j/N` (no duplicated end point); time
  ``linspace(0, 1, M)`` as in the official code. Errors are relative Frobenius (L2) norms
  over the whole space–time evaluation grid (the official script prints matrix 2-norms).

First time-derivatives (all that pure convection needs) are propagated in forward mode through
the MLP (:func:`mlp_jet`): for :math:`h_{l+1}=\tanh(W h_l+b)`, a tangent :math:`\dot h` obeys
:math:`\dot h_{l+1}=(1-h_{l+1}^2)\odot W\dot h_l` — one batched matmul per layer instead of a
double backward pass; the tests check it against autograd.

**Kolmogorov n-width diagnostic** (paper §3): the snapshot matrix
:math:`S_{ij}=u(x_i,t_j)` of a transported pulse has slowly decaying singular values in the
Eulerian frame, more so the larger :math:`c`; in the Lagrangian frame
:math:`u(x_0,t)=u_0(x_0)` (:math:`\nu=0`) it has rank one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..data.pde import burgers, burgers_cole_hopf_sine, convection_diffusion, periodic_grid

TWO_PI = 2 * math.pi

# --------------------------------------------------------------------------------------
# Paper numbers and official defaults
# --------------------------------------------------------------------------------------

#: Official defaults (``LPINNarg.py``): width, depths, grid, learning rate, loss weights.
OFFICIAL = {"hidden": 50, "depth_u": 5, "depth_x": 2, "N": 256, "M": 100, "lr": 0.01,
            "gamma_rx": 10.0, "gamma_ru": 1.0, "gamma_ic": 1000.0, "adam_epochs": 10**6,
            "lbfgs_epochs": 100, "nu": 0.01, "c": 50.0}
#: The speed above which PINNs on u_t + c u_x = 0 with u0 = sin x are reported to fail
#: (Krishnapriyan et al. 2021, the failure mode the paper revisits with exact periodicity).
PAPER_FAILURE_SPEED = 30
PAPER_CLAIMS = {
    "lpinn": "LPINN accurate on high-speed convection, error insensitive to c",
    "pinn_fails": "PINN fails for large c even with exactly enforced periodic BC",
    "nwidth": "Eulerian n-width grows with c; Lagrangian snapshot matrix has rank 1",
}

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    c_low: float = 1.0            # the speed where a PINN succeeds
    c_high: float = 30.0          # the failure-mode speed
    sweep: tuple = (1.0, 30.0)    # speeds of the error-vs-c figure (c_low, c_high always in)
    nu: float = 0.0               # viscosity of the convection runs
    n_x: int = 32                 # collocation labels / points in space (N)
    n_t: int = 64                 # collocation times (M); resolves sin(x - ct) in t at c = 30
    hidden: int = 32
    depth_pinn: int = 4           # PINN hidden layers
    depth_u: int = 3              # LPINN u-branch hidden layers
    depth_x: int = 2              # LPINN x-branch hidden layers
    adam_steps: int = 200
    lr: float = 0.01
    lr_final: float = 1e-3        # cosine decay of the Adam learning rate
    lbfgs_epochs: int = 15        # torch L-BFGS steps (each up to lbfgs_iter evaluations)
    lbfgs_iter: int = 20
    gamma_rx: float = 10.0
    gamma_ru: float = 1.0
    gamma_ic: float = 10.0        # official 1000; see the module docstring
    eval_x: int = 256
    eval_t: int = 100
    nwidth_cs: tuple = (1.0, 5.0, 10.0, 30.0)
    nwidth_x: int = 256
    nwidth_t: int = 100
    pulse_width: float = 0.25
    burgers: bool = False         # viscous Burgers with a moving front (full)
    burgers_c: float = 5.0
    burgers_nu: float = 0.01
    dtype: str = "float32"

    def check(self) -> None:
        require(self.n_x >= 8 and self.n_t >= 4, "need n_x >= 8 and n_t >= 4")
        require(self.hidden >= 1 and min(self.depth_pinn, self.depth_u, self.depth_x) >= 1,
                "hidden width and depths must be positive")
        require(self.adam_steps >= 0 and self.lbfgs_epochs >= 0, "steps must be >= 0")
        require(self.adam_steps + self.lbfgs_epochs > 0, "some training is needed")
        require(0 < self.lr_final <= self.lr, "need 0 < lr_final <= lr")
        require(self.nu >= 0 and self.burgers_nu > 0, "viscosities: nu >= 0, burgers_nu > 0")
        require(self.c_low < self.c_high, "need c_low < c_high")
        require(self.dtype in ("float32", "float64"), "dtype must be float32 or float64")
        require(self.eval_x >= 16 and self.eval_t >= 2, "evaluation grid too small")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(sweep=(0.0, 2.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0), nu=0.0, n_x=256,
                n_t=100, hidden=50, depth_pinn=5, depth_u=5, depth_x=2, adam_steps=3000,
                lbfgs_epochs=40, nwidth_cs=(1.0, 5.0, 10.0, 20.0, 30.0, 50.0),
                burgers=True),
)


def _n_models(cfg: Config) -> tuple[int, int]:
    """(PINN trainings, LPINN trainings) of one chapter run."""
    cs = set(cfg.sweep) | {cfg.c_low, cfg.c_high}
    return len(cs) + int(cfg.burgers), len(cs) + int(cfg.burgers)


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper: flops of the jet forward + backward of every training step.

    A width-h tanh MLP on B points with K tangents costs about 2(K+1)B h^2 flops per hidden
    layer forward, x3 with the backward pass. ci: 2 CPU cores at ~10 GFLOP/s effective (small
    matmuls), plus ~2 ms of Python/autograd overhead per step (measured: 23 s of CPU time for
    the four ci trainings on a loaded machine); full: a GPU at ~2 TFLOP/s effective with
    ~4 ms of kernel launches per step."""
    ci = cfg.n_x * cfg.n_t <= 4096
    rate, overhead = (1e10, 2.0e-3) if ci else (2e12, 4e-3)
    B, h = cfg.n_x * cfg.n_t, cfg.hidden
    steps = cfg.adam_steps + cfg.lbfgs_epochs * cfg.lbfgs_iter * 1.25
    n_pinn, n_lpinn = _n_models(cfg)
    pinn = 3 * 2 * 3 * B * h * h * cfg.depth_pinn
    lpinn = 3 * 2 * 2 * B * h * h * (cfg.depth_u + cfg.depth_x)
    train = steps * (n_pinn * (pinn / rate + overhead) + n_lpinn * (lpinn / rate + 2 * overhead))
    svd = len(cfg.nwidth_cs) * 2 * cfg.nwidth_x * cfg.nwidth_t ** 2 / 1e9
    return train + svd + 2.0   # + reference solutions, evaluation, interpolation


# --------------------------------------------------------------------------------------
# Networks with forward-mode first derivatives
# --------------------------------------------------------------------------------------


class MLP(nn.Module):
    """tanh MLP ``in_dim -> hidden x depth -> 1`` (PyTorch default init, as the official code)."""

    def __init__(self, in_dim: int, hidden: int, depth: int):
        super().__init__()
        sizes = [in_dim] + [hidden] * depth
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:],
                                                                     strict=True))
        self.out = nn.Linear(hidden, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return mlp_jet(self, z, ())[0]


def mlp_jet(net: MLP, z: torch.Tensor, tangents) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Value and directional derivatives of ``net`` at inputs ``z`` (B, d) along tangent
    directions (each (B, d)): returns ``(y (B,), [dy_k (B,)])``. Forward mode: for
    ``h' = tanh(W h + b)``, ``dh' = (1 - h'^2) * (W dh)``; the value and all tangents go
    through one batched matmul per layer. Differentiable (graph kept) for the losses."""
    if z.dim() != 2:
        raise ValueError(f"inputs must be (B, d), got {tuple(z.shape)}")
    tangents = list(tangents)
    for v in tangents:
        if v.shape != z.shape:
            raise ValueError(f"tangent {tuple(v.shape)} must match inputs {tuple(z.shape)}")
    s = torch.stack([z, *tangents])                    # (K+1, B, d)
    for lin in net.hidden:
        a = s @ lin.weight.T                           # W h and W dh_k at once
        h = torch.tanh(a[0] + lin.bias)
        s = torch.cat([h[None], (1 - h * h)[None] * a[1:]]) if tangents else h[None]
    y = s @ net.out.weight.T                           # (K+1, B, 1)
    return y[0, :, 0] + net.out.bias, [y[k, :, 0] for k in range(1, len(tangents) + 1)]


def polar(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Exactly periodic input (cos x, sin x, t) of the official ``*_POLAR`` networks."""
    return torch.stack([torch.cos(x), torch.sin(x), t], dim=1)


def _dx_dir(x: torch.Tensor) -> torch.Tensor:
    """d/dx of the polar input: (-sin x, cos x, 0)."""
    return torch.stack([-torch.sin(x), torch.cos(x), torch.zeros_like(x)], dim=1)


def _dt_dir(x: torch.Tensor) -> torch.Tensor:
    z = torch.zeros_like(x)
    return torch.stack([z, z, torch.ones_like(x)], dim=1)


class PINN(nn.Module):
    """Eulerian PINN u_theta(cos x, sin x, t) (official ``PINN_POLAR``)."""

    def __init__(self, hidden: int, depth: int):
        super().__init__()
        self.u = MLP(3, hidden, depth)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.u(polar(x, t))


class LPINN(nn.Module):
    """Lagrangian PINN: state u_theta(x0, t) and characteristics
    X_phi(x0, t) = x0 + D_phi(cos x0, sin x0, t), two separate tanh MLPs."""

    def __init__(self, hidden: int, depth_u: int, depth_x: int):
        super().__init__()
        self.u = MLP(3, hidden, depth_u)
        self.d = MLP(3, hidden, depth_x)

    def forward(self, x0: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = polar(x0, t)
        return self.u(z), x0 + self.d(z)


# --------------------------------------------------------------------------------------
# Residuals and losses
# --------------------------------------------------------------------------------------

EQUATIONS = ("convection", "burgers")
RESIDUALS = ("lagrangian", "eulerian")


def _check_eq(eq: str) -> None:
    if eq not in EQUATIONS:
        raise ValueError(f"unknown equation {eq!r}; choose one of {EQUATIONS}")


def pinn_residual(net: PINN, x: torch.Tensor, t: torch.Tensor, *, c: float, nu: float,
                  eq: str = "convection") -> torch.Tensor:
    """r = u_t + c u_x - nu u_xx (convection) or u_t + u u_x - nu u_xx (Burgers)."""
    _check_eq(eq)
    if nu > 0:
        x = x if x.requires_grad else x.detach().requires_grad_(True)
    z = polar(x, t)
    u, (u_x, u_t) = mlp_jet(net.u, z, (_dx_dir(x), _dt_dir(x)))
    speed = c if eq == "convection" else u
    r = u_t + speed * u_x
    if nu > 0:
        r = r - nu * _d_dx(u_x, x)
    return r


def _d_dx(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """dy/dx by autograd (graph kept), y and x of shape (B,)."""
    return torch.autograd.grad(y, x, torch.ones_like(y), create_graph=True)[0]


def lpinn_residuals(net: LPINN, x0: torch.Tensor, t: torch.Tensor, *, c: float, nu: float,
                    eq: str = "convection", residual: str = "lagrangian"
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """(r_x, r_u) of the LPINN on labels x0 and times t.

    r_x = X_t - c (convection) or X_t - u (Burgers); r_u = u_t - nu u_xx with the chain rule
    u_x = u_{x0} / X_{x0}. ``residual="eulerian"`` is a deliberately *wrong* variant (the
    sabotage of the chapter): the u-branch gets the Eulerian residual u_t + c u_{x0} - nu u_xx,
    as if the labels were fixed points in space."""
    _check_eq(eq)
    if residual not in RESIDUALS:
        raise ValueError(f"unknown residual {residual!r}; choose one of {RESIDUALS}")
    need_x = nu > 0 or residual == "eulerian"
    if need_x and not x0.requires_grad:
        x0 = x0.detach().requires_grad_(True)
    z = polar(x0, t)
    dirs = (_dt_dir(x0), _dx_dir(x0)) if need_x else (_dt_dir(x0),)
    u, du = mlp_jet(net.u, z, dirs)
    _, dd = mlp_jet(net.d, z, dirs)
    u_t, D_t = du[0], dd[0]
    r_x = D_t - (c if eq == "convection" else u)           # dX/dt = c  (or u)
    r_u = u_t                                              # Du/Dt = nu u_xx
    if residual == "eulerian":
        r_u = r_u + (c if eq == "convection" else u) * du[1]
    if nu > 0:
        X_x0 = 1 + dd[1]
        u_x = du[1] / X_x0                                 # chain rule along the map x0 -> X
        r_u = r_u - nu * _d_dx(u_x, x0) / X_x0
    return r_x, r_u


def collocation(n_x: int, n_t: int, device=None, dtype=torch.float32
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Flattened (x, t) of the periodic grid x_j = 2 pi j / N times linspace(0, 1, M), time
    major (the first N points are t = 0, as in the official code)."""
    x = torch.as_tensor(periodic_grid(n_x), dtype=dtype, device=device)
    t = torch.linspace(0, 1, n_t, dtype=dtype, device=device)
    return x.repeat(n_t), t.repeat_interleave(n_x)


def u0_fn(eq: str, c: float):
    """Initial condition: sin x (convection), sin x + c (Burgers, official moving front)."""
    _check_eq(eq)
    return (lambda x: torch.sin(x)) if eq == "convection" else (lambda x: torch.sin(x) + c)


def pinn_loss(net: PINN, x, t, n_x: int, cfg: Config, *, c: float, nu: float, eq: str
              ) -> torch.Tensor:
    r = pinn_residual(net, x, t, c=c, nu=nu, eq=eq)
    x_ic, t_ic = x[:n_x], t[:n_x]
    ic = net(x_ic, t_ic) - u0_fn(eq, c)(x_ic)
    return cfg.gamma_ru * r.norm() + cfg.gamma_ic * ic.norm()       # L2 norms (official)


def lpinn_loss(net: LPINN, x, t, n_x: int, cfg: Config, *, c: float, nu: float, eq: str,
               residual: str = "lagrangian") -> torch.Tensor:
    r_x, r_u = lpinn_residuals(net, x, t, c=c, nu=nu, eq=eq, residual=residual)
    x_ic, t_ic = x[:n_x], t[:n_x]
    u_ic, X_ic = net(x_ic, t_ic)
    ic = (X_ic - x_ic).norm() + (u_ic - u0_fn(eq, c)(x_ic)).norm()
    return cfg.gamma_rx * r_x.norm() + cfg.gamma_ru * r_u.norm() + cfg.gamma_ic * ic


# --------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------

MODELS = ("PINN", "LPINN")


def make_model(kind: str, cfg: Config, seed: int, device=None) -> nn.Module:
    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}; choose one of {MODELS}")
    torch.manual_seed(seed)
    net = (PINN(cfg.hidden, cfg.depth_pinn) if kind == "PINN"
           else LPINN(cfg.hidden, cfg.depth_u, cfg.depth_x))
    return net.to(device=device, dtype=getattr(torch, cfg.dtype))


def train(kind: str, cfg: Config, *, c: float, seed: int, device=None, nu: float | None = None,
          eq: str = "convection", residual: str = "lagrangian") -> dict:
    """Train a PINN or an LPINN with the same budget: Adam (amsgrad, lr cosine-decayed from
    ``lr`` to ``lr_final``) for ``adam_steps``, then ``lbfgs_epochs`` L-BFGS steps; full batch
    on the N x M collocation grid. Returns the model, the loss curve and the seconds spent."""
    nu = cfg.nu if nu is None else nu
    dtype = getattr(torch, cfg.dtype)
    net = make_model(kind, cfg, seed, device)
    x, t = collocation(cfg.n_x, cfg.n_t, device, dtype)
    if nu > 0 or (kind == "LPINN" and residual == "eulerian"):
        x = x.requires_grad_(True)

    def loss_fn():
        if kind == "PINN":
            return pinn_loss(net, x, t, cfg.n_x, cfg, c=c, nu=nu, eq=eq)
        return lpinn_loss(net, x, t, cfg.n_x, cfg, c=c, nu=nu, eq=eq, residual=residual)

    t0 = time.process_time()
    curve = []
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, amsgrad=True)
    for step in range(cfg.adam_steps):
        lr = cfg.lr_final + 0.5 * (cfg.lr - cfg.lr_final) * (1 + math.cos(math.pi * step
                                                                          / cfg.adam_steps))
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        curve.append(float(loss.detach()))
    if cfg.lbfgs_epochs:
        lb = torch.optim.LBFGS(net.parameters(), lr=1.0, max_iter=cfg.lbfgs_iter,
                               line_search_fn="strong_wolfe")

        def closure():
            lb.zero_grad(set_to_none=True)
            loss = loss_fn()
            loss.backward()
            return loss

        for _ in range(cfg.lbfgs_epochs):
            curve.append(float(lb.step(closure).detach()))
    return {"model": net, "curve": np.array(curve), "cpu_s": time.process_time() - t0,
            "kind": kind, "c": c, "nu": nu, "eq": eq}


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


def eval_grid(cfg: Config) -> tuple[np.ndarray, np.ndarray]:
    return periodic_grid(cfg.eval_x), np.linspace(0, 1, cfg.eval_t)


def reference(cfg: Config, *, c: float, nu: float, eq: str = "convection") -> np.ndarray:
    """Reference field (eval_t, eval_x): exact e^{-nu t} sin(x - ct) for convection; for
    Burgers with u0 = sin x + c the Galilean shift of the Cole-Hopf solution,
    u(x, t) = c + v(x - ct, t) with v the Burgers solution from sin x."""
    _check_eq(eq)
    x, t = eval_grid(cfg)
    if eq == "convection":
        return np.exp(-nu * t)[:, None] * np.sin(x[None] - c * t[:, None])
    out = np.empty((len(t), len(x)))
    for i, ti in enumerate(t):
        out[i] = c + burgers_cole_hopf_sine(np.mod(x - c * ti, TWO_PI), [ti], nu=nu)[0]
    return out


def burgers_spectral(cfg: Config, *, c: float, nu: float, dt: float = 2e-5) -> np.ndarray:
    """The same Burgers field by the pseudo-spectral solver (cross-check of the reference)."""
    x, t = eval_grid(cfg)
    return burgers(np.sin(x) + c, t, nu=nu, dt=dt)


def periodic_interp(X: np.ndarray, u: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Linear periodic interpolation of scattered (X mod 2 pi, u) onto the points x."""
    Xm = np.mod(X, TWO_PI)
    order = np.argsort(Xm)
    return np.interp(x, Xm[order], u[order], period=TWO_PI)


@torch.no_grad()
def predict(result_or_model, cfg: Config) -> dict:
    """Eulerian prediction on the evaluation grid (eval_t, eval_x); for an LPINN also the
    characteristics X(x0, t) and u(x0, t) on the labels x0 = the evaluation grid."""
    net = result_or_model["model"] if isinstance(result_or_model, dict) else result_or_model
    x, t = eval_grid(cfg)
    p = next(net.parameters())
    xx = torch.as_tensor(np.tile(x, len(t)), dtype=p.dtype, device=p.device)
    tt = torch.as_tensor(np.repeat(t, len(x)), dtype=p.dtype, device=p.device)
    shape = (len(t), len(x))
    if isinstance(net, PINN):
        return {"u": net(xx, tt).cpu().double().numpy().reshape(shape)}
    uL, X = (a.cpu().double().numpy().reshape(shape) for a in net(xx, tt))
    u = np.stack([periodic_interp(X[i], uL[i], x) for i in range(len(t))])
    return {"u": u, "X": X, "uL": uL}


def rel_l2(pred: np.ndarray, ref: np.ndarray) -> float:
    if pred.shape != ref.shape:
        raise ValueError(f"shapes differ: {pred.shape} vs {ref.shape}")
    return float(np.linalg.norm(pred - ref) / np.linalg.norm(ref))


def characteristic_error(net: LPINN, cfg: Config, c: float) -> float:
    """max |X(x0, t) - (x0 + c t)| on the collocation grid (exact characteristics)."""
    p = next(net.parameters())
    x, t = collocation(cfg.n_x, cfg.n_t, p.device, p.dtype)
    with torch.no_grad():
        _, X = net(x, t)
    return float((X - (x + c * t)).abs().max())


# --------------------------------------------------------------------------------------
# Kolmogorov n-width: snapshot SVDs
# --------------------------------------------------------------------------------------


def pulse(x: np.ndarray, width: float) -> np.ndarray:
    """Gaussian pulse exp(-(x - pi)^2 / (2 w^2)) (periodic to double precision for w <= 0.5)."""
    return np.exp(-(x - np.pi) ** 2 / (2 * width ** 2))


def snapshots(u0: np.ndarray, t: np.ndarray, c: float, frame: str = "eulerian",
              nu: float = 0.0) -> np.ndarray:
    """Snapshot matrix S (N x M), S_ij = u(x_i, t_j) (Eulerian) or u(x0_i, t_j) along the
    characteristics x = x0 + c t (Lagrangian: the Eulerian field shifted back by c t)."""
    if frame not in ("eulerian", "lagrangian"):
        raise ValueError(f"frame must be 'eulerian' or 'lagrangian', got {frame!r}")
    S = convection_diffusion(u0, t, c=c, nu=nu)                   # (M, N), exact (Fourier)
    if frame == "lagrangian":
        S = convection_diffusion(u0, t, c=0.0, nu=nu)             # shift back by c t: c = 0
    return S.T


def singular_values(S: np.ndarray) -> np.ndarray:
    s = np.linalg.svd(S, compute_uv=False)
    return s / s[0]


def modes_for_energy(s: np.ndarray, energy: float = 0.999) -> int:
    """Smallest k with sum_{i<k} s_i^2 >= energy * sum s_i^2."""
    if not 0 < energy <= 1:
        raise ValueError("energy must be in (0, 1]")
    e = np.cumsum(s ** 2) / np.sum(s ** 2)
    return int(np.searchsorted(e, energy - 1e-15) + 1)


def nwidth_experiment(cfg: Config) -> dict:
    """Normalised singular values of Eulerian and Lagrangian snapshot matrices of the pulse
    for each c in ``nwidth_cs`` (nu = 0), and the sin IC (rank 2 for any c)."""
    x = periodic_grid(cfg.nwidth_x)
    t = np.linspace(0, 1, cfg.nwidth_t)
    u0 = pulse(x, cfg.pulse_width)
    out = {"cs": list(cfg.nwidth_cs), "euler": {}, "lagr": {}, "modes_euler": {},
           "modes_lagr": {}, "sin_rank": {}}
    for c in cfg.nwidth_cs:
        se = singular_values(snapshots(u0, t, c, "eulerian"))
        sl = singular_values(snapshots(u0, t, c, "lagrangian"))
        out["euler"][c], out["lagr"][c] = se, sl
        out["modes_euler"][c], out["modes_lagr"][c] = modes_for_energy(se), modes_for_energy(sl)
        ssin = singular_values(snapshots(np.sin(x), t, c, "eulerian"))
        out["sin_rank"][c] = int((ssin > 1e-10).sum())
    out["lagr_sigma2"] = max(float(v[1]) for v in out["lagr"].values())
    return out


# --------------------------------------------------------------------------------------
# Experiments the chapter calls
# --------------------------------------------------------------------------------------


def convection_experiment(cfg: Config, seed: int, device=None, residual: str = "lagrangian"
                          ) -> dict:
    """PINN and LPINN, same budget and seed, for every c of ``sweep`` and c_low, c_high.
    ``residual="eulerian"`` trains the LPINN with the wrong (Eulerian) residual (sabotage)."""
    cs = sorted(set(cfg.sweep) | {cfg.c_low, cfg.c_high})
    out = {"cs": cs, "err": {m: {} for m in MODELS}, "runs": {}, "cpu_s": 0.0}
    for c in cs:
        ref = reference(cfg, c=c, nu=cfg.nu)
        for kind in MODELS:
            r = train(kind, cfg, c=c, seed=seed, device=device, residual=residual)
            pred = predict(r, cfg)
            out["err"][kind][c] = rel_l2(pred["u"], ref)
            out["cpu_s"] += r["cpu_s"]
            if c in (cfg.c_low, cfg.c_high):
                r["pred"], r["ref"] = pred, ref
                out["runs"][kind, c] = r
    out["char_err"] = characteristic_error(out["runs"]["LPINN", cfg.c_high]["model"], cfg,
                                           cfg.c_high)
    return out


def burgers_experiment(cfg: Config, seed: int, device=None) -> dict:
    """Viscous Burgers with the moving front u0 = sin x + c (full profile): PINN vs LPINN."""
    c, nu = cfg.burgers_c, cfg.burgers_nu
    ref = reference(cfg, c=c, nu=nu, eq="burgers")
    out = {"ref": ref, "err": {}, "pred": {}, "cpu_s": 0.0}
    for kind in MODELS:
        r = train(kind, cfg, c=c, nu=nu, seed=seed, device=device, eq="burgers")
        pred = predict(r, cfg)
        # relative error of the deviation from the mean speed c (the part that moves)
        out["err"][kind] = rel_l2(pred["u"] - c, ref - c)
        out["pred"][kind] = pred
        out["cpu_s"] += r["cpu_s"]
    return out
