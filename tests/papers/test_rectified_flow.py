"""Rectified flow: the training loss reaches the closed-form 1-D velocity, reflow pairs come
from the previous flow, and the crossing toy's couplings behave as the theory says."""

from __future__ import annotations

import pytest
import torch

from nonlinlab.models import flows
from nonlinlab.papers import rectified_flow as P

TINY = P.CONFIGS.ci.replace(gauss_steps=150, toy_width=16, toy_steps=60, toy_pairs=300,
                            toy_eval=300, toy_ot=60, width=32, rf_steps=40, reflow_steps=20,
                            n_pairs=100, n_eval=100, clf_steps=20, pair_steps=10,
                            eval_steps=(1, 2, 10))


def test_configs_are_valid_and_bad_ones_refused():
    assert P.CONFIGS.full.n_reflow == 2 and P.CONFIGS.ci.n_reflow == 1
    with pytest.raises(ValueError, match="eval_steps"):
        P.CONFIGS.ci.replace(eval_steps=(2, 4))
    with pytest.raises(ValueError, match="n_reflow"):
        P.CONFIGS.ci.replace(n_reflow=0)
    with pytest.raises(ValueError, match="coupling"):
        P.rectify(P.gaussian_sampler(2), torch.zeros(4, 2), TINY, width=8, steps=1,
                  reflow_steps=1, n_pairs=4, n_reflow=1, seed=0, device="cpu", coupling="x")
    with pytest.raises(ValueError, match="expected x"):
        P.VelocityMLP(3, 8)(torch.zeros(2, 2), torch.zeros(2))


def test_loss_minimiser_is_the_closed_form_velocity():
    """The exact v* has a lower Eq.-1 loss than any perturbation of it (it is the regression
    function), so a trained net must approach it: the oracle of the 1-D chapter section."""
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(50_000, 1, generator=g, dtype=torch.float64)
    x1 = 3.0 + 0.5 * torch.randn(50_000, 1, generator=g, dtype=torch.float64)
    t = torch.rand(50_000, generator=g, dtype=torch.float64)
    exact = lambda x, tt: flows.gaussian_velocity(x, tt, m=3.0, s=0.5)  # noqa: E731
    base = float(flows.flow_matching_loss(exact, x0, x1, t=t))
    for eps in (0.05, -0.05):
        def perturbed(x, tt, eps=eps):
            return exact(x, tt) + eps * x
        assert float(flows.flow_matching_loss(perturbed, x0, x1, t=t)) > base
    out = P.gauss_oracle(TINY, seed=0, device="cpu")
    assert out["rel_err"] < 0.5 and out["map_rmse"] < 1.0


def test_reflow_pairs_are_the_previous_flow_and_toy_is_consistent():
    cfg = TINY
    models = P.rectify(P.toy_sampler(P.TOY_CENTERS0), P.toy_sampler(P.TOY_CENTERS1)(
        torch.Generator().manual_seed(1), 2000), cfg, width=16, steps=100, reflow_steps=0 + 1,
        n_pairs=100, n_reflow=1, seed=0, device="cpu")
    assert len(models) == 2
    # a warm start: one step of training moves the 2-RF only slightly away from the 1-RF
    p1 = dict(models[0].named_parameters())
    d = max(float((p - p1[n]).abs().max()) for n, p in models[1].named_parameters())
    assert 0 < d < 0.01
    z = torch.randn(50, 2)
    assert torch.allclose(P.simulate(models[0], z, 7, chunk=13), flows.sample_euler(
        models[0], z, 7))
    assert P.cost(z, z + 2.0) == pytest.approx(8.0)
    out = P.crossing_toy(cfg, seed=0, device="cpu")
    for r in out["rf"]:  # the identity pairing is one assignment: never below the OT cost
        assert r["ot_ratio"] >= 1 - 1e-6 and 0 <= r["kept_side"] <= 1
    assert abs(out["indep_kept_side"] - 0.5) < 0.1


def test_independent_reflow_ablation_trains_on_fresh_pairs():
    data = torch.randn(64, 2) + 5
    calls = []
    base = P.independent_coupling

    def spy(sample0, d):
        calls.append(d)
        return base(sample0, d)
    P.independent_coupling = spy
    try:
        P.rectify(P.gaussian_sampler(2), data, TINY, width=8, steps=2, reflow_steps=2,
                  n_pairs=8, n_reflow=1, seed=0, device="cpu", coupling="independent")
    finally:
        P.independent_coupling = base
    assert len(calls) == 2  # 1-RF and the "2-RF" both on independent pairs


def test_digit_pipeline_runs_and_frechet_floor_is_small():
    from nonlinlab.data.digits import load_digits
    d = load_digits()
    x = P.digits_tensor(d.x)
    assert float(x.min()) == -1.0 and float(x.max()) == 1.0
    out = P.digits_experiment(x[:400], torch.as_tensor(d.labels[:400]), TINY, seed=0,
                              device="cpu")
    assert set(out["rf"][0]["fd"]) == set(TINY.eval_steps)
    assert out["fd_real_halves"] < min(out["rf"][0]["fd"].values())


def test_kept_on_top_counts_rewiring_not_a_shifted_end_marginal():
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(2000, 2, generator=g)
    assert P.kept_on_top(x0, x0) == 1.0
    assert P.kept_on_top(x0, -x0) < 0.05  # every pair swapped sides (up to the unequal halves)
    # the same order-preserving map with its ends shifted up: still on top, although the
    # share of ends above y = 0 is no longer the start's
    shifted = x0 + torch.tensor([0.0, 0.3])
    assert P.kept_on_top(x0, shifted) == 1.0
    assert float(((shifted[:, 1] > 0) == (x0[:, 1] > 0)).float().mean()) < 0.95
    # an independent coupling keeps about half
    assert abs(P.kept_on_top(x0, torch.randn(2000, 2, generator=g)) - 0.5) < 0.05
