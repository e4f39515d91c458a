# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     provenance: []
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lagrangian PINNs: A causality-conforming solution to failure modes of physics-informed neural networks
#
# This chapter reproduces {cite:t}`mojgani2022lagrangian`.
#
# **What is reproduced here:** the failure mode of physics-informed neural networks (PINNs) on
# high-speed convection $u_t+c\,u_x=0$, $u(x,0)=\sin x$ on the periodic interval $[0,2\pi)$, and
# its cure by the Lagrangian PINN (LPINN) of the paper, which learns the solution along the
# characteristics with two networks. Both models get exactly periodic inputs (so the failure
# cannot be blamed on soft boundary conditions), the same loss form, seed, collocation grid and
# optimiser budget. The headline checked at the end: at $c=30$ the LPINN is accurate while the
# PINN fails, and the same PINN with the same budget succeeds at $c=1$ — the failure is caused
# by the speed, not by the budget. We also reproduce the paper's explanation, the Kolmogorov
# n-width of the snapshot matrix of a transported pulse (many Eulerian modes, growing with $c$;
# one Lagrangian mode), and, at the `full` profile, a sweep over $c$ with the official network
# sizes and viscous Burgers with a moving front. There is no data beyond the PDE: references
# are exact (Fourier shift; Cole–Hopf for Burgers).
#
# Run it: the rocket button above opens this page on Colab (choose a GPU runtime for the
# `full` profile); locally, `make book` runs every chapter at the `ci` profile.

# %%
# Setup, on Colab only: install nonlinlab from the same git ref as this page (or from
# $NONLINLAB_PIP_SOURCE). Locally, `make setup` has installed everything.
import os
import sys

if "google.colab" in sys.modules:
    from IPython import get_ipython

    src = os.environ.get("NONLINLAB_PIP_SOURCE", "git+https://github.com/nonlinlab/nonlinlab@main#subdirectory=lib")
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab @ {src}"')

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import lpinn as paper

ch = nonlinlab.Chapter("lpinn", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **The problem.** $u_t + c\,u_x = \nu u_{xx}$ on $x\in[0,2\pi)$ (periodic), $t\in[0,1]$,
# $u_0=\sin x$; exact solution $u=e^{-\nu t}\sin(x-ct)$ (here $\nu=0$).
#
# **PINN (Eulerian frame).** A tanh MLP $u_\theta(\cos x,\sin x,t)$ — the polar input makes
# every function it represents exactly $2\pi$-periodic (official `PINN_POLAR`). With the
# residual $r=\partial_t u_\theta+c\,\partial_x u_\theta$ on an $N\times M$ collocation grid,
# the official loss uses $L_2$ *norms*, not mean squares:
#
# $$L_{\rm PINN}=\gamma_{ru}\,\|r\|_2+\gamma_{ic}\,\|u_\theta(\cdot,0)-u_0\|_2 .$$
#
# **LPINN (Lagrangian frame).** Along the characteristics $dX/dt=c$ the PDE reduces to
# $Du/Dt=\nu u_{xx}$, i.e. $Du/Dt=0$ here. The LPINN has two parallel networks of the
# Lagrangian label $x_0$ (where a characteristic starts) and $t$: the characteristic curves
# $X_\phi(x_0,t)=x_0+D_\phi(\cos x_0,\sin x_0,t)$ and the state carried along them,
# $u_\theta(\cos x_0,\sin x_0,t)$, with residuals and loss
#
# $$r_x=\partial_t X_\phi-c,\qquad r_u=\partial_t u_\theta-\nu\,\partial_{xx}u_\theta,$$
#
# $$L_{\rm LPINN}=\gamma_{rx}\|r_x\|_2+\gamma_{ru}\|r_u\|_2+\gamma_{ic}\big(\|X_\phi(\cdot,0)-x_0\|_2
# +\|u_\theta(\cdot,0)-u_0\|_2\big).$$
#
# For Burgers, $r_x=\partial_t X_\phi-u_\theta$ and $u_x=\partial_{x_0}u_\theta/\partial_{x_0}X_\phi$
# (chain rule). The Eulerian field is recovered by placing $u_\theta(x_0,t)$ at
# $X_\phi(x_0,t)\bmod 2\pi$ and interpolating periodically (linear, as the official code) onto
# the evaluation grid. Code: `paper.PINN`, `paper.LPINN`, `paper.pinn_residual`,
# `paper.lpinn_residuals`, `paper.train`, `paper.predict`.
#
# **Choices, and where we depart from the official code** (`rmojgani/LPINNs`).
# (i) The official x-branch regresses $X$ directly from $(\cos x_0,\sin x_0,t)$, which cannot
# represent the jump of $x_0$ at the $0/2\pi$ seam; we learn the periodic displacement
# $D_\phi=X_\phi-x_0$ (same loss). (ii) The official x-branch shares its input, first hidden and
# output layers with the u-branch; we use two separate MLPs, as the paper's figure describes.
# (iii) Official weights are $\gamma_{rx}=10$, $\gamma_{ru}=1$, $\gamma_{ic}=1000$ with
# $10^6$ Adam epochs and 100 L-BFGS epochs. With a norm (not a square) the IC term's gradient
# keeps the magnitude $\gamma_{ic}$ however small the IC error is; at our budget (a few hundred
# Adam steps, then L-BFGS) $\gamma_{ic}=1000$ starved the residual and the PINN did not even
# solve $c=1$ (relative error 0.18–0.26 in our calibration runs), which would make the
# comparison meaningless. We use $\gamma_{ic}=10$ for both models, at both profiles.
# (iv) Both models get the same seed, grid and optimiser: Adam (amsgrad, learning rate $10^{-2}$,
# cosine-decayed to $10^{-3}$), then L-BFGS with a strong-Wolfe line search, full batch.
# (v) Only first time- and space-derivatives are needed for convection; they are propagated
# in forward mode through the MLP (`paper.mlp_jet`, checked against autograd below).
#
# **Kolmogorov n-width.** The paper explains the failure by approximation theory: a transported
# feature $u(x,t)=u_0(x-ct)$ has a snapshot matrix $S_{ij}=u(x_i,t_j)$ whose singular values
# decay slowly, the more so the larger $c$ (no low-dimensional linear space fits all shifted
# copies), whereas in the Lagrangian frame $u(x_0,t)=u_0(x_0)$ is rank one.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.core import color
from nonlinlab.data.pde import convection_diffusion

dev = ch.device
dtype = getattr(torch, cfg.dtype)

# %% [markdown]
# ## Experiments
#
# ### 1. Oracles before training
#
# The forward-mode derivatives of the PINN residual against autograd, at random initialisation,
# and our reference against the shared exact Fourier solver of the convection equation.

# %%
net0 = paper.make_model("PINN", cfg, ch.seed, dev)
xc, tc = paper.collocation(cfg.n_x, cfg.n_t, dev, dtype)
xg, tg = xc.clone().requires_grad_(True), tc.clone().requires_grad_(True)
u_x_ag, u_t_ag = torch.autograd.grad(net0(xg, tg).sum(), (xg, tg))
jet_err = float((paper.pinn_residual(net0, xc, tc, c=cfg.c_high, nu=0.0)
                 - (u_t_ag + cfg.c_high * u_x_ag)).detach().abs().max())
x_ev, t_ev = paper.eval_grid(cfg)
ref_err = max(float(np.abs(paper.reference(cfg, c=c, nu=cfg.nu)
                           - convection_diffusion(np.sin(x_ev), t_ev, c=c, nu=cfg.nu)).max())
              for c in (cfg.c_low, cfg.c_high))
print(f"residual, forward mode vs autograd: max difference {jet_err:.1e}; "
      f"reference vs Fourier solver: max difference {ref_err:.1e}")

# %% [markdown]
# ### 2. PINN vs LPINN, same budget, $c=1$ and $c=30$
#
# Each model is trained on the same $N\times M$ collocation grid and evaluated against the exact
# solution on a finer $256\times100$ space–time grid (relative $L_2$ error over the whole grid).

# %%
res = paper.convection_experiment(cfg, ch.seed, dev)
err = res["err"]
for c in res["cs"]:
    print(f"c = {c:4g}: relative L2 error  PINN {err['PINN'][c]:.4f}   LPINN {err['LPINN'][c]:.4f}")
print(f"LPINN characteristics at c = {cfg.c_high:g}: max |X - (x0 + c t)| = {res['char_err']:.2e}")

# %%
ch_ = cfg.c_high
ext = [0, 2 * np.pi, 0, 1]
fig, ax = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
fields = [(res["runs"]["PINN", ch_]["ref"], "exact"),
          (res["runs"]["PINN", ch_]["pred"]["u"], f"PINN (error {err['PINN'][ch_]:.2f})"),
          (res["runs"]["LPINN", ch_]["pred"]["u"], f"LPINN (error {err['LPINN'][ch_]:.3f})")]
for a, (f, title) in zip(ax, fields, strict=True):
    im = a.imshow(f, origin="lower", extent=ext, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
    a.set(title=f"{title}, $c$ = {ch_:g}", xlabel="$x$ (rad)")
    a.grid(False)
ax[0].set_ylabel("$t$ (time units)")
fig.colorbar(im, ax=ax, label="$u$", shrink=0.9)
plt.show()

# %% [markdown]
# **Figure 1.** Space–time fields $u(x,t)$ at $c=30$: the exact solution $\sin(x-30t)$, the
# PINN (which settles on a nearly flat field that satisfies the residual poorly everywhere)
# and the LPINN's Eulerian field reconstructed from its characteristics (mirrors the
# failure-mode figure of {cite:t}`mojgani2022lagrangian`).

# %%
fig, ax = plt.subplots(1, 2, figsize=(10.5, 3.6))
for i, kind in enumerate(paper.MODELS):
    ax[0].semilogy(res["cs"], [err[kind][c] for c in res["cs"]], "o-", color=color(i),
                   label=kind)
ax[0].axhline(0.05, color="gray", ls=":", label="5 % error")
ax[0].set(xlabel="convection speed $c$", ylabel="relative $L_2$ error", title="error vs speed")
ax[0].legend()
for kind, c in res["runs"]:
    cur = res["runs"][kind, c]["curve"]
    ax[1].semilogy(np.arange(len(cur)), cur, color=color(paper.MODELS.index(kind)),
                   ls="-" if c == cfg.c_high else "--", label=f"{kind}, $c$ = {c:g}")
ax[1].axvline(cfg.adam_steps, color="gray", ls=":")
ax[1].set(xlabel="optimiser step (Adam, then L-BFGS)", ylabel="training loss",
          title="training")
ax[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** Left: relative $L_2$ error of the PINN and the LPINN against the convection
# speed, same budget for every run (mirrors the error-vs-$c$ comparison of
# {cite:t}`mojgani2022lagrangian`; `ci` runs two speeds, `full` the sweep
# $c\in\{0,2,5,10,20,30,40,50\}$). Right: training loss; the dotted line marks the switch from
# Adam to L-BFGS (one point per L-BFGS epoch) (no counterpart in the paper).

# %%
lp = res["runs"]["LPINN", ch_]["pred"]
fig, ax = plt.subplots(1, 2, figsize=(10.5, 3.8))
ax[0].imshow(res["runs"]["PINN", ch_]["ref"], origin="lower", extent=ext, aspect="auto",
             cmap="RdBu_r", vmin=-1, vmax=1, alpha=0.6)
for j in range(0, cfg.eval_x, cfg.eval_x // 8):
    Xm = np.mod(lp["X"][:, j], 2 * np.pi)
    brk = np.where(np.diff(Xm) < -np.pi)[0] + 1          # split the curve where it wraps
    for k, seg in enumerate(np.split(np.arange(len(t_ev)), brk)):
        ax[0].plot(Xm[seg], t_ev[seg], color="k", lw=1.2, label="learned $X(x_0,t)$"
                   if j == 0 and k == 0 else None)
ax[0].set(xlim=(0, 2 * np.pi), xlabel="$x$ (rad)", ylabel="$t$ (time units)",
          title=f"learned characteristics, $c$ = {ch_:g}")
ax[0].grid(False)
ax[0].legend(loc="upper right", fontsize=8)
dev_X = lp["X"] - (x_ev[None] + ch_ * t_ev[:, None])
ax[1].plot(t_ev, np.abs(dev_X).max(1), color=color(1), label=r"$\max_{x_0}|X-(x_0+ct)|$ (rad)")
ax[1].plot(t_ev, np.abs(lp["uL"] - np.sin(x_ev)[None]).max(1), color=color(0),
           label=r"$\max_{x_0}|u_\theta-u_0(x_0)|$")
ax[1].set(yscale="log", xlabel="$t$ (time units)", ylabel="max abs. error",
          title="LPINN branches vs exact")
ax[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 3.** Left: eight of the LPINN's learned characteristic curves $X_\phi(x_0,t)\bmod 2\pi$
# over the exact solution at $c=30$ (they wrap around the domain about five times). Right: the
# largest error of each branch against its exact value, $x_0+ct$ and $u_0(x_0)$, over time
# (mirrors the characteristic-curve figure of {cite:t}`mojgani2022lagrangian`).

# %% [markdown]
# ### 3. Kolmogorov n-width: Eulerian vs Lagrangian snapshots
#
# A Gaussian pulse $u_0=\exp(-(x-\pi)^2/(2\cdot0.25^2))$ transported with speed $c$
# ($\nu=0$, exact in Fourier space) on a $256\times100$ space–time grid. The sine initial
# condition is no use here: $\sin(x-ct)=\sin x\cos ct-\cos x\sin ct$ has rank 2 for every $c$.

# %%
nw = paper.nwidth_experiment(cfg)
for c in nw["cs"]:
    print(f"c = {c:4g}: modes for 99.9 % energy  Eulerian {nw['modes_euler'][c]:3d}   "
          f"Lagrangian {nw['modes_lagr'][c]}   (sine IC rank {nw['sin_rank'][c]})")

# %%
fig, ax = plt.subplots(figsize=(5.8, 3.8))
for i, c in enumerate(nw["cs"]):
    s_ = nw["euler"][c]
    ax.semilogy(np.arange(1, len(s_) + 1), s_, color=color(i), label=f"Eulerian, $c$ = {c:g}")
sl = nw["lagr"][nw["cs"][-1]]
ax.semilogy(np.arange(1, len(sl) + 1), np.maximum(sl, 1e-17), "k--",
            label="Lagrangian, every $c$")
ax.set(xlabel="mode index $k$", ylabel=r"$\sigma_k/\sigma_1$", ylim=(1e-17, 2), xlim=(0, 60))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 4.** Normalised singular values of the snapshot matrix of the transported pulse in
# the Eulerian frame for several speeds, and in the Lagrangian frame (the same for every $c$:
# one mode, the rest at rounding level) (mirrors the n-width figure of
# {cite:t}`mojgani2022lagrangian`).

# %% [markdown]
# ### 4. Viscous Burgers with a moving front (`full` profile)
#
# The official moving-front case: $u_t+u\,u_x=\nu u_{xx}$, $\nu=0.01$, $u_0=\sin x+c$ with
# $c$ = `burgers_c`: the sine steepens into a front while the whole profile travels with speed
# $c$. The reference is exact: $u(x,t)=c+v(x-ct,t)$ with $v$ the Cole–Hopf solution from
# $\sin x$ (the shared pseudo-spectral solver agrees, see the tests). Errors are relative
# $L_2$ errors of $u-c$. The `ci` profile skips this section (second derivatives through the
# chain rule on a front that needs a fine grid: a GPU job).

# %%
bur = paper.burgers_experiment(cfg, ch.seed, dev) if cfg.burgers else None
if bur is not None:
    print(f"Burgers, c = {cfg.burgers_c:g}, nu = {cfg.burgers_nu:g}: relative L2 error  "
          f"PINN {bur['err']['PINN']:.4f}   LPINN {bur['err']['LPINN']:.4f}")
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    for a, (f, title) in zip(ax, [(bur["ref"], "exact"), (bur["pred"]["PINN"]["u"], "PINN"),
                                  (bur["pred"]["LPINN"]["u"], "LPINN")], strict=True):
        im = a.imshow(f, origin="lower", extent=ext, aspect="auto", cmap="viridis")
        a.set(title=f"Burgers: {title}", xlabel="$x$ (rad)")
        a.grid(False)
    ax[0].set_ylabel("$t$ (time units)")
    fig.colorbar(im, ax=ax, label="$u$", shrink=0.9)
    plt.show()
else:
    print("Burgers: run at the full profile only")

# %% [markdown]
# **Figure 5** (`full` profile only). Viscous Burgers with a moving front: exact, PINN and LPINN
# space–time fields (mirrors the Burgers figure of {cite:t}`mojgani2022lagrangian`).

# %% [markdown]
# ## Reproduction check
#
# The three headline rows together say: same model class, same budget, same seed — the PINN
# solves $c=1$ and fails at $c=30$, the LPINN solves $c=30$.

# %%
c = ch.claims
lo, hi = cfg.c_low, cfg.c_high
c.less(f"LPINN relative $L_2$ error at $c = {hi:g}$", err["LPINN"][hi], 0.05, kind="headline",
       paper=paper.PAPER_CLAIMS["lpinn"],
       note="exact solution on a 256 x 100 grid; Eulerian field interpolated from the "
            "characteristics")
c.greater(f"PINN relative $L_2$ error at $c = {hi:g}$, same budget", err["PINN"][hi], 0.5,
          kind="headline", paper=paper.PAPER_CLAIMS["pinn_fails"],
          note="exactly periodic input $(\\cos x, \\sin x, t)$: no boundary loss to blame")
c.less(f"PINN relative $L_2$ error at $c = {lo:g}$, same budget", err["PINN"][lo], 0.05,
       kind="headline", paper="PINN solves slow convection",
       note="so the failure at high speed is caused by $c$, not by the budget")
c.less("LPINN worst relative $L_2$ error over the speeds run", max(err["LPINN"].values()), 0.05,
       paper="LPINN error essentially independent of $c$",
       note="speeds: " + ", ".join(f"{v:g}" for v in res["cs"]))
c.less(f"LPINN characteristics $\\max\\lvert X_\\phi - (x_0 + ct)\\rvert$ at $c = {hi:g}$ (rad)",
       res["char_err"], 0.05, paper="characteristics learned accurately",
       note="collocation grid; the curves travel 30 rad")
c.greater("Eulerian modes for 99.9 % energy, $c = 30$ over $c = 1$ (pulse)",
          nw["modes_euler"][30.0] / nw["modes_euler"][1.0], 3.0,
          paper=paper.PAPER_CLAIMS["nwidth"],
          note=f"{nw['modes_euler'][1.0]} modes at $c = 1$, {nw['modes_euler'][30.0]} at $c = 30$")
c.less("LPINN relative $L_2$ error, viscous Burgers (moving front)",
       None if bur is None else bur["err"]["LPINN"], 0.1, asserted_at="full",
       paper="LPINN solves viscous Burgers with a moving front")
c.holds("Burgers: LPINN error below PINN error",
        None if bur is None else bool(bur["err"]["LPINN"] < bur["err"]["PINN"]),
        ours="—" if bur is None else f"{bur['err']['LPINN']:.3g} vs {bur['err']['PINN']:.3g}",
        asserted_at="full", paper="PINN struggles with moving fronts, LPINN does not")
c.less("Lagrangian snapshot matrix $\\sigma_2/\\sigma_1$, every $c$", nw["lagr_sigma2"], 1e-10,
       kind="sanity", paper="rank one", note="$u(x_0, t) = u_0(x_0)$ exactly when $\\nu = 0$")
c.holds("sine initial condition: Eulerian rank 2 for every $c$",
        all(v == 2 for v in nw["sin_rank"].values()), kind="sanity",
        ours="ranks " + ", ".join(str(v) for v in nw["sin_rank"].values()),
        note="$\\sin(x - ct) = \\sin x \\cos ct - \\cos x \\sin ct$")
c.less("forward-mode residual vs autograd, max difference", jet_err, 1e-4, kind="sanity")
c.less("reference vs exact Fourier solver, max difference", ref_err, 1e-10, kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **Matched.** The failure mode and its cure reproduce at a size that runs in seconds on a CPU.
# With exactly periodic inputs, the same loss form, seed, grid and optimiser, the PINN solves
# $u_t+u_x=0$ (relative $L_2$ error below $10^{-3}$) and fails at $c=30$ (error 1.0 on every
# seed: it settles on a nearly flat field, the trivial near-solution of the residual that
# is the known failure mode), while the LPINN reaches errors of a few $10^{-3}$ at $c=30$, its
# characteristics within $10^{-2}$ rad of $x_0+30t$ after travelling 30 rad. Over the
# calibration seeds 0–4 (ci): LPINN error at $c=30$ in [0.0026, 0.0061] (threshold 0.05), PINN error
# at $c=30$ 1.00 on every seed (threshold > 0.5), PINN error at $c=1$ in [0.0006, 0.0022] (threshold 0.05),
# characteristic error in [0.0042, 0.0092] rad (threshold 0.05); the worst margin is the PINN's failure at $c=30$, a factor 2 above its threshold, the others are factors 8 (LPINN) and 22 (PINN at $c=1$) below theirs.
# The n-width explanation is exact numerics: for the transported pulse the number of Eulerian
# modes needed for 99.9 % of the energy grows from 5 at $c=1$ to 17 at $c=5$ and 19 at $c=10$ and $c=30$ (ratio 3.8 against the threshold 3; deterministic, no seed involved), while the
# Lagrangian snapshot matrix is rank one to rounding.
#
# **Not matched, or not run.** (i) The paper's error tables were not available to us, so the
# paper column states its claims rather than numbers. (ii) We use $\gamma_{ic}=10$ instead of
# the official 1000 (see Method): with the official weight and our budget even the $c=1$ PINN
# stays at a relative error of about 0.2, because the non-squared IC norm keeps a gradient of
# size $\gamma_{ic}$ that drowns the residual; with $10^6$ Adam epochs, as in the official
# runs, that imbalance is eventually resolved. (iii) The LPINN's error at $c=30$ is a few times
# its error at $c=1$ (both far below 5 %): the error is insensitive to $c$ in the sense of the
# paper (no failure), not constant. (iv) The loss-landscape study (Hessian spectra vs $c$) is
# not reproduced. (v) The viscous Burgers rows and the full $c$ sweep run only at the `full`
# profile; their thresholds (LPINN error < 0.1, and below the PINN's) were set without a GPU
# run, so they are the least calibrated rows of this page.
#
# **Sabotages.** Training the LPINN with the *Eulerian* residual $u_t+c\,u_{x_0}$ on its state
# branch (`residual="eulerian"`, as if the labels were fixed points) makes the headline fail:
# at seed 0 the LPINN's error is 1.00 at $c=30$ (threshold 0.05) and 0.56 at $c=1$, so the first headline row and the speed-independence row fail, while its characteristics are still learned (0.005 rad): the characteristic row alone would not catch this sabotage, the error rows do. The unit tests also check that this residual does not vanish on the exact
# Lagrangian solution ($c\cos x_0$) while the correct one does, and that a short training with
# the wrong residual ends with a large error.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`mojgani2022lagrangian` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
