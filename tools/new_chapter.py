"""Scaffold a chapter: ``python tools/new_chapter.py <slug>``.

Writes ``notebooks/<part>/<slug>.py`` (py:percent) with the chapter contract's fixed cells,
a paper module stub and a test stub, then pairs the notebook. The slug must already be listed
in ``lib/nonlinlab/chapters.csv`` (the one source of chapter metadata).

``python tools/new_chapter.py --sync-setup [slug ...]`` rewrites ONLY the setup cell (the first
code cell) of existing chapters (default: all) from ``meta.colab_setup_source(chapter)``, i.e.
from the chapter's ``extras`` in ``chapters.csv``: in the ``.py``, then in the ``.ipynb`` with
``jupytext --to ipynb --update`` when the pair is otherwise in sync, else by editing just that
cell of the ``.ipynb`` (another edit of the ``.py`` is pending; it is left to its author).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from nonlinlab.core import all_chapters, get_chapter, meta

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOK = '''# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     provenance: []
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # {title}
#
# This chapter reproduces {{cite:t}}`{bibkey}`.
#
# **What is reproduced here:** TODO — the headline claims checked at the end of the page.
#
# Run it: the rocket button above opens this page on Colab (choose a GPU runtime for the
# `full` profile); locally, `make book` runs every chapter at the `ci` profile.

# %%
{setup}

# %% tags=["parameters"]
profile = "auto"  # "ci" (CPU, seconds), "full" (one GPU, paper-like scale) or "auto"
seed = 0
device = "auto"  # "auto", "cpu", "cuda", "mps"

# %%
import nonlinlab
from nonlinlab.papers import {module} as paper

ch = nonlinlab.Chapter("{slug}", profile=profile, seed=seed, device=device)
cfg = ch.config(paper.CONFIGS)
cfg

# %% [markdown]
# ## Method

# %% [markdown]
# ## Experiments

# %% [markdown]
# ## Reproduction check

# %%
ch.claims.check()

# %% [markdown]
# ## Discussion

# %% [markdown]
# ## Cite this chapter
#
# Please cite the original paper {{cite:p}}`{bibkey}` and, if this reproduction helped you,
# the chapter:

# %%
print(ch.bibtex())
'''


def _other_cells(nb) -> list[tuple[str, str, tuple]]:
    """Type, source and tags of every cell but the setup cell (the first code cell)."""
    cells = [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", []))) for c in nb.cells]
    first = next(i for i, c in enumerate(cells) if c[0] == "code")
    return cells[:first] + cells[first + 1:]


def _replace_py_setup(text: str, source: str) -> str:
    """``text`` (a py:percent notebook) with the body of its first plain code cell replaced."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "# %%"), None)
    if start is None:
        raise ValueError("no setup cell (a line '# %%') found")
    end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("# %%")),
               len(lines))
    body = "".join(lines[start + 1:end])
    if "google.colab" not in body:
        raise ValueError("the first code cell is not the Colab setup cell")
    gap = "\n" if end < len(lines) else ""
    return "".join(lines[:start + 1]) + source.rstrip() + "\n" + gap + "".join(lines[end:])


def sync_setup(slug: str) -> bool:
    """Rewrite the setup cell of ``slug``'s notebook pair; True if anything changed."""
    import jupytext
    import nbformat

    ch = get_chapter(slug)
    py, ipynb = ROOT / f"{ch.notebook}.py", ROOT / f"{ch.notebook}.ipynb"
    source = meta.colab_setup_source(ch)
    text = py.read_text(encoding="utf-8")
    new_text = _replace_py_setup(text, source)
    changed = new_text != text
    if changed:
        if py.read_text(encoding="utf-8") != text:  # edited meanwhile: do not overwrite it
            raise RuntimeError(f"{py} changed while its setup cell was rewritten; run again")
        py.write_text(new_text, encoding="utf-8")
    if not ipynb.exists():
        subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "--update", str(py)],
                       check=True, capture_output=True)
        return True
    nb = nbformat.read(ipynb, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or "google.colab" not in code[0].source:
        raise ValueError(f"{ipynb}: the first code cell is not the Colab setup cell")
    if code[0].source.strip() == source.strip():
        return changed
    if _other_cells(jupytext.read(py)) == _other_cells(nb):
        subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "--update", str(py)],
                       check=True, capture_output=True)
    else:
        print(f"note: {py.name} and {ipynb.name} differ in other cells too (an edit in "
              "progress?): only the setup cell of the .ipynb was rewritten")
        code[0].source = source
        nbformat.write(nb, ipynb)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slug", nargs="*", help="the chapter (with --sync-setup: default all)")
    parser.add_argument("--sync-setup", action="store_true",
                        help="rewrite only the setup cell of existing notebooks")
    args = parser.parse_args()
    if args.sync_setup:
        slugs = args.slug or [s for s, ch in all_chapters().items()
                              if (ROOT / f"{ch.notebook}.py").exists()]
        for slug in slugs:
            print(f"{slug}: {'updated' if sync_setup(slug) else 'up to date'}")
        return
    if len(args.slug) != 1:
        parser.error("give exactly one slug (or --sync-setup [slug ...])")
    ch = get_chapter(args.slug[0])
    module = ch.slug.replace("-", "_")
    py = ROOT / f"{ch.notebook}.py"
    if py.exists():
        sys.exit(f"{py} exists already")
    py.parent.mkdir(parents=True, exist_ok=True)
    py.write_text(NOTEBOOK.format(title=ch.title, bibkey=ch.bibkey, slug=ch.slug, module=module,
                                  setup=meta.colab_setup_source(ch)))
    subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "--update", str(py)],
                   check=True)
    print(f"wrote {py} and its .ipynb; next: lib/nonlinlab/papers/{module}.py, "
          f"tests/papers/test_{module}.py, and an entry in _toc.yml")


if __name__ == "__main__":
    main()
