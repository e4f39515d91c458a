"""FNO spectral convolutions vs an explicit DFT, resolution independence, autograd derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.models import operators as op


def band_limited(n, channels=2, batch=3, modes=5, seed=0):
    g = np.random.default_rng(seed)
    x = np.arange(n) / n
    a, b = g.normal(size=(2, batch, channels, modes))
    k = np.arange(modes)
    v = (a[..., None] * np.cos(2 * np.pi * k[:, None] * x) +
         b[..., None] * np.sin(2 * np.pi * k[:, None] * x)).sum(-2)
    return torch.tensor(v)


def test_spectral_conv1d_equals_an_explicit_fourier_multiplier():
    torch.manual_seed(0)
    layer = op.SpectralConv1d(2, 3, modes=4)
    v = torch.randn(2, 2, 16, dtype=torch.float64)
    y = layer(v)
    n = np.arange(16)
    F = np.exp(-2j * np.pi * np.outer(np.arange(4), n) / 16) / 16  # c_k = (1/N) Σ v_n e^{-ikx}
    c = np.einsum("kn,bin->bik", F, v.numpy())
    out = np.einsum("bik,iok->bok", c, layer.weight.detach().numpy().astype(np.complex128))
    want = out[..., :1].real + 2 * np.einsum("bok,kn->bon", out[..., 1:],
                                             np.exp(2j * np.pi * np.outer(np.arange(1, 4), n)
                                                    / 16)).real
    assert np.abs(y.detach().numpy() - want).max() < 1e-6
    with pytest.raises(ValueError):
        layer(torch.randn(2, 3, 16))
    with pytest.raises(ValueError, match="fewer than"):
        layer(torch.randn(1, 2, 4))


def test_spectral_convs_are_resolution_agnostic_on_band_limited_inputs():
    torch.manual_seed(1)
    layer = op.SpectralConv1d(2, 2, modes=6)
    coarse, fine = band_limited(32), band_limited(64)
    assert torch.allclose(fine[..., ::2], coarse)
    assert torch.allclose(layer(fine)[..., ::2], layer(coarse), atol=1e-6)
    layer2 = op.SpectralConv2d(1, 2, 4, 4)
    x = torch.linspace(0, 1, 33)[:-1]
    xf = torch.linspace(0, 1, 65)[:-1]

    def field(x):
        X, Y = torch.meshgrid(x, x, indexing="ij")
        return (torch.sin(2 * np.pi * X) * torch.cos(6 * np.pi * Y) + torch.cos(4 * np.pi * X)
                )[None, None].double()

    assert torch.allclose(layer2(field(xf))[..., ::2, ::2], layer2(field(x)), atol=1e-6)


def test_fno1d_runs_at_any_resolution_and_is_deterministic():
    torch.manual_seed(2)
    model = op.FNO1d(modes=8, width=16, n_layers=2)
    for n in (32, 64, 100):
        assert model(torch.randn(3, n, 1)).shape == (3, n, 1)
    with pytest.raises(ValueError):
        model(torch.randn(3, 32))


def test_autograd_derivatives_equal_the_closed_form_on_polynomials():
    x = torch.linspace(-2, 2, 11, dtype=torch.float64)[:, None].requires_grad_(True)
    y = x[:, 0] ** 3 + 2 * x[:, 0] ** 2
    X = x[:, 0].detach()
    assert torch.allclose(op.derivative(y, x, 1), 3 * X ** 2 + 4 * X)
    assert torch.allclose(op.derivative(y, x, 2), 6 * X + 4)
    assert torch.allclose(op.derivative(y, x, 3), torch.full_like(X, 6.0))
    z = torch.randn(7, 2, dtype=torch.float64).requires_grad_(True)
    u = z[:, 0] ** 2 * z[:, 1]
    assert torch.allclose(op.derivative(u, z, 1, dim=1), z[:, 0].detach() ** 2)
    assert torch.allclose(op.derivative(op.derivative(u, z, 1, dim=0), z, 1, dim=1),
                          2 * z[:, 0].detach())
    with pytest.raises(ValueError):
        op.gradient(y, x.detach())
