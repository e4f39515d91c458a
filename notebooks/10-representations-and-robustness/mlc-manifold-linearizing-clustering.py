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
# reproduces on both data sets. Of the clustering headline, the part that MLC is more accurate
# than its own initialisation reproduces on the real digits with the authors' recipe for fixed
# input features (ACC 0.57–0.72 → 0.72–0.88 over seven seeds), though at one seed of fourteen
# by less than the 0.05 we assert, so it is reported at `ci`; that it is also more accurate
# than k-means and spectral clustering on the same inputs holds on some seeds only (also when
# the best of four restarts is chosen by the MCR² objective), and on the nested circles, where
# the initialisation is already perfect, MLC loses accuracy — those parts are reported, not
# verified. Noisier circles, and curved surfaces through the origin in place of the circles,
# gave no regime where MLC's gain held at every seed (see the Discussion).
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
# labels by the total coding rate (`paper.pretrain`); then the cluster head is *copied* from
# the feature head, so $\Gamma$ starts as the Sinkhorn projection of the initial similarities.
# On the digits, treated as fixed input features (the authors' code runs MLC on frozen CLIP
# features), this is their warm-up: 50 steps of $-R(Z)$ alone, no augmentation. On the nested
# circles, whose raw coordinates cannot tell the circles apart locally, it is the
# self-supervised TCR on two augmented views,
# $-R(Z^{(1)})-R(Z^{(2)})-\lambda\,\overline{\cos}(Z^{(1)},Z^{(2)})$ with $\lambda=10$,
# the augmentation jittering the angle by $\mathcal N(0,0.5^2)$ rad plus fresh noise (points
# stay on their manifold).
#
# **Inference** (official evaluation): $\Gamma$ of the whole data set (50 Sinkhorn iterations),
# symmetrised, is the affinity of spectral clustering with $k$ clusters — the $k$ leading
# eigenvectors of the normalised affinity, each row scaled to unit length, then k-means, as in
# the official `metrics/clustering.py`; accuracy (ACC) under
# the best one-to-one matching of clusters to labels (Hungarian) and normalised mutual
# information (NMI).
#
# **What we changed.** The paper trains a ResNet-18 on CIFAR/TinyImageNet for hundreds of
# epochs with SGD; here the MLP head trains for 50 warm-up steps on the digits (400
# augmented TCR steps on the circles; Adam, learning rate $10^{-3}$)
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
# spectral clustering (10-nearest-neighbour graph) on the same inputs MLC sees, k-means on the
# initial features, and MLC's inference applied to the initial network (before the MCR²
# phase).

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
# **Figure 1.** Expansion $R(Z)$ and compression $R_c(Z,\Gamma)$ over the MLC steps, on the
# circles (left) and the digits (right); the rate reduction is the gap between the curves
# (mirrors the training curves of the two coding-rate terms in {cite:t}`ding2023unsupervised`).

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
# **Figure 2.** The four nested circles: the raw data (left), the features after the
# self-supervised initialisation (middle) and after MLC (right), each projected on its first two
# principal components and coloured by the true manifold (mirrors Fig. 1 of
# {cite:t}`ding2023unsupervised`, manifolds mapped to subspaces).

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
# **Figure 3.** Absolute cosine similarity between the features of all 1,797 digits sorted by
# true label, after the initialisation (left) and after MLC (middle), and the learned membership
# $\Gamma$ (right, colour capped at its 99th percentile). A block-diagonal $\lvert ZZ^\top\rvert$
# with dark off-diagonal blocks means the classes sit in mutually orthogonal subspaces (mirrors
# the heat maps of $\lvert Z^\top Z\rvert$ and of the learned membership in
# {cite:t}`ding2023unsupervised`).

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
# **Figure 4.** Normalised singular values of each digit class's features, after the
# initialisation (left) and after MLC (right): a faster decay means a class occupies fewer
# directions — a lower-dimensional subspace (mirrors the singular-value plots of the learned
# per-cluster features in {cite:t}`ding2023unsupervised`).
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
# thresholds: about half the smallest gap seen over seeds 0–4 (values in the Discussion);
# the gain over k-means on the initial features is asserted as an ordering only (> 0)
THR_NMI_GAP, THR_ACC_GAP, THR_OVERLAP = 0.4, 0.15, 0.6
THR_COS_RATIO = {"circles": 0.85, "digits": 0.7}
THR_INIT_GAP, THR_INIT_KMEANS_GAP = 0.05, 0.0
for name, r in [("circles", res_c), ("digits", res_d)]:
    ch.claims.less(f"{name}: cross-class mean $\\lvert\\cos\\rvert$, MLC / initialisation",
                   r["mlc"]["cross_cos"] / r["init"]["cross_cos"], THR_COS_RATIO[name],
                   kind="headline", paper=paper.PAPER_CLAIM_ORTH,
                   note=f"initialisation {r['init']['cross_cos']:.3f} → MLC "
                        f"{r['mlc']['cross_cos']:.3f}")
ch.claims.less("digits: subspace overlap after MLC (cos of smallest principal angle)",
               res_d["mlc"]["overlap"], THR_OVERLAP, kind="headline",
               paper=paper.PAPER_CLAIM_ORTH, note=f"initialisation {res_d['init']['overlap']:.3f}")
# the clustering headline, part 1: MLC improves on its own initialisation. On the digits
# (the authors' recipe for fixed input features) it does at every seed we ran, but a lead's
# run at seed 2026 read 0.042 < 0.05: reported at ci (see the Discussion); on the circles the
# augmented initialisation is already perfect and MLC fragments it: reported.
ch.claims.greater("digits: MLC ACC − its initialisation (spectral on Γ)",
                  acc["digits"]["mlc"] - acc["digits"]["init"], THR_INIT_GAP, kind="headline",
                  asserted_at=("full",),
                  paper="MLC improves on its one-shot initialisation",
                  note=f"initialisation {acc['digits']['init']:.3f} → MLC "
                       f"{acc['digits']['mlc']:.3f}")
ch.claims.greater("circles: MLC ACC − its initialisation (spectral on Γ)",
                  acc["circles"]["mlc"] - acc["circles"]["init"], 0.0, kind="headline",
                  asserted_at=("full",), paper="MLC improves on its one-shot initialisation",
                  note=f"initialisation {acc['circles']['init']:.3f} → MLC "
                       f"{acc['circles']['mlc']:.3f}; see the Discussion")
# part 2: better than k-means AND spectral clustering on the same inputs. Seed-dependent on
# the digits, not reached on the circles: reported, asserted only at full.
for name in ("circles", "digits"):
    best = max(acc[name]["kmeans"], acc[name]["spectral"])
    ch.claims.greater(f"{name}: MLC ACC − max(k-means, spectral) ACC on the same inputs",
                      acc[name]["mlc"] - best, 0.0, kind="headline", asserted_at=("full",),
                      paper=paper.PAPER_CLAIM_ACC,
                      note=f"MLC {acc[name]['mlc']:.3f}, k-means {acc[name]['kmeans']:.3f}, "
                           f"spectral {acc[name]['spectral']:.3f}; see the Discussion")
best_d = max(acc["digits"]["kmeans"], acc["digits"]["spectral"])
ch.claims.greater("digits: k-means on the MLC features − max(k-means, spectral) on the inputs",
                  acc["digits"]["mlc_kmeans"] - best_d, 0.0, kind="paper", asserted_at=("full",),
                  paper="not the paper's readout (spectral clustering of Γ)",
                  note=f"k-means on the MLC features {acc['digits']['mlc_kmeans']:.3f}")
ch.claims.greater("digits: MLC ACC − k-means ACC on the initial features",
                  acc["digits"]["mlc"] - acc["digits"]["init_kmeans"], THR_INIT_KMEANS_GAP,
                  kind="paper", paper="MLC beats clustering its initial features",
                  note=f"k-means on the initial features {acc['digits']['init_kmeans']:.3f}")
# weaker, but true at ci: k-means cannot separate nested circles, MLC's membership can
ch.claims.greater("circles: MLC NMI − k-means NMI (raw)",
                  nmis["circles"]["mlc"] - nmis["circles"]["kmeans"], THR_NMI_GAP,
                  kind="paper", paper=paper.PAPER_CLAIM_ACC,
                  note="k-means on nested circles has NMI ≈ 0; spectral clustering is perfect")
ch.claims.greater("circles: MLC ACC − k-means ACC (raw)",
                  acc["circles"]["mlc"] - acc["circles"]["kmeans"], THR_ACC_GAP,
                  kind="paper", paper=paper.PAPER_CLAIM_ACC,
                  note="k-means on the raw data is near chance (0.25)")
ch.claims.less(r"Eq. 6 optimality: $\eta\log\Gamma-\lvert CC^\top\rvert$ is a row term + a column term",
               oracle["η log Γ − |CCᵀ|: max double-centred residual"], 1e-10, kind="sanity")
ch.claims.less("Γ doubly stochastic: max deviation of row and column sums from 1",
               max(oracle["Γ: max |row sum − 1|"], oracle["Γ: max |column sum − 1|"]), 1e-6,
               kind="sanity")
ch.claims.less(r"$R_c(Z,I)=\tfrac12\log(1+d/\epsilon^2)$ and $R_c(Z,\mathbf 1\mathbf 1^\top/n)=R(Z)$",
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
# features of different clusters towards orthogonal subspaces. On the digits the mean
# $\lvert\cos\rvert$ between different classes falls to 0.31–0.39 of its value at initialisation
# and the principal-angle overlap of the ten class subspaces from 0.98–0.995 to 0.19–0.32
# (seeds 0–4, 7, 11; Figures 3–4: the diagonal blocks of $\lvert ZZ^\top\rvert$ brighten, the
# off-diagonal ones darken, each class's singular values decay faster); on the circles the
# cross-class $\lvert\cos\rvert$ falls to 0.61–0.71 of its initial value.
#
# **What matched: MLC improves on its initialisation (digits).** The authors' code for MLC on
# fixed features (`LeslieTrue/CPP`, run on frozen CLIP features) warms up the feature head with
# 50 steps of $-R(Z)$ alone — no augmentation — copies it into the cluster head and then lets the
# MCR² objective do the clustering. With that recipe on the digits, MLC's accuracy rises at
# every seed:
#
# | digits, ACC | seeds 0–4 | seed 7 | seed 11 |
# |---|---|---|---|
# | k-means (inputs) | 0.771, 0.769, 0.790, 0.792, 0.795 | 0.793 | 0.795 |
# | spectral, k-NN graph (inputs) | 0.808, 0.808, 0.808, 0.808, 0.808 | 0.800 | 0.808 |
# | initialisation (spectral on $\Gamma$) | 0.715, 0.608, 0.610, 0.568, 0.628 | 0.684 | 0.643 |
# | k-means (initial features) | 0.728, 0.674, 0.658, 0.619, 0.642 | 0.716 | 0.755 |
# | **MLC (spectral on $\Gamma$)** | **0.879, 0.834, 0.798, 0.819, 0.723** | **0.782** | **0.792** |
# | k-means (MLC features) | 0.894, 0.832, 0.831, 0.918, 0.848 | 0.826 | 0.889 |
#
# NMI rises with it (0.58–0.66 → 0.77–0.85). From a stronger start — 200 steps of TCR on two
# augmented views (one-pixel shifts), ACC 0.76–0.84 — the MCR² phase *lowered* the accuracy at
# every seed (to 0.62–0.68): the gain needs the initialisation to be a warm-up, not a converged
# self-supervised representation. The warmed-up initialisation clusters *worse* than k-means on
# the pixels (0.57–0.72 against 0.77–0.80), so "MLC beats its initialisation" here says that the
# MCR² phase with the doubly stochastic membership is what finds the clusters, not that it
# refines an already good clustering.
#
# **What did not match.** (i) *MLC against k-means and spectral clustering on the same
# inputs* (digits): ahead at seeds 0, 1 and 3 (by 0.071, 0.026, 0.011), behind at seeds 2, 4, 7
# and 11 (by 0.010–0.085), so it is reported, not verified. k-means on the MLC features beats
# both baselines at every seed (by 0.023–0.110), but that is not the paper's readout. Neither a
# learning rate of $10^{-3}$ for the MCR² phase (seed 2: 0.825, seed 4: 0.769), nor 200 MCR²
# steps (seed 2: 0.805), nor $d=32$ (seed 2: 0.803), nor 200 warm-up steps (seed 2: 0.806,
# seed 4: 0.801) lifts MLC above spectral clustering's 0.808 at every seed.
#
# *Where the spread over seeds comes from, and restarts.* Not from the readout: eight k-means
# seeds of the spectral step give the same ACC to three decimals (seeds 0, 2, 4), and the
# official readout of one training batch's $\Gamma$ (512 digits, 5 Sinkhorn iterations) stays
# within 0.03 of the whole-set one. Not mainly from the batch order: with the digits in the
# order of seed 0, the initial weights of seed 0 reach 0.874–0.879 under three batch orders,
# those of seed 4 reach 0.746–0.795. The authors' code for fixed features trains one run
# (seed 42) and prints the readout of a training batch's $\Pi$ while it trains; it does not
# select among runs. Selecting by the training objective itself uses no labels, so we tried it:
# four independent initialisations per seed, keeping the run with the lowest MCR² objective on
# the whole set (`paper.digits_experiment` with `restarts=4`):
#
# | digits, ACC | seed 0 | seed 1 | seed 2 | seed 3 | seed 4 | seed 7 | seed 11 |
# |---|---|---|---|---|---|---|---|
# | MLC, four restarts | .879 .796 .806 .806 | .834 .804 .875 .863 | .798 .874 .810 .794 | .819 .770 .794 .799 | .723 .843 .815 .848 | .782 .860 .806 .768 | .792 .855 .728 .840 |
# | MLC, lowest objective | 0.879 | 0.875 | 0.874 | 0.799 | 0.848 | 0.806 | 0.840 |
# | − max(k-means, spectral) | +0.071 | +0.067 | +0.066 | −0.009 | +0.040 | +0.006 | +0.032 |
#
# The selection lifts the median over seeds from 0.798 to 0.848, but the objective picks the
# most accurate of the four runs at only four seeds of seven: at seed 3 the kept run stays below
# spectral clustering, at seed 7 it leads by 0.006. Eight restarts do not rescue seed 3 (the
# same run, 0.799, keeps the lowest objective; a run reaching 0.861 has a higher one); at seed 7
# they keep a run at 0.820. Each restart costs ≈ 6 s of CPU, so four would also break the 60 s
# budget; the `ci` profile runs one and the headline stays reported.
#
# (ii) *The circles.* k-means fails on nested circles (ACC 0.27–0.29) and MLC beats it by far,
# but spectral clustering on the raw inputs is perfect (a 10-nearest-neighbour graph has one
# component per circle) and so is MLC's augmented initialisation (ACC 1.00 at seeds 0–5 and 7);
# the MCR² phase keeps it at seeds 0–2 and lowers it at seeds 3, 4, 5, 7 and 11 (to 0.83, 0.65,
# 0.66, 0.73, 0.63) — its membership gets purer while the spectral readout cuts a circle into
# weakly linked pieces. The official 50-step warm-up does not transfer to raw circle
# coordinates (50 augmented TCR steps, noise 0.1, seed 0: initialisation 0.45, MLC 0.26). Both
# circle headlines are reported.
#
# *Checked against the official code:* the signs and scales of the two rates
# ($-R(Z)+R_c(Z,\Gamma)$, $\epsilon^2=0.1$), $\eta=0.175$ and 5 Sinkhorn iterations in training,
# $\lvert CC^\top\rvert$, the $\tfrac{\gamma}{2}\lVert\Gamma\rVert_F^2$ regulariser with
# $\gamma=0.05$, unit-norm heads, the one-shot copy of the feature head into the cluster head,
# the warm-up, and the row-normalised spectral readout. Departures that remain: Adam instead of
# SGD (at 100 steps the official SGD barely moves), $d=16$ instead of 128, the whole data set's
# $\Gamma$ (50 Sinkhorn iterations) instead of one batch's at inference, and pixels instead of
# frozen pretrained features: EfficientNet-Lite0 features (the pretrained image model that
# installs offline; digits upsampled to 32 and 64 pixels) cluster worse than the pixels
# (k-means 0.47 and 0.62, spectral 0.54 and 0.63) and cost 13–56 s of extraction here.
#
# **Looking for a planted regime where MLC gains** (seed 0 unless stated; 40–70 s a run here,
# too much for another `ci` experiment). Noisier circles (noise 0.02, 0.1, 0.2, 0.3) defeat
# spectral clustering (ACC 1.00, 1.00, 0.62, 0.53), but the augmented initialisation fails first
# (1.00, 0.42, 0.54, 0.53) and the MCR² phase does not recover the circles (1.00, 0.43, 0.35,
# 0.34). Four curved surfaces through the origin, $x=U_cs+c\,V_cq(s)+\sigma\xi$ with
# $s\sim\mathcal N(0,I_2)$, $q(s)=(s_1^2,s_1s_2,s_2^2)$ and $[U_c\,V_c]$ the orthonormal columns
# of a random $32\times5$ Gaussian matrix (400 points each, the official recipe for fixed
# inputs), seeds 0–4: at $c=0.5$, $\sigma=0.1$, MLC − initialisation is −0.072, +0.027, +0.335,
# +0.310, +0.127 and MLC − spectral −0.274, +0.030, +0.018, −0.053, −0.040; at $c=1$,
# $\sigma=0.2$, +0.155, −0.058, −0.229, +0.098, +0.075 and +0.122, +0.029, −0.290, +0.010,
# +0.011. Every setting has a seed where the MCR² phase settles on a union of subspaces that is
# not the planted one, and training longer makes it worse: at $c=0.5$, $\sigma=0.1$, seed 0, 300
# MCR² steps push the cross-class $\lvert\cos\rvert$ ratio from 0.34 to 0.11 and the ACC from
# 0.649 to 0.493 — more linear, around the wrong clusters. At $c=0.5$, $\sigma=0.05$ MLC
# lifts its initialisation from 0.839 to 0.996, but spectral clustering reads 0.994; projected
# onto the unit sphere ($\sigma=0.15$) the picture is the same (seed 0: spectral 0.949,
# initialisation 0.644, MLC 0.636; seed 2: 0.856, 0.416, 0.928). So the chapter keeps the
# nested circles (low noise) as its planted case.
#
# **Values over seeds** (calibrated on seeds 0–4, 7 and 11; rerun with this version):
#
# | claim | threshold | seeds 0–4 | seed 7 | seed 11 | worst margin |
# |---|---|---|---|---|---|
# | digits: MLC ACC − initialisation (headline) | > 0.05 | 0.164, 0.225, 0.188, 0.251, 0.095 | 0.098 | 0.150 | 0.045 (seed 4) |
# | digits: cross-class $\lvert\cos\rvert$ ratio (headline) | < 0.7 | 0.31, 0.39, 0.34, 0.33, 0.37 | 0.33 | 0.35 | 0.31 (seed 1) |
# | digits: subspace overlap (headline) | < 0.6 | 0.19, 0.31, 0.32, 0.26, 0.28 | 0.21 | 0.30 | 0.28 (seed 2) |
# | circles: cross-class $\lvert\cos\rvert$ ratio (headline) | < 0.85 | 0.70, 0.66, 0.68, 0.67, 0.63 | 0.64 | 0.71 | 0.14 (seed 11) |
# | digits: MLC ACC − k-means on the initial features (paper) | > 0 | 0.151, 0.160, 0.140, 0.200, 0.082 | 0.067 | 0.037 | 0.037 (seed 11) |
# | circles: NMI gap to k-means (paper) | > 0.4 | 0.99, 0.99, 0.99, 0.83, 0.80 | 0.72 | 0.60 | 0.20 (seed 11) |
# | circles: ACC gap to k-means (paper) | > 0.15 | 0.71, 0.73, 0.72, 0.56, 0.37 | 0.46 | 0.36 | 0.21 (seed 11) |
#
# The thinnest asserted claim is the gain over k-means on the initial features (0.037 at seed
# 11). The headline gain over the initialisation kept at least 0.045 above its threshold on
# these seeds, and 0.094–0.147 at seeds 31, 42, 58, 99 and 123 — but a lead's run of every
# chapter at seed 2026 read 0.042 (initialisation 0.775, MLC 0.817): there the one-shot
# initialisation was already unusually good (0.64–0.74 elsewhere) while MLC ended where it
# usually does (0.78–0.88). Neither two restarts (the lower MCR² objective kept: the same run,
# 0.042) nor twice the MLC steps (0.045) moved it. MLC still improves on its initialisation at
# all fourteen seeds we ran, but not by the threshold's 0.05 at every one, so **this headline
# is reported at `ci`** (asserted at `full`), threshold unchanged; both sabotages below still
# fail the other three headlines.
#
# **Breaking the method** (notebook rerun at seed 0, one change at a time, then restored).
# (1) The membership replaced by a *hard* one — every row of $\Gamma$ the one-hot vector of its
# largest entry, in training and at inference. Each point's largest similarity is with itself,
# so $\Gamma=I$: the trivial optimum of $R_c$, no gradient reaches the cluster head, and the
# objective reduces to expanding $R(Z)$. Every claim asserted at the time fails: digits ACC gain over the
# initialisation 0.000 (threshold 0.05; both read ACC 0.104 off $\Gamma=I$), digits
# $\lvert\cos\rvert$ ratio 1.00 (0.7), digit-subspace overlap 0.98 (0.6), circles
# $\lvert\cos\rvert$ ratio 1.22 (0.85), gain over k-means on the initial features −0.62 (0),
# circles NMI gap to k-means −0.005 (0.4) and ACC gap −0.04 (0.15); of the sanity checks, the
# optimality condition of Eq. 6 fails ($\log\Gamma=-\infty$ off the diagonal) while the marginals
# still hold — a permutation matrix is doubly stochastic, which is why the entropic projection,
# not the constraint alone, makes the membership informative.
# (2) The compression term $R_c$ dropped from the MLC loss (only $-R(Z)$ and the regulariser
# remain), everything else unchanged: the MCR² phase then only spreads the features, and the
# digits' ACC *falls* from its initialisation, 0.715 → 0.301 (gain −0.41 against > 0.05); the
# digits $\lvert\cos\rvert$ ratio (1.01), the subspace overlap (0.99), the circles
# $\lvert\cos\rvert$ ratio (1.22) and the gain over k-means on the initial features (−0.43)
# fail too; the two circle gaps to k-means still hold (NMI 0.44, ACC 0.28 — those only need
# the initial circles not to be destroyed entirely).
#
# **Not run here.** The `full` profile (eight circles of 1,000 points, a 1024-wide MLP, $d=64$,
# 3,000 TCR and 3,000 MLC steps, the official 50 warm-up steps on the same 1,797 digits) is
# written and its cost estimated on paper (`paper.estimate_seconds`, ≈ 6 min on one GPU), but it
# was not run while writing this chapter, and no paper-scale image data set (the paper's
# CIFAR-10/100, TinyImageNet) is used.
#
# **Cost.** The `ci` run takes 46–51 s of CPU time on one thread (user + system, papermill
# included; seeds 0–4, 7, 11). Its own wall time was 87–113 s on this machine while other jobs
# loaded its two cores (load ≈ 5).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`ding2023unsupervised` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
