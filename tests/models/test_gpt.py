import pytest
import torch

from nonlinlab.models.gpt import GPT, GPTConfig


def _model(**kw):
    torch.manual_seed(0)
    cfg = GPTConfig(**{"n_in": 5, "n_out": 3, "max_len": 12, "width": 16, "depth": 2,
                       "heads": 4, **kw})
    return GPT(cfg).eval()


def test_shapes_and_hidden_states():
    m = _model()
    x = torch.randn(4, 12, 5)
    out, hidden = m(x, return_hidden=True)
    assert out.shape == (4, 12, 3)
    assert len(hidden) == m.cfg.depth + 1 and all(h.shape == (4, 12, 16) for h in hidden)
    assert m(x[:, :7]).shape == (4, 7, 3)  # shorter sequences use the first positions
    assert sum(p.numel() for p in m.parameters()) == m.cfg.num_params()


@pytest.mark.parametrize("depth,heads", [(1, 1), (3, 4)])
def test_causality_later_tokens_never_change_earlier_outputs(depth, heads):
    m = _model(depth=depth, heads=heads)
    x = torch.randn(3, 12, 5)
    base = m(x)
    for t in (0, 5, 11):
        x2 = x.clone()
        x2[:, t:] = torch.randn_like(x2[:, t:]) * 10
        out = m(x2)
        torch.testing.assert_close(out[:, :t], base[:, :t], rtol=0, atol=1e-5)
        assert (out[:, t] - base[:, t]).abs().max() > 1e-4  # position t itself does change


def test_gradient_flows_only_backwards_in_time():
    m = _model()
    x = torch.randn(1, 12, 5, requires_grad=True)
    m(x)[0, 4].sum().backward()
    g = x.grad[0].abs().sum(-1)
    assert torch.all(g[5:] == 0) and torch.all(g[:5] > 0)


def test_discrete_tokens():
    m = _model(vocab_size=11)
    ids = torch.randint(0, 11, (2, 9))
    assert m(ids).shape == (2, 9, 3)
    with pytest.raises(ValueError):
        m(torch.randn(2, 9, 5))  # continuous input to a discrete model


def test_bad_shapes_raise():
    m = _model()
    with pytest.raises(ValueError, match="shape"):
        m(torch.randn(2, 12, 4))  # wrong token width
    with pytest.raises(ValueError, match="shape"):
        m(torch.randn(12, 5))  # no batch dimension
    with pytest.raises(ValueError, match="max_len"):
        m(torch.randn(2, 13, 5))  # too long
    with pytest.raises(ValueError, match="floating"):
        m(torch.zeros(2, 12, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="empty"):
        m(torch.randn(2, 0, 5))


@pytest.mark.parametrize("kw", [{"width": 10, "heads": 4}, {"depth": 0}, {"n_in": 0},
                                {"dropout": 1.0}, {"init_std": 0.0}, {"vocab_size": 0},
                                {"mlp_ratio": -1.0}])
def test_bad_config_raises(kw):
    base = {"n_in": 5, "n_out": 1, "max_len": 8, "width": 16, "depth": 1, "heads": 4}
    with pytest.raises(ValueError):
        GPTConfig(**{**base, **kw})


def test_deterministic_and_trainable():
    a, b = _model(), _model()
    x = torch.randn(2, 12, 5)
    torch.testing.assert_close(a(x), b(x), rtol=0, atol=0)
    a.train()
    opt = torch.optim.Adam(a.parameters(), lr=3e-3)
    target = torch.randn(2, 12, 3)
    first = None
    for _ in range(50):
        loss = (a(x) - target).pow(2).mean()
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
