"""Run chapters of the book with papermill as Ray tasks, one task per chapter.

``python tools/run_book.py --profile full`` executes every chapter of ``_toc.yml`` at the full
profile, one Ray task with one GPU each, on a Ray cluster (``--address`` or ``$RAY_ADDRESS``) or
on a local Ray started here (``--num-cpus``). Each task runs its chapter's ``.ipynb`` with
papermill (``-p profile <profile>``, in the notebook's folder, the claim record going to a
temporary folder of the task) and RETURNS the executed notebook and the claim record to this
driver, which writes them, so the workers may be other machines:

- ``<out>/<slug>.ipynb``: the executed notebook (partial if the chapter failed);
- ``<out>/claims/<slug>.json``: the chapter's claim record (the one ``ch.claims.check()``
  writes), plus ``executed_by: "ray"`` and ``ray`` (host, attempt, seconds);
- ``<out>/run_book.json``: one line per chapter: status, attempts, host.

``<out>`` is ``_build/full`` at the full profile and ``_build/ray-ci`` at ci. A chapter that
fails (a notebook error, or a claim failed, which makes papermill fail) is run once more; one
that fails twice is reported at the end and the tool exits 1.

The repository reaches the workers through Ray's ``runtime_env`` ``working_dir`` (without
``.venv``, ``_build``, ``_stage``, ``.git``, ``book/_vendor``), and the kernels import the
library from that copy (``lib/`` first on ``PYTHONPATH``): the notebooks and the library that
run are those of this checkout, whose commit is recorded. The nodes need the library's
dependencies installed (see the README, "Run every chapter at full on a Ray cluster").

``--verify`` starts no Ray: it checks that every selected chapter has a claim record in
``<out>/claims`` that parses, is of the profile asked, and all of whose claims held.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

PROFILES = ("ci", "full")
DEFAULT_OUT = {"full": "_build/full", "ci": "_build/ray-ci"}
#: Wall-clock limit of one chapter run (all cells), per profile, in seconds.
DEFAULT_TIMEOUT_S = {"ci": 900, "full": 3 * 3600}
MAX_ATTEMPTS = 2
#: Paths of the repository that never travel to the workers (gitignore syntax, relative to
#: the repository root). Everything else (notebooks, lib, _toc.yml, ...) does.
RUNTIME_EXCLUDES = [
    "/.venv",
    "/_build",
    "/_stage",
    "/.git",
    "/book/_vendor",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
]
TAIL_CHARS = 4000


# -- chapter selection --------------------------------------------------------------------------
def chapter_notebooks(toc: Path, chapters: Iterable[str] | None = None) -> dict[str, str]:
    """``slug -> notebooks/<part>/<slug>.ipynb`` (relative to the book root) for the chapters
    of ``_toc.yml``, in their order, or for the slugs asked (which must be in ``_toc.yml``)."""
    import book_pages

    from nonlinlab.core import all_chapters

    paths = {s: all_chapters()[s].notebook + ".ipynb" for s in book_pages.toc_chapters(toc)}
    if chapters is None:
        return paths
    wanted = [c.strip() for c in chapters if c.strip()]
    unknown = [c for c in wanted if c not in paths]
    if unknown:
        raise SystemExit(f"not chapters of {toc.name}: {', '.join(unknown)}")
    if len(set(wanted)) != len(wanted):
        raise SystemExit("a chapter is named twice in --chapters")
    return {c: paths[c] for c in wanted}


def runtime_env(root: Path = ROOT) -> dict:
    """What Ray ships to every worker: the repository, without environments and outputs."""
    return {"working_dir": str(root), "excludes": list(RUNTIME_EXCLUDES)}


# -- the task (runs on a worker) ----------------------------------------------------------------
def task_env(base: dict, *, claims_dir: Path, root: Path, commit: str | None,
             threads: int) -> dict:
    """The papermill process's environment: the claim record to ``claims_dir``, the library of
    the shipped repository first on the path, this checkout's commit, and ``threads`` torch
    threads (1 at ci: small torch steps on shared cores run far slower with more)."""
    env = dict(base)
    env["NONLINLAB_CLAIMS_DIR"] = str(claims_dir)
    env.pop("NONLINLAB_PROFILE", None)  # the profile is papermill's parameter
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root / "lib"), base.get("PYTHONPATH", "")) if p)
    env.setdefault("NONLINLAB_PROGRESS", "plain")
    env.setdefault("PYTHONHASHSEED", "0")
    if commit:
        env["NONLINLAB_COMMIT"] = commit
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-TAIL_CHARS:]
    except OSError:
        return ""


def exception_line(log: str) -> str | None:
    """The last ``SomeError: message`` line of a log (what papermill re-raised)."""
    lines = [x.strip() for x in log.splitlines()]
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Failed|Interrupt|Exit)\b", line):
            return line[:300]
    return None


def execute_chapter(slug: str, notebook: str, profile: str, *, attempt: int = 1,
                    commit: str | None = None, threads: int = 1,
                    timeout_s: float | None = None, root: str | None = None) -> dict:
    """Run one chapter with papermill; return its executed notebook and claim record.

    Runs in a Ray worker whose working directory is the shipped repository (or in ``root``).
    Never raises for a failing notebook: the result says what happened, with what there is.
    """
    book = Path(root) if root else Path.cwd()
    nb = book / notebook
    started = time.time()
    tmp = Path(tempfile.mkdtemp(prefix=f"run_book-{slug}-"))
    try:
        claims_dir, out_nb, log = tmp / "claims", tmp / f"{slug}.ipynb", tmp / "papermill.log"
        env = task_env(dict(os.environ), claims_dir=claims_dir, root=book, commit=commit,
                       threads=threads)
        cmd = [sys.executable, "-m", "papermill", str(nb), str(out_nb), "-p", "profile", profile,
               "--cwd", str(nb.parent), "--no-progress-bar"]
        error, returncode = None, None
        with log.open("w") as fh:
            proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                returncode = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)  # papermill and its kernel
                proc.wait()
                error = f"timed out after {timeout_s:.0f} s"
        record_path = claims_dir / f"{slug}.json"
        record = record_path.read_text() if record_path.exists() else None
        if error is None and returncode != 0:
            error = f"papermill exited {returncode}"
            cause = exception_line(_tail(log))
            if cause and not cause.startswith("papermill.exceptions.PapermillExecutionError"):
                error += f": {cause}"
        return {
            "slug": slug,
            "attempt": attempt,
            "returncode": returncode,
            "error": error,
            "log_tail": _tail(log) if error else "",
            "notebook": out_nb.read_bytes() if out_nb.exists() else None,
            "record": record,
            "host": socket.gethostname(),
            "gpus": os.environ.get("CUDA_VISIBLE_DEVICES"),
            "seconds": round(time.time() - started, 1),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- the driver -------------------------------------------------------------------------------
def status_of(result: dict) -> str:
    """``ok``, or why the chapter failed."""
    record = None
    if result.get("record"):
        try:
            record = json.loads(result["record"])
        except ValueError:
            return "claim record does not parse"
    if record is not None and not record.get("all_passed"):
        failed = [c.get("name") for c in record.get("claims", [])
                  if c.get("status", "pass" if c.get("passed") else "fail") == "fail"]
        return "claims failed: " + "; ".join(map(str, failed)) if failed else "no claim recorded"
    if result.get("error"):
        return result["error"] + ("" if record is not None else " (no claim record)")
    if record is None:
        return "no claim record (the notebook did not reach its reproduction check)"
    return "ok"


def write_result(result: dict, out: Path, *, profile: str, commit: str | None = None) -> dict:
    """Write what a task returned under ``out``; return the chapter's summary line."""
    slug = result["slug"]
    status = status_of(result)
    line = {"slug": slug, "status": status, "attempts": result.get("attempt", 1),
            "seconds": result.get("seconds"), "host": result.get("host"),
            "notebook": None, "record": None}
    (out / "claims").mkdir(parents=True, exist_ok=True)
    if result.get("notebook") is not None:
        path = out / f"{slug}.ipynb"
        data = result["notebook"]
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        line["notebook"] = str(path)
    if result.get("record") is not None:
        path = out / "claims" / f"{slug}.json"
        try:
            record = json.loads(result["record"])
        except ValueError:  # kept as it came, out of claims/ (the book's pages read that)
            path = out / "logs" / f"{slug}.record.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_text(result["record"])
        else:
            if not record.get("commit") or record.get("commit") == "unknown":
                record["commit"] = commit
            record["executed_by"] = "ray"
            record["ray"] = {"host": result.get("host"), "gpus": result.get("gpus"),
                             "attempt": result.get("attempt", 1),
                             "seconds": result.get("seconds"), "requested_profile": profile}
            path.write_text(json.dumps(record, indent=2) + "\n")
        line["record"] = str(path)
    return line


def failed_result(slug: str, attempt: int, error: str) -> dict:
    """What a task that died (worker or node lost, twice) leaves: nothing but the error."""
    return {"slug": slug, "attempt": attempt, "returncode": None, "error": error,
            "log_tail": "", "notebook": None, "record": None, "host": None, "gpus": None,
            "seconds": None}


def collect(slugs: list[str], submit: Callable[[str, int], object],
            wait_one: Callable[[list], tuple[object, dict]], out: Path, *, profile: str,
            commit: str | None = None, progress=None) -> list[dict]:
    """Submit every chapter, gather results as they finish, run a failed chapter once more,
    write each chapter's final result. ``submit(slug, attempt)`` returns a handle;
    ``wait_one(handles)`` returns one finished handle and its result (a dict from
    :func:`execute_chapter`, or the exception that killed the task). Ray-free, so that it can
    be tested without a cluster."""
    pending = {}
    for slug in slugs:
        pending[submit(slug, 1)] = (slug, 1)
    lines = {}
    while pending:
        handle, result = wait_one(list(pending))
        slug, attempt = pending.pop(handle)
        if isinstance(result, BaseException):
            result = failed_result(slug, attempt, f"{type(result).__name__}: {str(result)[:500]}")
        status = status_of(result)
        if status != "ok" and attempt < MAX_ATTEMPTS:
            msg = f"{slug}: attempt {attempt} failed ({status}); running it again"
            (progress.write if progress is not None else print)(msg)
            pending[submit(slug, attempt + 1)] = (slug, attempt + 1)
            continue
        lines[slug] = write_result(result, out, profile=profile, commit=commit)
        if status != "ok" and result.get("log_tail"):
            (out / "logs").mkdir(exist_ok=True)
            (out / "logs" / f"{slug}.log").write_text(result["log_tail"])
        if progress is not None:
            progress.update(1)
            progress.set_postfix(failed=sum(v["status"] != "ok" for v in lines.values()))
    return [lines[s] for s in slugs]


def summarise(lines: list[dict], out: Path) -> int:
    """Print the summary, write ``<out>/run_book.json``, return the exit code."""
    (out / "run_book.json").write_text(json.dumps(lines, indent=2) + "\n")
    failed = [x for x in lines if x["status"] != "ok"]
    width = max((len(x["slug"]) for x in lines), default=10)
    print(f"\n{'chapter':<{width}}  attempts  seconds  host / status")
    for x in lines:
        secs = "—" if x["seconds"] is None else f"{x['seconds']:.0f}"
        print(f"{x['slug']:<{width}}  {x['attempts']:>8}  {secs:>7}  {x['host']}: {x['status']}")
    print(f"\n{len(lines) - len(failed)} of {len(lines)} chapter(s) ran and all their claims held;"
          f" notebooks in {out}/, claim records in {out}/claims/")
    if failed:
        print(f"FAILED ({len(failed)}): " + ", ".join(x["slug"] for x in failed)
              + f" — partial notebooks and logs in {out}/")
        return 1
    return 0


def verify(out: Path, slugs: Iterable[str], profile: str) -> list[str]:
    """Problems with the claim records ``<out>/claims/<slug>.json`` of a finished run (and
    with its summary ``<out>/run_book.json``, where there is one)."""
    problems = []
    summary = {}
    if (out / "run_book.json").exists():
        summary = {x["slug"]: x["status"] for x in json.loads((out / "run_book.json").read_text())}
    for slug in slugs:
        path = out / "claims" / f"{slug}.json"
        if not path.exists():
            problems.append(f"{slug}: no claim record {path}")
            continue
        try:
            record = json.loads(path.read_text())
        except ValueError as exc:
            problems.append(f"{slug}: {path} does not parse ({exc})")
            continue
        if record.get("slug") != slug:
            problems.append(f"{slug}: {path} is the record of {record.get('slug')!r}")
        if record.get("profile") != profile:
            problems.append(f"{slug}: ran at profile {record.get('profile')!r}, not {profile!r}")
        if not record.get("all_passed") or not record.get("claims"):
            problems.append(f"{slug}: not all claims held")
        if not (out / f"{slug}.ipynb").exists():
            problems.append(f"{slug}: no executed notebook {out / f'{slug}.ipynb'}")
        ran = summary.get(slug)
        if ran is not None and ran != "ok":
            problems.append(f"{slug}: the run failed: {ran}")
    return problems


def this_commit() -> str | None:
    try:
        from nonlinlab.core.runcard import git_commit
    except ImportError:
        return None
    return git_commit()


def run_on_ray(chapters: dict[str, str], args, out: Path) -> int:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    from tqdm.auto import tqdm

    address = args.address or os.environ.get("RAY_ADDRESS") or None
    common = {"runtime_env": runtime_env(ROOT), "include_dashboard": False}
    if address:
        ray.init(address=address, **common)
    else:  # a new local Ray, whatever else runs on this machine
        ray.init(address="local", num_cpus=args.num_cpus, **common)
    try:
        gpus = ray.cluster_resources().get("GPU", 0)
        if args.profile == "full" and gpus < 1:
            msg = "the cluster has no GPU (yet): each full-profile chapter needs one"
            if not address:
                print("ERROR:", msg)
                return 2
            print("WARNING:", msg, "- waiting for the autoscaler")
        commit = this_commit()
        threads = args.cpus_per_task
        timeout = args.timeout if args.timeout > 0 else None
        task = ray.remote(execute_chapter)

        def submit(slug: str, attempt: int):
            return task.options(
                name=f"{slug}#{attempt}",
                num_cpus=args.cpus_per_task,
                num_gpus=1 if args.profile == "full" else 0,
                max_retries=1,  # a lost worker or node; failing notebooks: collect reruns them
                retry_exceptions=False,
            ).remote(slug, chapters[slug], args.profile, attempt=attempt, commit=commit,
                     threads=threads, timeout_s=timeout)

        def wait_one(refs: list):
            [ref], _ = ray.wait(refs, num_returns=1)
            try:
                return ref, ray.get(ref)
            except Exception as exc:  # the task itself died (twice: Ray retried it once)
                return ref, exc

        cpus = ray.cluster_resources().get("CPU", 0)
        print(f"{len(chapters)} chapter(s) at profile {args.profile} on Ray ({cpus:.0f} CPUs, "
              f"{gpus:.0f} GPUs); commit {commit}")
        with tqdm(total=len(chapters), desc=f"chapters ({args.profile})", unit="chapter",
                  dynamic_ncols=True) as bar:
            lines = collect(list(chapters), submit, wait_one, out, profile=args.profile,
                            commit=commit, progress=bar)
    finally:
        ray.shutdown()
    return summarise(lines, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=PROFILES, default="full")
    parser.add_argument("--chapters", help="comma-separated slugs (default: all of _toc.yml)")
    parser.add_argument("--out", type=Path,
                        help="output folder (default: _build/full at full, _build/ray-ci at ci)")
    parser.add_argument("--address", help="Ray cluster to use (default: $RAY_ADDRESS, else a "
                                           "local Ray started here)")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of a local Ray (default 2)")
    parser.add_argument("--cpus-per-task", type=int, default=1,
                        help="CPUs (and torch threads) of each chapter's task (default 1)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds one chapter may run, 0 for no limit "
                             "(default 900 at ci, 10800 at full)")
    parser.add_argument("--verify", action="store_true",
                        help="start nothing: check the claim records of a finished run in --out")
    parser.add_argument("--toc", type=Path, default=ROOT / "_toc.yml", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.timeout is None:
        args.timeout = DEFAULT_TIMEOUT_S[args.profile]
    out = args.out if args.out is not None else ROOT / DEFAULT_OUT[args.profile]
    chapters = chapter_notebooks(args.toc, args.chapters.split(",") if args.chapters else None)
    if args.verify:
        problems = verify(out, chapters, args.profile)
        for p in problems:
            print("ERROR:", p)
        if not problems:
            print(f"{len(chapters)} claim record(s) in {out}/claims parse, "
                  f"profile {args.profile}, all claims hold")
        return 1 if problems else 0
    out.mkdir(parents=True, exist_ok=True)
    for slug in chapters:  # never leave a previous run's files beside this run's
        for stale in (out / f"{slug}.ipynb", out / "claims" / f"{slug}.json",
                      out / "logs" / f"{slug}.log"):
            stale.unlink(missing_ok=True)
    return run_on_ray(chapters, args, out)


if __name__ == "__main__":
    sys.exit(main())
