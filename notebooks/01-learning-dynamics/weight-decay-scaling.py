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
# **What is reproduced here:** in a minimal pre-norm residual MLP trained online with AdamW,
# (i) the optimizer-only steady state — the weight RMS equals a closed form
# $\propto\sqrt{\eta/\lambda}$; (ii) the top singular value grows with $\eta/\lambda$ and with
# width (we fit the exponents next to the paper's $0.5$ and $0.75$); (iii) the paper's
# diagnostic: with µP learning rates, scaling weight decay as $\lambda_2\propto\sqrt d$ matches
# the top singular values of the proxy and the wider model far better than µP alone; (iv) µP
# (with or without the rule) transfers the optimal learning rate across widths while the
# standard parametrisation does not. Where our toy departs from the paper (it gives a width
# exponent near $0.5$, not $0.75$, and weight decay never lowers its loss) is said below.
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
# $\sqrt{\eta/\lambda}$ and $\sqrt d$.) We found no official code; our conventions follow the
# `mup` package: the input layer and the readout are vector-like, the readout output is
# multiplied by $d_0/d$.
#
# **Our minimal setting.** A pre-norm residual MLP, $h_0 = Ex$,
# $h_1 = h_0 + W^{\rm down}\,\mathrm{ReLU}(W^{\rm up}\,\mathrm{RMSNorm}(h_0))$,
# $f(x) = \tfrac{d_0}{d}\,U\,\mathrm{RMSNorm}(h_1)$, learns online (a fresh batch every step)
# a fixed random ReLU teacher with noisy targets (loss floor $0.09$). $W^{\rm up}$ and
# $W^{\rm down}$ ($d\times d$) are the matrix-like parameters; the size of the residual branch,
# i.e. the sublayer gain, is controlled by their top singular values. Many copies (one per
# learning rate) train at once as a batch of independent networks. Three parametrisations are
# compared, all with the same base $(\eta,\lambda)$ tuned at $d_0$: **SP** (same $\eta,\lambda$
# at every width), **µP** ($\eta_2\propto 1/d$, fixed $\lambda$) and **µP + rule**
# ($\eta_2\propto 1/d$, $\lambda_2\propto\sqrt d$).

# %% [markdown]
# ## Experiments
#
# ### 1. The optimizer-only steady state
# AdamW ($\beta=(0.9,0.95)$) on pure Gaussian gradients, for a grid of $(\eta,\lambda)$,
# from $w=0$ until $\eta\lambda T\geq 8$. This mirrors the paper's steady-state argument
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
# ### 2. The $\sqrt{\eta/\lambda}$ law in training
# At width `cfg.law_width` we train with $\eta\lambda$ fixed (the same equilibration time,
# $\eta\lambda T = 6$) and $\eta/\lambda$ varied over two decades, then read off the singular
# values of $W^{\rm up}$ and $W^{\rm down}$ (mirrors the paper's spectra figure: the spectra
# shift with $\sqrt{\eta/\lambda}$).

# %%
ratios = np.asarray(cfg.law_ratios)
law = paper.train_models(cfg.law_width, np.sqrt(cfg.law_product * ratios),
                         np.sqrt(cfg.law_product / ratios), "sp", cfg, seed=seed,
                         steps=cfg.law_steps, device=ch.device)
slope_up = paper.loglog_slope(ratios, law.sigma_up)
slope_down = paper.loglog_slope(ratios, law.sigma_down)
fig, axs = plt.subplots(1, 2, figsize=(9, 3.4))
for i, r in enumerate(ratios):
    axs[0].loglog(np.arange(1, law.spectrum.shape[1] + 1), law.spectrum[i], color=color(i),
                  label=f"η/λ = {r:g}")
    axs[1].loglog(np.arange(1, 41), law.spectrum[i, :40] / np.sqrt(r), color=color(i))
axs[0].set(xlabel="index i", ylabel=r"$\sigma_i(W^{\rm down})$", title="spectra")
axs[1].set(xlabel="index i", ylabel=r"$\sigma_i(W^{\rm down}) / \sqrt{\eta/\lambda}$",
           title="rescaled by $\\sqrt{\\eta/\\lambda}$")
axs[0].legend()
plt.show()
print(f"slope of log σ1 vs log(η/λ): W_up {slope_up:.3f}, W_down {slope_down:.3f} (paper 0.5)")

# %% [markdown]
# **Figure 2.** Singular values of $W^{\rm down}$ after training at fixed ηλ, for η/λ varied over
# two decades (left), and the top 40 of them divided by $\sqrt{\eta/\lambda}$ (right): the
# spectra shift with $\sqrt{\eta/\lambda}$ but do not collapse onto one shape. Mirrors the
# spectra figure of {cite:t}`fan2025robust`.

# %% [markdown]
# ### 3. Top singular value against width
# Same $(\eta,\lambda)$ at every width (no µP scaling, so every width equilibrates equally
# fast); the fitted slope of $\log\sigma_1$ on $\log d$ is the exponent γ (mirrors the
# paper's $d^{0.75}$ figure). We use the geometric mean of $\sigma_1(W^{\rm up})$ and
# $\sigma_1(W^{\rm down})$, the gain of the residual branch.

# %%
sig = []
for w in progress(cfg.gamma_widths, total=len(cfg.gamma_widths), desc="widths"):
    runs = [paper.train_models(w, [cfg.gamma_lr], [cfg.gamma_wd], "sp", cfg,
                               seed=100 * seed + k, steps=cfg.gamma_steps, device=ch.device)
            for k in range(cfg.seeds)]
    sig.append([np.mean([r.sigma_up[0] for r in runs]), np.mean([r.sigma_down[0] for r in runs])])
sig = np.array(sig)
widths = np.asarray(cfg.gamma_widths)
branch = np.sqrt(sig[:, 0] * sig[:, 1])
gamma_hat = paper.loglog_slope(widths, branch)
fig, ax = plt.subplots(figsize=(4.6, 3.4))
ax.loglog(widths, sig[:, 0], "o-", label=r"$W^{\rm up}$")
ax.loglog(widths, sig[:, 1], "s-", label=r"$W^{\rm down}$")
ax.loglog(widths, branch[0] * (widths / widths[0]) ** 0.75, "--", color="gray",
          label=r"$\propto d^{0.75}$ (paper)")
ax.loglog(widths, branch[0] * (widths / widths[0]) ** 0.5, ":", color="gray",
          label=r"$\propto d^{0.5}$ (noise)")
ax.set(xlabel="width d", ylabel=r"top singular value $\sigma_1$", title=f"fitted γ = {gamma_hat:.2f}")
ax.set_xticks(widths, [str(w) for w in widths])
ax.xaxis.set_minor_formatter(NullFormatter())
ax.legend()
plt.show()
print(f"γ̂ = {gamma_hat:.3f} (paper 0.75); self-consistent rule λ2 ∝ "
      f"d^{paper.wd_exponent(gamma_hat):.2f}")

# %% [markdown]
# **Figure 3.** Top singular values of $W^{\rm up}$ and $W^{\rm down}$ after training with the
# same $(\eta,\lambda)$ at every width $d$, against $d$, with the paper's $d^{0.75}$ and the
# pure-noise $d^{0.5}$ for reference (grey); the title gives the fitted exponent γ̂ of the branch
# gain. Mirrors the $d^{0.75}$ figure of {cite:t}`fan2025robust`.

# %% [markdown]
# ### 4. Transfer across widths: SP, µP, µP + rule
# For each parametrisation, a learning-rate sweep at the proxy width $d_0$ and at the wider
# model(s), base $\lambda$ fixed. Left: final training loss against the base learning rate
# (mirrors the paper's transfer figure — the optimum should not move with width). Right: the
# paper's diagnostic, top singular values at the wide model relative to the proxy.

# %%
sweep = paper.transfer_sweep(cfg, seed=seed, device=ch.device, progress=progress)
w0, w1 = cfg.base_width, cfg.transfer_widths[-1]
names = {"sp": "SP", "mup": "µP", "mup_wd": "µP + λ∝√d"}
fig, axs = plt.subplots(2, 2, figsize=(9, 6.4))
axs = axs.ravel()
for j, pm in enumerate(paper.PARAMETRISATIONS):
    for k, w in enumerate(sweep.widths):
        axs[j].semilogx(sweep.lrs, sweep.loss[pm][w].mean(0), "o-", color=color(k),
                        label=f"d = {w}")
    axs[j].set(title=names[pm], xlabel="base learning rate η",
               ylabel="training loss (last 20 %)")
axs[0].legend()
best0 = paper.best_lr(sweep.lrs, sweep.loss["mup"][w0].mean(0))
drift = {pm: abs(float(np.log(paper.best_lr(sweep.lrs, sweep.loss[pm][w1].mean(0)) / best0)))
         for pm in paper.PARAMETRISATIONS}
i0 = int(np.argmin(sweep.loss["mup"][w0].mean(0)))  # proxy's best grid point


def branch_gain(pm, w):
    return np.sqrt(sweep.sigma_up[pm][w].mean(0) * sweep.sigma_down[pm][w].mean(0))


for pm in ("mup", "mup_wd"):
    axs[3].semilogx(sweep.lrs, branch_gain(pm, w1) / branch_gain(pm, w0), "o-", label=names[pm])
axs[3].axhline(1, color="gray", lw=0.8)
axs[3].axvline(sweep.lrs[i0], color="gray", ls=":", lw=0.8)
axs[3].set(title=f"σ1 gain, d={w1} / d={w0}", xlabel="base learning rate η",
           ylabel=f"branch gain ratio, d={w1} / d={w0}")
axs[3].legend()
for ax in axs:  # label every other grid point: log-scale minor labels would overlap
    ax.set_xticks(sweep.lrs[::2], [f"{lr:.2g}" for lr in sweep.lrs[::2]])
    ax.xaxis.set_minor_formatter(NullFormatter())
plt.show()
gain_mismatch = {pm: abs(float(np.log(branch_gain(pm, w1)[i0] / branch_gain(pm, w0)[i0])))
                 for pm in ("mup", "mup_wd")}
print("|log(best lr at d1 / best lr at d0)|:", {k: round(v, 3) for k, v in drift.items()})
print("|log σ1-gain ratio| at the proxy optimum:",
      {k: round(v, 3) for k, v in gain_mismatch.items()})
print("best loss at d1:", {pm: round(float(sweep.loss[pm][w1].mean(0).min()), 4) for pm in names})

# %% [markdown]
# **Figure 4.** Learning-rate sweeps at the proxy width and the wider models for SP, µP and
# µP + $\lambda_2\propto\sqrt d$ (final training loss against the base learning rate; the optimum
# should not move with width), and, last panel, the ratio of the branch gains
# $\sqrt{\sigma_1(W^{\rm up})\sigma_1(W^{\rm down})}$ of the widest model and the proxy (dotted:
# the proxy's best learning rate; 1 means matched). Mirrors the transfer figure and the
# singular-value diagnostic of {cite:t}`fan2025robust`.

# %% [markdown]
# ## Reproduction check
#
# Thresholds live in `paper.TOL` and were set from seeds 0–2 at the `ci` profile (values in the
# discussion); every check is asserted at both profiles. The paper's headline claims are its
# weight-decay rule — with µP learning rates, $\lambda_2\propto\sqrt d$ keeps the top singular
# values (the sublayer gains) matched across widths where µP alone does not — and the
# zero-shot transfer of the learning rate under µP + rule.

# %%
tol = paper.TOL
ch.claims.less(r"AdamW noise steady state: max $\lvert$RMS / closed form − 1$\rvert$", noise_err,
               tol.noise_rms, paper=r"weight norm $\propto\sqrt{\eta/\lambda}$",
               note="closed form of the AR(1) steady state; ideal-Adam second moment")
ch.claims.between(r"$\sigma_1(W_\mathrm{up})$ slope vs $\eta/\lambda$ at fixed $\eta\lambda$",
                  slope_up, *tol.law_slope, paper=0.5,
                  note="toy: below 0.5 (the top direction carries signal, not only noise)")
ch.claims.between(r"width exponent $\hat\gamma$ of the branch gain $\sigma_1$", gamma_hat,
                  *tol.gamma, paper=0.75,
                  note=r"fixed $(\eta, \lambda)$, equal equilibration time at every width")
ch.claims.less(r"$\sigma_1$ matching with µP + $\lambda\propto\sqrt d$: "
               r"$\lvert\log$ gain ratio$\rvert$", gain_mismatch["mup_wd"], tol.gain_rule,
               paper="top singular values match across widths", kind="headline",
               note=f"d={w1} vs d={w0} at the proxy's best learning rate")
ch.claims.greater(r"$\sigma_1$ mismatch with µP alone minus with the rule",
                  gain_mismatch["mup"] - gain_mismatch["mup_wd"], tol.gain_gap,
                  paper="µP alone drifts", kind="headline",
                  note=r"$\lvert\log$ gain ratio$\rvert$, µP minus µP + rule")
ch.claims.greater(r"SP: best-lr drift $\lvert\log\eta^*(d_1)/\eta^*(d_0)\rvert$", drift["sp"],
                  tol.sp_drift, paper="SP does not transfer")
ch.claims.less(r"µP + rule: best-lr drift $\lvert\log\eta^*(d_1)/\eta^*(d_0)\rvert$",
               drift["mup_wd"], tol.mup_drift, paper=r"zero-shot transfer of $\eta$",
               kind="headline", note="one grid step is log 2 = 0.69")
ch.claims.less(r"µP alone: best-lr drift $\lvert\log\eta^*(d_1)/\eta^*(d_0)\rvert$",
               drift["mup"], tol.mup_drift, paper="degrades in the steady state",
               note=r"our horizon is short: µP alone still transfers $\eta$ here")
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The optimizer-only steady state agrees with the closed form to within
# 2–3 % on every cell (seeds 0–2: max deviations 0.015–0.019; the residual comes from Adam's
# noisy second-moment estimate), so the $\sqrt{\eta/\lambda}$ scale of AdamW weights is exact
# where the update is uncorrelated with the weight. The paper's diagnostic works in our toy:
# at the proxy's best learning rate, µP + $\lambda_2\propto\sqrt d$ matches the gain
# $\sqrt{\sigma_1(W^{\rm up})\sigma_1(W^{\rm down})}$ of the $d=128$ model to the $d=32$
# proxy within 0.3–4 % (|log ratio| 0.003–0.036), while µP alone is off by 17–20 %. SP's best
# learning rate moves by a factor ≈ 3.5 (|log| 1.24–1.28) from $d=32$ to $d=128$; both µP
# variants keep it within one grid step (|log| 0.26–0.32 with the rule, 0.06–0.19 without).
#
# **What did not.** (1) Our width exponent is γ̂ ≈ 0.40–0.44 over widths 32–128 (≈ 0.47–0.53
# over 32–256 in a longer calibration run), close to the pure-noise value 0.5, not the paper's
# 0.75; the self-consistent rule $\lambda_2\propto d^{2\hat\gamma-1}$ would then be µP alone.
# The paper says itself that the exponent may depend on the architecture. That the √d rule
# still matches σ₁ better here is a finite-horizon effect: with $\eta_2\propto1/d$ and fixed λ
# the wide model has $\eta_2\lambda T$ four times smaller and has not left its initial
# scale, and the larger $\lambda_2$ speeds up its equilibration. (2) The slope of σ₁ against
# $\eta/\lambda$ is 0.36–0.38 for $W^{\rm up}$ (0.26–0.29 for $W^{\rm down}$), below the
# paper's 0.5: the top direction carries signal as well as noise, and the normalised spectra
# do not keep one shape (their top-10 ratios differ by up to 0.15 across η/λ), so we do not
# assert shape invariance. (3) Weight decay never lowers the loss of this online task (the
# best λ of every sweep is the smallest), so the transfer of λ itself cannot be shown by a
# loss optimum here, and µP alone reaches a slightly lower loss at the target width than
# µP + rule. Longer runs (the `full` profile, $d$ up to 1024) are the place to see the
# steady-state degradation of µP alone that the paper reports.
#
# **What the ledger asserts, and where.** Every check is asserted at both profiles with the same
# thresholds. The three headline claims — µP + rule matches σ₁ across widths (|log ratio| 0.003–
# 0.036 < 0.1), µP alone is off by more (gap > 0.08), and µP + rule transfers the learning rate
# (|log| 0.26–0.32 < 0.6) — hold at `ci`. The last check, "µP alone: best-lr drift < 0.6", is
# *not* the paper's claim: the paper reports that µP alone degrades in the steady state, and we
# assert what our short horizon shows (it still transfers η); the `full` profile, with 4000
# steps and widths up to 1024, is where the two should part.
#
# **Calibration.** Thresholds were set from seeds 0–2 at the ci profile (values above). Bands
# of 0.5 ± 0.1 for the σ₁–η/λ slope and [0.5, 1.0] for γ̂ would fail in our toy (values
# above), so we assert [0.25, 0.75] and [0.35, 1.0]; we assert neither the shape invariance of
# the spectra nor a teacher loss. Breaking the lr-coupling of weight decay makes the
# steady-state claim fail (deviation 1.96); putting µP alone in place of the rule makes the
# σ₁-matching claim fail (0.16–0.20 > 0.1); dropping µP's learning-rate scaling makes the
# µP drift claims fail (SP's drift 1.24–1.28). Measured ci wall time: 28–38 s on a 2-core
# machine shared with other jobs (about 22 s when quiet).

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`fan2025robust` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
