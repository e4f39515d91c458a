r"""Implicit-feedback (user–item interaction) data for the recommendation chapters.

* :class:`ImplicitData` — a train/test split of binary interactions, with the CSR views every
  model and the evaluation need.
* :func:`split_per_user` — the per-user random split (each user with at least two interactions
  keeps at least one in train and one in test), as used for MovieLens-100k.
* :func:`planted_communities` — a synthetic generator with *known* structure (users and items
  belong to communities; interactions favour one's own community, with Pareto popularity).
* :func:`read_lightgcn_format` / :func:`write_lightgcn_format` — the ``train.txt``/``test.txt``
  format of the LightGCN and UltraGCN repositories (one line per user: ``uid item item ...``).
* :func:`download_benchmark` — Gowalla, Yelp2018 and Amazon-Book in that format, for the
  ``full`` profile only (network; every file is checked against its git blob hash).

The real MovieLens-100k loader is :func:`nonlinlab.data.movielens.load_movielens100k`.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True, eq=False)
class ImplicitData:
    """Binary interactions split into train and test.

    ``train`` and ``test`` are ``(n, 2)`` int64 arrays of ``(user, item)`` pairs, without
    duplicates and without overlap; ids are ``0..n_users-1`` and ``0..n_items-1``.
    """

    n_users: int
    n_items: int
    train: np.ndarray
    test: np.ndarray
    name: str = "implicit"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for what, arr in (("train", self.train), ("test", self.test)):
            arr = np.asarray(arr)
            if arr.ndim != 2 or arr.shape[1] != 2:
                raise ValueError(f"{what} must be an (n, 2) array of (user, item) pairs")
            if arr.size and (arr.min() < 0 or arr[:, 0].max() >= self.n_users
                             or arr[:, 1].max() >= self.n_items):
                raise ValueError(f"{what} has ids outside [0, n_users) x [0, n_items)")
        if len(self.train) == 0:
            raise ValueError("train split is empty")
        train_keys = self.train[:, 0] * self.n_items + self.train[:, 1]
        test_keys = self.test[:, 0] * self.n_items + self.test[:, 1]
        if len(np.unique(train_keys)) != len(train_keys):
            raise ValueError("train contains duplicate (user, item) pairs")
        if len(np.intersect1d(train_keys, test_keys)):
            raise ValueError("train and test overlap")

    # -- sparse views ---------------------------------------------------------------------
    def _csr(self, pairs: np.ndarray) -> sp.csr_matrix:
        m = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32), (pairs[:, 0], pairs[:, 1])),
                          shape=(self.n_users, self.n_items))
        m.sum_duplicates()
        m.sort_indices()
        return m

    @cached_property
    def train_csr(self) -> sp.csr_matrix:
        """R, the (n_users, n_items) binary training matrix."""
        return self._csr(self.train)

    @cached_property
    def test_csr(self) -> sp.csr_matrix:
        return self._csr(self.test)

    @cached_property
    def user_degree(self) -> np.ndarray:
        return np.diff(self.train_csr.indptr).astype(np.int64)

    @cached_property
    def item_degree(self) -> np.ndarray:
        return np.bincount(self.train[:, 1], minlength=self.n_items).astype(np.int64)

    @cached_property
    def train_keys(self) -> np.ndarray:
        """Sorted ``user * n_items + item`` of the training pairs (fast membership tests)."""
        return np.sort(self.train[:, 0] * self.n_items + self.train[:, 1])

    def is_train_positive(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Boolean array: is ``(users[k], items[k])`` a training pair? (A dense bitmap when
        the matrix is small, binary search in :attr:`train_keys` otherwise.)"""
        if self._train_bitmap is not None:
            return self._train_bitmap[users, items]
        keys = self.train_keys
        q = np.asarray(users, dtype=np.int64) * self.n_items + items
        pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        return keys[pos] == q

    @cached_property
    def _train_bitmap(self) -> np.ndarray | None:
        if self.n_users * self.n_items > 2**26:
            return None
        m = np.zeros((self.n_users, self.n_items), dtype=bool)
        m[self.train[:, 0], self.train[:, 1]] = True
        return m

    @property
    def test_users(self) -> np.ndarray:
        return np.flatnonzero(np.diff(self.test_csr.indptr) > 0)

    def summary(self) -> dict:
        n = len(self.train) + len(self.test)
        return {"name": self.name, "users": self.n_users, "items": self.n_items,
                "interactions": n, "train": len(self.train), "test": len(self.test),
                "density": n / (self.n_users * self.n_items),
                "users_without_train": int((self.user_degree == 0).sum()),
                "items_without_train": int((self.item_degree == 0).sum())}


# -----------------------------------------------------------------------------------------
# Splitting
# -----------------------------------------------------------------------------------------


def split_per_user(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int, *,
                   test_frac: float = 0.2, seed: int = 2020, name: str = "implicit",
                   meta: dict | None = None) -> ImplicitData:
    """Random per-user split: a user with n interactions gives ``max(1, round(test_frac·n))``
    of them (chosen uniformly) to test, the rest to train; users with a single interaction
    keep it in train. Duplicated pairs are merged first."""
    if not 0.0 < test_frac < 1.0:
        raise ValueError(f"test_frac must be in (0, 1), got {test_frac}")
    users, items = np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)
    if users.shape != items.shape or users.ndim != 1:
        raise ValueError("users and items must be 1-d arrays of the same length")
    keys = np.unique(users * n_items + items)
    users, items = keys // n_items, keys % n_items  # sorted by user, then item
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(keys)), users))  # random order within each user
    users, items = users[order], items[order]
    counts = np.bincount(users, minlength=n_users)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(users)) - start[users]
    n_test = np.where(counts >= 2, np.maximum(1, np.round(test_frac * counts)), 0).astype(int)
    is_test = rank < n_test[users]
    pairs = np.stack([users, items], 1)

    def _sorted(p):
        return p[np.lexsort((p[:, 1], p[:, 0]))]

    return ImplicitData(n_users, n_items, _sorted(pairs[~is_test]), _sorted(pairs[is_test]),
                        name=name, meta=dict(meta or {}, test_frac=test_frac, split_seed=seed))


# -----------------------------------------------------------------------------------------
# Planted communities
# -----------------------------------------------------------------------------------------


def planted_communities(n_users: int = 600, n_items: int = 900, n_communities: int = 8, *,
                        mean_extra: float = 8.0, min_interactions: int = 10,
                        p_in: float = 0.85, taste_mass: float = 0.15, pareto_a: float = 1.5,
                        max_pop: float = 20.0, test_frac: float = 0.2, seed: int = 0
                        ) -> ImplicitData:
    """Synthetic implicit feedback with planted community structure.

    Every user and item gets a community (uniform) and a popularity/activity weight
    ``w ~ Pareto(a) + 1`` clipped to ``[1, max_pop]``. User ``u`` (community ``c_u``, and a
    second "taste" community ``t_u ≠ c_u``) interacts with ``n_u = min_interactions +
    Poisson(mean_extra)`` distinct items drawn without replacement with probability
    ∝ ``pop_i · m_u(c_i)``, where the community mass is ``p_in·(1 − taste_mass)`` on
    ``c_u``, ``p_in·taste_mass`` on ``t_u`` and ``1 − p_in`` spread evenly over the others.
    The split is :func:`split_per_user`. Ground truth is in ``meta``: ``user_comm``,
    ``user_taste``, ``item_comm``, ``item_pop``.
    """
    if n_communities < 2:
        raise ValueError("need at least 2 communities")
    if not (0 < p_in <= 1 and 0 <= taste_mass < 1):
        raise ValueError("need 0 < p_in <= 1 and 0 <= taste_mass < 1")
    if min_interactions < 2 or min_interactions + 3 * mean_extra >= n_items:
        raise ValueError("min_interactions must be >= 2 and users must fit in the item set")
    rng = np.random.default_rng(seed)
    user_comm = rng.integers(0, n_communities, n_users)
    user_taste = (user_comm + rng.integers(1, n_communities, n_users)) % n_communities
    item_comm = rng.integers(0, n_communities, n_items)
    item_pop = np.clip(rng.pareto(pareto_a, n_items) + 1.0, 1.0, max_pop)
    n_u = np.minimum(min_interactions + rng.poisson(mean_extra, n_users), n_items // 2)
    # community mass table (users x communities), then per-item weights
    mass = np.full((n_users, n_communities), (1 - p_in) / max(n_communities - 2, 1))
    rows = np.arange(n_users)
    mass[rows, user_comm] = p_in * (1 - taste_mass)
    mass[rows, user_taste] = p_in * taste_mass
    comm_size = np.bincount(item_comm, weights=item_pop, minlength=n_communities)
    comm_size[comm_size == 0] = 1.0
    weights = mass[:, item_comm] * item_pop[None, :] / comm_size[item_comm][None, :]
    # sampling without replacement ∝ weights: Gumbel top-k (Efraimidis–Spirakis)
    keys = np.log(weights) - np.log(-np.log(rng.random(weights.shape)))
    order = np.argsort(-keys, axis=1)
    users = np.repeat(rows, n_u)
    items = np.concatenate([order[u, :n_u[u]] for u in rows])
    meta = {"user_comm": user_comm, "user_taste": user_taste, "item_comm": item_comm,
            "item_pop": item_pop, "n_communities": n_communities}
    return split_per_user(users, items, n_users, n_items, test_frac=test_frac, seed=seed + 1,
                          name="planted", meta=meta)


# -----------------------------------------------------------------------------------------
# The LightGCN train.txt / test.txt format and the papers' benchmarks (full profile)
# -----------------------------------------------------------------------------------------


def _read_lines(path: Path) -> tuple[np.ndarray, np.ndarray]:
    users, items = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:  # a user without items (UltraGCN's test files have some)
                continue
            ids = np.asarray(parts, dtype=np.int64)
            users.append(np.full(len(ids) - 1, ids[0]))
            items.append(ids[1:])
    if not users:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(users), np.concatenate(items)


def read_lightgcn_format(train_path: str | os.PathLike, test_path: str | os.PathLike, *,
                         name: str = "benchmark") -> ImplicitData:
    """Read a ``train.txt``/``test.txt`` pair (``uid item item ...`` per line). As in the
    official loaders, ``n_users``/``n_items`` are the largest ids seen plus one."""
    tu, ti = _read_lines(Path(train_path))
    su, si = _read_lines(Path(test_path))
    if len(tu) == 0:
        raise ValueError(f"{train_path} holds no interactions")
    n_users = int(max(tu.max(), su.max() if len(su) else 0)) + 1
    n_items = int(max(ti.max(), si.max() if len(si) else 0)) + 1

    def _pairs(u, i):
        keys = np.unique(u * n_items + i)
        return np.stack([keys // n_items, keys % n_items], 1)

    train, test = _pairs(tu, ti), _pairs(su, si)
    keys = train[:, 0] * n_items + train[:, 1]
    test = test[~np.isin(test[:, 0] * n_items + test[:, 1], keys)]
    return ImplicitData(n_users, n_items, train, test, name=name)


def write_lightgcn_format(data: ImplicitData, folder: str | os.PathLike) -> None:
    """Write ``train.txt`` and ``test.txt`` (users without items are left out)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for fname, m in (("train.txt", data.train_csr), ("test.txt", data.test_csr)):
        with open(folder / fname, "w") as f:
            for u in range(data.n_users):
                its = m.indices[m.indptr[u]:m.indptr[u + 1]]
                if len(its):
                    f.write(" ".join(map(str, [u, *its.tolist()])) + "\n")


#: The three benchmarks of both papers, from the UltraGCN repository at a pinned commit (the
#: same files as LightGCN's ``Data/`` folder, LightGCN train/test format). The checksum is the
#: git blob hash (SHA-1 of ``b"blob <size>\0" + content``) recorded in that commit's tree.
BENCHMARK_COMMIT = "b220010d62af08bd895963a3d71c7c8e55ee1f56"
BENCHMARK_URL = "https://raw.githubusercontent.com/xue-pai/UltraGCN/{commit}/data/{folder}/{file}"
BENCHMARKS = {
    "gowalla": {"folder": "gowalla",
                "train.txt": "a27782bd7a1d4d0744148dc0460ea94da74763f2",
                "test.txt": "9ed5af4b5d21511f33740b4e22e3852f45671800",
                "stats": (29858, 40981, 1027370)},
    "yelp2018": {"folder": "yelp2018",
                 "train.txt": "cda12361055ba448ae4bd1070f6000c16dea8f22",
                 "test.txt": "30dfbc3437b27b74cb2970b435a5ec93ad9f2468",
                 "stats": (31668, 38048, 1561406)},
    "amazon-book": {"folder": "amazon",
                    "train.txt": "6ef55159c5f1fd7f6d86eb9ff290d0cc2854ac99",
                    "test.txt": "09e5da4e0bf46c751c4ba0f4375e414fd13512cd",
                    "stats": (52643, 91599, 2984108)},
}


def git_blob_sha1(data: bytes) -> str:
    """The hash git gives a file with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def default_cache_dir() -> Path:
    return Path(os.environ.get("NONLINLAB_DATA", Path.home() / ".cache" / "nonlinlab"))


def download_benchmark(name: str, root: str | os.PathLike | None = None) -> ImplicitData:
    """Download (once) and load one of :data:`BENCHMARKS` — ``full`` profile only.

    Files are checked against their git blob hashes; a failed download or a mismatch raises
    ``RuntimeError`` saying where to put the files by hand.
    """
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}")
    spec = BENCHMARKS[name]
    folder = Path(root) if root is not None else default_cache_dir() / "lightgcn-data" / name
    folder.mkdir(parents=True, exist_ok=True)
    for fname in ("train.txt", "test.txt"):
        path = folder / fname
        if path.exists() and git_blob_sha1(path.read_bytes()) == spec[fname]:
            continue
        url = BENCHMARK_URL.format(commit=BENCHMARK_COMMIT, folder=spec["folder"], file=fname)
        try:
            with urllib.request.urlopen(url, timeout=120) as resp:
                payload = resp.read()
        except Exception as err:  # any network failure gets the same advice
            raise RuntimeError(
                f"could not download {url} ({err}). Download it by hand and place it at "
                f"{path} (LightGCN train/test format), or run the ci profile (offline)."
            ) from err
        got = git_blob_sha1(payload)
        if got != spec[fname]:
            raise RuntimeError(f"checksum mismatch for {url}: git blob sha1 {got}, expected "
                               f"{spec[fname]}; the file was not saved")
        path.write_bytes(payload)
    return read_lightgcn_format(folder / "train.txt", folder / "test.txt", name=name)
