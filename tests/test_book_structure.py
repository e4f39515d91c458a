"""Structure tests of the book: the chapter contract, enforced for every chapter in _toc.yml."""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

from nonlinlab.core import Profiles, all_chapters, meta

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from book_pages import GENERATED, toc_chapters, toc_files  # noqa: E402

# NONLINLAB_TOC lets a chapter author check a draft table of contents without editing _toc.yml.
TOC = Path(os.environ.get("NONLINLAB_TOC", ROOT / "_toc.yml"))
CHAPTERS = toc_chapters(TOC)
SECTIONS = ["## Method", "## Experiments", "## Reproduction check", "## Discussion",
            "## Cite this chapter"]


def bib_keys() -> set[str]:
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"^@\w+\{([^,\s]+),", text, flags=re.M))


def paths(slug: str) -> tuple[Path, Path]:
    base = ROOT / all_chapters()[slug].notebook
    return base.with_suffix(".py"), base.with_suffix(".ipynb")


def test_there_is_at_least_one_chapter():
    assert CHAPTERS, "no chapter listed in _toc.yml"


def test_toc_files_exist():
    for f in toc_files(TOC):
        if f in GENERATED:
            continue
        candidates = [ROOT / f"{f}{ext}" for ext in (".md", ".ipynb")]
        assert any(c.exists() for c in candidates), f"_toc.yml names a missing file: {f}"


def test_no_orphan_notebooks():
    listed = {all_chapters()[s].notebook for s in CHAPTERS}
    found = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "notebooks").rglob("*")
             if p.suffix in (".py", ".ipynb") and ".ipynb_checkpoints" not in p.parts}
    assert found <= listed, f"notebooks not in _toc.yml: {sorted(found - listed)}"


def test_chapter_metadata_is_complete():
    chapters = all_chapters()
    assert len(chapters) == 52
    keys = bib_keys()
    for ch in chapters.values():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", ch.slug), ch.slug
        assert re.fullmatch(r"\d\d-[a-z0-9-]+", ch.part), ch.part
        assert ch.bibkey in keys, f"{ch.slug}: {ch.bibkey} missing from references.bib"
        assert ch.title.strip()
        assert ch.ci_budget_s in (30.0, 60.0, 90.0), (
            f"{ch.slug}: ci budget is 30 s, up to 60 s where the headline needs it, 90 s with "
            "the 135M LLM")


def test_references_parse():
    from pybtex.database import parse_file

    db = parse_file(str(ROOT / "references.bib"))
    for key, entry in db.entries.items():
        assert entry.persons.get("author"), f"{key} has no author"
        assert "title" in entry.fields and "year" in entry.fields, key


def test_repository_is_named_in_one_place():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == meta.REPO_URL
    assert config["repository"]["branch"] == meta.REPO_BRANCH
    assert config["title"] == meta.BOOK_TITLE
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["repository-code"] == meta.REPO_URL and cff["url"] == meta.BOOK_URL
    assert meta.pip_spec() in (ROOT / "README.md").read_text()
    assert meta.REPO_URL in (ROOT / "lib" / "pyproject.toml").read_text()


def test_book_config_is_offline_and_strict():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    sphinx = config["sphinx"]["config"]
    assert not sphinx["mathjax_path"].startswith("http")
    assert "book/_vendor" in sphinx["html_static_path"]
    assert config["launch_buttons"]["colab_url"]
    # exactly one bibliography directive in the whole book
    pages = [p for p in ROOT.joinpath("book").rglob("*.md")]
    assert sum("{bibliography}" in p.read_text() for p in pages) == 1


@pytest.mark.parametrize("slug", CHAPTERS)
def test_chapter_contract(slug):
    ch = all_chapters()[slug]
    py, ipynb = paths(slug)
    assert py.exists() and ipynb.exists(), f"{slug}: both {py.name} and {ipynb.name} are needed"
    text_nb = jupytext.read(py)
    nb = nbformat.read(ipynb, as_version=4)

    # paired and in sync (jupytext --diff exits 0 on differences, so compare here)
    def cells(notebook):
        return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", [])))
                for c in notebook.cells]

    assert cells(text_nb) == cells(nb), f"{slug}: .py and .ipynb differ; run jupytext --update"

    # kernel, Colab GPU, no outputs
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata.get("accelerator") == "GPU"
    for c in nb.cells:
        if c.cell_type == "code":
            assert not c.outputs and c.execution_count is None, f"{slug}: committed outputs"

    code = [c for c in nb.cells if c.cell_type == "code"]
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]

    # 1. title with the paper's citation; setup cell installs from the same git ref
    assert markdown[0].source.startswith("# "), f"{slug}: first cell must be the title"
    assert ch.bibkey in markdown[0].source and "{cite" in markdown[0].source
    assert code[0].source.strip() == meta.colab_setup_source(ch).strip(), (
        f"{slug}: the setup cell is not the one generated from chapters.csv (extras "
        f"{' '.join(ch.extras) or 'none'}); run .venv/bin/python tools/new_chapter.py "
        f"--sync-setup {slug}")

    # 2. exactly one parameters cell with the three parameters
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, f"{slug}: needs exactly one cell tagged parameters"
    assert re.search(r'^profile = "auto"', params[0].source, re.M)
    assert re.search(r"^seed = \d+", params[0].source, re.M)
    assert re.search(r'^device = "auto"', params[0].source, re.M)
    assert code[1] is params[0], f"{slug}: parameters must follow the setup cell"
    assert f'Chapter("{slug}"' in code[2].source

    # 3. sections in order, a claims check, the chapter BibTeX at the end
    headings = [line for c in markdown for line in c.source.splitlines() if line in SECTIONS]
    assert headings == SECTIONS, f"{slug}: sections must be {SECTIONS}, found {headings}"
    assert any("ch.claims.check()" in c.source for c in code), f"{slug}: no claims check"
    assert "ch.bibtex()" in code[-1].source

    # no Python-domain roles: the book has no API pages, so they cannot resolve (-n fails)
    for c in markdown:
        assert not re.search(r"\{(py:)?(mod|func|class|meth|attr)\}`", c.source), (
            f"{slug}: use a code literal, not a {{mod}}/{{func}} role")

    # every citation key exists
    keys = bib_keys()
    for c in markdown:
        for role_keys in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", c.source):
            for key in role_keys.split(","):
                assert key.strip() in keys, f"{slug}: cites unknown key {key}"

    # the paper module and its tests exist
    module = importlib.import_module(ch.module)
    assert isinstance(module.CONFIGS, Profiles), f"{ch.module}.CONFIGS must be a Profiles"
    test_file = ROOT / "tests" / "papers" / f"test_{slug.replace('-', '_')}.py"
    assert test_file.exists(), f"missing {test_file.relative_to(ROOT)}"


@pytest.mark.parametrize("slug", CHAPTERS)
def test_full_profile_fits_its_budget_on_paper(slug):
    from nonlinlab.core import BUDGET_S

    module = importlib.import_module(all_chapters()[slug].module)
    estimate = getattr(module, "estimate_seconds", None)
    assert estimate is not None, f"{slug}: the paper module needs estimate_seconds(cfg)"
    budget = {"ci": all_chapters()[slug].ci_budget_s, "full": BUDGET_S["full"]}
    for profile, cfg in module.CONFIGS.items():
        cfg.check()
        assert estimate(cfg) <= budget[profile], f"{slug}: {profile} config over budget"


def test_lib_never_hard_codes_a_device():
    pattern = re.compile(r"\.cuda\(|device\s*=\s*['\"](cuda|mps)|torch\.device\(['\"](cuda|mps)")
    for path in (ROOT / "lib" / "nonlinlab").rglob("*.py"):
        if "core" in path.relative_to(ROOT / "lib" / "nonlinlab").parts:
            continue
        assert not pattern.search(path.read_text()), f"{path} hard-codes a device"


def test_every_paper_module_belongs_to_a_chapter():
    modules = {p.stem for p in (ROOT / "lib" / "nonlinlab" / "papers").glob("*.py")}
    modules.discard("__init__")
    known = {s.replace("-", "_") for s in all_chapters()}
    assert modules <= known, f"paper modules without a chapter: {sorted(modules - known)}"
    for m in modules:
        assert (ROOT / "tests" / "papers" / f"test_{m}.py").exists(), f"no tests for {m}"


def _profile_blocks(source: str) -> list[str]:
    """The bodies of ``if ch.profile ...:`` / ``if profile ...:`` blocks of a notebook."""
    lines, blocks = source.splitlines(), []
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(el)?if\b.*\b(ch\.)?profile\b.*:\s*$", line)
        if not m:
            continue
        indent, body = len(m.group(1)), []
        for nxt in lines[i + 1:]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            body.append(nxt)
        blocks.append("\n".join(body))
    return blocks


@pytest.mark.parametrize("slug", CHAPTERS)
def test_chapter_ledger_rules(slug):
    """Every claim is recorded at every profile (``asserted_at`` says where it is asserted),
    the chapter marks a headline claim, and the page never talks of internal planning notes."""
    py, _ = paths(slug)
    source = py.read_text(encoding="utf-8")
    assert re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", all_chapters()[slug].calibrated_seeds), (
        f"{slug}: chapters.csv must say on which seeds the thresholds were calibrated, e.g. 0-4")
    for block in _profile_blocks(source):
        assert "claims." not in block, (
            f"{slug}: a claim inside an `if ...profile...:` block; record it at every profile "
            "with asserted_at='full' instead")
    assert re.search(r"kind\s*=\s*[\"']headline[\"']", source), f"{slug}: no headline claim"
    assert not re.search(r"\bbriefs?\b", source, re.I), (
        f"{slug}: the page mentions 'the brief'; say what the chapter chose and why")


def test_profile_block_finder():
    src = "if ch.profile == 'full':\n    ch.claims.less('x', 1, 2)\nx = 1\n"
    assert _profile_blocks(src) == ["    ch.claims.less('x', 1, 2)"]
