"""Progress bars: live in an interactive session, one plain line per bar in CI logs and the book."""

from __future__ import annotations

import os
import sys
import time

ENV_VAR = "NONLINLAB_PROGRESS"  # "auto" (default), "plain" or "off"


def _mode() -> str:
    mode = os.environ.get(ENV_VAR, "auto").strip().lower()
    if mode not in ("auto", "plain", "off"):
        raise ValueError(f"{ENV_VAR} must be 'auto', 'plain' or 'off', got {mode!r}")
    if mode == "auto" and os.environ.get("CI"):
        return "plain"
    return mode


class PlainBar:
    """The part of tqdm's interface the library uses (iterate, ``update``, ``set_postfix``,
    ``close``), printing a single line when the bar closes — no carriage returns, so a
    rendered page or a log shows each bar once. ``show=False`` prints nothing."""

    def __init__(self, iterable=None, *, total: int | None = None, desc: str = "",
                 show: bool = True):
        self.iterable = iterable
        self.total = total if total is not None else (
            len(iterable) if hasattr(iterable, "__len__") else None)
        self.desc, self.show, self.n, self.postfix = desc, show, 0, ""
        self._t0 = time.perf_counter()
        self._closed = False

    def __iter__(self):
        try:
            for item in self.iterable:
                yield item
                self.n += 1
        finally:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, **kw) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in kw.items())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.show:
            total = f"/{self.total}" if self.total is not None else ""
            extra = f", {self.postfix}" if self.postfix else ""
            head = f"{self.desc}: " if self.desc else ""
            print(f"{head}{self.n}{total} in {time.perf_counter() - self._t0:.1f} s{extra}",
                  file=sys.stdout, flush=True)


def progress(iterable=None, *, total: int | None = None, desc: str = "", enabled: bool = True):
    """A progress bar. ``auto`` mode uses ``tqdm.auto`` (a widget in Jupyter); ``plain`` mode
    (CI and the book build) prints one line when the bar ends; ``off`` prints nothing."""
    mode = _mode() if enabled else "off"
    if mode == "auto":
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, leave=True)
    return PlainBar(iterable, total=total, desc=desc, show=mode == "plain")
