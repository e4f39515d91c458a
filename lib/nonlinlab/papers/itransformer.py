r"""Liu, Hu, Zhang, Wu, Wang, Ma & Long (ICLR 2024), *iTransformer: Inverted Transformers Are
Effective for Time Series Forecasting* (arXiv:2310.06625).

What is implemented (official code: ``thuml/iTransformer``, ``model/iTransformer.py``,
``layers/Embed.py::DataEmbedding_inverted``, ``layers/Transformer_EncDec.py``, the scripts
``scripts/multivariate_forecasting/ETT/*.sh`` and ``run.py``'s defaults)
------------------------------------------------------------------------------------------

The model itself is the shared :class:`nonlinlab.models.forecasting.ITransformer`; this module
adds what the chapter needs around it. With a look-back window
:math:`\mathbf X=\{\mathbf x_1,\dots,\mathbf x_T\}\in\mathbb R^{T\times N}` (``T`` = ``L`` time
steps, ``N`` variates) the paper's Eq. (1) is

.. math:: \mathbf h_n^0=\mathrm{Embedding}(\mathbf X_{:,n}),\qquad
          \mathbf H^{l+1}=\mathrm{TrmBlock}(\mathbf H^l),\qquad
          \hat{\mathbf Y}_{:,n}=\mathrm{Projection}(\mathbf h_n^{L}),

one token per *variate* (its whole series ``X[:, n]`` through ``Linear(T, D)``), self-attention
across the ``N`` tokens, a feed-forward network and LayerNorm applied to each token, and
``Linear(D, S)`` from a token to its ``S``-step forecast. The official block is post-norm,
``H = LN(H + Attn(H))``, ``H = LN(H + FFN(H))`` with a GELU FFN, followed by a final LayerNorm.
As in the official code (``use_norm``), each window is normalised by its own per-variate mean
and standard deviation (biased variance + 1e-5) and the forecast de-normalised. The official
data loader passes the ``timeF`` marks of the time stamps and ``DataEmbedding_inverted``
appends them as extra tokens that are attended to but not forecast: :class:`WithMarks` feeds
them in (the paper's text does not mention them; we follow the code).

Ablations (paper Table 3 swaps the roles of attention and FFN; Fig. 7 varies the look-back):

* **w/o attention** (:func:`without_attention`): the attention output is replaced by zeros, so
  each block is ``LN(H)`` then the per-token FFN — every variate is forecast from its own
  history only;
* **vanilla arrangement** (:class:`TimeTokenTransformer`): the same post-norm blocks, but one
  token per *time step* (``Linear(N, D)`` + sinusoidal positions), attention across time, the
  FFN mixing the variates inside a time token, then ``Linear(D, N)`` per token and
  ``Linear(T, S)`` along time;
* **look-back** 48 vs 96 on the lead–lag data.

Training follows the Time-Series-Library protocol of the official scripts through
:func:`~nonlinlab.models.forecasting.fit_forecaster`: Adam, MSE, lr ``1e-4`` halved after every
epoch, batch 32, 10 epochs, early stopping with patience 3 on the validation MSE; ETTh1:
2 blocks, 8 heads, ``D = d_ff = 256`` for ``S in {96, 192}`` and 512 for ``{336, 720}``,
dropout 0.1. Data: :mod:`nonlinlab.data.ett` (12/4/4-month split, train-only z-scoring, stride-1
windows; the official test loader uses batch 1 and ``drop_last``, i.e. every test window).

**Lead–lag synthetic data with planted cross-variate structure** (:func:`lead_lag_series`):
``K`` latent drivers :math:`s_k(t)=\sum_{p\in\{24,168\}}a_{k,p}\sin(2\pi t/p+\varphi_{k,p})+r_k(t)`
with an AR(1) part :math:`r_k(t)=0.98\,r_k(t-1)+0.15\,\epsilon_t`; variate ``i`` follows driver
``g = i mod K`` with lag :math:`\ell_i` (``i div K`` picks it from ``lags``),
:math:`x_i(t)=c_i s_g(t-\ell_i)+0.3\,s_{g+1}(t-\ell_i)+b_i+\varepsilon_i(t)`. The AR part cannot
be forecast from a variate's own past, but a lagging variate's future is its leader's present:
only a model that mixes variates can use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..data import ett
from ..models import forecasting as F
from ..models.forecasting import PostNormEncoderLayer

# --------------------------------------------------------------------------------------
# Paper numbers
# --------------------------------------------------------------------------------------

#: Paper Table 10 (full long-term results, look-back 96): (MSE, MAE) per horizon, on the
#: normalised scale. iTransformer and the baselines it reports (RLinear, DLinear, PatchTST).
PAPER_TABLE = {
    "ETTh1": {
        "iTransformer": {96: (0.386, 0.405), 192: (0.441, 0.436), 336: (0.487, 0.458),
                         720: (0.503, 0.491)},
        "RLinear": {96: (0.386, 0.395), 192: (0.437, 0.424), 336: (0.479, 0.446),
                    720: (0.481, 0.470)},
        "DLinear": {96: (0.386, 0.400), 192: (0.437, 0.432), 336: (0.481, 0.459),
                    720: (0.519, 0.516)},
        "PatchTST": {96: (0.414, 0.419), 192: (0.460, 0.445), 336: (0.501, 0.466),
                     720: (0.500, 0.488)},
    },
    "ETTh2": {
        "iTransformer": {96: (0.297, 0.349), 192: (0.380, 0.400), 336: (0.428, 0.432),
                         720: (0.427, 0.445)},
        "RLinear": {96: (0.288, 0.338), 192: (0.374, 0.390), 336: (0.415, 0.426),
                    720: (0.420, 0.440)},
        "DLinear": {96: (0.333, 0.387), 192: (0.477, 0.476), 336: (0.594, 0.541),
                    720: (0.831, 0.657)},
        "PatchTST": {96: (0.302, 0.348), 192: (0.388, 0.400), 336: (0.426, 0.433),
                     720: (0.431, 0.446)},
    },
}
#: Paper Table 3 (component ablation, MSE averaged over the four horizons): ECL, Traffic,
#: Weather for the inverted arrangement, the vanilla arrangement and iTransformer w/o attention.
PAPER_ABLATION = {"iTransformer": (0.178, 0.428, 0.258), "vanilla arrangement": (0.202, 0.863,
                  0.258), "w/o attention": (0.193, 0.461, 0.265)}


def official_width(horizon: int) -> int:
    """``d_model = d_ff`` of the official ETTh1/ETTh2 scripts: 256 up to 192 steps, else 512."""
    return 256 if horizon <= 192 else 512


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------

MODELS = ("iTransformer", "RLinear", "DLinear", "naive")
SYN_MODELS = ("iTransformer", "w/o attention", "vanilla arrangement", "RLinear", "naive")


@dataclass(frozen=True)
class Config(ProfileConfig):
    # ETT, official protocol (scripts/multivariate_forecasting/ETT)
    datasets: tuple[str, ...] = ("ETTh1",)
    horizons: tuple[int, ...] = (96,)
    lookback: int = 96
    d_model: int = 0  # 0: the official width per horizon (official_width)
    n_layers: int = 2
    n_heads: int = 8
    dropout: float = 0.1
    lr: float = 1e-4
    batch_size: int = 32
    epochs: int = 10
    patience: int = 3
    max_steps_per_epoch: int = 0  # 0: every training window once per epoch (official)
    use_marks: bool = True  # the official timeF covariate tokens
    # lead–lag synthetic data
    syn_length: int = 8000
    syn_variates: int = 16
    syn_drivers: int = 8
    syn_lags: tuple[int, ...] = (0, 48)  # leaders and followers lagging by the horizon
    syn_ar_std: float = 0.3  # innovation std of the AR(1) part of the drivers
    syn_horizon: int = 48
    syn_lookbacks: tuple[int, ...] = (48, 96)
    syn_d_model: int = 64
    syn_heads: int = 4
    syn_lr: float = 3e-3
    syn_epochs: int = 3
    syn_steps_per_epoch: int = 100
    syn_vanilla: bool = True  # train the vanilla arrangement (96 time tokens: the costly run)

    def check(self) -> None:
        require(all(d in ett.MD5 for d in self.datasets) and "ETTh1" in self.datasets,
                f"datasets must be among {sorted(ett.MD5)} and include ETTh1")
        require(len(self.horizons) >= 1 and 96 in self.horizons and min(self.horizons) >= 1,
                "horizons must include 96")
        require(self.lookback >= 2 and self.d_model >= 0 and self.n_layers >= 1,
                "lookback >= 2, d_model >= 0 (0 = official) and n_layers >= 1")
        require(0 <= self.dropout < 1 and self.lr > 0 and self.syn_lr > 0, "bad dropout or lr")
        require(min(self.batch_size, self.epochs, self.patience, self.syn_epochs,
                    self.syn_steps_per_epoch) >= 1 and self.max_steps_per_epoch >= 0,
                "batch_size, epochs, patience and steps must be >= 1")
        require(self.syn_variates == self.syn_drivers * len(self.syn_lags),
                "syn_variates must be syn_drivers × len(syn_lags)")
        require(96 in self.syn_lookbacks and max(self.syn_lags) <= max(self.syn_lookbacks),
                "syn_lookbacks must include 96 and reach the largest lag")
        require(self.syn_length >= 10 * (max(self.syn_lookbacks) + self.syn_horizon),
                "syn_length too short for the windows")

    def width(self, horizon: int) -> int:
        return self.d_model or official_width(horizon)


CONFIGS = Profiles(
    ci=Config(d_model=128, lr=1e-3, epochs=3, max_steps_per_epoch=80, syn_steps_per_epoch=160,
              syn_epochs=3, syn_vanilla=False),
    full=Config(datasets=("ETTh1", "ETTh2"), horizons=(96, 192, 336, 720),
                syn_drivers=32, syn_variates=64, syn_epochs=10, syn_steps_per_epoch=300),
)


# --------------------------------------------------------------------------------------
# Models around the shared ITransformer
# --------------------------------------------------------------------------------------


class WithMarks(nn.Module):
    """Feeds the last ``M`` channels of ``x (B, L, N + M)`` to ``model`` as its ``marks`` (the
    official timeF covariate tokens), so that the training loop sees one tensor."""

    def __init__(self, model: nn.Module, channels: int):
        super().__init__()
        self.model, self.channels = model, channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 3 or x.shape[2] <= self.channels:
            raise ValueError(f"expected (B, L, {self.channels} + marks), got {tuple(x.shape)}")
        return self.model(x[..., :self.channels], marks=x[..., self.channels:])


class _ZeroAttention(nn.Module):
    """Stands in for ``nn.MultiheadAttention``: no token sees another."""

    def forward(self, q, k, v, need_weights=False):
        return torch.zeros_like(q), None


def without_attention(model: F.ITransformer) -> F.ITransformer:
    """The ablation *w/o attention*: each block becomes ``H = LN(H)``, ``H = LN(H + FFN(H))``
    (in place; returns the model)."""
    for layer in model.layers:
        layer.attn = _ZeroAttention()
    return model


class TimeTokenTransformer(nn.Module):
    """The vanilla arrangement with iTransformer's own blocks: one token per time step,
    ``Linear(N, D)`` + sinusoidal positions, post-norm blocks (attention across time, the FFN
    mixing the variates of a time step), final LN, ``Linear(D, N)`` per token, ``Linear(T, S)``
    along time; per-window normalisation around it, as iTransformer."""

    def __init__(self, lookback: int, horizon: int, channels: int, *, d_model: int = 64,
                 n_heads: int = 4, n_layers: int = 2, d_ff: int | None = None,
                 dropout: float = 0.1):
        super().__init__()
        self.lookback, self.channels = lookback, channels
        self.revin = F.RevIN(channels)
        self.embed = nn.Linear(channels, d_model)
        self.register_buffer("pe", F.sinusoidal_positions(lookback, d_model), persistent=False)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList(PostNormEncoderLayer(d_model, n_heads, d_ff or d_model,
                                                          dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, channels)
        self.time = nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        F._check_window(x, self.lookback, self.channels)
        h = self.drop(self.embed(self.revin.normalise(x)) + self.pe)  # (B, T, D): time tokens
        for layer in self.layers:
            h = layer(h)
        y = self.time(self.out(self.norm(h)).transpose(1, 2)).transpose(1, 2)  # (B, S, N)
        return self.revin.denormalise(y)


def build_model(name: str, lookback: int, horizon: int, channels: int, *, d_model: int,
                n_heads: int, n_layers: int = 2, dropout: float = 0.1,
                marks: bool = False) -> nn.Module:
    """One of :data:`SYN_MODELS` / :data:`MODELS` (``d_ff = d_model`` as the official ETT
    scripts). ``marks``: iTransformer takes the covariate channels after the ``channels``
    variates (:class:`WithMarks`); the other models take the variates only."""
    kw = dict(d_model=d_model, n_heads=n_heads, n_layers=n_layers, d_ff=d_model, dropout=dropout)
    if name in ("iTransformer", "w/o attention"):
        model = F.ITransformer(lookback, horizon, channels, **kw)
        if name == "w/o attention":
            without_attention(model)
        return WithMarks(model, channels) if marks else model
    if marks:
        raise ValueError(f"{name} takes no covariate marks")
    if name == "vanilla arrangement":
        return TimeTokenTransformer(lookback, horizon, channels, **kw)
    if name == "RLinear":
        return F.RLinear(lookback, horizon, channels)
    if name == "DLinear":
        return F.DLinear(lookback, horizon, channels)
    if name == "naive":
        return F.NaiveLast(horizon)
    raise ValueError(f"unknown model {name!r}; choose one of {SYN_MODELS + MODELS[2:3]}")


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def ett_windows(name: str, lookback: int, horizon: int, *, marks: bool = True
                ) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """``{"train"|"val"|"test": (X, Y)}`` of the official protocol: ``X (n, L, 7 [+ 4])`` with
    the 4 timeF marks of the look-back appended when ``marks``, ``Y (n, H, 7)``."""
    splits = ett.ett_splits(name, lookback)
    dates, _ = ett.load_ett(name)
    tf = ett.time_features(dates)
    rows = {"train": tf[:ett.TRAIN_END], "val": tf[ett.TRAIN_END - lookback:ett.VAL_END],
            "test": tf[ett.VAL_END - lookback:ett.TEST_END]}
    out = {}
    for split in ("train", "val", "test"):
        x, y = splits.windows(split, horizon)
        if marks:
            m, _ = ett.sliding_windows(rows[split], lookback, horizon)
            x = torch.cat([x, m], 2)
        out[split] = (x.contiguous(), y.contiguous())
    return out


@dataclass(frozen=True)
class LeadLag:
    """A lead–lag series ``values (T, N)`` (z-scored with the training rows) with its planted
    truth: each variate's ``driver`` and ``lag``, and the split rows."""

    values: np.ndarray
    driver: np.ndarray
    lag: np.ndarray
    train_end: int
    val_end: int

    def windows(self, split: str, lookback: int, horizon: int):
        """Stride-1 windows of a chronological 70/10/20 split (val/test start ``L`` rows early,
        as the ETT protocol)."""
        bounds = {"train": (0, self.train_end), "val": (self.train_end - lookback, self.val_end),
                  "test": (self.val_end - lookback, len(self.values))}
        if split not in bounds:
            raise ValueError(f"split must be train, val or test, got {split!r}")
        a, b = bounds[split]
        x, y = ett.sliding_windows(self.values[a:b], lookback, horizon)
        return x.contiguous(), y.contiguous()


def lead_lag_series(length: int = 8000, drivers: int = 4, lags=(0, 24, 48, 96), *,
                    ar_std: float = 0.15, seed: int = 0) -> LeadLag:
    """The lead–lag seasonal mixture of the module docstring (float32, train-only z-score)."""
    lags = np.asarray(lags, dtype=int)
    if drivers < 2 or lags.min() < 0 or length < 10 * (lags.max() + 1):
        raise ValueError("need drivers >= 2, lags >= 0 and length >= 10 × (max lag + 1)")
    rng = np.random.default_rng(seed)
    n, pad = drivers * len(lags), int(lags.max())
    t = np.arange(-pad, length)
    s = np.zeros((drivers, t.size))
    for k in range(drivers):
        for p in (24, 168):  # daily and weekly seasons
            s[k] += rng.uniform(0.5, 1.5) * np.sin(2 * np.pi * t / p + rng.uniform(0, 2 * np.pi))
        r, eps = 0.0, rng.normal(0, ar_std, t.size)
        for j in range(t.size):  # AR(1), phi = 0.98
            r = 0.98 * r + eps[j]
            s[k, j] += r
    driver = np.arange(n) % drivers
    lag = lags[np.arange(n) // drivers]
    c, b = rng.uniform(0.5, 2.0, n), rng.normal(0, 1, n)
    x = np.empty((length, n))
    for i in range(n):
        g, sl = driver[i], slice(pad - lag[i], pad - lag[i] + length)  # s(t - lag)
        x[:, i] = c[i] * s[g, sl] + 0.3 * s[(g + 1) % drivers, sl] + b[i]
    x += rng.normal(0, 0.1, x.shape)
    train_end, val_end = int(0.7 * length), int(0.8 * length)
    mean, std = x[:train_end].mean(0), x[:train_end].std(0)
    return LeadLag(((x - mean) / std).astype(np.float32), driver, lag, train_end, val_end)


# --------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------


@dataclass
class Forecast:
    """Test MSE/MAE of one model, with its training record and forecasts of one window."""

    mse: float
    mae: float
    epochs: int = 0
    steps: int = 0
    best_epoch: int = -1
    example: np.ndarray | None = None  # (H, N) forecast of the plotted test window


def _train_eval(model: nn.Module, data, *, lr: float, batch_size: int, epochs: int,
                patience: int, max_steps: int | None, seed: int, device,
                example: int | None = None) -> Forecast:
    model = model.to(device)
    fit = F.FitResult()
    if any(True for _ in model.parameters()):
        gen = torch.Generator().manual_seed(seed)
        fit = F.fit_forecaster(model, data["train"], data["val"], epochs=epochs,
                               batch_size=batch_size, lr=lr, patience=patience,
                               max_steps_per_epoch=max_steps, generator=gen, device=device)
    pred = F.predict(model, data["test"][0], device=device)
    mse, mae = ett.mse_mae(pred, data["test"][1])
    ex = None if example is None else pred[example].numpy()
    return Forecast(mse, mae, len(fit.val_mse), fit.steps, fit.best_epoch, ex)


def run_ett(cfg: Config, name: str, horizon: int, *, seed: int, device,
            models=MODELS, example: int | None = None) -> dict[str, Forecast]:
    """Train/evaluate ``models`` on ETT ``name`` at ``horizon`` (look-back ``cfg.lookback``),
    official protocol; each model starts from ``torch.manual_seed(seed)``."""
    data = ett_windows(name, cfg.lookback, horizon, marks=cfg.use_marks)
    plain = {k: (v[0][..., :7], v[1]) for k, v in data.items()}
    out = {}
    for m in models:
        torch.manual_seed(seed)
        itr = m == "iTransformer"
        model = build_model(m, cfg.lookback, horizon, 7, d_model=cfg.width(horizon),
                            n_heads=cfg.n_heads, n_layers=cfg.n_layers, dropout=cfg.dropout,
                            marks=itr and cfg.use_marks)
        out[m] = _train_eval(model, data if itr else plain, lr=cfg.lr,
                             batch_size=cfg.batch_size, epochs=cfg.epochs,
                             patience=cfg.patience, max_steps=cfg.max_steps_per_epoch or None,
                             seed=seed, device=device, example=example)
        out[m].model = model
    return out


def run_lead_lag(cfg: Config, *, seed: int, device, data: LeadLag | None = None,
                 models=SYN_MODELS) -> dict[tuple[str, int], Forecast]:
    """Every model of ``models`` at look-back 96 (the vanilla arrangement only when
    ``cfg.syn_vanilla``), iTransformer also at the other
    ``cfg.syn_lookbacks``; keys ``(model, L)``. The validation and test splits start ``L`` rows
    early, so every look-back is scored on the same target windows."""
    data = data or lead_lag_series(cfg.syn_length, cfg.syn_drivers, cfg.syn_lags,
                                   ar_std=cfg.syn_ar_std, seed=seed)
    models = [m for m in models if cfg.syn_vanilla or m != "vanilla arrangement"]
    runs = [(m, 96) for m in models] + [("iTransformer", L) for L in cfg.syn_lookbacks
                                         if L != 96 and "iTransformer" in models]
    out, cache = {}, {}
    for m, L in runs:
        if L not in cache:
            cache[L] = {s: data.windows(s, L, cfg.syn_horizon) for s in ("train", "val", "test")}
        torch.manual_seed(seed)
        model = build_model(m, L, cfg.syn_horizon, data.values.shape[1], d_model=cfg.syn_d_model,
                            n_heads=cfg.syn_heads, n_layers=cfg.n_layers, dropout=cfg.dropout)
        out[(m, L)] = _train_eval(model, cache[L], lr=cfg.syn_lr, batch_size=cfg.batch_size,
                                  epochs=cfg.syn_epochs, patience=cfg.patience,
                                  max_steps=cfg.syn_steps_per_epoch, seed=seed, device=device)
        out[(m, L)].model = model
    return out


def permutation_error(model: nn.Module, x: torch.Tensor, channels: int, *,
                      seed: int = 0) -> float:
    """max |f(x P) − f(x) P| over a random permutation ``P`` of the ``channels`` variates (the
    mark channels after them stay in place), eval mode."""
    perm = torch.randperm(channels, generator=torch.Generator().manual_seed(seed))
    full = torch.cat([perm, torch.arange(channels, x.shape[2])])
    model.eval()
    with torch.no_grad():
        y, yp = model(x), model(x[..., full])
    return float((yp - y[..., perm]).abs().max())


def cross_variate_influence(model: nn.Module, x: torch.Tensor, source: int, target: int
                            ) -> float:
    """max |Δ forecast of variate ``target``| when variate ``source``'s look-back is replaced
    by noise (eval mode): 0 for a model that does not mix variates."""
    model.eval()
    x2 = x.clone()
    x2[..., source] = torch.randn(x2[..., source].shape, generator=torch.Generator()
                                  .manual_seed(0))
    with torch.no_grad():
        return float((model(x2)[..., target] - model(x)[..., target]).abs().max())


def peer_block_error(d_model: int = 32, n_heads: int = 4, *, seed: int = 0) -> float:
    """max |ours − PyTorch| of one official block against ``nn.TransformerEncoderLayer``
    (post-norm, GELU) with the same weights, eval mode, float64."""
    torch.manual_seed(seed)
    ours = PostNormEncoderLayer(d_model, n_heads, 2 * d_model, 0.1).double().eval()
    peer = nn.TransformerEncoderLayer(d_model, n_heads, 2 * d_model, 0.1, activation="gelu",
                                      batch_first=True, norm_first=False).double().eval()
    with torch.no_grad():
        peer.self_attn.load_state_dict(ours.attn.state_dict())
        peer.linear1.load_state_dict(ours.ff[0].state_dict())
        peer.linear2.load_state_dict(ours.ff[3].state_dict())
        peer.norm1.load_state_dict(ours.norm1.state_dict())
        peer.norm2.load_state_dict(ours.norm2.state_dict())
        h = torch.randn(4, 11, d_model, dtype=torch.float64)
        return float((ours(h) - peer(h)).abs().max())


@torch.no_grad()
def attention_map(model: F.ITransformer, x: torch.Tensor, layer: int = 0) -> np.ndarray:
    """The variate–variate attention of block ``layer`` averaged over heads and the windows
    ``x (B, L, N)`` (no marks): row ``i`` = how much variate ``i`` attends to each variate."""
    if isinstance(model.layers[layer].attn, _ZeroAttention):
        raise ValueError(f"block {layer} has no attention (the 'w/o attention' ablation)")
    model.eval()
    h = model.embed(model.revin.normalise(x).transpose(1, 2))
    for blk in model.layers[:layer]:
        h = blk(h)
    _, w = model.layers[layer].attn(h, h, h, need_weights=True, average_attn_weights=True)
    return w.mean(0).cpu().numpy()


# --------------------------------------------------------------------------------------
# Cost
# --------------------------------------------------------------------------------------


def _step_seconds(tokens: int, width: int, lookback: int, horizon: int, batch: int,
                  gpu: bool) -> float:
    """One Adam step of a 2-block encoder on ``tokens`` tokens, its share of the validation
    passes included: ≈ 6 · batch · tokens · (12 width² + 2 width·(lookback + horizon)) flops.
    CPU rates fitted to the CPU time measured on the shared 2-core machine (ci, one thread):
    1.5e10 flop/s and 2 ms per step (ETTh1: 240 steps of width 128 on 11 tokens ≈ 8.5 s; the
    lead–lag runs ≈ 14 ms per step of width 64 on 16 tokens). A Colab T4: 4e12 flop/s, 3 ms."""
    flops = 6 * batch * tokens * (12 * width ** 2 + 2 * width * (lookback + horizon))
    return flops / (4e12 if gpu else 1.5e10) + (0.003 if gpu else 0.002)


def estimate_seconds(cfg: Config) -> float:
    """Own compute of the chapter on its profile's machine (2 CPU cores for ci, one Colab GPU
    for full), in seconds: the ETT runs (iTransformer; RLinear and DLinear at ≈ 3 ms a step),
    the lead–lag runs, and 3 s (10 s on a GPU machine) for data, plots and checks."""
    gpu = len(cfg.datasets) > 1 or len(cfg.horizons) > 1
    linear = 0.003
    total = 0.0
    for _ in cfg.datasets:
        for h in cfg.horizons:
            steps = (ett.TRAIN_END - cfg.lookback - h + 1) // cfg.batch_size
            if cfg.max_steps_per_epoch:
                steps = min(steps, cfg.max_steps_per_epoch)
            tokens = 7 + 4 * cfg.use_marks
            step = _step_seconds(tokens, cfg.width(h), cfg.lookback, h, cfg.batch_size, gpu)
            total += cfg.epochs * steps * (step + 2 * linear)
    syn = cfg.syn_epochs * cfg.syn_steps_per_epoch
    n, d, s = cfg.syn_variates, cfg.syn_d_model, cfg.syn_horizon
    for lookback in cfg.syn_lookbacks:  # iTransformer at every look-back
        total += syn * _step_seconds(n, d, lookback, s, cfg.batch_size, gpu)
    total += syn * (_step_seconds(n, d, 96, s, cfg.batch_size, gpu) + linear)  # w/o attn, RLinear
    if cfg.syn_vanilla:  # 96 time tokens of width d
        total += syn * _step_seconds(96, d, 0, 0, cfg.batch_size, gpu)
    return total + (10.0 if gpu else 3.0)
