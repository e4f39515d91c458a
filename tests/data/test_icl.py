import pytest
import torch

from nonlinlab.data.icl import sample_linear_tasks


def test_shapes_and_targets_are_linear():
    g = torch.Generator().manual_seed(0)
    t = sample_linear_tasks(8, 5, 3, generator=g, dtype=torch.float64)
    assert t.x.shape == (8, 5, 3) and t.y.shape == (8, 5) and t.w.shape == (8, 3)
    assert t.x_query.shape == (8, 3) and t.y_query.shape == (8,)
    assert (t.batch, t.n, t.dim) == (8, 5, 3)
    torch.testing.assert_close(t.y, torch.einsum("bnd,bd->bn", t.x, t.w))
    torch.testing.assert_close(t.y_query, (t.x_query * t.w).sum(-1))


def test_uniform_inputs_respect_range_and_seed():
    a = sample_linear_tasks(64, 10, 4, x_dist="uniform", x_range=1.0,
                            generator=torch.Generator().manual_seed(1))
    b = sample_linear_tasks(64, 10, 4, x_dist="uniform", x_range=1.0,
                            generator=torch.Generator().manual_seed(1))
    assert a.x.abs().max() <= 0.5
    torch.testing.assert_close(a.x, b.x)


def test_noise_and_moments():
    t = sample_linear_tasks(20000, 4, 2, noise=0.5, generator=torch.Generator().manual_seed(2))
    resid = t.y - torch.einsum("bnd,bd->bn", t.x, t.w)
    assert abs(resid.std().item() - 0.5) < 0.02
    assert abs(t.w.var().item() - 1.0) < 0.05


@pytest.mark.parametrize("kw", [{"batch": 0}, {"noise": -1.0}, {"x_dist": "laplace"}])
def test_bad_input(kw):
    args = {"batch": 2, "n": 3, "dim": 2} | kw
    with pytest.raises(ValueError):
        sample_linear_tasks(**args)
