"""Progress bars: live in an interactive session, a few plain lines in CI logs and the book."""

from __future__ import annotations

import os
import sys

ENV_VAR = "NONLINLAB_PROGRESS"  # "auto" (default), "plain" or "off"


def _mode() -> str:
    mode = os.environ.get(ENV_VAR, "auto").strip().lower()
    if mode not in ("auto", "plain", "off"):
        raise ValueError(f"{ENV_VAR} must be 'auto', 'plain' or 'off', got {mode!r}")
    if mode == "auto" and os.environ.get("CI"):
        return "plain"
    return mode


def progress(iterable=None, *, total: int | None = None, desc: str = "", enabled: bool = True):
    """A tqdm bar. ``auto`` mode uses ``tqdm.auto`` (a widget in Jupyter); ``plain`` mode prints a
    single ASCII line at the start and the end only, so logs and rendered pages stay readable."""
    mode = _mode() if enabled else "off"
    if mode == "auto":
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, leave=True)
    from tqdm import tqdm

    return tqdm(
        iterable, total=total, desc=desc, disable=mode == "off", file=sys.stdout, ascii=True,
        ncols=80, mininterval=float("inf"), leave=True,
    )
