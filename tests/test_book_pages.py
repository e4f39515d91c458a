import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import book_pages  # noqa: E402


def record(slug="deep-linear-dynamics", passed=True, wall=5.0):
    return {"slug": slug, "profile": "ci", "seed": 0, "wall_time_s": wall,
            "run_card": {"device_name": "CPU", "torch": "2", "python": "3.11", "commit": "abc",
                         "platform": "Linux", "cpu_count": 2},
            "claims": [{"name": "error", "paper": 0.0, "ours": 0.01, "comparison": "< 0.02",
                        "passed": passed, "threshold": 0.02, "note": ""}]}


def test_pages_are_generated_from_records(tmp_path):
    chapters = ["deep-linear-dynamics"]
    board = book_pages.scoreboard(chapters, {"deep-linear-dynamics": record()})
    assert "1 of 1 claims hold" in board and "✓ pass" in board
    status = book_pages.status(chapters, {"deep-linear-dynamics": record(wall=45)}, tmp_path)
    assert "over its 30 s budget" in status
    assert "planned" in book_pages.roadmap(chapters)


def test_check_fails_on_missing_failed_or_slow_chapters():
    slug = "deep-linear-dynamics"
    assert book_pages.check([slug], {slug: record()}) == []
    assert "no claim record" in book_pages.check([slug], {})[0]
    assert "claim failed" in book_pages.check([slug], {slug: record(passed=False)})[0]
    assert "took" in book_pages.check([slug], {slug: record(wall=1000)})[0]


def test_cli_writes_pages(tmp_path):
    stage = tmp_path / "stage"
    (stage / "book").mkdir(parents=True)
    (stage / "_toc.yml").write_text((ROOT / "_toc.yml").read_text())
    claims = tmp_path / "claims"
    claims.mkdir()
    (claims / "deep-linear-dynamics.json").write_text(json.dumps(record()))
    sys.argv = ["book_pages", "--stage", str(stage), "--claims", str(claims)]
    book_pages.main()
    assert (stage / "book" / "scoreboard.md").exists()
    assert (stage / "book" / "status.md").exists()
