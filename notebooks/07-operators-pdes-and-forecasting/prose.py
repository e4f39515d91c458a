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
# # PROSE: Predicting Operators and Symbolic Expressions using Multimodal Transformers
#
# This chapter reproduces {cite:t}`liu2023prose`.
#
# **What is reproduced here:** PROSE — one transformer that reads a short, noisy trajectory of
# an ODE system *and* a possibly wrong symbolic skeleton of its equations (coefficients
# replaced by placeholders, terms randomly added or deleted), and writes both the future
# trajectory (an operator decoder queried at arbitrary times) and the full equations with
# their coefficients, in prefix notation. The data are generated on the page with scipy's
# `solve_ivp` from four parametric families of 2-d polynomial ODEs (damped oscillator, Van der
# Pol, Duffing, Lotka–Volterra; every coefficient ±10 % around its nominal value, 2 % noise).
# We check the paper's headline claims: the decoded equations parse and have the right
# skeleton even when the input skeleton was corrupted; the decoded equations, integrated from
# the last observed state, extrapolate the trajectory; and the operator's forecast depends on
# the equation text, getting worse with a wrong family's skeleton but little with one wrong
# term; and — the paper's main claim — PROSE forecasts better than the data-only model of its
# ablation (the official code's `no_text` network), by more than 10 % in median error on 800
# paired test samples. That gain became reliable at this scale only once two training details
# followed the official code: its initialisation of the token embeddings and fresh noise on
# every training batch (see the Discussion).
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
from nonlinlab.papers import prose as paper

ch = nonlinlab.Chapter("prose", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method
#
# **Operators and equations.** A family is a parametric polynomial ODE system
# $\dot u=f(u;c)$, $u\in\mathbb R^d$; an equation is one draw of the coefficients $c$ (each
# uniform in $[0.9,1.1]\times$ its nominal value and rounded to the text's float precision), a
# sample is one trajectory of that equation from a random initial condition. The solution
# operator maps the observed window $\{(t_i,u(t_i))\}_{i<n}$ to $u(t)$ for $t>t_{n-1}$; PROSE
# learns it for all equations of all families at once, and is also asked to *name* the
# equation.
#
# **Two inputs.** The data tokens are $(t_i,u_i)$ of the first $n$ grid points, with additive
# noise rescaled to 2 % of the trajectory's L2 norm. The text tokens are the skeleton of
# $f$ in Polish notation, with every number replaced by a placeholder `<c>`; with probability
# 0.15 a random constant, linear or quadratic term is added to one component, with
# probability 0.15 a term is deleted (`paper.corrupt_skeleton`). The target text is always
# the clean, complete $f$: a number is three tokens, sign, mantissa and exponent
# ($x=\pm m\cdot 10^{e}$, `paper.Tokenizer`).
#
# **Model** (`paper.PROSE`; width $w$, pre-LayerNorm blocks with softmax attention and a
# GELU feed-forward layer):
#
# $$\begin{aligned}
# &D=\mathrm{Enc}_{data}\big(\mathrm{MLP}(t_i,u_i)_{i<n}\big), &&(1)\\
# &S=\mathrm{Enc}_{text}\big(E[s_j]+\mathrm{PE}_j\big), &&(2)\\
# &[\tilde D;\tilde S]=\mathrm{Fusion}\big([D+m_{data};\,S+m_{text}]\big), &&(3)\\
# &\hat u(\tau)=W\,\mathrm{CrossDec}\big(\mathrm{MLP}(\tau);\,\tilde D\big), &&(4)\\
# &p(y_k\mid y_{<k})=\mathrm{softmax}\big(E\,\mathrm{CausalDec}(y_{<k};\,\tilde S)\big), &&(5)
# \end{aligned}$$
#
# with learned modality embeddings $m$, sinusoidal positions PE for text only (time is inside
# the data tokens), and the token embedding $E$ shared between input and read-out. The
# operator decoder (4) has no self-attention: each query time $\tau$ attends only to the
# **data half** $\tilde D$ of the fused sequence, so it can be evaluated at any set of times;
# the text decoder (5) attends to the **text half** $\tilde S$. Information crosses between
# modalities only inside the fusion block (3). The data-only baseline is the one of the official
# code (its `no_text` model): the data embedder and encoder (1) and the operator decoder (4),
# with no text encoder, no fusion and no text decoder, trained on the data loss alone.
#
# **Loss.** With $B$ samples per batch,
#
# $$\mathcal L=\lambda\,\frac1B\sum_b\frac{\lVert\hat u_b-u_b\rVert_2^2}{\lVert u_b\rVert_2^2+\epsilon}
# \;+\;\mathcal L_{CE}(y,\hat p),\qquad \lambda=6,\qquad(6)$$
#
# a relative squared error of the operator output over the target window plus the token
# cross-entropy with teacher forcing (`paper.data_loss`, `paper.text_loss`); AdamW (weight
# decay $10^{-4}$), linear warm-up then inverse-square-root decay, gradient clipping at 1. As
# in the official code, the token and modality embeddings start from $\mathcal N(0,1/w)$ (so the
# tied read-out starts at chance level, a text loss of $\log|V|$), and the 2 % noise is drawn
# afresh for every training batch on the clean trajectories (`paper.train`). At
# evaluation the text is decoded greedily, parsed into polynomials, and — where it parses —
# integrated with `solve_ivp` from the last observed (noisy) state over the target window:
# the *symbolic forecast*.

# %% [markdown]
# ## Experiments
#
# ### The ODE families and their text

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from nonlinlab.core import color, progress

tok = paper.Tokenizer(cfg.dim, cfg.float_precision)


def show_eq(eq, digits=3):
    """An equation as readable text: one line per component."""
    def mono(m):
        return "·".join(f"u{i}" + (f"^{a}" if a > 1 else "") for i, a in enumerate(m) if a) or "1"
    return " ; ".join(f"u{j}' = " + " ".join(f"{c:+.{digits}g}·{mono(m)}" for m, c in sorted(comp.items()))
                      for j, comp in enumerate(eq))


pd.DataFrame({name: {"nominal equations": show_eq(paper.equation(f, paper.family_arrays(f)[2])),
                     "initial conditions": f"U[{f.ic_low:g}, {f.ic_high:g}]²"}
              for name, f in paper.FAMILIES.items() if name in cfg.families}).T

# %% [markdown]
# One Van der Pol equation, its skeleton and its full expression as the model sees them
# (prefix notation, `|` separates the components):

# %%
f_vdp = paper.FAMILIES["Van der Pol"]
eq_vdp = paper.equation(f_vdp, paper.round_sig(paper.family_arrays(f_vdp)[2] * [1.05, 0.93, 1.02, 0.97],
                                               cfg.float_precision))
print("skeleton:", " ".join(tok.words_of(paper.skeleton_of(eq_vdp), skeleton=True)[1:-1]))
print("target:  ", " ".join(tok.words_of(eq_vdp)[1:-1]))

# %% [markdown]
# ### Training PROSE and the data-only model
#
# Sizes of this profile: `cfg.n_eq` equations per family × `cfg.n_ic` initial conditions for
# training, `cfg.n_eq_test` × `cfg.n_ic` for testing, the grid of `cfg.t_num` points on
# $[0,$ `cfg.t_end`$]$ with the first `cfg.t_input` points observed; width `cfg.width`,
# `cfg.heads` heads, (data encoder, text encoder, fusion, data decoder, text decoder) =
# `cfg.layers` blocks; `cfg.steps` steps of `cfg.batch` samples. Both models start from the
# same seed and see the same batches.

# %%
r = paper.run(cfg, seed=ch.seed, device=ch.device, progress=progress)
ev = paper.evaluate(r, cfg, ch.device, seed=ch.seed)
test = r["test"]
err = ev["err"]
fam = test.family
corr = ev["corrupted"]
print(f"{len(r['train'].u)} training and {len(test.u)} test trajectories; "
      f"{(corr > 0).mean():.0%} of the test skeletons corrupted "
      f"({(corr == 1).sum()} with an added term, {(corr == 2).sum()} with a deleted term)")

# %% [markdown]
# **Oracles before the results.** The trajectories of a family are integrated as one stacked
# system (one `solve_ivp` call); each one is re-integrated here on its own with DOP853 at
# rtol $10^{-10}$, and every training and test target is decoded back from its tokens.

# %%
rng_check = np.random.default_rng(ch.seed)
idx = rng_check.choice(len(test.u), 40, replace=False)
gen_err = []
for i in idx:
    f = paper.FAMILIES[test.families[test.family[i]]]
    exps, comp, _ = paper.family_arrays(f)
    ref = paper.integrate(test.coefs[i][None], exps, comp, test.clean[i:i + 1, 0], test.t,
                          rtol=1e-10, atol=1e-12, method="DOP853")[0]
    gen_err.append(np.linalg.norm(test.clean[i] - ref) / np.linalg.norm(ref))
round_trip = np.mean([tok.decode(s) == paper.equation(paper.FAMILIES[d.families[d.family[i]]], d.coefs[i])
                      for d in (r["train"], test) for i, s in enumerate(d.text_out)])
print(f"generator vs DOP853, max relative L2 over 40 test trajectories: {max(gen_err):.1e}; "
      f"targets decoded exactly: {round_trip:.1%}")

# %% [markdown]
# ### Decoded equations

# %%
rows = []
for k in range(len(cfg.families)):
    pick = np.flatnonzero((fam == k) & (corr > 0))
    i = int(pick[0]) if len(pick) else int(np.flatnonzero(fam == k)[0])
    truth = paper.equation(paper.FAMILIES[test.families[k]], test.coefs[i])
    words = [tok.words[w] for w in test.text_in[i][1:-1]]
    rows.append({"family": test.families[k],
                 "input skeleton": " ".join(words).replace("<c>", "c"),
                 "corruption": ["none", "term added", "term deleted"][corr[i]],
                 "decoded": show_eq(ev["eqs"][i]) if ev["eqs"][i] else "(does not parse)",
                 "truth": show_eq(truth),
                 "right skeleton": bool(ev["skeleton"][i]),
                 "symbolic rel. L2": round(float(err["PROSE symbolic"][i]), 3)})
with pd.option_context("display.max_colwidth", None):
    display(pd.DataFrame(rows).set_index("family"))  # noqa: F821

# %% [markdown]
# **Figure 1.** One test sample per family (with a corrupted input skeleton where the family
# has one): the skeleton the model was given (prefix notation, `c` = placeholder), the
# equations it decoded, the truth, and the relative L2 error of the decoded equations
# integrated over the target window. Mirrors the paper's table of generated expressions.

# %%
valid = ev["valid"]
skel = ev["skeleton"]
summary = pd.DataFrame({
    "decoded sequences that parse": [valid.mean(), valid[corr > 0].mean()],
    "right skeleton": [skel.mean(), skel[corr > 0].mean()],
    "input skeleton right": [(corr == 0).mean(), 0.0],
}, index=["all test samples", "corrupted input only"])
for k, name in enumerate(cfg.families):
    m = fam == k
    summary.loc[name] = [valid[m].mean(), skel[m].mean(), (corr[m] == 0).mean()]
summary.round(3)

# %% [markdown]
# ### Forecasts

# %%
n = cfg.t_input
t_in, t_out = test.t[:n], test.t[n:]
fig, axes = plt.subplots(2, 2, figsize=(12, 6.4), sharex=True)
for k, ax in enumerate(axes.ravel()[:len(cfg.families)]):
    i = int(np.flatnonzero(fam == k)[np.argsort(err["PROSE (given text)"][fam == k])[
        int((fam == k).sum()) // 2]])  # the sample with the median PROSE error
    for j in range(cfg.dim):
        ax.plot(t_in, test.u[i, :n, j], ".", color="0.5", ms=3,
                label="observed (noisy)" if j == 0 else None)
        ax.plot(t_out, test.clean[i, n:, j], color="black", lw=1.5, label="truth" if j == 0 else None)
        ax.plot(t_out, ev["pred"]["PROSE (given text)"][i, :, j], color=color(0), ls="--",
                label="PROSE operator" if j == 0 else None)
        ax.plot(t_out, ev["pred"]["PROSE symbolic"][i, :, j], color=color(1), ls=":", lw=2,
                label="PROSE decoded ODE" if j == 0 else None)
        ax.plot(t_out, ev["pred"]["data-only"][i, :, j], color=color(2), ls="-.",
                label="data-only" if j == 0 else None)
    ax.axvline(test.t[n - 1], color="0.7", lw=0.8)
    ax.set(title=f"{test.families[k]} (both components)", ylabel="$u_0$, $u_1$")
for ax in axes[-1]:
    ax.set_xlabel("time $t$")
axes[0, 0].legend(fontsize=8, ncol=2)
plt.show()

# %% [markdown]
# **Figure 2.** For each family, the test sample with the median PROSE error: the observed
# noisy window (grey dots), the true solution (black), the operator output of PROSE (dashed),
# the equations PROSE decoded integrated from the last observed state (dotted) and the
# data-only model (dash-dotted). Mirrors the paper's figure of predicted trajectories.

# %%
methods = ["hold last state", "data-only", "PROSE (given text)", "PROSE (clean text)",
           "PROSE (add text)", "PROSE (delete text)", "PROSE (swap text)", "PROSE symbolic",
           "true skeleton, nominal coefficients"]
med = pd.DataFrame({m: [np.median(err[m])] + [np.median(err[m][fam == k])
                                              for k in range(len(cfg.families))]
                    for m in methods}, index=["all", *cfg.families]).T
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), width_ratios=[1, 1.4])
axes[0].barh(methods, med["all"], color=[color(j) for j in range(len(methods))])
axes[0].set(xlabel="median relative $L^2$ error on the target window", xscale="log",
            title="all test samples")
axes[0].invert_yaxis()
x = np.arange(len(cfg.families))
for j, m in enumerate(["data-only", "PROSE (given text)", "PROSE symbolic"]):
    axes[1].bar(x + (j - 1) * 0.27, med.loc[m, list(cfg.families)], 0.27, color=color(j + 1),
                label=m)
axes[1].set(xticks=x, xticklabels=cfg.families, ylabel="median relative $L^2$ error",
            title="per family")
axes[1].legend(fontsize=8)
plt.show()
med.round(3)

# %% [markdown]
# **Figure 3.** Median relative $L^2$ error over the target window against the clean
# solution. Left: the trivial hold-last-state forecast, the data-only model, PROSE with the
# test skeletons as given (30 % corrupted), with all skeletons clean, with one term added to /
# deleted from every skeleton, with the skeleton of the wrong family ("swap"), the decoded
# equations integrated (symbolic forecast), and — a reference that knows the family — its
# nominal equation integrated. Right: per family. Mirrors the paper's comparison of the
# multimodal model with its data-only ablation and its robustness study on corrupted text.

# %% [markdown]
# ### The multimodal gain, on paired test samples
#
# The comparison with the data-only model gets its own, larger test set: `cfg.n_eq_op_test`
# new equations per family, 4 initial conditions each, skeletons corrupted as in training.
# Only the operator outputs are needed, which are cheap, and both models predict the *same*
# samples, so the comparison is paired. "Empty text" gives PROSE a skeleton with no tokens
# between BOS and EOS: how much its forecast leans on the text.

# %%
eo = ev["err_op"]
fam_op = eo["family"]
op_methods = ["data-only", "PROSE (given text)", "PROSE (clean text)", "PROSE (empty text)"]
cmp_op = pd.DataFrame({m: [np.median(eo[m])] + [np.median(eo[m][fam_op == k])
                                                 for k in range(len(cfg.families))]
                       for m in op_methods}, index=["all", *cfg.families])
cmp_op["PROSE / data-only"] = cmp_op["PROSE (given text)"] / cmp_op["data-only"]
wins = np.mean(eo["PROSE (given text)"] < eo["data-only"])
print(f"{len(fam_op)} paired test samples; PROSE (given text) more accurate than the data-only "
      f"model on {wins:.0%} of them")
cmp_op.round(3)

# %% [markdown]
# ## Reproduction check
#
# The headline claims: the decoded equations parse; they have the right skeleton even when
# the input skeleton was corrupted; integrated, they extrapolate; the operator output depends
# on the equation text; and PROSE is more accurate than the data-only model (on the paired test
# set above). Coefficients better than the family's nominal ones are asserted at `full` only
# (see the Discussion for the numbers at `ci`). Thresholds were calibrated on seeds 0–4, 7
# and 11 at the `ci` profile.

# %%
ratio = np.median(eo["PROSE (given text)"]) / np.median(eo["data-only"])
ratio_small = np.median(err["PROSE (given text)"]) / np.median(err["data-only"])
sym_ok = float(np.median(err["PROSE symbolic"][skel])) if skel.any() else float("inf")
nominal_ok = float(np.median(err["true skeleton, nominal coefficients"][skel])) if skel.any() else 1.0
ch.claims.greater("decoded equations that parse (all test samples)", valid.mean(), 0.9,
                  kind="headline", paper="valid expressions for almost all test samples")
ch.claims.greater("right skeleton when the input skeleton was corrupted", skel[corr > 0].mean(),
                  0.7, kind="headline", paper="robust to erroneously added or deleted terms",
                  note="copying the input skeleton would give 0")
ch.claims.less("decoded ODEs extrapolate: median relative $L^2$ of the symbolic forecast "
               "(right skeleton)", sym_ok, 0.25, kind="headline",
               paper="the generated equations, integrated, predict the trajectory",
               note=f"holding the last state: {np.median(err['hold last state']):.2f}")
ch.claims.greater("the forecast reads the equation: PROSE error, wrong family's skeleton / "
                  "right skeleton", np.median(err["PROSE (swap text)"])
                  / np.median(err["PROSE (clean text)"]), 1.5, kind="headline",
                  paper="the symbolic input improves the operator prediction",
                  note="the mechanism of the multimodal gain, asserted at every profile")
ch.claims.less("multimodal beats data-only: median rel. $L^2$ on paired test samples, "
               "PROSE / data-only", ratio, 0.9, kind="headline",
               paper="PROSE more accurate than the data-only operator model",
               note=f"{len(fam_op)} samples: PROSE {np.median(eo['PROSE (given text)']):.3f}, "
                    f"data-only {np.median(eo['data-only']):.3f} (small test set: "
                    f"{ratio_small:.2f})")
ch.claims.greater("right skeleton, all test samples (30 % of input skeletons corrupted)",
                  skel.mean(), 0.85, kind="paper",
                  paper="robust to erroneously added or deleted terms",
                  note=f"copying the input skeleton would give {(corr == 0).mean():.2f}")
ch.claims.less("decoded coefficients beat the family's nominal ones: symbolic / nominal error",
               sym_ok / nominal_ok, 1.0, asserted_at="full",
               paper="coefficients are inferred from the data",
               note=f"nominal coefficients with the true skeleton: {nominal_ok:.3f}")
ch.claims.less("data-only model beats holding the last state (error ratio)",
               np.median(err["data-only"]) / np.median(err["hold last state"]), 1 / 3,
               kind="paper", paper="the operator network learns the dynamics")
ch.claims.less("robust to corrupted text: PROSE error, one term deleted / clean skeleton",
               np.median(err["PROSE (delete text)"]) / np.median(err["PROSE (clean text)"]),
               1.3, kind="paper", paper="robust to erroneously deleted terms")
ch.claims.less("robust to corrupted text: PROSE error, one term added / clean skeleton",
               np.median(err["PROSE (add text)"]) / np.median(err["PROSE (clean text)"]),
               1.3, kind="paper", paper="robust to erroneously added terms")
ch.claims.less("generator vs per-trajectory DOP853 (max relative $L^2$)", max(gen_err), 1e-3,
               kind="sanity")
ch.claims.greater("every target sequence decodes back to its equation", round_trip, 0.9999,
                  kind="sanity")

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion
#
# **What matched.** One small network, trained for 800 steps on four families at once, writes
# equations that parse (100 % of the test samples on every seed we tried), names the right
# skeleton for 92–99 % of all test samples and — the robustness the paper claims — for
# 90–96 % of the samples whose input skeleton had a term added or deleted (copying the input
# would give 0 %). Integrated from the last noisy observation, the decoded equations
# extrapolate over the 48 unobserved grid points with a median relative $L^2$ error of
# 0.09–0.13 (holding the last state: 1.3). The operator output reads the text: the skeleton
# of the wrong family raises PROSE's median error 2.0–3.7 times, one added or deleted term
# by only 1–21 % (the paper's robustness to erroneous terms). And PROSE predicts better than
# the data-only network on every seed: on 800 paired test samples the ratio of median errors
# is 0.53–0.83 over seeds 0–4, 7, 11 and 2026; in the 500-step version the gain was largest
# on Van der Pol (0.50–0.58 of the data-only error), whose family the 16 observed points do
# not pin down.
#
# **800 steps, not 500.** The chapter first trained both models for 500 steps. A lead's run
# of every chapter at seed 2026, which nobody had calibrated on, then failed both text
# headlines: PROSE / data-only 1.006 (< 0.9) and wrong-family / right skeleton 1.48 (> 1.5),
# with PROSE's final training loss 1.04 — a PROSE that had not yet learned to use the text
# well; the data-only model was as good as ever (0.296). With 800 steps (both models; ≈ 20 s
# more CPU) seed 2026 reads 0.798 and 2.29, and every claim passes at seeds 0–4, 7, 11 and
# 2026 (values below, remeasured); 500 steps also passed at seeds 5, 6 and 8 (0.68–0.77).
#
# **How the multimodal gain became reliable.** In an earlier version of this chapter the
# ratio ranged over 0.71–1.02 (seeds 0–4, 7, 11), so the claim was only reported. We took the
# training apart at seeds 0 (ratio 0.71) and 11 (1.02). *PROSE did use the text*: in the
# fusion blocks the data tokens put 62–76 % of their attention on the text tokens, and with
# an empty skeleton at test PROSE's median error rose to 0.46–0.56 (data-only: 0.29–0.34).
# *Nor was its operator half under-trained*: over the last 100 steps its training data loss was
# *lower* than the data-only model's on both seeds (0.12 and 0.16 against 0.19 and 0.21), even
# at seed 11, where it lost on the test set — it fitted the training trajectories better
# without generalising better. Two departures from the official code (`prose_ode`:
# `parsers.py`, `trainer.py`, `model/transformer.py`; its loss weight 6, AdamW with weight
# decay $10^{-4}$, clipping at 1 and no dropout we already followed) explained it. (i) *The
# embeddings*: we had left PyTorch's $\mathcal N(0,1)$ for the token embedding, which the text
# read-out shares, so the text loss started at 19 instead of $\log|V|\approx4.8$ and its
# gradients (norm 20–50 before clipping, against 3–5 for the data-only model) drove the shared
# encoder early on; the official `Embedding` draws $\mathcal N(0,1/w)$. With that alone the
# ratio went from 1.02 to 0.96 at seed 11, 0.96 to 0.86 at seed 3 and 0.86 to 0.79 at seed 7,
# and the final text loss from 0.40 to 0.32. (ii) *The noise*: we drew the 2 % noise once per
# dataset, and a lower training loss with no better test error looks like PROSE, which can
# tell the equations apart, fitting that one noise realisation in its four epochs; the
# official trainer draws the noise afresh for every batch. With both, seed 11 went to 0.84
# (0.77 in a screening run that drew the modality embeddings in another order) and every seed
# we tried is below 0.84; the data-only model trains on the same fresh noise (its median error
# is now 0.30–0.37, before 0.29–0.37). PROSE still leans on the text as before: with an empty
# skeleton its median error at seed 0 is 0.48 (the table above; 0.78–0.80 on Van der Pol and
# Duffing), against 0.31 for the data-only model. A linear decay of the learning rate at the end (not in the
# official code) gave 0.74 at seed 11 with the new initialisation; we did not adopt it, since
# the two official details were enough.
#
# **What did not match, and why.** (1) *The decoded coefficients are not yet better than the
# family's nominal ones*: the median symbolic error with the right skeleton and nominal
# coefficients is 0.08–0.11 (seeds 0–4, 7, 11), against 0.10–0.13 with the decoded
# coefficients (ratio 1.05–1.41); 800 steps teach the decoder the grammar and the skeletons,
# not yet to read coefficients to 2 digits off 16 noisy points. The claim that the decoded
# coefficients beat the prior is therefore asserted at `full` only. (2) Repairing a corrupted
# skeleton needs little data here: with four families, a skeleton with one term added or
# removed is still closest to its own family's, and in the earlier version a text decoder
# that saw *only* the text (the fusion bypassed) repaired 52 % of them at seed 0 (56 % with
# the fusion). (3) Before settling on the observed window of 16 points ($t<0.95$) we tried 24
# points at seed 0: the data alone then pin the family down and the gain vanished (ratio 1.02).
#
# **Values over seeds 0–4, 7 and 11 (ci) against the thresholds**, with 800 steps (worst
# margin in brackets; the text thresholds were tightened once the text loss started at chance
# level): multimodal / data-only on the paired set 0.707, 0.825, 0.671, 0.706, 0.663 (seeds
# 0–4), 0.533 (seed 7), 0.817 (seed 11) (< 0.9; 0.075), on the small test set 0.56–0.84;
# parse 1.000 on every seed (> 0.9; 0.10); right skeleton under corruption 0.904–0.955
# (> 0.7; 0.20); symbolic forecast 0.091–0.132 (< 0.25; 0.12); wrong-family / right
# skeleton 1.97–3.69 (> 1.5; 0.47); right skeleton, all 0.922–0.985 (> 0.85; 0.07);
# data-only / hold-last 0.186–0.264 (< 1/3; 0.07); one term deleted / clean 1.07–1.21 and one
# term added / clean 1.01–1.12 (< 1.3; 0.09). Seed 2026 (not used to set them): 0.798, 1.000,
# 0.911, 0.116, 2.29, 0.973, 0.195, 1.15, 1.03. Per family (500-step version), PROSE /
# data-only: damped oscillator 0.79–1.08, Van der Pol 0.50–0.58, Duffing 0.64–0.92,
# Lotka–Volterra 0.72–1.19 — the gain was largest and steadiest on Van der Pol and Duffing.
#
# **Breaking the method** (seed 0, the notebook rerun with the method broken). *Text branch
# dropped* (PROSE gets an empty skeleton — BOS, EOS — in training and at test; rerun with 800
# steps): the multimodal headline fails (0.968 against < 0.9: PROSE is then a data-only model
# with more blocks), the headline "the forecast reads the equation" fails (1.000 against
# > 1.5: there is nothing to read), and the right-skeleton share of all samples falls to 0.77
# (< 0.85 fails); the decoder still writes parseable equations with the right skeleton for
# 78 % of the corrupted inputs and a symbolic error of 0.12, from the data alone. The next
# sabotage was run with 500 steps. *Skeletons randomised at test* (every test
# sample's input is the clean skeleton of a random family, the model trained as usual): the
# multimodal headline fails (1.11: a wrong text makes PROSE worse than the data-only model),
# and both right-skeleton checks fail (0.43 under corruption, needs > 0.7; 0.41 overall, needs
# > 0.85); the checks that give PROSE its own variants of the right skeleton (wrong-family /
# right 2.75, one term added or deleted) still pass, as they should. In the earlier version of
# the chapter, removing the causal mask of the text decoder made every text check fail (no
# greedy decoding parsed), while bypassing the fusion (the text decoder reading the text
# encoder only) broke no check — finding (2) above.
#
# **Where the chapter deviates, and why.** Four 2-d polynomial families instead of the paper's
# 15 chaotic 3-d ones: over a window of a few time units, chaotic trajectories are far beyond
# what a width-64 network learns in 800 CPU steps. 2 significant digits per number (official
# 3); width 64, (1, 1, 2, 2, 2) blocks, 800 steps of 32 samples, a random subset of 16 query
# times per sample in the data loss, learning rate 1e-3 (official: 512, (2, 4, 8, 8, 8),
# 160 000 steps of 256, all query times, 1e-4 with a 20 000-step warm-up). Our blocks are
# pre-LayerNorm (official: post-LayerNorm, with a LayerNorm on each module's input) and the
# query times are embedded by a two-layer MLP (official: one linear layer). Errors are measured
# against the clean solution. The `full` profile keeps the same families with the official
# grid (192 points on [0, 6], 64 observed), 3 digits, width 256 and (2, 4, 4, 4, 4) blocks,
# 6 000 steps of 64 on 80 000 trajectories; its code path is the one run here, but it was not
# run at full size while writing this chapter, so its full-only claim is uncalibrated.
#
# **Cost.** `paper.estimate_seconds` puts the `ci` run at 56 s of own compute on an idle
# 2-core runner (PROSE 36 s, the data-only model 10 s, data and evaluation 5 s, the paired
# operator test set under 1 s). Measured on the shared 2-core machine, the record's own
# compute at seed 0 was 68 s at a load of about 2 before the two training details above were
# changed; they cost nothing measurable (one Gaussian draw per batch; the CPU time of the two
# trainings stayed at 33–45 s and 7–13 s over the seven calibration seeds, measured at a load
# of 6–8), nor does the empty-text column of the paired table (one more forward pass, under
# 1 s). With 6–8 other jobs on the machine the record's own compute was 196 s; earlier runs
# while 10–20 other jobs ran took 71–94 s of CPU time, hence this chapter's 90 s budget.

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {cite:p}`liu2023prose` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
