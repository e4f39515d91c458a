import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.data.icl import RegressionTasks
from nonlinlab.papers import transformers_icl_gd as P

CFG = P.CONFIGS.ci
TOL = P.TOL


def tasks64(batch=512, seed=0, **kw):
    return P.sample_tasks(batch, CFG, generator=torch.Generator().manual_seed(seed),
                          dtype=torch.float64, **kw)


# -- Proposition 1 ---------------------------------------------------------------------------


@pytest.mark.parametrize("eta", [0.3, 6.06, 17.0])
def test_construction_is_one_gd_step_exactly(eta):
    errs = P.construction_errors(CFG, generator=torch.Generator().manual_seed(1), eta=eta,
                                 tasks=4096)
    assert max(errs.values()) < TOL.exact, errs


def test_construction_matches_explicit_gd_for_every_token_with_w0():
    t = tasks64(64, seed=2)
    w0 = torch.randn(CFG.dim, dtype=torch.float64)
    eta = 2.5
    new = P.construction_layer(CFG.dim, CFG.n, eta, w0)(P.tokenize(t, w0)).detach()
    # ΔW = -(η/N) Σ_i (W0 x_i - y_i) x_iᵀ, written independently with explicit sums
    dW = torch.zeros(64, CFG.dim, dtype=torch.float64)
    for i in range(CFG.n):
        r = t.x[:, i] @ w0 - t.y[:, i]
        dW -= eta / CFG.n * r[:, None] * t.x[:, i]
    torch.testing.assert_close(new[:, :-1, -1], t.y - (t.x * dW[:, None]).sum(-1),
                               rtol=0, atol=1e-12)
    torch.testing.assert_close(P.readout(new), t.x_query @ w0 + (t.x_query * dW).sum(-1),
                               rtol=0, atol=1e-12)


def test_including_the_query_as_key_breaks_exactness_when_w0_nonzero():
    t = tasks64(64, seed=3)
    w0 = torch.randn(CFG.dim, dtype=torch.float64)
    layer = P.construction_layer(CFG.dim, CFG.n, 1.0, w0)
    layer.include_query = True
    ref = P.gd_predict_numpy(t.x.numpy(), t.y.numpy(), t.x_query.numpy(), 1.0, 1, w0.numpy())
    err = np.abs(P.readout(layer(P.tokenize(t, w0))).detach().numpy() - ref).max()
    assert err > 1e-3


def test_multi_step_gd_token_form_matches_weight_space_gd():
    t = tasks64(256, seed=4)
    for steps in (1, 2, 3):
        ref = P.gd_predict_numpy(t.x.numpy(), t.y.numpy(), t.x_query.numpy(), 4.0, steps)
        np.testing.assert_allclose(P.gd_predict(t, 4.0, steps).numpy(), ref, atol=1e-12)
    # GD++ with γ = 0 is GD; γ ≠ 0 changes the prediction
    torch.testing.assert_close(P.gd_predict(t, 4.0, 2, 0.0), P.gd_predict(t, [4.0, 4.0], 2))
    assert (P.gd_predict(t, 4.0, 2, 1.0) - P.gd_predict(t, 4.0, 2)).abs().max() > 1e-3


def test_stacked_constructions_are_multi_step_gd():
    """K Proposition-1 layers (W0 = 0) = K GD steps: the y-slots carry the residuals."""
    t = tasks64(128, seed=5)
    layer = P.construction_layer(CFG.dim, CFG.n, 3.0)
    tok = P.tokenize(t)
    for _ in range(3):
        tok = layer(tok)
    torch.testing.assert_close(P.readout(tok).detach(), P.gd_predict(t, 3.0, 3),
                               rtol=0, atol=1e-12)


# -- optimal step size ------------------------------------------------------------------------


def test_eta_star_closed_form_vs_line_search_and_mc():
    t = tasks64(20_000, seed=6)
    eta_ls, loss_ls = P.line_search_eta(t, 1, grid=50)
    eta_mc = P.eta_star_mc(t)
    assert abs(eta_ls - eta_mc) / eta_mc < 1e-5  # same sample: same parabola
    eta = P.eta_star(CFG.dim, CFG.n, CFG.x_range)
    assert abs(eta - 6.0606060606) < 1e-8
    assert abs(eta_ls - eta) / eta < TOL.eta_rel
    assert abs(loss_ls - P.gd_loss_star(CFG.dim, CFG.n)) / loss_ls < 0.05


def test_eta_star_exact_moments_gaussian_and_scaling():
    # Gaussian inputs: η* = N / (d + N + 1); uniform: η* ∝ 1/r²
    assert P.eta_star(5, 7, x_dist="gaussian") == pytest.approx(7 / 13)
    assert P.eta_star(10, 10, 2.0) == pytest.approx(P.eta_star(10, 10, 1.0) / 4)
    t = P.sample_tasks(200_000, CFG.replace(dim=3, n=4), dtype=torch.float64,
                       generator=torch.Generator().manual_seed(7))
    assert P.eta_star_mc(t) == pytest.approx(P.eta_star(3, 4), rel=0.02)


# -- sensitivities, metrics, weights ------------------------------------------------------------


def test_gd_sensitivity_analytic_vs_autograd():
    t = tasks64(64, seed=8)
    eta = 5.0
    pred, sens = P.query_sensitivity(lambda s: P.gd_predict(s, eta), t)
    analytic = eta / CFG.n * (t.y[..., None] * t.x).sum(1)  # (η/N) Σ_i y_i x_i
    torch.testing.assert_close(sens, analytic, rtol=0, atol=1e-12)
    layer = P.construction_layer(CFG.dim, CFG.n, eta)
    model = P.LSAStack(CFG.dim + 1, 1, parametrisation="product", dtype=torch.float64)
    model.blocks[0] = layer
    p2, s2 = P.query_sensitivity(lambda s: P.lsa_predict(model, s), t)
    torch.testing.assert_close(s2, analytic, rtol=0, atol=1e-12)
    a = P.alignment(pred, sens, p2, s2)
    assert a["model_cos"] == pytest.approx(1.0) and a["preds_diff"] < 1e-12


def test_weight_readout_of_the_construction_and_interpolation():
    eta = 6.0
    layer = P.construction_layer(CFG.dim, CFG.n, eta)
    wm = P.weight_match(layer, eta, CFG.n)
    assert wm["rel_err"] < 1e-12 and wm["u_rel"] == 0 and wm["b_rel"] == 0
    assert wm["scale"] == pytest.approx(eta)
    # the same map with the scale moved from W_KQ to W_PV reads the same
    kq, pv = P.gd_construction(CFG.dim, CFG.n, eta)
    layer.set_product(kq * 3, pv / 3)
    assert P.weight_match(layer, eta, CFG.n)["rel_err"] < 1e-12
    inter = P.interpolate_with_gd(layer, eta, CFG.n)
    torch.testing.assert_close(inter.kq()[0], kq)
    torch.testing.assert_close(inter.pv()[0], pv)
    # a wrong step size is detected
    assert P.weight_match(P.construction_layer(CFG.dim, CFG.n, eta / 2), eta, CFG.n)[
        "rel_err"] > TOL.weight_rel


def test_short_training_moves_towards_gd():
    """A short run (smoke test of the trained path): loss drops well below predicting 0 and the
    sensitivities align with GD's."""
    cfg = CFG.replace(steps=300, batch=256, eval_tasks=1024, traj_tasks=512, eval_every=100)
    r = P.one_layer_experiment(cfg, seed=0)
    h = r.history
    assert len(h["model_cos"]) == 3
    assert h["eval_loss"][-1] < 0.95 * h["eval_loss"][0]
    assert h["model_cos"][-1] > h["model_cos"][0] + 0.2


# -- config and bad input ---------------------------------------------------------------------


def test_configs_and_budget():
    budget = {"ci": all_chapters()["transformers-icl-gd"].ci_budget_s, "full": BUDGET_S["full"]}
    for name, cfg in P.CONFIGS.items():
        assert P.estimate_seconds(cfg) <= budget[name], name
    with pytest.raises(ValueError):
        CFG.replace(steps=0)
    with pytest.raises(ValueError):
        CFG.replace(parametrisation="bogus")
    with pytest.raises(ValueError):
        CFG.replace(depths=(0,))


def test_bad_input():
    t = tasks64(4)
    with pytest.raises(ValueError):
        P.tokenize(t, torch.zeros(CFG.dim + 1))
    with pytest.raises(ValueError):
        P.tokenize(RegressionTasks(t.x[0], t.y, t.w, t.x_query, t.y_query))
    with pytest.raises(ValueError):
        P.readout(torch.zeros(3, 4))
    with pytest.raises(ValueError):
        P.gd_construction(0, 10, 1.0)
    with pytest.raises(ValueError):
        P.gd_construction(3, 10, 1.0, w0=torch.zeros(4))
    with pytest.raises(ValueError):
        P.gd_predict(t, 1.0, 0)
    with pytest.raises(ValueError):
        P.gd_predict(t, [1.0, 2.0], 3)
    with pytest.raises(ValueError):
        P.loss(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError):
        P.eta_star(10, 10, x_dist="cauchy")



def test_deep_warmup_config():
    assert P.CONFIGS.ci.deep_warmup > 0 and P.CONFIGS.full.deep_warmup == 0
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(deep_warmup=P.CONFIGS.ci.deep_steps)


def test_gradient_clip_follows_the_official_split_by_depth(monkeypatch):
    """Models with at most 2 layers use ``grad_clip`` (none at ci/full), deeper ones
    ``deep_grad_clip`` (official 10)."""
    seen = {}

    def fake_fit(model, *args, grad_clip=None, **kwargs):
        seen[model.n_layers] = grad_clip

    monkeypatch.setattr(P, "fit", fake_fit)
    for cfg in (P.CONFIGS.ci, P.CONFIGS.full):
        assert cfg.grad_clip == 0 and cfg.deep_grad_clip == 10.0
        for k in (1, 2, 3):
            P.train_lsa(P.make_lsa(cfg, k, shared=True), cfg, steps=1, batch=2, lr=1e-3,
                        generator=torch.Generator().manual_seed(0))
        assert seen == {1: None, 2: None, 3: 10.0}
    with pytest.raises(ValueError, match="clips"):
        P.CONFIGS.ci.replace(deep_grad_clip=-1.0).check()
