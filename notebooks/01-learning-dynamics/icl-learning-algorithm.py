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
# # What learning algorithm is in-context learning? Investigations with linear models
#
# This chapter reproduces {cite:t}`akyurek2023learning`.
#
# **What is reproduced here:** a small GPT trained on prompts of random linear-regression tasks
# learns *in context* a predictor that is much closer to least squares (min-norm OLS) than to
# one step of gradient descent, to averaging or to k-nearest neighbours, in its predictions
# (SPD) and in its implicit weights (ILWD); trained on noisy labels it matches ridge
# regression with a penalty close to λ = σ², the Bayes-optimal predictor. The
# reference learners (OLS, ridge also by Sherman–Morrison updates, GD, online SGD, k-NN,
# averaging) are checked against closed forms here and against scikit-learn in the tests, and
# the Bayes oracle (ridge with λ = σ² minimises the prediction error) is checked by Monte Carlo.
# On noisy prompts, where these learners genuinely disagree, the trained learner's predictions
# are 3–7 times closer to ridge(σ²) than to one tuned GD step and 10–22 times closer than to
# 5-NN, and 3.6–6 times closer than to the noisy labels themselves. (Noise-free at $d=2$, least
# squares is exact from $k=2$, so matching it there cannot tell a learner from a model that
# sees its label; the implicit weights and the distance to the noisy labels can, and a
# label-leaking model fails both.) With depth the learner moves from GD to least squares: a 1-block model is closer to one
# GD step than to least squares, and its ratio of the two distances is 3–8 times the 2-block
# model's. Trained on noisy labels (σ = 0.5 and 1, each continuing from the noise-free model), the
# learner matches ridge with a penalty within a factor 2.5 of σ² (1.0–1.9 σ² over seeds, read
# where ridge solutions differ most, $k\le d$), while the noise-free model on the same noisy
# prompts matches 0.1–0.3 σ² at σ = 1. Not reproduced at all: the explicit transformer
# constructions of the paper's theorems and the probing experiment (its Fig. 4).
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
from nonlinlab.papers import icl_learning_algorithm as paper

ch = nonlinlab.Chapter("icl-learning-algorithm", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Tasks and prompts.** Each prompt is a fresh linear task: $w\sim\mathcal N(0,I_d)$, inputs
# $x_i\sim\mathcal N(0,I_d)$ and labels $y_i=w^\top x_i+\epsilon_i$ with
# $\epsilon_i\sim\mathcal N(0,\sigma^2)$, for $i=1,\dots,n$ (the official
# `incontext/sampler_lib.py`; here drawn by `nonlinlab.data.icl.sample_linear_tasks`). The prompt
# becomes $2n$ tokens of size $d+1$, inputs and labels alternating,
#
# $$\tilde x_i=[0,\,x_i],\qquad \tilde y_i=[y_i,\,0_d],\qquad
#   (\tilde x_1,\tilde y_1,\tilde x_2,\tilde y_2,\dots,\tilde x_n,\tilde y_n).$$
#
# **In-context learner.** A causal GPT (pre-LN blocks of multi-head softmax attention and a GELU
# MLP, learned positions, a linear read-in of the tokens and a linear read-out;
# `nonlinlab.models.gpt`) reads the sequence; its prediction of $y_i$ is the first read-out
# coordinate at the position of $\tilde x_i$. The causal mask lets that position see
# $x_1,y_1,\dots,x_{i-1},y_{i-1}$ and $x_i$ — never $y_i$. The weights are trained once, with Adam
# on fresh prompts every step, to minimise the paper's objective
#
# $$\mathcal L(\theta)=\mathbb E\Big[\tfrac1n\textstyle\sum_{i=1}^n
#   \big(T_\theta(\tilde x_1,\tilde y_1,\dots,\tilde x_i)-y_i\big)^2\Big];$$
#
# after that, "learning" a new task happens only in the forward pass.
#
# **Reference learners.** Each is fitted to the $k$ examples before position $k$ and predicts
# $y_{k+1}$ ("online", like the official `algos.online_regression`), with $X\in\mathbb R^{k\times d}$
# the inputs and $y$ the labels so far:
#
# | learner | $\hat w$ |
# |---|---|
# | least squares (min-norm OLS) | $X^{+}y$ — OLS when $k\ge d$, the minimum-norm interpolant when $k<d$ |
# | ridge(λ) | $(X^\top X+\lambda I)^{-1}X^\top y$ |
# | one GD step, rate tuned per $k$ | $\frac{\eta_k}{k}X^\top y$ (one step on $\frac1{2k}\lVert Xw-y\rVert^2$ from $w=0$) |
# | averaging | $\frac1k X^\top y$ (the GD step with $\eta=1$) |
# | online SGD (official, window 1) | one pass of $w\leftarrow w+2\eta\,(y_j-w^\top x_j)\,x_j$, $\eta=0.02$ |
# | 5-NN | mean label of the 5 nearest $x_j$ (not linear) |
# | zero | $0$ |
#
# The paper's second construction computes ridge *online* by Sherman–Morrison rank-one
# updates, $A_0=\lambda^{-1}I$,
# $A_j=A_{j-1}-\frac{A_{j-1}x_jx_j^\top A_{j-1}}{1+x_j^\top A_{j-1}x_j}$, $b_j=b_{j-1}+y_jx_j$,
# $\hat w_j=A_jb_j$: this is what a transformer can carry out layer by layer, and it gives the
# same $\hat w$ as the closed form.
#
# **Why ridge with λ = σ².** With the prior $w\sim\mathcal N(0,I)$ and Gaussian noise, the posterior
# mean of $w$ given the prompt is $(X^\top X+\sigma^2I)^{-1}X^\top y$, so ridge with $\lambda=\sigma^2$
# is the Bayes-optimal predictor under squared error; for $\sigma=0$ it becomes min-norm OLS. A
# perfectly trained in-context learner must therefore behave like ridge(σ²).
#
# **Comparing predictors** (the paper's Sec. 4.1). On the same prompts,
# *squared prediction difference* $\mathrm{SPD}(f,g)=\mathbb E\big[(f(x)-g(x))^2\big]$, per number of
# examples $k$; and *implicit linear weight difference*
# $\mathrm{ILWD}(f,g)=\mathbb E\lVert\hat w_f-\hat w_g\rVert^2$, where the transformer's implicit
# weight $\hat w_{\mathrm{ICL}}$ is the least-squares fit to its predictions when $x_{k+1}$ is
# replaced by many probe inputs (context unchanged).
#
# Where we follow the official code: learners predict position $k+1$
# from exactly the $k$ earlier examples (`online_regression`); k-NN uses
# $\min(k,5)$ neighbours; online SGD uses unnormalised gradients clipped to $\pm20$ and the
# official rates. In the official `SGD.iterate` the "window" start is `min(0, i - window)`, i.e.
# always the full prefix; we implement the intended window-1 online SGD (one example per step),
# which is what `online_regression` runs for window 1 anyway.

# %% [markdown]
# ## Experiments
#
# Sizes of this run (the `ci` profile trains tiny models on CPU: $d=2$, $n=8$, a 2-block GPT of
# width 32, and a 1-block one for the depth comparison — at $d=5$ such a model does not get past
# one-GD-step quality within the CPU budget, see the Discussion; `full` uses $d=5$, $n=16$,
# 4 blocks of width 128, four noise levels and a sweep over 1, 2, 4 and 8 blocks):

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.core import color

d, n = cfg.dim, cfg.n
k_axis = np.arange(n)  # prediction at position k uses k in-context examples
print(f"d = {d}, n = {n} examples, GPT depth {cfg.depth} x width {cfg.width}, "
      f"{cfg.gpt_config().num_params():,} parameters, {cfg.steps} steps of {cfg.batch} prompts "
      f"(noisy models: {cfg.noisy_steps}); "
      f"device {ch.device}")

# %% [markdown]
# ### 1. The reference learners
#
# Sherman–Morrison online ridge against the closed form at every prefix, and our min-norm
# least squares against `numpy.linalg.pinv` (in float64; the tests also compare every learner
# with scikit-learn's `LinearRegression`, `Ridge` and `KNeighborsRegressor`).

# %%
g = torch.Generator().manual_seed(ch.seed)
x_chk, y_chk = paper.sample_prompts(500, cfg, 0.5, g, dtype=torch.float64)
sm = paper.ridge_sherman_morrison(x_chk, y_chk, 0.25)
closed = torch.stack([torch.zeros(500, d, dtype=torch.float64)]
                     + [paper.ridge_weights(x_chk[:, :k], y_chk[:, :k], 0.25)
                        for k in range(1, n + 1)], dim=1)
sm_err = (sm - closed).abs().max().item()
pinv_err = max(
    np.abs(paper.ols_weights(x_chk[:, :k], y_chk[:, :k]).numpy()
           - np.einsum("bij,bj->bi", np.linalg.pinv(x_chk[:, :k].numpy()),
                       y_chk[:, :k].numpy())).max()
    for k in range(1, n + 1))
print(f"max |Sherman-Morrison - closed-form ridge| = {sm_err:.1e}; "
      f"max |ours - numpy pinv| = {pinv_err:.1e}")

# %% [markdown]
# ### 2. The Bayes oracle: ridge with λ = σ²
#
# Monte-Carlo prediction error of ridge(λ) on a fresh query after $k=d$ noisy examples (where
# the penalty matters most) for each training noise level: the minimum sits at λ = σ².

# %%
noisy = [s for s in cfg.noises if s > 0]
lams = np.array(cfg.ridge_lambdas)
bayes = {s: paper.bayes_ridge_mse(lams, dim=d, k=d, noise=s, tasks=cfg.bayes_tasks,
                                  generator=torch.Generator().manual_seed(ch.seed + 1))
         for s in noisy}
fig, ax = plt.subplots(figsize=(5, 3.2))
for j, s in enumerate(noisy):
    ax.plot(lams, bayes[s], "o-", color=color(j), label=f"σ = {s:g}")
    ax.axvline(s**2, color=color(j), ls=":", lw=1)
ax.set(xscale="log", yscale="log", xlabel="ridge λ", ylabel=f"test MSE after k = {d} examples",
       title="Bayes oracle: the minimum is at λ = σ² (dotted)")
ax.legend()
plt.show()
bayes_argmin = {s: float(lams[np.argmin(bayes[s])]) for s in noisy}
print("λ with the smallest Monte-Carlo test MSE, per noise level σ:", bayes_argmin)

# %% [markdown]
# **Figure 1.** Monte-Carlo test error of ridge regression after $k = d$ noisy examples against
# its penalty λ, for each noise level σ; the dotted lines mark λ = σ², where the posterior mean
# (ridge with λ = σ²) attains the minimum. No counterpart in the paper, which states this
# Bayes-optimality in its text.

# %% [markdown]
# ### 3. Training the in-context learners
#
# One GPT per training noise level σ (same architecture, same seed); σ = 0 is the main model.
# With `cfg.warm_start` (both profiles) each noisy model starts from the trained noise-free
# model's weights and then runs the same schedule on prompts with label noise σ, so it has
# learned to regress before it learns how much to shrink; trained from scratch for the same
# steps, the small `ci` learner is still under-trained (see the Discussion).

# %%
models, hists = {}, {}
for s in sorted(cfg.noises):  # σ = 0 first: the noisy models may start from it
    init = models[0.0] if s > 0 and cfg.warm_start else None
    models[s], hists[s] = paper.train_icl(cfg, noise=s, seed=ch.seed, device=ch.device,
                                          init=init)
fig, ax = plt.subplots(figsize=(5, 3.2))
for j, s in enumerate(cfg.noises):
    offset = cfg.steps if s > 0 and cfg.warm_start else 0  # warm start: after the σ = 0 run
    ax.plot(np.asarray(hists[s].steps("loss")) + offset, hists[s]["loss"], color=color(j),
            label=f"σ = {s:g}")
ax.set(yscale="log", xlabel="training step (noisy models continue the σ = 0 run)",
       ylabel="training loss (mean over positions)")
ax.legend()
plt.show()

# %% [markdown]
# **Figure 2.** Training loss of the in-context learners (mean squared error over the $n$
# prediction positions of fresh prompts), one GPT per training noise level σ; the noisy models
# continue from the noise-free one (their loss floor is the label noise σ² plus the Bayes
# error). No counterpart in the paper.

# %% [markdown]
# ### 4. Error curves: the transformer against every learner
#
# Test MSE against the number of in-context examples on fresh noise-free prompts (mirrors the
# paper's error-curve comparison of the in-context learner with the reference predictors).
# The one-step GD rate is tuned per $k$ on separate prompts.

# %%
ev = paper.evaluate(models[0.0], cfg, noise=0.0, seed=ch.seed, device=ch.device)
curves = {"transformer (ICL)": "icl", "least squares (min-norm)": "ols", "ridge(0.1)": "ridge(0.1)",
          "1-step GD (tuned η)": "gd", "averaging": "averaging", "online SGD (η=0.02)": "sgd",
          f"{cfg.knn_k}-NN": "knn", "zero": "zero"}
fig, ax = plt.subplots(figsize=(6, 3.8))
for j, (label, key) in enumerate(curves.items()):
    ax.plot(k_axis, ev.mse(key), "o-" if key == "icl" else ".-", color=color(j), label=label,
            lw=2.5 if key == "icl" else 1.2, zorder=3 if key == "icl" else 2)
ax.axvline(d, color="0.6", ls=":", lw=1)
ax.set(xlabel="number of in-context examples k", ylabel="test MSE", ylim=(0, None),
       title=f"noise-free tasks, d = {d} (dotted: k = d)")
ax.legend(ncol=2)
plt.show()

# %% [markdown]
# **Figure 3.** Test error on fresh noise-free prompts against the number $k$ of in-context
# examples, for the trained transformer (thick) and every reference learner; the dotted line
# marks $k = d$, where least squares becomes exact. Mirrors the error-curve comparison of
# {cite:t}`akyurek2023learning`.

# %% [markdown]
# ### 5. Which algorithm? SPD and ILWD to each learner
#
# Left: squared prediction difference between the transformer and each learner, per $k$.
# Right: implicit linear weight difference, the transformer's weight being fitted to its
# predictions on probe inputs. Both mirror the paper's fit-to-algorithm figure: the trained
# learner is far closer to least squares than to one GD step, averaging or k-NN.

# %%
linear = {"least squares": {"learner": "ols"}, "ridge(0.1)": {"learner": "ridge", "lam": 0.1},
          "1-step GD": {"learner": "gd"}, "averaging": {"learner": "averaging"}}
ilwd_k = list(range(1, n))
ilwd = paper.ilwd_by_prefix(models[0.0], ev, cfg, ilwd_k,
                            {name: kw for name, kw in linear.items()}, seed=ch.seed,
                            device=ch.device)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
for j, (label, key) in enumerate(list(curves.items())[1:]):
    axes[0].plot(k_axis[1:], ev.spd(key)[1:], ".-", color=color(j + 1), label=label)
for j, name in enumerate(linear):
    axes[1].plot(ilwd_k, ilwd[name], ".-", color=color(j + 1), label=name)
for ax, what in zip(axes, ("SPD(ICL, learner)", "ILWD(ICL, learner)"), strict=True):
    ax.axvline(d, color="0.6", ls=":", lw=1)
    ax.set(yscale="log", xlabel="number of in-context examples k", ylabel=what)
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=4)
plt.show()

lo, hi = d + 1, n - 1  # over-determined prefixes, where OLS and one GD step disagree
spd_mean = {key: paper.mean_over(ev.spd(key), lo, hi) for key in ("ols", "gd", "knn", "averaging")}
ilwd_last = {name: float(v[-1]) for name, v in ilwd.items()}
print(f"mean SPD over k = {lo}..{hi}:", {k: round(v, 4) for k, v in spd_mean.items()})
print(f"ILWD at k = {n - 1}:", {k: round(v, 4) for k, v in ilwd_last.items()})

# %% [markdown]
# **Figure 4.** Left: squared prediction difference (SPD) between the trained transformer and each
# reference learner, per number of in-context examples $k$. Right: implicit linear weight
# difference (ILWD) between the transformer's implicit weights and each linear learner's (same
# colours). Beyond $k = d$ (dotted) least squares — and ridge with a small penalty, which is
# close to it — are far nearer to the transformer than one GD step, averaging or k-NN. Mirrors
# the SPD/ILWD fit-to-algorithm comparison of {cite:t}`akyurek2023learning`.

# %% [markdown]
# ### 6. Noisy labels: the learner moves towards ridge
#
# For each model trained with noise σ, the SPD between its predictions and ridge(λ) on prompts
# of the same noise, averaged over $k=1,\dots,d$, as a function of λ (mirrors the paper's
# noise figure, where the best-matching λ tracks σ²). The λ match is read on these prefixes,
# the under-determined ones and $k=d$, because that is where ridge solutions for nearby λ
# differ most (at $k=d$ the SPD between ridge(σ²) and ridge(2σ²) is about 6 times its value at
# $k=n-1$, where $X^\top X$ swamps the penalty); the best λ is the curve's minimum refined
# between grid points (vertex of a parabola in $\log\lambda$ through the three lowest grid
# points), and the printout below gives how flat each curve is. Right: error curves of the
# σ = 0.5 model, least squares and ridge(σ²) on noisy prompts; least squares blows up near
# $k=d$ (double descent) and the transformer does not.
#
# The noisy model is also the sharper test of "which algorithm": on noise-free prompts with
# $k>d$ least squares is exact, so the SPD to it in Section 5 is just the model's own error,
# and any accurate predictor — even one that peeked at its label — would "match" it. With
# label noise, ridge(σ²), least squares, one GD step and k-NN make genuinely different
# predictions at every $k>d$, and the printed mean SPDs say which one the transformer follows.

# %%
evs = {0.0: ev}
for s in noisy:
    evs[s] = paper.evaluate(models[s], cfg, noise=s, seed=ch.seed, device=ch.device)
k_lam = cfg.lam_k_max  # the λ match averages the SPD over k = 1..d
spd_vs_lam = {s: np.array([paper.mean_over(evs[s].spd(f"ridge({lam:g})"), 1, k_lam)
                           for lam in lams]) for s in cfg.noises}
best_lam = {s: paper.refined_argmin(lams, v) for s, v in spd_vs_lam.items()}
s_main = 0.5 if 0.5 in noisy else noisy[0]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
for j, s in enumerate(cfg.noises):
    axes[0].plot(lams, spd_vs_lam[s], "o-", color=color(j), label=f"trained at σ = {s:g}")
    if s > 0:
        axes[0].axvline(s**2, color=color(j), ls=":", lw=1)
axes[0].set(xscale="log", yscale="log", xlabel="ridge λ",
            ylabel=f"mean SPD(ICL, ridge(λ)), k = 1..{k_lam}", title="dotted: λ = σ²")
axes[0].legend()
e = evs[s_main]
for j, (label, key) in enumerate([("transformer (ICL)", "icl"), ("least squares", "ols"),
                                  (f"ridge(σ² = {s_main**2:g})", f"ridge({s_main**2:g})")]):
    axes[1].plot(k_axis, e.mse(key), "o-", color=color(j), label=label)
axes[1].set(yscale="log", xlabel="number of in-context examples k", ylabel="test MSE",
            title=f"noisy prompts, σ = {s_main:g}")
axes[1].legend()
plt.show()
near = (max(d - 1, 0), d + 2)
near_ratio = (paper.mean_over(e.spd(f"ridge({s_main**2:g})"), *near)
              / paper.mean_over(e.spd("ols"), *near))
print(f"best-matching ridge λ (k = 1..{k_lam}) per training σ:",
      {s: round(v, 3) for s, v in best_lam.items()})
r_main = f"ridge({s_main**2:g})"
noisy_spd = {key: paper.mean_over(e.spd(key), lo, hi) for key in (r_main, "ols", "gd", "knn")}
noisy_mse_icl = paper.mean_over(e.mse("icl"), lo, hi)  # = SPD(ICL, labels)
print(f"σ = {s_main:g} model on noisy prompts, mean SPD over k = {lo}..{hi}:",
      {k: round(v, 4) for k, v in noisy_spd.items()}, f"labels: {noisy_mse_icl:.4f}")
# how flat each curve is and how finely the grid resolves it (k = 1..k_lam, as in the left
# panel): the model's SPD at λ = σ² against its minimum and at σ²/4 and 4σ², and the SPD
# between ridge(σ²) and its nearest grid neighbour (the smallest step the metric can see)
lam_factor = {}
for s in noisy:
    v, r_s = spd_vs_lam[s], f"ridge({s**2:g})"
    j_s = int(np.argmin(abs(lams - s**2)))
    gap = min(paper.mean_over(evs[s].spd(f"ridge({lams[j]:g})", r_s), 1, k_lam)
              for j in (j_s - 1, j_s + 1) if 0 <= j < len(lams))
    at = {f: float(np.interp(np.log(f * s**2), np.log(lams), v)) for f in (0.25, 1.0, 4.0)}
    lam_factor[s] = max(best_lam[s] / s**2, s**2 / best_lam[s])
    print(f"σ = {s:g}: best λ = {best_lam[s]:.3g} ({best_lam[s] / s**2:.2f} σ²); SPD at the "
          f"minimum {v.min():.4f}, at σ²/4, σ², 4σ²: {at[0.25]:.4f}, {at[1.0]:.4f}, "
          f"{at[4.0]:.4f}; SPD(ridge(σ²), nearest grid neighbour) = {gap:.4f}")

# %% [markdown]
# **Figure 5.** Left: mean SPD over $k = 1,\dots,d$ between each trained model and ridge(λ)
# on prompts of its own training noise σ, against λ; the minimum moves with σ and sits near
# λ = σ² (dotted) for the noisy models. Right: test error of the σ = 0.5 model, least squares
# and ridge(σ²) on noisy prompts: least squares blows up near $k = d$, the transformer does not
# and stays close to ridge(σ²). Mirrors the noisy-regression comparison of {cite:t}`akyurek2023learning`.

# %% [markdown]
# ### 7. Depth: from one GD step to least squares
#
# The paper finds shallow learners closer to one GD step and deep ones closer to least squares.
# We train extra noise-free models of other depths (`cfg.sweep_depths`: a 1-block model at `ci`,
# 1, 2 and 8 blocks besides the 4-block main model at `full`), with the same width, data and
# schedule, and compare the mean SPD of each to least squares and to the tuned one-step GD
# learner over the over-determined prefixes.

# %%
depth_rows = {}
if cfg.sweep_depths:
    for depth in sorted({*cfg.sweep_depths, cfg.depth}):
        if depth == cfg.depth:
            e_d = ev
        else:
            m_d, _ = paper.train_icl(cfg, noise=0.0, seed=ch.seed, device=ch.device, depth=depth)
            e_d = paper.evaluate(m_d, cfg, noise=0.0, seed=ch.seed, device=ch.device,
                                 lambdas=())
        depth_rows[depth] = {key: paper.mean_over(e_d.spd(key), lo, hi) for key in ("ols", "gd")}
    ds = sorted(depth_rows)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for j, (key, label) in enumerate([("ols", "least squares"), ("gd", "1-step GD (tuned η)")]):
        ax.plot(ds, [depth_rows[dd][key] for dd in ds], "o-", color=color(j), label=label)
    ax.set(xscale="log", yscale="log", xlabel="depth (blocks)", ylabel="mean SPD(ICL, learner)",
           xticks=ds, xticklabels=[str(dd) for dd in ds],
           title=f"noise-free prompts, k = {lo}..{hi}")
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.legend()
    plt.show()
    print("mean SPD over the over-determined prefixes, per depth:",
          {dd: {key: round(v, 4) for key, v in row.items()} for dd, row in depth_rows.items()})
else:
    print(f"not run at the {ch.profile} profile")

# %% [markdown]
# **Figure 6.** Mean SPD between noise-free models of several depths and least squares or the
# tuned one-step GD learner, over the over-determined prefixes $k = d+1,\dots,n-1$: the 1-block
# model is closer to one GD step than to least squares, the deeper model far closer to least
# squares. Mirrors the depth comparison of {cite:t}`akyurek2023learning`.

# %% [markdown]
# ## Reproduction check
#
# Thresholds were calibrated at the `ci` profile over seeds 0–4 (values in the Discussion).
# $k$ counts in-context examples; "over-determined" means $k=d+1,\dots,n-1$. The paper's headline
# claims are that a trained in-context learner matches least squares far better than one GD
# step, in its predictions (SPD) and its implicit weights (ILWD); that on noisy labels it
# matches the Bayes-optimal ridge(σ²) better than one GD step or k-NN, and follows that learner
# rather than the noisy labels (the check a label-leaking model fails); and that it moves to
# ridge with $\lambda\approx\sigma^2$ under label noise and from GD-like to least-squares-like
# with depth. The depth claim is asserted at both profiles (at `ci`: 1 block against 2), and so
# is the λ match: for every training noise σ > 0 the best-matching ridge penalty (mean SPD over
# $k = 1,\dots,d$, refined between grid points) lies within a factor `cfg.lam_factor_max` =
# 2.5 of σ². The SPD threshold is a field of the config (`spd_ratio_max`: 0.6 at `ci`, the
# paper-level factor 2, i.e. 0.5, at `full`). The exact
# identities of the reference learners and the Monte-Carlo Bayes oracle hold by construction
# and are listed apart as sanity checks.

# %%
def grid_steps(a, b):
    """How many steps apart two values are on the λ grid."""
    return abs(int(np.argmin(abs(lams - a))) - int(np.argmin(abs(lams - b))))


c = ch.claims
c.less("Sherman–Morrison ridge = closed-form ridge (max abs diff, float64)", sm_err, 1e-10,
       paper="Sec. 3: online rank-one updates compute ridge exactly", kind="sanity")
c.less("min-norm least squares = numpy pinv (max abs diff)", pinv_err, 1e-10,
       paper="OLS / min-norm interpolant", kind="sanity")
c.holds(r"Bayes oracle: MC test MSE over the $\lambda$ grid is minimal exactly at "
        r"$\lambda = \sigma^2$",
        all(grid_steps(bayes_argmin[s], s**2) == 0 for s in noisy),
        ours=", ".join(f"σ={s:g}: argmin λ={bayes_argmin[s]:g}" for s in noisy),
        paper="ridge(σ²) is the posterior mean, hence Bayes-optimal", kind="sanity",
        note="a property of the task distribution, checked by Monte Carlo")
c.less("SPD(ICL, least squares) / SPD(ICL, 1-step GD), over-determined $k$",
       spd_mean["ols"] / spd_mean["gd"], cfg.spd_ratio_max,
       paper="ICL matches OLS far better than one GD step (small vs large SPD)",
       kind="headline", note="threshold `cfg.spd_ratio_max`: 0.6 at ci (tiny model), 0.5 at full; "
       "noise-free with $k > d$ least squares is exact, so a label leak passes this too: the ILWD "
       "claim and the noisy-label claims below are the ones a leak fails")
c.less("SPD(ICL, least squares) / SPD(ICL, 5-NN), over-determined $k$",
       spd_mean["ols"] / spd_mean["knn"], 0.3, paper="k-NN is a poor fit to ICL")
c.less(f"ILWD(ICL, least squares) / ILWD(ICL, 1-step GD) at $k = {n - 1}$",
       ilwd_last["least squares"] / ilwd_last["1-step GD"], 0.5,
       paper="implicit weights closest to OLS", kind="headline")
c.less(f"MSE(ICL) / MSE(averaging) at $k = {n - 1}$", ev.mse("icl")[-1] / ev.mse("averaging")[-1],
       0.35, note=r"learning happened: far better than the averaging (1-step, $\eta=1$) learner")
c.less(f"MSE(ICL) / MSE(zero) at $k = {n - 1}$", ev.mse("icl")[-1] / ev.mse("zero")[-1], 0.15,
       note=f"MSE(zero) = $E[y^2] \\approx d = {d}$")
c.less(f"$\\sigma={s_main:g}$ model, noisy prompts: SPD(ICL, ridge($\\sigma^2$)) / SPD(ICL, "
       "1-step GD), over-determined $k$", noisy_spd[r_main] / noisy_spd["gd"], 0.7,
       paper="ICL matches the Bayes-optimal ridge(σ²), not one GD step", kind="headline",
       note="noisy labels: least squares, ridge, GD and k-NN all differ for $k > d$")
c.less(f"$\\sigma={s_main:g}$ model, noisy prompts: SPD(ICL, ridge($\\sigma^2$)) / SPD(ICL, "
       f"{cfg.knn_k}-NN), over-determined $k$", noisy_spd[r_main] / noisy_spd["knn"],
       0.3, paper="ICL matches ridge(σ²), not k-NN", kind="headline")
c.less(f"$\\sigma={s_main:g}$ model, noisy prompts: SPD(ICL, ridge($\\sigma^2$)) / SPD(ICL, "
       "labels $y$), over-determined $k$", noisy_spd[r_main] / noisy_mse_icl, 0.6,
       paper="ICL implements a learner (ridge), it does not track the noisy targets",
       kind="headline",
       note="tells a learner from a label leak: a model that saw its own label has "
            "SPD(ICL, labels) = 0 and fails this (ratio ~1e14 when run)")
c.less(f"$\\sigma={s_main:g}$ model: SPD(ICL, ridge($\\sigma^2$)) / SPD(ICL, OLS) at "
       f"$k = {near[0]}..{near[1]}$", near_ratio, 0.1,
       paper="noisy ICL ≈ ridge, not OLS, where OLS is unstable (k ≈ d)")
sig = sorted(cfg.noises)
c.holds(r"best-matching ridge $\lambda$ grows with the training noise",
        all(best_lam[a] <= best_lam[b] for a, b in zip(sig, sig[1:], strict=False))
        and best_lam[sig[0]] < best_lam[sig[-1]],
        ours=", ".join(f"σ={s:g}: λ={best_lam[s]:.3g}" for s in cfg.noises),
        paper="ICL tracks ridge with λ ≈ σ² as σ varies")
c.compare(f"best-matching ridge $\\lambda$ (mean SPD over $k = 1..{k_lam}$) within a factor "
          f"{cfg.lam_factor_max:g} of $\\sigma^2$: worst factor over $\\sigma > 0$",
          max(lam_factor.values()), "<=", cfg.lam_factor_max,
          paper="λ ≈ σ² (Bayes-optimal)", kind="headline",
          note=", ".join(f"σ={s:g}: λ={best_lam[s]:.3g} = {best_lam[s] / s**2:.2f} σ²"
                         for s in noisy)
          + "; factor = max(λ/σ², σ²/λ), λ refined between grid points")
ds = sorted(depth_rows)
ratio = {dd: depth_rows[dd]["ols"] / depth_rows[dd]["gd"] for dd in ds}
c.greater(f"shallowest model more GD-like than the deepest: SPD ratio (least squares / 1-step "
          f"GD) at depth {ds[0]} over the ratio at depth {ds[-1]}",
          ratio[ds[0]] / ratio[ds[-1]] if len(ds) > 1 else None, 2.0,
          paper="GD-like when shallow, OLS-like when deep", kind="headline",
          note=", ".join(f"depth {dd}: SPD_OLS/SPD_GD = {ratio[dd]:.3g}" for dd in ds)
          + "; noise-free prompts, over-determined $k$")
c.greater(f"depth-{ds[0]} model: SPD(ICL, least squares) / SPD(ICL, 1-step GD), "
          "over-determined $k$", ratio[ds[0]], 1.1,
          paper="a one-layer learner is closer to one GD step than to least squares",
          note="above 1: its predictions are nearer the GD learner's")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** Even a 2-block, width-32 GPT trained for about fifteen CPU-seconds learns an
# in-context predictor that is far closer to least squares than to the alternatives the paper
# considers: over the over-determined prefixes its SPD to least squares was 0.12–0.30 of its
# SPD to a one-step GD learner (whose rate we tune per $k$, a stronger baseline than a fixed
# rate) and 0.04–0.10 of its SPD to 5-NN; its implicit weights were likewise 5–17× closer to
# the OLS weights than to the GD weights (seeds 0–4). Learning clearly happened: at $k=n-1$ its
# error was 6–13% of the averaging learner's and 3–5% of the zero predictor's. The reference
# learners agree with closed forms to ~1e-13 (and with scikit-learn in the tests), the
# Sherman–Morrison construction reproduces ridge exactly, and the Monte-Carlo Bayes oracle
# puts the best ridge penalty at λ = σ² for every seed. With label noise, the learner avoids the
# double-descent spike of least squares near $k=d$ (SPD ratio ≤ 2e-3), and the ridge penalty
# that best matches it moves up with the training noise and sits near λ = σ², as in the
# paper's noise figure.
#
# **Noisy labels: the discriminating test.** On noise-free prompts with $d=2$ least squares is
# exact from $k=2$ examples, so "SPD to least squares" for $k>d$ is only the model's own error:
# any accurate predictor, even one that saw its label, passes the noise-free SPD claims (we ran
# it: see the label-leak sabotage below). Evaluating the noise-free model on *noisy* prompts
# does not rescue that claim at $d=2$: over $k=3..7$ its SPD ratio least squares / GD was
# 0.35–0.84 (σ = 0.25) and 0.54–1.73 (σ = 0.5) on seeds 0–4 (measured with the 1,200-step
# noise-free model used until December 2026), while a label leak scores
# 0.19–0.75 and 0.63–2.39 on the same prompts — no better than the leak, so we assert no such
# claim. What does tell a learner from a leak is its implicit weight (ILWD, probes replace the
# query input but not its label) and the noisy model's distance to the labels themselves.
# The σ = 0.5 model on noisy prompts separates the learners: over the over-determined prefixes
# its SPD to ridge(σ²) was 0.13–0.25 of its SPD to the tuned one-step GD learner, 0.040–0.070 of
# its SPD to 5-NN (seeds 0–4 and 7), and 0.14–0.22 of its SPD to the labels themselves, i.e. it
# follows a learner, not the targets — a label-leaking model has SPD(ICL, labels) = 0 and fails
# that check. Least squares is *not* what it matches here (SPD to OLS 0.66 × its SPD to GD
# at seed 0: near $k=d$ least squares has huge variance), as expected of a Bayes-optimal
# learner. (These ratios were 0.36–0.51, 0.09–0.16 and 0.27–0.39 when the noisy model was
# trained from scratch, before the warm start described next, and 0.14–0.34, 0.046–0.099 and
# 0.16–0.28 with the warm start from the 1,200-step noise-free model; the thresholds were set
# in the first design and kept.)
#
# **The λ match: what was off, and the design that identifies λ.** Trained from scratch for
# the same 1,200 steps (1.2 million tokens) as the noise-free model, the σ = 0.5 learner matched
# ridge with λ = 2.3–3.7 σ² (mean SPD over $k=1,\dots,7$, seeds 0–4): it shrinks more than the
# Bayes predictor. Three causes, measured. (i) *Under-training, as a bias, not noise*: the
# slope of its predictions on those of ridge(σ²) was 0.88–0.96 at $k=1$ and 0.80–0.88 at $k=2$
# (seeds 0–4), i.e. it is about 10–20 % shrunk, as an imperfect predictor fitted by squared
# error must be (its errors are regressed towards zero), and its test error (mean over
# $k=1..7$) was 0.82–0.96 against the Bayes error 0.67–0.69; the noise-free model shows the same
# offset (it matches λ ≈ 0.1, not λ → 0). Averaging over more prompts does not move the
# minimum, and a scale-free match (correlation instead of SPD) gave a similar λ at seed 0
# (0.75–1 against 0.56–1 on a fine grid), so it is not only a scale: the learner is *smoother*
# than ridge(σ²), like a ridge with a larger penalty. (ii) *The
# prompt lengths*: for $k\gg d$ the data term $X^\top X$ swamps the penalty and ridge(λ) for
# nearby λ are almost identical — on 20,000 noisy prompts, SPD(ridge(0.25), ridge(0.5)) is
# 0.022 at $k=1$, 0.042 at $k=d=2$ and 0.007 at $k=7$ — while the learner's own λ-unrelated
# error does not shrink with $k$, so averaging over all prefixes lets that error pick the
# minimum; over $k=1,\dots,d$ the scratch learner's best λ was 1.7–2.4 σ². (iii) *The grid*
# is not the limit: its neighbours are ≈ 1.4 apart near σ², the minimum is refined between
# grid points, and the curve is far from flat on the scale of the claim: at seed 0 the σ = 0.5
# learner's SPD (over $k=1..d$) is 0.045 at its minimum and 0.20 and 0.16 at σ²/4 and 4σ²
# (σ = 1: 0.028; 0.29 and 0.21), while ridge(σ²) and its nearest grid neighbour are at SPD
# 0.007 (σ = 1: 0.013) from each other, below the learner's own distance to ridge(σ²): grid
# steps of 1.4 are about the resolution the learner allows, and the claim asks for 2.5. The
# noise level matters for the *test*, not the learner: with σ = 1 the gap between σ² and the
# noise-free model's offset (≈ 0.1–0.3) is a factor 3–8, at σ = 0.5 only 1.1–4, so σ = 1 was
# added (one more model, about 10 s of CPU). The design: each noisy model starts from the
# trained noise-free model and runs the same schedule on noisy prompts (the paper trains each
# from scratch; a warm start is how the ci budget affords it 3,200 steps in all — 1,200 noisy
# — and with the first design's 2,400 its test error fell to 0.75–0.83 against the Bayes
# 0.67–0.70), and the λ match is read on $k=1,\dots,d$. Best λ / σ² (seeds 0–4; seed 7; seed
# 11): σ = 0.5: 1.11, 1.21, 1.36, 1.60, 1.22; 1.66; 1.28 — σ = 1: 1.01, 1.10, 1.10, 1.21,
# 0.99; 1.14; 1.11 (with the 1,200-step noise-free model: 1.13, 1.25, 1.43, 1.86, 1.22; 1.78;
# 1.33 and 1.02, 1.13, 1.14, 1.32, 1.00; 1.22; 1.11). Over all
# prefixes $k=1..7$ the warm-started σ = 0.5 learner would give 1.4–2.5 σ². The starting point
# biases the warm-started learners, if anything, towards the noise-free model's *small* λ, yet
# the σ = 1 model moves to λ ≈ σ²: the penalty is learned from the noise, not inherited. The
# claim asserts the worst factor over σ ≤ 2.5 at both profiles (worst 1.60 at seed 3 and 1.66
# at seed 7); the noise-free model on the same noisy prompts — what a learner that ignores the
# noise would give — had worst factors 8.3, 6.7, 5.9, 3.1, 6.3 (seed 7: 4.3; the 1,200-step
# model), because at σ = 1 it matches λ = 0.12–0.32.
#
# **What did not, at this scale.** The paper's near-exact match to OLS (SPD to OLS orders of
# magnitude below the others) needs bigger models and longer training; at `ci` the ratio is
# only a factor 3–8, so `ci` asserts < 0.6 and `full` asserts a factor 2 (< 0.5). The design
# that would make every "which algorithm" comparison discriminating — $d\ge5$, noisy labels,
# evaluation at $k$ around $d$ and above — does not train to the claims within the CPU budget
# (60 s for all three models): with $d=5$ the same 2-block, width-32 GPT (lr $3\cdot10^{-3}$)
# stays between one GD step and ridge. Seed 0: $n=10$, 1500 steps of 64 prompts (15 s of CPU
# per model): SPD(ICL, ridge(σ²)) / SPD(ICL, GD) = 1.57 for σ = 0.5 (threshold 0.7), SPD ratio
# least squares / GD = 1.73 for σ = 0 (threshold 0.6), its error at $k=9$ 1.28 against 0 for
# least squares; $n=9$, 3000 steps of 48 prompts (27 s of CPU for the one model): ratio 1.08,
# error at $k=8$ 1.54 against 0.65 for ridge(σ²); $n=12$, 3000 and 6000 steps of 64 prompts:
# 0.89 and 0.70 (the 6000-step model alone about 60 s of CPU); width 64 or a larger lr stayed on
# the initial plateau. In training tokens: the budget allows about 2 million per model (three
# models), the 1500-step run used 1.9 million, and the run that first reached the 0.7
# threshold, for one model only, 9.2 million. So `ci` keeps $d=2$ and `full` runs $d=5$; at `ci` the leak-proof claims
# are the ILWD ratio and the noisy model's SPD to the labels.
# The probing experiment (Fig. 4) is not implemented. The
# transformer constructions of the theorems are illustrated only by their arithmetic
# (Sherman–Morrison, one GD step = averaging), not built into attention weights.
#
# **Depth.** A 1-block model (same width, data and schedule as the 2-block main model) is a
# different learner: over the over-determined prefixes its predictions are *closer to the tuned
# one-step GD learner than to least squares* (SPD ratio least squares / GD 1.26–1.40 on seeds
# 0–4, 1.43 on seed 7), while the 2-block model's ratio is 0.12–0.30. Its error at $k=n-1$ is
# about half of the zero predictor's (0.92–1.05 against $d=2$ after 1,200 steps), so it has
# learned something
# — a GD-like, averaging-style predictor — but not least squares, which the 2-block model
# approximates. This is the
# paper's GD-to-OLS transition with depth, at the smallest pair of depths. The claim compares
# the two ratios: depth 1 over depth 2 was 10.6, 9.9, 6.9, 4.7, 6.4 on seeds 0–4 (seed 7: 5.3,
# seed 11: 6.8); threshold 2.
#
# **What the ledger asserts, and where.** All seven headline claims hold at both profiles: the
# SPD ratio least squares / one GD step on noise-free prompts (below `cfg.spd_ratio_max`, 0.6
# at `ci` and 0.5 at `full`), the ILWD ratio (below 0.5), for the σ = 0.5 model on noisy
# prompts SPD(ICL, ridge(σ²)) below 0.7 × SPD(ICL, GD), below 0.3 × SPD(ICL, 5-NN) and below
# 0.6 × SPD(ICL, labels) (the leak detector, a headline since the label-leak run), the λ match
# (for every σ > 0 the best-matching ridge λ over $k=1..d$ within a factor
# `cfg.lam_factor_max` = 2.5 of σ²), and the depth transition (the shallowest model's SPD
# ratio least squares / GD at least twice the deepest model's; at `ci` 1 block against 2, at
# `full` 1 against 8). Besides, the ordering of the best-matching λ with the noise is asserted
# as a result of the paper. The two exact
# identities of the reference learners and the Monte-Carlo Bayes oracle are sanity checks:
# they hold by construction and test the code, not the paper.
#
# **Choices and deviations.** The task distribution, tokenisation, read-out position and the
# online protocol of the learners follow the official `incontext/` code (`sampler_lib.py`,
# `algos.py`), and so do the details the paper leaves open: learners fit the $k$ earlier
# examples (no special case for $k<d$: min-norm least squares covers it), and
# online SGD uses the official unnormalised, clipped update. The official `SGD.iterate` window
# start `min(0, i - window)` makes every window the full prefix; we run the window-1 online SGD
# that `online_regression` actually exercises. `ci` uses $d=2$, $n=8$ (the official defaults are
# $d=20$, $n=40$) and initial weights with std 0.1 instead of GPT-2's 0.02 — at width 32 the
# small initialisation left the model on the loss plateau for most of the CPU budget. A
# 4-block, width-64 model trained for 3000 steps would take minutes on two CPU cores.
#
# **Calibration** (ci, seeds 0–4, with the 2,000-step noise-free models): SPD ratio OLS/GD
# 0.12, 0.14, 0.20, 0.30, 0.22 (threshold 0.6); OLS/5-NN 0.04–0.10 (0.3); ILWD ratio
# 0.06–0.19 (0.5); MSE vs averaging 0.06–0.13 (0.35); MSE vs zero 0.028–0.053 (0.15); noisy
# SPD ratio near $k=d$ 3e-5–9e-4 (0.1); σ = 0.5 model (warm-started) on noisy prompts, SPD to
# ridge(σ²) over SPD to GD 0.125, 0.153, 0.181, 0.247, 0.181 (seed 7: 0.215; threshold 0.7),
# over SPD to 5-NN 0.040–0.070 (0.3), over SPD to the labels 0.141–0.220 (0.6); best λ / σ²
# over $k=1..d$ as above (worst factor 1.60, threshold 2.5); depth-1 SPD ratio least squares /
# GD 1.26, 1.37, 1.40, 1.40, 1.38 (seed 7: 1.43; threshold > 1.1), and its ratio to the 2-block
# model's as above (> 2). Seed 11: SPD ratio OLS/GD 0.23, ILWD ratio 0.08, depth-1 ratio 1.55
# and ratio of ratios 6.8; noisy SPD to ridge(σ²) over SPD to GD / 5-NN / labels 0.163 /
# 0.045 / 0.158, best λ / σ² as above. Worst margins over seeds 0–4: SPD ratio OLS/GD 0.30
# against 0.6 (seed 3), noisy SPD to ridge(σ²) over SPD to GD 0.247 against 0.7 and over SPD
# to the labels 0.220 against 0.6 (seed 3), best-λ factor 1.60 against 2.5 (seed 3), ratio of
# ratios 4.7 against 2 (seed 3); wall time 44–47 s with another notebook running beside it.
#
# **Why the noise-free models train 2,000 steps (changed December 2026).** Until then every
# model trained 1,200 steps. In runs of every chapter at seeds nobody calibrated on, the
# headline "SPD(ICL, least squares) / SPD(ICL, 1-step GD)" read 0.628 at seed 7777 and 0.670 at
# seed 2024 against < 0.6 (7777 also failed the ILWD headline, 0.586 against < 0.5; seeds 0–4
# had read 0.17–0.48 and 0.08–0.31). The 7777 model was under-trained, not a different
# learner: at $k=n-1$ its error was 0.108 of the zero predictor's (0.046–0.092 on seeds 0–4)
# and its SPD to least squares 0.30 (seed 3: 0.27), while the tuned GD learner's predictions
# sat closer to it (SPD 0.48; seed 3: 0.56) — a model still on its way from GD-like to
# OLS-like. The same model trained 2,000 steps reads 0.320 and 0.237 (error 0.059 of
# the zero predictor's), and 2,000 steps lift seed 3, the worst calibration seed, from 0.48 to
# 0.30. The noise-free models (the main one and the depth sweep's 1-block model, so that the
# depth comparison stays between equally trained models) now train 2,000 steps; the noisy
# models keep 1,200 steps from the warm start (`noisy_steps`), so the extra cost is two
# 800-step runs, ≈ 10 s (on paper 39.8 → 49.6 s of the chapter's 60). On seeds 0–4, 7 and 11
# every margin grew (old values in the text above where it compares) except the depth-1 model's
# own ratio (> 1.1), which moved by −0.07 to +0.03 (now 1.26–1.55; was 1.31–1.52); thresholds
# unchanged. Seed 7777 now reads 0.320 and 0.237 (every row passing), seed 2024 0.394 and
# 0.235 (with 1,200 steps: 0.670 and 0.416; every row passing).
# The schedule is the shared `core.warmup_cosine` (the same warm-up and cosine to 10 %).
#
# Deliberate breakages: replacing the transformer's
# predictions by the one-step GD learner's makes the SPD, ILWD and both MSE claims fail (SPD
# ratio ∞, 5-NN ratio 0.52, MSE ratios 0.68 and 0.32); reading the prediction one token early
# (the model never sees $x_i$) fails them too (MSE ratios 2.1 and 1.0); penalising ridge with
# $k\lambda$ instead of $\lambda$ moves the Bayes argmin to 0.1 (the claim asks for exactly σ²; a
# "± one grid step" version, as we first wrote it, did *not* catch this). **Noise-free labels
# for the noisy models** (notebook, seed 0, current design; temporary edit of `train_icl`: the
# warm-started σ = 0.5 and σ = 1 models train on noise-free prompts, evaluation unchanged):
# the λ headline fails — best λ 0.050 = 0.20 σ² and 0.101 = 0.10 σ², worst factor 9.9 against
# ≤ 2.5 — and so does the ordering of λ with the noise (0.054, 0.050, 0.101); the three noisy
# SPD headlines still pass (ratios 0.43 to GD, 0.21 to 5-NN, 0.585 to the labels against 0.7,
# 0.3 and 0.6): they show that the learner is ridge-like rather than GD-, k-NN- or label-like,
# not which penalty it uses — that is the λ claim's job. **Swapped noise levels** (notebook,
# seed 0; temporary edit of `train_icl`: the model evaluated as σ = 0.5 trains at σ = 1 and
# vice versa): the λ headline fails (best λ 1.03 = 4.1 σ² and 0.277 = 0.28 σ², worst factor
# 4.1) and so does the ordering (0.054, 1.03, 0.277); the noisy SPD headlines pass (0.65, 0.15,
# 0.33). The near-$k=d$ ridge/OLS ratio is robust to all of these
# (≈1e-3): it only fails when the learner itself behaves like OLS (ratio 1), so it guards
# against an OLS-like noisy learner, not against an untrained one. Two breakages rerun with the
# noisy-label claims (notebook, seed 0, earlier design with the noisy model trained from
# scratch): predicting with the tuned one-step GD learner at
# evaluation fails seven claims — both noise-free SPD claims (ratio 95 to GD, 0.57 to 5-NN),
# both MSE claims (0.68, 0.32), both noisy headline claims (SPD to ridge(σ²) 29 × the SPD to GD,
# 0.45 × the SPD to 5-NN) and the λ band of the earlier design (best λ = 3); and a "transformer" that sees its own
# label at evaluation passes every SPD/MSE claim — noise-free ratios ≈ 1e-15, noisy ratios 0.39
# to GD and 0.17 to 5-NN, as good as the trained model — and fails only "SPD to ridge(σ²) /
# SPD to the labels" (ratio 3e14). **Label leak, whole model** (notebook, seed 0; temporary
# edit of the module: every prediction of the "transformer" is its query label $y_i$, in
# training, evaluation and the probe queries of ILWD, where the probes replace $x_i$ but the
# leaked label stays): it passes the noise-free "matches least squares" SPD claims (ratios
# 1.6e-15 to GD, 6e-16 to 5-NN) and both MSE claims, and it fails the ILWD "matches least
# squares" headline (ratio 1.37 against < 0.5: its implicit weight does not follow the
# context), the noisy-label headline SPD(ICL, ridge(σ²)) / SPD(ICL, labels) (2.9e14 against
# < 0.6) and both depth claims (ratio of ratios 1.0). At $d=2$ those two headlines, and the
# causal-mask unit test, are what tell a learner from a leak. Training the depth sweep's "1-block" model with the main depth
# (the depth argument ignored, notebook, seed 0) fails both depth claims (ratio of ratios 1,
# depth-1 ratio 0.17). **Every learner one block deep** (notebook, seed 0, after the change to
# 2,000 noise-free steps; temporary edit of `train_icl`: the GPT is built with one block
# whatever the depth asked for): ten claims fail — the noise-free SPD headline (1.26 against
# < 0.6) and the ILWD headline (1.05 against < 0.5), 5-NN and both MSE rows, the three noisy
# SPD headlines (1.17, 0.90, 0.70 against 0.7, 0.3, 0.6), the λ match (factor 3.5 against 2.5)
# and the depth transition (ratio of ratios 1.0); the λ ordering and the depth-1 row pass.
# The whole `ci` run took 56 s of CPU time on one core with 1,200 steps per model (papermill,
# kernel start-up and imports included; the four models — σ = 0, 0.5, 1 and the 1-block one —
# about 10 s of CPU each, the 1-block one less); with the noise-free models at 2,000 steps it
# takes 44–47 s of wall time beside another notebook; the paper-level cost model
# `estimate_seconds` gives 50 s, and the chapter's CI budget is 60 s. The
# `full` profile has not been run by us (no GPU was available while writing this chapter).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`akyurek2023learning` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
