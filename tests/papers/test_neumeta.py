import numpy as np
import pytest
import torch

from nonlinlab.papers import neumeta as P


def _rand_ws(width, seed=0):
    return P.init_cnn(width, torch.Generator().manual_seed(seed))


def test_exact_shp_matches_brute_force():
    rng = np.random.default_rng(0)
    for n in (3, 5, 6):
        X = rng.normal(size=(n, 4))
        D = np.abs(X[:, None] - X[None]).sum(-1)
        opt, order = P.exact_shortest_path(D)
        assert opt == pytest.approx(P.brute_force_shortest_path(D))
        assert P.path_length(D, order) == pytest.approx(opt)
        assert sorted(order.tolist()) == list(range(n))


def test_heuristic_shp_near_exact_and_valid():
    assert P.shp_oracle(seed=1, n_instances=4, sizes=(6, 7)) <= 1.05
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 5))
    D = np.abs(X[:, None] - X[None]).sum(-1)
    order = P.shortest_path(D)
    assert sorted(order.tolist()) == list(range(20))
    assert P.path_length(D, order) <= P.path_length(D, np.arange(20))


def test_permutation_preserves_function_and_smooths():
    ws = [w.detach() for w in _rand_ws(4)]
    x = torch.rand(16, 1, 8, 8)
    pw, info = P.smoothing_permutation(ws)
    assert torch.allclose(P.cnn_forward(x, ws), P.cnn_forward(x, pw), atol=1e-5)
    assert all(i["shp"] <= i["identity"] + 1e-9 for i in info)
    assert P.total_variation(pw) < P.total_variation(ws)


def test_l1_prune_shapes_and_full_width_identity():
    ws = [w.detach() for w in _rand_ws(8)]
    pr = P.l1_prune(ws, 4)
    assert [tuple(w.shape) for w in pr] == P.shapes(4)
    full = P.l1_prune(ws, 8)
    assert all(torch.equal(a, b) for a, b in zip(full, ws, strict=True))


def test_inr_generates_right_shapes_and_coordinates():
    cfg = P.Config(full_width=8, min_width=2, hidden=16, blocks=1, freqs=2)
    m = P.NeuMeta(cfg)
    for h in (2, 5, 8):
        assert [tuple(w.shape) for w in m(h)] == P.shapes(h)
    c = P.coordinates(4, norm=32.0)
    assert c[2].shape == (8 * 4, 6)                      # conv2: (2h, h)
    assert float(c[2][:, 1].max()) == pytest.approx(7 / 8)  # o / n_out
    assert float(c[2][:, 4].max()) == pytest.approx(8 / 32)  # n_out / N


def test_bad_config_raises():
    with pytest.raises(ValueError):
        P.Config(full_width=8, min_width=3, train_step=2)
    with pytest.raises(ValueError):
        P.shortest_path(np.zeros((3, 4)))


def test_estimate_seconds_budget():
    assert P.estimate_seconds(P.CONFIGS.full) <= 20 * 60


def test_fit_inr_reduces_reconstruction_loss():
    cfg = P.Config(full_width=4, min_width=2, held_out=(3,), hidden=16, blocks=1, freqs=2,
                   fit_steps=30, k_samples=2)
    data = {"xtr": torch.zeros(1, 1, 8, 8), "xte": torch.randn(20, 1, 8, 8),
            "yte": torch.randint(10, (20,))}
    target = [w.detach() for w in _rand_ws(4)]
    torch.manual_seed(0)
    with torch.no_grad():
        start = float(P.recon_loss(P.NeuMeta(cfg, calibrate=False)(4), target))
    fit = P.fit_inr(data, target, cfg, seed=0)
    assert fit["recon"] < 0.5 * start
    assert [tuple(w.shape) for w in fit["weights"]] == P.shapes(4)


def test_size_noise_moves_sizes_only_when_asked():
    gen = torch.Generator().manual_seed(0)
    plain = P.coordinates(4, norm=32.0, noise=1.0, gen=gen)
    noisy = P.coordinates(4, norm=32.0, noise=1.0, gen=gen, size_noise=True)
    assert torch.all(plain[2][:, 4] == 8 / 32)           # sizes exact without size noise
    assert float(noisy[2][:, 4].std()) > 0                # official: sizes are noisy too
    assert float((noisy[2][:, 4] * 32 - 8).abs().max()) <= 0.5


def test_batched_generation_matches_per_tensor_reference():
    """One packed INR call for several widths == each tensor's head on its own coordinates."""
    cfg = P.Config(full_width=8, min_width=2, hidden=16, blocks=2, freqs=3)
    m = P.NeuMeta(cfg)
    with torch.no_grad():
        m.b_out.normal_()  # biases not zeroed, so every head's output is checked
        batched = m.generate((2, 5, 8))
        for h in (2, 5, 8):
            for t, (x, s) in enumerate(zip(P.coordinates(h, m.norm), P.shapes(h), strict=True)):
                y = m.heads(x[None], torch.tensor([t]))[0] / (s[1] if len(s) > 1 else 1)
                ref = y.reshape(s) if len(s) == 4 else y[:, 4].reshape(s)
                assert torch.allclose(batched[h][t], ref, atol=1e-6), (h, t)
        # heads are distinct: swapping the head index changes the output
        x = P.coordinates(4, m.norm)[2][None]
        assert not torch.allclose(m.heads(x, torch.tensor([2])), m.heads(x, torch.tensor([3])))


def test_noisy_generation_moves_weights_and_averages_back():
    cfg = P.Config(full_width=4, min_width=2, held_out=(3,), hidden=16, blocks=1, freqs=2)
    m = P.NeuMeta(cfg)
    gen = torch.Generator().manual_seed(0)
    clean = m(4)
    noisy = m(4, 1.0, gen)
    assert any(not torch.allclose(a, b) for a, b in zip(clean, noisy, strict=True))
    one = m.sample(4, 1, 1.0, gen)                         # K=1: the noise-free sample
    assert all(torch.equal(a, b) for a, b in zip(clean, one, strict=True))


def test_held_out_widths_are_unseen_and_checked():
    cfg = P.Config()
    assert cfg.train_widths == (2, 4, 5, 7, 8)
    assert set(P.unseen_gap(dict.fromkeys(cfg.eval_widths, 0.5), cfg)) == {3, 6}
    with pytest.raises(ValueError):
        P.Config(full_width=4, min_width=2, held_out=(4,))


def test_pruning_comparison_is_averaged_over_pretrained_nets():
    cfg = P.Config(pre_epochs=1, epochs=1, fit_steps=2, k_samples=1, pruning_nets=2)
    data = P.load_data(cfg, seed=0)
    r = P.pruning_replicate(data, cfg, seed=5)
    assert set(r["neumeta"]) == set(r["l1"]) == set(cfg.eval_widths) and r["seed"] == 5
    assert 0.0 <= r["acc_pre"] <= 1.0
    assert r["l1"][cfg.full_width] == pytest.approx(r["acc_pre"])  # pruning to full width
    again = P.pruning_replicate(data, cfg, seed=5)
    assert again["neumeta"] == r["neumeta"] and again["l1"] == r["l1"]  # seeded
    res = {"pruning_nets": [{"neumeta": {2: 0.8}, "l1": {2: 0.5}},
                            {"neumeta": {2: 0.7}, "l1": {2: 0.6}}]}
    mean, gaps = P.pruning_gap(res, 2)
    assert gaps == pytest.approx([0.3, 0.1]) and mean == pytest.approx(0.2)
    with pytest.raises(ValueError):
        P.Config(pruning_nets=0)
    more = P.CONFIGS.ci.replace(pruning_nets=3)
    assert P.estimate_seconds(more) > P.estimate_seconds(P.CONFIGS.ci)
