"""Chapter metadata: one source of truth (``nonlinlab/chapters.csv``) for slug, part, paper
title, BibTeX key and the chapter's ci budget. The "Cite this chapter" BibTeX, the book's
structure tests and the scoreboard all read it from here, so they cannot drift apart."""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from importlib import resources

from . import meta
from .optional import GROUPS, DataWheel, group_wheels
from .profiles import PROFILES


def _split_extra(token: str) -> tuple[str, str]:
    """``"full:graph"`` → ``("full", "graph")``; ``"movielens"`` → ``("", "movielens")``."""
    at, _, group = token.rpartition(":")
    return at, group


@dataclass(frozen=True)
class ChapterMeta:
    slug: str
    part: str
    title: str  # the paper's title
    bibkey: str  # the paper's key in references.bib
    ci_budget_s: float = 30.0  # own-compute budget of the ci profile (90 s for 135M-LLM chapters)
    #: extras groups of lib/pyproject.toml the chapter needs: "movielens" at every profile,
    #: "full:graph" at the full profile only (see nonlinlab.core.optional.GROUPS)
    extras: tuple[str, ...] = ()
    #: the seeds the chapter's thresholds were calibrated on, e.g. "0-4" ("" for a chapter
    #: that is not written yet); shown on the scoreboard and in the claims ledger
    calibrated_seeds: str = ""

    def groups(self, profile: str | None = None) -> tuple[str, ...]:
        """The extras groups needed at ``profile`` (None: at any profile, i.e. everything the
        setup cell installs)."""
        out = []
        for at, group in map(_split_extra, self.extras):
            if (profile is None or not at or at == profile) and group not in out:
                out.append(group)
        return tuple(out)

    @property
    def data_wheels(self) -> tuple[DataWheel, ...]:
        """The data wheels (installed ``--no-deps``) of all the chapter's groups."""
        return group_wheels(self.groups())

    @property
    def module(self) -> str:
        """The paper module: ``nonlinlab.papers.<slug_with_underscores>``."""
        return "nonlinlab.papers." + self.slug.replace("-", "_")

    @property
    def notebook(self) -> str:
        """Path of the notebook, relative to the repository root, without suffix."""
        return f"notebooks/{self.part}/{self.slug}"

    @property
    def url(self) -> str:
        return f"{meta.BOOK_URL}/{self.notebook}.html"

    @property
    def colab_url(self) -> str:
        repo = meta.REPO_URL.removeprefix("https://github.com/")
        return f"https://colab.research.google.com/github/{repo}/blob/{meta.REPO_BRANCH}/{self.notebook}.ipynb"


@functools.cache
def all_chapters() -> dict[str, ChapterMeta]:
    text = resources.files("nonlinlab").joinpath("chapters.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    chapters = {
        r["slug"]: ChapterMeta(r["slug"], r["part"], r["title"], r["bibkey"],
                               float(r.get("ci_budget_s") or 30.0),
                               extras=tuple((r.get("extras") or "").split()),
                               calibrated_seeds=(r.get("calibrated_seeds") or "").strip())
        for r in rows
    }
    if len(chapters) != len(rows):
        raise ValueError("chapters.csv lists a slug twice")
    for ch in chapters.values():
        for token in ch.extras:
            at, group = _split_extra(token)
            if group not in GROUPS or at not in ("", *PROFILES):
                raise ValueError(f"chapters.csv: {ch.slug} has extra {token!r}; an extra is a "
                                 f"group of {sorted(GROUPS)}, optionally prefixed by a profile "
                                 f"({', '.join(p + ':' for p in PROFILES)})")
    return chapters


def get_chapter(slug: str) -> ChapterMeta:
    chapters = all_chapters()
    if slug not in chapters:
        raise KeyError(f"unknown chapter {slug!r}; it must be listed in nonlinlab/chapters.csv")
    return chapters[slug]


def _latex_escape(text: str) -> str:
    return re.sub(r"([&%$#_])", r"\\\1", text)


def chapter_bibtex(slug: str, commit: str | None = None) -> str:
    """BibTeX entry for citing the chapter (not the paper: cite that too). Its title names the
    paper; it holds no ``\\cite`` (a BibTeX field is not LaTeX that a bibliography style
    expands)."""
    ch = get_chapter(slug)
    key = "nonlinlab-" + slug
    lines = [
        f"@incollection{{{key},",
        f"  author    = {{{{{meta.BOOK_AUTHOR}}}}},",
        f"  title     = {{{{Reproducing}} ``{_latex_escape(ch.title)}''}},",
        f"  booktitle = {{{_latex_escape(meta.BOOK_TITLE)}}},",
        f"  year      = {{{meta.BOOK_YEAR}}},",
        f"  url       = {{{ch.url}}},",
        f"  note      = {{Code: \\url{{{meta.REPO_URL}}}"
        + (f", commit {commit}" if commit and commit != "unknown" else "") + "},",
        "}",
    ]
    return "\n".join(lines)
