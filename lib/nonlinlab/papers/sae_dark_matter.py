r"""Engels, Riggs & Tegmark (2024), *Decomposing The Dark Matter of Sparse Autoencoders*
(arXiv:2410.14670).

What is implemented (official code ``JoshEngels/SAE-Dark-Matter``: ``utils.py`` —
``run_lstsq``, ``fraction_variance_unexplained``; ``sae_power_laws.py`` — the error-vector and
error-norm regressions and the per-token analysis; TopK SAEs trained with a modified copy of
EleutherAI's ``sae``)
----------------------------------------------------------------------------------------------

**SAE and its error.** A TopK sparse autoencoder (EleutherAI ``sae``, the recipe the paper uses
for its own SAEs) with width :math:`W` and :math:`k` active latents,

.. math:: z = \mathrm{TopK}_k\big(\mathrm{ReLU}(W_{enc}(x-b_{dec})+b_{enc})\big),\qquad
          \mathrm{Sae}(x) = W_{dec}^\top z + b_{dec},

decoder rows of unit norm, encoder initialised to the decoder's transpose, loss = FVU of the
batch, Adam with EleutherAI's default learning rate :math:`2\cdot10^{-4}/\sqrt{W/2^{14}}`. The
**SAE error** ("dark matter") is :math:`\mathrm{SaeError}(x) = x-\mathrm{Sae}(x)` (paper Eq. 1;
the official code regresses its negative, which changes no R²).

**Linear error prediction** (paper Sec. 4, official ``run_lstsq``). Append a constant 1 to
:math:`x`, fit :math:`a^\star=\arg\min_a\lVert\mathrm{SaeError}(x)-[x,1]a\rVert^2` by least
squares (float64) on training tokens, report R² on held-out tokens (rows shuffled first, as
``randomize_order=True``). :math:`\mathrm{LinearError}(x)=[x,1]a^\star`;
:math:`\mathrm{NonlinearError}(x)=\mathrm{SaeError}(x)-\mathrm{LinearError}(x)` (paper Eq. 3).
The same regression with the scalar target :math:`\lVert\mathrm{SaeError}(x)\rVert_2^2` gives
the norm R² (official ``save_sae_info.py`` stores the squared norm). The R² of a vector target
is the mean over dimensions of each dimension's R² (official ``calculate_r_squared``;
scikit-learn's ``r2_score``).

**FVU** (official ``fraction_variance_unexplained``):
:math:`\sum\lVert x-\hat x\rVert^2/\sum\lVert x-\bar x\rVert^2`, and the FVU of the linearly
patched reconstruction :math:`\hat x+\mathrm{LinearError}(x)`.

**Per-token scaling** (paper Sec. 5.2): regress the per-token error norm of the widest SAE on
that of the narrower ones; here also the Spearman correlation between the narrowest and widest.

**Synthetic ground truth** (in the spirit of the paper's Sec. 5 model, not its exact
simulation): :math:`x=\mu+Df+\varepsilon` with :math:`D` random unit columns, sparse
:math:`f` (Zipf firing probabilities, Exp(1) magnitudes) and low-rank dense Gaussian
:math:`\varepsilon`. An SAE latent whose decoder row has cosine > 0.9 with a column of
:math:`D` has *learned* that feature; the error then splits exactly into *missing* =
unlearned features + dense noise (what the paper's linear model says is linearly
predictable) and *introduced* = the rest (the SAE's own mistakes on the features it has).

Where we differ: real activations are the layer-3 residual stream of all-MiniLM-L6-v2 on
Python's documentation (not Gemma 2 / Gemma Scope); SAEs are trained here (no AuxK loss); the
official code fits on 150k tokens and evaluates on the next 150k, here a few thousand of each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require

# --------------------------------------------------------------------------------------
# Paper numbers (Gemma Scope, Gemma 2 2B layer 20 residual stream; abstract and Fig. 1)
# --------------------------------------------------------------------------------------

PAPER_R2_VEC = 0.5    # "about half of the SAE error vector" is linearly predictable
PAPER_R2_NORM = 0.9   # "over 90 % of its norm"
PAPER_LSTSQ_TOKENS = 150_000   # official lstsq_token_threshold
PAPER_EVAL_TOKENS = 300_000    # official eval_token_threshold (evaluate on 150k–300k)
LEARNED_COS = 0.9     # a latent has learned a planted feature if cos(decoder row, D_i) > 0.9


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    # real activations (all-MiniLM-L6-v2, layer output `layer`, special tokens excluded)
    n_texts: int = 420          # paragraphs (>= 80 characters) of Python's documentation
    max_length: int = 48        # tokens per paragraph (incl. [CLS]/[SEP])
    layer: int = 3
    n_train: int = 8_000        # tokens for SAE training and the lstsq fit
    n_eval: int = 4_000         # held-out tokens for every reported R² and FVU
    widths: tuple = (384, 768, 1536)
    k: int = 16
    steps: int = 300
    batch: int = 256
    # synthetic ground truth
    syn_d: int = 64
    syn_features: int = 512
    syn_active: float = 8.0     # mean number of active features per sample
    syn_zipf: float = 1.1
    syn_rank: int = 8           # rank of the dense noise
    syn_noise: float = 0.3      # std of the dense noise per direction
    syn_n: int = 12_000
    syn_eval: int = 4_000
    syn_width: int = 512
    syn_k: int = 8
    syn_steps: int = 600

    def check(self) -> None:
        require(1 <= self.layer <= 6, "layer must be in 1..6 (MiniLM has 6 layers)")
        require(self.max_length >= 8 and self.n_texts >= 10, "need max_length >= 8, n_texts >= 10")
        require(len(self.widths) >= 2 and list(self.widths) == sorted(self.widths),
                "widths must be at least two, increasing")
        require(all(self.k < w for w in self.widths), "k must be below every width")
        require(self.n_train > 2 * 385 and self.n_eval >= 100,
                "n_train must exceed twice the regression's 385 columns; n_eval >= 100")
        require(min(self.steps, self.batch, self.syn_steps) >= 1, "steps and batch must be >= 1")
        require(self.syn_k < self.syn_width and self.syn_rank < self.syn_d,
                "syn_k < syn_width and syn_rank < syn_d")
        require(0 < self.syn_active < self.syn_features, "syn_active must be in (0, syn_features)")
        require(self.syn_n > 2 * self.syn_d, "syn_n must exceed twice syn_d")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(n_texts=1980, max_length=128, n_train=60_000, n_eval=20_000,
                widths=(384, 768, 1536, 3072, 6144, 12288), steps=4000, batch=4096,
                syn_d=256, syn_features=4096, syn_active=16.0, syn_rank=32, syn_n=60_000,
                syn_eval=20_000, syn_width=4096, syn_k=16, syn_steps=4000),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from ci timings on this 2-core machine at 1 thread (seed 0: MiniLM 5 s, real
    SAEs + regressions 26 s, synthetic 3.5 s): the MiniLM forward ≈ 2.5e-4 s per padded token
    to layer 3 (∝ layer); one TopK-SAE step ≈ batch·(4e-5 + 2e-8·W·d/384) s; the regressions
    ≈ 2.2e-4 s per token per SAE (float64, d = 384). Full: the same sizes on a Colab GPU, taken
    40× faster, except the float64 regressions on the CPU (≈ 3× faster there than here)."""
    gpu = cfg.steps > 1000  # the full profile
    lm = 2.5e-4 * cfg.n_texts * cfg.max_length * cfg.layer / 3
    step = lambda w, d: cfg.batch * (4e-5 + 2e-8 * w * d / 384)  # noqa: E731
    sae = sum(cfg.steps * step(w, 384) for w in cfg.widths)
    syn = cfg.syn_steps * step(cfg.syn_width, cfg.syn_d)
    reg = 2.2e-4 * (cfg.n_train + cfg.n_eval) * len(cfg.widths)
    reg += 2.2e-4 * (cfg.syn_n + cfg.syn_eval) * (cfg.syn_d / 384) ** 2 * 4
    if gpu:
        return 20.0 + (lm + sae + syn) / 40 + reg / 3
    return 4.0 + lm + sae + syn + reg


# --------------------------------------------------------------------------------------
# Real activations: all-MiniLM-L6-v2 on Python's documentation
# --------------------------------------------------------------------------------------


def doc_paragraphs(min_chars: int = 80) -> list[str]:
    """Paragraphs (blank-line separated) of Python's ``pydoc_data`` topics, in topic order."""
    from ..data.text import pydoc_documents

    return [p.strip() for _, d in pydoc_documents() for p in re.split(r"\n\s*\n", d)
            if len(p.strip()) >= min_chars]


@torch.no_grad()
def minilm_activations(cfg: Config, *, device: torch.device | str = "cpu",
                       batch_size: int = 64) -> torch.Tensor:
    """Layer-``cfg.layer`` hidden states (float32, CPU) of every real token ([CLS], [SEP] and
    padding excluded) of the first ``cfg.n_texts`` paragraphs, in document order."""
    from ..models.bert import load_minilm

    model, tok = load_minilm(device=device)
    texts = doc_paragraphs()[:cfg.n_texts]
    if len(texts) < cfg.n_texts:
        raise ValueError(f"only {len(texts)} paragraphs available, asked for {cfg.n_texts}")
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
    keep = []
    for i in range(0, len(order), batch_size):
        ids, mask = tok.batch([texts[j] for j in order[i:i + batch_size]],
                              max_length=cfg.max_length)
        real = mask.bool() & (ids != tok.cls_id) & (ids != tok.sep_id)
        _, states = model(ids.to(device), mask.to(device), hidden_states=True)
        keep.append(states[cfg.layer][real.to(device)].float().cpu())
    return torch.cat(keep)


def split_tokens(X: torch.Tensor, n_train: int, n_eval: int, *, seed: int
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffle the rows (official ``randomize_order=True``), then first ``n_train`` rows for
    fitting and the next ``n_eval`` for evaluation."""
    if len(X) < n_train + n_eval:
        raise ValueError(f"{len(X)} tokens, fewer than n_train + n_eval = {n_train + n_eval}")
    perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    return X[perm[:n_train]], X[perm[n_train:n_train + n_eval]]


# --------------------------------------------------------------------------------------
# TopK sparse autoencoder (EleutherAI `sae` recipe)
# --------------------------------------------------------------------------------------


class TopKSAE(nn.Module):
    """``z = TopK_k(ReLU(W_enc (x − b_dec) + b_enc))``, ``x̂ = W_decᵀ z + b_dec``."""

    def __init__(self, d: int, width: int, k: int, *, generator: torch.Generator | None = None):
        super().__init__()
        if not 1 <= k <= width:
            raise ValueError(f"need 1 <= k <= width, got k={k}, width={width}")
        self.d, self.width, self.k = d, width, k
        bound = 1 / np.sqrt(d)
        w = (torch.rand(width, d, generator=generator) * 2 - 1) * bound
        self.W_enc = nn.Parameter(w.clone())
        self.b_enc = nn.Parameter(torch.zeros(width))
        self.W_dec = nn.Parameter(F.normalize(w.clone(), dim=1))  # rows = dictionary atoms
        self.b_dec = nn.Parameter(torch.zeros(d))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pre = F.relu((x - self.b_dec) @ self.W_enc.T + self.b_enc)
        return pre.topk(self.k, dim=-1, sorted=False)  # (values, indices)

    def decode(self, vals: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        z = torch.zeros(*vals.shape[:-1], self.width, dtype=vals.dtype, device=vals.device)
        return z.scatter(-1, idx, vals) @ self.W_dec + self.b_dec  # W_decᵀ z + b_dec

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(*self.encode(x))

    @torch.no_grad()
    def normalize_decoder(self) -> None:
        self.W_dec.div_(self.W_dec.norm(dim=1, keepdim=True).clamp_min(1e-12))

    @torch.no_grad()
    def reconstruct(self, X: torch.Tensor, batch: int = 4096) -> torch.Tensor:
        """``Sae(x)`` row by row on the SAE's device, returned on the CPU."""
        dev = self.W_dec.device
        return torch.cat([self(X[i:i + batch].to(dev)).cpu() for i in range(0, len(X), batch)])


def eleuther_lr(width: int) -> float:
    """EleutherAI ``sae`` default learning rate, 2e-4 / sqrt(width / 2**14)."""
    return 2e-4 / np.sqrt(width / 2 ** 14)


def train_sae(X: torch.Tensor, width: int, k: int, *, steps: int, batch: int, seed: int,
              lr: float | None = None, device: torch.device | str = "cpu") -> TopKSAE:
    """Train a TopK SAE on the rows of ``X`` with the batch FVU loss and Adam; decoder rows
    re-normalised after every step, ``b_dec`` initialised to the data mean."""
    g = torch.Generator().manual_seed(seed)
    X = X.to(device)
    sae = TopKSAE(X.shape[1], width, k, generator=g).to(device)
    with torch.no_grad():
        sae.b_dec.copy_(X.mean(0))
    opt = torch.optim.Adam(sae.parameters(), lr=lr or eleuther_lr(width), eps=6.25e-10)
    for _ in range(steps):
        xb = X[torch.randint(0, len(X), (batch,), generator=g).to(device)]
        loss = fvu(xb, sae(xb))  # EleutherAI's TopK loss: FVU of the batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sae.normalize_decoder()
    sae.eval()
    for p in sae.parameters():
        p.requires_grad_(False)
    return sae


# --------------------------------------------------------------------------------------
# Regressions and metrics (official utils.py)
# --------------------------------------------------------------------------------------


def fvu(x, x_hat):
    """Fraction of variance unexplained, official ``fraction_variance_unexplained``:
    Σ‖x − x̂‖² / Σ‖x − x̄‖² over tokens and dimensions (torch or numpy)."""
    return ((x - x_hat) ** 2).sum() / ((x - x.mean(0)) ** 2).sum()


def with_bias(X) -> np.ndarray:
    """``[X, 1]`` in float64 (the official code appends a constant column)."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([X, np.ones((len(X), 1))])


def lstsq(X, Y) -> np.ndarray:
    """:math:`a^\\star=\\arg\\min_a\\lVert Y-[X,1]a\\rVert^2` (float64, rcond 1e-9 as official)."""
    Y = np.asarray(Y, dtype=np.float64)
    return np.linalg.lstsq(with_bias(X), Y, rcond=1e-9)[0]


def predict(a: np.ndarray, X) -> np.ndarray:
    return with_bias(X) @ a


def r2(Y, Y_hat) -> float:
    """R² as the official ``calculate_r_squared``: per output dimension 1 − SS_res / SS_tot,
    then the mean over dimensions (scikit-learn's ``r2_score``, ``uniform_average``)."""
    Y, Y_hat = np.asarray(Y, dtype=np.float64), np.asarray(Y_hat, dtype=np.float64)
    return float(np.mean(1 - ((Y - Y_hat) ** 2).sum(0) / ((Y - Y.mean(0)) ** 2).sum(0)))


def regression_oracle(seed: int = 0, n: int = 600, d: int = 20, m: int = 5) -> dict:
    """Our lstsq + R² vs scikit-learn ``LinearRegression`` on a random problem, plus the normal
    equations: the residual is orthogonal to every column of [X, 1] on the fit rows."""
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + rng.normal(size=d)
    Y = X @ rng.normal(size=(d, m)) + 0.5 * rng.normal(size=(n, m)) + 3.0
    tr, ev = slice(0, n // 2), slice(n // 2, n)
    a = lstsq(X[tr], Y[tr])
    ref = LinearRegression(fit_intercept=True).fit(X[tr], Y[tr])
    resid = Y[tr] - predict(a, X[tr])
    ours = r2(Y[ev], predict(a, X[ev]))
    theirs = r2_score(Y[ev], ref.predict(X[ev]))
    return {"coef_err": float(max(np.abs(a[:-1] - ref.coef_.T).max(),
                                  np.abs(a[-1] - ref.intercept_).max())),
            "r2_err": abs(ours - theirs),
            "orthogonality": float(np.abs(with_bias(X[tr]).T @ resid).max()
                                   / np.abs(with_bias(X[tr])).sum(0).max()),
            "r2": ours}


# --------------------------------------------------------------------------------------
# Dark-matter analysis of one SAE
# --------------------------------------------------------------------------------------


def sq_norm(E: np.ndarray) -> np.ndarray:
    return (np.asarray(E, dtype=np.float64) ** 2).sum(1)


def dark_matter(sae: TopKSAE, X_tr: torch.Tensor, X_ev: torch.Tensor, *, seed: int = 0) -> dict:
    """Error-vector and error-norm regressions of one SAE (fit on train, R² on eval), FVUs
    and the paper's controls. Arrays returned for the eval tokens."""
    x_tr, x_ev = X_tr.double().numpy(), X_ev.double().numpy()
    xh_tr = sae.reconstruct(X_tr).double().numpy()
    xh_ev = sae.reconstruct(X_ev).double().numpy()
    e_tr, e_ev = x_tr - xh_tr, x_ev - xh_ev                     # SaeError(x) = x − Sae(x), Eq. 1
    a = lstsq(x_tr, e_tr)                                        # a* = argmin ‖e − [x,1]a‖², Eq. 2
    e_lin = predict(a, x_ev)                                     # LinearError(x)
    b = lstsq(x_tr, sq_norm(e_tr))                               # ‖SaeError(x)‖² ~ [x,1]b
    norm_hat = predict(b, x_ev)
    rng = np.random.default_rng(seed)
    a_shuf = lstsq(x_tr[rng.permutation(len(x_tr))], e_tr)       # control: inputs shuffled
    a_xhat = lstsq(xh_tr, e_tr)                                  # control: from Sae(x), not x
    c = lstsq(sq_norm(x_tr - x_tr.mean(0))[:, None], sq_norm(e_tr))  # control: ‖x − x̄‖² only
    return {
        "r2_vec": r2(e_ev, e_lin),
        "r2_norm": r2(sq_norm(e_ev), norm_hat),
        "r2_vec_shuffled": r2(e_ev, predict(a_shuf, x_ev)),
        "r2_vec_from_xhat": r2(e_ev, predict(a_xhat, xh_ev)),
        "r2_norm_from_xnorm": r2(sq_norm(e_ev), predict(c, sq_norm(x_ev - x_tr.mean(0))[:, None])),
        "fvu": float(fvu(x_ev, xh_ev)),
        "fvu_patched": float(fvu(x_ev, xh_ev + e_lin)),          # Sae(x) + LinearError(x)
        "fvu_nonlinear": float(((e_ev - e_lin) ** 2).sum() / ((x_ev - x_ev.mean(0)) ** 2).sum()),
        "fvu_linear": float((e_lin ** 2).sum() / ((x_ev - x_ev.mean(0)) ** 2).sum()),
        "l0": mean_l0(sae, X_ev),
        "dead": float(dead_fraction(sae, X_tr)),
        "err_norm": np.sqrt(sq_norm(e_ev)),
        "err_norm_hat": norm_hat,
        "err_sq": sq_norm(e_ev),
    }


@torch.no_grad()
def mean_l0(sae: TopKSAE, X: torch.Tensor) -> float:
    """Mean number of non-zero latents per row (at most k: TopK after the ReLU)."""
    vals, _ = sae.encode(X.to(sae.W_dec.device))
    return float((vals > 0).sum(-1).float().mean())


@torch.no_grad()
def dead_fraction(sae: TopKSAE, X: torch.Tensor) -> float:
    """Fraction of latents that never fire on the rows of ``X``."""
    _, idx = sae.encode(X.to(sae.W_dec.device))
    return 1 - torch.unique(idx).numel() / sae.width


def spearman(a, b) -> float:
    """Spearman rank correlation (no ties expected in continuous data)."""
    ra = np.argsort(np.argsort(a)).astype(np.float64)
    rb = np.argsort(np.argsort(b)).astype(np.float64)
    return float(np.corrcoef(ra, rb)[0, 1])


def per_token_scaling(norms: list[np.ndarray], n_fit: int | None = None) -> dict:
    """Per-token error norms of the widest SAE vs the narrower ones (paper Sec. 5.2): Spearman
    between narrowest and widest, and held-out R² of a linear regression of the widest SAE's
    per-token norm on all narrower SAEs' norms (first half fit, second half evaluated)."""
    n = len(norms[0])
    n_fit = n // 2 if n_fit is None else n_fit
    Z = np.stack(norms[:-1], 1)
    a = lstsq(Z[:n_fit], norms[-1][:n_fit])
    return {"spearman": spearman(norms[0], norms[-1]),
            "r2": r2(norms[-1][n_fit:], predict(a, Z[n_fit:]))}


def real_experiment(cfg: Config, *, seed: int, device: torch.device | str = "cpu",
                    X: torch.Tensor | None = None, k: int | None = None) -> dict:
    """Train one TopK SAE per width on MiniLM activations and analyse its dark matter."""
    X = minilm_activations(cfg, device=device) if X is None else X
    X_tr, X_ev = split_tokens(X, cfg.n_train, cfg.n_eval, seed=seed)
    res = {}
    for j, w in enumerate(cfg.widths):
        sae = train_sae(X_tr, w, cfg.k if k is None else min(k, w), steps=cfg.steps,
                        batch=cfg.batch, seed=seed * 1000 + j, device=device)
        res[w] = dark_matter(sae, X_tr, X_ev, seed=seed)
    res["per_token"] = per_token_scaling([res[w]["err_norm"] for w in cfg.widths])
    res["n_tokens"] = len(X)
    return res


# --------------------------------------------------------------------------------------
# Synthetic ground truth
# --------------------------------------------------------------------------------------


def synthetic_data(cfg: Config, n: int, *, seed: int, draw: int = 0) -> dict:
    """``x = μ + D f + ε``: D (d × F) unit columns, f sparse (feature i fires with probability
    ∝ i^-zipf, mean ``syn_active`` active, Exp(1) magnitudes), ε dense of rank ``syn_rank``.
    Dictionary, mean and noise basis depend on ``seed`` only; the samples on ``(seed, draw)``."""
    g = np.random.default_rng(seed)
    d, nf = cfg.syn_d, cfg.syn_features
    D = g.normal(size=(d, nf))
    D /= np.linalg.norm(D, axis=0)
    mu = g.normal(size=d)
    U = np.linalg.qr(g.normal(size=(d, cfg.syn_rank)))[0]
    p = np.arange(1, nf + 1) ** -cfg.syn_zipf
    p = np.minimum(p * cfg.syn_active / p.sum(), 1.0)
    s = np.random.default_rng([seed, draw])
    f = (s.random((n, nf)) < p) * s.exponential(size=(n, nf))
    eps = cfg.syn_noise * s.normal(size=(n, cfg.syn_rank)) @ U.T
    x = mu + f @ D.T + eps
    return {"x": x, "f": f, "D": D, "mu": mu, "eps": eps, "p": p}


def learned_features(sae: TopKSAE, D: np.ndarray, thr: float = LEARNED_COS) -> np.ndarray:
    """Boolean mask over the columns of D: some decoder row has cosine > thr with it."""
    W = F.normalize(sae.W_dec.detach().double().cpu(), dim=1).numpy()
    return (W @ D).max(0) > thr


def synthetic_experiment(cfg: Config, *, seed: int, device: torch.device | str = "cpu",
                         k: int | None = None) -> dict:
    """Train a TopK SAE on synthetic data and split its error into *missing* (unlearned
    features + dense noise) and *introduced* (everything else) parts; regress each on x."""
    tr = synthetic_data(cfg, cfg.syn_n, seed=seed)
    ev = synthetic_data(cfg, cfg.syn_eval, seed=seed, draw=1)  # fresh samples, same dictionary
    X_tr = torch.tensor(tr["x"], dtype=torch.float32)
    sae = train_sae(X_tr, cfg.syn_width, cfg.syn_k if k is None else min(k, cfg.syn_width),
                    steps=cfg.syn_steps,
                    batch=cfg.batch, seed=seed, device=device)
    learned = learned_features(sae, tr["D"])

    def parts(data):
        x = data["x"]
        xh = sae.reconstruct(torch.tensor(x, dtype=torch.float32)).double().numpy()
        e = x - xh
        miss = data["f"][:, ~learned] @ data["D"][:, ~learned].T + data["eps"]  # true dark matter
        return x, xh, e, miss, e - miss                                          # introduced

    x_tr, _, e_tr, m_tr, i_tr = parts(tr)
    x_ev, xh_ev, e_ev, m_ev, i_ev = parts(ev)
    e_lin = predict(lstsq(x_tr, e_tr), x_ev)
    m_lin = predict(lstsq(x_tr, m_tr), x_ev)
    i_lin = predict(lstsq(x_tr, i_tr), x_ev)
    freq = tr["f"] > 0
    top = np.argsort(-freq.mean(0))[: cfg.syn_width // 4]  # the most frequent features
    return {
        "learned": learned,
        "learned_frac_top": float(learned[top].mean()),
        "learned_frac": float(learned.mean()),
        "freq": freq.mean(0),
        "fvu": float(fvu(x_ev, xh_ev)),
        "r2_vec": r2(e_ev, e_lin),
        "r2_norm": r2(sq_norm(e_ev), predict(lstsq(x_tr, sq_norm(e_tr)), x_ev)),
        "r2_missing": r2(m_ev, m_lin),
        "r2_introduced": r2(i_ev, i_lin),
        "share_missing": float((m_ev ** 2).sum() / (e_ev ** 2).sum()),
        "cos_lin_missing": float((e_lin * m_ev).sum()
                                 / np.sqrt((e_lin ** 2).sum() * (m_ev ** 2).sum())),
        "cos_lin_introduced": float((e_lin * i_ev).sum()
                                    / np.sqrt((e_lin ** 2).sum() * (i_ev ** 2).sum())),
        "dead": dead_fraction(sae, X_tr),
    }
