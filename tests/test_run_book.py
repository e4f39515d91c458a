"""tools/run_book.py without Ray: chapter selection, what travels to the workers, the task's
environment, writing what tasks return, retries and the exit code. Ray itself runs in
``make ray-check``."""

import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import book_pages  # noqa: E402
import run_book  # noqa: E402

TOC = ROOT / "_toc.yml"


def record(slug, *, ok=True, profile="ci", commit="abc123def456"):
    claim = {"name": "error small", "ours": 0.01, "comparison": "< 0.02", "threshold": 0.02,
             "passed": ok, "status": "pass" if ok else "fail", "kind": "headline"}
    return json.dumps({"slug": slug, "profile": profile, "seed": 0, "device": "cpu",
                       "device_name": "CPU", "commit": commit,
                       "finished": "2025-01-01T00:00:00+00:00", "all_passed": ok,
                       "claims": [claim]})


def notebook_bytes(text="hello"):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"print({text!r})")])
    return nbformat.writes(nb).encode()


def result(slug, *, attempt=1, ok=True, rec=True, nb=True, error=None, **kw):
    return {"slug": slug, "attempt": attempt, "returncode": 0 if error is None else 1,
            "error": error, "log_tail": "Traceback ...\nValueError: boom" if error else "",
            "notebook": notebook_bytes(slug) if nb else None,
            "record": record(slug, ok=ok, **kw) if rec else None,
            "host": "node-1", "gpus": None, "seconds": 12.5}


# -- selection and shipping -------------------------------------------------------------------
def test_all_chapters_of_the_toc_in_order():
    chapters = run_book.chapter_notebooks(TOC)
    assert list(chapters) == book_pages.toc_chapters(TOC)
    for slug, nb in chapters.items():
        assert nb.startswith("notebooks/") and nb.endswith(f"/{slug}.ipynb")
        assert (ROOT / nb).exists(), nb


def test_chapters_option_selects_in_the_order_given():
    slugs = book_pages.toc_chapters(TOC)[:2][::-1]
    chapters = run_book.chapter_notebooks(TOC, [f" {slugs[0]}", slugs[1], ""])
    assert list(chapters) == slugs


@pytest.mark.parametrize("asked", [["no-such-chapter"], ["weight-decay-scaling"] * 2])
def test_unknown_or_repeated_chapters_are_refused(asked):
    with pytest.raises(SystemExit):
        run_book.chapter_notebooks(TOC, asked)


def test_runtime_env_ships_the_repository_without_environments_and_outputs():
    env = run_book.runtime_env(ROOT)
    assert env["working_dir"] == str(ROOT)
    for path in ("/.venv", "/_build", "/_stage", "/.git", "/book/_vendor"):
        assert path in env["excludes"]
    # what the chapters need still travels
    for kept in ("notebooks", "lib", "_toc.yml", "book"):
        assert f"/{kept}" not in env["excludes"] and kept not in env["excludes"]


def test_task_env(tmp_path):
    base = {"PATH": "/bin", "PYTHONPATH": "/x", "NONLINLAB_PROFILE": "full",
            "OMP_NUM_THREADS": "8"}
    env = run_book.task_env(base, claims_dir=tmp_path / "c", root=tmp_path, commit="abc",
                            threads=1)
    assert env["NONLINLAB_CLAIMS_DIR"] == str(tmp_path / "c")
    assert env["PYTHONPATH"].split(":")[0] == str(tmp_path / "lib")
    assert env["PYTHONPATH"].endswith("/x")
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    assert env["NONLINLAB_COMMIT"] == "abc" and "NONLINLAB_PROFILE" not in env
    assert base["OMP_NUM_THREADS"] == "8"  # the worker's own environment is left alone


# -- what the driver writes -------------------------------------------------------------------
def test_write_result_writes_notebook_and_record(tmp_path):
    line = run_book.write_result(result("weight-decay-scaling"), tmp_path, profile="ci")
    assert line["status"] == "ok" and line["host"] == "node-1"
    nb = nbformat.read(tmp_path / "weight-decay-scaling.ipynb", as_version=4)
    assert "weight-decay-scaling" in nb.cells[0].source
    rec = json.loads((tmp_path / "claims" / "weight-decay-scaling.json").read_text())
    # the chapter's own fields are kept; the runner adds who ran it
    assert rec["finished"].startswith("2025-01-01") and rec["device_name"] == "CPU"
    assert rec["commit"] == "abc123def456" and rec["executed_by"] == "ray"
    assert rec["ray"]["host"] == "node-1" and rec["ray"]["attempt"] == 1
    # book_pages reads the runner's records like any other
    assert "weight-decay-scaling" in book_pages.load_records(tmp_path / "claims")


def test_missing_commit_is_filled_from_the_driver(tmp_path):
    run_book.write_result(result("s", commit="unknown"), tmp_path, profile="ci", commit="fff")
    assert json.loads((tmp_path / "claims" / "s.json").read_text())["commit"] == "fff"


@pytest.mark.parametrize(("kw", "expected"), [
    ({}, "ok"),
    ({"ok": False, "error": "papermill exited 1"}, "claims failed: error small"),
    ({"rec": False, "error": "papermill exited 1"}, "papermill exited 1 (no claim record)"),
    ({"error": "papermill exited 1"}, "papermill exited 1"),  # a cell after the check
    ({"rec": False}, "no claim record"),
])
def test_status(kw, expected):
    assert run_book.status_of(result("s", **kw)).startswith(expected)


# -- retries and the exit code ------------------------------------------------------------------
class FakeCluster:
    """submit/wait_one over canned results: ``script[slug]`` lists each attempt's outcome."""

    def __init__(self, script):
        self.script = script
        self.calls = []
        self.done = {}

    def submit(self, slug, attempt):
        self.calls.append((slug, attempt))
        handle = object()
        outcome = self.script[slug][attempt - 1]
        self.done[handle] = outcome if isinstance(outcome, Exception) else result(
            slug, attempt=attempt, **outcome)
        return handle

    def wait_one(self, handles):
        handle = handles[-1]  # finish out of submission order
        return handle, self.done.pop(handle)


def test_a_failing_chapter_runs_twice_then_keeps_its_partial_outputs(tmp_path, capsys):
    fake = FakeCluster({
        "good": [{}],
        "flaky": [{"rec": False, "error": "papermill exited 1"}, {}],
        "bad": [{"ok": False, "error": "papermill exited 1"}] * 2,
        "lost": [RuntimeError("node died"), RuntimeError("node died")],
    })
    lines = run_book.collect(["good", "flaky", "bad", "lost"], fake.submit, fake.wait_one,
                             tmp_path, profile="ci")
    assert sorted(fake.calls) == sorted([("good", 1), ("flaky", 1), ("flaky", 2), ("bad", 1),
                                         ("bad", 2), ("lost", 1), ("lost", 2)])
    status = {x["slug"]: x for x in lines}
    assert [x["slug"] for x in lines] == ["good", "flaky", "bad", "lost"]
    assert status["good"]["status"] == status["flaky"]["status"] == "ok"
    assert status["flaky"]["attempts"] == 2
    assert status["bad"]["status"].startswith("claims failed")
    assert status["lost"]["status"].startswith("RuntimeError: node died")
    # the failed chapter's partial notebook, record and log are there
    assert (tmp_path / "bad.ipynb").exists() and (tmp_path / "claims" / "bad.json").exists()
    assert "boom" in (tmp_path / "logs" / "bad.log").read_text()
    assert not (tmp_path / "lost.ipynb").exists()
    assert run_book.summarise(lines, tmp_path) == 1
    out = capsys.readouterr().out
    assert "FAILED (2): bad, lost" in out and "2 of 4 chapter(s)" in out
    assert len(json.loads((tmp_path / "run_book.json").read_text())) == 4
    # --verify agrees
    problems = run_book.verify(tmp_path, ["good", "flaky", "bad", "lost"], "ci")
    assert {p.split(":")[0] for p in problems} == {"bad", "lost"}


def test_all_good_exits_zero(tmp_path):
    fake = FakeCluster({"a": [{}], "b": [{}]})
    lines = run_book.collect(["a", "b"], fake.submit, fake.wait_one, tmp_path, profile="ci")
    assert run_book.summarise(lines, tmp_path) == 0
    assert run_book.verify(tmp_path, ["a", "b"], "ci") == []
    assert "profile" in run_book.verify(tmp_path, ["a"], "full")[0]


def test_verify_fails_a_chapter_whose_run_failed_after_its_record(tmp_path):
    """A record whose claims held does not hide a notebook that failed later (or whose
    check raised after writing the record)."""
    fake = FakeCluster({"a": [{"error": "papermill exited 1"}] * 2})
    lines = run_book.collect(["a"], fake.submit, fake.wait_one, tmp_path, profile="ci")
    assert run_book.summarise(lines, tmp_path) == 1
    assert "the run failed" in run_book.verify(tmp_path, ["a"], "ci")[0]


def test_a_chapter_past_its_time_limit_is_stopped(tmp_path):
    folder = tmp_path / "notebooks" / "part"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time; time.sleep(60)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / "slow.ipynb")
    res = run_book.execute_chapter("slow", "notebooks/part/slow.ipynb", "ci", root=str(tmp_path),
                                   timeout_s=8)
    assert res["error"] == "timed out after 8 s" and res["seconds"] < 30
    assert run_book.status_of(res) == "timed out after 8 s (no claim record)"


def test_exception_line():
    log = ("Traceback\n  File x\npapermill.exceptions.PapermillExecutionError: \n---\n"
           "ClaimFailed  Traceback (most recent call last)\n"
           "ClaimFailed: 1 of 3 claims failed: gap\n\n")
    assert run_book.exception_line(log) == "ClaimFailed: 1 of 3 claims failed: gap"
    assert run_book.exception_line("all fine\n") is None


def test_verify_cli(tmp_path):
    slug = "weight-decay-scaling"
    argv = ["--verify", "--profile", "ci", "--chapters", slug, "--out", str(tmp_path)]
    assert run_book.main(argv) == 1  # nothing there yet
    run_book.write_result(result(slug), tmp_path, profile="ci")
    assert run_book.main(argv) == 0
    (tmp_path / "claims" / f"{slug}.json").write_text("{not json")
    assert run_book.main(argv) == 1


def test_a_record_that_does_not_parse_stays_out_of_claims(tmp_path):
    res = dict(result("s"), record="{not json")
    line = run_book.write_result(res, tmp_path, profile="ci")
    assert line["status"] == "claim record does not parse"
    assert not (tmp_path / "claims" / "s.json").exists()
    assert (tmp_path / "logs" / "s.record.txt").read_text() == "{not json"
    assert book_pages.load_records(tmp_path / "claims") == {}


def test_execute_chapter_reports_a_failing_notebook(tmp_path):
    """The task itself, without Ray: a notebook whose cell raises gives a partial notebook, no
    record, and an error, and the task does not raise."""
    folder = tmp_path / "notebooks" / "part"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("profile = 'auto'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('ran at', profile)"),
        nbformat.v4.new_code_cell("raise ValueError('boom')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / "x.ipynb")
    res = run_book.execute_chapter("x", "notebooks/part/x.ipynb", "ci", root=str(tmp_path),
                                   timeout_s=120)
    assert res["error"] == "papermill exited 1: ValueError: boom" and res["record"] is None
    assert "boom" in res["log_tail"]
    executed = nbformat.reads(res["notebook"].decode(), as_version=4)
    printed = [o.get("text", "") for c in executed.cells if c.cell_type == "code"
               for o in c.outputs]
    assert "ran at ci\n" in printed
    assert run_book.status_of(res) == "papermill exited 1: ValueError: boom (no claim record)"
