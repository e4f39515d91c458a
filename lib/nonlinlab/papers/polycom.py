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
paper's many-tokens-per-parameter regime shrunk. All LMs of a run (every activation and seed)
train at once as one stacked model (:class:`StackedLMs`, :func:`train_lms`: a leading model
axis on every weight, batched matmuls, per-model gradient clipping), which follows the same
trajectories as :func:`train_lm` run model by model, for less CPU.
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
from nonlinlab.models.llama import apply_rope, rms_norm, rope_cos_sin  # rms_norm: N(z) per token

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

    ``weight`` is (3,) and ``bias`` (1,) for one model, or (M, 3) and (M, 1) for a stack of M
    models whose inputs ``x`` have the model axis first (M, ..., n): each model its own a_i.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        lead = weight.shape[:-1]
        bshape = lead + (1,) * (x.dim() - len(lead))  # a_i broadcast over a model's tokens
        w3, w2, w1 = (weight[..., j].reshape(bshape) for j in range(3))
        n = x.shape[-1]
        x2 = x * x
        x3 = x2 * x
        r1 = torch.rsqrt(x2.mean(-1, keepdim=True) + eps)
        r2 = torch.rsqrt(torch.linalg.vecdot(x2, x2).unsqueeze(-1) / n + eps)
        r3 = torch.rsqrt(torch.linalg.vecdot(x3, x3).unsqueeze(-1) / n + eps)
        out = torch.addcmul(bias.reshape(bshape), w1 * r1, x)
        out.addcmul_(w2 * r2, x2).addcmul_(w3 * r3, x3)
        ctx.save_for_backward(x, x2, x3, weight, r1, r2, r3)
        return out

    @staticmethod
    def backward(ctx, g):
        x, x2, x3, weight, r1, r2, r3 = ctx.saved_tensors
        lead = weight.shape[:-1]
        bshape = lead + (1,) * (x.dim() - len(lead))
        n = x.shape[-1]
        c1 = torch.linalg.vecdot(g, x).unsqueeze(-1) * r1  # <g, N(x^i)> per token
        c2 = torch.linalg.vecdot(g, x2).unsqueeze(-1) * r2
        c3 = torch.linalg.vecdot(g, x3).unsqueeze(-1) * r3
        a3, a2, a1 = (weight[..., j].reshape(bshape) for j in range(3))
        # dL/dx = sum_i a_i i x^(i-1) r_i (g - N_i c_i / n), N_i = x^i r_i, i.e. with
        # k_i = i a_i r_i: g (k_1 + k_2 x + k_3 x^2) - (k_1 r_1 c_1 x + k_2 r_2 c_2 x^3
        # + k_3 r_3 c_3 x^5) / n, accumulated in place
        k1, k2, k3 = a1 * r1, 2 * a2 * r2, 3 * a3 * r3
        gx = torch.addcmul(k1, k2, x).addcmul_(k3, x2).mul_(g)
        gx.addcmul_(k1 * r1 * c1 / n, x, value=-1)
        gx.addcmul_(k2 * r2 * c2 / n, x3, value=-1)
        gx.addcmul_(k3 * r3 * c3 / n, x3 * x2, value=-1)

        def per_model(t):  # sum over everything but the model axis
            return t.reshape(lead + (-1,)).sum(-1)

        gw = torch.stack([per_model(c3), per_model(c2), per_model(c1)], -1).to(weight.dtype)
        gb = per_model(g).unsqueeze(-1).to(weight.dtype)
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


# ------------------------------------------------------- Part B: many LMs as one stacked model


def _stacked_activation(name: str, u: torch.Tensor, w: torch.Tensor | None,
                        b: torch.Tensor | None) -> torch.Tensor:
    """``name`` on a stack u (K, N, width) of K models; PolyCom: per-model w (K, 3), b (K, 1)."""
    if name == "relu":
        return F.relu(u)
    if name == "gelu":
        return F.gelu(u)
    if name == "relu2":
        return F.relu(u).pow(2)
    if name == "polyrelu":  # Horner with each model's (a_3, a_2, a_1), as PolyReLU.forward
        r = F.relu(u)
        out = w[:, 0, None, None] * r
        for j in (1, 2):
            out = (out + w[:, j, None, None]) * r
        return out + b[:, :, None]
    if name == "polynorm":
        return _PolyNormFn.apply(u, w, b, 1e-6)
    raise ValueError(f"no stacked form for activation {name!r}")


class StackedLMs:
    """M byte-level Llamas (every (activation, seed) pair) trained as one model.

    Each weight has a leading model axis and every matrix product is batched (torch.bmm), so a
    step of M models costs a handful of larger ops instead of M times as many tiny ones (at
    d = 32 on a CPU the per-op overhead dominates). The models do not interact: the loss is the
    sum of the per-model losses, gradient clipping is per model and AdamW is element-wise, so
    each model follows the trajectory it would follow alone (``tests``: equal to
    :func:`train_lm` to float tolerance). Weights are copied from :func:`build_lm`, so the
    paired initialisation (common random numbers) carries over. Linear weights are stored
    transposed (in, out), and q/k/v (and SwiGLU's gate/up) are fused along the output axis,
    which changes nothing for AdamW (element-wise) or the per-model clipping norm.

    Model order: the non-gated activations in the given order, then SwiGLU; seeds inner.
    """

    def __init__(self, activations, cfg: Config, seeds, device="cpu"):
        acts = [a for a in activations if a != "swiglu"]
        acts += ["swiglu"] if "swiglu" in activations else []
        self.cfg, self.acts, self.seeds = cfg, acts, list(seeds)
        self.keys = [(a, s) for a in acts for s in self.seeds]
        K, M = len(self.seeds), len(self.keys)
        self.n_gated = K if "swiglu" in acts else 0
        self.n_plain = M - self.n_gated
        models = [build_lm(a, cfg, s, "cpu") for a, s in self.keys]
        self.params_per_model = [m.num_parameters() for m in models]
        # the constants of the modules the weights come from, not copies of them
        self.norm_eps, self.rope_theta = models[0].config.norm_eps, models[0].config.rope_theta
        L = cfg.n_layers
        p, rows = {}, {}  # name -> stacked tensor; name -> (first model, last model + 1)

        def put(name, tensors, lo=0):
            p[name] = torch.stack([t.detach().float() for t in tensors]).to(device)
            rows[name] = (lo, lo + len(tensors))

        put("emb", [m.embed_tokens.weight for m in models])
        put("norm", [m.norm.weight for m in models])
        plain, gated = models[:self.n_plain], models[self.n_plain:]
        for li in range(L):
            blocks = [m.layers[li] for m in models]
            put(f"ln1.{li}", [b.input_layernorm.weight for b in blocks])
            put(f"ln2.{li}", [b.post_attention_layernorm.weight for b in blocks])
            put(f"qkv.{li}", [torch.cat([b.self_attn.q_proj.weight, b.self_attn.k_proj.weight,
                                         b.self_attn.v_proj.weight]).T for b in blocks])
            put(f"o.{li}", [b.self_attn.o_proj.weight.T for b in blocks])
            if plain:
                put(f"up.{li}", [m.layers[li].mlp.up_proj.weight.T for m in plain])
                put(f"down.{li}", [m.layers[li].mlp.down_proj.weight.T for m in plain])
            if gated:
                put(f"gate_up.{li}", [torch.cat([m.layers[li].mlp.gate_proj.weight,
                                                 m.layers[li].mlp.up_proj.weight]).T
                                      for m in gated], self.n_plain)
                put(f"sw_down.{li}", [m.layers[li].mlp.down_proj.weight.T for m in gated],
                    self.n_plain)
            for ai, a in enumerate(acts):
                if a in POLY:
                    chunk = models[ai * K:(ai + 1) * K]
                    put(f"{a}.w.{li}", [m.layers[li].mlp.act.weight for m in chunk], ai * K)
                    put(f"{a}.b.{li}", [m.layers[li].mlp.act.bias for m in chunk], ai * K)
        for t in p.values():
            t.requires_grad_(True)
        self.p, self.rows = p, rows
        # weight decay on matrices only (as train_lm: the originals with dim >= 2)
        self.decay = [n for n in p if n.split(".")[0] in ("emb", "qkv", "o", "up", "down",
                                                          "gate_up", "sw_down")]
        self.no_decay = [n for n in p if n not in self.decay]

    def loss(self, ids: torch.Tensor) -> torch.Tensor:
        """Per-model next-byte cross-entropy (M,) for ids (M, B, T + 1) (nats)."""
        cfg, p = self.cfg, self.p
        M, B, T1 = ids.shape
        T, d, H = T1 - 1, cfg.d_model, cfg.n_heads
        D = d // H
        inp, tgt = ids[:, :, :-1], ids[:, :, 1:]
        emb = p["emb"]
        V = emb.shape[1]
        offs = torch.arange(M, device=ids.device).view(M, 1, 1) * V
        x = emb.reshape(M * V, d)[inp + offs].reshape(M, B * T, d)
        cos, sin = (t[:, None, None] for t in rope_cos_sin(torch.arange(T, device=ids.device),
                                                           D, self.rope_theta))  # (T, 1, 1, D)
        eps = self.norm_eps
        K, P = len(self.seeds), self.n_plain
        for li in range(cfg.n_layers):
            a = p[f"ln1.{li}"][:, None] * rms_norm(x, eps)
            qkv = torch.bmm(a, p[f"qkv.{li}"]).view(M * B, T, 3, H, D)
            # split/unbind, not slicing: their backward is a cat, not a zero fill per slice
            qk, v = qkv.split([2, 1], dim=2)
            q, k = apply_rope(qk, cos, sin).unbind(2)  # q and k rotated in one pass
            v = v.squeeze(2)
            y = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                               v.transpose(1, 2), is_causal=True, scale=D**-0.5)
            x = x + torch.bmm(y.transpose(1, 2).reshape(M, B * T, d), p[f"o.{li}"])
            h = p[f"ln2.{li}"][:, None] * rms_norm(x, eps)
            outs = []
            h_plain, h_gated = h.split([P, M - P])
            if P:
                u = torch.bmm(h_plain, p[f"up.{li}"]).split(K)
                acts = [_stacked_activation(a, u[ai], p.get(f"{a}.w.{li}"),
                                            p.get(f"{a}.b.{li}"))
                        for ai, a in enumerate(self.acts[:P // K])]
                outs.append(torch.bmm(torch.cat(acts) if len(acts) > 1 else acts[0],
                                      p[f"down.{li}"]))
            if self.n_gated:
                gate, up = torch.bmm(h_gated, p[f"gate_up.{li}"]).chunk(2, -1)
                outs.append(torch.bmm(F.silu(gate) * up, p[f"sw_down.{li}"]))
            x = x + (torch.cat(outs) if len(outs) > 1 else outs[0])
        h = p["norm"][:, None] * rms_norm(x, eps)
        logits = torch.bmm(h, emb.transpose(1, 2))
        return F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1),
                               reduction="none").view(M, -1).mean(1)

    def clip_grads_(self, max_norm: float = 1.0) -> None:
        """torch.nn.utils.clip_grad_norm_ applied to each model's gradients separately."""
        M = len(self.keys)
        sq = torch.zeros(M, device=self.p["emb"].device)
        with_grad = [(name, t) for name, t in self.p.items() if t.grad is not None]
        for name, t in with_grad:
            lo, hi = self.rows[name]
            sq[lo:hi] += t.grad.pow(2).reshape(hi - lo, -1).sum(1)
        coef = (max_norm / (sq.sqrt() + 1e-6)).clamp(max=1.0)
        for name, t in with_grad:
            lo, hi = self.rows[name]
            t.grad.mul_(coef[lo:hi].view((-1,) + (1,) * (t.dim() - 1)))

    def coefficients(self, key) -> list[list[float]]:
        """(a_0..a_3) by layer of the PolyCom model ``key`` = (activation, seed)."""
        a, s = key
        if a not in POLY:
            return []
        i = self.keys.index(key) - self.acts.index(a) * len(self.seeds)
        return [[self.p[f"{a}.b.{li}"][i, 0].item()]
                + self.p[f"{a}.w.{li}"][i].detach().flip(0).tolist()
                for li in range(self.cfg.n_layers)]


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the system.

    Every op of these small models allocates buffers of a few hundred kB; by default glibc
    serves such buffers with fresh mmap pages (or trims the heap back after each step), so each
    step pays page faults for memory it has just released -- about 10 % of the CPU time here.
    Process-wide (the memory is kept for reuse, ~100 MB here), so the notebook calls it, not
    :func:`train_lms`; a no-op where the C library is not glibc. Returns whether it took
    effect."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim, m_top_pad, m_mmap = -1, -2, -3  # mallopt parameter ids (malloc.h)
        return bool(libc.mallopt(m_mmap, 1 << 30) and libc.mallopt(m_trim, (1 << 31) - 1)
                    and libc.mallopt(m_top_pad, 64 << 20))
    except (OSError, AttributeError):
        return False


def train_lms(activations, cfg: Config, corpus, seeds, device="cpu",
              progress_bar: bool = False, eval_chunk: int = 64) -> dict:
    """:func:`train_lm` for every (activation, seed) at once, as one :class:`StackedLMs`.

    Same optimiser, schedule, clipping, data order (one stream per seed, shared by the
    activations) and validation blocks as :func:`train_lm`. Returns ``{(activation, seed):
    result}`` with :func:`train_lm`'s fields; ``wall_s`` / ``cpu_s`` are those of the whole
    stack, repeated in every result."""
    st = StackedLMs(activations, cfg, seeds, device)
    M, K = len(st.keys), len(st.seeds)
    A = M // K
    opt = torch.optim.AdamW([{"params": [st.p[n] for n in st.decay],
                              "weight_decay": cfg.weight_decay},
                             {"params": [st.p[n] for n in st.no_decay], "weight_decay": 0.0}],
                            lr=cfg.lr, betas=(0.9, 0.95), eps=1e-8)
    gens = [torch.Generator().manual_seed(20_000 + s) for s in st.seeds]
    val = corpus.blocks("val", cfg.seq_len + 1, n_blocks=cfg.val_blocks).to(device)
    train_loss, val_steps, val_loss = [], [], []

    def evaluate():
        tot = torch.zeros(M, dtype=torch.float64)
        with torch.no_grad():
            for i in range(0, len(val), eval_chunk):
                chunk = val[i:i + eval_chunk]
                tot += st.loss(chunk.expand(M, *chunk.shape)).double().cpu() * len(chunk)
        return (tot / len(val)).tolist()

    it = range(cfg.lm_steps)
    if progress_bar:
        it = progress(it, total=cfg.lm_steps, desc=f"{M} stacked LMs")
    t0, c0 = time.perf_counter(), time.process_time()
    for step in it:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg)
        batch = torch.stack([corpus.random_blocks("train", cfg.batch, cfg.seq_len + 1,
                                                  generator=g) for g in gens]).to(device)
        losses = st.loss(batch.repeat(A, 1, 1))
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        st.clip_grads_(1.0)
        opt.step()
        train_loss.append(losses.detach().cpu())
        if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.lm_steps:
            val_steps.append(step + 1)
            val_loss.append(evaluate())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    tl = torch.stack(train_loss)  # (steps, M)
    out = {}
    for i, key in enumerate(st.keys):
        vl = [v[i] for v in val_loss]
        tr = tl[:, i].tolist()
        out[key] = {"activation": key[0], "seed": key[1], "steps": list(range(1, len(tr) + 1)),
                    "train_loss": tr, "val_steps": val_steps, "val_loss": vl,
                    "final_val": vl[-1],
                    "finite": all(math.isfinite(v) for v in tr + vl),
                    "params": st.params_per_model[i], "coefficients": st.coefficients(key),
                    "wall_s": wall, "cpu_s": cpu}
    return out


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
    reg_replicas: int = 1  # Part A: fits per (target, budget, activation), errors averaged

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
        require(self.reg_replicas >= 1, "reg_replicas must be >= 1")
        require(self.init in ("fanin", "llama"), "init must be 'fanin' or 'llama'")


CONFIGS = Profiles(
    ci=Config(reg_budgets=(500,), reg_budget=500, reg_targets=("triple",),
              reg_activations=("relu", "gelu", "relu2", "polyrelu", "polynorm"), reg_n=1024,
              reg_steps=400, reg_replicas=3,
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
    return total * cfg.reg_replicas


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper (FLOPs / assumed sustained throughput).

    ci (CPU): LM at 1.65e10 flop/s -- at d = 32 the element-wise work (attention softmax, norms,
    PolyNorm's powers, the 256-way softmax) weighs as much as the matmuls; one thread measured
    47-52 s of CPU for the four ci models (811 GFLOP) trained as one stack (:func:`train_lms`)
    at load average ~5 on 2 cores (55.8 s trained one by one, back to back with 47.3 s stacked).
    The regression nets are element-wise bound: 4e9 flop/s (five ci fits measured 2.3-2.8 s of
    CPU, 1.1e10 flop by :func:`reg_flops`). full (Colab T4 fp32): LM at 4e12 flop/s, regression
    at 4e11 flop/s.
    """
    big = cfg.d_model >= 256
    lm_rate, reg_rate = (4e12, 4e11) if big else (1.65e10, 4e9)
    return lm_flops(cfg) / lm_rate + reg_flops(cfg) / reg_rate


def run_regression(cfg: Config, seed: int = 0, device="cpu") -> list[dict]:
    """Part A: every (target, budget, activation) of the profile. With ``cfg.reg_replicas``
    = K > 1 each is fitted K times (data and initialisation seeds ``seed + 1000 k``) and the
    row holds the mean errors (``rel_mse_reps``: the K relative errors): one fit's error varies
    by about 2x from seed to seed at ci's 1,024 points."""
    rows = []
    for target in cfg.reg_targets:
        for budget in cfg.reg_budgets:
            for act in cfg.reg_activations:
                fits = [fit_regression(target, act, budget, n_train=cfg.reg_n,
                                       steps=cfg.reg_steps, seed=seed + 1000 * k,
                                       device=device) for k in range(cfg.reg_replicas)]
                mean = {key: sum(f[key] for f in fits) / len(fits)
                        for key in ("test_mse", "rel_mse", "train_mse")}
                rows.append(fits[0] | mean | {"budget": budget,
                                              "rel_mse_reps": [f["rel_mse"] for f in fits]})
    return rows
