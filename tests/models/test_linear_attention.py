import pytest
import torch
import torch.nn.functional as F

from nonlinlab.models.linear_attention import (
    LinearState,
    benchmark_attention,
    causal_linear_attention,
    causal_linear_attention_quadratic,
    causal_linear_attention_recurrent,
    causal_softmax_attention,
    causal_window_mask,
    elu_plus_one,
    get_feature_map,
    linear_attention_step,
    linear_attention_weights,
)


def _inputs(B=2, H=3, T=37, Fd=5, Dv=4, gated=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = elu_plus_one(torch.randn(B, H, T, Fd, generator=g, dtype=torch.float64))
    k = elu_plus_one(torch.randn(B, H, T, Fd, generator=g, dtype=torch.float64))
    v = torch.randn(B, H, T, Dv, generator=g, dtype=torch.float64)
    log_decay = None
    if gated:  # Liger-style: log alpha = logsigmoid(x) / 16, per channel
        log_decay = F.logsigmoid(4 * torch.randn(B, H, T, Fd, generator=g,
                                                 dtype=torch.float64)) / 4
    return q, k, v, log_decay


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("gated", [False, True])
@pytest.mark.parametrize("chunk", [1, 8, 16, 64])
def test_three_forms_agree_float64(normalize, gated, chunk):
    q, k, v, g = _inputs(gated=gated)
    ref = causal_linear_attention_quadratic(q, k, v, normalize=normalize, log_decay=g)
    rec = causal_linear_attention_recurrent(q, k, v, normalize=normalize, log_decay=g)
    par = causal_linear_attention(q, k, v, normalize=normalize, log_decay=g, chunk_size=chunk)
    scale = ref.abs().max()
    assert (rec - ref).abs().max() / scale < 1e-10
    assert (par - ref).abs().max() / scale < 1e-10


def test_scalar_decay_broadcasts_and_strong_decay_is_stable():
    q, k, v, _ = _inputs(T=200, Fd=4)
    g = torch.full((1, 3, 1, 1), -3.0, dtype=torch.float64)  # per-head scalar (RetNet-like)
    ref = causal_linear_attention_quadratic(q, k, v, log_decay=g)
    par = causal_linear_attention(q, k, v, log_decay=g, chunk_size=64)
    assert torch.isfinite(par).all()
    assert (par - ref).abs().max() < 1e-10


def test_unnormalised_identity_features_equal_masked_matmul():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(10, 3, generator=g, dtype=torch.float64) for _ in range(3))
    ref = ((q @ k.T).tril()) @ v
    out = causal_linear_attention(q, k, v, normalize=False, chunk_size=4)
    assert (out - ref).abs().max() < 1e-12


@pytest.mark.parametrize("gated", [False, True])
def test_state_continuation_and_decoding(gated):
    q, k, v, g = _inputs(T=40, gated=gated)
    full = causal_linear_attention(q, k, v, log_decay=g, chunk_size=8)
    a, state = causal_linear_attention(q[..., :25, :], k[..., :25, :], v[..., :25, :],
                                       log_decay=None if g is None else g[..., :25, :],
                                       chunk_size=8, return_state=True)
    _, rec_state = causal_linear_attention_recurrent(
        q[..., :25, :], k[..., :25, :], v[..., :25, :],
        log_decay=None if g is None else g[..., :25, :], return_state=True)
    assert (state.S - rec_state.S).abs().max() < 1e-10
    assert (state.z - rec_state.z).abs().max() < 1e-10
    b = causal_linear_attention(q[..., 25:, :], k[..., 25:, :], v[..., 25:, :],
                                log_decay=None if g is None else g[..., 25:, :],
                                chunk_size=8, state=state)
    assert (torch.cat([a, b], dim=-2) - full).abs().max() < 1e-10
    # one more recurrent step from the prefix state equals the parallel output at t = 25
    o, _ = linear_attention_step(state, q[..., 25, :], k[..., 25, :], v[..., 25, :],
                                 log_decay_t=None if g is None else g[..., 25, :])
    assert (o - full[..., 25, :]).abs().max() < 1e-10
    assert state.S.shape == (2, 3, 5, 4)  # constant-size state, independent of T


def test_weights_are_rows_of_a_stochastic_matrix():
    q, k, v, g = _inputs(T=12, gated=True)
    w = linear_attention_weights(q, k, eps=0.0, log_decay=g)
    assert torch.allclose(w.sum(-1), torch.ones_like(w.sum(-1)), atol=1e-12)
    assert (w.triu(1) == 0).all()
    out = causal_linear_attention(q, k, v, eps=0.0, log_decay=g)
    assert (w @ v - out).abs().max() < 1e-10


def test_float32_and_zero_state():
    q, k, v, _ = _inputs(T=300)
    q32, k32, v32 = q.float(), k.float(), v.float()
    ref = causal_linear_attention_quadratic(q, k, v)
    out = causal_linear_attention(q32, k32, v32)
    assert out.dtype == torch.float32
    assert (out.double() - ref).abs().max() < 1e-5
    st = LinearState.zeros((2,), 5, 4)
    assert st.S.shape == (2, 5, 4) and st.z.shape == (2, 5)


def test_softmax_window_mask_and_reference():
    m = causal_window_mask(5, 2)
    expected = torch.tensor([[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0],
                             [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]], dtype=torch.bool)
    assert torch.equal(m, expected)
    q, k, v, _ = _inputs(T=9)
    full = causal_softmax_attention(q, k, v)
    assert torch.allclose(causal_softmax_attention(q, k, v, window=9), full, atol=1e-12)
    s = (q @ k.transpose(-1, -2)) * q.shape[-1] ** -0.5
    w = torch.softmax(s.masked_fill(~causal_window_mask(9, 3), float("-inf")), -1)
    assert torch.allclose(causal_softmax_attention(q, k, v, window=3), w @ v, atol=1e-12)


def test_bad_inputs_raise():
    q, k, v, _ = _inputs(T=6)
    with pytest.raises(ValueError):
        causal_linear_attention(q, k[..., :3], v)
    with pytest.raises(ValueError):
        causal_linear_attention(q, k, v[..., :5, :])
    with pytest.raises(ValueError):
        causal_linear_attention(q, k, v, chunk_size=0)
    with pytest.raises(ValueError):
        causal_linear_attention(q, k, v, log_decay=torch.zeros(7, 1))
    with pytest.raises(ValueError):
        causal_window_mask(4, 0)
    with pytest.raises(ValueError):
        get_feature_map("nope")


def test_benchmark_table_and_scaling():
    rows, crossover = benchmark_attention((64, 128, 256), heads=2, head_dim=16, repeats=1)
    assert [r["length"] for r in rows] == [64, 128, 256]
    for r in rows:
        assert r["softmax_s"] > 0 and r["linear_s"] > 0
        assert r["softmax_bytes"] > 0 and r["linear_bytes"] > 0
    # explicit softmax materialises T x T scores: memory ~ T^2; chunked linear ~ T
    assert rows[2]["softmax_bytes"] / rows[1]["softmax_bytes"] > 3.0
    assert rows[2]["linear_bytes"] / rows[1]["linear_bytes"] < 2.5
    assert crossover is None or crossover in (64, 128, 256)
