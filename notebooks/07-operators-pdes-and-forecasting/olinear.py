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
# # OLinear: A Linear Model for Time Series Forecasting in Orthogonally Transformed Domain
#
# This chapter reproduces {cite:t}`yue2025olinear`.
#
# **What is reproduced here:** OLinear — a forecaster that moves every look-back window into
# the eigenbasis of the series' temporal correlation matrix (*OrthoTrans*), mixes the variates
# with a learned row-stochastic matrix instead of self-attention (*NormLin*), and maps the
# forecast back with the horizon's eigenbasis — on **real data**, the ETTh1 benchmark (7
# variates of an electricity transformer, hourly, the standard 12/4/4-month split, look-back
# 96). At horizon 96 we train OLinear, iTransformer and RLinear with the same loader and check
# the paper's headline: OLinear forecasts better than both, at an MSE close to the paper's
# 0.360. We check that OrthoTrans decorrelates held-out windows, and run the paper's
# ablations (the identity basis, a random orthogonal basis; attention in place of NormLin at the
# `full` profile, which also runs all four horizons and ETTh2).
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
from nonlinlab.papers import olinear as paper

ch = nonlinlab.Chapter("olinear", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **OrthoTrans.** Take one variate $x^{(n)}$ of the *training* series and stack all its windows
# of length $T$ as rows of a lag matrix; its $T\times T$ covariance $C^{(n)}$, scaled to a
# correlation matrix and averaged over the $N$ variates, is the temporal Pearson correlation
# matrix of the dataset,
# $$\Sigma=\frac1N\sum_{n}D_n^{-1/2}C^{(n)}D_n^{-1/2}=V\Lambda V^\top,\qquad
# Q=V^\top\ \ (\text{rows: eigenvectors},\ \lambda_1\ge\lambda_2\ge\dots),$$
# so that $Q\Sigma Q^\top=\Lambda$: the coordinates $Qx$ of a window are decorrelated. Two such
# bases are built, $Q_{in}\in\mathbb R^{L\times L}$ for the look-back and
# $Q_{out}\in\mathbb R^{H\times H}$ for the horizon (`paper.temporal_correlation`,
# `paper.ortho_basis`).
#
# **OLinear.** For a window $X\in\mathbb R^{L\times N}$ (RevIN-normalised with a learned affine
# map), each variate $x_n\in\mathbb R^L$ is extended to $x_n\phi^\top\in\mathbb R^{L\times E}$
# with a learned $\phi\in\mathbb R^E$, transformed along time, $\tilde x_n=Q_{in}x_n\phi^\top+\delta_1$,
# flattened and embedded by `Linear(EL, D)` into one token per variate; a stack of NormLin
# blocks mixes the $N$ tokens; `Linear(D, EH)` gives $\tilde y_n$, which returns to the time
# domain with $y_n=Q_{out}^\top\tilde y_n+\delta_2$, and a per-variate MLP
# `Linear(EH, d_ff)`–GELU–`Linear(d_ff, H)` (the *intra-series learner*) gives the forecast,
# de-normalised by RevIN.
#
# **NormLin** replaces self-attention by a learned, input-independent mixing of the variates,
# $$A=\mathrm{RowNorm}_{L_1}\big(\mathrm{Softplus}(W)\big),\qquad
# Z\leftarrow\mathrm{LN}\big(Z+W_o\,A\,W_vZ\big),\qquad Z\leftarrow\mathrm{LN}\big(Z+\mathrm{FFN}(Z)\big),$$
# with $W\in\mathbb R^{N\times N}$ initialised at $I+\mathcal N(0,1)$: every row of $A$ is a
# probability vector, like an attention map, but with no queries or keys (`paper.NormLinBlock`).
#
# **Training** follows the official code: the weighted L1 loss
# $\frac1{HN}\sum_{h,n}(h+1)^{-\alpha}|y_{hn}-\hat y_{hn}|$ with $\alpha=0.5$ (also the
# early-stopping criterion), Adam, the learning rate halved after each epoch, the
# best-validation weights restored (`paper.fit_olinear`). iTransformer and RLinear are the
# shared implementations (`nonlinlab.models.forecasting`), trained with their official MSE
# loss by the same protocol (`fit_forecaster`). Test MSE and MAE are averaged over all test
# windows, steps and variates on the z-scored scale, as in the paper's tables.
#
# **A property worth knowing.** $Q_{in}$ sits right before a learned linear layer and
# $Q_{out}^\top$ right after one, so any orthogonal $Q$ — the data's eigenbasis, the identity,
# a random rotation — gives the *same set of functions* (the tests fold $Q$ into the weights
# and recover the model exactly). OrthoTrans changes the coordinates in which Adam and the
# initialisation work, not what the model can express; the ablations below measure how much
# that matters on ETTh1.

# %% [markdown]
# ## Experiments
#
# ### Data and the orthogonal bases
#
# ETTh1 ships with the library (unmodified, md5-checked); the splits are the standard
# 12/4/4 months, z-scored with training statistics only. $\Sigma$ and $Q$ are estimated from
# the training months only.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.fft

from nonlinlab.core import color, progress
from nonlinlab.data.ett import COLUMNS

L = cfg.lookback
loaded = {name: paper.load(name, cfg) for name in cfg.datasets}
data, bases = loaded["ETTh1"]
Q, lam, sigma = bases.Q[L], bases.lam[L], bases.sigma[L]
pd.DataFrame({split: {"windows (H = 96)": len(data.windows(split, 96)[0]),
                      "rows": len(getattr(data, split))} for split in ("train", "val", "test")})

# %% [markdown]
# Checks of the basis before anything is trained: orthogonality, diagonalisation of
# $\Sigma$, and — on the *test* months, which $Q$ never saw — how much correlation is left
# between the coordinates (mean absolute off-diagonal correlation) in the time domain, in the
# OrthoTrans domain and after a random rotation.

# %%
orth_err = float(np.abs(Q @ Q.T - np.eye(L)).max())
D = Q @ sigma @ Q.T
diag_err = float(np.abs(D - np.diag(np.diag(D))).max() / np.abs(sigma).max())
Q_rand = paper.random_orthogonal(L, ch.seed)
corr = {"time domain": paper.coordinate_correlation(data.test, None, L),
        "OrthoTrans ($Q$)": paper.coordinate_correlation(data.test, Q, L),
        "random rotation": paper.coordinate_correlation(data.test, Q_rand, L)}
offdiag = {k: paper.offdiag_abs_mean(c) for k, c in corr.items()}
train_ratio = (paper.offdiag_abs_mean(paper.coordinate_correlation(data.train, Q, L))
               / paper.offdiag_abs_mean(paper.coordinate_correlation(data.train, None, L)))
pd.Series(offdiag, name="mean |off-diagonal correlation|, test windows").round(4).to_frame()

# %%
dct = scipy.fft.dct(np.eye(L), type=2, norm="ortho", axis=0)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
im = axes[0].imshow(sigma, cmap="viridis", vmin=min(0, sigma.min()), vmax=1)
axes[0].set(xlabel="time step $j$ (h)", ylabel="time step $i$ (h)",
            title="temporal correlation $\\Sigma$ (train)")
fig.colorbar(im, ax=axes[0], shrink=0.8)
for k in range(4):
    sign = np.sign(Q[k] @ dct[k]) or 1.0
    axes[1].plot(sign * Q[k], color=color(k), label=f"$q_{k + 1}$")
    axes[1].plot(dct[k], color=color(k), ls=":", lw=1)
axes[1].set(xlabel="time step within the window (h)", ylabel="basis vector entry",
            title="leading rows of $Q$ (— ) vs DCT-II (··)")
axes[1].legend(ncol=2, fontsize=8)
axes[2].semilogy(np.arange(1, L + 1), np.clip(lam, 1e-6, None), "o", ms=3, color=color(0))
axes[2].set(xlabel="index $k$", ylabel="eigenvalue $\\lambda_k$",
            title="spectrum of $\\Sigma$ (variance of coordinate $k$)")
plt.show()

# %% [markdown]
# **Figure 1.** OrthoTrans on ETTh1 (look-back $L=96$, training months): the temporal
# correlation matrix $\Sigma$ (left), the four leading eigenvectors (rows of $Q$, solid)
# beside the first four DCT-II basis vectors (dotted; the eigenbasis of a strongly correlated
# AR(1) series tends to the DCT, see the tests), and the eigenvalues, i.e. the variances of the
# transformed coordinates (right). ETTh1 is not AR(1)-like: after the nearly constant $q_1$,
# its leading vectors are a pair of daily (24-hour) sinusoids in quadrature — the data's own
# basis, which a fixed DCT does not give. The left and middle panels mirror the "Corr Mat" and
# "Q Mat" columns of the time-domain vs transformed-domain figure of {cite:t}`yue2025olinear`
# (shown there for ECL, PEMS03, Weather, Solar and CarSales); the right panel has no
# counterpart in the paper.

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
for ax, (name, c) in zip(axes, corr.items(), strict=True):
    im = ax.imshow(np.abs(c), cmap="viridis", vmin=0, vmax=1)
    ax.set(xlabel="coordinate $j$", ylabel="coordinate $i$",
           title=f"{name}: mean off-diag {offdiag[name]:.3f}")
fig.colorbar(im, ax=axes, shrink=0.8, label="|Pearson correlation|")
plt.show()

# %% [markdown]
# **Figure 2.** Absolute correlation between the 96 coordinates of the *test* windows of
# ETTh1 (all variates pooled) in the time domain (left), after OrthoTrans with $Q$ estimated on
# the training months (middle) and after a random rotation (right). OrthoTrans leaves the
# coordinates nearly uncorrelated on data it never saw; a random rotation does not. No
# counterpart in the paper: it measures the decorrelation that {cite:t}`yue2025olinear` state
# as the purpose of OrthoTrans.

# %% [markdown]
# ### Forecasting ETTh1 (mirrors Table 1 and the full results)
#
# OLinear, the ablations, iTransformer and RLinear, trained from the same windows with the
# same protocol and seed. Sizes of this profile: OLinear with $D$ = `cfg.d_model`, $E$ =
# `cfg.embed` (paper: 512 and 16), `cfg.epochs` epochs of at most `cfg.steps_per_epoch`
# batches of 32 (paper: 30 epochs over all windows, patience 8).

# %%
runs = paper.run_table(cfg, seed=ch.seed, device=ch.device, progress=progress, loaded=loaded)
paper_ref = {"ETTh1": paper.PAPER_ETTH1, "ETTh2": paper.PAPER_ETTH2}
rows = []
for (ds, H, name), r in runs.items():
    ref = paper_ref[ds].get(name, {}).get(H, (np.nan, np.nan))
    rows.append({"dataset": ds, "H": H, "model": name, "MSE": r.mse, "MAE": r.mae,
                 "paper MSE": ref[0], "paper MAE": ref[1], "steps": r.log.steps})
table = pd.DataFrame(rows).set_index(["dataset", "H", "model"])
table.round(3)

# %%
r96 = {name: runs[("ETTh1", 96, name)] for name in paper.model_names(cfg, 96)}
x_te, y_te = data.windows("test", 96)
i0 = len(x_te) // 2  # one test window, mid-way through the test months
ot = COLUMNS.index("OT")
fig, axes = plt.subplots(1, 2, figsize=(12, 3.4), width_ratios=[2, 1])
t_in, t_out = np.arange(-L, 0), np.arange(96)
axes[0].plot(t_in, x_te[i0, :, ot], color="0.4", label="look-back")
axes[0].plot(t_out, y_te[i0, :, ot], color="black", label="truth")
for j, name in enumerate(("OLinear", "iTransformer", "RLinear")):
    axes[0].plot(t_out, r96[name].pred[i0, :, ot], color=color(j), label=name)
axes[0].set(xlabel="hours from the forecast origin", ylabel="OT (z-scored)",
            title="ETTh1, oil temperature, one test window")
axes[0].legend(fontsize=8, ncol=2)
names = list(r96)
axes[1].barh(names, [r96[n].mse for n in names], color=[color(j) for j in range(len(names))])
axes[1].axvline(paper.PAPER_ETTH1["OLinear"][96][0], color="black", ls="--", lw=1)
axes[1].set(xlabel="test MSE (z-scored)", title="ETTh1, $H=96$ (- - paper's OLinear)",
            xlim=(0.3, max(r.mse for r in r96.values()) * 1.05))
axes[1].invert_yaxis()
plt.show()

# %% [markdown]
# **Figure 3.** Left: the oil temperature (OT) of one ETTh1 test window, its 96-hour
# look-back and the forecasts of OLinear, iTransformer and RLinear (no counterpart in the
# paper). Right: test MSE at $H=96$ of every model of this run, with the paper's OLinear MSE
# dashed (mirrors the ETTh1 rows of the paper's Table 1 and full-results table).

# %%
A = [a.numpy() for a in r96["OLinear"].model.mixing_matrices()]
rowsum_err = max(float(np.abs(a.sum(1) - 1).max()) for a in A)
min_entry = min(float(a.min()) for a in A)
fig, axes = plt.subplots(1, len(A), figsize=(4.2 * len(A), 3.6))
for k, (ax, a) in enumerate(zip(np.atleast_1d(axes), A, strict=True)):
    im = ax.imshow(a, cmap="viridis", vmin=0)
    ax.set(xticks=range(7), yticks=range(7), xticklabels=COLUMNS, yticklabels=COLUMNS,
           title=f"NormLin $A$, block {k + 1}", xlabel="source variate", ylabel="target variate")
    ax.tick_params(axis="x", labelrotation=90)
    fig.colorbar(im, ax=ax, shrink=0.8)
plt.show()

# %% [markdown]
# **Figure 4.** The learned NormLin mixing matrices $A$ of the two blocks of the trained
# OLinear (rows: the variate being updated; each row sums to 1). Mirrors the NormLin weight
# maps that {cite:t}`yue2025olinear` show beside attention maps.

# %% [markdown]
# ## Reproduction check
#
# The headline claims are the paper's Table 1 result on ETTh1 at $H=96$, run at this
# profile: OLinear beats iTransformer and RLinear trained by the same loader and protocol, and
# its MSE lies in a band around the paper's value; OrthoTrans improves OLinear over the same
# model without it ($Q=I$); and the paper's premise that OrthoTrans decorrelates the series,
# measured on the held-out test months. The NormLin-vs-attention ablation and the four-horizon
# average are asserted at `full` only (they are not run at `ci`). Thresholds were set from
# seeds 0–4 at the `ci` profile.

# %%
o, itr, rl = r96["OLinear"], r96["iTransformer"], r96["RLinear"]
p_o, p_i, p_r = (paper.PAPER_ETTH1[m][96] for m in ("OLinear", "iTransformer", "RLinear"))
ch.claims.less("ETTh1 $H=96$: MSE(OLinear) / MSE(iTransformer)", o.mse / itr.mse, 0.995,
               kind="headline", paper=f"{p_o[0]} / {p_i[0]} = {p_o[0] / p_i[0]:.3f}",
               note=f"ours {o.mse:.4f} vs {itr.mse:.4f}; same loader, split and seed")
ch.claims.less("ETTh1 $H=96$: MSE(OLinear) / MSE(RLinear)", o.mse / rl.mse, 0.96,
               kind="headline", paper=f"{p_o[0]} / {p_r[0]} = {p_o[0] / p_r[0]:.3f}",
               note=f"ours {o.mse:.4f} vs {rl.mse:.4f}")
ch.claims.between("ETTh1 $H=96$: test MSE of OLinear", o.mse, 0.36, 0.39, kind="headline",
                  paper=p_o[0], note="z-scored with training statistics; smaller model and "
                  "budget than the paper")
ch.claims.less("OrthoTrans decorrelates held-out windows: off-diagonal ratio, $Q$ vs time "
               "domain (test months)", offdiag["OrthoTrans ($Q$)"] / offdiag["time domain"],
               0.05, kind="headline", paper="temporal correlations removed in the transformed domain",
               note=f"random rotation: {offdiag['random rotation'] / offdiag['time domain']:.3f}")
ch.claims.less("ETTh1 $H=96$: MAE(OLinear) / MAE(iTransformer)", o.mae / itr.mae, 1.0,
               paper=f"{p_o[1]} / {p_i[1]} = {p_o[1] / p_i[1]:.3f}")
q_eye = r96.get("OLinear (Q = I)")
q_rand = r96.get("OLinear (random Q)")
ch.claims.less("ETTh1 $H=96$: MAE(OLinear) / MAE(OLinear, $Q=I$)",
               None if q_eye is None else o.mae / q_eye.mae, 0.999, kind="headline",
               paper="OrthoTrans improves OLinear (w/o OrthoTrans ablation)",
               note="same initial weights and batches, only the basis differs; MAE is what "
                    "the weighted L1 loss trains")
ch.claims.less("ETTh1 $H=96$: MAE(OLinear) / MAE(OLinear, random $Q$)",
               None if q_rand is None else o.mae / q_rand.mae, 0.999,
               paper="the data's eigenbasis beats data-independent bases",
               note="a Haar-random orthogonal $Q_{in}$, $Q_{out}$")
ch.claims.less("ETTh1 $H=96$: MSE(OLinear) / MSE(OLinear, $Q=I$)",
               None if q_eye is None else o.mse / q_eye.mse, 1.0, asserted_at="full",
               paper="OrthoTrans improves OLinear (w/o OrthoTrans ablation)",
               note="at ci the MSE gap is within 0–0.3 %, below what the seeds resolve")
att = r96.get("OLinear (attention)")
ch.claims.less("ETTh1 $H=96$: MSE(NormLin) / MSE(attention)",
               None if att is None else o.mse / att.mse, 1.0, asserted_at="full",
               paper="0.374 / 0.391 on ETTm1 (ablation table)")
avg = {m: np.mean([runs[("ETTh1", H, m)].mse for H in cfg.horizons]) for m in
       ("OLinear", "iTransformer")}
ch.claims.less("ETTh1, mean over $H\\in\\{96,192,336,720\\}$: MSE(OLinear) / MSE(iTransformer)",
               avg["OLinear"] / avg["iTransformer"] if len(cfg.horizons) == 4 else None, 1.0,
               asserted_at="full", paper="0.424 / 0.454 (full results)")
ch.claims.less("$Q$ is orthogonal: $\\max\\lvert QQ^\\top-I\\rvert$", orth_err, 1e-10, kind="sanity")
ch.claims.less("$Q\\Sigma Q^\\top$ is diagonal (max off-diagonal / max entry)", diag_err, 1e-10,
               kind="sanity")
ch.claims.less("decorrelation on the training windows (ratio to time domain)", train_ratio,
               0.05, kind="sanity", note="holds by construction: $Q$ diagonalises their $\\Sigma$")
ch.claims.holds("NormLin $A$ after training: entries > 0, rows sum to 1",
                bool(min_entry > 0 and rowsum_err < 1e-6), kind="sanity",
                ours=f"min entry {min_entry:.2e}, max row-sum error {rowsum_err:.1e}")
ch.claims.less("training split z-scored with its own statistics: largest absolute mean",
               float(np.abs(data.train.mean(0)).max()), 1e-4, kind="sanity",
               note="guards against test statistics in the normalisation")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** On ETTh1 at $H=96$, with the standard split and one loader for every model,
# OLinear forecasts better than iTransformer and RLinear on every seed, as in the paper's
# tables, and its test MSE (0.376–0.378 over seeds 0–4) is within 5 % of the paper's 0.360 with
# a model 4× narrower ($D=128$, $E=8$ vs 512, 16) trained for 360 batches instead of up to 30
# epochs. The gap to iTransformer is smaller than in the paper: MSE ratio 0.976–0.991 (paper
# 0.360/0.386 = 0.933), MAE ratio 0.979–0.988 (paper 0.946); RLinear is 6–7 % worse in MSE
# (paper 7 %). OrthoTrans does what the paper says on data it never saw: on the *test* months,
# the mean absolute off-diagonal correlation between the 96 coordinates falls from 0.243 in the
# time domain to 0.005 with $Q$ from the training months (ratio 0.020; a random rotation leaves
# 0.253). The learned NormLin matrices are row-stochastic with visibly structured rows
# (Figure 4), as in the paper's weight maps.
#
# **What is small.** The accuracy gain of OrthoTrans itself is real but tiny at this scale:
# with the same initial weights and batches, the data's basis lowers the test MAE by 0.2–0.5 %
# against $Q=I$ (ratio 0.9951–0.9980, seeds 0–4) and by 0.25–0.38 % against a random rotation;
# in MSE the gain is 0–0.5 % (seed 4: none), so the MSE version is only asserted at `full`. This
# is expected from the structure of the model (Method): any orthogonal $Q$ next to the learned
# `Linear` layers gives the same function class, so OrthoTrans can only help through the
# optimiser — Adam's per-coordinate steps act on decorrelated coordinates with variances
# $\lambda_k$ — and the size of that help is comparable to the spread between different random
# rotations (about 0.1 % in MAE). The paper's ablations also report gains of a few per cent or
# less on the ETT sets.
#
# **Values over seeds 0–4 (ci) against the thresholds** (worst margin in brackets):
# MSE(OLinear)/MSE(iTransformer) 0.976–0.991 (< 0.995; 0.004); MSE(OLinear)/MSE(RLinear)
# 0.927–0.939 (< 0.96; 0.021); OLinear MSE 0.3762–0.3783 (in [0.36, 0.39]; 0.007);
# MAE(OLinear)/MAE($Q=I$) 0.9951–0.9980 (< 0.999; 0.0010); MAE(OLinear)/MAE(random $Q$)
# 0.9962–0.9975 (< 0.999; 0.0015); MAE(OLinear)/MAE(iTransformer) 0.979–0.988 (< 1);
# test-month decorrelation ratio 0.020 (< 0.05; it does not depend on the seed). Seeds 7 and
# 11 pass every check: MSE ratio to iTransformer 0.982 and 0.988, to RLinear 0.940 and 0.939,
# OLinear MSE 0.378 and 0.378, MAE ratio to $Q=I$ 0.9967 and 0.9960, to a random $Q$ 0.9978
# and 0.9972. The two OrthoTrans claims have the thinnest margins of the ledger (0.1–0.2 %);
# they compare paired runs (same initial weights, same batches), whose difference varies much
# less from seed to seed than the MSE itself.
#
# **Where the chapter deviates, and why.** Sizes (ci): $D$ = d_ff = 128 and $E=8$ (official
# ETTh1: 512 and 16), 3 epochs of at most 120 batches of 32 with the learning rate halved each
# epoch and early stopping (official: 30 epochs, patience 8); lr 5e-4 and dropout 0.2 as the
# official ETTh1 script. iTransformer is the shared implementation at width 128 (official 256)
# and RLinear the shared one, both trained with MSE at lr 1e-3 by the same protocol; the paper
# copies their published numbers, which are shown beside ours. $\Sigma$ uses the symmetric
# Pearson normalisation of the paper's text; the official notebook divides the covariance by
# the column variances (the two differ by < 5e-3 on ETTh1, and their leading eigenvectors
# agree to 0.99 in the tests). $\Sigma$ is estimated on the 12 training months only; the
# official ETT files use the first 60 % of the rows, which reach into the validation months.
# The dimension extension is applied after $Q_{in}$ ($Q_{in}(x\phi^\top)=(Q_{in}x)\phi^\top$,
# the same numbers at $1/E$ of the cost). The per-horizon OLinear numbers in the table are the
# paper's full-results table (the Table 1 averages are ETT(avg) 0.359/0.376); the baselines'
# are those of the iTransformer paper, which OLinear's tables repeat.
#
# **Breaking the method** (seed 0). *Q replaced by a random orthogonal matrix* (in
# `fit_bases`): the decorrelation headline fails (ratio 1.006 against < 0.05), while the
# accuracy claims pass (MSE 0.3788, MAE 0.3976: a random rotation trains about as well as the
# identity — which is the point of the remark above). *Test statistics leaked into the
# z-scoring* (mean and standard deviation over train + validation + test rows): the MSE band
# fails (0.315 < 0.36; iTransformer drops alike to 0.321, so the ratio claims pass) and so does
# the sanity check on the training split's mean (0.31); with the test months' statistics
# alone, OLinear's MSE becomes 0.544 and the band fails by far. The tests catch a transposed
# $Q$ (the forward pass against a transcription of the official einsums).
#
# **Not run here.** The `full` profile (ETTh1 and ETTh2, all four horizons, the official widths
# and the official scripts' learning rate, depth and dropout per dataset and horizon, 10 full
# epochs, and every ablation including attention at every horizon) is written and its code
# path was exercised with tiny sizes, but it was not run at full size while writing this
# chapter: its three claims asserted at `full` (MSE vs $Q=I$, NormLin vs attention, the
# four-horizon average vs iTransformer) are uncalibrated. For ETTh2 the table shows only the
# baselines' published numbers.
#
# **Cost.** Five models are trained at `ci` (OLinear, its two basis ablations, iTransformer,
# RLinear): the estimate on paper is 49 s of own compute on an idle 2-core runner
# (`paper.estimate_seconds`), hence this chapter's 60 s budget. The measured `wall_time_s` of
# the whole notebook was 186 s and 96 s (seed 0, load average ≈ 8.6 and ≈ 5) and 134 s (seed 7,
# load ≈ 7) on the shared 2-core machine while other jobs ran; the numbers are identical from
# run to run.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`yue2025olinear` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
