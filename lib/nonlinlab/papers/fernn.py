"""Flow Equivariant Recurrent Neural Networks (Keller, NeurIPS 2025, arXiv 2507.14793).

A flow is a one-parameter group acting in time; here: integer translations with velocity
``nu`` on a periodic grid (a 1-D ring or a 2-D torus),

    psi_nu(t) f (x) = f(x - nu t)        (``torch.roll(f, shifts=nu * t)``).

A group-convolutional RNN (G-RNN, circular convolutions) is equivariant to *static* shifts but
not to flows: a moving input does not give a moving hidden state. The FERNN lifts the hidden
state over a finite set of velocities ``V`` and transports each velocity channel by its own
flow every step (official ``FERNN_Cell``):

    h_t(nu) = ReLU( conv_u(f_t) + conv_h( roll_nu h_{t-1}(nu) ) ),   nu in V,  h_{-1} = 0,

with 3-wide (3x3) circular convolutions without bias shared over ``nu``. If the input flows,
``f'_t = roll_{nuhat t} f_t``, then by induction (circular convs commute with roll and
``nu + nuhat (t-1) = (nu - nuhat) + nuhat t``)

    h'_t(nu) = roll_{nuhat t} h_t(nu - nuhat)    for every nu with nu - nuhat in V,

exact to rounding. With ``V = {0}`` the cell is the G-RNN baseline. The seq2seq next-frame model
(official ``Seq2SeqFERNN``) encodes ``T_in`` frames, then decodes autoregressively: the first
decoder input is the last observed frame again, later ones the model's own detached prediction;
each decoder step updates the cell, max-pools over ``V`` and applies ``decoder_layers`` x
[circular conv, ReLU] + a final circular conv (no bias). Loss: MSE over predicted frames.

Velocities are tuples in the order of the spatial axes (1-D: ``(v,)``; 2-D: ``(v_y, v_x)``,
i.e. the official ``torch.roll(h, shifts=(vy, vx), dims=(H, W))``).

Data: patterns cut from 5,000 real MNIST digits (:mod:`nonlinlab.data.mnist`): in 1-D one
non-empty pixel row of a digit on a ring, in 2-D the whole digit on a torus; every object moves
with its own integer velocity (official ``MovingMNISTDataset``: per-digit velocities, summed
frames); the velocity-generalisation test moves all objects with one fixed velocity (official
``FixedVelocityMovingMNIST``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core import ProfileConfig, Profiles, progress, require

Velocity = tuple[int, ...]


# ----------------------------------------------------------------------------- config
@dataclass(frozen=True)
class Config(ProfileConfig):
    ndim: int = 1                 # 1: ring (ci), 2: torus (full, official setting)
    size: int = 32                # grid side (ring length / torus side)
    n_objects: int = 1            # digits (rows) per sequence, summed and clipped to 1
    hidden: int = 12
    kernel: int = 3
    v_range: int = 3              # FERNN velocity set V = {-v_range..v_range}^ndim
    train_v: int = 1              # training data velocities {-train_v..train_v}^ndim
    test_v: int = 3               # velocity-generalisation grid {-test_v..test_v}^ndim
    t_in: int = 5
    t_out: int = 5
    t_gen: int = 20               # length-generalisation test sequence length (2x)
    decoder_layers: int = 2
    n_train: int = 1000           # training sequences (fixed set, resampled batches)
    n_test: int = 64              # test sequences per velocity
    batch: int = 32
    steps: int = 300
    lr: float = 3e-3
    grad_clip: float = 1.0
    n_patterns: int = 200         # digits per class used (of 500)
    eval_every: int = 50
    feedback: bool = False        # decoder input: False = none (flow-exact), True = official
    wide_grnn: bool = True        # also train a G-RNN with matched reach: kernel 2*test_v+1
    official_rerun: bool = True   # the notebook repeats the experiment with feedback=True
    official_steps: int | None = 600  # steps of that rerun (None: ``steps``); the official
    # decoder's stale-frame input trains slower: at 300 steps the FERNN stayed at seen MSE 0.031
    # at one seed of 16 (0.003-0.018 at 600 steps on seeds 0-4, 7, 99, 9001)

    def official(self) -> Config:
        """The configuration of the rerun with the official (stale-frame feedback) decoder."""
        return self.replace(feedback=True, steps=self.official_steps or self.steps)

    def check(self) -> None:
        require(self.ndim in (1, 2), "ndim must be 1 (ring) or 2 (torus)")
        require(self.size >= 8, "size must be >= 8")
        require(self.kernel % 2 == 1 and self.kernel >= 1, "kernel must be odd")
        require(0 <= self.train_v <= self.test_v, "need 0 <= train_v <= test_v")
        require(self.v_range >= 0 and 2 * self.test_v < self.size, "velocities must be < size/2")
        require(self.official_steps is None or self.official_steps >= 1,
                "official_steps must be None or >= 1")
        require(self.t_in >= 1 and self.t_out >= 1 and self.t_gen > self.t_in + self.t_out,
                "need t_in, t_out >= 1 and t_gen > t_in + t_out")
        require(self.hidden >= 1 and self.batch >= 1 and self.steps >= 1, "sizes must be >= 1")
        require(self.n_objects >= 1 and self.n_train >= self.batch, "need n_train >= batch")


CONFIGS = Profiles(
    ci=Config(),
    # official translating-MNIST setting (28x28 torus, 2 digits, 10 in / 10 out, 40-frame
    # length test, 4 decoder layers, FERNN-V2 trained on |v| <= 1) with hidden 20 instead of 128
    # (the wide G-RNN and the rerun with the official decoder must fit the 20 min as well)
    full=Config(ndim=2, size=28, n_objects=2, hidden=20, v_range=2, train_v=1, test_v=2,
                t_in=10, t_out=10, t_gen=40, decoder_layers=4, n_train=8000, n_test=64,
                batch=32, steps=1200, lr=1e-3, n_patterns=500, eval_every=100,
                official_steps=None),
)


def velocity_set(v_range: int, ndim: int) -> list[Velocity]:
    """All integer velocities with every component in ``[-v_range, v_range]``."""
    if v_range < 0 or ndim not in (1, 2):
        raise ValueError(f"need v_range >= 0 and ndim in (1, 2), got {v_range}, {ndim}")
    r = range(-v_range, v_range + 1)
    return [tuple(v) for v in itertools.product(r, repeat=ndim)]


def _flops_step(cfg: Config, n_v: int, T: int, kernel: int | None = None) -> float:
    """Forward multiply-adds x2 of one batch over T steps (convs dominate)."""
    cells = cfg.size ** cfg.ndim
    k = (cfg.kernel if kernel is None else kernel) ** cfg.ndim
    rec = n_v * cfg.hidden * cfg.hidden * k + cfg.hidden * k     # conv_h on all nu + conv_u
    dec = (cfg.decoder_layers * cfg.hidden + 1) * cfg.hidden * k
    return 2.0 * cfg.batch * cells * (T * rec + cfg.t_out * dec)


def estimate_seconds(cfg: Config) -> float:
    """Cost model on paper: training = 3x forward flops (forward + backward) for FERNN and
    G-RNN, plus evaluation (velocity grid + length test + oracles, forward only). Assumed
    throughput: small circular convs on 1 CPU thread ~ 7e9 flop/s effective (ci; measured
    8.0e9 with two notebooks running at once on this 2-core machine: 50.5 s wall for the whole
    notebook at seeds 0 and 9001 with the 600-step official rerun; 5.4e9 on a machine at load
    5-7), overhead-dominated; Colab T4 ~ 1e12 flop/s effective for these small convs (full)."""
    n_v = len(velocity_set(cfg.v_range, cfg.ndim))
    T = cfg.t_in + cfg.t_out
    models = [(n_v, cfg.kernel), (1, cfg.kernel)]
    if cfg.wide_grnn:
        models.append((1, 2 * cfg.test_v + 1))
    steps = cfg.steps + ((cfg.official_steps or cfg.steps) if cfg.official_rerun else 0)
    train = sum(3 * steps * _flops_step(cfg, nv, T, k) for nv, k in models)
    n_grid = (2 * cfg.test_v + 1) ** cfg.ndim
    ev_batches = n_grid * cfg.n_test / cfg.batch + 2 * cfg.n_test / cfg.batch * cfg.t_gen / T
    evals = sum(ev_batches * _flops_step(cfg, nv, T, k) for nv, k in models)
    curves = 2 * (cfg.steps // cfg.eval_every) * 4 * _flops_step(cfg, n_v, T)
    rate = 7e9 if cfg.ndim == 1 and cfg.size <= 64 else 1e12
    runs = 2 if cfg.official_rerun else 1          # the rerun with the official decoder
    return (train + runs * evals + curves) / rate + 3.0 * runs   # + data / python overhead


# ----------------------------------------------------------------------------- flows
def _dims(ndim: int) -> tuple[int, ...]:
    return tuple(range(-ndim, 0))


def roll(x: torch.Tensor, shift: Velocity) -> torch.Tensor:
    """psi: translate the last ``len(shift)`` (spatial) axes periodically by ``shift``."""
    return torch.roll(x, shifts=tuple(int(s) for s in shift), dims=_dims(len(shift)))


def flow_sequence(frames: torch.Tensor, v: Velocity, ndim: int) -> torch.Tensor:
    """``f'_t = roll_{v t} f_t`` for frames (B, T, C, *spatial), t = 0..T-1."""
    _check_frames(frames, ndim)
    if len(v) != ndim:
        raise ValueError(f"velocity {v} must have {ndim} components")
    return torch.stack([roll(frames[:, t], tuple(c * t for c in v))
                        for t in range(frames.shape[1])], dim=1)


def _check_frames(frames: torch.Tensor, ndim: int) -> None:
    if not torch.is_tensor(frames) or frames.dim() != 3 + ndim:
        raise ValueError(f"frames must be a tensor (B, T, C, {'*spatial' if ndim > 1 else 'X'})"
                         f" with {3 + ndim} dims, got "
                         f"{tuple(frames.shape) if torch.is_tensor(frames) else type(frames)}")
    if not torch.isfinite(frames).all():
        raise ValueError("frames contain NaN or inf")


# ----------------------------------------------------------------------------- models
class CircularConv(nn.Module):
    """Circular-padded convolution without bias (commutes exactly with ``roll``)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, ndim: int):
        super().__init__()
        conv = nn.Conv1d if ndim == 1 else nn.Conv2d
        self.conv = conv(c_in, c_out, kernel, padding=kernel // 2, padding_mode="circular",
                         bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class FERNNCell(nn.Module):
    """h_t(nu) = ReLU(conv_u f_t + conv_h roll_nu h_{t-1}(nu)); V = {0} is the G-RNN cell."""

    def __init__(self, c_in: int, hidden: int, velocities: list[Velocity], ndim: int,
                 kernel: int = 3):
        super().__init__()
        if not velocities or any(len(v) != ndim for v in velocities):
            raise ValueError(f"velocities must be a non-empty list of {ndim}-tuples")
        if len(set(velocities)) != len(velocities):
            raise ValueError("velocities must be distinct")
        self.velocities = [tuple(int(c) for c in v) for v in velocities]
        self.ndim, self.hidden = ndim, hidden
        self.conv_u = CircularConv(c_in, hidden, kernel, ndim)
        self.conv_h = CircularConv(hidden, hidden, kernel, ndim)

    @property
    def num_v(self) -> int:
        return len(self.velocities)

    def transport(self, h: torch.Tensor) -> torch.Tensor:
        """(roll_nu h(nu))_nu for h (B, |V|, C, *S), as one gather: out[x] = h[x - nu mod n]
        (same result as ``torch.roll`` per channel, fewer kernel launches)."""
        spatial = h.shape[3:]
        key = (tuple(spatial), h.device)
        if getattr(self, "_index_key", None) != key:
            v = torch.tensor(self.velocities, device=h.device)            # (|V|, ndim)
            grids = torch.meshgrid(*[torch.arange(n, device=h.device) for n in spatial],
                                   indexing="ij")
            flat = torch.zeros((len(self.velocities),) + tuple(spatial), dtype=torch.long,
                               device=h.device)
            for d, n in enumerate(spatial):
                src = (grids[d].unsqueeze(0) - v[:, d].view(-1, *[1] * len(spatial))) % n
                stride = int(np.prod(spatial[d + 1:])) if d + 1 < len(spatial) else 1
                flat = flat + src * stride
            self._index = flat.reshape(len(self.velocities), 1, -1)
            self._index_key = key
        B, nv, C = h.shape[:3]
        idx = self._index.expand(nv, C, -1).unsqueeze(0).expand(B, -1, -1, -1)
        return torch.gather(h.reshape(B, nv, C, -1), 3, idx).reshape(h.shape)

    def forward(self, u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        # u: (B, C_in, *S); h: (B, |V|, C, *S)
        B, spatial = u.shape[0], u.shape[2:]
        # transport every velocity channel by its own flow (official: torch.roll per nu)
        h_shift = self.transport(h)
        rec = self.conv_h(h_shift.reshape(B * self.num_v, self.hidden, *spatial))
        rec = rec.reshape(B, self.num_v, self.hidden, *spatial)
        return torch.relu(self.conv_u(u).unsqueeze(1) + rec)   # input term broadcast over nu


class Seq2SeqFERNN(nn.Module):
    """Encoder (FERNN cell over T_in frames) + autoregressive decoder (max-pool over V)."""

    def __init__(self, hidden: int, velocities: list[Velocity], ndim: int, kernel: int = 3,
                 decoder_layers: int = 2, channels: int = 1, feedback: bool = True):
        super().__init__()
        self.ndim, self.feedback = ndim, feedback
        self.cell = FERNNCell(channels, hidden, velocities, ndim, kernel)
        layers: list[nn.Module] = []
        for _ in range(decoder_layers):
            layers += [CircularConv(hidden, hidden, 3, ndim), nn.ReLU()]
        layers += [CircularConv(hidden, channels, 3, ndim)]
        self.decoder = nn.Sequential(*layers)

    def init_hidden(self, frames: torch.Tensor) -> torch.Tensor:
        B, _, _, *spatial = frames.shape
        return frames.new_zeros(B, self.cell.num_v, self.cell.hidden, *spatial)

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """All hidden states (B, T, |V|, C, *S) for input frames (B, T, C_in, *S)."""
        _check_frames(frames, self.ndim)
        h, hs = self.init_hidden(frames), []
        for t in range(frames.shape[1]):
            h = self.cell(frames[:, t], h)
            hs.append(h)
        return torch.stack(hs, 1)

    def readout(self, h: torch.Tensor) -> torch.Tensor:
        """Decoder on the velocity-max-pooled hidden state."""
        return self.decoder(h.max(1).values)

    def forward(self, frames: torch.Tensor, pred_len: int) -> torch.Tensor:
        _check_frames(frames, self.ndim)
        if pred_len < 1:
            raise ValueError(f"pred_len must be >= 1, got {pred_len}")
        h = self.init_hidden(frames)
        for t in range(frames.shape[1]):
            h = self.cell(frames[:, t], h)
        prev, outs = frames[:, -1], []
        for _ in range(pred_len):          # teacher_forcing_ratio = 0 (official default)
            # official: feed the last frame, then the detached prediction (one step stale, so
            # not flow-equivariant); feedback=False: zero input, h free-runs along its flows
            h = self.cell(prev.detach() if self.feedback else torch.zeros_like(prev), h)
            out = self.readout(h)
            outs.append(out)
            prev = out
        return torch.stack(outs, 1)


def make_models(cfg: Config, seed: int, device=None) -> dict[str, Seq2SeqFERNN]:
    """FERNN (V = {-v_range..v_range}^ndim) and G-RNN (V = {0}) with the same seed; with
    ``cfg.wide_grnn`` also "G-RNN wide", a G-RNN whose cell convolutions are
    ``2 test_v + 1`` wide, so that its state can follow the fastest test velocity (a 3-wide
    recurrent conv moves information by at most one cell per step)."""
    specs = [("FERNN", cfg.v_range, cfg.kernel), ("G-RNN", 0, cfg.kernel)]
    if cfg.wide_grnn:
        specs.append(("G-RNN wide", 0, 2 * cfg.test_v + 1))
    out = {}
    for name, vr, k in specs:
        torch.manual_seed(seed)
        out[name] = Seq2SeqFERNN(cfg.hidden, velocity_set(vr, cfg.ndim), cfg.ndim, k,
                                 cfg.decoder_layers, feedback=cfg.feedback).to(device)
    return out


# ----------------------------------------------------------------------------- oracles
@torch.no_grad()
def flow_equivariance_error(model: Seq2SeqFERNN, frames: torch.Tensor, v_hat: Velocity,
                            cyclic: bool = False, lifted: bool = True) -> dict:
    """Check h'_t(nu) = roll_{v_hat t} h_t(nu - v_hat) for all t and matched nu.

    ``frames``: any input sequence; h' is the hidden state for ``flow_sequence(frames, v_hat)``.
    ``cyclic``: velocities are taken modulo the grid (exact for V = all residues, no boundary).
    Returns ``max_abs`` (over matched channels), ``rel`` (||h' - roll h||/||h'|| over matched
    channels, per t) and ``n_matched``. ``lifted=False`` pairs every channel with itself:
    the naive identity h'_t = roll_{v_hat t} h_t that a G-RNN (V = {0}) would need.
    """
    ndim = model.ndim
    hs = model.encode(frames)
    hp = model.encode(flow_sequence(frames, v_hat, ndim))
    size = frames.shape[-ndim:]
    vs = model.cell.velocities

    def key(v):
        return tuple(c % n for c, n in zip(v, size, strict=True)) if cyclic else tuple(v)

    index = {key(v): i for i, v in enumerate(vs)}
    partner = {i: key(tuple(a - b for a, b in zip(v, v_hat, strict=True)))
               for i, v in enumerate(vs)}
    if lifted:
        pairs = [(i, index[k]) for i, k in partner.items() if k in index]
    else:   # the hypothesis a plain G-RNN would need: h'_t = roll_{v_hat t} h_t, same channel
        pairs = [(i, i) for i in range(len(vs))]
    if not pairs:
        raise ValueError(f"no velocity channel nu has nu - v_hat in V for v_hat={v_hat}")
    T = frames.shape[1]
    max_abs, rel = 0.0, []
    for t in range(T):
        shift = tuple(c * t for c in v_hat)
        num = den = 0.0
        for i, j in pairs:
            d = hp[:, t, i] - roll(hs[:, t, j], shift)
            max_abs = max(max_abs, float(d.abs().max()))
            num += float((d ** 2).sum())
            den += float((hp[:, t, i] ** 2).sum())
        rel.append((num / max(den, 1e-300)) ** 0.5)
    return {"max_abs": max_abs, "rel": np.array(rel), "n_matched": len(pairs),
            "n_channels": len(vs)}


@torch.no_grad()
def readout_equivariance_error(model: Seq2SeqFERNN, frames: torch.Tensor,
                               v_hat: Velocity) -> float:
    """max_t |y'_t - roll_{v_hat t} y_t| for the read-out y_t = decoder(max_nu h_t(nu)).

    Exact only when every channel has a partner (V = all velocities modulo the grid), because
    max-pooling over a cyclically shifted V is invariant; otherwise the boundary of V leaks in.
    """
    ndim = model.ndim
    hs = model.encode(frames)
    hp = model.encode(flow_sequence(frames, v_hat, ndim))
    err = 0.0
    for t in range(frames.shape[1]):
        y, yp = model.readout(hs[:, t]), model.readout(hp[:, t])
        err = max(err, float((yp - roll(y, tuple(c * t for c in v_hat))).abs().max()))
    return err


# ----------------------------------------------------------------------------- data
def mnist_patterns(cfg: Config, split: str = "train") -> np.ndarray:
    """Real MNIST patterns in [0, 1]: 2-D whole digits (n, 28, 28); 1-D one pixel row per
    digit, the row with the most ink (n, 28). Train/test digits are disjoint (fixed split)."""
    from ..data.mnist import load_mnist5k

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    data = load_mnist5k(test_fraction=0.2, split_seed=0, n_per_class=cfg.n_patterns)
    x = (data.x_train if split == "train" else data.x_test)[:, 0]
    if cfg.ndim == 2:
        return x
    rows = x[np.arange(len(x)), x.sum(2).argmax(1)]
    return rows


def _place(pattern: np.ndarray, size: int) -> np.ndarray:
    """Pad/crop a pattern (centred) into a size^ndim grid."""
    out = np.zeros((size,) * pattern.ndim, dtype=np.float32)
    src, dst = [], []
    for n in pattern.shape:
        if n <= size:
            a = (size - n) // 2
            src.append(slice(0, n))
            dst.append(slice(a, a + n))
        else:
            a = (n - size) // 2
            src.append(slice(a, a + size))
            dst.append(slice(0, size))
    out[tuple(dst)] = pattern[tuple(src)]
    return out


def make_sequences(patterns: np.ndarray, n_seq: int, T: int, cfg: Config,
                   velocities: list[Velocity] | None = None, fixed_v: Velocity | None = None,
                   rng: np.random.Generator | None = None) -> tuple[torch.Tensor, np.ndarray]:
    """Moving patterns on the periodic grid: (n_seq, T, 1, *S) float32 and the velocities
    (n_seq, n_objects, ndim). Object k at time t is ``roll(pattern_k, x0_k + v_k t)``
    exactly; frames are the sum of objects clipped to 1 (official: per-digit velocities)."""
    if (velocities is None) == (fixed_v is None):
        raise ValueError("give exactly one of velocities (sampled per object) or fixed_v")
    if n_seq < 1 or T < 1:
        raise ValueError("n_seq and T must be >= 1")
    rng = rng if rng is not None else np.random.default_rng(0)
    nd, S = cfg.ndim, cfg.size
    seqs = np.zeros((n_seq, T, 1) + (S,) * nd, dtype=np.float32)
    vel = np.zeros((n_seq, cfg.n_objects, nd), dtype=np.int64)
    vlist = None if velocities is None else np.array(velocities, dtype=np.int64)
    for i in range(n_seq):
        for k in range(cfg.n_objects):
            img = _place(patterns[rng.integers(len(patterns))], S)
            x0 = rng.integers(0, S, size=nd)
            v = np.array(fixed_v) if fixed_v is not None else vlist[rng.integers(len(vlist))]
            vel[i, k] = v
            for t in range(T):
                seqs[i, t, 0] += np.roll(img, tuple(x0 + v * t), axis=tuple(range(nd)))
    return torch.from_numpy(np.clip(seqs, 0.0, 1.0)), vel


# ----------------------------------------------------------------------------- training
def train(model: Seq2SeqFERNN, data: torch.Tensor, cfg: Config, seed: int, desc: str = "",
          eval_data: torch.Tensor | None = None) -> dict:
    """Adam + grad-clip, MSE on the T_out predicted frames, batches resampled from ``data``.
    Returns the per-step training loss and (every eval_every steps) held-out MSE."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    losses, evals = [], []
    t0 = time.process_time()
    model.train()
    for step in progress(range(cfg.steps), total=cfg.steps, desc=desc or "train"):
        idx = torch.randint(len(data), (cfg.batch,), generator=g)
        seq = data[idx]
        pred = model(seq[:, :cfg.t_in], cfg.t_out)
        loss = F.mse_loss(pred, seq[:, cfg.t_in:cfg.t_in + cfg.t_out])
        opt.zero_grad()
        loss.backward()
        if cfg.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        losses.append(float(loss.detach()))
        if eval_data is not None and ((step + 1) % cfg.eval_every == 0 or step == 0):
            evals.append((step + 1, mse(model, eval_data, cfg)))
            model.train()
    model.eval()
    return {"loss": np.array(losses), "eval": np.array(evals), "cpu_s": time.process_time() - t0}


@torch.no_grad()
def mse(model: Seq2SeqFERNN, seqs: torch.Tensor, cfg: Config, t_in: int | None = None,
        per_step: bool = False):
    """Test MSE of the autoregressive prediction of frames t_in.. from the first t_in."""
    model.eval()
    t_in = cfg.t_in if t_in is None else t_in
    errs = []
    for i in range(0, len(seqs), max(cfg.batch, 64)):
        seq = seqs[i:i + max(cfg.batch, 64)]
        pred = model(seq[:, :t_in], seq.shape[1] - t_in)
        errs.append(((pred - seq[:, t_in:]) ** 2).flatten(2).mean(2))   # (B, T_out)
    e = torch.cat(errs).mean(0).cpu().numpy()
    return e if per_step else float(e.mean())


def run_experiment(cfg: Config, seed: int, device=None, curves: bool = True) -> dict:
    """Train FERNN and G-RNN on velocities |v| <= train_v; test on the grid |v| <= test_v
    (one fixed velocity per test sequence), on 2x longer sequences, and check the oracles."""
    device = device if device is not None else torch.device("cpu")
    rng = np.random.default_rng(seed)
    p_train, p_test = mnist_patterns(cfg, "train"), mnist_patterns(cfg, "test")
    T = cfg.t_in + cfg.t_out
    train_vs = velocity_set(cfg.train_v, cfg.ndim)
    data, _ = make_sequences(p_train, cfg.n_train, T, cfg, velocities=train_vs, rng=rng)
    val, _ = make_sequences(p_test, cfg.n_test, T, cfg, velocities=train_vs, rng=rng)
    grid = velocity_set(cfg.test_v, cfg.ndim)
    tests = {v: make_sequences(p_test, cfg.n_test, T, cfg, fixed_v=v, rng=rng)[0].to(device)
             for v in grid}
    long_seqs = make_sequences(p_test, cfg.n_test, cfg.t_gen, cfg, velocities=train_vs,
                               rng=rng)[0].to(device)
    data, val = data.to(device), val.to(device)
    models = make_models(cfg, seed, device)
    probe = tests[grid[0]][:8]
    static = probe[:, :1].expand(-1, T, *probe.shape[2:]).contiguous()
    out: dict = {"grid": grid, "train_vs": train_vs, "models": models, "data": data,
                 "tests": tests}
    v1 = tuple([1] + [0] * (cfg.ndim - 1))
    for name, model in models.items():
        lifted = model.cell.num_v > 1
        res: dict = {"init_flow_rel": float(
            flow_equivariance_error(model, static, v1, lifted=lifted)["rel"][5])}
        res.update(train(model, data, cfg, seed, desc=name, eval_data=val if curves else None))
        res["vel_mse"] = {v: mse(model, s, cfg) for v, s in tests.items()}
        res["len_mse"] = mse(model, long_seqs, cfg, per_step=True)
        # oracles after training: random moving probe and the static-vs-moving G-RNN test
        res["flow"] = {v: flow_equivariance_error(model, probe, v, lifted=lifted)["max_abs"]
                       for v in grid if v != tuple([0] * cfg.ndim)}
        res["flow_static_rel"] = flow_equivariance_error(model, static, v1, lifted=lifted)["rel"]
        out[name] = res
    return out


def split_mse(res: dict, train_vs: list[Velocity]) -> tuple[float, float]:
    """(mean MSE over training velocities, mean MSE over unseen velocities)."""
    seen = [m for v, m in res["vel_mse"].items() if v in train_vs]
    unseen = [m for v, m in res["vel_mse"].items() if v not in train_vs]
    return float(np.mean(seen)), float(np.mean(unseen))


def steps_to_reach(loss: np.ndarray, target: float, window: int = 20) -> int:
    """First step at which the running mean (``window``) of ``loss`` is <= target."""
    sm = np.convolve(loss, np.ones(window) / window, mode="valid")
    hit = np.flatnonzero(sm <= target)
    return int(hit[0] + window) if hit.size else len(loss) + 1
