import pytest
import torch

from nonlinlab.models.llama import Llama, LlamaConfig
from nonlinlab.models.lora import LoRALinear, add_lora, lora_param_count, remove_lora


def tiny():
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=40, d_model=32, n_layers=2, n_heads=4, n_kv_heads=2,
                      d_ff=48, max_seq_len=16)
    return Llama(cfg).double().eval()


def test_lora_starts_at_base_and_matches_merged_weight():
    lin = torch.nn.Linear(6, 5).double()
    lora = LoRALinear(lin, rank=3, alpha=6.0, generator=torch.Generator().manual_seed(0))
    x = torch.randn(4, 6, dtype=torch.float64)
    assert torch.equal(lora(x), lin(x)) and lora.scaling == 2.0
    assert float(lora.lora_A.abs().max()) <= 6**-0.5
    with torch.no_grad():
        lora.lora_B.normal_()
    torch.testing.assert_close(lora(x), x @ lora.merged_weight().t() + lin.bias)
    lora(x).sum().backward()
    assert lin.weight.grad is None and lora.lora_A.grad is not None


def test_add_remove_and_count():
    m = tiny()
    ids = torch.randint(0, 40, (2, 8))
    with torch.no_grad():
        before = m(ids)
    params = add_lora(m, [0, 1], rank=2, seed=0, freeze=True)
    assert {id(p) for p in m.parameters() if p.requires_grad} == {id(p) for p in params}
    assert sum(p.numel() for p in params) == lora_param_count(m, [0, 1], 2)
    with torch.no_grad():
        torch.testing.assert_close(m(ids), before, rtol=0, atol=0)
    with pytest.raises(ValueError, match="already has LoRA"):
        add_lora(m, [0])
    remove_lora(m)
    assert type(m.layers[0].self_attn.q_proj) is torch.nn.Linear


def test_bad_input():
    with pytest.raises(ValueError):
        LoRALinear(torch.nn.Linear(3, 3), rank=0)
    with pytest.raises(ValueError):
        LoRALinear(torch.nn.Conv1d(3, 3, 1))


def test_lora_equals_peft_with_the_same_a_b_alpha_rank():
    peft = pytest.importorskip("peft")
    torch.manual_seed(1)
    base = torch.nn.Sequential(torch.nn.Linear(7, 5)).double()
    theirs = peft.get_peft_model(torch.nn.Sequential(torch.nn.Linear(7, 5)).double(),
                                 peft.LoraConfig(r=3, lora_alpha=12, target_modules=["0"],
                                                 lora_dropout=0.0))
    theirs.base_model.model[0].base_layer.load_state_dict(base[0].state_dict())
    ours = LoRALinear(base[0], rank=3, alpha=12.0)
    with torch.no_grad():
        ours.lora_B.normal_()
        layer = theirs.base_model.model[0]
        layer.lora_A["default"].weight.copy_(ours.lora_A)
        layer.lora_B["default"].weight.copy_(ours.lora_B)
    x = torch.randn(4, 7, dtype=torch.float64)
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=1e-12)
    merged = theirs.merge_and_unload()
    torch.testing.assert_close(ours.merged_weight(), merged[0].weight, rtol=0, atol=1e-12)
