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
# # Unsupervised Manifold Linearizing and Clustering
#
# This chapter reproduces {cite:t}`ding2023unsupervised` (MLC): without labels, learn features
# in which every cluster of the data lies on its own linear subspace, and jointly a *doubly
# stochastic* membership matrix, by maximising the coding-rate reduction (MCR²) of the features
# under that membership. **What is reproduced here:** the full MLC pipeline (self-supervised
# total-coding-rate initialisation, one-shot copy to the cluster head, MCR² with the Sinkhorn
# membership, spectral clustering of the membership) on two data sets — a planted union of four
# non-linear manifolds (concentric circles bent into $\mathbb R^{32}$) and real handwritten
# digits (scikit-learn's 1,797 8×8 digits) — against k-means and spectral clustering on the raw
# data and against MLC's own initialisation; and the *linearization* claim, that the learned
# features of different clusters become close to orthogonal subspaces. The paper's CIFAR and
# TinyImageNet numbers with a ResNet-18 are out of reach here. The linearization claim
# reproduces; the clustering headline — MLC more accurate than k-means, spectral clustering and
# its own initialisation — does **not** at this scale (MLC lowers the accuracy of its
# initialisation on both data sets), and is reported, not verified (see the Discussion).
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
from nonlinlab.papers import mlc_manifold_linearizing_clustering as paper

ch = nonlinlab.Chapter("mlc-manifold-linearizing-clustering", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Model.** A backbone $h_\theta$ (Linear–BatchNorm–ReLU–Linear–ReLU, the MLP head of the
# authors' code for MLC on frozen features) carries two linear heads, both normalised to the unit
# sphere of $\mathbb R^d$: the *feature* head $z_i=f_\theta(x_i)$ and the *cluster* head
# $c_i=g_\theta(x_i)$ (`paper.MLCNet`). Stack them as rows: $Z,C\in\mathbb R^{n\times d}$.
#
# **Coding rates** (MCR², paper Eqs. 1–2). The rate of all features and the rate of the
# features given a membership $\Gamma\in\mathbb R^{n\times n}$ are
#
# $$R(Z)=\tfrac12\log\det\Big(I_d+\tfrac{d}{n\epsilon^2}Z^\top Z\Big),\qquad
# R_c(Z,\Gamma)=\sum_{j=1}^{n}\tfrac{1}{2n}\log\det\Big(I_d+\tfrac{d}{\epsilon^2}Z^\top
# \operatorname{diag}(\Gamma_j)Z\Big),$$
#
# where $\Gamma_j$ is the $j$-th column: each sample $j$ defines a soft cluster of the samples
# it is similar to (`nonlinlab.models.clustering.coding_rate`, `coding_rate_membership`). The
# rate reduction $\Delta R=R-R_c$ is large when the features as a whole span many directions but
# every soft cluster is compressed into few — the union of low-dimensional subspaces MLC
# wants.
#
# **Doubly stochastic membership** (Eq. 6). $\Gamma_\theta=n\,\Pi^\star$ with
#
# $$\Pi^\star=\arg\min_{\Pi\ge0,\;\Pi\mathbf 1=\Pi^\top\mathbf 1=\mathbf 1/n}
# -\big\langle\lvert CC^\top\rvert,\Pi\big\rangle+\eta\,\langle\Pi,\log\Pi\rangle ,$$
#
# computed by unrolled log-domain Sinkhorn iterations on $\lvert CC^\top\rvert/\eta$ and
# differentiated through them (`paper.membership`). The entropy weight $\eta$ keeps $\Gamma$
# spread out; the constraint that *columns* also sum to one stops a few points from absorbing
# every row. Both are what stands between MCR² and its trivial optimum $\Gamma=I$ (every point
# its own cluster), where $R_c=\tfrac12\log(1+d/\epsilon^2)$ is as small as it can be.
#
# **Objective** (Eq. 7 and the official loss): minimise
#
# $$\mathcal L(\theta)=-R(Z_\theta)+R_c(Z_\theta,\Gamma_\theta)+\tfrac{\gamma}{2}\lVert
# \Gamma_\theta\rVert_F^2$$
#
# over the backbone and both heads (`paper.mlc_loss`, `paper.train_mlc`); the last term is the
# regulariser of the official code ($\gamma=0.05$). Hyper-parameters are the official ones:
# $\epsilon^2=0.1$, $\eta=0.175$, 5 Sinkhorn iterations per step, $\gamma=0.05$.
#
# **One-shot initialisation** (§3.3). First the backbone and feature head are trained without
# labels by the total coding rate on two augmented views,
# $-R(Z^{(1)})-R(Z^{(2)})-\lambda\,\overline{\cos}(Z^{(1)},Z^{(2)})$ (`paper.pretrain`;
# $\lambda=2$ on the digits, $\lambda=10$ on the nested circles — see the Discussion); then
# the cluster head is *copied* from the feature head, so $\Gamma$
# starts as the Sinkhorn projection of the self-supervised similarities. Augmentations: for the
# circles, the angle jittered by $\mathcal N(0,0.5^2)$ rad plus fresh noise (points stay on
# their manifold); for the digits, a random shift of at most one pixel plus pixel noise.
#
# **Inference** (official evaluation): $\Gamma$ of the whole data set (50 Sinkhorn iterations),
# symmetrised, is the affinity of spectral clustering with $k$ clusters — the $k$ leading
# eigenvectors of the normalised affinity, each row scaled to unit length, then k-means, as in
# the official `metrics/clustering.py`; accuracy (ACC) under
# the best one-to-one matching of clusters to labels (Hungarian) and normalised mutual
# information (NMI).
#
# **What we changed.** The paper trains a ResNet-18 on CIFAR/TinyImageNet for hundreds of
# epochs with SGD; here the MLP head trains for 200 TCR steps (400 on the circles; Adam,
# learning rate $10^{-3}$)
# and 100 MLC steps (Adam, $3\cdot10^{-4}$) of 512 samples on each data set, with $d=16$ (the
# paper: 128).
#
# First, the membership against the optimality conditions of Eq. 6 (float64): the minimiser
# is the only matrix of the form $\Pi^\star_{ij}=\exp\big((\lvert CC^\top\rvert_{ij}+a_i+b_j)/\eta\big)$
# with the right marginals, so $\eta\log\Gamma-\lvert CC^\top\rvert$ must be a sum of a row
# term and a column term (its double-centred residual vanishes) while rows and columns of
# $\Gamma$ sum to one (the unit tests also compare it with POT's `ot.sinkhorn`). Then the
# coding-rate identities that make $\Gamma=I$ the trivial optimum and a single all-covering
# cluster worthless: $R_c(Z,I)=\tfrac12\log(1+d/\epsilon^2)$ for unit rows, and
# $R_c(Z,\mathbf 1\mathbf 1^\top/n)=R(Z)$, i.e. $\Delta R=0$.

# %%
import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color
from nonlinlab.models.clustering import clustering_accuracy, coding_rate, coding_rate_membership

gen = torch.Generator().manual_seed(ch.seed)
C_small = torch.nn.functional.normalize(torch.randn(60, cfg.z_dim, generator=gen,
                                                    dtype=torch.float64), dim=1)
G_small = paper.membership(C_small, cfg.eta, n_iter=3000)
L = cfg.eta * G_small.log() - (C_small @ C_small.T).abs()       # should be a_i + b_j
resid = L - L.mean(1, keepdim=True) - L.mean(0, keepdim=True) + L.mean()
oracle = {
    "Γ: max |row sum − 1|": float((G_small.sum(1) - 1).abs().max()),
    "Γ: max |column sum − 1|": float((G_small.sum(0) - 1).abs().max()),
    "η log Γ − |CCᵀ|: max double-centred residual": float(resid.abs().max()),
}
eps = math.sqrt(cfg.eps2)
Rc_eye = float(coding_rate_membership(C_small, torch.eye(60, dtype=torch.float64), eps))
Rc_uniform = float(coding_rate_membership(C_small, torch.full((60, 60), 1 / 60,
                                                              dtype=torch.float64), eps))
oracle["R_c(Z, I) − ½ log(1 + d/ε²)"] = abs(Rc_eye - 0.5 * math.log(1 + cfg.z_dim / cfg.eps2))
oracle["R_c(Z, 11ᵀ/n) − R(Z)"] = abs(Rc_uniform - float(coding_rate(C_small, eps)))
pd.Series(oracle, name="max abs error (float64)").to_frame().map(lambda v: f"{v:.1e}")

# %% [markdown]
# ## Experiments
#
# **Planted manifolds.** Four concentric circles of radii 0.5, 1, 1.5 and 2 (400 points each) in
# a random plane of $\mathbb R^{32}$, bent by the element-wise map $x\mapsto x+0.3\sin 2x$, plus
# Gaussian noise of standard deviation 0.02. The clusters are non-convex and nested, so k-means
# cannot separate them; MLC must map each to its own subspace. **Real digits.** All 1,797 of
# scikit-learn's 8×8 digits, pixels scaled to $[0,1]$, $k=10$. Both runs use the same code
# (`paper.circles_experiment`, `paper.digits_experiment`); the baselines are k-means and
# spectral clustering (10-nearest-neighbour graph) on the raw inputs, k-means on the initial
# features, and MLC's inference applied to the initial network (before the MCR² phase).

# %%
res_c = paper.circles_experiment(cfg, ch.seed)
res_d = paper.digits_experiment(cfg, ch.seed)


def row(r, key):
    return {"ACC": r[key]["acc"], "NMI": r[key]["nmi"]}


methods = {"k-means (raw)": "kmeans", "spectral, k-NN graph (raw)": "spectral",
           "k-means (initial features)": "init_kmeans", "initialisation (spectral on Γ)": "init",
           "MLC (spectral on Γ)": "mlc", "k-means (MLC features)": "mlc_kmeans"}
table = pd.concat({name: pd.DataFrame({m: row(r, key) for m, key in methods.items()}).T
                   for name, r in [("circles", res_c), ("digits", res_d)]}, axis=1)
table.style.format("{:.3f}")

# %% [markdown]
# The MCR² phase itself: the expansion term $R(Z)$ stays near its maximum while the compression
# term $R_c(Z,\Gamma)$ falls — every soft cluster is squeezed into fewer directions.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for ax, (name, r) in zip(axes, [("circles", res_c), ("digits", res_d)], strict=True):
    ax.plot(r["hist"]["R"], color=color(0), label=r"$R(Z)$")
    ax.plot(r["hist"]["Rc"], color=color(1), label=r"$R_c(Z,\Gamma)$")
    ax.set(xlabel="MLC step", ylabel="coding rate (nats)", title=name)
    ax.legend()
fig.suptitle("Figure 1: MCR² terms during MLC training (mini-batches of 512)")
plt.show()

# %% [markdown]
# *Figure 1.* Expansion $R(Z)$ and compression $R_c(Z,\Gamma)$ over the MLC steps, on the
# circles (left) and the digits (right); the rate reduction is the gap between the curves.
# Mirrors the paper's training curves of the two coding-rate terms.

# %%
def pca2(x):
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return x @ vt[:2].T


fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
panels = [(res_c["x"], "raw data"), (res_c["init"]["Z"], "initial features"),
          (res_c["mlc"]["Z"], "MLC features")]
for ax, (x, title) in zip(axes, panels, strict=True):
    p = pca2(x)
    for c in range(cfg.k):
        sel = res_c["labels"] == c
        ax.scatter(*p[sel].T, s=3, color=color(c), label=f"circle {c + 1}")
    ax.set(xlabel="PC 1", ylabel="PC 2", title=title)
axes[0].legend(markerscale=4, loc="upper right")
fig.suptitle("Figure 2: planted circles, first two principal components")
plt.show()

# %% [markdown]
# *Figure 2.* The four nested circles: the raw data (left), the features after the self-supervised
# initialisation (middle) and after MLC (right), each projected on its first two principal
# components and coloured by the true manifold. Mirrors the paper's illustration of manifolds
# mapped to subspaces (its Fig. 1).

# %%
def sorted_gram(Z, labels):
    order = np.argsort(labels, kind="stable")
    return np.abs(Z[order] @ Z[order].T)


fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
heat = [(sorted_gram(res_d["init"]["Z"], res_d["labels"]),
         r"$|ZZ^\top|$, initialisation"),
        (sorted_gram(res_d["mlc"]["Z"], res_d["labels"]), r"$|ZZ^\top|$, MLC"),
        (None, r"membership $\Gamma$, MLC")]
for ax, (M, title) in zip(axes, heat, strict=True):
    if M is None:
        order = np.argsort(res_d["labels"], kind="stable")
        G = res_d["mlc"]["Gamma"][np.ix_(order, order)]
        im = ax.imshow(G, cmap="viridis", vmax=np.quantile(G, 0.99))
    else:
        im = ax.imshow(M, cmap="viridis", vmin=0, vmax=1)
    ax.set(title=title, xlabel="sample (sorted by digit)", ylabel="sample (sorted by digit)")
    fig.colorbar(im, ax=ax, shrink=0.8)
fig.suptitle("Figure 3: real digits, feature similarities and membership")
plt.show()

# %% [markdown]
# *Figure 3.* Absolute cosine similarity between the features of all 1,797 digits sorted by true
# label, after the initialisation (left) and after MLC (middle), and the learned membership
# $\Gamma$ (right, colour capped at its 99th percentile). A block-diagonal $\lvert ZZ^\top\rvert$
# with dark off-diagonal blocks means the classes sit in mutually orthogonal subspaces. Mirrors
# the paper's heat maps of $\lvert Z^\top Z\rvert$ and of the learned membership.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
for ax, (key, title) in zip(axes, [("init", "initialisation"), ("mlc", "MLC")], strict=True):
    Z, labels = res_d[key]["Z"], res_d["labels"]
    for c in range(10):
        s = np.linalg.svd(Z[labels == c], compute_uv=False)
        ax.plot(np.arange(1, len(s) + 1), s / s[0], color=color(c), label=str(c))
    ax.set(xlabel="singular value index", ylabel=r"$\sigma_i/\sigma_1$", title=title,
           yscale="log")
axes[1].legend(title="digit", ncol=2, fontsize=7)
fig.suptitle("Figure 4: per-class singular-value spectra of the digit features")
plt.show()

# %% [markdown]
# *Figure 4.* Normalised singular values of each digit class's features, after the
# initialisation (left) and after MLC (right): a faster decay means a class occupies fewer
# directions — a lower-dimensional subspace. Mirrors the paper's singular-value plots of the
# learned per-cluster features.
#
# **Linearization, in numbers.** Two measures of how far apart the class subspaces are: the
# mean $\lvert\cos\rvert$ between features of *different* true classes (0 for orthogonal
# subspaces), and the mean over pairs of classes of $\lVert U_i^\top U_j\rVert_2$, the cosine of
# the smallest principal angle between the subspaces $U_i$ spanned by the singular directions
# that hold 90 % of each class's energy (`paper.subspace_overlap`).

# %%
lin = pd.DataFrame({
    (name, stage): {"mean |cos|, different classes": r[key]["cross_cos"],
                    "mean |cos|, same class": r[key]["same_cos"],
                    "subspace overlap (cos of smallest angle)": r[key]["overlap"]}
    for name, r in [("circles", res_c), ("digits", res_d)]
    for stage, key in [("initialisation", "init"), ("MLC", "mlc")]})
lin.style.format("{:.3f}")

# %% [markdown]
# ## Reproduction check

# %%
acc = {name: {key: r[key]["acc"] for key in methods.values()} for name, r in
       [("circles", res_c), ("digits", res_d)]}
nmis = {name: {key: r[key]["nmi"] for key in methods.values()} for name, r in
        [("circles", res_c), ("digits", res_d)]}
# thresholds: about half the smallest gap seen over seeds 0–4 (values in the Discussion)
THR_NMI_GAP, THR_ACC_GAP, THR_OVERLAP = 0.4, 0.15, 0.75
THR_COS_RATIO = {"circles": 0.85, "digits": 0.95}
for name, r in [("circles", res_c), ("digits", res_d)]:
    ch.claims.less(f"{name}: cross-class mean \\lvert cos\\rvert, MLC / initialisation",
                   r["mlc"]["cross_cos"] / r["init"]["cross_cos"], THR_COS_RATIO[name],
                   kind="headline", paper=paper.PAPER_CLAIM_ORTH,
                   note=f"initialisation {r['init']['cross_cos']:.3f} → MLC "
                        f"{r['mlc']['cross_cos']:.3f}")
ch.claims.less("digits: subspace overlap after MLC (cos of smallest principal angle)",
               res_d["mlc"]["overlap"], THR_OVERLAP, kind="headline",
               paper=paper.PAPER_CLAIM_ORTH, note=f"initialisation {res_d['init']['overlap']:.3f}")
# the clustering headline: better than k-means AND spectral clustering AND its initialisation.
# Not reproduced at ci (see the Discussion): reported here, asserted only at full.
for name in ("circles", "digits"):
    best = max(acc[name]["kmeans"], acc[name]["spectral"])
    ch.claims.greater(f"{name}: MLC ACC − max(k-means, spectral) ACC on the raw inputs",
                      acc[name]["mlc"] - best, 0.0, kind="headline", asserted_at=("full",),
                      paper=paper.PAPER_CLAIM_ACC,
                      note=f"MLC {acc[name]['mlc']:.3f}, k-means {acc[name]['kmeans']:.3f}, "
                           f"spectral {acc[name]['spectral']:.3f}; see the Discussion")
    ch.claims.greater(f"{name}: MLC ACC − its initialisation (spectral on Γ)",
                      acc[name]["mlc"] - acc[name]["init"], 0.0, kind="headline",
                      asserted_at=("full",), paper="MLC improves on its one-shot initialisation",
                      note=f"initialisation {acc[name]['init']:.3f} → MLC {acc[name]['mlc']:.3f}")
# weaker, but true at ci: k-means cannot separate nested circles, MLC's membership can
ch.claims.greater("circles: MLC NMI − k-means NMI (raw)",
                  nmis["circles"]["mlc"] - nmis["circles"]["kmeans"], THR_NMI_GAP,
                  kind="paper", paper=paper.PAPER_CLAIM_ACC,
                  note="k-means on nested circles has NMI ≈ 0; spectral clustering is perfect")
ch.claims.greater("circles: MLC ACC − k-means ACC (raw)",
                  acc["circles"]["mlc"] - acc["circles"]["kmeans"], THR_ACC_GAP,
                  kind="paper", paper=paper.PAPER_CLAIM_ACC,
                  note="k-means on the raw data is near chance (0.25)")
ch.claims.less(r"Eq. 6 optimality: η log Γ − \lvert CCᵀ\rvert is a row term + a column term",
               oracle["η log Γ − |CCᵀ|: max double-centred residual"], 1e-10, kind="sanity")
ch.claims.less("Γ doubly stochastic: max deviation of row and column sums from 1",
               max(oracle["Γ: max |row sum − 1|"], oracle["Γ: max |column sum − 1|"]), 1e-6,
               kind="sanity")
ch.claims.less("R_c(Z, I) = ½ log(1 + d/ε²) and R_c(Z, 11ᵀ/n) = R(Z)",
               max(oracle["R_c(Z, I) − ½ log(1 + d/ε²)"], oracle["R_c(Z, 11ᵀ/n) − R(Z)"]), 1e-8,
               kind="sanity")
pred, y = res_c["mlc"]["pred"], res_c["labels"]
brute = max(np.mean(np.array(p)[pred] == y) for p in itertools.permutations(range(cfg.k))) \
    if cfg.k <= 8 else clustering_accuracy(y, pred)
ch.claims.close("circles: Hungarian ACC = brute force over all matchings", acc["circles"]["mlc"], brute,
                atol=1e-12, kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched: manifold linearization.** On both data sets the MCR² phase pushes the
# features of different clusters towards orthogonal subspaces: the mean $\lvert\cos\rvert$
# between different classes falls to 0.61–0.71 (circles) and 0.73–0.93 (digits) of its value at
# initialisation, while the within-class $\lvert\cos\rvert$ of the digits *rises*; the
# principal-angle overlap of the ten digit subspaces falls from 0.94–0.97 to 0.50–0.62
# (Figures 3–4: the diagonal blocks of $\lvert ZZ^\top\rvert$ brighten, the off-diagonal ones
# darken, each class's singular values decay faster). The membership also gets *purer*: the
# share of $\Gamma$'s mass on pairs of the same true class (the official code's
# "feature detection" measure) rises on every seed we measured — circles (seeds 0, 1, 5)
# 0.89–0.91 → 0.91–0.95, digits (seeds 0–5) 0.50–0.53 → 0.51–0.61, by only 0.006 at seed 5.
#
# **What did not match: the clustering headline.** The paper's headline is that MLC clusters
# more accurately than k-means and spectral clustering and than its own initialisation. At the
# `ci` scale it does not, and it is recorded as reported (asserted only at `full`, which was not
# run, so it is verified nowhere in this book). ACC over seeds 0–5 (readout: spectral clustering
# of $\Gamma$ as in the official code):
#
# | | k-means (raw) | spectral (raw) | initialisation | MLC |
# |---|---|---|---|---|
# | circles | 0.27–0.29 | 1.00 | 1.00 on all six | 1.00, 1.00, 1.00, 0.83, 0.65, 0.66 |
# | digits | 0.77–0.80 | 0.81 | 0.79, 0.79, 0.84, 0.80, 0.77, 0.76 | 0.68, 0.66, 0.68, 0.63, 0.68, 0.62 |
#
# So MLC loses 0.09–0.17 ACC against its initialisation on the digits and up to 0.36 on the
# circles, and never beats spectral clustering on the raw inputs (which is perfect on the
# circles: a 10-nearest-neighbour graph has one component per circle). Since $\Gamma$ gets
# purer while the spectral readout gets worse, the MCR² phase does not *mix* the clusters, it
# *fragments* them. Our reading (not tested further): $R_c$ is concave in $\Gamma$, so
# minimising it favours memberships that link each point only to its nearest features, and a
# circle (or a digit class) becomes a chain of weakly linked pieces that spectral clustering
# with $k$ clusters cuts in the wrong place. What we checked against the official code (`LeslieTrue/CPP`, the authors' MLC head):
# the signs and scales of the two rates ($-R(Z) + R_c(Z,\Gamma)$, $\epsilon^2=0.1$, columns of
# $\Gamma$ summing to 1), $\eta=0.175$ and 5 Sinkhorn iterations in training, the
# $\tfrac{\gamma}{2}\lVert\Gamma\rVert_F^2$ regulariser, features and cluster logits on the
# sphere, the one-shot copy of the feature head into the cluster head. Two things did differ and
# were tried: (i) the *readout* — we used scikit-learn's spectral clustering, the official code
# row-normalises the spectral embedding; the official readout is now used (circles seed 0: ACC
# 0.87 → 1.00; seeds 3–5 unchanged); (ii) the official Sinkhorn detaches the column
# potential from the gradient — no change (seed 5 circles ACC 0.664 either way). Neither the
# official optimiser (SGD, momentum 0.9, lr $3\cdot10^{-3}$/$2\cdot10^{-3}$, weight decay;
# circles seed 5 ACC 0.56, digits seed 0 0.69) nor a shorter MCR² phase (30 steps: digits seed 0
# ACC 0.72 against 0.79 at initialisation) lets MLC beat its initialisation. The paper starts
# from self-supervised CIFAR features with batches of 2,000 and 30 epochs; where its gain comes
# from a regime we cannot reach at `ci` (or from self-supervised features whose clusters are
# not already linear, unlike 8×8 digits, where k-means on pixels scores 0.77–0.80) is open.
#
# **Values over seeds** (seeds 0–4 calibrated; 5, 7 and 11 checked with the thresholds frozen):
#
# | claim | threshold | seeds 0–4 | seed 5 | seed 7 | seed 11 | worst margin |
# |---|---|---|---|---|---|---|
# | circles: cross-class $\lvert\cos\rvert$ ratio (headline) | < 0.85 | 0.70, 0.66, 0.68, 0.67, 0.63 | 0.61 | 0.64 | 0.71 | 0.14 (seed 11) |
# | digits: cross-class $\lvert\cos\rvert$ ratio (headline) | < 0.95 | 0.76, 0.81, 0.73, 0.89, 0.83 | 0.93 | 0.78 | 0.87 | 0.02 (seed 5) |
# | digits: subspace overlap (headline) | < 0.75 | 0.55, 0.59, 0.57, 0.59, 0.58 | 0.62 | 0.50 | 0.60 | 0.13 (seed 5) |
# | circles: NMI gap to k-means (paper) | > 0.4 | 0.99, 0.99, 0.99, 0.83, 0.80 | 0.80 | 0.72 | 0.60 | 0.20 (seed 11) |
# | circles: ACC gap to k-means (paper) | > 0.15 | 0.71, 0.73, 0.72, 0.56, 0.37 | 0.40 | 0.46 | 0.36 | 0.21 (seed 11) |
#
# The digits $\lvert\cos\rvert$ ratio is the thinnest asserted claim (0.93 at seed 5 against
# 0.95; seeds 0–4 leave at least 0.06); the subspace overlap, the other linearization measure on
# the digits, keeps a margin of at least 0.13 everywhere. The reported clustering headlines at
# seeds 7 and 11: circles MLC ACC 0.73 and 0.63 against an initialisation of 1.00 and 0.64
# (spectral clustering on the raw circles: 1.00).
#
# **Breaking the method.** The membership replaced by a *hard* one — every row of $\Gamma$ the
# one-hot vector of its largest entry, in training and at inference, everything else unchanged
# (seed 0). Each point's largest similarity is with itself, so $\Gamma=I$: the trivial optimum
# of $R_c$, no gradient reaches the cluster head, and the objective reduces to expanding
# $R(Z)$. Every asserted claim fails: circles $\lvert\cos\rvert$ ratio 1.21 (threshold 0.85),
# digits $\lvert\cos\rvert$ ratio 1.01 (0.95), digit-subspace overlap 0.97 (0.75), circles NMI
# gap to k-means 0.23 (0.4), ACC gap 0.01 (0.15); so do the reported clustering headlines (MLC
# ACC 0.31 on the circles and 0.10 on the digits against spectral 1.00 and 0.81; against the
# initialisation −0.13 and 0.00). Of the sanity checks, the optimality condition of Eq. 6 fails
# ($\log\Gamma$ is $-\infty$ off the diagonal) while the marginals still hold — a permutation
# matrix is doubly stochastic, which is why the entropic projection, not the constraint alone,
# is what makes the membership informative.
#
# **Not run here.** The `full` profile (eight circles of 1,000 points, a 1024-wide MLP, $d=64$,
# 3,000 steps per phase; the same 1,797 digits) is written and its cost estimated on paper
# (`paper.estimate_seconds`, ≈ 9 min on one GPU), but it was not run while writing this
# chapter, and no paper-scale image data set (the paper's CIFAR-10/100, TinyImageNet) is used.
#
# **Cost.** The `ci` run's own compute is 46–53 s of CPU time on one thread (user + system,
# papermill included; seeds 0, 5, 7), both data sets (≈ 17–25 s each).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`ding2023unsupervised` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
