import numpy as np
import pytest
import torch

from nonlinlab.papers import adatrans as P

CFG = P.CONFIGS.ci.replace(steps=3, flow_steps=3, n_label=200, n_test=200)


@pytest.fixture(scope="module")
def world():
    return P.World(CFG, seed=0)


def test_realnvp_change_of_variables_exact():
    torch.manual_seed(0)
    flow = P.RealNVP(6, layers=4, hidden=16).double()
    for layer in flow.layers:  # non-trivial scales
        layer.scale.data.normal_()
    flow.sd.copy_(torch.tensor([1.0, 2.0, 0.5, 1.5, 1.0, 0.7]))
    x = torch.randn(10, 6, dtype=torch.float64)
    z, logdet = flow(x)
    assert torch.allclose(flow.inverse(z), x, atol=1e-10)
    for i in range(10):
        J = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[i])
        assert abs(torch.linalg.slogdet(J)[1].item() - logdet[i].item()) < 1e-8


def test_world_exact_density_and_attributes(world):
    w = world.sample(3000, torch.Generator().manual_seed(1))
    from scipy.stats import multivariate_normal
    ref = np.log(sum(multivariate_normal(m.numpy(), c.numpy()).pdf(w[:5].numpy()) / len(world.means)
                     for m, c in zip(world.means, world.covs, strict=True)))
    assert np.allclose(world.log_prob(w[:5]).numpy(), ref, atol=1e-4)
    rates = world.attrs(w).float().mean(0)
    assert ((rates > 0.4) & (rates < 0.6)).all()


def test_editor_mechanics(world):
    net = P.AdaTrans(CFG.dim, 1, 16, 1, 2, max_steps=4).eval()
    w0 = world.sample(50, torch.Generator().manual_seed(2))
    traj, s, d = P.edit_adatrans(net, world, w0)
    assert traj.shape == (5, 50, CFG.dim) and s.shape == (4, 50)
    assert ((s > 0) & (s < 1)).all()
    assert torch.allclose(d.norm(dim=-1), torch.ones(4, 50), atol=1e-5)
    assert torch.allclose(traj[1:] - traj[:-1], s[..., None] * d, atol=1e-6)


def test_soft_pseudo_labels_keep_the_source_scores(world):
    """Official keep targets: the classifier's probabilities on the source, so the keep loss is
    stationary at the source; hard labels push the kept logits away from it."""
    w0 = world.sample(64, torch.Generator().manual_seed(4))
    change, soft = P.targets(world, w0, soft=True)
    change_h, hard = P.targets(world, w0)
    assert torch.equal(change, change_h) and torch.equal((soft > 0.5).float(), hard)
    assert torch.allclose(soft, torch.sigmoid(world.logits(w0)))
    grads = []
    for tgt in (soft, hard):
        w = w0.clone().requires_grad_(True)
        torch.nn.functional.binary_cross_entropy_with_logits(world.logits(w)[:, 1:],
                                                             tgt[:, 1:]).backward()
        grads.append(w.grad.norm().item())
    assert grads[0] < 1e-6 < 1e-3 < grads[1]


def test_interfacegan_matches_sklearn_and_projection(world):
    from sklearn.linear_model import LogisticRegression
    w = world.sample(500, torch.Generator().manual_seed(3)).numpy()
    normals = P.fit_boundaries(world, w)
    y = world.attrs(torch.as_tensor(w)).numpy()[:, 0]
    coef = LogisticRegression(max_iter=1000).fit(w, y).coef_[0]
    assert np.allclose(normals[0], coef / np.linalg.norm(coef), atol=1e-4)
    d = P.conditional_direction(normals, 0, [1, 2, 3])
    Q, _ = np.linalg.qr(normals[1:].T)
    ref = normals[0] - Q @ (Q.T @ normals[0])
    assert np.allclose(d, ref / np.linalg.norm(ref), atol=1e-8)
    assert abs(np.linalg.norm(d) - 1) < 1e-12


def test_training_runs_and_bad_config(world):
    flow = P.train_flow(world, CFG)
    net, hist = P.train_editor(world, flow, CFG, max_steps=2)
    assert len(hist) == CFG.steps and all(np.isfinite(h["cls"]) for h in hist)
    with pytest.raises(ValueError, match="dim"):
        P.Config(dim=7)


def test_estimates_fit_budgets():
    assert P.estimate_seconds(P.CONFIGS.ci) <= 60
    assert P.estimate_seconds(P.CONFIGS.full) <= 20 * 60


def test_face_latent_polar_density_peaks_on_the_typical_shell():
    d = 100
    lat = P.FaceLatent(torch.zeros(3, d), torch.zeros(3), "polar")
    u = torch.randn(d)
    u = u / u.norm()
    radii = torch.linspace(5.0, 15.0, 201)
    lp = lat.log_prob(radii[:, None] * u)
    assert abs(radii[lp.argmax()].item() - (d - 1) ** 0.5) < 0.06
    cart = P.FaceLatent(torch.zeros(3, d), torch.zeros(3), "cartesian")
    z = torch.randn(5, d)
    ref = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    assert torch.allclose(cart.log_prob(z), ref, atol=1e-4)
    assert torch.allclose(lat.log_prob(z) - cart.log_prob(z), (d - 1) * z.norm(dim=1).log())


def test_match_success_interpolates():
    curve = [{"alpha": 1.0, "success": 0.2, "identity": 0.1},
             {"alpha": 2.0, "success": 0.6, "identity": 0.3}]
    m = P.match_success(curve, 0.5)
    assert abs(m["alpha"] - 1.75) < 1e-12 and abs(m["identity"] - 0.25) < 1e-12
    assert P.match_success(curve, 0.9)["alpha"] is None


def test_faces_smoke():
    from nonlinlab.core.optional import FACEGAN
    from nonlinlab.models import face_api

    if FACEGAN.file() is None or not face_api.available():
        pytest.skip("face generator wheel or face-api tarball missing")
    cfg = CFG.replace(face_n_label=32, face_n_test=16, face_steps=3, face_show=2)
    out = P.run_faces(cfg, seed=0)
    assert set(out["res"]) >= {"AdaTrans", "InterFaceGAN"}
    assert max(out["port"].values()) < 1e-4
    assert out["show"]["source"].shape == (2, 3, 64, 64)
