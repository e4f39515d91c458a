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
# # Robust Layerwise Scaling Rules by Proper Weight Decay Tuning
#
# This chapter reproduces {cite:t}`fan2025robust`.
#
# **What is reproduced here:** (i) the optimizer-only steady state of AdamW — the weight RMS
# equals a closed form $\propto\sqrt{\eta/\lambda}$; (ii) on a tiny LLaMA-style byte-level
# language model trained on real text, with µP learning rates and a weight-decay horizon
# $\eta\lambda T$ of a few, the paper's diagnostic: scaling weight decay as
# $\lambda_2\propto\sqrt d$ keeps the top singular values (the sublayer gains) of a $4\times$
# wider model matched to the proxy, where µP with a fixed $\lambda$ does not, and the measured
# width exponent of $\sigma_1$ is near the paper's $0.75$; (iii) the zero-shot transfer of the
# optimal $(\eta,\lambda)$ from the proxy grid to the target grid — what our budget can and
# cannot resolve is said in the discussion, in numbers.
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
from nonlinlab.papers import weight_decay_scaling as paper

ch = nonlinlab.Chapter("weight-decay-scaling", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **AdamW's steady state.** PyTorch's AdamW updates every entry as
# $w_{t+1} = (1-\eta\lambda)\,w_t - \eta\,\hat m_t/(\sqrt{\hat v_t}+\epsilon)$. Once the
# update $u_t=\hat m_t/\sqrt{\hat v_t}$ is uncorrelated with $w_t$ — exactly so for a weight
# followed by a normalisation, whose gradient is orthogonal to it — the weight is an AR(1)
# process with coefficient $\rho = 1-\eta\lambda$. For i.i.d. gradients and an ideal second
# moment its stationary variance is
#
# $$\mathbb E\,w^2 = \eta^2\,\frac{1-\beta_1}{1+\beta_1}\,
#   \frac{1+\rho\beta_1}{(1-\rho^2)(1-\rho\beta_1)} \;\longrightarrow\; \frac{\eta}{2\lambda}
#   \quad(\eta\lambda\to 0),$$
#
# so the scale of every matrix is set by $\sqrt{\eta/\lambda}$ and is reached after a time
# of order $1/(\eta\lambda)$ steps. The paper observes that in trained LLaMA-style models
# the whole singular-value spectrum of each matrix scales like $\sqrt{\eta/\lambda}$ with an
# approximately fixed shape, and that across widths the top singular value behaves like
# $\sigma_1\approx C\sqrt{\eta/\lambda}\,d^{0.75}$.
#
# **The rule.** µP for Adam sets the learning rate of matrix-like parameters (both dimensions
# grow with the width $d$) to $\eta_2 = \eta\,d_0/d$ for a proxy width $d_0$. Keeping
# $\sigma_1\propto\sqrt{\eta_2/\lambda_2}\,d^{\gamma}$ — hence the gain of every sublayer —
# width-invariant then requires
#
# $$\lambda_2(d) = \lambda\,(d/d_0)^{2\gamma-1} \;\overset{\gamma=0.75}{=}\; \lambda\sqrt{d/d_0},$$
#
# while vector-like parameters keep $\eta_1=\eta$ and $\lambda_1 = 0$. (The abstract in some
# mirrors lost its square roots and reads "$\lambda_2\propto d$"; the arXiv abstract has
# $\sqrt{\eta/\lambda}$ and $\sqrt d$.) Conversely, with µP and a fixed $\lambda$ the gain
# grows like $d^{\gamma-1/2}$, and a measured gain ratio $q$ between widths $d$ and $d_0$
# gives the exponent back: $\hat\gamma = 0.75 + \log q_{\rm rule}/\log(d/d_0)$ under the rule
# and $\hat\gamma = 0.5 + \log q_{\rm fixed}/\log(d/d_0)$ under µP alone.
#
# **Our setting.** We found no official code. The model is a pre-norm LLaMA-style decoder
# (RMSNorm with learnable gains, causal multi-head attention with RoPE and a fixed head
# dimension, SwiGLU MLP, no biases; the RoPE is the book's shared rotate-half one from
# `nonlinlab.models.llama`) on UTF-8 bytes of the offline Python-documentation corpus
# the book uses elsewhere. Parameter classes follow the `mup` package: the attention and MLP
# matrices are matrix-like ($\eta_2=\eta\,d_0/d$, decay $\lambda_2$); the byte embedding, the
# RMSNorm gains and the readout are vector-like ($\eta_1=\eta$, $\lambda_1=0$), the readout is
# zero-initialised and its output multiplied by $d_0/d$. Training uses PyTorch's AdamW
# convention, $\beta=(0.9, 0.95)$, a 5 % warm-up and a cosine decay to zero; the loss is the
# final validation loss in nats per byte. Every cell of a $(\eta,\lambda)$ grid is a separate
# model, but all cells of one width train at once as one stacked model (batched matmuls over
# a leading grid axis, a hand-written AdamW with per-cell $\eta,\lambda$ that matches
# `torch.optim.AdamW` exactly), from the same initialisation and on the same byte stream.
#
# The target grid holds both transfers at once: for every base $\lambda$ of the proxy grid it
# trains $\lambda_2=\lambda$ (µP alone) and $\lambda_2=\lambda\sqrt{d/d_0}$ (µP + rule); with
# $d/d_0=4$ and a grid in factors of 2 these are the proxy grid and the proxy grid shifted by
# one step.

# %% [markdown]
# ## Experiments
#
# ### 1. The optimizer-only steady state
# AdamW ($\beta=(0.9,0.95)$) on pure Gaussian gradients, for a grid of $(\eta,\lambda)$,
# from $w=0$ until $\eta\lambda T\geq 6$. This mirrors the paper's steady-state argument
# (its plot of weight norm against $\sqrt{\eta/\lambda}$).

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from nonlinlab.core import color, progress

noise = paper.noise_equilibrium(cfg.noise_lrs, cfg.noise_wds, cfg.noise_params,
                                cfg.noise_horizon, cfg.betas, seed=seed, device=ch.device)
x = np.sqrt(noise["lr"] / noise["wd"])
fig, ax = plt.subplots(figsize=(4.6, 3.4))
ax.loglog(x, noise["rms"], "o", label="AdamW, measured")
grid = np.geomspace(x.min() / 1.5, x.max() * 1.5)
ax.loglog(grid, grid / np.sqrt(2), "--", color="gray", label=r"$\sqrt{\eta/(2\lambda)}$")
ax.loglog(x, noise["closed_form"], "x", color="k", label="closed form (finite ηλ)")
ax.set(xlabel=r"$\sqrt{\eta/\lambda}$", ylabel="weight RMS", title="steady state, noise only")
ax.legend()
plt.show()
noise_err = float(np.abs(noise["rms"] / noise["closed_form"] - 1).max())
print(f"{noise['steps']} steps; RMS / closed form:",
      np.round(noise["rms"] / noise["closed_form"], 3))

# %% [markdown]
# **Figure 1.** Steady-state RMS of weights updated by AdamW with pure Gaussian gradients, for a
# grid of learning rates η and weight decays λ, against $\sqrt{\eta/\lambda}$: the measured
# values (circles) sit on the AR(1) closed form at finite ηλ (crosses), which tends to
# $\sqrt{\eta/(2\lambda)}$ (dashed). Mirrors the paper's steady-state argument
# (weight norm against $\sqrt{\eta/\lambda}$) in {cite:t}`fan2025robust`.

# %% [markdown]
# ### 2. A tiny language model: the proxy and the target grid
# The proxy has width $d_0$ = `cfg.base_width`, the target $d$ = `cfg.target_width`; both
# train for `cfg.lm_steps` steps on the same bytes and are scored on the first `cfg.val_blocks`
# blocks of the validation split. The optimum $(\eta^*,\lambda^*)$ of each grid is the grid
# argmin refined by a log-parabola along each axis; as a cross-check we also print the optimum
# of a quadratic surface in $(\log\eta,\log\lambda)$ fitted to all cells
# (`paper.quadratic_optimum`). Left: validation loss over the proxy grid
# of base $(\eta,\lambda)$; right: the target grid over $(\eta, \lambda_2)$, with the cells
# that each rule transfers from the proxy's optimum (mirrors the paper's transfer figure).

# %%
from nonlinlab.data.text import load_corpus

corpus = load_corpus(cfg.corpus, tokenizer="bytes")
ratio = cfg.target_width / cfg.base_width
grids = {}
for w, wds in progress([(cfg.base_width, cfg.lm_wds),
                        (cfg.target_width, paper.target_wds(cfg.lm_wds, ratio))],
                       total=2, desc="grids"):
    grids[w] = paper.train_lm_grid(w, cfg.lm_lrs, wds, cfg, corpus, seed=seed,
                                   device=ch.device)
proxy, target = grids[cfg.base_width], grids[cfg.target_width]
tr = paper.transfer(proxy, target)
i0, j0 = np.unravel_index(int(np.argmin(proxy.loss)), proxy.loss.shape)
eta_lam_T = proxy.lrs[i0] * proxy.wds[j0] * cfg.lm_steps
fig, axs = plt.subplots(1, 2, figsize=(9.6, 3.6))
for ax, g, xl in ((axs[0], proxy, r"base weight decay $\lambda$"),
                  (axs[1], target, r"matrix weight decay $\lambda_2$")):
    im = ax.imshow(g.loss, cmap="viridis_r", origin="lower", aspect="auto")
    ax.grid(False)
    for a in range(g.loss.shape[0]):
        for b in range(g.loss.shape[1]):
            ax.text(b, a, f"{g.loss[a, b]:.3f}", ha="center", va="center", fontsize=8,
                    color="w" if g.loss[a, b] > np.median(g.loss) else "k")
    ax.set_xticks(range(g.wds.size), [f"{v:g}" for v in g.wds])
    ax.set_yticks(range(g.lrs.size), [f"{v:g}" for v in g.lrs])
    ax.set(xlabel=xl, ylabel=r"base learning rate $\eta$", title=f"d = {g.width}")
    fig.colorbar(im, ax=ax, label="val. loss (nats/byte)")
axs[0].plot(j0, i0, "s", mfc="none", mec="r", ms=22, mew=2)
for lam, style, lab in ((proxy.wds[j0] * np.sqrt(ratio), "r", "µP + λ∝√d"),
                        (proxy.wds[j0], "orange", "µP, λ fixed")):
    jj = int(np.argmin(np.abs(np.log(target.wds / lam))))
    axs[1].plot(jj, i0, "s", mfc="none", mec=style, ms=22, mew=2, label=lab)
fig.legend(loc="lower center", ncol=2, fontsize=8, markerscale=0.4, bbox_to_anchor=(0.72, -0.06))
plt.show()
print(f"proxy optimum η = {tr.proxy_lr:.3g}, λ = {tr.proxy_wd:.3g} (ηλT at the best cell "
      f"{eta_lam_T:.1f}); target optimum η = {tr.target_lr:.3g}, λ2 = {tr.target_wd:.3g}")
print(f"|log η drift| {tr.lr_drift:.3f}; |log λ drift| with the rule {tr.wd_drift_rule:.3f}, "
      f"with λ fixed {tr.wd_drift_fixed:.3f}; λ2* ∝ d^{tr.wd_exponent:.2f}")
print(f"target loss above the grid's best: rule {tr.regret_rule:.4f}, λ fixed "
      f"{tr.regret_fixed:.4f}")
tr_quad = paper.transfer(proxy, target, readout="quadratic")  # cross-check of the readout
print(f"quadratic-surface readout: |log η drift| {tr_quad.lr_drift:.3f}; |log λ drift| with the "
      f"rule {tr_quad.wd_drift_rule:.3f}, with λ fixed {tr_quad.wd_drift_fixed:.3f}")

# %% [markdown]
# **Figure 2.** Final validation loss (nats per byte) of the byte-level LM over the grid of base
# learning rate η (rows) and weight decay (columns) at the proxy width (left) and the $4\times$
# wider target (right; columns are the matrix decay $\lambda_2$ actually applied). Red square:
# the proxy's optimum and the target cell the rule $\lambda_2\propto\sqrt d$ transfers it to;
# orange: the cell µP with a fixed λ transfers it to. Mirrors the transfer figure of
# {cite:t}`fan2025robust`.

# %% [markdown]
# ### 3. Matching top singular values
# The paper's diagnostic: the top singular value of every matrix of the target, transferred
# from the proxy's optimum by each rule, against the proxy's. Below, the ratio of the gains
# (geometric mean of $\sigma_1$ over all matrices) target / proxy for every proxy cell.

# %%
names = list(proxy.sigma)
fig, axs = plt.subplots(1, 2, figsize=(9.6, 3.4))
xpos = np.arange(len(names))
j_rule = int(np.argmin(np.abs(np.log(target.wds / (proxy.wds[j0] * np.sqrt(ratio))))))
j_fix = int(np.argmin(np.abs(np.log(target.wds / proxy.wds[j0]))))
for k, (lab, vals) in enumerate((
        (f"proxy d={proxy.width}", [proxy.sigma[n][i0, j0] for n in names]),
        (f"d={target.width}, µP + λ∝√d", [target.sigma[n][i0, j_rule] for n in names]),
        (f"d={target.width}, µP, λ fixed", [target.sigma[n][i0, j_fix] for n in names]))):
    axs[0].bar(xpos + (k - 1) * 0.27, vals, 0.27, color=color(k), label=lab)
axs[0].set_xticks(xpos, names)
axs[0].set(ylabel=r"top singular value $\sigma_1$", title="at the proxy's optimum")
axs[0].legend(fontsize=8)
log_ratio = {}
for k, (lab, exponent) in enumerate((("µP + λ∝√d", 0.5), ("µP, λ fixed", 0.0))):
    log_ratio[lab] = paper.gain_log_ratios(proxy, target, exponent)
    q = np.exp(log_ratio[lab])
    for a in range(q.shape[0]):
        axs[1].semilogx(proxy.wds, q[a], "o-" if k == 0 else "s--", color=color(k + 1),
                        alpha=0.4 + 0.3 * a, label=lab if a == q.shape[0] - 1 else None)
axs[1].axhline(1, color="gray", lw=0.8)
axs[1].set_xticks(proxy.wds, [f"{v:g}" for v in proxy.wds])
axs[1].xaxis.set_minor_formatter(NullFormatter())
axs[1].set(xlabel=r"base weight decay $\lambda$", ylabel=f"gain ratio d={target.width} / d={proxy.width}",
           title="every proxy cell (darker: larger η)")
axs[1].legend(fontsize=8)
plt.show()
gain_mismatch = {"rule": abs(float(np.log(tr.gain_rule / tr.gain_proxy))),
                 "fixed": abs(float(np.log(tr.gain_fixed / tr.gain_proxy)))}
print("|log gain ratio| at the proxy optimum:", {k: round(v, 3) for k, v in gain_mismatch.items()})
print("mean |log gain ratio| over the proxy grid:",
      {k: round(float(np.abs(v).mean()), 3) for k, v in log_ratio.items()})
print(f"implied width exponent γ̂ = {tr.gamma_hat:.3f} (paper 0.75, pure noise 0.5)")

# %% [markdown]
# **Figure 3.** Left: top singular values of each matrix ($W_{qkv}$, $W_o$, SwiGLU $W_{\rm up}$ and
# $W_{\rm down}$) at the proxy's optimal $(\eta,\lambda)$ and at the $4\times$ wider target trained
# with the hyper-parameters transferred by µP + $\lambda_2\propto\sqrt d$ and by µP with a fixed λ.
# Right: the target/proxy ratio of the gain (geometric mean of σ₁ over matrices) for every cell
# of the proxy grid; 1 means matched. Mirrors the singular-value diagnostic of
# {cite:t}`fan2025robust`.

# %% [markdown]
# ## Reproduction check
#
# Thresholds live in `paper.TOL`; they were set from seeds 0–4, 7 and 11 at the `ci` profile
# (values in the discussion). The paper's headline claims are its weight-decay rule — with µP
# learning rates, $\lambda_2\propto\sqrt d$ keeps the top singular values (the sublayer
# gains) matched across widths where µP alone does not — and the zero-shot transfer of the
# optimal $(\eta,\lambda)$ from a proxy to a wider model.

# %%
tol = paper.TOL
mean_mismatch = {k: float(np.abs(v).mean()) for k, v in log_ratio.items()}
ch.claims.less(r"AdamW noise steady state: max $\lvert$RMS / closed form − 1$\rvert$", noise_err,
               tol.noise_rms, paper=r"weight norm $\propto\sqrt{\eta/\lambda}$",
               note="closed form of the AR(1) steady state; ideal-Adam second moment")
ch.claims.less(r"$\sigma_1$ matching with µP + $\lambda_2\propto\sqrt d$: mean $\lvert\log$ gain "
               r"ratio$\rvert$", mean_mismatch["µP + λ∝√d"], tol.gain_rule,
               paper="top singular values match across widths", kind="headline",
               note=f"d={target.width} vs d={proxy.width}, mean over the proxy grid")
ch.claims.greater(r"$\sigma_1$ mismatch with µP alone minus with the rule",
                  mean_mismatch["µP, λ fixed"] - mean_mismatch["µP + λ∝√d"], tol.gain_gap,
                  paper="µP alone drifts", kind="headline",
                  note=r"mean $\lvert\log$ gain ratio$\rvert$, µP minus µP + rule")
ch.claims.between(r"width exponent $\hat\gamma$ of $\sigma_1$", tr.gamma_hat, *tol.gamma,
                  paper=0.75, note="pure noise would give 0.5; from the gain ratios at the "
                  "proxy's optimum")
ch.claims.less(r"µP + rule: learning-rate drift $\lvert\log\eta^*(d)/\eta^*(d_0)\rvert$",
               tr.lr_drift, tol.eta_drift, paper=r"zero-shot transfer of $\eta$",
               kind="headline", note="log-parabola optima; one grid step is log 2 = 0.69")
ch.claims.less(r"µP + rule: weight-decay drift $\lvert\log\lambda^*(d)/\lambda^*(d_0)\rvert$",
               tr.wd_drift_rule, tol.lam_drift, paper=r"zero-shot transfer of $\lambda$",
               kind="headline", asserted_at="full",
               note="base units; one grid step is log 2 = 0.69; too flat to resolve at ci")
ch.claims.greater(r"exponent $s$ of the target's optimal $\lambda_2\propto d^{s}$",
                  tr.wd_exponent, tol.lam_exponent, paper=r"$s = 1/2$ (µP alone: $s = 0$)",
                  kind="headline", asserted_at="full")
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The optimizer-only steady state agrees with the closed form to within a
# few per cent on every cell (the residual comes from Adam's noisy second-moment estimate), so
# the $\sqrt{\eta/\lambda}$ scale of AdamW weights is exact where the update is uncorrelated
# with the weight. On the byte-level LM ($d_0=16\to d=64$, 400 steps, $\eta\lambda T$ = 1–16
# over the proxy grid, 4–16 at its optimum, the learning rate on a cosine schedule), the
# paper's diagnostic holds clearly: with µP learning rates, transferring the proxy's $(\eta,\lambda)$ with $\lambda_2\propto\sqrt d$
# keeps the gain (geometric-mean $\sigma_1$ of the attention and MLP matrices) of the $4\times$
# wider model within 13–23 % of the proxy's on average over the proxy grid (mean
# $\lvert\log$ ratio$\rvert$ 0.12–0.21 over seeds 0–4, 7, 11; threshold 0.3), while µP with a
# fixed $\lambda$ inflates it by 40–60 % (0.34–0.47; gap 0.22–0.26 against a threshold of 0.15).
# At the proxy's optimum the mismatch is 0.18–0.32 with the rule and 0.43–0.68 without. The
# implied width exponent of $\sigma_1$ is $\hat\gamma$ = 0.85–0.98 (seeds 0, 1, 2, 3, 4, 7, 11:
# 0.90, 0.93, 0.86, 0.85, 0.98, 0.91, 0.98), near the paper's 0.75 and well away from the
# pure-noise 0.5 — unlike a teacher–student toy we tried first, which gave 0.40–0.44. The asserted
# band [0.6, 1.1] excludes 0.5. That $\hat\gamma$ is a little above 0.75 is also why the rule's
# residual ratios are mostly above 1: $\lambda_2\propto d^{2\hat\gamma-1}\approx d^{0.7}$
# would match slightly better here. The learning rate transfers under µP + rule: the
# log-parabola optima of $\eta$ at the two widths differ by at most 0.50 in log
# (0, 0, 0.13, 0.50, 0.43, 0, 0; one grid step is $\log 2=0.69$).
#
# **What did not (at ci).** The transfer of the optimal *weight decay* cannot be resolved at this
# budget. The $\lambda$ columns next to the best cell are only 0.001–0.11 nats/byte worse
# (median 0.03), so the fitted optimum jumps. The target's optimal $\lambda_2$ scales like $d^{s}$ with
# $s$ = 0.29, −0.06, 0.33, 0.49, 0.70, 0.22, 0.02 over the seven seeds (rule 0.5, µP alone 0); the
# rule's $\lambda$ drift is 0.29, 0.78, 0.24, 0.02, 0.28, 0.39, 0.66 against 0.40, 0.09, 0.45, 0.68,
# 0.97, 0.31, 0.03 with $\lambda$ fixed, so it stays within one grid step ($\log 2$) on six seeds
# of seven and is smaller than µP alone's on four. The loss lost by transferring
# $(\eta^*, \lambda^*)$ instead of taking the target grid's best cell is 0–0.042 with the rule and
# 0–0.068 with $\lambda$ fixed; the rule is better on four seeds and worse on three. We tried to
# make this readout less noisy at no training cost. (i) Evaluation noise: the paired standard
# error of a cell's loss minus the best cell's is 0.003–0.004 nats/byte on 1280 validation
# blocks, yet with the earlier 256 blocks the readout depended on *which* blocks: on seed 0 the
# rule's drift was 2.08, 0.66, 0.28, 0.27 and 0.66 on five disjoint 256-block slices. We therefore
# score on 1280 blocks (≈ 3 s of CPU time more), which moved the rule's drift on seeds 0–4, 7,
# 11 from 2.08, 1.29, 0.31, 0.44, 0.46, 0.37, 0.67 to the values above. (ii) The remaining scatter
# is training noise: a quadratic surface fitted to each grid leaves rms residuals of
# 0.002–0.03 nats/byte, above the evaluation error on 13 of the 14 grids and up to seven times it. (iii) Reading the optimum off that quadratic
# surface instead (same readout at both widths and for both rules) gives a rule drift of 0.51,
# 0.32, 0.96, 0.13, 0.26, 0.16, 0 against 0.18, 1.01, 0.26, 0.57, 0.43, 0.53, 0.69 with
# $\lambda$ fixed — smaller on five seeds, but above $\log 2$ on seed 2 — so no readout we tried
# holds on every seed, and the drift of $\lambda^*$ and the exponent $s$ stay *reported*
# (asserted at `full`, widths 64→256, 2000 steps, 2 layers). Resolving them would need more
# training (several data orders per cell), not a better readout. We did not run the `full`
# profile (no GPU in this session).
#
# **Sabotage.** Each asserted headline fails when its mechanism is removed (seed 0, same
# grids). (1) Weight decay decoupled from the learning rate ($w\leftarrow(1-0.04\lambda)w$
# after the Adam step, instead of PyTorch's $1-\eta_2\lambda_2$): the $\sigma_1$ mismatch
# under the rule jumps to 1.12 (> 0.3), the gap to −0.94 (< 0.15) and $\hat\gamma$ to 0.23
# (outside [0.6, 1.1]) — the rule is specific to lr-coupled decay. (2) µP's learning-rate
# scaling removed ($\eta_2=\eta$ at every width, the rule kept): the learning-rate drift
# becomes 1.02 (> $\log 2$) and the rule's $\sigma_1$ mismatch 0.54 (> 0.3) (rerun with the
# 1280-block validation set; sabotage (1) was measured with the earlier 256 blocks).
#
# **Calibration and cost.** Thresholds were set from seeds 0–4, 7 and 11 at ci (worst margins:
# $\sigma_1$ matching 0.09 below 0.3, gap 0.07 above 0.15, $\hat\gamma$ 0.12 below the
# upper end, learning-rate drift 0.19 below $\log 2$). The values on this page were measured
# after the chapter switched from its own interleaved RoPE to the shared rotate-half one, with
# the initial $W_{qkv}$ columns permuted so that the model is the same function of the same
# draw; against the former code every claim value moved by at most 0.04 ($\hat\gamma$ on
# seed 4, 0.94 → 0.98; all others by ≤ 0.021) and the quadratic-surface cross-check by at
# most 0.06 — float rounding amplified by training. Own compute: about 46 s of CPU time on
# one core (the proxy grid of 9 models about 8 s, the target grid of 12 models about 34 s,
# validation on 1280 blocks included; wall time is
# higher on the shared machine). Departures from the paper: a tiny model (1 layer, widths 16 and
# 64, head dimension 8) and a short horizon; the readout and embedding are treated as vector-like
# without decay and the readout is zero-initialised (the `mup` package's conventions; the paper's
# exact treatment was not in our sources); the rule's widths differ by $4\times$, so the rule
# moves $\lambda_2$ by exactly one grid step.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`fan2025robust` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
