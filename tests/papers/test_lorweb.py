"""Oracles for nonlinlab.papers.lorweb (fast: no training)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nonlinlab.core import BUDGET_S
from nonlinlab.models.lora import LoRALinear
from nonlinlab.papers import lorweb as P


def trained_like(m: P.AttLoRALinear, seed=0):
    """Give B (zero at init) random values, as after training."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        m.B.copy_(torch.randn(m.B.shape, generator=g) * 0.1)
    return m


def layer(n=5, r=2, d_in=12, d_out=7, dk=8, dq=9, heads=1, seed=0):
    torch.manual_seed(seed)
    return P.AttLoRALinear(nn.Linear(d_in, d_out), n, r, dk, dq, heads=heads,
                           generator=torch.Generator().manual_seed(seed))


def test_zero_start_equals_frozen_editor():
    ed = P.Editor(32)
    enc = P.Encoder(16, 0)
    model = P.AdaptedEditor(ed, enc, n_loras=4, rank=2, key_dim=8)
    x = torch.rand(10, 3, 256)
    assert torch.equal(model(x[:, 0], x[:, 1], x[:, 2]), ed(x[:, 0], x[:, 1], x[:, 2]))


@pytest.mark.parametrize("heads", [1, 2])
def test_softmax_mixing_is_convex_and_is_sdpa_with_identity_values(heads):
    m = layer(heads=heads)
    q = torch.randn(20, 9) * 3
    c = m.coefficients(q)
    assert (c >= 0).all()
    torch.testing.assert_close(c.sum(1), torch.ones(20), atol=1e-6, rtol=0)
    # official trick: scaled-dot-product attention of the projected query on the keys with
    # identity values returns the softmax weights
    dh = 8 // heads
    qh = m.Wq(q).view(20, heads, 1, dh)
    kh = m.keys.view(5, heads, dh).transpose(0, 1)[None].expand(20, -1, -1, -1)
    eye = torch.eye(5)[None, None].expand(20, heads, -1, -1)
    ref = F.scaled_dot_product_attention(qh, kh, eye).squeeze(2).mean(1)
    torch.testing.assert_close(c, ref, atol=1e-6, rtol=0)


def test_merged_weight_equivalence_numpy():
    m = trained_like(layer())
    x, q = torch.randn(6, 12), torch.randn(6, 9)
    m.query = q
    y = m(x).detach().numpy()
    c = m.coefficients(q).detach().numpy()
    A, B = m.A.detach().numpy(), m.B.detach().numpy()
    W0, b0 = m.base.weight.detach().numpy(), m.base.bias.detach().numpy()
    for i in range(6):
        W = W0 + m.scaling * sum(c[i, n] * (A[n] @ B[n]).T for n in range(5))
        np.testing.assert_allclose(y[i], W @ x[i].numpy() + b0, atol=1e-5)
    Wt = m.merged_weight(m.coefficients(q)).detach()
    np.testing.assert_allclose(torch.einsum("boi,bi->bo", Wt, x).numpy() + b0, y, atol=1e-5)


def test_single_element_equals_shared_lora_and_peft():
    peft = pytest.importorskip("peft")
    m = trained_like(layer(n=1, r=3))
    x = torch.randn(4, 12)
    m.query = torch.randn(4, 9)
    y = m(x)
    ref = LoRALinear(m.base, rank=3)
    with torch.no_grad():
        ref.lora_A.copy_(m.A[0].T)
        ref.lora_B.copy_(m.B[0].T)
    torch.testing.assert_close(y, ref(x), atol=1e-6, rtol=0)
    net = nn.Sequential()
    net.add_module("lin", nn.Linear(12, 7))
    net.lin.load_state_dict(m.base.state_dict())
    pm = peft.get_peft_model(net, peft.LoraConfig(r=3, lora_alpha=3, target_modules=["lin"],
                                                  lora_dropout=0.0))
    lin = pm.base_model.model.lin
    with torch.no_grad():
        lin.lora_A["default"].weight.copy_(m.A[0].T)
        lin.lora_B["default"].weight.copy_(m.B[0].T)
    torch.testing.assert_close(y, pm(x), atol=1e-6, rtol=0)


def test_fixed_coefficients_and_param_counts():
    m = trained_like(layer())
    x = torch.randn(3, 12)
    m.query = torch.randn(3, 9)
    c = torch.softmax(torch.randn(5), 0)
    m.fixed_coeffs = c[None]
    W = m.merged_weight(c[None])[0]
    torch.testing.assert_close(m(x), x @ W.T + m.base.bias, atol=1e-5, rtol=0)
    assert m.n_params() == 5 * 2 * (12 + 7) + 5 * 8 + 9 * 8
    ed = P.Editor(32)
    assert P.matched_rank(ed, 3 * (768 + 32 + 32 + 32 + 32 + 256)) == 3


def test_operators_and_analogies():
    x = np.random.default_rng(0).random((5, 16, 16)).astype(np.float32)
    for f in list(P.TRAIN_OPS.values()) + list(P.HELDOUT_OPS.values()):
        assert f(x).shape == x.shape
    np.testing.assert_allclose(P.HELDOUT_OPS["rot 180"](x), P.TRAIN_OPS["h-flip"](
        P.TRAIN_OPS["v-flip"](x)))
    a, a2, b, b2, k = P.make_analogies(x, P.TRAIN_OPS, 4, np.random.default_rng(0))
    assert a.shape == (4 * len(P.TRAIN_OPS), 256) and k.max() == len(P.TRAIN_OPS) - 1
    assert not any(torch.equal(a[i], b[i]) for i in range(len(a)))


def test_bad_input_and_budgets():
    with pytest.raises(ValueError):
        P.AttLoRALinear(nn.Conv1d(2, 2, 1), 2, 1, 4, 4)
    with pytest.raises(ValueError):
        P.Config(key_dim=6, heads=4)
    m = layer()
    with pytest.raises(ValueError, match="query"):
        m(torch.randn(2, 12))
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60.0
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
