"""Profiles: ``ci`` (seconds on 2 CPU cores) and ``full`` (one Colab GPU, paper-like scale).

A chapter declares its sizes once, as a frozen dataclass deriving from :class:`ProfileConfig`,
and lists one instance per profile in a :class:`Profiles` object::

    @dataclass(frozen=True)
    class Config(ProfileConfig):
        steps: int
        width: int

        def check(self):
            require(self.steps > 0, "steps must be positive")

    CONFIGS = Profiles(ci=Config(steps=100, width=8), full=Config(steps=10_000, width=256))
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Generic, TypeVar

import torch

ENV_VAR = "NONLINLAB_PROFILE"
PROFILES = ("ci", "full")
#: Own-compute budget of one chapter, in seconds: ci on 2 CPU cores, full on one Colab GPU.
BUDGET_S = {"ci": 30.0, "full": 20 * 60.0}


class ProfileError(ValueError):
    """An unknown profile name."""


def resolve_profile(profile: str = "auto", device: torch.device | None = None) -> str:
    """``"auto"`` → ``$NONLINLAB_PROFILE`` if set, else ``"full"`` on CUDA, else ``"ci"``."""
    if not isinstance(profile, str):
        raise ProfileError(f"profile must be a string, got {profile!r}")
    name, source = profile.strip().lower(), "argument"
    if name == "auto":
        env = os.environ.get(ENV_VAR, "").strip().lower()
        if env:
            name, source = env, f"environment variable {ENV_VAR}={os.environ[ENV_VAR]!r}"
        else:
            on_cuda = device.type == "cuda" if device is not None else torch.cuda.is_available()
            name = "full" if on_cuda else "ci"
    if name not in PROFILES:
        choices = ", ".join(repr(p) for p in ("auto", *PROFILES))
        raise ProfileError(f"unknown profile {name!r} (from the {source}); choose one of {choices}")
    return name


def require(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition`` holds (for config checks)."""
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class ProfileConfig:
    """Base class for a chapter's sizes. Subclasses add fields and override :meth:`check`."""

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:  # pragma: no cover - default: nothing to check
        """Raise ``ValueError`` when the sizes are inconsistent."""

    def replace(self, **changes):
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)


C = TypeVar("C", bound=ProfileConfig)


@dataclass(frozen=True)
class Profiles(Generic[C]):
    """One config per profile."""

    ci: C
    full: C

    def __post_init__(self) -> None:
        if type(self.ci) is not type(self.full):
            raise TypeError("the ci and full configs must be instances of the same class")
        if not isinstance(self.ci, ProfileConfig):
            raise TypeError("configs must derive from nonlinlab.core.ProfileConfig")

    def select(self, profile: str) -> C:
        name = resolve_profile(profile)
        return getattr(self, name)

    def items(self):
        return [(name, getattr(self, name)) for name in PROFILES]
