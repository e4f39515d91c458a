"""The run card printed at the top of every chapter: what ran, where, with what."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from .device import device_name


def git_commit() -> str | None:
    """The commit this code comes from: a git checkout, an installed git ref, or the env."""
    env = os.environ.get("NONLINLAB_COMMIT")
    if env:
        return env
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=here, capture_output=True, text=True, timeout=5, check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=here, capture_output=True, text=True, timeout=5, check=False,
            ).stdout.strip()
            return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    try:  # installed with pip from git: PEP 610 records the commit
        direct = metadata.distribution("nonlinlab").read_text("direct_url.json")
        if direct:
            commit = json.loads(direct).get("vcs_info", {}).get("commit_id")
            if commit:
                return commit[:12]
    except (metadata.PackageNotFoundError, ValueError):
        pass
    return None


def version_of(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(device: torch.device) -> dict:
    return {
        "device": str(device),
        "device_name": device_name(device),
        "platform": platform.platform(terse=True),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }


def run_card(*, slug: str, profile: str, device: torch.device, seed: int) -> dict:
    """Collect the run card as a dict (see :func:`format_run_card`)."""
    from .. import __version__

    return {
        "chapter": slug,
        "profile": profile,
        "seed": seed,
        **machine_info(device),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "nonlinlab": __version__,
        "commit": git_commit() or "unknown",
    }


def format_run_card(card: dict) -> str:
    width = max(len(k) for k in card)
    return "\n".join(f"{k:<{width}} : {v}" for k, v in card.items())
