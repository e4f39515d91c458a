"""Tests for nonlinlab.models.scan: the parallel scan equals the sequential loop (float64,
1e-10) for diagonal, block-diagonal and dense A, both schedules, forward and reverse, with
and without h0, broadcasting batch axes; closed form of the diagonal case; depth; autograd."""

import pytest
import torch

from nonlinlab.models.scan import KINDS, METHODS, linear_scan, scan_depth, sequential_scan


def _problem(kind, T, batch=(3,), seed=0, scale=0.95):
    g = torch.Generator().manual_seed(seed)
    f64 = dict(dtype=torch.float64, generator=g)
    if kind == "diag":
        A = (torch.rand(*batch, T, 6, **f64) * 2 - 1) * scale
        b, h0 = torch.randn(*batch, T, 6, **f64), torch.randn(*batch, 6, **f64)
    elif kind == "block":
        A = torch.randn(*batch, T, 4, 2, 2, **f64) * scale / 2
        b, h0 = torch.randn(*batch, T, 4, 2, **f64), torch.randn(*batch, 4, 2, **f64)
    else:
        A = torch.randn(*batch, T, 5, 5, **f64) * scale / 5**0.5
        b, h0 = torch.randn(*batch, T, 5, **f64), torch.randn(*batch, 5, **f64)
    return A, b, h0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("T", [1, 2, 3, 7, 16, 33, 257])
def test_parallel_equals_sequential(kind, method, T):
    A, b, h0 = _problem(kind, T)
    for reverse in (False, True):
        for h in (None, h0):
            ref = sequential_scan(A, b, h, kind=kind, reverse=reverse)
            got = linear_scan(A, b, h, kind=kind, reverse=reverse, method=method)
            assert got.shape == b.shape
            assert (got - ref).abs().max() < 1e-10


def test_diag_closed_form_cumulative_products():
    A, b, _ = _problem("diag", 40, batch=())
    # h_t = sum_{s<=t} (prod_{u=s+1..t} A_u) b_s
    ref = torch.stack([sum(torch.prod(A[s + 1:t + 1], 0) * b[s] for s in range(t + 1))
                       for t in range(40)])
    assert (linear_scan(A, b) - ref).abs().max() < 1e-12


def test_block_equals_dense_block_diagonal_matrix():
    A, b, _ = _problem("block", 20, batch=(2,))
    dense = torch.zeros(2, 20, 8, 8, dtype=torch.float64)
    for k in range(4):
        dense[..., 2 * k:2 * k + 2, 2 * k:2 * k + 2] = A[..., k, :, :]
    got = linear_scan(A, b, kind="block").reshape(2, 20, 8)
    ref = linear_scan(dense, b.reshape(2, 20, 8), kind="dense")
    assert (got - ref).abs().max() < 1e-12


def test_broadcast_batch_axes_and_large_T_stability():
    A, b, _ = _problem("diag", 4096, batch=(1,), scale=0.99)
    b = b.expand(4, 4096, 6) + torch.arange(4, dtype=torch.float64)[:, None, None]
    got = linear_scan(A, b)
    assert got.shape == (4, 4096, 6)
    assert (got - sequential_scan(A, b)).abs().max() < 1e-10


def test_gradients_match_sequential():
    A, b, h0 = _problem("dense", 12)
    for x in (A, b, h0):
        x.requires_grad_(True)
    w = torch.randn_like(b)
    g1 = torch.autograd.grad((linear_scan(A, b, h0, kind="dense") * w).sum(), (A, b, h0))
    g2 = torch.autograd.grad((sequential_scan(A, b, h0, kind="dense") * w).sum(), (A, b, h0))
    for a, c in zip(g1, g2, strict=True):
        assert (a - c).abs().max() < 1e-10


def test_depth_and_errors():
    assert scan_depth(1) == 0 and scan_depth(2) == 1 and scan_depth(4096) == 12
    assert scan_depth(4097) == 13 and scan_depth(1024, "odd_even") == 20
    A, b, _ = _problem("diag", 5)
    with pytest.raises(ValueError, match="unknown kind"):
        linear_scan(A, b, kind="tri")
    with pytest.raises(ValueError, match="time length"):
        linear_scan(A[:, :4], b)
    with pytest.raises(ValueError, match="unknown method"):
        linear_scan(A, b, method="magic")
    with pytest.raises(ValueError):
        linear_scan(A, b, kind="dense")
