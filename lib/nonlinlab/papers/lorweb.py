r"""Manor, Gal, Maron, Michaeli & Chechik (2026), *Spanning the Visual Analogy Space with a
Weight Basis of LoRAs* (LoRWeB, arXiv:2602.15727).

What is implemented (official code ``orincolor/LoRWeB``: class ``AttLoraLinearAdapter`` in
``extensions_built_in/flux_kontext.py`` and ``get_external_query``; where the paper and the code
differ we follow the code)
-----------------------------------------------------------------------------------------------

**Task.** A visual analogy :math:`a : a' :: b : b'`: from the triplet :math:`(a, a', b)` an
in-context editor must produce :math:`b'`, i.e. apply to :math:`b` the transformation that maps
:math:`a` to :math:`a'`.

**LoRA basis per adapted linear layer** :math:`y = W_0 x + b_0` (``AttLoraLinearAdapter``):
:math:`N` down-projections :math:`A_n\in\mathbb R^{d_\text{in}\times r}` (Kaiming-uniform,
:math:`a=\sqrt5`), :math:`N` up-projections :math:`B_n\in\mathbb R^{r\times d_\text{out}}` (zeros),
:math:`N` learnable keys :math:`k_n\in\mathbb R^{d_k}` (standard normal) and a query projection
:math:`W_q` (linear, no bias; ``query_projection_type=linear``), scaling :math:`s=\alpha/r`
(``linear_alpha`` = rank, so :math:`s = 1`).

**Mixing coefficients.** :math:`q = W_q\,e`, with :math:`e` the concatenated embeddings of
:math:`a, a', b` by a frozen image encoder (mode ``cat-aa'b``); logits
:math:`\ell_n = q^\top k_n/\sqrt{d_k/h}` per head; :math:`c = \operatorname{softmax}(\ell)`
(``lora_softmax=true``; the code computes it as scaled-dot-product attention with identity
values), averaged over heads (``mixing_coeffs_type=mean``).

**Adapted output.** :math:`y = W_0x + b_0 + s\sum_n c_n\,(x A_n) B_n`, i.e. a per-example LoRA
:math:`\Delta W = s\sum_n c_n A_nB_n` (the code's einsum ``"bsi,nir,bn,nro->bso"``).

**Scale-down (not the paper's setting).** FLUX.1-Kontext and Relation252K cannot run here. The
in-context editor is a frozen MLP on :math:`[a, a', b]` (real sklearn digits upsampled to
16×16) with a residual from :math:`b`, pre-trained on a few "warm-up" edits (as Kontext is a
general editor before LoRA tuning); the frozen encoder (CLIP in the paper) is a fixed random
ReLU feature map of each image. Analogies are made by known image operators (shifts, flips,
rotations, blur, inversion...), so :math:`b'` is exact; held-out analogies use operators never
seen in adapter training (single ones and 50/50 blends of two seen ones).

**Baselines.** The frozen editor; one LoRA per layer (the prior single-LoRA approach) with the
same rank, and with the rank that matches LoRWeB's parameter count; the ablation *coefficients
fixed to their dataset mean* (the encoder removed at test time).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require

# --------------------------------------------------------------------------------------
# Paper numbers (official defaults)
# --------------------------------------------------------------------------------------

#: README example: 32 basis LoRAs of rank 4; keys of dimension 128; one head; lr 1e-3.
PAPER_DEFAULTS = {"loras_num": 32, "rank": 4, "lora_keys_dim": 128, "heads": 1, "lr": 1e-3,
                  "betas": (0.9, 0.99), "weight_decay": 0.05, "steps": 10_000, "batch": 6}

SIDE = 16  # image side after upsampling the 8×8 digits


# --------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    hidden: int = 256           # width of the editor's two hidden layers
    base_steps: int = 400       # pre-training of the editor on warm-up edits
    n_loras: int = 32           # N basis LoRAs per layer (README example: 32)
    rank: int = 1               # r (official YAML: 1)
    key_dim: int = 32           # d_k
    heads: int = 1
    embed_dim: int = 64         # frozen encoder width per image (query: 3 × embed_dim)
    steps: int = 1200           # adapter training steps
    batch: int = 128
    lr: float = 3e-3
    weight_decay: float = 0.05  # official AdamW
    n_eval: int = 600           # test analogies per operator

    def check(self) -> None:
        require(min(self.hidden, self.n_loras, self.rank, self.key_dim, self.heads,
                    self.embed_dim, self.steps, self.batch, self.n_eval) >= 1,
                "sizes must be >= 1")
        require(self.key_dim % self.heads == 0, "key_dim must be divisible by heads")
        require(self.base_steps >= 0 and self.lr > 0 and self.weight_decay >= 0,
                "base_steps >= 0, lr > 0 and weight_decay >= 0 needed")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(hidden=512, base_steps=3000, rank=4, key_dim=128, steps=10_000,
                n_eval=2000),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper, from CPU timings on this 2-core machine at one thread (ci: 28 s measured): a
    step of the editor's pre-training costs ≈ 8 ms and one adapter step ≈ 13 ms at hidden 256,
    N·r = 32, batch 128 (∝ hidden² × batch, the sampler included); three adapters are trained.
    Full runs on a GPU, ≈ 20× faster per step at these sizes."""
    w = (cfg.hidden / 256) ** 2 * cfg.batch / 128 * max(1.0, cfg.n_loras * cfg.rank / 32) ** 0.5
    t = (cfg.base_steps * 8e-3 + 3 * cfg.steps * 13e-3) * w
    if cfg.hidden > 256:
        t /= 20
    return t + 2.0  # data, evaluation, silhouette


# --------------------------------------------------------------------------------------
# Data: real digits and analogy operators
# --------------------------------------------------------------------------------------


def load_images(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """sklearn digits, upsampled 2× (nearest) to 16×16, in [0, 1]; split in half (train/test
    digits) with a seeded permutation. Returns ``(train, test)`` of shape (n, 16, 16)."""
    from ..data.digits import load_digits
    d = load_digits(np.float32)
    x = d.x.reshape(-1, 8, 8) / 16.0
    x = np.kron(x, np.ones((1, 2, 2), np.float32))
    perm = np.random.default_rng(seed).permutation(len(x))
    half = len(x) // 2
    return x[perm[:half]], x[perm[half:]]


def _shift(dx: int, dy: int):
    return lambda x: np.roll(x, (dy, dx), axis=(1, 2))


def _blur(x: np.ndarray) -> np.ndarray:
    k = np.array([0.25, 0.5, 0.25], np.float32)
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    y = k[0] * p[:, :-2] + k[1] * p[:, 1:-1] + k[2] * p[:, 2:]
    return k[0] * y[:, :, :-2] + k[1] * y[:, :, 1:-1] + k[2] * y[:, :, 2:]


def _blend(f, g):
    return lambda x: 0.5 * f(x) + 0.5 * g(x)


BASE_OPS = {  # pre-training of the editor ("general editing" before any adapter)
    "identity": lambda x: x,
    "dim": lambda x: 0.5 * x,
    "left 1": _shift(-1, 0),
    "down 1": _shift(0, 1),
}

TRAIN_OPS = {
    "right 2": _shift(2, 0), "left 2": _shift(-2, 0), "up 2": _shift(0, -2),
    "down 2": _shift(0, 2), "h-flip": lambda x: x[:, :, ::-1], "v-flip": lambda x: x[:, ::-1],
    "transpose": lambda x: x.transpose(0, 2, 1), "rot 90": lambda x: np.rot90(x, 1, (1, 2)),
    "rot 270": lambda x: np.rot90(x, -1, (1, 2)), "blur": _blur, "invert": lambda x: 1.0 - x,
    "contrast": lambda x: np.clip(0.5 + 1.5 * (x - 0.5), 0, 1),
}

HELDOUT_OPS = {
    # blends of two seen operators
    "½ right 2 + ½ up 2": _blend(TRAIN_OPS["right 2"], TRAIN_OPS["up 2"]),
    "½ h-flip + ½ v-flip": _blend(TRAIN_OPS["h-flip"], TRAIN_OPS["v-flip"]),
    "½ blur + ½ invert": _blend(_blur, TRAIN_OPS["invert"]),
    "½ rot 90 + ½ transpose": _blend(TRAIN_OPS["rot 90"], TRAIN_OPS["transpose"]),
    # single operators never seen
    "rot 180": lambda x: x[:, ::-1, ::-1],
    "right 2 down 2": _shift(2, 2),
    "right 1": _shift(1, 0),
    "up 1": _shift(0, -1),
}


def make_analogies(images: np.ndarray, ops: dict, n_per_op: int, rng: np.random.Generator):
    """``n_per_op`` analogies per operator: ``(a, a'=T(a), b, b'=T(b))`` with ``a ≠ b`` random
    digits; returns flat float32 tensors ``a, a', b, b'`` (n, 256) and the operator index."""
    out = [[], [], [], []]
    idx = []
    n = len(images)
    for k, f in enumerate(ops.values()):
        ia = rng.integers(0, n, n_per_op)
        ib = (ia + rng.integers(1, n, n_per_op)) % n  # never the same digit
        a, b = images[ia], images[ib]
        for lst, v in zip(out, (a, np.ascontiguousarray(f(a)), b, np.ascontiguousarray(f(b))),
                          strict=True):
            lst.append(v.reshape(n_per_op, -1))
        idx.append(np.full(n_per_op, k))
    ts = [torch.from_numpy(np.concatenate(v).astype(np.float32)) for v in out]
    return (*ts, np.concatenate(idx))


class AnalogySampler:
    """Fresh random training analogies from a fixed pool of digits and operators."""

    def __init__(self, images: np.ndarray, ops: dict, seed: int):
        self.images, self.ops = images, ops
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int):
        per = -(-size // len(self.ops))
        a, a2, b, b2, k = make_analogies(self.images, self.ops, per, self.rng)
        sel = torch.from_numpy(self.rng.permutation(len(k))[:size])
        return a[sel], a2[sel], b[sel], b2[sel]


# --------------------------------------------------------------------------------------
# Frozen editor and frozen query encoder
# --------------------------------------------------------------------------------------


class Editor(nn.Module):
    """The in-context editor: ``b̂' = b + L3 relu(L2 relu(L1 [a, a', b]))``."""

    def __init__(self, hidden: int, d: int = SIDE * SIDE):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3 * d, hidden), nn.Linear(hidden, hidden),
                                     nn.Linear(hidden, d)])

    def forward(self, a, a2, b):
        h = torch.cat([a, a2, b], dim=1)
        h = F.relu(self.layers[0](h))
        h = F.relu(self.layers[1](h))
        return b + self.layers[2](h)


def train_editor(images: np.ndarray, cfg: Config, *, seed: int) -> Editor:
    """Pre-train the editor on the warm-up edits, then freeze it."""
    torch.manual_seed(seed)
    ed = Editor(cfg.hidden)
    opt = torch.optim.AdamW(ed.parameters(), lr=1e-3)
    sampler = AnalogySampler(images, BASE_OPS, seed + 1)
    for _ in range(cfg.base_steps):
        a, a2, b, b2 = sampler.batch(cfg.batch)
        loss = F.mse_loss(ed(a, a2, b), b2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    ed.requires_grad_(False)
    return ed.eval()


class Encoder:
    """Frozen image encoder (CLIP in the paper): fixed random ReLU features of one image,
    standardised to zero mean and unit variance per feature on the digits (CLIP's pooled
    embeddings are likewise unnormalised, of norm ≈ √width)."""

    def __init__(self, dim: int, seed: int, d: int = SIDE * SIDE):
        g = torch.Generator().manual_seed(seed + 12345)
        self.R = torch.randn(d, dim, generator=g) / math.sqrt(d)
        self.bias = 0.5 * torch.randn(dim, generator=g)
        self.mu = torch.zeros(dim)
        self.sd = torch.ones(dim)

    def fit(self, images: np.ndarray) -> Encoder:
        """Per-feature mean and standard deviation on a set of images (n, 16, 16)."""
        z = self(torch.from_numpy(images.reshape(len(images), -1)))
        self.mu, self.sd = z.mean(0), z.std(0) + 1e-3
        return self

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return (F.relu((x - 0.25) @ self.R * 4 + self.bias) - self.mu) / self.sd

    def query(self, a, a2, b) -> torch.Tensor:
        """Mode ``cat-aa'b``: concatenated embeddings of ``a, a', b``."""
        return torch.cat([self(a), self(a2), self(b)], dim=1)


# --------------------------------------------------------------------------------------
# The LoRA basis
# --------------------------------------------------------------------------------------


class AttLoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a basis of ``n_loras`` LoRAs mixed per example by attention
    between ``W_q·query`` and learnable keys. ``n_loras=1`` is a plain LoRA (``c ≡ 1``)."""

    def __init__(self, base: nn.Linear, n_loras: int, rank: int, key_dim: int, query_dim: int,
                 *, heads: int = 1, alpha: float | None = None, softmax: bool = True,
                 generator: torch.Generator | None = None):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"AttLoRALinear wraps an nn.Linear, got {type(base).__name__}")
        if min(n_loras, rank, key_dim, query_dim, heads) < 1 or key_dim % heads:
            raise ValueError("n_loras, rank, key_dim, query_dim, heads must be >= 1 and heads "
                             "must divide key_dim")
        self.base = base.requires_grad_(False)
        d_in, d_out = base.in_features, base.out_features
        self.n, self.rank, self.heads, self.softmax = n_loras, rank, heads, softmax
        self.scaling = float(rank if alpha is None else alpha) / rank      # s = α / r
        bound = 1.0 / math.sqrt(d_in)  # kaiming_uniform_(a=√5)
        u = torch.rand(n_loras, d_in, rank, generator=generator)
        self.A = nn.Parameter((u * 2 - 1) * bound)                        # A_n: d_in × r
        self.B = nn.Parameter(torch.zeros(n_loras, rank, d_out))          # B_n = 0: zero start
        self.keys = nn.Parameter(torch.randn(n_loras, key_dim, generator=generator))
        self.Wq = nn.Linear(query_dim, key_dim, bias=False)
        with torch.no_grad():
            b = 1.0 / math.sqrt(query_dim)
            self.Wq.weight.copy_((torch.rand(key_dim, query_dim, generator=generator) * 2 - 1) * b)
        self.query: torch.Tensor | None = None
        self.fixed_coeffs: torch.Tensor | None = None  # ablation: c fixed for every example

    def coefficients(self, query: torch.Tensor) -> torch.Tensor:
        """c (batch, N): softmax over the basis of q·k_n/√(d_k/h), mean over heads."""
        if self.n == 1:
            return torch.ones(query.shape[0], 1, dtype=query.dtype)
        bsz = query.shape[0]
        dh = self.keys.shape[1] // self.heads
        q = self.Wq(query).view(bsz, self.heads, dh)                      # q = W_q e
        k = self.keys.view(self.n, self.heads, dh).transpose(0, 1)        # (h, N, dh)
        logits = torch.einsum("bhd,hnd->bhn", q, k) / math.sqrt(dh)      # ℓ_n = q·k_n/√d
        c = logits.softmax(-1) if self.softmax else torch.tanh(logits)
        return c.mean(1)                                                  # mixing_coeffs=mean

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fixed_coeffs is not None:
            c = self.fixed_coeffs.expand(x.shape[0], -1)
        else:
            if self.query is None:
                raise ValueError("set .query (the analogy embeddings) before calling the layer")
            c = self.coefficients(self.query)
        h = torch.einsum("bi,nir->bnr", x, self.A) * c[:, :, None]         # c_n x A_n
        return self.base(x) + self.scaling * torch.einsum("bnr,nro->bo", h, self.B)

    def merged_weight(self, c: torch.Tensor) -> torch.Tensor:
        """Per example (batch, d_out, d_in): W_0 + s Σ_n c_n (A_n B_n)ᵀ."""
        delta = torch.einsum("bn,nir,nro->boi", c, self.A, self.B)
        return self.base.weight + self.scaling * delta

    def n_params(self) -> int:
        p = self.A.numel() + self.B.numel()
        if self.n > 1:
            p += self.keys.numel() + self.Wq.weight.numel()
        return p


class AdaptedEditor(nn.Module):
    """The frozen editor with every linear layer wrapped in :class:`AttLoRALinear`."""

    def __init__(self, editor: Editor, encoder: Encoder, *, n_loras: int, rank: int,
                 key_dim: int, heads: int = 1, seed: int = 0):
        super().__init__()
        self.editor, self.encoder = editor, encoder
        gen = torch.Generator().manual_seed(seed)
        qd = 3 * encoder.R.shape[1]
        self.adapters = nn.ModuleList([
            AttLoRALinear(lin, n_loras, rank, key_dim, qd, heads=heads, generator=gen)
            for lin in editor.layers])

    def forward(self, a, a2, b):
        q = self.encoder.query(a, a2, b)
        for m in self.adapters:
            m.query = q
        h = torch.cat([a, a2, b], dim=1)
        h = F.relu(self.adapters[0](h))
        h = F.relu(self.adapters[1](h))
        return b + self.adapters[2](h)

    def coefficients(self, a, a2, b) -> torch.Tensor:
        """All layers' coefficients, concatenated (batch, 3N)."""
        q = self.encoder.query(a, a2, b)
        return torch.cat([m.coefficients(q) for m in self.adapters], dim=1)

    def set_fixed_coeffs(self, c: torch.Tensor | None) -> None:
        """Fix every layer's coefficients to ``c`` (3N,) — or ``None`` to restore mixing."""
        for i, m in enumerate(self.adapters):
            m.fixed_coeffs = None if c is None else c[i * m.n:(i + 1) * m.n][None]

    def n_params(self) -> int:
        return sum(m.n_params() for m in self.adapters)


def matched_rank(editor: Editor, n_params: int) -> int:
    """Rank of a single LoRA per layer whose parameter count is closest to ``n_params``."""
    per_rank = sum(m.in_features + m.out_features for m in editor.layers)
    return max(1, round(n_params / per_rank))


def train_adapter(model: AdaptedEditor, sampler: AnalogySampler, cfg: Config) -> list[float]:
    """MSE(b̂', b'), AdamW with the official betas and weight decay; returns the loss curve."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=PAPER_DEFAULTS["betas"],
                            weight_decay=cfg.weight_decay)
    losses = []
    for _ in range(cfg.steps):
        a, a2, b, b2 = sampler.batch(cfg.batch)
        loss = F.mse_loss(model(a, a2, b), b2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def per_op_mse(model, data) -> np.ndarray:
    """MSE per operator on the analogies ``data = (a, a', b, b', op index)``."""
    a, a2, b, b2, k = data
    err = ((model(a, a2, b) - b2) ** 2).mean(1).numpy()
    return np.array([err[k == i].mean() for i in range(int(k.max()) + 1)])


# --------------------------------------------------------------------------------------
# Experiment
# --------------------------------------------------------------------------------------


def run_experiment(cfg: Config, *, seed: int, fixed_mean_training: bool = False) -> dict:
    """Pre-train the editor, train LoRWeB and the single-LoRA baselines on the seen operators,
    evaluate on test digits with seen and held-out operators.

    ``fixed_mean_training`` (a sabotage): LoRWeB's coefficients fixed to the uniform mean
    during training as well (the encoder never used)."""
    t0 = time.process_time()
    train_img, test_img = load_images(seed)
    editor = train_editor(train_img, cfg, seed=seed)
    enc = Encoder(cfg.embed_dim, seed).fit(train_img)
    rng = np.random.default_rng(seed + 7)
    seen = make_analogies(test_img, TRAIN_OPS, cfg.n_eval, rng)
    held = make_analogies(test_img, HELDOUT_OPS, cfg.n_eval, rng)
    kw = {"key_dim": cfg.key_dim, "heads": cfg.heads}
    torch.manual_seed(seed)
    lorweb = AdaptedEditor(editor, enc, n_loras=cfg.n_loras, rank=cfg.rank, seed=seed, **kw)
    r_m = matched_rank(editor, lorweb.n_params())
    models = {
        "LoRWeB": lorweb,
        "single LoRA (matched params)": AdaptedEditor(editor, enc, n_loras=1, rank=r_m,
                                                      seed=seed, **kw),
        "single LoRA (same rank)": AdaptedEditor(editor, enc, n_loras=1, rank=cfg.rank,
                                                 seed=seed, **kw),
    }
    if fixed_mean_training:
        lorweb.set_fixed_coeffs(torch.full((3 * cfg.n_loras,), 1.0 / cfg.n_loras))
    curves = {}
    for i, (name, m) in enumerate(models.items()):
        curves[name] = train_adapter(m, AnalogySampler(train_img, TRAIN_OPS, seed + 100 + i), cfg)
    res = {"frozen editor": (per_op_mse(editor, seen), per_op_mse(editor, held))}
    for name, m in models.items():
        res[name] = (per_op_mse(m, seen), per_op_mse(m, held))
    a, a2, b, _, k_seen = seen
    with torch.no_grad():
        coeffs = lorweb.coefficients(a, a2, b)
        c_held = lorweb.coefficients(*held[:3])
    if not fixed_mean_training:
        lorweb.set_fixed_coeffs(coeffs.mean(0))
    res["LoRWeB, mean coefficients"] = (per_op_mse(lorweb, seen), per_op_mse(lorweb, held))
    lorweb.set_fixed_coeffs(None if not fixed_mean_training else
                            torch.full((3 * cfg.n_loras,), 1.0 / cfg.n_loras))
    return {"mse": res, "curves": curves, "coeffs": coeffs.numpy(), "op_seen": k_seen,
            "coeffs_held": c_held.numpy(), "op_held": held[4], "models": models,
            "seen": seen, "held": held, "rank_matched": r_m,
            "params": {n: m.n_params() for n, m in models.items()},
            "cpu_s": time.process_time() - t0}


def summarize(out: dict) -> dict:
    """Mean MSE over seen and held-out operators, per method."""
    return {n: {"seen": float(s.mean()), "held-out": float(h.mean())}
            for n, (s, h) in out["mse"].items()}


def silhouette(coeffs: np.ndarray, labels: np.ndarray, n_max: int = 1200, seed: int = 0) -> float:
    """Silhouette score (scikit-learn) of the coefficient vectors grouped by operator."""
    from sklearn.metrics import silhouette_score
    rng = np.random.default_rng(seed)
    sel = rng.permutation(len(labels))[:n_max]
    return float(silhouette_score(coeffs[sel], labels[sel]))
