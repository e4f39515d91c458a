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
# # Softplus Attention with Re-weighting Boosts Length Extrapolation in Large Language Models
#
# This chapter reproduces {cite:t}`gao2026softplus`.
#
# **What is reproduced here:** softmax attention is $\ell_1$-normalisation of $\exp$; the
# paper swaps $\exp$ for Softplus, multiplies the logits by $\log N$ (LSSA), and sharpens the
# normalised rows with a power re-weighting (LSSAR) to extrapolate to sequences much longer
# than those seen in training. We swap these kernels into the book's small Llama, train
# byte-level models from scratch on short windows of the pydoc corpus, and evaluate the
# held-out loss at 1x-16x the training length against softmax attention and softmax with the
# same $\log N$ scale (SSMax-style). Exact oracles (softmax identity, row sums, causal mask,
# the $\log N$ formula, the re-weighting closed form) live in the tests and in the checks below.
#
# Run it: the rocket button above opens this page on Colab (choose a GPU runtime for the
# `full` profile); locally, `make book` runs every chapter at the `ci` profile.

# %%
# Setup, on Colab only: install nonlinlab from the same git ref as this page (or from
# $NONLINLAB_PIP_SOURCE). Locally, `make setup` has installed everything.
import os
import sys

if "google.colab" in sys.modules:
    from IPython import get_ipython

    src = os.environ.get("NONLINLAB_PIP_SOURCE", "git+https://github.com/nonlinlab/nonlinlab@main#subdirectory=lib")
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab @ {src}"')

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import softplus_attention_reweighting as paper

ch = nonlinlab.Chapter("softplus-attention-reweighting", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.core import color
from nonlinlab.data.text import load_corpus

cpu0, wall0 = time.process_time(), time.time()
corpus = load_corpus("pydoc", tokenizer="bytes")
print(f"pydoc bytes: {corpus.train.numel()} train / {corpus.val.numel()} val tokens")

# %% [markdown]
# ## Method
#
# Per head, with logits $S_{ij}=q_i^\top k_j/\sqrt d$ (after RoPE), causal mask
# $M_{ij}=\mathbb 1[j\le i]$, $N_i=i$ visible keys and $\ell_1(z)_j=z_j/\sum_k z_k$:
#
# * **Decomposition.** $\mathrm{softmax}(x)=\ell_1(\exp x)$, so attention is
#   $A=\ell_1(\phi(S)\odot M)$ with $\phi=\exp$; any positive element-wise $\phi$ fits.
# * **LSSA** (stage 1, *normalisation*): $A_{ij}=\ell_1\big(\mathrm{Softplus}(\log N_i\cdot
#   S_{ij})\,M_{ij}\big)$, $y_i=\sum_j A_{ij}v_j$. The $\log N_i$ factor comes from an
#   entropy-invariance argument: as a row sees more keys its logits are sharpened like
#   $\log N$, so its entropy does not drift upward with the context length.
# * **LSSAR** (stage 2, *sharpening*): $\tilde A_{ij}=\ell_1\big((N_iA_{ij})^p\big)$ with
#   $p>1$. Multiplying by $N_i$ puts the uniform weight $1/N_i$ at 1, so weights above average
#   grow and the others shrink; in the normalised result $N_i$ cancels
#   ($\tilde A=\ell_1(A^p)$), the order inside a row is kept and the entropy drops.
#
# **Choices we had to make.** The official code (iminfine/freeatten) and the paper's method
# section were not reachable from this build; only the abstracts and third-party summaries
# were. So the following are our reading and each is one switch in
# `nonlinlab.papers.softplus_attention_reweighting`: natural-log scale $\log N_i$ per causal
# row (`scale="log"`; `"log_ratio"` divides by $\log L_{\rm train}$); the power form of the
# re-weighting with $p=2$ (`reweight_mode="threshold"` gives the variant
# $\ell_1(\mathrm{ReLU}(N_iA_{ij}-1)^p)$); re-weighting switched on at evaluation on the
# LSSA-trained model (the "fine-tuning-free" reading of the v1/v2 abstract; the full profile
# also trains a model with it on).
#
# **Setup.** The book's Llama (RoPE, RMSNorm, SwiGLU) with a byte vocabulary, trained from
# scratch; only the attention kernel changes between variants, all share the recipe (AdamW,
# warmup + cosine, same seed, same batches). ci: 2 layers, width 64, 4 heads, trained on
# 32-byte windows, evaluated at 32-512 bytes. full: 4 layers, width 256, 128-token windows,
# evaluated to 2048.

# %%
q, k, v = (torch.randn(2, 4, 64, 16, generator=torch.Generator().manual_seed(ch.seed))
           for _ in range(3))
A_exp = paper.normalised_attention_weights(q, k, phi="exp", scale="none")
ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
identity_err = float((A_exp @ v - ref).abs().max())
A_lssa = paper.normalised_attention_weights(q, k, phi="softplus", scale="log")
A_lssar = paper.normalised_attention_weights(q, k, phi="softplus", scale="log", reweight_p=2.0)
row_err = float((A_lssar.sum(-1) - 1).abs().max())
masked = float(A_lssar.triu(1).abs().max())
ent_drop = (paper.row_entropy(A_lssar) < paper.row_entropy(A_lssa))[..., 1:]
stab = paper.stability_demo()
print(f"l1(exp) vs SDPA softmax attention: max |diff| = {identity_err:.1e}")
print(f"LSSAR rows: max |sum - 1| = {row_err:.1e}, max weight above the diagonal = {masked}")
print(f"LSSAR lowers the entropy of {float(ent_drop.float().mean()):.0%} of the rows")
print(f"fp16 logits x100: exp-then-normalise finite: {stab['naive_finite']}, "
      f"softplus + l1 finite: {stab['softplus_finite']}")

# %% [markdown]
# ## Experiments
#
# Every variant is trained at length $L$ with the same recipe and evaluated, without any
# fine-tuning, on the same held-out bytes cut into blocks of $L, 2L, \dots, 16L$ (loss
# averaged over all positions of each block). LSSAR is the LSSA checkpoint with the
# re-weighting switched on.

# %%
results, models = {}, {}
for variant in cfg.variants:
    model = paper.make_model(cfg, variant, seed=ch.seed, device=ch.device)
    paper.train_model(model, corpus.train, cfg, seed=ch.seed, desc=variant)
    results[variant] = paper.eval_lengths(model, corpus.val, cfg.eval_lengths, cfg.eval_tokens)
    models[variant] = model
lssa = models["lssa"]
for p in cfg.p_sweep:
    paper.set_reweighting(lssa, p, cfg.reweight_mode)
    results[f"lssar_p{p:g}"] = paper.eval_lengths(lssa, corpus.val, cfg.eval_lengths,
                                                  cfg.eval_tokens)
paper.set_reweighting(lssa, None)
results["lssar"] = results[f"lssar_p{cfg.p:g}"] if cfg.p in cfg.p_sweep else None
if results["lssar"] is None:
    paper.set_reweighting(lssa, cfg.p, cfg.reweight_mode)
    results["lssar"] = paper.eval_lengths(lssa, corpus.val, cfg.eval_lengths, cfg.eval_tokens)
    paper.set_reweighting(lssa, None)
if cfg.train_lssar:  # LSSAR with re-weighting on during training too (later paper versions)
    model = paper.make_model(cfg, "lssa", seed=ch.seed, device=ch.device, reweight_p=cfg.p)
    paper.train_model(model, corpus.train, cfg, seed=ch.seed, desc="lssar-trained")
    results["lssar_trained"] = paper.eval_lengths(model, corpus.val, cfg.eval_lengths,
                                                  cfg.eval_tokens)

# %% [markdown]
# Held-out loss of every variant against the evaluation length:

# %%
Ls = list(cfg.eval_lengths)
show = [*cfg.variants, "lssar"] + (["lssar_trained"] if cfg.train_lssar else [])
fig, ax = plt.subplots(figsize=(6.4, 4))
for i, name in enumerate(show):
    label = paper.LABELS.get(name, name.replace("_", " "))
    ax.plot(Ls, [results[name][L] for L in Ls], "o-", color=color(i), label=label)
ax.set_xscale("log", base=2)
ax.set_xticks(Ls, [f"{L}\n({L // cfg.train_len}x)" for L in Ls])
ax.set_xlabel("evaluation length (bytes)")
ax.set_ylabel("held-out loss (nats / byte)")
ax.axvline(cfg.train_len, color="grey", lw=0.8, ls=":")
ax.legend()
plt.show()

# %% [markdown]
# **Figure 1.** Held-out loss (nats per byte) of each attention kernel against the evaluation
# length, from the training length $L$ (dotted line) to $16L$, without fine-tuning; LSSAR is the
# LSSA model with the re-weighting switched on at evaluation (mirrors Fig. 1 of
# {cite:t}`gao2026softplus`).
#
# **Table (mirrors the paper's extrapolation table):** loss at each length, and the
# degradation $\Delta = \text{loss}(16L) - \text{loss}(L)$.

# %%
import pandas as pd

table = pd.DataFrame({paper.LABELS.get(n, n): results[n] for n in results if results[n]}).T
table.columns = [f"{L // cfg.train_len}x" for L in table.columns]
table["Δ(16x − 1x)"] = table[f"{max(cfg.eval_factors)}x"] - table["1x"]
table.round(3)

# %% [markdown]
# **Attention sharpness.** Mean entropy of the first layer's attention rows (second half of
# each sequence) on held-out text, by length: softmax rows flatten as the context grows; the
# $\log N$ scale counteracts this and the re-weighting lowers the entropy further.

# %%
ent = {}
for name in ("softmax", "lssa", "lssar"):
    m = models["lssa" if name.startswith("lssa") else name]
    paper.set_reweighting(m, cfg.p if name == "lssar" else None, cfg.reweight_mode)
    ent[name] = {L: paper.mean_row_entropy(m, corpus.val[None, :L]) for L in Ls}
paper.set_reweighting(lssa, None)
fig, ax = plt.subplots(figsize=(5.6, 3.4))
for name in ent:
    ax.plot(Ls, [ent[name][L] for L in Ls], "o-", color=color(show.index(name)),
            label=paper.LABELS[name])  # the colours of Figure 1
ax.plot(Ls, np.log(np.array(Ls) * 0.75), "k:", lw=0.8, label="uniform row")
ax.set_xscale("log", base=2)
ax.set_xticks(Ls, [str(L) for L in Ls])
ax.set_xlabel("sequence length (bytes)")
ax.set_ylabel("mean row entropy (nats)")
ax.legend()
plt.show()
cpu_s, wall_s = time.process_time() - cpu0, time.time() - wall0
print(f"own compute: {cpu_s:.1f} s CPU, {wall_s:.1f} s wall")

# %% [markdown]
# **Figure 2.** Mean entropy (nats) of the first layer's attention rows over the second half of
# a held-out sequence, against the sequence length, for softmax, LSSA and LSSAR; the dotted
# line is the entropy of a uniform row over the same keys. No counterpart in the paper.

# %% [markdown]
# ## Reproduction check
#
# The paper's headline claims — LSSA extrapolates better than softmax, and LSSAR keeps the
# loss at $16L$ below softmax's — are asserted only in the `full` profile: at ci the first is
# seed-dependent (its value is reported) and the second needs the model trained with the
# re-weighting on, which only `full` trains. The other trained comparisons are asserted at both
# profiles (thresholds calibrated over seeds 0-4 of the ci profile, see the discussion); the
# exact identities are sanity checks.

# %%
top = max(cfg.eval_lengths)
L0 = cfg.train_len


def delta(name):
    return results[name][top] - results[name][L0]


ch.claims.less("LSSA extrapolates better: $\\Delta$(LSSA) / $\\Delta$(softmax)",
               delta("lssa") / delta("softmax"), 1.0, kind="headline", asserted_at="full",
               paper="LSSA better than softmax at longer inference lengths",
               note=f"$\\Delta$ = loss at {top // L0}$L$ − loss at $L$; ci seeds 0-2: 0.69, 1.05, "
                    "0.74; not calibrated at full (no GPU run yet)")
ch.claims.less(f"LSSAR (trained) − softmax, held-out loss at {top // L0}$L$",
               (results["lssar_trained"][top] - results["softmax"][top]
                if "lssar_trained" in results else None), 0.0, kind="headline",
               asserted_at="full",
               paper="LSSAR keeps the loss nearly constant to 16x; softmax blows up",
               note="the model trained with re-weighting on is trained only at full; "
                    "not calibrated (no GPU run yet)")
ch.claims.greater("$\\ell_1$ essential: loss(Softplus, no $\\ell_1$) − loss(LSSA) at $L$",
                  results["softplus_nol1"][L0] - results["lssa"][L0], 0.05,
                  paper="positive maps without $\\ell_1$-normalisation degrade (Sec. 3)",
                  note="at the training length")
ch.claims.greater(f"softmax degrades at {top // L0}$L$: $\\Delta$(softmax)", delta("softmax"),
                  0.2, paper="softmax loss grows sharply beyond the training length",
                  note=f"$\\Delta$ = loss at {top // L0}$L$ − loss at $L$")
ch.claims.less("LSSA at the training length: loss(LSSA) − loss(softmax)",
               results["lssa"][L0] - results["softmax"][L0], 0.12,
               paper="LSSA better than softmax at the training length",
               note="ci asserts only 'not much worse' (undertrained tiny model)")
ch.claims.greater(f"attention smoothing: softmax row entropy, {top // L0}$L$ − $L$ (nats)",
                  ent["softmax"][top] - ent["softmax"][L0], 0.5,
                  paper="softmax rows flatten as the inference length grows")
ch.claims.less("$\\ell_1(\\exp S)$ attention = softmax attention (max abs err)", identity_err,
               1e-5, kind="sanity", paper="softmax = $\\ell_1$-normalisation of exp (exact)")
ch.claims.less("LSSAR rows sum to 1 (max abs err)", row_err, 1e-6, kind="sanity",
               paper="re-weighted rows are $\\ell_1$-normalised")
ch.claims.holds("LSSAR ($p=2$) lowers the entropy of every non-trivial row",
                bool(ent_drop.all()), kind="sanity",
                ours=f"{float(ent_drop.float().mean()):.0%} of rows",
                paper="re-weighting amplifies large weights, diminishes small ones",
                note="random $q, k$; $\\ell_1(A^p)$ with $p>1$ sharpens any non-uniform row")
ch.claims.less(f"trained LSSA model: row entropy LSSAR − LSSA at {top // L0}$L$ (nats)",
               ent["lssar"][top] - ent["lssa"][top], -0.05, kind="sanity",
               paper="re-weighting sharpens the attention distribution",
               note="the sign holds by construction (every non-uniform row sharpens)")
ch.claims.holds("fp16, logits ×100: exp overflows, Softplus + $\\ell_1$ stays finite",
                (not stab["naive_finite"]) and stab["softplus_finite"], kind="sanity",
                ours=f"exp finite={stab['naive_finite']}, softplus={stab['softplus_finite']}",
                paper="numerical stability without the exponential")
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The decomposition is exact (the generic $\ell_1(\phi)$ path with
# $\phi=\exp$ equals softmax attention; the tests also compare every variant with a direct
# per-query loop). Dropping the $\ell_1$ normalisation hurts at the training length
# (+0.18, +0.13, +0.16 nats over LSSA for seeds 0, 1, 2; threshold 0.05). Softmax + RoPE
# degrades sharply beyond its training length (Δ(16x − 1x) = 0.61, 0.59, 0.60; threshold
# 0.2) and its attention rows flatten (entropy +1.7 to +2.1 nats; threshold 0.5). The
# re-weighting sharpens the trained LSSA model's attention (−0.46 nats at 16x; threshold
# −0.05) while keeping rows normalised and their order.
#
# **What we could not reproduce at ci scale, and report instead of asserting.** The ci models are
# tiny and undertrained (300 steps of 16 × 32 bytes). (i) LSSA's extrapolation advantage over
# softmax is seed-dependent: Δ(LSSA)/Δ(softmax) = 0.69, 1.05, 0.74 and loss(LSSA, 16x) −
# loss(softmax, 16x) = −0.12, +0.10, −0.18 for seeds 0, 1, 2, so this headline is reported at ci
# with its value and asserted only in the full profile. (ii) At the training length LSSA is not
# better than softmax here (+0.06, +0.07, −0.02); ci asserts only "within 0.12 nats". (iii) The
# training-free re-weighting (p = 2) does not flatten the loss curve at this scale: loss(LSSAR, 16x)
# − loss(LSSA, 16x) = +0.01, −0.10, +0.01; p = 4 helped on seed 1 only. The paper's "nearly constant
# loss to 16x" is for GPT-2-small-class models at length 1024; the full profile trains a model with
# re-weighting on, as in the later paper versions, and asserts the second headline (LSSAR trained
# below softmax at 16x) on it; at ci that model is not trained and the headline is shown as not run.
# (iv) Softplus *without* $\ell_1$ extrapolates with the smallest Δ here (0.19-0.27), although it is
# the worst model at the training length; the paper reports the opposite at 8K, so this is likely a
# small-scale effect (its outputs are unnormalised sums, which RMSNorm absorbs at short lengths).
# (v) Softmax with the same $\log N$ scale (SSMax-style) is not better than plain softmax at 16x (Δ
# 0.91, 0.71, 0.67).
#
# **Seeds 3 and 4** (the thresholds hold there too): $\ell_1$ essential +0.10, +0.33 nats;
# softmax Δ(16x − 1x) 0.64, 0.55; loss(LSSA) − loss(softmax) at the training length +0.03, −0.06;
# softmax entropy growth +2.1, +2.0 nats; the reported headline Δ(LSSA)/Δ(softmax) 0.84, 0.90.
#
# **Unverified details (switches in the module).** Natural-log $\log N_i$ scale on causal rows
# (`log_ratio` variant available), power re-weighting $\ell_1((N_iA)^p)$ with $p=2$
# (`threshold` variant $\ell_1(\mathrm{ReLU}(N_iA-1)^p)$ available), re-weighting at
# inference only in ci. The official code was not reachable to confirm them.
#
# **Cost.** ci: ≈ 24-25 s of CPU on one thread (seeds 0, 1); wall time on the shared build
# machine was 54-94 s. The full profile has not been run in this build (no GPU), so its two
# headline claims are uncalibrated.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`gao2026softplus` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
