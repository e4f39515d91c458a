r"""Petit, Popescu, Schindler, Picard & Delezoide (WACV 2023), *FeTrIL: Feature Translation for
Exemplar-Free Class-Incremental Learning* (arXiv:2211.13131).

What is implemented (official code ``GregoirePetit/FeTrIL``: ``codes/compute_distances.py``,
``codes/train_classifiers.py``, ``codes/eval.py``; where the paper and the code differ we follow
the code)
-----------------------------------------------------------------------------------------------

**Setting.** Exemplar-free class-incremental learning: state 0 brings :math:`P` classes with their
data; each later state :math:`s` brings the data of new classes :math:`\mathcal N_s` only — no
image of a past class may be kept. The paper trains the feature extractor :math:`\mathcal F` on
state 0 and **freezes it**; here :math:`\mathcal F` is a small CNN trained on the first task's
digits (the paper: a ResNet-18 trained on half of CIFAR-100), features = global average pooling
of its last ReLU map (non-negative, like a ResNet's pooled features).

**Memory.** Only the centroid of each class, :math:`\mu_c = \frac1{|c|}\sum_i \mathcal F(x_i^c)`,
computed once when the class is first seen (the extractor is frozen, so it never changes).

**Feature translation** (paper Eq. 1). For every past class :math:`p`, pick a new class
:math:`n(p)\in\mathcal N_s` and translate each of its real features

.. math:: \hat f_p = f_{n} + \mu_p - \mu_{n}, \qquad f_n = \mathcal F(x), \; x \in n,

so that the pseudo-features of :math:`p` have mean :math:`\mu_p` and the spread (covariance) of
class :math:`n`. The source is the new class with the nearest centroid (FeTrIL\ :sup:`1`, the
paper's default; official ``compute_distances.py``: ``pairwise_distances(means,
means_curr_state).argmin(1)``; applied to a new class it selects itself, i.e. its real features).

**Classifier.** Retrained from scratch at each state on the real features of the new classes
plus the pseudo-features of all past classes: one linear SVM per class, one-vs-rest
(official ``LinearSVC(penalty='l2', dual=False, tol=1e-4, C=1.0, fit_intercept=True)``), on
L2-normalised features (the official code normalises every loaded batch but the first one, a
quirk; we normalise every row, train and test alike). Prediction: :math:`\arg\max_c
w_c^\top \bar f + b_c` with :math:`\bar f = \mathcal F(x)/\lVert\mathcal F(x)\rVert`.

**Metric** (official ``eval.py``). Top-1 accuracy on the test images of all classes seen so far
after each state; the headline number is the mean over *all* states, the initial one included
(:class:`~nonlinlab.data.incremental.AccuracyMatrix`).

**Baselines, on the same frozen extractor.** *Fine-tuning* — the linear head of state 0 is
further trained with cross-entropy on the new classes' data only (catastrophic forgetting);
*NCM* — nearest class mean (cosine, with the stored centroids: exemplar-free);
*joint* — the same SVMs on the real features of every seen class (an upper bound
that breaks the exemplar-free rule). Two **ablations of the translation** (not in the paper;
what the method becomes without Eq. 1): pseudo-features = the stored centroid repeated
(``"centroid"``), or = the new class's features without the shift (``"none"``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..core import ProfileConfig, Profiles, require
from ..data.incremental import AccuracyMatrix, class_incremental_tasks
from ..models.cnn import SmallCNN

# --------------------------------------------------------------------------------------
# Paper numbers
# --------------------------------------------------------------------------------------

#: Average top-1 incremental accuracy (%, all states), official README: CIFAR-100, B50 with
#: T = 5 / 10 / 20 incremental states (T = 60: 40 initial classes).
PAPER_CIFAR100 = {
    "FeTrIL": {5: 66.3, 10: 65.2, 20: 61.5, 60: 59.8},
    "FeTrIL-fc": {5: 64.7, 10: 63.4, 20: 57.4, 60: 50.8},
    "SSRE": {5: 65.9, 10: 65.0, 20: 61.7},
    "PASS": {5: 63.5, 10: 61.8, 20: 58.1},
    "DeeSIL": {5: 60.0, 10: 50.6, 20: 38.1},
    "LUCIR": {5: 51.2, 10: 41.1, 20: 25.2},
}

METHODS = ("FeTrIL", "fine-tuning", "NCM", "joint")
TRANSLATIONS = ("fetril", "centroid", "none")

# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    n_per_class: int = 200      # of the 500 MNIST digits per class (80 % train, 20 % test)
    first: int = 5              # classes in the initial state (the paper: half of them)
    n_tasks: int = 6            # initial state + T incremental states (B5 T5 here)
    width: int = 16             # CNN channels: width, 2*width, 4*width → 4*width features
    epochs: int = 4             # training of the extractor on the initial state
    batch: int = 32
    lr: float = 1e-2
    C: float = 1.0              # LinearSVC regularisation (official regul = 1.0)
    tol: float = 1e-4           # LinearSVC tolerance (official toler = 0.0001)
    ft_epochs: int = 30         # fine-tuning baseline: full-batch CE steps per state
    ft_lr: float = 1e-2
    n_orders: int = 5           # class orders (seed, seed+1, ...): results averaged
    test_rest: bool = True      # test on every digit left out of the n_per_class subset too

    def check(self) -> None:
        require(20 <= self.n_per_class <= 500, "n_per_class must be in [20, 500]")
        require(self.n_tasks >= 2 and 1 <= self.first < 10, "need 1 <= first < 10 and 2+ tasks")
        require((10 - self.first) % (self.n_tasks - 1) == 0,
                "the classes after the first task must split equally over the other tasks")
        require(min(self.width, self.epochs, self.batch, self.ft_epochs, self.n_orders) >= 1,
                "width, epochs, batch, ft_epochs and n_orders must be >= 1")
        require(self.lr > 0 and self.ft_lr > 0 and self.C > 0 and self.tol > 0,
                "learning rates, C and tol must be > 0")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(n_per_class=500, width=32, epochs=15),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from timings on this 2-core machine at 1 thread (ci) and a Colab T4 (full),
    with a 1.5× margin for a loaded machine: the CNN's training costs ≈ 0.35 ms per image-epoch
    at width 16 on one core (0.5 ms here), ∝ width²; feature extraction ≈ 1/3 of that per
    image; one LinearSVC ≈ 5e-8 s per sample × class × feature (8e-8 here); fine-tuning and NCM
    are negligible. Measured at ci (idle, 1 thread): 2.5 s per class order, 12.7 s for five.
    Full: the CNN on a GPU (≈ 50× faster) and the SVMs on the CPU."""
    n_train = int(round(0.8 * cfg.n_per_class))
    per_img = 5e-4 * (cfg.width / 16) ** 2
    n_images = 5000 if cfg.test_rest else 10 * cfg.n_per_class  # every image is extracted once
    cnn = cfg.epochs * n_train * cfg.first * per_img + n_images * per_img / 3
    if cfg.width > 16:  # full profile: on a GPU
        cnn /= 50
    dim = 4 * cfg.width
    svm = 0.0
    per_task = (10 - cfg.first) // (cfg.n_tasks - 1)
    for s in range(cfg.n_tasks):
        seen = cfg.first + s * per_task
        # FeTrIL, joint and the two ablations: ``seen`` binary SVMs on ≈ seen·n_train rows
        svm += 8e-8 * dim * n_train * seen * seen * 4
    return cfg.n_orders * (cnn + svm) + 6.0  # + data loading, imports of sklearn and torch.optim


# --------------------------------------------------------------------------------------
# Frozen feature extractor, trained on the initial state
# --------------------------------------------------------------------------------------


def train_extractor(x: np.ndarray, y: np.ndarray, cfg: Config, *, seed: int,
                    device: torch.device | str = "cpu") -> SmallCNN:
    """Train the CNN with cross-entropy on the initial state's images (labels ``0..P-1``),
    Adam, ``cfg.epochs`` epochs; returned frozen, in eval mode."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    n_cls = int(y.max()) + 1
    model = SmallCNN(n_cls, cfg.width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    xt = torch.as_tensor(x, device=device)
    yt = torch.as_tensor(y, device=device)
    model.train()
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(xt), generator=g).to(device)
        for i in range(0, len(xt), cfg.batch):
            b = perm[i:i + cfg.batch]
            loss = F.cross_entropy(model(xt[b]), yt[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


@torch.no_grad()
def extract(model: SmallCNN, x: np.ndarray, *, batch: int = 1000) -> np.ndarray:
    """Frozen features :math:`\\mathcal F(x)` (float64 numpy)."""
    dev = next(model.parameters()).device
    out = [model.features(torch.as_tensor(x[i:i + batch], device=dev)).double().cpu()
           for i in range(0, len(x), batch)]
    return torch.cat(out).numpy()


# --------------------------------------------------------------------------------------
# FeTrIL: centroids, source selection, translation (Eq. 1), classifier
# --------------------------------------------------------------------------------------


def l2n(f: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation (the official code normalises features before the SVMs)."""
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)


def centroids(f: np.ndarray, y: np.ndarray, classes) -> dict[int, np.ndarray]:
    """:math:`\\mu_c` = mean of the (un-normalised) features of class ``c``."""
    out = {}
    for c in classes:
        m = y == c
        if not m.any():
            raise ValueError(f"class {c} has no sample")
        out[int(c)] = f[m].mean(0)
    return out


def select_sources(mu_past: np.ndarray, mu_new: np.ndarray) -> np.ndarray:
    """FeTrIL¹: index of the new class with the nearest centroid (Euclidean) for each past
    class (official ``pairwise_distances(...).argmin(axis=1)``)."""
    mu_past, mu_new = np.atleast_2d(mu_past), np.atleast_2d(mu_new)
    if mu_past.shape[1] != mu_new.shape[1]:
        raise ValueError(f"centroid dimensions differ: {mu_past.shape} vs {mu_new.shape}")
    d2 = ((mu_past[:, None, :] - mu_new[None, :, :]) ** 2).sum(-1)
    return d2.argmin(1)


def pseudo_features(f_new: np.ndarray, mu_new: np.ndarray, mu_past: np.ndarray, *,
                    mode: str = "fetril") -> np.ndarray:
    """Pseudo-features of one past class from the real features ``f_new`` of its source class.

    ``"fetril"``: :math:`\\hat f = f_n + \\mu_p - \\mu_n` (Eq. 1); ablations: ``"centroid"``
    (:math:`\\mu_p` repeated), ``"none"`` (:math:`f_n` itself)."""
    if mode == "fetril":
        return f_new + (mu_past - mu_new)[None, :]  # Eq. 1
    if mode == "centroid":
        return np.repeat(mu_past[None, :], len(f_new), axis=0)
    if mode == "none":
        return f_new.copy()
    raise ValueError(f"unknown translation {mode!r}; choose one of {TRANSLATIONS}")


def fetril_training_set(f: np.ndarray, y: np.ndarray, new: np.ndarray,
                        mu: dict[int, np.ndarray], *, mode: str = "fetril"
                        ) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """Real features of the new classes (``f, y`` hold only the new classes' training data:
    nothing of a past class is available) + pseudo-features of every past class in ``mu``.
    Returns ``(features, labels, source of each past class)``."""
    new = [int(c) for c in new]
    if not set(np.unique(y)) <= set(new):
        raise ValueError("the training data of a state may hold only its new classes")
    past = [c for c in mu if c not in new]
    feats, labels = [f], [y]
    sources = {}
    if past:
        mu_new = np.stack([mu[c] for c in new])
        src = select_sources(np.stack([mu[c] for c in past]), mu_new)
        for p, j in zip(past, src, strict=True):
            n = new[j]
            sources[p] = n
            fp = pseudo_features(f[y == n], mu[n], mu[p], mode=mode)
            feats.append(fp)
            labels.append(np.full(len(fp), p))
    return np.concatenate(feats), np.concatenate(labels), sources


class LinearSVMs:
    """One-vs-rest linear SVMs on L2-normalised features (official: one
    ``LinearSVC(penalty='l2', dual=False, tol, C, fit_intercept=True)`` per class)."""

    def __init__(self, C: float = 1.0, tol: float = 1e-4):
        self.C, self.tol = C, tol

    def fit(self, f: np.ndarray, y: np.ndarray) -> LinearSVMs:
        from sklearn.svm import LinearSVC

        self.classes = np.unique(y)
        X = l2n(f)
        W, b = [], []
        for c in self.classes:  # one binary SVM per class, as in train_classifiers.py
            clf = LinearSVC(penalty="l2", dual=False, tol=self.tol, C=self.C,
                            fit_intercept=True).fit(X, np.where(y == c, 1, -1))
            W.append(clf.coef_[0])
            b.append(clf.intercept_[0])
        self.W, self.b = np.stack(W), np.array(b)
        return self

    def scores(self, f: np.ndarray) -> np.ndarray:
        return l2n(f) @ self.W.T + self.b

    def predict(self, f: np.ndarray) -> np.ndarray:
        return self.classes[self.scores(f).argmax(1)]


def ncm_predict(f: np.ndarray, mu: dict[int, np.ndarray]) -> np.ndarray:
    """Nearest class mean, cosine: argmax over classes of :math:`\\bar f^\\top\\bar\\mu_c`."""
    cls = np.array(sorted(mu))
    M = l2n(np.stack([mu[c] for c in cls]))
    return cls[(l2n(f) @ M.T).argmax(1)]


# --------------------------------------------------------------------------------------
# The incremental protocol
# --------------------------------------------------------------------------------------


@dataclass
class Features:
    """Frozen features of one class order: train/test features and labels, the tasks."""

    f_train: np.ndarray
    y_train: np.ndarray
    f_test: np.ndarray
    y_test: np.ndarray
    tasks: list[np.ndarray]
    seconds: float


def load_data(cfg: Config):
    from ..data.mnist import load_mnist5k

    return load_mnist5k(test_fraction=0.2, split_seed=0, n_per_class=cfg.n_per_class,
                        test_rest=cfg.test_rest)


def make_features(data, cfg: Config, *, seed: int, device="cpu") -> Features:
    """Class order from ``seed``; the extractor trained on the initial state only, frozen, then
    applied to every image (the only pass over images)."""
    t0 = time.perf_counter()
    tasks = class_incremental_tasks(10, cfg.n_tasks, first=cfg.first, seed=seed)
    first = tasks[0]
    m = np.isin(data.y_train, first)
    relabel = {int(c): i for i, c in enumerate(first)}
    y0 = np.array([relabel[int(c)] for c in data.y_train[m]])
    model = train_extractor(data.x_train[m], y0, cfg, seed=seed, device=device)
    return Features(extract(model, data.x_train), data.y_train.copy(),
                    extract(model, data.x_test), data.y_test.copy(), tasks,
                    time.perf_counter() - t0)


def _finetune_head(W: torch.Tensor, b: torch.Tensor, f: np.ndarray, y: np.ndarray,
                   seen: np.ndarray, cfg: Config) -> None:
    """Full-batch cross-entropy (over the outputs of every seen class) with Adam, on the new
    data only (in place): nothing reminds the head of the past classes."""
    X = torch.as_tensor(l2n(f), dtype=torch.float64)
    idx = {int(c): i for i, c in enumerate(seen)}
    Y = torch.as_tensor([idx[int(c)] for c in y])
    rows = torch.as_tensor(seen)
    W.requires_grad_(True)
    b.requires_grad_(True)
    opt = torch.optim.Adam([W, b], lr=cfg.ft_lr)
    for _ in range(cfg.ft_epochs):
        loss = F.cross_entropy(X @ W[rows].T + b[rows], Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    W.requires_grad_(False)
    b.requires_grad_(False)


def run_incremental(feat: Features, cfg: Config, *, methods=METHODS,
                    translations=("fetril",), seed: int = 0) -> dict:
    """Run every method through the states; returns ``{name: {"matrix": AccuracyMatrix,
    "predictions": [...], "seconds": s}}`` with FeTrIL under ``"FeTrIL"`` (translation
    ``"fetril"``) and the ablations under ``"FeTrIL (centroid)"`` / ``"FeTrIL (none)"``;
    ``"sources"`` lists the source class of every past class per state."""
    unknown = set(methods) - set(METHODS)
    if unknown or not set(translations) <= set(TRANSLATIONS):
        raise ValueError(f"methods among {METHODS}, translations among {TRANSLATIONS}")
    tasks, ftr, ytr, fte, yte = feat.tasks, feat.f_train, feat.y_train, feat.f_test, feat.y_test
    names = [m for m in methods if m != "FeTrIL"]
    if "FeTrIL" in methods:
        names += ["FeTrIL" if t == "fetril" else f"FeTrIL ({t})" for t in translations]
    preds = {n: [] for n in names}
    secs = dict.fromkeys(names, 0.0)
    mu: dict[int, np.ndarray] = {}
    sources = []
    torch.manual_seed(seed)
    W = b = None
    for s, new in enumerate(tasks):
        tr = np.isin(ytr, new)
        f_new, y_new = ftr[tr], ytr[tr]
        mu.update(centroids(f_new, y_new, new))  # memory: centroids only
        seen = np.concatenate(tasks[:s + 1])
        for name in names:
            t0 = time.perf_counter()
            if name.startswith("FeTrIL"):
                mode = "fetril" if name == "FeTrIL" else name[len("FeTrIL ("):-1]
                X, Y, src = fetril_training_set(f_new, y_new, new, mu, mode=mode)
                if name == "FeTrIL":
                    sources.append(src)
                p = LinearSVMs(cfg.C, cfg.tol).fit(X, Y).predict(fte)
            elif name == "joint":  # upper bound: real features of all seen classes
                m = np.isin(ytr, seen)
                p = LinearSVMs(cfg.C, cfg.tol).fit(ftr[m], ytr[m]).predict(fte)
            elif name == "NCM":
                p = ncm_predict(fte, mu)
            else:  # fine-tuning: a linear head on the frozen features, new data only
                if W is None:
                    W = torch.zeros(10, ftr.shape[1], dtype=torch.float64)
                    b = torch.zeros(10, dtype=torch.float64)
                _finetune_head(W, b, f_new, y_new, seen, cfg)
                sc = l2n(fte) @ W[seen].numpy().T + b[seen].numpy()
                p = seen[sc.argmax(1)]
            preds[name].append(p)
            secs[name] += time.perf_counter() - t0
    out = {n: {"matrix": AccuracyMatrix.from_predictions(yte, tasks, preds[n]),
               "predictions": preds[n], "seconds": secs[n]} for n in names}
    out["sources"] = sources
    return out


def summarize(res: dict) -> dict:
    """Average incremental accuracy (all states), final accuracy and forgetting per method."""
    rows = {}
    for n, r in res.items():
        if n == "sources":
            continue
        m = r["matrix"]
        rows[n] = {"avg_inc_acc": m.average_incremental_accuracy(),
                   "avg_inc_acc_no_first": m.average_incremental_accuracy(include_first=False),
                   "final_acc": m.incremental_accuracy(m.n_tasks - 1),
                   "forgetting": m.forgetting(),
                   "curve": [m.incremental_accuracy(s) for s in range(m.n_tasks)],
                   "seconds": r["seconds"]}
    return rows


def translation_oracle(feat: Features, seed: int = 0) -> dict:
    """Eq. 1 checks on real features (float64): the pseudo-features of a past class have the
    stored centroid as mean and exactly the source class's covariance; a new class translated
    onto itself is its real features."""
    rng = np.random.default_rng(seed)
    classes = np.unique(feat.y_train)
    p, n = rng.choice(classes, 2, replace=False)
    mu = centroids(feat.f_train, feat.y_train, [p, n])
    fn = feat.f_train[feat.y_train == n]
    fp = pseudo_features(fn, mu[n], mu[p])
    return {"mean_err": float(np.abs(fp.mean(0) - mu[p]).max()),
            "cov_err": float(np.abs(np.cov(fp.T) - np.cov(fn.T)).max()),
            "self_err": float(np.abs(pseudo_features(fn, mu[n], mu[n]) - fn).max())}


def run_experiment(data, cfg: Config, *, seed: int, device="cpu",
                   translations=TRANSLATIONS) -> dict:
    """The chapter's experiment: for each of ``cfg.n_orders`` class orders (seeds ``seed``,
    ``seed+1``, ...) train and freeze the extractor on the initial state, run every method and
    the translation ablations. Returns ``{"orders": [summaries], "mean": {method: {metric:
    mean over orders}}, "first": (features, results) of the first order}``."""
    orders, first = [], None
    for k in range(cfg.n_orders):
        feat = make_features(data, cfg, seed=seed + k, device=device)
        res = run_incremental(feat, cfg, translations=translations, seed=seed + k)
        orders.append(summarize(res))
        if first is None:
            first = (feat, res)
    mean = {n: {m: float(np.mean([o[n][m] for o in orders]))
                for m in ("avg_inc_acc", "avg_inc_acc_no_first", "final_acc", "forgetting")}
            for n in orders[0]}
    for n in mean:
        mean[n]["curve"] = np.mean([o[n]["curve"] for o in orders], axis=0)
    return {"orders": orders, "mean": mean, "first": first}


def pca2(*arrays: np.ndarray) -> list[np.ndarray]:
    """Project arrays on the top-2 principal axes of their union (for the translation figure)."""
    X = np.concatenate(arrays)
    m = X.mean(0)
    _, _, vt = np.linalg.svd(X - m, full_matrices=False)
    return [(a - m) @ vt[:2].T for a in arrays]
