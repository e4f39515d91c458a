"""Scaffold a chapter: ``python tools/new_chapter.py <slug>``.

Writes ``notebooks/<part>/<slug>.py`` (py:percent) with the chapter contract's fixed cells,
a paper module stub and a test stub, then pairs the notebook. The slug must already be listed
in ``lib/nonlinlab/chapters.csv`` (the one source of chapter metadata).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from nonlinlab.core import get_chapter, meta

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slug")
    args = parser.parse_args()
    ch = get_chapter(args.slug)
    module = args.slug.replace("-", "_")
    py = ROOT / f"{ch.notebook}.py"
    if py.exists():
        sys.exit(f"{py} exists already")
    py.parent.mkdir(parents=True, exist_ok=True)
    py.write_text(NOTEBOOK.format(title=ch.title, bibkey=ch.bibkey, slug=ch.slug, module=module,
                                  setup=meta.colab_setup_source()))
    subprocess.run([sys.executable, "-m", "jupytext", "--to", "ipynb", "--update", str(py)],
                   check=True)
    print(f"wrote {py} and its .ipynb; next: lib/nonlinlab/papers/{module}.py, "
          f"tests/papers/test_{module}.py, and an entry in _toc.yml")


if __name__ == "__main__":
    main()
