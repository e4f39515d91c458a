"""Oracles for the LoLCATs chapter (Zhang et al., ICLR 2025)."""

from __future__ import annotations

import importlib.util
import math

import pytest
import torch
import torch.nn.functional as F

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.models.attention import AttentionInputs, LinearAttention
from nonlinlab.models.llama import Llama, LlamaConfig
from nonlinlab.papers import lolcats as lc
from nonlinlab.papers.hedgehog import HedgehogFeatureMap

TINY = LlamaConfig(vocab_size=40, d_model=32, n_layers=3, n_heads=4, n_kv_heads=2, d_ff=48,
                   rope_theta=10000.0)


def inputs(T=20, H=2, D=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(1, H, T, D, generator=g, dtype=torch.float64) for _ in range(3))
    return AttentionInputs(q=q, k=k, v=v, q_nope=q, k_nope=k, hidden=None, layer_idx=0,
                           scale=D**-0.5, n_rep=1)


def kernel(window, kind="hedgehog", H=2, D=8, fd=4, seed=0):
    torch.manual_seed(seed)
    return lc.make_kernel(kind, H, D, fd, window).double()


def eq7_loop(kern, ins):
    """Eq. (7) written out query by query (independent of the library's masks)."""
    q, k, v = ins.q[0], ins.k[0], ins.v[0]
    H, T, D = q.shape
    fq, fk = kern.feature_map_q(ins.q)[0], kern.feature_map_k(ins.k)[0]
    gamma = torch.sigmoid(kern.gate_logit.reshape(-1))
    w = kern.window
    out = torch.zeros_like(q)
    for h in range(H):
        for n in range(T):
            win = list(range(max(0, n - w + 1), n + 1))
            old = list(range(0, max(0, n - w + 1)))
            s = q[h, n] @ k[h, win].T / math.sqrt(D)
            e = gamma[h] * torch.exp(s - s.max())
            num, den = e @ v[h, win], e.sum()
            if old:
                lin = fq[h, n] @ fk[h, old].T
                num, den = num + lin @ v[h, old], den + lin.sum()
            out[h, n] = num / den
    return out[None]


def test_hybrid_matches_eq7_and_its_limits():
    ins = inputs()
    hyb = kernel(5)
    with torch.no_grad():
        assert float((hyb(ins) - eq7_loop(hyb, ins)).abs().max()) < 1e-9  # eps = 1e-12
        full = kernel(20)
        ref = F.scaled_dot_product_attention(ins.q, ins.k, ins.v, is_causal=True)
        assert float((full(ins) - ref).abs().max()) < 1e-10
        lin = kernel(0)  # LinearAttention with the same kind of maps
        assert isinstance(lin, LinearAttention)
        w0 = type(hyb)(lin.feature_map_q, lin.feature_map_k, window=0, n_heads=2,
                       eps=lin.eps).double()
        fq, fk = lin.feature_map_q(ins.q), lin.feature_map_k(ins.k)
        w = (fq @ fk.transpose(-1, -2)) * torch.ones(20, 20, dtype=torch.float64).tril()
        explicit = (w / w.sum(-1, keepdim=True)) @ ins.v
        assert float((w0(ins) - explicit).abs().max()) < 1e-10
        assert float((lin(ins) - explicit).abs().max()) < 1e-10


@pytest.mark.parametrize("window", [1, 4, 19, 25])
def test_recurrent_decoding_equals_parallel(window):
    ins = inputs(T=19, seed=window)
    hyb = kernel(window, seed=window)
    with torch.no_grad():
        hyb.gate_logit.add_(0.7)
        assert float((lc.hybrid_decode(hyb, ins) - hyb(ins)).abs().max()) < 1e-8


def test_feature_maps():
    x = torch.randn(2, 3, 5, 8)
    fq, fk = lc.feature_maps("hedgehog", 3, 8, 4)
    assert isinstance(fq, HedgehogFeatureMap) and fq.bias is None
    torch.testing.assert_close(fk(x)[..., :4].sum(-1), torch.ones(2, 3, 5))
    tq, _ = lc.feature_maps("t2r", 3, 8, 4)
    assert tq(x).shape == (2, 3, 5, 8) and bool((tq(x) > 0).all())
    with pytest.raises(ValueError):
        lc.feature_maps("cosformer", 3, 8, 4)
    k = lc.make_kernel("hedgehog", 3, 8, 4, 6)
    assert torch.allclose(torch.sigmoid(k.gate_logit), torch.full((1, 3, 1, 1), 0.1))


def test_lora_zero_init_grads_and_count():
    g = torch.Generator().manual_seed(0)
    lin = torch.nn.Linear(6, 5).double()
    lora = lc.LoRALinear(lin, rank=3, alpha=6.0)
    x = torch.randn(4, 6, generator=g, dtype=torch.float64)
    assert torch.equal(lora(x), lin(x))
    with torch.no_grad():
        lora.lora_B.normal_(generator=g)
    ref = lin(x) + 2.0 * x @ (lora.lora_B @ lora.lora_A).T
    assert float((lora(x) - ref).detach().abs().max()) < 1e-12
    lora(x).sum().backward()
    assert lin.weight.grad is None and lora.lora_A.grad is not None
    # peft as an independent oracle, where installed
    if importlib.util.find_spec("peft") is not None:  # pragma: no cover - optional
        from peft import LoraConfig, get_peft_model

        net = torch.nn.Sequential(torch.nn.Linear(6, 5).double())
        net[0].load_state_dict(lin.state_dict())
        pm = get_peft_model(net, LoraConfig(r=3, lora_alpha=6, target_modules=["0"]))
        mod = pm.base_model.model[0]
        with torch.no_grad():
            mod.lora_A["default"].weight.copy_(lora.lora_A)
            mod.lora_B["default"].weight.copy_(lora.lora_B)
        assert float((pm(x) - lora(x)).abs().max()) < 1e-12
    torch.manual_seed(0)
    m = Llama(TINY).eval()
    m.requires_grad_(False)
    params = lc.add_lora(m, [1, 2], rank=2)
    n_train = sum(p.numel() for p in m.parameters() if p.requires_grad)
    d, dkv = 32, 16
    assert n_train == sum(p.numel() for p in params)
    assert n_train == lc.lora_param_count(m, [1, 2], 2) == 2 * 2 * (2 * (d + d) + 2 * (d + dkv))
    with pytest.raises(ValueError):
        lc.add_lora(m, [1], rank=2)
    lc.remove_lora(m)
    assert isinstance(m.layers[1].self_attn.q_proj, torch.nn.Linear)


def test_cached_top_loss_equals_model_loss_and_transfer_learns():
    torch.manual_seed(0)
    m = Llama(TINY).double().eval()
    m.requires_grad_(False)
    ids = torch.randint(0, 40, (3, 17), generator=torch.Generator().manual_seed(1))
    data = lc.cache_windows(m, ids, first=1)
    assert lc.eval_loss(m, data) == pytest.approx(float(m.loss(ids)), abs=1e-12)
    rec = lc.record_layers(m, ids[:, :-1], [1, 2])
    kerns = {i: kernel(4, H=4, D=8, fd=4, seed=i) for i in (1, 2)}
    out, _ = lc.attention_transfer(kerns, rec, steps=60, lr=3e-2)
    for mse0, mse1 in out.values():
        assert mse1 < 0.8 * mse0
    m.set_attention(lambda i, c: kerns[i], layers=[1, 2])
    params = lc.add_lora(m, [1, 2], rank=2)
    losses, _ = lc.lora_finetune(m, data, params, steps=5, lr=1e-2, batch=2)
    assert len(losses) == 5 and all(math.isfinite(x) for x in losses)


@pytest.mark.parametrize("kind,window", [("hedgehog", 4), ("hedgehog", 0), ("t2r", 4),
                                         ("hedgehog", 40)])
def test_stacked_transfer_equals_per_layer_kernels_and_training(kind, window):
    """All layers in one module: same outputs as each layer's kernel, and Adam on the summed
    loss (window by window) trains every layer exactly as training it alone."""
    torch.manual_seed(0)
    m = Llama(TINY).double().eval()
    m.requires_grad_(False)
    ids = torch.randint(0, 40, (2, 17), generator=torch.Generator().manual_seed(2))
    layers = [0, 1, 2]
    rec = lc.record_layers(m, ids, layers)

    def fresh():
        torch.manual_seed(3)
        return {i: lc.make_kernel(kind, 4, 8, 4, window).double() for i in layers}

    ks, alone = fresh(), fresh()
    st = lc.stack_record(rec, layers, (4, 40))
    mod = lc.StackedTransfer([ks[i] for i in layers])
    with torch.no_grad():
        y = mod(st)
        for n, i in enumerate(layers):
            assert float((y[n] - ks[i](rec.inputs(i))).abs().max()) < 1e-12
    out, _ = lc.attention_transfer(ks, rec, steps=15, lr=1e-2, stacked=st)
    for i in layers:
        opt = torch.optim.Adam([p for p in alone[i].parameters() if p.requires_grad], lr=1e-2)
        for _ in range(15):
            loss = 1000 * lc.transfer_mse(alone[i], rec, i)
            opt.zero_grad()
            loss.backward()
            opt.step()
        for a, b in zip(ks[i].parameters(), alone[i].parameters(), strict=True):
            assert float((a - b).detach().abs().max()) < 1e-10
        assert out[i][1] == pytest.approx(float(lc.transfer_mse(alone[i], rec, i)), rel=1e-8)
    if window > 0:  # the window part must have been stacked for this window
        with pytest.raises(ValueError):
            lc.attention_transfer(fresh(), rec, steps=1, lr=1e-2,
                                  stacked=lc.stack_record(rec, layers))


def test_config_validation_and_budget():
    with pytest.raises(ValueError):
        lc.Config(first_layer=30)
    with pytest.raises(ValueError):
        lc.Config(window=500, seq_len=128)
    with pytest.raises(ValueError):
        lc.Config(at_steps=0)
    assert lc.CONFIGS.full.layers == list(range(30))
    budget = {"ci": all_chapters()["lolcats"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in lc.CONFIGS.items():
        assert lc.estimate_seconds(cfg) <= budget[name], name
