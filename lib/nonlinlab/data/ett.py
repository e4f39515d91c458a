"""The ETT benchmark (Electricity Transformer Temperature, hourly: ETTh1, ETTh2), offline.

Unmodified copies of ``ETTh1.csv`` and ``ETTh2.csv`` (zhouhaoyi/ETDataset, Zhou et al. 2021,
CC BY-ND 4.0: redistributed unmodified with the licence and attribution in
``nonlinlab/data/files/ETT/``) ship inside the package, so a fresh clone and a Colab install both
have them. Every load checks the file's md5; all preprocessing happens here, at run time.

The long-horizon forecasting protocol of Informer / iTransformer / OLinear (``features="M"``:
all seven variates in, all seven out; ``OT`` is the last column):

* splits by row: train ``[0, 8640)`` (12 months), validation ``[8640 − L, 11520)``, test
  ``[11520 − L, 14400)`` (4 months each), where the first ``L`` rows of validation/test are
  the look-back of their first window (:func:`ett_splits`);
* z-scoring with the mean and standard deviation of the **training rows only**;
* windows: look-back ``L``, horizon ``H``, stride 1 (:func:`sliding_windows`), ``n − L − H + 1``
  windows per split;
* MSE and MAE averaged over windows, steps and variates on the normalised scale
  (:func:`mse_mae`), which is what the papers' tables report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

FOLDER = Path(__file__).resolve().parent / "files" / "ETT"
MD5 = {"ETTh1": "8381763947c85f4be6ac456c508460d6", "ETTh2": "51a229a3fc13579dd939364fefe9c7ab"}
COLUMNS = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")
N_ROWS = 17420
MONTH = 30 * 24  # hours; the protocol's "month"
TRAIN_END, VAL_END, TEST_END = 12 * MONTH, 16 * MONTH, 20 * MONTH  # 8640, 11520, 14400


def ett_path(name: str = "ETTh1") -> Path:
    """The shipped CSV of ``name``; ValueError for an unknown name, FileNotFoundError when the
    package was installed without its data files."""
    if name not in MD5:
        raise ValueError(f"unknown ETT subset {name!r}; choose one of {sorted(MD5)}")
    path = FOLDER / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: nonlinlab was installed without its package "
                                "data; reinstall it from the repository (pip install ./lib)")
    return path


@lru_cache(maxsize=2)
def load_ett(name: str = "ETTh1") -> tuple[np.ndarray, np.ndarray]:
    """``(dates, values)``: ``dates`` datetime64[h] ``(17420,)``, ``values`` float64
    ``(17420, 7)`` in the order of :data:`COLUMNS`. Raises ValueError when the md5 differs."""
    path = ett_path(name)
    raw = path.read_bytes()
    digest = hashlib.md5(raw).hexdigest()
    if digest != MD5[name]:
        raise ValueError(f"{path} has md5 {digest}, expected {MD5[name]}: the file was modified "
                         "or truncated (the licence allows only unmodified copies); restore it "
                         "from the repository")
    lines = raw.decode("ascii").strip().splitlines()
    header = lines[0].split(",")
    if header != ["date", *COLUMNS] or len(lines) - 1 != N_ROWS:
        raise ValueError(f"unexpected layout of {path}: header {header}, {len(lines) - 1} rows")
    dates = np.array([ln[:19] for ln in lines[1:]], dtype="datetime64[h]")
    values = np.array([ln.split(",", 1)[1].split(",") for ln in lines[1:]], dtype=np.float64)
    dates.flags.writeable = values.flags.writeable = False
    return dates, values


@dataclass(frozen=True)
class ForecastSplits:
    """Normalised train/validation/test series (float32, ``(rows, 7)``) for look-back ``L``,
    with the training statistics used to normalise them."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    lookback: int
    name: str

    def windows(self, split: str, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(X, Y)`` of one split: ``X (n, L, 7)``, ``Y (n, H, 7)`` (views, stride 1)."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"split must be train, val or test, got {split!r}")
        return sliding_windows(getattr(self, split), self.lookback, horizon)


def ett_splits(name: str = "ETTh1", lookback: int = 96) -> ForecastSplits:
    """The 12/4/4-month split with look-back ``L``, z-scored with train statistics only."""
    if not 1 <= int(lookback) <= 2 * MONTH or int(lookback) != lookback:
        raise ValueError(f"lookback must be an integer in 1..{2 * MONTH}, got {lookback!r}")
    L = int(lookback)
    _, x = load_ett(name)
    mean, std = x[:TRAIN_END].mean(0), x[:TRAIN_END].std(0)  # population std, as sklearn
    z = ((x - mean) / std).astype(np.float32)
    return ForecastSplits(z[:TRAIN_END], z[TRAIN_END - L:VAL_END], z[VAL_END - L:TEST_END],
                          mean, std, L, name)


def sliding_windows(series, lookback: int, horizon: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All windows of a ``(T, C)`` series: ``X[i] = s[i : i+L]``, ``Y[i] = s[i+L : i+L+H]``,
    ``i = 0 .. T−L−H``. Views of one tensor (no copy)."""
    s = torch.as_tensor(series)
    if s.dim() != 2:
        raise ValueError(f"series must be (T, C), got {tuple(s.shape)}")
    if lookback < 1 or horizon < 1 or lookback + horizon > s.shape[0]:
        raise ValueError(f"need 1 <= L, 1 <= H and L + H <= T; got L={lookback}, H={horizon}, "
                         f"T={s.shape[0]}")
    w = s.unfold(0, lookback + horizon, 1).transpose(1, 2)  # (n, L+H, C)
    return w[:, :lookback], w[:, lookback:]


def time_features(dates: np.ndarray) -> np.ndarray:
    """The official ``timeF`` marks of hourly data, each in [−0.5, 0.5]: hour of day, day of
    week, day of month, day of year → float32 ``(len(dates), 4)``."""
    d = np.asarray(dates, dtype="datetime64[h]")
    days = d.astype("datetime64[D]")
    hour = (d - days).astype(int)
    weekday = (days.astype(int) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    month_start = days.astype("datetime64[M]").astype("datetime64[D]")
    year_start = days.astype("datetime64[Y]").astype("datetime64[D]")
    day_of_month = (days - month_start).astype(int) + 1
    day_of_year = (days - year_start).astype(int) + 1
    return np.stack([hour / 23.0 - 0.5, weekday / 6.0 - 0.5, (day_of_month - 1) / 30.0 - 0.5,
                     (day_of_year - 1) / 365.0 - 0.5], 1).astype(np.float32)


def mse_mae(pred: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """Mean squared and mean absolute error over every element (the papers' metrics)."""
    if pred.shape != target.shape:
        raise ValueError(f"shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    d = (pred - target).double()
    return float((d * d).mean()), float(d.abs().mean())
