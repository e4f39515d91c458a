"""Oracle tests for nonlinlab.papers.lora_computational_limits (Hu et al., ICLR 2025).

Oracles (from the brief): torch.autograd on the plain loss (the hand-derived LoRA gradient
chain, partial and full adaptation); the truncated-Taylor identity of the monomial features;
the Taylor remainder bound; numpy's SVD for the eps-rank; the quadratic Taylor chain for the
low-rank chain. The last tests break the method on purpose and check that the chapter's
claims would then fail.
"""

import math

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S
from nonlinlab.papers import lora_computational_limits as P

CFG = P.CONFIGS.ci


def _prob(L=64, gamma=1.0, targets=P.TARGETS_FULL, seed=0):
    return P.make_problem(L, CFG, gamma, targets=targets, seed=seed)


@pytest.mark.parametrize("targets", [P.TARGETS_PARTIAL, P.TARGETS_FULL, ("K",)])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_chain_matches_autograd(targets, gamma):
    prob = _prob(gamma=gamma, targets=targets)
    ref = P.autograd_gradients(prob)
    got = P.quadratic_gradients(prob)
    assert set(ref) == {f"{x}_{n}" for n in targets for x in "AB"}
    assert P.relative_error(got, ref, keys=list(ref)) < 1e-10
    assert float(got["loss"]) == pytest.approx(float(P.lora_loss(prob)), rel=1e-12)


def test_norm_knob_and_lora_structure():
    prob = _prob(L=200, gamma=1.7)
    W = P.effective_weights(prob)
    S = (prob.X @ W["Q"]) @ (prob.X @ W["K"]).T / prob.beta
    assert float(S.abs().max()) == pytest.approx(1.7 ** 2, rel=1e-12)
    assert float((prob.X @ W["V"]).abs().max()) == pytest.approx(1.0, rel=1e-12)
    b, a = prob.lora["Q"]
    assert torch.allclose(W["Q"], prob.w0["Q"] + prob.alpha / prob.r * b @ a)
    with pytest.raises(ValueError):
        P.make_problem(10, CFG, -1.0)
    with pytest.raises(ValueError):
        P.make_problem(10, CFG, 1.0, targets=("O",))


@pytest.mark.parametrize("degree", [1, 2, 3, 6])
def test_monomial_identity_is_truncated_taylor(degree):
    gen = torch.Generator().manual_seed(1)
    u = torch.randn(50, 3, generator=gen, dtype=torch.float64)
    v = torch.randn(40, 3, generator=gen, dtype=torch.float64)
    lhs = P.monomial_features(u, degree) @ P.monomial_features(v, degree).T
    s = u @ v.T
    rhs = sum(s ** j / math.factorial(j) for j in range(degree + 1))
    assert P.monomial_features(u, degree).shape[1] == P.feature_rank(3, degree)
    assert float((lhs - rhs).abs().max() / rhs.abs().max()) < 1e-12
    assert torch.allclose(P.taylor_exp(s, degree), rhs, rtol=1e-12, atol=1e-12)


def test_taylor_remainder_bound():
    s = torch.linspace(-6, 6, 1001, dtype=torch.float64)
    for g in (2, 4, 8):
        err = (torch.exp(s) - P.taylor_exp(s, g)).abs()
        bound = torch.exp(s.abs()) * s.abs() ** (g + 1) / math.factorial(g + 1)
        assert bool((err <= bound * (1 + 1e-12) + 1e-13 * torch.exp(s.abs())).all())


@pytest.mark.parametrize("gamma,degree", [(0.5, 2), (1.0, 4), (2.0, 6), (3.0, 8)])
def test_fast_chain_equals_quadratic_taylor_chain(gamma, degree):
    prob = _prob(L=300, gamma=gamma)
    fast = P.fast_gradients(prob, degree)
    ref = P.quadratic_gradients(prob, degree)
    keys = [k for k in ref if k != "loss"]
    assert P.relative_error(fast, ref, keys=keys) < 1e-10
    assert float(fast["loss"]) == pytest.approx(float(ref["loss"]), rel=1e-10)


def test_fast_chain_never_forms_an_LxL_matrix():
    L = 500  # larger than every other dimension (k = 70, k dv = 280)
    prob = _prob(L=L)
    big = []

    class Spy(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if isinstance(out, torch.Tensor) and out.dim() == 2 and min(out.shape) >= L:
                big.append(tuple(out.shape))
            return out

    with Spy():
        P.fast_gradients(prob, 4)
    assert not big
    with Spy():
        P.quadratic_gradients(prob)
    assert big  # the spy does see the quadratic chain's L x L matrices


def test_accuracy_below_and_collapse_above_threshold():
    errs = {}
    for gamma in (0.5, 1.0, 3.0):
        prob = _prob(L=256, gamma=gamma)
        exact = P.quadratic_gradients(prob)
        errs[gamma] = {g: P.relative_error(P.fast_gradients(prob, g), exact) for g in (4, 6)}
    assert errs[0.5][6] < 1e-7
    assert errs[3.0][4] / errs[1.0][4] > 100
    assert errs[3.0][6] > 0.05


def test_required_degree_grows_with_norm():
    L = 128
    g_small = P.required_degree(_prob(L=L, gamma=0.25 * math.sqrt(math.log(L))), 1 / L)
    g_large = P.required_degree(_prob(L=L, gamma=math.sqrt(math.log(L))), 1 / L)
    assert g_small <= 4 and g_large >= 8
    assert P.feature_rank(CFG.dk, int(g_large)) > 2 * L
    assert P.required_degree(_prob(L=L, gamma=4.0), 1e-8, max_degree=6) == math.inf


def test_eps_rank_matches_numpy_svd():
    for b in (0.5, 4.0):
        M = P.random_exp_kernel(300, 8, b, seed=2)
        sv = np.linalg.svd(M.numpy(), compute_uv=False)
        assert P.eps_rank(M, 1e-3) == int((sv > 1e-3 * sv[0]).sum())
    small = [P.eps_rank(P.random_exp_kernel(L, 8, 0.5, seed=0), 1e-3) for L in (64, 256)]
    large = [P.eps_rank(P.random_exp_kernel(L, 8, 4.0, seed=0), 1e-3) for L in (64, 256)]
    assert small[0] == small[1] and large[1] > 1.5 * large[0]
    with pytest.raises(ValueError):
        P.eps_rank(M, 1e-9)


def test_counted_flops_linear_vs_quadratic():
    Ls = (256, 512, 1024)
    fast = [P.count_matmul_flops(P.fast_gradients, _prob(L=L), 4) for L in Ls]
    exact = [P.count_matmul_flops(P.quadratic_gradients, _prob(L=L)) for L in Ls]
    assert 0.95 <= P.loglog_slope(Ls, fast) <= 1.05
    assert 1.95 <= P.loglog_slope(Ls, exact) <= 2.05


def test_bad_inputs():
    prob = _prob()
    with pytest.raises(ValueError):
        P.fast_gradients(prob, 3)  # odd Taylor polynomials change sign
    with pytest.raises(ValueError):
        P.monomial_features(torch.zeros(3), 2)
    with pytest.raises(ValueError):
        P.Config(error_degrees=(3,))
    with pytest.raises(ValueError):
        P.Config(error_Ls=(512, 256))
    with pytest.raises(ValueError):
        P.estimate_seconds(CFG, where="tpu")


def test_budget():
    assert P.estimate_seconds(P.CONFIGS.ci, "cpu") <= BUDGET_S["ci"]
    assert P.estimate_seconds(P.CONFIGS.full, "gpu") <= BUDGET_S["full"]


# -- breaking the method makes the claims fail ----------------------------------------------------


def test_breakage_wrong_polynomial_fails_chain_and_accuracy_claims(monkeypatch):
    """A wrong polynomial (constant monomial dropped): the fast chain no longer equals the
    Taylor chain, and the bounded-regime error claim fails."""
    prob = _prob(L=256, gamma=1.0)
    ref = P.quadratic_gradients(prob, 6)
    orig = P.monomial_features

    def wrong_features(Z, degree):  # drop the constant monomial: a wrong polynomial
        return orig(Z, degree)[:, 1:]

    monkeypatch.setattr(P, "monomial_features", wrong_features)
    broken = P.fast_gradients(prob, 6)
    assert P.relative_error(broken, ref, keys=[k for k in ref if k != "loss"]) > 1e-10
    assert P.relative_error(broken, P.quadratic_gradients(prob)) > 1e-6  # claim: < 1e-6


def test_breakage_wrong_softmax_backward_fails_autograd_claim(monkeypatch):
    prob = _prob()
    ref = P.autograd_gradients(prob)
    real = P._chain_to_lora

    def wrong(prob_, W, GW, GV):  # forget the transpose in dL/dW_K
        G = real(prob_, W, GW, GV)
        G2 = real(prob_, W, GW.T, GV)
        G["B_K"], G["A_K"] = G2["B_K"], G2["A_K"]
        return G

    monkeypatch.setattr(P, "_chain_to_lora", wrong)
    assert P.relative_error(P.quadratic_gradients(prob), ref, keys=list(ref)) > 1e-3
