"""Claims: the reproduction check of a chapter.

A chapter records each claim (name, the paper's value where there is one, our value, the
comparison with its threshold), shows them as a table, and :meth:`Claims.check` raises
:class:`ClaimFailed` if any claim failed. Every check writes a machine-readable record
``_build/claims/<slug>.json`` that the scoreboard page is built from.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

CLAIMS_DIR_ENV = "NONLINLAB_CLAIMS_DIR"

_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class ClaimFailed(AssertionError):
    """At least one claim of a chapter did not hold."""


def _number(value, what: str) -> float:
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    arr = np.asarray(value, dtype=float)
    if arr.size != 1:
        raise TypeError(f"{what} must be a scalar, got shape {arr.shape}")
    return float(arr.reshape(()))


@dataclass
class Claim:
    name: str
    ours: float | str
    comparison: str  # e.g. "< 0.02", "within 5% of 1.386", "is true"
    threshold: float | str | None
    passed: bool
    paper: float | str | None = None
    note: str = ""


def claims_dir() -> Path:
    """``$NONLINLAB_CLAIMS_DIR``, else ``_build/claims`` at the book root above the working
    directory (the folder holding ``_toc.yml``), else ``./_build/claims``."""
    env = os.environ.get(CLAIMS_DIR_ENV)
    if env:
        return Path(env)
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / "_toc.yml").exists():
            return folder / "_build" / "claims"
    return cwd / "_build" / "claims"


class Claims:
    """Collects the claims of one chapter run; see the module docstring."""

    def __init__(self, slug: str, *, profile: str, seed: int, run_card: dict | None = None):
        self.slug = slug
        self.profile = profile
        self.seed = seed
        self.run_card = dict(run_card or {})
        self.items: list[Claim] = []
        self._started = time.perf_counter()

    # -- recording --------------------------------------------------------------------------
    def _add(self, claim: Claim) -> Claim:
        if any(c.name == claim.name for c in self.items):
            raise ValueError(f"claim {claim.name!r} recorded twice")
        self.items.append(claim)
        return claim

    def compare(self, name: str, ours, op: str, threshold, *, paper=None, note: str = "") -> Claim:
        """``ours <op> threshold`` with op one of ``<, <=, >, >=``. NaN never passes."""
        if op not in _OPS:
            raise ValueError(f"unknown comparison {op!r}; choose one of {', '.join(_OPS)}")
        a, b = _number(ours, "ours"), _number(threshold, "threshold")
        passed = math.isfinite(a) and bool(_OPS[op](a, b))
        return self._add(Claim(name, a, f"{op} {b:.4g}", b, passed, paper, note))

    def less(self, name: str, ours, threshold, **kw) -> Claim:
        return self.compare(name, ours, "<", threshold, **kw)

    def greater(self, name: str, ours, threshold, **kw) -> Claim:
        return self.compare(name, ours, ">", threshold, **kw)

    def close(self, name: str, ours, target, *, rtol: float = 0.0, atol: float = 0.0,
              paper=None, note: str = "") -> Claim:
        """``|ours - target| <= atol + rtol * |target|``."""
        if rtol < 0 or atol < 0 or (rtol == 0 and atol == 0):
            raise ValueError("close() needs a positive rtol and/or atol")
        a, t = _number(ours, "ours"), _number(target, "target")
        tol = atol + rtol * abs(t)
        passed = math.isfinite(a) and abs(a - t) <= tol
        parts = [f"{rtol:.0%}" if rtol else "", f"{atol:.3g}" if atol else ""]
        comparison = f"within {' + '.join(p for p in parts if p)} of {t:.4g}"
        return self._add(Claim(name, a, comparison, t, passed, paper, note))

    def between(self, name: str, ours, low, high, *, paper=None, note: str = "") -> Claim:
        """``low <= ours <= high``."""
        a, lo, hi = _number(ours, "ours"), _number(low, "low"), _number(high, "high")
        passed = math.isfinite(a) and lo <= a <= hi
        return self._add(Claim(name, a, f"in [{lo:.4g}, {hi:.4g}]", f"[{lo:.6g}, {hi:.6g}]",
                               passed, paper, note))

    def holds(self, name: str, condition: bool, *, ours: str, paper=None, note: str = "") -> Claim:
        """A qualitative claim (an ordering, a ranking) computed from results; ``ours`` says
        what was observed, e.g. ``"order 4 > 2 > 1 > 0.5"``."""
        if not isinstance(condition, (bool, np.bool_)):
            raise TypeError(f"condition must be a bool, got {type(condition).__name__}")
        return self._add(Claim(name, str(ours), "holds", None, bool(condition), paper, note))

    # -- reporting --------------------------------------------------------------------------
    @property
    def failed(self) -> list[Claim]:
        return [c for c in self.items if not c.passed]

    def record(self) -> dict:
        return {
            "slug": self.slug,
            "profile": self.profile,
            "seed": self.seed,
            "device": self.run_card.get("device"),
            "device_name": self.run_card.get("device_name"),
            "commit": self.run_card.get("commit"),
            "wall_time_s": round(time.perf_counter() - self._started, 3),
            "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "run_card": self.run_card,
            "all_passed": not self.failed and bool(self.items),
            "claims": [asdict(c) for c in self.items],
        }

    def write(self, folder: Path | None = None) -> Path:
        folder = Path(folder) if folder is not None else claims_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.slug}.json"
        path.write_text(json.dumps(self.record(), indent=2) + "\n")
        return path

    def _repr_html_(self) -> str:
        rows = []
        for c in self.items:
            ours = f"{c.ours:.4g}" if isinstance(c.ours, float) else html.escape(str(c.ours))
            paper = "—" if c.paper is None else html.escape(
                f"{c.paper:.4g}" if isinstance(c.paper, float) else str(c.paper))
            mark = "✓ pass" if c.passed else "✗ FAIL"
            note = f"<br><small>{html.escape(c.note)}</small>" if c.note else ""
            rows.append(
                f"<tr><td>{html.escape(c.name)}{note}</td><td>{paper}</td><td>{ours}</td>"
                f"<td>{html.escape(c.comparison)}</td><td>{mark}</td></tr>"
            )
        head = "<tr><th>claim</th><th>paper</th><th>ours</th><th>check</th><th>result</th></tr>"
        caption = f"Reproduction check — profile <code>{self.profile}</code>, seed {self.seed}"
        return (f"<table class='nonlinlab-claims'><caption>{caption}</caption>"
                f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")

    def __repr__(self) -> str:
        lines = [f"Claims for {self.slug} (profile {self.profile}, seed {self.seed}):"]
        for c in self.items:
            ours = f"{c.ours:.4g}" if isinstance(c.ours, float) else c.ours
            lines.append(f"  [{'pass' if c.passed else 'FAIL'}] {c.name}: {ours} {c.comparison}")
        return "\n".join(lines)

    def check(self, folder: Path | None = None) -> Path:
        """Write the record, show the table (in a notebook) and raise if any claim failed."""
        if not self.items:
            raise ClaimFailed(f"{self.slug}: no claim was recorded")
        path = self.write(folder)
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is not None:
                display(self)
        except ImportError:  # pragma: no cover - IPython is always there in a notebook
            pass
        if self.failed:
            names = "; ".join(
                f"{c.name} (ours {c.ours!r}, needs {c.comparison})" for c in self.failed
            )
            raise ClaimFailed(f"{len(self.failed)} of {len(self.items)} claims failed: {names}")
        return path
