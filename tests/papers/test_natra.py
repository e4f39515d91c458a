import math

import numpy as np
import pytest
import torch

from nonlinlab.papers import natra as paper


def test_configs_valid_and_budget():
    for cfg in (paper.CONFIGS.ci, paper.CONFIGS.full):
        cfg.check()
    assert paper.estimate_seconds(paper.CONFIGS.ci) <= 90
    assert paper.estimate_seconds(paper.CONFIGS.full) <= 20 * 60


def test_sefa_matches_eigh_and_svd():
    torch.manual_seed(0)
    W = torch.randn(8, 200)  # (z_dim, features)
    dirs, evals = paper.sefa(W, 4)
    assert torch.allclose(dirs @ dirs.T, torch.eye(4), atol=1e-5)
    ev, V = torch.linalg.eigh((W @ W.T).double())
    top = V[:, ev.argsort(descending=True)[:4]].T.float()
    assert (dirs * top).sum(1).abs().min() > 0.999
    Vh = torch.linalg.svd(W.T, full_matrices=False).Vh[:4]  # right singular vectors of A
    assert (dirs * Vh).sum(1).abs().min() > 0.999
    assert torch.all(evals[:-1] >= evals[1:])
    with pytest.raises(ValueError):
        paper.sefa(torch.randn(3, 4, 5))


def test_sefa_linear_decoder_is_pca():
    # a linear decoder fitted to centred data (its optimum = PCA): SeFa = principal directions
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6)) @ np.diag([5, 3, 2, 1, 0.5, 0.2]) @ np.linalg.qr(
        rng.normal(size=(6, 6)))[0]
    X -= X.mean(0)
    pca = PCA(3).fit(X)
    codes = X @ pca.components_.T / np.sqrt(pca.explained_variance_)  # whitened codes
    A = pca.components_.T * np.sqrt(pca.explained_variance_)  # x = A z, (features, z_dim)
    dirs, _ = paper.sefa(torch.tensor(A.T, dtype=torch.float32), 3)
    # in whitened code space the SeFa directions are the coordinate axes = principal axes
    assert np.abs(np.abs(dirs.numpy()) - np.eye(3)).max() < 1e-4
    assert np.allclose(codes.std(0), 1, atol=0.01)


def test_render_and_lighting_ramp():
    n = 4
    x = paper.render(np.arange(4), np.full(n, 8.0), np.full(n, 8.0), np.full(n, 3.0),
                     np.zeros(n), np.zeros(n), np.zeros(n))
    assert x.shape == (4, 1, 16, 16)
    assert set(np.unique(x)) <= {0.0, 1.0}
    areas = x.sum((1, 2, 3))
    assert len(set(areas.tolist())) == 4  # four different shapes
    lit = paper.render(np.zeros(1, int), [8.0], [8.0], [3.0], [0.0], [0.5], [0.0])
    assert lit[0, 0, 8, -1] > lit[0, 0, 8, 0]  # θ = 0: lit from the right
    with pytest.raises(ValueError):
        paper.render(np.array([4]), [8.0], [8.0], [3.0], [0.0], [0.0], [0.0])


def test_natural_transform_residual_identity_and_pga_box():
    ae = paper.AutoEncoder(4, 16).eval()
    x = torch.rand(5, 1, 16, 16)
    z = torch.randn(5, 4)
    dirs = paper.random_directions(2, 4, 0)
    assert torch.allclose(paper.natural_transform(ae, x, z, torch.zeros(5, 2), dirs), x)
    f = paper.SmallCNN(4, 16)
    bound = torch.tensor([0.5, 1.0])
    a = paper.pga_alpha(f, ae, x, torch.zeros(5, dtype=torch.long), z, dirs, bound, 2,
                        torch.Generator().manual_seed(0))
    assert torch.all(a.abs() <= bound + 1e-6)


def test_bad_method_and_config():
    with pytest.raises(ValueError):
        paper.train_classifier("nope", {}, paper.CONFIGS.ci, seed=0)
    with pytest.raises(ValueError):
        paper.Config(k_keep=5, k_sefa=4).check()
    assert math.isclose(paper.CONFIGS.ci.eps, 2.0)


def test_whiten_latent_keeps_images_and_whitens_codes():
    torch.manual_seed(0)
    ae = paper.AutoEncoder(4, 16).eval()
    x = torch.rand(300, 1, 16, 16)
    with torch.no_grad():
        before = ae.decode(ae.encode(x))
        paper.whiten_latent(ae, x)
        z = ae.encode(x)
        after = ae.decode(z)
    assert torch.allclose(before, after, atol=1e-4)
    assert torch.allclose(z.mean(0), torch.zeros(4), atol=1e-4)
    assert torch.allclose(torch.cov(z.T), torch.eye(4), atol=1e-3)


def test_data_ranges_pool_covers_the_shift():
    cfg = paper.Config(n_pool=200, n_train=50, n_test=100)
    d = paper.make_data(cfg, 0)
    assert d["pool"]["s"].max() <= cfg.s_ood[1] and d["pool"]["s"].max() > cfg.s_ood[0]
    assert d["train"]["s"].max() <= cfg.s_train
    assert np.all(np.abs(d["train"]["theta"]) <= math.pi / 4)
    assert d["test_ood"]["s"].min() >= cfg.s_ood[0]


def test_random_latent_step_is_isotropic_with_fixed_length():
    g = torch.Generator().manual_seed(0)
    step = paper.random_latent_step(20000, 64, 2.5, g)
    assert torch.allclose(step.norm(dim=1), torch.full((20000,), 2.5), atol=1e-5)
    # uniform direction: covariance norm²/z_dim · I, so a fixed 2-D subspace gets 2/64 of it
    cov = step.T @ step / len(step)
    assert torch.allclose(cov, torch.eye(64) * 2.5**2 / 64, atol=0.01)
    sub = paper.random_directions(2, 64, 1)
    frac = ((step @ sub.T) ** 2).sum(1).mean() / 2.5**2
    assert abs(frac.item() - 2 / 64) < 0.003


def test_baselines_train_and_residual_shift_identity():
    cfg = paper.Config(n_pool=64, n_train=32, n_test=32, z_dim=8, gen_steps=2, inv_steps=1,
                       k_sefa=3, k_keep=2, clf_steps=2, batch=8, width=4)
    prep = paper.prepare(cfg, seed=0)
    x, z = prep["data"]["train"]["x"][:4], prep["z"][:4]
    assert torch.allclose(paper.residual_shift(prep["ae"], x, z, torch.zeros_like(z)), x)
    res = paper.run_methods(prep, cfg, seed=0)
    assert set(res) == set(paper.METHODS)
    assert all(0 <= r["ood"] <= 1 for r in res.values())
