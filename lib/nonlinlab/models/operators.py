"""Neural-operator building blocks and physics-informed derivatives.

* :class:`SpectralConv1d` / :class:`SpectralConv2d` — the Fourier layer of the FNO (Li et al.
  2021): ``(K v)(x) = IFFT( R_k · FFT(v)_k )`` with a learned complex matrix ``R_k`` (channels
  in → out) on the lowest ``modes`` frequencies and zero above. The weights live on
  frequencies, not grid points, so the same layer applies to any resolution ≥ 2·modes
  (resolution-agnostic); FFTs are normalised so that a band-limited function sampled on
  ``N`` or ``2N`` points gives the same output function.
* :class:`FNO1d` — lifting, ``n_layers`` × (spectral conv + pointwise linear, GELU), projection.
* :func:`derivative` — ``∂ⁿu/∂xⁿ`` by repeated autograd (``create_graph`` kept, for PINN
  losses), and :func:`gradient`.
"""

from __future__ import annotations

import torch
from torch import nn


class SpectralConv1d(nn.Module):
    """FNO Fourier layer on ``(B, C_in, N)`` → ``(B, C_out, N)``, keeping ``modes``
    frequencies (``0..modes−1``)."""

    def __init__(self, in_channels: int, out_channels: int, modes: int):
        super().__init__()
        if modes < 1:
            raise ValueError(f"modes must be >= 1, got {modes}")
        self.in_channels, self.out_channels, self.modes = in_channels, out_channels, modes
        scale = 1 / (in_channels * out_channels)
        self.weight = nn.Parameter(scale * torch.randn(in_channels, out_channels, modes,
                                                       dtype=torch.cfloat))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        if v.dim() != 3 or v.shape[1] != self.in_channels:
            raise ValueError(f"expected (B, {self.in_channels}, N), got {tuple(v.shape)}")
        n = v.shape[-1]
        if n // 2 + 1 < self.modes:
            raise ValueError(f"a grid of {n} points has fewer than modes={self.modes} "
                             "frequencies")
        vh = torch.fft.rfft(v, norm="forward")  # coefficients independent of N
        out = vh.new_zeros(v.shape[0], self.out_channels, n // 2 + 1)
        w = self.weight if vh.dtype == torch.cfloat else self.weight.to(vh.dtype)
        out[..., :self.modes] = torch.einsum("bik,iok->bok", vh[..., :self.modes], w)
        return torch.fft.irfft(out, n=n, norm="forward")


class SpectralConv2d(nn.Module):
    """FNO Fourier layer on ``(B, C_in, H, W)``: the lowest ``modes1`` frequencies along H
    (positive and negative) × ``modes2`` along W (rfft half)."""

    def __init__(self, in_channels: int, out_channels: int, modes1: int, modes2: int):
        super().__init__()
        if modes1 < 1 or modes2 < 1:
            raise ValueError("modes must be >= 1")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.modes1, self.modes2 = modes1, modes2
        scale = 1 / (in_channels * out_channels)
        shape = (in_channels, out_channels, modes1, modes2)
        self.w_pos = nn.Parameter(scale * torch.randn(*shape, dtype=torch.cfloat))
        self.w_neg = nn.Parameter(scale * torch.randn(*shape, dtype=torch.cfloat))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        if v.dim() != 4 or v.shape[1] != self.in_channels:
            raise ValueError(f"expected (B, {self.in_channels}, H, W), got {tuple(v.shape)}")
        H, W = v.shape[-2:]
        if H < 2 * self.modes1 or W // 2 + 1 < self.modes2:
            raise ValueError(f"grid {H}x{W} is too coarse for modes ({self.modes1}, "
                             f"{self.modes2})")
        vh = torch.fft.rfft2(v, norm="forward")
        out = vh.new_zeros(v.shape[0], self.out_channels, H, W // 2 + 1)
        m1, m2 = self.modes1, self.modes2
        wp, wn = (self.w_pos, self.w_neg) if vh.dtype == torch.cfloat else (
            self.w_pos.to(vh.dtype), self.w_neg.to(vh.dtype))
        out[..., :m1, :m2] = torch.einsum("bixy,ioxy->boxy", vh[..., :m1, :m2], wp)
        out[..., -m1:, :m2] = torch.einsum("bixy,ioxy->boxy", vh[..., -m1:, :m2], wn)
        return torch.fft.irfft2(out, s=(H, W), norm="forward")


class FNO1d(nn.Module):
    """``u(x)`` samples (with the grid as a second input channel) → ``G(u)(x)``: lift to
    ``width`` channels, ``n_layers`` × GELU(spectral conv + 1×1 conv), project by a 2-layer
    MLP (no GELU after the last Fourier layer, as the reference FNO)."""

    def __init__(self, modes: int = 16, width: int = 32, n_layers: int = 4,
                 in_channels: int = 1, out_channels: int = 1):
        super().__init__()
        self.lift = nn.Linear(in_channels + 1, width)
        self.spectral = nn.ModuleList(SpectralConv1d(width, width, modes)
                                      for _ in range(n_layers))
        self.pointwise = nn.ModuleList(nn.Conv1d(width, width, 1) for _ in range(n_layers))
        self.project = nn.Sequential(nn.Linear(width, 128), nn.GELU(), nn.Linear(128,
                                                                                out_channels))
        self.in_channels = in_channels

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """``u``: ``(B, N, in_channels)`` on the uniform grid of ``[0, 1)``."""
        if u.dim() != 3 or u.shape[-1] != self.in_channels:
            raise ValueError(f"expected (B, N, {self.in_channels}), got {tuple(u.shape)}")
        B, N, _ = u.shape
        grid = torch.arange(N, dtype=u.dtype, device=u.device).div(N).expand(B, N)[..., None]
        v = self.lift(torch.cat([u, grid], -1)).transpose(1, 2)
        for i, (sc, pw) in enumerate(zip(self.spectral, self.pointwise, strict=True)):
            v = sc(v) + pw(v)
            if i < len(self.spectral) - 1:
                v = nn.functional.gelu(v)
        return self.project(v.transpose(1, 2))


def gradient(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``∂y/∂x`` for a batch of scalar outputs ``y`` (each depending on its own row of ``x``),
    with the graph kept so the result can be differentiated again."""
    if not x.requires_grad:
        raise ValueError("x must require grad (create it with requires_grad=True)")
    (g,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y), create_graph=True)
    return g


def derivative(y: torch.Tensor, x: torch.Tensor, order: int = 1, dim: int = 0) -> torch.Tensor:
    """``∂ⁿy/∂x_dimⁿ`` by ``n`` nested autograd passes (``y`` of shape ``(B,)`` or ``(B, 1)``,
    ``x`` of shape ``(B, d)``); result of ``y``'s shape."""
    if order < 0 or int(order) != order:
        raise ValueError(f"order must be a non-negative integer, got {order!r}")
    if x.dim() != 2 or not 0 <= dim < x.shape[1]:
        raise ValueError(f"x must be (B, d) and 0 <= dim < d; got {tuple(x.shape)}, dim={dim}")
    out = y
    for _ in range(int(order)):
        out = gradient(out, x)[:, dim].reshape(y.shape)
    return out


__all__ = ["FNO1d", "SpectralConv1d", "SpectralConv2d", "derivative", "gradient"]
