# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     provenance: []
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,accelerator,colab,-jupytext.text_representation.jupytext_version
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
# # Identifying Representations for Intervention Extrapolation
#
# This chapter reproduces {cite:t}`saengkyongam2024identifying` on the paper's kind of data: a
# simulator with planted truth, where two-dimensional actions $A$ shift two latent variables
# $Z=M_0A+V$, the learner sees only $X=g_0(Z)\in\mathbb R^{10}$ (an injective non-linear
# mixing) and an outcome $Y$ that is confounded with $Z$'s noise. The task is to predict
# $\mathbb E[Y\mid do(A=a^\star)]$ for actions **outside the training support** of $A$.
#
# **What is reproduced here:** Rep4Ex — an auto-encoder whose representation is forced to satisfy
# the paper's *linear invariance constraint* through a kernel maximum-moment-restriction (MMR)
# penalty, followed by a control-function regression — extrapolates the interventional curve
# beyond the training support with a smaller error than direct regression of $Y$ on $A$ (an MLP)
# and several times smaller than the same pipeline without the control function; the MMR
# constraint makes the learned representation closer to an affine map of the true latents than a
# plain auto-encoder's (the paper's identifiability result). The headline claims are asserted at
# the `ci` profile; that Rep4Ex-CF also beats the plain auto-encoder with a control function is
# reported at `ci` and asserted at `full`.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[sklearn] @ {src}"')

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import rep4ex as paper

ch = nonlinlab.Chapter("rep4ex", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Model** (§2 of the paper). Actions $A\in\mathbb R^k$ are exogenous and observed on a bounded
# training support; latents, observations and outcome follow (equation numbers on this page are
# ours; section numbers are the paper's)
#
# $$Z = M_0A + V,\qquad X = g_0(Z),\qquad Y = \ell(Z) + U, \tag{1}$$
#
# with $V\perp A$ of full support, $g_0$ injective, and $U\perp A$ but $\mathbb E[U\mid V]\neq 0$
# (hidden confounding between the latents and the outcome). Here $k=d=2$,
# $A\sim\mathrm{Unif}[-1,1]^2$, $M_0=\begin{psmallmatrix}1&0.5\\-0.3&1\end{psmallmatrix}$,
# $V\sim\mathcal N(0,0.6^2\,\Sigma)$ with $\Sigma$ of unit variances and correlation 0.3,
# $\ell(z)=2\tanh z_1+\tfrac12 z_2^2$ and $U = 2V_1 + 0.2\,\varepsilon$ (`paper.simulate`).
# The mixing is clearly non-linear: $X = g_0(Z) = Q\,f(Z)$ places $Z$ on a curved
# two-dimensional manifold of $\mathbb R^{10}$,
#
# $$f(z) = \big(z_1,\ z_2,\ c\,(z_1^2,\ z_2^2,\ z_1z_2,\ \sin 2z_1,\ \sin 2z_2,\
# \cos 2(z_1+z_2),\ z_1^3/3,\ z_2^3/3)\big),\qquad c = 0.5,$$
#
# rotated by a random orthogonal $Q$ (`paper.Mixing`; injective because $z$ is read off the
# first two coordinates of $Q^\top x$). Half of the variance of $X$ is in the curved features, so
# a representation that is simple in $X$ is a distorted function of $Z$.
#
# **Why extrapolation is possible** (§3). If $Z$ were observed, the *control function*
# $V = Z - M_0A$ would make $A$'s effect identifiable: $\mathbb E[Y\mid Z, V] = \ell(Z)+
# \mathbb E[U\mid V]$ is additive, both parts are learned where the data are, and
#
# $$\mathbb E[Y\mid do(A=a^\star)] = \mathbb E_V\big[\ell(M_0a^\star+V)+\mathbb E[U\mid V]\big]$$
#
# only needs $\ell$ on $M_0a^\star+V$ — seen in training because $V$ has full support — even
# when $a^\star$ itself never was.
#
# **Stage 1: identify $Z$ up to an affine map** (§4). An encoder
# $\phi$ satisfies the *linear invariance constraint* if $\mathbb E[\phi(X)-WA\mid A]$ is
# constant for some matrix $W$. Under the model, every such $\phi$ that keeps the information of
# $X$ (here: with a decoder $\eta$ that reconstructs $X$) equals $HZ+h$ with $H$ invertible,
# and an affine copy of $Z$ is all the control-function step needs. Rep4Ex (§5) trains
#
# $$\min_{\phi,\eta}\ \frac1n\sum_i\lVert X_i-\eta(\phi(X_i))\rVert^2+\lambda\,\mathrm{MMR}(\phi),
# \qquad \mathrm{MMR}(\phi)=\frac1{n^2}\sum_{i,j}\psi_i^\top\psi_j\,k(A_i,A_j), \tag{2}$$
#
# with $\psi_i=\phi(X_i)-\hat WA_i-\hat\alpha$ the residual of the least-squares fit of
# $\phi(X)$ on $(A,1)$ in the batch and $k$ a Gaussian kernel on $A$ (median-heuristic
# bandwidth): the MMR of Muandet et al. is zero exactly when the conditional moment restriction
# $\mathbb E[\psi\mid A]=0$ holds (`paper.mmr`, `paper.train_autoencoder`). Encoder and decoder
# are MLPs $10\to64\to64\to2$ and back (ELU), Adam, batch 256, $\lambda=300$ after a 200-step
# reconstruction-only warm-up. Each auto-encoder is trained `cfg.restarts` = 2 times (another
# initialisation and batch order) and the run with the lower training objective — the
# reconstruction error plus $\lambda\,$MMR on the whole training sample — is kept
# (`paper.fit_autoencoder`): model selection by the method's own loss, no test data.
#
# **Stage 2: control function** (§5, §5). With $\hat Z=\phi(X)$: OLS of $\hat Z$ on $(A,1)$
# gives $\hat M,\hat c$ and $\hat V = \hat Z-\hat MA-\hat c$; an additive model
# $Y\approx\nu(\hat Z)+\psi(\hat V)$ is fitted jointly, and
#
# $$\hat{\mathbb E}[Y\mid do(A=a^\star)]=\frac1n\sum_{i=1}^n\big[\nu(\hat Ma^\star+\hat c+\hat V_i)
# +\psi(\hat V_i)\big]. \tag{3}$$
#
# $\nu$ is a tensor-product cubic spline in $\hat Z$, $\psi$ an additive cubic spline in $\hat V$,
# fitted by one ridge regression (`paper.fit_control_function`).
#
# **Baselines** (§6): *MLP* — direct regression of $Y$ on $A$ ($2\to64\to64\to1$, ReLU, Adam
# on mini-batches of 128 for 1,500 steps);
# *AE-CF* — the same two stages on a plain auto-encoder ($\lambda=0$, same architecture, seeds,
# steps and restarts, ranked by its reconstruction error); *Oracle-CF* — stage 2 on the true $Z$; and the ablation *Rep4Ex, no CF* — the Rep4Ex
# representation with $\psi$ dropped, $Y\approx\nu(\hat Z)$.
#
# **Metrics.** Mean squared error of the estimated curve against a Monte-Carlo ground truth
# ($2\times10^4$ draws of $V$ in `ci`) on the grid $a^\star=t\,e_j$, $j=1,2$, $\lvert t\rvert\le
# 2.5$, split into inside ($\lvert t\rvert\le1$) and outside the training support; and the
# affine-identifiability $R^2$ of the linear regression of $Z$ on $\hat Z$ (§6).
#
# First an oracle of stage 2: with the true latents the estimator of Eq. 3 recovers the curve,
# and it is unchanged when $Z$ is replaced by a rescaled and shifted copy (the affine invariance
# the method relies on; exact for per-coordinate maps because the spline knots are quantiles).

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nonlinlab.core import color

rng = np.random.default_rng(ch.seed)
demo = paper.simulate(cfg, rng)
a_star, inside = paper.test_grid(cfg)
truth = paper.true_do_curve(a_star, cfg, np.random.default_rng(ch.seed + 10_000))
cf_z = paper.fit_control_function(demo["Z"], demo["A"], demo["Y"], cfg).do(a_star)
Zs = demo["Z"] * np.array([3.0, 0.5]) + np.array([1.0, 2.0])
cf_zs = paper.fit_control_function(Zs, demo["A"], demo["Y"], cfg).do(a_star)
oracle = {"max abs change under Ẑ = diag(3, 0.5) Z + (1, 2)": np.abs(cf_z - cf_zs).max(),
          "MSE against the truth, outside the support": np.mean((cf_z - truth)[~inside] ** 2)}
pd.Series(oracle, name="Oracle-CF").to_frame().map(lambda v: f"{v:.2e}")

# %% [markdown]
# ## Experiments
#
# Two replicates in `ci` (`full` averages five, with five times the data and four times the
# steps), each its own simulated world (seeds `seed` and `seed + 7919`): simulate, train the
# Rep4Ex and plain auto-encoders, run the four estimators and the ablation on the same data.
# The table and the claims average the replicates; the figures show the first.

# %%
out = paper.run_experiment(cfg, ch.seed, device=ch.device)
res = out["first"]
labels = {"Oracle-CF": "Oracle-CF (true $Z$)", "Rep4Ex-CF": "Rep4Ex-CF",
          "AE-CF": "AE-CF ($\\lambda=0$)", "MLP": "MLP($A\\to Y$)",
          "Rep4Ex, no CF": "Rep4Ex, no control function"}
table = pd.DataFrame({labels[k]: {"MSE inside support": v["in"], "MSE outside support": v["out"],
                                  "affine $R^2$ ($Z$ on $\\hat Z$)": out["r2"].get(k, np.nan)}
                      for k, v in out["mse"].items()}).T
table.style.format(lambda v: "—" if np.isnan(v) else f"{v:.3f}")

# %%
n_g = cfg.n_grid
t = a_star[:n_g, 0]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=False)
for j, ax in enumerate(axes):
    sl = slice(j * n_g, (j + 1) * n_g)
    ax.axvspan(-cfg.a_max, cfg.a_max, color="0.9", label="training support")
    ax.plot(t, res["truth"][sl], "k-", lw=2.5, label="truth (Monte Carlo)")
    for i, k in enumerate(["Oracle-CF", "Rep4Ex-CF", "AE-CF", "MLP", "Rep4Ex, no CF"]):
        ax.plot(t, res["curves"][k][sl], "--" if k != "Rep4Ex-CF" else "-", color=color(i),
                label=labels[k])
    ax.set(xlabel=f"$a^\\star = t\\,e_{j + 1}$:  $t$", ylabel="$E[Y\\mid do(A=a^\\star)]$",
           ylim=(res["truth"][sl].min() - 3, res["truth"][sl].max() + 3))
axes[0].legend(fontsize=7, loc="upper left")
plt.show()

# %% [markdown]
# **Figure 1.** Interventional curves $a^\star\mapsto\mathbb E[Y\mid do(A=a^\star)]$ along the
# two action axes (left: $a^\star=te_1$, right: $a^\star=te_2$); grey: the training support of
# $A$. Inside it every method is close; outside, the MLP continues its fit linearly and misses
# the curvature, the model without control function carries the confounding bias
# $\mathbb E[U\mid\hat Z]$ along, and Rep4Ex-CF stays close to the truth (mirrors the paper's
# Fig. 1 illustration and the extrapolation curves of its §6).

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
Z = res["data"]["Z"]
for ax, k in zip(axes[:2], ["Rep4Ex-CF", "AE-CF"], strict=True):
    Zh = res["reps"][k]
    Zh1 = np.column_stack([Zh, np.ones(len(Zh))])
    Zfit = Zh1 @ np.linalg.lstsq(Zh1, Z, rcond=None)[0]
    for c in range(2):
        ax.scatter(Z[:, c], Zfit[:, c], s=2, alpha=0.3, color=color(c), label=f"$Z_{c + 1}$")
    lim = [Z.min(), Z.max()]
    ax.plot(lim, lim, "k:", lw=1)
    ax.set(title=f"{labels[k]}: $R^2$ = {res['r2'][k]:.3f}", xlabel="true latent $Z_c$",
           ylabel="affine fit from $\\hat Z$")
    ax.legend(fontsize=8, markerscale=4)
ax = axes[2]
for i, k in enumerate(["Rep4Ex", "AE"]):
    tr = res["trace"][k]
    ax.plot(tr["step"], tr["mmr"], color=color(i + 1), label=f"{k}: MMR (Eq. 2)")
ax.axvline(cfg.warmup, color="0.5", ls=":", lw=1)
ax.set(yscale="log", xlabel="training step", ylabel="MMR of the standardised $\\hat Z$")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** Affine identifiability. Left and middle: each true latent against its best affine
# reconstruction from the learned representation, for Rep4Ex (MMR-constrained) and the plain
# auto-encoder; points on the diagonal mean $\hat Z$ is an affine map of $Z$ (mirrors the
# affine-$R^2$ results of the paper's §6). Right: the MMR penalty of Eq. 2 during training
# on the training batch (dotted: end of the warm-up), lower for Rep4Ex than for the plain
# auto-encoder at most logged steps; the batch estimate is noisy and, as a V-statistic, carries
# a positive diagonal term of order $d/b$ ($b$ = 256), so it never reaches zero.

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.6))
names = ["Oracle-CF", "Rep4Ex-CF", "AE-CF", "Rep4Ex, no CF", "MLP"]
order = ["Oracle-CF", "Rep4Ex-CF", "AE-CF", "MLP", "Rep4Ex, no CF"]  # colours of Figure 1
x = np.arange(len(names))
for w, (where, hatch) in enumerate([("in", ""), ("out", "//")]):
    ax.bar(x + (w - 0.5) * 0.38, [out["mse"][k][where] for k in names], 0.38,
           color=[color(order.index(k)) for k in names], hatch=hatch, edgecolor="k",
           label=f"{where}side the training support")
ax.set(yscale="log", xticks=x, ylabel="MSE of $E[Y\\mid do(A=a^\\star)]$")
ax.set_xticklabels([labels[k] for k in names], rotation=20, fontsize=8)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 3.** Mean squared error of the interventional curve inside (plain) and outside
# (hatched) the training support, log scale (mirrors the MSE comparison of the paper's §6).

# %% [markdown]
# ## Reproduction check
#
# Headline: Rep4Ex-CF extrapolates — its out-of-support error is below the MLP's and small in
# absolute terms (the true curve's variance there is ≈ 3.4; without the control function the MSE
# is 2–5); the MMR constraint raises the affine $R^2$ well above the plain auto-encoder trained
# with the same seed and steps. Thresholds were set on seeds 0–4 at the `ci` profile (values in
# the discussion); the comparison with AE-CF is reported at `ci` (it fails at seed 11 since
# both auto-encoders get restarts — discussion) and asserted at `full`.

# %%
mse, r2 = out["mse"], out["r2"]
var_out = float(np.var(res["truth"][~inside]))
ch.claims.less("out-of-support MSE: Rep4Ex-CF / MLP(A→Y)",
               mse["Rep4Ex-CF"]["out"] / mse["MLP"]["out"], 1.0, kind="headline",
               paper="MLP fails to extrapolate, Rep4Ex-CF does (§6 simulations)",
               note=f"Rep4Ex-CF {mse['Rep4Ex-CF']['out']:.3f}, MLP {mse['MLP']['out']:.3f}")
ch.claims.less("out-of-support MSE of Rep4Ex-CF", mse["Rep4Ex-CF"]["out"], 1.0, kind="headline",
               paper="E[Y|do(a*)] predicted well beyond the training support (§6 simulations)",
               note=f"variance of the true curve there {var_out:.2f}; without control "
                    f"function {mse['Rep4Ex, no CF']['out']:.2f}")
ch.claims.greater("affine R²: Rep4Ex − plain AE (same seed, steps)",
                  r2["Rep4Ex-CF"] - r2["AE-CF"], 0.03, kind="headline",
                  paper=paper.PAPER_IDENT,
                  note=f"Rep4Ex {r2['Rep4Ex-CF']:.4f}, AE {r2['AE-CF']:.4f}")
ch.claims.greater("out-of-support MSE: Rep4Ex without control function − Rep4Ex-CF",
                  mse["Rep4Ex, no CF"]["out"] - mse["Rep4Ex-CF"]["out"], 1.0,
                  paper="the control function removes the confounding bias (§3)",
                  note=f"no CF {mse['Rep4Ex, no CF']['out']:.2f}")
ch.claims.less("out-of-support MSE: Rep4Ex-CF / AE-CF", mse["Rep4Ex-CF"]["out"]
               / mse["AE-CF"]["out"], 1.0, asserted_at=("full",),
               paper="AE-CF fails to extrapolate (§6 simulations)",
               note=f"AE-CF {mse['AE-CF']['out']:.3f}")
ch.claims.greater("affine R² of Rep4Ex", r2["Rep4Ex-CF"], 0.96, paper=paper.PAPER_IDENT,
                  note=f"reverse direction ($\\hat Z$ on $Z$) {out['r2_rev']['Rep4Ex-CF']:.4f}")
ch.claims.less("Oracle-CF out-of-support MSE (true Z)", mse["Oracle-CF"]["out"], 0.3,
               paper="control function identifies E[Y|do(a*)] given Z (§3)")
ch.claims.less("in-support MSE of Rep4Ex-CF", mse["Rep4Ex-CF"]["in"], 0.2, kind="sanity",
               note=f"MLP {mse['MLP']['in']:.3f}")
ch.claims.less("Eq. 3 under a per-coordinate affine map of Z (max abs change)",
               oracle["max abs change under Ẑ = diag(3, 0.5) Z + (1, 2)"], 1e-6,
               kind="sanity", paper="affine invariance of the control-function estimator")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The paper's central claims hold at this scale on every seed we ran (0–5, 7,
# 11). With a clearly non-linear mixing, the plain auto-encoder's code is a distorted function
# of $Z$ (affine $R^2$ 0.896–0.935), while the MMR-constrained auto-encoder recovers $Z$ up to an
# affine map ($R^2$ 0.984–0.992) — the identifiability result of §4. With that representation
# and the control function, the interventional curve is recovered outside the training support
# of $A$ (out-of-support MSE 0.07–0.46; the true curve's variance there is ≈ 3.4), better than
# the direct MLP (0.21–1.62) and than the same pipeline on the plain auto-encoder (AE-CF,
# 0.57–1.29), whose distorted representation breaks the additive structure that Eq. 3 relies
# on. Without the control function the confounding $U=2V_1$ biases the extrapolation (2.0–5.2).
# With the true latents the same estimator is nearly exact (Oracle-CF 0.010–0.031), as §3
# predicts.
#
# **Values over seeds 0–4 (then 5, 7, 11) against the thresholds** (`ci`). Affine $R^2$ gap
# Rep4Ex − AE 0.070, 0.055, 0.091, 0.057, 0.079 (5: 0.083, 7: 0.096, 11: 0.066; > 0.03, worst
# margin 0.025); Rep4Ex-CF / MLP out-of-support MSE 0.446, 0.134, 0.067, 0.375, 0.531 (5: 0.093,
# 7: 0.545, 11: 0.262; < 1, worst margin 0.45); Rep4Ex-CF out-of-support MSE 0.449, 0.070, 0.078,
# 0.179, 0.462 (5: 0.111, 7: 0.114, 11: 0.423; < 1.0); no-CF − Rep4Ex-CF 2.71, 3.32, 3.50, 1.83,
# 3.35 (5: 2.99, 7: 3.78, 11: 4.78; > 1.0); Rep4Ex-CF / AE-CF 0.791, 0.101, 0.060, 0.190, 0.657
# (5: 0.164, 7: 0.111, 11: 0.519; < 1, the thinnest comparison, worst margin 0.21 at seed 0);
# Rep4Ex $R^2$ ≥ 0.984 (> 0.96); Oracle-CF ≤ 0.031 (< 0.3); in-support MSE ≤ 0.03 (< 0.2).
#
# **Restarts (added after a lead's check).** A lead's run of every chapter at seed 99, a seed
# nobody calibrated on, failed four claims: the single Rep4Ex run had stalled (affine $R^2$
# 0.62, out-of-support MSE 1.83, in-support 0.38). Its training objective showed it: 0.119
# against 0.050 and 0.031 for two further initialisations of the same data, both with $R^2$
# 0.99, while on seeds 0 and 1 the three objectives were within 0.022–0.039 and all $R^2$ ≥ 0.98.
# So every auto-encoder — Rep4Ex's and the plain one alike — is now trained twice and the lower
# objective kept (restart 0 is the former run, so seeds whose first run wins are unchanged).
# At seed 99 every claim then holds ($R^2$ 0.987, out-of-support MSE 0.37). The restarts also
# improve the plain auto-encoder, and the thinnest comparison, Rep4Ex-CF / AE-CF, then fails
# at seed 11 (1.11; it was 0.52 with one run each): it goes to reported at `ci`. The values in
# the paragraph above were measured before the restarts; with them the headline rows at seeds
# 0–4, 7, 11, 99 read: $R^2$ gap 0.057–0.090 (> 0.03), Rep4Ex-CF / MLP 0.13–0.55 (< 1),
# out-of-support MSE 0.07–0.49 (< 1); seeds 42 and 123 pass too (0.074 / 0.057, 0.61 / 0.62,
# 0.75 / 0.43). Own compute rose from about 15 to 18–27 s.
#
# **Two replicates at `ci` (December 2026).** Every number above is one replicate, one simulated
# world per seed. In a run of every chapter at seed 2357, a seed nobody calibrated on, the
# headline "out-of-support MSE of Rep4Ex-CF" read 1.236 against < 1 (the other rows passed:
# MLP ratio 0.83, $R^2$ gap 0.038), and AE-CF did better (0.86). Nothing had stalled: four
# restarts instead of two give the same Rep4Ex run (objective, $R^2$ 0.983, MSE 1.236). That
# world is one where the recovered representation, though close to affine ($R^2$ 0.983, the
# low end of 0.983–0.995 over 30 worlds), extrapolates poorly: over 31 other worlds (23 seeds'
# sweeps, 8 fresh) the single-world value read 0.05–0.87 — and 1.298 in one more, seed 10276.
# The page now averages `cfg.n_seeds` = 2 replicates, as `full` averages five: seeds `seed` and
# `seed + 7919`, each its own world, auto-encoders and estimators (the figures show the first;
# restart and seed conventions unchanged). Over seeds 0–4, 7, 11 and 99 the two-world means read:
# Rep4Ex-CF / MLP 0.274, 0.606, 0.336, 0.233, 0.351, 0.353, 0.296, 0.248 (< 1, worst margin
# 0.39, seed 1); out-of-support MSE 0.298, 0.269, 0.286, 0.177, 0.304, 0.228, 0.358, 0.334
# (< 1); $R^2$ gap 0.069, 0.065, 0.104, 0.068, 0.056, 0.063, 0.078, 0.061 (> 0.03, worst
# margin 0.026, seed 4); no-CF − Rep4Ex-CF 3.45, 2.39, 3.38, 3.67, 3.41, 3.91, 5.30, 2.88
# (> 1); Rep4Ex $R^2$ ≥ 0.988; Oracle-CF ≤ 0.038; the reported Rep4Ex-CF / AE-CF 0.155–0.674
# (< 1 on all eight). **Seed 2357 still fails** (1.267): its second world, seed 10276, is the
# other tail world above (1.298), so both halves of the mean are in the tail; with one world
# per seed the row failed on 2 of 33 worlds, with two it needs both in the tail or one far
# beyond anything seen (> 1.7). Averaging three worlds would put the estimate at 72 s, past
# the 60-s budget. Cost of the second world: the estimate goes from 24 to 48 s; measured 39–45 s
# of wall time, two notebooks at a time.
#
# **What it took.** A first version of this chapter used an injective LeakyReLU(0.2) network as
# the mixing, with $V$ as spread as $A$. There the plain auto-encoder was already almost affine
# in $Z$ ($R^2$ 0.95–0.98 against 0.98–0.99 for Rep4Ex), the identifiability gain was 0.002–0.03
# and the AE-CF comparison went either way — the regime says little about the paper's theory.
# Two changes made the effect large: (i) the curved mixing above, in which half the variance of
# $X$ lies in non-linear features of $Z$, so a code that is simple in $X$ is far from affine in
# $Z$; (ii) $V$ less spread ($0.6^2\Sigma$ instead of $\Sigma$), so that the action moves $Z$
# well beyond the noise and a distortion of $Z$ shows up as a conditional mean that is non-linear
# in $A$ — which is what the MMR penalises. With the curved mixing and unit-variance $V$, the
# $R^2$ gap on seeds 0–1 was 0.015 and 0.007 at $\lambda=10$ and 0.076 and 0.033 at
# $\lambda=100$ (Rep4Ex $R^2$ 0.95); with $V$ at $0.6^2\Sigma$ it was 0.075 and 0.055 (Rep4Ex
# $R^2$ 0.99). $\lambda=300$ kept the gaps and lowered the
# worst MLP ratio over seeds 0–4 and 7 from 0.76 to 0.55 (seed 3: 0.75 → 0.38, seed 7: 0.76 →
# 0.55), though not on every seed (seed 0: out-of-support MSE 0.16 → 0.45), so it is the default.
# Mixings that were too strong broke both auto-encoders, with or without the constraint
# (curvature 1.0 at $\lambda=10$: $R^2$ 0.52–0.60; a saturating tanh network: 0.72–0.74 on one
# seed of two). The MLP baseline is
# trained on mini-batches of 128: a full-batch MLP overfits the noisy outcome and extrapolates
# far worse, which would make its headline trivially true; we report the fair baseline.
#
# **Where the chapter deviates, and why.** The official code was not available to us offline;
# the penalty follows the paper's text and the MMR of Muandet et al. (V-statistic, Gaussian
# kernel on $A$, median-heuristic bandwidth fixed once per run), with two choices of ours: the
# residuals are computed on the batch-standardised representation (the MMR is quadratic in the
# scale of $\phi$, which an encoder–decoder pair could shrink for free) and $\lambda$ starts
# after a reconstruction-only warm-up. Stage 2 uses splines and ridge instead of neural networks
# (any additive learner is allowed by the paper's argument; splines are deterministic and fast).
# The simulator follows the structure of the paper's §6 (two actions, two latents, an injective
# non-linear mixing to ten dimensions, a confounded non-linear outcome); the mixing's form and
# all constants are ours.
#
# **Breaking the method** (seed 0, the whole notebook rerun with a temporary edit; rerun in
# December 2026 with the two replicates). (1) The control function dropped ($\psi(\hat V)$
# removed from stage 2 for every representation): the extrapolation headlines fail — MLP ratio
# 3.43 (needs < 1), absolute error 3.74 (needs < 1.0), no-CF gap 0 — with the AE-CF ratio
# (1.60), Oracle-CF (3.09) and the in-support sanity check (0.22); the $R^2$ gap passes (0.069),
# as it should — the representation is untouched. (2) The MMR penalty dropped ($\lambda=0$ for
# the Rep4Ex auto-encoder): the identifiability headline fails ($R^2$ gap 0, needs > 0.03), and so
# does the Rep4Ex $R^2$ (0.918, needs > 0.96), the AE-CF ratio reads 1.0; the extrapolation
# headlines still pass on this seed (MSE 0.65, MLP ratio 0.59) — the control function does most
# of the work against the MLP, which is why the $R^2$ comparison is a headline of its own.
# (With one replicate the same sabotages read 3.14, 3.16, 0, 1.38, 2.86 and 0, 0.913, 1.0, 0.57,
# 0.56.)
#
# **Not run here.** The `full` profile (five replicates, $n=10{,}000$, 8,000 steps at batch
# 1,024, width 128) is written but was not run while writing this chapter; its cost on paper is
# `paper.estimate_seconds(cfg)` ≈ 6 min on one GPU.
#
# **Cost.** A whole `ci` run (kernel start and imports included) took ≈ 24 s of CPU time
# (single thread) on the shared 2-core machine with one replicate, about half of it the two
# auto-encoders; with two replicates 39–45 s of wall time (budget 60 s).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`saengkyongam2024identifying` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
