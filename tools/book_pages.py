"""Generate the book's status pages from chapters.csv and the claim records.

``python tools/book_pages.py --stage _build/stage --claims _build/claims`` writes, into the staged
book (never into the committed tree):

- ``book/scoreboard.md``: the headline ledger — one row per chapter (headline claims verified,
  reported only, other paper results, sanity checks, seeds, time, full-profile result), then
  every check of every chapter, verdict first; the book's total also replaces the marker line
  of the staged ``book/intro.md``;
- ``book/status.md``: per chapter, wall time, machine and versions of the run that built it;
- ``book/roadmap.md``: all papers of the book by part, with the chapters available so far.

With ``--check`` it instead exits non-zero if a chapter in ``_toc.yml`` has no record or no
headline claim, an asserted claim failed, a chapter's ci run took far more than its budget, or an
executed page shows internal output (warnings, object reprs, paths). ``--noise NB...`` lists that
internal output for single executed notebooks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path

import nbformat
import yaml

from nonlinlab.core import BUDGET_S, all_chapters
from nonlinlab.core.claims import claim_from_dict, claims_table, summarize

GENERATED = ("book/scoreboard", "book/status", "book/roadmap")
#: A ci run may overshoot the nominal budget on a slow or busy machine by this factor before
#: ``--check`` fails; anything above the nominal budget is flagged on the status page.
BUDGET_SLACK = 1.5
PART_TITLES = {
    "01-learning-dynamics": "I. Learning dynamics and in-context learning",
    "02-attention-linearized": "II. Attention, linearized",
    "03-dynamical-systems": "III. Dynamical systems",
    "04-normalization-and-convnet-theory": "IV. Normalization and convnet theory",
    "05-geometry-and-equivariance": "V. Geometry and equivariance",
    "06-continual-learning-and-compatibility": "VI. Continual learning and compatibility",
    "07-operators-pdes-and-forecasting": "VII. Operators, PDEs and forecasting",
    "08-weight-space-and-adapters": "VIII. Weight space and adapters",
    "09-generative-and-transport": "IX. Generative models and transport",
    "10-representations-and-robustness": "X. Representations and robustness",
    "11-recommendation": "XI. Recommendation",
}


def toc_files(toc_path: Path) -> list[str]:
    """Every file named in ``_toc.yml`` (root first), without suffix."""
    toc = yaml.safe_load(toc_path.read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def toc_chapters(toc_path: Path) -> list[str]:
    """Slugs of the chapters (notebooks) listed in ``_toc.yml``."""
    return [f.rsplit("/", 1)[-1] for f in toc_files(toc_path) if f.startswith("notebooks/")]


def load_records(folder: Path) -> dict[str, dict]:
    records = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        records[record["slug"]] = record
    return records


def notebook_seconds(path: Path) -> float | None:
    """Execution time of an executed notebook, from nbclient's per-cell timing metadata."""
    if not path.exists():
        return None
    nb = nbformat.read(path, as_version=4)
    total = 0.0
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if start and end:
            total += (dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
                      - dt.datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    return total or None



#: Output that must never reach a page: object reprs, paths, kernel file names, warnings.
NOISE = [
    (re.compile(r"PosixPath\(|WindowsPath\("), "a path object repr"),
    (re.compile(r"\bClaim\(|<nonlinlab\."), "a nonlinlab object repr"),
    (re.compile(r"/tmp/ipykernel_|ipykernel_\d+/"), "a kernel file path (a warning?)"),
    (re.compile(r"\w+Warning:"), "a warning"),
    (re.compile(r"<(matplotlib|Figure|Axes)[^>]* at 0x|^\[?<matplotlib\.", re.M),
     "a matplotlib object repr (end the line with ;)"),
    (re.compile(r"\r(?!\n)"), "a carriage return (a live progress bar)"),
]


def page_noise(path: Path) -> list[str]:
    """What an executed notebook would show that a reader should not see: stderr output,
    object reprs, kernel paths, warnings, live progress bars."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = out.get("text", "")
                if out.get("name") == "stderr" and text.strip():
                    found.append(f"cell {i}: stderr output: {text.strip()[:120]!r}")
                    continue
            elif out.get("output_type") in ("execute_result", "display_data"):
                text = out.get("data", {}).get("text/plain", "")
                if "text/markdown" in out.get("data", {}) or "image/png" in out.get("data", {}):
                    text = ""  # rich output; its text/plain fallback is not shown
            elif out.get("output_type") == "error":
                found.append(f"cell {i}: error {out.get('ename')}")
                continue
            else:
                continue
            text = "".join(text) if isinstance(text, list) else text
            for pattern, what in NOISE:
                m = pattern.search(text)
                if m:
                    start = max(0, m.start() - 40)
                    found.append(f"cell {i}: {what}: {text[start:m.end() + 40].strip()!r}")
    return found


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")


def _link(slug: str) -> str:
    ch = all_chapters()[slug]
    return f"{{doc}}`{slug} </{ch.notebook}>`"


def _claims(record: dict) -> list:
    return [claim_from_dict(c) for c in record["claims"]]


def _summary(record: dict) -> dict:
    return summarize(record["claims"])


def machine_phrase(records: dict[str, dict]) -> str:
    """``a 2-core CPU`` or the GPU names of the runs behind these records."""
    cards = [r.get("run_card", {}) for r in records.values()]
    if cards and all(r.get("device", "cpu") == "cpu" for r in records.values()):
        cores = sorted({c.get("cpu_count") for c in cards if c.get("cpu_count")})
        return f"a {cores[-1]}-core CPU" if len(cores) == 1 else "CPUs"
    names = sorted({c.get("device_name") or "?" for c in cards})
    return ", ".join(names) or "no machine"


def ledger_sentence(chapters: list[str], records: dict[str, dict]) -> str:
    """The book's total, e.g. "12 of 25 headline claims of 19 papers verified on a 2-core CPU"."""
    ran = {s: records[s] for s in chapters if s in records}
    h = [_summary(r)["headline"] for r in ran.values()]
    total, verified = sum(x["total"] for x in h), sum(x["pass"] for x in h)
    elsewhere = sum(x["reported"] + x["not_run"] for x in h)
    profiles = sorted({r["profile"] for r in ran.values()}) or ["ci"]
    text = (f"**{verified} of {total} headline claims of {len(chapters)} papers verified "
            f"on {machine_phrase(ran)}** (profile {', '.join(profiles)})")
    if elsewhere:
        text += (f"; {elsewhere} more are computed and reported but asserted only at the full "
                 "profile (one GPU), so they are not counted as verified")
    missing = len(chapters) - len(ran)
    if missing:
        text += f"; {missing} chapter(s) did not run"
    return text + "."


def _full_cell(record: dict | None) -> str:
    if record is None:
        return "not run yet"
    h = _summary(record)["headline"]
    when = (record.get("finished") or "")[:10]
    commit = (record.get("commit") or "?")[:7]
    return (f"{h['pass']} / {h['total']} headline verified ({_fmt(record.get('device_name'))}, "
            f"{when}, `{commit}`)")


def scoreboard(chapters: list[str], records: dict[str, dict],
               full: dict[str, dict] | None = None) -> str:
    full = full or {}
    lines = [
        "# Reproduction scoreboard",
        "",
        "Generated by the build from the claim records that each chapter's reproduction check",
        "writes. Do not edit by hand.",
        "",
        ledger_sentence(chapters, records),
        "",
        "**How to read it.** *Headline* claims are what the paper is cited for. *Verified* means",
        "the claim was asserted in the run that built this page and held. *Reported* claims were",
        "computed in this run and are shown with their values, but are asserted only at the `full`",
        "profile (paper-like scale on one GPU), so they are **not** verified here. *Sanity* checks",
        "hold by construction when the code is right (identities, exact oracles, counts); they",
        "guard the code and say nothing about the paper.",
        "",
        "## Chapters",
        "",
        "| chapter | headline verified | reported only | other paper results | sanity checks "
        "| seeds calibrated | own compute (s) | full profile |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for slug in chapters:
        record = records.get(slug)
        if record is None:
            lines.append(f"| {_link(slug)} | ✗ did not run | | | | | "
                         f"| {_full_cell(full.get(slug))} |")
            continue
        s = _summary(record)
        h, p, z = s["headline"], s["paper"], s["sanity"]
        mark = "✓" if h["pass"] == h["total"] and h["total"] else ("✗" if h["fail"] else "◐")
        seeds = _calibrated(slug, record)
        lines.append(
            f"| {_link(slug)} | {mark} {h['pass']} / {h['total']} | "
            f"{h['reported'] + h['not_run'] or '—'} | {p['pass']} / {p['total']} | "
            f"{z['pass']} / {z['total']} | {seeds} | {record['wall_time_s']:.0f} | "
            f"{_full_cell(full.get(slug))} |")
    lines += ["", "## Claims by chapter", ""]
    for slug in chapters:
        record = records.get(slug)
        ch = all_chapters()[slug]
        lines += [f"### {slug}", "", f"{_link(slug)} reproduces {{cite:t}}`{ch.bibkey}`.", ""]
        if record is None:
            lines += ["*No record: the notebook did not finish.*", ""]
            continue
        items = _claims(record)
        claims = sorted((c for c in items if c.kind != "sanity"), key=lambda c: not c.headline)
        sanity = [c for c in items if c.kind == "sanity"]
        lines += [f"Profile `{record['profile']}`, seed {record['seed']}.", ""]
        lines += claims_table(claims) + [""]
        if sanity:
            lines += [f"Sanity checks of {slug}:", ""] + claims_table(sanity) + [""]
        if slug in full:
            rec = full[slug]
            lines += [f"At the full profile ({_full_cell(rec)}):", ""]
            lines += claims_table([c for c in _claims(rec) if c.kind != "sanity"]) + [""]
    return "\n".join(lines) + "\n"


def _calibrated(slug: str, record: dict | None) -> str:
    seeds = getattr(all_chapters()[slug], "calibrated_seeds", "") or (
        record or {}).get("calibrated_seeds", "")
    return seeds or "—"


INTRO_MARKER = "<!-- ledger-total -->"


def inject_total(intro: Path, chapters: list[str], records: dict[str, dict]) -> None:
    """Replace the marker line of the staged intro page by the book's total."""
    text = intro.read_text()
    if INTRO_MARKER not in text:
        raise SystemExit(f"{intro}: the marker {INTRO_MARKER!r} is missing")
    intro.write_text(text.replace(INTRO_MARKER, ledger_sentence(chapters, records)))


def status(chapters: list[str], records: dict[str, dict], stage: Path) -> str:
    lines = [
        "# Execution status",
        "",
        "How the pages of this build were produced: one row per chapter, generated from the claim",
        "records and the executed notebooks. *Own compute* is the time from the chapter's setup",
        f"cell to its reproduction check; the ci budget is {BUDGET_S['ci']:.0f} s on two CPU cores",
        "(up to 60 s for a chapter whose headline needs it, 90 s for the chapters that run the",
        "135M-parameter language model; each chapter's budget is in `chapters.csv`).",
        "",
        "| chapter | profile | own compute (s) | notebook (s) | device | torch | python | commit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    machines = set()
    for slug in chapters:
        record = records.get(slug)
        if record is None:
            lines.append(f"| {_link(slug)} | — | not run | | | | | |")
            continue
        card = record.get("run_card", {})
        machines.add(f"{card.get('platform')}, {card.get('cpu_count')} CPUs, "
                     f"{card.get('device_name')}")
        wall = record["wall_time_s"]
        budget = all_chapters()[slug].ci_budget_s
        over = record["profile"] == "ci" and wall > budget
        flag = f" (over its {budget:.0f} s budget)" if over else ""
        nb_s = notebook_seconds(stage / f"{all_chapters()[slug].notebook}.ipynb")
        lines.append(
            f"| {_link(slug)} | {record['profile']} | {wall:.1f}{flag} | "
            f"{_fmt(nb_s and round(nb_s, 1))} "
            f"| {card.get('device_name', '—')} | {card.get('torch', '—')} | "
            f"{card.get('python', '—')} | {_fmt(card.get('commit'))} |"
        )
    lines += ["", "Machines: " + ("; ".join(sorted(machines)) or "none"), ""]
    return "\n".join(lines)


def roadmap(chapters: list[str]) -> str:
    lines = [
        "# Roadmap",
        "",
        "All papers this book reproduces, by part. Chapters with a link are available; the others",
        "are planned. Generated from `lib/nonlinlab/chapters.csv`.",
        "",
    ]
    by_part: dict[str, list] = {}
    for ch in all_chapters().values():
        by_part.setdefault(ch.part, []).append(ch)
    for part, items in sorted(by_part.items()):
        lines += [f"## {PART_TITLES.get(part, part)}", "", "| chapter | paper | status |",
                  "|---|---|---|"]
        for ch in items:
            there = ch.slug in chapters
            name = _link(ch.slug) if there else f"`{ch.slug}`"
            lines.append(f"| {name} | {ch.title} {{cite:p}}`{ch.bibkey}` | "
                         f"{'available' if there else 'planned'} |")
        lines.append("")
    return "\n".join(lines)


def check(chapters: list[str], records: dict[str, dict], stage: Path | None = None) -> list[str]:
    """Problems that fail the build: a chapter without a record or without a headline claim, an
    asserted claim that failed, a ci run far over budget, internal output on an executed page."""
    problems = []
    for slug in chapters:
        record = records.get(slug)
        if record is None:
            problems.append(f"{slug}: no claim record (did the notebook run to its check?)")
            continue
        for c in record["claims"]:
            if c.get("status", "pass" if c["passed"] else "fail") == "fail":
                problems.append(f"{slug}: claim failed: {c['name']}")
        if not any(c.get("kind") == "headline" for c in record["claims"]):
            problems.append(f"{slug}: no headline claim (mark the paper's headline claims with "
                            "kind='headline')")
        limit = all_chapters()[slug].ci_budget_s * BUDGET_SLACK
        if record["profile"] == "ci" and record["wall_time_s"] > limit:
            problems.append(f"{slug}: ci run took {record['wall_time_s']:.0f} s (> {limit:.0f} s)")
        if stage is not None:
            nb = stage / f"{all_chapters()[slug].notebook}.ipynb"
            if nb.exists():
                problems += [f"{slug}: on the page: {n}" for n in page_noise(nb)]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", type=Path)
    parser.add_argument("--claims", type=Path)
    parser.add_argument("--full-claims", type=Path, default=None,
                        help="claim records of full-profile runs (tools/run_book.py), shown "
                             "beside the ci ones when the folder exists")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--noise", type=Path, nargs="+", metavar="IPYNB",
                        help="only list what these executed notebooks would show a reader that "
                             "they should not (warnings, reprs, paths); exit 1 if anything")
    args = parser.parse_args()
    if args.noise:
        problems = [f"{p}: {n}" for p in args.noise for n in page_noise(p)]
        print("\n".join(problems) or "no internal output on these pages")
        sys.exit(1 if problems else 0)
    if args.stage is None or args.claims is None:
        parser.error("--stage and --claims are required")
    chapters = toc_chapters(args.stage / "_toc.yml")
    records = load_records(args.claims)
    if args.check:
        problems = check(chapters, records, stage=args.stage)
        for p in problems:
            print("ERROR:", p)
        if problems:
            sys.exit(1)
        print(f"{len(chapters)} chapter(s): every asserted claim holds, within budget, no "
              "internal output on the pages; " + ledger_sentence(chapters, records))
        return
    full = load_records(args.full_claims) if args.full_claims and args.full_claims.is_dir() else {}
    (args.stage / "book" / "scoreboard.md").write_text(scoreboard(chapters, records, full))
    inject_total(args.stage / "book" / "intro.md", chapters, records)
    (args.stage / "book" / "status.md").write_text(status(chapters, records, args.stage))
    (args.stage / "book" / "roadmap.md").write_text(roadmap(chapters))
    print(f"wrote scoreboard, status and roadmap pages for {len(chapters)} chapter(s)")


if __name__ == "__main__":
    main()
