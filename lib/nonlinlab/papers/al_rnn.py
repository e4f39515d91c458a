"""AL-RNN (Brenner, Hemmer, Monfared & Durstewitz, NeurIPS 2024): almost-linear RNNs.

The latent map (paper eq. 2; official ``ALRNN.step``) with M latent units, P of them ReLU:

    z_t = A z_{t-1} + W Φ*(z_{t-1}) + h,       A = diag(a),  W ∈ R^{M×M} (full),  h ∈ R^M,
    Φ*(z) = (z_1, ..., z_{M-P}, max(0, z_{M-P+1}), ..., max(0, z_M)).

The first N ≤ M-P (linear) units are the read-out ("Identity" observation model), x̂_t =
z_{1:N,t}; the initial state is z_1 = [x_1; L x_1]. Inside a region Ω (a sign pattern d ∈ {0,1}^P
of the ReLU units) the map is affine,

    z_t = (diag(a) + W D_Ω) z_{t-1} + h,       D_Ω = diag(1, ..., 1, d_1, ..., d_P),

so it has at most 2^P regions; each has the fixed point z*_Ω = (I - diag(a) - W D_Ω)^{-1} h,
*real* if its own sign pattern is Ω, else *virtual*. The sign pattern along an orbit is its
symbolic code; region-to-region transition counts give the symbolic graph.

Training (official ``TFRecur``/``force``): BPTT on sub-sequences with sparse identity teacher
forcing — step the model, record the prediction, and every τ steps ((t-1) mod τ = 0) overwrite the
first N units by the (noisy) observation; no gradient flows through overwritten units. Loss: MSE
of the recorded read-outs at t = 2..T̃. RAdam, learning rate decaying exponentially from
``lr[0]`` to ``lr[1]``. All models of one experiment (several P, several initialisations) are
trained at once as one stacked model (parameters with a leading model axis): each has its own
windows and loss and RAdam acts elementwise, so this equals separate runs; the gradient is
computed by a hand-written BPTT (:func:`bptt_loss_and_grads`, equal to autograd). Lozi: the best
of ``lozi_restarts`` initialisations per P by training loss. Lorenz-63 (ci: Δt = 0.04, four
times the official sampling interval, τ = 6, T̃ = 48): ``lorenz_inits`` initialisations per P > 0
and ``linear_inits`` for P = 0;
every ``val_every`` steps each is run freely for T_gen steps (as long as the test run) from
``val_starts`` points of a held-out validation orbit and keeps its checkpoint with the lowest
mean D_stsp there (runs failing the extent guard — on the ±2 std grid at most 5 points less
often than the data itself, per-axis std 0.65–1.3 of the data's — rank last), and per P the
initialisation with the lowest one is kept.
Short-horizon prediction error: forced warm-up at every step, then ``pe_horizon`` free steps.
Initialisation (official ``initialize_A_W_h``): a = diag(K)/λ_max(K), K = RᵀR/M + I;
W ~ N(0, 0.01²); h = 0; L ~ U(±1/√N).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..core import ProfileConfig, Profiles, progress, require
from ..data import dynamics, dynamics_metrics

F64 = torch.float64


# ------------------------------------------------------------------------------------------
# configuration
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config(ProfileConfig):
    # Lozi map x' = 1 - a|x| + y, y' = b x (exact construction and a small training run)
    lozi_a: float = 1.7
    lozi_b: float = 0.5
    lozi_exact_steps: int = 50
    lozi_train: int = 6000
    lozi_test: int = 2000
    lozi_M: int = 4
    lozi_seq: int = 10
    lozi_tau: int = 1
    lozi_batch: int = 64
    lozi_steps: int = 1500
    lozi_restarts: int = 16  # 8 left seed 8 on the saddle (3 of 8 inits escaped it)
    lozi_lr: tuple = (1e-2, 1e-3)
    # Lorenz-63 (σ=10, ρ=28, β=8/3), z-scored; ci samples at Δt = 0.04 (official data: 0.01)
    lorenz_n: int = 14000
    lorenz_dt: float = 0.04
    lorenz_transient: float = 50.0
    M: int = 10
    P_sweep: tuple = (0, 2)
    lorenz_inits: int = 24
    linear_inits: int = 8
    seq_len: int = 48
    tau: int = 6
    batch: int = 16
    steps: int = 3000
    lr: tuple = (1e-2, 1e-3)
    noise: float = 0.05
    val_len: int = 3000
    val_every: int = 500
    val_starts: int = 3
    train_dtype: str = "float32"
    T_gen: int = 5000
    gen_transient: int = 1000
    n_bins: int = 30
    psd_smoothing: float = 10.0
    pe_warmup: int = 20
    pe_horizon: int = 5

    def check(self) -> None:
        require(self.lozi_M >= 3, "the Lozi AL-RNN needs lozi_M >= 3 (2 linear read-outs + 1 ReLU)")
        require(all(0 <= p <= self.M - 3 for p in self.P_sweep),
                "every P must satisfy 0 <= P <= M - 3 (three linear read-out units)")
        require(self.seq_len >= 2 and self.lozi_seq >= 2, "sequence lengths must be >= 2")
        require(self.tau >= 1 and self.lozi_tau >= 1, "forcing intervals must be >= 1")
        require(self.steps >= 1 and self.lozi_steps >= 1, "need at least one training step")
        require(self.lorenz_n > self.T_gen + self.val_len + self.seq_len + 100,
                "lorenz_n must exceed T_gen + val_len + seq_len + 100 (train, validation, test)")
        require(self.lorenz_inits >= 1 and self.linear_inits >= 1 and self.val_every >= 1,
                "need lorenz_inits >= 1, linear_inits >= 1 and val_every >= 1")
        require(self.lr[0] > 0 and self.lr[1] > 0 and self.lozi_lr[0] > 0 and self.lozi_lr[1] > 0,
                "learning rates must be positive")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(lorenz_n=50_000, M=20, P_sweep=(0, 1, 2, 3, 5), lorenz_inits=8, linear_inits=4,
                steps=12_000,
                val_every=1000, T_gen=10_000, psd_smoothing=20.0, lozi_steps=5000),
)


def estimate_seconds(cfg: Config) -> float:
    """Conservative on-paper cost. Tiny matrices, so python/kernel-launch overhead dominates,
    and all models of one experiment are trained as one stacked model (one Python loop) with
    the hand-written BPTT: ~40 op-equivalents per stacked sequence step forward+backward at
    ~4 µs each on 2 CPU cores (ci; measured ~0.17 ms per step for the 32 stacked Lorenz models
    of batch 16 in float32 on a loaded machine, ~0.3 ms for the 32 stacked Lozi models of
    batch 64) and ~6 µs per op on a GPU (launch-bound; full), ×2 for the Lozi stack; ~6 ops per
    free-run, validation and prediction-error step, ~20 ms to score each validation free run,
    ~6 ms of scipy DOP853 per time unit of Lorenz ground truth and 3 s of plotting/metrics."""
    op = 4e-6 if cfg.lorenz_n <= 20_000 else 6e-6
    train = 40 * op * (cfg.steps * cfg.seq_len + 2 * cfg.lozi_steps * cfg.lozi_seq)
    n_val = -(-cfg.steps // cfg.val_every)
    free = 6 * op * (len(cfg.P_sweep) * (cfg.T_gen + cfg.gen_transient + cfg.pe_warmup
                                         + cfg.pe_horizon) + 4 * cfg.lozi_test
                     + n_val * (cfg.T_gen + cfg.gen_transient))
    n_models = sum(cfg.linear_inits if P == 0 else cfg.lorenz_inits for P in cfg.P_sweep)
    scores = 0.02 * n_val * n_models * cfg.val_starts  # D_stsp + extent of each validation run
    data = 6e-3 * (cfg.lorenz_n * cfg.lorenz_dt + cfg.lorenz_transient)
    return train + free + scores + data + 3.0


# ------------------------------------------------------------------------------------------
# model
# ------------------------------------------------------------------------------------------
class ALRNN(nn.Module):
    """z_t = a ⊙ z_{t-1} + W Φ*(z_{t-1}) + h with ReLU on the last ``P`` of ``M`` units; the
    first ``N`` units are the observations. ``generator`` seeds the official initialisation."""

    def __init__(self, M: int, P: int, N: int, *, generator: torch.Generator | None = None,
                 dtype: torch.dtype = F64, device=None):
        super().__init__()
        if not (isinstance(M, int) and isinstance(P, int) and isinstance(N, int)):
            raise ValueError("M, P, N must be integers")
        if N < 1 or P < 0 or N > M - P:
            raise ValueError(f"need 1 <= N <= M - P and P >= 0, got M={M}, P={P}, N={N}")
        self.M, self.P, self.N = M, P, N
        R = torch.randn(M, M, generator=generator, dtype=F64)
        K = R.T @ R / M + torch.eye(M, dtype=F64)
        a = torch.diagonal(K) / torch.linalg.eigvalsh(K).abs().max()
        W = 0.01 * torch.randn(M, M, generator=generator, dtype=F64)
        r = 1 / math.sqrt(N)
        L = (2 * torch.rand(M - N, N, generator=generator, dtype=F64) - 1) * r
        kw = dict(dtype=dtype, device=device)
        self.a = nn.Parameter(a.to(**kw))
        self.W = nn.Parameter(W.to(**kw))
        self.h = nn.Parameter(torch.zeros(M, **kw))
        self.L = nn.Parameter(L.to(**kw))
        # Φ*(z) = max(z, lo): lo = -inf on linear units, 0 on ReLU units (one op per step)
        lo = torch.full((M,), -math.inf, **kw)
        lo[M - P:] = 0.0
        self.register_buffer("lo", lo)

    def phi(self, z: torch.Tensor) -> torch.Tensor:
        return torch.maximum(z, self.lo)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """One step of the latent map on ``(..., M)``."""
        if z.shape[-1] != self.M:
            raise ValueError(f"state must end in M={self.M}, got {tuple(z.shape)}")
        return self.a * z + self.phi(z) @ self.W.T + self.h

    def init_state(self, x1: torch.Tensor) -> torch.Tensor:
        """z_1 = [x_1; L x_1] (official ``Identity`` observation model)."""
        if x1.shape[-1] != self.N:
            raise ValueError(f"observation must end in N={self.N}, got {tuple(x1.shape)}")
        return torch.cat([x1, x1 @ self.L.T], dim=-1)

    def teacher_forced(self, x: torch.Tensor, tau: int, x_force: torch.Tensor | None = None):
        """Sparse identity teacher forcing on ``x`` (B, T, N): returns the unforced predictions
        z_2..z_T (B, T-1, M). Forcing after recording, at (t-1) mod τ = 0 (t = 2..T, 1-based),
        with ``x_force`` (default ``x``); gradients through the forced units are cut because
        they are replaced by data."""
        if x.ndim != 3 or x.shape[-1] != self.N or x.shape[1] < 2:
            raise ValueError(f"x must be (B, T>=2, N={self.N}), got {tuple(x.shape)}")
        if tau < 1:
            raise ValueError("tau must be >= 1")
        xf = x if x_force is None else x_force
        z = self.init_state(xf[:, 0])
        out = []
        for t in range(1, x.shape[1]):
            z = self(z)
            out.append(z)
            if t % tau == 0:  # (t_1based - 1) mod τ = 0 with t_1based = t + 1
                z = torch.cat([xf[:, t], z[:, self.N:]], dim=-1)
        return torch.stack(out, dim=1)

    @torch.no_grad()
    def generate(self, z1: torch.Tensor, T: int) -> torch.Tensor:
        """Free run from z_1 (..., M): (..., T, M) including z_1."""
        if T < 1:
            raise ValueError("T must be >= 1")
        return dynamics.iterate_map(self, z1, T - 1)

    # ---- region analysis ------------------------------------------------------------------
    def region_bits(self, z: torch.Tensor) -> torch.Tensor:
        """Sign pattern d = 1[z_{M-P+i} > 0] of the ReLU units: (..., P) bool."""
        return z[..., self.M - self.P:] > 0

    def region_ids(self, z: torch.Tensor) -> torch.Tensor:
        """Symbol (integer region id) Σ_i d_i 2^i ∈ {0, ..., 2^P - 1}."""
        w = 2 ** torch.arange(self.P, device=z.device)
        return (self.region_bits(z).long() * w).sum(-1)

    def region_matrix(self, bits) -> torch.Tensor:
        """A_Ω = diag(a) + W D_Ω for a sign pattern ``bits`` (P,) or a region id."""
        d = self._bits(bits)
        D = torch.ones(self.M, dtype=self.W.dtype, device=self.W.device)
        D[self.M - self.P:] = d.to(D)
        return torch.diag(self.a) + self.W * D

    def jacobian(self, z: torch.Tensor) -> torch.Tensor:
        """Analytic Jacobian diag(a) + W D_{Ω(z)} at states (B, M) → (B, M, M)."""
        D = torch.ones_like(z)
        D[:, self.M - self.P:] = self.region_bits(z).to(z)
        return torch.diag(self.a) + self.W[None] * D[:, None, :]

    def _bits(self, bits) -> torch.Tensor:
        if isinstance(bits, int):
            if not 0 <= bits < 2 ** self.P:
                raise ValueError(f"region id must be in [0, {2 ** self.P}), got {bits}")
            return torch.tensor([(bits >> i) & 1 for i in range(self.P)], dtype=torch.bool)
        b = torch.as_tensor(bits).bool()
        if b.shape != (self.P,):
            raise ValueError(f"bits must have shape ({self.P},), got {tuple(b.shape)}")
        return b

    @torch.no_grad()
    def region_fixed_points(self) -> list[dict]:
        """For every region id: z*_Ω = (I - A_Ω)^{-1} h, whether it is real (its own region is
        Ω), and the eigenvalues of A_Ω (stability)."""
        out = []
        eye = torch.eye(self.M, dtype=self.W.dtype, device=self.W.device)
        for r in range(2 ** self.P):
            A = self.region_matrix(r)
            try:
                z = torch.linalg.solve(eye - A, self.h)
            except RuntimeError:  # singular: no isolated fixed point in this region
                continue
            real = int(self.region_ids(z)) == r
            out.append(dict(region=r, z=z, real=real, eig=torch.linalg.eigvals(A)))
        return out


def transition_matrix(ids: torch.Tensor, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """Symbolic graph of a symbol sequence: row-normalised region→region transition
    probabilities (self-transitions included) and region visit frequencies."""
    ids = torch.as_tensor(ids).reshape(-1).long().cpu()
    if ids.numel() < 2 or int(ids.min()) < 0 or int(ids.max()) >= n_regions:
        raise ValueError("need >= 2 symbols in [0, n_regions)")
    C = torch.zeros(n_regions, n_regions, dtype=F64)
    C.index_put_((ids[:-1], ids[1:]), torch.ones(ids.numel() - 1, dtype=F64), accumulate=True)
    rows = C.sum(1, keepdim=True)
    T = torch.where(rows > 0, C / rows.clamp_min(1), torch.zeros_like(C))
    freq = torch.bincount(ids, minlength=n_regions).double() / ids.numel()
    return T.numpy(), freq.numpy()


# ------------------------------------------------------------------------------------------
# exact Lozi AL-RNN (closed form; |x| = 2 relu(x) - x)
# ------------------------------------------------------------------------------------------
def lozi_alrnn(a: float = 1.7, b: float = 0.5, dtype: torch.dtype = F64) -> ALRNN:
    """M=3, P=1, N=2 AL-RNN with state (x, y, x̃), x̃ ≡ x, that *is* the Lozi map:
    x' = 1 + a x - 2a relu(x̃) + y,  y' = b x,  x̃' = x'."""
    m = ALRNN(3, 1, 2, dtype=dtype)
    with torch.no_grad():
        m.a.copy_(torch.tensor([a, 0.0, 0.0], dtype=dtype))
        W = torch.zeros(3, 3, dtype=dtype)
        W[0, 1], W[0, 2] = 1.0, -2 * a
        W[1, 0] = b
        W[2, 0], W[2, 1], W[2, 2] = a, 1.0, -2 * a
        m.W.copy_(W)
        m.h.copy_(torch.tensor([1.0, 0.0, 1.0], dtype=dtype))
        m.L.copy_(torch.tensor([[1.0, 0.0]], dtype=dtype))  # x̃_1 = x_1
    return m


def lozi_fixed_points(a: float = 1.7, b: float = 0.5) -> np.ndarray:
    """Closed-form fixed points (x*, b x*) of the Lozi map: x* = 1/(1 + a - b) (x > 0) and
    x* = 1/(1 - a - b) (x < 0), where they lie in their half-plane."""
    pts = []
    for s in (1.0, -1.0):
        den = 1 + s * a - b
        if den != 0 and s / den > 0:
            pts.append((1 / den, b / den))
    return np.array(pts)


# ------------------------------------------------------------------------------------------
# training
# ------------------------------------------------------------------------------------------
def _stacked_step(a, W, h, lo, z):
    """One latent step for K stacked models at once: z (K, B, M) → (K, B, M)."""
    return a[:, None] * z + torch.maximum(z, lo[:, None]) @ W.transpose(1, 2) + h[:, None]


def _stacked_init(L, x1):
    """z_1 = [x_1; L x_1] for K stacked models: x1 (K, B, N) → (K, B, M)."""
    return torch.cat([x1, x1 @ L.transpose(1, 2)], dim=-1)


def bptt_loss_and_grads(a, W, h, L, lo, x, tau: int):
    """Sparse-identity-teacher-forcing loss of K stacked models and its exact gradient by
    hand-written backpropagation through time (the same numbers as autograd on
    :meth:`ALRNN.teacher_forced`, about half the cost: three fused ops per forward step, three
    per backward step, the parameter gradients in one batched contraction at the end).
    ``a, h`` (K, M), ``W`` (K, M, M), ``L`` (K, M-N, N), ``lo`` (K, M), ``x`` (K, B, T, N).
    Returns the per-model loss (K,) and the gradients of their sum w.r.t. (a, W, h, L)."""
    K, B, T, N = x.shape
    aa, WT, hh, lo_ = a[:, None], W.transpose(1, 2), h[:, None], lo[:, None]
    z = _stacked_init(L, x[:, :, 0])
    zs, preds = [z], []
    for t in range(1, T):
        zp = torch.baddbmm(hh, torch.maximum(z, lo_), WT).addcmul_(aa, z)
        preds.append(zp[..., :N])
        if t % tau == 0:  # force after recording, as in ALRNN.teacher_forced
            zp = torch.cat([x[:, :, t], zp[..., N:]], dim=-1)
        z = zp
        zs.append(z)
    R = torch.stack(preds, 2) - x[:, :, 1:]  # (K, B, T-1, N)
    loss = (R ** 2).mean(dim=(1, 2, 3))
    gY = R * (2.0 / (B * (T - 1) * N))
    Z = torch.stack(zs[:-1], 2)  # z_{t-1} for t = 1..T-1: (K, B, T-1, M)
    D = (Z > lo[:, None, None]).to(Z.dtype)  # Φ*'(z): 1 on linear units (lo = -inf)
    gpre = torch.empty_like(Z)
    g = torch.zeros_like(z)  # dLoss/dz_t (after forcing)
    for t in range(T - 1, 0, -1):
        if t % tau == 0:
            g[..., :N] = 0.0  # forced units were replaced by data: no gradient flows
        g[..., :N] += gY[:, :, t - 1]
        gpre[:, :, t - 1] = g  # dLoss/d(prediction z_t before forcing)
        g = torch.bmm(g, W).mul_(D[:, :, t - 1]).addcmul_(aa, g)
    grads = ((gpre * Z).sum((1, 2)),
             torch.einsum("kbtm,kbtn->kmn", gpre, torch.maximum(Z, lo[:, None, None])),
             gpre.sum((1, 2)),
             torch.einsum("kbm,kbn->kmn", g[..., N:], x[:, :, 0]))
    return loss, grads


@torch.no_grad()
def _stacked_free_run(a, W, h, L, lo, x1, T: int, transient: int):
    """Free runs of K stacked models from the same S observations x1 (S, N) (or one, (N,)):
    read-outs (K, S, T, N) (or (K, T, N)) after ``transient`` discarded steps."""
    single = x1.ndim == 1
    x1 = x1.reshape(-1, x1.shape[-1])
    K, (S, N) = a.shape[0], x1.shape
    z = _stacked_init(L, x1.expand(K, S, N))
    out = []
    for t in range(T + transient):
        z = _stacked_step(a, W, h, lo, z)
        if t >= transient:
            out.append(z[..., :N])
    X = torch.stack(out, 2)
    return X[:, 0] if single else X


def on_grid_fraction(x_true: torch.Tensor, x_gen: torch.Tensor, width: float = 2.0) -> float:
    """Fraction of a free run's points inside the D_stsp grid (mean ± width·std of x_true per
    axis); 0 for a run that diverged (NaN/inf)."""
    x_gen = torch.as_tensor(x_gen).to(x_true)
    if not torch.isfinite(x_gen).all():
        return 0.0
    mean, std = x_true.mean(0), x_true.std(0)
    return float(((x_gen - mean).abs() <= width * std).all(-1).double().mean())


#: The extent guard's grid condition: a free run may have at most this much less of its points
#: on the ±2 std grid than the data itself (z-scored Lorenz-63 has only 92–93 % there).
EXTENT_GRID_SLACK = 0.05


def has_extent(x_true: torch.Tensor, x_gen: torch.Tensor) -> bool:
    """The extent guard: a finite free run with at most ``EXTENT_GRID_SLACK`` less of its
    points on the ±2 std grid than ``x_true`` itself, and a per-axis standard deviation within
    0.65–1.3 of the data's. (Until December 2026 the grid condition was a fixed ≥ 90 %, which
    the data itself passes by only 2–3 points.)"""
    s = attractor_stats(x_true, x_gen)
    return (s["on_grid"] >= s["on_grid_data"] - EXTENT_GRID_SLACK
            and s["std_ratio_min"] >= 0.65 and s["std_ratio_max"] <= 1.3)


def selection_score(x_true: torch.Tensor, x_gen: torch.Tensor, n_bins: int = 30) -> float:
    """D_stsp used to pick an initialisation or a checkpoint on the validation orbit; with
    several free runs ``x_gen`` (S, T, N), the mean of their scores. A run that fails the
    extent guard (:func:`has_extent`: off the ±2 std grid, diverged, or too narrow/wide) ranks
    after every run that passes it (+100): the shared D_stsp drops off-grid points, so a run
    that has left the attractor would otherwise score like a spread-out one."""
    x_gen = torch.as_tensor(x_gen).to(x_true)
    if x_gen.ndim == 3:
        return float(np.mean([selection_score(x_true, x, n_bins) for x in x_gen]))
    d = dstsp(x_true, x_gen, n_bins)
    return d if has_extent(x_true, x_gen) else d + 100.0


def attractor_stats(x_true: torch.Tensor, x_gen: torch.Tensor) -> dict:
    """Shape of a free run against the truth: fraction on the D_stsp grid (and the data's own
    fraction there, ``on_grid_data``), the smallest and largest per-axis std ratio gen/true,
    and the fraction of time on the rarer side of the true mean in the first coordinate
    (Lorenz: the less visited wing; 0 = one wing only)."""
    x_gen = torch.as_tensor(x_gen).to(x_true)
    data = on_grid_fraction(x_true, x_true)
    if not torch.isfinite(x_gen).all():
        return dict(on_grid=0.0, on_grid_data=data, std_ratio_min=0.0, std_ratio_max=math.inf,
                    wing=0.0)
    r = x_gen.std(0) / x_true.std(0)
    side = float((x_gen[:, 0] > x_true[:, 0].mean()).double().mean())
    return dict(on_grid=on_grid_fraction(x_true, x_gen), on_grid_data=data,
                std_ratio_min=float(r.min()), std_ratio_max=float(r.max()),
                wing=min(side, 1 - side))


def train(models, data: torch.Tensor, *, seq_len: int, tau: int, batch: int, steps: int,
          lr: tuple, noise: float, generator: torch.Generator, desc: str = "train",
          val: torch.Tensor | None = None, val_every: int = 0, val_transient: int = 500,
          val_starts: int = 1, val_steps: int = 0, n_bins: int = 30):
    """BPTT with sparse identity teacher forcing on random windows of ``data`` (T, N); RAdam,
    exponential learning-rate decay lr[0] → lr[1]; Gaussian noise ``noise`` (z-scored units)
    added to the training batch. ``models`` is one :class:`ALRNN` or a list of K of them with
    the same M and N (e.g. different P): they are trained together as one stacked model — each
    on its own random windows, with its own loss, and since RAdam acts elementwise exactly as if
    trained one at a time, but with one Python loop (gradients by
    :func:`bptt_loss_and_grads`). The trained parameters are written back.

    With a validation orbit ``val`` (T_val, N), every ``val_every`` steps and at the end each
    model is run freely for ``val_steps`` steps (default T_val; ``val_transient`` steps
    discarded before) from ``val_starts`` evenly spaced points of ``val`` and scored by
    :func:`selection_score` (mean over the starts); each model keeps its best checkpoint (model
    selection on held-out data, as the official code keeps the best model by its D_stsp/D_H
    tracking).

    Returns the loss per step (a list of K lists for a list of models); with ``val`` also the
    best validation score of each model (a float, or a list of K)."""
    single = isinstance(models, ALRNN)
    ms = [models] if single else list(models)
    M, N = ms[0].M, ms[0].N
    if any(m.M != M or m.N != N for m in ms):
        raise ValueError("stacked models must share M and N")
    if data.ndim != 2 or data.shape[1] != N or data.shape[0] <= seq_len:
        raise ValueError(f"data must be (T > seq_len, N={N}), got {tuple(data.shape)}")
    if val is not None and (val_every < 1 or val.ndim != 2 or val.shape[1] != N):
        raise ValueError("a validation orbit (T_val, N) needs val_every >= 1")
    K = len(ms)
    params = [nn.Parameter(torch.stack([getattr(m, k).detach() for m in ms]).clone())
              for k in ("a", "W", "h", "L")]
    lo = torch.stack([m.lo for m in ms])
    opt = torch.optim.RAdam(params, lr=lr[0])
    gamma = (lr[1] / lr[0]) ** (1 / max(steps, 1))
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
    idx = torch.arange(seq_len)
    losses = []
    best = [math.inf] * K
    keep = [p.detach().clone() for p in params]

    if val is not None:  # S evenly spaced validation starts (S, N)
        starts = val[torch.arange(val_starts, device=val.device) * (val.shape[0] // val_starts)]

    def validate():
        X = _stacked_free_run(*[p.detach() for p in params], lo, starts,
                              val_steps or val.shape[0], val_transient)
        for k in range(K):
            s = selection_score(val, X[k], n_bins)
            if s < best[k]:
                best[k] = s
                for q, p in zip(keep, params, strict=True):
                    q[k] = p.detach()[k]

    for step in progress(range(steps), total=steps, desc=desc):
        start = torch.randint(0, data.shape[0] - seq_len, (K, batch), generator=generator)
        x = data[start[..., None] + idx]  # (K, B, T, N)
        if noise > 0:
            x = x + noise * torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x)
        per_model, grads = bptt_loss_and_grads(*[p.detach() for p in params], lo, x, tau)
        for p, gr in zip(params, grads, strict=True):
            p.grad = gr  # parameters are disjoint: each model gets its own gradient
        opt.step()
        sched.step()
        losses.append(per_model.tolist())
        if val is not None and ((step + 1) % val_every == 0 or step + 1 == steps):
            validate()
    final = keep if val is not None else [p.detach() for p in params]
    with torch.no_grad():
        for k, m in enumerate(ms):
            for name, p in zip(("a", "W", "h", "L"), final, strict=True):
                getattr(m, name).copy_(p[k])
    per = [list(col) for col in zip(*losses, strict=True)]
    if val is None:
        return per[0] if single else per
    return (per[0], best[0]) if single else (per, best)


@torch.no_grad()
def one_step_forced(model: ALRNN, x: torch.Tensor, warmup: int = 10):
    """Run along ``x`` (T, N) forcing the read-outs at every step (τ = 1): returns the one-step
    MSE after ``warmup`` steps and the latent states z_2..z_T (before forcing)."""
    Z = model.teacher_forced(x[None], 1)[0]
    mse = float(((Z[warmup:, : model.N] - x[1 + warmup:]) ** 2).mean())
    return mse, Z


@torch.no_grad()
def prediction_error(model: ALRNN, x: torch.Tensor, warmup: int, horizon: int,
                     stride: int = 10) -> float:
    """Short-horizon prediction error on a test series ``x`` (T, N): from every ``stride``-th
    start, run ``warmup`` steps forced at every step (τ = 1, which sets the unobserved units),
    then ``horizon`` steps freely; MSE of the read-out over the free steps 1..horizon."""
    n = warmup + horizon
    starts = torch.arange(0, x.shape[0] - n, stride, device=x.device)
    if warmup < 1 or horizon < 1 or starts.numel() == 0:
        raise ValueError("need warmup >= 1, horizon >= 1 and a series longer than both")
    w = x[starts[:, None] + torch.arange(n, device=x.device)]  # (S, n, N)
    z = model.init_state(w[:, 0])
    for t in range(1, warmup):
        z = model(z)
        z = torch.cat([w[:, t], z[:, model.N:]], dim=-1)
    err = []
    for t in range(warmup, n):
        z = model(z)
        err.append(((z[:, : model.N] - w[:, t]) ** 2).mean(-1))
    e = torch.stack(err, 1)
    e = torch.where(torch.isfinite(e), e, torch.full_like(e, 1e6)).clamp(max=1e6)
    return float(e.mean())


def free_run(model: ALRNN, x1: torch.Tensor, T: int, transient: int) -> torch.Tensor:
    """Free-running latent trajectory (T, M) after ``transient`` discarded steps."""
    Z = model.generate(model.init_state(x1), T + transient)
    return Z[transient:]


def dstsp(x_true: torch.Tensor, x_gen: torch.Tensor, n_bins: int = 30) -> float:
    """D_stsp of a free run (shared; a diverged run gets KL(p_true ‖ uniform))."""
    return dynamics_metrics.free_run_state_space_divergence(x_true, x_gen, n_bins)


def dh(x_true: torch.Tensor, x_gen: torch.Tensor, smoothing: float) -> float:
    """Power-spectrum Hellinger distance of a free run (shared; 1 if it diverged)."""
    return dynamics_metrics.free_run_power_spectrum_distance(x_true, x_gen, smoothing)


# ------------------------------------------------------------------------------------------
# experiments
# ------------------------------------------------------------------------------------------
def lozi_data(cfg: Config, seed: int):
    """Raw and z-scored Lozi orbit (train + test) after a 1000-step transient."""
    g = torch.Generator().manual_seed(seed)
    raw = dynamics.simulate_map("lozi", cfg.lozi_train + cfg.lozi_test, transient=1000,
                                params=dict(a=cfg.lozi_a, b=cfg.lozi_b), generator=g)
    z, mean, std = dynamics.standardize(raw[: cfg.lozi_train])
    ztest = (raw[cfg.lozi_train:] - mean) / std
    return raw, z, ztest, (mean, std)


def lozi_experiment(cfg: Config, seed: int, device=None) -> dict:
    """Train AL-RNNs with P=0 and P=1 (M = lozi_M) on the Lozi map; one-step forced MSE on
    the test orbit and agreement of the ReLU unit's sign with 1[x_t > 0] (up to a flip)."""
    raw, ztr, zte, _ = lozi_data(cfg, seed)
    ztr, zte = ztr.to(device), zte.to(device)
    g = torch.Generator().manual_seed(1000 * seed)
    R = cfg.lozi_restarts
    cand = [(P, ALRNN(cfg.lozi_M, P, 2, generator=g, device=device)) for P in (0, 1)
            for _ in range(R)]
    losses = train([m for _, m in cand], ztr, seq_len=cfg.lozi_seq, tau=cfg.lozi_tau,
                   batch=cfg.lozi_batch, steps=cfg.lozi_steps, lr=cfg.lozi_lr, noise=0.0,
                   generator=g, desc=f"Lozi P=0 and P=1, {R} initialisations each")
    out = {}
    for P in (0, 1):
        # keep the initialisation with the lowest training loss (mean over the last 10 % of
        # steps): model selection on training data only
        tail = max(1, cfg.lozi_steps // 10)
        k = min((k for k in range(len(cand)) if cand[k][0] == P),
                key=lambda k: float(np.mean(losses[k][-tail:])))
        m = cand[k][1]
        mse, Z = one_step_forced(m, zte)
        res = dict(model=m, losses=losses[k], mse=mse, Z=Z,
                   final_losses=[float(np.mean(losses[j][-tail:])) for j in range(len(cand))
                                 if cand[j][0] == P])
        if P == 1:
            bit = m.region_bits(Z)[:, 0].cpu()
            sign = raw[cfg.lozi_train + 1:, 0] > 0  # x_t at the same times as z_2..z_T
            agree = float((bit == sign).double().mean())
            res.update(bits=bit, sign=sign, agreement=max(agree, 1 - agree))
        out[P] = res
    return out


def lorenz_data(cfg: Config, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """z-scored Lorenz-63 (scipy DOP853 reference) split into train and the last T_gen test
    samples; start = dysts' initial condition + 10 % noise, 50 time units discarded."""
    rng = np.random.default_rng(seed)
    meta = dynamics.flow_metadata("Lorenz")
    x0 = np.asarray(meta["initial_conditions"], float)
    x0 = x0 + 0.1 * np.asarray(meta.get("std", np.ones(3)), float) * rng.standard_normal(3)
    n_tr = int(round(cfg.lorenz_transient / cfg.lorenz_dt))
    t = np.arange(n_tr + cfg.lorenz_n) * cfg.lorenz_dt
    x = dynamics.solve_ivp_reference("Lorenz", x0, t, rtol=1e-9, atol=1e-9)[n_tr:]
    x = torch.as_tensor(x, dtype=F64)
    z, _, _ = dynamics.standardize(x)
    return z[: -cfg.T_gen], z[-cfg.T_gen:]


def lorenz_experiment(cfg: Config, seed: int, device=None, P_sweep=None) -> dict:
    """Train ``lorenz_inits`` AL-RNNs (M = cfg.M) for each P > 0 and ``linear_inits`` for P = 0
    (a linear RNN, whose free runs all end alike) on Lorenz-63, all at once as one stacked
    model; each keeps its checkpoint with the best validation score (mean D_stsp of T_gen-step
    free runs from ``val_starts`` points of the last ``val_len`` training samples, extent
    guard) and, per P, the initialisation with the best one is kept.
    It is then run freely for T_gen steps after gen_transient from the held-out test segment
    and scored with the shared D_stsp and D_H, its attractor statistics and the short-horizon
    prediction error."""
    xtr, xte = lorenz_data(cfg, seed)
    xtr, xte = xtr.to(device), xte.to(device)
    xfit, xval = xtr[: -cfg.val_len], xtr[-cfg.val_len:]
    out = dict(x_train=xtr, x_test=xte, runs={})
    floor = xtr[-cfg.T_gen:]
    out["floor_dstsp"] = dstsp(xte, floor, cfg.n_bins)
    out["floor_dh"] = dh(xte, floor, cfg.psd_smoothing)
    Ps = tuple(cfg.P_sweep if P_sweep is None else P_sweep)
    g = torch.Generator().manual_seed(1000 * seed + 10)
    counts = [cfg.linear_inits if P == 0 else cfg.lorenz_inits for P in Ps]
    dt = getattr(torch, cfg.train_dtype)
    models = [ALRNN(cfg.M, P, 3, generator=g, dtype=dt, device=device)
              for P, R in zip(Ps, counts, strict=True) for _ in range(R)]
    losses, val = train(models, xfit.to(dt), seq_len=cfg.seq_len, tau=cfg.tau, batch=cfg.batch,
                        steps=cfg.steps, lr=cfg.lr, noise=cfg.noise, generator=g,
                        val=xval.to(dt), val_every=cfg.val_every, val_transient=cfg.gen_transient,
                        val_starts=cfg.val_starts, val_steps=cfg.T_gen, n_bins=cfg.n_bins,
                        desc=f"Lorenz P={Ps}, {counts} initialisations")
    for i, P in enumerate(Ps):
        ks = range(sum(counts[:i]), sum(counts[: i + 1]))
        k = min(ks, key=lambda j: val[j])
        m = models[k].to(F64)  # evaluated and analysed in float64
        Z = free_run(m, xte[0], cfg.T_gen, cfg.gen_transient)
        X = Z[:, :3]
        out["runs"][P] = dict(model=m, losses=losses[k], Z=Z, finite=bool(torch.isfinite(Z).all()),
                              val=val[k], val_all=[val[j] for j in ks],
                              dstsp=dstsp(xte, X, cfg.n_bins),
                              dh=dh(xte, X, cfg.psd_smoothing),
                              pe=prediction_error(m, xte, cfg.pe_warmup, cfg.pe_horizon),
                              **attractor_stats(xte, X))
    return out


@torch.no_grad()
def region_analysis(model: ALRNN, Z: torch.Tensor, min_freq: float = 1e-3) -> dict:
    """Symbolic code of a latent orbit Z (T, M): region ids, visited regions (all / those
    visited ≥ ``min_freq`` of the time), transition matrix, max |autograd Jacobian −
    region matrix| over the visited states, region fixed points and their residuals."""
    Z = Z[torch.isfinite(Z).all(-1)]
    ids = model.region_ids(Z)
    n = 2 ** model.P
    T, freq = transition_matrix(ids, n)
    J_auto = dynamics_metrics.autograd_jacobian(model, Z)
    mats = torch.stack([model.region_matrix(r) for r in range(n)])
    J_reg = mats[ids]
    fps = model.region_fixed_points()
    for fp in fps:
        fp["residual"] = float((model(fp["z"]) - fp["z"]).abs().max())
    return dict(ids=ids, transition=T, freq=freq, visited=int((freq > 0).sum()),
                visited_major=int((freq >= min_freq).sum()),
                jac_err=float((J_auto - J_reg).abs().max()), fixed_points=fps)
