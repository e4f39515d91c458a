r"""Zhang, Arora, Chalamala, Wu, Spector, Singhal, Ramesh & Ré (ICLR 2025), *LoLCATs: On
Low-Rank Linearizing of Large Language Models* (arXiv:2410.10254).

Official code: HazyResearch/lolcats (read: ``src/model/feature_map.py``,
``src/model/linear_attention/linear_window_attention_tk.py``,
``src/trainer/distill_attention_xent_mse.py``, ``configs/model/
distill_llama3_8b_lk_smd_wtk64_fd64_w01.yaml``, ``configs/experiment/
distill_alpaca_clean_xent0_mse1000_lr1e-2.yaml``, ``configs/experiment/
finetune_lora_qkvo_alpaca_clean.yaml``). The code below is our own; the feature map is
:class:`nonlinlab.papers.hedgehog.HedgehogFeatureMap` (``activation="softmax"``, no bias,
Kaiming init: the official ``softmax_dim`` + ``untied_head_einsum``), and the hybrid layer is
:class:`nonlinlab.models.attention.WindowLinearAttention`.

Hybrid attention (Eq. 7): window w, per-head gamma = sigmoid(g), g0 = -2.1972
-----------------------------------------------------------------------------
.. math:: \hat y_n=\frac{\sum_{i=n-w+1}^{n}\gamma e^{q_n^\top k_i/\sqrt d-c_n}v_i
          +\phi_q(q_n)^\top\sum_{j\le n-w}\phi_k(k_j)v_j^\top}
          {\sum_{i=n-w+1}^{n}\gamma e^{q_n^\top k_i/\sqrt d-c_n}
          +\phi_q(q_n)^\top\sum_{j\le n-w}\phi_k(k_j)},
          \quad c_n=\max_{i}\tfrac{q_n^\top k_i}{\sqrt d}

with :math:`\phi(x)=[\mathrm{softmax}_f(x\tilde W)\oplus\mathrm{softmax}_f(-x\tilde W)]`
applied after RoPE. ``w = 0`` is pure linear attention, ``w >= T`` softmax attention.

Stage 1, attention transfer (teacher forcing; MSE x 1000, official ``mse_factor``)
---------------------------------------------------------------------------------
.. math:: \ell=\frac{1}{MH}\sum_{m,h}\mathrm{MSE}\big(y^{m,h},\hat y^{m,h}\big),

only :math:`\tilde W_q,\tilde W_k` (and g) train; every layer sees the softmax model's inputs,
so we record q, k, v and the teacher outputs of all layers in one forward pass and train the
maps of all layers at once offline (:class:`StackedTransfer`: weights stacked over layers; the
sum of the per-layer losses trains each layer exactly as alone).

Stage 2, low-rank adjusting: LoRA on W_q, W_k, W_v, W_o
-------------------------------------------------------
.. math:: W x \;\to\; W x + \tfrac{\alpha}{r} B A x,\quad A\in\mathbb R^{r\times d_{in}},
          B\in\mathbb R^{d_{out}\times r}=0 \text{ at init},\ r=8,\ \alpha=16,

trained with next-token cross-entropy, feature maps and gamma frozen; trainable parameters
:math:`\sum 2r(d_{in}+d_{out})\cdot\frac{1}{2}` per adapted matrix, i.e. :math:`r(d_{in}+d_{out})`.

Recurrent decoding: the last w keys/values are kept; an evicted key adds
:math:`\phi_k(k)v^\top` and :math:`\phi_k(k)` to the states (:func:`hybrid_decode`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, require
from ..models.attention import AttentionInputs, LinearAttention, WindowLinearAttention
from ..models.lora import LoRALinear, add_lora, lora_param_count, remove_lora  # noqa: F401
from .hedgehog import HedgehogFeatureMap

GATE_INIT = 0.1  # sigmoid(-2.1972) (official init_window_factor)
FEATURE_MAPS = ("hedgehog", "t2r")


# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config(ProfileConfig):
    """Sizes (one instance per profile)."""

    first_layer: int = 24  # linearize layers first_layer..29 (0: the whole model)
    n_layers_model: int = 30
    seq_len: int = 128
    window: int = 16
    feature_dim: int = 32  # d' (effective 2 d'); official 64 for head dim 128
    train_seqs: int = 4  # attention-transfer windows (recorded once)
    at_steps: int = 40
    at_lr: float = 1e-2
    lora_steps: int = 16
    lora_batch: int = 1
    lora_lr: float = 1e-3
    lora_rank: int = 8
    lora_alpha: float = 16.0
    eval_seqs: int = 2

    def check(self) -> None:
        require(0 <= self.first_layer < self.n_layers_model,
                f"first_layer must lie in [0, {self.n_layers_model})")
        require(self.seq_len >= 8, "seq_len must be >= 8")
        require(0 <= self.window <= self.seq_len, "window must lie in [0, seq_len]")
        require(self.feature_dim >= 1 and self.lora_rank >= 1, "sizes must be >= 1")
        require(min(self.train_seqs, self.eval_seqs, self.lora_batch) >= 1, "batches >= 1")
        require(self.at_steps >= 1 and self.lora_steps >= 1, "steps must be >= 1")
        require(self.at_lr > 0 and self.lora_lr > 0, "learning rates must be positive")

    @property
    def layers(self) -> list[int]:
        return list(range(self.first_layer, self.n_layers_model))


CONFIGS = Profiles(
    ci=Config(first_layer=0, seq_len=128, window=16, train_seqs=1, at_steps=40,
              lora_steps=8, lora_batch=1, eval_seqs=2),
    full=Config(first_layer=0, seq_len=512, window=64, train_seqs=8, at_steps=300,
                lora_steps=150, lora_batch=4, lora_lr=1e-3, eval_seqs=8),
)

_D, _H, _HD, _FF, _V = 576, 9, 64, 1536, 49152
_LAYER_FLOPS = 2 * (2 * _D * _D + 2 * _D * 192 + 3 * _D * _FF)  # per token
_HEAD_FLOPS = 2 * _D * _V


def estimate_seconds(cfg: Config) -> float:
    """Cost model (on paper). Large matrix products (model forward/backward) run at the
    measured single-thread rate of this model on CPU, 8e10 flop/s (a 1x256 forward is
    ~69 GFLOP in ~0.85 s), the small T x T attention kernels at 2e10 flop/s; a T4 is taken as
    2e12 flop/s for everything (full). Items: loading ~5 s; one recording forward and the
    evaluation windows; attention transfer of all layers at once for three variants (T x T
    kernels, x3 for backward); three LoRA runs over the linearized layers and the head (x3);
    ~8 evaluations of the linearized part of the model."""
    K = cfg.n_layers_model - cfg.first_layer
    gpu = cfg.seq_len >= 512  # the full profile (512-token windows) runs on a GPU
    big, small = (2e12, 2e12) if gpu else (8e10, 2e10)
    T = cfg.seq_len
    rec = (cfg.train_seqs + cfg.eval_seqs) * T * (cfg.n_layers_model * _LAYER_FLOPS + _HEAD_FLOPS)
    at = 3 * 3 * cfg.at_steps * K * _H * cfg.train_seqs * (
        2 * T * T * (_HD + 2 * cfg.feature_dim) + 4 * T * _HD * cfg.feature_dim)
    top = K * _LAYER_FLOPS + _HEAD_FLOPS
    lora = 3 * 3 * cfg.lora_steps * cfg.lora_batch * T * top
    evals = 8 * cfg.eval_seqs * T * top
    return 5.0 + (rec + lora + evals) / big + at / small


# ------------------------------------------------------------------------------------------
# Feature maps, kernels, recurrent decoding
# ------------------------------------------------------------------------------------------


class T2RFeatureMap(nn.Module):
    """T2R baseline: phi(x) = ReLU(x W + b) per head, W in R^{d x d} (Kasai et al.)."""

    def __init__(self, n_heads: int, head_dim: int, eps: float = 1e-12):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_heads, head_dim, head_dim))
        self.bias = nn.Parameter(torch.zeros(n_heads, 1, head_dim))
        nn.init.kaiming_uniform_(self.weight)
        self.eps = eps

    def forward(self, x):
        u = torch.einsum("bhtd,hdf->bhtf", x, self.weight.to(x.dtype)) + self.bias.to(x.dtype)
        return F.relu(u).clamp_min(self.eps)


def feature_maps(kind: str, n_heads: int, head_dim: int, feature_dim: int):
    """(phi_q, phi_k) for LoLCATs: "hedgehog" (softmax_dim, no bias, Kaiming) or "t2r"."""
    if kind == "hedgehog":
        kw = dict(activation="softmax", bias=False, init="kaiming")
        return (HedgehogFeatureMap(n_heads, head_dim, feature_dim, role="q", **kw),
                HedgehogFeatureMap(n_heads, head_dim, feature_dim, role="k", **kw))
    if kind == "t2r":
        return T2RFeatureMap(n_heads, head_dim), T2RFeatureMap(n_heads, head_dim)
    raise ValueError(f"unknown feature map {kind!r}; choose one of {FEATURE_MAPS}")


def make_kernel(kind: str, n_heads: int, head_dim: int, feature_dim: int, window: int):
    """LoLCATs hybrid (window > 0) or pure linear attention (window = 0) with fresh maps."""
    fq, fk = feature_maps(kind, n_heads, head_dim, feature_dim)
    if window == 0:
        return LinearAttention(fq, fk, use_rope=True, eps=1e-12)
    return WindowLinearAttention(fq, fk, window=window, n_heads=n_heads, gamma_init=GATE_INIT,
                                 use_rope=True, eps=1e-12)


@torch.no_grad()
def hybrid_decode(kernel: WindowLinearAttention, inputs: AttentionInputs) -> torch.Tensor:
    """Token-by-token decoding of Eq. (7): a cache of the last w keys/values plus linear
    states (S, z); evicted keys enter the states. Returns (B, H, T, D); equals the parallel
    form."""
    q, k, v = inputs.q, inputs.k_rep, inputs.v_rep
    B, H, T, D = q.shape
    w = kernel.window
    fq_all, fk_all = kernel.feature_map_q(q), kernel.feature_map_k(k)
    gamma = torch.sigmoid(kernel.gate_logit).to(q.dtype)[..., 0]  # (1, H, 1)
    S = q.new_zeros(B, H, fq_all.shape[-1], D)
    z = q.new_zeros(B, H, fq_all.shape[-1])
    outs = []
    for t in range(T):
        if w > 0 and t - w >= 0:  # key t - w leaves the window
            S = S + fk_all[:, :, t - w, :, None] * v[:, :, t - w, None, :]
            z = z + fk_all[:, :, t - w]
        elif w == 0:
            S = S + fk_all[:, :, t, :, None] * v[:, :, t, None, :]
            z = z + fk_all[:, :, t]
        lo = max(0, t - w + 1)
        num = torch.einsum("bhf,bhfd->bhd", fq_all[:, :, t], S)
        den = (fq_all[:, :, t] * z).sum(-1)
        if w > 0:
            s = torch.einsum("bhd,bhjd->bhj", q[:, :, t], k[:, :, lo:t + 1]) * inputs.scale
            e = gamma * torch.exp(s - s.amax(-1, keepdim=True))
            num = num + torch.einsum("bhj,bhjd->bhd", e, v[:, :, lo:t + 1])
            den = den + e.sum(-1)
        outs.append(num / (den[..., None] + kernel.eps))
    return torch.stack(outs, dim=2)


# ------------------------------------------------------------------------------------------
# Stage 1: attention transfer on recorded inputs
# ------------------------------------------------------------------------------------------


@torch.no_grad()
def record_layers(model, ids: torch.Tensor, layers):
    """q, k, v (+RoPE) and the softmax outputs of ``layers`` from one forward pass."""
    with model.record_attention(layers) as rec:
        model(ids)
    return rec


def transfer_mse(kernel, rec, layer: int) -> torch.Tensor:
    """MSE between the kernel's output and the recorded softmax output of one layer."""
    return F.mse_loss(kernel(rec.inputs(layer)), rec[layer]["out"])


class StackedTransfer(nn.Module):
    """The student kernels of all linearized layers of one variant as *one* module, for
    attention transfer: the feature-map weights of the L layers stacked to (L, H, d, d'), the
    gate logits to (L, H, 1, 1). Its forward runs Eq. (7) for every layer at once on stacked
    recorded inputs (explicit T x T form: window part ``gamma exp(s - c)``, linear part
    ``phi_q phi_k^T`` on keys at least ``w`` back; ``w = 0`` is linear attention).

    Built from per-layer kernels of :func:`make_kernel` (same kind and window), so it starts
    from exactly their random maps; :meth:`write_back` copies the trained weights back into
    them. Training sums the per-layer MSEs (:meth:`layer_mse`): the layers share no parameter,
    so the gradient of layer m's maps is that of its own MSE, and Adam (element-wise) trains
    every layer exactly as it would alone (the 1/M of the equation would only rescale the
    loss)."""

    def __init__(self, kernels: list):
        super().__init__()
        k0 = kernels[0]
        fq0 = k0.feature_map_q
        self.kind = "hedgehog" if isinstance(fq0, HedgehogFeatureMap) else "t2r"
        if self.kind == "hedgehog" and (fq0.bias is not None or fq0.activation != "softmax"):
            raise ValueError("StackedTransfer takes the LoLCATs Hedgehog map (softmax, no bias)")
        if self.kind == "t2r" and not isinstance(fq0, T2RFeatureMap):
            raise ValueError(f"unsupported feature map {type(fq0).__name__}")
        self.window = getattr(k0, "window", 0)
        self.eps = k0.eps
        self.kernels = kernels

        def stack(name, role):
            return nn.Parameter(torch.stack([getattr(getattr(k, f"feature_map_{role}"), name)
                                             .detach().clone() for k in kernels]))

        self.wq, self.wk = stack("weight", "q"), stack("weight", "k")
        if self.kind == "t2r":
            self.bq, self.bk = stack("bias", "q"), stack("bias", "k")
        if self.window > 0:
            self.gate = nn.Parameter(torch.stack([k.gate_logit.detach().clone()[0]
                                                  for k in kernels]))  # (L, H, 1, 1)

    def _phi(self, x, w, b=None):
        u = torch.einsum("lbhtd,lhdf->lbhtf", x, w.to(x.dtype))
        if self.kind == "t2r":
            return F.relu(u + b[:, None].to(x.dtype)).clamp_min(self.eps)
        return torch.cat([F.softmax(u, -1), F.softmax(-u, -1)], -1).clamp_min(self.eps)

    def forward(self, st: dict) -> torch.Tensor:
        """Outputs (L, B, H, T, D) for stacked inputs ``st`` of :func:`stack_record`."""
        fq = self._phi(st["q"], self.wq, getattr(self, "bq", None))
        fk = self._phi(st["k"], self.wk, getattr(self, "bk", None))
        T = fq.shape[-2]
        t = torch.arange(T, device=fq.device)
        older = (t[:, None] - t[None, :]) >= self.window
        w = (fq @ fk.transpose(-1, -2)).masked_fill(~older, 0.0)
        if self.window > 0:
            w = w + torch.sigmoid(self.gate).to(w.dtype)[:, None] * st["soft"][self.window]
        return (w @ st["v"]) / (w.sum(-1, keepdim=True) + self.eps)

    def layer_mse(self, st: dict) -> torch.Tensor:
        """MSE of each layer, (L,)."""
        return (self(st) - st["out"]).pow(2).mean(dim=(1, 2, 3, 4))

    @torch.no_grad()
    def write_back(self) -> None:
        for m, k in enumerate(self.kernels):
            k.feature_map_q.weight.copy_(self.wq[m])
            k.feature_map_k.weight.copy_(self.wk[m])
            if self.kind == "t2r":
                k.feature_map_q.bias.copy_(self.bq[m])
                k.feature_map_k.bias.copy_(self.bk[m])
            if self.window > 0:
                k.gate_logit.copy_(self.gate[m][None])


@torch.no_grad()
def stack_record(rec, layers, windows=()) -> dict:
    """Recorded q, k, v (kv heads repeated) and softmax outputs of ``layers`` stacked to
    (L, B, H, T, D), plus, for each window size w in ``windows``, the window part of Eq. (7)
    before gamma, ``exp(s - c)`` on the w most recent keys (fixed: q, k are recorded)."""
    ins = [rec.inputs(i) for i in layers]
    st = {"q": torch.stack([x.q for x in ins]), "k": torch.stack([x.k_rep for x in ins]),
          "v": torch.stack([x.v_rep for x in ins]),
          "out": torch.stack([rec[i]["out"] for i in layers]), "soft": {}}
    T = st["q"].shape[-2]
    t = torch.arange(T, device=st["q"].device)
    rel = t[:, None] - t[None, :]
    for w in windows:
        if w > 0:
            parts = []
            for b in range(st["q"].shape[1]):  # one window at a time (T x T memory)
                s = (st["q"][:, b:b + 1] @ st["k"][:, b:b + 1].transpose(-1, -2)) * ins[0].scale
                s = s.masked_fill(~((rel >= 0) & (rel < w)), float("-inf"))
                parts.append(torch.exp(s - s.amax(-1, keepdim=True)))
            st["soft"][w] = torch.cat(parts, dim=1)
    return st


def _windows(st: dict) -> list[dict]:
    """A stacked record split into single windows (views)."""
    out = []
    for b in range(st["q"].shape[1]):
        part = {k: v[:, b:b + 1] for k, v in st.items() if k != "soft"}
        part["soft"] = {w: v[:, b:b + 1] for w, v in st["soft"].items()}
        out.append(part)
    return out


def attention_transfer(kernels: dict, rec, *, steps: int, lr: float, mse_factor: float = 1000.0,
                       stacked: dict | None = None):
    """Train the maps (and gates) of all layers' kernels at once to match the recorded teacher
    outputs: one :class:`StackedTransfer`, Adam on ``mse_factor * sum_m MSE_m`` (equivalent to
    training each layer alone, see there; the gradient is accumulated window by window), then
    the weights are written back into ``kernels``. ``stacked``: a :func:`stack_record` of the
    same layers, to share between variants. Returns ({layer: (mse at init, final mse)}, cpu
    seconds)."""
    c0 = time.process_time()
    layers = list(kernels)
    window = getattr(kernels[layers[0]], "window", 0)
    st = stacked if stacked is not None else stack_record(rec, layers, (window,))
    if window > 0 and window not in st["soft"]:
        raise ValueError(f"stacked record lacks window {window}; pass it to stack_record")
    mod = StackedTransfer([kernels[i] for i in layers])
    opt = torch.optim.Adam(mod.parameters(), lr=lr)
    with torch.no_grad():
        mse0 = sum(mod.layer_mse(part) for part in _windows(st)) / st["q"].shape[1]
    parts = _windows(st)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        for part in parts:  # one window at a time (T x T memory); the gradients add up
            (mse_factor / len(parts) * mod.layer_mse(part).sum()).backward()
        opt.step()
    mod.write_back()
    with torch.no_grad():
        mse1 = sum(mod.layer_mse(part) for part in _windows(st)) / st["q"].shape[1]
    return ({i: (float(mse0[m]), float(mse1[m])) for m, i in enumerate(layers)},
            time.process_time() - c0)


# ------------------------------------------------------------------------------------------
# Stage 2: LoRA
# ------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------
# Running only the top of the model (the layers below are unchanged: cache their output)
# ------------------------------------------------------------------------------------------


@torch.no_grad()
def residual_at(model, ids: torch.Tensor, layer: int) -> torch.Tensor:
    """Residual stream entering ``layer`` (B, T, d_model) under the current model."""
    cos, sin = model.rope(ids.shape[1])
    x = model.embed_tokens(ids.to(model.device))
    for blk in model.layers[:layer]:
        x = blk(x, cos, sin)
    return x


def top_loss(model, x: torch.Tensor, targets: torch.Tensor, first: int) -> torch.Tensor:
    """Next-token loss from the cached residual ``x`` entering layer ``first``."""
    cos, sin = model.rope(x.shape[1])
    for blk in model.layers[first:]:
        x = blk(x, cos, sin)
    logits = model.lm_head(model.norm(x))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(),
                           targets.reshape(-1).to(logits.device))


@dataclass
class Cached:
    """Cached residuals at ``first`` and next-token targets for a set of windows."""

    x: torch.Tensor
    targets: torch.Tensor
    first: int


def cache_windows(model, ids: torch.Tensor, first: int) -> Cached:
    """ids (N, T + 1) -> residuals entering layer ``first`` for ids[:, :-1], targets ids[:, 1:]."""
    return Cached(residual_at(model, ids[:, :-1], first), ids[:, 1:].to(model.device), first)


@torch.no_grad()
def eval_loss(model, data: Cached) -> float:
    return float(top_loss(model, data.x, data.targets, data.first))


def lora_finetune(model, data: Cached, params, *, steps: int, lr: float, batch: int,
                  seed: int = 0):
    """Adam(W) on the next-token loss from cached residuals (wd 0, as official); random
    mini-batches of windows. Returns (losses, cpu seconds)."""
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    g = torch.Generator().manual_seed(seed)
    losses = []
    c0 = time.process_time()
    for _ in range(steps):
        idx = torch.randint(0, data.x.shape[0], (batch,), generator=g)
        loss = top_loss(model, data.x[idx], data.targets[idx], data.first)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses, time.process_time() - c0


def data_windows(corpus, cfg: Config, seed: int = 0):
    """(train (N, T+1) random windows of the train split, held-out (eval_seqs, T+1) fixed
    evenly spaced windows of the validation split). AT and LoRA use the same train windows
    (the paper uses identical data for both stages)."""
    g = torch.Generator().manual_seed(int(seed))
    n_train = max(cfg.train_seqs, cfg.lora_batch * 4)
    train = corpus.random_blocks("train", n_train, cfg.seq_len + 1, generator=g)
    n_val = corpus.val.numel()
    stride = max(1, (n_val - (cfg.seq_len + 1)) // max(1, cfg.eval_seqs - 1))
    val = corpus.blocks("val", cfg.seq_len + 1, n_blocks=cfg.eval_seqs, stride=stride).clone()
    return train, val
