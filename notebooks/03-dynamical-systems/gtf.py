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
# # Generalized Teacher Forcing for Learning Chaotic Dynamics
#
# This chapter reproduces {cite:t}`hess2023generalized`.
#
# **What is reproduced here:** backpropagation through time (BPTT) on chaotic data has exploding
# gradients, and generalized teacher forcing (GTF) with the theorem's $\alpha^*=1-1/\sigma_{max}$
# keeps them bounded for all sequence lengths (asserted, on the RK4-Lorenz map, with the exact
# Jacobian-product bound). It also reproduces the paper's point about training on noisy chaotic
# data: a clipped shallow PLRNN trained with GTF on Lorenz-63 with 5 % observation noise
# reconstructs the chaotic attractor ($D_{stsp}$ asserted < 2, against a noise floor of
# 0.25–0.7), while classical teacher forcing on the same data settles on a limit cycle
# ($D_{stsp}$ 7–13, asserted more than 3× worse). At ci scale the training is a warm-started,
# preconditioned substitute for the paper's long RAdam run (see Method and Discussion).
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
from nonlinlab.papers import gtf as paper

ch = nonlinlab.Chapter("gtf", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Model (shPLRNN, official clipped variant).**
# $z_t = A z_{t-1} + W_1[\mathrm{ReLU}(W_2 z_{t-1}+h_2)-\mathrm{ReLU}(W_2 z_{t-1})] + h_1$,
# $A=\mathrm{diag}(a)$, with Jacobian
# $J(z)=\mathrm{diag}(a)+W_1\,\mathrm{diag}(\mathbb 1[W_2z>-h_2]-\mathbb 1[W_2z>0])\,W_2$ and the
# official initialisation ($a$ = normalised diagonal of $R^\top R/M+I$; $W_1,W_2,h_2$ uniform).
#
# **GTF** (identity observation model, forcing signal = data): $z_1=x_1$ and for $t\ge2$
# $z_t=F_\theta(\tilde z_{t-1})$ (the loss is on $z_t$), then
# $\tilde z_t=(1-\alpha)z_t+\alpha x_t$. Hence
# $\partial\tilde z_T/\partial\tilde z_t=\prod_{k=t+1}^{T}(1-\alpha)J_k$, and if
# $(1-\alpha)\|J_k\|\le1$ for all $k$, i.e. $\alpha\ge\alpha^*=1-1/\sigma_{max}$, every product
# is bounded by 1 and the gradients stay bounded in $T$. $\alpha=0$ is plain BPTT,
# $\alpha=1$ classical teacher forcing. The official adaptive rule (aGTF) uses
# $G=\max_{\text{batch}}\mathrm{geomean}_t\|J(x_t)\|_2$, $\alpha_{est}=\max(0,1-1/G)$, every 5
# batches: $\alpha\leftarrow\alpha_{est}$ if larger, else $\gamma\alpha+(1-\gamma)\alpha_{est}$
# ($\gamma=0.999$, $\alpha_0=1$).
#
# **Training at ci scale (a substitute for the official optimiser).** The official run takes
# 250 000 RAdam steps; at ci scale that recipe did not learn the attractor (Discussion). We
# keep the model, the loss and the forcing and change the optimiser: a random clipped hidden
# layer ($W_2\sim\mathcal N(0,1)$, $h_2\sim U(\pm2)$, $L$ = 200) is kept fixed, and
# $w_i=(a_i, W_{1,i\cdot}, h_{1,i})$ start from ridge regression of $x_{t+1}$ on
# $[x_t,\varphi(x_t),1]$ — the exact teacher-forcing solution. Then the GTF loss
# $\tfrac12\sum_t\Vert z_t-x_t\Vert^2+\tfrac\lambda2\Vert w\Vert^2$ is minimised with its exact
# gradient $g$ (backpropagated through the forced recursion) preconditioned by the
# Gauss-Newton matrix of the regressors at the forced states, $w\leftarrow w-\eta
# (F^\top F+\lambda I)^{-1}g$, $\eta$ halved until the loss decreases. $\alpha$ is annealed
# geometrically from 0.9 to 0.15 over 8 stages of 2 steps; every variant keeps the stage whose
# free runs have the lowest $D_{stsp}$ on held-out *noisy validation* orbits. Teacher forcing
# ($\alpha=1$) runs the same loop; its first step already lands on its optimum. The whole
# procedure runs for two independent draws of the random hidden layer, and every variant keeps
# the draw whose selected checkpoint scores lower on the same validation orbits (the test
# orbits never enter a choice).

# %% [markdown]
# ## Experiments
#
# ### 1. Exploding vs bounded gradients (mirrors the paper's gradient theorem)
#
# The model is a *perfect but chaotic* map: one RK4 step ($\Delta t=0.01$) of Lorenz-63 with
# parameters $\theta=(\sigma,\rho,\beta)$, perturbed by 5 %, fitted to data of the true map.

# %%
import matplotlib.pyplot as plt
import numpy as np

from nonlinlab.core import color
from nonlinlab.data import dynamics

ga = paper.gradient_vs_length(cfg, ch.seed, ch.device)
T = np.array(ga["T"])
print(f"alpha* = 1 - 1/sigma_max = {ga['alpha_star']:.3f}; aGTF estimate (geomean) "
      f"alpha_geo = {ga['alpha_geo']:.3f}")
for a, g in ga["grad"].items():
    print(f"alpha={a:.3f}: |grad L_T| =", np.round(g, 3))
print(f"alpha=0 growth rate per sequence (T >= 100): {np.round(ga['growth_rates'], 2)}; "
      f"mean {ga['growth_rate']:.3f} (slope of the batch gradient: {ga['growth_rate_batch']:.3f})")
fig, ax = plt.subplots(figsize=(5, 3.5))
for i, (a, g) in enumerate(ga["grad"].items()):
    ax.loglog(T, g, "o-", color=color(i), label=f"α = {a:.3f}")
ax.set(xlabel="sequence length $T$ (steps)", ylabel=r"$\Vert\nabla_\theta L_T\Vert$",
       title="BPTT explodes, GTF with α* stays bounded")
ax.set_xticks(T, labels=[str(t) for t in T])  # the lengths themselves, no log-scale minor labels
ax.minorticks_off()
ax.legend()
plt.show()
ratio0 = ga["grad"][0.0][-1] / ga["grad"][0.0][1]
ratio_star = ga["grad"][ga["alpha_star"]][-1] / ga["grad"][ga["alpha_star"]][1]
prod = ga["product"]

# %% [markdown]
# **Figure 1.** Norm of the gradient of the loss with respect to the map's parameters
# $\theta=(\sigma,\rho,\beta)$ against the sequence length $T$, for plain BPTT ($\alpha=0$), the
# adaptive rule's geometric-mean estimate $\alpha_{geo}$ (middle) and the theorem's
# $\alpha^*=1-1/\sigma_{max}$ (largest), on the RK4-Lorenz map (no counterpart in the paper:
# an illustration of its bounded-gradient theorem).

# %% [markdown]
# ### 2. Reconstructing Lorenz-63 from noisy data: GTF vs teacher forcing (Table 1)
#
# Ten orbits of 2 000 steps ($\Delta t=0.01$, z-scored) with 5 % Gaussian observation noise for
# training, ten more (noisy) for validation, ten clean ones for the test, and ten clean ones
# only for the noise floor: $D_{stsp}$ between two independent samples of the true attractor
# of the test's size. Free runs start from the first state of every test orbit and run 500
# steps of transient plus 2 000 steps. The maximal Lyapunov exponent is measured from the same
# ten starts (500 settling steps, then 5 000 steps of the QR method) and summarised by the
# median over starts: an exponent belongs to an attractor, and a trained map may send a few
# starts to a stable fixed point or cycle beside its chaotic attractor.

# %%
lo = paper.lorenz_experiment(cfg, ch.seed, ch.device)
names = {"gtf": "GTF", 1.0: "teacher forcing"}
for v, r in lo["runs"].items():
    sel = "warm start" if r["alpha"] is None else f"stage {r['best_stage']} (α = {r['alpha']:.3f})"
    print(f"{names[v]:>15}: D_stsp {r['dstsp']:.2f}  D_H {r['dh']:.3f}  λ_max {r['lyap']:.3f}  "
          f"selected {sel} of hidden layer {r['draw'] + 1} (validation D_stsp per draw: "
          f"{', '.join(f'{x:.2f}' for x in r['val_draws'])})")
for v, r in lo["runs"].items():
    lam = r["lyap_starts"]
    print(f"{names[v]:>15}: λ_max per start {np.round(lam, 2)}, median {r['lyap']:.3f} "
          f"({int((lam <= 0).sum())} of {len(lam)} starts on a non-chaotic attractor)")
print(f"noise floor: D_stsp {lo['floor_dstsp']:.2f}, D_H {lo['floor_dh']:.3f}; "
      f"true λ_max {dynamics.LORENZ_MAX_LYAPUNOV}")
print("aGTF estimate α_est = 1 - 1/G of the selected models:", np.round(lo["alpha_est"], 3))
fig, axs = plt.subplots(1, 3, figsize=(11, 3.6), sharex=True, sharey=True)
xt = lo["x_test"].cpu()
for i in range(xt.shape[0]):
    axs[0].plot(xt[i, :, 0], xt[i, :, 2], lw=0.2, color="k")
axs[0].set_title("test data")
for j, (v, r) in enumerate(lo["runs"].items()):
    Z = r["Z"].cpu()
    for i in range(Z.shape[0]):
        axs[j + 1].plot(Z[i, :, 0], Z[i, :, 2], lw=0.2, color=color(j))
    axs[j + 1].set_title(f"free runs, {names[v]}")
for a in axs:
    a.set(xlabel="$x$ (z-scored)", ylabel="$z$ (z-scored)")
plt.show()

# %% [markdown]
# **Figure 2.** Lorenz-63 test orbits and free runs of the shPLRNN trained on noisy data with
# GTF and with classical teacher forcing, from the first state of every test orbit, projected on
# $(x, z)$ (mirrors the Lorenz-63 reconstructions behind Table 1 of
# {cite:t}`hess2023generalized`).

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for j, (v, r) in enumerate(lo["runs"].items()):
    ax.semilogy(r["val"], "o-", color=color(j), label=names[v])
ax.axhline(lo["floor_dstsp"], color="gray", ls="--", label="noise floor (test)")
ax.set(xlabel="stage (0 = ridge warm start)", ylabel="validation $D_{stsp}$",
       title="α annealed 0.9 → 0.15 (GTF)")
ax.legend()
plt.show()

# %% [markdown]
# **Figure 3.** $D_{stsp}$ of the free runs on the noisy validation orbits after the warm start
# and after every training stage, for the hidden-layer draw each variant kept; GTF's $\alpha$ falls geometrically from 0.9 to 0.15 over the
# stages, teacher forcing keeps $\alpha=1$; the dashed line is the noise floor of the clean test
# set (validation scores, against noisy orbits, run higher than test scores; no counterpart in
# the paper).

# %% [markdown]
# ## Reproduction check

# %%
c = ch.claims
gtf_run, tf_run = lo["runs"]["gtf"], lo["runs"][1.0]
c.greater(r"BPTT ($\alpha=0$): $\Vert\nabla L_{800}\Vert / \Vert\nabla L_{50}\Vert$", ratio0, 30,
          kind="headline", paper=r"gradients explode, $\propto e^{\lambda_{\max} T}$",
          note="RK4-Lorenz map, 8 sequences")
c.less(r"GTF at $\alpha^*$: $\Vert\nabla L_{800}\Vert / \Vert\nabla L_{50}\Vert$", ratio_star, 3,
       kind="headline", paper="bounded for all $T$ (theorem)")
c.less(r"$D_{stsp}$ of the GTF model (Lorenz-63, 5 % noise)", gtf_run["dstsp"], 2.0,
       kind="headline", paper="≈ 0.26 (Table 1)",
       note=f"noise floor of two true samples: {lo['floor_dstsp']:.2f}")
c.greater(r"$D_{stsp}$(teacher forcing) / $D_{stsp}$(GTF)", tf_run["dstsp"] / gtf_run["dstsp"], 3,
          kind="headline", paper="teacher forcing fails on noisy chaotic data, GTF does not",
          note="same data, warm start, optimiser and validation selection")
c.between(r"$\alpha=0$ gradient growth rate (slope of $\log T\Vert\nabla L_T\Vert$ per "
          "sequence, mean over the sequences)",
          ga["growth_rate"], 0.45, 1.35, paper=r"$\lambda_{\max}$ = 0.906",
          note=f"finite-time exponents of {len(ga['growth_rates'])} sequences: "
               f"{ga['growth_rates'].min():.2f} to {ga['growth_rates'].max():.2f}")
c.close(r"$\lambda_{\max}$ of the GTF model (median over the 10 test starts)", gtf_run["lyap"],
        0.906, rtol=0.5, paper="0.906",
        note=f"starts with λ ≤ 0: {int((gtf_run['lyap_starts'] <= 0).sum())} of "
             f"{len(gtf_run['lyap_starts'])}")
c.less(r"$D_H$ of the GTF model", gtf_run["dh"], 0.1, paper="small (Table 1)",
       note=f"noise floor {lo['floor_dh']:.3f}")
c.holds("GTF training stays finite", gtf_run["finite"], ours=str(gtf_run["finite"]),
        kind="sanity")
c.less(r"$\max_t \Vert\prod_k (1-\alpha^*) J_k\Vert_2$", float(prod["norm"].max()), 1 + 1e-9,
       kind="sanity", paper=r"≤ 1 when $(1-\alpha)\sigma_{max} \le 1$",
       note=r"$\alpha^*$ is computed from the same Jacobians")
c.holds(r"$\Vert\prod(1-\alpha^*)J_k\Vert \le \prod(1-\alpha^*)\Vert J_k\Vert$ for every prefix",
        bool((prod["norm"] <= prod["bound"] + 1e-9).all()), kind="sanity",
        ours=f"max gap {float((prod['norm'] - prod['bound']).max()):.1e}")
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **Gradients (the headline, asserted at both profiles).** Over seeds 0–4 (ci):
# $\alpha^*\approx$ 0.11–0.12; the $\alpha=0$ ratio
# $\Vert\nabla L_{800}\Vert/\Vert\nabla L_{50}\Vert$ was 68–340 (a threshold of 100 failed
# seed 2, so we assert > 30), while at $\alpha^*$ it was 1.05–1.21 (asserted < 3). The growth
# rate of the $\alpha=0$ gradients — each sequence's slope of $\log T\Vert\nabla L_T^{(i)}\Vert$
# over $T\ge100$, averaged over the 8 sequences — was 0.77–0.99 per time unit (seeds 7 and 11:
# 0.65 and 0.88) vs $\lambda_{\max}$ = 0.906 (asserted loosely in [0.45, 1.35]; one sequence's
# finite-time exponent ranges from about 0 to 1.6). The forced Jacobian products stayed ≤ 0.999; that they are
# ≤ 1 holds by construction, since $\alpha^*$ is computed from the same Jacobians, so the ledger
# shows it (and the submultiplicative bound behind it) as sanity checks. Following the official
# code, aGTF's estimate uses the *geometric mean* of $\Vert J\Vert$ along a sequence
# ($\alpha_{geo}\approx$ 0.05): it bounds the product over the *whole* sequence only;
# sub-products can reach 2–4.6 and its gradient ratio was 2.6–15, so the uniform bound needs the
# theorem's $\sigma_{max}=\max_k\Vert J_k\Vert$.
#
# **Why the growth rate is averaged over sequences (changed December 2026).** Until then the row
# read the slope of the *batch* gradient's norm, 0.62–0.92 on seeds 0–4. In a run of every
# chapter at seed 6060, a seed nobody calibrated on, it read 1.434 against [0.45, 1.35] (seeds
# 1234 and 999 had read 1.27 and 1.31). The eight sequences' gradients point in different
# directions of $\theta=(\sigma,\rho,\beta)$, partly cancel in their sum, and the sequence that
# dominates the sum changes from one length $T$ to the next, so the batch slope is no sequence's
# growth rate. A Lyapunov exponent is the average over trajectories of finite-time growth rates;
# with one copy of $\theta$ per sequence (their gradients sum to the batch gradient, to rounding)
# the same backward passes give every sequence's gradient, and the row averages the eight
# slopes. Seed 6060 now reads 1.158 (its sequences 0.79–1.58), 1234 1.086 and 999 1.051; seeds
# 0–4, 7 and 11 read 0.778, 0.774, 0.830, 0.853, 0.994, 0.648, 0.882 (batch slopes 0.646, 0.918,
# 0.779, 0.623, 0.779, 0.569, 0.674); band unchanged; cost none. Sabotage (whole notebook, seed 0;
# temporary edit of `gradient_vs_length`): the "α = 0" gradients computed with the recursion
# forced at α = 0.2 — the BPTT headline fails (ratio 1.05 against > 30) and so does this row
# (0.28 against [0.45, 1.35]); every other value is that of seed 0.
#
# **Reconstruction from noisy data (the second headline, asserted at ci).** Over seeds 0–4 (ci),
# the GTF model's free runs reached $D_{stsp}$ = 1.53, 0.70, 0.53, 1.12, 0.76 on the clean test
# orbits, against noise floors (two independent samples of the true attractor) of 0.25, 0.71,
# 0.32, 0.32, 0.24; teacher forcing on the same noisy data gave 9.9, 9.2, 9.8, 6.9, 8.0, so
# the ratio was 6.5, 13.0, 18.4, 6.1, 10.5. We assert $D_{stsp}$(GTF) < 2 (worst 1.53, margin
# 1.3×; the paper's 0.26 is a full-length run, and our floor alone is 0.24–0.71 with 20 000
# test points) and the ratio > 3 (worst 6.1, margin 2.0×). Seeds 7 and 11 pass: GTF 0.79 and
# 0.35, teacher forcing 10.0 and 5.7 (ratios 12.7 and 16.4). The GTF model is chaotic with
# $\lambda_{\max}$ (median over the ten test starts) = 1.07, 0.99, 1.13, 1.25, 0.87 (7: 1.23,
# 11: 1.13; true 0.906, asserted within 50 %, worst 38 % off, seed 3), mostly a little *more*
# chaotic than Lorenz-63, and its power
# spectra match ($D_H$ 0.019–0.023 against a floor of about 0.02; asserted < 0.1). Teacher
# forcing's free runs mostly settle on a large limit cycle around both wings (Figure 2; its
# $\lambda_{\max}$ ranged from 0.68 to 1.5 and its $D_H$ from 0.028 to 0.073). The selected GTF
# stage had $\alpha$ = 0.15–0.25, above the aGTF estimate $\alpha_{est}$ = 0.06–0.08 of the same
# models, i.e. inside the bounded-gradient regime of the theorem; selection is on noisy
# validation orbits that the test never sees, and teacher forcing goes through the same loop and
# selection.
#
# **Why two hidden-layer draws, and five times longer Lyapunov runs (changed December 2026).**
# Until then the chapter drew one random hidden layer. In a run of every chapter at seed 8128,
# a seed nobody calibrated on, that draw's GTF model collapsed in its free runs: $D_{stsp}$ 1.91
# (< 2 only just), $\lambda_{\max}$ = −1.32 and $D_H$ = 0.141, two paper rows failing. Its
# validation score had already said so (3.11, where good models read 1.9–2.6): the fixed random
# layer, not GTF, was the weak part, and the paper trains that layer, which our ci optimiser
# does not. A second draw, kept per variant only where its validation $D_{stsp}$ is lower, reads
# 2.46 on validation and 0.88 on the test there ($\lambda_{\max}$ 1.09, $D_H$ 0.016, teacher
# forcing 8.7). The second draw was kept at seeds 0, 1, 3, 7, 11 and 8128 and the first at 2
# and 4 (teacher forcing goes through the same choice). With one draw the values on seeds 0–4
# were 1.23, 0.58, 0.53, 1.06, 0.76 (GTF) and 10.0, 22.5, 18.4, 6.5, 10.5 (ratio): the worst
# headline margins shrank from 1.6× and 2.2× to 1.3× and 2.0×, because validation and test
# disagree on which of two similar draws is better (seed 0: 2.38 against 2.38 on validation).
# With the second draw, $\lambda_{\max}$ over the old 1 000 steps (10 time units) read 1.39 at
# seed 7, outside 50 %, while 5 000 steps from the same four starts gave 1.24 (10 starts: 1.25):
# a finite-time estimate over ten Lyapunov times is too noisy for a 50 % band, so the exponent
# is now measured over 5 000 steps. Thresholds unchanged. Cost ≈ 12 s more (two draws of the
# reconstruction, ≈ 12 s each; 31–48 s wall per run, two notebooks at once).
#
# **Why the median over ten starts (changed December 2026).** Until then $\lambda_{\max}$ was
# the *mean* over four of the test starts. At seed 4096, a seed nobody calibrated on, every
# headline passed ($D_{stsp}$ 0.54, ratio 16.8) but the row read 0.16: per start (all ten)
# the exponents were −2.65, 1.10, 1.02, −1.20, 1.34, 1.03, 0.94, 1.04, 1.18, 0.99. The
# trained map is multistable: two of ten starts settle, after their free-run window, on a
# stable orbit beside the chaotic attractor (the first start's free run is already constant),
# and two of the four starts used then were among them. An exponent belongs to an attractor;
# a mean over starts mixes a chaotic attractor with a fixed point and describes neither. The
# median over all ten starts (the free runs' own starts) is the exponent of the attractor that
# most starts reach, 1.03 at 4096, and the notebook prints every start's value and how many
# starts land on a non-chaotic attractor (where $D_{stsp}$ and $D_H$ still count them). The
# median does not rescue a poor model: at seed 1111 (whose two $D_{stsp}$ headlines fail,
# 2.65 and a ratio of 2.67, as before this change) the exponents spread from −0.05 to 0.98 and
# the median reads 0.18, still failing, as the mean did (0.26). Seeds 0–4, 7, 11 and 8128 were
# rerun with the median (values above; 8128: 1.13) and the sabotage below was rerun; the band
# is unchanged. Cost: none measurable (the ten starts run as one batch).
#
# **Why teacher forcing fails here and GTF does not (our reading).** With noise of standard
# deviation $\sigma$ = 0.05 on the inputs, one-step regression shrinks the map toward the mean by
# about $1/(1+\sigma^2)$ per step, a damping of ≈ 0.25 per time unit, larger than the growth rate
# 0.094 of the weakly unstable equilibria $C_\pm$ of Lorenz-63 (eigenvalues $0.094\pm10.19i$):
# the learned map makes them attracting or traps the orbit on a cycle. In GTF the model is fed
# the forced states $\tilde z_t$, whose noise variance is only about
# $\alpha\sigma^2/(2-\alpha)$ (≈ 0.1 $\sigma^2$ at $\alpha$ = 0.19), so the damping falls below
# the instability. This is the paper's point that teacher forcing is not enough for noisy
# chaotic data.
#
# **Sabotage (the method broken on purpose, seed 0, notebook reruns; the reconstruction ones
# rerun in December 2026 with two hidden-layer draws).** GTF's $\alpha$ held at 1 for all stages
# (pure teacher forcing): $D_{stsp}$ 9.9 and the ratio 1.0 failed, and so did $\lambda_{\max}$
# (1.41; 1.46 as the median over ten starts, rerun December 2026); $D_H$ (0.036) still passed. $\alpha$ held at 0 (free running, plain BPTT over the
# 50-step windows): the line search rejected every step, the warm start was kept, and
# $D_{stsp}$ 10.5, the ratio 0.95 and $\lambda_{\max}$ 1.81 failed ($D_H$ 0.039 passed, so it is
# no evidence on its own). $\alpha^*$ replaced by 0 in the gradient
# experiment: the bounded-gradient headline failed (ratio 306) and so did the sanity check on
# the forced products (7·10⁵). The exploding-gradient headline was not sabotaged: it is a
# property of the chaotic data map, not of our code.
#
# **What we changed from the paper, and what did not work.** The official recipe (RAdam from
# the official initialisation, 250 000 steps, $\tilde T$ = 200, $L$ = 100) cannot run at ci
# scale. With 600 RAdam steps (this chapter's earlier version) none of aGTF, plain BPTT and
# teacher forcing learned the attractor (seeds 0–1: $D_{stsp}\approx$ 13, free runs on fixed
# points or small cycles), and with $\gamma$ = 0.999 every 5 steps $\alpha$ cannot fall below
# ≈ 0.89 in 600 steps. From the ridge warm start, RAdam at a fixed $\alpha$ ∈ {0.05, …, 0.3} for
# 150–600 steps gave $D_{stsp}$ jumping between 3.9 and 13 from one checkpoint to the next,
# even when selected on validation orbits (seed 0: 5.1 vs 6.7 for teacher forcing), adaptive GTF
# with $\gamma$ = 0.95 between 4.6 and 13, and full-batch L-BFGS on the GTF loss 6–12. The
# problem is badly conditioned (a wide random hidden layer): L-BFGS with 40 iterations per
# stage stopped at a GTF loss of 0.0160 per step where the preconditioned steps reach 0.0152.
# Hence the Gauss-Newton-preconditioned exact GTF gradient, the fixed random hidden layer
# ($W_2$, $h_2$ are not trained) and the geometric $\alpha$ schedule with validation selection
# instead of the aGTF rule: the same model, loss and forcing, a different optimiser. The
# `full` profile runs the same code with 20 orbits of 5 000 steps, $L$ = 1 000, 16 stages of
# 4 steps and $\alpha$ down to 0.1; its thresholds were *not calibrated* (no GPU run was made).
# ci own compute: ≈ 31 s of CPU at one thread (gradients ≈ 5 s, reconstruction with both
# hidden-layer draws and the Lyapunov exponents ≈ 25 s, seed 0) plus ≈ 6 s of kernel start and
# imports; the recorded wall time was 31–48 s per run with two notebooks running at once on a
# 2-core machine (seeds 0–4, 7, 11, 8128).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`hess2023generalized` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
