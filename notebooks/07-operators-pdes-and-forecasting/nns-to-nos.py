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
# # Principled Approaches for Extending Neural Architectures to Function Spaces for Operator Learning
#
# This chapter reproduces {cite:t}`berner2025principled`.
#
# **What is reproduced here:** the paper's recipe for turning a convolutional network into a
# neural operator, and its headline consequence. A CNN and a Fourier neural operator (FNO) are
# trained once, on a 128-point grid, to learn the solution operator $u_0\mapsto u(\cdot,T)$ of
# the 1-D viscous Burgers equation (data generated at run time by our pseudo-spectral solver),
# and tested on grids of 64 to 512 points. Evaluated as is, the CNN's error grows by an order
# of magnitude away from its training grid; the *same trained weights* with kernel
# interpolation (the paper's conversion: a kernel with a fixed physical support and a
# quadrature weight) keep most of their accuracy; the FNO, whose spectral layers are
# discretisations of an integral operator, keeps its error exactly; and input–output
# interpolation, the simple baseline of the paper, is also resolution-robust. The paper's
# experiments are 2-D Navier–Stokes at $128^2$ tested from $64^2$ to $1024^2$; ours are 1-D and
# smaller, with the official training resolution (128), kernel size (9) and training loss.
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
from nonlinlab.papers import nns_to_nos as paper

ch = nonlinlab.Chapter("nns-to-nos", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Operators, not grids.** A neural operator maps a function $u_0$ to a function
# $\mathcal G(u_0)$; on a grid of $N$ points it sees samples. The paper asks that every layer be
# the discretisation of a layer acting on functions, so that evaluating the same parameters on
# finer grids converges to one map (*discretisation convergence*). Pointwise layers (lifting,
# projection, activations, $1\times1$ channel mixing) already are. A convolution is an
# integral operator
#
# $$(\mathcal K v)(x)=\int_\Omega\kappa(x-y)\,v(y)\,dy\;\approx\;\sum_j\kappa(x-y_j)\,v(y_j)\,h
# \qquad(1)$$
#
# only if its kernel $\kappa$ has a fixed support in *physical* units and the quadrature weight
# $h$ follows the grid. A CNN's $k$-tap kernel is fixed in pixels: on a grid $s$ times finer its
# support shrinks by $s$, and as $s\to\infty$ the layer becomes the pointwise map
# $v\mapsto(\sum_j w_j)\,v$ — the CNN computes a different function at every resolution.
#
# **Conversion by kernel interpolation** (the paper's CNN/U-Net recipe; official
# `InterpConv2d`). The kernel $w$ learned on the base grid of $N_0$ points is resampled, on a
# grid of $N=sN_0$ points, to $k_s=s(k-1)+1$ taps by linear interpolation, divided by the
# quadrature ratio $k_s/k$, and padded by $s$ times the base padding:
#
# $$w^{(s)}=\frac{k}{k_s}\,\mathrm{interp}_{k\to k_s}(w),\qquad p^{(s)}=s\,p.\qquad(2)$$
#
# Nothing is retrained: at $N=N_0$ the converted CNN *is* the trained CNN. Code:
# `paper.interpolate_kernel`, `paper.InterpConv1d`, `paper.to_neural_operator`. The official
# code divides by $k_s/k$ (exact for a constant kernel) rather than by $s$; we follow it.
#
# **Spectral layers (FNO).** $v\mapsto\mathcal F^{-1}(R\cdot\mathcal F v)$ on the lowest
# `modes` frequencies, plus a pointwise skip — a global integral operator whose parameters live
# on frequencies, so it is discretisation-convergent by construction (the shared
# `nonlinlab.models.operators.FNO1d`).
#
# **Input–output interpolation** (official `InputOutputInterpolate`), the paper's simple
# alternative: resample the input to $N_0$, apply the fixed-resolution CNN, resample the output
# back (Fourier resampling, exact for band-limited periodic data; `paper.InputOutputInterp`).
#
# **Data and training.** The operator is viscous Burgers on the periodic interval,
# $u_t+u\,u_x=\nu u_{xx}$, $\mathcal G(u_0)=u(\cdot,T)$, with band-limited random initial
# conditions, solved by the shared pseudo-spectral solver (`nonlinlab.data.pde.burgers`, batched).
# Every test grid is a nested subsample of one solve on the finest grid, so all resolutions see
# the same functions. Both networks are trained at $N_0=128$ with the official loss, the
# absolute $L^2$ norm by quadrature, squared and summed over the batch (`LpLossAbs`), on
# normalised inputs, with Adam, weight decay $10^{-4}$ and a step schedule ($\gamma=0.5$);
# errors are relative $L^2$. Official runs train ~300 000 steps at learning rate
# $5\cdot10^{-4}$; ours train a few hundred at $10^{-3}$.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.core import color

dev = ch.device
sizes = paper.n_params(cfg)
print(f"Burgers: nu = {cfg.nu}, T = {cfg.T}; {cfg.n_train} training pairs at N0 = "
      f"{cfg.train_res}, {cfg.n_test} test pairs at N = {', '.join(map(str, cfg.test_res))}; "
      f"CNN {sizes['CNN']:,} parameters (kernel {cfg.kernel}), FNO {sizes['FNO']:,} "
      f"({cfg.modes} modes), width {cfg.width}, {cfg.n_layers} layers")

# %% [markdown]
# ## Experiments
#
# ### 1. Discretisation convergence of single layers, before training
#
# Two untrained checks of the principle. (i) A random spectral layer applied to a function
# band-limited below its modes, sampled on 64 and on 256 points, gives the same output function
# (compared on the shared points). (ii) A random 9-tap layer with base grid $N_0=128$ applied to
# smooth bumps (width 0.3 rad) on grids of 128 to 1024 points: we measure how much its output
# has changed from the one on the base grid (relative $L^2$ on the 128 shared points).

# %%
spec_err = paper.spectral_agreement(cfg, ch.seed)
kc = paper.kernel_convergence(cfg, ch.seed)
print(f"spectral layer, output at 256 vs at 64 points: max abs difference {spec_err:.1e}")
grids = cfg.kernel_demo_res
for name, key in ((f"plain {cfg.kernel}-tap layer", "plain"), ("kernel-interpolated", "interp")):
    steps_ = ", ".join(f"N = {b}: {d:.3f}" for b, d in zip(grids[1:], kc[key], strict=True))
    print(f"{name:20s} change from N = {grids[0]}:  {steps_}")

# %% [markdown]
# The spectral layer agrees to float32 rounding. The interpolated layer's output settles
# within a few per cent of its output on the base grid (it converges to the integral operator
# with the piecewise-linear kernel), while the plain layer drifts further at every refinement,
# towards the pointwise map $(\sum_j w_j)\,v$, which is not the operator it computed on the
# base grid.
#
# ### 2. Train at $N_0=128$, test at 64…512
#
# One CNN and one FNO are trained; the CNN is then evaluated three ways: as is, converted by
# kernel interpolation (same weights), and with input–output interpolation.

# %%
res = paper.resolution_experiment(cfg, ch.seed, dev)
err = res["err"]
N0, Nmax = cfg.train_res, max(cfg.test_res)
print("relative L2 test error\n" + f"{'model':28s}" + "".join(f"{n:>9d}" for n in cfg.test_res)
      + f"{'N=' + str(Nmax) + ' / N0':>12s}")
for name in paper.MODELS:
    print(f"{name:28s}" + "".join(f"{err[name][n]:9.4f}" for n in cfg.test_res)
          + f"{err[name][Nmax] / err[name][N0]:12.2f}")

# %%
fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
marks = ("o", "s", "^", "D")
for i, name in enumerate(paper.MODELS):
    ax[0].loglog(cfg.test_res, [err[name][n] for n in cfg.test_res], marker=marks[i],
                 color=color(i), label=name)
ax[0].axvline(N0, color="gray", ls=":", label="training grid")
ax[0].set(xlabel="test resolution $N$ (grid points)", ylabel="relative $L_2$ error",
          title="error vs test resolution")
ax[0].set_xticks(cfg.test_res, [str(n) for n in cfg.test_res])
ax[0].minorticks_off()
ax[0].legend(fontsize=8)
for key in res["curves"]:
    cur = np.asarray(res["curves"][key])
    k_ = max(1, len(cur) // 50)
    ax[1].semilogy(np.arange(len(cur))[k_ - 1::k_], cur[: len(cur) // k_ * k_].reshape(-1, k_)
                   .mean(1), color=color(0 if key == "CNN" else 3), label=key)
ax[1].set(xlabel="optimiser step", ylabel=r"training loss $\Vert u_\theta-u\Vert_{L^2}^2$",
          title=f"training at $N_0$ = {N0}")
ax[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 1.** Left: mean relative $L^2$ test error against the test resolution for the
# models trained at $N_0=128$ (dotted line); the three CNN curves use the same trained weights
# (mirrors the error-vs-resolution figure of {cite:t}`berner2025principled`, Fig. 5, for
# single-resolution training on 2-D Navier–Stokes). Right: training loss per sample, averaged
# over windows of steps (no counterpart in the paper).

# %%
i0 = int(np.argmax([float(v.abs().max()) for v in res["data"]["test"][Nmax][1]]))
u0_hi, uT_hi = (t[i0:i0 + 1] for t in res["data"]["test"][Nmax])
xs = np.arange(Nmax) * 2 * np.pi / Nmax
fig, ax = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
with torch.no_grad():
    for a, names in zip(ax, (("CNN", "CNN, kernel-interpolated"),
                             ("CNN, input-output interp.", "FNO")), strict=True):
        a.plot(xs, u0_hi[0], color="gray", lw=1, ls="--", label="$u_0$")
        a.plot(xs, uT_hi[0], color="k", lw=2, label="exact $u(T)$")
        for name in names:
            pred = res["models"][name](u0_hi.to(dev)).cpu()[0]
            a.plot(xs, pred, color=color(paper.MODELS.index(name)), label=name)
        a.set(xlabel="$x$ (rad)", title=f"one test sample at $N$ = {Nmax}")
        a.legend(fontsize=8)
ax[0].set_ylabel("$u$")
plt.show()

# %% [markdown]
# **Figure 2.** One test sample (the one with the largest amplitude) at 4× the training
# resolution: the plain CNN, whose receptive field has shrunk to a quarter of its physical size,
# stays close to the input $u_0$ instead of transporting and steepening it; the converted CNN
# (same weights) follows the solution, with visible errors at the steepest fronts; input–output
# interpolation and the FNO are on it (no direct counterpart in the paper, whose Navier–Stokes
# samples are shown in its appendix).

# %%
w = res["models"]["CNN"].net.convs[1].weight.detach().cpu()
o_, i_ = 0, int(w[0].abs().sum(-1).argmax())
fig, ax = plt.subplots(figsize=(6, 3.6))
h0 = 2 * np.pi / N0
for j, n in enumerate((N0, 2 * N0, 4 * N0)):
    ws, _ = paper.interpolate_kernel(w, n / N0)
    taps = ws.shape[-1]
    pos = (np.arange(taps) - (taps - 1) / 2) * 2 * np.pi / n
    ax.plot(pos, ws[o_, i_] / (2 * np.pi / n), marker="o" if n == N0 else ".", ms=4,
            color=color(j), label=f"$N$ = {n}: {taps} taps")
pos_plain = (np.arange(cfg.kernel) - (cfg.kernel - 1) / 2) * 2 * np.pi / (4 * N0)
ax.plot(pos_plain, w[o_, i_] / h0, "x", color=color(3), ms=8,
        label=f"plain CNN at $N$ = {4 * N0}")
ax.set(xlabel="kernel offset $x-y$ (rad)", ylabel=r"tap weight / quadrature step $h$",
       title="one learned kernel, base and interpolated")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 3.** One trained kernel of the CNN's second layer (the input channel with the
# largest weights) at the training grid and after kernel interpolation to 2× and 4× finer grids,
# divided by the grid step so that all curves estimate the same continuous kernel $\kappa$: the
# interpolated taps keep the physical support $\pm4h_0$, while the plain CNN's 9 taps sit on
# the 512-point grid within $\pm h_0$ (crosses, drawn at their base-grid heights $w_j/h_0$)
# (no counterpart figure in the paper, which describes the resampling in its text).

# %% [markdown]
# ## Reproduction check
#
# The headline rows use the same trained weights for the plain and the converted CNN, so the
# difference between them is the conversion alone.

# %%
c = ch.claims
r = {name: err[name][Nmax] / err[name][N0] for name in paper.MODELS}
c.less(f"FNO: error at $N = {Nmax}$ / error at $N_0 = {N0}$", r["FNO"], 1.1, kind="headline",
       paper=paper.PAPER_CLAIMS["fno"], note=f"error {err['FNO'][Nmax]:.4f} at N = {Nmax}")
c.greater(f"plain CNN: error at $N = {Nmax}$ / error at $N_0 = {N0}$", r["CNN"], 4.0,
          kind="headline", paper=paper.PAPER_CLAIMS["plain"],
          note=f"error {err['CNN'][N0]:.4f} at N0, {err['CNN'][Nmax]:.4f} at N = {Nmax}")
c.less(f"converted CNN error / plain CNN error, both at $N = {Nmax}$",
       err["CNN, kernel-interpolated"][Nmax] / err["CNN"][Nmax], 0.35, kind="headline",
       paper=paper.PAPER_CLAIMS["converted"],
       note="same trained weights; only the kernel discretisation differs")
c.less(f"converted CNN: error at $N = {Nmax}$ / error at $N_0 = {N0}$",
       r["CNN, kernel-interpolated"], 3.0, paper=paper.PAPER_CLAIMS["converted"],
       note="grows, but far less than the plain CNN's (see Discussion)")
c.less(f"input-output interpolation: error at $N = {Nmax}$ / error at $N_0 = {N0}$",
       r["CNN, input-output interp."], 1.1, paper=paper.PAPER_CLAIMS["io"],
       note="Fourier resampling of input and output")
c.less(f"worst error at the training grid $N_0 = {N0}$ (CNN, FNO)",
       max(err["CNN"][N0], err["FNO"][N0]), 0.1, paper="all models train well at N0",
       note="so the differences elsewhere are not failed training")
Nd = cfg.kernel_demo_res
c.less(f"untrained layer, change of the output from $N = {Nd[0]}$ to {Nd[-1]}: "
       "interpolated / plain", kc["interp"][-1] / kc["plain"][-1], 0.35,
       paper="a pixel kernel computes a different function on every grid; an interpolated "
             "one converges", note=f"interpolated {kc['interp'][-1]:.3f}, plain "
                                   f"{kc['plain'][-1]:.3f}")
c.less("spectral layer, output at 256 vs 64 points (band-limited input), max abs difference",
       spec_err, 1e-5, kind="sanity", note="float32")
c.close("converted CNN equals the plain CNN at the training grid",
        err["CNN, kernel-interpolated"][N0], err["CNN"][N0], rtol=1e-6, kind="sanity",
        note="no retraining: s = 1 leaves the kernel unchanged")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **Matched.** The paper's single-resolution picture reproduces on 1-D Burgers at a size that
# runs in seconds on a CPU. Trained once at $N_0=128$ and tested at 64…512, the plain CNN's
# error grows from about 3 % on its training grid to about 45 % at $N=512$ (and 40 % at
# $N=64$): its kernels are fixed in pixels, so its receptive field shrinks with the grid and it
# stays close to the identity map. The same weights with kernel interpolation — no retraining,
# only eq. (2) — keep the error at 4–6 % up to $N=512$, an eighth of the plain CNN's; the FNO
# keeps its error to three decimals at every resolution; and input–output interpolation,
# the paper's simple alternative, is exactly resolution-invariant here because Fourier
# resampling is exact for our band-limited periodic data. Over the calibration seeds 0–4
# (`ci`): FNO error ratio $N=512$ / $N_0$ in [0.999, 1.000] (threshold < 1.1); plain CNN
# ratio in [12.9, 16.1] (threshold > 4, worst margin 3.2×); converted over plain CNN error at
# $N=512$ in [0.120, 0.136] (threshold < 0.35, worst margin 2.6×); converted CNN ratio in
# [1.66, 1.93] (threshold < 3, worst margin 1.55×, the tightest row); input–output
# interpolation ratio 1.000 on every seed (threshold < 1.1); worst error on the training grid
# in [0.029, 0.034] (threshold < 0.1); untrained 9-tap layer, interpolated over plain drift
# from 128 to 1024 points in [0.105, 0.149] (threshold < 0.35). Seeds 7 and 11, not used for
# calibration: seed 7 gives 1.000, 13.8, 0.132, 1.83, 1.000, 0.032, 0.184 and seed 11 gives
# 1.000, 11.9, 0.125, 1.48, 1.000, 0.037, 0.168 for the same rows in the same order; every row
# passes.
#
# **Not matched, or different.** (i) The converted CNN does not keep its error *exactly*: its
# error grows by a factor 1.7–1.9 from $N_0=128$ to $N=512$ (and is 4–7× larger at the coarser
# $N=64$, where its 9-tap kernel is resampled to 5 taps). Linear interpolation turns the learned
# point-mass kernel into a piecewise-linear continuous one, and the two differ by
# $O(h_0^2 v'')$ on features a few grid cells wide; the untrained check of Section 1 shows the
# same few-per-cent offset that then settles. With $N_0=64$ and 5-tap kernels (a grid twice as
# coarse relative to the solution) we measured ratios of 2.6–3.0 at 8× the training grid in
# development; the official training resolution (128) and kernel size (9) are what this page
# uses. The paper's claim is qualitative — the converted model is far more robust than the
# original — and that is the row we assert (converted over plain error), with the growth
# factor reported beside it. (ii) Our data are 1-D Burgers, not the paper's
# 2-D Navier–Stokes (Zenodo, not available offline), and we train ~600 steps instead of
# ~300 000 at twice the official learning rate; the paper's Fig. 5 numbers were not available
# to us, so the paper column states its claims. (iii) Input–output interpolation ties with the
# FNO here rather than being "weaker": with Fourier resampling of band-limited periodic data it
# loses nothing (the official default, bilinear resampling, would lose the detail above the
# training grid's resolution). (iv) The DISCO, differential-operator and transformer conversions of the paper,
# and multi-resolution training, are not reproduced. (v) The `full` profile runs the same
# experiment with 4 000 training pairs, width 64, 8 000 steps and test grids up to 2048; it
# has not been run on a GPU here, so its numbers are not calibrated.
#
# **Sabotages** (each a temporary edit of `paper.resolution_experiment`, rerun at seed 0):
# (1) the FNO's spectral layers replaced by fixed-grid 9-tap convolutions
# (`spectral="pixel"`): the FNO row fails — its error ratio is 14.2 (0.032 at $N_0$, 0.45 at
# $N=512$), exactly the plain CNN's failure; (2) the "converted" CNN left with pixel kernels
# (`interpolate=False`): converted over plain error is 1.00 (threshold < 0.35) and its ratio
# 13.3 (threshold < 3), both fail; (3) kernel interpolation without the quadrature factor
# $k/k_s$ of eq. (2) (`quadrature=False`): every layer's output grows with $s$ and the converted
# CNN's error at $N=512$ is 136 (ratio 3993) — both rows fail. The unit tests check the
# quadrature factor and the convergence of a single interpolated layer against the plain one.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`berner2025principled` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
