import numpy as np
import pytest
import torch

from nonlinlab.papers import sae_dark_matter as P


def test_regression_matches_sklearn_and_normal_equations():
    o = P.regression_oracle(seed=3)
    assert o["coef_err"] < 1e-8
    assert o["r2_err"] < 1e-10
    assert o["orthogonality"] < 1e-8
    assert 0.5 < o["r2"] < 1.0


def test_r2_is_mean_of_per_dimension_r2():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(50, 3)) * [1.0, 10.0, 0.1]
    Yh = Y + rng.normal(size=Y.shape) * 0.5
    per_dim = [1 - ((Y[:, j] - Yh[:, j]) ** 2).sum() / ((Y[:, j] - Y[:, j].mean()) ** 2).sum()
               for j in range(3)]
    assert P.r2(Y, Yh) == pytest.approx(np.mean(per_dim), abs=1e-12)
    assert P.r2(Y, Y) == 1.0


def test_fvu_matches_official_formula():
    x = torch.randn(100, 8) + 3
    xh = x + 0.1 * torch.randn(100, 8)
    ref = ((x - xh) ** 2).sum() / ((x - x.mean(dim=0)) ** 2).sum()
    assert float(P.fvu(x, xh)) == pytest.approx(float(ref))
    assert float(P.fvu(x, x.mean(0).expand_as(x))) == pytest.approx(1.0)


def test_topk_sae_shapes_sparsity_and_unit_decoder():
    sae = P.TopKSAE(16, 64, 4, generator=torch.Generator().manual_seed(0))
    x = torch.randn(10, 16)
    vals, idx = sae.encode(x)
    assert vals.shape == idx.shape == (10, 4)
    assert sae(x).shape == (10, 16)
    assert torch.allclose(sae.W_dec.norm(dim=1), torch.ones(64))
    with pytest.raises(ValueError):
        P.TopKSAE(16, 8, 9)


def test_sae_training_reduces_fvu_and_linear_patch_helps():
    torch.manual_seed(0)
    X = torch.randn(2000, 16) @ torch.randn(16, 16) + 1.0
    sae = P.train_sae(X[:1500], 64, 4, steps=100, batch=128, seed=0)
    assert float(P.fvu(X[1500:], sae.reconstruct(X[1500:]))) < 0.6
    r = P.dark_matter(sae, X[:1500], X[1500:])
    assert r["fvu_patched"] < r["fvu"]
    assert r["r2_vec"] > r["r2_vec_shuffled"] + 0.2


def test_dense_sae_learns_no_planted_features():
    """The sabotage the chapter reports: a dense SAE (k = width) recovers no features."""
    cfg = P.Config(syn_d=16, syn_features=64, syn_active=3.0, syn_rank=2, syn_n=3000,
                   syn_eval=500, syn_width=64, syn_k=3, syn_steps=200, batch=128)
    sparse = P.synthetic_experiment(cfg, seed=0)
    dense = P.synthetic_experiment(cfg, seed=0, k=cfg.syn_width)
    assert sparse["learned_frac_top"] > dense["learned_frac_top"]
    assert dense["learned_frac"] == 0.0
    assert sparse["r2_missing"] > sparse["r2_introduced"]


def test_synthetic_decomposition_is_exact():
    cfg = P.Config(syn_d=8, syn_features=32, syn_active=2.0, syn_rank=2)
    d = P.synthetic_data(cfg, 100, seed=1)
    assert np.allclose(d["x"], d["mu"] + d["f"] @ d["D"].T + d["eps"])
    assert np.allclose(np.linalg.norm(d["D"], axis=0), 1.0)
    d2 = P.synthetic_data(cfg, 100, seed=1, draw=1)
    assert np.array_equal(d["D"], d2["D"]) and not np.array_equal(d["x"], d2["x"])


def test_per_token_scaling_and_spearman():
    rng = np.random.default_rng(0)
    a = rng.exponential(size=400)
    out = P.per_token_scaling([a, 0.5 * a + 0.01 * rng.random(400)])
    assert out["spearman"] > 0.95 and out["r2"] > 0.95
    assert P.spearman(a, -a) == pytest.approx(-1.0)


def test_split_and_config_errors():
    with pytest.raises(ValueError):
        P.split_tokens(torch.zeros(10, 3), 8, 5, seed=0)
    with pytest.raises(ValueError):
        P.Config(widths=(768, 384))
    with pytest.raises(ValueError):
        P.Config(k=400)


def test_budgets_on_paper():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= 20 * 60
