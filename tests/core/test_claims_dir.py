"""Where a chapter's claim record lands: the book's _build/claims, or next to the notebook."""

from __future__ import annotations

from nonlinlab.core import Claims, claims_dir


def test_outside_the_book_the_record_lands_in_the_notebooks_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("NONLINLAB_CLAIMS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # e.g. /content on Colab, or a folder holding one notebook
    assert claims_dir() == tmp_path
    assert Claims("demo", profile="ci", seed=0).write() == tmp_path / "demo.json"
    assert not (tmp_path / "_build").exists()


def test_inside_the_book_the_record_lands_in_build_claims(tmp_path, monkeypatch):
    monkeypatch.delenv("NONLINLAB_CLAIMS_DIR", raising=False)
    (tmp_path / "_toc.yml").write_text("root: x\n")
    nested = tmp_path / "notebooks" / "part"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    assert claims_dir() == tmp_path / "_build" / "claims"


def test_the_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("NONLINLAB_CLAIMS_DIR", str(tmp_path / "records"))
    monkeypatch.chdir(tmp_path)
    assert claims_dir() == tmp_path / "records"
