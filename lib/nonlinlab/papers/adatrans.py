r"""Huang, Ma, Zhang & Shan (ICCV 2023), *Adaptive Nonlinear Latent Transformation for Conditional
Face Editing* (AdaTrans, arXiv:2307.07790).

What is implemented (official code ``Hzzone/AdaTrans``: ``models/modules.py`` for the editor,
``training/train.py`` for the losses and their weights, ``models/flows/realnvp.py`` for the
density model; where the paper and the code differ we follow the code)
-----------------------------------------------------------------------------------------------

**Latent world with exact oracles.** The paper edits StyleGAN2 W+ codes of FFHQ faces with a
ResNet attribute classifier, a RealNVP trained on W codes and ArcFace/LPIPS losses — none of
them can be run here. Instead a latent space :math:`w\in\mathbb R^d` has a *known* density, a
mixture of Gaussians (exact :math:`\log p(w)`), and :math:`K` binary attributes
:math:`a_k(w)=\mathbb 1[f_k(w)>0]` given by fixed random one-hidden-layer tanh networks with a
shared hidden layer, so that attributes 0 ("edited") and 1 share hidden units and are entangled.
The classifier :math:`C` of the paper is the differentiable logit :math:`f_k(w)/\tau`; evaluation
uses the exact :math:`a_k` and the exact mixture density, never a learned evaluator.

**Density model** :math:`p_\phi`: a RealNVP (affine couplings with alternating masks, Gaussian
base) trained by maximum likelihood on samples of the world and then frozen, like the paper's
pre-trained flow. Its change of variables is exact (tested against the autograd Jacobian).

**Editor** (official ``AdaTrans``/``Func``/``ConcatSquashLinear``): the trajectory
:math:`y_0..y_t` → input MLP (Linear–BN–ReLU–Linear) → LSTM → last hidden state → ``n_blocks``
condition-modulated blocks :math:`h\leftarrow \mathrm{ReLU}(L(h)\,e^{L_s(c)}+L_b(c))` → step
size :math:`s_t=\sigma(\cdot)\in(0,1)` and unit direction :math:`d_t=v/\lVert v\rVert`;
:math:`y_{t+1}=y_t+s_t d_t`, :math:`t=0..T-1`. The condition :math:`c` is the target of the
edited attribute in :math:`\pm1` (the flip of the classifier's prediction on the source, as the
official ``train.py``).

**Losses** (official weights, all 1): :math:`L_{cls}` = BCE-with-logits of :math:`C(y_T)` on the
change target and on the keep attributes with the classifier's own predictions on the source as
pseudo-labels (the official code uses its probabilities; the synthetic world uses its hard
labels, the classifier being sharp there, :math:`\tau=0.1`; the real faces the probabilities);
:math:`L_{nll}` = mean over :math:`y_1..y_T` of :math:`-\log p_\phi(y)/d`;
:math:`L_{rec}=\lVert y_T-y_0\rVert^2/d`. The identity and LPIPS image losses have no
counterpart without images and are dropped. Optimiser: AdamW (official, weight decay 0); the
learning rate is raised from the official 1e-4 for the few hundred steps of ``ci`` (6e-3 for
the synthetic editors, 3e-3 for the face editor; 1e-3 at ``full``).

**Baselines.** InterFaceGAN: the unit normal of a linear boundary (logistic regression on
labelled samples) for the edited attribute, :math:`w' = w \pm \alpha n`, :math:`\alpha`
chosen on a validation set; conditional InterFaceGAN: the same normal projected orthogonally
to the normals of the keep attributes (Gram–Schmidt). **Ablations** (the paper's): single step
(:math:`T=1`), no :math:`L_{nll}`, no keep attributes in :math:`L_{cls}`.

**Real faces** (:func:`run_faces`). The same editor and losses in the latent space of a
pretrained DCGAN face generator (:mod:`nonlinlab.models.dcgan`, :math:`z\sim\mathcal N(0,
I_{100})`), read by face-api's pretrained nets (:mod:`nonlinlab.models.face_api`): the
classifier :math:`C` on the code is a ridge regression of face-api's logits (happy, male) and
age on the codes of labelled generated faces (the paper differentiates an image classifier
through the generator, too costly on a CPU); :math:`L_{nll}` uses the *exact* density of
:math:`z` in polar coordinates (see :class:`FaceLatent`); the keep pseudo-labels are the
classifier's probabilities on the source (official), so the keep loss is smallest where the
kept scores are unchanged (hard labels would push them further from the boundary). Success,
identity distance (face-api's 128-D descriptor) and gender preservation are measured on the
generated images; InterFaceGAN is matched to AdaTrans's success on the same test faces.
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

#: Official defaults (``training/train.py``, ``training/train.sh``).
PAPER_MAX_STEPS = 10
PAPER_LR = 1e-4
PAPER_LOSS_WEIGHTS = {"cls": 1.0, "nll": 1.0, "rec": 1.0, "id": 0.1, "lpips": 0.1}

ATTRS = ("edited", "entangled", "keep A", "keep B")


@dataclass(frozen=True)
class Config(ProfileConfig):
    dim: int = 8               # latent dimension d
    n_comp: int = 6            # mixture components of the world density
    n_attr: int = 4            # binary attributes (0 = edited, 1 = entangled with 0)
    attr_hidden: int = 16      # width of the shared tanh layer of the attribute functions
    tau: float = 0.1           # classifier temperature: logit = f_k / tau
    flow_layers: int = 6       # RealNVP affine couplings
    flow_hidden: int = 64
    flow_steps: int = 300
    flow_batch: int = 512
    hidden: int = 64           # editor width (official 512)
    lstm_layers: int = 1       # official 2
    n_blocks: int = 3          # ConcatSquash blocks (official 10)
    max_steps: int = 5         # T (official 10)
    steps: int = 350           # editor training iterations
    batch: int = 128
    lr: float = 6e-3           # synthetic world (350 steps at ci; official 1e-4 for 10,000)
    w_nll: float = 1.0
    w_rec: float = 1.0
    n_label: int = 5000        # labelled samples for InterFaceGAN's boundary
    n_test: int = 2000
    # real faces (DCGAN z-space, face-api classifiers)
    face_n_label: int = 384    # generated faces labelled by face-api (classifier C, boundary)
    face_n_test: int = 64      # test faces edited
    face_steps: int = 250      # editor training iterations in z-space
    face_lr: float = 3e-3      # the face editor's learning rate
    face_ridge: float = 30.0   # L2 strength of the latent ridge regressions (classifier C)
    face_density: str = "polar"
    face_alphas: tuple = (1.0, 2.0, 3.0, 4.0)
    face_show: int = 8         # faces shown in the figure

    def check(self) -> None:
        require(self.dim >= 2 and self.dim % 2 == 0, "dim must be even and >= 2")
        require(self.n_attr >= 2, "need the edited attribute and at least one kept attribute")
        require(min(self.n_comp, self.attr_hidden, self.flow_layers, self.flow_hidden,
                    self.hidden, self.lstm_layers, self.n_blocks, self.max_steps, self.steps,
                    self.batch, self.flow_steps, self.flow_batch) >= 1, "sizes must be >= 1")
        require(self.tau > 0 and self.lr > 0 and self.face_lr > 0,
                "tau, lr and face_lr must be > 0")
        require(self.n_label >= 100 and self.n_test >= 100, "need >= 100 labelled/test samples")


CONFIGS = Profiles(
    ci=Config(),
    full=Config(hidden=512, lstm_layers=2, n_blocks=10, max_steps=10, steps=3000, batch=512,
                lr=1e-3, face_lr=1e-3,
                flow_layers=10, flow_hidden=256, flow_steps=4000, n_label=20000, n_test=20000,
                face_n_label=4096, face_n_test=1024, face_steps=3000),
)


def estimate_seconds(cfg: Config) -> float:
    """On paper. Measured on this machine at 1 thread (``ci``): one editor step ≈ 2.4 ms per
    trajectory step + 5e-10 s per (sample × step × hidden² × layer) unit (T = 5: 24 ms on paper,
    19 ms measured; T = 1: 4.8 ms, 5.2 ms measured), the flow ≈ 17 ms per 512-sample step at
    width 64 (≈ 7 ms measured); four editors are trained (AdaTrans and two ablations at T, the
    single-step ablation at T = 1). ``full`` on a T4:
    launch-bound ≈ 2 ms per editor step and trajectory point plus the flops at ≈ 4 TFLOP/s
    effective (×6 for forward and backward), the flow ≈ 5 ms per step. Real faces: one generated
    face read by face-api's three nets ≈ 30 ms of CPU on the loaded machine (batches of 16),
    ≈ 20 ms unloaded, ≈ 1 ms on a GPU."""
    work = cfg.batch * cfg.max_steps * cfg.hidden ** 2 * (cfg.n_blocks + 4 * cfg.lstm_layers + 2)
    if cfg.hidden <= 128:  # ci: CPU
        editor = cfg.steps * (3 * (2.4e-3 * cfg.max_steps + 5e-10 * work)
                              + 2.4e-3 + 5e-10 * work / cfg.max_steps)
        flow = cfg.flow_steps * 17e-3 * (cfg.flow_batch / 512) * (cfg.flow_hidden / 64) ** 2 \
            * cfg.flow_layers / 6
    else:  # full: GPU
        editor = cfg.steps * (2e-3 * cfg.max_steps + 6 * work / 4e12) * 4
        flow = cfg.flow_steps * 5e-3
    n_img = cfg.face_n_label + cfg.face_n_test * (2 + len(cfg.face_alphas))
    if cfg.hidden <= 128:  # ci, CPU: one editor (same width) and the face readouts
        faces = 0.02 * n_img + cfg.face_steps * (12e-3 + 5e-10 * work) + 2.0
    else:  # full, GPU
        faces = 1e-3 * n_img + cfg.face_steps * (2e-3 * cfg.max_steps + 6 * work / 4e12) + 5
    return editor + flow + faces + 4.0


# --------------------------------------------------------------------------------------
# The latent world: exact density and attribute oracles
# --------------------------------------------------------------------------------------


class World:
    """Gaussian mixture :math:`p(w)` (means of scale 2, covariances with eigenvalues in
    [0.2, 1]) and attribute functions :math:`f_k(w)=v_k^\\top\\tanh(Aw+b)+c_k`."""

    def __init__(self, cfg: Config, seed: int = 0):
        g = torch.Generator().manual_seed(10_000 + seed)
        d, m, h = cfg.dim, cfg.n_comp, cfg.attr_hidden
        self.dim, self.tau, self.n_attr = d, cfg.tau, cfg.n_attr
        self.means = 2.0 * torch.randn(m, d, generator=g)
        q, _ = torch.linalg.qr(torch.randn(m, d, d, generator=g))
        eig = 0.2 + 0.8 * torch.rand(m, d, generator=g)
        self.covs = q @ torch.diag_embed(eig) @ q.transpose(1, 2)
        self.weights = torch.full((m,), 1.0 / m)
        mix = torch.distributions.Categorical(self.weights)
        comp = torch.distributions.MultivariateNormal(self.means, covariance_matrix=self.covs)
        self.dist = torch.distributions.MixtureSameFamily(mix, comp)
        self.A = torch.randn(h, d, generator=g) / math.sqrt(d) * 1.2
        self.b = 0.5 * torch.randn(h, generator=g)
        V = torch.zeros(cfg.n_attr, h)
        # attributes 0 and 1 share a few hidden units (entanglement)
        half, share = h // 2, max(1, h // 8)
        V[0, : half + share] = torch.randn(half + share, generator=g)
        V[1, half - share:] = torch.randn(h - half + share, generator=g)
        for k in range(2, cfg.n_attr):
            V[k] = torch.randn(h, generator=g)
        # 2·share shared hidden units push attributes 0 and 1 the same way
        V[1, half - share: half + share] = V[0, half - share: half + share]
        self.V = V
        ref = self.sample(20_000, torch.Generator().manual_seed(20_000 + seed))
        self.c = -torch.median(torch.tanh(ref @ self.A.T + self.b) @ self.V.T, dim=0).values

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        comp = torch.multinomial(self.weights, n, replacement=True, generator=gen)
        z = torch.randn(n, self.dim, generator=gen)
        L = torch.linalg.cholesky(self.covs)
        return self.means[comp] + torch.einsum("nij,nj->ni", L[comp], z)

    def log_prob(self, w: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\log p(w)` (closed form)."""
        return self.dist.log_prob(w)

    def f(self, w: torch.Tensor) -> torch.Tensor:
        """Attribute scores :math:`f_k(w)`, shape (n, K)."""
        return torch.tanh(w @ self.A.T + self.b) @ self.V.T + self.c

    def logits(self, w: torch.Tensor) -> torch.Tensor:
        """The classifier :math:`C`: logits :math:`f_k(w)/\\tau`."""
        return self.f(w) / self.tau

    def attrs(self, w: torch.Tensor) -> torch.Tensor:
        """Exact binary attributes :math:`a_k(w)=\\mathbb 1[f_k(w)>0]`."""
        return (self.f(w) > 0).long()


# --------------------------------------------------------------------------------------
# RealNVP density model p_phi
# --------------------------------------------------------------------------------------


class Coupling(nn.Module):
    """Affine coupling: :math:`x_b' = x_b\\,e^{s(x_a)} + t(x_a)` on the unmasked half;
    log-det = :math:`\\sum s`."""

    def __init__(self, mask: torch.Tensor, hidden: int):
        super().__init__()
        d = mask.numel()
        self.register_buffer("mask", mask)
        self.net = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, 2 * d))
        self.scale = nn.Parameter(torch.zeros(d))

    def _st(self, x):
        s, t = self.net(x * self.mask).chunk(2, dim=-1)
        s = self.scale * torch.tanh(s) * (1 - self.mask)
        return s, t * (1 - self.mask)

    def forward(self, x):
        s, t = self._st(x)
        return x * torch.exp(s) + t, s.sum(-1)

    def inverse(self, y):
        s, t = self._st(y)  # the masked half is unchanged, so s, t are recomputed exactly
        return (y - t) * torch.exp(-s)


class RealNVP(nn.Module):
    """:math:`z=g(x)`, :math:`\\log p_\\phi(x)=\\log\\mathcal N(z;0,I)+\\log\\lvert\\det
    \\partial g/\\partial x\\rvert` (change of variables)."""

    def __init__(self, dim: int, layers: int = 6, hidden: int = 64):
        super().__init__()
        masks = []
        for i in range(layers):
            m = torch.zeros(dim)
            if i % 4 in (0, 1):
                m[: dim // 2] = 1.0 if i % 2 == 0 else 0.0
                m[dim // 2:] = 0.0 if i % 2 == 0 else 1.0
            else:
                m[::2] = 1.0 if i % 2 == 0 else 0.0
                m[1::2] = 0.0 if i % 2 == 0 else 1.0
            masks.append(m)
        self.layers = nn.ModuleList(Coupling(m, hidden) for m in masks)
        self.register_buffer("mu", torch.zeros(dim))
        self.register_buffer("sd", torch.ones(dim))

    def forward(self, x):
        """Returns (z, log|det J|)."""
        z = (x - self.mu) / self.sd
        logdet = -torch.log(self.sd).sum() * torch.ones(x.shape[0], device=x.device)
        for layer in self.layers:
            z, ld = layer(z)
            logdet = logdet + ld
        return z, logdet

    def inverse(self, z):
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z * self.sd + self.mu

    def log_prob(self, x):
        z, logdet = self(x)
        return -0.5 * (z ** 2).sum(-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi) + logdet


def train_flow(world: World, cfg: Config, seed: int = 0, device="cpu") -> RealNVP:
    """Maximum likelihood on fresh samples of the world; returned frozen (eval, no grad)."""
    g = torch.Generator().manual_seed(30_000 + seed)
    torch.manual_seed(30_000 + seed)
    flow = RealNVP(cfg.dim, cfg.flow_layers, cfg.flow_hidden)
    data = world.sample(20_000, g)
    flow.mu.copy_(data.mean(0))
    flow.sd.copy_(data.std(0))
    flow = flow.to(device)
    data = data.to(device)
    opt = torch.optim.Adam(flow.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.flow_steps)
    for _ in range(cfg.flow_steps):
        idx = torch.randint(0, data.shape[0], (cfg.flow_batch,), generator=g).to(device)
        loss = -flow.log_prob(data[idx]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    flow.eval()
    for p in flow.parameters():
        p.requires_grad_(False)
    return flow


# --------------------------------------------------------------------------------------
# The AdaTrans editor
# --------------------------------------------------------------------------------------


class ConcatSquash(nn.Module):
    """:math:`h\\leftarrow L(h)\\,e^{L_s(c)}+L_b(c)` (official ``ConcatSquashLinear``)."""

    def __init__(self, hidden: int, n_cond: int):
        super().__init__()
        self.lin = nn.Linear(hidden, hidden)
        self.scale = nn.Linear(n_cond, hidden)
        self.bias = nn.Linear(n_cond, hidden, bias=False)

    def forward(self, h, c):
        return self.lin(h) * torch.exp(self.scale(c)) + self.bias(c)


class AdaTrans(nn.Module):
    """Multi-step editor: ``forward(y0, c)`` → (trajectory (T+1, n, d), step sizes (T, n),
    directions (T, n, d))."""

    def __init__(self, dim: int, n_cond: int = 1, hidden: int = 64, lstm_layers: int = 1,
                 n_blocks: int = 3, max_steps: int = 5):
        super().__init__()
        self.max_steps = max_steps
        self.input_layer = nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden),
                                         nn.ReLU(), nn.Linear(hidden, hidden))
        self.lstm = nn.LSTM(hidden, hidden, num_layers=lstm_layers)
        self.blocks = nn.ModuleList(ConcatSquash(hidden, n_cond) for _ in range(n_blocks))
        self.step_head = nn.Linear(hidden, 1)
        self.dir_head = nn.Linear(hidden, dim)

    def step(self, traj: torch.Tensor, c: torch.Tensor):
        t, n, d = traj.shape
        x = self.input_layer(traj.reshape(t * n, d)).reshape(t, n, -1)
        out, _ = self.lstm(x)
        h = out[-1]
        for block in self.blocks:
            h = F.relu(block(h, c))
        s = torch.sigmoid(self.step_head(h)).squeeze(-1)      # s_t ∈ (0, 1)
        v = self.dir_head(h)
        direction = v / v.norm(dim=-1, keepdim=True).clamp_min(1e-12)  # ‖d_t‖ = 1
        return s, direction

    def forward(self, y0: torch.Tensor, c: torch.Tensor):
        traj, steps, dirs = [y0], [], []
        for _ in range(self.max_steps):
            s, direction = self.step(torch.stack(traj), c)
            traj.append(traj[-1] + s[:, None] * direction)  # y_{t+1} = y_t + s_t d_t
            steps.append(s)
            dirs.append(direction)
        return torch.stack(traj), torch.stack(steps), torch.stack(dirs)


def targets(world: World, w0: torch.Tensor, edit: int = 0, soft: bool = False):
    """Change target = flip of the classifier's prediction on the source (official
    ``1 - (p > 0.5)``), and the keep pseudo-labels = its predictions on the source: hard labels
    (``p > 0.5``), or with ``soft=True`` its probabilities ``p`` themselves, as the official
    ``train.py`` does (``targets = sources.clone()``, only the change column thresholded), so
    that the keep loss is smallest at the source's own scores."""
    logits = world.logits(w0)
    pred = (logits > 0).float()
    change = 1.0 - pred[:, edit]
    return change, torch.sigmoid(logits) if soft else pred


def adatrans_loss(world: World, flow: RealNVP, traj, w0, change, pseudo, *, keep: list[int],
                  edit: int = 0, w_nll: float = 1.0, w_rec: float = 1.0):
    """:math:`L = L_{cls} + w_{nll} L_{nll} + w_{rec} L_{rec}` (official ``train.py``)."""
    yT = traj[-1]
    logit = world.logits(yT)
    idx = [edit, *keep]
    tgt = torch.cat([change[:, None], pseudo[:, keep]], dim=1)
    l_cls = F.binary_cross_entropy_with_logits(logit[:, idx], tgt)  # change ∪ keep
    pts = traj[1:].reshape(-1, traj.shape[-1])
    l_nll = -(flow.log_prob(pts) / traj.shape[-1]).mean()            # −log p_φ(y_t)/d, t ≥ 1
    l_rec = F.mse_loss(yT, w0)                                       # ‖y_T − y_0‖² / d
    return l_cls + w_nll * l_nll + w_rec * l_rec, {"cls": l_cls.item(), "nll": l_nll.item(),
                                                   "rec": l_rec.item()}


def train_editor(world: World, flow: RealNVP, cfg: Config, *, seed: int = 0, max_steps=None,
                 use_nll: bool = True, use_keep: bool = True, edit: int = 0, device="cpu",
                 soft_keep: bool = False):
    """Train one editor on fresh samples of the world (the paper: precomputed inversions);
    ``soft_keep``: the keep pseudo-labels are the classifier's probabilities (official), not
    its hard labels (see :func:`targets`)."""
    torch.manual_seed(40_000 + seed)
    g = torch.Generator().manual_seed(50_000 + seed)
    T = cfg.max_steps if max_steps is None else max_steps
    net = AdaTrans(cfg.dim, 1, cfg.hidden, cfg.lstm_layers, cfg.n_blocks, T).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=0.0)
    keep = [k for k in range(world.n_attr) if k != edit] if use_keep else []
    hist = []
    for _ in range(cfg.steps):
        w0 = world.sample(cfg.batch, g).to(device)
        change, pseudo = targets(world, w0, edit, soft=soft_keep)
        c = (2 * change - 1)[:, None]                                 # ±1 condition
        traj, _, _ = net(w0, c)
        loss, parts = adatrans_loss(world, flow, traj, w0, change, pseudo, keep=keep, edit=edit,
                                    w_nll=cfg.w_nll if use_nll else 0.0, w_rec=cfg.w_rec)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(parts)
    net.eval()
    return net, hist


@torch.no_grad()
def edit_adatrans(net: AdaTrans, world: World, w0: torch.Tensor, edit: int = 0):
    change, _ = targets(world, w0, edit)
    return net(w0, (2 * change - 1)[:, None])


# --------------------------------------------------------------------------------------
# InterFaceGAN baselines
# --------------------------------------------------------------------------------------


def fit_boundaries(world: World, w: np.ndarray, seed: int = 0) -> np.ndarray:
    """Unit normals of logistic-regression boundaries, one per attribute (labels from the
    exact oracle on labelled samples), shape (K, d)."""
    from sklearn.linear_model import LogisticRegression

    y = world.attrs(torch.as_tensor(w, dtype=torch.float32)).numpy()
    normals = []
    for k in range(y.shape[1]):
        clf = LogisticRegression(C=1.0, max_iter=1000, random_state=seed).fit(w, y[:, k])
        n = clf.coef_[0]
        normals.append(n / np.linalg.norm(n))
    return np.stack(normals)


def conditional_direction(normals: np.ndarray, edit: int, keep: list[int]) -> np.ndarray:
    """Conditional InterFaceGAN: the edit normal minus its projection on the span of the keep
    normals (Gram–Schmidt), renormalised."""
    basis = []
    for k in keep:
        v = normals[k].astype(np.float64).copy()
        for b in basis:
            v -= (v @ b) * b
        basis.append(v / np.linalg.norm(v))
    d = normals[edit].astype(np.float64).copy()
    for b in basis:
        d -= (d @ b) * b
    return d / np.linalg.norm(d)


def edit_linear(world: World, w0: torch.Tensor, direction: np.ndarray, alpha: float,
                edit: int = 0):
    """:math:`w' = w + \\alpha\\,\\mathrm{sign}\\,n`, the sign moving towards the target."""
    change, _ = targets(world, w0, edit)
    n = torch.as_tensor(direction, dtype=w0.dtype, device=w0.device)
    return w0 + alpha * (2 * change - 1)[:, None] * n


@torch.no_grad()
def metrics(world: World, w0: torch.Tensor, w1: torch.Tensor, edit: int = 0) -> dict:
    """Exact-oracle metrics: success (edited attribute flipped), preservation (all other
    attributes unchanged), mean exact log-density of the edit, displacement."""
    a0, a1 = world.attrs(w0), world.attrs(w1)
    keep = [k for k in range(a0.shape[1]) if k != edit]
    return {"success": (a1[:, edit] != a0[:, edit]).float().mean().item(),
            "preservation": (a1[:, keep] == a0[:, keep]).all(1).float().mean().item(),
            "logp": world.log_prob(w1).mean().item(),
            "dist": (w1 - w0).norm(dim=1).mean().item()}


def tune_alpha(world, w_val, direction, alphas, target_success=None, edit: int = 0):
    """Smallest strength reaching ``target_success`` (success-matched), else the one with
    the highest success, on a validation set."""
    succ = np.array([metrics(world, w_val, edit_linear(world, w_val, direction, a, edit),
                             edit)["success"] for a in alphas])
    if target_success is not None and (succ >= target_success).any():
        return float(alphas[int(np.argmax(succ >= target_success))]), succ
    return float(alphas[int(np.argmax(succ))]), succ


ALPHAS = np.round(np.arange(0.0, 8.01, 0.1), 2)


def run_experiment(cfg: Config, seed: int = 0, device="cpu", variants=None) -> dict:
    """Everything for one seed: world, flow, the editors (AdaTrans + ablations), the two
    InterFaceGAN baselines (success-matched to AdaTrans), exact-oracle metrics."""
    t0 = time.process_time()
    world = World(cfg, seed)
    flow = train_flow(world, cfg, seed, device)
    g = torch.Generator().manual_seed(60_000 + seed)
    w_test = world.sample(cfg.n_test, g)
    w_val = world.sample(cfg.n_test, g)
    w_lab = world.sample(cfg.n_label, g)
    held = world.sample(cfg.n_test, g)
    with torch.no_grad():
        flow_gap = ((world.log_prob(held) - flow.log_prob(held.to(device)).cpu()).mean()
                    / cfg.dim).item()
    variants = variants or {"AdaTrans": {}, "single step (T=1)": {"max_steps": 1},
                            "no NLL loss": {"use_nll": False}, "no keep loss": {"use_keep": False}}
    res, nets, hists = {}, {}, {}
    for name, kw in variants.items():
        net, hist = train_editor(world, flow, cfg, seed=seed, device=device, **kw)
        traj, steps, dirs = edit_adatrans(net, world, w_test.to(device))
        res[name] = metrics(world, w_test, traj[-1].cpu())
        nets[name], hists[name] = net, hist
    normals = fit_boundaries(world, w_lab.numpy(), seed)
    keep = list(range(1, cfg.n_attr))
    dirs_lin = {"InterFaceGAN": normals[0], "cond. InterFaceGAN": conditional_direction(
        normals, 0, keep)}
    target = res["AdaTrans"]["success"]
    curves, alphas = {}, {}
    for name, d in dirs_lin.items():
        a, _ = tune_alpha(world, w_val, d, ALPHAS, target)
        alphas[name] = a
        res[name] = metrics(world, w_test, edit_linear(world, w_test, d, a))
        curves[name] = [metrics(world, w_test, edit_linear(world, w_test, d, x)) for x in ALPHAS]
    return {"world": world, "flow": flow, "nets": nets, "hists": hists, "res": res,
            "normals": normals, "dirs_lin": dirs_lin, "alphas": alphas, "curves": curves,
            "w_test": w_test, "flow_gap": flow_gap, "cpu_s": time.process_time() - t0}


# --------------------------------------------------------------------------------------
# Real faces: the DCGAN's z-space, face-api's classifiers and face descriptor
# --------------------------------------------------------------------------------------

#: edited (face-api's expression 'happy'), kept (face-api's gender, age above the median)
FACE_ATTRS = ("happy", "male", "older")


class FaceLatent:
    r"""The DCGAN's latent space seen by the editor: the same interface as :class:`World`.
    ``log_prob`` is the *exact* density of :math:`z\sim\mathcal N(0,I_{d})`, written in polar
    coordinates (radius, direction) when ``density="polar"``: :math:`\log p(z)+(d-1)\log\lVert
    z\rVert`, whose maximum is the typical shell :math:`\lVert z\rVert=\sqrt{d-1}` (the Cartesian
    density peaks at :math:`z=0`, the untypical "average face"). ``logits`` is the classifier
    :math:`C` on the latent code: ridge regressions of face-api's scores of generated faces on
    their codes (one logit per attribute of :data:`FACE_ATTRS`)."""

    def __init__(self, W: torch.Tensor, b: torch.Tensor, density: str = "polar"):
        require(density in ("polar", "cartesian"), f"density must be polar or cartesian, got "
                f"{density!r}")
        self.W, self.b, self.density = W.float(), b.float(), density
        self.dim, self.n_attr, self.tau = W.shape[1], W.shape[0], 1.0

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.dim, generator=gen)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        lp = -0.5 * (z ** 2).sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)
        if self.density == "polar":
            lp = lp + (self.dim - 1) * torch.log(z.norm(dim=-1).clamp_min(1e-12))
        return lp

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.W.T.to(z.device) + self.b.to(z.device)

    def attrs(self, z: torch.Tensor) -> torch.Tensor:
        return (self.logits(z) > 0).long()


@torch.no_grad()
def face_readout(G, nets, z: torch.Tensor, *, batch: int = 16,
                 what=("happy", "male", "age", "id")):
    """Generate the faces of ``z`` and read them with face-api's nets: p(happy) (expression
    net), p(male) (age/gender net), 128-D descriptor (recognition net)."""
    from ..models.face_api import to_uint8_range

    rec, ag, ex = nets
    out = {k: [] for k in what}
    for i in range(0, z.shape[0], batch):
        x = to_uint8_range(G(z[i: i + batch]))
        if "happy" in what:
            out["happy"].append(torch.softmax(ex(x), 1)[:, 1])
        if "male" in what or "age" in what:
            age, gender = ag(x)
            if "male" in what:
                out["male"].append(torch.softmax(gender, 1)[:, 0])
            if "age" in what:
                out["age"].append(age)
        if "id" in what:
            out["id"].append(rec(x))
    return {k: torch.cat(v).cpu() for k, v in out.items()}


def run_faces(cfg: Config, seed: int = 0, device="cpu", *, max_steps=None, use_nll=True,
              use_keep=True, soft_keep=True) -> dict:
    """AdaTrans in the DCGAN's z-space, edited attribute 'happy' (face-api), kept 'male' and
    'older' with the classifier's probabilities on the source as pseudo-labels (official;
    ``soft_keep=False``: hard labels); against InterFaceGAN's linear direction over a grid of
    strengths; success and identity distance measured on the generated images with face-api's
    nets."""
    from ..models.dcgan import load_face_generator
    from ..models.face_api import load_nets, port_deviation

    t0 = time.process_time()
    G = load_face_generator(device=device)
    nets = load_nets("recognition", "age_gender", "expression", device=device)
    port = port_deviation(*(n.cpu() for n in nets))
    nets = tuple(n.to(device) for n in nets)
    g = torch.Generator().manual_seed(70_000 + seed)
    z_lab = torch.randn(cfg.face_n_label, 100, generator=g)
    z_test = torch.randn(cfg.face_n_test, 100, generator=g)
    lab = face_readout(G, nets, z_lab.to(device), what=("happy", "male", "age"))
    # the classifier C on z: ridge regressions of face-api's logits (happy, male) and of the
    # age around its median (in units of 4 years) on the code
    def logit(p):
        return torch.logit(p.clamp(1e-3, 1 - 1e-3))
    med_age = lab["age"].median()
    Y = torch.stack([logit(lab["happy"]), logit(lab["male"]), (lab["age"] - med_age) / 4], 1)
    Zc = torch.cat([z_lab, torch.ones(len(z_lab), 1)], 1).double()
    reg = cfg.face_ridge * torch.eye(101, dtype=torch.float64)
    reg[-1, -1] = 0
    coef = torch.linalg.solve(Zc.T @ Zc + reg, Zc.T @ Y.double()).float()
    W, b = coef[:-1].T, coef[-1]
    latent = FaceLatent(W, b, cfg.face_density)
    fcfg = cfg.replace(dim=100, steps=cfg.face_steps, lr=cfg.face_lr)
    net, hist = train_editor(latent, latent, fcfg, seed=seed, device=device,
                             max_steps=max_steps, use_nll=use_nll, use_keep=use_keep,
                             soft_keep=soft_keep)
    src = face_readout(G, nets, z_test.to(device))
    target = (src["happy"] <= 0.5).float()                  # flip face-api's label
    c = (2 * target - 1)[:, None]
    with torch.no_grad():
        traj, steps, _ = net(z_test.to(device), c.to(device))
    z_ada = traj[-1].cpu()
    ada = face_readout(G, nets, z_ada.to(device))

    def identity(r):  # descriptor distance of every test face to its source
        return (r["id"] - src["id"]).norm(dim=1)

    def summary(r, z1):
        return {"success": ((r["happy"] > 0.5).float() == target).float().mean().item(),
                "identity": identity(r).mean().item(),
                "male kept": ((r["male"] > 0.5) == (src["male"] > 0.5)).float().mean().item(),
                "age change": (r["age"] - src["age"]).abs().mean().item(),
                "dist": (z1 - z_test).norm(dim=1).mean().item(),
                "norm": z1.norm(dim=1).mean().item()}

    res = {"AdaTrans": summary(ada, z_ada)}
    n_lin = latent.W[0] / latent.W[0].norm()
    curve, reads = [], []
    for a in cfg.face_alphas:
        z1 = z_test + a * c * n_lin
        reads.append(face_readout(G, nets, z1.to(device)))
        curve.append({"alpha": float(a), **summary(reads[-1], z1)})
    res["InterFaceGAN"] = match_success(curve, res["AdaTrans"]["success"])
    # paired standard error of the identity gap at matched success (per-face interpolation)
    per_face = [{"success": m["success"], "id": identity(r)}
                for m, r in zip(curve, reads, strict=True)]
    lin_face = match_success(per_face, res["AdaTrans"]["success"])["id"]
    gap = None if lin_face is None else lin_face - identity(ada)
    res["identity gap se"] = None if gap is None else (gap.std() / math.sqrt(len(gap))).item()
    k = min(cfg.face_show, z_test.shape[0])
    alpha = res["InterFaceGAN"]["alpha"]
    alpha = cfg.face_alphas[-1] if alpha is None else alpha
    with torch.no_grad():
        show = {"source": G(z_test[:k].to(device)).cpu(), "AdaTrans": G(z_ada[:k].to(device)).cpu(),
                "InterFaceGAN": G((z_test[:k] + alpha * c[:k] * n_lin).to(device)).cpu(),
                "c": c[:k, 0].tolist()}
    return {"res": res, "curve": curve, "z_test": z_test, "z_ada": z_ada, "traj": traj.cpu(),
            "steps": steps.cpu(), "c": c, "n_lin": n_lin, "net": net, "latent": latent,
            "label_rate": (Y[:, :2] > 0).float().mean(0).numpy(), "hist": hist, "show": show,
            "port": port, "cpu_s": time.process_time() - t0}


def match_success(curve: list[dict], target: float) -> dict:
    """The linear edit at success ``target``: linear interpolation along the strength grid
    between the last strength below and the first at or above it (``None`` values if the grid
    never reaches it)."""
    succ = [m["success"] for m in curve]
    for i, s in enumerate(succ):
        if s >= target:
            if i == 0:
                return dict(curve[0])
            lo, hi = curve[i - 1], curve[i]
            f = (target - lo["success"]) / max(hi["success"] - lo["success"], 1e-12)
            return {k: lo[k] + f * (hi[k] - lo[k]) for k in hi}
    return {k: None for k in curve[0]}
