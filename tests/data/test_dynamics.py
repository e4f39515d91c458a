"""Tests for nonlinlab.data.dynamics: the dysts catalogue re-bound to torch, our RK4 against
scipy's DOP853, trajectories, maps and preprocessing."""

import numpy as np
import pytest
import torch

from nonlinlab.data import dynamics as D


def test_catalogue_is_large_and_torch_fields_match_numpy():
    names = D.flow_names()
    assert len(names) >= 120 and len(D.flow_names(torch_only=False)) >= 129
    assert {"Lorenz", "Rossler", "Lorenz96", "Hopfield", "Chua"} <= set(names)
    # re-check a few by hand, at random points and in float32 too
    rng = np.random.default_rng(0)
    for name in ["Lorenz", "Rossler", "Lorenz96", "MacArthur", "DoublePendulum"]:
        f, fnp = D.vector_field(name), D.numpy_vector_field(name)
        ic = np.asarray(D.flow_metadata(name)["initial_conditions"], dtype=float)
        xs = ic + 0.1 * rng.standard_normal((4, ic.size))
        got = f(torch.tensor(xs), 0.7).numpy()
        ref = np.stack([fnp(0.7, x) for x in xs])
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
        assert f(torch.tensor(xs, dtype=torch.float32)).dtype == torch.float32


def test_autograd_jacobian_matches_dysts_analytic_jacobians():
    from nonlinlab.data.dynamics_metrics import autograd_jacobian

    checked = 0
    for name in ["Lorenz", "Rossler", "Lorenz84", "Chen", "Thomas", "Aizawa", "Halvorsen"]:
        obj = D._dysts_instance(name, "flow", None)
        if not obj.has_jacobian():
            continue
        f = D.vector_field(name)
        x = np.asarray(obj.ic, dtype=float)
        J = autograd_jacobian(f, torch.tensor(x[None]), 0.0)[0].numpy()
        np.testing.assert_allclose(J, np.asarray(obj.jac(x, 0.0), dtype=float), atol=1e-10)
        checked += 1
    assert checked >= 5


def test_metadata_params_and_errors():
    meta = D.flow_metadata("Lorenz")
    assert meta["parameters"] == {"beta": 2.667, "rho": 28, "sigma": 10}
    assert meta["embedding_dimension"] == 3 and meta["period"] > 0
    f = D.vector_field("Lorenz", {"rho": 10.0})
    assert float(f.params["rho"]) == 10.0
    x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    assert f(x)[0, 1].item() == pytest.approx(10.0 * 1 - 1 * 3 - 2)
    with pytest.raises(ValueError, match="unknown flow"):
        D.vector_field("NoSuchSystem")
    with pytest.raises(ValueError, match="no parameters"):
        D.vector_field("Lorenz", {"gamma": 1.0})
    with pytest.raises(ValueError, match="3-dimensional"):
        f(torch.zeros(2, 4))


@pytest.mark.parametrize("name", ["Lorenz", "Rossler"])
def test_rk4_matches_dop853_with_fourth_order_convergence(name):
    f = D.vector_field(name)
    x0 = torch.tensor(D.flow_metadata(name)["initial_conditions"], dtype=torch.float64)
    horizon = 1.0
    errors = []
    for dt in (0.01, 0.005):
        n = int(round(horizon / dt))
        ours = D.rk4(f, x0, dt, n).numpy()
        ref = D.solve_ivp_reference(name, x0, np.linspace(0, horizon, n + 1))
        errors.append(np.abs(ours - ref).max())
    assert errors[1] < 1e-4
    assert 10 < errors[0] / errors[1] < 22  # 2^4 = 16: fourth order
    # substeps: 10 substeps of 0.001 ~ the fine solution at 0.01 spacing
    fine = D.rk4(f, x0, 0.01, 100, substeps=10).numpy()
    ref = D.solve_ivp_reference(name, x0, np.linspace(0, 1, 101))
    assert np.abs(fine - ref).max() < 1e-7


def test_rk4_batched_shapes_and_autograd():
    f = D.vector_field("Lorenz")
    x0 = torch.randn(2, 5, 3, dtype=torch.float64, requires_grad=True)
    tr = D.rk4(f, x0, 0.01, 7)
    assert tr.shape == (2, 5, 8, 3)
    assert torch.equal(tr[..., 0, :], x0)
    tr[..., -1, :].sum().backward()
    assert x0.grad is not None and torch.isfinite(x0.grad).all()
    assert D.rk4(f, x0.detach(), 0.01, 3, keep_initial=False).shape == (2, 5, 3, 3)
    with pytest.raises(ValueError):
        D.rk4(f, x0, -0.1, 3)


def test_simulate_flow_transient_batch_and_determinism():
    g = torch.Generator().manual_seed(0)
    a = D.simulate_flow("Lorenz", 500, dt=0.01, batch=3, transient=300, generator=g)
    b = D.simulate_flow("Lorenz", 500, dt=0.01, batch=3, transient=300,
                        generator=torch.Generator().manual_seed(0))
    assert a.shape == (3, 500, 3) and torch.equal(a, b)
    # on the attractor: z stays in its usual range, different ics give different states
    assert 0 < a[..., 2].min() and a[..., 2].max() < 55
    assert (a[0] - a[1]).abs().max() > 1
    single = D.simulate_flow("Rossler", 50, transient=10)
    assert single.shape == (50, 3)
    dt, sub = D.default_sampling("Lorenz")
    assert dt == pytest.approx(D.flow_metadata("Lorenz")["period"] / 100) and sub >= 1
    x0 = torch.tensor([1.0, 1.0, 1.0])
    tr = D.simulate_flow("Lorenz", 5, dt=0.01, x0=x0, transient=0, dtype=torch.float64)
    np.testing.assert_allclose(tr[0].numpy(), [1.0, 1.0, 1.0])


def test_maps_known_forms_and_orbits():
    x = torch.tensor([[0.3, 0.2]], dtype=torch.float64)
    np.testing.assert_allclose(D.map_step("henon")(x).numpy(), [[1 - 1.4 * 0.09 + 0.2, 0.09]])
    np.testing.assert_allclose(D.map_step("lozi")(x).numpy(), [[1 - 1.7 * 0.3 + 0.2, 0.15]])
    np.testing.assert_allclose(D.map_step("logistic")(torch.tensor([[0.25]])).numpy(), [[0.75]])
    assert D.map_step("logistic", {"r": 3.2}).params["r"] == 3.2
    names = D.map_names()
    assert {"logistic", "henon", "lozi", "tent", "Ikeda", "Henon"} <= set(names)
    # dysts' Henon equals ours
    ours, theirs = D.map_step("henon"), D.map_step("Henon")
    np.testing.assert_allclose(ours(x).numpy(), theirs(x).numpy(), rtol=1e-12)
    orbit = D.simulate_map("lozi", 200, batch=4, generator=torch.Generator().manual_seed(1))
    assert orbit.shape == (4, 200, 2) and orbit.abs().max() < 3
    assert D.iterate_map(ours, x, 3).shape == (1, 4, 2)
    with pytest.raises(ValueError, match="unknown map"):
        D.map_step("nope")


def test_standardize_and_split():
    x = torch.randn(4, 100, 3, dtype=torch.float64) * 5 + 2
    z, m, s = D.standardize(x)
    flat = z.reshape(-1, 3)
    np.testing.assert_allclose(flat.mean(0).numpy(), 0, atol=1e-12)
    np.testing.assert_allclose(flat.std(0).numpy(), 1, atol=1e-9)
    torch.testing.assert_close(z * s + m, x)
    z2, _, _ = D.standardize(x[:1], m, s)
    torch.testing.assert_close(z2, z[:1])
    tr, te = D.train_test_split(x, 0.2, gap=5)
    assert tr.shape == (4, 75, 3) and te.shape == (4, 20, 3)
    assert torch.equal(te, x[:, 80:])
    with pytest.raises(ValueError):
        D.train_test_split(x, 1.5)


def test_rebind_sees_through_a_jit_dispatcher():
    """With numba installed (as on Colab) dysts' right-hand sides are CPUDispatcher objects;
    the torch re-binding must use the Python function behind them (``py_func``)."""
    from nonlinlab.data.dynamics import _rebind

    def rhs(x):
        return np.sin(x)

    class Dispatcher:  # the one attribute of numba's CPUDispatcher that _rebind relies on
        py_func = rhs

    x = torch.linspace(0, 1, 5, dtype=torch.float64, requires_grad=True)
    y = _rebind(Dispatcher())(x)
    assert isinstance(y, torch.Tensor) and y.requires_grad
    assert torch.allclose(y, torch.sin(x))
