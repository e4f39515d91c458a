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
# # Spanning the Visual Analogy Space with a Weight Basis of LoRAs
#
# This chapter reproduces {cite:t}`manor2026spanning`.
#
# **What is reproduced here:** the LoRWeB adapter — a *basis* of LoRAs in every adapted layer,
# mixed per example by attention between a projected query (frozen embeddings of the analogy
# images $a, a', b$) and learnable keys — on visual analogies $a : a' :: b : b'$ built from
# **real handwritten digits** (scikit-learn's 8×8 digits, upsampled to 16×16) and known image
# transformations (shifts, flips, rotations, blur, inversion, contrast). A small frozen
# in-context editor plays the role of FLUX.1-Kontext. We check the adapter's exact properties
# (zero start, convex mixing, merged-weight equivalence, a one-element basis is a `peft` LoRA),
# that LoRWeB beats a single LoRA of the same rank on transformations **held out** from
# training, and that its per-example coefficients matter: fixing them to their mean destroys
# much of the gain. The paper's comparison against a single LoRA with as many parameters does
# **not** reproduce at this scale (see the discussion).
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
from nonlinlab.papers import lorweb as paper

ch = nonlinlab.Chapter("lorweb", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Task.** Given a triplet $(a, a', b)$ where $a'=T(a)$ for some image transformation $T$, the
# editor must produce $b'=T(b)$. In the paper the editor is FLUX.1-Kontext, which receives the
# three images in a 2×2 grid; here it is a frozen MLP on the concatenation $[a, a', b]$ with a
# residual connection from $b$,
# $\hat b' = b + W_3\,\mathrm{relu}(W_2\,\mathrm{relu}(W_1[a,a',b]))$, pre-trained on a few
# warm-up edits (identity, dimming, one-pixel shifts) so that it is a weak general editor before
# any adapter, as Kontext is (`paper.train_editor`).
#
# **A basis of LoRAs** (paper Sec. 3, official `AttLoraLinearAdapter`). Every adapted linear
# layer $y=W_0x+b_0$ gets $N$ LoRA pairs $A_n\in\mathbb R^{d_\text{in}\times r}$
# (Kaiming-uniform), $B_n\in\mathbb R^{r\times d_\text{out}}$ (zeros), $N$ keys
# $k_n\in\mathbb R^{d_k}$ and a query projection $W_q$. The query is built from a frozen image
# encoder $E$ (CLIP ViT-L/14 in the paper; here fixed random ReLU features of each 16×16 image,
# standardised) in the official `cat-aa'b` mode, $e=[E(a),E(a'),E(b)]$, and the mixing
# coefficients are
#
# $$q = W_q e,\qquad c_n = \operatorname{softmax}_n\!\Big(\frac{q^\top k_n}{\sqrt{d_k}}\Big),
# \tag{1}$$
#
# a convex combination (non-negative, summing to one). The adapted layer is
#
# $$y = W_0x+b_0+s\sum_{n=1}^N c_n\,(xA_n)B_n = \Big(W_0+s\sum_n c_n(A_nB_n)^\top\Big)x+b_0,
# \qquad s=\alpha/r, \tag{2}$$
#
# i.e. each analogy gets its own LoRA, a point in the span of the basis. Since every $B_n=0$
# at the start, the adapted editor is exactly the frozen one. Only $A_n, B_n, k_n, W_q$ are
# trained, with the flow-matching loss in the paper and here with $\lVert\hat b'-b'\rVert^2$
# (our editor is a regressor, not a diffusion model), AdamW with the official betas
# $(0.9, 0.99)$ and weight decay $0.05$. We use the official $N=32$ (README) and rank $r=1$
# (official YAML) with $\alpha=r$, $d_k=32$ (official 128) and one head.
#
# **Baselines** (the paper's "single LoRA" fine-tuning of the editor): one LoRA per layer with
# the same rank $r$, and one with rank chosen so that its parameter count matches LoRWeB's
# (keys and $W_q$ included). **Ablation:** LoRWeB with every example's coefficients replaced by
# their mean over the test analogies (the encoder switched off).
#
# **Data.** Digits are split in half: adapters train on analogies made from the first half,
# everything is evaluated on the other half. 12 transformations are seen in training; 8 are
# held out: four 50/50 blends of two seen ones (e.g. $\tfrac12$ h-flip $+\tfrac12$ v-flip) and
# four never seen at all (rot 180°, a diagonal shift, one-pixel right and up shifts).

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color

out = paper.run_experiment(cfg, seed=ch.seed)
S = paper.summarize(out)
lorweb = out["models"]["LoRWeB"]

# %% [markdown]
# First the exact properties of Eq. 1–2 on the trained adapter: coefficients are convex, and
# the adapted output equals the frozen layer run with the merged per-example weight.

# %%
a, a2, b, b2, k_seen = out["seen"]
with torch.no_grad():
    zero = paper.AdaptedEditor(lorweb.editor, lorweb.encoder, n_loras=cfg.n_loras, rank=cfg.rank,
                               key_dim=cfg.key_dim, seed=ch.seed)
    zero_gap = float((zero(a, a2, b) - lorweb.editor(a, a2, b)).abs().max())
    q = lorweb.encoder.query(a, a2, b)
    m = lorweb.adapters[0]
    c = m.coefficients(q)
    x_in = torch.cat([a, a2, b], 1)
    m.query = q[:200]
    W = m.merged_weight(c[:200])
    merge_gap = float((m(x_in[:200]) - (torch.einsum("boi,bi->bo", W, x_in[:200])
                                        + m.base.bias)).abs().max())
convex_gap = float((c.sum(1) - 1).abs().max())
pd.Series({"zero start: max |adapted − frozen|": zero_gap,
           "min coefficient": float(c.min()),
           "max |Σ c_n − 1|": convex_gap,
           "merged weight: max |Eq. 2 left − right|": merge_gap}).to_frame("value").map(
    lambda v: f"{v:.1e}")

# %% [markdown]
# ## Experiments
#
# Mean squared error per pixel of $\hat b'$ on test digits, averaged over the seen and over the
# held-out transformations (the paper reports CLIP/DINO similarities and user studies on its
# own benchmark, with no per-pixel error; the numbers are for comparison between rows only).

# %%
names = ["frozen editor", "single LoRA (same rank)", "single LoRA (matched params)", "LoRWeB",
         "LoRWeB, mean coefficients"]
params = {**out["params"], "frozen editor": 0, "LoRWeB, mean coefficients": out["params"]["LoRWeB"]}
table = pd.DataFrame({n: {"trainable parameters": params[n], "MSE seen": S[n]["seen"],
                          "MSE held-out": S[n]["held-out"]} for n in names}).T
table.style.format({"trainable parameters": "{:,.0f}", "MSE seen": "{:.4f}",
                    "MSE held-out": "{:.4f}"})

# %%
ops = list(paper.TRAIN_OPS) + list(paper.HELDOUT_OPS)
fig, ax = plt.subplots(figsize=(11, 3.8))
show = names[1:5]
w = 0.8 / len(show)
xs = np.arange(len(ops))
for j, n in enumerate(show):
    ax.bar(xs + (j - 1.5) * w, np.concatenate(out["mse"][n]), w, color=color(j), label=n)
ax.axvline(len(paper.TRAIN_OPS) - 0.5, color="k", lw=1, ls="--")
ax.text(len(paper.TRAIN_OPS) + 0.2, ax.get_ylim()[1] * 0.92, "held out →", fontsize=9)
ax.set(xticks=xs, ylabel="test MSE per pixel", xlabel="transformation")
ax.set_xticklabels(ops, rotation=60, ha="right", fontsize=8)
ax.legend(fontsize=8, ncol=2)
plt.show()

# %% [markdown]
# **Figure 1.** Test error per transformation for the single-LoRA baselines, LoRWeB and LoRWeB
# with its coefficients fixed to their mean; left of the dashed line the 12 transformations
# seen in adapter training, right of it the 8 held-out ones (mirrors the paper's quantitative
# comparison of seen vs. unseen edits, where LoRWeB's advantage is largest on unseen ones).

# %%
held = out["held"]
rows = [("seen", out["seen"], 4), ("seen", out["seen"], 9), ("held", held, 0), ("held", held, 4)]
fig, axes = plt.subplots(len(rows), 6, figsize=(9, 1.7 * len(rows)))
cols = ["a", "a′", "b", "b′ (truth)", "single LoRA (matched)", "LoRWeB"]
single = out["models"]["single LoRA (matched params)"]
for i, (kind, d, op) in enumerate(rows):
    j = int(np.flatnonzero(d[4] == op)[0])
    args = [t[j:j + 1] for t in d[:3]]
    with torch.no_grad():
        imgs = [d[0][j], d[1][j], d[2][j], d[3][j], single(*args)[0], lorweb(*args)[0]]
    name = (list(paper.TRAIN_OPS) if kind == "seen" else list(paper.HELDOUT_OPS))[op]
    for k, (ax, im) in enumerate(zip(axes[i], imgs, strict=True)):
        ax.imshow(im.reshape(16, 16).numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        if i == 0:
            ax.set_title(cols[k], fontsize=8)
    axes[i, 0].set_ylabel(f"{name}\n({kind})", fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** Analogies on test digits: the example pair $a\to a'$, the query $b$, the true
# $b'$ and the edits of the matched single LoRA and of LoRWeB, for two seen and two held-out
# transformations (mirrors the paper's qualitative comparison figures).

# %%
coef = out["coeffs"]
k = out["op_seen"]
cc = coef - coef.mean(0)
_, _, vt = np.linalg.svd(cc, full_matrices=False)
z = cc @ vt[:2].T
sil = paper.silhouette(coef, k, seed=ch.seed)
fig, ax = plt.subplots(figsize=(6.4, 4.4))
for i, name in enumerate(paper.TRAIN_OPS):
    sel = k == i
    ax.scatter(z[sel, 0], z[sel, 1], s=5, alpha=0.5, color=color(i % 7),
               marker="o^sxD+v*<>1p"[i], label=name)
ax.set(xlabel="principal component 1 of c", ylabel="principal component 2 of c")
ax.legend(fontsize=7, ncol=2, markerscale=2)
plt.show()

# %% [markdown]
# **Figure 3.** The mixing coefficients of all three layers (a point in the "space of LoRAs"
# per analogy) for test analogies of the seen transformations, projected on their two leading
# principal components and coloured by transformation (mirrors the paper's analysis of the
# learned coefficient space). The silhouette score of the coefficients grouped by
# transformation is printed in the reproduction check.

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.4))
for j, n in enumerate(["single LoRA (same rank)", "single LoRA (matched params)", "LoRWeB"]):
    cur = np.convolve(out["curves"][n], np.ones(20) / 20, mode="valid")
    ax.plot(cur, color=color(j), label=n)
ax.set(xlabel="training step", ylabel="training MSE (20-step mean)", yscale="log")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 4.** Training loss of the adapters on the seen transformations (no counterpart in
# the paper).

# %% [markdown]
# ## Reproduction check
#
# Exact properties of Eq. 1–2 are sanity checks. The paper's headline — LoRWeB beats a single
# LoRA with as many parameters on held-out transformations — does not hold at this scale and
# is recorded as reported (asserted only at `full`). Asserted headlines: the per-example
# coefficients carry LoRWeB's gain (fixing them to their mean raises the held-out and the seen
# error). Also asserted, as other results: LoRWeB beats a single LoRA of the same rank (which
# has 1/N of the basis' parameters, so capacity alone explains part of it). The clustering of
# coefficients by transformation is reported.
# Thresholds were set on seeds 0–4 (values in the discussion).

# %%
L, R, M, F = (S[n] for n in ["LoRWeB", "single LoRA (same rank)",
                             "single LoRA (matched params)", "LoRWeB, mean coefficients"])
ch.claims.less("zero start: max abs difference to the frozen editor", zero_gap, 1e-12,
               kind="sanity", paper="B initialised to zero")
ch.claims.less("softmax mixing is convex: max deviation of the sum of c from 1", convex_gap,
               1e-5, kind="sanity", paper="lora_softmax=true")
ch.claims.less("merged-weight equivalence (Eq. 2): max abs error", merge_gap, 1e-4,
               kind="sanity", paper="one effective LoRA per example")
ch.claims.less("held-out MSE ratio LoRWeB / single LoRA (same rank)",
               L["held-out"] / R["held-out"], 0.9, kind="paper",
               paper="LoRWeB improves generalisation to unseen transformations over single-LoRA",
               note=f"LoRWeB {L['held-out']:.4f}, single LoRA r={cfg.rank} {R['held-out']:.4f}")
ch.claims.less("seen MSE ratio LoRWeB / single LoRA (same rank)", L["seen"] / R["seen"], 0.75,
               kind="paper", paper="LoRWeB outperforms single-LoRA adaptation",
               note=f"LoRWeB {L['seen']:.4f}, single LoRA r={cfg.rank} {R['seen']:.4f}")
ch.claims.greater("held-out MSE ratio with coefficients fixed to their mean / LoRWeB",
                  F["held-out"] / L["held-out"], 1.2, kind="headline",
                  paper="the per-analogy coefficients select the transformation",
                  note=f"mean coefficients {F['held-out']:.4f}")
ch.claims.greater("seen MSE ratio with coefficients fixed to their mean / LoRWeB",
                  F["seen"] / L["seen"], 1.8, kind="headline",
                  paper="the per-analogy coefficients select the transformation",
                  note=f"mean coefficients {F['seen']:.4f}, LoRWeB {L['seen']:.4f}")
ch.claims.less("held-out MSE ratio LoRWeB / single LoRA (matched parameters)",
               L["held-out"] / M["held-out"], 0.9, kind="headline", asserted_at=("full",),
               paper="better than single-LoRA adaptation on unseen transformations",
               note=f"single LoRA r={out['rank_matched']}: {M['held-out']:.4f}; "
                    "does not hold at ci, see discussion")
ch.claims.greater("silhouette of coefficients grouped by seen transformation", sil, 0.2,
                  kind="paper", asserted_at=("full",),
                  paper="the learned coefficients organise transformations meaningfully")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The exact properties of the method hold to rounding on the trained
# adapter: the adapted editor starts as the frozen one, the softmax coefficients are convex
# (and equal PyTorch's scaled-dot-product attention with identity values, the official
# implementation trick — unit test), and each analogy's output equals the frozen layer with the
# merged weight $W_0+s\sum_nc_n(A_nB_n)^\top$ (also checked against numpy; with $N=1$ the layer
# equals a `peft` LoRA and the book's shared `LoRALinear` — unit tests). LoRWeB generalises to
# held-out transformations better than a single LoRA of the same rank, and its per-analogy
# coefficients carry its performance: replacing them by their mean raises the error on seen
# transformations by about 2.7× and on held-out ones by about 1.55× (seed 0).
#
# **What did not match.** The paper's central comparison — LoRWeB against single-LoRA
# adaptation — does not reproduce here against a single LoRA with as many trainable parameters
# (rank 42 per layer): with the 600 adapter steps this chapter first used, at seed 0 its held-out
# error is 0.053 against LoRWeB's 0.060 (ratio 1.13; 1.11 with the present 1,200 steps), and it
# is also better on the seen transformations (ratio 1.20). What we tried, all at seed 0 with 600
# steps (held-out MSE, LoRWeB vs matched single LoRA): $N=8, r=2$ with
# unit-norm encoder features (coefficients stayed almost uniform, silhouette 0.01; 0.059 vs
# 0.056); the same with standardised features (silhouette 0.13; 0.064 vs 0.056); $N=16, r=2$
# with learning rate $10^{-2}$ (silhouette 0.14; 0.064 vs 0.063); and the official
# $N=32, r=1$ kept here (0.060 vs 0.053). Our reading: the small editor receives $a, a'$
# and $b$ as input,
# so a high-rank single LoRA can already condition on the analogy through the editor's own
# nonlinearity; and in 600 or 1,200 steps the attention mixing (whose keys and $W_q$ receive no
# gradient until the $B_n$ move) has not separated transformations well (silhouette ≈ 0.06 and
# 0.08–0.15, far from a clean clustering). The paper's regime — a 12-billion-parameter editor, CLIP queries, 10,000
# steps — is what the `full` profile approaches (wider editor, $r=4$, $d_k=128$, 10,000 steps);
# both claims are recorded as reported here and asserted only there.
#
# **Four further designs, none of which reached the headline** (same digits, same 12 seen and
# 8 held-out transformations, `ci` sizes; ratio = MSE of LoRWeB / MSE of the matched single
# LoRA on the held-out or the seen transformations, below 1 means LoRWeB wins).
# (i) *A stronger stand-in for CLIP*: global descriptors of each image (intensity statistics,
# centroid, second and third moments, edge energy, a 4×4 pooled image) next to the random
# features. The coefficients cluster better (silhouette 0.17 instead of 0.06) but the ratio
# gets worse, 1.43 held-out and 1.21 seen (seed 0): better but still partial recognition
# does not help.
# (ii) *The README's rank $r=4$ with $N=32$* (the matched single LoRA then has rank 138):
# 1.11 held-out, 1.10 seen (seed 0).
# (iii) *A general editor that already knows the edits*, as Kontext does from text: the
# editor is pre-trained with an instruction input, a one-hot code for each of the 12 seen and
# 4 unseen single transformations (and half-half codes for their blends), plus a null code
# that means "copy $b$". Both adapters are then trained with the null code, so they have to
# read the transformation from $a, a'$. LoRWeB now beats the matched single LoRA on the *seen*
# transformations: ratio 0.83–0.85 over seeds 0–2 at $r=1$, and 0.73–0.76 at $r=4$ (seeds 0
# and 1). On the held-out ones it does not: 0.96–1.00 at $r=1$, 0.97–0.98 at $r=4$, and 0.99 to
# 1.03 with 1,200 training steps. Split by kind ($r=1$, seeds 0–2), the ratio is 0.99–1.02
# on the unseen single transformations and 0.84–0.99 on the blends. Smaller bases
# ($N=16, r=1, d_k=16$; $N=8, r=2$) give 0.97–1.00. In this design the held-out gain of the
# per-example coefficients also shrinks: the mean-coefficient ratio is 1.14–1.17, against
# 1.41–1.53 in the design above, which is why we kept that one.
# (iv) *A continuum of training transformations*: half of the training analogies use a blend
# $wT_1+(1-w)T_2$ of two seen transformations, with $w\sim U(0.2, 0.8)$ and never one of the 4
# held-out pairs. The ratio is 1.15 with the editor above and 0.98 with the instructed editor
# of (iii) (seed 0).
# A diagnostic with an *oracle query* (the design above, but the query names the seen
# transformation exactly, or gives both halves of a blend with equal weight) separates the two
# causes (seed 0; the matched single LoRA has rank 36 here). On seen transformations LoRWeB
# wins (ratio 0.84), so at this scale its recognition of the transformation is what falls
# short. On the held-out ones it loses (1.93). With exact half-half coefficients it is no
# better than the single LoRA on the four blends (MSE 0.043, 0.036, 0.089, 0.028 against
# 0.045, 0.032, 0.041, 0.025): mixing two LoRAs inside a nonlinear editor does not mix their
# edits. On the unseen single transformations it has no coefficients to fall back on.
# Our reading: at this scale the coefficients *select* among the edits the adapters were
# trained on, which pays off on seen transformations once the editor can carry out the edits.
# A half-half blend of two seen transformations, however, is no easier for the basis than for
# one large LoRA.
#
# **Seeds.** Thresholds were set on seeds 0–4 at `ci` and checked at seeds 7 and 11 (ratios of mean
# test MSE; worst margin in brackets):
#
# | claim (threshold) | seed 0 | 1 | 2 | 3 | 4 | 7 | 11 | worst margin |
# |---|---|---|---|---|---|---|---|---|
# | held-out LoRWeB / same-rank LoRA (< 0.9) | 0.781 | 0.848 | 0.801 | 0.836 | 0.846 | 0.799 | 0.829 | 0.052 (seed 1) |
# | seen LoRWeB / same-rank LoRA (< 0.75) | 0.555 | 0.511 | 0.542 | 0.563 | 0.502 | 0.576 | 0.641 | 0.109 (seed 11) |
# | held-out mean-coefficients / LoRWeB (> 1.2) | 1.554 | 1.432 | 1.499 | 1.484 | 1.425 | 1.506 | 1.484 | 0.225 (seed 4) |
# | seen mean-coefficients / LoRWeB (> 1.8) | 2.744 | 2.837 | 2.749 | 2.724 | 2.971 | 2.585 | 2.319 | 0.519 (seed 11) |
# | *reported:* held-out LoRWeB / matched LoRA (< 0.9) | 1.110 | 1.188 | 1.149 | 1.213 | 1.245 | 1.190 | 1.203 | fails |
# | *reported:* silhouette (> 0.2) | 0.080 | 0.085 | 0.080 | 0.100 | 0.097 | 0.152 | 0.093 | fails |
#
# **Why the adapters train 1,200 steps.** Until December 2026 they trained 600 (values then:
# held-out ratio 0.778–0.859, seen ratio 0.560–0.672, mean-coefficient ratios 1.410–1.530 and
# 2.178–2.637 over the same seeds). In a run of every chapter at seed 1618, a seed nobody
# calibrated on, two rows failed: the seen mean-coefficients headline (1.789 against > 1.8;
# 2.19–2.59 at eleven other uncalibrated seeds) and the seen ratio to the same-rank LoRA (0.771
# against < 0.75). At that seed the coefficients did not group by transformation at all
# (silhouette −0.18): the attention mixing had not yet learned to tell the transformations
# apart. With 1,200 steps seed 1618 reads 1.956 and 0.727 (silhouette still −0.15), and every
# margin of the table above grew; the thresholds were not changed. The `ci` run now costs
# ≈ 20–30 s of CPU time on one thread (editor pre-training and three adapter trainings of 1,200
# steps; estimate on paper 52 s).
#
# **Sabotage.** We reran the notebook with LoRWeB's coefficients fixed to their mean (uniform,
# $c_n=1/N$) in training and at test, i.e. the query encoder and attention removed (seed 0,
# 1,200 steps). The two "mean coefficients" headlines fail (ratios 1.000 and 1.000: the ablation
# is the model), and so does the merged-weight check (4.8): the sabotaged layer ignores the query
# coefficients that the check merges. Both ratios against the same-rank LoRA still pass (held-out
# 0.783, seen 0.689 < 0.75; with 600 steps the seen one failed, 0.779): with fixed coefficients
# the basis is a single LoRA of rank $N r = 32$, which beats a rank-1 LoRA by capacity alone —
# those paper rows do not isolate the mixing; the mean-coefficient headlines do. The reported
# ratio against the matched single LoRA is 1.11 (1.110 unsabotaged).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`manor2026spanning` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
