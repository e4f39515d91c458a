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
# # Neural Metamorphosis
#
# This chapter reproduces {cite:t}`yang2024neural`.
#
# **What is reproduced here:** NeuMeta's *implicit neural representation* (INR) of a whole
# family of CNNs, on **real data** (the 1,797 8×8 scikit-learn digits). A LeNet-like CNN of
# width $h=8$ (channels 8, 16, 32) is trained, its channels are reordered along a *shortest
# Hamiltonian path* to make its weights smooth, and an INR that maps the coordinate of every
# weight — layer, output and input channel, and the layer sizes — to its 3×3 kernel is trained
# so that sampling it on the grid of *any* width $h\in\{2,\dots,8\}$ gives a working network
# (widths 3 and 6 are held out of training: unseen). We check that the permutation leaves the
# network's function unchanged and smooths it (the path is compared with an exact solver), that
# the smoothed weights are easier for the INR to represent, and that NeuMeta's networks at 75 %
# compression and below beat L1-norm channel pruning without fine-tuning. The paper's stronger
# claims — full-size accuracy kept down to 75 % compression, networks at unseen widths as good
# as their trained neighbours, and an accuracy gain of the permutation after task training
# above 5 points on every seed — come closer but do **not** reproduce at the `ci` scale (about
# 1,400 INR steps instead of the official 23,000, on widths four times smaller, where the
# official coordinate noise trades the trained widths' accuracy against the unseen ones'); they
# are reported, with the numbers, and asserted only at `full`.
#
# Run it: the rocket button above opens this page on Colab (choose a GPU runtime for the
# `full` profile); locally, `make book` runs every chapter at the `ci` profile.

# %%
# Setup, on Colab only: install nonlinlab with this chapter's extras from the same git ref
# as this page (or from $NONLINLAB_PIP_SOURCE). Locally, `make setup` has installed
# everything.
import os
import sys

if "google.colab" in sys.modules:
    from IPython import get_ipython

    src = os.environ.get("NONLINLAB_PIP_SOURCE", "git+https://github.com/nonlinlab/nonlinlab@main#subdirectory=lib")
    get_ipython().run_line_magic("pip", f'install -q "nonlinlab[sklearn] @ {src}"')

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import neumeta as paper

ch = nonlinlab.Chapter("neumeta", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Target family.** The official MNIST target is a LeNet-like `MnistNet` of width $h$; on 8×8
# digits we use three 3×3 convolutions with $h$, $2h$ and $4h$ channels (replicate padding, ReLU,
# 2×2 average pooling) and a linear layer $4h\to10$ — eight parameter tensors (four weights,
# four biases). The pretrained network has width $H=8$ (`ci`) or $H=32$ (`full`).
#
# **Intra-model smoothness.** Permuting the output channels of a layer, together with its
# bias and the input channels of the next layer, does not change the network's function. Among
# these $n!$ equivalent orders NeuMeta picks the one that makes the weights smooth: each channel
# $i$ is a "city" $\mathbf c_i$ (its filters, its bias and the next layer's weights that read it),
# and the order $\pi$ minimises the path length
#
# $$\min_\pi\ \sum_{i=1}^{n-1}\lVert \mathbf c_{\pi(i+1)}-\mathbf c_{\pi(i)}\rVert_1, \tag{1}$$
#
# a *shortest Hamiltonian path* (SHP). The official code solves it as a closed tour (TSP) with an
# extra "dummy" city at distance 0 from all others, cut at the dummy; we do the same with a
# nearest-neighbour + 2-opt heuristic, checked against an exact Held–Karp solver. Smoothness is
# measured by the total variation along the channel axes of every tensor,
#
# $$\mathrm{TV}(W)=\sum_{o,c}\lvert W_{o+1,c}-W_{o,c}\rvert+\lvert W_{o,c+1}-W_{o,c}\rvert,
# \tag{2}$$
#
# averaged over tensors.
#
# **The weight manifold.** Weight $(o,c)$ of tensor $l$ (of $L$, shape
# $n_\mathrm{out}\times n_\mathrm{in}\times k\times k$) has the coordinate
# $\mathbf x=[\,l/L,\ o/n_\mathrm{out},\ c/n_\mathrm{in},\ L/N,\ n_\mathrm{out}/N,\ n_\mathrm{in}/N\,]$
# ($N$ a fixed normaliser), Fourier-encoded as
# $\gamma(\mathbf x)=[\mathbf x,\sin(2^f\pi\mathbf x),\cos(2^f\pi\mathbf x)]_{f<F}$ and fed to a
# residual MLP $g_l$ — one per tensor, as in the official `NeRF_ResMLP_Compose` — whose $k^2$
# outputs, divided by $n_\mathrm{in}$, are the kernel:
#
# $$W^{(h)}_{l}[o,c]=\frac{1}{n_\mathrm{in}}\,g_l\big(\gamma(\mathbf x_{l,o,c}(h))\big). \tag{3}$$
#
# **Cross-model smoothness and training.** During training every integer entry of the
# coordinate — the indices $l, o, c$ and the sizes $L, n_\mathrm{out}, n_\mathrm{in}$, as in the
# official `sample_coordinates` + `coordinate_noise` — gets uniform noise $U(-\tfrac12,\tfrac12)$
# before normalisation, so that the INR is smooth between grid points and between network
# sizes; each batch draws a width $h$ from the training widths, generates that
# network and minimises
#
# $$\mathcal L=\mathrm{CE}\big(f(x;W^{(h)}),y\big)+\lambda_\mathrm{reg}\sum_l\lVert W^{(h)}_l\rVert_2
# +\lambda_\mathrm{rec}(t)\,[h=H]\,\frac1L\sum_l\operatorname{mean}\Big((W^{(H)}_l-W^\star_l)^2
# \frac{\lvert W^\star_l\rvert+\epsilon}{\max\lvert W^\star_l\rvert+\epsilon}\Big), \tag{4}$$
#
# where $W^\star$ is the *permuted* pretrained network and $\lambda_\mathrm{rec}(t)$ decays
# linearly to 0 over the run (official `linear_decay`). At test time the weights of $K$ samples
# (the first without noise) are averaged. **Baselines:** L1-norm channel pruning of the
# pretrained network to width $h$ without fine-tuning, networks trained individually at widths 2
# and 4 (8–32 in steps of 4 at `full`), and NeuMeta on the *unpermuted* weights.
#
# **What we changed, and why.** The official MNIST run takes 50 epochs of 469 batches; `ci` has
# 12 batches per epoch. At this budget the INR trained from scratch never left the label prior
# (all widths at 8 % accuracy in our runs), so ours (i) starts from the INR *fitted to the permuted
# pretrained weights* — the reconstruction term of Eq. 4 alone, 300 steps, with the coordinate
# noise — and (ii) clips the gradient norm at 1 (the CE of badly generated small widths is
# otherwise in the tens and wipes out the fit). Task training runs 90 epochs (1,080 steps), one
# width drawn per step as in the official loop. The INR's eight heads are stored stacked and
# every tensor of a network is generated by one batched call (coordinates cached per width),
# which makes a step about 1.5× cheaper than one call per head. Widths 3 and 6 are held out of
# training to test unseen sizes; an earlier version held out all odd widths, but with $N=32$
# and $F=6$ the highest size feature is $\cos(2^5\pi\,n/N)=(-1)^n$, and the ±½ size noise
# cannot bridge $+1$ and $-1$: odd widths then meet a feature value never seen in training.
# Everything else follows the official
# `train_mnist.py`: AdamW at $10^{-3}$, no weight decay, EMA 0.995, coordinate noise 1.0,
# $\lambda_\mathrm{reg}=10^{-4}$, $\lambda_\mathrm{rec}=1$.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nonlinlab.core import color

data = paper.load_data(cfg, seed=ch.seed, device=ch.device)
res = paper.run_experiment(data, cfg, seed=ch.seed)
oracle_ratio = paper.shp_oracle(seed=ch.seed, n_instances=12, sizes=(6, 7, 8))
pd.DataFrame(res["perm_info"], index=["conv1 (h)", "conv2 (2h)", "conv3 (4h)"]).rename(
    columns={"n": "channels", "identity": "path length, original order",
             "shp": "path length, SHP order"}).style.format(precision=1)

# %% [markdown]
# ## Experiments
#
# **Smoothing permutation.** The table above gives, per coupled channel group, the L1 path length
# of Eq. 1 in the trained order and along our SHP. The figure shows the centre taps of the conv3
# kernels before and after.

# %%
W0, W1 = res["pretrained"][4][:, :, 1, 1], res["permuted"][4][:, :, 1, 1]
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2))
lim = float(W0.abs().max())
for ax, W, title in zip(axes, (W0, W1), ("trained order", "after the SHP permutation"),
                        strict=True):
    im = ax.imshow(W.cpu().numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    ax.grid(False)
    ax.set(title=title, xlabel="input channel $c$ (conv2 output)",
           ylabel="output channel $o$")
fig.colorbar(im, ax=axes, label="weight (centre tap)", shrink=0.8)
plt.show()
print(f"network TV (Eq. 2, mean over tensors): {res['tv_before']:.1f} before, "
      f"{res['tv_after']:.1f} after (ratio {res['tv_after'] / res['tv_before']:.2f})")

# %% [markdown]
# **Figure 1.** Centre taps of the conv3 kernels ($4h\times2h=32\times16$) of the pretrained
# network in its trained order (left) and after permuting every layer's channels along the
# shortest Hamiltonian path (right); the network computes the same function. Neighbouring rows
# and columns become more alike (mirrors the paper's illustration of weights before and after
# the permutation).
#
# **Representing one network.** Before any task training, the INR is fitted to the pretrained
# network alone (Eq. 4's reconstruction term, with the official coordinate noise), once to the
# permuted and once to the original weights, with the same steps and seed.

# %%
fits = {"permuted (SHP)": res["fit_perm"], "trained order": res["fit_noperm"]}
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
for ax, key, lab in zip(axes, ("recon", "acc"),
                        ("weighted reconstruction loss (Eq. 4)", "test accuracy of the fit"),
                        strict=True):
    ax.bar(list(fits), [f[key] for f in fits.values()], color=[color(0), color(1)])
    ax.set(ylabel=lab)
axes[1].axhline(res["acc_pre"], color="k", ls="--", lw=1, label="pretrained network")
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** The INR after the same number of reconstruction steps on the permuted weights
# (blue) and on the same network in its trained order (orange): reconstruction loss (left) and
# test accuracy of the $K$-sample-averaged network it generates at full width (right; dashed:
# the pretrained network). Smooth weights are easier to represent (mirrors the paper's ablation
# of the permutation; no counterpart as a figure).
#
# **A family of networks.** NeuMeta is then trained on the whole family (every width from 2 to 8
# except 3 and 6) and sampled at every width from 2 to 8; the same training on the unpermuted weights is the ablation.

# %%
W = cfg.eval_widths
rows = {"NeuMeta": res["neumeta"], "NeuMeta, no permutation": res["no_perm"],
        "L1 pruning, no fine-tuning": res["l1"], "trained individually": res["individual"]}
if res["no_noise"] is not None:
    rows["NeuMeta, no coordinate noise"] = res["no_noise"]
table = pd.DataFrame({k: {h: 100 * v[h] for h in W if h in v} for k, v in rows.items()}).T
table.columns = [f"h={h}" + ("" if h in cfg.train_widths else " (unseen)") for h in W]
table.style.format(precision=1, na_rep="—")

# %% [markdown]
# **Against pruning, over pretrained networks.** The pruning baseline depends on the one
# pretrained network it prunes, so the comparison with pruning is repeated on
# `cfg.pruning_nets` independently pretrained networks (seeds `seed + 7919·k`), each permuted,
# fitted and NeuMeta-trained as above; the table and figure show the first, the claims the mean
# gap over all of them.

# %%
pd.DataFrame({f"net {k} (seed {r['seed']})": {
    "pretrained (%)": 100 * r["acc_pre"],
    **{f"NeuMeta − L1 at h={h} (points)": 100 * (r["neumeta"][h] - r["l1"][h])
       for h in (cfg.min_width, cfg.full_width // 2)}}
    for k, r in enumerate(res["pruning_nets"])}).T.round(1)

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.8))
seen = np.array([h in cfg.train_widths for h in W])
for j, (name, acc) in enumerate(rows.items()):
    hs = [h for h in W if h in acc]
    ys = [100 * acc[h] for h in hs]
    ax.plot(hs, ys, "-", color=color(j), label=name, lw=1.2)
    if name.startswith("NeuMeta"):
        ax.scatter([h for h, s in zip(W, seen, strict=True) if s],
                   [100 * acc[h] for h, s in zip(W, seen, strict=True) if s], color=color(j))
        ax.scatter([h for h, s in zip(W, seen, strict=True) if not s],
                   [100 * acc[h] for h, s in zip(W, seen, strict=True) if not s],
                   facecolors="white", edgecolors=color(j))
    else:
        ax.scatter(hs, ys, color=color(j), marker="s", s=14)
ax.axhline(100 * res["acc_pre"], color="k", ls="--", lw=1, label=f"pretrained, $h={cfg.full_width}$")
ax.set(xlabel="width $h$ (channels $h, 2h, 4h$)", ylabel="test accuracy (%)", ylim=(0, 100),
       xticks=list(W))
ax.legend(fontsize=7, loc="lower right")
plt.show()

# %% [markdown]
# **Figure 3.** Test accuracy of the networks sampled from one INR at every width (filled: trained
# widths; hollow: unseen widths), of the same INR trained on unpermuted weights, of L1-norm
# pruning of the pretrained network without fine-tuning and of networks trained individually at
# widths 2 and 4 (mirrors the paper's MNIST comparison of accuracy against compression ratio with
# pruning baselines).

# %%
ws4 = res["model"].sample(cfg.full_width // 2, 1, 0.0)[0]
ws8 = res["model"].sample(cfg.full_width, 1, 0.0)[0]
fig, axes = plt.subplots(1, 2, figsize=(9, 2.6))
for ax, w in zip(axes, (ws4, ws8), strict=True):
    k = w.shape[0]
    img = np.full((3, 4 * k - 1), np.nan)
    for o in range(k):
        img[:, 4 * o:4 * o + 3] = w[o, 0].cpu().numpy()
    lim = float(np.nanmax(np.abs(img)))
    ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    ax.grid(False)
    ax.set(title=f"conv1 kernels sampled at $h={k}$", xticks=[4 * o + 1 for o in range(k)],
           xticklabels=range(k), yticks=[], xlabel="output channel $o$")
plt.show()

# %% [markdown]
# **Figure 4.** The 3×3 conv1 kernels that the trained INR generates for a width-4 and a
# width-8 network: the same continuous function of $o/n_\mathrm{out}$ sampled on two grids,
# each kernel scaled by Eq. 3 (mirrors the paper's opening figure: one weight manifold, many
# network sizes).

# %% [markdown]
# ## Reproduction check
#
# Thresholds were set on seeds 0–4, 7 and 11 at the `ci` profile (values in the discussion).
# The headline claims asserted at `ci` are the permutation's smoothing, the easier
# representation of smooth weights and NeuMeta's advantage over pruning without fine-tuning at
# 75 % compression ($h=4$) and at the strongest compression ($h=2$, one sixteenth of the conv
# parameters); the paper's full-size accuracy at 75 % compression, its unseen widths and the
# accuracy gain of the permutation after task training are asserted only at `full`.

# %%
acc, l1, nop = res["neumeta"], res["l1"], res["no_perm"]
hmin, H = cfg.min_width, cfg.full_width
h75 = H // 2  # half the width: 75 % fewer conv parameters
tw = cfg.train_widths
mean_tw = np.mean([acc[h] for h in tw])
mean_nop = np.mean([nop[h] for h in tw])
gaps = paper.unseen_gap(acc, cfg)
ch.claims.less("network TV after / before the SHP permutation (Eq. 2)",
               res["tv_after"] / res["tv_before"], 0.85, kind="headline",
               paper="the SHP permutation lowers total variation",
               note=f"TV {res['tv_before']:.1f} → {res['tv_after']:.1f}")
ch.claims.less("INR reconstruction loss: permuted / trained order (same steps)",
               res["fit_perm"]["recon"] / res["fit_noperm"]["recon"], 0.9, kind="headline",
               paper="performance closely relates to the smoothness of the manifold",
               note=f"accuracy of the fit {res['fit_perm']['acc']:.3f} vs "
                    f"{res['fit_noperm']['acc']:.3f}")
gap_min, gaps_min = paper.pruning_gap(res, hmin)
gap_75, gaps_75 = paper.pruning_gap(res, h75)
ch.claims.greater(f"accuracy at h={hmin}: NeuMeta − L1 pruning without fine-tuning",
                  gap_min, 0.1, kind="headline",
                  paper="NeuMeta beats pruning without fine-tuning at high compression",
                  note=f"mean over {len(gaps_min)} pretrained nets: "
                       + ", ".join(f"{g:.3f}" for g in gaps_min)
                       + f"; first net: NeuMeta {acc[hmin]:.3f}, L1 {l1[hmin]:.3f}")
ch.claims.greater("mean accuracy over trained widths: NeuMeta − no permutation",
                  mean_tw - mean_nop, 0.05, kind="headline", asserted_at=("full",),
                  paper="ablation: accuracy drops without the permutation",
                  note=f"NeuMeta {mean_tw:.3f}, no permutation {mean_nop:.3f}")
ch.claims.greater(f"accuracy at h={h75} (75 % compression): NeuMeta − pretrained at h={H}",
                  acc[h75] - res["acc_pre"], -0.03, kind="headline", asserted_at=("full",),
                  paper="full-size accuracy kept down to 75 % compression",
                  note=f"NeuMeta {acc[h75]:.3f}, pretrained {res['acc_pre']:.3f}")
ch.claims.greater(f"accuracy at h={h75}: NeuMeta − L1 pruning without fine-tuning",
                  gap_75, 0.1, kind="headline",
                  paper="NeuMeta beats pruning at 75 % compression",
                  note=f"mean over {len(gaps_75)} pretrained nets: "
                       + ", ".join(f"{g:.3f}" for g in gaps_75)
                       + f"; first net: L1 {l1[h75]:.3f}")
ch.claims.greater("unseen widths: worst accuracy − mean of the trained neighbours",
                  min(gaps.values()), -0.05, kind="headline", asserted_at=("full",),
                  paper="networks of unseen sizes work without retraining",
                  note=", ".join(f"h={h}: {g:+.3f}" for h, g in gaps.items()))
ch.claims.greater(f"accuracy at h={H}: NeuMeta − pretrained", acc[H] - res["acc_pre"], -0.03,
                  asserted_at=("full",), paper="the INR keeps the full-size accuracy",
                  note=f"NeuMeta {acc[H]:.3f}")
nn_gap = (None if res["no_noise"] is None
          else mean_tw - np.mean([res["no_noise"][h] for h in tw]))
ch.claims.greater("mean accuracy over trained widths: NeuMeta − no coordinate noise", nn_gap,
                  0.0, asserted_at=("full",), paper="ablation: accuracy drops without coordinate noise",
                  note="ablation trained only at full")
ch.claims.less("permutation leaves the logits unchanged (max abs error)", res["invariance_err"],
               1e-4, kind="sanity", paper="channel permutations are function-preserving")
ch.claims.holds("SHP path ≤ path in the trained order, every channel group",
                all(i["shp"] <= i["identity"] + 1e-9 for i in res["perm_info"]),
                ours="yes" if all(i["shp"] <= i["identity"] + 1e-9 for i in res["perm_info"])
                else "no", kind="sanity")
ch.claims.less("SHP heuristic / exact Held–Karp optimum, worst of 12 random instances",
               oracle_ratio, 1.05, kind="sanity", paper="official solver: fast_tsp (heuristic)")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The two smoothness mechanisms behave as the paper says. The SHP permutation
# leaves the network's logits unchanged to < 1e-5 (float32) and lowers the total variation of
# Eq. 2 by 20–28 %; our 2-opt solver is within 0.3 % of the exact Held–Karp optimum on random
# instances (the unit tests also check Held–Karp against brute force). Smooth weights are easier
# to represent — the paper's observation that performance follows the smoothness of the
# manifold: after the same 300 reconstruction steps with the official coordinate noise, the INR's
# weighted reconstruction loss on the permuted network is 0.55–0.77 of that on the same network
# in its trained order. After task training, the networks sampled from one INR beat L1-norm
# channel pruning without fine-tuning at 75 % compression ($h=4$: 0.80–0.86 against 0.24–0.61
# on the first pretrained network) and at the strongest compression ($h=2$, 1/16 of the conv
# parameters: 0.43–0.71 against 0.12–0.28); averaged over two independently pretrained networks
# the gap is 0.23–0.49 at $h=4$ and 0.20–0.39 at $h=2$. The same training on unpermuted weights is worse on all seven calibration seeds,
# by 4.4 to 13.4 points averaged over the trained widths (5.3–11.9 at four further seeds) —
# the direction the paper's ablation reports, but not by the 5 points we ask for on every seed
# (seed 11: 4.4), so it stays reported (before this version: −1.1 to +27.8 points). Why not ask
# for the direction alone, a gain above 0, which every seed we ran meets? Because that check
# does not fail when the method is broken: with the shortest-path order replaced by a *random*
# channel order (the lead's sabotage, seed 3, a notebook rerun) "NeuMeta − no permutation"
# still reads +0.017 — two unsmooth orders differ by a few points of training noise — while
# the TV and reconstruction headlines fail as they should (0.997 and 1.10). A 5-point margin
# separates the smoothing's gain (4.4–13.4) from that noise (+1.7) on all seeds but one.
# Averaging two task trainings per arm (training seed + 7919, the same INR fits; +10 s) did not
# rescue it: the second pair's gain read −0.014 to +0.216 over seeds 0–4, 7, 11, and the
# two-pair means 0.175, 0.110, 0.091, 0.041, 0.037, 0.160, 0.084 fail 0.05 on seeds 3 and 4.
# One pair's gain varies by about 0.06 between training seeds, so a reliable 0.05 needs about
# four pairs per arm, beyond the budget. (Under the random-order sabotage the two-pair mean
# read −0.011 at seed 3.)
#
# **What did not match, and why.** At $h=4$ NeuMeta reaches 0.80–0.86 against the pretrained
# 0.91–0.96 (NeuMeta − pretrained −0.083 to −0.156), and even at the full width $h=8$ only
# 0.81–0.91 (−0.03 to −0.10): the paper's "full-size accuracy kept down to 75 % compression" is
# not reached. The worst of the held-out widths 3 and 6 is 3.5–7.8 points below the mean of its
# trained neighbours (mostly $h=6$; $h=3$ is above its neighbours' mean on four seeds), short of
# the −0.05 the claim needs on four of seven seeds. Both are reported and asserted only at
# `full`. Earlier versions of this page blamed the number of steps (the official MNIST run
# makes 50 × 469 ≈ 23,000 INR updates; `ci` makes 300 reconstruction and 90 × 12 = 1,080 task
# steps). This version made a step about 1.5× cheaper (one batched INR call for all eight heads
# instead of one call per head: 10 instead of 15 ms per step, 6.5 instead of 8 ms per fit step)
# and tried to spend the savings, but more steps did not buy accuracy: seed 2 with only even
# widths trained (the previous design), 150 instead of 90 epochs gave a permutation gain of
# −0.050 (90 epochs: −0.011) and 0.84 at $h=4$; taking, at every step, the expectation of the
# official loss over the training widths (all five generated by one INR call, the mean of
# their losses; `all_widths=True`) at 45 epochs — 49–55 s of own compute — moved seed 11's
# permutation gain from 0.044 to 0.077 but seed 4's from 0.057 to 0.049, and left $h=4$
# (−0.106, −0.086) and the unseen widths (−0.044, −0.061) where they were. The larger cause at
# `ci` is the coordinate noise (sabotage 3 below): without it the trained widths reach 0.94 at
# $h=4$, but the unseen ones collapse. Holding out widths 3 and 6 instead of all odd widths
# (the previous design) moved the worst unseen gap from −0.022 … −0.132 to −0.035 … −0.078 (the
# odd widths had met an out-of-range size feature, see the Method), and the permutation gain,
# now averaged over five trained widths, from −0.011 … 0.278 to 0.044 … 0.134. What earlier
# versions tried, seed 0: a learning rate of $3\cdot10^{-3}$ (without
# the size noise: all widths 35–43 %), no gradient clipping (30–61 %), a reconstruction weight
# of 10 (0.69 at $h=4$), $F=4$ (0.56 at $h=4$); trained from scratch with the official loop
# (40–120 epochs, learning rate $10^{-3}$/$3\cdot10^{-3}$, noise 0/1, with and without EMA), the
# INR stayed at 8–55 % at all widths (with the official initialisation it collapsed to the label
# prior); warm-starting from a noise-free fit of 400–600 steps gave 0.89–0.94 at $h=8$ but
# ≈ 10–23 % at every other width, and the first epochs of task training then destroyed it until
# we clipped the gradient norm.
#
# **Values over seeds 0–4, 7 and 11 (`ci`) against the thresholds.** TV ratio 0.721–0.801
# (< 0.85, worst margin 0.049, seed 2); reconstruction-loss ratio 0.597, 0.630, 0.608, 0.614,
# 0.765, 0.545, 0.704 (< 0.9, worst margin 0.135, seed 4); NeuMeta − L1 at $h=2$, mean over the
# two pretrained networks, 0.360, 0.200, 0.347, 0.344, 0.281, 0.307, 0.389 (> 0.1, worst margin
# 0.100, seed 1); NeuMeta − L1 at $h=4$ 0.307, 0.442, 0.297, 0.326, 0.428, 0.485, 0.228 (> 0.1,
# worst margin 0.128, seed 11).
#
# **Two pretrained networks against pruning (December 2026).** Until then the comparison with
# pruning used the one pretrained network of the page (the first network: $h=2$ 0.217, 0.153,
# 0.278, 0.503, 0.569, 0.383, 0.400 and $h=4$ 0.206, 0.436, 0.231, 0.453, 0.514, 0.600, 0.333 on
# the seeds above). At seed 2077, a seed we had not calibrated on, the $h=4$ headline read 0.083
# against > 0.1: NeuMeta was ordinary (0.819), but that network pruned to $h=4$ still reached
# 0.736, where pruning reached 0.17–0.70 on 21 other uncalibrated seeds. The pruning baseline is a
# deterministic function of the one network it prunes, so one network is one draw of it. Each
# seed now also pretrains a second network (seed + 7919), permutes it, fits the INR to it and
# trains NeuMeta from that fit, exactly as for the first, and the two pruning headlines are the
# mean gap over both networks (the table above the figure gives each). Over the 16 networks of
# seeds 0–4, 7, 11 and 2077 a single network's gap ranged from −0.008 to 0.569 at $h=2$ and
# from 0.083 to 0.600 at $h=4$; the two-network means read 0.200–0.389 and 0.228–0.485, and
# 0.321 and 0.254 at seed 2077. Cost: about +13 s (the estimate goes from 32 to 48 s of 60).
# Every other claim still uses the first network, unchanged.
# Reported: NeuMeta − no permutation 0.134, 0.097, 0.112, 0.097, 0.057, 0.113, 0.044 (> 0.05
# fails on seed 11; the lead's seeds 5, 6, 8, 9: 0.053, 0.119, 0.103, 0.102); NeuMeta −
# pretrained at $h=4$ −0.156, −0.111, −0.103, −0.083, −0.094, −0.108, −0.111 (> −0.03 fails on
# all); worst unseen gap −0.078, −0.054, −0.056, −0.049, −0.035, −0.058, −0.049 (> −0.05 fails
# on four). The lead's seeds 5, 6, 8 and 9 pass every asserted claim.
#
# **Where the chapter deviates, and why.** 8×8 scikit-learn digits instead of 28×28 MNIST; the
# LeNet-like target keeps the official layout (three convolutions $h$, $2h$, $4h$, replicate
# padding, average pooling) with 3×3 kernels throughout; widths 2–8 instead of 8–32 (the same
# 1 : 4 range) with widths 3 and 6 held out of training (the official run trains every integer
# width; `full` holds out 12, 19 and 26 of 8–32); a small INR (hidden 64, 3 residual blocks,
# $F=6$; official 256, 4, 16). Three changes of ours, all explained by the step budget: the INR
# starts from the reconstruction fit, the gradient norm is clipped at 1, and each tensor's
# reconstruction loss is divided by its mean squared target. Two details of the official code
# we do not copy: its noisy layer index also picks the head (truncated to an integer, so part of
# a layer's coordinates go to the previous layer's head; we keep one head per tensor and only
# its input $l/L$ is noisy), and 1-D and 2-D tensors take the INR's first output where we take
# the centre of the 3×3 output. The official loop also trains on a random subset of the
# coordinates (`sample_subset`, `ratio`); we generate every weight. The paper's tables
# (CIFAR-10/100 ResNets, ImageNet, segmentation, VAEs) are out of scope.
#
# **Breaking the method.** Three sabotages, each run through the experiment functions of this
# page (seed 0; the notebook calls exactly these; (1) and (2) rerun as whole notebooks in
# December 2026 with the two pretrained networks): (1) no permutation (the SHP order replaced by
# the trained order) — the TV headline fails (ratio 1.000 ≥ 0.85), so does the reconstruction
# headline (1.000 ≥ 0.9); the reported permutation ablation reads 0.000 (< 0.05, it fails).
# With one network NeuMeta − L1 at $h=4$ failed too (0.069: NeuMeta at $h=4$ fell from 0.80 to
# 0.67); averaged over the two networks it passes (0.221; the second network's gap 0.372 against
# 0.408 with the permutation), as does $h=2$ (0.299): the pruning headlines measure NeuMeta
# against pruning, and the permutation's effect on them is within one network's spread; the
# permutation is caught by its own two headlines. (2) one width only (the INR trained at the full
# width alone) — both pruning headlines fail ($h=2$: 0.043, per network −0.014 and 0.100; $h=4$:
# 0.050, per network −0.147 and 0.247; ≤ 0.1), although the full-width network then reaches
# 0.97. (3) no coordinate noise (training, fit and sampling) — the
# reported unseen-width gap collapses to −0.479 (−0.221 with noise 0.25, −0.094 with 0.5,
# −0.078 with the official 1.0), and the reconstruction headline fails (0.995 ≥ 0.9: without
# noise the permuted and the original weights are fitted equally well); but the trained widths
# gain: $h=4$ reaches 0.94 (NeuMeta − pretrained −0.019, which would pass the reported $h=4$
# claim; −0.019 at noise 0.25, −0.028 at 0.5, −0.156 at 1.0). At `ci`, with widths four times
# smaller than the official 8–32, a noise of ±½ channel index is a quarter of conv1's range at
# $h=2$: the cross-model smoothness that unseen widths need is paid for with the accuracy of
# the trained ones, and no noise level we ran passes both claims on seed 0. It is the noise in
# training, not the averaging of $K$ noisy samples: the seed-0 INR sampled once without noise
# ($K=1$) gives 0.81 at $h=4$ ($K=10$: 0.80, $K=30$: 0.82). We keep the official 1.0.
#
# **Not run here.** The `full` profile (pretrained width 32, widths 8–32 with 12, 19 and 26 held
# out, INR hidden 128 with 4 blocks and $F=16$, 2,000 reconstruction steps, 100 epochs, $K=50$,
# plus the no-noise ablation) is written but was not run while writing this chapter; its claims
# are the ones marked *asserted only at full*.
#
# **Cost.** Estimate on paper `paper.estimate_seconds(cfg)`: 32 s at `ci`; the experiment
# measured 33–40 s of CPU time (seeds 0–4, 7, 11, with the 2-core machine shared at load 4–5;
# the previous design: 43 s at load ≈ 1), more than half of it in the two INR trainings; the
# whole page at seed 0, 40 s of CPU time (73 s wall at load ≈ 4). The
# individually trained baselines at `ci` are widths 2 and 4 only (the width-8 one duplicates the
# pretrained network) and the EMA update is one fused call over all tensors.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`yang2024neural` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
