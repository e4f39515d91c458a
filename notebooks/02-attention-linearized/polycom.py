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
# # Polynomial Composition Activations: Unleashing the Dynamics of Large Language Models
#
# This chapter reproduces {cite:t}`zhuo2025polynomial`.
#
# **What is reproduced here:** PolyReLU and PolyNorm, the two polynomial composition
# activations of the paper, exactly as in the official code (`BryceZhuo/PolyCom`), against ReLU,
# GELU, squared ReLU and a parameter-matched SwiGLU: (1) the exact-representation argument
# behind the paper's approximation theory (PolyReLU contains ReLU, squares, cubes and products
# exactly) and an equal-parameter regression of a degree-3 target that squared ReLU cannot
# represent, and (2) small byte-level Llama language models trained from scratch on real text
# with each activation, compared by validation loss (the paper's Figure 1, "1B dense model
# overall", at toy scale).
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
from nonlinlab.papers import polycom as paper

ch = nonlinlab.Chapter("polycom", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
print(f"estimated own compute: {paper.estimate_seconds(cfg):.0f} s")
cfg

# %% [markdown]
# ## Method
#
# A transformer FFN maps a token's hidden state $h\in\mathbb R^d$ to
# $W_{\rm down}\,\sigma(W_{\rm up} h)$. PolyCom makes $\sigma$ a *learned polynomial composed
# with a base function* $\rho$: $\mathrm{PolyCom}(x)=\sum_{i=0}^{r} a_i\,\rho_i(x)$, order
# $r=3$, four scalars $a_0,\dots,a_3$ per layer, trained with the rest of the network.
#
# * **PolyReLU** (paper Eq. 2): $\mathrm{PolyReLU}(x)=\sum_{i=0}^{3} a_i\,\mathrm{ReLU}(x)^i$,
#   element-wise.
# * **PolyNorm** (paper Eq. 3): $\mathrm{PolyNorm}(x)=\sum_{i=1}^{3} a_i\,N(x^i)+a_0$ with
#   powers taken element-wise and $N(z)=z/\sqrt{\tfrac1n\sum_j z_j^2+\epsilon}$ an RMS
#   normalisation over the $n$ hidden units of the FFN, per token ($\epsilon=10^{-6}$). The paper
#   writes $x^i/\lVert x^i\rVert_2$; the RMS form of the official code differs by the constant
#   $\sqrt n$, which the learned $a_i$ absorb. The normalisation keeps the cube from exploding.
#
# Initialisation and layout follow the official code: the learned vector is stored as
# $[a_3,a_2,a_1]$ (its first entry multiplies the cube), initialised to $1/3$ each, and the bias
# $a_0$ to $0$. PolyCom FFNs are not gated; to keep the parameter count of a SwiGLU FFN of width
# $w'$ ($3dw'$ weights) the official launch script gives every non-gated FFN width $w=\tfrac32 w'$
# ($2dw$ weights) — we do the same.
#
# **Why polynomials help (Sec. 3, illustrated, not proved).** With $a=(0,1,0,0)$ PolyReLU *is*
# ReLU, so PolyReLU networks contain ReLU networks. With $a=(0,0,1,0)$,
# $x^2=\mathrm{ReLU}(x)^2+\mathrm{ReLU}(-x)^2$: a width-2 layer represents a square exactly, and by
# polarisation $x_1x_2=\tfrac14[(x_1+x_2)^2-(x_1-x_2)^2]$ a width-4 layer represents a product
# exactly. ReLU networks can only approximate these, with an error that decays polynomially in
# width; this is the source of the better approximation rate the paper proves for Sobolev
# functions. The code is in `nonlinlab.papers.polycom` (`PolyReLU`, `PolyNorm`, `FFN`,
# `square_layer`, `product_layer`, `triple_product_layer`); the language model is the shared
# `nonlinlab.models.llama` whose FFN is swapped with `Llama.set_mlp`.

# %% [markdown]
# ## Experiments
#
# ### 1. Exact representations
#
# Hand-set PolyReLU layers reproduce ReLU, $x^2$ and $x_1x_2$ to rounding error (float64).

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from nonlinlab.core import color

x = torch.linspace(-3, 3, 2001, dtype=torch.float64)
relu_case = paper.PolyReLU().set_coefficients([0.0, 1.0, 0.0, 0.0]).double()
relu_exact = bool(torch.equal(relu_case(x), F.relu(x)))
sq_err = (paper.apply_layer(x[:, None], paper.square_layer()) - x**2).abs().max().item()
xy = torch.rand(4096, 2, generator=torch.Generator().manual_seed(ch.seed),
                dtype=torch.float64) * 6 - 3
prod_err = (paper.apply_layer(xy, paper.product_layer()) - xy.prod(-1)).abs().max().item()
d, w_swiglu = cfg.d_model, cfg.swiglu_width
params_match = paper.ffn_params(d, paper.matched_width(w_swiglu), False) == paper.ffn_params(
    d, w_swiglu, True)
print(f"PolyReLU(a=(0,1,0,0)) == ReLU bit for bit: {relu_exact}")
print(f"width-2 layer vs x^2 on [-3,3]: max error {sq_err:.1e}")
print(f"width-4 layer vs x1*x2 on [-3,3]^2: max error {prod_err:.1e}")
print(f"FFN parameters: 2*d*{paper.matched_width(w_swiglu)} == 3*d*{w_swiglu}: {params_match}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
xs = torch.linspace(-2, 2, 401)
for i, name in enumerate(("relu", "gelu", "polyrelu", "polynorm")):
    act = paper.make_activation(name)
    # PolyNorm normalises over the hidden dimension: here the 401 grid points play that role
    axes[0].plot(xs, act(xs[None])[0].detach(), color=color(i), label=paper.LABELS[name])
axes[0].set(title="activations at initialisation ($a_{1..3}=1/3$)", xlabel="$x$",
            ylabel=r"$\sigma(x)$")
axes[0].legend()
axes[1].plot(x, x**2, color=color(0), lw=3, alpha=0.4, label="$x^2$")
axes[1].plot(x, paper.apply_layer(x[:, None], paper.square_layer()), "--", color=color(2),
             label="width-2 PolyReLU")
axes[1].set(title="exact square", xlabel="$x$", ylabel="layer output")
axes[1].legend()
plt.show()

# %% [markdown]
# **Figure 1.** Left: ReLU, GELU, PolyReLU and PolyNorm at initialisation
# ($a_1=a_2=a_3=1/3$, $a_0=0$) on $[-2,2]$ (for PolyNorm the 401 grid points play the role of
# the hidden units it normalises over). Right: a hand-set width-2 PolyReLU layer (dashed) on top
# of $x^2$ (thick) — they coincide to rounding error. No counterpart in the paper.

# %% [markdown]
# ### 2. Approximating a polynomial at equal parameter count
#
# One-hidden-layer networks $y=v^\top\sigma(Wx+b)+c$ with the same number of parameters
# (PolyCom nets are one unit narrower to pay for their four coefficients) are fitted by
# full-batch Adam to $f(x)=x_1x_2x_3$ on $x\sim U[-1,1]^4$. The target is of degree 3 on
# purpose: a degree-2 target such as $x_1x_2$ is represented exactly by squared ReLU as well
# ($z^2=\mathrm{ReLU}(z)^2+\mathrm{ReLU}(-z)^2$), so it cannot tell PolyReLU's learned cubic from
# ReLU$^2$. With $z^3=\mathrm{ReLU}(z)^3-\mathrm{ReLU}(-z)^3$ and the polarisation
# $24\,x_1x_2x_3=(x_1+x_2+x_3)^3-(x_1+x_2-x_3)^3-(x_1-x_2+x_3)^3+(x_1-x_2-x_3)^3$ a width-8
# PolyReLU layer represents it exactly, whereas ReLU, GELU and ReLU$^2$ can only approximate
# it. We report the test MSE relative to the target's variance. The full profile also fits
# $x_1x_2x_3x_4$ and $\sin(\pi x_1)\cos(\pi x_2)$ over a range of parameter budgets (the
# log-log plot illustrates the rate argument).

# %%
import pandas as pd
from matplotlib.ticker import MaxNLocator

reg = pd.DataFrame(paper.run_regression(cfg, seed=ch.seed, device=ch.device))
reg.pivot_table(index=["target", "budget"], columns="activation", values="rel_mse")

# %%
target_label = {"pairs": "$x_1x_2+x_3x_4$", "triple": "$x_1x_2x_3$",
                "product4": "$x_1x_2x_3x_4$",
                "sincos": r"$\sin(\pi x_1)\cos(\pi x_2)$"}
fig, axes = plt.subplots(1, len(cfg.reg_targets), figsize=(4.2 * len(cfg.reg_targets), 3.2),
                         squeeze=False)
for ax, target in zip(axes[0], cfg.reg_targets, strict=True):
    sub = reg[reg.target == target]
    for i, name in enumerate(cfg.reg_activations):
        r = sub[sub.activation == name]
        ax.plot(r.params, r.rel_mse, "o-", color=color(i), label=paper.LABELS[name])
    if len(cfg.reg_budgets) > 1:  # a budget sweep: log-log
        ax.set_xscale("log")
    else:  # one budget: the nets differ by a few parameters, a linear axis reads better
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(yscale="log", xlabel="parameters", ylabel="test MSE / Var $f$",
           title=target_label[target])
axes[0][0].legend()
plt.show()

# %% [markdown]
# **Figure 2.** Test MSE relative to the target's variance (log scale) against the number of
# parameters of one-hidden-layer networks of (nearly) equal size with each activation, one panel
# per target. At ci there is one budget, the degree-3 target $x_1x_2x_3$ and a linear
# parameter axis (the PolyCom nets are one unit narrower); the full profile sweeps the budget
# on a log axis. No counterpart in the paper: it illustrates the approximation argument of its
# Sec. 3.

# %% [markdown]
# ### 3. Small language models trained from scratch (mirrors Figure 1)
#
# A byte-level Llama (RMSNorm, RoPE, tied embeddings) is trained on the pydoc corpus with each
# FFN: ReLU, squared ReLU, SwiGLU (width $w'$) and PolyReLU, PolyNorm (width $\tfrac32w'$, same
# parameter count; the full profile adds GELU), same data order, AdamW ($\beta=(0.9,0.95)$,
# weight decay 0.1, gradient clipping 1.0 as in the official script), warm-up then cosine decay
# to lr/10. Validation loss is measured on fixed held-out blocks.
#
# **Initialisation.** Every variant gets the same law, at the scale the paper's model sees.
# The official script initialises every weight with $\mathcal N(0, 0.02^2)$ (Megatron's and
# Llama's `initializer_range`) at width $d=2048$, which gives pre-activations of standard
# deviation $0.02\sqrt{2048}\approx0.9$. Copied literally to $d=64$ it gives $0.16$: there
# SiLU and GELU are nearly linear and SwiGLU's gate $\times$ up product starts about a hundred
# times too small, which handicaps SwiGLU and GELU against ReLU-type activations. We therefore
# draw every Linear weight (attention, FFN, tied head/embedding) from
# $\mathcal N(0, 1/\text{fan-in})$, unit pre-activation scale as at 1B; `init="llama"` in the
# config restores the literal 0.02.

# %%
from nonlinlab.data.text import load_corpus

corpus = load_corpus("pydoc", tokenizer="bytes")
lm = {}
for s in cfg.lm_seeds:
    for name in cfg.lm_activations:
        lm[name, s] = paper.train_lm(name, cfg, corpus, seed=ch.seed + s, device=ch.device,
                                     progress_bar=ch.profile == "full")
final = pd.DataFrame([{"activation": a, "seed": ch.seed + s, "params": r["params"],
                       "final val loss": r["final_val"], "cpu s": r["cpu_s"]}
                      for (a, s), r in lm.items()])
final.groupby("activation")[["params", "final val loss"]].mean().sort_values("final val loss")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for i, name in enumerate(cfg.lm_activations):
    runs = [lm[name, s] for s in cfg.lm_seeds]
    tr = np.mean([r["train_loss"] for r in runs], 0)
    k = max(1, len(tr) // 30)
    smooth = np.convolve(tr, np.ones(k) / k, mode="valid")
    axes[0].plot(runs[0]["steps"][k - 1:], smooth, color=color(i), label=paper.LABELS[name])
    axes[1].plot(runs[0]["val_steps"], np.mean([r["val_loss"] for r in runs], 0), "o-",
                 color=color(i), label=paper.LABELS[name])
axes[0].set(xlabel="step", ylabel="training loss (nats/byte)", title="training loss")
axes[1].set(xlabel="step", ylabel="validation loss (nats/byte)", title="validation loss")
axes[1].legend()
plt.show()

# %% [markdown]
# **Figure 3.** Training loss (left, moving average) and validation loss (right) in nats per
# byte of the byte-level Llama with each FFN activation, averaged over the profile's seeds
# (mirrors Fig. 1 of {cite:t}`zhuo2025polynomial`, training loss and validation perplexity of
# 1B dense models).

# %%
coef = [(name, layer, *a) for (name, s), r in lm.items() if s == cfg.lm_seeds[0]
        for layer, a in enumerate(r["coefficients"])]
coef = pd.DataFrame(coef, columns=["activation", "layer", "a0", "a1", "a2", "a3"])
coef

# %% [markdown]
# ## Reproduction check
#
# The headline claims are the paper's Figure 1 orderings, at equal parameter count and with the
# same initialisation law for every FFN. "PolyReLU below ReLU" is asserted at both profiles.
# "PolyNorm below ReLU" and "PolyNorm below the parameter-matched SwiGLU" are asserted only at
# full (mean over 3 seeds) and reported here with their ci value: at ci scale (2 layers of
# width 64, 300 steps, ~0.3M bytes) their sign changes from seed to seed (see the Discussion).
# The approximation claims compare one-hidden-layer nets on the degree-3 target; the exact
# representations are sanity checks, to rounding error.

# %%
val = final.groupby("activation")["final val loss"].mean()
ch.claims.less("LM val loss PolyReLU − ReLU (nats/byte)", val["polyrelu"] - val["relu"], -0.015,
               kind="headline", paper="PolyReLU below ReLU throughout training (Fig. 1)",
               note="parameter-matched, same init law; ci seeds 0-4, 7: −0.111 to −0.058; "
                    "seed 11: −0.033")
ch.claims.less("LM val loss PolyNorm − ReLU (nats/byte)", val["polynorm"] - val["relu"], 0.0,
               kind="headline", asserted_at="full",
               paper="PolyNorm below ReLU throughout training (Fig. 1)",
               note="full: mean of 3 seeds; ci seeds 0-4, 7: −0.042 to +0.024, sign varies")
ch.claims.less("LM val loss PolyNorm − SwiGLU (nats/byte)", val["polynorm"] - val["swiglu"], 0.0,
               kind="headline", asserted_at="full",
               paper="lower loss than SwiGLU (Fig. 1; avg. +1.21 downstream)",
               note="full: mean of 3 seeds; ci seeds 0-4, 7: −0.031 to +0.127")
ch.claims.less("LM val loss PolyReLU − SwiGLU (nats/byte)", val["polyrelu"] - val["swiglu"], 0.0,
               asserted_at="full", paper="PolyReLU below SwiGLU (Fig. 1)",
               note="ci seeds 0-4, 7: −0.079 to +0.030")
ch.claims.less("LM val loss PolyReLU − ReLU$^2$ (nats/byte)", val["polyrelu"] - val["relu2"], 0.0,
               asserted_at="full", paper="PolyReLU below squared ReLU (Fig. 1)",
               note="ci seeds 0-4, 7: −0.055 to +0.001")
if "gelu" in val:  # GELU is trained at full only
    gelu_gap = val["polyrelu"] - val["gelu"]
else:
    gelu_gap = None
ch.claims.less("LM val loss PolyReLU − GELU (nats/byte)", gelu_gap, 0.0, asserted_at="full",
               paper="lower loss than GELU (Fig. 1)", note="GELU is trained at full only")
coef_max = max((abs(a) for (n, _), r in lm.items() if n in paper.POLY
                for layer in r["coefficients"] for a in layer), default=float("nan"))
stable = all(r["finite"] for r in lm.values()) and coef_max < 10
ch.claims.holds("PolyCom LMs stay finite with coefficients $\\max_i \\lvert a_i\\rvert < 10$",
                stable, ours=f"finite, $\\max_i \\lvert a_i\\rvert = {coef_max:.2f}$",
                paper="PolyNorm is stable (normalised powers)")

cube = reg[(reg.target == "triple") & (reg.budget == cfg.reg_budget)].set_index("activation")
for base, thr, seen in (("relu2", 0.75, "0.43-0.56"), ("relu", 0.4, "0.11-0.24"),
                        ("gelu", 0.5, "0.02-0.27")):
    ch.claims.less(f"$x_1x_2x_3$: rel. MSE PolyReLU / {paper.LABELS[base]} (equal params)",
                   cube.rel_mse["polyrelu"] / cube.rel_mse[base], thr,
                   paper="PolyReLU approximates polynomials with fewer parameters (Sec. 3)",
                   note=f"ci seeds 0-4, 7: {seen}")

ch.claims.holds("PolyReLU with $a=(0,1,0,0)$ equals ReLU bit for bit", relu_exact,
                kind="sanity", ours=str(relu_exact),
                paper="PolyReLU nets contain ReLU nets (Sec. 3)")
ch.claims.less("width-2 PolyReLU layer vs $x^2$ on $[-3,3]$, max error", sq_err, 1e-6,
               kind="sanity", paper="$x^2=\\mathrm{ReLU}(x)^2+\\mathrm{ReLU}(-x)^2$, exact")
ch.claims.less("width-4 PolyReLU layer vs $x_1x_2$ on $[-3,3]^2$, max error", prod_err, 1e-6,
               kind="sanity", paper="products exact via polarisation")
ch.claims.holds("non-gated width $\\tfrac32 w'$ has SwiGLU's FFN parameter count",
                params_match, kind="sanity", ours=str(params_match),
                paper="official script: INTERMEDIATE_SIZE * 3 / 2")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The representation facts behind the theory are exact: PolyReLU with
# $a=(0,1,0,0)$ is ReLU bit for bit, and hand-set width-2 / width-4 layers give $x^2$ and
# $x_1x_2$ to rounding error (a width-8 layer gives $x_1x_2x_3$ exactly as well, in the
# tests). On the degree-3 target $x_1x_2x_3$, which PolyReLU's cubic term
# represents exactly and squared ReLU does not, a one-hidden-layer PolyReLU net at equal
# parameter count reaches about half the error of ReLU$^2$ (ratio 0.40-0.56 over seeds 0-4 and
# 7; threshold 0.75), 4-9x less than ReLU (0.11-0.24; threshold 0.4) and 4-50x less than GELU
# (0.02-0.28; threshold 0.5; GELU's error varies most from seed to seed). In the language
# models PolyReLU ends below ReLU on every seed we ran, by 0.058-0.111 nats/byte on seeds 0-4
# and 7 (−0.084, −0.111, −0.079, −0.087, −0.058, −0.091) and by only 0.033 on seed 11, the
# check seed we ran after calibrating; the threshold is −0.015, half-way between that seed and
# the 0.000 of the broken method below. Both PolyCom variants train stably (coefficients stay
# near their 1/3 initialisation).
#
# **What did not, and why.** (i) *PolyNorm does not beat ReLU or SwiGLU at ci scale.* With
# the same initialisation law for every FFN, PolyNorm − ReLU is +0.003, −0.042, −0.019, −0.042,
# +0.016, +0.024 nats/byte (seeds 0-4, 7) — a tie whose sign depends on the seed — and
# PolyNorm − SwiGLU is +0.062, −0.010, +0.057, −0.031, +0.103, +0.127: SwiGLU is ahead on four
# of six seeds. Both PolyNorm claims are therefore reported at ci and asserted only at full
# (mean of 3 seeds), which has not been run for this chapter (no GPU). We do not know whether
# PolyNorm's advantage needs the paper's depth and token count (24 layers, 100B tokens; here
# 2 layers, 0.3M bytes) or a learning rate tuned for it; at 300 steps its normalised powers
# learn the first byte statistics more slowly than the other FFNs (Figure 3).
# (ii) *Most of PolyReLU's gain over ReLU is squared ReLU's.* ReLU$^2$ is 0.036-0.107
# nats/byte below ReLU on the same seeds, and PolyReLU − ReLU$^2$ is −0.010, −0.004, −0.006,
# +0.001, −0.013, −0.055: ahead on five of six seeds by about 0.01, i.e. a tie at this scale.
# The paper's "PolyReLU below squared ReLU" is reported at ci and asserted only at full; so is
# "PolyReLU below SwiGLU" (−0.025, −0.079, −0.003, −0.075, +0.030, +0.012). The asserted
# headline (PolyReLU below ReLU) confirms that the learned polynomial helps over ReLU; the
# regression on $x_1x_2x_3$ is the check that isolates its cubic term against ReLU$^2$.
# (iii) *The initialisation matters more than the activation at toy width.* An earlier version
# of this chapter initialised every weight with the literal $\mathcal N(0,0.02^2)$ at $d=64$;
# there SwiGLU's gated product starts far too small and PolyNorm appeared 0.29-0.49 nats/byte
# ahead of SwiGLU after 120 steps, an artefact of the initialisation that disappears with the
# fan-in law used here (see Method). (iv) PolyNorm does not help the one-hidden-layer
# regression nets (relative MSE about 0.1 on $x_1x_2x_3$, worse than ReLU): with a single hidden
# layer its per-sample normalisation over the hidden units turns the output into a ratio of
# polynomials that the readout has to undo. The paper's approximation theory is stated for
# PolyReLU; PolyNorm is motivated by stability, which it delivers in the LMs. (v) The
# advantage is specific to polynomial structure at these sizes: on the smooth non-polynomial
# $\sin(\pi x_1)\cos(\pi x_2)$ (full profile only) the ci-sized nets rank the other way, ReLU
# at relative MSE 0.07 against 0.14-0.17 for PolyReLU (400 steps, seeds 0-3); the paper's
# Sobolev rate is an asymptotic statement about width, which the full profile's budget sweep
# illustrates.
#
# **Breaking the method.** Rerunning this notebook (seed 0) with PolyReLU's forward replaced
# by a plain ReLU fails the asserted headline (PolyReLU − ReLU = 0.000, needs < −0.015) and two
# of the three approximation claims (PolyReLU / ReLU$^2$ = 4.06, needs < 0.75; PolyReLU / ReLU =
# 0.80, needs < 0.4); "PolyReLU / GELU" still passes (0.17), because GELU's own error on
# $x_1x_2x_3$ is large on that seed — it is the weakest of the three checks. The reported rows
# move the expected way (PolyReLU − ReLU$^2$ from −0.010 to +0.074). The exact-representation
# sanity checks use hand-set layers and the unit tests catch a wrong coefficient order or
# normalisation (`tests/papers/test_polycom.py`).
#
# **Our choices.** The ci language model is small (d=64, 2 layers, 300 steps of 16x64 bytes)
# and drops GELU (at this width it tracks ReLU within 0.01 nats/byte; the full profile trains
# it); 300 steps are what the PolyReLU−ReLU gap needs to be stable (after 200 steps it was
# −0.042 and −0.012 on seeds 0 and 7). The approximation experiment uses the degree-3 target
# at ci and adds $x_1x_2x_3x_4$ and $\sin(\pi x_1)\cos(\pi x_2)$ with a budget sweep at full.
# The definitions, initialisation of the coefficients, weight order and 3/2 width matching
# follow the official code.
#
# **Compute.** The ci run costs about 50-57 s of CPU on one thread: the five language models
# 42-49 s (300 steps each), the regression 3-5 s, the rest a few seconds. This is above the
# book's 30 s target for small-model chapters; 300 steps is what the asserted headline needs
# (see above). The claim record's wall time was 119-168 s on our 2-core machine at load average
# 6-9 (other jobs running).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`zhuo2025polynomial` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
