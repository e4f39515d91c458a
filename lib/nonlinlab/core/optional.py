"""Clear errors for optional dependencies."""

from __future__ import annotations

import importlib


def require_module(module: str, *, pip_name: str | None = None, purpose: str = ""):
    """Import ``module`` or raise ImportError saying what to install and why."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        need = pip_name or module
        why = f" (needed for {purpose})" if purpose else ""
        raise ImportError(
            f"the optional dependency {need!r} is not installed{why}: run `pip install {need}`"
        ) from err
