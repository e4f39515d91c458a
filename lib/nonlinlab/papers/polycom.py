"""Polynomial composition activations (Zhuo et al., ICLR 2025, arXiv 2411.03884).

PolyCom replaces the FFN activation of a transformer by a learnable polynomial composed with a
base function rho, ``PolyCom(x) = sum_{i=0}^{r} a_i rho_i(x)`` (order r = 3 in the paper):

* PolyReLU:  ``a_3 ReLU(x)^3 + a_2 ReLU(x)^2 + a_1 ReLU(x) + a_0``  (paper Eq. 2)
* PolyNorm:  ``a_3 N(x^3) + a_2 N(x^2) + a_1 N(x) + a_0``  (paper Eq. 3)
  with ``N(z) = z / sqrt(mean(z^2 over the FFN hidden dim) + eps)``, eps = 1e-6. The paper writes
  ``x^i / ||x^i||_2``; the RMS form of the official code differs by the constant sqrt(width),
  absorbed into a_i.

Both follow the official code (BryceZhuo/PolyCom, Megatron patch and README): the learnable
``weight`` is ordered ``[a_3, a_2, a_1]`` (``weight[0]`` multiplies the cube), initialised to 1/3
each, and ``bias = a_0`` to 0. Powers are element-wise and computed in float32 here.

Placement (official dense recipe): ``FFN(h) = W_down PolyX(W_up h)``, no gate. Non-gated FFNs get
width ``3/2`` times the SwiGLU width (launch script: ``INTERMEDIATE_SIZE * 3 / 2``) so that
``2 d w = 3 d w'`` parameters match exactly.

Experiments: (A) one-hidden-layer regression nets at equal parameter count on polynomial
targets (the expressivity argument of Sec. 3); (B) a small byte-level Llama trained from scratch
on the pydoc corpus with each activation (mirrors the paper's Fig. 1 "1B dense overall"). The
LM comparison is paired: each Linear draws its initial weights from a stream keyed by the seed
and its name, so all variants of a seed share embedding and attention weights and data order.
At ci the LM is narrow and trained long (d = 32, 750 steps, ~23 bytes per parameter), the
paper's many-tokens-per-parameter regime shrunk.
"""

from __future__ import annotations

import math
import time
import zlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nonlinlab.core import ProfileConfig, Profiles, progress, require
from nonlinlab.models.llama import rms_norm  # N(z) over the FFN hidden dim, per token

ACTIVATIONS = ("relu", "gelu", "relu2", "swiglu", "polyrelu", "polynorm")
LABELS = {"relu": "ReLU", "gelu": "GELU", "relu2": "ReLU$^2$", "swiglu": "SwiGLU",
          "polyrelu": "PolyReLU", "polynorm": "PolyNorm"}
POLY = ("polyrelu", "polynorm")


# ------------------------------------------------------------------------------ activations


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    """float32 for half/bfloat16 inputs (x^3 overflows in fp16), else the input's dtype."""
    return torch.promote_types(x.dtype, torch.float32)


class _PolyBase(nn.Module):
    def __init__(self, order: int = 3):
        super().__init__()
        if int(order) < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        self.order = int(order)
        # weight = [a_r, ..., a_1] (weight[0] multiplies the highest power), init 1/r; bias = a_0
        self.weight = nn.Parameter(torch.full((self.order,), 1.0 / self.order))
        self.bias = nn.Parameter(torch.zeros(1))

    def coefficients(self) -> torch.Tensor:
        """(a_0, a_1, ..., a_r) in increasing order, detached."""
        return torch.cat([self.bias.detach(), self.weight.detach().flip(0)])

    def set_coefficients(self, a) -> _PolyBase:
        """Set (a_0, a_1, ..., a_r) (increasing order)."""
        a = torch.as_tensor(a, dtype=self.weight.dtype)
        if a.shape != (self.order + 1,):
            raise ValueError(f"need {self.order + 1} coefficients (a_0..a_r), got {tuple(a.shape)}")
        with torch.no_grad():
            self.bias.copy_(a[:1])
            self.weight.copy_(a[1:].flip(0))
        return self

    def _powers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """[x^1, ..., x^r] by repeated products (cheaper than pow on CPU)."""
        out = [x]
        for _ in range(self.order - 1):
            out.append(out[-1] * x)
        return out


class PolyReLU(_PolyBase):
    """sum_{i=0}^r a_i ReLU(x)^i  (official: poly(relu(x)), weight = [a_3, a_2, a_1])."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = F.relu(x.to(_compute_dtype(x)))
        w = self.weight.to(r.dtype)
        # Horner: ((a_3 r + a_2) r + a_1) r + a_0 == sum_i a_i r^i
        out = w[0] * r
        for j in range(1, self.order):
            out = (out + w[j]) * r
        return (out + self.bias.to(r.dtype)).to(x.dtype)


class _PolyNormFn(torch.autograd.Function):
    """Fused order-3 PolyNorm, the same function as the composed form with a hand-written
    backward (autograd through three RMS norms is ~2x slower on a CPU).

    N(z) = z r, r = (mean(z^2) + eps)^(-1/2), so dL/dz = r (g - N <g, N> / n) per token; with
    z = x^i, dz/dx = i x^(i-1); dL/da_i = sum g N(x^i); dL/da_0 = sum g.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        x2 = x * x
        x3 = x2 * x
        r1 = torch.rsqrt(x2.mean(-1, keepdim=True) + eps)
        r2 = torch.rsqrt((x2 * x2).mean(-1, keepdim=True) + eps)
        r3 = torch.rsqrt((x3 * x3).mean(-1, keepdim=True) + eps)
        out = (weight[0] * r3) * x3 + (weight[1] * r2) * x2 + (weight[2] * r1) * x + bias
        ctx.save_for_backward(x, weight, r1, r2, r3)
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight, r1, r2, r3 = ctx.saved_tensors
        n = x.shape[-1]
        x2 = x * x
        x3 = x2 * x
        c1 = (g * x).sum(-1, keepdim=True) * r1  # <g, N(x^i)> per token
        c2 = (g * x2).sum(-1, keepdim=True) * r2
        c3 = (g * x3).sum(-1, keepdim=True) * r3
        a3, a2, a1 = weight[0], weight[1], weight[2]
        # dL/dx = sum_i a_i i x^(i-1) r_i (g - N_i c_i / n), N_i = x^i r_i
        gx = (a1 * r1) * (g - x * (r1 * c1 / n))
        gx = gx + (2 * a2 * r2) * x * (g - x2 * (r2 * c2 / n))
        gx = gx + (3 * a3 * r3) * x2 * (g - x3 * (r3 * c3 / n))
        gw = torch.stack([c3.sum(), c2.sum(), c1.sum()]).to(weight.dtype)
        gb = g.sum().reshape(1).to(weight.dtype)
        return gx, gw, gb, None


class PolyNorm(_PolyBase):
    """sum_{i=1}^r a_i N(x^i) + a_0 with RMS normalisation N over the last (hidden) dim.

    Order 3 (the paper's) runs through a fused autograd function; other orders use the
    composed form :meth:`reference`, which the tests compare it with."""

    def __init__(self, order: int = 3, eps: float = 1e-6):
        super().__init__(order)
        self.eps = float(eps)

    def reference(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.to(_compute_dtype(x))
        w = self.weight.to(xf.dtype)
        pw = self._powers(xf)
        out = self.bias.to(xf.dtype)
        for j in range(self.order):  # weight[j] multiplies x^(order - j)
            out = out + w[j] * rms_norm(pw[self.order - 1 - j], self.eps)
        return out.to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.order != 3:
            return self.reference(x)
        xf = x.to(_compute_dtype(x))
        out = _PolyNormFn.apply(xf, self.weight.to(xf.dtype), self.bias.to(xf.dtype), self.eps)
        return out.to(x.dtype)


class ReLU2(nn.Module):
    """Squared ReLU (So et al. 2021), a baseline of the paper."""

    def forward(self, x):
        return F.relu(x).pow(2)


def make_activation(name: str, order: int = 3) -> nn.Module:
    """A fresh (element-wise or PolyNorm) activation module; "swiglu" is a gated FFN instead."""
    if name == "relu":
        return nn.ReLU()
    if name == "gelu":
        return nn.GELU()
    if name == "relu2":
        return ReLU2()
    if name == "polyrelu":
        return PolyReLU(order)
    if name == "polynorm":
        return PolyNorm(order)
    raise ValueError(f"unknown activation {name!r}; choose one of "
                     f"{[a for a in ACTIVATIONS if a != 'swiglu']}")


# ------------------------------------------------------------------------------ FFN blocks


class FFN(nn.Module):
    """Non-gated transformer FFN ``down(act(up(h)))`` without biases (the paper's placement)."""

    def __init__(self, d_model: int, width: int, activation: str, order: int = 3):
        super().__init__()
        self.up_proj = nn.Linear(d_model, width, bias=False)
        self.act = make_activation(activation, order)
        self.down_proj = nn.Linear(width, d_model, bias=False)

    def forward(self, x):
        return self.down_proj(self.act(self.up_proj(x)))


def matched_width(swiglu_width: int) -> int:
    """Width of a non-gated FFN with the parameters of a SwiGLU of ``swiglu_width`` (x 3/2)."""
    if int(swiglu_width) < 1:
        raise ValueError("swiglu_width must be >= 1")
    return int(swiglu_width) * 3 // 2


def ffn_params(d_model: int, width: int, gated: bool) -> int:
    """3 d w (gated: gate, up, down) or 2 d w (up, down), no biases."""
    return (3 if gated else 2) * d_model * width


# ------------------------------------------------------------------------------ exact constructions


def square_layer() -> tuple[torch.Tensor, PolyReLU, torch.Tensor]:
    """Width-2 PolyReLU layer with x^2 = ReLU(x)^2 + ReLU(-x)^2: returns (W_in, act, w_out)."""
    act = PolyReLU(3).set_coefficients([0.0, 0.0, 1.0, 0.0]).double()
    return torch.tensor([[1.0], [-1.0]], dtype=torch.float64), act, torch.ones(2,
                                                                                dtype=torch.float64)


def product_layer() -> tuple[torch.Tensor, PolyReLU, torch.Tensor]:
    """Width-4 PolyReLU layer for x1 x2 = ((x1+x2)^2 - (x1-x2)^2) / 4 (polarisation)."""
    act = PolyReLU(3).set_coefficients([0.0, 0.0, 1.0, 0.0]).double()
    w_in = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]], dtype=torch.float64)
    return w_in, act, torch.tensor([0.25, 0.25, -0.25, -0.25], dtype=torch.float64)


def triple_product_layer() -> tuple[torch.Tensor, PolyReLU, torch.Tensor]:
    """Width-8 PolyReLU layer for x1 x2 x3 with a = (0, 0, 0, 1): z^3 = ReLU(z)^3 - ReLU(-z)^3
    and 24 x1 x2 x3 = (x1+x2+x3)^3 - (x1+x2-x3)^3 - (x1-x2+x3)^3 + (x1-x2-x3)^3. Squared ReLU
    has no odd cube, so it cannot do this with any finite width."""
    act = PolyReLU(3).set_coefficients([0.0, 0.0, 0.0, 1.0]).double()
    signs = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, -1.0], [1.0, -1.0, 1.0], [1.0, -1.0, -1.0]],
                         dtype=torch.float64)
    coef = torch.tensor([1.0, -1.0, -1.0, 1.0], dtype=torch.float64) / 24
    return torch.cat([signs, -signs]), act, torch.cat([coef, -coef])


def apply_layer(x: torch.Tensor, layer) -> torch.Tensor:
    """y = w_out . act(W_in x) for a layer from :func:`square_layer` / :func:`product_layer`."""
    w_in, act, w_out = layer
    with torch.no_grad():
        return act(x @ w_in.T) @ w_out


# ------------------------------------------------------------------------------ Part A: regression

TARGETS = ("pairs", "triple", "product4", "sincos")


def target_fn(name: str, x: torch.Tensor) -> torch.Tensor:
    """pairs = x1 x2 + x3 x4 (degree 2: exact for a width-8 PolyReLU or ReLU^2 layer); triple =
    x1 x2 x3 (degree 3: exact for PolyReLU via odd cubes, not for ReLU^2); product4 =
    x1 x2 x3 x4 (a pure 4th-order interaction); sincos = sin(pi x1) cos(pi x2)."""
    if name == "pairs":
        return x[:, 0] * x[:, 1] + x[:, 2] * x[:, 3]
    if name == "triple":
        return x[:, 0] * x[:, 1] * x[:, 2]
    if name == "product4":
        return x[:, :4].prod(-1)
    if name == "sincos":
        return torch.sin(math.pi * x[:, 0]) * torch.cos(math.pi * x[:, 1])
    raise ValueError(f"unknown target {name!r}; choose one of {TARGETS}")


class ShallowNet(nn.Module):
    """One hidden layer: y = v . act(W x + b) + c."""

    def __init__(self, d_in: int, width: int, activation: str):
        super().__init__()
        self.fc = nn.Linear(d_in, width)
        self.act = make_activation(activation)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.act(self.fc(x))).squeeze(-1)


def shallow_params(d_in: int, width: int, activation: str) -> int:
    extra = 4 if activation in POLY else 0
    return d_in * width + width + width + 1 + extra


def width_for_budget(d_in: int, budget: int, activation: str) -> int:
    """Largest width whose parameter count is <= budget (equal-parameter comparison)."""
    w = max(1, (budget - 1 - (4 if activation in POLY else 0)) // (d_in + 2))
    return w


def regression_data(target: str, n: int, d_in: int, generator: torch.Generator,
                    device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.rand(n, d_in, generator=generator) * 2 - 1
    return x.to(device), target_fn(target, x).to(device)


def fit_regression(target: str, activation: str, budget: int, *, d_in: int = 4,
                   n_train: int = 4096, n_test: int = 4096, steps: int = 1500, lr: float = 3e-3,
                   seed: int = 0, device="cpu") -> dict:
    """Full-batch Adam on MSE; returns test MSE (relative MSE = MSE / Var f too)."""
    g = torch.Generator().manual_seed(10_000 + seed)
    xtr, ytr = regression_data(target, n_train, d_in, g, device)
    xte, yte = regression_data(target, n_test, d_in, g, device)
    torch.manual_seed(seed)
    width = width_for_budget(d_in, budget, activation)
    net = ShallowNet(d_in, width, activation).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(net(xtr), ytr)
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        mse = F.mse_loss(net(xte), yte).item()
        var = yte.var().item()
    return {"target": target, "activation": activation, "width": width,
            "params": sum(p.numel() for p in net.parameters()), "test_mse": mse,
            "rel_mse": mse / var, "train_mse": float(loss.item())}


# ------------------------------------------------------------------- Part B: language model


def build_lm(activation: str, cfg: Config, seed: int = 0, device="cpu"):
    """Byte-level Llama; FFN = SwiGLU(width) or non-gated act with width 3/2 x (param-matched)."""
    from nonlinlab.models.llama import Llama, LlamaConfig

    lcfg = LlamaConfig(vocab_size=256, d_model=cfg.d_model, n_layers=cfg.n_layers,
                       n_heads=cfg.n_heads, n_kv_heads=cfg.n_heads, d_ff=cfg.swiglu_width,
                       rope_theta=10000.0, max_seq_len=cfg.seq_len, init_std=0.02)
    torch.manual_seed(seed)
    model = Llama(lcfg)
    if activation != "swiglu":
        w = matched_width(cfg.swiglu_width)
        model.set_mlp(lambda i, c: FFN(c.d_model, w, activation))
    torch.manual_seed(seed)
    model.reset_parameters()  # N(0, 0.02) weights (HF Llama's initializer_range), unit norms
    if cfg.init == "fanin":
        # The same law for every variant, at the scale the paper's model sees: 0.02 at
        # d = 2048 gives pre-activations of std 0.02 sqrt(2048) ~ 0.9, so at our widths every
        # Linear (q, k, v, o, gate, up, down and the tied head/embedding) gets std
        # 1/sqrt(fan_in). With 0.02 at d = 32 the pre-activations have std 0.11, where SiLU and
        # GELU are nearly linear and SwiGLU's gate x up product starts ~100x too small.
        # Common random numbers: each Linear draws from its own stream, keyed by the seed and
        # the module's name, so every variant starts from the *same* embedding and attention
        # weights and only the FFN differs (a paired comparison; the law is unchanged).
        for name, m in model.named_modules():
            if isinstance(m, nn.Linear):
                g = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(name.encode()))
                with torch.no_grad():
                    m.weight.copy_(torch.randn(m.weight.shape, generator=g)
                                   * m.in_features ** -0.5)
        model.tie_weights()
    return model.to(device)


def lr_at(step: int, cfg: Config) -> float:
    """Linear warm-up then cosine decay from lr to lr/10 (the official 3e-4 -> 3e-5 shape)."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.lm_steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def poly_coefficients(model) -> list[list[float]]:
    """(a_0..a_3) of every PolyCom activation in the model, by layer."""
    return [m.coefficients().tolist() for m in model.modules() if isinstance(m, _PolyBase)]


def train_lm(activation: str, cfg: Config, corpus, seed: int = 0, device="cpu",
             progress_bar: bool = False) -> dict:
    """AdamW (beta 0.9/0.95, wd 0.1, clip 1.0 as the official script), same data order for all."""
    model = build_lm(activation, cfg, seed, device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": other, "weight_decay": 0.0}],
                            lr=cfg.lr, betas=(0.9, 0.95), eps=1e-8)
    g = torch.Generator().manual_seed(20_000 + seed)  # data order depends on the seed only
    val = corpus.blocks("val", cfg.seq_len + 1, n_blocks=cfg.val_blocks).to(device)
    steps, train_loss, val_steps, val_loss = [], [], [], []
    finite = True

    def evaluate():
        model.eval()
        with torch.no_grad():
            tot = sum(model.loss(val[i:i + cfg.batch]).item() * len(val[i:i + cfg.batch])
                      for i in range(0, len(val), cfg.batch))
        model.train()
        return tot / len(val)

    it = range(cfg.lm_steps)
    if progress_bar:
        it = progress(it, total=cfg.lm_steps, desc=LABELS[activation])
    t0, c0 = time.perf_counter(), time.process_time()
    model.train()
    for step in it:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        ids = corpus.random_blocks("train", cfg.batch, cfg.seq_len + 1, generator=g).to(device)
        loss = model.loss(ids)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv = float(loss.item())
        finite &= math.isfinite(lv)
        steps.append(step + 1)
        train_loss.append(lv)
        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.lm_steps:
            val_steps.append(step + 1)
            val_loss.append(evaluate())
    return {"activation": activation, "steps": steps, "train_loss": train_loss,
            "val_steps": val_steps, "val_loss": val_loss, "final_val": val_loss[-1],
            "finite": finite and all(math.isfinite(v) for v in val_loss),
            "params": model.num_parameters(), "coefficients": poly_coefficients(model),
            "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}


# ------------------------------------------------------------------------------ configs


@dataclass(frozen=True)
class Config(ProfileConfig):
    # Part A: equal-parameter shallow nets on polynomial targets
    reg_budgets: tuple[int, ...]
    reg_budget: int           # the budget used for the claims
    reg_targets: tuple[str, ...]
    reg_activations: tuple[str, ...]
    reg_n: int
    reg_steps: int
    # Part B: byte-level Llama on pydoc
    lm_activations: tuple[str, ...]
    d_model: int
    n_layers: int
    n_heads: int
    swiglu_width: int
    seq_len: int
    batch: int
    lm_steps: int
    warmup: int
    lr: float
    weight_decay: float
    eval_every: int
    val_blocks: int
    lm_seeds: tuple[int, ...]  # seeds offsets run for Part B (ci: one; full: three)
    init: str = "fanin"  # "fanin": N(0, 1/fan_in) Linear weights; "llama": N(0, 0.02)

    def check(self):
        require(self.reg_budget in self.reg_budgets, "reg_budget must be one of reg_budgets")
        require(all(t in TARGETS for t in self.reg_targets), f"targets must be in {TARGETS}")
        require(all(a in ACTIVATIONS and a != "swiglu" for a in self.reg_activations),
                "reg_activations: element-wise activations only")
        require(all(a in ACTIVATIONS for a in self.lm_activations), "unknown LM activation")
        require(self.d_model % self.n_heads == 0, "d_model must be divisible by n_heads")
        require((self.d_model // self.n_heads) % 2 == 0, "head dim must be even (RoPE)")
        require(0 <= self.warmup < self.lm_steps, "need 0 <= warmup < lm_steps")
        require(self.eval_every >= 1 and self.val_blocks >= 1 and self.batch >= 1,
                "eval_every, val_blocks, batch must be >= 1")
        require(len(self.lm_seeds) >= 1, "need at least one LM seed")
        require(self.init in ("fanin", "llama"), "init must be 'fanin' or 'llama'")


CONFIGS = Profiles(
    ci=Config(reg_budgets=(500,), reg_budget=500, reg_targets=("triple",),
              reg_activations=("relu", "gelu", "relu2", "polyrelu", "polynorm"), reg_n=1024,
              reg_steps=400,
              lm_activations=("relu", "swiglu", "polyrelu", "polynorm"),
              d_model=32, n_layers=2, n_heads=4, swiglu_width=86, seq_len=64, batch=16,
              lm_steps=750, warmup=40, lr=1e-2, weight_decay=0.1, eval_every=250,
              val_blocks=640, lm_seeds=(0,)),
    full=Config(reg_budgets=(250, 500, 1000, 2000, 4000, 8000), reg_budget=500,
                reg_targets=("triple", "product4", "sincos"),
                reg_activations=("relu", "gelu", "relu2", "polyrelu", "polynorm"), reg_n=4096,
                reg_steps=3000,
                lm_activations=("relu", "gelu", "relu2", "swiglu", "polyrelu", "polynorm"),
                d_model=256, n_layers=4, n_heads=4, swiglu_width=688, seq_len=256, batch=32,
                lm_steps=1000, warmup=100, lr=1.5e-3, weight_decay=0.1, eval_every=100,
                val_blocks=128, lm_seeds=(0, 1, 2)),
)


def lm_flops(cfg: Config) -> float:
    """Training FLOPs of Part B: 6 N T per token-step (+ attention 12 L T d per token)."""
    d, L, T = cfg.d_model, cfg.n_layers, cfg.seq_len
    n = L * (4 * d * d + ffn_params(d, cfg.swiglu_width, True)) + 256 * d
    per_token = 6 * n + 12 * L * T * d
    tokens = cfg.batch * T * (cfg.lm_steps + cfg.val_blocks / cfg.batch
                              * (cfg.lm_steps // cfg.eval_every + 1) / 3)
    return per_token * tokens * len(cfg.lm_activations) * len(cfg.lm_seeds)


def reg_flops(cfg: Config) -> float:
    """Part A: 6 * params * points per full-batch step (+ 30 flop per hidden unit for PolyNorm)."""
    total = 0.0
    for b in cfg.reg_budgets:
        per_step = (6 * b + 30 * b / 6) * cfg.reg_n
        total += per_step * cfg.reg_steps * len(cfg.reg_targets) * len(cfg.reg_activations)
    return total


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper (FLOPs / assumed sustained throughput).

    ci (CPU): LM at 1.6e10 flop/s -- at d = 32 the element-wise work (RoPE, norms, PolyNorm's
    reductions, the 256-way softmax) weighs as much as the matmuls; one thread measured 53-58 s
    of CPU for the four ci models (811 GFLOP) at load average 7-8 on 2 cores, about 15 % less
    on a quieter machine. The regression nets are
    element-wise bound, so 2e9 flop/s. full (Colab T4 fp32): LM at 4e12 flop/s, regression at
    4e11 flop/s.
    """
    big = cfg.d_model >= 256
    lm_rate, reg_rate = (4e12, 4e11) if big else (1.6e10, 2e9)
    return lm_flops(cfg) / lm_rate + reg_flops(cfg) / reg_rate


def run_regression(cfg: Config, seed: int = 0, device="cpu") -> list[dict]:
    """Part A: every (target, budget, activation) of the profile."""
    rows = []
    for target in cfg.reg_targets:
        for budget in cfg.reg_budgets:
            for act in cfg.reg_activations:
                rows.append(fit_regression(target, act, budget, n_train=cfg.reg_n,
                                           steps=cfg.reg_steps, seed=seed, device=device)
                            | {"budget": budget})
    return rows
