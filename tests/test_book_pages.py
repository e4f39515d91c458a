import json
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import book_pages  # noqa: E402

SLUG = "deep-linear-dynamics"


def claim(name, status="pass", kind="paper", asserted_at=("ci", "full"), ours=0.01):
    return {"name": name, "paper": 0.0, "ours": ours, "comparison": "< 0.02",
            "threshold": 0.02, "note": "", "kind": kind, "asserted_at": list(asserted_at),
            "status": status, "passed": status == "pass",
            "met": None if status == "not run" else status in ("pass", "reported")}


def record(slug=SLUG, claims=None, wall=5.0, profile="ci"):
    if claims is None:
        claims = [claim("headline one", kind="headline"),
                  claim("needs a GPU", status="reported", kind="headline", asserted_at=["full"]),
                  claim("table entry"),
                  claim("identity", kind="sanity")]
    return {"slug": slug, "profile": profile, "seed": 0, "wall_time_s": wall, "device": "cpu",
            "device_name": "CPU", "commit": "abcdef123", "finished": "2026-12-05T00:00:00+00:00",
            "run_card": {"device_name": "CPU", "torch": "2", "python": "3.11", "commit": "abc",
                         "platform": "Linux", "cpu_count": 2},
            "claims": claims}


def test_scoreboard_shows_the_ledger_per_chapter():
    board = book_pages.scoreboard([SLUG], {SLUG: record()})
    # the headline needing a GPU is reported, never counted as verified
    assert "1 of 2 headline claims of 1 papers verified on a 2-core CPU" in board
    assert "1 more are computed and reported but asserted only at the full" in board
    row = next(line for line in board.splitlines() if line.startswith(f"| {{doc}}`{SLUG}"))
    assert "◐ 1 / 2" in row and "| 1 / 1 |" in row and "not run yet" in row
    assert "reported — asserted only at full, not verified" in board
    assert board.index("★ **headline:** headline one") < board.index("Sanity checks of")
    # every detail table starts with the verdict
    assert "| result | claim | paper | ours | check |" in board


def test_scoreboard_shows_full_runs_beside_ci():
    full = record(profile="full", claims=[claim("headline one", kind="headline"),
                                          claim("needs a GPU", kind="headline")])
    board = book_pages.scoreboard([SLUG], {SLUG: record()}, {SLUG: full})
    assert "2 / 2 headline verified (CPU, 2026-12-05, `abcdef1`)" in board
    assert "At the full profile" in board


def test_status_and_roadmap(tmp_path):
    status = book_pages.status([SLUG], {SLUG: record(wall=45)}, tmp_path)
    assert "over its 30 s budget" in status
    assert "planned" in book_pages.roadmap([SLUG])


def test_check_fails_on_missing_failed_slow_or_headless_chapters():
    assert book_pages.check([SLUG], {SLUG: record()}) == []
    assert "no claim record" in book_pages.check([SLUG], {})[0]
    failed = record(claims=[claim("h", kind="headline"), claim("x", status="fail")])
    assert "claim failed: x" in book_pages.check([SLUG], {SLUG: failed})[0]
    assert "took" in book_pages.check([SLUG], {SLUG: record(wall=1000)})[0]
    headless = record(claims=[claim("x")])
    assert "no headline claim" in book_pages.check([SLUG], {SLUG: headless})[0]


def test_page_noise_finds_internal_output(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr",
                               text="/tmp/ipykernel_1/2.py:3: UserWarning: layout\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "PosixPath('/x/y.json')"},
                               execution_count=1),
        nbformat.v4.new_output("stream", name="stdout", text="train:  10%|#\rtrain: 100%|##\n"),
        nbformat.v4.new_output("execute_result",
                               data={"text/plain": "[<matplotlib.lines.Line2D at 0x7f>]"},
                               execution_count=2),
    ]
    clean = nbformat.v4.new_code_cell("y")
    clean.outputs = [nbformat.v4.new_output("stream", name="stdout", text="loss 0.1\n")]
    nb.cells = [cell, clean]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    found = "\n".join(book_pages.page_noise(path))
    for what in ("stderr", "path object", "carriage return", "matplotlib object"):
        assert what in found, what
    assert "cell 1" not in found


def test_cli_writes_pages_and_the_intro_total(tmp_path):
    stage = tmp_path / "stage"
    (stage / "book").mkdir(parents=True)
    (stage / "_toc.yml").write_text((ROOT / "_toc.yml").read_text())
    (stage / "book" / "intro.md").write_text((ROOT / "book" / "intro.md").read_text())
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / f"{SLUG}.json").write_text(json.dumps(record()))
    sys.argv = ["book_pages", "--stage", str(stage), "--claims", str(claims)]
    book_pages.main()
    assert (stage / "book" / "scoreboard.md").exists()
    assert (stage / "book" / "status.md").exists()
    intro = (stage / "book" / "intro.md").read_text()
    assert book_pages.INTRO_MARKER not in intro and "headline claims of" in intro
