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
# # Transformers learn in-context by gradient descent
#
# This chapter reproduces {cite:t}`vonoswald2023transformers`.
#
# **What is reproduced here:** (i) Proposition 1 — one layer of *linear* self-attention with
# hand-set weights performs exactly one gradient-descent step on the in-context least-squares
# loss (checked to 1e-15 in float64, also from $W_0\neq 0$ and for every context token);
# (ii) the optimal GD step size $\eta^*$, found by the paper's line search, matches a closed form
# derived here; (iii) a single LSA layer *trained* on random regression tasks reaches the loss of
# GD with $\eta^*$, makes the same predictions, has the same sensitivity to its query
# (cosine ≈ 1), and its weights are the construction's up to a rescaling (paper Fig. 2);
# (iv) deeper, weight-shared LSAs beat the same number of plain GD steps and match the
# curvature-corrected GD$^{++}$ — its loss, and its sensitivity to the query better than plain
# GD does (paper Fig. 3; `ci`: two and three layers, `full`: 2–5).
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
from nonlinlab.papers import transformers_icl_gd as paper

ch = nonlinlab.Chapter("transformers-icl-gd", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Tasks and tokens.** Following the official code (`create_reg_data`), a task draws
# $w\sim\mathcal N(0,I_d)$, context inputs $x_i\sim U(-\tfrac r2,\tfrac r2)^d$, $i=1..N$, and a
# query $x_q$ from the same law; targets are noise-free, $y=w^\top x$. Defaults $d=N=10$, $r=1$,
# i.e. $U(-0.5, 0.5)$ — the paper's text says $U(-1,1)$, the code uses `input_range = 1`; we
# follow the code (only $\eta^*$ changes, as $1/r^2$). Each pair becomes a token
# $e_i=(x_i,y_i)\in\mathbb R^{d+1}$ and the query token is $e_q=(x_q,-W_0x_q)$, i.e. $(x_q,0)$
# for $W_0=0$. The prompt is the $(N+1)\times(d+1)$ matrix of tokens, query last.
#
# **Linear self-attention (LSA).** A layer updates every token with
#
# $$ e_j \leftarrow e_j + P W_V \sum_{i=1}^{N} e_i\, e_i^\top W_K^\top W_Q\, e_j
#    = e_j + W_{PV}\Big(\sum_i e_ie_i^\top\Big) W_{KQ}\, e_j , $$
#
# with no softmax and no normaliser; the keys/values are the $N$ context tokens only (official
# `include_query=False`). Only the products $W_{KQ}=W_K^\top W_Q$ and $W_{PV}=PW_V$ matter. The
# model reads its prediction off the query token, $\hat y = -(e_q)_{d+1}$ (the code's
# `-h[:, -1, -1]`). `nonlinlab.models.lsa` implements the layer in both the official
# parametrisation (separate $W_Q, W_K, W_V$ of key size $d+1$ and an output projection $P$,
# no biases) and the reparametrised product form ($W_{KQ}, W_{PV}$ free); stacks of layers may
# share weights (the official "recurrent" transformer).
#
# **Proposition 1 (one GD step).** For the linear model $\hat y = Wx$ and the in-context loss
# $L(W)=\frac1{2N}\sum_i\|Wx_i-y_i\|^2$, one GD step from $W_0$ is
# $\Delta W=-\eta\nabla L(W_0)=-\frac\eta N\sum_i(W_0x_i-y_i)x_i^\top$. With
#
# $$ W_{KQ}=\begin{pmatrix} I_d & 0\\ 0 & 0\end{pmatrix},\qquad
#    W_{PV}=\frac{\eta}{N}\begin{pmatrix} 0 & 0\\ W_0 & -1\end{pmatrix}, $$
#
# the score of key $i$ for token $j$ is $x_i^\top x_j$ and the value is
# $\frac\eta N(0,\ W_0x_i-y_i)$, so every token becomes $(x_j,\ y_j-\Delta Wx_j)$: the query's last
# entry is $-(W_0+\Delta W)x_q$ and the read-out is exactly the prediction of the model after one
# GD step.
#
# **The best step size.** From $W_0=0$ the GD prediction is $\hat y_\eta=\eta a$ with
# $a=\frac1N\sum_i y_ix_i^\top x_q$, so the expected loss is a parabola in $\eta$ and
# $\eta^*=\mathbb E[ay_q]/\mathbb E[a^2]$. The official code finds it by a grid search
# (`scan_lrs`). For inputs with i.i.d. coordinates of variance $\sigma^2$ and fourth moment
# $\mu_4$ (uniform: $\sigma^2=r^2/12$, $\mu_4=r^4/80$) the moments are elementary and
#
# $$ \eta^*=\frac{N\sigma^2}{\mu_4+(d+N-2)\sigma^4},\qquad
#    L(\eta^*)=\frac{d\sigma^2}{2}\Big(1-\frac{N\sigma^4}{\mu_4+(d+N-2)\sigma^4}\Big), $$
#
# which gives $\eta^*=6.06$ and $L(\eta^*)=0.206$ for $d=N=10$, $r=1$ (the official notebook prints
# $\eta^*/N$).
#
# **Reading trained weights as GD.** Write $W_{KQ}=\begin{pmatrix}A&\cdot\\ b^\top&\cdot\end{pmatrix}$
# and the last row of $W_{PV}$ as $(u^\top, c)$ (the last column of $W_{KQ}$ meets the query's 0
# and the other rows of $W_{PV}$ are never read in one layer, so they get no gradient). Then
#
# $$ \hat y=\sum_i y_i\,x_i^\top M x_q-\sum_i(u^\top x_i)(x_i^\top Ax_q)-c\,b^\top x_q\sum_i y_i^2,
#    \qquad M=-(cA+ub^\top). $$
#
# The construction is $M=\frac{\eta^*}N I$, $u=b=0$; the last two terms are pure noise for the
# target (they are even in $w$), so the optimum has them vanish. The scale split between
# $W_{KQ}$ and $W_{PV}$ is arbitrary, which is why the paper compares weights "up to scaling".
#
# **Alignment measures** (official `analyse`): *preds diff* = mean $|\hat y_{TF}-\hat y_{GD}|$,
# *model cos* = mean cosine between the sensitivities $\partial\hat y/\partial x_q$ of the two
# models (for GD: $\frac\eta N\sum_iy_ix_i$), *model diff* = mean $\ell_2$ distance between them.
# The *interpolated* model averages the trained weights (normalised by the mean diagonal of
# $W_{KQ}$) with the construction's.
#
# **Deeper models and GD$^{++}$.** $K$ stacked layers are compared with $K$ steps of GD (one
# tuned $\eta$; the y-slots carry the residuals $y_i-W_kx_i$) and with GD$^{++}$, which at every
# step also moves all inputs, $x_j\leftarrow x_j-\gamma\frac1N\sum_ix_ix_i^\top x_j$ — a cheap
# curvature correction the paper finds trained deep LSAs implement. As in the official notebook
# (`recurrent_Transformer = True`, `gd_deq = True`) the $K$ layers share their weights, and
# GD$^{++}$ uses one $(\eta,\gamma)$ for all steps, tuned on separate tasks (official: Adam on the
# diagonal scalars; here L-BFGS on a fixed sample).
#
# The code is in `nonlinlab.papers.transformers_icl_gd` (equations in its comments) and
# `nonlinlab.models.lsa`.

# %% [markdown]
# ## Experiments
#
# ### 1. The construction is one GD step, exactly
#
# The Proposition-1 layer is applied (float64) to random prompts, once with $W_0=0$ and once
# with a random $W_0\ne0$ (query token $(x_q,-W_0x_q)$). Its outputs are compared with an
# independent weight-space GD step written in numpy: the query prediction, the new $y$-slot of
# every context token ($y_j-\Delta Wx_j$), and the $x$-slots (which must not move).

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.core import color

tol = paper.TOL
exact = paper.construction_errors(cfg, generator=torch.Generator().manual_seed(seed))
{k: f"{v:.1e}" for k, v in exact.items()}

# %% [markdown]
# ### 2. The best GD step size: line search vs closed form
#
# The official `scan_lrs` evaluates one GD step for a grid of step sizes on sampled tasks and
# keeps the best. We do the same (plus a golden-section refinement) and compare with the exact
# $\eta^*$ above and with the Monte-Carlo closed form $\mathbb E[ay_q]/\mathbb E[a^2]$ on the same
# sample. Exact loss in the legend: $L(\eta^*)$.

# %%
lr_tasks = paper.sample_tasks(cfg.lr_search_tasks, cfg, dtype=torch.float64,
                              generator=torch.Generator().manual_seed(1000 + seed))
eta_exact = paper.eta_star(cfg.dim, cfg.n, cfg.x_range)
eta_ls, loss_ls = paper.line_search_eta(lr_tasks, 1, grid=50)
eta_mc = paper.eta_star_mc(lr_tasks)
grid = np.linspace(0.1, 14, 40)
curve = paper.gd_loss_curve(lr_tasks, grid)

fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(grid, curve, color=color(0), label="1 GD step (sampled tasks)")
ax.axvline(eta_exact, color=color(1), ls="--",
           label=f"exact η* = {eta_exact:.2f}, L = {paper.gd_loss_star(cfg.dim, cfg.n):.3f}")
ax.plot([eta_ls], [loss_ls], "o", color=color(2), label=f"line search η = {eta_ls:.2f}")
ax.set_xlabel("step size η")
ax.set_ylabel("loss ½E(ŷ − y_q)²")
ax.legend()
plt.show()
print(f"η*: exact {eta_exact:.4f}, line search {eta_ls:.4f}, MC closed form {eta_mc:.4f}")

# %% [markdown]
# **Figure 1.** The loss of one GD step from $W_0 = 0$ on sampled tasks against the step size
# η (a parabola), with the exact $\eta^*$ derived above (dashed) and the optimum of the line
# search (dot). No counterpart in the paper; the line search is the official `scan_lrs`.

# %% [markdown]
# ### 3. A trained single LSA layer becomes GD with $\eta^*$ (mirrors Fig. 2)
#
# One LSA layer in the official parametrisation (Haiku-style $W_Q,W_K,W_V$ with key size 11 and
# an output projection, no biases, init scale 0.002) is trained with Adam (lr $10^{-3}$,
# $\beta_2=0.98$) on fresh tasks every step. Every `eval_every` steps we measure, on held-out
# tasks, its loss and its alignment with GD($\eta^*$). The paper's Fig. 2 (left: loss;
# right: preds diff, model diff, model cos) is mirrored below.

# %%
one = paper.one_layer_experiment(cfg, seed=seed, device=ch.device)
h = one.history

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
ax = axes[0]
ax.plot(h.steps("eval_loss"), h["eval_loss"], color=color(0), label="trained LSA (1 layer)")
ax.axhline(one.loss_gd, color=color(1), ls="--", label=f"GD, η* (loss {one.loss_gd:.3f})")
ax.set_ylim(0.9 * one.loss_gd, 2.2 * one.loss_gd)
ax.set_xlabel("training step")
ax.set_ylabel("held-out loss")
ax.legend()
ax = axes[1]
ax.plot(h.steps("model_cos"), h["model_cos"], color=color(2), label="model cos")
ax.set_ylabel("cosine")
ax.set_ylim(0, 1.05)
ax2 = ax.twinx()
ax2.plot(h.steps("preds_diff"), h["preds_diff"], color=color(3), label="preds diff")
ax2.plot(h.steps("model_diff"), h["model_diff"], color=color(4), label="model diff")
ax2.set_ylabel("L2 / abs distance")
ax2.grid(False)
ax.set_xlabel("training step")
lines = ax.get_lines() + ax2.get_lines()
ax.legend(lines, [ln.get_label() for ln in lines], loc="center right")
axes[0].set_title("loss (Fig. 2 left)")
axes[1].set_title("trained LSA vs GD (Fig. 2 right)")
plt.show()

# %% [markdown]
# **Figure 2.** Training one LSA layer on fresh regression tasks. Left: its held-out loss
# against the loss of one GD step with $\eta^*$ (dashed). Right: its alignment with GD($\eta^*$)
# on held-out tasks — the cosine between the two models' sensitivities $\partial\hat y/\partial x_q$
# (left axis) and the mean distances between their predictions and sensitivities (right axis).
# Mirrors Fig. 2 of {cite:t}`vonoswald2023transformers`.

# %% [markdown]
# Final numbers on the held-out tasks, with the baselines (predicting 0; exact least squares
# on each context, which is perfect here because $N=d$ and targets are noise-free — a bound one
# GD step cannot approach):

# %%
import pandas as pd

pd.DataFrame({
    "loss": {"predict 0": one.loss_zero, "GD, η*": one.loss_gd, "trained LSA": one.loss_tf,
             "interpolated (LSA+GD)/2": one.loss_interp, "least squares": one.loss_lstsq},
}).style.format("{:.4f}")

# %%
{**{k: round(v, 4) for k, v in one.align.items()},
 "preds diff / RMS(y_q)": round(one.align["preds_diff"] / one.rms_y, 4),
 **{f"weights: {k}": round(v, 4) for k, v in one.weights.items()}}

# %% [markdown]
# ### 4. The trained weights are the construction, up to scale
#
# The effective products of the trained layer next to Proposition 1's. $W_{KQ}$ is normalised
# by the mean of its first $d$ diagonal entries and $W_{PV}$ multiplied by it (the official
# `interpolate_weights` normalisation). The bottom-right corner of $W_{KQ}$ (last column) and the
# first $d$ rows of $W_{PV}$ never receive a gradient in a one-layer model (the query's $y$ slot
# is 0 and only the last row of the update is read out): they stay at their small random
# initial values.

# %%
layer = one.model.layer(0)
kq, pv = layer.kq()[0].detach().cpu().double(), layer.pv()[0].detach().cpu().double()
scale = torch.diagonal(kq)[: cfg.dim].mean()
kq_c, pv_c = paper.gd_construction(cfg.dim, cfg.n, one.eta)
mats = [(kq / scale, "trained $W_{KQ}$ (normalised)"), (kq_c, "construction $W_{KQ}$"),
        (pv * scale, "trained $W_{PV}$ (rescaled)"), (pv_c, "construction $W_{PV}$")]
fig, axes = plt.subplots(2, 2, figsize=(8, 6.6))
for ax, (m, title) in zip(axes.ravel(), mats, strict=True):
    v = float(m.abs().max())
    im = ax.imshow(m.numpy(), cmap="RdBu_r", vmin=-v, vmax=v)
    ax.set(title=title, xlabel="column (token entry)", ylabel="row (token entry)")
    ax.set_xticks([0, cfg.dim], ["1", f"{cfg.dim + 1}"])
    ax.set_yticks([0, cfg.dim], ["1", f"{cfg.dim + 1}"])
    ax.grid(False)
    fig.colorbar(im, ax=ax, fraction=0.046)
plt.show()

# %% [markdown]
# **Figure 3.** The effective products $W_{KQ}$ (top) and $W_{PV}$ (bottom) of the trained layer
# (left, rescaled as described above) next to Proposition 1's construction with the same
# $\eta$ (right); rows and columns index the $d+1$ entries of a token, the last one being the
# $y$ slot. Mirrors the comparison of trained and constructed weights in
# {cite:t}`vonoswald2023transformers`; the layout is ours.

# %% [markdown]
# ### 5. Out of distribution: larger or smaller inputs
#
# The official notebook tests the trained model on $x\sim U(-\alpha/2,\alpha/2)$ for other
# ranges $\alpha$ (training used $\alpha=1$), next to GD with the training-time $\eta^*$. If the
# LSA implements GD, the two curves coincide everywhere, including where both fail (large
# $\alpha$: the fixed step size becomes too large and GD diverges in one step).

# %%
ood = paper.ood_losses(one.model, one.eta, cfg, seed=seed, device=ch.device)
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(ood["range"], ood["gd"], "o-", color=color(1), label="GD, η* of training")
ax.plot(ood["range"], ood["tf"], "x--", color=color(0), label="trained LSA")
ax.axvline(cfg.x_range, color="gray", lw=0.8)
ax.set_yscale("log")
ax.set_xlabel("test input range α")
ax.set_ylabel("held-out loss")
ax.legend()
plt.show()
ood_rel = max(abs(a - b) / b for a, b in zip(ood["tf"], ood["gd"], strict=True))

# %% [markdown]
# **Figure 4.** Held-out loss of the trained layer and of GD with the training-time $\eta^*$ on
# inputs $x\sim U(-\alpha/2, \alpha/2)^d$, against the range α (training: α = 1, grey line).
# The test follows the official notebook; no counterpart in the paper's figures.

# %% [markdown]
# ### 6. $K$ layers vs $K$ steps of GD and GD$^{++}$ (mirrors Fig. 3)
#
# Weight-shared (recurrent) LSAs with $K$ layers are trained like the single layer (`ci`:
# $K=2, 3$, 2500 steps, batch 512, Adam lr peaking at $4\cdot10^{-3}$ and cosine-decayed to 5 %;
# `full`: $K=2..5$ with the official constant lr $10^{-3}$ — halved beyond 3 layers — batch 2048
# and 5000 steps) and compared with $K$ steps of GD with its own tuned $\eta$ and with
# GD$^{++}$ with tuned $(\eta,\gamma)$, in loss and in the alignment of their query
# sensitivities (model cos, as for one layer).

# %%
depth = {1: None}
for k in cfg.depths:
    depth[k] = paper.depth_experiment(cfg, k, seed=seed, device=ch.device)
rows = {1: {"trained LSA": one.loss_tf, "GD": one.loss_gd, "GD++": one.loss_gd,
            "cos(LSA, GD)": one.align["model_cos"], "cos(LSA, GD++)": one.align["model_cos"]}}
for k in cfg.depths:
    r = depth[k]
    rows[k] = {"trained LSA": r.loss_tf, "GD": r.loss_gd, "GD++": r.loss_gdpp,
               "cos(LSA, GD)": r.align_gd["model_cos"], "cos(LSA, GD++)": r.align_gdpp["model_cos"]}
table = pd.DataFrame(rows).T.rename_axis("K")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
ax = axes[0]
for i, name in enumerate(["GD", "GD++", "trained LSA"]):
    ax.plot(table.index, table[name], "o-" if name != "trained LSA" else "s--",
            color=color([1, 3, 0][i]), label=name)
ax.set_xlabel("K (layers / steps)")
ax.set_ylabel("held-out loss")
ax.set_xticks(list(table.index))
ax.legend()
ax = axes[1]
for k in cfg.depths:
    hk = depth[k].history
    ax.plot(hk.steps("eval_loss"), hk["eval_loss"], color=color(k), label=f"LSA, K={k}")
    ax.axhline(depth[k].loss_gd, color=color(k), ls="--", lw=0.8)
    ax.axhline(depth[k].loss_gdpp, color=color(k), ls=":", lw=0.8)
ax.set_ylim(0, 0.3)
ax.set_xlabel("training step")
ax.set_ylabel("held-out loss")
ax.set_title("dashed: K-step GD, dotted: GD++")
ax.legend()
plt.show()
table.style.format("{:.4f}")

# %% [markdown]
# **Figure 5.** Left: held-out loss against the number $K$ of layers (trained weight-shared LSA)
# or steps (GD with a tuned $\eta$; GD$^{++}$ with tuned $(\eta,\gamma)$). Right: training
# curves of the $K$-layer LSAs, with the $K$-step GD (dashed) and GD$^{++}$ (dotted) losses.
# Mirrors Fig. 3 of {cite:t}`vonoswald2023transformers` (there $K$ up to 5; `ci`: $K = 2, 3$).

# %% [markdown]
# ## Reproduction check
#
# Thresholds live in `paper.TOL` (shared with the tests) and were calibrated over seeds 0–4
# (see the discussion). The paper's headline claims are that a trained single LSA layer *is*
# GD with the best step size — same loss, same sensitivity to the query, the construction's
# weights up to scale — and that deeper trained LSAs implement the curvature-corrected
# GD$^{++}$. Proposition 1 and the closed-form $\eta^*$ hold by construction once the code is
# right (an identity to rounding; a Monte-Carlo estimate of an exact expectation): they are
# listed apart as sanity checks. The GD$^{++}$ match (loss ratio in $[1/1.1, 1.1]$, model
# cos above 0.99 and above the cos with plain GD) is asserted for every trained depth; depths
# beyond `ci`'s $K = 2, 3$ are trained only in `full` (shown here as not run).

# %%
c = ch.claims
c.less(r"Prop. 1: LSA construction = one GD step, query prediction, $W_0 = 0$ "
       "(max abs err, float64)", exact["query_zero"], tol.exact, paper="exact", kind="sanity")
c.less(r"Prop. 1 from $W_0 \neq 0$: query $(x_q, -W_0 x_q)$ reads out $(W_0 + \Delta W) x_q$ "
       "(max abs err)", exact["query_w0"], tol.exact, paper="exact", kind="sanity")
c.less(r"Prop. 1: every context token becomes $(x_j, y_j - \Delta W x_j)$, $W_0 = 0$ and "
       r"$\neq 0$ (max abs err)",
       max(exact["context_zero"], exact["context_w0"], exact["x_slots_zero"],
           exact["x_slots_w0"]), tol.exact, paper="exact", kind="sanity")
c.less(r"Line-searched $\eta$ (official scan_lrs) vs exact "
       r"$\eta^* = N\sigma^2/(\mu_4+(d+N-2)\sigma^4)$ (relative error)",
       abs(eta_ls - eta_exact) / eta_exact, tol.eta_rel,
       paper="best η found by grid search", kind="sanity",
       note="line search on sampled tasks: Monte-Carlo noise around an exact expectation")
c.between(r"Trained 1-layer LSA: held-out loss / loss of GD($\eta^*$)", one.loss_tf / one.loss_gd,
          2 - tol.loss_ratio, tol.loss_ratio, paper="TF loss = GD loss (Fig. 2)",
          kind="headline")
c.greater(r"Trained 1-layer LSA vs GD($\eta^*$): model cos (mean cosine of "
          r"$\partial\hat y/\partial x_q$)", one.align["model_cos"], tol.model_cos,
          paper="≈ 1 (Fig. 2)", kind="headline")
c.less(r"Trained 1-layer LSA vs GD($\eta^*$): preds diff / RMS($y_q$)",
       one.align["preds_diff"] / one.rms_y, tol.preds_diff, paper="≈ 0 (Fig. 2)")
c.less(r"Trained weights: $M = -(cA + ub^\top)$ vs $(\eta^*/N) I$ (relative Frobenius error)",
       one.weights["rel_err"], tol.weight_rel, paper="weights match the construction up to scale",
       kind="headline")
c.less(r"Trained weights: nuisance terms "
       r"$\max(\lVert u\rVert\lVert A\rVert, \lvert c\rvert\lVert b\rVert) / \lVert M\rVert$",
       max(one.weights["u_rel"], one.weights["b_rel"]), tol.nuisance,
       paper="other entries ≈ 0")
c.between(r"Interpolated model (LSA + construction)/2: loss / GD($\eta^*$) loss",
          one.loss_interp / one.loss_gd, 2 - tol.interp_ratio, tol.interp_ratio,
          paper="interpolation keeps the loss")
c.less(r"Out of distribution, $x \sim U(-\alpha/2, \alpha/2)$, "
       f"$\\alpha \\in [{min(cfg.ood_ranges)}, {max(cfg.ood_ranges)}]$: "
       r"max $\lvert L_\mathrm{LSA} - L_\mathrm{GD}\rvert / L_\mathrm{GD}$", ood_rel, tol.ood_rel,
       paper="trained TF behaves like GD out of distribution")
for k in paper.CONFIGS.full.depths:  # ci trains K = 2, 3; K = 4, 5 are not run there
    run = depth.get(k)
    c.less(f"{k}-layer (recurrent) LSA loss / {k}-step tuned GD loss",
           None if run is None else run.loss_tf / run.loss_gd, tol.depth_margin,
           paper="K-layer TF outperforms K steps of GD (Fig. 3)",
           asserted_at=("ci", "full") if k in paper.CONFIGS.ci.depths else "full")
for k in paper.CONFIGS.full.depths:
    run = depth.get(k)
    at = ("ci", "full") if k in paper.CONFIGS.ci.depths else "full"
    c.between(f"{k}-layer LSA loss / {k}-step GD$^{{++}}$ loss",
              None if run is None else run.loss_tf / run.loss_gdpp, 1 / tol.gdpp_ratio,
              tol.gdpp_ratio, paper="TF ≈ GD++ (Fig. 3)", kind="headline", asserted_at=at)
    c.holds(f"{k}-layer LSA is aligned with GD$^{{++}}$: model cos > {tol.gdpp_cos} and "
            "above its cos with plain GD",
            None if run is None else (run.align_gdpp["model_cos"] > tol.gdpp_cos
                                      and run.align_gdpp["model_cos"]
                                      > run.align_gd["model_cos"]),
            ours=None if run is None else (f"cos(LSA, GD++) = {run.align_gdpp['model_cos']:.4f}, "
                                           f"cos(LSA, GD) = {run.align_gd['model_cos']:.4f}"),
            paper="sensitivities match GD++ better than GD (Fig. 3)", kind="headline",
            asserted_at=at)

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** Proposition 1 holds to machine precision (errors ~1e-16 in float64, from
# $W_0=0$ and $W_0\neq0$, for the query and for every context token). The best step size of
# the official grid search is the closed form $\eta^*=N\sigma^2/(\mu_4+(d+N-2)\sigma^4)=6.06$
# (the line search on 20 000 sampled tasks lands within Monte-Carlo error, 0.2–1.5 %). A trained
# single LSA layer reproduces the paper's Fig. 2: its held-out loss equals that of GD($\eta^*$)
# (ratio 0.9995–1.0006 over seeds 0–4), the model cosine of the query sensitivities is
# 0.9998, the predictions differ by 1.1–1.2 % of RMS($y_q$), and the read-out
# preconditioner $M=-(cA+ub^\top)$ is $(\eta^*/N)I$ to 1.7–1.8 % (its scale, $N\cdot$mean
# diag$(M)$, is 6.03–6.06 vs $\eta^*=6.06$); averaging the trained weights with the construction keeps the
# loss. Out of distribution the trained layer tracks GD for input ranges 0.5–2 (largest relative
# loss difference 0.2–1.6 % over seeds; threshold 5 %), including GD's blow-up at large inputs,
# as in the official notebook. Deeper weight-shared LSAs reproduce the paper's Fig. 3: they
# beat $K$ GD steps with a tuned step size by far (loss ratio 0.70–0.73 for $K=2$, 0.58–0.60 for
# $K=3$, seeds 0–4, 7 and 11) and land on GD$^{++}$ — loss ratio to $K$ steps of GD$^{++}$ with
# tuned $(\eta,\gamma)$ 1.005–1.011 for $K=2$ and 1.010–1.028 for $K=3$, and their query
# sensitivities are aligned with GD$^{++}$'s (model cos 0.9970–0.9992) much better than with
# plain GD's (0.950–0.967). So the extra layers do not just take more GD steps: they also
# transform the inputs, the curvature correction $x_j\leftarrow x_j-\gamma\frac1N\sum_i
# x_ix_i^\top x_j$ of GD$^{++}$.
#
# **What needed care at `ci` scale.** With the official constant lr ($10^{-3}$; we first tried
# $2\cdot10^{-3}$ for 800 steps) a two-layer model sits for a long time on an intermediate
# plateau (loss ≈ 0.14 against GD$^{++}$'s 0.11) whose sensitivities are still closer to plain GD
# (cos ≈ 0.99) than to GD$^{++}$ (≈ 0.95); 2000 steps at constant $2\cdot10^{-3}$ left ratios 1.06
# ($K=2$) and 1.19 ($K=3$), and 1500 steps of the schedule we use left $K=2$ at 1.17. A peak lr of
# $4\cdot10^{-3}$ cosine-decayed to 5 % reaches GD$^{++}$ for both depths: over 2000 steps on
# seeds 0–4 and 7, but seed 11 then left $K=2$ on the plateau (ratio 1.14, model cos with
# GD$^{++}$ 0.976 — the notebook failed), so `ci` trains 2500 steps (batch 512). Training the product parametrisation ($W_{KQ},W_{PV}$ free) of
# the deep models instead was worse (3 layers: ratio 3.4 after 2000 steps), so the deep models
# keep the official Haiku parametrisation. Depths 4 and 5 are trained only in `full`.
#
# **A warm-up of the deep lr (changed December 2026).** In a run of every chapter at seed 4321,
# a seed nobody calibrated on, the two-layer model never left the *initial* plateau: held-out
# loss 0.38 → 0.34 over all 2 500 steps (the trivial predictor; GD$^{++}$ reaches 0.11), ratio
# to GD$^{++}$ 3.41 and model cos 0.355, three rows failing (the three-layer model was fine).
# Neither the initialisation nor the task stream alone does it: seed 4321's initialisation
# trained on seed 0's tasks, or seed 0's on seed 4321's, leaves the plateau within 200 steps.
# At the peak lr from step 0, Adam's first steps (ε = $10^{-9}$: each weight moves by about the
# lr, ≈ 40 % of its initial size $pprox 0.01$) follow the first few noisy gradients, and one
# unlucky combination parks the model where its gradient stays tiny. The deep models now ramp
# the lr up linearly over the first 100 steps (`deep_warmup`; the single layer and `full`,
# whose official constant lr is 4× smaller, have none). Seed 4321 then reads 1.001 ($K=2$) and
# 1.018 ($K=3$); seeds 0–4, 7, 11 (whole notebooks) read 1.005–1.012 ($K=2$) and 1.010–1.027
# ($K=3$) against GD$^{++}$, 0.699–0.726 and 0.581–0.603 against GD, model cos with GD$^{++}$
# 0.9968–0.9992 (thresholds unchanged). Cost: none. The early-stopping sabotage below was rerun
# with the warm-up: at 1 500 deep steps (seed 0) the $K=2$ model is still on the intermediate
# plateau, ratio 1.106 and cos with GD$^{++}$ 0.984, and both its GD$^{++}$ rows fail ($K=3$
# passes, 1.029).
#
# **The official clip of the three-layer model (changed December 2026).** In a run of every
# chapter at seed 3030, another seed nobody calibrated on, the three-layer model left the
# initial plateau (loss ≈ 0.38) only after ≈ 1 300 of its 2 500 steps and ended on the GD-like
# intermediate plateau: ratio to GD$^{++}$ 1.64, model cos with GD$^{++}$ 0.971 below its cos
# with GD, 0.999 — two headlines failed. More steps are not the fix: with 3 500 steps seed 3030
# passes (1.026), but calibration seed 2 then fails (1.148), because the unclipped three-layer
# model's loss spikes at the peak lr (0.093 → 0.147 near step 1 300 in a 4 000-step run) and a
# late spike is not recovered. The official code clips the gradient of models deeper than two
# layers at global norm 10 (`deep_grad_clip`; the shallower ones at 0.001, which we do not
# apply, below). With it, at the same 2 500 steps, seed 3030's three-layer model leaves the
# plateau by step ≈ 500 and reads 1.014 (cos 0.9989); seeds 0–4, 7, 11 read 1.013, 1.014, 1.011,
# 1.029, 1.026, 1.015, 1.009 (were 1.010–1.027) with cos 0.9969–0.9989, and 0.581–0.603
# against three GD steps; seed 4321 1.011. The one- and two-layer models are unchanged to the
# digit; thresholds unchanged; cost none measurable. The sabotage "a one-layer model in place
# of the $K$-layer ones" was rerun (seed 0): all six depth claims fail, with the values given
# below.
#
# **What the ledger asserts, and where.** Every headline claim that `ci` can train is asserted
# at `ci`: the three about the single layer (loss ratio, model cosine, weights) and, for $K = 2$
# and $3$, the GD$^{++}$ match — loss ratio in $[1/1.1,\ 1.1]$ and model cos with GD$^{++}$ above
# 0.99 *and* above the model cos with plain GD. The same claims for $K=4, 5$ (and "the $K$-layer
# LSA beats $K$ GD steps", a paper claim asserted for $K=2,3$ at `ci`) are asserted in `full`
# and shown as not run at `ci`; the `full` thresholds are the `ci` ones, not calibrated on a GPU
# (no GPU was available while writing this chapter). The four sanity checks (Proposition 1
# three ways, and the line search against the closed-form $\eta^*$) hold by construction and
# say nothing about training.
#
# **Where we follow the official code rather than the paper.** Inputs are
# $U(-0.5,0.5)$ (code `input_range = 1`), not the text's $U(-1,1)$; the query is not a key/value
# (`include_query=False`); the prediction is read out as $-h_{q,d+1}$; Adam uses
# $\beta_2=0.98$, $\epsilon=10^{-9}$; the init scale is $0.002/K$; multi-layer models share weights
# (the notebook's default `recurrent_Transformer = True`) and GD$^{++}$ uses one $(\eta,\gamma)$ for
# all steps (`gd_deq = True`); the GD reference keeps one step size for all $K$ steps.
# Deviations: (0) in `ci` the deep models use a peak lr of $4\cdot10^{-3}$, reached after a
# 100-step linear warm-up, with a cosine decay to 5 % (2500 steps) instead of the official
# constant $10^{-3}$ (see above; `full` keeps the official schedule). (1) In `ci` the single layer uses the product parametrisation
# $W_{KQ}, W_{PV}$ and a cosine-decayed lr peaking at $2\cdot10^{-3}$ for 1500 steps at batch
# 512 — with the official parametrisation and constant lr $10^{-3}$ one of five seeds (seed 3, batch 512) stayed on a
# plateau where the nuisance term $u$ dominates, and constant lr left $u$ decaying slowly
# (seed 1: $\|u\|\|A\|/\|M\|=0.32$ at 800 steps); `full` uses the official parametrisation,
# lr and 5000 steps at batch 2048. Even with our schedule, 1000 steps were too few at some
# seeds: in a run of every chapter at seed 8128, a seed nobody calibrated on, the layer was
# still leaving the plateau (nuisance 0.36 against < 0.2, loss ratio 1.013 against
# $[0.99, 1.01]$, preds diff 0.060 against < 0.05; seed 777 had read a nuisance of 0.19). With
# 1500 steps seed 8128 reads 0.027, 1.0003 and 0.012, seed 777 0.018, and every one-layer value
# on seeds 0–4, 7 and 11 moved further from its threshold (above); thresholds unchanged, ≈ 3 s
# more. (2) We do not apply the official gradient clipping of the models with one or two layers
# (global norm 0.001): Adam is nearly invariant to it, and in a test it slowed the escape from
# the plateau. The deeper models get the official clip of their depth, global norm 10, at both
# profiles (since December 2026, see above). (3) GD$^{++}$'s scalars are fitted by L-BFGS on 4096 fixed tasks instead of
# Adam. Including the query as a key (`include_query=True`) does *not* break the trained
# one-layer result: with $W_0=0$ the query's own key/value only adds a nuisance term that
# training removes — the exact construction, however, needs it excluded when $W_0\ne0$ (a
# unit test checks this).
#
# **Thresholds after calibration** (seeds 0–4, `ci`; values with the present 1500 steps, those
# with 1000 steps in brackets): loss ratio in $[0.99, 1.01]$ (seen 0.9995–1.0006; 0.9999–1.0025),
# model cos $>0.99$ (0.9998; 0.9993–0.9997), preds diff $<0.05$ RMS (0.011–0.012; 0.013–0.018),
# weight error $<0.15$ (0.017–0.018; 0.019–0.025), nuisance $<0.2$ (0.013–0.016; 0.035–0.09:
# $u$ receives only noise-driven Adam steps and decays slowly), interpolation ratio in
# $[0.99, 1.01]$ (≈1.000), $K$-layer/$K$-step-GD loss $<0.97$ (0.70–0.73 for $K=2$, 0.58–0.60
# for $K=3$), $K$-layer/GD$^{++}$ loss in $[0.91, 1.1]$ (1.005–1.028 over seeds 0–4, 7 and 11;
# worst margin 0.07 at seed 4, $K=3$), model cos with GD$^{++}$ $>0.99$ (0.9970–0.9992); with
# the clipped three-layer model (December 2026) $K=3$ reads 1.009–1.029 and 0.581–0.603 against
# GD, cos 0.9969–0.9989 (worst margin 0.071 at seed 3). Line search and the
# Monte-Carlo closed form agree on a shared sample far below 1 % (a unit test, 1e-5); against
# the exact $\eta^*$ the sample noise needs 3 %. Breaking the method makes claims fail:
# flipping the sign of $W_{PV}$ breaks Prop. 1 (error ≈ 2); a GD reference without the $1/N$
# breaks the loss ratio and preds diff; an (almost) untrained LSA (100 steps) fails every
# training claim. For the deep models (notebook reruns, seed 0, 2000 training steps): a
# one-layer model in place of the $K$-layer ones fails all six depth claims (ratios to GD 1.33 and 1.57, to GD$^{++}$ 1.90
# and 2.74, and model cos with GD$^{++}$ 0.885 and 0.871, below the cos with GD); a GD$^{++}$
# reference with its $\gamma$ zeroed (keeping its $\eta$, which then overshoots) fails the four
# GD$^{++}$ claims (loss ratios 0.049 and 0.0002, model cos −0.02 and 0.58); and a $K=2$ model
# stopped early (1500 steps of the same schedule, calibration script) is back on the plateau,
# ratio 1.17 and cos with GD$^{++}$ 0.974 below the cos with GD 0.977 — both GD$^{++}$ claims
# would fail.
#
# **Cost.** `ci`: about 35 s of own compute, most of it the two- and three-layer training
# (measured `wall_time_s` 34.7 s on the shared 2-core machine at load ≈ 2.6; 117 s at load ≈ 6
# with 2000 deep steps); `estimate_seconds` gives 57 s. Not reproduced
# here: softmax attention, the nonlinear (sine) regression with an MLP embedding, and the
# induction-head discussion of the paper; `nonlinlab.models.lsa` already has a softmax switch
# for later chapters.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`vonoswald2023transformers` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
