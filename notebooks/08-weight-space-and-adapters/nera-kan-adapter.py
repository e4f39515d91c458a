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
# by the held-out flow-matching loss. The paper's own evaluation (FID/CLIP-style scores of
# FLUX.1-dev fine-tuned on its FLORA fashion sketches) needs hub-only weights and data. On the
# planted task NeRA wins as claimed; on the digit generator it does **not**: LoRA adapts
# better at equal parameters, and the page reports that claim rather than asserting it.
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
# with the same number of trainable parameters per layer (ranks 18, 23, 23 and 29), or in
# NeRA with the identity basis; only the adapters train, on Eq. (3) with the outline digits,
# with Adam at one learning rate for all. Two scores, both on digits no adapter saw (the
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
for j, k in enumerate(["NeRA", "LoRA (equal params)", "NeRA, identity basis"]):
    cur = G[k]["curve"]
    ax.plot(np.arange(w, len(cur) + 1), np.convolve(cur, np.ones(w) / w, "valid"), color=color(j),
            label=k, ls="--" if "identity" in k else "-")
ax.set(xlabel="adapter step (Adam, batch 128)", ylabel="flow-matching loss (moving mean)",
       title="adapting to the outline style", ylim=(None, 1.3 * G["frozen base"]["val_loss"]))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **Figure 4.** Training loss (Eq. 3) of each adapter of the frozen generator on the outline
# digits, moving mean over 25 steps, for NeRA, LoRA at equal parameters and NeRA with the
# identity basis. Mirrors the paper's convergence comparison of NeRA and LoRA; here LoRA's
# loss ends below NeRA's.

# %% [markdown]
# ## Reproduction check
#
# The headline is the paper's claim that NeRA adapts better than LoRA, in the form this
# teacher–student task can test, with its honest counterpart: at equal parameter count NeRA's
# test error on the nonlinear shift is a small fraction of LoRA's, and on the linear control
# LoRA is essentially exact while NeRA is not. Thresholds were set on seeds 0–4 at the `ci`
# profile (values in the discussion). The identity-basis ablation and the frozen-knot oracle
# are secondary checks; the initial gap, parameter counts and LoRA's agreement with the
# least-squares linear floor are sanity checks of the code. For the generator the paper's
# direction (NeRA ahead of LoRA at equal parameters, in Fréchet distance and held-out loss)
# does not hold at the `ci` scale on any calibration seed, so those two headlines are
# *reported* here and asserted only at `full`; that NeRA adapts the frozen generator at all,
# and that its hat basis matters, are asserted.

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
G_i = G["NeRA, identity basis"]
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
                  G_i["val_loss"] / G_n["val_loss"], 1.05,
                  paper="the nonlinear (KAN) basis is what NeRA adds",
                  note="ablation, not a table of the paper")
ch.claims.between("generator: trainable parameters of LoRA / NeRA", G_l["params"] / G_n["params"],
                  0.95, 1.05, kind="sanity",
                  note=f"{G_n['params']:,} (NeRA) vs {G_l['params']:,} (LoRA)")
ch.claims.greater("style classifier: accuracy on held-out outline digits", gen["clf_acc"], 0.8,
                  kind="sanity", note="the Fréchet feature space separates the classes")

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
# steps.
#
# **Generative fine-tuning: what did not match.** On the digit generator the paper's direction
# does not reproduce at the `ci` scale. Adapting every linear layer of the frozen
# flow-matching generator to the outline style, NeRA (20,615 trainable parameters) ends with a
# Fréchet distance 1.16–1.36× LoRA's (20,998 parameters) and a held-out flow-matching loss
# 1.07–1.08× LoRA's, on every seed 0–4 (FD NeRA 24.8–34.4 against LoRA 19.5–25.2; real-data
# floor 1.5–2.9; frozen base 65–94). Both adapters do move the generator a long way to the new
# style (held-out loss 101 → ≈ 60, Figures 3 and 4), and NeRA's hat basis matters (the
# identity-basis ablation is 1.13–1.42× worse in held-out loss), but LoRA at equal parameters
# is ahead. We tried two other settings while calibrating: 1,500 adapter steps instead of 600
# (LoRA's lead grows: FD ratio 1.29 on seed 0, 1.26 on seed 1; loss ratio 1.08 on both) and,
# on seed 0, Adam at lr $10^{-2}$ for both instead of $3\cdot10^{-3}$ (FD ratio 0.88, but the
# held-out loss still favours LoRA, 1.04; and NeRA at $10^{-2}$, FD 28.0 and loss 59.9, is
# still behind LoRA at $3\cdot10^{-3}$, 24.1 and 56.6, so giving each adapter the better of
# the two learning rates leaves LoRA ahead on both scores). Since neither score favours NeRA
# with a margin on every seed, the two
# generative headlines are reported at `ci` and asserted only at `full` (where they may well
# fail too). Why the planted task and the generator disagree is visible in Eq. (1): NeRA's
# correction is a rank-$r$ map of *additive* functions of a layer's inputs, which is exactly
# the planted shift's structure; the style change here is additive per pixel at the *output*
# of the generator, not at the inputs of its layers, while a high-rank linear correction of
# each layer (LoRA ranks 18–29 vs NeRA rank 4) goes further inside a network that already has
# nonlinearities between its layers. The paper's gains are reported for a large transformer
# (FLUX.1-dev) with rank 64 and image-quality scores we cannot compute here; this is a
# negative result for the small-MLP, equal-parameter setting, not a refutation of those.
#
# **Generative values over seeds 0–4 and 7, 11 against the thresholds.** Reported: Fréchet
# distance NeRA / LoRA 1.155–1.363 (paper direction < 1: not met); held-out loss NeRA / LoRA
# 1.069–1.079 (< 1: not met). Asserted: held-out loss NeRA / frozen base 0.595–0.618
# (< 0.75, worst margin 1.21×, seed 4); identity basis / NeRA 1.126–1.418 (> 1.05, worst
# margin 7 %, seed 2); parameter ratio LoRA / NeRA 1.019 (sanity); style classifier accuracy
# on held-out outline digits 0.879–0.888 (> 0.8, sanity). Seeds 7 and 11, not used to set
# anything: Fréchet ratio 1.264 and 1.360, loss ratio 1.067 and 1.077 (LoRA ahead again);
# NeRA / frozen 0.618 and 0.599, identity basis / NeRA 1.155 and 1.427, classifier accuracy
# 0.902 and 0.896 — every asserted check passes.
#
# **Breaking the method.** Two sabotages, each a temporary edit run through the whole notebook
# (seed 0): (1) NeRA's hat basis replaced by the identity, $\phi(u)=u$ — the nonlinear
# headline fails (NeRA / LoRA 0.63 > 0.1) and so does the identity-basis ablation (1.00 < 10);
# the linear-control headlines still pass, as they should, since they test LoRA's side;
# in the generator both asserted NeRA checks fail: identity basis / NeRA 1.00 < 1.05, and the
# sabotaged NeRA's held-out loss is still 0.84 of the frozen base's (> 0.75). The generative
# NeRA-vs-LoRA headlines are reported, not asserted, so this sabotage has no asserted
# headline to break there; their reported values move the expected way (Fréchet ratio 1.15 →
# 4.67, loss ratio 1.07 → 1.51);
# (2) LoRA's $B$ left untrained (the baseline cannot adapt) — both linear-control headlines fail
# (LoRA 0.999 > $10^{-3}$; NeRA / LoRA 0.0024 < 10) and the LoRA-vs-least-squares sanity
# check fails (1.15).
#
# **Not run here.** The `full` profile ($d=128$, teacher rank 8, NeRA rank 8, 20,000 training
# samples, 3,000 steps; for the generator width 256, 10,000 pre-training and 4,000 adapter
# steps, 50 Euler steps; about 4.5 min on a GPU on paper, `paper.estimate_seconds`) is written
# but was not run while writing this chapter.
#
# **Cost.** The `ci` run took 28–36 s of CPU time (user + sys, one thread, seed 0, including the
# kernel's start and imports; about half of it the generator) on the shared 2-core machine, hence
# the 60-s budget.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`deshmukh2026dressing` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
