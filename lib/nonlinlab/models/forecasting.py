"""Multivariate long-horizon forecasters shared by the forecasting chapters, and their protocol.

Every model maps a look-back window ``x (B, L, C)`` to a forecast ``(B, H, C)``.

* :class:`RevIN` — reversible instance normalisation (Kim et al. 2022): each window is
  normalised by its own per-variate mean and standard deviation, the forecast de-normalised
  with the same statistics (optionally with a learned affine map in between);
* :class:`NaiveLast` — repeat the last observed value (no parameters);
* :class:`RLinear` — RevIN + one linear map ``L → H`` shared by all variates
  (channel-independent; Li et al. 2023), the strong linear baseline of iTransformer/OLinear;
* :class:`DLinear` — moving-average decomposition (kernel 25, replicate padding) into trend and
  remainder, one linear map ``L → H`` each, summed (Zeng et al. 2023);
* :class:`TemporalTransformer` — the "vanilla" arrangement iTransformer inverts: one token per
  time step (all variates embedded together), a Transformer encoder, a linear head;
* :class:`ITransformer` — the inverted arrangement (Liu et al. 2024): one token per *variate*
  (its whole look-back window embedded by ``Linear(L, d)``), attention across variates, a
  feed-forward network applied to each variate token, ``Linear(d, H)`` per token; optional
  time-feature covariates enter as extra tokens (the official ``timeF`` marks), and the
  per-window normalisation of the official ``use_norm``;
* :func:`fit_forecaster` — the Time-Series-Library training protocol the papers use: Adam, MSE,
  learning rate halved after every epoch ("type1"), early stopping on the validation MSE
  (patience 3), the best-validation weights restored.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from torch import nn


def _check_window(x: torch.Tensor, lookback: int | None = None, channels: int | None = None):
    if x.dim() != 3:
        raise ValueError(f"expected a window batch (B, L, C), got shape {tuple(x.shape)}")
    if lookback is not None and x.shape[1] != lookback:
        raise ValueError(f"expected look-back L={lookback}, got {x.shape[1]}")
    if channels is not None and x.shape[2] != channels:
        raise ValueError(f"expected C={channels} variates, got {x.shape[2]}")


class RevIN(nn.Module):
    """``normalise``: ``(x − μ)/σ`` per window and variate (σ with ``eps`` inside the root, as
    the reference code), then ``γ·x + β`` when ``affine``; ``denormalise`` inverts both with the
    statistics of the last ``normalise`` call."""

    def __init__(self, channels: int, *, affine: bool = False, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.affine = affine
        if affine:
            self.gamma = nn.Parameter(torch.ones(channels))
            self.beta = nn.Parameter(torch.zeros(channels))
        self._stats: tuple[torch.Tensor, torch.Tensor] | None = None

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        _check_window(x)
        mean = x.mean(1, keepdim=True).detach()
        std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + self.eps).detach()
        self._stats = (mean, std)
        z = (x - mean) / std
        return z * self.gamma + self.beta if self.affine else z

    def denormalise(self, y: torch.Tensor) -> torch.Tensor:
        if self._stats is None:
            raise RuntimeError("denormalise called before normalise")
        mean, std = self._stats
        if self.affine:
            y = (y - self.beta) / (self.gamma + self.eps * self.eps)
        return y * std + mean


class NaiveLast(nn.Module):
    """The last observed value, repeated over the horizon."""

    def __init__(self, horizon: int):
        super().__init__()
        self.horizon = horizon

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_window(x)
        return x[:, -1:, :].expand(-1, self.horizon, -1)


class RLinear(nn.Module):
    """RevIN → one ``Linear(L, H)`` along time, shared by the variates → de-normalise."""

    def __init__(self, lookback: int, horizon: int, channels: int, *, affine: bool = True):
        super().__init__()
        self.lookback, self.channels = lookback, channels
        self.revin = RevIN(channels, affine=affine)
        self.linear = nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_window(x, self.lookback, self.channels)
        z = self.revin.normalise(x)
        return self.revin.denormalise(self.linear(z.transpose(1, 2)).transpose(1, 2))


def moving_average(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """Centred moving average along time with the ends replicated (DLinear's trend)."""
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel must be a positive odd integer, got {kernel}")
    pad = (kernel - 1) // 2
    padded = torch.cat([x[:, :1].expand(-1, pad, -1), x, x[:, -1:].expand(-1, pad, -1)], 1)
    return padded.unfold(1, kernel, 1).mean(-1)


class DLinear(nn.Module):
    """Trend = moving average (kernel 25), remainder = x − trend; ``Linear(L, H)`` on each,
    shared across variates, summed."""

    def __init__(self, lookback: int, horizon: int, channels: int, *, kernel: int = 25):
        super().__init__()
        self.lookback, self.channels, self.kernel = lookback, channels, kernel
        self.trend = nn.Linear(lookback, horizon)
        self.seasonal = nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_window(x, self.lookback, self.channels)
        trend = moving_average(x, self.kernel)
        out = self.trend(trend.transpose(1, 2)) + self.seasonal((x - trend).transpose(1, 2))
        return out.transpose(1, 2)


def sinusoidal_positions(length: int, d_model: int) -> torch.Tensor:
    """The Transformer's fixed positions ``(length, d_model)``: ``sin`` on even and ``cos`` on
    odd channels of ``t / 10000^{2i/d}``."""
    pos = torch.arange(length)[:, None] * torch.exp(
        torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(length, d_model)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos), torch.cos(pos[:, : d_model // 2])
    return pe


class TemporalTransformer(nn.Module):
    """One token per time step: ``Linear(C, d)`` + sinusoidal positions, a pre-norm Transformer
    encoder, then ``Linear(L·d, H·C)`` on the flattened tokens (RevIN around it)."""

    def __init__(self, lookback: int, horizon: int, channels: int, *, d_model: int = 64,
                 n_heads: int = 4, n_layers: int = 2, d_ff: int = 128, dropout: float = 0.1):
        super().__init__()
        self.lookback, self.horizon, self.channels = lookback, horizon, channels
        self.revin = RevIN(channels)
        self.embed = nn.Linear(channels, d_model)
        self.register_buffer("pe", sinusoidal_positions(lookback, d_model), persistent=False)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.head = nn.Linear(lookback * d_model, horizon * channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_window(x, self.lookback, self.channels)
        z = self.revin.normalise(x)
        h = self.encoder(self.embed(z) + self.pe)
        y = self.head(h.flatten(1)).view(-1, self.horizon, self.channels)
        return self.revin.denormalise(y)


class PostNormEncoderLayer(nn.Module):
    """The official iTransformer encoder layer: ``x = LN(x + Attn(x))``,
    ``x = LN(x + FFN(x))`` with a GELU FFN (1×1 convolutions in the official code)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Dropout(dropout),
                                nn.Linear(d_ff, d_model))
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.drop(self.attn(x, x, x, need_weights=False)[0]))
        return self.norm2(x + self.drop(self.ff(x)))


class ITransformer(nn.Module):
    """iTransformer: tokens are variates. ``forward(x, marks=None)`` with ``x (B, L, C)`` and
    optional time features ``marks (B, L, M)`` (extra tokens, attended to but not forecast)
    → ``(B, H, C)``. ``use_norm`` is the official per-window normalisation (RevIN without
    affine); ETTh1's official settings: ``d_model = d_ff = 256``, 2 layers, 8 heads,
    dropout 0.1."""

    def __init__(self, lookback: int, horizon: int, channels: int, *, d_model: int = 256,
                 n_heads: int = 8, n_layers: int = 2, d_ff: int = 256, dropout: float = 0.1,
                 use_norm: bool = True):
        super().__init__()
        self.lookback, self.horizon, self.channels = lookback, horizon, channels
        self.revin = RevIN(channels) if use_norm else None  # no affine: any C works
        self.embed = nn.Linear(lookback, d_model)
        self.embed_drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList(PostNormEncoderLayer(d_model, n_heads, d_ff, dropout)
                                    for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.project = nn.Linear(d_model, horizon)

    def forward(self, x: torch.Tensor, marks: torch.Tensor | None = None) -> torch.Tensor:
        _check_window(x, self.lookback)
        C = x.shape[2]  # any number of variates: the model is variate-count agnostic
        z = self.revin.normalise(x) if self.revin is not None else x
        tokens = z.transpose(1, 2)  # (B, C, L)
        if marks is not None:
            _check_window(marks, self.lookback)
            tokens = torch.cat([tokens, marks.transpose(1, 2).to(tokens)], 1)
        h = self.embed_drop(self.embed(tokens))
        for layer in self.layers:
            h = layer(h)
        y = self.project(self.norm(h))[:, :C].transpose(1, 2)  # (B, H, C)
        return self.revin.denormalise(y) if self.revin is not None else y


@dataclass
class FitResult:
    """What :func:`fit_forecaster` did: per-epoch training and validation loss (the MSE unless
    another ``loss`` was given; the field names keep the default's), the best epoch."""

    train_mse: list[float] = field(default_factory=list)
    val_mse: list[float] = field(default_factory=list)
    best_epoch: int = -1
    steps: int = 0


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, *, batch_size: int = 512,
            device: torch.device | None = None) -> torch.Tensor:
    """Forecasts for all windows ``x`` (eval mode, batched), on the CPU."""
    model.eval()
    device = device or next((p.device for p in model.parameters()), torch.device("cpu"))
    out = [model(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out) if out else x.new_zeros((0,))


def fit_forecaster(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor],
                   val: tuple[torch.Tensor, torch.Tensor], *, epochs: int = 10,
                   batch_size: int = 32, lr: float = 1e-4, patience: int = 3,
                   max_steps_per_epoch: int | None = None, generator: torch.Generator,
                   device: torch.device | None = None, loss=None) -> FitResult:
    """Train with Adam on the MSE, halving the learning rate after every epoch, stopping when
    the validation MSE has not improved for ``patience`` epochs; the best-validation weights are
    loaded back. ``max_steps_per_epoch`` caps an epoch (the ci profile's budget): the windows of
    an epoch are a random sample (``generator``) of that many batches. ``loss(pred, target)``
    replaces the MSE for both training and early stopping (e.g. OLinear's weighted L1)."""
    loss_fn = nn.functional.mse_loss if loss is None else loss
    if epochs < 1 or batch_size < 1 or lr <= 0 or patience < 1:
        raise ValueError("epochs, batch_size and patience must be >= 1 and lr > 0")
    device = device or next(model.parameters()).device
    x_tr, y_tr = train
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    result, best, best_state, stale = FitResult(), math.inf, None, 0
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = lr * 0.5 ** epoch  # "type1": halve after every epoch
        order = torch.randperm(len(x_tr), generator=generator)
        n_batches = math.ceil(len(order) / batch_size)
        if max_steps_per_epoch is not None:
            n_batches = min(n_batches, max_steps_per_epoch)
        model.train()
        total = 0.0
        for b in range(n_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            xb, yb = x_tr[idx].to(device), y_tr[idx].to(device)
            batch_loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            total += batch_loss.item()
            result.steps += 1
        result.train_mse.append(total / max(n_batches, 1))
        pred = predict(model, val[0], device=device)
        v = float(loss_fn(pred, val[1]))
        result.val_mse.append(v)
        if v < best:
            best, stale, result.best_epoch = v, 0, epoch
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return result
