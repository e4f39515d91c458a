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
# # Revisiting Transformation Invariant Geometric Deep Learning: Are Initial Representations All You Need?
#
# This chapter reproduces {cite:t}`zhang2021revisiting`.
#
# **What is reproduced here:** the paper's thesis that transformation invariance needs no
# special layers, only the right *initial representation*: its modified multidimensional
# scaling (MDS) maps a point cloud to coordinates that depend only on the pairwise distances
# and keep them. Fed to an unchanged PointNet, those coordinates make the classifier exactly
# invariant to rotations, reflections, scaling, translations and permutations of the points.
# On procedural point clouds of six shape classes (box, cylinder, cone, ellipsoid, torus,
# capsule; trained in their canonical pose, like ModelNet40), TinvNN-PointNet keeps its
# accuracy and every single prediction under arbitrary test-time transformations, where the
# vanilla PointNet collapses to chance, PointNet with rotation augmentation only partly
# recovers, and the PCA frame *without* the sign fix changes its prediction for a share of the
# shapes. The invariance and distance preservation of the representation are checked in
# float64, and classical MDS is checked against scikit-learn's PCA.
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
from nonlinlab.papers import tinvnn as paper

ch = nonlinlab.Chapter("tinvnn", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Why networks are not invariant, and what suffices.** A point cloud is a set
# $X=\{x_i\}_{i=1}^N\subset\mathbb R^d$. PointNet-like networks $g$ are permutation invariant,
# but their output changes when the coordinates are rotated, reflected, scaled or translated.
# The paper's observation: if the input is replaced by representations $\tilde X=f(X)$ that are
# (i) *invariant*, $f(TX)=f(X)$ for every such $T$, and permutation equivariant,
# $f(PX)=Pf(X)$, and (ii) *distance preserving*, $\|\tilde x_i-\tilde x_j\|=D_{ij}/s$, then
# $g(f(\cdot))$ is invariant to the whole group for *any* permutation-invariant $g$, and no
# geometric information is lost — no invariant layer is needed.
#
# **Modified multidimensional scaling.** With $D_{ij}=\|x_i-x_j\|_2$ and a scale statistic
# $s(D)$,
# $$\bar D=D/s(D),\qquad B=-\tfrac12J(\bar D\circ\bar D)J,\quad J=I-\tfrac1N\mathbf 1\mathbf 1^\top,
# \qquad B=U\Lambda U^\top,\qquad \tilde X=U_k\Lambda_k^{1/2},$$
# with the eigenvalues sorted in decreasing order and $k=d=3$. Everything depends on $X$ only
# through $D$, which rigid motions and reflections do not change and which $s$ makes scale
# free. What is left is the eigenvectors' sign: each column of $U$ is only defined up to
# $\pm1$, and a solver returns whichever sign its arithmetic produces. The *modification* fixes
# the sign as a function of $\tilde X$ itself. The paper's exact rule could not be retrieved
# while writing this chapter; **this chapter's rule** is the third moment,
# $$\tilde X_{:,j}\leftarrow\operatorname{sign}\Big(\sum_i\tilde x_{ij}^3\Big)\,\tilde X_{:,j},$$
# with the sign of the entry of largest $|\tilde x_{ij}|$ as fallback for (numerically)
# symmetric sets. Both are permutation invariant, so $f(PTX)=Pf(X)$ exactly. The scale is
# the root-mean-square distance, $s=(\frac1{N^2}\sum_{ij}D_{ij}^2)^{1/2}$ (the maximum distance
# is an option of the code).
#
# **Two ways to compute it.** For Euclidean points, $B=X_cX_c^\top/s^2$ ($X_c$ centred), so
# $\tilde X$ is the PCA score matrix $X_cV/s$ up to column signs, $V$ the eigenvectors of the
# $3\times3$ matrix $X_c^\top X_c$, and $s^2=2\operatorname{tr}(X_c^\top X_c)/N$. The code has
# both: `classical_mds` (from $D$: $O(N^2)$ memory and an $N\times N$ eigenproblem, the
# paper's definition) and `tinv_fast` ($O(Nd^2)$, used to feed the networks); the
# reproduction check asserts that they agree.
# Dropping the sign fix from `tinv_fast` gives the classical *PCA canonical frame* baseline.
#
# **Network and variants.** PointNet without its T-Net: a shared per-point MLP with BatchNorm
# and ReLU, max-pooling over the points, and an MLP head — widths `cfg.shared` / `cfg.head`
# (the `full` profile uses PointNet's 64-64-64-128-1024 / 512-256 with dropout 0.3). Every
# variant is the same network trained the same way (Adam, cosine decay, cross-entropy) on the
# same aligned training shapes; only its input differs:
#
# | variant | input | training augmentation |
# |---|---|---|
# | PointNet | raw $xyz$ | none |
# | PointNet + O(3) aug. | raw $xyz$ | a Haar rotation per shape and batch, times a reflection half the time |
# | PCA frame, no sign fix | $X_cV/s$ with the solver's signs | none |
# | PCA frame + sign-flip aug. | the same | random $\pm$ per axis |
# | **TinvNN-PointNet** | modified MDS $\tilde X$ | none |
#
# Code: `nonlinlab/papers/tinvnn.py`.

# %% [markdown]
# ## Experiments
#
# ### Data and test conditions
#
# Six classes of closed surfaces, built as triangle meshes (boxes; surfaces of revolution for
# cylinders, cones and capsules; subdivided icospheres stretched into ellipsoids; tori), each
# instance with random class-specific proportions, `cfg.n_points` points sampled uniformly on
# the area (`nonlinlab.models.meshes.sample_surface`), centred, scaled into the unit ball, plus
# 1 % Gaussian jitter. Training shapes are in the canonical pose (axis of revolution along
# $z$), as the aligned ModelNet40 models of the paper. The test shapes are evaluated under four
# conditions, with one random draw per shape:
#
# - **aligned** — as trained;
# - **SO(3)** — a Haar-random rotation;
# - **SO(3)+scale+shift+perm** — rotation, a scale factor $c$ with $\log c\sim U[-\log 2,\log 2]$,
#   a translation $t\sim U[-5,5]^3$ and a random order of the points;
# - **O(3)+scale+shift+perm** — the same with a reflection.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color

ex = paper.run_experiment(cfg, seed=ch.seed, device=ch.device)
n_train, n_test = cfg.n_train_per_class, cfg.n_test_per_class
pd.DataFrame({"classes": [len(paper.CLASSES)], "train shapes": [n_train * len(paper.CLASSES)],
              "test shapes": [n_test * len(paper.CLASSES)], "points per shape": [cfg.n_points]})

# %% [markdown]
# ### One shape, three poses, one representation (mirrors the paper's motivation figure)
#
# A cone of the test set in its aligned pose and under two random transformations of the
# O(3)+scale+shift+perm condition: the raw coordinates change completely, the TinvNN
# coordinates do not (the colour of each point is its height in the aligned pose, so it
# travels with the point through the permutation).

# %%
gen = torch.Generator().manual_seed(ch.seed)
cone = ex.test_sets["aligned"][(ex.y_test == paper.CLASSES.index("cone")).nonzero()[0, 0]][None]
poses = [("aligned", cone, torch.arange(cfg.n_points)[None])]
for j in (1, 2):
    T, perm = paper.random_transform(cone, "O(3)+scale+shift+perm", generator=gen,
                                     return_perm=True)
    poses.append((f"transformed #{j}", T, perm))
height = cone[0, :, 2].numpy()
fig, axes = plt.subplots(2, 3, figsize=(10.5, 6.4))
for j, (title, P, perm) in enumerate(poses):
    c = height[perm[0].numpy()]
    axes[0, j].scatter(P[0, :, 0], P[0, :, 1], c=c, s=8)
    axes[0, j].set(title=f"{title}: raw $x, y$", xlabel="$x$ (unit-ball units)",
                   ylabel="$y$ (unit-ball units)", aspect="equal")
    Y = paper.classical_mds(P.double())
    axes[1, j].scatter(Y[0, :, 0], Y[0, :, 1], c=c, s=8)
    axes[1, j].set(title=f"{title}: TinvNN $\\tilde x_1, \\tilde x_2$",
                   xlabel="$\\tilde x_1$ (units of $s$)", ylabel="$\\tilde x_2$ (units of $s$)",
                   aspect="equal")
plt.show()

# %% [markdown]
# **Figure 1.** A test cone (colour: height of each point in the aligned pose) in its aligned
# pose and after two random O(3)+scale+shift+perm transformations: the raw $x,y$ coordinates
# (top) and the first two TinvNN coordinates from classical MDS on the distances (bottom),
# which are the same in all three cases (mirrors the motivation figure of
# {cite:t}`zhang2021revisiting`).

# %% [markdown]
# ### Oracles: strict invariance, distance preservation, PCA
#
# On `cfg.n_oracle` test shapes in float64: the largest deviation of
# $f(TX)$ from $Pf(X)$ over one random O(3)+scale+shift+perm transformation per shape; the
# largest violation of $\|\tilde x_i-\tilde x_j\|=D_{ij}/s$; the largest difference between the
# $O(Nd^2)$ path and classical MDS on the distances; and classical MDS against scikit-learn's
# `PCA(n_components=3)` scores divided by $s$, up to column signs (the peer oracle).

# %%
X_or = ex.test_sets["aligned"][:: max(1, len(ex.y_test) // cfg.n_oracle)][: cfg.n_oracle]
oracle = paper.invariance_errors(X_or, seed=ch.seed)
oracle["sklearn_pca"] = paper.pca_oracle_error(X_or.numpy())
pd.Series(oracle, name="max abs error (float64)").map(lambda v: f"{v:.1e}").to_frame()

# %% [markdown]
# ### Accuracy under test-time transformations (mirrors the main classification table)
#
# Every variant is trained on aligned shapes and tested under each condition. *changed* is the
# share of test shapes whose predicted class differs from the prediction on the same shape in
# its aligned pose.

# %%
acc = pd.DataFrame(ex.acc).T[list(paper.CONDITIONS)]
chg = pd.DataFrame(ex.changed).T[list(paper.CONDITIONS[1:])]
table = pd.concat({"accuracy": acc, "changed predictions": chg}, axis=1)
table.round(3)

# %%
names = list(ex.acc)
ticks = [c.replace("+scale", "\n+scale") for c in paper.CONDITIONS]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
w = 0.8 / len(names)
for i, n in enumerate(names):
    xs = np.arange(len(paper.CONDITIONS)) + (i - (len(names) - 1) / 2) * w
    axes[0].bar(xs, [ex.acc[n][c] for c in paper.CONDITIONS], w, color=color(i), label=n)
    axes[1].bar(xs[1:] - 1, [ex.changed[n][c] for c in paper.CONDITIONS[1:]], w, color=color(i))
axes[0].axhline(1 / len(paper.CLASSES), color="0.4", ls=":", lw=1)
axes[0].set(xticks=range(len(paper.CONDITIONS)), xticklabels=ticks,
            ylabel="test accuracy", title="accuracy (dotted: chance)", ylim=(0, 1.05))
axes[1].set(xticks=range(len(paper.CONDITIONS) - 1), xticklabels=ticks[1:],
            ylabel="share of test shapes", title="predictions changed vs aligned pose")
for ax in axes:
    ax.tick_params(axis="x", labelsize=8)
fig.legend(loc="outside lower center", ncol=3)
plt.show()

# %% [markdown]
# **Figure 2.** Test accuracy of the five variants under the four test conditions (left) and
# the share of test shapes whose predicted class changes between the aligned pose and the
# transformed one (right); TinvNN-PointNet's bars on the right are exactly zero. Mirrors the
# main point-cloud classification table of {cite:t}`zhang2021revisiting` (ModelNet40 under
# rotations, translations and scaling).

# %% [markdown]
# ### Distance preservation and where the frame is fragile
#
# Left: every pairwise distance of one test shape, $D_{ij}/s$ against
# $\|\tilde x_i-\tilde x_j\|$. Right: the relative eigen-gaps of $X_c^\top X_c$ per class. Where
# a gap is small (bodies of revolution have two nearly equal principal axes) the axes inside
# the near-degenerate plane are set by sampling noise: invariance still holds exactly, but
# similar shapes of one class reach the network in different orientations, which it has to
# learn from data. This is what the PCA frame costs in accuracy.

# %%
Xs = ex.test_sets["aligned"][:1]
Ds = paper.pairwise_distances(Xs)[0]
Ys = paper.classical_mds(Xs)
iu = np.triu_indices(cfg.n_points, 1)
gaps = paper.eigengaps(ex.test_sets["aligned"])
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
pick = np.random.default_rng(ch.seed).permutation(len(iu[0]))[:20_000]  # ≤ 20k pairs
iu = (iu[0][pick], iu[1][pick])
dn = (Ds / Ds.pow(2).mean().sqrt())[iu]
axes[0].scatter(dn, paper.pairwise_distances(Ys)[0][iu], s=2)
axes[0].plot([0, float(dn.max())], [0, float(dn.max())], color="0.4", lw=1, ls=":")
axes[0].set(xlabel="$D_{ij}/s$ (input distance, units of $s$)",
            ylabel="$\\|\\tilde x_i-\\tilde x_j\\|$ (units of $s$)",
            title="TinvNN preserves every distance")
for c in range(len(paper.CLASSES)):
    g = np.minimum(gaps[ex.y_test.numpy() == c, 0], gaps[ex.y_test.numpy() == c, 1])
    axes[1].scatter(np.full(len(g), c) + np.linspace(-0.2, 0.2, len(g)), g, s=6, color=color(c))
axes[1].set(yscale="log", xticks=range(len(paper.CLASSES)), xticklabels=paper.CLASSES,
            ylabel="smallest relative eigen-gap", title="gap of $X_c^\\top X_c$ per test shape")
plt.show()

# %% [markdown]
# **Figure 3.** Left: input distances $D_{ij}/s$ against TinvNN distances
# $\|\tilde x_i-\tilde x_j\|$ for all pairs of one test shape, on the diagonal (distance
# preservation, the second condition of the paper's sufficiency result). Right: the smallest
# relative eigen-gap $\min(\lambda_1-\lambda_2,\lambda_2-\lambda_3)/\lambda_1$ of
# $X_c^\top X_c$ for every test shape, by class (no counterpart in the paper).

# %% [markdown]
# ## Reproduction check
#
# The headline claims are the paper's: TinvNN-PointNet is invariant to the whole group —
# not one test prediction changes and the accuracy is the same under every condition — where
# the vanilla PointNet collapses, at a small cost in aligned accuracy. The first two are the
# guarantee the paper proves; they hold here because the representation is invariant to
# rounding and the network sees identical inputs, and they fail as soon as the sign fix is
# dropped (see the discussion). The ablations against the PCA frame without the sign fix and
# against augmentation are other results of the paper. Thresholds are set from seeds 0–4 at
# the ci profile (values in the discussion); the float64 oracles are sanity checks.

# %%
tinv, van, aug = ex.acc["TinvNN-PointNet"], ex.acc["PointNet"], ex.acc["PointNet + O(3) aug."]
moved = paper.CONDITIONS[1:]
full_group = "O(3)+scale+shift+perm"
ch.claims.less("TinvNN-PointNet: share of test predictions changed by a transformation",
               max(ex.changed["TinvNN-PointNet"][c] for c in moved), 0.005, kind="headline",
               paper="0 (strict invariance, proved)",
               note="worst of SO(3), SO(3)+scale+shift+perm, O(3)+scale+shift+perm")
ch.claims.less("TinvNN-PointNet accuracy: aligned − worst transformed condition",
               tinv["aligned"] - min(tinv[c] for c in moved), 0.01, kind="headline",
               paper="unchanged under arbitrary transformations")
ch.claims.greater("PointNet accuracy: aligned − SO(3)+scale+shift+perm",
                  van["aligned"] - van["SO(3)+scale+shift+perm"], 0.5, kind="headline",
                  paper="vanilla networks collapse under transformations",
                  note=f"aligned {van['aligned']:.3f}, chance {1 / len(paper.CLASSES):.3f}")
ch.claims.greater(f"TinvNN-PointNet under {full_group} − PointNet aligned (accuracy)",
                  tinv[full_group] - van["aligned"], -0.12, kind="headline",
                  paper="competitive accuracy (small cost of the invariance)")
ch.claims.greater("PCA frame without sign fix: share of test predictions changed",
                  max(ex.changed["PCA frame, no sign fix"][c] for c in moved), 0.02,
                  paper="the sign ambiguity must be fixed for strict invariance",
                  note="worst condition; the same frame with the sign fix changes none")
ch.claims.greater("TinvNN-PointNet − PointNet + O(3) aug. under SO(3) (accuracy)",
                  tinv["SO(3)"] - aug["SO(3)"], 0.1, asserted_at="ci",
                  paper="TinvNN beats augmentation under transformations",
                  note="the condition the augmentation was trained for; its gap depends on the "
                       "training budget, so it is asserted at ci only")
ch.claims.greater("PointNet + O(3) aug.: share of test predictions changed under SO(3)",
                  ex.changed["PointNet + O(3) aug."]["SO(3)"], 0.1, asserted_at="ci",
                  paper="augmentation gives no invariance guarantee",
                  note="asserted at ci only (longer training lowers it, never to 0)")
ch.claims.less("representation: max $|f(TX) - Pf(X)|$ (float64)", oracle["invariance"], 1e-10,
               kind="sanity", paper="0 (Theorem)")
ch.claims.less("distance preservation: max $|\\,\\|\\tilde x_i-\\tilde x_j\\| - D_{ij}/s\\,|$",
               oracle["distance"], 1e-10, kind="sanity", paper="0 for $k \\ge$ affine rank")
ch.claims.less("$O(Nd^2)$ path vs classical MDS on distances (float64)", oracle["fast_vs_mds"],
               1e-10, kind="sanity")
ch.claims.less("classical MDS vs scikit-learn PCA scores / $s$, up to column signs",
               oracle["sklearn_pca"], 1e-10, kind="sanity", note="peer oracle")
ch.claims.less("TinvNN-PointNet: max $|\\Delta$ logit$|$ over transformed conditions (float32)",
               max(float(ex.dlogit["TinvNN-PointNet"][c].max()) for c in moved), 1e-4,
               kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The paper's central result reproduces exactly: with the modified-MDS
# representation, an unchanged PointNet trained only on aligned shapes gives the same
# prediction for every test shape under rotations, reflections, scaling, translations and
# point permutations — on every seed, 0 of 300 predictions change and the largest change of a
# logit is 0 in float32 (the float64 representations of a shape and of its transformed copy
# differ by ≈ 1e-14 and round to the same float32 numbers). The vanilla PointNet, 97–99 %
# accurate in the aligned pose, falls to 14–19 % (chance 16.7 %) once the shapes are moved,
# and already to 25–31 % under rotations alone. The representation itself is invariant to
# ≈ 1e-14 in float64, preserves all pairwise distances to ≈ 5e-15, equals scikit-learn's PCA
# scores divided by $s$ up to column signs to ≈ 5e-14, and the $O(Nd^2)$ path equals classical MDS
# on the distances to ≈ 3e-14: the paper's sufficiency argument (invariant + distance
# preserving ⇒ invariant network, nothing lost) holds as stated.
#
# **What it costs, and the ablations.** Invariance is not free: TinvNN-PointNet reaches
# 92–95 % where the vanilla network reaches 97–99 % on aligned shapes (a gap of 1.7–7 points).
# The confusions are mostly boxes, cylinders and cones, and Figure 3 shows why: bodies of
# revolution have two nearly equal principal axes (relative eigen-gaps down to ≈ 4e-3 for
# cylinders and capsules), so inside that plane the frame is set by sampling noise, and
# same-class shapes reach the network in orientations it has to learn from 70 examples per
# class. This does not break invariance (a gap of 1e-3 amplifies rounding errors of 1e-16 to
# 1e-13), but it is the price of a canonical frame; the paper calls the resulting accuracy
# competitive, and at this scale the cost is a few points.
# Without the sign fix, the PCA frame is invariant only up to the eigensolver's sign choices:
# 3–15 % of the test predictions change under a transformation (worst condition), and its
# accuracy moves between conditions by up to 8 points. Random sign-flip augmentation of that
# frame (the usual remedy) brings the changes down to 0.7–6 % and its accuracy to the level of
# TinvNN (91–97 %) — it learns to be approximately sign invariant, but never guarantees it.
# Rotation augmentation of raw coordinates (PointNet + O(3) aug.) learns slowly at this budget
# (64–78 % aligned), changes 23–29 % of its predictions under rotations, and, since it was
# trained on centred shapes of unit size, is at chance once they are also scaled and moved.
#
# **Values over seeds 0–4 (ci) against the thresholds**, worst margin in brackets: TinvNN
# changed predictions 0 on every seed (< 0.005; 0.005); TinvNN accuracy drop 0 (< 0.01);
# PointNet drop 0.807–0.840 (> 0.5; 0.31); TinvNN under the full group − PointNet aligned
# −0.070 to −0.017 (> −0.12; 0.05); PCA frame without sign fix, changed predictions
# 0.053–0.153 (> 0.02; 0.033); TinvNN − PointNet + O(3) aug. under SO(3) 0.207–0.317
# (> 0.1; 0.11); augmentation, changed predictions under SO(3) 0.233–0.270 (> 0.1; 0.13).
# Seeds 7 and 11: 0 and 0; 0 and 0; 0.807 and 0.833; −0.043 and −0.040; 0.110 and 0.033;
# 0.313 and 0.287; 0.293 and 0.257 (all pass; the narrowest margin, 0.013, is the
# no-sign-fix ablation at seed 11). The oracles are at 1e-14 against thresholds of 1e-10.
#
# **Breaking the method.** (1) Dropping the sign fix (`fix_signs` returning its input, seed 0):
# three of the four headline claims fail — 15.3 % of TinvNN's predictions change, its accuracy
# drops by 8.3 points under the worst condition and ends 16.7 points below the aligned
# PointNet — together with three sanity checks (invariance error 2.75, fast path vs MDS 2.75,
# logit change 4.2). In the distance-based path the eigensolver sees the *same* matrix
# under any rigid motion, so without the sign fix it is the point permutation that flips the
# signs. Two more, run with the experiment functions on seed 0 (PointNet and TinvNN only):
# (2) removing the scale normalisation from the $O(Nd^2)$ path: 52 % of the predictions
# change and accuracy falls from 0.94 to 0.47 under the scaled conditions (and the fast-vs-MDS
# sanity check fails). (3) Forgetting to centre the points: 85 % of the predictions change and
# TinvNN falls to chance under translations. Each of these fails the first two headline claims.
#
# **Where the chapter deviates, and why.** The paper's experiments use ModelNet40 and ShapeNet
# (and combinatorial-optimisation solvers for TSP-type problems); neither dataset can be
# shipped here, so the chapter uses procedural shapes with planted classes, and it does not
# reproduce the combinatorial-optimisation experiment or the DGCNN backbone. The ci network is
# a narrow PointNet without T-Net (shared 32-64, head 32, 12 epochs, cosine decay), the full
# profile PointNet's widths. The paper's exact sign rule and scale statistic could not be read
# while writing this chapter: the third-moment rule with its fallback and the RMS distance are
# this chapter's choices (any rule that is a permutation-invariant function of $\tilde X$
# gives the same guarantee; the maximum distance is available as `scale="max"`). The
# representation is invariant to reflections too, so mirror-image shapes are indistinguishable
# — harmless for these achiral classes, a limitation for chiral ones. The paper's per-table
# ModelNet40 accuracies are not quoted in the ledger: our data are not comparable and we could
# not consult the tables offline; the ledger quotes the paper's qualitative statements.
#
# **Not run here.** The `full` profile (1,024 points, 2,400 training shapes, PointNet widths,
# 60 epochs; ≈ 7 minutes on paper) is written but was not run while writing this chapter. The
# two augmentation claims are asserted at ci only: longer training narrows the gap between
# augmentation and TinvNN, which the chapter does not want to pre-judge.
#
# **Cost.** Estimate on paper 15 s (`paper.estimate_seconds`). A ci run took 40 s of wall time
# (`wall_time_s`) at load average ≈ 8 on the shared 2-core machine, of which ≈ 16 s CPU time
# for the whole kernel (imports included); the chapter should fit its 30 s on an idle
# 2-core runner.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`zhang2021revisiting` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
