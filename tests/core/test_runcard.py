import torch

import nonlinlab
from nonlinlab.core import Chapter, chapter_bibtex, format_run_card, get_chapter, run_card
from nonlinlab.core.plotting import CYCLE, STYLE, use_style


def test_run_card_fields():
    card = run_card(slug="deep-linear-dynamics", profile="ci", device=torch.device("cpu"), seed=3)
    for key in ("profile", "device", "device_name", "seed", "torch", "numpy", "nonlinlab",
                "commit", "torch_threads", "python"):
        assert key in card
    assert card["nonlinlab"] == nonlinlab.__version__
    assert "profile" in format_run_card(card)


def test_chapter_resolves_everything(monkeypatch, capsys):
    monkeypatch.setenv("NONLINLAB_PROFILE", "ci")
    ch = Chapter("deep-linear-dynamics", profile="auto", seed=1, device="cpu",
                 deterministic=False)
    assert ch.profile == "ci" and ch.device.type == "cpu"
    assert "deep-linear-dynamics" in capsys.readouterr().out
    assert ch.claims.slug == "deep-linear-dynamics"
    assert "Exact solutions to the nonlinear dynamics" in ch.bibtex()


def test_chapter_rejects_bad_input(monkeypatch):
    import pytest

    from nonlinlab.core import DeviceError, ProfileError

    with pytest.raises(KeyError, match="chapters.csv"):
        Chapter("no-such-chapter")
    with pytest.raises(DeviceError):
        Chapter("deep-linear-dynamics", device="tpu")
    monkeypatch.setenv("NONLINLAB_PROFILE", "bogus")
    with pytest.raises(ProfileError, match="bogus"):
        Chapter("deep-linear-dynamics")


def test_chapter_bibtex_is_generated_from_metadata():
    ch = get_chapter("deep-linear-dynamics")
    bib = chapter_bibtex("deep-linear-dynamics", commit="0123abcd")
    assert bib.startswith("@incollection{nonlinlab-deep-linear-dynamics,")
    assert ch.url in bib and "0123abcd" in bib and ch.title in bib
    assert "\\cite" not in bib
    assert ch.colab_url.endswith(f"/blob/main/{ch.notebook}.ipynb")


def test_style_is_colour_blind_safe_palette():
    import matplotlib as mpl

    use_style()
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == CYCLE
    assert STYLE["axes.grid"] is True
