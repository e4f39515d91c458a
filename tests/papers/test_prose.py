"""Oracles for nonlinlab.papers.prose (fast: no training beyond a few steps)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.papers import prose as P


def random_equation(rng, d=2, max_terms=4, digits=2):
    lib = [m for m in P.term_library(d)] + [(3, 0), (2, 1), (1, 2), (0, 3)][: 4 if d == 2 else 0]
    eq = []
    for _ in range(d):
        k = int(rng.integers(1, max_terms + 1))
        ms = rng.choice(len(lib), size=k, replace=False)
        c = P.round_sig(rng.uniform(0.05, 9.0, k) * rng.choice([-1, 1], k), digits)
        eq.append({tuple(lib[m]): float(v) for m, v in zip(ms, c, strict=True)})
    return tuple(eq)


@pytest.mark.parametrize("digits", [2, 3])
def test_tokenizer_round_trip_1000_expressions(digits):
    rng = np.random.default_rng(digits)
    tok = P.Tokenizer(2, digits)
    for _ in range(1000):
        eq = random_equation(rng, digits=digits)
        back = tok.decode(tok.encode(eq))
        assert back is not None and P.skeleton_of(back) == P.skeleton_of(eq)
        for comp, comp_back in zip(eq, back, strict=True):
            for m, c in comp.items():
                assert comp_back[m] == pytest.approx(c, rel=1e-12)
        assert tok.encode(back) == tok.encode(eq)  # encode(decode(x)) = x


def test_decoder_agrees_with_sympy():
    import sympy

    rng = np.random.default_rng(3)
    tok = P.Tokenizer(2, 2)
    for _ in range(20):
        eq = random_equation(rng)
        ids = tok.encode(eq)
        exprs, u = tok.to_sympy(ids)
        ours = tok.decode(ids)
        for e, comp in zip(exprs, ours, strict=True):
            poly = sympy.Poly(e, *u)
            ref = {m: float(c) for m, c in poly.terms()}
            assert set(ref) == set(comp)
            for m, c in comp.items():
                assert c == pytest.approx(ref[m], rel=1e-12)


def test_float_tokens_within_half_a_unit_of_the_last_digit():
    rng = np.random.default_rng(0)
    for digits in (2, 3):
        tok = P.Tokenizer(1, digits)
        x = rng.uniform(1e-3, 9e3, 2000) * rng.choice([-1, 1], 2000)
        for v in x:
            sign, m, e = tok.float_words(v)
            back = (1 if sign == "+" else -1) * int(m[1:]) * 10.0 ** int(e[1:])
            ulp = 10.0 ** (np.floor(np.log10(abs(v))) - digits + 1)
            assert abs(back - v) <= 0.5 * ulp * (1 + 1e-9) + 1e-12
    with pytest.raises(ValueError, match="zero"):
        P.Tokenizer(1, 2).float_words(0.0)


def test_bad_sequences_do_not_parse():
    tok = P.Tokenizer(2, 2)
    ids = tok.encode(({(0, 1): 1.0}, {(1, 0): -4.0, (0, 1): -0.3}))
    assert tok.decode(ids[:-1]) is None                         # no EOS
    assert tok.decode(ids[:5] + [tok.eos]) is None              # one component only
    sk = tok.encode_skeleton(({(0, 1)}, {(1, 0)}))
    assert tok.decode(sk) is None                               # placeholders are not numbers
    bad = [tok.bos, tok.index["add"], tok.index["u0"], tok.index["|"], tok.index["u1"], tok.eos]
    assert tok.decode(bad) is None                              # add with one argument


def test_batched_generator_matches_dop853_per_trajectory():
    from scipy.integrate import solve_ivp

    rng = np.random.default_rng(0)
    t = np.linspace(0, 4, 64)
    for fam in P.FAMILIES.values():
        coefs, traj = P.simulate_family(fam, 3, 2, t, 2, rng)
        exps, comp, _ = P.family_arrays(fam)
        for i in range(len(traj)):
            f = P.poly_rhs(coefs[i:i + 1], exps, comp)
            ref = solve_ivp(f, (0, 4), traj[i, 0], t_eval=t, method="DOP853", rtol=1e-10,
                            atol=1e-12).y.T
            assert np.linalg.norm(traj[i] - ref) / np.linalg.norm(ref) < 1e-4


def test_vector_field_is_the_written_equation():
    fam = P.FAMILIES["Van der Pol"]
    exps, comp, nominal = P.family_arrays(fam)
    u = np.array([[0.7, -1.3]])
    f = P.poly_rhs(nominal[None], exps, comp)(0.0, u.ravel())
    x, y = u[0]
    np.testing.assert_allclose(f, [y, -x + y - x * x * y])


def test_noise_is_two_percent_of_the_trajectory_norm():
    u = np.random.default_rng(0).normal(size=(5, 30, 2))
    noisy = P.add_noise(u, 0.02, np.random.default_rng(1))
    ratio = np.linalg.norm(noisy - u, axis=(1, 2)) / np.linalg.norm(u, axis=(1, 2))
    np.testing.assert_allclose(ratio, 0.02, rtol=1e-12)


def test_corruption_adds_or_deletes_one_term_and_never_empties_a_component():
    rng = np.random.default_rng(0)
    skel = P.FAMILIES["Duffing"].skeleton()
    kinds = []
    for _ in range(4000):
        noisy, kind = P.corrupt_skeleton(skel, rng, 0.15, 0.15)
        kinds.append(kind)
        diff = sum(len(a ^ b) for a, b in zip(noisy, skel, strict=True))
        assert diff == (0 if kind == 0 else 1) and all(noisy)
        if kind == 1:
            added = [m for a, b in zip(noisy, skel, strict=True) for m in a - b]
            assert sum(added[0]) <= 2  # constant, linear or quadratic
    freq = np.bincount(kinds, minlength=3) / len(kinds)
    np.testing.assert_allclose(freq, [0.7, 0.15, 0.15], atol=0.02)


def test_dataset_targets_are_clean_full_equations():
    cfg = P.CONFIGS.ci.replace(n_eq=2, n_ic=2)
    tok = P.Tokenizer(2, cfg.float_precision)
    ds = P.make_dataset(cfg, 2, np.random.default_rng(0), tok)
    assert ds.u.shape == (16, cfg.t_num, 2) and (ds.corrupted >= 0).all()
    for i in range(len(ds.u)):
        truth = P.equation(P.FAMILIES[ds.families[ds.family[i]]], ds.coefs[i])
        assert tok.decode(ds.text_out[i]) == truth
        assert ds.text_clean_skel[i] == tok.encode_skeleton(P.skeleton_of(truth))


def test_data_loss_is_mean_relative_squared_error():
    u = torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [0.0, 0.0]]])
    u_hat = torch.tensor([[[1.0, 1.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]]])
    # sample 1: 1 / 2; sample 2: 1 / 4
    assert P.data_loss(u_hat, u, eps=0.0).item() == pytest.approx((0.5 + 0.25) / 2)


def small_model(use_text=True):
    torch.manual_seed(0)
    return P.PROSE(2, 120, 32, 4, (1, 1, 1, 1, 1), use_text, 64).eval()


def test_operator_queries_are_independent_and_text_decoder_is_causal():
    m = small_model()
    t_in, u_in = torch.rand(2, 8), torch.randn(2, 8, 2)
    txt = torch.randint(3, 100, (2, 10))
    tq = torch.rand(2, 6)
    with torch.no_grad():
        full, _ = m(t_in, u_in, tq, txt)
        part, _ = m(t_in, u_in, tq[:, :3], txt)
        torch.testing.assert_close(full[:, :3], part, rtol=1e-5, atol=1e-6)
        y = torch.randint(3, 100, (2, 12))
        _, lg = m(t_in, u_in, tq, txt, y)
        y2 = y.clone()
        y2[:, 8:] = 5
        _, lg2 = m(t_in, u_in, tq, txt, y2)
        torch.testing.assert_close(lg[:, :7], lg2[:, :7])


def test_decoders_see_only_their_half_of_the_fused_features():
    m = small_model()
    t_in, u_in = torch.rand(1, 8), torch.randn(1, 8, 2)
    txt = torch.randint(3, 100, (1, 10))
    with torch.no_grad():
        d, t, pad = m.encode(t_in, u_in, txt)
        assert d.shape[1] == 8 and t.shape[1] == 10
        tq = torch.rand(1, 5)
        ref = m.forward_data(d, tq)
        torch.testing.assert_close(m(t_in, u_in, tq, txt)[0], ref)


def test_data_only_model_has_no_text_branch():
    m = small_model(use_text=False)
    assert not hasattr(m, "text_enc") and not hasattr(m, "embed_text")
    assert not hasattr(m, "fusion")  # official no_text: no fusion block either
    with pytest.raises(ValueError, match="no text decoder"):
        m.generate(torch.rand(1, 8), torch.randn(1, 8, 2), torch.ones(1, 3, dtype=torch.long), 5)


def test_a_few_training_steps_lower_the_loss():
    cfg = P.CONFIGS.ci.replace(n_eq=4, n_ic=4, steps=30, batch=16, width=32,
                               layers=(1, 1, 1, 1, 1), warmup=5, n_query_train=8)
    tok = P.Tokenizer(2, cfg.float_precision)
    ds = P.make_dataset(cfg, cfg.n_eq, np.random.default_rng(0), tok)
    m = P.PROSE(2, len(tok), cfg.width, cfg.heads, cfg.layers, True, 64)
    hist = P.train(m, P.to_tensors(ds, cfg), cfg, 0, torch.device("cpu"))
    # the text loss starts at chance level, log|V| (official embedding init), and drops by a third
    assert hist["text"][-1] < 0.75 * hist["text"][0]
    assert hist["data"][-1] < 0.5 * hist["data"][0]


def test_official_embedding_init_gives_a_chance_level_text_loss():
    # the official ``Embedding``: N(0, 1/w), padding row 0 -> tied logits O(1) at initialisation,
    # so the first text loss is close to log(vocab) (PyTorch's N(0, 1) would give ~sqrt(w))
    torch.manual_seed(0)
    m = P.PROSE(2, 120, 64, 4, (1, 1, 1, 1, 1), True, 64)
    w = m.embed_text.weight
    assert w[0].abs().max() == 0 and abs(w[1:].std().item() - 64 ** -0.5) < 0.01
    txt, y = torch.randint(3, 120, (8, 10)), torch.randint(3, 120, (8, 12))
    _, logits = m(torch.rand(8, 6), torch.randn(8, 6, 2), torch.rand(8, 4), txt, y)
    assert abs(P.text_loss(logits, y).item() - np.log(120)) < 1.0


def test_training_draws_fresh_two_percent_noise_on_the_clean_trajectories():
    cfg = P.CONFIGS.ci.replace(n_eq=2, n_ic=2, steps=2, batch=4, width=32,
                               layers=(1, 1, 1, 1, 1), warmup=1, n_query_train=0)
    tok = P.Tokenizer(2, cfg.float_precision)
    ds = P.make_dataset(cfg, cfg.n_eq, np.random.default_rng(0), tok)
    data = P.to_tensors(ds, cfg)
    torch.testing.assert_close(data.clean, torch.tensor(ds.clean, dtype=torch.float32))
    seen = []

    class Spy(P.PROSE):
        def forward(self, t_in, u_in, t_query, text_in=None, text_out=None):
            seen.append(u_in.detach().clone())
            return super().forward(t_in, u_in, t_query, text_in, text_out)

    torch.manual_seed(0)
    m = Spy(2, len(tok), cfg.width, cfg.heads, cfg.layers, True, 64)
    P.train(m, data, cfg, 0, torch.device("cpu"))
    assert len(seen) == 2
    stored = set(map(tuple, data.u_in.flatten(1).numpy().round(6).tolist()))
    for u in seen:  # never the stored noise realisation
        assert not any(tuple(r) in stored for r in u.flatten(1).numpy().round(6).tolist())


def test_solve_decoded_matches_the_generator():
    fam = P.FAMILIES["damped oscillator"]
    exps, comp, nominal = P.family_arrays(fam)
    t = np.linspace(0, 2, 20)
    u0 = np.array([1.0, -0.5])
    ref = P.integrate(nominal[None], exps, comp, u0[None], t)[0]
    ours = P.solve_decoded(P.equation(fam, nominal), u0, t)
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    blow = P.solve_decoded(({(2, 0): 5.0}, {(0, 1): 1.0}), np.array([3.0, 1.0]), t)
    assert np.isnan(blow[-1]).all()  # blow-up stops the integration


def test_configs_fit_their_budgets_and_bad_input_fails():
    assert P.estimate_seconds(P.CONFIGS.ci) <= all_chapters()["prose"].ci_budget_s
    assert P.estimate_seconds(P.CONFIGS.full) <= BUDGET_S["full"]
    with pytest.raises(ValueError, match="unknown family"):
        P.Config(families=("Lorenz",))
    with pytest.raises(ValueError, match="t_input"):
        P.Config(t_input=100)


def test_text_variants_of_the_test_set():
    cfg = P.CONFIGS.ci.replace(n_ic=1)
    tok = P.Tokenizer(2, cfg.float_precision)
    ds = P.make_dataset(cfg, 2, np.random.default_rng(0), tok)
    clean = P.text_variant(ds, tok, "clean", 0)
    assert clean == ds.text_clean_skel
    for kind in ("add", "delete"):
        for a, b in zip(P.text_variant(ds, tok, kind, 0), clean, strict=True):
            assert a != b
    names = ds.families
    for s, f in zip(P.text_variant(ds, tok, "swap", 0), ds.family, strict=True):
        assert s == tok.encode_skeleton(P.FAMILIES[names[(f + 1) % len(names)]].skeleton())
    with pytest.raises(ValueError, match="unknown text variant"):
        P.text_variant(ds, tok, "shuffle", 0)


def test_operator_test_set_is_paired_and_separate():
    cfg = P.CONFIGS.ci.replace(n_eq=2, n_ic=2, n_eq_test=2, n_eq_op_test=3, steps=1, width=32,
                               layers=(1, 1, 1, 1, 1), warmup=1)
    r = P.run(cfg, seed=0, device=torch.device("cpu"))
    eo = P.operator_errors(r, cfg, torch.device("cpu"), seed=0)
    n = len(eo["family"])
    assert 0 < n <= len(cfg.families) * 3 * 4
    assert all(len(eo[k]) == n for k in ("data-only", "PROSE (given text)", "PROSE (clean text)",
                                         "PROSE (empty text)"))
    assert P.operator_errors(r, cfg.replace(n_eq_op_test=0), torch.device("cpu"), 0) == {}
