r"""Liu, Zhang & Schaeffer (2023), *PROSE: Predicting Operators and Symbolic Expressions using
Multimodal Transformers* (arXiv:2309.16816; Neural Networks 180, 2024).

What is implemented
-------------------
One transformer, trained over a whole family of parametric ODE systems, that reads two
modalities — a short noisy trajectory window and a (possibly corrupted) symbolic *skeleton* of
the governing equations — and writes two outputs: the future trajectory at arbitrary query times
and the full equations with numerical coefficients. The official code is ``felix-lyx/prose``
(folder ``prose_ode``, built on ``facebookresearch/symbolicregression``); we follow its
structure and defaults with smaller sizes. Read for this chapter: ``parsers.py`` (defaults),
``symbolicregression/trainer.py`` (losses, noise) and ``symbolicregression/model/transformer.py``
(the modules). Two details we had missed and now follow: token and modality-type embeddings
are initialised N(0, 1/w) with a zero padding row (their ``Embedding``; PyTorch's default
N(0, 1) made the tied text read-out start at a loss of ~19 instead of log(vocab) ~ 4.8), and
the training noise is drawn afresh for every batch on the clean trajectories (their
``train_noise_gamma``), not fixed once per dataset. Where we still depart: our blocks are
pre-LayerNorm (official: post-LayerNorm, with a LayerNorm on every module's input embedding)
and the query times go through a two-layer MLP (official: one linear layer).

**Data** (:func:`make_dataset`). A family is a list of polynomial right-hand sides
:math:`\dot u_j=\sum_k c_{jk}\,u^{\alpha_{jk}}` with nominal coefficients; each equation draws
every coefficient uniformly in nominal :math:`\times[1-\gamma, 1+\gamma]`, :math:`\gamma=0.1`,
rounded to the float precision; initial conditions are uniform in a box; several ICs share one
equation. Trajectories are integrated with scipy's ``solve_ivp`` (all ICs of a family as one
vectorised system, RK45, rtol 1e-7, atol 1e-8) on an equispaced grid; blown-up runs
(:math:`|u|>10^3`) are rejected. Additive noise is white Gaussian rescaled to 2 % of the whole
trajectory's L2 norm, added before the input/target split (targets are noisy too), as in the
official generator; the stored noisy copy is what the models see at test, while training draws
new noise for every batch (:func:`train`), as the official trainer does.

**Text** (:class:`Tokenizer`). Polish (prefix) notation: ``add``, ``mul``, ``pow2``,
``pow3``, variables ``u0…``, components separated by ``|``; a number is three tokens — sign,
mantissa (``float_precision`` significant digits, one token) and exponent
(:math:`x=\pm m\cdot10^{e}`). The *input* is the skeleton (every number replaced by the
placeholder ``<c>``), corrupted with probability 0.15 by adding a term (a constant, linear or
quadratic monomial) and with probability 0.15 by deleting one; the *target* is always the clean
full expression.

**Model** (:class:`PROSE`), eqs. (1)–(5) of the chapter:

1. data embedder: MLP :math:`(t_i,u_i)\mapsto` width :math:`w` (GELU), then a data encoder of
   self-attention blocks, no positional encoding (time is in the token);
2. text encoder: token embedding (shared with the text decoder's read-out) + sinusoidal
   positions, self-attention blocks;
3. fusion: self-attention blocks over [data features; text features] + learned modality
   embeddings;
4. data (operator) decoder: query times through an MLP, blocks with **cross-attention only**
   (no self-attention among queries) to the **data part** of the fused features, linear
   read-out to :math:`d`;
5. text decoder: causal self-attention + cross-attention to the **text part** of the fused
   features; greedy decoding.

All blocks are pre-LayerNorm with a one-hidden-layer GELU FFN (``nonlinlab.models.gpt.MLP``);
the text decoder's causal self-attention is ``nonlinlab.models.gpt.CausalSelfAttention``.
``use_text=False`` gives the data-only operator model of the paper's ablation as the official
code builds it (flag ``no_text``): the same data embedder, data encoder and data decoder, no
text encoder, no fusion, no text decoder, and the data loss alone.

**Loss**: :math:`\mathcal L=\lambda\,\mathcal L_{data}+\mathcal L_{text}`, :math:`\lambda=6`,
with :math:`\mathcal L_{data}=\frac1B\sum_b\lVert\hat u_b-u_b\rVert^2/(\lVert u_b\rVert^2+\epsilon)`
(a relative squared L2 error over the target window) and :math:`\mathcal L_{text}` the token
cross-entropy (teacher forcing). Adam(W) with weight decay 1e-4, linear warm-up then
inverse-square-root decay, gradient clipping at 1; fresh 2 % noise on every training batch.

**The multimodal gain** is measured on a separate, larger operator test set
(``n_eq_op_test`` new equations per family x 4 ICs; only the operator outputs, which are
cheap): PROSE and the data-only model predict the *same* samples, and the claim compares
their median relative L2 errors.

**Evaluation**: relative L2 error of the operator output on the target window; the fraction of
decoded sequences that parse; the fraction with the right skeleton (same monomials in every
component); and the *symbolic* forecast — the decoded ODE integrated by ``solve_ivp`` from the
last observed (noisy) state.

Deviations (scale, not ideas): 2-d non-chaotic polynomial families (damped oscillator, Van
der Pol, Duffing, Lotka–Volterra) instead of the paper's 3-d chaotic ones; at ci a grid of 64
points on [0, 4] with the first 16 observed (official: 192 points on [0, 6], 64 observed),
2 significant digits per number (official 3), width 64 and (1, 1, 2, 2, 2) blocks (official
512 and (2, 4, 8, 8, 8)), 800 steps of 32 samples (official 160 000 of 256) with a random
subset of 16 query times per sample in the data loss (the operator decoder treats every query
alone, so this is an unbiased estimate of the full loss); the learning rate is 1e-3 (official
1e-4, with a 20 000-step warm-up). Every test equation is integrated from the last *noisy*
observation; errors are measured against the clean solution.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from scipy.integrate import solve_ivp
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..models.gpt import MLP, CausalSelfAttention, GPTConfig

# --------------------------------------------------------------------------------------
# Paper numbers (official defaults) and the ODE families
# --------------------------------------------------------------------------------------

PARAM_GAMMA = 0.1        #: coefficients uniform in nominal x [1 - 0.1, 1 + 0.1]
NOISE_GAMMA = 0.02       #: additive noise, 2 % of the trajectory's L2 norm
P_ADD, P_DELETE = 0.15, 0.15  #: text corruption: add a term / delete a term
DATA_LOSS_WEIGHT = 6.0   #: L = 6 L_data + L_text
WEIGHT_DECAY = 1e-4
GRAD_CLIP = 1.0


@dataclass(frozen=True)
class Family:
    """``terms[j]`` = ((exponents, nominal coefficient), ...) of component j of du/dt."""

    name: str
    terms: tuple
    ic_low: float
    ic_high: float

    @property
    def dim(self) -> int:
        return len(self.terms)

    def skeleton(self) -> tuple:
        return tuple(frozenset(e for e, _ in comp) for comp in self.terms)


FAMILIES = {
    "damped oscillator": Family("damped oscillator", (
        (((0, 1), 1.0),),
        (((1, 0), -4.0), ((0, 1), -0.3))), -2.0, 2.0),
    "Van der Pol": Family("Van der Pol", (
        (((0, 1), 1.0),),
        (((1, 0), -1.0), ((0, 1), 1.0), ((2, 1), -1.0))), -2.0, 2.0),
    "Duffing": Family("Duffing", (
        (((0, 1), 1.0),),
        (((1, 0), 1.0), ((3, 0), -1.0), ((0, 1), -0.2))), -2.0, 2.0),
    "Lotka-Volterra": Family("Lotka-Volterra", (
        (((1, 0), 1.1), ((1, 1), -0.4)),
        (((1, 1), 0.1), ((0, 1), -0.4))), 1.0, 5.0),
}


# --------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    families: tuple = tuple(FAMILIES)
    t_end: float = 4.0          # time grid [0, t_end]
    t_num: int = 64             # grid points
    t_input: int = 24           # first t_input points are the input window
    n_eq: int = 100             # equations per family (train)
    n_ic: int = 10              # initial conditions per equation
    n_eq_test: int = 25         # equations per family (test)
    float_precision: int = 2    # significant digits of a number (official: 3)
    width: int = 64
    heads: int = 4
    layers: tuple = (1, 1, 2, 2, 2)  # data enc, text enc, fusion, data dec, text dec
    steps: int = 900
    batch: int = 64
    lr: float = 1e-3
    warmup: int = 100
    n_query_train: int = 0      # query times per training sample (0: the whole window)
    max_decode: int = 48
    n_eq_op_test: int = 0       # equations per family of the extra operator test set (0: none)

    def check(self):
        require(all(f in FAMILIES for f in self.families), f"unknown family in {self.families}")
        require(len({FAMILIES[f].dim for f in self.families}) == 1,
                "all families of a run must have the same dimension")
        require(0 < self.t_input < self.t_num, "t_input must lie in (0, t_num)")
        require(self.width % self.heads == 0, "heads must divide width")
        require(len(self.layers) == 5 and min(self.layers) >= 1, "five layer counts >= 1")
        require(self.float_precision in (1, 2, 3, 4), "float_precision in 1..4")
        require(self.steps > 0 and self.batch > 0 and self.n_eq > 0 and self.n_ic > 0,
                "sizes must be positive")
        require(self.n_eq_op_test >= 0, "n_eq_op_test >= 0")

    @property
    def dim(self) -> int:
        return FAMILIES[self.families[0]].dim


CONFIGS = Profiles(
    ci=Config(t_input=16, n_eq_test=10, batch=32, steps=800, warmup=50, n_query_train=16,
              n_eq_op_test=50),
    full=Config(t_end=6.0, t_num=192, t_input=64, n_eq=2000, n_ic=10, n_eq_test=100,
                float_precision=3, width=256, heads=8, layers=(2, 4, 4, 4, 4), steps=6000,
                batch=64, lr=3e-4, warmup=600, n_query_train=64, max_decode=64,
                n_eq_op_test=200),
)


def _token_layers(cfg: Config, text: bool) -> float:
    """Tokens x blocks of one training sample (the text lengths are those of these families)."""
    de, te, fu, dd, td = cfg.layers
    n_text = 13 * cfg.dim
    nq = cfg.n_query_train or cfg.t_num - cfg.t_input
    if not text:
        return de * cfg.t_input + dd * nq
    return (de * cfg.t_input + te * n_text + fu * (cfg.t_input + n_text) + dd * nq
            + td * n_text * 1.35)  # decoder blocks also cross-attend


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper: 12 w^2 multiply-adds per token and block (attention projections
    and the 4w feed-forward layer), x3 for the backward pass, for PROSE and the data-only
    model; plus data generation (~0.3 ms per trajectory) and the evaluation (greedy decoding
    of the test set, recomputing the prefix at every step, and ~3 ms of ``solve_ivp`` per
    decoded equation). Rates: ci, 2 CPU cores
    at ~3e10 flop/s (measured: 0.08 s per PROSE step on one loaded core); full, a GPU at
    ~4e12 flop/s effective for these small matrices, plus ~10 ms of kernel launches per
    step."""
    ci = cfg.width <= 128
    rate, overhead = (3e10, 0.0) if ci else (4e12, 0.01)
    per_token_layer = 3 * 2 * 12 * cfg.width ** 2
    train = sum(cfg.steps * (cfg.batch * per_token_layer * _token_layers(cfg, text) / rate
                             + overhead) for text in (True, False))
    n_test = len(cfg.families) * cfg.n_eq_test * cfg.n_ic
    n_all = len(cfg.families) * (cfg.n_eq + cfg.n_eq_test) * cfg.n_ic
    n_text = 13 * cfg.dim  # greedy decoding without a cache: sum_k k tokens per decoder block
    decode = n_test * cfg.layers[4] * n_text ** 2 / 2 * per_token_layer / 3 / rate
    n_op = len(cfg.families) * cfg.n_eq_op_test * 4  # the operator test set: data + 3 passes
    whole = cfg.replace(n_query_train=0)
    op = n_op * (3e-4 + (2 * _token_layers(whole, True) + _token_layers(whole, False))
                 * per_token_layer / 3 / rate)
    return train + 3e-4 * n_all + decode + 3e-3 * n_test + op + 2.0


# --------------------------------------------------------------------------------------
# ODE data
# --------------------------------------------------------------------------------------


def round_sig(x, digits: int):
    """Round to ``digits`` significant digits (the float precision of the text)."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    nz = x != 0
    e = np.floor(np.log10(np.abs(x[nz])))
    scale = 10.0 ** (e - digits + 1)
    out[nz] = np.round(x[nz] / scale) * scale
    return out


def monomials(u: np.ndarray, exps: np.ndarray) -> np.ndarray:
    """``u`` (N, d), ``exps`` (K, d) -> (N, K) values of :math:`u^\\alpha`."""
    return np.prod(u[:, None, :] ** exps[None, :, :], axis=-1)


def poly_rhs(coefs: np.ndarray, exps: np.ndarray, comp: np.ndarray):
    """Vectorised polynomial field for N systems: ``coefs`` (N, K), ``exps`` (K, d), ``comp``
    (K,) the component each term feeds. Returns ``f(t, y)`` for ``solve_ivp`` on the flat state
    of shape (N*d,)."""
    N, d = coefs.shape[0], exps.shape[1]
    onehot = np.eye(d)[comp]  # (K, d)

    def f(t, y):
        u = y.reshape(N, d)
        return ((coefs * monomials(u, exps)) @ onehot).ravel()  # du_j/dt = sum_k c_k u^a_k

    return f


def family_arrays(fam: Family):
    """(exps (K, d), comp (K,), nominal (K,)) of a family's terms, in a fixed order."""
    exps, comp, nominal = [], [], []
    for j, terms in enumerate(fam.terms):
        for e, c in terms:
            exps.append(e)
            comp.append(j)
            nominal.append(c)
    return np.array(exps, dtype=float), np.array(comp), np.array(nominal)


def integrate(coefs, exps, comp, u0, t, rtol=1e-7, atol=1e-8, method="RK45"):
    """All N systems at once (one ``solve_ivp`` call on the stacked state). Returns (N, T, d)
    with NaN rows for runs that did not finish."""
    N, d = u0.shape
    sol = solve_ivp(poly_rhs(coefs, exps, comp), (t[0], t[-1]), u0.ravel(), t_eval=t,
                    method=method, rtol=rtol, atol=atol)
    out = np.full((N, len(t), d), np.nan)
    if sol.status == 0:
        out[:] = sol.y.T.reshape(len(t), N, d).transpose(1, 0, 2)
    return out


@dataclass
class Dataset:
    """Trajectories ``u`` (N, T, d) with noise, ``clean`` without, grid ``t``, the equations
    (``family`` index per sample, ``coefs`` per family), and the token sequences."""

    t: np.ndarray
    u: np.ndarray
    clean: np.ndarray
    family: np.ndarray
    coefs: list  # per sample: (K,) coefficients of its family's terms
    text_in: list  # corrupted skeleton tokens
    text_clean_skel: list
    text_out: list  # full expression tokens
    corrupted: np.ndarray  # 0 none, 1 added, 2 deleted
    families: tuple = field(default_factory=tuple)


def simulate_family(fam: Family, n_eq: int, n_ic: int, t: np.ndarray, digits: int,
                    rng: np.random.Generator):
    """Coefficients (n, K) and clean trajectories (n, T, d) of ``n_eq`` equations x ``n_ic``
    ICs, blown-up or failed runs rejected."""
    exps, comp, nominal = family_arrays(fam)
    c = nominal * rng.uniform(1 - PARAM_GAMMA, 1 + PARAM_GAMMA, (n_eq, len(nominal)))
    c = round_sig(c, digits)
    coefs = np.repeat(c, n_ic, axis=0)
    u0 = rng.uniform(fam.ic_low, fam.ic_high, (n_eq * n_ic, fam.dim))
    traj = integrate(coefs, exps, comp, u0, t)
    ok = np.isfinite(traj).all(axis=(1, 2)) & (np.abs(traj).max(axis=(1, 2)) < 1e3)
    return coefs[ok], traj[ok]


def add_noise(u: np.ndarray, gamma: float, rng: np.random.Generator) -> np.ndarray:
    """White noise rescaled to ``gamma`` times each trajectory's L2 norm."""
    w = rng.standard_normal(u.shape)
    scale = gamma * np.linalg.norm(u, axis=(1, 2)) / np.linalg.norm(w, axis=(1, 2))
    return u + scale[:, None, None] * w


def make_dataset(cfg: Config, n_eq: int, rng: np.random.Generator, tok: Tokenizer,
                 noise: float = NOISE_GAMMA, p_add: float = P_ADD,
                 p_delete: float = P_DELETE) -> Dataset:
    t = np.linspace(0.0, cfg.t_end, cfg.t_num)
    us, fams, coefs, tin, tskel, tout, corr = [], [], [], [], [], [], []
    for i, name in enumerate(cfg.families):
        fam = FAMILIES[name]
        c, u = simulate_family(fam, n_eq, cfg.n_ic, t, cfg.float_precision, rng)
        us.append(u)
        fams += [i] * len(u)
        for row in c:
            eq = equation(fam, row)
            skel = tuple(frozenset(m) for m in eq)
            noisy, kind = corrupt_skeleton(skel, rng, p_add, p_delete)
            coefs.append(row)
            tin.append(tok.encode_skeleton(noisy))
            tskel.append(tok.encode_skeleton(skel))
            tout.append(tok.encode(eq))
            corr.append(kind)
    clean = np.concatenate(us)
    u = add_noise(clean, noise, rng) if noise > 0 else clean.copy()
    return Dataset(t, u, clean, np.array(fams), coefs, tin, tskel, tout, np.array(corr),
                   tuple(cfg.families))


def equation(fam: Family, coefs) -> tuple:
    """The equation as a tuple of per-component dicts {exponents: coefficient}."""
    exps, comp, _ = family_arrays(fam)
    eq = [dict() for _ in range(fam.dim)]
    for e, j, c in zip(exps, comp, coefs, strict=True):
        eq[j][tuple(int(a) for a in e)] = float(c)
    return tuple(eq)


def term_library(d: int) -> list:
    """Monomials a corruption may add: the constant, linear and quadratic ones."""
    lib = [tuple([0] * d)]
    for i in range(d):
        lib.append(tuple(int(k == i) for k in range(d)))
    for i in range(d):
        for j in range(i, d):
            e = [0] * d
            e[i] += 1
            e[j] += 1
            lib.append(tuple(e))
    return lib


def corrupt_skeleton(skel: tuple, rng: np.random.Generator, p_add: float, p_delete: float):
    """With probability ``p_add`` add a random library term to a random component, else with
    probability ``p_delete`` delete a random term (a component keeps at least one).
    Returns (skeleton, kind) with kind 0 none, 1 added, 2 deleted."""
    r = rng.random()
    skel = [set(c) for c in skel]
    d = len(skel)
    if r < p_add:
        j = int(rng.integers(d))
        options = [m for m in term_library(d) if m not in skel[j]]
        skel[j].add(options[int(rng.integers(len(options)))])
        return tuple(frozenset(c) for c in skel), 1
    if r < p_add + p_delete:
        comps = [j for j in range(d) if len(skel[j]) > 1]
        if comps:
            j = comps[int(rng.integers(len(comps)))]
            terms = sorted(skel[j])
            skel[j].remove(terms[int(rng.integers(len(terms)))])
            return tuple(frozenset(c) for c in skel), 2
    return tuple(frozenset(c) for c in skel), 0


# --------------------------------------------------------------------------------------
# Prefix-notation tokenizer
# --------------------------------------------------------------------------------------


class Tokenizer:
    """Prefix (Polish) notation for polynomial ODE systems; see the module docstring.

    ``encode(eq)`` -> token ids (BOS ... EOS); ``decode(ids)`` -> tuple of per-component dicts
    {exponents: coefficient}, or ``None`` when the sequence does not parse.
    """

    SPECIAL = ("<pad>", "<bos>", "<eos>", "|", "add", "mul", "pow2", "pow3", "<c>", "+", "-")

    def __init__(self, dim: int, precision: int, max_exponent: int = 4):
        self.dim, self.precision, self.max_exponent = dim, precision, max_exponent
        self.mantissas = list(range(10 ** (precision - 1), 10 ** precision))
        self.words = (list(self.SPECIAL) + [f"u{i}" for i in range(dim)]
                      + [f"N{m}" for m in self.mantissas]
                      + [f"E{e}" for e in range(-max_exponent, max_exponent + 1)])
        self.index = {w: i for i, w in enumerate(self.words)}
        self.pad, self.bos, self.eos = 0, 1, 2

    def __len__(self) -> int:
        return len(self.words)

    # ---- numbers: sign, mantissa, exponent ---------------------------------------------
    def float_words(self, x: float) -> list:
        if x == 0:
            raise ValueError("zero coefficients are not written")
        e = math.floor(math.log10(abs(x))) - self.precision + 1
        m = round(abs(x) / 10.0 ** e)
        if m >= 10 ** self.precision:  # rounding carried into a new digit
            m, e = m // 10, e + 1
        if not -self.max_exponent <= e <= self.max_exponent:
            raise ValueError(f"{x} is outside the exponent range of the tokenizer")
        return ["+" if x > 0 else "-", f"N{m}", f"E{e}"]

    def monomial_words(self, exps) -> list:
        factors = []
        for i, a in enumerate(exps):
            if a == 1:
                factors.append([f"u{i}"])
            elif a in (2, 3):
                factors.append([f"pow{a}", f"u{i}"])
            elif a > 3:
                raise ValueError("exponents above 3 are not in the vocabulary")
        words = factors[-1] if factors else []
        for f in reversed(factors[:-1]):
            words = ["mul", *f, *words]
        return words

    def component_words(self, terms: dict, skeleton: bool = False) -> list:
        items = sorted(terms.items()) if isinstance(terms, dict) else [(m, None) for m in
                                                                         sorted(terms)]
        if not items:
            raise ValueError("a component needs at least one term")
        parts = []
        for m, c in items:
            num = ["<c>"] if skeleton else self.float_words(c)
            mono = self.monomial_words(m)
            parts.append(["mul", *num, *mono] if mono else num)
        words = parts[-1]
        for p in reversed(parts[:-1]):
            words = ["add", *p, *words]
        return words

    def words_of(self, eq, skeleton: bool = False) -> list:
        out = ["<bos>"]
        for j, comp in enumerate(eq):
            if j:
                out.append("|")
            out += self.component_words(comp, skeleton)
        return out + ["<eos>"]

    def encode(self, eq) -> list:
        return [self.index[w] for w in self.words_of(eq)]

    def encode_skeleton(self, skel) -> list:
        return [self.index[w] for w in self.words_of(skel, skeleton=True)]

    # ---- decoding -------------------------------------------------------------------------
    def decode(self, ids) -> tuple | None:
        words = [self.words[int(i)] for i in ids]
        if words and words[0] == "<bos>":
            words = words[1:]
        if "<eos>" not in words:
            return None
        words = words[:words.index("<eos>")]
        comps, cur = [], []
        for w in words + ["|"]:
            if w == "|":
                comps.append(cur)
                cur = []
            else:
                cur.append(w)
        if len(comps) != self.dim:
            return None
        out = []
        for c in comps:
            try:
                poly, pos = self._parse(c, 0)
            except (IndexError, ValueError):
                return None
            if pos != len(c):
                return None
            out.append({m: v for m, v in poly.items() if v != 0})
        return tuple(out)

    def _parse(self, w: list, i: int):
        """Recursive descent on prefix words -> ({exponents: coef}, next position)."""
        tok = w[i]
        if tok == "add":
            a, i = self._parse(w, i + 1)
            b, i = self._parse(w, i)
            out = dict(a)
            for m, v in b.items():
                out[m] = out.get(m, 0.0) + v
            return out, i
        if tok == "mul":
            a, i = self._parse(w, i + 1)
            b, i = self._parse(w, i)
            out = {}
            for ma, va in a.items():
                for mb, vb in b.items():
                    m = tuple(x + y for x, y in zip(ma, mb, strict=True))
                    out[m] = out.get(m, 0.0) + va * vb
            return out, i
        if tok in ("pow2", "pow3"):
            a, i = self._parse(w, i + 1)
            out = {tuple([0] * self.dim): 1.0}
            for _ in range(int(tok[-1])):
                out, _ = self._parse_product(out, a)
            return out, i
        if tok in ("+", "-"):
            m, e = w[i + 1], w[i + 2]
            if not (m.startswith("N") and e.startswith("E")):
                raise ValueError("malformed number")
            val = int(m[1:]) * 10.0 ** int(e[1:]) * (1 if tok == "+" else -1)
            return {tuple([0] * self.dim): val}, i + 3
        if tok.startswith("u") and tok[1:].isdigit():
            k = int(tok[1:])
            return {tuple(int(j == k) for j in range(self.dim)): 1.0}, i + 1
        raise ValueError(f"unexpected token {tok}")

    @staticmethod
    def _parse_product(a: dict, b: dict):
        out = {}
        for ma, va in a.items():
            for mb, vb in b.items():
                m = tuple(x + y for x, y in zip(ma, mb, strict=True))
                out[m] = out.get(m, 0.0) + va * vb
        return out, None

    def to_sympy(self, ids):
        """A sympy expression per component, built from the prefix words by sympy itself (an
        independent path to :meth:`decode`, used by the tests)."""
        import sympy

        u = sympy.symbols([f"u{i}" for i in range(self.dim)])
        words = [self.words[int(i)] for i in ids if int(i) not in (self.bos, self.eos, self.pad)]
        comps = " ".join(words).split(" | ")

        def rec(ws, i):
            tok = ws[i]
            if tok in ("add", "mul"):
                a, i = rec(ws, i + 1)
                b, i = rec(ws, i)
                return (sympy.Add(a, b) if tok == "add" else sympy.Mul(a, b)), i
            if tok in ("pow2", "pow3"):
                a, i = rec(ws, i + 1)
                return sympy.Pow(a, int(tok[-1])), i
            if tok in ("+", "-"):
                val = sympy.Integer(int(ws[i + 1][1:])) * sympy.Integer(10) ** int(ws[i + 2][1:])
                return (val if tok == "+" else -val), i + 3
            return u[int(tok[1:])], i + 1

        return [sympy.expand(rec(c.split(), 0)[0]) for c in comps], u


def skeleton_of(eq) -> tuple:
    return tuple(frozenset(c) for c in eq)


def pad_sequences(seqs: list, pad: int = 0) -> torch.Tensor:
    L = max(len(s) for s in seqs)
    out = torch.full((len(seqs), L), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s)
    return out


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------


class MultiHeadAttention(nn.Module):
    """Softmax attention of queries ``x`` over keys/values ``mem``; ``key_pad`` (B, S) True
    where a key is padding."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x, mem, key_pad=None):
        B, T, W = x.shape
        S, H = mem.shape[1], self.heads
        q = self.q(x).view(B, T, H, W // H).transpose(1, 2)
        k, v = (z.view(B, S, H, W // H).transpose(1, 2) for z in self.kv(mem).split(W, -1))
        mask = None if key_pad is None else ~key_pad[:, None, None, :]
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(out.transpose(1, 2).reshape(B, T, W))


class Block(nn.Module):
    """Pre-LN block: [self-attention (causal or not)] -> [cross-attention] -> FFN."""

    def __init__(self, width: int, heads: int, self_attn: str | None = "full",
                 cross: bool = False):
        super().__init__()
        gcfg = GPTConfig(width=width, heads=heads, mlp_ratio=4.0)
        self.self_kind = self_attn
        if self_attn == "causal":
            self.sa = CausalSelfAttention(gcfg)
        elif self_attn == "full":
            self.sa = MultiHeadAttention(width, heads)
        self.ln_sa = nn.LayerNorm(width) if self_attn else None
        self.ca = MultiHeadAttention(width, heads) if cross else None
        self.ln_ca = nn.LayerNorm(width) if cross else None
        self.ln_ff = nn.LayerNorm(width)
        self.ff = MLP(gcfg)

    def forward(self, x, pad=None, mem=None, mem_pad=None):
        if self.self_kind == "causal":
            x = x + self.sa(self.ln_sa(x))
        elif self.self_kind == "full":
            h = self.ln_sa(x)
            x = x + self.sa(h, h, pad)
        if self.ca is not None:
            x = x + self.ca(self.ln_ca(x), mem, mem_pad)
        return x + self.ff(self.ln_ff(x))


def sinusoidal(n: int, width: int) -> torch.Tensor:
    pos = torch.arange(n, dtype=torch.float32)[:, None]
    i = torch.arange(0, width, 2, dtype=torch.float32)
    ang = pos / 10000 ** (i / width)
    out = torch.zeros(n, width)
    out[:, 0::2], out[:, 1::2] = torch.sin(ang), torch.cos(ang)
    return out


class PROSE(nn.Module):
    """The multimodal model (``use_text=True``) or the data-only operator model."""

    def __init__(self, dim: int, vocab: int, width: int, heads: int, layers: tuple,
                 use_text: bool = True, max_len: int = 256):
        super().__init__()
        de, te, fu, dd, td = layers
        self.dim, self.use_text = dim, use_text
        self.embed_data = nn.Sequential(nn.Linear(1 + dim, width), nn.GELU(),
                                        nn.Linear(width, width))             # eq. (1)
        self.data_enc = nn.ModuleList(Block(width, heads) for _ in range(de))
        if use_text:  # the official data-only model (``no_text``) has no fusion block
            self.fusion = nn.ModuleList(Block(width, heads) for _ in range(fu))   # eq. (3)
        self.modality = nn.Parameter(torch.zeros(2, width))
        self.embed_query = nn.Sequential(nn.Linear(1, width), nn.GELU(), nn.Linear(width, width))
        self.data_dec = nn.ModuleList(Block(width, heads, self_attn=None, cross=True)
                                      for _ in range(dd))                      # eq. (4)
        self.ln_data = nn.LayerNorm(width)
        self.read_data = nn.Linear(width, dim)
        if use_text:
            self.embed_text = nn.Embedding(vocab, width)
            self.register_buffer("pos", sinusoidal(max_len, width), persistent=False)
            self.text_enc = nn.ModuleList(Block(width, heads) for _ in range(te))   # eq. (2)
            self.text_dec = nn.ModuleList(Block(width, heads, self_attn="causal", cross=True)
                                          for _ in range(td))                  # eq. (5)
            self.ln_text = nn.LayerNorm(width)
        # The official code's ``Embedding``: N(0, 1/w), padding row zero (PyTorch's default
        # N(0, 1) makes the tied read-out's logits ~sqrt(w) at initialisation: text loss ~19).
        nn.init.normal_(self.modality, std=width ** -0.5)
        if use_text:
            nn.init.normal_(self.embed_text.weight, std=width ** -0.5)
            with torch.no_grad():
                self.embed_text.weight[0].zero_()

    def encode(self, t_in, u_in, text_in=None):
        """Fused features: (data part (B, N, w), text part (B, S, w) or None, text padding)."""
        x = self.embed_data(torch.cat([t_in[..., None], u_in], -1))
        for blk in self.data_enc:
            x = blk(x)
        n = x.shape[1]
        if not self.use_text:  # data-only: the data decoder reads the data encoder's output
            return x, None, None
        tpad = text_in == 0
        y = self.embed_text(text_in) + self.pos[:text_in.shape[1]]
        for blk in self.text_enc:
            y = blk(y, tpad)
        z = torch.cat([x + self.modality[0], y + self.modality[1]], 1)
        zpad = torch.cat([tpad.new_zeros(tpad.shape[0], n), tpad], 1)
        for blk in self.fusion:
            z = blk(z, zpad)
        return z[:, :n], z[:, n:], tpad   # split_fused_feature: data part / text part

    def forward_data(self, data_feat, t_query):
        q = self.embed_query(t_query[..., None])
        for blk in self.data_dec:
            q = blk(q, mem=data_feat)       # cross-attention only
        return self.read_data(self.ln_data(q))

    def forward_text(self, text_feat, text_pad, tokens):
        h = self.embed_text(tokens) + self.pos[:tokens.shape[1]]
        for blk in self.text_dec:
            h = blk(h, mem=text_feat, mem_pad=text_pad)
        return self.ln_text(h) @ self.embed_text.weight.T    # tied read-out

    def forward(self, t_in, u_in, t_query, text_in=None, text_out=None):
        data_feat, text_feat, tpad = self.encode(t_in, u_in, text_in)
        u_hat = self.forward_data(data_feat, t_query)
        logits = None
        if self.use_text and text_out is not None:
            logits = self.forward_text(text_feat, tpad, text_out[:, :-1])
        return u_hat, logits

    @torch.no_grad()
    def generate(self, t_in, u_in, text_in, max_len: int, bos: int = 1, eos: int = 2):
        """Greedy decoding of the full equation."""
        if not self.use_text:
            raise ValueError("the data-only model has no text decoder")
        _, text_feat, tpad = self.encode(t_in, u_in, text_in)
        seq = torch.full((u_in.shape[0], 1), bos, dtype=torch.long, device=u_in.device)
        done = torch.zeros(u_in.shape[0], dtype=torch.bool, device=u_in.device)
        for _ in range(max_len - 1):
            nxt = self.forward_text(text_feat, tpad, seq)[:, -1].argmax(-1)
            nxt = torch.where(done, torch.zeros_like(nxt), nxt)
            seq = torch.cat([seq, nxt[:, None]], 1)
            done |= nxt == eos
            if done.all():
                break
        return seq


def data_loss(u_hat: torch.Tensor, u: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """:math:`\\frac1B\\sum_b\\lVert\\hat u_b-u_b\\rVert^2/(\\lVert u_b\\rVert^2+\\epsilon)`."""
    num = ((u_hat - u) ** 2).flatten(1).sum(1)
    return (num / (u.flatten(1).pow(2).sum(1) + eps)).mean()


def text_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Token cross-entropy (teacher forcing), padding ignored."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target[:, 1:].reshape(-1),
                           ignore_index=0)


# --------------------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------------------


@dataclass
class Tensors:
    t_in: torch.Tensor
    u_in: torch.Tensor
    t_out: torch.Tensor
    u_out: torch.Tensor
    text_in: torch.Tensor
    text_out: torch.Tensor
    clean: torch.Tensor | None = None  # (N, T, d) noiseless trajectories (training: fresh noise)


def to_tensors(ds: Dataset, cfg: Config, text_in: list | None = None, u=None) -> Tensors:
    u = torch.tensor(ds.u if u is None else u, dtype=torch.float32)
    t = torch.tensor(ds.t, dtype=torch.float32)
    n = cfg.t_input
    N = u.shape[0]
    return Tensors(t[:n].expand(N, n), u[:, :n], t[n:].expand(N, len(t) - n), u[:, n:],
                   pad_sequences(ds.text_in if text_in is None else text_in),
                   pad_sequences(ds.text_out), torch.tensor(ds.clean, dtype=torch.float32))


def inverse_sqrt(warmup: int):
    """Linear warm-up then :math:`\\sqrt{\\text{warmup}/\\text{step}}` decay (multiplier)."""
    return lambda s: (s + 1) / warmup if s < warmup else math.sqrt(warmup / (s + 1))


def train(model: PROSE, data: Tensors, cfg: Config, seed: int, device, progress=None,
          desc: str = "PROSE", noise: float = NOISE_GAMMA) -> list:
    """Adam(W) + inverse-sqrt schedule on random mini-batches; returns the loss history. As in
    the official trainer, every batch gets fresh additive noise (``noise`` times each whole
    trajectory's L2 norm, before the input/target split) drawn on the clean trajectories;
    ``noise=0`` (or tensors without ``clean``) trains on the stored noisy trajectories."""
    from ..core import fit

    model.to(device)
    g = torch.Generator().manual_seed(seed)
    N = data.u_in.shape[0]
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=WEIGHT_DECAY)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, inverse_sqrt(cfg.warmup))

    n_in = data.u_in.shape[1]

    def batch(step):
        idx = torch.randint(N, (cfg.batch,), generator=g)
        t_out, u_out = data.t_out[idx], data.u_out[idx]
        u_in = data.u_in[idx]
        if noise and data.clean is not None:  # official trainer: fresh noise at every step
            c = data.clean[idx]
            w = torch.randn(c.shape, generator=g)
            scale = noise * c.flatten(1).norm(dim=1) / w.flatten(1).norm(dim=1)
            u_noisy = c + scale[:, None, None] * w  # 2 % of each whole trajectory's L2 norm
            u_in, u_out = u_noisy[:, :n_in], u_noisy[:, n_in:]
        if cfg.n_query_train:  # a random subset of query times (the decoder treats each alone)
            q = torch.randperm(t_out.shape[1], generator=g)[:cfg.n_query_train].sort().values
            t_out, u_out = t_out[:, q], u_out[:, q]
        return (data.t_in[idx], u_in, t_out, u_out, data.text_in[idx], data.text_out[idx])

    def loss_fn(m, b):
        t_in, u_in, t_out, u_out, x_txt, y_txt = b
        u_hat, logits = m(t_in, u_in, t_out, x_txt, y_txt if m.use_text else None)
        ld = data_loss(u_hat, u_out)
        if logits is None:  # data-only: the data loss alone (official ``no_text``)
            return ld, {"data": ld.detach()}
        lt = text_loss(logits, y_txt)
        return DATA_LOSS_WEIGHT * ld + lt, {"data": ld.detach(), "text": lt.detach()}

    hist = fit(model, opt, loss_fn, batch, steps=cfg.steps, device=device, scheduler=sched,
               grad_clip=GRAD_CLIP, log_every=max(1, cfg.steps // 50), desc=desc,
               progress_bar=progress is not None)
    return hist


def rel_l2(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per-sample relative L2 error over the window, (N,)."""
    return (np.linalg.norm((pred - truth).reshape(len(truth), -1), axis=1)
            / np.linalg.norm(truth.reshape(len(truth), -1), axis=1))


@torch.no_grad()
def predict(model: PROSE, data: Tensors, device, batch: int = 512) -> np.ndarray:
    model.eval().to(device)
    out = []
    for i in range(0, data.u_in.shape[0], batch):
        s = slice(i, i + batch)
        tin = data.text_in[s].to(device) if model.use_text else None
        u_hat, _ = model(data.t_in[s].to(device), data.u_in[s].to(device),
                         data.t_out[s].to(device), tin)
        out.append(u_hat.cpu())
    return torch.cat(out).numpy()


@torch.no_grad()
def decode_all(model: PROSE, data: Tensors, tok: Tokenizer, cfg: Config, device,
               batch: int = 512) -> list:
    """Greedy decoding of every sample, parsed (``None`` where it does not parse)."""
    model.eval().to(device)
    eqs = []
    for i in range(0, data.u_in.shape[0], batch):
        s = slice(i, i + batch)
        seq = model.generate(data.t_in[s].to(device), data.u_in[s].to(device),
                             data.text_in[s].to(device), cfg.max_decode,
                             tok.bos, tok.eos).cpu()
        eqs += [tok.decode(row) for row in seq]
    return eqs


def solve_decoded(eq: tuple, u0: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Integrate a decoded polynomial ODE with ``solve_ivp`` from ``u0`` over ``t`` (t[0] is
    the start); NaN where the solution stops or leaves :math:`|u|<10^3`."""
    d = len(eq)
    exps = np.array([m for comp in eq for m in comp], dtype=float).reshape(-1, d)
    comp = np.array([j for j, c in enumerate(eq) for _ in c])
    coefs = np.array([v for c in eq for v in c.values()])[None]

    def blow(t, y):
        return 1e3 - np.abs(y).max()
    blow.terminal = True
    sol = solve_ivp(poly_rhs(coefs, exps, comp), (t[0], t[-1]), u0, t_eval=t, method="RK45",
                    rtol=1e-6, atol=1e-8, events=blow)
    out = np.full((len(t), d), np.nan)
    out[:sol.y.shape[1]] = sol.y.T
    return out


def symbolic_forecast(eqs: list, ds: Dataset, cfg: Config) -> np.ndarray:
    """For every decoded equation: integrate from the last observed (noisy) state
    :math:`u(t_{n-1})` over the target window. (N, T_out, d), NaN where not parsed."""
    n = cfg.t_input
    t = ds.t[n - 1:]
    out = np.full((len(eqs), len(t) - 1, ds.u.shape[-1]), np.nan)
    for i, eq in enumerate(eqs):
        if eq is not None and all(eq):
            out[i] = solve_decoded(eq, ds.u[i, n - 1], t)[1:]
    return out


def skeleton_correct(eqs: list, ds: Dataset) -> np.ndarray:
    truth = [FAMILIES[ds.families[f]].skeleton() for f in ds.family]
    return np.array([eq is not None and skeleton_of(eq) == s for eq, s in zip(eqs, truth,
                                                                                strict=True)])


def coefficient_error(eqs: list, ds: Dataset) -> np.ndarray:
    """Per sample (right skeleton only; NaN otherwise): max relative coefficient error."""
    out = np.full(len(eqs), np.nan)
    for i, eq in enumerate(eqs):
        fam = FAMILIES[ds.families[ds.family[i]]]
        truth = equation(fam, ds.coefs[i])
        if eq is not None and skeleton_of(eq) == skeleton_of(truth):
            out[i] = max(abs(eq[j][m] - c) / abs(c) for j in range(len(truth))
                         for m, c in truth[j].items())
    return out


def hold_last(ds: Dataset, cfg: Config) -> np.ndarray:
    """Trivial baseline: the last observed state, held over the target window."""
    n = cfg.t_input
    return np.repeat(ds.u[:, n - 1:n], ds.u.shape[1] - n, axis=1)


def run(cfg: Config, seed: int, device, progress=None):
    """Everything the chapter reports: data, two trained models, predictions, decoded ODEs."""
    rng = np.random.default_rng(seed)
    tok = Tokenizer(cfg.dim, cfg.float_precision)
    t0 = time.process_time()
    train_ds = make_dataset(cfg, cfg.n_eq, rng, tok)
    test_ds = make_dataset(cfg, cfg.n_eq_test, rng, tok)
    gen_s = time.process_time() - t0
    tr, te = to_tensors(train_ds, cfg), to_tensors(test_ds, cfg)
    max_len = max(tr.text_in.shape[1], tr.text_out.shape[1], cfg.max_decode) + 8
    torch.manual_seed(seed)
    prose = PROSE(cfg.dim, len(tok), cfg.width, cfg.heads, cfg.layers, True, max_len)
    torch.manual_seed(seed)
    data_only = PROSE(cfg.dim, len(tok), cfg.width, cfg.heads, cfg.layers, False, max_len)
    t0 = time.process_time()
    hist_p = train(prose, tr, cfg, seed, device, progress, "PROSE")
    t_prose = time.process_time() - t0
    t0 = time.process_time()
    hist_d = train(data_only, tr, cfg, seed, device, progress, "data-only")
    t_data = time.process_time() - t0
    return dict(tok=tok, train=train_ds, test=test_ds, tr=tr, te=te, prose=prose,
                data_only=data_only, hist_prose=hist_p, hist_data=hist_d, gen_s=gen_s,
                train_s=(t_prose, t_data))


def text_variant(ds: Dataset, tok: Tokenizer, kind: str, seed: int) -> list:
    """Input skeletons of the test set: ``"clean"``, ``"given"`` (the 30 % corrupted ones),
    ``"add"`` or ``"delete"`` (one term added to / deleted from every skeleton), or ``"swap"``
    (the clean skeleton of the next family: the wrong equation)."""
    if kind == "given":
        return ds.text_in
    if kind == "swap":
        names = ds.families
        return [tok.encode_skeleton(FAMILIES[names[(f + 1) % len(names)]].skeleton())
                for f in ds.family]
    if kind not in ("clean", "add", "delete"):
        raise ValueError(f"unknown text variant {kind!r}; choose clean, given, add, delete "
                         "or swap")
    rng = np.random.default_rng(seed)
    out = []
    for f in ds.family:
        skel = FAMILIES[ds.families[f]].skeleton()
        if kind != "clean":
            skel, _ = corrupt_skeleton(skel, rng, float(kind == "add"), float(kind == "delete"))
        out.append(tok.encode_skeleton(skel))
    return out


def evaluate(r: dict, cfg: Config, device, seed: int) -> dict:
    """Relative L2 errors on the target window against the clean solution, per test sample:
    the operator output of PROSE for each text variant, of the data-only model, the symbolic
    forecast of the decoded equations, and the hold-last-state baseline."""
    ds, te, tok = r["test"], r["te"], r["tok"]
    n = cfg.t_input
    truth = ds.clean[:, n:]
    err, pred = {}, {}
    for kind in ("given", "clean", "add", "delete", "swap"):
        data = to_tensors(ds, cfg, text_in=text_variant(ds, tok, kind, seed + 1))
        pred[f"PROSE ({kind} text)"] = predict(r["prose"], data, device)
    pred["data-only"] = predict(r["data_only"], te, device)
    pred["hold last state"] = hold_last(ds, cfg)
    eqs = decode_all(r["prose"], te, tok, cfg, device)
    pred["PROSE symbolic"] = symbolic_forecast(eqs, ds, cfg)
    nominal = [equation(FAMILIES[ds.families[f]], family_arrays(FAMILIES[ds.families[f]])[2])
               for f in ds.family]
    pred["true skeleton, nominal coefficients"] = symbolic_forecast(nominal, ds, cfg)
    for k, p in pred.items():
        err[k] = rel_l2(np.nan_to_num(p, nan=1e3), truth)
    valid = np.array([e is not None for e in eqs])
    return dict(err=err, pred=pred, eqs=eqs, valid=valid, skeleton=skeleton_correct(eqs, ds),
                coef_err=coefficient_error(eqs, ds), corrupted=ds.corrupted.copy(),
                err_op=operator_errors(r, cfg, device, seed))


def operator_errors(r: dict, cfg: Config, device, seed: int, n_ic: int = 4) -> dict:
    """The operator comparison on its own, larger test set (``cfg.n_eq_op_test`` new equations
    per family x ``n_ic`` ICs, text corrupted as in training; only the operator outputs, which
    are cheap): per-sample relative L2 of PROSE (given, clean and empty text: BOS EOS only)
    and of the data-only model on the *same* samples. Empty when ``cfg.n_eq_op_test`` is 0."""
    if not cfg.n_eq_op_test:
        return {}
    ds = make_dataset(cfg.replace(n_ic=n_ic), cfg.n_eq_op_test, np.random.default_rng(seed + 1000),
                      r["tok"])
    truth = ds.clean[:, cfg.t_input:]
    te = to_tensors(ds, cfg)
    clean = to_tensors(ds, cfg, text_in=text_variant(ds, r["tok"], "clean", seed + 1))
    empty = to_tensors(ds, cfg, text_in=[[r["tok"].bos, r["tok"].eos] for _ in ds.family])
    return {"data-only": rel_l2(predict(r["data_only"], te, device), truth),
            "PROSE (given text)": rel_l2(predict(r["prose"], te, device), truth),
            "PROSE (clean text)": rel_l2(predict(r["prose"], clean, device), truth),
            "PROSE (empty text)": rel_l2(predict(r["prose"], empty, device), truth),
            "family": ds.family}
