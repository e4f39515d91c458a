# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     provenance: []
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,accelerator,colab,-jupytext.text_representation.jupytext_version
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
# # DiffuMatch: Category-Agnostic Spectral Diffusion Priors for Robust Non-rigid Shape Matching
#
# This chapter reproduces {cite:t}`pierson2025diffumatch`.
#
# **What is reproduced here:** a learned spectral prior — a diffusion model (an EDM denoiser)
# trained on the absolute values $|C|$ of ground-truth functional maps of one shape category —
# replaces the axiomatic Laplacian-commutativity regulariser when a functional map is estimated
# from descriptors, through the paper's two channels: the *diffusion mask* of the regularised
# functional-map layer and *score distillation* (SDS) with the proper-map loss during test-time
# optimisation. The prior is trained on procedural bumpy ellipsoids and used **zero-shot** on an
# unseen category (bent, two-lobed "peanut" shapes, vertices randomly permuted); the metric is the
# paper's mean geodesic error of the recovered point map, normalised by $\sqrt{\text{area}}$.
# Checked: the prior lowers the error of the unregularised map by a large factor; it transfers
# to the unseen category; and the method collapses when the prior's guidance is removed. That it
# beats the Laplacian-mask regulariser holds on average (DiffuMatch's error is about half the
# Laplacian map's) but not at every seed (ratio 0.28–1.02 over 18 seeds), so that headline is
# reported, not verified, at `ci`. The paper's DFAUST prior, DiT backbone, DiffusionNet features
# and benchmarks (FAUST, SCAPE, SMAL, DT4D, …) are replaced by these smaller stand-ins.
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
from nonlinlab.papers import diffumatch as paper

ch = nonlinlab.Chapter("diffumatch", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Functional maps.** Each shape carries the first $k$ eigenpairs of the Laplace–Beltrami
# operator, $W\phi_j=\lambda_j M\phi_j$ (cotangent stiffness $W$, lumped mass $M$,
# $\Phi^\top M\Phi=I$). A point map $T_{21}$ (each vertex of shape 2 to a vertex of shape 1) with
# selection matrix $\Pi_{21}$ induces the $k\times k$ functional map
# $$C_{21}=\Phi_2^\top M_2\,\Pi_{21}\,\Phi_1 ,$$
# which carries the spectral coefficients of a function on shape 1 to those of its pull-back on
# shape 2. Conversely, $T_{21}$ is recovered from $C_{21}$ by nearest neighbours between the rows
# of $\Phi_2$ and of $\Phi_1C_{21}^\top$. Descriptor functions $F$ (shape 1) and $G$ (shape 2)
# give $A=\Phi_1^\top M_1F$, $B=\Phi_2^\top M_2G$, and the map must satisfy $CA\approx B$. With
# fewer descriptors than basis functions this is underdetermined: a regulariser decides.
#
# **The regularised functional-map layer.** As in the official code, row $i$ of $C$ solves
# $$c_i=\big(AA^\top+\lambda\,\mathrm{diag}(D_{i,:})\big)^{-1}A\,b_i .$$
# The axiomatic choice is the *Laplacian-commutativity* mask
# $D_{ij}=(\lambda^{(2)}_i-\lambda^{(1)}_j)^2$ (it favours maps that commute with the
# Laplacians, $C\Lambda_1\approx\Lambda_2C$). DiffuMatch's *diffusion mask* asks the learned
# prior instead: with $C_\text{raw}=BA^{+}$ the unregularised map and $N$ noisy copies
# $x_n=\big||C_\text{raw}|+\sigma\varepsilon_n\big|$,
# $$m_{ij}=\frac{\frac1N\sum_n|x_n-D_\theta(x_n;\sigma)|_{ij}/(2\sigma)}{\frac1N\sum_n|x_n|_{ij}},$$
# then the official normalisation (subtract half the median, clamp to $[0,2\,\mathrm{median}]$,
# square root, shift the minimum to 0): entries that the prior would denoise away are penalised.
#
# **The prior.** $D_\theta(x;\sigma)=c_\text{skip}(\sigma)x+c_\text{out}(\sigma)F_\theta(c_\text{in}(\sigma)x,
# c_\text{noise}(\sigma))$ with EDM's preconditioning, trained with the EDM loss
# $\mathbb E\,\lambda(\sigma)\|D_\theta(y+\sigma\varepsilon;\sigma)-y\|^2$ on
# $y=|C_\text{gt}|$ of all ordered pairs of training shapes; absolute values remove the sign
# ambiguity of eigenvectors, as in the paper.
#
# **Score distillation and the proper-map loss.** During test-time optimisation,
# $g=\frac1B\sum_b\big(|C|-D_\theta(|C|+\sigma_b\varepsilon_b;\sigma_b)\big)$ with
# $\sigma_b=0.01+u_b\,\sigma_\text{max}$ (no gradient through $D_\theta$), and
# $L_\text{sds}=\mathrm{mean}\big((|C|-\mathrm{sg}(|C|-\eta g))^2\big)$, whose gradient
# $\propto g\odot\mathrm{sign}(C)$ is the SDS direction. The proper-map loss
# $L_\text{proper}=\mathrm{mean}\big((C-C_\text{zo})^2\big)$ pulls $C$ toward its ZoomOut
# refinement $C_\text{zo}$ (a map that comes from a point map). The total loss is
# $L=\|CA-B\|^2/d+L_\text{sds}+L_\text{proper}$, optimised with Adam from the diffusion-mask map.
#
# **What differs from the paper.** The paper optimises a DiffusionNet feature extractor per test
# pair (its $C$ is the least-squares map of the learned features); here $C$ itself is optimised
# from fixed descriptors (centred xyz — the families share an orientation, as the aligned
# benchmarks the paper feeds xyz — and heat-kernel signatures), with $\|CA-B\|^2$ in place of the
# network. The prior is an MLP on the flattened $k\times k$ map (the paper: DiT-S/4 on
# $30\times30$ DFAUST maps). The official SDS code writes the target as $C-\eta g$ with the
# *signed* $C$, which adds $4C_{ij}^2$ for each negative entry and drives all negative entries to
# zero; we use $|C|-\eta g$, the score-distillation gradient on $|C|$ the paper describes. The
# official code recomputes its ZoomOut target at every step (the features change); we recompute
# it every `cfg.zoomout_every` steps. Code: `nonlinlab/papers/diffumatch.py` and
# `nonlinlab/models/meshes.py` (Laplacian, bases, ZoomOut).

# %% [markdown]
# ## Experiments
#
# ### Data: two shape families with known correspondence
#
# All shapes are deformations of one icosphere triangulation (642 vertices at `ci`), so the
# ground-truth correspondence is known. **Category A** (trains the prior): bumpy ellipsoids with
# random axes. **Category B** (the zero-shot test, never seen by the prior): elongated two-lobed
# shapes with a waist, random bumps and a random bend along an arc (a near-isometric deformation).
# In each test pair the vertices of the second shape are randomly permuted (the ground truth is
# the permutation). Errors are geodesic distances along mesh edges (Dijkstra) on shape 1, divided
# by $\sqrt{\text{area}}$; the paper's tables show the same quantity ×100.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nonlinlab.core import color, progress

ex = paper.run_experiment(cfg, seed=ch.seed, device=ch.device, progress=progress)
s1, s2 = ex.test_pairs[0]
pd.DataFrame({
    "category": ["A: ellipsoids (prior)", "B: peanuts (test)"],
    "shapes": [len(ex.train), 2 * len(ex.test_pairs)],
    "maps": [len(ex.train) * (len(ex.train) - 1), len(ex.test_pairs)],
    "vertices": [len(ex.train[0].V), len(s1.V)],
    "eigenvalues λ1..λ4 (first shape)": [np.round(ex.train[0].lam[1:5], 2),
                                         np.round(s1.lam[1:5], 2)],
}).set_index("category")

# %% [markdown]
# ### Oracles
#
# Three checks that hold by construction: the ground-truth $C_{21}$ recovers the ground-truth
# point map almost exactly (error of its point map); the map of a shape to itself is the
# identity; and our row-wise solve of the regularised layer equals the same objective solved as
# one stacked least-squares problem in $\mathrm{vec}(C)$ with numpy.

# %%
gt_err = float(np.mean(ex.gt_errors))
self_err = float(np.abs(paper.gt_fmap(s1, s1, cfg.k) - np.eye(cfg.k)).max())
A_, B_ = paper.spectral_descriptors(s1, cfg.k), paper.spectral_descriptors(s2, cfg.k)
lap_mask = paper.laplacian_mask(s1.lam, s2.lam, cfg.k)
solve_err = float(np.abs(paper.solve_fmap(A_, B_, 0.3, lap_mask).numpy()
                         - paper.kron_solve(A_.numpy(), B_.numpy(), 0.3, lap_mask.numpy())).max())
print(f"ground-truth C: point-map error {gt_err:.4f}; |C(self) - I| max {self_err:.1e}; "
      f"row-wise solve vs stacked lstsq {solve_err:.1e}")

# %% [markdown]
# ### The learned prior (mirrors the learned distribution of functional maps)
#
# The denoiser is trained only on category A. Its denoising error relative to the noise,
# $\mathbb E\|D_\theta(y+\sigma\varepsilon;\sigma)-y\|^2/\mathbb E\|\sigma\varepsilon\|^2$
# (1 = no better than returning the noisy input), on held-out category-A maps and on the maps of
# the unseen category B:

# %%
sigmas = (0.1, 0.3, 0.5, 1.0)
den = pd.DataFrame({"held-out A": [paper.denoise_error(ex.prior, ex.heldout, s) for s in sigmas],
                    "unseen B (test)": [paper.denoise_error(ex.prior, ex.test_gt, s)
                                        for s in sigmas]},
                   index=pd.Index(sigmas, name="σ"))
den.round(3)

# %%
samples = paper.edm_sample(ex.prior, 64, cfg.k, seed=ch.seed)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
panels = [(ex.heldout[0], "$|C|$, category A (train)"),
          (ex.test_gt[0], "$|C|$, category B (unseen)"),
          (np.abs(samples[0]), "sample of the prior")]
for ax, (img, title) in zip(axes, panels, strict=True):
    im = ax.imshow(img, cmap="magma", vmin=0, vmax=1)
    ax.set(title=title, xlabel="index $j$ (shape 1)", ylabel="index $i$ (shape 2)")
fig.colorbar(im, ax=axes, shrink=0.8, label="$|C_{ij}|$")
plt.show()

# %% [markdown]
# **Figure 1.** Absolute functional maps $|C|$ ($k=20$ at `ci`): a ground-truth map between two
# held-out category-A shapes (left), a ground-truth map of an unseen category-B test pair
# (middle) and a sample of the learned prior (EDM Heun sampler, 30 steps; right). Both categories
# share the near-diagonal structure, blurred inside groups of close eigenvalues, that the prior
# learns; the samples are much blurrier than the data (the table below: diagonal-band energy), as
# expected from a small MLP trained for a few hundred steps — the mask and SDS only use the
# denoiser at one noise level at a time, not full sampling (mirrors the visualisation of the
# learned functional-map distribution in {cite:t}`pierson2025diffumatch`).

# %%
band = pd.DataFrame({
    "diagonal-band energy (|i−j| ≤ 1)": [paper.diagonal_fraction(ex.heldout).mean(),
                                         paper.diagonal_fraction(ex.test_gt).mean(),
                                         paper.diagonal_fraction(np.abs(samples)).mean()]},
    index=["ground truth, A (held out)", "ground truth, B (test)", "prior samples"])
band.round(3)

# %% [markdown]
# ### Zero-shot matching on the unseen category (mirrors the main benchmark table)
#
# Six ways to estimate $C_{21}$ from the same descriptors, on every test pair: **none** (the
# minimum-norm least-squares map, $\lambda=0$); **ridge** (a uniform mask, plain Tikhonov
# regularisation with $\lambda$ = `cfg.lam_ridge`: the structure-free control); **laplacian** (the regularised layer with the
# Laplacian mask, $\lambda$ = `cfg.lam_lap`, the best of a grid on seed 0's test pairs — a choice
# that favours the baseline); **laplacian + proper** (that map refined by the same test-time
# optimisation as DiffuMatch, without the prior: descriptor and proper-map losses);
# **diffusion mask** (the layer with DiffuMatch's mask, no optimisation); **diffumatch** (mask +
# SDS + proper-map loss). Two ablations rerun DiffuMatch with the denoiser replaced by the
# identity (**no prior**: the mask and the SDS gradient carry no learned information) and
# without SDS (**no SDS**).

# %%
abl = paper.ablations(ex, cfg, seed=ch.seed)
errs = {m: ex.errors(m) for m in cfg.methods} | abl
table = pd.DataFrame({"mean error ×100": {m: 100 * e.mean() for m, e in errs.items()},
                      "std ×100": {m: 100 * e.std() for m, e in errs.items()},
                      "worst pair ×100": {m: 100 * e.max() for m, e in errs.items()}})
table.loc["ground-truth C (bound)"] = [100 * np.mean(ex.gt_errors), 100 * np.std(ex.gt_errors),
                                       100 * np.max(ex.gt_errors)]
table.round(2)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
thr = np.linspace(0, 0.25, 101)
for j, m in enumerate(cfg.methods):
    d = np.concatenate([a.geodesics()[r.T21, r.T_gt] / np.sqrt(a.area) for (a, _), r in
                        zip(ex.test_pairs, ex.results[m], strict=True)])
    axes[0].plot(thr, (d[:, None] <= thr).mean(0), color=color(j), label=m)
x = np.arange(len(ex.test_pairs))
bars = ["none", "laplacian", "laplacian + proper", "diffumatch"]
for j, m in enumerate(bars):
    axes[1].bar(x + 0.2 * j - 0.3, errs[m], width=0.2, color=color(cfg.methods.index(m)),
                label=m)
axes[0].set(xlabel="geodesic error / $\\sqrt{\\mathrm{area}}$", ylabel="fraction of vertices",
            title="cumulative error, all test pairs")
axes[1].set(xlabel="test pair", ylabel="mean error / $\\sqrt{\\mathrm{area}}$",
            title="per pair", xticks=x)
axes[0].legend(fontsize=8)
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** Zero-shot matching of the unseen category: fraction of vertices whose image lies
# within a normalised geodesic error (left; higher is better) and the mean error per test pair
# (right; lower is better). Mirrors the cumulative geodesic-error curves and the benchmark table
# of {cite:t}`pierson2025diffumatch`.

# %%
r_dm, r_lap = ex.results["diffumatch"][0], ex.results["laplacian"][0]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
panels = [(r_lap.mask, "Laplacian mask $(\\lambda^{(2)}_i-\\lambda^{(1)}_j)^2$", "viridis"),
          (r_dm.mask, "diffusion mask (learned prior)", "viridis"),
          (np.abs(r_dm.C), "$|C|$ estimated by DiffuMatch", "magma")]
for ax, (img, title, cmap) in zip(axes, panels, strict=True):
    im = ax.imshow(img, cmap=cmap)
    ax.set(title=title, xlabel="index $j$ (shape 1)", ylabel="index $i$ (shape 2)")
    fig.colorbar(im, ax=ax, shrink=0.8)
plt.show()

# %% [markdown]
# **Figure 3.** The two in-network regularisers on the first test pair: the axiomatic Laplacian
# mask (left, eigenvalues scaled by the largest), the mask DiffuMatch reads from the prior's
# denoising residuals of $|C_\text{raw}|$ (middle; both are penalties, small = allowed) and the
# final DiffuMatch map (right). Mirrors the comparison of the Laplacian and diffusion masks in
# {cite:t}`pierson2025diffumatch`.

# %%
f1 = np.sin(4 * s1.V[:, 0]) + 2 * s1.V[:, 2]  # a function on shape 1, pulled back by each map
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharey=True)
for ax, (m, T) in zip(axes, [("ground truth", ex.results["diffumatch"][0].T_gt),
                             ("none", ex.results["none"][0].T21),
                             ("diffumatch", ex.results["diffumatch"][0].T21)], strict=True):
    top = s2.V[:, 2] >= 0  # the upper half of shape 2, seen from above
    ax.scatter(s2.V[top, 0], s2.V[top, 1], c=f1[T][top], cmap="coolwarm", s=6)
    ax.set(title=m, xlabel="$x$ (shape units)", aspect="equal")
axes[0].set_ylabel("$y$ (shape units)")
plt.show()

# %% [markdown]
# **Figure 4.** Function transfer on the first test pair: the function
# $\sin(4x)+2z$ of shape 1 pulled back to shape 2 (upper half, seen from above) through the
# ground-truth correspondence (left), the unregularised map (middle) and DiffuMatch (right).
# Mirrors the texture-transfer figures of {cite:t}`pierson2025diffumatch`.

# %% [markdown]
# ## Reproduction check
#
# Headline claims: on the unseen category, DiffuMatch's mean error is far below the unregularised
# map's (asserted at both profiles) and below the Laplacian-commutativity regulariser's (asserted
# at `full`; reported at `ci`, where it fails at some seeds — discussion). Other results: the
# prior denoises held-out maps of its training category and transfers to the unseen one, the
# diffusion mask alone already helps, and the method collapses without the prior; DiffuMatch
# against the Laplacian map given the same test-time refinement is reported at `ci`. Thresholds
# are set from seeds 0–4 at `ci` (values in the discussion).

# %%
e = {m: float(v.mean()) for m, v in errs.items()}
ch.claims.less("mean error: DiffuMatch / unregularised", e["diffumatch"] / e["none"], 0.3,
               kind="headline", paper="learned prior ≫ no regulariser (zero-shot)",
               note=f"{100 * e['diffumatch']:.2f} vs {100 * e['none']:.2f} (×100)")
ch.claims.less("mean error: DiffuMatch / Laplacian-mask regulariser",
               e["diffumatch"] / e["laplacian"], 0.75, kind="headline", asserted_at=("full",),
               paper="learned prior beats axiomatic regularisation (zero-shot)",
               note=f"{100 * e['diffumatch']:.2f} vs {100 * e['laplacian']:.2f} (×100)")
ch.claims.less("mean error: DiffuMatch / (Laplacian + the same refinement)",
               e["diffumatch"] / e["laplacian + proper"], 1.3, asserted_at=("full",),
               paper="at least as good as the axiomatic pipeline",
               note="both refined by descriptor + proper-map losses; only DiffuMatch has the prior")
ch.claims.less("mean error: diffusion mask alone / unregularised",
               e["diffusion mask"] / e["none"], 0.4, paper="the learned mask regularises")
ch.claims.greater("mean error: prior removed / DiffuMatch", e["no prior"] / e["diffumatch"], 2.5,
                  paper="the prior carries the regularisation",
                  note="denoiser replaced by the identity")
ch.claims.less("denoising error ratio at $\\sigma=0.3$, held-out category A",
               den.loc[0.3, "held-out A"], 0.3, paper="prior learned (DFAUST)")
ch.claims.less("denoising error ratio at $\\sigma=0.3$, unseen category B",
               den.loc[0.3, "unseen B (test)"], 0.4, paper="category-agnostic prior")
ch.claims.less("point-map error of the ground-truth $C$", gt_err, 0.02, kind="sanity")
ch.claims.less("$\\lVert C(\\text{self}) - I\\rVert_{\\max}$", self_err, 1e-8, kind="sanity")
ch.claims.less("row-wise regularised solve vs stacked lstsq", solve_err, 1e-8, kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** Zero-shot on a category the prior never saw (12 test pairs per run),
# DiffuMatch's map is far better than the unregularised one (mean error ×100: 2.6–3.9 vs
# 20.9–27.5 on seeds 0–4; ratio 0.11–0.16 against the threshold 0.3; 0.11–0.25 over 18 seeds)
# and, on average, better than the Laplacian-commutativity mask at its best $\lambda$ (6.1–8.9;
# ratio 0.43–0.54 on seeds 0–4) — the paper's headline, in our small setting, but not at every
# seed (below). The diffusion mask alone, without any optimisation, already removes most of the
# unregularised error (ratio 0.17–0.27 against 0.4). The prior trained on ellipsoids denoises
# the maps of the unseen peanut category almost as well as held-out maps of its own category
# (error ratio at $\sigma=0.3$: 0.22–0.24 vs 0.15–0.18; thresholds 0.4 and 0.3): the spectral
# structure it learns — near-diagonal, blurred within groups of close eigenvalues — is shared
# across categories, which is the paper's "category-agnostic" observation. With the denoiser
# replaced by the identity the pipeline loses its regulariser and its error grows 5.2–8.3 times
# (threshold 2.5; 3.2–8.3 over 18 seeds). Seeds 7 and 11 give ratios 0.179 / 0.122
# (unregularised) and 0.623 / 0.278 (Laplacian).
#
# **Why "beats the Laplacian regulariser" is reported at `ci`.** The chapter first ran 6 test
# pairs, and seeds 0–4 gave DiffuMatch / Laplacian 0.40–0.55 against 0.75. A lead's run of every
# chapter at seed 123 (a seed nobody calibrated on) failed it, 0.84; seeds 5–20 then gave
# 0.36–0.93, above 0.75 at seeds 14 (0.93, where DiffuMatch / unregularised also failed, 0.317)
# and 15 (0.76). One pair dominated the bad seeds (DiffuMatch's worst pair 15.7 and 19.9 ×100
# against a mean of 5.9), so we doubled the test set to 12 pairs: DiffuMatch / unregularised is
# then 0.11–0.25 over 18 seeds (0–5, 7, 10, 11, 14–20, 42, 123) and stays asserted, but
# DiffuMatch / Laplacian is 0.28–1.02, above 0.75 at seeds 14 (1.02), 42 (0.83) and 123 (0.80),
# and is *above 1* at seed 14: at some seeds the learned mask is weak on these shapes (diffusion mask alone 7.0 ×100
# against the Laplacian's 5.7 at seed 14), and a larger test set does not remove that. The
# learned prior beats the axiomatic one by about a factor of two on average (mean ratio 0.55
# over the 18 seeds), which is the paper's direction, but not at every seed, so the row is
# reported at `ci` and asserted only at `full`.
#
# **What did not match, or is weaker than the paper says.** (1) Given the *same* test-time
# refinement (descriptor and proper-map losses with ZoomOut targets), the Laplacian map catches
# up: DiffuMatch / (Laplacian + proper) is 0.72–0.99 over seeds 0–4 (1.09 and 0.41 on seeds 7 and
# 11) and 0.41–1.56 over 18 seeds, above 1.3 at seeds 14, 17, 42 and 123, so "on par" (< 1.3) is
# reported at `ci`, not asserted, and "better" is not claimed. Most of the gain over the closed-form
# Laplacian layer comes from the ZoomOut-based proper-map loss, which needs no prior. (2) A
# **uniform ridge** (Tikhonov, no structure) is as good as DiffuMatch here (mean error ×100
# 2.8–3.7 on seeds 0–4 against DiffuMatch's 2.6–3.9 on the same seeds, closed form, no
# optimisation): with xyz among the descriptors of
# shapes that share an orientation, any mild regulariser suffices, and the Laplacian mask is weak
# because it leaves whole blocks of close eigenvalues unpenalised. (3) SDS adds nothing we can
# measure: DiffuMatch without SDS has the same error (2.4–4.2 vs 2.6–3.9). (4) A prior trained on
# maps whose entries were shuffled by a fixed permutation (wrong structure) still passes both
# headline claims at seeds 0 and 1 (6 test pairs; ratios 0.19 / 0.14 and 0.59 / 0.49), although its mask
# alone is worse than the trained prior's before refinement. So at this scale the reproduction
# supports "a prior-derived regulariser replaces the axiomatic one and, on average, beats it", not "the
# learned structure is what matters"; the paper's harder regime (learned DiffusionNet features,
# real non-isometric benchmarks, 30 × 30 maps of humans) is where it reports the structure pays.
#
# **Where the chapter deviates, and why.** Direct optimisation of $C$ from fixed descriptors
# instead of a per-pair DiffusionNet; an MLP denoiser trained with the EDM loss (the official
# configuration trains a DiT-S/4 with the VP loss on DFAUST maps); $k=20$, ZoomOut to 30 (paper
# 30 and 40); 40 Adam steps at lr $10^{-2}$ (paper 300 at $10^{-3}$ on the network weights); the
# mask noise $\sigma=1$ and 200 draws as the official `time` and `batch_mask`, SDS noise up to
# $\sigma_\text{max}=0.3$ with 32 draws. The SDS target uses $|C|$ rather than the official code's
# signed $C$ (see Method). The Laplacian $\lambda$ and the ridge $\lambda$ were chosen as the best
# of a small grid on one development run, which favours the baselines. Geodesics are
# shortest paths along mesh edges (an upper bound of the true geodesic distance, a few per cent
# above it at this resolution); the error of the ground-truth $C$'s own point map (0.3–0.8 ×100)
# is the floor of the metric at $k=20$.
#
# **Breaking the method.** (a) The prior's guidance removed — the trained denoiser replaced by the
# identity in the whole notebook (seed 0): both headline claims fail (DiffuMatch / unregularised
# 2.36, / Laplacian 7.18, with the degenerate all-zero mask solved as a singular system; after we
# made an all-zero mask fall back to the minimum-norm map, 0.72 and 2.19 at seed 0, 0.81 and 2.84
# at seed 1; rerun with 12 test pairs at seed 0: 0.75 against 0.3, and the reported
# Laplacian row 2.25), and so do all the other claims of the paper. (b) The proper-map loss removed
# (development run): the error returns to the unregularised level (24 ×100), failing both
# headlines. (c) A prior of the wrong structure (shuffled training maps): *passes* both headlines,
# see above — the claims guard the presence of the prior's regulariser, not its content. The
# unit tests also check that removing the prior makes the tiny pipeline at least twice worse.
#
# **Not run here.** The `full` profile (k = 30, ZoomOut to 40, 2,562-vertex meshes, 60 training
# shapes, a 512-wide denoiser trained for 20,000 steps on the GPU, 300 refinement steps on 20
# test pairs) is written but was not run while writing this chapter.
#
# **Cost.** `paper.estimate_seconds` gives 47 s on paper at `ci` with 12 test pairs (rates
# measured under load, so conservative; the chapter's budget is 60 s); the notebook's
# `wall_time_s` was 23 s (seed 4) on a lightly loaded 2-core machine and 41–52 s (seeds 0–3, 7,
# 11) while four other notebooks ran beside it; the 6 extra test pairs cost about 10 s.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`pierson2025diffumatch` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
