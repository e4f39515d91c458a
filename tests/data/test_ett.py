"""The shipped ETT files, the md5 check, the 12/4/4-month protocol and the window maker."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from nonlinlab.data import ett


def test_etth1_loads_with_the_standard_layout():
    dates, x = ett.load_ett("ETTh1")
    assert x.shape == (17420, 7) and dates.shape == (17420,)
    assert str(dates[0]) == "2016-07-01T00" and np.all(np.diff(dates) == np.timedelta64(1, "h"))
    assert abs(x[0, -1] - 30.5310001373291) < 1e-12  # OT, the first row of the file
    assert ett.load_ett("ETTh2")[1].shape == (17420, 7)


def test_a_modified_copy_is_refused(tmp_path, monkeypatch):
    for f in ett.FOLDER.iterdir():
        shutil.copy(f, tmp_path / f.name)
    csv = tmp_path / "ETTh1.csv"
    csv.write_bytes(csv.read_bytes().replace(b"30.5310001373291", b"30.5310001373292", 1))
    monkeypatch.setattr(ett, "FOLDER", tmp_path)
    ett.load_ett.cache_clear()
    try:
        with pytest.raises(ValueError, match="md5"):
            ett.load_ett("ETTh1")
        with pytest.raises(ValueError, match="unknown ETT subset"):
            ett.load_ett("ETTm1")
        (tmp_path / "ETTh2.csv").unlink()
        with pytest.raises(FileNotFoundError):
            ett.load_ett("ETTh2")
    finally:
        ett.load_ett.cache_clear()


def test_splits_use_train_statistics_and_the_lookback_overlap():
    s = ett.ett_splits("ETTh1", lookback=96)
    assert s.train.shape == (8640, 7) and s.val.shape == (2880 + 96, 7)
    assert s.test.shape == (2880 + 96, 7)
    assert np.allclose(s.train.mean(0), 0, atol=1e-5) and np.allclose(s.train.std(0), 1, atol=1e-5)
    assert not np.allclose(s.test.mean(0), 0, atol=0.05)  # test statistics were not used
    _, x = ett.load_ett("ETTh1")
    assert np.allclose(s.test[0], (x[11520 - 96] - s.mean) / s.std, atol=1e-5)
    X, Y = s.windows("test", 96)
    assert X.shape == (2785, 96, 7) and Y.shape == (2785, 96, 7)  # the papers' test count
    assert torch.equal(Y[0], torch.from_numpy(s.test[96:192]))
    with pytest.raises(ValueError):
        s.windows("holdout", 96)
    with pytest.raises(ValueError):
        ett.ett_splits("ETTh1", lookback=0)


def test_sliding_windows_and_metrics():
    series = torch.arange(20.0).view(10, 2)
    X, Y = ett.sliding_windows(series, 3, 2)
    assert X.shape == (6, 3, 2) and Y.shape == (6, 2, 2)
    assert torch.equal(X[4], series[4:7]) and torch.equal(Y[4], series[7:9])
    with pytest.raises(ValueError):
        ett.sliding_windows(series, 8, 3)
    mse, mae = ett.mse_mae(torch.tensor([1.0, 3.0]), torch.tensor([0.0, 0.0]))
    assert (mse, mae) == (5.0, 2.0)


def test_time_features_match_pandas():
    import pandas as pd

    dates, _ = ett.load_ett("ETTh1")
    f = ett.time_features(dates[:500])
    idx = pd.DatetimeIndex(dates[:500].astype("datetime64[ns]"))
    want = np.stack([idx.hour / 23 - 0.5, idx.dayofweek / 6 - 0.5, (idx.day - 1) / 30 - 0.5,
                     (idx.dayofyear - 1) / 365 - 0.5], 1)
    assert f.shape == (500, 4) and np.allclose(f, want, atol=1e-6)
