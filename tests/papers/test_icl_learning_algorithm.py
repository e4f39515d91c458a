import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.models.gpt import GPT
from nonlinlab.papers import icl_learning_algorithm as P


def _prompts(B=6, n=9, d=3, noise=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = P.sample_linear_tasks(B, n, d, noise=noise, generator=g, dtype=torch.float64)
    return t.x, t.y


# -- configuration ------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["ci", "full"])
def test_configs_fit_their_budgets(profile):
    cfg = getattr(P.CONFIGS, profile)
    budget = {"ci": all_chapters()["icl-learning-algorithm"].ci_budget_s,
              "full": BUDGET_S["full"]}
    assert 0 < P.estimate_seconds(cfg) <= budget[profile]


@pytest.mark.parametrize("kw", [{"n": 3}, {"heads": 3}, {"noises": (0.5,)}, {"lr": 0.0},
                                {"ridge_lambdas": (0.1,)}, {"ilwd_probes": 1}, {"steps": 0},
                                {"spd_ratio_max": 1.0}, {"lam_factor_max": 1.0},
                                {"sweep_depths": ()},
                                {"sweep_depths": (2, 4)}])
def test_bad_config_raises(kw):
    with pytest.raises(ValueError):
        P.CONFIGS.ci.replace(**kw)


# -- tokenisation -----------------------------------------------------------------------------

def test_tokenize_interleaves_x_and_y():
    x, y = _prompts(B=2, n=4, d=3)
    tok = P.tokenize(x, y)
    assert tok.shape == (2, 8, 4)
    torch.testing.assert_close(tok[:, 0::2, 1:], x)  # x̃_i = [0, x_i]
    assert torch.all(tok[:, 0::2, 0] == 0)
    torch.testing.assert_close(tok[:, 1::2, 0], y)  # ỹ_i = [y_i, 0_d]
    assert torch.all(tok[:, 1::2, 1:] == 0)


def test_icl_prediction_never_sees_its_own_label():
    cfg = P.CONFIGS.ci
    torch.manual_seed(0)
    model = GPT(cfg.gpt_config()).eval()
    x, y = _prompts(B=3, n=cfg.n, d=cfg.dim)
    x, y = x.float(), y.float()
    base = P.predict_icl(model, x, y)
    y2 = y.clone()
    y2[:, 4] += 100.0
    out = P.predict_icl(model, x, y2)
    torch.testing.assert_close(out[:, :5], base[:, :5])  # ŷ_0..ŷ_4 ignore y_4
    assert (out[:, 5:] - base[:, 5:]).abs().max() > 1e-4  # later predictions use it


def test_bad_prompts_raise():
    x, y = _prompts()
    with pytest.raises(ValueError):
        P.tokenize(x, y[:, :-1])
    with pytest.raises(ValueError):
        P.tokenize(x[0], y[0])
    with pytest.raises(ValueError):
        P.ridge_weights(x, y, 0.0)
    with pytest.raises(ValueError):
        P.learner_weights("lasso", x, y)
    with pytest.raises(ValueError):
        P.knn_predict(x, y, x[:, 0, :2])
    with pytest.raises(ValueError):
        P.spd(y, y[:, :-1])
    with pytest.raises(ValueError):
        P.mean_over(np.arange(5.0), 3, 5)


# -- reference learners vs scikit-learn / numpy ------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3, 7])  # under- and over-determined (d = 3)
def test_ols_is_min_norm_least_squares(k):
    x, y = _prompts()
    w = P.ols_weights(x[:, :k], y[:, :k]).numpy()
    for b in range(x.shape[0]):
        X, Y = x[b, :k].numpy(), y[b, :k].numpy()
        np.testing.assert_allclose(w[b], np.linalg.pinv(X) @ Y, atol=1e-10)
        if k >= 3:
            sk = LinearRegression(fit_intercept=False).fit(X, Y)
            np.testing.assert_allclose(w[b], sk.coef_, atol=1e-10)


@pytest.mark.parametrize("lam", [0.01, 0.25, 1.0, 10.0])
def test_ridge_matches_sklearn_and_sherman_morrison(lam):
    x, y = _prompts()
    online = P.ridge_sherman_morrison(x, y, lam)
    assert online.shape == (6, 10, 3)
    for k in range(1, 10):
        w = P.ridge_weights(x[:, :k], y[:, :k], lam)
        np.testing.assert_allclose(online[:, k].numpy(), w.numpy(), atol=1e-10)
        for b in range(2):
            sk = Ridge(alpha=lam, fit_intercept=False).fit(x[b, :k].numpy(), y[b, :k].numpy())
            np.testing.assert_allclose(w[b].numpy(), sk.coef_, atol=1e-8)


@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_knn_matches_sklearn(weights):
    x, y = _prompts(n=12)
    preds = P.online_predictions("knn", x, y, k=5, weights=weights)
    for b in range(x.shape[0]):
        for i in range(1, 12):
            sk = KNeighborsRegressor(n_neighbors=min(5, i), weights=weights)
            sk.fit(x[b, :i].numpy(), y[b, :i].numpy())
            np.testing.assert_allclose(preds[b, i].item(),
                                       sk.predict(x[b, i: i + 1].numpy())[0], atol=1e-10)


def test_gd_averaging_and_sgd():
    x, y = _prompts()
    X, Y = x[:, :5], y[:, :5]
    # one GD step from 0 with η = 1 is the averaging learner (1/k) Xᵀy
    torch.testing.assert_close(P.gd_weights(X, Y, 1.0), P.averaging_weights(X, Y))
    # many small GD steps converge to least squares (k > d)
    torch.testing.assert_close(P.gd_weights(X, Y, 0.3, steps=3000), P.ols_weights(X, Y),
                               atol=1e-6, rtol=0)
    # per-prompt rates
    lr = torch.linspace(0.1, 1.0, 6, dtype=torch.float64)
    torch.testing.assert_close(P.gd_weights(X, Y, lr), lr[:, None] * P.averaging_weights(X, Y))
    # online SGD: explicit loop for one prompt
    w = np.zeros(3)
    for j in range(5):
        g = np.clip(-2 * (Y[0, j].item() - w @ X[0, j].numpy()) * X[0, j].numpy(), -20, 20)
        w = w - 0.02 * g
    np.testing.assert_allclose(P.sgd_weights(X, Y, 0.02)[0].numpy(), w, atol=1e-12)


def test_online_predictions_use_only_earlier_examples():
    x, y = _prompts()
    pred = P.online_predictions("ols", x, y)
    assert pred.shape == y.shape and torch.all(pred[:, 0] == 0)
    i = 5
    w = P.ols_weights(x[:, :i], y[:, :i])
    torch.testing.assert_close(pred[:, i], (w * x[:, i]).sum(-1))


def test_tuned_gd_rate_beats_fixed_rates():
    x, y = _prompts(B=4000, n=8, d=3, noise=0.0)
    lr = P.tune_gd_lr(x, y)
    tuned = P.mse_by_prefix(P.online_predictions("gd", x, y, lr=lr), y)
    for eta in (0.3, 0.6, 1.0):
        fixed = P.mse_by_prefix(P.online_predictions("gd", x, y, lr=eta), y)
        assert torch.all(tuned[1:] <= fixed[1:] + 1e-12)


# -- Bayes oracle -------------------------------------------------------------------------------

@pytest.mark.parametrize("noise,k", [(0.5, 2), (1.0, 3)])
def test_ridge_with_lambda_sigma_squared_is_bayes_optimal(noise, k):
    lambdas = np.array([0.01, 0.03, 0.1, 0.25, 0.5, 1.0, 3.0, 10.0])
    mse = P.bayes_ridge_mse(lambdas, dim=2 if k == 2 else 3, k=k, noise=noise, tasks=100_000,
                            generator=torch.Generator().manual_seed(0))
    best = lambdas[np.argmin(mse)]
    assert abs(np.log(best) - np.log(noise**2)) < 1e-9  # exactly λ = σ² on this grid


# -- metrics ------------------------------------------------------------------------------------

def test_spd_and_ilwd():
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    g = torch.tensor([[1.0, 0.0], [0.0, 4.0]])
    np.testing.assert_allclose(P.spd(f, g).numpy(), [4.5, 2.0])
    assert P.ilwd(f, g).item() == pytest.approx((4 + 9) / 2)
    assert P.mean_over(np.array([1.0, 2.0, 3.0, 4.0]), 1, 2) == 2.5


def test_refined_argmin_finds_the_vertex_between_grid_points():
    lams = np.array([0.1, 0.175, 0.25, 0.35, 0.5, 1.0])
    for true in (0.2, 0.3, 0.42):
        vals = (np.log(lams) - np.log(true)) ** 2 + 0.05  # a parabola in log λ
        assert P.refined_argmin(lams, vals) == pytest.approx(true, rel=1e-9)
    assert P.refined_argmin(lams, lams) == 0.1  # minimum at the end of the grid: that point
    with pytest.raises(ValueError):
        P.refined_argmin(lams[::-1], lams)


class _LinearInContext(torch.nn.Module):
    """A 'transformer' that predicts with a fixed linear map w*: ŷ at x̃ tokens = w*ᵀx."""

    def __init__(self, w):
        super().__init__()
        self.w = w

    def forward(self, tokens):
        return (tokens[..., 1:] @ self.w)[..., None]


def test_implicit_weights_recover_a_linear_predictor():
    x, y = _prompts(B=5, n=6, d=3)
    w = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    probes = torch.randn(5, 8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for i in (0, 3, 5):
        w_hat = P.implicit_weights(_LinearInContext(w), x, y, i, probes)
        torch.testing.assert_close(w_hat, w.expand(5, 3))
    with pytest.raises(ValueError):
        P.implicit_weights(_LinearInContext(w), x, y, 6, probes)
    with pytest.raises(ValueError):
        P.implicit_weights(_LinearInContext(w), x, y, 2, probes[:, :2])


# -- training (tiny) ------------------------------------------------------------------------------

def test_training_is_deterministic_and_reduces_the_loss():
    cfg = P.CONFIGS.ci.replace(steps=60, batch=16, warmup=10, eval_prompts=50, tune_prompts=50)
    m1, h1 = P.train_icl(cfg, noise=0.0, seed=3, device="cpu", progress_bar=False)
    m2, h2 = P.train_icl(cfg, noise=0.0, seed=3, device="cpu", progress_bar=False)
    assert h1["loss"] == h2["loss"]
    assert np.mean(h1["loss"][-10:]) < np.mean(h1["loss"][:10])
    ev = P.evaluate(m1, cfg, noise=0.0, seed=3, device="cpu")
    assert set(ev.preds) >= {"icl", "ols", "gd", "averaging", "sgd", "knn", "zero",
                             "ridge(0.25)"}
    assert ev.mse("icl").shape == (cfg.n,)
    out = P.ilwd_by_prefix(m1, ev, cfg, [1, cfg.n - 1],
                           {"ols": {}, "one step": {"learner": "gd"},
                            "ridge": {"learner": "ridge", "lam": 0.5}},
                           seed=3, device="cpu")
    assert set(out) == {"ols", "one step", "ridge"}
    assert all(v.shape == (2,) and np.all(np.isfinite(v)) for v in out.values())


def test_warm_start_begins_from_the_given_model():
    cfg = P.CONFIGS.ci.replace(steps=1, noisy_steps=1, batch=4, warmup=1, lr=1e-12)
    base, _ = P.train_icl(cfg, noise=0.0, seed=0, device="cpu", progress_bar=False)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    warm, _ = P.train_icl(cfg, noise=0.5, seed=1, device="cpu", init=base, progress_bar=False)
    cold, _ = P.train_icl(cfg, noise=0.5, seed=1, device="cpu", progress_bar=False)
    assert warm is not base
    for k, v in base.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)  # init left untouched
        torch.testing.assert_close(warm.state_dict()[k], v, rtol=0, atol=1e-9)  # one tiny step
    assert any((cold.state_dict()[k] - v).abs().max() > 1e-3 for k, v in before.items())
    assert P.CONFIGS.ci.lam_k_max == P.CONFIGS.ci.dim  # the λ match reads k = 1..d
    assert P.CONFIGS.ci.warm_start and P.CONFIGS.full.warm_start  # same code path


def test_noise_free_and_noisy_models_train_their_own_step_counts():
    cfg = P.CONFIGS.ci.replace(steps=3, noisy_steps=2, batch=4, warmup=1)
    _, h0 = P.train_icl(cfg, noise=0.0, seed=0, device="cpu", progress_bar=False)
    _, h1 = P.train_icl(cfg, noise=0.5, seed=0, device="cpu", progress_bar=False)
    assert len(h0["loss"]) == 3 and len(h1["loss"]) == 2
    # ci: the noise-free models train longer than the warm-started noisy ones; full: equal
    assert P.CONFIGS.ci.steps > P.CONFIGS.ci.noisy_steps
    assert P.CONFIGS.full.steps == P.CONFIGS.full.noisy_steps
    with pytest.raises(ValueError, match="noisy_steps"):
        P.CONFIGS.ci.replace(noisy_steps=0).check()


def test_depth_sweep_trains_the_requested_depth():
    cfg = P.CONFIGS.ci
    assert cfg.sweep_depths and min(cfg.sweep_depths) < cfg.depth  # ci compares two depths
    small = cfg.replace(steps=2, batch=4, warmup=1)
    m1, _ = P.train_icl(small, noise=0.0, seed=0, device="cpu", depth=1, progress_bar=False)
    m2, _ = P.train_icl(small, noise=0.0, seed=0, device="cpu", progress_bar=False)
    assert m1.cfg.depth == 1 and m2.cfg.depth == cfg.depth
    assert sum(p.numel() for p in m1.parameters()) < sum(p.numel() for p in m2.parameters())
    # evaluation without ridge learners (the depth sweep needs only OLS and GD)
    ev = P.evaluate(m1, small.replace(eval_prompts=20, tune_prompts=20), noise=0.0, seed=0,
                    device="cpu", lambdas=())
    assert not any(k.startswith("ridge") for k in ev.preds) and "gd" in ev.preds


def test_noise_free_spd_cannot_tell_a_label_leak_from_least_squares():
    """Why the chapter's leak-proof claims use noisy labels: noise-free with k > d, least squares
    is exact, so a 'model' that outputs its query label has SPD 0 to it; with noise it does not,
    and its SPD to the labels (0) exposes it."""
    for noise, leak_matches_ols in ((0.0, True), (0.5, False)):
        x, y = _prompts(B=400, n=9, d=5, noise=noise, seed=2)
        ols = P.online_predictions("ols", x, y)
        leak = y.clone()  # sees y_i when predicting y_i
        spd_ols = P.mean_over(P.spd(leak, ols).numpy(), 6, 8)  # over-determined k = d+1..n-1
        assert (spd_ols < 1e-12) == leak_matches_ols
        if noise > 0:
            ridge = P.online_predictions("ridge", x, y, lam=noise**2)
            assert P.mean_over(P.spd(leak, y).numpy(), 6, 8) == 0.0  # SPD(leak, labels) = 0
            assert P.mean_over(P.spd(ridge, y).numpy(), 6, 8) > 0.1
