r"""Gao, Spratling (& Gionfrida), *Softplus Attention with Re-weighting Boosts Length
Extrapolation in Large Language Models* (arXiv:2501.13428; ICML 2026): LSSA and LSSAR.

Source of the formulas. The official code (github.com/iminfine/freeatten) could not be
retrieved here, nor the equations of the arXiv HTML versions. The forms below follow the ICML
2026 version of the paper as given by two detailed paper notes (the l2-normalised Q and K, the
``log d * log N`` scale, the ``ReLU^p(A * N - O)`` re-weighting with a ones offset whose first
three rows are 0, p = 15 for long contexts and p = 3 at the training length, GPT-2 small + RoPE
trained at length 1024 on FineWeb-10B) and agree with an independent public re-implementation
of LSSA / LSSAR. Our earlier reading (raw logits times ``log N``; the re-weighting switched on
only after training) is kept as switches: the ``lssa_raw`` variant and ``run_seeds``'s
``"lssar_free"``.

Notation per head: q_i, k_j (after RoPE), head dimension d, causal mask
:math:`M_{ij} = \mathbb 1[j \le i]`, :math:`N_i = i` keys visible to query :math:`i`
(1-indexed), :math:`\ell_1(z)_j = z_j / \sum_k z_k`.

* Decomposition (exact):  :math:`\mathrm{softmax}(x) = \ell_1(\exp(x))`.  Generic normalised
  attention  :math:`A_{ij} = \ell_1\big(\phi(s_i\,c\,q_i^\top k_j) M_{ij}\big)` with an
  element-wise positive map :math:`\phi`, a per-row scale :math:`s_i` and c = 1/sqrt(d) (raw
  logits) or q, k l2-normalised and c = 1 (``qk_norm``, cosine logits); y_i = sum_j A_ij v_j.
* LSSA (stage 1, "normalisation"):  ``qk_norm``, :math:`\phi = \mathrm{Softplus}`,
  :math:`s_i = \log d \cdot \log N_i` (entropy invariance: the logits grow like
  :math:`\log n` so the row entropy stays roughly constant as the context grows).
* LSSAR (stage 2, "sharpening"; ``reweight_mode="shift"``):
  :math:`\tilde A_{ij} = \ell_1\big(\mathrm{ReLU}(N_i A_{ij} - O_i)^p\big)`, :math:`O_i = 0`
  for :math:`i \le 3`, else 1; p = 15.  :math:`N_i A_{ij}` is the weight relative to the
  uniform row (1 = average): weights above average are amplified by the power, the others set
  to 0; the first three rows (one to three keys) are only raised to the power.  LSSAR models
  are trained with the re-weighting on (the paper's final recipe).  Ablations:
  ``"threshold"`` (offset 1 on every row) and ``"power"`` (:math:`\ell_1((N_i A_{ij})^p)`, in
  which :math:`N_i` cancels: a pure temperature sharpening).
* Baselines: softmax (:math:`\phi=\exp`, raw logits), SSMax-style length-scaled softmax
  (:math:`\phi=\exp`, raw logits times :math:`\log N_i`), LSSA with exp (softmax of the LSSA
  logits), LSSA without the length scale, Softplus *without* :math:`\ell_1`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..core import ProfileConfig, Profiles, progress, require
from ..models.attention import AttentionInputs, AttentionKernel
from ..models.llama import Llama, LlamaConfig

PHIS: dict[str, Callable] = {"exp": torch.exp, "softplus": F.softplus, "relu": F.relu}
SCALES = ("none", "log", "log_ratio", "logd_logn")
REWEIGHT_MODES = ("shift", "threshold", "power")
SHIFT_FREE_ROWS = 3  # rows 1-3 get offset 0 in the shifted re-weighting

# variant name -> (phi, scale, normalize, qk_norm)
VARIANTS: dict[str, tuple[str, str, bool, bool]] = {
    "softmax": ("exp", "none", True, False),
    "softmax_logn": ("exp", "log", True, False),  # SSMax-style intermediate baseline
    "lssa": ("softplus", "logd_logn", True, True),  # the paper's LSSA
    "lssa_exp": ("exp", "logd_logn", True, True),  # LSSA with exp: softmax of the same logits
    "lssa_noscale": ("softplus", "none", True, True),  # LSSA without the log d log N factor
    "softplus_l1": ("softplus", "none", True, False),  # no length scale, raw logits
    "lssa_raw": ("softplus", "log", True, False),  # our earlier reading: raw logits x log N
    "softplus_nol1": ("softplus", "logd_logn", False, True),  # l1 ablation
    "relu_l1": ("relu", "logd_logn", True, True),
}
LABELS = {
    "softmax": "Softmax", "softmax_logn": "Softmax + log N (SSMax-style)",
    "softplus_l1": "Softplus + l1 (no scale)", "lssa": "LSSA", "softplus_nol1": "Softplus, no l1",
    "lssa_exp": "LSSA with exp", "lssa_noscale": "LSSA without log d log N",
    "lssa_raw": "Softplus(log N S) + l1", "relu_l1": "ReLU + l1 + log d log N",
    "lssar": "LSSAR (LSSA + re-weighting)", "lssar_trained": "LSSAR, trained with re-weighting",
}


# ------------------------------------------------------------------------------------------
# Attention maths
# ------------------------------------------------------------------------------------------


def row_scale(n: torch.Tensor, scale: str, train_len: int | None = None,
              head_dim: int | None = None) -> torch.Tensor:
    """Per-row multiplier s_i of the logits from the visible-key count n_i >= 1.

    ``"none"``: 1;  ``"log"``: log n_i (natural log);  ``"log_ratio"``: log n_i / log L_train;
    ``"logd_logn"`` (the paper's LSSA): log d * log n_i with d the head dimension.
    """
    if scale == "none":
        return torch.ones_like(n)
    if scale == "log":
        return torch.log(n)
    if scale == "logd_logn":
        if head_dim is None or head_dim < 2:
            raise ValueError("scale='logd_logn' needs head_dim >= 2")
        return math.log(head_dim) * torch.log(n)
    if scale == "log_ratio":
        if train_len is None or train_len < 2:
            raise ValueError("scale='log_ratio' needs train_len >= 2")
        return torch.log(n) / math.log(train_len)
    raise ValueError(f"unknown scale {scale!r}; choose one of {SCALES}")


def reweight_offset(n: torch.Tensor, mode: str = "shift") -> torch.Tensor:
    """The offset O_i subtracted from n_i A_ij: 1, except 0 on the first ``SHIFT_FREE_ROWS`` rows
    in the paper's ``"shift"`` form; 1 on every row for ``"threshold"``; 0 for ``"power"``."""
    if mode == "power":
        return torch.zeros_like(n)
    if mode == "threshold":
        return torch.ones_like(n)
    if mode == "shift":
        return (n > SHIFT_FREE_ROWS).to(n.dtype)
    raise ValueError(f"unknown reweight mode {mode!r}; choose one of {REWEIGHT_MODES}")


def reweight(A: torch.Tensor, n: torch.Tensor, p: float, mode: str = "shift",
             eps: float = 1e-30) -> torch.Tensor:
    """LSSAR sharpening of normalised rows ``A`` (..., T, T) with visible counts ``n`` (T,).

    shift (the paper's form, default): l1(ReLU(n_i A_ij - O_i)^p), O_i = 0 on rows 1-3, else 1;
    threshold (ablation):               l1(ReLU(n_i A_ij - 1)^p) on every row;
    power (ablation):                   l1((n_i A_ij)^p)  (= l1(A^p): n_i cancels).
    A row left with no positive entry (an exactly uniform row) keeps its weights. Each row is
    divided by its largest entry before the power (l1 does not see the scale; this keeps
    ``p = 15`` with ``n_i A_ij`` up to ``n_i`` inside float32). Entries outside the causal mask
    are 0 in ``A`` and stay 0. Computed in float32 or wider.
    """
    if p <= 0:
        raise ValueError(f"the re-weighting power p must be > 0, got {p}")
    if mode not in REWEIGHT_MODES:
        raise ValueError(f"unknown reweight mode {mode!r}; choose one of {REWEIGHT_MODES}")
    dtype = A.dtype
    A32 = A.float() if A.dtype in (torch.float16, torch.bfloat16) else A
    n = n.to(A32.dtype)
    z = F.relu(A32 * n.unsqueeze(-1) - reweight_offset(n, mode).unsqueeze(-1))
    top = z.amax(-1, keepdim=True).detach()
    w = (z / top.clamp_min(eps)).pow(p)
    total = w.sum(-1, keepdim=True)
    out = torch.where(total > 0, w / total.clamp_min(eps), A32)
    return out.to(dtype)


def normalised_attention_weights(
    q: torch.Tensor, k: torch.Tensor, *, phi: str = "softplus", scale: str = "logd_logn",
    normalize: bool = True, qk_norm: bool = True, logit_scale: float | None = None,
    train_len: int | None = None, reweight_p: float | None = None, reweight_mode: str = "shift",
    eps: float = 1e-30,
) -> torch.Tensor:
    r"""Causal weights (..., T, T): :math:`\ell_1(\phi(s_i\,c\,q_i\cdot k_j)\,M_{ij})`.

    ``qk_norm`` (the paper's LSSA): q and k rows are l2-normalised and c = 1 (cosine logits in
    [-1, 1]); otherwise c = ``logit_scale`` (default 1/sqrt(d)). ``phi="exp"`` with ``normalize``
    uses the max-subtracted softmax (identical maths); masked entries are zeroed *after* phi.
    ``reweight_p`` applies the LSSAR re-weighting (needs ``normalize``).
    """
    if phi not in PHIS:
        raise ValueError(f"unknown phi {phi!r}; choose one of {sorted(PHIS)}")
    if q.shape[-1] != k.shape[-1] or q.shape[-2] != k.shape[-2]:
        raise ValueError(f"q {tuple(q.shape)} and k {tuple(k.shape)} must share T and d")
    T, d = q.shape[-2], q.shape[-1]
    compute = torch.float32 if q.dtype in (torch.float16, torch.bfloat16) else q.dtype
    q, k = q.to(compute), k.to(compute)
    if qk_norm:
        q, k, c = F.normalize(q, dim=-1), F.normalize(k, dim=-1), 1.0
    else:
        c = 1.0 / math.sqrt(d) if logit_scale is None else logit_scale
    s = (q @ k.transpose(-1, -2)) * c
    n = torch.arange(1, T + 1, device=q.device, dtype=compute)
    s = s * row_scale(n, scale, train_len, head_dim=d).unsqueeze(-1)
    mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    if phi == "exp" and normalize:
        A = torch.softmax(s.masked_fill(~mask, float("-inf")), dim=-1)
    else:
        w = PHIS[phi](s.masked_fill(~mask, 0.0)) * mask
        A = w / w.sum(-1, keepdim=True).clamp_min(eps) if normalize else w  # all-zero rows stay 0
    if reweight_p is not None:
        if not normalize:
            raise ValueError("re-weighting is defined on l1-normalised rows (normalize=True)")
        A = reweight(A, n, reweight_p, reweight_mode)
    return A


def attention_loop(q, k, v, *, phi="softplus", scale="logd_logn", normalize=True, qk_norm=True,
                   train_len=None, reweight_p=None, reweight_mode="shift"):
    """Direct per-query loop of the same attention (test oracle; slow, no masking tricks)."""
    T, d = q.shape[-2], q.shape[-1]
    f = PHIS[phi]
    out = torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype)
    for i in range(T):
        n = i + 1
        s_i = {"none": 1.0, "log": math.log(n), "logd_logn": math.log(d) * math.log(n),
               "log_ratio": math.log(n) / math.log(train_len or 2)}[scale]
        qi, kj = q[..., i:i + 1, :], k[..., :n, :]
        if qk_norm:
            qi = qi / qi.norm(dim=-1, keepdim=True)
            kj = kj / kj.norm(dim=-1, keepdim=True)
            logits = (qi * kj).sum(-1) * s_i  # (..., n)
        else:
            logits = (qi * kj).sum(-1) / math.sqrt(d) * s_i
        w = f(logits)
        if normalize:
            tot = w.sum(-1, keepdim=True)
            w = torch.where(tot > 0, w / torch.where(tot > 0, tot, 1.0), w)
            if reweight_p is not None:
                z = n * w
                if reweight_mode == "threshold" or (reweight_mode == "shift" and n > 3):
                    z = torch.clamp(z - 1.0, min=0.0)
                z = z ** reweight_p
                tot = z.sum(-1, keepdim=True)
                w = torch.where(tot > 0, z / torch.where(tot > 0, tot, 1.0), w)
        out[..., i, :] = (w.unsqueeze(-1) * v[..., :n, :]).sum(-2)
    return out


def row_entropy(A: torch.Tensor) -> torch.Tensor:
    """Shannon entropy (nats) of each row of non-negative weights (..., T, T) -> (..., T)."""
    return -(A * torch.log(A.clamp_min(1e-30))).sum(-1)


class LengthScaledAttention(AttentionKernel):
    """Kernel for the book's Llama: normalised attention with a per-row length scale and the
    optional LSSAR re-weighting (``reweight_p``; set it on a trained LSSA model to switch
    the training-free stage 2 on)."""

    def __init__(self, phi: str = "softplus", scale: str = "logd_logn", normalize: bool = True,
                 qk_norm: bool = True, *, train_len: int | None = None,
                 reweight_p: float | None = None, reweight_mode: str = "shift"):
        super().__init__()
        if phi not in PHIS or scale not in SCALES or reweight_mode not in REWEIGHT_MODES:
            raise ValueError(f"bad kernel settings phi={phi!r} scale={scale!r} "
                             f"reweight_mode={reweight_mode!r}")
        self.phi, self.scale, self.normalize, self.qk_norm = phi, scale, normalize, qk_norm
        self.train_len, self.reweight_p, self.reweight_mode = train_len, reweight_p, reweight_mode

    def attention_weights(self, inputs: AttentionInputs) -> torch.Tensor:
        return normalised_attention_weights(
            inputs.q, inputs.k_rep, phi=self.phi, scale=self.scale, normalize=self.normalize,
            qk_norm=self.qk_norm, logit_scale=inputs.scale, train_len=self.train_len,
            reweight_p=self.reweight_p, reweight_mode=self.reweight_mode)

    def forward(self, inputs: AttentionInputs) -> torch.Tensor:
        A = self.attention_weights(inputs)
        return (A @ inputs.v_rep.to(A.dtype)).to(inputs.v.dtype)

    def extra_repr(self) -> str:
        return (f"phi={self.phi}, scale={self.scale}, normalize={self.normalize}, "
                f"qk_norm={self.qk_norm}, "
                f"reweight_p={self.reweight_p}, mode={self.reweight_mode}")


def kernel_for(variant: str, *, train_len: int | None = None, reweight_p: float | None = None,
               reweight_mode: str = "shift") -> LengthScaledAttention:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {sorted(VARIANTS)}")
    phi, scale, normalize, qk_norm = VARIANTS[variant]
    return LengthScaledAttention(phi, scale, normalize, qk_norm, train_len=train_len,
                                 reweight_p=reweight_p, reweight_mode=reweight_mode)


def set_reweighting(model: Llama, p: float | None, mode: str = "shift") -> None:
    """Switch LSSAR on (``p``) or off (``None``) in every layer of a trained model."""
    for k in model.attention_kernels():
        if not isinstance(k, LengthScaledAttention):
            raise ValueError("set_reweighting needs LengthScaledAttention kernels")
        if p is not None and not k.normalize:
            raise ValueError("re-weighting needs l1-normalised attention")
        k.reweight_p, k.reweight_mode = p, mode


# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes of the chapter's experiments (one instance per profile)."""

    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 128
    rope_theta: float = 10000.0
    train_len: int = 32
    batch: int = 16
    steps: int = 300
    lr: float = 3e-3
    weight_decay: float = 0.1
    warmup: int = 10
    eval_factors: tuple[int, ...] = (1, 2, 4, 8, 16)
    eval_tokens: int = 2048  # held-out tokens per evaluation length (blocks = tokens / length)
    variants: tuple[str, ...] = ("softmax", "lssa", "softplus_nol1")
    seeds: int = 5  # softmax, LSSA and LSSAR are trained with seeds seed, ..., seed + seeds - 1
    p: float = 15.0  # LSSAR power (the paper's p = 15 for long contexts; p = 3 in the sweep)
    p_sweep: tuple[float, ...] = (3.0,)  # other powers, switched on after training, chapter seed
    reweight_mode: str = "shift"
    train_lssar: bool = True  # train LSSAR with the re-weighting on (the paper's final recipe)

    def check(self) -> None:
        require(self.d_model % self.n_heads == 0, "d_model must be divisible by n_heads")
        require((self.d_model // self.n_heads) % 2 == 0, "head_dim must be even (RoPE)")
        require(self.n_layers >= 1 and self.d_ff >= 1, "n_layers, d_ff >= 1")
        require(self.train_len >= 4, "train_len must be >= 4")
        require(self.batch >= 1 and self.steps >= 1, "batch and steps must be >= 1")
        require(self.seeds >= 1, "seeds must be >= 1")
        require(0 <= self.warmup < self.steps, "warmup must lie in [0, steps)")
        require(self.lr > 0 and self.weight_decay >= 0, "lr > 0, weight_decay >= 0")
        require(len(self.eval_factors) >= 2 and min(self.eval_factors) == 1,
                "eval_factors must include 1 and a longer length")
        require(self.eval_tokens >= self.train_len * max(self.eval_factors),
                "eval_tokens must cover at least one block of the longest evaluation length")
        unknown = set(self.variants) - set(VARIANTS)
        require(not unknown, f"unknown variants {sorted(unknown)}; choose from {sorted(VARIANTS)}")
        require("softmax" in self.variants and "lssa" in self.variants,
                "variants must include 'softmax' and 'lssa'")
        require(self.p > 0 and all(p > 0 for p in self.p_sweep), "powers must be > 0")
        require(self.reweight_mode in REWEIGHT_MODES, f"reweight_mode in {REWEIGHT_MODES}")

    @property
    def eval_lengths(self) -> tuple[int, ...]:
        return tuple(self.train_len * f for f in self.eval_factors)


CONFIGS = Profiles(
    # ci: four seeds each of softmax, LSSA and LSSAR; the l1 ablation runs at full only (the
    # twelve trainings fit the 90-s budget, the former sixteen did not)
    ci=Config(seeds=4, variants=("softmax", "lssa")),
    full=Config(d_model=256, n_layers=4, n_heads=4, d_ff=768, train_len=128, batch=32,
                steps=1000, lr=1e-3, warmup=100, eval_tokens=16384,
                variants=("softmax", "softmax_logn", "lssa", "lssa_raw", "softplus_nol1"),
                seeds=3, p_sweep=(3.0, 8.0)),
)


def llama_config(cfg: Config, vocab_size: int = 256) -> LlamaConfig:
    return LlamaConfig(vocab_size=vocab_size, d_model=cfg.d_model, n_layers=cfg.n_layers,
                       n_heads=cfg.n_heads, n_kv_heads=cfg.n_heads, d_ff=cfg.d_ff,
                       rope_theta=cfg.rope_theta, max_seq_len=cfg.train_len * 16)


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper (seconds of own compute).

    Parameters per block ~ 4 d^2 + 3 d d_ff, plus the tied 256 x d head. A training step costs
    ~6 * params * tokens + the attention (~3 x 4 T^2 d per layer incl. phi/normalise), an
    evaluation ~2 * params * tokens + 4 T^2 d per layer. Throughput assumptions: 3e10 flop/s
    effective on one CPU thread for these tiny matrices plus ~12 ms of Python and element-wise
    overhead per step (the LSSA / LSSAR kernels are ~15 small ops more than softmax, forward and
    backward; calibrated on a whole ci run: 16 trainings, 117 s CPU measured on a shared 2-core
    machine under a load of about 7); 1e12 flop/s and ~5 ms per step on a T4 (a quarter of its
    fp32 peak: small model, unfused T x T attention). Evaluation is repeated for every trained
    model, the re-weighting switched on after training on every LSSA model and the p sweep.
    """
    rate = 3e10 if cfg.d_model <= 128 else 1e12
    d = cfg.d_model
    params = cfg.n_layers * (4 * d ** 2 + 3 * d * cfg.d_ff) + 256 * d
    n_train = len(cfg.variants) + (2 + cfg.train_lssar) * (cfg.seeds - 1) + int(cfg.train_lssar)
    T = cfg.train_len
    tokens = cfg.batch * T
    step = 6 * params * tokens + 3 * cfg.n_layers * 4 * cfg.batch * T * T * cfg.d_model
    train = n_train * cfg.steps * step
    n_evals = n_train + cfg.seeds + len(cfg.p_sweep) + 1
    ev = 0.0
    for L in cfg.eval_lengths:
        ev += 2 * params * cfg.eval_tokens + cfg.n_layers * 12 * cfg.eval_tokens * L * d
    overhead = 0.012 if cfg.d_model <= 128 else 0.005  # seconds per training step
    return (train + n_evals * ev) / rate + overhead * n_train * cfg.steps + 2.0


# ------------------------------------------------------------------------------------------
# Training and evaluation
# ------------------------------------------------------------------------------------------


def make_model(cfg: Config, variant: str, *, seed: int, device=None,
               reweight_p: float | None = None) -> Llama:
    """The book's Llama (byte vocabulary) with the variant's attention in every layer."""
    torch.manual_seed(seed)
    model = Llama(llama_config(cfg))
    model.set_attention(lambda i, c: kernel_for(variant, train_len=cfg.train_len,
                                                reweight_p=reweight_p,
                                                reweight_mode=cfg.reweight_mode))
    return model.to(device) if device is not None else model


def _lr_lambda(cfg: Config) -> Callable[[int], float]:
    """Linear warmup over ``cfg.warmup`` steps, then cosine decay to 10 % of ``cfg.lr``."""
    def lr_at(step):
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t))
    return lr_at


def train_model(model: Llama, train_ids: torch.Tensor, cfg: Config, *, seed: int,
                desc: str = "train") -> list[float]:
    """AdamW + linear warmup + cosine decay on random windows of ``train_len + 1`` tokens."""
    g = torch.Generator().manual_seed(seed)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=cfg.lr,
                            betas=(0.9, 0.95))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(cfg))
    n = train_ids.numel() - cfg.train_len - 1
    losses = []
    model.train()
    for _ in progress(range(cfg.steps), total=cfg.steps, desc=desc):
        starts = torch.randint(0, n, (cfg.batch,), generator=g)
        x = train_ids[starts[:, None] + torch.arange(cfg.train_len + 1)[None]].to(model.device)
        loss = model.loss(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def eval_lengths(model: Llama, val_ids: torch.Tensor, lengths: Iterable[int],
                 eval_tokens: int) -> dict[int, float]:
    """Mean next-token loss (nats) over non-overlapping held-out blocks of each length; every
    length sees (about) the same ``eval_tokens`` tokens from the start of the split."""
    model.eval()
    out = {}
    for L in lengths:
        n_blocks = max(1, eval_tokens // L)
        need = n_blocks * L + 1
        if val_ids.numel() < need:
            raise ValueError(f"validation split has {val_ids.numel()} tokens, need {need}")
        x = val_ids[:n_blocks * L].view(n_blocks, L)
        y = val_ids[1:n_blocks * L + 1].view(n_blocks, L)
        chunk = max(1, 2048 // L)  # blocks per forward pass (one batch at the ci sizes)
        tot = 0.0
        for i in range(0, n_blocks, chunk):
            tot += float(model.loss(x[i:i + chunk], y[i:i + chunk], reduction="sum"))
        out[int(L)] = tot / (n_blocks * L)
    return out


def run_seeds(cfg: Config, corpus, *, seed: int, device=None) -> tuple[dict, dict]:
    """Train softmax, LSSA and (``cfg.train_lssar``) LSSAR with the seeds ``seed, ...,
    seed + cfg.seeds - 1``, and the other variants of ``cfg.variants`` with ``seed`` only;
    evaluate each at ``cfg.eval_lengths``, and every LSSA model also with the re-weighting
    (``cfg.p``, ``cfg.reweight_mode``) switched on without training (``"lssar_free"``).

    Returns ``(runs, models)``: ``runs[name][s] = {L: loss}`` for the variants, ``"lssar"``
    and ``"lssar_free"``; ``models[name]`` = the model trained with ``seed`` (LSSA with the
    re-weighting off)."""
    names = [*cfg.variants] + ["lssar"] * cfg.train_lssar + ["lssar_free"]
    runs: dict[str, dict[int, dict[int, float]]] = {v: {} for v in names}
    models = {}
    multi = ("softmax", "lssa") + ("lssar",) * cfg.train_lssar
    for s in range(seed, seed + cfg.seeds):
        todo = [v for v in (*cfg.variants, "lssar") if v in multi or s == seed]
        for name in todo:
            if name == "lssar" and not cfg.train_lssar:
                continue
            variant, p = ("lssa", cfg.p) if name == "lssar" else (name, None)
            model = make_model(cfg, variant, seed=s, device=device, reweight_p=p)
            train_model(model, corpus.train, cfg, seed=s, desc=f"{name} seed {s}")
            runs[name][s] = eval_lengths(model, corpus.val, cfg.eval_lengths, cfg.eval_tokens)
            if name == "lssa":
                set_reweighting(model, cfg.p, cfg.reweight_mode)
                runs["lssar_free"][s] = eval_lengths(model, corpus.val, cfg.eval_lengths,
                                                     cfg.eval_tokens)
                set_reweighting(model, None)
            if s == seed:
                models[name] = model
    return runs, models


def seed_mean(runs_of_one: dict[int, dict[int, float]]) -> dict[int, float]:
    """Mean over seeds of ``{seed: {L: loss}}`` -> ``{L: mean loss}``."""
    seeds = list(runs_of_one)
    return {L: sum(runs_of_one[s][L] for s in seeds) / len(seeds) for L in runs_of_one[seeds[0]]}


@torch.no_grad()
def mean_row_entropy(model: Llama, ids: torch.Tensor, layer: int = 0) -> float:
    """Mean entropy (nats) of the attention rows of one layer on ``ids`` (1, T), last half of
    the rows (where the rows are longest)."""
    with model.record_attention([layer], weights=True) as rec:
        model(ids)
    A = rec[layer]["weights"].float()
    T = A.shape[-1]
    return float(row_entropy(A)[..., T // 2:].mean())


def stability_demo(scale: float = 100.0, T: int = 16, d: int = 8, seed: int = 0) -> dict:
    """fp16 logits times ``scale``: naive exp-then-normalise overflows, softplus + l1 not."""
    g = torch.Generator().manual_seed(seed)
    s = (torch.randn(T, T, generator=g) * scale).to(torch.float16)
    e = torch.exp(s)
    naive = e / e.sum(-1, keepdim=True)
    sp = F.softplus(s)  # softplus(x) ~ x for large x: no overflow
    sp = sp / sp.sum(-1, keepdim=True)
    return {"naive_finite": bool(torch.isfinite(naive).all()),
            "softplus_finite": bool(torch.isfinite(sp).all())}
