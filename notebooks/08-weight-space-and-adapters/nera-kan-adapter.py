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
# # Dressing the Imagination: A Dataset for AI-Powered Translation of Text into Fashion Outfits and A Novel KAN Adapter for Enhanced Feature Adaptation
#
# This chapter reproduces {cite:t}`deshmukh2026dressing`.
#
# **What is reproduced here:** the paper's adapter, NeRA — a low-rank correction of a frozen
# linear layer built from learnable piecewise-linear functions of each input coordinate
# (Kolmogorov–Arnold style), implemented as in the official code — against LoRA at equal
# trainable-parameter count, on a teacher–student adaptation task with planted truth: a frozen
# random layer must learn a rank-4 shift that is either *nonlinear and additive* in the input
# coordinates (where NeRA should win) or *linear* (a control, where LoRA should win); and the
# paper's use case at CPU scale, *generative fine-tuning*: a class-conditional flow-matching
# generator pre-trained on real handwritten digits (scikit-learn's 8×8 digits) is adapted to a
# new "outline" style of the digits with NeRA or LoRA adapters of equal parameter count on its
# frozen linear layers, scored by a Fréchet distance in the features of a small classifier and
# by the held-out flow-matching loss; and a second adaptation of a digit generator in which a
# *prompt* (a scalar "ink level" input of the frozen generator) gets a new, nonlinear meaning,
# scored by the held-out loss and by how well samples follow the prompt. The paper's own
# evaluation (FID/CLIP-style scores of FLUX.1-dev fine-tuned on its FLORA fashion sketches)
# needs hub-only weights and data. On the planted task and on the new prompt meaning NeRA wins
# as claimed; on the outline style it does **not**: LoRA adapts better at equal parameters,
# and the page reports that claim rather than asserting it.
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
from nonlinlab.papers import nera_kan_adapter as paper

ch = nonlinlab.Chapter("nera-kan-adapter", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **LoRA.** A frozen linear layer $y=W_0x+b_0$ ($W_0\in\mathbb R^{d_{out}\times d_{in}}$) is
# adapted by a rank-$r_L$ *linear* correction (LoRA, {cite:t}`hu2022lora`),
#
# $$y = W_0x + b_0 + \tfrac{\alpha_L}{r_L}\,BAx,\qquad A\in\mathbb R^{r_L\times d_{in}},\;
# B\in\mathbb R^{d_{out}\times r_L},\; B=0 \text{ at init}.$$
#
# **NeRA** (the paper's adapter, official `kan.py`) replaces the linear down-projection $Ax$ by
# $r$ sums of learnable univariate functions of the input coordinates. With knots
# $t_{dk}$ ($K$ per coordinate, initialised equally spaced on $[-3,3]$), input scales $s_d$
# (init 1), coefficients $c_{dkj}$ (init $\mathcal N(0,10^{-6})$), a read-out
# $R\in\mathbb R^{d_{out}\times r}$ and a scalar $\alpha$, all trainable:
#
# $$u_{dk}=s_dx_d-t_{dk},\qquad \phi(u)=\max(0,1-\lvert u\rvert),\qquad
# z_j(x)=\sum_{d=1}^{d_{in}}\sum_{k=1}^{K}\phi(u_{dk})\,c_{dkj},\qquad
# y=W_0x+b_0+\alpha\,R\,z(x). \tag{1}$$
#
# Each $z_j$ is an *additive* function $\sum_d g_{dj}(x_d)$ of piecewise-linear pieces, so the
# correction $\alpha Rz(x)$ is a rank-$r$ map of additive nonlinear features. The paper
# describes NeRA as a "spline-based KAN"; the official code uses the triangular hat $\phi$
# (a linear B-spline of fixed half-width 1, on knots $6/7$ apart, so neighbouring hats overlap
# more than in a standard linear B-spline basis) with learnable knot positions, and we follow
# the code. A coordinate outside $[\min_k t_{dk}-1,\max_k t_{dk}+1]/s_d$ contributes nothing.
# NeRA has $d_{in}Kr+d_{in}K+d_{in}+rd_{out}+1$ trainable parameters per layer, about $K$ times
# LoRA's $r_L(d_{in}+d_{out})$ at equal rank, so the fair comparison is at **equal parameter
# count**, $r_L=\mathrm{round}\big(P_{\rm NeRA}/(d_{in}+d_{out})\big)$ (here $r=4$, $K=8$,
# $d=32$: 1,441 parameters, LoRA rank 23). Code: `paper.NeRALinear`; LoRA is the book's shared
# `LoRALinear`.
#
# **Teacher–student adaptation.** A frozen random layer $W_0$ ($d=32$) and two planted shifts:
#
# $$\text{nonlinear: } y=W_0x+b_0+U h(x),\quad h_j(x)=\sum_d a_{jd}f_{jd}(x_d),\;
# f_{jd}\in\{\sin 2x,\tanh 3x,x^2-1,\lvert x\rvert\};\qquad
# \text{linear control: } y=W_0x+b_0+UVx, \tag{2}$$
#
# with $U\in\mathbb R^{d\times4}$, $x\sim\mathcal N(0,I)$. Every student is trained full batch
# with Adam on the mean squared error, same steps and learning rate (`paper.train_student`).
# We report the test MSE divided by the variance of the planted shift (*relative MSE*: 1 = no
# better than predicting the mean shift per output; the linear students have no bias and the
# $x^2-1$ and $\lvert x\rvert$ terms have a mean, so they can sit above 1). Students: **NeRA** ($r=4$, $K=8$,
# $\alpha$ init 1); **LoRA** at equal parameters ($r_L=23$) and at equal rank ($r_L=4$);
# a **dense $\Delta W$** (full fine-tuning of the layer); and the ablation **NeRA with an
# identity basis**, $\phi(u)=u$, which makes Eq. (1) affine in $x$. Two least-squares oracles
# bound what is reachable: the best linear correction $\Delta W x$ (the floor of every linear
# adapter) and the best NeRA with knots frozen at their initial grid and full rank.
#
# The official defaults are $r=16$, $K=8$, $\alpha=10^{-3}$ (the FLUX config: $r=64$,
# $\alpha=64$, AdamW at lr $10^{-5}$ for 20 epochs). We keep $K=8$ and the initialisation,
# take $r=4$ (the teacher's rank) and $\alpha=1$, and train every student with Adam at lr
# $10^{-2}$ so that 300 full-batch steps converge.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from nonlinlab.core import color

gap = paper.init_gap(cfg, ch.seed)
out = paper.run_experiment(cfg, seed=ch.seed, device=ch.device)
nl, li = out["nonlinear"], out["linear"]
r_eq = paper.lora_equal_rank(cfg.d, cfg.d, cfg.r, cfg.knots)
pd.Series({"NeRA": gap["NeRA"], "LoRA (equal params)": gap["LoRA (equal params)"]},
          name="‖adapter(x) − base(x)‖ / ‖base(x)‖ at init").to_frame().map(lambda v: f"{v:.1e}")

# %% [markdown]
# At initialisation NeRA's coefficients are $10^{-3}$-small, so the adapted layer starts close
# to the frozen one (above); LoRA starts exactly at it ($B=0$).
#
# ## Experiments
#
# The table gives the relative test MSE of every student on both tasks, with its trainable
# parameters and the least-squares oracles. The paper reports its adapter comparison as
# image-quality and alignment scores on FLORA and LAION-5B (its tables); there is no paper
# number for this task.

# %%
names = ["frozen base", "LoRA (equal rank)", "LoRA (equal params)", "dense ΔW",
         "NeRA, identity basis", "NeRA"]
rows = {n: {"trainable params": nl["students"][n]["params"],
            "nonlinear shift: rel. test MSE": nl["students"][n]["final"],
            "linear control: rel. test MSE": li["students"][n]["final"]} for n in names}
rows["oracle: best linear ΔW (lstsq)"] = {
    "trainable params": cfg.d * cfg.d, "nonlinear shift: rel. test MSE": nl["linear_oracle"],
    "linear control: rel. test MSE": li["linear_oracle"]}
rows["oracle: NeRA, knots frozen, full rank (lstsq)"] = {
    "trainable params": cfg.d * (cfg.d * cfg.knots + 1),
    "nonlinear shift: rel. test MSE": nl["frozen_knot_oracle"],
    "linear control: rel. test MSE": li["frozen_knot_oracle"]}
table = pd.DataFrame(rows).T
table.style.format({"trainable params": "{:,.0f}", "nonlinear shift: rel. test MSE": "{:.2e}",
                    "linear control: rel. test MSE": "{:.2e}"})

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for ax, (task, res) in zip(axes, [("nonlinear shift", nl), ("linear control", li)], strict=True):
    for j, n in enumerate(names[1:]):
        s = res["students"][n]
        ax.semilogy(s["steps"], np.maximum(s["curve"], 1e-8), color=color(j), label=n,
                    ls="--" if "identity" in n or "rank" in n else "-")
    ax.axhline(res["linear_oracle"] if res["linear_oracle"] > 1e-8 else 1e-8, color="0.4",
               lw=0.8, ls=":", label="best linear ΔW (lstsq)")
    ax.set(xlabel="Adam step (full batch)", ylabel="relative test MSE", title=task)
axes[0].legend(fontsize=7, loc="lower left")
plt.show()

# %% [markdown]
# **Figure 1.** Relative test MSE during training on the nonlinear shift (left) and on the
# linear control (right), for NeRA, LoRA at equal rank and at equal parameters, a dense
# $\Delta W$ and NeRA with an identity basis; dotted: the best linear correction (least
# squares). Mirrors the paper's convergence comparison of NeRA and LoRA (its training-loss
# curves on FLORA), on planted data. On the nonlinear shift every linear student stalls at the
# linear floor while NeRA keeps going down; on the linear control LoRA reaches float32
# precision (values below $10^{-8}$ are drawn at $10^{-8}$) and NeRA stops at its
# piecewise-linear approximation error.

# %%
nera = nl["students"]["NeRA"]["model"]
task = nl["task"]
grid = torch.linspace(-3, 3, 121)
imp = (task.A.abs() * task.U.norm(dim=0)[:, None]).sum(0)  # how much each coordinate matters
coords = torch.argsort(imp, descending=True)[:3].tolist()
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
for ax, d in zip(axes, coords, strict=True):
    ours, teacher = paper.learned_functions(nera, task, d, grid)
    o = int(teacher.var(0).argmax())
    fs = ", ".join(sorted({paper.UNIVARIATES[int(i)] for i in task.which[:, d]}))
    ax.plot(grid, teacher[:, o], color=color(0), lw=2.5, alpha=0.6, label="teacher")
    ax.plot(grid, ours[:, o], color=color(1), lw=1.2, label="NeRA (learned)")
    ax.set(xlabel=f"input coordinate $x_{{{d}}}$", ylabel=f"contribution to output {o}",
           title=f"$f$ in {{{fs}}}")
axes[0].legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 2.** What NeRA learned: the contribution of one input coordinate alone to one output
# of the corrected layer, $\alpha R\,z(x_d e_d)-\alpha R\,z(0)$, against the teacher's
# $U h(x_d e_d)-Uh(0)$, for the three most important coordinates (the output with the largest
# teacher variance; titles: the univariate functions that coordinate feeds). Mirrors the
# interpretability argument for KAN-style adapters (no figure of this kind in the paper): the
# learned piecewise-linear functions track the planted ones inside the data range and saturate
# outside the knot support.

# %% [markdown]
# ### Generative fine-tuning: a digit generator adapted to a new style
#
# The paper's use of NeRA is to fine-tune a pre-trained text-to-image generator (FLUX.1-dev)
# to a new domain, fashion sketches. A stand-in of that setting on real data, at CPU scale: a
# class-conditional **flow-matching** generator of scikit-learn's 8×8 digits (pixels scaled
# to $[-1,1]$), with the book's shared loss and sampler (`nonlinlab.models.flows`),
#
# $$x_t=t\,x_1+(1-t)\,x_0,\qquad \mathcal L(v)=
# \mathbb E_{t\sim U[0,1],\,x_0\sim\mathcal N(0,I),\,(x_1,c)}
# \big\Vert (x_1-x_0)-v(x_t,t,c)\big\Vert^2, \tag{3}$$
#
# where $v$ is an MLP on $[x_t,t,\mathrm{onehot}(c)]$ with three SiLU hidden layers (width
# 128 at `ci`). It is pre-trained on a random half of the digits, then frozen. The **new
# domain** is an *outline* rendering of the other half: each pixel's ink level $p=(x+1)/2$
# becomes $\sin(\pi p)$, so background and full ink both go to $p=0$ (no ink) and the
# half-inked stroke edges to full ink — a per-pixel, non-monotone change of style. Every one
# of the generator's four linear layers is wrapped in NeRA ($r=4$, $K=8$, Eq. 1) or in LoRA
# with the same number of trainable parameters per layer (ranks 18, 23, 23 and 29) (and, at
# the `full` profile, in NeRA with the identity basis); only the adapters train, on Eq. (3)
# with the outline digits, with Adam at one learning rate for all. Two scores, both on digits no adapter saw (the
# first half, restyled): the **Fréchet distance** between generated samples (20 Euler steps,
# same noise and labels for every model) and the held-out outline digits in the 64-D feature
# space of a small classifier trained on the outline digits — an offline analogue of FID,
# whose Inception network is not available offline — and the **held-out flow-matching loss**
# (Eq. 3 at fixed noise and times).

# %%
from nonlinlab.core import progress
from nonlinlab.data.digits import load_digits

digits = load_digits()
gen = paper.generative_experiment(paper.digits_to_unit(digits.x),
                                  torch.as_tensor(digits.labels), cfg, seed=ch.seed,
                                  device=ch.device, progress=progress)
G = gen["results"]
gen_rows = {k: {"trainable params": v["params"], "Fréchet distance (classifier features)":
                v["fd"], "held-out flow-matching loss": v["val_loss"]} for k, v in G.items()}
gen_rows["real outline digits (other half)"] = {
    "trainable params": np.nan, "Fréchet distance (classifier features)": gen["floor_fd"],
    "held-out flow-matching loss": np.nan}
pd.DataFrame(gen_rows).T.style.format(
    {"trainable params": "{:,.0f}", "Fréchet distance (classifier features)": "{:.2f}",
     "held-out flow-matching loss": "{:.2f}"}, na_rep="—")

# %% [markdown]
# The last row is the floor of the Fréchet distance: two disjoint halves of the real outline
# digits; the frozen base, never trained on outlines, is the ceiling. The style classifier's
# accuracy on the held-out outline digits is a sanity check below.

# %%
def show_grid(imgs, ax, title):
    tiles = imgs[:20].reshape(2, 10, 8, 8).permute(0, 2, 1, 3).reshape(16, 80)
    ax.imshow(tiles.clamp(-1, 1).numpy(), cmap="gray_r", vmin=-1, vmax=1)
    ax.set(title=title, xticks=[], yticks=[])


fig, axes = plt.subplots(1, 3, figsize=(13, 2.3))
show_grid(gen["data"]["val_x"][:20], axes[0], "real outline digits (held out)")
show_grid(G["NeRA"]["samples"], axes[1], "NeRA-adapted generator")
show_grid(G["LoRA (equal params)"]["samples"], axes[2], "LoRA-adapted generator (equal params)")
plt.show()

# %% [markdown]
# **Figure 3.** Held-out real outline digits (left) and samples of the NeRA- and LoRA-adapted
# generators for the same labels and noise (20 Euler steps), ink drawn dark. Mirrors the
# paper's qualitative comparisons of sketches generated after NeRA and LoRA fine-tuning. The
# generator was pre-trained on ordinary digits only; the adapters turn it to the new style.

# %%

fig, ax = plt.subplots(figsize=(6, 3.4))
w = 25
for j, k in enumerate(k for k in ["NeRA", "LoRA (equal params)", "NeRA, identity basis"]
                      if k in G):
    cur = G[k]["curve"]
    ax.plot(np.arange(w, len(cur) + 1), np.convolve(cur, np.ones(w) / w, "valid"), color=color(j),
            label=k, ls="--" if "identity" in k else "-")
ax.set(xlabel="adapter step (Adam, batch 128)", ylabel="flow-matching loss (moving mean)",
       title="adapting to the outline style", ylim=(None, 1.3 * G["frozen base"]["val_loss"]))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 4.** Training loss (Eq. 3) of each adapter of the frozen generator on the outline
# digits, moving mean over 25 steps, for NeRA and LoRA at equal parameters (and, at the `full`
# profile, NeRA with the identity basis). Mirrors the paper's convergence comparison of NeRA
# and LoRA; here LoRA's loss ends below NeRA's.

# %% [markdown]
# ### Generative fine-tuning: a prompt that changes meaning
#
# The outline style changes the generator's *output*, pixel by pixel. NeRA's correction,
# Eq. (1), is instead a low-rank map of additive nonlinear functions of a layer's *inputs*;
# the paper's motivation is new, nonlinear semantic relationships between a prompt and what
# the generator draws (FLORA's designer jargon), and its adapters sit on projections that read
# the prompt's features. The stand-in: a second digit generator is conditioned on the class
# and on a scalar **ink-level prompt** $a\in[-2,2]$, an input of its first layer,
# $v(x_t,t,c,a)$ (the MLP above on $[x_t,t,\mathrm{onehot}(c),a]$). It is pre-trained on one
# half of the digits drawn with ink level $\ell_{\rm src}(a)=0.6+0.2a$ (pixel ink
# $p\mapsto \ell p$), then frozen. In the new domain the same prompt means
#
# $$\ell_{\rm new}(a)=0.2+0.2a^2, \tag{4}$$
#
# faint at $a=0$ and full ink at both ends: a nonlinear function of one input coordinate of
# the first layer. NeRA and LoRA with the same parameter count per layer (and, at `full`, NeRA
# with the identity basis) are trained on Eq. (3) with digits of the other half drawn with
# Eq. (4) and a fresh uniform prompt per image. Each adapter gets its own Adam learning rate,
# chosen by the loss on a held-out fifth of those digits from a grid (`full`: NeRA
# $\{3,10\}\cdot10^{-3}$, LoRA $\{1,3,10\}\cdot10^{-3}$, identity basis
# $\{1,3,10\}\cdot10^{-4}$; at `ci` the grid is the value that won on the calibration seeds,
# $10^{-2}$, $3\cdot10^{-3}$ and
# $3\cdot10^{-4}$). Scores, on the first half (digits no adapter saw), with fixed prompts,
# noise and times: the held-out flow-matching loss, and the **prompt-alignment error** — the
# mean absolute difference between the mean ink of a sample generated for a (class, prompt)
# pair and that of the real digit drawn with the prompt's new meaning, an analogue of the
# paper's text–image alignment scores.

# %%
ink = paper.ink_experiment(paper.digits_to_unit(digits.x), torch.as_tensor(digits.labels), cfg,
                           seed=ch.seed, device=ch.device, progress=progress)
I = ink["results"]
pd.DataFrame({k: {"trainable params": v["params"], "Adam lr (validation-selected)": v["lr"],
                  "held-out flow-matching loss": v["loss"],
                  "prompt-alignment error (mean ink)": v["align_err"]}
              for k, v in I.items()}).T.style.format(
    {"trainable params": "{:,.0f}", "Adam lr (validation-selected)": "{:.0e}",
     "held-out flow-matching loss": "{:.2f}", "prompt-alignment error (mean ink)": "{:.4f}"})

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [1, 1.6]})
a_all = I["NeRA"]["prompts"]
order = torch.argsort(a_all)
ref_ink = I["NeRA"]["ink_real"]
axes[0].plot(a_all[order], ref_ink[order], ".", ms=2, color="0.6",
             label="real digits, new meaning (Eq. 4)")
for j, k in enumerate(["NeRA", "LoRA (equal params)", "frozen base"]):
    ik = I[k]["ink_samples"]
    bins = torch.linspace(-2, 2, 17)
    idx = torch.bucketize(a_all, bins[1:-1])
    mid = (bins[1:] + bins[:-1]) / 2
    mean = torch.stack([ik[idx == b].mean() for b in range(16)])
    axes[0].plot(mid, mean, marker="o", ms=3, color=color(j), label=k,
                 ls="--" if k == "frozen base" else "-")
axes[0].set(xlabel="ink-level prompt $a$", ylabel="mean ink of the image",
            title="does the sample follow the prompt?")
axes[0].legend(fontsize=7)
prompts = torch.linspace(-2, 2, 9)
rows = []
for k in ["NeRA", "LoRA (equal params)"]:
    rows.append(paper.generate(ink["models"][k], (torch.full((9,), 3), prompts), cfg.gen_euler,
                               seed=ch.seed))
real = paper.render_ink(paper.digits_to_unit(digits.x[digits.labels == 3][:1]).repeat(9, 1),
                        paper.ink_target(prompts, cfg.ink_span))
tiles = torch.cat([real] + rows).reshape(3, 9, 8, 8).permute(0, 2, 1, 3).reshape(24, 72)
axes[1].imshow(tiles.clamp(-1, 1).numpy(), cmap="gray_r", vmin=-1, vmax=1)
axes[1].grid(False)
axes[1].set(xticks=[4 + 8 * i for i in range(9)], xticklabels=[f"{v:.1f}" for v in prompts],
            yticks=[4, 12, 20], yticklabels=["real", "NeRA", "LoRA"],
            xlabel="ink-level prompt $a$", title="a 3 drawn for nine prompts")
plt.show()

# %% [markdown]
# **Figure 5.** Left: mean ink of generated digits against their ink-level prompt $a$ (means
# over 16 bins of the held-out prompts) for the NeRA- and LoRA-adapted generators (equal
# parameters) and the frozen one, against the real digits drawn with the prompt's new meaning
# (grey points, Eq. 4). Right: a real 3 drawn with the new meaning, and samples of the NeRA-
# and LoRA-adapted generators for the class 3 and the same nine prompts (fixed noise). Mirrors
# the paper's qualitative comparisons of NeRA and LoRA and its alignment scores: the
# NeRA-adapted generator follows the new, U-shaped meaning of the prompt; the LoRA-adapted one,
# whose correction of the first layer is linear in $a$, unlearns the old, increasing meaning
# but draws about the average ink level whatever the prompt.

# %% [markdown]
# ## Reproduction check
#
# The headline is the paper's claim that NeRA adapts better than LoRA, in the form this
# teacher–student task can test, with its honest counterpart: at equal parameter count NeRA's
# test error on the nonlinear shift is a small fraction of LoRA's, and on the linear control
# LoRA is essentially exact while NeRA is not. Thresholds were set on seeds 0–4 at the `ci`
# profile (values in the discussion). The identity-basis ablation and the frozen-knot oracle
# are secondary checks; the initial gap, parameter counts and LoRA's agreement with the
# least-squares linear floor are sanity checks of the code. For the digit generator the
# paper's direction is asserted where the adaptation is a nonlinear change of what a prompt
# means (NeRA ahead of LoRA at equal parameters in held-out loss and in prompt alignment, each
# adapter at its own validation-selected learning rate); for the outline style it does not
# hold at the `ci` scale on any calibration seed, so those two headlines are *reported* here
# and asserted only at `full`. That NeRA adapts the frozen generator at all, and that its hat
# basis matters, are asserted.

# %%
S_nl, S_li = nl["students"], li["students"]
ratio_nl = S_nl["NeRA"]["final"] / S_nl["LoRA (equal params)"]["final"]
ch.claims.less("nonlinear shift: test MSE of NeRA / LoRA at equal parameters", ratio_nl, 0.1,
               kind="headline", paper=paper.PAPER_CLAIM,
               note=f"NeRA {S_nl['NeRA']['final']:.2e}, LoRA (r={r_eq}) "
                    f"{S_nl['LoRA (equal params)']['final']:.3f} (relative MSE)")
ch.claims.less("linear control: relative test MSE of LoRA at equal parameters",
               S_li["LoRA (equal params)"]["final"], 1e-3, kind="headline",
               paper="(control, not in the paper) a linear shift is LoRA's home ground",
               note="LoRA can represent the planted UVx exactly")
ch.claims.greater("linear control: test MSE of NeRA / LoRA at equal parameters",
                  S_li["NeRA"]["final"] / max(S_li["LoRA (equal params)"]["final"], 1e-12),
                  10.0, kind="headline",
                  paper="(control) NeRA's inductive bias is not free: LoRA wins on linear shifts",
                  note=f"NeRA {S_li['NeRA']['final']:.2e}")
ch.claims.greater("nonlinear shift: NeRA with identity basis / NeRA (test MSE)",
                  S_nl["NeRA, identity basis"]["final"] / S_nl["NeRA"]["final"], 10.0,
                  paper="the nonlinear (KAN) basis is what NeRA adds to LoRA",
                  note="ablation, not a table of the paper")
ch.claims.less("nonlinear shift: NeRA (r=4, learned knots) / best frozen-knot NeRA (lstsq)",
               S_nl["NeRA"]["final"] / nl["frozen_knot_oracle"], 1.05,
               note=f"oracle {nl['frozen_knot_oracle']:.2e}: full rank, knots at init")
ch.claims.less("NeRA at init: relative change of the layer output", gap["NeRA"], 5e-2,
               kind="sanity", paper="coefficients N(0, 1e-6): near-null start (official kan.py)")
ch.claims.holds("LoRA at init: the layer output is unchanged", gap["LoRA (equal params)"] == 0.0,
                ours=f"relative change {gap['LoRA (equal params)']:.1e}", kind="sanity",
                paper="B = 0")
n_exact = paper.nera_param_count(cfg.d, cfg.d, cfg.r, cfg.knots)
ch.claims.holds("NeRA trainable parameters = d K r + d K + d + r d + 1",
                S_nl["NeRA"]["params"] == n_exact,
                ours=f"{S_nl['NeRA']['params']} counted, {n_exact} by the formula", kind="sanity")
ch.claims.close("nonlinear shift: LoRA (equal params) / best linear map (lstsq)",
                S_nl["LoRA (equal params)"]["final"] / nl["linear_oracle"], 1.0, rtol=0.05,
                kind="sanity", note="Adam reaches the least-squares floor of linear adapters")

G_n, G_l, G_f = G["NeRA"], G["LoRA (equal params)"], G["frozen base"]
G_i = G.get("NeRA, identity basis")  # run at full only
ch.claims.less("outline style: Fréchet distance of samples, NeRA / LoRA at equal parameters",
               G_n["fd"] / G_l["fd"], 1.0, kind="headline", asserted_at=("full",),
               paper=paper.PAPER_CLAIM,
               note=f"NeRA {G_n['fd']:.1f}, LoRA {G_l['fd']:.1f}, real-data floor "
                    f"{gen['floor_fd']:.1f}; reported at ci: LoRA wins on seeds 0–4")
ch.claims.less("outline style: held-out flow-matching loss, NeRA / LoRA at equal parameters",
               G_n["val_loss"] / G_l["val_loss"], 1.0, kind="headline", asserted_at=("full",),
               paper=paper.PAPER_CLAIM,
               note=f"NeRA {G_n['val_loss']:.1f}, LoRA {G_l['val_loss']:.1f}; reported at ci")
ch.claims.less("outline style: held-out loss of the NeRA-adapted / frozen generator",
               G_n["val_loss"] / G_f["val_loss"], 0.75,
               paper="NeRA adapts a frozen generator to a new domain",
               note=f"Fréchet distance {G_f['fd']:.1f} → {G_n['fd']:.1f}")
ch.claims.greater("outline style: held-out loss, NeRA with identity basis / NeRA",
                  None if G_i is None else G_i["val_loss"] / G_n["val_loss"], 1.05,
                  asserted_at=("full",), paper="the nonlinear (KAN) basis is what NeRA adds",
                  note="ablation, not a table of the paper; run at full only (ci time)")
ch.claims.between("generator: trainable parameters of LoRA / NeRA", G_l["params"] / G_n["params"],
                  0.95, 1.05, kind="sanity",
                  note=f"{G_n['params']:,} (NeRA) vs {G_l['params']:,} (LoRA)")
ch.claims.greater("style classifier: accuracy on held-out outline digits", gen["clf_acc"], 0.8,
                  kind="sanity", note="the Fréchet feature space separates the classes")

I_n, I_l, I_f = I["NeRA"], I["LoRA (equal params)"], I["frozen base"]
I_i = I.get("NeRA, identity basis")  # run at full only
ch.claims.less("ink-level prompt, new meaning: held-out flow-matching loss, NeRA / LoRA at "
               "equal parameters", I_n["loss"] / I_l["loss"], 0.95, kind="headline",
               paper=paper.PAPER_CLAIM,
               note=f"NeRA {I_n['loss']:.2f}, LoRA {I_l['loss']:.2f}, frozen {I_f['loss']:.2f}")
ch.claims.less("ink-level prompt, new meaning: prompt-alignment error of samples, NeRA / LoRA "
               "at equal parameters", I_n["align_err"] / I_l["align_err"], 0.6,
               kind="headline", paper=paper.PAPER_CLAIM,
               note=f"NeRA {I_n['align_err']:.4f}, LoRA {I_l['align_err']:.4f}, frozen "
                    f"{I_f['align_err']:.4f} (mean ink)")
ch.claims.greater("ink-level prompt: prompt-alignment error, NeRA with identity basis / NeRA",
                  None if I_i is None else I_i["align_err"] / I_n["align_err"], 2.0,
                  asserted_at=("full",), paper="the nonlinear (KAN) basis is what NeRA adds",
                  note="ablation, not a table of the paper; run at full only (ci time), "
                       "2.4–3.3 on seeds 0–4, 7, 11 when run at ci")
ch.claims.between("ink-level prompt: trainable parameters of LoRA / NeRA",
                  I_l["params"] / I_n["params"], 0.95, 1.05, kind="sanity",
                  note=f"{I_n['params']:,} (NeRA) vs {I_l['params']:,} (LoRA)")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** The mechanism behind the paper's claim holds at this scale on every seed we
# ran: when the shift a frozen layer must learn is a low-rank map of additive nonlinear
# features, NeRA at equal trainable-parameter count (1,441 vs 1,472 for LoRA of rank 23) ends
# with a relative test MSE of 0.012–0.023, while LoRA, at either rank, and even a dense
# $\Delta W$ stop at the least-squares floor of linear corrections (≈ 1.3 here; 0.8 even with
# an intercept). The learned piecewise-linear functions follow the planted ones inside the
# data range (Figure 2). The ablation with an identity basis — NeRA without its nonlinearity,
# an affine map — is 39–71× worse than NeRA: the hat basis, not the parameter count, is what
# wins. With learned knots and rank 4, NeRA even beats the best full-rank NeRA whose knots stay
# on their initial grid (ratio 0.29–0.58). The control cuts the other way, as it should: on a
# purely linear shift LoRA reaches a relative MSE of $10^{-7}$–$2\cdot10^{-6}$ while NeRA
# stops at 0.002–0.004, its piecewise-linear approximation error, a thousand times worse.
# NeRA's bias is for additive nonlinear structure; it is not a free improvement.
#
# **Values over seeds 0–4, 7 and 11 (`ci`) against the thresholds.** NeRA / LoRA on the
# nonlinear shift 0.0115–0.0246 (< 0.1, worst margin 4×, seed 1); LoRA on the linear control
# $9.9\cdot10^{-8}$–$2.0\cdot10^{-6}$ (< $10^{-3}$); NeRA / LoRA on the linear control
# 1,208–39,145 (> 10); identity basis / NeRA 38.6–71.4 (> 10, worst margin 3.9×, seeds 0
# and 1); NeRA / frozen-knot oracle 0.29–0.58 (< 1.05); NeRA's initial relative change
# 0.0023–0.0038 (< 0.05); LoRA / linear least squares 1.00000 on every seed.
#
# **Where the chapter deviates, and why.** The paper evaluates NeRA inside FLUX.1-dev
# fine-tuned on FLORA and LAION-5B with image-quality and alignment scores (its tables); the
# weights and data are hub-only and far beyond a 30-second CPU budget, so no number of the
# paper is compared here, and the headline is the mechanism in a planted task, not the paper's
# benchmark. The adapter follows the official `kan.py` (hat basis with learnable knots, input
# scales and α), not the "spline-based KAN" of the paper's prose. We use $r=4$ (the teacher's
# rank) instead of the official 16 or 64, $\alpha=1$ instead of $10^{-3}$ (dataclass) or 64
# (FLUX config), and Adam at lr $10^{-2}$ for 300 full-batch steps instead of AdamW at
# $10^{-5}$: with $\alpha=10^{-3}$ and so small a learning rate nothing would move in 300
# steps. For the digit generators, each adapter of the ink-level task gets its own Adam
# learning rate chosen on held-out data (the paper does not say how LoRA's was set); the
# outline task uses one learning rate for all, and the validation-selected ones leave its
# result unchanged (below).
#
# **Generative fine-tuning: where NeRA wins.** When the adaptation is a nonlinear change in
# what an *input* of a frozen layer means — the ink-level prompt of Eq. (4) — the paper's
# direction holds on every seed: at equal parameters (20,656 for NeRA, 21,016 for LoRA) and
# each at its own validation-selected learning rate, NeRA ends with a held-out flow-matching
# loss 0.90–0.92× LoRA's (21.0–22.1 against 23.3–24.1; frozen generator 36.5–38.5) and a
# prompt-alignment error 0.29–0.37× LoRA's (mean-ink error 0.023–0.033 against 0.080–0.090;
# frozen 0.101–0.108), seeds 0–4. Figure 5 shows it: NeRA's samples follow the U-shaped new
# meaning of the prompt, LoRA's drop the old, increasing one but keep about the average ink
# whatever the prompt. This is not NeRA converging faster: with 2,000 adapter steps instead of 600 (seed 0) LoRA is still behind
# (loss 23.0 against 20.5, ratio 0.89; alignment ratio 0.31), and in a first prototype of this
# task (another split of the digits, seed 0) fine-tuning *every weight* of the generator (a
# dense $\Delta W$ on all four layers, 51,136 parameters) reached 24.5 and 0.082, no better
# than LoRA. The new meaning is a nonlinear function of one input coordinate of the first
# layer, so the correction it needs there is a rank-1 additive nonlinear map — exactly the form
# of Eq. (1) — while any linear correction of the first layer is linear in $a$ and the later
# layers see $a$ only through the frozen features. NeRA with the identity basis, an affine
# map (run at `ci` while calibrating, in the notebook at `full` only), is as poor as LoRA
# (alignment error 0.078–0.084, 2.55–3.34× NeRA's): the hat basis is what wins. We chose this task *because* it has the structure NeRA is built for — a prompt
# whose meaning for the generator changes nonlinearly is the stand-in for the paper's new
# fashion vocabulary — so it shows the regime where the paper's claim holds, not that it holds
# for any adaptation; the outline style below shows the other side.
#
# **Generative fine-tuning: what did not match.** On the outline style the paper's direction
# does not reproduce at the `ci` scale. Adapting every linear layer of the frozen
# flow-matching generator to the outline style, NeRA (20,615 trainable parameters) ends with a
# Fréchet distance 1.16–1.36× LoRA's (20,998 parameters) and a held-out flow-matching loss
# 1.07–1.08× LoRA's, on every seed 0–4 (FD NeRA 24.8–34.4 against LoRA 19.5–25.2; real-data
# floor 1.5–2.9; frozen base 65–94). Both adapters do move the generator a long way to the new
# style (held-out loss 101 → ≈ 60, Figures 3 and 4), but LoRA at equal parameters is ahead.
# What we tried while calibrating, each on seed 0 unless said: 1,500 adapter steps instead of
# 600 (LoRA's lead grows: FD ratio 1.29 on seed 0, 1.26 on seed 1; loss ratio 1.08 on both);
# each adapter at its own learning rate, chosen from $\{1,3,10,30\}\cdot10^{-3}$ by the loss
# on a held-out fifth of the outline digits (NeRA picks $10^{-2}$: loss 60.1, FD 27.2; LoRA
# picks $3\cdot10^{-3}$: 56.7, FD 23.6; both diverge at $3\cdot10^{-2}$); a pre-norm generator
# (LayerNorm before the hidden layers, so that NeRA's inputs are unit-scale as in the
# attention projections of the paper's transformer, and its knots on $[-3,3]$ are used):
# NeRA 56.3 (FD 19.5) against LoRA 53.1 (FD 18.4); and narrower pre-norm generators, width 64
# (NeRA 63.0 against LoRA 59.8) and 32 (70.8 against 69.2). In every variant LoRA at equal
# parameters is within about 2 % of fine-tuning every weight of the generator (dense
# $\Delta W$: 52.0 for the pre-norm width-128 generator), so the outline style is within reach
# of linear weight changes and NeRA's nonlinearity has nothing to add, while its rank 4 (LoRA:
# 18–29) costs it. Since neither score favours NeRA on any seed, the two outline headlines are
# reported at `ci` and asserted only at `full` (where they may well fail too). The paper's
# gains are reported for a large transformer (FLUX.1-dev) with rank 64 and image-quality scores
# we cannot compute here; this is a negative result for a style change of a small generator's
# output at equal parameters, not a refutation of those.
#
# **Generative values over seeds 0–4 and 7, 11 against the thresholds.** Ink-level prompt,
# asserted: held-out loss NeRA / LoRA 0.900–0.917 (< 0.95, worst margin 3.5 %, seed 3);
# prompt-alignment error NeRA / LoRA 0.292–0.365 (< 0.6, worst margin 1.6×, seed 2);
# parameter ratio LoRA / NeRA 1.017 (sanity). Seeds 7 and 11, not used to set anything: loss
# ratio 0.907 and 0.917, alignment ratio 0.387 and 0.395 — both pass. The ink-level identity-basis ablation runs at `full` only (ci time);
# run at `ci` during calibration it gave identity / NeRA 2.55–3.34 in alignment error on seeds
# 0–4 and 2.40, 2.76 on seeds 7, 11 (the threshold 2 it is asserted with at `full`).
# Outline style, reported: Fréchet distance NeRA / LoRA 1.155–1.363 (paper direction < 1: not
# met); held-out loss NeRA / LoRA 1.069–1.079 (< 1: not met); asserted: held-out loss NeRA /
# frozen base 0.595–0.618 (< 0.75, worst margin 1.21×, seed 4); parameter ratio LoRA / NeRA
# 1.019 (sanity); style classifier accuracy on held-out outline digits 0.879–0.888 (> 0.8,
# sanity). Seeds 7 and 11: Fréchet ratio 1.264 and 1.360, loss ratio 1.067 and 1.077 (LoRA
# ahead again); NeRA / frozen 0.618 and 0.599, classifier accuracy 0.902 and 0.896. The
# outline identity-basis ablation (identity / NeRA 1.13–1.42 in held-out loss on seeds 0–4,
# > 1.05) now runs at `full` only, to pay for the ink-level task at `ci`.
#
# **Breaking the method.** Two sabotages, each a temporary edit run through the whole notebook
# (seed 0): (1) NeRA's hat basis replaced by the identity, $\phi(u)=u$ — the nonlinear
# headline fails (NeRA / LoRA 0.63 > 0.1) and so does the identity-basis ablation (1.00 < 10);
# the linear-control headlines still pass, as they should, since they test LoRA's side; on the
# ink-level prompt both headlines fail (held-out loss NeRA / LoRA 3.60 > 0.95, alignment error
# NeRA / LoRA 2.91 > 0.6); on the outline style the asserted NeRA / frozen check fails
# (0.84 > 0.75), and the reported outline headlines move the expected way (Fréchet ratio 1.15 → 4.67, loss ratio 1.07 → 1.51);
# (2) LoRA's $B$ left untrained (the baseline cannot adapt) — both linear-control headlines fail
# (LoRA 0.999 > $10^{-3}$; NeRA / LoRA 0.0024 < 10) and the LoRA-vs-least-squares sanity
# check fails (1.15).
#
# **Not run here.** The `full` profile ($d=128$, teacher rank 8, NeRA rank 8, 20,000 training
# samples, 3,000 steps; for the generators width 256, 10,000 pre-training and 4,000 adapter
# steps, 50 Euler steps, the outline identity-basis ablation, and for the ink-level prompt the
# full learning-rate grids chosen on validation; about 8 min on a GPU on paper,
# `paper.estimate_seconds`) is written but was not run while writing this chapter.
#
# **Cost.** Own compute at `ci` (seed 0), measured as CPU time on the shared 2-core machine
# under a load of about 6: the teacher–student task 7.0 s, the outline-style generator 14.6 s
# (without its identity-basis ablation, now run at `full` only: 5.0 s), the ink-level prompt
# task about 14 s (pre-training 5.1 s, NeRA 6.4 s, LoRA 1.7 s, scoring; its identity-basis
# ablation, 5.0 s, also runs at `full` only). The budget stays 60 s.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`deshmukh2026dressing` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
