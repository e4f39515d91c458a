"""The object every chapter starts with: resolves profile and device, seeds, prints the run
card, and holds the chapter's claims."""

from __future__ import annotations

from typing import TypeVar

from .chapters import chapter_bibtex, get_chapter
from .claims import Claims
from .device import resolve_device
from .optional import check_chapter_requirements
from .plotting import use_style
from .profiles import Profiles, resolve_profile
from .runcard import format_run_card, run_card
from .seeding import seed_everything

C = TypeVar("C")


class Chapter:
    """``ch = Chapter("deep-linear-dynamics", profile=profile, seed=seed, device=device)``.

    Bad input fails here, with a clear message, before any compute: an unknown chapter,
    profile (including ``$NONLINLAB_PROFILE``) or device.
    """

    def __init__(self, slug: str, *, profile: str = "auto", seed: int = 0, device: str = "auto",
                 deterministic: bool = True, verbose: bool = True):
        self.meta = get_chapter(slug)
        self.slug = slug
        self.device = resolve_device(device)
        self.profile = resolve_profile(profile, device=self.device)
        check_chapter_requirements(self.meta, self.profile)  # one ImportError, before any compute
        self.seed = int(seed)
        self.rng = seed_everything(seed, deterministic=deterministic)
        use_style()
        self.card = run_card(slug=slug, profile=self.profile, device=self.device, seed=self.seed)
        self.claims = Claims(slug, profile=self.profile, seed=self.seed, run_card=self.card,
                             calibrated_seeds=getattr(self.meta, "calibrated_seeds", ""))
        if verbose:
            print(format_run_card(self.card))

    def config(self, profiles: Profiles[C]) -> C:
        """This run's sizes from the chapter's :class:`Profiles`."""
        return profiles.select(self.profile)

    def bibtex(self) -> str:
        return chapter_bibtex(self.slug, commit=self.card.get("commit"))
