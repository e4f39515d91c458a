"""Tests of the NeRA adapter (official kan.py) and its teacher–student experiment."""

import numpy as np
import pytest
import torch
from torch import nn

from nonlinlab.papers import nera_kan_adapter as p


def _nera(d_in=5, d_out=3, r=2, knots=8, **kw):
    torch.manual_seed(0)
    return p.NeRALinear(nn.Linear(d_in, d_out), r, knots, **kw)


def test_hat_basis_is_linear_interpolation():
    # knots on an integer grid (spacing 1), s = 1, one-hot read-out: z = np.interp of c
    m = _nera(d_in=1, d_out=1, r=1, knots=7)
    grid = np.arange(-3.0, 4.0)
    vals = np.random.default_rng(0).normal(size=7)
    with torch.no_grad():
        m.knots.copy_(torch.as_tensor(grid, dtype=torch.float32)[None])
        m.coeff.copy_(torch.as_tensor(vals, dtype=torch.float32).reshape(1, 7, 1))
        m.readout.fill_(1.0)
        m.alpha.fill_(1.0)
    x = np.linspace(-3, 3, 101)
    with torch.no_grad():
        z = m.delta(torch.as_tensor(x, dtype=torch.float32)[:, None]).numpy()[:, 0]
    np.testing.assert_allclose(z, np.interp(x, grid, vals), atol=1e-6)


def test_saturation_outside_support():
    m = _nera()
    x = torch.full((4, 5), 5.0)  # > max t + 1 = 4
    with torch.no_grad():
        assert torch.equal(m(x), m.base(x))


def test_param_count_and_lora_rank():
    m = _nera(d_in=32, d_out=32, r=4, knots=8)
    assert p.n_trainable(m) == p.nera_param_count(32, 32, 4, 8) == 1441
    assert p.lora_equal_rank(32, 32, 4, 8) == 23


def test_near_null_start_and_shapes():
    m = _nera(d_in=16, d_out=8, r=4)
    x = torch.randn(3, 7, 16)
    y = m(x)
    assert y.shape == (3, 7, 8)
    with torch.no_grad():
        b = m.base(x)
    assert float((y - b).detach().norm() / b.norm()) < 0.05


def test_gradcheck_float64():
    m = _nera(d_in=3, d_out=2, r=2, knots=4).double()
    x = torch.tensor([[0.13, -0.71, 1.37], [2.21, 0.47, -1.93]], dtype=torch.float64,
                     requires_grad=True)  # away from the kinks t_k ± 1, t_k
    assert torch.autograd.gradcheck(lambda v: m(v), (x,))


def test_identity_basis_is_affine():
    m = _nera(basis="identity")
    x1, x2 = torch.randn(4, 5), torch.randn(4, 5)
    with torch.no_grad():
        d = lambda v: m.delta(v) - m.delta(torch.zeros(1, 5))  # noqa: E731
        torch.testing.assert_close(d(x1 + x2), d(x1) + d(x2), atol=1e-5, rtol=1e-4)


def test_bad_inputs():
    with pytest.raises(ValueError):
        p.NeRALinear(nn.Conv1d(1, 1, 1))
    with pytest.raises(ValueError):
        _nera(basis="cubic")
    with pytest.raises(ValueError):
        _nera()(torch.randn(2, 4))
    with pytest.raises(ValueError):
        p.make_task("quadratic", p.CONFIGS.ci, 0)


def test_oracles_and_tiny_run():
    cfg = p.CONFIGS.ci.replace(d=8, teacher_rank=2, n_train=300, n_test=300, steps=60)
    out = p.run_experiment(cfg, seed=0, tasks=("linear",))["linear"]
    assert out["linear_oracle"] < 1e-10
    st = out["students"]
    assert st["dense ΔW"]["final"] < 0.3 and st["frozen base"]["final"] > 0.5
    task = p.make_task("nonlinear", cfg, 0)
    # the frozen-knot NeRA family contains additive functions: it beats the best linear map
    assert p.frozen_knot_oracle(task, cfg) < 0.5 * p.linear_oracle(task)


def test_configs_and_estimate():
    assert p.estimate_seconds(p.CONFIGS.ci) <= 60
    assert p.estimate_seconds(p.CONFIGS.full) <= 20 * 60


def test_outline_style_values():
    x = torch.tensor([-1.0, 0.0, 1.0])
    torch.testing.assert_close(p.outline_style(x), torch.tensor([-1.0, 1.0, -1.0]), atol=1e-6,
                               rtol=0)


def test_adapted_generator_starts_at_base_and_freezes_it():
    torch.manual_seed(0)
    base = p.CondVelocity(64, 32)
    cfg = p.CONFIGS.ci
    x, t, c = torch.randn(6, 64), torch.rand(6), torch.arange(6)
    with torch.no_grad():
        y0 = base(x, t, c)
    counts = {}
    for kind in p.GEN_ADAPTERS:
        m = p.adapt_generator(base, kind, cfg, seed=0)
        counts[kind] = p.n_trainable(m)
        with torch.no_grad():
            y = m(x, t, c)
        if kind in ("LoRA (equal params)", "frozen base"):
            torch.testing.assert_close(y, y0)  # B = 0 / no adapter
        elif kind == "NeRA":
            assert float((y - y0).norm() / y0.norm()) < 0.05
        frozen = [n for n, q in m.named_parameters() if not q.requires_grad]
        assert all(".base." in n or kind == "frozen base" for n in frozen)
    assert counts["frozen base"] == 0
    assert abs(counts["LoRA (equal params)"] / counts["NeRA"] - 1) < 0.05
    with pytest.raises(ValueError):
        p.adapt_generator(base, "DoRA", cfg, seed=0)
    with pytest.raises(ValueError):
        base(x[:, :10], t, c)


def test_tiny_generative_run():
    from nonlinlab.data.digits import load_digits

    d = load_digits()
    cfg = p.CONFIGS.ci.replace(gen_width=16, gen_pre_steps=20, gen_adapt_steps=10, gen_batch=32,
                               gen_euler=2, gen_samples=200, gen_clf_steps=20)
    out = p.generative_experiment(p.digits_to_unit(d.x), torch.as_tensor(d.labels), cfg, seed=0,
                                  adapters=("LoRA (equal params)", "frozen base"))
    r = out["results"]
    assert r["frozen base"]["params"] == 0 and len(r["LoRA (equal params)"]["curve"]) == 10
    assert all(np.isfinite(v["fd"]) and np.isfinite(v["val_loss"]) for v in r.values())
    # adapter training lowers the held-out loss below the frozen generator's
    assert r["LoRA (equal params)"]["val_loss"] < r["frozen base"]["val_loss"]


def test_ink_prompt_meanings_and_rendering():
    a = torch.tensor([-2.0, 0.0, 2.0])
    torch.testing.assert_close(p.ink_source(a, 2.0), torch.tensor([0.2, 0.6, 1.0]))
    torch.testing.assert_close(p.ink_target(a, 2.0), torch.tensor([1.0, 0.2, 1.0]))
    x = torch.tensor([[-1.0, 0.0, 1.0]]).repeat(2, 1)  # ink 0, 1/2, 1
    y = p.render_ink(x, torch.tensor([1.0, 0.5]))
    torch.testing.assert_close(y, torch.tensor([[-1.0, 0.0, 1.0], [-1.0, -0.5, 0.0]]))


def test_prompt_conditioned_generator_and_adapters():
    torch.manual_seed(0)
    base = p.CondVelocity(64, 32, n_scalars=1)
    x, t, c, a = torch.randn(5, 64), torch.rand(5), torch.arange(5), torch.randn(5)
    with torch.no_grad():
        y0 = base(x, t, (c, a))
        assert not torch.equal(y0, base(x, t, (c, a + 1)))  # the prompt is an input
    m = p.adapt_generator(base, "LoRA (equal params)", p.CONFIGS.ci, seed=0)
    assert m.n_scalars == 1
    with torch.no_grad():
        torch.testing.assert_close(m(x, t, (c, a)), y0)


def test_tiny_ink_run_selects_lr_on_validation():
    from nonlinlab.data.digits import load_digits

    d = load_digits()
    cfg = p.CONFIGS.ci.replace(gen_width=16, ink_pre_steps=20, ink_adapt_steps=10, gen_batch=32,
                               gen_euler=2, ink_lrs_lora=(1e-9, 3e-3))
    out = p.ink_experiment(p.digits_to_unit(d.x), torch.as_tensor(d.labels), cfg, seed=0,
                           adapters=("LoRA (equal params)", "frozen base"))
    r = out["results"]
    assert r["LoRA (equal params)"]["lr"] == 3e-3  # a vanishing lr cannot win on validation
    assert r["frozen base"]["params"] == 0
    assert all(np.isfinite(v["loss"]) and 0 <= v["align_err"] < 1 for v in r.values())
    assert r["LoRA (equal params)"]["loss"] < r["frozen base"]["loss"]
