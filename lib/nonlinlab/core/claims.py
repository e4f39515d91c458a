"""Claims: the reproduction check of a chapter — the chapter's *headline ledger*.

A chapter records each check with a name, the paper's value where there is one, our value and
the comparison with its threshold. Every check has a **kind**:

- ``"headline"`` — one of the paper's headline claims (what the paper is cited for);
- ``"paper"`` — another result of the paper (a table entry, an ablation, a secondary claim);
- ``"sanity"`` — a check that holds by construction when the code is right (an identity to
  rounding, an exact oracle, a parameter count): it guards the code, it says nothing about the
  paper, and it is shown apart from the claims.

and the **profiles at which it is asserted** (``asserted_at``, both profiles by default). At a
profile where a check is not asserted it is still computed when it can be and shown with its
value and the status *reported — asserted only at full, not verified*; if it cannot be computed at
this profile (``ours=None``) it is shown as *not run at this profile*. Neither ever counts as
passed. :meth:`Claims.check` writes ``<claims dir>/<slug>.json`` (the scoreboard is built from
it), shows the ledger and raises :class:`ClaimFailed` if an asserted check failed.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .profiles import PROFILES

CLAIMS_DIR_ENV = "NONLINLAB_CLAIMS_DIR"
KINDS = ("headline", "paper", "sanity")

_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

#: status -> (symbol, text) shown in tables; "reported" and "not run" never count as passed.
STATUS_TEXT = {
    "pass": "✓ verified",
    "fail": "✗ FAILED",
    "reported": "◐ reported — asserted only at {at}, not verified",
    "not run": "○ not run at this profile (asserted at {at})",
}


class ClaimFailed(AssertionError):
    """At least one asserted claim of a chapter did not hold."""


def _number(value, what: str) -> float:
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise TypeError(f"{what} must be a scalar, got shape {arr.shape}")
    return float(arr.reshape(()))


def _profiles(asserted_at) -> tuple[str, ...]:
    if asserted_at is None:
        return PROFILES
    items = (asserted_at,) if isinstance(asserted_at, str) else tuple(asserted_at)
    bad = [p for p in items if p not in PROFILES]
    if bad or not items:
        raise ValueError(f"asserted_at must name profiles among {PROFILES}, got {asserted_at!r}")
    return tuple(p for p in PROFILES if p in items)


def fmt_number(x: float, other: float | None = None, digits: int = 4) -> str:
    """``x`` with ``digits`` significant digits, more if needed so that ``x`` and ``other`` (a
    threshold it is compared with) do not print the same when they differ."""
    if not math.isfinite(x):
        return str(x)
    for d in range(digits, 13):
        s = f"{x:.{d}g}"
        if other is None or x == other or not math.isfinite(other) or s != f"{other:.{d}g}":
            return s
    return repr(x)


def fmt_threshold(x: float) -> str:
    """A threshold as written: the fewest significant digits (at least 1) that give it back,
    so that ``1 + 1e-9`` never prints as ``1``."""
    if not math.isfinite(x) or x == 0:
        return str(x) if x else "0"
    for d in range(1, 17):
        s = f"{x:.{d}g}"
        if abs(float(s) - x) <= 1e-12 * abs(x):
            return s
    return repr(x)


@dataclass
class Claim:
    name: str
    ours: float | str | None
    comparison: str  # e.g. "< 0.02", "within 5% of 1.386", "holds"
    threshold: float | str | None
    passed: bool  # True only when asserted at this profile and met
    paper: float | str | None = None
    note: str = ""
    kind: str = "paper"  # "headline" | "paper" | "sanity"
    asserted_at: list[str] = field(default_factory=lambda: list(PROFILES))
    status: str = "pass"  # "pass" | "fail" | "reported" | "not run"
    met: bool | None = None  # whether our value meets the check (None: not run)

    @property
    def headline(self) -> bool:
        return self.kind == "headline"

    def status_text(self) -> str:
        return STATUS_TEXT[self.status].format(at=" and ".join(self.asserted_at))

    def ours_text(self) -> str:
        if self.ours is None:
            return "—"
        if isinstance(self.ours, float):
            other = self.threshold if isinstance(self.threshold, float) else None
            return fmt_number(self.ours, other)
        return str(self.ours)

    def check_text(self) -> str:
        if isinstance(self.threshold, float) and self.comparison[:2].strip() in _OPS:
            op = self.comparison.split(" ", 1)[0]
            return f"{op} {fmt_threshold(self.threshold)}"
        return self.comparison


def claims_dir() -> Path:
    """``$NONLINLAB_CLAIMS_DIR``, else ``_build/claims`` at the book root above the working
    directory (the folder holding ``_toc.yml``), else the working directory itself: the
    notebook's folder (Jupyter and papermill run a notebook there; ``/content`` on Colab), so a
    notebook run outside the book leaves its record next to it."""
    env = os.environ.get(CLAIMS_DIR_ENV)
    if env:
        return Path(env)
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / "_toc.yml").exists():
            return folder / "_build" / "claims"
    return cwd


def summarize(claims: list[dict]) -> dict:
    """Counts per kind and status of a record's claims (dicts as in the JSON record)."""
    out = {}
    for kind in KINDS:
        items = [c for c in claims if c.get("kind", "paper") == kind]
        out[kind] = {"total": len(items)} | {
            s.replace(" ", "_"): sum(c.get("status") == s for c in items)
            for s in ("pass", "fail", "reported", "not run")
        }
    return out


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def claims_table(items: list[Claim]) -> list[str]:
    """Markdown (MyST) table of checks, the verdict first so it stays visible on a phone."""
    lines = ["| result | claim | paper | ours | check |", "|---|---|---|---|---|"]
    for c in items:
        name = ("★ **headline:** " if c.headline else "") + _md(c.name)
        if c.note:
            name += f"<br><small>{_md(c.note)}</small>"
        paper = "—" if c.paper is None else _md(
            fmt_number(c.paper) if isinstance(c.paper, float) else c.paper)
        lines.append(f"| {c.status_text()} | {name} | {paper} | {_md(c.ours_text())} "
                     f"| {_md(c.check_text())} |")
    return lines


def claim_from_dict(d: dict) -> Claim:
    """A :class:`Claim` back from its JSON record."""
    return Claim(**{k: d[k] for k in Claim.__dataclass_fields__ if k in d})


class Claims:
    """Collects the checks of one chapter run; see the module docstring.

    Every recording method takes ``kind`` (``"headline"``, ``"paper"`` or ``"sanity"``) and
    ``asserted_at`` (``"ci"``, ``"full"`` or both, the default); ``ours=None`` means the value
    cannot be computed at this profile. They return ``None`` so that a cell ending in a claim
    shows nothing; the ledger is shown by :meth:`check`.
    """

    def __init__(self, slug: str, *, profile: str, seed: int, run_card: dict | None = None,
                 calibrated_seeds: str = ""):
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
        self.slug = slug
        self.profile = profile
        self.seed = seed
        self.run_card = dict(run_card or {})
        self.calibrated_seeds = calibrated_seeds
        self.items: list[Claim] = []
        self.path: Path | None = None
        self._started = time.perf_counter()

    # -- recording --------------------------------------------------------------------------
    def _add(self, name: str, ours, comparison: str, threshold, met: bool | None, *,
             kind: str, asserted_at, paper, note: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if any(c.name == name for c in self.items):
            raise ValueError(f"claim {name!r} recorded twice")
        at = _profiles(asserted_at)
        if self.profile in at:
            status = "pass" if met else "fail"  # a value missing where asserted is a failure
        else:
            status = "not run" if met is None else "reported"
        self.items.append(Claim(name, ours, comparison, threshold, status == "pass", paper, note,
                                kind, list(at), status, met))

    def compare(self, name: str, ours, op: str, threshold, *, paper=None, note: str = "",
                kind: str = "paper", asserted_at=None) -> None:
        """``ours <op> threshold`` with op one of ``<, <=, >, >=``. NaN never passes."""
        if op not in _OPS:
            raise ValueError(f"unknown comparison {op!r}; choose one of {', '.join(_OPS)}")
        b = _number(threshold, "threshold")
        a = None if ours is None else _number(ours, "ours")
        met = None if a is None else (math.isfinite(a) and bool(_OPS[op](a, b)))
        self._add(name, a, f"{op} {b!r}", b, met, kind=kind, asserted_at=asserted_at,
                  paper=paper, note=note)

    def less(self, name: str, ours, threshold, **kw) -> None:
        self.compare(name, ours, "<", threshold, **kw)

    def greater(self, name: str, ours, threshold, **kw) -> None:
        self.compare(name, ours, ">", threshold, **kw)

    def close(self, name: str, ours, target, *, rtol: float = 0.0, atol: float = 0.0,
              paper=None, note: str = "", kind: str = "paper", asserted_at=None) -> None:
        """``|ours - target| <= atol + rtol * |target|``."""
        if rtol < 0 or atol < 0 or (rtol == 0 and atol == 0):
            raise ValueError("close() needs a positive rtol and/or atol")
        t = _number(target, "target")
        a = None if ours is None else _number(ours, "ours")
        met = None if a is None else (math.isfinite(a) and abs(a - t) <= atol + rtol * abs(t))
        parts = []
        if rtol:
            parts.append(f"{rtol:.0%}" if rtol >= 0.01 else f"{rtol:.1g} relative")
        if atol:
            parts.append(f"{atol:.3g}")
        comparison = f"within {' + '.join(parts)} of {t:.6g}"
        self._add(name, a, comparison, t, met, kind=kind, asserted_at=asserted_at, paper=paper,
                  note=note)

    def between(self, name: str, ours, low, high, *, paper=None, note: str = "",
                kind: str = "paper", asserted_at=None) -> None:
        """``low <= ours <= high``."""
        lo, hi = _number(low, "low"), _number(high, "high")
        a = None if ours is None else _number(ours, "ours")
        met = None if a is None else (math.isfinite(a) and lo <= a <= hi)
        self._add(name, a, f"in [{lo:.6g}, {hi:.6g}]", f"[{lo:.6g}, {hi:.6g}]", met, kind=kind,
                  asserted_at=asserted_at, paper=paper, note=note)

    def holds(self, name: str, condition: bool | None, *, ours: str, paper=None, note: str = "",
              kind: str = "paper", asserted_at=None) -> None:
        """A qualitative claim (an ordering, a ranking) computed from results; ``ours`` says
        what was observed, e.g. ``"order 4 > 2 > 1 > 0.5"``. ``condition=None``: not run."""
        if condition is not None and not isinstance(condition, (bool, np.bool_)):
            raise TypeError(f"condition must be a bool, got {type(condition).__name__}")
        met = None if condition is None else bool(condition)
        self._add(name, None if condition is None else str(ours), "holds", None, met, kind=kind,
                  asserted_at=asserted_at, paper=paper, note=note)

    # -- reporting --------------------------------------------------------------------------
    @property
    def failed(self) -> list[Claim]:
        return [c for c in self.items if c.status == "fail"]

    def record(self) -> dict:
        claims = [asdict(c) for c in self.items]
        return {
            "slug": self.slug,
            "profile": self.profile,
            "seed": self.seed,
            "calibrated_seeds": self.calibrated_seeds,
            "device": self.run_card.get("device"),
            "device_name": self.run_card.get("device_name"),
            "commit": self.run_card.get("commit"),
            "wall_time_s": round(time.perf_counter() - self._started, 3),
            "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "run_card": self.run_card,
            "all_passed": not self.failed and bool(self.items),
            "summary": summarize(claims),
            "claims": claims,
        }

    def write(self, folder: Path | None = None) -> Path:
        folder = Path(folder) if folder is not None else claims_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.slug}.json"
        path.write_text(json.dumps(self.record(), indent=2) + "\n")
        return path

    def summary_line(self) -> str:
        s = summarize([asdict(c) for c in self.items])
        h, p, z = s["headline"], s["paper"], s["sanity"]
        parts = [f"**headline claims verified at this profile: {h['pass']} of {h['total']}**"]
        if h["reported"] or h["not_run"]:
            parts.append(f"{h['reported'] + h['not_run']} only at another profile (not verified "
                         "here)")
        if p["total"]:
            parts.append(f"other results of the paper: {p['pass']} of {p['total']} verified")
        if z["total"]:
            parts.append(f"sanity checks: {z['pass']} of {z['total']} hold")
        if self.failed:
            parts.append(f"**{len(self.failed)} FAILED**")
        return "; ".join(parts) + "."

    def _repr_markdown_(self) -> str:
        claims = [c for c in self.items if c.kind != "sanity"]
        claims.sort(key=lambda c: c.kind != "headline")
        sanity = [c for c in self.items if c.kind == "sanity"]
        lines = [f"**Reproduction check** — profile `{self.profile}`, seed {self.seed}"
                 + (f" (thresholds calibrated on seeds {self.calibrated_seeds})"
                    if self.calibrated_seeds else "") + ".", "", self.summary_line(), ""]
        if claims:
            lines += ["Claims of the paper:", ""] + claims_table(claims) + [""]
        if sanity:
            lines += ["Sanity checks (hold by construction when the code is right; not claims "
                      "about the paper):", ""] + claims_table(sanity) + [""]
        return "\n".join(lines)

    def __repr__(self) -> str:
        lines = [f"Claims for {self.slug} (profile {self.profile}, seed {self.seed}):"]
        for c in self.items:
            lines.append(f"  [{c.status}] ({c.kind}) {c.name}: {c.ours_text()} {c.check_text()}")
        return "\n".join(lines)

    def check(self, folder: Path | None = None) -> None:
        """Write the record (its path is ``self.path``), show the ledger (in a notebook) and
        raise if any asserted check failed or the chapter has no headline claim."""
        if not self.items:
            raise ClaimFailed(f"{self.slug}: no claim was recorded")
        self.path = self.write(folder)
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None:
                display(self)
        except ImportError:  # pragma: no cover - IPython is always there in a notebook
            pass
        if not any(c.headline for c in self.items):
            raise ClaimFailed(f"{self.slug}: no headline claim recorded (mark the paper's "
                              "headline claims with kind='headline')")
        if self.failed:
            names = "; ".join(f"{c.name} (ours {c.ours_text()}, needs {c.check_text()})"
                              for c in self.failed)
            raise ClaimFailed(f"{len(self.failed)} of {len(self.items)} checks failed: {names}")
