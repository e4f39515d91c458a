import pytest
import torch

from nonlinlab.models.lsa import LinearSelfAttention, LSAStack


def naive_lsa(tokens, kq, pv, include_query=False, causal=False):
    """Loop-over-tokens reference: e_j + Σ_h W_PV,h Σ_i e_i (e_iᵀ W_KQ,h e_j)."""
    B, T, D = tokens.shape
    S = T if include_query else T - 1
    out = tokens.clone()
    for b in range(B):
        for j in range(T):
            acc = torch.zeros(D, dtype=tokens.dtype)
            for h in range(kq.shape[0]):
                for i in range(S):
                    if causal and i > j:
                        continue
                    e_i = tokens[b, i]
                    acc += pv[h] @ e_i * (e_i @ kq[h] @ tokens[b, j])
            out[b, j] += acc
    return out


@pytest.mark.parametrize("param", ["qkv", "product"])
@pytest.mark.parametrize("include_query", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_naive_loops(param, include_query, causal):
    g = torch.Generator().manual_seed(0)
    layer = LinearSelfAttention(5, heads=2, key_size=3, value_size=4, parametrisation=param,
                                include_query=include_query, causal=causal, init_scale=1.0,
                                dtype=torch.float64, generator=g)
    x = torch.randn(3, 6, 5, generator=g, dtype=torch.float64)
    ref = naive_lsa(x, layer.kq().detach(), layer.pv().detach(), include_query, causal)
    torch.testing.assert_close(layer(x).detach(), ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(layer.update(x, last_only=True).detach()[:, 0],
                               (ref - x)[:, -1], rtol=1e-10, atol=1e-12)


def test_qkv_effective_matrices_are_products():
    g = torch.Generator().manual_seed(1)
    layer = LinearSelfAttention(4, heads=2, key_size=3, value_size=2, init_scale=1.0,
                                dtype=torch.float64, generator=g)
    h = 1
    torch.testing.assert_close(layer.kq()[h], layer.w_k[h].T @ layer.w_q[h])
    torch.testing.assert_close(layer.pv()[h], layer.w_o[:, 2:4] @ layer.w_v[h])
    assert layer.kq().shape == layer.pv().shape == (2, 4, 4)


def test_query_token_is_not_a_key_by_default():
    layer = LinearSelfAttention(3, parametrisation="product", init_scale=1.0,
                                dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    x2 = x.clone()
    x2[:, -1] += 5.0  # changing the query changes only the query's own output
    torch.testing.assert_close(layer(x)[:, :-1], layer(x2)[:, :-1])


def test_set_product_and_zero_init():
    layer = LinearSelfAttention(3, parametrisation="product", init_scale=0.0)
    x = torch.randn(2, 4, 3)
    torch.testing.assert_close(layer(x), x)  # zero weights: identity map
    kq, pv = torch.eye(3), 2 * torch.eye(3)
    layer.set_product(kq, pv)
    torch.testing.assert_close(layer.kq()[0], kq)
    with pytest.raises(ValueError):
        layer.set_product(torch.eye(4), pv)
    with pytest.raises(ValueError):
        LinearSelfAttention(3).set_product(kq, pv)  # qkv layers cannot be loaded


def test_stack_shared_and_query_path():
    g = torch.Generator().manual_seed(3)
    for shared in (False, True):
        stack = LSAStack(4, 3, shared=shared, parametrisation="product", init_scale=0.5,
                         dtype=torch.float64, generator=g)
        assert len(stack.blocks) == (1 if shared else 3)
        x = torch.randn(2, 5, 4, dtype=torch.float64)
        out, states = stack(x, return_all=True)
        assert len(states) == 3 and torch.equal(states[-1], out)
        y = x
        for k in range(3):
            y = stack.layer(k)(y)
        torch.testing.assert_close(out, y)
        torch.testing.assert_close(stack.query(x), out[:, -1])
    with pytest.raises(ValueError):
        stack.layer(3)


def test_softmax_variant_rows_are_convex_combinations():
    layer = LinearSelfAttention(3, softmax=True, key_size=2, value_size=3, init_scale=1.0)
    with torch.no_grad():
        layer.w_v.copy_(torch.eye(3)[None])
        layer.w_o.copy_(torch.eye(3))
    x = torch.rand(2, 5, 3)
    upd = layer.update(x)  # each row is a convex combination of the 4 key tokens
    lo, hi = x[:, :-1].min(1).values, x[:, :-1].max(1).values
    assert bool(((upd >= lo[:, None] - 1e-6) & (upd <= hi[:, None] + 1e-6)).all())


def test_bad_input():
    layer = LinearSelfAttention(3)
    with pytest.raises(ValueError):
        layer(torch.zeros(2, 4))  # not (B, T, D)
    with pytest.raises(ValueError):
        layer(torch.zeros(2, 4, 5))  # wrong width
    with pytest.raises(ValueError):
        layer(torch.zeros(2, 1, 3))  # no context token
    with pytest.raises(ValueError):
        layer([[1.0]])
    with pytest.raises(ValueError):
        LinearSelfAttention(3, parametrisation="bogus")
    with pytest.raises(ValueError):
        LinearSelfAttention(0)
    with pytest.raises(ValueError):
        LinearSelfAttention(3, parametrisation="product", softmax=True)
    with pytest.raises(ValueError):
        LSAStack(3, 0)
