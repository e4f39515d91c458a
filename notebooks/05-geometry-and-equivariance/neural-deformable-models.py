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
# # Neural Deformable Models for 3D Bi-Ventricular Heart Shape Reconstruction and Modeling from 2D Sparse Cardiac Magnetic Resonance Imaging
#
# This chapter reproduces {cite:t}`ye2023neural`.
#
# **What is reproduced here:** the neural deformable model (NDM) — a blended superquadric whose
# size parameters are functions along the long axis (geometric parameter functions), deformed
# globally by tapering, bending and a rigid pose, and locally by a learned *diffeomorphic point
# flow* (a neural velocity field integrated over time) — reconstructing bi-ventricular
# heart-like shapes from **sparse slices**: each case is seen only on 8 short-axis and 3
# long-axis planes, as noisy, misaligned contour points (a procedural stand-in for cardiac MRI
# with the true surface and its anatomical coordinates known, since the paper's clinical data
# is not public). On held-out cases we check the paper's headline claims: the full model
# reconstructs the surface better than a conventional per-case deformable-superquadric fit (the
# global part only), and its points keep their anatomical meaning better than those of a
# direct point decoder (an MLP from template points to the surface, no superquadric). The flow
# is invertible and folds no triangle, and the model is sampled at a resolution 3× finer than
# it was trained at.
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
from nonlinlab.papers import neural_deformable_models as paper

ch = nonlinlab.Chapter("neural-deformable-models", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# No model code of the paper is public, so the model below is reconstructed from the paper's
# description and from the classical deformable superquadrics it builds on; the choices we had
# to make are marked *(ours)*. Code: `nonlinlab/papers/neural_deformable_models.py`.
#
# **Blended superquadric with geometric parameter functions.** On the parametric domain —
# latitude $\eta\in[-\pi/2,\eta_b]$ from the apex to an open base, longitude
# $\omega\in[-\pi,\pi)$ —
# $$e(\eta,\omega)=\Big(a_1(\eta)\,C_\eta^{\epsilon_1}C_\omega^{\epsilon_2},\;
# a_2(\eta)\,C_\eta^{\epsilon_1}S_\omega^{\epsilon_2},\;a_3\,S_\eta^{\epsilon_1}\Big),\qquad
# C_\theta^{\epsilon}=\operatorname{sign}(\cos\theta)\,|\cos\theta|^{\epsilon},\;
# S_\theta^{\epsilon}=\operatorname{sign}(\sin\theta)\,|\sin\theta|^{\epsilon},$$
# where the aspect ratios $a_1(\eta),a_2(\eta)$ are *geometric parameter functions* (GPFs):
# piecewise linear in $K$ control values along $\eta$ *(ours)*. The right ventricle is a
# second primitive blended with the left one along $\omega$,
# $e=(1-w(\omega))\,e_{LV}+w(\omega)\,e_{RV}$, with $e_{RV}$ the LV primitive widened by
# $1+\beta$ along $x$ and $w$ a Gaussian window centred on the RV side *(ours)*.
#
# **Global deformations.** Tapering $x\leftarrow x\,(1+t_x z/a_3)$,
# $y\leftarrow y\,(1+t_y z/a_3)$; bending $x\leftarrow x+\kappa_x z^2$, $y\leftarrow y+\kappa_y z^2$
# (the small-curvature form of Barr's bend, *ours*); a rigid pose, rotation $R_\psi$ about the
# long axis and translation $c$.
#
# **Local deformation: a diffeomorphic point flow.** In the object frame (before the pose),
# every point follows
# $$\frac{dx}{dt}=v_\theta\big(x,t,c_s\big),\quad t\in[0,1],\qquad \phi_1(x(0))=x(1),$$
# with $v_\theta$ a 3-hidden-layer Softplus MLP shared by all shapes and $c_s$ a per-shape code.
# The time-1 map $\phi_1$ of a smooth velocity field is a diffeomorphism: its inverse is the
# same ODE integrated backwards, and it cannot fold the surface. We integrate it with the
# classical fixed-step RK4. The whole model is
# $$x(\eta,\omega)=R_\psi\,\phi_1\big(T_{\text{bend}}\,T_{\text{taper}}\,e(\eta,\omega)\big)+c .$$
#
# **Learning from a shape distribution, fitting sparse slices.** Training shapes come with
# dense surfaces. The global part of each is fitted to its surface; then $v_\theta$ and the
# codes $c_s$ are learned together (an auto-decoder, *ours*) by minimising the symmetric Chamfer
# distance $\mathrm{CD}(X,Y)=\frac1{|X|}\sum_{x}\min_y\|x-y\|^2+\frac1{|Y|}\sum_y\min_x\|x-y\|^2$
# between model points and the dense surface, plus the flow's kinetic energy
# $\lambda_v\int_0^1\|v_\theta\|^2dt$ and a prior $\lambda_c\|c_s\|^2$. A test case is then
# reconstructed from its **sparse slice points only**: its global parameters and flow code
# are optimised (the network frozen) to bring every observed point onto the model surface —
# the data forces of deformable models.
#
# **Baselines.** (a) *Classical per-case fit*: the same global model (GPFs, blending, tapering,
# bending, pose), fitted to the same sparse points with the same loss and steps, no local
# flow — a conventional deformable-superquadric fit. (b) *NDM global stage*: the NDM's own fit
# with the flow left out. (c) *Direct point decoder*: an MLP maps a template point
# $(\cos\eta\cos\omega,\cos\eta\sin\omega,\sin\eta)$ and a per-shape code to a surface point,
# trained and fitted exactly like the NDM's flow (same data, loss, steps) — a learned
# reconstruction without the superquadric.
#
# **Metrics.** The Chamfer distance between the model surface and the true surface (both
# sampled densely; details below the experiments' table); the *correspondence error*, the mean
# distance between the model point at $(\eta,\omega)$ and the true point with the same
# anatomical coordinate. The decoder's template
# has no anatomical meaning of its own, so each of its template points gets the fixed anatomical
# label that best matches its reconstructions of 48 training shapes (its most favourable
# labelling); the NDM and the classical fit use their own $(\eta,\omega)$, uncalibrated.

# %% [markdown]
# ## Experiments
#
# ### Data: procedural bi-ventricular shapes seen on sparse slices
#
# Each case draws the global model's parameters at random (sizes, squareness, RV width,
# tapering, bending, a rotation of up to ±0.6 rad about the long axis, a small translation) and
# adds what a superquadric cannot express: three local features at fixed anatomical sites
# (two bumps and a dent, amplitudes 0.2–0.45 for a radius ≈ 1, sites jittered), displacing the
# surface horizontally. The "scan" intersects the dense surface mesh with 8 short-axis planes
# from near the apex to near the base and 3 long-axis planes through the long axis (0°, 60°,
# 120°), keeps 16 (short axis) or 32 (long axis) points per contour, shifts each slice in its
# plane by $\mathcal N(0,0.02^2)$ (breath-hold misalignment) and adds $\mathcal N(0,0.01^2)$
# noise. 64 training shapes (dense) and 24 test cases (slices only) in `ci`.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color, progress

res = paper.run_experiment(cfg, seed=ch.seed, device=ch.device, progress=progress)
test = res.test_set

# %%
case = 0
obs = test.obs[case].numpy()
recon = {k: res.recon[k][case].numpy() for k in ("classical fit", "NDM")}
gt = test.dense[case].numpy()
fig = plt.figure(figsize=(13, 4.2))
panels = [("sparse slices (input)", None), ("classical fit", "classical fit"), ("NDM", "NDM")]
for j, (title, key) in enumerate(panels):
    ax = fig.add_subplot(1, 3, j + 1, projection="3d")
    if key is None:
        ax.scatter(*gt.T, s=1, color="0.8")
        sax, lax = obs[obs[:, 3] == 0], obs[obs[:, 3] == 1]
        ax.scatter(*sax[:, :3].T, s=6, color=color(0), label="short axis")
        ax.scatter(*lax[:, :3].T, s=6, color=color(1), label="long axis")
        ax.legend(loc="upper left")
    else:
        err = np.sqrt(((recon[key][:, None] - gt[None]) ** 2).sum(-1).min(1))
        sc = ax.scatter(*recon[key].T, s=2, c=err, vmin=0, vmax=0.25, cmap="viridis")
    ax.set(title=title, xlabel="x", ylabel="y", zlabel="z (long axis)")
    ax.view_init(elev=15, azim=-60)
fig.colorbar(sc, ax=fig.axes, shrink=0.6, label="distance to the true surface")
plt.show()

# %% [markdown]
# **Figure 1.** One test case: the true surface (grey) and the sparse input, 8 short-axis and
# 3 long-axis contours (left); the surfaces reconstructed from these points by the classical
# per-case superquadric fit (middle) and by the NDM (right), coloured by each point's distance
# to the true surface (units of the shape, radius ≈ 1). The classical fit misses the local
# bumps and dent; the NDM's flow restores them (mirrors Fig. 1 of {cite:t}`ye2023neural`, sparse
# CMR slices and the reconstructed bi-ventricular shape).

# %%
fit_raw = res.fit["NDM"][0].cpu()
g = paper.params_from_raw(fit_raw[case:case + 1], cfg.n_ctrl)
eta, omega = paper.param_grid(*cfg.grid_eval)
with torch.no_grad():
    stages = {
        "superquadric + GPFs + blending": paper.global_shape(
            eta, omega, paper.GlobalParams(g.a1, g.a2, g.a3, g.eps1, g.eps2, g.beta,
                                           0 * g.taper, 0 * g.bend, g.rotation, g.center)),
        "+ tapering and bending": paper.global_shape(eta, omega, g),
        "+ local diffeomorphic flow": res.recon["NDM"][case:case + 1],
    }
moved = (stages["+ local diffeomorphic flow"] - stages["+ tapering and bending"]).norm(dim=-1)
fig = plt.figure(figsize=(13, 4.2))
for j, (title, x) in enumerate(stages.items()):
    ax = fig.add_subplot(1, 3, j + 1, projection="3d")
    if j < 2:
        ax.scatter(*x[0].numpy().T, s=2, c=omega.numpy(), cmap="twilight")
    else:
        sc = ax.scatter(*x[0].numpy().T, s=2, c=moved[0].numpy(), cmap="viridis", vmin=0)
    ax.set(title=title, xlabel="x", ylabel="y", zlabel="z (long axis)")
    ax.view_init(elev=15, azim=-60)
fig.colorbar(sc, ax=fig.axes[2], shrink=0.6, label="displacement by the flow")
plt.show()

# %% [markdown]
# **Figure 2.** The NDM of Figure 1's case built up stage by stage: the blended superquadric
# with its fitted geometric parameter functions (left), after the global tapering and bending
# (middle), both coloured by the longitude $\omega$ that every stage carries along, and after
# the learned local flow (right), coloured by how far the flow moved each point. The flow does
# not only add the planted bumps and dent: fitted jointly with the global parameters, it also
# takes over part of the global shape, so the global stage alone is not the best global fit
# (see the table) (mirrors the model overview figure of {cite:t}`ye2023neural`).

# %% [markdown]
# ### Reconstruction from sparse slices: NDM against its baselines
#
# Mean over the test cases. The *surface Chamfer* compares two surfaces rather than two
# samplings of them: points of the model on the $32\times48$ evaluation grid against the true
# surface sampled 3× finer, plus true points on the evaluation grid against the model sampled
# 3× finer (k-d trees), which removes most of the sampling floor of a plain point-set Chamfer.
# The *point* columns are the plain Chamfer of the model's point cloud as sampled on the
# evaluation grid and on the $10\times16$ grid the models were trained on (the densification
# check). Flipped triangles are counted on the evaluation grid's mesh relative to the template
# (for the NDM: relative to its own global stage, i.e. folds made by the flow).

# %%
methods = ["NDM", "NDM global stage", "classical fit", "direct decoder"]
table = pd.DataFrame({
    "surface Chamfer": [res.chamfer[m] for m in methods],
    "points, 32×48": [res.chamfer_sampled["eval"][m] for m in methods],
    "points, 10×16 (training grid)": [res.chamfer_sampled["train"][m] for m in methods],
    "correspondence error": [res.corr[m] for m in methods],
    "flipped triangles": [res.flipped.get(m, np.nan) for m in methods],
}, index=methods)
table.style.format({c: "{:.4f}" for c in table.columns[:3]}
                   | {"correspondence error": "{:.3f}", "flipped triangles": "{:.0f}"})

# %%
gc = cfg.grid_corr
extent = [-180, 180, np.degrees(paper.ETA_APEX), np.degrees(paper.ETA_BASE)]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
for ax, m in zip(axes, ("NDM", "direct decoder"), strict=True):
    im = ax.imshow(res.corr_map[m].reshape(gc).numpy(), aspect="auto", origin="lower",
                   vmin=0, vmax=0.6, extent=extent)
    ax.set(xlabel="longitude ω (degrees)", ylabel="latitude η (degrees)",
           title=f"{m}: {res.corr[m]:.3f} on average")
fig.colorbar(im, ax=axes, label="correspondence error")
plt.show()

# %% [markdown]
# **Figure 3.** Correspondence error over the anatomical domain, averaged over the test
# cases: the distance between the reconstructed point of each anatomical coordinate $(\eta,
# \omega)$ and the true point with that coordinate, for the NDM (left) and the direct decoder
# with its best fixed labelling (right); $\omega=\pm180°$ is the RV side, $\eta$ runs from
# the apex (bottom) to the base (top). The decoder's template points slide over the surface
# from case to case — most where the RV's position varies — while the NDM's stay on their
# anatomy (mirrors the correspondence/registration figure of {cite:t}`ye2023neural`).

# %%
cases = {m: res.chamfer_cases[m].numpy() for m in ("NDM", "classical fit", "direct decoder")}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
axes[0].scatter(cases["classical fit"], cases["NDM"], s=14, color=color(0), label="NDM")
axes[0].scatter(cases["classical fit"], cases["direct decoder"], s=14, marker="s",
                color=color(1), label="direct decoder")
lim = [0, 1.05 * max(v.max() for v in cases.values())]
axes[0].plot(lim, lim, "--", color="0.5", lw=1)
axes[0].set(xlabel="Chamfer of the classical fit", ylabel="Chamfer of the learned model",
            title="test cases (below the diagonal: better)")
axes[0].legend()
axes[1].plot(res.losses["NDM"], color=color(0), label="NDM (local flow)")
axes[1].plot(res.losses["direct decoder"], color=color(1), label="direct decoder")
axes[1].set(xlabel="training step", ylabel="Chamfer on the training grid", yscale="log",
            title="auto-decoder training")
axes[1].legend()
plt.show()

# %% [markdown]
# **Figure 4.** Left: the Chamfer distance of every test case for the NDM (circles) and the
# direct decoder (squares) against the classical per-case fit (no counterpart in the paper,
# whose comparison is its results table). Right: the training Chamfer distance (on the
# $10\times16$ training grid, whose sampling sets its floor) of the NDM's local flow and of
# the direct decoder (no counterpart in the paper).

# %% [markdown]
# ### The flow is a diffeomorphism
#
# The flow of a test case integrated forward and then backward (RK4, 64 steps, float64) must
# return every point, and its Jacobian determinant must stay positive.

# %%
raw_t, code_t = res.fit["NDM"]  # on ch.device
x0 = paper.global_shape(*paper.param_grid(*cfg.grid_eval, device=raw_t.device),
                        paper.params_from_raw(raw_t[:4], cfg.n_ctrl), pose=False)
inv_err = paper.invertibility_error(res.flow, x0, code_t[:4], n_steps=64)
min_det = paper.min_jacobian_det(res.flow, x0, code_t[:4])
eta, omega = paper.param_grid(7, 11, dtype=torch.float64)
sq_err = float((paper.inside_outside(paper.superquadric(eta, omega, 1.1, 0.9, 2.0, 0.7, 1.1),
                                     1.1, 0.9, 2.0, 0.7, 1.1) - 1).abs().max())
print(f"forward-backward error {inv_err:.1e}, smallest Jacobian determinant {min_det:.3f}")

# %% [markdown]
# ## Reproduction check
#
# The paper reports its comparison on a private clinical cohort (Dice and distance metrics of
# reconstructed ventricles), so no number of ours is comparable to its numbers; the ledger
# checks its claims as relations between methods run here on the same cases. The two headline
# claims: the NDM reconstructs the surface better than the conventional per-case deformable
# superquadric fitted to the same sparse points (ratio of mean Chamfer distances), and its
# correspondences are better than those of a learned direct point decoder (ratio of mean
# correspondence errors, the decoder with its best fixed labelling). Thresholds are set from
# seeds 0–4 at the `ci` profile (values in the discussion).

# %%
r = res.chamfer
ch.claims.less("Chamfer: NDM / classical per-case superquadric fit", r["NDM"] / r["classical fit"],
               0.88, kind="headline", paper=paper.PAPER["vs_conventional"],
               note=f"NDM {r['NDM']:.4f}, classical fit {r['classical fit']:.4f}; "
                    f"{cfg.n_test} test cases, sparse slices only")
ch.claims.less("correspondence error: NDM / direct point decoder",
               res.corr["NDM"] / res.corr["direct decoder"], 0.8, kind="headline",
               paper=paper.PAPER["correspondence"],
               note=f"NDM {res.corr['NDM']:.3f} by its own $(\\eta,\\omega)$; decoder "
                    f"{res.corr['direct decoder']:.3f} with its best fixed labelling")
ch.claims.less("Chamfer: NDM / its global stage (flow left out)",
               r["NDM"] / r["NDM global stage"], 0.5, paper=paper.PAPER["local_flow"])
ch.claims.less("Chamfer: NDM / direct point decoder", r["NDM"] / r["direct decoder"], 1.0,
               paper="NDM outperforms learning-based reconstruction",
               note=f"decoder {r['direct decoder']:.4f}")
pc = res.chamfer_sampled
ch.claims.less("point-cloud Chamfer sampled 3× finer than trained / on the training grid",
               pc["eval"]["NDM"] / pc["train"]["NDM"], 0.5, paper=paper.PAPER["densify"],
               note=f"$32\\times48$ vs $10\\times16$ grid: {pc['eval']['NDM']:.4f} vs "
                    f"{pc['train']['NDM']:.4f}")
ch.claims.less("flipped triangles of the NDM mesh at 3× the training resolution",
               res.flipped["NDM"], 0.5, kind="sanity",
               paper="diffeomorphic flow: no fold",
               note=f"of {res.n_triangles} triangles; direct decoder: "
                    f"{res.flipped['direct decoder']} flipped relative to its sphere template")
ch.claims.less("flow forward then backward: max error (RK4, 64 steps, float64)", inv_err, 1e-6,
               kind="sanity", paper="$\\phi_1^{-1}$ = the ODE integrated backwards")
ch.claims.greater("smallest Jacobian determinant of the flow", min_det, 0.0, kind="sanity",
                  paper="diffeomorphism: $\\det\\partial\\phi_1/\\partial x>0$")
ch.claims.less("superquadric inside-outside function − 1 (max, float64)", sq_err, 1e-10,
               kind="sanity", paper="$F(e(\\eta,\\omega))=1$")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** Both headline claims hold on every seed we ran. From the same sparse slices, the
# NDM's surface Chamfer distance is 0.64–0.71 of the classical per-case superquadric fit's (seeds
# 0–4: 0.661, 0.712, 0.684, 0.670, 0.640; threshold < 0.88, worst margin 0.168): both fit the same
# global model to the same points with the same loss and steps, and the NDM's learned flow adds the
# local bumps and dent that no superquadric expresses. Left out at test time, the flow costs the NDM
# a factor of 3–4 (the full model's Chamfer is 0.25–0.30 of its global stage's, threshold < 0.5).
# That global stage is, however, worse than the classical fit (≈ 0.020 against ≈ 0.009 at seed 0): fitted jointly,
# the flow also absorbs part of the gross shape (Figure 2), so the division of labour the paper
# describes — GPFs and global deformations for the gross shape, the flow for detail — holds for the
# sum, not for each part separately; a stronger penalty on the flow's kinetic energy would push work
# back to the global part. The NDM's correspondence error is 0.48–0.66 of the direct decoder's
# (0.655, 0.598, 0.653, 0.478, 0.657; threshold < 0.8, worst margin 0.143), although the decoder was
# given the best fixed labelling of its template on 48 training shapes and the NDM none: the
# superquadric's $(\eta,\omega)$, its RV blend and its pose tie every point to the anatomy, while
# the decoder's points slide over the surface as the RV turns from case to case (Figure 3). The
# NDM's surface is also closer than the decoder's, the paper's comparison with learning-based
# methods: its Chamfer distance is 0.50–0.81 of the decoder's (0.808, 0.497, 0.725, 0.600, 0.642;
# threshold < 1, worst margin 0.19). The flow is a diffeomorphism in practice as well as in
# principle: forward-then-backward integration returns the points to ≈ $10^{-12}$, the smallest
# Jacobian determinant stays positive (0.59 at seed 0), and no triangle of the NDM's mesh flips at 3× the training resolution
# (the decoder flips tens of thousands relative to its sphere template, its mesh connectivity is not
# meaningful). Sampled on a $32\times48$ grid instead of the $10\times16$ grid it was trained on,
# the NDM's point cloud is about 4× closer to the true surface (seed 0: 0.25 of the training-grid
# Chamfer): the model is a continuous surface that densifies at any resolution.
#
# **What did not match, or only partly.** Our correspondence errors (0.16–0.19 for a shape
# of radius ≈ 1) are larger than the surface errors because the sparse slices leave the
# parametrisation partly free (squareness and the GPFs trade off against each other along
# $\eta$), and the flow, trained with Chamfer only, may move points along the surface: the NDM's
# correspondence is *not* better than the classical fit's (0.16–0.19 for both), which also has
# the superquadric's coordinates. The paper's numbers (Dice and distances on a private clinical
# cohort) cannot be compared with ours.
#
# **Where the chapter deviates, and why.** No model code of the paper is public: the form of
# the GPFs (piecewise linear in 4 controls), of the blending (a Gaussian window in $\omega$), of
# the bending (quadratic), the auto-decoder training and the per-case fit of the global
# parameters and flow code at test time are our reconstruction of the paper's description, not
# its implementation. The data are procedural shapes from the model's own global family plus
# planted local features, seen on simulated slices; real CMR adds segmentation errors, partial
# volume and larger misalignments. At `ci` the flow is small (3 hidden layers of 32, one RK4 step
# of 4 stages), trained for 400 steps on 64 shapes, and every fit runs 100 Adam steps; the
# `full` profile (1,000 shapes, width 128, 6 RK4 steps, 4,000 steps, 200 test cases) is written
# but was not run while writing this chapter.
#
# **Values at other seeds.** Seeds 7 and 11 (`ci`): Chamfer ratio to the classical fit 0.665
# and 0.700; correspondence ratio to the decoder 0.640 and 0.613; ratio to the global stage
# 0.295 and 0.278; ratio to the decoder's Chamfer 0.581 and 0.489. The densified point cloud
# (threshold < 0.5) read 0.25 at seed 0 and 0.275 at seed 1618; the sanity rows held at seeds 0
# and 1618 (no flipped triangle, positive Jacobian determinants).
#
# **Why both auto-decoders train 400 steps.** Until December 2026 they trained 200. In a run of
# every chapter at seed 1618, a seed nobody calibrated on, the Chamfer headline read 0.889
# against < 0.88 (0.74–0.84 at eleven other uncalibrated seeds): the flow was under-trained —
# with 400 steps the ratio falls to 0.64–0.71 on seeds 0–4, 7, 11 (it was 0.73–0.80) and to
# 0.809 at seed 1618. Doubling the test cases instead (48) reads 0.794 at 1618 but 0.77–0.84 on
# the calibration seeds, a thinner worst margin than now, so we kept 24. Both models get the
# same steps; the threshold is unchanged. The run costs ≈ 23 s (`wall_time_s`, seeds 0 and 1618)
# and its estimate on paper 39 s, so the chapter's budget is now 60 s (`chapters.csv`).
#
# **Breaking the method** (seed 0, the experiment functions with one piece broken). (1) *The
# local flow frozen* (its velocity field never trained, so $\phi_1$ stays the identity): the
# NDM becomes exactly the classical fit, the headline Chamfer ratio goes to 1.000 and **fails**
# (< 0.88), as do the ratio to the global stage (1.000, < 0.5) and the comparison with the
# decoder (1.221, < 1; rerun with 400 steps, the whole notebook); the correspondence headline
# still passes (0.583), as it should — it is
# the superquadric's coordinates and pose, not the flow, that anchor the anatomy. (2) *No pose
# rotation in the model* (ψ fixed at 0 for the NDM and the classical fit, so the RV direction
# can no longer be matched; run with 200 steps): the correspondence headline goes to 0.883 and
# **fails** (< 0.8);
# the Chamfer headline passes (0.365: the classical fit suffers more than the NDM, whose flow
# partly rotates the shape) and the decoder comparison barely does (0.981). In the tests, the
# frozen flow leaves the NDM exactly at its global part, while the trained flow must bring the
# training shapes' Chamfer distance below 0.8 of it.
#
# **Cost.** Estimate on paper 39 s (`paper.estimate_seconds`). With 400 training steps the `ci`
# run's `wall_time_s` was 23 s at seeds 0 and 1618 with two notebooks sharing the 2-core machine
# (with 200 steps: 23 s at load ≈ 2, 41–44 s at load ≈ 4–5 and 88 s at load ≈ 7–8); the
# chapter's budget is 60 s.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`ye2023neural` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
