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
# # Almost-Linear RNNs Yield Highly Interpretable Symbolic Codes in Dynamical Systems Reconstruction
#
# This chapter reproduces {cite:t}`brenner2024almost`.
#
# **What is reproduced here:** the almost-linear RNN (linear units plus $P$ ReLU units) is a
# piecewise-affine map with at most $2^P$ regions. We build the Lozi map exactly as an AL-RNN,
# check that its region-wise linear maps, Jacobians, fixed points and symbolic graph are exact,
# and train AL-RNNs with sparse teacher forcing on the Lozi map and Lorenz-63 (P>0 vs the linear
# P=0 baseline). Asserted at ci: on the Lozi map one ReLU unit cuts the one-step error of the
# linear model by a factor of 2–4 and its sign follows $\mathrm{sign}(x_t)$; on Lorenz-63, $P$ = 2
# predicts 20 steps ahead far better than $P$ = 0. The attractor-level comparison ($D_{stsp}$,
# the power-spectrum Hellinger distance of long free runs) needs the `full` training length
# (see the Discussion).
#
# Run it: the rocket button above opens this page on Colab (choose a GPU runtime for the
# `full` profile); locally, `make book` runs every chapter at the `ci` profile.

# %%
# Setup, on Colab only: install nonlinlab with this chapter's extras from the same git ref
# as this page (or from $NONLINLAB_PIP_SOURCE). Locally, `make setup` has installed
# everything.
import os
import sys

if "google.colab" in sys.modules:
    from IPython import get_ipython

    src = os.environ.get("NONLINLAB_PIP_SOURCE", "git+https://github.com/nonlinlab/nonlinlab@main#subdirectory=lib")
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[dysts] @ {src}"')

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import al_rnn as paper

ch = nonlinlab.Chapter("al-rnn", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Model.** With $M$ latent units of which the last $P$ carry a ReLU,
#
# $$z_t = A z_{t-1} + W\,\Phi^*(z_{t-1}) + h,\qquad A=\mathrm{diag}(a),\qquad
#   \Phi^*(z) = (z_1,\dots,z_{M-P},\max(0,z_{M-P+1}),\dots,\max(0,z_M)),$$
#
# with a full $W$ (as in the official code). The first $N$ (linear) units are the read-out,
# $\hat x_t = z_{1:N,t}$, and $z_1=[x_1;Lx_1]$. Inside a region $\Omega$ (sign pattern
# $d\in\{0,1\}^P$ of the ReLU units) the map is affine, $z_t=(\mathrm{diag}(a)+WD_\Omega)z_{t-1}+h$
# with $D_\Omega=\mathrm{diag}(1,\dots,1,d)$; so there are at most $2^P$ regions, each with a
# fixed point $z^*_\Omega=(I-\mathrm{diag}(a)-WD_\Omega)^{-1}h$ that is *real* if it lies in
# $\Omega$. The sign pattern along an orbit is its **symbolic code**; region→region transition
# frequencies form the symbolic graph.
#
# **Training** follows the official `TFRecur`: BPTT on random windows with *sparse identity
# teacher forcing* — step, record the prediction, and every $\tau$ steps overwrite the first $N$
# units by the (noisy) data, which cuts the gradient through them; MSE of the recorded read-outs;
# RAdam with exponential learning-rate decay; official initialisation. All models of one
# experiment (the values of $P$, several initialisations) are trained at once as one stacked
# model: each has its own parameters, windows and loss, so this is exactly separate training
# (RAdam acts elementwise), in one Python loop.
#
# **Exact oracle.** The Lozi map $x'=1-a|x|+y$, $y'=bx$ is itself an AL-RNN with $M=3$, $P=1$:
# with $|x|=2\,\mathrm{relu}(x)-x$ and a copy $\tilde x\equiv x$ carrying the ReLU,
# $x'=1+ax+y-2a\,\mathrm{relu}(\tilde x)$, $y'=bx$, $\tilde x'=x'$.

# %% [markdown]
# ## Experiments
#
# ### 1. The Lozi map as an AL-RNN (exact construction)

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.core import color
from nonlinlab.data import dynamics

dev = ch.device
lozi_m = paper.lozi_alrnn(cfg.lozi_a, cfg.lozi_b)
g = dynamics.map_step("lozi", dict(a=cfg.lozi_a, b=cfg.lozi_b))
X = dynamics.simulate_map(g, 5000, generator=torch.Generator().manual_seed(ch.seed))
with torch.no_grad():  # an oracle check, not training: no autograd graph
    one_step_err = float((lozi_m(lozi_m.init_state(X))[:, :2] - g(X)).abs().max())
    x0 = torch.tensor([0.1, 0.1], dtype=torch.float64)
    orbit = dynamics.iterate_map(g, x0, cfg.lozi_exact_steps)
    Zl = lozi_m.generate(lozi_m.init_state(x0), cfg.lozi_exact_steps + 1)
    orbit_err = (Zl[:, :2] - orbit).abs().max(-1).values
fps = [fp for fp in lozi_m.region_fixed_points() if fp["real"]]
fp_err = max(float(np.abs(np.sort(np.array([fp["z"][0].item() for fp in fps]))
                          - np.sort(paper.lozi_fixed_points(cfg.lozi_a, cfg.lozi_b)[:, 0])).max()),
             0.0)
print(f"one-step max error on 5000 attractor points: {one_step_err:.1e}")
print(f"orbit error after 20 / {cfg.lozi_exact_steps} steps: {orbit_err[20]:.1e} / "
      f"{orbit_err[-1]:.1e} (rounding amplified by chaos, λ≈0.47)")
print("real region fixed points:", [fp["z"][:2].tolist() for fp in fps], "error", fp_err)
fig, ax = plt.subplots(figsize=(4.5, 3.4))
ax.scatter(X[:, 0], X[:, 1], s=1, c=(X[:, 0] > 0), cmap="coolwarm")
ax.set(xlabel="$x$", ylabel="$y$", title="Lozi attractor by ReLU symbol")
plt.show()

# %% [markdown]
# **Figure 1.** 5 000 points of the Lozi attractor ($a$ = 1.7, $b$ = 0.5), coloured by the
# symbol of the hand-built AL-RNN's single ReLU unit, $\mathbb 1[x>0]$: the two linear regions
# of the map (no counterpart in the paper).

# %% [markdown]
# ### 2. Learning the Lozi map: P=1 vs P=0 (a linear RNN)
#
# Same AL-RNN ($M=4$), trained with teacher forcing at every step ($\tau$ = 1). The ReLU unit
# must learn to carry a copy of $x_t$ that it computes itself (the forced units are the
# read-outs), a saddle at the small initial $W$ that some initialisations do not leave in a
# short run; so, as is usual in dynamical-systems reconstruction, we train several
# initialisations of each model (8, at once) and keep the one with the lowest *training* loss.
# We score the one-step (forced) MSE on a held-out orbit and whether the learned ReLU unit's
# sign follows $\mathrm{sign}(x_t)$ (allowing a flip).

# %%
lz = paper.lozi_experiment(cfg, ch.seed, dev)
for P, r in lz.items():
    print(f"P={P}: one-step test MSE {r['mse']:.4f}")
print(f"one-step MSE ratio P=1 / P=0: {lz[1]['mse'] / lz[0]['mse']:.3f}")
print(f"symbol agreement with 1[x_t>0]: {lz[1]['agreement']:.3f}")
print("final training losses of the 8 initialisations, P=1:", np.round(lz[1]["final_losses"], 3))

# %% [markdown]
# ### 3. Lorenz-63: P=2 vs P=0
#
# Each model is scored by its short-horizon prediction error (every 10th test point: 20 steps
# forced at every step to set the latent state, then 20 free steps; MSE of the read-out) and by
# $D_{stsp}$ and $D_H$ of a long free run.

# %%
lo = paper.lorenz_experiment(cfg, ch.seed, dev)
Ps = sorted(lo["runs"])
for P in Ps:
    r = lo["runs"][P]
    print(f"P={P}: 20-step prediction error {r['pe']:.4f}  D_stsp {r['dstsp']:.3f}  "
          f"D_H {r['dh']:.3f}  finite {r['finite']}")
print(f"noise floor (two ground-truth segments): D_stsp {lo['floor_dstsp']:.3f}, "
      f"D_H {lo['floor_dh']:.3f}")
n_cols = min(3, len(Ps) + 1)
n_rows = -(-(len(Ps) + 1) // n_cols)
fig, axs = plt.subplots(n_rows, n_cols, figsize=(4 * n_cols, 3.4 * n_rows), squeeze=False,
                        sharex=True, sharey=True)
ax = axs.flat
xt = lo["x_test"].cpu()
ax[0].plot(xt[:, 0], xt[:, 2], lw=0.3, color="k")
ax[0].set_title("ground truth")
for i, P in enumerate(Ps):
    Z = lo["runs"][P]["Z"].cpu()
    ax[i + 1].plot(Z[:, 0], Z[:, 2], lw=0.3, color=color(i))
    ax[i + 1].plot(Z[-1, 0], Z[-1, 2], "o", ms=4, color=color(i))  # where the run ends
    ax[i + 1].set_title(f"AL-RNN free run, P={P}")
for a in ax[: len(Ps) + 1]:
    a.set(xlabel="$x$ (z-scored)", ylabel="$z$ (z-scored)")
for a in ax[len(Ps) + 1:]:
    a.set_visible(False)
plt.show()

# %% [markdown]
# **Figure 2.** Lorenz-63 test data and free runs of the trained AL-RNNs with $P$ ReLU units
# ($P$ = 0 is a linear RNN; ci: $P$ = 0 and 2), projected on $(x, z)$ on common axes, a dot
# where each free run ends; at ci scale neither forms the butterfly (mirrors the Lorenz-63
# reconstructions of {cite:t}`brenner2024almost`, where $P$ = 2 suffices).

# %% [markdown]
# ### 4. Symbolic code and region analysis of the trained P>0 model

# %%
Pmax = max(Ps)
run = lo["runs"][Pmax]
ra = paper.region_analysis(run["model"], run["Z"])
real_res = max([fp["residual"] for fp in ra["fixed_points"] if fp["real"]], default=0.0)
print(f"regions available {2 ** Pmax}, visited {ra['visited']} "
      f"(≥0.1 % of the time: {ra['visited_major']}); visit frequencies {ra['freq'].round(3)}")
print(f"max |autograd Jacobian − region matrix| over visited states: {ra['jac_err']:.1e}")
for fp in ra["fixed_points"]:
    print(f"region {fp['region']}: {'real' if fp['real'] else 'virtual'} fixed point, "
          f"residual {fp['residual']:.1e}, max |eig| {fp['eig'].abs().max():.3f}")
fig, ax = plt.subplots(1, 2, figsize=(9, 3.6))
Z = run["Z"].cpu()
ax[0].scatter(Z[:, 0], Z[:, 2], s=1, c=ra["ids"].cpu(), cmap="viridis")
ax[0].set(title="free run coloured by symbol", xlabel="$x$ (z-scored)",
          ylabel="$z$ (z-scored)")
im = ax[1].imshow(ra["transition"], cmap="magma", vmin=0, vmax=1)
ax[1].set(title="symbolic graph", xlabel="to region", ylabel="from region")
ax[1].grid(False)
if Pmax <= 3:  # one tick per region while they stay legible
    ax[1].set(xticks=range(2 ** Pmax), yticks=range(2 ** Pmax))
fig.colorbar(im, ax=ax[1], label="transition probability")
plt.show()

# %% [markdown]
# **Figure 3.** Symbolic code of the trained model with the most ReLU units ($P$ = 2 at ci).
# Left: its free run coloured by the region (sign pattern of the $P$ ReLU units) it is in.
# Right: the symbolic graph, the probabilities of moving from one of the $2^P$ regions to
# another in one step (mirrors the symbolic graphs of {cite:t}`brenner2024almost`).

# %% [markdown]
# ## Reproduction check

# %%
c = ch.claims
c.less("Lozi: one-step test MSE, P=1 / P=0", lz[1]["mse"] / lz[0]["mse"], 0.6, kind="headline",
       paper="P=1 suffices for the 2-region PWL map; a linear model (P=0) cannot",
       note="best of 8 initialisations each, chosen by training loss")
c.greater(r"Lozi: ReLU sign vs sign($x_t$) agreement", lz[1]["agreement"], 0.85, kind="headline",
          paper="the symbolic code follows the map's linear regions",
          note="P=1 model, 2 000 test steps; up to a flip of the symbol")
c.less("Lorenz: 20-step prediction error, P=2 / P=0",
       lo["runs"][2]["pe"] / lo["runs"][0]["pe"], 0.5, kind="headline",
       paper="a few ReLU units (P=2) suffice where a linear RNN (P=0) cannot",
       note="20 forced + 20 free steps from every 10th test point")
c.greater(r"Lorenz: $D_{stsp}$(P=0) − $D_{stsp}$(P=2)",
          lo["runs"][0]["dstsp"] - lo["runs"][2]["dstsp"], 0.5, kind="headline",
          asserted_at="full",
          paper="performance saturates at P=2; a linear RNN cannot be chaotic",
          note="at ci neither model forms the attractor (see the Discussion)")
c.less("Lozi AL-RNN construction: one-step max error", one_step_err, 1e-14, kind="sanity",
       paper="the Lozi map is an AL-RNN with P=1", note="5000 attractor points, float64")
c.less("Lozi AL-RNN construction: 20-step orbit error", float(orbit_err[20]), 1e-12,
       kind="sanity", paper="exact",
       note=r"longer orbits diverge by rounding × $e^{0.47t}$ (chaos)")
c.less("Lozi AL-RNN region fixed points vs closed form", fp_err, 1e-12, kind="sanity",
       paper="fixed points of the PWL map", note="2 real fixed points")
c.less("trained AL-RNN: autograd Jacobian vs region matrix, max abs. difference",
       ra["jac_err"], 1e-10, kind="sanity", paper="affine in each region")
c.less(r"trained AL-RNN: real fixed points, max $\Vert F(z^*)-z^*\Vert_\infty$", real_res,
       1e-10, kind="sanity")
c.holds("visited regions ≤ $2^P$", ra["visited"] <= 2 ** Pmax, kind="sanity",
        ours=f"{ra['visited']} of {2 ** Pmax}")
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **Exact parts (sanity checks).** The hand-built AL-RNN *is* the Lozi map: one step agrees
# to rounding ($<10^{-15}$) and its two real region fixed points are the Lozi map's closed-form
# fixed points. A 50-step orbit cannot agree to $10^{-12}$ since a different but equally
# correct order of operations gives rounding differences that chaos amplifies by $e^{0.47t}$
# (about $3\cdot10^{-8}$ after 50 steps); we check 20 steps. For the trained models, the region
# matrices equal the autograd Jacobian and the real region fixed points are fixed points of the
# full model, to rounding; a $P$-unit model visits at most $2^P$ regions. All of these hold by
# construction when the code is right, so the ledger shows them as sanity checks, not as claims
# of the paper.
#
# **Trained models (headline claims, asserted at both profiles).** Over seeds 0–4 and 7 (ci):
# on the Lozi map the P=1 model's one-step test MSE was 0.27–0.42 of the linear P=0 model's
# (0.29, 0.27, 0.30, 0.42, 0.27, 0.27; P=0 ≈ 0.31–0.32 in z-scored units; asserted < 0.6, worst
# margin 0.18), and its ReLU unit's sign agreed with $\mathrm{sign}(x_t)$ on 0.905–0.918 of the
# 2 000 test steps (asserted > 0.85, worst margin 0.055; the exact construction would give 1, a
# longer run is expected to get closer). On Lorenz-63 the 20-step prediction error of $P$ = 2
# was 0.17–0.25 of that of $P$ = 0 (0.20, 0.17, 0.25, 0.23, 0.22, 0.21; asserted < 0.5, worst
# margin 0.25). A single initialisation of the Lozi P=1 model stays on the saddle described
# above in about half of the runs (ratio ≈ 0.9–1.0, sign agreement ≈ 0.5); with the best of 8
# by training loss every seed tried succeeded (seed 11 too: 0.23, 0.921, 0.24; seed 13: 0.37,
# 0.908, 0.20). A ci run takes about 40–90 s of wall time on our shared 2-core machine under a
# load of 5–7 (about 18–23 s of CPU time).
#
# **The attractor-level claim is not reproduced at ci.** With 400 training steps (official:
# 2000 epochs × 50 batches = 100 000 steps at a learning rate of $10^{-3}\to10^{-5}$, $M$ = 20,
# $\tilde T$ = 200, $\tau$ = 16, on Lorenz-63 sampled at $\Delta t\approx0.01$ like ours) both
# free runs end on a fixed point ($D_{stsp}$ = 13.109 for both at seed 0, the value of a
# collapsed run; noise floor 2.06 at 30³ bins on 5 000 points), so their difference (about
# $10^{-7}$) compares two failed reconstructions: the claim is recorded with its ci value and
# asserted only in the `full` profile, whose thresholds are *not yet calibrated* (no GPU run was
# made). We tried to make the $P$ = 2 free run form the attractor within a minute of CPU time
# (seed 0; several initialisations of $P$ = 2 trained at once as one stacked model, each scored
# by $D_{stsp}$ of its free run against a held-out *validation* segment; about 16 ms of CPU per
# step for 6 stacked models at $\tilde T$ = 64, i.e. 25 s for 1 500 steps). At $\Delta t$ =
# 0.01 ($\tilde T$ = 64, 120, 200 with $\tau$ = 16, 30, 16; 1 500 steps; learning rate
# $10^{-2}\to10^{-3}$) none of 6 initialisations formed the butterfly: most converge to a
# *stable* focus near one of Lorenz's two non-trivial fixed points (z-scored at seed 0
# $(0.94, 0.83, 0.40)$ and $(-1.22, -1.07, 0.40)$; the learned foci have about the right $x$
# and $y$ and a lower $z$), where the true flow spirals *out* by only
# $e^{0.094\,\Delta t}\approx1.001$ per step; the others end on a small cycle (standard
# deviation 0.4–0.6 instead of 1); $D_{stsp}$ 11.5–13.2. Sampling more coarsely ($\Delta t$ =
# 0.03, $\tau$ = 6) 2 of 6 initialisations reached the attractor's extent (validation
# $D_{stsp}$ 9.6 and 6.3, test 9.9 and 5.8, floor 0.96), but training twice as long turned all
# 6 into fixed points, and the other variants succeeded in 0–1 of 6–16 initialisations
# ($\tau$ = 8, 10, 12; noise 0.02 or 0; $M$ = 20; final learning rate $10^{-4}$; $\Delta t$ =
# 0.05). A per-initialisation success rate of 0–33 %, which does not grow with training length,
# is too low to assert the ordering on every seed within the ci budget; the official run takes
# about 65 times as many steps as these 1 500-step runs, on windows 3 times as long. The
# short-horizon prediction error is the part of the paper's claim that a short run can show:
# what the ReLU units add is visible over 20 steps long before the free run settles on the
# attractor.
# We also tried the recipe that reconstructs Lorenz-63 in the GTF chapter (ten noisy
# orbits, a ridge warm start of the read-out rows, the exact GTF gradient with Gauss-Newton
# preconditioning and a line search while $\alpha$ anneals 0.9 → 0.15, forcing the $N$ = 3
# read-out units; 24 initialisations of each of $P$ = 2 and $P$ = 0 with random ReLU
# directions, $M$ = 10, the one with the lowest validation $D_{stsp}$ kept; about 30 s of CPU):
# over seeds 0–4 the best $P$ = 2 model scored 8.6–8.8 on validation (5.7 at seed 4) against
# 12.6–13.7 for $P$ = 0 and a noise floor of 0.24–0.71, with free runs of about the right
# extent but no butterfly (48 initialisations, 16 stages, $M$ = 8 or ReLU units on $\pm x$
# did not do better). Its test scores, 9.0–9.5 and 3.1 at seeds 2 and 4, are not evidence
# either: those two runs collapse to a fixed point *outside* the $\pm2$ std grid, which the
# shared $D_{stsp}$ scores as a uniform histogram (3.1), lower than a run that collapses on the
# grid (about 13).
#
# **Breaking the method.** With the ReLU removed (every unit linear, so P=1 and P=2 are linear
# RNNs), all three asserted headline claims failed (seed 0: Lozi MSE ratio 0.99, sign agreement
# 0.68, Lorenz prediction-error ratio 0.98; seed 7: Lorenz ratio 0.95), as did the
# exact-construction sanity checks. With the teacher forcing made stale by one step (the forced
# units receive $x_{t-1}$ instead of $x_t$) the Lozi MSE ratio failed (1.32), while the sign
# agreement (0.914) and the Lorenz ratio (0.22; forced only every 16 steps there) still held.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`brenner2024almost` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
