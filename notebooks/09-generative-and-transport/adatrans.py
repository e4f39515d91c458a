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
# # Adaptive Nonlinear Latent Transformation for Conditional Face Editing
#
# This chapter reproduces {cite:t}`huang2023adaptive`.
#
# **What is reproduced here:** the AdaTrans editor — an LSTM that sees the editing trajectory so
# far and the target condition and outputs, at each of $T$ steps, a unit direction and a step
# size, trained with a classifier loss on the attribute to change *and* on the attributes to keep
# (pseudo-labels) plus a RealNVP log-likelihood term on every intermediate point — against
# InterFaceGAN's fixed linear direction and its conditional (projected) variant, with the
# paper's ablations: one step, no likelihood term, no keep loss. The main experiments use a
# synthetic latent world with an exact density (a Gaussian mixture) and exact attribute oracles,
# standing in for StyleGAN's W space with a face-attribute classifier, whose checkpoints cannot
# be used here: every metric there is measured with the exact oracles, not with a learned
# evaluator. A last section edits **real generated faces**: the same editor in the latent space
# of a pretrained 64×64 DCGAN face generator, with pretrained face-api classifiers and its
# 128-D face descriptor measuring the edit and the identity.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[sklearn,faces] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps gan-face-generate==1.1.1")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import adatrans as paper

ch = nonlinlab.Chapter("adatrans", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Latent world.** Codes $w\in\mathbb R^{d}$ ($d=8$) follow a mixture of 6 Gaussians with
# random means and covariances, so $\log p(w)$ is exact. Four binary attributes
# $a_k(w)=\mathbb 1[f_k(w)>0]$ with $f_k(w)=v_k^\top\tanh(Aw+b)+c_k$ share one hidden layer;
# attribute 0 (the one we edit) and attribute 1 share a few hidden units with equal weights, so
# pushing $w$ across the boundary of $a_0$ along a straight line tends to flip $a_1$ as well —
# the entanglement that linear editing suffers from. Each attribute is balanced (≈ 50 %). The
# classifier $C$ of the paper is $C_k(w)=\sigma(f_k(w)/\tau)$, $\tau=0.1$.
#
# **Density model.** A RealNVP $p_\phi$ (6 affine couplings with alternating masks, width 64)
# is fitted by maximum likelihood to samples of the world and frozen, as the paper's flow is
# pre-trained on W codes. Change of variables:
# $\log p_\phi(w)=\log\mathcal N(g(w);0,I)+\log\lvert\det\partial g/\partial w\rvert$, the
# log-determinant being the sum of the coupling log-scales (exact; the tests compare it with
# the autograd Jacobian).
#
# **Editor (Eqs. 3–6 of the paper, official `AdaTrans`).** Given the trajectory
# $y_0,\dots,y_t$ and the condition $c$, an MLP embeds each point, an LSTM reads the sequence,
# and its last state passes through condition-modulated blocks
# $h\leftarrow\mathrm{ReLU}(L(h)\,e^{L_s(c)}+L_b(c))$ (official `ConcatSquashLinear`). Two heads
# give a step size and a direction:
#
# $$s_t=\sigma(\cdot)\in(0,1),\qquad d_t=\frac{v_t}{\lVert v_t\rVert},\qquad
# y_{t+1}=y_t+s_t\,d_t,\quad t=0,\dots,T-1 .$$
#
# The edit is $y_T$ — no editing strength to tune. $c=\pm1$ is the flip of the classifier's
# prediction on the source, as in the official `train.py`.
#
# **Loss.** With $\mathcal C$ the change attribute and $\mathcal K$ the keep attributes,
#
# $$\mathcal L=\underbrace{\mathrm{BCE}\big(C_{\mathcal C\cup\mathcal K}(y_T),\,
# [c,\hat a_{\mathcal K}(y_0)]\big)}_{L_{cls}}
# +\underbrace{\frac1T\sum_{t=1}^{T}\frac{-\log p_\phi(y_t)}{d}}_{L_{nll}}
# +\underbrace{\tfrac1d\lVert y_T-y_0\rVert^2}_{L_{rec}},$$
#
# where the keep targets $\hat a_{\mathcal K}(y_0)$ are the classifier's own predictions on the
# source (pseudo-labels: no labels are needed), all weights 1 as in the official scripts. The
# identity and LPIPS losses act on images and have no counterpart here. AdamW, batch 128,
# 350 steps, lr $6\cdot10^{-3}$ in `ci` (250 steps at $3\cdot10^{-3}$ for the face editor below; official:
# 10,000 iterations at $10^{-4}$ with batch
# 256 × 8 accumulations); width 64, one LSTM layer, 3 blocks, $T=5$ (official 512, 2, 10, 10).
#
# **Baselines.** *InterFaceGAN*: the unit normal $n$ of a logistic-regression boundary for
# $a_0$ fitted on 5,000 labelled codes; edit $w'=w\pm\alpha n$ towards the target.
# *Conditional InterFaceGAN*: $n$ projected orthogonally to the normals of the keep attributes.
# The strength $\alpha$ is chosen on a validation set as the smallest one whose edit success
# reaches AdaTrans's (success-matched comparison). *Ablations* (the paper's): $T=1$, no
# $L_{nll}$, and $L_{cls}$ on the change attribute only.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color

out = paper.run_experiment(cfg, seed=ch.seed, device=ch.device)
world, res = out["world"], out["res"]
names = ["AdaTrans", "InterFaceGAN", "cond. InterFaceGAN", "single step (T=1)", "no NLL loss",
         "no keep loss"]
table = pd.DataFrame({n: {"edit success": res[n]["success"],
                          "attributes preserved": res[n]["preservation"],
                          "exact log p(edit)": res[n]["logp"],
                          "displacement": res[n]["dist"]} for n in names}).T
table.style.format("{:.3f}")

# %% [markdown]
# ## Experiments
#
# The table gives, on 2,000 test codes and with the exact oracles: the edit success (attribute
# 0 flipped), the preservation rate (attributes 1–3 all unchanged), the mean exact log-density
# of the edited code (the unedited test codes' mean is printed below) and the mean displacement $\lVert y_T-y_0\rVert$.
# The linear baselines use the strength that matches AdaTrans's success on the validation set.

# %%
print(f"mean exact log p of the unedited test codes: {world.log_prob(out['w_test']).mean():.2f}")
print("InterFaceGAN strengths (success-matched):",
      ", ".join(f"{k} α = {v:.1f}" for k, v in out["alphas"].items()))

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for j, n in enumerate(["InterFaceGAN", "cond. InterFaceGAN"]):
    c = out["curves"][n]
    axes[0].plot([m["success"] for m in c], [m["preservation"] for m in c], "-", color=color(j + 1),
                 label=f"{n} (α = 0 … 8)")
    axes[1].plot(paper.ALPHAS, [m["logp"] for m in c], "-", color=color(j + 1), label=n)
for j, n in enumerate(["AdaTrans", "single step (T=1)", "no NLL loss", "no keep loss"]):
    mk = "*o^s"[j]
    axes[0].plot(res[n]["success"], res[n]["preservation"], mk, ms=11 if j == 0 else 7,
                 color=color(0) if j == 0 else color(j + 2), label=n, ls="none")
    axes[1].axhline(res[n]["logp"], color=color(0) if j == 0 else color(j + 2),
                    ls="-" if j == 0 else ":", lw=1.5, label=n)
axes[0].set(xlabel="edit success (attribute 0 flipped)",
            ylabel="preservation (attributes 1–3 unchanged)")
axes[1].set(xlabel="InterFaceGAN strength α", ylabel="mean exact log p of the edit")
axes[0].legend(fontsize=7)
axes[1].legend(fontsize=7)
plt.show()

# %% [markdown]
# **Figure 1.** Left: success–preservation trade-off of the two linear methods as the strength
# $\alpha$ grows (curves), against AdaTrans and its ablations (markers; no strength to tune).
# Right: mean exact log-density of the edits versus $\alpha$ for the linear methods, with the
# editors' values as horizontal lines. Mirrors the quantitative comparison of the paper
# (its Table 1 and accuracy–preservation plots), with exact oracles instead of a classifier.

# %%
w0 = out["w_test"][:400]
with torch.no_grad():
    traj, steps, dirs = paper.edit_adatrans(out["nets"]["AdaTrans"], world, w0.to(ch.device))
traj = traj.cpu()
mu = out["w_test"].mean(0)
_, _, V = torch.pca_lowrank(out["w_test"] - mu, q=2, center=False)
proj = lambda w: ((w - mu) @ V).numpy()  # noqa: E731
n_lin = torch.as_tensor(out["dirs_lin"]["InterFaceGAN"], dtype=torch.float32)
change, _ = paper.targets(world, w0)
sign = (2 * change - 1)[:, None]
lin_path = torch.stack([w0 + a * sign * n_lin
                        for a in np.linspace(0, out["alphas"]["InterFaceGAN"], 6)])
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
P0 = proj(out["w_test"])
a_all = world.attrs(out["w_test"]).numpy()
axes[0].scatter(*P0.T, s=3, c=[color(0) if a else color(1) for a in a_all[:, 0]], alpha=0.3)
for i in range(8):
    axes[0].plot(*proj(traj[:, i]).T, "-o", ms=3, color="k", lw=1.2,
                 label="AdaTrans path" if i == 0 else None)
    axes[0].plot(*proj(lin_path[:, i]).T, "--", color=color(3), lw=1.2,
                 label="InterFaceGAN path" if i == 0 else None)
axes[0].set(xlabel="principal component 1", ylabel="principal component 2")
axes[0].legend(fontsize=8)
lp_ada = world.log_prob(traj.reshape(-1, cfg.dim)).reshape(traj.shape[0], -1).mean(1)
lp_lin = world.log_prob(lin_path.reshape(-1, cfg.dim)).reshape(lin_path.shape[0], -1).mean(1)
axes[1].plot(np.arange(traj.shape[0]) / (traj.shape[0] - 1), lp_ada, "-o", color=color(0),
             label="AdaTrans (step t / T)")
axes[1].plot(np.linspace(0, 1, lin_path.shape[0]), lp_lin, "--s", color=color(3),
             label="InterFaceGAN (α / α*)")
axes[1].set(xlabel="fraction of the edit", ylabel="mean exact log p along the path")
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** Left: test codes in the plane of their two leading principal components
# (blue: attribute 0 on, orange: off) with eight AdaTrans trajectories (black, one dot per step)
# and the InterFaceGAN paths of the same codes (dashed, to the success-matched strength); the
# AdaTrans steps have code-dependent lengths and directions, which this 2-D projection of the
# 8-D space flattens (mirrors the paper's trajectory illustration, Fig. 1). Right: mean exact
# log-density along the path for 400 test codes; against the plain linear edit the density of
# the end point is not uniformly better across seeds, which is why only the comparison with the
# conditional variant and with the no-NLL ablation is checked below.

# %% [markdown]
# ## Real faces: editing a pretrained face generator
#
# The same editor (the library's `train_editor`, unchanged) now edits real generated faces.
#
# **Generator.** A pretrained DCGAN (64×64 RGB, $z\sim\mathcal N(0,I_{100})$) from the PyPI
# package `gan-face-generate` 1.1.1 (code under the MIT licence), trained on DigiFace-1M, a data
# set of *synthetic* faces rendered by Microsoft that may be used for **non-commercial research
# only**; the faces below are generated, not photographs of people.
#
# **Classifiers and identity.** The pretrained nets of the npm package `@vladmandic/face-api`
# 1.7.15 (MIT licence; its face descriptor descends from dlib's ResNet face-recognition model),
# ported to torch in `nonlinlab.models.face_api` and checked against the outputs of the original
# TF.js models (sanity rows below): the 7-way expression net, the age/gender net and the 128-D
# face descriptor. The faces are resized to the nets' inputs (112 and 150 pixels) as face-api
# does. On 500 generated faces, face-api calls about 20 % of them *happy* (smiling) and 70 %
# *male*, with ages 15–40: we edit **happy** (the paper's "smile") and keep gender and age.
#
# **Latent density.** The density of $z$ is known exactly, so it replaces the RealNVP. Its
# Cartesian form $\log\mathcal N(z;0,I)$ peaks at $z=0$, the "average face", which no sample
# comes near in 100 dimensions ($\lVert z\rVert\approx 10$): used as $L_{nll}$ it would pull
# every edit towards that untypical point. We use the same density in polar coordinates,
# $\log p(z)+(d-1)\log\lVert z\rVert$, whose maximum is the typical shell
# $\lVert z\rVert=\sqrt{d-1}$ — the paper's intent, keeping edits where the codes are.
#
# **Classifier $C$ on the code.** The paper differentiates an image classifier through the
# generator at every step; on a CPU we instead regress face-api's logits of *happy* and *male*
# and the age (around its median, in units of 4 years) on the codes of 384 generated faces
# (ridge regression), and train the editor with these differentiable scores: change *happy*,
# keep the other two, $L_{rec}$ and the exact $L_{nll}$, the paper's weights. As in the
# official `train.py`, the keep pseudo-labels are the classifier's *probabilities* on the source
# (only the change target is thresholded), so the keep loss is smallest where the kept scores do
# not move; hard 0/1 labels would instead push a male face to look more male and an older one
# older. The paper's identity and LPIPS losses act on images and are dropped here too.
# InterFaceGAN's direction is the unit normal of the same *happy* regression.
#
# **Evaluation** on 64 new faces, with the real face-api nets on the generated images: success
# = face-api's *happy* label flipped; identity distance = Euclidean distance between the
# descriptors of the source and the edit (face-api calls two faces the same person below 0.6);
# gender kept = face-api's gender label unchanged. InterFaceGAN is run at strengths
# $\alpha\in\{1,2,3,4\}$ and interpolated to AdaTrans's success.

# %%
import sys

from nonlinlab.models import face_api

if "google.colab" in sys.modules and not face_api.available():
    face_api.fetch()  # on Colab only: the npm tarball, checked against its sha512 integrity
faces = paper.run_faces(cfg, seed=ch.seed, device=ch.device)
fres = faces["res"]
print("face-api port, largest deviation from the TF.js outputs:",
      ", ".join(f"{k} {v:.1e}" for k, v in faces["port"].items()))
print(f"labelled faces: happy {faces['label_rate'][0]:.2f}, male {faces['label_rate'][1]:.2f}; "
      f"InterFaceGAN strength matched to AdaTrans's success: α = {fres['InterFaceGAN']['alpha']:.2f}")
pd.DataFrame({n: {"edit success (happy flipped)": fres[n]["success"],
                  "identity distance": fres[n]["identity"],
                  "gender kept": fres[n]["male kept"],
                  "age change (years)": fres[n]["age change"],
                  "displacement ‖Δz‖": fres[n]["dist"]}
              for n in ["AdaTrans", "InterFaceGAN"]}).T.style.format("{:.3f}")

# %%
show = faces["show"]
rows = [show["source"], show["AdaTrans"], show["InterFaceGAN"]]
grid = torch.cat([torch.cat(list(r), dim=2) for r in rows], dim=1)
fig, ax = plt.subplots(figsize=(11, 4.4))
ax.imshow(((grid + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy())
ax.set(yticks=[32, 96, 160], yticklabels=["source", "AdaTrans",
                                          f"InterFaceGAN\nα = {fres['InterFaceGAN']['alpha']:.1f}"],
       xticks=[32 + 64 * k for k in range(len(show["source"]))],
       xticklabels=[f"{'→ happy' if c > 0 else '→ not happy'}" for c in show["c"]],
       xlabel="test face and edit target")
ax.tick_params(axis="x", labelsize=7)
ax.grid(False)
plt.show()

# %% [markdown]
# **Figure 3.** Eight generated test faces (top), their AdaTrans edit (middle) and the
# InterFaceGAN edit at the strength that matches AdaTrans's success on the 64 test faces
# (bottom); the target (smile or no smile) is the flip of face-api's label on the source
# (mirrors the qualitative comparisons of {cite:t}`huang2023adaptive`, Fig. 4).

# %%
curve = faces["curve"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for ax, key, lab in [(axes[0], "identity", "identity distance (face-api descriptor)"),
                     (axes[1], "male kept", "gender kept (face-api)")]:
    ax.plot([0] + [m["success"] for m in curve],
            [0.0 if key == "identity" else 1.0] + [m[key] for m in curve], "-o",
            color=color(3), label="InterFaceGAN (α = 0, 1, 2, 3, 4)")
    ax.plot(fres["AdaTrans"]["success"], fres["AdaTrans"][key], "*", ms=14, color=color(0),
            label="AdaTrans", ls="none")
    ax.set(xlabel="edit success (face-api's happy label flipped)", ylabel=lab)
    ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 4.** Left: success–identity trade-off of the linear edit as its strength grows
# (curve) against AdaTrans (star), on 64 generated test faces, everything measured with
# face-api's nets on the images. Right: the same for the preservation of face-api's gender label
# (mirrors the paper's accuracy–preservation and identity comparisons, its Table 1 and Fig. 5).

# %% [markdown]
# ## Reproduction check
#
# Headline claims (the paper's): at matched edit success, AdaTrans keeps the other attributes far
# more often than a fixed linear direction and than its conditional variant; its edits are more
# in-distribution than the conditional linear ones; each ingredient matters — the keep loss for
# preservation, the likelihood term for the density of the edit, several steps for the success.
# On real faces: AdaTrans reaches a useful success without a strength to tune, and at
# InterFaceGAN's matched success it changes the identity less (both asserted); that it also keeps
# the gender more often is reported only, asserted at `full`: at `ci` that gap changes sign
# from seed to seed (see the discussion). Thresholds were set on seeds 0–4, 7 and 11 at `ci`
# (values in the discussion).

# %%
R = res
s_all = steps.cpu()
d_norm = dirs.cpu().norm(dim=-1)
ch.claims.greater("preservation: AdaTrans − InterFaceGAN at matched success",
                  R["AdaTrans"]["preservation"] - R["InterFaceGAN"]["preservation"], 0.2,
                  kind="headline", paper="better attribute preservation than InterFaceGAN (Table 1)",
                  note=f"AdaTrans {R['AdaTrans']['preservation']:.3f}, InterFaceGAN "
                       f"{R['InterFaceGAN']['preservation']:.3f}")
ch.claims.greater("preservation: AdaTrans − conditional InterFaceGAN at matched success",
                  R["AdaTrans"]["preservation"] - R["cond. InterFaceGAN"]["preservation"], 0.05,
                  kind="headline", paper="better than the conditional linear edit",
                  note=f"conditional {R['cond. InterFaceGAN']['preservation']:.3f}")
ch.claims.greater("exact log p of the edit: AdaTrans − conditional InterFaceGAN",
                  R["AdaTrans"]["logp"] - R["cond. InterFaceGAN"]["logp"], 2.0, kind="headline",
                  paper="edits stay in-distribution (lower FID)",
                  note=f"AdaTrans {R['AdaTrans']['logp']:.2f}, conditional "
                       f"{R['cond. InterFaceGAN']['logp']:.2f}")
ch.claims.greater("exact log p of the edit: AdaTrans − no NLL loss",
                  R["AdaTrans"]["logp"] - R["no NLL loss"]["logp"], 0.1, kind="headline",
                  paper="the density constraint keeps edits in-distribution (ablation)",
                  note=f"without L_nll {R['no NLL loss']['logp']:.2f}")
ch.claims.greater("preservation: AdaTrans − no keep loss",
                  R["AdaTrans"]["preservation"] - R["no keep loss"]["preservation"], 0.1,
                  kind="headline", paper="the disentangled (pseudo-label) loss keeps attributes",
                  note=f"without keep loss {R['no keep loss']['preservation']:.3f}")
ch.claims.greater("edit success: AdaTrans (T=5) − single step (T=1)",
                  R["AdaTrans"]["success"] - R["single step (T=1)"]["success"], 0.1,
                  kind="headline", paper="multi-step beats one step (ablation on T)",
                  note=f"T=1 {R['single step (T=1)']['success']:.3f}")
ch.claims.greater("edit success of AdaTrans (no strength tuned)", R["AdaTrans"]["success"], 0.4,
                  paper="high attribute accuracy without tuning the strength",
                  note="the keep loss competes with the entangled attribute")
ch.claims.less("RealNVP: exact minus learned log-likelihood, nats per dim (held out)",
               out["flow_gap"], 0.3, paper="a pre-trained flow models the latent density")
ch.claims.between("step sizes s_t in (0, 1)", float(s_all.min()), 0.0, 1.0, kind="sanity")
ch.claims.close("directions have unit norm (max deviation)",
                float((d_norm - 1).abs().max()), 0.0, atol=1e-5, kind="sanity")
ch.claims.holds("path length sum s_t at most T", bool((s_all.sum(0) <= cfg.max_steps).all()),
                ours="yes" if bool((s_all.sum(0) <= cfg.max_steps).all()) else "no", kind="sanity")

FR = fres
have_lin = FR["InterFaceGAN"]["identity"] is not None
ch.claims.greater("real faces: identity distance, InterFaceGAN − AdaTrans at matched success",
                  FR["InterFaceGAN"]["identity"] - FR["AdaTrans"]["identity"] if have_lin else None,
                  0.0, kind="headline",
                  paper="better identity preservation than InterFaceGAN (Table 1)",
                  note=f"AdaTrans {FR['AdaTrans']['identity']:.3f}; paired s.e. of the gap "
                       f"{FR['identity gap se'] or float('nan'):.3f} on {cfg.face_n_test} faces")
ch.claims.greater("real faces: gender kept, AdaTrans − InterFaceGAN at matched success",
                  FR["AdaTrans"]["male kept"] - FR["InterFaceGAN"]["male kept"] if have_lin
                  else None, 0.0, asserted_at="full",
                  paper="better attribute preservation than InterFaceGAN (Table 1)",
                  note=f"AdaTrans {FR['AdaTrans']['male kept']:.3f}")
ch.claims.greater("real faces: edit success of AdaTrans (no strength tuned)",
                  FR["AdaTrans"]["success"], 0.5,
                  paper="high attribute accuracy without tuning the strength",
                  note="face-api's happy label flipped on the generated image")
ch.claims.less("face-api port: largest deviation from the original TF.js outputs",
               max(faces["port"].values()), 1e-4, kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** At matched edit success, AdaTrans kept the three other attributes on
# 0.73–0.88 of the test codes against 0.32–0.56 for InterFaceGAN's fixed direction and
# 0.46–0.66 for its conditional variant (seeds 0–4, 7, 11, `ci`): the adaptive, bent trajectory
# avoids the entangled attribute that a straight line crosses (Figure 2). Its edits have a higher
# exact log-density than the conditional linear edits (by 6–51 nats: projecting out the keep
# normals forces large strengths, up to α = 8, far from the data), and dropping the likelihood
# term lowers the log-density of AdaTrans's own edits by 0.36–1.42 nats. Dropping the keep loss
# raises success to ≈ 1 but preservation falls by 0.20–0.43; one step ($T=1$) cannot
# travel further than $s_0<1$ and its success falls by 0.30–0.56 — the paper's ablations, in
# direction. The RealNVP fits the world's density to 0.08–0.13 nats/dim of the exact one.
#
# **What did not.** The paper's editor reaches high attribute accuracy without tuning; here
# AdaTrans's success varies with the seed (0.69–0.95): the keep loss on the entangled attribute
# and the reconstruction term compete with the change term in the 350 training steps of `ci`,
# and the editor stops short on the codes where the two attributes are hard to separate (the
# ablation without keep loss reaches 0.95–1.00). The linear baselines are compared at AdaTrans's
# own success, so the preservation gaps are not inflated by this.
#
# **Values over seeds 0–4, 7 and 11 against the thresholds.** Preservation AdaTrans −
# InterFaceGAN 0.312–0.434 (> 0.2, worst margin 0.112, seed 2); − conditional InterFaceGAN
# 0.131–0.391 (> 0.05, worst 0.081, seed 11); log p AdaTrans − conditional 6.4–51 (> 2, worst
# 4.4, seed 7); − no NLL 0.36–1.42 (> 0.1, worst 0.26, seed 7); preservation − no keep loss
# 0.201–0.430 (> 0.1, worst 0.101, seed 1); success − single step 0.301–0.557 (> 0.1, worst
# 0.201, seed 2); AdaTrans success 0.691–0.946 (> 0.4); flow gap 0.078–0.125 (< 0.3).
#
# **Why the synthetic editor's learning rate is $6\cdot10^{-3}$.** Until December 2026 it was
# $3\cdot10^{-3}$, as for the face editor. In a run of every chapter at seed 2718, a seed nobody
# calibrated on, the headline "success − single step" read 0.082 against > 0.1: AdaTrans had
# stopped at success 0.557, the single step at 0.475 (over ten other uncalibrated seeds the
# headline read 0.22–0.72). The editor is under-trained at 250 steps — 500 steps at the old
# rate lift its success at seed 2718 to 0.629 and the gap to 0.166 — but 500 steps for four
# editors do not fit the 60-s budget; twice the learning rate does the same for free. With
# $6\cdot10^{-3}$ every synthetic-world margin grew on seeds 0–4, 7 and 11 (worst margins before:
# 0.073, 0.071, 2.1, 0.13, 0.10, 0.157, in the order above), seed 2718 reads 0.211 and seeds
# 31 and 42 0.690 and 0.408, all other rows passing; thresholds unchanged. The face editor
# keeps $3\cdot10^{-3}$ (`cfg.face_lr`) and 250 steps (`cfg.face_steps`), so the real-face values
# below are those of the previous rate, unchanged to the digit.
#
# **Why the synthetic editors train 350 steps (changed December 2026, after the rate).** At seed
# 8128, another uncalibrated seed, the headline "preservation: AdaTrans − InterFaceGAN" read
# 0.160 against > 0.2: AdaTrans had stopped at success 0.636 (preservation 0.877), so the
# success-matched InterFaceGAN needed only a small strength and kept 0.717. Under-training again:
# 500 steps lift AdaTrans to success 0.715 and the gap to 0.245, 350 steps to 0.743 and 0.252,
# while a higher rate does not help (10⁻²: 0.118) and neither does a cosine decay of the rate
# (0.181) or the official $T=10$ (0.132). All four editors (AdaTrans and the three ablations)
# now train 350 steps, the most the 60-s budget allows. At 8128 every row passes (− conditional
# 0.383, log p 11.2 and 1.65, − no keep loss 0.320, − single step 0.287, success 0.743), and
# seed 2718 reads 0.317, 0.199, 17.6, 0.58, 0.346, 0.212, 0.664 in the order above. On seeds
# 0–4, 7 and 11 three worst margins grew (0.105 → 0.112, 2.5 → 4.4, 0.17 → 0.26) and three
# shrank (− conditional 0.112 → 0.081, − no keep loss 0.117 → 0.101, − single step 0.239 →
# 0.201, the last two because the ablations also train longer); thresholds unchanged. ≈ 6 s
# more (editor steps measured at 19 ms at $T=5$ and 5 ms at $T=1$).
#
# **Real faces.** On the DCGAN's generated faces (64 test faces per seed, everything read by
# face-api's nets on the images), AdaTrans flipped face-api's *happy* label on 0.69–0.86 of the
# faces without any strength to tune (> 0.5 asserted, worst margin 0.19, seeds 3 and 4). Against
# InterFaceGAN at the same success on the same faces, its mean identity distance was lower on
# every seed: the gap (InterFaceGAN − AdaTrans) was +0.021, +0.017, +0.040, +0.033, +0.028 on
# seeds 0–4 and +0.039, +0.034 on seeds 7 and 11 (> 0 asserted; mean +0.030, standard deviation
# 0.009, worst margin 0.017 on seed 1; the paired standard error over the 64 faces of one seed is
# ≈ 0.010), for distances of 0.28–0.33, well below face-api's same-person threshold 0.6
# (Figure 4). AdaTrans moved the codes by ‖Δz‖ = 1.9–2.4, against matched InterFaceGAN
# strengths α = 2.2–2.7. The gender gap is not systematic at `ci` (+0.050, −0.012, −0.004,
# −0.003, −0.016; +0.011, +0.040) and stays reported.
#
# **What the identity result rests on.** With hard 0/1 keep labels instead of the official
# probabilities (the synthetic world's choice, where the classifier is sharp), the identity gap
# was +0.027, −0.010, +0.024, +0.013, +0.023, +0.012, −0.006 on the same seeds (mean +0.012,
# negative on seeds 1 and 11): BCE towards a hard label keeps pushing a kept score away from the
# boundary, so the editor made male faces more male and older ones older, an extra displacement
# that costs identity (‖Δz‖ 2.69 against 2.27 on seed 1). Other levers, measured on seeds 0
# and 1 (hard labels: +0.027, −0.010): the official $T=10$ (+0.036, −0.021; with the
# probabilities +0.032, +0.004, for twice the editor's cost); the paper's identity loss
# itself, $-\cos$ of face-api's descriptors of $G(y_0)$ and $G(y_T)$ through the generator, on
# 8 faces every 5th step at weight 0.5 or 2 (+0.036 or +0.037, −0.023 or −0.024; 11 s of CPU),
# and on 8 faces at every step at weight 1 (seed 1: identity 0.358 → 0.315, but success
# 0.72 → 0.56 and a gap of −0.031; 53 s of CPU, the whole budget): with so few face
# evaluations it slides AdaTrans along InterFaceGAN's own success–identity curve instead of
# below it. An oracle that moves each face along InterFaceGAN's normal exactly until the
# regression's *happy* logit reaches 4 gains +0.022 to +0.049 over the seven seeds — the size
# of the effect we measure: at `ci` AdaTrans's identity advantage comes from its per-face step
# lengths, not from identity-aware directions, which would need the paper's identity loss at a
# GPU's scale. Tried earlier and dropped (seeds 0 and 1, hard labels): logistic regression on
# face-api's hard labels as $C$ (+0.016, −0.010), ten times the weight of $L_{rec}$ (success
# fell to 0.50, gap 0.000), a ridge regression of the 128-D descriptor on $z$ as a
# differentiable identity loss (it predicted identity changes of ≈ 0.1 where face-api measured
# 0.35; seed 1's gap −0.027), and 256 instead of 384 labelled faces (seed 0's gap −0.010).
#
# **Deviations.** The StyleGAN2/e4e/attribute-classifier checkpoints of the paper are not
# available offline: the main experiments use the synthetic world, and the real-face section a
# 64×64 DCGAN with face-api's classifiers, with the classifier $C$ regressed on the latent code
# instead of differentiated through the generator, the exact latent density (in polar
# coordinates) instead of a RealNVP, and no identity or LPIPS loss. The
# editor is smaller (width 64, one LSTM layer, 3 blocks, $T=5$, 350 steps at lr $6\cdot10^{-3}$,
# 250 at $3\cdot10^{-3}$ on faces, instead of 10,000 at $10^{-4}$); the losses, their weights, the pseudo-labels, the unit
# direction and the sigmoid step follow the official code, except that the synthetic world
# keeps hard pseudo-labels (its classifier, $\sigma(f/0.1)$, is nearly hard anyway). InterFaceGAN's boundary is a
# logistic regression (the original uses a linear SVM).
#
# **Breaking the method.** On real faces, AdaTrans run with $T=1$, no likelihood term and no
# keep loss (seed 0): its success falls to 0.359 and the asserted success level fails
# (< 0.5); the identity gap becomes −3·10⁻⁶ and the gender gap 0.000, so the identity headline
# and the gender row fail their check — the single unconstrained step learns exactly
# InterFaceGAN's normal. With hard keep labels (the rest unchanged) the identity headline fails
# on seeds 1 and 11 (−0.010, −0.006; values above). A third break, run by the book's lead
# (seed 2): $T=1$ alone on real faces (likelihood and keep losses on): the success falls to
# 0.359 and its check fails, while the identity gap drops from about 0.03 to 0.001 — still
# above its bound of 0, by less than its paired standard error (≈ 0.01), so under this break
# the success check, not the identity headline, is what fails. In
# the synthetic world (seed 0, rerun at 350 steps), the editor called AdaTrans run with $T=1$
# and no likelihood term, the rest unchanged: its success falls to 0.416, the InterFaceGAN
# strengths are matched to it, and the headlines on the log-density against the conditional edit
# (1.15 < 2), on multi-step success (0.016 < 0.1) and on preservation against InterFaceGAN
# (0.191 < 0.2) fail; the success level (0.416 > 0.4) and the preservation headline against
# the conditional variant (0.055 > 0.05) pass, narrowly: a single adaptive step trained with the
# keep loss still preserves better than a straight line at the same low success. The editor
# called AdaTrans trained **without the keep loss** (seed 0, the rest unchanged): success 0.996,
# preservation 0.402, and both preservation headlines fail (0.167 < 0.2 against InterFaceGAN,
# 0.039 < 0.05 against the conditional variant), with the keep-loss ablation row (0.000); the
# log-density rows pass (46.0, 1.15) — the pseudo-label keep loss carries the preservation
# claims.
#
# **Not run here.** The `full` profile (official widths: 512, two LSTM layers, 10 blocks,
# $T=10$; 3,000 steps; on real faces 4,096 labelled and 1,024 test faces) is written and
# estimated at ≈ 16 min on a GPU, but was not run.
# **Cost.** The synthetic experiments take ≈ 25 s of own compute on an unloaded machine,
# mostly the four editors (measured at one thread, seeds 0–4: 24–27 s); the real-face section adds ≈ 20 s (about 1,150 generated faces read
# by the three face-api nets, ≈ 20 ms each, and one editor), measured at 26–37 s of CPU time
# on a machine loaded about 4-fold.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`huang2023adaptive` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
