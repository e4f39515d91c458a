"""Oracles for nonlinlab.papers.batchnorm_only (fast: a few seconds)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import batchnorm_only as P


def tiny_data(n_train=512, n_test=256, side=8, seed=0, noise=1.0) -> P.Data:
    """Ten noisy prototype 'images', one per class: separable, but only after training."""
    g = torch.Generator().manual_seed(seed)
    n = n_train + n_test
    y = torch.randint(0, 10, (n,), generator=g)
    proto = torch.randn(10, 1, side, side, generator=g)
    x = proto[y] + noise * torch.randn(n, 1, side, side, generator=g)
    return P.Data(x[:n_train], y[:n_train], x[n_train:], y[n_train:], "blobs")


def test_batchnorm_matches_the_hand_formula():
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(5).train()
    with torch.no_grad():
        bn.weight.uniform_(0, 1)
        bn.bias.normal_()
    x = 3 * torch.randn(16, 5, 4, 4) + 1
    ref = P.batchnorm_reference(x, bn.weight, bn.bias)
    assert float((bn(x) - ref).detach().abs().max()) < 1e-5


def test_architecture_matches_open_lth_counts():
    # open_lth cifar_resnet_20 (3 input channels, W=16): 0.27 M parameters
    net = P.ResNet(3, 16, in_channels=3)
    assert sum(p.numel() for p in net.parameters()) == 272_474
    assert net.n_layers == 20
    # BatchNorm channels of ResNet-20: stem 16 + 6·16 + (6·32 + 32 shortcut) + (6·64 + 64)
    assert P.batchnorm_parameter_count(net) == 2 * (16 + 96 + 224 + 448)
    out = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10)
    with pytest.raises(ValueError, match="expected images"):
        net(torch.randn(2, 1, 32, 32))


def test_init_follows_open_lth():
    net = P.make_resnet(2, 8, 1, seed=0)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    gam = torch.cat([m.weight.detach() for m in bns])
    bet = torch.cat([m.bias.detach() for m in bns])
    assert 0 <= float(gam.min()) and float(gam.max()) <= 1 and float(bet.abs().max()) == 0
    w = net.blocks[2].conv2.weight.detach()  # 16 → 16 filters, fan-in 144
    assert abs(float(w.std()) - (2 / 144) ** 0.5) < 0.01
    same = P.make_resnet(2, 8, 1, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), same.parameters(),
                                                  strict=True))


def test_masks_give_equal_counts_and_two_per_channel():
    net = P.make_resnet(2, 8, 1, seed=0)
    g = torch.Generator().manual_seed(0)
    counts = {r: P.count_trainable(P.trainable_masks(net, r, g)) for r in P.REGIMES}
    n_bn = P.batchnorm_parameter_count(net)
    assert counts["bn"] == counts["random"] == n_bn
    assert counts["out"] == 32 * 10 + 10
    assert counts["bn+out"] == counts["random+out"] == n_bn + 330
    assert counts["all"] == sum(p.numel() for p in net.parameters())
    masks = P.trainable_masks(net, "random", g)
    for name, p in net.named_parameters():
        if p.dim() == 4:
            per_channel = masks[name].flatten(1).sum(1)
            assert torch.equal(per_channel, torch.full_like(per_channel, 2.0)), name
        else:
            assert float(masks[name].sum()) == 0, name
    with pytest.raises(ValueError, match="unknown regime"):
        P.trainable_masks(net, "bn-only")


def test_masked_sgd_equals_torch_sgd_with_frozen_tensors():
    """Peer oracle: BatchNorm-only with our masked SGD vs open_lth-style freezing
    (requires_grad=False on every non-BatchNorm tensor) and torch.optim.SGD."""
    data = tiny_data()
    ours = P.make_resnet(1, 4, 1, seed=3)
    peer = copy.deepcopy(ours)
    bn_names = set(P.batchnorm_names(peer))
    for name, p in peer.named_parameters():
        p.requires_grad_(name in bn_names)
    opt = torch.optim.SGD([p for p in peer.parameters() if p.requires_grad], lr=0.1,
                          momentum=0.9, weight_decay=1e-4)
    masks = P.trainable_masks(ours, "bn")
    params = dict(ours.named_parameters())
    active = [k for k in params if float(masks[k].sum()) > 0]
    buffers = {}
    for step in range(6):
        idx = torch.arange(step * 32, (step + 1) * 32)
        x, y = data.x_train[idx], data.y_train[idx]
        g = torch.autograd.grad(F.cross_entropy(ours(x), y), [params[k] for k in active])
        P.masked_sgd_step(params, dict(zip(active, g, strict=True)), masks, buffers, 0.1,
                          0.9, 1e-4)
        opt.zero_grad()
        F.cross_entropy(peer(x), y).backward()
        opt.step()
    for (name, a), b in zip(ours.named_parameters(), peer.parameters(), strict=True):
        assert float((a - b).detach().abs().max()) < 1e-6, name
    assert not torch.equal(ours.bn.weight, P.make_resnet(1, 4, 1, seed=3).bn.weight)


def test_weight_decay_never_moves_frozen_entries_of_a_partly_trainable_tensor():
    w = {"w": torch.ones(4)}
    m = {"w": torch.tensor([1.0, 0.0, 0.0, 1.0])}
    buf = {}
    for _ in range(3):
        P.masked_sgd_step(w, {"w": torch.ones(4)}, m, buf, 0.1, 0.9, 0.5)
    assert torch.equal(w["w"][1:3], torch.ones(2)) and float(w["w"][0]) < 1


def test_training_freezes_exactly_what_the_regime_says_and_bn_learns():
    """Mutation guard: BatchNorm-only must beat the frozen network it starts from, move every
    γ/β and nothing else; the random control moves only its 2 weights per channel."""
    data = tiny_data(noise=0.5)
    cfg = P.Config(side=14, width=8, depth=1, depths=(1, 2), epochs=4, batch_size=32,
                   regimes=("bn", "random"), eval_batch=256)
    frozen = P.untrained_accuracy(cfg, data, seed=0)
    bn = P.train_regime(cfg, data, "bn", seed=0)
    rnd = P.train_regime(cfg, data, "random", seed=0)
    assert bn.frozen_unchanged and rnd.frozen_unchanged
    assert bn.n_trainable == rnd.n_trainable == P.batchnorm_parameter_count(
        P.ResNet(1, 8)) == 2 * (8 + 2 * 8 + 3 * 16 + 3 * 32)
    assert bn.changed_trainable == bn.n_trainable  # every γ and β moved
    assert rnd.changed_trainable == rnd.n_trainable
    assert np.array_equal(rnd.gammas, rnd.gammas_init)  # γ frozen in the random control
    assert bn.accuracy > max(frozen, 0.1) + 0.4, (bn.accuracy, frozen)  # seeds 0-3: 0.70-0.79


def test_lr_schedule_and_config_errors():
    cfg = P.Config()
    total = 100
    assert P.lr_at(0, total, cfg) == cfg.lr
    assert P.lr_at(50, total, cfg) == pytest.approx(cfg.lr * 0.1)
    assert P.lr_at(99, total, cfg) == pytest.approx(cfg.lr * 0.01)
    with pytest.raises(ValueError, match="regimes"):
        P.Config(regimes=("all",))
    with pytest.raises(ValueError, match="depths"):
        P.Config(depth=3, depths=(1, 2))


def test_augment_keeps_shape_and_is_seeded():
    x = torch.randn(5, 3, 32, 32)
    a = P._augment(x, torch.Generator().manual_seed(0))
    b = P._augment(x, torch.Generator().manual_seed(0))
    assert a.shape == x.shape and torch.equal(a, b)


def test_budgets_on_paper():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
